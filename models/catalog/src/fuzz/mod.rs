//! Scenarios as plain data: a hand-editable file format ([`mod@format`]), the API contracts a
//! scenario must keep ([`validate`]), a scenario as a [`notifier_harness::Model`] ([`model`]), proptest
//! strategies that generate valid scenarios ([`strategy`]), and the fuzzing loop that runs
//! them with shuttle and every oracle and shrinks each failure ([`engine`]).

pub mod drivers;
pub mod engine;
pub mod format;
pub mod known;
pub mod model;
pub mod rules;
pub mod strategy;
pub mod validate;

pub use engine::{fuzz, FailureKey, Found, FuzzConfig, FuzzReport, Stop};
pub use format::{Driver, ScenarioFile};
pub use model::{kworkers, srcu, DataModel};
pub use validate::Scenario;

/// Reads, parses and validates the scenario file at `path` for `kernel`; errors name the file
/// and the place.
pub fn load(
    path: &std::path::Path,
    kernel: notifier_core::KernelVersion,
) -> Result<Scenario, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    let file = ScenarioFile::parse(&text).map_err(|e| format!("{shown}: {e}"))?;
    Scenario::validate(file, kernel).map_err(|e| format!("{shown}: {e}"))
}
