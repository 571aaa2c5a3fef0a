//! The notifier scenarios on the SRCU specification ([`notifier_core::srcu::spec`], chosen per
//! check by the plan's `"srcu": "spec"`): where loom runs them unbounded, and what a verdict on
//! the specification names besides its bound.

use notifier_core::KernelVersion;

/// loom's preemption bound for scenario `id` on the SRCU specification, when it does not
/// finish unbounded within the tests' and the campaign's time (`None`: unbounded).
/// Measured on 2 cores under load (see the README's "what is proved" table).
pub fn spec_bound(id: &str) -> Option<usize> {
    match id {
        // Four threads besides main: S5 did not finish unbounded in 20 minutes (2 cores
        // under load); bound 2 is about 6,000 executions, bound 3 about 36,000 (v3.17).
        "S5" | "G1" => Some(2),
        _ => None,
    }
}

/// The text a verdict on the SRCU specification carries after its bound: what the
/// specification was checked against (the real SRCU's scenarios that loom proves safe, with
/// their loom budgets; masked must-fail variants are not among them), e.g. "spec checked against the kernel's SRCU by srcu-sync
/// (exhaustive), ...".
pub fn spec_evidence(kernel: KernelVersion) -> String {
    use notifier_harness::{CheckerKind, Verdict};
    let checked: Vec<String> = crate::scenarios::srcu::catalog()
        .iter()
        .filter(|s| s.kernels.contains(&kernel))
        // The kernel's own algorithm only: a variant with a barrier removed that loom finds
        // nothing in (masked, expected "not found") is no evidence about the real SRCU.
        .filter(|s| {
            let e = (s.expect)(kernel, CheckerKind::Loom);
            e.verdict == Verdict::Safe && e.blind.is_none()
        })
        .map(|s| {
            let bound = match (s.budget)(kernel, CheckerKind::Loom).preemption_bound {
                None => "exhaustive".to_string(),
                Some(n) => format!("preemption bound {n}"),
            };
            format!("{} ({bound})", s.id)
        })
        .collect();
    if checked.is_empty() {
        return format!("spec not checked against {kernel}'s SRCU: no SRCU scenario runs on it");
    }
    format!(
        "spec checked against {kernel}'s SRCU by {}",
        checked.join(", ")
    )
}
