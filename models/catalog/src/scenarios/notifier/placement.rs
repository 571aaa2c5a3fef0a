//! The ordering explorer's knob on the notifier scenarios: a process-wide choice of where
//! `__mmu_notifier_release` and `mmu_notifier_unregister` call `srcu_read_unlock`, applied to
//! the kernel configuration of every scenario that takes it from [`super::world::config`].
//!
//! Only `notifier-check explore-orderings` sets it, in the child process of one check (`__child
//! --release-unlock ... --unregister-unlock ...`); everywhere else the kernel version decides.

use notifier_core::{KernelConfig, ReleaseUnlock, UnregisterUnlock};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Placements that replace the kernel version's own.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Placements {
    /// `__mmu_notifier_release`'s `srcu_read_unlock`.
    pub release: Option<ReleaseUnlock>,
    /// `mmu_notifier_unregister`'s `srcu_read_unlock`.
    pub unregister: Option<UnregisterUnlock>,
}

static OVERRIDE: Mutex<Placements> = Mutex::new(Placements {
    release: None,
    unregister: None,
});

/// How many kernel configurations were made through [`apply`]: a scenario whose `build`
/// changes this count takes its configuration from the version, so the explorer can move its
/// `srcu_read_unlock`.
static APPLIED: AtomicUsize = AtomicUsize::new(0);

fn current() -> Placements {
    *OVERRIDE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Replaces the kernel versions' placements from now on, in this process.
pub fn set_override(p: Placements) {
    *OVERRIDE.lock().unwrap_or_else(|e| e.into_inner()) = p;
}

/// `config` with the placements of [`set_override`] applied.
pub(crate) fn apply(mut config: KernelConfig) -> KernelConfig {
    APPLIED.fetch_add(1, Ordering::Relaxed);
    let p = current();
    if let Some(r) = p.release {
        config.release_unlock = r;
    }
    if let Some(u) = p.unregister {
        config.unregister_unlock = u;
    }
    config
}

/// Whether `build` makes its kernel configuration through [`super::world::config`] (and so
/// follows the override). `build` is the scenario's constructor; it only builds the model.
pub fn follows_override(build: impl FnOnce()) -> bool {
    let before = APPLIED.load(Ordering::Relaxed);
    build();
    APPLIED.load(Ordering::Relaxed) != before
}

/// The release placement called `name` (as [`ReleaseUnlock::name`] spells it).
pub fn release_unlock(name: &str) -> Result<ReleaseUnlock, String> {
    ReleaseUnlock::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            let known: Vec<_> = ReleaseUnlock::ALL.iter().map(|p| p.name()).collect();
            format!("unknown placement '{name}' (known: {})", known.join(", "))
        })
}

/// The unregister placement called `name` (as [`UnregisterUnlock::name`] spells it).
pub fn unregister_unlock(name: &str) -> Result<UnregisterUnlock, String> {
    UnregisterUnlock::ALL
        .into_iter()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            let known: Vec<_> = UnregisterUnlock::ALL.iter().map(|p| p.name()).collect();
            format!("unknown placement '{name}' (known: {})", known.join(", "))
        })
}
