//! loom: exhaustive exploration, optionally preemption-bounded.

use super::probe::{Mode, Probe};
use crate::check::{CheckSpec, Outcome};
use crate::model::Model;
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

/// The bound in words.
pub(crate) fn bound_text(preemption_bound: Option<usize>) -> String {
    match preemption_bound {
        Some(n) => format!("preemption bound {n}"),
        None => "unbounded, exhaustive".to_string(),
    }
}

/// Explores `model` with loom until the first failing execution or the end of the exploration.
pub(crate) fn check<M: Model>(model: Arc<M>, spec: &CheckSpec) -> Outcome {
    let probe = Probe::new(
        Mode::Loom(spec.preemption_bound),
        bound_text(spec.preemption_bound),
    );
    let _active = super::hook::activate(probe.clone());
    // `Builder::new` reads the LOOM_* environment variables: set every field that matters
    // explicitly, so that a check means the same in every environment.
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = spec.preemption_bound;
    builder.max_branches = MAX_BRANCHES;
    builder.max_permutations = None;
    builder.max_duration = None;
    builder.checkpoint_file = None;
    builder.location = false;
    builder.log = false;
    let p = probe.clone();
    let explored = panic::catch_unwind(AssertUnwindSafe(|| {
        builder.check(move || p.execute::<Loom, M>(&model));
    }));
    match explored {
        Ok(()) => probe.safe(),
        Err(payload) => probe.fail(&*payload),
    }
}
