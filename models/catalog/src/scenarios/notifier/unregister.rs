//! Exit racing an owner that unregisters its notifier itself: with `mmu_notifier_unregister`
//! (S4), or with `mmu_notifier_unregister_no_release` and a deferred or immediate free (S5,
//! S6).

use super::drivers::{FlushOnly, HmmMirror};
use super::world::{
    announce_worker, join_then_stop_worker, pin_for_walker, spawn_exit, spawn_walker, spawn_worker,
    unpin_for_walker,
};
use notifier_core::backend::JoinOps;
use notifier_core::srcu::SrcuImpl;
use notifier_core::{Backend, Kernel, KernelConfig, Task};
use notifier_core::{MmuNotifierOps, OpsId};
use notifier_harness::Model;
use std::sync::Arc;

/// S4: E (exit) and U, the owner: `mmu_notifier_unregister(A)`, then `kfree(A)`. A's driver
/// flushes its own state in every method (KVM-style). G, the SRCU kworker, runs the grace
/// periods both wait for (without it, two waiters running SRCU's work themselves poll each
/// other: measured, not finished in 120 s).
#[derive(Debug, Clone, Copy)]
pub struct UnregisterThenFree {
    /// The kernel's knobs.
    pub config: KernelConfig,
}

impl Model for UnregisterThenFree {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let k = Kernel::<B>::new(self.config, vec![Arc::new(FlushOnly)]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        announce_worker(&k);
        let e = spawn_exit(main, &k, mm);
        let u = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("U", 0, move |t| {
                k.mmu_notifier_unregister(t, a, mm);
                k.kfree_notifier(t, a);
            })
        };
        let worker = spawn_worker(main, &k);
        join_then_stop_worker(&k, vec![e, u], worker);
    }
}

/// How D frees its notifier after `mmu_notifier_unregister_no_release`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoReleaseFree {
    /// `mmu_notifier_call_srcu(free)`: after a grace period (S5).
    Deferred,
    /// `kfree` at once: hmm before commit 6d7c3cde93c1 (S6).
    Immediate,
}

/// D unlinks A with `mmu_notifier_unregister_no_release` and frees it; W walks the list
/// (A's driver is hmm's mirror: `invalidate_range_start` locks a mutex in its object). With
/// `exit`, E runs the exit path concurrently (S5); without, `main` exits the mm at the end
/// (S6).
#[derive(Debug, Clone, Copy)]
pub struct UnlinkNoRelease {
    /// The kernel's knobs.
    pub config: KernelConfig,
    /// How D frees A.
    pub free: NoReleaseFree,
    /// Whether E runs the exit path concurrently.
    pub exit: bool,
}

impl Model for UnlinkNoRelease {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let ops: Arc<dyn MmuNotifierOps<B>> = Arc::new(HmmMirror);
        let k = Kernel::<B>::new(self.config, vec![ops]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        pin_for_walker(main, &k, mm);
        if self.free == NoReleaseFree::Deferred {
            announce_worker(&k);
        }
        let mut callers = Vec::new();
        if self.exit {
            callers.push(spawn_exit(main, &k, mm));
        }
        let free = self.free;
        callers.push({
            let k = Arc::clone(&k);
            main.spawn::<B, _>("D", 0, move |t| {
                k.mmu_notifier_unregister_no_release(t, a, mm);
                match free {
                    NoReleaseFree::Deferred => {
                        let k2 = Arc::clone(&k);
                        k.mmu_notifier_call_srcu(t, Box::new(move |t| k2.kfree_notifier(t, a)));
                    }
                    NoReleaseFree::Immediate => k.kfree_notifier(t, a),
                }
            })
        });
        callers.push(spawn_walker(main, &k, mm));
        if free == NoReleaseFree::Deferred {
            let worker = spawn_worker(main, &k);
            join_then_stop_worker(&k, callers, worker);
        } else {
            for c in callers {
                c.join();
            }
        }
        unpin_for_walker(main, &k, mm);
        if !self.exit {
            k.mmput(main, mm);
        }
    }
}
