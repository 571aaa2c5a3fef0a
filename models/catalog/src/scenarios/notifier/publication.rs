//! Registration publishing while a walker reads (kernel-notes §2): P1 and P2.
//!
//! Registration holds `mmap_sem` for write and `mm_take_all_locks`, which exclude the walkers
//! that hold `mmap_sem` or an rmap lock; such a walker runs before the registration or after
//! `mm_drop_all_locks`, and the lock orders it after everything registration wrote. A walker
//! that holds neither (the kind commit 543bdb2d825f's changelog reasons about: "Once
//! mmu_notifier_register() releases the mm locks, another thread can invalidate a range") is
//! not excluded, and meets two plain publications:
//! - P1, the notifier: until commit 543bdb2d825f (2019) the link was the plain
//!   `hlist_add_head`, so a walker that sees the new node may read its `ops` before the
//!   registering CPU's initialisation of it is visible; `hlist_add_head_rcu`'s release store
//!   orders it (v5.4);
//! - P2, `mm->mmu_notifier_mm`: the mm's first registration allocates and initialises the
//!   struct, then publishes it with a plain store (v3.16 l.213, v5.4 l.298): a walker that
//!   sees the pointer may read the list head before its initialisation is visible, on every
//!   modelled kernel. And between its start walk and its end walk the registration may link a
//!   notifier: that notifier gets an `invalidate_range_end` without its start.
//!
//! Both are weak-memory races in what loom reports: loom's race detector flags the read not
//! ordered after the write; shuttle, which is sequentially consistent, cannot (P2's unpaired
//! end is an interleaving, which shuttle does find).

use super::drivers::HmmMirror;
use super::world::{pin_for_walker, spawn_invalidator, unpin_for_walker};
use notifier_core::backend::JoinOps;
use notifier_core::srcu::SrcuImpl;
use notifier_core::{
    Backend, Invalidator, Kernel, KernelConfig, MmRef, MmuNotifierOps, OpsId, Task, WalkerLock,
};
use notifier_harness::Model;
use std::sync::Arc;

/// A walker that holds no lock registration takes (see the module documentation).
pub const UNLOCKED: Invalidator = Invalidator {
    lock: WalkerLock::Unlocked,
    blockable: true,
    range_end: true,
};

/// P1's walker: no lock, and `invalidate_range_start` only. P1 checks the publication of A;
/// the end walk would add the unpaired end that P2-unlocked shows, on every kernel, and hide
/// the difference between `hlist_add_head` and `hlist_add_head_rcu` behind it.
pub const UNLOCKED_START_ONLY: Invalidator = Invalidator {
    range_end: false,
    ..UNLOCKED
};

/// P1: `main` has registered and unregistered an earlier notifier, so the mm's
/// `mmu_notifier_mm` exists; then R allocates notifier A (setting `mn->ops`) and registers it
/// while W, a walker that holds no lock, runs `invalidate_range_start` ([`UNLOCKED_START_ONLY`]).
/// Afterwards `main` unregisters and frees A and exits the mm.
#[derive(Debug, Clone, Copy)]
pub struct PublishWhileWalking {
    /// The kernel's knobs (`publish` is the one that matters).
    pub config: KernelConfig,
}

impl Model for PublishWhileWalking {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        publish_while_walking::<B>(self.config, main, Arc::new(HmmMirror));
    }
}

/// The body of [`PublishWhileWalking`] with any driver (a test counts the walks that reach
/// A, to show that loom's pass on `hlist_add_head_rcu` is not a collapsed exploration).
pub fn publish_while_walking<B: Backend>(
    config: KernelConfig,
    main: &Task,
    ops: Arc<dyn MmuNotifierOps<B>>,
) {
    let k = Kernel::<B>::new(config, vec![ops]);
    let mm = k.mm_alloc(main, "mm");
    // An earlier driver's notifier: its registration allocated mm->mmu_notifier_mm, which
    // stays until the mm is freed, so R's registration only links A.
    let earlier = k.alloc_notifier(main, "notifier B", OpsId(0));
    k.mmu_notifier_register(main, earlier, mm);
    k.mmu_notifier_unregister(main, earlier, mm);
    k.kfree_notifier(main, earlier);
    register_while_walking(&k, main, mm, UNLOCKED_START_ONLY);
}

/// P2: R makes the mm's first registration (notifier A, with `mmu_notifier_register`) while W
/// walks the list over one range (start, then end). W holds an rmap lock ([`Invalidator::RMAP`],
/// as the kernel's rmap walkers do) or no lock ([`UNLOCKED`]).
#[derive(Debug, Clone, Copy)]
pub struct FirstRegistration {
    /// The kernel's knobs.
    pub config: KernelConfig,
    /// The walker.
    pub walker: Invalidator,
}

impl Model for FirstRegistration {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        first_registration::<B>(self.config, main, Arc::new(HmmMirror), self.walker);
    }
}

/// The body of [`FirstRegistration`] with any driver (a test counts the walks that reach A,
/// to show that loom's pass with the rmap-locked walker explores both orders).
pub fn first_registration<B: Backend>(
    config: KernelConfig,
    main: &Task,
    ops: Arc<dyn MmuNotifierOps<B>>,
    walker: Invalidator,
) {
    let k = Kernel::<B>::new(config, vec![ops]);
    let mm = k.mm_alloc(main, "mm");
    register_while_walking(&k, main, mm, walker);
}

/// R registers notifier A on `mm` while W walks it; then `main` unregisters and frees A and
/// exits the mm.
fn register_while_walking<B: Backend>(
    k: &Arc<Kernel<B>>,
    main: &Task,
    mm: MmRef,
    walker: Invalidator,
) {
    pin_for_walker(main, k, mm);
    let r = {
        let k = Arc::clone(k);
        main.spawn::<B, _>("R", 0, move |t| {
            let a = k.alloc_notifier(t, "notifier A", OpsId(0));
            k.mmu_notifier_register(t, a, mm);
            a
        })
    };
    let w = spawn_invalidator(main, k, mm, "W", walker);
    let a = r.join();
    w.join();
    unpin_for_walker(main, k, mm);
    k.mmu_notifier_unregister(main, a, mm);
    k.kfree_notifier(main, a);
    k.mmput(main, mm);
}
