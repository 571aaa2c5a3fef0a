//! Explaining a deadlock from the trace: what each blocked thread waits for, and who holds it.

use super::Log;
use crate::trace::{ObjId, Op, ThreadId};
use crate::violation::Cause;

/// A thread blocked acquiring a lock (set around the acquisition, cleared once it has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Acquiring {
    /// The blocked thread.
    pub(crate) thread: ThreadId,
    /// The object the lock is embedded in.
    pub(crate) obj: ObjId,
    /// The lock's name in that object (`lock`, `mmap_sem`, a driver's mutex).
    pub(crate) lock: &'static str,
    /// Where: the kernel entry point and the innermost frame.
    pub(crate) function: &'static str,
    /// The innermost frame.
    pub(crate) site: &'static str,
}

/// A deadlock located and explained.
pub(super) struct Explained {
    /// The event to locate it at (a wait that never finishes), if any.
    pub(super) at: Option<usize>,
    /// One sentence per blocked thread.
    pub(super) message: String,
    /// What the located thread waits for: the event that took it (a lock's acquisition, a
    /// read-side section's `srcu_read_lock`).
    pub(super) cause: Option<Cause>,
}

/// What the trace shows as still open when the execution stopped.
#[derive(Default)]
struct Open {
    waits: Vec<usize>,
    grace_periods: Vec<usize>,
    sections: Vec<usize>,
    /// Spin locks held: the `SpinLock` events.
    spin: Vec<usize>,
    /// Sleeping locks held: the `LockAcquired` events.
    sleeping: Vec<usize>,
}

impl Open {
    fn scan(log: &Log<'_>) -> Open {
        let mut o = Open::default();
        for (i, e) in log.events.iter().enumerate() {
            match e.op {
                Op::WaitStart { .. } => o.waits.push(i),
                Op::WaitDone { start } => o.waits.retain(|&s| s != start),
                Op::SynchronizeSrcu | Op::SrcuBarrier => o.grace_periods.push(i),
                Op::SynchronizeSrcuDone { start } | Op::SrcuBarrierDone { start } => {
                    o.grace_periods.retain(|&s| s != start)
                }
                Op::SrcuReadLock { .. } => o.sections.push(i),
                Op::SrcuReadUnlock { section, .. } => o.sections.retain(|&s| s != section),
                Op::SpinLock { .. } => o.spin.push(i),
                Op::SpinUnlock { obj } => {
                    if let Some(p) = o
                        .spin
                        .iter()
                        .rposition(|&s| log.events[s].op == Op::SpinLock { obj })
                    {
                        o.spin.remove(p);
                    }
                }
                Op::LockAcquired { .. } => o.sleeping.push(i),
                Op::LockReleased { obj, lock, .. } => {
                    if let Some(p) = o.sleeping.iter().rposition(|&s| {
                        matches!(log.events[s].op,
                            Op::LockAcquired { obj: o2, lock: l2, .. } if o2 == obj && l2 == lock)
                    }) {
                        o.sleeping.remove(p);
                    }
                }
                _ => {}
            }
        }
        o
    }

    /// The event that took the lock `lock` of `obj` and still holds it.
    fn holder(&self, log: &Log<'_>, obj: ObjId, lock: &str) -> Option<usize> {
        let spin = self
            .spin
            .iter()
            .rfind(|&&s| lock == "lock" && log.events[s].op == Op::SpinLock { obj });
        let sleeping = self.sleeping.iter().rfind(|&&s| {
            matches!(log.events[s].op, Op::LockAcquired { obj: o, lock: l, .. } if o == obj && l == lock)
        });
        spin.or(sleeping).copied()
    }
}

/// Explains a deadlock: every blocked thread (a lock it is acquiring, a grace period it
/// waits for, a wait loop that never finished) with what it waits for and who holds that.
/// Located at (in order of preference) a grace period its own thread holds up, else the
/// earliest wait still open, else the earliest grace period still open.
pub(super) fn explain(log: &Log<'_>, acquiring: &[Acquiring]) -> Explained {
    let open = Open::scan(log);
    let thread = |t: ThreadId| log.names.thread(t).to_string();
    let mut sentences = Vec::new();
    // The located thread's cause, by thread.
    let mut causes: Vec<(ThreadId, Cause)> = Vec::new();

    for a in acquiring {
        let lock = format!("{}->{}", log.names.object(a.obj), a.lock);
        let place = place(a.function, a.site);
        match open.holder(log, a.obj, a.lock) {
            Some(h) => {
                sentences.push(format!(
                    "{} waits in {place} for {lock}, held by {} since step {h} ({})",
                    thread(a.thread),
                    thread(log.events[h].thread),
                    log.cite(h)
                ));
                causes.push((
                    a.thread,
                    log.cause_at(h, format!("{} waits for it", thread(a.thread))),
                ));
            }
            None => sentences.push(format!("{} waits in {place} for {lock}", thread(a.thread))),
        }
    }
    for &g in &open.grace_periods {
        let waiter = log.events[g].thread;
        let holders: Vec<usize> = open.sections.iter().copied().filter(|&s| s < g).collect();
        let e = &log.events[g];
        let what = if e.op == Op::SrcuBarrier {
            "the SRCU callbacks queued before it"
        } else {
            "a grace period"
        };
        let mut s = format!(
            "{} waits in {} for {what}",
            thread(waiter),
            place(e.function, e.site)
        );
        if !holders.is_empty() {
            let held: Vec<String> = holders
                .iter()
                .map(|&h| {
                    let who = log.events[h].thread;
                    let whose = if who == waiter {
                        "its own".to_string()
                    } else {
                        format!("{}'s", thread(who))
                    };
                    format!("{whose} read-side section (step {h}: {})", log.cite(h))
                })
                .collect();
            s.push_str(&format!(", held up by {}", held.join(" and ")));
            let h = holders
                .iter()
                .copied()
                .find(|&h| log.events[h].thread == waiter)
                .unwrap_or(holders[0]);
            causes.push((
                waiter,
                log.cause_at(
                    h,
                    format!("the read-side section {} waits for", thread(waiter)),
                ),
            ));
        }
        sentences.push(s);
    }
    for &w in &open.waits {
        let e = &log.events[w];
        let inside_gp = open
            .grace_periods
            .iter()
            .any(|&g| log.events[g].thread == e.thread && g < w);
        if !inside_gp {
            if let Op::WaitStart { what } = e.op {
                sentences.push(format!(
                    "{} waits in {} for {what}",
                    thread(e.thread),
                    place(e.function, e.site)
                ));
            }
        }
    }

    let holds_section = |at: &usize| {
        open.sections
            .iter()
            .any(|&s| log.events[s].thread == log.events[*at].thread)
    };
    let at = open
        .grace_periods
        .iter()
        .copied()
        .find(holds_section)
        .or(open.waits.first().copied())
        // A grace period that waits without a wait loop of its own in the trace (the real
        // SRCUs wait on a completion, which records no wait).
        .or(open.grace_periods.first().copied());
    let located = at
        .map(|i| log.events[i].thread)
        .or(acquiring.first().map(|a| a.thread));
    let cause = located.and_then(|t| causes.iter().find(|c| c.0 == t).map(|c| c.1.clone()));
    let message = if sentences.is_empty() {
        "no thread can make progress (the trace shows no open wait)".to_string()
    } else {
        sentences.join("; ")
    };
    Explained { at, message, cause }
}

fn place(function: &str, site: &str) -> String {
    match (function, site) {
        ("", "") => "the top level".to_string(),
        (f, s) if s.is_empty() || s == f => f.to_string(),
        ("", s) => s.to_string(),
        (f, s) => format!("{f} ({s})"),
    }
}
