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

from . import _lowlevel as _ll
from .exceptions import *  # noqa: F401,F403
from .exceptions import AuthenticationFailed, Busy, MongoauthError, ObjectMisuse, ScramError, Status  # noqa: F401
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
]

ffi = _ll.ffi

MECHANISMS = {"SCRAM-SHA-1": _ll.MECHANISM_SCRAM_SHA_1, "SCRAM-SHA-256": _ll.MECHANISM_SCRAM_SHA_256}
_SALT_LEN = {_ll.MECHANISM_SCRAM_SHA_1: 16, _ll.MECHANISM_SCRAM_SHA_256: 28}
_DEFAULT_ITERATIONS = {_ll.MECHANISM_SCRAM_SHA_1: 10000, _ll.MECHANISM_SCRAM_SHA_256: 15000}


def version() -> str:
    """The C library's version string."""
    return _ll.version()


def _mech(mechanism) -> int:
    if isinstance(mechanism, int):
        return mechanism
    return _ll.mechanism_from_name(mechanism)


def _text(v) -> bytes:
    return v.encode("utf-8") if isinstance(v, str) else bytes(v)


@dataclass(frozen=True)
class StoredCredentials:
    """What a server stores per user: never the password."""

    mechanism: str
    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes

    @classmethod
    def _from_c(cls, c) -> "StoredCredentials":
        n = c.key_len
        return cls(
            _ll.mechanism_name(c.mechanism),
            c.iterations,
            bytes(c.salt[0 : c.salt_len]),
            bytes(c.stored_key[0:n]),
            bytes(c.server_key[0:n]),
        )

    def _to_c(self):
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
    def generate(cls, mechanism, username, password, salt: bytes | None = None,
                 iterations: int | None = None) -> "StoredCredentials":
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
    def decoy(cls, mechanism, secret: bytes, username) -> "StoredCredentials":
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

    def _to_c(self):
        c = ffi.new("mongoauth_scram_keys *")
        c.mechanism = _mech(self.mechanism)
        c.iterations = self.iterations
        c.salt_len = len(self.salt)
        c.key_len = len(self.client_key)
        ffi.memmove(c.salt, self.salt, len(self.salt))
        ffi.memmove(c.client_key, self.client_key, len(self.client_key))
        ffi.memmove(c.server_key, self.server_key, len(self.server_key))
        return c


class KeyCache:
    """A fixed-capacity cache of derived keys shared by client logins."""

    def __init__(self):
        self._p = _ll.key_cache_new()

    def __len__(self) -> int:
        return _ll.key_cache_len(self._p)

    def purge(self) -> None:
        _ll.key_cache_purge(self._p)

    def close(self) -> None:
        if self._p is not None:
            _ll.key_cache_free(self._p)
            self._p = None

    __del__ = close


class _Object:
    _p = None
    _free = None

    def close(self) -> None:
        """Wipe and free the C object (also done on garbage collection)."""
        if self._p is not None:
            type(self)._free(self._p)
            self._p = None

    def __del__(self):
        self.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ScramClient(_Object):
    """A SCRAM client conversation: `message()` to send, `step(reply)` to
    advance; `step` returns the next message, or None once the server is
    verified."""

    _free = staticmethod(_ll.scram_client_free)

    def __init__(self, mechanism, username, password=None, *, keys: ScramKeys | None = None,
                 entropy: bytes | None = None, max_iterations: int | None = None,
                 cache: KeyCache | None = None):
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
            _ll.scram_client_start(self._p, _mech(mechanism), _text(username), _text(password), entropy)

    @property
    def mechanism(self) -> str:
        return _ll.mechanism_name(_ll.scram_client_mechanism(self._p))

    def message(self) -> bytes:
        return _ll.scram_client_message(self._p)

    def step(self, server_message: bytes) -> bytes | None:
        cache = self._cache._p if self._cache is not None else ffi.NULL
        done = _ll.scram_client_step(self._p, server_message, cache)
        return None if done else self.message()

    @property
    def authenticated(self) -> bool:
        return _ll.scram_client_is_authenticated(self._p)

    def keys(self) -> ScramKeys:
        c = _ll.scram_client_keys(self._p)
        try:
            n = c.key_len
            return ScramKeys(_ll.mechanism_name(c.mechanism), c.iterations, bytes(c.salt[0 : c.salt_len]),
                             bytes(c.client_key[0:n]), bytes(c.server_key[0:n]))
        finally:
            _ll.memzero(c, ffi.sizeof("mongoauth_scram_keys"))


class ScramServer(_Object):
    """A SCRAM server conversation (one login)."""

    _free = staticmethod(_ll.scram_server_free)

    def __init__(self, mechanism):
        self._p = _ll.scram_server_new()
        _ll.scram_server_start(self._p, _mech(mechanism))

    def handle_client_first(self, message: bytes) -> str:
        """Parse the client-first-message; returns the username to look up."""
        _ll.scram_server_handle_client_first(self._p, message)
        return self.username

    @property
    def username(self) -> str:
        return _ll.scram_server_username(self._p).decode("utf-8")

    def respond(self, credentials: StoredCredentials, entropy: bytes | None = None) -> bytes:
        """Answer with the user's credentials; returns the server-first-message."""
        entropy = _ll.random_bytes(_ll.MIN_ENTROPY_BYTES) if entropy is None else entropy
        _ll.scram_server_respond(self._p, credentials._to_c(), entropy)
        return self.message()

    def handle_client_final(self, message: bytes) -> bytes:
        """Verify the proof; returns the server-final-message. On failure the
        exception's `server_message` is the `e=...` answer for the client."""
        try:
            _ll.scram_server_handle_client_final(self._p, message)
        except ScramError as e:
            e.server_message = _ll.scram_server_message(self._p)
            raise
        return self.message()

    def message(self) -> bytes:
        return _ll.scram_server_message(self._p)

    @property
    def authenticated(self) -> bool:
        return _ll.scram_server_is_authenticated(self._p)
