//! `notifier-check fuzz`: proptest-generated scenarios checked with shuttle and every oracle,
//! each new kind of failure shrunk and saved to a file with the command that replays it.
//!
//! The fuzzing loop runs in a child process (`__fuzz`): shuttle prints a line on stderr for
//! every failing execution, which the child's stderr swallows, and a process that dies is
//! reported instead of taking the command down. The child reports progress and its result as
//! lines on stdout; the parent draws the progress bar and writes the files.

use crate::args::FuzzArgs;
use crate::output::{print, print_records, trace_text};
use crate::partition::Partition;
use crate::record::Record;
use crate::{current_exe, Failure};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use notifier_catalog::fuzz::engine::{drivers_of, fuzz, FuzzConfig, FuzzReport, Stop};
use notifier_catalog::fuzz::Driver;
use notifier_harness::runner::RESULT_MARKER;
use notifier_harness::Target;
use serde::{Deserialize, Serialize};
use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// The prefix of the child's progress lines: `cases executions failures`.
const PROGRESS_MARKER: &str = "NOTIFIER-CHECK-PROGRESS";

/// The partition the arguments (or the environment) give: `--partition`, else the deprecated
/// 0-based `--shard` (with a note on stderr unless `quiet`), else the environment.
fn partition(args: &FuzzArgs, quiet: bool) -> Result<Option<Partition>, String> {
    if let Some(shard) = &args.shard {
        let (i, n) = parse_shard(shard)?;
        let p = Partition::count(i + 1, n)?;
        if !quiet {
            eprintln!(
                "notifier-check: --shard is deprecated and will go: use --partition {p} (1-based, \
                 as nextest's)"
            );
        }
        return Ok(Some(p));
    }
    args.partition.from_env()
}

/// The fuzzing run the arguments describe, on `partition`.
fn config(args: &FuzzArgs, partition: Option<Partition>) -> Result<FuzzConfig, String> {
    let mut c = FuzzConfig::new(args.kernel);
    c.seed = args.seed;
    c.shard = partition.map_or((0, 1), Partition::shard);
    c.stop = match (args.cases, args.seconds) {
        (_, Some(s)) => Stop::Time(Duration::from_secs(s)),
        (Some(n), None) => Stop::Cases(n),
        (None, None) => Stop::Cases(1_000),
    };
    c.iterations = usize::try_from(args.iterations)
        .map_err(|_| format!("--iterations {} is too large", args.iterations))?;
    if !args.driver.is_empty() {
        let mut wanted = Vec::new();
        for name in &args.driver {
            if name == "correct" {
                wanted.extend(Driver::CORRECT);
                continue;
            }
            let d = Driver::ALL
                .into_iter()
                .find(|d| d.as_str() == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = Driver::ALL.iter().map(|d| d.as_str()).collect();
                    format!(
                        "unknown driver '{name}' (known: {}, correct)",
                        known.join(", ")
                    )
                })?;
            if drivers_of(args.kernel, &[d]).is_empty() {
                return Err(format!("driver {name} does not exist on {}", args.kernel));
            }
            wanted.push(d);
        }
        c.drivers = drivers_of(args.kernel, &wanted);
    }
    Ok(c)
}

/// `I/N` with `I < N` (the deprecated 0-based `--shard`).
fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard '{s}': expected I/N with 0 <= I < N (for example 0/4)");
    let (i, n) = s.split_once('/').ok_or_else(bad)?;
    let (i, n): (u64, u64) = (i.parse().map_err(|_| bad())?, n.parse().map_err(|_| bad())?);
    if n == 0 || i >= n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The arguments the child gets: the same run, on `partition`.
fn child_args(args: &FuzzArgs, partition: Option<Partition>) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "__fuzz".into(),
        "--kernel".into(),
        args.kernel.to_string(),
        "--seed".into(),
        args.seed.to_string(),
        "--partition".into(),
        partition
            .unwrap_or(Partition::Count { index: 1, count: 1 })
            .to_string(),
        "--iterations".into(),
        args.iterations.to_string(),
    ];
    if let Some(n) = args.cases {
        v.extend(["--cases".into(), n.to_string()]);
    }
    if let Some(s) = args.seconds {
        v.extend(["--seconds".into(), s.to_string()]);
    }
    for d in &args.driver {
        v.extend(["--driver".into(), d.clone()]);
    }
    v
}

/// Child side: runs the loop, one progress line per case, then the result line.
pub fn serve(args: FuzzArgs) -> Result<ExitCode, Failure> {
    let config = config(&args, partition(&args, true)?)?;
    let report = fuzz(&config, |cases, executions, failures| {
        println!("{PROGRESS_MARKER} {cases} {executions} {failures}");
    })?;
    let json = serde_json::to_string(&report).map_err(|e| format!("cannot encode: {e}"))?;
    // The parent reads this line; a child that cannot write it is reported as crashed.
    println!("{RESULT_MARKER} {json}");
    Ok(ExitCode::SUCCESS)
}

/// One saved failure, for the report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    /// The file.
    pub file: PathBuf,
    /// The command that replays its failure.
    pub replay: Option<String>,
}

/// The `fuzz` record: the run's settings, what it did, and where each failure was saved.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuzzRecord {
    /// The partition of the case indices this run covered (`null`: all).
    pub partition: Option<Partition>,
    /// The base seed.
    pub seed: u64,
    /// shuttle executions per case.
    pub iterations: usize,
    /// PCT depth for the cases that use PCT.
    pub pct_depth: usize,
    /// The drivers the notifiers were drawn from.
    pub drivers: Vec<String>,
    /// The stop condition: cases per partition, or seconds.
    pub stop: FuzzStop,
    /// What the run did.
    #[serde(flatten)]
    pub report: FuzzReport,
    /// Where each failure was saved, in the order of `failures`.
    pub saved: Vec<Saved>,
}

/// When a fuzzing run stops: after `cases` cases or `seconds` seconds (one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FuzzStop {
    /// Cases (per partition).
    pub cases: Option<u64>,
    /// Seconds.
    pub seconds: Option<u64>,
}

impl FuzzStop {
    fn of(stop: Stop) -> Self {
        match stop {
            Stop::Cases(n) => FuzzStop {
                cases: Some(n),
                seconds: None,
            },
            Stop::Time(d) => FuzzStop {
                cases: None,
                seconds: Some(d.as_secs()),
            },
        }
    }
}

/// Runs the fuzzing loop in a child process; exit status 0 iff it found no failure other than
/// known kernel defects of the catalogue, 1 if it found one, 4 if its process crashed.
pub fn run(args: FuzzArgs) -> Result<ExitCode, Failure> {
    let partition = partition(&args, args.json)?;
    let config = config(&args, partition)?;
    let bar = if args.json {
        ProgressBar::hidden()
    } else {
        let bar = match config.stop {
            Stop::Cases(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::stderr()),
            Stop::Time(_) => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = match config.stop {
            Stop::Cases(_) => "{bar:30} {pos}/{len} cases, {elapsed}  {msg}",
            Stop::Time(_) => "{spinner} {pos} cases, {elapsed}  {msg}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(250));
        bar
    };
    let mut child = Command::new(current_exe()?)
        .args(child_args(&args, partition))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the fuzzing process: {e}"))?;
    let mut result = None;
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if let Some(p) = line.strip_prefix(PROGRESS_MARKER) {
                let n: Vec<u64> = p
                    .split_whitespace()
                    .filter_map(|x| x.parse().ok())
                    .collect();
                if let [cases, executions, failures] = n[..] {
                    bar.set_position(cases);
                    bar.set_message(format!(
                        "{executions} executions, {failures} distinct failures"
                    ));
                }
            } else if let Some(json) = line.strip_prefix(RESULT_MARKER) {
                result = Some(json.trim().to_string());
            }
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("the fuzzing process: {e}"))?;
    bar.finish_and_clear();
    let report: Option<FuzzReport> = result.and_then(|json| serde_json::from_str(&json).ok());
    let Some(report) = report else {
        eprintln!(
            "notifier-check: the fuzzing process crashed: it ended without a readable result \
             ({status})"
        );
        return Ok(ExitCode::from(crate::CRASHED));
    };
    let saved = save_all(&report, &args, partition)?;
    let record = FuzzRecord {
        partition,
        seed: config.seed,
        iterations: config.iterations,
        pct_depth: config.pct_depth,
        drivers: config
            .drivers
            .iter()
            .map(|d| d.as_str().to_string())
            .collect(),
        stop: FuzzStop::of(config.stop),
        report,
        saved,
    };
    finish(&record, args.json)
}

/// Prints a fuzzing run (the report, or its `json` record); the exit status is 0 iff it found
/// no failure other than known kernel defects of the catalogue. Also the end of `merge` for
/// fuzzing runs.
pub fn finish(record: &FuzzRecord, json: bool) -> Result<ExitCode, Failure> {
    if json {
        print_records([Record::Fuzz(Box::new(record.clone()))])?;
    } else {
        print(&human(record))?;
    }
    // A known kernel defect met again is reported, but is not a finding.
    let found = record.report.new_findings().next().is_some();
    Ok(ExitCode::from(if found {
        crate::MISMATCH
    } else {
        crate::SUCCESS
    }))
}

/// Saves each failure's minimal scenario in `args.out`, never overwriting a file.
fn save_all(
    report: &FuzzReport,
    args: &FuzzArgs,
    partition: Option<Partition>,
) -> Result<Vec<Saved>, Failure> {
    if report.failures.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let mut saved = Vec::new();
    for f in &report.failures {
        let base: String = format!(
            "{}-{}-{}-{}",
            report.kernel, f.key.kind, f.key.function, f.key.site
        )
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
        let (path, mut file) = create_fresh(&args.out, &base)?;
        let replay = f
            .token(report.kernel)
            .map(|t| t.command(&Target::File(path.clone())));
        let mut text = format!(
            "# Found by notifier-check fuzz --kernel {} --seed {}{} (case {}), shrunk to size {} \
             (threads + operations + notifiers) from {}.\n",
            report.kernel,
            args.seed,
            partition.map_or(String::new(), |p| format!(" --partition {p}")),
            f.case,
            f.minimal_size,
            f.original_size
        );
        if let Some(r) = &replay {
            text.push_str(&format!("# replay: {r}\n"));
        }
        text.push_str(&format!(
            "# check:  notifier-check check --scenario-file {} --kernel {} --checker {}\n\n",
            path.display(),
            report.kernel,
            f.outcome
                .replay
                .as_ref()
                .map_or(notifier_harness::CheckerKind::ShuttlePct, |r| r.checker())
        ));
        text.push_str(&f.minimal.render());
        file.write_all(text.as_bytes())
            .map_err(|e| Failure::Output(format!("cannot write {}: {e}", path.display())))?;
        saved.push(Saved { file: path, replay });
    }
    Ok(saved)
}

/// Creates `dir/base.toml`, or `base-2.toml`, `base-3.toml`, ... if it exists.
fn create_fresh(dir: &Path, base: &str) -> Result<(PathBuf, std::fs::File), String> {
    for i in 1.. {
        let name = if i == 1 {
            format!("{base}.toml")
        } else {
            format!("{base}-{i}.toml")
        };
        let path = dir.join(name);
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    unreachable!("an unbounded range always yields")
}

fn human(record: &FuzzRecord) -> String {
    let report = &record.report;
    let saved = &record.saved;
    let mut s = format!(
        "fuzz {}: {} cases, {} shuttle executions (+{} while shrinking), {:.1} s\n  seed {}, \
         {}, {} executions per case (random or PCT depth {}), drivers: {}\n",
        report.kernel,
        report.cases,
        report.executions,
        report.shrink_executions,
        report.seconds,
        record.seed,
        record
            .partition
            .map_or("every case".to_string(), |p| format!("partition {p}")),
        record.iterations,
        record.pct_depth,
        record.drivers.join(", ")
    );
    if report.failures.is_empty() {
        s.push_str("  no failure found\n");
        return s;
    }
    let known = report.failures.len() - report.new_findings().count();
    s.push_str(&format!(
        "{} distinct failures ({} new, {known} known kernel defect(s) of the catalogue):\n",
        report.failures.len(),
        report.failures.len() - known
    ));
    for (i, (f, saved)) in report.failures.iter().zip(saved).enumerate() {
        s.push_str(&format!("\n── {}. {}\n", i + 1, f.key));
        if let Some(k) = &f.known {
            s.push_str(&format!(
                "  known kernel defect (catalogue scenario {}): {}\n",
                k.scenario, k.what
            ));
        }
        s.push_str(&format!(
            "  first found by case {} (after {} cases, {} executions); {} case(s) failed this \
             way\n",
            f.case, f.cases_until, f.executions_until, f.occurrences
        ));
        s.push_str(&format!(
            "  shrunk from size {} to {} (threads + operations + notifiers) in {} steps\n",
            f.original_size, f.minimal_size, f.shrink_steps
        ));
        s.push_str(&format!("  saved: {}\n\n", saved.file.display()));
        for line in f.minimal.render().lines() {
            s.push_str(&format!("    {line}\n"));
        }
        if let Some(v) = &f.outcome.violation {
            s.push_str(&format!("\n  violation: {v}\n"));
            s.push_str(&trace_text(&f.outcome.trace, v));
        }
        if let Some(r) = &saved.replay {
            s.push_str(&format!("\n  replay: {r}\n"));
        }
    }
    s
}
