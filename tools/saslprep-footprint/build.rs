//! Link without the C runtime's start files: `_start` is ours. libc is linked
//! only for `memcpy`/`memset`/`memcmp`, which `core` may call.
fn main() {
    println!("cargo:rustc-link-arg-bins=-nostartfiles");
    println!("cargo:rustc-link-arg-bins=-lc");
}
