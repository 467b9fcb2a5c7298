//! Status codes: pinned numbers grouped by range, a name and a message for
//! every one, and the mapping from the core's [`mongoauth::Error`].

use core::ffi::{CStr, c_char};

use mongoauth::Error;
use mongoauth::codec::wire::WireError;
use mongoauth::uri::{UriError, UriErrorKind};

/// The result of every fallible mongoauth call. The numbers are pinned: a
/// code keeps its value forever, and retired values are never reused.
///
/// Ranges (test ranges, never individual messages):
/// * `0`: success.
/// * `1..=99`: the caller's input or use of the API (fix the call).
/// * `100..=199`: SCRAM: the peer's message or the login itself failed.
/// * `200..=299`: connection strings (URI parsing, credentials, encoding).
/// * `300..=399`: BSON documents and OP_MSG frames.
/// * `400..=499`: the authenticator and handshake driver: server replies
///   and I/O.
/// * `500..=599`: GSSAPI: the GSS-API library (the caller's callbacks or
///   the system library) failed.
/// * `900..=999`: a bug in mongoauth.
///
/// In C the type is `uint32_t`; functions that take a code back
/// (`mongoauth_status_name`) accept any `uint32_t`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mongoauth_status {
    /// Success.
    MONGOAUTH_STATUS_OK = 0,

    /// A required pointer argument was NULL (or NULL with a non-zero length).
    MONGOAUTH_STATUS_NULL_POINTER = 1,
    /// An output buffer is too small; `*written` holds the size needed.
    MONGOAUTH_STATUS_BUFFER_TOO_SMALL = 2,
    /// An argument is out of range (e.g. an unknown mechanism number).
    MONGOAUTH_STATUS_INVALID_ARGUMENT = 3,
    /// A text argument (username, password) is not valid UTF-8.
    MONGOAUTH_STATUS_INVALID_UTF8 = 4,
    /// The object was never initialised or is of another type (a cleared
    /// one is `OBJECT_FREED`).
    MONGOAUTH_STATUS_INVALID_OBJECT = 5,
    /// Caller memory is smaller than the object's `_SIZE` constant.
    MONGOAUTH_STATUS_MEMORY_TOO_SMALL = 6,
    /// Caller memory is not aligned to the object's `_ALIGN` constant.
    MONGOAUTH_STATUS_MEMORY_MISALIGNED = 7,
    /// `_free` on caller memory, or `_clear` on a heap object.
    MONGOAUTH_STATUS_WRONG_ALLOCATION = 8,
    /// A call out of order: the conversation is not waiting for it.
    MONGOAUTH_STATUS_UNEXPECTED_STEP = 9,
    /// The mechanism is known but not built into this library.
    MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM = 10,
    /// A fixed limit was exceeded (username, password, salt, message length).
    MONGOAUTH_STATUS_CAPACITY = 11,
    /// Entropy for a nonce is too short or too long (24 to 48 bytes).
    MONGOAUTH_STATUS_INVALID_NONCE = 12,
    /// A credential breaks a rule (empty username, empty salt, keys of
    /// another mechanism).
    MONGOAUTH_STATUS_INVALID_CREDENTIAL = 13,
    /// The password could not be SASLprep'd (prohibited character).
    MONGOAUTH_STATUS_SASLPREP = 14,
    /// Provisioned keys were derived for another salt or iteration count
    /// than the server now uses: a password is needed again.
    MONGOAUTH_STATUS_KEYS_DO_NOT_MATCH_SERVER = 15,
    /// The operating system's random source failed.
    MONGOAUTH_STATUS_RANDOM_UNAVAILABLE = 16,
    /// A heap allocation failed.
    MONGOAUTH_STATUS_OUT_OF_MEMORY = 17,

    /// A SCRAM message from the peer broke the RFC 5802 grammar.
    MONGOAUTH_STATUS_MALFORMED_MESSAGE = 100,
    /// The nonce does not match (server nonce not extending the client's,
    /// or a client-final nonce that differs).
    MONGOAUTH_STATUS_NONCE_MISMATCH = 101,
    /// The server asked for fewer than 4096 iterations.
    MONGOAUTH_STATUS_ITERATION_COUNT_TOO_LOW = 102,
    /// The server asked for more iterations than the client's cap.
    MONGOAUTH_STATUS_ITERATION_COUNT_TOO_HIGH = 103,
    /// The server's signature did not verify: it does not know the password.
    MONGOAUTH_STATUS_SERVER_SIGNATURE_MISMATCH = 104,
    /// The server answered `e=<value>`; the value is in the error message.
    MONGOAUTH_STATUS_SERVER_ERROR = 105,
    /// The server required an unsupported extension (`m=`).
    MONGOAUTH_STATUS_MANDATORY_EXTENSION = 106,
    /// Wrong password or unknown user (deliberately not said which). Client
    /// side: the server's code 18 (AuthenticationFailed), which is also in
    /// `mongoauth_error.server_code`; server side: the proof did not verify.
    MONGOAUTH_STATUS_AUTHENTICATION_FAILED = 107,
    /// Server side: the client asked for channel binding.
    MONGOAUTH_STATUS_CHANNEL_BINDING_NOT_SUPPORTED = 108,

    /// A connection string breaks the URI syntax (scheme, userinfo escaping,
    /// hosts, port, database); `mongoauth_error.offset` is the byte.
    MONGOAUTH_STATUS_URI_SYNTAX = 200,
    /// A connection string option is invalid, conflicts with another or is
    /// not allowed here (e.g. an unknown `authMechanism`).
    MONGOAUTH_STATUS_URI_OPTION = 201,
    /// The connection string's credential breaks its mechanism's rules.
    MONGOAUTH_STATUS_URI_CREDENTIAL = 202,
    /// A `mongodb+srv` rule (host, SRV or TXT record) is broken.
    MONGOAUTH_STATUS_URI_SRV = 203,
    /// The URI encoder was given a part it cannot encode.
    MONGOAUTH_STATUS_URI_ENCODE = 204,

    /// A BSON document (a command or a reply body) is malformed, or a field
    /// has the wrong type or value.
    MONGOAUTH_STATUS_BSON_MALFORMED = 300,
    /// An OP_MSG (or OP_QUERY) frame is malformed: length, flags, sections.
    MONGOAUTH_STATUS_FRAME_MALFORMED = 301,
    /// A frame has an opCode this library does not handle.
    MONGOAUTH_STATUS_UNSUPPORTED_OPCODE = 302,
    /// A frame announces more bytes than the limit or the caller's buffer.
    MONGOAUTH_STATUS_MESSAGE_TOO_LARGE = 303,
    /// An OP_MSG checksum does not match its contents.
    MONGOAUTH_STATUS_CHECKSUM_MISMATCH = 304,

    /// The server answered a command with `ok: 0`; its numeric code is in
    /// `mongoauth_error.server_code` (code 18, AuthenticationFailed, is
    /// `MONGOAUTH_STATUS_AUTHENTICATION_FAILED` instead).
    MONGOAUTH_STATUS_COMMAND_FAILED = 400,
    /// The server broke the handshake protocol (claimed done too early,
    /// changed the conversation id, answered another request).
    MONGOAUTH_STATUS_PROTOCOL = 401,
    /// A read or write callback reported an error.
    MONGOAUTH_STATUS_IO = 402,
    /// The peer closed the connection in the middle of the handshake.
    MONGOAUTH_STATUS_UNEXPECTED_EOF = 403,

    /// A Rust panic was caught at the boundary: a bug, please report it.
    MONGOAUTH_STATUS_PANIC = 900,
    /// The core reported an error this version of the C ABI does not know: a bug.
    MONGOAUTH_STATUS_INTERNAL = 901,

    /// The handshake ended without a verified login (an arbiter's hello
    /// reply): the connection is NOT authenticated.
    MONGOAUTH_STATUS_NOT_AUTHENTICATED = 404,
    /// The handshake did not finish before its deadline.
    MONGOAUTH_STATUS_TIMEOUT = 405,
    // Added after the first release: appended here, numbered in their range.
    /// The object is lent out to a call that has not returned: a call on it
    /// from inside one of that call's callbacks (`mongoauth_authenticator_handshake`'s
    /// read or write). Nothing was done; call again once the running call
    /// has returned.
    MONGOAUTH_STATUS_BUSY = 18,
    /// A caller-memory object used after its `_clear`, or cleared twice:
    /// initialise it again first. (After `_free` a heap object's memory is
    /// gone: using it is undefined, as after `free()`.)
    MONGOAUTH_STATUS_OBJECT_FREED = 19,
    /// The GSS-API library failed (a callback's `MONGOAUTH_GSS_FAILED`, or
    /// the system library): `mongoauth_error.gss_major` and `gss_minor`
    /// hold its status codes and the message its text.
    MONGOAUTH_STATUS_GSS_FAILURE = 500,
    /// A GSS wrap, unwrap or source name without an established security
    /// context.
    MONGOAUTH_STATUS_GSS_NO_CONTEXT = 501,
}

use mongoauth_status::*;

/// Every status (for tests and name lookup): each range in numeric order,
/// later additions appended.
pub(crate) const ALL: [mongoauth_status; 48] = [
    MONGOAUTH_STATUS_OK,
    MONGOAUTH_STATUS_NULL_POINTER,
    MONGOAUTH_STATUS_BUFFER_TOO_SMALL,
    MONGOAUTH_STATUS_INVALID_ARGUMENT,
    MONGOAUTH_STATUS_INVALID_UTF8,
    MONGOAUTH_STATUS_INVALID_OBJECT,
    MONGOAUTH_STATUS_MEMORY_TOO_SMALL,
    MONGOAUTH_STATUS_MEMORY_MISALIGNED,
    MONGOAUTH_STATUS_WRONG_ALLOCATION,
    MONGOAUTH_STATUS_UNEXPECTED_STEP,
    MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM,
    MONGOAUTH_STATUS_CAPACITY,
    MONGOAUTH_STATUS_INVALID_NONCE,
    MONGOAUTH_STATUS_INVALID_CREDENTIAL,
    MONGOAUTH_STATUS_SASLPREP,
    MONGOAUTH_STATUS_KEYS_DO_NOT_MATCH_SERVER,
    MONGOAUTH_STATUS_RANDOM_UNAVAILABLE,
    MONGOAUTH_STATUS_OUT_OF_MEMORY,
    MONGOAUTH_STATUS_MALFORMED_MESSAGE,
    MONGOAUTH_STATUS_NONCE_MISMATCH,
    MONGOAUTH_STATUS_ITERATION_COUNT_TOO_LOW,
    MONGOAUTH_STATUS_ITERATION_COUNT_TOO_HIGH,
    MONGOAUTH_STATUS_SERVER_SIGNATURE_MISMATCH,
    MONGOAUTH_STATUS_SERVER_ERROR,
    MONGOAUTH_STATUS_MANDATORY_EXTENSION,
    MONGOAUTH_STATUS_AUTHENTICATION_FAILED,
    MONGOAUTH_STATUS_CHANNEL_BINDING_NOT_SUPPORTED,
    MONGOAUTH_STATUS_URI_SYNTAX,
    MONGOAUTH_STATUS_URI_OPTION,
    MONGOAUTH_STATUS_URI_CREDENTIAL,
    MONGOAUTH_STATUS_URI_SRV,
    MONGOAUTH_STATUS_URI_ENCODE,
    MONGOAUTH_STATUS_BSON_MALFORMED,
    MONGOAUTH_STATUS_FRAME_MALFORMED,
    MONGOAUTH_STATUS_UNSUPPORTED_OPCODE,
    MONGOAUTH_STATUS_MESSAGE_TOO_LARGE,
    MONGOAUTH_STATUS_CHECKSUM_MISMATCH,
    MONGOAUTH_STATUS_COMMAND_FAILED,
    MONGOAUTH_STATUS_PROTOCOL,
    MONGOAUTH_STATUS_IO,
    MONGOAUTH_STATUS_UNEXPECTED_EOF,
    MONGOAUTH_STATUS_PANIC,
    MONGOAUTH_STATUS_NOT_AUTHENTICATED,
    MONGOAUTH_STATUS_TIMEOUT,
    MONGOAUTH_STATUS_BUSY,
    MONGOAUTH_STATUS_OBJECT_FREED,
    MONGOAUTH_STATUS_GSS_FAILURE,
    MONGOAUTH_STATUS_GSS_NO_CONTEXT,
];

impl TryFrom<u32> for mongoauth_status {
    type Error = u32;
    fn try_from(code: u32) -> Result<Self, u32> {
        if code == MONGOAUTH_STATUS_INTERNAL as u32 {
            return Ok(MONGOAUTH_STATUS_INTERNAL);
        }
        ALL.iter().copied().find(|s| *s as u32 == code).ok_or(code)
    }
}

impl mongoauth_status {
    /// The C name of the code, e.g. `MONGOAUTH_STATUS_BUFFER_TOO_SMALL`.
    pub fn name(self) -> &'static CStr {
        match self {
            MONGOAUTH_STATUS_OK => c"MONGOAUTH_STATUS_OK",
            MONGOAUTH_STATUS_NULL_POINTER => c"MONGOAUTH_STATUS_NULL_POINTER",
            MONGOAUTH_STATUS_BUFFER_TOO_SMALL => c"MONGOAUTH_STATUS_BUFFER_TOO_SMALL",
            MONGOAUTH_STATUS_INVALID_ARGUMENT => c"MONGOAUTH_STATUS_INVALID_ARGUMENT",
            MONGOAUTH_STATUS_INVALID_UTF8 => c"MONGOAUTH_STATUS_INVALID_UTF8",
            MONGOAUTH_STATUS_INVALID_OBJECT => c"MONGOAUTH_STATUS_INVALID_OBJECT",
            MONGOAUTH_STATUS_MEMORY_TOO_SMALL => c"MONGOAUTH_STATUS_MEMORY_TOO_SMALL",
            MONGOAUTH_STATUS_MEMORY_MISALIGNED => c"MONGOAUTH_STATUS_MEMORY_MISALIGNED",
            MONGOAUTH_STATUS_WRONG_ALLOCATION => c"MONGOAUTH_STATUS_WRONG_ALLOCATION",
            MONGOAUTH_STATUS_UNEXPECTED_STEP => c"MONGOAUTH_STATUS_UNEXPECTED_STEP",
            MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM => c"MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM",
            MONGOAUTH_STATUS_CAPACITY => c"MONGOAUTH_STATUS_CAPACITY",
            MONGOAUTH_STATUS_INVALID_NONCE => c"MONGOAUTH_STATUS_INVALID_NONCE",
            MONGOAUTH_STATUS_INVALID_CREDENTIAL => c"MONGOAUTH_STATUS_INVALID_CREDENTIAL",
            MONGOAUTH_STATUS_SASLPREP => c"MONGOAUTH_STATUS_SASLPREP",
            MONGOAUTH_STATUS_KEYS_DO_NOT_MATCH_SERVER => {
                c"MONGOAUTH_STATUS_KEYS_DO_NOT_MATCH_SERVER"
            }
            MONGOAUTH_STATUS_RANDOM_UNAVAILABLE => c"MONGOAUTH_STATUS_RANDOM_UNAVAILABLE",
            MONGOAUTH_STATUS_OUT_OF_MEMORY => c"MONGOAUTH_STATUS_OUT_OF_MEMORY",
            MONGOAUTH_STATUS_MALFORMED_MESSAGE => c"MONGOAUTH_STATUS_MALFORMED_MESSAGE",
            MONGOAUTH_STATUS_NONCE_MISMATCH => c"MONGOAUTH_STATUS_NONCE_MISMATCH",
            MONGOAUTH_STATUS_ITERATION_COUNT_TOO_LOW => c"MONGOAUTH_STATUS_ITERATION_COUNT_TOO_LOW",
            MONGOAUTH_STATUS_ITERATION_COUNT_TOO_HIGH => {
                c"MONGOAUTH_STATUS_ITERATION_COUNT_TOO_HIGH"
            }
            MONGOAUTH_STATUS_SERVER_SIGNATURE_MISMATCH => {
                c"MONGOAUTH_STATUS_SERVER_SIGNATURE_MISMATCH"
            }
            MONGOAUTH_STATUS_SERVER_ERROR => c"MONGOAUTH_STATUS_SERVER_ERROR",
            MONGOAUTH_STATUS_MANDATORY_EXTENSION => c"MONGOAUTH_STATUS_MANDATORY_EXTENSION",
            MONGOAUTH_STATUS_AUTHENTICATION_FAILED => c"MONGOAUTH_STATUS_AUTHENTICATION_FAILED",
            MONGOAUTH_STATUS_CHANNEL_BINDING_NOT_SUPPORTED => {
                c"MONGOAUTH_STATUS_CHANNEL_BINDING_NOT_SUPPORTED"
            }
            MONGOAUTH_STATUS_URI_SYNTAX => c"MONGOAUTH_STATUS_URI_SYNTAX",
            MONGOAUTH_STATUS_URI_OPTION => c"MONGOAUTH_STATUS_URI_OPTION",
            MONGOAUTH_STATUS_URI_CREDENTIAL => c"MONGOAUTH_STATUS_URI_CREDENTIAL",
            MONGOAUTH_STATUS_URI_SRV => c"MONGOAUTH_STATUS_URI_SRV",
            MONGOAUTH_STATUS_URI_ENCODE => c"MONGOAUTH_STATUS_URI_ENCODE",
            MONGOAUTH_STATUS_BSON_MALFORMED => c"MONGOAUTH_STATUS_BSON_MALFORMED",
            MONGOAUTH_STATUS_FRAME_MALFORMED => c"MONGOAUTH_STATUS_FRAME_MALFORMED",
            MONGOAUTH_STATUS_UNSUPPORTED_OPCODE => c"MONGOAUTH_STATUS_UNSUPPORTED_OPCODE",
            MONGOAUTH_STATUS_MESSAGE_TOO_LARGE => c"MONGOAUTH_STATUS_MESSAGE_TOO_LARGE",
            MONGOAUTH_STATUS_CHECKSUM_MISMATCH => c"MONGOAUTH_STATUS_CHECKSUM_MISMATCH",
            MONGOAUTH_STATUS_COMMAND_FAILED => c"MONGOAUTH_STATUS_COMMAND_FAILED",
            MONGOAUTH_STATUS_PROTOCOL => c"MONGOAUTH_STATUS_PROTOCOL",
            MONGOAUTH_STATUS_IO => c"MONGOAUTH_STATUS_IO",
            MONGOAUTH_STATUS_UNEXPECTED_EOF => c"MONGOAUTH_STATUS_UNEXPECTED_EOF",
            MONGOAUTH_STATUS_PANIC => c"MONGOAUTH_STATUS_PANIC",
            MONGOAUTH_STATUS_INTERNAL => c"MONGOAUTH_STATUS_INTERNAL",
            MONGOAUTH_STATUS_NOT_AUTHENTICATED => c"MONGOAUTH_STATUS_NOT_AUTHENTICATED",
            MONGOAUTH_STATUS_TIMEOUT => c"MONGOAUTH_STATUS_TIMEOUT",
            MONGOAUTH_STATUS_BUSY => c"MONGOAUTH_STATUS_BUSY",
            MONGOAUTH_STATUS_OBJECT_FREED => c"MONGOAUTH_STATUS_OBJECT_FREED",
            MONGOAUTH_STATUS_GSS_FAILURE => c"MONGOAUTH_STATUS_GSS_FAILURE",
            MONGOAUTH_STATUS_GSS_NO_CONTEXT => c"MONGOAUTH_STATUS_GSS_NO_CONTEXT",
        }
    }

    /// A generic one-line message for the code (the `mongoauth_error` struct
    /// carries the specific one).
    pub fn message(self) -> &'static CStr {
        match self {
            MONGOAUTH_STATUS_OK => c"success",
            MONGOAUTH_STATUS_NULL_POINTER => c"a required pointer argument is NULL",
            MONGOAUTH_STATUS_BUFFER_TOO_SMALL => {
                c"output buffer too small (the size needed is in *written)"
            }
            MONGOAUTH_STATUS_INVALID_ARGUMENT => c"an argument is out of range",
            MONGOAUTH_STATUS_INVALID_UTF8 => c"a text argument is not valid UTF-8",
            MONGOAUTH_STATUS_INVALID_OBJECT => c"object not initialised, or of another type",
            MONGOAUTH_STATUS_MEMORY_TOO_SMALL => {
                c"caller memory is smaller than the object's _SIZE constant"
            }
            MONGOAUTH_STATUS_MEMORY_MISALIGNED => {
                c"caller memory is not aligned to the object's _ALIGN constant"
            }
            MONGOAUTH_STATUS_WRONG_ALLOCATION => {
                c"_free called on caller memory, or _clear on a heap object"
            }
            MONGOAUTH_STATUS_UNEXPECTED_STEP => c"call out of order for the conversation's state",
            MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM => c"mechanism not supported by this build",
            MONGOAUTH_STATUS_CAPACITY => c"a fixed size limit was exceeded",
            MONGOAUTH_STATUS_INVALID_NONCE => c"nonce entropy must be 24 to 48 random bytes",
            MONGOAUTH_STATUS_INVALID_CREDENTIAL => c"invalid credential",
            MONGOAUTH_STATUS_SASLPREP => c"the password could not be SASLprep'd",
            MONGOAUTH_STATUS_KEYS_DO_NOT_MATCH_SERVER => {
                c"provisioned keys do not match the server's salt or iteration count"
            }
            MONGOAUTH_STATUS_RANDOM_UNAVAILABLE => c"the operating system's random source failed",
            MONGOAUTH_STATUS_OUT_OF_MEMORY => c"out of memory",
            MONGOAUTH_STATUS_MALFORMED_MESSAGE => c"malformed SCRAM message from the peer",
            MONGOAUTH_STATUS_NONCE_MISMATCH => c"SCRAM nonce mismatch",
            MONGOAUTH_STATUS_ITERATION_COUNT_TOO_LOW => {
                c"server iteration count below the minimum of 4096"
            }
            MONGOAUTH_STATUS_ITERATION_COUNT_TOO_HIGH => {
                c"server iteration count above the client's maximum"
            }
            MONGOAUTH_STATUS_SERVER_SIGNATURE_MISMATCH => {
                c"server signature did not verify (server does not know the password)"
            }
            MONGOAUTH_STATUS_SERVER_ERROR => c"the server reported a SCRAM error",
            MONGOAUTH_STATUS_MANDATORY_EXTENSION => {
                c"the server requires an unsupported SCRAM extension"
            }
            MONGOAUTH_STATUS_AUTHENTICATION_FAILED => c"authentication failed",
            MONGOAUTH_STATUS_CHANNEL_BINDING_NOT_SUPPORTED => {
                c"the client requested channel binding, which is not supported"
            }
            MONGOAUTH_STATUS_URI_SYNTAX => {
                c"invalid connection string syntax (offset in the error)"
            }
            MONGOAUTH_STATUS_URI_OPTION => c"invalid or conflicting connection string option",
            MONGOAUTH_STATUS_URI_CREDENTIAL => {
                c"the connection string's credential breaks its mechanism's rules"
            }
            MONGOAUTH_STATUS_URI_SRV => c"mongodb+srv rule broken (host, SRV or TXT record)",
            MONGOAUTH_STATUS_URI_ENCODE => c"cannot encode the connection string from these parts",
            MONGOAUTH_STATUS_BSON_MALFORMED => c"malformed BSON document or unexpected field",
            MONGOAUTH_STATUS_FRAME_MALFORMED => c"malformed OP_MSG frame",
            MONGOAUTH_STATUS_UNSUPPORTED_OPCODE => c"unsupported wire protocol opCode",
            MONGOAUTH_STATUS_MESSAGE_TOO_LARGE => c"message larger than the limit or the buffer",
            MONGOAUTH_STATUS_CHECKSUM_MISMATCH => c"OP_MSG checksum mismatch",
            MONGOAUTH_STATUS_COMMAND_FAILED => {
                c"the server answered the command with an error (code in server_code)"
            }
            MONGOAUTH_STATUS_PROTOCOL => c"the server broke the authentication protocol",
            MONGOAUTH_STATUS_IO => c"a read or write callback failed",
            MONGOAUTH_STATUS_UNEXPECTED_EOF => c"the peer closed the connection mid-handshake",
            MONGOAUTH_STATUS_PANIC => c"internal error: a panic was caught (a bug in mongoauth)",
            MONGOAUTH_STATUS_INTERNAL => c"internal error: unknown error (a bug in mongoauth)",
            MONGOAUTH_STATUS_NOT_AUTHENTICATED => {
                c"the handshake ended without a verified login (e.g. an arbiter): not authenticated"
            }
            MONGOAUTH_STATUS_TIMEOUT => c"the handshake did not finish before its deadline",
            MONGOAUTH_STATUS_BUSY => {
                c"the object is in use by a call that has not returned (a call from inside its callback)"
            }
            MONGOAUTH_STATUS_OBJECT_FREED => {
                c"the object was cleared or freed: initialise it again before use"
            }
            MONGOAUTH_STATUS_GSS_FAILURE => {
                c"the GSS-API library failed (major/minor status in gss_major/gss_minor)"
            }
            MONGOAUTH_STATUS_GSS_NO_CONTEXT => c"no established GSS-API security context",
        }
    }
}

impl From<&Error> for mongoauth_status {
    fn from(e: &Error) -> Self {
        match e {
            Error::Malformed { .. } => MONGOAUTH_STATUS_MALFORMED_MESSAGE,
            Error::NonceMismatch => MONGOAUTH_STATUS_NONCE_MISMATCH,
            Error::IterationCountTooLow { .. } => MONGOAUTH_STATUS_ITERATION_COUNT_TOO_LOW,
            Error::IterationCountTooHigh { .. } => MONGOAUTH_STATUS_ITERATION_COUNT_TOO_HIGH,
            Error::ServerSignatureMismatch => MONGOAUTH_STATUS_SERVER_SIGNATURE_MISMATCH,
            Error::ServerError(_) => MONGOAUTH_STATUS_SERVER_ERROR,
            Error::MandatoryExtension => MONGOAUTH_STATUS_MANDATORY_EXTENSION,
            Error::AuthenticationFailed => MONGOAUTH_STATUS_AUTHENTICATION_FAILED,
            Error::ChannelBindingNotSupported => MONGOAUTH_STATUS_CHANNEL_BINDING_NOT_SUPPORTED,
            Error::Capacity { .. } => MONGOAUTH_STATUS_CAPACITY,
            Error::BufferTooSmall(_) => MONGOAUTH_STATUS_BUFFER_TOO_SMALL,
            Error::InvalidNonce { .. } => MONGOAUTH_STATUS_INVALID_NONCE,
            Error::InvalidCredential { .. } => MONGOAUTH_STATUS_INVALID_CREDENTIAL,
            Error::Saslprep(_) => MONGOAUTH_STATUS_SASLPREP,
            Error::KeysDoNotMatchServer => MONGOAUTH_STATUS_KEYS_DO_NOT_MATCH_SERVER,
            Error::UnexpectedStep { .. } => MONGOAUTH_STATUS_UNEXPECTED_STEP,
            Error::Wire(w) => wire_status(w),
            Error::Uri(u) => uri_status(u),
            Error::CommandFailed(c) if c.is_authentication_failed() => {
                MONGOAUTH_STATUS_AUTHENTICATION_FAILED
            }
            Error::CommandFailed(_) => MONGOAUTH_STATUS_COMMAND_FAILED,
            Error::Protocol { .. } => MONGOAUTH_STATUS_PROTOCOL,
            Error::MechanismNotSupported(_) => MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM,
            // A caller's date string is an argument; anything else came from the server.
            Error::Aws(a) if a.input == mongoauth::mech::aws::AwsInput::Date => {
                MONGOAUTH_STATUS_INVALID_ARGUMENT
            }
            Error::Aws(_) => MONGOAUTH_STATUS_MALFORMED_MESSAGE,
            Error::Gss(f) => crate::gss::gss_failure_status(f),
            _ => MONGOAUTH_STATUS_INTERNAL,
        }
    }
}

/// The status of a GSS-API library error.
#[cfg(feature = "gssapi-system")]
pub(crate) fn gss_status(e: &mongoauth::mech::gssapi::GssError) -> mongoauth_status {
    use mongoauth::mech::gssapi::GssError as G;
    match e {
        G::Library { .. } => MONGOAUTH_STATUS_GSS_FAILURE,
        G::BufferTooSmall(_) => MONGOAUTH_STATUS_BUFFER_TOO_SMALL,
        G::NoContext => MONGOAUTH_STATUS_GSS_NO_CONTEXT,
    }
}

/// The status of a BSON / OP_MSG error.
pub(crate) fn wire_status(e: &WireError) -> mongoauth_status {
    match e {
        WireError::BufferTooSmall(_) => MONGOAUTH_STATUS_BUFFER_TOO_SMALL,
        WireError::Bson(_)
        | WireError::InvalidField { .. }
        | WireError::UnexpectedCommand { .. } => MONGOAUTH_STATUS_BSON_MALFORMED,
        WireError::UnsupportedOpCode { .. } => MONGOAUTH_STATUS_UNSUPPORTED_OPCODE,
        WireError::MessageTooLarge { .. } => MONGOAUTH_STATUS_MESSAGE_TOO_LARGE,
        WireError::ChecksumMismatch { .. } => MONGOAUTH_STATUS_CHECKSUM_MISMATCH,
        _ => MONGOAUTH_STATUS_FRAME_MALFORMED,
    }
}

/// The status of a connection string error.
pub(crate) fn uri_status(e: &UriError) -> mongoauth_status {
    use UriErrorKind as K;
    match e.kind {
        K::InvalidUtf8 => MONGOAUTH_STATUS_INVALID_UTF8,
        K::BufferTooSmall(_) => MONGOAUTH_STATUS_BUFFER_TOO_SMALL,
        K::LimitExceeded { .. } => MONGOAUTH_STATUS_CAPACITY,
        K::InvalidOptionValue { .. }
        | K::UnknownMechanism
        | K::UnsupportedMechanism
        | K::OptionConflict { .. }
        | K::RepeatedOption { .. }
        | K::OptionRequires { .. }
        | K::OptionRequiresSrv { .. }
        | K::OptionRule { .. } => MONGOAUTH_STATUS_URI_OPTION,
        K::Credential { .. } => MONGOAUTH_STATUS_URI_CREDENTIAL,
        K::SrvHost { .. } | K::TxtRecord { .. } => MONGOAUTH_STATUS_URI_SRV,
        K::InvalidPart { .. } | K::WriteFailed => MONGOAUTH_STATUS_URI_ENCODE,
        _ => MONGOAUTH_STATUS_URI_SYNTAX,
    }
}

fn lookup(code: u32) -> Option<mongoauth_status> {
    mongoauth_status::try_from(code).ok()
}

/// The name of a status code as a static NUL-terminated string, e.g.
/// `"MONGOAUTH_STATUS_BUFFER_TOO_SMALL"`; `"MONGOAUTH_STATUS_UNKNOWN"` for a
/// number that is not a code. Never NULL; for logs, not for branching.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_status_name(code: u32) -> *const c_char {
    lookup(code).map_or(c"MONGOAUTH_STATUS_UNKNOWN", mongoauth_status::name).as_ptr()
}

/// A generic English message for a status code, as a static NUL-terminated
/// string; never NULL. The `mongoauth_error` struct filled by a failed call
/// has the specific message.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_status_strerror(code: u32) -> *const c_char {
    lookup(code).map_or(c"unknown status code", mongoauth_status::message).as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_distinct_name_and_a_message() {
        let mut seen = 0;
        for code in 0..2000u32 {
            let Ok(s) = mongoauth_status::try_from(code) else { continue };
            seen += 1;
            assert_eq!(s as u32, code);
            let name = s.name().to_str().expect("ascii");
            assert!(name.starts_with("MONGOAUTH_STATUS_"), "{name}");
            assert!(!s.message().is_empty());
            for other in ALL.iter().filter(|o| **o != s) {
                assert_ne!(other.name(), s.name());
            }
        }
        assert_eq!(seen, ALL.len() + 1);
    }
}
