//! `notifier-harness`: check a model of the Linux kernel's mmu_notifier core and SRCU — the
//! catalogue's, or one of your own drivers and protocols — with loom (exhaustive), shuttle
//! (random and PCT schedules) or real threads, and replay its failures.
//!
//! - [`Model`]: a closed concurrent program over the kernel model, run once per execution;
//! - [`runner`]: one check of a model under a checker, in this process or in a child process;
//! - [`check`]: the vocabulary of a check (checkers, specs, expectations);
//! - [`plan`]: a check as one serialisable value, as a parent hands it to its child;
//! - [`outcome`]: what a check observed, as one typed value.

pub mod check;
pub mod model;
pub mod outcome;
pub mod plan;
pub mod runner;

pub use check::{
    Budget, CheckSpec, Checkable, CheckerKind, Expectation, ExpectedViolation, Verdict,
    MAX_PREEMPTION_BOUND,
};
pub use model::Model;
pub use outcome::{Bound, Outcome};
pub use plan::{KernelPlan, Placements, Plan, Run, Target};
