//! The kernel versions the model knows, as knobs on the one model.

use crate::mmu_notifier::KernelConfig;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A kernel version whose mmu_notifier and SRCU behaviour the model reproduces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum KernelVersion {
    /// v3.16: `__mmu_notifier_release` drops its SRCU read lock before the unlink loop.
    #[serde(rename = "v3.16")]
    V3_16,
    /// v3.17: commit b972216e27d1 moved `srcu_read_unlock` after the unlink loop, and added
    /// `mmu_notifier_call_srcu`, `mmu_notifier_synchronize` (`srcu_barrier`) and
    /// `mmu_notifier_unregister_no_release`.
    #[serde(rename = "v3.17")]
    V3_17,
    /// v5.4: `mmu_notifier_get`/`mmu_notifier_put` (commit 2c7933f53f6b), registration with
    /// `hlist_add_head_rcu`, `mmu_notifier_synchronize` = `synchronize_srcu`, and Tree SRCU's
    /// per-CPU callback lists (over the classic grace-period algorithm: see
    /// [`KernelConfig::v5_4`]).
    #[serde(rename = "v5.4")]
    V5_4,
}

impl KernelVersion {
    /// Every version, oldest first.
    pub const ALL: [KernelVersion; 3] = [
        KernelVersion::V3_16,
        KernelVersion::V3_17,
        KernelVersion::V5_4,
    ];

    /// The kernel knobs of this version.
    pub fn config(self) -> KernelConfig {
        match self {
            KernelVersion::V3_16 => KernelConfig::v3_16(),
            KernelVersion::V3_17 => KernelConfig::v3_17(),
            KernelVersion::V5_4 => KernelConfig::v5_4(),
        }
    }

    /// `v3.16`, `v3.17`, `v5.4`.
    pub fn as_str(self) -> &'static str {
        match self {
            KernelVersion::V3_16 => "v3.16",
            KernelVersion::V3_17 => "v3.17",
            KernelVersion::V5_4 => "v5.4",
        }
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KernelVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        KernelVersion::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = KernelVersion::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown kernel version '{s}' (known: {})", known.join(", "))
            })
    }
}
