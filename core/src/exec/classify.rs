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
                    cause: None,
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
            let d = super::deadlock::explain(&log, &st.acquiring);
            let message = format!("{} ({first_line})", d.message);
            if let Some(at) = d.at {
                let mut v = log.violation_at(at, ViolationKind::Deadlock, None, message);
                v.cause = d.cause;
                return v;
            }
            return Violation {
                kind: ViolationKind::Deadlock,
                object: None,
                function: String::new(),
                site: String::new(),
                thread: String::new(),
                step: None,
                message,
                cause: d.cause,
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
            cause: None,
        }
    }
}

/// Locates a loom causality violation from the marker of the operation loom checked when it
/// failed:
/// - an access in progress (the free or the initialisation came earlier but is not ordered
///   before it): the access is the culprit;
/// - a free in progress, checked against one thread's accesses: that thread's latest access
///   (the one loom's check flagged; see [`crate::backend::LifetimeOps`]) is the culprit,
///   whether its event was already recorded or it was stopped before.
fn classify_race(log: &Log<'_>, loom_message: &str) -> Option<Violation> {
    match MARKER.with(Cell::get)? {
        Marker::Access(a) => Some(access_second(log, a, loom_message)),
        Marker::Free { obj, step, culprit } => Some(free_second(log, obj, step, culprit)),
    }
}

/// The access came second: it is not ordered after the free (or the initialisation).
fn access_second(log: &Log<'_>, a: AccessTag, loom_message: &str) -> Violation {
    let name = log.names.object(a.access.obj).to_string();
    let freed_at = log
        .events
        .iter()
        .position(|e| e.op == Op::Free { obj: a.access.obj });
    let verb = a.access.verb();
    let (kind, message) = match freed_at {
        Some(f) => (
            ViolationKind::UseAfterFree,
            format!(
                "{verb} {name}->{} is not ordered after its free at step {f} ({})",
                a.access.field,
                log.cite(f)
            ),
        ),
        None => (
            ViolationKind::DataRace,
            format!(
                "{verb} {name}->{} is not ordered after the object's initialisation or an \
                 earlier write ({loom_message})",
                a.access.field
            ),
        ),
    };
    Violation {
        kind,
        object: Some(name),
        function: a.function.to_string(),
        site: a.site.to_string(),
        thread: log.names.thread(a.thread).to_string(),
        step: None,
        message,
        cause: freed_at.map(|f| log.free_cause(f)),
    }
}

/// The free came second: `culprit`, an earlier access, is not ordered before it.
fn free_second(log: &Log<'_>, obj: ObjId, free: usize, culprit: Option<AccessTag>) -> Violation {
    let name = log.names.object(obj).to_string();
    let recorded = log
        .events
        .get(free)
        .is_some_and(|e| e.op == Op::Free { obj });
    let cause = recorded.then(|| log.free_cause(free));
    let freed = if recorded {
        format!("its free at step {free} ({})", log.cite(free))
    } else {
        "its free".to_string()
    };
    let Some(a) = culprit else {
        // Every thread's accesses passed their own checks: loom's last check failed without
        // naming an access. Report the free itself.
        return Violation {
            kind: ViolationKind::UseAfterFree,
            object: Some(name.clone()),
            function: cause.as_ref().map_or(String::new(), |c| c.function.clone()),
            site: cause.as_ref().map_or(String::new(), |c| c.site.clone()),
            thread: cause.as_ref().map_or(String::new(), |c| c.thread.clone()),
            step: recorded.then_some(free),
            message: format!(
                "an access to {name} is not ordered before {freed} (loom did not say which)"
            ),
            cause,
        };
    };
    // The culprit's event, if recorded, is its thread's first event from `since` on.
    let at = log
        .events
        .iter()
        .enumerate()
        .skip(a.since)
        .find(|(_, e)| e.thread == a.thread)
        .filter(|(_, e)| matches!(e.op, Op::Access { obj: o, .. } if o == obj))
        .map(|(i, _)| i);
    let when = match at {
        Some(i) => format!("at step {i}"),
        None => "(stopped before it completed)".to_string(),
    };
    Violation {
        kind: ViolationKind::UseAfterFree,
        object: Some(name.clone()),
        function: a.function.to_string(),
        site: a.site.to_string(),
        thread: log.names.thread(a.thread).to_string(),
        step: at,
        message: format!(
            "{} {name}->{} {when} is not ordered before {freed}: nothing orders {}'s access \
             before the free",
            a.access.verb(),
            a.access.field,
            log.names.thread(a.thread)
        ),
        cause,
    }
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

impl PendingAccess {
    fn verb(&self) -> &'static str {
        if self.write {
            "store to"
        } else {
            "load of"
        }
    }
}

/// An access and who makes it, where: what a report blames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessTag {
    /// The thread making it.
    pub(crate) thread: ThreadId,
    /// The kernel entry point it is made in.
    pub(crate) function: &'static str,
    /// The innermost frame.
    pub(crate) site: &'static str,
    /// The access.
    pub(crate) access: PendingAccess,
    /// The trace length when it was checked: its event, once recorded, is the thread's first
    /// from here on.
    pub(crate) since: usize,
}

/// The operation whose race check is running on this OS thread.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Marker {
    /// An access, checked against the frees and writes before it.
    Access(AccessTag),
    /// A free (recorded at event `step`), checked against `culprit`'s thread's accesses, or
    /// (`None`) against every access.
    Free {
        obj: ObjId,
        step: usize,
        culprit: Option<AccessTag>,
    },
}

/// Sets (or clears) the marker of the operation being checked on this OS thread.
pub(super) fn set_marker(marker: Option<Marker>) {
    MARKER.with(|p| p.set(marker));
}

thread_local! {
    // Per OS thread: loom and shuttle run every model thread on the OS thread that started
    // the check, and nothing can switch threads between setting this and loom's check.
    static MARKER: Cell<Option<Marker>> = const { Cell::new(None) };
}
