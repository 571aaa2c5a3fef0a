//! Real threads: the std backend, for stress tests on the machine's own memory model.

use super::{
    lock_std, AtomicBoolOps, AtomicUsizeOps, Backend, JoinOps, MutexOps, Ordering, RwLockOps,
    ThreadOps, UncheckedCell, Unwatched,
};
use std::sync::atomic;

/// Real OS threads and std atomics. Finds nothing a checker would not, but runs the model as
/// production code runs; races on plain cells are not detected.
#[derive(Debug, Clone, Copy, Default)]
pub struct Std;

impl Backend for Std {
    const NAME: &'static str = "std";
    // About a second of yielding on this machine: a real self-deadlock must end the test.
    const MAX_THREADS: usize = 16;
    const REAL_THREADS: bool = true;
    const SPIN_LIMIT: Option<u64> = Some(2_000_000);

    type AtomicUsize = atomic::AtomicUsize;
    type AtomicBool = atomic::AtomicBool;
    type Mutex<T: Send + 'static> = std::sync::Mutex<T>;
    type RwLock = std::sync::RwLock<()>;
    type Cell<T: Send + 'static> = UncheckedCell<T>;
    type OwnedCell<T: Send + 'static> = UncheckedCell<T>;
    type Lifetime<Tag: Copy + Send + 'static> = Unwatched;
    type JoinHandle<T: Send + 'static> = std::thread::JoinHandle<T>;
    type Thread = std::thread::Thread;

    fn spawn<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        std::thread::spawn(move || {
            noise();
            f()
        })
    }

    fn yield_now() {
        std::thread::yield_now();
    }

    fn plain_access() {
        noise();
    }

    fn fence(order: Ordering) {
        noise();
        atomic::fence(order);
    }

    fn current() -> Self::Thread {
        std::thread::current()
    }

    fn park() {
        // A bounded park: a thread waiting for work must still notice, in its loop, that
        // another thread found a violation and the execution is over.
        std::thread::park_timeout(std::time::Duration::from_millis(1));
    }
}

/// Scheduling noise for real threads: at a thread's start, before each fence and each plain
/// access, yield the processor with probability 1/4 (a per-thread xorshift with a random seed:
/// real threads are not replayable anyway). Without it, a thread spawned first usually runs
/// its whole short body before the next one starts, and the interleavings a stress run is for
/// almost never happen. Measured (2,000 runs each, classic SRCU): `srcu-no-flip`'s grace-period
/// violation and `srcu-callback-without-gp`'s early callback, never met on real threads
/// without it, were met at runs 164 and 124 with it (Tree SRCU's: at none, either way).
fn noise() {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(0);
            h.finish() | 1
        });
    }
    let r = STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x
    });
    if r.is_multiple_of(4) {
        std::thread::yield_now();
    }
}

impl ThreadOps for std::thread::Thread {
    fn unpark(&self) {
        std::thread::Thread::unpark(self);
    }
}

impl AtomicUsizeOps for atomic::AtomicUsize {
    fn new(v: usize) -> Self {
        atomic::AtomicUsize::new(v)
    }
    fn load(&self, order: Ordering) -> usize {
        atomic::AtomicUsize::load(self, order)
    }
    fn store(&self, v: usize, order: Ordering) {
        atomic::AtomicUsize::store(self, v, order)
    }
    fn fetch_add(&self, v: usize, order: Ordering) -> usize {
        atomic::AtomicUsize::fetch_add(self, v, order)
    }
    fn fetch_sub(&self, v: usize, order: Ordering) -> usize {
        atomic::AtomicUsize::fetch_sub(self, v, order)
    }
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        atomic::AtomicUsize::compare_exchange(self, current, new, success, failure)
    }
}

impl AtomicBoolOps for atomic::AtomicBool {
    fn new(v: bool) -> Self {
        atomic::AtomicBool::new(v)
    }
    fn load(&self, order: Ordering) -> bool {
        atomic::AtomicBool::load(self, order)
    }
    fn store(&self, v: bool, order: Ordering) {
        atomic::AtomicBool::store(self, v, order)
    }
    fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        atomic::AtomicBool::compare_exchange(self, current, new, success, failure)
    }
}

impl<T: Send + 'static> MutexOps<T> for std::sync::Mutex<T> {
    type Guard<'a> = std::sync::MutexGuard<'a, T>;
    fn new(v: T) -> Self {
        std::sync::Mutex::new(v)
    }
    fn lock(&self) -> Self::Guard<'_> {
        lock_std(self)
    }
}

impl RwLockOps for std::sync::RwLock<()> {
    type ReadGuard<'a> = std::sync::RwLockReadGuard<'a, ()>;
    type WriteGuard<'a> = std::sync::RwLockWriteGuard<'a, ()>;
    fn new() -> Self {
        std::sync::RwLock::new(())
    }
    fn read(&self) -> Self::ReadGuard<'_> {
        std::sync::RwLock::read(self).unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> Self::WriteGuard<'_> {
        std::sync::RwLock::write(self).unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Send + 'static> JoinOps<T> for std::thread::JoinHandle<T> {
    fn join(self) -> T {
        match std::thread::JoinHandle::join(self) {
            Ok(v) => v,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}
