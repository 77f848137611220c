#!/usr/bin/env bash
# Runs the real Mozilla HTTP Observatory scanner (@mdn/mdn-http-observatory from npm) against
# a freshly started server and fails unless the grade is A+ with no penalty. Needs node/npm
# and network access to npm the first time (cached in ~/.cache/keygate-observatory).
# Usage: crates/server/bench/observatory.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keygate-target}"
tools="${OBSERVATORY_DIR:-$HOME/.cache/keygate-observatory}"
scanner="$tools/node_modules/@mdn/mdn-http-observatory"
if [ ! -f "$scanner/src/scan.js" ]; then
  mkdir -p "$tools"
  # Its install scripts download lists from the internet: skip them and stub the lists.
  (cd "$tools" && npm install --ignore-scripts --no-audit --no-fund \
    @mdn/mdn-http-observatory@1.4.8 >/dev/null)
  echo '{}' > "$scanner/conf/hsts-preload.json"
  echo '[]' > "$scanner/conf/tld-list.json"
fi

cargo build -q -p keygate-cli --bin keygate
work=$(mktemp -d)
server_pid=""
trap '[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"' EXIT
RUST_LOG=warn "$CARGO_TARGET_DIR/debug/keygate" serve --data-dir "$work" \
  --bind 127.0.0.1:0 > "$work/stdout" 2> "$work/stderr" &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/stdout" 2>/dev/null && break; sleep 0.1; done
addr=$(sed -n 's#^keygate: listening on https://##p' "$work/stdout")
[ -n "$addr" ] || { cat "$work/stderr"; exit 1; }

# The scanner's own wrapper replaces NODE_EXTRA_CA_CERTS; run its script directly so it
# trusts the generated certificate (otherwise HSTS counts as served on an invalid cert).
NODE_EXTRA_CA_CERTS="$work/tls/cert.pem" node "$scanner/src/scan.js" "$addr" > "$work/scan.json"
python3 - "$work/scan.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scan = report["scan"]
print(f"Observatory: grade {scan['grade']}, score {scan['score']}")
penalties = []
for name, test in sorted(report["tests"].items()):
    print(f"  {name:34} {test['result']:55} {test['scoreModifier']:+d}")
    if test["scoreModifier"] < 0:
        penalties.append(name)
if scan["grade"] != "A+" or penalties:
    print(f"FAIL: penalties {penalties}" if penalties else "FAIL: not A+")
    sys.exit(1)
PY
