//! Sized variants of the notifier scenarios, for measuring how exploration grows with the
//! number of notifiers and threads (`notifier-check bench`). They are not part of the default
//! campaign; `check --scenario` runs them like any scenario.

use super::exit_release::{ExitRelease, ReleaseBehaviour};
use super::unregister::{NoReleaseFree, UnlinkNoRelease};
use super::{small, uaf, V3};
use crate::expectation::Expectation;
use crate::scenario::{Build, Scenario};
use notifier_core::{KernelConfig, KernelVersion};
use notifier_harness::{Checkable, CheckerKind};
use std::sync::Arc;

/// Hazard A as in S2, with `notifiers` notifiers.
fn hazard_a(config: KernelConfig, notifiers: usize) -> Arc<dyn Checkable> {
    Arc::new(ExitRelease {
        config,
        release: ReleaseBehaviour::DeferFreeWhileLinked,
        notifiers,
        walker: false,
        resume_on: None,
    })
}

fn hazard_a_expect(v: KernelVersion, _: CheckerKind) -> Expectation {
    match v {
        KernelVersion::V3_16 => uaf("__mmu_notifier_release", Some("hlist_del_init_rcu"), None),
        _ => Expectation::safe(),
    }
}

/// The sized variants.
pub fn catalog() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "S2-1n",
            summary: "S2 with notifier A only (E, G)",
            kernels: V3,
            build: Build::Config(|config| hazard_a(config, 1)),
            expect: hazard_a_expect,
            budget: small,
        },
        Scenario {
            id: "S2-3n",
            summary: "S2 with notifiers A, B and C (E, G)",
            kernels: V3,
            build: Build::Config(|config| hazard_a(config, 3)),
            expect: hazard_a_expect,
            budget: small,
        },
        Scenario {
            id: "S5-no-exit",
            summary: "S5 without the concurrent exit (D, W, G; main exits the mm at the end)",
            kernels: V3,
            build: Build::Config(|config| {
                Arc::new(UnlinkNoRelease {
                    config,
                    free: NoReleaseFree::Deferred,
                    exit: false,
                })
            }),
            expect: |_, _| Expectation::safe(),
            budget: small,
        },
    ]
}
