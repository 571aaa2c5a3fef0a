//! The fuzzing loop: draw cases from [`super::strategy::cases`] with a deterministic RNG per
//! case, run each with shuttle and every oracle, and shrink each new kind of failure with
//! proptest's own shrinking (its `ValueTree`, driven as proptest's `TestRunner` drives it).
//!
//! Unlike `TestRunner`, a simplification is kept only if it fails *the same way* (same
//! violation kind, function and site): shrinking must not slide from one bug to another.
//! Failures are grouped by that triple; each group is shrunk once, at its first discovery.

use super::format::{Driver, ScenarioFile};
use super::known::{known_defect, KnownRef};
use super::model::DataModel;
use super::strategy::{cases, FuzzCase};
use super::validate::Scenario;
use crate::token::{ReplayToken, FILE_TOKEN};
use notifier_core::KernelVersion;
use notifier_core::ViolationKind;
use notifier_harness::runner::check_in_process;
use notifier_harness::{CheckSpec, Outcome};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// When to stop.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stop {
    /// After this many cases (of this shard).
    Cases(u64),
    /// After this much time (the running case finishes).
    Time(Duration),
}

/// One fuzzing run.
#[derive(Debug, Clone)]
pub struct FuzzConfig {
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The drivers the notifiers are drawn from.
    pub drivers: Vec<Driver>,
    /// The base seed: case `i` is drawn from an RNG seeded by (seed, i).
    pub seed: u64,
    /// This shard and the shard count: the shard runs the cases `i` with `i % count ==
    /// index`, so shards never repeat each other's cases.
    pub shard: (u64, u64),
    /// When to stop.
    pub stop: Stop,
    /// shuttle executions per case (and per shrinking step).
    pub iterations: usize,
    /// PCT depth for the cases that use PCT.
    pub pct_depth: usize,
    /// At most this many shrinking steps per failure.
    pub max_shrink_steps: u32,
    /// shuttle executions per shrinking step, as a multiple of `iterations`: a simplified
    /// scenario meets a different schedule stream, and needs a fair chance to fail again.
    pub shrink_factor: usize,
}

impl FuzzConfig {
    /// The defaults: 200 shuttle executions per case, PCT depth 3, 200 shrinking steps of
    /// 1,000 executions each, one shard, seed 1, 1,000 cases, every driver that `kernel` has.
    pub fn new(kernel: KernelVersion) -> Self {
        FuzzConfig {
            kernel,
            drivers: drivers_of(kernel, &Driver::ALL),
            seed: 1,
            shard: (0, 1),
            stop: Stop::Cases(1_000),
            iterations: 200,
            pct_depth: 3,
            max_shrink_steps: 200,
            shrink_factor: 5,
        }
    }
}

/// The drivers of `wanted` that exist on `kernel` (v5.4 removed the 2014 API and added
/// get/put).
pub fn drivers_of(kernel: KernelVersion, wanted: &[Driver]) -> Vec<Driver> {
    let v5_4 = kernel == KernelVersion::V5_4;
    wanted
        .iter()
        .copied()
        .filter(|d| !(v5_4 && d.uses_2014_api()) && (v5_4 || !d.v5_4_only()))
        .collect()
}

/// What identifies a failure: its violation kind, function and site.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FailureKey {
    /// The violation's kind.
    pub kind: ViolationKind,
    /// The kernel function it was reported in.
    pub function: String,
    /// The innermost operation.
    pub site: String,
}

impl std::fmt::Display for FailureKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} in {} ({})", self.kind, self.function, self.site)
    }
}

fn key(o: &Outcome) -> Option<FailureKey> {
    o.violation.as_ref().map(|v| FailureKey {
        kind: v.kind,
        function: v.function.clone(),
        site: v.site.clone(),
    })
}

/// A distinct failure: where it was first found, and its shrunk scenario.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Found {
    /// What failed.
    pub key: FailureKey,
    /// The index of the case that found it first.
    pub case: u64,
    /// Cases this shard ran up to and including that one.
    pub cases_until: u64,
    /// shuttle executions up to and including the failing one (shrinking not counted).
    pub executions_until: u64,
    /// How many cases failed this way.
    pub occurrences: u64,
    /// The size of the scenario as generated (threads + operations + notifiers).
    pub original_size: usize,
    /// The shrunk scenario (its `expect` says what it shows).
    pub minimal: ScenarioFile,
    /// Its size.
    pub minimal_size: usize,
    /// Shrinking steps tried.
    pub shrink_steps: u32,
    /// The outcome of the shrunk scenario's failing check: its violation, trace, and the
    /// checker's part of its replay token (the recorded schedule).
    pub outcome: Outcome,
    /// The kernel defect of the catalogue this failure is, if it is one (see
    /// [`super::known`]): not a new finding.
    pub known: Option<KnownRef>,
}

impl Found {
    /// The full replay token of the shrunk scenario (its scenario part is `file`).
    pub fn token(&self, kernel: KernelVersion) -> Option<ReplayToken> {
        Some(ReplayToken {
            scenario: FILE_TOKEN.to_string(),
            kernel,
            checker: self.outcome.replay.clone()?,
        })
    }
}

/// What a fuzzing run did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FuzzReport {
    /// The kernel version.
    pub kernel: KernelVersion,
    /// Cases run.
    pub cases: u64,
    /// shuttle executions run by the cases (shrinking not counted).
    pub executions: u64,
    /// shuttle executions run while shrinking.
    pub shrink_executions: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The distinct failures, in order of discovery (known kernel defects included, marked).
    pub failures: Vec<Found>,
}

impl FuzzReport {
    /// The failures that are not known kernel defects: what the run found.
    pub fn new_findings(&self) -> impl Iterator<Item = &Found> {
        self.failures.iter().filter(|f| f.known.is_none())
    }
}

/// The RNG of case `i`: the same on every machine and in every shard.
fn case_rng(seed: u64, i: u64) -> TestRng {
    let mut bytes = [0u8; 32];
    let mut x = seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    for chunk in bytes.chunks_mut(8) {
        // splitmix64
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        chunk.copy_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    TestRng::from_seed(RngAlgorithm::ChaCha, &bytes)
}

/// The case indices of shard `(index, count)`, in order: `index`, `index + count`, ... Shards
/// of one count partition the indices.
pub fn shard_indices((index, count): (u64, u64)) -> impl Iterator<Item = u64> {
    (index..).step_by(usize::try_from(count.max(1)).unwrap_or(usize::MAX))
}

/// Case `i` of `seed`: the same value tree on every machine and in every shard.
pub fn draw<S: Strategy<Value = FuzzCase>>(
    strategy: &S,
    seed: u64,
    i: u64,
) -> Result<S::Tree, String> {
    let mut runner = TestRunner::new_with_rng(Config::default(), case_rng(seed, i));
    strategy
        .new_tree(&mut runner)
        .map_err(|e| format!("proptest could not draw a case: {e}"))
}

/// Runs one case: validates its scenario and checks it with shuttle.
pub fn run_case(
    case: &FuzzCase,
    kernel: KernelVersion,
    iterations: usize,
    pct_depth: usize,
) -> Result<Outcome, String> {
    let scenario = Scenario::validate(case.scenario.clone(), kernel).map_err(|e| {
        format!(
            "a generated scenario is invalid ({e}):\n{}",
            case.scenario.render()
        )
    })?;
    let spec = CheckSpec {
        checker: case.checker,
        preemption_bound: None,
        iterations,
        seed: case.seed,
        pct_depth,
    };
    let model = DataModel::new(scenario, kernel.config());
    Ok(check_in_process(Arc::new(model), &spec))
}

/// Fuzzes as `config` says; `progress` is called after every case with (cases run,
/// executions, distinct failures).
pub fn fuzz(
    config: &FuzzConfig,
    mut progress: impl FnMut(u64, u64, usize),
) -> Result<FuzzReport, String> {
    if config.drivers.is_empty() {
        return Err(format!("no driver exists on {}", config.kernel));
    }
    let (index, count) = config.shard;
    if count == 0 || index >= count {
        return Err(format!(
            "shard {index}/{count}: the index must be below the count"
        ));
    }
    let start = Instant::now();
    let strategy = cases(config.kernel, &config.drivers);
    let mut report = FuzzReport {
        kernel: config.kernel,
        cases: 0,
        executions: 0,
        shrink_executions: 0,
        seconds: 0.0,
        failures: Vec::new(),
    };
    for i in shard_indices(config.shard) {
        let done = match config.stop {
            Stop::Cases(n) => report.cases >= n,
            Stop::Time(d) => start.elapsed() >= d,
        };
        if done {
            break;
        }
        let mut tree = draw(&strategy, config.seed, i)?;
        let case = tree.current();
        let outcome = run_case(&case, config.kernel, config.iterations, config.pct_depth)?;
        report.cases += 1;
        report.executions += outcome.executions;
        if let Some(k) = key(&outcome) {
            if let Some(f) = report.failures.iter_mut().find(|f| f.key == k) {
                f.occurrences += 1;
            } else {
                let (minimal, outcome, steps, executions) =
                    shrink(&mut tree, &k, case.clone(), outcome, config)?;
                let (minimal, outcome, more_steps, more_executions) =
                    remove_one_by_one(&k, minimal, outcome, config)?;
                let steps = steps + more_steps;
                let executions = executions + more_executions;
                report.shrink_executions += executions;
                let mut file = minimal.scenario;
                file.expect = Some(super::format::ExpectDecl {
                    verdict: outcome.observed,
                    kind: Some(k.kind),
                    function: Some(k.function.clone()),
                    site: Some(k.site.clone()),
                    kernels: Some(vec![config.kernel]),
                });
                report.failures.push(Found {
                    known: known_defect(config.kernel, &k).map(KnownRef::from),
                    key: k,
                    case: i,
                    cases_until: report.cases,
                    executions_until: report.executions,
                    occurrences: 1,
                    original_size: case.scenario.size(),
                    minimal_size: file.size(),
                    minimal: file,
                    shrink_steps: steps,
                    outcome,
                });
            }
        }
        progress(report.cases, report.executions, report.failures.len());
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// proptest's shrinking loop (as `TestRunner::shrink` runs it), keeping a simplification only
/// if it fails with the same key. Returns the smallest failing case, its outcome, the steps
/// tried and the executions they ran.
fn shrink(
    tree: &mut impl ValueTree<Value = FuzzCase>,
    k: &FailureKey,
    mut best: FuzzCase,
    mut best_outcome: Outcome,
    config: &FuzzConfig,
) -> Result<(FuzzCase, Outcome, u32, u64), String> {
    let mut steps = 0;
    let mut executions = 0;
    if tree.simplify() {
        while steps < config.max_shrink_steps {
            steps += 1;
            let candidate = tree.current();
            let iterations = config.iterations * config.shrink_factor;
            let outcome = run_case(&candidate, config.kernel, iterations, config.pct_depth)?;
            executions += outcome.executions;
            if key(&outcome).as_ref() == Some(k) {
                if candidate.scenario.size() <= best.scenario.size() {
                    best = candidate;
                    best_outcome = outcome;
                }
                if !tree.simplify() {
                    break;
                }
            } else if !tree.complicate() {
                break;
            }
        }
    }
    Ok((best, best_outcome, steps, executions))
}

/// Scenarios with one element fewer than `file`: one operation, one thread, or one notifier
/// no operation names.
fn one_fewer(file: &ScenarioFile) -> Vec<ScenarioFile> {
    let mut out = Vec::new();
    for t in 0..file.threads.len() {
        let mut f = file.clone();
        f.threads.remove(t);
        out.push(f);
        for o in 0..file.threads[t].ops.len() {
            let mut f = file.clone();
            f.threads[t].ops.remove(o);
            out.push(f);
        }
    }
    for n in 0..file.notifiers.len() {
        let name = &file.notifiers[n].name;
        let named = file
            .threads
            .iter()
            .flat_map(|t| &t.ops)
            .any(|op| op.operand() == Some(name.as_str()));
        if !named {
            let mut f = file.clone();
            f.notifiers.remove(n);
            out.push(f);
        }
    }
    out
}

/// After proptest's shrinking, which shrinks the generator's raw choices: removes single
/// operations, threads and unnamed notifiers from the scenario itself while it stays valid
/// and fails the same way, until no single removal does (a local minimum). Same seed and
/// scheduler as the case.
fn remove_one_by_one(
    k: &FailureKey,
    mut best: FuzzCase,
    mut best_outcome: Outcome,
    config: &FuzzConfig,
) -> Result<(FuzzCase, Outcome, u32, u64), String> {
    let mut steps = 0;
    let mut executions = 0;
    'smaller: loop {
        for file in one_fewer(&best.scenario) {
            if steps >= config.max_shrink_steps {
                break 'smaller;
            }
            if Scenario::validate(file.clone(), config.kernel).is_err() {
                continue;
            }
            steps += 1;
            let candidate = FuzzCase {
                scenario: file,
                ..best.clone()
            };
            let iterations = config.iterations * config.shrink_factor;
            let outcome = run_case(&candidate, config.kernel, iterations, config.pct_depth)?;
            executions += outcome.executions;
            if key(&outcome).as_ref() == Some(k) {
                best = candidate;
                best_outcome = outcome;
                continue 'smaller;
            }
        }
        break;
    }
    Ok((best, best_outcome, steps, executions))
}
