#!/usr/bin/env bash
# Runs the Python binding's suites against its wheel (built, installed into a
# fresh venv outside the checkout; logins to our server and FerretDB, pytest,
# scramp and pymongo interop, mypy --strict, the overhead benchmark quick) and
# the Go (cgo, go test) suites against the freshly built C library (Go through pkg-config:
# the library installed into target/go-install by ffi/packaging/install.sh;
# then the module copied outside the repository, with a prefix of its own,
# vetted, tested, and imported by path from a consumer module), then the GSSAPI examples
# in a private MIT Kerberos realm (scripts/krb-realm.sh): Python with
# python-gssapi through the binding's callbacks, Python and Go with the
# library's system GSS-API (built with --features gssapi-system into
# target/gss-system), and the Go client against the Python example's server.
# Creates target/venv (python3 -m venv; pip install scramp pytest cffi pymongo
# gssapi) if needed. A missing peer (python3, go, scramp, pytest, cffi, pymongo,
# gssapi, MIT Kerberos) is a failure, never a skip.
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
# The wheel as a user gets it: built (setuptools + cffi API mode, the Rust
# static library linked in; build tools cached in target/py-build-venv),
# installed from the wheel file alone into a FRESH venv outside the
# checkout, and used from a directory outside it with no environment
# variables: logins to our loopback server, to the package's own
# ServerSession (examples/server.py) and to FerretDB (examples/scram_login.py,
# each a counted case, a wrong password included), the pytest suite (a copy
# of bindings/python/tests) against the installed package, mypy --strict on
# the installed package and the examples, and the overhead benchmark in
# --quick mode (its figures printed; a benchmark, not a timed test).
venv=$root/target/venv
free_port() { # free_port FROM: a port nobody listens on
    local p
    for p in $(seq "$1" "$(($1 + 200))"); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
check() { # check NAME EXPECTED_EXIT PATTERN CMD...: exit status and output
    local name=$1 want=$2 pattern=$3 log rc
    shift 3
    log=$(mktemp)
    "$@" >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq "$want" ] && grep -qE "$pattern" "$log"; then
        ok "$name"
    else
        sed 's/^/     | /' "$log" | tail -n 20
        fail "$name (exit $rc, expected $want and /$pattern/)"
    fi
    rm -f "$log"
}
py_logins() { # py_logins PREFIX HOST:PORT: the login cases against one server
    local prefix=$1 addr=$2 m
    for m in SCRAM-SHA-256 SCRAM-SHA-1; do
        check "$prefix-$m" 0 "^logged in as alice on admin with $m\$" \
            "${wpy[@]}" "$pyout/examples/scram_login.py" "mongodb://alice:pencil@$addr/?authSource=admin&authMechanism=$m"
    done
    check "$prefix-negotiated" 0 '^logged in as alice on admin with SCRAM-SHA-256$' \
        "${wpy[@]}" "$pyout/examples/scram_login.py" "mongodb://alice:pencil@$addr/?authSource=admin"
    check "$prefix-wrong-password" 2 'refused: server code 18' \
        "${wpy[@]}" "$pyout/examples/scram_login.py" "mongodb://alice:wrong@$addr/?authSource=admin"
}
if ! command -v python3 >/dev/null; then
    fail "python3 not found"
else
    bvenv=$root/target/py-build-venv
    wheel_dir=$root/target/py-wheel
    if [ ! -x "$bvenv/bin/python" ] || ! "$bvenv/bin/python" -c 'import setuptools, wheel, cffi' 2>/dev/null; then
        python3 -m venv "$bvenv" && "$bvenv/bin/python" -m pip install -q setuptools wheel cffi ||
            fail "creating the wheel build venv $bvenv"
    fi
    # from a copy: the build leaves build/ and *.egg-info behind
    bsrc=$root/target/py-build-src
    rm -rf "$bsrc" "$wheel_dir" && mkdir -p "$wheel_dir" && cp -r bindings/python "$bsrc" &&
        rm -rf "$bsrc/build" "$bsrc"/src/*.egg-info "$bsrc"/src/mongoauth/_native*.so
    if cargo build -p mongoauth-demo --release --bins &&
        MONGOAUTH_SOURCE_DIR=$root "$bvenv/bin/python" -m pip wheel -q --no-deps --no-build-isolation -w "$wheel_dir" "$bsrc"; then
        ok python-wheel-build
    else
        fail python-wheel-build
    fi
    wheel=$(ls "$wheel_dir"/mongoauth-*.whl 2>/dev/null | head -1)
    echo "wheel: ${wheel:-none}"
    listing=$(unzip -l "$wheel" 2>&1)
    if [[ "$wheel" == *-cp39-abi3-linux_x86_64.whl ]] &&
        grep -q 'mongoauth/_native.abi3.so' <<<"$listing" && grep -q 'mongoauth/py.typed' <<<"$listing"; then
        ok python-wheel-platform-tag-and-library-inside
    else
        fail "python-wheel-platform-tag-and-library-inside ($wheel)"
    fi
    pyout=$(mktemp -d)
    # no checkout, no environment variables: a clean environment
    wpy=(env -i "HOME=$pyout" "PATH=/usr/bin:/bin" "$pyout/venv/bin/python")
    if [ -n "$wheel" ] && python3 -m venv "$pyout/venv" && "$pyout/venv/bin/python" -m pip install -q "$wheel"; then
        ok python-wheel-install-fresh-venv
    else
        fail python-wheel-install-fresh-venv
    fi
    cp -r bindings/python/examples "$pyout/examples"
    cp -r bindings/python/tests "$pyout/tests"
    cd "$pyout" || exit 1
    check python-wheel-import 0 '^api .*/venv/lib/python3[^/]*/site-packages/mongoauth$' \
        "${wpy[@]}" -c 'import mongoauth, mongoauth._lowlevel as ll, os; print(ll.MODE, os.path.dirname(mongoauth.__file__))'
    # our loopback server (Rust)
    lb_out=$(mktemp)
    exec 7> >(exec "$root/target/release/mongoauth-loopback-server" admin:alice:pencil >"$lb_out" 2>&1)
    for _ in $(seq 1 100); do grep -q '^PORT ' "$lb_out" && break; sleep 0.1; done
    py_logins python-wheel-loopback "127.0.0.1:$(awk '/^PORT /{print $2}' "$lb_out")"
    exec 7>&-
    # the package's own ServerSession (examples/server.py, from the wheel)
    sv_out=$(mktemp)
    exec 7> >(exec "${wpy[@]}" "$pyout/examples/server.py" admin:alice:pencil >"$sv_out" 2>&1)
    for _ in $(seq 1 100); do grep -q '^PORT ' "$sv_out" && break; sleep 0.1; done
    py_logins python-wheel-server-session "127.0.0.1:$(awk '/^PORT /{print $2}' "$sv_out")"
    exec 7>&-
    rm -f "$lb_out" "$sv_out"
    # test tools next to the wheel (not before: the logins above ran with cffi alone)
    if "$pyout/venv/bin/python" -m pip install -q pytest pymongo scramp mypy types-cffi; then
        ok python-test-tools-install
    else
        fail "python-test-tools-install (pip install pytest pymongo scramp mypy types-cffi)"
    fi
    # FerretDB (users created by pymongo as root)
    if fdb_port=$(free_port 18900) && fdb_pid=$("$root/scripts/ferretdb.sh" start "$pyout/fdb" "$fdb_port"); then
        if "${wpy[@]}" -c 'import sys, pymongo
c = pymongo.MongoClient(sys.argv[1], directConnection=True, serverSelectionTimeoutMS=5000)
c.admin.command("createUser", "alice", pwd="pencil", roles=[], mechanisms=["SCRAM-SHA-1", "SCRAM-SHA-256"])
c.close()' "mongodb://root:rootpw@127.0.0.1:$fdb_port/?authSource=admin"; then
            ok python-ferretdb-create-user
            py_logins python-wheel-ferretdb "127.0.0.1:$fdb_port"
        else
            fail python-ferretdb-create-user
        fi
        "$root/scripts/ferretdb.sh" stop "$fdb_pid"
    else
        fail "python-ferretdb-start (scripts/ferretdb.sh start; FerretDB built? scripts/ferretdb.sh build)"
    fi
    # the pytest suite against the installed package (not the source tree)
    log=$(mktemp)
    env -i "HOME=$pyout" "PATH=/usr/bin:/bin" "MONGOAUTH_HEADER=$root/include/mongoauth.h" \
        "$pyout/venv/bin/python" -m pytest -q -p no:cacheprovider "$pyout/tests" | tee "$log"
    rc=${PIPESTATUS[0]}
    np=$(grep -oE '[0-9]+ passed' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
    nf=$(grep -oE '[0-9]+ (failed|errors?)' "$log" | awk '{s += $1} END {print s + 0}')
    passed=$((passed + ${np:-0}))
    failed=$((failed + ${nf:-0}))
    if [ "$rc" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then fail "pytest exited $rc"; fi
    if grep -q "$pyout/venv/lib/.*site-packages/mongoauth" <("${wpy[@]}" -c 'import mongoauth; print(mongoauth.__file__)'); then
        ok python-tests-used-the-installed-wheel
    else
        fail python-tests-used-the-installed-wheel
    fi
    rm -f "$log"
    # mypy --strict: the installed package and the examples
    check python-mypy-strict-package 0 '^Success' "${wpy[@]}" -m mypy --strict -p mongoauth
    cp -r "$root/bindings/python/bench" "$pyout/bench"
    check python-mypy-strict-examples 0 '^Success' \
        "${wpy[@]}" -m mypy --strict --config-file "$root/bindings/python/pyproject.toml" "$pyout/examples" "$pyout/bench"
    # the overhead benchmark, quick (a few seconds): figures printed, not judged
    check python-bench-quick 0 '^in memory .*ratio' \
        "${wpy[@]}" "$root/bindings/python/bench/login_overhead.py" --quick \
        --helper "$root/target/release/mongoauth-login-bench" --server "$root/target/release/mongoauth-loopback-server"
    "${wpy[@]}" "$root/bindings/python/bench/login_overhead.py" --quick --no-tcp \
        --helper "$root/target/release/mongoauth-login-bench" | sed 's/^/     bench | /'
    cd "$root" || exit 1
    rm -rf "$pyout"
    # target/venv: the GSSAPI examples below run from the source tree in
    # cffi ABI mode (MONGOAUTH_LIB: libraries built with other features)
    # with python-gssapi
    if [ ! -x "$venv/bin/python" ]; then
        python3 -m venv "$venv" || fail "creating $venv"
    fi
    if ! "$venv/bin/python" -c 'import cffi, gssapi' 2>/dev/null; then
        "$venv/bin/python" -m pip install -q cffi gssapi || fail "pip install cffi gssapi into $venv"
    fi
fi

# ---- Go ------------------------------------------------------------------------
# The binding finds the library through pkg-config only (#cgo pkg-config:
# mongoauth): ffi/packaging/install.sh (the install c-tests.sh checks) puts
# it into target/go-install; the rpath lets the test binaries find
# libmongoauth.so there.
go_env() { # go_env PREFIX CMD...: CMD with PREFIX's mongoauth.pc and rpath
    local prefix=$1
    shift
    env PKG_CONFIG_PATH="$prefix/lib/pkgconfig" CGO_LDFLAGS="-Wl,-rpath,$prefix/lib" "$@"
}
go_test() { # go_test DIR: go test -v in DIR, counting each test and example
    local log rc np nf
    log=$(mktemp)
    # cgocheck2: full checks of the cgo pointer-passing rules.
    (cd "$1" && go_env "$go_prefix" env GOEXPERIMENT=cgocheck2 go test -count=1 -v ./...) | tee "$log"
    rc=${PIPESTATUS[0]}
    np=$(grep -cE '^--- PASS' "$log")
    nf=$(grep -cE '^--- FAIL' "$log")
    passed=$((passed + np))
    failed=$((failed + nf))
    if [ "$rc" -ne 0 ] && [ "$nf" -eq 0 ]; then fail "go test in $1 exited $rc"; fi
    rm -f "$log"
}
go_prefix=$root/target/go-install
if ! command -v go >/dev/null; then
    fail "go not found"
elif ! command -v pkg-config >/dev/null; then
    fail "pkg-config not found (apt-get install pkg-config)"
elif rm -rf "$go_prefix" && ffi/packaging/install.sh "$go_prefix" >/dev/null; then
    ok go-install-library
    if (cd bindings/go && test -z "$(gofmt -l .)" && go_env "$go_prefix" go vet ./...); then ok go-vet; else fail go-vet; fi
    go_test bindings/go
    # The module from a copy outside the repository: nothing but the copy, a
    # prefix of its own (pkg-config) and a consumer module importing it by
    # its path (github.com/mongoauth/mongoauth/bindings/go).
    outside=$(mktemp -d)
    cp -r bindings/go "$outside/mongoauth-go"
    if ffi/packaging/install.sh "$outside/prefix" >/dev/null; then ok go-outside-install; else fail go-outside-install; fi
    saved_prefix=$go_prefix
    go_prefix=$outside/prefix
    if (cd "$outside/mongoauth-go" && go_env "$go_prefix" go vet ./... && go_env "$go_prefix" go build ./...); then
        ok go-outside-build
    else
        fail go-outside-build
    fi
    go_test "$outside/mongoauth-go"
    mkdir -p "$outside/consumer"
    cat >"$outside/consumer/go.mod" <<'GOMOD'
module example.com/consumer

go 1.22

require github.com/mongoauth/mongoauth/bindings/go v0.0.0

replace github.com/mongoauth/mongoauth/bindings/go => ../mongoauth-go
GOMOD
    cat >"$outside/consumer/main.go" <<'GOMAIN'
package main

import (
	"fmt"

	mongoauth "github.com/mongoauth/mongoauth/bindings/go"
)

func main() {
	u, err := mongoauth.ParseURI("mongodb://alice:pencil@db.example.com/?authSource=admin")
	if err != nil {
		panic(err)
	}
	defer u.Close()
	c, err := u.Credential()
	if err != nil {
		panic(err)
	}
	fmt.Printf("mongoauth %s: %s on %s\n", mongoauth.Version(), c.Username, c.Source)
}
GOMAIN
    # (no tee /dev/stderr: reopening a redirected stderr truncates its log)
    if consumer_out=$(cd "$outside/consumer" && go_env "$go_prefix" go build -o consumer . && ./consumer) &&
        echo "$consumer_out" && grep -q '^mongoauth 0\.1\.0: alice on admin$' <<<"$consumer_out"; then
        ok go-outside-consumer
    else
        fail go-outside-consumer
    fi
    go_prefix=$saved_prefix
    rm -rf "$outside"
else
    fail go-install-library
fi

# ---- GSSAPI in a real realm ------------------------------------------------------
krb_dir=$root/target/bindings-krb
krb_port=
stop_realm() {
    [ -n "$krb_port" ] && scripts/krb-realm.sh stop "$krb_dir" >/dev/null 2>&1
    [ -n "${serve_pid:-}" ] && kill "$serve_pid" 2>/dev/null
    krb_port=
}
trap stop_realm EXIT
if krb_port=$(free_port 18700) && KRB_PORT=$krb_port scripts/krb-realm.sh start "$krb_dir" >/dev/null; then
    ok gss-realm
    # shellcheck disable=SC1091
    . "$krb_dir/env"
    kdestroy -q 2>/dev/null
    echo userpw | kinit user@MONGOAUTH.TEST >/dev/null || fail "kinit"
    GSS_OK='logged in with GSSAPI as user@MONGOAUTH\.TEST'
    OTHER="mongodb://user%40MONGOAUTH.TEST@localhost:PORT/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other"
    py=(env MONGOAUTH_LIB="$root/target/release/libmongoauth.so" PYTHONPATH="$root/bindings/python/src" "$venv/bin/python" bindings/python/examples/gss_login.py)
    # Python, python-gssapi on both sides (the acceptor through C callbacks)
    check gss-python-kinit 0 "$GSS_OK" "${py[@]}"
    check gss-python-unknown-principal 2 'server code 18' "${py[@]}" --no-user
    check gss-python-wrong-service 3 'major 0xd0000 minor 0x96c73a07: .*not found in Kerberos database' "${py[@]}" "$OTHER"
    kdestroy -q 2>/dev/null
    check gss-python-client-keytab 0 "$GSS_OK" env KRB5_CLIENT_KTNAME="FILE:$krb_dir/user.keytab" "${py[@]}"
    check gss-python-password 0 "$GSS_OK" "${py[@]}" "mongodb://user%40MONGOAUTH.TEST:userpw@localhost:PORT/?authMechanism=GSSAPI"
    echo userpw | kinit user@MONGOAUTH.TEST >/dev/null || fail "kinit"
    # the library's system GSS-API (its own target directory)
    if cargo build -p mongoauth-ffi --release --features gssapi-system --target-dir target/gss-system; then
        ok build-library-gssapi-system
        pys=(env MONGOAUTH_LIB="$root/target/gss-system/release/libmongoauth.so" PYTHONPATH="$root/bindings/python/src" "$venv/bin/python" bindings/python/examples/gss_login.py --system)
        check gss-python-system 0 "$GSS_OK" "${pys[@]}"
        check gss-python-system-wrong-service 3 'major 0xd0000 minor 0x96c73a07' "${pys[@]}" "$OTHER"
        goex=$root/target/gsslogin
        # its own prefix: the tag adds pkg-config krb5-gssapi to mongoauth
        gss_prefix=$root/target/go-install-gss
        rm -rf "$gss_prefix"
        if command -v go >/dev/null &&
            MONGOAUTH_LIB_DIR=$root/target/gss-system/release ffi/packaging/install.sh "$gss_prefix" >/dev/null &&
            (cd bindings/go && go_env "$gss_prefix" go build -tags mongoauth_gssapi_system -o "$goex" ./examples/gsslogin); then
            ok build-go-gsslogin
            check gss-go-system 0 "$GSS_OK" "$goex"
            check gss-go-unknown-principal 2 'refused' "$goex" -no-user
            check gss-go-wrong-service 3 'GSS failure: major 0xd0000 minor 0x96c73a07' "$goex" \
                "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other"
            # the Go client (system library) against the Python example's
            # server (python-gssapi acceptor), over TCP
            serve_out=$(mktemp)
            exec 8> >("${py[@]}" --serve >"$serve_out" 2>&1)
            serve_pid=$!
            for _ in $(seq 1 100); do grep -q '^PORT ' "$serve_out" && break; sleep 0.1; done
            sport=$(awk '/^PORT /{print $2}' "$serve_out")
            check gss-go-to-python-server 0 "$GSS_OK" "$goex" -addr "127.0.0.1:$sport" \
                "mongodb://user%40MONGOAUTH.TEST@localhost:$sport/?authMechanism=GSSAPI"
            exec 8>&-
            rm -f "$serve_out"
        else
            fail build-go-gsslogin
        fi
    else
        fail build-library-gssapi-system
    fi
    stop_realm
else
    fail "gss-realm (scripts/krb-realm.sh start; MIT Kerberos installed? scripts/install-peers.sh)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
