//! A catalogue entry: a scenario, the kernels it is defined for, what each check of it must
//! show, and its default budgets.

use notifier_core::KernelVersion;
use notifier_harness::{Budget, Checkable, CheckerKind, Expectation};
use std::fmt;
use std::sync::Arc;

/// One entry of the catalogue.
pub struct Scenario {
    /// Its id on the command line (`S2`, `srcu-sync`).
    pub id: &'static str,
    /// One line: the threads and what they do.
    pub summary: &'static str,
    /// The kernel versions it is defined for.
    pub kernels: &'static [KernelVersion],
    /// Builds the model for a kernel version.
    pub build: fn(KernelVersion) -> Arc<dyn Checkable>,
    /// What each version × checker must show.
    pub expect: fn(KernelVersion, CheckerKind) -> Expectation,
    /// Default budget per checker.
    pub budget: fn(KernelVersion, CheckerKind) -> Budget,
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
