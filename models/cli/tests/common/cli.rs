//! Running `notifier-check` as a user runs it.

use serde_json::Value;
use std::process::{Command, Output};

/// The binary under test.
pub const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

/// Runs `notifier-check` with `args`.
pub fn run(args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .output()
        .expect("notifier-check runs")
}

/// Its standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Its standard output, parsed as one JSON value.
pub fn json(o: &Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}
