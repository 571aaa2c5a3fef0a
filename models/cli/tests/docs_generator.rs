//! `notifier-check docs` on small fixtures (`tests/fixtures/docs/`): the tables it writes
//! into the generated sections of a README and docs, word for word; `--check` naming where a
//! stale section differs; and bad inputs refused in one line, with nothing overwritten.

use crate::common::cli;

use notifier_check::docs::sections::{begin, end};
use std::path::{Path, PathBuf};

/// A fixture file's path.
fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/docs")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// A scratch repository: a README with the must-fail section, docs/perf.md with the "what is
/// proved" section, docs/bench.md with the bench's sections and docs/evidence.md with the
/// soak's, each between prose.
fn repository(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "notifier-check-docs-gen-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    let section = |name: &str, input: &str| format!("{}\n{}\n", begin(name, input), end(name));
    std::fs::write(
        dir.join("README.md"),
        format!(
            "# R\n\nBefore.\n\n{}\nAfter.\n",
            section("must-fail", "campaign")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("docs/bench.md"),
        format!(
            "# B\n\n{}\nProse.\n\n{}\n{}\n{}",
            section("bench-machine", "bench"),
            section("bench-measurements", "bench"),
            section("bench-targets", "bench"),
            section("bench-distance", "bench")
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("docs/perf.md"),
        format!("# P\n\n{}", section("what-is-proved", "campaign")),
    )
    .unwrap();
    std::fs::write(
        dir.join("docs/evidence.md"),
        format!(
            "# E\n\n{}\n{}",
            section("soak-false-alarms", "soak"),
            section("soak-seeded", "soak")
        ),
    )
    .unwrap();
    dir
}

/// `docs` with every fixture as input, on `root`.
fn docs(root: &Path, extra: &[&str]) -> std::process::Output {
    let (campaign, bench) = (fixture("campaign.json"), fixture("bench.json"));
    let (quiet, seeded) = (
        fixture("soak-false-alarms.json"),
        fixture("soak-seeded.json"),
    );
    let mut args = vec![
        "docs",
        "--root",
        root.to_str().unwrap(),
        "--campaign",
        &campaign,
        "--bench",
        &bench,
        "--soak",
        &quiet,
        "--soak",
        &seeded,
    ];
    args.extend(extra);
    cli::run(&args)
}

fn read(root: &Path, file: &str) -> String {
    std::fs::read_to_string(root.join(file)).unwrap()
}

fn ok(o: &std::process::Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The "what is proved" table: loom's proof of each notifier scenario expected safe, on the
/// kernel's SRCU and on the specification; kernels whose proofs read the same share a row; a
/// scenario proved only within a bound and without a specification row says so; the SRCU
/// scenarios (srcu-sync) and the must-fail ones are not rows.
#[test]
fn the_proved_table_says_unbounded_or_bounded_and_on_which_srcu() {
    let root = repository("proved");
    ok(&docs(&root, &[]));
    assert_eq!(
        read(&root, "docs/perf.md"),
        format!(
            "# P\n\n{}\n\
             | scenario | kernels | kernel's SRCU | loom on the kernel's SRCU | loom on the SRCU spec |\n\
             | --- | --- | --- | --- | --- |\n\
             | S1W | v3.16 | classic | preemption bound 2, 10,949 executions | no unbounded proof in the campaign |\n\
             | S1W | v3.17 | classic | preemption bound 2, 10,949 executions | **unbounded**, 16,672 executions |\n\
             | S5 | v3.17 | classic | preemption bound 1, 6,567 executions | no unbounded proof in the campaign |\n\
             | P2 | v5.4 | Tree | **unbounded**, 15 executions | — |\n\
             {}\n",
            begin("what-is-proved", "campaign"),
            end("what-is-proved")
        )
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_must_fail_tables_say_found_blind_or_masked() {
    let root = repository("must-fail");
    ok(&docs(&root, &[]));
    let readme = read(&root, "README.md");
    // The prose around the section is kept; the section holds the compact table.
    assert_eq!(
        readme,
        format!(
            "# R\n\nBefore.\n\n{}\n\
             | variant | kernels | loom | shuttle-random | shuttle-pct |\n\
             | --- | --- | ---: | ---: | ---: |\n\
             | srcu-no-barrier-b | v3.16 | 14 | blind | blind |\n\
             | P2-unlocked | v3.16, v5.4 | — | v3.16 7 · v5.4 14 | — |\n\
             | srcu-no-barrier-e | v5.4 | masked | masked | masked |\n\
             {}\n\nAfter.\n",
            begin("must-fail", "campaign"),
            end("must-fail")
        )
    );
    let page = read(&root, "docs/must-fail.md");
    for line in [
        "**8 checks of 3 variants: 3 found their expected violation, 2 blind, 3 masked, 0 not \
         as expected.**",
        "| srcu-no-barrier-b | v3.16 | loom | found at execution 14 | grace-period in `updater` \
         (`synchronize_srcu`), thread U | unbounded, exhaustive |",
        "| srcu-no-barrier-b | v3.16 | shuttle-pct | blind | shuttle is sequentially consistent: \
         a summation made after R's increment always sees it, so a missing barrier cannot show \
         | 2000 iterations, seed 1, PCT depth 3 |",
        "| P2-unlocked | v5.4 | shuttle-random | found at execution 14 | contract of notifier A \
         in `__mmu_notifier_invalidate_range_end`, thread W | 2000 iterations, seed 1 |",
        // Every checker blind on that kernel: masked, its reason without the prefix.
        "| srcu-no-barrier-e | v5.4 | loom | masked | load buffering, which neither loom nor \
         shuttle explores | unbounded, exhaustive |",
    ] {
        assert!(page.lines().any(|l| l == line), "{line}\nnot in\n{page}");
    }
    // The safe check of the campaign is not a must-fail row.
    assert!(!page.contains("srcu-sync"), "{page}");
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_bench_tables_come_from_the_bench_record() {
    let root = repository("bench");
    ok(&docs(&root, &[]));
    let bench = read(&root, "docs/bench.md");
    for line in [
        "Measured on Test CPU 9000, 2 logical CPUs, load average 1.00 0.50 0.25 (1, 5, 15 \
         minutes) at the",
        "start and 2.00 1.00 0.50 at the end; built by rustc 1.95.0 (59807616e 2026-04-14); \
         started",
        "| S2 v3.17 loom, unbounded, exhaustive: loom to its verdict | safe after 1240 \
         executions in 0.085 s (14588 executions/s) | unbounded verdict <= 0.1 s | yes |",
        "| S5 v3.17 loom, unbounded, exhaustive, SRCU spec: 4 threads: E, D, W, G | did not \
         finish within 120 s | safe, unbounded, <= 60.0 s (SPIN: 0.25 s) | **no** |",
        "| S2 v3.17: 2 threads: E, G | unbounded, exhaustive, SRCU spec | 44 | 11 | 4.0 |",
        "| S5-no-exit v3.17: 3 threads: D, W, G, on the kernel's own SRCU | unbounded, \
         exhaustive | did not finish within 30 s |  |  |",
        "Prose.",
    ] {
        assert!(bench.lines().any(|l| l == line), "{line}\nnot in\n{bench}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn the_soak_tables_come_from_the_soak_records() {
    let root = repository("soak");
    ok(&docs(&root, &[]));
    let evidence = read(&root, "docs/evidence.md");
    for line in [
        "| S2 (v3.17), S1 (v3.16, v3.17) | shuttle-random | 1..4 | 2 | 18 | 0 |",
        "| S2 (v3.17) | shuttle-pct (depth 3) | 1..4 | 2 | 6 | 0 |",
        // A row with a false alarm stands alone, and the alarm is named with its replay.
        "| S1 (v3.17) | shuttle-pct (depth 3) | 1..4 | 2 | 6 | 1 |",
        "5 scenario × kernel × checker rows, 30 executions, **1 violation**.",
        "False alarm, S1 v3.17 shuttle-pct: seed 2: use-after-free of notifier A; replay: \
         notifier-check replay X",
        "- S4 v3.16 shuttle-random: Hazard B is a missing ordering (weak memory); shuttle is \
         sequentially consistent",
        "| S6 | v3.16, v3.17 | shuttle-pct | 2/2 | 8 / 22 / 79 | 2000 iterations, PCT depth 3 |",
        "| srcu-no-flip | v3.16 | shuttle-random | 1/2 | 2,636 / 2,636 / 2,636 | 10000 \
         iterations |",
    ] {
        assert!(
            evidence.lines().any(|l| l == line),
            "{line}\nnot in\n{evidence}"
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// A section edited by hand fails `--check` with the file, the section and the first lines
/// that differ; regenerating restores it and `--check` passes.
#[test]
fn a_stale_section_fails_check_with_where_it_differs() {
    let root = repository("stale");
    ok(&docs(&root, &[]));
    ok(&docs(&root, &["--check"]));
    let bench = read(&root, "docs/bench.md");
    std::fs::write(
        root.join("docs/bench.md"),
        bench.replace("| 44 | 11 | 4.0 |", "| 44 | 12 | 4.0 |"),
    )
    .unwrap();
    let o = docs(&root, &["--check"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    let line = bench
        .lines()
        .position(|l| l.contains("| 44 | 11 | 4.0 |"))
        .unwrap()
        + 1;
    let expected = format!(
        "notifier-check: {}: section bench-distance differs from what `notifier-check docs` \
         generates:\n  at line {line}:\n  - | S2 v3.17: 2 threads: E, G | unbounded, exhaustive, \
         SRCU spec | 44 | 12 | 4.0 |\n  + | S2 v3.17: 2 threads: E, G | unbounded, exhaustive, \
         SRCU spec | 44 | 11 | 4.0 |\n",
        root.join("docs/bench.md").display()
    );
    assert!(err.starts_with(&expected), "{err}");
    assert!(
        err.contains("regenerate with `notifier-check docs --campaign"),
        "{err}"
    );
    ok(&docs(&root, &[]));
    assert_eq!(read(&root, "docs/bench.md"), bench);
    let _ = std::fs::remove_dir_all(&root);
}

/// Runs `docs` with `args` and expects a usage error: exit status 2 and one line on stderr
/// containing `needle`.
fn refused(args: &[&str], needle: &str) {
    let o = cli::run(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
}

#[test]
fn a_missing_malformed_or_wrong_input_is_one_readable_line() {
    let root = repository("inputs");
    let r = root.to_str().unwrap();
    let write = |name: &str, text: &str| {
        let p = root.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let missing = root.join("nope.json");
    let missing = missing.to_str().unwrap();
    refused(
        &["docs", "--root", r, "--bench", missing],
        &format!("--bench {missing}: cannot read it"),
    );
    let malformed = write("malformed.json", "{\"schema_version\": 1, \"record\"\n");
    refused(
        &["docs", "--root", r, "--bench", &malformed],
        "line 1: not JSON",
    );
    let future = write(
        "future.json",
        "{\"schema_version\": 99, \"record\": \"bench\"}\n",
    );
    refused(
        &["docs", "--root", r, "--bench", &future],
        "line 1: schema version 99, this program reads version 1",
    );
    let empty = write("empty.json", "\n");
    refused(
        &["docs", "--root", r, "--soak", &empty],
        "no records (the file is empty)",
    );
    let campaign = fixture("campaign.json");
    refused(
        &["docs", "--root", r, "--bench", &campaign],
        "expected one `bench` record (`notifier-check bench --out FILE`), found 16 records: \
         run, check, summary",
    );
    let bench = fixture("bench.json");
    refused(
        &["docs", "--root", r, "--campaign", &bench],
        "not a campaign's records (the first is a `bench` record, not `run`)",
    );
    let quiet = fixture("soak-false-alarms.json");
    refused(
        &["docs", "--root", r, "--soak", &quiet, "--soak", &quiet],
        "a second false-alarms record: give one per evidence",
    );
    refused(&["docs", "--root", r], "--campaign");
    // Nothing was written.
    assert!(!root.join("docs/must-fail.md").exists());
    assert!(!read(&root, "docs/bench.md").contains("| --- |"));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn broken_markers_and_unknown_sections_are_refused_by_file_and_line() {
    let root = repository("markers");
    let r = root.to_str().unwrap();
    let bench = fixture("bench.json");
    std::fs::write(
        root.join("docs/x.md"),
        format!("a\n{}\n", begin("bench-machine", "bench")),
    )
    .unwrap();
    refused(
        &["docs", "--root", r, "--bench", &bench],
        "docs/x.md: line 2: section bench-machine has no end marker",
    );
    std::fs::write(
        root.join("docs/x.md"),
        format!(
            "{}\n{}\n",
            begin("bench-speed", "bench"),
            end("bench-speed")
        ),
    )
    .unwrap();
    refused(
        &["docs", "--root", r, "--bench", &bench],
        "docs/x.md: line 1: unknown generated section bench-speed (known: must-fail,",
    );
    std::fs::remove_file(root.join("docs/x.md")).unwrap();
    std::fs::remove_file(root.join("docs/bench.md")).unwrap();
    refused(
        &["docs", "--root", r, "--bench", &bench],
        "no generated section for the bench JSON",
    );
    let _ = std::fs::remove_dir_all(&root);
}

/// `--save-input` writes the one input it was given, refuses an existing file without
/// `--force`, and refuses two inputs.
#[test]
fn save_input_keeps_the_input_and_overwrites_only_with_force() {
    let root = repository("save");
    let r = root.to_str().unwrap();
    let bench = fixture("bench.json");
    let saved = root.join("docs/bench.json");
    let s = saved.to_str().unwrap();
    std::fs::write(&saved, "mine").unwrap();
    refused(
        &["docs", "--root", r, "--bench", &bench, "--save-input", s],
        "already exists; choose another file or pass --force",
    );
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "mine");
    let campaign = fixture("campaign.json");
    refused(
        &[
            "docs",
            "--root",
            r,
            "--bench",
            &bench,
            "--campaign",
            &campaign,
            "--save-input",
            s,
            "--force",
        ],
        "--save-input saves one input",
    );
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "mine");
    let o = cli::run(&[
        "docs",
        "--root",
        r,
        "--bench",
        &bench,
        "--save-input",
        s,
        "--force",
    ]);
    ok(&o);
    // The saved record is the fixture's, and regenerates the same tables.
    let text = std::fs::read_to_string(&saved).unwrap();
    let records = notifier_check::record::parse("saved", &text).unwrap();
    let original = notifier_check::record::parse(
        "fixture",
        &std::fs::read_to_string(fixture("bench.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(format!("{:?}", records[0]), format!("{:?}", original[0]));
    ok(&cli::run(&["docs", "--root", r, "--bench", s, "--check"]));
    let _ = std::fs::remove_dir_all(&root);
}
