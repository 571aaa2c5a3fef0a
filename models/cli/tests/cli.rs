//! The `notifier-check` command line, run as a user runs it, on catalogue scenarios:
//! `srcu-sync` (classic SRCU: safe under every checker) and `srcu-no-flip` (SRCU without the
//! index flip: `synchronize_srcu` returns while a reader is inside; loom and PCT find it).
//! Budgets are given explicitly so that the assertions do not depend on default budgets.

use serde_json::Value;

use crate::common::cli;

use cli::{json, of_kind, records, run, stdout};

/// `check --json` with these arguments; returns the exit code and the report.
fn check(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check", "--json"];
    all.extend(args);
    let o = run(&all);
    (o.status.code().expect("exited"), json(&o))
}

const NO_FLIP_LOOM: [&str; 7] = [
    "--scenario",
    "srcu-no-flip",
    "--kernel",
    "v3.16",
    "--checker",
    "loom",
    "--unbounded",
];
const NO_FLIP_PCT: [&str; 12] = [
    "--scenario",
    "srcu-no-flip",
    "--kernel",
    "v3.16",
    "--checker",
    "shuttle-pct",
    "--iterations",
    "2000",
    "--seed",
    "1",
    "--pct-depth",
    "3",
];

/// The report of a check that found srcu-no-flip's violation, as the expectation says.
fn assert_grace_period_violation(r: &Value) {
    assert_eq!(r["record"], "check", "{r:#}");
    let o = &r["observed"];
    assert_eq!(o["verdict"], "violation", "{r:#}");
    assert_eq!(r["expected"]["verdict"], "violation");
    assert_eq!(r["expected"]["violation"]["kind"], "grace-period");
    // Alternatives are lists; an empty list accepts any.
    assert_eq!(
        (
            &r["expected"]["violation"]["functions"],
            &r["expected"]["violation"]["sites"],
            &r["expected"]["violation"]["objects"]
        ),
        (
            &serde_json::json!(["updater"]),
            &serde_json::json!(["synchronize_srcu"]),
            &serde_json::json!([])
        )
    );
    assert_eq!(r["matches"], true);
    let v = &o["violation"];
    assert_eq!(v["kind"], "grace-period", "{v:#}");
    assert_eq!(v["site"], "synchronize_srcu", "{v:#}");
    assert_eq!(v["thread"], "U", "{v:#}");
    let step = v["step"].as_u64().expect("a step") as usize;
    let trace = o["trace"].as_array().unwrap();
    assert_eq!(trace[step]["step"], step as u64);
    assert_eq!(
        trace[step]["thread"], "U",
        "the marked line is the updater's"
    );
    assert!(
        trace.iter().any(|l| l["thread"] == "R"),
        "the reader is in the trace"
    );
    // The trace is structured: the reader's srcu_read_lock, as data.
    assert!(
        trace
            .iter()
            .any(|e| e["thread"] == "R" && e["op"]["kind"] == "srcu-read-lock"),
        "{trace:#?}"
    );
    assert!(o["executions"].as_u64().unwrap() >= 1);
    // The token is the scenario, the kernel and the checker's part; the command replays it.
    let token = r["token"].as_str().unwrap();
    assert!(token.starts_with("srcu-no-flip/v3.16/"), "{token}");
    assert!(token.contains(&format!("/grace-period@{step}/")), "{token}");
    assert_eq!(
        r["replay_command"],
        format!("notifier-check replay {token}").as_str()
    );
}

#[test]
fn check_json_with_loom_finds_the_missing_flip() {
    let (code, r) = check(&NO_FLIP_LOOM);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(
        (&r["scenario"], &r["kernel"], &r["checker"]),
        (&"srcu-no-flip".into(), &"v3.16".into(), &"loom".into())
    );
    assert_eq!(
        r["observed"]["bound"],
        serde_json::json!({"kind": "exhaustive"})
    );
    assert_grace_period_violation(&r);
    let path = format!(
        "srcu-no-flip/v3.16/loom/unbounded/exec={}/",
        r["observed"]["executions"]
    );
    assert!(r["token"].as_str().unwrap().starts_with(&path), "{r:#}");
}

#[test]
fn check_json_with_pct_finds_the_missing_flip() {
    let (code, r) = check(&NO_FLIP_PCT);
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["checker"], "shuttle-pct");
    assert_eq!(
        r["observed"]["bound"],
        serde_json::json!({"kind": "iterations", "value": 2000, "seed": 1, "pct_depth": 3})
    );
    assert_grace_period_violation(&r);
    let token = r["token"].as_str().unwrap();
    assert!(
        token.starts_with("srcu-no-flip/v3.16/shuttle-pct/"),
        "{token}"
    );
}

#[test]
fn check_json_with_random_finds_classic_srcu_safe() {
    let (code, r) = check(&[
        "--scenario",
        "srcu-sync",
        "--kernel",
        "v3.17",
        "--checker",
        "shuttle-random",
        "--iterations",
        "300",
        "--seed",
        "5",
    ]);
    assert_eq!(code, 0, "{r:#}");
    let o = &r["observed"];
    assert_eq!(
        (&r["expected"]["verdict"], &o["verdict"], &r["matches"]),
        (&"safe".into(), &"safe".into(), &true.into())
    );
    assert_eq!(o["executions"], 300, "every iteration ran");
    assert_eq!(
        o["bound"],
        serde_json::json!({"kind": "iterations", "value": 300, "seed": 5})
    );
    assert!(o["violation"].is_null() && r["replay_command"].is_null() && r["token"].is_null());
    assert_eq!(o["trace"], Value::Array(Vec::new()));
    assert!(o["seconds"].as_f64().unwrap() >= 0.0);
}

#[test]
fn a_check_that_misses_its_expected_violation_exits_1() {
    // One PCT iteration is a plain oldest-task-first run: it cannot find the missing flip.
    let (code, r) = check(&[
        "--scenario",
        "srcu-no-flip",
        "--kernel",
        "v3.16",
        "--checker",
        "shuttle-pct",
        "--iterations",
        "1",
    ]);
    assert_eq!(
        (code, &r["observed"]["verdict"], &r["matches"]),
        (1, &"safe".into(), &false.into()),
        "{r:#}"
    );
    assert_eq!(r["observed"]["executions"], 1);
}

#[test]
fn check_prints_verdict_trace_and_replay() {
    let o = run(&[&["check"][..], &NO_FLIP_LOOM].concat());
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    let first = out.lines().next().unwrap();
    assert!(
        first.starts_with("✓ as expected: srcu-no-flip on v3.16 with loom"),
        "{out}"
    );
    assert!(
        first.ends_with("expected violation, observed violation"),
        "{out}"
    );
    assert!(out.contains("executions in"), "{out}");
    assert!(out.contains("violation: grace-period"), "{out}");
    let header = out
        .lines()
        .find(|l| l.trim_start().starts_with("step"))
        .unwrap();
    assert!(
        header.contains("| R ") && header.ends_with("| U"),
        "one column per thread: {out}"
    );
    assert!(out.contains("<== grace-period here"), "{out}");
    assert!(out.contains("replay: notifier-check replay srcu-no-flip/v3.16/loom/unbounded/exec="));
}

/// Replays a check's token and returns the replay's report.
fn replay(token: &str) -> (i32, Value) {
    let o = run(&["replay", token, "--json"]);
    (o.status.code().unwrap(), json(&o))
}

#[test]
fn replay_reproduces_loom_and_pct_failures_exactly() {
    for args in [&NO_FLIP_LOOM[..], &NO_FLIP_PCT[..]] {
        let (_, r) = check(args);
        let token = r["token"].as_str().unwrap();
        let (code, again) = replay(token);
        assert_eq!(code, 0, "{again:#}");
        assert_eq!(again["record"], "replay");
        assert_eq!(again["result"], serde_json::json!({"kind": "reproduced"}));
        assert_eq!(again["replayed"], token);
        let (first, o) = (&r["observed"], &again["observed"]);
        assert_eq!(
            o["violation"], first["violation"],
            "same violation, same step"
        );
        assert_eq!(o["trace"], first["trace"]);
        assert_eq!(again["token"], r["token"]);
        let kind = o["bound"]["kind"].as_str().unwrap();
        assert!(kind.ends_with("replay"), "{kind}");
    }
}

/// A loom token whose execution fails elsewhere: "not reproduced" (exit 1), naming where the
/// first failure is.
#[test]
fn replay_of_the_wrong_loom_execution_says_so() {
    let (_, r) = check(&NO_FLIP_LOOM);
    let token = r["token"].as_str().unwrap();
    let executions = r["observed"]["executions"].as_u64().unwrap();
    let later = token.replace(
        &format!("/exec={executions}/"),
        &format!("/exec={}/", executions + 1),
    );
    let (code, again) = replay(&later);
    assert_eq!(
        (code, &again["result"]["kind"]),
        (1, &"not-reproduced".into()),
        "{again:#}"
    );
    let reason = again["result"]["reason"].as_str().unwrap();
    assert!(
        reason.contains(&format!("the first failure is at execution {executions}")),
        "{reason}"
    );
}

/// S2's failure token from v3.16 replayed on v3.17, where S2 is safe: the schedule does not
/// fit, so the replay diverges (exit 3), and says where, in its own words; before, shuttle's
/// "schedule ended early" panic was reported as "reproduced" (exit 0).
#[test]
fn a_token_replayed_on_another_kernel_diverges() {
    let (_, r) = check(&[
        "--scenario",
        "S2",
        "--kernel",
        "v3.16",
        "--checker",
        "shuttle-pct",
    ]);
    let token = r["token"].as_str().unwrap();
    assert!(token.starts_with("S2/v3.16/shuttle-pct/"), "{token}");
    let (code, again) = replay(&token.replacen("/v3.16/", "/v3.17/", 1));
    assert_eq!(code, 3, "{again:#}");
    assert_eq!(again["result"]["kind"], "diverged", "{again:#}");
    assert!(again["result"]["step"].is_u64(), "{again:#}");
    assert!(again["observed"]["violation"].is_null(), "{again:#}");
    let text = stdout(&run(&["replay", &token.replacen("/v3.16/", "/v3.17/", 1)]));
    assert!(text.contains(": DIVERGED at step "), "{text}");
    for internal in ["scheduled task", "schedule ended early", "panicked"] {
        assert!(!text.contains(internal), "{internal}: {text}");
    }
}

#[test]
fn list_shows_every_scenario_kernel_and_checker() {
    let o = run(&["list", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let all = records(&o);
    assert!(all.iter().all(|r| r["record"] == "scenario"));
    let scenarios = of_kind(&all, "scenario");
    assert!(scenarios.iter().any(|s| s["id"] == "srcu-no-flip"));
    let human = stdout(&run(&["list"]));
    for s in &scenarios {
        let kernels = s["kernels"].as_array().unwrap();
        let checks = s["checks"].as_array().unwrap();
        assert_eq!(checks.len(), kernels.len() * 3, "{s:#}");
        for c in checks {
            let e = &c["expected"];
            assert!(["safe", "violation", "deadlock"].contains(&e["verdict"].as_str().unwrap()));
            assert_eq!(e["violation"].is_null(), e["verdict"] == "safe", "{c:#}");
            if !e["blind"].is_null() {
                assert_eq!(e["verdict"], "safe", "a blind checker must observe safe");
            }
            assert!(c["observed"].is_null(), "list observes nothing: {c:#}");
            assert!(c["bound"]["kind"].is_string(), "{c:#}");
        }
        assert!(human.contains(&format!("{}: ", s["id"].as_str().unwrap())));
    }
    let no_flip = scenarios
        .iter()
        .find(|s| s["id"] == "srcu-no-flip")
        .unwrap();
    let loom = &no_flip["checks"][0];
    assert_eq!(
        (&loom["kernel"], &loom["checker"]),
        (&"v3.16".into(), &"loom".into())
    );
    assert_eq!(loom["expected"]["violation"]["kind"], "grace-period");
}

/// The number of kernels srcu-no-flip is defined for.
fn no_flip_kernels() -> usize {
    records(&run(&["list", "--json"]))
        .iter()
        .find(|s| s["id"] == "srcu-no-flip")
        .unwrap()["kernels"]
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn list_says_what_each_checker_cannot_see() {
    let human = stdout(&run(&["list"]));
    let (_, spots) = human
        .split_once("What each checker cannot see")
        .expect("a section on what the checkers cannot see");
    for (checker, spot) in [
        ("loom:", "load buffering"),
        ("shuttle-random:", "weak memory"),
        ("shuttle-pct:", "unordered accesses: no race detector"),
    ] {
        let (_, rest) = spots.split_once(checker).expect(checker);
        assert!(rest.contains(spot), "{checker} {spot}: {spots}");
    }
}

#[test]
fn campaign_prints_budgets_matrix_and_summary_and_only_unexpected_details() {
    let o = run(&["campaign", "--scenario", "srcu-no-flip", "--jobs", "2"]);
    let out = stdout(&o);
    let rows: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("srcu-no-flip "))
        .collect();
    // A row per kernel, a cell per checker.
    assert_eq!(rows.len(), no_flip_kernels(), "{out}");
    for row in &rows {
        assert_eq!(row.matches('✓').count(), 3, "{row}");
        // loom and shuttle-pct find the grace-period violation; shuttle-random is blind to it
        // within its budget (`notifier-check list` says why) and observes safe.
        assert_eq!(row.matches("✓ grace-period").count(), 2, "{row}");
        assert!(row.contains("✓ not found† 10000/10000"), "{row}");
    }
    let header = out.lines().find(|l| l.starts_with("scenario")).unwrap();
    for column in ["kernel", "loom", "shuttle-random", "shuttle-pct"] {
        assert!(header.contains(column), "{header}");
    }
    assert!(out.starts_with("Budgets: "), "{out}");
    // The budget paragraph (wrapped; compared with its line breaks as spaces): srcu-no-flip's
    // loom rows are exhaustive on every kernel, its shuttle rows 10,000 iterations.
    let budgets: String = out
        .split("\n\n")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        budgets,
        format!(
            "Budgets: each scenario's defaults (`notifier-check list` shows them). loom: {n} \
             checks, {n} unbounded (exhaustive), 0 preemption-bounded. shuttle: {s} checks of \
             10000 iterations each, seed 1, PCT depth 3. Per execution at most 50000 loom \
             branches and 5000 shuttle steps. 2 checks at a time, each in its own process.",
            n = rows.len(),
            s = rows.len() * 2
        ),
        "{out}"
    );
    // Quiet: every counterexample here is expected, so none is printed in full.
    assert!(!out.contains("replay: notifier-check replay"), "{out}");
    assert!(!out.contains("trace (one column per thread)"), "{out}");
    let summary = out.lines().last().unwrap();
    let checks = rows.len() * 3;
    assert!(
        summary.starts_with(&format!(
            "{checks} checks: {checks} as expected, 0 not, 0 crashed"
        )),
        "{summary}"
    );
    assert_eq!(o.status.code(), Some(0));
    // Without a terminal: a progress line at the start and at the end.
    let err = String::from_utf8_lossy(&o.stderr);
    let progress: Vec<&str> = err.lines().collect();
    assert_eq!(
        progress.first(),
        Some(
            &format!("notifier-check: progress 0/{checks} checks, 0 not as expected, 0 s").as_str()
        ),
        "{err}"
    );
    assert!(
        progress.last().unwrap().starts_with(&format!(
            "notifier-check: progress {checks}/{checks} checks, 0 not"
        )),
        "{err}"
    );

    // --verbose prints every counterexample with its trace and replay command.
    let verbose = stdout(&run(&[
        "campaign",
        "--scenario",
        "srcu-no-flip",
        "--jobs",
        "2",
        "--verbose",
        "--progress-interval",
        "0",
    ]));
    // One counterexample per check that found one: loom's and shuttle-pct's on each kernel.
    assert_eq!(
        verbose
            .matches("replay: notifier-check replay srcu-no-flip/")
            .count(),
        rows.len() * 2,
        "{verbose}"
    );
    assert!(verbose.contains("<== grace-period here"), "{verbose}");
}

/// A usage error: exit status 2, one line on stderr naming the problem, no panic.
fn assert_usage_error(args: &[&str], names: &str) {
    let o = run(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.starts_with("notifier-check: "), "{args:?}: {err}");
    assert!(err.contains(names), "{args:?} should name {names}: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(o.stdout.is_empty(), "{args:?}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let base = [
        "check",
        "--scenario",
        "srcu-sync",
        "--kernel",
        "v3.16",
        "--checker",
    ];
    assert_usage_error(
        &[
            "check",
            "--scenario",
            "nope",
            "--kernel",
            "v3.16",
            "--checker",
            "loom",
        ],
        "unknown scenario 'nope'",
    );
    assert_usage_error(
        &[
            "check",
            "--scenario",
            "srcu-sync",
            "--kernel",
            "v9",
            "--checker",
            "loom",
        ],
        "unknown kernel version 'v9'",
    );
    assert_usage_error(&[&base[..], &["dfs"]].concat(), "unknown checker 'dfs'");
    // Tree SRCU (v5.4) has no seq[] to re-check: the variant exists on classic SRCU only.
    assert_usage_error(
        &[
            "check",
            "--scenario",
            "srcu-no-seq-recheck",
            "--kernel",
            "v5.4",
            "--checker",
            "loom",
        ],
        "scenario srcu-no-seq-recheck is not defined for v5.4 (it is for v3.16, v3.17)",
    );
    assert_usage_error(
        &[&base[..], &["shuttle-random", "--iterations", "ten"]].concat(),
        "ten",
    );
    assert_usage_error(
        &[&base[..], &["shuttle-random", "--iterations", "0"]].concat(),
        "--iterations",
    );
    assert_usage_error(
        &[&base[..], &["shuttle-pct", "--pct-depth", "0"]].concat(),
        "--pct-depth",
    );
    assert_usage_error(
        &[&base[..], &["shuttle-pct", "--pct-depth", "-1"]].concat(),
        "'-1'",
    );
    assert_usage_error(
        &[
            &base[..],
            &["loom", "--preemption-bound", "2", "--unbounded"],
        ]
        .concat(),
        "--unbounded",
    );
    assert_usage_error(
        &[&base[..], &["loom", "--seed", "3"]].concat(),
        "--seed does not apply to the loom checker",
    );
    assert_usage_error(
        &[&base[..], &["shuttle-random", "--preemption-bound", "3"]].concat(),
        "--preemption-bound",
    );
    assert_usage_error(&["check", "--scenario", "srcu-sync"], "--kernel");
    assert_usage_error(&["frobnicate"], "frobnicate");
    assert_usage_error(
        &["campaign", "--scenario", "nope"],
        "unknown scenario 'nope'",
    );
    for token in [
        "garbage",
        "srcu-no-flip/v3.16",
        "srcu-no-flip/v3.16/shuttle-pct/zz",
        "srcu-no-flip/v3.16/shuttle-pct/91",
        "srcu-no-flip/v3.16/shuttle-pct/910214b2f8a4a596b2bfab380024092449922409ff",
        "srcu-no-flip/v3.16/loom/pb=x/exec=1/leak",
        "srcu-no-flip/v3.16/loom/pb=256/exec=1/leak",
        "srcu-no-flip/v3.16/loom/unbounded/exec=1",
        "srcu-no-flip/v2.6/loom/unbounded/exec=1/leak",
        "nope/v3.16/loom/unbounded/exec=1/leak",
    ] {
        assert_usage_error(&["replay", token], "");
    }
    // Beyond what loom can take (it keeps the bound in a u8): a usage error, not a panic in
    // the checker with a replay token that `replay` then refuses.
    for bound in ["256", "18446744073709551615"] {
        assert_usage_error(
            &[&base[..], &["loom", "--preemption-bound", bound]].concat(),
            "--preemption-bound",
        );
    }
}

#[test]
fn soak_reports_no_false_alarm_on_a_safe_scenario() {
    let o = run(&[
        "soak",
        "--seeds",
        "1..4",
        "--scenario",
        "S2",
        "--kernel",
        "v3.17",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let rows = json(&o)["false_alarms"].as_array().unwrap().clone();
    let checkers: Vec<&str> = rows
        .iter()
        .map(|r| r["checker"].as_str().unwrap())
        .collect();
    assert_eq!(checkers, ["shuttle-random", "shuttle-pct"]);
    for r in &rows {
        assert_eq!(r["seeds"], "1..4");
        assert_eq!(r["executions"], 6, "3 seeds of 2 executions: {r}");
        assert_eq!(r["violations"], 0, "{r}");
    }
}

#[test]
fn soak_seeded_finds_a_planted_bug_with_every_checker() {
    let o = run(&[
        "soak",
        "--seeded",
        "--seeds",
        "1..3",
        "--scenario",
        "mem-use-after-free",
        "--kernel",
        "v3.17",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let rows = json(&o)["seeded"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 3, "loom, shuttle-random, shuttle-pct: {rows:?}");
    for r in &rows {
        let runs = if r["checker"] == "loom" { 1 } else { 2 };
        assert_eq!(r["runs"], runs, "{r}");
        assert_eq!(r["found"], runs, "{r}");
        assert_eq!(r["other"], 0, "{r}");
        assert_eq!(r["executions"], serde_json::json!([1, 1, 1]), "{r}");
    }
}

/// `soak --out` writes its `soak` record (refusing an existing file without --force), and
/// `docs --soak` makes the false-alarm table from it.
#[test]
fn soak_out_writes_the_record_docs_makes_the_table_from() {
    let dir = std::env::temp_dir().join(format!("notifier-check-soak-out-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    let out = dir.join("soak.json");
    let out = out.to_str().unwrap();
    let soak = |extra: &[&str]| {
        let mut args = vec![
            "soak",
            "--seeds",
            "1..3",
            "--scenario",
            "S2",
            "--kernel",
            "v3.17",
            "--out",
            out,
        ];
        args.extend(extra);
        run(&args)
    };
    let o = soak(&[]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = soak(&[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    let text = std::fs::read_to_string(out).unwrap();
    let records = notifier_check::record::parse("soak.json", &text).unwrap();
    let [notifier_check::record::Record::Soak(record)] = records.as_slice() else {
        panic!("one soak record: {text}");
    };
    assert_eq!(record.evidence, notifier_check::soak::Evidence::FalseAlarms);
    assert_eq!((record.seeds.start, record.seeds.end), (1, 3));
    assert_eq!(record.false_alarms.len(), 2, "{text}");
    assert!(record
        .machine
        .rustc
        .as_deref()
        .unwrap()
        .starts_with("rustc "));
    let doc = dir.join("docs/evidence.md");
    std::fs::write(
        &doc,
        format!(
            "{}\n{}\n",
            notifier_check::docs::sections::begin("soak-false-alarms", "soak"),
            notifier_check::docs::sections::end("soak-false-alarms")
        ),
    )
    .unwrap();
    let o = run(&["docs", "--root", dir.to_str().unwrap(), "--soak", out]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let page = std::fs::read_to_string(&doc).unwrap();
    for line in [
        "| S2 (v3.17) | shuttle-random | 1..3 | 2 | 4 | 0 |",
        "| S2 (v3.17) | shuttle-pct (depth 3) | 1..3 | 2 | 4 | 0 |",
        "2 scenario × kernel × checker rows, 8 executions, **0 violations**.",
    ] {
        assert!(page.lines().any(|l| l == line), "{line}\nnot in\n{page}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn soak_refuses_an_empty_seed_range() {
    let o = run(&["soak", "--seeds", "5..5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is empty"));
}

/// `stress`: the SRCU scenarios expected safe, on real threads (the std backend), on both
/// implementations: classic SRCU on v3.16 and v3.17, Tree SRCU on v5.4. An updater with one
/// reader migrating between two CPU slots (srcu-sync-migrate) and with two readers, one of
/// them migrating (srcu-sync-2r), each run judged by every oracle (the SRCU oracle's
/// guarantees among them). What is asserted is deterministic: every run made, no violation;
/// never a time.
#[test]
fn stress_runs_both_srcus_on_real_threads_without_a_violation() {
    let o = run(&[
        "stress",
        "--scenario",
        "srcu-sync-migrate",
        "--scenario",
        "srcu-sync-2r",
        "--runs",
        "200",
        "--jobs",
        "2",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let rows: Vec<(String, String, String, u64, u64, u64)> = json(&o)["real_threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["scenario"].as_str().unwrap().to_string(),
                r["kernel"].as_str().unwrap().to_string(),
                r["srcu"].as_str().unwrap().to_string(),
                r["runs"].as_u64().unwrap(),
                r["ran"].as_u64().unwrap(),
                r["violations"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for scenario in ["srcu-sync-migrate", "srcu-sync-2r"] {
        for (kernel, srcu) in [("v3.16", "classic"), ("v3.17", "classic"), ("v5.4", "tree")] {
            expected.push((scenario.into(), kernel.into(), srcu.into(), 200, 200, 0));
        }
    }
    assert_eq!(rows, expected);

    // The table: one row per combination, then the totals.
    let o = run(&["stress", "--scenario", "srcu-call", "--runs", "20"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.starts_with("Real threads: "), "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("srcu-call ")).count(),
        3,
        "{out}"
    );
    assert!(
        out.contains("\n3 combinations, 60 runs, 0 violations, "),
        "{out}"
    );
}

/// `stress` runs only what the catalogue claims safe: a must-fail variant is refused.
#[test]
fn stress_refuses_a_scenario_not_expected_safe() {
    let o = run(&["stress", "--scenario", "srcu-no-flip"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("no scenario expected safe matches the filters"),
        "{err}"
    );
    assert!(o.stdout.is_empty());
}
