#!/usr/bin/env bash
# Smoke-runs every fuzz target in fuzz/ (its own cargo workspace) for
# FUZZ_SECONDS seconds each (default 10), starting from the committed corpus
# in fuzz/corpus/<target>/. The parser targets run with -max_len=65536
# -len_control=0, so inputs as long as a 64 KiB URI are tried from the
# start; the two conversation targets keep libFuzzer's defaults. The long
# documented run is scripts/fuzz-long.sh (not part of CI). New inputs go to a scratch folder, never into the
# committed corpus; crashing inputs are kept under target/fuzz-artifacts/.
#
# Needs the nightly toolchain (`rustup toolchain install nightly`) and
# cargo-fuzz, which it installs into target/tools if missing. A missing
# nightly or a failed install is a failure, never a skip.
# Prints "N passed, M failed" (the build, then one line per target); exits
# non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${FUZZ_SECONDS:-10}
passed=0
failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
ok() { echo "ok   $1"; passed=$((passed + 1)); }
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]; }

if ! cargo +nightly --version >/dev/null 2>&1; then
    fail "the nightly toolchain is not installed (rustup toolchain install nightly)"
    summary
    exit 1
fi
tools=$root/target/tools
export PATH=$tools/bin:$PATH
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz into $tools"
    if ! cargo install cargo-fuzz --locked --root "$tools"; then
        fail "cargo install cargo-fuzz"
        summary
        exit 1
    fi
fi

cd fuzz
if cargo +nightly fuzz build -O; then
    ok build
else
    fail build
    summary
    exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
artifacts=$root/target/fuzz-artifacts
mkdir -p "$artifacts"
parsers=" scram_client_first scram_server_first scram_server_final scram_client_final saslprep uri bson op_msg gssapi "
for target in $(cargo +nightly fuzz list); do
    mkdir -p "$scratch/$target"
    lens=()
    if [[ "$parsers" == *" $target "* ]]; then
        lens=(-max_len=65536 -len_control=0)
    fi
    log=$scratch/$target.log
    # The first folder receives new inputs; corpus/<target> is only read.
    if cargo +nightly fuzz run -O "$target" "$scratch/$target" "corpus/$target" -- \
        -max_total_time="$seconds" "${lens[@]}" -print_final_stats=1 \
        -artifact_prefix="$artifacts/$target-" >"$log" 2>&1; then
        runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
        speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$')
        ok "$target (${runs:-?} runs, ${speed:-?} exec/s)"
    else
        # The panic names the broken invariant; the tail has libFuzzer's verdict.
        grep -A1 'panicked at' "$log" | head -n 4
        grep -E '^(SUMMARY|artifact_prefix)' "$log"
        fail "$target (crash input under $artifacts)"
    fi
done
summary
