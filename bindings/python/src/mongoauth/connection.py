"""Connection strings, the driver-side Authenticator (with a blocking
handshake over a Python socket) and the server-side ServerSession, over
the C objects `mongoauth_uri`, `mongoauth_authenticator` and
`mongoauth_server_session`.

    with ConnectionString("mongodb://alice:pencil@db.example.com/?authSource=admin") as cs:
        with Authenticator.from_uri(cs) as auth, socket.create_connection(cs.hosts[0]) as sock:
            auth.handshake(sock)        # raises AuthenticationFailed on a bad password

Every object owns its C object: `close()` (or leaving a `with` block)
wipes and frees it at once, garbage collection does it otherwise, and a
closed object raises `ObjectFreed` on use. An object is not thread-safe
(as the C object): use one from one thread at a time.

The login's hot path (`Authenticator()`, `command`, `handle_reply`,
`ServerSession.handle`) reuses per-object C buffers (the error record,
the output buffer, the out-parameters) instead of allocating them per
call: a login through Python stays close to the same login in Rust
(bindings/python/bench/login_overhead.py).
"""

from __future__ import annotations

import functools
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, Union

from . import _lowlevel as _ll
from .exceptions import NotAuthenticated, ObjectFreed, Status

if TYPE_CHECKING:
    from . import KeyCache
    from .gss import GssAcceptor, GssInit, GssInitiator

ffi, lib = _ll.ffi, _ll.lib
ensure, _err = _ll.ensure, _ll._err
CData = _ll.CData

_BUFFER_TOO_SMALL = int(Status.BUFFER_TOO_SMALL)
#: Output buffers not zeroed first (the library writes what it reports).
_alloc = ffi.new_allocator(should_clear_after_alloc=False)
_urandom = os.urandom
#: A `uint8_t[]` view of bytes (no copy).
_from_buffer: Callable[[bytes], CData] = functools.partial(ffi.from_buffer, "uint8_t[]")
_AUTH_ENTROPY_BYTES: int = int(lib.mongoauth_authenticator_entropy_bytes())
_SESSION_ENTROPY_BYTES: int = int(lib.mongoauth_server_session_entropy_bytes())
_SESSION_REPLY_BYTES: int = int(lib.mongoauth_server_session_reply_bytes())
_COMMAND_BYTES = 1024
# The extension's C glue (API mode; see build_native.py), else None.
_open: Callable[..., int] | None = getattr(lib, "mongoauth_py_authenticator_open", None)
_handle: Callable[..., int] | None = getattr(lib, "mongoauth_py_server_session_handle", None)
_auth_is_authenticated: Callable[[CData], bool] = lib.mongoauth_authenticator_is_authenticated
_session_is_authenticated: Callable[[CData], bool] = lib.mongoauth_server_session_is_authenticated
_auth_command: Callable[..., int] = lib.mongoauth_authenticator_command
_auth_handle_reply: Callable[..., int] = lib.mongoauth_authenticator_handle_reply
_auth_free: Callable[[CData], int] = lib.mongoauth_authenticator_free
_unpack = ffi.unpack

MECHANISM_NAMES: dict[int, str] = {
    1: "SCRAM-SHA-1",
    2: "SCRAM-SHA-256",
    3: "PLAIN",
    4: "GSSAPI",
    5: "MONGODB-X509",
    6: "MONGODB-AWS",
    7: "MONGODB-OIDC",
}
MECHANISM_NUMBERS: dict[str, int] = {v: k for k, v in MECHANISM_NAMES.items()}

#: What `Authenticator.next()` answers.
NextStep = Literal[
    "send",
    "need_time",
    "need_aws_credentials",
    "need_oidc_token",
    "need_gss_init",
    "need_gss_unwrap",
    "need_gss_wrap",
    "done",
    "unknown",
]


class SocketLike(Protocol):
    """What the blocking handshakes need of a socket."""

    def recv(self, n: int, /) -> bytes:
        """Up to `n` bytes; b"" when the peer closed the connection."""

    def send(self, data: Any, /) -> int:
        """Send some of `data`; the number of bytes sent."""


def _bytes(v: str | bytes) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


def _cbuf(data: bytes) -> CData:
    return ffi.from_buffer("uint8_t[]", data) if data else ffi.NULL


def _closed(obj: object) -> ObjectFreed:
    return ObjectFreed(f"this {type(obj).__name__} is closed", int(Status.OBJECT_FREED))


def _out(call: Callable[[CData, int, CData, CData], int], capacity: int = 256) -> bytes:
    """Run `call(out, capacity, written, err)`, growing the buffer once to
    the size the library asks for."""
    written = ffi.new("size_t *")
    err = _err()
    buf = _alloc("uint8_t[]", max(capacity, 1))
    st = call(buf, capacity, written, err)
    if st == _BUFFER_TOO_SMALL:
        capacity = int(written[0])
        buf = _alloc("uint8_t[]", max(capacity, 1))
        st = call(buf, capacity, written, err)
    ensure(st, err, int(written[0]))
    return bytes(ffi.buffer(buf, written[0]))


def _opt_out(call: Callable[[CData, int, CData, CData, CData], int], capacity: int = 256) -> str | None:
    """As `_out` for functions with a `found` flag: None when not found."""
    found = ffi.new("bool *")
    data = _out(lambda b, c, w, e: call(b, c, w, found, e), capacity)
    return data.decode("utf-8") if found[0] else None


def _mech_name(n: int) -> str | None:
    return MECHANISM_NAMES.get(n) if n else None


@dataclass(frozen=True)
class Credential:
    """The credential a connection string describes (decoded)."""

    #: None: negotiate SCRAM-SHA-256 / SCRAM-SHA-1.
    mechanism: str | None
    username: str | None
    password: str | None
    source: str

    def __repr__(self) -> str:  # never show the password
        return (
            f"Credential(mechanism={self.mechanism!r}, username={self.username!r}, "
            f"password={'<redacted>' if self.password is not None else None}, source={self.source!r})"
        )


class ConnectionString:
    """A parsed `mongodb://` or `mongodb+srv://` connection string. Raises a
    `UriError` subclass (with `.offset`, the byte) for an invalid one.
    `with` (or `close()`) wipes and frees the C copy (it holds the password)."""

    def __init__(self, uri: str | bytes) -> None:
        out = ffi.new("mongoauth_uri **")
        err = _err()
        ensure(lib.mongoauth_uri_new(out, err), err)
        self._u: CData | None = ffi.gc(out[0], lib.mongoauth_uri_free)
        data = _bytes(uri)
        ensure(lib.mongoauth_uri_parse(self._u, _cbuf(data), len(data), err), err)

    def __enter__(self) -> ConnectionString:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Wipe and free the C object now (idempotent)."""
        if self._u is not None:
            u, self._u = self._u, None
            ffi.release(u)

    @property
    def _ptr(self) -> CData:
        if self._u is None:
            raise _closed(self)
        return self._u

    def _call(self, fn: Callable[..., int], *args: Any) -> None:
        err = _err()
        ensure(fn(self._ptr, *args, err), err)

    def _flag(self, fn: Callable[..., int]) -> bool:
        # a status-returning call with an out-bool (it also checks)
        v = ffi.new("bool *")
        self._call(fn, v)
        return bool(v[0])

    def _pred(self, fn: Callable[[CData], bool]) -> bool:
        # a C predicate (false for an unparsed string)
        return bool(fn(self._ptr))

    @property
    def is_srv(self) -> bool:
        """A `mongodb+srv://` string (hosts come from DNS)."""
        return self._pred(lib.mongoauth_uri_is_srv)

    @property
    def tls(self) -> bool:
        """Whether TLS is on (explicitly, or by `+srv`)."""
        return self._pred(lib.mongoauth_uri_uses_tls)

    @property
    def hosts(self) -> list[tuple[str, int]]:
        """(host, port) pairs; the port defaults to 27017."""
        n = ffi.new("size_t *")
        self._call(lib.mongoauth_uri_host_count, n)
        u = self._ptr
        hosts = []
        for i in range(int(n[0])):
            port = ffi.new("uint16_t *")
            name = _out(lambda b, c, w, e: lib.mongoauth_uri_host(u, i, b, c, w, port, ffi.NULL, e))
            hosts.append((name.decode("utf-8"), int(port[0]) or 27017))
        return hosts

    @property
    def database(self) -> str | None:
        """The database in the path, or None."""
        u = self._ptr
        return _opt_out(lambda b, c, w, f, e: lib.mongoauth_uri_database(u, b, c, w, f, e))

    def option(self, name: str) -> str | None:
        """An option's value as text (None when not set); any name case."""
        k = _bytes(name)
        u = self._ptr
        return _opt_out(lambda b, c, w, f, e: lib.mongoauth_uri_option(u, _cbuf(k), len(k), b, c, w, f, e))

    def option_bool(self, name: str) -> bool | None:
        """A boolean option (None when not set)."""
        k = _bytes(name)
        v, f = ffi.new("bool *"), ffi.new("bool *")
        self._call(lib.mongoauth_uri_option_bool, _cbuf(k), len(k), v, f)
        return bool(v[0]) if f[0] else None

    def option_int(self, name: str) -> int | None:
        """An integer option (None when not set)."""
        k = _bytes(name)
        v, f = ffi.new("int64_t *"), ffi.new("bool *")
        self._call(lib.mongoauth_uri_option_int, _cbuf(k), len(k), v, f)
        return int(v[0]) if f[0] else None

    @property
    def options(self) -> dict[str, str | None]:
        """Every option set with a valid value, by canonical name."""
        n = ffi.new("size_t *")
        self._call(lib.mongoauth_uri_option_count, n)
        u = self._ptr
        out: dict[str, str | None] = {}
        for i in range(int(n[0])):
            name = _out(lambda b, c, w, e: lib.mongoauth_uri_option_name(u, i, b, c, w, e)).decode()
            out[name] = self.option(name)
        return out

    @property
    def warnings(self) -> list[str]:
        """What the parser ignored or corrected (unknown options ...)."""
        n = ffi.new("size_t *")
        self._call(lib.mongoauth_uri_warning_count, n)
        count = min(int(n[0]), 16)  # MONGOAUTH_URI_MAX_WARNINGS
        u = self._ptr
        return [
            _out(lambda b, c, w, e: lib.mongoauth_uri_warning(u, i, b, c, w, ffi.NULL, ffi.NULL, e)).decode()
            for i in range(count)
        ]

    @property
    def srv_query_name(self) -> str:
        """The DNS SRV name to resolve (`_mongodb._tcp.<host>`)."""
        u = self._ptr
        return _out(lambda b, c, w, e: lib.mongoauth_uri_srv_query_name(u, b, c, w, e)).decode()

    @property
    def credential(self) -> Credential | None:
        """The credential (checked against its mechanism's rules: raises
        UriCredential), or None when the URI asks for no authentication."""
        if not self._flag(lib.mongoauth_uri_has_credential):
            return None
        mech = ffi.new("uint32_t *")
        self._call(lib.mongoauth_uri_credential_mechanism, mech)
        u = self._ptr
        user = _opt_out(lambda b, c, w, f, e: lib.mongoauth_uri_credential_username(u, b, c, w, f, e))
        pw = _opt_out(lambda b, c, w, f, e: lib.mongoauth_uri_credential_password(u, b, c, w, f, e))
        src = _out(lambda b, c, w, e: lib.mongoauth_uri_credential_source(u, b, c, w, e)).decode()
        return Credential(_mech_name(int(mech[0])), user, pw, src)

    def mechanism_property(self, name: str) -> str | None:
        """An `authMechanismProperties` value (None when not set)."""
        k = _bytes(name)
        u = self._ptr
        return _opt_out(
            lambda b, c, w, f, e: lib.mongoauth_uri_credential_property(u, _cbuf(k), len(k), b, c, w, f, e)
        )


def encode_uri(
    hosts: Sequence[tuple[str, int | None] | str],
    username: str | None = None,
    password: str | None = None,
    database: str | None = None,
    options: dict[str, str] | None = None,
    srv: bool = False,
) -> str:
    """Build a correctly escaped connection string from its parts."""
    keep: list[CData] = []  # keep the cdata alive

    def c(v: str | None) -> tuple[CData, int]:
        if v is None:
            return ffi.NULL, 0
        b = _bytes(v)
        p = ffi.new("uint8_t[]", b) if b else ffi.new("uint8_t[]", 1)
        keep.append(p)
        return p, len(b)

    hs = ffi.new("mongoauth_uri_host_spec[]", max(len(hosts), 1))
    for i, h in enumerate(hosts):
        name, port = (h, None) if isinstance(h, str) else h
        hs[i].host, hs[i].host_len = c(name)
        hs[i].port = port or 0
    opts = list((options or {}).items())
    os_ = ffi.new("mongoauth_uri_option_pair[]", max(len(opts), 1))
    for i, (k, v) in enumerate(opts):
        os_[i].key, os_[i].key_len = c(k)
        os_[i].value, os_[i].value_len = c(v)
    parts = ffi.new("mongoauth_uri_parts *")
    parts.srv = srv
    parts.hosts, parts.host_count = hs, len(hosts)
    parts.username, parts.username_len = c(username)
    parts.password, parts.password_len = c(password)
    parts.database, parts.database_len = c(database)
    parts.options, parts.option_count = os_, len(opts)
    return _out(lambda b, cap, w, e: lib.mongoauth_uri_encode(parts, b, cap, w, e)).decode()


def _recv_exact(sock: SocketLike, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


class _Scratch:
    """Per-object C buffers reused by every call: the error record, an
    output buffer (as `uint8_t *` for the calls and `char[]` to read back
    bytes), the `*written` and flag out-parameters."""

    __slots__ = ("err", "chars", "out", "capacity", "written", "flag")

    def __init__(self, capacity: int) -> None:
        self.err: CData = ffi.new("mongoauth_error *")
        self.chars: CData = _alloc("char[]", capacity)
        self.out: CData = ffi.cast("uint8_t *", self.chars)
        self.capacity = capacity
        self.written: CData = ffi.new("size_t *")
        self.flag: CData = ffi.new("bool *")


_NEXT: dict[int, NextStep] = {
    1: "send",
    2: "need_time",
    3: "need_aws_credentials",
    4: "need_oidc_token",
    6: "done",
    7: "need_gss_init",
    8: "need_gss_unwrap",
    9: "need_gss_wrap",
}


class _AuthScratch(threading.local):
    """Per-thread C buffers for the Authenticator's calls: the error
    record, the command buffer (as `uint8_t *` for the calls and `char[]`
    to read back bytes), the out-parameters. Per thread, not per object:
    no Authenticator call runs Python code while it is inside C (the
    handshake, whose socket callbacks do, has buffers of its own), so two
    uses never overlap on one thread; other threads have their own."""

    def __init__(self) -> None:
        self.err: CData = ffi.new("mongoauth_error *")
        self.chars: CData = _alloc("char[]", _COMMAND_BYTES)
        self.out: CData = ffi.cast("uint8_t *", self.chars)
        self.written: CData = ffi.new("size_t *")
        self.flag: CData = ffi.new("bool *")
        self.new: CData = ffi.new("mongoauth_authenticator **")
        # what the hot calls take, in one attribute load each
        self.command: tuple[CData, CData, CData, CData] = (self.out, self.written, self.err, self.chars)
        self.reply: tuple[CData, CData] = (self.flag, self.err)


_auth_scratch = _AuthScratch()


class Authenticator:
    """A connection's login (hello, negotiation, SCRAM / PLAIN / X.509 /
    AWS / OIDC / GSSAPI). Sans-I/O: `command()` gives the next BSON command,
    `handle_reply(body)` takes the reply; or `handshake(sock)` runs it all
    over a socket. `with` (or `close()`) wipes and frees the C object (it
    holds the password or derived keys) as soon as the login is over."""

    __slots__ = ("_a", "_cache", "__weakref__")

    _a: CData | None

    def __init__(
        self,
        username: str | None,
        password: str | None,
        source: str = "admin",
        mechanism: str | None = None,
        *,
        speculative: bool = True,
        legacy_hello: bool = True,
        gss_host: str | None = None,
        key_cache: KeyCache | None = None,
        _start: bool = True,
    ) -> None:
        """`gss_host`: the host the connection goes to, which a GSSAPI
        login's target names (required for GSSAPI here; `from_uri` takes
        the connection string's first host by default). `key_cache`: a
        `KeyCache` shared by logins, so a repeated SCRAM login skips PBKDF2
        (kept alive, and kept open, while this object uses it)."""
        self._a = None
        self._cache = None
        sc = _auth_scratch
        err = sc.err
        out = sc.new
        if _open is not None and speculative and legacy_hello and gss_host is None and _start:
            # the usual login: one C call (new, key cache, entropy, start)
            cache_p = ffi.NULL
            if key_cache is not None:
                cache_p = key_cache._p
                if cache_p is None:
                    raise _closed(key_cache)
            null = ffi.NULL
            u = null if username is None else username.encode() if type(username) is str else _bytes(username)
            p = null if password is None else password.encode() if type(password) is str else _bytes(password)
            s = null if source is None else source.encode() if type(source) is str else _bytes(source)
            st = _open(
                out, cache_p, MECHANISM_NUMBERS[mechanism] if mechanism else 0,
                u, 0 if u is null else len(u), p, 0 if p is null else len(p), s, 0 if s is null else len(s),
                _AUTH_ENTROPY_BYTES, err,
            )  # fmt: skip
            if st:
                ensure(st, err)
            self._a = out[0]
            if key_cache is not None:
                key_cache._users += 1
                self._cache = key_cache
            return
        st = lib.mongoauth_authenticator_new(out, err)
        if st:
            ensure(st, err)
        # freed by close() (or __del__ at garbage collection)
        self._a = a = out[0]
        if key_cache is not None:
            cache_p = key_cache._p
            if cache_p is None:
                raise _closed(key_cache)
            st = lib.mongoauth_authenticator_set_key_cache(a, cache_p, err)
            if st:
                ensure(st, err)
            key_cache._users += 1
            self._cache = key_cache
        # the C defaults are speculative on and the legacy hello on
        if not speculative:
            ensure(lib.mongoauth_authenticator_set_speculative(a, False, err), err)
        if not legacy_hello:
            ensure(lib.mongoauth_authenticator_set_legacy_hello(a, False, err), err)
        if gss_host is not None:
            h = _bytes(gss_host)
            ensure(lib.mongoauth_authenticator_set_gss_host(a, _cbuf(h), len(h), err), err)
        if not _start:
            return
        # no copies: views of the Python objects, alive for the call (the
        # library copies the credential into its object)
        u = p = s = ffi.NULL
        un = pn = sn = 0
        if username is not None:
            b = username.encode() if type(username) is str else _bytes(username)
            u, un = _from_buffer(b), len(b)
        if password is not None:
            b = password.encode() if type(password) is str else _bytes(password)
            p, pn = _from_buffer(b), len(b)
        if source is not None:
            b = source.encode() if type(source) is str else _bytes(source)
            s, sn = _from_buffer(b), len(b)
        cred = ffi.new("mongoauth_credential *", [MECHANISM_NUMBERS[mechanism] if mechanism else 0, u, un, p, pn, s, sn])
        st = lib.mongoauth_authenticator_start(a, cred, _urandom(_AUTH_ENTROPY_BYTES), _AUTH_ENTROPY_BYTES, err)
        if st:
            ensure(st, err)

    @classmethod
    def from_uri(
        cls, uri: ConnectionString | str, *, gss_host: str | None = None, key_cache: KeyCache | None = None
    ) -> Authenticator:
        """The login a connection string describes."""
        cs = uri if isinstance(uri, ConnectionString) else ConnectionString(uri)
        a = cls(None, None, gss_host=gss_host, key_cache=key_cache, _start=False)
        err = _auth_scratch.err
        entropy = _urandom(_AUTH_ENTROPY_BYTES)
        ensure(lib.mongoauth_authenticator_start_uri(a._ptr, cs._ptr, entropy, len(entropy), err), err)
        if cs is not uri:
            cs.close()
        return a

    def __enter__(self) -> Authenticator:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._a is not None:
            self.close()

    def close(self) -> None:
        """Wipe and free the C object now (idempotent); using the object
        afterwards raises `ObjectFreed`."""
        a = self._a
        if a is not None:
            self._a = None
            _auth_free(a)
            cache = self._cache
            if cache is not None:
                self._cache = None
                cache._users -= 1
                if cache._orphaned and not cache._users:
                    cache.close()

    def __del__(self) -> None:
        if self._a is not None:
            self.close()

    @property
    def _ptr(self) -> CData:
        a = self._a
        if a is None:
            raise _closed(self)
        return a

    def command(self) -> bytes:
        """The next command, a BSON document (with `$db`)."""
        a = self._a
        if a is None:
            raise _closed(self)
        out, written, err, chars = _auth_scratch.command
        st = _auth_command(a, out, _COMMAND_BYTES, written, err)
        if st:
            if st == _BUFFER_TOO_SMALL:  # a large AWS / OIDC payload
                return _out(lambda b, c, w, e: lib.mongoauth_authenticator_command(a, b, c, w, e), 1)
            ensure(st, err)
        return _unpack(chars, written[0])  # type: ignore[no-any-return]

    def command_frame(self, request_id: int) -> bytes:
        """The next command as a whole OP_MSG frame."""
        a = self._ptr
        return _out(lambda b, c, w, e: lib.mongoauth_authenticator_command_frame(a, request_id, b, c, w, e), 512)

    def handle_reply(self, body: bytes) -> bool:
        """Handle a reply body; True when the login is complete."""
        a = self._a
        if a is None:
            raise _closed(self)
        if type(body) is not bytes:
            body = bytes(body)
        flag, err = _auth_scratch.reply
        st = _auth_handle_reply(a, body, len(body), flag, err)
        if st:
            ensure(st, err)
        return bool(flag[0])

    def handle_reply_frame(self, frame: bytes, request_id: int) -> bool:
        """Handle a reply frame (OP_MSG, answering `request_id`); True when
        the login is complete."""
        a, sc = self._ptr, _auth_scratch
        f = bytes(frame)
        ensure(lib.mongoauth_authenticator_handle_reply_frame(a, f, len(f), request_id, sc.flag, sc.err), sc.err)
        return bool(sc.flag[0])

    def _bool(self, fn: Callable[[CData], bool]) -> bool:
        a = self._a
        if a is None:
            raise _closed(self)
        return bool(fn(a))

    @property
    def authenticated(self) -> bool:
        """Whether the login completed and the server was verified."""
        a = self._a
        if a is None:
            raise _closed(self)
        return bool(_auth_is_authenticated(a))

    @property
    def mechanism(self) -> str | None:
        """The mechanism in use (after negotiation), or None yet."""
        v = ffi.new("uint32_t *")
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_mechanism(self._ptr, v, err), err)
        return _mech_name(int(v[0]))

    @property
    def used_speculative(self) -> bool:
        """Whether the server took the speculative first step."""
        return self._bool(lib.mongoauth_authenticator_used_speculative)

    def next(self) -> NextStep:
        """What the login wants next: "send" (`command()`, then
        `handle_reply`), "need_time", "need_aws_credentials",
        "need_oidc_token", "need_gss_init", "need_gss_unwrap",
        "need_gss_wrap" (answer with `provide_*`) or "done"."""
        v = ffi.new("mongoauth_next *")
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_next(self._ptr, v, err), err)
        return _NEXT.get(int(v[0]), "unknown")

    def provide_time(self, unix_seconds: int | None = None) -> None:
        """Answer "need_time" (MONGODB-AWS): the UTC time, now by default."""
        t = int(time.time()) if unix_seconds is None else unix_seconds
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_provide_time(self._ptr, t, err), err)

    def provide_aws_credentials(
        self, access_key_id: str, secret_access_key: str, session_token: str | None = None
    ) -> None:
        """Answer "need_aws_credentials"; the C copies are wiped after the call."""
        values = [_bytes(v) for v in (access_key_id, secret_access_key, session_token or "")]
        bufs = [ffi.new("uint8_t[]", v or b"\0") for v in values]
        lens = [len(v) for v in values]
        err = _auth_scratch.err
        st = lib.mongoauth_authenticator_provide_aws_credentials(
            self._ptr, bufs[0], lens[0], bufs[1], lens[1], bufs[2] if lens[2] else ffi.NULL, lens[2], err
        )
        for b in bufs:
            lib.mongoauth_memory_zero(b, len(b))
        ensure(st, err)

    def provide_token(self, token: str) -> None:
        """Answer "need_oidc_token" with an access token (copy wiped after)."""
        b = _bytes(token)
        p = ffi.new("uint8_t[]", b or b"\0")
        err = _auth_scratch.err
        st = lib.mongoauth_authenticator_provide_token(self._ptr, p, len(b), err)
        lib.mongoauth_memory_zero(p, len(p))
        ensure(st, err)

    # ---- GSSAPI (see mongoauth.gss) ---------------------------------------

    def gss_request(self) -> GssInit | bytes:
        """The pending GSS need: a `GssInit` ("need_gss_init") or the bytes
        to unwrap / wrap. `UnexpectedStep` when none is pending."""
        from .gss import request_of

        r = ffi.new("mongoauth_gss_request *")
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_gss_request(self._ptr, r, err), err)
        return request_of(r)

    def provide_gss_step(self, token: bytes, complete: bool) -> None:
        """Answer "need_gss_init" with the next token and whether the
        context is established."""
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_provide_gss_step(self._ptr, _cbuf(token), len(token), complete, err), err)

    def provide_gss_unwrapped(self, message: bytes) -> None:
        """Answer "need_gss_unwrap" with the unwrapped message."""
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_provide_gss_unwrapped(self._ptr, _cbuf(message), len(message), err), err)

    def provide_gss_wrapped(self, token: bytes) -> None:
        """Answer "need_gss_wrap" with the wrapped token."""
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_provide_gss_wrapped(self._ptr, _cbuf(token), len(token), err), err)

    def provide_gss_system(self) -> None:
        """Answer the pending GSS need with the built-in system GSS-API
        library (`UnsupportedMechanism` when it is not built in)."""
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_provide_gss_system(self._ptr, err), err)

    def fail_gss(self, failure: BaseException) -> None:
        """Report that the GSS library failed on the pending GSS need: the
        login is over; raises the library's `GssFailure` (its `.major`,
        `.minor` and text from `failure`, a `mongoauth.gss.GssFailure`)."""
        from .gss import fill_failure

        f = ffi.new("mongoauth_gss_failure *")
        fill_failure(f, failure)
        err = _auth_scratch.err
        ensure(lib.mongoauth_authenticator_fail_gss(self._ptr, f, err), err)

    def provide_gss(self, gss: GssInitiator | Literal["system"]) -> None:
        """Answer the pending GSS need with `gss`: an initiator object
        (`step`, `unwrap`, `wrap`; see `mongoauth.gss.GssInitiator`) or
        "system". A `GssFailure` it raises ends the login (`fail_gss`) and
        is raised again with the login's context; other exceptions
        propagate and leave the login where it was."""
        if gss == "system":
            self.provide_gss_system()
            return
        from .gss import GssFailure, GssInit

        request = self.gss_request()
        kind = self.next()
        token, complete, out = b"", False, b""
        try:
            if isinstance(request, GssInit):
                token, complete = gss.step(request)
            elif kind == "need_gss_unwrap":
                out = gss.unwrap(request)
            else:
                out = gss.wrap(request)
        except GssFailure as e:
            try:
                self.fail_gss(e)
            except GssFailure as recorded:
                raise recorded from e
            raise
        if isinstance(request, GssInit):
            self.provide_gss_step(bytes(token), bool(complete))
        elif kind == "need_gss_unwrap":
            self.provide_gss_unwrapped(bytes(out))
        else:
            self.provide_gss_wrapped(bytes(out))

    def login(self, sock: SocketLike, gss: GssInitiator | Literal["system"] | None = None) -> None:
        """Run the whole login over a connected blocking socket (OP_MSG
        frames), answering GSS needs with `gss` (an initiator object or
        "system"): the Python-side loop over `next()`."""
        request_id = 0
        while True:
            step = self.next()
            if step == "done":
                if not self.authenticated:
                    raise NotAuthenticated("the handshake ended without a verified login")
                return
            if step.startswith("need_gss_"):
                if gss is None:
                    raise ValueError("the login needs GSSAPI: pass gss=")
                self.provide_gss(gss)
                continue
            if step != "send":
                raise ValueError(f"login() cannot answer {step!r}")
            request_id += 1
            frame = self.command_frame(request_id)
            while frame:
                frame = frame[sock.send(frame) :]
            header = _recv_exact(sock, 16)
            (length,) = struct.unpack("<i", header[:4])
            reply = header + _recv_exact(sock, length - 16)
            self.handle_reply_frame(reply, request_id)

    def handshake(self, sock: SocketLike) -> None:
        """Log in over a connected blocking socket with the C handshake
        driver (`mongoauth_authenticator_handshake`) reading and writing through it."""
        io = _HandshakeIO(sock)
        handle = ffi.new_handle(io)
        buf = _alloc("uint8_t[]", _HANDSHAKE_BUFFER_BYTES)
        # its own error record: a call from a callback may use the object's
        err = ffi.new("mongoauth_error *")
        st = lib.mongoauth_authenticator_handshake(self._ptr, _READ_CB, _WRITE_CB, handle, buf, _HANDSHAKE_BUFFER_BYTES, err)
        if st != 0 and io.failure is not None:
            try:
                ensure(st, err)
            except Exception as e:
                raise e from io.failure
        ensure(st, err)


class _HandshakeIO:
    """The socket of a running `Authenticator.handshake` and the socket
    error that stopped it (the `__cause__` of the library's `IoError`)."""

    __slots__ = ("sock", "failure")

    def __init__(self, sock: SocketLike) -> None:
        self.sock = sock
        self.failure: BaseException | None = None


def _read(ctx: CData, buf: CData, n: int) -> int:
    io: _HandshakeIO = ffi.from_handle(ctx)
    try:
        data = io.sock.recv(n)
    except OSError as e:  # reported as MONGOAUTH_STATUS_IO
        io.failure = e
        return -1
    ffi.memmove(buf, data, len(data))
    return len(data)


def _write(ctx: CData, buf: CData, n: int) -> int:
    io: _HandshakeIO = ffi.from_handle(ctx)
    try:
        return io.sock.send(ffi.buffer(buf, n)) or -1
    except OSError as e:
        io.failure = e
        return -1


# Created once (a cffi callback costs a closure each): the socket travels
# in the context pointer. Any other exception is a -1 (an I/O error).
_READ_CB = ffi.callback("mongoauth_read_fn", _read, error=-1)
_WRITE_CB = ffi.callback("mongoauth_write_fn", _write, error=-1)
_HANDSHAKE_BUFFER_BYTES: int = int(lib.mongoauth_authenticator_handshake_buffer_bytes())


class ServerSession:
    """The server side of one connection (users added up front):
    `handle_frame(frame)` answers each request frame a driver sends,
    `handle(body)` each request body; `start()` serves the next connection
    with the same users. `with` (or `close()`) wipes and frees the C object
    (it holds the users' keys)."""

    _s: CData | None

    def __init__(
        self,
        users: Iterable[tuple[str, str, str]],
        secret: bytes | None = None,
        connection_id: int = 1,
        *,
        external_users: Iterable[str] = (),
        gss: GssAcceptor | Literal["system"] | None = None,
    ) -> None:
        """`users`: (database, username, password) triples, each given
        SCRAM-SHA-1 and SCRAM-SHA-256 keys (PBKDF2 runs here, once);
        `secret`: the decoy secret (random by default); `external_users`:
        `$external` users (Kerberos principals) a GSSAPI login maps to;
        `gss`: the acceptor (an object, see `mongoauth.gss.GssAcceptor`, or
        "system")."""
        self._s = None
        sc = self._scratch = _Scratch(_SESSION_REPLY_BYTES)
        err = sc.err
        out = ffi.new("mongoauth_server_session **")
        ensure(lib.mongoauth_server_session_new(out, err), err)
        self._s = s = ffi.gc(out[0], lib.mongoauth_server_session_free)
        salt_bytes = int(lib.mongoauth_server_session_salt_bytes())
        for db, user, password in users:
            d, u, p = _bytes(db), _bytes(user), _bytes(password)
            salt = _urandom(salt_bytes)
            ensure(
                lib.mongoauth_server_session_add_user(
                    s, _cbuf(d), len(d), _cbuf(u), len(u), _cbuf(p), len(p), salt, len(salt), err
                ),
                err,
            )
        for principal in external_users:
            b = _bytes(principal)
            ensure(lib.mongoauth_server_session_add_external_user(s, _cbuf(b), len(b), err), err)
        self._gss_keep: object = None
        if gss is not None:
            self.set_gss(gss)
        self._secret = secret or _urandom(int(lib.mongoauth_server_session_secret_bytes()))
        self._reply_id = 0
        self.start(connection_id)

    def __enter__(self) -> ServerSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Wipe and free the C object now (idempotent); using the object
        afterwards raises `ObjectFreed`."""
        s = self._s
        if s is not None:
            self._s = None
            ffi.release(s)
            self._gss_keep = None

    @property
    def _ptr(self) -> CData:
        s = self._s
        if s is None:
            raise _closed(self)
        return s

    def set_gss(self, gss: GssAcceptor | Literal["system"]) -> None:
        """Offer GSSAPI with `gss`: an acceptor object (called back from C
        during `handle*`) or "system" (the built-in library, key from
        KRB5_KTNAME)."""
        err = self._scratch.err
        if gss == "system":
            ensure(lib.mongoauth_server_session_set_gss_system(self._ptr, ffi.NULL, 0, err), err)
            self._gss_keep = None
            return
        from .gss import acceptor_callbacks

        cb, keep = acceptor_callbacks(gss)
        ensure(lib.mongoauth_server_session_set_gss_callbacks(self._ptr, cb, err), err)
        # The C session holds the function pointers: keep them alive.
        self._gss_keep = (cb, keep, gss)

    def start(self, connection_id: int = 1) -> None:
        """A new connection (the users stay)."""
        s = self._s
        if s is None:
            raise _closed(self)
        err = self._scratch.err
        st = lib.mongoauth_server_session_start(s, self._secret, len(self._secret), connection_id, err)
        if st:
            ensure(st, err)

    def handle(self, body: bytes) -> bytes:
        """Answer a request body (a BSON command) with a reply body."""
        s = self._s
        if s is None:
            raise _closed(self)
        if type(body) is not bytes:
            body = bytes(body)
        sc = self._scratch
        if _handle is not None:  # entropy drawn in C
            st = _handle(s, body, len(body), _SESSION_ENTROPY_BYTES, sc.out, sc.capacity, sc.written, sc.err)
        else:
            st = lib.mongoauth_server_session_handle(
                s, body, len(body), _urandom(_SESSION_ENTROPY_BYTES), _SESSION_ENTROPY_BYTES,
                sc.out, sc.capacity, sc.written, sc.err,
            )  # fmt: skip
        if st:
            ensure(st, sc.err, int(sc.written[0]))
        return ffi.unpack(sc.chars, sc.written[0])  # type: ignore[no-any-return]

    def handle_frame(self, frame: bytes) -> bytes:
        """Answer a request frame (OP_MSG or OP_QUERY) with a reply frame."""
        s = self._ptr
        f = bytes(frame)
        self._reply_id += 1
        sc = self._scratch
        st = lib.mongoauth_server_session_handle_frame(
            s, f, len(f), _urandom(_SESSION_ENTROPY_BYTES), _SESSION_ENTROPY_BYTES, self._reply_id,
            sc.out, sc.capacity, sc.written, sc.err,
        )  # fmt: skip
        if st:
            ensure(st, sc.err, int(sc.written[0]))
        return ffi.unpack(sc.chars, sc.written[0])  # type: ignore[no-any-return]

    @property
    def authenticated(self) -> bool:
        """Whether a login on this connection succeeded."""
        s = self._s
        if s is None:
            raise _closed(self)
        return bool(_session_is_authenticated(s))

    def serve(self, sock: socket.socket) -> None:
        """Answer requests on `sock` until the peer closes it."""
        while True:
            try:
                header = _recv_exact(sock, 4)
            except (EOFError, OSError):
                return
            (length,) = struct.unpack("<i", header)
            try:
                frame = header + _recv_exact(sock, length - 4)
            except (EOFError, OSError):
                return
            sock.sendall(self.handle_frame(frame))
