//! The SRCU scenarios under every checker, on both implementations (classic SRCU, which v3.16
//! and v3.17 ran, checked on v3.17; Tree SRCU, which v5.4 ran), each asserting the catalogue's
//! expectation: the kernel's algorithm keeps its three guarantees (a grace period waits for
//! every section begun before it, a callback runs after every section begun before its
//! `call_srcu`, `srcu_barrier` waits for every callback queued before it), and each variant
//! that removes a barrier or a step fails with its specific violation, or is blind where the
//! catalogue says why.
//!
//! loom runs in a child process per check (a loom abort cannot hide the other checks), at the
//! scenario's default bound; shuttle runs in this process with the catalogue's fixed seed;
//! real threads stress the kernel's algorithms. Every check prints its executions, bound and
//! time. v3.16 runs the same classic SRCU as v3.17
//! (`classic_kernels_have_the_same_srcu_scenarios`).

use notifier_catalog::child::check_in_child;
use notifier_catalog::registry;
use notifier_catalog::scenarios::srcu::{self, Shape};
use notifier_catalog::Scenario;
use notifier_core::srcu::{SrcuImpl, SrcuVariant};
use notifier_core::{KernelVersion, ViolationKind};
use notifier_harness::runner::{stress_std, RunOptions};
use notifier_harness::{CheckerKind, KernelPlan, Outcome, Run, Verdict};
use std::path::Path;
use std::sync::Arc;
use CheckerKind::{Loom, ShuttlePct as Pct};
use ViolationKind::{EarlyCallback, GracePeriod, UseAfterFree};

const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

/// The kernel the classic SRCU checks run on.
const CLASSIC: KernelVersion = KernelVersion::V3_17;
/// The kernel the Tree SRCU checks run on.
const TREE: KernelVersion = KernelVersion::V5_4;

fn scenario(id: &str) -> Scenario {
    srcu::catalog()
        .into_iter()
        .find(|s| s.id == id)
        .expect("an SRCU scenario")
}

/// Checks `id` on `kernel` with `checker` at the scenario's default budget and asserts the
/// catalogue's expectation (for a violation: its kind, function, site and object).
fn check(id: &str, kernel: KernelVersion, checker: CheckerKind) -> Outcome {
    let s = scenario(id);
    let spec = registry::default_spec(&s, kernel, checker);
    let o = match checker {
        CheckerKind::Loom => {
            check_in_child(Path::new(EXE), id, kernel, &spec).expect("the check's process reports")
        }
        CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct => s
            .model(&KernelPlan::version(kernel))
            .run(&Run::Check(spec.clone()), &RunOptions::default()),
    };
    println!("{id} {kernel} {checker}: {}", o.summary());
    let expected = (s.expect)(kernel, checker);
    assert!(
        expected.matches(&o),
        "{id} {kernel} {checker}: expected {expected:?}, observed {o:#?}"
    );
    assert!(
        o.executions > 0,
        "{id} {kernel} {checker}: nothing was explored"
    );
    if o.observed == Verdict::Safe && checker != CheckerKind::Loom {
        let ran = usize::try_from(o.executions).expect("fits");
        assert_eq!(
            ran, spec.iterations,
            "{id} {kernel} {checker}: shuttle stopped early"
        );
    }
    if o.observed != Verdict::Safe {
        assert!(
            !o.trace.is_empty(),
            "{id} {kernel} {checker}: a failure without its trace"
        );
    }
    o
}

/// A loom check that explores exactly `executions` executions (the figure measured when the
/// model last changed).
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
    let o = check(id, kernel, CheckerKind::Loom);
    assert_eq!(
        o.executions, executions,
        "{id} {kernel}: loom explored {} executions where {executions} were measured",
        o.executions
    );
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

/// The kernel's algorithm on one shape: loom (exactly the executions measured on classic and
/// on Tree SRCU, see [`check_loom_explores`]), both shuttle checkers, and `runs` runs on real
/// threads, on both implementations.
macro_rules! safe {
    ($name:ident, $id:literal, $shape:expr, $classic_execs:expr, $tree_execs:expr, $runs:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn classic_loom() {
                check_loom_explores($id, CLASSIC, $classic_execs);
            }
            #[test]
            fn classic_shuttle_random() {
                check($id, CLASSIC, CheckerKind::ShuttleRandom);
            }
            #[test]
            fn classic_shuttle_pct() {
                check($id, CLASSIC, CheckerKind::ShuttlePct);
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
            fn tree_shuttle_random() {
                check($id, TREE, CheckerKind::ShuttleRandom);
            }
            #[test]
            fn tree_shuttle_pct() {
                check($id, TREE, CheckerKind::ShuttlePct);
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

/// Asserts that `o`, the outcome of `id` on `kernel` with `checker`, is exactly the violation
/// [`FOUND`] lists for it, or safe if it lists none.
fn assert_found(id: &str, kernel: KernelVersion, checker: CheckerKind, o: &Outcome) {
    let row = FOUND
        .iter()
        .find(|f| (f.0, f.1, f.2) == (id, kernel, checker));
    let observed = o.violation.as_ref().map(|v| {
        (
            v.kind,
            v.object.as_deref(),
            v.function.as_str(),
            v.site.as_str(),
        )
    });
    assert_eq!(
        observed,
        row.map(|f| (f.3, f.4, f.5, f.6)),
        "{id} {kernel} {checker}: {}",
        o.summary()
    );
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

/// A variant: every checker on each implementation that has it, each asserting the
/// catalogue's expectation (its violation, or blindness with the reason) and the exact
/// violation [`FOUND`] lists.
macro_rules! variant {
    ($name:ident, $id:literal, [$($imp:ident => $kernel:expr),+]) => {
        mod $name {
            use super::*;
            $(
                mod $imp {
                    use super::*;
                    #[test]
                    fn loom() {
                        let o = check($id, $kernel, CheckerKind::Loom);
                        assert_found($id, $kernel, CheckerKind::Loom, &o);
                    }
                    #[test]
                    fn shuttle_random() {
                        let o = check($id, $kernel, CheckerKind::ShuttleRandom);
                        assert_found($id, $kernel, CheckerKind::ShuttleRandom, &o);
                    }
                    #[test]
                    fn shuttle_pct() {
                        let o = check($id, $kernel, CheckerKind::ShuttlePct);
                        assert_found($id, $kernel, CheckerKind::ShuttlePct, &o);
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
variant!(no_barrier_b, "srcu-no-barrier-b", [classic => CLASSIC, tree => TREE]);
variant!(no_barrier_c, "srcu-no-barrier-c", [classic => CLASSIC, tree => TREE]);
variant!(no_barrier_d, "srcu-no-barrier-d", [classic => CLASSIC, tree => TREE]);
variant!(no_barrier_e, "srcu-no-barrier-e", [tree => TREE]);
