//! Writing your own scenario against the library: a driver's `->release` that unlinks its
//! notifier and frees it, checked while an invalidate walker runs. Freeing at once is a
//! use-after-free; freeing after a grace period (`mmu_notifier_call_srcu`) is safe.
//!
//! Run it with `cargo run --release --example own_driver`; `cargo test` runs it too
//! (models/harness/tests/example.rs).

use notifier_core::backend::JoinOps;
use notifier_core::{
    Backend, Errno, Invalidator, Kernel, KernelConfig, MmRef, MmuNotifierOps, MmuNotifierRange,
    MnRef, OpsId, Task, ViolationKind,
};
use notifier_harness::runner::check_in_process;
use notifier_harness::{CheckSpec, CheckerKind, Model, Verdict};
use std::sync::Arc;

/// The driver: `->release` (called by the exit path) unlinks the notifier and frees the object
/// embedding it, at once or after a grace period; `invalidate_range_start` touches the object.
struct Driver {
    defer_free: bool,
}

impl<B: Backend> MmuNotifierOps<B> for Driver {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        k.mmu_notifier_unregister_no_release(cur, mn, mm);
        if self.defer_free {
            let k2 = Arc::clone(k);
            k.mmu_notifier_call_srcu(cur, Box::new(move |cur| k2.kfree_notifier(cur, mn)));
        } else {
            k.kfree_notifier(cur, mn);
        }
    }

    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        _: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        k.notifier(mn).obj().touch(cur, "driver state", true);
        Ok(())
    }
}

/// The scenario: E (the last `mmput`, which runs `__mmu_notifier_release`), W (an invalidate
/// walker) and G (the SRCU callback worker), on v3.17.
struct ExitWithWalker {
    defer_free: bool,
}

impl Model for ExitWithWalker {
    fn run<B: Backend>(&self, main: &Task) {
        let driver = Driver {
            defer_free: self.defer_free,
        };
        let k = Kernel::<B>::new(KernelConfig::v3_17(), vec![Arc::new(driver)]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        k.mmgrab(main, mm); // the walker's pin on the mm
        let exit = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("E", 0, move |t| k.mmput(t, mm))
        };
        let walker = {
            let k = Arc::clone(&k);
            // An rmap walker: invalidate_range_start, then invalidate_range_end.
            main.spawn::<B, _>("W", 0, move |t| {
                let _ = k.invalidate_range(t, mm, Invalidator::RMAP);
            })
        };
        let worker = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("G", 0, move |t| k.srcu.srcu_worker(t))
        };
        exit.join();
        walker.join();
        k.srcu.stop_worker(); // G drains the callbacks, then returns
        worker.join();
        k.mmdrop(main, mm);
    }
}

fn spec(checker: CheckerKind, preemption_bound: Option<usize>) -> CheckSpec {
    CheckSpec {
        checker,
        preemption_bound,
        iterations: 2_000,
        seed: 1,
        pct_depth: 3,
    }
}

pub fn main() {
    // Freeing at once: shuttle's PCT scheduler finds the use-after-free of notifier A (by the
    // walker, or by exit's own list walk, which loads A->hlist.next after ->release).
    let bug = ExitWithWalker { defer_free: false };
    let outcome = check_in_process(Arc::new(bug), &spec(CheckerKind::ShuttlePct, None));
    println!("free at once, shuttle-pct: {}", outcome.summary());
    assert_eq!(outcome.observed, Verdict::Violation);
    let v = outcome.violation.expect("a violation");
    assert_eq!(v.kind, ViolationKind::UseAfterFree);
    assert_eq!(v.object.as_deref(), Some("notifier A"));

    // Freeing after a grace period: safe under shuttle-pct and under loom at preemption
    // bound 1 (a bounded search: say so when you report it). A loom check that can fail may
    // abort the process; run such checks in a child process (`runner::child::run` with a `Plan`).
    for (checker, bound) in [
        (CheckerKind::ShuttlePct, None),
        (CheckerKind::Loom, Some(1)),
    ] {
        let fixed = ExitWithWalker { defer_free: true };
        let outcome = check_in_process(Arc::new(fixed), &spec(checker, bound));
        println!(
            "free after a grace period, {checker}: {}",
            outcome.summary()
        );
        assert_eq!(outcome.observed, Verdict::Safe, "{}", outcome.summary());
    }
}
