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

/// One modelled kernel operation, as an execution records it.
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
///
/// An execution records `Op` (objects by [`ObjId`], names as `&'static str`); reports carry the
/// same operation with every object and name resolved to a string, [`ResolvedOp`] (see
/// [`Op::resolve`]), which is what JSON holds: `{"kind": "access", "obj": "notifier A",
/// "field": "hlist.next", "write": false}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
// Each variant's doc names and explains its fields (`obj`, `idx`, `start`, ...) in one sentence
// of kernel vocabulary; a doc line per field would repeat it.
#[allow(missing_docs)]
pub enum Op<Obj = ObjId, Name = &'static str> {
    /// `kmalloc`: a kernel object comes to life.
    Alloc { obj: Obj },
    /// `kfree` (or the last `mmdrop`): the object is poisoned.
    Free { obj: Obj },
    /// A load or store of a field of a kernel object.
    Access { obj: Obj, field: Name, write: bool },
    /// `spin_lock(lock)`, acquired.
    SpinLock { obj: Obj },
    /// `spin_unlock(lock)`.
    SpinUnlock { obj: Obj },
    /// A sleeping lock (`mutex_lock`, `down_write`) named `lock`, embedded in `obj`, acquired
    /// by the call `call`.
    LockAcquired { obj: Obj, lock: Name, call: Name },
    /// The sleeping lock `lock` of `obj` released by the call `call` (`mutex_unlock`).
    LockReleased { obj: Obj, lock: Name, call: Name },
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
    WaitStart { what: Name },
    /// The wait begun at event `start` is over.
    WaitDone { start: usize },
    /// `mmgrab(mm)`: `mm_count` is now `count`.
    MmGrab { mm: Obj, count: usize },
    /// `mmdrop(mm)`: `mm_count` is now `count` (0 frees the `mm_struct`).
    MmDrop { mm: Obj, count: usize },
    /// The core calls a driver method: `mn->ops->method(mn, mm)`; `ops` is the driver (the
    /// index of its `mmu_notifier_ops`).
    MethodStart {
        notifier: Obj,
        method: Name,
        ops: usize,
    },
    /// The driver method called at event `start` returns.
    MethodDone { start: usize },
    /// The driver method called at event `start` returned an error (`-EAGAIN`).
    MethodError { start: usize, errno: Name },
    /// A caller of the invalidate walkers begins a range (`mmu_notifier_range_init`) on `mm`;
    /// the event index names the range. `blockable`: whether its callbacks may sleep (v5.4's
    /// non-blocking ranges come from the OOM reaper).
    RangeInit { mm: Obj, blockable: bool },
    /// The caller of the range begun at event `range` is done with it; `ended` says whether it
    /// called `mmu_notifier_invalidate_range_end` (the OOM reaper does not after a failed
    /// start).
    RangeDone { range: usize, ended: bool },
    /// A kernel API function the notifier contracts speak of returns (`obj` is its notifier
    /// or `mm_struct`).
    Return { function: Name, obj: Obj },
    /// A kernel `BUG_ON`/`WARN_ON` fired: the condition, in kernel words.
    Bug { text: String },
    /// A kernel `WARN_ON` fired about `obj`: the kernel prints a warning and goes on.
    Warn { obj: Option<Obj>, text: String },
    /// The core calls into a driver that has no notifier yet: `ops->alloc_notifier(mm)`.
    DriverCall { ops: usize, method: Name },
    /// `mmu_notifier_get` took a user of `notifier` (driver `ops`, on `mm`); `users` is the
    /// count after it; `registered` when it allocated and registered the notifier.
    NotifierGet {
        notifier: Obj,
        mm: Obj,
        ops: usize,
        users: usize,
        registered: bool,
    },
    /// `mmu_notifier_register` linked `notifier` (driver `ops`) on `mm`; `users` is the count
    /// it set (v5.4 sets `users = 1` on every registration; v3.x has no count).
    NotifierRegistered {
        notifier: Obj,
        mm: Obj,
        ops: usize,
        users: Option<usize>,
    },
    /// `hlist_del_init_rcu` unlinks `notifier` from its list (exit's unlink loop, unregister,
    /// the last put): recorded just before the store that makes it unreachable.
    NotifierUnlinked { notifier: Obj },
    /// `mmu_notifier_put` dropped a user of `notifier`; `users` is the count after it (0: the
    /// put unlinks it and queues its free).
    NotifierPut { notifier: Obj, users: usize },
    /// `mmu_notifier_synchronize` called.
    NotifierSynchronize,
    /// `mmu_notifier_synchronize` (called at event `start`) returns.
    NotifierSynchronizeDone { start: usize },
    /// The module implementing driver `ops` is unloaded: its code is gone.
    ModuleUnload { ops: usize },
    /// `rcu_assign_pointer(slot, obj)`: the RCU-protected pointer `slot` now points at `obj`
    /// (`None`: `NULL`).
    RcuAssignPointer { slot: Name, obj: Option<Obj> },
    /// `primitive(slot)` (`rcu_dereference`, `srcu_dereference`,
    /// `rcu_dereference_protected`) loaded the RCU-protected pointer `slot`: it points at
    /// `obj` (`None`: `NULL`).
    RcuDereference {
        primitive: Name,
        slot: Name,
        obj: Option<Obj>,
    },
    /// A free-form kernel operation, for lines the other variants do not cover.
    Note { text: String },
}

/// An operation with its objects and names resolved to strings, as reports carry it.
pub type ResolvedOp = Op<String, String>;

/// One event of a trace as reports carry it: every object and name resolved, serialisable, and
/// exactly what the execution recorded (text, JSON and HTML are renderings of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// The event index in its execution.
    pub step: usize,
    /// The thread's name.
    pub thread: String,
    /// The kernel entry point it happened in (outermost frame), or `""`.
    pub function: String,
    /// The innermost frame (`hlist_del_init_rcu`), or `""`.
    pub site: String,
    /// The frame that called `function` (`mmu_notifier_unregister` for an `mmdrop` it
    /// calls), or `""` (and absent from JSON).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub caller: String,
    /// What happened.
    pub op: ResolvedOp,
}

/// Names of the execution's threads and objects, to resolve events.
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

impl Op {
    /// The operation with its objects named as `names` says.
    pub fn resolve(&self, names: &Names) -> ResolvedOp {
        let obj = |o: &ObjId| names.object(*o).to_string();
        let name = |n: &&'static str| (*n).to_string();
        match self {
            Op::Alloc { obj: o } => Op::Alloc { obj: obj(o) },
            Op::Free { obj: o } => Op::Free { obj: obj(o) },
            Op::Access {
                obj: o,
                field,
                write,
            } => Op::Access {
                obj: obj(o),
                field: name(field),
                write: *write,
            },
            Op::SpinLock { obj: o } => Op::SpinLock { obj: obj(o) },
            Op::SpinUnlock { obj: o } => Op::SpinUnlock { obj: obj(o) },
            Op::LockAcquired { obj: o, lock, call } => Op::LockAcquired {
                obj: obj(o),
                lock: name(lock),
                call: name(call),
            },
            Op::LockReleased { obj: o, lock, call } => Op::LockReleased {
                obj: obj(o),
                lock: name(lock),
                call: name(call),
            },
            Op::SrcuReadLock { idx, cpu } => Op::SrcuReadLock {
                idx: *idx,
                cpu: *cpu,
            },
            Op::SrcuReadUnlock { idx, cpu, section } => Op::SrcuReadUnlock {
                idx: *idx,
                cpu: *cpu,
                section: *section,
            },
            Op::SynchronizeSrcu => Op::SynchronizeSrcu,
            Op::SynchronizeSrcuDone { start } => Op::SynchronizeSrcuDone { start: *start },
            Op::SrcuFlip { completed } => Op::SrcuFlip {
                completed: *completed,
            },
            Op::SrcuReadersGone { idx } => Op::SrcuReadersGone { idx: *idx },
            Op::CallSrcu => Op::CallSrcu,
            Op::CallSrcuDone { call } => Op::CallSrcuDone { call: *call },
            Op::CallbackStart { call } => Op::CallbackStart { call: *call },
            Op::CallbackDone { call } => Op::CallbackDone { call: *call },
            Op::SrcuBarrier => Op::SrcuBarrier,
            Op::SrcuBarrierDone { start } => Op::SrcuBarrierDone { start: *start },
            Op::WaitStart { what } => Op::WaitStart { what: name(what) },
            Op::WaitDone { start } => Op::WaitDone { start: *start },
            Op::MmGrab { mm, count } => Op::MmGrab {
                mm: obj(mm),
                count: *count,
            },
            Op::MmDrop { mm, count } => Op::MmDrop {
                mm: obj(mm),
                count: *count,
            },
            Op::MethodStart {
                notifier,
                method,
                ops,
            } => Op::MethodStart {
                notifier: obj(notifier),
                method: name(method),
                ops: *ops,
            },
            Op::MethodDone { start } => Op::MethodDone { start: *start },
            Op::MethodError { start, errno } => Op::MethodError {
                start: *start,
                errno: name(errno),
            },
            Op::RangeInit { mm, blockable } => Op::RangeInit {
                mm: obj(mm),
                blockable: *blockable,
            },
            Op::RangeDone { range, ended } => Op::RangeDone {
                range: *range,
                ended: *ended,
            },
            Op::Return { function, obj: o } => Op::Return {
                function: name(function),
                obj: obj(o),
            },
            Op::Bug { text } => Op::Bug { text: text.clone() },
            Op::Warn { obj: o, text } => Op::Warn {
                obj: o.as_ref().map(obj),
                text: text.clone(),
            },
            Op::DriverCall { ops, method } => Op::DriverCall {
                ops: *ops,
                method: name(method),
            },
            Op::NotifierGet {
                notifier,
                mm,
                ops,
                users,
                registered,
            } => Op::NotifierGet {
                notifier: obj(notifier),
                mm: obj(mm),
                ops: *ops,
                users: *users,
                registered: *registered,
            },
            Op::NotifierRegistered {
                notifier,
                mm,
                ops,
                users,
            } => Op::NotifierRegistered {
                notifier: obj(notifier),
                mm: obj(mm),
                ops: *ops,
                users: *users,
            },
            Op::NotifierUnlinked { notifier } => Op::NotifierUnlinked {
                notifier: obj(notifier),
            },
            Op::NotifierPut { notifier, users } => Op::NotifierPut {
                notifier: obj(notifier),
                users: *users,
            },
            Op::NotifierSynchronize => Op::NotifierSynchronize,
            Op::NotifierSynchronizeDone { start } => Op::NotifierSynchronizeDone { start: *start },
            Op::ModuleUnload { ops } => Op::ModuleUnload { ops: *ops },
            Op::RcuAssignPointer { slot, obj: o } => Op::RcuAssignPointer {
                slot: name(slot),
                obj: o.as_ref().map(obj),
            },
            Op::RcuDereference {
                primitive,
                slot,
                obj: o,
            } => Op::RcuDereference {
                primitive: name(primitive),
                slot: name(slot),
                obj: o.as_ref().map(obj),
            },
            Op::Note { text } => Op::Note { text: text.clone() },
        }
    }
}

impl ResolvedOp {
    /// The operation in kernel vocabulary, e.g. `load notifier A->hlist.next`.
    pub fn describe(&self) -> String {
        match self {
            Op::Alloc { obj } => format!("kmalloc {obj}"),
            Op::Free { obj } => format!("kfree {obj}"),
            Op::Access { obj, field, write } => {
                let verb = if *write { "store" } else { "load" };
                format!("{verb} {obj}->{field}")
            }
            Op::SpinLock { obj } => format!("spin_lock({obj})"),
            Op::SpinUnlock { obj } => format!("spin_unlock({obj})"),
            Op::LockAcquired { obj, lock, call } | Op::LockReleased { obj, lock, call } => {
                format!("{call}({obj}->{lock})")
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
            Op::MmGrab { mm, count } => format!("mmgrab({mm}) -> mm_count {count}"),
            Op::MmDrop { mm, count } => format!("mmdrop({mm}) -> mm_count {count}"),
            Op::MethodStart {
                notifier, method, ..
            } => format!("{notifier}->ops->{method}({notifier})"),
            Op::MethodDone { .. } => "method returns".to_string(),
            Op::MethodError { errno, .. } => format!("method returns {errno}"),
            Op::RangeInit { mm, blockable } => {
                let how = if *blockable { "" } else { ", non-blockable" };
                format!("mmu_notifier_range_init({mm}{how})")
            }
            Op::RangeDone { ended, .. } => {
                if *ended {
                    "range done".to_string()
                } else {
                    "range done without invalidate_range_end".to_string()
                }
            }
            Op::Return { function, obj } => format!("{function}({obj}) returns"),
            Op::Bug { text } => format!("BUG: {text}"),
            Op::Warn { obj, text } => match obj {
                Some(o) => format!("WARNING: {text} ({o})"),
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
                format!("{how} {notifier}: users = {users}")
            }
            Op::NotifierRegistered {
                notifier, users, ..
            } => match users {
                Some(u) => format!("registered {notifier}: users = {u}"),
                None => format!("registered {notifier}"),
            },
            Op::NotifierUnlinked { notifier } => format!("unlinked {notifier}"),
            Op::NotifierPut { notifier, users } => format!("{notifier}: users = {users}"),
            Op::NotifierSynchronize => "mmu_notifier_synchronize: begin".to_string(),
            Op::NotifierSynchronizeDone { .. } => "mmu_notifier_synchronize: return".to_string(),
            Op::ModuleUnload { ops } => format!("module of driver ops #{ops} unloaded"),
            Op::RcuAssignPointer { slot, obj } => {
                format!(
                    "rcu_assign_pointer({slot}, {})",
                    obj.as_deref().unwrap_or("NULL")
                )
            }
            Op::RcuDereference {
                primitive,
                slot,
                obj,
            } => format!(
                "{primitive}({slot}) -> {}",
                obj.as_deref().unwrap_or("NULL")
            ),
            Op::Note { text } => text.clone(),
        }
    }

    /// The object the operation frees (`kfree`), if it frees one.
    pub fn freed(&self) -> Option<&str> {
        match self {
            Op::Free { obj } => Some(obj),
            _ => None,
        }
    }
}

impl Event {
    /// The event as reports carry it: step `step`, every name resolved with `names`.
    pub fn resolve(&self, step: usize, names: &Names) -> TraceEvent {
        TraceEvent {
            step,
            thread: names.thread(self.thread).to_string(),
            function: self.function.to_string(),
            site: self.site.to_string(),
            caller: self.caller.to_string(),
            op: self.op.resolve(names),
        }
    }
}

impl TraceEvent {
    /// The event in kernel vocabulary, its innermost frame first when the operation does not
    /// name it: `hlist_del_init_rcu: load notifier A->hlist.next`.
    pub fn text(&self) -> String {
        let what = self.op.describe();
        if self.site.is_empty() || what.starts_with(&self.site) {
            what
        } else {
            format!("{}: {what}", self.site)
        }
    }
}

/// Renders a trace as one column per thread, one line per event (the kernel's race-diagram
/// layout), marking the line of each `(step, note)` of `marks` with `<== ` and the note (see
/// [`crate::Violation::trace_marks`]).
pub fn render_columns(events: &[TraceEvent], marks: &[(usize, String)]) -> String {
    let texts: Vec<String> = events.iter().map(TraceEvent::text).collect();
    let mut threads: Vec<&str> = Vec::new();
    for e in events {
        if !threads.contains(&e.thread.as_str()) {
            threads.push(&e.thread);
        }
    }
    let width = |t: &str| {
        events
            .iter()
            .zip(&texts)
            .filter(|(e, _)| e.thread == t)
            .map(|(_, text)| text.chars().count())
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
    for (e, text) in events.iter().zip(&texts) {
        out.push_str(&format!("{:>4}  ", e.step));
        for (t, w) in threads.iter().zip(&widths) {
            let cell = if *t == e.thread { text.as_str() } else { "" };
            let cell: String = cell.chars().take(*w).collect();
            out.push_str(&format!("| {cell:<w$} "));
        }
        let notes: Vec<&str> = marks
            .iter()
            .filter(|m| m.0 == e.step)
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
