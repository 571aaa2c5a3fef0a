//! Tree SRCU as v5.4 ran it: `kernel/rcu/srcutree.c` (with `kernel/rcu/rcu.h`'s `rcu_seq_*`
//! and `kernel/rcu/rcu_segcblist.c`), at the granularity of its loads, stores, locks and
//! barriers. Line numbers are the review's reading of the v5.4 snapshot (README, "SRCU,
//! function by function"); functions without one are named only.
//!
//! State: `srcu_idx` (its low bit is the index new readers use); per CPU (`struct srcu_data`)
//! `srcu_lock_count[2]` and `srcu_unlock_count[2]`, and under `sdp->lock` the segmented
//! callback list, `srcu_cblist_invoking` and `srcu_gp_seq_needed`; the grace-period sequence
//! `srcu_gp_seq` (counter and state: IDLE, SCAN1, SCAN2) and, under `ssp->lock`,
//! `srcu_gp_seq_needed`; the `srcu_node` funnel's `srcu_have_cbs[]`/`srcu_data_have_cbs[]`.
//!
//! A reader counts itself on `srcu_lock_count[idx]` and, when done, on
//! `srcu_unlock_count[idx]` (no decrement, no `seq[]`): a scan sums the unlock counts, then
//! (barrier A) the lock counts; equal sums mean no reader of that index is left. A grace
//! period is the `process_srcu` work item driving `srcu_gp_seq` through SCAN1 (scan the
//! inactive index), `srcu_flip` (E, index store, D), SCAN2 (scan the other index) and
//! `srcu_gp_end`, which schedules each CPU's `srcu_invoke_callbacks` for the callbacks the
//! grace period served. `call_srcu` queues on the current CPU's list inside a read-side
//! section of its own, tagged with the grace period it needs; `synchronize_srcu` is a
//! `call_srcu` of a wake-up; `srcu_barrier` entrains a callback behind every CPU's last one.
//!
//! Simplifications, each with the direction it errs in:
//! - The `srcu_node` funnel is one node, root and leaf (the kernel's shape on small systems):
//!   `srcu_funnel_gp_start` makes one pass and `srcu_gp_end` visits one node. Neutral.
//! - Expedited grace periods are not modelled: `synchronize_srcu` takes the normal path
//!   (`srcu_might_be_idle` and `rcu_gp_is_expedited` only choose expediting), so
//!   `srcu_gp_seq_needed_exp` never passes `srcu_gp_seq` and `srcu_get_delay` is always
//!   `SRCU_INTERVAL`; its loads (which steer nothing then) are left out. Expediting changes
//!   delays and retry counts only. Neutral for safety.
//! - `check_init_srcu_struct` (first-use initialisation of a static `srcu_struct`),
//!   `debug_rcu_head_queue`, lockdep, `srcu_last_gp_end` and the counter-wrap guard of
//!   `srcu_gp_end` are not modelled. Neutral.
//! - `call_srcu`'s store of `rhp->func` is not modelled (the callback is a closure). May hide
//!   a `call_srcu` on freed memory.
//! - The per-CPU increments are single RMWs (`this_cpu_inc`: one instruction, or preemption
//!   disabled). Neutral.
//! - `udelay` between tries of `try_check_zero` is nothing: a busy wait, not a scheduling point
//!   (the loop is bounded; see `try_check_zero`). Neutral.
//! - `atomic_dec_and_test` in `srcu_barrier_cb` is an AcqRel RMW, weaker than the kernel's
//!   full ordering: may raise false alarms, cannot hide one.
//! - Work items run on kworker threads (see [`super::workqueue`]): `process_srcu` on kworker
//!   0, each CPU's `srcu_invoke_callbacks` on that CPU's kworker or, without one, kworker 0.

use super::segcblist::{ulong_cmp_lt, Segcblist};
use super::workqueue::{Completion, Workqueue};
use super::{traced_read_lock, traced_read_unlock, OracleClock, RcuHead, SrcuVariant};
use crate::backend::{AtomicUsizeOps, Backend, MutexOps, Ordering};
use crate::exec::Task;
use crate::trace::Op;
use std::sync::Arc;

/// `RCU_SEQ_STATE_MASK` (`RCU_SEQ_CTR_SHIFT` = 2).
const RCU_SEQ_STATE_MASK: usize = 3;
/// `SRCU_STATE_IDLE`.
const SRCU_STATE_IDLE: usize = 0;
/// `SRCU_STATE_SCAN1`.
const SRCU_STATE_SCAN1: usize = 1;
/// `SRCU_STATE_SCAN2`.
const SRCU_STATE_SCAN2: usize = 2;
/// `ARRAY_SIZE(snp->srcu_have_cbs)`.
const HAVE_CBS: usize = 4;
/// The work item `ssp->work` (`process_srcu`); CPU `c`'s `sdp->work` is `1 + c`.
const PROCESS_SRCU: usize = 0;

/// `rcu_seq_state(s)`.
fn rcu_seq_state(s: usize) -> usize {
    s & RCU_SEQ_STATE_MASK
}

/// `rcu_seq_ctr(s)`.
fn rcu_seq_ctr(s: usize) -> usize {
    s >> 2
}

/// `rcu_seq_done(sp, s)` on a value already read: `ULONG_CMP_GE(*sp, s)`.
fn rcu_seq_done(seq: usize, s: usize) -> bool {
    !ulong_cmp_lt(seq, s)
}

/// `smp_mb()`.
fn smp_mb<B: Backend>() {
    B::fence(Ordering::SeqCst);
}

/// `rcu_seq_snap(sp)`: the sequence value at which a grace period that starts after now has
/// ended. The `smp_mb()` keeps the load out of what follows.
fn rcu_seq_snap<B: Backend>(sp: &B::AtomicUsize) -> usize {
    let s = (sp.load(Ordering::Relaxed) + 2 * RCU_SEQ_STATE_MASK + 1) & !RCU_SEQ_STATE_MASK;
    smp_mb::<B>(); // "Above access must not bleed into critical section."
    s
}

// The writers of a sequence (`srcu_gp_seq`, `srcu_barrier_seq`) are serialised by a lock or
// mutex and know its state (the kernel's WARN_ON_ONCEs assert it), so one RMW stands for the
// kernel's plain read and `WRITE_ONCE`: no other write can fall between them.

/// `rcu_seq_start(sp)`: `WRITE_ONCE(*sp, *sp + 1); smp_mb();`.
fn rcu_seq_start<B: Backend>(sp: &B::AtomicUsize) {
    sp.fetch_add(1, Ordering::Relaxed);
    smp_mb::<B>(); // "Ensure update-side operation after counter increment."
}

/// `rcu_seq_end(sp)` from state `state`: `smp_mb(); WRITE_ONCE(*sp, (*sp |
/// RCU_SEQ_STATE_MASK) + 1);`.
fn rcu_seq_end<B: Backend>(sp: &B::AtomicUsize, state: usize) {
    smp_mb::<B>(); // "Ensure update-side operation before counter increment."
    sp.fetch_add(RCU_SEQ_STATE_MASK + 1 - state, Ordering::Relaxed);
}

/// `rcu_seq_set_state(sp, newstate)` from state `state`: `WRITE_ONCE(*sp, (*sp &
/// ~RCU_SEQ_STATE_MASK) + newstate)`.
fn rcu_seq_set_state<B: Backend>(sp: &B::AtomicUsize, state: usize, newstate: usize) {
    sp.fetch_add(newstate - state, Ordering::Relaxed);
}

/// What `sdp->lock` protects.
struct SdpLocked<B: Backend> {
    srcu_cblist: Segcblist<RcuHead<B>>,
    srcu_cblist_invoking: bool,
    srcu_gp_seq_needed: usize,
}

/// `struct srcu_data`: one CPU's.
struct SrcuData<B: Backend> {
    srcu_lock_count: [B::AtomicUsize; 2],
    srcu_unlock_count: [B::AtomicUsize; 2],
    lock: B::Mutex<SdpLocked<B>>,
}

/// What the one `srcu_node`'s lock protects.
struct SnpLocked {
    srcu_have_cbs: [usize; HAVE_CBS],
    /// Bit `cpu` (`sdp->grpmask`): that CPU has callbacks for the grace period.
    srcu_data_have_cbs: [usize; HAVE_CBS],
}

/// What `ssp->lock` protects (it also serialises the writers of `srcu_gp_seq`).
struct SspLocked {
    srcu_gp_seq_needed: usize,
}

/// `srcu_barrier`'s `srcu_barrier_cpu_cnt` and `srcu_barrier_completion` (fields of
/// `srcu_struct` in the kernel, set up anew by each barrier under `srcu_barrier_mutex`).
pub struct BarrierState<B: Backend> {
    cpu_cnt: B::AtomicUsize,
    completion: Completion<B>,
}

impl<B: Backend> BarrierState<B> {
    /// `srcu_barrier_cb`: the last one completes the barrier.
    pub(super) fn srcu_barrier_cb(&self) {
        if self.cpu_cnt.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.completion.complete();
        }
    }
}

/// Tree `struct srcu_struct`.
pub struct TreeSrcu<B: Backend> {
    srcu_idx: B::AtomicUsize,
    srcu_gp_seq: B::AtomicUsize,
    sda: Box<[SrcuData<B>]>,
    /// The one `srcu_node` (its lock and what it protects).
    node: B::Mutex<SnpLocked>,
    ssp_lock: B::Mutex<SspLocked>,
    srcu_gp_mutex: B::Mutex<()>,
    srcu_cb_mutex: B::Mutex<()>,
    srcu_barrier_mutex: B::Mutex<()>,
    srcu_barrier_seq: B::AtomicUsize,
    wq: Workqueue<B>,
    variant: SrcuVariant,
    /// The oracle events' order, visible to loom (see [`OracleClock`]).
    clock: Arc<OracleClock<B>>,
}

impl<B: Backend> TreeSrcu<B> {
    /// `init_srcu_struct` (`init_srcu_struct_fields`, `init_srcu_struct_nodes`).
    pub(super) fn new(cpus: usize, variant: SrcuVariant, clock: Arc<OracleClock<B>>) -> Self {
        let homes = std::iter::once(0).chain(0..cpus).collect();
        TreeSrcu {
            srcu_idx: B::AtomicUsize::new(0),
            srcu_gp_seq: B::AtomicUsize::new(0),
            sda: (0..cpus)
                .map(|_| SrcuData {
                    srcu_lock_count: [B::AtomicUsize::new(0), B::AtomicUsize::new(0)],
                    srcu_unlock_count: [B::AtomicUsize::new(0), B::AtomicUsize::new(0)],
                    lock: B::Mutex::new(SdpLocked {
                        srcu_cblist: Segcblist::new(),
                        srcu_cblist_invoking: false,
                        srcu_gp_seq_needed: 0,
                    }),
                })
                .collect(),
            node: B::Mutex::new(SnpLocked {
                srcu_have_cbs: [0; HAVE_CBS],
                srcu_data_have_cbs: [0; HAVE_CBS],
            }),
            ssp_lock: B::Mutex::new(SspLocked {
                srcu_gp_seq_needed: 0,
            }),
            srcu_gp_mutex: B::Mutex::new(()),
            srcu_cb_mutex: B::Mutex::new(()),
            srcu_barrier_mutex: B::Mutex::new(()),
            srcu_barrier_seq: B::AtomicUsize::new(0),
            wq: Workqueue::new(cpus, homes),
            variant,
            clock,
        }
    }

    pub(super) fn wq(&self) -> &Workqueue<B> {
        &self.wq
    }

    pub(super) fn cpus(&self) -> usize {
        self.sda.len()
    }

    /// `smp_processor_id()` as an index into `ssp->sda`.
    fn this_cpu(&self, cur: &Task) -> usize {
        cur.cpu() % self.sda.len()
    }

    /// `spin_lock_rcu_node(sdp)` and its variants: the lock, then
    /// `smp_mb__after_unlock_lock()`, modelled as a full `smp_mb()`. Stronger than the
    /// kernel (may hide bugs): the macro is empty except on PowerPC, and the LKMM makes only
    /// an earlier UNLOCK plus this LOCK a full barrier, for the accesses before that unlock
    /// (docs/srcu.md, Tree SRCU's barriers).
    fn lock_rcu_node<'a, T: Send + 'static>(
        m: &'a B::Mutex<T>,
    ) -> <B::Mutex<T> as MutexOps<T>>::Guard<'a> {
        let g = m.lock();
        smp_mb::<B>();
        g
    }

    /// `srcu_readers_lock_idx`: `for_each_possible_cpu`, one load per CPU.
    fn srcu_readers_lock_idx(&self, idx: usize) -> usize {
        self.sda.iter().fold(0usize, |sum, d| {
            sum.wrapping_add(d.srcu_lock_count[idx].load(Ordering::Relaxed))
        })
    }

    /// `srcu_readers_unlock_idx`.
    fn srcu_readers_unlock_idx(&self, idx: usize) -> usize {
        self.sda.iter().fold(0usize, |sum, d| {
            sum.wrapping_add(d.srcu_unlock_count[idx].load(Ordering::Relaxed))
        })
    }

    /// `srcu_readers_active_idx_check` (l.281–): whether no reader of `idx` is left.
    fn srcu_readers_active_idx_check(&self, idx: usize) -> bool {
        let unlocks = self.srcu_readers_unlock_idx(idx);
        if self.variant != SrcuVariant::NoBarrierA {
            // smp_mb() A (l.298): pairs with B (__srcu_read_lock): a lock is always counted
            // if the matching unlock is (store buffering between the reader's increment and
            // its section's reads, and the updater's earlier writes and this sum). It also
            // pairs with C: accesses after the grace period do not run before it ends.
            smp_mb::<B>();
        }
        // Equal sums: no reader of this index at some moment in between.
        self.srcu_readers_lock_idx(idx) == unlocks
    }

    /// `__srcu_read_lock` (l.403–): returns the index.
    pub(super) fn __srcu_read_lock(&self, cur: &Task) -> usize {
        let idx = self.srcu_idx.load(Ordering::Relaxed) & 1; // READ_ONCE(ssp->srcu_idx) & 0x1
        self.sda[self.this_cpu(cur)].srcu_lock_count[idx].fetch_add(1, Ordering::Relaxed);
        if self.variant != SrcuVariant::NoBarrierB {
            // smp_mb() B: "Avoid leaking the critical section." Pairs with A (a scan that
            // misses this increment is followed by nothing the section can miss) and with
            // E in srcu_flip.
            smp_mb::<B>();
        }
        idx
    }

    /// `__srcu_read_unlock` (l.419–): counts the unlock on the CPU the task runs on now.
    pub(super) fn __srcu_read_unlock(&self, cur: &Task, idx: usize) {
        if self.variant != SrcuVariant::NoBarrierC {
            // smp_mb() C: "Avoid leaking the critical section." Pairs with A and with D in
            // srcu_flip: a scan that sees this unlock is ordered after the whole section.
            smp_mb::<B>();
        }
        self.sda[self.this_cpu(cur)].srcu_unlock_count[idx].fetch_add(1, Ordering::Relaxed);
    }

    /// `srcu_gp_start`, with `ssp->lock` held: accelerates this CPU's callbacks and moves
    /// `srcu_gp_seq` to SCAN1.
    fn srcu_gp_start(&self, cur: &Task, _ssp: &mut SspLocked) {
        let mut sdp = Self::lock_rcu_node(&self.sda[self.this_cpu(cur)].lock);
        let current = self.srcu_gp_seq.load(Ordering::Relaxed); // rcu_seq_current
        sdp.srcu_cblist.advance(current);
        let snap = rcu_seq_snap::<B>(&self.srcu_gp_seq);
        sdp.srcu_cblist.accelerate(snap);
        drop(sdp);
        // "Order prior store to ->srcu_gp_seq_needed vs. GP start."
        smp_mb::<B>();
        rcu_seq_start::<B>(&self.srcu_gp_seq);
    }

    /// `srcu_schedule_cbs_sdp(sdp, delay)`: queues CPU `cpu`'s callback invocation.
    fn srcu_schedule_cbs_sdp(&self, cpu: usize, delayed: bool) {
        self.wq.queue(1 + cpu, delayed);
    }

    /// `srcu_gp_end` (l.512–), with `srcu_gp_mutex` held (`gp_mutex`, released inside):
    /// ends the grace period, schedules the invocation of the callbacks it served, and
    /// starts the next one if needed.
    fn srcu_gp_end<G>(&self, cur: &Task, gp_mutex: G) {
        let cb_mutex = self.srcu_cb_mutex.lock(); // "Prevent more than one additional grace period."
        let gpseq = {
            let _ssp = Self::lock_rcu_node(&self.ssp_lock);
            // cbdelay = srcu_get_delay(ssp): SRCU_INTERVAL (no expedited request).
            rcu_seq_end::<B>(&self.srcu_gp_seq, SRCU_STATE_SCAN2);
            self.srcu_gp_seq.load(Ordering::Relaxed) // rcu_seq_current
        };
        drop(gp_mutex); // "A new grace period can start at this point.  But only one."
        let idx = rcu_seq_ctr(gpseq) % HAVE_CBS;
        let (cbs, mask) = {
            let mut snp = Self::lock_rcu_node(&self.node);
            // The one node is a leaf (last_lvl).
            let cbs = snp.srcu_have_cbs[idx] == gpseq;
            // srcu_have_cbs[idx] = gpseq; rcu_seq_set_state(&srcu_have_cbs[idx], 1)
            snp.srcu_have_cbs[idx] = (gpseq & !RCU_SEQ_STATE_MASK) + 1;
            let mask = snp.srcu_data_have_cbs[idx];
            snp.srcu_data_have_cbs[idx] = 0;
            (cbs, mask)
        };
        if cbs {
            // srcu_schedule_cbs_snp (l.465–474), with cbdelay.
            for cpu in (0..self.cpus()).filter(|c| mask & (1 << c) != 0) {
                self.srcu_schedule_cbs_sdp(cpu, true);
            }
        }
        drop(cb_mutex); // "Callback initiation done, allow grace periods after next."
        let mut ssp = Self::lock_rcu_node(&self.ssp_lock);
        let gpseq = self.srcu_gp_seq.load(Ordering::Relaxed);
        if rcu_seq_state(gpseq) == SRCU_STATE_IDLE && ulong_cmp_lt(gpseq, ssp.srcu_gp_seq_needed) {
            self.srcu_gp_start(cur, &mut ssp);
            drop(ssp);
            self.srcu_reschedule(cur, false);
        }
    }

    /// `srcu_funnel_gp_start(ssp, sdp, s, do_norm)` for one node and `do_norm`: records that
    /// CPU `cpu` has callbacks for grace period `s` and starts it unless started.
    fn srcu_funnel_gp_start(&self, cur: &Task, cpu: usize, s: usize) {
        let idx = rcu_seq_ctr(s) % HAVE_CBS;
        {
            // snp == sdp->mynode: the "GP already done" early return applies to other nodes.
            let mut snp = Self::lock_rcu_node(&self.node);
            if !ulong_cmp_lt(snp.srcu_have_cbs[idx], s) {
                let snp_seq = snp.srcu_have_cbs[idx];
                if snp_seq == s {
                    snp.srcu_data_have_cbs[idx] |= 1 << cpu;
                }
                drop(snp);
                if snp_seq != s {
                    // Grace period s already ended here: invoke this CPU's callbacks.
                    self.srcu_schedule_cbs_sdp(cpu, true);
                }
                return;
            }
            snp.srcu_have_cbs[idx] = s;
            snp.srcu_data_have_cbs[idx] |= 1 << cpu;
        }
        // "Top of tree, must ensure the grace period will be started."
        let mut ssp = Self::lock_rcu_node(&self.ssp_lock);
        if ulong_cmp_lt(ssp.srcu_gp_seq_needed, s) {
            ssp.srcu_gp_seq_needed = s; // smp_store_release (pairs with check_init_srcu_struct)
        }
        // "If grace period not already done and none in progress, start it."
        if !rcu_seq_done(self.srcu_gp_seq.load(Ordering::Relaxed), s)
            && rcu_seq_state(self.srcu_gp_seq.load(Ordering::Relaxed)) == SRCU_STATE_IDLE
        {
            self.srcu_gp_start(cur, &mut ssp);
            // queue_delayed_work(rcu_gp_wq, &ssp->work, srcu_get_delay(ssp))
            self.wq.queue(PROCESS_SRCU, true);
        }
    }

    /// `__call_srcu(ssp, rhp, func, do_norm)` (l.834–880) with `do_norm`: queues `rhp` on this
    /// CPU's list inside a read-side section of its own, tagged with the grace period it
    /// needs, and requests that grace period.
    fn __call_srcu(&self, cur: &Task, rhp: RcuHead<B>) {
        let idx = traced_read_lock(cur, &self.clock, false, || self.__srcu_read_lock(cur));
        let cpu = self.this_cpu(cur); // local_irq_save(); sdp = this_cpu_ptr(ssp->sda)
        let needgp = {
            let mut sdp = Self::lock_rcu_node(&self.sda[cpu].lock);
            sdp.srcu_cblist.enqueue(rhp);
            let current = self.srcu_gp_seq.load(Ordering::Relaxed); // rcu_seq_current
            sdp.srcu_cblist.advance(current);
            let s = rcu_seq_snap::<B>(&self.srcu_gp_seq);
            sdp.srcu_cblist.accelerate(s);
            if ulong_cmp_lt(sdp.srcu_gp_seq_needed, s) {
                sdp.srcu_gp_seq_needed = s;
                Some(s)
            } else {
                None
            }
        };
        if let Some(s) = needgp {
            self.srcu_funnel_gp_start(cur, cpu, s);
        }
        if self.variant == SrcuVariant::CallbackWithoutGracePeriod {
            self.srcu_schedule_cbs_sdp(cpu, false);
        }
        traced_read_unlock(cur, &self.clock, idx, |i| self.__srcu_read_unlock(cur, i));
    }

    /// `call_srcu`: `__call_srcu(ssp, rhp, func, true)`.
    pub(super) fn call_srcu(&self, cur: &Task, rhp: RcuHead<B>) {
        self.__call_srcu(cur, rhp);
    }

    /// `__synchronize_srcu(ssp, true)` (l.904–932), as `synchronize_srcu` (l.994) calls it on
    /// its normal path.
    pub(super) fn synchronize_srcu(&self, cur: &Task) {
        let rcu = Arc::new(Completion::new()); // init_completion(&rcu.completion)
        self.__call_srcu(cur, RcuHead::Wakeme(Arc::clone(&rcu))); // wakeme_after_rcu
        rcu.wait_for_completion(cur, &self.wq, |t, w| self.run_work(t, w));
        // smp_mb() (l.931): "Make sure that later code is ordered after the SRCU grace
        // period. This pairs with the spin_lock_irq_rcu_node() in srcu_invoke_callbacks()."
        smp_mb::<B>();
    }

    /// `srcu_barrier` (l.1021–1066): entrains a callback behind the last one on every CPU
    /// with callbacks queued or being invoked, and waits for all of them.
    pub(super) fn srcu_barrier(&self, cur: &Task) {
        let s = rcu_seq_snap::<B>(&self.srcu_barrier_seq);
        let _m = self.srcu_barrier_mutex.lock();
        if rcu_seq_done(self.srcu_barrier_seq.load(Ordering::Relaxed), s) {
            smp_mb::<B>(); // "Force ordering following return."
            return; // "Someone else did our work for us."
        }
        rcu_seq_start::<B>(&self.srcu_barrier_seq);
        let state: Arc<BarrierState<B>> = Arc::new(BarrierState {
            // "Initial count prevents reaching zero until all CBs are posted."
            cpu_cnt: B::AtomicUsize::new(1),
            completion: Completion::new(),
        });
        for sdp in self.sda.iter() {
            let mut sdp = Self::lock_rcu_node(&sdp.lock);
            state.cpu_cnt.fetch_add(1, Ordering::Relaxed); // atomic_inc
            if !sdp
                .srcu_cblist
                .entrain(RcuHead::Barrier(Arc::clone(&state)))
            {
                state.cpu_cnt.fetch_sub(1, Ordering::Relaxed); // atomic_dec
            }
        }
        // "Remove the initial count, at which point reaching zero can happen."
        state.srcu_barrier_cb();
        state
            .completion
            .wait_for_completion(cur, &self.wq, |t, w| self.run_work(t, w));
        rcu_seq_end::<B>(&self.srcu_barrier_seq, 1);
    }

    /// `try_check_zero(ssp, idx, trycount)`: up to `trycount` scans, `udelay` between them.
    fn try_check_zero(&self, cur: &Task, idx: usize, mut trycount: usize) -> bool {
        loop {
            if self.srcu_readers_active_idx_check(idx) {
                cur.record(Op::SrcuReadersGone { idx });
                return true;
            }
            // --trycount + !srcu_get_delay(ssp) <= 0: srcu_get_delay is SRCU_INTERVAL.
            trycount -= 1;
            if trycount == 0 {
                return false;
            }
            // udelay(SRCU_RETRY_CHECK_DELAY): a busy wait of a few microseconds, not a
            // yield. The loop is bounded, so it needs none; and a yield here would make loom
            // and shuttle's PCT let the readers run first, pruning the schedules in which the
            // updater's next try comes before a reader's next step.
        }
    }

    /// `srcu_flip` (l.714–736): E, `srcu_idx++`, D.
    fn srcu_flip(&self, cur: &Task) {
        if self.variant != SrcuVariant::NoBarrierE {
            // smp_mb() E (l.724), "Pairs with B and C": a reader whose increment a scan saw
            // used an old srcu_idx; a reader that sees the new one was not seen by the
            // earlier scans (which is fine: this grace period need not wait for it).
            smp_mb::<B>();
        }
        // WRITE_ONCE(ssp->srcu_idx, ssp->srcu_idx + 1) (l.726): only the srcu_gp_mutex holder
        // writes it, so one RMW stands for the plain read and the store.
        let v = self.srcu_idx.fetch_add(1, Ordering::Relaxed) + 1;
        cur.record(Op::SrcuFlip { completed: v });
        if self.variant != SrcuVariant::NoBarrierD {
            // smp_mb() D (l.735), "Pairs with C": if the updater misses an unlock's
            // increment, that task's next __srcu_read_lock sees the new index.
            smp_mb::<B>();
        }
    }

    /// `srcu_advance_state` (l.1090–1146): pushes `srcu_gp_seq` through SCAN1 and SCAN2 and
    /// ends the grace period when both scans pass.
    fn srcu_advance_state(&self, cur: &Task) {
        let gp_mutex = self.srcu_gp_mutex.lock();
        // "The load-acquire ensures that we see the accesses performed by the prior grace
        // period."
        let state = rcu_seq_state(self.srcu_gp_seq.load(Ordering::Acquire));
        if state == SRCU_STATE_IDLE {
            let mut ssp = Self::lock_rcu_node(&self.ssp_lock);
            if !ulong_cmp_lt(
                self.srcu_gp_seq.load(Ordering::Relaxed),
                ssp.srcu_gp_seq_needed,
            ) {
                return; // no grace period needed (drops ssp->lock, then srcu_gp_mutex)
            }
            let state = rcu_seq_state(self.srcu_gp_seq.load(Ordering::Relaxed));
            if state == SRCU_STATE_IDLE {
                self.srcu_gp_start(cur, &mut ssp);
            }
            drop(ssp);
            if state != SRCU_STATE_IDLE {
                return; // "Someone else started the grace period."
            }
        }
        if rcu_seq_state(self.srcu_gp_seq.load(Ordering::Relaxed)) == SRCU_STATE_SCAN1 {
            let idx = 1 ^ (self.srcu_idx.load(Ordering::Relaxed) & 1);
            // SingleDrain ("one scan") passes SCAN1 without scanning.
            if self.variant != SrcuVariant::SingleDrain && !self.try_check_zero(cur, idx, 1) {
                return; // "readers present, retry later."
            }
            if self.variant != SrcuVariant::NoFlip {
                self.srcu_flip(cur);
            }
            rcu_seq_set_state::<B>(&self.srcu_gp_seq, SRCU_STATE_SCAN1, SRCU_STATE_SCAN2);
        }
        if rcu_seq_state(self.srcu_gp_seq.load(Ordering::Relaxed)) == SRCU_STATE_SCAN2 {
            // "SRCU read-side critical sections are normally short, so check at least twice
            // in quick succession after a flip."
            let idx = 1 ^ (self.srcu_idx.load(Ordering::Relaxed) & 1);
            if !self.try_check_zero(cur, idx, 2) {
                return; // "readers present, retry later."
            }
            self.srcu_gp_end(cur, gp_mutex); // releases srcu_gp_mutex
        }
    }

    /// `srcu_reschedule(ssp, delay)`: queues `process_srcu` again while a grace period is in
    /// progress or needed.
    fn srcu_reschedule(&self, cur: &Task, delayed: bool) {
        let pushgp = {
            let mut ssp = Self::lock_rcu_node(&self.ssp_lock);
            let seq = self.srcu_gp_seq.load(Ordering::Relaxed);
            if !ulong_cmp_lt(seq, ssp.srcu_gp_seq_needed) {
                // "All requests fulfilled, time to go idle." (unless WARN_ON_ONCE(state))
                rcu_seq_state(seq) != SRCU_STATE_IDLE
            } else {
                if rcu_seq_state(seq) == SRCU_STATE_IDLE {
                    // "Outstanding request and no GP.  Start one."
                    self.srcu_gp_start(cur, &mut ssp);
                }
                true
            }
        };
        if pushgp {
            self.wq.queue(PROCESS_SRCU, delayed);
        }
    }

    /// `process_srcu`: the grace-period work item.
    fn process_srcu(&self, cur: &Task) {
        let _f = cur.enter_helper("process_srcu");
        self.srcu_advance_state(cur);
        self.srcu_reschedule(cur, true); // srcu_get_delay(ssp): SRCU_INTERVAL
    }

    /// `srcu_invoke_callbacks` (l.1156–1205) for CPU `cpu`'s `srcu_data`: invokes the
    /// callbacks whose grace period has ended, in order.
    fn srcu_invoke_callbacks(&self, cur: &Task, cpu: usize) {
        let _f = cur.enter_helper("srcu_invoke_callbacks");
        let sdp = &self.sda[cpu];
        let ready = {
            let mut d = Self::lock_rcu_node(&sdp.lock);
            let seq = if self.variant == SrcuVariant::CallbackWithoutGracePeriod {
                d.srcu_gp_seq_needed // as if every requested grace period had ended
            } else {
                self.srcu_gp_seq.load(Ordering::Relaxed) // rcu_seq_current
            };
            d.srcu_cblist.advance(seq);
            if d.srcu_cblist_invoking || !d.srcu_cblist.ready_cbs() {
                return; // "Someone else on the job or nothing to do."
            }
            // "We are on the job!  Extract and invoke ready callbacks."
            d.srcu_cblist_invoking = true;
            d.srcu_cblist.extract_done_cbs()
        };
        let invoked = ready.len() as isize;
        for rhp in ready {
            rhp.invoke(cur, &self.clock); // local_bh_disable(); rhp->func(rhp); local_bh_enable()
        }
        // "Update counts, accelerate new callbacks, and if needed, schedule another round
        // of callback invocation."
        let more = {
            let mut d = Self::lock_rcu_node(&sdp.lock);
            d.srcu_cblist.insert_count(-invoked);
            let snap = rcu_seq_snap::<B>(&self.srcu_gp_seq);
            d.srcu_cblist.accelerate(snap);
            d.srcu_cblist_invoking = false;
            d.srcu_cblist.ready_cbs()
        };
        if more {
            self.srcu_schedule_cbs_sdp(cpu, false);
        }
    }

    /// Runs work item `work`.
    fn run_work(&self, cur: &Task, work: usize) {
        match work {
            PROCESS_SRCU => self.process_srcu(cur),
            sdp_work => self.srcu_invoke_callbacks(cur, sdp_work - 1),
        }
    }

    /// The kworker of `cur.cpu()`.
    pub(super) fn kworker(&self, cur: &Task) {
        self.wq.kworker(cur, |t, w| self.run_work(t, w));
    }
}

#[cfg(test)]
mod tests {
    //! Tree SRCU (`kernel/rcu/srcutree.c`, v5.4) on one thread: the counters, `srcu_gp_seq`'s
    //! states, the per-CPU callback lists and `srcu_barrier`, with the work items run by the
    //! waiter (or by the test, item by item) as with no kworker.

    use super::*;
    use crate::backend::Std;
    use crate::srcu::{Imp, SrcuCallback, SrcuImpl, SrcuStruct};
    use crate::testing::{execution, ops};
    use crate::trace::ResolvedOp;
    use std::sync::Mutex;

    fn srcu(cpus: usize, variant: SrcuVariant) -> SrcuStruct<Std> {
        SrcuStruct::new(SrcuImpl::Tree, cpus, variant)
    }

    fn tree(s: &SrcuStruct<Std>) -> &TreeSrcu<Std> {
        match &s.imp {
            Imp::Tree(t) => t,
            _ => unreachable!("built tree"),
        }
    }

    fn load(a: &<Std as Backend>::AtomicUsize) -> usize {
        a.load(Ordering::Relaxed)
    }

    /// CPU `cpu`'s `srcu_lock_count[]` and `srcu_unlock_count[]`.
    fn counts(t: &TreeSrcu<Std>, cpu: usize) -> ([usize; 2], [usize; 2]) {
        let d = &t.sda[cpu];
        (
            [load(&d.srcu_lock_count[0]), load(&d.srcu_lock_count[1])],
            [load(&d.srcu_unlock_count[0]), load(&d.srcu_unlock_count[1])],
        )
    }

    /// (srcu_idx, srcu_gp_seq, ssp->srcu_gp_seq_needed).
    fn gp(t: &TreeSrcu<Std>) -> (usize, usize, usize) {
        (
            load(&t.srcu_idx),
            load(&t.srcu_gp_seq),
            MutexOps::lock(&t.ssp_lock).srcu_gp_seq_needed,
        )
    }

    /// CPU `cpu`'s callbacks queued (`->len`) and its `srcu_gp_seq_needed`.
    fn sdp(t: &TreeSrcu<Std>, cpu: usize) -> (isize, usize) {
        let d = MutexOps::lock(&t.sda[cpu].lock);
        (d.srcu_cblist.n_cbs(), d.srcu_gp_seq_needed)
    }

    fn run_work(t: &TreeSrcu<Std>, cur: &Task) -> bool {
        t.wq.run_inline(cur, &|c, w| t.run_work(c, w))
    }

    fn logging(log: &Arc<Mutex<Vec<usize>>>, n: usize) -> SrcuCallback {
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
    fn the_rcu_seq_helpers_are_rcu_h() {
        assert_eq!(
            (
                RCU_SEQ_STATE_MASK,
                SRCU_STATE_IDLE,
                SRCU_STATE_SCAN1,
                SRCU_STATE_SCAN2
            ),
            (3, 0, 1, 2)
        );
        assert_eq!((HAVE_CBS, PROCESS_SRCU), (4, 0));
        assert_eq!((rcu_seq_state(6), rcu_seq_ctr(6)), (2, 1));
        assert_eq!((rcu_seq_state(9), rcu_seq_ctr(9)), (1, 2));
        assert!(rcu_seq_done(4, 4));
        assert!(rcu_seq_done(5, 4));
        assert!(!rcu_seq_done(3, 4));
        assert!(rcu_seq_done(0, usize::MAX - 3), "done modulo wrap");
        let sp = <Std as Backend>::AtomicUsize::new(0);
        // Idle at 0: the next grace period ends at 4; in progress at 1..=3: the one after.
        assert_eq!(rcu_seq_snap::<Std>(&sp), 4);
        for (s, snap) in [(1, 8), (2, 8), (3, 8), (4, 8), (5, 12)] {
            sp.store(s, Ordering::Relaxed);
            assert_eq!(rcu_seq_snap::<Std>(&sp), snap, "snap of {s}");
        }
        sp.store(4, Ordering::Relaxed);
        rcu_seq_start::<Std>(&sp);
        assert_eq!(load(&sp), 5);
        rcu_seq_set_state::<Std>(&sp, SRCU_STATE_SCAN1, SRCU_STATE_SCAN2);
        assert_eq!(load(&sp), 6);
        rcu_seq_end::<Std>(&sp, SRCU_STATE_SCAN2);
        assert_eq!(load(&sp), 8);
        rcu_seq_start::<Std>(&sp);
        rcu_seq_end::<Std>(&sp, 1);
        assert_eq!(load(&sp), 12);
    }

    #[test]
    fn srcu_read_lock_counts_on_srcu_idx_and_1_and_unlock_counts_where_it_runs() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let t = tree(&s);
        cur.migrate(1);
        let r = s.srcu_read_lock(&cur);
        assert_eq!(r.idx, 0);
        assert_eq!(counts(t, 1), ([1, 0], [0, 0]));
        assert!(!t.srcu_readers_active_idx_check(0));
        assert!(t.srcu_readers_active_idx_check(1));
        cur.migrate(0);
        s.srcu_read_unlock(&cur, r);
        assert_eq!(counts(t, 1), ([1, 0], [0, 0]));
        assert_eq!(counts(t, 0), ([0, 0], [1, 0]));
        assert_eq!(
            (t.srcu_readers_lock_idx(0), t.srcu_readers_unlock_idx(0)),
            (1, 1)
        );
        assert!(t.srcu_readers_active_idx_check(0));
        t.srcu_flip(&cur);
        assert_eq!(load(&t.srcu_idx), 1);
        let r = s.srcu_read_lock(&cur);
        assert_eq!(r.idx, 1);
        assert_eq!(counts(t, 0), ([0, 1], [1, 0]));
        s.srcu_read_unlock(&cur, r);
        assert_eq!(counts(t, 0), ([0, 1], [1, 1]));
        assert_eq!(
            ops(&exec),
            [
                Op::SrcuReadLock { idx: 0, cpu: 1 },
                Op::SrcuReadUnlock {
                    idx: 0,
                    cpu: 0,
                    section: 0
                },
                flip(1),
                Op::SrcuReadLock { idx: 1, cpu: 0 },
                Op::SrcuReadUnlock {
                    idx: 1,
                    cpu: 0,
                    section: 3
                },
            ]
        );
        let before = exec.len();
        let r = s.srcu_read_lock(&cur);
        assert!(!t.try_check_zero(&cur, 1, 2));
        assert_eq!(exec.len(), before + 1, "a failed scan records nothing");
        assert!(t.try_check_zero(&cur, 0, 1));
        s.srcu_read_unlock(&cur, r);
        assert_eq!(ops(&exec)[before + 1], gone(0));
    }

    #[test]
    fn synchronize_srcu_runs_one_grace_period_through_scan1_and_scan2() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let t = tree(&s);
        assert_eq!(gp(t), (0, 0, 0));
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec),
            [
                Op::SynchronizeSrcu,
                // __call_srcu's own read-side section, on the caller's CPU.
                Op::SrcuReadLock { idx: 0, cpu: 0 },
                Op::SrcuReadUnlock {
                    idx: 0,
                    cpu: 0,
                    section: 1
                },
                gone(1),
                flip(1),
                gone(0),
                Op::SynchronizeSrcuDone { start: 0 },
            ]
        );
        assert_eq!(gp(t), (1, 4, 4), "one grace period: the counter is 1, idle");
        assert_eq!(sdp(t, 0), (0, 4));
        assert_eq!(sdp(t, 1), (0, 0));
        {
            let snp = MutexOps::lock(&t.node);
            assert_eq!(snp.srcu_have_cbs, [0, 5, 0, 0]);
            assert_eq!(snp.srcu_data_have_cbs, [0, 0, 0, 0]);
        }
        assert!(!run_work(t, &cur), "nothing left queued");
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec)[7..],
            [
                Op::SynchronizeSrcu,
                Op::SrcuReadLock { idx: 1, cpu: 0 },
                Op::SrcuReadUnlock {
                    idx: 1,
                    cpu: 0,
                    section: 8
                },
                gone(0),
                flip(2),
                gone(1),
                Op::SynchronizeSrcuDone { start: 7 },
            ]
        );
        assert_eq!(gp(t), (2, 8, 8));
        assert_eq!(counts(t, 0), ([1, 1], [1, 1]));
        assert_eq!(MutexOps::lock(&t.node).srcu_have_cbs, [0, 5, 9, 0]);
    }

    #[test]
    fn callbacks_wait_for_their_grace_period_and_run_in_order_on_their_cpu() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let t = tree(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        cur.migrate(1);
        let r = s.srcu_read_lock(&cur);
        cur.migrate(0);
        s.call_srcu(&cur, logging(&log, 1));
        // Callback 1 needs grace period 4, which starts at once: SCAN1.
        assert_eq!(gp(t), (0, 1, 4));
        assert_eq!(sdp(t, 0), (1, 4));
        cur.migrate(1);
        s.call_srcu(&cur, logging(&log, 2));
        cur.migrate(0);
        s.call_srcu(&cur, logging(&log, 3));
        // Queued during grace period 4: they need the next one, 8.
        assert_eq!(gp(t), (0, 1, 8));
        assert_eq!((sdp(t, 0), sdp(t, 1)), ((2, 8), (1, 8)));
        {
            let snp = MutexOps::lock(&t.node);
            assert_eq!(snp.srcu_have_cbs, [0, 4, 8, 0]);
            assert_eq!(snp.srcu_data_have_cbs, [0, 0b01, 0b11, 0]);
        }
        let from = exec.len();
        assert!(run_work(t, &cur));
        // SCAN1 passes on index 1 and flips; SCAN2 finds the reader on index 0.
        assert_eq!(ops(&exec)[from..], [gone(1), flip(1)]);
        assert_eq!(gp(t), (1, 2, 8));
        for _ in 0..3 {
            assert!(
                run_work(t, &cur),
                "process_srcu polls while the reader stays"
            );
        }
        assert_eq!(exec.len(), from + 2);
        assert_eq!(gp(t), (1, 2, 8));
        assert!(log.lock().unwrap().is_empty());
        cur.migrate(1);
        s.srcu_read_unlock(&cur, r);
        cur.migrate(0);
        let from = exec.len();
        assert!(run_work(t, &cur));
        // Grace period 4 ends; grace period 8 starts at once (SCAN1 of counter 1).
        assert_eq!(ops(&exec)[from..], [gone(0)]);
        assert_eq!(gp(t), (1, 5, 8));
        while run_work(t, &cur) {}
        assert_eq!(
            *log.lock().unwrap(),
            [1, 3, 2],
            "CPU 0's in order, then CPU 1's"
        );
        assert_eq!(gp(t), (2, 8, 8));
        assert_eq!((sdp(t, 0), sdp(t, 1)), ((0, 8), (0, 8)));
        let starts: Vec<usize> = ops(&exec)
            .iter()
            .filter_map(|o| match o {
                Op::CallbackStart { call } => Some(*call),
                _ => None,
            })
            .collect();
        let calls: Vec<usize> = ops(&exec)
            .iter()
            .enumerate()
            .filter_map(|(i, o)| (*o == Op::CallSrcu).then_some(i))
            .collect();
        assert_eq!(starts, [calls[0], calls[2], calls[1]]);
    }

    #[test]
    fn a_second_cpu_joins_a_requested_grace_period_and_the_next_one_starts_before_callbacks_run() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let t = tree(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        // Callback 1 needs grace period 4 (started at once), 2 the next one, 8.
        s.call_srcu(&cur, logging(&log, 1));
        s.call_srcu(&cur, logging(&log, 2));
        // CPU 1 asks for 8 too: srcu_funnel_gp_start finds it requested (snp_seq == s), sets
        // CPU 1's bit in srcu_data_have_cbs and schedules nothing yet.
        cur.migrate(1);
        s.call_srcu(&cur, logging(&log, 3));
        cur.migrate(0);
        {
            let snp = MutexOps::lock(&t.node);
            assert_eq!(snp.srcu_have_cbs, [0, 4, 8, 0]);
            assert_eq!(snp.srcu_data_have_cbs, [0, 0b01, 0b11, 0]);
        }
        assert_eq!(gp(t), (0, 1, 8));
        let from = exec.len();
        // Pass 1: grace period 4's two scans pass and it ends; srcu_gp_end starts grace
        // period 8 and queues process_srcu at once (srcu_reschedule(ssp, 0)), ahead of the
        // callback invocation it queued with cbdelay.
        assert!(run_work(t, &cur));
        assert_eq!(ops(&exec)[from..], [gone(1), flip(1), gone(0)]);
        assert_eq!(gp(t), (1, 5, 8));
        // Pass 2: process_srcu, not the callbacks: grace period 8 passes and ends too.
        assert!(run_work(t, &cur));
        assert_eq!(
            ops(&exec)[from..],
            [gone(1), flip(1), gone(0), gone(0), flip(2), gone(1)]
        );
        assert!(log.lock().unwrap().is_empty());
        let mut passes = 0;
        while run_work(t, &cur) {
            passes += 1;
        }
        // CPU 0's invocation (both its callbacks: both grace periods have ended), then CPU 1's.
        assert_eq!(*log.lock().unwrap(), [1, 2, 3]);
        assert_eq!(passes, 2);
        assert_eq!(gp(t), (2, 8, 8));
    }

    #[test]
    fn srcu_barrier_with_nothing_queued_returns_at_once() {
        let (exec, cur) = execution();
        let s = srcu(2, SrcuVariant::Kernel);
        let t = tree(&s);
        s.srcu_barrier(&cur);
        assert_eq!(
            ops(&exec),
            [Op::SrcuBarrier, Op::SrcuBarrierDone { start: 0 }]
        );
        assert_eq!(load(&t.srcu_barrier_seq), 4);
        s.srcu_barrier(&cur);
        assert_eq!(load(&t.srcu_barrier_seq), 8);
        assert_eq!(gp(t), (0, 0, 0), "no grace period");
    }

    #[test]
    fn srcu_barrier_waits_for_the_callbacks_of_every_cpu() {
        let (exec, cur) = execution();
        let s = srcu(3, SrcuVariant::Kernel);
        let t = tree(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        s.call_srcu(&cur, logging(&log, 1));
        cur.migrate(1);
        s.call_srcu(&cur, logging(&log, 2));
        cur.migrate(2);
        let start = exec.len();
        s.srcu_barrier(&cur);
        assert_eq!(*log.lock().unwrap(), [1, 2]);
        let all = ops(&exec);
        assert_eq!(all[start], Op::SrcuBarrier);
        assert_eq!(all.last(), Some(&Op::SrcuBarrierDone { start }));
        let done: Vec<usize> = all
            .iter()
            .enumerate()
            .filter_map(|(i, o)| matches!(o, Op::CallbackDone { .. }).then_some(i))
            .collect();
        assert_eq!(done.len(), 2);
        assert!(done.iter().all(|&d| d > start && d < all.len() - 1));
        assert_eq!(load(&t.srcu_barrier_seq), 4);
        assert_eq!(
            gp(t),
            (2, 8, 8),
            "two grace periods: 4 for callback 1, 8 for 2"
        );
        assert_eq!((sdp(t, 0).0, sdp(t, 1).0, sdp(t, 2).0), (0, 0, 0));
        assert!(!run_work(t, &cur));
    }

    #[test]
    fn no_flip_scans_the_same_index_twice() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::NoFlip);
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec)[3..],
            [gone(1), gone(1), Op::SynchronizeSrcuDone { start: 0 }]
        );
        assert_eq!(gp(tree(&s)), (0, 4, 4));
    }

    #[test]
    fn single_drain_passes_scan1_without_a_scan() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::SingleDrain);
        s.synchronize_srcu(&cur);
        assert_eq!(
            ops(&exec)[3..],
            [flip(1), gone(0), Op::SynchronizeSrcuDone { start: 0 }]
        );
    }

    #[test]
    fn callback_without_grace_period_invokes_under_a_reader() {
        let (exec, cur) = execution();
        let s = srcu(1, SrcuVariant::CallbackWithoutGracePeriod);
        let t = tree(&s);
        let log = Arc::new(Mutex::new(Vec::new()));
        let r = s.srcu_read_lock(&cur);
        s.call_srcu(&cur, logging(&log, 1));
        let from = exec.len();
        assert!(run_work(t, &cur));
        assert_eq!(*log.lock().unwrap(), [1]);
        assert_eq!(
            ops(&exec)[from..],
            [Op::CallbackStart { call: 1 }, Op::CallbackDone { call: 1 }]
        );
        s.srcu_read_unlock(&cur, r);
    }

    #[test]
    fn the_barrier_variants_run_the_same_steps_on_one_thread() {
        for v in [
            SrcuVariant::NoBarrierA,
            SrcuVariant::NoBarrierB,
            SrcuVariant::NoBarrierC,
            SrcuVariant::NoBarrierD,
            SrcuVariant::NoBarrierE,
        ] {
            let (exec, cur) = execution();
            let s = srcu(1, v);
            s.synchronize_srcu(&cur);
            assert_eq!(ops(&exec)[3..6], [gone(1), flip(1), gone(0)], "{v:?}");
            assert_eq!(gp(tree(&s)), (1, 4, 4), "{v:?}");
        }
    }
}
