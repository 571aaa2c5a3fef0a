#!/usr/bin/env bash
# Renders two generated HTML reports in headless Chromium (Debian's `chromium`, installed here
# if missing): a counterexample's page (the SVG timeline with one lane per thread, the violating
# access, the free, the window-opening step, cause -> effect arrows, the SRCU lane and the folded
# setup) and a campaign's verdict matrix (every cell links to its check, and following the link
# opens a folded counterexample), in the rendered DOM and in screenshots.
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
matrix="$work/campaign.html"

# A check with a known counterexample: Hazard A on v3.16 (use-after-free of a notifier in
# __mmu_notifier_release's unlink loop, after v3.16's early srcu_read_unlock).
cargo run --release --quiet -- check --scenario S2 --kernel v3.16 --checker shuttle-pct \
    --report "$report" >/dev/null
# A small campaign's page: the verdict matrix whose cells link to their counterexamples.
cargo run --release --quiet -- campaign --scenario S2 --scenario srcu-sync \
    --progress-interval 0 --report "$matrix" >/dev/null

flags=(--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$work/profile")

fail() {
    echo "html report: $1" >&2
    exit 1
}
render() { # page dom-file
    timeout 120 chromium "${flags[@]}" --dump-dom "file://$1" >"$2" 2>>"$work/log"
    if grep -Eq '<(script|link|img|iframe)[ >]|src=|@import' "$2"; then
        fail "$1 refers to an external resource"
    fi
}
screenshot() { # page png size
    timeout 120 chromium "${flags[@]}" --window-size="$3" --screenshot="$2" "file://$1" \
        >>"$work/log" 2>&1
    [ -s "$2" ] || fail "the screenshot of $1 is empty"
    [ "$(head -c 8 "$2" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] ||
        fail "the screenshot of $1 is not a PNG"
    size=$(stat -c %s "$2")
    [ "$size" -gt 20000 ] || fail "the screenshot of $1 is only $size bytes: nothing drawn?"
}

# The counterexample page.
render "$report" "$work/dom.html"
grep -q '<svg class="timeline"' "$work/dom.html" || fail "no timeline SVG in the rendered page"
lanes=$(grep -o 'class="lane"' "$work/dom.html" | wc -l)
[ "$lanes" -ge 2 ] || fail "the timeline has $lanes lane(s), expected one per thread (>= 2)"
grep -q 'class="op violation"' "$work/dom.html" || fail "the violating access is not marked"
grep -q 'use-after-free here' "$work/dom.html" || fail "the violation marker has no label"
grep -q 'class="violation-box"' "$work/dom.html" || fail "the violating access has no box"
grep -q 'class="op window"' "$work/dom.html" || fail "the step that opened the window is not marked"
grep -q 'class="link free"' "$work/dom.html" || fail "no arrow from the free to the access"
grep -q 'class="link callback"' "$work/dom.html" || fail "no arrow from call_srcu to its callback"
grep -q 'class="srcu-lane"' "$work/dom.html" || fail "no SRCU lane"
grep -q '<details class="setup">' "$work/dom.html" || fail "the setup is not folded"
screenshot "$report" "$work/report.png" 1500,1900

# The campaign's matrix.
render "$matrix" "$work/matrix-dom.html"
grep -q '<table class="matrix">' "$work/matrix-dom.html" || fail "no verdict matrix"
cells=$(grep -o '<td class="cell [a-z]*"' "$work/matrix-dom.html" | wc -l)
[ "$cells" -ge 6 ] || fail "the matrix has $cells cell(s)"
links=$(grep -o '<a href="#check-[0-9]*">' "$work/matrix-dom.html" | wc -l)
[ "$links" = "$cells" ] || fail "$cells cells but $links links to their checks"
for anchor in $(grep -o 'href="#check-[0-9]*"' "$work/matrix-dom.html" | sed 's/href="#//; s/"//'); do
    grep -q "id=\"$anchor\"" "$work/matrix-dom.html" || fail "a cell links to a missing #$anchor"
done
screenshot "$matrix" "$work/matrix.png" 1400,1000
# Following a cell's link opens its folded counterexample.
folded=$(grep -A2 '^<details class="cex">$' "$matrix" | grep -o 'id="check-[0-9]*"' | head -1 |
    sed 's/id="//; s/"//')
[ -n "$folded" ] || fail "no folded counterexample in the matrix page"
render "$matrix#$folded" "$work/followed-dom.html"
grep -B2 "id=\"$folded\"" "$work/followed-dom.html" | grep -q '<details class="cex" open' ||
    fail "following the link to #$folded does not open its counterexample"

if [ -n "${HTML_REPORT_KEEP:-}" ]; then
    mkdir -p "$HTML_REPORT_KEEP"
    cp "$report" "$matrix" "$work/report.png" "$work/matrix.png" "$HTML_REPORT_KEEP/"
fi
echo "html report: a counterexample (timeline with $lanes lanes, the violation, window, free and \
callback arrows, SRCU lane, folded setup) and a matrix of $cells linked cells rendered"
