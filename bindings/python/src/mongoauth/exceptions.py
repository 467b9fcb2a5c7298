"""Exceptions keyed by mongoauth status code (never by message text).

Every failed call raises a subclass of `MongoauthError`, which carries the
C status (`.status`, also `.code`), the library's specific text
(`.message`, never a secret), the byte of the input it points at
(`.offset`) and, for a server's refusal, the server's code
(`.server_code`, 18 for AuthenticationFailed).

The groups follow the C ranges:

* `CallerError` (1-99, also a `ValueError`): the call was wrong. Its
  `ObjectMisuse` group is a C object used wrongly: `Busy` (a call on an
  object from inside one of its own callbacks), `ObjectFreed`,
  `InvalidObject`, `WrongAllocation`, ...
* `ScramError` (100-199): the peer's message or the login failed;
  `AuthenticationFailed` is a wrong username or password (the server's
  code 18 on the client side).
* `UriError` (200-299, also a `ValueError`): a connection string.
* `WireError` (300-399): a BSON document or OP_MSG frame.
* `HandshakeError` (400-499): the server refused or broke the handshake,
  or I/O failed.
* `InternalError` (900-999): a bug in mongoauth.

`error_for(status, message)` builds the right one: the code's own class,
else its range's group.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class Status(IntEnum):
    """The C status codes (pinned; checked against the library by the tests)."""

    OK = 0
    NULL_POINTER = 1
    BUFFER_TOO_SMALL = 2
    INVALID_ARGUMENT = 3
    INVALID_UTF8 = 4
    INVALID_OBJECT = 5
    MEMORY_TOO_SMALL = 6
    MEMORY_MISALIGNED = 7
    WRONG_ALLOCATION = 8
    UNEXPECTED_STEP = 9
    UNSUPPORTED_MECHANISM = 10
    CAPACITY = 11
    INVALID_NONCE = 12
    INVALID_CREDENTIAL = 13
    SASLPREP = 14
    KEYS_DO_NOT_MATCH_SERVER = 15
    RANDOM_UNAVAILABLE = 16
    OUT_OF_MEMORY = 17
    BUSY = 18
    OBJECT_FREED = 19
    MALFORMED_MESSAGE = 100
    NONCE_MISMATCH = 101
    ITERATION_COUNT_TOO_LOW = 102
    ITERATION_COUNT_TOO_HIGH = 103
    SERVER_SIGNATURE_MISMATCH = 104
    SERVER_ERROR = 105
    MANDATORY_EXTENSION = 106
    AUTHENTICATION_FAILED = 107
    CHANNEL_BINDING_NOT_SUPPORTED = 108
    URI_SYNTAX = 200
    URI_OPTION = 201
    URI_CREDENTIAL = 202
    URI_SRV = 203
    URI_ENCODE = 204
    BSON_MALFORMED = 300
    FRAME_MALFORMED = 301
    UNSUPPORTED_OPCODE = 302
    MESSAGE_TOO_LARGE = 303
    CHECKSUM_MISMATCH = 304
    COMMAND_FAILED = 400
    PROTOCOL = 401
    IO = 402
    UNEXPECTED_EOF = 403
    NOT_AUTHENTICATED = 404
    TIMEOUT = 405
    GSS_FAILURE = 500
    GSS_NO_CONTEXT = 501
    PANIC = 900
    INTERNAL = 901


class MongoauthError(Exception):
    """Root of all mongoauth errors.

    `status` is the C status code (branch on it or on the class, never on
    the text), `message` the library's specific text for people,
    `offset` the byte of the input the error points at (None when none),
    `server_code` the server's numeric error code when a server refused
    (0 otherwise).
    """

    #: The status code of the class; instances of a range's group class
    #: carry their own.
    default_status: ClassVar[int] = -1

    def __init__(
        self,
        message: str = "",
        status: int | None = None,
        *,
        offset: int | None = None,
        server_code: int = 0,
        gss_major: int = 0,
        gss_minor: int = 0,
    ) -> None:
        self.status: int = int(self.default_status if status is None else status)
        self.message: str = message
        self.offset: int | None = offset
        self.server_code: int = server_code
        #: GSS-API major and minor status (`GssFailure`; 0 otherwise).
        self.gss_major: int = gss_major
        self.gss_minor: int = gss_minor
        super().__init__(f"{self.status_name}: {message}")

    @property
    def code(self) -> int:
        """The status code (an alias of `status`, kept for older callers)."""
        return self.status

    @property
    def status_name(self) -> str:
        """The C name of the status, e.g. `MONGOAUTH_STATUS_BUSY`."""
        try:
            return "MONGOAUTH_STATUS_" + Status(self.status).name
        except ValueError:
            return "MONGOAUTH_STATUS_UNKNOWN"


# ---- groups (one per C range) ----------------------------------------------------


class CallerError(MongoauthError, ValueError):
    """The call was wrong (codes 1-99): fix the calling code."""


class ObjectMisuse(CallerError):
    """A C object was used wrongly: not initialised, of another type, in
    use by a running call, cleared, or released the wrong way."""


class ScramError(MongoauthError):
    """The peer's message or the login failed (codes 100-199)."""

    #: On the server side (`ScramServer.handle_client_final`): the `e=...`
    #: message to send the client; None otherwise.
    server_message: bytes | None = None


class UriError(MongoauthError, ValueError):
    """A connection string is invalid (codes 200-299); `offset` is the byte."""


class WireError(MongoauthError):
    """A BSON document or OP_MSG frame is malformed (codes 300-399)."""


class HandshakeError(MongoauthError):
    """The server refused or broke the handshake, or I/O failed (400-499)."""


class InternalError(MongoauthError):
    """A bug in mongoauth (codes 900-999)."""


# ---- the caller (1-99) -----------------------------------------------------------


class NullPointer(CallerError):
    """A required pointer was NULL (or NULL with a non-zero length)."""

    default_status = Status.NULL_POINTER


class BufferTooSmall(CallerError):
    """An output buffer is too small; `needed` is the size the library asked for."""

    default_status = Status.BUFFER_TOO_SMALL
    needed: int | None = None


class InvalidArgument(CallerError):
    """An argument is out of range (an unknown number, option or index)."""

    default_status = Status.INVALID_ARGUMENT


class InvalidUtf8(CallerError):
    """A text argument is not valid UTF-8."""

    default_status = Status.INVALID_UTF8


class InvalidObject(ObjectMisuse):
    """The object was never initialised, or is of another type."""

    default_status = Status.INVALID_OBJECT


class MemoryTooSmall(ObjectMisuse):
    """Caller memory is smaller than the object's `_SIZE`."""

    default_status = Status.MEMORY_TOO_SMALL


class MemoryMisaligned(ObjectMisuse):
    """Caller memory is not aligned to the object's `_ALIGN`."""

    default_status = Status.MEMORY_MISALIGNED


class WrongAllocation(ObjectMisuse):
    """`_free` on caller memory, or `_clear` on a heap object."""

    default_status = Status.WRONG_ALLOCATION


class UnexpectedStep(CallerError):
    """A call out of order: the conversation is not waiting for it."""

    default_status = Status.UNEXPECTED_STEP


class UnsupportedMechanism(CallerError):
    """The mechanism is known but not supported by this library."""

    default_status = Status.UNSUPPORTED_MECHANISM


class CapacityExceeded(CallerError):
    """A fixed limit was exceeded (a length above its limit, too many users)."""

    default_status = Status.CAPACITY


class InvalidNonce(CallerError):
    """Nonce entropy must be 24 to 48 random bytes."""

    default_status = Status.INVALID_NONCE


class InvalidCredential(CallerError):
    """A credential breaks a rule (empty username, missing password, ...)."""

    default_status = Status.INVALID_CREDENTIAL


class SaslprepError(CallerError):
    """The password could not be SASLprep'd (a prohibited character)."""

    default_status = Status.SASLPREP


class KeysDoNotMatchServer(CallerError):
    """Provisioned keys are stale: the server's salt or iteration count changed."""

    default_status = Status.KEYS_DO_NOT_MATCH_SERVER


class RandomUnavailable(CallerError):
    """The operating system's random source failed."""

    default_status = Status.RANDOM_UNAVAILABLE


class OutOfMemory(CallerError):
    """A heap allocation in the library failed."""

    default_status = Status.OUT_OF_MEMORY


class Busy(ObjectMisuse):
    """The object is in use by a call that has not returned: a call on it
    from inside one of its own callbacks (e.g. from the socket callbacks of
    `Authenticator.handshake`). Nothing was done."""

    default_status = Status.BUSY


class ObjectFreed(ObjectMisuse):
    """A caller-memory object was used after its `_clear` (or cleared twice)."""

    default_status = Status.OBJECT_FREED


# ---- SCRAM and the login (100-199) -----------------------------------------------


class MalformedMessage(ScramError):
    """A SCRAM message from the peer broke the RFC 5802 grammar."""

    default_status = Status.MALFORMED_MESSAGE


class NonceMismatch(ScramError):
    """The SCRAM nonce does not match."""

    default_status = Status.NONCE_MISMATCH


class IterationCountTooLow(ScramError):
    """The server asked for fewer than 4096 iterations."""

    default_status = Status.ITERATION_COUNT_TOO_LOW


class IterationCountTooHigh(ScramError):
    """The server asked for more iterations than the client's cap."""

    default_status = Status.ITERATION_COUNT_TOO_HIGH


class ServerSignatureMismatch(ScramError):
    """The server's signature did not verify: it is not who it claims."""

    default_status = Status.SERVER_SIGNATURE_MISMATCH


class ServerError(ScramError):
    """The server answered `e=<value>`; the value is in the message."""

    default_status = Status.SERVER_ERROR


class MandatoryExtension(ScramError):
    """The server required an unsupported SCRAM extension (`m=`)."""

    default_status = Status.MANDATORY_EXTENSION


class AuthenticationFailed(ScramError):
    """Wrong username or password (deliberately not said which). On the
    client side the server's code 18 (`server_code`); on the server side a
    proof that did not verify."""

    default_status = Status.AUTHENTICATION_FAILED


class ChannelBindingNotSupported(ScramError):
    """The client asked for channel binding, which is not supported."""

    default_status = Status.CHANNEL_BINDING_NOT_SUPPORTED


# ---- connection strings (200-299) ------------------------------------------------


class UriSyntax(UriError):
    """The connection string breaks the URI syntax; `offset` is the byte."""

    default_status = Status.URI_SYNTAX


class UriOption(UriError):
    """A connection string option is invalid or conflicts with another."""

    default_status = Status.URI_OPTION


class UriCredential(UriError):
    """The connection string's credential breaks its mechanism's rules."""

    default_status = Status.URI_CREDENTIAL


class UriSrv(UriError):
    """A `mongodb+srv` rule is broken (host, SRV or TXT record)."""

    default_status = Status.URI_SRV


class UriEncode(UriError):
    """The encoder cannot build a connection string from these parts."""

    default_status = Status.URI_ENCODE


# ---- BSON and OP_MSG (300-399) ---------------------------------------------------


class BsonMalformed(WireError):
    """A BSON document is malformed, or a field has the wrong type or value."""

    default_status = Status.BSON_MALFORMED


class FrameMalformed(WireError):
    """An OP_MSG frame is malformed (length, flags, sections)."""

    default_status = Status.FRAME_MALFORMED


class UnsupportedOpcode(WireError):
    """A frame has an opCode this library does not handle."""

    default_status = Status.UNSUPPORTED_OPCODE


class MessageTooLarge(WireError):
    """A frame announces more bytes than the limit or the buffer."""

    default_status = Status.MESSAGE_TOO_LARGE


class ChecksumMismatch(WireError):
    """An OP_MSG checksum does not match its contents."""

    default_status = Status.CHECKSUM_MISMATCH


# ---- the handshake (400-499) -----------------------------------------------------


class CommandFailed(HandshakeError):
    """The server answered a command with `ok: 0`; see `server_code` (a
    wrong password, code 18, is `AuthenticationFailed` instead)."""

    default_status = Status.COMMAND_FAILED


class ProtocolViolation(HandshakeError):
    """The server broke the handshake protocol."""

    default_status = Status.PROTOCOL


class IoError(HandshakeError):
    """A read or write failed (the socket's error is the `__cause__`)."""

    default_status = Status.IO


class UnexpectedEof(HandshakeError):
    """The peer closed the connection mid-handshake."""

    default_status = Status.UNEXPECTED_EOF


class NotAuthenticated(HandshakeError):
    """The handshake ended without a verified login (an arbiter's hello):
    the connection is NOT authenticated, though nothing failed."""

    default_status = Status.NOT_AUTHENTICATED


class Timeout(HandshakeError):
    """The handshake did not finish before its deadline."""

    default_status = Status.TIMEOUT


# ---- GSSAPI (500-599) -------------------------------------------------------------


class GssError(MongoauthError):
    """Group: the GSS-API library (Kerberos) failed."""


class GssFailure(GssError):
    """The GSS-API library refused: `gss_major` and `gss_minor` hold its
    status codes (e.g. major 0xd0000 GSS_S_FAILURE, minor a Kerberos error
    code) and `message` its text (`gss_display_status`). Raise it from a
    Python GSS initiator or acceptor to report a failure the same way."""

    default_status = Status.GSS_FAILURE

    def __init__(
        self,
        message: str = "",
        status: int | None = None,
        *,
        major: int | None = None,
        minor: int | None = None,
        offset: int | None = None,
        server_code: int = 0,
        gss_major: int = 0,
        gss_minor: int = 0,
    ) -> None:
        super().__init__(
            message,
            status,
            offset=offset,
            server_code=server_code,
            gss_major=gss_major if major is None else major,
            gss_minor=gss_minor if minor is None else minor,
        )

    @property
    def major(self) -> int:
        """The GSS-API major status (`gss_major`)."""
        return self.gss_major

    @property
    def minor(self) -> int:
        """The GSS-API minor status, the mechanism's code (`gss_minor`)."""
        return self.gss_minor


class GssNoContext(GssError):
    """A GSS wrap, unwrap or source name without an established context."""

    default_status = Status.GSS_NO_CONTEXT


# ---- bugs (900-999) --------------------------------------------------------------


class Panic(InternalError):
    """A panic was caught at the library's boundary (a bug: please report it)."""

    default_status = Status.PANIC


class Internal(InternalError):
    """The library reported an error this binding does not know (a bug)."""

    default_status = Status.INTERNAL


def _leaves(cls: type[MongoauthError]) -> list[type[MongoauthError]]:
    out: list[type[MongoauthError]] = []
    for sub in cls.__subclasses__():
        if "default_status" in vars(sub):
            out.append(sub)
        out.extend(_leaves(sub))
    return out


#: The class of every known status code.
BY_CODE: dict[int, type[MongoauthError]] = {int(c.default_status): c for c in _leaves(MongoauthError)}

_GROUPS: tuple[tuple[int, int, type[MongoauthError]], ...] = (
    (1, 99, CallerError),
    (100, 199, ScramError),
    (200, 299, UriError),
    (300, 399, WireError),
    (400, 499, HandshakeError),
    (500, 599, GssError),
    (900, 999, InternalError),
)


def error_for(
    status: int,
    message: str,
    *,
    offset: int | None = None,
    server_code: int = 0,
    gss_major: int = 0,
    gss_minor: int = 0,
) -> MongoauthError:
    """The exception for a status code: its own class, else its range's group."""
    cls = BY_CODE.get(status)
    if cls is not None:
        return cls(message, offset=offset, server_code=server_code, gss_major=gss_major, gss_minor=gss_minor)
    for low, high, group in _GROUPS:
        if low <= status <= high:
            return group(message, status, offset=offset, server_code=server_code, gss_major=gss_major, gss_minor=gss_minor)
    return MongoauthError(message, status, offset=offset, server_code=server_code, gss_major=gss_major, gss_minor=gss_minor)


# Spelled out (not computed) so that type checkers see every name.
__all__ = [
    "Status",
    "MongoauthError",
    "error_for",
    "BY_CODE",
    "CallerError",
    "ObjectMisuse",
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
    "Busy",
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
    "AuthenticationFailed",
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
