//! The hardware PBKDF2 fast path (SHA-NI on x86-64, chosen at run time) must
//! agree bit for bit with the portable loop and with the RustCrypto `pbkdf2`
//! crate: random passwords (short, block-sized, longer than a block), random
//! salts and iteration counts, with 1, 2 and 4096 iterations always covered.
//!
//! `HmacKey::pbkdf2` takes the fast path whenever the CPU has it;
//! `HmacKey::pbkdf2_portable` (a test hook) never does. On a CPU without the
//! SHA extensions both are the portable loop and these tests still pass.
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::crypto::HmacKey;
use mongoauth::mech::scram::{Sha1, Sha256};
use proptest::prelude::*;

fn oracle_256(pw: &[u8], salt: &[u8], i: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, salt, i, &mut out);
    out
}

fn oracle_1(pw: &[u8], salt: &[u8], i: u32) -> [u8; 20] {
    let mut out = [0u8; 20];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, salt, i, &mut out);
    out
}

fn check(pw: &[u8], salt: &[u8], i: u32) -> Result<(), TestCaseError> {
    let k = HmacKey::<Sha256>::new(pw);
    let fast = k.pbkdf2(salt, i);
    prop_assert_eq!(fast, k.pbkdf2_portable(salt, i), "SHA-256 fast vs portable, i = {}", i);
    prop_assert_eq!(fast, oracle_256(pw, salt, i), "SHA-256 fast vs pbkdf2 crate, i = {}", i);
    let k = HmacKey::<Sha1>::new(pw);
    let fast = k.pbkdf2(salt, i);
    prop_assert_eq!(fast, k.pbkdf2_portable(salt, i), "SHA-1 fast vs portable, i = {}", i);
    prop_assert_eq!(fast, oracle_1(pw, salt, i), "SHA-1 fast vs pbkdf2 crate, i = {}", i);
    Ok(())
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, .. ProptestConfig::default() })]

    /// Small iteration counts, where every step of the loop is exercised many
    /// times over many keys; passwords up to 150 bytes cover keys hashed
    /// first (over 64 bytes) and the empty key.
    #[test]
    fn fast_path_matches_portable_and_pbkdf2_crate(pw in bytes(150), salt in bytes(80),
                                                   i in 1u32..=64) {
        check(&pw, &salt, i)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// The edges (one iteration: no loop at all; two: exactly one loop turn)
    /// and MongoDB's minimum count, 4096, for random keys and salts.
    #[test]
    fn fast_path_at_1_2_and_4096_iterations(pw in bytes(100), salt in bytes(40),
                                            i in prop::sample::select(vec![1u32, 2, 3, 4096])) {
        check(&pw, &salt, i)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Random counts up to beyond MongoDB's defaults (fewer cases: each is long).
    #[test]
    fn fast_path_at_random_large_counts(pw in bytes(100), salt in bytes(40), i in 65u32..20_000) {
        check(&pw, &salt, i)?;
    }
}

/// RFC 6070 (PBKDF2-HMAC-SHA-1) and the matching PBKDF2-HMAC-SHA-256 answers,
/// truncated to one digest: fixed known answers, independent of any crate.
#[test]
fn known_answers() {
    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }
    let sha1 = [
        (1, "0c60c80f961f0e71f3a9b524af6012062fe037a6"),
        (2, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
        (4096, "4b007901b765489abead49d926f721d065a429c1"),
    ];
    for (i, want) in sha1 {
        assert_eq!(HmacKey::<Sha1>::new(b"password").pbkdf2(b"salt", i).to_vec(), hex(want));
    }
    let sha256 = [
        (1, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b"),
        (2, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43"),
        (4096, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a"),
    ];
    for (i, want) in sha256 {
        assert_eq!(HmacKey::<Sha256>::new(b"password").pbkdf2(b"salt", i).to_vec(), hex(want));
    }
}

/// MongoDB's default counts (15000 for SCRAM-SHA-256, 10000 for SCRAM-SHA-1)
/// with the salt lengths mongod uses.
#[test]
fn mongodb_default_iteration_counts() {
    let salt = [0x5au8; 28];
    let k = HmacKey::<Sha256>::new(b"pencil");
    assert_eq!(k.pbkdf2(&salt, 15000), oracle_256(b"pencil", &salt, 15000));
    let pw = b"1c33006ec1ffd90f9cadcbcc0e118200";
    let k = HmacKey::<Sha1>::new(pw);
    assert_eq!(k.pbkdf2(&salt[..16], 10000), oracle_1(pw, &salt[..16], 10000));
}

/// Zero iterations is not valid PBKDF2; both paths treat it as one, as the
/// portable loop always has.
#[test]
fn zero_iterations_is_one() {
    let k = HmacKey::<Sha256>::new(b"pw");
    assert_eq!(k.pbkdf2(b"salt", 0), k.pbkdf2(b"salt", 1));
    assert_eq!(k.pbkdf2(b"salt", 0), k.pbkdf2_portable(b"salt", 0));
    let k = HmacKey::<Sha1>::new(b"pw");
    assert_eq!(k.pbkdf2(b"salt", 0), k.pbkdf2(b"salt", 1));
    assert_eq!(k.pbkdf2(b"salt", 0), k.pbkdf2_portable(b"salt", 0));
}

/// Says which path the tests above exercised, so a run on a CPU without the
/// SHA extensions is visible in `--nocapture` output rather than silent.
#[test]
fn report_path_under_test() {
    #[cfg(target_arch = "x86_64")]
    let fast = std::is_x86_feature_detected!("sha")
        && std::is_x86_feature_detected!("sse4.1")
        && std::is_x86_feature_detected!("ssse3");
    #[cfg(not(target_arch = "x86_64"))]
    let fast = false;
    println!("PBKDF2 fast path (SHA-NI) under test: {fast}");
}
