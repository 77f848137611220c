#!/usr/bin/env bash
# The README's test command: sets up what the tests need, then runs every test of the workspace
# against a real, throwaway Secret Service (scripts/with-keyring.sh) on a virtual X display.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1920x1080x24" cargo test --workspace "$@"
