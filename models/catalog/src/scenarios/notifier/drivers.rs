//! Driver behaviours, written as a driver author writes them against the library: each is a
//! `MmuNotifierOps` implementation whose methods are ordinary code calling the kernel API.

use notifier_core::{Backend, Kernel, MmRef, MmuNotifierOps, MnRef, Op, OpsId, Task};
use std::sync::Arc;

/// The drivers' deferred free: `mmu_notifier_call_srcu` of a callback that frees the object
/// and drops the `mm_count` pin the driver held.
fn free_after_grace_period<B: Backend>(k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
    let k2 = Arc::clone(k);
    k.mmu_notifier_call_srcu(
        cur,
        Box::new(move |cur| {
            k2.kfree_notifier(cur, mn);
            k2.mmdrop(cur, mm);
        }),
    );
}

/// amdkfd (v3.19, the first user of the 2014 API), in `->release` called by exit: take an
/// extra `mm_count`, unlink first with `mmu_notifier_unregister_no_release`, then free the
/// object after a grace period; the deferred free does the matching `mmdrop`.
#[derive(Debug, Clone, Copy)]
pub struct UnlinkThenDefer;

impl<B: Backend> MmuNotifierOps<B> for UnlinkThenDefer {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        k.mmgrab(cur, mm);
        k.mmu_notifier_unregister_no_release(cur, mn, mm);
        free_after_grace_period(k, cur, mn, mm);
    }
}

/// Hazard A: `->release` queues the free of its own, still-linked notifier with `call_srcu`
/// and relies on the core to unlink it. The deferred free also drops the registration's
/// `mm_count` pin (no unregister will).
#[derive(Debug, Clone, Copy)]
pub struct DeferFreeWhileLinked;

impl<B: Backend> MmuNotifierOps<B> for DeferFreeWhileLinked {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        free_after_grace_period(k, cur, mn, mm);
    }
}

/// KVM-style: every method flushes the driver's own state (touches its object) and nothing
/// else; the owner tears the notifier down with `mmu_notifier_unregister` and frees it.
#[derive(Debug, Clone, Copy)]
pub struct FlushOnly;

impl<B: Backend> MmuNotifierOps<B> for FlushOnly {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, _mm: MmRef) {
        k.notifier(mn)
            .obj()
            .touch(cur, "driver state (flush)", true);
    }
    fn invalidate_range_start(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, _mm: MmRef) {
        k.notifier(mn)
            .obj()
            .touch(cur, "driver state (flush)", true);
    }
}

/// hmm before commit 6d7c3cde93c1: `invalidate_range_start` locks a mutex inside `struct hmm`
/// (the object embedding the notifier).
#[derive(Debug, Clone, Copy)]
pub struct HmmMirror;

impl<B: Backend> MmuNotifierOps<B> for HmmMirror {
    fn invalidate_range_start(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, _mm: MmRef) {
        k.notifier(mn).obj().touch(cur, "hmm->mirrors_sem", true);
    }
}

/// A driver `O` whose methods sleep (a mutex, an allocation) and resume on CPU slot `cpu`: the
/// task that called the method migrates inside the read-side section the core holds around
/// the call, so the core's `srcu_read_unlock` runs on another CPU than its `srcu_read_lock`.
#[derive(Debug, Clone, Copy)]
pub struct ResumesOn<O> {
    /// The driver.
    pub driver: O,
    /// The CPU slot the task resumes on.
    pub cpu: usize,
}

impl<O> ResumesOn<O> {
    fn resume(&self, cur: &Task) {
        if cur.cpu() != self.cpu {
            cur.migrate(self.cpu);
            cur.record(Op::Note {
                text: format!("sleeps; resumes on cpu {}", self.cpu),
            });
        }
    }
}

impl<B: Backend, O: MmuNotifierOps<B>> MmuNotifierOps<B> for ResumesOn<O> {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        self.driver.release(k, cur, mn, mm);
        self.resume(cur);
    }
    fn invalidate_range_start(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        self.driver.invalidate_range_start(k, cur, mn, mm);
        self.resume(cur);
    }
    fn invalidate_range_end(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        self.driver.invalidate_range_end(k, cur, mn, mm);
        self.resume(cur);
    }
    fn alloc_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, ops: OpsId, mm: MmRef) -> MnRef {
        self.driver.alloc_notifier(k, cur, ops, mm)
    }
    fn free_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef) {
        self.driver.free_notifier(k, cur, mn);
    }
}
