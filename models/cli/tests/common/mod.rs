//! What several test modules share: the catalogue's checks as the campaign runs them, the
//! `notifier-check` binary as a user runs it, and a test re-run in a child process.

pub mod catalogue;
pub mod cli;
pub mod in_child;
