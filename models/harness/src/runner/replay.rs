//! The checker's part of a replay token: the readable string that finds a failing execution of a
//! model again (the catalogue prefixes it with the scenario and kernel). It is
//! - `loom/pb=<N>/exec=<E>` or `loom/unbounded/exec=<E>`: loom's exploration is deterministic,
//!   so the replay runs the same exploration again (same bound) and must fail at execution `E`
//!   again, with the same violation;
//! - `shuttle-random/<schedule>` or `shuttle-pct/<schedule>`: the failing execution's schedule,
//!   as shuttle's own serializer encodes it (hex, one line), run once by shuttle's
//!   `ReplayScheduler`.

use super::hook;
use crate::check::{CheckSpec, CheckerKind};
use shuttle_engine::scheduler::serialization::{deserialize_schedule, serialize_schedule};
use shuttle_engine::scheduler::Schedule;
use std::fmt;
use std::str::FromStr;

/// How one checker finds a failing execution again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckerReplay {
    /// Run loom's exploration again with `preemption_bound` (`None`: unbounded); it fails at
    /// execution number `execution` (counted from 1).
    Loom {
        /// loom's preemption bound.
        preemption_bound: Option<usize>,
        /// The failing execution's number.
        execution: u64,
    },
    /// Run one shuttle execution that follows `schedule`.
    Shuttle {
        /// The shuttle checker that found it (`shuttle-random` or `shuttle-pct`).
        checker: CheckerKind,
        /// The schedule, encoded by shuttle's serializer (lower-case hex, no line breaks).
        schedule: String,
    },
}

impl CheckerReplay {
    /// The checker this replay runs.
    pub fn checker(&self) -> CheckerKind {
        match self {
            CheckerReplay::Loom { .. } => CheckerKind::Loom,
            CheckerReplay::Shuttle { checker, .. } => *checker,
        }
    }

    /// The check to run: for loom the original exploration; for shuttle one execution, which
    /// follows the recorded schedule.
    pub fn spec(&self) -> CheckSpec {
        CheckSpec {
            checker: self.checker(),
            preemption_bound: match self {
                CheckerReplay::Loom {
                    preemption_bound, ..
                } => *preemption_bound,
                CheckerReplay::Shuttle { .. } => None,
            },
            iterations: 1,
            seed: 0,
            pct_depth: 1,
        }
    }

    /// The decoded shuttle schedule (`None` for loom).
    pub(crate) fn schedule(&self) -> Option<Schedule> {
        match self {
            CheckerReplay::Loom { .. } => None,
            // Validated when the token was made or parsed.
            CheckerReplay::Shuttle { schedule, .. } => decode_schedule(schedule).ok(),
        }
    }
}

impl fmt::Display for CheckerReplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckerReplay::Loom {
                preemption_bound: Some(pb),
                execution,
            } => {
                write!(f, "loom/pb={pb}/exec={execution}")
            }
            CheckerReplay::Loom {
                preemption_bound: None,
                execution,
            } => {
                write!(f, "loom/unbounded/exec={execution}")
            }
            CheckerReplay::Shuttle { checker, schedule } => write!(f, "{checker}/{schedule}"),
        }
    }
}

impl FromStr for CheckerReplay {
    type Err = String;

    /// Parses `loom/pb=N/exec=E`, `loom/unbounded/exec=E` or `shuttle-{random,pct}/<schedule>`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (checker, rest) = s.split_once('/').ok_or_else(|| {
            format!("'{s}' has no schedule: expected <checker>/<schedule or loom bound>")
        })?;
        match checker.parse::<CheckerKind>()? {
            CheckerKind::Loom => parse_loom(rest),
            checker => {
                decode_schedule(rest)?;
                Ok(CheckerReplay::Shuttle {
                    checker,
                    schedule: rest.to_ascii_lowercase(),
                })
            }
        }
    }
}

fn parse_loom(rest: &str) -> Result<CheckerReplay, String> {
    let usage = "a loom replay is loom/pb=<N>/exec=<E> or loom/unbounded/exec=<E>";
    let (bound, exec) = rest
        .split_once('/')
        .ok_or_else(|| format!("'{rest}': {usage}"))?;
    let preemption_bound = match bound {
        "unbounded" => None,
        b => Some(
            b.strip_prefix("pb=")
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("'{bound}' is not a loom bound: {usage}"))?,
        ),
    };
    let execution = exec
        .strip_prefix("exec=")
        .and_then(|n| n.parse().ok())
        .filter(|&n: &u64| n > 0)
        .ok_or_else(|| format!("'{exec}' is not an execution number: {usage}"))?;
    Ok(CheckerReplay::Loom {
        preemption_bound,
        execution,
    })
}

/// Decodes a schedule encoded by shuttle's serializer, rejecting anything it would not have
/// produced. shuttle's decoder panics on some malformed input, so it runs under
/// [`hook::quietly`]; the result is encoded again and must give back the input.
fn decode_schedule(encoded: &str) -> Result<Schedule, String> {
    let bad = |why: &str| format!("'{}' is not a shuttle schedule: {why}", abbreviate(encoded));
    if encoded.is_empty() {
        return Err(bad("it is empty"));
    }
    let hex_bytes = encoded.as_bytes().chunks(2);
    if !hex_bytes
        .clone()
        .all(|pair| pair.len() == 2 && pair.iter().all(u8::is_ascii_hexdigit))
    {
        return Err(bad("a schedule is an even number of hex digits"));
    }
    let schedule = hook::quietly(|| deserialize_schedule(encoded))
        .flatten()
        .ok_or_else(|| bad("it does not decode"))?;
    if serialize_schedule(&schedule).replace('\n', "") != encoded.to_ascii_lowercase() {
        return Err(bad("it has bytes past the end of the schedule"));
    }
    Ok(schedule)
}

/// `s`, or its first characters and its length when it is long (a livelock's schedule runs to
/// thousands of characters).
pub fn abbreviate(s: &str) -> String {
    const KEEP: usize = 48;
    match s.char_indices().nth(KEEP) {
        Some((end, _)) => format!("{}… ({} characters)", &s[..end], s.chars().count()),
        None => s.to_string(),
    }
}
