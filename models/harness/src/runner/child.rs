//! One check per child process, so that a checker that aborts the process (loom, on a second
//! panic while it unwinds) is reported as that check's result and the other checks go on.
//!
//! The parent runs a program that runs the check in-process and prints exactly one line,
//! `NOTIFIER-CHECK-RESULT <Outcome as JSON>`, on stdout: from the panic hook, at the moment
//! the failing execution panics, or at the end when no execution failed. The parent reads the
//! last such line; if there is none, the child died, and that is the check's result.

use crate::check::{Outcome, Verdict};
use notifier_core::{Violation, ViolationKind};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Set by [`serve`]: this process is a child check, and prints its result line.
static CHILD_MODE: AtomicBool = AtomicBool::new(false);
static EMITTED: AtomicBool = AtomicBool::new(false);

/// Runs `exe` with `args` as a child check and returns the outcome of its result line (a child
/// that died without one is reported as a `panic` of the check's process).
pub fn run(exe: &Path, args: &[String], bound: String) -> Outcome {
    // Without a time limit the child always finishes.
    run_limited(exe, args, bound, None).unwrap_or_else(|| unreachable!("no time limit"))
}

/// Runs the child; `None` if it was still running after `limit` and was killed.
pub fn run_limited(
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

/// Child side: marks this process as a child check (its result line is printed by the panic
/// hook at the first failure, or by [`emit`] at the end).
pub fn serve() {
    CHILD_MODE.store(true, Ordering::Relaxed);
}

/// Prints the result line, once per process, in a child (the panic hook calls this at the
/// first panic of a failing execution, the child's main at the end).
pub fn emit(outcome: &Outcome) {
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
