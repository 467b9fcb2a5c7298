//! NULL-safe helpers for the raw pointers C hands us. Each turns a pointer
//! (plus length) into a Rust reference or slice, or a `Fail` naming the
//! argument, so an export checks each argument in one line.

use core::ffi::c_void;

use crate::error::Fail;
use crate::status::mongoauth_status::{
    MONGOAUTH_STATUS_CAPACITY, MONGOAUTH_STATUS_INVALID_ARGUMENT, MONGOAUTH_STATUS_INVALID_UTF8,
    MONGOAUTH_STATUS_NULL_POINTER,
};

/// An optional out-parameter: `None` for NULL or a misaligned pointer.
///
/// # Safety
/// `p` is NULL or valid for writes of a `T` for `'a`, not aliased.
pub(crate) unsafe fn opt_mut<'a, T>(p: *mut T) -> Option<&'a mut T> {
    if p.is_null() || !p.is_aligned() {
        return None;
    }
    // SAFETY: non-NULL and aligned; validity is the caller's contract.
    Some(unsafe { &mut *p })
}

/// A required out-parameter.
///
/// # Safety
/// As [`opt_mut`].
pub(crate) unsafe fn out<'a, T>(p: *mut T, name: &'static str) -> Result<&'a mut T, Fail> {
    if p.is_null() {
        return Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", name));
    }
    if !p.is_aligned() {
        return Err(Fail::arg(MONGOAUTH_STATUS_INVALID_ARGUMENT, "misaligned pointer", name));
    }
    // SAFETY: checked non-NULL and aligned; validity is the caller's contract.
    Ok(unsafe { &mut *p })
}

/// A required input struct.
///
/// # Safety
/// `p` is NULL or valid for reads of a `T` for `'a`.
pub(crate) unsafe fn input<'a, T>(p: *const T, name: &'static str) -> Result<&'a T, Fail> {
    if p.is_null() {
        return Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", name));
    }
    if !p.is_aligned() {
        return Err(Fail::arg(MONGOAUTH_STATUS_INVALID_ARGUMENT, "misaligned pointer", name));
    }
    // SAFETY: checked non-NULL and aligned; validity is the caller's contract.
    Ok(unsafe { &*p })
}

/// Input bytes `(p, len)`: NULL is allowed only with `len == 0`. No
/// length limit: for inputs of no fixed size (a reply, a frame) or whose
/// length is compared before any byte is read; an argument with a limit
/// goes through [`bytes_max`], which checks it first.
///
/// # Safety
/// If non-NULL, `p` is valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn bytes<'a>(
    p: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a [u8], Fail> {
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Fail::arg(
                MONGOAUTH_STATUS_NULL_POINTER,
                "NULL pointer with a non-zero length",
                name,
            ))
        };
    }
    if len > isize::MAX as usize {
        return Err(Fail::arg(MONGOAUTH_STATUS_INVALID_ARGUMENT, "length too large", name));
    }
    // SAFETY: non-NULL, length bounded; validity is the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(p, len) })
}

/// Input text `(p, len)`, not NUL-terminated, which must be UTF-8. The
/// whole length is read to validate it: an argument with a limit goes
/// through [`text_max`] instead, which refuses a long one before reading.
///
/// # Safety
/// As [`bytes`].
pub(crate) unsafe fn text<'a>(
    p: *const u8,
    len: usize,
    name: &'static str,
) -> Result<&'a str, Fail> {
    // SAFETY: forwarded contract.
    let b = unsafe { bytes(p, len, name) }?;
    core::str::from_utf8(b)
        .map_err(|_| Fail::arg(MONGOAUTH_STATUS_INVALID_UTF8, "not valid UTF-8", name))
}

/// The refusal of a length above its limit.
fn too_long(name: &'static str) -> Fail {
    Fail::arg(MONGOAUTH_STATUS_CAPACITY, "length above its limit", name)
}

/// Input bytes `(p, len)` of at most `max` bytes: a longer `len` is
/// `CAPACITY` before the pointer is looked at, so a wrong length never
/// makes the library read past the caller's buffer. NULL is allowed only
/// with `len == 0`.
///
/// # Safety
/// If non-NULL and `len <= max`, `p` is valid for reads of `len` bytes for
/// `'a`.
pub(crate) unsafe fn bytes_max<'a>(
    p: *const u8,
    len: usize,
    max: usize,
    name: &'static str,
) -> Result<&'a [u8], Fail> {
    if len > max {
        return Err(too_long(name));
    }
    // SAFETY: forwarded contract, with the length now within the limit.
    unsafe { bytes(p, len, name) }
}

/// Input text `(p, len)` of at most `max` bytes, which must be UTF-8: the
/// limit is checked first (`CAPACITY`), then the bytes are validated.
///
/// # Safety
/// As [`bytes_max`].
pub(crate) unsafe fn text_max<'a>(
    p: *const u8,
    len: usize,
    max: usize,
    name: &'static str,
) -> Result<&'a str, Fail> {
    // SAFETY: forwarded contract.
    let b = unsafe { bytes_max(p, len, max, name) }?;
    core::str::from_utf8(b)
        .map_err(|_| Fail::arg(MONGOAUTH_STATUS_INVALID_UTF8, "not valid UTF-8", name))
}

/// Mutable bytes `(p, len)`: NULL is allowed only with `len == 0`.
///
/// # Safety
/// If non-NULL, `p` is valid for writes of `len` bytes for `'a`, not aliased.
pub(crate) unsafe fn bytes_mut<'a>(
    p: *mut c_void,
    len: usize,
    name: &'static str,
) -> Result<&'a mut [u8], Fail> {
    if p.is_null() {
        return if len == 0 {
            Ok(&mut [])
        } else {
            Err(Fail::arg(
                MONGOAUTH_STATUS_NULL_POINTER,
                "NULL pointer with a non-zero length",
                name,
            ))
        };
    }
    if len > isize::MAX as usize {
        return Err(Fail::arg(MONGOAUTH_STATUS_INVALID_ARGUMENT, "length too large", name));
    }
    // SAFETY: non-NULL, length bounded; validity is the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts_mut(p.cast::<u8>(), len) })
}

/// Copy `src` into the caller's `(out, capacity, *written)` buffer. A
/// too-small buffer (including `out == NULL, capacity == 0`, the size
/// query) sets `*written` to the size needed and fails with
/// `BUFFER_TOO_SMALL`; nothing else is written.
///
/// # Safety
/// `out` is NULL or valid for writes of `capacity` bytes; `written` is NULL
/// or valid for a write of one `size_t`.
pub(crate) unsafe fn write_out(
    src: &[u8],
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let written = unsafe { self::out(written, "written") }?;
    if capacity < src.len() {
        *written = src.len();
        return Err(Fail::buffer(src.len()));
    }
    // SAFETY: forwarded contract.
    let dst = unsafe { bytes_mut(out.cast(), capacity, "out") }?;
    if let Some(d) = dst.get_mut(..src.len()) {
        d.copy_from_slice(src);
    }
    *written = src.len();
    Ok(())
}

/// Counts the bytes a `fmt::Arguments` renders to.
struct Count(usize);
impl core::fmt::Write for Count {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

/// Writes into a slice that was sized by [`Count`].
struct Fill<'a>(&'a mut [u8], usize);
impl core::fmt::Write for Fill<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.1 + s.len();
        let dst = self.0.get_mut(self.1..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

/// Render `args` into the caller's `(out, capacity, *written)` buffer, with
/// the size query of [`write_out`].
///
/// # Safety
/// As [`write_out`].
pub(crate) unsafe fn write_fmt_out(
    args: core::fmt::Arguments<'_>,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let written = unsafe { self::out(written, "written") }?;
    let mut count = Count(0);
    let _ = core::fmt::write(&mut count, args);
    if capacity < count.0 {
        *written = count.0;
        return Err(Fail::buffer(count.0));
    }
    // SAFETY: forwarded contract.
    let dst = unsafe { bytes_mut(out.cast(), capacity, "out") }?;
    let mut fill = Fill(dst, 0);
    core::fmt::write(&mut fill, args)
        .map_err(|_| Fail::new(MONGOAUTH_STATUS_INVALID_ARGUMENT, "text changed while written"))?;
    *written = fill.1;
    Ok(())
}

/// Decode a percent-encoded view into the caller's `(out, capacity,
/// *written)` buffer, with the size query of [`write_out`]. On a decoding
/// error the bytes written are wiped.
///
/// # Safety
/// As [`write_out`].
pub(crate) unsafe fn write_pct_out(
    p: mongoauth::uri::PctStr<'_>,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let written = unsafe { self::out(written, "written") }?;
    let needed = p.decoded_len();
    if capacity < needed {
        *written = needed;
        return Err(Fail::buffer(needed));
    }
    // SAFETY: forwarded contract.
    let dst = unsafe { bytes_mut(out.cast(), capacity, "out") }?;
    match p.decode(dst) {
        Ok(s) => {
            *written = s.len();
            Ok(())
        }
        Err(e) => {
            if let Some(d) = dst.get_mut(..needed) {
                zeroize::Zeroize::zeroize(d);
            }
            Err(e.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::mongoauth_status;

    #[test]
    fn a_length_above_its_limit_is_refused_before_the_pointer_is_read() {
        // A pointer to 4 bytes with a 1 MiB length: reading it would be out
        // of bounds (Miri and ASan would say so); the limit comes first.
        let short = [b'a'; 4];
        let status = |r: Result<&str, Fail>| r.err().map(|f| f.status);
        // SAFETY: `len > max`, so nothing behind the pointer is read.
        let huge = unsafe { text_max(short.as_ptr(), 1 << 20, 8, "password") };
        assert_eq!(status(huge), Some(mongoauth_status::MONGOAUTH_STATUS_CAPACITY));
        // SAFETY: as above, with NULL.
        let null = unsafe { bytes_max(core::ptr::null(), 1 << 20, 8, "salt") };
        assert_eq!(null.err().map(|f| f.status), Some(mongoauth_status::MONGOAUTH_STATUS_CAPACITY));
        // SAFETY: 4 readable bytes.
        assert_eq!(unsafe { text_max(short.as_ptr(), 4, 4, "p") }.ok(), Some("aaaa"));
        // SAFETY: as above.
        let one_over = unsafe { text_max(short.as_ptr(), 4, 3, "p") };
        assert_eq!(status(one_over), Some(mongoauth_status::MONGOAUTH_STATUS_CAPACITY));
        let bad = [0xffu8; 2];
        // SAFETY: 2 readable bytes.
        let utf8 = unsafe { text_max(bad.as_ptr(), 2, 8, "p") };
        assert_eq!(status(utf8), Some(mongoauth_status::MONGOAUTH_STATUS_INVALID_UTF8));
    }
}
