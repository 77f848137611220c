#!/usr/bin/env bash
# The README's run command: sets up, builds and runs Keygate.
# - With a display and no arguments: the desktop app (keygate-desktop).
# - Without a display and no arguments: the admin server, headless (`keygate serve`: HTTPS on
#   127.0.0.1:8443 with a self-signed certificate, SQLite in the data directory).
# - With arguments: that `keygate` command, e.g. `scripts/run.sh list` or
#   `scripts/run.sh admin create-user --username admin --email admin@example.com --superuser`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
if [ $# -eq 0 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  cargo build --release --quiet -p keygate-desktop
  exec "${CARGO_TARGET_DIR:-target}/release/keygate-desktop"
fi
cargo build --release --quiet -p keygate-cli
bin="${CARGO_TARGET_DIR:-target}/release/keygate"
if [ $# -eq 0 ]; then
  echo "No display: starting the Keygate admin server headless (Ctrl-C stops it)."
  echo "No admin yet? In another terminal: scripts/run.sh admin create-user --username admin --email admin@example.com --superuser"
  echo "The desktop app without a display: xvfb-run -a scripts/with-keyring.sh target/release/keygate-desktop (after cargo build --release -p keygate-desktop)"
  exec "$bin" serve
fi
exec "$bin" "$@"
