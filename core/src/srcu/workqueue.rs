//! The kernel's workqueue as SRCU uses it: work items queued on a CPU and run by kworker
//! threads, and the completions SRCU's waiters sleep on.
//!
//! - A work item is pending or not (`WORK_STRUCT_PENDING`): queueing a pending item does
//!   nothing (`queue_delayed_work` returns false). Its state lives under the pool's lock
//!   (`pool->lock`), which orders the queuer's earlier accesses before the work's run.
//! - Each work item has a home CPU slot; it runs on that slot's kworker thread, or, when the
//!   scenario started no kworker there, on the lowest slot that has one (as
//!   `srcu_queue_delayed_work_on` runs an offline CPU's work on another CPU). A kworker runs
//!   its items one at a time, so an item never runs concurrently with itself (the
//!   workqueue's non-reentrancy). Among its pending items it runs those queued without delay
//!   first, then the delayed ones, each kind in queueing order: the model has no clock, and
//!   a delayed item (`SRCU_INTERVAL`, a jiffy) fires after immediate ones queued in the same
//!   window. Before a delayed item that its own run requeued (a poll: `srcu_reschedule`
//!   while readers hold the grace period) it yields, so that polling is a loop every checker
//!   can preempt; it does not yield before a first run, which a yield would order after a
//!   step of every other thread (loom and shuttle's PCT run the others first after a yield:
//!   measured, a yield there hid every missing-barrier variant of Tree SRCU).
//! - With no kworker thread at all, a thread that waits for SRCU (a completion) runs the
//!   pending items itself, one waiter at a time. In the kernel the caller would sleep and a
//!   kworker would run them; running them in the caller adds program order where the kernel
//!   has the completion's lock, which gives the same happens-before (see the README).
//! - Kworker threads are harness threads: which slots have one, the stop request and the
//!   count of items pending or running are bookkeeping in std atomics, never scheduling
//!   points (loom and shuttle run one model thread at a time, so they are exact).

use crate::backend::{AtomicBoolOps, Backend, MutexOps, Ordering, ThreadOps};
use crate::exec::Task;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize};
use std::sync::OnceLock;

/// Harness bookkeeping: std atomics, read and written by one model thread at a time.
const BOOK: std::sync::atomic::Ordering = std::sync::atomic::Ordering::SeqCst;

/// A pending work item: queued with a delay or not, by its own run or not, and when
/// (queueing order).
#[derive(Debug, Clone, Copy)]
struct Queued {
    delayed: bool,
    /// Requeued by its own run (a poll: `srcu_reschedule` while readers hold the grace
    /// period).
    poll: bool,
    seq: u64,
}

/// A thread that sleeps in `park` until another wakes it.
///
/// loom's `unpark` makes a thread runnable even when it is blocked on a mutex, and that thread
/// then panics inside loom ("expected to be able to acquire lock"). So a thread is woken only
/// while it is between [`Sleeper::prepare`] and the end of [`Sleeper::sleep`], where it takes
/// no mutex other than the one whose release comes right before the wake-up (bookkeeping in a
/// std atomic, never a scheduling point).
struct Sleeper<B: Backend> {
    thread: B::Thread,
    parked: AtomicBool,
}

impl<B: Backend> Sleeper<B> {
    fn current() -> Self {
        Sleeper {
            thread: B::current(),
            parked: AtomicBool::new(false),
        }
    }

    /// About to check the condition it sleeps on, and sleep if it does not hold.
    fn prepare(&self) {
        self.parked.store(true, BOOK);
    }

    /// The condition holds: no sleep.
    fn cancel(&self) {
        self.parked.store(false, BOOK);
    }

    /// Sleeps until woken (at once if a wake-up came since [`Sleeper::prepare`]).
    fn sleep(&self, cur: &Task) {
        cur.park::<B>();
        self.parked.store(false, BOOK);
    }

    /// Wakes the thread if it is preparing to sleep or sleeping.
    fn wake(&self) {
        if self.parked.load(BOOK) {
            self.thread.unpark();
        }
    }
}

/// A kworker thread's slot.
struct Kworker<B: Backend> {
    /// Whether a kworker thread runs (or is about to run) on this slot.
    attached: AtomicBool,
    /// The thread, to wake. Set by the thread itself when it starts.
    thread: OnceLock<Sleeper<B>>,
}

/// A work item's state under the pool's lock.
#[derive(Debug, Clone, Copy, Default)]
struct WorkState {
    /// Queued and not yet taken.
    pending: Option<Queued>,
    /// Taken and not yet finished: no one else takes it meanwhile (non-reentrancy).
    running: bool,
}

/// The work items of one `srcu_struct` and the kworkers that run them.
pub struct Workqueue<B: Backend> {
    /// `pool->lock`: which items are pending or running.
    pool: B::Mutex<Vec<WorkState>>,
    /// The home CPU slot of each work item.
    homes: Box<[usize]>,
    kworkers: Box<[Kworker<B>]>,
    /// Serialises the waiters that run work themselves when no kworker exists.
    inline: B::Mutex<()>,
    /// Bookkeeping: the kworkers are to return once nothing is outstanding.
    stop: AtomicBool,
    /// Bookkeeping: items pending or running.
    outstanding: AtomicUsize,
    /// Bookkeeping: queueing order.
    next_seq: AtomicU64,
}

impl<B: Backend> Workqueue<B> {
    /// A workqueue for the work items whose home CPU slots are `homes`, on `cpus` slots.
    pub(super) fn new(cpus: usize, homes: Vec<usize>) -> Self {
        assert!(
            homes.iter().all(|&h| h < cpus),
            "a work item's home is a CPU slot"
        );
        Workqueue {
            pool: B::Mutex::new(vec![WorkState::default(); homes.len()]),
            homes: homes.into_boxed_slice(),
            kworkers: (0..cpus)
                .map(|_| Kworker {
                    attached: AtomicBool::new(false),
                    thread: OnceLock::new(),
                })
                .collect(),
            inline: B::Mutex::new(()),
            stop: AtomicBool::new(false),
            outstanding: AtomicUsize::new(0),
            next_seq: AtomicU64::new(0),
        }
    }

    /// Declares a kworker thread on CPU slot `cpu` (before it is spawned).
    pub(super) fn attach(&self, cpu: usize) {
        assert!(
            cpu < self.kworkers.len(),
            "no CPU slot {cpu} for a kworker (this SRCU has {})",
            self.kworkers.len()
        );
        self.kworkers[cpu].attached.store(true, BOOK);
    }

    /// Whether any kworker thread runs.
    fn has_kworkers(&self) -> bool {
        self.kworkers.iter().any(|k| k.attached.load(BOOK))
    }

    /// The slot whose kworker runs `work` now: its home, else the lowest with a kworker.
    fn route(&self, work: usize) -> Option<usize> {
        let home = self.homes[work];
        if self.kworkers[home].attached.load(BOOK) {
            return Some(home);
        }
        self.kworkers.iter().position(|k| k.attached.load(BOOK))
    }

    /// `queue_delayed_work(wq, work, delay)` (or `queue_work_on`): marks `work` pending unless
    /// it already is, and wakes the kworker that runs it. Returns whether it was queued.
    pub(super) fn queue(&self, work: usize, delayed: bool) -> bool {
        {
            let mut pool = self.pool.lock();
            if pool[work].pending.is_some() {
                return false;
            }
            let seq = self.next_seq.fetch_add(1, BOOK);
            let poll = pool[work].running;
            pool[work].pending = Some(Queued { delayed, poll, seq });
            self.outstanding.fetch_add(1, BOOK);
        }
        if let Some(k) = self.route(work) {
            if let Some(t) = self.kworkers[k].thread.get() {
                t.wake();
            }
        }
        true
    }

    /// Takes the next pending item that `pick` accepts and no one runs: immediate ones first,
    /// then delayed ones, each in queueing order. Returns it and whether it is a delayed poll.
    fn take(&self, pick: impl Fn(usize) -> bool) -> Option<(usize, bool)> {
        let mut pool = self.pool.lock();
        let next = pool
            .iter()
            .enumerate()
            .filter(|&(w, st)| !st.running && pick(w))
            .filter_map(|(w, st)| st.pending.map(|q| (w, q)))
            .min_by_key(|&(_, q)| (q.delayed, q.seq))
            .map(|(w, q)| (w, q.delayed && q.poll));
        if let Some((w, _)) = next {
            pool[w] = WorkState {
                pending: None,
                running: true,
            };
        }
        next
    }

    /// Runs one taken item; a delayed poll after a yield (its delay).
    fn run_one(&self, cur: &Task, (work, poll): (usize, bool), run: &impl Fn(&Task, usize)) {
        if poll {
            cur.idle::<B>();
        }
        run(cur, work);
        self.pool.lock()[work].running = false;
        if self.outstanding.fetch_sub(1, BOOK) == 1 && self.stop.load(BOOK) {
            self.wake_all();
        }
    }

    fn wake_all(&self) {
        for k in self.kworkers.iter() {
            if let Some(t) = k.thread.get() {
                t.wake();
            }
        }
    }

    /// The body of the kworker thread of slot `cur.cpu()`: runs the items routed to it with
    /// `run`, sleeps while there are none, returns once stopped with nothing outstanding.
    pub(super) fn kworker(&self, cur: &Task, run: impl Fn(&Task, usize)) {
        let me = cur.cpu();
        assert!(
            self.kworkers[me].attached.load(BOOK),
            "announce kworker {me} with attach_worker before spawning it"
        );
        assert!(
            self.kworkers[me].thread.set(Sleeper::current()).is_ok(),
            "one kworker per CPU slot"
        );
        let sleeper = self.kworkers[me].thread.get().expect("set above");
        loop {
            sleeper.prepare();
            match self.take(|w| self.route(w) == Some(me)) {
                Some(item) => {
                    sleeper.cancel();
                    self.run_one(cur, item, &run);
                }
                None if self.stop.load(BOOK) && self.outstanding.load(BOOK) == 0 => {
                    sleeper.cancel();
                    // Gone: SRCU work queued from now on (a thread of the scenario's teardown,
                    // such as main's last mmput, after the kworkers were joined) is run by
                    // its waiter, as with no kworker at all.
                    self.kworkers[me].attached.store(false, BOOK);
                    return;
                }
                None => sleeper.sleep(cur),
            }
        }
    }

    /// Tells the kworkers to return once nothing is pending or running (each then detaches
    /// from its slot).
    pub(super) fn stop(&self) {
        self.stop.store(true, BOOK);
        self.wake_all();
    }

    /// With no kworker thread: runs one pending item in the calling (waiting) thread, if
    /// there is one. Returns whether it ran one.
    pub(super) fn run_inline(&self, cur: &Task, run: &impl Fn(&Task, usize)) -> bool {
        let _one_at_a_time = self.inline.lock();
        match self.take(|_| true) {
            Some(item) => {
                self.run_one(cur, item, run);
                true
            }
            None => false,
        }
    }
}

/// `struct completion`: `complete()` by one thread, `wait_for_completion()` by the thread
/// that created it.
pub struct Completion<B: Backend> {
    done: B::AtomicBool,
    waiter: Sleeper<B>,
}

impl<B: Backend> Completion<B> {
    /// `init_completion`, for the calling thread to wait on.
    pub(super) fn new() -> Self {
        Completion {
            done: B::AtomicBool::new(false),
            waiter: Sleeper::current(),
        }
    }

    /// `complete()`: the release store pairs with the acquire in
    /// [`Completion::wait_for_completion`] (the kernel's wait-queue lock).
    pub(super) fn complete(&self) {
        self.done.store(true, Ordering::Release);
        self.waiter.wake();
    }

    /// `wait_for_completion()`: sleeps until [`Completion::complete`]; with no kworker thread
    /// in the scenario, runs the workqueue's pending items meanwhile (`run`).
    pub(super) fn wait_for_completion(
        &self,
        cur: &Task,
        wq: &Workqueue<B>,
        run: impl Fn(&Task, usize),
    ) {
        let mut spins: u64 = 0;
        loop {
            let sleeps = wq.has_kworkers();
            if sleeps {
                self.waiter.prepare();
            }
            if self.done.load(Ordering::Acquire) {
                self.waiter.cancel();
                return;
            }
            spins += 1;
            cur.check_spin_limit::<B>(spins);
            if sleeps {
                self.waiter.sleep(cur);
            } else if !wq.run_inline(cur, &run) {
                cur.idle::<B>();
            }
        }
    }
}

#[cfg(test)]
mod tests;
