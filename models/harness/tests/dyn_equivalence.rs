//! The front door's backend (`Dyn`, chosen when a check starts) changes nothing a checker
//! explores: the same program, checked through the generic path and through a closure, runs
//! the same number of executions to the same verdict, and a failure has the same trace and the
//! same replay path, under each checker.

#[path = "../examples/front_door_overhead.rs"]
#[allow(dead_code)]
mod overhead;

use notifier_harness::prelude::*;
use overhead::{front_door, generic, Program};

fn same(settings: &Builder, program: Program) {
    let a = generic(settings, program);
    let b = front_door(settings, program);
    let what = format!("{program:?}, {}", settings.spec().checker);
    assert_eq!(a.executions, b.executions, "{what}");
    assert_eq!(a.observed, b.observed, "{what}");
    assert_eq!(a.violation, b.violation, "{what}");
    assert_eq!(a.trace, b.trace, "{what}");
    assert_eq!(a.replay, b.replay, "{what}");
    assert_eq!(a.bound, b.bound, "{what}");
}

#[test]
fn a_closure_check_explores_what_the_generic_model_explores() {
    for checker in CheckerKind::ALL {
        let settings = Builder::new()
            .checker(checker)
            .preemption_bound(Some(1))
            .iterations(500);
        for program in [
            Program::SrcuConfig { grace_period: true },
            Program::SrcuConfig {
                grace_period: false,
            },
            Program::ExitWithWalker { defer_free: true },
            Program::ExitWithWalker { defer_free: false },
        ] {
            same(&settings, program);
        }
        // The buggy programs do fail, so the traces compared above are failures' traces.
        if checker == CheckerKind::Loom {
            for buggy in [
                Program::SrcuConfig {
                    grace_period: false,
                },
                Program::ExitWithWalker { defer_free: false },
            ] {
                let o = front_door(&settings, buggy);
                assert_eq!(o.observed, Verdict::Violation, "{buggy:?}");
                assert!(!o.trace.is_empty(), "{buggy:?}");
            }
        }
    }
}
