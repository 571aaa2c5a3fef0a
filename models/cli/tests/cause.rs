//! Reports point at the cause, not only the symptom: a use-after-free names the free, where
//! it happened and what called it; an `mm_struct` freed under its users names the pin that was
//! dropped twice; a deadlock names what each blocked thread waits for and who holds it.
//!
//! Each model is a user's driver written against the library, with its bug placed so that
//! every checker meets it in its first execution, except the deadlock, which needs the walker
//! inside its read-side section when the owner takes the driver's lock.

use crate::common::in_child as child;

use child::in_child;
use notifier_core::backend::JoinOps;
use notifier_core::mutex::{mutex_unlock, KMutex};
use notifier_core::{
    Backend, Errno, Kernel, KernelConfig, MmRef, MmuNotifierOps, MmuNotifierRange, MnRef, OpsId,
    Task, Violation, ViolationKind,
};
use notifier_harness::runner::check_in_process;
use notifier_harness::{CheckSpec, CheckerKind, Model, Outcome, Verdict};
use std::sync::Arc;

/// A driver that does nothing in its methods.
struct Quiet;
impl<B: Backend> MmuNotifierOps<B> for Quiet {}

fn spec(checker: CheckerKind) -> CheckSpec {
    CheckSpec {
        checker,
        preemption_bound: Some(2),
        iterations: 2_000,
        seed: 1,
        pct_depth: 3,
    }
}

/// Checks `model` under every checker (loom in a child process of this test binary, named
/// `test`) and returns the violations.
fn everywhere<M: Model>(test: &str, model: impl Fn() -> M) -> Vec<Violation> {
    let loom: Outcome = in_child(module_path!(), test, || {
        check_in_process(Arc::new(model()), &spec(CheckerKind::Loom))
    });
    let mut outcomes = vec![loom];
    for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
        outcomes.push(check_in_process(Arc::new(model()), &spec(checker)));
    }
    outcomes
        .into_iter()
        .map(|o| {
            println!("{}", o.summary());
            assert_ne!(o.observed, Verdict::Safe, "{}", o.summary());
            o.violation.expect("a violation")
        })
        .collect()
}

/// X: `mmput` (exit), then `mmu_notifier_unregister(A)`, whose `mmdrop` drops the last pin and
/// frees the mm; then W walks the mm without a pin of its own (the bug).
struct WalkerWithoutPin;

impl Model for WalkerWithoutPin {
    fn run<B: Backend>(&self, main: &Task) {
        let k = Kernel::<B>::new(KernelConfig::v3_17(), vec![Arc::new(Quiet)]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        let x = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("X", 0, move |t| {
                k.mmput(t, mm);
                k.mmu_notifier_unregister(t, a, mm);
                k.kfree_notifier(t, a);
            })
        };
        x.join();
        let w = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("W", 0, move |t| {
                let range = MmuNotifierRange {
                    mm,
                    blockable: true,
                };
                let _ = k.__mmu_notifier_invalidate_range_start(t, &range);
            })
        };
        w.join();
    }
}

#[test]
fn a_use_after_free_names_the_mmdrop_inside_mmu_notifier_unregister() {
    for v in everywhere(
        "a_use_after_free_names_the_mmdrop_inside_mmu_notifier_unregister",
        || WalkerWithoutPin,
    ) {
        assert_eq!(v.kind, ViolationKind::UseAfterFree, "{v}");
        assert_eq!(v.object.as_deref(), Some("mm"), "{v}");
        assert_eq!(v.thread, "W", "{v}");
        let c = v.cause.as_ref().expect("a cause");
        assert_eq!(c.what, "kfree mm", "{v}");
        assert_eq!(c.thread, "X", "{v}");
        assert_eq!(c.function, "mmdrop", "{v}");
        assert_eq!(c.caller, "mmu_notifier_unregister", "{v}");
        assert!(
            c.detail.contains("held no pin of its own"),
            "every pin dropped was taken: {v}"
        );
        assert!(
            v.to_string()
                .contains("kfree mm by X in mmdrop called from mmu_notifier_unregister"),
            "{v}"
        );
    }
}

/// amdkfd's teardown without its `mmgrab`: `->release` unlinks with
/// `mmu_notifier_unregister_no_release` (which drops the registration's pin) and queues a
/// callback that frees the object and drops a pin the driver never took.
struct ReleaseWithoutGrab;

impl<B: Backend> MmuNotifierOps<B> for ReleaseWithoutGrab {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        k.mmu_notifier_unregister_no_release(cur, mn, mm);
        let k2 = Arc::clone(k);
        k.mmu_notifier_call_srcu(
            cur,
            Box::new(move |cur| {
                k2.kfree_notifier(cur, mn);
                k2.mmdrop(cur, mm);
            }),
        );
    }
}

/// main pins the mm for W; E exits (its `->release` is the driver above), G runs the
/// callbacks; then W walks, holding main's pin: the mm is already gone.
struct PinDroppedTwice;

impl Model for PinDroppedTwice {
    fn run<B: Backend>(&self, main: &Task) {
        let k = Kernel::<B>::new(KernelConfig::v3_17(), vec![Arc::new(ReleaseWithoutGrab)]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        k.mmgrab(main, mm); // W's pin
        let e = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("E", 0, move |t| k.mmput(t, mm))
        };
        // G is the kworker of CPU slot 0: announced before it is spawned, so that the
        // callback E queues is routed to it.
        k.srcu.attach_worker(0);
        let g = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("G", 0, move |t| k.srcu.srcu_worker(t))
        };
        e.join();
        k.srcu.stop_worker();
        g.join();
        let w = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("W", 0, move |t| {
                let range = MmuNotifierRange {
                    mm,
                    blockable: true,
                };
                let _ = k.__mmu_notifier_invalidate_range_start(t, &range);
            })
        };
        w.join();
        k.mmdrop(main, mm);
    }
}

#[test]
fn an_mm_freed_under_its_users_names_the_pin_dropped_twice() {
    for v in everywhere(
        "an_mm_freed_under_its_users_names_the_pin_dropped_twice",
        || PinDroppedTwice,
    ) {
        assert_eq!(v.kind, ViolationKind::UseAfterFree, "{v}");
        assert_eq!(v.object.as_deref(), Some("mm"), "{v}");
        assert_eq!(v.thread, "W", "{v}");
        let c = v.cause.as_ref().expect("a cause");
        assert_eq!(c.what, "kfree mm", "{v}");
        // G's callback drops the pin ->release never took (whichever drop frees the mm).
        assert!(
            c.detail.contains("in the SRCU callback queued at step")
                && c.detail.contains(
                    "(call_srcu), step 44 in ->release of notifier A) drops a pin of the driver \
                     of notifier A, but no such pin was taken (no mmgrab pairs with it): a pin \
                     dropped twice"
                ),
            "{v}"
        );
    }
}

/// The driver's lock, in the object embedding its notifier: `invalidate_range_start` takes
/// it, and so does the owner around `mmu_notifier_unregister` (the bug: unregister waits for
/// the walker's read-side section, and the walker waits for the lock).
struct LockedMirror<B: Backend> {
    lock: KMutex<B>,
}

impl<B: Backend> MmuNotifierOps<B> for LockedMirror<B> {
    fn invalidate_range_start(
        &self,
        k: &Arc<Kernel<B>>,
        cur: &Task,
        mn: MnRef,
        _: &MmuNotifierRange,
    ) -> Result<(), Errno> {
        let g = self.lock.mutex_lock(cur, k.notifier(mn).obj());
        mutex_unlock(cur, g);
        Ok(())
    }
}

/// W walks; U takes the driver's lock, then unregisters and frees the notifier.
struct UnregisterUnderDriverLock;

impl Model for UnregisterUnderDriverLock {
    fn run<B: Backend>(&self, main: &Task) {
        let driver = Arc::new(LockedMirror::<B> {
            lock: KMutex::new("mirror_lock"),
        });
        let ops: Arc<dyn MmuNotifierOps<B>> = driver.clone();
        let k = Kernel::<B>::new(KernelConfig::v3_17(), vec![ops]);
        let mm = k.mm_alloc(main, "mm");
        let a = k.alloc_notifier(main, "notifier A", OpsId(0));
        k.mmu_notifier_register(main, a, mm);
        k.mmgrab(main, mm); // W's pin
        let w = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("W", 0, move |t| {
                let range = MmuNotifierRange {
                    mm,
                    blockable: true,
                };
                let _ = k.__mmu_notifier_invalidate_range_start(t, &range);
            })
        };
        let u = {
            let k = Arc::clone(&k);
            main.spawn::<B, _>("U", 0, move |t| {
                let g = driver.lock.mutex_lock(t, k.notifier(a).obj());
                k.mmu_notifier_unregister(t, a, mm);
                mutex_unlock(t, g);
                k.kfree_notifier(t, a);
            })
        };
        w.join();
        u.join();
        k.mmdrop(main, mm);
        k.mmput(main, mm);
    }
}

#[test]
fn a_deadlock_names_what_each_thread_waits_for_and_who_holds_it() {
    for v in everywhere(
        "a_deadlock_names_what_each_thread_waits_for_and_who_holds_it",
        || UnregisterUnderDriverLock,
    ) {
        assert_eq!(v.kind, ViolationKind::Deadlock, "{v}");
        assert_eq!(v.thread, "U", "{v}");
        assert_eq!(v.function, "mmu_notifier_unregister", "{v}");
        assert!(
            v.message.contains(
                "U waits in mmu_notifier_unregister (synchronize_srcu) for a grace period, \
                 held up by W's read-side section"
            ),
            "{v}"
        );
        assert!(
            v.message.contains(
                "W waits in __mmu_notifier_invalidate_range_start (invalidate_range_start) \
                 for notifier A->mirror_lock, held by U since step"
            ),
            "{v}"
        );
        let c = v.cause.as_ref().expect("a cause");
        assert_eq!(c.thread, "W", "{v}");
        assert!(c.what.starts_with("srcu_read_lock"), "{v}");
    }
}
