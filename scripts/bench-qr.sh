#!/usr/bin/env bash
# QR decoding bench, build or buy: keygate-qr, rxing (the Rust port of ZXing), keygate with rxing
# as a fallback, zxing-cpp (PyPI zxing-cpp) and zbarimg (Debian zbar-tools) decode the same files
# in one run:
#   (a) generated screenshots (crates/qr/examples/gen_corpus.rs, tests/support/screens.rs): the
#       bench screens at 1920x1080, 3840x2160 and 7680x4320, the screens of
#       tests/generated_corpus.rs and its 64-screen HiDPI resampling matrix (HiDPI-scaled,
#       turned, skewed, dark-mode and JPEG-compressed codes among UI clutter);
#   (b) screens without any code at those three sizes (nothing must be found; the slowest case);
#   (c) the zxing-cpp blackbox samples in ../shared/qr-corpus (photos and scans), scored as its
#       README says (138 items);
#   (d) the same samples turned 0, 90, 180 and 270 degrees (552 items; turned copies are
#       lossless PNGs made with Pillow).
# Prints one table with every tool side by side (decoded, rate, median time per image), each
# tool's median time as a multiple of keygate's, and the items rxing reads that keygate misses.
#
# keygate (the own detector alone), rxing (alone) and keygate+rxing (keygate-qr as it ships:
# rxing only on the own detector's misses) run in crates/qr-bench, zxing-cpp inside Python;
# each is timed in-process from reading the file to the payloads (image load + decode).
# zbarimg is timed as a whole process (it has no library here), which adds its start-up to
# every image.
#
# Needs: cargo, python3 with Pillow and zxing-cpp (pip install zxing-cpp pillow), zbarimg
# (apt-get install zbar-tools). A missing comparison tool is reported and left out.
#
# Environment: RUNS (timed runs per file, median taken; default 3), QR_CORPUS (default
# ../shared/qr-corpus next to the repository), TOOLS (space-separated subset of
# "keygate rxing keygate+rxing zxing-cpp zbarimg"; default all).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CORPUS=${QR_CORPUS:-$ROOT/../shared/qr-corpus}
RUNS=${RUNS:-3}
TOOLS=${TOOLS:-keygate rxing keygate+rxing zxing-cpp zbarimg}
cd "$ROOT"

TARGET=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

echo "building (release)..." >&2
cargo build --release --quiet -p keygate-qr --example gen_corpus
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# keygate-qr's own detector alone, and as it ships (rxing on the own detector's misses).
cargo build --release --quiet -p keygate-qr-bench
cp "$TARGET/release/keygate-qr-bench" "$WORK/bench-own"
cargo build --release --quiet -p keygate-qr-bench --features fallback
cp "$TARGET/release/keygate-qr-bench" "$WORK/bench-fallback"
echo "generating screenshots..." >&2
"$TARGET/release/examples/gen_corpus" "$WORK/screens" >/dev/null

python3 - "$WORK" "$CORPUS" "$RUNS" "$TOOLS" <<'PY'
import json, shutil, statistics, subprocess, sys, time
from pathlib import Path

work, corpus, runs = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
wanted = sys.argv[4].split()
# tool -> (bench binary, its decoder)
bench = {"keygate": (work / "bench-own", "keygate"), "rxing": (work / "bench-own", "rxing"),
         "keygate+rxing": (work / "bench-fallback", "keygate")}

tools = [t for t in ("keygate", "rxing", "keygate+rxing") if t in wanted]
if "zxing-cpp" in wanted:
    try:
        import zxingcpp
        tools.append("zxing-cpp")
    except ImportError:
        print("note: zxing-cpp missing (pip install zxing-cpp); left out", file=sys.stderr)
if "zbarimg" in wanted:
    if shutil.which("zbarimg"):
        tools.append("zbarimg")
    else:
        print("note: zbarimg not found (apt-get install zbar-tools); left out", file=sys.stderr)
try:
    from PIL import Image
except ImportError:
    Image = None
    print("note: Pillow missing (pip install pillow); rotations left out", file=sys.stderr)

def strip(b):
    return b[:-1] if b.endswith(b"\n") else b

# ---- the sets: name -> list of (item name, [images], [expected payloads, all required]) ----
sets = {}
screens = work / "screens"
for png in sorted((screens / "bench").glob("*.png")):
    size = png.name.split("-")[0]
    sets.setdefault(f"screens {size}", [])
for sub, label in (("bench", None), ("tests", "screens tests"), ("hidpi", "screens hidpi"),
                   ("empty", None)):
    for png in sorted((screens / sub).glob("*.png")):
        txt = png.parent / (png.name[:-4] + ".txt")
        expected = [l.encode() for l in txt.read_text().split("\n") if l]
        size = png.name.split("-")[0]
        name = (f"no code {size}" if sub == "empty" else label) or f"screens {size}"
        # Every expected code is its own item; a screen without code is one item, read
        # correctly when nothing is reported.
        for e in expected or [None]:
            sets.setdefault(name, []).append((png.name, [png], [e] if e else []))

def corpus_items(root):
    items = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        by_stem = {}
        for img in sorted(d.iterdir()):
            if img.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp"):
                continue
            head, sep, tail = img.stem.partition("-")
            key = head if sep and tail.isdigit() else img.stem
            by_stem.setdefault(key, []).append(img)
        for stem, imgs in by_stem.items():
            txt = d / f"{stem}.txt"
            if txt.exists():
                items.append((f"{d.name}/{stem}", imgs, [txt.read_bytes()]))
    return items

if corpus.is_dir():
    items = corpus_items(corpus)
    sets["zxing corpus"] = items
    if Image is not None:
        rot = work / "rotated"
        turned = []
        for name, imgs, expected in items:
            turned.append((f"{name}@0", imgs, expected))
            for angle, op in ((90, Image.Transpose.ROTATE_90), (180, Image.Transpose.ROTATE_180),
                              (270, Image.Transpose.ROTATE_270)):
                outs = []
                for img in imgs:
                    out = rot / str(angle) / img.parent.name / (img.name + ".png")
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with Image.open(img) as im:
                        if im.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
                            im = im.convert("RGB")
                        im.transpose(op).save(out)
                    outs.append(out)
                turned.append((f"{name}@{angle}", outs, expected))
        sets["rotations 0/90/180/270"] = turned
else:
    print(f"note: {corpus} not found; the zxing corpus sets are left out", file=sys.stderr)

paths = list(dict.fromkeys(str(p) for items in sets.values() for _, imgs, _ in items for p in imgs))

# ---- decoding: tool -> path -> (payloads as bytes, median seconds) ----
def run_bench(tool):
    binary, decoder = bench[tool]
    p = subprocess.run([str(binary), decoder, str(runs)], input="\n".join(paths) + "\n",
                       stdout=subprocess.PIPE, text=True, check=True)
    out = {}
    for line in p.stdout.splitlines():
        r = json.loads(line)
        out[r["path"]] = ([s.encode("utf-8", "surrogateescape") for s in r["payloads"]], r["seconds"])
    return out

def run_zxing(path):
    try:
        with Image.open(path) as im:
            results = zxingcpp.read_barcodes(im, formats=zxingcpp.BarcodeFormat.QRCode,
                                             text_mode=zxingcpp.TextMode.Plain)
        return [r.text.encode("utf-8", "surrogateescape") for r in results]
    except Exception:
        return []

def run_zbar(path):
    p = subprocess.run(["zbarimg", "--raw", "-q", path], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return p.stdout

def timed(fn, path):
    times, out = [], None
    for _ in range(runs):
        start = time.perf_counter()
        out = fn(path)
        times.append(time.perf_counter() - start)
    return out, statistics.median(times)

results = {}
for tool in tools:
    print(f"decoding with {tool} ({len(paths)} images x {runs} runs)...", file=sys.stderr)
    if tool in ("keygate", "rxing", "keygate+rxing"):
        results[tool] = run_bench(tool)
    elif tool == "zxing-cpp":
        results[tool] = {p: timed(run_zxing, p) for p in paths}
    else:
        results[tool] = {p: timed(run_zbar, p) for p in paths}

def found(out, expected):
    """Whether `expected` is one of the payloads (a list, or a CLI's lines)."""
    expected = strip(expected)
    if isinstance(out, list):
        return any(strip(t) == expected for t in out)
    # zbarimg prints one payload per line; payloads may themselves contain line breaks.
    return (b"\n" + expected + b"\n") in (b"\n" + out + (b"" if out.endswith(b"\n") else b"\n"))

def single(out):
    """A structured-append part's one payload, for joining the parts."""
    if isinstance(out, list):
        return out[0] if len(out) == 1 else None
    return strip(out)

def item_hit(tool, imgs, expected):
    outs = [results[tool][str(p)][0] for p in imgs]
    if not expected:
        return all(len(o) == 0 for o in outs)
    if len(imgs) == 1:
        return all(found(outs[0], e) for e in expected)
    parts = [single(o) for o in outs]
    return all(p is not None for p in parts) and strip(b"".join(parts)) == strip(expected[0])

table = {}  # (set, tool) -> (hits, total, median seconds per image, missed names)
for name, items in sets.items():
    for tool in tools:
        hits, missed = 0, []
        for item, imgs, expected in items:
            if item_hit(tool, imgs, expected):
                hits += 1
            else:
                missed.append(item)
        imgs = list(dict.fromkeys(str(p) for _, ps, _ in items for p in ps))
        med = statistics.median(results[tool][p][1] for p in imgs)
        table[(name, tool)] = (hits, len(items), med, missed)

print(f"QR decoding bench: {runs} timed runs per image, median; time = median per image")
print("(keygate, rxing, keygate+rxing, zxing-cpp: in-process load + decode; zbarimg: whole process)")
print()
w = 22
print(f"{'set':<24}" + "".join(f"{t:>{w}}" for t in tools))
for name in sets:
    row = f"{name:<24}"
    for tool in tools:
        hits, total, med, _ = table[(name, tool)]
        row += f"{f'{hits}/{total} {100*hits/total:.1f}% {med*1000:.1f}ms':>{w}}"
    print(row)
print()
if "rotations 0/90/180/270" in sets:
    print("rotations by angle:", "; ".join(
        f"{tool} " + " ".join(
            f"{a}:{sum(1 for n in table[('rotations 0/90/180/270', tool)][3] if n.endswith(f'@{a}'))}"
            for a in (0, 90, 180, 270)) + " missed"
        for tool in tools))
    print()
if "keygate" in tools:
    others = [t for t in tools if t != "keygate"]
    print("decoded minus keygate's, and median time as a multiple of keygate's:")
    print(f"{'set':<24}" + "".join(f"{t:>{w}}" for t in others))
    for name in sets:
        kh, _, kt, _ = table[(name, "keygate")]
        row = f"{name:<24}"
        for tool in others:
            hits, _, med, _ = table[(name, tool)]
            row += f"{f'{hits - kh:+d}  x{med / kt:.2f}':>{w}}"
        print(row)
    print()
    for other in ("rxing", "zxing-cpp"):
        if other not in tools:
            continue
        for name in sets:
            kmiss = set(table[(name, "keygate")][3])
            omiss = set(table[(name, other)][3])
            gained = sorted(kmiss - omiss)
            lost = sorted(omiss - kmiss)
            if gained or lost:
                print(f"{name}: {other} reads {len(gained)} that keygate misses"
                      + (f" ({' '.join(gained[:12])}{' ...' if len(gained) > 12 else ''})" if gained else "")
                      + f"; misses {len(lost)} that keygate reads")
PY
