//! The CI examples in `ci/examples/` parse, and every `notifier-check` command line in them
//! runs: each partition's command as the matrix job or the indexed pod would run it (its
//! environment, its index), on a tiny campaign (the command line plus `--scenario
//! srcu-sync`), then the merge command on what they wrote.

use std::path::{Path, PathBuf};
use yaml_rust2::{Yaml, YamlLoader};

use crate::common::cli;

/// The example `name`, parsed (every YAML document in it).
fn example(name: &str) -> Vec<Yaml> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../ci/examples")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

/// A fresh directory of this test's own.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("notifier-check-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// The tiny campaign appended to a campaign command line.
const TINY: [&str; 4] = ["--scenario", "srcu-sync", "--progress-interval", "0"];

/// Runs `args` (a command line's words after `notifier-check`) in `dir` with `env`, the
/// tiny campaign appended to a campaign; asserts it succeeds.
fn run_in(dir: &Path, args: &[String], env: &[(&str, String)]) {
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    if all.first() == Some(&"campaign") {
        all.extend(TINY);
    }
    let mut c = cli::command(&all);
    c.current_dir(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    let o = c.output().expect("notifier-check runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{all:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The words of a shell command line after its `notifier-check` program word.
fn words_after_program(line: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.iter().position(|w| w.ends_with("notifier-check"))?;
    Some(words[at + 1..].iter().map(|w| w.to_string()).collect())
}

#[test]
fn the_github_actions_matrix_runs_its_partitions_and_merges_them() {
    let docs = example("github-actions.yml");
    assert_eq!(docs.len(), 1);
    let w = &docs[0];
    assert!(!w["on"].is_badvalue(), "a workflow has triggers");
    let campaign = &w["jobs"]["campaign"];
    let merge = &w["jobs"]["merge"];
    assert_eq!(merge["needs"].as_str(), Some("campaign"));
    let partitions: Vec<i64> = campaign["strategy"]["matrix"]["partition"]
        .as_vec()
        .expect("a matrix of partitions")
        .iter()
        .map(|p| p.as_i64().expect("a number"))
        .collect();
    let n = partitions.len() as i64;
    assert_eq!(partitions, (1..=n).collect::<Vec<_>>());
    let env = campaign["env"]["NOTIFIER_CHECK_PARTITION"]
        .as_str()
        .expect("the partition comes from the environment");
    assert_eq!(env, format!("count:${{{{ matrix.partition }}}}/{n}"));
    let runs = |job: &Yaml| -> Vec<String> {
        job["steps"]
            .as_vec()
            .expect("steps")
            .iter()
            .filter_map(|s| s["run"].as_str())
            .filter(|r| r.contains("notifier-check"))
            .map(str::to_string)
            .collect()
    };
    let dir = scratch("github-example");
    let (campaign_runs, merge_runs) = (runs(campaign), runs(merge));
    assert_eq!((campaign_runs.len(), merge_runs.len()), (1, 1));
    for p in &partitions {
        let substitute = |s: &str| s.replace("${{ matrix.partition }}", &p.to_string());
        let args = words_after_program(&substitute(&campaign_runs[0])).unwrap();
        run_in(
            &dir,
            &args,
            &[("NOTIFIER_CHECK_PARTITION", substitute(env))],
        );
    }
    let args = words_after_program(&merge_runs[0]).unwrap();
    run_in(&dir, &args, &[]);
    for file in ["junit.xml", "campaign.html"] {
        assert!(dir.join(file).exists(), "{file}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_kubernetes_indexed_job_runs_its_pods_and_merges_them() {
    let docs = example("kubernetes-indexed-job.yaml");
    let jobs: Vec<&Yaml> = docs
        .iter()
        .filter(|d| d["kind"].as_str() == Some("Job"))
        .collect();
    assert_eq!(jobs.len(), 2, "the indexed campaign and the merge");
    let indexed = jobs
        .iter()
        .find(|j| j["spec"]["completionMode"].as_str() == Some("Indexed"))
        .expect("an indexed job");
    let merge = jobs
        .iter()
        .find(|j| j["spec"]["completionMode"].is_badvalue())
        .expect("the merge job");
    let n = indexed["spec"]["completions"]
        .as_i64()
        .expect("completions");
    assert_eq!(indexed["spec"]["parallelism"].as_i64(), Some(n));
    let command = |job: &Yaml| -> Vec<String> {
        let containers = job["spec"]["template"]["spec"]["containers"]
            .as_vec()
            .expect("containers");
        assert_eq!(containers.len(), 1);
        let words: Vec<String> = containers[0]["command"]
            .as_vec()
            .expect("a command")
            .iter()
            .map(|w| w.as_str().expect("a word").to_string())
            .collect();
        assert_eq!(words[0], "notifier-check");
        words[1..].to_vec()
    };
    let dir = scratch("kubernetes-example");
    let results = dir.to_str().unwrap();
    // Kubernetes expands $(VAR) in a container's command from its environment.
    let campaign = command(indexed);
    assert!(
        campaign
            .windows(2)
            .any(|w| w == ["--partition-count", &n.to_string()]),
        "{campaign:?}"
    );
    for index in 0..n {
        let args: Vec<String> = campaign
            .iter()
            .map(|w| {
                w.replace("$(JOB_COMPLETION_INDEX)", &index.to_string())
                    .replace("/results", results)
            })
            .collect();
        run_in(&dir, &args, &[("JOB_COMPLETION_INDEX", index.to_string())]);
    }
    let args: Vec<String> = command(merge)
        .iter()
        .map(|w| w.replace("/results", results))
        .collect();
    run_in(&dir, &args, &[]);
    for file in ["junit.xml", "campaign.html"] {
        assert!(dir.join(file).exists(), "{file}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
