//! Helpers for `notifier-core`'s own unit tests: one execution on the std backend, run by the
//! test's own thread as `main`, and its trace in kernel words.

use crate::exec::{Execution, Task};
use crate::trace::{ResolvedOp, TraceEvent};
use std::sync::Arc;

/// A new execution with no oracle, and its `main` task (CPU 0).
pub(crate) fn execution() -> (Arc<Execution>, Task) {
    let exec = Execution::new(Vec::new());
    let main = exec.main_task();
    (exec, main)
}

/// Every event recorded so far, resolved.
pub(crate) fn ops(exec: &Execution) -> Vec<ResolvedOp> {
    exec.events().into_iter().map(|e| e.op).collect()
}

/// The events from index `from` on, as the trace prints them (`site: what`).
pub(crate) fn texts_from(exec: &Execution, from: usize) -> Vec<String> {
    exec.events()[from..].iter().map(TraceEvent::text).collect()
}
