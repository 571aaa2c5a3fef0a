//! The README's first command, the verification campaign, run as a user runs it: every check of
//! the catalogue (scenario × kernel × checker, at its default budget, each loom check in a
//! process of its own) observes what the catalogue expects, every failure carries its trace and
//! replay token, and the record of the run — all of it that does not vary by machine or run —
//! is the committed `docs/results.json`, byte for byte. The results pages and the README's
//! tables are generated from that file (`docs::the_committed_campaign_pages_are_what_docs_generates_from_their_input`),
//! so no figure on them can go stale: a model change that moves any check's verdict,
//! executions, violation or token fails here until the record is regenerated
//! (`docs --campaign campaign.json --save-input docs/results.json --force`).

use notifier_check::docs::fixed_input;
use notifier_check::record::{parse, Record};
use serde_json::Value;
use std::path::Path;

use crate::common::cli;

#[test]
fn the_campaign_observes_what_the_catalogue_expects_and_is_the_committed_record() {
    // A file of this run's own: the campaign refuses to overwrite one.
    let out = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("campaign-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let o = cli::run(&["--out", out.to_str().unwrap(), "--progress-interval", "0"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "the campaign: not every check observed what it expects\n{}\n{}",
        cli::stdout(&o),
        String::from_utf8_lossy(&o.stderr)
    );
    let text = std::fs::read_to_string(&out).expect("the campaign's --out file");
    let _ = std::fs::remove_file(&out);

    // Every check explored something; every failure has its trace and its token.
    let checks: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON record"))
        .filter(|r| r["record"] == "check")
        .collect();
    assert!(checks.len() >= 300, "{} checks", checks.len());
    for c in &checks {
        let id = &c["id"];
        assert!(
            c["observed"]["executions"].as_u64() > Some(0),
            "{id}: nothing explored"
        );
        if c["observed"]["verdict"] != "safe" {
            let trace = c["observed"]["trace"].as_array().map_or(0, Vec::len);
            assert!(trace > 0, "{id}: a failure without its trace");
            assert!(c["token"].is_string(), "{id}: a failure without its token");
        }
    }

    // The record, without what varies by machine or run, is the committed one.
    let records = parse("campaign.json", &text).unwrap_or_else(|e| panic!("{e}"));
    let fresh: String = fixed_input(records).into_iter().map(Record::line).collect();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let committed = std::fs::read_to_string(root.join("docs/results.json")).unwrap();
    if fresh != committed {
        let first = fresh
            .lines()
            .zip(committed.lines())
            .find(|(f, c)| f != c)
            .map_or_else(
                || "(one record list is a prefix of the other)".to_string(),
                |(f, c)| format!("- committed: {c}\n+ this run:  {f}"),
            );
        panic!(
            "docs/results.json is not this campaign's record ({} records now, {} committed); \
             the first that differs:\n{first}\nRegenerate it and the pages: \
             `cargo run --release -- --out campaign.json` then \
             `cargo run --release -- docs --campaign campaign.json --save-input docs/results.json --force`",
            fresh.lines().count(),
            committed.lines().count()
        );
    }
}
