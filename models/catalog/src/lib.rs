//! `notifier-catalog`: the built-in scenarios of notifier-check (SRCU, the mmu_notifier
//! scenarios of each kernel version, planted memory bugs), their expected verdicts and budgets,
//! scenario files and the proptest fuzzer over them.

#![warn(missing_docs)]

pub mod child;
pub mod expectation;
pub mod fuzz;
pub mod registry;
pub mod scenario;
pub mod scenarios;
pub mod token;

pub use expectation::{Budget, Expectation, ExpectedViolation};
pub use scenario::Scenario;
pub use token::ReplayToken;
