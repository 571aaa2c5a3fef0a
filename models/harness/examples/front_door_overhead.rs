//! What the front door's run-time backend costs: the same programs, checked through the
//! generic path (a [`Model`] whose `run<B>` is compiled for loom's or shuttle's own
//! primitives) and through the front door (a closure on [`Dyn`], whose primitives are each
//! loom's or shuttle's, chosen when the check starts). Both run in this process, one after
//! the other, `ROUNDS` times each; the table gives the executions (which must be the same:
//! the backend does not change what the checker explores) and the median seconds.
//!
//! Run it with `cargo run --release --example front_door_overhead` (times are wall-clock: on
//! a loaded machine, compare the two columns of one run, not runs with each other). `cargo
//! test` runs the `tests` module below (the example is a test target:
//! models/harness/Cargo.toml): the two paths explore the same executions.

use notifier_core::backend::JoinOps;
use notifier_core::srcu::{SrcuImpl, SrcuStruct};
use notifier_core::{
    Backend, Errno, Invalidator, KBox, Kernel, KernelConfig, MmRef, MmuNotifierOps,
    MmuNotifierRange, MnRef, OpsId, RcuPointer, Task,
};
use notifier_harness::dynamic::Dyn;
use notifier_harness::prelude::{Builder, CheckerKind, Isolation};
use notifier_harness::{Model, Outcome};
use std::sync::Arc;
use std::time::Duration;

/// The programs, each written once, generic over the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// The srcu_config example: R1 and R2 read a config under SRCU; U replaces it and frees the
    /// old one (after `synchronize_srcu` when `grace_period`).
    SrcuConfig {
        /// Whether U waits for a grace period before the free.
        grace_period: bool,
    },
    /// The own_driver example: exit, an rmap walker and the SRCU worker, over a driver whose
    /// `->release` frees its notifier (after a grace period when `defer_free`).
    ExitWithWalker {
        /// Whether the driver frees through `mmu_notifier_call_srcu`.
        defer_free: bool,
    },
}

impl Model for Program {
    fn run<B: Backend>(&self, main: &Task) {
        match *self {
            Program::SrcuConfig { grace_period } => srcu_config::<B>(main, grace_period),
            Program::ExitWithWalker { defer_free } => exit_with_walker::<B>(main, defer_free),
        }
    }
}

fn srcu_config<B: Backend>(main: &Task, grace_period: bool) {
    let srcu = Arc::new(SrcuStruct::<B>::new(
        SrcuImpl::Classic,
        1,
        Default::default(),
    ));
    let config = Arc::new(RcuPointer::<B, KBox<B, u32>>::new("dev->config"));
    let a = Arc::new(KBox::kmalloc(main, "config A", 1u32));
    config.rcu_assign_pointer(main, Some(&a));
    let readers: Vec<B::JoinHandle<()>> = ["R1", "R2"]
        .into_iter()
        .map(|name| {
            let (srcu, config) = (srcu.clone(), config.clone());
            main.spawn::<B, _>(name, 0, move |t| {
                let _f = t.enter("read_threshold");
                let idx = srcu.srcu_read_lock(t);
                if let Some(c) = config.srcu_dereference(t, &idx) {
                    c.read(t, "threshold", |v| *v);
                }
                srcu.srcu_read_unlock(t, idx);
            })
        })
        .collect();
    let updater = {
        let (srcu, config) = (srcu.clone(), config.clone());
        main.spawn::<B, _>("U", 0, move |t| {
            let _f = t.enter("set_threshold");
            let b = Arc::new(KBox::kmalloc(t, "config B", 2u32));
            let old = config.rcu_replace_pointer(t, Some(&b)).expect("A");
            if grace_period {
                srcu.synchronize_srcu(t);
            }
            old.kfree(t);
        })
    };
    for r in readers {
        r.join();
    }
    updater.join();
    let last = config.rcu_dereference_protected(main).expect("B");
    last.kfree(main);
}

/// The own_driver example's driver, generic.
struct FreeInRelease {
    defer_free: bool,
}

impl<B: Backend> MmuNotifierOps<B> for FreeInRelease {
    fn release(&self, k: &Arc<Kernel<B>>, cur: &Task, mn: MnRef, mm: MmRef) {
        k.mmu_notifier_unregister_no_release(cur, mn, mm);
        if self.defer_free {
            let k2 = Arc::clone(k);
            k.mmu_notifier_call_srcu(cur, Box::new(move |t| k2.kfree_notifier(t, mn)));
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

fn exit_with_walker<B: Backend>(main: &Task, defer_free: bool) {
    let k = Kernel::<B>::new(
        KernelConfig::v3_17(),
        vec![Arc::new(FreeInRelease { defer_free })],
    );
    let mm = k.mm_alloc(main, "mm");
    let a = k.alloc_notifier(main, "notifier A", OpsId(0));
    k.mmu_notifier_register(main, a, mm);
    k.mmgrab(main, mm);
    let exit = {
        let k = Arc::clone(&k);
        main.spawn::<B, _>("E", 0, move |t| k.mmput(t, mm))
    };
    let walker = {
        let k = Arc::clone(&k);
        main.spawn::<B, _>("W", 0, move |t| {
            let _ = k.invalidate_range(t, mm, Invalidator::RMAP);
        })
    };
    k.srcu.attach_worker(0);
    let worker = {
        let k = Arc::clone(&k);
        main.spawn::<B, _>("G", 0, move |t| k.srcu.srcu_worker(t))
    };
    exit.join();
    walker.join();
    k.srcu.stop_worker();
    worker.join();
    k.mmdrop(main, mm);
}

/// Checks `program` through the generic path (`Builder::check_model`) as `settings` say.
pub fn generic(settings: &Builder, program: Program) -> Outcome {
    let report = settings.check_model(Arc::new(program));
    report.outcome().cloned().expect("the check has an outcome")
}

/// Checks `program` through the front door (a closure on `Dyn`) as `settings` say.
pub fn front_door(settings: &Builder, program: Program) -> Outcome {
    let report = settings.check(move |main| program.run::<Dyn>(main.task()));
    report.outcome().cloned().expect("the check has an outcome")
}

const ROUNDS: usize = 5;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

pub fn main() {
    let cases = [
        (
            "srcu_config (grace period)",
            Program::SrcuConfig { grace_period: true },
            CheckerKind::Loom,
            Some(3),
        ),
        (
            "srcu_config (grace period)",
            Program::SrcuConfig { grace_period: true },
            CheckerKind::ShuttlePct,
            None,
        ),
        (
            "own_driver (defer free)",
            Program::ExitWithWalker { defer_free: true },
            CheckerKind::Loom,
            Some(2),
        ),
        (
            "own_driver (defer free)",
            Program::ExitWithWalker { defer_free: true },
            CheckerKind::ShuttlePct,
            None,
        ),
    ];
    println!(
        "| program | checker | executions | generic (s) | front door (s) | front door / generic |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: |");
    for (name, program, checker, bound) in cases {
        let settings = Builder::new()
            .checker(checker)
            .preemption_bound(bound)
            .iterations(10_000)
            .isolation(Isolation::InProcess)
            .time_limit(Some(Duration::from_secs(600)));
        let (mut g, mut d) = (Vec::new(), Vec::new());
        let mut executions = 0;
        for _ in 0..ROUNDS {
            let a = generic(&settings, program);
            let b = front_door(&settings, program);
            assert_eq!(
                a.executions, b.executions,
                "{name}: the backend changed the exploration"
            );
            executions = a.executions;
            g.push(a.seconds);
            d.push(b.seconds);
        }
        let (g, d) = (median(g), median(d));
        println!(
            "| {name} | {checker} ({}) | {executions} | {g:.3} | {d:.3} | {:.2} |",
            match bound {
                Some(pb) => format!("bound {pb}"),
                None => "10,000 PCT".to_string(),
            },
            d / g
        );
    }
}

/// The front door's backend (`Dyn`, chosen when a check starts) changes nothing a checker
/// explores: the same program, checked through the generic path and through a closure, runs
/// the same number of executions to the same verdict, and a failure has the same trace and the
/// same replay path, under each checker.
#[cfg(test)]
mod tests {
    use super::*;
    use notifier_harness::prelude::{Verdict, ViolationKind};

    /// Checks `program` both ways and returns the one outcome they must share.
    fn same(settings: &Builder, program: Program) -> Outcome {
        let a = generic(settings, program);
        let b = front_door(settings, program);
        let what = format!("{program:?}, {}", settings.spec().checker);
        assert_eq!(a.executions, b.executions, "{what}");
        assert_eq!(a.observed, b.observed, "{what}");
        assert_eq!(a.violation, b.violation, "{what}");
        assert_eq!(a.trace, b.trace, "{what}");
        assert_eq!(a.replay, b.replay, "{what}");
        assert_eq!(a.bound, b.bound, "{what}");
        a
    }

    #[test]
    fn a_closure_check_explores_what_the_generic_model_explores() {
        for checker in CheckerKind::ALL {
            let settings = Builder::new()
                .checker(checker)
                .preemption_bound(Some(1))
                .iterations(500);
            // The programs that free after a grace period are safe; the others are
            // use-after-frees (so the traces compared are failures' traces, and a program
            // that panics both ways cannot pass for an equivalence).
            for (program, safe) in [
                (Program::SrcuConfig { grace_period: true }, true),
                (
                    Program::SrcuConfig {
                        grace_period: false,
                    },
                    false,
                ),
                (Program::ExitWithWalker { defer_free: true }, true),
                (Program::ExitWithWalker { defer_free: false }, false),
            ] {
                let o = same(&settings, program);
                let what = format!("{program:?}, {checker}: {}", o.summary());
                if safe {
                    assert_eq!(o.observed, Verdict::Safe, "{what}");
                } else {
                    assert_eq!(o.observed, Verdict::Violation, "{what}");
                    let kind = o.violation.as_ref().map(|v| v.kind);
                    assert_eq!(kind, Some(ViolationKind::UseAfterFree), "{what}");
                    assert!(!o.trace.is_empty(), "{what}");
                }
            }
        }
    }
}
