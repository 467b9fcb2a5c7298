//! The C ABI of mongoauth (`include/mongoauth.h` and one header per object
//! in `include/mongoauth/`, generated from this crate by cbindgen and
//! `ffi/gen-headers.py`). It holds no protocol logic: every conversation is the
//! core's runtime state machine (`mongoauth::mech::scram::AnyClient`,
//! `AnyServer`) behind an opaque object.
//!
//! Conventions (the header's preamble says the same for C readers):
//! * names are `mongoauth_<object>_<verb>`; every fallible call returns a
//!   `mongoauth_status` (`uint32_t`) and takes an optional
//!   `mongoauth_error *err` last, filled on failure with a specific message
//!   that never contains a secret;
//! * predicates (`_is_*`, `_used_speculative`, `_available`) return `bool`,
//!   `false` for NULL or an invalid, cleared or busy object
//!   (`object::predicate`);
//! * inputs are `(pointer, length)` pairs, not NUL-terminated; text must be
//!   UTF-8; enum inputs are `uint32_t`, checked;
//! * outputs are `(out, capacity, *written)`: a short buffer returns
//!   `MONGOAUTH_STATUS_BUFFER_TOO_SMALL` with the size needed in `*written`;
//! * objects live in caller memory (`_SIZE`/`_ALIGN` constants,
//!   `_init_static`, `_clear`) or, with the `alloc` feature, on the heap
//!   (`_new`/`_free`); a magic number tells live objects from other memory
//!   (`INVALID_OBJECT`) and from cleared ones (`OBJECT_FREED`), and a busy
//!   flag refuses a call on an object from inside its own callback
//!   (`BUSY`): see `object.rs`;
//! * length arguments with a limit are checked before any byte is read
//!   (`ptr::bytes_max`, `ptr::text_max`);
//! * randomness is passed in (`entropy`), or drawn with
//!   `mongoauth_random_bytes` when built with `std`;
//! * NULL is checked everywhere, and no panic crosses the boundary.
#![no_std]
#![warn(missing_docs)]
// The core's `Error` carries a server's message in place (no heap in no_std).

#[cfg(feature = "std")]
extern crate std;

mod auth;
mod cache;
mod client;
mod error;
mod gss;
mod gss_login;
mod mechanism;
mod object;
mod panic;
mod ptr;
mod server;
mod session;
mod status;
mod uri;

use core::ffi::{CStr, c_char, c_void};

pub use auth::*;
pub use cache::*;
pub use client::*;
pub use error::{
    MONGOAUTH_ERROR_MESSAGE_SIZE, MONGOAUTH_ERROR_SIZE, MONGOAUTH_NO_OFFSET, mongoauth_error,
};
pub use gss::*;
pub use gss_login::*;
pub use mechanism::*;
pub use server::*;
pub use session::*;
pub use status::{mongoauth_status, mongoauth_status_name, mongoauth_status_strerror};
pub use uri::*;

use crate::panic::boundary;

/// Major version: incompatible ABI changes.
pub const MONGOAUTH_VERSION_MAJOR: u32 = 0;
/// Minor version: additions.
pub const MONGOAUTH_VERSION_MINOR: u32 = 1;
/// Patch version: fixes.
pub const MONGOAUTH_VERSION_PATCH: u32 = 0;
/// `MAJOR * 10000 + MINOR * 100 + PATCH`, for `#if` checks.
pub const MONGOAUTH_VERSION_NUMBER: u32 = 100;

const fn parse(s: &str) -> u32 {
    let b = s.as_bytes();
    let mut i = 0;
    let mut n = 0;
    while i < b.len() {
        n = n * 10 + (b[i] - b'0') as u32;
        i += 1;
    }
    n
}
const _: () = assert!(parse(env!("CARGO_PKG_VERSION_MAJOR")) == MONGOAUTH_VERSION_MAJOR);
const _: () = assert!(parse(env!("CARGO_PKG_VERSION_MINOR")) == MONGOAUTH_VERSION_MINOR);
const _: () = assert!(parse(env!("CARGO_PKG_VERSION_PATCH")) == MONGOAUTH_VERSION_PATCH);
const _: () = assert!(
    MONGOAUTH_VERSION_NUMBER
        == MONGOAUTH_VERSION_MAJOR * 10000
            + MONGOAUTH_VERSION_MINOR * 100
            + MONGOAUTH_VERSION_PATCH
);

const VERSION: &CStr =
    match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
        Ok(v) => v,
        Err(_) => panic!("version string"),
    };

/// The library version as a static NUL-terminated string (`"0.1.0"`), so a
/// program can log which build it linked.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_version_string() -> *const c_char {
    VERSION.as_ptr()
}

/// The library version as `MAJOR * 10000 + MINOR * 100 + PATCH`; compare it
/// with `MONGOAUTH_VERSION_NUMBER` to catch a header/library mismatch.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_version_number() -> u32 {
    MONGOAUTH_VERSION_NUMBER
}

/// Longest SCRAM message the client or server produces: an output buffer
/// this large always suffices for `_message`.
pub const MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES: usize = 512;
/// Longest username, in UTF-8 bytes.
pub const MONGOAUTH_SCRAM_MAX_USERNAME_BYTES: usize = 128;
/// Longest password, in UTF-8 bytes.
pub const MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES: usize = 256;
/// Fewest random bytes a nonce is made from.
pub const MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES: usize = 24;
/// Most random bytes a nonce is made from.
pub const MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES: usize = 48;
/// Fewest PBKDF2 iterations a client accepts or a server generates.
pub const MONGOAUTH_SCRAM_MIN_ITERATIONS: u32 = 4096;
/// The client's default cap on the server's iteration count.
pub const MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS: u32 = 100000;

mod checks {
    use super::*;
    use mongoauth::mech::scram as s;
    const fn max(a: usize, b: usize) -> usize {
        if a > b { a } else { b }
    }
    const _: () = assert!(
        max(
            max(s::MAX_CLIENT_FIRST_LEN, s::MAX_CLIENT_FINAL_LEN),
            max(s::MAX_SERVER_FIRST_LEN, 64)
        ) <= MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES
    );
    const _: () = assert!(MONGOAUTH_SCRAM_MAX_USERNAME_BYTES == s::MAX_USERNAME_LEN);
    const _: () = assert!(MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES == s::MAX_PASSWORD_LEN);
    const _: () = assert!(MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES == s::MIN_NONCE_ENTROPY);
    const _: () = assert!(MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES == s::MAX_NONCE_ENTROPY);
    const _: () = assert!(MONGOAUTH_SCRAM_MIN_ITERATIONS == s::MIN_ITERATIONS);
    const _: () = assert!(MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS == s::DEFAULT_MAX_ITERATIONS);
}

/// `MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_max_message_bytes() -> usize {
    MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES
}
/// `MONGOAUTH_SCRAM_MAX_USERNAME_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_max_username_bytes() -> usize {
    MONGOAUTH_SCRAM_MAX_USERNAME_BYTES
}
/// `MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_max_password_bytes() -> usize {
    MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES
}
/// `MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_min_entropy_bytes() -> usize {
    MONGOAUTH_SCRAM_MIN_ENTROPY_BYTES
}
/// `MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_max_entropy_bytes() -> usize {
    MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES
}
/// `MONGOAUTH_SCRAM_MIN_ITERATIONS` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_min_iterations() -> u32 {
    MONGOAUTH_SCRAM_MIN_ITERATIONS
}
/// `MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_default_max_iterations() -> u32 {
    MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS
}
/// `MONGOAUTH_ERROR_SIZE` (`sizeof(mongoauth_error)`) at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_error_size() -> usize {
    core::mem::size_of::<mongoauth_error>()
}
/// `MONGOAUTH_ERROR_MESSAGE_SIZE` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_error_message_size() -> usize {
    MONGOAUTH_ERROR_MESSAGE_SIZE
}

/// Overwrite `len` bytes at `p` with zeros in a way the compiler will not
/// optimise away (for exported keys, credentials, password buffers).
///
/// # Safety
/// `p` is NULL with `len == 0`, or writable for `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_memory_zero(p: *mut c_void, len: usize) -> mongoauth_status {
    boundary(core::ptr::null_mut(), || {
        // SAFETY: caller contract.
        let b = unsafe { ptr::bytes_mut(p, len, "p") }?;
        zeroize::Zeroize::zeroize(b);
        Ok(())
    })
}

/// Fill `(out, len)` from the operating system's cryptographic random
/// source: entropy for `_start`/`_respond`, salts for new credentials.
/// Only with the `std` feature; firmware passes its own TRNG output.
///
/// # Safety
/// `out` is NULL with `len == 0`, or writable for `len` bytes; `err` is NULL
/// or writable.
#[cfg(feature = "std")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_random_bytes(
    out: *mut u8,
    len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let b = unsafe { ptr::bytes_mut(out.cast(), len, "out") }?;
        getrandom::fill(b).map_err(|_| {
            error::Fail::new(
                status::mongoauth_status::MONGOAUTH_STATUS_RANDOM_UNAVAILABLE,
                "the operating system's random source failed",
            )
        })
    })
}

#[cfg(all(feature = "panic-handler", not(feature = "std"), not(test)))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // The core is panic-free by construction; if that promise ever breaks,
    // stop rather than unwind into C.
    loop {
        core::hint::spin_loop();
    }
}

/// `core` is prebuilt with unwinding tables that reference this symbol; a
/// no_std shared library must define it to link into C (never called:
/// the profiles set `panic = "abort"`). Not part of the API.
#[cfg(all(feature = "panic-handler", not(feature = "std"), not(test)))]
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() {}
