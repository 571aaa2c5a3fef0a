//! The pairing of `invalidate_range_start` and `invalidate_range_end`, as the v5.4 header
//! documents it (`include/linux/mmu_notifier.h`, `struct mmu_notifier_ops`):
//! "invalidate_range_start() and invalidate_range_end() must be paired"; drivers count them
//! (KVM's `mmu_notifier_count`, hmm's `notifiers`) and stop establishing secondary mappings
//! while a range is open.
//!
//! For every range a walker opened (`mmu_notifier_range_init` .. the caller done with it):
//! 1. a notifier whose `invalidate_range_start` succeeded in the range gets its
//!    `invalidate_range_end` in the same range, unless it was unlinked (unregistered, put for
//!    the last time, or released by exit) before the range was over: the driver is tearing it
//!    down, and a walker may still meet it on the list it loaded before the unlink (even a
//!    walker whose range began after the unlink, when nothing orders its loads after it);
//! 2. a notifier gets no `invalidate_range_end` in a range whose start it did not see (one
//!    registered between the two walks, which registration's `mm_take_all_locks` prevents for
//!    the walkers that hold an rmap lock or `mmap_sem`).
//!
//! A notifier whose start failed (`-EAGAIN` in a non-blockable range) is not judged: the
//! later fix (c2655835fd8c) calls every end after a failure and forbids failing notifiers to
//! implement one. What the header adds about non-blockable ranges ("if
//! invalidate_range_start approves a non-blocking behavior then the same applies to
//! invalidate_range_end") is about sleeping, which the model does not represent: the same
//! range, with the same `blockable`, is passed to both methods.
//!
//! A start-only walker opens no range and is not judged.

use notifier_core::{Log, ObjId, Op, Oracle, ThreadId, Violation, ViolationKind};
use std::collections::{HashMap, HashSet};

/// One open range.
#[derive(Debug, Default)]
struct Range {
    /// Notifiers whose start returned, with the start's event and whether it succeeded.
    started: Vec<(ObjId, usize, bool)>,
    /// Notifiers whose end was called.
    ended: Vec<ObjId>,
}

/// Judges the start/end pairing (see the module documentation).
#[derive(Debug, Default)]
pub struct RangeOracle {
    /// The range each thread has open, by the index of its `RangeInit` event.
    open: HashMap<ThreadId, usize>,
    ranges: HashMap<usize, Range>,
    /// Notifiers unlinked so far.
    unlinked: HashSet<ObjId>,
}

// A violation ends the execution, so the large `Err` is built at most once per execution.
#[allow(clippy::result_large_err)]
impl RangeOracle {
    /// A new oracle for one execution.
    pub fn new() -> Self {
        Self::default()
    }

    fn range_of(&mut self, log: &Log<'_>, at: usize) -> Option<&mut Range> {
        let id = *self.open.get(&log.events[at].thread)?;
        self.ranges.get_mut(&id)
    }

    fn on_method(
        &mut self,
        at: usize,
        log: &Log<'_>,
        notifier: ObjId,
        method: &str,
    ) -> Result<(), Violation> {
        let Some(range) = self.range_of(log, at) else {
            return Ok(());
        };
        match method {
            "invalidate_range_start" => range.started.push((notifier, at, true)),
            "invalidate_range_end" => {
                if !range.started.iter().any(|s| s.0 == notifier) {
                    let msg = format!(
                        "->invalidate_range_end of {} without its invalidate_range_start in \
                         this range: it was linked between the walker's start and end walks",
                        log.names.object(notifier)
                    );
                    return Err(log.violation_at(at, ViolationKind::Contract, Some(notifier), msg));
                }
                range.ended.push(notifier);
            }
            _ => {}
        }
        Ok(())
    }

    fn on_done(&mut self, at: usize, log: &Log<'_>, id: usize) -> Result<(), Violation> {
        self.open.retain(|_, r| *r != id);
        let Some(range) = self.ranges.remove(&id) else {
            return Ok(());
        };
        let unpaired = range
            .started
            .iter()
            .find(|(n, _, ok)| *ok && !range.ended.contains(n) && !self.unlinked.contains(n));
        let Some(&(notifier, start, _)) = unpaired else {
            return Ok(());
        };
        let why = match &log.events[at].op {
            Op::RangeDone { ended: false, .. } => {
                "the caller skipped invalidate_range_end because the start walk failed"
            }
            _ => "the end walk did not reach it, and it is still linked",
        };
        let msg = format!(
            "{} saw invalidate_range_start ({}) but no invalidate_range_end before the range \
             ended: {why}",
            log.names.object(notifier),
            log.cite(start)
        );
        Err(log.violation_at(at, ViolationKind::Contract, Some(notifier), msg))
    }
}

impl Oracle for RangeOracle {
    fn on_event(&mut self, at: usize, log: &Log<'_>) -> Result<(), Violation> {
        let e = &log.events[at];
        match e.op {
            Op::RangeInit { .. } => {
                self.open.insert(e.thread, at);
                self.ranges.insert(at, Range::default());
            }
            Op::MethodStart {
                notifier, method, ..
            } => self.on_method(at, log, notifier, method)?,
            Op::MethodError { start, .. } => {
                if let Some(range) = self.range_of(log, at) {
                    if let Some(s) = range.started.iter_mut().find(|s| s.1 == start) {
                        s.2 = false;
                    }
                }
            }
            Op::NotifierUnlinked { notifier } => {
                self.unlinked.insert(notifier);
            }
            Op::RangeDone { range, .. } => self.on_done(at, log, range)?,
            _ => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notifier_core::{Execution, Task, ViolationPanic};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn judged(f: impl FnOnce(&Task, ObjId, ObjId, ObjId)) -> Option<Violation> {
        let exec = Execution::new(vec![Box::new(RangeOracle::new())]);
        let main = exec.main_task();
        let mm = exec.alloc(&main, "mm".into());
        let a = exec.alloc(&main, "notifier A".into());
        let b = exec.alloc(&main, "notifier B".into());
        let r = catch_unwind(AssertUnwindSafe(|| f(&main, mm, a, b)));
        if let Err(p) = r {
            assert!(p.is::<ViolationPanic>(), "only violations may stop it");
        }
        exec.violation()
    }

    fn method(t: &Task, n: ObjId, method: &'static str) -> usize {
        let s = t.record(Op::MethodStart {
            notifier: n,
            method,
            ops: 0,
        });
        t.record(Op::MethodDone { start: s });
        s
    }

    fn range(t: &Task, mm: ObjId) -> usize {
        t.record(Op::RangeInit {
            mm,
            blockable: true,
        })
    }

    #[test]
    fn a_start_and_its_end_are_clean_and_a_missing_end_is_reported_at_the_range_end() {
        let clean = judged(|t, mm, a, _| {
            let r = range(t, mm);
            method(t, a, "invalidate_range_start");
            method(t, a, "invalidate_range_end");
            t.record(Op::RangeDone {
                range: r,
                ended: true,
            });
        });
        assert_eq!(clean, None);
        let v = judged(|t, mm, a, b| {
            let r = range(t, mm);
            method(t, a, "invalidate_range_start");
            let s = method(t, b, "invalidate_range_start");
            t.record(Op::MethodError {
                start: s,
                errno: "-EAGAIN",
            });
            t.record(Op::RangeDone {
                range: r,
                ended: false,
            });
        })
        .expect("violation");
        assert_eq!(v.kind, ViolationKind::Contract);
        assert_eq!(v.object.as_deref(), Some("notifier A"));
        // Located at the end of the range (step 9), citing A's start (step 4).
        assert_eq!(v.step, Some(9));
        assert!(v.message.contains("step 4"), "{}", v.message);
        assert!(v.message.contains("skipped"), "{}", v.message);
    }

    #[test]
    fn a_notifier_unlinked_between_the_walks_is_excused() {
        let v = judged(|t, mm, a, _| {
            let r = range(t, mm);
            method(t, a, "invalidate_range_start");
            t.record(Op::NotifierUnlinked { notifier: a });
            t.record(Op::RangeDone {
                range: r,
                ended: true,
            });
        });
        assert_eq!(v, None);
    }

    #[test]
    fn an_end_without_a_start_is_reported_and_walks_outside_a_range_are_not_judged() {
        let v = judged(|t, mm, a, b| {
            let r = range(t, mm);
            method(t, a, "invalidate_range_start");
            method(t, a, "invalidate_range_end");
            method(t, b, "invalidate_range_end");
            t.record(Op::RangeDone {
                range: r,
                ended: true,
            });
        })
        .expect("violation");
        assert_eq!(v.object.as_deref(), Some("notifier B"));
        assert!(v.message.contains("without its"), "{}", v.message);
        let outside = judged(|t, _, a, _| {
            method(t, a, "invalidate_range_start");
        });
        assert_eq!(outside, None);
    }
    #[test]
    fn a_notifier_whose_start_failed_is_not_judged() {
        let v = judged(|t, mm, _, b| {
            let r = range(t, mm);
            let s = method(t, b, "invalidate_range_start");
            t.record(Op::MethodError {
                start: s,
                errno: "-EAGAIN",
            });
            t.record(Op::RangeDone {
                range: r,
                ended: false,
            });
        });
        assert_eq!(v, None);
    }

    #[test]
    fn another_threads_range_ending_leaves_this_threads_range_open() {
        let v = judged(|t, mm, a, _| {
            let r = range(t, mm);
            // W opens and closes a range of its own meanwhile.
            notifier_core::backend::JoinOps::join(t.spawn::<notifier_core::Std, _>(
                "W",
                0,
                move |w| {
                    let other = range(w, mm);
                    w.record(Op::RangeDone {
                        range: other,
                        ended: true,
                    });
                },
            ));
            method(t, a, "invalidate_range_start");
            t.record(Op::RangeDone {
                range: r,
                ended: true,
            });
        })
        .expect("violation");
        assert_eq!(v.object.as_deref(), Some("notifier A"));
        assert_eq!(v.thread, "main");
        assert!(v.message.contains("still linked"), "{}", v.message);
    }
}
