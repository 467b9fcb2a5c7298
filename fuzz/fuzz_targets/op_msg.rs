#![no_main]
//! `mongoauth::fuzzing::op_msg`: see its documentation for the invariants.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(invariant) = mongoauth::fuzzing::op_msg(data) {
        panic!("op_msg: {invariant}");
    }
});
