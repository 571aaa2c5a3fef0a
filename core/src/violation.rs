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
    /// What made the violation possible, when the trace shows it: for a use-after-free the
    /// free (where, called from what, and for an `mm_struct` which pin was dropped once too
    /// often); for a deadlock what the located thread waits for and who holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
}

impl Violation {
    /// The steps a rendered trace marks: the violating step (`use-after-free here`) and its
    /// cause's (`freed here` for a use-after-free or double free, `held here` for what a
    /// deadlocked thread waits for).
    pub fn trace_marks(&self) -> Vec<(usize, String)> {
        let mut marks = Vec::new();
        if let Some(step) = self.step {
            marks.push((step, format!("{} here", self.kind)));
        }
        if let Some(step) = self.cause.as_ref().and_then(|c| c.step) {
            let note = match self.kind {
                ViolationKind::UseAfterFree | ViolationKind::DoubleFree => "freed here",
                ViolationKind::Deadlock => "held here",
                _ => "cause",
            };
            marks.push((step, note.to_string()));
        }
        marks
    }
}

/// The event behind a violation, located in kernel terms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cause {
    /// What happened, in kernel words (`kfree notifier A`, `spin_lock(mm)`).
    pub what: String,
    /// The thread that did it (`G`).
    pub thread: String,
    /// The kernel entry point it happened in (`mmdrop`).
    pub function: String,
    /// The function that called it (`mmu_notifier_unregister`), or empty at the top level.
    pub caller: String,
    /// The innermost modelled operation.
    pub site: String,
    /// Its step in the execution's trace, if it was recorded.
    pub step: Option<usize>,
    /// More of the story in one sentence (the callback that ran it and who queued it, the pin
    /// dropped twice, who holds what), or empty.
    pub detail: String,
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if !self.thread.is_empty() {
            write!(f, " by {}", self.thread)?;
        }
        if !self.function.is_empty() {
            write!(f, " in {}", self.function)?;
            if !self.site.is_empty()
                && self.site != self.function
                && !self.what.starts_with(&self.site)
            {
                write!(f, " ({})", self.site)?;
            }
        }
        if !self.caller.is_empty() {
            write!(f, " called from {}", self.caller)?;
        }
        if let Some(s) = self.step {
            write!(f, " at step {s}")?;
        }
        if !self.detail.is_empty() {
            write!(f, "; {}", self.detail)?;
        }
        Ok(())
    }
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
        write!(f, ": {}", self.message)?;
        if let Some(c) = &self.cause {
            write!(f, " [cause: {c}]")?;
        }
        Ok(())
    }
}
