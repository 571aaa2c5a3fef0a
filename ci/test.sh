#!/usr/bin/env bash
# The project's test command (README), preceded by the house checks: format, lint and the API
# docs; followed by the README's first command (the campaign), whose JSON must regenerate the
# committed docs/results.md, docs/must-fail.md and the README's must-fail and "what is proved"
# tables; the bench's and the soak's tables regenerated from their committed records
# (docs/bench.json, docs/soak-*.json); and the HTML report rendered in headless Chromium.
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

echo "== $(date +%T) cargo run --release (the README's campaign) and the docs generated from it"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --release --quiet -- --out "$work/campaign.json"
cargo run --release --quiet -- docs --campaign "$work/campaign.json" --check

echo "== $(date +%T) the bench's tables regenerated from the committed bench record"
cargo run --release --quiet -- docs --bench docs/bench.json --check

echo "== $(date +%T) the soak tables regenerated from the committed soak records"
cargo run --release --quiet -- docs --soak docs/soak-false-alarms.json --soak docs/soak-seeded.json --check

echo "== $(date +%T) HTML report rendered in headless Chromium"
bash ci/html_report.sh
