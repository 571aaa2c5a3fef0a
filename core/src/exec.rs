//! One execution of a model: its trace, its oracles, and the threads (`current`) that run it.

use crate::backend::Backend;
use crate::trace::{Event, Names, ObjId, Op, ThreadId, TraceLine};
use crate::violation::{Violation, ViolationKind};
use std::cell::{Cell, RefCell};
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
}

/// The instrumentation of one execution: trace, oracles and the first violation. It holds only
/// std types, so it outlives the checker's execution and can be read after a failure.
pub struct Execution {
    state: Mutex<State>,
    /// Whether events are kept (off only to measure the harness's own cost).
    tracing: bool,
    /// Set with the first violation, so that every other thread stops at its next event.
    aborted: AtomicBool,
}

impl std::fmt::Debug for Execution {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Execution")
            .field("tracing", &self.tracing)
            .finish_non_exhaustive()
    }
}

impl Execution {
    /// A new execution judged by `oracles`; its thread 0 is `main`.
    pub fn new(oracles: Vec<Box<dyn Oracle>>) -> Arc<Self> {
        Self::build(oracles, true)
    }

    /// An execution that records nothing and judges nothing, to measure the model alone.
    pub fn untraced() -> Arc<Self> {
        Self::build(Vec::new(), false)
    }

    fn build(oracles: Vec<Box<dyn Oracle>>, tracing: bool) -> Arc<Self> {
        Arc::new(Execution {
            state: Mutex::new(State {
                events: Vec::with_capacity(if tracing { 256 } else { 0 }),
                names: Names {
                    threads: vec!["main".to_string()],
                    objects: Vec::new(),
                },
                oracles,
                violation: None,
            }),
            tracing,
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
        if !self.tracing || self.aborted.load(Ordering::Relaxed) {
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

    /// The number of events recorded.
    pub fn len(&self) -> usize {
        self.state().events.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The rendered trace.
    pub fn lines(&self) -> Vec<TraceLine> {
        let st = self.state();
        st.events
            .iter()
            .enumerate()
            .map(|(i, e)| e.line(i, &st.names))
            .collect()
    }

    /// Turns a panic that no oracle raised (a checker's own failure report) into a violation,
    /// using the trace to locate it:
    /// - loom's "Causality violation" on an object's memory: a use-after-free when the object
    ///   was freed (the access and the free are not ordered by happens-before), otherwise a
    ///   data race on the field (e.g. a read of a field not ordered after its initialisation);
    /// - loom's branch limit, loom's and shuttle's deadlock and step-limit reports: a deadlock,
    ///   located at the wait loop that never finished, if one was open;
    /// - anything else: a panic of the model.
    pub fn classify_panic(&self, message: &str) -> Violation {
        // A panic raised while this thread held the trace's lock (inside an oracle) must not
        // deadlock its own report: without the lock, report the panic as it is.
        let st = match self.state.try_lock() {
            Ok(st) => st,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Violation {
                    kind: ViolationKind::Panic,
                    object: None,
                    function: String::new(),
                    site: String::new(),
                    thread: String::new(),
                    step: None,
                    message: message.lines().next().unwrap_or("").to_string(),
                }
            }
        };
        let log = Log {
            events: &st.events,
            names: &st.names,
        };
        let first_line = message.lines().next().unwrap_or("").to_string();
        if message.contains("Causality violation") {
            if let Some(v) = classify_race(&log, &first_line) {
                return v;
            }
        }
        let deadlock = [
            "maximum number of branches",
            "deadlock",
            "max_steps",
            "SPIN_LIMIT",
        ]
        .iter()
        .any(|p| message.contains(p));
        if deadlock {
            if let Some(at) = deadlock_site(&log) {
                let why = match &log.events[at].op {
                    Op::WaitStart { what } => format!("the wait for {what} can never finish"),
                    _ => format!(
                        "{} waits for a grace period while it holds an SRCU read-side section",
                        log.names.thread(log.events[at].thread)
                    ),
                };
                return log.violation_at(
                    at,
                    ViolationKind::Deadlock,
                    None,
                    format!("{why} ({first_line})"),
                );
            }
            return Violation {
                kind: ViolationKind::Deadlock,
                object: None,
                function: String::new(),
                site: String::new(),
                thread: String::new(),
                step: None,
                message: first_line,
            };
        }
        Violation {
            kind: ViolationKind::Panic,
            object: None,
            function: st.events.last().map_or("", |e| e.function).to_string(),
            site: st.events.last().map_or("", |e| e.site).to_string(),
            thread: st
                .events
                .last()
                .map_or("", |e| log.names.thread(e.thread))
                .to_string(),
            step: st.events.len().checked_sub(1),
            message: first_line,
        }
    }
}

/// The place to blame for a deadlock:
/// 1. a thread inside `synchronize_srcu` or `srcu_barrier` while it holds an SRCU read-side
///    section (it waits for itself, whether in the wait loop or blocked behind the grace
///    period another thread runs for it);
/// 2. else, among the waits still open, the earliest.
fn deadlock_site(log: &Log<'_>) -> Option<usize> {
    let mut waits: Vec<usize> = Vec::new();
    let mut gps: Vec<usize> = Vec::new();
    let mut sections: Vec<usize> = Vec::new();
    for (i, e) in log.events.iter().enumerate() {
        match e.op {
            Op::WaitStart { .. } => waits.push(i),
            Op::WaitDone { start } => waits.retain(|&s| s != start),
            Op::SynchronizeSrcu | Op::SrcuBarrier => gps.push(i),
            Op::SynchronizeSrcuDone { start } | Op::SrcuBarrierDone { start } => {
                gps.retain(|&s| s != start)
            }
            Op::SrcuReadLock { .. } => sections.push(i),
            Op::SrcuReadUnlock { section, .. } => sections.retain(|&s| s != section),
            _ => {}
        }
    }
    let holds_section = |at: &usize| {
        sections
            .iter()
            .any(|&s| log.events[s].thread == log.events[*at].thread)
    };
    gps.iter()
        .copied()
        .find(holds_section)
        .or(waits.first().copied())
}

/// Locates a loom causality violation. loom reports it at the later of the two accesses:
/// either an access in progress (the [`PendingAccess`] marker: the free or the initialisation
/// came earlier but is not ordered before it), or a free, recorded as the last event (an
/// earlier access is not ordered before it).
fn classify_race(log: &Log<'_>, loom_message: &str) -> Option<Violation> {
    if let Some((thread, function, site, a)) = PENDING.with(Cell::get) {
        let name = log.names.object(a.obj).to_string();
        let freed_at = log
            .events
            .iter()
            .position(|e| e.op == Op::Free { obj: a.obj });
        let verb = if a.write { "store to" } else { "load of" };
        let (kind, message) = match freed_at {
            Some(f) => (
                ViolationKind::UseAfterFree,
                format!(
                    "{verb} {name}->{} is not ordered after its free at step {f} ({})",
                    a.field,
                    log.cite(f)
                ),
            ),
            None => (
                ViolationKind::DataRace,
                format!(
                    "{verb} {name}->{} is not ordered after the object's initialisation or an \
                     earlier write ({loom_message})",
                    a.field
                ),
            ),
        };
        return Some(Violation {
            kind,
            object: Some(name),
            function: function.to_string(),
            site: site.to_string(),
            thread: log.names.thread(thread).to_string(),
            step: None,
            message,
        });
    }
    let last = log.events.len().checked_sub(1)?;
    let Op::Free { obj } = log.events[last].op else {
        return None;
    };
    let name = log.names.object(obj).to_string();
    // The free came second: blame the latest access by another thread, which the free does
    // not follow in happens-before order.
    let thread = log.events[last].thread;
    let victim = log.events[..last]
        .iter()
        .rposition(|e| e.thread != thread && matches!(e.op, Op::Access { obj: o, .. } if o == obj));
    let at = victim.unwrap_or(last);
    let msg = format!(
        "{name} is freed at step {last} ({}) but the access at step {at} is not ordered before \
         the free ({loom_message})",
        log.cite(last)
    );
    Some(log.violation_at(at, ViolationKind::UseAfterFree, Some(obj), msg))
}

/// An access to a kernel object in progress: set just before loom's race check of the
/// access, so that a race reported there names the access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingAccess {
    /// The object.
    pub obj: ObjId,
    /// The field.
    pub field: &'static str,
    /// Whether it is a write.
    pub write: bool,
}

/// The pending access and who makes it: (thread, function, site, access).
type Pending = (ThreadId, &'static str, &'static str, PendingAccess);

thread_local! {
    // Per OS thread: loom and shuttle run every model thread on the OS thread that started
    // the check, and nothing can switch threads between setting this and loom's check.
    static PENDING: Cell<Option<Pending>> = const { Cell::new(None) };
}

/// The kernel's `current`: the thread running a piece of the model. It knows its execution, its
/// name, the CPU it runs on (for per-CPU data) and the kernel functions it is inside.
pub struct Task {
    exec: Arc<Execution>,
    id: ThreadId,
    cpu: Cell<usize>,
    /// The kernel functions this thread is inside, innermost last; `true` marks an API
    /// function (one a report names), `false` a helper (a primitive or driver method).
    frames: RefCell<Vec<(&'static str, bool)>>,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id)
            .field("cpu", &self.cpu.get())
            .finish()
    }
}

/// Leaves a kernel function when dropped (see [`Task::enter`]).
#[derive(Debug)]
pub struct Frame<'a>(&'a Task);

impl Drop for Frame<'_> {
    fn drop(&mut self) {
        self.0.frames.borrow_mut().pop();
    }
}

impl Task {
    fn new(exec: Arc<Execution>, id: ThreadId) -> Self {
        Task {
            exec,
            id,
            cpu: Cell::new(0),
            frames: RefCell::new(Vec::new()),
        }
    }

    /// The execution this task belongs to.
    pub fn exec(&self) -> &Arc<Execution> {
        &self.exec
    }

    /// This thread's id.
    pub fn id(&self) -> ThreadId {
        self.id
    }

    /// The CPU slot this thread runs on (`smp_processor_id()`), for per-CPU data.
    pub fn cpu(&self) -> usize {
        self.cpu.get()
    }

    /// Moves this thread to another CPU slot (preemption and migration).
    pub fn migrate(&self, cpu: usize) {
        self.cpu.set(cpu);
    }

    /// Enters a kernel API function (`__mmu_notifier_release`): events recorded until the
    /// frame is dropped are reported as happening in it.
    pub fn enter(&self, function: &'static str) -> Frame<'_> {
        self.frames.borrow_mut().push((function, true));
        Frame(self)
    }

    /// Enters a helper (`hlist_del_init_rcu`, `srcu_read_lock`, a driver method): events name
    /// it as their site, and the innermost enclosing API function as their function.
    pub fn enter_helper(&self, function: &'static str) -> Frame<'_> {
        self.frames.borrow_mut().push((function, false));
        Frame(self)
    }

    fn place(&self) -> (&'static str, &'static str) {
        let frames = self.frames.borrow();
        let api = frames.iter().rev().find(|f| f.1).or(frames.first());
        (api.map_or("", |f| f.0), frames.last().map_or("", |f| f.0))
    }

    /// Records an operation of this thread; see [`Execution::record`].
    pub fn record(&self, op: Op) -> usize {
        let (function, site) = self.place();
        self.exec.record(Event {
            thread: self.id,
            function,
            site,
            op,
        })
    }

    /// Marks (or clears) the access this thread is about to make (see [`PendingAccess`]).
    pub fn pending_access(&self, access: Option<PendingAccess>) {
        let pending = access.map(|a| {
            let (function, site) = self.place();
            (self.id, function, site, a)
        });
        PENDING.with(|p| p.set(pending));
    }

    /// Spawns a named thread of the model on `cpu`. Its task is created in the parent so that
    /// thread ids follow program order.
    pub fn spawn<B: Backend, T: Send + 'static>(
        &self,
        name: &str,
        cpu: usize,
        f: impl FnOnce(&Task) -> T + Send + 'static,
    ) -> B::JoinHandle<T> {
        let id = self.exec.add_thread(name);
        let task = Task::new(self.exec.clone(), id);
        task.cpu.set(cpu);
        B::spawn(move || f(&task))
    }

    /// Waits until `done()` holds, yielding on every failed check (loom and shuttle need the
    /// yield to make progress). The wait is recorded, so that a deadlock can be located at it.
    pub fn wait_until<B: Backend>(&self, what: &'static str, mut done: impl FnMut() -> bool) {
        let mut start = None;
        let mut spins: u64 = 0;
        while !done() {
            start.get_or_insert_with(|| self.record(Op::WaitStart { what }));
            spins += 1;
            if B::SPIN_LIMIT.is_some_and(|limit| spins > limit) {
                let v = self
                    .exec
                    .classify_panic("SPIN_LIMIT: the wait did not finish");
                self.exec.set_violation(v);
                std::panic::panic_any(ViolationPanic);
            }
            self.idle::<B>();
        }
        if let Some(start) = start {
            self.record(Op::WaitDone { start });
        }
    }

    /// A kernel `BUG_ON` that fired: records it and stops the execution with a contract
    /// violation located here.
    pub fn bug(&self, object: Option<ObjId>, text: &str) -> ! {
        let at = self.record(Op::Bug {
            text: text.to_string(),
        });
        let v = {
            let st = self.exec.state();
            let log = Log {
                events: &st.events,
                names: &st.names,
            };
            log.violation_at(
                at,
                ViolationKind::Contract,
                object,
                format!("kernel BUG: {text}"),
            )
        };
        self.exec.set_violation(v);
        std::panic::panic_any(ViolationPanic)
    }

    /// One iteration of an idle loop: yield. On real threads, also stop once another thread
    /// has found a violation (it may be the thread this one waits for).
    pub fn idle<B: Backend>(&self) {
        if B::REAL_THREADS && self.exec.aborted() {
            std::panic::panic_any(ViolationPanic);
        }
        B::yield_now();
    }
}
