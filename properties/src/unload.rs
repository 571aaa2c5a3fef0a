//! Module unload: once a driver's module is unloaded, its code is gone. Any later call into it
//! (a method, `alloc_notifier`, `free_notifier`) is a [`ViolationKind::CallAfterUnload`],
//! located at the call.

use notifier_core::{Log, Op, Oracle, Violation, ViolationKind};
use std::collections::HashMap;

/// Judges calls into drivers against their module's unload.
#[derive(Debug, Default)]
pub struct UnloadOracle {
    /// Unloaded drivers (ops index) and the event that unloaded each.
    unloaded: HashMap<usize, usize>,
}

impl UnloadOracle {
    /// A new oracle for one execution.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Oracle for UnloadOracle {
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation> {
        let (ops, method, notifier) = match log.events[at].op {
            Op::ModuleUnload { ops } => {
                self.unloaded.entry(ops).or_insert(at);
                return Ok(());
            }
            Op::MethodStart {
                notifier,
                method,
                ops,
            } => (ops, method, Some(notifier)),
            Op::DriverCall { ops, method } => (ops, method, None),
            _ => return Ok(()),
        };
        let Some(&unload) = self.unloaded.get(&ops) else {
            return Ok(());
        };
        let target = notifier.map_or(String::new(), |n| format!(" of {}", log.names.object(n)));
        Err(log.violation_at(
            at,
            ViolationKind::CallAfterUnload,
            notifier,
            format!(
                "->{method}{target} calls into driver ops #{ops}, whose module was unloaded at {}",
                log.cite(unload)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notifier_core::{Execution, ObjId, Task, ViolationPanic};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn judged(f: impl FnOnce(&Task, ObjId)) -> Option<Violation> {
        let exec = Execution::new(vec![Box::new(UnloadOracle::new())]);
        let main = exec.main_task();
        let a = exec.alloc(&main, "notifier A".into());
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| f(&main, a))) {
            assert!(p.is::<ViolationPanic>(), "only violations may stop it");
        }
        exec.violation()
    }

    fn method(t: &Task, a: ObjId, ops: usize) {
        t.record(Op::MethodStart {
            notifier: a,
            method: "free_notifier",
            ops,
        });
    }

    #[test]
    fn a_call_into_an_unloaded_driver_is_reported_at_the_call() {
        let v = judged(|t, a| {
            method(t, a, 0);
            t.record(Op::ModuleUnload { ops: 0 });
            let _f = t.enter_helper("mmu_notifier_free_rcu");
            method(t, a, 0);
        })
        .expect("violation");
        assert_eq!(v.kind, ViolationKind::CallAfterUnload);
        assert_eq!(v.site, "mmu_notifier_free_rcu");
        assert_eq!(v.object.as_deref(), Some("notifier A"));
        let alloc = judged(|t, _| {
            t.record(Op::ModuleUnload { ops: 1 });
            t.record(Op::DriverCall {
                ops: 1,
                method: "alloc_notifier",
            });
        })
        .expect("violation");
        assert_eq!(alloc.kind, ViolationKind::CallAfterUnload);
    }

    #[test]
    fn calls_into_other_drivers_are_clean() {
        let v = judged(|t, a| {
            t.record(Op::ModuleUnload { ops: 1 });
            method(t, a, 0);
        });
        assert_eq!(v, None);
    }
}
