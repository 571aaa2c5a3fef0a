//! [`Builder`]: how a check runs, with defaults that finish in CI and an environment variable
//! for every setting, so that CI can deepen a run without a change to the code (as loom's
//! `LOOM_MAX_PREEMPTIONS` does).

use crate::check::{CheckSpec, CheckerKind};
use crate::closure::ClosureModel;
use crate::model::Model;
use crate::plan::Run;
use crate::report::Report;
use crate::token::Token;
use crate::world::Thread;
use notifier_core::KernelVersion;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::panic::Location;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// The environment variables a [`Builder`] reads its defaults from. A value set in the code
/// wins over the environment (as in loom): leave a setting at its default to let CI change it.
/// Every failure report lists the variables that were set, and whether each was applied.
pub mod env {
    /// The checker: `loom`, `shuttle-random` or `shuttle-pct` (default `loom`).
    pub const CHECKER: &str = "NOTIFIER_CHECK_CHECKER";
    /// loom's preemption bound: a number, or `unbounded` (default 2).
    pub const PREEMPTION_BOUND: &str = "NOTIFIER_CHECK_PREEMPTION_BOUND";
    /// shuttle's number of iterations (default 1000).
    pub const ITERATIONS: &str = "NOTIFIER_CHECK_ITERATIONS";
    /// shuttle's seed (default 1).
    pub const SEED: &str = "NOTIFIER_CHECK_SEED";
    /// PCT's depth (default 3).
    pub const PCT_DEPTH: &str = "NOTIFIER_CHECK_PCT_DEPTH";
    /// The kernel version: `v3.16`, `v3.17` or `v5.4` (default `v5.4`).
    pub const KERNEL: &str = "NOTIFIER_CHECK_KERNEL";
    /// Where the check runs: `process` (a child process of its own, the default) or
    /// `in-process`.
    pub const ISOLATION: &str = "NOTIFIER_CHECK_ISOLATION";
    /// A time limit in seconds for a check in a child process, or `none` (the default).
    pub const TIME_LIMIT: &str = "NOTIFIER_CHECK_TIME_LIMIT";

    /// Every variable, in the order reports list them.
    pub const ALL: [&str; 8] = [
        CHECKER,
        PREEMPTION_BOUND,
        ITERATIONS,
        SEED,
        PCT_DEPTH,
        KERNEL,
        ISOLATION,
        TIME_LIMIT,
    ];
}

/// Where a check runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Isolation {
    /// In a child process of its own: the test binary run again, up to the check (as
    /// `rusty-fork` does). A loom abort is then the check's result, not the end of the test
    /// binary, and nothing the checkers print reaches the test's output.
    Process,
    /// In this process: no process start, but a loom failure may abort the process, shuttle
    /// prints "test panicked in task" on stderr for a failing execution, and shuttle's random
    /// and PCT schedulers take their seed from `SHUTTLE_RANDOM_SEED` when it is set (the
    /// outcome's bound then names the seed that was used).
    InProcess,
}

impl Isolation {
    /// `process` or `in-process`.
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Process => "process",
            Isolation::InProcess => "in-process",
        }
    }
}

impl fmt::Display for Isolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Isolation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "process" => Ok(Isolation::Process),
            "in-process" => Ok(Isolation::InProcess),
            _ => Err(format!(
                "unknown isolation '{s}' (known: process, in-process)"
            )),
        }
    }
}

/// An environment variable that was set when the check was configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvSetting {
    /// The variable.
    pub var: String,
    /// Its value.
    pub value: String,
    /// Whether it was applied (`false`: the code set that setting itself).
    pub applied: bool,
}

impl fmt::Display for EnvSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.var, self.value)?;
        if !self.applied {
            f.write_str(" (not applied: the test sets it)")?;
        }
        Ok(())
    }
}

/// One setting: its value, and the environment's value if the variable was set.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Setting<T> {
    value: T,
    var: &'static str,
    env: Option<String>,
    set_in_code: bool,
}

impl<T: FromStr<Err = String>> Setting<T> {
    /// `default`, or the value of `var` if it is set.
    fn read(var: &'static str, default: T) -> Result<Self, String> {
        Self::read_with(var, default, |s| s.parse())
    }
}

impl<T> Setting<T> {
    fn read_with(
        var: &'static str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Self, String> {
        let env = std::env::var(var).ok();
        let value = match &env {
            Some(raw) => {
                parse(raw.trim()).map_err(|e| format!("notifier-harness: {var}='{raw}': {e}"))?
            }
            None => default,
        };
        Ok(Setting {
            value,
            var,
            env,
            set_in_code: false,
        })
    }

    fn set(&mut self, value: T) {
        self.value = value;
        self.set_in_code = true;
    }

    fn env_setting(&self) -> Option<EnvSetting> {
        self.env.as_ref().map(|value| EnvSetting {
            var: self.var.to_string(),
            value: value.clone(),
            applied: !self.set_in_code,
        })
    }
}

fn positive(what: &'static str) -> impl Fn(&str) -> Result<usize, String> {
    move |s| match s.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{what} is a positive whole number")),
    }
}

fn preemption_bound(s: &str) -> Result<Option<usize>, String> {
    if s == "unbounded" {
        return Ok(None);
    }
    s.parse::<u8>()
        .map(|pb| Some(usize::from(pb)))
        .map_err(|_| "the preemption bound is a number from 0 to 255, or 'unbounded'".to_string())
}

fn seconds(s: &str) -> Result<Option<Duration>, String> {
    if s == "none" {
        return Ok(None);
    }
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x > 0.0)
        .map(|x| Some(Duration::from_secs_f64(x)))
        .ok_or_else(|| "a time limit is a positive number of seconds, or 'none'".to_string())
}

/// How a check runs: the checker and its budget, the kernel version, and where it runs. Every
/// setting has a default that finishes in CI and an environment variable ([`env`](mod@env)) that
/// replaces the default; a value set with a method wins over both.
///
/// | setting | default | environment |
/// | --- | --- | --- |
/// | [`checker`](Builder::checker) | loom | `NOTIFIER_CHECK_CHECKER` |
/// | [`preemption_bound`](Builder::preemption_bound) (loom) | 2 | `NOTIFIER_CHECK_PREEMPTION_BOUND` |
/// | [`iterations`](Builder::iterations) (shuttle) | 1000 | `NOTIFIER_CHECK_ITERATIONS` |
/// | [`seed`](Builder::seed) (shuttle) | 1 | `NOTIFIER_CHECK_SEED` |
/// | [`pct_depth`](Builder::pct_depth) (shuttle-pct) | 3 | `NOTIFIER_CHECK_PCT_DEPTH` |
/// | [`kernel`](Builder::kernel) | v5.4 | `NOTIFIER_CHECK_KERNEL` |
/// | [`isolation`](Builder::isolation) | a child process | `NOTIFIER_CHECK_ISOLATION` |
/// | [`time_limit`](Builder::time_limit) (child process) | none | `NOTIFIER_CHECK_TIME_LIMIT` |
///
/// ```no_run
/// use notifier_harness::prelude::*;
///
/// let report = Builder::new()
///     .checker(CheckerKind::ShuttlePct)
///     .iterations(5_000)
///     .check(|main| {
///         let obj = main.kmalloc("object A", 0u32);
///         let o = obj.clone();
///         let reader = main.spawn("R", move |t| o.read(t, "value", |v| *v));
///         obj.kfree(main);
///         reader.join();
///     });
/// report.assert_violation(&Expected::new(ViolationKind::UseAfterFree).on("object A"));
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    checker: Setting<CheckerKind>,
    preemption_bound: Setting<Option<usize>>,
    iterations: Setting<usize>,
    seed: Setting<u64>,
    pct_depth: Setting<usize>,
    kernel: Setting<KernelVersion>,
    isolation: Setting<Isolation>,
    time_limit: Setting<Option<Duration>>,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// The defaults, each replaced by its environment variable when that is set.
    ///
    /// # Panics
    /// If a variable is set to a value that does not parse (one line naming the variable, its
    /// value and what it takes).
    pub fn new() -> Self {
        Self::from_env().unwrap_or_else(|e| panic!("{e}"))
    }

    /// The defaults, each replaced by its environment variable when that is set; an error
    /// names a variable that does not parse.
    pub fn from_env() -> Result<Self, String> {
        Ok(Builder {
            checker: Setting::read(env::CHECKER, CheckerKind::Loom)?,
            preemption_bound: Setting::read_with(env::PREEMPTION_BOUND, Some(2), preemption_bound)?,
            iterations: Setting::read_with(env::ITERATIONS, 1_000, positive("an iteration count"))?,
            seed: Setting::read_with(env::SEED, 1, |s| {
                s.parse::<u64>()
                    .map_err(|_| "a seed is a whole number from 0 to 2^64-1".to_string())
            })?,
            pct_depth: Setting::read_with(env::PCT_DEPTH, 3, positive("PCT's depth"))?,
            kernel: Setting::read(env::KERNEL, KernelVersion::V5_4)?,
            isolation: Setting::read(env::ISOLATION, Isolation::Process)?,
            time_limit: Setting::read_with(env::TIME_LIMIT, None, seconds)?,
        })
    }

    /// The checker (loom explores every interleaving up to its preemption bound; shuttle
    /// samples schedules).
    pub fn checker(mut self, checker: CheckerKind) -> Self {
        self.checker.set(checker);
        self
    }

    /// loom's preemption bound (`None`: unbounded, every interleaving; at most 255). Each
    /// preemption more multiplies the executions: a bound is what a loom "safe" is relative
    /// to, and reports say so.
    pub fn preemption_bound(mut self, bound: Option<usize>) -> Self {
        self.preemption_bound.set(bound);
        self
    }

    /// shuttle's number of schedules (at least 1).
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.iterations.set(iterations);
        self
    }

    /// shuttle's seed: the same seed gives the same schedules.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed.set(seed);
        self
    }

    /// PCT's depth (at least 1): PCT finds with known probability a bug that needs at most
    /// `depth - 1` well-placed priority changes.
    pub fn pct_depth(mut self, depth: usize) -> Self {
        self.pct_depth.set(depth);
        self
    }

    /// The kernel version whose mmu_notifier core and SRCU the check's world has
    /// ([`Thread::kernel`], [`Thread::init_srcu_struct`]).
    pub fn kernel(mut self, version: KernelVersion) -> Self {
        self.kernel.set(version);
        self
    }

    /// Where the check runs (default: a child process of its own).
    pub fn isolation(mut self, isolation: Isolation) -> Self {
        self.isolation.set(isolation);
        self
    }

    /// Stops a check in a child process after `limit` (the report is then a crash that says
    /// so); `None`: no limit.
    pub fn time_limit(mut self, limit: Option<Duration>) -> Self {
        self.time_limit.set(limit);
        self
    }

    /// The checker's part of the settings.
    pub fn spec(&self) -> CheckSpec {
        CheckSpec {
            checker: self.checker.value,
            preemption_bound: self.preemption_bound.value,
            iterations: self.iterations.value,
            seed: self.seed.value,
            pct_depth: self.pct_depth.value,
        }
    }

    /// The kernel version.
    pub fn kernel_version(&self) -> KernelVersion {
        self.kernel.value
    }

    /// Where checks run.
    pub fn isolation_mode(&self) -> Isolation {
        self.isolation.value
    }

    /// The environment variables that were set, and whether each was applied.
    pub fn environment(&self) -> Vec<EnvSetting> {
        [
            self.checker.env_setting(),
            self.preemption_bound.env_setting(),
            self.iterations.env_setting(),
            self.seed.env_setting(),
            self.pct_depth.env_setting(),
            self.kernel.env_setting(),
            self.isolation.env_setting(),
            self.time_limit.env_setting(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Checks the program `f` as the settings say, and reports what the checker found (see
    /// [`Report`]: assert on it). `f` is the model's main thread: it builds the world (the
    /// kernel, SRCU, objects), spawns the other threads and joins them. It runs once per
    /// execution, so it must build everything afresh each time and decide nothing by itself
    /// that the checker does not see (no clock, no randomness of its own).
    ///
    /// # Panics
    /// If the settings are not ones the checker can run (a shuttle check with no iterations).
    #[track_caller]
    pub fn check<F>(&self, f: F) -> Report
    where
        F: Fn(&Thread<'_>) + Send + Sync + 'static,
    {
        let spec = self.spec();
        if let Err(e) = spec.validate() {
            panic!("notifier-harness: {e}");
        }
        let version = self.kernel.value;
        self.run(Location::caller(), version, Run::Check(spec), f)
    }

    /// Runs the failing execution `token` names again (a check's report prints it), with the
    /// program `f` of that check, and reports what it showed: [`Report::assert_reproduced`]
    /// fails unless it is the same violation at the same step. The token fixes the checker,
    /// its bound and the kernel version; the other settings (isolation, time limit) are this
    /// builder's.
    ///
    /// # Panics
    /// If `token` is not a replay token (one line saying why).
    #[track_caller]
    pub fn replay<F>(&self, token: &str, f: F) -> Report
    where
        F: Fn(&Thread<'_>) + Send + Sync + 'static,
    {
        let token: Token = token
            .parse()
            .unwrap_or_else(|e| panic!("notifier-harness: {e}"));
        self.run(
            Location::caller(),
            token.kernel,
            Run::Replay(token.replay),
            f,
        )
    }

    /// Checks a [`Model`] (a program generic over the backend, as the catalogue's are) as the
    /// settings say, in a child process like a closure's check. The kernel version is only
    /// reported: the model builds its own kernel.
    ///
    /// # Panics
    /// As [`Builder::check`].
    #[track_caller]
    pub fn check_model<M: Model>(&self, model: Arc<M>) -> Report {
        let spec = self.spec();
        if let Err(e) = spec.validate() {
            panic!("notifier-harness: {e}");
        }
        self.run_model(
            Location::caller(),
            self.kernel.value,
            Run::Check(spec),
            model,
        )
    }

    /// Replays `token` of a [`Model`]'s check ([`Builder::check_model`]).
    ///
    /// # Panics
    /// As [`Builder::replay`].
    #[track_caller]
    pub fn replay_model<M: Model>(&self, token: &str, model: Arc<M>) -> Report {
        let token: Token = token
            .parse()
            .unwrap_or_else(|e| panic!("notifier-harness: {e}"));
        self.run_model(
            Location::caller(),
            token.kernel,
            Run::Replay(token.replay),
            model,
        )
    }

    fn run<F>(
        &self,
        at: &'static Location<'static>,
        version: KernelVersion,
        run: Run,
        f: F,
    ) -> Report
    where
        F: Fn(&Thread<'_>) + Send + Sync + 'static,
    {
        let model = Arc::new(ClosureModel::new(f, version));
        self.run_model(at, version, run, model)
    }

    fn run_model<M: Model>(
        &self,
        at: &'static Location<'static>,
        version: KernelVersion,
        run: Run,
        model: Arc<M>,
    ) -> Report {
        crate::closure::run(
            model,
            at,
            version,
            run,
            self.isolation.value,
            self.time_limit.value,
            self.environment(),
        )
    }
}

/// Checks the program `f` with the default settings (and the environment's: see [`Builder`])
/// and panics with the counterexample unless it is safe: the front door's `loom::model`.
///
/// ```no_run
/// use notifier_harness::prelude::*;
///
/// notifier_harness::model(|main| {
///     let obj = main.kmalloc("object A", 0u32);
///     let o = obj.clone();
///     let writer = main.spawn("W", move |t| o.write(t, "value", |v| *v = 1));
///     writer.join();
///     obj.kfree(main);
/// });
/// ```
#[track_caller]
pub fn model<F>(f: F)
where
    F: Fn(&Thread<'_>) + Send + Sync + 'static,
{
    Builder::new().check(f).assert_safe();
}

/// Runs the failing execution `token` names again, with the default settings for where it
/// runs ([`Builder::replay`]).
#[track_caller]
pub fn replay<F>(token: &str, f: F) -> Report
where
    F: Fn(&Thread<'_>) + Send + Sync + 'static,
{
    Builder::new().replay(token, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_say_what_they_take() {
        assert_eq!(preemption_bound("unbounded"), Ok(None));
        assert_eq!(preemption_bound("3"), Ok(Some(3)));
        assert!(preemption_bound("256").unwrap_err().contains("0 to 255"));
        assert_eq!(positive("n")("12"), Ok(12));
        assert!(positive("n")("0").is_err());
        assert_eq!(seconds("none"), Ok(None));
        assert_eq!(seconds("1.5"), Ok(Some(Duration::from_millis(1500))));
        assert!(seconds("-1").is_err());
        assert_eq!("in-process".parse(), Ok(Isolation::InProcess));
        assert!("fork".parse::<Isolation>().is_err());
    }

    #[test]
    fn a_value_set_in_code_wins_and_the_report_says_so() {
        let mut s = Setting {
            value: 2,
            var: env::ITERATIONS,
            env: Some("100".to_string()),
            set_in_code: false,
        };
        assert!(s.env_setting().unwrap().applied);
        s.set(7);
        let e = s.env_setting().unwrap();
        assert!(!e.applied);
        assert_eq!(
            e.to_string(),
            "NOTIFIER_CHECK_ITERATIONS=100 (not applied: the test sets it)"
        );
    }
}
