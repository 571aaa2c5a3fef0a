//! How checks are shown: the report of one check (what was expected, and what was observed or
//! why nothing was), rendered as text and JSON; expectations in words; and writing to stdout
//! without panicking on a closed pipe.

use notifier_catalog::ReplayToken;
use notifier_core::srcu::SrcuImpl;
use notifier_core::trace::render_columns;
use notifier_core::{KernelVersion, TraceEvent, Violation};
use notifier_harness::runner::Crash;
use notifier_harness::{CheckerKind, Expectation, ExpectedViolation, Outcome, Target};
use serde::Serialize;
use std::io::Write;

/// One check: what was expected and what was observed.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scenario id, or the scenario file's path.
    pub scenario: String,
    /// What was checked.
    pub target: Target,
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The SRCU implementation the check ran (`classic` or `tree`; `null` if it runs none).
    pub srcu: Option<SrcuImpl>,
    /// The checker.
    pub checker: CheckerKind,
    /// What the check must show.
    pub expected: Expectation,
    /// What it observed (`"outcome": {...}`), or why it observed nothing (`"crash": {...}`).
    #[serde(flatten)]
    pub result: Observed,
    /// The token that replays the failure, if one was found.
    pub token: Option<ReplayToken>,
    /// Whether the observation matches the expectation (a crash never does).
    pub matches: bool,
}

/// What a check gave.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Observed {
    /// The check ran to a verdict.
    Outcome(Box<Outcome>),
    /// Its process died (or was stopped) without a verdict.
    Crash(Crash),
}

impl Report {
    /// The report of a check of `target` (shown as `scenario`) against `expect`.
    pub fn new(
        scenario: &str,
        target: Target,
        kernel: KernelVersion,
        srcu: Option<SrcuImpl>,
        checker: CheckerKind,
        expect: Expectation,
        result: Result<Outcome, Crash>,
    ) -> Self {
        let (matches, result, token) = match result {
            Ok(outcome) => {
                let token = outcome
                    .replay
                    .clone()
                    .map(|r| ReplayToken::new(&target, kernel, r));
                (
                    expect.matches(&outcome),
                    Observed::Outcome(Box::new(outcome)),
                    token,
                )
            }
            Err(crash) => (false, Observed::Crash(crash), None),
        };
        Report {
            scenario: scenario.to_string(),
            target,
            kernel,
            srcu,
            checker,
            expected: expect,
            result,
            token,
            matches,
        }
    }

    /// The outcome, if the check ran to one.
    pub fn outcome(&self) -> Option<&Outcome> {
        match &self.result {
            Observed::Outcome(o) => Some(o.as_ref()),
            Observed::Crash(_) => None,
        }
    }

    /// The violation observed, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.outcome().and_then(|o| o.violation.as_ref())
    }

    /// The failing execution's trace (empty when there is none).
    pub fn trace(&self) -> &[TraceEvent] {
        self.outcome().map_or(&[], |o| &o.trace)
    }

    /// The observed verdict in words: `safe`, `violation`, `deadlock`, or `crashed`.
    pub fn observed_text(&self) -> String {
        match &self.result {
            Observed::Outcome(o) => o.observed.to_string(),
            Observed::Crash(_) => "crashed".to_string(),
        }
    }

    /// Executions run (0 for a crash).
    pub fn executions(&self) -> u64 {
        self.outcome().map_or(0, |o| o.executions)
    }

    /// Wall-clock seconds.
    pub fn seconds(&self) -> f64 {
        match &self.result {
            Observed::Outcome(o) => o.seconds,
            Observed::Crash(c) => c.seconds,
        }
    }

    /// The bound in words (`-` for a crash).
    pub fn bound_text(&self) -> String {
        self.outcome()
            .map_or_else(|| "-".to_string(), |o| o.bound.to_string())
    }

    /// The command that replays the failure.
    pub fn replay_command(&self) -> Option<String> {
        self.token.as_ref().map(|t| t.command(&self.target))
    }

    /// "as expected" or "NOT as expected".
    pub fn match_text(&self) -> &'static str {
        if self.matches {
            "as expected"
        } else {
            "NOT as expected"
        }
    }

    /// `✓` or `✗`.
    pub fn mark(&self) -> &'static str {
        if self.matches {
            "✓"
        } else {
            "✗"
        }
    }

    /// The expectation in words.
    pub fn expected_text(&self) -> String {
        expectation(&self.expected)
    }

    /// The full human report: verdict, bound, and for a failure the violation, the trace and
    /// the replay command.
    pub fn human(&self) -> String {
        let mut s = format!(
            "{} {}: {} on {} with {}: expected {}, observed {}\n",
            self.mark(),
            self.match_text(),
            self.scenario,
            self.kernel,
            self.checker,
            self.expected.verdict,
            self.observed_text(),
        );
        s.push_str(&format!("  expected: {}\n", self.expected_text()));
        s.push_str(&self.explored());
        s.push_str(&self.failure_details());
        s
    }

    /// `  explored: N executions in T s (bound)`, or what happened to the check's process.
    pub fn explored(&self) -> String {
        match &self.result {
            Observed::Outcome(o) => format!(
                "  explored: {} executions in {:.3} s ({})\n",
                o.executions, o.seconds, o.bound
            ),
            Observed::Crash(c) => format!(
                "  crashed: the check's process gave no result after {:.3} s: {c}\n",
                c.seconds
            ),
        }
    }

    /// For a failure: the violation sentence, the trace with the violating step marked, and
    /// the replay command. Empty when the check observed no failure.
    pub fn failure_details(&self) -> String {
        let Some(outcome) = self.outcome() else {
            return String::new();
        };
        failure_details(outcome, self.replay_command().as_deref())
    }
}

/// The violation of `outcome`, its trace with the violating step marked, and the replay
/// command (`replay`); empty when it has no violation.
pub fn failure_details(outcome: &Outcome, replay: Option<&str>) -> String {
    let Some(v) = &outcome.violation else {
        return String::new();
    };
    let mut s = format!("\n  violation: {v}\n");
    s.push_str(&trace_text(&outcome.trace, v));
    match replay {
        Some(r) => s.push_str(&format!("\n  replay: {r}\n")),
        None => s.push_str("\n  replay: none\n"),
    }
    s
}

/// The trace as columns, the violating step marked (empty when there is no trace).
pub fn trace_text(trace: &[TraceEvent], v: &Violation) -> String {
    let note = format!("{} here", v.kind);
    let mark = v.step.map(|step| (step, note.as_str()));
    columns("trace (one column per thread)", trace, mark)
}

/// `trace` as columns under `title`, `mark`'s step marked (empty when there is no trace).
pub fn columns(title: &str, trace: &[TraceEvent], mark: Option<(usize, &str)>) -> String {
    if trace.is_empty() {
        return String::new();
    }
    let mut s = format!("\n  {title}:\n");
    for line in render_columns(trace, mark).lines() {
        s.push_str(&format!("    {}\n", line.trim_end()));
    }
    s
}

/// An expectation in words: `safe`, `violation: use-after-free in f (site) of obj`, or
/// `safe (blind: why)`.
pub fn expectation(e: &Expectation) -> String {
    let mut s = e.verdict.to_string();
    if let Some(v) = &e.violation {
        s.push_str(&expected_violation(v));
    }
    if let Some(why) = e.blind {
        s.push_str(&format!(" (blind: {why})"));
    }
    s
}

fn expected_violation(e: &ExpectedViolation) -> String {
    let mut s = format!(": {} in {}", e.kind, e.function);
    if let Some(site) = e.site {
        s.push_str(&format!(" ({site})"));
    }
    if let Some(obj) = e.object {
        s.push_str(&format!(" of {obj}"));
    }
    s
}

/// Writes `text` to stdout. A closed pipe (`notifier-check list | head`) ends the output
/// quietly instead of panicking.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Writes `value` as one line of JSON to stdout.
pub fn print_json(value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(json) => print(&format!("{json}\n")),
        Err(e) => eprintln!("notifier-check: could not encode the result as JSON: {e}"),
    }
}
