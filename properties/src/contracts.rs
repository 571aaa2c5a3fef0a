//! The notifier contracts of `mm/mmu_notifier.c`, as an oracle.
//!
//! 1. `__mmu_notifier_release(mm)` (exit) does not return while a `->release` of a notifier
//!    of that `mm`, started by `mmu_notifier_unregister`, is still running: exit's
//!    `synchronize_srcu` waits for it, so that exit does not free the pages under a driver
//!    still tearing down its mappings. A notifier of another `mm` is no concern of this exit
//!    (its `mm` is the one its registration recorded).
//! 2. After `mmu_notifier_unregister(mn)` returns, no method of `mn` runs (none is still
//!    running, none starts): the owner may free `mn`.
//! 3. `mm_count` never drops below the pins taken: an `mmdrop` that takes the count below zero
//!    is reported here. A pin still in use when the count reaches zero shows up as an access
//!    to the freed `mm_struct`, which the memory oracle reports as a use-after-free of `mm`.

use notifier_core::{Log, ObjId, Op, Oracle, Violation, ViolationKind};

/// Judges the notifier contracts. State: the driver methods running now, the `mm` each
/// notifier was registered on, and the notifiers whose `mmu_notifier_unregister` has
/// returned; all tiny.
#[derive(Debug, Default)]
pub struct ContractOracle {
    /// Open method invocations: (event index of `MethodStart`, notifier, started by
    /// `mmu_notifier_unregister`'s `->release`).
    running: Vec<(usize, ObjId, bool)>,
    /// Each registered notifier and its `mm` (`NotifierRegistered`, `NotifierGet`).
    homes: Vec<(ObjId, ObjId)>,
    /// Notifiers whose `mmu_notifier_unregister` has returned, with that event's index.
    unregistered: Vec<(ObjId, usize)>,
}

impl ContractOracle {
    /// A new oracle for one execution.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `notifier` was registered on `mm`. A notifier whose registration is not in the
    /// trace belongs to no `mm`: this contract never blames it (may hide a violation only for
    /// a notifier the model never registered, which no scenario has).
    fn lives_on(&self, notifier: ObjId, mm: ObjId) -> bool {
        self.homes.iter().any(|&(n, m)| n == notifier && m == mm)
    }
}

impl Oracle for ContractOracle {
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation> {
        let e = &log.events[at];
        match e.op {
            Op::MethodStart {
                notifier, method, ..
            } => {
                if let Some(&(_, done)) = self.unregistered.iter().find(|u| u.0 == notifier) {
                    let msg = format!(
                        "->{method} of {} starts after mmu_notifier_unregister returned ({})",
                        log.names.object(notifier),
                        log.cite(done)
                    );
                    return Err(log.violation_at(at, ViolationKind::Contract, Some(notifier), msg));
                }
                let by_unregister = method == "release" && e.function == "mmu_notifier_unregister";
                self.running.push((at, notifier, by_unregister));
            }
            Op::MethodDone { start } => self.running.retain(|r| r.0 != start),
            Op::NotifierRegistered { notifier, mm, .. }
            | Op::NotifierGet {
                notifier,
                mm,
                registered: true,
                ..
            } => self.homes.push((notifier, mm)),
            Op::Return {
                function: "__mmu_notifier_release",
                obj: mm,
            } => {
                let of_this_mm = self.running.iter().find(|r| r.2 && self.lives_on(r.1, mm));
                if let Some(&(start, notifier, _)) = of_this_mm {
                    let msg = format!(
                        "exit returns while ->release of {}, started by mmu_notifier_unregister \
                         ({}), is still running",
                        log.names.object(notifier),
                        log.cite(start)
                    );
                    return Err(log.violation_at(at, ViolationKind::Contract, Some(notifier), msg));
                }
            }
            Op::Return {
                function: "mmu_notifier_unregister",
                obj,
            } => {
                if let Some(&(start, _, _)) = self.running.iter().find(|r| r.1 == obj) {
                    let msg = format!(
                        "mmu_notifier_unregister({name}) returns while a method of {name} is \
                         still running ({})",
                        log.cite(start),
                        name = log.names.object(obj)
                    );
                    return Err(log.violation_at(at, ViolationKind::Contract, Some(obj), msg));
                }
                self.unregistered.push((obj, at));
            }
            Op::MmDrop { mm, count } if count == usize::MAX => {
                let msg = format!("mmdrop({}) without a pin: mm_count drops below zero", {
                    log.names.object(mm)
                });
                return Err(log.violation_at(at, ViolationKind::Contract, Some(mm), msg));
            }
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notifier_core::{Execution, Task, ViolationPanic};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn judged(f: impl FnOnce(&Task, ObjId, ObjId)) -> Option<Violation> {
        let exec = Execution::new(vec![Box::new(ContractOracle::new())]);
        let main = exec.main_task();
        let mm = exec.alloc(&main, "mm".into());
        let a = exec.alloc(&main, "notifier A".into());
        let r = catch_unwind(AssertUnwindSafe(|| f(&main, mm, a)));
        if let Err(p) = r {
            assert!(
                p.is::<ViolationPanic>(),
                "only violations may stop the execution"
            );
        }
        exec.violation()
    }

    #[test]
    fn a_method_after_unregister_returned_is_reported() {
        let v = judged(|t, _, a| {
            let _f = t.enter("mmu_notifier_unregister");
            t.record(Op::Return {
                function: "mmu_notifier_unregister",
                obj: a,
            });
            drop(_f);
            let _w = t.enter("__mmu_notifier_invalidate_range_start");
            t.record(Op::MethodStart {
                notifier: a,
                method: "invalidate_range_start",
                ops: 0,
            });
        })
        .expect("violation");
        assert_eq!(v.kind, ViolationKind::Contract);
        assert_eq!(v.function, "__mmu_notifier_invalidate_range_start");
        assert_eq!(v.object.as_deref(), Some("notifier A"));
    }

    #[test]
    fn unregister_returning_while_a_method_runs_is_reported() {
        let v = judged(|t, _, a| {
            let s = t.record(Op::MethodStart {
                notifier: a,
                method: "invalidate_range_start",
                ops: 0,
            });
            let _f = t.enter("mmu_notifier_unregister");
            t.record(Op::Return {
                function: "mmu_notifier_unregister",
                obj: a,
            });
            t.record(Op::MethodDone { start: s });
        })
        .expect("violation");
        assert_eq!(v.function, "mmu_notifier_unregister");
        assert!(v.message.contains("still running"), "{}", v.message);
    }

    /// `mmu_notifier_register(a, mm)` as the core records it.
    fn register(t: &Task, a: ObjId, mm: ObjId) {
        t.record(Op::NotifierRegistered {
            notifier: a,
            mm,
            ops: 0,
            users: None,
        });
    }

    /// `mmu_notifier_unregister(a)` starts `a->ops->release`; exit of `exiting` returns
    /// before that release is done.
    fn exit_under_unregisters_release(t: &Task, exiting: ObjId, a: ObjId) {
        let f = t.enter("mmu_notifier_unregister");
        let s = t.record(Op::MethodStart {
            notifier: a,
            method: "release",
            ops: 0,
        });
        drop(f);
        let _e = t.enter("__mmu_notifier_release");
        t.record(Op::Return {
            function: "__mmu_notifier_release",
            obj: exiting,
        });
        t.record(Op::MethodDone { start: s });
    }

    /// The contract is about the notifiers of the exiting mm: A lives on another mm, so exit
    /// of `mm` owes nothing to A's release (the fuzzer's false alarm, kept as
    /// `models/catalog/scenarios/exit-other-mm-unregister.toml`).
    #[test]
    fn exit_of_another_mm_under_unregisters_release_is_no_violation() {
        let exec = Execution::new(vec![Box::new(ContractOracle::new())]);
        let main = exec.main_task();
        let mm0 = exec.alloc(&main, "mm0".into());
        let mm1 = exec.alloc(&main, "mm1".into());
        let a = exec.alloc(&main, "notifier A".into());
        register(&main, a, mm1);
        exit_under_unregisters_release(&main, mm0, a);
        assert_eq!(exec.violation(), None);
    }

    /// Only a `->release` that `mmu_notifier_unregister` started is owed to exit: exit's own
    /// `->release` calls, and other methods inside `mmu_notifier_unregister`, are not.
    #[test]
    fn only_unregisters_release_is_owed_to_exit() {
        for (function, method) in [
            ("__mmu_notifier_release", "release"),
            ("mmu_notifier_unregister", "invalidate_range_start"),
        ] {
            let v = judged(|t, mm, a| {
                register(t, a, mm);
                let f = t.enter(function);
                let s = t.record(Op::MethodStart {
                    notifier: a,
                    method,
                    ops: 0,
                });
                drop(f);
                t.record(Op::Return {
                    function: "__mmu_notifier_release",
                    obj: mm,
                });
                t.record(Op::MethodDone { start: s });
            });
            assert_eq!(v, None, "->{method} in {function}");
        }
    }

    #[test]
    fn exit_returning_under_unregisters_release_is_reported() {
        let v = judged(|t, mm, a| {
            register(t, a, mm);
            exit_under_unregisters_release(t, mm, a);
        })
        .expect("violation");
        assert_eq!(v.function, "__mmu_notifier_release");
        assert_eq!(v.object.as_deref(), Some("notifier A"));
    }

    #[test]
    fn an_mmdrop_below_zero_is_reported_and_a_clean_sequence_is_not() {
        let v = judged(|t, mm, _| {
            t.record(Op::MmDrop {
                mm,
                count: usize::MAX,
            });
        })
        .expect("violation");
        assert!(v.message.contains("without a pin"), "{}", v.message);

        let clean = judged(|t, mm, a| {
            let f = t.enter("mmu_notifier_unregister");
            let s = t.record(Op::MethodStart {
                notifier: a,
                method: "release",
                ops: 0,
            });
            t.record(Op::MethodDone { start: s });
            t.record(Op::Return {
                function: "mmu_notifier_unregister",
                obj: a,
            });
            drop(f);
            let _e = t.enter("__mmu_notifier_release");
            t.record(Op::Return {
                function: "__mmu_notifier_release",
                obj: mm,
            });
            t.record(Op::MmDrop { mm, count: 0 });
        });
        assert_eq!(clean, None);
    }
}
