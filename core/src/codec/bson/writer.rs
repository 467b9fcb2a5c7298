//! Writing: [`DocWriter`] and [`ArrayWriter`] into a caller's buffer.

use super::element_type as et;
use super::reader::{index_key, read_value, validate};
use super::value::{Binary, Value};
use super::{BsonError, Document, MAX_DEPTH, MAX_DOCUMENT_SIZE};
use crate::reader::Reader;

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
            Value::Array(a) => self.put_embedded(et::ARRAY, key, a.as_document()),
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
