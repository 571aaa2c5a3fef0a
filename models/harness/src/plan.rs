//! A check as one value: what to run (the target), on which kernel (its version and, for the
//! ordering explorer, where `srcu_read_unlock` is placed), with which checker and budget or
//! which replay, and whether executions are traced. A parent process hands its child a
//! [`Plan`] as JSON, and everything the child does follows from it:
//!
//! ```json
//! {"target": {"catalogue": "S2"},
//!  "kernel": {"version": "v3.17", "placements": {"release": "after-spin-lock"}},
//!  "run": {"check": {"checker": "loom", "preemption_bound": 2, "iterations": 1,
//!                    "seed": 1, "pct_depth": 3}},
//!  "traced": true}
//! ```
//!
//! or, for a replay, `"run": {"replay": "shuttle-pct/91023d…/use-after-free@67/…"}`.

use crate::check::{CheckSpec, CheckerKind};
use crate::runner::replay::CheckerReplay;
use notifier_core::srcu::SrcuImpl;
use notifier_core::{KernelConfig, KernelVersion, ReleaseUnlock, UnregisterUnlock};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// One check or replay, in full.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// What is checked.
    pub target: Target,
    /// The kernel it runs on.
    pub kernel: KernelPlan,
    /// A check under a budget, or a replay.
    pub run: Run,
    /// Whether executions are traced and judged by the oracles (only `bench` turns this off,
    /// to measure what it costs: see [`notifier_core::Execution::untraced`]).
    pub traced: bool,
    /// loom: whether the distinct Mazurkiewicz traces are counted (only `bench` does).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub count_traces: bool,
}

impl Plan {
    /// The checker the plan runs.
    pub fn checker(&self) -> CheckerKind {
        self.run.checker()
    }
}

/// What a plan checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// A scenario of the built-in catalogue, by id: `{"catalogue": "S2"}`.
    Catalogue(String),
    /// A scenario file: `{"file": "fuzz-failures/uaf.toml"}`.
    File(PathBuf),
    /// A check written in a test with [`crate::Builder::check`], by its place in the code:
    /// `{"check": "tests/config.rs:40:10"}` (its program is the test's closure, so only the
    /// test's own binary can run it).
    Check(String),
}

/// A check under a budget, or a replay of a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Run {
    /// Explore as the spec says, until the first failure: `{"check": {...}}`.
    Check(CheckSpec),
    /// Find one failing execution again: `{"replay": "<checker replay>"}`.
    Replay(CheckerReplay),
}

impl Run {
    /// The checker that runs.
    pub fn checker(&self) -> CheckerKind {
        match self {
            Run::Check(spec) => spec.checker,
            Run::Replay(replay) => replay.checker(),
        }
    }
}

/// The kernel a plan runs on: a version, with the placements of `srcu_read_unlock` that the
/// ordering explorer moves (absent: the version's own), and the SRCU the notifier scenarios
/// run on (absent: the version's own; `"srcu": "spec"`: the SRCU specification).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KernelPlan {
    /// The kernel version.
    pub version: KernelVersion,
    /// Placements that replace the version's own.
    #[serde(default, skip_serializing_if = "Placements::is_empty")]
    pub placements: Placements,
    /// The SRCU that replaces the version's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub srcu: Option<SrcuImpl>,
}

impl KernelPlan {
    /// The version as it is.
    pub fn version(version: KernelVersion) -> Self {
        KernelPlan {
            version,
            placements: Placements::default(),
            srcu: None,
        }
    }

    /// The version on the SRCU `srcu` (the version's own when `None`).
    pub fn on_srcu(version: KernelVersion, srcu: Option<SrcuImpl>) -> Self {
        KernelPlan {
            srcu,
            ..KernelPlan::version(version)
        }
    }

    /// The version's kernel configuration with the SRCU chosen (but not the placements)
    /// applied: for the scenarios that fix their own placements.
    pub fn config_without_placements(&self) -> KernelConfig {
        let config = self.version.config();
        match self.srcu {
            Some(imp) => config.with_srcu(imp),
            None => config,
        }
    }

    /// The version's kernel configuration with the placements and the SRCU chosen applied.
    pub fn config(&self) -> KernelConfig {
        let mut config = self.config_without_placements();
        if let Some(r) = self.placements.release {
            config.release_unlock = r;
        }
        if let Some(u) = self.placements.unregister {
            config.unregister_unlock = u;
        }
        config
    }
}

/// Where `__mmu_notifier_release` and `mmu_notifier_unregister` call `srcu_read_unlock`, when
/// not where the kernel version has it. In JSON by name: `{"release": "after-spin-lock"}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Placements {
    /// `__mmu_notifier_release`'s `srcu_read_unlock`.
    #[serde(default, with = "release", skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseUnlock>,
    /// `mmu_notifier_unregister`'s `srcu_read_unlock`.
    #[serde(default, with = "unregister", skip_serializing_if = "Option::is_none")]
    pub unregister: Option<UnregisterUnlock>,
}

impl Placements {
    /// Whether the version's own placements stand.
    pub fn is_empty(&self) -> bool {
        self.release.is_none() && self.unregister.is_none()
    }
}

/// The release placement called `name` (as [`ReleaseUnlock::name`] spells it). Hidden: the
/// CLI's `explore-orderings` parses its arguments with it.
#[doc(hidden)]
pub fn release_unlock(name: &str) -> Result<ReleaseUnlock, String> {
    by_name(name, &ReleaseUnlock::ALL, |p| p.name())
}

/// The unregister placement called `name` (as [`UnregisterUnlock::name`] spells it). Hidden:
/// as [`release_unlock`].
#[doc(hidden)]
pub fn unregister_unlock(name: &str) -> Result<UnregisterUnlock, String> {
    by_name(name, &UnregisterUnlock::ALL, |p| p.name())
}

fn by_name<T: Copy>(name: &str, all: &[T], name_of: fn(T) -> &'static str) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|&p| name_of(p) == name)
        .ok_or_else(|| {
            let known: Vec<&str> = all.iter().map(|&p| name_of(p)).collect();
            format!("unknown placement '{name}' (known: {})", known.join(", "))
        })
}

/// Serde of a placement by its name.
macro_rules! by_name_serde {
    ($module:ident, $ty:ty, $parse:path) => {
        mod $module {
            use serde::{de::Error, Deserialize, Deserializer, Serializer};

            pub(super) fn serialize<S: Serializer>(
                p: &Option<$ty>,
                s: S,
            ) -> Result<S::Ok, S::Error> {
                match p {
                    Some(p) => s.serialize_some(p.name()),
                    None => s.serialize_none(),
                }
            }

            pub(super) fn deserialize<'de, D: Deserializer<'de>>(
                d: D,
            ) -> Result<Option<$ty>, D::Error> {
                Option::<String>::deserialize(d)?
                    .map(|name| $parse(&name).map_err(D::Error::custom))
                    .transpose()
            }
        }
    };
}

by_name_serde!(release, notifier_core::ReleaseUnlock, super::release_unlock);
by_name_serde!(
    unregister,
    notifier_core::UnregisterUnlock,
    super::unregister_unlock
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_round_trips_through_json() {
        let plan = Plan {
            target: Target::Catalogue("S2".to_string()),
            kernel: KernelPlan {
                version: KernelVersion::V3_17,
                placements: Placements {
                    release: Some(ReleaseUnlock::AfterSpinLock),
                    unregister: Some(UnregisterUnlock::AfterUnlink),
                },
                srcu: Some(SrcuImpl::Spec),
            },
            run: Run::Replay("loom/pb=2/exec=7/use-after-free@41".parse().unwrap()),
            traced: false,
            count_traces: true,
        };
        let json = serde_json::to_string(&plan).unwrap();
        assert!(json.contains(r#""srcu":"spec""#), "{json}");
        assert!(
            json.contains(
                r#""placements":{"release":"after-spin-lock","unregister":"after-unlink"}"#
            ),
            "{json}"
        );
        assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
        let config = plan.kernel.config();
        assert_eq!(config.release_unlock, ReleaseUnlock::AfterSpinLock);
        assert_eq!(config.unregister_unlock, UnregisterUnlock::AfterUnlink);
        assert_eq!(config.srcu, SrcuImpl::Spec);
    }

    #[test]
    fn unknown_placements_and_fields_are_refused() {
        let bad = r#"{"version":"v3.17","placements":{"release":"nowhere"}}"#;
        let e = serde_json::from_str::<KernelPlan>(bad)
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown placement 'nowhere'"), "{e}");
        let extra = r#"{"version":"v3.17","placement":{}}"#;
        assert!(serde_json::from_str::<KernelPlan>(extra).is_err());
    }
}
