//! Kernel memory: objects that can be freed, and every access checked against the free.
//!
//! An object is never really deallocated during an execution (its Rust value lives as long as
//! any thread holds it); `kfree` *poisons* it. Two checks guard every access:
//!
//! 1. **Trace order** (every backend): the access is recorded as an [`Op::Access`] event
//!    *after* the operation, i.e. after its scheduling point, so the memory oracle judges the
//!    object as it is when the access really happens (a free by a thread that ran at that
//!    scheduling point is seen).
//! 2. **Happens-before** (loom): each object carries its [`Backend::Lifetime`]; every access
//!    is checked against it *before* the operation and the free checks every access. loom
//!    then reports an access that is not ordered with the free, even one that ran earlier.
//!    The check comes before the operation because a release operation (`mmdrop`'s
//!    `atomic_dec_and_test`) orders what precedes it, not itself.
//!
//! When loom reports such a race inside an access, the access has no event yet; a marker of
//! the access in progress (kept per OS thread: loom runs every model thread on the thread
//! that called it) lets the report name it. When loom reports it inside the free, the marker
//! names the free and the access the failing check was about: the latest access of the one
//! thread whose accesses are not all ordered before the free (see
//! [`crate::backend::LifetimeOps`]), not merely the latest access in the trace.
//!
//! Every access is also visible to every checker's scheduler: an atomic or lock operation is
//! a scheduling point of its own, and [`KObj::touch`] makes one ([`Backend::plain_access`]).

use crate::backend::{Backend, LifetimeOps};
use crate::exec::{AccessTag, PendingAccess, Task};
use crate::trace::{ObjId, Op};

/// The allocation of one kernel object (a notifier, an `mm_struct`, a driver object).
pub struct KObj<B: Backend> {
    id: ObjId,
    live: B::Lifetime<AccessTag>,
}

impl<B: Backend> std::fmt::Debug for KObj<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("KObj").field(&self.id).finish()
    }
}

impl<B: Backend> KObj<B> {
    /// `kmalloc`: allocates an object named `name` (e.g. "notifier A").
    pub fn kmalloc(cur: &Task, name: impl Into<String>) -> Self {
        let id = cur.exec().alloc(cur, name.into());
        KObj {
            id,
            live: LifetimeOps::new(),
        }
    }

    /// The object's id in the trace.
    pub fn id(&self) -> ObjId {
        self.id
    }

    /// Makes the access `op` to `field` of this object and checks it (see the module
    /// documentation). `op` is an atomic operation, a lock, or an access to a plain cell
    /// (`Backend::Cell`): each is a scheduling point under shuttle. For an access with no
    /// operation of its own, use [`KObj::touch`].
    pub fn access<R>(
        &self,
        cur: &Task,
        field: &'static str,
        write: bool,
        op: impl FnOnce() -> R,
    ) -> R {
        self.checked(cur, field, write, false, op)
    }

    /// A read or write of a plain field of this object (a race-checked `Backend::Cell`: no
    /// scheduling point under loom, one under shuttle): like [`KObj::access`], but a race loom
    /// reports inside `op` itself (the field not ordered after an earlier write of it) is also
    /// named as this access.
    pub fn access_plain<R>(
        &self,
        cur: &Task,
        field: &'static str,
        write: bool,
        op: impl FnOnce() -> R,
    ) -> R {
        self.checked(cur, field, write, true, op)
    }

    /// The access, with the marker of the access in progress kept during `op` when `op` is a
    /// plain cell access (`plain`): under loom it has no scheduling point, so no other thread
    /// of the model can see the marker (under shuttle, which has one, no race is reported).
    fn checked<R>(
        &self,
        cur: &Task,
        field: &'static str,
        write: bool,
        plain: bool,
        op: impl FnOnce() -> R,
    ) -> R {
        let pending = PendingAccess {
            obj: self.id,
            field,
            write,
        };
        cur.pending_access(Some(pending));
        // Pairs with the check in `kfree`: loom reports an access not ordered with the free.
        self.live
            .access(cur.id().0 as usize, || cur.access_tag(pending));
        if !plain {
            cur.pending_access(None);
        }
        let r = op();
        cur.pending_access(None);
        cur.record(Op::Access {
            obj: self.id,
            field,
            write,
        });
        r
    }

    /// A plain access to `field` with no operation of the model: driver code touching its
    /// own object, a `BUG_ON` that reads a counter. It is a scheduling point under shuttle (a
    /// free may come between a pointer load and this access), checked like any access.
    pub fn touch(&self, cur: &Task, field: &'static str, write: bool) {
        self.access(cur, field, write, B::plain_access);
    }

    /// `kfree`: poisons the object; any later access is a use-after-free.
    pub fn kfree(&self, cur: &Task) {
        let at = cur.record(Op::Free { obj: self.id });
        // A race reported here is located by the free and the access being checked.
        self.live
            .free(|culprit| cur.freeing(Some((self.id, at, culprit))));
        cur.freeing(None);
    }
}

#[cfg(test)]
mod tests {
    //! `kmalloc`, accesses and `kfree` in the trace the memory oracle judges: each access
    //! recorded once, after its operation, against its object; a free recorded as a free
    //! (a second free, or an access after it, is then in the trace for the oracle to see).

    use super::*;
    use crate::backend::Std;
    use crate::testing::{execution, ops};
    use crate::trace::ResolvedOp;

    fn access(obj: &str, field: &str, write: bool) -> ResolvedOp {
        Op::Access {
            obj: obj.into(),
            field: field.into(),
            write,
        }
    }

    #[test]
    fn kmalloc_names_each_object_and_records_its_allocation() {
        let (exec, cur) = execution();
        let a = KObj::<Std>::kmalloc(&cur, "notifier A");
        let b = KObj::<Std>::kmalloc(&cur, "mm");
        assert_eq!((a.id(), b.id()), (ObjId(0), ObjId(1)));
        assert_eq!(format!("{a:?}"), "KObj(ObjId(0))");
        assert_eq!(
            ops(&exec),
            [
                Op::Alloc {
                    obj: "notifier A".into()
                },
                Op::Alloc { obj: "mm".into() }
            ]
        );
    }

    #[test]
    fn an_access_runs_its_operation_once_and_is_recorded_after_it() {
        let (exec, cur) = execution();
        let a = KObj::<Std>::kmalloc(&cur, "A");
        let mut runs = 0;
        let v = a.access(&cur, "users", true, || {
            runs += 1;
            // The operation runs before its event: the trace holds only the allocation.
            assert_eq!(cur.exec().len(), 1);
            7
        });
        assert_eq!((v, runs), (7, 1));
        let w = a.access_plain(&cur, "data", false, || {
            assert_eq!(cur.exec().len(), 2);
            "read"
        });
        assert_eq!(w, "read");
        a.touch(&cur, "flags", false);
        a.touch(&cur, "flags", true);
        assert_eq!(
            ops(&exec)[1..],
            [
                access("A", "users", true),
                access("A", "data", false),
                access("A", "flags", false),
                access("A", "flags", true),
            ]
        );
    }

    #[test]
    fn kfree_records_the_free_and_later_accesses_and_frees_follow_it() {
        let (exec, cur) = execution();
        let a = KObj::<Std>::kmalloc(&cur, "A");
        let b = KObj::<Std>::kmalloc(&cur, "B");
        a.kfree(&cur);
        a.touch(&cur, "next", false);
        a.kfree(&cur);
        b.kfree(&cur);
        assert_eq!(
            ops(&exec)[2..],
            [
                Op::Free { obj: "A".into() },
                access("A", "next", false),
                Op::Free { obj: "A".into() },
                Op::Free { obj: "B".into() },
            ]
        );
    }
}
