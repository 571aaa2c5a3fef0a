//! Running `notifier-check` as a user runs it.

use serde_json::Value;
use std::process::{Command, Output};

/// The binary under test.
pub const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

/// Environment variables that would split a run: a test says what it runs, whatever the
/// environment of the test process (a CI matrix job, a Kubernetes pod).
pub const PARTITION_ENV: [&str; 3] = [
    "NOTIFIER_CHECK_PARTITION",
    "NOTIFIER_CHECK_PARTITION_COUNT",
    "JOB_COMPLETION_INDEX",
];

/// `notifier-check` with `args`, its partition environment removed.
pub fn command(args: &[&str]) -> Command {
    let mut c = Command::new(EXE);
    c.args(args);
    for var in PARTITION_ENV {
        c.env_remove(var);
    }
    c
}

/// Runs `notifier-check` with `args`.
pub fn run(args: &[&str]) -> Output {
    command(args).output().expect("notifier-check runs")
}

/// Its standard output.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Its standard output, parsed as one JSON value (one record).
pub fn json(o: &Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// Its standard output, parsed as JSON records, one per line; every one carries the schema
/// version and its kind.
pub fn records(o: &Output) -> Vec<Value> {
    stdout(o)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert_eq!(v["schema_version"], 1, "{l}");
            assert!(v["record"].is_string(), "{l}");
            v
        })
        .collect()
}

/// The records of kind `kind`.
pub fn of_kind<'a>(records: &'a [Value], kind: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["record"] == kind).collect()
}
