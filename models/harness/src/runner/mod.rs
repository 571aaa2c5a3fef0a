//! The runners: one check of a [`Model`] under loom, shuttle or real threads, in this process or
//! in a child process of its own.
//!
//! Every checker runs each execution the same way (a fresh [`notifier_core::Execution`] judged
//! by the model's oracles), counts the executions itself, and turns the first failing
//! execution into an [`Outcome`]: its violation, its trace, and how to replay it.
//!
//! Outcomes carry the checker's part of the replay token in `Outcome::replay`
//! (`shuttle-pct/91…`, `loom/pb=2/exec=7`; see [`CheckerReplay`]); the catalogue prefixes it
//! with the scenario and kernel to make the `notifier-check replay` command.

pub mod child;
mod hook;
mod loom_run;
mod probe;
pub mod replay;
mod shuttle_run;
mod stress;

pub use child::RESULT_MARKER;
pub use replay::CheckerReplay;
pub use stress::stress_std;

use crate::check::{CheckSpec, Checkable, CheckerKind, Outcome};
use crate::model::Model;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// loom's branch limit per execution (see [`check_in_process`]).
pub const LOOM_MAX_BRANCHES: usize = loom_run::MAX_BRANCHES;
/// shuttle's step limit per execution (see [`check_in_process`]).
pub const SHUTTLE_MAX_STEPS: usize = shuttle_run::MAX_STEPS;

static INSTRUMENTED: AtomicBool = AtomicBool::new(true);

/// Turns tracing and oracles off (`false`) or on for every check this process runs from now
/// on (see [`notifier_core::Execution::untraced`] for what is still detected). Only `bench`
/// turns them off, in a child of its own, to measure what they cost.
pub fn set_instrumentation(on: bool) {
    INSTRUMENTED.store(on, Ordering::Relaxed);
}

/// Whether executions are traced and judged (see [`set_instrumentation`]).
pub(crate) fn instrumented() -> bool {
    INSTRUMENTED.load(Ordering::Relaxed)
}

/// The bound of a check in words: "preemption bound 2", "unbounded, exhaustive",
/// "1000 iterations, seed 1, PCT depth 3".
pub fn bound_text(spec: &CheckSpec) -> String {
    match spec.checker {
        CheckerKind::Loom => loom_run::bound_text(spec.preemption_bound),
        _ => shuttle_run::bound_text(spec),
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
pub fn check_in_process<M: Model>(model: Arc<M>, spec: &CheckSpec) -> Outcome {
    match spec.checker {
        CheckerKind::Loom => loom_run::check(model, spec),
        _ => shuttle_run::check(model, spec),
    }
}

/// Replays a failure of `model` found in this process (`replay` is the checker's part of the
/// token the failing outcome carried): loom runs its exploration again and stops at the first
/// failure, which must be execution `execution` again; shuttle runs the one recorded schedule.
pub fn replay_in_process<M: Model>(model: Arc<M>, replay: &CheckerReplay) -> Outcome {
    match replay {
        CheckerReplay::Loom { .. } => loom_run::check(model, &replay.spec()),
        CheckerReplay::Shuttle { .. } => replay_shuttle(model, replay),
    }
}

fn replay_shuttle<M: Model>(model: Arc<M>, r: &CheckerReplay) -> Outcome {
    // A `CheckerReplay` only holds a schedule that decodes (it is checked when made or parsed).
    let schedule = r.schedule().unwrap_or_default();
    shuttle_run::replay(model, r.checker(), schedule)
}

impl<M: Model> Checkable for M {
    fn check(self: Arc<Self>, spec: &CheckSpec) -> Outcome {
        check_in_process(self, spec)
    }
    fn replay(self: Arc<Self>, replay: &CheckerReplay) -> Outcome {
        replay_in_process(self, replay)
    }
    fn srcu(&self) -> Option<notifier_core::srcu::SrcuImpl> {
        Model::srcu(self)
    }
}
