//! notifier-check's integration tests, in one test binary: each file below is a module (the
//! model's generic code is compiled once for all of them instead of once per file, and their
//! tests share the machine's cores while they run). `cargo test --test integration getput::`
//! runs one file's tests. The files that change process-wide state (a panic hook, the
//! environment) are not here: they are the harness's own test binaries.

mod common;

mod blame;
mod campaign;
mod cause;
mod ci_examples;
mod cli;
mod docs;
mod docs_generator;
mod fuzz_cli;
mod getput;
mod memory_oracle;
mod notifier;
mod plain_access;
mod product;
mod reports;
mod runner;
mod spec_agreement;
mod srcu;
mod v5_4_core;
