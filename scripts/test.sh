#!/usr/bin/env bash
# The README's test command: sets up what the tests need, then runs every test of the workspace
# and of the desktop app (src-tauri, its own Cargo workspace) against a real, throwaway Secret
# Service (scripts/with-keyring.sh) on a virtual X display, and ends with one line totalling all
# test binaries. The desktop app's WebDriver test is separate: scripts/e2e.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1920x1080x24" \
  bash -c 'cargo test --workspace "$@" && cd src-tauri && cargo test "$@"' test.sh "$@" 2>&1 |
  tee "$log" || status=$?
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "summary: %d passed, %d failed\n", p, f }' "$log"
exit "$status"
