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

use super::format::{Driver, NotifierDecl, OpDecl, ScenarioFile, ThreadDecl};
use super::validate::{MAX_NOTIFIERS, MAX_THREADS, MMS};
use crate::scenario::CheckerKind;
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
    Synchronize,
    SrcuBarrier,
}

#[derive(Debug, Clone)]
struct RawNotifier {
    mm: usize,
    driver: Driver,
    /// Registered by this thread (modulo the thread count), or by `main`.
    registered_by: Option<usize>,
}

#[derive(Debug, Clone)]
struct Raw {
    mms: usize,
    notifiers: Vec<RawNotifier>,
    threads: Vec<Vec<RawOp>>,
}

/// Operations per generated thread.
const MAX_GENERATED_OPS: usize = 3;

fn raw_op() -> impl Strategy<Value = RawOp> {
    // Walkers and exits first: shrinking moves towards earlier choices.
    prop_oneof![
        3 => (0..MMS.len()).prop_map(RawOp::Invalidate),
        3 => (0..MMS.len()).prop_map(RawOp::Exit),
        3 => (0..MAX_NOTIFIERS).prop_map(RawOp::Teardown),
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
    (
        1..=MMS.len(),
        prop::collection::vec(notifier, 1..=3),
        prop::collection::vec(
            prop::collection::vec(raw_op(), 1..=MAX_GENERATED_OPS),
            1..=MAX_THREADS,
        ),
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

/// Any raw shape as a valid scenario (see the module documentation).
fn normalize(raw: &Raw) -> ScenarioFile {
    let mms = raw.mms;
    let nthreads = raw.threads.len();
    let notifiers: Vec<RawNotifier> = raw
        .notifiers
        .iter()
        .map(|n| RawNotifier {
            mm: n.mm % mms,
            driver: n.driver,
            registered_by: n.registered_by.map(|t| t % nthreads),
        })
        .collect();
    let mut exited = vec![false; MMS.len()];
    let mut torn_down = vec![false; notifiers.len()];
    // (thread, op) positions of each mm's exit and each notifier's teardown.
    let mut exit_at: Vec<Option<usize>> = vec![None; MMS.len()];
    let mut teardown_at: Vec<Option<usize>> = vec![None; notifiers.len()];
    let mut threads: Vec<Vec<OpDecl>> = Vec::new();
    for (t, ops) in raw.threads.iter().enumerate() {
        let mut out = Vec::new();
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
                    let n = n % notifiers.len();
                    let name = NAMES[n].to_string();
                    match notifiers[n].driver.teardown() {
                        Some(kind) if !torn_down[n] => {
                            torn_down[n] = true;
                            teardown_at[n] = Some(t);
                            out.push(match kind {
                                super::format::TeardownKind::Unregister => OpDecl::Unregister(name),
                                super::format::TeardownKind::UnregisterNoRelease => {
                                    OpDecl::UnregisterNoRelease(name)
                                }
                            });
                        }
                        _ => {}
                    }
                }
                RawOp::Synchronize => out.push(OpDecl::Synchronize),
                RawOp::SrcuBarrier => out.push(OpDecl::SrcuBarrier),
            }
        }
        threads.push(out);
    }
    // A thread may register a notifier (first, before its other operations) if only it tears
    // the notifier down and no other thread exits its mm; an exit in the same thread comes
    // after the registration, as the rules want.
    for (n, notifier) in notifiers.iter().enumerate() {
        let Some(t) = notifier.registered_by else {
            continue;
        };
        let ok =
            teardown_at[n].is_none_or(|u| u == t) && exit_at[notifier.mm].is_none_or(|e| e == t);
        if ok {
            threads[t].insert(0, OpDecl::Register(NAMES[n].into()));
        }
    }
    let mut threads: Vec<ThreadDecl> = threads
        .into_iter()
        .filter(|ops| !ops.is_empty())
        .enumerate()
        .map(|(i, ops)| ThreadDecl {
            name: format!("T{}", i + 1),
            ops,
        })
        .collect();
    if threads.is_empty() {
        threads.push(ThreadDecl {
            name: "T1".into(),
            ops: vec![OpDecl::Invalidate(MMS[0].into())],
        });
    }
    ScenarioFile {
        notifiers: notifiers
            .iter()
            .enumerate()
            .map(|(n, x)| NotifierDecl {
                name: NAMES[n].into(),
                mm: MMS[x.mm].into(),
                driver: x.driver,
            })
            .collect(),
        threads,
        expect: None,
    }
}
