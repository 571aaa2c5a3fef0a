//! One check per child process, so that a checker that aborts the process (loom, on a second
//! panic while it unwinds) is reported as that check's result and the other checks go on.
//!
//! The parent runs `notifier-check __child --scenario S --kernel K --checker C [budget]` (or
//! `__child --replay TOKEN`). The child runs the check in-process and prints exactly one line,
//! `NOTIFIER-CHECK-RESULT <Outcome as JSON>`, on stdout: from the panic hook, at the moment
//! the failing execution panics, or at the end when no execution failed. The parent reads the
//! last such line; if there is none, the child died, and that is the check's result.

use super::replay::ReplayToken;
use crate::fuzz::DataModel;
use crate::kernel::KernelVersion;
use crate::registry;
use crate::scenario::{CheckSpec, Outcome, Verdict};
use notifier_core::{ReleaseUnlock, UnregisterUnlock};
use notifier_core::{Violation, ViolationKind};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The prefix of the child's result line.
pub const RESULT_MARKER: &str = "NOTIFIER-CHECK-RESULT";

/// Environment variables the checkers read on their own (loom's `Builder::new`, shuttle's
/// seeded schedulers): a child runs without them, so that a check means what its arguments say.
const CHECKER_ENV: [&str; 10] = [
    "LOOM_MAX_BRANCHES",
    "LOOM_MAX_PREEMPTIONS",
    "LOOM_MAX_DURATION",
    "LOOM_MAX_PERMUTATIONS",
    "LOOM_CHECKPOINT_FILE",
    "LOOM_CHECKPOINT_INTERVAL",
    "LOOM_LOCATION",
    "LOOM_LOG",
    "SHUTTLE_RANDOM_SEED",
    "SHUTTLE_ALWAYS_PERSIST_SEED",
];

static CHILD_MODE: AtomicBool = AtomicBool::new(false);
static EMITTED: AtomicBool = AtomicBool::new(false);

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
    run(exe, &args, super::bound_text(spec))
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
    run_limited(exe, &args, super::bound_text(spec), options.time_limit)
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
    run(exe, &args, super::bound_text(spec))
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
    run(exe, &args, format!("replay of {token}"))
}

fn run(exe: &Path, args: &[String], bound: String) -> Outcome {
    // Without a time limit the child always finishes.
    run_limited(exe, args, bound, None).unwrap_or_else(|| unreachable!("no time limit"))
}

/// Runs the child; `None` if it was still running after `limit` and was killed.
fn run_limited(
    exe: &Path,
    args: &[String],
    bound: String,
    limit: Option<Duration>,
) -> Option<Outcome> {
    let start = Instant::now();
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in CHECKER_ENV {
        cmd.env_remove(var);
    }
    let died = |message: String| Outcome {
        observed: Verdict::Violation,
        violation: Some(Violation {
            kind: ViolationKind::Panic,
            object: None,
            function: "the check's process".to_string(),
            site: String::new(),
            thread: String::new(),
            step: None,
            message,
        }),
        executions: 0,
        bound: bound.clone(),
        seconds: start.elapsed().as_secs_f64(),
        trace: Vec::new(),
        replay: None,
    };
    let output = match limit {
        None => cmd.output().map(Some),
        Some(limit) => output_within(cmd, limit),
    };
    let output = match output {
        Ok(Some(output)) => output,
        Ok(None) => return None,
        Err(e) => return Some(died(format!("it could not start ({}: {e})", exe.display()))),
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result = stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix(RESULT_MARKER));
    if let Some(json) = result {
        return Some(
            serde_json::from_str(json.trim())
                .unwrap_or_else(|e| died(format!("its result line is unreadable: {e}"))),
        );
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing)");
    Some(died(format!(
        "it ended without a result ({}); its last line on stderr: {}",
        output.status,
        last.trim()
    )))
}

/// `cmd.output()`, but the child is killed after `limit` (`Ok(None)`).
fn output_within(mut cmd: Command, limit: Duration) -> std::io::Result<Option<Output>> {
    let mut child = cmd.spawn()?;
    // Drain both pipes on threads, so that a child writing a lot never blocks on them.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= deadline {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(status.map(|status| Output {
        status,
        stdout,
        stderr,
    }))
}

/// Child side: runs one check of the catalogue in this process and prints its result line.
pub fn serve_check(scenario: &str, kernel: KernelVersion, spec: &CheckSpec) -> Result<(), String> {
    CHILD_MODE.store(true, Ordering::Relaxed);
    let outcome = registry::check(scenario, kernel, spec)?;
    emit(&outcome);
    Ok(())
}

/// Child side: replays `token` in this process and prints its result line.
pub fn serve_replay(token: &ReplayToken) -> Result<(), String> {
    CHILD_MODE.store(true, Ordering::Relaxed);
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
    CHILD_MODE.store(true, Ordering::Relaxed);
    let outcome = super::check_in_process(Arc::new(model), spec);
    emit(&outcome);
    Ok(())
}

/// Child side: replays `token` on the scenario file `file` in this process and prints its
/// result line.
pub fn serve_replay_file(file: &Path, token: &ReplayToken) -> Result<(), String> {
    let model = DataModel::new(crate::fuzz::load(file, token.kernel)?);
    CHILD_MODE.store(true, Ordering::Relaxed);
    let outcome = super::replay_in_process(Arc::new(model), &token.checker);
    emit(&outcome);
    Ok(())
}

/// Prints the result line, once per process, in a child (the panic hook calls this at the
/// first panic of a failing execution, the child's main at the end).
pub(crate) fn emit(outcome: &Outcome) {
    if !CHILD_MODE.load(Ordering::Relaxed) || EMITTED.swap(true, Ordering::Relaxed) {
        return;
    }
    // An `Outcome` always encodes; if it did not, the parent would report the missing line.
    let Ok(json) = serde_json::to_string(outcome) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    // Nothing to do if stdout is gone: the parent reports the missing line.
    let _ = writeln!(out, "{RESULT_MARKER} {json}");
    let _ = out.flush();
}
