//! shuttle: random and PCT schedules, recorded so that a failure replays exactly.

use super::probe::{Mode, Probe};
use crate::check::{CheckSpec, CheckerKind, Outcome};
use crate::model::Model;
use notifier_core::Shuttle;
use shuttle::scheduler::{PctScheduler, RandomScheduler, ReplayScheduler, Schedule, Scheduler};
use shuttle::{Config, FailurePersistence, MaxSteps};
use shuttle_engine::scheduler::{Task, TaskId};
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

/// shuttle's step limit for one execution (a step is one scheduling decision). The longest
/// execution in the catalogue takes 150 steps (S2 on v3.17, random scheduler); a wait loop that
/// can never finish yields forever and must fail fast. 5,000 steps leave a 30x margin, a
/// livelocked yield loop reaches them in about a millisecond, and its replay token (the whole
/// schedule, about 3 bits a step) stays near 4,000 characters. (shuttle's default, 1,000,000,
/// takes a quarter of a second and a 750,000-character token.)
pub(crate) const MAX_STEPS: usize = 5_000;

/// Stack of each shuttle task. The default (60 KiB) is enough for the model, but the panic hook
/// formats the failure report on the failing task's own stack.
const STACK_SIZE: usize = 256 * 1024;

/// The bound in words.
pub(crate) fn bound_text(spec: &CheckSpec) -> String {
    let mut s = format!("{} iterations, seed {}", spec.iterations, spec.seed);
    if spec.checker == CheckerKind::ShuttlePct {
        s.push_str(&format!(", PCT depth {}", spec.pct_depth));
    }
    s
}

fn config() -> Config {
    let mut config = Config::new();
    // We record and print the schedule ourselves (see `Recording`).
    config.failure_persistence = FailurePersistence::None;
    config.max_steps = MaxSteps::FailAfter(MAX_STEPS);
    config.stack_size = STACK_SIZE;
    // Its one warning is that atomics are sequentially consistent: each scenario says which
    // checkers are blind to weak memory.
    config.silence_warnings = true;
    config
}

/// Runs `spec.iterations` random or PCT executions of `model`, until the first failure.
pub(crate) fn check<M: Model>(model: Arc<M>, spec: &CheckSpec) -> Outcome {
    let scheduler: Box<dyn Scheduler + Send> = match spec.checker {
        CheckerKind::ShuttlePct => Box::new(PctScheduler::new_from_seed(
            spec.seed,
            spec.pct_depth,
            spec.iterations,
        )),
        _ => Box::new(RandomScheduler::new_from_seed(spec.seed, spec.iterations)),
    };
    run(
        model,
        scheduler,
        Mode::Shuttle(spec.checker),
        bound_text(spec),
    )
}

/// Runs one execution of `model` that follows `schedule`, recorded by `checker`.
pub(crate) fn replay<M: Model>(model: Arc<M>, checker: CheckerKind, schedule: Schedule) -> Outcome {
    let bound = format!(
        "replay of one {checker} schedule of {} steps",
        schedule.len()
    );
    let scheduler = Box::new(ReplayScheduler::new_from_schedule(schedule));
    run(model, scheduler, Mode::Shuttle(checker), bound)
}

fn run<M: Model>(
    model: Arc<M>,
    scheduler: Box<dyn Scheduler + Send>,
    mode: Mode,
    bound: String,
) -> Outcome {
    let probe = Probe::new(mode, bound);
    let _active = super::hook::activate(probe.clone());
    let runner = shuttle::Runner::new(
        Recording {
            inner: scheduler,
            probe: probe.clone(),
        },
        config(),
    );
    let p = probe.clone();
    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
        runner.run(move || p.execute::<Shuttle, M>(&model));
    }));
    match ran {
        Ok(()) => probe.safe(),
        Err(payload) => probe.fail(&*payload),
    }
}

/// Records the schedule of the current execution into the probe, as shuttle's `ReplayScheduler`
/// reads it back: every task choice and every random value, from the seed the execution starts
/// with. (shuttle's own failure report keeps the first run's configuration and skips a schedule
/// of the same length as one it already printed; this does neither.)
struct Recording {
    inner: Box<dyn Scheduler + Send>,
    probe: Arc<Probe>,
}

impl Scheduler for Recording {
    fn new_execution(&mut self) -> Option<Schedule> {
        let schedule = self.inner.new_execution()?;
        self.probe.reset_schedule(schedule.clone());
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        let next = self.inner.next_task(runnable, current, is_yielding);
        if let Some(task) = next {
            self.probe.push_task(task);
        }
        next
    }

    fn next_u64(&mut self) -> u64 {
        self.probe.push_random();
        self.inner.next_u64()
    }
}
