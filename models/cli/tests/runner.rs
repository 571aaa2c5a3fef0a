//! The runners on a tiny private model: a `user` thread reads object A, and a `freer` thread
//! frees it, either at once (a use-after-free every checker must find) or after the user's
//! "done" flag (correct: every checker must say safe, having run executions).
//!
//! loom can abort the process when a failure unwinds (a second panic), so each loom check that
//! must fail runs in a child process: this test binary again, filtered to one test, with
//! `RUNNER_CHILD` set; the child prints its outcome as JSON on one marked line.

use crate::common::in_child as child;

use child::in_child;
use notifier_catalog::child::check_in_child;
use notifier_core::backend::{AtomicBoolOps, JoinOps, Ordering};
use notifier_core::KernelVersion;
use notifier_core::{Backend, KObj, Log, Op, Oracle, Task, Violation, ViolationKind};
use notifier_harness::runner::{
    check_in_process, judge, replay_in_process, stress_std, CheckerReplay, Crash, ReplayPath,
    ReplayVerdict, Signature, RESULT_MARKER,
};
use notifier_harness::{Bound, CheckSpec, CheckerKind, Model, Outcome, Verdict};
use std::sync::Arc;

/// Thread `user` reads `object A` in `use_object`; thread `freer` frees it in `free_object`,
/// after the user's flag when `wait_for_user`.
struct FreeWhileUsed {
    wait_for_user: bool,
}

impl Model for FreeWhileUsed {
    fn run<B: Backend>(&self, main: &Task) {
        let obj = Arc::new(KObj::<B>::kmalloc(main, "object A"));
        let done = Arc::new(B::AtomicBool::new(false));
        let (o, d) = (obj.clone(), done.clone());
        let user = main.spawn::<B, _>("user", 0, move |cur| {
            let _f = cur.enter("use_object");
            o.touch(cur, "data", false);
            // Pairs with the acquire in the freer's wait.
            d.store(true, Ordering::Release);
        });
        let wait = self.wait_for_user;
        let freer = main.spawn::<B, _>("freer", 1, move |cur| {
            let _f = cur.enter("free_object");
            if wait {
                cur.wait_until::<B>("the user to finish", || done.load(Ordering::Acquire));
            }
            obj.kfree(cur);
        });
        user.join();
        freer.join();
    }

    fn oracles(&self) -> Vec<Box<dyn Oracle>> {
        vec![Box::new(NoAccessAfterFree)]
    }
}

/// Thread `main` waits for a flag that no thread ever sets.
struct WaitForever;

impl Model for WaitForever {
    fn run<B: Backend>(&self, main: &Task) {
        let flag = B::AtomicBool::new(false);
        let _f = main.enter("wait_forever");
        main.wait_until::<B>("a flag nobody sets", || flag.load(Ordering::Acquire));
    }

    fn oracles(&self) -> Vec<Box<dyn Oracle>> {
        Vec::new()
    }
}

/// The test's own memory oracle (independent of `notifier-properties`): an access to an object
/// after its free, in trace order, is a use-after-free.
struct NoAccessAfterFree;

impl Oracle for NoAccessAfterFree {
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation> {
        let Op::Access { obj, .. } = log.events[at].op else {
            return Ok(());
        };
        match log.events[..at]
            .iter()
            .position(|e| e.op == Op::Free { obj })
        {
            Some(f) => Err(log.violation_at(
                at,
                ViolationKind::UseAfterFree,
                Some(obj),
                format!("access after the free at step {f}"),
            )),
            None => Ok(()),
        }
    }
}

fn spec(checker: CheckerKind) -> CheckSpec {
    CheckSpec {
        checker,
        preemption_bound: None,
        iterations: 1000,
        seed: 7,
        pct_depth: 2,
    }
}

/// The use-after-free, as every checker must report it: on `object A`, in the user's read.
fn assert_use_after_free(o: &Outcome) {
    assert_eq!(o.observed, Verdict::Violation, "{o:#?}");
    let v = o.violation.as_ref().expect("a violation");
    assert_eq!(v.kind, ViolationKind::UseAfterFree, "{v}");
    assert_eq!(v.object.as_deref(), Some("object A"), "{v}");
    assert_eq!(
        (v.thread.as_str(), v.function.as_str()),
        ("user", "use_object"),
        "{v}"
    );
    let step = v.step.expect("the violation has a step");
    assert_eq!(
        o.trace[step].thread, "user",
        "the marked step is the user's"
    );
    assert!(o.executions >= 1);
    assert!(o.replay.is_some(), "a failure carries its replay");
}

#[test]
fn loom_finds_the_use_after_free() {
    let o = in_child(module_path!(), "loom_finds_the_use_after_free", || {
        check_in_process(
            Arc::new(FreeWhileUsed {
                wait_for_user: false,
            }),
            &spec(CheckerKind::Loom),
        )
    });
    assert_use_after_free(&o);
    assert_eq!(o.bound, Bound::Exhaustive);
    let replay = o.replay.clone().unwrap();
    assert_eq!(
        replay,
        CheckerReplay {
            path: ReplayPath::Loom {
                preemption_bound: None,
                execution: o.executions
            },
            failure: Signature::of(o.violation.as_ref().unwrap()),
        }
    );
}

#[test]
fn loom_replay_stops_at_the_same_execution() {
    let model = || {
        Arc::new(FreeWhileUsed {
            wait_for_user: false,
        })
    };
    let spec = CheckSpec {
        preemption_bound: Some(1),
        ..spec(CheckerKind::Loom)
    };
    let (first, again) = in_child(
        module_path!(),
        "loom_replay_stops_at_the_same_execution",
        || {
            let first = check_in_process(model(), &spec);
            let replay = first.replay.clone().unwrap();
            (first.clone(), replay_in_process(model(), &replay))
        },
    );
    assert_use_after_free(&first);
    let token = first.replay.as_ref().unwrap().to_string();
    let path = format!("loom/pb=1/exec={}/", first.executions);
    assert!(token.starts_with(&path), "{token}");
    assert_eq!(
        judge(first.replay.as_ref().unwrap(), &again),
        ReplayVerdict::Reproduced
    );
    assert_eq!(again.executions, first.executions);
    assert_eq!(again.violation, first.violation);
    assert_eq!(again.trace, first.trace);
    assert_eq!(again.replay, first.replay);
}

#[test]
fn shuttle_finds_the_use_after_free_and_replays_it() {
    for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
        let model = Arc::new(FreeWhileUsed {
            wait_for_user: false,
        });
        let o = check_in_process(model.clone(), &spec(checker));
        assert_use_after_free(&o);
        let token = o.replay.as_ref().unwrap().to_string();
        assert!(token.starts_with(&format!("{checker}/")), "{token}");
        let replay: CheckerReplay = token.parse().unwrap();
        let again = replay_in_process(model, &replay);
        assert_use_after_free(&again);
        assert_eq!(judge(&replay, &again), ReplayVerdict::Reproduced);
        assert_eq!(again.executions, 1, "a replay runs one execution");
        assert_eq!(
            again.violation, o.violation,
            "same violation at the same step"
        );
        assert_eq!(again.trace, o.trace);
        assert_eq!(
            again.replay,
            Some(replay),
            "the replay records the same schedule"
        );
    }
}

#[test]
fn a_correct_model_is_safe_under_every_checker() {
    for checker in CheckerKind::ALL {
        let o = check_in_process(
            Arc::new(FreeWhileUsed {
                wait_for_user: true,
            }),
            &spec(checker),
        );
        assert_eq!(o.observed, Verdict::Safe, "{checker}: {o:#?}");
        assert!(o.violation.is_none() && o.trace.is_empty() && o.replay.is_none());
        match checker {
            // Two threads, exhaustively: more than one interleaving, and not many.
            CheckerKind::Loom => assert!((2..1000).contains(&o.executions), "{}", o.executions),
            _ => assert_eq!(o.executions, 1000, "{checker} runs every iteration"),
        }
    }
}

/// A wait that never finishes is a deadlock at the first execution (how fast each checker
/// gets there is the bench's to measure, not a test's).
#[test]
fn loom_reports_a_wait_that_never_finishes_as_a_deadlock() {
    let o = in_child(
        module_path!(),
        "loom_reports_a_wait_that_never_finishes_as_a_deadlock",
        || check_in_process(Arc::new(WaitForever), &spec(CheckerKind::Loom)),
    );
    assert_deadlock(&o);
}

#[test]
fn shuttle_reports_a_wait_that_never_finishes_as_a_deadlock() {
    for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
        let o = check_in_process(Arc::new(WaitForever), &spec(checker));
        assert_deadlock(&o);
        let replay = o.replay.clone().unwrap();
        let again = replay_in_process(Arc::new(WaitForever), &replay);
        assert_eq!(again.violation, o.violation);
        assert_eq!(judge(&replay, &again), ReplayVerdict::Reproduced);
    }
}

fn assert_deadlock(o: &Outcome) {
    assert_eq!(o.observed, Verdict::Deadlock, "{o:#?}");
    let v = o.violation.as_ref().unwrap();
    assert_eq!(
        (v.kind, v.thread.as_str()),
        (ViolationKind::Deadlock, "main"),
        "{v}"
    );
    assert_eq!(v.function, "wait_forever", "{v}");
    assert_eq!(o.executions, 1, "the first execution deadlocks");
}

#[test]
fn stress_runs_every_iteration_of_a_correct_model_and_stops_at_a_failure() {
    let o = stress_std(
        Arc::new(FreeWhileUsed {
            wait_for_user: true,
        }),
        50,
    );
    assert_eq!((o.observed, o.executions), (Verdict::Safe, 50), "{o:#?}");
    let o = stress_std(Arc::new(WaitForever), 50);
    assert_deadlock(&o);
    assert!(o.replay.is_none(), "real threads cannot be replayed");
}

#[test]
fn malformed_replay_tokens_are_errors_not_panics() {
    for bad in [
        "",
        "loom",
        "loom/pb=x/exec=1",
        "loom/pb=1/exec=0",
        "loom/unbounded",
        "shuttle-pct/",
        "shuttle-pct/zz",
        "shuttle-pct/91",
        "shuttle-pct/9102a09c01",
        "shuttle-random/910214a5bacaab88cc90f48101002049244992240900",
        "dfs/00",
    ] {
        let e = bad.parse::<CheckerReplay>().expect_err(bad);
        assert!(!e.is_empty() && !e.contains('\n'), "{bad}: {e}");
    }
}

/// Runs the stand-in child. Executing a script this process has just written can fail with
/// ETXTBSY ("Text file busy") while another test thread forks (the fork briefly holds the
/// script's write descriptor): retry that start-up failure only.
fn check_stand_in(exe: &std::path::Path, spec: &CheckSpec) -> Result<Outcome, Crash> {
    for _ in 0..20 {
        let o = check_in_child(exe, "S2", KernelVersion::V3_16, spec);
        let busy = o
            .as_ref()
            .is_err_and(|c| c.message.contains("could not start") && c.message.contains("busy"));
        if !busy {
            return o;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!("the stand-in child never started");
}

/// A stand-in for the child: a shell script that writes `stdout_line` and dies of SIGABRT, as
/// a loom abort does.
fn aborting_child(name: &str, stdout_line: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::temp_dir().join(format!(
        "notifier-runner-test-{}-{name}",
        std::process::id()
    ));
    let script =
        format!("#!/bin/sh\necho '{stdout_line}'\necho 'the checker blew up' >&2\nkill -ABRT $$\n");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A child that dies without a result line is a crash: no verdict about the model (before,
/// it was reported as a `panic` violation, which reads like one).
#[test]
fn a_child_that_dies_without_a_result_is_a_crash_naming_the_signal() {
    let exe = aborting_child("silent", "some other output");
    let spec = CheckSpec {
        preemption_bound: Some(2),
        ..spec(CheckerKind::Loom)
    };
    let o = check_stand_in(&exe, &spec);
    std::fs::remove_file(&exe).unwrap();
    let crash = o.expect_err("no outcome");
    assert!(!crash.timed_out);
    assert!(
        crash.message.contains("SIGABRT") && crash.message.contains("the checker blew up"),
        "{crash}"
    );
}

#[test]
fn a_child_that_dies_after_its_result_line_is_judged_by_that_line() {
    let reported = stress_std(Arc::new(WaitForever), 1);
    let line = format!(
        "{RESULT_MARKER} {}",
        serde_json::to_string(&reported).unwrap()
    );
    let exe = aborting_child("reported", &line);
    let o = check_stand_in(&exe, &spec(CheckerKind::Loom));
    std::fs::remove_file(&exe).unwrap();
    assert_eq!(o, Ok(reported));
}

/// Thread `main` alone allocates and frees an object: no scheduling choice at all.
struct OneThread;

impl Model for OneThread {
    fn run<B: Backend>(&self, main: &Task) {
        let _f = main.enter("alone");
        let obj = KObj::<B>::kmalloc(main, "object A");
        obj.touch(main, "data", true);
        obj.kfree(main);
    }
}

/// shuttle-pct on a model with one thread is safe, with every iteration run (PCT itself
/// asserts at its second execution that the model "did not exercise any concurrency", which
/// was reported as a `panic` violation).
#[test]
fn a_model_with_one_thread_is_safe_under_every_shuttle_checker() {
    for checker in [CheckerKind::ShuttlePct, CheckerKind::ShuttleRandom] {
        let o = check_in_process(Arc::new(OneThread), &spec(checker));
        assert_eq!(o.observed, Verdict::Safe, "{checker}: {}", o.summary());
        assert_eq!(o.executions, 1000, "{checker} runs every iteration");
    }
}

/// No scheduler internals in what a replay reports (shuttle's `ReplayScheduler` panics with
/// its task dump when a schedule does not fit).
fn assert_no_shuttle_internals(o: &Outcome) {
    let text = format!("{o:?}");
    for internal in [
        "scheduled task is not runnable",
        "schedule ended early",
        "expected random choice",
        "expected context switch",
    ] {
        assert!(!text.contains(internal), "{internal}: {}", o.summary());
    }
}

/// A failure's token replayed through the library on the fixed model: the schedule does not
/// fit the fixed model's execution (it waits where the buggy one did not), so the replay
/// diverges; before, shuttle's "scheduled task is not runnable" panic was counted as a
/// reproduced failure.
#[test]
fn a_shuttle_failure_replayed_on_the_fixed_model_is_not_reproduced() {
    for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
        let buggy = check_in_process(
            Arc::new(FreeWhileUsed {
                wait_for_user: false,
            }),
            &spec(checker),
        );
        let replay = buggy.replay.clone().expect("a failure");
        let fixed = replay_in_process(
            Arc::new(FreeWhileUsed {
                wait_for_user: true,
            }),
            &replay,
        );
        assert_no_shuttle_internals(&fixed);
        let verdict = judge(&replay, &fixed);
        assert!(
            matches!(verdict, ReplayVerdict::Diverged { .. }),
            "{checker}: {verdict} ({})",
            fixed.summary()
        );
        assert!(fixed.violation.is_none(), "{}", fixed.summary());
    }
}

/// loom tokens: the exploration must fail at the token's execution with the token's violation.
/// Replayed on the fixed model, the token's execution runs and passes (not reproduced); a token
/// naming an execution beyond the fixed model's whole exploration cannot be followed
/// (diverged); a token naming a later execution, or another violation, is not reproduced.
#[test]
fn a_loom_token_that_does_not_fit_is_not_reproduced() {
    let verdicts = in_child(
        module_path!(),
        "a_loom_token_that_does_not_fit_is_not_reproduced",
        || {
            let buggy = || {
                Arc::new(FreeWhileUsed {
                    wait_for_user: false,
                })
            };
            let first = check_in_process(buggy(), &spec(CheckerKind::Loom));
            let replay = first.replay.clone().expect("a failure");
            let ReplayPath::Loom { execution, .. } = replay.path else {
                panic!("a loom path")
            };
            let fixed = Arc::new(FreeWhileUsed {
                wait_for_user: true,
            });
            let on_fixed = judge(&replay, &replay_in_process(fixed.clone(), &replay));
            let beyond = CheckerReplay {
                path: ReplayPath::Loom {
                    preemption_bound: None,
                    execution: 1_000_000,
                },
                ..replay.clone()
            };
            let beyond_fixed = judge(&beyond, &replay_in_process(fixed, &beyond));
            let later = CheckerReplay {
                path: ReplayPath::Loom {
                    preemption_bound: None,
                    execution: execution + 1,
                },
                ..replay.clone()
            };
            let at_later = judge(&later, &replay_in_process(buggy(), &later));
            let mut other = replay.clone();
            other.failure.kind = ViolationKind::DoubleFree;
            let other_violation = judge(&other, &replay_in_process(buggy(), &other));
            (on_fixed, beyond_fixed, at_later, other_violation)
        },
    );
    let (on_fixed, beyond_fixed, at_later, other_violation) = verdicts;
    assert!(
        matches!(&on_fixed, ReplayVerdict::NotReproduced { reason } if reason.contains("ran and violated nothing")),
        "{on_fixed}"
    );
    assert!(
        matches!(beyond_fixed, ReplayVerdict::Diverged { .. }),
        "{beyond_fixed}"
    );
    assert!(
        matches!(&at_later, ReplayVerdict::NotReproduced { reason } if reason.contains("first failure is at execution")),
        "{at_later}"
    );
    assert!(
        matches!(&other_violation, ReplayVerdict::NotReproduced { reason } if reason.contains("the token's failure is double-free")),
        "{other_violation}"
    );
}
