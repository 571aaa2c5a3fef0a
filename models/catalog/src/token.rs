//! Replay tokens: the readable string that finds a failing execution of a catalogue scenario
//! again. A token is `<scenario>/<kernel>/<checker part>` (the checker part is
//! [`CheckerReplay`]), and the command that replays it is `notifier-check replay <token>`.

use notifier_core::KernelVersion;
use notifier_harness::runner::replay::abbreviate;
use notifier_harness::runner::CheckerReplay;
use std::fmt;
use std::str::FromStr;

/// The name of the command line program, as replay commands spell it.
pub const PROGRAM: &str = "notifier-check";

impl ReplayToken {
    /// The token with a long schedule abbreviated, for headings (not for replaying).
    pub fn short(&self) -> String {
        match &self.checker {
            CheckerReplay::Shuttle { checker, schedule } => {
                let (scenario, kernel) = (&self.scenario, self.kernel);
                format!("{scenario}/{kernel}/{checker}/{}", abbreviate(schedule))
            }
            CheckerReplay::Loom { .. } => self.to_string(),
        }
    }
}

/// A full replay token: which scenario, on which kernel, and how its checker finds the failing
/// execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayToken {
    /// The scenario id.
    pub scenario: String,
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The checker's part.
    pub checker: CheckerReplay,
}

impl ReplayToken {
    /// The command that replays this token: `notifier-check replay <token>`.
    pub fn command(&self) -> String {
        format!("{PROGRAM} replay {self}")
    }
}

impl fmt::Display for ReplayToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.scenario, self.kernel, self.checker)
    }
}

impl FromStr for ReplayToken {
    type Err = String;

    /// Parses `<scenario>/<kernel>/<checker part>`. The scenario is not looked up here.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let shown = abbreviate(s);
        let mut parts = s.splitn(3, '/');
        let (Some(scenario), Some(kernel), Some(checker)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "malformed replay token '{s}': expected <scenario>/<kernel>/<checker>/..."
            ));
        };
        if scenario.is_empty() {
            return Err(format!(
                "malformed replay token '{shown}': the scenario is empty"
            ));
        }
        let kernel = kernel
            .parse()
            .map_err(|e| format!("malformed replay token '{shown}': {e}"))?;
        let checker = checker
            .parse()
            .map_err(|e| format!("malformed replay token: {e}"))?;
        Ok(ReplayToken {
            scenario: scenario.to_string(),
            kernel,
            checker,
        })
    }
}
