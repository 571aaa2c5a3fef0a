//! One execution of a model: its trace, its oracles, and the threads (`current`) that run it.
//!
//! - this file: [`Execution`] (the trace and its judges, the [`Oracle`]s);
//! - `task`: [`Task`], the kernel's `current`;
//! - `classify`: a checker's own failure report turned into a located violation.

mod cause;
mod classify;
mod deadlock;
mod task;

pub(crate) use classify::AccessTag;
pub use classify::PendingAccess;
pub use task::{Frame, Task};

use crate::trace::{Event, Names, ObjId, Op, ThreadId, TraceEvent};
use crate::violation::{Violation, ViolationKind};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Judges an execution from its events, as they are recorded. An oracle never calls into the
/// backend, so it adds no scheduling point.
// A violation ends the execution, so the large `Err` is built at most once per execution; the
// hot path returns `Ok(())`.
#[allow(clippy::result_large_err)]
pub trait Oracle: Send {
    /// Called after `log.events[at]` was appended. An error stops the execution.
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation>;

    /// Called once after every thread of the execution has finished.
    fn at_end(&mut self, _log: &Log<'_>) -> Result<(), Violation> {
        Ok(())
    }
}

/// A read-only view of the execution so far, for oracles.
#[derive(Debug)]
pub struct Log<'a> {
    /// Every event recorded so far, in execution order.
    pub events: &'a [Event],
    /// Thread and object names.
    pub names: &'a Names,
}

impl Log<'_> {
    /// A violation located at event `at`.
    pub fn violation_at(
        &self,
        at: usize,
        kind: ViolationKind,
        object: Option<ObjId>,
        message: String,
    ) -> Violation {
        let e = &self.events[at];
        Violation {
            kind,
            object: object.map(|o| self.names.object(o).to_string()),
            function: e.function.to_string(),
            site: e.site.to_string(),
            thread: self.names.thread(e.thread).to_string(),
            step: Some(at),
            message,
            cause: None,
        }
    }

    /// `"E: __mmu_notifier_release (hlist_del_init_rcu), step 12"`, to cite an event.
    pub fn cite(&self, at: usize) -> String {
        let e = &self.events[at];
        let place = match (e.function, e.site) {
            ("", "") => String::from("top level"),
            (f, s) if s.is_empty() || s == f => f.to_string(),
            (f, s) => format!("{f} ({s})"),
        };
        format!("{}: {place}, step {at}", self.names.thread(e.thread))
    }
}

/// The panic payload that stops an execution when an oracle finds a violation; the violation
/// itself is kept by the [`Execution`].
#[derive(Debug, Clone, Copy)]
pub struct ViolationPanic;

struct State {
    events: Vec<Event>,
    names: Names,
    oracles: Vec<Box<dyn Oracle>>,
    violation: Option<Violation>,
    /// Threads blocked acquiring a lock now (see [`Task::acquiring`]).
    acquiring: Vec<deadlock::Acquiring>,
}

/// The instrumentation of one execution: trace, oracles and the first violation. It holds only
/// std types, so it outlives the checker's execution and can be read after a failure.
pub struct Execution {
    state: Mutex<State>,
    /// Whether events are recorded at all (see [`Execution::untraced`]).
    traced: bool,
    /// Set with the first violation, so that every other thread stops at its next event.
    aborted: AtomicBool,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution").finish_non_exhaustive()
    }
}

impl Execution {
    /// A new execution judged by `oracles`; its thread 0 is `main`.
    pub fn new(oracles: Vec<Box<dyn Oracle>>) -> Arc<Self> {
        Self::build(oracles, true)
    }

    /// An execution with the instrumentation off, to measure its cost (`notifier-check
    /// bench`): no event is recorded and no oracle judges. What is still detected: loom's
    /// happens-before check of every access against the object's free (an access not ordered
    /// with a `kfree` is still a causality violation), deadlocks and branch limits, `BUG_ON`s,
    /// and the model's own assertions. What is not: the memory oracle's trace-order checks (an
    /// access *ordered after* the free, the only use-after-free detection under shuttle and
    /// real threads; double frees; leaks), the SRCU and contract oracles; and a violation is
    /// reported without a trace. Every execution the campaign and the tests run is traced.
    pub fn untraced() -> Arc<Self> {
        Self::build(Vec::new(), false)
    }

    fn build(oracles: Vec<Box<dyn Oracle>>, traced: bool) -> Arc<Self> {
        Arc::new(Execution {
            traced,
            state: Mutex::new(State {
                events: Vec::with_capacity(256),
                names: Names {
                    threads: vec!["main".to_string()],
                    objects: Vec::new(),
                },
                oracles,
                violation: None,
                acquiring: Vec::new(),
            }),
            aborted: AtomicBool::new(false),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The task of the thread that runs the model's body (thread 0, `main`, on CPU 0).
    pub fn main_task(self: &Arc<Self>) -> Task {
        Task::new(self.clone(), ThreadId(0))
    }

    /// Registers a thread name and returns its id. Called by the parent before it spawns, so
    /// ids follow program order and are the same in every execution.
    pub fn add_thread(&self, name: &str) -> ThreadId {
        let mut st = self.state();
        st.names.threads.push(name.to_string());
        ThreadId(u8::try_from(st.names.threads.len() - 1).expect("at most 255 threads"))
    }

    /// The number of threads registered so far (`main` included): thread ids are below it.
    pub fn threads(&self) -> usize {
        self.state().names.threads.len()
    }

    /// Registers a kernel object and records its allocation.
    pub fn alloc(&self, cur: &Task, name: String) -> ObjId {
        let obj = {
            let mut st = self.state();
            st.names.objects.push(name);
            ObjId(u32::try_from(st.names.objects.len() - 1).expect("too many objects"))
        };
        cur.record(Op::Alloc { obj });
        obj
    }

    /// Appends an event and lets every oracle judge it. Returns the event's index. Panics with
    /// [`ViolationPanic`] if an oracle reports a violation. Once a violation is known, nothing
    /// more is recorded (a checker may still be unwinding the other threads).
    #[allow(clippy::result_large_err)] // see `Oracle`
    pub fn record(&self, event: Event) -> usize {
        if !self.traced || self.aborted.load(Ordering::Relaxed) {
            return 0;
        }
        let mut guard = self.state();
        let st = &mut *guard;
        st.events.push(event);
        let at = st.events.len() - 1;
        let log = Log {
            events: &st.events,
            names: &st.names,
        };
        let verdict = st.oracles.iter_mut().try_for_each(|o| o.on_event(at, &log));
        if let Err(v) = verdict {
            st.violation.get_or_insert(v);
            self.aborted.store(true, Ordering::Relaxed);
            drop(guard);
            std::panic::panic_any(ViolationPanic);
        }
        at
    }

    /// Runs the end-of-execution judgements (leaks, pending obligations). Call it after every
    /// thread has been joined. Panics with [`ViolationPanic`] on a violation.
    #[allow(clippy::result_large_err)] // see `Oracle`
    pub fn finish(&self) {
        let mut guard = self.state();
        let st = &mut *guard;
        let log = Log {
            events: &st.events,
            names: &st.names,
        };
        let verdict = st.oracles.iter_mut().try_for_each(|o| o.at_end(&log));
        if let Err(v) = verdict {
            st.violation.get_or_insert(v);
            self.aborted.store(true, Ordering::Relaxed);
            drop(guard);
            std::panic::panic_any(ViolationPanic);
        }
    }

    /// Whether a violation has stopped this execution.
    pub fn aborted(&self) -> bool {
        self.aborted.load(Ordering::Relaxed)
    }

    /// The first violation found, if any.
    pub fn violation(&self) -> Option<Violation> {
        self.state().violation.clone()
    }

    /// Records a violation found outside the oracles (a checker's own report), unless one is
    /// already known. Returns the violation that stands.
    pub fn set_violation(&self, v: Violation) -> Violation {
        let mut st = self.state();
        self.aborted.store(true, Ordering::Relaxed);
        st.violation.get_or_insert(v).clone()
    }

    /// Marks thread `a.thread` as blocked acquiring a lock (`Some`), or as no longer blocked.
    pub(crate) fn set_acquiring(&self, thread: ThreadId, a: Option<deadlock::Acquiring>) {
        if !self.traced {
            return;
        }
        let mut st = self.state();
        st.acquiring.retain(|x| x.thread != thread);
        st.acquiring.extend(a);
    }

    /// The number of events recorded.
    pub fn len(&self) -> usize {
        self.state().events.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The trace as reports carry it: every event with its names resolved.
    pub fn events(&self) -> Vec<TraceEvent> {
        let st = self.state();
        st.events
            .iter()
            .enumerate()
            .map(|(i, e)| e.resolve(i, &st.names))
            .collect()
    }
}
