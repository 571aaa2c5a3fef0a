//! `notifier-models`: scenarios over the kernel model, the runners that check them with each
//! checker, and the `notifier-check` command line.

pub mod cli;
pub mod fuzz;
pub mod kernel;
pub mod model;
pub mod registry;
pub mod runner;
pub mod scenario;
pub mod scenarios;

pub use kernel::KernelVersion;
pub use model::Model;
pub use scenario::{
    Budget, CheckSpec, Checkable, CheckerKind, Expectation, ExpectedViolation, Outcome, Scenario,
    Verdict,
};
