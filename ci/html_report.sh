#!/usr/bin/env bash
# Renders a generated HTML report in headless Chromium (Debian's `chromium`, installed here if
# missing) and checks that the counterexample's timeline picture is there: the SVG with one
# lane per thread and the violating access marked, in the rendered DOM and in a screenshot.
# Set HTML_REPORT_KEEP=DIR to keep the report and the screenshot for a person to look at.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
    echo "chromium is missing: installing Debian's package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
report="$work/report.html"

# A check with a known counterexample: Hazard A on v3.16 (use-after-free of a notifier in
# __mmu_notifier_release's unlink loop).
cargo run --release --quiet -- check --scenario S2 --kernel v3.16 --checker shuttle-pct \
    --report "$report" >/dev/null

flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile")

timeout 120 chromium "${flags[@]}" --dump-dom "file://$report" >"$work/dom.html" 2>"$work/log"
fail() {
    echo "html report: $1" >&2
    exit 1
}
grep -q '<svg class="timeline"' "$work/dom.html" || fail "no timeline SVG in the rendered page"
lanes=$(grep -o 'class="lane"' "$work/dom.html" | wc -l)
[ "$lanes" -ge 2 ] || fail "the timeline has $lanes lane(s), expected one per thread (>= 2)"
grep -q 'class="op violation"' "$work/dom.html" || fail "the violating access is not marked"
grep -q 'use-after-free here' "$work/dom.html" || fail "the violation marker has no label"
grep -q 'class="violation-box"' "$work/dom.html" || fail "the violating access has no box"
if grep -Eq '<(script|link|img|iframe)[ >]|src=|@import' "$work/dom.html"; then
    fail "the page refers to an external resource"
fi

timeout 120 chromium "${flags[@]}" --window-size=1500,1900 --screenshot="$work/report.png" \
    "file://$report" >>"$work/log" 2>&1
[ -s "$work/report.png" ] || fail "the screenshot is empty"
[ "$(head -c 8 "$work/report.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
    fail "the screenshot is not a PNG"
size=$(stat -c %s "$work/report.png")
[ "$size" -gt 20000 ] || fail "the screenshot is only $size bytes: nothing drawn?"

if [ -n "${HTML_REPORT_KEEP:-}" ]; then
    mkdir -p "$HTML_REPORT_KEEP"
    cp "$report" "$work/report.png" "$HTML_REPORT_KEEP/"
fi
echo "html report: timeline with $lanes lanes and the marked violation rendered; screenshot $size bytes"
