//! Defects of the kernels themselves that the catalogue documents, so that fuzzing reports a
//! failure it meets again as that known defect, not as a new finding.
//!
//! A failure is a known defect when its violation is the one the catalogue scenario that
//! shows the defect expects on that kernel (kind, function and site; not the object:
//! a generated scenario names its notifiers in its own order). The expectation is read from
//! the catalogue, so the two cannot drift apart.

use super::engine::FailureKey;
use crate::registry;
use notifier_core::KernelVersion;
use notifier_harness::CheckerKind;
use serde::{Deserialize, Serialize};

/// A kernel defect the catalogue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownDefect {
    /// The catalogue scenario that shows it.
    pub scenario: &'static str,
    /// The kernels that have it.
    pub kernels: &'static [KernelVersion],
    /// What it is, in one sentence, with the commit that fixed it where there is one.
    pub what: &'static str,
}

/// Every known kernel defect.
pub const KNOWN_DEFECTS: &[KnownDefect] = &[
    KnownDefect {
        scenario: "S2",
        kernels: &[KernelVersion::V3_16],
        what: "Hazard A: __mmu_notifier_release drops its SRCU read lock before its unlink \
               loop, so a free queued by ->release can run before the loop touches the notifier \
               (fixed in v3.17 by b972216e27d1)",
    },
    KnownDefect {
        scenario: "G2-no-unload",
        kernels: &[KernelVersion::V5_4],
        what: "mmu_notifier_synchronize is synchronize_srcu since 2c7933f53f6b: with Tree SRCU's \
               per-CPU callback lists a free queued by mmu_notifier_put on another CPU may still \
               be pending when it returns, although its comment promises that it has completed",
    },
    KnownDefect {
        scenario: "range-oom-eagain",
        kernels: &[KernelVersion::V5_4],
        what: "the OOM reaper skips invalidate_range_end after a non-blockable start failed, so \
               a notifier whose start succeeded never gets its end (fixed in v5.12 by \
               c2655835fd8c)",
    },
];

/// The known defect a failure on `kernel` is, if any.
pub fn known_defect(kernel: KernelVersion, key: &FailureKey) -> Option<&'static KnownDefect> {
    KNOWN_DEFECTS.iter().find(|d| {
        d.kernels.contains(&kernel)
            && registry::target(d.scenario, kernel).is_ok_and(|s| {
                // The fuzzer runs shuttle: the expectation shuttle-pct is held to.
                let expected = (s.expect)(kernel, CheckerKind::ShuttlePct).violation;
                expected.is_some_and(|e| e.matches_place(key.kind, &key.function, &key.site))
            })
    })
}

/// How a report names a known defect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRef {
    /// The catalogue scenario that shows it.
    pub scenario: String,
    /// What it is.
    pub what: String,
}

impl From<&KnownDefect> for KnownRef {
    fn from(d: &KnownDefect) -> Self {
        KnownRef {
            scenario: d.scenario.to_string(),
            what: d.what.to_string(),
        }
    }
}
