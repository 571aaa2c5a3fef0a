//! The command line's grammar.

use crate::explore;
use clap::{Args, Parser, Subcommand};
use notifier_core::KernelVersion;
use notifier_harness::{CheckerKind, MAX_PREEMPTION_BOUND};
use std::path::PathBuf;

/// Model-checks the Linux kernel's mmu_notifier core and SRCU with loom and shuttle.
///
/// Without a command, runs the default campaign: every scenario on each of its kernels with
/// every checker, each check in a child process of its own.
#[derive(Debug, Parser)]
#[command(
    name = "notifier-check",
    version,
    after_help = "Exit status: 0 when every check observed what its scenario expects (replay: \
                  the failure came back), 1 when one did not, 2 for a usage error; replay also \
                  3 when the token's schedule does not fit the model (diverged) and 4 when its \
                  process crashed.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: `campaign`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The default campaign: print JSON (one object per check) instead of the table.
    #[arg(long)]
    pub json: bool,
    /// The default campaign's HTML report.
    #[command(flatten)]
    pub report: ReportArgs,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lists every scenario, its kernels, and what each checker is expected to show.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Runs one check: a scenario on one kernel with one checker.
    ///
    /// The check runs in a child process. Budget flags left out take the scenario's default
    /// budget (see `list`); the shuttle seed defaults to 1.
    Check(CheckArgs),
    /// Replays a failure from the token its check printed.
    Replay {
        /// The token: `<scenario>/<kernel>/loom/pb=<N>/exec=<E>` (or `loom/unbounded/...`), or
        /// `<scenario>/<kernel>/shuttle-{random,pct}/<schedule>`; for a scenario file, the
        /// scenario part is `file`.
        token: String,
        /// The scenario file the token's failure was found in (its scenario part is `file`).
        #[arg(long, value_name = "FILE")]
        scenario_file: Option<PathBuf>,
        /// Print JSON instead of the trace.
        #[arg(long)]
        json: bool,
    },
    /// Generates scenarios with proptest, checks each with shuttle and every oracle, and
    /// shrinks every new kind of failure to a minimal scenario, saved to a file.
    Fuzz(FuzzArgs),
    /// Runs every scenario × kernel × checker (the default command).
    Campaign {
        /// Only this scenario (repeat for several; default: every scenario).
        #[arg(long, value_name = "ID")]
        scenario: Vec<String>,
        /// Checks run at the same time, each in its own process (default: the number of CPUs).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// Print JSON (one object per check) instead of the table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// Checks every placement of `srcu_read_unlock` against the notifier scenarios.
    ///
    /// Moves `srcu_read_unlock` through every later step of `__mmu_notifier_release` and of
    /// `mmu_notifier_unregister`, and checks each placement against every notifier scenario
    /// with every checker: a table of placements × scenarios and which placements are safe.
    ExploreOrderings {
        /// Only this function (`release` or `unregister`; repeat for both; default: both).
        #[arg(long, value_enum)]
        function: Vec<explore::Function>,
        /// Only this scenario (repeat for several; default: every notifier scenario).
        #[arg(long, value_name = "ID")]
        scenario: Vec<String>,
        /// Only this checker (repeat for several; default: all three).
        #[arg(long)]
        checker: Vec<CheckerKind>,
        /// Checks run at the same time, each in its own process (default: the number of CPUs).
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
        jobs: Option<u16>,
        /// Print JSON (one object per function) instead of the tables.
        #[arg(long)]
        json: bool,
    },
    /// Measures the checkers on this machine against the project's targets.
    ///
    /// A benchmark, not a test: S2's verdicts, shuttle's time to a violation over many seeds, the cost of
    /// tracing and oracles, and how exhaustive loom grows with notifiers and threads.
    Bench {
        /// A smoke run: 3 seeds, 2 s per check (unless --cap and --seeds say otherwise).
        #[arg(long)]
        quick: bool,
        /// Stop each check after this many seconds and report that it did not finish.
        #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..))]
        cap: Option<u64>,
        /// Seeds per shuttle series (default 100).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        seeds: Option<u64>,
        /// Print JSON instead of the table.
        #[arg(long)]
        json: bool,
        /// Also write the JSON to this file (refused if it exists, unless --force).
        #[arg(long, value_name = "FILE.json")]
        out: Option<PathBuf>,
        /// Overwrite the --out file if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Runs one check or replay in this process, as its plan (JSON) says, and prints its
    /// result line (the child's side of `check`, `replay`, `campaign`, `explore-orderings` and
    /// `bench`).
    #[command(name = "__child", hide = true)]
    Child {
        /// The plan, as JSON.
        plan: String,
    },
    /// Runs the fuzzing loop in this process, reporting progress and the result as lines on
    /// stdout (the parent's side of `fuzz`).
    #[command(name = "__fuzz", hide = true)]
    FuzzChild(FuzzArgs),
}

/// `fuzz`'s arguments.
#[derive(Debug, Clone, Args)]
pub struct FuzzArgs {
    /// The kernel version: v3.16, v3.17 or v5.4.
    #[arg(long, value_name = "VERSION")]
    pub kernel: KernelVersion,
    /// Stop after N cases (default: 1000 when --seconds is not given).
    #[arg(long, value_name = "N", conflicts_with = "seconds", value_parser = clap::value_parser!(u64).range(1..))]
    pub cases: Option<u64>,
    /// Stop after N seconds (the running case finishes).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub seconds: Option<u64>,
    /// The base seed: case i is drawn from (seed, i).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seed: u64,
    /// Run shard I of N (0-based): the cases i with i mod N = I, so that N jobs cover the
    /// seed space with no duplicate work.
    #[arg(long, value_name = "I/N", default_value = "0/1")]
    pub shard: String,
    /// shuttle executions per case.
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: u64,
    /// Only these drivers (repeat; default: every driver the kernel has). `correct` stands
    /// for the drivers that follow the API's rules.
    #[arg(long, value_name = "NAME")]
    pub driver: Vec<String>,
    /// Where to save the minimal scenarios (created if missing; existing files are never
    /// overwritten).
    #[arg(long, value_name = "DIR", default_value = "fuzz-failures")]
    pub out: PathBuf,
    /// Print one JSON object instead of the report (no progress bar).
    #[arg(long)]
    pub json: bool,
}

/// `check`'s arguments. Budget flags left out take the scenario's default budget.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The scenario id (see `list`).
    #[arg(long, value_name = "ID", required_unless_present = "scenario_file")]
    pub scenario: Option<String>,
    /// A scenario file instead (see the README's fuzzing section); its `[expect]` table says
    /// what the check must observe (default: safe).
    #[arg(long, value_name = "FILE", conflicts_with = "scenario")]
    pub scenario_file: Option<PathBuf>,
    /// The kernel version: v3.16, v3.17 or v5.4.
    #[arg(long, value_name = "VERSION")]
    pub kernel: KernelVersion,
    /// The checker: loom, shuttle-random or shuttle-pct.
    #[arg(long)]
    pub checker: CheckerKind,
    /// loom: explore schedules with at most N preemptions (0 to 255).
    #[arg(long, value_name = "N", conflicts_with = "unbounded",
          value_parser = clap::value_parser!(u64).range(0..=MAX_PREEMPTION_BOUND as u64))]
    pub preemption_bound: Option<u64>,
    /// loom: explore every schedule (no preemption bound).
    #[arg(long)]
    pub unbounded: bool,
    /// shuttle: the number of executions to run.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub iterations: Option<u64>,
    /// shuttle: the seed of the schedules.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// shuttle-pct: the bug depth (number of priority-change points plus one).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub pct_depth: Option<u64>,
    /// Print one JSON object instead of the report.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `--report FILE.html [--force]`.
#[derive(Debug, Clone, Default, Args)]
pub struct ReportArgs {
    /// Also write a self-contained HTML page: the verdict matrix and a timeline picture of
    /// every counterexample. An existing file is refused unless --force.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Overwrite the --report file if it exists.
    #[arg(long, requires = "report")]
    pub force: bool,
}
