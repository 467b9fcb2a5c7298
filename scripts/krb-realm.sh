#!/usr/bin/env bash
# A private MIT Kerberos realm on loopback for the GSSAPI tests (issue #19).
#
#   scripts/krb-realm.sh start DIR        create realm MONGOAUTH.TEST in DIR, start its KDC
#   scripts/krb-realm.sh stop DIR         stop that KDC (by the PID in DIR/kdc.pid)
#   scripts/krb-realm.sh kadmin DIR ARGS  kadmin.local on DIR's realm (e.g. -q "addprinc -randkey x/localhost")
#
# No system file is read or written: DIR holds krb5.conf, kdc.conf, the
# database, the keytabs, the ticket cache and the replay cache. The KDC listens
# on 127.0.0.1:$KRB_PORT (default 18888), UDP and TCP; every caller that may
# run concurrently passes its own free port so realms never collide.
#
# After `start`, DIR contains:
#   env             `export` lines for clients and servers: KRB5_CONFIG,
#                   KRB5_KDC_PROFILE, KRB5CCNAME, KRB5RCACHEDIR, KRB5_KTNAME
#                   (NOT KRB5_CLIENT_KTNAME: a test sets it to DIR/user.keytab
#                   when it wants a client keytab instead of kinit)
#   kdc.pid         the krb5kdc process (foreground, child of nobody we wait for)
#   user.keytab     principal user@MONGOAUTH.TEST (password "userpw", still valid)
#   mongodb.keytab  principal mongodb/localhost@MONGOAUTH.TEST (random key)
#   kdc.log, kdc.out  the KDC's log and its stdout/stderr
#
# `start` on a DIR whose KDC still runs fails; otherwise it recreates the
# realm from scratch. A KDC that does not listen within 10 s is killed and its
# output shown. Usable from any language: run it, then read DIR/env.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

REALM=MONGOAUTH.TEST
usage() { echo "usage: $0 start|stop DIR | kadmin DIR ARGS..." >&2; exit 2; }
[ $# -ge 2 ] || usage
cmd=$1
mkdir -p "$2"
DIR=$(cd "$2" && pwd)
shift 2

alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pid_of() { [ -f "$DIR/kdc.pid" ] && cat "$DIR/kdc.pid" || true; }

profile_env() {
  export KRB5_CONFIG="$DIR/krb5.conf" KRB5_KDC_PROFILE="$DIR/kdc.conf"
}

kadmin() {
  profile_env
  kadmin.local -r "$REALM" "$@"
}

start() {
  local port=${KRB_PORT:-18888}
  case $port in '' | *[!0-9]*) echo "krb-realm: KRB_PORT must be a port number, got '$port'" >&2; exit 2 ;; esac
  for tool in krb5kdc kdb5_util kadmin.local; do
    command -v "$tool" >/dev/null 2>&1 || {
      echo "krb-realm: $tool missing: run scripts/install-peers.sh (MIT Kerberos: krb5-kdc krb5-admin-server)" >&2
      exit 1
    }
  done
  local old
  old=$(pid_of)
  if alive "$old"; then
    echo "krb-realm: a KDC (pid $old) already runs for $DIR: stop it first" >&2
    exit 1
  fi
  # Someone else on the port: krb5kdc would fail with a less clear message.
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "krb-realm: 127.0.0.1:$port is already taken: choose another KRB_PORT" >&2
    exit 1
  fi
  rm -f "$DIR"/principal* "$DIR"/stash "$DIR"/*.keytab "$DIR"/ccache "$DIR"/kdc.* "$DIR"/env "$DIR"/*rcache*

  cat >"$DIR/krb5.conf" <<CONF
[libdefaults]
    default_realm = $REALM
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
    ignore_acceptor_hostname = false

[realms]
    $REALM = {
        kdc = 127.0.0.1:$port
    }

[domain_realm]
    localhost = $REALM
CONF
  cat >"$DIR/kdc.conf" <<CONF
[kdcdefaults]
    kdc_listen = 127.0.0.1:$port
    kdc_tcp_listen = 127.0.0.1:$port

[realms]
    $REALM = {
        database_name = $DIR/principal
        key_stash_file = $DIR/stash
        acl_file = $DIR/kadm5.acl
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
        max_life = 10h 0m 0s
        max_renewable_life = 7d 0h 0m 0s
    }

[logging]
    kdc = FILE:$DIR/kdc.log
CONF
  : >"$DIR/kadm5.acl"
  profile_env
  kdb5_util create -s -r "$REALM" -P masterpw >"$DIR/kdb5_util.out" 2>&1 || {
    cat "$DIR/kdb5_util.out" >&2
    exit 1
  }
  local q
  for q in "addprinc -pw userpw user" \
    "addprinc -randkey mongodb/localhost" \
    "ktadd -k $DIR/mongodb.keytab mongodb/localhost" \
    "ktadd -norandkey -k $DIR/user.keytab user"; do
    kadmin -q "$q" >>"$DIR/kadmin.out" 2>&1 || {
      echo "krb-realm: kadmin.local -q '$q' failed:" >&2
      cat "$DIR/kadmin.out" >&2
      exit 1
    }
  done

  # Foreground (-n) so that the PID is the KDC's; stdin/stdout redirected so
  # that a caller reading our output through a pipe is not held open by it.
  krb5kdc -n -r "$REALM" >"$DIR/kdc.out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$DIR/kdc.pid"
  local i
  for i in $(seq 1 100); do
    if ! alive "$pid"; then
      echo "krb-realm: krb5kdc exited during startup:" >&2
      tail -n 20 "$DIR/kdc.out" "$DIR/kdc.log" >&2 2>/dev/null || true
      rm -f "$DIR/kdc.pid"
      exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
  if [ "$i" = 100 ]; then
    echo "krb-realm: krb5kdc (pid $pid) not listening on 127.0.0.1:$port after 10 s:" >&2
    tail -n 20 "$DIR/kdc.out" "$DIR/kdc.log" >&2 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$DIR/kdc.pid"
    exit 1
  fi

  cat >"$DIR/env" <<ENV
export KRB5_CONFIG='$DIR/krb5.conf'
export KRB5_KDC_PROFILE='$DIR/kdc.conf'
export KRB5CCNAME='FILE:$DIR/ccache'
export KRB5RCACHEDIR='$DIR'
export KRB5_KTNAME='FILE:$DIR/mongodb.keytab'
ENV
  echo "krb-realm: $REALM on 127.0.0.1:$port, KDC pid $pid; source $DIR/env"
}

stop() {
  local pid
  pid=$(pid_of)
  if [ -z "$pid" ]; then
    echo "krb-realm: no kdc.pid in $DIR: nothing to stop"
    return 0
  fi
  if alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$DIR/kdc.pid"
  echo "krb-realm: KDC pid $pid stopped"
}

case $cmd in
  start) [ $# = 0 ] || usage; start ;;
  stop) [ $# = 0 ] || usage; stop ;;
  kadmin) kadmin "$@" ;;
  *) usage ;;
esac
