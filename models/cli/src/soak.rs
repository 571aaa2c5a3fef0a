//! `soak`: the evidence that verdicts can be trusted, as two tables.
//!
//! - **False alarms** (default): every scenario × kernel that a shuttle checker is expected to
//!   find safe (blind checks excluded: a checker that cannot see a bug is not expected to be
//!   quiet by proof) is run with many seeds, each seed its own shuttle run of a few executions
//!   (`--iterations`, default 2: PCT spends the first execution of a run calibrating its step
//!   count with an oldest-task-first schedule, so a run needs two executions to contain one PCT
//!   schedule). Every violation is a false alarm, printed with its replay command.
//! - **Seeded bugs** (`--seeded`): every scenario × kernel × checker expected to fail (and not
//!   blind) is checked with its campaign budget; loom once (in a child process: a loom
//!   failure may abort its process), shuttle once per seed. A row says how many runs found the
//!   expected violation and how many executions it took.
//!
//! `--json` prints, and `--out FILE` writes, one `soak` record ([`SoakRecord`]), from which
//! `notifier-check docs --soak FILE` makes the evidence tables of `docs/evidence.md`.
//!
//! Both are deterministic (fixed seeds, loom's deterministic exploration) and partitionable:
//! `--seeds FROM..TO` and the scenario, kernel and checker filters split the work between
//! machines or processes, and the tables of the parts add up. Each combination runs in a child
//! process of its own (`soak --in-process` for one combination), so that shuttle's reports of
//! the failures it finds stay out of the output.

use crate::bench::{load_average, machine, Machine};
use crate::files::OutputFile;
use crate::output::print;
use crate::record::Record;
use crate::report::Expected;
use crate::{current_exe, pool, Failure, MISMATCH, SUCCESS};
use notifier_catalog::child::check_in_child;
use notifier_catalog::expectation::Expectation;
use notifier_catalog::registry::{self, default_spec};
use notifier_catalog::ReplayToken;
use notifier_core::KernelVersion;
use notifier_harness::runner::{Crash, RunOptions};
use notifier_harness::{Bound, CheckSpec, CheckerKind, KernelPlan, Outcome, Run, Target, Verdict};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// What to soak.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Seeded bugs instead of false alarms.
    pub seeded: bool,
    /// The shuttle seeds.
    pub seeds: Range<u64>,
    /// shuttle executions per seed (false alarms).
    pub iterations: usize,
    /// Only these scenarios (all when empty).
    pub scenarios: Vec<String>,
    /// Only these kernels (all when empty).
    pub kernels: Vec<KernelVersion>,
    /// Only these checkers (all when empty).
    pub checkers: Vec<CheckerKind>,
    /// Run in this process (one combination, from the parent's child process).
    pub in_process: bool,
}

/// The default seeds: 10,000 for false alarms, 100 for seeded bugs.
pub fn default_seeds(seeded: bool) -> Range<u64> {
    if seeded {
        1..101
    } else {
        1..10_001
    }
}

/// Parses `FROM..TO` (TO excluded), a non-empty range of seeds.
pub fn parse_seeds(s: &str) -> Result<Range<u64>, String> {
    let bad = || format!("--seeds '{s}': expected FROM..TO, e.g. 1..10001 (TO excluded)");
    let (a, b) = s.split_once("..").ok_or_else(bad)?;
    let (a, b): (u64, u64) = (
        a.trim().parse().map_err(|_| bad())?,
        b.trim().parse().map_err(|_| bad())?,
    );
    if a >= b {
        return Err(format!("--seeds '{s}' is empty (FROM must be below TO)"));
    }
    Ok(a..b)
}

/// One scenario × kernel × checker to soak.
#[derive(Debug, Clone)]
struct Combo {
    scenario: &'static str,
    kernel: KernelVersion,
    checker: CheckerKind,
    spec: CheckSpec,
    expect: Expectation,
}

/// A combination the checker is blind to, with the reason.
type Blind = (Combo, &'static str);

/// Every combination the plan selects: the safe ones (false alarms) or the must-fail ones
/// (seeded bugs); blind ones are returned apart, with their reasons.
fn combos(plan: &Plan) -> Result<(Vec<Combo>, Vec<Blind>), String> {
    let mut chosen = Vec::new();
    let mut blind = Vec::new();
    let pairs = registry::selected(&plan.scenarios, &plan.kernels)?;
    for (s, kernel) in pairs
        .iter()
        .flat_map(|(s, ks)| ks.iter().map(move |&k| (s, k)))
    {
        for checker in CheckerKind::ALL {
            let shuttle = checker != CheckerKind::Loom;
            let wanted = plan.checkers.is_empty() || plan.checkers.contains(&checker);
            if !wanted || (!plan.seeded && !shuttle) {
                continue;
            }
            let expect = (s.expect)(kernel, checker);
            let combo = Combo {
                scenario: s.id,
                kernel,
                checker,
                spec: default_spec(s, kernel, checker),
                expect: expect.clone(),
            };
            match (expect.blind, expect.verdict == Verdict::Safe, plan.seeded) {
                (Some(reason), _, _) => blind.push((combo, reason)),
                (None, true, false) | (None, false, true) => chosen.push(combo),
                _ => {}
            }
        }
    }
    Ok((chosen, blind))
}

/// Which evidence a soak run gathers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Evidence {
    /// Many shuttle seeds on every scenario expected safe: every violation is a false alarm.
    FalseAlarms,
    /// Every must-fail combination with every checker that can see it (`--seeded`).
    SeededBugs,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Evidence::FalseAlarms => "false-alarms",
            Evidence::SeededBugs => "seeded-bugs",
        })
    }
}

/// A whole soak run: the `soak` record of the JSON output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SoakRecord {
    /// What was soaked.
    pub evidence: Evidence,
    /// The shuttle seeds (`end` excluded).
    pub seeds: Range<u64>,
    /// False alarms: shuttle executions per seed (`null` for seeded bugs, which run each
    /// check's campaign budget).
    pub iterations: Option<usize>,
    /// Combinations run at the same time.
    pub jobs: usize,
    /// The machine it ran on.
    pub machine: Machine,
    /// The false-alarm rows (empty for seeded bugs).
    pub false_alarms: Vec<QuietRow>,
    /// The seeded-bug rows (empty for false alarms).
    pub seeded: Vec<SeededRow>,
    /// The combinations not run because their checker is blind to the bug.
    pub blind: Vec<BlindRow>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// One row of the false-alarm table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuietRow {
    /// The scenario.
    pub scenario: String,
    /// The kernel.
    pub kernel: KernelVersion,
    /// The shuttle checker.
    pub checker: CheckerKind,
    /// The seeds run, `FROM..TO`.
    pub seeds: String,
    /// Executions per seed.
    pub iterations: usize,
    /// PCT's depth (0 for shuttle-random).
    pub pct_depth: usize,
    /// Executions run over all seeds.
    pub executions: u64,
    /// Seeds whose run reported a violation (each a false alarm).
    pub violations: u64,
    /// The first false alarm: its seed, violation and replay command.
    pub first: Option<String>,
    /// Wall-clock seconds of the row.
    pub seconds: f64,
}

/// One row of the seeded-bug table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeededRow {
    /// The scenario.
    pub scenario: String,
    /// The kernel.
    pub kernel: KernelVersion,
    /// The checker.
    pub checker: CheckerKind,
    /// The expectation, in words.
    pub expected: String,
    /// Runs (1 for loom, one per seed for shuttle).
    pub runs: u64,
    /// Runs that found the expected violation (its kind and place).
    pub found: u64,
    /// Runs that failed otherwise (another kind or place): each is a finding.
    pub other: u64,
    /// Executions to the first failure over the finding runs: median, p90, max.
    pub executions: Option<[u64; 3]>,
    /// The bound of one run.
    pub bound: String,
    /// Wall-clock seconds of the row.
    pub seconds: f64,
}

/// A blind combination, listed but not run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlindRow {
    /// The scenario.
    pub scenario: String,
    /// The kernel.
    pub kernel: KernelVersion,
    /// The checker.
    pub checker: CheckerKind,
    /// Why the checker cannot see the bug.
    pub reason: String,
}

/// Runs the plan; exit status 0 iff the evidence holds (no false alarm; every seeded bug found
/// by some run, and every failure the expected one).
pub fn run(
    plan: &Plan,
    jobs: Option<u16>,
    json: bool,
    out: Option<&Path>,
    force: bool,
) -> Result<ExitCode, Failure> {
    // Refused before the soak runs: a missing folder or an existing file.
    let out = OutputFile::optional("--out", out, force)?;
    let (chosen, blind) = combos(plan)?;
    if chosen.is_empty() {
        return Err("no scenario, kernel and checker matches the filters".into());
    }
    let parallel = pool::parallelism(jobs);
    let blind: Vec<BlindRow> = blind
        .into_iter()
        .map(|(c, reason)| BlindRow {
            scenario: c.scenario.to_string(),
            kernel: c.kernel,
            checker: c.checker,
            reason: reason.to_string(),
        })
        .collect();
    let mut record = SoakRecord {
        evidence: if plan.seeded {
            Evidence::SeededBugs
        } else {
            Evidence::FalseAlarms
        },
        seeds: plan.seeds.clone(),
        iterations: (!plan.seeded).then_some(plan.iterations),
        jobs: if plan.in_process { 1 } else { parallel },
        machine: machine(),
        false_alarms: Vec::new(),
        seeded: Vec::new(),
        blind,
        seconds: 0.0,
    };
    let start = Instant::now();
    let exe = current_exe()?;
    let label = |c: &Combo| format!("{} {} {}", c.scenario, c.kernel, c.checker);
    let progress = pool::Progress::detect(json, pool::DEFAULT_INTERVAL_SECONDS);
    if plan.seeded {
        let rows: Vec<SeededRow> = if plan.in_process {
            chosen
                .iter()
                .map(|c| seeded(&exe, c, plan.seeds.clone()))
                .collect()
        } else {
            let failed = |r: &Result<Vec<SeededRow>, String>| {
                r.as_ref().map_or(true, |rows| {
                    rows.iter().any(|r| r.found == 0 || r.other > 0)
                })
            };
            pool::map(&chosen, parallel, progress, label, failed, |c| {
                in_child(&exe, plan, c)
            })
            .into_iter()
            .collect::<Result<Vec<Vec<SeededRow>>, String>>()?
            .concat()
        };
        let ok = rows.iter().all(|r| r.found > 0 && r.other == 0);
        record.seeded = rows;
        finish(record, start, json, out.as_ref())?;
        Ok(exit(ok))
    } else {
        let rows: Vec<QuietRow> = if plan.in_process {
            chosen
                .iter()
                .map(|c| quiet(c, plan.seeds.clone(), plan.iterations))
                .collect()
        } else {
            let failed = |r: &Result<Vec<QuietRow>, String>| {
                r.as_ref()
                    .map_or(true, |rows| rows.iter().any(|r| r.violations > 0))
            };
            pool::map(&chosen, parallel, progress, label, failed, |c| {
                in_child(&exe, plan, c)
            })
            .into_iter()
            .collect::<Result<Vec<Vec<QuietRow>>, String>>()?
            .concat()
        };
        let ok = rows.iter().all(|r| r.violations == 0);
        record.false_alarms = rows;
        finish(record, start, json, out.as_ref())?;
        Ok(exit(ok))
    }
}

/// Completes `record` (its time, the load average at its end), writes it to `out`, and
/// prints it: as JSON, or as the table of its evidence.
fn finish(
    mut record: SoakRecord,
    start: Instant,
    json: bool,
    out: Option<&OutputFile>,
) -> Result<(), Failure> {
    record.seconds = start.elapsed().as_secs_f64();
    record.machine.load_average_end = Some(load_average());
    let text = match (json, record.evidence) {
        (true, _) => String::new(),
        (false, Evidence::SeededBugs) => {
            seeded_table(&record.seeded, &record.blind, record.seconds)
        }
        (false, Evidence::FalseAlarms) => {
            quiet_table(&record.false_alarms, &record.blind, record.seconds)
        }
    };
    let line = Record::Soak(Box::new(record)).line();
    if let Some(file) = out {
        file.write(&line)?;
    }
    print(if json { &line } else { &text })
}

/// Runs combination `c` of `plan` in a child process (`soak --in-process`), and reads back
/// its rows.
fn in_child<R: for<'de> Deserialize<'de>>(
    exe: &Path,
    plan: &Plan,
    c: &Combo,
) -> Result<Vec<R>, String> {
    let mut cmd = Command::new(exe);
    cmd.arg("soak")
        .arg("--in-process")
        .arg("--json")
        .args([
            "--seeds",
            &format!("{}..{}", plan.seeds.start, plan.seeds.end),
        ])
        .args(["--scenario", c.scenario])
        .args(["--kernel", c.kernel.as_str()])
        .args(["--checker", c.checker.as_str()]);
    if plan.seeded {
        cmd.arg("--seeded");
    } else {
        cmd.args(["--iterations", &plan.iterations.to_string()]);
    }
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let key = if plan.seeded {
        "seeded"
    } else {
        "false_alarms"
    };
    // The child prints one `soak` record; its rows are read by key.
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "soak of {} {} {}: the child ({}) printed no result: {e}",
            c.scenario, c.kernel, c.checker, out.status
        )
    })?;
    serde_json::from_value(value[key].clone()).map_err(|e| e.to_string())
}

/// 0 if the evidence holds, else 1.
fn exit(ok: bool) -> ExitCode {
    ExitCode::from(if ok { SUCCESS } else { MISMATCH })
}

/// A safe combination, one shuttle run of `iterations` executions per seed, in this process.
fn quiet(c: &Combo, seeds: Range<u64>, iterations: usize) -> QuietRow {
    let start = Instant::now();
    let mut executions = 0;
    let mut violations = 0;
    let mut first = None;
    for seed in seeds.clone() {
        let spec = CheckSpec {
            seed,
            iterations,
            ..c.spec.clone()
        };
        let o = check(c, spec);
        executions += o.executions;
        if o.observed != Verdict::Safe {
            violations += 1;
            first.get_or_insert_with(|| describe_failure(c, seed, &o));
        }
    }
    QuietRow {
        scenario: c.scenario.to_string(),
        kernel: c.kernel,
        checker: c.checker,
        seeds: format!("{}..{}", seeds.start, seeds.end),
        iterations,
        pct_depth: if c.checker == CheckerKind::ShuttlePct {
            c.spec.pct_depth
        } else {
            0
        },
        executions,
        violations,
        first,
        seconds: start.elapsed().as_secs_f64(),
    }
}

fn describe_failure(c: &Combo, seed: u64, o: &Outcome) -> String {
    let what = o
        .violation
        .as_ref()
        .map_or_else(|| o.observed.to_string(), ToString::to_string);
    match &o.replay {
        Some(r) => {
            let target = Target::Catalogue(c.scenario.to_string());
            let token = ReplayToken::new(&target, c.kernel, r.clone());
            format!("seed {seed}: {what}; replay: {}", token.command(&target))
        }
        None => format!("seed {seed}: {what}"),
    }
}

/// Checks combination `c` with `spec` in this process.
fn check(c: &Combo, spec: CheckSpec) -> Outcome {
    let target = Target::Catalogue(c.scenario.to_string());
    match registry::model(&target, &KernelPlan::version(c.kernel)) {
        Ok(model) => model.run(&Run::Check(spec), &RunOptions::default()),
        Err(e) => unreachable!("a catalogue combination: {e}"),
    }
}

/// A must-fail combination: loom once in a child, shuttle once per seed in this process.
fn seeded(exe: &Path, c: &Combo, seeds: Range<u64>) -> SeededRow {
    let start = Instant::now();
    let outcomes: Vec<Result<Outcome, Crash>> = if c.checker == CheckerKind::Loom {
        vec![check_in_child(exe, c.scenario, c.kernel, &c.spec)]
    } else {
        seeds
            .map(|seed| {
                let spec = CheckSpec {
                    seed,
                    ..c.spec.clone()
                };
                Ok(check(c, spec))
            })
            .collect()
    };
    let found: Vec<u64> = outcomes
        .iter()
        .flatten()
        .filter(|o| o.observed != Verdict::Safe && c.expect.matches(o))
        .map(|o| o.executions)
        .collect();
    // A crashed check (its process died without a verdict) counts as another failure.
    let other = outcomes
        .iter()
        .filter(|r| {
            r.as_ref().map_or(true, |o| {
                o.observed != Verdict::Safe && !c.expect.matches(o)
            })
        })
        .count();
    SeededRow {
        scenario: c.scenario.to_string(),
        kernel: c.kernel,
        checker: c.checker,
        expected: Expected::from(&c.expect).to_string(),
        runs: outcomes.len() as u64,
        found: found.len() as u64,
        other: other as u64,
        executions: quantiles(found),
        bound: match c.checker {
            CheckerKind::Loom => Bound::of(&c.spec).to_string(),
            CheckerKind::ShuttleRandom => format!("{} iterations", c.spec.iterations),
            CheckerKind::ShuttlePct => format!(
                "{} iterations, PCT depth {}",
                c.spec.iterations, c.spec.pct_depth
            ),
        },
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// Median, 90th percentile and maximum (nearest rank), if any.
fn quantiles(mut v: Vec<u64>) -> Option<[u64; 3]> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let rank = |p: usize| v[(v.len() * p).div_ceil(100).max(1) - 1];
    Some([rank(50), rank(90), v[v.len() - 1]])
}

fn quiet_table(rows: &[QuietRow], blind: &[BlindRow], seconds: f64) -> String {
    let mut s =
        String::from("False alarms: shuttle on every scenario expected safe, one run per seed\n\n");
    s.push_str(&format!(
        "{:<22} {:<6} {:<15} {:>13} {:>10} {:>12} {:>10} {:>9}\n",
        "scenario",
        "kernel",
        "checker",
        "seeds",
        "exec/seed",
        "executions",
        "violations",
        "seconds"
    ));
    for r in rows {
        let checker = if r.pct_depth > 0 {
            format!("{} d{}", r.checker, r.pct_depth)
        } else {
            r.checker.to_string()
        };
        s.push_str(&format!(
            "{:<22} {:<6} {:<15} {:>13} {:>10} {:>12} {:>10} {:>9.1}\n",
            r.scenario,
            r.kernel.to_string(),
            checker,
            r.seeds,
            r.iterations,
            r.executions,
            r.violations,
            r.seconds
        ));
    }
    for r in rows.iter().filter(|r| r.violations > 0) {
        if let Some(f) = &r.first {
            s.push_str(&format!(
                "\nFALSE ALARM {} {} {}: {f}\n",
                r.scenario, r.kernel, r.checker
            ));
        }
    }
    let executions: u64 = rows.iter().map(|r| r.executions).sum();
    let violations: u64 = rows.iter().map(|r| r.violations).sum();
    s.push_str(&format!(
        "\n{} combinations, {executions} executions, {violations} violations, {seconds:.1} s \
         wall clock.\n",
        rows.len()
    ));
    s.push_str(&blind_lines(blind));
    s
}

fn seeded_table(rows: &[SeededRow], blind: &[BlindRow], seconds: f64) -> String {
    let mut s = String::from(
        "Seeded bugs: every must-fail scenario with every checker that can see it\n\n",
    );
    s.push_str(&format!(
        "{:<22} {:<6} {:<15} {:>9} {:>22} {:<38} {}\n",
        "scenario", "kernel", "checker", "found", "executions to failure", "bound", "expected"
    ));
    for r in rows {
        let found = format!("{}/{}", r.found, r.runs);
        let execs = match r.executions {
            Some([m, p, x]) if r.runs > 1 => format!("{m} / {p} / {x}"),
            Some([m, _, _]) => m.to_string(),
            None => "-".to_string(),
        };
        s.push_str(&format!(
            "{:<22} {:<6} {:<15} {:>9} {:>22} {:<38} {}\n",
            r.scenario,
            r.kernel.to_string(),
            r.checker.to_string(),
            found,
            execs,
            r.bound,
            r.expected
        ));
    }
    s.push_str(
        "\nexecutions to failure: loom's count; for shuttle median / p90 / max over the seeds \
         that found it (each seed one run of the campaign budget).\n",
    );
    for r in rows.iter().filter(|r| r.other > 0 || r.found == 0) {
        s.push_str(&format!(
            "NOT AS EXPECTED {} {} {}: found by {} of {} runs, {} other failures\n",
            r.scenario, r.kernel, r.checker, r.found, r.runs, r.other
        ));
    }
    s.push_str(&format!(
        "{} combinations, {seconds:.1} s wall clock.\n",
        rows.len()
    ));
    s.push_str(&blind_lines(blind));
    s
}

fn blind_lines(blind: &[BlindRow]) -> String {
    if blind.is_empty() {
        return String::new();
    }
    let mut s = String::from("\nNot run (the checker is blind to the bug, see `list`):\n");
    for b in blind {
        s.push_str(&format!(
            "  {} {} {}: {}\n",
            b.scenario, b.kernel, b.checker, b.reason
        ));
    }
    s
}
