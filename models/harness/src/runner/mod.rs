//! The runners: one check of a [`Model`] under loom, shuttle or real threads, in this process or
//! in a child process of its own.
//!
//! Every checker runs each execution the same way (a fresh [`notifier_core::Execution`] judged
//! by the model's oracles), counts the executions itself, and turns the first failing
//! execution into an [`Outcome`]: its violation, its trace, and how to replay it
//! ([`CheckerReplay`]: `shuttle-pct/91…/use-after-free@67/…`, `loom/pb=2/exec=7/…`; the
//! catalogue prefixes it with the scenario and kernel to make the `notifier-check replay`
//! command). A replay's outcome is judged by [`judge`].

#[doc(hidden)]
pub mod child;
mod hook;
mod loom_run;
mod probe;
pub mod replay;
mod shuttle_run;
mod stress;

pub use child::Crash;
#[doc(hidden)]
pub use child::RESULT_MARKER;
pub use replay::{judge, CheckerReplay, Divergence, ReplayPath, ReplayVerdict, Signature};
pub use stress::stress_std;

use crate::check::{CheckSpec, Checkable, CheckerKind};
use crate::model::Model;
use crate::outcome::{Bound, Outcome};
use crate::plan::Run;
use std::sync::Arc;

/// loom's branch limit per execution (see [`check_in_process`]).
pub const LOOM_MAX_BRANCHES: usize = loom_run::MAX_BRANCHES;
/// shuttle's step limit per execution (see [`check_in_process`]).
pub const SHUTTLE_MAX_STEPS: usize = shuttle_run::MAX_STEPS;
/// The environment variable shuttle's schedulers take their seed from in this process, when it
/// is set: an in-process check's bound then names that seed (child processes run without it).
pub const SHUTTLE_SEED_ENV: &str = shuttle_run::SEED_ENV;

/// How a check runs in this process, besides what it explores (hidden: `notifier-check
/// bench` turns tracing off, and the child protocol prints the result line).
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// Whether executions are traced and judged by the oracles (see
    /// [`notifier_core::Execution::untraced`] for what is still detected without). Only
    /// `bench` turns this off, to measure what it costs.
    pub traced: bool,
    /// Whether the outcome is printed as the child protocol's result line (set by
    /// [`child::serve`]).
    pub(crate) result_line: bool,
    /// loom: whether the distinct Mazurkiewicz traces among the executions are counted
    /// ([`crate::Outcome::distinct_traces`]; see [`notifier_core::backend::mazurkiewicz`]).
    /// Only `bench` counts: recording every operation slows loom down.
    pub count_traces: bool,
}

impl Default for RunOptions {
    /// Traced, in-process.
    fn default() -> Self {
        RunOptions {
            traced: true,
            result_line: false,
            count_traces: false,
        }
    }
}

/// Checks `model` in this process as `spec` says, and reports the first failing execution.
///
/// - loom explores every interleaving up to `spec.preemption_bound`, each execution limited to
///   [`LOOM_MAX_BRANCHES`] branch points (a wait that never finishes is reported as a deadlock).
/// - shuttle runs `spec.iterations` random or PCT (`spec.pct_depth`) schedules from
///   `spec.seed`, each limited to [`SHUTTLE_MAX_STEPS`] steps (a livelock is a deadlock).
///
/// A loom failure may abort the process (a second panic while loom unwinds): run checks that can
/// fail under loom in a child process of their own ([`child`]).
///
/// # Panics
/// If `spec` is not one the checkers can run (see [`CheckSpec::validate`]).
pub fn check_in_process<M: Model>(model: Arc<M>, spec: &CheckSpec) -> Outcome {
    run_in_process(model, &Run::Check(spec.clone()), &RunOptions::default())
}

/// Replays a failure of `model` in this process: loom runs its exploration again up to the
/// token's execution; shuttle runs the one recorded schedule, step by step. [`judge`] says
/// whether it was reproduced.
pub fn replay_in_process<M: Model>(model: Arc<M>, replay: &CheckerReplay) -> Outcome {
    run_in_process(model, &Run::Replay(replay.clone()), &RunOptions::default())
}

/// Runs `run` (a check or a replay) of `model` in this process, with `options` (hidden: the
/// engine's; the catalogue's child processes and `bench` reach it through
/// [`crate::Checkable`], and the distinct-trace tests with their [`RunOptions`]).
///
/// # Panics
/// If `run` is a check whose spec the checkers cannot run (see [`CheckSpec::validate`]).
#[doc(hidden)]
pub fn run_in_process<M: Model>(model: Arc<M>, run: &Run, options: &RunOptions) -> Outcome {
    match run {
        Run::Check(spec) => {
            if let Err(e) = spec.validate() {
                panic!("notifier-harness: {e}");
            }
            match spec.checker {
                CheckerKind::Loom => {
                    loom_run::check(model, spec.preemption_bound, None, Bound::of(spec), options)
                }
                _ => shuttle_run::check(model, spec, options),
            }
        }
        Run::Replay(replay) => match &replay.path {
            ReplayPath::Loom {
                preemption_bound,
                execution,
            } => loom_run::check(
                model,
                *preemption_bound,
                Some(*execution),
                replay.bound(),
                options,
            ),
            // A `CheckerReplay` only holds a schedule that decodes (checked when parsed).
            ReplayPath::Shuttle { checker, .. } => shuttle_run::replay(
                model,
                *checker,
                replay.schedule().unwrap_or_default(),
                options,
            ),
        },
    }
}

impl<M: Model> Checkable for M {
    fn run(self: Arc<Self>, run: &Run, options: &RunOptions) -> Outcome {
        run_in_process(self, run, options)
    }
    fn stress(self: Arc<Self>, runs: usize) -> Outcome {
        stress_std(self, runs)
    }
    fn srcu(&self) -> Option<notifier_core::srcu::SrcuImpl> {
        Model::srcu(self)
    }
}
