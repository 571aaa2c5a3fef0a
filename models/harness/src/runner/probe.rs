//! The state of one running check that outlives a failing execution: the execution counter, the
//! latest execution, the schedule shuttle is following, where a replay diverged, and the outcome
//! once a failure is seen.
//!
//! It is shared by the execution closure, the recording scheduler and the panic hook, which all
//! run on the one OS thread that runs the checker. Its std mutexes are held for a push or a
//! clone, never across a scheduling point.

use super::child;
use super::replay::{encode_schedule, CheckerReplay, Divergence, ReplayPath, Signature};
use super::RunOptions;
use crate::check::{CheckerKind, Verdict};
use crate::model::Model;
use crate::outcome::{Bound, Outcome};
use notifier_core::{Backend, Execution, Violation, ViolationKind, ViolationPanic};
use shuttle_engine::scheduler::{Schedule, TaskId};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// Which exploration a probe watches, as far as replaying it is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// loom with this preemption bound (`None`: unbounded).
    Loom(Option<usize>),
    /// shuttle with this scheduler (random or PCT; a replay keeps the checker it replays).
    Shuttle(CheckerKind),
    /// Real threads: nothing to replay.
    Std,
}

/// One running check.
#[derive(Debug)]
pub(crate) struct Probe {
    /// What a replay token of this check looks like.
    mode: Mode,
    /// What the checker may explore, for the outcome.
    bound: Bound,
    /// Whether executions are traced and judged, and whether the outcome is printed as the
    /// child protocol's result line.
    options: RunOptions,
    /// When the check started.
    start: Instant,
    /// Executions started (counted at the start of each, so a failing one is counted).
    executions: AtomicU64,
    /// The latest execution: after a failure, the failing one.
    current: Mutex<Option<Arc<Execution>>>,
    /// shuttle: the schedule of the latest execution so far.
    schedule: Mutex<Schedule>,
    /// A replay: where the execution stopped following its schedule.
    divergence: Mutex<Option<Divergence>>,
    /// The outcome of the first failure, once seen.
    failure: Mutex<Option<Outcome>>,
    /// loom: the distinct Mazurkiewicz traces counted, once the exploration has ended.
    distinct_traces: Mutex<Option<u64>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while one of these is held (only in the hook, formatting a report) must not hide
    // the report of the failure.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Probe {
    /// A probe for a check that may explore `bound`.
    pub(crate) fn new(mode: Mode, bound: Bound, options: &RunOptions) -> Arc<Self> {
        Arc::new(Probe {
            mode,
            bound,
            options: options.clone(),
            start: Instant::now(),
            executions: AtomicU64::new(0),
            current: Mutex::new(None),
            schedule: Mutex::new(Schedule::new(0)),
            divergence: Mutex::new(None),
            failure: Mutex::new(None),
            distinct_traces: Mutex::new(None),
        })
    }

    /// Records the distinct traces counted over the whole exploration (before
    /// [`Probe::safe`] reports the outcome).
    pub(crate) fn set_distinct_traces(&self, traces: Option<u64>) {
        *lock(&self.distinct_traces) = traces;
    }

    /// One execution of `model` under backend `B`, as every checker runs it.
    pub(crate) fn execute<B: Backend, M: Model>(&self, model: &M) {
        self.executions.fetch_add(1, Ordering::Relaxed);
        let exec = if self.options.traced {
            Execution::new(model.oracles())
        } else {
            Execution::untraced()
        };
        *lock(&self.current) = Some(exec.clone());
        let main = exec.main_task();
        model.run::<B>(&main);
        exec.finish();
    }

    /// Executions started so far.
    pub(crate) fn executions(&self) -> u64 {
        self.executions.load(Ordering::Relaxed)
    }

    /// The shuttle scheduler starts a new execution following `schedule` (seed, no steps yet).
    pub(crate) fn reset_schedule(&self, schedule: Schedule) {
        *lock(&self.schedule) = schedule;
    }

    /// The shuttle scheduler chose `task`.
    pub(crate) fn push_task(&self, task: TaskId) {
        lock(&self.schedule).push_task(task);
    }

    /// The shuttle scheduler produced a random value.
    pub(crate) fn push_random(&self) {
        lock(&self.schedule).push_random();
    }

    /// The steps of the current execution's schedule so far.
    pub(crate) fn schedule_len(&self) -> usize {
        lock(&self.schedule).len()
    }

    /// A replay could not follow its schedule (the first divergence stands).
    pub(crate) fn diverge(&self, divergence: Divergence) {
        lock(&self.divergence).get_or_insert(divergence);
    }

    /// Whether a replay has diverged.
    pub(crate) fn diverged(&self) -> bool {
        lock(&self.divergence).is_some()
    }

    /// Whether an execution has failed.
    pub(crate) fn failed(&self) -> bool {
        lock(&self.failure).is_some()
    }

    /// The failure the check found, if an execution has failed.
    pub(crate) fn failure(&self) -> Option<Outcome> {
        lock(&self.failure).clone()
    }

    /// The outcome of a check that explored everything it was allowed to without a failure.
    pub(crate) fn safe(&self) -> Outcome {
        let outcome = Outcome {
            observed: Verdict::Safe,
            violation: None,
            executions: self.executions(),
            bound: self.bound.clone(),
            seconds: self.start.elapsed().as_secs_f64(),
            trace: self.diverged_trace(),
            replay: None,
            divergence: lock(&self.divergence).clone(),
            distinct_traces: *lock(&self.distinct_traces),
        };
        self.report(&outcome);
        outcome
    }

    /// The trace of an execution a replay stopped when it diverged (what it did follow).
    fn diverged_trace(&self) -> Vec<notifier_core::TraceEvent> {
        if !self.diverged() {
            return Vec::new();
        }
        lock(&self.current)
            .as_ref()
            .map(|e| e.events())
            .unwrap_or_default()
    }

    /// The outcome of the failing execution, given the payload of its first panic. The first
    /// call decides (the panic hook makes it at the moment of the panic, when the trace ends at
    /// the failing step); later calls return the same outcome.
    pub(crate) fn fail(&self, payload: &(dyn Any + Send)) -> Outcome {
        let mut failure = lock(&self.failure);
        if let Some(o) = &*failure {
            return o.clone();
        }
        let exec = lock(&self.current).clone();
        let violation = match &exec {
            Some(exec) => classify(exec, payload),
            None => Violation {
                kind: ViolationKind::Panic,
                object: None,
                function: "the checker".to_string(),
                site: String::new(),
                thread: String::new(),
                step: None,
                message: format!("it failed before any execution: {}", message(payload)),
                cause: None,
            },
        };
        let observed = if violation.kind == ViolationKind::Deadlock {
            Verdict::Deadlock
        } else {
            Verdict::Violation
        };
        let outcome = Outcome {
            observed,
            replay: self.replay(&violation),
            violation: Some(violation),
            executions: self.executions(),
            bound: self.bound.clone(),
            seconds: self.start.elapsed().as_secs_f64(),
            trace: exec.map(|e| e.events()).unwrap_or_default(),
            divergence: lock(&self.divergence).clone(),
            distinct_traces: None,
        };
        *failure = Some(outcome.clone());
        drop(failure);
        self.report(&outcome);
        outcome
    }

    /// In a child process, prints the outcome as the result line (a failure at once: loom may
    /// abort the process while it unwinds; the parent reads the last line).
    fn report(&self, outcome: &Outcome) {
        if self.options.result_line {
            child::print_result_line(outcome);
        }
    }

    /// How to find the current (failing) execution again (nothing when the checker failed
    /// before its first execution: there is no execution to find).
    fn replay(&self, violation: &Violation) -> Option<CheckerReplay> {
        if self.executions() == 0 {
            return None;
        }
        let path = match self.mode {
            Mode::Loom(preemption_bound) => ReplayPath::Loom {
                preemption_bound,
                execution: self.executions(),
            },
            Mode::Shuttle(checker) => ReplayPath::Shuttle {
                checker,
                schedule: encode_schedule(&lock(&self.schedule)),
            },
            Mode::Std => return None,
        };
        Some(CheckerReplay {
            path,
            failure: Signature::of(violation),
        })
    }
}

/// The violation a panic out of an execution stands for.
fn classify(exec: &Execution, payload: &(dyn Any + Send)) -> Violation {
    if payload.is::<ViolationPanic>() {
        if let Some(v) = exec.violation() {
            return v;
        }
    }
    exec.classify_panic(&message(payload))
}

/// The message of a panic payload (`panic!` makes a `String` or a `&str`).
fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if payload.is::<ViolationPanic>() {
        "an oracle stopped the execution without recording a violation".to_string()
    } else {
        "a panic with a payload that is not a message".to_string()
    }
}
