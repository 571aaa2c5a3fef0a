//! The results of a run of many checks (a campaign, an exploration, or their merged
//! partitions), and what every such run shares: the budgets paragraph, the verdict matrix as
//! text, the details of counterexamples, the summary, and the files (`--out`, `--junit`,
//! `--report`).

use crate::args::OutputArgs;
use crate::files::{distinct, OutputFile};
use crate::record::{lines, Limits, Record, RunHeader, RunKind, Summary};
use crate::report::{ObservedVerdict, Report};
use crate::{html, junit, Failure};
use notifier_core::srcu::SrcuImpl;
use notifier_core::{KernelVersion, ViolationKind};
use notifier_harness::{Bound, CheckerKind, Placements};

/// A run's records: its header, its checks in the run's order, its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct Results {
    /// The header.
    pub header: RunHeader,
    /// The checks.
    pub checks: Vec<Report>,
    /// The summary.
    pub summary: Summary,
}

/// The files a run writes, checked before it runs.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// `--report FILE.html`.
    pub report: Option<OutputFile>,
    /// `--junit FILE.xml`.
    pub junit: Option<OutputFile>,
    /// `--out FILE.json`.
    pub out: Option<OutputFile>,
}

impl Outputs {
    /// The files `args` names, each checked (refused before anything runs when its folder is
    /// missing, or it exists without --force).
    pub fn checked(args: &OutputArgs) -> Result<Self, String> {
        let outputs = Outputs {
            report: OutputFile::optional("--report", args.report.as_deref(), args.force)?,
            junit: OutputFile::optional("--junit", args.junit.as_deref(), args.force)?,
            out: OutputFile::optional("--out", args.out.as_deref(), args.force)?,
        };
        distinct(&[&outputs.report, &outputs.junit, &outputs.out])?;
        if args.force
            && outputs.report.is_none()
            && outputs.junit.is_none()
            && outputs.out.is_none()
        {
            return Err("--force needs --report, --junit or --out".to_string());
        }
        Ok(outputs)
    }

    /// Writes the files that were asked for: the JSON `records`, the JUnit XML of `checks`,
    /// and the HTML page (`title`, `notes` above the matrix).
    pub fn write(
        &self,
        records: &[Record],
        checks: &[Report],
        title: &str,
        notes: &[String],
    ) -> Result<(), Failure> {
        if let Some(f) = &self.out {
            f.write(&lines(records.iter().cloned()))?;
        }
        if let Some(f) = &self.junit {
            f.write(&junit::render(checks, &junit::now()))?;
        }
        if let Some(f) = &self.report {
            f.write(&html::render(title, notes, checks))?;
        }
        Ok(())
    }
}

impl Results {
    /// The records, in order: `run`, one `check` per check, `extra` (the explorer's tables),
    /// `summary`.
    pub fn records(&self, extra: Vec<Record>) -> Vec<Record> {
        let mut records = vec![Record::Run(self.header.clone())];
        records.extend(
            self.checks
                .iter()
                .map(|r| Record::Check(Box::new(r.clone()))),
        );
        records.extend(extra);
        records.push(Record::Summary(self.summary.clone()));
        records
    }

    /// The command's exit status: 1 if a check observed something other than expected, else
    /// 4 if one crashed, else 0.
    pub fn exit_status(checks: &[Report]) -> u8 {
        crate::status(
            checks.iter().any(Report::mismatched),
            checks.iter().any(Report::crashed),
        )
    }

    /// The summary line: counts, partition, time.
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let whole = self.header.selection.len();
        let scope = match self.header.partition {
            Some(p) => format!("partition {p}: {} of {whole} checks", s.checks),
            None if s.partitions > 1 => {
                format!("{} checks ({} partitions merged)", s.checks, s.partitions)
            }
            None => format!("{} checks", s.checks),
        };
        let mut line = format!(
            "{scope}: {} as expected, {} not, {} crashed",
            s.as_expected,
            s.not_as_expected.len(),
            s.crashed.len()
        );
        let named: Vec<&str> = s
            .not_as_expected
            .iter()
            .chain(&s.crashed)
            .map(String::as_str)
            .collect();
        if !named.is_empty() {
            line.push_str(&format!(" ({})", named.join(", ")));
        }
        let time = if s.partitions > 1 {
            format!("longest partition {:.1} s", s.seconds)
        } else {
            format!("{:.1} s", s.seconds)
        };
        line.push_str(&format!("; {time}, {} at a time", self.header.jobs));
        line
    }

    /// How the run ran, for the HTML page: its partitions and measured time.
    pub fn run_line(&self) -> String {
        let s = &self.summary;
        let scope = match self.header.partition {
            Some(p) => format!("Partition {p} of the run"),
            None if s.partitions > 1 => format!("{} partitions merged", s.partitions),
            None => "The whole run".to_string(),
        };
        format!(
            "{scope}: {:.1} s of wall-clock time{} (measured), {} at a time.",
            s.seconds,
            if s.partitions > 1 {
                " for the longest partition"
            } else {
                ""
            },
            self.header.jobs
        )
    }

    /// The details of the checks that did not observe what they expect (with `verbose`: of
    /// every counterexample too).
    pub fn details(&self, verbose: bool) -> String {
        let mut s = String::new();
        for r in self
            .checks
            .iter()
            .filter(|r| !r.matches || (verbose && r.violation().is_some()))
        {
            s.push_str(&format!(
                "\n── {} ({}) {}\n",
                r.heading(),
                r.match_text(),
                r.mark()
            ));
            s.push_str(&format!("  expected: {}\n", r.expected_text()));
            s.push_str(&r.explored());
            s.push_str(&r.failure_details());
        }
        s
    }
}

/// The budgets paragraph of `checks`, wrapped: what "bound" means in the table, the range of
/// each checker's budget, the limits, and (when given) how many checks ran at a time.
pub fn budgets(checks: &[Report], limits: &Limits, jobs: Option<usize>) -> String {
    let loom: Vec<&Bound> = checks
        .iter()
        .filter(|r| r.checker == CheckerKind::Loom)
        .map(|r| &r.observed.bound)
        .collect();
    let exhaustive = loom.iter().filter(|b| **b == &Bound::Exhaustive).count();
    let bounds: Vec<usize> = loom
        .iter()
        .filter_map(|b| match b {
            Bound::Preemption { value } => Some(*value),
            _ => None,
        })
        .collect();
    let (mut iterations, mut seeds, mut depths, mut shuttle) = (vec![], vec![], vec![], 0);
    for r in checks.iter().filter(|r| r.checker != CheckerKind::Loom) {
        shuttle += 1;
        if let Bound::Iterations {
            value,
            seed,
            pct_depth,
        } = &r.observed.bound
        {
            iterations.push(*value);
            seeds.push(*seed as usize);
            depths.extend(pct_depth);
        }
    }
    let bounded = if bounds.is_empty() {
        String::new()
    } else {
        format!(" (bound {})", range(&bounds))
    };
    let on_spec: Vec<&Report> = checks
        .iter()
        .filter(|r| r.srcu == Some(SrcuImpl::Spec))
        .collect();
    let spec_note = match on_spec.first() {
        None => String::new(),
        Some(_) => {
            let mut evidence: Vec<&str> = on_spec
                .iter()
                .filter_map(|r| r.srcu_evidence.as_deref())
                .collect();
            evidence.sort_unstable();
            evidence.dedup();
            format!(
                " {} of the loom checks run the notifier scenarios on the SRCU specification \
                 (\"SRCU spec\" rows: what every real SRCU guarantees, with fewer scheduling \
                 points; {}).",
                on_spec.len(),
                evidence.join("; ")
            )
        }
    };
    let text =
        format!(
        "Budgets: each scenario's defaults (`notifier-check list` shows them). loom: {} checks, \
         {exhaustive} unbounded (exhaustive), {} preemption-bounded{bounded}.{spec_note} shuttle: {shuttle} \
         checks of {} iterations each, seed {}, PCT depth {}. Per execution at most {} loom \
         branches and {} shuttle steps.{}",
        loom.len(),
        bounds.len(),
        range(&iterations),
        range(&seeds),
        range(&depths),
        limits.loom_max_branches,
        limits.shuttle_max_steps,
        jobs.map_or(String::new(), |n| format!(
            " {} at a time, each in its own process.",
            if n == 1 { "1 check".to_string() } else { format!("{n} checks") }
        )),
    );
    wrap(&text, 100)
}

/// `a`, `a-b`, or `none`.
fn range(v: &[usize]) -> String {
    match (v.iter().min(), v.iter().max()) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}-{b}"),
        _ => "none".to_string(),
    }
}

/// `text` wrapped at `width` columns, breaking between words.
pub fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

/// One row of the verdict matrix: a scenario on a kernel (with the explorer's placements).
#[derive(Debug, Clone, PartialEq)]
pub struct Row<'a> {
    /// The scenario.
    pub scenario: &'a str,
    /// The kernel.
    pub kernel: KernelVersion,
    /// The placements (explorer only).
    pub placements: Placements,
    /// The SRCU, when not the version's own.
    pub srcu: Option<SrcuImpl>,
    /// The check of each checker of the matrix's columns, when there is one.
    pub cells: Vec<Option<&'a Report>>,
}

impl Row<'_> {
    /// The kernel, and the SRCU when it is not the version's own: `v3.17 (SRCU spec)`.
    pub fn kernel_text(&self) -> String {
        match self.srcu {
            Some(srcu) => format!("{} (SRCU {srcu})", self.kernel),
            None => self.kernel.to_string(),
        }
    }
}

/// The verdict matrix of `checks`: rows of scenario × kernel (× placements) in order of first
/// appearance, columns the checkers that appear, in the usual order.
pub fn matrix(checks: &[Report]) -> (Vec<CheckerKind>, Vec<Row<'_>>) {
    let columns: Vec<CheckerKind> = CheckerKind::ALL
        .into_iter()
        .filter(|c| checks.iter().any(|r| r.checker == *c))
        .collect();
    let mut rows: Vec<Row<'_>> = Vec::new();
    for r in checks {
        let column = columns.iter().position(|c| *c == r.checker).unwrap_or(0);
        let row = match rows.iter_mut().position(|row| {
            row.scenario == r.scenario
                && row.kernel == r.kernel
                && row.placements == r.placements
                && row.srcu == r.chosen_srcu()
        }) {
            Some(i) => &mut rows[i],
            None => {
                rows.push(Row {
                    scenario: &r.scenario,
                    kernel: r.kernel,
                    placements: r.placements,
                    srcu: r.chosen_srcu(),
                    cells: vec![None; columns.len()],
                });
                rows.last_mut()
                    .unwrap_or_else(|| unreachable!("just pushed"))
            }
        };
        row.cells[column] = Some(r);
    }
    (columns, rows)
}

/// A cell of the matrix in a few characters: the mark, what was observed, the executions
/// and the bound: `✓ safe 514 (exh)`, `✓ uaf 13 (pb2)`, `✓ not found† 2000/2000`, `! crashed`.
pub fn cell(r: &Report) -> String {
    let o = &r.observed;
    let what = match (&o.verdict, &o.violation) {
        (ObservedVerdict::Crashed, _) => return format!("{} crashed", r.mark()),
        (_, Some(v)) => short_kind(v.kind).to_string(),
        // A blind check found nothing: "not found", never "safe" (Report::observed_text).
        (_, None) if r.blind() => "not found".to_string(),
        (verdict, None) => verdict.to_string(),
    };
    let blind = if r.blind() { "†" } else { "" };
    let count = match &o.bound {
        Bound::Exhaustive => format!("{} (exh)", o.executions),
        Bound::Preemption { value } => format!("{} (pb{value})", o.executions),
        Bound::Iterations { value, .. } => format!("{}/{value}", o.executions),
        other => format!("{} ({other})", o.executions),
    };
    format!("{} {what}{blind} {count}", r.mark())
}

/// A violation kind in a table cell (`uaf` for use-after-free).
pub fn short_kind(kind: ViolationKind) -> &'static str {
    match kind {
        ViolationKind::UseAfterFree => "uaf",
        k => k.as_str(),
    }
}

/// The legend under a text matrix.
pub const LEGEND: &str = "Cells: ✓ as expected, ✗ not, ! crashed; the verdict observed (uaf = \
use-after-free); executions: loom's explored, exhaustive (exh) or within preemption bound N \
(pbN); shuttle's run / budget. † the checker is blind to the bug, or misses it within its budget \
(`notifier-check list` says why, with measurements): it must find nothing, and its cell reads \
\"not found\", never safe.";

/// The verdict matrix as text.
pub fn text_matrix(checks: &[Report]) -> String {
    let (columns, rows) = matrix(checks);
    let mut header: Vec<String> = vec!["scenario".into(), "kernel".into()];
    let placed = rows.iter().any(|r| !r.placements.is_empty());
    if placed {
        header.push("placement".into());
    }
    header.extend(columns.iter().map(|c| c.to_string()));
    let table: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let mut cells = vec![row.scenario.to_string(), row.kernel_text()];
            if placed {
                cells.push(placement_text(&row.placements));
            }
            cells.extend(
                row.cells
                    .iter()
                    .map(|c| c.map_or_else(|| "-".to_string(), cell)),
            );
            cells
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &table {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (c, w) in cells.iter().zip(&widths) {
            let pad = w - c.chars().count();
            l.push_str(c);
            l.push_str(&" ".repeat(pad + 2));
        }
        format!("{}\n", l.trim_end())
    };
    let mut s = line(&header);
    for row in &table {
        s.push_str(&line(row));
    }
    s
}

/// `release=P`, `unregister=P`, or empty.
pub fn placement_text(p: &Placements) -> String {
    let mut parts = Vec::new();
    if let Some(r) = p.release {
        parts.push(format!("release={}", r.name()));
    }
    if let Some(u) = p.unregister {
        parts.push(format!("unregister={}", u.name()));
    }
    parts.join(" ")
}

/// What a run of this kind is called in headings.
pub fn title(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Campaign => "notifier-check: the verification campaign",
        RunKind::ExploreOrderings => "notifier-check: placements of srcu_read_unlock",
    }
}
