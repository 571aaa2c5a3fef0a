//! A user's own driver, checked from the user's own crate with the harness's front door only.
//!
//! The driver mirrors an address space: its `invalidate_range_start` touches the object that
//! embeds its notifier. Its teardown unregisters the notifier and frees the object. Without a
//! grace period (`mmu_notifier_unregister_no_release`, then `kfree`: hmm's bug, fixed by
//! commit 6d7c3cde93c1) a walker may still be inside the notifier's method; with
//! `mmu_notifier_unregister` (which waits for SRCU) the free is safe.

mod common;

use common::aborting;
use notifier_harness::prelude::*;

/// W walks the address space while D tears the driver down, on `main`'s `mm`.
fn mirror(wait_for_walkers: bool) -> impl Fn(&Thread<'_>) + Send + Sync + Copy + 'static {
    move |main| {
        let driver = Driver::new().invalidate_range_start(|k, t, mn, _range| {
            k.notifier(mn).obj().touch(t, "mirror lock", true);
            Ok(())
        });
        let k = main.kernel(vec![driver.ops()]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        k.mmgrab(main, mm); // the walker's pin
        let walker = {
            let k = k.clone();
            main.spawn("W", move |t| {
                let _ = k.invalidate_range(t, mm, Invalidator::RMAP);
            })
        };
        let teardown = {
            let k = k.clone();
            main.spawn("D", move |t| {
                let _f = t.enter("mirror_teardown");
                if wait_for_walkers {
                    k.mmu_notifier_unregister(t, a, mm);
                } else {
                    k.mmu_notifier_unregister_no_release(t, a, mm);
                }
                k.kfree_notifier(t, a);
            })
        };
        walker.join();
        teardown.join();
        k.mmdrop(main, mm);
        k.mmput(main, mm);
    }
}

#[test]
fn loom_shows_the_teardown_that_waits_safe() {
    let report = Builder::new().check(mirror(true));
    let safe = report.assert_safe();
    assert!(safe.executions > 1, "{report}");
    println!("{report}");
}

#[test]
fn shuttle_finds_the_teardown_that_does_not_wait_and_its_token_replays() {
    let report = Builder::new()
        .checker(CheckerKind::ShuttlePct)
        .check(mirror(false));
    let v = report.assert_violation(
        &Expected::new(ViolationKind::UseAfterFree)
            .on("notifier A")
            .by("W"),
    );
    assert!(v.function.starts_with("__mmu_notifier_invalidate_range_"), "{report}");
    let token = report.token().expect("a token").to_string();
    replay(&token, mirror(false)).assert_reproduced();
    println!("{report}");
}

#[test]
fn loom_finds_it_too_and_its_token_replays() {
    let report = Builder::new().check(mirror(false));
    report.assert_violation(&Expected::new(ViolationKind::UseAfterFree).on("notifier A"));
    let token = report.token().expect("a token").to_string();
    replay(&token, mirror(false)).assert_reproduced();
}

#[test]
fn an_aborting_loom_model_does_not_take_the_test_binary_down() {
    let report = Builder::new().check(aborting);
    let v = report.assert_violation(&Expected::new(ViolationKind::Panic));
    assert!(v.message.contains("T reads its own store back"), "{report}");
    // Still here.
    Builder::new().check(|main| main.kmalloc("object A", 0u8).kfree(main)).assert_safe();
}

/// Run twice by the harness's test: once as it is, once with `NOTIFIER_CHECK_ITERATIONS=50`.
#[test]
fn the_environment_deepens_a_run_without_a_code_change() {
    let report = Builder::new()
        .checker(CheckerKind::ShuttleRandom)
        .check(mirror(true));
    let expected: u64 = std::env::var("NOTIFIER_CHECK_ITERATIONS")
        .map(|n| n.parse().unwrap())
        .unwrap_or(1_000);
    assert_eq!(report.assert_safe().executions, expected, "{report}");
    println!("{report}");
}
