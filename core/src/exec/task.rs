//! [`Task`]: the kernel's `current` in the model.

use super::classify::{set_marker, AccessTag, Marker, PendingAccess};
use super::deadlock::Acquiring;
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

    /// (function, site, caller): the innermost API frame (else the outermost frame), the
    /// innermost frame, and the frame just outside `function`.
    fn place(&self) -> (&'static str, &'static str, &'static str) {
        let frames = self.frames.borrow();
        let api = frames
            .iter()
            .rposition(|f| f.1)
            .or((!frames.is_empty()).then_some(0));
        let function = api.map_or("", |i| frames[i].0);
        let caller = api
            .and_then(|i| i.checked_sub(1))
            .map_or("", |i| frames[i].0);
        (function, frames.last().map_or("", |f| f.0), caller)
    }

    /// Records an operation of this thread; see [`Execution::record`].
    pub fn record(&self, op: Op) -> usize {
        let (function, site, caller) = self.place();
        self.exec.record(Event {
            thread: self.id,
            function,
            site,
            caller,
            op,
        })
    }

    /// Marks (or clears) the access this thread is about to make (see [`PendingAccess`]).
    pub fn pending_access(&self, access: Option<PendingAccess>) {
        set_marker(access.map(|a| Marker::Access(self.tag(a, 0))));
    }

    /// Names the access `a` this thread makes now, for a report that blames it later (its
    /// event, once recorded, is this thread's first from the current trace length on).
    pub(crate) fn access_tag(&self, a: PendingAccess) -> AccessTag {
        self.tag(a, self.exec.len())
    }

    fn tag(&self, access: PendingAccess, since: usize) -> AccessTag {
        let (function, site, _) = self.place();
        AccessTag {
            thread: self.id,
            function,
            site,
            access,
            since,
        }
    }

    /// Runs `acquire`, which takes the lock `lock` embedded in `obj` and may block: while it
    /// runs, a deadlock report names this thread as waiting for that lock.
    pub fn acquiring<R>(&self, obj: ObjId, lock: &'static str, acquire: impl FnOnce() -> R) -> R {
        let (function, site, _) = self.place();
        let a = Acquiring {
            thread: self.id,
            obj,
            lock,
            function,
            site,
        };
        self.exec.set_acquiring(self.id, Some(a));
        let r = acquire();
        self.exec.set_acquiring(self.id, None);
        r
    }

    /// Marks (or clears) the free this thread is making: the object, the free's event, and
    /// the access the race detector is checking it against (`None`: every access).
    pub(crate) fn freeing(&self, free: Option<(ObjId, usize, Option<AccessTag>)>) {
        set_marker(free.map(|(obj, step, culprit)| Marker::Free { obj, step, culprit }));
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
