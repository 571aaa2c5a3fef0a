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

use super::drivers::NotifierOps;
use super::format::{Driver, TeardownKind};
use super::validate::{Op, Scenario, MMS};
use crate::scenarios::notifier::world;
use notifier_core::backend::JoinOps;
use notifier_core::srcu::{CallbackQueues, SrcuImpl};
use notifier_core::{
    Backend, Invalidator, Kernel, KernelConfig, MmRef, MmuNotifierOps, MnRef, OpsId, Task,
};
use notifier_harness::Model;
use std::sync::Arc;

/// A scenario read from a file or generated, run as a model.
#[derive(Debug, Clone)]
pub struct DataModel {
    scenario: Arc<Scenario>,
    /// The kernel configuration (the scenario's version's, or a plan's with its placements).
    config: KernelConfig,
}

impl DataModel {
    /// The model of `scenario` on a kernel configured as `config` (normally its version's,
    /// [`notifier_core::KernelVersion::config`]).
    pub fn new(scenario: Scenario, config: KernelConfig) -> Self {
        DataModel {
            scenario: Arc::new(scenario),
            config,
        }
    }

    /// The scenario.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
}

/// The kernel's table of ops: `OpsId(n)` is notifier `n`'s (each notifier is its own driver
/// module).
fn ops_table<B: Backend>(s: &Scenario) -> Vec<Arc<NotifierOps<B>>> {
    s.notifiers
        .iter()
        .map(|n| Arc::new(NotifierOps::new(n.driver, &n.name)))
        .collect()
}

/// A thread's gets not yet put, per notifier, latest last (`None`: the get failed with
/// `-EOVERFLOW`, and the driver has nothing to put).
type Gets = Vec<(usize, Option<MnRef>)>;

/// The world one execution shares between its threads.
struct World<B: Backend> {
    k: Arc<Kernel<B>>,
    mms: Vec<MmRef>,
    /// The registered notifiers (`None` for get/put ones).
    notifiers: Vec<Option<MnRef>>,
    scenario: Arc<Scenario>,
}

impl<B: Backend> World<B> {
    fn run_op(&self, t: &Task, op: Op, gets: &mut Gets) {
        let k = &self.k;
        match op {
            Op::Get(n) => {
                let mm = self.mms[self.scenario.notifiers[n].mm];
                // A driver checks IS_ERR(mn): a failed get is not put.
                gets.push((n, k.mmu_notifier_get(t, OpsId(n), mm).ok()));
            }
            Op::Put(n) => {
                // Validation guarantees an earlier get of n by this thread not yet put.
                if let Some(i) = gets.iter().rposition(|g| g.0 == n) {
                    if let (_, Some(mn)) = gets.remove(i) {
                        k.mmu_notifier_put(t, mn);
                    }
                }
            }
            Op::ModuleUnload(n) => k.module_unload(t, OpsId(n)),
            Op::Exit(mm) => k.mmput(t, self.mms[mm]),
            // A failed non-blockable start is the walker's to handle; nothing more to model.
            Op::Invalidate(mm) => {
                let _ = k.invalidate_range(t, self.mms[mm], Invalidator::RMAP);
            }
            Op::InvalidateNonblock(mm) => {
                let _ = k.invalidate_range(t, self.mms[mm], Invalidator::OOM_REAPER);
            }
            Op::Register(n) => {
                let mm = self.mms[self.scenario.notifiers[n].mm];
                if let Some(mn) = self.notifiers[n] {
                    k.mmu_notifier_register(t, mn, mm);
                }
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
        // Validation only lets registered notifiers be torn down.
        let Some(mn) = self.notifiers[n] else { return };
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

/// The kernel a scenario file runs on: `base` (its version's knobs, or a plan's), with a CPU
/// slot for every CPU its threads use.
fn kernel_config(s: &Scenario, base: KernelConfig) -> KernelConfig {
    let mut config = base;
    config.srcu_cpus = config.srcu_cpus.max(s.cpus());
    config
}

/// The SRCU implementation a scenario file runs on (its kernel's).
pub fn srcu(s: &Scenario) -> SrcuImpl {
    s.kernel.config().srcu
}

/// The SRCU kworker threads a scenario file runs with (besides its own threads and `main`):
/// one for classic SRCU's one work item, one per CPU slot with Tree SRCU (the specification
/// spawns at most one per callback list).
pub fn kworkers(s: &Scenario) -> usize {
    let config = kernel_config(s, s.kernel.config());
    match (config.srcu, config.callback_queues) {
        (SrcuImpl::Classic, _) | (SrcuImpl::Spec, CallbackQueues::Fifo) => 1,
        (SrcuImpl::Tree, _) | (SrcuImpl::Spec, CallbackQueues::PerCpu) => config.srcu_cpus,
    }
}

impl Model for DataModel {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let s = &self.scenario;
        let table = ops_table::<B>(s);
        let ops = table
            .iter()
            .map(|o| Arc::clone(o) as Arc<dyn MmuNotifierOps<B>>)
            .collect();
        let config = kernel_config(s, self.config);
        let k = Kernel::<B>::new(config, ops);
        let mms: Vec<MmRef> = MMS[..s.mms].iter().map(|m| k.mm_alloc(main, m)).collect();
        for &mm in &mms {
            world::pin_for_walker(main, &k, mm);
        }
        // The notifiers that are registered (not got) are allocated by main; a get/put
        // notifier's slot is never used (mmu_notifier_get allocates it).
        let mut notifiers = Vec::new();
        for (i, n) in s.notifiers.iter().enumerate() {
            if n.driver == Driver::GetPut {
                notifiers.push(None);
                continue;
            }
            let mn = k.alloc_notifier(main, &table[i].next_name(), OpsId(i));
            if !n.registered_by_op {
                k.mmu_notifier_register(main, mn, mms[n.mm]);
            }
            notifiers.push(Some(mn));
        }
        let w = Arc::new(World {
            k: Arc::clone(&k),
            mms,
            notifiers,
            scenario: Arc::clone(s),
        });
        // A thread that gets holds a user of the mm until its last get there; main takes
        // those users for it before any thread can drop the mm's last one.
        let held: Vec<Vec<(usize, usize)>> =
            (0..s.threads.len()).map(|i| s.users_held(i)).collect();
        for &(mm, _) in held.iter().flatten() {
            k.mmget(main, w.mms[mm]);
        }
        let workers = world::spawn_workers(main, &k);
        let threads: Vec<B::JoinHandle<Gets>> = s
            .threads
            .iter()
            .zip(held)
            .map(|(thread, held)| {
                let w = Arc::clone(&w);
                let ops = thread.ops.clone();
                main.spawn::<B, _>(&thread.name, thread.cpu, move |t| {
                    let mut gets = Gets::new();
                    for (o, op) in ops.into_iter().enumerate() {
                        w.run_op(t, op, &mut gets);
                        for &(mm, _) in held.iter().filter(|h| h.1 == o) {
                            w.k.mmput(t, w.mms[mm]);
                        }
                    }
                    gets
                })
            })
            .collect();
        // What the threads got and did not put, main puts (the process closes its files).
        let unput: Vec<Gets> = threads.into_iter().map(|t| t.join()).collect();
        for (_, mn) in unput.into_iter().flatten() {
            if let Some(mn) = mn {
                k.mmu_notifier_put(main, mn);
            }
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
        for worker in workers {
            worker.join();
        }
        for &mm in &w.mms {
            world::unpin_for_walker(main, &k, mm);
        }
    }
}
