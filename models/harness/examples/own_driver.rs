//! Checking a driver of one's own against the kernel model: a driver's `->release` unlinks its
//! notifier and frees the object embedding it, while an invalidate walker runs. Freeing at
//! once is a use-after-free of the notifier; freeing after a grace period
//! (`mmu_notifier_call_srcu`) is safe.
//!
//! Run it with `cargo run --release --example own_driver`; `cargo test` runs it too (the
//! example is a test target: models/harness/Cargo.toml).

use notifier_harness::prelude::*;

/// The driver: `->release` (called by the exit path) unlinks the notifier and frees the object
/// embedding it, at once or after a grace period; `invalidate_range_start` touches the object.
fn driver(defer_free: bool) -> Driver {
    Driver::new()
        .release(move |k, t, mn, mm| {
            k.mmu_notifier_unregister_no_release(t, mn, mm);
            if defer_free {
                let k2 = Arc::clone(k);
                k.mmu_notifier_call_srcu(t, Box::new(move |t| k2.kfree_notifier(t, mn)));
            } else {
                k.kfree_notifier(t, mn);
            }
        })
        .invalidate_range_start(|k, t, mn, _range| {
            k.notifier(mn).obj().touch(t, "driver state", true);
            Ok(())
        })
}

/// The program: E (the last `mmput`, which runs `__mmu_notifier_release`), W (an rmap walker:
/// `invalidate_range_start`, then `invalidate_range_end`) and G (the SRCU callback worker).
pub fn exit_with_walker(defer_free: bool) -> impl Fn(&Thread<'_>) + Send + Sync + Copy + 'static {
    move |main| {
        let k = main.kernel(vec![driver(defer_free).ops()]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        k.mmgrab(main, mm); // the walker's pin on the mm
        let exit = {
            let k = Arc::clone(&k);
            main.spawn("E", move |t| k.mmput(t, mm))
        };
        let walker = {
            let k = Arc::clone(&k);
            main.spawn("W", move |t| {
                let _ = k.invalidate_range(t, mm, Invalidator::RMAP);
            })
        };
        // The SRCU kworker on CPU slot 0, announced before it is spawned so that callbacks
        // queued before it first runs are routed to it.
        k.srcu.attach_worker(0);
        let worker = {
            let k = Arc::clone(&k);
            main.spawn("G", move |t| k.srcu.srcu_worker(t))
        };
        exit.join();
        walker.join();
        k.srcu.stop_worker(); // G drains the callbacks, then returns
        worker.join();
        k.mmdrop(main, mm);
    }
}

/// The settings of this example's checks: v3.17 (the kernel that added
/// `mmu_notifier_call_srcu`), 2,000 shuttle iterations.
pub fn settings(checker: CheckerKind) -> Builder {
    Builder::new()
        .kernel(KernelVersion::V3_17)
        .checker(checker)
        .iterations(2_000)
}

pub fn main() {
    // Freeing at once: shuttle's PCT scheduler finds the use-after-free of notifier A (by the
    // walker, or by exit's own list walk, which loads A->hlist.next after ->release).
    let report = settings(CheckerKind::ShuttlePct).check(exit_with_walker(false));
    let v = report.assert_violation(&Expected::new(ViolationKind::UseAfterFree).on("notifier A"));
    println!("free at once, shuttle-pct: {v}");

    // Freeing after a grace period: safe under shuttle-pct and under loom at preemption bound
    // 1 (a bounded search: the report says so).
    for (checker, bound) in [
        (CheckerKind::ShuttlePct, None),
        (CheckerKind::Loom, Some(1)),
    ] {
        let report = settings(checker)
            .preemption_bound(bound)
            .check(exit_with_walker(true));
        let safe = report.assert_safe();
        println!(
            "free after a grace period, {checker}: safe, {} executions ({})",
            safe.executions, safe.bound
        );
    }
}

/// What `cargo test` checks of this example: `main`'s assertions hold.
#[cfg(test)]
mod tests {
    #[test]
    fn the_example_runs() {
        super::main();
    }
}
