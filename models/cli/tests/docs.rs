//! The documentation a newcomer reads: the README stays short, every relative link in it and
//! in `docs/` resolves, and `docs/results.md` is what `notifier-check docs` generates from the
//! committed campaign records `docs/results.json` (CI also checks it against a fresh
//! campaign).

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
fn the_results_page_is_generated_not_written() {
    let page = std::fs::read_to_string(root().join("docs/results.md")).unwrap();
    assert!(page.starts_with(notifier_check::docs::MARKER));
    assert!(page.contains("## How this file is made"));
    // No wall-clock time: the page must be the same on every machine.
    assert!(
        !page.contains(" s |") && !page.contains("seconds"),
        "times crept in"
    );
}

#[path = "common/cli.rs"]
mod cli;

/// The committed page is exactly what `docs --check` generates from its committed input: a
/// page edited by hand, or a generator changed without regenerating the page, fails here.
#[test]
fn the_committed_results_page_is_what_docs_generates_from_its_input() {
    let input = root().join("docs/results.json");
    let page = root().join("docs/results.md");
    let o = cli::run(&[
        "docs",
        "--campaign",
        input.to_str().unwrap(),
        "--out",
        page.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
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

/// `docs` writes the same page from two runs of one campaign (times differ, the page does
/// not), `--check` fails on a page that differs, a partition is refused, and a file it did
/// not generate is never overwritten.
#[test]
fn docs_regenerates_the_same_page_and_checks_it() {
    let dir = std::env::temp_dir().join(format!("notifier-check-docs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    for (name, jobs) in [("a.json", "1"), ("b.json", "2")] {
        let o = cli::run(&[
            "campaign",
            "--scenario",
            "srcu-no-flip",
            "--jobs",
            jobs,
            "--progress-interval",
            "0",
            "--out",
            &path(name),
        ]);
        assert_eq!(o.status.code(), Some(0));
    }
    let docs = |campaign: &str, out: &str, check: bool| {
        let mut args = vec!["docs", "--campaign", campaign, "--out", out];
        if check {
            args.push("--check");
        }
        cli::run(&args)
    };
    assert_eq!(
        docs(&path("a.json"), &path("a.md"), false).status.code(),
        Some(0)
    );
    assert_eq!(
        docs(&path("b.json"), &path("b.md"), false).status.code(),
        Some(0)
    );
    let a = std::fs::read_to_string(path("a.md")).unwrap();
    assert_eq!(a, std::fs::read_to_string(path("b.md")).unwrap());
    assert!(
        a.contains("## srcu-no-flip") && a.contains("grace-period"),
        "{a}"
    );
    assert_eq!(
        docs(&path("b.json"), &path("a.md"), true).status.code(),
        Some(0)
    );
    std::fs::write(path("a.md"), a.replace("grace-period", "grace period")).unwrap();
    let o = docs(&path("b.json"), &path("a.md"), true);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("differs"));
    std::fs::write(path("mine.md"), "my notes").unwrap();
    let o = docs(&path("a.json"), &path("mine.md"), false);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(path("mine.md")).unwrap(),
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
    let o = docs(&path("part.json"), &path("p.md"), false);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("merge the partitions first"));
    let _ = std::fs::remove_dir_all(&dir);
}
