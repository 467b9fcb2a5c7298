//! SASLprep (RFC 4013): the stringprep (RFC 3454) profile that SCRAM-SHA-256
//! passwords go through before PBKDF2, over Unicode 3.2 as RFC 3454 requires.
//!
//! # What it computes
//!
//! Exactly RFC 4013 with unassigned code points rejected, because a password is
//! a *stored string* (RFC 3454 section 7; the MongoDB drivers and the server's
//! `createUser` do the same):
//!
//! 1. **Map** (RFC 4013 2.1): table C.1.2 (non-ASCII spaces) becomes U+0020 and
//!    table B.1 ("commonly mapped to nothing") is deleted.
//! 2. **Normalize** with NFKC (Unicode 3.2).
//! 3. **Prohibit** (RFC 4013 2.3): tables C.1.2, C.2.1, C.2.2 and C.3 to C.9 give
//!    [`SaslprepError::Prohibited`]; table A.1 gives
//!    [`SaslprepError::Unassigned`].
//! 4. **Bidi** (RFC 3454 section 6, tables D.1 and D.2) gives
//!    [`SaslprepError::Bidi`] with the rule that failed.
//!
//! ## U+200B ZERO WIDTH SPACE
//!
//! U+200B is listed in both B.1 (map to nothing) and C.1.2 (map to SPACE),
//! and neither RFC orders the two mappings. This implementation maps it to
//! **U+0020**: RFC 4013 2.1 lists the C.1.2 mapping first, GNU libidn's
//! SASLprep profile applies its space map before B.1, the MongoDB Java driver
//! checks C.1.2 first, and the project's spec vectors expect `" "`. Note that
//! pymongo's `saslprep` filters B.1 *before* mapping C.1.2 and so produces
//! `""`: a password containing U+200B is not portable between drivers, and
//! callers should avoid relying on it.
//!
//! ## Empty output
//!
//! An empty result (an empty input, or one made only of B.1 characters) is a
//! valid SASLprep output and is returned as `Ok("")`; whether an empty password
//! is acceptable is the SCRAM layer's decision.
//!
//! # How it runs
//!
//! Printable ASCII (U+0020 to U+007E) is its own SASLprep output: such input is
//! copied without touching any table. Anything else streams over the input's
//! `char`s, without allocation:
//!
//! * each mapped character is decomposed (NFKD, pre-flattened in the tables;
//!   Hangul syllables algorithmically) and every decomposed character is
//!   checked against the prohibited and unassigned tables at once. The
//!   generator proves that such characters are starters that never compose, so
//!   this equals checking the NFKC output, in the same order;
//! * decomposed characters collect in a fixed segment buffer: the last starter
//!   and the non-starters after it, at most [`MAX_COMBINING_MARKS`] of them (the
//!   UAX #15 stream-safe limit); more is [`SaslprepError::TooManyCombiningMarks`],
//!   never a truncation;
//! * when the next starter arrives the segment is put in canonical order
//!   (a stable sort by combining class) and composed; the composed starter stays
//!   pending in case the next starter composes with it (Hangul LV + T);
//! * composed characters go through the bidi state machine and are encoded into
//!   the caller's buffer. If the buffer is too small the run still completes,
//!   so that [`SaslprepError::BufferTooSmall`] reports the exact size needed.
//!
//! # Errors and their order
//!
//! Every error carries a code-point `index` into the *input* (never the
//! character: it is part of a password). For a character that came out of a
//! decomposition or composition, it is the index of the input character it
//! came from (for a composite, its starter's). Errors are reported in this
//! order:
//!
//! 1. [`SaslprepError::Prohibited`], [`SaslprepError::Unassigned`] and
//!    [`SaslprepError::TooManyCombiningMarks`]: the first one met in the
//!    decomposed stream;
//! 2. [`SaslprepError::Bidi`]: checked on the whole output, rule 2 of RFC 3454
//!    section 6 ([`BidiRule::RandAlCatWithLCat`]) before rule 3
//!    ([`BidiRule::RandAlCatNotAtEnds`]);
//! 3. [`SaslprepError::BufferTooSmall`], only for input that is otherwise valid.
//!
//! On any error, whatever had been written to the output buffer is wiped.
//!
//! # Build without the tables
//!
//! With the `saslprep` cargo feature off, no table is compiled in: printable
//! ASCII passes through, ASCII controls are [`SaslprepError::Prohibited`] and
//! any other character is [`SaslprepError::Unsupported`], rather than a
//! password being sent unprepared.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::todo,
    clippy::as_conversions
)]

use core::fmt;

#[cfg(feature = "saslprep")]
mod prep;
#[cfg(feature = "saslprep")]
#[rustfmt::skip]
mod tables;

/// The most non-starters (combining marks) allowed in a row, as in the UAX #15
/// Stream-Safe Text Format. It bounds the fixed buffer canonical reordering
/// uses; no real text comes near it.
pub const MAX_COMBINING_MARKS: usize = 30;

/// Which RFC 3454 section 6 bidi rule a string broke.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BidiRule {
    /// Rule 2: a string with a RandALCat character (table D.1) must not also
    /// contain an LCat character (table D.2).
    RandAlCatWithLCat,
    /// Rule 3: a string with a RandALCat character must start and end with one.
    RandAlCatNotAtEnds,
}

impl fmt::Display for BidiRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RandAlCatWithLCat => "right-to-left and left-to-right characters are mixed",
            Self::RandAlCatNotAtEnds => {
                "a right-to-left string must start and end with a right-to-left character"
            }
        })
    }
}

/// Why a string could not be prepared. Never carries the character itself:
/// it is part of a password. `index` is a code-point index into the input.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslprepError {
    /// A prohibited code point (RFC 4013 2.3: tables C.1.2, C.2.1, C.2.2,
    /// C.3 to C.9) is in the normalized output.
    Prohibited {
        /// Index of the input code point it came from.
        index: usize,
    },
    /// A code point unassigned in Unicode 3.2 (RFC 3454 table A.1), which a
    /// stored string must not contain.
    Unassigned {
        /// Index of the offending code point in the input.
        index: usize,
    },
    /// The output breaks a bidi rule of RFC 3454 section 6.
    Bidi {
        /// The rule that failed.
        rule: BidiRule,
        /// Index of the input code point of the output character where the
        /// failure shows: the first character that mixes directions, the first
        /// right-to-left character of a string that does not start with one,
        /// or the last character of one that does not end with one.
        index: usize,
    },
    /// More than [`MAX_COMBINING_MARKS`] combining marks in a row, more than
    /// the fixed reordering buffer holds.
    TooManyCombiningMarks {
        /// Index of the input code point that overflowed the buffer.
        index: usize,
    },
    /// Non-ASCII input, and this build (without the `saslprep` feature) cannot
    /// prepare it.
    Unsupported {
        /// Index of the first non-ASCII code point.
        index: usize,
    },
    /// The output buffer is too small; exactly `required` bytes (the length
    /// of the prepared string) would do.
    BufferTooSmall(crate::BufferTooSmall),
}

impl fmt::Display for SaslprepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prohibited { index } => {
                write!(f, "SASLprep: prohibited character at code point {index}")
            }
            Self::Unassigned { index } => {
                write!(f, "SASLprep: character unassigned in Unicode 3.2 at code point {index}")
            }
            Self::Bidi { rule, index } => {
                write!(f, "SASLprep: bidi check failed at code point {index}: {rule}")
            }
            Self::TooManyCombiningMarks { index } => write!(
                f,
                "SASLprep: more than {MAX_COMBINING_MARKS} combining marks in a row at code point {index}"
            ),
            Self::Unsupported { index } => write!(
                f,
                "SASLprep: non-ASCII character at code point {index}, and this build has no SASLprep tables"
            ),
            Self::BufferTooSmall(crate::BufferTooSmall { required }) => {
                write!(f, "SASLprep: output needs {required} bytes")
            }
        }
    }
}

impl core::error::Error for SaslprepError {}

/// Where prepared characters go: the caller's byte slice or a
/// `heapless::String`.
trait Sink {
    /// Append `c`; `false` if it does not fit (the sink is then left as is).
    fn push(&mut self, c: char) -> bool;
}

/// Writes UTF-8 into a byte slice.
struct SliceSink<'o> {
    buf: &'o mut [u8],
    len: usize,
}

impl Sink for SliceSink<'_> {
    fn push(&mut self, c: char) -> bool {
        let end = self.len.saturating_add(c.len_utf8());
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                c.encode_utf8(dst);
                self.len = end;
                true
            }
            None => false,
        }
    }
}

impl<const N: usize> Sink for heapless::String<N> {
    fn push(&mut self, c: char) -> bool {
        heapless::String::push(self, c).is_ok()
    }
}

/// Is every byte printable ASCII (U+0020 to U+007E)? Such a string is its own
/// SASLprep output.
fn is_printable_ascii(input: &str) -> bool {
    input.bytes().all(|b| matches!(b, 0x20..=0x7E))
}

/// Run the profile into `sink`; `Ok(required)` is the output length in bytes,
/// which may exceed what the sink took.
fn run(input: &str, sink: &mut dyn Sink) -> Result<usize, SaslprepError> {
    if is_printable_ascii(input) {
        for c in input.chars() {
            if !sink.push(c) {
                break;
            }
        }
        return Ok(input.len());
    }
    #[cfg(feature = "saslprep")]
    {
        prep::prepare(input, sink)
    }
    #[cfg(not(feature = "saslprep"))]
    {
        let _ = sink;
        let mut first_error = SaslprepError::Unsupported { index: 0 };
        for (index, c) in input.chars().enumerate() {
            if c.is_ascii_control() {
                first_error = SaslprepError::Prohibited { index };
                break;
            }
            if !c.is_ascii() {
                first_error = SaslprepError::Unsupported { index };
                break;
            }
        }
        Err(first_error)
    }
}

/// Prepare `input` as a stored string (unassigned code points rejected) into
/// `out`, returning the prepared text, a prefix of `out`.
///
/// This is the entry point SCRAM-SHA-256 uses for passwords. It never
/// allocates and never truncates.
///
/// # Errors
/// See [`SaslprepError`] and the [module docs](self) for the order in which
/// errors are reported. On error, the bytes written to `out` are wiped.
pub fn saslprep<'o>(input: &str, out: &'o mut [u8]) -> Result<&'o str, SaslprepError> {
    let mut sink = SliceSink { buf: out, len: 0 };
    let result = run(input, &mut sink);
    let SliceSink { buf, len } = sink;
    let (written, _) = buf.split_at_mut(len.min(buf.len()));
    match result {
        // Only whole characters are written, so this cannot fail; if it did,
        // fail closed rather than return bytes that are not the output.
        Ok(required) if required == len => core::str::from_utf8_mut(written)
            .map(|text| &*text)
            .map_err(|_| SaslprepError::Prohibited { index: 0 }),
        Ok(required) => {
            zeroize::Zeroize::zeroize(written);
            Err(SaslprepError::BufferTooSmall(crate::BufferTooSmall { required }))
        }
        Err(e) => {
            zeroize::Zeroize::zeroize(written);
            Err(e)
        }
    }
}

/// [`saslprep`] into a `heapless::String`, for callers that keep the prepared
/// password in a fixed-capacity string. `out` is cleared first.
///
/// # Errors
/// As [`saslprep`]; a string too short for the output gives
/// [`SaslprepError::BufferTooSmall`]. On error `out` is wiped and left empty.
pub fn saslprep_heapless<const N: usize>(
    input: &str,
    out: &mut heapless::String<N>,
) -> Result<(), SaslprepError> {
    out.clear();
    let result = match run(input, out) {
        Ok(required) if required == out.len() => return Ok(()),
        Ok(required) => Err(SaslprepError::BufferTooSmall(crate::BufferTooSmall { required })),
        Err(e) => Err(e),
    };
    zeroize::Zeroize::zeroize(out);
    out.clear();
    result
}
