//! `notifier-check list`: the catalogue and what each check is expected to show.

use crate::output::{expectation, print, print_json};
use notifier_catalog::registry::{default_spec, srcu};
use notifier_catalog::scenarios::catalog;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::{Bound, CheckerKind, Expectation};
use serde::Serialize;
use std::process::ExitCode;

/// One scenario in `list --json`.
#[derive(Debug, Serialize)]
struct Entry {
    id: &'static str,
    summary: &'static str,
    kernels: Vec<KernelVersion>,
    checkers: Vec<CheckerKind>,
    checks: Vec<Check>,
}

/// One scenario × kernel × checker in `list --json`.
#[derive(Debug, Serialize)]
struct Check {
    kernel: KernelVersion,
    /// The SRCU implementation the check runs (`null` if none).
    srcu: Option<SrcuImpl>,
    checker: CheckerKind,
    #[serde(flatten)]
    expect: Expectation,
    /// The default budget.
    bound: Bound,
}

fn entries() -> Vec<Entry> {
    catalog()
        .into_iter()
        .map(|s| {
            let mut checks = Vec::new();
            for &kernel in s.kernels {
                for checker in CheckerKind::ALL {
                    checks.push(Check {
                        kernel,
                        srcu: srcu(&s, kernel),
                        checker,
                        expect: (s.expect)(kernel, checker),
                        bound: Bound::of(&default_spec(&s, kernel, checker)),
                    });
                }
            }
            Entry {
                id: s.id,
                summary: s.summary,
                kernels: s.kernels.to_vec(),
                checkers: CheckerKind::ALL.to_vec(),
                checks,
            }
        })
        .collect()
}

/// Prints the catalogue: per scenario, kernel and checker, the default budget and the expected
/// verdict.
pub fn run(json: bool) -> ExitCode {
    let entries = entries();
    if json {
        print_json(&entries);
        return ExitCode::SUCCESS;
    }
    let width = entries
        .iter()
        .flat_map(|e| &e.checks)
        .map(|c| c.bound.to_string().len())
        .max();
    let width = width.unwrap_or(0);
    let mut s = String::new();
    for e in &entries {
        s.push_str(&format!("{}: {}\n", e.id, e.summary));
        let mut last = None;
        for c in &e.checks {
            let kernel = if last == Some(c.kernel) {
                ""
            } else {
                c.kernel.as_str()
            };
            last = Some(c.kernel);
            s.push_str(&format!(
                "  {kernel:<6} {:<15} {:<width$}  {}\n",
                c.checker.as_str(),
                c.bound.to_string(),
                expectation(&c.expect),
            ));
        }
        s.push('\n');
    }
    if entries.is_empty() {
        s.push_str("The catalogue is empty.\n");
    }
    print(&s);
    ExitCode::SUCCESS
}
