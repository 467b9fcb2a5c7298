//! The panic boundary. With `std`, every export runs its body under
//! `catch_unwind`, so a panic (a bug: the core is written to be panic-free)
//! becomes `MONGOAUTH_STATUS_PANIC` instead of unwinding into C, which is
//! undefined behaviour. The release profile also sets `panic = "abort"`, in
//! which case a panic aborts the process; either way none crosses the ABI.
//! Without `std` there is no unwinding: the `panic-handler` feature installs
//! a handler that stops.

use crate::error::{Fail, fill, mongoauth_error};
use crate::ptr;
use crate::status::mongoauth_status;

/// Run an export's body: `Ok` -> `MONGOAUTH_STATUS_OK`; `Err` -> its status,
/// with `err` filled; a panic -> `MONGOAUTH_STATUS_PANIC`.
pub(crate) fn boundary<F>(err: *mut mongoauth_error, body: F) -> mongoauth_status
where
    F: FnOnce() -> Result<(), Fail>,
{
    match catch(body) {
        Some(Ok(())) => mongoauth_status::MONGOAUTH_STATUS_OK,
        Some(Err(fail)) => {
            // SAFETY: `err` is NULL or points to a caller-owned
            // `mongoauth_error` (the documented contract); `opt_mut` checks
            // NULL and alignment.
            fill(
                unsafe { ptr::opt_mut(err) },
                fail.status,
                fail.offset(),
                fail.server_code(),
                fail.gss_codes(),
                format_args!("{fail}"),
            );
            fail.status
        }
        None => {
            let status = mongoauth_status::MONGOAUTH_STATUS_PANIC;
            // SAFETY: as above.
            fill(
                unsafe { ptr::opt_mut(err) },
                status,
                None,
                0,
                None,
                format_args!(
                    "internal error: a panic was caught at the mongoauth C boundary (a bug)"
                ),
            );
            status
        }
    }
}

/// For exports that return a value rather than a status (getters of static
/// strings and sizes): a panic yields `default`.
pub(crate) fn boundary_value<T: Copy>(default: T, body: impl FnOnce() -> T) -> T {
    catch(body).unwrap_or(default)
}

#[cfg(feature = "std")]
fn catch<R>(body: impl FnOnce() -> R) -> Option<R> {
    std::panic::catch_unwind(core::panic::AssertUnwindSafe(body)).ok()
}

#[cfg(not(feature = "std"))]
fn catch<R>(body: impl FnOnce() -> R) -> Option<R> {
    Some(body())
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_status() {
        let mut e = core::mem::MaybeUninit::<mongoauth_error>::zeroed();
        let status = boundary(e.as_mut_ptr(), || -> Result<(), Fail> { panic!("boom") });
        assert_eq!(status, mongoauth_status::MONGOAUTH_STATUS_PANIC);
        // SAFETY: zero-initialised, then written by `fill`.
        let e = unsafe { e.assume_init() };
        assert_eq!(e.status, 900);
        assert!(e.message_len > 0);
        assert_eq!(boundary_value(7u32, || panic!("boom")), 7);
    }
}
