//! The BSON value types a document holds, and the typed reads
//! ([`FromValue`]) lookups use.

use super::element_type as et;
use super::reader::{Array, Document};

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

mod sealed {
    pub trait Sealed {}
}

/// Types a BSON value can be read as with [`Document::get_as`] (sealed).
pub trait FromValue<'a>: Sized + sealed::Sealed {
    /// What the type expects, for [`BsonError::WrongType`](super::BsonError::WrongType).
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
