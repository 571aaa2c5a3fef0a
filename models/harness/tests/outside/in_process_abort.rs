//! The model that aborts loom, checked in the test's own process: the abort takes this test
//! binary down (which is why checks run in a child process by default). The harness's test
//! runs it and expects exactly that.

use notifier_harness::prelude::*;

mod common;

#[test]
fn in_process_the_abort_takes_the_binary_down() {
    Builder::new()
        .isolation(Isolation::InProcess)
        .check(common::aborting);
    unreachable!("loom aborted the process before this line");
}
