//! A counterexample as an SVG timeline: one lane per thread (in order of first appearance),
//! one row per event in trace order, a lane of SRCU state on the right where it changes, the
//! violating access, the free it violates and the step that opened the window boxed and
//! labelled, and arrows from cause to effect (a `call_srcu` to its callback's invocation, the
//! free to the violating access).

use super::esc;
use crate::story::{LinkKind, Story};
use notifier_core::{TraceEvent, Violation};

const LANE: usize = 360;
/// Between two thread lanes: where the arrows between them run.
const GUTTER: usize = 30;
const SRCU_LANE: usize = 450;
const LEFT: usize = 46;
const TOP: usize = 34;
const ROW: usize = 17;
const NOTE: usize = 190;
const MAX_CHARS: usize = 50;
const SRCU_CHARS: usize = 72;

const RED: &str = "#d00";
const ORANGE: &str = "#c60";
const BLUE: &str = "#15c";
const PURPLE: &str = "#83c";

/// The picture of `events` (the trace after its folded set-up), which end in `v`; `index`
/// makes its ids unique in the page.
pub fn svg(index: usize, events: &[TraceEvent], v: &Violation, story: &Story) -> String {
    let mut threads: Vec<&str> = Vec::new();
    for e in events {
        if !threads.contains(&e.thread.as_str()) {
            threads.push(&e.thread);
        }
    }
    // A violating access that loom stopped before it was recorded gets a row of its own.
    let extra = v.step.is_none() && !v.thread.is_empty();
    if extra && !threads.contains(&v.thread.as_str()) {
        threads.push(&v.thread);
    }
    let shown = |step: usize| events.iter().position(|e| e.step == step);
    let srcu: Vec<(usize, String)> = story
        .srcu
        .iter()
        .filter_map(|r| shown(r.step).map(|i| (i, r.text())))
        .collect();
    let srcu_x = LEFT + threads.len() * (LANE + GUTTER);
    let note_x = srcu_x + if srcu.is_empty() { 0 } else { SRCU_LANE };
    let rows = events.len() + usize::from(extra);
    let width = note_x + NOTE;
    let height = TOP + rows * ROW + 10;
    let lane_x =
        |t: &str| LEFT + threads.iter().position(|x| *x == t).unwrap_or(0) * (LANE + GUTTER);
    let row_y = |i: usize| TOP + i * ROW;
    let mut s = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"timeline, one lane per thread\">\n<defs>"
    );
    for (name, colour) in [("cb", PURPLE), ("free", ORANGE)] {
        s.push_str(&format!(
            "<marker id=\"arrow-{index}-{name}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" \
             markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path \
             d=\"M0 0 L10 5 L0 10 z\" fill=\"{colour}\"/></marker>"
        ));
    }
    s.push_str("</defs>\n");
    for (i, t) in threads.iter().enumerate() {
        let x = LEFT + i * (LANE + GUTTER);
        let fill = if i % 2 == 0 { "#f3f6fb" } else { "#fbf8f1" };
        s.push_str(&format!(
            "<g class=\"lane\" data-thread=\"{t}\"><rect x=\"{x}\" y=\"0\" width=\"{LANE}\" \
             height=\"{height}\" fill=\"{fill}\"/><line x1=\"{lx}\" y1=\"{TOP}\" x2=\"{lx}\" \
             y2=\"{height}\" stroke=\"#99a\" stroke-width=\"1\"/><text x=\"{lx}\" y=\"20\" \
             font-weight=\"bold\" style=\"font-size:14px\">thread {t}</text></g>\n",
            t = esc(t),
            lx = x + 8,
        ));
    }
    if !srcu.is_empty() {
        s.push_str(&format!(
            "<g class=\"srcu-lane\"><rect x=\"{srcu_x}\" y=\"0\" width=\"{SRCU_LANE}\" \
             height=\"{height}\" fill=\"#f4f0fa\"/><text x=\"{}\" y=\"20\" font-weight=\"bold\" \
             style=\"font-size:14px\">SRCU state</text></g>\n",
            srcu_x + 8
        ));
    }
    let window = story.window.as_ref().map(|w| w.step);
    for (i, e) in events.iter().enumerate() {
        let mark = if v.step == Some(e.step) {
            Some(Mark::Violation)
        } else if story.free == Some(e.step) {
            Some(Mark::Free)
        } else if window == Some(e.step) {
            Some(Mark::Window)
        } else {
            None
        };
        s.push_str(&row(
            row_y(i),
            lane_x(&e.thread),
            note_x,
            &e.step.to_string(),
            &e.text(),
            mark,
            &format!("{} here", v.kind),
        ));
    }
    if extra {
        let text = format!("{}: {} (access stopped by loom)", v.site, v.function);
        s.push_str(&row(
            row_y(events.len()),
            lane_x(&v.thread),
            note_x,
            "—",
            &text,
            Some(Mark::Violation),
            &format!("{} here", v.kind),
        ));
    }
    // The SRCU states over the marked rows' leaders, each on a patch of the lane's colour so
    // a leader crossing it does not strike it through.
    if !srcu.is_empty() {
        s.push_str("<g class=\"srcu-states\">");
        for (i, text) in &srcu {
            let shown = clip(text, SRCU_CHARS);
            s.push_str(&format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"13\" fill=\"#f4f0fa\"/>\
                 <text class=\"srcu-state\" x=\"{}\" y=\"{}\" fill=\"#537\" \
                 style=\"font-size:10px\"><title>{}</title>{}</text>",
                srcu_x + 3,
                row_y(*i) + 2,
                // 10 px monospace: 6 px a character at most.
                shown.chars().count() * 6 + 6,
                srcu_x + 6,
                row_y(*i) + 12,
                esc(text),
                esc(&shown)
            ));
        }
        s.push_str("</g>\n");
    }
    // Cause → effect arrows, between the rows' dots.
    let at = |step: Option<usize>| match step {
        Some(step) => shown(step).map(|i| (i, events[i].thread.as_str())),
        None if extra => Some((events.len(), v.thread.as_str())),
        None => None,
    };
    for (k, link) in story.links.iter().enumerate() {
        let (Some((from, t1)), Some((to, t2))) = (at(Some(link.from)), at(link.to)) else {
            continue;
        };
        // Between lanes, the arrow joins the lanes' facing edges and runs down the gutter
        // between them (over no text; side by side when several do); within a lane, it bows
        // left of the dots.
        let (l1, l2) = (lane_x(t1), lane_x(t2));
        let (y1, y2) = (row_y(from) + 8, row_y(to) + 8);
        let path = if l1 == l2 {
            let bow = 14 + (to.abs_diff(from)).min(20);
            let x = l1 + 8;
            format!(
                "M{x} {y1} C{} {y1}, {} {y2}, {} {y2}",
                x.saturating_sub(bow),
                x.saturating_sub(bow),
                x - 3
            )
        } else {
            let (x1, x2) = if l1 < l2 {
                (l1 + LANE - 2, l2 + 5)
            } else {
                (l1 + 5, l2 + LANE - 2)
            };
            let mid = l1.min(l2) + LANE + 6 + (k % 4) * 6;
            format!("M{x1} {y1} C{mid} {y1}, {mid} {y2}, {x2} {y2}")
        };
        let (class, colour, marker) = match link.kind {
            LinkKind::Callback => ("link callback", PURPLE, "cb"),
            LinkKind::Free => ("link free", ORANGE, "free"),
        };
        s.push_str(&format!(
            "<path class=\"{class}\" d=\"{path}\" fill=\"none\" stroke=\"{colour}\" \
             stroke-width=\"1.5\" marker-end=\"url(#arrow-{index}-{marker})\"><title>{}</title>\
             </path>\n",
            match link.kind {
                LinkKind::Callback => format!(
                    "call_srcu at step {} queues the callback invoked at step {}",
                    link.from,
                    link.to.map_or("?".to_string(), |t| t.to_string())
                ),
                LinkKind::Free => format!("the free at step {} → the violating access", link.from),
            }
        ));
    }
    s.push_str("</svg>\n");
    s
}

/// What a row is marked as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Violation,
    Free,
    Window,
}

/// One row: the step number, a dot and the text in its lane; a box and a labelled leader if
/// it is marked.
fn row(
    y: usize,
    x: usize,
    note_x: usize,
    step: &str,
    text: &str,
    mark: Option<Mark>,
    violation_label: &str,
) -> String {
    let class = match mark {
        Some(Mark::Violation) => "op violation",
        Some(Mark::Free) => "op cause",
        Some(Mark::Window) => "op window",
        None => "op",
    };
    let mut s = format!("<g class=\"{class}\"><title>{}</title>", esc(text));
    let boxed = match mark {
        Some(Mark::Violation) => Some(("violation-box", "#fcc", RED, 2)),
        Some(Mark::Free) => Some(("cause-box", "#fe9", ORANGE, 1)),
        Some(Mark::Window) => Some(("window-box", "#dbe8ff", BLUE, 1)),
        None => None,
    };
    if let Some((class, fill, stroke, w)) = boxed {
        s.push_str(&format!(
            "<rect class=\"{class}\" x=\"{}\" y=\"{y}\" width=\"{}\" height=\"{ROW}\" \
             fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{w}\"/>",
            x + 2,
            LANE - 4
        ));
    }
    let marked = mark == Some(Mark::Violation);
    s.push_str(&format!(
        "<text x=\"4\" y=\"{ty}\" fill=\"#888\">{step}</text><circle cx=\"{cx}\" cy=\"{cy}\" \
         r=\"3\" fill=\"{dot}\"/><text x=\"{tx}\" y=\"{ty}\" fill=\"{fg}\"{bold}>{}</text>",
        esc(&clip(text, MAX_CHARS)),
        ty = y + 12,
        cx = x + 8,
        cy = y + 8,
        tx = x + 16,
        dot = if marked { RED } else { "#557" },
        fg = if marked { "#a00" } else { "#222" },
        bold = if marked { " font-weight=\"bold\"" } else { "" },
    ));
    let label = match mark {
        Some(Mark::Violation) => Some((violation_label, RED, "violation-marker")),
        Some(Mark::Free) => Some(("freed here", ORANGE, "cause-marker")),
        Some(Mark::Window) => Some(("window opens here", BLUE, "window-marker")),
        None => None,
    };
    if let Some((label, colour, class)) = label {
        // A dashed leader from the operation to a label right of the lanes.
        let mx = note_x + 6;
        s.push_str(&format!(
            "<line x1=\"{}\" y1=\"{cy}\" x2=\"{mx}\" y2=\"{cy}\" stroke=\"{colour}\" \
             stroke-dasharray=\"4 3\"/><path class=\"{class}\" d=\"M{mx} {cy} l10 -6 v12 z\" \
             fill=\"{colour}\"/><text class=\"{class}-label\" x=\"{}\" y=\"{}\" \
             fill=\"{colour}\" font-weight=\"bold\" style=\"font-size:13px\">{}</text>",
            x + LANE - 2,
            mx + 14,
            y + 13,
            esc(label),
            cy = y + 8,
        ));
    }
    s.push_str("</g>\n");
    s
}

/// `text` cut to `max` characters, with `…` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        text.chars()
            .take(max - 1)
            .chain(std::iter::once('…'))
            .collect()
    } else {
        text.to_string()
    }
}
