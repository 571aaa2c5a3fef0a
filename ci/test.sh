#!/usr/bin/env bash
# The project's test command (README), preceded by the house checks: format, lint and the API
# docs; followed by the HTML report rendered in headless Chromium. The test command runs the
# README's first command too (the campaign, models/cli/tests/campaign.rs: every check as the
# catalogue expects, its record the committed docs/results.json) and regenerates every
# generated table from its committed record (models/cli/tests/docs.rs), so nothing is run twice.
# Everything it needs comes from crates.io through cargo; nothing is installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== $(date +%T) cargo fmt --check"
cargo fmt --all -- --check

echo "== $(date +%T) cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --release -- -D warnings

echo "== $(date +%T) cargo doc (the library crates' API docs, warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --release

echo "== $(date +%T) cargo test --workspace --release (the README's test command)"
cargo test --workspace --release

echo "== $(date +%T) HTML report rendered in headless Chromium"
bash ci/html_report.sh
