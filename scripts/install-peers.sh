#!/usr/bin/env bash
# Install the system packages the driver interop tests need: libmongoc (the
# MongoDB C driver) and pkg-config; dnsmasq (dnsmasq-base: the binary only, no
# service) for the mongodb+srv tests (tests/tests/srv.rs); MIT Kerberos for
# the GSSAPI tests (a private realm, scripts/krb-realm.sh): krb5-kdc (krb5kdc,
# kdb5_util), krb5-admin-server (kadmin.local; kadmind is never started),
# krb5-user (kinit, klist), libkrb5-dev (the GSS-API headers and
# libgssapi_krb5.so), and libclang1-14 + libclang-common-14-dev for the
# `libgssapi` crate's bindgen (without the second, bindgen fails on
# `stddef.h`). Idempotent: installs only what is missing, and says what it
# did. Not root and something missing: fails loudly (a missing peer must never
# turn into a skipped test).
#
# The other peers install themselves: pymongo/mockupdb/scramp into
# target/venv (tests/lib.rs), the Go driver from the Go module proxy into
# target/go (tests/tests/interop_drivers.rs).
set -euo pipefail

# Kerberos tools live in /usr/sbin, which a non-login root shell may lack.
export PATH="$PATH:/usr/sbin:/sbin"

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libmongoc-1.0; then
  missing+=(libmongoc-dev)
fi
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
command -v krb5kdc >/dev/null 2>&1 || missing+=(krb5-kdc)
command -v kadmin.local >/dev/null 2>&1 || missing+=(krb5-admin-server)
command -v kinit >/dev/null 2>&1 || missing+=(krb5-user)
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists krb5-gssapi; then
  missing+=(libkrb5-dev)
fi
have_pkg libclang1-14 || missing+=(libclang1-14)
have_pkg libclang-common-14-dev || missing+=(libclang-common-14-dev)

summary() {
  echo "libmongoc-1.0 $(pkg-config --modversion libmongoc-1.0), pkg-config, cc, dnsmasq," \
    "krb5-gssapi $(pkg-config --modversion krb5-gssapi), krb5kdc, kadmin.local, kinit, libclang-14"
}

if [ ${#missing[@]} = 0 ]; then
  echo "install-peers: nothing to do ($(summary) present)"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "install-peers: missing ${missing[*]} and not root: install them (apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "install-peers: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
pkg-config --exists libmongoc-1.0 || {
  echo "install-peers: libmongoc-1.0 still not visible to pkg-config after installing" >&2
  exit 1
}
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || {
  echo "install-peers: dnsmasq still missing after installing" >&2
  exit 1
}
for tool in krb5kdc kdb5_util kadmin.local kinit; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "install-peers: $tool still missing after installing" >&2
    exit 1
  }
done
pkg-config --exists krb5-gssapi || {
  echo "install-peers: krb5-gssapi still not visible to pkg-config after installing" >&2
  exit 1
}
echo "install-peers: installed; $(summary)"
