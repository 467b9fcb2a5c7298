//! Percent-encoded views over the input and decoding into caller memory.
//!
//! Every string the parser hands out ([`PctStr`]) is still encoded: it borrows
//! the input and was checked once (escapes well-formed, decoded bytes UTF-8).
//! Decoding happens exactly once, when the caller asks, into a buffer the
//! caller owns. `+` is a literal plus, never a space.

use core::fmt;

use zeroize::Zeroize;

use super::error::{UriError, UriErrorKind};

const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// One decoding step at `i`: the decoded byte and how many input bytes it used.
/// A `%` without two hex digits decodes to itself (only reachable for text that
/// was never validated).
#[inline]
fn unit_at(raw: &[u8], i: usize) -> Option<(u8, usize)> {
    let b = *raw.get(i)?;
    if b == b'%'
        && let (Some(h), Some(l)) =
            (raw.get(i + 1).copied().and_then(hex_val), raw.get(i + 2).copied().and_then(hex_val))
    {
        return Some(((h << 4) | l, 3));
    }
    Some((b, 1))
}

/// An incremental UTF-8 checker (RFC 3629 table), so decoded bytes can be
/// validated without a buffer.
#[derive(Clone, Copy, Default)]
pub(crate) struct Utf8Check {
    need: u8,
    lo: u8,
    hi: u8,
}

impl Utf8Check {
    /// Feed one byte; `false` if the sequence is now invalid.
    pub(crate) fn push(&mut self, b: u8) -> bool {
        if self.need == 0 {
            let (need, lo, hi) = match b {
                0x00..=0x7F => return true,
                0xC2..=0xDF => (1, 0x80, 0xBF),
                0xE0 => (2, 0xA0, 0xBF),
                0xE1..=0xEC | 0xEE..=0xEF => (2, 0x80, 0xBF),
                0xED => (2, 0x80, 0x9F),
                0xF0 => (3, 0x90, 0xBF),
                0xF1..=0xF3 => (3, 0x80, 0xBF),
                0xF4 => (3, 0x80, 0x8F),
                _ => return false,
            };
            *self = Utf8Check { need, lo, hi };
            true
        } else if b >= self.lo && b <= self.hi {
            self.need -= 1;
            self.lo = 0x80;
            self.hi = 0xBF;
            true
        } else {
            false
        }
    }
    /// `true` if no sequence is left open.
    pub(crate) fn complete(&self) -> bool {
        self.need == 0
    }
}

/// A percent-encoded piece of a connection string, borrowed from the input and
/// already validated: every `%` starts a two-hex-digit escape and the decoded
/// bytes are UTF-8. Decode it with [`PctStr::decode`], compare it with
/// [`PctStr::eq_decoded`], or print the decoded text with `Display`.
///
/// Equality (`==`) compares decoded text.
#[derive(Clone, Copy)]
pub struct PctStr<'a> {
    raw: &'a str,
    offset: usize,
}

impl<'a> PctStr<'a> {
    /// Check `raw` (escapes and UTF-8 after decoding). `offset` is where `raw`
    /// starts in the input, used in errors.
    ///
    /// # Errors
    /// [`UriErrorKind::InvalidPercentEscape`] or [`UriErrorKind::InvalidUtf8`],
    /// with the byte offset of the bad escape.
    pub fn new(raw: &'a str, offset: usize) -> Result<Self, UriError> {
        let bytes = raw.as_bytes();
        let mut utf8 = Utf8Check::default();
        let mut i = 0;
        while let Some(&b) = bytes.get(i) {
            let (v, n) = if b == b'%' {
                match (
                    bytes.get(i + 1).copied().and_then(hex_val),
                    bytes.get(i + 2).copied().and_then(hex_val),
                ) {
                    (Some(h), Some(l)) => ((h << 4) | l, 3),
                    _ => {
                        return Err(UriError::at(
                            UriErrorKind::InvalidPercentEscape,
                            offset.saturating_add(i),
                        ));
                    }
                }
            } else {
                (b, 1)
            };
            if !utf8.push(v) {
                return Err(UriError::at(UriErrorKind::InvalidUtf8, offset.saturating_add(i)));
            }
            i += n;
        }
        if !utf8.complete() {
            return Err(UriError::at(UriErrorKind::InvalidUtf8, offset.saturating_add(i)));
        }
        Ok(PctStr { raw, offset })
    }

    /// A plain literal with no escapes to decode (defaults such as `admin`).
    /// A `%` in `text` is taken literally... so only use text without `%`.
    pub(crate) const fn literal(text: &'a str) -> Self {
        PctStr { raw: text, offset: 0 }
    }

    /// The text as written in the input, still percent-encoded.
    pub const fn encoded(&self) -> &'a str {
        self.raw
    }

    /// Byte offset of this text in the input (0 for built-in defaults).
    pub const fn offset(&self) -> usize {
        self.offset
    }

    /// `true` if the text is empty.
    pub const fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// The text without decoding, when it has no escapes to decode.
    pub fn as_plain(&self) -> Option<&'a str> {
        if self.raw.as_bytes().contains(&b'%') { None } else { Some(self.raw) }
    }

    /// The decoded bytes, one at a time.
    pub fn bytes(&self) -> DecodedBytes<'a> {
        DecodedBytes { raw: self.raw.as_bytes(), pos: 0 }
    }

    /// Length of the decoded text in bytes: the buffer size [`PctStr::decode`] needs.
    pub fn decoded_len(&self) -> usize {
        self.bytes().count()
    }

    /// Decode into `out` and return the decoded text.
    ///
    /// # Errors
    /// [`UriErrorKind::BufferTooSmall`] with the size needed; `out` is left
    /// unchanged.
    pub fn decode<'b>(&self, out: &'b mut [u8]) -> Result<&'b str, UriError> {
        let n = decode_into(*self, out)?;
        let out: &'b [u8] = out;
        let dst = out.get(..n).unwrap_or_default();
        core::str::from_utf8(dst).map_err(|_| UriError::at(UriErrorKind::InvalidUtf8, self.offset))
    }

    /// `true` if the decoded text equals `s` exactly.
    pub fn eq_decoded(&self, s: &str) -> bool {
        if let Some(plain) = self.as_plain() {
            return plain == s;
        }
        self.bytes().eq(s.bytes())
    }

    /// `true` if the decoded text equals `s`, ignoring ASCII case.
    pub fn eq_ignore_ascii_case(&self, s: &str) -> bool {
        if let Some(plain) = self.as_plain() {
            return plain.eq_ignore_ascii_case(s);
        }
        self.bytes().map(|b| b.to_ascii_lowercase()).eq(s.bytes().map(|b| b.to_ascii_lowercase()))
    }

    /// Split on a decoded ASCII byte (`%2C` counts as `,`, because the whole
    /// value is decoded before it is split).
    pub(crate) fn split(&self, sep: u8) -> Split<'a> {
        Split { rest: Some(*self), sep, raw: false }
    }

    /// Split on a literal ASCII byte as written: an encoded separator
    /// (`%2C` for `,`) is data, not a separator. For `key:value` lists,
    /// where an escape is the only way to put a `,` in a value.
    pub(crate) fn split_raw(&self, sep: u8) -> Split<'a> {
        Split { rest: Some(*self), sep, raw: true }
    }

    /// Split at the first literal (not encoded) `sep`.
    pub(crate) fn split_once_raw(&self, sep: u8) -> Option<(PctStr<'a>, PctStr<'a>)> {
        let i = self.raw.as_bytes().iter().position(|&b| b == sep)?;
        Some((self.sub(0, i), self.sub(i + 1, self.raw.len())))
    }

    /// Split at the first decoded `sep`.
    pub(crate) fn split_once(&self, sep: u8) -> Option<(PctStr<'a>, PctStr<'a>)> {
        let bytes = self.raw.as_bytes();
        let mut i = 0;
        while let Some((v, n)) = unit_at(bytes, i) {
            if v == sep {
                return Some((self.sub(0, i), self.sub(i + n, bytes.len())));
            }
            i += n;
        }
        None
    }

    /// A sub-slice at ASCII-aligned boundaries (a `%` or an ASCII separator).
    fn sub(&self, start: usize, end: usize) -> PctStr<'a> {
        PctStr { raw: self.raw.get(start..end).unwrap_or_default(), offset: self.offset + start }
    }
}

/// Decode `s` into `out`, returning the decoded length. Checks the size first,
/// so `out` is untouched when it is too small.
fn decode_into(s: PctStr<'_>, out: &mut [u8]) -> Result<usize, UriError> {
    let required = s.decoded_len();
    if required > out.len() {
        return Err(UriError::new(UriErrorKind::BufferTooSmall(crate::BufferTooSmall {
            required,
        })));
    }
    for (slot, b) in out.iter_mut().zip(s.bytes()) {
        *slot = b;
    }
    Ok(required)
}

impl PartialEq for PctStr<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes().eq(other.bytes())
    }
}
impl Eq for PctStr<'_> {}

impl PartialEq<str> for PctStr<'_> {
    fn eq(&self, other: &str) -> bool {
        self.eq_decoded(other)
    }
}
impl PartialEq<&str> for PctStr<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.eq_decoded(other)
    }
}

impl fmt::Display for PctStr<'_> {
    /// Writes the decoded text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_decoded(*self, f)
    }
}

fn write_decoded(s: PctStr<'_>, f: &mut dyn fmt::Write) -> fmt::Result {
    let raw = s.raw;
    let bytes = raw.as_bytes();
    let mut i = 0;
    let mut run_start = 0;
    let mut pending = [0u8; 4];
    let mut have = 0usize;
    while let Some((v, n)) = unit_at(bytes, i) {
        if n == 3 {
            f.write_str(raw.get(run_start..i).unwrap_or_default())?;
            if let Some(slot) = pending.get_mut(have) {
                *slot = v;
                have += 1;
            }
            let want = match pending.first().copied().unwrap_or(0) {
                0x00..=0x7F => 1,
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            if have >= want {
                let text = core::str::from_utf8(pending.get(..have).unwrap_or_default())
                    .unwrap_or("\u{FFFD}");
                f.write_str(text)?;
                have = 0;
            }
            run_start = i + 3;
        }
        i += n;
    }
    if have > 0 {
        f.write_str("\u{FFFD}")?;
    }
    f.write_str(raw.get(run_start..).unwrap_or_default())
}

impl fmt::Debug for PctStr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        fmt::Display::fmt(self, f)?;
        f.write_str("\"")
    }
}

/// The decoded bytes of a [`PctStr`].
#[derive(Clone)]
pub struct DecodedBytes<'a> {
    raw: &'a [u8],
    pos: usize,
}

impl Iterator for DecodedBytes<'_> {
    type Item = u8;
    #[inline]
    fn next(&mut self) -> Option<u8> {
        let (v, n) = unit_at(self.raw, self.pos)?;
        self.pos += n;
        Some(v)
    }
}

/// Pieces of a [`PctStr`] between decoded separators.
#[derive(Clone)]
pub(crate) struct Split<'a> {
    rest: Option<PctStr<'a>>,
    sep: u8,
    raw: bool,
}

impl<'a> Iterator for Split<'a> {
    type Item = PctStr<'a>;
    fn next(&mut self) -> Option<PctStr<'a>> {
        let cur = self.rest.take()?;
        let parts = if self.raw { cur.split_once_raw(self.sep) } else { cur.split_once(self.sep) };
        match parts {
            Some((head, tail)) => {
                self.rest = Some(tail);
                Some(head)
            }
            None => Some(cur),
        }
    }
}

/// A secret still in its encoded form inside the input (a URI password,
/// `tlsCertificateKeyFilePassword`, `proxyPassword`). `Debug` prints
/// `<redacted>`; there is no `Display`. Decode it with [`Secret::decode`],
/// which returns a [`Password`] that wipes the caller's buffer on drop.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Secret<'a>(PctStr<'a>);

impl<'a> Secret<'a> {
    pub(crate) const fn new(s: PctStr<'a>) -> Self {
        Secret(s)
    }
    /// `true` if the secret is the empty string (present but empty).
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Byte offset of the secret in the input.
    pub const fn offset(&self) -> usize {
        self.0.offset
    }
    /// Bytes [`Secret::decode`] needs.
    pub fn decoded_len(&self) -> usize {
        self.0.decoded_len()
    }
    /// The encoded text. Named so that call sites show a secret leaves here.
    pub fn expose_encoded(&self) -> PctStr<'a> {
        self.0
    }
    /// Decode into `out`. The returned [`Password`] borrows `out` and zeroes
    /// the decoded bytes when dropped.
    ///
    /// # Errors
    /// [`UriErrorKind::BufferTooSmall`] with the size needed (nothing written).
    pub fn decode<'b>(&self, out: &'b mut [u8]) -> Result<Password<'b>, UriError> {
        let n = decode_into(self.0, out)?;
        let (head, _) = out.split_at_mut(n.min(out.len()));
        if core::str::from_utf8(head).is_err() {
            head.zeroize();
            return Err(UriError::at(UriErrorKind::InvalidUtf8, self.0.offset));
        }
        Ok(Password { bytes: head })
    }
}

impl fmt::Debug for Secret<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// A decoded password living in the caller's buffer. Dereferencing needs an
/// explicit [`Password::as_str`]; `Debug` prints `<redacted>`; on drop the
/// bytes are overwritten with zeros.
pub struct Password<'b> {
    bytes: &'b mut [u8],
}

impl Password<'_> {
    /// The password text (valid UTF-8, checked when decoded).
    pub fn as_str(&self) -> &str {
        core::str::from_utf8(self.bytes).unwrap_or_default()
    }
    /// The password bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }
    /// `true` for the empty password (`user:@host`), which is not the same as
    /// no password.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl Drop for Password<'_> {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for Password<'_> {}

impl fmt::Debug for Password<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A `fmt::Write` over a byte slice that keeps counting past the end, so a
/// too-small buffer reports the size it would have needed.
pub(crate) struct SliceWriter<'b> {
    pub(crate) buf: &'b mut [u8],
    pub(crate) len: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.saturating_add(s.len());
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(s.as_bytes());
        }
        self.len = end;
        Ok(())
    }
}

impl<'b> SliceWriter<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        SliceWriter { buf, len: 0 }
    }
    /// The written text, or `BufferTooSmall` (and a wiped buffer) if it did not fit.
    pub(crate) fn finish(self) -> Result<&'b str, UriError> {
        if self.len > self.buf.len() {
            self.buf.zeroize();
            return Err(UriError::new(UriErrorKind::BufferTooSmall(crate::BufferTooSmall {
                required: self.len,
            })));
        }
        let len = self.len;
        let buf: &'b [u8] = self.buf;
        match core::str::from_utf8(buf.get(..len).unwrap_or_default()) {
            Ok(s) => Ok(s),
            Err(_) => Err(UriError::new(UriErrorKind::InvalidUtf8)),
        }
    }
}
