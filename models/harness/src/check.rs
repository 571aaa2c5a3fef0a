//! The vocabulary of a check: the checkers, what a check is expected to show, how to run it,
//! and what it observed.

use crate::runner::CheckerReplay;
use notifier_core::{TraceLine, Violation, ViolationKind};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// A checker: an exploration strategy over one backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CheckerKind {
    /// loom: exhaustive (optionally preemption-bounded), C11 memory model minus load buffering.
    #[serde(rename = "loom")]
    Loom,
    /// shuttle with its random scheduler.
    #[serde(rename = "shuttle-random")]
    ShuttleRandom,
    /// shuttle with PCT (probabilistic concurrency testing).
    #[serde(rename = "shuttle-pct")]
    ShuttlePct,
}

impl CheckerKind {
    /// Every checker.
    pub const ALL: [CheckerKind; 3] = [
        CheckerKind::Loom,
        CheckerKind::ShuttleRandom,
        CheckerKind::ShuttlePct,
    ];

    /// `loom`, `shuttle-random`, `shuttle-pct`.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckerKind::Loom => "loom",
            CheckerKind::ShuttleRandom => "shuttle-random",
            CheckerKind::ShuttlePct => "shuttle-pct",
        }
    }
}

impl fmt::Display for CheckerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CheckerKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CheckerKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("unknown checker '{s}' (known: loom, shuttle-random, shuttle-pct)")
            })
    }
}

/// A verdict: what a check showed, or what it is expected to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every explored execution satisfied every oracle.
    Safe,
    /// An execution violated a property.
    Violation,
    /// An execution could not make progress.
    Deadlock,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Safe => "safe",
            Verdict::Violation => "violation",
            Verdict::Deadlock => "deadlock",
        })
    }
}

/// The violation a failing check must report: its kind, and where (a check that fails
/// elsewhere, or for another reason, does not match).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedViolation {
    /// The kind.
    pub kind: ViolationKind,
    /// The kernel function it must be reported in; `a|b` accepts either, for scenarios whose
    /// first failing execution may legitimately be found in more than one thread.
    pub function: &'static str,
    /// The innermost operation, if it matters.
    pub site: Option<&'static str>,
    /// The object, if it matters ("notifier A"); `a|b` accepts either, for scenarios in
    /// which either of two objects may be the one the violation concerns.
    pub object: Option<&'static str>,
}

impl ExpectedViolation {
    /// Whether `v` is this violation.
    pub fn matches(&self, v: &Violation) -> bool {
        v.kind == self.kind
            && self.function.split('|').any(|f| v.function == f)
            && self.site.is_none_or(|s| v.site == s)
            && self
                .object
                .is_none_or(|o| o.split('|').any(|o| v.object.as_deref() == Some(o)))
    }
}

/// What one scenario × kernel × checker is expected to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// The verdict.
    pub verdict: Verdict,
    /// For a violation or a deadlock: which, and where.
    pub violation: Option<ExpectedViolation>,
    /// When the checker cannot see the property: why (the verdict is then what it does
    /// observe, usually `safe`, and the check asserts exactly that).
    pub blind: Option<&'static str>,
}

impl Expectation {
    /// Expected safe.
    pub fn safe() -> Self {
        Expectation {
            verdict: Verdict::Safe,
            violation: None,
            blind: None,
        }
    }

    /// Expected to fail with `v`.
    pub fn violation(v: ExpectedViolation) -> Self {
        let verdict = if v.kind == ViolationKind::Deadlock {
            Verdict::Deadlock
        } else {
            Verdict::Violation
        };
        Expectation {
            verdict,
            violation: Some(v),
            blind: None,
        }
    }

    /// The checker cannot see the property, for `reason`; it must observe `safe`.
    pub fn blind(reason: &'static str) -> Self {
        Expectation {
            verdict: Verdict::Safe,
            violation: None,
            blind: Some(reason),
        }
    }

    /// Whether an outcome matches this expectation (verdict, and the violation's kind and
    /// place when one is expected).
    pub fn matches(&self, o: &Outcome) -> bool {
        if o.observed != self.verdict {
            return false;
        }
        match (&self.violation, &o.violation) {
            (None, _) => true,
            (Some(e), Some(v)) => e.matches(v),
            (Some(_), None) => false,
        }
    }
}

/// How to run one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSpec {
    /// The checker.
    pub checker: CheckerKind,
    /// loom's preemption bound (`None`: unbounded, exhaustive).
    pub preemption_bound: Option<usize>,
    /// shuttle's iteration budget.
    pub iterations: usize,
    /// shuttle's seed.
    pub seed: u64,
    /// PCT's depth (number of priority-change points plus one).
    pub pct_depth: usize,
}

/// What one check observed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// The verdict.
    pub observed: Verdict,
    /// The violation, if one was found.
    pub violation: Option<Violation>,
    /// Executions explored (loom) or iterations run (shuttle), up to and including a failure.
    pub executions: u64,
    /// The bound, in words ("unbounded, exhaustive", "preemption bound 3", "1000 iterations,
    /// seed 1, PCT depth 3").
    pub bound: String,
    /// Wall-clock seconds of the check.
    pub seconds: f64,
    /// The failing execution's trace (empty when safe).
    pub trace: Vec<TraceLine>,
    /// How to replay the failure, if any: the checker's part of the replay token (see
    /// [`CheckerReplay`]); the catalogue turns it into the `notifier-check replay` command.
    pub replay: Option<String>,
}

impl Outcome {
    /// One line: verdict, executions, bound, time and the violation, if any.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} after {} executions ({}, {:.2} s)",
            self.observed, self.executions, self.bound, self.seconds
        );
        if let Some(v) = &self.violation {
            line.push_str(&format!(" {v}"));
        }
        line
    }
}

/// A model that a checker can run, behind a trait object.
pub trait Checkable: Send + Sync {
    /// Runs one check in this process.
    fn check(self: Arc<Self>, spec: &CheckSpec) -> Outcome;
    /// Replays a failure in this process (see [`crate::runner::replay_in_process`]).
    fn replay(self: Arc<Self>, replay: &CheckerReplay) -> Outcome;
    /// The SRCU implementation it runs (see [`crate::Model::srcu`]).
    fn srcu(&self) -> Option<notifier_core::srcu::SrcuImpl>;
}

/// Default budgets of a scenario, chosen to finish in CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// loom's preemption bound (`None`: unbounded).
    pub preemption_bound: Option<usize>,
    /// shuttle iterations.
    pub iterations: usize,
    /// PCT depth.
    pub pct_depth: usize,
}
