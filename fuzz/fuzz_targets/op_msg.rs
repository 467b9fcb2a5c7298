#![no_main]
//! `mongoauth_fuzz_harness::op_msg`: see its documentation for the invariants.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(invariant) = mongoauth_fuzz_harness::op_msg(data) {
        panic!("op_msg: {invariant}");
    }
});
