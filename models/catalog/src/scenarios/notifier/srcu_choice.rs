//! The per-check choice of what runs SRCU's readers and grace periods in the notifier
//! scenarios: the kernel version's own algorithm, or the SRCU specification
//! ([`notifier_core::srcu::spec`]). A process-wide choice, set by `check --srcu` in the child
//! process of one check (`__child --srcu ...`); everywhere else the kernel version decides.

use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelConfig;
use std::sync::Mutex;

static CHOICE: Mutex<Option<SrcuImpl>> = Mutex::new(None);

/// Runs every notifier scenario built from now on, in this process, on `imp` (`None`: the
/// kernel version's own SRCU).
pub fn set_srcu(imp: Option<SrcuImpl>) {
    *CHOICE.lock().unwrap_or_else(|e| e.into_inner()) = imp;
}

/// The choice made with [`set_srcu`].
pub fn chosen() -> Option<SrcuImpl> {
    *CHOICE.lock().unwrap_or_else(|e| e.into_inner())
}

/// `config` with the SRCU of [`set_srcu`].
pub(crate) fn apply(mut config: KernelConfig) -> KernelConfig {
    if let Some(imp) = chosen() {
        config.srcu = imp;
    }
    config
}
