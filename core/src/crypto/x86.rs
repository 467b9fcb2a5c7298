//! The PBKDF2 inner loop on x86-64 SHA extensions (SHA-NI), for SHA-256 and
//! SHA-1. The only module of the crate allowed to use `unsafe`.
//!
//! Every PBKDF2 iteration hashes one block twice (inner pad state, then outer
//! pad state), and that block is always the previous digest followed by fixed
//! padding. The portable loop writes each digest out as bytes, and the
//! compressor reads them back and byte-swaps them into message words. Here the
//! two pad states, the running digest `U` and the accumulator `T = U1 ^ U2 ^
//! ...` stay in XMM registers for the whole derivation: the message words of
//! each compression are shuffled straight out of the previous state registers
//! and the padding words are constants. What is left on the critical path is
//! the chain of SHA round instructions itself.
//!
//! Safety argument, in one place: the only `unsafe` operations are the two
//! calls into `#[target_feature]` functions, each made right after
//! `cpufeatures` confirmed (by `CPUID`, cached) that the CPU supports every
//! feature those functions enable. No raw pointer is used anywhere: words
//! move in and out of registers with `_mm_set_epi32` / `_mm_extract_epi32`,
//! so there is no memory access whose bounds could be wrong.
#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_alignr_epi8, _mm_extract_epi32, _mm_set_epi32,
    _mm_sha256msg1_epu32, _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi32,
    _mm_unpackhi_epi64, _mm_unpacklo_epi64, _mm_xor_si128,
};
#[cfg(feature = "sha1")]
use core::arch::x86_64::{
    _mm_setzero_si128, _mm_sha1msg1_epu32, _mm_sha1msg2_epu32, _mm_sha1nexte_epu32,
    _mm_sha1rnds4_epu32,
};

// Runtime detection of everything the functions below enable. Without `std`
// this is `CPUID` (and `XGETBV` for the XMM state), cached in an atomic; on
// targets where `CPUID` is unusable (SGX, `target_os = "none"`) it says no and
// the portable loop runs.
cpufeatures::new!(shani, "sha", "sse2", "ssse3", "sse4.1");

/// Iterations `2..=rounds + 1` of one PBKDF2-HMAC-SHA-256 block, if the CPU
/// has SHA-NI: `inner` and `outer` are the keyed pad states, `u` the first
/// HMAC output `U1` as big-endian words, the result `U1 ^ ... ^ Un` as words.
/// `None` (nothing computed) when the CPU lacks the features.
#[inline]
pub(super) fn pbkdf2_sha256(
    inner: &[u32; 8],
    outer: &[u32; 8],
    u: &[u32; 8],
    rounds: u32,
) -> Option<[u32; 8]> {
    if !shani::get() {
        return None;
    }
    // SAFETY: `pbkdf2_sha256_shani` enables `sha,sse2,ssse3,sse4.1`, and
    // `shani::get()` just confirmed through CPUID that this CPU (and the OS,
    // for the XMM state) supports all four. It takes its arguments by
    // reference/value and touches no memory through raw pointers.
    Some(unsafe { pbkdf2_sha256_shani(inner, outer, u, rounds) })
}

/// Like [`pbkdf2_sha256`] for PBKDF2-HMAC-SHA-1 (five-word states).
#[cfg(feature = "sha1")]
#[inline]
pub(super) fn pbkdf2_sha1(
    inner: &[u32; 5],
    outer: &[u32; 5],
    u: &[u32; 5],
    rounds: u32,
) -> Option<[u32; 5]> {
    if !shani::get() {
        return None;
    }
    // SAFETY: `pbkdf2_sha1_shani` enables `sha,sse2,ssse3,sse4.1`, and
    // `shani::get()` just confirmed through CPUID that this CPU (and the OS,
    // for the XMM state) supports all four. It takes its arguments by
    // reference/value and touches no memory through raw pointers.
    Some(unsafe { pbkdf2_sha1_shani(inner, outer, u, rounds) })
}

// ---------------------------------------------------------------- SHA-256 --

const K256: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// A SHA-256 state in the SHA-NI layout: `abef` holds `[f, e, b, a]` and
/// `cdgh` holds `[h, g, d, c]` (lane 0 first).
#[derive(Clone, Copy)]
struct State256 {
    abef: __m128i,
    cdgh: __m128i,
}

/// Words as `i32` lanes for `_mm_set_epi32` (a bit-for-bit reinterpretation).
#[inline(always)]
fn lane(w: u32) -> i32 {
    i32::from_ne_bytes(w.to_ne_bytes())
}

/// A lane read back as the word it holds (a bit-for-bit reinterpretation).
#[inline(always)]
fn word(l: i32) -> u32 {
    u32::from_ne_bytes(l.to_ne_bytes())
}

#[inline]
#[target_feature(enable = "sse2")]
fn load256(s: &[u32; 8]) -> State256 {
    let [a, b, c, d, e, f, g, h] = s.map(lane);
    State256 { abef: _mm_set_epi32(a, b, e, f), cdgh: _mm_set_epi32(c, d, g, h) }
}

#[inline]
#[target_feature(enable = "sse4.1")]
fn store256(s: State256) -> [u32; 8] {
    let (x, y) = (s.abef, s.cdgh);
    [
        _mm_extract_epi32::<3>(x),
        _mm_extract_epi32::<2>(x),
        _mm_extract_epi32::<3>(y),
        _mm_extract_epi32::<2>(y),
        _mm_extract_epi32::<1>(x),
        _mm_extract_epi32::<0>(x),
        _mm_extract_epi32::<1>(y),
        _mm_extract_epi32::<0>(y),
    ]
    .map(word)
}

/// Four rounds: `wk` holds `W[i] + K[i]` for the four rounds, lane 0 first.
#[inline]
#[target_feature(enable = "sha,sse2")]
fn rounds4_256(s: &mut State256, wk: __m128i) {
    s.cdgh = _mm_sha256rnds2_epu32(s.cdgh, s.abef, wk);
    s.abef = _mm_sha256rnds2_epu32(s.abef, s.cdgh, _mm_shuffle_epi32::<0x0E>(wk));
}

#[inline]
#[target_feature(enable = "sse2")]
fn k4(r: usize) -> __m128i {
    let k = |i: usize| lane(K256.get(4 * r + i).copied().unwrap_or(0));
    _mm_set_epi32(k(3), k(2), k(1), k(0))
}

/// One SHA-256 compression of the block `digest || 0x80 || 0.. || 768` (a
/// 32-byte digest following one 64-byte pad block: 96 bytes = 768 bits)
/// starting from `start`, with the digest given in the SHA-NI state layout.
/// The message words come straight from the digest registers.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress256_digest(start: State256, digest: State256) -> State256 {
    // [b, a, d, c] -> [a, b, c, d] and [f, e, h, g] -> [e, f, g, h].
    let mut w0 = _mm_shuffle_epi32::<0xB1>(_mm_unpackhi_epi64(digest.abef, digest.cdgh));
    let mut w1 = _mm_shuffle_epi32::<0xB1>(_mm_unpacklo_epi64(digest.abef, digest.cdgh));
    let mut w2 = _mm_set_epi32(0, 0, 0, lane(0x8000_0000));
    let mut w3 = _mm_set_epi32(lane(768), 0, 0, 0);
    let mut s = start;

    // Fully unrolled, so that the sixteen message words live in registers.
    macro_rules! schedule_rounds4 {
        ($r:literal, $w0:ident, $w1:ident, $w2:ident, $w3:ident) => {
            $w0 = _mm_sha256msg2_epu32(
                _mm_add_epi32(_mm_sha256msg1_epu32($w0, $w1), _mm_alignr_epi8::<4>($w3, $w2)),
                $w3,
            );
            rounds4_256(&mut s, _mm_add_epi32($w0, k4($r)));
        };
    }
    rounds4_256(&mut s, _mm_add_epi32(w0, k4(0)));
    rounds4_256(&mut s, _mm_add_epi32(w1, k4(1)));
    rounds4_256(&mut s, _mm_add_epi32(w2, k4(2)));
    rounds4_256(&mut s, _mm_add_epi32(w3, k4(3)));
    schedule_rounds4!(4, w0, w1, w2, w3);
    schedule_rounds4!(5, w1, w2, w3, w0);
    schedule_rounds4!(6, w2, w3, w0, w1);
    schedule_rounds4!(7, w3, w0, w1, w2);
    schedule_rounds4!(8, w0, w1, w2, w3);
    schedule_rounds4!(9, w1, w2, w3, w0);
    schedule_rounds4!(10, w2, w3, w0, w1);
    schedule_rounds4!(11, w3, w0, w1, w2);
    schedule_rounds4!(12, w0, w1, w2, w3);
    schedule_rounds4!(13, w1, w2, w3, w0);
    schedule_rounds4!(14, w2, w3, w0, w1);
    schedule_rounds4!(15, w3, w0, w1, w2);
    State256 { abef: _mm_add_epi32(s.abef, start.abef), cdgh: _mm_add_epi32(s.cdgh, start.cdgh) }
}

// Never inlined: a call boundary, where the compiler puts `vzeroupper`
// when the caller dirtied the upper YMM/ZMM halves (SHA-NI has only the
// legacy SSE encoding; see "The native-CPU build" in `crypto`'s docs).
#[inline(never)]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn pbkdf2_sha256_shani(inner: &[u32; 8], outer: &[u32; 8], u: &[u32; 8], rounds: u32) -> [u32; 8] {
    let inner = load256(inner);
    let outer = load256(outer);
    let mut u = load256(u);
    let mut acc = u;
    for _ in 0..rounds {
        let t = compress256_digest(inner, u);
        u = compress256_digest(outer, t);
        acc.abef = _mm_xor_si128(acc.abef, u.abef);
        acc.cdgh = _mm_xor_si128(acc.cdgh, u.cdgh);
    }
    store256(acc)
}

// ------------------------------------------------------------------ SHA-1 --

#[cfg(feature = "sha1")]
/// A SHA-1 state in the SHA-NI layout: `abcd` holds `[d, c, b, a]` and `e`
/// holds `[0, 0, 0, e]` (lane 0 first).
#[derive(Clone, Copy)]
struct State160 {
    abcd: __m128i,
    e: __m128i,
}

#[cfg(feature = "sha1")]
#[inline]
#[target_feature(enable = "sse2")]
fn load160(s: &[u32; 5]) -> State160 {
    let [a, b, c, d, e] = s.map(lane);
    State160 { abcd: _mm_set_epi32(a, b, c, d), e: _mm_set_epi32(e, 0, 0, 0) }
}

#[cfg(feature = "sha1")]
#[inline]
#[target_feature(enable = "sse4.1")]
fn store160(s: State160) -> [u32; 5] {
    let x = s.abcd;
    [
        _mm_extract_epi32::<3>(x),
        _mm_extract_epi32::<2>(x),
        _mm_extract_epi32::<1>(x),
        _mm_extract_epi32::<0>(x),
        _mm_extract_epi32::<3>(s.e),
    ]
    .map(word)
}

#[cfg(feature = "sha1")]
/// One SHA-1 compression of the block `digest || 0x80 || 0.. || 672` (a
/// 20-byte digest following one 64-byte pad block: 84 bytes = 672 bits)
/// starting from `start`. In the SHA-NI message layout (`W[0]` in lane 3) the
/// first message vector *is* the digest's `abcd` register, and the second is
/// its `e` register plus the padding bit.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn compress160_digest(start: State160, digest: State160) -> State160 {
    // `digest.e` has zero lanes 0..=2 (as every `State160` does), so adding
    // puts the 0x80 padding byte into W[5] and leaves W[4] = e.
    let mut w0 = digest.abcd;
    let mut w1 = _mm_add_epi32(digest.e, _mm_set_epi32(0, lane(0x8000_0000), 0, 0));
    let mut w2 = _mm_setzero_si128();
    let mut w3 = _mm_set_epi32(0, 0, 0, lane(672));
    let mut w4;

    macro_rules! rounds4 {
        ($h0:ident, $h1:ident, $wk:expr, $f:literal) => {
            _mm_sha1rnds4_epu32::<$f>($h0, _mm_sha1nexte_epu32($h1, $wk))
        };
    }
    macro_rules! schedule_rounds4 {
        ($h0:ident, $h1:ident, $w0:ident, $w1:ident, $w2:ident, $w3:ident, $w4:ident, $f:literal) => {
            $w4 = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32($w0, $w1), $w2), $w3);
            $h1 = rounds4!($h0, $h1, $w4, $f);
        };
    }

    let mut h0 = start.abcd;
    let mut h1 = _mm_add_epi32(start.e, w0);

    // Rounds 0..20
    h1 = _mm_sha1rnds4_epu32::<0>(h0, h1);
    h0 = rounds4!(h1, h0, w1, 0);
    h1 = rounds4!(h0, h1, w2, 0);
    h0 = rounds4!(h1, h0, w3, 0);
    schedule_rounds4!(h0, h1, w0, w1, w2, w3, w4, 0);

    // Rounds 20..40
    schedule_rounds4!(h1, h0, w1, w2, w3, w4, w0, 1);
    schedule_rounds4!(h0, h1, w2, w3, w4, w0, w1, 1);
    schedule_rounds4!(h1, h0, w3, w4, w0, w1, w2, 1);
    schedule_rounds4!(h0, h1, w4, w0, w1, w2, w3, 1);
    schedule_rounds4!(h1, h0, w0, w1, w2, w3, w4, 1);

    // Rounds 40..60
    schedule_rounds4!(h0, h1, w1, w2, w3, w4, w0, 2);
    schedule_rounds4!(h1, h0, w2, w3, w4, w0, w1, 2);
    schedule_rounds4!(h0, h1, w3, w4, w0, w1, w2, 2);
    schedule_rounds4!(h1, h0, w4, w0, w1, w2, w3, 2);
    schedule_rounds4!(h0, h1, w0, w1, w2, w3, w4, 2);

    // Rounds 60..80
    schedule_rounds4!(h1, h0, w1, w2, w3, w4, w0, 3);
    schedule_rounds4!(h0, h1, w2, w3, w4, w0, w1, 3);
    schedule_rounds4!(h1, h0, w3, w4, w0, w1, w2, 3);
    schedule_rounds4!(h0, h1, w4, w0, w1, w2, w3, 3);
    schedule_rounds4!(h1, h0, w0, w1, w2, w3, w4, 3);

    // `sha1nexte` copies lanes 0..=2 from its second operand, `start.e`,
    // whose lanes 0..=2 are zero: the invariant holds for the result.
    State160 { abcd: _mm_add_epi32(start.abcd, h0), e: _mm_sha1nexte_epu32(h1, start.e) }
}

#[cfg(feature = "sha1")]
// Never inlined: a call boundary, where the compiler puts `vzeroupper`
// when the caller dirtied the upper YMM/ZMM halves (SHA-NI has only the
// legacy SSE encoding; see "The native-CPU build" in `crypto`'s docs).
#[inline(never)]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
fn pbkdf2_sha1_shani(inner: &[u32; 5], outer: &[u32; 5], u: &[u32; 5], rounds: u32) -> [u32; 5] {
    let inner = load160(inner);
    let outer = load160(outer);
    let mut u = load160(u);
    let mut acc = u;
    for _ in 0..rounds {
        let t = compress160_digest(inner, u);
        u = compress160_digest(outer, t);
        acc.abcd = _mm_xor_si128(acc.abcd, u.abcd);
        acc.e = _mm_xor_si128(acc.e, u.e);
    }
    store160(acc)
}
