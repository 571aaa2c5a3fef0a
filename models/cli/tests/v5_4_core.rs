//! The mmu_notifier core beyond get/put, below the catalogue: the mm's first registration
//! racing a walker (P2), amdkfd's `mmu_notifier_put` from `->release` on v5.4, and whole
//! ranges judged for the pairing of `invalidate_range_start` and `invalidate_range_end`. The
//! catalogue's checks of P2, amdkfd-v5.4 and the range scenarios (each kernel × checker) are
//! the campaign's (`campaign.rs`).

use notifier_catalog::scenarios::notifier::drivers::{AmdkfdPut, FlushOnly};
use notifier_catalog::scenarios::notifier::publication::first_registration;
use notifier_core::{Backend, Errno, Execution, Invalidator, Kernel, KernelConfig};
use notifier_core::{MmuNotifierOps, MmuNotifierRange, MnRef, OpsId, Std, Task, ViolationKind};
use notifier_harness::runner::check_in_process;
use notifier_harness::{CheckSpec, CheckerKind, Model, Outcome, Verdict};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::in_child as child;

use child::in_child;

/// On one thread: v5.4's `mmu_notifier_register` sets `mn->mm` and `users = 1`, so a put
/// unlinks the notifier and frees it after the worker's grace period, once, with every oracle
/// satisfied. v3.17's registration sets neither, and the same put is a `BUG`.
#[test]
fn v5_4_registration_gives_a_user_that_a_put_drops() {
    let exec = Execution::new(notifier_properties::standard_oracles());
    let main = exec.main_task();
    let k = Kernel::<Std>::new(KernelConfig::v5_4(), vec![Arc::new(AmdkfdPut::Correct)]);
    let mm = k.mm_alloc(&main, "mm");
    let a = k.alloc_notifier(&main, "notifier A", OpsId(0));
    k.mmu_notifier_register(&main, a, mm);
    k.mmu_notifier_put(&main, a);
    // main then serves as CPU slot 0's kworker (announced first, as a spawner announces one)
    // and runs the queued work (Tree SRCU's process_srcu, then the callbacks) to the end.
    k.srcu.attach_worker(0);
    k.srcu.stop_worker();
    k.srcu.srcu_worker(&main);
    k.mmput(&main, mm);
    exec.finish();
    assert_eq!(exec.violation(), None);
    let trace: Vec<String> = exec.events().iter().map(|e| e.text()).collect();
    for wanted in [
        "kmalloc mmu_notifier_mm; INIT_HLIST_HEAD, spin_lock_init",
        "down_write(mm->rmap locks)",
        "registered notifier A: users = 1",
        "notifier A: users = 0",
        "unlinked notifier A",
        "kfree notifier A",
    ] {
        assert!(
            trace.iter().any(|l| l.contains(wanted)),
            "{wanted}: {trace:#?}"
        );
    }

    let exec = Execution::new(notifier_properties::standard_oracles());
    let main = exec.main_task();
    let k = Kernel::<Std>::new(KernelConfig::v3_17(), vec![Arc::new(AmdkfdPut::Correct)]);
    let mm = k.mm_alloc(&main, "mm");
    let a = k.alloc_notifier(&main, "notifier A", OpsId(0));
    k.mmu_notifier_register(&main, a, mm);
    let r = catch_unwind(AssertUnwindSafe(|| k.mmu_notifier_put(&main, a)));
    assert!(r.is_err(), "the put stops the execution");
    let v = exec.violation().expect("a BUG");
    assert_eq!(v.kind, ViolationKind::Contract);
    assert_eq!(v.function, "mmu_notifier_put");
    assert!(v.message.contains("mn->mm was never set"), "{}", v.message);
}

/// A KVM-style notifier that counts the walks that reach it (a harness counter, not a step of
/// the model).
struct CountingFlush;

static STARTS_ON_A: AtomicUsize = AtomicUsize::new(0);

impl<B: Backend> MmuNotifierOps<B> for CountingFlush {
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        range: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        STARTS_ON_A.fetch_add(1, Ordering::Relaxed);
        <FlushOnly as MmuNotifierOps<B>>::invalidate_range_start(&FlushOnly, k, cur, mn, range)
    }
}

struct CountedFirstRegistration;

impl Model for CountedFirstRegistration {
    fn run<B: Backend>(&self, main: &Task) {
        first_registration::<B>(
            KernelConfig::v5_4(),
            main,
            Arc::new(CountingFlush),
            Invalidator::RMAP,
        );
    }
}

/// loom can silently collapse its exploration when a spawned thread loads before it stores
/// (loom#392). P2's pass is not such a collapse: in the same exhaustive exploration, some
/// executions have the rmap walker's start reach A (it ran after the registration) and others
/// not (it ran before).
#[test]
fn p2_loom_pass_explores_the_walker_on_both_sides_of_the_registration() {
    let (o, reached): (Outcome, u64) = in_child(
        module_path!(),
        "p2_loom_pass_explores_the_walker_on_both_sides_of_the_registration",
        || {
            let spec = CheckSpec {
                checker: CheckerKind::Loom,
                preemption_bound: None,
                iterations: 1,
                seed: 1,
                pct_depth: 1,
            };
            let o = check_in_process(Arc::new(CountedFirstRegistration), &spec);
            (o, STARTS_ON_A.load(Ordering::Relaxed) as u64)
        },
    );
    assert_eq!(o.observed, Verdict::Safe, "{o:#?}");
    eprintln!(
        "P2 v5.4 loom: {} executions, {reached} with the walker's start on A",
        o.executions
    );
    assert!(reached > 0, "loom never let the walker see A");
    assert!(reached < o.executions, "loom never let the walker miss A");
}
