//! The built-in scenarios.

pub mod memory;
pub mod notifier;
pub mod srcu;

use crate::scenario::Scenario;

/// Every built-in scenario, in the order `list` shows them.
pub fn catalog() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(srcu::catalog());
    all.extend(notifier::catalog());
    all.extend(memory::catalog());
    all
}
