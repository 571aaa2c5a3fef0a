//! Which access a report blames when loom's race detector flags a free.
//!
//! Two readers of an SRCU-protected object: R1 uses it inside its read-side section (correct:
//! the updater's grace period orders that use before the free), R2 uses it after its
//! `srcu_read_unlock` (the bug: nothing orders that use before the free). In every execution
//! R2's use comes first in the trace and R1's second, and the free last, so a report that
//! blamed "the latest access by another thread" would name R1's correct use. The report must
//! name the access loom's causality check flagged, R2's, and a replay must blame it again.
//!
//! loom may abort the process when a failure unwinds, so each loom check runs in a child
//! process (this test binary again, filtered to one test).

use crate::common::in_child as child;

use child::in_child;
use notifier_core::backend::{AtomicUsizeOps, JoinOps, Ordering};
use notifier_core::srcu::{SrcuImpl, SrcuStruct, SrcuVariant};
use notifier_core::{Backend, KObj, Task, ViolationKind};
use notifier_harness::runner::{check_in_process, judge, replay_in_process, ReplayVerdict};
use notifier_harness::{CheckSpec, CheckerKind, Model, Outcome, Verdict};
use std::sync::Arc;

/// R1 reads inside its section, R2 after its unlock; U frees after a grace period.
struct ReaderAfterUnlock;

struct World<B: Backend> {
    srcu: SrcuStruct<B>,
    obj: KObj<B>,
    /// Set by R1 once its section has begun, so that the updater's grace period must wait
    /// for it.
    r1_in: B::AtomicUsize,
    /// Set (relaxed) by R2 once its late use is done: it fixes the trace order (R2's use,
    /// then R1's, then the free) without ordering R2's use before anything.
    r2_used: B::AtomicUsize,
}

impl<B: Backend> World<B> {
    fn wait_for(&self, cur: &Task, what: &'static str, flag: &B::AtomicUsize) {
        cur.wait_until::<B>(what, || flag.load(Ordering::Relaxed) != 0);
    }
}

impl Model for ReaderAfterUnlock {
    fn run<B: Backend>(&self, main: &Task) {
        let obj = KObj::kmalloc(main, "object A");
        obj.touch(main, "data", true);
        let w = Arc::new(World::<B> {
            srcu: SrcuStruct::new(SrcuImpl::Classic, 2, SrcuVariant::Kernel),
            obj,
            r1_in: B::AtomicUsize::new(0),
            r2_used: B::AtomicUsize::new(0),
        });
        let r1 = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>("R1", 0, move |t| {
                let _f = t.enter("reader_in_section");
                let idx = w.srcu.srcu_read_lock(t);
                w.r1_in.store(1, Ordering::Relaxed);
                w.wait_for(t, "R2's use", &w.r2_used);
                w.obj.touch(t, "data", false);
                w.srcu.srcu_read_unlock(t, idx);
            })
        };
        let r2 = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>("R2", 1, move |t| {
                let _f = t.enter("reader_after_unlock");
                let idx = w.srcu.srcu_read_lock(t);
                w.srcu.srcu_read_unlock(t, idx);
                w.obj.touch(t, "data", false);
                w.r2_used.store(1, Ordering::Relaxed);
            })
        };
        let u = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>("U", 0, move |t| {
                let _f = t.enter("updater");
                w.wait_for(t, "R1's section", &w.r1_in);
                w.wait_for(t, "R2's use", &w.r2_used);
                w.srcu.synchronize_srcu(t);
                w.obj.kfree(t);
            })
        };
        r1.join();
        r2.join();
        u.join();
    }
}

fn loom_spec() -> CheckSpec {
    CheckSpec {
        checker: CheckerKind::Loom,
        preemption_bound: Some(2),
        iterations: 0,
        seed: 0,
        pct_depth: 0,
    }
}

/// The step of thread `thread`'s `load object A->data` in the outcome's trace.
fn load_step(o: &Outcome, thread: &str) -> usize {
    o.trace
        .iter()
        .find(|l| l.thread == thread && l.text().ends_with("load object A->data"))
        .unwrap_or_else(|| panic!("{thread}'s load is in the trace: {:#?}", o.trace))
        .step
}

fn assert_blames_r2(o: &Outcome) {
    assert_eq!(o.observed, Verdict::Violation, "{}", o.summary());
    let v = o.violation.as_ref().expect("a violation");
    assert_eq!(v.kind, ViolationKind::UseAfterFree, "{v}");
    assert_eq!(v.object.as_deref(), Some("object A"), "{v}");
    assert_eq!(v.thread, "R2", "{v}");
    assert_eq!(v.function, "reader_after_unlock", "{v}");
    assert_eq!(v.step, Some(load_step(o, "R2")), "{v}");
    let r1 = load_step(o, "R1");
    let free = o
        .trace
        .iter()
        .find(|l| l.text().ends_with("kfree object A"))
        .expect("the free is in the trace")
        .step;
    assert!(
        load_step(o, "R2") < r1 && r1 < free,
        "the trace must put R2's use, then R1's, then the free: {:#?}",
        o.trace
    );
    let cause = v.cause.as_ref().expect("the free is named as the cause");
    assert_eq!(cause.step, Some(free), "{v}");
    assert_eq!(cause.thread, "U", "{v}");
}

#[test]
fn loom_blames_the_access_its_race_check_flagged_not_the_latest_one() {
    let o: Outcome = in_child(
        module_path!(),
        "loom_blames_the_access_its_race_check_flagged_not_the_latest_one",
        || check_in_process(Arc::new(ReaderAfterUnlock), &loom_spec()),
    );
    println!("{}", o.summary());
    assert_blames_r2(&o);
}

#[test]
fn a_loom_replay_blames_the_same_access() {
    let (first, again): (Outcome, Outcome) = in_child(
        module_path!(),
        "a_loom_replay_blames_the_same_access",
        || {
            let first = check_in_process(Arc::new(ReaderAfterUnlock), &loom_spec());
            let replay = first.replay.clone().expect("a replay");
            let again = replay_in_process(Arc::new(ReaderAfterUnlock), &replay);
            (first, again)
        },
    );
    assert_blames_r2(&first);
    assert_blames_r2(&again);
    assert_eq!(first.violation, again.violation);
    let replay = first.replay.as_ref().expect("a replay");
    assert_eq!(judge(replay, &again), ReplayVerdict::Reproduced);
}

/// The trace records R2's use, R1's use and the free in this order under every checker; only
/// loom sees that R2's use is not ordered before the free.
#[test]
fn the_trace_order_is_fixed() {
    let spec = CheckSpec {
        checker: CheckerKind::ShuttlePct,
        preemption_bound: None,
        iterations: 300,
        seed: 3,
        pct_depth: 3,
    };
    let o = check_in_process(Arc::new(ReaderAfterUnlock), &spec);
    assert_eq!(o.observed, Verdict::Safe, "{}", o.summary());
    assert_eq!(o.executions, 300);
}
