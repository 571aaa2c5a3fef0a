//! The JSON the documentation is generated from: a whole campaign's records, a `bench`
//! record, `soak` records. Each is read and checked here, so that a missing, malformed or
//! wrong-kind file is one readable line naming it, before anything is written.

use crate::bench::Bench;
use crate::record::{parse, Record, RunHeader, RunKind};
use crate::report::Report;
use crate::soak::{Evidence, SoakRecord};
use std::path::Path;

/// A whole campaign: its header and every check, in the run's order.
#[derive(Debug, Clone)]
pub struct Campaign {
    /// The `run` record.
    pub header: RunHeader,
    /// The `check` records.
    pub checks: Vec<Report>,
    /// Every record as read (for `--save-input`).
    pub records: Vec<Record>,
}

/// The records of the file at `path`, for the input `flag` names.
fn records(flag: &str, path: &Path) -> Result<Vec<Record>, String> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{flag} {shown}: cannot read it: {e}"))?;
    let records = parse(&format!("{flag} {shown}"), &text)?;
    if records.is_empty() {
        return Err(format!("{flag} {shown}: no records (the file is empty)"));
    }
    Ok(records)
}

/// The kind of a record, as its `"record"` tag says.
fn kind(r: &Record) -> &'static str {
    match r {
        Record::Run(_) => "run",
        Record::Check(_) => "check",
        Record::Summary(_) => "summary",
        Record::Placements(_) => "placements",
        Record::Scenario(_) => "scenario",
        Record::Replay(_) => "replay",
        Record::Fuzz(_) => "fuzz",
        Record::Bench(_) => "bench",
        Record::Soak(_) => "soak",
    }
}

/// A whole campaign's records (`notifier-check --out FILE`, or merged partitions).
pub fn campaign(path: &Path) -> Result<Campaign, String> {
    let records = records("--campaign", path)?;
    let shown = path.display();
    let header = match records.first() {
        Some(Record::Run(h)) if h.command == RunKind::Campaign => h.clone(),
        Some(Record::Run(h)) => {
            return Err(format!(
                "--campaign {shown}: the records of `{}`, not of a campaign",
                h.command.as_str()
            ))
        }
        Some(other) => {
            return Err(format!(
                "--campaign {shown}: not a campaign's records (the first is a `{}` record, not \
                 `run`)",
                kind(other)
            ))
        }
        None => unreachable!("records() refuses an empty file"),
    };
    if let Some(p) = header.partition {
        return Err(format!(
            "--campaign {shown}: partition {p} of a campaign: merge the partitions first \
             (`notifier-check merge`)"
        ));
    }
    let checks: Vec<Report> = records
        .iter()
        .filter_map(|r| match r {
            Record::Check(c) => Some(c.as_ref().clone()),
            _ => None,
        })
        .collect();
    if checks.len() != header.selection.len() {
        return Err(format!(
            "--campaign {shown}: {} checks of the campaign's {}: the run did not finish",
            checks.len(),
            header.selection.len()
        ));
    }
    Ok(Campaign {
        header,
        checks,
        records,
    })
}

/// One `bench` record (`notifier-check bench --out FILE`).
pub fn bench(path: &Path) -> Result<Bench, String> {
    let records = records("--bench", path)?;
    match records.as_slice() {
        [Record::Bench(b)] => Ok(b.as_ref().clone()),
        _ => Err(format!(
            "--bench {}: expected one `bench` record (`notifier-check bench --out FILE`), \
             found {}",
            path.display(),
            kinds(&records)
        )),
    }
}

/// `soak` records (`notifier-check soak --out FILE`): at most one of each evidence.
pub fn soaks(paths: &[impl AsRef<Path>]) -> Result<Vec<SoakRecord>, String> {
    let mut soaks: Vec<SoakRecord> = Vec::new();
    for path in paths {
        let path = path.as_ref();
        let records = records("--soak", path)?;
        let [Record::Soak(s)] = records.as_slice() else {
            return Err(format!(
                "--soak {}: expected one `soak` record (`notifier-check soak --out FILE`), \
                 found {}",
                path.display(),
                kinds(&records)
            ));
        };
        if soaks.iter().any(|o| o.evidence == s.evidence) {
            return Err(format!(
                "--soak {}: a second {} record: give one per evidence",
                path.display(),
                s.evidence
            ));
        }
        soaks.push(s.as_ref().clone());
    }
    soaks.sort_by_key(|s| s.evidence == Evidence::SeededBugs);
    Ok(soaks)
}

/// `2 records: run, check` or `1 record: check`.
fn kinds(records: &[Record]) -> String {
    let mut names: Vec<&str> = records.iter().map(kind).collect();
    names.dedup();
    format!(
        "{} record{}: {}",
        records.len(),
        if records.len() == 1 { "" } else { "s" },
        names.join(", ")
    )
}
