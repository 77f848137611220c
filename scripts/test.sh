#!/usr/bin/env bash
# The README's test command: sets up what the tests need, then runs every test of the workspace
# and of the desktop app (src-tauri, its own Cargo workspace) against a real, throwaway Secret
# Service (scripts/with-keyring.sh) on a virtual X display. The desktop app's WebDriver test is
# separate: scripts/e2e.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1920x1080x24" \
  bash -c 'cargo test --workspace "$@" && cd src-tauri && cargo test "$@"' test.sh "$@"
