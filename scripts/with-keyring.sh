#!/usr/bin/env bash
# Runs a command against a real, throwaway Secret Service: a private D-Bus session bus
# (dbus-run-session) with gnome-keyring-daemon unlocked from stdin, in a temporary HOME so a real
# keyring is never touched. (dbus-daemon's "Failed to set fd limit" warning is harmless.) The daemon is killed by its PID afterwards (it can outlive the bus),
# and the command's exit code is kept.
#
# Usage: scripts/with-keyring.sh CMD [ARG...]
#   e.g. scripts/with-keyring.sh cargo test -p keygate-vault
#        scripts/with-keyring.sh cargo bench -p keygate-vault --bench list
# Environment:
#   KEYRING_PASS   password of the throwaway login keyring (default: keygate-test)
# Inside CMD: KEYGATE_TEST_KEYRING=1 (the keyring tests refuse to run without it, so they never
# fill a real keyring) and KEYGATE_KEYRING_PASS (the throwaway keyring's password).
set -euo pipefail

if (($# == 0)); then
    echo "usage: scripts/with-keyring.sh CMD [ARG...]" >&2
    exit 2
fi
for tool in dbus-run-session dbus-send gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null; then
        echo "with-keyring.sh: $tool is missing; install it with:" >&2
        echo "  apt-get install -y gnome-keyring dbus dbus-x11 libsecret-tools" >&2
        exit 127
    fi
done

# cargo and rustup find their homes through HOME; pin them before HOME moves.
if [[ -z "${CARGO_HOME:-}" && -d "$HOME/.cargo" ]]; then
    export CARGO_HOME="$HOME/.cargo"
fi
if [[ -z "${RUSTUP_HOME:-}" && -d "$HOME/.rustup" ]]; then
    export RUSTUP_HOME="$HOME/.rustup"
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/keygate-keyring.XXXXXX")"
pidfile="$scratch/gnome-keyring.pid"

stop_daemon() {
    local pid
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    # Only the daemon this script started, and only if that PID still is a keyring daemon.
    if [[ "$pid" =~ ^[0-9]+$ ]] && [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == gnome-keyring* ]]; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -rf "$scratch"
}
trap stop_daemon EXIT

mkdir -p "$scratch/home" "$scratch/runtime"
chmod 700 "$scratch/runtime"
export HOME="$scratch/home"
# The keyring files and the daemon's control socket live under these: keep them private too.
export XDG_RUNTIME_DIR="$scratch/runtime"
export XDG_DATA_HOME="$HOME/.local/share"
export XDG_CONFIG_HOME="$HOME/.config"
export XDG_CACHE_HOME="$HOME/.cache"
export KEYGATE_KEYRING_PASS="${KEYRING_PASS:-keygate-test}"
# Tells the keyring tests that this is a throwaway keyring they may fill and lock.
export KEYGATE_TEST_KEYRING=1
export KEYGATE_KEYRING_PIDFILE="$pidfile"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL

status=0
# The inner shell starts the daemon in the foreground (so $! is its PID), waits until it owns
# org.freedesktop.secrets (otherwise the first client would D-Bus-activate a second, locked
# daemon), then execs the command.
dbus-run-session -- sh -c '
    printf %s "$KEYGATE_KEYRING_PASS" |
        gnome-keyring-daemon --foreground --unlock --components=secrets \
            >"$HOME/gnome-keyring.log" 2>&1 &
    echo $! >"$KEYGATE_KEYRING_PIDFILE"
    tries=0
    until dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
        org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null |
        grep -q "boolean true"; do
        tries=$((tries + 1))
        if [ "$tries" -ge 100 ]; then
            echo "with-keyring.sh: gnome-keyring-daemon did not start; its log:" >&2
            cat "$HOME/gnome-keyring.log" >&2
            exit 125
        fi
        sleep 0.1
    done
    exec "$@"
' with-keyring "$@" || status=$?
exit "$status"
