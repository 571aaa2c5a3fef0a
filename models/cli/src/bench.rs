//! `notifier-check bench`: what the checkers cost on this machine, against the project's
//! targets. Every measurement is one check (or one check per seed) in a child process of its
//! own, killed at a time cap and then reported as "did not finish within N s"; times are the
//! checker's own (measured in the child, without process start-up). Measurements run one after
//! another, so that they do not compete for the CPUs with each other (they may with anything
//! else running on the machine: the load average is reported).

use crate::current_exe;
use crate::output::{print, print_json};
use indicatif::{ProgressBar, ProgressStyle};
use notifier_catalog::child::{check_plan, run_in_child};
use notifier_catalog::registry::{default_spec, scenario, DEFAULT_SEED};
use notifier_core::KernelVersion;
use notifier_harness::runner::Crash;
use notifier_harness::{Bound, CheckSpec, CheckerKind, KernelPlan, Outcome, Target, Verdict};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

const V3_16: KernelVersion = KernelVersion::V3_16;
const V3_17: KernelVersion = KernelVersion::V3_17;

/// The sizes of a bench run.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Sizes {
    /// Seconds after which one check is stopped.
    pub cap_seconds: u64,
    /// Seeds per shuttle measurement.
    pub seeds: u64,
    /// Iterations each seed may run.
    pub iterations: usize,
}

impl Sizes {
    /// The full bench, or the quick one (a smoke run: few seeds, short caps).
    pub fn new(quick: bool, cap: Option<u64>, seeds: Option<u64>) -> Self {
        let (cap_seconds, default_seeds, iterations) = if quick {
            (2, 3, 2_000)
        } else {
            (30, 100, 20_000)
        };
        Sizes {
            cap_seconds: cap.unwrap_or(cap_seconds),
            seeds: seeds.unwrap_or(default_seeds),
            iterations,
        }
    }
}

/// The machine, as `/proc/cpuinfo` and `/proc/loadavg` name it.
#[derive(Debug, Serialize)]
struct Machine {
    cpu: String,
    logical_cpus: usize,
    load_average: String,
}

fn machine() -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_string(), |(_, m)| m.trim().to_string());
    let counted = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let logical_cpus = if counted > 0 {
        counted
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    };
    let load_average = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_string());
    Machine {
        cpu,
        logical_cpus,
        load_average,
    }
}

/// Median, 90th percentile and maximum.
#[derive(Debug, Clone, Copy, Serialize)]
struct Spread {
    median: f64,
    p90: f64,
    max: f64,
}

fn spread(mut v: Vec<f64>) -> Option<Spread> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    // Nearest rank.
    let rank = |p: f64| v[((p * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
    Some(Spread {
        median: rank(0.5),
        p90: rank(0.9),
        max: v[v.len() - 1],
    })
}

/// One line of the bench.
#[derive(Debug, Serialize)]
struct Row {
    /// The group ("S2", "instrumentation", "growth: notifiers", ...).
    group: &'static str,
    /// What was measured.
    what: String,
    scenario: &'static str,
    kernel: KernelVersion,
    checker: CheckerKind,
    /// What the checker may explore, in words (a shuttle series: per seed, over the seeds).
    bound: String,
    /// The measurement in words.
    measured: String,
    /// The target in words, if there is one.
    target: Option<String>,
    /// Whether the target was met.
    met: Option<bool>,
    /// Whether every check finished within the cap.
    finished: bool,
    /// The verdict (single checks).
    verdict: Option<Verdict>,
    /// Executions (single checks).
    executions: Option<u64>,
    /// Checker seconds (single checks).
    seconds: Option<f64>,
    /// Executions per second (single checks).
    executions_per_second: Option<f64>,
    /// Seeds that found a violation, of `seeds` (shuttle series).
    found: Option<u64>,
    seeds: Option<u64>,
    /// Iterations to the first violation over the seeds that found one.
    iterations_to_violation: Option<Spread>,
    /// Seconds to the first violation over the seeds that found one.
    seconds_to_violation: Option<Spread>,
    /// Traced ÷ untraced time (instrumentation).
    ratio: Option<f64>,
}

impl Row {
    fn new(
        group: &'static str,
        what: String,
        scenario: &'static str,
        kernel: KernelVersion,
        spec: &CheckSpec,
    ) -> Self {
        Row {
            group,
            what,
            scenario,
            kernel,
            checker: spec.checker,
            bound: Bound::of(spec).to_string(),
            measured: String::new(),
            target: None,
            met: None,
            finished: true,
            verdict: None,
            executions: None,
            seconds: None,
            executions_per_second: None,
            found: None,
            seeds: None,
            iterations_to_violation: None,
            seconds_to_violation: None,
            ratio: None,
        }
    }

    fn target(mut self, target: &str, met: Option<bool>) -> Self {
        self.target = Some(target.to_string());
        self.met = met;
        self
    }
}

/// The whole result.
#[derive(Debug, Serialize)]
struct Bench {
    machine: Machine,
    sizes: Sizes,
    rows: Vec<Row>,
    seconds: f64,
}

/// Runs the bench.
pub fn run(sizes: Sizes, json: bool, out: Option<&Path>, force: bool) -> Result<ExitCode, String> {
    if let Some(path) = out {
        crate::html::check_target(path, force)?;
    }
    let exe = current_exe()?;
    let start = std::time::Instant::now();
    let b = Bencher {
        exe,
        sizes,
        bar: if crate::pool::show_bar(json) {
            ProgressBar::new_spinner()
        } else {
            ProgressBar::hidden()
        },
    };
    if let Ok(style) = ProgressStyle::with_template("{spinner} bench, {elapsed}: {msg}") {
        b.bar.set_style(style);
    }
    b.bar.enable_steady_tick(Duration::from_millis(200));
    let mut rows = Vec::new();
    rows.extend(b.s2());
    rows.extend(b.s3());
    rows.push(b.instrumentation());
    rows.extend(b.growth());
    b.bar.finish_and_clear();
    let bench = Bench {
        machine: machine(),
        sizes,
        rows,
        seconds: start.elapsed().as_secs_f64(),
    };
    if let Some(path) = out {
        write_json(path, force, &bench)?;
    }
    if json {
        print_json(&bench);
    } else {
        print(&human(&bench));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_json(path: &Path, force: bool, bench: &Bench) -> Result<(), String> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(bench)
        .map_err(|e| format!("could not encode the bench as JSON: {e}"))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(format!("{text}\n").as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

struct Bencher {
    exe: PathBuf,
    sizes: Sizes,
    bar: ProgressBar,
}

impl Bencher {
    fn cap(&self) -> Duration {
        Duration::from_secs(self.sizes.cap_seconds)
    }

    /// One check in a child, capped at `--cap` seconds.
    fn check(
        &self,
        id: &str,
        kernel: KernelVersion,
        spec: &CheckSpec,
        untraced: bool,
    ) -> Result<Outcome, Crash> {
        self.bar.set_message(format!(
            "{id} {kernel} {} ({})",
            spec.checker,
            Bound::of(spec)
        ));
        let mut plan = check_plan(
            Target::Catalogue(id.to_string()),
            KernelPlan::version(kernel),
            spec,
        );
        plan.traced = !untraced;
        run_in_child(&self.exe, &plan, Some(self.cap()))
    }

    /// Why a check has no measurement: it did not finish within the cap, or it crashed.
    fn unfinished(&self, crash: &Crash) -> String {
        if crash.timed_out {
            format!("did not finish within {} s", self.sizes.cap_seconds)
        } else {
            format!("crashed: {crash}")
        }
    }

    fn spec(&self, id: &str, kernel: KernelVersion, checker: CheckerKind) -> CheckSpec {
        // Every id here is in the registry.
        let s = scenario(id).expect("a bench scenario");
        default_spec(&s, kernel, checker)
    }

    fn loom(&self, id: &str, kernel: KernelVersion, bound: Option<usize>) -> CheckSpec {
        CheckSpec {
            preemption_bound: bound,
            ..self.spec(id, kernel, CheckerKind::Loom)
        }
    }

    /// One loom check as a row: verdict, executions, time, executions per second.
    fn single(
        &self,
        group: &'static str,
        what: &str,
        id: &'static str,
        kernel: KernelVersion,
        spec: &CheckSpec,
    ) -> Row {
        let mut row = Row::new(group, what.to_string(), id, kernel, spec);
        match self.check(id, kernel, spec, false) {
            Ok(o) => {
                let rate = o.executions as f64 / o.seconds.max(1e-9);
                row.measured = format!(
                    "{} after {} executions in {:.3} s ({:.0} executions/s)",
                    o.observed, o.executions, o.seconds, rate
                );
                row.verdict = Some(o.observed);
                row.executions = Some(o.executions);
                row.seconds = Some(o.seconds);
                row.executions_per_second = Some(rate);
            }
            Err(crash) => {
                row.finished = false;
                row.measured = self.unfinished(&crash);
            }
        }
        row
    }

    /// One shuttle check per seed: iterations and time to the first violation.
    fn seeds(
        &self,
        group: &'static str,
        id: &'static str,
        kernel: KernelVersion,
        checker: CheckerKind,
    ) -> Row {
        let base = CheckSpec {
            iterations: self.sizes.iterations,
            ..self.spec(id, kernel, checker)
        };
        let what = format!(
            "{checker} to the first violation, {} seeds",
            self.sizes.seeds
        );
        let mut row = Row::new(group, what, id, kernel, &base);
        row.bound = format!(
            "{} iterations per seed, seeds {}..{}{}",
            base.iterations,
            DEFAULT_SEED,
            DEFAULT_SEED + self.sizes.seeds - 1,
            if checker == CheckerKind::ShuttlePct {
                format!(", PCT depth {}", base.pct_depth)
            } else {
                String::new()
            }
        );
        let (mut iterations, mut seconds) = (Vec::new(), Vec::new());
        let (mut safe_iterations, mut safe_seconds) = (0u64, 0f64);
        let mut unfinished = 0;
        for seed in DEFAULT_SEED..DEFAULT_SEED + self.sizes.seeds {
            let spec = CheckSpec {
                seed,
                ..base.clone()
            };
            match self.check(id, kernel, &spec, false) {
                Ok(o) if o.observed != Verdict::Safe => {
                    iterations.push(o.executions as f64);
                    seconds.push(o.seconds);
                }
                Ok(o) => {
                    safe_iterations += o.executions;
                    safe_seconds += o.seconds;
                }
                Err(_) => unfinished += 1,
            }
        }
        row.finished = unfinished == 0;
        row.seeds = Some(self.sizes.seeds);
        row.found = Some(iterations.len() as u64);
        row.iterations_to_violation = spread(iterations);
        row.seconds_to_violation = spread(seconds);
        row.measured = match (row.iterations_to_violation, row.seconds_to_violation) {
            (Some(i), Some(s)) => format!(
                "found by {}/{} seeds; iterations median {}, p90 {}, max {}; seconds median \
                 {:.4}, p90 {:.4}, max {:.4}",
                row.found.unwrap_or(0),
                self.sizes.seeds,
                i.median,
                i.p90,
                i.max,
                s.median,
                s.p90,
                s.max
            ),
            _ => format!(
                "no violation in {} seeds ({safe_iterations} iterations, {:.0} iterations/s)",
                self.sizes.seeds,
                safe_iterations as f64 / safe_seconds.max(1e-9)
            ),
        };
        if unfinished > 0 {
            row.measured.push_str(&format!(
                "; {unfinished} seed(s) did not finish within {} s or crashed",
                self.sizes.cap_seconds
            ));
        }
        row
    }

    /// S2 on each version: loom exhaustive, shuttle random and PCT over the seeds.
    fn s2(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for kernel in [V3_16, V3_17] {
            let spec = self.loom("S2", kernel, None);
            let row = self.single("S2", "loom to its verdict", "S2", kernel, &spec);
            rows.push(if kernel == V3_17 {
                let met = Some(row.seconds.is_some_and(|s| s <= 0.1));
                row.target("unbounded verdict <= 0.1 s", met)
            } else {
                row
            });
            for checker in [CheckerKind::ShuttleRandom, CheckerKind::ShuttlePct] {
                let row = self.seeds("S2", "S2", kernel, checker);
                rows.push(if kernel == V3_16 && checker == CheckerKind::ShuttlePct {
                    let met = match (row.iterations_to_violation, row.seconds_to_violation) {
                        (Some(i), Some(s)) => {
                            Some(i.median <= 10.0 && s.median <= 0.1 && row.found == row.seeds)
                        }
                        _ => Some(false),
                    };
                    row.target("median <= 10 PCT iterations and <= 0.1 s", met)
                } else {
                    row
                });
            }
        }
        rows
    }

    /// S3 on v3.17 (the walker that starts after the flip): loom at preemption bound 3, and
    /// shuttle-pct over the seeds.
    fn s3(&self) -> Vec<Row> {
        let spec = self.loom("S3", V3_17, Some(3));
        let loom = self.single("S3", "loom finds the violation", "S3", V3_17, &spec);
        let met = Some(
            loom.verdict == Some(Verdict::Violation) && loom.seconds.is_some_and(|s| s <= 1.0),
        );
        let pct = self.seeds("S3", "S3", V3_17, CheckerKind::ShuttlePct);
        let pct_met = pct
            .seconds_to_violation
            .map(|s| s.median <= 1.0 && pct.found == pct.seeds);
        vec![
            loom.target("found <= 1 s", met),
            pct.target("found <= 1 s (median)", Some(pct_met.unwrap_or(false))),
        ]
    }

    /// The same exhaustive loom check with tracing and oracles on and off.
    fn instrumentation(&self) -> Row {
        let spec = self.loom("S2", V3_17, None);
        let mut row = Row::new(
            "instrumentation",
            "traced and judged ÷ untraced".to_string(),
            "S2",
            V3_17,
            &spec,
        );
        let on = self.check("S2", V3_17, &spec, false);
        let off = self.check("S2", V3_17, &spec, true);
        match (on, off) {
            (Ok(on), Ok(off)) => {
                let ratio = on.seconds / off.seconds.max(1e-9);
                row.measured = format!(
                    "{:.3} s traced ({} executions) vs {:.3} s untraced ({} executions): {ratio:.2}x",
                    on.seconds, on.executions, off.seconds, off.executions
                );
                row.ratio = Some(ratio);
                row.seconds = Some(on.seconds);
                row.executions = Some(on.executions);
                row.verdict = Some(on.observed);
                row.target("overhead <= 1.3x", Some(ratio <= 1.3))
            }
            (Err(crash), _) | (_, Err(crash)) => {
                row.finished = false;
                row.measured = self.unfinished(&crash);
                row.target("overhead <= 1.3x", None)
            }
        }
    }

    /// Exhaustive loom as notifiers (E, G with 1-3 notifiers) and threads grow.
    fn growth(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for (id, n) in [("S2-1n", 1), ("S2", 2), ("S2-3n", 3)] {
            let spec = self.loom(id, V3_17, None);
            let what = format!("{n} notifier(s), threads E, G");
            rows.push(self.single("growth: notifiers", &what, id, V3_17, &spec));
        }
        let threads: [(&'static str, &str, bool); 4] = [
            ("S1", "2 threads: E, G", false),
            ("S1W", "3 threads: E, W, G", true),
            ("S5-no-exit", "3 threads: D, W, G", true),
            ("S5", "4 threads: E, D, W, G", true),
        ];
        for (id, what, targeted) in threads {
            let spec = self.loom(id, V3_17, None);
            let row = self.single("growth: threads", what, id, V3_17, &spec);
            rows.push(if targeted {
                let met = Some(
                    row.verdict == Some(Verdict::Safe) && row.seconds.is_some_and(|s| s <= 10.0),
                );
                row.target("safe, unbounded, <= 10 s (SPIN: 0.25 s)", met)
            } else {
                row
            });
        }
        rows
    }
}

fn human(b: &Bench) -> String {
    let m = &b.machine;
    let mut s = format!(
        "Machine: {}, {} logical CPUs (/proc/cpuinfo); load average {} at the end.\n\
         Each check in its own child process, one at a time, capped at {} s; shuttle series \
         over {} seeds of up to {} iterations. Times are the checker's own.\n\n",
        m.cpu,
        m.logical_cpus,
        m.load_average,
        b.sizes.cap_seconds,
        b.sizes.seeds,
        b.sizes.iterations
    );
    let header = [
        "group", "scenario", "kernel", "what", "bound", "measured", "target", "met",
    ];
    let rows: Vec<[String; 8]> = b
        .rows
        .iter()
        .map(|r| {
            [
                r.group.to_string(),
                r.scenario.to_string(),
                r.kernel.to_string(),
                r.what.clone(),
                r.bound.clone(),
                r.measured.clone(),
                r.target.clone().unwrap_or_default(),
                match r.met {
                    Some(true) => "yes",
                    Some(false) => "NO",
                    None => "",
                }
                .to_string(),
            ]
        })
        .collect();
    // The measurement can be long: it goes on a line of its own under the other columns.
    let mut widths = [0usize; 8];
    for row in std::iter::once(&header.map(String::from)).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String; 8]| {
        let mut l = String::new();
        for i in [0, 1, 2, 3, 4, 6, 7] {
            let w = widths[i];
            l.push_str(&format!("{:<w$}  ", cells[i]));
        }
        format!("{}\n      {}\n", l.trim_end(), cells[5])
    };
    s.push_str(&line(&header.map(String::from)));
    for row in &rows {
        s.push_str(&line(row));
    }
    s.push_str(&format!("\nbench: {:.1} s\n", b.seconds));
    s
}

#[cfg(test)]
mod tests {
    use super::spread;

    #[test]
    fn spread_is_nearest_rank() {
        let s = spread((1..=10).map(f64::from).rev().collect()).unwrap();
        assert_eq!((s.median, s.p90, s.max), (5.0, 9.0, 10.0));
        let one = spread(vec![3.0]).unwrap();
        assert_eq!((one.median, one.p90, one.max), (3.0, 3.0, 3.0));
        assert!(spread(Vec::new()).is_none());
    }
}
