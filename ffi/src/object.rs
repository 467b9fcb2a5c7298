//! Objects in caller memory or on the heap. Each C object type is an opaque,
//! aligned byte array (`mongoauth_scram_client` etc., size `_SIZE`, alignment
//! `_ALIGN`) holding a `Slot`: a magic number, a busy flag, then the Rust
//! state.
//!
//! * The magic tells live objects from uninitialised memory and from other
//!   object types (`INVALID_OBJECT`), heap objects from caller memory
//!   (`WRONG_ALLOCATION`), and a caller-memory object that was `_clear`ed
//!   from a live one (`OBJECT_FREED`): `_clear` wipes every byte and leaves
//!   a tombstone magic behind.
//! * The busy flag is set while an export has lent the object out to the
//!   caller's code (the [`Lent`] guard of [`lend_mut`], released on drop:
//!   `mongoauth_authenticator_handshake` around its read and write callbacks). A call on
//!   the object from inside one of those callbacks finds it set and
//!   returns `MONGOAUTH_STATUS_BUSY` instead of aliasing the state. Every
//!   accessor checks it ([`get`], [`get_mut`], `_clear`, `_free`).
//! * No state holds a pointer into its own slot through this module, so an
//!   object whose state is movable may be moved between calls (memcpy).
//!
//! Heap objects: after `_free` the memory belongs to the allocator, so use
//! after `_free` and a second `_free` stay undefined, as with `free()`.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;

use zeroize::Zeroize;

use crate::error::Fail;
use crate::status::mongoauth_status::*;

/// Marks heap objects (the per-type magics have their low byte clear).
const HEAP: u64 = 1;
/// Marks a cleared (caller memory) or freed (heap) object: a tombstone.
const CLEARED: u64 = 2;
/// The flag bits of the magic.
const FLAGS: u64 = 0xFF;

/// A Rust state that lives in a C object.
pub(crate) trait Object: Default {
    /// The C type: an aligned opaque byte array.
    type Public;
    /// Per-type magic, low byte clear (it holds the flags).
    const MAGIC: u64;
    /// The C parameter name, for messages.
    const NAME: &'static str;
}

/// The busy flag: atomic where the target has compare-and-swap, so the
/// flag itself is never a data race (using one object from two threads at
/// once stays undefined: accessors only read it).
#[cfg(target_has_atomic = "32")]
type Busy = core::sync::atomic::AtomicU32;
/// Without compare-and-swap (single-core firmware) a plain cell: the flag
/// only has to catch a re-entrant call from a callback.
#[cfg(not(target_has_atomic = "32"))]
type Busy = core::cell::Cell<u32>;

#[repr(C)]
struct Slot<T> {
    magic: u64,
    busy: Busy,
    value: T,
}

/// Compile-time proof that a state fits its C object and that its magic
/// leaves the flag bits free.
pub(crate) const fn fits<T: Object>() -> bool {
    size_of::<Slot<T>>() <= size_of::<T::Public>()
        && align_of::<Slot<T>>() <= align_of::<T::Public>()
        && T::MAGIC & FLAGS == 0
        && T::MAGIC != 0
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

/// Wipe the whole object and leave a tombstone magic (`flags` plus
/// `CLEARED`), so later use reports `OBJECT_FREED`.
///
/// # Safety
/// As [`wipe`], and `p` is aligned for a `Slot<T>`.
unsafe fn bury<T: Object>(p: *mut u8, flags: u64) {
    // SAFETY: forwarded contract; the first 8 bytes are the magic.
    unsafe {
        wipe::<T>(p);
        p.cast::<u64>().write(T::MAGIC | flags | CLEARED);
    }
}

/// `_init_static`: make an empty object in caller memory. The old contents
/// are not read (they may be uninitialised): initialising memory that holds
/// a live object drops nothing and is the caller's bug.
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
        slot.write(Slot { magic: T::MAGIC, busy: Busy::new(0), value: T::default() });
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

fn check_ptr<T: Object>(p: *const T::Public) -> Result<NonNull<Slot<T>>, Fail> {
    let Some(slot) = NonNull::new(p.cast_mut().cast::<Slot<T>>()) else {
        return Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", T::NAME));
    };
    if !slot.as_ptr().is_aligned() {
        return Err(Fail::arg(
            MONGOAUTH_STATUS_INVALID_OBJECT,
            "misaligned object pointer",
            T::NAME,
        ));
    }
    Ok(slot)
}

fn not_live<T: Object>() -> Fail {
    Fail::arg(MONGOAUTH_STATUS_INVALID_OBJECT, "not initialised, or of another type", T::NAME)
}

fn freed<T: Object>() -> Fail {
    Fail::arg(
        MONGOAUTH_STATUS_OBJECT_FREED,
        "the object was cleared or freed: initialise it again before use",
        T::NAME,
    )
}

fn busy<T: Object>() -> Fail {
    Fail::arg(
        MONGOAUTH_STATUS_BUSY,
        "the object is in use by a call that has not returned (a call from inside \
         one of that call's callbacks)",
        T::NAME,
    )
}

/// Check the magic of `p`: `Ok(heap?)` for a live object of type `T`.
///
/// # Safety
/// `p` is non-NULL, aligned and points to `_SIZE` readable bytes.
unsafe fn live<T: Object>(p: *const T::Public) -> Result<bool, Fail> {
    // SAFETY: per the contract.
    let m = unsafe { magic::<T>(p) };
    if m & !FLAGS != T::MAGIC || m & FLAGS & !(HEAP | CLEARED) != 0 {
        return Err(not_live::<T>());
    }
    if m & CLEARED != 0 {
        return Err(freed::<T>());
    }
    Ok(m & HEAP != 0)
}

/// Take the busy flag of a live slot, or `BUSY`.
///
/// # Safety
/// `slot` points to a live `Slot<T>` (magic checked).
unsafe fn acquire<T: Object>(slot: NonNull<Slot<T>>) -> Result<(), Fail> {
    // SAFETY: the slot is live; the flag is only ever accessed through a
    // shared reference to its own field (never through `&mut Slot`).
    let flag = unsafe { &*core::ptr::addr_of!((*slot.as_ptr()).busy) };
    #[cfg(target_has_atomic = "32")]
    let taken = flag
        .compare_exchange(
            0,
            1,
            core::sync::atomic::Ordering::Acquire,
            core::sync::atomic::Ordering::Relaxed,
        )
        .is_ok();
    #[cfg(not(target_has_atomic = "32"))]
    let taken = flag.replace(1) == 0;
    if taken { Ok(()) } else { Err(busy::<T>()) }
}

/// Give the busy flag back.
///
/// # Safety
/// `slot` points to a slot whose flag this caller took with [`acquire`].
unsafe fn release<T: Object>(slot: NonNull<Slot<T>>) {
    // SAFETY: as in `acquire`.
    let flag = unsafe { &*core::ptr::addr_of!((*slot.as_ptr()).busy) };
    #[cfg(target_has_atomic = "32")]
    flag.store(0, core::sync::atomic::Ordering::Release);
    #[cfg(not(target_has_atomic = "32"))]
    flag.set(0);
}

/// A C object lent out for the duration of one export that calls back into
/// the caller (`mongoauth_authenticator_handshake`'s read and write callbacks): the
/// object is busy until the guard is dropped, so a call on it from inside
/// a callback gets `BUSY` instead of a second reference to the state.
pub(crate) struct Lent<'a, T: Object> {
    slot: NonNull<Slot<T>>,
    _life: PhantomData<&'a mut T>,
}

impl<T: Object> Deref for Lent<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a live slot, exclusively ours while the flag is held
        // (every accessor refuses a busy object).
        unsafe { &*core::ptr::addr_of!((*self.slot.as_ptr()).value) }
    }
}

impl<T: Object> DerefMut for Lent<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`.
        unsafe { &mut *core::ptr::addr_of_mut!((*self.slot.as_ptr()).value) }
    }
}

impl<T: Object> Drop for Lent<'_, T> {
    fn drop(&mut self) {
        // SAFETY: the flag was taken by this guard.
        unsafe { release(self.slot) }
    }
}

/// Whether a live slot is lent out.
///
/// # Safety
/// As [`acquire`].
unsafe fn is_busy<T: Object>(slot: NonNull<Slot<T>>) -> bool {
    // SAFETY: as in `acquire`.
    let flag = unsafe { &*core::ptr::addr_of!((*slot.as_ptr()).busy) };
    #[cfg(target_has_atomic = "32")]
    let v = flag.load(core::sync::atomic::Ordering::Acquire);
    #[cfg(not(target_has_atomic = "32"))]
    let v = flag.get();
    v != 0
}

/// Check `p` and return its live slot: `NULL_POINTER`, `INVALID_OBJECT`
/// (not an object of this type), `OBJECT_FREED` (cleared) or `BUSY` (lent
/// out to a call that has not returned).
///
/// # Safety
/// `p` is NULL or points to `_SIZE` readable bytes.
unsafe fn checked<T: Object>(p: *const T::Public) -> Result<NonNull<Slot<T>>, Fail> {
    let slot = check_ptr::<T>(p)?;
    // SAFETY: non-NULL and aligned (checked); readable per the contract.
    unsafe { live::<T>(p) }?;
    // SAFETY: the magic says a `Slot<T>` was written here by `init_static`
    // or `new` and not yet cleared or freed.
    if unsafe { is_busy(slot) } {
        return Err(busy::<T>());
    }
    Ok(slot)
}

/// The live state behind a C object pointer, for the rest of one export
/// that does not call back into the caller (see [`lend_mut`] for those).
///
/// # Safety
/// `p` is NULL or points to `_SIZE` readable and writable bytes, not
/// accessed by anyone else during `'a`.
pub(crate) unsafe fn get_mut<'a, T: Object>(p: *mut T::Public) -> Result<&'a mut T, Fail> {
    // SAFETY: forwarded contract.
    let slot = unsafe { checked::<T>(p) }?;
    // SAFETY: a live slot, not lent out: the state is ours for the call.
    Ok(unsafe { &mut *core::ptr::addr_of_mut!((*slot.as_ptr()).value) })
}

/// As [`get_mut`], shared.
///
/// # Safety
/// As [`get_mut`], with reads only.
pub(crate) unsafe fn get<'a, T: Object>(p: *const T::Public) -> Result<&'a T, Fail> {
    // SAFETY: forwarded contract.
    let slot = unsafe { checked::<T>(p) }?;
    // SAFETY: as in `get_mut`.
    Ok(unsafe { &*core::ptr::addr_of!((*slot.as_ptr()).value) })
}

/// The answer of a predicate export (`bool`, no status): `f` over the live
/// state, and `false` for NULL, memory that is not a live object of the
/// type (never initialised, another type, cleared), a busy object, an
/// error inside `f`, or a panic. C callers test such an answer directly;
/// the ones that need the reason use a status-returning call.
///
/// # Safety
/// As [`get`].
pub(crate) unsafe fn predicate<T: Object>(
    p: *const T::Public,
    f: impl FnOnce(&T) -> Result<bool, Fail>,
) -> bool {
    crate::panic::boundary_value(false, || {
        // SAFETY: forwarded contract.
        match unsafe { get::<T>(p) } {
            Ok(state) => f(state).unwrap_or(false),
            Err(_) => false,
        }
    })
}

/// As [`get_mut`], for an export that calls the caller's code (callbacks)
/// while it holds the state: the object is marked busy until the guard is
/// dropped, and every accessor of this module (`_clear` and `_free`
/// included) refuses it with `BUSY` meanwhile. Any export that takes a
/// callback lends its objects this way.
///
/// # Safety
/// As [`get_mut`].
pub(crate) unsafe fn lend_mut<'a, T: Object>(p: *mut T::Public) -> Result<Lent<'a, T>, Fail> {
    let slot = check_ptr::<T>(p)?;
    // SAFETY: as in `checked`.
    unsafe { live::<T>(p) }?;
    // SAFETY: a live slot (magic checked).
    unsafe { acquire(slot) }?;
    Ok(Lent { slot, _life: PhantomData })
}

/// `_clear`: drop the state (its secrets zeroize themselves), wipe every
/// byte and leave a tombstone, so later use (and a second `_clear`)
/// reports `OBJECT_FREED`.
///
/// # Safety
/// As [`get_mut`].
pub(crate) unsafe fn clear<T: Object>(p: *mut T::Public) -> Result<(), Fail> {
    let slot = check_ptr::<T>(p)?;
    // SAFETY: as in `get_mut`. A busy object is refused first: nothing may
    // be done to it while it is lent out.
    let heap = unsafe { live::<T>(p) }?;
    // SAFETY: a live slot (magic checked).
    unsafe { acquire(slot) }?;
    if heap {
        // SAFETY: taken just above.
        unsafe { release(slot) };
        return Err(Fail::arg(
            MONGOAUTH_STATUS_WRONG_ALLOCATION,
            "heap object: release it with its _free function, not _clear",
            T::NAME,
        ));
    }
    // SAFETY: a live slot whose flag we hold: drop it in place, then wipe
    // its bytes (the flag with them).
    unsafe {
        core::ptr::drop_in_place(slot.as_ptr());
        bury::<T>(p.cast(), 0);
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
            mem.cast::<Slot<T>>().write(Slot {
                magic: T::MAGIC | HEAP,
                busy: Busy::new(0),
                value: T::default(),
            });
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
        let slot = check_ptr::<T>(p)?;
        // SAFETY: non-NULL, aligned, readable per the contract. A busy
        // object is refused first.
        let heap = unsafe { live::<T>(p) }?;
        // SAFETY: a live slot (magic checked).
        unsafe { acquire(slot) }?;
        if !heap {
            // SAFETY: taken just above.
            unsafe { release(slot) };
            return Err(Fail::arg(
                MONGOAUTH_STATUS_WRONG_ALLOCATION,
                "caller memory: wipe it with its _clear function, not _free",
                T::NAME,
            ));
        }
        // SAFETY: a live heap slot allocated by `new` with this layout, whose
        // flag we hold. The tombstone is written before the memory goes back
        // to the allocator; it is no promise (the memory may be reused).
        unsafe {
            core::ptr::drop_in_place(slot.as_ptr());
            bury::<T>(p.cast(), HEAP);
            dealloc(p.cast(), Layout::new::<T::Public>());
        }
        Ok(())
    }
}

#[cfg(feature = "alloc")]
pub(crate) use heap::{free, new};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::mongoauth_status;

    #[derive(Default)]
    struct Dummy(u32);

    #[repr(C, align(8))]
    struct DummyPublic([u8; 64]);

    impl Object for Dummy {
        type Public = DummyPublic;
        const MAGIC: u64 = 0x4d41_5445_5354_5f00;
        const NAME: &'static str = "dummy";
    }

    const _: () = assert!(fits::<Dummy>());

    fn status<T>(r: Result<T, Fail>) -> mongoauth_status {
        r.map_or_else(|f| f.status, |_| mongoauth_status::MONGOAUTH_STATUS_OK)
    }

    #[test]
    fn a_lent_object_is_busy_until_the_guard_drops() {
        let mut mem = DummyPublic([0; 64]);
        let mut p: *mut DummyPublic = core::ptr::null_mut();
        let base = core::ptr::addr_of_mut!(mem);
        // SAFETY: `mem` is ours, large and aligned enough.
        unsafe {
            init_static::<Dummy>(base.cast(), 64, &mut p).ok().expect("init");
            let mut lent = lend_mut::<Dummy>(p).ok().expect("lend");
            lent.0 = 7;
            assert_eq!(status(get::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_BUSY);
            assert_eq!(status(get_mut::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_BUSY);
            assert_eq!(status(lend_mut::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_BUSY);
            assert_eq!(status(clear::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_BUSY);
            drop(lent);
            assert_eq!(get::<Dummy>(p).ok().expect("live").0, 7);
            assert_eq!(status(clear::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_OK);
            assert_eq!(status(get::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_OBJECT_FREED);
            assert_eq!(status(clear::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_OBJECT_FREED);
            // a tombstone with stray flag bits is not an object
            base.cast::<u64>().write(Dummy::MAGIC | 0x80);
            assert_eq!(status(get::<Dummy>(p)), mongoauth_status::MONGOAUTH_STATUS_INVALID_OBJECT);
        }
    }
}
