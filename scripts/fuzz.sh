#!/usr/bin/env bash
# Fuzzes the parsers that read untrusted text (otpauth URIs, Google Authenticator exports) for a
# bounded time each, and fails if any target crashes.
#
# Usage: scripts/fuzz.sh [TARGET...]       (default: every target in fuzz/fuzz_targets)
# Environment:
#   FUZZ_SECONDS      seconds per target (default 60)
#   FUZZ_SANITIZER    address (default) or none; none is faster and still catches panics
#   CARGO_FUZZ_ROOT   where cargo-fuzz is installed if missing (default ~/.cache/keygate-tools)
#
# Only a stable toolchain is needed: cargo fuzz passes nightly-only flags (-Z sanitizer, …),
# which RUSTC_BOOTSTRAP=1 lets the stable compiler accept.
# Crashing inputs land in fuzz/artifacts/TARGET/; replay one with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-…   (from fuzz/)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${FUZZ_SECONDS:-60}"
sanitizer="${FUZZ_SANITIZER:-address}"
tools="${CARGO_FUZZ_ROOT:-$HOME/.cache/keygate-tools}"

if [[ ! "$seconds" =~ ^[0-9]+$ ]] || ((seconds < 1)); then
    echo "fuzz.sh: FUZZ_SECONDS must be a positive whole number, not '$seconds'" >&2
    exit 2
fi

if [[ ! -x "$tools/bin/cargo-fuzz" ]]; then
    echo "fuzz.sh: installing cargo-fuzz into $tools"
    cargo install cargo-fuzz --locked --root "$tools"
fi
export PATH="$tools/bin:$PATH"
export RUSTC_BOOTSTRAP=1

cd "$root/fuzz"
if (($# > 0)); then
    targets=("$@")
else
    targets=()
    for file in fuzz_targets/*.rs; do
        targets+=("$(basename "$file" .rs)")
    done
fi

failed=()
for target in "${targets[@]}"; do
    echo "fuzz.sh: running $target for ${seconds}s (sanitizer: $sanitizer)"
    mkdir -p "corpus/$target"
    extra=()
    [[ -d "seeds/$target" ]] && extra+=("seeds/$target")
    options=("-max_total_time=$seconds" "-timeout=10" "-rss_limit_mb=2048")
    [[ -f "dicts/$target.dict" ]] && options+=("-dict=dicts/$target.dict")
    # The first corpus directory collects new inputs (git-ignored); seeds/ is only read.
    if ! cargo fuzz run --sanitizer "$sanitizer" "$target" "corpus/$target" "${extra[@]}" \
        -- "${options[@]}"; then
        failed+=("$target")
    fi
done

if ((${#failed[@]} > 0)); then
    echo "fuzz.sh: crashes found in: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: no crash in ${targets[*]} (${seconds}s each)"
