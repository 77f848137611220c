#!/usr/bin/env bash
# End-to-end test of the real desktop app: the keygate-desktop binary in a real WebKitGTK webview
# under Xvfb, driven through tauri-driver + WebKitWebDriver, with a real Secret Service
# (scripts/with-keyring.sh) and a throwaway data directory. Screenshots go to docs/screenshots/.
#
# Usage: scripts/e2e.sh
# On failure it prints the ends of the logs: tauri-driver's, the client's one line per WebDriver
# exchange (webdriver.log) and the app's stderr. KEYGATE_E2E_KEEP_LOGS=DIR keeps them all in DIR.
# Needs (Debian): webkit2gtk-driver xvfb xauth xclip gnome-keyring dbus dbus-x11 libsecret-tools
#   and the Tauri build packages (libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libssl-dev ...).
# Environment:
#   KEYGATE_TAURI_TARGET_DIR  cargo target dir (default $CARGO_TARGET_DIR, else ~/.cache/keygate-target, kept outside
#                             the clone so CI reuses the build; tauri-driver is cached in it)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ "${1:-}" == "--inner" ]]; then
    # Inside Xvfb and the throwaway keyring: run tauri-driver and the WebDriver client.
    free_port() {
        python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    }
    port="$(free_port)"
    # WebKitWebDriver's own port too: the default (4445) clashes with any other run.
    native_port="$(free_port)"
    while [[ "$native_port" == "$port" ]]; do native_port="$(free_port)"; done
    "$KEYGATE_E2E_TAURI_DRIVER" --port "$port" --native-port "$native_port" \
        >"$KEYGATE_E2E_LOG/tauri-driver.log" 2>&1 &
    driver_pid=$!
    trap 'kill "$driver_pid" 2>/dev/null || true; wait "$driver_pid" 2>/dev/null || true' EXIT
    # WebKitWebDriver first, then tauri-driver: asked before WebKitWebDriver listens,
    # tauri-driver logs a dropped connection, and its log should show none in a good run.
    for url in "http://127.0.0.1:$native_port/status" "http://127.0.0.1:$port/status"; do
        for _ in $(seq 100); do
            curl -fsS "$url" >/dev/null 2>&1 && break
            sleep 0.1
        done
    done
    export KEYGATE_E2E_DRIVER="http://127.0.0.1:$port"
    python3 "$root/tests/e2e/webdriver_test.py"
    exit $?
fi

for tool in xvfb-run WebKitWebDriver xclip python3 curl; do
    if ! command -v "$tool" >/dev/null; then
        echo "e2e.sh: $tool is missing; install with:" >&2
        echo "  apt-get install -y webkit2gtk-driver xvfb xauth xclip python3 curl" >&2
        exit 127
    fi
done

target="${KEYGATE_TAURI_TARGET_DIR:-${CARGO_TARGET_DIR:-$HOME/.cache/keygate-target}}"
tools="$target/tools"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/keygate-e2e.XXXXXX")"
keep_logs() {
    if [[ -n "${KEYGATE_E2E_KEEP_LOGS:-}" ]]; then
        mkdir -p "$KEYGATE_E2E_KEEP_LOGS" && cp -r "$scratch/log/." "$KEYGATE_E2E_KEEP_LOGS/"
    fi
    rm -rf "$scratch"
}
trap keep_logs EXIT
mkdir -p "$scratch/data" "$scratch/log" "$scratch/bin"

# This run tests the binaries it builds: another build into the same target dir (a second
# checkout, a concurrent run) replaces target/debug/* under a running test. A hard link taken
# right after each build keeps its file (cargo replaces the file, it does not rewrite it); a
# copy where a link cannot be made.
build() {
    local package="$1" bin="$2"
    echo "e2e: building $package (target $target)"
    (cd "$root" && CARGO_TARGET_DIR="$target" nice -n 15 cargo build --quiet -p "$package")
    ln "$target/debug/$bin" "$scratch/bin/$bin" 2>/dev/null || cp "$target/debug/$bin" "$scratch/bin/$bin"
}
build keygate-desktop keygate-desktop
build keygate-cli keygate

if [[ ! -x "$tools/bin/tauri-driver" ]]; then
    echo "e2e: installing tauri-driver into $tools"
    nice -n 15 cargo install tauri-driver --locked --root "$tools"
fi

# The app runs through a wrapper that keeps its stderr (WebKitWebDriver drops it) for failures.
cat >"$scratch/keygate-desktop" <<WRAPPER
#!/bin/sh
exec "$scratch/bin/keygate-desktop" "\$@" 2>>"$scratch/log/app.log"
WRAPPER
chmod +x "$scratch/keygate-desktop"
export KEYGATE_E2E_APP="$scratch/keygate-desktop"
export KEYGATE_E2E_CLI="$scratch/bin/keygate"
export KEYGATE_E2E_SHOTS="$root/docs/screenshots"
export KEYGATE_E2E_TAURI_DRIVER="$tools/bin/tauri-driver"
export KEYGATE_E2E_LOG="$scratch/log"
export KEYGATE_E2E_SCRATCH="$scratch"
export KEYGATE_DATA_DIR="$scratch/data"

status=0
xvfb-run -a -s "-screen 0 1440x900x24" \
    "$root/scripts/with-keyring.sh" "$root/scripts/e2e.sh" --inner || status=$?
if ((status != 0)); then
    echo "e2e: FAILED (exit $status); tauri-driver log:" >&2
    grep -v '^ *[0-9]*: \|^ *at ' "$scratch/log/tauri-driver.log" | tail -n 20 >&2 || true
    echo "e2e: the last WebDriver exchanges (start, duration, command, outcome):" >&2
    tail -n 10 "$scratch/log/webdriver.log" >&2 || true
    echo "e2e: the app's stderr:" >&2
    tail -n 40 "$scratch/log/app.log" >&2 || true
fi
exit "$status"
