//! A check written as a closure: the [`Model`] that runs it on the [`Dyn`] backend, and the
//! run of one check or replay, in this process or in a child process, to its [`Report`].

use crate::builder::{EnvSetting, Isolation};
use crate::dynamic::{self, Active, Dyn};
use crate::isolation;
use crate::model::Model;
use crate::plan::{KernelPlan, Plan, Run, Target};
use crate::report::Report;
use crate::runner::{self, RunOptions};
use crate::world::Thread;
use notifier_core::{Backend, KernelVersion, Task};
use std::any::TypeId;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

/// The program of a check, as a [`Model`]: every execution calls the closure with the main
/// thread, on the [`Dyn`] backend of the checker that runs it.
pub(crate) struct ClosureModel<F> {
    f: F,
    version: KernelVersion,
}

impl<F> ClosureModel<F> {
    pub(crate) fn new(f: F, version: KernelVersion) -> Self {
        ClosureModel { f, version }
    }
}

impl<F> Model for ClosureModel<F>
where
    F: Fn(&Thread<'_>) + Send + Sync + 'static,
{
    fn run<B: Backend>(&self, main: &Task) {
        // The checker running the execution is B; the closure's world is Dyn, which makes
        // B's primitives (activated for the whole check by `run` below).
        debug_assert!(TypeId::of::<B>() != TypeId::of::<Dyn>());
        (self.f)(&Thread::new(main, self.version));
    }
}

/// The checker whose primitives [`Dyn`] makes while `run` runs.
fn active(run: &Run) -> Active {
    match run.checker() {
        crate::CheckerKind::Loom => Active::Loom,
        _ => Active::Shuttle,
    }
}

/// Runs `run` of `model` in this process, its [`Dyn`] primitives the checker's.
pub(crate) fn in_process<M: Model>(
    model: Arc<M>,
    run: &Run,
    options: &RunOptions,
) -> crate::Outcome {
    let _active = dynamic::activate(active(run));
    runner::run_in_process(model, run, options)
}

/// Runs `run` of `model` as `isolation` says, and reports it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<M: Model>(
    model: Arc<M>,
    at: &'static Location<'static>,
    version: KernelVersion,
    run: Run,
    isolation: Isolation,
    limit: Option<Duration>,
    mut environment: Vec<EnvSetting>,
) -> Report {
    let site = isolation::site(at);
    let plan = Plan {
        target: Target::Check(site.clone()),
        kernel: KernelPlan::version(version),
        run,
        traced: true,
        count_traces: false,
    };
    let (result, isolation) = match isolation {
        Isolation::Process => isolation::run(&site, &plan, model, limit),
        Isolation::InProcess => (
            Ok(in_process(model, &plan.run, &RunOptions::default())),
            Isolation::InProcess,
        ),
    };
    if let Ok(outcome) = &result {
        isolation::remember(&site, outcome);
    }
    if isolation == Isolation::InProcess && plan.checker() != crate::CheckerKind::Loom {
        // shuttle read it in this process (a child process runs without it).
        if let Ok(value) = std::env::var(runner::SHUTTLE_SEED_ENV) {
            environment.push(EnvSetting {
                var: runner::SHUTTLE_SEED_ENV.to_string(),
                value,
                applied: true,
            });
        }
    }
    Report::new(plan, result, isolation, environment)
}
