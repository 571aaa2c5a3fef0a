//! Reports for machines and for CI: partitions and `merge` reproduce the whole run, JUnit
//! XML meets its schema's required elements, every JSON record kind reads back into its type,
//! and the exit statuses (a crashed check, an output that cannot be written, an output path
//! whose folder is missing) are distinct and listed by `--help`.

use notifier_check::record::{parse, Record, RunKind};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::cli;

use cli::{command, records, run, stdout};

/// A fresh directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notifier-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The reduced campaign of these tests: a safe SRCU check, a broken SRCU and Hazard A.
const SCENARIOS: [&str; 6] = [
    "--scenario",
    "srcu-sync",
    "--scenario",
    "srcu-no-flip",
    "--scenario",
    "S2",
];

/// The campaign of [`SCENARIOS`] with `extra` arguments.
fn campaign(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["campaign".to_string(), "--jobs".into(), "2".into()];
    args.extend(SCENARIOS.iter().map(|s| s.to_string()));
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// What must be the same in a partitioned and a whole run: everything but the seconds.
fn essentials(check: &Value) -> Value {
    let mut c = check.clone();
    c["observed"]["seconds"] = Value::Null;
    c
}

/// The proof that partitions cover the run: three partitions run as separate processes (one
/// told by the flag, one by $NOTIFIER_CHECK_PARTITION, one by a Kubernetes index), merged,
/// give exactly the rows, verdicts, executions, bounds, violations and tokens of the whole
/// run, and the same matrix.
#[test]
fn three_partitions_merged_are_the_whole_run() {
    let dir = scratch("partitions");
    let whole = command(
        &campaign(&["--json", "--progress-interval", "0"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    )
    .output()
    .unwrap();
    assert_eq!(whole.status.code(), Some(0));
    let whole = records(&whole);
    let files: Vec<PathBuf> = (1..=3)
        .map(|i| dir.join(format!("part-{i}.json")))
        .collect();
    let children: Vec<std::process::Child> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let out = file.to_str().unwrap().to_string();
            let mut args = campaign(&["--out", &out, "--progress-interval", "0"]);
            let mut c = Command::new(cli::EXE);
            for var in cli::PARTITION_ENV {
                c.env_remove(var);
            }
            match i {
                0 => args.extend(["--partition".into(), "count:1/3".into()]),
                1 => {
                    c.env("NOTIFIER_CHECK_PARTITION", "count:2/3");
                }
                _ => {
                    c.env("JOB_COMPLETION_INDEX", "2");
                    args.extend(["--partition-count".into(), "3".into()]);
                }
            }
            c.args(&args)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut partitioned_text = Vec::new();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        partitioned_text.push(String::from_utf8_lossy(&o.stdout).into_owned());
    }
    assert!(
        partitioned_text[0].contains("partition count:1/3: "),
        "{}",
        partitioned_text[0]
    );
    let mut args = vec!["merge", "--json"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let merged = run(&args);
    assert_eq!(
        merged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let merged = records(&merged);
    let checks = |rs: &[Value]| -> Vec<Value> {
        rs.iter()
            .filter(|r| r["record"] == "check")
            .map(essentials)
            .collect()
    };
    let (a, b) = (checks(&whole), checks(&merged));
    assert!(a.len() >= 12, "{}", a.len());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "the same check, verdict, executions and trace");
    }
    // Every partition ran a third of the checks, none twice.
    let sizes: Vec<usize> = files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f).unwrap();
            parse("part", &text)
                .unwrap()
                .iter()
                .filter(|r| matches!(r, Record::Check(_)))
                .count()
        })
        .collect();
    assert_eq!(sizes.iter().sum::<usize>(), a.len());
    assert!(
        sizes.iter().all(|&n| n.abs_diff(a.len() / 3) <= 1),
        "{sizes:?}"
    );
    let summary = |rs: &[Value]| rs.last().unwrap().clone();
    let (s1, s2) = (summary(&whole), summary(&merged));
    assert_eq!(s1["record"], "summary");
    assert_eq!(
        (&s1["checks"], &s1["as_expected"], &s1["exit_status"]),
        (&s2["checks"], &s2["as_expected"], &s2["exit_status"])
    );
    assert_eq!(s2["partitions"], 3);
    assert!(merged[0]["partition"].is_null());
    assert_eq!(merged[0]["selection"], whole[0]["selection"]);
    // The merged table is the whole run's table.
    let table = |text: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| !l.starts_with("scenario"))
            .take_while(|l| !l.starts_with("Cells:"))
            .map(str::to_string)
            .collect()
    };
    let whole_text = stdout(&run(&campaign(&["--progress-interval", "0"])
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()));
    let mut args = vec!["merge"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let merged_text = stdout(&run(&args));
    assert_eq!(table(&whole_text), table(&merged_text));
    assert!(
        merged_text.contains("(3 partitions merged)"),
        "{merged_text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Partitions that do not make one whole are refused, each with one clear line.
#[test]
fn merge_refuses_missing_repeated_and_foreign_partitions() {
    let dir = scratch("merge-refusals");
    let part = |name: &str, args: &[&str]| {
        let file = dir.join(name);
        let mut all = vec![
            "campaign",
            "--scenario",
            "srcu-sync",
            "--progress-interval",
            "0",
            "--out",
            file.to_str().unwrap(),
        ];
        all.extend(args);
        assert_eq!(run(&all).status.code(), Some(0));
        file.to_str().unwrap().to_string()
    };
    let p1 = part("p1.json", &["--partition", "count:1/2"]);
    let p2 = part("p2.json", &["--partition", "count:2/2"]);
    let other = part(
        "other.json",
        &["--partition", "count:2/2", "--scenario", "srcu-replace"],
    );
    let whole = part("whole.json", &[]);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"schema_version\": 99, \"record\": \"run\"}\n").unwrap();
    let truncated = dir.join("truncated.json");
    let text = std::fs::read_to_string(&p2).unwrap();
    let cut: Vec<&str> = text.lines().collect();
    std::fs::write(&truncated, cut[..cut.len() - 1].join("\n")).unwrap();
    for (files, says) in [
        (vec![p1.as_str()], "missing partition(s) count:2/2"),
        (
            vec![p1.as_str(), p1.as_str()],
            "partition count:1/2 is given twice",
        ),
        (
            vec![p1.as_str(), other.as_str()],
            "come from different runs",
        ),
        (
            vec![p1.as_str(), whole.as_str()],
            "is a whole run, not a partition",
        ),
        (
            vec![p1.as_str(), bad.to_str().unwrap()],
            "schema version 99",
        ),
        (
            vec![p1.as_str(), truncated.to_str().unwrap()],
            "the run did not finish",
        ),
    ] {
        let mut args = vec!["merge"];
        args.extend(files);
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(says), "{args:?} should say {says}: {err}");
        assert!(o.stdout.is_empty());
    }
    // The two halves make the whole.
    assert_eq!(run(&["merge", &p2, &p1]).status.code(), Some(0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A JUnit test case: its name, and its failure or error, if any.
struct Case {
    name: String,
    outcome: Option<Outcome>,
}

/// A `<failure>` or `<error>`.
struct Outcome {
    element: String,
    kind: String,
    message: String,
    text: String,
}

/// The elements and attributes the Ant JUnit schema (`JUnit.xsd`) requires, checked on a
/// document: `testsuites` holds `testsuite`s with `id`, `package`, `name`, `timestamp`
/// (`YYYY-MM-DDTHH:MM:SS`), `hostname`, `tests`, `failures`, `errors`, `time`, and the
/// children `properties`, then `testcase`s, then `system-out`, `system-err`; a `testcase` has
/// `name`, `classname`, `time` and at most one of `skipped`, `error`, `failure`, the last two
/// with a `type`. Returns the test cases.
fn assert_junit(xml: &str) -> Vec<Case> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    assert_eq!(
        root.attributes().count(),
        0,
        "the schema gives testsuites no attributes"
    );
    let mut cases = Vec::new();
    for (i, suite) in root.children().filter(|n| n.is_element()).enumerate() {
        assert_eq!(suite.tag_name().name(), "testsuite");
        for attr in ["package", "name", "hostname"] {
            assert!(!suite.attribute(attr).unwrap_or("").is_empty(), "{attr}");
        }
        assert_eq!(suite.attribute("id"), Some(i.to_string().as_str()));
        let stamp = suite.attribute("timestamp").unwrap();
        let shape: String = stamp
            .chars()
            .map(|c| if c.is_ascii_digit() { '9' } else { c })
            .collect();
        assert_eq!(shape, "9999-99-99T99:99:99");
        let count = |a: &str| -> usize { suite.attribute(a).unwrap().parse().unwrap() };
        let time: f64 = suite.attribute("time").unwrap().parse().unwrap();
        assert!(time >= 0.0);
        let children: Vec<_> = suite.children().filter(|n| n.is_element()).collect();
        let names: Vec<&str> = children.iter().map(|n| n.tag_name().name()).collect();
        assert_eq!(names.first(), Some(&"properties"), "{names:?}");
        assert_eq!(names[names.len() - 2..], ["system-out", "system-err"]);
        let tests: Vec<_> = children[1..children.len() - 2].to_vec();
        assert!(tests.iter().all(|t| t.tag_name().name() == "testcase"));
        assert_eq!(count("tests"), tests.len());
        let with = |kind: &str| {
            tests
                .iter()
                .filter(|t| t.children().any(|c| c.tag_name().name() == kind))
                .count()
        };
        assert_eq!(count("failures"), with("failure"));
        assert_eq!(count("errors"), with("error"));
        for t in tests {
            for attr in ["name", "classname", "time"] {
                assert!(t.attribute(attr).is_some(), "{attr}");
            }
            let _: f64 = t.attribute("time").unwrap().parse().unwrap();
            let inner: Vec<_> = t.children().filter(|n| n.is_element()).collect();
            assert!(inner.len() <= 1);
            let mut outcome = None;
            for e in inner {
                assert!(["failure", "error", "skipped"].contains(&e.tag_name().name()));
                if e.tag_name().name() != "skipped" {
                    assert!(e.attribute("type").is_some());
                }
                outcome = Some(Outcome {
                    element: e.tag_name().name().to_string(),
                    kind: e.attribute("type").unwrap_or("").to_string(),
                    message: e.attribute("message").unwrap_or("").to_string(),
                    text: e.text().unwrap_or("").to_string(),
                });
            }
            cases.push(Case {
                name: t.attribute("name").unwrap().to_string(),
                outcome,
            });
        }
    }
    cases
}

/// `--junit`: one test case per check; an expected counterexample passes; a check that
/// observed something else is a failure carrying the expectation, the trace and the replay
/// command.
#[test]
fn junit_meets_its_schema_and_a_mismatch_carries_trace_and_replay() {
    let dir = scratch("junit");
    let campaign_xml = dir.join("campaign.xml");
    let o = run(&[
        "campaign",
        "--scenario",
        "srcu-no-flip",
        "--progress-interval",
        "0",
        "--junit",
        campaign_xml.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let xml = std::fs::read_to_string(&campaign_xml).unwrap();
    let cases = assert_junit(&xml);
    let rows = stdout(&o)
        .lines()
        .filter(|l| l.starts_with("srcu-no-flip "))
        .count();
    assert_eq!(cases.len(), rows * 3, "one test case per check");
    assert!(cases.iter().all(|c| c.outcome.is_none()), "all passed");
    // A case is named by the check's subject: kernel and checker (each kernel's own SRCU is
    // not part of the name, as it is not part of the check's id).
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "v3.16 loom",
            "v3.16 shuttle-random",
            "v3.16 shuttle-pct",
            "v3.17 loom",
            "v3.17 shuttle-random",
            "v3.17 shuttle-pct",
            "v5.4 loom",
            "v5.4 shuttle-random",
            "v5.4 shuttle-pct",
        ]
    );
    assert!(
        xml.contains("replay: notifier-check replay srcu-no-flip/"),
        "the expected counterexamples' replays are in system-out"
    );

    // S2's scenario file with its expectation removed expects safe: on v3.16 it fails.
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/../catalog/scenarios/S2.toml");
    let text = std::fs::read_to_string(source).unwrap();
    let without: String = strip_expect(&text);
    let file = dir.join("s2-expect-safe.toml");
    std::fs::write(&file, without).unwrap();
    let xml_path = dir.join("check.xml");
    let o = run(&[
        "check",
        "--scenario-file",
        file.to_str().unwrap(),
        "--kernel",
        "v3.16",
        "--checker",
        "shuttle-pct",
        "--junit",
        xml_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let cases = assert_junit(&xml);
    assert_eq!(cases.len(), 1);
    let failure = cases[0].outcome.as_ref().expect("a failure");
    assert_eq!(
        (failure.element.as_str(), failure.kind.as_str()),
        ("failure", "mismatch")
    );
    assert!(
        failure
            .message
            .starts_with("expected safe, observed use-after-free"),
        "{}",
        failure.message
    );
    let body = &failure.text;
    assert!(body.contains("trace (one column per thread)"), "{body}");
    assert!(body.contains("<== use-after-free here"), "{body}");
    assert!(
        body.contains("replay: notifier-check replay --scenario-file"),
        "{body}"
    );

    // An SRCU that replaced the version's own is part of the subject, and of the case's name.
    let spec_xml = dir.join("spec.xml");
    let o = run(&[
        "check",
        "--scenario",
        "S1",
        "--kernel",
        "v3.17",
        "--checker",
        "shuttle-pct",
        "--srcu",
        "spec",
        "--junit",
        spec_xml.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let cases = assert_junit(&std::fs::read_to_string(&spec_xml).unwrap());
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["v3.17 shuttle-pct srcu=spec"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `text` without its `[expect]` table.
fn strip_expect(text: &str) -> String {
    let mut out = String::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.trim_start().starts_with('[') {
            skipping = line.trim() == "[expect]";
        }
        if !skipping {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Every kind of record every command prints reads back into its type, and writes back to
/// the same JSON: `run`, `check`, `summary` (campaign), `placements` (explore-orderings),
/// `scenario` (list), `replay`, `fuzz`, `bench` and `soak`.
#[test]
fn every_record_kind_reads_back_into_its_type() {
    let dir = scratch("records");
    let fuzz_out = dir.join("fuzz");
    let outputs = [
        run(&campaign(&["--json", "--progress-interval", "0"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()),
        run(&["list", "--json"]),
        run(&[
            "check",
            "--scenario",
            "S2",
            "--kernel",
            "v3.17",
            "--checker",
            "loom",
            "--json",
        ]),
        run(&[
            "explore-orderings",
            "--function",
            "release",
            "--scenario",
            "S2",
            "--checker",
            "shuttle-pct",
            "--json",
            "--progress-interval",
            "0",
        ]),
        run(&[
            "fuzz",
            "--kernel",
            "v3.17",
            "--cases",
            "2",
            "--iterations",
            "20",
            "--json",
            "--out",
            fuzz_out.to_str().unwrap(),
        ]),
        // The bench record is read back by `product::bench_quick_emits_a_well_formed_table`
        // (one bench run, 17 s, serves both).
        run(&[
            "soak",
            "--seeds",
            "1..2",
            "--scenario",
            "S2",
            "--kernel",
            "v3.17",
            "--json",
        ]),
    ];
    let token = records(&outputs[0])
        .iter()
        .find(|r| r["record"] == "check" && !r["token"].is_null())
        .map(|r| r["token"].as_str().unwrap().to_string())
        .expect("a failure's token");
    let replay = run(&["replay", &token, "--json"]);
    let mut kinds = std::collections::BTreeSet::new();
    for o in outputs.iter().chain([&replay]) {
        let text = stdout(o);
        let typed = parse("stdout", &text).unwrap_or_else(|e| panic!("{e}"));
        for (line, record) in text.lines().filter(|l| !l.trim().is_empty()).zip(typed) {
            let kind = match &record {
                Record::Run(h) => {
                    assert!(matches!(
                        h.command,
                        RunKind::Campaign | RunKind::ExploreOrderings
                    ));
                    "run"
                }
                Record::Check(_) => "check",
                Record::Summary(_) => "summary",
                Record::Placements(_) => "placements",
                Record::Scenario(_) => "scenario",
                Record::Replay(_) => "replay",
                Record::Fuzz(_) => "fuzz",
                Record::Bench(_) => "bench",
                Record::Soak(_) => "soak",
            };
            kinds.insert(kind);
            let again: Value = serde_json::from_str(&record.line()).unwrap();
            let original: Value = serde_json::from_str(line).unwrap();
            assert_eq!(again, original, "{kind} writes back to the same JSON");
        }
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "check",
            "fuzz",
            "placements",
            "replay",
            "run",
            "scenario",
            "soak",
            "summary"
        ]
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Output files whose folder is missing are refused before anything runs (exit status 2,
/// nothing printed on stdout).
#[test]
fn an_output_path_in_a_missing_folder_is_refused_before_running() {
    let missing = std::env::temp_dir()
        .join(format!("notifier-check-missing-{}", std::process::id()))
        .join("nope");
    let path = |name: &str| missing.join(name).to_str().unwrap().to_string();
    let check = |flag: &str, file: &str| -> Vec<String> {
        [
            "check",
            "--scenario",
            "S2",
            "--kernel",
            "v3.16",
            "--checker",
            "loom",
            flag,
        ]
        .iter()
        .map(|s| s.to_string())
        .chain([path(file)])
        .collect()
    };
    let words = |w: &[&str]| -> Vec<String> { w.iter().map(|s| s.to_string()).collect() };
    for (args, flag) in [
        (check("--report", "r.html"), "--report"),
        (check("--junit", "j.xml"), "--junit"),
        (check("--out", "o.json"), "--out"),
        (
            [words(&["campaign", "--junit"]), vec![path("j.xml")]].concat(),
            "--junit",
        ),
        (
            [words(&["--report"]), vec![path("r.html")]].concat(),
            "--report",
        ),
        (
            [words(&["bench", "--quick", "--out"]), vec![path("b.json")]].concat(),
            "--out",
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(flag) && err.contains("does not exist"),
            "{err}"
        );
        // Nothing ran: no result on stdout, no progress line on stderr, only the refusal.
        assert!(o.stdout.is_empty(), "refused before running: {args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}

/// A failed write to standard output (a full disk) is exit status 5 with one line on stderr;
/// a reader that stopped reading is not an error.
#[test]
fn a_failed_write_to_standard_output_exits_5() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let o = command(&["list"])
        .stdout(Stdio::from(full))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(5), "{err}");
    assert!(
        err.starts_with("notifier-check: cannot write to standard output"),
        "{err}"
    );
    // A closed pipe: the reader took what it wanted.
    let mut child = command(&["list"]).stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

/// `--help` of the program and of each command lists the exit statuses.
#[test]
fn help_lists_the_exit_statuses() {
    for args in [
        &["--help"][..],
        &["campaign", "--help"],
        &["check", "--help"],
        &["replay", "--help"],
        &["merge", "--help"],
        &["fuzz", "--help"],
        &["explore-orderings", "--help"],
    ] {
        let text = stdout(&run(args));
        for line in [
            "Exit status:",
            "  1  ",
            "  2  ",
            "  3  ",
            "  4  a checker's process crashed",
            "  5  an output could not be written",
        ] {
            assert!(text.contains(line), "{args:?}: {line}: {text}");
        }
    }
}

/// The `__child` processes of `parent` (by /proc), killed as they appear until `parent` ends.
fn kill_children_until_exit(parent: &mut std::process::Child, what: &str) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(120);
    let pid = parent.id();
    loop {
        if let Some(status) = parent.try_wait().unwrap() {
            return status.code().expect("exited");
        }
        assert!(Instant::now() < deadline, "{what} did not end");
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(child) = entry.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid ...: the ppid after the closing parenthesis.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let ours = String::from_utf8_lossy(&cmdline).contains("__");
            if ppid == Some(pid) && ours {
                // Our own test's grandchild, by its pid.
                let _ = Command::new("kill")
                    .args(["-KILL", &child.to_string()])
                    .status();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A check whose process dies gives exit status 4 in every command that runs checks, not the
/// 1 of a verdict that differs from the expectation.
#[test]
fn a_crashed_check_exits_4_in_every_command() {
    let dir = scratch("crash");
    // Long checks (exhaustive loom of a four-thread scenario), so that they are killed while
    // they run.
    let long = ["--scenario", "S5", "--kernel", "v3.17"];
    let commands: Vec<Vec<&str>> = vec![
        [&["check"][..], &long, &["--checker", "loom", "--unbounded"]].concat(),
        vec!["campaign", "--scenario", "S5", "--progress-interval", "0"],
        vec![
            "explore-orderings",
            "--function",
            "unregister",
            "--scenario",
            "S5",
            "--checker",
            "loom",
            "--progress-interval",
            "0",
        ],
        vec!["replay", "S5/v3.17/loom/unbounded/exec=100000000/leak"],
        vec![
            "fuzz",
            "--kernel",
            "v3.16",
            "--seconds",
            "100",
            "--out",
            dir.to_str().unwrap(),
        ],
    ];
    for args in commands {
        let mut parent = command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let code = kill_children_until_exit(&mut parent, &format!("{args:?}"));
        let o = parent.wait_with_output().unwrap();
        let said = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert_eq!(code, 4, "{args:?}: {said}");
        assert!(said.to_lowercase().contains("crash"), "{args:?}: {said}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `explore-orderings` and `fuzz` split the same way as the campaign: two partitions, run as
/// separate processes and merged, give the whole run's checks and placement tables (the
/// explorer) and its cases, executions and failures (the fuzzer).
#[test]
fn explorer_and_fuzz_partitions_merged_are_the_whole_run() {
    let dir = scratch("other-partitions");
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let ok = |args: &[&str]| {
        let o = run(args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        o
    };
    let read = |name: &str| -> Vec<Value> {
        std::fs::read_to_string(p(name))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let of = |records: &[Value], kind: &str| -> Vec<Value> {
        records
            .iter()
            .filter(|r| r["record"] == kind)
            .map(essentials)
            .collect()
    };

    let explore = [
        "explore-orderings",
        "--function",
        "release",
        "--scenario",
        "S2",
        "--checker",
        "shuttle-pct",
        "--progress-interval",
        "0",
    ];
    ok(&[&explore[..], &["--out", &p("whole.json")]].concat());
    for i in 1..=2 {
        let partition = format!("count:{i}/2");
        let out = p(&format!("explore-{i}.json"));
        ok(&[&explore[..], &["--partition", &partition, "--out", &out]].concat());
    }
    ok(&[
        "merge",
        &p("explore-1.json"),
        &p("explore-2.json"),
        "--out",
        &p("merged.json"),
    ]);
    let (whole, merged) = (read("whole.json"), read("merged.json"));
    let checks = of(&whole, "check");
    assert!(checks.len() >= 4, "{checks:?}");
    assert_eq!(checks, of(&merged, "check"));
    assert!(!of(&whole, "placements").is_empty());
    assert_eq!(of(&whole, "placements"), of(&merged, "placements"));

    // The fuzzer: 12 cases in one run; cases i mod 2 = 0 and = 1 in two.
    let fuzz = |cases: &str, partition: Option<&str>, name: &str| -> Value {
        let folder = p(&format!("{name}-failures"));
        let mut args = vec!["fuzz", "--kernel", "v3.16", "--cases", cases, "--json"];
        args.extend(["--out", &folder]);
        if let Some(partition) = partition {
            args.extend(["--partition", partition]);
        }
        let o = ok(&args);
        std::fs::write(p(&format!("{name}.json")), &o.stdout).unwrap();
        serde_json::from_slice(&o.stdout).unwrap()
    };
    let whole = fuzz("12", None, "fuzz-whole");
    fuzz("6", Some("count:1/2"), "fuzz-1");
    fuzz("6", Some("count:2/2"), "fuzz-2");
    let out = ok(&["merge", &p("fuzz-1.json"), &p("fuzz-2.json"), "--json"]);
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(merged["partition"], Value::Null);
    for field in ["cases", "executions", "seed", "iterations", "kernel"] {
        assert_eq!(whole[field], merged[field], "{field}");
    }
    // The same failures (Hazard A on v3.16), found by the same case after as many cases and
    // executions, shrunk to the same scenario; only the time of the minimal case's check
    // differs.
    let failures = |f: &Value| -> Vec<Value> {
        let mut f = f["failures"].as_array().unwrap().clone();
        for failure in &mut f {
            failure["outcome"]["seconds"] = Value::Null;
        }
        f
    };
    assert!(!failures(&whole).is_empty());
    assert_eq!(failures(&whole), failures(&merged));
    let _ = std::fs::remove_dir_all(&dir);
}
