//! `notifier-check merge FILE…`: the --json outputs of a run's partitions (a campaign, an
//! exploration or a fuzzing run) combined into the report the whole run would have given: the
//! tables, JSON, JUnit and HTML. It refuses inputs that do not make one whole: files of
//! different commands or selections, a partition given twice or missing, a check missing,
//! repeated or outside its partition.

use crate::args::MergeArgs;
use crate::fuzz::FuzzRecord;
use crate::partition::Partition;
use crate::record::{parse, Record, RunHeader, RunKind, Summary};
use crate::report::Report;
use crate::results::Outputs;
use crate::{campaign, explore, fuzz, Failure};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One partition's records.
struct Part {
    file: PathBuf,
    header: RunHeader,
    checks: Vec<Report>,
    summary: Summary,
}

/// Merges the files and prints (and writes) the whole run's report.
pub fn run(args: MergeArgs) -> Result<ExitCode, Failure> {
    let outputs = Outputs::checked(&args.output)?;
    let mut inputs = Vec::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let records = parse(&file.display().to_string(), &text)?;
        inputs.push((file.clone(), records));
    }
    let fuzz_runs = inputs
        .iter()
        .filter(|(_, r)| matches!(r.first(), Some(Record::Fuzz(_))))
        .count();
    if fuzz_runs == inputs.len() {
        if outputs.report.is_some() || outputs.junit.is_some() {
            return Err(
                "--report and --junit apply to campaigns and explorations, not to \
                        fuzzing runs"
                    .into(),
            );
        }
        let record = merge_fuzz(inputs)?;
        if let Some(f) = &outputs.out {
            f.write(&Record::Fuzz(Box::new(record.clone())).line())?;
        }
        return fuzz::finish(&record, args.json);
    }
    if fuzz_runs > 0 {
        return Err("cannot merge fuzzing runs with campaigns or explorations".into());
    }
    let parts = inputs
        .into_iter()
        .map(|(file, records)| part(file, records))
        .collect::<Result<Vec<_>, _>>()?;
    let (header, checks, partitions, seconds) = merge_runs(parts)?;
    let status = match header.command {
        RunKind::Campaign => campaign::finish(
            header,
            checks,
            partitions,
            seconds,
            args.json,
            args.verbose,
            &outputs,
        )?,
        RunKind::ExploreOrderings => explore::finish(
            header,
            checks,
            partitions,
            seconds,
            args.json,
            args.verbose,
            &outputs,
        )?,
    };
    Ok(ExitCode::from(status))
}

/// A file's records as one partition: a `run` header first, its checks, a `summary` last.
fn part(file: PathBuf, records: Vec<Record>) -> Result<Part, String> {
    let shown = file.display().to_string();
    let mut records = records.into_iter();
    let Some(Record::Run(header)) = records.next() else {
        return Err(format!(
            "{shown}: does not start with a `run` record: not the --json output of a \
             campaign or an exploration"
        ));
    };
    let mut checks = Vec::new();
    let mut summary = None;
    for r in records {
        match r {
            Record::Check(c) if summary.is_none() => checks.push(*c),
            Record::Summary(s) if summary.is_none() => summary = Some(s),
            // The explorer's tables of a whole run are made again from the checks.
            Record::Placements(_) => {}
            _ => {
                return Err(format!(
                    "{shown}: unexpected record after the checks; is it two outputs in one \
                     file?"
                ))
            }
        }
    }
    let summary = summary.ok_or_else(|| {
        format!("{shown}: no `summary` record at the end: the run did not finish")
    })?;
    Ok(Part {
        file,
        header,
        checks,
        summary,
    })
}

/// The whole run from its partitions: the header, every check in the run's order, the number
/// of partitions, and the longest partition's seconds.
fn merge_runs(mut parts: Vec<Part>) -> Result<(RunHeader, Vec<Report>, u64, f64), String> {
    let name = |p: &Part| p.file.display().to_string();
    let first = &parts[0];
    for p in &parts[1..] {
        if p.header.command != first.header.command {
            return Err(format!(
                "{} is a {} and {} a {}: merge partitions of one run",
                name(first),
                first.header.command.as_str(),
                name(p),
                p.header.command.as_str()
            ));
        }
        if p.header.selection != first.header.selection {
            return Err(format!(
                "{} and {} come from different runs: their lists of checks differ (other \
                 scenarios, checkers or versions)",
                name(first),
                name(p)
            ));
        }
    }
    let count = match (parts.len(), first.header.partition) {
        (1, None) => 1,
        (_, None) => {
            return Err(format!(
                "{} is a whole run, not a partition: nothing to merge it with",
                name(first)
            ))
        }
        (_, Some(p)) => p.total(),
    };
    let mut seen: HashMap<u64, &Path> = HashMap::new();
    for p in &parts {
        let Some(partition) = p.header.partition else {
            return Err(format!(
                "{} is a whole run, not a partition: nothing to merge it with",
                name(p)
            ));
        };
        if partition.total() != count {
            return Err(format!(
                "{} is partition {partition} but {} is of {count} partitions: merge \
                 partitions of one split",
                name(p),
                name(first)
            ));
        }
        if let Some(other) = seen.insert(partition.index(), &p.file) {
            return Err(format!(
                "partition {partition} is given twice: {} and {}",
                other.display(),
                name(p)
            ));
        }
    }
    if count > 1 || first.header.partition.is_some() {
        let missing: Vec<String> = (1..=count)
            .filter(|i| !seen.contains_key(i))
            .map(|i| format!("count:{i}/{count}"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "missing partition(s) {}: every partition 1..{count} is needed",
                missing.join(", ")
            ));
        }
    }
    // Every check once, in its own partition, and none missing.
    let selection = first.header.selection.clone();
    let position: HashMap<&str, usize> = selection
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut slots: Vec<Option<Report>> = vec![None; selection.len()];
    let seconds = parts.iter().map(|p| p.summary.seconds).fold(0.0, f64::max);
    let header = RunHeader {
        partition: None,
        ..first.header.clone()
    };
    for p in &mut parts {
        let partition = p
            .header
            .partition
            .unwrap_or(Partition::Count { index: 1, count: 1 });
        let file = p.file.display().to_string();
        for check in std::mem::take(&mut p.checks) {
            let Some(&i) = position.get(check.id.as_str()) else {
                return Err(format!(
                    "{file}: check {} is not in the run's list of checks",
                    check.id
                ));
            };
            if !partition.contains(i) {
                return Err(format!(
                    "{file}: check {} belongs to another partition than {partition}",
                    check.id
                ));
            }
            if slots[i].is_some() {
                return Err(format!("{file}: check {} appears twice", check.id));
            }
            slots[i] = Some(check);
        }
    }
    let missing: Vec<&str> = selection
        .iter()
        .zip(&slots)
        .filter(|(_, s)| s.is_none())
        .map(|(id, _)| id.as_str())
        .collect();
    if let Some(id) = missing.first() {
        return Err(format!(
            "{} check(s) missing (the first: {id}): did a partition stop early?",
            missing.len()
        ));
    }
    Ok((
        header,
        slots.into_iter().flatten().collect(),
        count,
        seconds,
    ))
}

/// The whole fuzzing run from its partitions: cases, executions and shrinking added up,
/// distinct failures kept once (the one found first, by case index).
fn merge_fuzz(inputs: Vec<(PathBuf, Vec<Record>)>) -> Result<FuzzRecord, String> {
    let mut runs: Vec<(PathBuf, FuzzRecord)> = Vec::new();
    for (file, records) in inputs {
        let mut records = records.into_iter();
        let (Some(Record::Fuzz(run)), None) = (records.next(), records.next()) else {
            return Err(format!(
                "{}: expected one `fuzz` record (the --json output of one fuzzing run)",
                file.display()
            ));
        };
        runs.push((file, *run));
    }
    let (first_file, first) = &runs[0];
    let same = |r: &FuzzRecord| {
        r.report.kernel == first.report.kernel
            && r.seed == first.seed
            && r.iterations == first.iterations
            && r.pct_depth == first.pct_depth
            && r.drivers == first.drivers
            && r.stop == first.stop
    };
    if let Some((file, _)) = runs.iter().find(|(_, r)| !same(r)) {
        return Err(format!(
            "{} and {} are different fuzzing runs (kernel, seed, iterations, drivers or stop \
             differ)",
            first_file.display(),
            file.display()
        ));
    }
    let count = first.partition.map_or(1, Partition::total);
    let mut seen: HashMap<u64, &Path> = HashMap::new();
    for (file, r) in &runs {
        let Some(p) = r.partition else {
            return Err(format!(
                "{} is a whole fuzzing run, not a partition: nothing to merge it with",
                file.display()
            ));
        };
        if p.total() != count {
            return Err(format!(
                "{} is partition {p}, {} is of {count} partitions",
                file.display(),
                first_file.display()
            ));
        }
        if let Some(other) = seen.insert(p.index(), file) {
            return Err(format!(
                "partition {p} is given twice: {} and {}",
                other.display(),
                file.display()
            ));
        }
    }
    if let Some(i) = (1..=count).find(|i| !seen.contains_key(i)) {
        return Err(format!(
            "partition count:{i}/{count} is missing: every partition 1..{count} is needed"
        ));
    }
    runs.sort_by_key(|(_, r)| r.partition.map_or(0, Partition::index));
    let mut merged = runs[0].1.clone();
    merged.partition = None;
    merged.report.failures.clear();
    merged.saved.clear();
    merged.report.cases = 0;
    merged.report.executions = 0;
    merged.report.shrink_executions = 0;
    merged.report.seconds = 0.0;
    for (_, r) in runs {
        merged.report.cases += r.report.cases;
        merged.report.executions += r.report.executions;
        merged.report.shrink_executions += r.report.shrink_executions;
        merged.report.seconds = merged.report.seconds.max(r.report.seconds);
        for (found, saved) in r.report.failures.into_iter().zip(r.saved) {
            match merged
                .report
                .failures
                .iter()
                .position(|f| f.key == found.key)
            {
                Some(i) => {
                    merged.report.failures[i].occurrences += found.occurrences;
                    if found.case < merged.report.failures[i].case {
                        let occurrences = merged.report.failures[i].occurrences;
                        merged.report.failures[i] = found;
                        merged.report.failures[i].occurrences = occurrences;
                        merged.saved[i] = saved;
                    }
                }
                None => {
                    merged.report.failures.push(found);
                    merged.saved.push(saved);
                }
            }
        }
    }
    Ok(merged)
}
