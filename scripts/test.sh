#!/usr/bin/env bash
# The README's test command: sets up what the tests need, then runs every test of the workspace
# (the desktop app included) against a real, throwaway Secret Service (scripts/with-keyring.sh) on
# a virtual X display, the ignored tests too (those that need the keyring or the display: plain
# `cargo test` reports them as ignored), then the desktop app's end-to-end test (scripts/e2e.sh:
# the real app in a real WebKitGTK webview through WebDriver), and ends with one line totalling
# all of them.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1920x1080x24" \
  cargo test --workspace "$@" -- --include-ignored 2>&1 |
  tee "$log" || status=$?

if ((status == 0)); then
  scripts/e2e.sh 2>&1 | tee -a "$log" || status=$?
fi
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "summary: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
