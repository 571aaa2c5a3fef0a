//! SRCU scenarios: the classic algorithm of v3.16/v3.17 (kernel-notes §6) against its three
//! guarantees, and one scenario per [`SrcuVariant`] that removes an ordering or a step and must
//! fail with a specific violation.
//!
//! Each scenario uses the fewest threads and CPU slots that show its behaviour: every thread
//! and every slot (one more load per summation) multiplies loom's state space. Each variant
//! runs on a shape that is also checked with the correct algorithm, under the same loom
//! bound, so that its failure is the variant's doing.
//!
//! Measured (dev profile, dependencies optimised, 2 cores; the tests print the numbers):
//!
//! | scenario | loom | shuttle |
//! | --- | --- | --- |
//! | `srcu-sync` | safe, exhaustive, 514 executions | safe |
//! | `srcu-sync-2r` | safe at preemption bound 3, about 52,000 executions | safe |
//! | `srcu-replace` | safe, exhaustive, 1,401 executions | safe |
//! | `srcu-call` | safe at bound 3, 14,985 executions (exhaustive: 414,841, 48 s) | safe |
//! | `srcu-no-flip` | grace period, 4th execution | random: 4,028th; PCT 3: 8th |
//! | `srcu-single-drain` | grace period, 258th execution | random 154,468th; PCT 4: 331st |
//! | `srcu-no-seq-recheck` | grace period at bound 3, 3,898th (unbounded: 201,900th) | none |
//! | `srcu-callback-without-gp` | use-after-free, bound 3, 57th | early callback: 220th, PCT 3rd |
//! | `srcu-no-barrier-b` | grace period, 14th execution | blind |
//! | `srcu-no-barrier-c` | use-after-free at R's access, 1st execution | blind |
//! | `srcu-no-barrier-d` | use-after-free at R's access, 33rd execution | blind |
//!
//! Barrier A has no variant: removed alone, loom explores `srcu-sync` exhaustively (563
//! executions) and finds nothing, because the first check's D and the flip's barriers also
//! stand between U's unpublish and the second check's `c[]` summation.

pub mod model;

use crate::scenario::Scenario;
use model::{Reader, SrcuModel, Updater};
use notifier_core::srcu::SrcuVariant;
use notifier_core::KernelVersion;
use notifier_core::ViolationKind;
use notifier_harness::{Budget, CheckerKind, Expectation, ExpectedViolation};
use std::sync::Arc;

/// The kernels with the classic SRCU: the same algorithm on both sides of the 2014 patch, so
/// every SRCU scenario builds the same model for each of them.
pub const KERNELS: &[KernelVersion] = &[KernelVersion::V3_16, KernelVersion::V3_17];

/// One reader on one CPU slot.
const ONE_READER: &[Reader] = &[Reader::on(0)];

/// Two readers on two CPU slots; R2 locks on slot 0 and unlocks on slot 1. With the updater
/// summing slot 0 before R2's increment and slot 1 after R2's decrement, R1's count and R2's
/// -1 cancel: the "unstable zero" that the `seq[]` re-check exists for. (An exhaustive SPIN
/// run of this algorithm needed exactly two readers, two slots and one migration.)
const TWO_READERS_MIGRATING: &[Reader] = &[Reader::on(0), Reader::migrating(0, 1)];

/// `srcu-sync`: U unpublishes A, `synchronize_srcu`, `kfree(A)`; R reads A in its section.
pub const SYNC: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 1,
    readers: ONE_READER,
    updater: Updater::Synchronize,
};

/// `srcu-sync-2r`: [`SYNC`] with R1 and R2 on two CPU slots, R2 migrating inside its section.
pub const SYNC_TWO_READERS: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 2,
    readers: TWO_READERS_MIGRATING,
    updater: Updater::Synchronize,
};

/// `srcu-replace`: two grace periods (U replaces A by B, then unpublishes B).
pub const REPLACE: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 1,
    readers: ONE_READER,
    updater: Updater::Replace,
};

/// `srcu-call`: U frees A through `call_srcu`; the SRCU worker runs the callback; the
/// module's exit waits with `srcu_barrier`.
pub const CALL: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 1,
    readers: ONE_READER,
    updater: Updater::CallSrcu,
};

/// `model` with the algorithm replaced by `variant`.
pub const fn with(model: SrcuModel, variant: SrcuVariant) -> SrcuModel {
    SrcuModel { variant, ..model }
}

/// A violation expected at `function` (`site`), with no particular object.
fn violation(kind: ViolationKind, function: &'static str, site: &'static str) -> Expectation {
    Expectation::violation(ExpectedViolation {
        kind,
        function,
        site: Some(site),
        object: None,
    })
}

/// `synchronize_srcu` in U returned while a section begun before it was still running.
fn grace_period() -> Expectation {
    violation(ViolationKind::GracePeriod, "updater", "synchronize_srcu")
}

/// Without C or D, R's access to A inside its (waited-for) section is not ordered before U's
/// `kfree(A)`: loom's race detector reports a use-after-free of A located at R's access.
fn unordered_reader_access() -> Expectation {
    Expectation::violation(ExpectedViolation {
        kind: ViolationKind::UseAfterFree,
        function: "reader",
        site: Some("reader"),
        object: Some("object A"),
    })
}

/// A budget: loom's preemption bound, shuttle's iterations and PCT depth.
fn budget(preemption_bound: Option<usize>, iterations: usize, pct_depth: usize) -> Budget {
    Budget {
        preemption_bound,
        iterations,
        pct_depth,
    }
}

/// Why shuttle cannot see a missing barrier.
const SC_BLIND: &str = "shuttle is sequentially consistent: a summation made after R's \
                        increment always sees it, so a missing barrier cannot show";

/// A missing barrier: `on_loom` under loom; shuttle, sequentially consistent, is blind.
fn missing_barrier(checker: CheckerKind, on_loom: Expectation) -> Expectation {
    match checker {
        CheckerKind::Loom => on_loom,
        CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct => Expectation::blind(SC_BLIND),
    }
}

/// Why shuttle does not find the unstable zero, although it needs no weak memory.
const UNSTABLE_ZERO_TOO_RARE: &str =
    "not within any affordable budget: the unstable zero needs three preemptions inside \
     one- or two-step windows (R2 between fetching the index and incrementing, U between \
     summing slot 0 and slot 1, R1 inside its section). PCT depth 4 and 6 found none in \
     1,000,000 iterations (seeds 1 and 2), random none in 200,000 (seeds 1-5); loom finds \
     it at preemption bound 3";

/// The SRCU scenarios.
pub fn catalog() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "srcu-sync",
            summary: "R: reads object A in a read-side section; U: unpublish A, \
                      synchronize_srcu, kfree(A)",
            kernels: KERNELS,
            build: |_| Arc::new(SYNC),
            expect: |_, _| Expectation::safe(),
            budget: |_, _| budget(None, 2_000, 3),
        },
        Scenario {
            id: "srcu-sync-2r",
            summary: "srcu-sync with R1 and R2 on two CPU slots; R2 migrates from slot 0 to \
                      slot 1 inside its section",
            kernels: KERNELS,
            build: |_| Arc::new(SYNC_TWO_READERS),
            expect: |_, _| Expectation::safe(),
            budget: |_, _| budget(Some(3), 2_000, 4),
        },
        Scenario {
            id: "srcu-replace",
            summary: "R reads gp; U: replace A by B, synchronize_srcu, kfree(A), unpublish B, \
                      synchronize_srcu, kfree(B) (two grace periods)",
            kernels: KERNELS,
            build: |_| Arc::new(REPLACE),
            expect: |_, _| Expectation::safe(),
            budget: |_, _| budget(None, 2_000, 4),
        },
        Scenario {
            id: "srcu-call",
            summary: "R reads A; U: unpublish A, call_srcu(kfree A) (starts G, the SRCU \
                      worker); then the module's exit: srcu_barrier",
            kernels: KERNELS,
            build: |_| Arc::new(CALL),
            expect: |_, _| Expectation::safe(),
            budget: |_, _| budget(Some(3), 2_000, 3),
        },
        Scenario {
            id: "srcu-no-flip",
            summary: "srcu-sync without srcu_flip: both checks wait on the inactive index, R on \
                      the active one is never waited for",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC, SrcuVariant::NoFlip)),
            expect: |_, _| grace_period(),
            budget: |_, _| budget(None, 10_000, 3),
        },
        Scenario {
            id: "srcu-single-drain",
            summary: "srcu-replace without the check before the flip: R fetches the index \
                      before the first flip and increments after the first grace period",
            kernels: KERNELS,
            build: |_| Arc::new(with(REPLACE, SrcuVariant::SingleDrain)),
            expect: |_, _| grace_period(),
            budget: |_, checker| match checker {
                // R must stall across U's whole first grace period and stay in its section
                // across the second: rare for uniform random choices.
                CheckerKind::ShuttleRandom => budget(None, 160_000, 4),
                _ => budget(None, 2_000, 4),
            },
        },
        Scenario {
            id: "srcu-no-seq-recheck",
            summary: "srcu-sync-2r without the seq[] re-check: the unstable zero of R2's \
                      cross-CPU unlock ends the grace period under R1",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC_TWO_READERS, SrcuVariant::NoSeqRecheck)),
            expect: |_, checker| match checker {
                CheckerKind::Loom => grace_period(),
                CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct => {
                    Expectation::blind(UNSTABLE_ZERO_TOO_RARE)
                }
            },
            budget: |_, _| budget(Some(3), 2_000, 4),
        },
        Scenario {
            id: "srcu-callback-without-gp",
            summary: "srcu-call with a worker that invokes callbacks without a grace period",
            kernels: KERNELS,
            build: |_| Arc::new(with(CALL, SrcuVariant::CallbackWithoutGracePeriod)),
            expect: |_, checker| match checker {
                // loom's first failing execution has R's section already over when G frees
                // A, but nothing (no grace period) orders R's access before the free.
                CheckerKind::Loom => Expectation::violation(ExpectedViolation {
                    kind: ViolationKind::UseAfterFree,
                    function: "reader",
                    site: Some("reader"),
                    object: Some("object A"),
                }),
                CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct => {
                    violation(ViolationKind::EarlyCallback, "process_srcu", "process_srcu")
                }
            },
            budget: |_, _| budget(Some(3), 2_000, 3),
        },
        Scenario {
            id: "srcu-no-barrier-c",
            summary: "srcu-sync without barrier C in srcu_read_unlock: R's read of A is not \
                      ordered before the decrement U sees (weak memory)",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC, SrcuVariant::NoReaderBarrierC)),
            expect: |_, checker| missing_barrier(checker, unordered_reader_access()),
            budget: |_, _| budget(None, 2_000, 3),
        },
        Scenario {
            id: "srcu-no-barrier-d",
            summary: "srcu-sync without barrier D in the updater's check: seeing R's decrement \
                      orders nothing before U's kfree (weak memory)",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC, SrcuVariant::NoUpdaterBarrierD)),
            expect: |_, checker| missing_barrier(checker, unordered_reader_access()),
            budget: |_, _| budget(None, 2_000, 3),
        },
        Scenario {
            id: "srcu-no-barrier-b",
            summary: "srcu-sync without barrier B in srcu_read_lock: U's summation may miss R's \
                      increment (weak memory)",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC, SrcuVariant::NoReaderBarrierB)),
            expect: |_, checker| missing_barrier(checker, grace_period()),
            budget: |_, _| budget(None, 2_000, 3),
        },
    ]
}
