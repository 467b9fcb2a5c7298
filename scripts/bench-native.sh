#!/usr/bin/env bash
# The native-CPU comparison (issue #18, "no cliff"): builds benches/native.rs
# twice, with the default flags (the `bench` profile as it is) and with
# `-C target-cpu=native` + fat LTO, then
#  1. (x86-64) scans the native binary: no legacy-encoded SHA-NI instruction in
#     mongoauth's code may run after a YMM/ZMM write without a `vzeroupper` in
#     between (the dirty-upper-state pattern; see docs/performance.md);
#  2. runs both binaries interleaved round by round (ABBA order) and prints per
#     row the median and spread of each and the ratio native/default.
# Exits non-zero if the scan finds the pattern or any row is over the limit.
# A benchmark comparison, not a timed test: ratios come from interleaved
# rounds on the same machine, so load from other processes hits both builds.
#
# Usage: scripts/bench-native.sh [--quick] [--rounds N] [--limit X]
#   --quick     6 rounds instead of 20
#   --rounds N  rounds per build
#   --limit X   the ratio over which a row fails (default 1.2)
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=20
limit=1.2
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) rounds=6 ;;
        --rounds) rounds="$2"; shift ;;
        --limit) limit="$2"; shift ;;
        *) echo "usage: $0 [--quick] [--rounds N] [--limit X]" >&2; exit 2 ;;
    esac
    shift
done

start=$SECONDS
target="${CARGO_TARGET_DIR:-target}"

# The bench executable's path from cargo's JSON messages.
build() {
    cargo bench -p mongoauth --bench native --no-run --message-format=json \
        | grep -o '"executable":"[^"]*/native-[^"]*"' | cut -d'"' -f4 | tail -n 1
}

# Both builds at once (separate target directories; on a cold target/ this
# roughly halves the wall time).
echo "== building the default bench and the native + fat LTO one" >&2
native_out=$(mktemp)
trap 'rm -f "$native_out"' EXIT
(
    export RUSTFLAGS="-C target-cpu=native" CARGO_PROFILE_BENCH_LTO=fat
    CARGO_TARGET_DIR="$target/bench-native/native" build >"$native_out"
) &
native_pid=$!
default_bin=$(
    unset RUSTFLAGS CARGO_PROFILE_BENCH_LTO CARGO_ENCODED_RUSTFLAGS
    CARGO_TARGET_DIR="$target" build
)
wait "$native_pid"
native_bin=$(cat "$native_out")
[ -x "$default_bin" ] && [ -x "$native_bin" ] || { echo "bench executables not found" >&2; exit 1; }

status=0
if [ "$(uname -m)" = x86_64 ] && command -v objdump >/dev/null; then
    echo "== scanning the native binary for SHA-NI code under a dirty upper state" >&2
    # Per function, in address order: a write to ymm0-15/zmm0-15 makes the
    # upper state dirty, vzeroupper/vzeroall cleans it; a legacy SHA
    # instruction (they have no VEX form) while dirty is reported. Static and
    # branch-blind, so it over-reports rather than under-reports.
    findings=$(objdump -d --no-show-raw-insn "$native_bin" | awk '
        /^[0-9a-f]+ <.*>:$/ { fn = $2; dirty = 0; next }
        {
            n = split($0, f, "\t"); ins = f[n]; split(ins, w, " "); op = w[1]
            if (op == "vzeroupper" || op == "vzeroall") { dirty = 0; next }
            k = split(ins, ops, ","); dst = ops[k]
            if (match(dst, /%[yz]mm[0-9]+/)) {
                r = substr(dst, RSTART + 4, RLENGTH - 4) + 0
                if (r < 16) dirty = 1
            }
            if (op ~ /^sha/ && dirty && fn ~ /mongoauth|_ZN4sha[12]/) bad[fn]++
        }
        END { for (g in bad) print bad[g], g }')
    if [ -n "$findings" ]; then
        echo "FAIL: legacy SHA-NI instructions after a YMM/ZMM write, no vzeroupper between:"
        echo "$findings"
        status=1
    else
        echo "ok: no SHA-NI instruction in mongoauth runs under a dirty upper state"
    fi
fi

echo "== $rounds interleaved rounds" >&2
"$default_bin" --compare "$native_bin" --rounds "$rounds" --limit "$limit" || status=1
echo "($((SECONDS - start)) s including builds)"
exit $status
