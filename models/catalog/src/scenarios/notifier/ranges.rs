//! Walkers over whole ranges (`invalidate_range_start`, then `invalidate_range_end`), judged
//! by the range pairing oracle (`notifier_properties::RangeOracle`) as well as every other.
//!
//! - [`UnregisterWhileWalking`]: the owner unregisters and frees a KVM-style notifier (its
//!   start raises a count in its object, its end lowers it) while an rmap walker runs a
//!   range over it: the notifier either gets both methods, or is unlinked between them (then
//!   it is excused its end), and `mmu_notifier_unregister`'s `synchronize_srcu` keeps the
//!   free after every method;
//! - [`OomReaper`]: v5.4's OOM reaper walks a non-blockable range over a KVM-style notifier
//!   and one that cannot invalidate without sleeping (its start fails with `-EAGAIN`). v5.4
//!   calls every start, returns the error, and the reaper skips the end: the KVM-style
//!   notifier keeps an open range for ever. Fixed in v5.12 by commit c2655835fd8c
//!   ("mm/mmu_notifiers: ensure range_end() is paired with range_start()"), which the knob
//!   `FailedStart::EndAll` models.

use super::drivers::{FailsNonBlocking, FlushOnly};
use super::world::{pin_for_walker, spawn_invalidator, spawn_walker, unpin_for_walker};
use notifier_core::backend::JoinOps;
use notifier_core::srcu::SrcuImpl;
use notifier_core::{Backend, Invalidator, Kernel, KernelConfig, MmuNotifierOps, OpsId, Task};
use notifier_harness::Model;
use std::sync::Arc;

/// W, an rmap walker, runs a range over notifier A (KVM-style); U, the owner, calls
/// `mmu_notifier_unregister(A)` and frees A.
#[derive(Debug, Clone, Copy)]
pub struct UnregisterWhileWalking {
    /// The kernel's knobs.
    pub config: KernelConfig,
}

impl Model for UnregisterWhileWalking {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let k = Kernel::<B>::new(self.config, vec![Arc::new(FlushOnly)]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        pin_for_walker(main, &k, mm);
        let w = spawn_walker(main, &k, mm);
        let u = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("U", 0, move |t| {
                k.mmu_notifier_unregister(t, a, mm);
                k.kfree_notifier(t, a);
            })
        };
        w.join();
        u.join();
        unpin_for_walker(main, &k, mm);
        k.mmput(main, mm);
    }
}

/// `main` registers notifier A (KVM-style: start and end) and then notifier B (its start fails
/// with `-EAGAIN` in a non-blockable range; no end), so the list is B, A; O, the OOM reaper
/// (v5.4 `__oom_reap_task_mm`, `mmap_sem` held for read), runs a non-blockable range while W,
/// an rmap walker, runs a blockable one (B's start succeeds there).
#[derive(Debug, Clone, Copy)]
pub struct OomReaper {
    /// The kernel's knobs (`failed_start` is the one that matters).
    pub config: KernelConfig,
}

impl Model for OomReaper {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let ops: Vec<Arc<dyn MmuNotifierOps<B>>> =
            vec![Arc::new(FlushOnly), Arc::new(FailsNonBlocking)];
        let k = Kernel::<B>::new(self.config, ops);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        let b = k.alloc_notifier(main, "notifier B", OpsId(1));
        k.mmu_notifier_register(main, b, mm);
        pin_for_walker(main, &k, mm);
        let o = spawn_invalidator(main, &k, mm, "O", Invalidator::OOM_REAPER);
        let w = spawn_walker(main, &k, mm);
        o.join();
        w.join();
        unpin_for_walker(main, &k, mm);
        for mn in [a, b] {
            k.mmu_notifier_unregister(main, mn, mm);
            k.kfree_notifier(main, mn);
        }
        k.mmput(main, mm);
    }
}
