//! [`KBox`]: a kernel object that carries typed data (a `kmalloc`'d `struct`), every access to
//! its data checked.
//!
//! A [`KObj`] is an allocation with no contents: the model's own objects (notifiers,
//! `mm_struct`s) keep their fields in atomics and cells of their own and check each access
//! against the allocation. A protocol of one's own usually wants the contents too: a
//! configuration read by readers and replaced by an updater, a driver's state. A `KBox<B, T>`
//! is both: the allocation and a `T` in a race-checked cell, and its only way to the `T` is an
//! access of the allocation, so that every read and write of the data is
//!
//! - recorded in the trace as an access of the object's `field` (`load config A->threshold`),
//!   and judged by the memory oracle: an access after the `kfree` is a use-after-free, under
//!   every checker;
//! - under loom, checked by happens-before against the free (an access not ordered with the
//!   `kfree`, even one that ran earlier) and against the other accesses of the data (a write
//!   not ordered with another access of it is a data race), including the initialisation:
//!   a reader that reaches the object without synchronising with its creator (a publication
//!   without release) reads it racily.
//!
//! - under shuttle, a step of its own: a scheduling point precedes each access
//!   ([`Backend::plain_access`]), so another thread can run (and free the object)
//!   between a thread's load of a pointer to it and its access through that pointer.
//!
//! The data stays readable Rust memory after the `kfree` (the model poisons objects, it never
//! deallocates them), so a use-after-free is reported, never undefined behaviour.

use crate::backend::{Backend, RaceCell};
use crate::exec::Task;
use crate::memory::KObj;
use crate::trace::ObjId;

/// A kernel object carrying a `T`, every access to which is checked (see the module
/// documentation). Share it between the model's threads in an `Arc`.
pub struct KBox<B: Backend, T: Send + 'static> {
    obj: KObj<B>,
    data: B::Cell<T>,
}

impl<B: Backend, T: Send + 'static> std::fmt::Debug for KBox<B, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("KBox").field(&self.obj.id()).finish()
    }
}

impl<B: Backend, T: Send + 'static> KBox<B, T> {
    /// `kmalloc` and initialisation: allocates an object named `name` ("config A") holding
    /// `value`. The initialisation is a write of the data by the calling thread: another
    /// thread must be ordered after it (by a release/acquire publication, a lock, a spawn) to
    /// read it.
    pub fn kmalloc(cur: &Task, name: impl Into<String>, value: T) -> Self {
        KBox {
            obj: KObj::kmalloc(cur, name),
            data: B::Cell::new(value),
        }
    }

    /// Reads `field` of the data: `f` is given the data, and what it returns is returned.
    /// `f` must not call into the model (it runs inside the access).
    pub fn read<R>(&self, cur: &Task, field: &'static str, f: impl FnOnce(&T) -> R) -> R {
        B::plain_access();
        self.obj
            .access_plain(cur, field, false, || self.data.with(f))
    }

    /// Writes `field` of the data: `f` is given the data to change. `f` must not call into
    /// the model (it runs inside the access).
    pub fn write<R>(&self, cur: &Task, field: &'static str, f: impl FnOnce(&mut T) -> R) -> R {
        B::plain_access();
        self.obj
            .access_plain(cur, field, true, || self.data.with_mut(f))
    }

    /// `kfree`: poisons the object; any later access of its data is a use-after-free.
    pub fn kfree(&self, cur: &Task) {
        self.obj.kfree(cur);
    }

    /// The allocation, for accesses that are not of the data ([`KObj::access`] around an
    /// atomic or a lock that lives in the object, [`KObj::touch`]).
    pub fn obj(&self) -> &KObj<B> {
        &self.obj
    }

    /// The object's id in the trace.
    pub fn id(&self) -> ObjId {
        self.obj.id()
    }
}
