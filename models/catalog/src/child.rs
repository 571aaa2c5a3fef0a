//! Catalogue checks in child processes of `notifier-check` (`__child`), one check per process,
//! so that a loom abort is that check's result: the parent side (the arguments) and the child
//! side (running the check and printing its result line).

use crate::fuzz::DataModel;
use crate::registry::{self, with_command};
use crate::token::ReplayToken;
use notifier_core::KernelVersion;
use notifier_core::{ReleaseUnlock, UnregisterUnlock};
use notifier_harness::runner::child::{emit, run, run_limited, serve};
use notifier_harness::runner::{self as runner, bound_text};
use notifier_harness::{CheckSpec, Outcome};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Runs one check in a child process (`exe` is this program: the CLI passes
/// `std::env::current_exe()`, tests `env!("CARGO_BIN_EXE_notifier-check")`). The caller has
/// checked that the scenario exists for `kernel`.
pub fn check_in_child(
    exe: &Path,
    scenario: &str,
    kernel: KernelVersion,
    spec: &CheckSpec,
) -> Outcome {
    let args = check_args(scenario, kernel, spec);
    with_command(run(exe, &args, bound_text(spec)), scenario, kernel)
}

/// What `explore-orderings` and `bench` change about a catalogue check run in a child.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildOptions {
    /// Places `__mmu_notifier_release`'s `srcu_read_unlock` here, whatever the kernel version
    /// says (in every scenario that takes its kernel configuration from the version).
    pub release_unlock: Option<ReleaseUnlock>,
    /// The same for `mmu_notifier_unregister`'s `srcu_read_unlock`.
    pub unregister_unlock: Option<UnregisterUnlock>,
    /// Runs every execution with tracing and oracles off ([`notifier_core::Execution::untraced`]).
    pub untraced: bool,
    /// Kills the child after this long.
    pub time_limit: Option<Duration>,
}

/// Runs one check in a child process, changed as `options` say; `None` when the child was
/// killed at its time limit.
pub fn check_in_child_with(
    exe: &Path,
    scenario: &str,
    kernel: KernelVersion,
    spec: &CheckSpec,
    options: &ChildOptions,
) -> Option<Outcome> {
    let mut args = check_args(scenario, kernel, spec);
    if let Some(p) = options.release_unlock {
        args.extend(["--release-unlock".to_string(), p.name().to_string()]);
    }
    if let Some(p) = options.unregister_unlock {
        args.extend(["--unregister-unlock".to_string(), p.name().to_string()]);
    }
    if options.untraced {
        args.push("--untraced".to_string());
    }
    run_limited(exe, &args, bound_text(spec), options.time_limit)
        .map(|o| with_command(o, scenario, kernel))
}

fn check_args(scenario: &str, kernel: KernelVersion, spec: &CheckSpec) -> Vec<String> {
    child_args(["--scenario", scenario], kernel, spec)
}

/// The arguments of a `__child` check of `target` (`--scenario ID` or `--scenario-file F`).
fn child_args(target: [&str; 2], kernel: KernelVersion, spec: &CheckSpec) -> Vec<String> {
    let mut args: Vec<String> = ["__child", target[0], target[1], "--kernel", kernel.as_str()]
        .map(String::from)
        .to_vec();
    args.extend(["--checker".to_string(), spec.checker.to_string()]);
    if let Some(pb) = spec.preemption_bound {
        args.extend(["--preemption-bound".to_string(), pb.to_string()]);
    }
    args.extend(["--iterations".to_string(), spec.iterations.to_string()]);
    args.extend(["--seed".to_string(), spec.seed.to_string()]);
    args.extend(["--pct-depth".to_string(), spec.pct_depth.to_string()]);
    args
}

/// Runs one check of the scenario file `file` in a child process. The outcome's replay is the
/// checker's part of the token (see [`crate::fuzz::engine::file_token`]).
pub fn check_file_in_child(
    exe: &Path,
    file: &Path,
    kernel: KernelVersion,
    spec: &CheckSpec,
) -> Outcome {
    let args = child_args(
        ["--scenario-file", &file.display().to_string()],
        kernel,
        spec,
    );
    run(exe, &args, bound_text(spec))
}

/// Replays `token` (whose scenario part is `file`) on the scenario file `file` in a child
/// process.
pub fn replay_file_in_child(exe: &Path, file: &Path, token: &ReplayToken) -> Outcome {
    let args = [
        "__child".to_string(),
        "--scenario-file".to_string(),
        file.display().to_string(),
        "--replay".to_string(),
        token.to_string(),
    ];
    run(exe, &args, format!("replay of {}", token.short()))
}

/// Replays `token` in a child process.
pub fn replay_in_child(exe: &Path, token: &ReplayToken) -> Outcome {
    let args = [
        "__child".to_string(),
        "--replay".to_string(),
        token.to_string(),
    ];
    let outcome = run(exe, &args, format!("replay of {token}"));
    with_command(outcome, &token.scenario, token.kernel)
}

/// Child side: runs one check of the catalogue in this process and prints its result line.
pub fn serve_check(scenario: &str, kernel: KernelVersion, spec: &CheckSpec) -> Result<(), String> {
    serve();
    let outcome = registry::check(scenario, kernel, spec)?;
    emit(&outcome);
    Ok(())
}

/// Child side: replays `token` in this process and prints its result line.
pub fn serve_replay(token: &ReplayToken) -> Result<(), String> {
    serve();
    let outcome = registry::replay(token)?;
    emit(&outcome);
    Ok(())
}

/// Child side: runs one check of the scenario file `file` in this process and prints its
/// result line.
pub fn serve_check_file(
    file: &Path,
    kernel: KernelVersion,
    spec: &CheckSpec,
) -> Result<(), String> {
    let model = DataModel::new(crate::fuzz::load(file, kernel)?);
    serve();
    let outcome = runner::check_in_process(Arc::new(model), spec);
    emit(&outcome);
    Ok(())
}

/// Child side: replays `token` on the scenario file `file` in this process and prints its
/// result line.
pub fn serve_replay_file(file: &Path, token: &ReplayToken) -> Result<(), String> {
    let model = DataModel::new(crate::fuzz::load(file, token.kernel)?);
    serve();
    let outcome = runner::replay_in_process(Arc::new(model), &token.checker);
    emit(&outcome);
    Ok(())
}
