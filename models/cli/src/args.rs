//! The command line's grammar.

use crate::explore;
use crate::partition::PartitionArgs;
use clap::{Args, Parser, Subcommand};
use notifier_core::srcu::SrcuImpl;
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
    after_help = EXIT_STATUS,
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// What to do (default: `campaign`).
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The default campaign's options (see `campaign --help`).
    #[command(flatten)]
    pub campaign: CampaignArgs,
}

/// The exit statuses, as every `--help` lists them.
pub const EXIT_STATUS: &str = "Exit status:
  0  every check observed what it expects (replay: the failure came back)
  1  a check observed something else (replay: not reproduced; fuzz: a failure found; \
explore-orderings: a placement judged unlike history)
  2  usage error: bad arguments, an unknown scenario, a malformed token or file, an output \
file that exists or whose folder is missing (refused before anything runs)
  3  replay: the token's schedule does not fit the model (diverged)
  4  a checker's process crashed without a verdict (campaign, check: and no check observed \
something else; explore-orderings: its tables cannot judge)
  5  an output could not be written (standard output, --report, --junit, --out)";

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Lists every scenario, its kernels, and what each checker is expected to show.
    #[command(after_help = EXIT_STATUS)]
    List {
        /// Print JSON records (one `scenario` per line) instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Runs one check: a scenario on one kernel with one checker.
    ///
    /// The check runs in a child process. Budget flags left out take the scenario's default
    /// budget (see `list`); the shuttle seed defaults to 1.
    #[command(after_help = EXIT_STATUS)]
    Check(CheckArgs),
    /// Replays a failure from the token its check printed.
    #[command(after_help = EXIT_STATUS)]
    Replay {
        /// The token: `<scenario>/<kernel>/loom/pb=<N>/exec=<E>` (or `loom/unbounded/...`), or
        /// `<scenario>/<kernel>/shuttle-{random,pct}/<schedule>`; for a scenario file, the
        /// scenario part is `file`.
        token: String,
        /// The scenario file the token's failure was found in (its scenario part is `file`).
        #[arg(long, value_name = "FILE")]
        scenario_file: Option<PathBuf>,
        /// Replay on this SRCU (the check that found the failure ran on it: its replay
        /// command says so).
        #[arg(long, value_parser = parse_srcu, value_name = "SRCU")]
        srcu: Option<SrcuImpl>,
        /// Print a JSON `replay` record instead of the trace.
        #[arg(long)]
        json: bool,
    },
    /// Generates scenarios with proptest, checks each with shuttle and every oracle, and
    /// shrinks every new kind of failure to a minimal scenario, saved to a file.
    #[command(after_help = EXIT_STATUS)]
    Fuzz(FuzzArgs),
    /// Runs every scenario × kernel × checker (the default command).
    ///
    /// Prints the budgets, the verdict table and the details of every check that did not
    /// observe what it expects (--verbose: of every counterexample).
    #[command(after_help = EXIT_STATUS)]
    Campaign(CampaignArgs),
    /// Checks every placement of `srcu_read_unlock` against the notifier scenarios.
    ///
    /// Moves `srcu_read_unlock` through every later step of `__mmu_notifier_release` and of
    /// `mmu_notifier_unregister`, and checks each placement against every notifier scenario
    /// with every checker: a table of placements × scenarios and which placements are safe.
    #[command(after_help = EXIT_STATUS)]
    ExploreOrderings(ExploreArgs),
    /// Combines the --json outputs of a campaign's (or an exploration's, or fuzzing run's)
    /// partitions into one report.
    ///
    /// Every partition 1..N must be there exactly once, from the same selection of checks;
    /// the result is the report the whole run would have printed: the verdict table (or the
    /// placement tables), JSON, JUnit and HTML.
    #[command(after_help = EXIT_STATUS)]
    Merge(MergeArgs),
    /// Measures the checkers on this machine against the project's targets.
    ///
    /// A benchmark, not a test: S2's verdicts, shuttle's time to a violation over many seeds, the cost of
    /// tracing and oracles, and how exhaustive loom grows with notifiers and threads.
    #[command(after_help = EXIT_STATUS)]
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
        /// Print a JSON `bench` record instead of the table.
        #[arg(long)]
        json: bool,
        /// Also write the JSON record to this file (refused if it exists, unless --force).
        #[arg(long, value_name = "FILE.json")]
        out: Option<PathBuf>,
        /// Overwrite the --out file if it exists.
        #[arg(long, requires = "out")]
        force: bool,
    },
    /// Evidence that verdicts can be trusted: no false alarm in many shuttle seeds on every
    /// scenario expected safe, or (`--seeded`) every must-fail scenario found by every checker
    /// that can see it, with executions to the first failure.
    ///
    /// Deterministic and partitionable: split the work with --seeds and the filters.
    Soak(SoakArgs),
    /// Runs every scenario the catalogue expects safe many times on real threads (the std
    /// backend), each run judged by every oracle.
    ///
    /// A smoke test of the model as production code runs it: the machine chooses the
    /// interleavings, so a pass proves nothing and a failure cannot be replayed, but the
    /// verdict asserts only that no run failed (exit status 1 if one did).
    #[command(after_help = EXIT_STATUS)]
    Stress(StressArgs),
    /// Writes the documentation's result tables from campaign, bench and soak JSON (whole
    /// pages, and sections between marker comments in README.md and docs/*.md), or checks
    /// that the committed ones are up to date.
    #[command(after_help = EXIT_STATUS)]
    Docs(crate::docs::DocsArgs),
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

/// `soak`'s arguments.
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Seeded bugs: every must-fail scenario × kernel × checker that can see it.
    #[arg(long)]
    pub seeded: bool,
    /// The shuttle seeds, FROM..TO (TO excluded); default 1..10001 (false alarms) or 1..101
    /// (seeded bugs).
    #[arg(long, value_name = "FROM..TO", value_parser = crate::soak::parse_seeds)]
    pub seeds: Option<std::ops::Range<u64>>,
    /// False alarms: shuttle executions per seed (PCT's first execution of a run is its
    /// oldest-task-first calibration, so 2 gives one PCT schedule per seed).
    #[arg(long, value_name = "N", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=1_000_000), conflicts_with = "seeded")]
    pub iterations: u64,
    /// Only this scenario (repeat for several; default: all).
    #[arg(long, value_name = "ID")]
    pub scenario: Vec<String>,
    /// Only this kernel (repeat for several; default: all).
    #[arg(long, value_name = "VERSION")]
    pub kernel: Vec<KernelVersion>,
    /// Only this checker (repeat for several; default: all that apply).
    #[arg(long)]
    pub checker: Vec<CheckerKind>,
    /// Combinations run at the same time (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Print a JSON `soak` record instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON `soak` record to this file (refused if it exists, unless --force;
    /// `notifier-check docs --soak FILE` makes the evidence tables from it).
    #[arg(long, value_name = "FILE.json")]
    pub out: Option<PathBuf>,
    /// Overwrite the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
    /// Run in this process (the parent runs each combination so, in a child of its own).
    #[arg(long, hide = true)]
    pub in_process: bool,
}

/// `stress`'s arguments.
#[derive(Debug, Args)]
pub struct StressArgs {
    /// Runs per scenario × kernel (each stops the combination at its first failure).
    #[arg(long, value_name = "N", default_value_t = crate::stress::DEFAULT_RUNS as u64, value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    pub runs: u64,
    /// Only this scenario (repeat for several; default: every one expected safe).
    #[arg(long, value_name = "ID")]
    pub scenario: Vec<String>,
    /// Only this kernel (repeat for several; default: all).
    #[arg(long, value_name = "VERSION")]
    pub kernel: Vec<KernelVersion>,
    /// Combinations run at the same time (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Print JSON instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Run in this process (the parent runs each combination so, in a child of its own).
    #[arg(long, hide = true)]
    pub in_process: bool,
}

/// What a run of many checks shares (`campaign`, `explore-orderings`).
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// Checks run at the same time, each in its own process (default: the number of CPUs).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Print JSON records (`run`, one `check` per check, `summary`; one per line) instead of
    /// the tables.
    #[arg(long)]
    pub json: bool,
    /// Print the details of every counterexample, not only of the checks that did not
    /// observe what they expect.
    #[arg(long, short)]
    pub verbose: bool,
    /// Without a terminal, print a progress line on stderr every N seconds (0: never).
    #[arg(long, value_name = "N", default_value_t = crate::pool::DEFAULT_INTERVAL_SECONDS)]
    pub progress_interval: u64,
    /// Which partition of the run to run.
    #[command(flatten)]
    pub partition: PartitionArgs,
    /// The files to write besides standard output.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `campaign`'s arguments.
#[derive(Debug, Clone, Default, Args)]
pub struct CampaignArgs {
    /// Only this scenario (repeat for several; default: every scenario).
    #[arg(long, value_name = "ID")]
    pub scenario: Vec<String>,
    /// What every run of many checks takes.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `explore-orderings`' arguments.
#[derive(Debug, Clone, Args)]
pub struct ExploreArgs {
    /// Only this function (`release` or `unregister`; repeat for both; default: both).
    #[arg(long, value_enum)]
    pub function: Vec<explore::Function>,
    /// Only this scenario (repeat for several; default: every notifier scenario).
    #[arg(long, value_name = "ID")]
    pub scenario: Vec<String>,
    /// Only this checker (repeat for several; default: all three).
    #[arg(long)]
    pub checker: Vec<CheckerKind>,
    /// What every run of many checks takes.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `merge`'s arguments.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// The partitions' --json outputs (or --out files).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the merged JSON records instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// Print the details of every counterexample.
    #[arg(long, short)]
    pub verbose: bool,
    /// The files to write besides standard output.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Files a run writes besides its standard output. Each is checked before anything runs: its
/// folder must exist, and an existing file is refused unless --force.
#[derive(Debug, Clone, Default, Args)]
pub struct OutputArgs {
    /// Also write a self-contained HTML page: the verdict matrix (scenario × kernel, a cell
    /// per checker, each linking to its counterexample or figures) and a timeline picture of
    /// every counterexample.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Also write JUnit XML: one test case per check; a check that did not observe what it
    /// expects is a failure carrying the trace and the replay command.
    #[arg(long, value_name = "FILE.xml")]
    pub junit: Option<PathBuf>,
    /// Also write the JSON records (what --json prints) to this file.
    #[arg(long, value_name = "FILE.json")]
    pub out: Option<PathBuf>,
    /// Overwrite the --report, --junit and --out files if they exist.
    #[arg(long)]
    pub force: bool,
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
    /// Which partition of the case indices to run.
    #[command(flatten)]
    pub partition: PartitionArgs,
    /// Deprecated: 0-based `--partition` (`--shard I/N` is `--partition count:I+1/N`).
    #[arg(long, value_name = "I/N", conflicts_with = "partition")]
    pub shard: Option<String>,
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
    /// Print a JSON `fuzz` record instead of the report (no progress bar).
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
    /// A notifier scenario on another SRCU than its kernel's own: `spec` (the SRCU
    /// specification: fewer scheduling points, checked against the real SRCU separately) or
    /// `classic`.
    #[arg(long, value_parser = parse_srcu, value_name = "SRCU")]
    pub srcu: Option<SrcuImpl>,
    /// Print a JSON `check` record instead of the report.
    #[arg(long)]
    pub json: bool,
    /// The files to write besides standard output.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// The SRCU called `name` (`classic` or `spec`).
pub fn parse_srcu(name: &str) -> Result<SrcuImpl, String> {
    SrcuImpl::ALL
        .into_iter()
        .find(|i| i.name() == name)
        .ok_or_else(|| {
            let known: Vec<_> = SrcuImpl::ALL.iter().map(|i| i.name()).collect();
            format!("unknown SRCU '{name}' (known: {})", known.join(", "))
        })
}
