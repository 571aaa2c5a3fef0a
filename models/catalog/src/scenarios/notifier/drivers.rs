//! Driver behaviours, written as a driver author writes them against the library: each is a
//! `MmuNotifierOps` implementation whose methods are ordinary code calling the kernel API.

use notifier_core::{
    Backend, Errno, Kernel, MmRef, MmuNotifierOps, MmuNotifierRange, MnRef, Op, OpsId, Task,
};
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
/// else: `invalidate_range_start` raises its count of open ranges and `invalidate_range_end`
/// lowers it (KVM's `mmu_notifier_count`); the owner tears the notifier down with
/// `mmu_notifier_unregister` and frees it.
#[derive(Debug, Clone, Copy)]
pub struct FlushOnly;

impl<B: Backend> MmuNotifierOps<B> for FlushOnly {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, _mm: MmRef) {
        k.notifier(mn)
            .obj()
            .touch(cur, "driver state (flush)", true);
    }
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        _range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        k.notifier(mn)
            .obj()
            .touch(cur, "mmu_notifier_count (flush)", true);
        Ok(())
    }
    fn invalidate_range_end(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        _range: &MmuNotifierRange,
    ) {
        k.notifier(mn).obj().touch(cur, "mmu_notifier_count", true);
    }
}

/// hmm (before commit 6d7c3cde93c1, and the v5.4 mirror): `invalidate_range_start` locks
/// `hmm->mirrors_sem` inside `struct hmm` (the object embedding the notifier), and
/// `invalidate_range_end` lowers `hmm->notifiers` in it.
#[derive(Debug, Clone, Copy)]
pub struct HmmMirror;

impl<B: Backend> MmuNotifierOps<B> for HmmMirror {
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        _range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        k.notifier(mn).obj().touch(cur, "hmm->mirrors_sem", true);
        Ok(())
    }
    fn invalidate_range_end(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        _range: &MmuNotifierRange,
    ) {
        k.notifier(mn).obj().touch(cur, "hmm->notifiers", true);
    }
}

/// A notifier that cannot invalidate without sleeping, as the c2655835fd8c changelog
/// describes i915's and nouveau's: its `invalidate_range_start` fails with `-EAGAIN` in a
/// non-blockable range (and flushes its object in a blockable one); it has no
/// `invalidate_range_end` (the trait's default does nothing).
#[derive(Debug, Clone, Copy)]
pub struct FailsNonBlocking;

impl<B: Backend> MmuNotifierOps<B> for FailsNonBlocking {
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        if !range.blockable {
            return Err(Errno::Again);
        }
        k.notifier(mn).obj().touch(cur, "userptr objects", true);
        Ok(())
    }
}

/// amdkfd on v5.4 (`drivers/gpu/drm/amd/amdkfd/kfd_process.c`, after "drm/amdkfd: use
/// mmu_notifier_put"): registered with `mmu_notifier_register` (l.660); its `->release`,
/// called by exit's walk, tears the process down (`p->mm = NULL`, a write to its object) and
/// calls `mmu_notifier_put` (l.543); `free_notifier` (`kfd_process_free_notifier` →
/// `kfd_unref_process`) frees the object after the grace period. The kernel frees it later
/// still, from a work item queued by the last kref put: freeing in `free_notifier` is the
/// earliest the object can go, so the model errs towards false alarms, not hidden bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmdkfdPut {
    /// As v5.4 has it.
    Correct,
    /// Misuse: `->release` puts, then frees the object itself (its `free_notifier` does
    /// nothing): exit's walk still stands on the notifier.
    FreeInRelease,
    /// Misuse: `->release` forgets the put: exit unlinks the notifier but nothing frees it or
    /// drops registration's `mm_count` pin.
    NoPut,
}

impl<B: Backend> MmuNotifierOps<B> for AmdkfdPut {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, _mm: MmRef) {
        k.notifier(mn).obj().touch(cur, "p->mm = NULL", true);
        match self {
            AmdkfdPut::Correct => k.mmu_notifier_put(cur, mn),
            AmdkfdPut::FreeInRelease => {
                k.mmu_notifier_put(cur, mn);
                k.kfree_notifier(cur, mn);
            }
            AmdkfdPut::NoPut => {}
        }
    }
    fn free_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef) {
        if *self != AmdkfdPut::FreeInRelease {
            k.kfree_notifier(cur, mn);
        }
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
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        let result = self.driver.invalidate_range_start(k, cur, mn, range);
        self.resume(cur);
        result
    }
    fn invalidate_range_end(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) {
        self.driver.invalidate_range_end(k, cur, mn, range);
        self.resume(cur);
    }
    fn alloc_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, ops: OpsId, mm: MmRef) -> MnRef {
        self.driver.alloc_notifier(k, cur, ops, mm)
    }
    fn free_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef) {
        self.driver.free_notifier(k, cur, mn);
    }
}
