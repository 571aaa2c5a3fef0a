//! `mm/mmu_notifier.c`: the notifier list of an `mm_struct`, under a spinlock, walked under
//! one global SRCU.
//!
//! Every function reads like its kernel counterpart, in the kernel's statement order; each
//! shared-memory access is one step (see [`crate::hlist`] and [`crate::mm`]); kernel-version
//! differences are knobs in [`KernelConfig`].
//!
//! Simplifications (also in the README):
//! - `mmu_notifier_register` takes the notifier lock only; the kernel also takes `mmap_sem`
//!   and `mm_take_all_locks`, which no scenario here races with.
//! - Callers of the invalidate walkers check `mm_has_notifiers(mm)` first; the model always
//!   walks.
//! - A notifier is its own allocation and stands for the driver object embedding it (KVM's
//!   `struct kvm`, amdkfd's `struct kfd_process`, hmm's `struct hmm`): freeing one frees the
//!   other, and driver code touching its object touches the notifier's allocation.

use crate::backend::{Backend, RaceCell};
use crate::exec::Task;
use crate::hlist::{
    hlist_add_head, hlist_add_head_rcu, hlist_del_init_rcu, hlist_empty, hlist_first,
    hlist_for_each_entry_rcu, hlist_unhashed, Hlist, HlistNode, HlistNodes, NodePtr, NULL,
};
use crate::memory::KObj;
use crate::mm::{MmRef, MmStruct};
use crate::slab::Slab;
use crate::spinlock::spin_unlock;
use crate::srcu::{SrcuCallback, SrcuIdx, SrcuImpl, SrcuStruct, SrcuVariant};
use crate::trace::Op;
use std::sync::Arc;

mod getput;

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
    /// What `mmu_notifier_synchronize` waits for.
    pub synchronize: Synchronize,
    /// The largest `users` count `mmu_notifier_get` takes (`UINT_MAX` in the kernel); one
    /// more get returns `-EOVERFLOW`.
    pub users_max: usize,
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
            synchronize: Synchronize::SrcuBarrier,
            users_max: USERS_MAX_V5_4,
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
    /// [`USERS_MAX_V5_4`] in the model); registration publishes with `hlist_add_head_rcu`
    /// (commit 543bdb2d825f); `mmu_notifier_synchronize` is `synchronize_srcu`; Tree SRCU
    /// (`kernel/rcu/srcutree.c`).
    pub fn v5_4() -> Self {
        KernelConfig {
            publish: Publish::Rcu,
            srcu: SrcuImpl::Tree,
            synchronize: Synchronize::SynchronizeSrcu,
            ..Self::v3_17()
        }
    }
}

/// An index into the kernel's table of driver ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OpsId(pub usize);

/// A handle to a notifier (`struct mmu_notifier *`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MnRef(pub(crate) NodePtr);

/// `struct mmu_notifier_ops`: the driver's callbacks. These are user code: write the driver
/// behaviour a scenario needs (the default methods do nothing).
pub trait MmuNotifierOps<B: Backend>: Send + Sync + 'static {
    /// `->release(mn, mm)`: the address space is going away (called by exit or unregister).
    fn release(&self, _k: &Arc<Kernel<B>>, _cur: &Task, _mn: MnRef, _mm: MmRef) {}
    /// `->invalidate_range_start(mn, mm, start, end)`.
    fn invalidate_range_start(&self, _k: &Arc<Kernel<B>>, _cur: &Task, _mn: MnRef, _mm: MmRef) {}
    /// `->invalidate_range_end(mn, mm, start, end)`.
    fn invalidate_range_end(&self, _k: &Arc<Kernel<B>>, _cur: &Task, _mn: MnRef, _mm: MmRef) {}
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
            srcu: SrcuStruct::new(config.srcu, config.srcu_cpus, config.srcu_variant),
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
            // __mmdrop -> mmu_notifier_mm_destroy: BUG_ON(!hlist_empty(&mm->mmu_notifier_mm->list))
            if !hlist_empty(cur, &self.list(m)) {
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
            // exit_mmap -> mmu_notifier_release
            self.__mmu_notifier_release(cur, mm);
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
    /// driver's code, recorded as one method invocation.
    fn call_method(
        self: &Arc<Self>,
        cur: &Task,
        mn: MnRef,
        method: &'static str,
        f: impl FnOnce(&dyn MmuNotifierOps<B>),
    ) {
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
        {
            // Driver code: its events name the method as their site.
            let _f = cur.enter_helper(method);
            f(self.ops[ops.0].as_ref());
        }
        cur.record(Op::MethodDone { start });
    }

    /// `mmu_notifier_register(mn, mm)`.
    pub fn mmu_notifier_register(&self, cur: &Task, mn: MnRef, mm: MmRef) {
        let _f = cur.enter("mmu_notifier_register");
        let m = self.mm(mm);
        // BUG_ON(atomic_read(&mm->mm_users) <= 0)
        m.bug_on_no_users(cur);
        // Registration holds a pin until unregistration drops it.
        m.mmgrab(cur);
        let lock = m.lock.spin_lock(cur, &m.obj);
        match self.config.publish {
            Publish::Plain => hlist_add_head(cur, &self.list(m), mn.0),
            Publish::Rcu => hlist_add_head_rcu(cur, &self.list(m), mn.0),
        }
        spin_unlock(cur, lock);
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
            hlist_del_init_rcu(cur, &self.list(m), first);
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
            hlist_del_init_rcu(cur, &self.list(m), mn.0);
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
        hlist_del_init_rcu(cur, &self.list(m), mn.0);
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

    /// `__mmu_notifier_invalidate_range_start(mm, start, end)`.
    pub fn __mmu_notifier_invalidate_range_start(self: &Arc<Self>, cur: &Task, mm: MmRef) {
        let _f = cur.enter("__mmu_notifier_invalidate_range_start");
        self.invalidate_walk(cur, mm, "invalidate_range_start", |ops, k, cur, mn| {
            ops.invalidate_range_start(k, cur, mn, mm)
        });
    }

    /// `__mmu_notifier_invalidate_range_end(mm, start, end)`.
    pub fn __mmu_notifier_invalidate_range_end(self: &Arc<Self>, cur: &Task, mm: MmRef) {
        let _f = cur.enter("__mmu_notifier_invalidate_range_end");
        self.invalidate_walk(cur, mm, "invalidate_range_end", |ops, k, cur, mn| {
            ops.invalidate_range_end(k, cur, mn, mm)
        });
    }

    /// The walkers' shared body: `srcu_read_lock`; for each notifier, call the method;
    /// `srcu_read_unlock`.
    fn invalidate_walk(
        self: &Arc<Self>,
        cur: &Task,
        mm: MmRef,
        method: &'static str,
        call: impl Fn(&dyn MmuNotifierOps<B>, &Arc<Self>, &Task, MnRef),
    ) {
        let m = self.mm(mm);
        let id = self.srcu.srcu_read_lock(cur);
        hlist_for_each_entry_rcu(cur, &self.list(m), |pos| {
            self.call_method(cur, MnRef(pos), method, |ops| {
                call(ops, self, cur, MnRef(pos))
            });
            true
        });
        self.srcu.srcu_read_unlock(cur, id);
    }
}
