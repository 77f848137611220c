#!/usr/bin/env bash
# Throughput and latency of POST /api/v1/verify and of the full sign-in (csrf, password, code)
# against a release build of the server, with wrk (apt-get install wrk), 10,000 users in the
# database. Not a test: figures depend on the machine. Usage: crates/server/bench/bench.sh
set -euo pipefail
cd "$(dirname "$0")/../../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/keygate-target}"
USERS="${USERS:-10000}"
DURATION="${DURATION:-10s}"
command -v wrk >/dev/null || { echo "bench: wrk is missing (apt-get install wrk)" >&2; exit 2; }

cargo build --release -q -p keygate-cli -p keygate-server --bin keygate --example bench_prep
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
server_pid=""
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

keys=$(mktemp -d); trap 'cleanup; rm -rf "$keys"' EXIT
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$keys/secret.key"; chmod 600 "$keys/secret.key"
echo "bench: preparing $USERS users..."
password=$("$bin/examples/bench_prep" --db "$work/keygate.db" --key-file "$keys/secret.key" \
  --users "$USERS" --codes 60 --out "$work")
api_key=$(cat "$work/api_key")

KEYGATE_SECRET_KEY_FILE="$keys/secret.key" RUST_LOG=warn "$bin/keygate" serve \
  --data-dir "$work" --db "$work/keygate.db" --bind 127.0.0.1:0 > "$work/stdout" 2> "$work/stderr" &
server_pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/stdout" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^keygate: listening on //p' "$work/stdout")
[ -n "$url" ] || { cat "$work/stderr"; exit 1; }
echo "bench: server at $url ($(nproc) cores), $DURATION per run"

# HOTP counters only move forward, so every run gets users of its own: 0..7999 for verify
# (2,000 per concurrency level, codes in counter order), 8000..9999 for sign-ins (666 per run).
echo
echo "POST /api/v1/verify (valid HOTP codes, API key)"
slice=0
for c in 1 8 32 128; do
  threads=$(( c < 2 ? 1 : 2 ))
  out=$(wrk -t"$threads" -c"$c" -d"$DURATION" -s crates/server/bench/verify.lua "$url" -- \
    "$work/codes.txt" $((slice * 2000)) 2000 "$threads" "$api_key" | grep '^RESULT')
  echo "  concurrency $c: ${out#RESULT }"
  slice=$((slice + 1))
done

echo
echo "Full sign-in: GET csrf + POST login (Argon2id m=19 MiB t=2) + POST otp"
slice=0
for c in 1 4 16; do
  out=$(wrk -t"$c" -c"$c" -d"$DURATION" -s crates/server/bench/login.lua "$url" -- \
    "$work/codes.txt" $((8000 + slice * 666)) 666 "$c" "$password" | grep '^RESULT')
  echo "  concurrency $c: ${out#RESULT }"
  slice=$((slice + 1))
done
