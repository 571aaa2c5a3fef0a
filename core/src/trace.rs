//! The event trace of one execution, in kernel vocabulary.
//!
//! Every modelled kernel operation appends one [`Event`]. Recording never adds a scheduling
//! point: the log is a std mutex held for a push, never across a backend operation.

use serde::{Deserialize, Serialize};

/// Identifies a kernel object allocated in the execution (index into its object table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjId(pub u32);

/// Identifies a thread of the execution (index into its thread table; 0 is `main`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ThreadId(pub u8);

/// One modelled kernel operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The thread that performed it.
    pub thread: ThreadId,
    /// The kernel entry point it happened in (outermost frame), or `""`.
    pub function: &'static str,
    /// The innermost frame (`hlist_del_init_rcu`), or `""`.
    pub site: &'static str,
    /// The frame that called `function` (`mmu_notifier_unregister` for an `mmdrop` it
    /// calls), or `""`.
    pub caller: &'static str,
    /// What happened.
    pub op: Op,
}

/// The operations the trace knows. Indices named `section`, `start` or `call` are the index of
/// the event that opened the matching interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// `kmalloc`: a kernel object comes to life.
    Alloc { obj: ObjId },
    /// `kfree` (or the last `mmdrop`): the object is poisoned.
    Free { obj: ObjId },
    /// A load or store of a field of a kernel object.
    Access {
        obj: ObjId,
        field: &'static str,
        write: bool,
    },
    /// `spin_lock(lock)`, acquired.
    SpinLock { obj: ObjId },
    /// `spin_unlock(lock)`.
    SpinUnlock { obj: ObjId },
    /// A sleeping lock (`mutex_lock`, `down_write`) named `lock`, embedded in `obj`, acquired
    /// by the call `call`.
    LockAcquired {
        obj: ObjId,
        lock: &'static str,
        call: &'static str,
    },
    /// The sleeping lock `lock` of `obj` released by the call `call` (`mutex_unlock`).
    LockReleased {
        obj: ObjId,
        lock: &'static str,
        call: &'static str,
    },
    /// `srcu_read_lock` returned `idx`; the event index names the read-side section.
    SrcuReadLock { idx: usize, cpu: usize },
    /// `srcu_read_unlock(idx)` called for the section opened at event `section`.
    SrcuReadUnlock {
        idx: usize,
        cpu: usize,
        section: usize,
    },
    /// `synchronize_srcu` called.
    SynchronizeSrcu,
    /// `synchronize_srcu` (called at event `start`) returns.
    SynchronizeSrcuDone { start: usize },
    /// The grace period flipped the index: `completed` is now this value.
    SrcuFlip { completed: usize },
    /// The readers of `idx` were seen stably gone.
    SrcuReadersGone { idx: usize },
    /// `call_srcu` called; the event index names the callback.
    CallSrcu,
    /// `call_srcu` (called at event `call`) has queued its callback and returns.
    CallSrcuDone { call: usize },
    /// The SRCU worker invokes the callback queued at event `call`.
    CallbackStart { call: usize },
    /// The callback queued at event `call` has returned.
    CallbackDone { call: usize },
    /// `srcu_barrier` called.
    SrcuBarrier,
    /// `srcu_barrier` (called at event `start`) returns.
    SrcuBarrierDone { start: usize },
    /// A wait loop begins (`what` waits for something another thread does).
    WaitStart { what: &'static str },
    /// The wait begun at event `start` is over.
    WaitDone { start: usize },
    /// `mmgrab(mm)`: `mm_count` is now `count`.
    MmGrab { mm: ObjId, count: usize },
    /// `mmdrop(mm)`: `mm_count` is now `count` (0 frees the `mm_struct`).
    MmDrop { mm: ObjId, count: usize },
    /// The core calls a driver method: `mn->ops->method(mn, mm)`; `ops` is the driver (the
    /// index of its `mmu_notifier_ops`).
    MethodStart {
        notifier: ObjId,
        method: &'static str,
        ops: usize,
    },
    /// The driver method called at event `start` returns.
    MethodDone { start: usize },
    /// The driver method called at event `start` returned an error (`-EAGAIN`).
    MethodError { start: usize, errno: &'static str },
    /// A caller of the invalidate walkers begins a range (`mmu_notifier_range_init`) on `mm`;
    /// the event index names the range. `blockable`: whether its callbacks may sleep (v5.4's
    /// non-blocking ranges come from the OOM reaper).
    RangeInit { mm: ObjId, blockable: bool },
    /// The caller of the range begun at event `range` is done with it; `ended` says whether it
    /// called `mmu_notifier_invalidate_range_end` (the OOM reaper does not after a failed
    /// start).
    RangeDone { range: usize, ended: bool },
    /// A kernel API function the notifier contracts speak of returns (`obj` is its notifier
    /// or `mm_struct`).
    Return { function: &'static str, obj: ObjId },
    /// A kernel `BUG_ON`/`WARN_ON` fired: the condition, in kernel words.
    Bug { text: String },
    /// A kernel `WARN_ON` fired about `obj`: the kernel prints a warning and goes on.
    Warn { obj: Option<ObjId>, text: String },
    /// The core calls into a driver that has no notifier yet: `ops->alloc_notifier(mm)`.
    DriverCall { ops: usize, method: &'static str },
    /// `mmu_notifier_get` took a user of `notifier` (driver `ops`, on `mm`); `users` is the
    /// count after it; `registered` when it allocated and registered the notifier.
    NotifierGet {
        notifier: ObjId,
        mm: ObjId,
        ops: usize,
        users: usize,
        registered: bool,
    },
    /// `mmu_notifier_register` linked `notifier` (driver `ops`) on `mm`; `users` is the count
    /// it set (v5.4 sets `users = 1` on every registration; v3.x has no count).
    NotifierRegistered {
        notifier: ObjId,
        mm: ObjId,
        ops: usize,
        users: Option<usize>,
    },
    /// `hlist_del_init_rcu` unlinks `notifier` from its list (exit's unlink loop, unregister,
    /// the last put): recorded just before the store that makes it unreachable.
    NotifierUnlinked { notifier: ObjId },
    /// `mmu_notifier_put` dropped a user of `notifier`; `users` is the count after it (0: the
    /// put unlinks it and queues its free).
    NotifierPut { notifier: ObjId, users: usize },
    /// `mmu_notifier_synchronize` called.
    NotifierSynchronize,
    /// `mmu_notifier_synchronize` (called at event `start`) returns.
    NotifierSynchronizeDone { start: usize },
    /// The module implementing driver `ops` is unloaded: its code is gone.
    ModuleUnload { ops: usize },
    /// A free-form kernel operation, for lines the other variants do not cover.
    Note { text: String },
}

/// One rendered line of a trace, as reports and the parent process see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceLine {
    /// The event index.
    pub step: usize,
    /// The thread's name.
    pub thread: String,
    /// The kernel entry point.
    pub function: String,
    /// The operation, in kernel vocabulary.
    pub text: String,
}

/// Names of the execution's threads and objects, to render events.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Thread names by [`ThreadId`].
    pub threads: Vec<String>,
    /// Object names by [`ObjId`].
    pub objects: Vec<String>,
}

impl Names {
    /// The name of a thread.
    pub fn thread(&self, t: ThreadId) -> &str {
        self.threads.get(t.0 as usize).map_or("?", String::as_str)
    }

    /// The name of an object.
    pub fn object(&self, o: ObjId) -> &str {
        self.objects.get(o.0 as usize).map_or("?", String::as_str)
    }
}

impl Event {
    /// The operation in kernel vocabulary, e.g. `hlist_del_init_rcu: load notifier A->next`.
    pub fn describe(&self, names: &Names) -> String {
        let what = self.what(names);
        if self.site.is_empty() || what.starts_with(self.site) {
            what
        } else {
            format!("{}: {what}", self.site)
        }
    }

    /// The operation alone, without its site: `load notifier A->next`.
    pub fn what(&self, names: &Names) -> String {
        match &self.op {
            Op::Alloc { obj } => format!("kmalloc {}", names.object(*obj)),
            Op::Free { obj } => format!("kfree {}", names.object(*obj)),
            Op::Access { obj, field, write } => {
                let verb = if *write { "store" } else { "load" };
                format!("{verb} {}->{field}", names.object(*obj))
            }
            Op::SpinLock { obj } => format!("spin_lock({})", names.object(*obj)),
            Op::SpinUnlock { obj } => format!("spin_unlock({})", names.object(*obj)),
            Op::LockAcquired { obj, lock, call } | Op::LockReleased { obj, lock, call } => {
                format!("{call}({}->{lock})", names.object(*obj))
            }
            Op::SrcuReadLock { idx, cpu } => format!("srcu_read_lock -> idx {idx} (cpu {cpu})"),
            Op::SrcuReadUnlock { idx, cpu, .. } => {
                format!("srcu_read_unlock(idx {idx}) (cpu {cpu})")
            }
            Op::SynchronizeSrcu => "synchronize_srcu: begin".to_string(),
            Op::SynchronizeSrcuDone { .. } => "synchronize_srcu: return".to_string(),
            Op::SrcuFlip { completed } => format!("srcu_flip: completed = {completed}"),
            Op::SrcuReadersGone { idx } => format!("idx {idx}: no readers (stable zero)"),
            Op::CallSrcu => "call_srcu: queue callback".to_string(),
            Op::CallSrcuDone { call } => format!("call_srcu: queued callback #{call}"),
            Op::CallbackStart { call } => format!("invoke callback #{call}"),
            Op::CallbackDone { call } => format!("callback #{call} returns"),
            Op::SrcuBarrier => "srcu_barrier: begin".to_string(),
            Op::SrcuBarrierDone { .. } => "srcu_barrier: return".to_string(),
            Op::WaitStart { what } => format!("wait: {what}"),
            Op::WaitDone { .. } => "wait over".to_string(),
            Op::MmGrab { mm, count } => {
                format!("mmgrab({}) -> mm_count {count}", names.object(*mm))
            }
            Op::MmDrop { mm, count } => {
                format!("mmdrop({}) -> mm_count {count}", names.object(*mm))
            }
            Op::MethodStart {
                notifier, method, ..
            } => {
                format!("{n}->ops->{method}({n})", n = names.object(*notifier))
            }
            Op::MethodDone { .. } => "method returns".to_string(),
            Op::MethodError { errno, .. } => format!("method returns {errno}"),
            Op::RangeInit { mm, blockable } => {
                let how = if *blockable { "" } else { ", non-blockable" };
                format!("mmu_notifier_range_init({}{how})", names.object(*mm))
            }
            Op::RangeDone { ended, .. } => {
                if *ended {
                    "range done".to_string()
                } else {
                    "range done without invalidate_range_end".to_string()
                }
            }
            Op::Return { function, obj } => format!("{function}({}) returns", names.object(*obj)),
            Op::Bug { text } => format!("BUG: {text}"),
            Op::Warn { obj, text } => match obj {
                Some(o) => format!("WARNING: {text} ({})", names.object(*o)),
                None => format!("WARNING: {text}"),
            },
            Op::DriverCall { ops, method } => format!("driver ops #{ops}: ->{method}"),
            Op::NotifierGet {
                notifier,
                users,
                registered,
                ..
            } => {
                let how = if *registered { "registered" } else { "found" };
                format!("{how} {}: users = {users}", names.object(*notifier))
            }
            Op::NotifierRegistered {
                notifier, users, ..
            } => match users {
                Some(u) => format!("registered {}: users = {u}", names.object(*notifier)),
                None => format!("registered {}", names.object(*notifier)),
            },
            Op::NotifierUnlinked { notifier } => format!("unlinked {}", names.object(*notifier)),
            Op::NotifierPut { notifier, users } => {
                format!("{}: users = {users}", names.object(*notifier))
            }
            Op::NotifierSynchronize => "mmu_notifier_synchronize: begin".to_string(),
            Op::NotifierSynchronizeDone { .. } => "mmu_notifier_synchronize: return".to_string(),
            Op::ModuleUnload { ops } => format!("module of driver ops #{ops} unloaded"),
            Op::Note { text } => text.clone(),
        }
    }

    /// The rendered line for report `step`.
    pub fn line(&self, step: usize, names: &Names) -> TraceLine {
        TraceLine {
            step,
            thread: names.thread(self.thread).to_string(),
            function: self.function.to_string(),
            text: self.describe(names),
        }
    }
}

/// Renders a trace as one column per thread, one line per event (the kernel's race-diagram
/// layout), marking the line of each `(step, note)` of `marks` with `<== ` and the note (see
/// [`crate::Violation::trace_marks`]).
pub fn render_columns(lines: &[TraceLine], marks: &[(usize, String)]) -> String {
    let mut threads: Vec<&str> = Vec::new();
    for l in lines {
        if !threads.contains(&l.thread.as_str()) {
            threads.push(&l.thread);
        }
    }
    let width = |t: &str| {
        lines
            .iter()
            .filter(|l| l.thread == t)
            .map(|l| l.text.chars().count())
            .max()
            .unwrap_or(0)
            .max(t.len())
            .min(60)
    };
    let widths: Vec<usize> = threads.iter().map(|t| width(t)).collect();
    let mut out = String::new();
    out.push_str("step  ");
    for (t, w) in threads.iter().zip(&widths) {
        out.push_str(&format!("| {t:<w$} "));
    }
    out.push('\n');
    for l in lines {
        out.push_str(&format!("{:>4}  ", l.step));
        for (t, w) in threads.iter().zip(&widths) {
            let cell = if *t == l.thread { l.text.as_str() } else { "" };
            let cell: String = cell.chars().take(*w).collect();
            out.push_str(&format!("| {cell:<w$} "));
        }
        let notes: Vec<&str> = marks
            .iter()
            .filter(|m| m.0 == l.step)
            .map(|m| m.1.as_str())
            .collect();
        if !notes.is_empty() {
            out.push_str(&format!("<== {}", notes.join(", ")));
        }
        out.truncate(out.trim_end().len());
        out.push('\n');
    }
    out
}
