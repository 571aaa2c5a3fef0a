//! One check per child process, so that a checker that aborts the process (loom, on a second
//! panic while it unwinds) is that check's result and the other checks go on.
//!
//! The parent starts a program that reads a [`Plan`] (its last argument, as JSON), runs it
//! in-process ([`serve`]) and prints exactly one kind of line on stdout,
//! `NOTIFIER-CHECK-RESULT <Outcome as JSON>`: at the moment the failing execution panics, or at
//! the end when no execution failed. The parent reads the last such line ([`run`]); if there
//! is none, the child crashed, and the check has no outcome: a [`Crash`].

use crate::check::Checkable;
use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::runner::RunOptions;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use wait_timeout::ChildExt;

/// The prefix of the child's result line.
pub const RESULT_MARKER: &str = "NOTIFIER-CHECK-RESULT";

/// Environment variables the checkers read on their own (loom's `Builder::new`, shuttle's
/// seeded schedulers): a child runs without them, so that a check means what its plan says.
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

/// A check that gave no outcome: its child process died without a result line, could not be
/// started, or was stopped at its time limit. Not a verdict about the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Crash {
    /// Whether the child was stopped at its time limit (else it died or did not start).
    pub timed_out: bool,
    /// What happened, in words (the exit status and the last line on stderr).
    pub message: String,
    /// Wall-clock seconds until then.
    pub seconds: f64,
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Runs `plan` in a child process: `command` (the program and its leading arguments, e.g.
/// `notifier-check __child`) with the plan as its last argument. Returns the outcome of the
/// child's last result line, or the crash if there is none. With a `limit`, the child is killed
/// after that long.
pub fn run(mut command: Command, plan: &Plan, limit: Option<Duration>) -> Result<Outcome, Crash> {
    let start = Instant::now();
    let json = serde_json::to_string(plan)
        .map_err(|e| crash(start, false, format!("its plan does not encode: {e}")))?;
    command
        .arg(json)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    strip_checker_env(&mut command);
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .spawn()
        .map_err(|e| crash(start, false, format!("it could not start ({program}: {e})")))?;
    let output = Output::drain(&mut child);
    let status = match limit {
        None => child.wait().map(Some),
        Some(limit) => child.wait_timeout(limit),
    };
    let status = match status {
        Ok(Some(status)) => status.to_string(),
        Ok(None) => {
            // Our own child, by its handle.
            let _ = child.kill();
            let _ = child.wait();
            return Err(timed_out(start, limit));
        }
        Err(e) => return Err(crash(start, false, format!("waiting for it failed: {e}"))),
    };
    output.outcome(start, &status)
}

/// Removes from `command`'s environment the variables the checkers read on their own.
pub(crate) fn strip_checker_env(command: &mut Command) {
    for var in CHECKER_ENV {
        command.env_remove(var);
    }
}

/// A crash after the time since `start`.
pub(crate) fn crash(start: Instant, timed_out: bool, message: String) -> Crash {
    Crash {
        timed_out,
        message,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The crash of a child stopped at its time limit.
pub(crate) fn timed_out(start: Instant, limit: Option<Duration>) -> Crash {
    let limit = limit.unwrap_or_default().as_secs_f64();
    crash(start, true, format!("it was stopped after {limit} s"))
}

/// A child's stdout and stderr, read to their ends on threads of their own (so that a child
/// writing a lot never blocks on a full pipe).
pub(crate) struct Output {
    stdout: JoinHandle<Vec<u8>>,
    stderr: JoinHandle<Vec<u8>>,
}

impl Output {
    /// Starts reading the child's piped stdout and stderr.
    pub(crate) fn drain(child: &mut std::process::Child) -> Output {
        Output {
            stdout: drain(child.stdout.take()),
            stderr: drain(child.stderr.take()),
        }
    }

    /// Once the child has ended with `status` (in words): the outcome of its last result
    /// line, or the crash if there is none.
    pub(crate) fn outcome(self, start: Instant, status: &str) -> Result<Outcome, Crash> {
        let stdout = String::from_utf8_lossy(&self.stdout.join().unwrap_or_default()).into_owned();
        let result = stdout
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix(RESULT_MARKER));
        if let Some(json) = result {
            return serde_json::from_str(json.trim())
                .map_err(|e| crash(start, false, format!("its result line is unreadable: {e}")));
        }
        let stderr = String::from_utf8_lossy(&self.stderr.join().unwrap_or_default()).into_owned();
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("(nothing)");
        Err(crash(
            start,
            false,
            format!(
                "it ended without a result ({status}); its last line on stderr: {}",
                last.trim()
            ),
        ))
    }
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Child side: runs `plan`'s check or replay of `model` in this process; its outcome is printed
/// as the result line (at the first failure, or at the end).
pub fn serve(model: Arc<dyn Checkable>, plan: &Plan) {
    let options = RunOptions {
        traced: plan.traced,
        result_line: true,
        count_traces: plan.count_traces,
    };
    model.run(&plan.run, &options);
}

/// Prints `outcome` as the result line.
pub(crate) fn print_result_line(outcome: &Outcome) {
    // An `Outcome` always encodes; if it did not, the parent would report the missing line.
    let Ok(json) = serde_json::to_string(outcome) else {
        return;
    };
    let mut out = std::io::stdout().lock();
    // Nothing to do if stdout is gone: the parent reports the missing line.
    let _ = writeln!(out, "{RESULT_MARKER} {json}");
    let _ = out.flush();
}
