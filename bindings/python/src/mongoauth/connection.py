"""Connection strings, the driver-side Authenticator (with a blocking
handshake over a Python socket) and the server-side ServerSession, over
the C objects `mongoauth_uri`, `mongoauth_authenticator` and
`mongoauth_server_session`.

    cs = ConnectionString("mongodb://alice:pencil@db.example.com/?authSource=admin")
    auth = Authenticator.from_uri(cs)
    with socket.create_connection(cs.hosts[0]) as sock:
        auth.handshake(sock)            # raises AuthenticationFailed on a bad password
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from . import _lowlevel as _ll
from .exceptions import Status

ffi, lib = _ll.ffi, _ll.lib
ensure, _err = _ll.ensure, _ll._err

MECHANISM_NAMES = {
    1: "SCRAM-SHA-1",
    2: "SCRAM-SHA-256",
    3: "PLAIN",
    4: "GSSAPI",
    5: "MONGODB-X509",
    6: "MONGODB-AWS",
    7: "MONGODB-OIDC",
}
MECHANISM_NUMBERS = {v: k for k, v in MECHANISM_NAMES.items()}


def _bytes(v) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


def _cbuf(data: bytes):
    return ffi.from_buffer("uint8_t[]", data) if data else ffi.NULL


def _out(call, capacity: int = 256) -> bytes:
    """Run `call(out, capacity, written, err)`, growing the buffer once to
    the size the library asks for."""
    written = ffi.new("size_t *")
    err = _err()
    buf = ffi.new("uint8_t[]", max(capacity, 1))
    st = call(buf, capacity, written, err)
    if st == Status.BUFFER_TOO_SMALL:
        capacity = written[0]
        buf = ffi.new("uint8_t[]", max(capacity, 1))
        st = call(buf, capacity, written, err)
    ensure(st, err, written[0])
    return bytes(ffi.buffer(buf, written[0]))


def _opt_out(call, capacity: int = 256):
    """As `_out` for functions with a `found` flag: None when not found."""
    found = ffi.new("bool *")
    data = _out(lambda b, c, w, e: call(b, c, w, found, e), capacity)
    return data.decode("utf-8") if found[0] else None


def _mech_name(n: int) -> str | None:
    return MECHANISM_NAMES.get(n) if n else None


@dataclass(frozen=True)
class Credential:
    """The credential a connection string describes (decoded)."""

    mechanism: str | None  # None: negotiate SCRAM-SHA-256 / SCRAM-SHA-1
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
    `UriError` subclass (with `.offset`, the byte) for an invalid one."""

    def __init__(self, uri: str | bytes):
        out = ffi.new("mongoauth_uri **")
        err = _err()
        ensure(lib.mongoauth_uri_new(out, err), err)
        self._u = ffi.gc(out[0], lib.mongoauth_uri_free)
        data = _bytes(uri)
        err = _err()
        ensure(lib.mongoauth_uri_parse(self._u, _cbuf(data), len(data), err), err)

    def _call(self, fn, *args):
        err = _err()
        ensure(fn(self._u, *args, err), err)

    @property
    def is_srv(self) -> bool:
        return bool(lib.mongoauth_uri_is_srv(self._u))

    @property
    def tls(self) -> bool:
        return bool(lib.mongoauth_uri_uses_tls(self._u))

    @property
    def hosts(self) -> list[tuple[str, int]]:
        """(host, port) pairs; the port defaults to 27017."""
        n = ffi.new("size_t *")
        self._call(lib.mongoauth_uri_host_count, n)
        hosts = []
        for i in range(n[0]):
            port = ffi.new("uint16_t *")
            name = _out(lambda b, c, w, e: lib.mongoauth_uri_host(self._u, i, b, c, w, port, ffi.NULL, e))
            hosts.append((name.decode("utf-8"), port[0] or 27017))
        return hosts

    @property
    def database(self) -> str | None:
        return _opt_out(lambda b, c, w, f, e: lib.mongoauth_uri_database(self._u, b, c, w, f, e))

    def option(self, name: str) -> str | None:
        """An option's value as text (None when not set); any name case."""
        k = _bytes(name)
        return _opt_out(
            lambda b, c, w, f, e: lib.mongoauth_uri_option(self._u, _cbuf(k), len(k), b, c, w, f, e)
        )

    def option_bool(self, name: str) -> bool | None:
        k = _bytes(name)
        v, f = ffi.new("bool *"), ffi.new("bool *")
        self._call(lib.mongoauth_uri_option_bool, _cbuf(k), len(k), v, f)
        return bool(v[0]) if f[0] else None

    def option_int(self, name: str) -> int | None:
        k = _bytes(name)
        v, f = ffi.new("int64_t *"), ffi.new("bool *")
        self._call(lib.mongoauth_uri_option_int, _cbuf(k), len(k), v, f)
        return int(v[0]) if f[0] else None

    @property
    def options(self) -> dict[str, str]:
        """Every option set with a valid value, by canonical name."""
        n = ffi.new("size_t *")
        self._call(lib.mongoauth_uri_option_count, n)
        out = {}
        for i in range(n[0]):
            name = _out(lambda b, c, w, e: lib.mongoauth_uri_option_name(self._u, i, b, c, w, e)).decode()
            out[name] = self.option(name)
        return out

    @property
    def warnings(self) -> list[str]:
        n = ffi.new("size_t *")
        self._call(lib.mongoauth_uri_warning_count, n)
        count = min(n[0], 16)  # MONGOAUTH_URI_MAX_WARNINGS
        return [
            _out(lambda b, c, w, e: lib.mongoauth_uri_warning(self._u, i, b, c, w, ffi.NULL, ffi.NULL, e)).decode()
            for i in range(count)
        ]

    @property
    def srv_query_name(self) -> str:
        return _out(lambda b, c, w, e: lib.mongoauth_uri_srv_query_name(self._u, b, c, w, e)).decode()

    @property
    def credential(self) -> Credential | None:
        """The credential (checked against its mechanism's rules: raises
        UriCredential), or None when the URI asks for no authentication."""
        has = ffi.new("bool *")
        self._call(lib.mongoauth_uri_has_credential, has)
        if not has[0]:
            return None
        mech = ffi.new("uint32_t *")
        self._call(lib.mongoauth_uri_credential_mechanism, mech)
        user = _opt_out(lambda b, c, w, f, e: lib.mongoauth_uri_credential_username(self._u, b, c, w, f, e))
        pw = _opt_out(lambda b, c, w, f, e: lib.mongoauth_uri_credential_password(self._u, b, c, w, f, e))
        src = _out(lambda b, c, w, e: lib.mongoauth_uri_credential_source(self._u, b, c, w, e)).decode()
        return Credential(_mech_name(mech[0]), user, pw, src)

    def mechanism_property(self, name: str) -> str | None:
        k = _bytes(name)
        return _opt_out(
            lambda b, c, w, f, e: lib.mongoauth_uri_credential_property(self._u, _cbuf(k), len(k), b, c, w, f, e)
        )


def encode_uri(
    hosts: list[tuple[str, int | None]] | list[str],
    username: str | None = None,
    password: str | None = None,
    database: str | None = None,
    options: dict[str, str] | None = None,
    srv: bool = False,
) -> str:
    """Build a correctly escaped connection string from its parts."""
    keep = []  # keep the cdata alive

    def c(v):
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


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


class Authenticator:
    """A connection's login (hello, negotiation, SCRAM / PLAIN / X.509).
    Sans-I/O: `command()` gives the next BSON command, `handle_reply(body)`
    takes the reply; or `handshake(sock)` runs it all over a socket."""

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
        _start: bool = True,
    ):
        """`gss_host`: the host the connection goes to, which a GSSAPI
        login's target names (required for GSSAPI here; `from_uri` takes
        the connection string's first host by default)."""
        out = ffi.new("mongoauth_authenticator **")
        err = _err()
        ensure(lib.mongoauth_authenticator_new(out, err), err)
        self._a = ffi.gc(out[0], lib.mongoauth_authenticator_free)
        err = _err()
        ensure(lib.mongoauth_authenticator_set_speculative(self._a, speculative, err), err)
        ensure(lib.mongoauth_authenticator_set_legacy_hello(self._a, legacy_hello, err), err)
        if gss_host is not None:
            h = _bytes(gss_host)
            ensure(lib.mongoauth_authenticator_set_gss_host(self._a, _cbuf(h), len(h), err), err)
        if not _start:
            return
        cred = ffi.new("mongoauth_credential *")
        keep = []
        for field, v in (("username", username), ("password", password), ("source", source)):
            if v is not None:
                b = _bytes(v)
                p = ffi.new("uint8_t[]", b or b"\0")
                keep.append(p)
                setattr(cred, field, p)
                setattr(cred, field + "_len", len(b))
        cred.mechanism = MECHANISM_NUMBERS[mechanism] if mechanism else 0
        entropy = _ll.random_bytes(lib.mongoauth_authenticator_entropy_bytes())
        err = _err()
        st = lib.mongoauth_authenticator_start(self._a, cred, entropy, len(entropy), err)
        for p in keep:
            lib.mongoauth_memory_zero(p, len(p))
        ensure(st, err)

    @classmethod
    def from_uri(cls, uri: ConnectionString | str, *, gss_host: str | None = None) -> Authenticator:
        cs = uri if isinstance(uri, ConnectionString) else ConnectionString(uri)
        a = cls(None, None, gss_host=gss_host, _start=False)
        entropy = _ll.random_bytes(lib.mongoauth_authenticator_entropy_bytes())
        err = _err()
        ensure(lib.mongoauth_authenticator_start_uri(a._a, cs._u, entropy, len(entropy), err), err)
        return a

    def command(self) -> bytes:
        """The next command, a BSON document (with `$db`)."""
        return _out(lambda b, c, w, e: lib.mongoauth_authenticator_command(self._a, b, c, w, e), 512)

    def command_frame(self, request_id: int) -> bytes:
        """The next command as a whole OP_MSG frame."""
        return _out(
            lambda b, c, w, e: lib.mongoauth_authenticator_command_frame(self._a, request_id, b, c, w, e), 512
        )

    def handle_reply(self, body: bytes) -> bool:
        """Handle a reply body; True when the login is complete."""
        done = ffi.new("bool *")
        err = _err()
        ensure(lib.mongoauth_authenticator_handle_reply(self._a, _cbuf(body), len(body), done, err), err)
        return bool(done[0])

    def handle_reply_frame(self, frame: bytes, request_id: int) -> bool:
        done = ffi.new("bool *")
        err = _err()
        ensure(
            lib.mongoauth_authenticator_handle_reply_frame(self._a, _cbuf(frame), len(frame), request_id, done, err),
            err,
        )
        return bool(done[0])

    @property
    def authenticated(self) -> bool:
        return bool(lib.mongoauth_authenticator_is_authenticated(self._a))

    @property
    def mechanism(self) -> str | None:
        v = ffi.new("uint32_t *")
        err = _err()
        ensure(lib.mongoauth_authenticator_mechanism(self._a, v, err), err)
        return _mech_name(v[0])

    @property
    def used_speculative(self) -> bool:
        return bool(lib.mongoauth_authenticator_used_speculative(self._a))

    _NEXT = {
        1: "send",
        2: "need_time",
        3: "need_aws_credentials",
        4: "need_oidc_token",
        6: "done",
        7: "need_gss_init",
        8: "need_gss_unwrap",
        9: "need_gss_wrap",
    }

    def next(self) -> str:
        """What the login wants next: "send" (`command()`, then
        `handle_reply`), "need_time", "need_aws_credentials",
        "need_oidc_token", "need_gss_init", "need_gss_unwrap",
        "need_gss_wrap" (answer with `provide_*`) or "done"."""
        v = ffi.new("mongoauth_next *")
        err = _err()
        ensure(lib.mongoauth_authenticator_next(self._a, v, err), err)
        return self._NEXT.get(int(v[0]), "unknown")

    def provide_time(self, unix_seconds: int | None = None) -> None:
        """Answer "need_time" (MONGODB-AWS): the UTC time, now by default."""
        import time

        t = int(time.time()) if unix_seconds is None else unix_seconds
        err = _err()
        ensure(lib.mongoauth_authenticator_provide_time(self._a, t, err), err)

    def provide_aws_credentials(self, access_key_id: str, secret_access_key: str, session_token: str | None = None) -> None:
        """Answer "need_aws_credentials"; the C copies are wiped after the call."""
        bufs = [ffi.new("uint8_t[]", _bytes(v) or b"\0") for v in (access_key_id, secret_access_key, session_token or "")]
        lens = [len(_bytes(v)) for v in (access_key_id, secret_access_key, session_token or "")]
        err = _err()
        st = lib.mongoauth_authenticator_provide_aws_credentials(
            self._a, bufs[0], lens[0], bufs[1], lens[1], bufs[2] if lens[2] else ffi.NULL, lens[2], err
        )
        for b in bufs:
            lib.mongoauth_memory_zero(b, len(b))
        ensure(st, err)

    def provide_token(self, token: str) -> None:
        """Answer "need_oidc_token" with an access token (copy wiped after)."""
        b = _bytes(token)
        p = ffi.new("uint8_t[]", b or b"\0")
        err = _err()
        st = lib.mongoauth_authenticator_provide_token(self._a, p, len(b), err)
        lib.mongoauth_memory_zero(p, len(p))
        ensure(st, err)

    # ---- GSSAPI (see mongoauth.gss) ---------------------------------------

    def gss_request(self):
        """The pending GSS need: a `GssInit` ("need_gss_init") or the bytes
        to unwrap / wrap. `UnexpectedStep` when none is pending."""
        from .gss import request_of

        r = ffi.new("mongoauth_gss_request *")
        err = _err()
        ensure(lib.mongoauth_authenticator_gss_request(self._a, r, err), err)
        return request_of(r)

    def provide_gss_step(self, token: bytes, complete: bool) -> None:
        """Answer "need_gss_init" with the next token and whether the
        context is established."""
        err = _err()
        ensure(lib.mongoauth_authenticator_provide_gss_step(self._a, _cbuf(token), len(token), complete, err), err)

    def provide_gss_unwrapped(self, message: bytes) -> None:
        """Answer "need_gss_unwrap" with the unwrapped message."""
        err = _err()
        ensure(lib.mongoauth_authenticator_provide_gss_unwrapped(self._a, _cbuf(message), len(message), err), err)

    def provide_gss_wrapped(self, token: bytes) -> None:
        """Answer "need_gss_wrap" with the wrapped token."""
        err = _err()
        ensure(lib.mongoauth_authenticator_provide_gss_wrapped(self._a, _cbuf(token), len(token), err), err)

    def provide_gss_system(self) -> None:
        """Answer the pending GSS need with the built-in system GSS-API
        library (`UnsupportedMechanism` when it is not built in)."""
        err = _err()
        ensure(lib.mongoauth_authenticator_provide_gss_system(self._a, err), err)

    def fail_gss(self, failure) -> None:
        """Report that the GSS library failed on the pending GSS need: the
        login is over; raises the library's `GssFailure` (its `.major`,
        `.minor` and text from `failure`, a `mongoauth.gss.GssFailure`)."""
        from .gss import fill_failure

        f = ffi.new("mongoauth_gss_failure *")
        fill_failure(f, failure)
        err = _err()
        ensure(lib.mongoauth_authenticator_fail_gss(self._a, f, err), err)

    def provide_gss(self, gss) -> None:
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

    def login(self, sock: socket.socket, gss=None) -> None:
        """Run the whole login over a connected blocking socket (OP_MSG
        frames), answering GSS needs with `gss` (an initiator object or
        "system"): the Python-side loop over `next()`."""
        request_id = 0
        while True:
            step = self.next()
            if step == "done":
                if not self.authenticated:
                    from .exceptions import NotAuthenticated

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
            sock.sendall(self.command_frame(request_id))
            header = _recv_exact(sock, 16)
            (length,) = struct.unpack("<i", header[:4])
            frame = header + _recv_exact(sock, length - 16)
            self.handle_reply_frame(frame, request_id)

    def handshake(self, sock: socket.socket) -> None:
        """Log in over a connected blocking socket with the C handshake
        driver (`mongoauth_authenticator_handshake`) reading and writing through it."""
        failure: list[BaseException] = []

        @ffi.callback("mongoauth_read_fn")
        def read_cb(_ctx, buf, n):
            try:
                data = sock.recv(n)
            except OSError as e:  # reported as MONGOAUTH_STATUS_IO
                failure.append(e)
                return -1
            ffi.memmove(buf, data, len(data))
            return len(data)

        @ffi.callback("mongoauth_write_fn")
        def write_cb(_ctx, buf, n):
            try:
                return sock.send(ffi.buffer(buf, n)) or -1
            except OSError as e:
                failure.append(e)
                return -1

        size = lib.mongoauth_authenticator_handshake_buffer_bytes()
        buf = ffi.new("uint8_t[]", size)
        err = _err()
        st = lib.mongoauth_authenticator_handshake(self._a, read_cb, write_cb, ffi.NULL, buf, size, err)
        if st != 0 and failure:
            try:
                ensure(st, err)
            except Exception as e:
                raise e from failure[0]
        ensure(st, err)


class ServerSession:
    """The server side of one connection (users added up front):
    `handle_frame(frame)` answers each request frame a driver sends."""

    def __init__(
        self,
        users: list[tuple[str, str, str]],
        secret: bytes | None = None,
        connection_id: int = 1,
        *,
        external_users: list[str] = (),
        gss=None,
    ):
        """`external_users`: `$external` users (Kerberos principals) a
        GSSAPI login maps to; `gss`: the acceptor (an object, see
        `mongoauth.gss.GssAcceptor`, or "system")."""
        out = ffi.new("mongoauth_server_session **")
        err = _err()
        ensure(lib.mongoauth_server_session_new(out, err), err)
        self._s = ffi.gc(out[0], lib.mongoauth_server_session_free)
        for db, user, password in users:
            d, u, p = _bytes(db), _bytes(user), _bytes(password)
            salt = _ll.random_bytes(lib.mongoauth_server_session_salt_bytes())
            err = _err()
            ensure(
                lib.mongoauth_server_session_add_user(
                    self._s, _cbuf(d), len(d), _cbuf(u), len(u), _cbuf(p), len(p), salt, len(salt), err
                ),
                err,
            )
        for principal in external_users:
            u = _bytes(principal)
            err = _err()
            ensure(lib.mongoauth_server_session_add_external_user(self._s, _cbuf(u), len(u), err), err)
        self._gss_keep = None
        if gss is not None:
            self.set_gss(gss)
        self._secret = secret or _ll.random_bytes(lib.mongoauth_server_session_secret_bytes())
        self.start(connection_id)
        self._reply_id = 0

    def set_gss(self, gss) -> None:
        """Offer GSSAPI with `gss`: an acceptor object (called back from C
        during `handle*`) or "system" (the built-in library, key from
        KRB5_KTNAME)."""
        err = _err()
        if gss == "system":
            ensure(lib.mongoauth_server_session_set_gss_system(self._s, ffi.NULL, 0, err), err)
            self._gss_keep = None
            return
        from .gss import acceptor_callbacks

        cb, keep = acceptor_callbacks(gss)
        ensure(lib.mongoauth_server_session_set_gss_callbacks(self._s, cb, err), err)
        # The C session holds the function pointers: keep them alive.
        self._gss_keep = (cb, keep, gss)

    def start(self, connection_id: int = 1) -> None:
        """A new connection (the users stay)."""
        err = _err()
        ensure(lib.mongoauth_server_session_start(self._s, self._secret, len(self._secret), connection_id, err), err)

    def _entropy(self) -> bytes:
        return _ll.random_bytes(lib.mongoauth_server_session_entropy_bytes())

    def handle(self, body: bytes) -> bytes:
        e = self._entropy()
        return _out(
            lambda b, c, w, er: lib.mongoauth_server_session_handle(self._s, _cbuf(body), len(body), e, len(e), b, c, w, er),
            lib.mongoauth_server_session_reply_bytes(),
        )

    def handle_frame(self, frame: bytes) -> bytes:
        e = self._entropy()
        self._reply_id += 1
        rid = self._reply_id
        return _out(
            lambda b, c, w, er: lib.mongoauth_server_session_handle_frame(
                self._s, _cbuf(frame), len(frame), e, len(e), rid, b, c, w, er
            ),
            lib.mongoauth_server_session_reply_bytes(),
        )

    @property
    def authenticated(self) -> bool:
        return bool(lib.mongoauth_server_session_is_authenticated(self._s))

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
