//! The SRCU scenarios' program: readers that use an SRCU-protected object inside their
//! read-side sections, and an updater that unpublishes it, waits, and frees it.
//!
//! The protected object is a [`KObj`] published through one pointer, `gp` (an
//! [`RcuPointer`]): `rcu_assign_pointer` is a release store, `srcu_dereference` an acquire load
//! (loom has no consume ordering). A reader that still finds the object after the updater's wait is the
//! use-after-free SRCU exists to prevent; the SRCU oracle also checks the guarantees directly,
//! so a broken grace period is reported at the moment it ends, before any free.

use notifier_core::backend::JoinOps;
use notifier_core::srcu::{SrcuImpl, SrcuStruct, SrcuVariant};
use notifier_core::{Backend, KObj, Op, RcuPointer, Task};
use notifier_harness::Model;
use std::sync::Arc;

/// One reader thread: the CPU slot it locks on, and the one it unlocks on (a reader may be
/// preempted inside its section and migrate; `srcu_read_unlock` then decrements the counter
/// of another CPU than the one `srcu_read_lock` incremented).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    /// The CPU slot of `srcu_read_lock`.
    pub lock_cpu: usize,
    /// The CPU slot of `srcu_read_unlock`.
    pub unlock_cpu: usize,
}

impl Reader {
    /// A reader that stays on `cpu`.
    pub const fn on(cpu: usize) -> Self {
        Reader {
            lock_cpu: cpu,
            unlock_cpu: cpu,
        }
    }

    /// A reader that locks on `lock_cpu` and migrates to `unlock_cpu` inside its section.
    pub const fn migrating(lock_cpu: usize, unlock_cpu: usize) -> Self {
        Reader {
            lock_cpu,
            unlock_cpu,
        }
    }
}

/// What the updater does to retire the protected object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Updater {
    /// `rcu_assign_pointer(gp, NULL)`; `synchronize_srcu()`; `kfree(A)`.
    Synchronize,
    /// Two grace periods: `rcu_assign_pointer(gp, B)`; `synchronize_srcu()`; `kfree(A)`;
    /// `rcu_assign_pointer(gp, NULL)`; `synchronize_srcu()`; `kfree(B)`.
    Replace,
    /// `rcu_assign_pointer(gp, NULL)`; `call_srcu(free_object_rcu(A))`, which queues SRCU's
    /// work: the kworker G starts. Once U and the readers are done, the module's exit calls
    /// `srcu_barrier()`.
    CallSrcu,
}

/// Who runs SRCU's work items (`process_srcu`, and Tree SRCU's callback invocation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kworker {
    /// No kworker thread: a waiting `synchronize_srcu` runs the queued work itself (classic
    /// SRCU's caller runs the first pass itself in the kernel too, when the pipeline is idle).
    Inline,
    /// G, the kworker of CPU slot 0, started by main before the other threads (or, for
    /// [`Updater::CallSrcu`], by U once its `call_srcu` has queued the work).
    Thread,
}

/// An SRCU scenario: readers, one updater, the CPU slots and the SRCU variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SrcuModel {
    /// The implementation (classic for v3.16/v3.17, Tree for v5.4).
    pub imp: SrcuImpl,
    /// The algorithm (the kernel's, or a variant with one ordering or step removed).
    pub variant: SrcuVariant,
    /// Who runs SRCU's work items.
    pub kworker: Kworker,
    /// The number of per-CPU counter slots.
    pub cpus: usize,
    /// The reader threads (R, or R1, R2, ...).
    pub readers: &'static [Reader],
    /// What the updater U does.
    pub updater: Updater,
}

/// The objects the updater retires: `object A`, then `object B` for [`Updater::Replace`].
const OBJECT_NAMES: [&str; 2] = ["object A", "object B"];

/// Everything the threads of one execution share.
struct World<B: Backend> {
    srcu: SrcuStruct<B>,
    /// The RCU-protected pointer `gp`.
    gp: RcuPointer<B, KObj<B>>,
    /// The objects `gp` may point at.
    objects: Vec<Arc<KObj<B>>>,
}

impl SrcuModel {
    /// The number of objects the updater retires.
    fn objects(&self) -> usize {
        match self.updater {
            Updater::Replace => 2,
            Updater::Synchronize | Updater::CallSrcu => 1,
        }
    }
}

/// A reader: one read-side section that uses the object `gp` points at, if any.
fn reader<B: Backend>(w: &World<B>, cur: &Task, r: Reader) {
    let _f = cur.enter("reader");
    let idx = w.srcu.srcu_read_lock(cur);
    if let Some(obj) = w.gp.srcu_dereference(cur, &idx) {
        obj.touch(cur, "data", false);
    }
    if r.unlock_cpu != r.lock_cpu {
        // Preempted inside the section and resumed on another CPU.
        cur.migrate(r.unlock_cpu);
        cur.record(Op::Note {
            text: format!("migrates to cpu {}", r.unlock_cpu),
        });
    }
    w.srcu.srcu_read_unlock(cur, idx);
}

/// The updater: retires the object(s) as `how` says. For [`Updater::CallSrcu`] it returns the
/// SRCU worker that its `call_srcu` started.
fn updater<B: Backend>(w: &Arc<World<B>>, cur: &Task, how: Updater) -> Option<B::JoinHandle<()>> {
    let _f = cur.enter("updater");
    match how {
        Updater::Synchronize => {
            w.gp.rcu_assign_pointer(cur, None);
            w.srcu.synchronize_srcu(cur);
            w.objects[0].kfree(cur);
            None
        }
        Updater::Replace => {
            w.gp.rcu_assign_pointer(cur, Some(&w.objects[1]));
            w.srcu.synchronize_srcu(cur);
            w.objects[0].kfree(cur);
            w.gp.rcu_assign_pointer(cur, None);
            w.srcu.synchronize_srcu(cur);
            w.objects[1].kfree(cur);
            None
        }
        Updater::CallSrcu => {
            w.gp.rcu_assign_pointer(cur, None);
            let a = Arc::clone(&w.objects[0]);
            w.srcu.call_srcu(
                cur,
                Box::new(move |t: &Task| {
                    let _f = t.enter_helper("free_object_rcu");
                    a.kfree(t);
                }),
            );
            // call_srcu queued SRCU's work (classic: `queue_delayed_work(..., &sp->work, 0)`
            // when not running; Tree: `process_srcu` from `srcu_funnel_gp_start`): the
            // kworker G starts here, with work to do.
            w.srcu.attach_worker(0);
            let worker = {
                let w = Arc::clone(w);
                cur.spawn::<B, _>("G", 0, move |t| w.srcu.srcu_worker(t))
            };
            Some(worker)
        }
    }
}

impl Model for SrcuModel {
    fn srcu(&self) -> Option<SrcuImpl> {
        Some(self.imp)
    }

    fn run<B: Backend>(&self, main: &Task) {
        let objects: Vec<Arc<KObj<B>>> = OBJECT_NAMES[..self.objects()]
            .iter()
            .map(|name| {
                let obj = KObj::kmalloc(main, *name);
                obj.touch(main, "data", true);
                Arc::new(obj)
            })
            .collect();
        let w = Arc::new(World {
            srcu: SrcuStruct::new(self.imp, self.cpus, self.variant).with_oracle_clock(),
            gp: RcuPointer::new("gp"),
            objects,
        });
        w.gp.rcu_assign_pointer(main, Some(&w.objects[0]));
        // G, the kworker, is announced before any thread can queue SRCU work, and started
        // after U (U's call_srcu starts it in the kernel's order for Updater::CallSrcu).
        let kworker_from_main =
            self.kworker == Kworker::Thread && self.updater != Updater::CallSrcu;
        if kworker_from_main {
            w.srcu.attach_worker(0);
        }

        let single = self.readers.len() == 1;
        let readers: Vec<B::JoinHandle<()>> = self
            .readers
            .iter()
            .enumerate()
            .map(|(i, &r)| {
                let name = if single {
                    "R".to_string()
                } else {
                    format!("R{}", i + 1)
                };
                let w = Arc::clone(&w);
                main.spawn::<B, _>(&name, r.lock_cpu, move |t| reader(&w, t, r))
            })
            .collect();
        let how = self.updater;
        let u = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>("U", 0, move |t| updater(&w, t, how))
        };

        let g = kworker_from_main.then(|| {
            let w = Arc::clone(&w);
            main.spawn::<B, _>("G", 0, move |t| w.srcu.srcu_worker(t))
        });
        let worker = u.join().or(g);
        for r in readers {
            r.join();
        }
        if self.updater == Updater::CallSrcu {
            // The module's exit (`mmu_notifier_synchronize` in v3.17): every user is gone, and
            // srcu_barrier waits until the callbacks queued before it have run. Called here
            // rather than in U, so that it never polls while G polls for a reader's unlock:
            // two threads yielding to each other let loom starve the reader without a
            // preemption (an infinite schedule, reported as "maximum number of branches").
            let _f = main.enter("module_exit");
            w.srcu.srcu_barrier(main);
        }
        if let Some(worker) = worker {
            // Every caller of SRCU has returned: the kworker finishes the queued work and
            // stops.
            w.srcu.stop_worker();
            worker.join();
        }
    }
}
