//! One check per child process, for checks written in a test: the test binary is run again,
//! the way `rusty-fork` does it (with `rusty-fork` itself), and the run stops at the check.
//!
//! The parent starts the test binary with libtest's arguments for this one test
//! (`--exact <test> --test-threads 1`), the plan of the check in its environment, and
//! `rusty-fork`'s marker of the check. The child runs the test function from its start; at
//! the check, it finds the marker and runs the plan in-process (it compares the plan with the
//! one it would have made itself, to refuse a test that does not reach its checks the same way
//! every time), prints the result line (`NOTIFIER-CHECK-RESULT {outcome as JSON}`, at the
//! failing execution's panic already: a loom abort afterwards loses nothing) and exits. The
//! parent reads the last result line from the child's stdout; stdout and stderr go nowhere
//! else, so nothing the checkers print reaches the test's output. A child that ends without a
//! result line (a loom abort before its first failure, a time limit) is a [`Crash`]: the
//! check's result, and the test binary goes on.
//!
//! A test with several checks would make the child of its last check run every earlier check
//! again: the parent passes the outcomes it already has (a JSON file named in the child's
//! environment), and an earlier check in the child returns its outcome from there. Outside a
//! test (an example's `main`, a doctest), the program is run again with its own arguments.
//! On a thread with no name (a thread the test spawned), where the test cannot be named, the
//! check runs in-process, and its report says so.

use crate::builder::Isolation;
use crate::closure;
use crate::model::Model;
use crate::outcome::Outcome;
use crate::plan::Plan;
use crate::runner::child::{self, Crash, Output};
use crate::runner::RunOptions;
use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Write;
use std::panic::Location;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The plan the parent started the child for (JSON).
const PLAN_VAR: &str = "NOTIFIER_HARNESS_CHILD_PLAN";
/// A file of the outcomes the parent already has, by check site (JSON).
const KNOWN_VAR: &str = "NOTIFIER_HARNESS_CHILD_KNOWN";

thread_local! {
    /// How many checks were made at each place in the code, in this run of the test.
    static SITES: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
    /// The outcomes of this run of the test's checks so far, by site (in a child, first those
    /// its parent passed on).
    static KNOWN: RefCell<Option<Vec<(String, Outcome)>>> = const { RefCell::new(None) };
}

/// The check's site: where it is written, and which of the checks made there in this run of
/// the test it is (a check in a loop is made several times): `tests/cfg.rs:12:5`, then
/// `tests/cfg.rs:12:5 (#2)`.
pub(crate) fn site(at: &'static Location<'static>) -> String {
    let place = format!("{}:{}:{}", at.file(), at.line(), at.column());
    let n = SITES.with(|s| {
        let mut s = s.borrow_mut();
        let n = s.entry(place.clone()).or_insert(0);
        *n += 1;
        *n
    });
    if n == 1 {
        place
    } else {
        format!("{place} (#{n})")
    }
}

fn with_known<R>(f: impl FnOnce(&mut Vec<(String, Outcome)>) -> R) -> R {
    KNOWN.with(|k| {
        let mut k = k.borrow_mut();
        let known = k.get_or_insert_with(|| {
            std::env::var_os(KNOWN_VAR)
                .and_then(|path| std::fs::read(path).ok())
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or_default()
        });
        f(known)
    })
}

/// Remembers the outcome of the check at `site`, for the children of later checks.
pub(crate) fn remember(site: &str, outcome: &Outcome) {
    with_known(|k| {
        if !k.iter().any(|(s, _)| s == site) {
            k.push((site.to_string(), outcome.clone()));
        }
    });
}

/// What runs this code: a libtest test (its name), a program's `main`, or another thread.
enum Context {
    Test(String),
    Main,
    Unnamed,
}

fn context() -> Context {
    match std::thread::current().name() {
        Some("main") => Context::Main,
        Some(test) => Context::Test(test.to_string()),
        None => Context::Unnamed,
    }
}

/// Runs `plan` of `model` (the check at `site`) in a child process, or returns the outcome a
/// parent already had for it. Returns the result and where it ran.
pub(crate) fn run<M: Model>(
    site: &str,
    plan: &Plan,
    model: Arc<M>,
    limit: Option<Duration>,
) -> (Result<Outcome, Crash>, Isolation) {
    if let Some(outcome) = with_known(|k| k.iter().find(|(s, _)| s == site).map(|(_, o)| o.clone()))
    {
        return (Ok(outcome), Isolation::Process);
    }
    let test = match context() {
        Context::Test(name) => Some(name),
        Context::Main => None,
        Context::Unnamed => {
            let outcome = closure::in_process(model, &plan.run, &RunOptions::default());
            return (Ok(outcome), Isolation::InProcess);
        }
    };
    let start = Instant::now();
    (
        fork(site, plan, model, test, limit, start),
        Isolation::Process,
    )
}

fn fork<M: Model>(
    site: &str,
    plan: &Plan,
    model: Arc<M>,
    test: Option<String>,
    limit: Option<Duration>,
    start: Instant,
) -> Result<Outcome, Crash> {
    let crash = |message: String| child::crash(start, false, message);
    let json =
        serde_json::to_string(plan).map_err(|e| crash(format!("its plan does not encode: {e}")))?;
    let known = known_file().map_err(|e| crash(format!("its parent's outcomes: {e}")))?;
    let is_test = test.is_some();
    let forked = rusty_fork::fork(
        test.as_deref().unwrap_or("main"),
        site,
        |command| {
            if !is_test {
                // Not a libtest binary: run the program again with its own arguments.
                *command = again(command);
            }
            command
                .env(PLAN_VAR, &json)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            match &known {
                Some(file) => command.env(KNOWN_VAR, file.path()),
                None => command.env_remove(KNOWN_VAR),
            };
            child::strip_checker_env(command);
        },
        |child, _| {
            let output = Output::drain(child.inner_mut());
            let status = match limit {
                None => child.wait().map(Some),
                Some(limit) => child.wait_timeout(limit),
            };
            match status {
                Ok(Some(status)) => output.outcome(start, &describe(&status)),
                // rusty-fork kills the child when this returns.
                Ok(None) => Err(child::timed_out(start, limit)),
                Err(e) => Err(crash(format!("waiting for it failed: {e}"))),
            }
        },
        || serve(site, plan, model),
    );
    forked.unwrap_or_else(|e| Err(crash(format!("it could not start: {e}"))))
}

/// Child side: runs the plan its parent passed, if it is this check's.
fn serve<M: Model>(site: &str, plan: &Plan, model: Arc<M>) {
    let parents = std::env::var(PLAN_VAR)
        .map_err(|e| e.to_string())
        .and_then(|json| serde_json::from_str::<Plan>(&json).map_err(|e| e.to_string()));
    match parents {
        Ok(parents) if parents == *plan => {
            let options = RunOptions {
                traced: plan.traced,
                result_line: true,
                count_traces: plan.count_traces,
            };
            closure::in_process(model, &plan.run, &options);
        }
        Ok(_) => eprintln!(
            "notifier-harness: the child process reached another check at {site} than its \
             parent started: the test does not reach its checks the same way every run"
        ),
        Err(e) => {
            eprintln!("notifier-harness: the child process has no plan from its parent ({e})")
        }
    }
}

/// The outcomes this run of the test has so far, in a file for a child (none if there are
/// none). The file is removed when the returned handle is dropped.
fn known_file() -> std::io::Result<Option<tempfile::NamedTempFile>> {
    let known = with_known(|k| (!k.is_empty()).then(|| serde_json::to_vec(k)));
    let Some(json) = known else {
        return Ok(None);
    };
    let json = json.map_err(std::io::Error::other)?;
    let mut file = tempfile::NamedTempFile::new()?;
    file.write_all(&json)?;
    file.flush()?;
    Ok(Some(file))
}

/// `command` (rusty-fork's, for a libtest binary) as this program with its own arguments, the
/// environment changes rusty-fork made kept.
fn again(command: &Command) -> Command {
    let mut again = Command::new(command.get_program());
    again.args(std::env::args_os().skip(1));
    for (var, value) in command.get_envs() {
        match value {
            Some(value) => again.env(var, value),
            None => again.env_remove(var),
        };
    }
    again
}

/// An exit status in words.
fn describe(status: &rusty_fork::ExitStatusWrapper) -> String {
    match (status.code(), status.unix_signal()) {
        (Some(code), _) => format!("exit status: {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "no exit status".to_string(),
    }
}
