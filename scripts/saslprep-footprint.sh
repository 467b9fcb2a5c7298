#!/usr/bin/env bash
# Flash cost of SASLprep: build tools/saslprep-footprint (freestanding x86_64,
# opt-level "z", LTO, one codegen unit, panic=abort) without and with the
# `saslprep` feature, and print .text + .rodata of each (size -A).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
probe="$root/tools/saslprep-footprint"
target="${CARGO_TARGET_DIR:-$root/target}/saslprep-footprint"

measure() { # $1 = label, $2.. = cargo args
    local label="$1"; shift
    cargo build --quiet --release --manifest-path "$probe/Cargo.toml" --target-dir "$target/$label" "$@"
    local bin="$target/$label/release/saslprep-footprint"
    # Run it: exit status is the prepared length ("IX IX password" = 14).
    local status=0; "$bin" || status=$?
    size -A "$bin" | awk -v label="$label" -v status="$status" '
        $1 == ".text" { text = $2 } $1 == ".rodata" { rodata = $2 }
        END { printf "%-8s .text %7d  .rodata %7d  total %7d  (probe exit %d)\n", label, text, rodata, text + rodata, status
              print text + rodata > "/dev/stderr" }' 2>"$target/$label.total"
}

mkdir -p "$target"
measure without
measure with --features saslprep
without=$(cat "$target/without.total"); with=$(cat "$target/with.total")
awk -v a="$without" -v b="$with" 'BEGIN { printf "SASLprep cost: %d bytes (%.1f KiB) of .text + .rodata\n", b - a, (b - a) / 1024 }'
