#![no_main]
//! `mongoauth::fuzzing::uri`: see its documentation for the invariants.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(invariant) = mongoauth::fuzzing::uri(data) {
        panic!("uri: {invariant}");
    }
});
