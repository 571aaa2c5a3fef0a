//! The soak tables (`docs/evidence.md`), from `soak` records: the false alarms (shuttle on
//! every scenario expected safe, many seeds) and the seeded bugs (every must-fail combination
//! with every checker that can see it). Each names the run: its seeds, the machine, the time.

use super::markdown::{table, thousands};
use crate::results::wrap;
use crate::soak::{BlindRow, Evidence, SoakRecord};
use notifier_core::KernelVersion;
use notifier_harness::CheckerKind;

/// The false-alarm section.
pub const FALSE_ALARMS: &str = "soak-false-alarms";
/// The seeded-bug section.
pub const SEEDED: &str = "soak-seeded";

/// The section `soak` fills, and its body.
pub fn section(soak: &SoakRecord) -> (&'static str, String) {
    match soak.evidence {
        Evidence::FalseAlarms => (FALSE_ALARMS, false_alarms(soak)),
        Evidence::SeededBugs => (SEEDED, seeded(soak)),
    }
}

/// How the run ran, in a sentence.
fn run_line(s: &SoakRecord) -> String {
    let m = &s.machine;
    let text = format!(
        "`notifier-check soak{}` with seeds {}..{}{}, {} combination(s) at a time, on {}, {} \
         logical CPUs, load average {} at the start and {} at the end, built by {}: {:.0} s.",
        if s.evidence == Evidence::SeededBugs {
            " --seeded"
        } else {
            ""
        },
        s.seeds.start,
        s.seeds.end,
        s.iterations
            .map_or(String::new(), |i| format!(", {i} executions per seed")),
        s.jobs,
        m.cpu,
        m.logical_cpus,
        m.load_average,
        m.load_average_end.as_deref().unwrap_or("not recorded"),
        m.rustc.as_deref().unwrap_or("a rustc not recorded"),
        s.seconds,
    );
    wrap(&text, 100)
}

/// `1 violation`, `2 violations`.
fn count(n: u64, what: &str) -> String {
    format!("{} {what}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// `S2 (v3.16, v3.17)`: scenarios with their kernels, in order of first appearance.
fn with_kernels(pairs: &[(String, KernelVersion)]) -> String {
    let mut grouped: Vec<(&str, Vec<String>)> = Vec::new();
    for (scenario, kernel) in pairs {
        match grouped.iter_mut().find(|(s, _)| s == scenario) {
            Some((_, kernels)) => kernels.push(kernel.to_string()),
            None => grouped.push((scenario, vec![kernel.to_string()])),
        }
    }
    grouped
        .iter()
        .map(|(s, k)| format!("{s} ({})", k.join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The blind combinations, grouped by reason.
fn blind_list(blind: &[BlindRow]) -> String {
    if blind.is_empty() {
        return String::new();
    }
    let mut by_reason: Vec<(&str, Vec<String>)> = Vec::new();
    for b in blind {
        let what = format!("{} {} {}", b.scenario, b.kernel, b.checker);
        match by_reason.iter_mut().find(|(r, _)| *r == b.reason) {
            Some((_, list)) => list.push(what),
            None => by_reason.push((&b.reason, vec![what])),
        }
    }
    let mut s = format!(
        "\nNot run: {} whose checker is blind to the bug, by reason:\n\n",
        count(blind.len() as u64, "combination")
    );
    for (reason, list) in by_reason {
        s.push_str(&format!("- {}: {reason}\n", list.join(", ")));
    }
    s
}

/// What puts false-alarm rows in one line: checker, PCT depth, seeds, executions per seed,
/// and, for a row with a violation, its own scenario and kernel.
type GroupKey = (CheckerKind, usize, String, usize, Option<String>);

/// False-alarm rows in one line of the table.
struct Group {
    key: GroupKey,
    pairs: Vec<(String, KernelVersion)>,
    executions: u64,
    violations: u64,
}

/// The false-alarm table: rows of one checker, depth and budget grouped; a row with a
/// violation stands alone, with its first false alarm.
pub fn false_alarms(s: &SoakRecord) -> String {
    let mut groups: Vec<Group> = Vec::new();
    for r in &s.false_alarms {
        let alone = (r.violations > 0).then(|| format!("{} {}", r.scenario, r.kernel));
        let key: GroupKey = (r.checker, r.pct_depth, r.seeds.clone(), r.iterations, alone);
        match groups.iter_mut().find(|g| g.key == key) {
            Some(g) => {
                g.pairs.push((r.scenario.clone(), r.kernel));
                g.executions += r.executions;
                g.violations += r.violations;
            }
            None => groups.push(Group {
                key,
                pairs: vec![(r.scenario.clone(), r.kernel)],
                executions: r.executions,
                violations: r.violations,
            }),
        }
    }
    let rows: Vec<Vec<String>> = groups
        .iter()
        .map(|g| {
            let (checker, depth, seeds, iterations, _) = &g.key;
            vec![
                with_kernels(&g.pairs),
                if *depth > 0 {
                    format!("{checker} (depth {depth})")
                } else {
                    checker.to_string()
                },
                seeds.clone(),
                iterations.to_string(),
                thousands(g.executions),
                thousands(g.violations),
            ]
        })
        .collect();
    let mut out = run_line(s);
    out.push('\n');
    out.push_str(&table(
        &[
            "scenarios (kernels)",
            "checker",
            "seeds",
            "executions per seed",
            "executions",
            "violations",
        ],
        &[3, 4, 5],
        &rows,
    ));
    let executions: u64 = s.false_alarms.iter().map(|r| r.executions).sum();
    let violations: u64 = s.false_alarms.iter().map(|r| r.violations).sum();
    out.push_str(&format!(
        "\n{}, {}, **{}**.\n",
        count(
            s.false_alarms.len() as u64,
            "scenario × kernel × checker row"
        ),
        count(executions, "execution"),
        count(violations, "violation")
    ));
    for r in s.false_alarms.iter().filter(|r| r.violations > 0) {
        if let Some(first) = &r.first {
            out.push_str(&format!(
                "\nFalse alarm, {} {} {}: {first}\n",
                r.scenario, r.kernel, r.checker
            ));
        }
    }
    out.push_str(&blind_list(&s.blind));
    out
}

/// The seeded-bug table: rows that came to the same on several kernels merged.
pub fn seeded(s: &SoakRecord) -> String {
    let mut merged: Vec<(Vec<String>, &crate::soak::SeededRow)> = Vec::new();
    for r in &s.seeded {
        let same = |m: &crate::soak::SeededRow| {
            m.scenario == r.scenario
                && m.checker == r.checker
                && (m.runs, m.found, m.other, m.executions)
                    == (r.runs, r.found, r.other, r.executions)
                && m.bound == r.bound
        };
        match merged.iter_mut().find(|(_, m)| same(m)) {
            Some((kernels, _)) => kernels.push(r.kernel.to_string()),
            None => merged.push((vec![r.kernel.to_string()], r)),
        }
    }
    let rows: Vec<Vec<String>> = merged
        .iter()
        .map(|(kernels, r)| {
            let executions = match r.executions {
                Some([m, p, x]) if r.runs > 1 => {
                    format!("{} / {} / {}", thousands(m), thousands(p), thousands(x))
                }
                Some([m, _, _]) => thousands(m),
                None => "—".to_string(),
            };
            let mut found = format!("{}/{}", r.found, r.runs);
            if r.other > 0 {
                found.push_str(&format!(" (**{} other failures**)", r.other));
            } else if r.found == 0 {
                found = format!("**{found}**");
            }
            vec![
                r.scenario.clone(),
                kernels.join(", "),
                r.checker.to_string(),
                found,
                executions,
                r.bound.clone(),
            ]
        })
        .collect();
    let mut out = run_line(s);
    out.push('\n');
    out.push_str(&table(
        &[
            "scenario",
            "kernels",
            "checker",
            "found",
            "executions to failure",
            "budget of one run",
        ],
        &[4],
        &rows,
    ));
    let missed = s
        .seeded
        .iter()
        .filter(|r| r.found == 0 || r.other > 0)
        .count();
    out.push_str(&format!(
        "\n{}; {} found their expected violation in some run, {missed} did not or failed \
         otherwise. Executions to failure: loom's count; shuttle's median / p90 / max \
         over the seeds that found it (each seed one run of the campaign budget).\n",
        count(s.seeded.len() as u64, "combination"),
        s.seeded.len() - missed,
    ));
    out.push_str(&blind_list(&s.blind));
    out
}
