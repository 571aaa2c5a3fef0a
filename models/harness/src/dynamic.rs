//! [`Dyn`]: the backend of checks written as closures, whose checker is chosen when the check
//! starts.
//!
//! A closure cannot be generic over the backend the way a [`crate::Model`] is (`run<B>`), so
//! the world a check's closure sees is built on one concrete backend, `Dyn`, whose primitives
//! are each loom's or shuttle's ([`Either`]): the variant is fixed when the primitive is
//! created, by the checker running the current check on this OS thread (loom and shuttle run
//! every thread of the model on the OS thread that called them). Every operation then
//! forwards to the checker's own primitive, so the same closure runs under every checker and
//! each checker explores exactly what it would explore for the generic model: the same
//! executions, in the same order (the tests compare the two, execution count and trace).
//!
//! What it costs: one branch per primitive operation, and primitives one word larger, against
//! a checker's own bookkeeping of hundreds of instructions per operation (measured by the
//! `front_door_overhead` example; docs/library.md gives the figures).
//!
//! Real threads are not among the choices: [`Backend::REAL_THREADS`] and
//! [`Backend::SPIN_LIMIT`] are compile-time constants that differ between std and the
//! checkers, and one value for both would change what the checkers do. Run a model on real
//! threads through the generic path ([`crate::runner::stress_std`]).

use notifier_core::backend::{
    AtomicBoolOps, AtomicUsizeOps, JoinOps, LifetimeOps, MutexOps, Ordering, RaceCell, RwLockOps,
    ThreadOps,
};
use notifier_core::{Backend, Loom, Shuttle};
use std::cell::Cell;
use std::ops::{Deref, DerefMut};

/// The checker whose primitives [`Dyn`] makes on this OS thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Active {
    /// loom.
    Loom,
    /// shuttle (random or PCT).
    Shuttle,
}

thread_local! {
    static ACTIVE: Cell<Option<Active>> = const { Cell::new(None) };
}

fn active() -> Active {
    ACTIVE.with(Cell::get).expect(
        "notifier-harness: the world of a check exists only while the check runs (inside \
         the closure given to Builder::check)",
    )
}

/// Makes `active` the checker of [`Dyn`] on this OS thread until the guard is dropped.
pub(crate) fn activate(active: Active) -> Activation {
    Activation(ACTIVE.with(|a| a.replace(Some(active))))
}

/// Puts back the checker that was active before (normally none) when dropped.
#[derive(Debug)]
pub(crate) struct Activation(Option<Active>);

impl Drop for Activation {
    fn drop(&mut self) {
        // Thread-local storage may already be gone if this runs during thread exit.
        let _ = ACTIVE.try_with(|a| a.set(self.0));
    }
}

/// The backend of closure checks: each primitive is loom's or shuttle's, as the running check
/// says (see the module documentation). Its types panic outside a check, as loom's do outside
/// `loom::model`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Dyn;

/// A primitive of [`Dyn`]: loom's or shuttle's.
#[derive(Debug)]
pub enum Either<L, S> {
    /// loom's.
    Loom(L),
    /// shuttle's.
    Shuttle(S),
}

/// Creates a primitive of the active checker.
fn make<L, S>(loom: impl FnOnce() -> L, shuttle: impl FnOnce() -> S) -> Either<L, S> {
    match active() {
        Active::Loom => Either::Loom(loom()),
        Active::Shuttle => Either::Shuttle(shuttle()),
    }
}

/// Forwards a method call to the primitive inside an [`Either`].
macro_rules! forward {
    ($self:expr, $p:ident => $call:expr) => {
        match $self {
            Either::Loom($p) => $call,
            Either::Shuttle($p) => $call,
        }
    };
}

impl Backend for Dyn {
    const NAME: &'static str = "dyn";
    // The larger of the two: a limit that is only ever used to size per-thread tables (the
    // SRCU specification's reader slots), which must have a slot for every thread either
    // checker may run; loom itself refuses a sixth thread.
    const MAX_THREADS: usize = <Shuttle as Backend>::MAX_THREADS;
    // Both checkers bound executions themselves (loom's branch limit, shuttle's step limit).
    const REAL_THREADS: bool = false;
    const SPIN_LIMIT: Option<u64> = None;

    type AtomicUsize = Either<<Loom as Backend>::AtomicUsize, <Shuttle as Backend>::AtomicUsize>;
    type AtomicBool = Either<<Loom as Backend>::AtomicBool, <Shuttle as Backend>::AtomicBool>;
    type Mutex<T: Send + 'static> =
        Either<<Loom as Backend>::Mutex<T>, <Shuttle as Backend>::Mutex<T>>;
    type RwLock = Either<<Loom as Backend>::RwLock, <Shuttle as Backend>::RwLock>;
    type Cell<T: Send + 'static> =
        Either<<Loom as Backend>::Cell<T>, <Shuttle as Backend>::Cell<T>>;
    type OwnedCell<T: Send + 'static> =
        Either<<Loom as Backend>::OwnedCell<T>, <Shuttle as Backend>::OwnedCell<T>>;
    type Lifetime<Tag: Copy + Send + 'static> =
        Either<<Loom as Backend>::Lifetime<Tag>, <Shuttle as Backend>::Lifetime<Tag>>;
    type JoinHandle<T: Send + 'static> =
        Either<<Loom as Backend>::JoinHandle<T>, <Shuttle as Backend>::JoinHandle<T>>;
    type Thread = Either<<Loom as Backend>::Thread, <Shuttle as Backend>::Thread>;

    fn spawn<F, T>(f: F) -> Self::JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        match active() {
            Active::Loom => Either::Loom(Loom::spawn(f)),
            Active::Shuttle => Either::Shuttle(Shuttle::spawn(f)),
        }
    }

    fn yield_now() {
        match active() {
            Active::Loom => Loom::yield_now(),
            Active::Shuttle => Shuttle::yield_now(),
        }
    }

    fn fence(order: Ordering) {
        match active() {
            Active::Loom => Loom::fence(order),
            Active::Shuttle => Shuttle::fence(order),
        }
    }

    fn plain_access() {
        match active() {
            Active::Loom => Loom::plain_access(),
            Active::Shuttle => Shuttle::plain_access(),
        }
    }

    fn current() -> Self::Thread {
        make(Loom::current, Shuttle::current)
    }

    fn park() {
        match active() {
            Active::Loom => Loom::park(),
            Active::Shuttle => Shuttle::park(),
        }
    }
}

impl<L: ThreadOps, S: ThreadOps> ThreadOps for Either<L, S> {
    fn unpark(&self) {
        forward!(self, t => t.unpark())
    }
}

impl<L: Clone, S: Clone> Clone for Either<L, S> {
    fn clone(&self) -> Self {
        match self {
            Either::Loom(l) => Either::Loom(l.clone()),
            Either::Shuttle(s) => Either::Shuttle(s.clone()),
        }
    }
}

impl<L: AtomicUsizeOps, S: AtomicUsizeOps> AtomicUsizeOps for Either<L, S> {
    fn new(v: usize) -> Self {
        make(|| L::new(v), || S::new(v))
    }
    fn load(&self, order: Ordering) -> usize {
        forward!(self, a => a.load(order))
    }
    fn store(&self, v: usize, order: Ordering) {
        forward!(self, a => a.store(v, order))
    }
    fn fetch_add(&self, v: usize, order: Ordering) -> usize {
        forward!(self, a => a.fetch_add(v, order))
    }
    fn fetch_sub(&self, v: usize, order: Ordering) -> usize {
        forward!(self, a => a.fetch_sub(v, order))
    }
    fn compare_exchange(
        &self,
        current: usize,
        new: usize,
        success: Ordering,
        failure: Ordering,
    ) -> Result<usize, usize> {
        forward!(self, a => a.compare_exchange(current, new, success, failure))
    }
}

impl<L: AtomicBoolOps, S: AtomicBoolOps> AtomicBoolOps for Either<L, S> {
    fn new(v: bool) -> Self {
        make(|| L::new(v), || S::new(v))
    }
    fn load(&self, order: Ordering) -> bool {
        forward!(self, a => a.load(order))
    }
    fn store(&self, v: bool, order: Ordering) {
        forward!(self, a => a.store(v, order))
    }
    fn compare_exchange(
        &self,
        current: bool,
        new: bool,
        success: Ordering,
        failure: Ordering,
    ) -> Result<bool, bool> {
        forward!(self, a => a.compare_exchange(current, new, success, failure))
    }
}

impl<T, L: MutexOps<T>, S: MutexOps<T>> MutexOps<T> for Either<L, S> {
    type Guard<'a>
        = Either<L::Guard<'a>, S::Guard<'a>>
    where
        Self: 'a;
    fn new(v: T) -> Self {
        match active() {
            Active::Loom => Either::Loom(L::new(v)),
            Active::Shuttle => Either::Shuttle(S::new(v)),
        }
    }
    fn lock(&self) -> Self::Guard<'_> {
        match self {
            Either::Loom(m) => Either::Loom(m.lock()),
            Either::Shuttle(m) => Either::Shuttle(m.lock()),
        }
    }
}

impl<T: ?Sized, L: Deref<Target = T>, S: Deref<Target = T>> Deref for Either<L, S> {
    type Target = T;
    fn deref(&self) -> &T {
        forward!(self, g => g)
    }
}

impl<T: ?Sized, L: DerefMut<Target = T>, S: DerefMut<Target = T>> DerefMut for Either<L, S> {
    fn deref_mut(&mut self) -> &mut T {
        forward!(self, g => g)
    }
}

impl<L: RwLockOps, S: RwLockOps> RwLockOps for Either<L, S> {
    type ReadGuard<'a>
        = Either<L::ReadGuard<'a>, S::ReadGuard<'a>>
    where
        Self: 'a;
    type WriteGuard<'a>
        = Either<L::WriteGuard<'a>, S::WriteGuard<'a>>
    where
        Self: 'a;
    fn new() -> Self {
        make(L::new, S::new)
    }
    fn read(&self) -> Self::ReadGuard<'_> {
        match self {
            Either::Loom(l) => Either::Loom(l.read()),
            Either::Shuttle(l) => Either::Shuttle(l.read()),
        }
    }
    fn write(&self) -> Self::WriteGuard<'_> {
        match self {
            Either::Loom(l) => Either::Loom(l.write()),
            Either::Shuttle(l) => Either::Shuttle(l.write()),
        }
    }
}

impl<Tag: Copy, L: LifetimeOps<Tag>, S: LifetimeOps<Tag>> LifetimeOps<Tag> for Either<L, S> {
    fn new() -> Self {
        make(L::new, S::new)
    }
    fn access(&self, thread: usize, tag: impl FnOnce() -> Tag) {
        forward!(self, l => l.access(thread, tag))
    }
    fn free(&self, checking: impl FnMut(Option<Tag>)) {
        forward!(self, l => l.free(checking))
    }
}

impl<T, L: RaceCell<T>, S: RaceCell<T>> RaceCell<T> for Either<L, S> {
    fn new(v: T) -> Self {
        match active() {
            Active::Loom => Either::Loom(L::new(v)),
            Active::Shuttle => Either::Shuttle(S::new(v)),
        }
    }
    fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        forward!(self, c => c.with(f))
    }
    fn with_mut<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        forward!(self, c => c.with_mut(f))
    }
}

impl<T, L: JoinOps<T>, S: JoinOps<T>> JoinOps<T> for Either<L, S> {
    fn join(self) -> T {
        forward!(self, h => h.join())
    }
}
