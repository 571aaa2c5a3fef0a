//! What a checker runs: a [`Model`] builds its world and runs its threads once per execution.

use notifier_core::srcu::SrcuImpl;
use notifier_core::{Backend, Oracle, Task};

/// A closed concurrent program over the kernel model. Implement it to check your own driver
/// behaviour: `run` is called once per execution, on a fresh world, by every checker.
///
/// `run` is given the task of the model's main thread. It must create every shared object
/// itself (loom and shuttle objects only exist inside an execution), spawn its threads with
/// [`Task::spawn`], join them, and leave nothing allocated that it means to free.
///
/// A driver that frees its notifier at once after `mmu_notifier_unregister_no_release`, while
/// a walker may be standing on it (hmm's bug, fixed by commit 6d7c3cde93c1):
///
/// ```
/// use notifier_core::backend::JoinOps;
/// use notifier_core::{Backend, Errno, Invalidator, Kernel, KernelConfig, MmuNotifierOps};
/// use notifier_core::{MmuNotifierRange, MnRef, OpsId, Task};
/// use notifier_core::ViolationKind;
/// use notifier_harness::runner::check_in_process;
/// use notifier_harness::{CheckSpec, CheckerKind, Model, Verdict};
/// use std::sync::Arc;
///
/// /// The driver: `invalidate_range_start` touches the object embedding the notifier.
/// struct Mirror;
/// impl<B: Backend> MmuNotifierOps<B> for Mirror {
///     fn invalidate_range_start(
///         &self,
///         k: &Arc<Kernel<B>>,
///         cur: &Task,
///         mn: MnRef,
///         _: &MmuNotifierRange,
///     ) -> Result<(), Errno> {
///         k.notifier(mn).obj().touch(cur, "mirror lock", true);
///         Ok(())
///     }
/// }
///
/// struct FreeAtOnce;
/// impl Model for FreeAtOnce {
///     fn run<B: Backend>(&self, main: &Task) {
///         let k = Kernel::<B>::new(KernelConfig::v3_17(), vec![Arc::new(Mirror)]);
///         let mm = k.mm_alloc(main, "mm");
///         let a = k.alloc_notifier(main, "notifier A", OpsId(0));
///         k.mmu_notifier_register(main, a, mm);
///         k.mmgrab(main, mm); // the walker's pin
///         let walker = {
///             let k = Arc::clone(&k);
///             // An rmap walker: invalidate_range_start, then invalidate_range_end.
///             main.spawn::<B, _>("W", 0, move |t| k.invalidate_range(t, mm, Invalidator::RMAP))
///         };
///         let driver = {
///             let k = Arc::clone(&k);
///             main.spawn::<B, _>("D", 0, move |t| {
///                 k.mmu_notifier_unregister_no_release(t, a, mm);
///                 k.kfree_notifier(t, a); // no grace period: the bug
///             })
///         };
///         let _ = walker.join();
///         driver.join();
///         k.mmdrop(main, mm);
///         k.mmput(main, mm);
///     }
/// }
///
/// let spec = CheckSpec {
///     checker: CheckerKind::ShuttlePct,
///     preemption_bound: None,
///     iterations: 1_000,
///     seed: 7,
///     pct_depth: 3,
/// };
/// let outcome = check_in_process(Arc::new(FreeAtOnce), &spec);
/// assert_eq!(outcome.observed, Verdict::Violation);
/// let v = outcome.violation.unwrap();
/// assert_eq!(v.kind, ViolationKind::UseAfterFree);
/// assert!(v.function.starts_with("__mmu_notifier_invalidate_range_"));
/// assert_eq!(v.object.as_deref(), Some("notifier A"));
/// ```
pub trait Model: Send + Sync + 'static {
    /// One execution under backend `B`.
    fn run<B: Backend>(&self, main: &Task);

    /// The oracles that judge each execution (fresh ones per execution).
    fn oracles(&self) -> Vec<Box<dyn Oracle>> {
        notifier_properties::standard_oracles()
    }

    /// The SRCU implementation the model runs (`Kernel::new` takes it from
    /// [`notifier_core::KernelConfig::srcu`]), so that reports can say which SRCU a verdict
    /// rests on; `None` when it runs none.
    fn srcu(&self) -> Option<SrcuImpl> {
        None
    }
}
