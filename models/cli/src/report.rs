//! The report of one check, as one owned value: what it was expected to show and what it
//! observed, each an object of its own. It is the `check` record of the JSON output (see
//! [`crate::record`]), it reads back from that JSON exactly (`merge` combines partitions from
//! it), and the text, JUnit and HTML reports are renderings of it.

use notifier_catalog::expectation::Expectation;
use notifier_catalog::scenarios::notifier::on_spec::spec_evidence;
use notifier_catalog::ReplayToken;
use notifier_core::srcu::SrcuImpl;
use notifier_core::{KernelVersion, TraceEvent, Violation, ViolationKind};
use notifier_harness::runner::{Crash, Divergence};
use notifier_harness::{Bound, CheckerKind, Outcome, Placements, Target, Verdict};
use serde::{Deserialize, Serialize};
use std::fmt;

/// One check: a scenario on a kernel (with the ordering explorer's placements, if any) under
/// a checker, what it must show, and what it showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    /// The check's id, unique within a run: `S2/v3.16/loom`, with the placements appended
    /// for the ordering explorer (`S2/v3.17/loom/release=after-spin-lock`).
    pub id: String,
    /// The scenario id, or the scenario file's path.
    pub scenario: String,
    /// What was checked.
    pub target: Target,
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The placements of `srcu_read_unlock` that replaced the version's own (the ordering
    /// explorer's checks only).
    #[serde(default, skip_serializing_if = "Placements::is_empty")]
    pub placements: Placements,
    /// The SRCU the check ran on (`classic`, `tree` or `spec`; absent if it runs none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srcu: Option<SrcuImpl>,
    /// Whether that SRCU replaced the kernel version's own (`--srcu`, or the campaign's rows
    /// on the specification).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub srcu_chosen: bool,
    /// On the SRCU specification: what the specification was checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srcu_evidence: Option<String>,
    /// The checker.
    pub checker: CheckerKind,
    /// What the check must show (`null` for the ordering explorer's checks: its tables judge
    /// the placements, not each check).
    pub expected: Option<Expected>,
    /// What it showed.
    pub observed: Observed,
    /// Whether `observed` matches `expected` (a crash never does; a check without an
    /// expectation matches unless it crashed).
    pub matches: bool,
    /// The token that replays the failure found, if one was (`null` for the ordering
    /// explorer's checks: a token does not carry placements).
    pub token: Option<ReplayToken>,
    /// The command that replays it.
    pub replay_command: Option<String>,
}

/// What a check must show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    /// The verdict: `safe`, `violation` or `deadlock`.
    pub verdict: Verdict,
    /// For a violation or a deadlock: which, and where.
    pub violation: Option<ExpectedViolation>,
    /// When the checker cannot see the property: why (the verdict is then what it does
    /// observe, `safe`).
    pub blind: Option<String>,
}

/// The violation a check must find. Each list holds the accepted alternatives; an empty list
/// accepts any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedViolation {
    /// The kind.
    pub kind: ViolationKind,
    /// The kernel functions it may be reported in.
    pub functions: Vec<String>,
    /// The innermost operations it may be reported at.
    pub sites: Vec<String>,
    /// The objects it may concern.
    pub objects: Vec<String>,
}

/// The verdict a check observed: a checker's, or `crashed` when its process gave none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObservedVerdict {
    /// Every explored execution satisfied every oracle.
    Safe,
    /// An execution violated a property.
    Violation,
    /// An execution could not make progress.
    Deadlock,
    /// The check's process died (or was stopped) without a verdict.
    Crashed,
}

impl From<Verdict> for ObservedVerdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Safe => ObservedVerdict::Safe,
            Verdict::Violation => ObservedVerdict::Violation,
            Verdict::Deadlock => ObservedVerdict::Deadlock,
        }
    }
}

impl fmt::Display for ObservedVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObservedVerdict::Safe => "safe",
            ObservedVerdict::Violation => "violation",
            ObservedVerdict::Deadlock => "deadlock",
            ObservedVerdict::Crashed => "crashed",
        })
    }
}

/// What a check showed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// The verdict.
    pub verdict: ObservedVerdict,
    /// The violation found, if any.
    pub violation: Option<Violation>,
    /// Executions explored (loom) or run (shuttle), up to and including a failure; 0 for a
    /// crash.
    pub executions: u64,
    /// What the checker was allowed to explore.
    pub bound: Bound,
    /// Wall-clock seconds (measured, so they differ from run to run).
    pub seconds: f64,
    /// The failing execution's trace (empty when none), every event structured.
    pub trace: Vec<TraceEvent>,
    /// A replay only: where the execution stopped following its schedule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub divergence: Option<Divergence>,
    /// A crash only: what happened to the check's process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<Crash>,
}

/// Where a check ran: scenario, kernel with placements, checker.
#[derive(Debug, Clone)]
pub struct Subject {
    /// The scenario id, or the scenario file's path.
    pub scenario: String,
    /// What is checked.
    pub target: Target,
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The explorer's placements (empty: the version's own).
    pub placements: Placements,
    /// The SRCU the check runs on instead of the kernel version's own (`None`: its own).
    pub srcu: Option<SrcuImpl>,
    /// The SRCU it runs on, chosen or its own (`None`: it runs none).
    pub runs_on: Option<SrcuImpl>,
    /// The checker.
    pub checker: CheckerKind,
}

impl Subject {
    /// The check's id: `scenario/kernel/checker`, then `release=P` / `unregister=P`.
    pub fn id(&self) -> String {
        let mut id = format!("{}/{}/{}", self.scenario, self.kernel, self.checker);
        if let Some(p) = self.placements.release {
            id.push_str(&format!("/release={}", p.name()));
        }
        if let Some(p) = self.placements.unregister {
            id.push_str(&format!("/unregister={}", p.name()));
        }
        if let Some(srcu) = self.srcu {
            id.push_str(&format!("/srcu={srcu}"));
        }
        id
    }
}

impl Report {
    /// The report of a check of `subject` against `expect` (if it has an expectation), run
    /// under `bound`: its outcome, or the crash of its process.
    pub fn new(
        subject: Subject,
        expect: Option<&Expectation>,
        bound: Bound,
        result: Result<Outcome, Crash>,
    ) -> Self {
        let expected = expect.map(Expected::from);
        let (matches, observed, token) = match result {
            Ok(outcome) => {
                let matches = expect.is_none_or(|e| e.matches(&outcome));
                // A token does not carry placements: it would replay another model.
                let token = outcome
                    .replay
                    .clone()
                    .filter(|_| subject.placements.is_empty())
                    .map(|r| ReplayToken::new(&subject.target, subject.kernel, r));
                let observed = Observed {
                    verdict: outcome.observed.into(),
                    violation: outcome.violation,
                    executions: outcome.executions,
                    bound: outcome.bound,
                    seconds: outcome.seconds,
                    trace: outcome.trace,
                    divergence: outcome.divergence,
                    crash: None,
                };
                (matches, observed, token)
            }
            Err(crash) => {
                let observed = Observed {
                    verdict: ObservedVerdict::Crashed,
                    violation: None,
                    executions: 0,
                    bound,
                    seconds: crash.seconds,
                    trace: Vec::new(),
                    divergence: None,
                    crash: Some(crash),
                };
                (false, observed, None)
            }
        };
        // A failure on another SRCU than the version's own replays on that SRCU.
        let replay_command = token.as_ref().map(|t| {
            let command = t.command(&subject.target);
            match subject.srcu {
                Some(srcu) => command.replacen(" replay ", &format!(" replay --srcu {srcu} "), 1),
                None => command,
            }
        });
        let srcu_evidence =
            (subject.srcu == Some(SrcuImpl::Spec)).then(|| spec_evidence(subject.kernel));
        Report {
            id: subject.id(),
            scenario: subject.scenario,
            target: subject.target,
            kernel: subject.kernel,
            placements: subject.placements,
            srcu: subject.srcu.or(subject.runs_on),
            srcu_chosen: subject.srcu.is_some(),
            srcu_evidence,
            checker: subject.checker,
            expected,
            observed,
            matches,
            token,
            replay_command,
        }
    }

    /// Whether the check's process crashed (no verdict).
    pub fn crashed(&self) -> bool {
        self.observed.verdict == ObservedVerdict::Crashed
    }

    /// Whether the check observed a verdict other than the expected one (a crash is not a
    /// mismatch: it observed nothing).
    pub fn mismatched(&self) -> bool {
        !self.matches && !self.crashed()
    }

    /// The violation observed, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.observed.violation.as_ref()
    }

    /// The expectation in words (`none` for the explorer's checks).
    pub fn expected_text(&self) -> String {
        self.expected.as_ref().map_or_else(
            || "none (the placement tables judge)".to_string(),
            |e| e.to_string(),
        )
    }

    /// Whether the checker is blind to the property (it must observe safe).
    pub fn blind(&self) -> bool {
        self.expected.as_ref().is_some_and(|e| e.blind.is_some())
    }

    /// What was observed, in words, without the violation's details: the verdict, except
    /// that a blind check that found nothing reads `not found (blind)`, never `safe`: every
    /// blind check is of a bug its checker cannot see (or misses within its budget), and its
    /// silence says nothing about the scenario's safety.
    pub fn observed_text(&self) -> String {
        if self.blind() && self.violation().is_none() {
            NOT_FOUND_BLIND.to_string()
        } else {
            self.observed.verdict.to_string()
        }
    }

    /// The failing execution's trace (empty when there is none).
    pub fn trace(&self) -> &[TraceEvent] {
        &self.observed.trace
    }

    /// "as expected", "NOT as expected" or "CRASHED".
    pub fn match_text(&self) -> &'static str {
        if self.matches {
            "as expected"
        } else if self.crashed() {
            "CRASHED"
        } else {
            "NOT as expected"
        }
    }

    /// `✓`, `✗`, or `!` for a crash.
    pub fn mark(&self) -> &'static str {
        if self.matches {
            "✓"
        } else if self.crashed() {
            "!"
        } else {
            "✗"
        }
    }

    /// The scenario, and the explorer's placements (or the SRCU, when not the version's own)
    /// in brackets.
    pub fn heading_subject(&self) -> String {
        let mut placements = crate::results::placement_text(&self.placements);
        if let Some(srcu) = self.chosen_srcu() {
            if !placements.is_empty() {
                placements.push(' ');
            }
            placements.push_str(&format!("srcu={srcu}"));
        }
        if placements.is_empty() {
            self.scenario.clone()
        } else {
            format!("{} [{placements}]", self.scenario)
        }
    }

    /// `scenario kernel checker` (and the placements), for headings.
    pub fn heading(&self) -> String {
        let mut s = format!("{} {} {}", self.scenario, self.kernel, self.checker);
        if let Some(p) = self.placements.release {
            s.push_str(&format!(" release={}", p.name()));
        }
        if let Some(p) = self.placements.unregister {
            s.push_str(&format!(" unregister={}", p.name()));
        }
        if let Some(srcu) = self.chosen_srcu() {
            s.push_str(&format!(" srcu={srcu}"));
        }
        s
    }

    /// The SRCU the check ran on, if it replaced the kernel version's own.
    pub fn chosen_srcu(&self) -> Option<SrcuImpl> {
        self.srcu.filter(|_| self.srcu_chosen)
    }
}

impl From<&Expectation> for Expected {
    fn from(e: &Expectation) -> Self {
        let alternatives = |s: &str| s.split('|').map(str::to_string).collect::<Vec<_>>();
        Expected {
            verdict: e.verdict,
            violation: e.violation.as_ref().map(|v| ExpectedViolation {
                kind: v.kind,
                functions: alternatives(&v.function),
                sites: v.site.as_deref().map(alternatives).unwrap_or_default(),
                objects: v.object.as_deref().map(alternatives).unwrap_or_default(),
            }),
            blind: e.blind.map(str::to_string),
        }
    }
}

/// How a blind check that found nothing is worded (see [`Report::observed_text`]).
pub const NOT_FOUND_BLIND: &str = "not found (blind)";

impl fmt::Display for Expected {
    /// `safe`, `violation: use-after-free in f (site) of obj`, or `not found (blind: why)`
    /// (a blind checker must find nothing: never worded `safe`, see
    /// [`Report::observed_text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(why) = &self.blind {
            return write!(f, "not found (blind: {why})");
        }
        write!(f, "{}", self.verdict)?;
        if let Some(v) = &self.violation {
            write!(f, ": {} in {}", v.kind, v.functions.join(" or "))?;
            if !v.sites.is_empty() {
                write!(f, " ({})", v.sites.join(" or "))?;
            }
            if !v.objects.is_empty() {
                write!(f, " of {}", v.objects.join(" or "))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notifier_catalog::expectation::ExpectedViolation as Want;

    #[test]
    fn expectations_become_lists_of_alternatives() {
        let e = Expectation::violation(Want {
            kind: ViolationKind::UseAfterFree,
            function: "mmu_notifier_unregister|__mmu_notifier_release".into(),
            site: None,
            object: Some("notifier A".into()),
        });
        let x = Expected::from(&e);
        let v = x.violation.as_ref().unwrap();
        assert_eq!(
            v.functions,
            ["mmu_notifier_unregister", "__mmu_notifier_release"]
        );
        assert!(v.sites.is_empty());
        assert_eq!(v.objects, ["notifier A"]);
        assert_eq!(
            x.to_string(),
            "violation: use-after-free in mmu_notifier_unregister or __mmu_notifier_release \
             of notifier A"
        );
    }
}
