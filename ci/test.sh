#!/usr/bin/env bash
# The project's test command (README), preceded by the house checks: format and lint.
# Everything it needs comes from crates.io through cargo; nothing is installed by hand.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, warnings are errors)"
cargo clippy --workspace --all-targets --release -- -D warnings

echo "== cargo test --workspace --release (the README's test command)"
cargo test --workspace --release

echo "== HTML report rendered in headless Chromium"
bash ci/html_report.sh
