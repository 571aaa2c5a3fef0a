//! [`Task`]: the kernel's `current` in the model.

use super::classify::{set_pending, PendingAccess};
use super::{Execution, Log, ViolationPanic};
use crate::backend::Backend;
use crate::trace::{Event, ObjId, Op, ThreadId};
use crate::violation::ViolationKind;
use std::cell::{Cell, RefCell};
use std::sync::Arc;

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
    pub(super) fn new(exec: Arc<Execution>, id: ThreadId) -> Self {
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
        set_pending(pending);
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
            self.check_spin_limit::<B>(spins);
            self.idle::<B>();
        }
        if let Some(start) = start {
            self.record(Op::WaitDone { start });
        }
    }

    /// Ends the execution with a deadlock if a wait loop has gone round `spins` times, more
    /// than the backend's [`Backend::SPIN_LIMIT`] (real threads only: the checkers bound
    /// executions themselves).
    pub fn check_spin_limit<B: Backend>(&self, spins: u64) {
        if B::SPIN_LIMIT.is_some_and(|limit| spins > limit) {
            let v = self
                .exec
                .classify_panic("SPIN_LIMIT: the wait did not finish");
            self.exec.set_violation(v);
            std::panic::panic_any(ViolationPanic);
        }
    }

    /// Sleeps until `done()` holds, checking it at every wake-up: the thread is blocked
    /// between checks (loom and shuttle schedule it nowhere until another thread unparks it),
    /// where [`Task::wait_until`] polls. The wait is recorded, so that a deadlock can be
    /// located at it.
    pub fn park_until<B: Backend>(&self, what: &'static str, mut done: impl FnMut() -> bool) {
        if done() {
            return;
        }
        let start = self.record(Op::WaitStart { what });
        let mut spins: u64 = 0;
        while !done() {
            spins += 1;
            self.check_spin_limit::<B>(spins);
            self.park::<B>();
        }
        self.record(Op::WaitDone { start });
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

    /// Sleeps until another thread unparks this one (see [`Backend::park`]). On real threads
    /// the sleep is bounded, and the thread stops once another one has found a violation.
    pub fn park<B: Backend>(&self) {
        if B::REAL_THREADS && self.exec.aborted() {
            std::panic::panic_any(ViolationPanic);
        }
        B::park();
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
