#!/usr/bin/env bash
# Regenerates every app icon in icons/ from the 512 px source icons/icon.png: the sizes Tauri's
# bundler and the Linux desktop entry (hicolor theme) use, a Windows .ico and a macOS .icns.
# The results are committed; run this only after changing icons/icon.png.
# Needs (Debian): imagemagick icnsutils
set -euo pipefail
cd "$(dirname "$0")/../icons"
for tool in convert png2icns; do
    command -v "$tool" >/dev/null || { echo "icons.sh: $tool is missing: apt-get install -y imagemagick icnsutils" >&2; exit 127; }
done
size() { convert icon.png -strip -filter Lanczos -resize "$1x$1" "PNG32:$2"; }
for px in 16 24 32 48 64 128 256; do
    size "$px" "${px}x${px}.png"
done
cp 256x256.png 128x128@2x.png
convert 16x16.png 24x24.png 32x32.png 48x48.png 64x64.png 256x256.png icon.ico
png2icns icon.icns 16x16.png 32x32.png 48x48.png 128x128.png 256x256.png icon.png >/dev/null
ls
