#!/usr/bin/env bash
# Start-up benchmark of the desktop app: time from launch to the first codes on screen, and the
# idle memory (RSS) of the app and of its WebKit helper processes, with a vault of N accounts on
# a real (throwaway) Secret Service under Xvfb.
#
# Usage: scripts/bench-startup.sh [RUNS]        (default 5 runs)
# Environment:
#   ACCOUNTS=20        accounts in the vault
#   PROFILE=release    cargo profile of keygate-desktop (release|debug)
#   IDLE_SECS=5        idle time before reading RSS
#   KEYGATE_TAURI_TARGET_DIR / CARGO_TARGET_DIR   target dir (default ~/.cache/keygate-target)
# "First codes shown" is reported by the window itself (after the frame with its first codes is
# laid out) and printed by the app with a wall-clock stamp; launch is taken just before exec.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

descendants() {
    local pid="$1" child
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do
        echo "$child"
        descendants "$child"
    done
}

if [[ "${1:-}" == "--inner" ]]; then
    runs="$2"
    for i in $(seq "$runs"); do
        out="$KEYGATE_BENCH_SCRATCH/run-$i.out"
        start_ms="$(date +%s%3N)"
        "$KEYGATE_BENCH_APP" >"$out" 2>"$KEYGATE_BENCH_SCRATCH/run-$i.err" &
        pid=$!
        shown=""
        for _ in $(seq 600); do
            shown="$(sed -n 's/.*first codes shown at \([0-9]*\) ms.*/\1/p' "$out")"
            [[ -n "$shown" ]] && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if [[ -z "$shown" ]]; then
            echo "run $i: the window never reported its first codes; the app's stderr:" >&2
            tail -n 20 "$KEYGATE_BENCH_SCRATCH/run-$i.err" >&2
            kill "$pid" 2>/dev/null || true
            exit 1
        fi
        sleep "$IDLE_SECS"
        app_rss="$(rss_kib "$pid")"
        total_rss="$app_rss"
        for child in $(descendants "$pid"); do
            total_rss=$((total_rss + $(rss_kib "$child")))
        done
        echo "$((shown - start_ms)) $app_rss $total_rss" >>"$KEYGATE_BENCH_SCRATCH/results"
        printf 'run %d: first codes after %d ms; idle RSS app %d MiB, with WebKit processes %d MiB\n' \
            "$i" "$((shown - start_ms))" "$((app_rss / 1024))" "$((total_rss / 1024))"
        kill "$pid"
        wait "$pid" 2>/dev/null || true
        sleep 1
    done
    exit 0
fi

runs="${1:-5}"
export ACCOUNTS="${ACCOUNTS:-20}" IDLE_SECS="${IDLE_SECS:-5}"
profile="${PROFILE:-release}"
target="${KEYGATE_TAURI_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/keygate-target}}"
flag=()
[[ "$profile" == "release" ]] && flag=(--release)

echo "bench-startup: building keygate-desktop ($profile) and the keygate CLI"
(cd "$root" && CARGO_TARGET_DIR="$target" cargo build --quiet -p keygate-desktop "${flag[@]}")
(cd "$root" && CARGO_TARGET_DIR="$target" cargo build --quiet -p keygate-cli)
cli_dir="$target"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/keygate-bench.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
export KEYGATE_DATA_DIR="$scratch/data" KEYGATE_BENCH_SCRATCH="$scratch"
export KEYGATE_BENCH_APP="$target/$profile/keygate-desktop" KEYGATE_BENCH_CLI="$cli_dir/debug/keygate"

cat >"$scratch/inner.sh" <<'INNER'
#!/usr/bin/env bash
set -euo pipefail
links=()
for i in $(seq "$ACCOUNTS"); do
    secret="$(python3 -c 'import base64,os; print(base64.b32encode(os.urandom(20)).decode())')"
    links+=("otpauth://totp/Issuer$i:user$i%40example.com?secret=$secret&issuer=Issuer$i")
done
"$KEYGATE_BENCH_CLI" add "${links[@]}" >/dev/null
exec "$1" --inner "$2"
INNER
chmod +x "$scratch/inner.sh"

echo "bench-startup: $runs runs, $ACCOUNTS accounts, RSS after ${IDLE_SECS} s idle"
xvfb-run -a -s "-screen 0 1920x1080x24" \
    "$root/scripts/with-keyring.sh" "$scratch/inner.sh" "$root/scripts/bench-startup.sh" "$runs"

python3 - "$scratch/results" "$profile" "$ACCOUNTS" <<'SUMMARY'
import statistics, sys
rows = [list(map(int, line.split())) for line in open(sys.argv[1])]
ms = [r[0] for r in rows]
app = [r[1] / 1024 for r in rows]
total = [r[2] / 1024 for r in rows]
print(f"summary ({sys.argv[2]}, {sys.argv[3]} accounts, {len(rows)} runs): "
      f"launch -> first code median {statistics.median(ms):.0f} ms (min {min(ms)}, max {max(ms)}); "
      f"idle RSS median {statistics.median(app):.0f} MiB app, {statistics.median(total):.0f} MiB with WebKit processes")
SUMMARY
