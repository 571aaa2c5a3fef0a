//! What each built-in check must show (its verdict, and for a failure the violation and where)
//! and the default budgets it runs with. The vocabulary of the catalogue and of scenario files:
//! a test's own check states what it expects with [`notifier_harness::Expected`].

use notifier_core::{Violation, ViolationKind};
use notifier_harness::{Outcome, Verdict};
use serde::Serialize;
use std::borrow::Cow;

/// The violation a failing check must report: its kind, and where (a check that fails
/// elsewhere, or for another reason, does not match). The catalogue's are string literals; a
/// scenario file's are its own strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectedViolation {
    /// The kind.
    pub kind: ViolationKind,
    /// The kernel function it must be reported in; `a|b` accepts either, for scenarios whose
    /// first failing execution may legitimately be found in more than one thread.
    pub function: Cow<'static, str>,
    /// The innermost operation, if it matters; `a|b` accepts either (a walker's race found in
    /// its start walk or its end walk).
    pub site: Option<Cow<'static, str>>,
    /// The object, if it matters ("notifier A"); `a|b` accepts either, for scenarios in
    /// which either of two objects may be the one the violation concerns.
    pub object: Option<Cow<'static, str>>,
}

impl ExpectedViolation {
    /// Whether `v` is this violation.
    pub fn matches(&self, v: &Violation) -> bool {
        self.matches_place(v.kind, &v.function, &v.site)
            && self
                .object
                .as_deref()
                .is_none_or(|o| o.split('|').any(|o| v.object.as_deref() == Some(o)))
    }

    /// Whether a violation of `kind` reported in `function` at `site` is this one, whatever
    /// object it concerns.
    pub fn matches_place(&self, kind: ViolationKind, function: &str, site: &str) -> bool {
        kind == self.kind
            && self.function.split('|').any(|f| function == f)
            && self
                .site
                .as_deref()
                .is_none_or(|s| s.split('|').any(|s| site == s))
    }
}

/// What one scenario × kernel × checker is expected to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// The verdict.
    pub verdict: Verdict,
    /// For a violation or a deadlock: which, and where.
    pub violation: Option<ExpectedViolation>,
    /// When the checker cannot see the property: why (the verdict is then what it does
    /// observe, usually `safe`, and the check asserts exactly that).
    pub blind: Option<&'static str>,
}

impl Expectation {
    /// Expected safe.
    pub fn safe() -> Self {
        Expectation {
            verdict: Verdict::Safe,
            violation: None,
            blind: None,
        }
    }

    /// Expected to fail with `v`.
    pub fn violation(v: ExpectedViolation) -> Self {
        let verdict = if v.kind == ViolationKind::Deadlock {
            Verdict::Deadlock
        } else {
            Verdict::Violation
        };
        Expectation {
            verdict,
            violation: Some(v),
            blind: None,
        }
    }

    /// The checker cannot see the property, for `reason`; it must observe `safe`.
    pub fn blind(reason: &'static str) -> Self {
        Expectation {
            verdict: Verdict::Safe,
            violation: None,
            blind: Some(reason),
        }
    }

    /// Whether an outcome matches this expectation (verdict, and the violation's kind and
    /// place when one is expected).
    pub fn matches(&self, o: &Outcome) -> bool {
        if o.observed != self.verdict {
            return false;
        }
        match (&self.violation, &o.violation) {
            (None, _) => true,
            (Some(e), Some(v)) => e.matches(v),
            (Some(_), None) => false,
        }
    }
}

/// Default budgets of a scenario, chosen to finish in CI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// loom's preemption bound (`None`: unbounded).
    pub preemption_bound: Option<usize>,
    /// shuttle iterations.
    pub iterations: usize,
    /// PCT depth.
    pub pct_depth: usize,
}
