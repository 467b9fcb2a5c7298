#![no_main]
//! `mongoauth_fuzz_harness::gssapi`: see its documentation for the invariants.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(invariant) = mongoauth_fuzz_harness::gssapi(data) {
        panic!("gssapi: {invariant}");
    }
});
