//! The must-fail table: every check of a campaign that must find a violation (or a deadlock),
//! and every check whose checker is blind to one, with what it found and at which execution,
//! or why it cannot: issue 12's seeded bugs and issue 10's "found at execution N, or masked
//! because ...".
//!
//! A blind check is *masked* when no checker of the campaign finds that variant on that
//! kernel (and SRCU): the model, not one checker, hides the bug; otherwise it is *blind*: this
//! checker cannot see what another one finds.
//!
//! Two renderings of one set of rows: the page (`docs/must-fail.md`, every check with its
//! violation or reason) and the compact table of the README (variant × checker → execution
//! N, blind or masked).

use super::inputs::Campaign;
use super::markdown::{table, thousands, violation_text};
use super::MARKER;
use crate::report::{ObservedVerdict, Report};
use crate::results::wrap;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::{CheckerKind, Verdict};

/// The README's section: the compact table.
pub const COMPACT: &str = "must-fail";

/// What a must-fail check came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// It found its expected violation at this execution.
    Found {
        /// Executions up to and including the failing one.
        executions: u64,
        /// The violation, in words.
        violation: String,
    },
    /// The checker cannot see the bug (another checker finds it), for this reason.
    Blind(String),
    /// No checker finds the bug on this kernel: the model masks it, for this reason.
    Masked(String),
    /// It did not observe what it expects (or crashed): what it observed.
    Unexpected(String),
}

impl Finding {
    /// A few characters for the compact table: `1,281`, `blind`, `masked`, `✗ safe`.
    pub fn short(&self) -> String {
        match self {
            Finding::Found { executions, .. } => thousands(*executions),
            Finding::Blind(_) => "blind".to_string(),
            Finding::Masked(_) => "masked".to_string(),
            Finding::Unexpected(observed) => format!("✗ {observed}"),
        }
    }
}

/// One must-fail check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The scenario.
    pub variant: String,
    /// The kernel.
    pub kernel: KernelVersion,
    /// The SRCU it ran on, when not the kernel's own.
    pub srcu: Option<SrcuImpl>,
    /// The checker.
    pub checker: CheckerKind,
    /// The bound it ran under, in words.
    pub bound: String,
    /// What it came to.
    pub finding: Finding,
}

/// Whether check `r` belongs to the table: it must find a violation or a deadlock, or its
/// checker is blind to one.
fn must_fail(r: &Report) -> bool {
    r.expected
        .as_ref()
        .is_some_and(|e| e.verdict != Verdict::Safe || e.blind.is_some())
}

/// The SRCU check `r` ran on instead of its kernel version's own (the SRCU specification's
/// rows), if any: such checks are a variant of their own in the tables. (A record that names
/// the version's own SRCU names no replacement.)
fn replaced_srcu(r: &Report) -> Option<SrcuImpl> {
    r.srcu.filter(|srcu| *srcu != r.kernel.config().srcu)
}

/// The must-fail rows of `checks`, in the campaign's order.
pub fn rows(checks: &[Report]) -> Vec<Row> {
    let chosen: Vec<&Report> = checks.iter().filter(|r| must_fail(r)).collect();
    chosen
        .iter()
        .map(|r| {
            let masked = chosen
                .iter()
                .filter(|o| {
                    o.scenario == r.scenario
                        && o.kernel == r.kernel
                        && replaced_srcu(o) == replaced_srcu(r)
                })
                .all(|o| o.blind());
            let blind = r.expected.as_ref().and_then(|e| e.blind.clone());
            let finding = if r.crashed() {
                Finding::Unexpected("crashed".to_string())
            } else if !r.matches {
                Finding::Unexpected(
                    r.violation()
                        .map_or_else(|| r.observed.verdict.to_string(), violation_text),
                )
            } else if let Some(reason) = blind {
                if masked {
                    let reason = reason.strip_prefix("masked: ").unwrap_or(&reason);
                    Finding::Masked(reason.to_string())
                } else {
                    Finding::Blind(reason)
                }
            } else {
                Finding::Found {
                    executions: r.observed.executions,
                    violation: match (r.observed.verdict, r.violation()) {
                        (_, Some(v)) => violation_text(v),
                        (ObservedVerdict::Deadlock, None) => "deadlock".to_string(),
                        (verdict, None) => verdict.to_string(),
                    },
                }
            };
            Row {
                variant: r.scenario.clone(),
                kernel: r.kernel,
                srcu: replaced_srcu(r),
                checker: r.checker,
                bound: r.observed.bound.to_string(),
                finding,
            }
        })
        .collect()
}

/// A variant's family: its name up to the first `-` (`mem` for `mem-leak`, `G2` for
/// `G2-no-unload`).
fn family(variant: &str) -> &str {
    variant.split('-').next().unwrap_or(variant)
}

/// `S3`, or `S3 (SRCU spec)` when it ran on another SRCU than the kernel's own.
fn variant_text(variant: &str, srcu: Option<SrcuImpl>) -> String {
    match srcu {
        Some(imp) => format!("{variant} (SRCU {imp})"),
        None => variant.to_string(),
    }
}

/// `docs/must-fail.md`: every must-fail and blind check of `campaign`, the checks of one
/// variant and checker that came to the same on several kernels in one row.
pub fn page(campaign: &Campaign) -> String {
    let rows = rows(&campaign.checks);
    let count = |f: fn(&Finding) -> bool| rows.iter().filter(|r| f(&r.finding)).count();
    let mut variants: Vec<String> = rows
        .iter()
        .map(|r| variant_text(&r.variant, r.srcu))
        .collect();
    variants.dedup();
    let mut s = format!("{MARKER}\n# Must-fail variants: what each checker finds\n\n");
    s.push_str(&wrap(
        "Every check of the default campaign that must find a bug (a planted one, or an old \
         kernel's), and every check whose checker is blind to one, generated from the \
         campaign's JSON output by `notifier-check docs` (CI checks it against a fresh \
         campaign). *found at execution N*: the checker found the expected violation, kind, \
         object and function as shown, at its N-th execution (loom's exploration and shuttle's \
         seeded schedules are deterministic, so N is the same on every machine). *blind*: \
         this checker cannot see the bug, which another checker of the campaign finds; it \
         must observe safe. *masked*: no checker of the campaign finds the bug on that kernel; \
         the reason says why. The compact form is in the README; every check of the campaign \
         is in [results.md](results.md).",
        100,
    ));
    s.push('\n');
    s.push_str(&format!(
        "**{} checks of {} variants: {} found their expected violation, {} blind, {} masked, \
         {} not as expected.**\n\n",
        rows.len(),
        variants.len(),
        count(|f| matches!(f, Finding::Found { .. })),
        count(|f| matches!(f, Finding::Blind(_))),
        count(|f| matches!(f, Finding::Masked(_))),
        count(|f| matches!(f, Finding::Unexpected(_))),
    ));
    let mut table_rows: Vec<Vec<String>> = Vec::new();
    for variant in &variants {
        for checker in CheckerKind::ALL {
            let mut merged: Vec<(Vec<KernelVersion>, &Row)> = Vec::new();
            for r in rows
                .iter()
                .filter(|r| variant_text(&r.variant, r.srcu) == *variant && r.checker == checker)
            {
                match merged
                    .iter_mut()
                    .find(|(_, m)| m.finding == r.finding && m.bound == r.bound)
                {
                    Some((kernels, _)) => kernels.push(r.kernel),
                    None => merged.push((vec![r.kernel], r)),
                }
            }
            for (kernels, r) in merged {
                let kernels: Vec<String> = kernels.iter().map(ToString::to_string).collect();
                let (result, what) = match &r.finding {
                    Finding::Found {
                        executions,
                        violation,
                    } => (
                        format!("found at execution {}", thousands(*executions)),
                        violation.clone(),
                    ),
                    Finding::Blind(why) => ("blind".to_string(), why.clone()),
                    Finding::Masked(why) => ("masked".to_string(), why.clone()),
                    Finding::Unexpected(o) => {
                        ("**not as expected**".to_string(), format!("observed {o}"))
                    }
                };
                table_rows.push(vec![
                    variant.clone(),
                    kernels.join(", "),
                    checker.to_string(),
                    result,
                    what,
                    r.bound.clone(),
                ]);
            }
        }
    }
    s.push_str(&table(
        &[
            "variant",
            "kernels",
            "checker",
            "result",
            "violation found (kind, object, function), or why not",
            "bound",
        ],
        &[],
        &table_rows,
    ));
    s.push_str(
        "\n## How this file is made\n\n```sh\ncargo run --release -- --out campaign.json\n\
         cargo run --release -- docs --campaign campaign.json\n```\n\n\
         The second command writes this page, [results.md](results.md) and the README's \
         compact table; the test command checks them against `docs/results.json`, which it \
         checks against a fresh campaign.\n",
    );
    s
}

/// The README's compact table: one row per variant (adjacent variants of one family that
/// came to the same merged: `mem-use-after-free, mem-double-free, mem-leak`), one column per checker (and SRCU); a cell is the execution that found the bug,
/// `blind` or `masked`, per kernel where the kernels differ.
pub fn compact(checks: &[Report]) -> String {
    let rows = rows(checks);
    let mut columns: Vec<(CheckerKind, Option<SrcuImpl>)> = Vec::new();
    for checker in CheckerKind::ALL {
        for srcu in [None, Some(SrcuImpl::Spec)] {
            if rows.iter().any(|r| r.checker == checker && r.srcu == srcu) {
                columns.push((checker, srcu));
            }
        }
    }
    for r in &rows {
        if !columns.contains(&(r.checker, r.srcu)) {
            columns.push((r.checker, r.srcu));
        }
    }
    let mut variants: Vec<&str> = rows.iter().map(|r| r.variant.as_str()).collect();
    variants.dedup();
    let mut lines: Vec<(Vec<&str>, Vec<String>)> = Vec::new();
    for variant in variants {
        let mut kernels: Vec<String> = Vec::new();
        for r in rows.iter().filter(|r| r.variant == variant) {
            let k = r.kernel.to_string();
            if !kernels.contains(&k) {
                kernels.push(k);
            }
        }
        let found: Vec<String> = columns
            .iter()
            .map(|&(checker, srcu)| {
                let mine: Vec<&Row> = rows
                    .iter()
                    .filter(|r| r.variant == variant && r.checker == checker && r.srcu == srcu)
                    .collect();
                // Kernels that came to the same share a part: `v3.16/v3.17 7 · v5.4 14`.
                let mut parts: Vec<(Vec<String>, String)> = Vec::new();
                for r in &mine {
                    let short = r.finding.short();
                    match parts.iter_mut().find(|(_, s)| *s == short) {
                        Some((kernels, _)) => kernels.push(r.kernel.to_string()),
                        None => parts.push((vec![r.kernel.to_string()], short)),
                    }
                }
                match parts.as_slice() {
                    [] => "—".to_string(),
                    [(_, short)] => short.clone(),
                    _ => parts
                        .iter()
                        .map(|(kernels, short)| format!("{} {short}", kernels.join("/")))
                        .collect::<Vec<_>>()
                        .join(" · "),
                }
            })
            .collect();
        let cells: Vec<String> = std::iter::once(kernels.join(", ")).chain(found).collect();
        match lines.last_mut() {
            Some((names, last)) if *last == cells && family(names[0]) == family(variant) => {
                names.push(variant)
            }
            _ => lines.push((vec![variant], cells)),
        }
    }
    let header: Vec<String> = ["variant", "kernels"]
        .map(String::from)
        .into_iter()
        .chain(columns.iter().map(|(checker, srcu)| match srcu {
            Some(imp) => format!("{checker} (SRCU {imp})"),
            None => checker.to_string(),
        }))
        .collect();
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let body: Vec<Vec<String>> = lines
        .into_iter()
        .map(|(names, cells)| {
            std::iter::once(names.join(", "))
                .chain(cells)
                .collect::<Vec<_>>()
        })
        .collect();
    let numeric: Vec<usize> = (2..header.len()).collect();
    table(&header, &numeric, &body)
}
