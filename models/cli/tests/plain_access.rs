//! A plain access to a kernel object is a point where shuttle may schedule another thread.
//!
//! A driver publishes its object through an RCU pointer. The reader loads the pointer inside
//! an SRCU read-side section and then touches the object with a plain access
//! (`KObj::touch`, as the example driver does); the buggy updater unpublishes the object and
//! frees it at once, without waiting for a grace period. The free can only hurt between the
//! reader's pointer load and its touch: if the touch were not a scheduling point, shuttle
//! would run the load and the touch as one step and never put the free between them, while
//! loom's race detector sees the access. Every checker must find the use-after-free at the
//! reader's touch.

use crate::common::in_child as child;

use child::in_child;
use notifier_core::backend::{AtomicUsizeOps, JoinOps, Ordering};
use notifier_core::srcu::{SrcuImpl, SrcuStruct, SrcuVariant};
use notifier_core::{Backend, KObj, Task, ViolationKind};
use notifier_harness::runner::check_in_process;
use notifier_harness::{CheckSpec, CheckerKind, Model, Outcome, Verdict};
use std::sync::Arc;

/// R: `srcu_read_lock`; `p = rcu_dereference(gp)`; `p->data` (plain); `srcu_read_unlock`.
/// U: `rcu_assign_pointer(gp, NULL)`; `kfree(p)` (no `synchronize_srcu`: the bug).
struct FreeWithoutGracePeriod;

struct World<B: Backend> {
    srcu: SrcuStruct<B>,
    /// `gp`: 1 points at the object, 0 is NULL.
    gp: B::AtomicUsize,
    obj: KObj<B>,
}

impl Model for FreeWithoutGracePeriod {
    fn run<B: Backend>(&self, main: &Task) {
        let obj = KObj::kmalloc(main, "driver object");
        obj.touch(main, "data", true);
        let w = Arc::new(World::<B> {
            srcu: SrcuStruct::new(SrcuImpl::Classic, 1, SrcuVariant::Kernel),
            gp: B::AtomicUsize::new(1),
            obj,
        });
        let reader = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>("R", 0, move |t| {
                let _f = t.enter("driver_read");
                let idx = w.srcu.srcu_read_lock(t);
                // rcu_dereference: an acquire load, paired with the initialisation's
                // publication by main before the spawn.
                if w.gp.load(Ordering::Acquire) != 0 {
                    w.obj.touch(t, "data", false);
                }
                w.srcu.srcu_read_unlock(t, idx);
            })
        };
        let updater = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>("U", 0, move |t| {
                let _f = t.enter("driver_teardown");
                w.gp.store(0, Ordering::Release);
                w.obj.kfree(t);
            })
        };
        reader.join();
        updater.join();
    }
}

fn spec(checker: CheckerKind) -> CheckSpec {
    CheckSpec {
        checker,
        preemption_bound: None,
        iterations: 2_000,
        seed: 1,
        pct_depth: 3,
    }
}

/// The use-after-free at R's touch, with the free named as its cause.
fn assert_found_at_the_touch(o: &Outcome) {
    assert_eq!(o.observed, Verdict::Violation, "{}", o.summary());
    let v = o.violation.as_ref().expect("a violation");
    assert_eq!(v.kind, ViolationKind::UseAfterFree, "{v}");
    assert_eq!(v.object.as_deref(), Some("driver object"), "{v}");
    assert_eq!(v.thread, "R", "{v}");
    assert_eq!(v.function, "driver_read", "{v}");
    assert!(v.message.contains("driver object->data"), "{v}");
    let cause = v.cause.as_ref().expect("the free is the cause");
    assert_eq!(cause.thread, "U", "{v}");
    assert_eq!(cause.function, "driver_teardown", "{v}");
    assert_eq!(cause.what, "kfree driver object", "{v}");
}

#[test]
fn shuttle_random_schedules_a_free_between_a_pointer_load_and_a_plain_access() {
    let o = check_in_process(
        Arc::new(FreeWithoutGracePeriod),
        &spec(CheckerKind::ShuttleRandom),
    );
    println!("{}", o.summary());
    assert_found_at_the_touch(&o);
    // The recorded access is R's touch, after the free in the trace.
    let step = o.violation.as_ref().and_then(|v| v.step).expect("recorded");
    assert!(o.trace[step].text().ends_with("load driver object->data"));
}

#[test]
fn shuttle_pct_schedules_a_free_between_a_pointer_load_and_a_plain_access() {
    let o = check_in_process(
        Arc::new(FreeWithoutGracePeriod),
        &spec(CheckerKind::ShuttlePct),
    );
    println!("{}", o.summary());
    assert_found_at_the_touch(&o);
}

#[test]
fn loom_finds_it_too() {
    let o: Outcome = in_child(module_path!(), "loom_finds_it_too", || {
        check_in_process(Arc::new(FreeWithoutGracePeriod), &spec(CheckerKind::Loom))
    });
    println!("{}", o.summary());
    assert_found_at_the_touch(&o);
}
