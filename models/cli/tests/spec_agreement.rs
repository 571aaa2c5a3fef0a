//! The SRCU specification agrees with the real SRCU on every notifier scenario of the
//! catalogue: loom's verdict on the specification (unbounded, except where
//! `on_spec::spec_bound` says otherwise) matches the scenario's expectation (verdict, kind,
//! function, site, object) except where a difference is listed below with its reason — the
//! expectation the campaign holds the kernel's own SRCU to, at the campaign's budget, on
//! every run of the test command (see [`agree`]).
//!
//! The specification must not be stronger than the real SRCU (it would hide bugs): a
//! violation found on the real SRCU must be found on the specification. It may be weaker (a
//! false alarm would show here as a violation the real SRCU does not have): none is.
//!
//! The real SRCU is the kernel's own: classic SRCU for v3.16 and v3.17, Tree SRCU for v5.4.
//! Violations are compared by kind, object, site and function, where the function is compared
//! by what it means ([`meaning`]): the SRCU implementations name the thread that invokes a
//! callback differently (classic SRCU's `process_srcu`, Tree SRCU's per-CPU
//! `srcu_invoke_callbacks`, the specification's list worker `process_srcu`), and a callback
//! that runs too early or after the module is gone is the same violation in each.

use notifier_catalog::child::check_in_child_on;
use notifier_catalog::registry;
use notifier_catalog::scenarios::notifier::on_spec::spec_bound;
use notifier_core::srcu::SrcuImpl;
use notifier_core::ViolationKind;
use notifier_harness::{CheckSpec, CheckerKind, KernelPlan, Outcome};
use std::path::Path;

/// The binary the checks run in.
const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

/// Where the specification's first violation differs from the real SRCU's, and why.
fn known_difference(id: &str, on_spec: &Outcome) -> bool {
    let v = on_spec.violation.as_ref();
    match id {
        // main puts a notifier twice (the misuse). The scenario starts its SRCU worker after
        // the puts, so on the real SRCU the first put's deferred free cannot run before the
        // second put, and the first violation is the kernel's WARN at the end. The
        // specification starts its worker when the callback is queued, as the kernel's
        // workqueue would run it, and the free can come first: the second put then touches
        // the freed notifier. Both are violations; this one is a real consequence of the
        // misuse that the scenario's late worker cannot show.
        "G-put-without-get" => v.is_some_and(|v| {
            v.kind == ViolationKind::UseAfterFree
                && v.function == "mmu_notifier_put"
                && v.object.as_deref() == Some("notifier A")
        }),
        _ => false,
    }
}

/// A function as the comparison sees it: the SRCU functions that invoke callbacks are one
/// ("SRCU callback invocation"); every other function is itself.
fn meaning(function: &str) -> &str {
    match function {
        "process_srcu" | "srcu_invoke_callbacks" => "SRCU callback invocation",
        f => f,
    }
}

/// Whether `o` matches `expected`, its violation's function compared by what it means.
fn matches_by_meaning(expected: &notifier_catalog::expectation::Expectation, o: &Outcome) -> bool {
    if expected.matches(o) {
        return true;
    }
    let (Some(e), Some(v)) = (&expected.violation, &o.violation) else {
        return false;
    };
    o.observed == expected.verdict
        && e.kind == v.kind
        && e.function
            .split('|')
            .any(|f| meaning(f) == meaning(&v.function))
        && e.site
            .as_deref()
            .is_none_or(|s| s.split('|').any(|s| meaning(s) == meaning(&v.site)))
        && e.object
            .as_deref()
            .is_none_or(|x| x.split('|').any(|x| v.object.as_deref() == Some(x)))
}

/// The specification's loom verdict on `id`, on every kernel the scenario runs on, matches the
/// expectation the real SRCU is held to.
///
/// The real side is not re-run here: the campaign (`cargo run --release`, which `.ci/run`
/// runs and which fails on any unexpected result) checks every notifier scenario under loom
/// on the kernel's own SRCU at exactly this budget (`registry::default_spec`) against the
/// same expectation. Running it here too doubled the test command's cost (G1 alone: 73,658
/// executions on Tree SRCU) for no verdict the campaign does not already judge.
fn agree(id: &str) {
    let scenario = registry::scenario(id).expect("a catalogue scenario");
    for &kernel in scenario.kernels {
        let real_spec = registry::default_spec(&scenario, kernel, CheckerKind::Loom);
        let spec = CheckSpec {
            preemption_bound: spec_bound(id),
            ..real_spec
        };
        let plan = KernelPlan::on_srcu(kernel, Some(SrcuImpl::Spec));
        let on_spec = check_in_child_on(Path::new(EXE), id, plan, &spec)
            .expect("the check's process reports");
        eprintln!("{id} {kernel}: SRCU spec {}", on_spec.summary());
        let expected = (scenario.expect)(kernel, CheckerKind::Loom);
        assert_eq!(
            on_spec.observed, expected.verdict,
            "{id} {kernel}: the specification's verdict differs from the real SRCU's \
             (expected {expected:?})\nspec: {on_spec:#?}"
        );
        assert!(
            matches_by_meaning(&expected, &on_spec) || known_difference(id, &on_spec),
            "{id} {kernel}: on the specification, expected {expected:?}, observed {on_spec:#?}"
        );
    }
}

/// One test per notifier scenario, so that the test harness runs them in parallel.
macro_rules! agreement {
    ($($name:ident => $id:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                agree($id);
            }
        )*

        /// Every notifier scenario of the catalogue has its agreement test above.
        #[test]
        fn every_notifier_scenario_is_compared() {
            let tested = [$($id),*];
            for s in notifier_catalog::scenarios::notifier::catalog() {
                assert!(tested.contains(&s.id), "no agreement test for {}", s.id);
            }
        }
    };
}

agreement! {
    s1 => "S1",
    s1w => "S1W",
    s2 => "S2",
    s2_migrate => "S2-migrate",
    s3 => "S3",
    s4 => "S4",
    s5 => "S5",
    s6 => "S6",
    s2_unlock_after_sync => "S2-unlock-after-sync",
    g1 => "G1",
    g1_no_mmap_sem => "G1-no-mmap-sem",
    g2 => "G2",
    g2_no_unload => "G2-no-unload",
    g2_srcu_barrier => "G2-srcu-barrier",
    g2_fifo => "G2-fifo",
    s6_call_srcu => "S6-call-srcu",
    s6_getput => "S6-getput",
    p1 => "P1",
    g_put_without_get => "G-put-without-get",
    g_overflow => "G-overflow",
    p2 => "P2",
    p2_unlocked => "P2-unlocked",
    amdkfd_v5_4 => "amdkfd-v5.4",
    amdkfd_v5_4_free_in_release => "amdkfd-v5.4-free-in-release",
    amdkfd_v5_4_no_put => "amdkfd-v5.4-no-put",
    range_unregister => "range-unregister",
    range_oom_eagain => "range-oom-eagain",
    range_oom_eagain_fixed => "range-oom-eagain-fixed",
}
