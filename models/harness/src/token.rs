//! [`Token`]: the replay token of a check, as its failure report prints it and
//! [`crate::replay`] takes it.

use crate::runner::replay::{abbreviate, CheckerReplay};
use notifier_core::KernelVersion;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// How to find a check's failing execution again: the kernel version it ran and the checker's
/// replay, as one readable string: `v5.4/loom/pb=2/exec=7/use-after-free@41/in=reader/...`
/// or `v5.4/shuttle-pct/<schedule>/use-after-free@23/...` (see [`CheckerReplay`] for the
/// parts). Given to [`crate::replay`] with the same closure, it runs that execution again and
/// says whether it showed the same violation at the same step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The kernel version the check ran.
    pub kernel: KernelVersion,
    /// The checker's part.
    pub replay: CheckerReplay,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kernel, self.replay)
    }
}

impl FromStr for Token {
    type Err = String;

    /// Parses what `Display` writes; anything else is a one-line error.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (kernel, replay) = s.split_once('/').ok_or_else(|| {
            format!(
                "'{}' is not a replay token (<kernel>/<checker>/.../<failure>)",
                abbreviate(s)
            )
        })?;
        Ok(Token {
            kernel: kernel.parse()?,
            replay: replay.parse()?,
        })
    }
}

impl Serialize for Token {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Token {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_round_trips_and_bad_ones_are_one_line_errors() {
        let text =
            "v5.4/loom/pb=2/exec=7/use-after-free@41/in=reader/at=srcu_dereference/of=config+A";
        let token: Token = text.parse().unwrap();
        assert_eq!(token.kernel, KernelVersion::V5_4);
        assert_eq!(token.to_string(), text);
        for (bad, why) in [
            ("", "is not a replay token"),
            (
                "v9.9/loom/pb=2/exec=7/leak",
                "unknown kernel version 'v9.9'",
            ),
            ("v5.4/loom/pb=2/exec=7", "has no failure part"),
            ("v5.4/shuttle-pct/zz/leak", "is not a shuttle schedule"),
        ] {
            let e = bad.parse::<Token>().unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
            assert!(!e.contains('\n'), "{e}");
        }
    }
}
