"""GSSAPI (Kerberos) for the Python binding: your GSS-API library as a
Python object, or the library's built-in system GSS-API (MIT krb5, when
libmongoauth was built with the cargo feature `gssapi-system`).

Client side: `Authenticator.next()` says "need_gss_init", "need_gss_unwrap"
or "need_gss_wrap"; `Authenticator.provide_gss(initiator)` answers whichever
is pending by calling the initiator (`step`, `unwrap`, `wrap`), and
`Authenticator.login(sock, gss=initiator)` runs the whole login over a
socket. `gss="system"` uses the built-in library instead.

Server side: `ServerSession(..., external_users=["user@REALM"],
gss=acceptor)` with an acceptor object (`step`, `wrap`, `unwrap`,
`source_name`, `reset`), called back from the C library, or `gss="system"`.

A failure of your GSS library should raise `GssFailure(text, major=...,
minor=...)`; the library's own GSS failures raise `GssFailure` too, with
`.major`, `.minor` and the status text in `.message`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Protocol

from . import _lowlevel as _ll
from .exceptions import GssFailure, GssNoContext

ffi, lib = _ll.ffi, _ll.lib
CData = _ll.CData

#: `mongoauth_next` values of the three GSS needs.
NEXT_NEED_GSS_INIT = 7
NEXT_NEED_GSS_UNWRAP = 8
NEXT_NEED_GSS_WRAP = 9

#: `mongoauth_gss_result` values a callback returns.
_GSS_OK, _GSS_FAILED, _GSS_BUFFER_TOO_SMALL, _GSS_NO_CONTEXT = 0, 1, 2, 3
#: GSS_S_FAILURE, for an exception that is not a GssFailure.
GSS_S_FAILURE = 0x000D0000

_CANONICALIZE = {0: "none", 1: "forward", 2: "forwardAndReverse"}


def system_available() -> bool:
    """Whether libmongoauth has the built-in system GSS-API library."""
    return bool(lib.mongoauth_gss_system_available())


@dataclass(frozen=True)
class GssTarget:
    """Where the client's context is aimed (from the mechanism properties)."""

    #: SERVICE_NAME (default "mongodb").
    service: str
    #: SERVICE_HOST, else the connection's host.
    host: str
    #: SERVICE_REALM, or None. With a realm, name the target as the
    #: principal "service/host@realm"; without, as the host-based service
    #: "service@host".
    realm: str | None
    #: CANONICALIZE_HOST_NAME: "none", "forward" or "forwardAndReverse".
    canonicalize: str

    def principal(self) -> str:
        """The target as a Kerberos principal ("service/host@realm" or
        "service/host" in the default realm)."""
        base = f"{self.service}/{self.host}"
        return f"{base}@{self.realm}" if self.realm else base

    def hostbased(self) -> str:
        """The target as a host-based service name ("service@host")."""
        return f"{self.service}@{self.host}"


@dataclass(frozen=True, repr=False)
class GssInit:
    """A context step the client must run (`gss_init_sec_context`)."""

    target: GssTarget
    #: The client principal (the credential's username), or None for the
    #: library's default credential.
    principal: str | None
    #: A password to acquire credentials with, or None. Never logged.
    password: str | None
    #: The acceptor's last token (empty for the first step).
    input: bytes

    def __repr__(self) -> str:
        pw = "None" if self.password is None else "'<redacted>'"
        return f"GssInit(target={self.target!r}, principal={self.principal!r}, password={pw}, input=<{len(self.input)} bytes>)"


class GssInitiator(Protocol):
    """The client's GSS-API library, one object per login."""

    def step(self, request: GssInit) -> tuple[bytes, bool]:
        """Process `request.input`; return (next token, context complete)."""

    def unwrap(self, token: bytes) -> bytes:
        """`gss_unwrap` of the server's security-layer token."""

    def wrap(self, message: bytes) -> bytes:
        """`gss_wrap`, integrity only (no confidentiality)."""


class GssAcceptor(Protocol):
    """The server's GSS-API library, one object per connection."""

    def step(self, token: bytes) -> tuple[bytes, bool]:
        """`gss_accept_sec_context`; return (reply token, complete)."""

    def wrap(self, message: bytes) -> bytes:
        """`gss_wrap` of the server's security-layer message."""

    def unwrap(self, token: bytes) -> bytes:
        """`gss_unwrap` of the client's security-layer token."""

    def source_name(self) -> str:
        """The authenticated initiator's principal."""

    def reset(self) -> None:
        """Drop the context (a new login, or after a failure)."""


def _text(p: CData, n: int) -> str | None:
    if p == ffi.NULL:
        return None
    return bytes(ffi.buffer(p, n)).decode("utf-8")


def request_of(r: CData) -> GssInit | bytes:
    """A `mongoauth_gss_request` as Python: a GssInit for a context step,
    the bytes to unwrap or wrap otherwise."""
    data: bytes = bytes(ffi.buffer(r.input, r.input_len)) if r.input_len else b""
    if r.kind != NEXT_NEED_GSS_INIT:
        return data
    target = GssTarget(
        service=_text(r.service, r.service_len) or "",
        host=_text(r.host, r.host_len) or "",
        realm=_text(r.realm, r.realm_len),
        canonicalize=_CANONICALIZE.get(int(r.canonicalize), "none"),
    )
    return GssInit(target, _text(r.principal, r.principal_len), _text(r.password, r.password_len), data)


def fill_failure(failure: CData, exc: BaseException) -> None:
    """Fill a `mongoauth_gss_failure` from a Python exception."""
    if isinstance(exc, GssFailure):
        major, minor, text = exc.major or GSS_S_FAILURE, exc.minor, exc.message
    else:
        major, minor, text = GSS_S_FAILURE, 0, f"{type(exc).__name__}: {exc}"
    failure.major, failure.minor = major & 0xFFFFFFFF, minor & 0xFFFFFFFF
    b = text.encode("utf-8")[: len(failure.text)]
    # Cut at a character boundary.
    b = b.decode("utf-8", "ignore").encode("utf-8")
    ffi.memmove(failure.text, b, len(b))
    failure.text_len = len(b)


def _fail(failure: CData, exc: BaseException) -> int:
    """A callback's answer to a Python exception."""
    if isinstance(exc, GssNoContext):
        return _GSS_NO_CONTEXT
    fill_failure(failure, exc)
    return _GSS_FAILED


def _give(data: bytes, out: CData, capacity: int, written: CData) -> int:
    written[0] = len(data)
    if len(data) > capacity:
        return _GSS_BUFFER_TOO_SMALL
    if data:
        ffi.memmove(out, data, len(data))
    return _GSS_OK


def acceptor_callbacks(acceptor: GssAcceptor) -> tuple[CData, list[CData]]:
    """A `mongoauth_gss_callbacks` struct calling `acceptor`, and the cffi
    callback objects that must stay alive as long as the C side may call
    them. No exception crosses into C: each becomes MONGOAUTH_GSS_FAILED."""

    def step(
        _ud: CData, inp: CData, n: int, out: CData, cap: int, written: CData, complete: CData, failure: CData
    ) -> int:
        try:
            token, done = acceptor.step(bytes(ffi.buffer(inp, n)) if n else b"")
            complete[0] = bool(done)
            return _give(bytes(token), out, cap, written)
        except BaseException as e:  # noqa: BLE001 - reported to C, never raised through it
            return _fail(failure, e)

    def transform(method: Callable[[bytes], bytes]) -> Callable[..., int]:
        def cb(_ud: CData, inp: CData, n: int, out: CData, cap: int, written: CData, failure: CData) -> int:
            try:
                return _give(bytes(method(bytes(ffi.buffer(inp, n)) if n else b"")), out, cap, written)
            except BaseException as e:  # noqa: BLE001
                return _fail(failure, e)

        return cb

    def source_name(_ud: CData, out: CData, cap: int, written: CData, failure: CData) -> int:
        try:
            return _give(acceptor.source_name().encode("utf-8"), out, cap, written)
        except BaseException as e:  # noqa: BLE001
            return _fail(failure, e)

    def reset(_ud: CData) -> None:
        try:
            acceptor.reset()
        except BaseException:  # noqa: BLE001 - nothing to report a reset failure to
            pass

    keep = [
        ffi.callback("mongoauth_gss_accept_step_fn", step, error=_GSS_FAILED),
        ffi.callback("mongoauth_gss_transform_fn", transform(acceptor.wrap), error=_GSS_FAILED),
        ffi.callback("mongoauth_gss_transform_fn", transform(acceptor.unwrap), error=_GSS_FAILED),
        ffi.callback("mongoauth_gss_source_name_fn", source_name, error=_GSS_FAILED),
        ffi.callback("mongoauth_gss_reset_fn", reset),
    ]
    cb = ffi.new("mongoauth_gss_callbacks *")
    cb.user_data = ffi.NULL
    cb.accept_step, cb.accept_wrap, cb.accept_unwrap, cb.accept_source_name, cb.accept_reset = keep
    return cb, keep


__all__ = [
    "GssAcceptor",
    "GssInit",
    "GssInitiator",
    "GssTarget",
    "GssFailure",
    "GssNoContext",
    "system_available",
]
