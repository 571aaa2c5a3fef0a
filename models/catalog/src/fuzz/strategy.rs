//! proptest strategies for valid scenarios.
//!
//! The strategy draws a raw shape (mms, notifiers with their drivers, threads of operations),
//! writes it down as a scenario file as drawn (`written`), and mends the file with the rule
//! table ([`super::rules::mend`]): each broken rule's repair is applied until none is broken
//! (a second exit of an mm is dropped, a teardown the notifier's driver does not have is
//! dropped, a registration by a thread that the rules forbid is dropped so that `main`
//! registers the notifier, `mmu_notifier_synchronize` is inserted before a module unload that
//! needs it, empty threads are dropped). The rules are written once, in the table; proptest
//! shrinks the raw shape (fewer threads, operations and notifiers, earlier choices), so every
//! shrunk scenario is valid too.
//!
//! The shuttle seed and scheduler are part of the case and never shrunk, so shrinking changes
//! the scenario but keeps the schedule stream it is explored with.

use super::format::{Driver, NotifierDecl, OpDecl, ScenarioFile, TeardownKind, ThreadDecl};
use super::rules::{mend, MAX_NOTIFIERS, MAX_THREADS, MMS};
use notifier_core::KernelVersion;
use notifier_harness::CheckerKind;
use proptest::prelude::*;
use proptest::sample::select;

/// One generated case: a scenario and how shuttle explores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzCase {
    /// The scenario.
    pub scenario: ScenarioFile,
    /// shuttle's seed (not shrunk).
    pub seed: u64,
    /// shuttle-random or shuttle-pct (not shrunk).
    pub checker: CheckerKind,
}

/// An operation as drawn, before [`normalize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RawOp {
    Invalidate(usize),
    /// The OOM reaper's range: kept on v5.4 only (the others have no non-blockable ranges).
    InvalidateNonblock(usize),
    Exit(usize),
    Teardown(usize),
    Get(usize),
    /// Puts one of the thread's open gets (an index, cyclically), if it has one.
    Put(usize),
    ModuleUnload(usize),
    Synchronize,
    SrcuBarrier,
}

#[derive(Debug, Clone)]
struct RawNotifier {
    mm: usize,
    driver: Driver,
    /// Registered by the thread in this slot, or by `main`.
    registered_by: Option<usize>,
}

/// Notifiers and threads sit in fixed slots, absent or present, and operations name
/// notifier slots: shrinking a slot to absent removes that notifier or thread without
/// renumbering the others (removing an element of a list would re-target every operation
/// that names a later one, and shrinking would test a different scenario).
#[derive(Debug, Clone)]
struct Raw {
    mms: usize,
    notifiers: [Option<RawNotifier>; MAX_NOTIFIERS],
    /// Each present thread: its CPU and its operations.
    threads: [Option<(usize, Vec<RawOp>)>; MAX_THREADS],
}

/// Operations per generated thread.
const MAX_GENERATED_OPS: usize = 3;

fn raw_op() -> impl Strategy<Value = RawOp> + Clone {
    // Walkers and exits first: shrinking moves towards earlier choices.
    prop_oneof![
        3 => (0..MMS.len()).prop_map(RawOp::Invalidate),
        3 => (0..MMS.len()).prop_map(RawOp::Exit),
        2 => (0..MMS.len()).prop_map(RawOp::InvalidateNonblock),
        3 => (0..MAX_NOTIFIERS).prop_map(RawOp::Teardown),
        3 => (0..MAX_NOTIFIERS).prop_map(RawOp::Get),
        3 => (0..MAX_NOTIFIERS).prop_map(RawOp::Put),
        1 => (0..MAX_NOTIFIERS).prop_map(RawOp::ModuleUnload),
        1 => Just(RawOp::Synchronize),
        1 => Just(RawOp::SrcuBarrier),
    ]
}

fn raw(drivers: Vec<Driver>) -> impl Strategy<Value = Raw> {
    let notifier = (
        0..MMS.len(),
        select(drivers),
        prop::option::weighted(0.25, 0..MAX_THREADS),
    )
        .prop_map(|(mm, driver, registered_by)| RawNotifier {
            mm,
            driver,
            registered_by,
        });
    let notifier = prop::option::weighted(0.5, notifier);
    // CPU 0 first: shrinking moves a thread back to CPU 0.
    let cpu = prop_oneof![3 => Just(0usize), 1 => Just(1usize)];
    let thread = prop::option::weighted(
        0.6,
        (cpu, prop::collection::vec(raw_op(), 1..=MAX_GENERATED_OPS)),
    );
    (
        1..=MMS.len(),
        [
            notifier.clone(),
            notifier.clone(),
            notifier.clone(),
            notifier,
        ],
        [thread.clone(), thread.clone(), thread.clone(), thread],
    )
        .prop_map(|(mms, notifiers, threads)| Raw {
            mms,
            notifiers,
            threads,
        })
}

/// Valid scenarios for `kernel` whose notifiers use `drivers` (at least one, all of which
/// `kernel` has), with shuttle's seed and scheduler.
pub fn cases(kernel: KernelVersion, drivers: &[Driver]) -> impl Strategy<Value = FuzzCase> {
    let checker = prop_oneof![
        Just(CheckerKind::ShuttlePct),
        Just(CheckerKind::ShuttleRandom)
    ];
    (raw(drivers.to_vec()), (any::<u64>(), checker).no_shrink()).prop_map(
        move |(raw, (seed, checker))| FuzzCase {
            scenario: normalize(&raw, kernel),
            seed,
            checker,
        },
    )
}

const NAMES: [&str; MAX_NOTIFIERS] = ["A", "B", "C", "D"];

/// Any raw shape as a valid scenario for `kernel`: written down as drawn, then mended by
/// the rule table (see the module documentation); threads are named `T1`, `T2`, ... in order.
fn normalize(raw: &Raw, kernel: KernelVersion) -> ScenarioFile {
    let file = written(raw);
    let mut file = mend(file.clone(), kernel).unwrap_or_else(|b| {
        // Every rule the raw shape can break has a repair; the others it keeps by
        // construction (names, counts, CPUs, the kernel's drivers).
        panic!(
            "the generator broke rule {} ({b}) in:\n{}",
            b.rule,
            file.render()
        )
    });
    for (i, t) in file.threads.iter_mut().enumerate() {
        t.name = format!("T{}", i + 1);
    }
    file
}

/// The raw shape as a scenario file, operation by operation, before any rule is applied.
/// Operations that name an absent notifier slot are not written; a teardown is written with
/// its driver's verb; a put names one of the thread's open gets (the n-th, cyclically) and is
/// not written when the thread has none; a thread that registers a notifier does so first.
fn written(raw: &Raw) -> ScenarioFile {
    let mms = raw.mms;
    // Present notifiers keep their slot; names follow slot order among the present ones.
    let slots: Vec<usize> = (0..MAX_NOTIFIERS)
        .filter(|&n| raw.notifiers[n].is_some())
        .collect();
    let present = |slot: usize| -> Option<(&RawNotifier, String)> {
        let i = slots.iter().position(|&s| s == slot)?;
        Some((raw.notifiers[slot].as_ref()?, NAMES[i].to_string()))
    };
    let mut threads = Vec::new();
    for (t, thread) in raw.threads.iter().enumerate() {
        let Some((cpu, ops)) = thread else { continue };
        let mut out: Vec<OpDecl> = slots
            .iter()
            .filter_map(|&n| present(n))
            .filter(|(x, _)| x.registered_by == Some(t))
            .map(|(_, nm)| OpDecl::Register(nm))
            .collect();
        for op in ops {
            let decl = match *op {
                RawOp::Invalidate(m) => OpDecl::Invalidate(MMS[m % mms].into()),
                RawOp::InvalidateNonblock(m) => OpDecl::InvalidateNonblock(MMS[m % mms].into()),
                RawOp::Exit(m) => OpDecl::Exit(MMS[m % mms].into()),
                RawOp::Teardown(n) => {
                    let Some((x, nm)) = present(n) else { continue };
                    match x.driver.teardown() {
                        Some(TeardownKind::UnregisterNoRelease) => OpDecl::UnregisterNoRelease(nm),
                        Some(TeardownKind::Unregister) | None => OpDecl::Unregister(nm),
                    }
                }
                RawOp::Get(n) => {
                    let Some((_, nm)) = present(n) else { continue };
                    OpDecl::Get(nm)
                }
                RawOp::Put(n) => {
                    let open = open_gets(&out);
                    if open.is_empty() {
                        continue;
                    }
                    OpDecl::Put(open[n % open.len()].clone())
                }
                RawOp::ModuleUnload(n) => {
                    let Some((_, nm)) = present(n) else { continue };
                    OpDecl::ModuleUnload(nm)
                }
                RawOp::Synchronize => OpDecl::Synchronize,
                RawOp::SrcuBarrier => OpDecl::SrcuBarrier,
            };
            out.push(decl);
        }
        threads.push(ThreadDecl {
            name: format!("T{}", t + 1),
            cpu: *cpu,
            ops: out,
        });
    }
    ScenarioFile {
        notifiers: slots
            .iter()
            .filter_map(|&n| present(n))
            .map(|(x, nm)| NotifierDecl {
                name: nm,
                mm: MMS[x.mm % mms].into(),
                driver: x.driver,
            })
            .collect(),
        threads,
        expect: None,
    }
}

/// The notifiers of the gets in `ops` not yet put, in order.
fn open_gets(ops: &[OpDecl]) -> Vec<String> {
    let mut open: Vec<String> = Vec::new();
    for o in ops {
        match o {
            OpDecl::Get(x) => open.push(x.clone()),
            OpDecl::Put(x) => {
                if let Some(i) = open.iter().position(|y| y == x) {
                    open.remove(i);
                }
            }
            _ => {}
        }
    }
    open
}
