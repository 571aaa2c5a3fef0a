//! `notifier-check explore-orderings`: every placement of `srcu_read_unlock` after the
//! `->release` call(s) of `__mmu_notifier_release` and of `mmu_notifier_unregister`, checked
//! against every notifier scenario with every checker, each check in its own child process.
//!
//! A notifier scenario is one whose catalogue entry builds its model from the plan's kernel
//! configuration (`Build::Config`), so that the placement can be moved in it; new scenarios of
//! that kind take part automatically. Each runs on v3.17 (or, if it is not
//! defined there, the newest version it is defined for) with the one placement changed, under
//! the scenario's default budgets.
//!
//! The conclusion: a scenario *decides* if some placement is safe on it under every checker
//! (a scenario that fails whatever the placement shows a driver's bug, not the core's); a
//! placement is safe if it is safe on every scenario that decides.

use crate::args::ExploreArgs;
use crate::output::{print, print_records};
use crate::pool::{self, Progress};
use crate::record::{Limits, Record, RunHeader, RunKind};
use crate::report::{Report, Subject};
use crate::results::{short_kind, text_matrix, title, Outputs, Results, LEGEND};
use crate::{current_exe, Failure};
use clap::ValueEnum;
use notifier_catalog::child::{check_plan, run_in_child};
use notifier_catalog::registry::default_spec;
use notifier_catalog::scenarios::catalog;
use notifier_core::KernelVersion;
use notifier_core::{KernelConfig, ReleaseUnlock, UnregisterUnlock};
use notifier_harness::{Bound, CheckerKind, KernelPlan, Placements, Target};
use serde::{Deserialize, Serialize};
use std::process::ExitCode;

/// The function whose `srcu_read_unlock` moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Function {
    /// `__mmu_notifier_release` (the 2014 patch moved its unlock).
    Release,
    /// `mmu_notifier_unregister`.
    Unregister,
}

impl Function {
    fn kernel_name(self) -> &'static str {
        match self {
            Function::Release => "__mmu_notifier_release",
            Function::Unregister => "mmu_notifier_unregister",
        }
    }

    /// Every placement: its name, which kernel versions use it, and the plan's placements.
    fn placements(self) -> Vec<(&'static str, &'static str, Placements)> {
        match self {
            Function::Release => ReleaseUnlock::ALL
                .into_iter()
                .map(|p| {
                    let kernels = if p == KernelConfig::v3_16().release_unlock {
                        "v3.16"
                    } else if p == KernelConfig::v3_17().release_unlock {
                        "v3.17"
                    } else {
                        ""
                    };
                    let placements = Placements {
                        release: Some(p),
                        unregister: None,
                    };
                    (p.name(), kernels, placements)
                })
                .collect(),
            Function::Unregister => UnregisterUnlock::ALL
                .into_iter()
                .map(|p| {
                    let kernels = if p == KernelConfig::v3_17().unregister_unlock {
                        "every version"
                    } else {
                        ""
                    };
                    let placements = Placements {
                        release: None,
                        unregister: Some(p),
                    };
                    (p.name(), kernels, placements)
                })
                .collect(),
        }
    }
}

/// The function whose placement `p` moves, and the placement's name.
fn placement_of(p: &Placements) -> Option<(Function, &'static str)> {
    match (p.release, p.unregister) {
        (Some(r), None) => Some((Function::Release, r.name())),
        (None, Some(u)) => Some((Function::Unregister, u.name())),
        _ => None,
    }
}

/// One check of the exploration.
#[derive(Debug, Clone)]
struct Check {
    scenario: &'static str,
    kernel: KernelVersion,
    checker: CheckerKind,
    placements: Placements,
}

impl Check {
    fn subject(&self) -> Subject {
        Subject {
            scenario: self.scenario.to_string(),
            target: Target::Catalogue(self.scenario.to_string()),
            kernel: self.kernel,
            placements: self.placements,
            srcu: None,
            runs_on: Some(self.kernel.config().srcu),
            checker: self.checker,
        }
    }
}

/// One placement × scenario: the checkers' verdicts (the `cells` of a `placements` record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// The scenario.
    pub scenario: String,
    /// The kernel it ran on.
    pub kernel: KernelVersion,
    /// `safe`, or the violations found and by which checkers (`uaf(L,P) deadlock(R)`).
    pub verdict: String,
    /// Whether every checker ran and found nothing.
    pub safe: bool,
    /// The ids of its checks (their `check` records).
    pub checks: Vec<String>,
}

/// One placement: its cells and whether it is safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementRow {
    /// The placement's name.
    pub placement: String,
    /// The kernel versions that use it (empty: none).
    pub kernels: String,
    /// One cell per scenario.
    pub cells: Vec<Cell>,
    /// Whether it is safe on every scenario that decides.
    pub safe: bool,
}

/// One function's table and conclusion: the `placements` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementTable {
    /// The function whose `srcu_read_unlock` moves.
    pub function: Function,
    /// Its kernel name.
    pub kernel_function: String,
    /// One row per placement, in statement order.
    pub rows: Vec<PlacementRow>,
    /// Scenarios that fail under every placement (they do not decide).
    pub undecided: Vec<String>,
    /// The placements safe on every deciding scenario.
    pub safe_placements: Vec<String>,
    /// The conclusion in one sentence.
    pub conclusion: String,
    /// Whether the kernels' own placements are judged as history judged them.
    pub agrees_with_history: bool,
}

/// The notifier scenarios (those whose model follows the plan's placements) and the kernel
/// each runs on, limited to `only` when it is not empty.
fn scenarios(only: &[String]) -> Result<Vec<(&'static str, KernelVersion)>, String> {
    for id in only {
        notifier_catalog::registry::in_catalog(id)?;
    }
    let mut out = Vec::new();
    for s in catalog() {
        if !only.is_empty() && !only.iter().any(|id| id == s.id) {
            continue;
        }
        let kernel = if s.kernels.contains(&KernelVersion::V3_17) {
            KernelVersion::V3_17
        } else if let Some(&k) = s.kernels.iter().max() {
            k
        } else {
            continue;
        };
        if s.follows_placements() {
            out.push((s.id, kernel));
        }
    }
    if out.is_empty() {
        return Err(
            "no notifier scenario to explore (none takes its kernel configuration \
                    from the version)"
                .to_string(),
        );
    }
    Ok(out)
}

/// Runs the exploration (or its partition). A whole run exits 0 iff the kernels' placements
/// are judged as history judged them (every kernel placement of `mmu_notifier_unregister`
/// safe; v3.17's placement in `__mmu_notifier_release` safe, v3.16's not), 1 if not, and 4
/// if a check crashed (the tables then have a hole and cannot judge); a partition cannot
/// judge, and exits 0, or 4 if a check crashed.
pub fn run(args: ExploreArgs) -> Result<ExitCode, Failure> {
    let run = &args.run;
    let partition = run.partition.from_env()?;
    let outputs = Outputs::checked(&run.output)?;
    let exe = current_exe()?;
    let scenarios = scenarios(&args.scenario)?;
    let functions = if args.function.is_empty() {
        vec![Function::Release, Function::Unregister]
    } else {
        args.function.clone()
    };
    let checkers = if args.checker.is_empty() {
        CheckerKind::ALL.to_vec()
    } else {
        args.checker.clone()
    };
    let mut all = Vec::new();
    for &function in &functions {
        for (_, _, placements) in function.placements() {
            for &(scenario, kernel) in &scenarios {
                for &checker in &checkers {
                    all.push(Check {
                        scenario,
                        kernel,
                        checker,
                        placements,
                    });
                }
            }
        }
    }
    let selection: Vec<String> = all.iter().map(|c| c.subject().id()).collect();
    let mine = match partition {
        Some(p) => p.select(all),
        None => all,
    };
    let parallel = pool::parallelism(run.jobs);
    let start = std::time::Instant::now();
    let checks = pool::map(
        &mine,
        parallel,
        Progress::detect(run.json, run.progress_interval),
        |c| {
            let (_, placement) = placement_of(&c.placements).unwrap_or((Function::Release, ""));
            format!("{placement} {} {}", c.scenario, c.checker)
        },
        |r: &Report| r.crashed(),
        |c| {
            let s = notifier_catalog::registry::scenario(c.scenario)
                .expect("the scenario was found in the catalogue");
            let spec = default_spec(&s, c.kernel, c.checker);
            let kernel = KernelPlan {
                version: c.kernel,
                placements: c.placements,
                srcu: None,
            };
            let plan = check_plan(Target::Catalogue(c.scenario.to_string()), kernel, &spec);
            let result = run_in_child(&exe, &plan, None);
            Report::new(c.subject(), None, Bound::of(&spec), result)
        },
    );
    let header = RunHeader {
        command: RunKind::ExploreOrderings,
        partition,
        selection,
        jobs: parallel,
        limits: Limits::harness(),
    };
    let seconds = start.elapsed().as_secs_f64();
    let status = finish(header, checks, 1, seconds, run.json, run.verbose, &outputs)?;
    Ok(ExitCode::from(status))
}

/// Prints an exploration's results (the tables when it is whole, or `json` records) and
/// writes its files; returns the exit status. Also the end of `merge` for explorations.
pub fn finish(
    header: RunHeader,
    checks: Vec<Report>,
    partitions: u64,
    seconds: f64,
    json: bool,
    verbose: bool,
    outputs: &Outputs,
) -> Result<u8, Failure> {
    let crashed = checks.iter().any(Report::crashed);
    let tables = if header.partition.is_none() {
        tables(&checks)
    } else {
        Vec::new()
    };
    let disagrees = tables.iter().any(|t| !t.agrees_with_history);
    // A crashed check leaves a hole in the tables: they cannot judge.
    let status = if crashed {
        crate::CRASHED
    } else {
        crate::status(disagrees, false)
    };
    let summary = crate::record::Summary::of(&checks, partitions, seconds, status);
    let results = Results {
        header,
        checks,
        summary,
    };
    let records = results.records(tables.iter().cloned().map(Record::Placements).collect());
    if json {
        print_records(records.iter().cloned())?;
    } else {
        let mut s = String::new();
        if tables.is_empty() {
            s.push_str(&text_matrix(&results.checks));
            s.push_str(&crate::results::wrap(LEGEND, 100));
            s.push_str(
                "\nThis is one partition: the placement tables need every check. Combine the \
                 partitions' --json outputs with `notifier-check merge`.\n",
            );
        }
        for t in &tables {
            s.push_str(&human(t, &results.checks));
        }
        s.push_str(&results.details(verbose));
        s.push('\n');
        s.push_str(&results.summary_line());
        s.push_str("; budgets: each scenario's defaults (`notifier-check list`)\n");
        print(&s)?;
    }
    let mut notes: Vec<String> = tables.iter().map(|t| t.conclusion.clone()).collect();
    notes.push(results.run_line());
    outputs.write(
        &records,
        &results.checks,
        title(RunKind::ExploreOrderings),
        &notes,
    )?;
    Ok(status)
}

/// The tables of every function the checks explore, in the order the checks do.
fn tables(checks: &[Report]) -> Vec<PlacementTable> {
    let mut functions: Vec<Function> = Vec::new();
    for r in checks {
        if let Some((f, _)) = placement_of(&r.placements) {
            if !functions.contains(&f) {
                functions.push(f);
            }
        }
    }
    functions.into_iter().map(|f| table(f, checks)).collect()
}

fn table(function: Function, checks: &[Report]) -> PlacementTable {
    let of_function: Vec<&Report> = checks
        .iter()
        .filter(|r| placement_of(&r.placements).is_some_and(|(f, _)| f == function))
        .collect();
    let mut scenarios: Vec<(&str, KernelVersion)> = Vec::new();
    for r in &of_function {
        if !scenarios.iter().any(|(s, _)| *s == r.scenario) {
            scenarios.push((&r.scenario, r.kernel));
        }
    }
    let mut rows: Vec<PlacementRow> = function
        .placements()
        .into_iter()
        .filter(|(name, _, _)| {
            of_function
                .iter()
                .any(|r| placement_of(&r.placements).is_some_and(|(_, p)| p == *name))
        })
        .map(|(placement, kernels, _)| {
            let cells = scenarios
                .iter()
                .map(|&(scenario, kernel)| {
                    let outcomes: Vec<&Report> = of_function
                        .iter()
                        .copied()
                        .filter(|r| {
                            r.scenario == scenario
                                && placement_of(&r.placements).is_some_and(|(_, p)| p == placement)
                        })
                        .collect();
                    cell(scenario, kernel, &outcomes)
                })
                .collect();
            PlacementRow {
                placement: placement.to_string(),
                kernels: kernels.to_string(),
                cells,
                safe: false,
            }
        })
        .collect();
    let undecided: Vec<String> = scenarios
        .iter()
        .enumerate()
        .filter(|(i, _)| rows.iter().all(|r| !r.cells[*i].safe))
        .map(|(_, (s, _))| s.to_string())
        .collect();
    // With no deciding scenario every placement would be safe vacuously: call none safe.
    let decided = undecided.len() < scenarios.len();
    for r in &mut rows {
        r.safe = decided
            && r.cells
                .iter()
                .all(|c| c.safe || undecided.contains(&c.scenario));
    }
    let safe_placements: Vec<String> = rows
        .iter()
        .filter(|r| r.safe)
        .map(|r| r.placement.clone())
        .collect();
    let conclusion = conclusion(function, &rows, &undecided);
    let mut t = PlacementTable {
        function,
        kernel_function: function.kernel_name().to_string(),
        rows,
        undecided,
        safe_placements,
        conclusion,
        agrees_with_history: false,
    };
    t.agrees_with_history = agrees_with_history(&t);
    t
}

/// Whether a check ran and found nothing.
fn safe(r: &Report) -> bool {
    r.observed.verdict == crate::report::ObservedVerdict::Safe
}

/// What a check found, in one short word: `uaf`, `deadlock`, `crashed`, ...
fn found(r: &Report) -> String {
    match r.violation() {
        Some(v) => short_kind(v.kind).to_string(),
        None => r.observed.verdict.to_string(),
    }
}

fn cell(scenario: &str, kernel: KernelVersion, outcomes: &[&Report]) -> Cell {
    // Kinds found, each with the checkers that found it, in checker order.
    let mut kinds: Vec<(String, Vec<&str>)> = Vec::new();
    for o in outcomes.iter().filter(|o| !safe(o)) {
        let kind = found(o);
        let who = short_checker(o.checker);
        match kinds.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, w)) => w.push(who),
            None => kinds.push((kind, vec![who])),
        }
    }
    let verdict = if kinds.is_empty() {
        "safe".to_string()
    } else {
        kinds
            .iter()
            .map(|(k, w)| format!("{k}({})", w.join(",")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Cell {
        scenario: scenario.to_string(),
        kernel,
        // A placement × scenario no checker ran is not safe.
        safe: kinds.is_empty() && !outcomes.is_empty(),
        verdict,
        checks: outcomes.iter().map(|o| o.id.clone()).collect(),
    }
}

fn short_checker(c: CheckerKind) -> &'static str {
    match c {
        CheckerKind::Loom => "L",
        CheckerKind::ShuttleRandom => "R",
        CheckerKind::ShuttlePct => "P",
    }
}

fn conclusion(function: Function, rows: &[PlacementRow], undecided: &[String]) -> String {
    if rows
        .first()
        .is_some_and(|r| r.cells.iter().all(|c| undecided.contains(&c.scenario)))
    {
        return format!(
            "{}'s srcu_read_unlock: no scenario run here tells the placements apart (each \
             fails under every placement).",
            function.kernel_name()
        );
    }
    let name = |r: &PlacementRow| {
        if r.kernels.is_empty() {
            r.placement.clone()
        } else {
            format!("{} ({})", r.placement, r.kernels)
        }
    };
    let safe: Vec<String> = rows.iter().filter(|r| r.safe).map(name).collect();
    let unsafe_: Vec<String> = rows
        .iter()
        .filter(|r| !r.safe)
        .map(|r| {
            let why: Vec<String> = r
                .cells
                .iter()
                .filter(|c| !c.safe && !undecided.contains(&c.scenario))
                .map(|c| format!("{} in {}", c.verdict, c.scenario))
                .collect();
            format!("{} [{}]", name(r), why.join(", "))
        })
        .collect();
    format!(
        "{}'s srcu_read_unlock: safe {}; unsafe {}.",
        function.kernel_name(),
        if safe.is_empty() {
            "nowhere".to_string()
        } else {
            safe.join(", ")
        },
        if unsafe_.is_empty() {
            "nowhere".to_string()
        } else {
            unsafe_.join("; ")
        }
    )
}

/// Whether the kernels' own placements are judged as history judged them.
fn agrees_with_history(t: &PlacementTable) -> bool {
    let safe = |p: &str| t.rows.iter().any(|r| r.placement == p && r.safe);
    match t.function {
        Function::Release => {
            safe(KernelConfig::v3_17().release_unlock.name())
                && !safe(KernelConfig::v3_16().release_unlock.name())
        }
        Function::Unregister => safe(KernelConfig::v3_17().unregister_unlock.name()),
    }
}

fn human(t: &PlacementTable, checks: &[Report]) -> String {
    let checkers: Vec<&str> = CheckerKind::ALL
        .into_iter()
        .filter(|c| checks.iter().any(|r| r.checker == *c))
        .map(CheckerKind::as_str)
        .collect();
    let mut s = format!(
        "Placements of {}'s srcu_read_unlock × scenarios (L = loom, R = shuttle-random, \
         P = shuttle-pct; checkers run: {}):\n\n",
        t.kernel_function,
        checkers.join(", ")
    );
    let Some(first) = t.rows.first() else {
        return s;
    };
    let mut header: Vec<String> = vec!["placement".to_string()];
    header.extend(
        first
            .cells
            .iter()
            .map(|c| format!("{} ({})", c.scenario, c.kernel)),
    );
    header.push("safe".to_string());
    let rows: Vec<Vec<String>> = t
        .rows
        .iter()
        .map(|r| {
            let mut row = vec![if r.kernels.is_empty() {
                r.placement.clone()
            } else {
                format!("{} [{}]", r.placement, r.kernels)
            }];
            row.extend(r.cells.iter().map(|c| c.verdict.clone()));
            row.push(if r.safe { "yes" } else { "no" }.to_string());
            row
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (c, w) in cells.iter().zip(&widths) {
            l.push_str(&format!("{c:<w$}  "));
        }
        format!("{}\n", l.trim_end())
    };
    s.push_str(&line(&header));
    for row in &rows {
        s.push_str(&line(row));
    }
    if !t.undecided.is_empty() {
        s.push_str(&format!(
            "\nFail under every placement (a driver's bug, not the placement's; they do not \
             decide): {}.\n",
            t.undecided.join(", ")
        ));
    }
    // The first violation of each unsafe placement on a deciding scenario, in one line.
    let mut shown = false;
    for r in t.rows.iter().filter(|r| !r.safe) {
        for c in r
            .cells
            .iter()
            .filter(|c| !c.safe && !t.undecided.contains(&c.scenario))
        {
            let first = c
                .checks
                .iter()
                .filter_map(|id| checks.iter().find(|r| r.id == *id))
                .find(|o| !safe(o));
            if let Some(o) = first {
                if !shown {
                    s.push('\n');
                    shown = true;
                }
                s.push_str(&format!(
                    "  {} × {} ({}): {}\n",
                    r.placement,
                    c.scenario,
                    o.checker,
                    summary(o)
                ));
            }
        }
    }
    s.push_str(&format!("\nConclusion: {}\n\n", t.conclusion));
    s
}

/// One line: verdict, executions, bound, time and the violation, or the crash.
fn summary(r: &Report) -> String {
    let o = &r.observed;
    if let Some(c) = &o.crash {
        return format!("crashed: {c}");
    }
    let mut line = format!(
        "{} after {} executions ({}, {:.2} s)",
        o.verdict, o.executions, o.bound, o.seconds
    );
    if let Some(v) = &o.violation {
        line.push_str(&format!(" {v}"));
    }
    line
}
