//! Classic SRCU as v3.16 and v3.17 ran it: `kernel/rcu/srcu.c` (Lai Jiangshan's two-index
//! algorithm, 2012), at the granularity of its loads, stores and barriers. Line numbers are
//! those of v3.16's `kernel/rcu/srcu.c`; v3.17 differs only in `__srcu_read_lock`'s two
//! increments (`__this_cpu_inc`), which the model makes single RMWs in both (below).
//!
//! State: `completed` (its low bit is the index new readers use); per CPU `c[2]` (readers
//! counted on each index) and `seq[2]` (lock counts, to validate a zero sum); the callback
//! pipeline `batch_queue` → `batch_check0` → `batch_check1` → `batch_done`, and `running`,
//! the processing ownership: `batch_queue` and `running` are under `queue_lock`, the other
//! three batches belong to whoever set `running` (a `synchronize_srcu` that found it clear,
//! or the work item `sp->work` that `call_srcu` or `srcu_reschedule` queued). The model keeps
//! those three in a race-checked cell: under loom, two owners at once would be reported. No
//! other thread can touch them between two of the owner's accesses, so those accesses are no
//! scheduling points under shuttle either ([`Backend::OwnedCell`]).
//!
//! Simplifications, each with the direction it errs in:
//! - The per-CPU increments and decrements are single RMWs: the kernel runs them with
//!   preemption disabled on the CPU they count on, so no other access to that counter falls
//!   between their load and store. Neutral. A task may still migrate between reading
//!   `completed` and the increment (the kernel reads it before `preempt_disable`); the model
//!   migrates only where a scenario says so, between operations. Neutral for safety: only
//!   the sums matter, and a scenario that migrates exercises both slots.
//! - `srcu_flip`'s `completed++` is one RMW: only the processing owner writes `completed`.
//!   Neutral.
//! - `udelay` between the tries of `try_check_zero` is nothing: a busy wait, not a scheduling
//!   point (the loop is bounded; see `try_check_zero`). Neutral.
//! - `call_srcu`'s stores to the caller's `rcu_head` (`head->next`, `head->func`, l.393–394)
//!   are not modelled: the callback is a closure. A `call_srcu` on freed memory is not
//!   caught. May hide bugs (none of the catalogue's drivers reuse or free a queued head).
//! - `sp->work` runs on kworker 0 (see [`super::workqueue`]); with no kworker thread, a
//!   waiting `synchronize_srcu` runs the queued passes itself.

use super::workqueue::{Completion, Workqueue};
use super::{OracleClock, RcuHead, SrcuVariant};
use crate::backend::{AtomicUsizeOps, Backend, MutexOps, Ordering, RaceCell};
use crate::exec::Task;
use crate::trace::Op;
use std::collections::VecDeque;
use std::sync::Arc;

/// `SYNCHRONIZE_SRCU_TRYCOUNT`: the checks `synchronize_srcu` makes itself before it hands
/// the grace period to the work item.
const SYNCHRONIZE_SRCU_TRYCOUNT: usize = 2;
/// `SRCU_CALLBACK_BATCH`: callbacks invoked per pass of the work item.
const SRCU_CALLBACK_BATCH: usize = 10;
/// The one work item, `sp->work` (`process_srcu`).
const PROCESS_SRCU: usize = 0;

/// `struct srcu_struct_array`: one CPU's counters.
struct SrcuStructArray<B: Backend> {
    c: [B::AtomicUsize; 2],
    seq: [B::AtomicUsize; 2],
}

/// `struct rcu_batch`.
type RcuBatch<B> = VecDeque<RcuHead<B>>;

/// What `sp->queue_lock` protects.
struct QueueLocked<B: Backend> {
    batch_queue: RcuBatch<B>,
    running: bool,
}

/// The batches only the processing owner touches.
struct OwnerBatches<B: Backend> {
    batch_check0: RcuBatch<B>,
    batch_check1: RcuBatch<B>,
    batch_done: RcuBatch<B>,
}

/// Classic `struct srcu_struct`.
pub struct ClassicSrcu<B: Backend> {
    completed: B::AtomicUsize,
    per_cpu_ref: Box<[SrcuStructArray<B>]>,
    queue_lock: B::Mutex<QueueLocked<B>>,
    /// The `batch_queue` tail pointer as the lockless `rcu_batch_empty(&sp->batch_queue)` of
    /// `srcu_collect_new` and `srcu_reschedule` reads it: stored under `queue_lock`, loaded
    /// without it (a plain racy read in the kernel; Relaxed here).
    batch_queue_len: B::AtomicUsize,
    /// The processing owner's batches: no scheduling points (see [`Backend::OwnedCell`]).
    owner: B::OwnedCell<OwnerBatches<B>>,
    wq: Workqueue<B>,
    variant: SrcuVariant,
    /// The oracle events' order, visible to loom (see [`OracleClock`]).
    clock: Arc<OracleClock<B>>,
}

impl<B: Backend> ClassicSrcu<B> {
    /// `init_srcu_struct` (`init_srcu_struct_fields`).
    pub(super) fn new(cpus: usize, variant: SrcuVariant, clock: Arc<OracleClock<B>>) -> Self {
        ClassicSrcu {
            completed: B::AtomicUsize::new(0),
            per_cpu_ref: (0..cpus)
                .map(|_| SrcuStructArray {
                    c: [B::AtomicUsize::new(0), B::AtomicUsize::new(0)],
                    seq: [B::AtomicUsize::new(0), B::AtomicUsize::new(0)],
                })
                .collect(),
            queue_lock: B::Mutex::new(QueueLocked {
                batch_queue: VecDeque::new(),
                running: false,
            }),
            batch_queue_len: B::AtomicUsize::new(0),
            owner: B::OwnedCell::new(OwnerBatches {
                batch_check0: VecDeque::new(),
                batch_check1: VecDeque::new(),
                batch_done: VecDeque::new(),
            }),
            wq: Workqueue::new(cpus, vec![0]),
            variant,
            clock,
        }
    }

    pub(super) fn wq(&self) -> &Workqueue<B> {
        &self.wq
    }

    /// `this_cpu_ptr(sp->per_cpu_ref)`.
    fn this_cpu(&self, cur: &Task) -> &SrcuStructArray<B> {
        &self.per_cpu_ref[cur.cpu() % self.per_cpu_ref.len()]
    }

    /// `srcu_readers_seq_idx` (l.147–158): `for_each_possible_cpu`, one load per CPU.
    fn srcu_readers_seq_idx(&self, idx: usize) -> usize {
        self.per_cpu_ref.iter().fold(0usize, |sum, p| {
            sum.wrapping_add(p.seq[idx].load(Ordering::Relaxed))
        })
    }

    /// `srcu_readers_active_idx` (l.164–175).
    fn srcu_readers_active_idx(&self, idx: usize) -> usize {
        self.per_cpu_ref.iter().fold(0usize, |sum, p| {
            sum.wrapping_add(p.c[idx].load(Ordering::Relaxed))
        })
    }

    /// `srcu_readers_active_idx_check` (l.186–252): whether the readers of `idx` are stably
    /// gone.
    fn srcu_readers_active_idx_check(&self, idx: usize) -> bool {
        let seq = self.srcu_readers_seq_idx(idx); // l.190
        if self.variant != SrcuVariant::NoBarrierA {
            // smp_mb() A (l.204): pairs with B in __srcu_read_lock (l.302). If the c[] sum
            // below misses a reader's increment, that reader's section sees everything this
            // updater did before the grace period; if the seq[] sum above saw a reader's
            // seq[] increment, the c[] sum below sees its c[] increment.
            B::fence(Ordering::SeqCst);
        }
        // l.223. The sum can be zero with a reader present ("unstable zero", l.207–221): a
        // reader that locks on one CPU after it was summed and unlocks on another before it
        // is summed cancels a long-running reader's count. The seq[] re-check catches that.
        if self.srcu_readers_active_idx(idx) != 0 {
            return false;
        }
        if self.variant != SrcuVariant::NoBarrierD {
            // smp_mb() D (l.249): pairs with C in __srcu_read_unlock (l.317). A reader whose
            // decrement the c[] sum saw is ordered before everything after the grace period.
            B::fence(Ordering::SeqCst);
        }
        // NoSeqRecheck removes the comparison only; D stays (without D, the first failure
        // loom finds is that other bug, an access of the reader not ordered before the free).
        if self.variant == SrcuVariant::NoSeqRecheck {
            return true;
        }
        self.srcu_readers_seq_idx(idx) == seq // l.251
    }

    /// `__srcu_read_lock` (l.295–306). Returns the index.
    pub(super) fn __srcu_read_lock(&self, cur: &Task) -> usize {
        let idx = self.completed.load(Ordering::Relaxed) & 1; // l.299: ACCESS_ONCE(sp->completed) & 0x1
        let p = self.this_cpu(cur); // l.300: preempt_disable()
        p.c[idx].fetch_add(1, Ordering::Relaxed); // l.301
        if self.variant != SrcuVariant::NoBarrierB {
            // smp_mb() B (l.302): pairs with A (l.204). A summation that misses this
            // increment is followed (A) by nothing this section can miss.
            B::fence(Ordering::SeqCst);
        }
        p.seq[idx].fetch_add(1, Ordering::Relaxed); // l.303; l.304: preempt_enable()
        idx
    }

    /// `__srcu_read_unlock` (l.315–319), on the CPU the task runs on now.
    pub(super) fn __srcu_read_unlock(&self, cur: &Task, idx: usize) {
        if self.variant != SrcuVariant::NoBarrierC {
            // smp_mb() C (l.317): pairs with D (l.249). Everything in the section happens
            // before an updater that sees this decrement goes on to its destructive step.
            B::fence(Ordering::SeqCst);
        }
        self.this_cpu(cur).c[idx].fetch_sub(1, Ordering::Relaxed); // l.318: this_cpu_dec
    }

    /// `try_check_zero` (l.340–349): up to `trycount` checks, `udelay` between them.
    fn try_check_zero(&self, cur: &Task, idx: usize, mut trycount: usize) -> bool {
        loop {
            if self.srcu_readers_active_idx_check(idx) {
                cur.record(Op::SrcuReadersGone { idx });
                return true;
            }
            trycount -= 1;
            if trycount == 0 {
                return false;
            }
            // l.347: udelay(SRCU_RETRY_CHECK_DELAY): a busy wait of a few microseconds, not a
            // yield. The loop is bounded, so it needs none; and a yield here would make loom
            // and shuttle's PCT let the readers run first, pruning the schedules in which the
            // updater's next try comes before a reader's next step.
        }
    }

    /// `srcu_flip` (l.356–359): `sp->completed++`, with no barrier of its own (Tree SRCU's
    /// E and D came with the 2017 rewrite).
    fn srcu_flip(&self, cur: &Task) {
        let completed = self.completed.fetch_add(1, Ordering::Relaxed) + 1;
        cur.record(Op::SrcuFlip { completed });
    }

    /// `call_srcu` (l.388–402).
    pub(super) fn call_srcu(&self, _cur: &Task, head: RcuHead<B>) {
        let mut q = self.queue_lock.lock(); // l.395: spin_lock_irqsave(&sp->queue_lock)
        q.batch_queue.push_back(head); // l.396: rcu_batch_queue(&sp->batch_queue, head)
        self.batch_queue_len
            .store(q.batch_queue.len(), Ordering::Relaxed);
        if !q.running {
            // l.397–399: sp->running = true; queue_delayed_work(..., &sp->work, 0)
            q.running = true;
            self.wq.queue(PROCESS_SRCU, false);
        }
        // l.401: spin_unlock_irqrestore
    }

    /// `__synchronize_srcu(sp, trycount)` (l.428–467).
    fn __synchronize_srcu(&self, cur: &Task, trycount: usize) {
        let rcu = Arc::new(Completion::new()); // l.441: init_completion(&rcu.completion)
        let mut done = false;
        let mut q = self.queue_lock.lock(); // l.445: spin_lock_irq(&sp->queue_lock)
        if !q.running {
            // l.446–450: steal the processing owner.
            q.running = true;
            self.owner
                .with_mut(|o| o.batch_check0.push_back(RcuHead::Wakeme(Arc::clone(&rcu))));
            drop(q); // l.450: spin_unlock_irq
            self.srcu_advance_batches(cur, trycount); // l.452
            let head = self.owner.with_mut(|o| o.batch_done.pop_front()); // l.453–456
            if let Some(head) = head {
                // l.454: BUG_ON(sp->batch_done.head != head): with `running` clear every
                // batch was empty, so ours is the only callback the pass can have finished.
                assert!(
                    matches!(&head, RcuHead::Wakeme(c) if Arc::ptr_eq(c, &rcu)),
                    "BUG_ON(sp->batch_done.head != head)"
                );
                done = true;
            }
            self.srcu_reschedule(); // l.459: give the processing owner to the work item
        } else {
            q.batch_queue.push_back(RcuHead::Wakeme(Arc::clone(&rcu))); // l.461
            self.batch_queue_len
                .store(q.batch_queue.len(), Ordering::Relaxed);
            drop(q); // l.462
        }
        if !done {
            // l.465–466: wait_for_completion(&rcu.completion)
            rcu.wait_for_completion(cur, &self.wq, |t, _| self.process_srcu(t));
        }
    }

    /// `synchronize_srcu`: `__synchronize_srcu(sp, SYNCHRONIZE_SRCU_TRYCOUNT)` (the expedited
    /// try count only when `rcu_expedited` is set).
    pub(super) fn synchronize_srcu(&self, cur: &Task) {
        self.__synchronize_srcu(cur, SYNCHRONIZE_SRCU_TRYCOUNT);
    }

    /// `srcu_barrier` (l.536–539): `synchronize_srcu(sp)`. Every callback, and the wake-up of
    /// every `synchronize_srcu`, passes through the one FIFO pipeline, so the wake-up queued
    /// (or stolen into `batch_check0`) behind them is invoked after them.
    pub(super) fn srcu_barrier(&self, cur: &Task) {
        self.synchronize_srcu(cur);
    }

    /// `srcu_collect_new` (l.562–569): moves new callbacks to the pipeline's first stage.
    fn srcu_collect_new(&self) {
        if self.batch_queue_len.load(Ordering::Relaxed) != 0 {
            let mut q = self.queue_lock.lock(); // l.565
                                                // l.566: rcu_batch_move(&sp->batch_check0, &sp->batch_queue)
            let new: RcuBatch<B> = q.batch_queue.drain(..).collect();
            self.batch_queue_len.store(0, Ordering::Relaxed);
            self.owner.with_mut(|o| {
                if self.variant == SrcuVariant::CallbackWithoutGracePeriod {
                    o.batch_done.extend(new);
                } else {
                    o.batch_check0.extend(new);
                }
            });
            drop(q); // l.567
        }
    }

    /// `srcu_advance_batches` (l.575–629): one pass of the pipeline.
    fn srcu_advance_batches(&self, cur: &Task, trycount: usize) {
        let idx = 1 ^ (self.completed.load(Ordering::Relaxed) & 1); // l.577
        let (check0_empty, check1_empty) = self
            .owner
            .with(|o| (o.batch_check0.is_empty(), o.batch_check1.is_empty()));
        if check0_empty && check1_empty {
            return; // l.587–589: no callbacks need to be advanced
        }
        // l.591. SingleDrain skips this check when it is no earlier batch's second check.
        let skip_first = self.variant == SrcuVariant::SingleDrain && check1_empty;
        if !skip_first && !self.try_check_zero(cur, idx, trycount) {
            return; // failed to advance, will try after SRCU_INTERVAL
        }
        // l.602: the callbacks in check1 had their first check and flip in an earlier pass.
        self.owner.with_mut(|o| {
            let check1: RcuBatch<B> = o.batch_check1.drain(..).collect();
            o.batch_done.extend(check1);
        });
        if self.owner.with(|o| o.batch_check0.is_empty()) {
            return; // l.604–605
        }
        if self.variant != SrcuVariant::NoFlip {
            self.srcu_flip(cur); // l.606
        }
        self.owner.with_mut(|o| {
            let check0: RcuBatch<B> = o.batch_check0.drain(..).collect();
            o.batch_check1.extend(check0); // l.613
        });
        let trycount = trycount.max(2); // l.619
        if !self.try_check_zero(cur, idx ^ 1, trycount) {
            return; // l.620–621
        }
        self.owner.with_mut(|o| {
            let check1: RcuBatch<B> = o.batch_check1.drain(..).collect();
            o.batch_done.extend(check1); // l.628
        });
    }

    /// `srcu_invoke_callbacks` (l.636–649): at most `SRCU_CALLBACK_BATCH` callbacks.
    fn srcu_invoke_callbacks(&self, cur: &Task) {
        for _ in 0..SRCU_CALLBACK_BATCH {
            let Some(head) = self.owner.with_mut(|o| o.batch_done.pop_front()) else {
                break;
            };
            head.invoke(cur, &self.clock); // l.646: head->func(head)
        }
    }

    /// `srcu_reschedule` (l.655–677): gives up ownership when every batch is empty, else
    /// queues the work item again (after `SRCU_INTERVAL`).
    fn srcu_reschedule(&self) {
        let owner_empty = || {
            self.owner.with(|o| {
                o.batch_done.is_empty() && o.batch_check1.is_empty() && o.batch_check0.is_empty()
            })
        };
        let mut pending = true;
        // l.659–662: the batch_queue test is a lockless read.
        if owner_empty() && self.batch_queue_len.load(Ordering::Relaxed) == 0 {
            let mut q = self.queue_lock.lock(); // l.663
            if owner_empty() && q.batch_queue.is_empty() {
                q.running = false; // l.669
                pending = false;
            }
            drop(q); // l.672
        }
        if pending {
            self.wq.queue(PROCESS_SRCU, true); // l.676
        }
    }

    /// `process_srcu` (l.682–692): the work item.
    fn process_srcu(&self, cur: &Task) {
        let _f = cur.enter_helper("process_srcu");
        self.srcu_collect_new();
        self.srcu_advance_batches(cur, 1);
        self.srcu_invoke_callbacks(cur);
        self.srcu_reschedule();
    }

    /// The kworker: runs `sp->work`.
    pub(super) fn kworker(&self, cur: &Task) {
        self.wq.kworker(cur, |t, _| self.process_srcu(t));
    }
}

#[cfg(test)]
mod tests {
    //! Classic SRCU (`kernel/rcu/srcu.c`, v3.16) on one thread: the counters each call leaves,
    //! the grace-period pipeline pass by pass (`process_srcu` run by the waiter, as with no
    //! kworker), and the events the SRCU oracle judges.

    use super::*;
    use crate::backend::Std;
    use crate::srcu::{Imp, SrcuStruct};
    use crate::testing::{execution, ops, texts_from};
    use crate::trace::ResolvedOp;
    use std::sync::Mutex;

    fn srcu(cpus: usize, variant: SrcuVariant) -> SrcuStruct<Std> {
        SrcuStruct::new(super::super::SrcuImpl::Classic, cpus, variant)
    }

    fn classic(s: &SrcuStruct<Std>) -> &ClassicSrcu<Std> {
        match &s.imp {
            Imp::Classic(c) => c,
            _ => unreachable!("built classic"),
        }
    }

    /// CPU `cpu`'s `c[]` and `seq[]`.
    fn counters(s: &ClassicSrcu<Std>, cpu: usize) -> ([usize; 2], [usize; 2]) {
        let p = &s.per_cpu_ref[cpu];
        let load = |a: &[<Std as Backend>::AtomicUsize; 2]| {
            [a[0].load(Ordering::Relaxed), a[1].load(Ordering::Relaxed)]
        };
        (load(&p.c), load(&p.seq))
    }

    fn completed(s: &ClassicSrcu<Std>) -> usize {
        s.completed.load(Ordering::Relaxed)
    }

    /// (batch_check0, batch_check1, batch_done) lengths, `running`, batch_queue's length and
    /// its lockless copy.
    fn pipeline(s: &ClassicSrcu<Std>) -> ([usize; 3], bool, usize, usize) {
        let owner = s.owner.with(|o| {
            [
                o.batch_check0.len(),
                o.batch_check1.len(),
                o.batch_done.len(),
            ]
        });
        let q = MutexOps::lock(&s.queue_lock);
        (
            owner,
            q.running,
            q.batch_queue.len(),
            s.batch_queue_len.load(Ordering::Relaxed),
        )
    }

    /// Runs the pending work item, as a waiter with no kworker does. Whether one was pending.
    fn run_work(s: &ClassicSrcu<Std>, cur: &Task) -> bool {
        s.wq.run_inline(cur, &|t, _| s.process_srcu(t))
    }

    /// A callback that appends `n` to `log`.
    fn logging(log: &Arc<Mutex<Vec<usize>>>, n: usize) -> super::super::SrcuCallback {
        let log = Arc::clone(log);
        Box::new(move |_| log.lock().unwrap().push(n))
    }

    fn gone(idx: usize) -> ResolvedOp {
        Op::SrcuReadersGone { idx }
    }

    fn flip(completed: usize) -> ResolvedOp {
        Op::SrcuFlip { completed }
    }

    #[test]
    fn the_constants_are_the_kernels() {
        assert_eq!(
            (SYNCHRONIZE_SRCU_TRYCOUNT, SRCU_CALLBACK_BATCH, PROCESS_SRCU),
            (2, 10, 0)
        );
    }

    #[test]
    fn srcu_read_lock_counts_on_completed_and_1_on_its_cpu_and_unlock_on_the_cpu_it_is_on() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let c = classic(&s);
        cur.migrate(1);
        let r = s.srcu_read_lock(&cur);
        assert_eq!(r.idx, 0);
        assert_eq!(counters(c, 1), ([1, 0], [1, 0]));
        assert_eq!(counters(c, 0), ([0, 0], [0, 0]));
        // A task that migrated unlocks on its new CPU: that CPU's c[idx] goes below zero.
        cur.migrate(0);
        s.srcu_read_unlock(&cur, r);
        assert_eq!(counters(c, 0), ([usize::MAX, 0], [0, 0]));
        assert_eq!(counters(c, 1), ([1, 0], [1, 0]));
        assert_eq!(c.srcu_readers_active_idx(0), 0, "the sum wraps to zero");
        assert_eq!(c.srcu_readers_seq_idx(0), 1);
        assert_eq!(
            ops(&exec),
            [
                Op::SrcuReadLock { idx: 0, cpu: 1 },
                Op::SrcuReadUnlock {
                    idx: 0,
                    cpu: 0,
                    section: 0
                },
            ]
        );
        c.srcu_flip(&cur);
        assert_eq!(completed(c), 1);
        let r = s.srcu_read_lock(&cur);
        assert_eq!(r.idx, 1, "completed is odd: index 1");
        assert_eq!(counters(c, 0), ([usize::MAX, 1], [0, 1]));
        assert_eq!(c.srcu_readers_active_idx(1), 1);
        assert_eq!(c.srcu_readers_seq_idx(1), 1);
        c.srcu_flip(&cur);
        assert_eq!(
            ops(&exec)[2..],
            [flip(1), Op::SrcuReadLock { idx: 1, cpu: 0 }, flip(2)]
        );
        let r2 = s.srcu_read_lock(&cur);
        assert_eq!(r2.idx, 0, "completed is even again");
        s.srcu_read_unlock(&cur, r2);
        s.srcu_read_unlock(&cur, r);
        // CPU 0 still carries the migrated reader's unlock; CPU 1 its lock.
        assert_eq!(counters(c, 0), ([usize::MAX, 0], [1, 1]));
        assert_eq!(c.srcu_readers_active_idx(0), 0);
        assert_eq!(c.srcu_readers_active_idx(1), 0);
        assert_eq!(c.srcu_readers_seq_idx(0), 2);
    }

    #[test]
    fn the_idx_check_sees_a_reader_until_it_unlocks_and_records_a_stable_zero_only() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let c = classic(&s);
        assert!(c.srcu_readers_active_idx_check(0));
        assert!(c.srcu_readers_active_idx_check(1));
        cur.migrate(1);
        let r = s.srcu_read_lock(&cur);
        assert!(!c.srcu_readers_active_idx_check(0));
        assert!(c.srcu_readers_active_idx_check(1));
        let before = exec.len();
        assert!(!c.try_check_zero(&cur, 0, 2));
        assert_eq!(exec.len(), before, "a failed check records nothing");
        assert!(c.try_check_zero(&cur, 1, 1));
        s.srcu_read_unlock(&cur, r);
        assert!(c.srcu_readers_active_idx_check(0));
        assert!(c.try_check_zero(&cur, 0, 1));
        assert_eq!(
            ops(&exec)[before..],
            [gone(1), ops(&exec)[before + 1].clone(), gone(0)]
        );
    }

    #[test]
    fn synchronize_srcu_with_no_reader_checks_flips_and_checks_in_the_callers_thread() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let c = classic(&s);
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec),
            [
                Op::SynchronizeSrcu,
                gone(1),
                flip(1),
                gone(0),
                Op::SynchronizeSrcuDone { start: 0 },
            ]
        );
        assert_eq!(
            texts_from(&exec, 0)[0],
            "synchronize_srcu: begin",
            "the site is synchronize_srcu"
        );
        assert_eq!(completed(c), 1);
        assert_eq!(
            pipeline(c),
            ([0, 0, 0], false, 0, 0),
            "ownership given back"
        );
        assert!(!run_work(c, &cur), "no work item queued");
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec)[5..],
            [
                Op::SynchronizeSrcu,
                gone(0),
                flip(2),
                gone(1),
                Op::SynchronizeSrcuDone { start: 5 },
            ]
        );
        assert_eq!(completed(c), 2);
        assert_eq!(counters(c, 0), ([0, 0], [0, 0]));
        // srcu_barrier is synchronize_srcu.
        s.srcu_barrier(&cur);
        assert_eq!(
            ops(&exec)[10..],
            [
                Op::SrcuBarrier,
                gone(1),
                flip(3),
                gone(0),
                Op::SrcuBarrierDone { start: 10 },
            ]
        );
    }

    #[test]
    fn a_call_srcu_callback_waits_for_a_reader_that_locked_before_it() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::Kernel);
        let c = classic(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        let r = s.srcu_read_lock(&cur); // event 0
        s.call_srcu(&cur, logging(&log, 1)); // events 1, 2
        assert_eq!(
            ops(&exec)[1..],
            [Op::CallSrcu, Op::CallSrcuDone { call: 1 }]
        );
        assert_eq!(pipeline(c), ([0, 0, 0], true, 1, 1), "queued, work pending");
        // First pass: index 1 is idle, flip, then the reader holds index 0.
        assert!(run_work(c, &cur));
        assert_eq!(ops(&exec)[3..], [gone(1), flip(1)]);
        assert_eq!(pipeline(c), ([0, 1, 0], true, 0, 0));
        assert!(log.lock().unwrap().is_empty());
        // Polls while the reader stays: nothing moves.
        assert!(run_work(c, &cur));
        assert!(run_work(c, &cur));
        assert_eq!(exec.len(), 5);
        assert_eq!(pipeline(c), ([0, 1, 0], true, 0, 0));
        s.srcu_read_unlock(&cur, r); // event 5
        assert!(run_work(c, &cur));
        assert_eq!(
            ops(&exec)[6..],
            [
                gone(0),
                Op::CallbackStart { call: 1 },
                Op::CallbackDone { call: 1 }
            ]
        );
        assert_eq!(*log.lock().unwrap(), [1]);
        assert_eq!(pipeline(c), ([0, 0, 0], false, 0, 0), "idle again");
        assert!(!run_work(c, &cur));
        assert_eq!(completed(c), 1);
    }

    #[test]
    fn callbacks_run_in_order_at_most_ten_per_pass() {
        let (_exec, cur) = execution();
        let s = srcu(1, SrcuVariant::Kernel);
        let c = classic(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        for n in 0..11 {
            s.call_srcu(&cur, logging(&log, n));
        }
        assert_eq!(pipeline(c), ([0, 0, 0], true, 11, 11));
        assert!(run_work(c, &cur));
        assert_eq!(*log.lock().unwrap(), (0..10).collect::<Vec<_>>());
        assert_eq!(pipeline(c), ([0, 0, 1], true, 0, 0));
        assert!(run_work(c, &cur), "srcu_reschedule queued the work again");
        assert_eq!(*log.lock().unwrap(), (0..11).collect::<Vec<_>>());
        assert_eq!(pipeline(c), ([0, 0, 0], false, 0, 0));
        assert!(!run_work(c, &cur));
        assert_eq!(completed(c), 1, "one grace period served all eleven");
    }

    #[test]
    fn a_callback_queued_during_a_grace_period_waits_for_the_next_one() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::Kernel);
        let c = classic(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        let r = s.srcu_read_lock(&cur);
        s.call_srcu(&cur, logging(&log, 1));
        assert!(run_work(c, &cur)); // flip to 1; callback 1 waits in check1
        s.call_srcu(&cur, logging(&log, 2));
        assert_eq!(pipeline(c), ([0, 1, 0], true, 1, 1));
        assert!(run_work(c, &cur)); // collected into check0; the reader still blocks
        assert_eq!(pipeline(c), ([1, 1, 0], true, 0, 0));
        s.srcu_read_unlock(&cur, r);
        let from = exec.len();
        assert!(run_work(c, &cur));
        // check1 done (index 0 clear), then callback 2's own flip and check of index 1.
        assert_eq!(ops(&exec)[from..from + 3], [gone(0), flip(2), gone(1)]);
        assert_eq!(*log.lock().unwrap(), [1, 2]);
        assert_eq!(completed(c), 2);
        assert_eq!(pipeline(c), ([0, 0, 0], false, 0, 0));
    }

    #[test]
    fn srcu_barrier_returns_after_the_callbacks_queued_before_it() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::Kernel);
        let log = Arc::new(Mutex::new(Vec::new()));
        s.call_srcu(&cur, logging(&log, 1)); // events 0, 1
        s.call_srcu(&cur, logging(&log, 2)); // events 2, 3
        s.srcu_barrier(&cur); // event 4
        assert_eq!(*log.lock().unwrap(), [1, 2]);
        assert_eq!(
            ops(&exec)[4..],
            [
                Op::SrcuBarrier,
                gone(1),
                flip(1),
                gone(0),
                Op::CallbackStart { call: 0 },
                Op::CallbackDone { call: 0 },
                Op::CallbackStart { call: 2 },
                Op::CallbackDone { call: 2 },
                Op::SrcuBarrierDone { start: 4 },
            ]
        );
        assert_eq!(pipeline(classic(&s)), ([0, 0, 0], false, 0, 0));
    }

    #[test]
    fn no_flip_checks_the_same_index_twice() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::NoFlip);
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec)[1..4],
            [gone(1), gone(0), Op::SynchronizeSrcuDone { start: 0 }]
        );
        assert_eq!(completed(classic(&s)), 0);
    }

    #[test]
    fn single_drain_skips_the_check_before_the_flip() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::SingleDrain);
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec)[1..4],
            [flip(1), gone(0), Op::SynchronizeSrcuDone { start: 0 }]
        );
    }

    #[test]
    fn callback_without_grace_period_runs_the_callback_under_a_reader() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::CallbackWithoutGracePeriod);
        let c = classic(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        let r = s.srcu_read_lock(&cur);
        s.call_srcu(&cur, logging(&log, 1));
        assert!(run_work(c, &cur));
        assert_eq!(*log.lock().unwrap(), [1]);
        assert_eq!(
            ops(&exec)[3..],
            [Op::CallbackStart { call: 1 }, Op::CallbackDone { call: 1 }],
            "no check, no flip"
        );
        s.srcu_read_unlock(&cur, r);
        assert_eq!(pipeline(c), ([0, 0, 0], false, 0, 0));
    }

    #[test]
    fn the_barrier_variants_run_the_same_steps_on_one_thread() {
        // A missing barrier is visible only to loom (the catalogue's SRCU checks); on one
        // thread every variant but the step-removing ones behaves as the kernel's.
        for v in [
            SrcuVariant::NoBarrierA,
            SrcuVariant::NoBarrierB,
            SrcuVariant::NoBarrierC,
            SrcuVariant::NoBarrierD,
            SrcuVariant::NoSeqRecheck,
        ] {
            let (exec, cur) = execution();
            let s = srcu(1, v);
            let r = s.srcu_read_lock(&cur);
            s.srcu_read_unlock(&cur, r);
            s.synchronize_srcu(&cur);
            assert_eq!(ops(&exec)[3..6], [gone(1), flip(1), gone(0)], "{v:?}");
        }
    }
}
