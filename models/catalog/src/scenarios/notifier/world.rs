//! What the notifier scenarios share: the kernel configuration per version, and the threads
//! every exit-path scenario has.

use notifier_core::backend::JoinOps;
use notifier_core::KernelVersion;
use notifier_core::{Backend, Kernel, KernelConfig, MmRef, Task};
use std::sync::Arc;

/// The kernel knobs of a version (with the ordering explorer's placements, when it set any:
/// see [`super::placement`]).
pub fn config(version: KernelVersion) -> KernelConfig {
    super::placement::apply(match version {
        KernelVersion::V3_16 => KernelConfig::v3_16(),
        KernelVersion::V3_17 => KernelConfig::v3_17(),
        KernelVersion::V5_4 => KernelConfig::v5_4(),
    })
}

/// Notifier names, in registration order.
pub const NOTIFIER_NAMES: [&str; 3] = ["notifier A", "notifier B", "notifier C"];

/// Spawns E, the exit path: the last `mmput`, which runs `exit_mmap` and so
/// `__mmu_notifier_release`.
pub fn spawn_exit<B: Backend>(main: &Task, k: &Arc<Kernel<B>>, mm: MmRef) -> B::JoinHandle<()> {
    let k = Arc::clone(k);
    main.spawn::<B, _>("E", 0, move |t| k.mmput(t, mm))
}

/// Spawns G, the SRCU kworker of CPU slot 0 (with Tree SRCU and more CPU slots, it also runs
/// the other slots' callback invocation: see [`notifier_core::srcu::workqueue`]).
pub fn spawn_worker<B: Backend>(main: &Task, k: &Arc<Kernel<B>>) -> B::JoinHandle<()> {
    spawn_kworker(main, k, 0, "G")
}

/// Spawns the kworker of CPU slot `cpu`, announced to the SRCU first so that work queued
/// before it runs is routed to it.
fn spawn_kworker<B: Backend>(
    main: &Task,
    k: &Arc<Kernel<B>>,
    cpu: usize,
    name: &str,
) -> B::JoinHandle<()> {
    k.srcu.attach_worker(cpu);
    let k = Arc::clone(k);
    main.spawn::<B, _>(name, cpu, move |t| k.srcu.srcu_worker(t))
}

/// Spawns one SRCU kworker per slot that can have one: G with classic SRCU (one work item,
/// `sp->work`); with Tree SRCU G0, G1, ..., kworker `i` on CPU slot `i` (each CPU's callbacks
/// are invoked by that CPU's work item, in no order relative to the other CPUs').
pub fn spawn_workers<B: Backend>(main: &Task, k: &Arc<Kernel<B>>) -> Vec<B::JoinHandle<()>> {
    let n = k.srcu.kworker_slots();
    if n == 1 {
        return vec![spawn_worker(main, k)];
    }
    (0..n)
        .map(|cpu| spawn_kworker(main, k, cpu, &format!("G{cpu}")))
        .collect()
}

/// Joins the callers, then lets every worker drain its list and stop.
pub fn join_then_stop_workers<B: Backend>(
    k: &Kernel<B>,
    callers: Vec<B::JoinHandle<()>>,
    workers: Vec<B::JoinHandle<()>>,
) {
    for c in callers {
        c.join();
    }
    k.srcu.stop_worker();
    for w in workers {
        w.join();
    }
}

/// Spawns W, an invalidate walker (truncate, rmap): `invalidate_range_start`. The `mm_count`
/// pin that keeps the mm alive for it is taken by `main` before any thread that may drop the
/// mm starts ([`pin_for_walker`]) and dropped by `main` after W is joined
/// ([`unpin_for_walker`]): the same lifetime, without one more `mm_count` update for every
/// other `mmgrab`/`mmdrop` to interleave with.
///
/// The kernel's caller follows with `invalidate_range_end`, a second walk in a read-side
/// section of its own: it can meet exactly the hazards the first one meets, and would double
/// the walker's steps (and loom's executions) for nothing the first walk does not show.
pub fn spawn_walker<B: Backend>(main: &Task, k: &Arc<Kernel<B>>, mm: MmRef) -> B::JoinHandle<()> {
    let k = Arc::clone(k);
    main.spawn::<B, _>("W", 0, move |t| {
        k.__mmu_notifier_invalidate_range_start(t, mm)
    })
}

/// Takes the `mm_count` pin a walker holds (the rmap or truncate path keeps the mm alive).
pub fn pin_for_walker<B: Backend>(main: &Task, k: &Kernel<B>, mm: MmRef) {
    k.mmgrab(main, mm);
}

/// Drops the walker's pin, once the walker is joined.
pub fn unpin_for_walker<B: Backend>(main: &Task, k: &Kernel<B>, mm: MmRef) {
    k.mmdrop(main, mm);
}

/// Joins the callers, then lets the worker drain the callbacks and stop.
pub fn join_then_stop_worker<B: Backend>(
    k: &Kernel<B>,
    callers: Vec<B::JoinHandle<()>>,
    worker: B::JoinHandle<()>,
) {
    for c in callers {
        c.join();
    }
    k.srcu.stop_worker();
    worker.join();
}
