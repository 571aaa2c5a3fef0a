//! The "what is proved" table: for every mmu_notifier scenario the campaign expects to be
//! safe, loom's proof on the SRCU the kernel ran (unbounded, or the preemption bound the
//! campaign stops at) beside its proof on the SRCU specification where the campaign has one
//! (issue 15: whether each proof is unbounded, and on which SRCU).
//!
//! Only loom proves: a shuttle "safe" is a sample of schedules, and the campaign's shuttle
//! rows are in docs/results.md. The SRCU scenarios (SRCU on its own) are left out:
//! they check the real SRCUs themselves, and docs/results.md lists them.

use super::markdown::{table, thousands};
use crate::report::Report;
use notifier_core::srcu::SrcuImpl;
use notifier_harness::{Bound, CheckerKind, Verdict};

/// The section's name (README.md, docs/perf.md).
pub const SECTION: &str = "what-is-proved";

/// Whether `r` is a loom proof of a notifier scenario the campaign expects to be safe (not a
/// masked or blind must-fail check); `follows_srcu` says whether a scenario runs the
/// mmu_notifier core on the SRCU its plan chooses.
fn is_proof(r: &Report, follows_srcu: &dyn Fn(&str) -> bool) -> bool {
    r.checker == CheckerKind::Loom
        && r.placements.is_empty()
        && r.expected
            .as_ref()
            .is_some_and(|e| e.verdict == Verdict::Safe && e.blind.is_none())
        && follows_srcu(&r.scenario)
}

/// One proof in words: `**unbounded**, 10,515 executions`, `preemption bound 2, 10,949
/// executions`, or what the check observed instead.
fn proof_text(r: &Report) -> String {
    if r.crashed() {
        return "**not as expected**: crashed".to_string();
    }
    if !r.matches {
        return format!("**not as expected**: {}", r.observed.verdict);
    }
    let executions = thousands(r.observed.executions);
    match r.observed.bound {
        Bound::Exhaustive => format!("**unbounded**, {executions} executions"),
        ref bound => format!("{bound}, {executions} executions"),
    }
}

/// The SRCU a check ran on, as the table names it.
fn srcu_name(srcu: Option<SrcuImpl>) -> &'static str {
    match srcu {
        Some(SrcuImpl::Classic) => "classic",
        Some(SrcuImpl::Tree) => "Tree",
        Some(SrcuImpl::Spec) => "spec",
        None => "none",
    }
}

/// The section: one row per scenario and group of kernels whose proofs read the same. The
/// specification's cell is `—` where the kernel's own SRCU is proved unbounded already.
pub fn section(checks: &[Report], follows_srcu: &dyn Fn(&str) -> bool) -> String {
    let proofs: Vec<&Report> = checks
        .iter()
        .filter(|r| is_proof(r, follows_srcu))
        .collect();
    let mut scenarios: Vec<&str> = proofs.iter().map(|r| r.scenario.as_str()).collect();
    scenarios.dedup();
    let mut rows: Vec<Vec<String>> = Vec::new();
    for scenario in scenarios {
        let mut merged: Vec<(Vec<String>, [String; 3])> = Vec::new();
        for real in proofs
            .iter()
            .filter(|r| r.scenario == scenario && !r.srcu_chosen)
        {
            let spec = proofs.iter().find(|r| {
                r.scenario == scenario && r.kernel == real.kernel && r.srcu == Some(SrcuImpl::Spec)
            });
            let spec = match spec {
                Some(spec) => proof_text(spec),
                None if real.observed.bound == Bound::Exhaustive => "—".to_string(),
                None => "no unbounded proof in the campaign".to_string(),
            };
            let cells = [srcu_name(real.srcu).to_string(), proof_text(real), spec];
            match merged.iter_mut().find(|(_, c)| *c == cells) {
                Some((kernels, _)) => kernels.push(real.kernel.to_string()),
                None => merged.push((vec![real.kernel.to_string()], cells)),
            }
        }
        for (kernels, [srcu, real, spec]) in merged {
            rows.push(vec![
                scenario.to_string(),
                kernels.join(", "),
                srcu,
                real,
                spec,
            ]);
        }
    }
    table(
        &[
            "scenario",
            "kernels",
            "kernel's SRCU",
            "loom on the kernel's SRCU",
            "loom on the SRCU spec",
        ],
        &[],
        &rows,
    )
}
