//! The memory oracle against planted bugs: a use-after-free, a double free and a leak are
//! each reported, with their exact kind, object and function, by loom (in a child process),
//! shuttle random, shuttle PCT and real threads; an access merely unordered with a free is
//! reported by loom's race detector as a use-after-free, and is invisible to shuttle and to
//! real threads (in their traces the access always comes first).

use notifier_catalog::child::check_in_child;
use notifier_catalog::registry;
use notifier_catalog::scenarios::memory::{self, Planted, PlantedBug};
use notifier_catalog::Scenario;
use notifier_core::KernelVersion;
use notifier_harness::runner::{stress_std, RunOptions};
use notifier_harness::{CheckerKind, KernelPlan, Outcome, Run};
use std::path::Path;
use std::sync::Arc;

const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

/// The planted bugs do not depend on the kernel version.
const KERNEL: KernelVersion = KernelVersion::V3_17;

/// Real-thread runs per planted bug.
const RUNS: usize = 20;

fn scenario(id: &str) -> Scenario {
    memory::catalog()
        .into_iter()
        .find(|s| s.id == id)
        .expect("a planted-bug scenario")
}

fn report(what: &str, o: &Outcome) {
    println!("{what}: {}", o.summary());
}

/// Checks `id` with every checker at its default budget, then on real threads, asserts each
/// outcome, and returns them (loom, shuttle random, shuttle PCT, std). Real threads have no race
/// detector and a (nearly) sequentially consistent trace, so they must observe what shuttle
/// observes.
fn check_everywhere(id: &str, bug: PlantedBug) -> Vec<Outcome> {
    let s = scenario(id);
    let mut outcomes = Vec::new();
    for checker in CheckerKind::ALL {
        let spec = registry::default_spec(&s, KERNEL, checker);
        let o = match checker {
            CheckerKind::Loom => check_in_child(Path::new(EXE), id, KERNEL, &spec)
                .expect("the check's process reports"),
            _ => s
                .model(&KernelPlan::version(KERNEL))
                .run(&Run::Check(spec.clone()), &RunOptions::default()),
        };
        report(&format!("{id} {checker}"), &o);
        let expected = (s.expect)(KERNEL, checker);
        assert!(
            expected.matches(&o),
            "{id} {checker}: expected {expected:?}, observed {o:#?}"
        );
        assert!(o.executions > 0, "{id} {checker}: nothing was explored");
        outcomes.push(o);
    }
    let o = stress_std(Arc::new(Planted { bug }), RUNS);
    report(&format!("{id} std"), &o);
    let expected = (s.expect)(KERNEL, CheckerKind::ShuttleRandom);
    assert!(
        expected.matches(&o),
        "{id} on real threads: expected {expected:?}, observed {o:#?}"
    );
    outcomes.push(o);
    outcomes
}

/// A deterministic planted bug: every checker reports it in its first execution.
fn check_deterministic(id: &str, bug: PlantedBug) {
    for o in check_everywhere(id, bug) {
        assert_eq!(
            o.executions, 1,
            "{id}: found only after {} executions ({})",
            o.executions, o.bound
        );
    }
}

#[test]
fn use_after_free_is_caught_by_every_checker() {
    check_deterministic("mem-use-after-free", PlantedBug::UseAfterFree);
}

#[test]
fn double_free_is_caught_by_every_checker() {
    check_deterministic("mem-double-free", PlantedBug::DoubleFree);
}

#[test]
fn leak_is_caught_by_every_checker() {
    check_deterministic("mem-leak", PlantedBug::Leak);
}

/// loom's race detector reports the unordered access in its first execution; shuttle and real
/// threads run their whole budget without seeing it.
#[test]
fn unordered_free_is_caught_by_loom_only() {
    let outcomes = check_everywhere("mem-unordered-free", PlantedBug::UnorderedFree);
    assert_eq!(outcomes[0].executions, 1, "loom");
    assert_eq!(outcomes[3].executions, RUNS as u64, "std");
}
