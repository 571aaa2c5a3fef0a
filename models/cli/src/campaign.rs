//! The default campaign: every scenario on each of its kernels with every checker, each check
//! in its own child process. It prints the budgets, the verdict matrix, the details of the
//! checks that did not observe what they expect (`--verbose`: of every counterexample) and the
//! summary; `--partition count:I/N` runs one slice of it (`merge` puts the slices together).

use crate::args::CampaignArgs;
use crate::output::{print, print_records};
use crate::pool::{self, Progress};
use crate::record::{Limits, RunHeader, RunKind, Summary};
use crate::report::{Report, Subject};
use crate::results::{budgets, text_matrix, title, Outputs, Results, LEGEND};
use crate::{current_exe, Failure};
use notifier_catalog::child::check_in_child_on;
use notifier_catalog::expectation::Expectation;
use notifier_catalog::registry::{default_spec, srcu};
use notifier_catalog::scenario::Scenario;
use notifier_catalog::scenarios::catalog;
use notifier_catalog::scenarios::notifier::on_spec;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::{Bound, CheckSpec, CheckerKind, KernelPlan, Placements, Target};
use std::process::ExitCode;
use std::time::Instant;

/// One check to run.
struct Job {
    scenario: &'static str,
    kernel: KernelVersion,
    spec: CheckSpec,
    expect: Expectation,
    /// Runs on this SRCU instead of the kernel version's own.
    srcu: Option<SrcuImpl>,
    /// The SRCU it runs on (`None`: it runs none).
    runs_on: Option<SrcuImpl>,
}

impl Job {
    fn subject(&self) -> Subject {
        Subject {
            scenario: self.scenario.to_string(),
            target: Target::Catalogue(self.scenario.to_string()),
            kernel: self.kernel,
            placements: Placements::default(),
            srcu: self.srcu,
            runs_on: self.runs_on,
            checker: self.spec.checker,
        }
    }
}

/// Every check of the scenarios named in `only` (every scenario when it is empty), in the
/// campaign's fixed order: catalogue order, then kernel, then checker.
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
                    spec: default_spec(&s, kernel, checker),
                    expect: (s.expect)(kernel, checker),
                    srcu: None,
                    runs_on: srcu(&s, KernelPlan::version(kernel)),
                });
            }
            if let Some(spec) = spec_row(&s, kernel) {
                jobs.push(Job {
                    scenario: s.id,
                    kernel,
                    spec,
                    expect: (s.expect)(kernel, CheckerKind::Loom),
                    srcu: Some(SrcuImpl::Spec),
                    runs_on: srcu(&s, KernelPlan::on_srcu(kernel, Some(SrcuImpl::Spec))),
                });
            }
        }
    }
    Ok(jobs)
}

/// The campaign's loom check of `s` on `kernel` on the SRCU specification, if it has one: the
/// notifier scenarios that loom checks only preemption-bounded on the real SRCU and that the
/// specification lets it check unbounded ([`on_spec::spec_bound`]).
fn spec_row(s: &Scenario, kernel: KernelVersion) -> Option<CheckSpec> {
    let real = default_spec(s, kernel, CheckerKind::Loom);
    (s.follows_srcu() && real.preemption_bound.is_some() && on_spec::spec_bound(s.id).is_none())
        .then_some(CheckSpec {
            preemption_bound: None,
            ..real
        })
}

/// Runs the campaign (or its partition); exit status 0 iff every check observed what its
/// scenario expects, 1 if one did not, 4 if none did not but one crashed.
pub fn run(args: CampaignArgs) -> Result<ExitCode, Failure> {
    let run = &args.run;
    let partition = run.partition.from_env()?;
    let outputs = Outputs::checked(&run.output)?;
    let exe = current_exe()?;
    let all = jobs(&args.scenario)?;
    let selection: Vec<String> = all.iter().map(|j| j.subject().id()).collect();
    let mine = match partition {
        Some(p) => p.select(all),
        None => all,
    };
    let parallel = pool::parallelism(run.jobs);
    let start = Instant::now();
    let checks = pool::map(
        &mine,
        parallel,
        Progress::detect(run.json, run.progress_interval),
        |job| job.subject().id(),
        |r: &Report| !r.matches,
        |job| {
            let kernel = KernelPlan::on_srcu(job.kernel, job.srcu);
            let result = check_in_child_on(&exe, job.scenario, kernel, &job.spec);
            Report::new(
                job.subject(),
                Some(&job.expect),
                Bound::of(&job.spec),
                result,
            )
        },
    );
    let seconds = start.elapsed().as_secs_f64();
    let header = RunHeader {
        command: RunKind::Campaign,
        partition,
        selection,
        jobs: parallel,
        limits: Limits::harness(),
    };
    let status = finish(header, checks, 1, seconds, run.json, run.verbose, &outputs)?;
    Ok(ExitCode::from(status))
}

/// Prints a campaign's results (the tables, or `json` records) and writes its files; returns
/// the exit status (1 if a check observed something other than expected, else 4 if one
/// crashed, else 0). Also the end of `merge` for campaigns.
pub fn finish(
    header: RunHeader,
    checks: Vec<Report>,
    partitions: u64,
    seconds: f64,
    json: bool,
    verbose: bool,
    outputs: &Outputs,
) -> Result<u8, Failure> {
    let status = Results::exit_status(&checks);
    let summary = Summary::of(&checks, partitions, seconds, status);
    let results = Results {
        header,
        checks,
        summary,
    };
    let records = results.records(Vec::new());
    if json {
        print_records(records.iter().cloned())?;
    } else {
        print(&human(&results, verbose))?;
    }
    let notes = [
        budgets(
            &results.checks,
            &results.header.limits,
            Some(results.header.jobs),
        ),
        results.run_line(),
    ];
    outputs.write(&records, &results.checks, title(RunKind::Campaign), &notes)?;
    Ok(status)
}

/// The budgets, the matrix and its legend, the details, and the summary.
fn human(results: &Results, verbose: bool) -> String {
    let mut s = budgets(
        &results.checks,
        &results.header.limits,
        Some(results.header.jobs),
    );
    s.push('\n');
    s.push_str(&text_matrix(&results.checks));
    s.push_str(&crate::results::wrap(LEGEND, 100));
    s.push_str(&results.details(verbose));
    s.push('\n');
    s.push_str(&results.summary_line());
    s.push('\n');
    s
}
