//! proptest strategies for valid scenarios.
//!
//! The strategy draws a raw shape (mms, notifiers with their drivers, threads of operations)
//! and [`normalize`] turns any shape into a scenario that keeps every rule of
//! [`super::validate`]: a second exit of an mm is dropped, a teardown the notifier's driver
//! does not have (or a second one) is dropped, a registration by a thread that the rules
//! forbid becomes a registration by `main`, empty threads are dropped. proptest shrinks the
//! raw shape (fewer threads, operations and notifiers, earlier choices), so every shrunk
//! scenario is valid too.
//!
//! The shuttle seed and scheduler are part of the case and never shrunk, so shrinking changes
//! the scenario but keeps the schedule stream it is explored with.

use super::format::{Driver, NotifierDecl, OpDecl, ScenarioFile, TeardownKind, ThreadDecl};
use super::validate::{MAX_ALLOCATIONS, MAX_NOTIFIERS, MAX_THREADS, MMS};
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

/// Valid scenarios whose notifiers use `drivers` (at least one), with shuttle's seed and
/// scheduler.
pub fn cases(drivers: &[Driver]) -> impl Strategy<Value = FuzzCase> {
    let checker = prop_oneof![
        Just(CheckerKind::ShuttlePct),
        Just(CheckerKind::ShuttleRandom)
    ];
    (raw(drivers.to_vec()), (any::<u64>(), checker).no_shrink()).prop_map(
        |(raw, (seed, checker))| FuzzCase {
            scenario: normalize(&raw),
            seed,
            checker,
        },
    )
}

const NAMES: [&str; MAX_NOTIFIERS] = ["A", "B", "C", "D"];

/// Keeps a `module_unload X` only where a module may unload: it is the first unload of X,
/// every get and put of X is in its thread before it, all put; and `mmu_notifier_synchronize`
/// is inserted after the last put if the thread has none there.
fn keep_valid_unloads(threads: &mut [Vec<OpDecl>]) {
    let mut unloaded: Vec<String> = Vec::new();
    for t in 0..threads.len() {
        let mut o = 0;
        while o < threads[t].len() {
            let OpDecl::ModuleUnload(x) = threads[t][o].clone() else {
                o += 1;
                continue;
            };
            let uses = |op: &OpDecl| matches!(op, OpDecl::Get(y) | OpDecl::Put(y) if *y == x);
            let gets = threads[t][..o]
                .iter()
                .filter(|op| matches!(op, OpDecl::Get(y) if *y == x))
                .count();
            let puts = threads[t][..o]
                .iter()
                .filter(|op| matches!(op, OpDecl::Put(y) if *y == x))
                .count();
            let elsewhere = threads
                .iter()
                .enumerate()
                .any(|(u, ops)| u != t && ops.iter().any(uses))
                || threads[t][o + 1..].iter().any(uses);
            if unloaded.contains(&x) || elsewhere || gets != puts {
                threads[t].remove(o);
                continue;
            }
            if let Some(last_put) = threads[t][..o].iter().rposition(uses) {
                if !threads[t][last_put..o].contains(&OpDecl::Synchronize) {
                    threads[t].insert(o, OpDecl::Synchronize);
                    o += 1;
                }
            }
            unloaded.push(x);
            o += 1;
        }
    }
}

/// Any raw shape as a valid scenario (see the module documentation).
fn normalize(raw: &Raw) -> ScenarioFile {
    let mms = raw.mms;
    // Present notifiers keep their slot; names follow slot order among the present ones.
    let slots: Vec<usize> = (0..MAX_NOTIFIERS)
        .filter(|&n| raw.notifiers[n].is_some())
        .collect();
    let name = |slot: usize| -> Option<String> {
        slots
            .iter()
            .position(|&s| s == slot)
            .map(|i| NAMES[i].to_string())
    };
    let notifier = |slot: usize| raw.notifiers[slot].as_ref();
    let mut exited = [false; MMS.len()];
    let mut exit_at: [Option<usize>; MMS.len()] = [None; MMS.len()];
    let mut teardown_at: [Option<usize>; MAX_NOTIFIERS] = [None; MAX_NOTIFIERS];
    // Registered notifiers, plus one per get (the model's slab is bounded).
    let mut allocations = slots
        .iter()
        .filter(|&&n| notifier(n).is_some_and(|x| !x.driver.uses_get_put()))
        .count();
    let mut threads: Vec<Vec<OpDecl>> = vec![Vec::new(); MAX_THREADS];
    for (t, thread) in raw.threads.iter().enumerate() {
        let Some((_, ops)) = thread else { continue };
        let out = &mut threads[t];
        for op in ops {
            match *op {
                RawOp::Invalidate(m) => out.push(OpDecl::Invalidate(MMS[m % mms].into())),
                RawOp::Exit(m) => {
                    let m = m % mms;
                    if !exited[m] {
                        exited[m] = true;
                        exit_at[m] = Some(t);
                        out.push(OpDecl::Exit(MMS[m].into()));
                    }
                }
                RawOp::Teardown(n) => {
                    let (Some(x), Some(nm)) = (notifier(n), name(n)) else {
                        continue;
                    };
                    if let (Some(kind), None) = (x.driver.teardown(), teardown_at[n]) {
                        teardown_at[n] = Some(t);
                        out.push(match kind {
                            TeardownKind::Unregister => OpDecl::Unregister(nm),
                            TeardownKind::UnregisterNoRelease => OpDecl::UnregisterNoRelease(nm),
                        });
                    }
                }
                // get/put only of get/put notifiers; a put only of a get of this thread.
                RawOp::Get(n) => {
                    let (Some(x), Some(nm)) = (notifier(n), name(n)) else {
                        continue;
                    };
                    if x.driver.uses_get_put() && allocations < MAX_ALLOCATIONS {
                        allocations += 1;
                        out.push(OpDecl::Get(nm));
                    }
                }
                // A put of one of this thread's gets not yet put (the n-th, cyclically).
                RawOp::Put(n) => {
                    let mut open: Vec<String> = Vec::new();
                    for o in out.iter() {
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
                    if !open.is_empty() {
                        let x = open[n % open.len()].clone();
                        out.push(OpDecl::Put(x));
                    }
                }
                RawOp::ModuleUnload(n) => {
                    let (Some(x), Some(nm)) = (notifier(n), name(n)) else {
                        continue;
                    };
                    if x.driver.uses_get_put() {
                        out.push(OpDecl::ModuleUnload(nm));
                    }
                }
                RawOp::Synchronize => out.push(OpDecl::Synchronize),
                RawOp::SrcuBarrier => out.push(OpDecl::SrcuBarrier),
            }
        }
    }
    keep_valid_unloads(&mut threads);
    // A thread may register a notifier (first, before its other operations) if only it tears
    // the notifier down and no other thread exits its mm; an exit in the same thread comes
    // after the registration, as the rules want. Get/put notifiers are registered by get.
    for &n in &slots {
        let (Some(x), Some(nm)) = (notifier(n), name(n)) else {
            continue;
        };
        let Some(t) = x.registered_by else { continue };
        let present = raw.threads[t].is_some();
        let ok = present
            && !x.driver.uses_get_put()
            && teardown_at[n].is_none_or(|u| u == t)
            && exit_at[x.mm % mms].is_none_or(|e| e == t);
        if ok {
            threads[t].insert(0, OpDecl::Register(nm));
        }
    }
    let mut threads: Vec<ThreadDecl> = threads
        .into_iter()
        .zip(&raw.threads)
        .filter(|(ops, _)| !ops.is_empty())
        .enumerate()
        .map(|(i, (ops, raw))| ThreadDecl {
            name: format!("T{}", i + 1),
            cpu: raw.as_ref().map_or(0, |r| r.0),
            ops,
        })
        .collect();
    if threads.is_empty() {
        threads.push(ThreadDecl {
            name: "T1".into(),
            cpu: 0,
            ops: vec![OpDecl::Invalidate(MMS[0].into())],
        });
    }
    ScenarioFile {
        notifiers: slots
            .iter()
            .filter_map(|&n| notifier(n).zip(name(n)))
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
