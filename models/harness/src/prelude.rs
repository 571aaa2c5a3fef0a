//! Everything a check's closure uses, in one import: `use notifier_harness::prelude::*;`.
//!
//! The settings and assertions ([`Builder`], [`Expected`], [`CheckerKind`]), the world
//! ([`Thread`], [`Kernel`], [`Srcu`], [`KBox`], [`KObj`], [`RcuPointer`], [`Driver`], the
//! [`sync`](crate::world::sync) primitives), the kernel model's vocabulary ([`Task`],
//! [`ViolationKind`], [`KernelVersion`], ...), and the traits whose methods the primitives
//! have (`join`, `load`, `lock`, ...), imported anonymously.

pub use crate::builder::{model, replay, Builder, Isolation};
pub use crate::check::{CheckerKind, Verdict};
pub use crate::report::{Expected, Report};
pub use crate::world::sync::{fence, AtomicBool, AtomicUsize, Cell, Mutex, Ordering};
pub use crate::world::{Driver, JoinHandle, KBox, KObj, Kernel, RcuPointer, Srcu, Thread};
pub use notifier_core::backend::{
    AtomicBoolOps as _, AtomicUsizeOps as _, JoinOps as _, MutexOps as _, RaceCell as _,
    RwLockOps as _,
};
pub use notifier_core::{
    Errno, Invalidator, KernelConfig, KernelVersion, MmRef, MmuNotifierRange, MnRef, OpsId, Task,
    ViolationKind,
};
pub use std::sync::Arc;
