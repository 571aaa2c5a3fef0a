//! `--report FILE.html`: one self-contained page (no external resource: styles inline,
//! pictures as inline SVG). On top, the verdict matrix: a row per scenario × kernel, a cell
//! per checker, each cell linking to its counterexample or to its figures (checker, bound,
//! executions, seconds). Then every counterexample as a timeline picture (see `timeline`)
//! and the figures of every check that found nothing.

mod timeline;

use crate::report::{ObservedVerdict, Report};
use crate::results::{cell, matrix, placement_text};
use crate::story::Story;

/// The page for `checks`, titled `title`, with `notes` (one paragraph each) under the title.
pub fn render(title: &str, notes: &[String], checks: &[Report]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", esc(title)));
    s.push_str(STYLE);
    s.push_str("</head>\n<body>\n");
    s.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    for n in notes {
        s.push_str(&format!("<p class=\"note\">{}</p>\n", esc(n)));
    }
    let mismatched = checks.iter().filter(|r| r.mismatched()).count();
    let crashed = checks.iter().filter(|r| r.crashed()).count();
    s.push_str(&format!(
        "<p class=\"summary {}\">{}: {} as expected, {mismatched} not, {crashed} crashed.</p>\n",
        if mismatched + crashed == 0 {
            "ok"
        } else {
            "bad"
        },
        plural(checks.len(), "check"),
        checks.iter().filter(|r| r.matches).count(),
    ));
    s.push_str(&matrix_table(checks));
    let single = checks.len() == 1;
    let failures: Vec<(usize, &Report)> = checks
        .iter()
        .enumerate()
        .filter(|(_, r)| r.violation().is_some() || !r.matches)
        .collect();
    if !failures.is_empty() {
        s.push_str("<h2 id=\"counterexamples\">Counterexamples and mismatches</h2>\n");
        s.push_str(LEGEND);
    }
    for (i, r) in failures {
        s.push_str(&counterexample(i, r, single || !r.matches));
    }
    s.push_str(&figures(checks));
    s.push_str("</body>\n</html>\n");
    s
}

/// `1 check`, `2 checks`.
fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// The anchor of the check at `index` of the page.
fn anchor(index: usize) -> String {
    format!("check-{index}")
}

const STYLE: &str = "<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1800px; }
p.note { max-width: 70em; }
table.matrix { border-collapse: collapse; font-size: 13px; }
table.matrix th, table.matrix td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
table.matrix th.scenario { vertical-align: top; background: #f4f4f4; }
table.matrix td.cell a { display: block; text-decoration: none; color: inherit;
  font-family: monospace; }
td.safe { background: #e7f5e7; }
td.blind { background: #f0f5e7; }
td.cex { background: #fff1d6; }
td.bad { background: #fcc; font-weight: bold; }
td.crash { background: #ddd; font-weight: bold; }
p.summary.ok { color: #080; font-weight: bold; }
p.summary.bad { color: #c00; font-weight: bold; }
details.cex { margin-top: 1em; border-top: 2px solid #888; padding-top: 0.3em; }
details.cex > summary { font-weight: bold; cursor: pointer; }
p.target { scroll-margin-top: 3em; }
p.target:target { background: #ffa; }
details.setup { margin: 0.5em 0; font-size: 12px; }
details.setup ol { font-family: monospace; columns: 2; }
ul.story li { margin: 0.2em 0; }
code.replay { display: block; white-space: pre-wrap; word-break: break-all; background: #f4f4f4;
  padding: 4px; font-size: 12px; }
pre.trace { font-size: 11px; }
table.figures { border-collapse: collapse; font-size: 12px; }
table.figures th, table.figures td { border: 1px solid #ddd; padding: 1px 6px; }
table.figures td.num { text-align: right; font-family: monospace; }
table.figures tr:target { background: #ffa; }
svg.timeline { max-width: 100%; height: auto; }
svg.timeline text { font-family: monospace; font-size: 11px; }
</style>
";

const LEGEND: &str = "<p class=\"legend\">Each picture: one lane per thread, one row per \
kernel operation in the order the checker ran them (the number is the trace step), the set-up \
before the threads start folded above it, and a lane of SRCU state (readers per index, the \
completed count, queued callbacks, the grace period's phase) where it changes; readers 1|0 \
means one reader in index 0 and none in index 1. Red: the \
violating access; orange: the free it violates, with an arrow to the access; blue: the step \
that opened the window (the violating thread's srcu_read_unlock before the free); purple \
arrows: a call_srcu to the invocation of its callback. Hover a row for its full text.</p>\n";

/// The verdict matrix: a row per scenario × kernel (× placement), a cell per checker linking
/// to the check's counterexample or figures.
fn matrix_table(checks: &[Report]) -> String {
    let (columns, rows) = matrix(checks);
    let placed = rows.iter().any(|r| !r.placements.is_empty());
    let mut s = String::from("<table class=\"matrix\">\n<tr><th>scenario</th><th>kernel</th>");
    if placed {
        s.push_str("<th>placement</th>");
    }
    for c in &columns {
        s.push_str(&format!("<th>{c}</th>"));
    }
    s.push_str("</tr>\n");
    let index_of = |r: &Report| checks.iter().position(|c| std::ptr::eq(c, r)).unwrap_or(0);
    for (i, row) in rows.iter().enumerate() {
        s.push_str("<tr>");
        let first = i == 0 || rows[i - 1].scenario != row.scenario;
        if first {
            let span = rows[i..]
                .iter()
                .take_while(|r| r.scenario == row.scenario)
                .count();
            s.push_str(&format!(
                "<th class=\"scenario\" rowspan=\"{span}\">{}</th>",
                esc(row.scenario)
            ));
        }
        s.push_str(&format!("<td>{}</td>", esc(&row.kernel_text())));
        if placed {
            s.push_str(&format!(
                "<td>{}</td>",
                esc(&placement_text(&row.placements))
            ));
        }
        for c in &row.cells {
            match c {
                None => s.push_str("<td>-</td>"),
                Some(r) => s.push_str(&format!(
                    "<td class=\"cell {}\" title=\"expected: {}\"><a href=\"#{}\">{}</a></td>",
                    class(r),
                    esc(&r.expected_text()),
                    anchor(index_of(r)),
                    esc(&cell(r)),
                )),
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</table>\n");
    s
}

/// A cell's class: `safe`, `blind`, `cex` (an expected counterexample), `bad`, `crash`.
fn class(r: &Report) -> &'static str {
    if r.crashed() {
        "crash"
    } else if !r.matches {
        "bad"
    } else if r.violation().is_some() || r.observed.verdict == ObservedVerdict::Deadlock {
        "cex"
    } else if r.blind() {
        "blind"
    } else {
        "safe"
    }
}

/// One counterexample (or mismatch), `open` or folded.
fn counterexample(i: usize, r: &Report, open: bool) -> String {
    let said = r.violation().map_or(r.observed.verdict.to_string(), |v| {
        format!(
            "{}{} in {}",
            v.kind,
            v.object
                .as_ref()
                .map_or(String::new(), |o| format!(" of {o}")),
            v.function
        )
    });
    // The cells link to the first paragraph inside the details, not to the details: a
    // browser opens folded details to show a target inside them.
    let mut s = format!(
        "<details class=\"cex\"{}>\n<summary>{} — {}: {}</summary>\n",
        if open { " open" } else { "" },
        esc(&r.heading()),
        r.match_text(),
        esc(&said),
    );
    s.push_str(&format!(
        "<p class=\"target\" id=\"{}\">expected: {}<br>observed: {}<br>{}</p>\n",
        anchor(i),
        esc(&r.expected_text()),
        r.observed.verdict,
        esc(r.explored().trim())
    ));
    let trace = r.trace();
    if let Some(v) = r.violation() {
        s.push_str(&format!(
            "<p><b>violation:</b> {}</p>\n",
            esc(&v.to_string())
        ));
        if !trace.is_empty() {
            let story = Story::of(trace, Some(v));
            if let Some(summary) = &story.setup.summary {
                s.push_str(&format!(
                    "<details class=\"setup\"><summary>{}</summary><ol start=\"{}\">",
                    esc(summary),
                    trace[0].step
                ));
                for e in &trace[..story.setup.len] {
                    s.push_str(&format!("<li>{}</li>", esc(&e.text())));
                }
                s.push_str("</ol></details>\n");
            }
            s.push_str(&timeline::svg(i, &trace[story.setup.len..], v, &story));
            let lines = story.explanation();
            if !lines.is_empty() {
                s.push_str("<ul class=\"story\">");
                for l in lines {
                    s.push_str(&format!("<li>{}</li>", esc(&l)));
                }
                s.push_str("</ul>\n");
            }
        }
    }
    match &r.replay_command {
        Some(cmd) => s.push_str(&format!(
            "<p>replay:</p><code class=\"replay\">{}</code>\n",
            esc(cmd)
        )),
        None => s.push_str("<p>replay: none</p>\n"),
    }
    if !trace.is_empty() {
        s.push_str(&format!(
            "<details><summary>the trace as text</summary><pre class=\"trace\">{}</pre>\
             </details>\n",
            esc(&r.failure_details())
        ));
    }
    s.push_str("</details>\n");
    s
}

/// The figures of every check that found no failure: what backs its "safe".
fn figures(checks: &[Report]) -> String {
    let quiet: Vec<(usize, &Report)> = checks
        .iter()
        .enumerate()
        .filter(|(_, r)| r.violation().is_none() && r.matches)
        .collect();
    if quiet.is_empty() {
        return String::new();
    }
    let mut s = String::from(
        "<h2 id=\"figures\">Checks that found nothing: their figures</h2>\n<p \
         class=\"legend\">A safe verdict holds for its checker within its bound only: loom \
         explored every interleaving (exhaustive) or every one within the preemption bound; \
         shuttle ran that many random or PCT schedules. A blind checker cannot see the \
         bug, or misses it within its budget (the reason is given, with its measurements): \
         it reads <em>not found</em>, never safe.</p>\n<table class=\"figures\">\n<tr>\
         <th>check</th><th>verdict</th><th>bound</th><th>executions</th><th>seconds \
         (measured)</th><th>blind because</th></tr>\n",
    );
    for (i, r) in quiet {
        let blind = r
            .expected
            .as_ref()
            .and_then(|e| e.blind.clone())
            .unwrap_or_default();
        s.push_str(&format!(
            "<tr id=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td><td \
             class=\"num\">{:.3}</td><td>{}</td></tr>\n",
            anchor(i),
            esc(&r.heading()),
            esc(&r.observed_text()),
            esc(&r.observed.bound.to_string()),
            r.observed.executions,
            r.observed.seconds,
            esc(&blind),
        ));
    }
    s.push_str("</table>\n");
    s
}

/// Escapes text for HTML and SVG.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
