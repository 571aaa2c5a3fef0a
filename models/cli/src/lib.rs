//! `notifier-check`: the command line of the notifier-check harness (the binary is a thin
//! `main` over [`run`]; the modules are public so that tests read its JSON records with the
//! very types that write them).
//!
//! Exit status (listed by every `--help`, see [`args::EXIT_STATUS`]): 0 when every check
//! observed what its scenario expects (replay: the failure came back); 1 when one did not
//! (replay: not reproduced); 2 for a usage error, reported as one line on stderr and refused
//! before anything runs; 3 when a replay's schedule does not fit the model (diverged); 4 when
//! a checker's process crashed without a verdict (and nothing observed something else); 5 when
//! an output could not be written.

#![warn(missing_docs)]

pub mod args;
pub mod bench;
pub mod campaign;
pub mod check;
pub mod docs;
pub mod explore;
pub mod files;
pub mod fuzz;
pub mod html;
pub mod junit;
pub mod list;
pub mod merge;
pub mod output;
pub mod partition;
pub mod pool;
pub mod record;
pub mod replay;
pub mod report;
pub mod results;
pub mod soak;
pub mod story;
pub mod stress;

use args::{Cli, Command};
use clap::error::ErrorKind;
use clap::Parser;
use notifier_catalog::child;
use std::path::PathBuf;
use std::process::ExitCode;

/// Every check observed what it expects.
pub const SUCCESS: u8 = 0;
/// A check observed something else (a replay did not reproduce; fuzz found a failure).
pub const MISMATCH: u8 = 1;
/// A usage error.
pub const USAGE_ERROR: u8 = 2;
/// A replay whose schedule does not fit the model (it could not be followed: see `replay`).
pub const DIVERGED: u8 = 3;
/// A checker's process crashed without a verdict.
pub const CRASHED: u8 = 4;
/// An output could not be written.
pub const OUTPUT_ERROR: u8 = 5;

/// Why a command stopped without its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Bad arguments or input (exit status 2).
    Usage(String),
    /// An output could not be written (exit status 5).
    Output(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure::Usage(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Self {
        Failure::Usage(message.to_string())
    }
}

/// Runs the command line (the binary's `main`).
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    let command = cli.command.unwrap_or(Command::Campaign(cli.campaign));
    let result = match command {
        Command::List { json } => list::run(json),
        Command::Check(args) => check::run(args),
        Command::Replay {
            token,
            scenario_file,
            srcu,
            json,
        } => replay::run(&token, scenario_file.as_deref(), srcu, json),
        Command::Fuzz(args) => fuzz::run(args),
        Command::FuzzChild(args) => fuzz::serve(args),
        Command::Campaign(args) => campaign::run(args),
        Command::ExploreOrderings(args) => explore::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Bench {
            quick,
            cap,
            seeds,
            json,
            out,
            force,
        } => bench::run(
            bench::Sizes::new(quick, cap, seeds),
            json,
            out.as_deref(),
            force,
        ),
        Command::Docs(args) => docs::run(args),
        Command::Soak(args) => soak::run(
            &soak::Plan {
                seeded: args.seeded,
                seeds: args
                    .seeds
                    .unwrap_or_else(|| soak::default_seeds(args.seeded)),
                iterations: usize::try_from(args.iterations).unwrap_or(usize::MAX),
                scenarios: args.scenario,
                kernels: args.kernel,
                checkers: args.checker,
                in_process: args.in_process,
            },
            args.jobs,
            args.json,
            args.out.as_deref(),
            args.force,
        ),
        Command::Stress(args) => stress::run(
            &stress::Plan {
                runs: usize::try_from(args.runs).unwrap_or(usize::MAX),
                scenarios: args.scenario,
                kernels: args.kernel,
                in_process: args.in_process,
            },
            args.jobs,
            args.json,
        ),
        Command::Child { plan } => child::serve(&plan)
            .map(|()| ExitCode::SUCCESS)
            .map_err(Failure::Usage),
    };
    result.unwrap_or_else(|failure| match failure {
        Failure::Usage(message) => usage_error(&message),
        Failure::Output(message) => {
            eprintln!("notifier-check: {message}");
            ExitCode::from(OUTPUT_ERROR)
        }
    })
}

/// The exit status of a run of checks: 1 if one observed something other than expected,
/// else 4 if one crashed, else 0.
pub fn status(mismatched: bool, crashed: bool) -> u8 {
    if mismatched {
        MISMATCH
    } else if crashed {
        CRASHED
    } else {
        SUCCESS
    }
}

/// This program, to run checks in child processes of its own.
pub fn current_exe() -> Result<PathBuf, String> {
    std::env::current_exe().map_err(|e| format!("cannot find this program's executable: {e}"))
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("notifier-check: {message}");
    ExitCode::from(USAGE_ERROR)
}

/// clap's errors span several lines (the error, a blank line, a usage hint): report the error
/// on one line. Help and version requests print as clap prints them.
fn clap_error(e: &clap::Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        return match output::print(&e.render().to_string()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(Failure::Output(m) | Failure::Usage(m)) => {
                eprintln!("notifier-check: {m}");
                ExitCode::from(OUTPUT_ERROR)
            }
        };
    }
    if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
        return ExitCode::from(USAGE_ERROR);
    }
    let text = e.render().to_string();
    let body = text.split("\n\n").next().unwrap_or(&text);
    let body = body.strip_prefix("error: ").unwrap_or(body);
    let one_line: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    usage_error(&format!("{} (see --help)", one_line.join(" ")))
}
