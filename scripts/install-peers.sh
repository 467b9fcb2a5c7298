#!/usr/bin/env bash
# Install the system packages the driver interop tests need: libmongoc (the
# MongoDB C driver) and pkg-config; dnsmasq (dnsmasq-base: the binary only, no
# service) for the mongodb+srv tests (tests/tests/srv.rs). Idempotent: installs only what is missing,
# and says what it did. Not root and something missing: fails loudly (a
# missing peer must never turn into a skipped test).
#
# The other peers install themselves: pymongo/mockupdb/scramp into
# target/venv (tests/lib.rs), the Go driver from the Go module proxy into
# target/go (tests/tests/interop_drivers.rs).
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists libmongoc-1.0; then
  missing+=(libmongoc-dev)
fi
command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)

if [ ${#missing[@]} = 0 ]; then
  echo "install-peers: nothing to do (libmongoc-1.0 $(pkg-config --modversion libmongoc-1.0), pkg-config, cc, dnsmasq present)"
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
echo "install-peers: installed; libmongoc-1.0 $(pkg-config --modversion libmongoc-1.0)"
