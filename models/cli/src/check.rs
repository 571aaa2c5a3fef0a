//! `notifier-check check`: one scenario on one kernel with one checker, in a child process.

use crate::args::CheckArgs;
use crate::output::{print, print_records};
use crate::record::Record;
use crate::report::{Report, Subject};
use crate::results::Outputs;
use crate::{current_exe, Failure};
use notifier_catalog::child::{check_plan, run_in_child};
use notifier_catalog::expectation::{Expectation, ExpectedViolation};
use notifier_catalog::fuzz::format::ExpectDecl;
use notifier_catalog::registry::{default_spec, target, DEFAULT_SEED};
use notifier_catalog::scenario::Scenario;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::{Bound, CheckSpec, CheckerKind, KernelPlan, Placements, Target, Verdict};
use std::path::Path;
use std::process::ExitCode;

/// The default budget of a scenario file: loom at preemption bound 2 with at most two threads
/// besides main (the scenario's and the SRCU workers), else 1 (the catalogue's four-thread
/// S5 needs bound 1 to finish in about a second; bound 2 did not finish in 5 minutes); shuttle
/// 2,000 iterations, PCT depth 3.
fn file_spec(checker: CheckerKind, threads: usize) -> CheckSpec {
    CheckSpec {
        checker,
        preemption_bound: Some(if threads <= 2 { 2 } else { 1 }),
        iterations: 2_000,
        seed: DEFAULT_SEED,
        pct_depth: 3,
    }
}

/// loom runs at most this many threads besides `main`: the scenario's and the SRCU worker.
const LOOM_THREADS: usize = 4;

/// Runs the check; exit status 0 iff it observed what the scenario expects, 1 if it observed
/// something else, 4 if its process crashed.
pub fn run(args: CheckArgs) -> Result<ExitCode, Failure> {
    // Refused before the check runs: nothing a user saved is overwritten, no run is wasted.
    let outputs = Outputs::checked(&args.output)?;
    if let Some(file) = &args.scenario_file {
        if args.srcu.is_some() {
            return Err("--srcu applies to catalogue scenarios, not to scenario files".into());
        }
        return run_file(file, &args, &outputs);
    }
    let id = args
        .scenario
        .as_deref()
        .ok_or("--scenario or --scenario-file is required")?;
    let scenario = target(id, args.kernel)?;
    check_srcu_choice(&scenario, args.srcu)?;
    let spec = spec(&args, default_spec(&scenario, args.kernel, args.checker))?;
    let target = Target::Catalogue(scenario.id.to_string());
    let kernel = KernelPlan::on_srcu(args.kernel, args.srcu);
    let plan = check_plan(target.clone(), kernel, &spec);
    let result = run_in_child(&current_exe()?, &plan, None);
    let expect = (scenario.expect)(args.kernel, args.checker);
    let subject = Subject {
        scenario: scenario.id.to_string(),
        target,
        kernel: args.kernel,
        placements: Placements::default(),
        srcu: args.srcu,
        runs_on: notifier_catalog::registry::srcu(&scenario, kernel),
        checker: args.checker,
    };
    let report = Report::new(subject, Some(&expect), Bound::of(&spec), result);
    finish(&args, &report, scenario.summary, &outputs)
}

/// `--srcu` applies to the notifier scenarios (the SRCU scenarios check one SRCU on its own,
/// and the planted memory bugs run no SRCU).
pub(super) fn check_srcu_choice(scenario: &Scenario, srcu: Option<SrcuImpl>) -> Result<(), String> {
    match srcu {
        Some(imp) if !scenario.follows_srcu() => Err(format!(
            "--srcu {imp} applies to the notifier scenarios; {} does not run the mmu_notifier \
             core",
            scenario.id
        )),
        _ => Ok(()),
    }
}

/// Prints the report (human or JSON), writes the files asked for, and gives the exit status.
fn finish(
    args: &CheckArgs,
    report: &Report,
    summary: &str,
    outputs: &Outputs,
) -> Result<ExitCode, Failure> {
    let record = Record::Check(Box::new(report.clone()));
    if args.json {
        print_records([record.clone()])?;
    } else {
        print(&report.human())?;
    }
    let title = format!(
        "notifier-check: {} on {} with {}",
        report.scenario, args.kernel, args.checker
    );
    outputs.write(
        &[record],
        std::slice::from_ref(report),
        &title,
        &[summary.to_string()],
    )?;
    Ok(ExitCode::from(crate::status(
        report.mismatched(),
        report.crashed(),
    )))
}

/// `check --scenario-file`: validates the file, runs the check in a child process, and
/// compares with the file's `[expect]` (default: safe).
fn run_file(file: &Path, args: &CheckArgs, outputs: &Outputs) -> Result<ExitCode, Failure> {
    let scenario = notifier_catalog::fuzz::load(file, args.kernel)?;
    // One SRCU kworker for classic SRCU's one work item; one per CPU slot with Tree SRCU.
    let workers = notifier_catalog::fuzz::kworkers(&scenario);
    if args.checker == CheckerKind::Loom && scenario.threads.len() + workers > LOOM_THREADS {
        return Err(format!(
            "{}: loom runs at most {LOOM_THREADS} threads besides main, and this scenario has \
             {} plus {workers} SRCU worker(s); use shuttle",
            file.display(),
            scenario.threads.len()
        )
        .into());
    }
    let expect = expectation(scenario.file.expect.as_ref(), args.kernel)
        .map_err(|e| format!("{}: [expect]: {e}", file.display()))?;
    let spec = spec(
        args,
        file_spec(args.checker, scenario.threads.len() + workers),
    )?;
    let target = Target::File(file.to_path_buf());
    let plan = check_plan(target.clone(), KernelPlan::version(args.kernel), &spec);
    let result = run_in_child(&current_exe()?, &plan, None);
    let name = file.display().to_string();
    let subject = Subject {
        scenario: name.clone(),
        target,
        kernel: args.kernel,
        placements: Placements::default(),
        srcu: None,
        runs_on: Some(notifier_catalog::fuzz::srcu(&scenario)),
        checker: args.checker,
    };
    let report = Report::new(subject, Some(&expect), Bound::of(&spec), result);
    finish(args, &report, &format!("scenario file {name}"), outputs)
}

/// A scenario file's `[expect]` as an expectation on `kernel` (absent, or for other kernels:
/// safe).
pub(super) fn expectation(
    decl: Option<&ExpectDecl>,
    kernel: KernelVersion,
) -> Result<Expectation, String> {
    let Some(d) = decl else {
        return Ok(Expectation::safe());
    };
    let elsewhere = d.kernels.as_ref().is_some_and(|ks| !ks.contains(&kernel));
    if d.verdict == Verdict::Safe || elsewhere {
        return Ok(Expectation::safe());
    }
    let (Some(kind), Some(function)) = (d.kind, d.function.as_ref()) else {
        return Err(format!("a {} needs kind and function", d.verdict));
    };
    let mut e = Expectation::violation(ExpectedViolation {
        kind,
        function: function.clone().into(),
        site: d.site.clone().map(Into::into),
        object: None,
    });
    e.verdict = d.verdict;
    Ok(e)
}

/// The scenario's default budget with the flags applied. A flag that means nothing to the
/// chosen checker is an error, not silently ignored.
fn spec(args: &CheckArgs, mut spec: CheckSpec) -> Result<CheckSpec, String> {
    let checker = args.checker;
    let loom_only = [
        ("--preemption-bound", args.preemption_bound.is_some()),
        ("--unbounded", args.unbounded),
    ];
    let shuttle_only = [
        ("--iterations", args.iterations.is_some()),
        ("--seed", args.seed.is_some()),
    ];
    let pct_only = [("--pct-depth", args.pct_depth.is_some())];
    let misplaced = match checker {
        CheckerKind::Loom => shuttle_only.iter().chain(&pct_only).find(|(_, set)| *set),
        CheckerKind::ShuttleRandom => loom_only.iter().chain(&pct_only).find(|(_, set)| *set),
        CheckerKind::ShuttlePct => loom_only.iter().find(|(_, set)| *set),
    };
    if let Some((flag, _)) = misplaced {
        return Err(format!("{flag} does not apply to the {checker} checker"));
    }
    if let Some(pb) = args.preemption_bound {
        // clap kept it within loom's range.
        spec.preemption_bound =
            Some(usize::try_from(pb).map_err(|_| format!("--preemption-bound {pb} is too large"))?);
    }
    if args.unbounded {
        spec.preemption_bound = None;
    }
    if let Some(n) = args.iterations {
        spec.iterations =
            usize::try_from(n).map_err(|_| format!("--iterations {n} is too large"))?;
    }
    if let Some(seed) = args.seed {
        spec.seed = seed;
    }
    if let Some(d) = args.pct_depth {
        spec.pct_depth = usize::try_from(d).map_err(|_| format!("--pct-depth {d} is too large"))?;
    }
    spec.validate()?;
    Ok(spec)
}
