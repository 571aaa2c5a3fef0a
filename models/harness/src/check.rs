//! The vocabulary of a check: the checkers, the verdicts, and how to run one (what a check
//! observed is an [`Outcome`]).

use crate::outcome::Outcome;
use crate::plan::Run;
use crate::runner::RunOptions;
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

    /// What this checker cannot see, however long it runs: its "safe" says nothing about
    /// these. (Every checker also inherits the model's own simplifications.)
    pub fn blind_spots(self) -> &'static [&'static str] {
        const SHUTTLE: [&str; 4] = [
            "weak memory: every access is sequentially consistent and fence is a no-op, so a \
             missing barrier or a reordering never shows",
            "unordered accesses: no race detector; an access merely not ordered with a free \
             (earlier in the schedule) or with an initialisation is invisible",
            "interleavings inside one step: each atomic, lock and plain access to shared \
             memory (KObj::access, KObj::touch, Backend::Cell) is a scheduling point, but a \
             read-modify-write is one step, and the harness's bookkeeping (trace, oracles) none",
            "completeness: a sampled search; safe means none of the runs failed",
        ];
        match self {
            CheckerKind::Loom => &[
                "load buffering (a load reading a store that comes later in program order): \
                 never explored",
                "SeqCst loads and stores are treated as AcqRel (the model writes smp_mb() as \
                 fence(SeqCst), which loom models, and never uses SeqCst accesses)",
                "bugs that need more preemptions than the bound, when a bound is given",
                "values older than an atomic's last 7 stores; models with more than 5 threads \
                 (main included)",
                "interleavings loom's exploration may collapse (loom#392): every loom pass is \
                 cross-checked by shuttle",
            ],
            CheckerKind::ShuttleRandom => &SHUTTLE,
            CheckerKind::ShuttlePct => &[
                SHUTTLE[0],
                SHUTTLE[1],
                SHUTTLE[2],
                "completeness: a sampled search; PCT depth d finds with known probability only \
                 bugs that need at most d-1 well-placed priority changes",
            ],
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

/// A model that a checker can run, behind a trait object (every [`crate::Model`] is one): how
/// the catalogue hands its scenarios to the runner (hidden: the engine's).
#[doc(hidden)]
pub trait Checkable: Send + Sync {
    /// Runs `run` (a check or a replay) in this process.
    fn run(self: Arc<Self>, run: &Run, options: &RunOptions) -> Outcome;
    /// Runs it `runs` times on real threads ([`crate::runner::stress_std`]).
    fn stress(self: Arc<Self>, runs: usize) -> Outcome;
    /// The SRCU implementation it runs (see [`crate::Model::srcu`]).
    fn srcu(&self) -> Option<notifier_core::srcu::SrcuImpl>;
}
