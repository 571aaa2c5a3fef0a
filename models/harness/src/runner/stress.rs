//! Real threads: the model run as production code runs, many times over.

use super::probe::{Mode, Probe};
use super::RunOptions;
use crate::model::Model;
use crate::outcome::{Bound, Outcome};
use notifier_core::Std;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

/// Runs `model` `iterations` times on real threads (the std backend), stopping at the first
/// failing run. The machine's scheduler and memory model decide the interleavings, so a failure
/// cannot be replayed, and a pass says little: it is a smoke test of the model itself.
pub fn stress_std<M: Model>(model: Arc<M>, iterations: usize) -> Outcome {
    let bound = Bound::Runs { value: iterations };
    let probe = Probe::new(Mode::Std, bound, &RunOptions::default());
    let _active = super::hook::activate(probe.clone());
    for _ in 0..iterations {
        let ran = panic::catch_unwind(AssertUnwindSafe(|| probe.execute::<Std, M>(&model)));
        if let Err(payload) = ran {
            return probe.fail(&*payload);
        }
    }
    probe.safe()
}
