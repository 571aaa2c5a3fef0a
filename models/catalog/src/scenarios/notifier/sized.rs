//! Sized variants of the notifier scenarios, for measuring how exploration grows with the
//! number of notifiers and threads (`notifier-check bench`). They are not part of the default
//! campaign; `check --scenario` runs them like any scenario.

use super::exit_release::{ExitRelease, ReleaseBehaviour};
use super::unregister::{NoReleaseFree, UnlinkNoRelease};
use super::{small, uaf, world, V3};
use crate::scenario::Scenario;
use notifier_core::KernelVersion;
use notifier_harness::{CheckerKind, Expectation};
use std::sync::Arc;

/// Hazard A as in S2, with `notifiers` notifiers.
fn hazard_a(notifiers: usize) -> impl Fn(KernelVersion) -> Arc<ExitRelease> {
    move |v| {
        Arc::new(ExitRelease {
            config: world::config(v),
            release: ReleaseBehaviour::DeferFreeWhileLinked,
            notifiers,
            walker: false,
            resume_on: None,
        })
    }
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
            build: |v| hazard_a(1)(v),
            expect: hazard_a_expect,
            budget: small,
        },
        Scenario {
            id: "S2-3n",
            summary: "S2 with notifiers A, B and C (E, G)",
            kernels: V3,
            build: |v| hazard_a(3)(v),
            expect: hazard_a_expect,
            budget: small,
        },
        Scenario {
            id: "S5-no-exit",
            summary: "S5 without the concurrent exit (D, W, G; main exits the mm at the end)",
            kernels: V3,
            build: |v| {
                Arc::new(UnlinkNoRelease {
                    config: world::config(v),
                    free: NoReleaseFree::Deferred,
                    exit: false,
                })
            },
            expect: |_, _| Expectation::safe(),
            budget: small,
        },
    ]
}
