//! The SRCU *specification*: readers and grace periods as the SRCU guarantees describe them,
//! with the fewest scheduling points that still allow everything a real implementation
//! allows. The notifier scenarios can run on it instead of a real SRCU (a per-check choice);
//! each real implementation is checked against it (see the SRCU scenarios).
//!
//! What it promises, and nothing more:
//! - a grace period waits for exactly the read-side sections that had begun when it read
//!   their thread's state, and that is after `synchronize_srcu` was called (or after the
//!   callbacks it serves were queued): every section begun before the call is waited for; a
//!   section begun during the grace period may or may not be, as the real algorithms allow
//!   (loom explores both);
//! - happens-before from the end of each waited-for section to the end of the grace period,
//!   and from the start of the grace period to each section it did not wait for — the two
//!   edges the real algorithms give through their barriers (classic: D after C, and B after
//!   A; Tree SRCU the same, plus E);
//! - no happens-before between readers: each thread's sections are kept in a slot of its own,
//!   under a lock of its own, so two readers never synchronise with each other through SRCU
//!   (the kernel's per-CPU counters do not order two CPUs' sections either; loom's
//!   `fence(SeqCst)` does, which makes the real algorithms *stronger* under loom than in the
//!   kernel: a verdict that differs between the two is reported by the agreement test);
//! - waits block: a grace period with sections to wait for parks, and the last of them to end
//!   unparks it (a polling specification costs more executions than the real algorithm).
//!
//! Scheduling points per operation: `srcu_read_lock` one (its slot's lock; one more, once per
//! thread, to register the slot), `srcu_read_unlock` one, a grace period one for the slot
//! registry plus one per registered slot, and a park while it waits.
//!
//! Why a section begun during a grace period needs no more than this: whether the real
//! algorithm waits for it depends on where its increment falls among the grace period's
//! summations and flip, so it may wait for a section and not for an earlier one; the
//! specification reads each slot once, early, so the sections it waits for are a subset of
//! those the real algorithm waited for in some execution with the same order of user events.
//! Waiting for fewer sections allows more interleavings, never fewer: the specification errs
//! towards false alarms, never towards hiding a bug.

use crate::backend::{Backend, MutexOps, ThreadOps};
use crate::exec::Task;
use crate::trace::Op;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

/// The most threads one execution may have (the model's thread ids are below it).
const MAX_THREADS: usize = 16;

/// Harness bookkeeping in std atomics, touched by one model thread at a time under loom and
/// shuttle (exact), and ordered by the slot locks on real threads.
const BOOK: Ordering = Ordering::SeqCst;

/// A grace period waiting for sections: how many of its slots still have sections it waits
/// for, and its thread, to unpark.
struct GpWait<B: Backend> {
    slots_left: AtomicUsize,
    thread: B::Thread,
}

/// A grace period's wait on one slot: the sections of that slot it waits for.
struct Waiter<B: Backend> {
    gp: Arc<GpWait<B>>,
    sections: Vec<u64>,
}

/// One thread's read-side state: its open sections and the grace periods waiting on them.
struct Slot<B: Backend> {
    open: Vec<u64>,
    waiters: Vec<Waiter<B>>,
}

/// The specification's reader registry.
pub struct SpecSrcu<B: Backend> {
    /// The threads that have ever read-locked (their slots exist). A grace period reads it
    /// first, so a thread that registers later is ordered after the grace period's start.
    registry: B::Mutex<Vec<usize>>,
    /// Each thread's slot, created when the thread registers.
    slots: Box<[OnceLock<B::Mutex<Slot<B>>>]>,
    /// Bookkeeping: whether thread `t` has registered (written by `t` only).
    registered: Box<[AtomicBool]>,
    /// Bookkeeping: the next section number of thread `t` (written by `t` only).
    next_section: Box<[AtomicU64]>,
}

impl<B: Backend> Default for SpecSrcu<B> {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Backend> SpecSrcu<B> {
    /// An SRCU with no reader yet.
    pub fn new() -> Self {
        SpecSrcu {
            registry: B::Mutex::new(Vec::new()),
            slots: (0..MAX_THREADS).map(|_| OnceLock::new()).collect(),
            registered: (0..MAX_THREADS).map(|_| AtomicBool::new(false)).collect(),
            next_section: (0..MAX_THREADS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn thread(cur: &Task) -> usize {
        let t = usize::from(cur.id().0);
        assert!(t < MAX_THREADS, "the SRCU specification has {MAX_THREADS} thread slots");
        t
    }

    fn slot(&self, t: usize) -> &B::Mutex<Slot<B>> {
        self.slots[t]
            .get()
            .unwrap_or_else(|| unreachable!("thread {t} reads before it registered"))
    }

    /// `srcu_read_lock`: opens a section in the calling thread's slot; returns its number.
    pub fn read_lock(&self, cur: &Task) -> u64 {
        let t = Self::thread(cur);
        if !self.registered[t].load(BOOK) {
            // Once per thread: a grace period that read the registry before this is ordered
            // before everything this thread does from here on.
            let mut registry = self.registry.lock();
            let _ = self.slots[t].set(B::Mutex::new(Slot {
                open: Vec::new(),
                waiters: Vec::new(),
            }));
            registry.push(t);
            self.registered[t].store(true, BOOK);
        }
        let section = self.next_section[t].fetch_add(1, BOOK);
        // The one scheduling point of srcu_read_lock. A grace period that read this slot
        // before does not wait for the section, and its start happens before it (the lock's
        // release/acquire: the real algorithms' A before B); one that reads it after waits.
        self.slot(t).lock().open.push(section);
        section
    }

    /// `srcu_read_unlock`: closes section `section` of the calling thread (on whatever CPU).
    /// Unparks every grace period that was waiting for this slot's sections and has none left.
    pub fn read_unlock(&self, cur: &Task, section: u64) {
        let t = Self::thread(cur);
        // The one scheduling point of srcu_read_unlock.
        let mut slot = self.slot(t).lock();
        slot.open.retain(|&s| s != section);
        slot.waiters.retain_mut(|w| {
            w.sections.retain(|&s| s != section);
            if !w.sections.is_empty() {
                return true;
            }
            w.gp.slots_left.fetch_sub(1, BOOK);
            // Every waited-for slot unparks the grace period when it is done with it, not
            // only the last: loom's unpark carries happens-before (this section's end before
            // the grace period's), and a slot that does not unpark would give none (the real
            // algorithms' C before D).
            w.gp.thread.unpark();
            false
        });
    }

    /// A grace period: returns once every section open at its reading of the slots (all
    /// begun before the call) has ended.
    pub fn grace_period(&self, cur: &Task) {
        let threads: Vec<usize> = self.registry.lock().clone();
        let gp = Arc::new(GpWait {
            slots_left: AtomicUsize::new(0),
            thread: B::current(),
        });
        for t in threads {
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
        if gp.slots_left.load(BOOK) == 0 {
            return;
        }
        let start = cur.record(Op::WaitStart {
            what: "the SRCU read-side sections the grace period waits for",
        });
        while gp.slots_left.load(BOOK) != 0 {
            cur.park::<B>();
        }
        cur.record(Op::WaitDone { start });
    }
}
