//! Turning a checker's own failure report (a panic no oracle raised) into a violation located
//! in the trace: loom's causality violations, and deadlocks reported as branch or step limits.

use super::{Execution, Log};
use crate::trace::{ObjId, Op, ThreadId};
use crate::violation::{Violation, ViolationKind};
use std::cell::Cell;

impl Execution {
    /// Turns a panic that no oracle raised (a checker's own failure report) into a violation,
    /// using the trace to locate it:
    /// - loom's "Causality violation" on an object's memory: a use-after-free when the object
    ///   was freed (the access and the free are not ordered by happens-before), otherwise a
    ///   data race on the field (e.g. a read of a field not ordered after its initialisation);
    /// - loom's branch limit, loom's and shuttle's deadlock and step-limit reports: a deadlock,
    ///   located at the wait loop that never finished, if one was open;
    /// - anything else: a panic of the model.
    pub fn classify_panic(&self, message: &str) -> Violation {
        // A panic raised while this thread held the trace's lock (inside an oracle) must not
        // deadlock its own report: without the lock, report the panic as it is.
        let st = match self.state.try_lock() {
            Ok(st) => st,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {
                return Violation {
                    kind: ViolationKind::Panic,
                    object: None,
                    function: String::new(),
                    site: String::new(),
                    thread: String::new(),
                    step: None,
                    message: message.lines().next().unwrap_or("").to_string(),
                }
            }
        };
        let log = Log {
            events: &st.events,
            names: &st.names,
        };
        let first_line = message.lines().next().unwrap_or("").to_string();
        if message.contains("Causality violation") {
            if let Some(v) = classify_race(&log, &first_line) {
                return v;
            }
        }
        let deadlock = [
            "maximum number of branches",
            "deadlock",
            "max_steps",
            "SPIN_LIMIT",
        ]
        .iter()
        .any(|p| message.contains(p));
        if deadlock {
            if let Some(at) = deadlock_site(&log) {
                let why = match &log.events[at].op {
                    Op::WaitStart { what } => format!("the wait for {what} can never finish"),
                    _ => format!(
                        "{} waits for a grace period while it holds an SRCU read-side section",
                        log.names.thread(log.events[at].thread)
                    ),
                };
                return log.violation_at(
                    at,
                    ViolationKind::Deadlock,
                    None,
                    format!("{why} ({first_line})"),
                );
            }
            return Violation {
                kind: ViolationKind::Deadlock,
                object: None,
                function: String::new(),
                site: String::new(),
                thread: String::new(),
                step: None,
                message: first_line,
            };
        }
        Violation {
            kind: ViolationKind::Panic,
            object: None,
            function: st.events.last().map_or("", |e| e.function).to_string(),
            site: st.events.last().map_or("", |e| e.site).to_string(),
            thread: st
                .events
                .last()
                .map_or("", |e| log.names.thread(e.thread))
                .to_string(),
            step: st.events.len().checked_sub(1),
            message: first_line,
        }
    }
}

/// The place to blame for a deadlock:
/// 1. a thread inside `synchronize_srcu` or `srcu_barrier` while it holds an SRCU read-side
///    section (it waits for itself, whether in the wait loop or blocked behind the grace
///    period another thread runs for it);
/// 2. else, among the waits still open, the earliest.
fn deadlock_site(log: &Log<'_>) -> Option<usize> {
    let mut waits: Vec<usize> = Vec::new();
    let mut gps: Vec<usize> = Vec::new();
    let mut sections: Vec<usize> = Vec::new();
    for (i, e) in log.events.iter().enumerate() {
        match e.op {
            Op::WaitStart { .. } => waits.push(i),
            Op::WaitDone { start } => waits.retain(|&s| s != start),
            Op::SynchronizeSrcu | Op::SrcuBarrier => gps.push(i),
            Op::SynchronizeSrcuDone { start } | Op::SrcuBarrierDone { start } => {
                gps.retain(|&s| s != start)
            }
            Op::SrcuReadLock { .. } => sections.push(i),
            Op::SrcuReadUnlock { section, .. } => sections.retain(|&s| s != section),
            _ => {}
        }
    }
    let holds_section = |at: &usize| {
        sections
            .iter()
            .any(|&s| log.events[s].thread == log.events[*at].thread)
    };
    gps.iter()
        .copied()
        .find(holds_section)
        .or(waits.first().copied())
}

/// Locates a loom causality violation. loom reports it at the later of the two accesses:
/// either an access in progress (the [`PendingAccess`] marker: the free or the initialisation
/// came earlier but is not ordered before it), or a free, recorded as the last event (an
/// earlier access is not ordered before it).
fn classify_race(log: &Log<'_>, loom_message: &str) -> Option<Violation> {
    if let Some((thread, function, site, a)) = PENDING.with(Cell::get) {
        let name = log.names.object(a.obj).to_string();
        let freed_at = log
            .events
            .iter()
            .position(|e| e.op == Op::Free { obj: a.obj });
        let verb = if a.write { "store to" } else { "load of" };
        let (kind, message) = match freed_at {
            Some(f) => (
                ViolationKind::UseAfterFree,
                format!(
                    "{verb} {name}->{} is not ordered after its free at step {f} ({})",
                    a.field,
                    log.cite(f)
                ),
            ),
            None => (
                ViolationKind::DataRace,
                format!(
                    "{verb} {name}->{} is not ordered after the object's initialisation or an \
                     earlier write ({loom_message})",
                    a.field
                ),
            ),
        };
        return Some(Violation {
            kind,
            object: Some(name),
            function: function.to_string(),
            site: site.to_string(),
            thread: log.names.thread(thread).to_string(),
            step: None,
            message,
        });
    }
    let last = log.events.len().checked_sub(1)?;
    let Op::Free { obj } = log.events[last].op else {
        return None;
    };
    let name = log.names.object(obj).to_string();
    // The free came second: blame the latest access by another thread, which the free does
    // not follow in happens-before order.
    let thread = log.events[last].thread;
    let victim = log.events[..last]
        .iter()
        .rposition(|e| e.thread != thread && matches!(e.op, Op::Access { obj: o, .. } if o == obj));
    let at = victim.unwrap_or(last);
    let msg = format!(
        "{name} is freed at step {last} ({}) but the access at step {at} is not ordered before \
         the free ({loom_message})",
        log.cite(last)
    );
    Some(log.violation_at(at, ViolationKind::UseAfterFree, Some(obj), msg))
}

/// An access to a kernel object in progress: set just before loom's race check of the
/// access, so that a race reported there names the access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PendingAccess {
    /// The object.
    pub obj: ObjId,
    /// The field.
    pub field: &'static str,
    /// Whether it is a write.
    pub write: bool,
}

/// The pending access and who makes it: (thread, function, site, access).
pub(super) type Pending = (ThreadId, &'static str, &'static str, PendingAccess);

/// Marks (or clears) the access in progress on this OS thread.
pub(super) fn set_pending(pending: Option<Pending>) {
    PENDING.with(|p| p.set(pending));
}

thread_local! {
    // Per OS thread: loom and shuttle run every model thread on the OS thread that started
    // the check, and nothing can switch threads between setting this and loom's check.
    static PENDING: Cell<Option<Pending>> = const { Cell::new(None) };
}
