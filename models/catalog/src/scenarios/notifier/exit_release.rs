//! The exit path (`__mmu_notifier_release`) racing the SRCU callback worker, with drivers
//! that defer the free of their notifier from `->release` (S1, S2, S3, and the deadlocking
//! placement of `srcu_read_unlock`).

use super::drivers::{DeferFreeWhileLinked, ResumesOn, UnlinkThenDefer};
use super::world::{
    announce_worker, join_then_stop_worker, pin_for_walker, spawn_exit, spawn_walker, spawn_worker,
    unpin_for_walker, NOTIFIER_NAMES,
};
use notifier_core::srcu::SrcuImpl;
use notifier_core::{Backend, Kernel, KernelConfig, MmuNotifierOps, OpsId, Task};
use notifier_harness::Model;
use std::sync::Arc;

/// What the notifiers' `->release` does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseBehaviour {
    /// amdkfd: unlink with `unregister_no_release`, then `call_srcu(free)` (S1).
    UnlinkThenDefer,
    /// `call_srcu(free)` while still linked, relying on the core to unlink (S2, S3).
    DeferFreeWhileLinked,
}

/// E (exit) and G (SRCU worker), optionally W (an invalidate walker), with `notifiers`
/// notifiers registered on one mm, all with the same `->release` behaviour.
#[derive(Debug, Clone, Copy)]
pub struct ExitRelease {
    /// The kernel's knobs.
    pub config: KernelConfig,
    /// The drivers' behaviour.
    pub release: ReleaseBehaviour,
    /// How many notifiers (1 to 3).
    pub notifiers: usize,
    /// Whether W walks the list concurrently.
    pub walker: bool,
    /// The CPU slot E resumes on after `->release` sleeps (`None`: it stays on slot 0): E's
    /// `srcu_read_unlock` then runs on another CPU than its `srcu_read_lock` (the kernel
    /// config must have that many SRCU slots).
    pub resume_on: Option<usize>,
}

impl Model for ExitRelease {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let ops: Arc<dyn MmuNotifierOps<B>> = match (self.release, self.resume_on) {
            (ReleaseBehaviour::UnlinkThenDefer, None) => Arc::new(UnlinkThenDefer),
            (ReleaseBehaviour::DeferFreeWhileLinked, None) => Arc::new(DeferFreeWhileLinked),
            (ReleaseBehaviour::UnlinkThenDefer, Some(cpu)) => Arc::new(ResumesOn {
                driver: UnlinkThenDefer,
                cpu,
            }),
            (ReleaseBehaviour::DeferFreeWhileLinked, Some(cpu)) => Arc::new(ResumesOn {
                driver: DeferFreeWhileLinked,
                cpu,
            }),
        };
        let k = Kernel::<B>::new(self.config, vec![ops]);
        let mm = k.mm_alloc(main, "mm");
        for name in &NOTIFIER_NAMES[..self.notifiers] {
            let mn = k.alloc_notifier(main, name, OpsId(0));
            k.mmu_notifier_register(main, mn, mm);
        }
        if self.walker {
            pin_for_walker(main, &k, mm);
        }
        announce_worker(&k);
        let mut callers = vec![spawn_exit(main, &k, mm)];
        if self.walker {
            callers.push(spawn_walker(main, &k, mm));
        }
        let worker = spawn_worker(main, &k);
        join_then_stop_worker(&k, callers, worker);
        if self.walker {
            unpin_for_walker(main, &k, mm);
        }
    }
}
