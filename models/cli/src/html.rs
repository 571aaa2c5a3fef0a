//! `--report FILE.html`: one self-contained page (no external resource: styles inline, pictures
//! as inline SVG) with the verdict matrix and, for each counterexample, a timeline picture: one
//! lane per thread, the kernel operations in trace order, the violating access marked.

use crate::output::Report;
use notifier_core::TraceEvent;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Refuses a report path that already exists unless `force`: nothing a user saved is
/// overwritten. Checked before the checks run, so that a campaign does not run for nothing.
pub fn check_target(path: &Path, force: bool) -> Result<(), String> {
    if !force && path.exists() {
        return Err(format!(
            "{} already exists; choose another file or pass --force to overwrite it",
            path.display()
        ));
    }
    Ok(())
}

/// Writes the page for `reports` to `path` (refusing an existing file unless `force`).
pub fn write(
    path: &Path,
    force: bool,
    title: &str,
    notes: &[String],
    reports: &[Report],
) -> Result<(), String> {
    let page = render(title, notes, reports);
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // Fails if the file appeared since `check_target`.
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} already exists; choose another file or pass --force to overwrite it",
                path.display()
            )
        } else {
            format!("cannot write the report {}: {e}", path.display())
        }
    })?;
    file.write_all(page.as_bytes())
        .map_err(|e| format!("cannot write the report {}: {e}", path.display()))
}

/// The page.
pub fn render(title: &str, notes: &[String], reports: &[Report]) -> String {
    let mut s = String::new();
    s.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str(&format!("<title>{}</title>\n", esc(title)));
    s.push_str(STYLE);
    s.push_str("</head>\n<body>\n");
    s.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    for n in notes {
        s.push_str(&format!("<p class=\"note\">{}</p>\n", esc(n)));
    }
    let wrong = reports.iter().filter(|r| !r.matches).count();
    s.push_str(&format!(
        "<p class=\"summary {}\">{} check(s): {} as expected, {} not.</p>\n",
        if wrong == 0 { "ok" } else { "bad" },
        reports.len(),
        reports.len() - wrong,
        wrong
    ));
    s.push_str(&matrix(reports));
    let failures: Vec<&Report> = reports
        .iter()
        .filter(|r| r.violation().is_some() || !r.matches)
        .collect();
    if !failures.is_empty() {
        s.push_str("<h2>Counterexamples and mismatches</h2>\n");
    }
    for (i, r) in failures.into_iter().enumerate() {
        s.push_str(&counterexample(i, r));
    }
    s.push_str("</body>\n</html>\n");
    s
}

const STYLE: &str = "<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table.matrix { border-collapse: collapse; font-size: 13px; }
table.matrix th, table.matrix td { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
table.matrix td.num { text-align: right; font-family: monospace; }
tr.bad { background: #fdd; }
td.mark-ok { color: #080; font-weight: bold; }
td.mark-bad { color: #c00; font-weight: bold; }
p.summary.ok { color: #080; font-weight: bold; }
p.summary.bad { color: #c00; font-weight: bold; }
section.cex { margin-top: 2em; border-top: 2px solid #888; }
code.replay { display: block; white-space: pre-wrap; word-break: break-all; background: #f4f4f4;
  padding: 4px; font-size: 12px; }
pre.trace { font-size: 11px; }
svg.timeline text { font-family: monospace; font-size: 11px; }
</style>
";

fn matrix(reports: &[Report]) -> String {
    let mut s = String::from(
        "<table class=\"matrix\">\n<tr><th>scenario</th><th>kernel</th><th>checker</th>\
         <th>expected</th><th>observed</th><th>bound</th><th>executions</th><th>seconds</th>\
         <th></th></tr>\n",
    );
    for r in reports {
        s.push_str(&format!(
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td title=\"{}\">{}</td>\
             <td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{:.3}</td>\
             <td class=\"{}\">{}</td></tr>\n",
            if r.matches { "ok" } else { "bad" },
            esc(&r.scenario),
            r.kernel,
            r.checker,
            esc(&r.expected_text()),
            r.expected.verdict,
            r.observed_text(),
            esc(&r.bound_text()),
            r.executions(),
            r.seconds(),
            if r.matches { "mark-ok" } else { "mark-bad" },
            r.mark(),
        ));
    }
    s.push_str("</table>\n");
    s
}

fn counterexample(i: usize, r: &Report) -> String {
    let mut s = format!(
        "<section class=\"cex\" id=\"cex-{i}\">\n<h3>{} {} {} — {}</h3>\n",
        esc(&r.scenario),
        r.kernel,
        r.checker,
        r.match_text()
    );
    s.push_str(&format!(
        "<p>expected: {}<br>observed: {}<br>{}</p>\n",
        esc(&r.expected_text()),
        r.observed_text(),
        esc(r.explored().trim())
    ));
    let trace = r.trace();
    if let Some(v) = r.violation() {
        s.push_str(&format!(
            "<p><b>violation:</b> {}</p>\n",
            esc(&v.to_string())
        ));
        if !trace.is_empty() {
            let mark = Mark {
                step: v.step,
                thread: v.thread.clone(),
                label: format!("{} here", v.kind),
                unrecorded: format!("{}: {} (access stopped by loom)", v.site, v.function),
                cause: free_of(trace, v.object.as_deref(), v.step),
            };
            s.push_str(
                "<p class=\"legend\">One lane per thread, one row per kernel operation in the \
                 order the checker ran them (the number is the trace step). Red: the violating \
                 access; orange: the free it violates. Hover a row for its full text.</p>\n",
            );
            s.push_str(&timeline(trace, &mark));
        }
    }
    match &r.replay_command() {
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
    s.push_str("</section>\n");
    s
}

/// What to mark in a timeline.
struct Mark {
    /// The violating event, when it was recorded.
    step: Option<usize>,
    /// The violating thread (for an access loom stopped before it was recorded).
    thread: String,
    /// The marker's words ("use-after-free here").
    label: String,
    /// The row drawn for an access loom stopped before it was recorded.
    unrecorded: String,
    /// The free of the object the violation is about, when the trace has it.
    cause: Option<usize>,
}

/// The step of the free of `object` the violation is about: the last one before the
/// violating step, else (loom: an access not ordered before a later free) the first one.
fn free_of(trace: &[TraceEvent], object: Option<&str>, at: Option<usize>) -> Option<usize> {
    let object = object?;
    let frees = || trace.iter().filter(|e| e.op.freed() == Some(object));
    frees()
        .rfind(|e| at.is_none_or(|a| e.step < a))
        .or_else(|| frees().next())
        .map(|e| e.step)
}

const LANE: usize = 400;
const LEFT: usize = 46;
const TOP: usize = 34;
const ROW: usize = 17;
const NOTE: usize = 230;
const MAX_CHARS: usize = 56;

/// The timeline: one vertical lane per thread (in order of first appearance), one row per
/// event in trace order, the violating event outlined in red with a marker.
fn timeline(trace: &[TraceEvent], mark: &Mark) -> String {
    let mut threads: Vec<&str> = Vec::new();
    for l in trace {
        if !threads.contains(&l.thread.as_str()) {
            threads.push(&l.thread);
        }
    }
    // A violating access that loom stopped before it was recorded gets a row of its own.
    let extra = mark.step.is_none() && !mark.thread.is_empty();
    if extra && !threads.contains(&mark.thread.as_str()) {
        threads.push(&mark.thread);
    }
    let rows = trace.len() + usize::from(extra);
    let width = LEFT + threads.len() * LANE + NOTE;
    let height = TOP + rows * ROW + 10;
    let lane_x = |t: &str| LEFT + threads.iter().position(|x| *x == t).unwrap_or(0) * LANE;
    let mut s = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-label=\"timeline, one lane per thread\">\n"
    );
    for (i, t) in threads.iter().enumerate() {
        let x = LEFT + i * LANE;
        let fill = if i % 2 == 0 { "#f3f6fb" } else { "#fbf8f1" };
        s.push_str(&format!(
            "<g class=\"lane\" data-thread=\"{t}\"><rect x=\"{x}\" y=\"0\" width=\"{LANE}\" \
             height=\"{height}\" fill=\"{fill}\"/><line x1=\"{lx}\" y1=\"{TOP}\" x2=\"{lx}\" \
             y2=\"{height}\" stroke=\"#99a\" stroke-width=\"1\"/><text x=\"{tx}\" y=\"20\" \
             font-weight=\"bold\" style=\"font-size:14px\">thread {t}</text></g>\n",
            t = esc(t),
            lx = x + 8,
            tx = x + 8,
        ));
    }
    let mut row = |i: usize, thread: &str, step: String, text: &str, marked: bool, cause: bool| {
        let y = TOP + i * ROW;
        let x = lane_x(thread);
        let shown: String = if text.chars().count() > MAX_CHARS {
            text.chars()
                .take(MAX_CHARS - 1)
                .chain(std::iter::once('…'))
                .collect()
        } else {
            text.to_string()
        };
        let class = if marked { "op violation" } else { "op" };
        s.push_str(&format!(
            "<g class=\"{class}\"><title>{}</title>",
            esc(text)
        ));
        if cause {
            s.push_str(&format!(
                "<rect class=\"cause-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{ROW}\" \
                 fill=\"#fe9\" stroke=\"#c60\" stroke-width=\"1\"/>",
                x + 2,
                y,
                LANE - 4
            ));
        }
        if marked {
            s.push_str(&format!(
                "<rect class=\"violation-box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{ROW}\" \
                 fill=\"#fcc\" stroke=\"#d00\" stroke-width=\"2\"/>",
                x + 2,
                y,
                LANE - 4
            ));
        }
        s.push_str(&format!(
            "<text x=\"4\" y=\"{ty}\" fill=\"#888\">{step}</text><circle cx=\"{cx}\" \
             cy=\"{cy}\" r=\"3\" fill=\"{dot}\"/><text x=\"{tx}\" y=\"{ty}\" fill=\"{fg}\"{bold}>\
             {}</text>",
            esc(&shown),
            ty = y + 12,
            cx = x + 8,
            cy = y + 8,
            tx = x + 16,
            dot = if marked { "#d00" } else { "#557" },
            fg = if marked { "#a00" } else { "#222" },
            bold = if marked { " font-weight=\"bold\"" } else { "" },
        ));
        let label = if marked {
            Some((mark.label.as_str(), "#d00", "violation-marker"))
        } else if cause {
            Some(("freed here", "#c60", "cause-marker"))
        } else {
            None
        };
        if let Some((label, colour, class)) = label {
            // A dashed leader from the operation to a label right of the lanes.
            let mx = LEFT + threads.len() * LANE + 6;
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
    };
    for (i, e) in trace.iter().enumerate() {
        let marked = mark.step == Some(e.step);
        row(
            i,
            &e.thread,
            e.step.to_string(),
            &e.text(),
            marked,
            mark.cause == Some(e.step),
        );
    }
    if extra {
        let text = &mark.unrecorded;
        row(
            trace.len(),
            &mark.thread,
            "—".to_string(),
            text,
            true,
            false,
        );
    }
    s.push_str("</svg>\n");
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
