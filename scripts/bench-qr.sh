#!/usr/bin/env bash
# QR decoding bench: keygate (`keygate scan FILE`), zbarimg (Debian zbar-tools) and zxing-cpp
# (PyPI zxing-cpp) decode the same files in one run:
#   (a) generated screenshots with QR codes at 1920x1080, 3840x2160 and 7680x4320
#       (crates/qr/examples/gen_corpus.rs: HiDPI-scaled, turned, skewed, dark-mode and
#       JPEG-compressed codes among UI clutter), and
#   (b) the zxing-cpp blackbox samples in ../shared/qr-corpus (photos and scans).
# Prints the decode rate per tool and set, the median time per image for each image size, and
# the ratios keygate/zbarimg and keygate/zxing-cpp.
#
# keygate and zbarimg are timed as whole processes (start, image load, decode), as a user runs
# them; zxing-cpp is timed inside Python (image load with Pillow + decode), which spares it the
# interpreter's start-up.
#
# Needs: cargo, python3, zbarimg (apt-get install zbar-tools), and the Python packages
# zxing-cpp and Pillow (pip install zxing-cpp pillow). A missing comparison tool is reported
# and left out rather than failing the run.
#
# Environment: RUNS (timed runs per file, median taken; default 3), QR_CORPUS (default
# ../shared/qr-corpus next to the repository), KEYGATE_BIN (a `keygate` binary to use).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${QR_CORPUS:-$ROOT/../shared/qr-corpus}
RUNS=${RUNS:-3}
cd "$ROOT"

TARGET=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

echo "building (release)..." >&2
cargo build --release --quiet -p keygate-qr --example gen_corpus --example scan

# Prefer the real CLI; fall back to the example with the same behaviour while it is not built.
if [[ -n ${KEYGATE_BIN:-} ]]; then
    KEYGATE=("$KEYGATE_BIN" scan)
elif cargo build --release --quiet -p keygate-cli 2>/dev/null && [[ -x $TARGET/release/keygate ]]; then
    KEYGATE=("$TARGET/release/keygate" scan)
else
    echo "note: keygate-cli did not build; using the keygate-qr scan example instead" >&2
    KEYGATE=("$TARGET/release/examples/scan")
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
"$TARGET/release/examples/gen_corpus" "$WORK/screens" >/dev/null

python3 - "$WORK/screens" "$CORPUS" "$RUNS" "${KEYGATE[@]}" <<'PY'
import os, shutil, statistics, subprocess, sys, time
from pathlib import Path

screens, corpus, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
keygate = sys.argv[4:]

tools = {"keygate": keygate}
if shutil.which("zbarimg"):
    tools["zbarimg"] = ["zbarimg", "--raw", "-q"]
else:
    print("note: zbarimg not found (apt-get install zbar-tools); left out", file=sys.stderr)
try:
    import zxingcpp
    from PIL import Image
    tools["zxing-cpp"] = None
except ImportError:
    print("note: zxing-cpp or Pillow missing (pip install zxing-cpp pillow); left out",
          file=sys.stderr)

def run_cli(cmd, path):
    """Payload output (bytes) and seconds for one process run."""
    start = time.perf_counter()
    p = subprocess.run(cmd + [str(path)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    return p.stdout, time.perf_counter() - start

def run_zxing(path):
    start = time.perf_counter()
    try:
        with Image.open(path) as im:
            results = zxingcpp.read_barcodes(im, formats=zxingcpp.BarcodeFormat.QRCode,
                                             text_mode=zxingcpp.TextMode.Plain)
        texts = [r.text.encode("utf-8", "surrogateescape") for r in results]
    except Exception:
        texts = []
    return texts, time.perf_counter() - start

def decode(tool, path):
    """(list of payloads or raw output bytes, median seconds) over `runs` runs."""
    times, out = [], None
    for _ in range(runs):
        if tools[tool] is None:
            out, t = run_zxing(path)
        else:
            out, t = run_cli(tools[tool], path)
        times.append(t)
    return out, statistics.median(times)

def found(out, expected):
    """Whether `expected` (bytes) is one of the payloads in a tool's output."""
    expected = expected[:-1] if expected.endswith(b"\n") else expected
    if isinstance(out, list):
        return any((t[:-1] if t.endswith(b"\n") else t) == expected for t in out)
    # CLI tools print one payload per line; payloads may themselves contain line breaks.
    return (b"\n" + expected + b"\n") in (b"\n" + out + (b"" if out.endswith(b"\n") else b"\n"))

def payloads_of(out):
    """A structured-append part's single payload (for joining the parts)."""
    if isinstance(out, list):
        return out[0] if len(out) == 1 else None
    return out[:-1] if out.endswith(b"\n") else out

rows = []  # (set, tool, decoded, total, [seconds per image])

# (a) generated screenshots: every expected code counts.
groups = {}
for png in sorted(screens.glob("*.png")):
    size = png.name.split("-")[0]
    expected = [l.encode() for l in png.with_suffix(".txt").read_text().split("\n") if l]
    groups.setdefault(size, []).append((png, expected))
for size in sorted(groups, key=lambda s: int(s.split("x")[0])):
    for tool in tools:
        hit = total = 0
        times = []
        for png, expected in groups[size]:
            out, t = decode(tool, png)
            times.append(t)
            total += len(expected)
            hit += sum(found(out, e) for e in expected)
        rows.append((f"screens {size}", tool, hit, total, times))

# (b) zxing-cpp blackbox samples: an item counts when its expected text is among the payloads;
# the structured-append parts NN-01..NN-04 count as one item when their payloads, joined in
# file-name order, equal NN.txt.
if corpus.is_dir():
    items = []
    for d in sorted(p for p in corpus.iterdir() if p.is_dir()):
        by_stem = {}
        for img in sorted(d.iterdir()):
            if img.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"):
                continue
            stem = img.stem
            head, sep, tail = stem.partition("-")
            key = head if sep and tail.isdigit() else stem
            by_stem.setdefault(key, []).append(img)
        for stem, imgs in by_stem.items():
            txt = d / f"{stem}.txt"
            if txt.exists():
                items.append((imgs, txt.read_bytes()))
    for tool in tools:
        hit, times = 0, []
        for imgs, expected in items:
            outs = []
            for img in imgs:
                out, t = decode(tool, img)
                outs.append(out)
                times.append(t)
            if len(imgs) == 1:
                hit += found(outs[0], expected)
            else:
                parts = [payloads_of(o) for o in outs]
                if all(p is not None for p in parts):
                    joined = b"".join(parts)
                    strip = lambda b: b[:-1] if b.endswith(b"\n") else b
                    hit += strip(joined) == strip(expected)
        rows.append(("zxing corpus", tool, hit, len(items), times))
else:
    print(f"note: {corpus} not found; the zxing corpus part is left out", file=sys.stderr)

print(f"QR decoding bench ({runs} timed runs per file, median; keygate = {' '.join(keygate)})")
print()
print(f"{'set':<22} {'tool':<10} {'decoded':>11} {'rate':>7} {'median/image':>13}")
for name, tool, hit, total, times in rows:
    med = statistics.median(times) * 1000
    print(f"{name:<22} {tool:<10} {hit:>5}/{total:<5} {100*hit/total:>6.1f}% {med:>10.1f} ms")
print()
print("median time ratio (lower is faster for keygate):")
for name in dict.fromkeys(r[0] for r in rows):
    med = {tool: statistics.median(times) for n, tool, _, _, times in rows if n == name}
    parts = [f"keygate/{other} = {med['keygate']/med[other]:.2f}"
             for other in ("zbarimg", "zxing-cpp") if other in med]
    print(f"  {name:<22} " + ", ".join(parts))
PY
