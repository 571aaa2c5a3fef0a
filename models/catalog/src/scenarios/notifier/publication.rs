//! P1: registration publishes a notifier while a walker reads the list (kernel-notes §2).
//! Until commit 543bdb2d825f (2019) `mmu_notifier_register` linked with the plain
//! `hlist_add_head`: no release store, so a walker that sees the new node may read its `ops`
//! before the registering CPU's initialisation of it is visible. A weak-memory bug: loom's
//! race detector reports the read of `mn->ops` not ordered after its write; shuttle, which is
//! sequentially consistent, cannot. `hlist_add_head_rcu`'s release store orders it.

use super::drivers::HmmMirror;
use super::world::{pin_for_walker, spawn_walker, unpin_for_walker};
use notifier_core::backend::JoinOps;
use notifier_core::srcu::SrcuImpl;
use notifier_core::{Backend, Kernel, KernelConfig, MmuNotifierOps, OpsId, Task};
use notifier_harness::Model;
use std::sync::Arc;

/// R allocates notifier A (setting `mn->ops`) and registers it; W walks the list. Afterwards
/// `main` unregisters and frees A and exits the mm.
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
    pin_for_walker(main, &k, mm);
    let r = {
        let k = Arc::clone(&k);
        main.spawn::<B, _>("R", 0, move |t| {
            let a = k.alloc_notifier(t, "notifier A", OpsId(0));
            k.mmu_notifier_register(t, a, mm);
            a
        })
    };
    let w = spawn_walker(main, &k, mm);
    let a = r.join();
    w.join();
    unpin_for_walker(main, &k, mm);
    k.mmu_notifier_unregister(main, a, mm);
    k.kfree_notifier(main, a);
    k.mmput(main, mm);
}
