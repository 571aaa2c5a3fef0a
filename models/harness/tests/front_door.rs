//! The front door from a test's point of view: closures checked under each checker, in a child
//! process by default; assertions that name the violation; replay tokens that reproduce.

use notifier_harness::prelude::*;

/// U frees A while R may still read it: a use-after-free of A by R.
fn free_while_read(main: &Thread<'_>) {
    let a = main.kmalloc("object A", 7u32);
    let r = {
        let a = a.clone();
        main.spawn("R", move |t| {
            let _f = t.enter("reader");
            a.read(t, "value", |v| *v)
        })
    };
    let u = main.spawn("U", move |t| {
        let _f = t.enter("updater");
        a.kfree(t)
    });
    r.join();
    u.join();
}

#[test]
fn a_use_after_free_is_found_by_every_checker_and_replays() {
    for checker in CheckerKind::ALL {
        let report = Builder::new()
            .checker(checker)
            .preemption_bound(None)
            .check(free_while_read);
        let v = report.assert_violation(
            &Expected::new(ViolationKind::UseAfterFree)
                .on("object A")
                .in_function("reader")
                .by("R"),
        );
        assert!(v.step.is_some() || checker == CheckerKind::Loom, "{report}");
        let token = report.token().expect("a failure has a token");
        let replayed = replay(&token.to_string(), free_while_read);
        replayed.assert_reproduced();
        println!("{report}");
    }
}

#[test]
fn a_safe_check_says_what_it_explored() {
    let report = Builder::new().preemption_bound(None).check(|main| {
        let a = main.kmalloc("object A", 7u32);
        let r = {
            let a = a.clone();
            main.spawn("R", move |t| a.read(t, "value", |v| *v))
        };
        assert_eq!(r.join(), 7);
        a.kfree(main);
    });
    let o = report.assert_safe();
    assert!(o.executions >= 1);
    println!("{report}");
}
