//! amdkfd on v5.4: a notifier registered with `mmu_notifier_register` and ended with
//! `mmu_notifier_put` from its own `->release`, inside exit's walk of the list (see
//! [`AmdkfdPut`]). This is where the 2019 get/put scheme meets the 2014 ordering: the put
//! unlinks the notifier under the lock while exit walks the list, then queues its free with
//! `call_srcu`, which must wait for exit's own read-side section (and any walker's).

use super::drivers::AmdkfdPut;
use super::world::{
    announce_workers, join_then_stop_workers, pin_for_walker, spawn_exit, spawn_walker,
    spawn_workers, unpin_for_walker,
};
use notifier_core::srcu::SrcuImpl;
use notifier_core::{Backend, Kernel, KernelConfig, OpsId, Task};
use notifier_harness::Model;
use std::sync::Arc;

/// `main` allocates amdkfd's process object (notifier A) and registers it with
/// `mmu_notifier_register`; E runs the exit path (the last `mmput`, whose
/// `__mmu_notifier_release` calls A's `->release`); W, an rmap walker, runs
/// `invalidate_range_start` and `invalidate_range_end`; the SRCU workers run the callbacks.
#[derive(Debug, Clone, Copy)]
pub struct AmdkfdExit {
    /// The kernel's knobs.
    pub config: KernelConfig,
    /// The driver's `->release` (correct, or one of its misuses).
    pub driver: AmdkfdPut,
}

impl Model for AmdkfdExit {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let k = Kernel::<B>::new(self.config, vec![Arc::new(self.driver)]);
        let mm = k.mm_alloc(main, "mm");
        // kfd_create_process: the process object, registered on current->mm (l.660).
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        pin_for_walker(main, &k, mm);
        announce_workers(&k);
        let callers = vec![spawn_exit(main, &k, mm), spawn_walker(main, &k, mm)];
        let workers = spawn_workers(main, &k);
        join_then_stop_workers(&k, callers, workers);
        unpin_for_walker(main, &k, mm);
    }
}
