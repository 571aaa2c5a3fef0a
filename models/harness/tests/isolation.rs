//! Process isolation of a test's checks: a loom abort is the check's result and the test goes
//! on; nothing the checkers print reaches the test's output; a test with several checks runs
//! each once; a check on a thread with no name runs in-process and says so; a time limit stops
//! a check.

use notifier_harness::prelude::*;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

/// A model that aborts loom: T's assertion fails, and a guard's `Drop` panics again while T
/// unwinds (a driver's cleanup checking an invariant): a panic while panicking, which aborts
/// the process.
fn aborts(main: &Thread<'_>) {
    struct Invariant;
    impl Drop for Invariant {
        fn drop(&mut self) {
            assert!(
                !std::thread::panicking(),
                "the invariant broke while unwinding"
            );
        }
    }
    let flag = Arc::new(AtomicUsize::new(0));
    let t = {
        let flag = flag.clone();
        main.spawn("T", move |_| {
            let _invariant = Invariant;
            flag.store(1, Ordering::Release);
            assert_eq!(
                flag.load(Ordering::Acquire),
                0,
                "T reads its own store back"
            );
        })
    };
    t.join();
}

#[test]
fn a_loom_abort_is_the_checks_result_and_the_test_goes_on() {
    let report = Builder::new().check(aborts);
    let v = report.assert_violation(&Expected::new(ViolationKind::Panic));
    assert!(v.message.contains("T reads its own store back"), "{report}");
    // The test binary is still here, and runs the next check.
    Builder::new()
        .checker(CheckerKind::ShuttlePct)
        .check(|main| {
            let a = main.kmalloc("object A", 1u8);
            a.kfree(main);
        })
        .assert_safe();
}

/// Run by `nothing_the_checkers_print_reaches_the_tests_output` in a process of its own: a
/// failing check under each checker (shuttle's schedulers print their advice and "test
/// panicked in task" for every failing execution, and loom its own report).
#[test]
fn failing_checks_under_every_checker() {
    for checker in CheckerKind::ALL {
        Builder::new()
            .checker(checker)
            .preemption_bound(None)
            .check(|main| {
                let a = main.kmalloc("object A", 1u8);
                let r = {
                    let a = a.clone();
                    main.spawn("R", move |t| a.read(t, "value", |v| *v))
                };
                a.kfree(main);
                r.join();
            })
            .assert_violation(&Expected::new(ViolationKind::UseAfterFree).on("object A"));
    }
}

/// Run by `nothing_shuttle_prints_reaches_the_output_of_an_in_process_check` in a process of its
/// own: failing shuttle checks in the test's process (a violation in a spawned thread, a
/// violation in the main thread, a failing assertion of the closure's own).
#[test]
fn failing_in_process_shuttle_checks() {
    for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
        let builder = Builder::new()
            .checker(checker)
            .isolation(Isolation::InProcess);
        builder
            .check(|main| {
                let a = main.kmalloc("object A", 1u8);
                let r = {
                    let a = a.clone();
                    main.spawn("R", move |t| a.read(t, "value", |v| *v))
                };
                a.kfree(main);
                r.join();
            })
            .assert_violation(&Expected::new(ViolationKind::UseAfterFree).on("object A"));
        builder
            .check(|main| {
                let a = main.kmalloc("object A", 1u8);
                a.kfree(main);
                a.kfree(main);
            })
            .assert_violation(&Expected::new(ViolationKind::DoubleFree).on("object A"));
        let report = builder.check(|main| {
            let r = main.spawn("R", |_| assert_eq!(1 + 1, 3, "the driver's own assertion"));
            r.join();
        });
        let observed = report.outcome().map(|o| o.observed);
        assert_eq!(observed, Some(Verdict::Violation), "{report}");
    }
}

#[test]
fn nothing_shuttle_prints_reaches_the_output_of_an_in_process_check() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "failing_in_process_shuttle_checks",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    for printed in [
        "test panicked in task",
        "SHUTTLE_RANDOM_SEED",
        "failing seed",
        "failing schedule",
        "the driver's own assertion",
    ] {
        assert!(!stdout.contains(printed), "{printed} on stdout: {stdout}");
        assert!(!stderr.contains(printed), "{printed} on stderr: {stderr}");
    }
}

#[test]
fn nothing_the_checkers_print_reaches_the_tests_output() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "failing_checks_under_every_checker",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    for printed in [
        "test panicked in task",
        "SHUTTLE_RANDOM_SEED",
        "failing seed",
        "failing schedule",
        "Causality violation",
        "NOTIFIER-CHECK-RESULT",
    ] {
        assert!(!stdout.contains(printed), "{printed} on stdout: {stdout}");
        assert!(!stderr.contains(printed), "{printed} on stderr: {stderr}");
    }
}

/// Where the checks' closure of `checks_in_one_test_run_once` counts its executions: one line
/// per execution, whichever process runs it.
fn executions_file() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("isolation-executions.txt")
}

#[test]
fn checks_in_one_test_run_once() {
    let file = executions_file();
    if std::env::var_os("RUSTY_FORK_OCCURS").is_none() {
        // The test itself, not one of its checks' child processes.
        let _ = std::fs::remove_file(&file);
    }
    let counted = |main: &Thread<'_>| {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(executions_file())
            .unwrap();
        writeln!(f, "execution").unwrap();
        let a = main.kmalloc("object A", 1u8);
        let r = {
            let a = a.clone();
            main.spawn("R", move |t| a.read(t, "value", |v| *v))
        };
        r.join();
        a.kfree(main);
    };
    let first = Builder::new()
        .checker(CheckerKind::ShuttleRandom)
        .iterations(20)
        .check(counted);
    let second = Builder::new()
        .checker(CheckerKind::ShuttleRandom)
        .iterations(30)
        .check(counted);
    let third = Builder::new()
        .checker(CheckerKind::ShuttleRandom)
        .iterations(40)
        .check(|_| {});
    for r in [&first, &second, &third] {
        r.assert_safe();
        assert_eq!(r.isolation(), Isolation::Process);
    }
    // The children of the second and third checks had the first's (and the second's) outcome
    // from their parent, and did not run them again.
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    assert_eq!(lines, 20 + 30);
}

#[test]
fn a_check_on_a_thread_with_no_name_runs_in_process_and_says_so() {
    let report = std::thread::spawn(|| {
        Builder::new()
            .checker(CheckerKind::ShuttlePct)
            .check(|main| main.kmalloc("object A", 1u8).kfree(main))
    })
    .join()
    .unwrap();
    report.assert_safe();
    assert_eq!(report.isolation(), Isolation::InProcess);
    assert!(
        report.to_string().contains("in the test's process"),
        "{report}"
    );
}

#[test]
fn a_time_limit_stops_a_check() {
    let report = Builder::new()
        .checker(CheckerKind::ShuttleRandom)
        .iterations(100_000)
        .time_limit(Some(Duration::from_millis(300)))
        .check(|main| {
            std::thread::sleep(Duration::from_millis(1));
            main.kmalloc("object A", 1u8).kfree(main);
        });
    let crash = report.crash().expect("stopped");
    assert!(crash.timed_out, "{report}");
    assert!(crash.message.contains("stopped after 0.3 s"), "{report}");
    let panic = std::panic::catch_unwind(|| {
        report.assert_safe();
    })
    .unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.contains("expected safe, found no outcome: the check's process it was stopped"),
        "{text}"
    );
}

/// A shuttle check in a child process draws its schedules from its own seed; one in this
/// process from `SHUTTLE_RANDOM_SEED`'s when it is set (shuttle reads it), and its bound and
/// report say so. Run with the variable set by
/// `shuttle_random_seed_changes_only_in_process_checks_and_they_say_so`.
#[test]
fn the_seed_a_shuttle_check_used() {
    let env_seed: Option<u64> = std::env::var("SHUTTLE_RANDOM_SEED")
        .ok()
        .map(|s| s.parse().unwrap());
    let program = |main: &Thread<'_>| main.kmalloc("object A", 1u8).kfree(main);
    let settings = Builder::new()
        .checker(CheckerKind::ShuttleRandom)
        .seed(3)
        .iterations(5);
    let seed_of = |report: &Report| match &report.assert_safe().bound {
        notifier_harness::Bound::Iterations { seed, .. } => *seed,
        b => panic!("{b}"),
    };
    let child = settings.check(program);
    assert_eq!(seed_of(&child), 3, "{child}");
    let here = settings
        .clone()
        .isolation(Isolation::InProcess)
        .check(program);
    assert_eq!(seed_of(&here), env_seed.unwrap_or(3), "{here}");
    assert_eq!(
        here.to_string()
            .contains("environment: SHUTTLE_RANDOM_SEED=5"),
        env_seed == Some(5),
        "{here}"
    );
}

#[test]
fn shuttle_random_seed_changes_only_in_process_checks_and_they_say_so() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "the_seed_a_shuttle_check_used",
            "--exact",
            "--test-threads",
            "1",
        ])
        .env("SHUTTLE_RANDOM_SEED", "5")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
}
