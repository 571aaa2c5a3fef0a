//! The documentation a newcomer reads: the README stays short, every relative link in it and
//! in `docs/` resolves, and every generated page and section is what `notifier-check docs`
//! generates from the committed inputs: the campaign records `docs/results.json` (CI also
//! checks them against a fresh campaign) and the bench record `docs/bench.json`.

use std::path::{Path, PathBuf};

/// The repository's root.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_readme_is_at_most_250_lines() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(lines <= 250, "README.md has {lines} lines");
    for section in [
        "## The two commands",
        "cargo run --release",
        "cargo test --workspace --release",
        "## Reading the output",
        "## What each checker can see",
        "## Where to read more",
    ] {
        assert!(readme.contains(section), "{section}");
    }
}

/// Every `](target)` link of `file` that is a relative path names a file or folder that exists.
fn links_resolve(file: &Path) {
    let text = std::fs::read_to_string(file).unwrap();
    let folder = file.parent().unwrap();
    for (i, _) in text.match_indices("](") {
        let rest = &text[i + 2..];
        let Some(end) = rest.find(')') else { continue };
        let target = &rest[..end];
        if target.starts_with("http") || target.starts_with('#') || target.contains(' ') {
            continue;
        }
        let path = target.split('#').next().unwrap();
        assert!(
            folder.join(path).exists(),
            "{}: the link {target} leads nowhere",
            file.display()
        );
    }
}

#[test]
fn every_relative_link_in_the_readme_and_docs_resolves() {
    links_resolve(&root().join("README.md"));
    let mut docs = 0;
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            links_resolve(&path);
            docs += 1;
        }
    }
    assert!(docs >= 8, "{docs} documents");
}

#[test]
fn the_results_pages_are_generated_not_written() {
    for page in ["docs/results.md", "docs/must-fail.md"] {
        let text = std::fs::read_to_string(root().join(page)).unwrap();
        assert!(text.starts_with(notifier_check::docs::MARKER), "{page}");
        assert!(text.contains("## How this file is made"), "{page}");
        // No wall-clock time: the page must be the same on every machine.
        assert!(
            !text.contains(" s |") && !text.contains("seconds"),
            "times crept into {page}"
        );
    }
}

use crate::common::cli;

/// `docs --check` on the repository with `inputs`: exit status 0, or the message.
fn committed_docs_are_current(inputs: &[&str]) {
    let root = root();
    let mut args = vec!["docs", "--root", root.to_str().unwrap(), "--check"];
    args.extend(inputs);
    let o = cli::run(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The committed pages and the README's must-fail table are exactly what `docs --check`
/// generates from the committed campaign records: a page edited by hand, or a generator
/// changed without regenerating the page, fails here.
#[test]
fn the_committed_campaign_pages_are_what_docs_generates_from_their_input() {
    let input = root().join("docs/results.json");
    committed_docs_are_current(&["--campaign", input.to_str().unwrap()]);
    // The input is a whole campaign, every check as expected, and nothing in it varies by
    // machine or run.
    let text = std::fs::read_to_string(&input).unwrap();
    let records = notifier_check::record::parse("docs/results.json", &text).unwrap();
    assert_eq!(
        notifier_check::docs::fixed_input(records.clone())
            .into_iter()
            .map(|r| r.line())
            .collect::<String>(),
        text,
        "docs/results.json is what --save-input writes"
    );
    let Some(notifier_check::record::Record::Summary(summary)) = records.last() else {
        panic!("no summary record: the campaign did not finish");
    };
    assert!(summary.not_as_expected.is_empty() && summary.crashed.is_empty());
}

/// The soak tables of docs/evidence.md (false alarms, seeded bugs) are what `docs` generates
/// from the committed soak records.
#[test]
fn the_committed_soak_tables_are_what_docs_generates_from_their_input() {
    let quiet = root().join("docs/soak-false-alarms.json");
    let seeded = root().join("docs/soak-seeded.json");
    committed_docs_are_current(&[
        "--soak",
        quiet.to_str().unwrap(),
        "--soak",
        seeded.to_str().unwrap(),
    ]);
    let evidence = std::fs::read_to_string(root().join("docs/evidence.md")).unwrap();
    for section in ["soak-false-alarms", "soak-seeded"] {
        assert!(
            evidence.contains(&format!("<!-- end of generated section {section} -->")),
            "docs/evidence.md has no {section} section"
        );
    }
}

/// The bench's tables in docs/bench.md and docs/perf.md are what `docs` generates from the
/// committed bench record.
#[test]
fn the_committed_bench_tables_are_what_docs_generates_from_their_input() {
    let input = root().join("docs/bench.json");
    committed_docs_are_current(&["--bench", input.to_str().unwrap()]);
    let bench = std::fs::read_to_string(root().join("docs/bench.md")).unwrap();
    for section in [
        "bench-machine",
        "bench-measurements",
        "bench-targets",
        "bench-distance",
    ] {
        assert!(
            bench.contains(&format!("<!-- generated section {section}:")),
            "docs/bench.md has no {section} section"
        );
    }
}

/// The README's must-fail table is compact: the section, markers included, takes at most 30
/// lines of the README's 250.
#[test]
fn the_readmes_must_fail_table_takes_at_most_30_lines() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let sections = notifier_check::docs::sections::find(&readme).unwrap();
    let table = sections.iter().find(|s| s.name == "must-fail").unwrap();
    let lines = table.body.lines().count() + 2;
    assert!(lines <= 30, "{lines} lines:\n{}", table.body);
    assert!(
        table.body.starts_with("| variant | kernels | loom |"),
        "{}",
        table.body
    );
}

/// `docs` writes the same page from two runs of one campaign (times differ, the page does
/// not), `--check` fails on a page that differs, a partition is refused, and a file it did
/// not generate is never overwritten.
#[test]
fn docs_regenerates_the_same_page_and_checks_it() {
    let dir = std::env::temp_dir().join(format!("notifier-check-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    for (root, jobs) in [("a", "1"), ("b", "2")] {
        std::fs::create_dir_all(dir.join(root).join("docs")).unwrap();
        std::fs::write(
            dir.join(root).join("README.md"),
            format!(
                "# R\n\n{}\n{}\n",
                notifier_check::docs::sections::begin("must-fail", "campaign"),
                notifier_check::docs::sections::end("must-fail")
            ),
        )
        .unwrap();
        let o = cli::run(&[
            "campaign",
            "--scenario",
            "srcu-no-flip",
            "--jobs",
            jobs,
            "--progress-interval",
            "0",
            "--out",
            &path(&format!("{root}.json")),
        ]);
        assert_eq!(o.status.code(), Some(0));
    }
    let docs = |campaign: &str, root: &str, check: bool| {
        let mut args = vec!["docs", "--campaign", campaign, "--root", root];
        if check {
            args.push("--check");
        }
        cli::run(&args)
    };
    assert_eq!(
        docs(&path("a.json"), &path("a"), false).status.code(),
        Some(0)
    );
    assert_eq!(
        docs(&path("b.json"), &path("b"), false).status.code(),
        Some(0)
    );
    for file in ["docs/results.md", "docs/must-fail.md", "README.md"] {
        assert_eq!(
            std::fs::read_to_string(dir.join("a").join(file)).unwrap(),
            std::fs::read_to_string(dir.join("b").join(file)).unwrap(),
            "{file}"
        );
    }
    let a = std::fs::read_to_string(path("a/docs/results.md")).unwrap();
    assert!(
        a.contains("## srcu-no-flip") && a.contains("grace-period"),
        "{a}"
    );
    // The campaign's deterministic figures: loom's 28th execution on classic SRCU and 4th on
    // Tree SRCU; shuttle-random blind; PCT's 90th and 271st with seed 1.
    let readme = std::fs::read_to_string(path("a/README.md")).unwrap();
    assert!(
        readme.contains(
            "| srcu-no-flip | v3.16, v3.17, v5.4 | v3.16/v3.17 28 · v5.4 4 | blind \
             | v3.16/v3.17 90 · v5.4 271 |"
        ),
        "{readme}"
    );
    let must_fail = std::fs::read_to_string(path("a/docs/must-fail.md")).unwrap();
    assert!(
        must_fail.contains(
            "| srcu-no-flip | v3.16, v3.17 | loom | found at execution 28 | grace-period in \
             `updater` (`synchronize_srcu`), thread U | unbounded, exhaustive |"
        ),
        "{must_fail}"
    );
    assert_eq!(
        docs(&path("b.json"), &path("a"), true).status.code(),
        Some(0)
    );
    std::fs::write(
        path("a/docs/results.md"),
        a.replace("grace-period", "grace period"),
    )
    .unwrap();
    let o = docs(&path("b.json"), &path("a"), true);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("differs"));
    std::fs::write(path("a/docs/must-fail.md"), "my notes").unwrap();
    let o = docs(&path("a.json"), &path("a"), false);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(path("a/docs/must-fail.md")).unwrap(),
        "my notes"
    );
    let o = cli::run(&[
        "campaign",
        "--scenario",
        "srcu-sync",
        "--partition",
        "count:1/2",
        "--progress-interval",
        "0",
        "--out",
        &path("part.json"),
    ]);
    assert_eq!(o.status.code(), Some(0));
    let o = docs(&path("part.json"), &path("b"), false);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("merge the partitions first"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The first fenced block of `file` that holds `needle`, line by line.
fn block_with(file: &str, needle: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let blocks: Vec<&str> = text.split("```").collect();
    let block = blocks
        .iter()
        .skip(1)
        .step_by(2)
        .find(|b| b.contains(needle))
        .unwrap_or_else(|| panic!("{file}: no code block holds {needle}"));
    block.lines().skip(1).map(str::to_string).collect()
}

/// The counterexample the README and docs/counterexamples.md walk through (S2 on v3.16,
/// shuttle-pct, seed 1) is the one the model finds today: every line of their abridged traces
/// — steps, violation, window, callbacks, the replay token's kept parts — is a line of its
/// output, so the step numbers the prose cites cannot go stale.
#[test]
fn the_documented_counterexample_is_the_current_one() {
    let out = cli::run(&[
        "check",
        "--scenario",
        "S2",
        "--kernel",
        "v3.16",
        "--checker",
        "shuttle-pct",
    ]);
    let stdout = cli::stdout(&out);
    let printed: Vec<&str> = stdout.lines().map(str::trim).collect();
    for file in ["README.md", "docs/counterexamples.md"] {
        let block = block_with(file, "steps 0–46");
        assert!(block.len() >= 10, "{file}: {block:?}");
        for line in block.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            let found = match line.split_once('…') {
                // The replay token, abbreviated: its start and its end as printed.
                Some((start, end)) => printed
                    .iter()
                    .any(|p| p.starts_with(start) && p.ends_with(end)),
                // The window line, cut after its first clause.
                None if line.ends_with("; ...") => printed
                    .iter()
                    .any(|p| p.starts_with(line.trim_end_matches(" ..."))),
                None => printed.contains(&line),
            };
            assert!(found, "{file}: `{line}` is not in the output:\n{stdout}");
        }
    }
}

/// A matrix line's cells: the text between runs of two or more spaces.
fn cells(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .collect()
}

/// The verdict-matrix excerpts the README and docs/counterexamples.md show are rows of the
/// matrix the committed campaign (`docs/results.json`) prints, cell for cell: their execution
/// counts, bounds and budgets cannot go stale.
#[test]
fn the_documented_matrix_rows_are_the_campaigns() {
    let campaign =
        notifier_check::docs::inputs::campaign(&root().join("docs/results.json")).unwrap();
    let matrix = notifier_check::results::text_matrix(&campaign.checks);
    let rows: Vec<Vec<String>> = matrix.lines().map(cells).collect();
    for file in ["README.md", "docs/counterexamples.md"] {
        let block = block_with(file, "scenario      kernel  loom");
        assert!(block.len() >= 3, "{file}: {block:?}");
        for line in block.iter().filter(|l| !l.trim().is_empty()) {
            assert!(
                rows.contains(&cells(line)),
                "{file}: `{line}` is not a row of the campaign's matrix:\n{matrix}"
            );
        }
    }
}
