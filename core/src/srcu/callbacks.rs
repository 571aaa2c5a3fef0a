//! SRCU's callback side: `call_srcu`, the worker that invokes callbacks after a grace period,
//! `synchronize_srcu` (which classic SRCU passes through the same pipeline) and
//! `srcu_barrier`.
//!
//! As in classic SRCU (`kernel/srcu.c`, v3.17): `call_srcu` queues the callback and schedules
//! the worker only when it is not already running (`sp->running`, `queue_delayed_work`); the
//! worker takes the queued batch, runs a grace period for it and invokes it, and stops being
//! "running" when it finds its list empty (`srcu_reschedule`). `synchronize_srcu` takes over
//! the processing when the worker is idle and otherwise queues its own wake-up behind the
//! callbacks in flight. With Tree SRCU's per-CPU lists ([`CallbackQueues::PerCpu`]) each list
//! has its own worker and its own `running`, and a caller uses its own CPU's list.
//!
//! The worker sleeps (park/unpark), it does not poll: a polling worker takes its list's lock
//! at every iteration, and loom explores each of those acquisitions against every `call_srcu`
//! (S2 on v3.17 with two notifiers: 33,683 executions polling, 1,379 sleeping).

use super::{SrcuStruct, SrcuVariant};
use crate::backend::{AtomicBoolOps, Backend, MutexOps, Ordering, ThreadOps};
use crate::exec::Task;
use crate::trace::Op;
use std::collections::VecDeque;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, OnceLock};

/// A callback queued with `call_srcu` (`rcu_head` plus its function).
pub type SrcuCallback = Box<dyn FnOnce(&Task) + Send>;

/// How `call_srcu` queues callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CallbackQueues {
    /// Classic SRCU (v3.16/v3.17): one FIFO pipeline for every callback, `synchronize_srcu`'s
    /// own wake-up included, worked by one worker. So `synchronize_srcu` returns only after
    /// every callback queued before it has run, and `srcu_barrier` *is* `synchronize_srcu`.
    #[default]
    Fifo,
    /// Tree SRCU (v4.12+): one list per CPU slot (`sdp->srcu_cblist`), each worked by its own
    /// CPU's worker (`srcu_invoke_callbacks`), in no order relative to the other lists.
    /// `synchronize_srcu` queues its wake-up on its own CPU's list only; `srcu_barrier` waits
    /// on every non-empty list.
    PerCpu,
}

impl CallbackQueues {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            CallbackQueues::Fifo => "one FIFO callback queue",
            CallbackQueues::PerCpu => "per-CPU callback queues",
        }
    }
}

/// One queued `rcu_head`: a `call_srcu` callback (named in the trace by its `CallSrcu` event)
/// or the wake-up of a `synchronize_srcu` waiting in the list (`wakeme_after_rcu`), which the
/// trace does not show as a callback.
type Queued = (Option<usize>, SrcuCallback);

/// What a list's lock protects (`sp->queue_lock`, or `sdp->lock` with per-CPU lists).
struct CallbackQueue {
    pending: VecDeque<Queued>,
    /// Callbacks ever queued / ever invoked to completion (FIFO, so a count suffices). The
    /// worker adds a batch to `invoked` the next time it takes the lock, not once per callback:
    /// each lock acquisition is a scheduling point that every other user of the lock is
    /// explored against.
    queued: usize,
    invoked: usize,
    /// `sp->running`: the list is being processed (by its worker, or by a `synchronize_srcu`
    /// that took over) and has not yet been found empty. `call_srcu` wakes the worker only
    /// when it is not running (`queue_delayed_work`).
    running: bool,
    /// Set when the scenario has no more callers: the worker returns once the list is empty.
    stop: bool,
}

/// One callback list, its lock, and its worker.
pub(super) struct CallbackList<B: Backend> {
    queue: B::Mutex<CallbackQueue>,
    /// Whether a worker thread has been started for this list (harness bookkeeping, set by the
    /// spawning thread before the spawn: see [`SrcuStruct::attach_worker`]).
    attached: AtomicBool,
    /// The worker thread, to wake: the kernel's workqueue. Set by the worker itself when it
    /// starts, without a scheduling point.
    worker: OnceLock<B::Thread>,
}

impl<B: Backend> CallbackList<B> {
    pub(super) fn new() -> Self {
        CallbackList {
            queue: B::Mutex::new(CallbackQueue {
                pending: VecDeque::new(),
                queued: 0,
                invoked: 0,
                running: false,
                stop: false,
            }),
            attached: AtomicBool::new(false),
            worker: OnceLock::new(),
        }
    }

    fn has_worker(&self) -> bool {
        // Harness bookkeeping on one OS thread at a time under loom and shuttle; a std atomic
        // that is never a scheduling point.
        self.attached.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Wakes the worker if it has started (if not, it looks at the list when it starts).
    fn wake(&self) {
        if let Some(w) = self.worker.get() {
            w.unpark();
        }
    }
}

impl<B: Backend> SrcuStruct<B> {
    /// Sets how callbacks are queued (the default is [`CallbackQueues::Fifo`]).
    pub fn with_callback_queues(mut self, queues: CallbackQueues) -> Self {
        let n = match queues {
            CallbackQueues::Fifo => 1,
            CallbackQueues::PerCpu => self.per_cpu.len(),
        };
        self.lists = (0..n).map(|_| CallbackList::new()).collect();
        if self.spec.is_some() {
            self.spec = Some(super::spec::SpecSrcu::new(self.per_cpu.len(), queues));
        }
        self
    }

    /// How callbacks are queued.
    pub(super) fn queues(&self) -> CallbackQueues {
        if self.lists.len() > 1 {
            CallbackQueues::PerCpu
        } else {
            CallbackQueues::Fifo
        }
    }

    /// Whether the SRCU starts its workers itself, when work is first queued on a list (the
    /// specification): a scenario then starts none.
    pub fn spawns_workers_on_demand(&self) -> bool {
        self.spec.is_some()
    }

    /// The number of callback lists, hence of workers to run (one per list; worker `i` runs
    /// on CPU slot `i`).
    pub fn callback_queues(&self) -> usize {
        if let Some(spec) = &self.spec {
            return spec.callback_queues();
        }
        self.lists.len()
    }

    /// The lists that have callbacks queued (and not yet taken by their worker): the kernel
    /// schedules a list's work item when a callback is queued on it, so a scenario that
    /// starts its workers after its `call_srcu`s starts these.
    pub fn lists_with_callbacks(&self) -> Vec<usize> {
        if let Some(spec) = &self.spec {
            return spec.lists_with_callbacks();
        }
        (0..self.lists.len())
            .filter(|&i| !self.lists[i].queue.lock().pending.is_empty())
            .collect()
    }

    /// Declares that a worker thread is being started for list `list` (worker `i` runs on CPU
    /// slot `i`). Call it in the spawning thread, before the spawn: from then on a
    /// `synchronize_srcu` that finds the list running queues its wake-up for that worker,
    /// even if the worker thread has not run yet.
    pub fn attach_worker(&self, list: usize) {
        if let Some(spec) = &self.spec {
            spec.attach_worker(list);
            return;
        }
        self.lists[list]
            .attached
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// The list the current CPU queues on, and the one its worker works.
    fn list_of(&self, cur: &Task) -> &CallbackList<B> {
        &self.lists[cur.cpu() % self.lists.len()]
    }

    /// `call_srcu(head, func)`: queues `func` on the current CPU's list (the only list with
    /// [`CallbackQueues::Fifo`]), to run on that list's worker after a grace period. Never
    /// runs it here.
    pub fn call_srcu(&self, cur: &Task, func: SrcuCallback) {
        let _f = cur.enter_helper("call_srcu");
        let call = cur.record(Op::CallSrcu);
        if let Some(spec) = &self.spec {
            spec.call_srcu(cur, call, func);
            cur.record(Op::CallSrcuDone { call });
            return;
        }
        {
            let list = self.list_of(cur);
            let mut q = list.queue.lock();
            q.pending.push_back((Some(call), func));
            q.queued += 1;
            // if (!sp->running) { sp->running = true; queue_delayed_work(..., &sp->work) }
            if !q.running {
                q.running = true;
                list.wake();
            }
        }
        cur.record(Op::CallSrcuDone { call });
    }

    /// `synchronize_srcu` (`__synchronize_srcu`): returns after every read-side section that
    /// began before the call has ended, and after every callback queued before it on the
    /// caller's list has run.
    ///
    /// If the list is idle, the caller takes over its processing and runs the grace period
    /// itself, then hands back (`srcu_reschedule`): an idle list has nothing pending or in
    /// flight. If the list is running, the caller queues its wake-up behind the callbacks
    /// there and sleeps until the worker's grace period for it ends and it is invoked
    /// (`wait_for_completion`). With [`CallbackQueues::Fifo`] that is every earlier callback;
    /// with [`CallbackQueues::PerCpu`] only this CPU's: a callback queued on another CPU may
    /// still be pending when it returns (Tree SRCU).
    pub fn synchronize_srcu(&self, cur: &Task) {
        let _f = cur.enter_helper("synchronize_srcu");
        let start = cur.record(Op::SynchronizeSrcu);
        if let Some(spec) = &self.spec {
            spec.synchronize_srcu(cur);
            cur.record(Op::SynchronizeSrcuDone { start });
            return;
        }
        let list = self.list_of(cur);
        if !list.has_worker() {
            // No worker thread for this list in the scenario: nobody to hand a queued wake-up
            // to, so the caller runs its own grace period; concurrent callers are serialised
            // by `gp_mutex`, as the kernel's by `sp->mutex`.
            self.grace_period(cur);
            cur.record(Op::SynchronizeSrcuDone { start });
            return;
        }
        let mut q = list.queue.lock();
        if !q.running {
            // Steal the processing owner.
            q.running = true;
            drop(q);
            self.grace_period(cur);
            // srcu_reschedule: hand the processing to the worker if callbacks came meanwhile.
            let mut q = list.queue.lock();
            if q.pending.is_empty() {
                q.running = false;
            } else {
                list.wake();
            }
        } else {
            let done = Arc::new(B::AtomicBool::new(false));
            let waiter = B::current();
            let wake = Arc::clone(&done);
            q.pending.push_back((
                None,
                Box::new(move |_: &Task| {
                    // complete(): pairs with the acquire below.
                    wake.store(true, Ordering::Release);
                    waiter.unpark();
                }),
            ));
            q.queued += 1;
            drop(q);
            // wait_for_completion: sleeps; a wake-up without the completion sleeps again.
            while !done.load(Ordering::Acquire) {
                cur.park::<B>();
            }
        }
        cur.record(Op::SynchronizeSrcuDone { start });
    }

    /// `srcu_barrier`: returns after every callback queued before the call has run. With
    /// per-CPU lists, Tree SRCU entrains a marker on every non-empty list and waits for all of
    /// them: the model waits for each list's count at the call (each list is FIFO and worked
    /// by one worker, so that is "every callback queued on it before the call has run").
    pub fn srcu_barrier(&self, cur: &Task) {
        let _f = cur.enter_helper("srcu_barrier");
        let start = cur.record(Op::SrcuBarrier);
        if let Some(spec) = &self.spec {
            spec.srcu_barrier(cur);
            cur.record(Op::SrcuBarrierDone { start });
            return;
        }
        let targets: Vec<usize> = self.lists.iter().map(|l| l.queue.lock().queued).collect();
        for (list, target) in self.lists.iter().zip(targets) {
            cur.wait_until::<B>("SRCU callbacks queued before the barrier", || {
                list.queue.lock().invoked >= target
            });
        }
        cur.record(Op::SrcuBarrierDone { start });
    }

    /// The SRCU worker of the current CPU's list (`process_srcu`, or Tree SRCU's
    /// `srcu_invoke_callbacks` of that CPU, on the kernel's workqueue): takes every callback
    /// queued on its list, runs one grace period for the batch, invokes the batch in order;
    /// sleeps while the list is empty (the kernel's work item is not scheduled then); returns
    /// once [`SrcuStruct::stop_worker`] has been called and nothing is left. Run one per list
    /// ([`SrcuStruct::callback_queues`]), worker `i` on CPU slot `i`, each announced with
    /// [`SrcuStruct::attach_worker`].
    pub fn srcu_worker(&self, cur: &Task) {
        if let Some(spec) = &self.spec {
            spec.srcu_worker(cur);
            return;
        }
        let _f = cur.enter_helper("process_srcu");
        let list = self.list_of(cur);
        list.attached
            .store(true, std::sync::atomic::Ordering::SeqCst);
        assert!(
            list.worker.set(B::current()).is_ok(),
            "one SRCU worker per callback list"
        );
        let mut done = 0;
        loop {
            let batch: Vec<Queued> = {
                let mut q = list.queue.lock();
                q.invoked += done;
                if q.pending.is_empty() {
                    if q.stop {
                        // Gone: a later synchronize_srcu on this list runs its own grace period
                        // instead of queueing a wake-up nobody would invoke.
                        q.running = false;
                        list.attached
                            .store(false, std::sync::atomic::Ordering::SeqCst);
                        return;
                    }
                    // srcu_reschedule: nothing pending, the work item is not requeued.
                    q.running = false;
                    drop(q);
                    cur.park::<B>();
                    done = 0;
                    continue;
                }
                q.pending.drain(..).collect()
            };
            if self.variant != SrcuVariant::CallbackWithoutGracePeriod {
                self.grace_period(cur);
            }
            done = batch.len();
            for (call, func) in batch {
                if let Some(call) = call {
                    cur.record(Op::CallbackStart { call });
                }
                func(cur);
                if let Some(call) = call {
                    cur.record(Op::CallbackDone { call });
                }
            }
        }
    }

    /// Tells the workers to return once their lists are empty. Call it after every thread
    /// that may `call_srcu` has finished.
    pub fn stop_worker(&self) {
        if let Some(spec) = &self.spec {
            spec.stop_worker();
            return;
        }
        for list in self.lists.iter() {
            list.queue.lock().stop = true;
            list.wake();
        }
    }
}
