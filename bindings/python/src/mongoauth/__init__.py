"""mongoauth: MongoDB SCRAM-SHA-1 / SCRAM-SHA-256 over the mongoauth C library.

High level::

    creds = StoredCredentials.generate("SCRAM-SHA-256", "user", "pencil")
    client = ScramClient("SCRAM-SHA-256", "user", "pencil")
    server = ScramServer("SCRAM-SHA-256")
    server.handle_client_first(client.message())        # -> "user"
    msg = client.step(server.respond(creds))             # client-final
    client.step(server.handle_client_final(msg))         # None: done
    assert client.authenticated and server.authenticated

`mongoauth._lowlevel` mirrors the C API one to one. Errors are the classes of
`mongoauth.exceptions`, chosen by status code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar, Union

from . import _lowlevel as _ll
from .exceptions import (  # noqa: F401 - re-exported
    Status as Status,
    MongoauthError as MongoauthError,
    error_for as error_for,
    BY_CODE as BY_CODE,
    CallerError as CallerError,
    ObjectMisuse as ObjectMisuse,
    ScramError as ScramError,
    UriError as UriError,
    WireError as WireError,
    HandshakeError as HandshakeError,
    GssError as GssError,
    InternalError as InternalError,
    InvalidObject as InvalidObject,
    MemoryTooSmall as MemoryTooSmall,
    MemoryMisaligned as MemoryMisaligned,
    WrongAllocation as WrongAllocation,
    Busy as Busy,
    ObjectFreed as ObjectFreed,
    NullPointer as NullPointer,
    BufferTooSmall as BufferTooSmall,
    InvalidArgument as InvalidArgument,
    InvalidUtf8 as InvalidUtf8,
    UnexpectedStep as UnexpectedStep,
    UnsupportedMechanism as UnsupportedMechanism,
    CapacityExceeded as CapacityExceeded,
    InvalidNonce as InvalidNonce,
    InvalidCredential as InvalidCredential,
    SaslprepError as SaslprepError,
    KeysDoNotMatchServer as KeysDoNotMatchServer,
    RandomUnavailable as RandomUnavailable,
    OutOfMemory as OutOfMemory,
    MalformedMessage as MalformedMessage,
    NonceMismatch as NonceMismatch,
    IterationCountTooLow as IterationCountTooLow,
    IterationCountTooHigh as IterationCountTooHigh,
    ServerSignatureMismatch as ServerSignatureMismatch,
    ServerError as ServerError,
    MandatoryExtension as MandatoryExtension,
    AuthenticationFailed as AuthenticationFailed,
    ChannelBindingNotSupported as ChannelBindingNotSupported,
    UriSyntax as UriSyntax,
    UriOption as UriOption,
    UriCredential as UriCredential,
    UriSrv as UriSrv,
    UriEncode as UriEncode,
    BsonMalformed as BsonMalformed,
    FrameMalformed as FrameMalformed,
    UnsupportedOpcode as UnsupportedOpcode,
    MessageTooLarge as MessageTooLarge,
    ChecksumMismatch as ChecksumMismatch,
    CommandFailed as CommandFailed,
    ProtocolViolation as ProtocolViolation,
    IoError as IoError,
    UnexpectedEof as UnexpectedEof,
    NotAuthenticated as NotAuthenticated,
    Timeout as Timeout,
    Panic as Panic,
    Internal as Internal,
    GssFailure as GssFailure,
    GssNoContext as GssNoContext,
)
from .connection import Authenticator, ConnectionString, Credential, ServerSession, encode_uri  # noqa: F401
from . import gss  # noqa: F401

__all__ = [
    "ConnectionString",
    "Credential",
    "encode_uri",
    "Authenticator",
    "ServerSession",
    "ScramClient",
    "ScramServer",
    "StoredCredentials",
    "ScramKeys",
    "KeyCache",
    "MongoauthError",
    "AuthenticationFailed",
    "Busy",
    "ObjectMisuse",
    "Status",
    "version",
    "MECHANISMS",
    "Mechanism",
    "error_for",
    "BY_CODE",
    "CallerError",
    "ScramError",
    "UriError",
    "WireError",
    "HandshakeError",
    "GssError",
    "InternalError",
    "InvalidObject",
    "MemoryTooSmall",
    "MemoryMisaligned",
    "WrongAllocation",
    "ObjectFreed",
    "NullPointer",
    "BufferTooSmall",
    "InvalidArgument",
    "InvalidUtf8",
    "UnexpectedStep",
    "UnsupportedMechanism",
    "CapacityExceeded",
    "InvalidNonce",
    "InvalidCredential",
    "SaslprepError",
    "KeysDoNotMatchServer",
    "RandomUnavailable",
    "OutOfMemory",
    "MalformedMessage",
    "NonceMismatch",
    "IterationCountTooLow",
    "IterationCountTooHigh",
    "ServerSignatureMismatch",
    "ServerError",
    "MandatoryExtension",
    "ChannelBindingNotSupported",
    "UriSyntax",
    "UriOption",
    "UriCredential",
    "UriSrv",
    "UriEncode",
    "BsonMalformed",
    "FrameMalformed",
    "UnsupportedOpcode",
    "MessageTooLarge",
    "ChecksumMismatch",
    "CommandFailed",
    "ProtocolViolation",
    "IoError",
    "UnexpectedEof",
    "NotAuthenticated",
    "Timeout",
    "Panic",
    "Internal",
    "GssFailure",
    "GssNoContext",
]

ffi = _ll.ffi
CData = _ll.CData

#: A mechanism: its name ("SCRAM-SHA-256") or its C number.
Mechanism = Union[str, int]

MECHANISMS: dict[str, int] = {"SCRAM-SHA-1": _ll.MECHANISM_SCRAM_SHA_1, "SCRAM-SHA-256": _ll.MECHANISM_SCRAM_SHA_256}
_SALT_LEN = {_ll.MECHANISM_SCRAM_SHA_1: 16, _ll.MECHANISM_SCRAM_SHA_256: 28}
_DEFAULT_ITERATIONS = {_ll.MECHANISM_SCRAM_SHA_1: 10000, _ll.MECHANISM_SCRAM_SHA_256: 15000}


def version() -> str:
    """The C library's version string."""
    return _ll.version()


def _mech(mechanism: Mechanism) -> int:
    if isinstance(mechanism, int):
        return mechanism
    return _ll.mechanism_from_name(mechanism)


def _mech_name(number: int) -> str:
    name = _ll.mechanism_name(number)
    if name is None:
        raise ValueError(f"unknown mechanism number {number}")
    return name


def _text(v: str | bytes) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


def _closed(obj: object) -> ObjectFreed:
    return ObjectFreed(f"this {type(obj).__name__} is closed", int(Status.OBJECT_FREED))


@dataclass(frozen=True)
class StoredCredentials:
    """What a server stores per user: never the password."""

    mechanism: str
    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes

    @classmethod
    def _from_c(cls, c: CData) -> StoredCredentials:
        n = int(c.key_len)
        return cls(
            _mech_name(int(c.mechanism)),
            int(c.iterations),
            bytes(c.salt[0 : c.salt_len]),
            bytes(c.stored_key[0:n]),
            bytes(c.server_key[0:n]),
        )

    def _to_c(self) -> CData:
        c = ffi.new("mongoauth_scram_credentials *")
        c.mechanism = _mech(self.mechanism)
        c.iterations = self.iterations
        c.salt_len = len(self.salt)
        c.key_len = len(self.stored_key)
        if len(self.salt) > _ll.MAX_SALT_BYTES or len(self.stored_key) > _ll.MAX_KEY_BYTES:
            raise ValueError("salt or key too long")
        ffi.memmove(c.salt, self.salt, len(self.salt))
        ffi.memmove(c.stored_key, self.stored_key, len(self.stored_key))
        ffi.memmove(c.server_key, self.server_key, len(self.server_key))
        return c

    @classmethod
    def generate(
        cls,
        mechanism: Mechanism,
        username: str | bytes,
        password: str | bytes,
        salt: bytes | None = None,
        iterations: int | None = None,
    ) -> StoredCredentials:
        """Derive credentials as MongoDB's createUser does (runs PBKDF2)."""
        m = _mech(mechanism)
        salt = _ll.random_bytes(_SALT_LEN[m]) if salt is None else salt
        iterations = _DEFAULT_ITERATIONS[m] if iterations is None else iterations
        c = _ll.scram_credentials_generate(m, _text(username), _text(password), salt, iterations)
        try:
            return cls._from_c(c)
        finally:
            _ll.memzero(c, ffi.sizeof("mongoauth_scram_credentials"))

    @classmethod
    def decoy(cls, mechanism: Mechanism, secret: bytes, username: str | bytes) -> StoredCredentials:
        """Credentials for an unknown user: the login fails like a wrong password."""
        return cls._from_c(_ll.scram_credentials_decoy(_mech(mechanism), secret, _text(username)))


@dataclass(frozen=True)
class ScramKeys:
    """A client's derived keys (secret): log in later without the password."""

    mechanism: str
    iterations: int
    salt: bytes
    client_key: bytes
    server_key: bytes

    def __repr__(self) -> str:  # never show the keys
        return f"ScramKeys(mechanism={self.mechanism!r}, iterations={self.iterations}, <keys redacted>)"

    def _to_c(self) -> CData:
        c = ffi.new("mongoauth_scram_keys *")
        c.mechanism = _mech(self.mechanism)
        c.iterations = self.iterations
        c.salt_len = len(self.salt)
        c.key_len = len(self.client_key)
        ffi.memmove(c.salt, self.salt, len(self.salt))
        ffi.memmove(c.client_key, self.client_key, len(self.client_key))
        ffi.memmove(c.server_key, self.server_key, len(self.server_key))
        return c


_Self = TypeVar("_Self", bound="_Object")


class _Object:
    """A Python object owning one C object: `close()` (or the end of a
    `with` block, or garbage collection) wipes and frees it; a closed
    object raises `ObjectFreed` on use."""

    _p: CData = None

    @staticmethod
    def _free(p: CData, /) -> None:
        raise NotImplementedError

    @property
    def _ptr(self) -> CData:
        p = self._p
        if p is None:
            raise _closed(self)
        return p

    def close(self) -> None:
        """Wipe and free the C object now (idempotent)."""
        if self._p is not None:
            p, self._p = self._p, None
            type(self)._free(p)

    def __del__(self) -> None:
        self.close()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class KeyCache(_Object):
    """A fixed-capacity cache of derived keys (SCRAM) shared by client
    logins, so that a repeated login skips PBKDF2. Give it to
    `Authenticator(..., key_cache=)` or `ScramClient(..., cache=)`. Not
    thread-safe: use it from one thread at a time. It cannot be closed
    while an open Authenticator uses it (`Busy`)."""

    _free = staticmethod(_ll.key_cache_free)

    def __init__(self) -> None:
        self._users = 0
        self._orphaned = False
        self._p = _ll.key_cache_new()

    def __len__(self) -> int:
        return _ll.key_cache_len(self._ptr)

    def purge(self) -> None:
        """Wipe every entry."""
        _ll.key_cache_purge(self._ptr)

    def close(self) -> None:
        """Wipe and free the cache now (idempotent). `Busy` while an
        Authenticator that uses it is open (the C object points to it)."""
        if self._p is not None and self._users:
            raise Busy(f"this KeyCache is used by {self._users} open Authenticator(s)", int(Status.BUSY))
        super().close()

    def __del__(self) -> None:
        if self._users:
            # collected with the Authenticators using it (a cycle): the last
            # of them to close frees it (Authenticator.close)
            self._orphaned = True
        else:
            super().close()

    def _user_destructor(self) -> Callable[[CData], None]:
        """Count one more Authenticator using the cache; the returned
        function frees that Authenticator's C object and uncounts it."""
        self._users += 1
        free = _ll.lib.mongoauth_authenticator_free

        def destroy(p: CData) -> None:
            free(p)
            self._users -= 1

        return destroy


class ScramClient(_Object):
    """A SCRAM client conversation: `message()` to send, `step(reply)` to
    advance; `step` returns the next message, or None once the server is
    verified."""

    _free = staticmethod(_ll.scram_client_free)

    def __init__(
        self,
        mechanism: Mechanism,
        username: str | bytes,
        password: str | bytes | None = None,
        *,
        keys: ScramKeys | None = None,
        entropy: bytes | None = None,
        max_iterations: int | None = None,
        cache: KeyCache | None = None,
    ) -> None:
        """Start a conversation with a password, or with `keys` (from an
        earlier `keys()`) instead. `cache`: a KeyCache for the keys."""
        self._p = _ll.scram_client_new()
        self._cache = cache
        if max_iterations is not None:
            _ll.scram_client_set_max_iterations(self._p, max_iterations)
        entropy = _ll.random_bytes(_ll.MIN_ENTROPY_BYTES) if entropy is None else entropy
        if keys is not None:
            if password is not None:
                raise ValueError("give a password or keys, not both")
            c = keys._to_c()
            try:
                _ll.scram_client_start_with_keys(self._p, _text(username), c, entropy)
            finally:
                _ll.memzero(c, ffi.sizeof("mongoauth_scram_keys"))
        else:
            if password is None:
                raise ValueError("give a password or keys")
            _ll.scram_client_start(self._p, _mech(mechanism), _text(username), _text(password), entropy)

    @property
    def mechanism(self) -> str:
        """The conversation's mechanism name."""
        return _mech_name(_ll.scram_client_mechanism(self._ptr))

    def message(self) -> bytes:
        """The message to send now."""
        return _ll.scram_client_message(self._ptr)

    def step(self, server_message: bytes) -> bytes | None:
        """Take the server's message: the next message to send, or None
        when the server is verified."""
        cache = self._cache._ptr if self._cache is not None else ffi.NULL
        done = _ll.scram_client_step(self._ptr, server_message, cache)
        return None if done else self.message()

    @property
    def authenticated(self) -> bool:
        """Whether the server's signature verified."""
        return _ll.scram_client_is_authenticated(self._ptr)

    def keys(self) -> ScramKeys:
        """The derived keys (secret), to log in later without the password."""
        c = _ll.scram_client_keys(self._ptr)
        try:
            n = int(c.key_len)
            return ScramKeys(
                _mech_name(int(c.mechanism)),
                int(c.iterations),
                bytes(c.salt[0 : c.salt_len]),
                bytes(c.client_key[0:n]),
                bytes(c.server_key[0:n]),
            )
        finally:
            _ll.memzero(c, ffi.sizeof("mongoauth_scram_keys"))


class ScramServer(_Object):
    """A SCRAM server conversation (one login)."""

    _free = staticmethod(_ll.scram_server_free)

    def __init__(self, mechanism: Mechanism) -> None:
        """A conversation for `mechanism` ("SCRAM-SHA-1" / "SCRAM-SHA-256")."""
        self._p = _ll.scram_server_new()
        _ll.scram_server_start(self._p, _mech(mechanism))

    def handle_client_first(self, message: bytes) -> str:
        """Parse the client-first-message; returns the username to look up."""
        _ll.scram_server_handle_client_first(self._ptr, message)
        return self.username

    @property
    def username(self) -> str:
        """The username the client sent."""
        return _ll.scram_server_username(self._ptr).decode("utf-8")

    def respond(self, credentials: StoredCredentials, entropy: bytes | None = None) -> bytes:
        """Answer with the user's credentials; returns the server-first-message."""
        entropy = _ll.random_bytes(_ll.MIN_ENTROPY_BYTES) if entropy is None else entropy
        _ll.scram_server_respond(self._ptr, credentials._to_c(), entropy)
        return self.message()

    def handle_client_final(self, message: bytes) -> bytes:
        """Verify the proof; returns the server-final-message. On failure the
        exception's `server_message` is the `e=...` answer for the client."""
        try:
            _ll.scram_server_handle_client_final(self._ptr, message)
        except ScramError as e:
            e.server_message = _ll.scram_server_message(self._ptr)
            raise
        return self.message()

    def message(self) -> bytes:
        """The message to send now."""
        return _ll.scram_server_message(self._ptr)

    @property
    def authenticated(self) -> bool:
        """Whether the client's proof verified."""
        return _ll.scram_server_is_authenticated(self._ptr)
