//! What a failing execution reports: one structured violation.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The class of a violated property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViolationKind {
    /// An access to a freed kernel object, or one not ordered after its free (loom).
    UseAfterFree,
    /// A second free of a kernel object.
    DoubleFree,
    /// A kernel object still allocated when the execution ended.
    Leak,
    /// Two accesses to a plain field not ordered by happens-before (loom only).
    DataRace,
    /// SRCU guarantee 1: `synchronize_srcu` returned while a read-side section that had begun
    /// before it was called was still running.
    GracePeriod,
    /// SRCU guarantee 2: a callback ran while a read-side section that had begun before its
    /// `call_srcu` was still running.
    EarlyCallback,
    /// SRCU guarantee 3: `srcu_barrier` returned before a callback queued before it had run.
    EarlyBarrier,
    /// A contract of the mmu_notifier API (see `notifier-properties`).
    Contract,
    /// The core called into a driver's code (a method, `alloc_notifier`, `free_notifier`)
    /// after the driver's module was unloaded.
    CallAfterUnload,
    /// No thread can make progress (or a wait can never finish).
    Deadlock,
    /// The model or a checker failed in a way no oracle classifies.
    Panic,
}

impl ViolationKind {
    /// The kebab-case name used in JSON and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationKind::UseAfterFree => "use-after-free",
            ViolationKind::DoubleFree => "double-free",
            ViolationKind::Leak => "leak",
            ViolationKind::DataRace => "data-race",
            ViolationKind::GracePeriod => "grace-period",
            ViolationKind::EarlyCallback => "early-callback",
            ViolationKind::EarlyBarrier => "early-barrier",
            ViolationKind::Contract => "contract",
            ViolationKind::CallAfterUnload => "call-after-unload",
            ViolationKind::Deadlock => "deadlock",
            ViolationKind::Panic => "panic",
        }
    }
}

impl fmt::Display for ViolationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A violated property, located in kernel terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// What was violated.
    pub kind: ViolationKind,
    /// The kernel object concerned ("notifier A"), if any.
    pub object: Option<String>,
    /// The kernel entry point the violating thread was in (`__mmu_notifier_release`).
    pub function: String,
    /// The innermost modelled operation (`hlist_del_init_rcu`).
    pub site: String,
    /// The name of the violating thread (`E`).
    pub thread: String,
    /// Index of the violating event in the execution's trace, if it has one.
    pub step: Option<usize>,
    /// One readable sentence.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.kind)?;
        if let Some(o) = &self.object {
            write!(f, " of {o}")?;
        }
        write!(f, " in {}", self.function)?;
        if !self.site.is_empty() && self.site != self.function {
            write!(f, " ({})", self.site)?;
        }
        if !self.thread.is_empty() {
            write!(f, " on thread {}", self.thread)?;
        }
        if let Some(s) = self.step {
            write!(f, " at step {s}")?;
        }
        write!(f, ": {}", self.message)
    }
}
