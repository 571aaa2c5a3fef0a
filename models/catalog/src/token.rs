//! Replay tokens: the readable string that finds a failing execution of a catalogue scenario
//! (or a scenario file) again. A token is `<scenario>/<kernel>/<checker part>` (the checker part
//! is a [`CheckerReplay`]: how the checker finds the execution, and the failure it shows); a
//! scenario file's token has the scenario part `file`, and the file is named beside it. The
//! command that replays one is `notifier-check replay [--scenario-file F] <token>`.

use notifier_core::KernelVersion;
use notifier_harness::runner::replay::abbreviate;
use notifier_harness::runner::CheckerReplay;
use notifier_harness::{KernelPlan, Plan, Run, Target};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The name of the command line program, as replay commands spell it.
pub const PROGRAM: &str = "notifier-check";

/// The scenario part of a replay token that names a scenario file (`notifier-check replay
/// --scenario-file F file/<kernel>/<checker>/...`).
pub const FILE_TOKEN: &str = "file";

/// A full replay token: which scenario, on which kernel, and how its checker finds the failing
/// execution. Serialised as its string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayToken {
    /// The scenario id (`file` for a scenario file).
    pub scenario: String,
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The checker's part.
    pub checker: CheckerReplay,
}

impl ReplayToken {
    /// The token of a failure of `target` on `kernel`, found again by `checker`.
    pub fn new(target: &Target, kernel: KernelVersion, checker: CheckerReplay) -> Self {
        let scenario = match target {
            Target::Catalogue(id) => id.clone(),
            Target::File(_) => FILE_TOKEN.to_string(),
            // Not made here: a test's own check prints a `notifier_harness::Token`.
            Target::Check(site) => site.clone(),
        };
        ReplayToken {
            scenario,
            kernel,
            checker,
        }
    }

    /// The target the token replays: its scenario, or `file` (a token whose scenario part is
    /// `file` replays the scenario file `file` and nothing else).
    pub fn target(&self, file: Option<&Path>) -> Result<Target, String> {
        match (self.scenario == FILE_TOKEN, file) {
            (true, Some(file)) => Ok(Target::File(file.to_path_buf())),
            (true, None) => Err(format!(
                "token '{}' names a scenario file: pass it with --scenario-file FILE",
                self.short()
            )),
            (false, None) => Ok(Target::Catalogue(self.scenario.clone())),
            (false, Some(_)) => Err(format!(
                "with --scenario-file the token's scenario part is '{FILE_TOKEN}', not '{}'",
                self.scenario
            )),
        }
    }

    /// The plan that replays this token on `target` (see [`ReplayToken::target`]).
    pub fn plan(&self, target: Target) -> Plan {
        Plan {
            target,
            kernel: KernelPlan::version(self.kernel),
            run: Run::Replay(self.checker.clone()),
            traced: true,
            count_traces: false,
        }
    }

    /// The command that replays this token on `target`: `notifier-check replay <token>`, or
    /// `notifier-check replay --scenario-file F <token>`.
    pub fn command(&self, target: &Target) -> String {
        match target {
            Target::Catalogue(_) => format!("{PROGRAM} replay {self}"),
            Target::File(file) => format!(
                "{PROGRAM} replay --scenario-file {} {self}",
                shell_word(&file.display().to_string())
            ),
            Target::Check(site) => {
                format!(
                    "notifier_harness::replay(\"{self}\", <the closure of the check at {site}>)"
                )
            }
        }
    }

    /// The token with a long schedule abbreviated, for headings (not for replaying).
    pub fn short(&self) -> String {
        format!("{}/{}/{}", self.scenario, self.kernel, self.checker.short())
    }
}

/// `s` as one shell word: as it is when it is safe, else in single quotes.
fn shell_word(s: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./+:@%".contains(c);
    if !s.is_empty() && s.chars().all(safe) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
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
                "malformed replay token '{shown}': expected <scenario>/<kernel>/<checker>/..."
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

impl Serialize for ReplayToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReplayToken {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
