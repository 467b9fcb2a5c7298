//! Bounds-checked BSON over borrowed slices: exactly what authentication needs.
//!
//! * Reading: [`Document::parse`] validates a whole document once (length
//!   prefixes, terminators, element types, UTF-8, booleans, array indices,
//!   nesting up to [`MAX_DEPTH`]) without recursion. After that, lookups and
//!   iteration are infallible views into the caller's bytes; nothing is copied.
//! * Parsing once: a parser that reads several fields indexes them in one
//!   walk ([`Document::fields`]), or while validating
//!   ([`Document::parse_fields`]), and looks them up in the index
//!   ([`Fields`], through [`Lookup`]) instead of rescanning the document.
//! * Writing: [`DocWriter`] writes elements into a caller's `&mut [u8]` and
//!   back-patches length prefixes. If the buffer is too small it keeps
//!   counting and [`DocWriter::finish`] reports the exact size needed
//!   ([`BsonError::BufferTooSmall`]); a truncated document is never returned.
//!
//! Element types read as values: double, string, document, array, binary
//! (any subtype, kept), ObjectId, bool, UTC datetime, null, int32, timestamp,
//! int64. Regex, JavaScript code, decimal128, MinKey and MaxKey are checked
//! and skipped over as [`Value::Other`], because real server replies (hello's
//! `topologyVersion`, `$clusterTime`, `lastWrite`) carry some of them. The
//! deprecated types (undefined, DBPointer, symbol, code-with-scope) are
//! rejected: servers do not send them, and code-with-scope would need a
//! recursive parse.
//!
//! Duplicate keys are allowed, as in BSON; lookups return the first match,
//! as the server's own `BSONObj::getField` does.
//!
//! Layout, one job per module: `error` ([`BsonError`]: what went wrong, and
//! where), `value` (the value types and typed reads), `reader` (validation
//! and iteration), `fields` (the one-walk field index), `writer`
//! ([`DocWriter`]).

mod error;
mod fields;
mod reader;
mod value;
mod writer;

pub use error::BsonError;
pub use fields::{Fields, Lookup};
pub use reader::{Array, ArrayIter, Document, Element, Iter};
pub use value::{Binary, FromValue, Integer, Value};
pub use writer::{ArrayWriter, DocWriter};

/// Deepest nesting [`Document::parse`] accepts and [`DocWriter`] writes: the
/// top-level document is depth 1. Auth documents need 3 (a hello with a
/// speculative saslStart with `options`); real hello replies need 4. The
/// validator keeps one small frame per level on the stack, so this bounds
/// stack use too.
pub const MAX_DEPTH: usize = 32;

/// Largest document accepted or written, in bytes: the server's internal
/// object limit (16 MiB `maxBsonObjectSize` plus 16 KiB of headroom it allows
/// for command replies).
pub const MAX_DOCUMENT_SIZE: usize = 16 * 1024 * 1024 + 16 * 1024;

/// Smallest possible document: a 4-byte length and the terminator.
pub const MIN_DOCUMENT_SIZE: usize = 5;

/// BSON element type bytes used by this module.
pub mod element_type {
    /// 64-bit binary floating point.
    pub const DOUBLE: u8 = 0x01;
    /// UTF-8 string.
    pub const STRING: u8 = 0x02;
    /// Embedded document.
    pub const DOCUMENT: u8 = 0x03;
    /// Array (a document keyed "0", "1", ...).
    pub const ARRAY: u8 = 0x04;
    /// Binary data with a subtype byte.
    pub const BINARY: u8 = 0x05;
    /// Deprecated "undefined" (rejected).
    pub const UNDEFINED: u8 = 0x06;
    /// 12-byte ObjectId.
    pub const OBJECT_ID: u8 = 0x07;
    /// Boolean (one byte, 0 or 1).
    pub const BOOL: u8 = 0x08;
    /// UTC datetime, milliseconds since the epoch.
    pub const DATETIME: u8 = 0x09;
    /// Null.
    pub const NULL: u8 = 0x0A;
    /// Regular expression: two cstrings.
    pub const REGEX: u8 = 0x0B;
    /// Deprecated DBPointer (rejected).
    pub const DB_POINTER: u8 = 0x0C;
    /// JavaScript code (a string).
    pub const JAVASCRIPT: u8 = 0x0D;
    /// Deprecated symbol (rejected).
    pub const SYMBOL: u8 = 0x0E;
    /// Deprecated code with scope (rejected).
    pub const CODE_WITH_SCOPE: u8 = 0x0F;
    /// 32-bit signed integer.
    pub const INT32: u8 = 0x10;
    /// Internal MongoDB timestamp (increment, seconds).
    pub const TIMESTAMP: u8 = 0x11;
    /// 64-bit signed integer.
    pub const INT64: u8 = 0x12;
    /// 128-bit decimal floating point.
    pub const DECIMAL128: u8 = 0x13;
    /// MinKey.
    pub const MIN_KEY: u8 = 0xFF;
    /// MaxKey.
    pub const MAX_KEY: u8 = 0x7F;
}

/// The binary subtype for generic bytes, used by every SASL `payload`.
pub const BINARY_SUBTYPE_GENERIC: u8 = 0x00;
