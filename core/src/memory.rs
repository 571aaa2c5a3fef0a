//! Kernel memory: objects that can be freed, and every access checked against the free.
//!
//! An object is never really deallocated during an execution (its Rust value lives as long as
//! any thread holds it); `kfree` *poisons* it. Each access records an [`Op::Access`] event, so
//! the memory oracle sees an access after the free in trace order (a use-after-free any checker
//! can show), a second free, and at the end every object never freed. Under loom each object
//! also carries a race-checked cell: every access reads it and the free writes it, so loom
//! reports an access that is merely *unordered* with the free (not ordered before it by
//! happens-before), even when it happened to run earlier.

use crate::backend::{Backend, RaceCell};
use crate::exec::Task;
use crate::trace::{ObjId, Op};

/// The allocation of one kernel object (a notifier, an `mm_struct`, a driver object).
pub struct KObj<B: Backend> {
    id: ObjId,
    live: B::Cell<()>,
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
        KObj { id, live: B::Cell::new(()) }
    }

    /// The object's id in the trace.
    pub fn id(&self) -> ObjId {
        self.id
    }

    /// Checks an access to `field` of this object, before the access is made.
    pub fn access(&self, cur: &Task, field: &'static str, write: bool) {
        cur.record(Op::Access { obj: self.id, field, write });
        // Pairs with the write in `kfree`: loom reports an access not ordered with the free.
        self.live.with(|_| ());
    }

    /// `kfree`: poisons the object; any later access is a use-after-free.
    pub fn kfree(&self, cur: &Task) {
        cur.record(Op::Free { obj: self.id });
        self.live.with_mut(|_| ());
    }
}
