//! The examples run, and their assertions hold (each runs its checks in child processes, as a
//! test's checks do).

#[path = "../examples/srcu_config.rs"]
mod srcu_config;

use notifier_harness::prelude::*;
use srcu_config::{config_swap, free_after_grace_period, free_at_once, Retire};

#[test]
fn the_srcu_config_example_runs() {
    srcu_config::main();
}

/// Freeing the replaced config at once is a use-after-free of config A, found under every
/// checker; under shuttle, where accesses are judged in trace order, at a reader's load of its
/// threshold after the updater's `kfree`.
#[test]
fn freeing_the_old_config_at_once_is_a_use_after_free_of_it_by_a_reader() {
    let uaf = Expected::new(ViolationKind::UseAfterFree).on("config A");
    for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
        let report = free_at_once(checker);
        let v = report.assert_violation(&uaf.clone().in_function("read_threshold"));
        assert!(v.thread == "R1" || v.thread == "R2", "{report}");
        assert_eq!(v.site, "read_threshold", "{report}");
    }
    free_at_once(CheckerKind::Loom).assert_violation(&uaf);
}

/// With `synchronize_srcu` before the free: safe under loom at preemption bound 2 and under
/// shuttle's defaults, on the v5.4 kernel's SRCU.
#[test]
fn freeing_it_after_a_grace_period_is_safe() {
    for checker in CheckerKind::ALL {
        let report = free_after_grace_period(checker);
        let o = report.assert_safe();
        assert!(o.executions > 1, "{report}");
    }
    // And on the v3.16 kernel's.
    Builder::new()
        .kernel(KernelVersion::V3_16)
        .check(config_swap(Retire::AfterGracePeriod))
        .assert_safe();
}
