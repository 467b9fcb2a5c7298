//! Bounds-checked BSON over borrowed slices: exactly what authentication needs.
//!
//! * Reading: [`Document::parse`] validates a whole document once (length
//!   prefixes, terminators, element types, UTF-8, booleans, array indices,
//!   nesting up to [`MAX_DEPTH`]) without recursion. After that, lookups and
//!   iteration are infallible views into the caller's bytes; nothing is copied.
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

use core::fmt;

use crate::reader::{ReadError, Reader};

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

use element_type as et;

/// The binary subtype for generic bytes, used by every SASL `payload`.
pub const BINARY_SUBTYPE_GENERIC: u8 = 0x00;

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
    /// [`MAX_DOCUMENT_SIZE`], or points past the enclosing input.
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
    /// Documents are nested deeper than [`MAX_DEPTH`].
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
    /// The writer would produce a document larger than [`MAX_DOCUMENT_SIZE`].
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

    fn from_read(e: ReadError, field: &'static str) -> Self {
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

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// A binary value: the subtype byte and the bytes, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binary<'a> {
    /// The subtype (0 for SASL payloads).
    pub subtype: u8,
    /// The data.
    pub bytes: &'a [u8],
}

/// One BSON value, borrowed from the document it was read from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// 0x01 double.
    Double(f64),
    /// 0x02 UTF-8 string (without its terminator).
    String(&'a str),
    /// 0x03 embedded document.
    Document(Document<'a>),
    /// 0x04 array.
    Array(Array<'a>),
    /// 0x05 binary data.
    Binary(Binary<'a>),
    /// 0x07 ObjectId.
    ObjectId([u8; 12]),
    /// 0x08 boolean.
    Bool(bool),
    /// 0x09 UTC datetime in milliseconds since the epoch.
    DateTime(i64),
    /// 0x0A null.
    Null,
    /// 0x10 int32.
    Int32(i32),
    /// 0x11 timestamp (high 32 bits: seconds, low 32 bits: increment).
    Timestamp(u64),
    /// 0x12 int64.
    Int64(i64),
    /// A checked but uninterpreted value (regex, JavaScript, decimal128,
    /// MinKey, MaxKey): its type byte and raw value bytes, so it can be
    /// copied unchanged.
    Other {
        /// The element type byte.
        element_type: u8,
        /// The value's bytes as they were on the wire.
        raw: &'a [u8],
    },
}

impl Value<'_> {
    /// The BSON element type byte of this value.
    pub fn element_type(&self) -> u8 {
        match self {
            Self::Double(_) => et::DOUBLE,
            Self::String(_) => et::STRING,
            Self::Document(_) => et::DOCUMENT,
            Self::Array(_) => et::ARRAY,
            Self::Binary(_) => et::BINARY,
            Self::ObjectId(_) => et::OBJECT_ID,
            Self::Bool(_) => et::BOOL,
            Self::DateTime(_) => et::DATETIME,
            Self::Null => et::NULL,
            Self::Int32(_) => et::INT32,
            Self::Timestamp(_) => et::TIMESTAMP,
            Self::Int64(_) => et::INT64,
            Self::Other { element_type, .. } => *element_type,
        }
    }

    /// The value as an integer if it is an int32, an int64, or a double with
    /// an exact integral value in `i64` range. MongoDB sends fields like `ok`
    /// and `code` as any of the three.
    pub fn as_integer(&self) -> Option<i64> {
        match *self {
            Self::Int32(v) => Some(i64::from(v)),
            Self::Int64(v) => Some(v),
            Self::Double(d) => double_to_i64(d),
            _ => None,
        }
    }
}

/// `d` as an `i64` if it is integral and in range; `None` for NaN, infinities
/// and fractions.
fn double_to_i64(d: f64) -> Option<i64> {
    // 2^63 as f64 is exact; every integral double in [-2^63, 2^63) fits.
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if (-TWO_63..TWO_63).contains(&d) {
        #[allow(clippy::cast_possible_truncation)]
        let i = d as i64;
        #[allow(clippy::cast_precision_loss)]
        if i as f64 == d {
            return Some(i);
        }
    }
    None
}

/// One element of a document: its key, value, and where it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Element<'a> {
    /// The element name.
    pub key: &'a str,
    /// The value.
    pub value: Value<'a>,
    /// Absolute offset of the element's type byte in the parsed input.
    pub offset: usize,
}

/// A validated BSON document borrowed from the caller's bytes.
///
/// Only [`Document::parse`] and [`Document::read`] make one, after checking
/// the whole structure, so lookups and iteration cannot fail later. Two
/// documents are equal when their bytes are.
#[derive(Clone, Copy)]
pub struct Document<'a> {
    /// The whole document: length prefix, elements, terminator.
    bytes: &'a [u8],
    /// Absolute offset of `bytes[0]` in the parsed input, for error offsets.
    offset: usize,
}

impl PartialEq for Document<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}
impl Eq for Document<'_> {}

impl fmt::Debug for Document<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut m = f.debug_map();
        for e in self.iter() {
            m.entry(&e.key, &e.value);
        }
        m.finish()
    }
}

impl<'a> Document<'a> {
    /// The empty document `{}`, for callers that need a default.
    pub const EMPTY: Document<'static> = Document { bytes: &[5, 0, 0, 0, 0], offset: 0 };

    /// Validate `bytes` as exactly one BSON document.
    ///
    /// # Errors
    /// Any structural fault, with its byte offset; [`BsonError::TrailingData`]
    /// if bytes follow the document.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, BsonError> {
        let mut r = Reader::new(bytes);
        let doc = Self::read(&mut r)?;
        r.expect_end().map_err(|e| BsonError::from_read(e, "document"))?;
        Ok(doc)
    }

    /// Read and validate one document from `r`, leaving anything after it.
    /// Offsets in errors and in the document are those of `r`.
    ///
    /// # Errors
    /// Any structural fault, with its byte offset.
    pub fn read(r: &mut Reader<'a>) -> Result<Self, BsonError> {
        let doc = read_document_shallow(r)?;
        validate(doc, MAX_DEPTH)?;
        Ok(doc)
    }

    /// The document's bytes, length prefix and terminator included.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The document's size in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether the document has no elements.
    pub fn is_empty(&self) -> bool {
        self.bytes.len() <= MIN_DOCUMENT_SIZE
    }

    /// Absolute offset of the document in the input it was parsed from.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// A reader over the elements (between length prefix and terminator).
    fn content(&self) -> Reader<'a> {
        let end = self.bytes.len().saturating_sub(1);
        let content = self.bytes.get(4..end).unwrap_or(&[]);
        Reader::with_offset(content, self.offset.saturating_add(4))
    }

    /// The elements in order.
    pub fn iter(&self) -> Iter<'a> {
        Iter { r: self.content() }
    }

    /// The first element: an OP_MSG command's name.
    pub fn first(&self) -> Option<Element<'a>> {
        self.iter().next()
    }

    /// The first element named `key`.
    pub fn get_element(&self, key: &str) -> Option<Element<'a>> {
        self.iter().find(|e| e.key == key)
    }

    /// The value of the first element named `key`.
    pub fn get(&self, key: &str) -> Option<Value<'a>> {
        self.get_element(key).map(|e| e.value)
    }

    /// Whether an element named `key` exists.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get_element(key).is_some()
    }

    /// The value of `key` as `T`, or `None` if absent.
    ///
    /// # Errors
    /// [`BsonError::WrongType`] if present with another type.
    pub fn get_opt<T: FromValue<'a>>(&self, key: &'static str) -> Result<Option<T>, BsonError> {
        match self.get_element(key) {
            None => Ok(None),
            Some(e) => T::from_value(e.value).map(Some).ok_or(BsonError::WrongType {
                field: key,
                offset: e.offset,
                expected: T::EXPECTED,
                found: e.value.element_type(),
            }),
        }
    }

    /// The value of `key` as `T`.
    ///
    /// # Errors
    /// [`BsonError::Missing`] if absent, [`BsonError::WrongType`] if present
    /// with another type.
    pub fn get_as<T: FromValue<'a>>(&self, key: &'static str) -> Result<T, BsonError> {
        self.get_opt(key)?.ok_or(BsonError::Missing { field: key })
    }

    /// A string field.
    ///
    /// # Errors
    /// Missing or not a string.
    pub fn get_str(&self, key: &'static str) -> Result<&'a str, BsonError> {
        self.get_as(key)
    }

    /// An int32 field (only int32 is accepted).
    ///
    /// # Errors
    /// Missing or not an int32.
    pub fn get_i32(&self, key: &'static str) -> Result<i32, BsonError> {
        self.get_as(key)
    }

    /// An int64 field (only int64 is accepted).
    ///
    /// # Errors
    /// Missing or not an int64.
    pub fn get_i64(&self, key: &'static str) -> Result<i64, BsonError> {
        self.get_as(key)
    }

    /// A double field (only double is accepted).
    ///
    /// # Errors
    /// Missing or not a double.
    pub fn get_f64(&self, key: &'static str) -> Result<f64, BsonError> {
        self.get_as(key)
    }

    /// A boolean field.
    ///
    /// # Errors
    /// Missing or not a boolean.
    pub fn get_bool(&self, key: &'static str) -> Result<bool, BsonError> {
        self.get_as(key)
    }

    /// A binary field of any subtype.
    ///
    /// # Errors
    /// Missing or not binary.
    pub fn get_binary(&self, key: &'static str) -> Result<Binary<'a>, BsonError> {
        self.get_as(key)
    }

    /// An embedded document field.
    ///
    /// # Errors
    /// Missing or not a document.
    pub fn get_document(&self, key: &'static str) -> Result<Document<'a>, BsonError> {
        self.get_as(key)
    }

    /// An array field.
    ///
    /// # Errors
    /// Missing or not an array.
    pub fn get_array(&self, key: &'static str) -> Result<Array<'a>, BsonError> {
        self.get_as(key)
    }

    /// A number of any BSON numeric type (int32, int64, or an integral
    /// double) as `i64`: for fields like `ok` and `code` whose type varies.
    ///
    /// # Errors
    /// Missing, not numeric, or a double that is fractional, NaN, infinite or
    /// outside `i64`.
    pub fn get_integer(&self, key: &'static str) -> Result<i64, BsonError> {
        self.get_as::<Integer>(key).map(|Integer(i)| i)
    }
}

impl<'a> IntoIterator for Document<'a> {
    type Item = Element<'a>;
    type IntoIter = Iter<'a>;
    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// Iterator over a document's elements.
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    r: Reader<'a>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Element<'a>;
    fn next(&mut self) -> Option<Element<'a>> {
        if self.r.is_empty() {
            return None;
        }
        match read_element(&mut self.r) {
            Ok(e) => Some(e),
            // Unreachable for a validated document; stop rather than panic.
            Err(_) => {
                self.r = Reader::new(&[]);
                None
            }
        }
    }
}

/// A validated BSON array: a document whose keys are "0", "1", ...
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Array<'a> {
    doc: Document<'a>,
}

impl fmt::Debug for Array<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> Array<'a> {
    /// The values in order.
    pub fn iter(&self) -> ArrayIter<'a> {
        ArrayIter { inner: self.doc.iter() }
    }

    /// The elements in order, with their offsets.
    pub fn elements(&self) -> Iter<'a> {
        self.doc.iter()
    }

    /// The number of values (counted by walking the array).
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether the array has no values.
    pub fn is_empty(&self) -> bool {
        self.doc.is_empty()
    }

    /// The value at `index`.
    pub fn get(&self, index: usize) -> Option<Value<'a>> {
        self.iter().nth(index)
    }

    /// The array as the document it is encoded as.
    pub fn as_document(&self) -> Document<'a> {
        self.doc
    }
}

impl<'a> IntoIterator for Array<'a> {
    type Item = Value<'a>;
    type IntoIter = ArrayIter<'a>;
    fn into_iter(self) -> ArrayIter<'a> {
        self.iter()
    }
}

/// Iterator over an array's values.
#[derive(Clone, Debug)]
pub struct ArrayIter<'a> {
    inner: Iter<'a>,
}

impl<'a> Iterator for ArrayIter<'a> {
    type Item = Value<'a>;
    fn next(&mut self) -> Option<Value<'a>> {
        self.inner.next().map(|e| e.value)
    }
}

mod sealed {
    pub trait Sealed {}
}

/// Types a BSON value can be read as with [`Document::get_as`] (sealed).
pub trait FromValue<'a>: Sized + sealed::Sealed {
    /// What the type expects, for [`BsonError::WrongType`].
    const EXPECTED: &'static str;
    /// The value as `Self`, if it has the right type.
    fn from_value(v: Value<'a>) -> Option<Self>;
}

macro_rules! from_value {
    ($t:ty, $expected:literal, $pat:pat => $out:expr) => {
        impl<'a> sealed::Sealed for $t {}
        impl<'a> FromValue<'a> for $t {
            const EXPECTED: &'static str = $expected;
            fn from_value(v: Value<'a>) -> Option<Self> {
                match v {
                    $pat => Some($out),
                    _ => None,
                }
            }
        }
    };
}

from_value!(&'a str, "string", Value::String(s) => s);
from_value!(i32, "int32", Value::Int32(i) => i);
from_value!(i64, "int64", Value::Int64(i) => i);
from_value!(f64, "double", Value::Double(d) => d);
from_value!(bool, "boolean", Value::Bool(b) => b);
from_value!(Binary<'a>, "binary", Value::Binary(b) => b);
from_value!(Document<'a>, "document", Value::Document(d) => d);
from_value!(Array<'a>, "array", Value::Array(a) => a);

impl<'a> sealed::Sealed for Value<'a> {}
impl<'a> FromValue<'a> for Value<'a> {
    const EXPECTED: &'static str = "any value";
    fn from_value(v: Value<'a>) -> Option<Self> {
        Some(v)
    }
}

/// Any BSON number with an exact integral value in `i64` range: int32, int64,
/// or an integral double. For fields like `ok`, `code` and `connectionId`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Integer(pub i64);

impl sealed::Sealed for Integer {}
impl<'a> FromValue<'a> for Integer {
    const EXPECTED: &'static str = "an integral number (int32, int64 or double)";
    fn from_value(v: Value<'a>) -> Option<Self> {
        v.as_integer().map(Integer)
    }
}

fn read_i32(r: &mut Reader<'_>, field: &'static str) -> Result<i32, BsonError> {
    r.i32_le().map_err(|e| BsonError::from_read(e, field))
}

/// Read a length-prefixed document without looking inside it: the prefix is
/// in range, the bytes are there, and the last one is 0x00.
fn read_document_shallow<'a>(r: &mut Reader<'a>) -> Result<Document<'a>, BsonError> {
    let start = *r;
    let offset = r.position();
    let length = read_i32(r, "document length")?;
    let bad = BsonError::BadLength { field: "document length", offset, length };
    let len = usize::try_from(length).map_err(|_| bad)?;
    if !(MIN_DOCUMENT_SIZE..=MAX_DOCUMENT_SIZE).contains(&len) {
        return Err(bad);
    }
    let body = r.take(len - 4).map_err(|_| bad)?;
    if body.last() != Some(&0) {
        return Err(BsonError::MissingTerminator { field: "document", offset: offset + len - 1 });
    }
    Ok(Document { bytes: r.bytes_since(&start), offset })
}

/// Read one element (type, name, value). Nested documents are checked only
/// shallowly here; [`validate`] walks into them.
fn read_element<'a>(r: &mut Reader<'a>) -> Result<Element<'a>, BsonError> {
    let offset = r.position();
    let ty = r.u8().map_err(|e| BsonError::from_read(e, "element type"))?;
    if ty == 0 {
        return Err(BsonError::EarlyTerminator { offset });
    }
    let key_offset = r.position();
    let key = r.cstring().map_err(|e| BsonError::from_read(e, "element name"))?;
    let key = core::str::from_utf8(key)
        .map_err(|_| BsonError::InvalidUtf8 { field: "element name", offset: key_offset })?;
    let value = read_value(r, ty, offset)?;
    Ok(Element { key, value, offset })
}

fn read_string<'a>(r: &mut Reader<'a>) -> Result<&'a str, BsonError> {
    let offset = r.position();
    let length = read_i32(r, "string length")?;
    let bad = BsonError::BadLength { field: "string length", offset, length };
    let len = usize::try_from(length).map_err(|_| bad)?;
    if len < 1 {
        return Err(bad);
    }
    let bytes = r.take(len).map_err(|_| bad)?;
    let (last, text) = bytes.split_last().ok_or(bad)?;
    if *last != 0 {
        return Err(BsonError::MissingTerminator { field: "string", offset: offset + 4 + len - 1 });
    }
    core::str::from_utf8(text)
        .map_err(|_| BsonError::InvalidUtf8 { field: "string", offset: offset + 4 })
}

fn read_value<'a>(r: &mut Reader<'a>, ty: u8, offset: usize) -> Result<Value<'a>, BsonError> {
    let fixed = |e| BsonError::from_read(e, "element value");
    let start = *r;
    Ok(match ty {
        et::DOUBLE => Value::Double(r.f64_le().map_err(fixed)?),
        et::STRING => Value::String(read_string(r)?),
        et::DOCUMENT => Value::Document(read_document_shallow(r)?),
        et::ARRAY => Value::Array(Array { doc: read_document_shallow(r)? }),
        et::BINARY => {
            let at = r.position();
            let length = read_i32(r, "binary length")?;
            let bad = BsonError::BadLength { field: "binary length", offset: at, length };
            let len = usize::try_from(length).map_err(|_| bad)?;
            let subtype = r.u8().map_err(|e| BsonError::from_read(e, "binary subtype"))?;
            let bytes = r.take(len).map_err(|_| bad)?;
            Value::Binary(Binary { subtype, bytes })
        }
        et::OBJECT_ID => Value::ObjectId(r.take_array().map_err(fixed)?),
        et::BOOL => {
            let at = r.position();
            match r.u8().map_err(fixed)? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                value => return Err(BsonError::InvalidBool { value, offset: at }),
            }
        }
        et::DATETIME => Value::DateTime(r.i64_le().map_err(fixed)?),
        et::NULL => Value::Null,
        et::INT32 => Value::Int32(r.i32_le().map_err(fixed)?),
        et::TIMESTAMP => Value::Timestamp(r.u64_le().map_err(fixed)?),
        et::INT64 => Value::Int64(r.i64_le().map_err(fixed)?),
        et::REGEX => {
            for _ in 0..2 {
                let at = r.position();
                let s = r.cstring().map_err(|e| BsonError::from_read(e, "regex"))?;
                core::str::from_utf8(s)
                    .map_err(|_| BsonError::InvalidUtf8 { field: "regex", offset: at })?;
            }
            other(ty, r, &start)
        }
        et::JAVASCRIPT => {
            read_string(r)?;
            other(ty, r, &start)
        }
        et::DECIMAL128 => {
            r.take(16).map_err(fixed)?;
            other(ty, r, &start)
        }
        et::MIN_KEY | et::MAX_KEY => other(ty, r, &start),
        element_type => {
            return Err(BsonError::UnsupportedType { element_type, offset });
        }
    })
}

fn other<'a>(element_type: u8, r: &Reader<'a>, start: &Reader<'a>) -> Value<'a> {
    Value::Other { element_type, raw: r.bytes_since(start) }
}

/// Decimal digits of `i` in `buf`, as a str: array keys without allocation.
fn index_key(i: u32, buf: &mut [u8; 10]) -> &str {
    let mut n = i;
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(slot) = buf.get_mut(at) {
            // n % 10 < 10, so the cast cannot truncate.
            #[allow(clippy::cast_possible_truncation)]
            let digit = (n % 10) as u8;
            *slot = b'0' + digit;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    buf.get(at..).and_then(|d| core::str::from_utf8(d).ok()).unwrap_or("")
}

#[derive(Clone, Copy)]
struct Frame<'a> {
    content: Reader<'a>,
    /// The next expected index, for arrays.
    next_index: Option<u32>,
}

/// Walk every element of `doc` and of all documents nested in it, without
/// recursion: one [`Frame`] per open level, at most [`MAX_DEPTH`].
fn validate(doc: Document<'_>, max_depth: usize) -> Result<(), BsonError> {
    let empty = Frame { content: Reader::new(&[]), next_index: None };
    let mut stack = [empty; MAX_DEPTH];
    match stack.get_mut(0).filter(|_| max_depth > 0) {
        Some(slot) => *slot = Frame { content: doc.content(), next_index: None },
        None => {
            return Err(BsonError::TooDeep { offset: doc.offset, max: max_depth });
        }
    }
    let mut depth = 1usize;
    while let Some(top) = depth.checked_sub(1) {
        let Some(frame) = stack.get_mut(top) else {
            break;
        };
        if frame.content.is_empty() {
            depth = top;
            continue;
        }
        let e = read_element(&mut frame.content)?;
        if let Some(i) = frame.next_index.as_mut() {
            let mut buf = [0u8; 10];
            if e.key != index_key(*i, &mut buf) {
                return Err(BsonError::InvalidArrayIndex { offset: e.offset });
            }
            *i = i.saturating_add(1);
        }
        let child = match e.value {
            Value::Document(d) => Frame { content: d.content(), next_index: None },
            Value::Array(a) => Frame { content: a.doc.content(), next_index: Some(0) },
            _ => continue,
        };
        let nested_offset = child.content.position().saturating_sub(4);
        match stack.get_mut(depth).filter(|_| depth < max_depth) {
            Some(slot) => *slot = child,
            None => {
                return Err(BsonError::TooDeep { offset: nested_offset, max: max_depth });
            }
        }
        depth += 1;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

/// Writes one BSON document into a caller's buffer, element by element.
///
/// Length prefixes are reserved and back-patched when a (nested) document
/// closes. Methods chain and never fail on their own: the first error is kept
/// and [`DocWriter::finish`] reports it. When the buffer runs out the writer
/// keeps counting without writing, so `finish` can say exactly how many bytes
/// were needed. The buffer's contents are unspecified after an error.
///
/// ```
/// use mongoauth::codec::bson::{DocWriter, Document};
/// let mut buf = [0u8; 64];
/// let mut w = DocWriter::new(&mut buf);
/// w.int32("saslStart", 1).document("options", |o| {
///     o.bool("skipEmptyExchange", true);
/// });
/// let n = w.finish()?;
/// let doc = Document::parse(&buf[..n])?;
/// assert_eq!(doc.get_document("options")?.get_bool("skipEmptyExchange")?, true);
/// # Ok::<(), mongoauth::codec::bson::BsonError>(())
/// ```
#[derive(Debug)]
pub struct DocWriter<'b> {
    buf: &'b mut [u8],
    /// Logical position; beyond `buf.len()` once the buffer has overflowed.
    pos: usize,
    /// Nesting level of the document being written (top level = 1).
    depth: usize,
    /// The first error other than running out of buffer.
    error: Option<BsonError>,
}

impl<'b> DocWriter<'b> {
    /// Start a document at the beginning of `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        let mut w = Self { buf, pos: 0, depth: 1, error: None };
        w.put(&[0; 4]);
        w
    }

    /// Bytes written (or, after an overflow, that would have been) so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Close the document.
    ///
    /// # Errors
    /// The first error any method hit; otherwise [`BsonError::TooLarge`] past
    /// [`MAX_DOCUMENT_SIZE`], or [`BsonError::BufferTooSmall`] with the size
    /// the whole document needs.
    pub fn finish(mut self) -> Result<usize, BsonError> {
        self.close(0);
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.pos > self.buf.len() {
            return Err(BsonError::BufferTooSmall(crate::BufferTooSmall { required: self.pos }));
        }
        Ok(self.pos)
    }

    fn fail(&mut self, e: BsonError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.error.is_some() {
            return;
        }
        let Some(end) = self.pos.checked_add(bytes.len()) else {
            self.fail(BsonError::TooLarge { size: usize::MAX, max: MAX_DOCUMENT_SIZE });
            return;
        };
        if let Some(dst) = self.buf.get_mut(self.pos..end) {
            dst.copy_from_slice(bytes);
        }
        self.pos = end;
    }

    /// Write the terminator of the document whose prefix is at `start`, and
    /// patch its length.
    fn close(&mut self, start: usize) {
        self.put(&[0]);
        let len = self.pos.saturating_sub(start);
        match i32::try_from(len) {
            Ok(len32) if len <= MAX_DOCUMENT_SIZE => {
                if let Some(dst) = self.buf.get_mut(start..start.saturating_add(4)) {
                    dst.copy_from_slice(&len32.to_le_bytes());
                }
            }
            _ => self.fail(BsonError::TooLarge { size: len, max: MAX_DOCUMENT_SIZE }),
        }
    }

    fn header(&mut self, ty: u8, key: &[u8]) {
        if key.contains(&0) {
            self.fail(BsonError::KeyContainsNul);
            return;
        }
        self.put(&[ty]);
        self.put(key);
        self.put(&[0]);
    }

    /// A length prefix for `len` bytes, or a TooLarge error.
    fn put_len(&mut self, len: usize) {
        match i32::try_from(len) {
            Ok(l) if len <= MAX_DOCUMENT_SIZE => self.put(&l.to_le_bytes()),
            _ => self.fail(BsonError::TooLarge { size: len, max: MAX_DOCUMENT_SIZE }),
        }
    }

    fn put_string(&mut self, parts: &[&str]) {
        let len = parts.iter().fold(1usize, |n, p| n.saturating_add(p.len()));
        self.put_len(len);
        for p in parts {
            self.put(p.as_bytes());
        }
        self.put(&[0]);
    }

    fn put_value(&mut self, key: &[u8], v: &Value<'_>) {
        match *v {
            Value::Double(d) => {
                self.header(et::DOUBLE, key);
                self.put(&d.to_le_bytes());
            }
            Value::String(s) => {
                self.header(et::STRING, key);
                self.put_string(&[s]);
            }
            Value::Document(d) => self.put_embedded(et::DOCUMENT, key, d),
            Value::Array(a) => self.put_embedded(et::ARRAY, key, a.doc),
            Value::Binary(b) => {
                self.header(et::BINARY, key);
                self.put_len(b.bytes.len());
                self.put(&[b.subtype]);
                self.put(b.bytes);
            }
            Value::ObjectId(oid) => {
                self.header(et::OBJECT_ID, key);
                self.put(&oid);
            }
            Value::Bool(b) => {
                self.header(et::BOOL, key);
                self.put(&[u8::from(b)]);
            }
            Value::DateTime(ms) => {
                self.header(et::DATETIME, key);
                self.put(&ms.to_le_bytes());
            }
            Value::Null => self.header(et::NULL, key),
            Value::Int32(i) => {
                self.header(et::INT32, key);
                self.put(&i.to_le_bytes());
            }
            Value::Timestamp(t) => {
                self.header(et::TIMESTAMP, key);
                self.put(&t.to_le_bytes());
            }
            Value::Int64(i) => {
                self.header(et::INT64, key);
                self.put(&i.to_le_bytes());
            }
            Value::Other { element_type, raw } => {
                // Built by hand, `Other` could hold anything: check it reads
                // back as exactly one value of its type.
                let mut r = Reader::new(raw);
                let ok = !matches!(element_type, et::DOCUMENT | et::ARRAY)
                    && read_value(&mut r, element_type, 0).is_ok()
                    && r.is_empty();
                if ok {
                    self.header(element_type, key);
                    self.put(raw);
                } else {
                    self.fail(BsonError::UnsupportedType { element_type, offset: self.pos });
                }
            }
        }
    }

    fn put_embedded(&mut self, ty: u8, key: &[u8], d: Document<'_>) {
        let room = MAX_DEPTH.saturating_sub(self.depth);
        if validate(d, room).is_err() {
            self.fail(BsonError::TooDeep { offset: self.pos, max: MAX_DEPTH });
            return;
        }
        self.header(ty, key);
        self.put(d.as_bytes());
    }

    fn put_nested<F: FnOnce(&mut Self)>(&mut self, ty: u8, key: &[u8], f: F) {
        if self.depth >= MAX_DEPTH {
            self.fail(BsonError::TooDeep { offset: self.pos, max: MAX_DEPTH });
            return;
        }
        self.header(ty, key);
        let start = self.pos;
        self.put(&[0; 4]);
        self.depth += 1;
        f(self);
        self.depth -= 1;
        self.close(start);
    }

    /// Any value, e.g. one read from another document (a `conversationId`
    /// echoed with the type the server used).
    pub fn value(&mut self, key: &str, v: &Value<'_>) -> &mut Self {
        self.put_value(key.as_bytes(), v);
        self
    }

    /// A double.
    pub fn double(&mut self, key: &str, v: f64) -> &mut Self {
        self.value(key, &Value::Double(v))
    }

    /// A string.
    pub fn string(&mut self, key: &str, v: &str) -> &mut Self {
        self.value(key, &Value::String(v))
    }

    /// One string written from several parts (e.g. `<db>.<user>` for
    /// `saslSupportedMechs`) without a buffer to join them in.
    pub fn string_parts(&mut self, key: &str, parts: &[&str]) -> &mut Self {
        self.header(et::STRING, key.as_bytes());
        self.put_string(parts);
        self
    }

    /// An int32.
    pub fn int32(&mut self, key: &str, v: i32) -> &mut Self {
        self.value(key, &Value::Int32(v))
    }

    /// An int64.
    pub fn int64(&mut self, key: &str, v: i64) -> &mut Self {
        self.value(key, &Value::Int64(v))
    }

    /// A boolean.
    pub fn bool(&mut self, key: &str, v: bool) -> &mut Self {
        self.value(key, &Value::Bool(v))
    }

    /// A null.
    pub fn null(&mut self, key: &str) -> &mut Self {
        self.value(key, &Value::Null)
    }

    /// A UTC datetime in milliseconds since the epoch.
    pub fn datetime(&mut self, key: &str, millis: i64) -> &mut Self {
        self.value(key, &Value::DateTime(millis))
    }

    /// Binary data with the given subtype.
    pub fn binary(&mut self, key: &str, subtype: u8, bytes: &[u8]) -> &mut Self {
        self.value(key, &Value::Binary(Binary { subtype, bytes }))
    }

    /// An already-validated document, copied as it is.
    pub fn document_bytes(&mut self, key: &str, doc: Document<'_>) -> &mut Self {
        self.value(key, &Value::Document(doc))
    }

    /// An embedded document whose elements `f` writes.
    pub fn document<F: FnOnce(&mut DocWriter<'b>)>(&mut self, key: &str, f: F) -> &mut Self {
        self.put_nested(et::DOCUMENT, key.as_bytes(), f);
        self
    }

    /// An array whose values `f` writes; keys are numbered for it.
    pub fn array<F: FnOnce(&mut ArrayWriter<'_, 'b>)>(&mut self, key: &str, f: F) -> &mut Self {
        self.put_nested(et::ARRAY, key.as_bytes(), |w| {
            let mut a = ArrayWriter { w, next: 0 };
            f(&mut a);
        });
        self
    }
}

/// Writes the values of an array opened by [`DocWriter::array`], keying them
/// "0", "1", ... in order.
#[derive(Debug)]
pub struct ArrayWriter<'w, 'b> {
    w: &'w mut DocWriter<'b>,
    next: u32,
}

impl<'b> ArrayWriter<'_, 'b> {
    fn with_key(&mut self, f: impl FnOnce(&mut DocWriter<'b>, &[u8])) -> &mut Self {
        let mut buf = [0u8; 10];
        let key = index_key(self.next, &mut buf);
        f(self.w, key.as_bytes());
        self.next = self.next.saturating_add(1);
        self
    }

    /// Any value.
    pub fn value(&mut self, v: &Value<'_>) -> &mut Self {
        self.with_key(|w, k| w.put_value(k, v))
    }

    /// A string.
    pub fn string(&mut self, v: &str) -> &mut Self {
        self.value(&Value::String(v))
    }

    /// An int32.
    pub fn int32(&mut self, v: i32) -> &mut Self {
        self.value(&Value::Int32(v))
    }

    /// An int64.
    pub fn int64(&mut self, v: i64) -> &mut Self {
        self.value(&Value::Int64(v))
    }

    /// A double.
    pub fn double(&mut self, v: f64) -> &mut Self {
        self.value(&Value::Double(v))
    }

    /// A boolean.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.value(&Value::Bool(v))
    }

    /// Binary data.
    pub fn binary(&mut self, subtype: u8, bytes: &[u8]) -> &mut Self {
        self.value(&Value::Binary(Binary { subtype, bytes }))
    }

    /// An embedded document whose elements `f` writes.
    pub fn document<F: FnOnce(&mut DocWriter<'b>)>(&mut self, f: F) -> &mut Self {
        self.with_key(|w, k| w.put_nested(et::DOCUMENT, k, f))
    }

    /// A nested array whose values `f` writes.
    pub fn array<F: FnOnce(&mut ArrayWriter<'_, 'b>)>(&mut self, f: F) -> &mut Self {
        self.with_key(|w, k| {
            w.put_nested(et::ARRAY, k, |w| {
                let mut a = ArrayWriter { w, next: 0 };
                f(&mut a);
            });
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_keys() {
        let mut b = [0u8; 10];
        assert_eq!(index_key(0, &mut b), "0");
        assert_eq!(index_key(10, &mut b), "10");
        assert_eq!(index_key(u32::MAX, &mut b), "4294967295");
    }

    #[test]
    fn oidc_jwt_payload_is_byte_exact() {
        // {jwt: "abcd1234"} from the auth spec, base64 FwAAAAJqd3QACQAAAGFiY2QxMjM0AAA=
        let expected = b"\x17\0\0\0\x02jwt\0\x09\0\0\0abcd1234\0\0";
        let mut buf = [0u8; 64];
        let mut w = DocWriter::new(&mut buf);
        w.string("jwt", "abcd1234");
        let n = w.finish().unwrap_or(0);
        assert_eq!(buf.get(..n), Some(&expected[..]));
    }

    #[test]
    fn too_small_reports_required() {
        let mut buf = [0u8; 10];
        let mut w = DocWriter::new(&mut buf);
        w.string("jwt", "abcd1234");
        assert_eq!(
            w.finish(),
            Err(BsonError::BufferTooSmall(crate::BufferTooSmall { required: 23 }))
        );
    }

    #[test]
    fn depth_limit_both_ways() {
        fn nest(w: &mut DocWriter<'_>, n: usize) {
            if n > 0 {
                w.document("d", |w| nest(w, n - 1));
            }
        }
        let mut buf = [0u8; 1024];
        let mut w = DocWriter::new(&mut buf);
        nest(&mut w, MAX_DEPTH - 1);
        let n = w.finish().unwrap_or(0);
        assert!(Document::parse(buf.get(..n).unwrap_or(&[])).is_ok());

        let mut w = DocWriter::new(&mut buf);
        nest(&mut w, MAX_DEPTH);
        assert!(matches!(w.finish(), Err(BsonError::TooDeep { .. })));
    }
}
