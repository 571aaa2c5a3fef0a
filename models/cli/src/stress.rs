//! `stress`: the scenarios the catalogue expects safe, run many times on real threads.
//!
//! Each scenario × kernel whose loom expectation is safe (the kernel's algorithm, claimed
//! correct) runs `--runs` times on the std backend: real threads, the machine's scheduler and
//! memory model, every oracle judging every run (the SRCU oracle's three guarantees among
//! them). It is a smoke test of the model as production code runs it: the interleavings are
//! the machine's, so a pass proves nothing and a failure cannot be replayed; but its verdict
//! is deterministic in what it asserts (no violation in any run), never in how long a run
//! takes. A violation here is a finding: the model's own bug, or a checker's "safe" that its
//! bound or its blindness let through.
//!
//! Each combination runs in a child process of its own (`stress --in-process` for one), so
//! that a run that panics in a way the harness does not catch cannot take the others with it.

use crate::output::print;
use crate::{current_exe, pool, Failure, MISMATCH, SUCCESS};
use notifier_catalog::registry;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::{CheckerKind, KernelPlan, Target, Verdict};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

/// The default number of runs per combination.
pub const DEFAULT_RUNS: usize = 1_000;

/// What to stress.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Runs per combination.
    pub runs: usize,
    /// Only these scenarios (all when empty).
    pub scenarios: Vec<String>,
    /// Only these kernels (all when empty).
    pub kernels: Vec<KernelVersion>,
    /// Run in this process (one combination, from the parent's child process).
    pub in_process: bool,
}

/// One scenario on one kernel.
#[derive(Debug, Clone)]
struct Combo {
    scenario: &'static str,
    kernel: KernelVersion,
}

/// One row of the table: a combination's runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StressRow {
    /// The scenario.
    pub scenario: String,
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The SRCU it ran on (absent for the scenarios without SRCU).
    pub srcu: Option<SrcuImpl>,
    /// Runs asked for.
    pub runs: u64,
    /// Runs made (fewer than `runs` only when one failed: the runs stop at the first).
    pub ran: u64,
    /// Failing runs (0 or 1).
    pub violations: u64,
    /// The first failure, in words.
    pub first: Option<String>,
    /// Wall-clock time of the runs (informative only; nothing depends on it).
    pub seconds: f64,
}

/// Every combination the plan selects: the scenarios × kernels whose loom expectation is
/// safe (a loom expectation that is blind is not a claim of safety, and is left out).
fn combos(plan: &Plan) -> Result<Vec<Combo>, String> {
    let mut chosen = Vec::new();
    for (s, kernels) in registry::selected(&plan.scenarios, &plan.kernels)? {
        for kernel in kernels {
            let expect = (s.expect)(kernel, CheckerKind::Loom);
            if expect.verdict == Verdict::Safe && expect.blind.is_none() {
                chosen.push(Combo {
                    scenario: s.id,
                    kernel,
                });
            }
        }
    }
    Ok(chosen)
}

/// Runs the plan; exit status 0 iff no run of any combination failed.
pub fn run(plan: &Plan, jobs: Option<u16>, json: bool) -> Result<ExitCode, Failure> {
    let chosen = combos(plan)?;
    if chosen.is_empty() {
        return Err(
            "no scenario expected safe matches the filters (stress runs only the \
                    combinations whose loom expectation is safe)"
                .into(),
        );
    }
    let start = Instant::now();
    let rows: Vec<StressRow> = if plan.in_process {
        chosen.iter().map(|c| stress(c, plan.runs)).collect()
    } else {
        let exe = current_exe()?;
        let progress = pool::Progress::detect(json, pool::DEFAULT_INTERVAL_SECONDS);
        let label = |c: &Combo| format!("{} {} std", c.scenario, c.kernel);
        let failed = |r: &Result<StressRow, String>| r.as_ref().map_or(true, |r| r.violations > 0);
        pool::map(
            &chosen,
            pool::parallelism(jobs),
            progress,
            label,
            failed,
            |c| in_child(&exe, plan, c),
        )
        .into_iter()
        .collect::<Result<Vec<StressRow>, String>>()?
    };
    let ok = rows.iter().all(|r| r.violations == 0);
    if json {
        print(&format!(
            "{}\n",
            serde_json::json!({ "real_threads": rows })
        ))?;
    } else {
        print(&table(&rows, start.elapsed().as_secs_f64()))?;
    }
    Ok(ExitCode::from(if ok { SUCCESS } else { MISMATCH }))
}

/// Runs combination `c` `runs` times on real threads, in this process.
fn stress(c: &Combo, runs: usize) -> StressRow {
    let target = Target::Catalogue(c.scenario.to_string());
    let model = match registry::model(&target, &KernelPlan::version(c.kernel)) {
        Ok(model) => model,
        Err(e) => unreachable!("a catalogue combination: {e}"),
    };
    let srcu = model.srcu();
    let o = model.stress(runs);
    let failed = o.observed != Verdict::Safe;
    StressRow {
        scenario: c.scenario.to_string(),
        kernel: c.kernel,
        srcu,
        runs: runs as u64,
        ran: o.executions,
        violations: u64::from(failed),
        first: failed.then(|| {
            o.violation
                .as_ref()
                .map_or_else(|| o.observed.to_string(), ToString::to_string)
        }),
        seconds: o.seconds,
    }
}

/// Runs combination `c` in a child process (`stress --in-process`) and reads back its row.
fn in_child(exe: &Path, plan: &Plan, c: &Combo) -> Result<StressRow, String> {
    let out = Command::new(exe)
        .args(["stress", "--in-process", "--json"])
        .args(["--runs", &plan.runs.to_string()])
        .args(["--scenario", c.scenario])
        .args(["--kernel", c.kernel.as_str()])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "stress of {} {}: the child ({}) printed no result: {e}",
            c.scenario, c.kernel, out.status
        )
    })?;
    let mut rows: Vec<StressRow> =
        serde_json::from_value(value["real_threads"].clone()).map_err(|e| e.to_string())?;
    match (rows.pop(), rows.is_empty()) {
        (Some(row), true) => Ok(row),
        _ => Err(format!(
            "stress of {} {}: the child printed no single row",
            c.scenario, c.kernel
        )),
    }
}

fn table(rows: &[StressRow], seconds: f64) -> String {
    let mut s = String::from(
        "Real threads: every scenario expected safe, run on the std backend and judged by every \
         oracle\n\n",
    );
    s.push_str(&format!(
        "{:<22} {:<6} {:<8} {:>8} {:>10} {:>9}\n",
        "scenario", "kernel", "srcu", "runs", "violations", "seconds"
    ));
    for r in rows {
        s.push_str(&format!(
            "{:<22} {:<6} {:<8} {:>8} {:>10} {:>9.1}\n",
            r.scenario,
            r.kernel.to_string(),
            r.srcu.map_or("-", SrcuImpl::name),
            format!("{}/{}", r.ran, r.runs),
            r.violations,
            r.seconds
        ));
    }
    for r in rows.iter().filter(|r| r.violations > 0) {
        if let Some(f) = &r.first {
            s.push_str(&format!(
                "\nVIOLATION {} {} on real threads (not replayable): {f}\n",
                r.scenario, r.kernel
            ));
        }
    }
    let ran: u64 = rows.iter().map(|r| r.ran).sum();
    let violations: u64 = rows.iter().map(|r| r.violations).sum();
    s.push_str(&format!(
        "\n{} combinations, {ran} runs, {violations} violations, {seconds:.1} s wall clock. A \
         pass on real threads is a smoke test, not a proof: the machine chose the \
         interleavings.\n",
        rows.len()
    ));
    s
}
