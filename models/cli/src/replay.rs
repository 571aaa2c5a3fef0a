//! `notifier-check replay <token>`: run a failing execution again, in a child process, and say
//! whether it showed the token's failure again.
//!
//! Exit status: 0 reproduced (the same violation — kind, object, function, site and step — at
//! the token's execution); 1 not reproduced (the execution was found again and showed something
//! else); 3 diverged (the token's schedule does not fit this model: it cannot be followed); 4
//! the replay's process crashed; 2 a usage error.

use crate::check::expectation;
use crate::output::{columns, print, print_json, Report};
use crate::{current_exe, CRASHED, DIVERGED};
use notifier_catalog::child::run_in_child;
use notifier_catalog::registry;
use notifier_catalog::ReplayToken;
use notifier_core::srcu::SrcuImpl;
use notifier_harness::runner::{judge, ReplayVerdict};
use notifier_harness::{Expectation, Target};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

/// `replay --json`: what the replay showed, and the check's report.
#[derive(Debug, Serialize)]
struct ReplayReport {
    /// The token replayed (the report's own `token` is that of the failure the replay found,
    /// if any).
    replayed: ReplayToken,
    /// Reproduced, not reproduced or diverged (`null` when the replay's process crashed).
    result: Option<ReplayVerdict>,
    #[serde(flatten)]
    report: Report,
}

/// Replays `token` (on the scenario file `file`, if given).
pub fn run(token: &str, file: Option<&Path>, json: bool) -> Result<ExitCode, String> {
    let token: ReplayToken = token.parse()?;
    let checker = token.checker.checker();
    let target = token.target(file)?;
    let (name, expect, srcu): (String, Expectation, Option<SrcuImpl>) = match &target {
        Target::File(file) => {
            let scenario = notifier_catalog::fuzz::load(file, token.kernel)?;
            let expect = expectation(scenario.file.expect.as_ref(), token.kernel)
                .map_err(|e| format!("{}: [expect]: {e}", file.display()))?;
            let srcu = Some(notifier_catalog::fuzz::srcu(&scenario));
            (file.display().to_string(), expect, srcu)
        }
        Target::Catalogue(id) => {
            let scenario = registry::target(id, token.kernel)?;
            (
                scenario.id.to_string(),
                (scenario.expect)(token.kernel, checker),
                registry::srcu(&scenario, token.kernel),
            )
        }
    };
    let result = run_in_child(&current_exe()?, &token.plan(target.clone()), None);
    let verdict = result.as_ref().ok().map(|o| judge(&token.checker, o));
    let report = Report::new(&name, target, token.kernel, srcu, checker, expect, result);
    let code = match &verdict {
        Some(ReplayVerdict::Reproduced) => ExitCode::SUCCESS,
        Some(ReplayVerdict::NotReproduced { .. }) => ExitCode::FAILURE,
        Some(ReplayVerdict::Diverged { .. }) => ExitCode::from(DIVERGED),
        None => ExitCode::from(CRASHED),
    };
    if json {
        print_json(&ReplayReport {
            replayed: token,
            result: verdict,
            report,
        });
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
                None,
            ));
        }
        print(&s);
    }
    Ok(code)
}
