//! `mm/mmu_notifier.c`: the notifier list of an `mm_struct`, under a spinlock, walked under
//! one global SRCU.
//!
//! Every function reads like its kernel counterpart, in the kernel's statement order; each
//! shared-memory access is one step (see [`crate::hlist`] and [`crate::mm`]); kernel-version
//! differences are knobs in [`KernelConfig`]. Line numbers cite the snapshots named in the
//! project's review (`reviews/model-vs-kernel.md` §0): v3.16 `mm/mmu_notifier.c`, v5.4
//! `mm/mmu_notifier.c` and `include/linux/mmu_notifier.h`.
//!
//! Registration races with walkers (P1, P2, G1 and the fuzzer's scenarios do this): it holds
//! `mmap_sem` for write and `mm_take_all_locks`, which exclude every walker that holds
//! `mmap_sem` or an rmap lock for read ([`Invalidator`]); a walker that holds neither is not
//! excluded, and meets the two plain publications of v3.x (the notifier, `hlist_add_head`) and
//! of v3.x and v5.4 (`mm->mmu_notifier_mm`).
//!
//! Simplifications (also in the README):
//! - A notifier is its own allocation and stands for the driver object embedding it (KVM's
//!   `struct kvm`, amdkfd's `struct kfd_process`, hmm's `struct hmm`): freeing one frees the
//!   other, and driver code touching its object touches the notifier's allocation.
//! - `->invalidate_range` (v5.4: called from `_end`, and by `__mmu_notifier_invalidate_range`)
//!   and the other walkers (`change_pte`, the young tests) are not modelled: no modelled
//!   driver implements them, and their walks are shaped like `invalidate_range_start`'s.

use crate::backend::{Backend, RaceCell};
use crate::exec::Task;
use crate::hlist::{
    hlist_add_head, hlist_add_head_rcu, hlist_del_init_rcu, hlist_empty, hlist_first,
    hlist_for_each_entry_rcu, hlist_unhashed, Hlist, HlistNode, HlistNodes, NodePtr, NULL,
};
use crate::memory::KObj;
use crate::mm::{MmRef, MmStruct};
use crate::rwsem::{up_read, up_write};
use crate::slab::Slab;
use crate::spinlock::spin_unlock;
use crate::srcu::{CallbackQueues, SrcuCallback, SrcuIdx, SrcuImpl, SrcuStruct, SrcuVariant};
use crate::trace::Op;
use std::sync::Arc;

mod getput;
#[cfg(test)]
mod tests;

pub use getput::Errno;

/// Where `__mmu_notifier_release` calls `srcu_read_unlock`, among the steps after its
/// `->release` loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReleaseUnlock {
    /// Right after the `->release` loop, before `spin_lock` (v3.16).
    AfterReleaseLoop,
    /// After `spin_lock`, before the unlink loop.
    AfterSpinLock,
    /// After the unlink loop, before `spin_unlock`.
    AfterUnlinkLoop,
    /// After `spin_unlock`, before `synchronize_srcu` (v3.17, commit b972216e27d1).
    AfterSpinUnlock,
    /// After `synchronize_srcu`: exit waits for its own read-side section (self-deadlock).
    AfterSynchronize,
}

impl ReleaseUnlock {
    /// Every placement, in statement order.
    pub const ALL: [ReleaseUnlock; 5] = [
        ReleaseUnlock::AfterReleaseLoop,
        ReleaseUnlock::AfterSpinLock,
        ReleaseUnlock::AfterUnlinkLoop,
        ReleaseUnlock::AfterSpinUnlock,
        ReleaseUnlock::AfterSynchronize,
    ];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            ReleaseUnlock::AfterReleaseLoop => "after-release-loop",
            ReleaseUnlock::AfterSpinLock => "after-spin-lock",
            ReleaseUnlock::AfterUnlinkLoop => "after-unlink-loop",
            ReleaseUnlock::AfterSpinUnlock => "after-spin-unlock",
            ReleaseUnlock::AfterSynchronize => "after-synchronize-srcu",
        }
    }
}

/// Where `mmu_notifier_unregister` calls `srcu_read_unlock`, among the steps after it calls
/// `->release` itself (only when it finds the notifier still hashed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnregisterUnlock {
    /// Right after `->release`, before `spin_lock` (every kernel version).
    AfterRelease,
    /// After `spin_lock`, before `hlist_del_init_rcu`.
    AfterSpinLock,
    /// After `hlist_del_init_rcu`, before `spin_unlock`.
    AfterUnlink,
    /// After `spin_unlock`, before `synchronize_srcu`.
    AfterSpinUnlock,
    /// After `synchronize_srcu`: unregister waits for its own read-side section
    /// (self-deadlock).
    AfterSynchronize,
}

impl UnregisterUnlock {
    /// Every placement, in statement order.
    pub const ALL: [UnregisterUnlock; 5] = [
        UnregisterUnlock::AfterRelease,
        UnregisterUnlock::AfterSpinLock,
        UnregisterUnlock::AfterUnlink,
        UnregisterUnlock::AfterSpinUnlock,
        UnregisterUnlock::AfterSynchronize,
    ];

    /// A short name.
    pub fn name(self) -> &'static str {
        match self {
            UnregisterUnlock::AfterRelease => "after-release",
            UnregisterUnlock::AfterSpinLock => "after-spin-lock",
            UnregisterUnlock::AfterUnlink => "after-unlink",
            UnregisterUnlock::AfterSpinUnlock => "after-spin-unlock",
            UnregisterUnlock::AfterSynchronize => "after-synchronize-srcu",
        }
    }
}

/// How registration links a notifier into the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Publish {
    /// The plain `hlist_add_head` used until commit 543bdb2d825f (2019).
    Plain,
    /// `hlist_add_head_rcu`: a release store publishes the initialised notifier.
    Rcu,
}

/// How `mmu_notifier_register` is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Registration {
    /// v3.16/v3.17 `do_mmu_notifier_register`: `kmalloc`, `down_write(mmap_sem)`,
    /// `mm_take_all_locks`, then, if the mm has no `mmu_notifier_mm` yet, its initialisation
    /// and publication, `mmgrab`, the link, `mm_drop_all_locks`, `up_write`.
    DoRegister,
    /// v5.4 `__mmu_notifier_register`, under the caller's `down_write(mmap_sem)`:
    /// `mn->mm = mm`, `mn->users = 1`, the `mmu_notifier_mm` allocated and initialised if
    /// needed, `mm_take_all_locks`, `mmgrab`, publication, the link, `mm_drop_all_locks`.
    SetsUsers,
}

/// What `__mmu_notifier_invalidate_range_start` does when a notifier's start fails
/// (`-EAGAIN` in a non-blockable range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FailedStart {
    /// v5.4: it calls the remaining notifiers' starts and returns the error; the caller (the
    /// OOM reaper) then skips `invalidate_range_end`, so a notifier whose start succeeded
    /// never gets its end.
    ReturnError,
    /// Commit c2655835fd8c ("mm/mmu_notifiers: ensure range_end() is paired with
    /// range_start()", v5.12): on an error it also calls `invalidate_range_end` of every
    /// notifier (those that can fail a start must not implement an end) before returning it.
    EndAll,
}

/// What `mmu_notifier_synchronize()` waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Synchronize {
    /// `srcu_barrier()` (v3.17, commit b972216e27d1): every callback queued before it has run
    /// (classic SRCU's `srcu_barrier` is `synchronize_srcu`, which waits for them through its
    /// one FIFO pipeline, and for a grace period).
    SrcuBarrier,
    /// `synchronize_srcu()` (v5.4, commit 2c7933f53f6b): a grace period. On classic SRCU's one
    /// FIFO pipeline this still implies that earlier callbacks have run; on Tree SRCU's
    /// per-CPU lists it does not.
    SynchronizeSrcu,
}

/// The largest `users` count of a notifier from `mmu_notifier_get` in v5.4's model. The kernel
/// allows `UINT_MAX`; a small maximum makes the `-EOVERFLOW` path reachable.
pub const USERS_MAX_V5_4: usize = 2;

/// The knobs that make the one model behave like a given kernel version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelConfig {
    /// Where `__mmu_notifier_release` drops its SRCU read lock.
    pub release_unlock: ReleaseUnlock,
    /// Where `mmu_notifier_unregister` drops its SRCU read lock (the kernel: right after
    /// `->release`; the other placements are for the ordering explorer).
    pub unregister_unlock: UnregisterUnlock,
    /// How `mmu_notifier_register` links the notifier.
    pub publish: Publish,
    /// The SRCU the kernel ran: classic (v3.16, v3.17) or Tree (v5.4).
    pub srcu: SrcuImpl,
    /// The number of per-CPU SRCU slots.
    pub srcu_cpus: usize,
    /// The SRCU algorithm (the kernel's or one of its broken variants).
    pub srcu_variant: SrcuVariant,
    /// The callback structure of the SRCU the kernel ran: classic SRCU's one FIFO pipeline or
    /// Tree SRCU's per-CPU lists. A real implementation has its own
    /// ([`SrcuImpl::callback_queues`]; [`KernelConfig::with_srcu`] keeps the two together);
    /// the specification keeps the one given here.
    pub callback_queues: CallbackQueues,
    /// What `mmu_notifier_synchronize` waits for.
    pub synchronize: Synchronize,
    /// The largest `users` count `mmu_notifier_get` takes (`UINT_MAX` in the kernel); one
    /// more get returns `-EOVERFLOW`.
    pub users_max: usize,
    /// How `mmu_notifier_register` is written (v3.x, or v5.4 with `mn->mm`/`users`).
    pub registration: Registration,
    /// What a failed `invalidate_range_start` leads to (v5.4, or the later fix).
    pub failed_start: FailedStart,
}

impl KernelConfig {
    /// v3.16: `srcu_read_unlock` before the unlink loop; plain `hlist_add_head`.
    pub fn v3_16() -> Self {
        KernelConfig {
            release_unlock: ReleaseUnlock::AfterReleaseLoop,
            unregister_unlock: UnregisterUnlock::AfterRelease,
            publish: Publish::Plain,
            srcu: SrcuImpl::Classic,
            srcu_cpus: 1,
            srcu_variant: SrcuVariant::Kernel,
            callback_queues: CallbackQueues::Fifo,
            synchronize: Synchronize::SrcuBarrier,
            users_max: USERS_MAX_V5_4,
            registration: Registration::DoRegister,
            failed_start: FailedStart::ReturnError,
        }
    }

    /// v3.17: `srcu_read_unlock` after the unlink loop (commit b972216e27d1).
    pub fn v3_17() -> Self {
        KernelConfig {
            release_unlock: ReleaseUnlock::AfterSpinUnlock,
            ..Self::v3_16()
        }
    }

    /// v5.4: `mmu_notifier_get`/`mmu_notifier_put` (commit 2c7933f53f6b; `users` at most
    /// [`USERS_MAX_V5_4`] in the model); registration sets `mn->mm` and `users = 1` and
    /// publishes with `hlist_add_head_rcu` (commit 543bdb2d825f); `mmu_notifier_synchronize`
    /// is `synchronize_srcu`; Tree SRCU (`kernel/rcu/srcutree.c`).
    pub fn v5_4() -> Self {
        KernelConfig {
            publish: Publish::Rcu,
            registration: Registration::SetsUsers,
            srcu: SrcuImpl::Tree,
            callback_queues: CallbackQueues::PerCpu,
            synchronize: Synchronize::SynchronizeSrcu,
            ..Self::v3_17()
        }
    }

    /// `init_srcu_struct` of the SRCU this configuration runs: its implementation, CPU slots
    /// and variant (the specification: its callback structure).
    ///
    /// # Panics
    /// If the variant does not apply to the implementation, or a real implementation is
    /// given another callback structure than its own.
    pub fn init_srcu_struct<B: Backend>(&self) -> SrcuStruct<B> {
        match self.srcu {
            SrcuImpl::Spec => {
                assert!(
                    self.srcu_variant.applies_to(SrcuImpl::Spec),
                    "the SRCU specification has no broken variants"
                );
                SrcuStruct::spec(self.srcu_cpus, self.callback_queues)
            }
            imp => {
                assert_eq!(
                    imp.callback_queues(),
                    Some(self.callback_queues),
                    "{imp} SRCU has its own callback structure"
                );
                SrcuStruct::new(imp, self.srcu_cpus, self.srcu_variant)
            }
        }
    }

    /// This configuration on SRCU `imp`: a real implementation brings its own callback
    /// structure; the specification keeps the one of the SRCU it replaces.
    pub fn with_srcu(self, imp: SrcuImpl) -> Self {
        KernelConfig {
            srcu: imp,
            callback_queues: imp.callback_queues().unwrap_or(self.callback_queues),
            ..self
        }
    }
}

/// An index into the kernel's table of driver ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpsId(pub usize);

/// A handle to a notifier (`struct mmu_notifier *`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MnRef(pub(crate) NodePtr);

/// `struct mmu_notifier_range` (v5.4; v3.x passes `mm, start, end`): the address space and
/// whether the callbacks may sleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MmuNotifierRange {
    /// `range->mm`.
    pub mm: MmRef,
    /// `mmu_notifier_range_blockable(range)`: false for the OOM reaper's
    /// `mmu_notifier_invalidate_range_start_nonblock`. Always true on v3.x.
    pub blockable: bool,
}

/// The lock a caller of the invalidate walkers holds around its range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WalkerLock {
    /// An rmap lock of the range's vma, for read (`try_to_unmap` under `anon_vma_lock_read`
    /// or `i_mmap_lock_read`): registration's `mm_take_all_locks` excludes it.
    Rmap,
    /// `mmap_sem` for read (the OOM reaper's `down_read_trylock`, `madvise`, `munmap`...):
    /// registration's `down_write(mmap_sem)` excludes it.
    MmapSem,
    /// Neither: a walker that registration does not exclude. Commit 543bdb2d825f's changelog
    /// reasons about one ("Once mmu_notifier_register() releases the mm locks, another thread
    /// can invalidate a range"); which kernel path walks without either lock is not
    /// established here (see the README).
    Unlocked,
}

/// A caller of the invalidate walkers: the lock it holds, whether its range may sleep, and
/// whether the model runs its `invalidate_range_end` walk too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Invalidator {
    /// The lock it holds around the range.
    pub lock: WalkerLock,
    /// Whether the range may sleep (false: the OOM reaper's non-blocking range, v5.4).
    pub blockable: bool,
    /// Whether the model runs the `invalidate_range_end` walk after the start walk. The
    /// kernel always does (except after a failed non-blockable start); a start-only walker
    /// is a cheaper stand-in that cannot see what happens between the two walks (see the
    /// scenarios that use one).
    pub range_end: bool,
}

impl Invalidator {
    /// An rmap walker (`try_to_unmap`): rmap lock for read, blockable, start then end.
    pub const RMAP: Invalidator = Invalidator {
        lock: WalkerLock::Rmap,
        blockable: true,
        range_end: true,
    };
    /// The OOM reaper (v5.4 `__oom_reap_task_mm`): `mmap_sem` for read, a non-blockable
    /// range, end only after a successful start.
    pub const OOM_REAPER: Invalidator = Invalidator {
        lock: WalkerLock::MmapSem,
        blockable: false,
        range_end: true,
    };

    /// The kernel function the model names as this walker's caller.
    pub fn caller(self) -> &'static str {
        match (self.lock, self.blockable) {
            (_, false) => "__oom_reap_task_mm",
            (WalkerLock::Rmap, true) => "try_to_unmap_one",
            (WalkerLock::MmapSem, true) => "zap_page_range",
            (WalkerLock::Unlocked, true) => "unlocked invalidate",
        }
    }
}

/// `struct mmu_notifier_ops`: the driver's callbacks. These are user code: write the driver
/// behaviour a scenario needs (the default methods do nothing).
pub trait MmuNotifierOps<B: Backend>: Send + Sync + 'static {
    /// `->release(mn, mm)`: the address space is going away (called by exit or unregister).
    fn release(&self, _k: &Arc<Kernel<B>>, _cur: &Task, _mn: MnRef, _mm: MmRef) {}
    /// `->invalidate_range_start(mn, range)`: `Err(Errno::Again)` (`-EAGAIN`) is allowed
    /// only in a non-blockable range (v5.4; in v3.x it returns nothing).
    fn invalidate_range_start(
        &self,
        _k: &Arc<Kernel<B>>,
        _cur: &Task,
        _mn: MnRef,
        _range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        Ok(())
    }
    /// `->invalidate_range_end(mn, range)`.
    fn invalidate_range_end(
        &self,
        _k: &Arc<Kernel<B>>,
        _cur: &Task,
        _mn: MnRef,
        _range: &MmuNotifierRange,
    ) {
    }
    /// `->alloc_notifier(mm)` (v5.4, called by `mmu_notifier_get`): allocates the driver
    /// object embedding a notifier for `mm`. The default allocates a bare notifier named after
    /// the order of allocation ("notifier A", "notifier B", ...). The kernel sets `mn->ops`
    /// after this returns; the model's [`Kernel::alloc_notifier`] sets it at allocation, the
    /// same step before registration publishes the notifier.
    fn alloc_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, ops: OpsId, _mm: MmRef) -> MnRef {
        let name = k.next_notifier_name();
        k.alloc_notifier(cur, &name, ops)
    }
    /// `->free_notifier(mn)` (v5.4, called by `mmu_notifier_free_rcu` after a grace period):
    /// frees the driver object. The default `kfree`s the notifier.
    fn free_notifier(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef) {
        k.kfree_notifier(cur, mn);
    }
}

/// `struct mmu_notifier`.
pub struct MmuNotifier<B: Backend> {
    obj: KObj<B>,
    hlist: HlistNode<B>,
    /// `mn->ops`: written before registration, read by walkers. A plain field: loom reports a
    /// walker's read that is not ordered after the write (the pre-2019 publication race).
    ops: B::Cell<Option<OpsId>>,
    /// `mn->mm` (v5.4): set by registration, read by `mmu_notifier_put` and the deferred free.
    mm: B::Cell<Option<MmRef>>,
    /// `mn->users` (v5.4): the gets not yet put, under `mm->mmu_notifier_mm->lock`.
    users: B::Cell<usize>,
    /// The driver the notifier was allocated for: harness bookkeeping for the trace (the
    /// kernel's `mn->ops` is the race-checked cell above).
    driver: OpsId,
}

impl<B: Backend> MmuNotifier<B> {
    /// The allocation (the notifier and the driver object embedding it).
    pub fn obj(&self) -> &KObj<B> {
        &self.obj
    }
}

struct Notifiers<B: Backend>(Slab<MmuNotifier<B>>);

impl<B: Backend> HlistNodes<B> for Notifiers<B> {
    fn node(&self, ptr: NodePtr) -> (&HlistNode<B>, &KObj<B>) {
        let n = self.0.get(ptr);
        (&n.hlist, &n.obj)
    }
}

/// The kernel model's global state: the one `srcu_struct` of `mm/mmu_notifier.c`, the
/// `mm_struct`s, the notifiers and the drivers' ops. Share it between the model's threads in
/// an `Arc`.
pub struct Kernel<B: Backend> {
    /// `static struct srcu_struct srcu` of `mm/mmu_notifier.c`.
    pub srcu: SrcuStruct<B>,
    config: KernelConfig,
    mms: Slab<MmStruct<B>>,
    notifiers: Notifiers<B>,
    ops: Vec<Arc<dyn MmuNotifierOps<B>>>,
}

impl<B: Backend> std::fmt::Debug for Kernel<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// How many objects of each kind one execution may allocate.
const MAX_MMS: usize = 4;
const MAX_NOTIFIERS: usize = 8;

impl<B: Backend> Kernel<B> {
    /// A kernel with the given knobs and drivers (`OpsId(i)` is `ops[i]`).
    pub fn new(config: KernelConfig, ops: Vec<Arc<dyn MmuNotifierOps<B>>>) -> Arc<Self> {
        Arc::new(Kernel {
            srcu: config.init_srcu_struct(),
            config,
            mms: Slab::with_capacity(MAX_MMS),
            notifiers: Notifiers(Slab::with_capacity(MAX_NOTIFIERS)),
            ops,
        })
    }

    /// The knobs.
    pub fn config(&self) -> &KernelConfig {
        &self.config
    }

    /// The `mm_struct` behind a handle.
    pub fn mm(&self, mm: MmRef) -> &MmStruct<B> {
        self.mms.get(mm.0)
    }

    /// The notifier behind a handle.
    pub fn notifier(&self, mn: MnRef) -> &MmuNotifier<B> {
        self.notifiers.0.get(mn.0)
    }

    fn list<'a>(&'a self, mm: &'a MmStruct<B>) -> Hlist<'a, B, Notifiers<B>> {
        Hlist {
            head: &mm.list,
            head_obj: &mm.obj,
            nodes: &self.notifiers,
        }
    }

    // ---- mm_struct life cycle -------------------------------------------------------------

    /// `mm_alloc`: a new address space with one user.
    pub fn mm_alloc(&self, cur: &Task, name: &str) -> MmRef {
        let _f = cur.enter("mm_alloc");
        MmRef(self.mms.insert(MmStruct::new(cur, name)))
    }

    /// `mmget`: one more user of the address space.
    pub fn mmget(&self, cur: &Task, mm: MmRef) {
        let _f = cur.enter("mmget");
        self.mm(mm).mmget(cur);
    }

    /// `mmgrab`: pins the `mm_struct`.
    pub fn mmgrab(&self, cur: &Task, mm: MmRef) {
        let _f = cur.enter("mmgrab");
        self.mm(mm).mmgrab(cur);
    }

    /// `mmdrop`: drops a pin; the last one frees the `mm_struct` and its `mmu_notifier_mm`.
    pub fn mmdrop(&self, cur: &Task, mm: MmRef) {
        let _f = cur.enter("mmdrop");
        let m = self.mm(mm);
        if m.mm_count_dec_and_test(cur) {
            // __mmdrop -> mmu_notifier_mm_destroy: if (mm_has_notifiers(mm))
            // __mmu_notifier_mm_destroy(mm) (v5.4 l.411-416): BUG_ON(!hlist_empty(...)), then
            // kfree(mm->mmu_notifier_mm), freed here with the mm (see crate::mm).
            if m.mm_has_notifiers(cur) && !hlist_empty(cur, &self.list(m)) {
                cur.bug(
                    Some(m.obj.id()),
                    "mm_struct freed with a notifier still registered",
                );
            }
            m.obj.kfree(cur);
        }
    }

    /// `mmput`: drops a user; the last one runs `exit_mmap` (and so `__mmu_notifier_release`),
    /// then drops the users' pin.
    pub fn mmput(self: &Arc<Self>, cur: &Task, mm: MmRef) {
        let _f = cur.enter("mmput");
        if self.mm(mm).mm_users_dec_and_test(cur) {
            // exit_mmap -> mmu_notifier_release(mm): if (mm_has_notifiers(mm))
            // __mmu_notifier_release(mm). No registration can race with it: registration
            // needs mm_users > 0, and this was the last user.
            if self.mm(mm).mm_has_notifiers(cur) {
                self.__mmu_notifier_release(cur, mm);
            }
            self.mmdrop(cur, mm);
        }
    }

    // ---- notifiers --------------------------------------------------------------------------

    /// The driver allocates its object embedding a notifier and sets `mn->ops`.
    pub fn alloc_notifier(&self, cur: &Task, name: &str, ops: OpsId) -> MnRef {
        assert!(ops.0 < self.ops.len(), "unknown ops {ops:?}");
        let n: MmuNotifier<B> = MmuNotifier {
            obj: KObj::kmalloc(cur, name),
            hlist: HlistNode::default(),
            ops: RaceCell::new(None),
            mm: RaceCell::new(None),
            users: RaceCell::new(0),
            driver: ops,
        };
        n.obj
            .access(cur, "ops", true, || n.ops.with_mut(|o| *o = Some(ops)));
        MnRef(self.notifiers.0.insert(n))
    }

    /// The driver frees its object (and the notifier embedded in it): `kfree`.
    pub fn kfree_notifier(&self, cur: &Task, mn: MnRef) {
        self.notifier(mn).obj.kfree(cur);
    }

    /// Calls `mn->ops->method`: reads `mn->ops` (an access to the notifier), then runs the
    /// driver's code, recorded as one method invocation; returns what the driver returned.
    fn call_method<R>(
        self: &Arc<Self>,
        cur: &Task,
        mn: MnRef,
        method: &'static str,
        f: impl FnOnce(&dyn MmuNotifierOps<B>) -> R,
    ) -> (R, usize) {
        let n = self.notifier(mn);
        let ops = n.obj.access(cur, "ops", false, || n.ops.with(|o| *o));
        // An unset ops pointer can only be read through a race that loom reports first.
        let Some(ops) = ops else {
            cur.bug(Some(n.obj.id()), "mn->ops read before it was set")
        };
        let start = cur.record(Op::MethodStart {
            notifier: n.obj.id(),
            method,
            ops: ops.0,
        });
        let r = {
            // Driver code: its events name the method as their site.
            let _f = cur.enter_helper(method);
            f(self.ops[ops.0].as_ref())
        };
        cur.record(Op::MethodDone { start });
        (r, start)
    }

    // ---- registration -------------------------------------------------------------------

    /// `mmu_notifier_register(mn, mm)`: registers `mn` (whose `ops` the driver has set) on
    /// `mm`. The caller holds a user of `mm` (`mm_users > 0`) and neither `mmap_sem` nor any
    /// other VM lock.
    ///
    /// v3.x: `do_mmu_notifier_register(mn, mm, 1)` (v3.16 l.183-238). v5.4
    /// (l.333-341): `down_write(&mm->mmap_sem)`, `__mmu_notifier_register`, `up_write`.
    pub fn mmu_notifier_register(&self, cur: &Task, mn: MnRef, mm: MmRef) {
        let _f = cur.enter("mmu_notifier_register");
        match self.config.registration {
            Registration::DoRegister => self.do_mmu_notifier_register(cur, mn, mm, true, None),
            Registration::SetsUsers => {
                let m = self.mm(mm);
                let sem = m.mmap_sem.down_write(cur, &m.obj);
                self.register_locked(cur, mn, mm, None);
                up_write(cur, sem);
            }
        }
    }

    /// `__mmu_notifier_register(mn, mm)`: the same, with `mm->mmap_sem` already held for
    /// write by the caller.
    pub fn __mmu_notifier_register(&self, cur: &Task, mn: MnRef, mm: MmRef) {
        let _f = cur.enter("__mmu_notifier_register");
        match self.config.registration {
            Registration::DoRegister => self.do_mmu_notifier_register(cur, mn, mm, false, None),
            Registration::SetsUsers => self.register_locked(cur, mn, mm, None),
        }
    }

    /// The registration with `mmap_sem` held for write: v5.4's `__mmu_notifier_register`, or
    /// v3.x's `do_mmu_notifier_register(mn, mm, 0)`. `via_get` names the ops when
    /// `mmu_notifier_get_locked` registers (its event says so, for the get/put oracle).
    pub(super) fn register_locked(&self, cur: &Task, mn: MnRef, mm: MmRef, via_get: Option<OpsId>) {
        match self.config.registration {
            Registration::DoRegister => self.do_mmu_notifier_register(cur, mn, mm, false, via_get),
            Registration::SetsUsers => self.register_v5_4(cur, mn, mm, via_get),
        }
    }

    /// v3.16/v3.17 `do_mmu_notifier_register` (v3.16 l.183-238; line numbers counted from
    /// the review's anchors l.216 and l.227). The `kmalloc` of a `mmu_notifier_mm` (l.199),
    /// freed at the end when the mm already had one (l.234), touches nothing shared and is not
    /// modelled apart from the initialisation of the one that gets published.
    fn do_mmu_notifier_register(
        &self,
        cur: &Task,
        mn: MnRef,
        mm: MmRef,
        take_mmap_sem: bool,
        via_get: Option<OpsId>,
    ) {
        let m = self.mm(mm);
        // BUG_ON(atomic_read(&mm->mm_users) <= 0) (l.190)
        m.bug_on_no_users(cur);
        // if (take_mmap_sem) down_write(&mm->mmap_sem) (l.203-204)
        let sem = take_mmap_sem.then(|| m.mmap_sem.down_write(cur, &m.obj));
        // mm_take_all_locks(mm) (l.205): from here no walker holding an rmap lock runs.
        let locks = m.mm_take_all_locks(cur);
        // if (!mm_has_notifiers(mm)) { INIT_HLIST_HEAD; spin_lock_init;
        // mm->mmu_notifier_mm = mmu_notifier_mm; } (l.209-215): a plain store. Under the
        // locks, but a walker that holds none of them can see the pointer before the
        // initialisation it publishes.
        if !m.mm_has_notifiers(cur) {
            m.mmu_notifier_mm_alloc(cur);
            m.publish_mmu_notifier_mm(cur);
        }
        // atomic_inc(&mm->mm_count) (l.216): registration holds a pin until unregistration
        // drops it.
        m.mmgrab(cur);
        self.link(cur, mn, mm, via_get, None);
        // mm_drop_all_locks(mm) (l.230)
        m.mm_drop_all_locks(cur, locks);
        // if (take_mmap_sem) up_write(&mm->mmap_sem) (l.232-233)
        if let Some(sem) = sem {
            up_write(cur, sem);
        }
        // BUG_ON(atomic_read(&mm->mm_users) <= 0) (l.236)
        m.bug_on_no_users(cur);
    }

    /// v5.4 `__mmu_notifier_register` (l.249-311), `mmap_sem` held for write.
    fn register_v5_4(&self, cur: &Task, mn: MnRef, mm: MmRef, via_get: Option<OpsId>) {
        let m = self.mm(mm);
        let n = self.notifier(mn);
        // BUG_ON(atomic_read(&mm->mm_users) <= 0) (l.255)
        m.bug_on_no_users(cur);
        // mn->mm = mm; mn->users = 1; (l.264-265), for every registration: a notifier from
        // mmu_notifier_register may be ended with mmu_notifier_put (doc l.327).
        n.obj
            .access(cur, "mm", true, || n.mm.with_mut(|p| *p = Some(mm)));
        n.obj
            .access(cur, "users", true, || n.users.with_mut(|u| *u = 1));
        // if (!mm->mmu_notifier_mm) { kmalloc; INIT_HLIST_HEAD; spin_lock_init; }
        // (l.267-280): "mm->mmu_notifier_mm can't change while we hold the write side of
        // the mmap_sem". kmalloc cannot be called under mm_take_all_locks, so the struct is
        // initialised before the locks are taken.
        let allocated = !m.mm_has_notifiers(cur);
        if allocated {
            m.mmu_notifier_mm_alloc(cur);
        }
        // mm_take_all_locks(mm) (l.282)
        let locks = m.mm_take_all_locks(cur);
        // mmgrab(mm) (l.287): pairs with the mmdrop in mmu_notifier_unregister_* or
        // mmu_notifier_free_rcu.
        m.mmgrab(cur);
        // if (mmu_notifier_mm) mm->mmu_notifier_mm = mmu_notifier_mm; (l.297-298): a plain
        // store (a later kernel, before the 2020 rename, made it smp_store_release "for
        // unlocked readers").
        if allocated {
            m.publish_mmu_notifier_mm(cur);
        }
        self.link(cur, mn, mm, via_get, Some(1));
        // mm_drop_all_locks(mm) (l.304)
        m.mm_drop_all_locks(cur, locks);
        // BUG_ON(atomic_read(&mm->mm_users) <= 0) (l.305)
        m.bug_on_no_users(cur);
    }

    /// `spin_lock(&mm->mmu_notifier_mm->lock); hlist_add_head[_rcu](&mn->hlist, ...);
    /// spin_unlock(...)` (v3.16 l.226-228, v5.4 l.300-302), recording the registration.
    fn link(&self, cur: &Task, mn: MnRef, mm: MmRef, via_get: Option<OpsId>, users: Option<usize>) {
        let m = self.mm(mm);
        let n = self.notifier(mn);
        let lock = m.lock.spin_lock(cur, &m.obj);
        match self.config.publish {
            Publish::Plain => hlist_add_head(cur, &self.list(m), mn.0),
            Publish::Rcu => hlist_add_head_rcu(cur, &self.list(m), mn.0),
        }
        let op = match via_get {
            Some(ops) => Op::NotifierGet {
                notifier: n.obj.id(),
                mm: m.obj.id(),
                ops: ops.0,
                users: 1,
                registered: true,
            },
            None => Op::NotifierRegistered {
                notifier: n.obj.id(),
                mm: m.obj.id(),
                ops: n.driver.0,
                users,
            },
        };
        cur.record(op);
        spin_unlock(cur, lock);
    }

    // ---- teardown ---------------------------------------------------------------------------

    /// Records that `hlist_del_init_rcu` is unlinking `mn`: from its next store on, no new
    /// walk reaches `mn`.
    pub(super) fn unlinked(&self, cur: &Task, mn: MnRef) {
        cur.record(Op::NotifierUnlinked {
            notifier: self.notifier(mn).obj.id(),
        });
    }

    /// `__mmu_notifier_release(mm)`, called by `exit_mmap` once `mm_users` is 0. Exit holds an
    /// `mm_count` pin of its own, so the `mmu_notifier_mm` cannot go away under it.
    pub fn __mmu_notifier_release(self: &Arc<Self>, cur: &Task, mm: MmRef) {
        let _f = cur.enter("__mmu_notifier_release");
        let m = self.mm(mm);
        let placement = self.config.release_unlock;
        let unlock_if = |at: ReleaseUnlock, id: &mut Option<SrcuIdx>| {
            if placement == at {
                if let Some(id) = id.take() {
                    self.srcu.srcu_read_unlock(cur, id);
                }
            }
        };
        // SRCU here will block mmu_notifier_unregister until ->release returns.
        let mut id = Some(self.srcu.srcu_read_lock(cur));
        hlist_for_each_entry_rcu(cur, &self.list(m), |pos| {
            // Every ->release runs while its notifier is still linked.
            self.call_method(cur, MnRef(pos), "release", |ops| {
                ops.release(self, cur, MnRef(pos), mm);
            });
            true
        });
        // v3.16 dropped the read lock here: a grace period may then end, and a callback
        // queued by ->release free a notifier the unlink loop below still touches (Hazard A).
        unlock_if(ReleaseUnlock::AfterReleaseLoop, &mut id);

        let lock = m.lock.spin_lock(cur, &m.obj);
        unlock_if(ReleaseUnlock::AfterSpinLock, &mut id);
        // while (!hlist_empty(list)) { mn = list->first; hlist_del_init_rcu(mn) }: under the
        // lock, hlist_empty's load and the ->first load see the same value; one load stands
        // for both.
        loop {
            let first = hlist_first(cur, &self.list(m));
            if first == NULL {
                break;
            }
            // We arrived before mmu_notifier_unregister, which will only wait for ->release
            // to finish.
            hlist_del_init_rcu(cur, &self.list(m), first, || {
                self.unlinked(cur, MnRef(first))
            });
        }
        unlock_if(ReleaseUnlock::AfterUnlinkLoop, &mut id);
        spin_unlock(cur, lock);
        // v3.17 (b972216e27d1): the read-side section covers the unlink loop, so no grace
        // period that began after srcu_read_lock can end, and no callback can free a notifier,
        // while this thread still touches one.
        unlock_if(ReleaseUnlock::AfterSpinUnlock, &mut id);

        // synchronize_srcu here prevents __mmu_notifier_release from returning to exit_mmap
        // (which frees the pages) until a ->release started by mmu_notifier_unregister
        // returns. Holding our own read lock here deadlocks.
        self.srcu.synchronize_srcu(cur);
        unlock_if(ReleaseUnlock::AfterSynchronize, &mut id);
        cur.record(Op::Return {
            function: "__mmu_notifier_release",
            obj: m.obj.id(),
        });
    }

    /// `mmu_notifier_unregister(mn, mm)`: after it returns, no method of `mn` runs.
    pub fn mmu_notifier_unregister(self: &Arc<Self>, cur: &Task, mn: MnRef, mm: MmRef) {
        let _f = cur.enter("mmu_notifier_unregister");
        let m = self.mm(mm);
        // BUG_ON(atomic_read(&mm->mm_count) <= 0)
        m.bug_on_mm_count(cur);
        let placement = self.config.unregister_unlock;
        let unlock_if = |at: UnregisterUnlock, id: &mut Option<SrcuIdx>| {
            if placement == at {
                if let Some(id) = id.take() {
                    self.srcu.srcu_read_unlock(cur, id);
                }
            }
        };
        let mut id = None;
        if !hlist_unhashed(cur, &self.list(m), mn.0) {
            // SRCU here will force exit_mmap to wait for ->release to finish before freeing
            // the pages.
            id = Some(self.srcu.srcu_read_lock(cur));
            self.call_method(cur, mn, "release", |ops| ops.release(self, cur, mn, mm));
            // The kernel unlocks here: the section blocks exit_mmap's synchronize_srcu only
            // while ->release runs.
            unlock_if(UnregisterUnlock::AfterRelease, &mut id);

            let lock = m.lock.spin_lock(cur, &m.obj);
            // Unlocking here also blocks exit's grace period while we wait for the lock.
            unlock_if(UnregisterUnlock::AfterSpinLock, &mut id);
            // Not list_del_rcu: __mmu_notifier_release can delete it before we hold the lock.
            hlist_del_init_rcu(cur, &self.list(m), mn.0, || self.unlinked(cur, mn));
            // Unlocking here blocks every grace period begun since our srcu_read_lock (and the
            // callbacks behind it) until our unlink is done.
            unlock_if(UnregisterUnlock::AfterUnlink, &mut id);
            spin_unlock(cur, lock);
            // Unlocking here: the same, until the lock is released too.
            unlock_if(UnregisterUnlock::AfterSpinUnlock, &mut id);
        }
        // Wait for any running method to finish, including ->release if it was run by
        // __mmu_notifier_release instead of us.
        self.srcu.synchronize_srcu(cur);
        // Unlocking here blocks our own synchronize_srcu above: self-deadlock.
        unlock_if(UnregisterUnlock::AfterSynchronize, &mut id);
        let n = self.notifier(mn);
        cur.record(Op::Return {
            function: "mmu_notifier_unregister",
            obj: n.obj.id(),
        });
        // Drops the registration's pin.
        self.mmdrop(cur, mm);
    }

    /// `mmu_notifier_unregister_no_release(mn, mm)` (v3.17): unlinks without calling
    /// `->release` and **without waiting for readers**.
    pub fn mmu_notifier_unregister_no_release(&self, cur: &Task, mn: MnRef, mm: MmRef) {
        let _f = cur.enter("mmu_notifier_unregister_no_release");
        let m = self.mm(mm);
        let lock = m.lock.spin_lock(cur, &m.obj);
        // Not list_del_rcu: __mmu_notifier_release can delete it before we hold the lock.
        hlist_del_init_rcu(cur, &self.list(m), mn.0, || self.unlinked(cur, mn));
        spin_unlock(cur, lock);
        // BUG_ON(atomic_read(&mm->mm_count) <= 0)
        m.bug_on_mm_count(cur);
        self.mmdrop(cur, mm);
    }

    /// `mmu_notifier_call_srcu(rcu, func)` (v3.17): `call_srcu` on the notifiers' SRCU.
    pub fn mmu_notifier_call_srcu(&self, cur: &Task, func: SrcuCallback) {
        let _f = cur.enter("mmu_notifier_call_srcu");
        self.srcu.call_srcu(cur, func);
    }

    /// `mmu_notifier_synchronize()`, called before a module that queued frees unloads.
    /// v3.17: `srcu_barrier` ("Wait for any running method to finish"), which classic SRCU
    /// implements as `synchronize_srcu`: a grace period, and every callback queued before it
    /// through the one FIFO pipeline. v5.4:
    /// `synchronize_srcu`, although its comment promises that all outstanding frees from
    /// `mmu_notifier_put` have completed (see [`Synchronize`]).
    pub fn mmu_notifier_synchronize(&self, cur: &Task) {
        let _f = cur.enter("mmu_notifier_synchronize");
        let start = cur.record(Op::NotifierSynchronize);
        match self.config.synchronize {
            Synchronize::SrcuBarrier => self.srcu.srcu_barrier(cur),
            Synchronize::SynchronizeSrcu => self.srcu.synchronize_srcu(cur),
        }
        cur.record(Op::NotifierSynchronizeDone { start });
    }

    // ---- the invalidate walkers ------------------------------------------------------------

    /// A caller of the walkers over a range of `mm` (`try_to_unmap_one`, `__oom_reap_task_mm`,
    /// ...): takes the lock it holds, `mmu_notifier_range_init`,
    /// `mmu_notifier_invalidate_range_start`, then (unmapping the pages is not modelled)
    /// `mmu_notifier_invalidate_range_end`, and drops the lock. A non-blockable range whose
    /// start fails skips the end (v5.4 `mm/oom_kill.c` `__oom_reap_task_mm`:
    /// `if (mmu_notifier_invalidate_range_start_nonblock(&range)) { ...; continue; }`); a
    /// blockable start cannot fail (v5.4's `mmu_notifier_invalidate_range_start` returns
    /// nothing). Returns what the start returned.
    pub fn invalidate_range(
        self: &Arc<Self>,
        cur: &Task,
        mm: MmRef,
        walker: Invalidator,
    ) -> Result<(), Errno> {
        let m = self.mm(mm);
        let caller = walker.caller();
        let (rmap, sem) = {
            let _f = cur.enter(caller);
            match walker.lock {
                WalkerLock::Rmap => (Some(m.rmap_locks.down_read(cur, &m.obj)), None),
                WalkerLock::MmapSem => (None, Some(m.mmap_sem.down_read(cur, &m.obj))),
                WalkerLock::Unlocked => (None, None),
            }
        };
        let range = MmuNotifierRange {
            mm,
            blockable: walker.blockable,
        };
        // Only a walker that ends its ranges is judged on their pairing.
        let id = walker.range_end.then(|| {
            let _f = cur.enter(caller);
            self.mmu_notifier_range_init(cur, &range)
        });
        let started = self.mmu_notifier_invalidate_range_start(cur, &range);
        let ended = walker.range_end && (started.is_ok() || walker.blockable);
        if ended {
            self.mmu_notifier_invalidate_range_end(cur, &range);
        }
        let _f = cur.enter(caller);
        if let Some(range) = id {
            cur.record(Op::RangeDone { range, ended });
        }
        if let Some(g) = rmap {
            up_read(cur, g);
        }
        if let Some(g) = sem {
            up_read(cur, g);
        }
        started
    }

    /// `mmu_notifier_range_init(&range, ...)`: records the range (its event names it).
    pub fn mmu_notifier_range_init(&self, cur: &Task, range: &MmuNotifierRange) -> usize {
        cur.record(Op::RangeInit {
            mm: self.mm(range.mm).obj.id(),
            blockable: range.blockable,
        })
    }

    /// `mmu_notifier_invalidate_range_start(range)` and `_nonblock` (v5.4
    /// `include/linux/mmu_notifier.h`; v3.16 the same without a range): `if
    /// (mm_has_notifiers(range->mm))` the walk. `mm_has_notifiers` is a plain load made
    /// without a lock.
    pub fn mmu_notifier_invalidate_range_start(
        self: &Arc<Self>,
        cur: &Task,
        range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        let _f = cur.enter("mmu_notifier_invalidate_range_start");
        if !self.mm(range.mm).mm_has_notifiers(cur) {
            return Ok(());
        }
        self.__mmu_notifier_invalidate_range_start(cur, range)
    }

    /// `mmu_notifier_invalidate_range_end(range)`: `if (mm_has_notifiers(range->mm))` the walk
    /// (a load of its own: for a walker that holds an rmap lock or `mmap_sem` it cannot differ
    /// from the start's, registration being excluded).
    pub fn mmu_notifier_invalidate_range_end(
        self: &Arc<Self>,
        cur: &Task,
        range: &MmuNotifierRange,
    ) {
        let _f = cur.enter("mmu_notifier_invalidate_range_end");
        if !self.mm(range.mm).mm_has_notifiers(cur) {
            return;
        }
        self.__mmu_notifier_invalidate_range_end(cur, range);
    }

    /// `__mmu_notifier_invalidate_range_start(range)` (v5.4 l.162-194; v3.16 l.153-167):
    /// `srcu_read_lock`; every notifier's `->invalidate_range_start`, each error remembered
    /// and the walk continued; `srcu_read_unlock`; the last error.
    pub fn __mmu_notifier_invalidate_range_start(
        self: &Arc<Self>,
        cur: &Task,
        range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        let _f = cur.enter("__mmu_notifier_invalidate_range_start");
        let m = self.mm(range.mm);
        let id = self.srcu.srcu_read_lock(cur);
        // hlist_for_each_entry_rcu(mn, &range->mm->mmu_notifier_mm->list, hlist): the
        // pointer is the one mm_has_notifiers loaded (it never changes once set), and the list
        // head is read for the first time here.
        m.read_mmu_notifier_mm(cur);
        let mut ret = Ok(());
        hlist_for_each_entry_rcu(cur, &self.list(m), |pos| {
            let (r, start) = self.call_method(cur, MnRef(pos), "invalidate_range_start", |ops| {
                ops.invalidate_range_start(self, cur, MnRef(pos), range)
            });
            if let Err(e) = r {
                cur.record(Op::MethodError {
                    start,
                    errno: e.name(),
                });
                // WARN_ON(mmu_notifier_range_blockable(range) || _ret != -EAGAIN) (l.182-183;
                // the snapshot read has `ret`, the bug fixed in v5.4-rc7 by "mm/mmu_notifiers:
                // use the right return code for WARN_ON").
                if range.blockable {
                    let _w = cur.enter_helper("WARN_ON");
                    cur.record(Op::Warn {
                        obj: Some(self.notifier(MnRef(pos)).obj.id()),
                        text: format!(
                            "->invalidate_range_start failed with {} in a blockable range",
                            e.name()
                        ),
                    });
                }
                ret = Err(e);
            }
            true
        });
        // c2655835fd8c (v5.12): on an error, call every notifier's end before returning it.
        if ret.is_err() && self.config.failed_start == FailedStart::EndAll {
            hlist_for_each_entry_rcu(cur, &self.list(m), |pos| {
                self.call_method(cur, MnRef(pos), "invalidate_range_end", |ops| {
                    ops.invalidate_range_end(self, cur, MnRef(pos), range)
                });
                true
            });
        }
        self.srcu.srcu_read_unlock(cur, id);
        ret
    }

    /// `__mmu_notifier_invalidate_range_end(range, only_end)` (v5.4 l.196-229; v3.16
    /// l.169-181): `srcu_read_lock`; every notifier's `->invalidate_range_end` (and, in v5.4,
    /// `->invalidate_range` first, which no modelled driver has); `srcu_read_unlock`. A new
    /// walk of the list: a notifier unlinked since the start walk gets no end, one linked since
    /// gets an end without a start.
    pub fn __mmu_notifier_invalidate_range_end(
        self: &Arc<Self>,
        cur: &Task,
        range: &MmuNotifierRange,
    ) {
        let _f = cur.enter("__mmu_notifier_invalidate_range_end");
        let m = self.mm(range.mm);
        let id = self.srcu.srcu_read_lock(cur);
        m.read_mmu_notifier_mm(cur);
        hlist_for_each_entry_rcu(cur, &self.list(m), |pos| {
            self.call_method(cur, MnRef(pos), "invalidate_range_end", |ops| {
                ops.invalidate_range_end(self, cur, MnRef(pos), range)
            });
            true
        });
        self.srcu.srcu_read_unlock(cur, id);
    }
}
