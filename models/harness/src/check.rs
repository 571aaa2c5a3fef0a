//! The vocabulary of a check: the checkers, what a check is expected to show, and how to run
//! it (what it observed is an [`Outcome`]).

use crate::outcome::Outcome;
use crate::plan::Run;
use crate::runner::RunOptions;
use notifier_core::{Violation, ViolationKind};
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
    /// The innermost operation, if it matters; `a|b` accepts either (a walker's race found in
    /// its start walk or its end walk).
    pub site: Option<&'static str>,
    /// The object, if it matters ("notifier A"); `a|b` accepts either, for scenarios in
    /// which either of two objects may be the one the violation concerns.
    pub object: Option<&'static str>,
}

impl ExpectedViolation {
    /// Whether `v` is this violation.
    pub fn matches(&self, v: &Violation) -> bool {
        self.matches_place(v.kind, &v.function, &v.site)
            && self
                .object
                .is_none_or(|o| o.split('|').any(|o| v.object.as_deref() == Some(o)))
    }

    /// Whether a violation of `kind` reported in `function` at `site` is this one, whatever
    /// object it concerns.
    pub fn matches_place(&self, kind: ViolationKind, function: &str, site: &str) -> bool {
        kind == self.kind
            && self.function.split('|').any(|f| function == f)
            && self.site.is_none_or(|s| s.split('|').any(|s| site == s))
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

/// The largest preemption bound loom takes (it keeps the bound in a `u8`).
pub const MAX_PREEMPTION_BOUND: usize = u8::MAX as usize;

/// How to run one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckSpec {
    /// The checker.
    pub checker: CheckerKind,
    /// loom's preemption bound (`None`: unbounded, exhaustive); at most
    /// [`MAX_PREEMPTION_BOUND`].
    pub preemption_bound: Option<usize>,
    /// shuttle's iteration budget (at least 1).
    pub iterations: usize,
    /// shuttle's seed.
    pub seed: u64,
    /// PCT's depth (number of priority-change points plus one; at least 1).
    pub pct_depth: usize,
}

impl CheckSpec {
    /// Whether the checkers can run this spec: a readable reason when they cannot.
    pub fn validate(&self) -> Result<(), String> {
        match self.checker {
            CheckerKind::Loom => match self.preemption_bound {
                Some(pb) if pb > MAX_PREEMPTION_BOUND => Err(format!(
                    "preemption bound {pb} is out of range (loom takes 0 to \
                     {MAX_PREEMPTION_BOUND})"
                )),
                _ => Ok(()),
            },
            CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct if self.iterations == 0 => {
                Err("a shuttle check needs at least one iteration".to_string())
            }
            CheckerKind::ShuttlePct if self.pct_depth == 0 => {
                Err("PCT's depth is at least 1".to_string())
            }
            _ => Ok(()),
        }
    }
}

/// A model that a checker can run, behind a trait object (every [`crate::Model`] is one).
pub trait Checkable: Send + Sync {
    /// Runs `run` (a check or a replay) in this process.
    fn run(self: Arc<Self>, run: &Run, options: &RunOptions) -> Outcome;
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
