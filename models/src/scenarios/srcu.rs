//! SRCU scenarios (placeholder: being written).

use crate::scenario::Scenario;

/// The SRCU scenarios.
pub fn catalog() -> Vec<Scenario> {
    Vec::new()
}
