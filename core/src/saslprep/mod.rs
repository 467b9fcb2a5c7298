//! SASLprep (RFC 4013), the stringprep profile SCRAM-SHA-256 passwords go
//! through. Placeholder until the full Unicode 3.2 implementation lands:
//! printable ASCII passes through unchanged (it is its own SASLprep output),
//! ASCII controls are prohibited, and anything else is reported as
//! unsupported rather than sent unprepared.

use core::fmt;

/// Why a string could not be prepared. Never carries the character itself:
/// it is part of a password.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaslprepError {
    /// A prohibited code point (RFC 4013 section 2.3) at this code-point index.
    Prohibited {
        /// Index of the offending code point in the input.
        index: usize,
    },
    /// Non-ASCII input, and this build cannot prepare it.
    Unsupported {
        /// Index of the first non-ASCII code point.
        index: usize,
    },
    /// The output buffer is too small; `required` bytes would do (or more).
    BufferTooSmall {
        /// Bytes needed so far.
        required: usize,
    },
}

impl fmt::Display for SaslprepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Prohibited { index } => {
                write!(f, "SASLprep: prohibited character at code point {index}")
            }
            Self::Unsupported { index } => write!(
                f,
                "SASLprep: non-ASCII character at code point {index}, and this build has no SASLprep tables"
            ),
            Self::BufferTooSmall { required } => {
                write!(f, "SASLprep: output needs at least {required} bytes")
            }
        }
    }
}

impl core::error::Error for SaslprepError {}

/// Prepare `input` as a stored string (unassigned code points rejected) into
/// `out`, returning the prepared text.
///
/// # Errors
/// See [`SaslprepError`].
pub fn saslprep<'o>(input: &str, out: &'o mut [u8]) -> Result<&'o str, SaslprepError> {
    for (index, c) in input.chars().enumerate() {
        if c.is_ascii_control() {
            return Err(SaslprepError::Prohibited { index });
        }
        if !c.is_ascii() {
            return Err(SaslprepError::Unsupported { index });
        }
    }
    let dst = out
        .get_mut(..input.len())
        .ok_or(SaslprepError::BufferTooSmall { required: input.len() })?;
    dst.copy_from_slice(input.as_bytes());
    core::str::from_utf8(dst).map_err(|_| SaslprepError::Unsupported { index: 0 })
}
