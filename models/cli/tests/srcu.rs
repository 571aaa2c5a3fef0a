//! The SRCU scenarios on both implementations (classic SRCU, which v3.16 and v3.17 ran, checked
//! on v3.17; Tree SRCU, which v5.4 ran): the kernel's algorithm keeps its three guarantees (a
//! grace period waits for every section begun before it, a callback runs after every section
//! begun before its `call_srcu`, `srcu_barrier` waits for every callback queued before it), and
//! each variant that removes a barrier or a step fails with its specific violation, or is blind
//! where the catalogue says why.
//!
//! Every scenario × kernel × checker is a row of the campaign, which
//! `campaign::the_campaign_observes_what_the_catalogue_expects_and_is_the_committed_record`
//! runs and holds, row by row, to the committed `docs/results.json` (verdict, violation,
//! executions). The tests here state, independently of the catalogue's expectations, what those
//! rows must say — loom's exact executions on the safe shapes, the exact violation of every
//! variant a checker finds — and read them from that record instead of running the checks a
//! second time. Real threads stress the kernel's algorithms. v3.16 runs the same classic SRCU
//! as v3.17 (`classic_kernels_have_the_same_srcu_scenarios`).

use notifier_catalog::registry;
use notifier_catalog::scenarios::srcu::{self, Shape};
use notifier_core::srcu::{SrcuImpl, SrcuVariant};
use notifier_core::{KernelVersion, ViolationKind};
use notifier_harness::runner::stress_std;
use notifier_harness::{CheckerKind, Verdict};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use CheckerKind::{Loom, ShuttlePct as Pct};
use ViolationKind::{EarlyCallback, GracePeriod, UseAfterFree};

/// The kernel the classic SRCU checks run on.
const CLASSIC: KernelVersion = KernelVersion::V3_17;
/// The kernel the Tree SRCU checks run on.
const TREE: KernelVersion = KernelVersion::V5_4;

/// The committed campaign's row of `id` on `kernel` with `checker` (its `check` record in
/// `docs/results.json`, which the campaign test holds to the model).
fn committed(id: &str, kernel: KernelVersion, checker: CheckerKind) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/results.json");
    let text = std::fs::read_to_string(path).expect("docs/results.json");
    let row = format!("{id}/{kernel}/{checker}");
    text.lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON record"))
        .find(|r| r["record"] == "check" && r["id"] == row.as_str())
        .unwrap_or_else(|| panic!("docs/results.json has no row {row}"))
}

/// The committed loom row of `id` on `kernel`: safe, after exactly `executions` executions (the
/// figure measured when the model last changed).
///
/// loom's exploration of a scenario at a fixed bound is deterministic, so the figure is a
/// regression pin, not a floor: fewer means loom's exploration collapsed (loom#392) or the
/// model lost scheduling points (either would let a "safe" pass having looked at less), more
/// means the model gained some. Either way the change must be measured and explained, and the
/// pin updated with the commit that caused it. (The pins replaced a floor of 1,000, an
/// arbitrary figure that Tree SRCU's srcu-sync, 742, and srcu-sync-migrate, 790, fell
/// under. The floor guarded only against a collapse, which an exact pin also catches; the
/// figures differ between the implementations because their steps do: Tree SRCU's reader has
/// no `seq[]` increment, and its grace period is another sequence of loads and barriers than
/// classic SRCU's `c[]`/`seq[]` pipeline.)
fn check_loom_explores(id: &str, kernel: KernelVersion, executions: u64) {
    let row = committed(id, kernel, Loom);
    assert_eq!(row["observed"]["verdict"], "safe", "{id} {kernel}: {row:#}");
    assert_eq!(
        row["observed"]["executions"].as_u64(),
        Some(executions),
        "{id} {kernel}: loom explored other than the {executions} executions measured: {row:#}"
    );
}

/// The shuttle rows of a safe shape: safe, after every iteration of the budget (a search that
/// stopped early would have looked at less).
fn check_shuttle_ran_its_budget(id: &str, kernel: KernelVersion) {
    for checker in [CheckerKind::ShuttleRandom, Pct] {
        let row = committed(id, kernel, checker);
        assert_eq!(
            row["observed"]["verdict"], "safe",
            "{id} {kernel} {checker}: {row:#}"
        );
        assert_eq!(
            row["observed"]["executions"], row["observed"]["bound"]["value"],
            "{id} {kernel} {checker}: shuttle stopped early: {row:#}"
        );
    }
}

/// Runs `shape` with the kernel's algorithm on real threads and asserts that no run fails.
fn stress(id: &str, kernel: KernelVersion, shape: Shape, runs: usize) {
    let model = srcu::model(kernel, shape, SrcuVariant::Kernel);
    let o = stress_std(Arc::new(model), runs);
    println!(
        "{id} {kernel} std: {} after {} runs ({:.2} s)",
        o.observed, o.executions, o.seconds
    );
    assert_eq!(
        o.observed,
        Verdict::Safe,
        "{id} {kernel} on real threads: {o:#?}"
    );
    assert_eq!(o.executions, runs as u64);
}

#[test]
fn classic_kernels_have_the_same_srcu_scenarios() {
    for s in srcu::catalog() {
        if !s.kernels.contains(&KernelVersion::V3_16) {
            continue;
        }
        for checker in CheckerKind::ALL {
            assert_eq!(
                (s.expect)(KernelVersion::V3_16, checker),
                (s.expect)(KernelVersion::V3_17, checker),
                "{} {checker}",
                s.id
            );
            assert_eq!(
                (s.budget)(KernelVersion::V3_16, checker),
                (s.budget)(KernelVersion::V3_17, checker),
                "{} {checker}",
                s.id
            );
        }
    }
}

#[test]
fn each_kernel_runs_the_srcu_it_shipped() {
    for s in srcu::catalog() {
        for &kernel in s.kernels {
            let expected = match kernel {
                KernelVersion::V3_16 | KernelVersion::V3_17 => SrcuImpl::Classic,
                KernelVersion::V5_4 => SrcuImpl::Tree,
            };
            assert_eq!(
                registry::srcu(&s, notifier_harness::KernelPlan::version(kernel)),
                Some(expected),
                "{} {kernel}",
                s.id
            );
        }
    }
}

/// The kernel's algorithm on one shape, on both implementations: the committed rows of loom
/// (exactly the executions measured, see [`check_loom_explores`]) and of both shuttle checkers
/// (their whole budget, safe), and `runs` runs on real threads.
macro_rules! safe {
    ($name:ident, $id:literal, $shape:expr, $classic_execs:expr, $tree_execs:expr, $runs:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn classic_loom() {
                check_loom_explores($id, CLASSIC, $classic_execs);
            }
            #[test]
            fn classic_shuttle() {
                check_shuttle_ran_its_budget($id, CLASSIC);
            }
            #[test]
            fn classic_real_threads() {
                stress($id, CLASSIC, $shape, $runs);
            }
            #[test]
            fn tree_loom() {
                check_loom_explores($id, TREE, $tree_execs);
            }
            #[test]
            fn tree_shuttle() {
                check_shuttle_ran_its_budget($id, TREE);
            }
            #[test]
            fn tree_real_threads() {
                stress($id, TREE, $shape, $runs);
            }
        }
    };
}

// Updater + one reader: synchronize_srcu waits for the reader. loom exhaustive.
safe!(sync, "srcu-sync", Shape::Sync, 6_775, 742, 300);
// The reader migrates between the CPU slots inside its section. loom exhaustive.
safe!(
    sync_migrate,
    "srcu-sync-migrate",
    Shape::SyncMigrate,
    7_003,
    790,
    300
);
// Two readers on two slots, one migrating: no unstable zero survives the checks. loom at
// preemption bound 2.
safe!(
    sync_two_readers,
    "srcu-sync-2r",
    Shape::SyncTwoReaders,
    36_231,
    6_681,
    300
);
// Two grace periods: the check before the flip catches a reader that fetched the index
// before the first flip. loom exhaustive.
safe!(replace, "srcu-replace", Shape::Replace, 28_371, 1_730, 300);
// call_srcu, the kworker, srcu_barrier. loom at preemption bound 3.
safe!(call, "srcu-call", Shape::Call, 20_107, 4_994, 100);

/// A must-fail variant found by a checker, and the violation it reports: scenario, kernel,
/// checker; kind, object, function, site.
type Found = (
    &'static str,
    KernelVersion,
    CheckerKind,
    ViolationKind,
    Option<&'static str>,
    &'static str,
    &'static str,
);

/// Functions and sites of the violations in [`FOUND`].
const UPDATER: &str = "updater";
const READER: &str = "reader";
const SYNC: &str = "synchronize_srcu";
const INVOKE: &str = "srcu_invoke_callbacks";

/// The violation each must-fail variant shows with each checker that finds it, exactly. The
/// SRCU oracle's grace-period and early-callback violations concern no object (`None`); a
/// use-after-free names the object the reader accessed. The catalogue's expectation leaves
/// the object open where the violation has none; this table says so explicitly, so that a
/// counterexample that moves to another object or place is noticed.
/// [`every_found_variant_has_its_exact_violation`] keeps it complete.
const FOUND: &[Found] = &[
    (
        "srcu-no-flip",
        CLASSIC,
        Loom,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-no-flip",
        CLASSIC,
        Pct,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    ("srcu-no-flip", TREE, Loom, GracePeriod, None, UPDATER, SYNC),
    ("srcu-no-flip", TREE, Pct, GracePeriod, None, UPDATER, SYNC),
    (
        "srcu-single-drain",
        CLASSIC,
        Loom,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-single-drain",
        CLASSIC,
        Pct,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-single-drain",
        TREE,
        Pct,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-single-drain",
        TREE,
        Loom,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-no-seq-recheck",
        CLASSIC,
        Loom,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    // Classic under loom: R's section is already over when G frees A, but no grace period
    // orders R's access before the free (the catalogue explains it).
    (
        "srcu-callback-without-gp",
        CLASSIC,
        Loom,
        UseAfterFree,
        Some("object A"),
        READER,
        READER,
    ),
    (
        "srcu-callback-without-gp",
        CLASSIC,
        Pct,
        EarlyCallback,
        None,
        "process_srcu",
        "process_srcu",
    ),
    (
        "srcu-callback-without-gp",
        TREE,
        Loom,
        EarlyCallback,
        None,
        INVOKE,
        INVOKE,
    ),
    (
        "srcu-callback-without-gp",
        TREE,
        Pct,
        EarlyCallback,
        None,
        INVOKE,
        INVOKE,
    ),
    (
        "srcu-no-barrier-a",
        CLASSIC,
        Loom,
        UseAfterFree,
        Some("object B"),
        READER,
        READER,
    ),
    (
        "srcu-no-barrier-a-2r",
        TREE,
        Loom,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-no-barrier-b",
        CLASSIC,
        Loom,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-no-barrier-b",
        TREE,
        Loom,
        GracePeriod,
        None,
        UPDATER,
        SYNC,
    ),
    (
        "srcu-no-barrier-c",
        CLASSIC,
        Loom,
        UseAfterFree,
        Some("object A"),
        READER,
        READER,
    ),
    (
        "srcu-no-barrier-c",
        TREE,
        Loom,
        UseAfterFree,
        Some("object A"),
        READER,
        READER,
    ),
    (
        "srcu-no-barrier-d",
        CLASSIC,
        Loom,
        UseAfterFree,
        Some("object A"),
        READER,
        READER,
    ),
];

/// Asserts that the committed row of `id` on `kernel` with `checker` is exactly the violation
/// [`FOUND`] lists for it, or no violation if it lists none.
fn assert_found(id: &str, kernel: KernelVersion, checker: CheckerKind) {
    let row = committed(id, kernel, checker);
    let v = &row["observed"]["violation"];
    let observed = (!v.is_null()).then(|| {
        (
            v["kind"].clone(),
            v["object"].as_str(),
            v["function"].as_str().unwrap_or_default(),
            v["site"].as_str().unwrap_or_default(),
        )
    });
    let listed = FOUND
        .iter()
        .find(|f| (f.0, f.1, f.2) == (id, kernel, checker))
        .map(|f| (serde_json::to_value(f.3).unwrap(), f.4, f.5, f.6));
    assert_eq!(observed, listed, "{id} {kernel} {checker}: {row:#}");
}

/// [`FOUND`] lists exactly the variant × implementation × checker combinations the catalogue
/// expects to fail (not blind, not safe), so every variant a checker finds has its exact
/// violation asserted.
#[test]
fn every_found_variant_has_its_exact_violation() {
    let mut expected = Vec::new();
    for s in srcu::catalog() {
        for kernel in [CLASSIC, TREE] {
            if !s.kernels.contains(&kernel) {
                continue;
            }
            for checker in CheckerKind::ALL {
                if (s.expect)(kernel, checker).verdict != Verdict::Safe {
                    expected.push((s.id, kernel, checker));
                }
            }
        }
    }
    let mut listed: Vec<_> = FOUND.iter().map(|f| (f.0, f.1, f.2)).collect();
    expected.sort_by_key(|k| format!("{k:?}"));
    listed.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(listed, expected);
}

/// A variant: every checker on each implementation that has it, each asserting that the
/// committed row has the exact violation [`FOUND`] lists (or none: blind, with the reason the
/// catalogue gives, which the campaign test checks as the catalogue's expectation).
macro_rules! variant {
    ($name:ident, $id:literal, [$($imp:ident => $kernel:expr),+]) => {
        mod $name {
            use super::*;
            $(
                mod $imp {
                    use super::*;
                    #[test]
                    fn loom() {
                        assert_found($id, $kernel, CheckerKind::Loom);
                    }
                    #[test]
                    fn shuttle_random() {
                        assert_found($id, $kernel, CheckerKind::ShuttleRandom);
                    }
                    #[test]
                    fn shuttle_pct() {
                        assert_found($id, $kernel, CheckerKind::ShuttlePct);
                    }
                }
            )+
        }
    };
}

variant!(no_flip, "srcu-no-flip", [classic => CLASSIC, tree => TREE]);
variant!(single_drain, "srcu-single-drain", [classic => CLASSIC, tree => TREE]);
variant!(no_seq_recheck, "srcu-no-seq-recheck", [classic => CLASSIC]);
variant!(
    callback_without_gp,
    "srcu-callback-without-gp",
    [classic => CLASSIC, tree => TREE]
);
variant!(no_barrier_a, "srcu-no-barrier-a", [classic => CLASSIC, tree => TREE]);
variant!(no_barrier_a_2r, "srcu-no-barrier-a-2r", [tree => TREE]);
variant!(no_barrier_b, "srcu-no-barrier-b", [classic => CLASSIC, tree => TREE]);
variant!(no_barrier_c, "srcu-no-barrier-c", [classic => CLASSIC, tree => TREE]);
variant!(no_barrier_d, "srcu-no-barrier-d", [classic => CLASSIC, tree => TREE]);
variant!(no_barrier_e, "srcu-no-barrier-e", [tree => TREE]);
