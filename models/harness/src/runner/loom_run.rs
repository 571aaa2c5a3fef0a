//! loom: exhaustive exploration, optionally preemption-bounded.

use super::probe::{Mode, Probe};
use crate::check::{CheckSpec, Outcome};
use crate::model::Model;
use notifier_core::Loom;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

/// loom's limit on branch points in one execution. A wait loop that can never finish yields
/// forever and must hit this limit (which reports a deadlock) quickly; a live execution must
/// not. At 10,000, srcu-call on v3.17 (preemption bound 2) reports a false deadlock at its
/// execution 59,995, with no wait open: a long but live execution. At 100,000, the
/// self-deadlock of S2-unlock-after-sync is still reported in about 12 ms (release).
pub(crate) const MAX_BRANCHES: usize = 100_000;

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
