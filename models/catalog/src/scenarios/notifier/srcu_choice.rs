//! The per-check choice of what runs SRCU's readers and grace periods in the notifier
//! scenarios: the kernel version's own algorithm, or the SRCU specification
//! ([`notifier_core::srcu::spec`]). A process-wide choice, set by `check --srcu` in the child
//! process of one check (`__child --srcu ...`); everywhere else the kernel version decides.

use notifier_core::srcu::SrcuImpl;
use notifier_core::{KernelConfig, KernelVersion};
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

/// loom's preemption bound for scenario `id` on the SRCU specification, when it does not
/// finish unbounded within the tests' and the campaign's time (`None`: unbounded).
/// Measured on 2 cores under load (see the README's "what is proved" table).
pub fn spec_bound(id: &str) -> Option<usize> {
    match id {
        // Four threads besides main: S5 did not finish unbounded in 20 minutes (2 cores
        // under load); bound 2 is about 6,000 executions, bound 3 about 36,000 (v3.17).
        "S5" | "G1" => Some(2),
        _ => None,
    }
}

/// The text a verdict on the SRCU specification carries after its bound: what the
/// specification was checked against (the real SRCU's scenarios that are safe, with their
/// loom budgets), e.g. "SRCU spec; spec checked against the kernel's SRCU by srcu-sync
/// (exhaustive), ...".
pub fn spec_evidence(kernel: KernelVersion) -> String {
    use notifier_harness::{CheckerKind, Verdict};
    let checked: Vec<String> = crate::scenarios::srcu::catalog()
        .iter()
        .filter(|s| s.kernels.contains(&kernel))
        .filter(|s| (s.expect)(kernel, CheckerKind::Loom).verdict == Verdict::Safe)
        .map(|s| {
            let bound = match (s.budget)(kernel, CheckerKind::Loom).preemption_bound {
                None => "exhaustive".to_string(),
                Some(n) => format!("preemption bound {n}"),
            };
            format!("{} ({bound})", s.id)
        })
        .collect();
    format!(
        "SRCU spec; spec checked against {kernel}'s SRCU by {}",
        checked.join(", ")
    )
}
