"""Exceptions keyed by mongoauth status code (never by message text).

The hierarchy follows the C ranges: `CallerError` (1-99, also a
`ValueError`), `ScramError` (100-199: the peer or the login failed),
`InternalError` (900-999). Each known code has its own class with a `code`
attribute; `error_for(code, message)` builds the right one.
"""

from __future__ import annotations

from enum import IntEnum


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
    PANIC = 900
    INTERNAL = 901


class MongoauthError(Exception):
    """Root of all mongoauth errors. `code` is the C status, `message` the
    library's specific text (for people, not for branching)."""

    code: int = -1

    def __init__(self, message: str = "", code: int | None = None):
        if code is not None:
            self.code = code
        self.message = message
        self.offset: int | None = None  # byte of the input, when known
        self.server_code: int = 0  # the server's code, for CommandFailed
        super().__init__(f"{self.status_name}: {message}")

    @property
    def status_name(self) -> str:
        try:
            return "MONGOAUTH_STATUS_" + Status(self.code).name
        except ValueError:
            return "MONGOAUTH_STATUS_UNKNOWN"


class CallerError(MongoauthError, ValueError):
    """The call was wrong (codes 1-99)."""


class ScramError(MongoauthError):
    """The peer's message or the login failed (codes 100-199)."""


class UriError(MongoauthError, ValueError):
    """A connection string is invalid (codes 200-299); `offset` is the byte."""


class WireError(MongoauthError):
    """A BSON document or OP_MSG frame is malformed (codes 300-399)."""


class HandshakeError(MongoauthError):
    """The server refused or broke the handshake, or I/O failed (400-499)."""


class InternalError(MongoauthError):
    """A bug in mongoauth (codes 900-999)."""


def _cls(name: str, base: type, code: int, doc: str) -> type:
    return type(name, (base,), {"code": code, "__doc__": doc})


NullPointer = _cls("NullPointer", CallerError, 1, "A required pointer was NULL.")
BufferTooSmall = _cls("BufferTooSmall", CallerError, 2, "An output buffer is too small; see `needed`.")
BufferTooSmall.needed = None
InvalidArgument = _cls("InvalidArgument", CallerError, 3, "An argument is out of range.")
InvalidUtf8 = _cls("InvalidUtf8", CallerError, 4, "A text argument is not UTF-8.")
InvalidObject = _cls("InvalidObject", CallerError, 5, "The object is not live.")
MemoryTooSmall = _cls("MemoryTooSmall", CallerError, 6, "Caller memory below _SIZE.")
MemoryMisaligned = _cls("MemoryMisaligned", CallerError, 7, "Caller memory misaligned.")
WrongAllocation = _cls("WrongAllocation", CallerError, 8, "_free/_clear on the wrong kind of object.")
UnexpectedStep = _cls("UnexpectedStep", CallerError, 9, "A call out of order.")
UnsupportedMechanism = _cls("UnsupportedMechanism", CallerError, 10, "Mechanism not supported.")
CapacityExceeded = _cls("CapacityExceeded", CallerError, 11, "A fixed limit was exceeded.")
InvalidNonce = _cls("InvalidNonce", CallerError, 12, "Entropy must be 24 to 48 bytes.")
InvalidCredential = _cls("InvalidCredential", CallerError, 13, "A credential breaks a rule.")
SaslprepError = _cls("SaslprepError", CallerError, 14, "The password could not be SASLprep'd.")
KeysDoNotMatchServer = _cls("KeysDoNotMatchServer", CallerError, 15, "Provisioned keys are stale.")
RandomUnavailable = _cls("RandomUnavailable", CallerError, 16, "The OS random source failed.")
OutOfMemory = _cls("OutOfMemory", CallerError, 17, "Allocation failed.")
MalformedMessage = _cls("MalformedMessage", ScramError, 100, "A malformed SCRAM message.")
NonceMismatch = _cls("NonceMismatch", ScramError, 101, "SCRAM nonce mismatch.")
IterationCountTooLow = _cls("IterationCountTooLow", ScramError, 102, "Fewer than 4096 iterations.")
IterationCountTooHigh = _cls("IterationCountTooHigh", ScramError, 103, "Above the client's cap.")
ServerSignatureMismatch = _cls("ServerSignatureMismatch", ScramError, 104, "The server is not who it claims.")
ServerError = _cls("ServerError", ScramError, 105, "The server answered e=<value>.")
MandatoryExtension = _cls("MandatoryExtension", ScramError, 106, "Unsupported m= extension.")
AuthenticationFailed = _cls("AuthenticationFailed", ScramError, 107, "Wrong password or unknown user.")
ChannelBindingNotSupported = _cls("ChannelBindingNotSupported", ScramError, 108, "Channel binding requested.")
UriSyntax = _cls("UriSyntax", UriError, 200, "Connection string syntax error.")
UriOption = _cls("UriOption", UriError, 201, "Invalid connection string option.")
UriCredential = _cls("UriCredential", UriError, 202, "The credential breaks its mechanism's rules.")
UriSrv = _cls("UriSrv", UriError, 203, "A mongodb+srv rule is broken.")
UriEncode = _cls("UriEncode", UriError, 204, "Cannot encode these parts.")
BsonMalformed = _cls("BsonMalformed", WireError, 300, "Malformed BSON.")
FrameMalformed = _cls("FrameMalformed", WireError, 301, "Malformed OP_MSG frame.")
UnsupportedOpcode = _cls("UnsupportedOpcode", WireError, 302, "Unsupported opCode.")
MessageTooLarge = _cls("MessageTooLarge", WireError, 303, "Message too large.")
ChecksumMismatch = _cls("ChecksumMismatch", WireError, 304, "OP_MSG checksum mismatch.")
CommandFailed = _cls("CommandFailed", HandshakeError, 400, "The server answered ok: 0; see `server_code`.")
ProtocolViolation = _cls("ProtocolViolation", HandshakeError, 401, "The server broke the protocol.")
IoError = _cls("IoError", HandshakeError, 402, "A read or write failed.")
UnexpectedEof = _cls("UnexpectedEof", HandshakeError, 403, "The peer closed mid-handshake.")
Panic = _cls("Panic", InternalError, 900, "A panic was caught in the library.")
Internal = _cls("Internal", InternalError, 901, "An unknown internal error.")

BY_CODE: dict[int, type] = {
    c.code: c
    for c in (
        NullPointer, BufferTooSmall, InvalidArgument, InvalidUtf8, InvalidObject, MemoryTooSmall,
        MemoryMisaligned, WrongAllocation, UnexpectedStep, UnsupportedMechanism, CapacityExceeded,
        InvalidNonce, InvalidCredential, SaslprepError, KeysDoNotMatchServer, RandomUnavailable,
        OutOfMemory, MalformedMessage, NonceMismatch, IterationCountTooLow, IterationCountTooHigh,
        ServerSignatureMismatch, ServerError, MandatoryExtension, AuthenticationFailed,
        ChannelBindingNotSupported, UriSyntax, UriOption, UriCredential, UriSrv, UriEncode,
        BsonMalformed, FrameMalformed, UnsupportedOpcode, MessageTooLarge, ChecksumMismatch,
        CommandFailed, ProtocolViolation, IoError, UnexpectedEof, Panic, Internal,
    )
}


def error_for(code: int, message: str) -> MongoauthError:
    """The exception for a status code: its own class, else its range's."""
    cls = BY_CODE.get(code)
    if cls is not None:
        return cls(message)
    if 1 <= code <= 99:
        return CallerError(message, code)
    if 100 <= code <= 199:
        return ScramError(message, code)
    if 200 <= code <= 299:
        return UriError(message, code)
    if 300 <= code <= 399:
        return WireError(message, code)
    if 400 <= code <= 499:
        return HandshakeError(message, code)
    if 900 <= code <= 999:
        return InternalError(message, code)
    return MongoauthError(message, code)
