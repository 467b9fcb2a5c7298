#!/usr/bin/env bash
# Runs the Python (cffi, pytest, scramp and pymongo interop) and Go (cgo, go test)
# binding suites against the freshly built C library. Creates target/venv
# (python3 -m venv; pip install scramp pytest cffi pymongo) if needed. A missing peer
# (python3, go, scramp, pytest, cffi, pymongo) is a failure, never a skip.
# Prints "N passed, M failed" (individual pytest and go tests, plus the build
# and vet steps); exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
passed=0
failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
ok() { echo "ok   $1"; passed=$((passed + 1)); }

if cargo build -p mongoauth-ffi --release; then ok build-library; else fail build-library; fi

# ---- Python --------------------------------------------------------------------
venv=$root/target/venv
if ! command -v python3 >/dev/null; then
    fail "python3 not found"
else
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" || fail "creating $venv"
    fi
    if ! "$venv/bin/python" -c 'import scramp, pytest, cffi, pymongo' 2>/dev/null; then
        "$venv/bin/pip" install -q scramp pytest cffi pymongo || fail "pip install into $venv"
    fi
    if "$venv/bin/python" -c 'import scramp, pytest, cffi, pymongo' 2>/dev/null; then
        log=$(mktemp)
        MONGOAUTH_LIB=$root/target/release/libmongoauth.so "$venv/bin/python" -m pytest -q -p no:cacheprovider bindings/python | tee "$log"
        rc=${PIPESTATUS[0]}
        np=$(grep -oE '[0-9]+ passed' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
        nf=$(grep -oE '[0-9]+ (failed|errors?)' "$log" | awk '{s += $1} END {print s + 0}')
        passed=$((passed + ${np:-0}))
        failed=$((failed + ${nf:-0}))
        if [ "$rc" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then fail "pytest exited $rc"; fi
        rm -f "$log"
    else
        fail "python peers missing in $venv (pip install scramp pytest cffi pymongo)"
    fi
fi

# ---- Go ------------------------------------------------------------------------
if ! command -v go >/dev/null; then
    fail "go not found"
else
    if (cd bindings/go && test -z "$(gofmt -l .)" && go vet ./...); then ok go-vet; else fail go-vet; fi
    # cgocheck2: full checks of the cgo pointer-passing rules.
    log=$(mktemp)
    (cd bindings/go && GOEXPERIMENT=cgocheck2 go test -count=1 -v ./...) | tee "$log"
    rc=${PIPESTATUS[0]}
    np=$(grep -cE '^--- PASS' "$log")
    nf=$(grep -cE '^--- FAIL' "$log")
    passed=$((passed + np))
    failed=$((failed + nf))
    if [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then fail "go test exited $rc"; fi
    rm -f "$log"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
