//! loom: exhaustive exploration of interleavings under the C11 memory model (minus load
//! buffering), with race detection on plain cells.

use super::{
    AtomicBoolOps, AtomicUsizeOps, Backend, JoinOps, MutexOps, Ordering, RaceCell, RwLockOps,
    ThreadOps,
};

/// The loom backend. Its types panic when used outside `loom::model`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loom;

impl Backend for Loom {
    const NAME: &'static str = "loom";
    // loom's own branch limit ends a wait that can never finish.
    const REAL_THREADS: bool = false;
    const SPIN_LIMIT: Option<u64> = None;

    type AtomicUsize = loom::sync::atomic::AtomicUsize;
    type AtomicBool = loom::sync::atomic::AtomicBool;
    type Mutex<T: Send + 'static> = loom::sync::Mutex<T>;
    type RwLock = loom::sync::RwLock<()>;
    type Cell<T: Send + 'static> = LoomCell<T>;
    type JoinHandle<T: Send + 'static> = loom::thread::JoinHandle<T>;
    type Thread = loom::thread::Thread;

    fn spawn<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        loom::thread::spawn(f)
    }

    fn yield_now() {
        loom::thread::yield_now();
    }

    fn fence(order: Ordering) {
        loom::sync::atomic::fence(order);
    }

    fn current() -> Self::Thread {
        loom::thread::current()
    }

    // A parked thread is blocked: loom schedules it nowhere until it is unparked, where a
    // polling loop would be a scheduling point (and a dependent access) at every iteration.
    fn park() {
        loom::thread::park();
    }
}

impl ThreadOps for loom::thread::Thread {
    fn unpark(&self) {
        loom::thread::Thread::unpark(self);
    }
}

impl AtomicUsizeOps for loom::sync::atomic::AtomicUsize {
    fn new(v: usize) -> Self {
        loom::sync::atomic::AtomicUsize::new(v)
    }
    fn load(&self, order: Ordering) -> usize {
        loom::sync::atomic::AtomicUsize::load(self, order)
    }
    fn store(&self, v: usize, order: Ordering) {
        loom::sync::atomic::AtomicUsize::store(self, v, order)
    }
    fn fetch_add(&self, v: usize, order: Ordering) -> usize {
        loom::sync::atomic::AtomicUsize::fetch_add(self, v, order)
    }
    fn fetch_sub(&self, v: usize, order: Ordering) -> usize {
        loom::sync::atomic::AtomicUsize::fetch_sub(self, v, order)
    }
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        loom::sync::atomic::AtomicUsize::compare_exchange(self, current, new, success, failure)
    }
}

impl AtomicBoolOps for loom::sync::atomic::AtomicBool {
    fn new(v: bool) -> Self {
        loom::sync::atomic::AtomicBool::new(v)
    }
    fn load(&self, order: Ordering) -> bool {
        loom::sync::atomic::AtomicBool::load(self, order)
    }
    fn store(&self, v: bool, order: Ordering) {
        loom::sync::atomic::AtomicBool::store(self, v, order)
    }
}

impl<T: Send + 'static> MutexOps<T> for loom::sync::Mutex<T> {
    type Guard<'a> = loom::sync::MutexGuard<'a, T>;
    fn new(v: T) -> Self {
        loom::sync::Mutex::new(v)
    }
    fn lock(&self) -> Self::Guard<'_> {
        loom::sync::Mutex::lock(self).unwrap_or_else(|e| e.into_inner())
    }
}

/// loom's `UnsafeCell`: every read and write is checked against happens-before.
#[derive(Debug)]
pub struct LoomCell<T>(loom::cell::UnsafeCell<T>);

// SAFETY: loom checks every access for causality and panics before a racing access is made, and
// loom runs one model thread at a time, so no two accesses overlap.
unsafe impl<T: Send> Sync for LoomCell<T> {}

impl<T: Send + 'static> RaceCell<T> for LoomCell<T> {
    fn new(v: T) -> Self {
        LoomCell(loom::cell::UnsafeCell::new(v))
    }
    fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // SAFETY: see the `Sync` impl: loom has checked this read against every write.
        self.0.with(|p| f(unsafe { &*p }))
    }
    fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        // SAFETY: see the `Sync` impl: loom has checked this write against every access.
        self.0.with_mut(|p| f(unsafe { &mut *p }))
    }
}

impl RwLockOps for loom::sync::RwLock<()> {
    type ReadGuard<'a> = loom::sync::RwLockReadGuard<'a, ()>;
    type WriteGuard<'a> = loom::sync::RwLockWriteGuard<'a, ()>;
    fn new() -> Self {
        loom::sync::RwLock::new(())
    }
    fn read(&self) -> Self::ReadGuard<'_> {
        loom::sync::RwLock::read(self).unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> Self::WriteGuard<'_> {
        loom::sync::RwLock::write(self).unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Send + 'static> JoinOps<T> for loom::thread::JoinHandle<T> {
    fn join(self) -> T {
        match loom::thread::JoinHandle::join(self) {
            Ok(v) => v,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}
