//! `notifier-check`: the command line of the notifier-check harness.
//!
//! Exit status: 0 when every check observed what its scenario expects (for `replay`: the
//! failure came back), 1 when one did not, 2 for a usage error (bad arguments, unknown scenario,
//! kernel or checker, malformed replay token), which is reported as one line on stderr; for
//! `replay` also 3 when the token's schedule does not fit the model (diverged) and 4 when the
//! replay's process crashed.

mod args;
mod bench;
mod campaign;
mod check;
mod explore;
mod fuzz;
mod html;
mod list;
mod output;
mod pool;
mod replay;

use args::{Cli, Command};
use clap::error::ErrorKind;
use clap::Parser;
use notifier_catalog::child;
use std::path::PathBuf;
use std::process::ExitCode;

/// The exit status of a usage error.
pub const USAGE_ERROR: u8 = 2;
/// The exit status of a replay whose schedule does not fit the model (it could not be
/// followed: see `replay`).
pub const DIVERGED: u8 = 3;
/// The exit status of a replay whose process crashed without a result.
pub const CRASHED: u8 = 4;

/// Runs the command line.
fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(&e),
    };
    let command = cli.command.unwrap_or(Command::Campaign {
        scenario: Vec::new(),
        jobs: None,
        json: cli.json,
        report: cli.report,
    });
    let result = match command {
        Command::List { json } => Ok(list::run(json)),
        Command::Check(args) => check::run(args),
        Command::Replay {
            token,
            scenario_file,
            json,
        } => replay::run(&token, scenario_file.as_deref(), json),
        Command::Fuzz(args) => fuzz::run(args),
        Command::FuzzChild(args) => fuzz::serve(args),
        Command::Campaign {
            scenario,
            jobs,
            json,
            report,
        } => campaign::run(&scenario, jobs, json, &report),
        Command::ExploreOrderings {
            function,
            scenario,
            checker,
            jobs,
            json,
        } => explore::run(&function, &scenario, &checker, jobs, json),
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
        Command::Child { plan } => child::serve(&plan).map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|message| usage_error(&message))
}

/// `0` if `ok`, else `1`.
fn exit(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// This program, to run checks in child processes of its own.
fn current_exe() -> Result<PathBuf, String> {
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
        output::print(&e.render().to_string());
        return ExitCode::SUCCESS;
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
