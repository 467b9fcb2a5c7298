//! `mongoauth_key_cache`: the SCRAM key cache (a login that reuses password,
//! salt and iteration count skips PBKDF2), in caller memory or on the heap.

use core::ffi::c_void;

use mongoauth::mech::scram::KeyCache;

use crate::error::mongoauth_error;
use crate::object::{self, Object};
use crate::panic::boundary;
use crate::ptr;
use crate::status::mongoauth_status;

/// Entries a `mongoauth_key_cache` holds (round-robin eviction).
pub const MONGOAUTH_KEY_CACHE_SLOTS: usize = 8;
/// `sizeof(mongoauth_key_cache)`: bytes of caller memory a cache needs.
pub const MONGOAUTH_KEY_CACHE_SIZE: usize = 1280;
/// `_Alignof(mongoauth_key_cache)`.
pub const MONGOAUTH_KEY_CACHE_ALIGN: usize = 8;

/// A fixed-capacity cache of derived SCRAM keys, shared by the logins that
/// pass it to `mongoauth_scram_client_step`. Keyed by an HMAC of the
/// prepared password, salt and iteration count; evicted entries are
/// zeroized. Opaque: declare one (`static mongoauth_key_cache c;`) or carve
/// `MONGOAUTH_KEY_CACHE_SIZE` bytes from an arena, then
/// `mongoauth_key_cache_init_static`.
///
/// Thread rules: NOT thread-safe. One cache may serve several
/// authenticators and SCRAM clients on one thread, their calls never
/// overlapping (tested with two authenticators whose logins interleave).
/// Using the cache from two threads at once, directly or through two
/// authenticators, is a data race: serialise every call on the cache and
/// on every authenticator that uses it with one lock. An authenticator
/// keeps the cache's address from `_start` until it is cleared, freed or
/// started again: meanwhile the cache must not be moved or cleared. A SCRAM
/// client takes it per call (`mongoauth_scram_client_step`), so between
/// calls it may be moved.
#[allow(non_camel_case_types)]
#[repr(C, align(8))]
pub struct mongoauth_key_cache {
    _opaque: [u8; MONGOAUTH_KEY_CACHE_SIZE],
}

#[derive(Default)]
pub(crate) struct CacheState(pub(crate) KeyCache<MONGOAUTH_KEY_CACHE_SLOTS>);

impl Object for CacheState {
    type Public = mongoauth_key_cache;
    const MAGIC: u64 = 0x4d41_4b43_4143_4800; // "MAKCACH\0"
    const NAME: &'static str = "cache";
}

const _: () = assert!(object::fits::<CacheState>());
const _: () = assert!(core::mem::align_of::<mongoauth_key_cache>() == MONGOAUTH_KEY_CACHE_ALIGN);

/// `MONGOAUTH_KEY_CACHE_SIZE` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_key_cache_size() -> usize {
    core::mem::size_of::<mongoauth_key_cache>()
}

/// `MONGOAUTH_KEY_CACHE_ALIGN` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_key_cache_align() -> usize {
    core::mem::align_of::<mongoauth_key_cache>()
}

/// `MONGOAUTH_KEY_CACHE_SLOTS` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_key_cache_slots() -> usize {
    MONGOAUTH_KEY_CACHE_SLOTS
}

/// Make an empty key cache in caller memory (`mem_len` at least
/// `MONGOAUTH_KEY_CACHE_SIZE`, aligned to `MONGOAUTH_KEY_CACHE_ALIGN`);
/// `*out` receives the object pointer (equal to `mem`). Never allocates.
///
/// # Safety
/// `mem` is valid for `mem_len` writable bytes that outlive the object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_key_cache_init_static(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut mongoauth_key_cache,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::init_static::<CacheState>(mem, mem_len, out) })
}

/// Wipe a caller-memory cache (every key zeroized) and end its life: later
/// use reports `INVALID_OBJECT` until it is initialised again.
///
/// # Safety
/// `cache` is NULL or points to `MONGOAUTH_KEY_CACHE_SIZE` accessible bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_key_cache_clear(
    cache: *mut mongoauth_key_cache,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::clear::<CacheState>(cache) })
}

/// Drop every entry (zeroized), keeping the cache usable: e.g. after a
/// password change.
///
/// # Safety
/// As `mongoauth_key_cache_clear`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_key_cache_purge(
    cache: *mut mongoauth_key_cache,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        unsafe { object::get_mut::<CacheState>(cache) }?.0.clear();
        Ok(())
    })
}

/// How many entries the cache holds, into `*len`.
///
/// # Safety
/// As `mongoauth_key_cache_clear`; `len` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_key_cache_len(
    cache: *const mongoauth_key_cache,
    len: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let c = unsafe { object::get::<CacheState>(cache) }?;
        // SAFETY: caller contract.
        *unsafe { ptr::out(len, "len") }? = c.0.len();
        Ok(())
    })
}

/// Allocate an empty key cache on the heap (release with
/// `mongoauth_key_cache_free`). Only with the `alloc` feature.
///
/// # Safety
/// `out` is writable.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_key_cache_new(
    out: *mut *mut mongoauth_key_cache,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::new::<CacheState>(out) })
}

/// Wipe and release a heap cache; NULL is a no-op. Caller memory is refused
/// with `WRONG_ALLOCATION`.
///
/// # Safety
/// `cache` is NULL or from `mongoauth_key_cache_new`, not yet freed.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_key_cache_free(
    cache: *mut mongoauth_key_cache,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(core::ptr::null_mut(), || unsafe { object::free::<CacheState>(cache) })
}
