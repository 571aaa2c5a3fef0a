//! The world a check's closure runs in: its threads ([`Thread`]), the kernel model on the
//! [`Dyn`] backend (type aliases, so that no signature names a backend), and drivers written
//! as closures ([`Driver`]).

use crate::dynamic::Dyn;
use notifier_core::mmu_notifier::MmuNotifierOps;
use notifier_core::srcu::SrcuStruct;
use notifier_core::{Errno, KernelConfig, KernelVersion, MmRef, MmuNotifierRange, MnRef, Task};
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// `mm/mmu_notifier.c`'s global state (its SRCU, the `mm_struct`s, the notifiers, the
/// drivers' ops), as a check's closure uses it: make one with [`Thread::kernel`].
pub type Kernel = notifier_core::Kernel<Dyn>;
/// `struct srcu_struct`, of the kernel version under check: make one with
/// [`Thread::init_srcu_struct`].
pub type Srcu = SrcuStruct<Dyn>;
/// A kernel object carrying a `T`, every access checked: [`notifier_core::kbox`].
pub type KBox<T> = notifier_core::KBox<Dyn, T>;
/// A kernel object with no contents: [`notifier_core::memory`].
pub type KObj = notifier_core::KObj<Dyn>;
/// An RCU-protected pointer to a `P` (a [`KBox`], a [`KObj`]): [`notifier_core::rcu`].
pub type RcuPointer<P> = notifier_core::RcuPointer<Dyn, P>;
/// The handle of a thread spawned with [`Thread::spawn`]: `join` it (the
/// [`notifier_core::backend::JoinOps`] trait, in the [`crate::prelude`]).
pub type JoinHandle<T> = <Dyn as notifier_core::Backend>::JoinHandle<T>;

/// A thread of a check: the kernel's `current` (it dereferences to the model's [`Task`], which
/// every kernel function takes) and what a check's closure needs besides: spawning threads,
/// and the kernel version the check runs (its [`Kernel`] and SRCU).
///
/// The closure given to [`crate::Builder::check`] is called with the main thread; every thread
/// it spawns is given its own.
#[derive(Clone, Copy)]
pub struct Thread<'a> {
    task: &'a Task,
    version: KernelVersion,
}

impl fmt::Debug for Thread<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Thread")
            .field("task", self.task)
            .field("kernel", &self.version)
            .finish()
    }
}

impl Deref for Thread<'_> {
    type Target = Task;
    fn deref(&self) -> &Task {
        self.task
    }
}

impl<'a> Thread<'a> {
    pub(crate) fn new(task: &'a Task, version: KernelVersion) -> Self {
        Thread { task, version }
    }

    /// The model's task of this thread (what [`Thread`] dereferences to).
    pub fn task(&self) -> &'a Task {
        self.task
    }

    /// Spawns a thread named `name` (its column in traces) on CPU slot 0; `f` runs in it.
    pub fn spawn<T: Send + 'static>(
        &self,
        name: &str,
        f: impl FnOnce(&Thread<'_>) -> T + Send + 'static,
    ) -> JoinHandle<T> {
        self.spawn_on(name, 0, f)
    }

    /// Spawns a thread named `name` on CPU slot `cpu` (for per-CPU data: SRCU's counters, its
    /// callback lists); `f` runs in it.
    pub fn spawn_on<T: Send + 'static>(
        &self,
        name: &str,
        cpu: usize,
        f: impl FnOnce(&Thread<'_>) -> T + Send + 'static,
    ) -> JoinHandle<T> {
        let version = self.version;
        self.task
            .spawn::<Dyn, _>(name, cpu, move |t| f(&Thread::new(t, version)))
    }

    /// The kernel version the check runs ([`crate::Builder::kernel`]).
    pub fn kernel_version(&self) -> KernelVersion {
        self.version
    }

    /// The knobs of that kernel version.
    pub fn kernel_config(&self) -> KernelConfig {
        self.version.config()
    }

    /// The mmu_notifier core of the kernel version under check, with `drivers` as its ops
    /// (`OpsId(i)` is `drivers[i]`).
    pub fn kernel(&self, drivers: Vec<Arc<dyn MmuNotifierOps<Dyn>>>) -> Arc<Kernel> {
        Kernel::new(self.kernel_config(), drivers)
    }

    /// `init_srcu_struct`: an SRCU of its own (no mmu_notifier needed), as the kernel version
    /// under check has it (its per-CPU slots and callback lists). Share it in an `Arc`.
    pub fn init_srcu_struct(&self) -> Srcu {
        self.kernel_config().init_srcu_struct()
    }

    /// `kmalloc`: a kernel object named `name` carrying `value` (see [`KBox::kmalloc`]).
    pub fn kmalloc<T: Send + 'static>(&self, name: &str, value: T) -> Arc<KBox<T>> {
        Arc::new(KBox::kmalloc(self.task, name, value))
    }
}

type Release = dyn Fn(&Arc<Kernel>, &Task, MnRef, MmRef) + Send + Sync;
type RangeStart =
    dyn Fn(&Arc<Kernel>, &Task, MnRef, &MmuNotifierRange) -> Result<(), Errno> + Send + Sync;
type RangeEnd = dyn Fn(&Arc<Kernel>, &Task, MnRef, &MmuNotifierRange) + Send + Sync;
type FreeNotifier = dyn Fn(&Arc<Kernel>, &Task, MnRef) + Send + Sync;

/// A driver's `struct mmu_notifier_ops` written as closures: each method not given does what
/// the kernel does for a missing one (nothing; `free_notifier` frees the notifier).
///
/// ```
/// use notifier_harness::prelude::*;
///
/// // `invalidate_range_start` touches the object embedding the notifier.
/// let driver = Driver::new().invalidate_range_start(|k, t, mn, _range| {
///     k.notifier(mn).obj().touch(t, "mirror lock", true);
///     Ok(())
/// });
/// # let _ = driver;
/// ```
#[derive(Default)]
pub struct Driver {
    release: Option<Box<Release>>,
    invalidate_range_start: Option<Box<RangeStart>>,
    invalidate_range_end: Option<Box<RangeEnd>>,
    free_notifier: Option<Box<FreeNotifier>>,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("release", &self.release.is_some())
            .field(
                "invalidate_range_start",
                &self.invalidate_range_start.is_some(),
            )
            .field("invalidate_range_end", &self.invalidate_range_end.is_some())
            .field("free_notifier", &self.free_notifier.is_some())
            .finish()
    }
}

impl Driver {
    /// A driver with no methods.
    pub fn new() -> Self {
        Self::default()
    }

    /// `->release(mn, mm)`: the address space is going away (called by exit or unregister).
    pub fn release(
        mut self,
        f: impl Fn(&Arc<Kernel>, &Task, MnRef, MmRef) + Send + Sync + 'static,
    ) -> Self {
        self.release = Some(Box::new(f));
        self
    }

    /// `->invalidate_range_start(mn, range)`: `Err(Errno::Again)` only in a non-blockable
    /// range (v5.4).
    pub fn invalidate_range_start(
        mut self,
        f: impl Fn(&Arc<Kernel>, &Task, MnRef, &MmuNotifierRange) -> Result<(), Errno>
            + Send
            + Sync
            + 'static,
    ) -> Self {
        self.invalidate_range_start = Some(Box::new(f));
        self
    }

    /// `->invalidate_range_end(mn, range)`.
    pub fn invalidate_range_end(
        mut self,
        f: impl Fn(&Arc<Kernel>, &Task, MnRef, &MmuNotifierRange) + Send + Sync + 'static,
    ) -> Self {
        self.invalidate_range_end = Some(Box::new(f));
        self
    }

    /// `->free_notifier(mn)` (v5.4, after `mmu_notifier_put`'s grace period): frees the
    /// driver object (the default `kfree`s the notifier).
    pub fn free_notifier(
        mut self,
        f: impl Fn(&Arc<Kernel>, &Task, MnRef) + Send + Sync + 'static,
    ) -> Self {
        self.free_notifier = Some(Box::new(f));
        self
    }

    /// The driver as a kernel's ops ([`Thread::kernel`] takes a list of them).
    pub fn ops(self) -> Arc<dyn MmuNotifierOps<Dyn>> {
        Arc::new(self)
    }
}

impl MmuNotifierOps<Dyn> for Driver {
    fn release(&self, k: &Arc<Kernel>, cur: &Task, mn: MnRef, mm: MmRef) {
        if let Some(f) = &self.release {
            f(k, cur, mn, mm);
        }
    }

    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        match &self.invalidate_range_start {
            Some(f) => f(k, cur, mn, range),
            None => Ok(()),
        }
    }

    fn invalidate_range_end(
        &self,
        k: &Arc<Kernel>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) {
        if let Some(f) = &self.invalidate_range_end {
            f(k, cur, mn, range);
        }
    }

    fn free_notifier(&self, k: &Arc<Kernel>, cur: &Task, mn: MnRef) {
        match &self.free_notifier {
            Some(f) => f(k, cur, mn),
            None => k.kfree_notifier(cur, mn),
        }
    }
}

/// The synchronisation primitives of a check's world, for protocols of one's own: each is
/// loom's or shuttle's, as the check's checker says (their methods are those of
/// [`notifier_core::backend`]'s traits, in the [`crate::prelude`]).
pub mod sync {
    use crate::dynamic::Dyn;
    pub use notifier_core::backend::Ordering;
    use notifier_core::Backend;

    /// An atomic `usize` (`load`, `store`, `fetch_add`, `fetch_sub`, `compare_exchange`).
    pub type AtomicUsize = <Dyn as Backend>::AtomicUsize;
    /// An atomic `bool` (`load`, `store`, `compare_exchange`).
    pub type AtomicBool = <Dyn as Backend>::AtomicBool;
    /// A blocking mutex (`lock`), the kernel's `spinlock_t` or `struct mutex`.
    pub type Mutex<T> = <Dyn as Backend>::Mutex<T>;
    /// A plain (non-atomic) cell (`with`, `with_mut`): loom reports two accesses not
    /// ordered by happens-before when one is a write.
    pub type Cell<T> = <Dyn as Backend>::Cell<T>;

    /// A memory fence: the kernel's `smp_mb()` is `fence(Ordering::SeqCst)`. loom models it
    /// (stronger than the kernel's: it also orders the fences themselves); shuttle, whose
    /// every access is sequentially consistent, does nothing.
    pub fn fence(order: Ordering) {
        Dyn::fence(order);
    }
}
