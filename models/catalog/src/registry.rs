//! The catalogue by name: looking a scenario up, its default budgets, and running one of its
//! checks (or replays) in this process with the replay command named.

use crate::scenario::Scenario;
use crate::scenarios::catalog;
use crate::token::ReplayToken;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::runner::CheckerReplay;
use notifier_harness::{CheckSpec, CheckerKind, Outcome};

/// The shuttle seed when none is given: fixed, so that a check is the same on every run.
pub const DEFAULT_SEED: u64 = 1;

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
pub fn srcu(scenario: &Scenario, kernel: KernelVersion) -> Option<SrcuImpl> {
    (scenario.build)(kernel).srcu()
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

/// Runs one check of the catalogue in this process. A failing outcome carries the full
/// `notifier-check replay` command.
pub fn check(id: &str, kernel: KernelVersion, spec: &CheckSpec) -> Result<Outcome, String> {
    let s = target(id, kernel)?;
    let model = (s.build)(kernel);
    Ok(with_command(model.check(spec), id, kernel))
}

/// Replays `token` in this process.
pub fn replay(token: &ReplayToken) -> Result<Outcome, String> {
    let s = target(&token.scenario, token.kernel)?;
    let model = (s.build)(token.kernel);
    let outcome = model.replay(&token.checker);
    Ok(with_command(outcome, &token.scenario, token.kernel))
}

/// `outcome` with its replay (the checker's part of the token) turned into the full
/// `notifier-check replay` command of scenario `id` on `kernel`.
pub(crate) fn with_command(mut outcome: Outcome, id: &str, kernel: KernelVersion) -> Outcome {
    outcome.replay = outcome
        .replay
        .map(|part| match part.parse::<CheckerReplay>() {
            Ok(checker) => ReplayToken {
                scenario: id.to_string(),
                kernel,
                checker,
            }
            .command(),
            // The runner only makes tokens it can parse back.
            Err(_) => part,
        });
    outcome
}
