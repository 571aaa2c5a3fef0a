//! The v5.4 get/put scheme (commit 2c7933f53f6b): concurrent gets and puts with exit and a
//! walker (G1), module unload after `mmu_notifier_synchronize` (G2), hmm converted to get/put
//! (S6's fix by construction), and the API's misuse (a put without a get, `-EOVERFLOW`).
//!
//! The driver is hmm's mirror ([`HmmMirror`]): v5.4 converted `struct hmm` to
//! `mmu_notifier_get`/`mmu_notifier_put`; its `invalidate_range_start` locks a mutex inside the
//! object, and `free_notifier` frees it.

use super::drivers::{HmmMirror, ResumesOn};
use super::world::unpin_for_walker;
use super::world::{
    announce_worker, announce_workers, join_then_stop_workers, pin_for_walker, spawn_walker,
    spawn_worker, spawn_workers,
};
use notifier_core::srcu::SrcuImpl;
use notifier_core::{Backend, Errno, Kernel, KernelConfig, MmuNotifierOps, Op, OpsId, Task};
use notifier_harness::Model;
use std::sync::Arc;

/// hmm's ops: the only driver of these scenarios.
const HMM: OpsId = OpsId(0);

fn kernel<B: Backend>(config: KernelConfig) -> Arc<Kernel<B>> {
    let ops: Arc<dyn MmuNotifierOps<B>> = Arc::new(HmmMirror);
    Kernel::<B>::new(config, vec![ops])
}

/// The last CPU slot of `config`'s SRCU (0 with one slot): where a scenario's second CPU's
/// thread runs.
fn last_cpu(config: &KernelConfig) -> usize {
    config.srcu_cpus - 1
}

/// G1: D1 and D2 each hold a user of the mm (a process's file descriptors), `get` hmm's
/// notifier, drop their user (`mmput`: the last one runs exit, `__mmu_notifier_release`,
/// which calls `->release` and unlinks whatever is linked, ignoring `users`), then `put` it;
/// W walks the list; G runs the SRCU callbacks. With two SRCU CPU slots D2 runs on cpu 1, so
/// the two puts queue their frees on different CPUs' lists (Tree SRCU); G, the one kworker
/// loom's five threads leave room for, runs both CPUs' callback invocation.
#[derive(Debug, Clone, Copy)]
pub struct ConcurrentGetPut {
    /// The kernel's knobs.
    pub config: KernelConfig,
    /// Whether the drivers take `mmap_sem` (`mmu_notifier_get`), as the API requires, or
    /// call `mmu_notifier_get_locked` without it (misuse).
    pub mmap_sem: bool,
    /// Whether W walks the list.
    pub walker: bool,
}

impl Model for ConcurrentGetPut {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let k = kernel::<B>(self.config);
        // mm_alloc's user goes to D1; D2 gets one more.
        let mm = k.mm_alloc(main, "mm");
        k.mmget(main, mm);
        if self.walker {
            pin_for_walker(main, &k, mm);
        }
        announce_worker(&k);
        let mut callers = Vec::new();
        let mmap_sem = self.mmap_sem;
        for (name, cpu) in [("D1", 0), ("D2", last_cpu(&self.config))] {
            let k = Arc::clone(&k);
            callers.push(main.spawn::<B, _>(name, cpu, move |t| {
                let got = if mmap_sem {
                    k.mmu_notifier_get(t, HMM, mm)
                } else {
                    k.mmu_notifier_get_locked(t, HMM, mm)
                };
                k.mmput(t, mm);
                // users_max is 2: two gets never overflow.
                if let Ok(mn) = got {
                    k.mmu_notifier_put(t, mn);
                }
            }));
        }
        if self.walker {
            callers.push(spawn_walker(main, &k, mm));
        }
        let workers = spawn_worker(main, &k);
        join_then_stop_workers(&k, callers, workers);
        if self.walker {
            unpin_for_walker(main, &k, mm);
        }
    }
}

/// G2: the driver's last `put` runs on CPU 1; the task then migrates to CPU 0, and the
/// module's exit calls `mmu_notifier_synchronize()` and unloads the module. The put's
/// `call_srcu` schedules the worker of the list it queued on (G1 with per-CPU lists, G0 with
/// the one FIFO), which starts there.
#[derive(Debug, Clone, Copy)]
pub struct PutThenUnload {
    /// The kernel's knobs (two CPU slots: the put and the unload run on different CPUs).
    pub config: KernelConfig,
    /// Whether the module is unloaded after `mmu_notifier_synchronize` returns.
    pub unload: bool,
}

impl Model for PutThenUnload {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let k = kernel::<B>(self.config);
        let mm = k.mm_alloc(main, "mm");
        let a = k
            .mmu_notifier_get(main, HMM, mm)
            .expect("the first get registers");
        main.migrate(1);
        main.record(Op::Note {
            text: "runs on cpu 1".to_string(),
        });
        let workers = spawn_workers(main, &k);
        k.mmu_notifier_put(main, a);
        // Preempted and resumed on another CPU before the module's exit runs.
        main.migrate(0);
        main.record(Op::Note {
            text: "migrates to cpu 0".to_string(),
        });
        {
            let _f = main.enter("module_exit");
            k.mmu_notifier_synchronize(main);
        }
        if self.unload {
            k.module_unload(main, HMM);
        }
        k.mmput(main, mm);
        join_then_stop_workers(&k, Vec::new(), workers);
    }
}

/// S6 with hmm converted to get/put (v5.4): D puts its notifier (the last put unlinks it and
/// frees it after a grace period) while W walks the list. With two SRCU CPU slots, D runs on
/// cpu 1 (its free is queued on cpu 1's list, invoked by G1) and W's call into hmm sleeps on
/// the mirror's lock and resumes on cpu 1 (W unlocks on another CPU than it locked on).
#[derive(Debug, Clone, Copy)]
pub struct PutWhileWalking {
    /// The kernel's knobs.
    pub config: KernelConfig,
}

impl Model for PutWhileWalking {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let cpu = last_cpu(&self.config);
        let ops: Arc<dyn MmuNotifierOps<B>> = Arc::new(ResumesOn {
            driver: HmmMirror,
            cpu,
        });
        let k = Kernel::<B>::new(self.config, vec![ops]);
        let mm = k.mm_alloc(main, "mm");
        let a = k
            .mmu_notifier_get(main, HMM, mm)
            .expect("the first get registers");
        pin_for_walker(main, &k, mm);
        announce_workers(&k);
        let d = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("D", cpu, move |t| k.mmu_notifier_put(t, a))
        };
        let callers = vec![spawn_walker(main, &k, mm), d];
        let workers = spawn_workers(main, &k);
        join_then_stop_workers(&k, callers, workers);
        unpin_for_walker(main, &k, mm);
        k.mmput(main, mm);
    }
}

/// What a misusing driver does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Misuse {
    /// get, put, put: the second put has no matching get. It runs before the SRCU worker
    /// starts, so it meets the notifier unlinked but not yet freed: the kernel's
    /// `WARN_ON(!mn->users)`, and nothing else.
    PutWithoutGet,
    /// main takes the maximum of users (two gets); D's get meanwhile returns `-EOVERFLOW`
    /// (when it comes before main's puts) or a user (after them), and D puts only what it
    /// got.
    Overflow,
}

/// The API's misuse, judged by what the kernel does.
#[derive(Debug, Clone, Copy)]
pub struct GetPutMisuse {
    /// The kernel's knobs.
    pub config: KernelConfig,
    /// The misuse.
    pub misuse: Misuse,
}

impl Model for GetPutMisuse {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.config.srcu)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let k = kernel::<B>(self.config);
        let mm = k.mm_alloc(main, "mm");
        match self.misuse {
            Misuse::PutWithoutGet => {
                let a = k
                    .mmu_notifier_get(main, HMM, mm)
                    .expect("the first get registers");
                k.mmu_notifier_put(main, a);
                k.mmu_notifier_put(main, a);
                let workers = spawn_workers(main, &k);
                join_then_stop_workers(&k, Vec::new(), workers);
            }
            Misuse::Overflow => {
                let a = k.mmu_notifier_get(main, HMM, mm).expect("registers");
                let b = k.mmu_notifier_get(main, HMM, mm).expect("finds it");
                k.mmget(main, mm);
                announce_workers(&k);
                let d = {
                    let k = Arc::clone(&k);
                    main.spawn::<B, _>("D", 0, move |t| {
                        match k.mmu_notifier_get(t, HMM, mm) {
                            Ok(mn) => k.mmu_notifier_put(t, mn),
                            // -EOVERFLOW, the only error mmu_notifier_get returns here.
                            Err(e) => assert_eq!(e, Errno::Overflow),
                        }
                        k.mmput(t, mm);
                    })
                };
                let workers = spawn_workers(main, &k);
                k.mmu_notifier_put(main, a);
                k.mmu_notifier_put(main, b);
                join_then_stop_workers(&k, vec![d], workers);
            }
        }
        k.mmput(main, mm);
    }
}
