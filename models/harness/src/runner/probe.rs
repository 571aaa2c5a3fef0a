//! The state of one running check that outlives a failing execution: the execution counter, the
//! latest execution, the schedule shuttle is following, and the outcome once a failure is seen.
//!
//! It is shared by the execution closure, the recording scheduler and the panic hook, which all
//! run on the one OS thread that runs the checker. Its std mutexes are held for a push or a
//! clone, never across a scheduling point.

use super::replay::CheckerReplay;
use crate::check::{CheckerKind, Outcome, Verdict};
use crate::model::Model;
use notifier_core::{Backend, Execution, Violation, ViolationKind, ViolationPanic};
use shuttle_engine::scheduler::serialization::serialize_schedule;
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
    /// The bound in words, for the outcome.
    bound: String,
    /// When the check started.
    start: Instant,
    /// Executions started (counted at the start of each, so a failing one is counted).
    executions: AtomicU64,
    /// The latest execution: after a failure, the failing one.
    current: Mutex<Option<Arc<Execution>>>,
    /// shuttle: the schedule of the latest execution so far.
    schedule: Mutex<Schedule>,
    /// The outcome of the first failure, once seen.
    failure: Mutex<Option<Outcome>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while one of these is held (only in the hook, formatting a report) must not hide
    // the report of the failure.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Probe {
    /// A probe for a check described by `bound` ("preemption bound 2").
    pub(crate) fn new(mode: Mode, bound: String) -> Arc<Self> {
        Arc::new(Probe {
            mode,
            bound,
            start: Instant::now(),
            executions: AtomicU64::new(0),
            current: Mutex::new(None),
            schedule: Mutex::new(Schedule::new(0)),
            failure: Mutex::new(None),
        })
    }

    /// One execution of `model` under backend `B`, as every checker runs it.
    pub(crate) fn execute<B: Backend, M: Model>(&self, model: &M) {
        self.executions.fetch_add(1, Ordering::Relaxed);
        let exec = if super::instrumented() {
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

    /// The outcome of a check that explored everything it was allowed to without a failure.
    pub(crate) fn safe(&self) -> Outcome {
        Outcome {
            observed: Verdict::Safe,
            violation: None,
            executions: self.executions(),
            bound: self.bound.clone(),
            seconds: self.start.elapsed().as_secs_f64(),
            trace: Vec::new(),
            replay: None,
        }
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
            },
        };
        let observed = if violation.kind == ViolationKind::Deadlock {
            Verdict::Deadlock
        } else {
            Verdict::Violation
        };
        let outcome = Outcome {
            observed,
            violation: Some(violation),
            executions: self.executions(),
            bound: self.bound.clone(),
            seconds: self.start.elapsed().as_secs_f64(),
            trace: exec.map(|e| e.lines()).unwrap_or_default(),
            replay: self.replay(),
        };
        *failure = Some(outcome.clone());
        outcome
    }

    /// How to find the current (failing) execution again: the checker's part of the token.
    fn replay(&self) -> Option<String> {
        let checker = match self.mode {
            Mode::Loom(preemption_bound) => CheckerReplay::Loom {
                preemption_bound,
                execution: self.executions(),
            },
            Mode::Shuttle(checker) => {
                let encoded = serialize_schedule(&lock(&self.schedule));
                CheckerReplay::Shuttle {
                    checker,
                    schedule: encoded.replace('\n', ""),
                }
            }
            Mode::Std => return None,
        };
        Some(checker.to_string())
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
