//! The product commands, run as a user runs them, on small selections so that they stay quick:
//! `explore-orderings` (the placements of `srcu_read_unlock`), `bench --quick` (well-formed
//! output, not speed), and `--report FILE.html` (the page, its timeline picture, and never
//! overwriting a file without --force).

use notifier_check::record::{parse, Record};
use serde_json::Value;
use std::path::PathBuf;

use crate::common::cli;

use cli::{json, of_kind, records, run};

/// A fresh directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notifier-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The explorer's `placements` table and its `check` records, from its --json output.
fn exploration(o: &std::process::Output) -> (Value, Vec<Value>) {
    let all = records(o);
    let tables = of_kind(&all, "placements");
    assert_eq!(tables.len(), 1, "one function explored");
    let checks = of_kind(&all, "check").into_iter().cloned().collect();
    (tables[0].clone(), checks)
}

/// The violation of the first check of a cell.
fn first_violation<'a>(cell: &Value, checks: &'a [Value]) -> &'a Value {
    let id = &cell["checks"][0];
    let check = checks
        .iter()
        .find(|c| c["id"] == *id)
        .unwrap_or_else(|| panic!("no check {id}"));
    assert!(
        check["expected"].is_null(),
        "the explorer's checks expect nothing"
    );
    &check["observed"]["violation"]
}

/// The row of `placement` in an explore-orderings table.
fn row<'a>(table: &'a Value, placement: &str) -> &'a Value {
    table["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["placement"] == placement)
        .unwrap_or_else(|| panic!("no row {placement}: {table:#}"))
}

#[test]
fn explore_release_placements_on_s2_with_pct() {
    let o = run(&[
        "explore-orderings",
        "--function",
        "release",
        "--scenario",
        "S2",
        "--checker",
        "shuttle-pct",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (t, checks) = exploration(&o);
    let t = &t;
    assert_eq!(t["kernel_function"], "__mmu_notifier_release");
    assert_eq!(t["agrees_with_history"], true);
    // v3.17's placement is safe, v3.16's is Hazard A, the last one deadlocks.
    assert_eq!(row(t, "after-spin-unlock")["safe"], true, "{t:#}");
    assert_eq!(row(t, "after-unlink-loop")["safe"], true, "{t:#}");
    for (placement, kind, site) in [
        ("after-release-loop", "use-after-free", "hlist_del_init_rcu"),
        ("after-spin-lock", "use-after-free", "hlist_del_init_rcu"),
        ("after-synchronize-srcu", "deadlock", "synchronize_srcu"),
    ] {
        let r = row(t, placement);
        assert_eq!(r["safe"], false, "{r:#}");
        let v = first_violation(&r["cells"][0], &checks);
        assert_eq!(v["kind"], kind, "{placement}: {v:#}");
        assert_eq!(
            v["function"], "__mmu_notifier_release",
            "{placement}: {v:#}"
        );
        assert_eq!(v["site"], site, "{placement}: {v:#}");
    }
    assert_eq!(
        t["safe_placements"],
        serde_json::json!(["after-unlink-loop", "after-spin-unlock"])
    );
}

#[test]
fn explore_unregister_placements_on_s4_with_pct() {
    let o = run(&[
        "explore-orderings",
        "--function",
        "unregister",
        "--scenario",
        "S4",
        "--checker",
        "shuttle-pct",
        "--json",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let (t, checks) = exploration(&o);
    let t = &t;
    assert_eq!(row(t, "after-release")["safe"], true, "{t:#}");
    let last = row(t, "after-synchronize-srcu");
    assert_eq!(last["safe"], false);
    let v = first_violation(&last["cells"][0], &checks);
    assert_eq!(v["kind"], "deadlock", "{v:#}");
    assert_eq!(v["function"], "mmu_notifier_unregister", "{v:#}");
    assert_eq!(v["thread"], "U", "{v:#}");
}

#[test]
fn bench_quick_emits_a_well_formed_table() {
    let o = run(&["bench", "--quick", "--cap", "1", "--seeds", "1", "--json"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let b = json(&o);
    assert_eq!(b["record"], "bench");
    // It reads back into its type, and writes back to the same JSON (the other record kinds:
    // `reports::every_record_kind_reads_back_into_its_type`).
    let line = String::from_utf8_lossy(&o.stdout);
    let mut typed = parse("stdout", &line).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(typed.as_slice(), [Record::Bench(_)]), "{line}");
    let again: Value = serde_json::from_str(&typed.remove(0).line()).unwrap();
    assert_eq!(again, b, "the bench record writes back to the same JSON");
    assert!(!b["machine"]["cpu"].as_str().unwrap().is_empty());
    assert!(b["machine"]["logical_cpus"].as_u64().unwrap() >= 1);
    let rows = b["rows"].as_array().unwrap();
    for group in [
        "S2",
        "S3",
        "instrumentation",
        "growth: notifiers",
        "growth: threads",
        "distance to the limit",
    ] {
        assert!(rows.iter().any(|r| r["group"] == group), "no {group} row");
    }
    for r in rows {
        assert!(!r["measured"].as_str().unwrap().is_empty(), "{r:#}");
        // A row either finished with a verdict or a series, or says it did not finish.
        let finished = r["finished"].as_bool().unwrap();
        assert!(
            finished || r["measured"].as_str().unwrap().contains("did not finish"),
            "{r:#}"
        );
    }
    // Hazard A on v3.16 takes loom 13 executions: when it finished within the cap (one second
    // of a loaded machine's wall clock is not something a test can promise), it found the
    // use-after-free.
    let s2 = rows
        .iter()
        .find(|r| r["scenario"] == "S2" && r["kernel"] == "v3.16" && r["checker"] == "loom")
        .unwrap();
    if s2["finished"] == true {
        assert_eq!(s2["verdict"], "violation", "{s2:#}");
    }
}

#[test]
fn check_report_is_one_page_with_the_marked_timeline_and_is_never_overwritten() {
    let dir = scratch("report");
    let page = dir.join("s2.html");
    let page_arg = page.to_str().unwrap();
    let args = [
        "check",
        "--scenario",
        "S2",
        "--kernel",
        "v3.16",
        "--checker",
        "shuttle-pct",
        "--report",
        page_arg,
    ];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(0));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg class=\"timeline\""));
    // main's registrations come before E and G start: folded above the picture.
    assert!(
        html.contains("<details class=\"setup\"><summary>steps 0–"),
        "setup folded"
    );
    assert!(html.contains("main&#39;s setup before the other threads start"));
    assert_eq!(html.matches("class=\"lane\"").count(), 2, "E and G");
    assert!(
        html.contains("class=\"srcu-lane\""),
        "SRCU state in a lane of its own"
    );
    assert!(html.contains("class=\"srcu-state\""));
    // The violating access: E's load of the freed notifier in hlist_del_init_rcu.
    let marked = html
        .find("class=\"op violation\"")
        .expect("a marked access");
    assert!(html[marked..].contains("hlist_del_init_rcu: load notifier"));
    assert!(html.contains("use-after-free here"));
    assert!(html.contains("freed here"));
    // v3.16's early srcu_read_unlock opened the window.
    let window = html
        .find("class=\"op window\"")
        .expect("the window is marked");
    assert!(
        html[window..].contains("srcu_read_unlock"),
        "the early unlock"
    );
    assert!(html.contains("window opens here"));
    // Cause → effect: each call_srcu to its callback, the free to the access.
    assert_eq!(
        html.matches("class=\"link callback\"").count(),
        2,
        "two call_srcu"
    );
    assert_eq!(html.matches("class=\"link free\"").count(), 1);
    // The matrix cell links to the counterexample.
    assert!(
        html.contains("<a href=\"#check-0\">✓ uaf "),
        "the cell links"
    );
    assert!(html.contains("<details class=\"cex\" open>\n<summary>S2 v3.16"));
    // The link's target is inside the details, which a browser opens to show it.
    let details = html.find("<details class=\"cex\"").unwrap();
    assert!(html[details..].contains("<p class=\"target\" id=\"check-0\">expected: "));
    for external in ["<script", "<link", "<img", "src=", "@import"] {
        assert!(
            !html.contains(external),
            "refers outside the page: {external}"
        );
    }

    std::fs::write(&page, "saved by the user").unwrap();
    let again = run(&args);
    assert_eq!(again.status.code(), Some(2));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(
        err.contains("already exists") && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "saved by the user");

    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(run(&forced).status.code(), Some(0));
    assert!(std::fs::read_to_string(&page).unwrap().contains("<svg"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn campaign_writes_its_report_and_json_without_a_progress_bar() {
    let dir = scratch("campaign");
    let page = dir.join("campaign.html");
    let o = run(&[
        "campaign",
        "--scenario",
        "S6",
        "--json",
        "--progress-interval",
        "0",
        "--report",
        page.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let all = records(&o);
    assert_eq!(
        of_kind(&all, "check").len(),
        6,
        "S6 on 2 kernels x 3 checkers"
    );
    assert_eq!(all[0]["record"], "run");
    assert_eq!(all[all.len() - 1]["record"], "summary");
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<svg class=\"timeline\"").count(), 6);
    // The matrix: a row per kernel, a cell per checker, each linking to its counterexample.
    assert_eq!(html.matches("<td class=\"cell cex\"").count(), 6, "{html}");
    for i in 0..6 {
        assert!(html.contains(&format!("<a href=\"#check-{i}\">")));
        assert!(html.contains(&format!("<p class=\"target\" id=\"check-{i}\">")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_default_campaign_refuses_an_existing_report_before_running() {
    let dir = scratch("default");
    let page = dir.join("saved.html");
    std::fs::write(&page, "saved by the user").unwrap();
    let o = run(&["--report", page.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("already exists"), "{err}");
    // Refused before the campaign ran: no verdict table.
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    assert_eq!(std::fs::read_to_string(&page).unwrap(), "saved by the user");
    let _ = std::fs::remove_dir_all(&dir);
}
