#!/usr/bin/env bash
# Install the built mongoauth C library into a prefix, with the headers
# (include/mongoauth.h and the per-object include/mongoauth/*.h), a
# pkg-config file and a CMake package:
#
#   ffi/packaging/install.sh [PREFIX]        (default: target/c-install)
#
# Expects `cargo build -p mongoauth-ffi --release` to have run (set
# MONGOAUTH_LIB_DIR to install other artifacts, e.g. target/nostd/release).
# ELF platforms (Linux, BSD) only for now.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
prefix=${1:-$root/target/c-install}
libdir_src=${MONGOAUTH_LIB_DIR:-$root/target/release}

version=$(sed -n 's/^#define MONGOAUTH_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' "$root/include/mongoauth/common.h" | paste -sd.)
major=${version%%.*}
minor=$(echo "$version" | cut -d. -f2)
libs_private="-lpthread -ldl -lm -lrt -lutil"

[ -f "$libdir_src/libmongoauth.a" ] || { echo "install.sh: $libdir_src/libmongoauth.a missing (cargo build -p mongoauth-ffi --release)" >&2; exit 1; }

mkdir -p "$prefix/include/mongoauth" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/mongoauth"
install -m 644 "$root/include/mongoauth.h" "$prefix/include/mongoauth.h"
rm -f "$prefix"/include/mongoauth/*.h # none left over from another version
install -m 644 "$root"/include/mongoauth/*.h "$prefix/include/mongoauth/"
install -m 644 "$libdir_src/libmongoauth.a" "$prefix/lib/libmongoauth.a"
if [ -f "$libdir_src/libmongoauth.so" ]; then
    install -m 755 "$libdir_src/libmongoauth.so" "$prefix/lib/libmongoauth.so.$version"
    ln -sf "libmongoauth.so.$version" "$prefix/lib/libmongoauth.so.$major"
    ln -sf "libmongoauth.so.$major" "$prefix/lib/libmongoauth.so"
fi
subst() {
    sed -e "s|@VERSION@|$version|g" -e "s|@MAJOR@|$major|g" -e "s|@MINOR@|$minor|g" \
        -e "s|@LIBS_PRIVATE@|$libs_private|g" "$1" > "$2"
}
subst "$here/mongoauth.pc.in" "$prefix/lib/pkgconfig/mongoauth.pc"
subst "$here/mongoauthConfig.cmake.in" "$prefix/lib/cmake/mongoauth/mongoauthConfig.cmake"
subst "$here/mongoauthConfigVersion.cmake.in" "$prefix/lib/cmake/mongoauth/mongoauthConfigVersion.cmake"
echo "installed mongoauth $version into $prefix"
