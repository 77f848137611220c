#!/usr/bin/env bash
# Installs what building and testing Keygate needs on Debian 12: system packages and the Python
# test oracle (pyotp). Idempotent; run as root or with sudo available.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi

# Build: C toolchain, pkg-config; xcap (screen capture) needs PipeWire/SPA headers and libclang
# for its bindings, plus X11 libraries. Tests: a real Secret Service (gnome-keyring on a private
# D-Bus), a virtual X display with a real image viewer and clipboard tool. Benchmarks: zbarimg.
# The desktop app (src-tauri): WebKitGTK and GTK headers, and WebKitWebDriver for its e2e test.
packages=(
  build-essential pkg-config python3 python3-pip
  libpipewire-0.3-dev libspa-0.2-dev libclang-dev clang libgbm-dev libxcb-randr0-dev
  libxcb1-dev libxcb-shm0-dev libxrandr-dev libdbus-1-dev libegl-dev libwayland-dev
  gnome-keyring dbus dbus-x11 libsecret-tools
  xvfb xauth x11-utils feh xclip imagemagick curl
  zbar-tools
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libssl-dev libxdo-dev
  webkit2gtk-driver
)
need_apt=()
for pkg in "${packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is missing: install Rust with rustup (https://rustup.rs) and run again" >&2
  exit 1
fi

# pyotp is the reference implementation the OTP engine is checked against. pip into whatever
# python3 is first on PATH; on a Debian system Python (externally managed) use Debian's package.
pyotp_ok='import sys, importlib.metadata as m; v = m.version("pyotp"); sys.exit(tuple(map(int, v.split(".")[:2])) < (2, 10))'
if ! python3 -c "$pyotp_ok" >/dev/null 2>&1; then
  python3 -m pip install --quiet --disable-pip-version-check "pyotp>=2.10" 2>/dev/null ||
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pyotp; }
fi
python3 -c 'import importlib.metadata as m, pyotp; print("setup: pyotp", m.version("pyotp"))'
