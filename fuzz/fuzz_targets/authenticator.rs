#![no_main]
//! `mongoauth::fuzzing::authenticator`: see its documentation for the invariants.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(invariant) = mongoauth::fuzzing::authenticator(data) {
        panic!("authenticator: {invariant}");
    }
});
