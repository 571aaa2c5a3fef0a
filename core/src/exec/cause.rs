//! What made a violation possible, read from the trace: where an object was freed and why.

use super::Log;
use crate::trace::{Event, ObjId, Op, ThreadId};
use crate::violation::Cause;

/// Who an `mm_count` pin belongs to, told apart by who takes and drops it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pin {
    /// The users' pin: `mm_alloc`'s, dropped by `mmput` after exit.
    Users,
    /// A registration's pin: taken by `mmu_notifier_register` (or `mmu_notifier_get`'s
    /// registration), dropped by `mmu_notifier_unregister`, `_no_release` or (v5.4)
    /// `mmu_notifier_free_rcu`.
    Registration,
    /// A pin a driver takes with `mmgrab` and drops with `mmdrop` in its own code (its
    /// methods, and the SRCU callbacks they queue): the driver of this notifier.
    Driver(ObjId),
    /// Any other `mmgrab`/`mmdrop` pair, by the thread that makes it (a walker's pin).
    Thread(ThreadId),
}

const REGISTER: [&str; 3] = [
    "mmu_notifier_register",
    "mmu_notifier_get_locked",
    "__mmu_notifier_register",
];
const UNREGISTER: [&str; 3] = [
    "mmu_notifier_unregister",
    "mmu_notifier_unregister_no_release",
    "mmu_notifier_free_rcu",
];

fn in_frames(e: &Event, names: &[&str]) -> bool {
    names.contains(&e.function) || names.contains(&e.caller) || names.contains(&e.site)
}

impl Log<'_> {
    /// The event at `at` as a cause, with `detail`.
    pub fn cause_at(&self, at: usize, detail: String) -> Cause {
        let e = &self.events[at];
        Cause {
            what: e.op.resolve(self.names).describe(),
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
                self.cite_queued(call)
            ));
        }
        if let Op::Free { obj } = self.events[free].op {
            if let Some(pins) = self.mm_pins(obj, free) {
                detail.push(pins);
            }
        }
        self.cause_at(free, detail.join("; "))
    }

    /// [`Log::cite`], plus the SRCU callback the event ran in and who queued it.
    fn cite_in_context(&self, at: usize) -> String {
        match self.callback_running(at) {
            Some(call) => format!(
                "{}, in the SRCU callback queued at step {call} by {}",
                self.cite(at),
                self.cite_queued(call)
            ),
            None => self.cite(at),
        }
    }

    /// [`Log::cite`] of a `call_srcu`, with the driver method it was called from.
    fn cite_queued(&self, call: usize) -> String {
        match self.method_running(call) {
            Some((method, n)) => format!(
                "{} in ->{method} of {}",
                self.cite(call),
                self.names.object(n)
            ),
            None => self.cite(call),
        }
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

    /// The driver method (name, notifier) still running on the thread of event `at`.
    fn method_running(&self, at: usize) -> Option<(&'static str, ObjId)> {
        let thread = self.events[at].thread;
        let mut methods = Vec::new();
        for (i, e) in self.events[..at].iter().enumerate() {
            match e.op {
                Op::MethodStart {
                    notifier, method, ..
                } if e.thread == thread => methods.push((i, method, notifier)),
                Op::MethodDone { start } if e.thread == thread => methods.retain(|m| m.0 != start),
                _ => {}
            }
        }
        methods.last().map(|m| (m.1, m.2))
    }

    /// The notifier whose driver code the thread of event `at` runs there: a method still
    /// running on that thread, or an SRCU callback queued from one.
    fn driver_of(&self, at: usize) -> Option<ObjId> {
        match self.method_running(at) {
            Some((_, n)) => Some(n),
            None => self
                .callback_running(at)
                .and_then(|call| self.driver_of(call)),
        }
    }

    fn pin_taken(&self, at: usize) -> Pin {
        let e = &self.events[at];
        if in_frames(e, &REGISTER) {
            Pin::Registration
        } else if let Some(n) = self.driver_of(at) {
            Pin::Driver(n)
        } else {
            Pin::Thread(e.thread)
        }
    }

    fn pin_dropped(&self, at: usize) -> Pin {
        let e = &self.events[at];
        if in_frames(e, &["mmput"]) {
            Pin::Users
        } else if in_frames(e, &UNREGISTER) {
            Pin::Registration
        } else if let Some(n) = self.driver_of(at) {
            Pin::Driver(n)
        } else {
            Pin::Thread(e.thread)
        }
    }

    fn pin_name(&self, pin: Pin) -> String {
        match pin {
            Pin::Users => "the users' pin (mm_alloc's, dropped by mmput)".to_string(),
            Pin::Registration => "the registration's pin (taken by mmu_notifier_register, \
                                  dropped by mmu_notifier_unregister or its variants)"
                .to_string(),
            Pin::Driver(n) => format!("a pin of the driver of {}", self.names.object(n)),
            Pin::Thread(t) => format!("a pin of thread {}", self.names.thread(t)),
        }
    }

    /// For an `mm_struct` freed at event `free`: its `mm_count` pins by owner, and the first
    /// drop that found no pin of its owner left, i.e. the pin dropped twice. `None` when
    /// `obj` is not an `mm_struct` (no `mmdrop` of it).
    fn mm_pins(&self, obj: ObjId, free: usize) -> Option<String> {
        let mut taken: Vec<(Pin, usize)> = Vec::new();
        let mut dropped: Vec<(Pin, usize)> = Vec::new();
        let mut excess = None;
        for (i, e) in self.events[..=free].iter().enumerate() {
            match e.op {
                Op::Alloc { obj: o } if o == obj => taken.push((Pin::Users, i)),
                Op::MmGrab { mm, .. } if mm == obj => taken.push((self.pin_taken(i), i)),
                Op::MmDrop { mm, .. } if mm == obj => {
                    let pin = self.pin_dropped(i);
                    let count = |v: &[(Pin, usize)]| v.iter().filter(|p| p.0 == pin).count();
                    if excess.is_none() && count(&dropped) >= count(&taken) {
                        excess = Some((pin, i));
                    }
                    dropped.push((pin, i));
                }
                _ => {}
            }
        }
        if dropped.is_empty() {
            return None;
        }
        let steps = |v: &[(Pin, usize)], pin: Pin| {
            v.iter()
                .filter(|p| p.0 == pin)
                .map(|p| format!("step {} ({})", p.1, self.cite_in_context(p.1)))
                .collect::<Vec<_>>()
        };
        let Some((pin, at)) = excess else {
            return Some(format!(
                "every mm_count pin dropped had been taken by its owner ({} taken, {} \
                 dropped): whoever still used the mm_struct held no pin of its own",
                taken.len(),
                dropped.len()
            ));
        };
        let took = steps(&taken, pin);
        let before: Vec<(Pin, usize)> = dropped.iter().copied().filter(|p| p.1 < at).collect();
        let earlier = steps(&before, pin);
        Some(if took.is_empty() {
            format!(
                "the mmdrop at step {at} ({}) drops {}, but no such pin was taken (no mmgrab \
                 pairs with it): a pin dropped twice",
                self.cite_in_context(at),
                self.pin_name(pin)
            )
        } else {
            format!(
                "{} was dropped twice: taken at {}, dropped at {} and again at step {at} ({})",
                self.pin_name(pin),
                took.join(", "),
                earlier.join(", "),
                self.cite_in_context(at)
            )
        })
    }
}
