//! `notifier-check replay <token>`: run a failing execution again, in a child process, and say
//! whether it showed the token's failure again.
//!
//! Exit status: 0 reproduced (the same violation — kind, object, function, site and step — at
//! the token's execution); 1 not reproduced (the execution was found again and showed something
//! else); 3 diverged (the token's schedule does not fit this model: it cannot be followed); 4
//! the replay's process crashed; 2 a usage error.

use crate::check::{check_srcu_choice, expectation};
use crate::output::{columns, print, print_records};
use crate::record::Record;
use crate::report::{Report, Subject};
use crate::{current_exe, Failure, CRASHED, DIVERGED};
use notifier_catalog::child::run_in_child;
use notifier_catalog::expectation::Expectation;
use notifier_catalog::registry;
use notifier_catalog::ReplayToken;
use notifier_core::srcu::SrcuImpl;
use notifier_harness::runner::{judge, ReplayVerdict};
use notifier_harness::{KernelPlan, Placements, Target};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::ExitCode;

/// `replay --json`: the `replay` record: the token replayed, what the replay showed, and the
/// check's report (whose `token` is that of the failure the replay found, if any).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayRecord {
    /// The token replayed.
    pub replayed: ReplayToken,
    /// Reproduced, not reproduced or diverged (`null` when the replay's process crashed).
    pub result: Option<ReplayVerdict>,
    /// The replay as a check.
    #[serde(flatten)]
    pub report: Report,
}

/// Replays `token` (on the scenario file `file`, if given), on `srcu` (the kernel version's own
/// when `None`).
pub fn run(
    token: &str,
    file: Option<&Path>,
    srcu: Option<SrcuImpl>,
    json: bool,
) -> Result<ExitCode, Failure> {
    let token: ReplayToken = token.parse()?;
    let checker = token.checker.checker();
    let target = token.target(file)?;
    let kernel = KernelPlan::on_srcu(token.kernel, srcu);
    let (name, expect, runs_on): (String, Expectation, Option<SrcuImpl>) = match &target {
        Target::File(file) => {
            if srcu.is_some() {
                return Err("--srcu applies to catalogue scenarios, not to scenario files".into());
            }
            let scenario = notifier_catalog::fuzz::load(file, token.kernel)?;
            let expect = expectation(scenario.file.expect.as_ref(), token.kernel)
                .map_err(|e| format!("{}: [expect]: {e}", file.display()))?;
            let runs_on = Some(notifier_catalog::fuzz::srcu(&scenario));
            (file.display().to_string(), expect, runs_on)
        }
        Target::Catalogue(id) => {
            let scenario = registry::target(id, token.kernel)?;
            check_srcu_choice(&scenario, srcu)?;
            (
                scenario.id.to_string(),
                (scenario.expect)(token.kernel, checker),
                registry::srcu(&scenario, kernel),
            )
        }
        Target::Check(site) => {
            return Err(Failure::Usage(format!(
                "the check at {site} is a test's own: replay it in its test"
            )))
        }
    };
    let mut plan = token.plan(target.clone());
    plan.kernel.srcu = srcu;
    let result = run_in_child(&current_exe()?, &plan, None);
    let verdict = result.as_ref().ok().map(|o| judge(&token.checker, o));
    let subject = Subject {
        scenario: name,
        target,
        kernel: token.kernel,
        placements: Placements::default(),
        srcu,
        runs_on,
        checker,
    };
    let report = Report::new(subject, Some(&expect), token.checker.bound(), result);
    let code = match &verdict {
        Some(ReplayVerdict::Reproduced) => ExitCode::SUCCESS,
        Some(ReplayVerdict::NotReproduced { .. }) => ExitCode::FAILURE,
        Some(ReplayVerdict::Diverged { .. }) => ExitCode::from(DIVERGED),
        None => ExitCode::from(CRASHED),
    };
    if json {
        print_records([Record::Replay(Box::new(ReplayRecord {
            replayed: token,
            result: verdict,
            report,
        }))])?;
    } else {
        let said = match &verdict {
            Some(v) => v.to_string(),
            None => "CRASHED: the replay's process gave no result".to_string(),
        };
        let mut s = format!("replay of {}: {said}\n", token.short());
        s.push_str(&report.explored());
        s.push_str(&report.failure_details());
        if matches!(verdict, Some(ReplayVerdict::Diverged { .. })) {
            s.push_str(&columns(
                "the execution as far as it followed the schedule",
                report.trace(),
            ));
        }
        print(&s)?;
    }
    Ok(code)
}
