//! `struct rw_semaphore`: `down_read`/`up_read`, `down_write`/`up_write`, modelled as the
//! backend's blocking reader-writer lock (readers share it, a writer excludes everyone; one
//! scheduling point at each acquisition).
//!
//! The model has two per mm: `mm->mmap_sem`, and the rmap locks that `mm_take_all_locks`
//! takes (see [`crate::mm`]).

use crate::backend::{Backend, RwLockOps};
use crate::exec::Task;
use crate::memory::KObj;
use crate::trace::{ObjId, Op};

/// A kernel rw_semaphore embedded in a kernel object (`mm->mmap_sem`).
pub struct RwSemaphore<B: Backend> {
    inner: B::RwLock,
    name: &'static str,
}

impl<B: Backend> std::fmt::Debug for RwSemaphore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// A write-held rw_semaphore; pass it to [`up_write`].
#[must_use = "a write-held rw_semaphore is released with up_write"]
pub struct RwSemWriteGuard<'a, B: Backend + 'a> {
    _guard: <B::RwLock as RwLockOps>::WriteGuard<'a>,
    name: &'static str,
    owner: ObjId,
}

/// A read-held rw_semaphore; pass it to [`up_read`].
#[must_use = "a read-held rw_semaphore is released with up_read"]
pub struct RwSemReadGuard<'a, B: Backend + 'a> {
    _guard: <B::RwLock as RwLockOps>::ReadGuard<'a>,
    name: &'static str,
    owner: ObjId,
}

impl<B: Backend> RwSemaphore<B> {
    /// An unlocked semaphore called `name` in traces (`mmap_sem`).
    pub fn new(name: &'static str) -> Self {
        RwSemaphore {
            inner: B::RwLock::new(),
            name,
        }
    }

    /// `down_write(&owner->sem)`: the semaphore lives in `owner`, so taking it touches `owner`.
    /// A thread blocked here is reported, in a deadlock, as waiting for this semaphore.
    pub fn down_write<'a>(&'a self, cur: &Task, owner: &KObj<B>) -> RwSemWriteGuard<'a, B> {
        let guard = cur.acquiring(owner.id(), self.name, || {
            owner.access(cur, self.name, true, || self.inner.write())
        });
        cur.record(Op::LockAcquired {
            obj: owner.id(),
            lock: self.name,
            call: "down_write",
        });
        RwSemWriteGuard {
            _guard: guard,
            name: self.name,
            owner: owner.id(),
        }
    }

    /// `down_read(&owner->sem)`.
    pub fn down_read<'a>(&'a self, cur: &Task, owner: &KObj<B>) -> RwSemReadGuard<'a, B> {
        let guard = cur.acquiring(owner.id(), self.name, || {
            owner.access(cur, self.name, false, || self.inner.read())
        });
        cur.record(Op::LockAcquired {
            obj: owner.id(),
            lock: self.name,
            call: "down_read",
        });
        RwSemReadGuard {
            _guard: guard,
            name: self.name,
            owner: owner.id(),
        }
    }
}

/// `up_write`.
pub fn up_write<B: Backend>(cur: &Task, guard: RwSemWriteGuard<'_, B>) {
    cur.record(Op::LockReleased {
        obj: guard.owner,
        lock: guard.name,
        call: "up_write",
    });
    drop(guard);
}

/// `up_read`.
pub fn up_read<B: Backend>(cur: &Task, guard: RwSemReadGuard<'_, B>) {
    cur.record(Op::LockReleased {
        obj: guard.owner,
        lock: guard.name,
        call: "up_read",
    });
    drop(guard);
}
