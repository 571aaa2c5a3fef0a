//! shuttle: random and PCT schedules, recorded so that a failure replays exactly, and replays
//! that follow a recorded schedule step by step or say where they could not.

use super::probe::{Mode, Probe};
use super::replay::Divergence;
use super::RunOptions;
use crate::check::{CheckSpec, CheckerKind};
use crate::model::Model;
use crate::outcome::{Bound, Outcome};
use notifier_core::Shuttle;
use shuttle::scheduler::{
    PctScheduler, RandomScheduler, ReplayScheduler, RoundRobinScheduler, Schedule, Scheduler,
};
use shuttle::{Config, FailurePersistence, MaxSteps};
use shuttle_engine::scheduler::{ScheduleStep, Task, TaskId};
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

/// The environment variable shuttle's random and PCT schedulers take their seed from, when it
/// is set, instead of the one they are given (`new_from_seed`).
pub(crate) const SEED_ENV: &str = "SHUTTLE_RANDOM_SEED";

/// The seed shuttle's schedulers use when given `seed`: [`SEED_ENV`]'s, if it is set to a
/// number in this process (child processes run without it). A value that is not a number is
/// left to shuttle, which refuses it when the scheduler is made.
fn seed_used(seed: u64) -> u64 {
    std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(seed)
}

/// Runs `spec.iterations` random or PCT executions of `model`, until the first failure. The
/// outcome's bound names the seed the schedules were drawn from (see [`seed_used`]).
pub(crate) fn check<M: Model>(model: Arc<M>, spec: &CheckSpec, options: &RunOptions) -> Outcome {
    let spec = &CheckSpec {
        seed: seed_used(spec.seed),
        ..spec.clone()
    };
    let scheduler = match spec.checker {
        CheckerKind::ShuttlePct => Explorer::Pct {
            pct: PctScheduler::new_from_seed(spec.seed, spec.pct_depth, spec.iterations),
            seed: spec.seed,
            iterations: spec.iterations,
            started: false,
            choice_seen: false,
        },
        _ => Explorer::Random(RandomScheduler::new_from_seed(spec.seed, spec.iterations)),
    };
    run(
        model,
        Box::new(scheduler),
        Mode::Shuttle(spec.checker),
        Bound::of(spec),
        None,
        options,
    )
}

/// Runs one execution of `model` that follows `schedule`, recorded by `checker`.
pub(crate) fn replay<M: Model>(
    model: Arc<M>,
    checker: CheckerKind,
    schedule: Schedule,
    options: &RunOptions,
) -> Outcome {
    let bound = Bound::ScheduleReplay {
        checker,
        steps: schedule.len(),
    };
    let scheduler = Box::new(ReplayScheduler::new_from_schedule(schedule.clone()));
    run(
        model,
        scheduler,
        Mode::Shuttle(checker),
        bound,
        Some(schedule),
        options,
    )
}

fn run<M: Model>(
    model: Arc<M>,
    scheduler: Box<dyn Scheduler + Send>,
    mode: Mode,
    bound: Bound,
    replaying: Option<Schedule>,
    options: &RunOptions,
) -> Outcome {
    let probe = Probe::new(mode, bound, options);
    let _active = super::hook::activate(probe.clone());
    let runner = shuttle::Runner::new(
        Recording {
            inner: Some(scheduler),
            probe: probe.clone(),
            replaying,
            teardown: RoundRobinScheduler::new(1),
            executions: 0,
        },
        config(),
    );
    let p = probe.clone();
    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
        runner.run(move || Shuttle::run_task(|| p.execute::<Shuttle, M>(&model)));
    }));
    match ran {
        // A failed execution that the scheduler stopped (see `Recording`).
        Ok(()) => probe.failure().unwrap_or_else(|| probe.safe()),
        Err(payload) => probe.fail(&*payload),
    }
}

/// The exploring schedulers, as shuttle makes them.
enum Explorer {
    Random(RandomScheduler),
    /// PCT, which needs a scheduling choice to exist: on a model whose executions never have
    /// two runnable tasks (one thread), PCT's second execution asserts ("test closure did not
    /// exercise any concurrency"). There is then only one interleaving, and the remaining
    /// iterations run with shuttle's random scheduler from the same seed.
    Pct {
        pct: PctScheduler,
        seed: u64,
        iterations: usize,
        started: bool,
        choice_seen: bool,
    },
}

impl Scheduler for Explorer {
    fn new_execution(&mut self) -> Option<Schedule> {
        match self {
            Explorer::Random(random) => random.new_execution(),
            Explorer::Pct {
                pct,
                seed,
                iterations,
                started,
                choice_seen,
            } => {
                if *started && !*choice_seen {
                    // The first execution (run by PCT) had no choice to make.
                    let mut random =
                        RandomScheduler::new_from_seed(*seed, iterations.saturating_sub(1));
                    let schedule = random.new_execution();
                    *self = Explorer::Random(random);
                    return schedule;
                }
                *started = true;
                pct.new_execution()
            }
        }
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        match self {
            Explorer::Random(random) => random.next_task(runnable, current, is_yielding),
            Explorer::Pct {
                pct, choice_seen, ..
            } => {
                *choice_seen |= runnable.len() > 1;
                pct.next_task(runnable, current, is_yielding)
            }
        }
    }

    fn next_u64(&mut self) -> u64 {
        match self {
            Explorer::Random(random) => random.next_u64(),
            Explorer::Pct { pct, .. } => pct.next_u64(),
        }
    }
}

/// Records the schedule of the current execution into the probe, as shuttle's `ReplayScheduler`
/// reads it back: every task choice and every random value, from the seed the execution starts
/// with. (shuttle's own failure report keeps the first run's configuration and skips a schedule
/// of the same length as one it already printed; this does neither.)
///
/// A replay (`replaying`) checks each step against the recorded schedule before shuttle's
/// `ReplayScheduler` takes it: a scheduled task that is not runnable, a task where the schedule
/// has a random value (or the reverse), a schedule that runs out, or one with steps left when
/// the execution ends, stops the execution there as a [`Divergence`] (where
/// `ReplayScheduler` would panic with its internal state, or silently follow another
/// execution). Once the replayed execution has failed, the schedule (recorded up to the
/// failure) has nothing more to say: the rest of the execution, its threads unwinding, is
/// scheduled by shuttle's round-robin scheduler.
struct Recording {
    /// `None` once dropped on purpose (see `Drop`).
    inner: Option<Box<dyn Scheduler + Send>>,
    probe: Arc<Probe>,
    replaying: Option<Schedule>,
    /// A replay, after its failure.
    teardown: RoundRobinScheduler,
    executions: usize,
}

impl Recording {
    /// For a replay: whether the recorded schedule's next step is a scheduling decision among
    /// `runnable` (`want_task`) or a random value, else where and why it diverges.
    fn follows(&self, want_task: bool, runnable: &[&Task]) -> Result<(), Divergence> {
        let Some(schedule) = &self.replaying else {
            return Ok(());
        };
        let at = self.probe.schedule_len();
        let diverged = |reason: String| Divergence {
            step: at as u64,
            reason,
        };
        let runnable_ids = || {
            let ids: Vec<String> = runnable
                .iter()
                .map(|t| usize::from(t.id()).to_string())
                .collect();
            ids.join(", ")
        };
        match (schedule.steps.get(at), want_task) {
            (None, true) => Err(diverged(format!(
                "the schedule has {} steps and ends here, while task(s) {} can still run",
                schedule.len(),
                runnable_ids()
            ))),
            (None, false) => Err(diverged(format!(
                "the schedule has {} steps and ends here, while the execution draws a random \
                 value",
                schedule.len()
            ))),
            (Some(ScheduleStep::Random), true) => Err(diverged(
                "the schedule has a random value here, the execution a scheduling decision"
                    .to_string(),
            )),
            (Some(ScheduleStep::Task(_)), false) => Err(diverged(
                "the schedule has a scheduling decision here, the execution draws a random value"
                    .to_string(),
            )),
            (Some(ScheduleStep::Task(task)), true) if !runnable.iter().any(|t| t.id() == *task) => {
                Err(diverged(format!(
                    "the schedule runs task {}, which is not runnable here (runnable: {})",
                    usize::from(*task),
                    runnable_ids()
                )))
            }
            _ => Ok(()),
        }
    }

    fn inner(&mut self) -> &mut (dyn Scheduler + Send) {
        self.inner
            .as_deref_mut()
            .expect("the scheduler is only taken when the runner drops it")
    }
}

impl Scheduler for Recording {
    fn new_execution(&mut self) -> Option<Schedule> {
        if let Some(schedule) = &self.replaying {
            if self.executions == 1 && !self.probe.diverged() {
                // The replayed execution ended: it must have taken every step.
                let taken = self.probe.schedule_len();
                if taken < schedule.len() {
                    self.probe.diverge(Divergence {
                        step: taken as u64,
                        reason: format!(
                            "the execution ended after {taken} of the schedule's {} steps",
                            schedule.len()
                        ),
                    });
                }
            }
        }
        if self.probe.failed() {
            // The check has its outcome.
            return None;
        }
        let schedule = self.inner().new_execution()?;
        self.executions += 1;
        self.probe.reset_schedule(schedule.clone());
        Some(schedule)
    }

    fn next_task(
        &mut self,
        runnable: &[&Task],
        current: Option<TaskId>,
        is_yielding: bool,
    ) -> Option<TaskId> {
        if self.probe.failed() && !std::thread::panicking() {
            // The failing task has caught its panic (`Shuttle::run_task`) and offers this
            // scheduling point: stop the execution here, before shuttle sees the panic (it
            // would print "test panicked in task" on stderr). The outcome was taken when the
            // panic was raised (see `super::hook`).
            return None;
        }
        if self.replaying.is_some() && self.probe.failed() {
            return self.teardown.next_task(runnable, current, is_yielding);
        }
        if self.probe.diverged() {
            return None;
        }
        if let Err(d) = self.follows(true, runnable) {
            // Stops the execution: shuttle ends it without a failure.
            self.probe.diverge(d);
            return None;
        }
        let next = self.inner().next_task(runnable, current, is_yielding);
        if let Some(task) = next {
            self.probe.push_task(task);
        }
        next
    }

    fn next_u64(&mut self) -> u64 {
        if self.replaying.is_some() && self.probe.failed() {
            return self.teardown.next_u64();
        }
        if !self.probe.diverged() {
            if let Err(d) = self.follows(false, &[]) {
                // A value must be returned: the execution stops at its next scheduling point.
                self.probe.diverge(d);
            }
        }
        if self.probe.diverged() {
            return 0;
        }
        self.probe.push_random();
        self.inner().next_u64()
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        // shuttle's random scheduler prints "failing seed ... set SHUTTLE_RANDOM_SEED" when it
        // is dropped in the middle of an execution (a failure): wrong advice here, where the
        // replay token is the way back. Forgetting it (a few hundred bytes per failing check)
        // is the only way to keep it quiet.
        if self.probe.failed() {
            std::mem::forget(self.inner.take());
        }
    }
}
