//! The SRCU scenarios under every checker, each asserting the catalogue's expectation: the
//! classic algorithm of v3.16/v3.17 keeps its three guarantees (a grace period waits for every
//! section begun before it, a callback runs after every section begun before its `call_srcu`,
//! `srcu_barrier` waits for every callback queued before it), and each variant that removes an
//! ordering or a step fails with its specific violation.
//!
//! loom runs in a child process per check (a loom abort cannot hide the other checks), at the
//! scenario's default bound; shuttle runs in this process with the catalogue's fixed seed;
//! real threads stress the correct scenarios. Every check prints its executions, bound and
//! time. The SRCU model does not depend on the kernel version (both versions have the classic
//! SRCU and every scenario's `build` ignores the version), so every check runs on v3.17, and
//! `both_kernels_have_the_same_srcu_scenarios` covers v3.16.

use notifier_catalog::child::check_in_child;
use notifier_catalog::registry;
use notifier_catalog::scenarios::srcu::{self, model::SrcuModel};
use notifier_catalog::Scenario;
use notifier_core::KernelVersion;
use notifier_harness::runner::stress_std;
use notifier_harness::{CheckerKind, Outcome, Verdict};
use std::path::Path;
use std::sync::Arc;

const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

/// The kernel every check runs on.
const KERNEL: KernelVersion = KernelVersion::V3_17;

fn scenario(id: &str) -> Scenario {
    srcu::catalog()
        .into_iter()
        .find(|s| s.id == id)
        .expect("an SRCU scenario")
}

/// Checks `id` with `checker` at the scenario's default budget and asserts the catalogue's
/// expectation (for a violation: its kind, function, site and object).
fn check(id: &str, checker: CheckerKind) -> Outcome {
    let s = scenario(id);
    let spec = registry::default_spec(&s, KERNEL, checker);
    let o = match checker {
        CheckerKind::Loom => check_in_child(Path::new(EXE), id, KERNEL, &spec),
        CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct => (s.build)(KERNEL).check(&spec),
    };
    println!("{id} {KERNEL} {checker}: {}", o.summary());
    let expected = (s.expect)(KERNEL, checker);
    assert!(
        expected.matches(&o),
        "{id} {checker}: expected {expected:?}, observed {o:#?}"
    );
    assert!(o.executions > 0, "{id} {checker}: nothing was explored");
    if o.observed == Verdict::Safe && checker != CheckerKind::Loom {
        let ran = usize::try_from(o.executions).expect("fits");
        assert_eq!(
            ran, spec.iterations,
            "{id} {checker}: shuttle stopped early"
        );
    }
    if o.observed != Verdict::Safe {
        assert!(
            !o.trace.is_empty(),
            "{id} {checker}: a failure without its trace"
        );
    }
    o
}

/// A loom check that explores at least `min` executions: a collapse of loom's exploration
/// (loom#392) would otherwise pass as "safe".
fn check_loom_explores(id: &str, min: u64) {
    let o = check(id, CheckerKind::Loom);
    assert!(
        o.executions >= min,
        "{id}: loom explored {} executions, fewer than {min}",
        o.executions
    );
}

/// Runs `model` on real threads and asserts that no run fails.
fn stress(id: &str, model: SrcuModel, runs: usize) {
    let o = stress_std(Arc::new(model), runs);
    println!(
        "{id} std: {} after {} runs ({:.2} s)",
        o.observed, o.executions, o.seconds
    );
    assert_eq!(o.observed, Verdict::Safe, "{id} on real threads: {o:#?}");
    assert_eq!(o.executions, runs as u64);
}

#[test]
fn both_kernels_have_the_same_srcu_scenarios() {
    for s in srcu::catalog() {
        assert_eq!(s.kernels, srcu::KERNELS, "{}", s.id);
        for checker in CheckerKind::ALL {
            let v16 = (s.expect)(KernelVersion::V3_16, checker);
            assert_eq!(
                v16,
                (s.expect)(KernelVersion::V3_17, checker),
                "{} {checker}",
                s.id
            );
            let budget = (s.budget)(KernelVersion::V3_16, checker);
            assert_eq!(
                budget,
                (s.budget)(KernelVersion::V3_17, checker),
                "{} {checker}",
                s.id
            );
        }
    }
}

// --- srcu-sync: updater + one reader: synchronize_srcu waits for the reader. ---

#[test]
fn sync_loom_exhaustive() {
    check_loom_explores("srcu-sync", 400);
}

#[test]
fn sync_shuttle_random() {
    check("srcu-sync", CheckerKind::ShuttleRandom);
}

#[test]
fn sync_shuttle_pct() {
    check("srcu-sync", CheckerKind::ShuttlePct);
}

#[test]
fn sync_real_threads() {
    stress("srcu-sync", srcu::SYNC, 300);
}

// --- srcu-sync-2r: two readers on two CPU slots, one migrating: no unstable zero survives
// the seq[] re-check. ---

#[test]
fn sync_two_readers_loom_bound_3() {
    check_loom_explores("srcu-sync-2r", 10_000);
}

#[test]
fn sync_two_readers_shuttle_random() {
    check("srcu-sync-2r", CheckerKind::ShuttleRandom);
}

#[test]
fn sync_two_readers_shuttle_pct() {
    check("srcu-sync-2r", CheckerKind::ShuttlePct);
}

#[test]
fn sync_two_readers_real_threads() {
    stress("srcu-sync-2r", srcu::SYNC_TWO_READERS, 300);
}

// --- srcu-replace: two grace periods; the check before the flip catches a reader that
// fetched the index before the first flip. ---

#[test]
fn replace_loom_exhaustive() {
    check_loom_explores("srcu-replace", 1_000);
}

#[test]
fn replace_shuttle_random() {
    check("srcu-replace", CheckerKind::ShuttleRandom);
}

#[test]
fn replace_shuttle_pct() {
    check("srcu-replace", CheckerKind::ShuttlePct);
}

#[test]
fn replace_real_threads() {
    stress("srcu-replace", srcu::REPLACE, 300);
}

// --- srcu-call: call_srcu, the worker, srcu_barrier: the callback runs after the reader and
// the barrier after the callback. ---

#[test]
fn call_loom_bound_3() {
    check_loom_explores("srcu-call", 5_000);
}

#[test]
fn call_shuttle_random() {
    check("srcu-call", CheckerKind::ShuttleRandom);
}

#[test]
fn call_shuttle_pct() {
    check("srcu-call", CheckerKind::ShuttlePct);
}

#[test]
fn call_real_threads() {
    stress("srcu-call", srcu::CALL, 100);
}

// --- Variants: each must fail with its own violation. ---

/// Without the flip, a reader on the active index is never waited for.
#[test]
fn no_flip_loom() {
    check("srcu-no-flip", CheckerKind::Loom);
}

#[test]
fn no_flip_shuttle_random() {
    check("srcu-no-flip", CheckerKind::ShuttleRandom);
}

#[test]
fn no_flip_shuttle_pct() {
    check("srcu-no-flip", CheckerKind::ShuttlePct);
}

/// Without the check before the flip, the second grace period misses a reader that fetched
/// the index before the first flip.
#[test]
fn single_drain_loom() {
    check("srcu-single-drain", CheckerKind::Loom);
}

#[test]
fn single_drain_shuttle_random() {
    check("srcu-single-drain", CheckerKind::ShuttleRandom);
}

#[test]
fn single_drain_shuttle_pct() {
    check("srcu-single-drain", CheckerKind::ShuttlePct);
}

/// Without the seq[] re-check, the unstable zero ends the grace period under R1.
#[test]
fn no_seq_recheck_loom_bound_3() {
    check("srcu-no-seq-recheck", CheckerKind::Loom);
}

/// shuttle does not find the unstable zero within its budget (see the scenario's reason).
#[test]
fn no_seq_recheck_shuttle_random() {
    check("srcu-no-seq-recheck", CheckerKind::ShuttleRandom);
}

#[test]
fn no_seq_recheck_shuttle_pct() {
    check("srcu-no-seq-recheck", CheckerKind::ShuttlePct);
}

/// A worker that skips the grace period: shuttle sees the callback start under the reader's
/// section; loom first sees a reader's access that nothing orders before the free.
#[test]
fn callback_without_gp_loom() {
    check("srcu-callback-without-gp", CheckerKind::Loom);
}

#[test]
fn callback_without_gp_shuttle_random() {
    check("srcu-callback-without-gp", CheckerKind::ShuttleRandom);
}

#[test]
fn callback_without_gp_shuttle_pct() {
    check("srcu-callback-without-gp", CheckerKind::ShuttlePct);
}

/// Without barrier B, the updater's summation may miss the reader's increment: loom sees the
/// grace period end under the reader; shuttle, sequentially consistent, cannot.
#[test]
fn no_barrier_b_loom() {
    check("srcu-no-barrier-b", CheckerKind::Loom);
}

#[test]
fn no_barrier_b_shuttle_random_is_blind() {
    check("srcu-no-barrier-b", CheckerKind::ShuttleRandom);
}

#[test]
fn no_barrier_b_shuttle_pct_is_blind() {
    check("srcu-no-barrier-b", CheckerKind::ShuttlePct);
}

/// Without barrier C, the reader's access to A is not ordered before the decrement the
/// updater sees: loom reports the use-after-free at the reader's access; shuttle cannot.
#[test]
fn no_barrier_c_loom() {
    check("srcu-no-barrier-c", CheckerKind::Loom);
}

#[test]
fn no_barrier_c_shuttle_pct_is_blind() {
    check("srcu-no-barrier-c", CheckerKind::ShuttlePct);
}

/// Without barrier D, seeing the reader's decrement orders nothing before the updater's
/// `kfree`: loom reports the use-after-free at the reader's access; shuttle cannot.
#[test]
fn no_barrier_d_loom() {
    check("srcu-no-barrier-d", CheckerKind::Loom);
}

#[test]
fn no_barrier_d_shuttle_pct_is_blind() {
    check("srcu-no-barrier-d", CheckerKind::ShuttlePct);
}
