//! Replays that do not fit: a shuttle token with one character changed, replayed on the
//! scenario it came from, is never reported as reproducing a failure it did not follow, and
//! shuttle's own scheduler errors never reach the report.

use notifier_catalog::registry;
use notifier_core::KernelVersion;
use notifier_harness::runner::{judge, CheckerReplay, ReplayPath, ReplayVerdict, RunOptions};
use notifier_harness::{CheckerKind, KernelPlan, Outcome, Run, Target};

fn replay(target: &Target, kernel: KernelVersion, r: &CheckerReplay) -> Outcome {
    registry::model(target, &KernelPlan::version(kernel))
        .expect("the scenario exists")
        .run(&Run::Replay(r.clone()), &RunOptions::default())
}

/// Every one-character change of S2's PCT failure schedule (v3.16) that still decodes:
/// reproduced only if the replay followed exactly the changed schedule to the same failure;
/// otherwise diverged (the schedule does not fit) or not reproduced, in the harness's words.
#[test]
fn one_character_flips_of_a_shuttle_schedule_do_not_reproduce_falsely() {
    let kernel = KernelVersion::V3_16;
    let target = Target::Catalogue("S2".to_string());
    let scenario = registry::target("S2", kernel).unwrap();
    let spec = registry::default_spec(&scenario, kernel, CheckerKind::ShuttlePct);
    let first = registry::model(&target, &KernelPlan::version(kernel))
        .unwrap()
        .run(&Run::Check(spec), &RunOptions::default());
    let token = first.replay.clone().expect("S2 fails on v3.16");
    let ReplayPath::Shuttle { checker, schedule } = &token.path else {
        panic!("a shuttle path")
    };
    assert_eq!(
        judge(&token, &replay(&target, kernel, &token)),
        ReplayVerdict::Reproduced
    );
    let (mut diverged, mut not_reproduced, mut reproduced, mut refused) = (0, 0, 0, 0);
    for i in 0..schedule.len() {
        let mut flipped = schedule.clone().into_bytes();
        let digit = u32::from(flipped[i] - if flipped[i] >= b'a' { b'a' - 10 } else { b'0' });
        flipped[i] = char::from_digit((digit + 1) % 16, 16).unwrap() as u8;
        let flipped = String::from_utf8(flipped).unwrap();
        let text = format!("{checker}/{flipped}/{}", token.failure);
        let Ok(changed) = text.parse::<CheckerReplay>() else {
            refused += 1;
            continue;
        };
        let again = replay(&target, kernel, &changed);
        let shown = format!("{again:?}");
        for internal in [
            "scheduled task is not runnable",
            "schedule ended early",
            "expected random choice",
            "expected context switch",
        ] {
            assert!(
                !shown.contains(internal),
                "flip at {i}: {}",
                again.summary()
            );
        }
        match judge(&changed, &again) {
            ReplayVerdict::Reproduced => {
                // Only by following exactly the changed schedule to the token's failure (a
                // changed seed that no step draws from, say).
                assert_eq!(again.replay.as_ref(), Some(&changed), "flip at {i}");
                reproduced += 1;
            }
            ReplayVerdict::NotReproduced { .. } => not_reproduced += 1,
            ReplayVerdict::Diverged { .. } => diverged += 1,
        }
    }
    println!(
        "{} flips: {diverged} diverged, {not_reproduced} not reproduced, {reproduced} \
         reproduced, {refused} refused as malformed",
        schedule.len()
    );
    assert!(diverged > 0, "no flip diverged");
}

/// A schedule with a step appended: the execution fails where the token says, with a step of
/// the schedule left over, so the schedule does not fit.
#[test]
fn a_schedule_with_steps_left_over_diverges() {
    let kernel = KernelVersion::V3_16;
    let target = Target::Catalogue("S2".to_string());
    let scenario = registry::target("S2", kernel).unwrap();
    let spec = registry::default_spec(&scenario, kernel, CheckerKind::ShuttleRandom);
    let first = registry::model(&target, &KernelPlan::version(kernel))
        .unwrap()
        .run(&Run::Check(spec), &RunOptions::default());
    let token = first.replay.clone().expect("S2 fails on v3.16");
    let longer = longer_by_one_step(&token);
    let verdict = judge(&longer, &replay(&target, kernel, &longer));
    assert!(
        matches!(&verdict, ReplayVerdict::Diverged { reason, .. } if reason.contains("steps")),
        "{verdict}"
    );
}

/// `token` with its schedule's last step repeated.
fn longer_by_one_step(token: &CheckerReplay) -> CheckerReplay {
    use shuttle_engine::scheduler::serialization::{deserialize_schedule, serialize_schedule};
    use shuttle_engine::scheduler::ScheduleStep;
    let ReplayPath::Shuttle { checker, schedule } = &token.path else {
        panic!("a shuttle path")
    };
    let mut s = deserialize_schedule(schedule).expect("decodes");
    match s.steps.last().cloned() {
        Some(ScheduleStep::Task(t)) => s.push_task(t),
        _ => s.push_random(),
    }
    let text = format!(
        "{checker}/{}/{}",
        serialize_schedule(&s).replace('\n', ""),
        token.failure
    );
    text.parse().expect("a well-formed token")
}
