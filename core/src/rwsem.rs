//! `struct rw_semaphore`, write side only: `down_write`/`up_write`, modelled as the backend's
//! blocking mutex (no scenario takes it for reading).

use crate::backend::{Backend, MutexOps};
use crate::exec::Task;
use crate::memory::KObj;
use crate::trace::{ObjId, Op};

/// A kernel rw_semaphore embedded in a kernel object (`mm->mmap_sem`).
pub struct RwSemaphore<B: Backend> {
    inner: B::Mutex<()>,
    name: &'static str,
}

impl<B: Backend> std::fmt::Debug for RwSemaphore<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// A write-held rw_semaphore; pass it to [`up_write`].
#[must_use = "a write-held rw_semaphore is released with up_write"]
pub struct RwSemWriteGuard<'a, B: Backend> {
    _guard: <B::Mutex<()> as MutexOps<()>>::Guard<'a>,
    name: &'static str,
    owner: ObjId,
}

impl<B: Backend> RwSemaphore<B> {
    /// An unlocked semaphore called `name` in traces (`mm->mmap_sem`).
    pub fn new(name: &'static str) -> Self {
        RwSemaphore {
            inner: B::Mutex::new(()),
            name,
        }
    }

    /// `down_write(&owner->sem)`: the semaphore lives in `owner`, so taking it touches `owner`.
    pub fn down_write<'a>(&'a self, cur: &Task, owner: &KObj<B>) -> RwSemWriteGuard<'a, B> {
        let guard = cur.acquiring(owner.id(), self.name, || {
            owner.access(cur, self.name, true, || self.inner.lock())
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
