//! `notifier-properties`: the oracles that judge an execution of the kernel model.

use notifier_core::Oracle;

/// The oracles every execution is judged by (placeholder: being written).
pub fn standard_oracles() -> Vec<Box<dyn Oracle>> {
    Vec::new()
}
