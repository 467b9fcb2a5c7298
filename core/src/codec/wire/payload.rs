//! The SASL fields commands and replies share: `payload` and
//! `conversationId`.

use super::WireError;
use crate::codec::bson::{BINARY_SUBTYPE_GENERIC, BsonError, Lookup, Value};

/// A SASL `payload`: binary subtype 0 only (a base64 string is a legacy
/// form the auth spec says to refuse).
pub(super) fn read_payload<'a>(doc: &dyn Lookup<'a>) -> Result<&'a [u8], WireError> {
    let e = doc.element("payload").ok_or(BsonError::Missing { field: "payload" })?;
    match e.value {
        Value::Binary(b) if b.subtype == BINARY_SUBTYPE_GENERIC => Ok(b.bytes),
        Value::Binary(_) => Err(WireError::InvalidField {
            field: "payload",
            offset: e.offset,
            rule: "binary subtype must be 0",
        }),
        v => Err(BsonError::WrongType {
            field: "payload",
            offset: e.offset,
            expected: "binary",
            found: v.element_type(),
        }
        .into()),
    }
}

/// The BSON type a SASL payload came in: what a server answers with
/// (mongod mirrors it; pymongo's GSSAPI sends base64 strings and breaks on
/// a BinData reply).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PayloadType {
    /// BinData subtype 0 (the auth spec's form; every mechanism).
    #[default]
    Binary,
    /// A base64 string (the legacy form pymongo's GSSAPI uses).
    Base64String,
}

/// A SASL payload as a lenient server reads it: BinData subtype 0, or a
/// base64 string (only GSSAPI accepts the latter; see [`PayloadType`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyPayload<'a> {
    /// The bytes of a BinData subtype 0.
    Binary(&'a [u8]),
    /// The text of a string (base64, not yet decoded).
    Base64(&'a str),
}

impl<'a> AnyPayload<'a> {
    /// Read the `payload` field of a saslStart/saslContinue body.
    ///
    /// # Errors
    /// Missing, a binary subtype other than 0, or another type.
    pub fn read(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        let e = doc.element("payload").ok_or(BsonError::Missing { field: "payload" })?;
        match e.value {
            Value::String(s) => Ok(AnyPayload::Base64(s)),
            _ => read_payload(doc).map(AnyPayload::Binary),
        }
    }

    /// Which type it came in.
    pub fn payload_type(&self) -> PayloadType {
        match self {
            Self::Binary(_) => PayloadType::Binary,
            Self::Base64(_) => PayloadType::Base64String,
        }
    }

    /// The bytes: the binary as is, or the string base64-decoded into
    /// `buf`.
    ///
    /// # Errors
    /// A string that is not padded standard base64, or whose bytes do not
    /// fit `buf` ([`WireError::InvalidField`] either way).
    pub fn bytes<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], WireError>
    where
        'a: 'b,
    {
        use base64ct::{Base64, Encoding};
        match self {
            Self::Binary(b) => Ok(b),
            Self::Base64(s) => {
                Base64::decode(s.as_bytes(), buf).map(|d| d as &[u8]).map_err(|_| {
                    WireError::InvalidField {
                        field: "payload",
                        offset: 0,
                        rule: "a string payload must be base64 of at most the buffer's length",
                    }
                })
            }
        }
    }
}

/// A `conversationId`, kept with the BSON type the server used so that it can
/// be echoed exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConversationId {
    /// Sent as int32 (what servers do).
    Int32(i32),
    /// Sent as int64.
    Int64(i64),
}

impl ConversationId {
    /// The id's value.
    pub fn get(self) -> i64 {
        match self {
            Self::Int32(v) => i64::from(v),
            Self::Int64(v) => v,
        }
    }

    /// The id as the BSON value to write.
    pub fn to_value(self) -> Value<'static> {
        match self {
            Self::Int32(v) => Value::Int32(v),
            Self::Int64(v) => Value::Int64(v),
        }
    }

    /// Read the `conversationId` field of a reply or a saslContinue.
    ///
    /// # Errors
    /// Missing, or neither int32 nor int64.
    pub fn read<'a>(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        let field = "conversationId";
        let e = doc.element(field).ok_or(BsonError::Missing { field })?;
        match e.value {
            Value::Int32(v) => Ok(Self::Int32(v)),
            Value::Int64(v) => Ok(Self::Int64(v)),
            v => Err(BsonError::WrongType {
                field,
                offset: e.offset,
                expected: "int32 or int64",
                found: v.element_type(),
            }
            .into()),
        }
    }
}
