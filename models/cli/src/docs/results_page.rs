//! The results page (`docs/results.md`): every check of a whole campaign, scenario by
//! scenario, with its expectation, verdict, bound and executions.

use super::inputs::Campaign;
use super::markdown::{cell_text, thousands, violation_text};
use super::MARKER;
use crate::results::{budgets, placement_text};
use notifier_catalog::scenarios::catalog;

/// The results page of a whole campaign.
pub fn results_page(campaign: &Campaign) -> String {
    let (header, checks) = (&campaign.header, &campaign.checks);
    let matched = checks.iter().filter(|c| c.matches).count();
    let mut s = format!("{MARKER}\n# Results of the verification campaign\n\n");
    s.push_str(
        "Every figure on this page is generated from the default campaign's JSON output \
         (`cargo run --release -- --out campaign.json`) by `notifier-check docs`, and CI \
         checks that it matches a fresh campaign. It holds only what is the same on every \
         machine for the same code: verdicts, violations, bounds and execution counts (loom's \
         exploration and shuttle's seeded schedules are deterministic). Times are measured per \
         run and are not here.\n\n",
    );
    s.push_str(&format!(
        "**{} checks, {matched} as expected, {} not.**\n\n",
        checks.len(),
        checks.len() - matched
    ));
    // How many ran at a time is the machine's, not the result's: left out.
    let paragraph = budgets(checks, &header.limits, None).replace('\n', " ");
    s.push_str(&format!("{}\n\n", paragraph.trim_end()));
    s.push_str(
        "Reading a row: *exhaustive* means loom explored every interleaving (C11 minus load \
         buffering); *preemption bound N* means every interleaving with at most N preemptions; \
         *N iterations* means N shuttle schedules (random, or PCT of the given depth) from the \
         given seed, and a safe verdict there means none of them failed. For a violation, the \
         executions count up to and including the first failing one. *blind* marks a checker \
         that cannot see the bug, or misses it within its budget (the reason is given, with \
         its measurements): it must find nothing, and reads *not found*, never safe. What each \
         checker cannot see at all is listed by `notifier-check list` and in the README.\n\n",
    );
    let summaries: Vec<(&str, &str)> = catalog().iter().map(|s| (s.id, s.summary)).collect();
    let mut scenario = "";
    for c in checks {
        if c.scenario != scenario {
            scenario = &c.scenario;
            let summary = summaries
                .iter()
                .find(|(id, _)| *id == scenario)
                .map_or("", |(_, s)| s);
            s.push_str(&format!("## {scenario}\n\n{summary}\n\n"));
            s.push_str("| kernel | checker | expected | observed | bound | executions |\n");
            s.push_str("| --- | --- | --- | --- | --- | ---: |\n");
        }
        let observed = c
            .violation()
            .map_or_else(|| c.observed_text(), violation_text);
        let mark = if c.matches {
            ""
        } else {
            " **(not as expected)**"
        };
        let placements = placement_text(&c.placements);
        let mut kernel = if placements.is_empty() {
            c.kernel.to_string()
        } else {
            format!("{} {placements}", c.kernel)
        };
        if let Some(srcu) = c.srcu {
            kernel.push_str(&format!(", SRCU {srcu}"));
        }
        s.push_str(&format!(
            "| {kernel} | {} | {} | {observed}{mark} | {} | {} |\n",
            c.checker,
            cell_text(&c.expected_text()),
            c.observed.bound,
            thousands(c.observed.executions),
        ));
        let last = checks
            .iter()
            .rposition(|x| x.scenario == c.scenario)
            .is_some_and(|i| std::ptr::eq(&checks[i], c));
        if last {
            s.push('\n');
        }
    }
    s.push_str(
        "## How this file is made\n\n```sh\ncargo run --release -- --out campaign.json\n\
         cargo run --release -- docs --campaign campaign.json --save-input docs/results.json --force\n```\n\n\
         The second command writes this page and `docs/results.json`, the records it was \
         generated from without traces and times. The test command runs the campaign afresh \
         and fails unless those records are `docs/results.json`, byte for byte, and \
         regenerates the page from that file and fails when they differ.\n",
    );
    s
}
