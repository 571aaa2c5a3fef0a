//! `notifier-core`: a model of the Linux kernel's mmu_notifier core and the SRCU beneath it,
//! generic over the sync primitives of a checker (std threads, loom, shuttle).
//!
//! - [`backend`]: the sync-primitive trait and its three backends;
//! - [`exec`], [`trace`], [`violation`]: one execution's threads, event trace and verdict;
//! - [`memory`]: kernel objects with use-after-free detection; [`kbox`]: objects carrying typed
//!   data, every access checked;
//! - [`spinlock`], [`rwsem`], [`mutex`], [`hlist`], [`srcu`]: the kernel primitives the notifier
//!   core stands on;
//! - [`rcu`]: an RCU-protected pointer, for protocols of one's own on SRCU;
//! - [`mm`], [`mmu_notifier`]: `struct mm_struct` and `mm/mmu_notifier.c`;
//! - [`kernel_version`]: the kernel versions the model reproduces, as knobs on the one model.

#![warn(missing_docs)]

pub mod backend;
pub mod exec;
pub mod hlist;
pub mod kbox;
pub mod kernel_version;
pub mod memory;
pub mod mm;
pub mod mmu_notifier;
pub mod mutex;
pub mod rcu;
pub mod rwsem;
pub mod slab;
pub mod spinlock;
pub mod srcu;
#[cfg(test)]
mod testing;
pub mod trace;
pub mod violation;

pub use backend::{Backend, Loom, Shuttle, Std};
pub use exec::{Execution, Log, Oracle, PendingAccess, Task, ViolationPanic};
pub use kbox::KBox;
pub use kernel_version::KernelVersion;
pub use memory::KObj;
pub use mm::MmRef;
pub use mmu_notifier::{
    Errno, FailedStart, Invalidator, Kernel, KernelConfig, MmuNotifierOps, MmuNotifierRange, MnRef,
    OpsId, Publish, Registration, ReleaseUnlock, Synchronize, UnregisterUnlock, WalkerLock,
    USERS_MAX_V5_4,
};
pub use rcu::{KObject, RcuPointer};
pub use trace::{Event, ObjId, Op, ResolvedOp, ThreadId, TraceEvent};
pub use violation::{Violation, ViolationKind};
