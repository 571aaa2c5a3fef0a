//! The harness works from a crate outside the workspace, as a user's crate uses it: a crate in
//! a directory of its own, depending on the harness by path, whose `#[test]`s check a driver of
//! its own with the front door only (tests/outside/): a loom check that is safe, a shuttle and
//! a loom check that find the use-after-free with its object and whose tokens replay, a loom
//! model that aborts without taking the test binary down, and a run deepened by an environment
//! variable. It builds offline, against this workspace's `Cargo.lock` and in its target
//! directory (so the checkers are not compiled again: its manifest asks for the features the
//! workspace enables, see tests/outside/Cargo.toml.in).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The crate, written afresh under the target directory.
fn outside_crate() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("outside-user");
    let tests = dir.join("tests");
    std::fs::create_dir_all(tests.join("common")).unwrap();
    let harness = env!("CARGO_MANIFEST_DIR");
    let manifest =
        include_str!("outside/Cargo.toml.in").replace("@HARNESS@", &harness.replace('\\', "/"));
    let files = [
        (dir.join("Cargo.toml"), manifest.as_str()),
        (tests.join("driver.rs"), include_str!("outside/driver.rs")),
        (
            tests.join("in_process_abort.rs"),
            include_str!("outside/in_process_abort.rs"),
        ),
        (
            tests.join("common/mod.rs"),
            include_str!("outside/common.rs"),
        ),
    ];
    for (path, text) in files {
        std::fs::write(path, text).unwrap();
    }
    // The workspace's lock: every version the crate needs is in it (and in cargo's cache), so
    // it resolves offline to what the workspace builds.
    std::fs::copy(
        Path::new(harness).join("../../Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    dir
}

/// `cargo test --offline` in the crate, in this workspace's target directory and profile,
/// with `args` and the environment variable `env` set; the harness's own variables are not
/// passed on.
fn cargo_test(dir: &Path, args: &[&str], env: Option<(&str, &str)>) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    let mut command = Command::new(cargo);
    command
        .current_dir(dir)
        .args(["test", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", target);
    if !cfg!(debug_assertions) {
        command.arg("--release");
    }
    command.args(args);
    for (var, _) in std::env::vars_os() {
        let name = var.to_string_lossy();
        if name.starts_with("NOTIFIER_") || name.starts_with("RUSTY_FORK_") {
            command.env_remove(&var);
        }
    }
    if let Some((var, value)) = env {
        command.env(var, value);
    }
    command.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_crate_outside_the_workspace_checks_its_own_driver() {
    let dir = outside_crate();

    let out = cargo_test(&dir, &["--test", "driver"], None);
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("test result: ok. 5 passed"), "{all}");

    // The same tests, the shuttle run deepened from the environment, and the report says so.
    let out = cargo_test(
        &dir,
        &[
            "--test",
            "driver",
            "the_environment_deepens",
            "--",
            "--nocapture",
        ],
        Some(("NOTIFIER_CHECK_ITERATIONS", "50")),
    );
    let all = text(&out);
    assert!(out.status.success(), "{all}");
    assert!(all.contains("50 executions, all safe"), "{all}");
    assert!(
        all.contains("environment: NOTIFIER_CHECK_ITERATIONS=50"),
        "{all}"
    );

    // In the test's own process, the aborting model does take the binary down: the child
    // process is what kept the other test binary alive.
    let out = cargo_test(&dir, &["--test", "in_process_abort"], None);
    let all = text(&out);
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("SIGABRT"), "{all}");
}
