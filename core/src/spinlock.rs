//! `spinlock_t`, modelled as the backend's blocking mutex (a spinning lock multiplies loom's
//! state space without showing anything a blocking one does not).

use crate::backend::{Backend, MutexOps};
use crate::exec::Task;
use crate::memory::KObj;
use crate::trace::{ObjId, Op};

/// A kernel spinlock embedded in a kernel object.
pub struct SpinLock<B: Backend> {
    inner: B::Mutex<()>,
}

impl<B: Backend> std::fmt::Debug for SpinLock<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpinLock")
    }
}

impl<B: Backend> Default for SpinLock<B> {
    fn default() -> Self {
        SpinLock {
            inner: B::Mutex::new(()),
        }
    }
}

/// A held spinlock; pass it to [`spin_unlock`].
#[must_use = "a spinlock is released with spin_unlock"]
pub struct SpinGuard<'a, B: Backend> {
    _guard: <B::Mutex<()> as MutexOps<()>>::Guard<'a>,
    obj: ObjId,
}

impl<B: Backend> SpinLock<B> {
    /// `spin_lock(&owner->lock)`: the lock lives in `owner`, so taking it touches `owner`.
    pub fn spin_lock<'a>(&'a self, cur: &Task, owner: &KObj<B>) -> SpinGuard<'a, B> {
        let guard = cur.acquiring(owner.id(), "lock", || {
            owner.access(cur, "lock", true, || self.inner.lock())
        });
        cur.record(Op::SpinLock { obj: owner.id() });
        SpinGuard {
            _guard: guard,
            obj: owner.id(),
        }
    }
}

/// `spin_unlock`.
pub fn spin_unlock<B: Backend>(cur: &Task, guard: SpinGuard<'_, B>) {
    cur.record(Op::SpinUnlock { obj: guard.obj });
    drop(guard);
}
