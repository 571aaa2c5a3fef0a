#!/usr/bin/env bash
# The project's test command (README), preceded by the house checks: format, lint and the API
# docs; beside it the README's first command (the campaign), whose JSON must regenerate the
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

echo "== $(date +%T) cargo test --workspace --release (the README's test command), with the README's campaign beside it"
# The two run side by side once everything is built: many test binaries keep one core busy
# (a long loom check), and the campaign (two checks at a time, each in a child process) fills
# the other. The campaign runs the notifier-check binary the test build made (the one the CLI
# tests run); its output is printed when it ends, after the tests'.
cargo test --workspace --release --no-run
work=$(mktemp -d)
campaign=""
trap '[ -n "$campaign" ] && { pkill -P "$campaign"; kill "$campaign"; } 2>/dev/null; rm -rf "$work"' EXIT
(
    status=0
    ./target/release/notifier-check --out "$work/campaign.json" >"$work/campaign.log" 2>&1 || status=$?
    echo "$status" >"$work/campaign.status"
) &
campaign=$!
tests=0
cargo test --workspace --release || tests=$?
wait "$campaign"
campaign=""

echo "== $(date +%T) the README's campaign (run beside the tests) and the docs generated from it"
cat "$work/campaign.log"
[ "$tests" -eq 0 ] || { echo "cargo test failed (exit status $tests)"; exit "$tests"; }
status=$(cat "$work/campaign.status")
[ "$status" -eq 0 ] || { echo "the campaign failed (exit status $status)"; exit "$status"; }
cargo run --release --quiet -- docs --campaign "$work/campaign.json" --check

echo "== $(date +%T) the bench's tables regenerated from the committed bench record"
cargo run --release --quiet -- docs --bench docs/bench.json --check

echo "== $(date +%T) the soak tables regenerated from the committed soak records"
cargo run --release --quiet -- docs --soak docs/soak-false-alarms.json --soak docs/soak-seeded.json --check

echo "== $(date +%T) HTML report rendered in headless Chromium"
bash ci/html_report.sh
