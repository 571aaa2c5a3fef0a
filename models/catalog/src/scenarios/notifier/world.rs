//! What the notifier scenarios share: the threads every exit-path scenario has.

use notifier_core::backend::JoinOps;
use notifier_core::{Backend, Invalidator, Kernel, MmRef, Task};
use std::sync::Arc;

/// Notifier names, in registration order.
pub const NOTIFIER_NAMES: [&str; 3] = ["notifier A", "notifier B", "notifier C"];

/// Spawns E, the exit path: the last `mmput`, which runs `exit_mmap` and so
/// `__mmu_notifier_release`.
pub fn spawn_exit<B: Backend>(main: &Task, k: &Arc<Kernel<B>>, mm: MmRef) -> B::JoinHandle<()> {
    let k = Arc::clone(k);
    main.spawn::<B, _>("E", 0, move |t| k.mmput(t, mm))
}

/// Announces G, the SRCU kworker of CPU slot 0, before the threads that may wait for SRCU
/// start (spawn it with [`spawn_worker`] afterwards): a thread that waits while no kworker is
/// announced runs SRCU's work itself (see [`notifier_core::srcu::workqueue`]). The SRCU
/// specification has no kworker to announce (it starts its workers when work is queued).
pub fn announce_worker<B: Backend>(k: &Kernel<B>) {
    if k.srcu.kworker_slots() > 0 {
        k.srcu.attach_worker(0);
    }
}

/// Spawns G, the SRCU kworker of CPU slot 0 (with Tree SRCU and more CPU slots, it also runs
/// the other slots' callback invocation: see [`notifier_core::srcu::workqueue`]); none with
/// the SRCU specification, which starts its workers itself when work is queued.
pub fn spawn_worker<B: Backend>(main: &Task, k: &Arc<Kernel<B>>) -> Vec<B::JoinHandle<()>> {
    if k.srcu.kworker_slots() == 0 {
        return Vec::new();
    }
    vec![spawn_kworker(main, k, 0, "G")]
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
    if n <= 1 {
        return spawn_worker(main, k);
    }
    (0..n)
        .map(|cpu| spawn_kworker(main, k, cpu, &format!("G{cpu}")))
        .collect()
}

/// Announces the kworkers [`spawn_workers`] will spawn, before the threads that may wait for
/// SRCU start (a thread that waits while no kworker is announced runs SRCU's work itself).
pub fn announce_workers<B: Backend>(k: &Kernel<B>) {
    for cpu in 0..k.srcu.kworker_slots() {
        k.srcu.attach_worker(cpu);
    }
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

/// Spawns W, an invalidate walker: an rmap walker (`try_to_unmap`, holding an rmap lock for
/// read) that runs `invalidate_range_start` then `invalidate_range_end` over one range
/// ([`Invalidator::RMAP`]). The `mm_count` pin that keeps the mm alive for it is taken by
/// `main` before any thread that may drop the mm starts ([`pin_for_walker`]) and dropped by
/// `main` after W is joined ([`unpin_for_walker`]): the same lifetime, without one more
/// `mm_count` update for every other `mmget`/`mmdrop` to interleave with.
pub fn spawn_walker<B: Backend>(main: &Task, k: &Arc<Kernel<B>>, mm: MmRef) -> B::JoinHandle<()> {
    spawn_invalidator(main, k, mm, "W", Invalidator::RMAP)
}

/// Spawns a walker called `name` of the given kind (see [`Invalidator`]).
pub fn spawn_invalidator<B: Backend>(
    main: &Task,
    k: &Arc<Kernel<B>>,
    mm: MmRef,
    name: &str,
    walker: Invalidator,
) -> B::JoinHandle<()> {
    let k = Arc::clone(k);
    main.spawn::<B, _>(name, 0, move |t| {
        // A failed non-blockable start is the walker's to handle (the OOM reaper skips the
        // vma); the model has nothing more to do with it.
        let _ = k.invalidate_range(t, mm, walker);
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
    worker: Vec<B::JoinHandle<()>>,
) {
    join_then_stop_workers(k, callers, worker);
}
