#!/usr/bin/env bash
# The README's run command: sets up, builds and runs Keygate. With arguments they go to the
# `keygate` command (e.g. `scripts/run.sh code --secret JBSWY3DPEHPK3PXP`); without, it shows
# what the command can do. The desktop app and the server arrive with their issues.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
cargo build --release --quiet -p keygate-cli
bin="${CARGO_TARGET_DIR:-target}/release/keygate"
if [ $# -eq 0 ]; then
  exec "$bin" --help
fi
exec "$bin" "$@"
