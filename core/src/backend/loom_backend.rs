//! loom: exhaustive exploration of interleavings under the C11 memory model (minus load
//! buffering), with race detection on plain cells.
//!
//! Atomics and mutexes are loom's, each with a name for [`super::mazurkiewicz`], which
//! records their operations when `bench` counts distinct traces (otherwise the name is 0 and
//! nothing is recorded).

use super::mazurkiewicz::{self, Kind};
use super::{
    lock_std, AtomicBoolOps, AtomicUsizeOps, Backend, JoinOps, LifetimeOps, MutexOps, Ordering,
    RaceCell, RwLockOps, ThreadOps,
};

/// The loom backend. Its types panic when used outside `loom::model`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Loom;

impl Backend for Loom {
    const NAME: &'static str = "loom";
    // loom's own branch limit ends a wait that can never finish.
    const MAX_THREADS: usize = 5;
    const REAL_THREADS: bool = false;
    const SPIN_LIMIT: Option<u64> = None;

    type AtomicUsize = LoomAtomicUsize;
    type AtomicBool = LoomAtomicBool;
    type Mutex<T: Send + 'static> = LoomMutex<T>;
    type RwLock = LoomRwLock;
    type Cell<T: Send + 'static> = LoomCell<T>;
    type OwnedCell<T: Send + 'static> = LoomCell<T>;
    type Lifetime<Tag: Copy + Send + 'static> = LoomLifetime<Tag>;
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

    // No branch: the race detector (`LoomCell`, `LoomLifetime`) checks the access instead.
    fn plain_access() {}

    fn fence(order: Ordering) {
        loom::sync::atomic::fence(order);
    }

    fn current() -> Self::Thread {
        loom::thread::current()
    }

    // A parked thread is blocked: loom schedules it nowhere until it is unparked, where a
    // polling loop would be a scheduling point (and a dependent access) at every iteration.
    fn park() {
        mazurkiewicz::record_park();
        loom::thread::park();
    }
}

impl ThreadOps for loom::thread::Thread {
    fn unpark(&self) {
        mazurkiewicz::record_unpark(self.id());
        loom::thread::Thread::unpark(self);
    }
}

/// loom's `AtomicUsize`, named for [`mazurkiewicz`].
#[derive(Debug)]
pub struct LoomAtomicUsize {
    inner: loom::sync::atomic::AtomicUsize,
    name: u64,
}

impl LoomAtomicUsize {
    fn rmw(&self, old: usize) -> usize {
        mazurkiewicz::record(self.name, Kind::Rmw, old as u64);
        old
    }
}

impl AtomicUsizeOps for LoomAtomicUsize {
    fn new(v: usize) -> Self {
        LoomAtomicUsize {
            inner: loom::sync::atomic::AtomicUsize::new(v),
            name: mazurkiewicz::new_object(),
        }
    }
    fn load(&self, order: Ordering) -> usize {
        let v = self.inner.load(order);
        mazurkiewicz::record(self.name, Kind::Load, v as u64);
        v
    }
    fn store(&self, v: usize, order: Ordering) {
        self.inner.store(v, order);
        mazurkiewicz::record(self.name, Kind::Store, v as u64);
    }
    fn fetch_add(&self, v: usize, order: Ordering) -> usize {
        self.rmw(self.inner.fetch_add(v, order))
    }
    fn fetch_sub(&self, v: usize, order: Ordering) -> usize {
        self.rmw(self.inner.fetch_sub(v, order))
    }
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        let r = self.inner.compare_exchange(current, new, success, failure);
        // A failed compare-exchange is a load.
        let (kind, v) = match r {
            Ok(v) => (Kind::Rmw, v),
            Err(v) => (Kind::Load, v),
        };
        mazurkiewicz::record(self.name, kind, v as u64);
        r
    }
}

/// loom's `AtomicBool`, named for [`mazurkiewicz`].
#[derive(Debug)]
pub struct LoomAtomicBool {
    inner: loom::sync::atomic::AtomicBool,
    name: u64,
}

impl AtomicBoolOps for LoomAtomicBool {
    fn new(v: bool) -> Self {
        LoomAtomicBool {
            inner: loom::sync::atomic::AtomicBool::new(v),
            name: mazurkiewicz::new_object(),
        }
    }
    fn load(&self, order: Ordering) -> bool {
        let v = self.inner.load(order);
        mazurkiewicz::record(self.name, Kind::Load, u64::from(v));
        v
    }
    fn store(&self, v: bool, order: Ordering) {
        self.inner.store(v, order);
        mazurkiewicz::record(self.name, Kind::Store, u64::from(v));
    }
    fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        let r = self.inner.compare_exchange(current, new, success, failure);
        // A failed compare-exchange is a load.
        let (kind, v) = match r {
            Ok(v) => (Kind::Rmw, v),
            Err(v) => (Kind::Load, v),
        };
        mazurkiewicz::record(self.name, kind, u64::from(v));
        r
    }
}

/// loom's `Mutex`, named for [`mazurkiewicz`].
#[derive(Debug)]
pub struct LoomMutex<T> {
    inner: loom::sync::Mutex<T>,
    name: u64,
}

impl<T: Send + 'static> MutexOps<T> for LoomMutex<T> {
    type Guard<'a> = loom::sync::MutexGuard<'a, T>;
    fn new(v: T) -> Self {
        LoomMutex {
            inner: loom::sync::Mutex::new(v),
            name: mazurkiewicz::new_object(),
        }
    }
    fn lock(&self) -> Self::Guard<'_> {
        let guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        mazurkiewicz::record(self.name, Kind::Lock, 0);
        guard
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

/// An object's lifetime under loom's race detector.
///
/// loom checks a cell's write against the *join* of every earlier read's clock, and names at
/// most a component of that join, not the access. So each model thread that accesses the
/// object gets a cell of its own, read at each of its accesses; the free writes each thread's
/// cell in turn (after telling the caller whose), and the first check that fails names the
/// thread, whose latest access is the one not ordered before the free (a thread's accesses
/// are ordered among themselves, so if its latest is ordered before the free, all are). A
/// cell every access reads and the free writes last checks each access made *after* the free
/// in the trace, including by a thread whose own cell did not exist yet at the free.
///
/// Cell reads and writes are not branch points: this adds no execution to loom's search.
pub struct LoomLifetime<Tag> {
    all: loom::cell::UnsafeCell<()>,
    threads: std::sync::Mutex<Vec<ThreadAccesses<Tag>>>,
}

/// One thread's accesses to an object: its cell, and the tag of its latest access.
struct ThreadAccesses<Tag> {
    thread: usize,
    latest: Tag,
    cell: loom::cell::UnsafeCell<()>,
}

impl<Tag> std::fmt::Debug for LoomLifetime<Tag> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoomLifetime")
    }
}

// SAFETY: the cells hold `()` and are only used for loom's causality checks; loom runs one
// model thread at a time, and the per-thread table is behind a std mutex held for a few
// instructions without a scheduling point.
unsafe impl<Tag: Send> Sync for LoomLifetime<Tag> {}

impl<Tag: Copy + Send + 'static> LifetimeOps<Tag> for LoomLifetime<Tag> {
    fn new() -> Self {
        LoomLifetime {
            all: loom::cell::UnsafeCell::new(()),
            threads: std::sync::Mutex::new(Vec::new()),
        }
    }

    fn access(&self, thread: usize, tag: impl FnOnce() -> Tag) {
        {
            let mut threads = lock_std(&self.threads);
            let i = match threads.iter().position(|t| t.thread == thread) {
                Some(i) => {
                    threads[i].latest = tag();
                    i
                }
                None => {
                    threads.push(ThreadAccesses {
                        thread,
                        latest: tag(),
                        cell: loom::cell::UnsafeCell::new(()),
                    });
                    threads.len() - 1
                }
            };
            // Pairs with the free's write of this thread's cell.
            threads[i].cell.with(|_| ());
        }
        // Pairs with the free's last write: an access after the free, not ordered after it.
        self.all.with(|_| ());
    }

    fn free(&self, mut checking: impl FnMut(Option<Tag>)) {
        {
            let threads = lock_std(&self.threads);
            for t in threads.iter() {
                checking(Some(t.latest));
                t.cell.with_mut(|_| ());
            }
        }
        checking(None);
        self.all.with_mut(|_| ());
    }
}

/// loom's `RwLock`, named for [`mazurkiewicz`] (a read acquisition is a read of it, a write
/// acquisition a write).
#[derive(Debug)]
pub struct LoomRwLock {
    inner: loom::sync::RwLock<()>,
    name: u64,
}

impl RwLockOps for LoomRwLock {
    type ReadGuard<'a> = loom::sync::RwLockReadGuard<'a, ()>;
    type WriteGuard<'a> = loom::sync::RwLockWriteGuard<'a, ()>;
    fn new() -> Self {
        LoomRwLock {
            inner: loom::sync::RwLock::new(()),
            name: mazurkiewicz::new_object(),
        }
    }
    fn read(&self) -> Self::ReadGuard<'_> {
        let guard = self.inner.read().unwrap_or_else(|e| e.into_inner());
        mazurkiewicz::record(self.name, Kind::Load, 0);
        guard
    }
    fn write(&self) -> Self::WriteGuard<'_> {
        let guard = self.inner.write().unwrap_or_else(|e| e.into_inner());
        mazurkiewicz::record(self.name, Kind::Lock, 0);
        guard
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
