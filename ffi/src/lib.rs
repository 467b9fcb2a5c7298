//! C ABI over the mongoauth core (see `include/mongoauth.h`).
#![no_std]

#[cfg(feature = "std")]
extern crate std;

/// The library version, as a NUL-terminated string, so a C program can check
/// which build it linked.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_version() -> *const core::ffi::c_char {
    c"0.1.0".as_ptr()
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
