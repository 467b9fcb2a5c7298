//! [`WireError`]: why a message could not be parsed or written.

use core::fmt;

use crate::codec::bson::BsonError;

/// Why a message could not be parsed or written. Offsets are bytes from the
/// start of the frame (or of the document, for a document parsed alone).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The body (or a document in it) is malformed BSON, or a field has the
    /// wrong BSON type or is missing.
    Bson(BsonError),
    /// The frame ended inside a fixed-size field.
    Truncated {
        /// The field, e.g. "flagBits".
        field: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// messageLength is negative or shorter than any OP_MSG.
    BadMessageLength {
        /// The value in the header.
        length: i32,
    },
    /// messageLength is above [`MAX_MESSAGE_SIZE`](super::MAX_MESSAGE_SIZE) or the caller's buffer.
    MessageTooLarge {
        /// The value in the header (or the size to be written).
        length: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// messageLength does not match the frame's size.
    LengthMismatch {
        /// messageLength.
        declared: usize,
        /// Bytes given.
        actual: usize,
    },
    /// The opCode is not OP_MSG (2013).
    UnsupportedOpCode {
        /// The opCode found.
        op_code: i32,
    },
    /// flagBits sets a required bit (0-15) this crate does not know.
    UnknownRequiredFlags {
        /// The flag bits.
        flags: u32,
    },
    /// A kind-1 (document sequence) section: auth messages never use one.
    DocumentSequence {
        /// Where the section starts.
        offset: usize,
    },
    /// A section kind other than 0 or 1.
    UnknownSectionKind {
        /// The kind byte.
        kind: u8,
        /// Where it is.
        offset: usize,
    },
    /// No kind-0 body section.
    MissingBody,
    /// More than one kind-0 body section.
    DuplicateBody {
        /// Where the second one starts.
        offset: usize,
    },
    /// The CRC-32C at the end of the message does not match its contents.
    ChecksumMismatch {
        /// The checksum in the message.
        expected: u32,
        /// The checksum computed.
        computed: u32,
    },
    /// The output buffer is too small: `required` bytes are needed.
    BufferTooSmall(crate::BufferTooSmall),
    /// A field has the right type but a value the protocol does not allow.
    InvalidField {
        /// The field name.
        field: &'static str,
        /// Where the element starts.
        offset: usize,
        /// The rule it broke.
        rule: &'static str,
    },
    /// The body is a different command than the one being parsed.
    UnexpectedCommand {
        /// What was expected, e.g. "saslStart".
        expected: &'static str,
        /// Where the body's first element is.
        offset: usize,
    },
}

impl From<BsonError> for WireError {
    fn from(e: BsonError) -> Self {
        match e {
            BsonError::BufferTooSmall(crate::BufferTooSmall { required }) => {
                Self::BufferTooSmall(crate::BufferTooSmall { required })
            }
            other => Self::Bson(other),
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Bson(e) => write!(f, "OP_MSG body: {e}"),
            Self::Truncated { field, offset } => {
                write!(f, "OP_MSG ends inside {field} at byte {offset}")
            }
            Self::BadMessageLength { length } => {
                write!(f, "OP_MSG messageLength {length} is too small")
            }
            Self::MessageTooLarge { length, limit } => {
                write!(f, "message of {length} bytes exceeds the limit of {limit}")
            }
            Self::LengthMismatch { declared, actual } => {
                write!(f, "OP_MSG messageLength {declared} does not match the {actual} bytes given")
            }
            Self::UnsupportedOpCode { op_code } => {
                write!(f, "unsupported opCode {op_code} (only OP_MSG 2013)")
            }
            Self::UnknownRequiredFlags { flags } => {
                write!(f, "OP_MSG flagBits 0x{flags:08x} set unknown required bits")
            }
            Self::DocumentSequence { offset } => {
                write!(f, "OP_MSG document sequence section at byte {offset} is not supported")
            }
            Self::UnknownSectionKind { kind, offset } => {
                write!(f, "unknown OP_MSG section kind {kind} at byte {offset}")
            }
            Self::MissingBody => f.write_str("OP_MSG has no body section"),
            Self::DuplicateBody { offset } => {
                write!(f, "second OP_MSG body section at byte {offset}")
            }
            Self::ChecksumMismatch { expected, computed } => write!(
                f,
                "OP_MSG checksum 0x{expected:08x} does not match computed 0x{computed:08x}"
            ),
            Self::BufferTooSmall(crate::BufferTooSmall { required }) => {
                write!(f, "output buffer too small: {required} bytes needed")
            }
            Self::InvalidField { field, offset, rule } => {
                write!(f, "field `{field}` at byte {offset}: {rule}")
            }
            Self::UnexpectedCommand { expected, offset } => {
                write!(f, "expected a {expected} document at byte {offset}")
            }
        }
    }
}

impl core::error::Error for WireError {}
