//! The SRCU oracle: the three guarantees of kernel-notes §6, judged from the trace.
//!
//! "Before" is the order in which events were recorded, and the SRCU model records each event
//! where that order is implied by the algorithm's own synchronisation (see `core/src/srcu/`):
//! - `SrcuReadLock` is recorded *after* the reader's increments and barrier B, so a section
//!   recorded before `SynchronizeSrcu` is one whose increment every summation of that grace
//!   period must see (B precedes the updater's barrier A);
//! - `SrcuReadUnlock` is recorded *before* the decrement, so a grace period that saw the
//!   decrement cannot end before the unlock is recorded;
//! - `CallSrcu` is recorded before the callback is queued (the worker can only pick it up, and
//!   start its grace period, afterwards); `CallSrcuDone` after it is queued, so a barrier
//!   recorded later counts it.
//!
//! So for a correct SRCU no interleaving, on any backend (real threads included), reports a
//! violation: the oracle is sound. It keeps incremental state (open sections ordered by the
//! event that opened them, queued callbacks ordered by the event that queued them) and judges
//! each event in logarithmic time.

use notifier_core::{Log, Op, Oracle, Violation, ViolationKind};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What the oracle knows of one callback, by the index of its `CallSrcu` event.
#[derive(Debug, Clone, Copy, Default)]
struct Callback {
    /// The `CallSrcuDone` event, once recorded.
    queued: Option<usize>,
    /// Whether its `CallbackDone` was recorded (possibly before `CallSrcuDone`: the worker can
    /// run it between the enqueue and the caller's next event).
    done: bool,
}

/// Checks, as events are recorded:
/// 1. at `SynchronizeSrcuDone{start}`: every read-side section whose `SrcuReadLock` came before
///    the `SynchronizeSrcu` at `start` has its `SrcuReadUnlock` → else
///    [`ViolationKind::GracePeriod`];
/// 2. at `CallbackStart{call}`: every section that began before the `CallSrcu` at `call` has
///    ended → else [`ViolationKind::EarlyCallback`];
/// 3. at `SrcuBarrierDone{start}`: every callback whose `CallSrcuDone` came before the
///    `SrcuBarrier` at `start` has its `CallbackDone` → else [`ViolationKind::EarlyBarrier`].
///
/// Each violation is located at the event that breaks the guarantee.
#[derive(Debug, Default)]
pub struct SrcuOracle {
    /// Sections begun and not ended, by the index of their `SrcuReadLock` event.
    open_sections: BTreeSet<usize>,
    /// Callbacks queued and not yet returned: `CallSrcuDone` index → `CallSrcu` index.
    pending: BTreeMap<usize, usize>,
    /// Callbacks by the index of their `CallSrcu` event; an entry is dropped once the callback
    /// is both queued and done.
    callbacks: HashMap<usize, Callback>,
}

impl SrcuOracle {
    /// A new oracle for one execution.
    pub fn new() -> Self {
        Self::default()
    }

    /// The earliest section still open that began before event `before`.
    fn open_before(&self, before: usize) -> Option<usize> {
        self.open_sections.first().copied().filter(|&s| s < before)
    }

    fn describe_section(log: &Log<'_>, section: usize) -> String {
        let idx = match log.events[section].op {
            Op::SrcuReadLock { idx, .. } => idx,
            ref other => unreachable!("section {section} opened by {other:?}"),
        };
        format!(
            "the read-side section on idx {idx} begun at {}",
            log.cite(section)
        )
    }
}

impl Oracle for SrcuOracle {
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation> {
        match log.events[at].op {
            Op::SrcuReadLock { .. } => {
                self.open_sections.insert(at);
            }
            Op::SrcuReadUnlock { section, .. } => {
                self.open_sections.remove(&section);
            }
            Op::SynchronizeSrcuDone { start } => {
                if let Some(section) = self.open_before(start) {
                    return Err(log.violation_at(
                        at,
                        ViolationKind::GracePeriod,
                        None,
                        format!(
                            "synchronize_srcu (called at {}) returns while {} has not ended",
                            log.cite(start),
                            Self::describe_section(log, section)
                        ),
                    ));
                }
            }
            Op::CallbackStart { call } => {
                if let Some(section) = self.open_before(call) {
                    return Err(log.violation_at(
                        at,
                        ViolationKind::EarlyCallback,
                        None,
                        format!(
                            "callback #{call} (queued by call_srcu at {}) is invoked while {}, \
                             which began before that call_srcu, has not ended",
                            log.cite(call),
                            Self::describe_section(log, section)
                        ),
                    ));
                }
            }
            Op::CallSrcuDone { call } => {
                let cb = self.callbacks.entry(call).or_default();
                if cb.done {
                    self.callbacks.remove(&call);
                } else {
                    cb.queued = Some(at);
                    self.pending.insert(at, call);
                }
            }
            Op::CallbackDone { call } => {
                let cb = self.callbacks.entry(call).or_default();
                match cb.queued {
                    Some(queued) => {
                        self.pending.remove(&queued);
                        self.callbacks.remove(&call);
                    }
                    None => cb.done = true,
                }
            }
            Op::SrcuBarrierDone { start } => {
                let early = self
                    .pending
                    .first_key_value()
                    .filter(|(&queued, _)| queued < start);
                if let Some((&queued, &call)) = early {
                    return Err(log.violation_at(
                        at,
                        ViolationKind::EarlyBarrier,
                        None,
                        format!(
                            "srcu_barrier (called at {}) returns before callback #{call}, queued \
                             before it (at {}), has returned",
                            log.cite(start),
                            log.cite(queued)
                        ),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::SrcuOracle;
    use notifier_core::backend::JoinOps;
    use notifier_core::{Execution, Op, Std, Task, Violation, ViolationKind, ViolationPanic};
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::Arc;

    fn setup() -> (Arc<Execution>, Task) {
        let exec = Execution::new(vec![Box::new(SrcuOracle::new())]);
        let task = exec.main_task();
        (exec, task)
    }

    /// Records `op`, which must stop the execution; returns the violation.
    fn violates(exec: &Execution, task: &Task, op: Op) -> Violation {
        let payload = catch_unwind(AssertUnwindSafe(|| task.record(op)))
            .expect_err("the oracle must stop the execution");
        assert!(
            payload.is::<ViolationPanic>(),
            "stopped by something other than an oracle"
        );
        exec.violation().expect("a violation is recorded")
    }

    fn lock(task: &Task) -> usize {
        task.record(Op::SrcuReadLock { idx: 0, cpu: 0 })
    }

    fn unlock(task: &Task, section: usize) {
        task.record(Op::SrcuReadUnlock {
            idx: 0,
            cpu: 0,
            section,
        });
    }

    /// Queues a callback: returns (its `CallSrcu` index, its `CallSrcuDone` index).
    fn call_srcu(task: &Task) -> (usize, usize) {
        let call = task.record(Op::CallSrcu);
        (call, task.record(Op::CallSrcuDone { call }))
    }

    #[test]
    fn grace_period_that_waits_for_earlier_sections_is_clean() {
        let (exec, task) = setup();
        let s1 = lock(&task);
        let start = task.record(Op::SynchronizeSrcu);
        // A section that begins after synchronize_srcu was called need not be waited for.
        let s2 = lock(&task);
        unlock(&task, s1);
        task.record(Op::SynchronizeSrcuDone { start });
        unlock(&task, s2);
        exec.finish();
        assert_eq!(exec.violation(), None);
    }

    #[test]
    fn grace_period_ending_under_an_earlier_section_is_reported_at_its_end() {
        let (exec, task) = setup();
        let _f = task.enter("updater");
        let done_section = lock(&task);
        unlock(&task, done_section);
        let section = lock(&task);
        let start = task.record(Op::SynchronizeSrcu);
        let v = {
            let _h = task.enter_helper("synchronize_srcu");
            violates(&exec, &task, Op::SynchronizeSrcuDone { start })
        };
        assert_eq!(v.kind, ViolationKind::GracePeriod);
        assert_eq!(
            (v.function.as_str(), v.site.as_str()),
            ("updater", "synchronize_srcu")
        );
        assert_eq!(v.step, Some(start + 1));
        assert!(
            v.message.contains(&format!("step {section}")),
            "{}",
            v.message
        );
        assert!(
            v.message.contains(&format!("step {start}")),
            "{}",
            v.message
        );
    }

    #[test]
    fn violation_names_the_reader_thread() {
        let (exec, task) = setup();
        let section = {
            let t = task.spawn::<Std, _>("R", 0, lock);
            JoinOps::join(t)
        };
        let start = task.record(Op::SynchronizeSrcu);
        let v = violates(&exec, &task, Op::SynchronizeSrcuDone { start });
        assert_eq!(v.thread, "main");
        assert!(
            v.message.contains(&format!("R: top level, step {section}")),
            "{}",
            v.message
        );
    }

    #[test]
    fn callback_after_earlier_sections_ended_is_clean() {
        let (exec, task) = setup();
        let s1 = lock(&task);
        let (call, _) = call_srcu(&task);
        let s2 = lock(&task);
        unlock(&task, s1);
        task.record(Op::CallbackStart { call });
        task.record(Op::CallbackDone { call });
        unlock(&task, s2);
        assert_eq!(exec.violation(), None);
    }

    #[test]
    fn callback_invoked_under_an_earlier_section_is_an_early_callback() {
        let (exec, task) = setup();
        let section = lock(&task);
        let (call, _) = call_srcu(&task);
        let v = {
            let _f = task.enter_helper("process_srcu");
            violates(&exec, &task, Op::CallbackStart { call })
        };
        assert_eq!(v.kind, ViolationKind::EarlyCallback);
        assert_eq!(v.function, "process_srcu");
        assert!(
            v.message.contains(&format!("step {section}")),
            "{}",
            v.message
        );
    }

    #[test]
    fn barrier_after_every_earlier_callback_returned_is_clean() {
        let (exec, task) = setup();
        let (first, _) = call_srcu(&task);
        task.record(Op::CallbackStart { call: first });
        task.record(Op::CallbackDone { call: first });
        let start = task.record(Op::SrcuBarrier);
        // Queued after the barrier began: the barrier need not wait for it.
        let (later, _) = call_srcu(&task);
        task.record(Op::SrcuBarrierDone { start });
        task.record(Op::CallbackStart { call: later });
        task.record(Op::CallbackDone { call: later });
        assert_eq!(exec.violation(), None);
    }

    #[test]
    fn callback_done_before_call_srcu_returns_is_not_pending() {
        // The worker may run a callback between the enqueue and call_srcu's return.
        let (exec, task) = setup();
        let call = task.record(Op::CallSrcu);
        task.record(Op::CallbackStart { call });
        task.record(Op::CallbackDone { call });
        task.record(Op::CallSrcuDone { call });
        let start = task.record(Op::SrcuBarrier);
        task.record(Op::SrcuBarrierDone { start });
        assert_eq!(exec.violation(), None);
    }

    #[test]
    fn barrier_returning_before_an_earlier_callback_is_an_early_barrier() {
        let (exec, task) = setup();
        let (done, _) = call_srcu(&task);
        let (call, queued) = call_srcu(&task);
        task.record(Op::CallbackStart { call: done });
        task.record(Op::CallbackDone { call: done });
        task.record(Op::CallbackStart { call });
        let start = task.record(Op::SrcuBarrier);
        let v = violates(&exec, &task, Op::SrcuBarrierDone { start });
        assert_eq!(v.kind, ViolationKind::EarlyBarrier);
        assert_eq!(v.step, Some(start + 1));
        assert!(
            v.message.contains(&format!("callback #{call}")),
            "{}",
            v.message
        );
        assert!(
            v.message.contains(&format!("step {queued}")),
            "{}",
            v.message
        );
    }
}
