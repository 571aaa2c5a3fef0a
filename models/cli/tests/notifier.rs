//! The mmu_notifier scenarios S1–S6 beyond their verdicts: S2's failures replay exactly under
//! each checker, and the contract oracle owes exit nothing for another mm's unregister. Every
//! scenario × kernel version × checker is checked against the verdict of kernel-notes §7 (for
//! a violation, its kind, function, site and object, as the catalogue states them) by the
//! campaign (`campaign.rs`).

use notifier_catalog::child::{check_in_child, replay_in_child};
use notifier_catalog::registry;
use notifier_catalog::ReplayToken;
use notifier_core::KernelVersion;
use notifier_harness::runner::{judge, ReplayVerdict};
use notifier_harness::{CheckerKind, Outcome, Target};
use std::path::Path;

use crate::common::cli;

use cli::EXE;

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
