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
//! - The worker is a thread of the model (the kernel's workqueue); it sleeps while its list is
//!   empty and stops when told to ([`SrcuStruct::stop_worker`]), once the scenario has no more
//!   callers. See [`callbacks`] for the callback side.
//! - Callback lists are a knob ([`CallbackQueues`]): classic SRCU's one FIFO pipeline, or
//!   Tree SRCU's (v4.12+) per-CPU lists, each worked by a worker of its own CPU. The
//!   grace-period algorithm stays the classic one in both cases: v5.4 runs Tree SRCU's
//!   `srcu_gp_start`/`srcu_gp_end` over a tree of `srcu_node`s, which the model does not
//!   reproduce. What the knob changes is what callers can assume about *callbacks*: with
//!   per-CPU lists, `synchronize_srcu` no longer implies that callbacks queued on other CPUs
//!   have run.

pub mod callbacks;
pub mod spec;

use crate::backend::{AtomicUsizeOps, Backend, MutexOps, Ordering};
use crate::exec::Task;
use crate::trace::Op;
use callbacks::CallbackList;
pub use callbacks::{CallbackQueues, SrcuCallback};
use serde::{Deserialize, Serialize};

/// Deliberately broken versions of the algorithm, each removing one ordering or step. Each
/// must be caught by a specific check (see the SRCU scenarios in `notifier-catalog`).
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

/// What runs the readers and grace periods of an [`SrcuStruct`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SrcuImpl {
    /// Classic SRCU (v3.16/v3.17), with [`SrcuVariant`]'s knobs.
    #[default]
    Classic,
    /// The SRCU specification ([`spec`]): what every real SRCU guarantees, with the fewest
    /// scheduling points; callbacks on lists of the same structure ([`CallbackQueues`]).
    Spec,
}

impl SrcuImpl {
    /// Every implementation.
    pub const ALL: [SrcuImpl; 2] = [SrcuImpl::Classic, SrcuImpl::Spec];

    /// `classic` or `spec`, as reports name it.
    pub fn name(self) -> &'static str {
        match self {
            SrcuImpl::Classic => "classic",
            SrcuImpl::Spec => "spec",
        }
    }
}

impl std::fmt::Display for SrcuImpl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `struct srcu_struct`.
pub struct SrcuStruct<B: Backend> {
    completed: B::AtomicUsize,
    per_cpu: Box<[SrcuPerCpu<B>]>,
    /// Serialises grace periods (`sp->mutex` / the "running" ownership in classic SRCU).
    gp_mutex: B::Mutex<()>,
    /// The callback lists: one ([`CallbackQueues::Fifo`]) or one per CPU slot.
    lists: Box<[CallbackList<B>]>,

    variant: SrcuVariant,
    /// The specification, when it runs SRCU instead of the classic algorithm.
    spec: Option<spec::SpecSrcu<B>>,
    cpus: usize,
}

/// What `srcu_read_lock` returns: the index, plus the trace's name for the section.
#[derive(Debug)]
#[must_use = "pass it to srcu_read_unlock"]
pub struct SrcuIdx {
    /// The index the reader incremented (0 with the specification, which has none).
    pub idx: usize,
    section: usize,
    /// The specification's number for the section.
    spec_section: u64,
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
            lists: Box::new([CallbackList::new()]),
            variant,
            spec: None,
            cpus,
        }
    }

    /// Runs readers and grace periods on `imp` (the default is [`SrcuImpl::Classic`]).
    pub fn with_implementation(mut self, imp: SrcuImpl) -> Self {
        self.spec = (imp == SrcuImpl::Spec).then(|| spec::SpecSrcu::new(self.cpus, self.queues()));
        self
    }

    /// What runs the readers and grace periods.
    pub fn implementation(&self) -> SrcuImpl {
        if self.spec.is_some() {
            SrcuImpl::Spec
        } else {
            SrcuImpl::Classic
        }
    }

    fn slot(&self, cur: &Task) -> &SrcuPerCpu<B> {
        &self.per_cpu[cur.cpu() % self.per_cpu.len()]
    }

    /// `srcu_read_lock`: enters a read-side section on the current CPU.
    pub fn srcu_read_lock(&self, cur: &Task) -> SrcuIdx {
        let _f = cur.enter_helper("srcu_read_lock");
        if let Some(spec) = &self.spec {
            let spec_section = spec.read_lock(cur);
            let section = cur.record(Op::SrcuReadLock {
                idx: 0,
                cpu: cur.cpu(),
            });
            return SrcuIdx {
                idx: 0,
                section,
                spec_section,
            };
        }
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
        SrcuIdx {
            idx,
            section,
            spec_section: 0,
        }
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
        if let Some(spec) = &self.spec {
            spec.read_unlock(cur, idx.spec_section);
            return;
        }
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
}
