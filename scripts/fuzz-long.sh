#!/usr/bin/env bash
# The long fuzz run (not part of CI): each parser target (or the targets
# named as arguments) runs to FUZZ_RUNS executions (default 10^7), one
# process, one worker, from the committed corpus in fuzz/corpus/<target>/,
# with -max_len=65536 -len_control=0 so that large inputs (long URIs, big
# documents) are explored from the start. New inputs go to
# target/fuzz-long/corpus/<target> (kept between runs, never committed);
# crashing inputs to target/fuzz-artifacts/. docs/fuzzing.md records the
# figures of the last documented run.
#
# Usage: scripts/fuzz-long.sh [target...]   (FUZZ_RUNS=N to change the count)
# FUZZ_SANITIZER=none builds without AddressSanitizer (cargo fuzz -s none),
# for targets whose code has no `unsafe` (all but the SHA-NI PBKDF2 loop,
# which no parser reaches): bounds and overflow errors are then caught by
# Rust itself, and each execution runs about twice as fast. Default: address.
# FUZZ_TRACE_COMPARES=0 builds without cargo-fuzz's comparison tracing
# (--no-trace-compares): libFuzzer then learns from edge coverage alone,
# not from the operands of comparisons. For saslprep with inputs of up to
# 64 KiB that tracing was 80% of each execution (perf, 2026-12-05); the
# corpus that the traced runs built is its seed. Default: on.
# On a shared machine: nice -n 10 scripts/fuzz-long.sh
# Prints one Markdown table row per target (executions, seconds, exec/s,
# crashes, corpus entries) and writes them to target/fuzz-long/summary.md;
# exits non-zero if any target crashed or did not finish its runs.
# Needs nightly and cargo-fuzz (scripts/fuzz-smoke.sh installs it).
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${FUZZ_RUNS:-10000000}
parsers="scram_client_first scram_server_first scram_server_final scram_client_final saslprep uri bson op_msg gssapi"
targets=${*:-$parsers}
export PATH=$root/target/tools/bin:$PATH
out=$root/target/fuzz-long
artifacts=$root/target/fuzz-artifacts
mkdir -p "$out" "$artifacts"
summary=$out/summary.md
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
    echo "Run of $(date -u +%Y-%m-%dT%H:%MZ) at $commit, FUZZ_RUNS=$runs, sanitizer ${FUZZ_SANITIZER:-address}, trace-compares ${FUZZ_TRACE_COMPARES:-1}, -max_len=65536 -len_control=0, 1 worker"
    echo
    echo "| target | executions | time (s) | exec/s | crashes | corpus entries |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
} >"$summary"
cat "$summary"

cd fuzz
sanitizer=${FUZZ_SANITIZER:-address}
trace=()
if [ "${FUZZ_TRACE_COMPARES:-1}" = 0 ]; then trace=(--no-trace-compares); fi
cargo +nightly fuzz build -O -s "$sanitizer" "${trace[@]}" || exit 1
bad=0
for target in $targets; do
    corpus=$out/corpus/$target
    mkdir -p "$corpus"
    log=$out/$target.log
    start=$(date +%s)
    cargo +nightly fuzz run -O -s "$sanitizer" "${trace[@]}" "$target" "$corpus" "corpus/$target" -- \
        -runs="$runs" -max_len=65536 -len_control=0 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$target-" >"$log" 2>&1
    status=$?
    secs=$(($(date +%s) - start))
    done_runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
    speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
    entries=$(find "$corpus" -type f | wc -l)
    crashes=0
    if [ "$status" -ne 0 ]; then
        crashes=1
        bad=1
        grep -A1 'panicked at' "$log" | head -n 4
    elif [ "${done_runs:-0}" -lt "$runs" ]; then
        bad=1
    fi
    row="| $target | ${done_runs:-?} | $secs | ${speed:-?} | $crashes | $entries |"
    echo "$row" | tee -a "$summary"
done
exit "$bad"
