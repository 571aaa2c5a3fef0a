//! Classic SRCU (`kernel/srcu.c`, v3.16/v3.17; Lai Jiangshan's two-index algorithm) at the
//! granularity of its loads, stores and barriers.
//!
//! State: `completed` (grace-period counter; its low bit is the index new readers use) and per
//! CPU `c[2]` (reader counts) and `seq[2]` (lock counts, to validate a zero sum). Readers
//! increment `c[idx]` and `seq[idx]` on the CPU they lock on and decrement `c[idx]` on the CPU
//! they unlock on, which may differ. A grace period waits until the inactive index is stably
//! zero, flips the index, and waits until the old index is stably zero.
//!
//! Simplifications, each deliberate:
//! - Grace periods are serialised by one mutex and run by whoever needs them:
//!   `synchronize_srcu` runs its own, the SRCU worker runs one per batch of callbacks. The
//!   kernel's batch pipeline (`batch_queue`/`check0`/`check1`/`done`, `process_srcu`) spreads
//!   the two checks of one batch over two passes of `srcu_advance_batches`; each pass waits on
//!   the index that is inactive *at that time*, which is what `SrcuStruct::grace_period`
//!   does by reading `completed` again after the flip.
//! - The per-CPU increments are single atomic RMWs: in the kernel they run with preemption
//!   disabled on their own CPU, so no other access to that counter can fall between the load
//!   and the store.
//! - The worker is a thread of the model (the kernel's workqueue); it stops when told to
//!   ([`SrcuStruct::stop_worker`]), once the scenario has no more callers.

use crate::backend::ThreadOps;
use crate::backend::{AtomicBoolOps, AtomicUsizeOps, Backend, MutexOps, Ordering};
use crate::exec::Task;
use crate::trace::Op;
use std::collections::VecDeque;
use std::sync::{Arc, OnceLock};

/// A callback queued with `call_srcu` (`rcu_head` plus its function).
pub type SrcuCallback = Box<dyn FnOnce(&Task) + Send>;

/// One queued `rcu_head`: a `call_srcu` callback (named in the trace by its `CallSrcu` event)
/// or the wake-up of a `synchronize_srcu` waiting in the queue (`wakeme_after_rcu`), which the
/// trace does not show as a callback.
type Queued = (Option<usize>, SrcuCallback);

/// Deliberately broken versions of the algorithm, each removing one ordering or step. Each
/// must be caught by a specific check (see the SRCU scenarios in `notifier-models`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SrcuVariant {
    /// The algorithm as in the kernel.
    #[default]
    Classic,
    /// `srcu_flip` removed: both checks wait on the same (inactive) index, so a reader on the
    /// active index is never waited for.
    NoFlip,
    /// The first check (on the inactive index, before the flip) removed: a reader that fetched
    /// the index before the previous grace period's flip is missed.
    SingleDrain,
    /// The `seq[]` re-validation removed (barrier D kept): the "unstable zero" of a reader
    /// that unlocks on another CPU than it locked on, summed at the wrong moment, ends the
    /// grace period early.
    NoSeqRecheck,
    /// The worker invokes callbacks without waiting for a grace period.
    CallbackWithoutGracePeriod,
    /// Barrier B in `__srcu_read_lock` removed: the updater's summation may miss a reader's
    /// increment that the reader has already made (needs weak memory: loom only).
    NoReaderBarrierB,
    /// Barrier C in `__srcu_read_unlock` removed: the section's accesses are not ordered
    /// before the decrement an updater sees (loom only).
    NoReaderBarrierC,
    /// Barrier D in `srcu_readers_active_idx_check` removed: C's partner; a decrement seen by
    /// the summation orders nothing after the grace period (loom only).
    NoUpdaterBarrierD,
}

impl SrcuVariant {
    /// Every variant, the correct one first.
    pub const ALL: [SrcuVariant; 8] = [
        SrcuVariant::Classic,
        SrcuVariant::NoFlip,
        SrcuVariant::SingleDrain,
        SrcuVariant::NoSeqRecheck,
        SrcuVariant::CallbackWithoutGracePeriod,
        SrcuVariant::NoReaderBarrierB,
        SrcuVariant::NoReaderBarrierC,
        SrcuVariant::NoUpdaterBarrierD,
    ];

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            SrcuVariant::Classic => "classic",
            SrcuVariant::NoFlip => "no-flip",
            SrcuVariant::SingleDrain => "single-drain",
            SrcuVariant::NoSeqRecheck => "no-seq-recheck",
            SrcuVariant::CallbackWithoutGracePeriod => "callback-without-gp",
            SrcuVariant::NoReaderBarrierB => "no-barrier-b",
            SrcuVariant::NoReaderBarrierC => "no-barrier-c",
            SrcuVariant::NoUpdaterBarrierD => "no-barrier-d",
        }
    }
}

struct SrcuPerCpu<B: Backend> {
    c: [B::AtomicUsize; 2],
    seq: [B::AtomicUsize; 2],
}

struct CallbackQueue {
    pending: VecDeque<Queued>,
    /// Callbacks ever queued / ever invoked to completion (FIFO, so a count suffices). The
    /// worker adds a batch to `invoked` the next time it takes the lock, not once per callback:
    /// each lock acquisition is a scheduling point that every other user of the lock is
    /// explored against.
    queued: usize,
    invoked: usize,
    /// `sp->running`: the worker has been scheduled and has not yet found the queue empty.
    /// `call_srcu` wakes the worker only when it is not running (`queue_delayed_work`).
    running: bool,
    /// Set when the scenario has no more callers: the worker returns once the queue is empty.
    stop: bool,
}

/// `struct srcu_struct`.
pub struct SrcuStruct<B: Backend> {
    completed: B::AtomicUsize,
    per_cpu: Box<[SrcuPerCpu<B>]>,
    /// Serialises grace periods (`sp->mutex` / the "running" ownership in classic SRCU).
    gp_mutex: B::Mutex<()>,
    /// `sp->queue_lock` and the callback batch.
    queue: B::Mutex<CallbackQueue>,
    /// The worker thread, to wake (harness bookkeeping: the kernel's workqueue). Set by the
    /// worker itself when it starts, without a scheduling point.
    worker: OnceLock<B::Thread>,

    variant: SrcuVariant,
}

/// What `srcu_read_lock` returns: the index, plus the trace's name for the section.
#[derive(Debug)]
#[must_use = "pass it to srcu_read_unlock"]
pub struct SrcuIdx {
    /// The index the reader incremented.
    pub idx: usize,
    section: usize,
}

impl<B: Backend> SrcuStruct<B> {
    /// `init_srcu_struct` with `cpus` per-CPU slots (use the fewest that show what a scenario
    /// needs: each slot adds loads to every summation).
    pub fn new(cpus: usize, variant: SrcuVariant) -> Self {
        assert!(cpus >= 1, "SRCU needs at least one CPU slot");
        let per_cpu = (0..cpus)
            .map(|_| SrcuPerCpu {
                c: [B::AtomicUsize::new(0), B::AtomicUsize::new(0)],
                seq: [B::AtomicUsize::new(0), B::AtomicUsize::new(0)],
            })
            .collect();
        SrcuStruct {
            completed: B::AtomicUsize::new(0),
            per_cpu,
            gp_mutex: B::Mutex::new(()),
            queue: B::Mutex::new(CallbackQueue {
                pending: VecDeque::new(),
                queued: 0,
                invoked: 0,
                running: false,
                stop: false,
            }),
            worker: OnceLock::new(),
            variant,
        }
    }

    fn slot(&self, cur: &Task) -> &SrcuPerCpu<B> {
        &self.per_cpu[cur.cpu() % self.per_cpu.len()]
    }

    /// `srcu_read_lock`: enters a read-side section on the current CPU.
    pub fn srcu_read_lock(&self, cur: &Task) -> SrcuIdx {
        let _f = cur.enter_helper("srcu_read_lock");
        let idx = self.completed.load(Ordering::Relaxed) & 1; // ACCESS_ONCE(sp->completed) & 1
        let slot = self.slot(cur);
        slot.c[idx].fetch_add(1, Ordering::Relaxed);
        if self.variant != SrcuVariant::NoReaderBarrierB {
            // smp_mb() B: pairs with A in srcu_readers_active_idx_check. A summation that
            // misses this increment is followed (A) by nothing this section can miss.
            B::fence(Ordering::SeqCst);
        }
        slot.seq[idx].fetch_add(1, Ordering::Relaxed);
        // Recorded once the section has begun: the oracle asks every grace period that
        // starts after this event to wait for it.
        let section = cur.record(Op::SrcuReadLock {
            idx,
            cpu: cur.cpu(),
        });
        SrcuIdx { idx, section }
    }

    /// `srcu_read_unlock(idx)`: leaves the section, on the CPU the thread runs on now.
    pub fn srcu_read_unlock(&self, cur: &Task, idx: SrcuIdx) {
        let _f = cur.enter_helper("srcu_read_unlock");
        // Recorded before the decrement, which is what lets a grace period end.
        cur.record(Op::SrcuReadUnlock {
            idx: idx.idx,
            cpu: cur.cpu(),
            section: idx.section,
        });
        if self.variant != SrcuVariant::NoReaderBarrierC {
            // smp_mb() C: pairs with D. Everything in the section happens before an updater
            // that sees this decrement goes on to its destructive step.
            B::fence(Ordering::SeqCst);
        }
        self.slot(cur).c[idx.idx].fetch_sub(1, Ordering::Relaxed);
    }

    fn readers_seq_idx(&self, idx: usize) -> usize {
        self.per_cpu.iter().fold(0usize, |s, p| {
            s.wrapping_add(p.seq[idx].load(Ordering::Relaxed))
        })
    }

    fn readers_active_idx(&self, idx: usize) -> usize {
        self.per_cpu.iter().fold(0usize, |s, p| {
            s.wrapping_add(p.c[idx].load(Ordering::Relaxed))
        })
    }

    /// `srcu_readers_active_idx_check`: whether the readers of `idx` are stably gone.
    fn srcu_readers_active_idx_check(&self, idx: usize) -> bool {
        let seq = self.readers_seq_idx(idx);
        // smp_mb() A: pairs with B. If this summation misses a reader's increment, that reader
        // sees everything the updater did before the grace period. And if the seq sum above
        // saw a reader's seq increment, the c sum below sees its c increment.
        B::fence(Ordering::SeqCst);
        // The sum can be zero with a reader present ("unstable zero"): a reader that locks on
        // one CPU after it was summed and unlocks on another before it is summed cancels a
        // long-running reader's count. The seq check below catches that.
        if self.readers_active_idx(idx) != 0 {
            return false;
        }
        if self.variant != SrcuVariant::NoUpdaterBarrierD {
            // smp_mb() D: pairs with C. A reader whose decrement was seen above is ordered
            // before everything after this grace period.
            B::fence(Ordering::SeqCst);
        }
        // NoSeqRecheck removes the validation only (the comparison below); D stays. Returning
        // before D also removed a barrier, and loom's first failing execution was then that
        // other bug (a decrement seen without D orders nothing: a use-after-free of a reader's
        // access), not the unstable zero this variant exists to show.
        if self.variant == SrcuVariant::NoSeqRecheck {
            return true;
        }
        self.readers_seq_idx(idx) == seq
    }

    fn wait_readers_gone(&self, cur: &Task, idx: usize) {
        cur.wait_until::<B>("SRCU readers of the old index", || {
            self.srcu_readers_active_idx_check(idx)
        });
        cur.record(Op::SrcuReadersGone { idx });
    }

    /// `srcu_flip`: `completed++`, with full barriers around it. Only the grace-period owner
    /// writes `completed`, so one RMW stands for the kernel's load and store.
    fn srcu_flip(&self, cur: &Task) {
        B::fence(Ordering::SeqCst);
        let completed = self.completed.fetch_add(1, Ordering::Relaxed) + 1;
        B::fence(Ordering::SeqCst);
        cur.record(Op::SrcuFlip { completed });
    }

    /// One grace period: check the inactive index, flip, check the index that became
    /// inactive. Both checks are needed: a reader may have fetched the index just before the
    /// previous flip and incremented the counter after that grace period's check.
    fn grace_period(&self, cur: &Task) {
        let _gp = self.gp_mutex.lock();
        if self.variant != SrcuVariant::SingleDrain {
            let idx = 1 ^ (self.completed.load(Ordering::Relaxed) & 1);
            self.wait_readers_gone(cur, idx);
        }
        if self.variant != SrcuVariant::NoFlip {
            self.srcu_flip(cur);
        }
        let idx = 1 ^ (self.completed.load(Ordering::Relaxed) & 1);
        self.wait_readers_gone(cur, idx);
    }

    /// `synchronize_srcu` (`__synchronize_srcu`): returns after every read-side section that
    /// began before the call has ended.
    ///
    /// As in classic SRCU: if the worker is idle, the caller takes over processing and runs
    /// the grace period itself, then hands back (`srcu_reschedule`); if the worker is running,
    /// the caller queues its wake-up behind the callbacks already queued and sleeps until the
    /// worker's grace period for it ends (`wait_for_completion`). So a `synchronize_srcu`
    /// that finds callbacks in flight also waits for them (one FIFO pipeline).
    pub fn synchronize_srcu(&self, cur: &Task) {
        let _f = cur.enter_helper("synchronize_srcu");
        let start = cur.record(Op::SynchronizeSrcu);
        if self.worker.get().is_none() {
            // No worker thread (yet) in this scenario: nobody to hand a queued wake-up to, so
            // the caller runs its own grace period; concurrent callers are serialised by
            // `gp_mutex`, as the kernel's by `sp->mutex`.
            self.grace_period(cur);
            cur.record(Op::SynchronizeSrcuDone { start });
            return;
        }
        let mut q = self.queue.lock();
        if !q.running {
            // Steal the processing owner.
            q.running = true;
            drop(q);
            self.grace_period(cur);
            // srcu_reschedule: hand the processing to the worker if callbacks came meanwhile.
            let mut q = self.queue.lock();
            if q.pending.is_empty() {
                q.running = false;
            } else {
                self.wake_worker();
            }
        } else {
            let done = Arc::new(B::AtomicBool::new(false));
            let waiter = B::current();
            let wake = Arc::clone(&done);
            q.pending.push_back((
                None,
                Box::new(move |_: &Task| {
                    // complete(): pairs with the acquire below.
                    wake.store(true, Ordering::Release);
                    waiter.unpark();
                }),
            ));
            q.queued += 1;
            drop(q);
            // wait_for_completion: sleeps; a wake-up without the completion sleeps again.
            while !done.load(Ordering::Acquire) {
                cur.park::<B>();
            }
        }
        cur.record(Op::SynchronizeSrcuDone { start });
    }

    /// `call_srcu(head, func)`: queues `func` to run on the SRCU worker after a grace period.
    /// Never runs it here.
    pub fn call_srcu(&self, cur: &Task, func: SrcuCallback) {
        let _f = cur.enter_helper("call_srcu");
        let call = cur.record(Op::CallSrcu);
        {
            let mut q = self.queue.lock();
            q.pending.push_back((Some(call), func));
            q.queued += 1;
            // if (!sp->running) { sp->running = true; queue_delayed_work(..., &sp->work) }
            if !q.running {
                q.running = true;
                self.wake_worker();
            }
        }
        cur.record(Op::CallSrcuDone { call });
    }

    /// Wakes the worker if it has started (if not, it looks at the queue when it starts).
    fn wake_worker(&self) {
        if let Some(w) = self.worker.get() {
            w.unpark();
        }
    }

    /// `srcu_barrier`: returns after every callback queued before the call has run.
    pub fn srcu_barrier(&self, cur: &Task) {
        let _f = cur.enter_helper("srcu_barrier");
        let start = cur.record(Op::SrcuBarrier);
        let target = self.queue.lock().queued;
        cur.wait_until::<B>("SRCU callbacks queued before the barrier", || {
            self.queue.lock().invoked >= target
        });
        cur.record(Op::SrcuBarrierDone { start });
    }

    /// The SRCU worker (`process_srcu` on the kernel's workqueue): takes every queued callback,
    /// runs one grace period for the batch, invokes the batch in order; sleeps while the queue
    /// is empty (the kernel's work item is not scheduled then), until
    /// [`SrcuStruct::stop_worker`] is called and nothing is left.
    ///
    /// Sleeping, not polling: a polling worker takes the queue lock at every iteration, and
    /// loom explores each of those acquisitions against every `call_srcu` (S2 on v3.17 with
    /// two notifiers: 33,683 executions polling).
    pub fn srcu_worker(&self, cur: &Task) {
        let _f = cur.enter_helper("process_srcu");
        // Only one thread is ever the worker: `set` fails only if a scenario starts two.
        assert!(
            self.worker.set(B::current()).is_ok(),
            "one SRCU worker per srcu_struct"
        );
        let mut done = 0;
        loop {
            let batch: Vec<Queued> = {
                let mut q = self.queue.lock();
                q.invoked += done;
                if q.pending.is_empty() {
                    if q.stop {
                        return;
                    }
                    // srcu_reschedule: nothing pending, the work item is not requeued.
                    q.running = false;
                    drop(q);
                    cur.park::<B>();
                    done = 0;
                    continue;
                }
                q.pending.drain(..).collect()
            };
            if self.variant != SrcuVariant::CallbackWithoutGracePeriod {
                self.grace_period(cur);
            }
            done = batch.len();
            for (call, func) in batch {
                if let Some(call) = call {
                    cur.record(Op::CallbackStart { call });
                }
                func(cur);
                if let Some(call) = call {
                    cur.record(Op::CallbackDone { call });
                }
            }
        }
    }

    /// Tells the worker to return once the queue is empty. Call it after every thread that
    /// may `call_srcu` has finished.
    pub fn stop_worker(&self) {
        self.queue.lock().stop = true;
        self.wake_worker();
    }
}
