//! Objects in caller memory or on the heap. Each C object type is an opaque,
//! aligned byte array (`mongoauth_scram_client` etc., size `_SIZE`, alignment
//! `_ALIGN`) holding a `Slot`: a magic number, then the Rust state. The magic
//! tells live objects from uninitialised, cleared or freed memory, and heap
//! objects from caller memory, so `_free`/`_clear` misuse is reported rather
//! than undefined (as far as memory that is still mapped allows).

use core::ffi::c_void;
use core::mem::{align_of, size_of};

use zeroize::Zeroize;

use crate::error::Fail;
use crate::status::mongoauth_status::*;

/// Marks heap objects (the per-type magics have bit 0 clear).
const HEAP: u64 = 1;

/// A Rust state that lives in a C object.
pub(crate) trait Object: Default {
    /// The C type: an aligned opaque byte array.
    type Public;
    /// Per-type magic, bit 0 clear.
    const MAGIC: u64;
    /// The C parameter name, for messages.
    const NAME: &'static str;
}

#[repr(C)]
struct Slot<T> {
    magic: u64,
    value: T,
}

/// Compile-time proof that a state fits its C object.
pub(crate) const fn fits<T: Object>() -> bool {
    size_of::<Slot<T>>() <= size_of::<T::Public>()
        && align_of::<Slot<T>>() <= align_of::<T::Public>()
}

fn size<T: Object>() -> usize {
    size_of::<T::Public>()
}

/// Wipe the whole object, magic included.
///
/// # Safety
/// `p` points to `size::<T>()` writable bytes holding no live value.
unsafe fn wipe<T: Object>(p: *mut u8) {
    // SAFETY: per the contract the bytes are ours and hold no live value.
    let bytes = unsafe { core::slice::from_raw_parts_mut(p, size::<T>()) };
    bytes.zeroize();
}

/// `_init_static`: make an empty object in caller memory.
///
/// # Safety
/// `mem` is NULL or valid for writes of `mem_len` bytes; `out` is NULL or
/// valid for a pointer write.
pub(crate) unsafe fn init_static<T: Object>(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut T::Public,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let out = unsafe { crate::ptr::out(out, "out") }?;
    if mem.is_null() {
        return Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", "mem"));
    }
    if mem_len < size::<T>() {
        return Err(Fail::arg(
            MONGOAUTH_STATUS_MEMORY_TOO_SMALL,
            "mem_len is below the object's _SIZE",
            T::NAME,
        ));
    }
    if !(mem as usize).is_multiple_of(align_of::<T::Public>()) {
        return Err(Fail::arg(
            MONGOAUTH_STATUS_MEMORY_MISALIGNED,
            "mem is not aligned to the object's _ALIGN",
            T::NAME,
        ));
    }
    let slot = mem.cast::<Slot<T>>();
    // SAFETY: `mem` is large enough and aligned for the object (checked);
    // any old contents are overwritten without being read (wiped first).
    unsafe {
        wipe::<T>(mem.cast());
        slot.write(Slot { magic: T::MAGIC, value: T::default() });
    }
    *out = mem.cast();
    Ok(())
}

/// Read the magic of a non-NULL, aligned object pointer.
///
/// # Safety
/// `p` points to at least 8 readable bytes.
unsafe fn magic<T: Object>(p: *const T::Public) -> u64 {
    // SAFETY: per the contract; any bit pattern is a valid u64.
    unsafe { p.cast::<u64>().read() }
}

fn check_ptr<T: Object>(p: *const T::Public) -> Result<(), Fail> {
    if p.is_null() {
        return Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", T::NAME));
    }
    if !p.cast::<Slot<T>>().is_aligned() {
        return Err(Fail::arg(
            MONGOAUTH_STATUS_INVALID_OBJECT,
            "misaligned object pointer",
            T::NAME,
        ));
    }
    Ok(())
}

fn not_live<T: Object>() -> Fail {
    Fail::arg(
        MONGOAUTH_STATUS_INVALID_OBJECT,
        "not initialised, already cleared or freed, or of another type",
        T::NAME,
    )
}

/// The live state behind a C object pointer.
///
/// # Safety
/// `p` is NULL or points to `_SIZE` readable and writable bytes, not
/// accessed by anyone else during `'a`.
pub(crate) unsafe fn get_mut<'a, T: Object>(p: *mut T::Public) -> Result<&'a mut T, Fail> {
    check_ptr::<T>(p)?;
    // SAFETY: non-NULL and aligned (checked); readable per the contract.
    let m = unsafe { magic::<T>(p) };
    if m & !HEAP != T::MAGIC {
        return Err(not_live::<T>());
    }
    // SAFETY: the magic says a `Slot<T>` was written here by `init_static`
    // or `new` and not yet cleared or freed.
    Ok(unsafe { &mut (*p.cast::<Slot<T>>()).value })
}

/// As [`get_mut`], shared.
///
/// # Safety
/// As [`get_mut`], with reads only.
pub(crate) unsafe fn get<'a, T: Object>(p: *const T::Public) -> Result<&'a T, Fail> {
    check_ptr::<T>(p)?;
    // SAFETY: non-NULL and aligned (checked); readable per the contract.
    let m = unsafe { magic::<T>(p) };
    if m & !HEAP != T::MAGIC {
        return Err(not_live::<T>());
    }
    // SAFETY: as in `get_mut`.
    Ok(unsafe { &(*p.cast::<Slot<T>>()).value })
}

/// `_clear`: drop the state (its secrets zeroize themselves), then wipe every
/// byte including the magic, so later use reports `INVALID_OBJECT`.
///
/// # Safety
/// As [`get_mut`].
pub(crate) unsafe fn clear<T: Object>(p: *mut T::Public) -> Result<(), Fail> {
    check_ptr::<T>(p)?;
    // SAFETY: as in `get_mut`.
    let m = unsafe { magic::<T>(p) };
    if m == T::MAGIC | HEAP {
        return Err(Fail::arg(
            MONGOAUTH_STATUS_WRONG_ALLOCATION,
            "heap object: release it with its _free function, not _clear",
            T::NAME,
        ));
    }
    if m != T::MAGIC {
        return Err(not_live::<T>());
    }
    // SAFETY: a live caller-memory slot (magic checked): drop it in place,
    // then wipe its bytes.
    unsafe {
        core::ptr::drop_in_place(p.cast::<Slot<T>>());
        wipe::<T>(p.cast());
    }
    Ok(())
}

#[cfg(feature = "alloc")]
mod heap {
    use super::*;
    extern crate alloc;
    use alloc::alloc::{alloc, dealloc};
    use core::alloc::Layout;

    /// `_new`: an empty object on the heap.
    ///
    /// # Safety
    /// `out` is NULL or valid for a pointer write.
    pub(crate) unsafe fn new<T: Object>(out: *mut *mut T::Public) -> Result<(), Fail> {
        // SAFETY: forwarded contract.
        let out = unsafe { crate::ptr::out(out, "out") }?;
        let layout = Layout::new::<T::Public>();
        // SAFETY: the layout has a non-zero size.
        let mem = unsafe { alloc(layout) };
        if mem.is_null() {
            return Err(Fail::new(MONGOAUTH_STATUS_OUT_OF_MEMORY, "out of memory"));
        }
        // SAFETY: fresh allocation with the object's size and alignment.
        unsafe {
            wipe::<T>(mem);
            mem.cast::<Slot<T>>().write(Slot { magic: T::MAGIC | HEAP, value: T::default() });
        }
        *out = mem.cast();
        Ok(())
    }

    /// `_free`: drop, wipe and release a heap object; NULL is a no-op.
    ///
    /// # Safety
    /// `p` is NULL or a pointer from `_new` not yet freed (or caller memory,
    /// which is reported, not freed).
    pub(crate) unsafe fn free<T: Object>(p: *mut T::Public) -> Result<(), Fail> {
        if p.is_null() {
            return Ok(());
        }
        check_ptr::<T>(p)?;
        // SAFETY: non-NULL, aligned, readable per the contract.
        let m = unsafe { magic::<T>(p) };
        if m == T::MAGIC {
            return Err(Fail::arg(
                MONGOAUTH_STATUS_WRONG_ALLOCATION,
                "caller memory: wipe it with its _clear function, not _free",
                T::NAME,
            ));
        }
        if m != T::MAGIC | HEAP {
            return Err(not_live::<T>());
        }
        // SAFETY: a live heap slot allocated by `new` with this layout.
        unsafe {
            core::ptr::drop_in_place(p.cast::<Slot<T>>());
            wipe::<T>(p.cast());
            dealloc(p.cast(), Layout::new::<T::Public>());
        }
        Ok(())
    }
}

#[cfg(feature = "alloc")]
pub(crate) use heap::{free, new};
