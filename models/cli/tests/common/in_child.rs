//! Running one test of the current test binary in a child process: loom may abort the process
//! it runs in, and an abort must fail only its own check.

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::process::Command;

const MARK: &str = "TEST-CHILD-OUTCOME ";
const CHILD: &str = "NOTIFIER_TEST_CHILD";

/// Runs the test `name` of `module` (the caller's `module_path!()`) of this binary in a child
/// process, which runs `check` and prints its result; returns that result (a crash of the child
/// fails the test, naming its status).
pub fn in_child<T: Serialize + DeserializeOwned>(
    module: &str,
    name: &str,
    check: impl FnOnce() -> T,
) -> T {
    if std::env::var_os(CHILD).is_some() {
        let o = check();
        println!("{MARK}{}", serde_json::to_string(&o).expect("serialisable"));
        return o;
    }
    // libtest names a test by its path below the crate root: `getput::name`, or `name` for a
    // test at the root.
    let test = match module.split_once("::") {
        Some((_, below_root)) => format!("{below_root}::{name}"),
        None => name.to_string(),
    };
    let out = Command::new(std::env::current_exe().expect("the test binary"))
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .expect("the child runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once(MARK).map(|(_, json)| json.to_string()))
        .unwrap_or_else(|| {
            panic!(
                "the child died ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(&line).expect("the child's result parses")
}
