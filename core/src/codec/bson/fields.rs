//! Parse once: one walk over a validated document that records where each
//! field a caller needs lives, so that lookups never rescan.

use super::reader::read_value;
use super::value::FromValue;
use super::{BsonError, Document, Element, Value};
use crate::reader::Reader;

/// Field lookups by key: implemented by [`Document`] (a scan per lookup) and
/// by [`Fields`] (an index built in one walk). The wire parsers take either,
/// so a caller that already indexed a document does not walk it again.
///
/// The trait is object-safe: parsers take `&dyn Lookup` (one copy of each
/// parser, whatever the index's size), and read typed values through
/// [`opt`](#method.opt) and [`req`](#method.req).
pub trait Lookup<'a> {
    /// The first element named `key`, if any.
    fn element(&self, key: &'static str) -> Option<Element<'a>>;

    /// The document's first element (an OP_MSG command's name).
    fn first(&self) -> Option<Element<'a>>;

    /// The document looked into.
    fn document(&self) -> Document<'a>;
}

impl<'a> dyn Lookup<'a> + '_ {
    /// The value of `key` as `T`, or `None` if absent.
    ///
    /// # Errors
    /// [`BsonError::WrongType`] if present with another type.
    pub fn opt<T: FromValue<'a>>(&self, key: &'static str) -> Result<Option<T>, BsonError> {
        typed(self.element(key), key)
    }

    /// The value of `key` as `T`.
    ///
    /// # Errors
    /// [`BsonError::Missing`] if absent, [`BsonError::WrongType`] if present
    /// with another type.
    pub fn req<T: FromValue<'a>>(&self, key: &'static str) -> Result<T, BsonError> {
        self.opt(key)?.ok_or(BsonError::Missing { field: key })
    }
}

/// An element's value as `T`, or the typed error naming `key` and where the
/// element is.
pub(super) fn typed<'a, T: FromValue<'a>>(
    e: Option<Element<'a>>,
    key: &'static str,
) -> Result<Option<T>, BsonError> {
    match e {
        None => Ok(None),
        Some(e) => T::from_value(e.value).map(Some).ok_or(BsonError::WrongType {
            field: key,
            offset: e.offset,
            expected: T::EXPECTED,
            found: e.value.element_type(),
        }),
    }
}

impl<'a> Lookup<'a> for Document<'a> {
    fn element(&self, key: &'static str) -> Option<Element<'a>> {
        self.get_element(key)
    }

    fn first(&self) -> Option<Element<'a>> {
        Document::first(self)
    }

    fn document(&self) -> Document<'a> {
        *self
    }
}

/// Where the `N` fields a parser needs live in one document, found in one
/// walk over its top-level elements ([`Document::fields`]).
///
/// The walk compares each element's name as bytes with the wanted keys and
/// skips over values by their lengths; only the first element of each
/// wanted key (and the document's first element, a command's name) is
/// recorded: where it starts, 4 bytes. A lookup decodes that one element and
/// nothing before it. A duplicate key counts from its first occurrence, as
/// [`Document::get`] does. `N` is the caller's own count of keys: the index
/// never overflows, whatever the document holds.
#[derive(Clone, Copy, Debug)]
pub struct Fields<'a, const N: usize> {
    doc: Document<'a>,
    /// The first element (a command's name), kept decoded.
    first: Option<Element<'a>>,
    keys: [&'static str; N],
    /// Where each wanted key's first element starts, or [`ABSENT`].
    found: [u32; N],
}

/// An index slot with no element.
const ABSENT: u32 = u32::MAX;

impl<'a, const N: usize> Fields<'a, N> {
    /// An empty index over `doc`, filled by [`record`](Self::record).
    pub(crate) fn new(doc: Document<'a>, keys: [&'static str; N]) -> Self {
        Self { doc, first: None, keys, found: [ABSENT; N] }
    }

    /// Empty the index and point it at `doc`.
    pub(super) fn reset(&mut self, doc: Document<'a>) {
        self.doc = doc;
        self.first = None;
        self.found.fill(ABSENT);
    }

    /// Note one top-level element, in document order.
    pub(super) fn record(&mut self, e: Element<'a>) {
        record(&self.keys, &mut self.found, &mut self.first, self.doc, e);
    }

    pub(super) fn index(doc: Document<'a>, keys: [&'static str; N]) -> Self {
        let mut fields = Self::new(doc, keys);
        fields.first = index(doc, &fields.keys, &mut fields.found);
        fields
    }

    /// The document the index is over.
    pub fn document(&self) -> Document<'a> {
        self.doc
    }

    /// The document's first element: an OP_MSG command's name.
    pub fn first(&self) -> Option<Element<'a>> {
        self.first
    }

    /// The first element named `key`; `None` if absent, or if `key` is not
    /// one of the keys the index was built for.
    pub fn get_element(&self, key: &str) -> Option<Element<'a>> {
        find(self.doc, &self.keys, &self.found, key)
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
}

impl<'a, const N: usize> Lookup<'a> for Fields<'a, N> {
    fn element(&self, key: &'static str) -> Option<Element<'a>> {
        self.get_element(key)
    }

    fn first(&self) -> Option<Element<'a>> {
        Fields::first(self)
    }

    fn document(&self) -> Document<'a> {
        self.doc
    }
}

// The index's work is done over slices, so that one copy of it serves every
// index size (firmware pays for the code once).

/// Note `e`, an element of `doc`, in `found` (the slot of its key, if
/// wanted and still empty) and in `first` (if empty).
fn record<'a>(
    keys: &[&'static str],
    found: &mut [u32],
    first: &mut Option<Element<'a>>,
    doc: Document<'a>,
    e: Element<'a>,
) {
    first.get_or_insert(e);
    let Ok(at) = u32::try_from(e.offset.saturating_sub(doc.offset())) else { return };
    if let Some(i) = keys.iter().position(|k| *k == e.key)
        && let Some(slot) = found.get_mut(i)
        && *slot == ABSENT
    {
        *slot = at;
    }
}

/// The element of `doc` starting `at` bytes into it, whose name is `name`
/// (the wanted key it was recorded under: its UTF-8 is not checked again).
fn element_at<'a>(doc: Document<'a>, at: u32, name: &'static str) -> Option<Element<'a>> {
    let at = usize::try_from(at).ok()?;
    let bytes = doc.as_bytes();
    // Elements end before the document's terminator.
    let elements = bytes.get(at..bytes.len().checked_sub(1)?)?;
    let mut r = Reader::with_offset(elements, doc.offset().saturating_add(at));
    let offset = r.position();
    let ty = r.u8().ok()?;
    r.cstring().ok()?;
    let value = read_value(&mut r, ty, offset).ok()?;
    Some(Element { key: name, value, offset })
}

/// The element recorded for `key`.
fn find<'a>(
    doc: Document<'a>,
    keys: &[&'static str],
    found: &[u32],
    key: &str,
) -> Option<Element<'a>> {
    let i = keys.iter().position(|k| *k == key)?;
    element_at(doc, *found.get(i)?, keys.get(i)?)
}

/// Fill `found` from one walk over a validated `doc`, stopping once every
/// key is found; returns where its first element starts.
fn index<'a>(doc: Document<'a>, keys: &[&'static str], found: &mut [u32]) -> Option<Element<'a>> {
    let mut first = None;
    for e in doc.iter() {
        record(keys, found, &mut first, doc, e);
        if found.iter().all(|&f| f != ABSENT) {
            break;
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::bson::{Binary, DocWriter, element_type as et};

    /// A document with one element of every type the reader accepts, a
    /// duplicate key, and `last` at the end: the index must skip every type
    /// by its length to find `last`.
    fn every_type(buf: &mut [u8]) -> Document<'_> {
        let mut w = DocWriter::new(buf);
        w.int32("cmd", 1)
            .double("d", 1.5)
            .string("s", "text")
            .document("doc", |d| {
                d.string("last", "nested, not top level");
            })
            .array("arr", |a| {
                a.int32(1).string("x");
            })
            .binary("bin", 4, b"\x01\x02\x03")
            .value("oid", &Value::ObjectId([7; 12]))
            .bool("b", true)
            .datetime("dt", -5)
            .null("n")
            .value("re", &Value::Other { element_type: et::REGEX, raw: b"a.c\0i\0" })
            .value("js", &Value::Other { element_type: et::JAVASCRIPT, raw: b"\x03\0\0\0f;\0" })
            .value("ts", &Value::Timestamp(9))
            .int64("i64", -9)
            .value("dec", &Value::Other { element_type: et::DECIMAL128, raw: &[1; 16] })
            .value("min", &Value::Other { element_type: et::MIN_KEY, raw: &[] })
            .value("max", &Value::Other { element_type: et::MAX_KEY, raw: &[] })
            .string("s", "duplicate")
            .int32("last", 42);
        let n = w.finish().unwrap_or(0);
        Document::parse(buf.get(..n).unwrap_or(&[])).unwrap_or(Document::EMPTY)
    }

    #[test]
    fn index_agrees_with_a_scan_for_every_type() {
        let mut buf = [0u8; 512];
        let doc = every_type(&mut buf);
        let keys = [
            "last", "s", "doc", "arr", "bin", "oid", "b", "dt", "n", "re", "js", "ts", "i64",
            "dec", "min", "max", "d", "cmd", "absent",
        ];
        let f = doc.fields(keys);
        for k in keys {
            let scanned = doc.iter().find(|e| e.key == k);
            assert_eq!(f.get_element(k), scanned, "{k}");
            assert_eq!(doc.get_element(k), scanned, "{k}");
        }
        assert_eq!(f.get_str("s"), Ok("text"), "the first of two `s` counts");
        assert_eq!(f.get_as::<i32>("last"), Ok(42));
        assert_eq!(f.get_as::<Binary<'_>>("bin").map(|b| b.bytes), Ok(&b"\x01\x02\x03"[..]));
        assert_eq!(f.first().map(|e| e.key), Some("cmd"));
        assert_eq!(f.document(), doc);
    }

    #[test]
    fn typed_errors_name_the_field_and_where() {
        let mut buf = [0u8; 512];
        let doc = every_type(&mut buf);
        let f = doc.fields(["s", "last", "absent"]);
        assert_eq!(f.get_as::<i32>("s"), doc.get_as::<i32>("s"));
        assert!(matches!(f.get_as::<i32>("s"), Err(BsonError::WrongType { field: "s", .. })));
        assert_eq!(f.get_str("absent"), Err(BsonError::Missing { field: "absent" }));
        // A key the index was not built for reads as absent.
        assert_eq!(f.get_element("d"), None);
        let dyn_f: &dyn Lookup<'_> = &f;
        assert_eq!(dyn_f.req::<i32>("d"), Err(BsonError::Missing { field: "d" }));
    }

    #[test]
    fn empty_document_and_no_keys() {
        let f = Document::EMPTY.fields(["a"]);
        assert_eq!(f.first(), None);
        assert_eq!(f.get_element("a"), None);
        let mut buf = [0u8; 512];
        let doc = every_type(&mut buf);
        let f = doc.fields([]);
        assert_eq!(f.first().map(|e| e.key), Some("cmd"));
    }
}
