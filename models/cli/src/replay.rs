//! `notifier-check replay <token>`: run a failing execution again, in a child process.

use crate::check::{expectation, with_file_replay};
use crate::output::{print, print_json, Report};
use crate::{current_exe, exit};
use notifier_catalog::child::{replay_file_in_child, replay_in_child};
use notifier_catalog::fuzz::engine::FILE_TOKEN;
use notifier_catalog::registry::target;
use notifier_catalog::ReplayToken;
use notifier_harness::runner::CheckerReplay;
use notifier_harness::{Outcome, Verdict};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

/// `replay --json`: the check's report plus whether the failure came back.
#[derive(Debug, Serialize)]
struct ReplayReport {
    token: String,
    reproduced: bool,
    /// Why not, when it did not.
    divergence: Option<String>,
    #[serde(flatten)]
    report: Report,
}

/// Replays `token` (on the scenario file `file`, if given); exit status 0 iff the failure
/// came back as the token says.
pub fn run(token: &str, file: Option<&Path>, json: bool) -> Result<ExitCode, String> {
    let token: ReplayToken = token.parse()?;
    let checker = token.checker.checker();
    let (outcome, report_of): (Outcome, Box<dyn FnOnce(Outcome) -> Report>) = match file {
        Some(file) => {
            if token.scenario != FILE_TOKEN {
                return Err(format!(
                    "with --scenario-file the token's scenario part is '{FILE_TOKEN}', not '{}'",
                    token.scenario
                ));
            }
            let scenario = notifier_catalog::fuzz::load(file, token.kernel)?;
            let expect = expectation(scenario.file.expect.as_ref(), token.kernel)
                .map_err(|e| format!("{}: [expect]: {e}", file.display()))?;
            let outcome = replay_file_in_child(&current_exe()?, file, &token);
            let outcome = with_file_replay(outcome, file, token.kernel);
            let name = file.display().to_string();
            let kernel = token.kernel;
            let srcu = Some(notifier_catalog::fuzz::srcu(&scenario));
            (
                outcome,
                Box::new(move |o| Report::new(&name, kernel, srcu, checker, expect, o)),
            )
        }
        None => {
            if token.scenario == FILE_TOKEN {
                return Err(format!(
                    "token '{}' names a scenario file: pass it with --scenario-file FILE",
                    token.short()
                ));
            }
            let scenario = target(&token.scenario, token.kernel)?;
            let outcome = replay_in_child(&current_exe()?, &token);
            let expect = (scenario.expect)(token.kernel, checker);
            let (id, kernel) = (scenario.id, token.kernel);
            let srcu = notifier_catalog::registry::srcu(&scenario, kernel);
            (
                outcome,
                Box::new(move |o| Report::new(id, kernel, srcu, checker, expect, o)),
            )
        }
    };
    let divergence = divergence(&token.checker, &outcome);
    let report = report_of(outcome);
    let reproduced = divergence.is_none();
    if json {
        print_json(&ReplayReport {
            token: token.to_string(),
            reproduced,
            divergence,
            report,
        });
    } else {
        let verdict = match &divergence {
            None => "reproduced".to_string(),
            Some(why) => format!("NOT reproduced: {why}"),
        };
        let mut s = format!("replay of {}: {verdict}\n", token.short());
        s.push_str(&format!(
            "  explored: {} executions in {:.3} s ({})\n",
            report.executions, report.seconds, report.bound
        ));
        s.push_str(&report.failure_details());
        print(&s);
    }
    Ok(exit(reproduced))
}

/// Why the replay did not find the failure the token names, if it did not.
fn divergence(replay: &CheckerReplay, outcome: &Outcome) -> Option<String> {
    if outcome.observed == Verdict::Safe {
        return Some("no execution failed".to_string());
    }
    match replay {
        CheckerReplay::Loom { execution, .. } if outcome.executions != *execution => Some(format!(
            "the first failure is at execution {}, the token says {execution}",
            outcome.executions
        )),
        _ => None,
    }
}
