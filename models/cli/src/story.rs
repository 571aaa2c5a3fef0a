//! What a counterexample's trace says beyond its rows, computed from the structured events
//! alone (no rendered text is parsed back): the setup before the other threads start (folded
//! by the renderers), the free a use-after-free violates, the step that opened the window
//! (the violating thread's `srcu_read_unlock` that ended its protection before the free),
//! cause → effect links (a `call_srcu` → the invocation of its callback; a free → the
//! violating access), and the SRCU state after each SRCU event (readers per index, the
//! completed count, queued callbacks, the grace period's phase). Text and HTML render it.

use notifier_core::{Op, TraceEvent, Violation, ViolationKind};

/// The story of one trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Story {
    /// The folded prefix.
    pub setup: Setup,
    /// The free the violation is about (a use-after-free or double free), by step.
    pub free: Option<usize>,
    /// The step that opened the window, and why.
    pub window: Option<Window>,
    /// Cause → effect, by step.
    pub links: Vec<Link>,
    /// The SRCU state after each SRCU event, by step.
    pub srcu: Vec<SrcuRow>,
}

/// The events before any thread but the first one runs: the set-up a scenario does before it
/// starts its threads.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Setup {
    /// How many events (the first `len` of the trace; 0: nothing folded).
    pub len: usize,
    /// One line saying what is folded (`None` when nothing is).
    pub summary: Option<String>,
}

/// The step that opened the window in which the violation could happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// Its step.
    pub step: usize,
    /// Why, in one sentence.
    pub why: String,
}

/// A cause → effect link between two steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// The cause's step.
    pub from: usize,
    /// The effect's step (`None`: the violating access loom stopped before it was recorded).
    pub to: Option<usize>,
    /// What kind of link.
    pub kind: LinkKind,
}

/// The kinds of cause → effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkKind {
    /// `call_srcu` queued the callback that this invocation runs.
    Callback,
    /// The free that the violating access (or second free) violates.
    Free,
}

/// The SRCU state after one SRCU event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrcuRow {
    /// The event's step.
    pub step: usize,
    /// Open read-side sections per index (`[idx 0, idx 1]`).
    pub readers: [usize; 2],
    /// The completed count (the last flip's).
    pub completed: usize,
    /// Callbacks queued and not yet invoked.
    pub queued: usize,
    /// The grace period's phase, in words.
    pub phase: String,
}

impl SrcuRow {
    /// `readers 1|0 · completed 1 · 2 queued · <phase>` (readers of index 0 | index 1).
    pub fn text(&self) -> String {
        let mut s = format!(
            "readers {}|{} · completed {}",
            self.readers[0], self.readers[1], self.completed
        );
        if self.queued > 0 {
            s.push_str(&format!(" · {} queued", self.queued));
        }
        if !self.phase.is_empty() {
            s.push_str(&format!(" · {}", self.phase));
        }
        s
    }
}

/// Setups shorter than this are shown as they are.
const MIN_FOLD: usize = 4;

impl Story {
    /// The story of `trace`, which ends in `violation` (if any).
    pub fn of(trace: &[TraceEvent], violation: Option<&Violation>) -> Story {
        let at = |step: usize| trace.iter().position(|e| e.step == step);
        let violating = violation.and_then(|v| v.step);
        let free = violation.and_then(|v| free_of(trace, v));
        let mut links = callback_links(trace);
        if let Some(f) = free {
            links.push(Link {
                from: f,
                to: violating,
                kind: LinkKind::Free,
            });
        }
        let window = violation.and_then(|v| window(trace, v, free));
        // Never fold a step the story points at.
        let mut keep = trace.len();
        let pointed = links
            .iter()
            .flat_map(|l| [Some(l.from), l.to])
            .chain([violating, free, window.as_ref().map(|w| w.step)])
            .flatten();
        for step in pointed {
            if let Some(i) = at(step) {
                keep = keep.min(i);
            }
        }
        let setup = setup(trace, keep);
        Story {
            setup,
            free,
            window,
            links,
            srcu: srcu_rows(trace),
        }
    }

    /// The story in a few lines of text: the window, and the chain of cause and effect.
    pub fn explanation(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(w) = &self.window {
            lines.push(format!("window: step {}: {}", w.step, w.why));
        }
        let callbacks: Vec<String> = self
            .links
            .iter()
            .filter(|l| l.kind == LinkKind::Callback)
            .filter_map(|l| l.to.map(|to| format!("{} → {to}", l.from)))
            .collect();
        if !callbacks.is_empty() {
            lines.push(format!(
                "call_srcu → its callback (steps): {}",
                callbacks.join(", ")
            ));
        }
        if let Some(l) = self.links.iter().find(|l| l.kind == LinkKind::Free) {
            let to =
                l.to.map_or("the violating access (not recorded)".to_string(), |t| {
                    format!("the violating access at step {t}")
                });
            lines.push(format!("free → violation: step {} → {to}", l.from));
        }
        lines
    }
}

/// The step of the free the violation is about: the one its cause names (the oracle's and
/// loom's own account), else the last free of its object before the violating step, else
/// (loom: an access not ordered before a later free) the first one.
fn free_of(trace: &[TraceEvent], v: &Violation) -> Option<usize> {
    if !matches!(
        v.kind,
        ViolationKind::UseAfterFree | ViolationKind::DoubleFree
    ) {
        return None;
    }
    if let Some(step) = v.cause.as_ref().and_then(|c| c.step) {
        return Some(step);
    }
    let object = v.object.as_deref()?;
    let frees = || {
        trace
            .iter()
            .filter(move |e| e.op.freed() == Some(object))
            .filter(|e| Some(e.step) != v.step)
    };
    frees()
        .rfind(|e| v.step.is_none_or(|s| e.step < s))
        .or_else(|| frees().next())
        .map(|e| e.step)
}

/// For a use-after-free: the violating thread's last `srcu_read_unlock` before the free,
/// when it then went on to the violating access. Ending the read-side section is what let
/// the grace period (and so the free) complete under the thread's feet.
fn window(trace: &[TraceEvent], v: &Violation, free: Option<usize>) -> Option<Window> {
    if v.kind != ViolationKind::UseAfterFree || v.thread.is_empty() {
        return None;
    }
    let free = free?;
    let limit = v.step.map_or(free, |s| s.min(free));
    let unlock = trace.iter().rfind(|e| {
        e.thread == v.thread && e.step < limit && matches!(e.op, Op::SrcuReadUnlock { .. })
    })?;
    let Op::SrcuReadUnlock { section, .. } = unlock.op else {
        return None;
    };
    let object = v.object.as_deref().unwrap_or("the object");
    let freer = trace
        .iter()
        .find(|e| e.step == free)
        .map_or(String::new(), |e| format!(" by {}", e.thread));
    Some(Window {
        step: unlock.step,
        why: format!(
            "{}'s srcu_read_unlock in {} ends the read-side section opened at step {section}; \
             from here the grace period need not wait for {}, so {object} can be freed (step \
             {free}{freer}) while {} still uses it",
            v.thread, unlock.function, v.thread, v.thread
        ),
    })
}

/// `call_srcu` → the invocation of its callback, for every callback invoked in the trace.
fn callback_links(trace: &[TraceEvent]) -> Vec<Link> {
    trace
        .iter()
        .filter_map(|e| match e.op {
            Op::CallbackStart { call } => Some(Link {
                from: call,
                to: Some(e.step),
                kind: LinkKind::Callback,
            }),
            _ => None,
        })
        .collect()
}

/// The prefix of the trace run by its first thread before any other thread's first event,
/// up to (not including) index `keep`, when it is long enough to fold.
fn setup(trace: &[TraceEvent], keep: usize) -> Setup {
    let Some(first) = trace.first() else {
        return Setup::default();
    };
    let Some(others) = trace.iter().position(|e| e.thread != first.thread) else {
        // One thread: nothing to tell apart from.
        return Setup::default();
    };
    let len = others.min(keep);
    if len < MIN_FOLD {
        return Setup::default();
    }
    let folded = &trace[..len];
    // What it called: each entry point once per call (a run of its events).
    let mut calls: Vec<(String, usize)> = Vec::new();
    let mut last = "";
    for e in folded {
        if e.function != last && !e.function.is_empty() {
            match calls.iter_mut().find(|(f, _)| *f == e.function) {
                Some((_, n)) => *n += 1,
                None => calls.push((e.function.clone(), 1)),
            }
        }
        last = &e.function;
    }
    let calls: Vec<String> = calls
        .into_iter()
        .map(|(f, n)| if n > 1 { format!("{f} ×{n}") } else { f })
        .collect();
    let what = if calls.is_empty() {
        String::new()
    } else {
        format!(": {}", calls.join(", "))
    };
    Setup {
        len,
        summary: Some(format!(
            "steps {}–{}: {}'s setup before the other threads start, folded ({len} steps{what})",
            folded[0].step,
            folded[len - 1].step,
            first.thread
        )),
    }
}

/// The SRCU state after each SRCU event.
fn srcu_rows(trace: &[TraceEvent]) -> Vec<SrcuRow> {
    let mut readers = [0usize; 2];
    let mut completed = 0;
    let mut queued = 0usize;
    let mut phase = String::new();
    let mut rows = Vec::new();
    for e in trace {
        let changed = match &e.op {
            Op::SrcuReadLock { idx, .. } => {
                readers[idx % 2] += 1;
                true
            }
            Op::SrcuReadUnlock { idx, .. } => {
                readers[idx % 2] = readers[idx % 2].saturating_sub(1);
                true
            }
            Op::SrcuFlip { completed: c } => {
                completed = *c;
                phase = format!("flip: new readers on idx {}", c % 2);
                true
            }
            Op::SrcuReadersGone { idx } => {
                phase = format!("idx {idx} drained");
                true
            }
            Op::SynchronizeSrcu => {
                phase = format!("synchronize_srcu ({}) waits", e.thread);
                true
            }
            Op::SynchronizeSrcuDone { .. } => {
                phase = format!("synchronize_srcu ({}) returns", e.thread);
                true
            }
            Op::CallSrcuDone { .. } => {
                queued += 1;
                true
            }
            Op::CallbackStart { call } => {
                queued = queued.saturating_sub(1);
                phase = format!("gp over: callback #{call} runs");
                true
            }
            Op::SrcuBarrier => {
                phase = format!("srcu_barrier ({}) waits", e.thread);
                true
            }
            Op::SrcuBarrierDone { .. } => {
                phase = format!("srcu_barrier ({}) returns", e.thread);
                true
            }
            _ => false,
        };
        if changed {
            rows.push(SrcuRow {
                step: e.step,
                readers,
                completed,
                queued,
                phase: phase.clone(),
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use notifier_core::ResolvedOp;

    fn ev(step: usize, thread: &str, function: &str, op: ResolvedOp) -> TraceEvent {
        TraceEvent {
            step,
            thread: thread.to_string(),
            function: function.to_string(),
            site: String::new(),
            caller: String::new(),
            op,
        }
    }

    fn access(step: usize, thread: &str) -> TraceEvent {
        ev(
            step,
            thread,
            "__mmu_notifier_release",
            Op::Access {
                obj: "notifier A".to_string(),
                field: "hlist.next".to_string(),
                write: false,
            },
        )
    }

    /// Hazard A's shape: main registers, E reads under SRCU, unlocks early and goes on to
    /// touch the notifier, G's callback frees it.
    fn hazard_a() -> (Vec<TraceEvent>, Violation) {
        let mut t: Vec<TraceEvent> = (0..6)
            .map(|s| {
                ev(
                    s,
                    "main",
                    if s < 3 {
                        "mm_alloc"
                    } else {
                        "mmu_notifier_register"
                    },
                    Op::Note {
                        text: "set up".to_string(),
                    },
                )
            })
            .collect();
        t.push(ev(
            6,
            "E",
            "__mmu_notifier_release",
            Op::SrcuReadLock { idx: 0, cpu: 0 },
        ));
        t.push(ev(7, "E", "mmu_notifier_call_srcu", Op::CallSrcu));
        t.push(ev(
            8,
            "E",
            "mmu_notifier_call_srcu",
            Op::CallSrcuDone { call: 7 },
        ));
        t.push(ev(
            9,
            "E",
            "__mmu_notifier_release",
            Op::SrcuReadUnlock {
                idx: 0,
                cpu: 0,
                section: 6,
            },
        ));
        t.push(ev(10, "G", "process_srcu", Op::SrcuFlip { completed: 1 }));
        t.push(ev(11, "G", "process_srcu", Op::SrcuReadersGone { idx: 0 }));
        t.push(ev(12, "G", "process_srcu", Op::CallbackStart { call: 7 }));
        t.push(ev(
            13,
            "G",
            "process_srcu",
            Op::Free {
                obj: "notifier A".to_string(),
            },
        ));
        t.push(access(14, "E"));
        let v = Violation {
            kind: ViolationKind::UseAfterFree,
            object: Some("notifier A".to_string()),
            function: "__mmu_notifier_release".to_string(),
            site: "hlist_del_init_rcu".to_string(),
            thread: "E".to_string(),
            step: Some(14),
            message: String::new(),
            cause: None,
        };
        (t, v)
    }

    #[test]
    fn hazard_a_is_told_from_its_events() {
        let (trace, v) = hazard_a();
        let story = Story::of(&trace, Some(&v));
        assert_eq!(story.setup.len, 6);
        let summary = story.setup.summary.as_deref().unwrap();
        assert!(
            summary.contains("steps 0–5: main's setup")
                && summary.contains("mm_alloc, mmu_notifier_register"),
            "{summary}"
        );
        assert_eq!(story.free, Some(13));
        let w = story.window.as_ref().unwrap();
        assert_eq!(w.step, 9, "E's early srcu_read_unlock");
        assert!(w.why.contains("opened at step 6"), "{}", w.why);
        assert_eq!(
            story.links,
            [
                Link {
                    from: 7,
                    to: Some(12),
                    kind: LinkKind::Callback
                },
                Link {
                    from: 13,
                    to: Some(14),
                    kind: LinkKind::Free
                }
            ]
        );
        let srcu: Vec<(usize, [usize; 2], usize, usize)> = story
            .srcu
            .iter()
            .map(|r| (r.step, r.readers, r.completed, r.queued))
            .collect();
        assert_eq!(
            srcu,
            [
                (6, [1, 0], 0, 0),
                (8, [1, 0], 0, 1),
                (9, [0, 0], 0, 1),
                (10, [0, 0], 1, 1),
                (11, [0, 0], 1, 1),
                (12, [0, 0], 1, 0)
            ]
        );
        assert!(story.srcu[3].phase.contains("flip"));
        let text = story.explanation().join("\n");
        assert!(text.contains("window: step 9"), "{text}");
        assert!(text.contains("7 → 12"), "{text}");
        assert!(
            text.contains("step 13 → the violating access at step 14"),
            "{text}"
        );
    }

    #[test]
    fn a_step_the_story_points_at_is_never_folded() {
        let (mut trace, mut v) = hazard_a();
        // main frees the notifier during its set-up and E touches it afterwards.
        trace[4].op = Op::Free {
            obj: "notifier A".to_string(),
        };
        trace.truncate(7);
        trace.push(access(7, "E"));
        v.step = Some(7);
        let story = Story::of(&trace, Some(&v));
        assert_eq!(story.free, Some(4));
        assert_eq!(story.setup.len, 4, "folding stops before the free");
        assert_eq!(story.window, None, "E never left a read-side section");
    }

    #[test]
    fn short_or_single_thread_traces_are_not_folded() {
        let one: Vec<TraceEvent> = (0..10).map(|s| access(s, "main")).collect();
        assert_eq!(Story::of(&one, None).setup, Setup::default());
        let mut short: Vec<TraceEvent> = (0..3).map(|s| access(s, "main")).collect();
        short.push(access(3, "E"));
        assert_eq!(Story::of(&short, None).setup, Setup::default());
    }
}
