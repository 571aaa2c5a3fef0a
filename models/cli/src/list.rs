//! `notifier-check list`: the catalogue and what each check is expected to show.

use crate::output::{print, print_records};
use crate::record::Record;
use crate::report::Expected;
use crate::Failure;
use notifier_catalog::registry::{default_spec, srcu};
use notifier_catalog::scenarios::catalog;
use notifier_core::srcu::SrcuImpl;
use notifier_core::KernelVersion;
use notifier_harness::{Bound, CheckerKind, KernelPlan};
use serde::{Deserialize, Serialize};
use std::process::ExitCode;

/// One scenario of the catalogue: the `scenario` record of `list --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioEntry {
    /// Its id.
    pub id: String,
    /// One line: the threads and what they do.
    pub summary: String,
    /// The kernel versions it is defined for.
    pub kernels: Vec<KernelVersion>,
    /// The checkers it runs under.
    pub checkers: Vec<CheckerKind>,
    /// Every kernel × checker: what it must show, under which default bound.
    pub checks: Vec<ListedCheck>,
}

/// One scenario × kernel × checker of `list`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListedCheck {
    /// The kernel version.
    pub kernel: KernelVersion,
    /// The SRCU implementation the check runs (`null` if it runs none).
    pub srcu: Option<SrcuImpl>,
    /// The checker.
    pub checker: CheckerKind,
    /// What it must show.
    pub expected: Expected,
    /// The default budget.
    pub bound: Bound,
}

/// Every scenario of the catalogue, in order.
pub fn entries() -> Vec<ScenarioEntry> {
    catalog()
        .into_iter()
        .map(|s| {
            let mut checks = Vec::new();
            for &kernel in s.kernels {
                for checker in CheckerKind::ALL {
                    checks.push(ListedCheck {
                        kernel,
                        srcu: srcu(&s, KernelPlan::version(kernel)),
                        checker,
                        expected: Expected::from(&(s.expect)(kernel, checker)),
                        bound: Bound::of(&default_spec(&s, kernel, checker)),
                    });
                }
            }
            ScenarioEntry {
                id: s.id.to_string(),
                summary: s.summary.to_string(),
                kernels: s.kernels.to_vec(),
                checkers: CheckerKind::ALL.to_vec(),
                checks,
            }
        })
        .collect()
}

/// Prints the catalogue: per scenario, kernel and checker, the default budget and the expected
/// verdict.
pub fn run(json: bool) -> Result<ExitCode, Failure> {
    let entries = entries();
    if json {
        print_records(entries.into_iter().map(Record::Scenario))?;
        return Ok(ExitCode::SUCCESS);
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
                c.expected,
            ));
        }
        s.push('\n');
    }
    if entries.is_empty() {
        s.push_str("The catalogue is empty.\n");
    }
    s.push_str("What each checker cannot see (its \"safe\" says nothing about these):\n");
    for checker in CheckerKind::ALL {
        s.push_str(&format!("  {checker}:\n"));
        for spot in checker.blind_spots() {
            s.push_str(&format!("    - {spot}\n"));
        }
    }
    print(&s)?;
    Ok(ExitCode::SUCCESS)
}
