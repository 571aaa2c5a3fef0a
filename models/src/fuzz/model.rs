//! A validated [`Scenario`] as a [`Model`]: every runner, replay and oracle works on it
//! unchanged.
//!
//! One execution: `main` creates the mms (one user each), takes one `mm_count` pin per mm for
//! the walkers (as `world::pin_for_walker` does), allocates every notifier and registers those
//! no thread registers; starts the SRCU worker `G` and the threads; joins the threads; then
//! finishes what the scenario left undone, as a process would at the end: tears down the
//! notifiers whose driver has a teardown and that no thread tore down, exits the mms no
//! thread exited, stops `G`, and drops its pins. The memory oracle then reports anything
//! left allocated.

use super::format::{Driver, TeardownKind};
use super::validate::{Op, Scenario, MMS};
use crate::model::Model;
use crate::scenarios::notifier::drivers::{
    DeferFreeWhileLinked, FlushOnly, HmmMirror, UnlinkThenDefer,
};
use crate::scenarios::notifier::world;
use notifier_core::backend::JoinOps;
use notifier_core::{Backend, Kernel, MmRef, MmuNotifierOps, MnRef, OpsId, Task};
use std::sync::Arc;

/// A scenario read from a file or generated, run as a model.
#[derive(Debug, Clone)]
pub struct DataModel {
    scenario: Arc<Scenario>,
}

impl DataModel {
    /// The model of `scenario`.
    pub fn new(scenario: Scenario) -> Self {
        DataModel {
            scenario: Arc::new(scenario),
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
}

/// The driver's ops in the kernel's table: `OpsId(i)` is `Driver::ALL[i]`.
fn ops_table<B: Backend>() -> Vec<Arc<dyn MmuNotifierOps<B>>> {
    Driver::ALL
        .iter()
        .map(|d| -> Arc<dyn MmuNotifierOps<B>> {
            match d {
                Driver::Kvm => Arc::new(FlushOnly),
                Driver::Amdkfd => Arc::new(UnlinkThenDefer),
                Driver::Hmm | Driver::HmmSrcu => Arc::new(HmmMirror),
                Driver::DeferFreeWhileLinked => Arc::new(DeferFreeWhileLinked),
            }
        })
        .collect()
}

fn ops_id(d: Driver) -> OpsId {
    OpsId(Driver::ALL.iter().position(|x| *x == d).unwrap_or(0))
}

/// The world one execution shares between its threads.
struct World<B: Backend> {
    k: Arc<Kernel<B>>,
    mms: Vec<MmRef>,
    notifiers: Vec<MnRef>,
    scenario: Arc<Scenario>,
}

impl<B: Backend> World<B> {
    fn run_op(&self, t: &Task, op: Op) {
        let k = &self.k;
        match op {
            Op::Exit(mm) => k.mmput(t, self.mms[mm]),
            Op::Invalidate(mm) => k.__mmu_notifier_invalidate_range_start(t, self.mms[mm]),
            Op::Register(n) => {
                let mm = self.mms[self.scenario.notifiers[n].mm];
                k.mmu_notifier_register(t, self.notifiers[n], mm);
            }
            Op::Teardown(n, kind) => self.teardown(t, n, kind),
            Op::Synchronize => k.mmu_notifier_synchronize(t),
            Op::SrcuBarrier => {
                let _f = t.enter("srcu_barrier");
                k.srcu.srcu_barrier(t);
            }
        }
    }

    /// The owner's teardown of notifier `n`: KVM's `unregister` then `kfree`; hmm's
    /// `unregister_no_release`, then `kfree` at once (before 6d7c3cde93c1) or after a grace
    /// period (`hmm-srcu`).
    fn teardown(&self, t: &Task, n: usize, kind: TeardownKind) {
        let k = &self.k;
        let mn = self.notifiers[n];
        let mm = self.mms[self.scenario.notifiers[n].mm];
        match kind {
            TeardownKind::Unregister => {
                k.mmu_notifier_unregister(t, mn, mm);
                k.kfree_notifier(t, mn);
            }
            TeardownKind::UnregisterNoRelease => {
                k.mmu_notifier_unregister_no_release(t, mn, mm);
                if self.scenario.notifiers[n].driver == Driver::Hmm {
                    k.kfree_notifier(t, mn);
                } else {
                    let k2 = Arc::clone(k);
                    k.mmu_notifier_call_srcu(t, Box::new(move |t| k2.kfree_notifier(t, mn)));
                }
            }
        }
    }
}

impl Model for DataModel {
    fn run<B: Backend>(&self, main: &Task) {
        let s = &self.scenario;
        let k = Kernel::<B>::new(world::config(s.kernel), ops_table::<B>());
        let mms: Vec<MmRef> = MMS[..s.mms].iter().map(|m| k.mm_alloc(main, m)).collect();
        for &mm in &mms {
            world::pin_for_walker(main, &k, mm);
        }
        let notifiers: Vec<MnRef> = s
            .notifiers
            .iter()
            .map(|n| k.alloc_notifier(main, &n.name, ops_id(n.driver)))
            .collect();
        for (i, n) in s.notifiers.iter().enumerate() {
            if !n.registered_by_op {
                k.mmu_notifier_register(main, notifiers[i], mms[n.mm]);
            }
        }
        let w = Arc::new(World {
            k: Arc::clone(&k),
            mms,
            notifiers,
            scenario: Arc::clone(s),
        });
        let worker = world::spawn_worker(main, &k);
        let threads: Vec<B::JoinHandle<()>> = s
            .threads
            .iter()
            .map(|thread| {
                let w = Arc::clone(&w);
                let ops = thread.ops.clone();
                main.spawn::<B, _>(&thread.name, 0, move |t| {
                    for op in ops {
                        w.run_op(t, op);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join();
        }
        for (i, n) in s.notifiers.iter().enumerate() {
            if let (false, Some(kind)) = (n.torn_down_by_op, n.driver.teardown()) {
                w.teardown(main, i, kind);
            }
        }
        for mm in 0..s.mms {
            if !s.exited_by_op(mm) {
                k.mmput(main, w.mms[mm]);
            }
        }
        k.srcu.stop_worker();
        worker.join();
        for &mm in &w.mms {
            world::unpin_for_walker(main, &k, mm);
        }
    }
}
