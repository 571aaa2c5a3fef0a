//! loom: exhaustive exploration, optionally preemption-bounded.

use super::probe::{Mode, Probe};
use super::RunOptions;
use crate::model::Model;
use crate::outcome::{Bound, Outcome};
use notifier_core::backend::mazurkiewicz;
use notifier_core::Loom;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

/// loom's limit on branch points in one execution. A wait loop that can never finish yields
/// forever and must hit this limit (which reports a deadlock) quickly; a live execution must
/// not. At 10,000, srcu-call on v3.17 (preemption bound 2) reported a false deadlock with the
/// earlier SRCU model, with no wait open: a long but live execution. It must also stay below
/// 65,535: loom counts each thread's steps in a `u16` version clock, so a thread that polls
/// for longer (SRCU's work item re-running while a reader never leaves: the self-deadlock of
/// S2-unlock-after-sync) wraps it, and loom then reports a false "Causality violation" on
/// that thread's own accesses instead of the branch limit.
pub(crate) const MAX_BRANCHES: usize = 50_000;

/// Explores `model` with loom until the first failing execution or the end of the exploration
/// (a replay: or the end of execution `stop_after`).
pub(crate) fn check<M: Model>(
    model: Arc<M>,
    preemption_bound: Option<usize>,
    stop_after: Option<u64>,
    bound: Bound,
    options: &RunOptions,
) -> Outcome {
    let probe = Probe::new(Mode::Loom(preemption_bound), bound, options);
    let _active = super::hook::activate(probe.clone());
    // `Builder::new` reads the LOOM_* environment variables: set every field that matters
    // explicitly, so that a check means the same in every environment.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = preemption_bound;
    builder.max_branches = MAX_BRANCHES;
    builder.max_permutations = None;
    builder.max_duration = None;
    builder.checkpoint_file = None;
    builder.location = false;
    builder.log = false;
    if let Some(last) = stop_after {
        // loom checks `max_permutations` before an execution whose number is a multiple of
        // `checkpoint_interval` (no checkpoint file is written without `checkpoint_file`):
        // every execution, so that it stops before execution `last + 1`.
        builder.checkpoint_interval = 1;
        builder.max_permutations = Some(
            usize::try_from(last)
                .unwrap_or(usize::MAX)
                .saturating_add(1),
        );
    }
    let p = probe.clone();
    if options.count_traces {
        mazurkiewicz::start_counting();
    }
    let explored = panic::catch_unwind(AssertUnwindSafe(|| {
        builder.check(move || {
            mazurkiewicz::begin_execution();
            p.execute::<Loom, M>(&model);
            mazurkiewicz::end_execution();
        });
    }));
    probe.set_distinct_traces(mazurkiewicz::stop_counting());
    match explored {
        Ok(()) => probe.safe(),
        Err(payload) => probe.fail(&*payload),
    }
}
