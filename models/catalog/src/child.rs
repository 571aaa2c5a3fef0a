//! Checks of the catalogue and of scenario files in child processes of `notifier-check`, one
//! check per process, so that a loom abort is that check's result: the parent side (a [`Plan`]
//! handed to `notifier-check __child <plan as JSON>`) and the child side ([`serve`]).

use crate::registry;
use crate::token::ReplayToken;
use notifier_core::KernelVersion;
use notifier_harness::runner::{child, Crash};
use notifier_harness::{CheckSpec, KernelPlan, Outcome, Plan, Run, Target};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// The hidden subcommand of `notifier-check` that runs one plan (its argument, as JSON).
pub const CHILD_COMMAND: &str = "__child";

/// Runs `plan` in a child process of `exe` (this program: the CLI passes
/// `std::env::current_exe()`, tests `env!("CARGO_BIN_EXE_notifier-check")`), killed after
/// `limit` if one is given.
pub fn run_in_child(exe: &Path, plan: &Plan, limit: Option<Duration>) -> Result<Outcome, Crash> {
    let mut command = Command::new(exe);
    command.arg(CHILD_COMMAND);
    child::run(command, plan, limit)
}

/// The plan of a traced check of `target` on `kernel` as `spec` says.
pub fn check_plan(target: Target, kernel: KernelPlan, spec: &CheckSpec) -> Plan {
    Plan {
        target,
        kernel,
        run: Run::Check(spec.clone()),
        traced: true,
        count_traces: false,
    }
}

/// Runs one check of the catalogue in a child process. The caller has checked that the
/// scenario exists for `kernel`.
pub fn check_in_child(
    exe: &Path,
    scenario: &str,
    kernel: KernelVersion,
    spec: &CheckSpec,
) -> Result<Outcome, Crash> {
    let plan = check_plan(
        Target::Catalogue(scenario.to_string()),
        KernelPlan::version(kernel),
        spec,
    );
    run_in_child(exe, &plan, None)
}

/// Runs one check of the catalogue in a child process on `kernel` (its version, with the SRCU
/// and placements it chooses). The caller has checked that the scenario exists for the version.
pub fn check_in_child_on(
    exe: &Path,
    scenario: &str,
    kernel: KernelPlan,
    spec: &CheckSpec,
) -> Result<Outcome, Crash> {
    let plan = check_plan(Target::Catalogue(scenario.to_string()), kernel, spec);
    run_in_child(exe, &plan, None)
}

/// Replays `token` of the catalogue in a child process.
pub fn replay_in_child(exe: &Path, token: &ReplayToken) -> Result<Outcome, Crash> {
    let plan = token.plan(Target::Catalogue(token.scenario.clone()));
    run_in_child(exe, &plan, None)
}

/// Child side: runs `plan` (as JSON) in this process and prints its result line. A plan that
/// does not read, or whose target does not exist, is an error (and no result line).
pub fn serve(plan: &str) -> Result<(), String> {
    let plan: Plan = serde_json::from_str(plan).map_err(|e| format!("unreadable plan: {e}"))?;
    if let Run::Check(spec) = &plan.run {
        spec.validate()?;
    }
    let model = registry::model(&plan.target, &plan.kernel)?;
    child::serve(model, &plan);
    Ok(())
}
