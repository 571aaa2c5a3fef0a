//! SRCU scenarios: the classic algorithm of v3.16/v3.17 (kernel-notes §6) against its three
//! guarantees, and one scenario per [`SrcuVariant`] that removes an ordering or a step and must
//! fail with a specific violation.
//!
//! Each scenario uses the fewest threads and CPU slots that show its behaviour: every thread
//! and every slot (one more load per summation) multiplies loom's state space.

pub mod model;

use crate::kernel::KernelVersion;
use crate::scenario::{Budget, CheckerKind, Expectation, ExpectedViolation, Scenario};
use model::{Reader, SrcuModel, Updater};
use notifier_core::srcu::SrcuVariant;
use notifier_core::ViolationKind;
use std::sync::Arc;

/// The kernels with the classic SRCU: the same algorithm on both sides of the 2014 patch.
pub const KERNELS: &[KernelVersion] = &[KernelVersion::V3_16, KernelVersion::V3_17];

/// One reader on one CPU slot.
const ONE_READER: &[Reader] = &[Reader::on(0)];

/// Two readers on two CPU slots; R2 locks on slot 0 and unlocks on slot 1. With the updater
/// summing slot 0 before R2's increment and slot 1 after R2's decrement, R1's count and R2's
/// -1 cancel: the "unstable zero" that the `seq[]` re-check exists for.
const TWO_READERS_MIGRATING: &[Reader] = &[Reader::on(0), Reader::migrating(0, 1)];

const SYNC: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 1,
    readers: ONE_READER,
    updater: Updater::Synchronize,
};

const SYNC_TWO_READERS: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 2,
    readers: TWO_READERS_MIGRATING,
    updater: Updater::Synchronize,
};

const REPLACE: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 1,
    readers: ONE_READER,
    updater: Updater::Replace,
};

const CALL: SrcuModel = SrcuModel {
    variant: SrcuVariant::Classic,
    cpus: 1,
    readers: ONE_READER,
    updater: Updater::CallSrcu,
};

/// `model` with the algorithm replaced by `variant`.
const fn with(model: SrcuModel, variant: SrcuVariant) -> SrcuModel {
    SrcuModel { variant, ..model }
}

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

fn budget(preemption_bound: Option<usize>, iterations: usize, pct_depth: usize) -> Budget {
    Budget {
        preemption_bound,
        iterations,
        pct_depth,
    }
}

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
            budget: |_, _| budget(Some(3), 2_000, 3),
        },
        Scenario {
            id: "srcu-replace",
            summary: "R reads gp; U: replace A by B, synchronize_srcu, kfree(A), unpublish B, \
                      synchronize_srcu, kfree(B) (two grace periods)",
            kernels: KERNELS,
            build: |_| Arc::new(REPLACE),
            expect: |_, _| Expectation::safe(),
            budget: |_, _| budget(Some(3), 2_000, 3),
        },
        Scenario {
            id: "srcu-call",
            summary: "R reads A; U: unpublish A, call_srcu(kfree A) (starts G, the SRCU \
                      worker); then the module's exit: srcu_barrier",
            kernels: KERNELS,
            build: |_| Arc::new(CALL),
            expect: |_, _| Expectation::safe(),
            budget: |_, _| budget(Some(1), 2_000, 3),
        },
        Scenario {
            id: "srcu-no-flip",
            summary: "srcu-sync without srcu_flip: both checks wait on the inactive index, R on \
                      the active one is never waited for",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC, SrcuVariant::NoFlip)),
            expect: |_, _| grace_period(),
            budget: |_, _| budget(None, 2_000, 3),
        },
        Scenario {
            id: "srcu-single-drain",
            summary: "srcu-replace without the check before the flip: R fetches the index \
                      before the first flip and increments after the first grace period",
            kernels: KERNELS,
            build: |_| Arc::new(with(REPLACE, SrcuVariant::SingleDrain)),
            expect: |_, _| grace_period(),
            budget: |_, _| budget(Some(3), 2_000, 3),
        },
        Scenario {
            id: "srcu-no-seq-recheck",
            summary: "srcu-sync-2r without the seq[] re-check: the unstable zero of R2's \
                      cross-CPU unlock ends the grace period under R1",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC_TWO_READERS, SrcuVariant::NoSeqRecheck)),
            expect: |_, _| grace_period(),
            budget: |_, _| budget(Some(3), 2_000, 3),
        },
        Scenario {
            id: "srcu-callback-without-gp",
            summary: "srcu-call with a worker that invokes callbacks without a grace period",
            kernels: KERNELS,
            build: |_| Arc::new(with(CALL, SrcuVariant::CallbackWithoutGracePeriod)),
            expect: |_, _| violation(ViolationKind::EarlyCallback, "process_srcu", "process_srcu"),
            budget: |_, _| budget(Some(1), 2_000, 3),
        },
        Scenario {
            id: "srcu-no-barrier-b",
            summary: "srcu-sync without barrier B in srcu_read_lock: U's summation may miss R's \
                      increment (weak memory)",
            kernels: KERNELS,
            build: |_| Arc::new(with(SYNC, SrcuVariant::NoReaderBarrierB)),
            expect: |_, checker| match checker {
                CheckerKind::Loom => grace_period(),
                CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct => Expectation::blind(
                    "shuttle is sequentially consistent: a summation after R's increment \
                     always sees it, so a missing barrier cannot show",
                ),
            },
            budget: |_, _| budget(None, 2_000, 3),
        },
    ]
}
