//! `struct mutex`: a sleeping lock embedded in a kernel object, for driver code (a driver's
//! own lock, taken in its methods and around its calls into the core).

use crate::backend::{Backend, MutexOps};
use crate::exec::Task;
use crate::memory::KObj;
use crate::trace::{ObjId, Op};

/// A kernel mutex named `name`, embedded in a kernel object.
pub struct KMutex<B: Backend> {
    inner: B::Mutex<()>,
    name: &'static str,
}

impl<B: Backend> std::fmt::Debug for KMutex<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// A held mutex; pass it to [`mutex_unlock`].
#[must_use = "a mutex is released with mutex_unlock"]
pub struct KMutexGuard<'a, B: Backend> {
    _guard: <B::Mutex<()> as MutexOps<()>>::Guard<'a>,
    name: &'static str,
    owner: ObjId,
}

impl<B: Backend> KMutex<B> {
    /// An unlocked mutex called `name` in traces (`"mirror_lock"`). Create it inside the
    /// model's execution, like every shared object.
    pub fn new(name: &'static str) -> Self {
        KMutex {
            inner: B::Mutex::new(()),
            name,
        }
    }

    /// `mutex_lock(&owner->name)`: the mutex lives in `owner`, so taking it touches `owner`.
    /// A thread blocked here is reported, in a deadlock, as waiting for this mutex.
    pub fn mutex_lock<'a>(&'a self, cur: &Task, owner: &KObj<B>) -> KMutexGuard<'a, B> {
        let guard = cur.acquiring(owner.id(), self.name, || {
            owner.access(cur, self.name, true, || self.inner.lock())
        });
        cur.record(Op::LockAcquired {
            obj: owner.id(),
            lock: self.name,
            call: "mutex_lock",
        });
        KMutexGuard {
            _guard: guard,
            name: self.name,
            owner: owner.id(),
        }
    }
}

/// `mutex_unlock`.
pub fn mutex_unlock<B: Backend>(cur: &Task, guard: KMutexGuard<'_, B>) {
    cur.record(Op::LockReleased {
        obj: guard.owner,
        lock: guard.name,
        call: "mutex_unlock",
    });
    drop(guard);
}
