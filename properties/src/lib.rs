//! `notifier-properties`: the oracles that judge an execution of the kernel model.
//!
//! Each oracle reads the events of one execution as they are recorded and never calls into a
//! backend, so judging adds no scheduling point and works the same under every checker.
//! - [`MemoryOracle`]: use-after-free, double free, leak;
//! - [`SrcuOracle`]: the three SRCU guarantees (grace period, callback, barrier);
//! - [`ContractOracle`]: the notifier contracts (exit waits for `->release`, nothing of a
//!   notifier runs after `mmu_notifier_unregister` returns, `mm_count` stays within its pins).

mod contracts;
mod memory;
mod srcu;

pub use contracts::ContractOracle;
pub use memory::MemoryOracle;
pub use srcu::SrcuOracle;

use notifier_core::Oracle;

/// The oracles every execution is judged by: memory, SRCU, then the notifier contracts.
pub fn standard_oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        Box::new(MemoryOracle::new()),
        Box::new(SrcuOracle::new()),
        Box::new(ContractOracle::new()),
    ]
}
