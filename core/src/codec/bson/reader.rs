//! Reading: one validating pass over a whole document ([`Document::parse`]),
//! then infallible views and iteration over the caller's bytes.

use core::fmt;

use super::element_type as et;
use super::fields::{Fields, typed};
use super::value::{Binary, FromValue, Integer, Value};
use super::{BsonError, MAX_DEPTH, MAX_DOCUMENT_SIZE, MIN_DOCUMENT_SIZE};
use crate::reader::Reader;

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

    /// [`Document::parse`] and [`Document::fields`] in one walk: the
    /// document is validated and the top-level fields named `keys` are
    /// indexed as they are read (the whole document through
    /// [`Fields::document`]).
    ///
    /// # Errors
    /// As [`Document::parse`].
    pub fn parse_fields<const N: usize>(
        bytes: &'a [u8],
        keys: [&'static str; N],
    ) -> Result<Fields<'a, N>, BsonError> {
        let mut r = Reader::new(bytes);
        let fields = Self::read_fields(&mut r, keys)?;
        r.expect_end().map_err(|e| BsonError::from_read(e, "document"))?;
        Ok(fields)
    }

    /// [`Document::read`] and [`Document::fields`] in one walk (see
    /// [`Document::parse_fields`]).
    ///
    /// # Errors
    /// As [`Document::read`].
    pub fn read_fields<const N: usize>(
        r: &mut Reader<'a>,
        keys: [&'static str; N],
    ) -> Result<Fields<'a, N>, BsonError> {
        let mut fields = Fields::new(Document::EMPTY, keys);
        Self::read_fields_into(r, &mut fields)?;
        Ok(fields)
    }

    /// [`Document::read_fields`] into an index the caller holds (no copy of
    /// it is moved around): it is reset to the document read.
    pub(crate) fn read_fields_into<const N: usize>(
        r: &mut Reader<'a>,
        fields: &mut Fields<'a, N>,
    ) -> Result<Self, BsonError> {
        let doc = read_document_shallow(r)?;
        fields.reset(doc);
        validate_with(doc, MAX_DEPTH, &mut |e| fields.record(e))?;
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
    pub(super) fn content(&self) -> Reader<'a> {
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

    /// The first element named `key`. To read several fields, index them in
    /// one walk with [`Document::fields`] (or while validating, with
    /// [`Document::parse_fields`]).
    pub fn get_element(&self, key: &str) -> Option<Element<'a>> {
        self.iter().find(|e| e.key == key)
    }

    /// Index the fields named `keys` in one walk over the document (see
    /// [`Fields`]): what a parser that reads several fields uses, so that no
    /// lookup rescans the elements before it.
    pub fn fields<const N: usize>(&self, keys: [&'static str; N]) -> Fields<'a, N> {
        Fields::index(*self, keys)
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
        typed(self.get_element(key), key)
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

pub(super) fn read_value<'a>(
    r: &mut Reader<'a>,
    ty: u8,
    offset: usize,
) -> Result<Value<'a>, BsonError> {
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
pub(super) fn index_key(i: u32, buf: &mut [u8; 10]) -> &str {
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
pub(super) fn validate(doc: Document<'_>, max_depth: usize) -> Result<(), BsonError> {
    validate_with(doc, max_depth, &mut |_| ())
}

/// [`validate`], handing each top-level element to `top_level` as it is
/// read: what lets [`Document::read_fields`] index while it validates.
fn validate_with<'a>(
    doc: Document<'a>,
    max_depth: usize,
    top_level: &mut dyn FnMut(Element<'a>),
) -> Result<(), BsonError> {
    // Frames are pushed as documents open: nothing is initialised for
    // levels a document does not reach.
    let mut stack: heapless::Vec<Frame<'a>, MAX_DEPTH> = heapless::Vec::new();
    let root = Frame { content: doc.content(), next_index: None };
    if max_depth == 0 || stack.push(root).is_err() {
        return Err(BsonError::TooDeep { offset: doc.offset, max: max_depth });
    }
    loop {
        let depth = stack.len();
        let Some(frame) = stack.last_mut() else {
            break;
        };
        if frame.content.is_empty() {
            stack.pop();
            continue;
        }
        let e = read_element(&mut frame.content)?;
        if depth == 1 {
            top_level(e);
        }
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
        if depth >= max_depth || stack.push(child).is_err() {
            return Err(BsonError::TooDeep { offset: nested_offset, max: max_depth });
        }
    }
    Ok(())
}
