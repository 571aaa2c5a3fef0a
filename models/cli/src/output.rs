//! How checks are shown: the report of one check (human and JSON), expectations in words, and
//! writing to stdout without panicking on a closed pipe.

use notifier_core::srcu::SrcuImpl;
use notifier_core::trace::render_columns;
use notifier_core::KernelVersion;
use notifier_core::{TraceLine, Violation};
use notifier_harness::{CheckerKind, Expectation, ExpectedViolation, Outcome, Verdict};
use serde::Serialize;
use std::io::Write;

/// One check: what was expected and what was observed.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The scenario id.
    pub scenario: String,
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The SRCU implementation the check ran (`classic` or `tree`; `null` if it runs none).
    pub srcu: Option<SrcuImpl>,
    /// The checker.
    pub checker: CheckerKind,
    /// The expected verdict.
    pub expected: Verdict,
    /// The expected violation, when one is expected.
    pub expected_violation: Option<ExpectedViolation>,
    /// Why the checker cannot see the property, when it cannot.
    pub blind: Option<&'static str>,
    /// The observed verdict.
    pub observed: Verdict,
    /// The observed violation.
    pub violation: Option<Violation>,
    /// Executions run.
    pub executions: u64,
    /// The bound, in words.
    pub bound: String,
    /// Wall-clock seconds of the check.
    pub seconds: f64,
    /// The command that replays the failure.
    pub replay: Option<String>,
    /// Whether the observation matches the expectation.
    pub matches: bool,
    /// The failing execution's trace.
    pub trace: Vec<TraceLine>,
}

impl Report {
    /// The report of `outcome` against `expect`.
    pub fn new(
        scenario: &str,
        kernel: KernelVersion,
        srcu: Option<SrcuImpl>,
        checker: CheckerKind,
        expect: Expectation,
        outcome: Outcome,
    ) -> Self {
        let matches = expect.matches(&outcome);
        Report {
            scenario: scenario.to_string(),
            kernel,
            srcu,
            checker,
            expected: expect.verdict,
            expected_violation: expect.violation,
            blind: expect.blind,
            observed: outcome.observed,
            violation: outcome.violation,
            executions: outcome.executions,
            bound: outcome.bound,
            seconds: outcome.seconds,
            replay: outcome.replay,
            matches,
            trace: outcome.trace,
        }
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
        expectation_text(self.expected, self.expected_violation.as_ref(), self.blind)
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
            self.expected,
            self.observed,
        );
        s.push_str(&format!("  expected: {}\n", self.expected_text()));
        s.push_str(&format!(
            "  explored: {} executions in {:.3} s ({})\n",
            self.executions, self.seconds, self.bound
        ));
        s.push_str(&self.failure_details());
        s
    }

    /// For a failure: the violation sentence, the trace with the violating step marked, and
    /// the replay command. Empty when the check observed no failure.
    pub fn failure_details(&self) -> String {
        let Some(v) = &self.violation else {
            return String::new();
        };
        let mut s = format!("\n  violation: {v}\n");
        if !self.trace.is_empty() {
            let note = format!("{} here", v.kind);
            let mark = v.step.map(|step| (step, note.as_str()));
            s.push_str("\n  trace (one column per thread):\n");
            for line in render_columns(&self.trace, mark).lines() {
                s.push_str(&format!("    {}\n", line.trim_end()));
            }
        }
        match &self.replay {
            Some(r) => s.push_str(&format!("\n  replay: {r}\n")),
            None => s.push_str("\n  replay: none (the check's process died before reporting)\n"),
        }
        s
    }
}

/// An expectation in words: `safe`, `violation: use-after-free in f (site) of obj`, or
/// `safe (blind: why)`.
pub fn expectation_text(
    verdict: Verdict,
    violation: Option<&ExpectedViolation>,
    blind: Option<&str>,
) -> String {
    let mut s = verdict.to_string();
    if let Some(e) = violation {
        s.push_str(&format!(": {} in {}", e.kind, e.function));
        if let Some(site) = e.site {
            s.push_str(&format!(" ({site})"));
        }
        if let Some(obj) = e.object {
            s.push_str(&format!(" of {obj}"));
        }
    }
    if let Some(why) = blind {
        s.push_str(&format!(" (blind: {why})"));
    }
    s
}

/// The expectation of `e` in words.
pub fn expectation(e: &Expectation) -> String {
    expectation_text(e.verdict, e.violation.as_ref(), e.blind)
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
