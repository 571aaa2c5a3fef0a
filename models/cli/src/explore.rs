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

use crate::output::{print, print_json, Observed};
use crate::{current_exe, exit, pool};
use clap::ValueEnum;
use notifier_catalog::child::{check_plan, run_in_child};
use notifier_catalog::registry::default_spec;
use notifier_catalog::scenarios::catalog;
use notifier_core::KernelVersion;
use notifier_core::{KernelConfig, ReleaseUnlock, UnregisterUnlock};
use notifier_harness::{CheckerKind, KernelPlan, Placements, Target, Verdict};
use serde::Serialize;
use std::process::ExitCode;

/// The function whose `srcu_read_unlock` moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
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

/// One check of the exploration.
#[derive(Debug, Clone, Serialize)]
struct Check {
    function: Function,
    placement: &'static str,
    scenario: &'static str,
    kernel: KernelVersion,
    checker: CheckerKind,
    #[serde(skip)]
    placements: Placements,
}

/// One placement × scenario: the outcome of each checker.
#[derive(Debug, Serialize)]
struct Cell {
    scenario: &'static str,
    kernel: KernelVersion,
    /// `safe`, or the violations found and by which checkers.
    verdict: String,
    safe: bool,
    outcomes: Vec<CheckerOutcome>,
}

#[derive(Debug, Serialize)]
struct CheckerOutcome {
    checker: CheckerKind,
    #[serde(flatten)]
    result: Observed,
}

impl CheckerOutcome {
    /// Whether the check ran and found nothing.
    fn safe(&self) -> bool {
        matches!(&self.result, Observed::Outcome(o) if o.observed == Verdict::Safe)
    }

    /// What it found, in one short word: `uaf`, `deadlock`, `crashed`, ...
    fn found(&self) -> String {
        match &self.result {
            Observed::Outcome(o) => o
                .violation
                .as_ref()
                .map_or(o.observed.to_string(), |v| short(v.kind.as_str())),
            Observed::Crash(_) => "crashed".to_string(),
        }
    }

    /// One line: the outcome's summary, or the crash.
    fn summary(&self) -> String {
        match &self.result {
            Observed::Outcome(o) => o.summary(),
            Observed::Crash(c) => format!("crashed: {c}"),
        }
    }
}

/// One placement: its cells and whether it is safe.
#[derive(Debug, Serialize)]
struct Row {
    placement: &'static str,
    /// The kernel versions that use it.
    kernels: &'static str,
    cells: Vec<Cell>,
    safe: bool,
}

/// One function's table and conclusion.
#[derive(Debug, Serialize)]
struct Table {
    function: Function,
    kernel_function: &'static str,
    rows: Vec<Row>,
    /// Scenarios that fail under every placement (they do not decide).
    undecided: Vec<&'static str>,
    safe_placements: Vec<&'static str>,
    conclusion: String,
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

/// Runs the exploration; exit status 0 iff the kernels' placements are judged as history
/// judged them (every kernel placement of `mmu_notifier_unregister` safe; v3.17's placement in
/// `__mmu_notifier_release` safe, v3.16's not).
pub fn run(
    functions: &[Function],
    only: &[String],
    checkers: &[CheckerKind],
    jobs: Option<u16>,
    json: bool,
) -> Result<ExitCode, String> {
    let exe = current_exe()?;
    let scenarios = scenarios(only)?;
    let functions = if functions.is_empty() {
        vec![Function::Release, Function::Unregister]
    } else {
        functions.to_vec()
    };
    let checkers = if checkers.is_empty() {
        CheckerKind::ALL.to_vec()
    } else {
        checkers.to_vec()
    };
    let mut checks = Vec::new();
    for &function in &functions {
        for (name, _, placements) in function.placements() {
            for &(scenario, kernel) in &scenarios {
                for &checker in &checkers {
                    checks.push(Check {
                        function,
                        placement: name,
                        scenario,
                        kernel,
                        checker,
                        placements,
                    });
                }
            }
        }
    }
    let parallel = pool::parallelism(jobs);
    let start = std::time::Instant::now();
    let outcomes = pool::map(
        &checks,
        parallel,
        pool::show_bar(json),
        |c| format!("{} {} {}", c.placement, c.scenario, c.checker),
        |c| {
            let s = notifier_catalog::registry::scenario(c.scenario)
                .expect("the scenario was found in the catalogue");
            let spec = default_spec(&s, c.kernel, c.checker);
            let kernel = KernelPlan {
                version: c.kernel,
                placements: c.placements,
            };
            let plan = check_plan(Target::Catalogue(c.scenario.to_string()), kernel, &spec);
            match run_in_child(&exe, &plan, None) {
                Ok(mut o) => {
                    // A replay token does not carry the placement: it would replay another
                    // model.
                    o.replay = None;
                    Observed::Outcome(Box::new(o))
                }
                Err(crash) => Observed::Crash(crash),
            }
        },
    );
    let seconds = start.elapsed().as_secs_f64();
    let tables: Vec<Table> = functions
        .iter()
        .map(|&f| table(f, &scenarios, &checks, &outcomes))
        .collect();
    let ok = tables.iter().all(agrees_with_history);
    if json {
        print_json(&tables);
    } else {
        let mut s = String::new();
        for t in &tables {
            s.push_str(&human(t, &checkers));
        }
        s.push_str(&format!(
            "{} checks in {seconds:.1} s, {parallel} at a time, each in its own process; \
             budgets: each scenario's defaults (`notifier-check list`).\n",
            checks.len()
        ));
        print(&s);
    }
    Ok(exit(ok))
}

fn table(
    function: Function,
    scenarios: &[(&'static str, KernelVersion)],
    checks: &[Check],
    outcomes: &[Observed],
) -> Table {
    let mut rows: Vec<Row> = function
        .placements()
        .into_iter()
        .map(|(placement, kernels, _)| {
            let cells = scenarios
                .iter()
                .map(|&(scenario, kernel)| {
                    let outcomes: Vec<CheckerOutcome> = checks
                        .iter()
                        .zip(outcomes)
                        .filter(|(c, _)| {
                            c.function == function
                                && c.placement == placement
                                && c.scenario == scenario
                        })
                        .map(|(c, o)| CheckerOutcome {
                            checker: c.checker,
                            result: o.clone(),
                        })
                        .collect();
                    cell(scenario, kernel, outcomes)
                })
                .collect();
            Row {
                placement,
                kernels,
                cells,
                safe: false,
            }
        })
        .collect();
    let undecided: Vec<&'static str> = scenarios
        .iter()
        .enumerate()
        .filter(|(i, _)| rows.iter().all(|r| !r.cells[*i].safe))
        .map(|(_, (s, _))| *s)
        .collect();
    // With no deciding scenario every placement would be safe vacuously: call none safe.
    let decided = undecided.len() < scenarios.len();
    for r in &mut rows {
        r.safe = decided
            && r.cells
                .iter()
                .all(|c| c.safe || undecided.contains(&c.scenario));
    }
    let safe_placements: Vec<&'static str> = rows
        .iter()
        .filter(|r| r.safe)
        .map(|r| r.placement)
        .collect();
    let conclusion = conclusion(function, &rows, &undecided);
    Table {
        function,
        kernel_function: function.kernel_name(),
        rows,
        undecided,
        safe_placements,
        conclusion,
    }
}

fn cell(scenario: &'static str, kernel: KernelVersion, outcomes: Vec<CheckerOutcome>) -> Cell {
    // Kinds found, each with the checkers that found it, in checker order.
    let mut found: Vec<(String, Vec<&str>)> = Vec::new();
    for o in &outcomes {
        if o.safe() {
            continue;
        }
        let kind = o.found();
        let who = short_checker(o.checker);
        match found.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, w)) => w.push(who),
            None => found.push((kind, vec![who])),
        }
    }
    let verdict = if found.is_empty() {
        "safe".to_string()
    } else {
        found
            .iter()
            .map(|(k, w)| format!("{k}({})", w.join(",")))
            .collect::<Vec<_>>()
            .join(" ")
    };
    Cell {
        scenario,
        kernel,
        safe: found.is_empty(),
        verdict,
        outcomes,
    }
}

fn short(kind: &str) -> String {
    match kind {
        "use-after-free" => "uaf".to_string(),
        k => k.to_string(),
    }
}

fn short_checker(c: CheckerKind) -> &'static str {
    match c {
        CheckerKind::Loom => "L",
        CheckerKind::ShuttleRandom => "R",
        CheckerKind::ShuttlePct => "P",
    }
}

fn conclusion(function: Function, rows: &[Row], undecided: &[&str]) -> String {
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
    let name = |r: &Row| {
        if r.kernels.is_empty() {
            r.placement.to_string()
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
fn agrees_with_history(t: &Table) -> bool {
    let safe = |p: &str| t.rows.iter().any(|r| r.placement == p && r.safe);
    match t.function {
        Function::Release => {
            safe(KernelConfig::v3_17().release_unlock.name())
                && !safe(KernelConfig::v3_16().release_unlock.name())
        }
        Function::Unregister => safe(KernelConfig::v3_17().unregister_unlock.name()),
    }
}

fn human(t: &Table, checkers: &[CheckerKind]) -> String {
    let mut s = format!(
        "Placements of {}'s srcu_read_unlock × scenarios (L = loom, R = shuttle-random, \
         P = shuttle-pct; checkers run: {}):\n\n",
        t.kernel_function,
        checkers
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(", ")
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
                r.placement.to_string()
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
            if let Some(o) = c.outcomes.iter().find(|o| !o.safe()) {
                if !shown {
                    s.push('\n');
                    shown = true;
                }
                s.push_str(&format!(
                    "  {} × {} ({}): {}\n",
                    r.placement,
                    c.scenario,
                    o.checker,
                    o.summary()
                ));
            }
        }
    }
    s.push_str(&format!("\nConclusion: {}\n\n", t.conclusion));
    s
}
