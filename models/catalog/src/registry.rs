//! The catalogue by name: looking a scenario up, its default budgets, and the model a plan's
//! target stands for.

use crate::fuzz::DataModel;
use crate::scenario::Scenario;
use crate::scenarios::catalog;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::{CheckSpec, Checkable, CheckerKind, KernelPlan, Target};
use std::sync::Arc;

/// The shuttle seed when none is given: fixed, so that a check is the same on every run.
pub const DEFAULT_SEED: u64 = 1;

/// The catalogue's scenarios a command selects, each with the kernels it selects: only
/// `scenarios` (every one when empty; an unknown id is an error) and only `kernels` (every one
/// the scenario runs on when empty), in catalogue order.
pub fn selected(
    scenarios: &[String],
    kernels: &[KernelVersion],
) -> Result<Vec<(Scenario, Vec<KernelVersion>)>, String> {
    for id in scenarios {
        in_catalog(id)?;
    }
    Ok(catalog()
        .into_iter()
        .filter(|s| scenarios.is_empty() || scenarios.iter().any(|id| id == s.id))
        .map(|s| {
            let on: Vec<KernelVersion> = s
                .kernels
                .iter()
                .copied()
                .filter(|k| kernels.is_empty() || kernels.contains(k))
                .collect();
            (s, on)
        })
        .collect())
}

/// The scenario called `id`.
pub fn scenario(id: &str) -> Result<Scenario, String> {
    let mut all = catalog();
    // The bench's sized variants: checkable by name, not in the campaign.
    all.extend(crate::scenarios::notifier::sized::catalog());
    if let Some(i) = all.iter().position(|s| s.id == id) {
        return Ok(all.swap_remove(i));
    }
    let known: Vec<&str> = all.iter().map(|s| s.id).collect();
    Err(if known.is_empty() {
        format!("unknown scenario '{id}' (the catalogue is empty)")
    } else {
        format!("unknown scenario '{id}' (known: {})", known.join(", "))
    })
}

/// Checks that `id` names a scenario of the catalogue (the campaign's), not only a bench
/// variant.
pub fn in_catalog(id: &str) -> Result<(), String> {
    scenario(id)?;
    if catalog().iter().any(|s| s.id == id) {
        Ok(())
    } else {
        Err(format!(
            "scenario {id} is a bench variant, not part of the catalogue (run it with `check`)"
        ))
    }
}

/// The scenario called `id`, if it is defined for `kernel`.
pub fn target(id: &str, kernel: KernelVersion) -> Result<Scenario, String> {
    let s = scenario(id)?;
    if !s.kernels.contains(&kernel) {
        let defined: Vec<&str> = s.kernels.iter().map(|k| k.as_str()).collect();
        return Err(format!(
            "scenario {id} is not defined for {kernel} (it is for {})",
            defined.join(", ")
        ));
    }
    Ok(s)
}

/// The SRCU implementation `scenario` runs on `kernel` (classic on v3.16 and v3.17, Tree on
/// v5.4, unless the scenario says otherwise), or `None` if it runs no SRCU.
pub fn srcu(scenario: &Scenario, kernel: KernelPlan) -> Option<SrcuImpl> {
    scenario.model(&kernel).srcu()
}

/// The check of `scenario` on `kernel` with `checker` under the scenario's default budget.
pub fn default_spec(scenario: &Scenario, kernel: KernelVersion, checker: CheckerKind) -> CheckSpec {
    let budget = (scenario.budget)(kernel, checker);
    CheckSpec {
        checker,
        preemption_bound: budget.preemption_bound,
        iterations: budget.iterations,
        seed: DEFAULT_SEED,
        pct_depth: budget.pct_depth,
    }
}

/// The model `target` stands for, on `kernel`: a catalogue scenario defined for the kernel's
/// version, or a scenario file valid on it.
pub fn model(target: &Target, kernel: &KernelPlan) -> Result<Arc<dyn Checkable>, String> {
    match target {
        Target::Catalogue(id) => Ok(self::target(id, kernel.version)?.model(kernel)),
        Target::File(path) => {
            let scenario = crate::fuzz::load(path, kernel.version)?;
            Ok(Arc::new(DataModel::new(scenario, kernel.config())))
        }
        Target::Check(site) => Err(format!(
            "the check at {site} is a test's own: only its test binary can run it"
        )),
    }
}
