//! The JSON output of every command: newline-delimited records, one JSON object per line, each
//! saying which schema it follows and what kind of record it is:
//!
//! ```json
//! {"schema_version": 1, "record": "check", "id": "S2/v3.16/loom", ...}
//! ```
//!
//! | record | printed by | one per |
//! | --- | --- | --- |
//! | `run` | `campaign`, `explore-orderings`, `merge` (first line) | run: the command, its partition, every check id of the whole run, the limits |
//! | `check` | `check`, `campaign`, `explore-orderings`, `merge` | check: [`Report`] (`expected` and `observed` objects) |
//! | `summary` | `campaign`, `explore-orderings`, `merge` (last line) | run: counts, mismatches, crashes, seconds, exit status |
//! | `placements` | `explore-orderings` (whole runs), `merge` | function whose `srcu_read_unlock` moves: the table and its conclusion |
//! | `scenario` | `list` | catalogue scenario: its checks' expectations and default bounds |
//! | `replay` | `replay` | replay: the token, the verdict (reproduced, not reproduced, diverged) and the check |
//! | `fuzz` | `fuzz`, `merge` | fuzzing run: cases, executions, distinct failures, saved files |
//! | `bench` | `bench` | bench run: the machine and the measurements |
//! | `soak` | `soak` | soak run: the evidence (false alarms or seeded bugs), its seeds, the machine, the rows and the blind combinations |
//!
//! Bounds are tagged objects (`{"kind": "exhaustive"}`, `{"kind": "preemption", "value": 3}`,
//! `{"kind": "iterations", "value": 2000, "seed": 1, "pct_depth": 3}`); traces are lists of
//! structured events. [`SCHEMA_VERSION`] changes whenever a record's shape does.

use crate::bench::Bench;
use crate::explore::PlacementTable;
use crate::fuzz::FuzzRecord;
use crate::list::ScenarioEntry;
use crate::partition::Partition;
use crate::replay::ReplayRecord;
use crate::report::Report;
use crate::soak::SoakRecord;
use serde::{Deserialize, Serialize};

/// The version of the JSON records' shapes.
pub const SCHEMA_VERSION: u32 = 1;

/// One line of JSON output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    /// [`SCHEMA_VERSION`] when it was written.
    pub schema_version: u32,
    /// The record.
    #[serde(flatten)]
    pub record: Record,
}

/// The kinds of record, tagged by `"record"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum Record {
    /// The start of a campaign or an exploration.
    Run(RunHeader),
    /// One check.
    Check(Box<Report>),
    /// The end of a campaign or an exploration.
    Summary(Summary),
    /// One table of the ordering explorer.
    Placements(PlacementTable),
    /// One scenario of the catalogue (`list`).
    Scenario(ScenarioEntry),
    /// One replay.
    Replay(Box<ReplayRecord>),
    /// One fuzzing run.
    Fuzz(Box<FuzzRecord>),
    /// One bench run.
    Bench(Box<Bench>),
    /// One soak run.
    Soak(Box<SoakRecord>),
}

/// Which command a run's records come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunKind {
    /// The verification campaign.
    Campaign,
    /// The ordering explorer.
    ExploreOrderings,
}

impl RunKind {
    /// The subcommand's name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Campaign => "campaign",
            RunKind::ExploreOrderings => "explore-orderings",
        }
    }
}

/// The first record of a campaign or an exploration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunHeader {
    /// The command.
    pub command: RunKind,
    /// The partition these records cover (`null`: the whole run).
    pub partition: Option<Partition>,
    /// The id of every check of the whole run, in its fixed order (partitions are slices of
    /// it; `merge` checks that they cover it exactly).
    pub selection: Vec<String>,
    /// Checks run at the same time.
    pub jobs: usize,
    /// The limits every check ran under.
    pub limits: Limits,
}

/// Limits that apply to every execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// loom's branch limit per execution.
    pub loom_max_branches: usize,
    /// shuttle's step limit per execution.
    pub shuttle_max_steps: usize,
}

impl Limits {
    /// The harness's limits.
    pub fn harness() -> Self {
        Limits {
            loom_max_branches: notifier_harness::runner::LOOM_MAX_BRANCHES,
            shuttle_max_steps: notifier_harness::runner::SHUTTLE_MAX_STEPS,
        }
    }
}

/// The last record of a campaign or an exploration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Summary {
    /// Checks run.
    pub checks: usize,
    /// Checks that observed what they expected.
    pub as_expected: usize,
    /// Ids of the checks that observed something else.
    pub not_as_expected: Vec<String>,
    /// Ids of the checks whose process crashed.
    pub crashed: Vec<String>,
    /// Partitions combined (1 for a run that was not split).
    pub partitions: u64,
    /// Wall-clock seconds (measured): the run's, or the longest partition's.
    pub seconds: f64,
    /// The command's exit status.
    pub exit_status: u8,
}

impl Summary {
    /// The summary of `checks`, run in `seconds` over `partitions`, whose command exits with
    /// `exit_status`.
    pub fn of(checks: &[Report], partitions: u64, seconds: f64, exit_status: u8) -> Self {
        let ids = |keep: fn(&Report) -> bool| {
            checks
                .iter()
                .filter(|r| keep(r))
                .map(|r| r.id.clone())
                .collect::<Vec<_>>()
        };
        Summary {
            checks: checks.len(),
            as_expected: checks.iter().filter(|r| r.matches).count(),
            not_as_expected: ids(Report::mismatched),
            crashed: ids(Report::crashed),
            partitions,
            seconds,
            exit_status,
        }
    }
}

impl Record {
    /// The record as one line of JSON.
    pub fn line(self) -> String {
        let envelope = Envelope {
            schema_version: SCHEMA_VERSION,
            record: self,
        };
        // Every record is plain data (strings, numbers, lists, maps with string keys).
        let json = serde_json::to_string(&envelope).unwrap_or_else(|e| {
            format!(r#"{{"schema_version":{SCHEMA_VERSION},"record":"error","error":"{e}"}}"#)
        });
        format!("{json}\n")
    }
}

/// Records, one JSON object per line.
pub fn lines(records: impl IntoIterator<Item = Record>) -> String {
    records.into_iter().map(Record::line).collect()
}

/// Reads records written by [`lines`]: one per non-empty line. `source` names the input in
/// errors.
pub fn parse(source: &str, text: &str) -> Result<Vec<Record>, String> {
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| format!("{source}: line {}: not JSON: {e}", n + 1))?;
        match value
            .get("schema_version")
            .and_then(serde_json::Value::as_u64)
        {
            Some(v) if v == u64::from(SCHEMA_VERSION) => {}
            Some(v) => {
                return Err(format!(
                    "{source}: line {}: schema version {v}, this program reads version \
                     {SCHEMA_VERSION}",
                    n + 1
                ))
            }
            None => {
                return Err(format!(
                    "{source}: line {}: not a notifier-check record (no schema_version)",
                    n + 1
                ))
            }
        }
        let envelope: Envelope =
            serde_json::from_value(value).map_err(|e| format!("{source}: line {}: {e}", n + 1))?;
        records.push(envelope.record);
    }
    Ok(records)
}
