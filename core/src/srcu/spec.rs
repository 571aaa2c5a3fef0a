//! The SRCU *specification* ([`super::SrcuImpl::Spec`]): readers, grace periods and callbacks as the SRCU guarantees
//! describe them, with the fewest scheduling points that still allow everything a real
//! implementation allows. The notifier scenarios can run on it instead of a real SRCU (a
//! per-check choice); each real implementation is checked against its guarantees on its own
//! (the SRCU scenarios), and the verdicts of every notifier scenario on both are compared (the
//! agreement test).
//!
//! # Readers and grace periods
//! - A grace period waits for exactly the read-side sections that were open when it read their
//!   thread's slot, which it does after `synchronize_srcu` was called (or after the callbacks
//!   it serves were queued): every section begun before the call is waited for; a section
//!   begun during the grace period may or may not be, as the real algorithms allow (loom
//!   explores both).
//! - Happens-before from the end of each waited-for section to the end of the grace period,
//!   and from the start of the grace period to each section it did not wait for: the two
//!   edges the real algorithms give with their barriers (classic SRCU: C then D, and A then B;
//!   Tree SRCU the same, plus E).
//! - No happens-before between readers: each thread's sections live in a slot of its own,
//!   under a lock of its own, so two readers never synchronise with each other through SRCU.
//!   The kernel's per-CPU counters do not order two CPUs' sections either; loom's
//!   `fence(SeqCst)` does (it joins one global clock), which makes the real algorithms
//!   *stronger* under loom than in the kernel, never weaker.
//! - Waits block: a grace period with sections to wait for parks, and each slot it waits on
//!   unparks it once that slot's sections have ended (loom's unpark carries happens-before).
//!
//! Why waiting for fewer sections than the real algorithm is sound: whether the real algorithm
//! waits for a section begun during a grace period depends on where its increment falls among
//! the summations and the flip, so it may wait for a section and not for an earlier one. The
//! specification reads each slot once, early, so the sections it waits for are a subset of
//! those the real algorithm waits for in an execution with the same order of events. Waiting
//! for fewer sections allows more interleavings, never fewer: the specification can only err
//! towards false alarms, never towards hiding a bug.
//!
//! # Callbacks
//! The specification keeps the *structure* of the real callback side, because callers rely on
//! it (classic SRCU's `srcu_barrier` is `synchronize_srcu`):
//! - one list per [`CallbackQueues`] list (classic SRCU: one FIFO for everything; Tree SRCU:
//!   one per CPU slot), each worked by one worker, which takes everything queued, runs one
//!   grace period for it (started after the take, so after every `call_srcu` in it) and
//!   invokes it in order;
//! - `synchronize_srcu` runs its own grace period when its list is idle (classic SRCU's
//!   caller takes over the processing) and otherwise queues its wake-up behind the list's
//!   callbacks, so it returns after every callback queued before it on that list;
//! - `srcu_barrier`: classic SRCU, `synchronize_srcu`; per-CPU lists, a marker entrained
//!   behind every busy list (no grace period of its own, as Tree SRCU's entrained callback
//!   shares the last callback's), waited for;
//! - a list's worker thread is spawned when work is first queued on it, unless the scenario
//!   started one ([`SpecSrcu::attach_worker`]): an idle worker that already exists is a
//!   blocked thread, and loom, when it backtracks to a point where the thread it wants to run
//!   was blocked, explores every thread there instead (S1W: 186,621 executions with a worker
//!   started up front, 24,922 with one spawned on demand).
//! - when no thread is left for a list's worker (loom allows five: G1), the list is worked by
//!   the lowest list's worker that exists, as the real SRCUs' workqueue runs the work of a CPU
//!   slot without a kworker on the lowest slot that has one; that worker looks at each of its
//!   lists in turn (one scheduling point per list).
//!
//! What the specification does not have, each erring towards more behaviours: Tree SRCU's own
//! read-side section inside `call_srcu` (it only delays grace periods), `srcu_barrier`'s
//! mutex, the per-CPU counters' sums (no unstable zero to exploit), and the real algorithms'
//! barriers between readers under loom.
//!
//! # Scheduling points
//! `srcu_read_lock` one (its slot's lock; once per thread one more, to register the slot),
//! `srcu_read_unlock` one, a grace period one for the slot registry plus one per registered
//! slot (and a park while it waits), `call_srcu` one (the list's lock), and the worker one per
//! batch plus one when it finds its list empty.

use super::SrcuCallback;
use crate::backend::{Backend, JoinOps, MutexOps, ThreadOps};
use crate::exec::Task;
use crate::trace::Op;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The callback structure the specification keeps: that of the SRCU it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CallbackQueues {
    /// Classic SRCU (v3.16/v3.17): one FIFO pipeline for every callback, `synchronize_srcu`'s
    /// own wake-up included, worked by one worker. So `synchronize_srcu` returns only after
    /// every callback queued before it has run, and `srcu_barrier` *is* `synchronize_srcu`.
    #[default]
    Fifo,
    /// Tree SRCU (v4.12+): one list per CPU slot (`sdp->srcu_cblist`), each worked by its own
    /// CPU's worker, in no order relative to the other lists. `synchronize_srcu` queues its
    /// wake-up on its own CPU's list only; `srcu_barrier` waits on every non-empty list.
    PerCpu,
}

/// The most threads one execution may have (the model's thread ids are below it), whatever
/// the backend allows.
const MAX_THREADS: usize = 16;

/// Harness bookkeeping in std atomics: touched by one model thread at a time under loom and
/// shuttle (exact), and ordered by the backend's locks and park/unpark on real threads.
const BOOK: Ordering = Ordering::SeqCst;

/// Something a thread waits for: a flag, and the thread to unpark when it is set.
struct Done<B: Backend> {
    done: AtomicBool,
    waiter: B::Thread,
}

impl<B: Backend> Done<B> {
    fn new() -> Arc<Self> {
        Arc::new(Done {
            done: AtomicBool::new(false),
            waiter: B::current(),
        })
    }

    /// `complete()`: loom's unpark carries happens-before from here to the waiter.
    fn complete(&self) {
        self.done.store(true, BOOK);
        self.waiter.unpark();
    }

    fn wait(&self, cur: &Task) {
        while !self.done.load(BOOK) {
            cur.park::<B>();
        }
    }
}

/// A grace period waiting for sections: how many slots still have sections it waits for,
/// and its thread.
struct GpWait<B: Backend> {
    slots_left: AtomicUsize,
    thread: B::Thread,
}

/// A grace period's wait on one slot: the slot's sections it waits for.
struct Waiter<B: Backend> {
    gp: Arc<GpWait<B>>,
    sections: Vec<u64>,
}

/// One thread's read-side state: its open sections and the grace periods waiting on them.
struct Slot<B: Backend> {
    open: Vec<u64>,
    waiters: Vec<Waiter<B>>,
}

/// One entry of a callback list.
enum Entry<B: Backend> {
    /// A `call_srcu` callback, named in the trace by its `CallSrcu` event.
    Call { call: usize, func: SrcuCallback },
    /// The wake-up of a `synchronize_srcu` queued behind the list's callbacks.
    Wake(Arc<Done<B>>),
    /// An `srcu_barrier` marker: needs no grace period of its own.
    Barrier(Arc<Done<B>>),
}

impl<B: Backend> Entry<B> {
    fn needs_grace_period(&self) -> bool {
        !matches!(self, Entry::Barrier(_))
    }

    fn invoke(self, cur: &Task) {
        match self {
            Entry::Call { call, func } => {
                cur.record(Op::CallbackStart { call });
                func(cur);
                cur.record(Op::CallbackDone { call });
            }
            Entry::Wake(done) | Entry::Barrier(done) => done.complete(),
        }
    }
}

/// What a list's lock protects.
struct ListState<B: Backend> {
    pending: VecDeque<Entry<B>>,
    /// A worker (or a `synchronize_srcu` that took over) owns the list: queued entries will
    /// be processed without a wake-up.
    running: bool,
}

/// One callback list and its worker.
struct List<B: Backend> {
    state: B::Mutex<ListState<B>>,
    /// Bookkeeping: the worker thread, once it exists (set by the worker when it starts, or
    /// by the thread that spawns it).
    worker: OnceLock<B::Thread>,
    /// Bookkeeping: a worker thread exists or is about to (the scenario's, announced with
    /// [`SpecSrcu::attach_worker`], or one spawned on demand).
    attached: AtomicBool,
    /// Bookkeeping: the worker spawned on demand, for [`SpecSrcu::stop_worker`] to join.
    spawned: Mutex<Option<B::JoinHandle<()>>>,
    /// Bookkeeping: the list whose worker works this one, when no thread was left to spawn
    /// a worker of its own (loom allows five threads): as the real SRCUs' workqueue runs a
    /// CPU's work without a kworker on the lowest CPU slot that has one.
    routed: OnceLock<usize>,
}

impl<B: Backend> List<B> {
    fn new() -> Self {
        List {
            state: B::Mutex::new(ListState {
                pending: VecDeque::new(),
                running: false,
            }),
            worker: OnceLock::new(),
            attached: AtomicBool::new(false),
            spawned: Mutex::new(None),
            routed: OnceLock::new(),
        }
    }
}

/// Everything the specification's threads share (its on-demand workers hold it too).
struct Inner<B: Backend> {
    /// Each thread's slot, by thread id, for every id the backend allows (created with the
    /// specification, before any thread of the model uses it).
    slots: Box<[B::Mutex<Slot<B>>]>,
    /// Serialises the grace periods' readings of the slots, as the real algorithms serialise
    /// their grace periods (classic SRCU: one processing owner; Tree SRCU: one state
    /// machine). Without it, two concurrent grace periods' locks of every slot were explored
    /// in every relative order (S4 on v3.17: 43,416 executions instead of ...).
    snapshot: B::Mutex<()>,
    /// Bookkeeping: the next section number of thread `t` (written by `t` only).
    next_section: Box<[AtomicU64]>,
    /// Bookkeeping: how many sections thread `t` has open (written by `t` only), so that a
    /// grace period can tell, without a scheduling point, that it waits for itself.
    open_sections: Box<[AtomicUsize]>,
    queues: CallbackQueues,
    lists: Box<[List<B>]>,
    /// Bookkeeping: the scenario has no more callers; idle workers return.
    stopped: AtomicBool,
}

/// The SRCU specification (see the module documentation).
pub struct SpecSrcu<B: Backend> {
    inner: Arc<Inner<B>>,
}

impl<B: Backend> SpecSrcu<B> {
    /// A specification with `cpus` CPU slots and callback lists as `queues` says.
    pub fn new(cpus: usize, queues: CallbackQueues) -> Self {
        let lists = match queues {
            CallbackQueues::Fifo => 1,
            CallbackQueues::PerCpu => cpus,
        };
        SpecSrcu {
            inner: Arc::new(Inner {
                slots: (0..B::MAX_THREADS.min(MAX_THREADS))
                    .map(|_| {
                        B::Mutex::new(Slot {
                            open: Vec::new(),
                            waiters: Vec::new(),
                        })
                    })
                    .collect(),
                snapshot: B::Mutex::new(()),
                next_section: (0..MAX_THREADS).map(|_| AtomicU64::new(0)).collect(),
                open_sections: (0..MAX_THREADS).map(|_| AtomicUsize::new(0)).collect(),
                queues,
                lists: (0..lists).map(|_| List::new()).collect(),
                stopped: AtomicBool::new(false),
            }),
        }
    }

    /// `srcu_read_lock`: opens a section in the calling thread's slot; returns its number.
    pub fn read_lock(&self, cur: &Task) -> u64 {
        self.inner.read_lock(cur)
    }

    /// `srcu_read_unlock`: closes section `section` of the calling thread.
    pub fn read_unlock(&self, cur: &Task, section: u64) {
        self.inner.read_unlock(cur, section)
    }

    /// `call_srcu`: queues `func` (named by its `CallSrcu` event `call`) on the current CPU's
    /// list, waking or spawning the list's worker if the list is idle.
    pub fn call_srcu(&self, cur: &Task, call: usize, func: SrcuCallback) {
        Inner::queue(&self.inner, cur, Entry::Call { call, func });
    }

    /// `synchronize_srcu`: a grace period of its own when its list is idle, else its wake-up
    /// queued behind the list's callbacks.
    pub fn synchronize_srcu(&self, cur: &Task) {
        let inner = &self.inner;
        let list = inner.list_of(cur);
        if !list.attached.load(BOOK) {
            // No worker, so no callback was ever queued on this list (call_srcu starts one):
            // nothing to wait for but readers. Concurrent callers each run their own grace
            // period, as they do in a scenario without a worker thread.
            inner.grace_period(cur);
            return;
        }
        let mut st = list.state.lock();
        if !st.running {
            // Take over the idle list (classic SRCU's caller steals the processing), run the
            // grace period, and hand the list back (to its worker, if callbacks came
            // meanwhile).
            st.running = true;
            drop(st);
            inner.grace_period(cur);
            inner.hand_back(list);
            return;
        }
        let done = Done::new();
        st.pending.push_back(Entry::Wake(Arc::clone(&done)));
        drop(st);
        done.wait(cur);
    }

    /// `srcu_barrier`: returns after every callback queued before it has been invoked.
    pub fn srcu_barrier(&self, cur: &Task) {
        if self.inner.queues == CallbackQueues::Fifo {
            // Classic SRCU: srcu_barrier is synchronize_srcu, whose wake-up passes through the
            // one FIFO behind every earlier callback.
            self.synchronize_srcu(cur);
            return;
        }
        // Tree SRCU: a marker entrained behind every list that has work, waited for.
        let mut markers = Vec::new();
        for list in self.inner.lists.iter() {
            let mut st = list.state.lock();
            if st.running {
                let done = Done::new();
                st.pending.push_back(Entry::Barrier(Arc::clone(&done)));
                markers.push(done);
            }
        }
        for done in markers {
            done.wait(cur);
        }
    }

    /// The number of callback lists.
    pub fn callback_queues(&self) -> usize {
        self.inner.lists.len()
    }

    /// The lists with entries queued and not yet taken by their worker.
    pub fn lists_with_callbacks(&self) -> Vec<usize> {
        (0..self.inner.lists.len())
            .filter(|&i| !self.inner.lists[i].state.lock().pending.is_empty())
            .collect()
    }

    /// Declares that the scenario starts a worker thread for list `list` (worker `i` runs on
    /// CPU slot `i`): no worker is spawned on demand for it.
    pub fn attach_worker(&self, list: usize) {
        self.inner.lists[list].attached.store(true, BOOK);
    }

    /// The body of the worker of the current CPU's list, when the scenario starts one.
    pub fn srcu_worker(&self, cur: &Task) {
        let list = self.inner.list_of(cur);
        list.attached.store(true, BOOK);
        let _ = list.worker.set(B::current());
        self.inner.worker(cur, list);
    }

    /// Tells the workers to return once their lists are empty, and joins the workers spawned
    /// on demand. Call it after every thread that may use SRCU has finished.
    pub fn stop_worker(&self) {
        self.inner.stopped.store(true, BOOK);
        for list in self.inner.lists.iter() {
            if let Some(w) = list.worker.get() {
                w.unpark();
            }
        }
        for list in self.inner.lists.iter() {
            let spawned = list
                .spawned
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            if let Some(h) = spawned {
                h.join();
            }
        }
    }
}

impl<B: Backend> Inner<B> {
    fn thread(&self, cur: &Task) -> usize {
        let t = usize::from(cur.id().0);
        assert!(
            t < self.slots.len(),
            "the SRCU specification has {} thread slots",
            self.slots.len()
        );
        t
    }

    fn slot(&self, t: usize) -> &B::Mutex<Slot<B>> {
        &self.slots[t]
    }

    fn list_of(&self, cur: &Task) -> &List<B> {
        &self.lists[cur.cpu() % self.lists.len()]
    }

    fn read_lock(&self, cur: &Task) -> u64 {
        let t = self.thread(cur);
        let section = self.next_section[t].fetch_add(1, BOOK);
        // The one scheduling point of srcu_read_lock. A grace period that read this slot
        // before does not wait for the section, and its start happens before it (the lock's
        // release and acquire: the real algorithms' A, then B); one that reads it after waits.
        self.slot(t).lock().open.push(section);
        self.open_sections[t].fetch_add(1, BOOK);
        section
    }

    fn read_unlock(&self, cur: &Task, section: u64) {
        let t = self.thread(cur);
        self.open_sections[t].fetch_sub(1, BOOK);
        // The one scheduling point of srcu_read_unlock.
        let mut slot = self.slot(t).lock();
        slot.open.retain(|&s| s != section);
        slot.waiters.retain_mut(|w| {
            w.sections.retain(|&s| s != section);
            if !w.sections.is_empty() {
                return true;
            }
            w.gp.slots_left.fetch_sub(1, BOOK);
            // Every waited-for slot unparks the grace period when it is done with it, not only
            // the last: loom's unpark carries happens-before (this section's end before the
            // grace period's: the real algorithms' C, then D), and a slot that did not unpark
            // would give none.
            w.gp.thread.unpark();
            false
        });
    }

    /// A grace period: returns once every section open when it read its slot has ended.
    ///
    /// It reads the slot of every thread id the backend allows ([`Backend::MAX_THREADS`]),
    /// threads not spawned yet included (their first section is then ordered after the grace
    /// period's start, as the real algorithms order it), but its own: a thread with a section
    /// open waits for itself (a deadlock, which the checkers report), and it knows its own
    /// sections without a scheduling point. Reading the slot of a thread that does not exist
    /// costs a scheduling point but no execution: loom has no thread to reorder against it.
    /// (Reading only the slots of the threads that existed when the grace period began let
    /// loom's walker W, spawned later, read a list unlinked before the grace period: a false
    /// use-after-free in S1W.)
    fn grace_period(&self, cur: &Task) {
        let me = self.thread(cur);
        if self.open_sections[me].load(BOOK) != 0 {
            cur.park_until::<B>(
                "the grace period's own read-side section (it waits for itself)",
                || false,
            );
        }
        let gp = Arc::new(GpWait {
            slots_left: AtomicUsize::new(0),
            thread: B::current(),
        });
        {
            let _serialised = self.snapshot.lock();
            for t in (0..self.slots.len()).filter(|&t| t != me) {
                let mut slot = self.slot(t).lock();
                if !slot.open.is_empty() {
                    gp.slots_left.fetch_add(1, BOOK);
                    let sections = slot.open.clone();
                    slot.waiters.push(Waiter {
                        gp: Arc::clone(&gp),
                        sections,
                    });
                }
            }
        }
        cur.park_until::<B>(
            "the SRCU read-side sections the grace period waits for",
            || gp.slots_left.load(BOOK) == 0,
        );
    }

    /// Queues `entry` on the current CPU's list; wakes or starts its worker if the list is
    /// idle.
    fn queue(this: &Arc<Self>, cur: &Task, entry: Entry<B>) {
        let list = this.list_of(cur);
        let mut st = list.state.lock();
        st.pending.push_back(entry);
        if st.running {
            return;
        }
        st.running = true;
        // Under the lock: a synchronize_srcu that finds no worker has no callback to wait for.
        let spawn = !list.attached.swap(true, BOOK);
        // No thread left for a worker of its own (G1 runs five threads: loom's limit): the
        // lowest list with a worker works this one too, as the real SRCUs' workqueue runs a
        // CPU's work without a kworker on the lowest slot with one. It serialises the two
        // lists' invocations as the real SRCU's one kworker does in such a scenario.
        let route = spawn && cur.exec().threads() >= B::MAX_THREADS;
        if route {
            let to = this
                .lists
                .iter()
                .position(|l| !std::ptr::eq(l, list) && l.attached.load(BOOK))
                .expect("a thread limit reached with no SRCU worker to route to");
            let _ = list.routed.set(to);
        }
        drop(st);
        if spawn && !route {
            Self::spawn_worker(this, cur, list);
        } else {
            this.wake(list);
        }
        // (The scenario's worker, announced but not started yet, looks at the list when it
        // starts.)
    }

    /// Gives up the ownership of `list` that a `synchronize_srcu` took, to the list's worker
    /// if entries came meanwhile (`srcu_reschedule`).
    fn hand_back(&self, list: &List<B>) {
        let mut st = list.state.lock();
        if st.pending.is_empty() {
            st.running = false;
        } else {
            // (A worker spawned on demand that has not started yet looks at the list when it
            // does.)
            self.wake(list);
        }
    }

    /// Wakes the worker that works `list` (its own, or the one it is routed to).
    fn wake(&self, list: &List<B>) {
        let worker = match list.routed.get() {
            Some(&to) => &self.lists[to],
            None => list,
        };
        if let Some(w) = worker.worker.get() {
            w.unpark();
        }
    }

    /// The index of `list`.
    fn index_of(&self, list: &List<B>) -> usize {
        self.lists
            .iter()
            .position(|l| std::ptr::eq(l, list))
            .unwrap_or(0)
    }

    /// One batch: a grace period (if an entry needs one), then every entry in order.
    fn process(&self, cur: &Task, batch: Vec<Entry<B>>) {
        if batch.iter().any(Entry::needs_grace_period) {
            // Started after the batch was taken, so after every call_srcu in it.
            self.grace_period(cur);
        }
        for entry in batch {
            entry.invoke(cur);
        }
    }

    /// Spawns `list`'s worker on the list's CPU slot.
    fn spawn_worker(this: &Arc<Self>, cur: &Task, list: &List<B>) {
        let index = this.index_of(list);
        let name = if this.lists.len() == 1 {
            "G".to_string()
        } else {
            format!("G{index}")
        };
        let inner = Arc::clone(this);
        let handle = cur.spawn::<B, _>(&name, index, move |t| {
            let list = &inner.lists[index];
            let _ = list.worker.set(B::current());
            inner.worker(t, list);
        });
        *list.spawned.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
    }

    /// A list's worker: takes everything queued, runs one grace period for it (if any entry
    /// needs one), invokes it in order; sleeps while the list is empty; returns once stopped
    /// with nothing left. It also works the lists routed to it (see [`Inner::queue`]), each
    /// looked at in turn.
    fn worker(&self, cur: &Task, list: &List<B>) {
        let _f = cur.enter_helper("process_srcu");
        let me = self.index_of(list);
        loop {
            let mut batch: Option<Vec<Entry<B>>> = None;
            let served = self
                .lists
                .iter()
                .enumerate()
                .filter(|&(i, l)| i == me || l.routed.get() == Some(&me));
            for (_, l) in served {
                let mut st = l.state.lock();
                if st.pending.is_empty() {
                    st.running = false;
                } else {
                    batch = Some(st.pending.drain(..).collect());
                    break;
                }
            }
            match batch {
                Some(batch) => self.process(cur, batch),
                None if self.stopped.load(BOOK) => return,
                None => cur.park::<B>(),
            }
        }
    }
}

#[cfg(test)]
mod tests;
