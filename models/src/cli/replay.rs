//! `notifier-check replay <token>`: run a failing execution again, in a child process.

use super::output::{print, print_json, Report};
use super::{current_exe, exit};
use crate::registry::target;
use crate::runner::{replay_in_child, CheckerReplay, ReplayToken};
use crate::scenario::{Outcome, Verdict};
use serde::Serialize;
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

/// Replays `token`; exit status 0 iff the failure came back as the token says.
pub fn run(token: &str, json: bool) -> Result<ExitCode, String> {
    let token: ReplayToken = token.parse()?;
    let scenario = target(&token.scenario, token.kernel)?;
    let outcome = replay_in_child(&current_exe()?, &token);
    let divergence = divergence(&token.checker, &outcome);
    let checker = token.checker.checker();
    let expect = (scenario.expect)(token.kernel, checker);
    let report = Report::new(scenario.id, token.kernel, checker, expect, outcome);
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
