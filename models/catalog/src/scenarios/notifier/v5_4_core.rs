//! The catalogue entries of the mmu_notifier core as v5.4 (and v3.x) have it beyond get/put:
//! the mm's first registration racing a walker (P2), amdkfd's `mmu_notifier_put` from
//! `->release` (v5.4) and its misuses, and whole ranges (start, then end) judged for their
//! pairing.
//!
//! The expected verdicts were written from reading the kernel source before any of these
//! checks ran; the README records what the checkers then showed.

use super::amdkfd::AmdkfdExit;
use super::drivers::AmdkfdPut;
use super::publication::{FirstRegistration, UNLOCKED};
use super::ranges::{OomReaper, UnregisterWhileWalking};
use super::small;
use crate::expectation::{Budget, Expectation, ExpectedViolation};
use crate::scenario::{Build, Scenario};
use notifier_core::{FailedStart, Invalidator, KernelConfig, KernelVersion, ViolationKind};
use notifier_harness::CheckerKind;
use std::sync::Arc;

const V5_4: &[KernelVersion] = &[KernelVersion::V5_4];
const ALL: &[KernelVersion] = &[
    KernelVersion::V3_16,
    KernelVersion::V3_17,
    KernelVersion::V5_4,
];
/// A walker's two walks: a violation in a walker may be found in either.
const WALKS: &str = "__mmu_notifier_invalidate_range_start|__mmu_notifier_invalidate_range_end";

/// E, W and the SRCU worker (amdkfd-v5.4, the S1W shape with a whole range): loom at
/// preemption bound 2 (4,000 executions); bound 3 takes 51,643 (13 s under load), bound 4
/// 480,677 (180 s): both safe, measured apart.
use super::v5_4::three_threads;

/// W and U (range-unregister): loom at preemption bound 3 (1,437 executions). Exhaustive takes
/// 122,117 executions (30-41 s under load per kernel), safe on every kernel, measured apart.
fn walker_and_owner(_: KernelVersion, _: CheckerKind) -> Budget {
    Budget {
        preemption_bound: Some(3),
        iterations: 2_000,
        pct_depth: 3,
    }
}

fn contract(
    function: &'static str,
    site: Option<&'static str>,
    object: &'static str,
) -> Expectation {
    Expectation::violation(ExpectedViolation {
        kind: ViolationKind::Contract,
        function: function.into(),
        site: site.map(Into::into),
        object: Some(object.into()),
    })
}

/// The entries.
pub fn catalog() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "P2",
            summary: "R makes the mm's first registration (allocates and publishes \
                      mm->mmu_notifier_mm, links A) while W, an rmap walker, runs a range \
                      (start, end): mm_take_all_locks excludes W",
            kernels: ALL,
            build: Build::Config(|config| {
                Arc::new(FirstRegistration {
                    config,
                    walker: Invalidator::RMAP,
                })
            }),
            // W holds an rmap lock for read across its range; registration holds them all for
            // write from before the publication to after the link, so W sees either no
            // mmu_notifier_mm (no walk) or everything published, on every kernel.
            expect: |_, _| Expectation::safe(),
            budget: small,
        },
        Scenario {
            id: "P2-unlocked",
            summary: "P2 with a walker that holds none of the locks registration takes: the \
                      plain store of mm->mmu_notifier_mm publishes nothing, and a notifier \
                      linked between W's two walks gets an end without a start",
            kernels: ALL,
            build: Build::Config(|config| {
                Arc::new(FirstRegistration {
                    config,
                    walker: UNLOCKED,
                })
            }),
            expect: |_, c| match c {
                // W's read of the list head inside *mm->mmu_notifier_mm is not ordered after
                // R's initialisation of it: the pointer's plain store (v3.16 l.213, v5.4 l.298)
                // orders nothing. Every modelled kernel.
                CheckerKind::Loom => Expectation::violation(ExpectedViolation {
                    kind: ViolationKind::DataRace,
                    function: WALKS.into(),
                    site: Some(WALKS.into()),
                    object: Some("mm".into()),
                }),
                // Sequentially consistent: no race to see, but R can run whole between W's
                // start walk (no notifiers yet) and its end walk, which then calls A's end.
                _ => contract(
                    "__mmu_notifier_invalidate_range_end",
                    Some("__mmu_notifier_invalidate_range_end"),
                    "notifier A",
                ),
            },
            budget: small,
        },
        Scenario {
            id: "amdkfd-v5.4",
            summary: "amdkfd (v5.4): A registered with mmu_notifier_register; E (exit) calls \
                      A's ->release, which puts A (unlink, call_srcu of free_notifier); W runs \
                      a range; G runs the callbacks",
            kernels: V5_4,
            build: Build::Config(|config| {
                Arc::new(AmdkfdExit {
                    config,
                    driver: AmdkfdPut::Correct,
                })
            }),
            // The put's hlist_del_init_rcu leaves A->next, so exit's walk goes on past A; the
            // free waits for a grace period that exit's own section (begun before the walk)
            // and W's sections opened before the call_srcu hold back; a walk begun after the
            // unlink cannot reach A; registration's users = 1 makes the put the last one.
            expect: |_, _| Expectation::safe(),
            budget: three_threads,
        },
        Scenario {
            id: "amdkfd-v5.4-free-in-release",
            summary: "misuse: amdkfd-v5.4 whose ->release puts A and then frees it itself \
                      (instead of in free_notifier)",
            kernels: V5_4,
            build: Build::Config(|config| {
                Arc::new(AmdkfdExit {
                    config,
                    driver: AmdkfdPut::FreeInRelease,
                })
            }),
            // Exit's walk loads A->next after ->release returns, A freed; or W, standing on A,
            // touches it after the free.
            expect: |_, _| {
                Expectation::violation(ExpectedViolation {
                    kind: ViolationKind::UseAfterFree,
                    function: "__mmu_notifier_release|__mmu_notifier_invalidate_range_start|\
                               __mmu_notifier_invalidate_range_end"
                        .into(),
                    site: None,
                    object: Some("notifier A".into()),
                })
            },
            budget: three_threads,
        },
        Scenario {
            id: "amdkfd-v5.4-no-put",
            summary: "misuse: amdkfd-v5.4 whose ->release never puts A: exit unlinks it, \
                      nothing frees it or drops registration's mm_count pin",
            kernels: V5_4,
            build: Build::Config(|config| {
                Arc::new(AmdkfdExit {
                    config,
                    driver: AmdkfdPut::NoPut,
                })
            }),
            // The mm (allocated first, so reported first) keeps registration's pin; A leaks
            // too. Reported at the mm's allocation, at the end of the execution.
            expect: |_, _| {
                Expectation::violation(ExpectedViolation {
                    kind: ViolationKind::Leak,
                    function: "mm_alloc".into(),
                    site: None,
                    object: Some("mm".into()),
                })
            },
            budget: three_threads,
        },
        Scenario {
            id: "range-unregister",
            summary: "W, an rmap walker, runs a range over A (KVM-style: start raises a count \
                      in A, end lowers it); U: mmu_notifier_unregister(A), then kfree(A)",
            kernels: ALL,
            build: Build::Config(|config| Arc::new(UnregisterWhileWalking { config })),
            // A gets start and end, or is unlinked between them (its end excused); unregister's
            // synchronize_srcu waits for every section of W that can reach A, so the kfree
            // follows every method.
            expect: |_, _| Expectation::safe(),
            budget: walker_and_owner,
        },
        Scenario {
            id: "range-oom-eagain",
            summary: "v5.4's OOM reaper O runs a non-blockable range over B (start fails \
                      with -EAGAIN) and A (KVM-style): the start walk fails, the reaper skips \
                      the end, and A's range stays open; W, an rmap walker, runs a blockable one",
            kernels: V5_4,
            build: Build::Config(|config| Arc::new(OomReaper { config })),
            // __oom_reap_task_mm: if (mmu_notifier_invalidate_range_start_nonblock(&range))
            // { ...; continue; }: no end for A, whose start succeeded. Sequential: every
            // checker, every execution.
            expect: |_, _| {
                contract(
                    "__oom_reap_task_mm",
                    Some("__oom_reap_task_mm"),
                    "notifier A",
                )
            },
            budget: small,
        },
        Scenario {
            id: "range-oom-eagain-fixed",
            summary: "range-oom-eagain with commit c2655835fd8c (v5.12): after a failed start \
                      the core calls every notifier's end",
            kernels: V5_4,
            build: Build::Fixed(|config| {
                Arc::new(OomReaper {
                    config: KernelConfig {
                        failed_start: FailedStart::EndAll,
                        ..config
                    },
                })
            }),
            expect: |_, _| Expectation::safe(),
            budget: small,
        },
    ]
}
