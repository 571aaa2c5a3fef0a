//! Checking a catalogue scenario as the campaign does: every kernel it is defined for, every
//! checker, its default budget, each check in a child process of its own (a loom abort cannot
//! hide the other checks).

use notifier_catalog::child::check_in_child;
use notifier_catalog::registry;
use notifier_harness::{CheckerKind, Verdict};
use std::path::Path;

/// The binary the checks run in.
pub const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

/// Checks scenario `id` and asserts each outcome against the catalogue's expectation (for a
/// violation: its kind, function, site and object), that something was explored, and that a
/// failure carries its trace and replay command.
pub fn check_scenario(id: &str) {
    let scenario = registry::scenario(id).expect("a catalogue scenario");
    for &kernel in scenario.kernels {
        for checker in CheckerKind::ALL {
            let spec = registry::default_spec(&scenario, kernel, checker);
            let o = check_in_child(Path::new(EXE), id, kernel, &spec)
                .unwrap_or_else(|crash| panic!("{id} {kernel} {checker}: crashed: {crash}"));
            let expected = (scenario.expect)(kernel, checker);
            eprintln!("{id} {kernel} {checker}: {}", o.summary());
            assert!(
                expected.matches(&o),
                "{id} {kernel} {checker}: expected {expected:?}, observed {o:#?}"
            );
            assert!(
                o.executions > 0,
                "{id} {kernel} {checker}: nothing was explored"
            );
            if o.observed != Verdict::Safe {
                assert!(
                    o.replay.is_some(),
                    "{id} {kernel} {checker}: no replay command"
                );
                assert!(!o.trace.is_empty(), "{id} {kernel} {checker}: no trace");
            }
        }
    }
}
