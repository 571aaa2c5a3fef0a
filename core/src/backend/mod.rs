//! The sync-primitive trait: the one place that knows the checkers.
//!
//! Kernel-model code is generic over [`Backend`] and never names loom, shuttle or std. Each
//! backend is a zero-sized type chosen by type parameter, so all three are compiled in and one
//! test binary can run the same model under every checker (no `--cfg loom`).
//!
//! What the model needs from a backend, and only that:
//! - a blocking mutex (the kernel's `spinlock_t`: a spinning lock explodes loom's state space);
//! - a blocking reader-writer lock (the kernel's `rw_semaphore`: `mmap_sem`, and the rmap locks
//!   `mm_take_all_locks` takes);
//! - atomics (`usize`, `bool`), used where the kernel makes lock-free accesses;
//! - a race-checked plain cell, for fields the kernel only touches under a lock;
//! - a plain access to shared memory made visible to the checker ([`Backend::plain_access`]);
//! - an object's lifetime as the race detector sees it ([`Backend::Lifetime`]: which access
//!   is not ordered with an object's free);
//! - `fence` (`smp_mb()` is `fence(SeqCst)`), spawn/join, yield;
//! - park/unpark, for a thread that sleeps until it is given work (the SRCU worker, like a
//!   kernel work item, runs only when `call_srcu` queues it).

mod loom_backend;
pub mod mazurkiewicz;
mod shuttle_backend;
mod std_backend;

pub use loom_backend::Loom;
pub use shuttle_backend::Shuttle;
pub use std_backend::Std;

use std::ops::DerefMut;
pub use std::sync::atomic::Ordering;

/// A family of synchronisation primitives: real threads, loom or shuttle.
pub trait Backend: Sized + Send + Sync + 'static {
    /// Short name used in reports (`std`, `loom`, `shuttle`).
    const NAME: &'static str;
    /// An upper bound on the iterations of one wait loop before the harness declares a
    /// deadlock itself. Checkers bound executions on their own (loom's branch limit, shuttle's
    /// step limit); real threads need this so that a self-deadlock ends the test.
    const SPIN_LIMIT: Option<u64>;
    /// Whether the model's threads are real OS threads. A checker stops every thread of an
    /// execution at the first panic; real threads must be told to stop (see
    /// [`crate::exec::Task::idle`]).
    const REAL_THREADS: bool;
    /// The most threads one execution may have, `main` included (loom's `MAX_THREADS` is 5;
    /// the others have no limit of their own, and the model uses at most this many).
    const MAX_THREADS: usize;

    /// An atomic `usize`.
    type AtomicUsize: AtomicUsizeOps;
    /// An atomic `bool`.
    type AtomicBool: AtomicBoolOps;
    /// A blocking mutex protecting a `T`.
    type Mutex<T: Send + 'static>: MutexOps<T>;
    /// A blocking reader-writer lock (it protects nothing itself: the model's data lives in
    /// atomics and cells).
    type RwLock: RwLockOps;
    /// A plain (non-atomic) cell whose accesses the backend checks for races where it can.
    /// Every access is a [`Backend::plain_access`].
    type Cell<T: Send + 'static>: RaceCell<T>;
    /// A plain cell that one thread at a time owns by a protocol of the kernel's (classic
    /// SRCU's batches, owned through `sp->running` under `queue_lock`): no other thread's
    /// access can fall between two of the owner's, so its accesses race with nothing and are
    /// no scheduling points under any checker. loom still checks them for races (an owner
    /// protocol the model gets wrong is reported as a causality violation); shuttle and real
    /// threads access them unchecked. Scheduling points before such accesses would only add
    /// schedules equivalent to others (docs/perf.md, "Scheduling points").
    type OwnedCell<T: Send + 'static>: RaceCell<T>;
    /// The lifetime of one kernel object as the backend's race detector sees it: which
    /// thread's access is not ordered by happens-before with the object's free. `Tag` names
    /// an access for the report.
    type Lifetime<Tag: Copy + Send + 'static>: LifetimeOps<Tag>;
    /// The handle returned by [`Backend::spawn`].
    type JoinHandle<T: Send + 'static>: JoinOps<T>;
    /// A handle that wakes a thread of the model parked in [`Backend::park`].
    type Thread: ThreadOps;

    /// Spawns a thread of the model.
    fn spawn<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static;

    /// Lets other threads run; every wait loop calls it once per iteration.
    fn yield_now();

    /// A plain (non-atomic) access to shared memory is about to be made: a point where
    /// another thread may run first, so that the access can race.
    /// - shuttle: a scheduling point, the one its atomics make before each operation. Without
    ///   it a plain access would run in one step with whatever preceded it, and a free in
    ///   between would never be explored.
    /// - loom: nothing. Its race detector checks every plain access against every access
    ///   not ordered with it (see [`Backend::Lifetime`]), which covers the interleavings a
    ///   scheduling point would add, and a branch here would multiply its executions.
    /// - std: nothing; real threads interleave anywhere.
    fn plain_access();

    /// A memory fence. The kernel's `smp_mb()` is `fence(SeqCst)`.
    fn fence(order: Ordering);

    /// The calling thread of the model, to be woken later with [`ThreadOps::unpark`].
    fn current() -> Self::Thread;

    /// Blocks the calling thread until it is unparked (at once if an unpark came first).
    /// Callers re-check their condition afterwards: a wake-up may be spurious.
    fn park();
}

/// Waking a parked thread of the model.
pub trait ThreadOps: Clone + Send + Sync + 'static {
    /// Makes the thread runnable, or lets its next [`Backend::park`] return at once.
    fn unpark(&self);
}

/// Operations of an atomic `usize`.
pub trait AtomicUsizeOps: Send + Sync + 'static {
    /// Creates the atomic with an initial value (not a step of the model).
    fn new(v: usize) -> Self;
    /// Atomic load.
    fn load(&self, order: Ordering) -> usize;
    /// Atomic store.
    fn store(&self, v: usize, order: Ordering);
    /// Atomic wrapping add; returns the previous value.
    fn fetch_add(&self, v: usize, order: Ordering) -> usize;
    /// Atomic wrapping subtract; returns the previous value.
    fn fetch_sub(&self, v: usize, order: Ordering) -> usize;
    /// Atomic compare-and-exchange (strong).
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize>;
}

/// Operations of an atomic `bool`.
pub trait AtomicBoolOps: Send + Sync + 'static {
    /// Creates the atomic with an initial value (not a step of the model).
    fn new(v: bool) -> Self;
    /// Atomic load.
    fn load(&self, order: Ordering) -> bool;
    /// Atomic store.
    fn store(&self, v: bool, order: Ordering);
    /// Atomic compare-and-exchange (strong): stores `new` if the value is `current`; returns
    /// the previous value, `Ok` if it was `current`.
    fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool>;
}

/// A blocking mutex.
pub trait MutexOps<T>: Send + Sync + 'static {
    /// The guard; the lock is released when it is dropped.
    type Guard<'a>: DerefMut<Target = T>
    where
        Self: 'a;
    /// Creates the mutex (not a step of the model).
    fn new(v: T) -> Self;
    /// Acquires the mutex, blocking the calling thread of the model.
    fn lock(&self) -> Self::Guard<'_>;
}

/// A blocking reader-writer lock: readers share it, a writer excludes everyone.
pub trait RwLockOps: Send + Sync + 'static {
    /// The guard of a read lock; the lock is released when it is dropped.
    type ReadGuard<'a>
    where
        Self: 'a;
    /// The guard of a write lock; the lock is released when it is dropped.
    type WriteGuard<'a>
    where
        Self: 'a;
    /// Creates the lock (not a step of the model).
    fn new() -> Self;
    /// Takes the lock for reading, blocking while a writer holds it.
    fn read(&self) -> Self::ReadGuard<'_>;
    /// Takes the lock for writing, blocking while anyone holds it.
    fn write(&self) -> Self::WriteGuard<'_>;
}

/// A plain memory cell. Under loom, a read and a write that are not ordered by happens-before
/// are reported as a causality violation; the other backends do not check.
///
/// The closures must not call into the backend (no scheduling point inside an access).
pub trait RaceCell<T>: Send + Sync + 'static {
    /// Creates the cell (not a step of the model).
    fn new(v: T) -> Self;
    /// Reads the cell.
    fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R;
    /// Writes the cell.
    fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

/// The lifetime of one kernel object as a race detector sees it (see [`Backend::Lifetime`]).
///
/// Under loom each access is checked against the free (an access not ordered after it is a
/// causality violation, reported inside [`LifetimeOps::access`]) and the free against every
/// access (inside [`LifetimeOps::free`]). The other backends check nothing here: their
/// trace order is the only order there is.
pub trait LifetimeOps<Tag: Copy>: Send + Sync + 'static {
    /// A new object (not a step of the model).
    fn new() -> Self;
    /// An access by model thread `thread` (its index in the execution). `tag` names it, for a
    /// report that blames it later; it is called only by a backend that remembers accesses.
    fn access(&self, thread: usize, tag: impl FnOnce() -> Tag);
    /// The free. Before the check against each thread's accesses, `checking` is called with
    /// the tag of that thread's latest access: if the check fails, that access is the one not
    /// ordered before the free. A last check (`checking(None)`) covers every access.
    fn free(&self, checking: impl FnMut(Option<Tag>));
}

/// A lifetime no race detector watches (shuttle and real threads).
#[derive(Debug, Default)]
pub struct Unwatched;

impl<Tag: Copy> LifetimeOps<Tag> for Unwatched {
    fn new() -> Self {
        Unwatched
    }
    fn access(&self, _thread: usize, _tag: impl FnOnce() -> Tag) {}
    fn free(&self, _checking: impl FnMut(Option<Tag>)) {}
}

/// Joining a spawned thread of the model.
pub trait JoinOps<T>: Send + 'static {
    /// Waits for the thread; a panic in it is resumed in the caller.
    fn join(self) -> T;
}

/// Locks a std mutex that is only ever held for a few instructions without a scheduling point,
/// ignoring poisoning (a panicking model thread must not hide the report of the failure).
pub(crate) fn lock_std<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A plain cell without race detection, for real threads and shuttle (which has no race
/// detector). A std mutex held only inside one access: a model bug gives a wrong value, never
/// undefined behaviour, and the mutex never spans a shuttle yield, so it cannot hang the one OS
/// thread shuttle runs on.
#[derive(Debug)]
pub struct UncheckedCell<T>(std::sync::Mutex<T>);

impl<T: Send + 'static> RaceCell<T> for UncheckedCell<T> {
    fn new(v: T) -> Self {
        UncheckedCell(std::sync::Mutex::new(v))
    }
    fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&lock_std(&self.0))
    }
    fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        f(&mut lock_std(&self.0))
    }
}
