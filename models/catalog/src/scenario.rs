//! A catalogue entry: a scenario, the kernels it is defined for, how its model is built, what
//! each check of it must show, and its default budgets.

use crate::expectation::{Budget, Expectation};
use notifier_core::{KernelConfig, KernelVersion};
use notifier_harness::{Checkable, CheckerKind, KernelPlan};
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
    /// Builds the model.
    pub build: Build,
    /// What each version × checker must show.
    pub expect: fn(KernelVersion, CheckerKind) -> Expectation,
    /// Default budget per checker.
    pub budget: fn(KernelVersion, CheckerKind) -> Budget,
}

/// How a scenario builds its model.
#[derive(Clone, Copy)]
pub enum Build {
    /// From the kernel configuration of the plan: the version's, with the placements of
    /// `srcu_read_unlock` the ordering explorer moves (the mmu_notifier scenarios).
    Config(fn(KernelConfig) -> Arc<dyn Checkable>),
    /// From the kernel configuration of the plan without the explorer's placements: the
    /// version's, on the SRCU the plan chooses (mmu_notifier scenarios that fix their own
    /// placements or other knobs).
    Fixed(fn(KernelConfig) -> Arc<dyn Checkable>),
    /// From the version alone: the model does not run the mmu_notifier core (SRCU on its
    /// own, planted memory bugs).
    Version(fn(KernelVersion) -> Arc<dyn Checkable>),
}

impl Scenario {
    /// The model on `kernel`.
    pub fn model(&self, kernel: &KernelPlan) -> Arc<dyn Checkable> {
        match self.build {
            Build::Config(build) => build(kernel.config()),
            Build::Fixed(build) => build(kernel.config_without_placements()),
            Build::Version(build) => build(kernel.version),
        }
    }

    /// Whether the ordering explorer's placements reach the model.
    pub fn follows_placements(&self) -> bool {
        matches!(self.build, Build::Config(_))
    }

    /// Whether the plan's choice of SRCU reaches the model (the mmu_notifier scenarios).
    pub fn follows_srcu(&self) -> bool {
        matches!(self.build, Build::Config(_) | Build::Fixed(_))
    }
}

impl fmt::Debug for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scenario")
            .field("id", &self.id)
            .field("follows_placements", &self.follows_placements())
            .finish_non_exhaustive()
    }
}
