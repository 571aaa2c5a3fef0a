//! `notifier-check check`: one scenario on one kernel with one checker, in a child process.

use super::args::CheckArgs;
use super::output::{print, print_json, Report};
use super::{current_exe, exit, html};
use crate::registry::{default_spec, target};
use crate::runner::check_in_child;
use crate::scenario::{CheckSpec, CheckerKind};
use std::process::ExitCode;

/// Runs the check; exit status 0 iff it observed what the scenario expects.
pub fn run(args: CheckArgs) -> Result<ExitCode, String> {
    let scenario = target(&args.scenario, args.kernel)?;
    let spec = spec(&args, default_spec(&scenario, args.kernel, args.checker))?;
    if let Some(path) = &args.report.report {
        html::check_target(path, args.report.force)?;
    }
    let outcome = check_in_child(&current_exe()?, scenario.id, args.kernel, &spec);
    let expect = (scenario.expect)(args.kernel, args.checker);
    let report = Report::new(scenario.id, args.kernel, args.checker, expect, outcome);
    if args.json {
        print_json(&report);
    } else {
        print(&report.human());
    }
    if let Some(path) = &args.report.report {
        let title = format!(
            "notifier-check: {} on {} with {}",
            scenario.id, args.kernel, args.checker
        );
        html::write(
            path,
            args.report.force,
            &title,
            &[scenario.summary.to_string()],
            std::slice::from_ref(&report),
        )?;
    }
    Ok(exit(report.matches))
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
        spec.preemption_bound = Some(pb);
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
    Ok(spec)
}
