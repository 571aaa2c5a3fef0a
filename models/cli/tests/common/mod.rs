//! What several test modules share: the `notifier-check` binary as a user runs it, and a test
//! re-run in a child process.

pub mod cli;
pub mod in_child;
