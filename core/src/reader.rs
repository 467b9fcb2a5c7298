//! One slice cursor for every parser in the crate.
//!
//! [`Reader`] only ever shrinks a borrowed slice: each read is a checked split
//! at the front, so no read can run past the input and none can panic. It
//! remembers the absolute offset of its first byte, so a child reader made
//! with [`Reader::sub`] still reports positions relative to the outermost
//! input, and errors can name the exact byte where parsing stopped.
//!
//! Reads return a [`ReadError`] that carries the offset; callers wrap it in
//! their own error with the name of the field they were reading.

use core::fmt;

/// Why a [`Reader`] could not give what was asked. Every variant carries the
/// absolute byte offset where the read started.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// Fewer bytes remain than the read needs.
    UnexpectedEnd {
        /// Offset of the read.
        offset: usize,
        /// Bytes the read needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// A NUL-terminated string had no NUL before the end of the input.
    Unterminated {
        /// Offset where the string starts.
        offset: usize,
    },
    /// Input was left over where the end was required.
    TrailingData {
        /// Offset of the first unread byte.
        offset: usize,
        /// How many bytes were left.
        len: usize,
    },
}

impl ReadError {
    /// The absolute offset the error is about.
    pub fn offset(&self) -> usize {
        match *self {
            Self::UnexpectedEnd { offset, .. }
            | Self::Unterminated { offset }
            | Self::TrailingData { offset, .. } => offset,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEnd { offset, needed, available } => {
                write!(f, "input ends at byte {offset}: {needed} bytes needed, {available} left")
            }
            Self::Unterminated { offset } => {
                write!(f, "string starting at byte {offset} has no NUL terminator")
            }
            Self::TrailingData { offset, len } => {
                write!(f, "{len} unexpected trailing bytes at byte {offset}")
            }
        }
    }
}

impl core::error::Error for ReadError {}

/// A cursor over a borrowed byte slice that only moves forward.
///
/// `Copy` on purpose: copying a reader is how a parser remembers a position
/// (see [`Reader::bytes_since`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader<'a> {
    buf: &'a [u8],
    /// Absolute offset of `buf[0]` in the outermost input.
    offset: usize,
}

impl<'a> Reader<'a> {
    /// A reader over all of `buf`, with positions counted from its start.
    pub const fn new(buf: &'a [u8]) -> Self {
        Self { buf, offset: 0 }
    }

    /// A reader over `buf` whose first byte is at absolute position `offset`
    /// (for parsing a slice cut out of a larger message).
    pub const fn with_offset(buf: &'a [u8], offset: usize) -> Self {
        Self { buf, offset }
    }

    /// Absolute offset of the next unread byte.
    pub const fn position(&self) -> usize {
        self.offset
    }

    /// How many bytes are left.
    pub const fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Whether everything has been read.
    pub const fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The unread bytes, without consuming them.
    pub const fn rest(&self) -> &'a [u8] {
        self.buf
    }

    /// The next byte, without consuming it.
    pub fn peek(&self) -> Option<u8> {
        self.buf.first().copied()
    }

    fn short(&self, needed: usize) -> ReadError {
        ReadError::UnexpectedEnd { offset: self.offset, needed, available: self.buf.len() }
    }

    /// Take exactly `n` bytes.
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than `n` bytes remain; the reader
    /// is then unchanged.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ReadError> {
        let (head, tail) = self.buf.split_at_checked(n).ok_or(self.short(n))?;
        self.buf = tail;
        self.offset = self.offset.saturating_add(n);
        Ok(head)
    }

    /// Take exactly `N` bytes as an array.
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than `N` bytes remain.
    pub fn take_array<const N: usize>(&mut self) -> Result<[u8; N], ReadError> {
        let (head, tail) = self.buf.split_first_chunk::<N>().ok_or(self.short(N))?;
        self.buf = tail;
        self.offset = self.offset.saturating_add(N);
        Ok(*head)
    }

    /// Everything that is left; the reader is then empty.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let rest = self.buf;
        self.offset = self.offset.saturating_add(rest.len());
        self.buf = &[];
        rest
    }

    /// One byte.
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] at the end of input.
    pub fn u8(&mut self) -> Result<u8, ReadError> {
        self.take_array::<1>().map(|[b]| b)
    }

    /// A little-endian `i32` (BSON int32, OP_MSG header fields).
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than 4 bytes remain.
    pub fn i32_le(&mut self) -> Result<i32, ReadError> {
        self.take_array().map(i32::from_le_bytes)
    }

    /// A little-endian `u32` (OP_MSG flag bits, checksum).
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than 4 bytes remain.
    pub fn u32_le(&mut self) -> Result<u32, ReadError> {
        self.take_array().map(u32::from_le_bytes)
    }

    /// A little-endian `i64` (BSON int64, datetime).
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than 8 bytes remain.
    pub fn i64_le(&mut self) -> Result<i64, ReadError> {
        self.take_array().map(i64::from_le_bytes)
    }

    /// A little-endian `u64` (BSON timestamp).
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than 8 bytes remain.
    pub fn u64_le(&mut self) -> Result<u64, ReadError> {
        self.take_array().map(u64::from_le_bytes)
    }

    /// A little-endian IEEE 754 binary64 (BSON double).
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than 8 bytes remain.
    pub fn f64_le(&mut self) -> Result<f64, ReadError> {
        self.take_array().map(f64::from_le_bytes)
    }

    /// The bytes before the next NUL; the NUL is consumed but not returned.
    ///
    /// # Errors
    /// [`ReadError::Unterminated`] if there is no NUL; the reader is then
    /// unchanged.
    pub fn cstring(&mut self) -> Result<&'a [u8], ReadError> {
        let end = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .ok_or(ReadError::Unterminated { offset: self.offset })?;
        let s = self.take(end)?;
        self.take(1)?;
        Ok(s)
    }

    /// A child reader over the next `len` bytes, which this reader skips.
    /// Positions in the child stay absolute.
    ///
    /// # Errors
    /// [`ReadError::UnexpectedEnd`] if fewer than `len` bytes remain.
    pub fn sub(&mut self, len: usize) -> Result<Reader<'a>, ReadError> {
        let offset = self.offset;
        let buf = self.take(len)?;
        Ok(Reader { buf, offset })
    }

    /// The bytes consumed since `earlier`, a copy of this reader taken before.
    /// Empty if `earlier` is not an earlier state of this reader.
    pub fn bytes_since(&self, earlier: &Reader<'a>) -> &'a [u8] {
        let consumed = earlier.buf.len().saturating_sub(self.buf.len());
        earlier.buf.get(..consumed).unwrap_or(&[])
    }

    /// Require that everything has been read.
    ///
    /// # Errors
    /// [`ReadError::TrailingData`] if bytes are left.
    pub fn expect_end(&self) -> Result<(), ReadError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(ReadError::TrailingData { offset: self.offset, len: self.buf.len() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_offsets() {
        let data = [1u8, 2, 0, 0, 0, b'a', b'b', 0, 9];
        let mut r = Reader::with_offset(&data, 100);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.position(), 101);
        assert_eq!(r.i32_le(), Ok(2));
        let mark = r;
        assert_eq!(r.cstring(), Ok(&b"ab"[..]));
        assert_eq!(r.bytes_since(&mark), b"ab\0");
        assert_eq!(r.expect_end(), Err(ReadError::TrailingData { offset: 108, len: 1 }));
        assert_eq!(
            r.i32_le(),
            Err(ReadError::UnexpectedEnd { offset: 108, needed: 4, available: 1 })
        );
        assert_eq!(r.u8(), Ok(9));
        assert!(r.expect_end().is_ok());
    }

    #[test]
    fn sub_is_bounded_and_absolute() {
        let data = [0u8, 1, 2, 3, 4, 5];
        let mut r = Reader::new(&data);
        r.u8().ok();
        let mut s = r.sub(3).unwrap_or(Reader::new(&[]));
        assert_eq!(s.position(), 1);
        assert_eq!(s.take(4).map(|_| ()).map_err(|e| e.offset()), Err(1));
        assert_eq!(s.take(3), Ok(&[1u8, 2, 3][..]));
        assert_eq!(r.position(), 4);
        assert!(r.sub(3).is_err());
        assert_eq!(r.remaining(), 2);
    }

    #[test]
    fn unterminated_cstring_leaves_reader() {
        let mut r = Reader::new(b"abc");
        assert_eq!(r.cstring(), Err(ReadError::Unterminated { offset: 0 }));
        assert_eq!(r.remaining(), 3);
    }
}
