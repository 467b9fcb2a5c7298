//! [`BsonError`]: every way a document can be malformed, or fail to be
//! written, with the byte offset where one applies.

use core::fmt;

use crate::reader::ReadError;

/// What is wrong with a BSON document, or why one could not be written.
/// Parse errors carry the absolute byte offset in the parsed input.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BsonError {
    /// The input ended inside a fixed-size field.
    Truncated {
        /// The field being read, e.g. "int32 value".
        field: &'static str,
        /// Where the field starts.
        offset: usize,
    },
    /// A length prefix is negative, below its minimum, above
    /// [`MAX_DOCUMENT_SIZE`](super::MAX_DOCUMENT_SIZE), or points past the enclosing input.
    BadLength {
        /// Which length, e.g. "document length".
        field: &'static str,
        /// Where the length prefix starts.
        offset: usize,
        /// The value it holds.
        length: i32,
    },
    /// A document or string does not end with its 0x00 terminator, or an
    /// element name runs to the end of the document.
    MissingTerminator {
        /// "document", "string" or "element name".
        field: &'static str,
        /// Where the terminator should be (or where the name starts).
        offset: usize,
    },
    /// A 0x00 terminator came before the end the document's length declared.
    EarlyTerminator {
        /// Where the early terminator is.
        offset: usize,
    },
    /// A string or element name is not valid UTF-8.
    InvalidUtf8 {
        /// "string" or "element name".
        field: &'static str,
        /// Where its bytes start.
        offset: usize,
    },
    /// An element type byte that is not BSON, or a deprecated type this crate
    /// does not accept.
    UnsupportedType {
        /// The type byte.
        element_type: u8,
        /// Where the element starts.
        offset: usize,
    },
    /// A boolean byte other than 0 or 1.
    InvalidBool {
        /// The byte found.
        value: u8,
        /// Where it is.
        offset: usize,
    },
    /// An array element's key is not the next decimal index.
    InvalidArrayIndex {
        /// Where the element starts.
        offset: usize,
    },
    /// Documents are nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    TooDeep {
        /// Where the document that is one level too deep starts.
        offset: usize,
        /// The limit.
        max: usize,
    },
    /// Bytes follow the document where the input should have ended.
    TrailingData {
        /// Where the extra bytes start.
        offset: usize,
    },
    /// A typed lookup found no element with this key.
    Missing {
        /// The key.
        field: &'static str,
    },
    /// A typed lookup found the key with another type (or, for numbers, a
    /// value out of the requested range).
    WrongType {
        /// The key.
        field: &'static str,
        /// Where the element starts.
        offset: usize,
        /// What was expected, e.g. "string".
        expected: &'static str,
        /// The element type byte found.
        found: u8,
    },
    /// The writer's output buffer is too small: `required` bytes are needed
    /// for the whole document (and any framing before it).
    BufferTooSmall(crate::BufferTooSmall),
    /// The writer was given a key containing a NUL byte, which a BSON
    /// element name cannot hold.
    KeyContainsNul,
    /// The writer would produce a document larger than [`MAX_DOCUMENT_SIZE`](super::MAX_DOCUMENT_SIZE).
    TooLarge {
        /// The size reached.
        size: usize,
        /// The limit.
        max: usize,
    },
}

impl BsonError {
    /// The byte offset the error is about, if it is a parse error.
    pub fn offset(&self) -> Option<usize> {
        match *self {
            Self::Truncated { offset, .. }
            | Self::BadLength { offset, .. }
            | Self::MissingTerminator { offset, .. }
            | Self::EarlyTerminator { offset }
            | Self::InvalidUtf8 { offset, .. }
            | Self::UnsupportedType { offset, .. }
            | Self::InvalidBool { offset, .. }
            | Self::InvalidArrayIndex { offset }
            | Self::TooDeep { offset, .. }
            | Self::TrailingData { offset }
            | Self::WrongType { offset, .. } => Some(offset),
            Self::Missing { .. }
            | Self::BufferTooSmall(_)
            | Self::KeyContainsNul
            | Self::TooLarge { .. } => None,
        }
    }

    pub(super) fn from_read(e: ReadError, field: &'static str) -> Self {
        match e {
            ReadError::Unterminated { offset } => Self::MissingTerminator { field, offset },
            ReadError::TrailingData { offset, .. } => Self::TrailingData { offset },
            ReadError::UnexpectedEnd { offset, .. } => Self::Truncated { field, offset },
        }
    }
}

impl fmt::Display for BsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Truncated { field, offset } => {
                write!(f, "BSON input ends inside {field} at byte {offset}")
            }
            Self::BadLength { field, offset, length } => {
                write!(f, "BSON {field} {length} at byte {offset} is out of range")
            }
            Self::MissingTerminator { field, offset } => {
                write!(f, "BSON {field} lacks its NUL terminator at byte {offset}")
            }
            Self::EarlyTerminator { offset } => {
                write!(f, "BSON document terminator at byte {offset} comes before its declared end")
            }
            Self::InvalidUtf8 { field, offset } => {
                write!(f, "BSON {field} at byte {offset} is not valid UTF-8")
            }
            Self::UnsupportedType { element_type, offset } => {
                write!(f, "unsupported BSON element type 0x{element_type:02x} at byte {offset}")
            }
            Self::InvalidBool { value, offset } => {
                write!(f, "BSON boolean byte 0x{value:02x} at byte {offset} is not 0 or 1")
            }
            Self::InvalidArrayIndex { offset } => {
                write!(f, "BSON array element at byte {offset} is not keyed by the next index")
            }
            Self::TooDeep { offset, max } => {
                write!(f, "BSON document at byte {offset} is nested deeper than {max} levels")
            }
            Self::TrailingData { offset } => {
                write!(f, "unexpected bytes after the BSON document at byte {offset}")
            }
            Self::Missing { field } => write!(f, "BSON field `{field}` is missing"),
            Self::WrongType { field, offset, expected, found } => write!(
                f,
                "BSON field `{field}` at byte {offset} has type 0x{found:02x}, expected {expected}"
            ),
            Self::BufferTooSmall(crate::BufferTooSmall { required }) => {
                write!(f, "output buffer too small: {required} bytes needed")
            }
            Self::KeyContainsNul => f.write_str("BSON element name contains a NUL byte"),
            Self::TooLarge { size, max } => {
                write!(f, "BSON document of {size} bytes exceeds the limit of {max}")
            }
        }
    }
}

impl core::error::Error for BsonError {}
