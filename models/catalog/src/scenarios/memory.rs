//! Planted memory bugs: small programs with a known use-after-free, double free or leak,
//! which the memory oracle (and, for an unordered free, loom's race detector) must report
//! with the exact object and place. They check the checkers, not the kernel.

use crate::expectation::{Budget, Expectation, ExpectedViolation};
use crate::scenario::{Build, Scenario};
use notifier_core::backend::{AtomicUsizeOps, JoinOps, Ordering};
use notifier_core::KernelVersion;
use notifier_core::{Backend, KObj, Task, ViolationKind};
use notifier_harness::CheckerKind;
use notifier_harness::Model;
use std::sync::Arc;

/// The planted bugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlantedBug {
    /// F frees X and then sets a flag (release); U waits for the flag (acquire) and reads X:
    /// the access follows the free in every execution.
    UseAfterFree,
    /// F1 frees X and sets a flag; F2 waits for it and frees X again.
    DoubleFree,
    /// M allocates X, writes it, and returns without freeing it.
    Leak,
    /// U reads X and then sets a flag with a *relaxed* store; F waits for the flag with a
    /// relaxed load and frees X. The access always comes first in the trace, but nothing
    /// orders it before the free: only loom's race detector sees it.
    UnorderedFree,
}

/// A program with one planted memory bug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planted {
    /// The bug.
    pub bug: PlantedBug,
}

/// The planted object.
const OBJECT: &str = "object X";

struct World<B: Backend> {
    x: KObj<B>,
    flag: B::AtomicUsize,
}

/// Reads X's data.
fn use_object<B: Backend>(w: &World<B>, cur: &Task) {
    let _f = cur.enter("use_object");
    w.x.touch(cur, "data", false);
}

/// Frees X.
fn put_object<B: Backend>(w: &World<B>, cur: &Task) {
    let _f = cur.enter("put_object");
    w.x.kfree(cur);
}

/// Waits until the flag is set, with `order`.
fn wait_flag<B: Backend>(w: &World<B>, cur: &Task, order: Ordering) {
    cur.wait_until::<B>("the flag", || w.flag.load(order) != 0);
}

impl Model for Planted {
    fn run<B: Backend>(&self, main: &Task) {
        if self.bug == PlantedBug::Leak {
            let m = main.spawn::<B, _>("M", 0, |t| {
                let _f = t.enter("make_object");
                let x = KObj::<B>::kmalloc(t, OBJECT);
                x.touch(t, "data", true);
            });
            m.join();
            return;
        }
        let w = Arc::new(World::<B> {
            x: KObj::kmalloc(main, OBJECT),
            flag: B::AtomicUsize::new(0),
        });
        let (first, second): (&str, &str) = match self.bug {
            PlantedBug::UseAfterFree => ("F", "U"),
            PlantedBug::DoubleFree => ("F1", "F2"),
            PlantedBug::UnorderedFree => ("U", "F"),
            PlantedBug::Leak => unreachable!("handled above"),
        };
        let bug = self.bug;
        let a = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>(first, 0, move |t| match bug {
                PlantedBug::UnorderedFree => {
                    use_object(&w, t);
                    // Relaxed: tells F the access is over, without ordering it before F's free.
                    w.flag.store(1, Ordering::Relaxed);
                }
                _ => {
                    put_object(&w, t);
                    w.flag.store(1, Ordering::Release);
                }
            })
        };
        let b = {
            let w = Arc::clone(&w);
            main.spawn::<B, _>(second, 0, move |t| match bug {
                PlantedBug::UseAfterFree => {
                    wait_flag(&w, t, Ordering::Acquire);
                    use_object(&w, t);
                }
                PlantedBug::DoubleFree => {
                    wait_flag(&w, t, Ordering::Acquire);
                    put_object(&w, t);
                }
                _ => {
                    wait_flag(&w, t, Ordering::Relaxed);
                    put_object(&w, t);
                }
            })
        };
        a.join();
        b.join();
    }
}

fn expected(kind: ViolationKind, function: &'static str) -> Expectation {
    Expectation::violation(ExpectedViolation {
        kind,
        function: function.into(),
        site: Some(function.into()),
        object: Some(OBJECT.into()),
    })
}

/// Two threads at most: loom explores them exhaustively.
fn small(_: KernelVersion, _: CheckerKind) -> Budget {
    Budget {
        preemption_bound: None,
        iterations: 200,
        pct_depth: 2,
    }
}

/// The planted memory bugs. They do not depend on the kernel version: they are defined for
/// every one, so that a check of any version can be calibrated against them.
pub fn catalog() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "mem-use-after-free",
            summary: "F: kfree(X), set flag; U: wait for flag, read X",
            kernels: &KernelVersion::ALL,
            build: Build::Version(|_| {
                Arc::new(Planted {
                    bug: PlantedBug::UseAfterFree,
                })
            }),
            expect: |_, _| expected(ViolationKind::UseAfterFree, "use_object"),
            budget: small,
        },
        Scenario {
            id: "mem-double-free",
            summary: "F1: kfree(X), set flag; F2: wait for flag, kfree(X)",
            kernels: &KernelVersion::ALL,
            build: Build::Version(|_| {
                Arc::new(Planted {
                    bug: PlantedBug::DoubleFree,
                })
            }),
            expect: |_, _| expected(ViolationKind::DoubleFree, "put_object"),
            budget: small,
        },
        Scenario {
            id: "mem-leak",
            summary: "M: kmalloc(X), write X, return without kfree",
            kernels: &KernelVersion::ALL,
            build: Build::Version(|_| {
                Arc::new(Planted {
                    bug: PlantedBug::Leak,
                })
            }),
            expect: |_, _| expected(ViolationKind::Leak, "make_object"),
            budget: small,
        },
        Scenario {
            id: "mem-unordered-free",
            summary: "U: read X, set flag (relaxed); F: wait for flag (relaxed), kfree(X)",
            kernels: &KernelVersion::ALL,
            build: Build::Version(|_| {
                Arc::new(Planted {
                    bug: PlantedBug::UnorderedFree,
                })
            }),
            expect: |_, checker| match checker {
                CheckerKind::Loom => expected(ViolationKind::UseAfterFree, "use_object"),
                CheckerKind::ShuttleRandom | CheckerKind::ShuttlePct => Expectation::blind(
                    "shuttle has no race detector: U's read always precedes F's free in its \
                     trace, and nothing else shows that no happens-before edge orders them",
                ),
            },
            budget: small,
        },
    ]
}
