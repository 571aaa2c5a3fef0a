//! What made a violation possible, read from the trace: where an object was freed and why.

use super::Log;
use crate::trace::{Event, ObjId, Op};
use crate::violation::Cause;

/// The kinds of `mm_count` pin, told apart by who takes and drops them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pin {
    /// The users' pin: `mm_alloc`'s, dropped by `mmput` after exit.
    Users,
    /// A registration's pin: taken by `mmu_notifier_register` (or `mmu_notifier_get`'s
    /// registration), dropped by `mmu_notifier_unregister`, `_no_release` or (v5.4)
    /// `mmu_notifier_free_rcu`.
    Registration,
    /// Any other `mmgrab`/`mmdrop` pair (a driver's, a walker's).
    Other,
}

impl Pin {
    const ALL: [Pin; 3] = [Pin::Users, Pin::Registration, Pin::Other];

    fn name(self) -> &'static str {
        match self {
            Pin::Users => "the users' pin (mm_alloc's, dropped by mmput)",
            Pin::Registration => {
                "a registration's pin (mmu_notifier_register's, dropped by \
                 mmu_notifier_unregister, mmu_notifier_unregister_no_release or \
                 mmu_notifier_free_rcu)"
            }
            Pin::Other => "a pin taken by mmgrab",
        }
    }

    fn in_frames(e: &Event, names: &[&str]) -> bool {
        names.contains(&e.function) || names.contains(&e.caller) || names.contains(&e.site)
    }

    fn taken_by(e: &Event) -> Pin {
        const REGISTER: [&str; 3] = [
            "mmu_notifier_register",
            "mmu_notifier_get_locked",
            "__mmu_notifier_register",
        ];
        if Pin::in_frames(e, &REGISTER) {
            Pin::Registration
        } else {
            Pin::Other
        }
    }

    fn dropped_by(e: &Event) -> Pin {
        const UNREGISTER: [&str; 3] = [
            "mmu_notifier_unregister",
            "mmu_notifier_unregister_no_release",
            "mmu_notifier_free_rcu",
        ];
        if Pin::in_frames(e, &["mmput"]) {
            Pin::Users
        } else if Pin::in_frames(e, &UNREGISTER) {
            Pin::Registration
        } else {
            Pin::Other
        }
    }
}

impl Log<'_> {
    /// The event at `at` as a cause, with `detail`.
    pub fn cause_at(&self, at: usize, detail: String) -> Cause {
        let e = &self.events[at];
        Cause {
            what: e.what(self.names),
            thread: self.names.thread(e.thread).to_string(),
            function: e.function.to_string(),
            caller: e.caller.to_string(),
            site: e.site.to_string(),
            step: Some(at),
            detail,
        }
    }

    /// The free at event `free` as the cause of a use-after-free: where it happened and what
    /// called it, the SRCU callback that ran it (and who queued it), and for an `mm_struct`
    /// the `mm_count` pin that was dropped once too often.
    pub fn free_cause(&self, free: usize) -> Cause {
        let mut detail = Vec::new();
        if let Some(call) = self.callback_running(free) {
            detail.push(format!(
                "it ran in the SRCU callback queued at step {call} ({})",
                self.cite(call)
            ));
        }
        if let Op::Free { obj } = self.events[free].op {
            if let Some(pins) = self.mm_pins(obj, free) {
                detail.push(pins);
            }
        }
        self.cause_at(free, detail.join("; "))
    }

    /// The `call_srcu` event whose callback the thread of event `at` is running there.
    fn callback_running(&self, at: usize) -> Option<usize> {
        let thread = self.events[at].thread;
        let mut open = Vec::new();
        for e in self.events[..at].iter().filter(|e| e.thread == thread) {
            match e.op {
                Op::CallbackStart { call } => open.push(call),
                Op::CallbackDone { call } => open.retain(|&c| c != call),
                _ => {}
            }
        }
        open.last().copied()
    }

    /// For an `mm_struct` freed at event `free`: its `mm_count` pins by kind (taken, dropped)
    /// and the first drop that found no pin of its kind left, i.e. the pin dropped twice.
    /// `None` when `obj` is not an `mm_struct` (no `mmdrop` of it).
    fn mm_pins(&self, obj: ObjId, free: usize) -> Option<String> {
        let mut taken: Vec<(Pin, usize)> = Vec::new();
        let mut dropped: Vec<(Pin, usize)> = Vec::new();
        let mut excess = None;
        for (i, e) in self.events[..=free].iter().enumerate() {
            match e.op {
                Op::Alloc { obj: o } if o == obj => taken.push((Pin::Users, i)),
                Op::MmGrab { mm, .. } if mm == obj => taken.push((Pin::taken_by(e), i)),
                Op::MmDrop { mm, .. } if mm == obj => {
                    let kind = Pin::dropped_by(e);
                    let count = |v: &[(Pin, usize)]| v.iter().filter(|p| p.0 == kind).count();
                    if excess.is_none() && count(&dropped) >= count(&taken) {
                        excess = Some((kind, i));
                    }
                    dropped.push((kind, i));
                }
                _ => {}
            }
        }
        if dropped.is_empty() {
            return None;
        }
        let steps = |v: &[(Pin, usize)], kind: Pin| {
            v.iter()
                .filter(|p| p.0 == kind)
                .map(|p| format!("step {} ({})", p.1, self.cite(p.1)))
                .collect::<Vec<_>>()
        };
        let Some((kind, at)) = excess else {
            let ledger: Vec<String> = Pin::ALL
                .iter()
                .map(|&k| {
                    format!(
                        "{}: {} taken, {} dropped",
                        k.name(),
                        steps(&taken, k).len(),
                        steps(&dropped, k).len()
                    )
                })
                .collect();
            return Some(format!(
                "every mm_count pin dropped had been taken ({}); whoever still used the \
                 mm_struct held no pin of its own",
                ledger.join("; ")
            ));
        };
        let before: Vec<(Pin, usize)> = dropped.iter().copied().filter(|p| p.1 < at).collect();
        let took = steps(&taken, kind);
        let earlier = steps(&before, kind);
        Some(if took.is_empty() {
            format!(
                "the mmdrop at step {at} ({}) drops {} that nobody took",
                self.cite(at),
                kind.name()
            )
        } else {
            format!(
                "{} was dropped twice: taken at {}, dropped at {} and again at step {at} ({})",
                kind.name(),
                took.join(", "),
                earlier.join(", "),
                self.cite(at)
            )
        })
    }
}
