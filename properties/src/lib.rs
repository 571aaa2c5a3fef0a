//! `notifier-properties`: the oracles that judge an execution of the kernel model.
//!
//! Each oracle reads the events of one execution as they are recorded and never calls into a
//! backend, so judging adds no scheduling point and works the same under every checker.
//! - [`MemoryOracle`]: use-after-free, double free, leak;
//! - [`SrcuOracle`]: the three SRCU guarantees (grace period, callback, barrier);
//! - [`ContractOracle`]: the notifier contracts (exit waits for `->release`, nothing of a
//!   notifier runs after `mmu_notifier_unregister` returns, `mm_count` stays within its pins);
//! - [`UnloadOracle`]: nothing calls into a driver after its module is unloaded;
//! - [`GetPutOracle`]: the v5.4 get/put contracts (one notifier per (mm, ops), `users`,
//!   `free_notifier` once after the last put and a grace period, `mmu_notifier_synchronize`);
//! - [`RangeOracle`]: `invalidate_range_start` and `invalidate_range_end` are paired.

#![warn(missing_docs)]

mod contracts;
mod getput;
mod memory;
mod ranges;
mod srcu;
mod unload;

pub use contracts::ContractOracle;
pub use getput::GetPutOracle;
pub use memory::MemoryOracle;
pub use ranges::RangeOracle;
pub use srcu::SrcuOracle;
pub use unload::UnloadOracle;

use notifier_core::Oracle;

/// The oracles every execution is judged by: memory, SRCU, the notifier contracts, module
/// unload, then get/put (so a late `free_notifier` after an unload is reported as the call
/// after unload it is), then the range pairing.
pub fn standard_oracles() -> Vec<Box<dyn Oracle>> {
    vec![
        Box::new(MemoryOracle::new()),
        Box::new(SrcuOracle::new()),
        Box::new(ContractOracle::new()),
        Box::new(UnloadOracle::new()),
        Box::new(GetPutOracle::new()),
        Box::new(RangeOracle::new()),
    ]
}
