//! How checks are shown as text: the report of one check (what was expected, what was
//! observed or why nothing was, the counterexample), and writing to standard output, where a
//! failed write is an error of its own (exit status 5) and a reader that stopped reading (a
//! closed pipe: `notifier-check list | head`) ends the output quietly.

use crate::record::{lines, Record};
use crate::report::Report;
use crate::story::Story;
use crate::Failure;
use notifier_core::trace::render_columns;
use notifier_core::{TraceEvent, Violation};
use std::io::Write;

impl Report {
    /// The full text report: verdict, bound, and for a failure the violation, the trace and
    /// the replay command.
    pub fn human(&self) -> String {
        // A blind check expects and observes "not found (blind)", never "safe".
        let expected = match &self.expected {
            None => "nothing".to_string(),
            Some(_) if self.blind() => crate::report::NOT_FOUND_BLIND.to_string(),
            Some(e) => e.verdict.to_string(),
        };
        let mut s = format!(
            "{} {}: {} on {} with {}: expected {expected}, observed {}\n",
            self.mark(),
            self.match_text(),
            self.heading_subject(),
            self.kernel,
            self.checker,
            self.observed_text(),
        );
        s.push_str(&format!("  expected: {}\n", self.expected_text()));
        s.push_str(&self.explored());
        s.push_str(&self.failure_details());
        s
    }

    /// `  explored: N executions in T s (bound)`, or what happened to the check's process.
    pub fn explored(&self) -> String {
        let o = &self.observed;
        match &o.crash {
            None => {
                let srcu = match (self.srcu, &self.srcu_evidence) {
                    (Some(srcu), Some(evidence)) => format!(", SRCU {srcu}; {evidence}"),
                    (Some(srcu), None) => format!(", SRCU {srcu}"),
                    _ => String::new(),
                };
                format!(
                    "  explored: {} executions in {:.3} s ({}{srcu})\n",
                    o.executions, o.seconds, o.bound
                )
            }
            Some(c) => format!(
                "  crashed: the check's process gave no result after {:.3} s ({}): {c}\n",
                c.seconds, o.bound
            ),
        }
    }

    /// For a failure: the violation sentence, the trace with the violating step marked, and
    /// the replay command. Empty when the check observed no failure.
    pub fn failure_details(&self) -> String {
        let Some(v) = self.violation() else {
            return String::new();
        };
        let mut s = format!("\n  violation: {v}\n");
        s.push_str(&trace_text(self.trace(), v));
        match &self.replay_command {
            Some(r) => s.push_str(&format!("\n  replay: {r}\n")),
            None => s.push_str("\n  replay: none\n"),
        }
        s
    }
}

/// The trace as columns: the setup before the other threads start folded, the violating step
/// and its cause marked, then the steps that explain it (the window, cause and effect). Empty when there is
/// no trace.
pub fn trace_text(trace: &[TraceEvent], v: &Violation) -> String {
    if trace.is_empty() {
        return String::new();
    }
    let story = Story::of(trace, Some(v));
    // The violating step and its cause (the free, the lock's holder): see
    // [`Violation::trace_marks`].
    let marks = v.trace_marks();
    let shown = &trace[story.setup.len..];
    let mut s = String::from("\n  trace (one column per thread):\n");
    if let Some(setup) = &story.setup.summary {
        s.push_str(&format!("    {setup}\n"));
    }
    for line in render_columns(shown, &marks).lines() {
        s.push_str(&format!("    {}\n", line.trim_end()));
    }
    for line in story.explanation() {
        s.push_str(&format!("  {line}\n"));
    }
    s
}

/// `trace` as columns under `title`, nothing marked (empty when there is no trace).
pub fn columns(title: &str, trace: &[TraceEvent]) -> String {
    if trace.is_empty() {
        return String::new();
    }
    let mut s = format!("\n  {title}:\n");
    for line in render_columns(trace, &[]).lines() {
        s.push_str(&format!("    {}\n", line.trim_end()));
    }
    s
}

/// Writes `text` to standard output. A closed pipe ends the output quietly; any other failed
/// write (a full disk: `list > /dev/full`) is an output error.
pub fn print(text: &str) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Output(format!(
            "cannot write to standard output: {e}"
        ))),
    }
}

/// Writes `records` to standard output, one JSON object per line.
pub fn print_records(records: impl IntoIterator<Item = Record>) -> Result<(), Failure> {
    print(&lines(records))
}
