//! `notifier-check fuzz`, `check --scenario-file` and `replay --scenario-file`, run as a user
//! runs them.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const EXE: &str = env!("CARGO_BIN_EXE_notifier-check");

fn run(args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .output()
        .expect("notifier-check runs")
}

/// A fresh directory for this test's files.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notifier-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn fuzz_json(out: &Path) -> (i32, Value) {
    let o = run(&[
        "fuzz",
        "--kernel",
        "v3.16",
        "--cases",
        "12",
        "--seed",
        "1",
        "--json",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    let v = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    (o.status.code().expect("exited"), v)
}

/// A small fuzzing run finds Hazard A on v3.16, reports it as the known kernel defect that
/// catalogue scenario S2 shows (so the run exits 0: it found nothing new), saves the shrunk
/// scenario with its replay command, which reproduces it; a second run saves next to it
/// without overwriting it.
#[test]
fn fuzz_saves_each_failure_with_a_replay_that_reproduces_it() {
    let out = scratch("fuzz");
    let (code, r) = fuzz_json(&out);
    assert_eq!(r["cases"], 12);
    let failures = r["failures"].as_array().expect("failures");
    assert_eq!(failures.len(), 1, "{r:#}");
    assert_eq!(failures[0]["known"]["scenario"], "S2", "{r:#}");
    assert_eq!(code, 0, "only a known kernel defect was met: {r:#}");
    let hazard_a = failures
        .iter()
        .position(|f| {
            f["key"]["function"] == "__mmu_notifier_release"
                && f["key"]["site"] == "hlist_del_init_rcu"
        })
        .expect("Hazard A is found");
    let saved = &r["saved"][hazard_a];
    let file = PathBuf::from(saved["file"].as_str().expect("file"));
    assert!(file.exists());
    let text = std::fs::read_to_string(&file).expect("saved file");
    assert!(text.contains("defer-free-while-linked"), "{text}");
    let replay = saved["replay"].as_str().expect("replay command");
    let words: Vec<&str> = replay.split_whitespace().collect();
    assert_eq!(words[..3], ["notifier-check", "replay", "--scenario-file"]);
    let o = run(&words[1..]);
    let shown = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{shown}");
    assert!(shown.contains("reproduced"), "{shown}");
    assert!(shown.contains("hlist_del_init_rcu"), "{shown}");

    let (_, again) = fuzz_json(&out);
    let second = PathBuf::from(again["saved"][hazard_a]["file"].as_str().expect("file"));
    assert_ne!(second, file, "never overwrites");
    assert_eq!(std::fs::read_to_string(&file).expect("still there"), text);
    let _ = std::fs::remove_dir_all(&out);
}

/// A malformed scenario file is one line on stderr naming the place, exit status 2.
#[test]
fn a_malformed_scenario_file_is_a_usage_error() {
    let dir = scratch("bad-file");
    let file = dir.join("bad.toml");
    std::fs::write(&file, "[[thread]]\nname = \"T\"\nops = [\"exit mm7\"]\n").expect("write");
    let o = run(&[
        "check",
        "--scenario-file",
        file.to_str().expect("utf-8"),
        "--kernel",
        "v3.17",
        "--checker",
        "shuttle-pct",
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("thread 'T', op 1 (exit mm7): unknown mm 'mm7'"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A failure that is not a known kernel defect is a finding: exit status 1. The hmm driver
/// before commit 6d7c3cde93c1 frees its notifier at once after
/// `mmu_notifier_unregister_no_release` (a driver bug, not the kernel's).
#[test]
fn a_new_finding_exits_1() {
    let out = scratch("fuzz-hmm");
    let o = run(&[
        "fuzz",
        "--kernel",
        "v3.17",
        "--driver",
        "hmm",
        "--cases",
        "20",
        "--json",
        "--out",
        out.to_str().expect("utf-8 path"),
    ]);
    let r: Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    let failures = r["failures"].as_array().expect("failures");
    assert!(!failures.is_empty(), "{r:#}");
    assert!(failures.iter().all(|f| f["known"].is_null()), "{r:#}");
    assert!(failures.iter().any(|f| f["key"]["kind"] == "use-after-free"
        && f["key"]["function"] == "__mmu_notifier_invalidate_range_start"));
    assert_eq!(o.status.code(), Some(1), "{r:#}");
    let _ = std::fs::remove_dir_all(&out);
}
