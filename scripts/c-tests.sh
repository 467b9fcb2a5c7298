#!/usr/bin/env bash
# The C ABI test suite:
#   * builds the hosted and the no_std libraries (the no_std build proves no
#     std/alloc leaks into the firmware library), checks no malloc in it;
#   * regenerates the headers (ffi/gen-headers.py --check: cbindgen 0.29.4,
#     split per object) and fails if any committed one (include/mongoauth.h,
#     include/mongoauth/*.h) is stale;
#   * compiles the umbrella header as C99, C11, C17, C2x, C++11 and C++17,
#     and every per-object header alone as C99, C11, C2x and C++17, -Wall
#     -Wextra -pedantic -Werror (and freestanding);
#   * symbol names: every exported symbol is mongoauth_<object>_<verb> with
#     an object from the list below, declared in that object's header, and
#     every declared function is exported (and the check is shown to catch
#     each of those on a small library of bad names); every function has MONGOAUTH_API
#     and every status-returning one MONGOAUTH_NODISCARD;
#   * no-discard: a call that ignores a status does not compile under
#     -Werror (C11, C2x, C++17); a (void) cast does (C2x, C++17), and so
#     does (void)! under C11 (GCC ignores a plain (void) there);
#   * constcheck: every MONGOAUTH_*_{SIZE,ALIGN,BYTES,...} macro equals its
#     runtime function;
#   * builds and runs every example and C test plainly, under ASan+UBSan, and
#     under valgrind (connect.c against the loopback server of
#     demo/src/bin/mongoauth-loopback-server.rs); runs the scram example against the shared
#     library;
#   * installs into target/c-install and builds against it with pkg-config
#     and with a CMake find_package(mongoauth) project.
# Installs cbindgen into target/tools (reused) and valgrind (apt, if root)
# when missing. Prints "N passed, M failed"; exits non-zero on any failure.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=$root/target/c-tests
rm -rf "$out"
mkdir -p "$out"
passed=0
failed=0
failures=()

step() { # step NAME CMD...  (output to $out/log/NAME.log)
    local name=$1
    shift
    mkdir -p "$out/log"
    if "$@" >"$out/log/$name.log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "FAIL $name (log: $out/log/$name.log)"
        tail -n 20 "$out/log/$name.log" | sed 's/^/     | /'
    fi
}

# ---- tools ------------------------------------------------------------------
CBINDGEN=$root/target/tools/bin/cbindgen
if ! { [ -x "$CBINDGEN" ] && "$CBINDGEN" --version | grep -q ' 0.29.4$'; }; then
    echo "installing cbindgen 0.29.4 into target/tools (about 5 minutes)"
    cargo install cbindgen --version 0.29.4 --locked --root "$root/target/tools" || exit 1
fi
if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y valgrind >/dev/null || { apt-get update >/dev/null && apt-get install -y valgrind >/dev/null; }
    fi
fi
CC=${CC:-gcc}
CXX=${CXX:-g++}
STRICT="-Wall -Wextra -pedantic -Werror"
HOSTED_LIB=$root/target/release/libmongoauth.a
NOSTD_LIB=$root/target/nostd/release/libmongoauth.a
HOSTED_LIBS="-lpthread -ldl -lm -lrt -lutil"

# ---- libraries --------------------------------------------------------------
step build-hosted cargo build -p mongoauth-ffi --release
step build-nostd cargo build -p mongoauth-ffi --release --no-default-features --features panic-handler \
    --target-dir target/nostd
nostd_clean() {
    # no allocator symbols referenced, and no std/alloc feature in the tree
    if nm -u "$NOSTD_LIB" 2>/dev/null | grep -E ' U (malloc|calloc|realloc|free|__rust_alloc|__rust_dealloc)$'; then
        return 1
    fi
    ! cargo tree -p mongoauth-ffi --no-default-features --features panic-handler -e normal \
        -f '{p} [{f}]' --prefix none | sort -u | grep -E '\[([^]]*,)?(std|alloc)(,[^]]*)?\]'
}
step nostd-no-alloc nostd_clean

# ---- header -----------------------------------------------------------------
header_fresh() {
    CBINDGEN=$CBINDGEN python3 ffi/gen-headers.py --check
}
step header-up-to-date header_fresh
printf '#include "mongoauth.h"\nint main(void) { return mongoauth_version_number() == MONGOAUTH_VERSION_NUMBER ? 0 : 1; }\n' >"$out/header.c"
cp "$out/header.c" "$out/header.cpp"
for std in c99 c11 c17 c2x; do
    step "header-$std" $CC -std=$std $STRICT -Iinclude -c "$out/header.c" -o "$out/header-$std.o"
done
step header-c99-freestanding $CC -std=c99 $STRICT -DMONGOAUTH_FREESTANDING -Iinclude -c "$out/header.c" -o "$out/header-fs.o"
step header-c++11 $CXX -std=c++11 $STRICT -Iinclude -c "$out/header.cpp" -o "$out/header-cpp11.o"
step header-c++17 $CXX -std=c++17 $STRICT -Iinclude -c "$out/header.cpp" -o "$out/header-cpp.o"
step header-c++17-links $CXX -std=c++17 $STRICT -Iinclude "$out/header.cpp" "$HOSTED_LIB" $HOSTED_LIBS -o "$out/header-cpp"
step header-c++17-runs "$out/header-cpp"
# each per-object header on its own (it includes what it needs)
per_object_headers() {
    local h name rc=0 std
    for h in include/mongoauth/*.h; do
        name=mongoauth/$(basename "$h")
        printf '#include "%s"\nint main(void) { return 0; }\n' "$name" >"$out/one.c"
        cp "$out/one.c" "$out/one.cpp"
        for std in c99 c11 c2x; do
            $CC -std=$std $STRICT -Iinclude -c "$out/one.c" -o "$out/one.o" || { echo "$name alone fails as $std"; rc=1; }
        done
        $CC -std=c99 $STRICT -DMONGOAUTH_FREESTANDING -Iinclude -c "$out/one.c" -o "$out/one.o" ||
            { echo "$name alone fails freestanding"; rc=1; }
        $CXX -std=c++17 $STRICT -Iinclude -c "$out/one.cpp" -o "$out/one.o" || { echo "$name alone fails as C++17"; rc=1; }
        echo "$name: compiles alone"
    done
    return $rc
}
step headers-per-object per_object_headers

# ---- symbol names -----------------------------------------------------------
# The objects of the C API, each with its header (object:header). Every
# exported symbol must start with mongoauth_<object>_ for one of them (the
# longest that matches) and be declared in include/mongoauth/<header>.h.
# Library-wide calls take what they are about as object: status, version,
# error, memory, random, mechanism.
API_OBJECTS="status:common version:common error:common memory:common random:common mechanism:common
scram:scram scram_keys:scram scram_credentials:scram scram_client:scram_client scram_server:scram_server
key_cache:key_cache uri:uri gss:gss authenticator:authenticator server_session:server_session"
symbol_names() { # symbol_names [SHARED_LIBRARY]
    local syms sym obj hdr best besthdr rc=0 n=0 declared
    syms=$(nm -D --defined-only "${1:-$root/target/release/libmongoauth.so}" | awk '$2 == "T" {print $3}' | sort) || return 1
    [ -n "$syms" ] || { echo "no exported symbols"; return 1; }
    for sym in $syms; do
        best= besthdr=
        for entry in $API_OBJECTS; do
            obj=${entry%%:*} hdr=${entry#*:}
            case $sym in
            "mongoauth_${obj}_"*) if [ ${#obj} -gt ${#best} ]; then best=$obj besthdr=$hdr; fi ;;
            esac
        done
        if [ -z "$best" ]; then
            echo "BAD NAME: $sym is not mongoauth_<object>_<verb> for an object of API_OBJECTS"
            rc=1
        elif ! grep -qE "[ *]$sym\(" "include/mongoauth/$besthdr.h"; then
            echo "MISPLACED: $sym (object $best) is not declared in include/mongoauth/$besthdr.h"
            rc=1
        fi
        n=$((n + 1))
    done
    # every declared function is exported (the headers describe this library)
    declared=$(grep -hoE '^[a-z].*[ *](mongoauth_[a-z0-9_]+)\(' include/mongoauth/*.h | grep -oE 'mongoauth_[a-z0-9_]+\($' | tr -d '(' | sort -u)
    for sym in $declared; do
        grep -qx "$sym" <<<"$syms" || { echo "NOT EXPORTED: $sym is declared but not in libmongoauth.so"; rc=1; }
    done
    # every function has MONGOAUTH_API, every status-returning one MONGOAUTH_NODISCARD
    if ! python3 - include/mongoauth/*.h <<'PY'; then rc=1; fi
import re, sys
bad = 0
for path in sys.argv[1:]:
    lines = open(path).read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"^(mongoauth_status|const char \*|size_t|uint32_t|bool|void) ?\**(mongoauth_\w+)\(", line)
        if not m:
            continue
        attrs = lines[i - 1].split()
        if "MONGOAUTH_API" not in attrs or (m.group(1) == "mongoauth_status") != ("MONGOAUTH_NODISCARD" in attrs):
            print(f"{path}:{i + 1}: {m.group(2)}: attributes {attrs}")
            bad += 1
sys.exit(1 if bad else 0)
PY
    echo "$n exported symbols checked, $(echo "$declared" | wc -l) declared functions"
    return $rc
}
step symbol-names symbol_names
# the check itself catches a name without an object, a misplaced one and a
# declared function the library lacks (a small library with such symbols)
symbol_names_catch() {
    printf 'int mongoauth_handshake(void) { return 0; }\nint mongoauth_uri_bogus(void) { return 0; }\n' >"$out/badsyms.c"
    $CC -shared -fPIC "$out/badsyms.c" -o "$out/libbadsyms.so" || return 1
    symbol_names "$out/libbadsyms.so" >"$out/badsyms.log" 2>&1 && { echo "bad symbols passed"; return 1; }
    cat "$out/badsyms.log" | grep -v '^NOT EXPORTED' | head
    grep -q '^BAD NAME: mongoauth_handshake ' "$out/badsyms.log" &&
        grep -q '^MISPLACED: mongoauth_uri_bogus ' "$out/badsyms.log" &&
        grep -q '^NOT EXPORTED: mongoauth_uri_parse ' "$out/badsyms.log"
}
step symbol-names-catch-bad symbol_names_catch

# ---- no-discard ------------------------------------------------------------
nodiscard() {
    local rc=0 std
    printf '#include "mongoauth/uri.h"\nint main(void) {\n    mongoauth_uri_free(NULL);\n    return 0;\n}\n' >"$out/ignore.c"
    printf '#include "mongoauth/uri.h"\nint main(void) {\n    (void)mongoauth_uri_free(NULL);\n    return 0;\n}\n' >"$out/void.c"
    printf '#include "mongoauth/uri.h"\nint main(void) {\n    (void)!mongoauth_uri_free(NULL);\n    return 0;\n}\n' >"$out/voidnot.c"
    cp "$out/ignore.c" "$out/ignore.cpp"
    cp "$out/void.c" "$out/void.cpp"
    for std in c11 c2x; do
        if $CC -std=$std $STRICT -Iinclude -c "$out/ignore.c" -o "$out/ignore.o" 2>"$out/ignore-$std.err"; then
            echo "an ignored status compiled under -Werror ($std)"; rc=1
        elif ! grep -qE 'unused-result|nodiscard|ignoring return value' "$out/ignore-$std.err"; then
            cat "$out/ignore-$std.err"; echo "an ignored status failed ($std), but not for being ignored"; rc=1
        else
            echo "$std: an ignored status is an error: $(grep -m1 -oE 'ignoring return value[^[]*' "$out/ignore-$std.err")"
        fi
    done
    if $CXX -std=c++17 $STRICT -Iinclude -c "$out/ignore.cpp" -o "$out/ignore.o" 2>"$out/ignore-cpp.err"; then
        echo "an ignored status compiled under -Werror (C++17)"; rc=1
    elif ! grep -qE 'unused-result|nodiscard|ignoring return value' "$out/ignore-cpp.err"; then
        cat "$out/ignore-cpp.err"; echo "an ignored status failed (C++17), but not for being ignored"; rc=1
    else
        echo "c++17: an ignored status is an error"
    fi
    $CC -std=c2x $STRICT -Iinclude -c "$out/void.c" -o "$out/void.o" || { echo "(void) cast refused (c2x)"; rc=1; }
    $CXX -std=c++17 $STRICT -Iinclude -c "$out/void.cpp" -o "$out/void.o" || { echo "(void) cast refused (C++17)"; rc=1; }
    $CC -std=c11 $STRICT -Iinclude -c "$out/voidnot.c" -o "$out/voidnot.o" || { echo "(void)! refused (c11)"; rc=1; }
    # the attribute itself: [[nodiscard]] in C2x and C++17
    printf '#include "mongoauth/common.h"\n#define S_(x) #x\n#define S(x) S_(x)\nconst char *nd = S(MONGOAUTH_NODISCARD);\n' >"$out/which.c"
    # (the output goes to a file first: grep -q closing a pipe early would fail it under pipefail)
    $CC -std=c2x -E -Iinclude "$out/which.c" >"$out/which-c2x.i" && grep -q '"\[\[nodiscard\]\]"' "$out/which-c2x.i" ||
        { echo "C2x does not use [[nodiscard]]"; rc=1; }
    $CC -std=c11 -E -Iinclude "$out/which.c" >"$out/which-c11.i" && grep -q 'warn_unused_result' "$out/which-c11.i" ||
        { echo "C11 does not use warn_unused_result"; rc=1; }
    return $rc
}
step nodiscard nodiscard

# ---- constcheck -------------------------------------------------------------
constcheck() {
    local src=$out/constcheck.c n=0
    {
        echo '#include <stdio.h>'
        echo '#include "mongoauth.h"'
        echo 'int main(void) { int bad = 0;'
        for m in $(sed -n 's/^#define \(MONGOAUTH_[A-Z0-9_]*_\(SIZE\|ALIGN\|BYTES\|SLOTS\|ITERATIONS\|NUMBER\)\) .*/\1/p' include/mongoauth/*.h); do
            f=$(echo "$m" | tr 'A-Z' 'a-z')
            if ! grep -q " $f(void);" include/mongoauth/*.h; then
                echo "constcheck: $m has no runtime function $f()" >&2
                return 1
            fi
            echo "  if ((unsigned long long)$m != (unsigned long long)$f()) { printf(\"$m mismatch\\n\"); bad++; }"
            n=$((n + 1))
        done
        echo "  printf(\"%d constants checked, %d mismatched\\n\", $n, bad); return bad != 0; }"
    } >"$src"
    [ "$n" -gt 10 ] || { echo "constcheck: only $n constants found" >&2; return 1; }
    $CC -std=c11 $STRICT -Iinclude "$src" "$HOSTED_LIB" $HOSTED_LIBS -o "$out/constcheck" && "$out/constcheck"
}
step constcheck constcheck

# ---- the loopback server connect.c logs in to --------------------------------------
# demo/src/bin/mongoauth-loopback-server.rs: mongoauth_demo::LoopbackServer as a
# binary; it prints "PORT <n>" and serves until its stdin closes.
LOOPBACK=$root/target/release/mongoauth-loopback-server
step build-loopback-server cargo build --release -p mongoauth-demo --bin mongoauth-loopback-server
lb_pid=
start_loopback() {
    rm -f "$out/loopback.in" "$out/loopback.out"
    mkfifo "$out/loopback.in" || return 1
    "$LOOPBACK" admin:alice:pencil <"$out/loopback.in" >"$out/loopback.out" &
    lb_pid=$!
    exec 7>"$out/loopback.in"
    local i
    for i in $(seq 1 100); do
        grep -q '^PORT ' "$out/loopback.out" 2>/dev/null && break
        sleep 0.1
    done
    lb_port=$(awk '/^PORT /{print $2}' "$out/loopback.out")
    [ -n "$lb_port" ] || return 1
    export MONGOAUTH_TEST_URI="mongodb://alice:pencil@127.0.0.1:$lb_port/?authSource=admin"
    echo "loopback server on port $lb_port"
}
if [ -x "$LOOPBACK" ]; then
    # (a function: it runs in this shell, so MONGOAUTH_TEST_URI stays set)
    step start-loopback-server start_loopback
fi

# ---- examples and tests: plain, ASan+UBSan, valgrind ---------------------------
# name:source:flavour (hosted | nostd)
programs="scram:examples-c/scram.c:hosted firmware:examples-c/firmware.c:nostd misuse:tests/c/misuse.c:hosted roundtrip:tests/c/roundtrip.c:hosted misuse-nostd:tests/c/misuse.c:nostd"
programs="$programs uri:examples-c/uri.c:hosted connect:examples-c/connect.c:hosted uri-auth:tests/c/uri_auth.c:hosted uri-auth-nostd:tests/c/uri_auth.c:nostd uri-limits:tests/c/uri_limits.c:hosted"
# move.c: every object type moved (memcpy, old bytes scribbled) after every
# step of a login; objects.c: BUSY from inside a callback, OBJECT_FREED after
# _clear, length limits before reads, one key cache shared by two
# authenticators. Both run all their cases here.
programs="$programs move:tests/c/move.c:hosted objects:tests/c/objects.c:hosted"
# next.c: the one next-step loop (_next/_provide_*): MONGODB-AWS and OIDC
# against scripted replies, SCRAM against the server session.
programs="$programs next:tests/c/next.c:hosted"
build_prog() { # build_prog NAME SRC FLAVOUR OUTSUFFIX EXTRA_FLAGS...
    local name=$1 src=$2 flavour=$3 suffix=$4
    shift 4
    if [ "$flavour" = hosted ]; then
        $CC -std=c11 -g -O1 $STRICT "$@" -Iinclude -Itests/c "$src" "$HOSTED_LIB" $HOSTED_LIBS -o "$out/$name$suffix"
    else
        $CC -std=c99 -g -O1 $STRICT "$@" -DMONGOAUTH_FREESTANDING -Iinclude -Itests/c "$src" "$NOSTD_LIB" -o "$out/$name$suffix"
    fi
}
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
for p in $programs; do
    IFS=: read -r name src flavour <<<"$p"
    step "build-$name" build_prog "$name" "$src" "$flavour" ""
    step "run-$name" "$out/$name"
    step "build-$name-asan" build_prog "$name" "$src" "$flavour" "-asan" $SAN
    step "run-$name-asan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/$name-asan"
    if command -v valgrind >/dev/null; then
        step "valgrind-$name" valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
            --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 "$out/$name"
    else
        failed=$((failed + 1)); failures+=("valgrind-missing"); echo "FAIL valgrind not installed"
    fi
done
# connect.c really logged in (above, via $MONGOAUTH_TEST_URI), and a wrong
# password is the server's code 18 (exit status 2)
connect_checks() {
    [ -n "${MONGOAUTH_TEST_URI:-}" ] || { echo "no loopback server"; return 1; }
    "$out/connect" | tee /dev/stderr | grep -q 'authenticated with SCRAM-SHA-256' || return 1
    "$out/connect" "mongodb://alice:wrong@127.0.0.1:$lb_port/?authSource=admin"
    [ $? -eq 2 ] || return 1
    "$out/connect" "mongodb://127.0.0.1:1/" && return 1
    env -u MONGOAUTH_TEST_URI "$out/connect" | grep -q usage
}
step connect-loopback connect_checks
if [ -n "$lb_pid" ]; then
    exec 7>&-
    wait "$lb_pid"
fi
# ---- GSSAPI: examples-c/gss.c (MIT libgssapi_krb5 through the callbacks) -------
# A private realm (scripts/krb-realm.sh) on a free port; the example runs its
# client and our server session in one process, plainly, under ASan+UBSan and
# under valgrind, with a ticket from kinit, a client keytab, a password, and
# SERVICE_REALM; refusals: a wrong SERVICE_NAME (GSS failure with its
# major/minor status), an unknown principal (code 18), no credentials.
GSS_LIBS="-lgssapi_krb5"
krb_dir=$out/krb
krb_port=
free_port() {
    local p
    for p in $(seq "${1:-18890}" "$((${1:-18890} + 200))"); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}
krb_start() {
    krb_port=$(free_port 18890) || return 1
    KRB_PORT=$krb_port scripts/krb-realm.sh start "$krb_dir"
}
step gss-realm-start krb_start
trap '[ -n "$krb_port" ] && scripts/krb-realm.sh stop "$krb_dir" >/dev/null 2>&1' EXIT
build_gss() { # build_gss SUFFIX EXTRA_FLAGS...
    local suffix=$1
    shift
    $CC -std=c11 -g -O1 $STRICT "$@" -Iinclude examples-c/gss.c "$HOSTED_LIB" $GSS_LIBS $HOSTED_LIBS -o "$out/gss$suffix"
}
step build-gss build_gss ""
step build-gss-asan build_gss "-asan" $SAN
gss_env() { # gss_env CMD...: run CMD in the realm's environment
    (
        # shellcheck disable=SC1091
        . "$krb_dir/env" || exit 1
        "$@"
    )
}
gss_run() { # gss_run EXPECTED_EXIT PATTERN PROGRAM ARGS...: exit status and output
    local want=$1 pattern=$2 log rc
    shift 2
    log=$(mktemp)
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    if [ "$rc" -ne "$want" ]; then
        echo "exit status $rc, expected $want"
        rm -f "$log"
        return 1
    fi
    grep -qE "$pattern" "$log"
    rc=$?
    [ $rc -eq 0 ] || echo "output lacks /$pattern/"
    rm -f "$log"
    return $rc
}
GSS_OK='logged in with GSSAPI as user@MONGOAUTH\.TEST on \$external'
GSS_VG="valgrind -q --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=99"
gss_ticket() {
    kdestroy -q 2>/dev/null
    echo userpw | kinit user@MONGOAUTH.TEST >/dev/null || return 1
    gss_run 0 "$GSS_OK" "$out/gss" &&
        gss_run 0 "$GSS_OK" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 "$out/gss-asan" &&
        gss_run 0 "$GSS_OK" $GSS_VG "$out/gss" &&
        gss_run 0 "$GSS_OK" "$out/gss" --step-by-step &&
        gss_run 0 "$GSS_OK" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/gss-asan" --step-by-step &&
        gss_run 0 "$GSS_OK" $GSS_VG "$out/gss" --step-by-step &&
        gss_run 0 "$GSS_OK" "$out/gss" --credential &&
        gss_run 0 "$GSS_OK" $GSS_VG "$out/gss" --credential --step-by-step
}
step gss-kinit-ticket gss_env gss_ticket
gss_keytab() {
    kdestroy -q 2>/dev/null
    KRB5_CLIENT_KTNAME=FILE:$krb_dir/user.keytab gss_run 0 "$GSS_OK" "$out/gss"
}
step gss-client-keytab gss_env gss_keytab
gss_password() {
    kdestroy -q 2>/dev/null
    gss_run 0 "$GSS_OK" "$out/gss" "mongodb://user%40MONGOAUTH.TEST:userpw@localhost/?authMechanism=GSSAPI" &&
        gss_run 0 "$GSS_OK" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/gss-asan" \
            "mongodb://user%40MONGOAUTH.TEST:userpw@localhost/?authMechanism=GSSAPI"
}
step gss-password gss_env gss_password
gss_realm_prop() {
    kdestroy -q 2>/dev/null
    echo userpw | kinit user@MONGOAUTH.TEST >/dev/null || return 1
    gss_run 0 "$GSS_OK" "$out/gss" \
        "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_REALM:MONGOAUTH.TEST"
}
step gss-service-realm gss_env gss_realm_prop
gss_refusals() {
    kdestroy -q 2>/dev/null
    echo userpw | kinit user@MONGOAUTH.TEST >/dev/null || return 1
    # the service principal does not exist: the GSS library's own failure,
    # with GSS_S_FAILURE and Kerberos' "not found" code and text
    gss_run 3 'MONGOAUTH_STATUS_GSS_FAILURE.*not found in Kerberos database' "$out/gss" \
        "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other" || return 1
    gss_run 3 'GSS major 0x000d0000 minor 0x96c73a07' "$out/gss" \
        "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other" || return 1
    # a principal the server does not know: code 18
    gss_run 2 'AUTHENTICATION_FAILED.*' "$out/gss" --no-user || return 1
    gss_run 2 'AUTHENTICATION_FAILED' env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/gss-asan" --no-user || return 1
    # step by step: the caller's failure reported with mongoauth_authenticator_fail_gss
    gss_run 3 'GSS major 0x000d0000 minor 0x96c73a07' "$out/gss" --step-by-step \
        "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other" || return 1
    gss_run 3 'GSS major 0x000d0000 minor 0x96c73a07' env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$out/gss-asan" --step-by-step \
        "mongodb://user%40MONGOAUTH.TEST@localhost/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:other" || return 1
    # no ticket and no client keytab
    kdestroy -q 2>/dev/null
    gss_run 3 'MONGOAUTH_STATUS_GSS_FAILURE' "$out/gss"
}
step gss-refusals gss_env gss_refusals
if [ -n "$krb_port" ]; then
    step gss-realm-stop scripts/krb-realm.sh stop "$krb_dir"
    krb_port=
fi

# the sanitizer builds really are instrumented
step asan-instrumented bash -c "nm '$out/misuse-asan' | grep -q __asan_init && nm '$out/misuse-asan' | grep -q __ubsan_handle"
step examples-makefile make -C examples-c all OUT="$out/examples-make"

# ---- install prefix: pkg-config and CMake ------------------------------------
prefix=$root/target/c-install
rm -rf "$prefix"
step install ffi/packaging/install.sh "$prefix"
pc() { PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config "$@"; }
step pkgconfig-modversion bash -c "test \"\$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --modversion mongoauth)\" = 0.1.0"
step pkgconfig-build-shared bash -c "$CC -std=c11 $STRICT examples-c/scram.c \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs mongoauth) -Wl,-rpath,$prefix/lib -o $out/scram-pc"
step pkgconfig-run-shared "$out/scram-pc"
step pkgconfig-build-static bash -c "$CC -std=c11 $STRICT examples-c/scram.c \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --static --cflags --libs mongoauth | sed 's/-lmongoauth/-l:libmongoauth.a/') -o $out/scram-pc-static"
step pkgconfig-run-static "$out/scram-pc-static"
step pkgconfig-per-object-shared bash -c "$CC -std=c11 $STRICT tests/c/cmake/per_object.c \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs mongoauth) -Wl,-rpath,$prefix/lib -o $out/per-object-pc && $out/per-object-pc"
step pkgconfig-per-object-static bash -c "$CC -std=c11 $STRICT tests/c/cmake/per_object.c \$(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --static --cflags --libs mongoauth | sed 's/-lmongoauth/-l:libmongoauth.a/') -o $out/per-object-pc-static && $out/per-object-pc-static"
installed_headers() {
    local h
    for h in include/mongoauth.h include/mongoauth/*.h; do
        cmp "$h" "$prefix/$h" || return 1
    done
    [ "$(ls "$prefix/include/mongoauth" | wc -l)" -eq "$(ls include/mongoauth | wc -l)" ]
}
step install-headers installed_headers
cmake_build() {
    cmake -S tests/c/cmake -B "$out/cmake" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release &&
        cmake --build "$out/cmake" -j2 && "$out/cmake/scram_shared" && "$out/cmake/scram_static" &&
        "$out/cmake/per_object_shared" && "$out/cmake/per_object_static"
}
step cmake-find-package cmake_build

echo
if [ "$failed" -gt 0 ]; then
    echo "failed: ${failures[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
