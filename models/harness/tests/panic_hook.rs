//! The panic hook is the user's outside a check: while a check runs, its failing executions'
//! panics reach neither the user's hook nor stderr as shuttle's advice; when the check is over,
//! the user's hook is back, as it was (the only test in this binary: the hook is
//! process-wide).

use notifier_core::backend::JoinOps;
use notifier_core::{Backend, KObj, Task};
use notifier_harness::runner::check_in_process;
use notifier_harness::{CheckSpec, CheckerKind, Model, Verdict};
use std::panic;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A use-after-free every shuttle checker finds at once: `user` reads A, `freer` frees it.
struct FreeWhileUsed;

impl Model for FreeWhileUsed {
    fn run<B: Backend>(&self, main: &Task) {
        let obj = Arc::new(KObj::<B>::kmalloc(main, "object A"));
        let o = obj.clone();
        let user = main.spawn::<B, _>("user", 0, move |cur| o.touch(cur, "data", false));
        let freer = main.spawn::<B, _>("freer", 1, move |cur| obj.kfree(cur));
        user.join();
        freer.join();
    }
}

fn failing_checks() {
    for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
        let spec = CheckSpec {
            checker,
            preemption_bound: None,
            iterations: 1_000,
            seed: 3,
            pct_depth: 2,
        };
        let o = check_in_process(Arc::new(FreeWhileUsed), &spec);
        assert_eq!(o.observed, Verdict::Violation, "{checker}: {}", o.summary());
    }
}

/// Set in the child process that runs the checks for their stderr.
const CHILD: &str = "NOTIFIER_HOOK_TEST_CHILD";

static USER_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn the_panic_hook_is_the_users_outside_a_check() {
    if std::env::var_os(CHILD).is_some() {
        failing_checks();
        return;
    }
    // What the checks print on stderr, from a process of their own.
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "the_panic_hook_is_the_users_outside_a_check",
            "--exact",
            "--nocapture",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    for advice in [
        "SHUTTLE_RANDOM_SEED",
        "failing seed",
        "failing schedule",
        "serializing schedule",
    ] {
        assert!(!stderr.contains(advice), "{advice}: {stderr}");
    }

    // A hook of the user's own, capturing 40 bytes (the harness's capture an `Arc`).
    let marker = [7u64; 5];
    panic::set_hook(Box::new(move |_| {
        assert_eq!(marker[0], 7);
        USER_HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
    }));
    failing_checks();
    assert_eq!(
        USER_HOOK_CALLS.load(Ordering::SeqCst),
        0,
        "a check's panics went to the user's hook"
    );
    assert!(panic::catch_unwind(|| panic!("outside any check")).is_err());
    assert_eq!(USER_HOOK_CALLS.load(Ordering::SeqCst), 1);
    let hook = panic::take_hook();
    assert_eq!(
        std::mem::size_of_val(&*hook),
        std::mem::size_of_val(&marker),
        "the hook set after the checks is not the user's own"
    );
}
