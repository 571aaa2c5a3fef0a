//! The bench's tables (`docs/bench.md`, `docs/perf.md`), from one `bench` record: the machine
//! and how the run ran, every measurement, the project's targets, and the distance to the
//! limit (distinct Mazurkiewicz traces). Times are what that one run measured, on the machine
//! and at the load the record names.

use super::markdown::{table, thousands};
use crate::bench::{Bench, Row};
use crate::results::wrap;

/// The section naming the machine and the run.
pub const MACHINE: &str = "bench-machine";
/// The section with every measurement.
pub const MEASUREMENTS: &str = "bench-measurements";
/// The section with the measurements that have a target.
pub const TARGETS: &str = "bench-targets";
/// The section with loom's executions beside the distinct traces.
pub const DISTANCE: &str = "bench-distance";

/// Every section `bench` fills, by name.
pub fn sections(bench: &Bench) -> Vec<(&'static str, String)> {
    vec![
        (MACHINE, machine(bench)),
        (MEASUREMENTS, measurements(bench)),
        (TARGETS, targets(bench)),
        (DISTANCE, distance(bench)),
    ]
}

/// The machine and the run, in a paragraph.
pub fn machine(b: &Bench) -> String {
    let m = &b.machine;
    let unknown = "not recorded";
    let text = format!(
        "Measured on {}, {} logical CPUs, load average {} (1, 5, 15 minutes) at the start and \
         {} at the end; built by {}; started {} UTC; {:.0} s in all. Each check ran in a \
         child process of its own, one at a time, capped at {} s{}; shuttle series over {} \
         seeds of up to {} iterations. Times are the checker's own (without process start-up) \
         and depend on the load; execution counts do not.",
        m.cpu,
        m.logical_cpus,
        m.load_average,
        m.load_average_end.as_deref().unwrap_or(unknown),
        m.rustc.as_deref().unwrap_or("a rustc not recorded"),
        m.started.as_deref().unwrap_or(unknown),
        b.seconds,
        b.sizes.cap_seconds,
        if b.sizes.quick {
            " (a --quick run)"
        } else {
            " (twice a longer target)"
        },
        b.sizes.seeds,
        b.sizes.iterations,
    );
    wrap(&text, 100)
}

/// `S2 v3.17 loom, unbounded, exhaustive`.
fn check(r: &Row) -> String {
    format!("{} {} {}, {}", r.scenario, r.kernel, r.checker, r.bound)
}

/// `yes`, `**no**`, or empty.
fn met(r: &Row) -> String {
    match r.met {
        Some(true) => "yes".to_string(),
        Some(false) => "**no**".to_string(),
        None => String::new(),
    }
}

/// Every measurement of the run.
pub fn measurements(b: &Bench) -> String {
    let rows: Vec<Vec<String>> = b
        .rows
        .iter()
        .map(|r| {
            vec![
                format!("{}: {}", r.group, r.what),
                check(r),
                r.measured.clone(),
                r.target.clone().unwrap_or_default(),
                met(r),
            ]
        })
        .collect();
    table(
        &["measurement", "check", "measured", "target", "met"],
        &[],
        &rows,
    )
}

/// The measurements that have a target, and whether it was met.
pub fn targets(b: &Bench) -> String {
    let rows: Vec<Vec<String>> = b
        .rows
        .iter()
        .filter(|r| r.target.is_some())
        .map(|r| {
            vec![
                format!("{}: {}", check(r), r.what),
                r.measured.clone(),
                r.target.clone().unwrap_or_default(),
                met(r),
            ]
        })
        .collect();
    table(&["measurement", "measured", "target", "met"], &[], &rows)
}

/// loom's executions beside the distinct Mazurkiewicz traces among them.
pub fn distance(b: &Bench) -> String {
    let rows: Vec<Vec<String>> = b
        .rows
        .iter()
        .filter(|r| r.distinct_traces.is_some() || r.group == "distance to the limit")
        .map(|r| match (r.executions, r.distinct_traces, r.redundancy) {
            (Some(e), Some(t), Some(x)) if r.finished => vec![
                format!("{} {}: {}", r.scenario, r.kernel, r.what),
                r.bound.clone(),
                thousands(e),
                thousands(t),
                format!("{x:.1}"),
            ],
            _ => vec![
                format!("{} {}: {}", r.scenario, r.kernel, r.what),
                r.bound.clone(),
                r.measured.clone(),
                String::new(),
                String::new(),
            ],
        })
        .collect();
    table(
        &[
            "check",
            "bound",
            "loom executions",
            "distinct traces",
            "executions per trace",
        ],
        &[2, 3, 4],
        &rows,
    )
}
