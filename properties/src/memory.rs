//! The memory oracle: kernel objects are used only while allocated, freed once, and never
//! leaked.

use notifier_core::{Log, ObjId, Op, Oracle, Violation, ViolationKind};

/// The life of one kernel object, as the trace has shown it so far.
#[derive(Debug, Clone, Copy)]
enum Life {
    /// `kmalloc` recorded at this event; not freed yet.
    Live { alloc: usize },
    /// `kfree` recorded at this event.
    Freed { free: usize },
}

/// Judges `kmalloc`/`kfree` and every access in between:
/// - an access to a freed object is a [`ViolationKind::UseAfterFree`], located at the access;
/// - a second `kfree` is a [`ViolationKind::DoubleFree`], located at the second free;
/// - an object still allocated when the execution ends is a [`ViolationKind::Leak`], located
///   at its allocation.
///
/// It sees the order in which events were recorded, so it catches an access that comes after
/// the free in that order under every backend. An access that is merely *unordered* with the
/// free (earlier in the trace, but not ordered before the free by happens-before) is loom's to
/// report, through the race-checked cell every kernel object carries.
///
/// The state is one entry per object, updated in constant time per event.
#[derive(Debug, Default)]
pub struct MemoryOracle {
    /// Indexed by [`ObjId`]; `None` for an id whose `kmalloc` has not been recorded yet (two
    /// threads may register objects and record their allocations in either order).
    objects: Vec<Option<Life>>,
}

impl MemoryOracle {
    /// A new oracle for one execution.
    pub fn new() -> Self {
        Self::default()
    }

    fn life(&self, obj: ObjId) -> Option<Life> {
        self.objects.get(obj.0 as usize).copied().flatten()
    }

    fn set(&mut self, obj: ObjId, life: Life) {
        let i = obj.0 as usize;
        if self.objects.len() <= i {
            self.objects.resize(i + 1, None);
        }
        self.objects[i] = Some(life);
    }
}

impl Oracle for MemoryOracle {
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation> {
        match log.events[at].op {
            Op::Alloc { obj } => self.set(obj, Life::Live { alloc: at }),
            Op::Access { obj, field, write } => {
                if let Some(Life::Freed { free }) = self.life(obj) {
                    let name = log.names.object(obj);
                    let verb = if write { "store to" } else { "load of" };
                    let mut v = log.violation_at(
                        at,
                        ViolationKind::UseAfterFree,
                        Some(obj),
                        format!(
                            "{verb} {name}->{field} after {name} was freed ({})",
                            log.cite(free)
                        ),
                    );
                    v.cause = Some(log.free_cause(free));
                    return Err(v);
                }
            }
            Op::Free { obj } => match self.life(obj) {
                Some(Life::Freed { free }) => {
                    let name = log.names.object(obj);
                    let mut v = log.violation_at(
                        at,
                        ViolationKind::DoubleFree,
                        Some(obj),
                        format!("{name} is freed again; it was freed at {}", log.cite(free)),
                    );
                    v.cause = Some(log.free_cause(free));
                    return Err(v);
                }
                Some(Life::Live { .. }) => self.set(obj, Life::Freed { free: at }),
                // `KObj::kmalloc` records the allocation before the handle exists, so this is
                // a model that forged an object: report it rather than panic under the lock.
                None => {
                    return Err(log.violation_at(
                        at,
                        ViolationKind::Panic,
                        Some(obj),
                        format!(
                            "kfree of {}, whose kmalloc was never recorded",
                            log.names.object(obj)
                        ),
                    ));
                }
            },
            _ => {}
        }
        Ok(())
    }

    fn at_end(&mut self, log: &Log<'_>) -> Result<(), Violation> {
        let leaked = self
            .objects
            .iter()
            .enumerate()
            .find_map(|(i, life)| match life {
                Some(Life::Live { alloc }) => Some((ObjId(i as u32), *alloc)),
                _ => None,
            });
        match leaked {
            Some((obj, alloc)) => Err(log.violation_at(
                alloc,
                ViolationKind::Leak,
                Some(obj),
                format!(
                    "{} (allocated at {}) is never freed",
                    log.names.object(obj),
                    log.cite(alloc)
                ),
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MemoryOracle;
    use notifier_core::{Execution, ObjId, Op, Task, ViolationKind, ViolationPanic};
    use std::panic::{catch_unwind, AssertUnwindSafe};
    use std::sync::Arc;

    fn setup() -> (Arc<Execution>, Task) {
        let exec = Execution::new(vec![Box::new(MemoryOracle::new())]);
        let task = exec.main_task();
        (exec, task)
    }

    /// Runs `f`, which must stop the execution with a violation.
    fn stops(exec: &Execution, f: impl FnOnce()) {
        let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("the oracle must stop it");
        assert!(
            payload.is::<ViolationPanic>(),
            "stopped by something other than an oracle"
        );
        assert!(exec.violation().is_some());
    }

    fn access(obj: ObjId, write: bool) -> Op {
        Op::Access {
            obj,
            field: "data",
            write,
        }
    }

    #[test]
    fn use_while_allocated_then_free_is_clean() {
        let (exec, task) = setup();
        let _f = task.enter("owner");
        let x = exec.alloc(&task, "object X".into());
        task.record(access(x, true));
        task.record(access(x, false));
        task.record(Op::Free { obj: x });
        exec.finish();
        assert_eq!(exec.violation(), None);
    }

    #[test]
    fn access_after_free_is_a_use_after_free_at_the_access() {
        let (exec, task) = setup();
        let x = exec.alloc(&task, "object X".into());
        let free = {
            let _f = task.enter("put_object");
            task.record(Op::Free { obj: x })
        };
        let _f = task.enter("use_object");
        stops(&exec, || {
            task.record(access(x, false));
        });
        let v = exec.violation().unwrap();
        assert_eq!(v.kind, ViolationKind::UseAfterFree);
        assert_eq!(v.object.as_deref(), Some("object X"));
        assert_eq!(v.function, "use_object");
        assert_eq!(v.thread, "main");
        assert_eq!(v.step, Some(free + 1));
        assert!(v.message.contains("object X->data"), "{}", v.message);
        assert!(
            v.message.contains(&format!("put_object, step {free}")),
            "{}",
            v.message
        );
    }

    #[test]
    fn second_free_is_a_double_free_at_the_second_free() {
        let (exec, task) = setup();
        let _f = task.enter("put_object");
        let x = exec.alloc(&task, "object X".into());
        let first = task.record(Op::Free { obj: x });
        stops(&exec, || {
            task.record(Op::Free { obj: x });
        });
        let v = exec.violation().unwrap();
        assert_eq!(v.kind, ViolationKind::DoubleFree);
        assert_eq!(v.object.as_deref(), Some("object X"));
        assert_eq!(v.step, Some(first + 1));
        assert!(
            v.message.contains(&format!("step {first}")),
            "{}",
            v.message
        );
    }

    #[test]
    fn object_never_freed_is_a_leak_at_its_allocation() {
        let (exec, task) = setup();
        let a = exec.alloc(&task, "object A".into());
        let alloc_b = {
            let _f = task.enter("make_object");
            exec.alloc(&task, "object B".into());
            exec.len() - 1
        };
        task.record(Op::Free { obj: a });
        stops(&exec, || exec.finish());
        let v = exec.violation().unwrap();
        assert_eq!(v.kind, ViolationKind::Leak);
        assert_eq!(v.object.as_deref(), Some("object B"));
        assert_eq!(v.function, "make_object");
        assert_eq!(v.step, Some(alloc_b));
    }

    #[test]
    fn free_of_an_object_never_allocated_is_a_model_error() {
        let (exec, task) = setup();
        stops(&exec, || {
            task.record(Op::Free { obj: ObjId(0) });
        });
        assert_eq!(exec.violation().unwrap().kind, ViolationKind::Panic);
    }

    #[test]
    fn objects_allocated_out_of_id_order_are_tracked() {
        // Two threads may register objects and record their allocations in either order.
        let (exec, task) = setup();
        let late = ObjId(3);
        task.record(Op::Alloc { obj: late });
        task.record(access(late, true));
        task.record(Op::Free { obj: late });
        stops(&exec, || {
            task.record(access(late, false));
        });
        assert_eq!(exec.violation().unwrap().kind, ViolationKind::UseAfterFree);
    }
}
