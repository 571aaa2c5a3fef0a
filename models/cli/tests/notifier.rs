//! The mmu_notifier scenarios S1–S6 and the deadlocking `srcu_read_unlock` placement: every
//! scenario × kernel version × checker, each in a child process of its own (a loom abort
//! cannot hide the other checks), asserting the verdict of kernel-notes §7 — for a violation,
//! its kind, function, site and object, as the catalogue states them.

use notifier_catalog::child::{check_in_child, replay_in_child};
use notifier_catalog::registry;
use notifier_catalog::ReplayToken;
use notifier_core::KernelVersion;
use notifier_harness::runner::{judge, ReplayVerdict};
use notifier_harness::{CheckerKind, Outcome, Target};
use std::path::Path;

use crate::common::catalogue;
use crate::common::cli;

use catalogue::{check_scenario, EXE};

/// S1 (amdkfd: unlink, then defer the free): safe on both versions.
#[test]
fn s1_unlink_then_defer_is_safe() {
    check_scenario("S1");
}

/// S1W: with a walker added to S1, every notifier access of the walker is still covered by a
/// grace period (amdkfd unlinks before it defers the free).
#[test]
fn s1_with_a_walker_is_safe() {
    check_scenario("S1W");
}

/// S2 (Hazard A): the use-after-free of a notifier freed by the SRCU callback, in
/// `__mmu_notifier_release`'s unlink loop, on v3.16 only.
#[test]
fn s2_hazard_a_is_fixed_by_the_2014_ordering() {
    check_scenario("S2");
}

/// S3: a walker that starts after the grace period's flip still meets the freed notifier
/// after the 2014 fix (free only after unlinking).
#[test]
fn s3_walker_meets_a_notifier_freed_while_linked() {
    check_scenario("S3");
}

/// S4: `mmu_notifier_unregister` then `kfree`; Hazard B on v3.16 is a missing ordering that
/// loom's race detector reports.
#[test]
fn s4_unregister_then_free() {
    check_scenario("S4");
}

/// S5: `unregister_no_release` then `call_srcu(free)`, with exit and a walker: safe.
#[test]
fn s5_unlink_then_defer_with_walker_is_safe() {
    check_scenario("S5");
}

/// S6 (hmm before 6d7c3cde93c1): an immediate `kfree` after `unregister_no_release` is a
/// use-after-free in the walker.
#[test]
fn s6_immediate_free_after_unlink_is_a_use_after_free() {
    check_scenario("S6");
}

/// `srcu_read_unlock` placed after `synchronize_srcu`: exit waits for its own read-side
/// section, reported as a deadlock in `__mmu_notifier_release` (`synchronize_srcu`).
#[test]
fn unlock_after_synchronize_deadlocks() {
    check_scenario("S2-unlock-after-sync");
}

fn replays_to_the_same_violation(checker: CheckerKind) {
    let scenario = registry::scenario("S2").expect("S2");
    let spec = registry::default_spec(&scenario, KernelVersion::V3_16, checker);
    let first: Outcome = check_in_child(Path::new(EXE), "S2", KernelVersion::V3_16, &spec)
        .expect("the check's process reports");
    let v = first.violation.clone().expect("S2 on v3.16 fails");
    let replay = first.replay.clone().expect("a replay");
    let token: ReplayToken = ReplayToken::new(
        &Target::Catalogue("S2".to_string()),
        KernelVersion::V3_16,
        replay,
    )
    .to_string()
    .parse()
    .expect("the printed token parses");
    let again = replay_in_child(Path::new(EXE), &token).expect("the replay's process reports");
    assert_eq!(judge(&token.checker, &again), ReplayVerdict::Reproduced);
    let w = again.violation.clone().expect("the replay fails too");
    assert_eq!(
        (w.kind, &w.function, &w.site, &w.object),
        (v.kind, &v.function, &v.site, &v.object)
    );
    assert_eq!(w.step, v.step, "the same violation at the same step");
    assert_eq!(again.trace, first.trace, "the same execution");
}

/// A recorded shuttle failure of S2 on v3.16 replays to the same violation at the same step.
#[test]
fn s2_v3_16_shuttle_failure_replays_exactly() {
    replays_to_the_same_violation(CheckerKind::ShuttlePct);
}

/// loom's exploration is deterministic: replaying S2 on v3.16 stops at the same execution,
/// with the same violation at the same step.
#[test]
fn s2_v3_16_loom_failure_replays_exactly() {
    replays_to_the_same_violation(CheckerKind::Loom);
}

/// The contract "exit waits for unregister's `->release`" is about the exiting mm's own
/// notifiers (`models/catalog/scenarios/exit-other-mm-unregister.toml`): T1 unregisters A, a
/// notifier of mm1, while T2 exits mm0. Before the oracle knew each notifier's mm, both shuttle
/// checkers reported a contract violation within 25–975 executions on every kernel. Both run on
/// every kernel; loom on the classic SRCU's (on v5.4's Tree SRCU its pass at the default bound
/// is 41,305 executions, 14 s, and adds nothing to this regression, which was shuttle's).
#[test]
fn exit_of_one_mm_owes_nothing_to_unregister_on_another() {
    let file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../catalog/scenarios/exit-other-mm-unregister.toml"
    );
    let runs = ["v3.16", "v3.17", "v5.4"].into_iter().flat_map(|kernel| {
        let checkers: &[&str] = match kernel {
            "v5.4" => &["shuttle-random", "shuttle-pct"],
            _ => &["shuttle-random", "shuttle-pct", "loom"],
        };
        checkers.iter().map(move |&checker| (kernel, checker))
    });
    for (kernel, checker) in runs {
        let o = cli::run(&[
            "check",
            "--scenario-file",
            file,
            "--kernel",
            kernel,
            "--checker",
            checker,
            "--json",
        ]);
        let r = cli::json(&o);
        assert_eq!(
            r["observed"]["verdict"], "safe",
            "{kernel} {checker}: {r:#}"
        );
        assert!(
            r["observed"]["executions"].as_u64() >= Some(100),
            "{kernel} {checker}: {r:#}"
        );
        assert_eq!(o.status.code(), Some(0), "{kernel} {checker}");
    }
}
