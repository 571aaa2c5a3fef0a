//! shuttle: randomized and PCT schedules, replayable, sequentially consistent.

use super::{
    AtomicBoolOps, AtomicUsizeOps, Backend, JoinOps, MutexOps, Ordering, RaceCell, RwLockOps,
    ThreadOps, UncheckedCell, Unwatched,
};

/// The shuttle backend. Every atomic is sequentially consistent and `fence` is a no-op, so it
/// finds interleaving bugs but never a missing barrier; its types panic outside a shuttle run.
/// Every access to shared memory is a scheduling point: atomics and locks by shuttle's own
/// types, plain accesses by [`Backend::plain_access`].
#[derive(Debug, Clone, Copy, Default)]
pub struct Shuttle;

impl Backend for Shuttle {
    const NAME: &'static str = "shuttle";
    // shuttle's `max_steps` ends a wait that can never finish.
    const MAX_THREADS: usize = 16;
    const REAL_THREADS: bool = false;
    const SPIN_LIMIT: Option<u64> = None;

    type AtomicUsize = shuttle::sync::atomic::AtomicUsize;
    type AtomicBool = shuttle::sync::atomic::AtomicBool;
    type Mutex<T: Send + 'static> = shuttle::sync::Mutex<T>;
    type RwLock = shuttle::sync::RwLock<()>;
    type Cell<T: Send + 'static> = ShuttleCell<T>;
    type OwnedCell<T: Send + 'static> = UncheckedCell<T>;
    type Lifetime<Tag: Copy + Send + 'static> = Unwatched;
    type JoinHandle<T: Send + 'static> = shuttle::thread::JoinHandle<T>;
    type Thread = shuttle::thread::Thread;

    fn spawn<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        shuttle::thread::spawn(move || Shuttle::run_task(f))
    }

    fn yield_now() {
        shuttle::thread::yield_now();
    }

    fn plain_access() {
        // The scheduling point shuttle's atomics make before each operation: the scheduler
        // may run another task here (and PCT may place a priority change here), without the
        // "let others go first" of a yield.
        shuttle_engine::runtime::thread::switch();
    }

    fn fence(order: Ordering) {
        shuttle::sync::atomic::fence(order);
    }

    fn current() -> Self::Thread {
        shuttle::thread::current()
    }

    fn park() {
        shuttle::thread::park();
    }
}

impl Shuttle {
    /// Runs the body `f` of a shuttle task (a spawned thread, or the main thread of an
    /// execution). If it panics, the task first offers shuttle's scheduler one more scheduling
    /// point, then lets the panic go on to shuttle. A harness that has taken the panic as the
    /// execution's failure stops the execution there (its scheduler chooses no task), so the
    /// panic never reaches shuttle, which would print "test panicked in task" on stderr (it
    /// does for every task panic it catches, with no setting to turn it off). Under any other
    /// scheduler the panic reaches shuttle as it would without this.
    pub fn run_task<T>(f: impl FnOnce() -> T) -> T {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
            Ok(v) => v,
            Err(payload) => {
                shuttle_engine::runtime::thread::switch();
                std::panic::resume_unwind(payload)
            }
        }
    }
}

/// A plain cell under shuttle: every access is a scheduling point ([`Backend::plain_access`]),
/// then an unchecked access (shuttle has no race detector).
#[derive(Debug)]
pub struct ShuttleCell<T>(UncheckedCell<T>);

impl<T: Send + 'static> RaceCell<T> for ShuttleCell<T> {
    fn new(v: T) -> Self {
        ShuttleCell(UncheckedCell::new(v))
    }
    fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        Shuttle::plain_access();
        self.0.with(f)
    }
    fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        Shuttle::plain_access();
        self.0.with_mut(f)
    }
}

impl ThreadOps for shuttle::thread::Thread {
    fn unpark(&self) {
        shuttle::thread::Thread::unpark(self);
    }
}

impl AtomicUsizeOps for shuttle::sync::atomic::AtomicUsize {
    fn new(v: usize) -> Self {
        shuttle::sync::atomic::AtomicUsize::new(v)
    }
    fn load(&self, order: Ordering) -> usize {
        shuttle::sync::atomic::AtomicUsize::load(self, order)
    }
    fn store(&self, v: usize, order: Ordering) {
        shuttle::sync::atomic::AtomicUsize::store(self, v, order)
    }
    fn fetch_add(&self, v: usize, order: Ordering) -> usize {
        shuttle::sync::atomic::AtomicUsize::fetch_add(self, v, order)
    }
    fn fetch_sub(&self, v: usize, order: Ordering) -> usize {
        shuttle::sync::atomic::AtomicUsize::fetch_sub(self, v, order)
    }
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        shuttle::sync::atomic::AtomicUsize::compare_exchange(self, current, new, success, failure)
    }
}

impl AtomicBoolOps for shuttle::sync::atomic::AtomicBool {
    fn new(v: bool) -> Self {
        shuttle::sync::atomic::AtomicBool::new(v)
    }
    fn load(&self, order: Ordering) -> bool {
        shuttle::sync::atomic::AtomicBool::load(self, order)
    }
    fn store(&self, v: bool, order: Ordering) {
        shuttle::sync::atomic::AtomicBool::store(self, v, order)
    }
    fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        shuttle::sync::atomic::AtomicBool::compare_exchange(self, current, new, success, failure)
    }
}

impl<T: Send + 'static> MutexOps<T> for shuttle::sync::Mutex<T> {
    type Guard<'a> = shuttle::sync::MutexGuard<'a, T>;
    fn new(v: T) -> Self {
        shuttle::sync::Mutex::new(v)
    }
    fn lock(&self) -> Self::Guard<'_> {
        shuttle::sync::Mutex::lock(self).unwrap_or_else(|e| e.into_inner())
    }
}

impl RwLockOps for shuttle::sync::RwLock<()> {
    type ReadGuard<'a> = shuttle::sync::RwLockReadGuard<'a, ()>;
    type WriteGuard<'a> = shuttle::sync::RwLockWriteGuard<'a, ()>;
    fn new() -> Self {
        shuttle::sync::RwLock::new(())
    }
    fn read(&self) -> Self::ReadGuard<'_> {
        shuttle::sync::RwLock::read(self).unwrap_or_else(|e| e.into_inner())
    }
    fn write(&self) -> Self::WriteGuard<'_> {
        shuttle::sync::RwLock::write(self).unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: Send + 'static> JoinOps<T> for shuttle::thread::JoinHandle<T> {
    fn join(self) -> T {
        match shuttle::thread::JoinHandle::join(self) {
            Ok(v) => v,
            Err(payload) => std::panic::resume_unwind(payload),
        }
    }
}
