//! The default campaign: every scenario on each of its kernels with every checker, each check in
//! its own child process, then the verdict table.

use crate::args::ReportArgs;
use crate::output::{print, print_json, Report};
use crate::{current_exe, exit, html, pool};
use notifier_catalog::child::check_in_child;
use notifier_catalog::registry::{default_spec, srcu};
use notifier_catalog::scenarios::catalog;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::runner::{LOOM_MAX_BRANCHES, SHUTTLE_MAX_STEPS};
use notifier_harness::{CheckSpec, CheckerKind, Expectation, Target};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// One check to run.
struct Job {
    scenario: &'static str,
    kernel: KernelVersion,
    srcu: Option<SrcuImpl>,
    spec: CheckSpec,
    expect: Expectation,
}

/// Every check of the scenarios named in `only` (every scenario when it is empty).
fn jobs(only: &[String]) -> Result<Vec<Job>, String> {
    for id in only {
        notifier_catalog::registry::in_catalog(id)?;
    }
    let mut jobs = Vec::new();
    for s in catalog()
        .into_iter()
        .filter(|s| only.is_empty() || only.iter().any(|id| id == s.id))
    {
        for &kernel in s.kernels {
            for checker in CheckerKind::ALL {
                jobs.push(Job {
                    scenario: s.id,
                    kernel,
                    srcu: srcu(&s, kernel),
                    spec: default_spec(&s, kernel, checker),
                    expect: (s.expect)(kernel, checker),
                });
            }
        }
    }
    Ok(jobs)
}

/// Runs the campaign over the scenarios in `only` (all when empty), `parallel` checks at a
/// time; exit status 0 iff every check observed what its scenario expects.
pub fn run(
    only: &[String],
    parallel: Option<u16>,
    json: bool,
    report: &ReportArgs,
) -> Result<ExitCode, String> {
    let exe = current_exe()?;
    let jobs = jobs(only)?;
    if let Some(path) = &report.report {
        html::check_target(path, report.force)?;
    }
    let parallel = pool::parallelism(parallel);
    let start = Instant::now();
    let reports = run_all(&exe, &jobs, parallel, pool::show_bar(json));
    let seconds = start.elapsed().as_secs_f64();
    let all_match = reports.iter().all(|r| r.matches);
    let budgets = budgets(&jobs, parallel);
    if json {
        print_json(&reports);
    } else {
        print(&human(&reports, &budgets, seconds));
    }
    if let Some(path) = &report.report {
        let notes = [
            budgets,
            format!("{} checks in {seconds:.1} s.", reports.len()),
        ];
        html::write(
            path,
            report.force,
            "notifier-check: the verification campaign",
            &notes,
            &reports,
        )?;
    }
    Ok(exit(all_match))
}

/// The budgets of the campaign in one paragraph: what "bound" means in the table, and the
/// range of each checker's budget.
fn budgets(jobs: &[Job], parallel: usize) -> String {
    let loom: Vec<&CheckSpec> = jobs
        .iter()
        .map(|j| &j.spec)
        .filter(|s| s.checker == CheckerKind::Loom)
        .collect();
    let exhaustive = loom.iter().filter(|s| s.preemption_bound.is_none()).count();
    let bounds: Vec<usize> = loom.iter().filter_map(|s| s.preemption_bound).collect();
    let shuttle: Vec<&CheckSpec> = jobs
        .iter()
        .map(|j| &j.spec)
        .filter(|s| s.checker != CheckerKind::Loom)
        .collect();
    let range = |v: &[usize]| match (v.iter().min(), v.iter().max()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => "none".to_string(),
    };
    let iterations: Vec<usize> = shuttle.iter().map(|s| s.iterations).collect();
    let depths: Vec<usize> = shuttle
        .iter()
        .filter(|s| s.checker == CheckerKind::ShuttlePct)
        .map(|s| s.pct_depth)
        .collect();
    let bounded = if bounds.is_empty() {
        String::new()
    } else {
        format!(" (bound {})", range(&bounds))
    };
    format!(
        "Budgets: each scenario's defaults (`notifier-check list` shows them). loom: {} \
         checks, {exhaustive} unbounded (exhaustive), {} preemption-bounded{bounded}. \
         shuttle: {} checks of {} iterations each, seed {}, PCT depth {}. Per execution at \
         most {LOOM_MAX_BRANCHES} loom branches and {SHUTTLE_MAX_STEPS} shuttle steps. \
         {parallel} check(s) at a time, each in its own process.",
        loom.len(),
        bounds.len(),
        shuttle.len(),
        range(&iterations),
        notifier_catalog::registry::DEFAULT_SEED,
        range(&depths),
    )
}

/// Runs every job, `parallel` at a time, with a progress bar on stderr if `show_bar`.
fn run_all(exe: &Path, jobs: &[Job], parallel: usize, show_bar: bool) -> Vec<Report> {
    pool::map(
        jobs,
        parallel,
        show_bar,
        |job| format!("{} {} {}", job.scenario, job.kernel, job.spec.checker),
        |job| {
            let result = check_in_child(exe, job.scenario, job.kernel, &job.spec);
            Report::new(
                job.scenario,
                Target::Catalogue(job.scenario.to_string()),
                job.kernel,
                job.srcu,
                job.spec.checker,
                job.expect.clone(),
                result,
            )
        },
    )
}

/// The table, the details of every check that found a failure or did not match, and the
/// summary.
fn human(reports: &[Report], budgets: &str, seconds: f64) -> String {
    let mut s = format!("{budgets}\n\n");
    s.push_str(&table(reports));
    for r in reports
        .iter()
        .filter(|r| r.violation().is_some() || !r.matches)
    {
        s.push_str(&format!(
            "\n── {} {} {} ({}) {}\n",
            r.scenario,
            r.kernel,
            r.checker,
            r.match_text(),
            r.mark()
        ));
        s.push_str(&format!("  expected: {}\n", r.expected_text()));
        s.push_str(&r.explored());
        s.push_str(&r.failure_details());
    }
    let wrong: Vec<String> = reports
        .iter()
        .filter(|r| !r.matches)
        .map(|r| format!("{} {} {}", r.scenario, r.kernel, r.checker))
        .collect();
    s.push_str(&format!(
        "\n{} checks: {} as expected, {} not{}; {seconds:.1} s\n",
        reports.len(),
        reports.len() - wrong.len(),
        wrong.len(),
        if wrong.is_empty() {
            String::new()
        } else {
            format!(" ({})", wrong.join(", "))
        },
    ));
    s
}

fn table(reports: &[Report]) -> String {
    let header = [
        "scenario",
        "kernel",
        "checker",
        "expected",
        "observed",
        "bound",
        "executions",
        "seconds",
        "",
    ];
    let rows: Vec<[String; 9]> = reports
        .iter()
        .map(|r| {
            [
                r.scenario.clone(),
                r.kernel.to_string(),
                r.checker.to_string(),
                r.expected.verdict.to_string(),
                r.observed_text(),
                r.bound_text(),
                r.executions().to_string(),
                format!("{:.3}", r.seconds()),
                r.mark().to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 9]| {
        let mut l = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            // Numbers right-aligned, words left-aligned.
            if i == 6 || i == 7 {
                l.push_str(&format!("{cell:>w$}  "));
            } else {
                l.push_str(&format!("{cell:<w$}  "));
            }
        }
        format!("{}\n", l.trim_end())
    };
    let mut s = line(header);
    for row in &rows {
        s.push_str(&line(row.each_ref().map(String::as_str)));
    }
    s
}
