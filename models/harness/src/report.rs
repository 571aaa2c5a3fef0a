//! [`Report`]: what a check found, with how it ran, and the assertions a test makes on it;
//! [`Expected`]: the violation a must-fail check must find.

use crate::builder::{EnvSetting, Isolation};
use crate::check::Verdict;
use crate::outcome::Outcome;
use crate::plan::{Plan, Run, Target};
use crate::runner::child::Crash;
use crate::runner::replay::{judge, ReplayVerdict};
use crate::token::Token;
use notifier_core::trace::render_columns;
use notifier_core::{Violation, ViolationKind};
use std::fmt;

/// The violation a check must find: its kind, and as much of where as matters (the object,
/// the function, the innermost operation, the thread).
///
/// ```
/// use notifier_harness::prelude::*;
///
/// let expected = Expected::new(ViolationKind::UseAfterFree)
///     .on("config A")
///     .in_function("reader");
/// assert_eq!(expected.to_string(), "use-after-free of config A in reader");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    kind: ViolationKind,
    object: Option<String>,
    function: Option<String>,
    site: Option<String>,
    thread: Option<String>,
}

impl Expected {
    /// A violation of kind `kind`, anywhere.
    pub fn new(kind: ViolationKind) -> Self {
        Expected {
            kind,
            object: None,
            function: None,
            site: None,
            thread: None,
        }
    }

    /// ... of the object named `object` (`"config A"`, `"notifier A"`).
    pub fn on(mut self, object: impl Into<String>) -> Self {
        self.object = Some(object.into());
        self
    }

    /// ... reported in `function`: the outermost function the thread had entered (a kernel
    /// API function, or one of the test's own named with [`notifier_core::Task::enter`]).
    pub fn in_function(mut self, function: impl Into<String>) -> Self {
        self.function = Some(function.into());
        self
    }

    /// ... at `site`: the innermost operation (`srcu_dereference`, `hlist_del_init_rcu`).
    pub fn at(mut self, site: impl Into<String>) -> Self {
        self.site = Some(site.into());
        self
    }

    /// ... by the thread named `thread`.
    pub fn by(mut self, thread: impl Into<String>) -> Self {
        self.thread = Some(thread.into());
        self
    }

    /// Whether `v` is this violation.
    pub fn matches(&self, v: &Violation) -> bool {
        let same = |want: &Option<String>, got: &str| want.as_deref().is_none_or(|w| w == got);
        v.kind == self.kind
            && same(&self.object, v.object.as_deref().unwrap_or(""))
            && same(&self.function, &v.function)
            && same(&self.site, &v.site)
            && same(&self.thread, &v.thread)
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(o) = &self.object {
            write!(f, " of {o}")?;
        }
        if let Some(func) = &self.function {
            write!(f, " in {func}")?;
        }
        if let Some(s) = &self.site {
            write!(f, " at {s}")?;
        }
        if let Some(t) = &self.thread {
            write!(f, " by thread {t}")?;
        }
        Ok(())
    }
}

/// What a check (or a replay) found, with everything needed to judge it: the plan it ran
/// (checker, bound, kernel), the outcome (verdict, violation, executions, the failing
/// execution's trace, the replay token) or the crash of its process, the environment
/// variables that shaped it, and for a replay whether it reproduced its failure.
///
/// Its `Display` is the failure report the assertions panic with:
///
/// ```text
/// notifier-harness: expected safe, found use-after-free of config A in reader (srcu_dereference) on thread R1 at step 23: ...
///   check: tests/config.rs:40:10, kernel v5.4, in a child process
///   checker: shuttle-pct (1000 iterations, seed 1, PCT depth 3): failed at execution 12 of at most 1000, 0.01 s
///   environment: NOTIFIER_CHECK_ITERATIONS=1000
///   trace (one column per thread):
///     step  | main | R1 | U
///     ...
///   replay token: v5.4/shuttle-pct/91...
///   to run this execution again: notifier_harness::replay("<token>", <the check's closure>)
/// ```
#[derive(Debug, Clone)]
pub struct Report {
    plan: Plan,
    result: Result<Outcome, Crash>,
    isolation: Isolation,
    environment: Vec<EnvSetting>,
    replay: Option<ReplayVerdict>,
}

impl Report {
    pub(crate) fn new(
        plan: Plan,
        result: Result<Outcome, Crash>,
        isolation: Isolation,
        environment: Vec<EnvSetting>,
    ) -> Self {
        let replay = match (&plan.run, &result) {
            (Run::Replay(r), Ok(outcome)) => Some(judge(r, outcome)),
            _ => None,
        };
        Report {
            plan,
            result,
            isolation,
            environment,
            replay,
        }
    }

    /// The plan that ran: checker, budget or replay, kernel version.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// What the checker observed (`None`: the check's process crashed).
    pub fn outcome(&self) -> Option<&Outcome> {
        self.result.as_ref().ok()
    }

    /// The crash of the check's process, if it ended without an outcome (a loom abort before
    /// any failure, a time limit).
    pub fn crash(&self) -> Option<&Crash> {
        self.result.as_ref().err()
    }

    /// The violation found, if any.
    pub fn violation(&self) -> Option<&Violation> {
        self.outcome().and_then(|o| o.violation.as_ref())
    }

    /// Whether every execution the checker ran was safe.
    pub fn is_safe(&self) -> bool {
        self.outcome().is_some_and(|o| o.observed == Verdict::Safe)
    }

    /// The token that finds the failing execution again ([`crate::replay`]), if there is one.
    pub fn token(&self) -> Option<Token> {
        let replay = self.outcome()?.replay.clone()?;
        Some(Token {
            kernel: self.plan.kernel.version,
            replay,
        })
    }

    /// For a replay: whether it showed the token's violation at the token's step.
    pub fn replay_verdict(&self) -> Option<&ReplayVerdict> {
        self.replay.as_ref()
    }

    /// The environment variables that were set, and whether each was applied.
    pub fn environment(&self) -> &[EnvSetting] {
        &self.environment
    }

    /// Where the check ran.
    pub fn isolation(&self) -> Isolation {
        self.isolation
    }

    /// Panics with the report unless every execution was safe. Returns the outcome (its
    /// executions and bound are what the "safe" is relative to).
    #[track_caller]
    pub fn assert_safe(&self) -> &Outcome {
        match self.outcome() {
            Some(o) if o.observed == Verdict::Safe => o,
            _ => self.fail("expected safe"),
        }
    }

    /// Panics with the report unless the check found `expected`. Returns the violation.
    #[track_caller]
    pub fn assert_violation(&self, expected: &Expected) -> &Violation {
        match self.violation() {
            Some(v) if expected.matches(v) => v,
            _ => self.fail(&format!("expected {expected}")),
        }
    }

    /// For a replay: panics with the report unless it showed the token's violation at the
    /// token's step. Returns the violation.
    #[track_caller]
    pub fn assert_reproduced(&self) -> &Violation {
        match (&self.replay, self.violation()) {
            (Some(ReplayVerdict::Reproduced), Some(v)) => v,
            (None, _) if !matches!(self.plan.run, Run::Replay(_)) => self
                .fail("assert_reproduced is for a replay (Builder::replay), and this is a check"),
            _ => self.fail("expected the replay to reproduce its failure"),
        }
    }

    #[track_caller]
    fn fail(&self, expected: &str) -> ! {
        panic!("notifier-harness: {expected}, {self}")
    }

    /// "found ...": what the check found, in one line.
    fn found(&self) -> String {
        let Some(o) = self.outcome() else {
            let crash = self.crash().map(|c| c.message.clone()).unwrap_or_default();
            return format!("found no outcome: the check's process {crash}");
        };
        let mut found = match &o.violation {
            Some(v) => format!("found {}", describe(v)),
            None => format!("found {}", o.observed),
        };
        if let Some(verdict) = &self.replay {
            found = format!("replay {verdict}; {found}");
        }
        found
    }
}

/// A violation in one line: `use-after-free of config A in reader (srcu_dereference) on
/// thread R1 at step 23: <message>`, leaving out the parts it does not have.
fn describe(v: &Violation) -> String {
    let mut s = v.kind.to_string();
    if let Some(o) = &v.object {
        s.push_str(&format!(" of {o}"));
    }
    match (v.function.as_str(), v.site.as_str()) {
        ("", "") => {}
        (f, s2) if s2.is_empty() || s2 == f => s.push_str(&format!(" in {f}")),
        ("", s2) => s.push_str(&format!(" at {s2}")),
        (f, s2) => s.push_str(&format!(" in {f} ({s2})")),
    }
    if !v.thread.is_empty() {
        s.push_str(&format!(" on thread {}", v.thread));
    }
    if let Some(step) = v.step {
        s.push_str(&format!(" at step {step}"));
    }
    s.push_str(&format!(": {}", v.message));
    s
}

impl fmt::Display for Report {
    /// The full report: what was found, the check's place and settings, the environment, the
    /// failing execution's trace and its replay token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.found())?;
        let site = match &self.plan.target {
            Target::Check(site) => site.as_str(),
            _ => "",
        };
        let place = match self.isolation {
            Isolation::Process => "in a child process",
            Isolation::InProcess => "in the test's process",
        };
        writeln!(
            f,
            "  check: {site}, kernel {}, {place}",
            self.plan.kernel.version
        )?;
        match self.outcome() {
            Some(o) => {
                let ran = match (o.observed, o.executions) {
                    (Verdict::Safe, 1) => "1 execution, safe".to_string(),
                    (Verdict::Safe, n) => format!("{n} executions, all safe"),
                    (_, n) => format!("failed at execution {n}"),
                };
                writeln!(
                    f,
                    "  checker: {} ({}): {ran}, {:.2} s",
                    self.plan.checker(),
                    o.bound,
                    o.seconds
                )?;
            }
            None => writeln!(f, "  checker: {}", self.plan.checker())?,
        }
        if !self.environment.is_empty() {
            let vars: Vec<String> = self.environment.iter().map(ToString::to_string).collect();
            writeln!(f, "  environment: {}", vars.join(", "))?;
        }
        let Some(o) = self.outcome() else {
            return Ok(());
        };
        if !o.trace.is_empty() {
            writeln!(f, "  trace (one column per thread):")?;
            let marks: Vec<(usize, String)> = o
                .violation
                .as_ref()
                .and_then(|v| Some((v.step?, format!("{} here", v.kind))))
                .into_iter()
                .collect();
            for line in render_columns(&o.trace, &marks).lines() {
                writeln!(f, "    {}", line.trim_end())?;
            }
        }
        if let Some(token) = self.token() {
            writeln!(f, "  replay token: {token}")?;
            writeln!(
                f,
                "  to run this execution again: notifier_harness::replay(\"<token>\", <the \
                 check's closure>).assert_reproduced()"
            )?;
        }
        Ok(())
    }
}
