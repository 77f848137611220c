#!/usr/bin/env bash
# The README's run command: sets up, builds and runs Keygate.
# Without arguments it runs the admin server (`keygate serve`: HTTPS on 127.0.0.1:8443 with a
# self-signed certificate, SQLite in the data directory). With arguments they go to the `keygate`
# command, e.g. `scripts/run.sh list` or `scripts/run.sh admin create-user --username admin
# --email admin@example.com --superuser`. The desktop app arrives with its issue.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
cargo build --release --quiet -p keygate-cli
bin="${CARGO_TARGET_DIR:-target}/release/keygate"
if [ $# -eq 0 ]; then
  echo "Starting the Keygate admin server (Ctrl-C stops it)."
  echo "No admin yet? In another terminal: scripts/run.sh admin create-user --username admin --email admin@example.com --superuser"
  exec "$bin" serve
fi
exec "$bin" "$@"
