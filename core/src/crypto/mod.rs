//! The digest abstraction SCRAM is generic over, and HMAC / PBKDF2 built on
//! the raw compression functions of the RustCrypto `sha1` and `sha2` crates.
//!
//! Why not the `hmac` and `pbkdf2` crates? They are correct and we test
//! against both (see `tests/tests/scram_props.rs`), but their API hides the
//! keyed pad states between calls. PBKDF2 dominates a SCRAM login, and with the pad
//! states kept it costs exactly two compression calls per iteration; the
//! crates' generic path measured 1.46x the physical bound here against our
//! target of 1.15x. Keeping the pads also lets the client forget the password
//! right after it is prepared: only the keyed states are held (zeroized on
//! drop). The code below is short (block padding, HMAC, one PBKDF2 block) and
//! everything cryptographic in it is delegated to the crates' compressors.
//!
//! # The PBKDF2 fast path (x86-64 with SHA extensions)
//!
//! That portable loop still measured about 1.4x the bound: each
//! iteration calls the compressor twice through its general `&[[u8; 64]]`
//! interface, so every digest is stored as big-endian bytes, reloaded and
//! byte-swapped into message words, and the state goes through memory on every
//! call. None of that is needed: the block hashed in each iteration is always
//! the previous digest followed by constant padding. So on x86-64 CPUs with
//! the SHA extensions (SHA-NI; `sha`, `sse2`, `ssse3` and `sse4.1`), detected
//! at run time through `CPUID` by the `cpufeatures` crate (no `std` needed),
//! [`HmacKey::pbkdf2`] runs a dedicated loop (the private `x86` module) that
//! keeps both pad states, the running digest and the accumulator in XMM
//! registers for the whole derivation and builds each block's message words
//! from the previous state registers with two shuffles. Measured on the
//! development machine (medians of three runs, `benches/scram.rs`): 1.06-1.09x
//! the bound for SHA-256 and 1.13x for SHA-1, against 1.39-1.45x for the
//! portable loop.
//!
//! # The native-CPU build
//!
//! The SHA-NI instructions (ours and `sha2`'s/`sha1`'s) exist only in the
//! legacy SSE encoding. Built with AVX enabled (`-C target-cpu=native`,
//! `x86-64-v3`), the code around them is VEX/EVEX-encoded, and once inlined
//! (fat LTO, or any build once `#[target_feature]` functions become
//! inlinable) a 64-byte pad XOR done in a ZMM register left the upper state
//! dirty for every SHA round of `HmacKey::new`. Legacy SSE instructions pay
//! for that state until the next `vzeroupper` (a dependent SHA chain ran 1.4x
//! slower on Zen 4; Intel documents a blend micro-op per instruction). So when
//! AVX is enabled at compile time, [`ScramHash::compress`] and the SHA-NI
//! PBKDF2 loops are never inlined: LLVM puts `vzeroupper` before each call
//! from code that dirtied the state. Default builds have no AVX code and keep
//! the inlined compressor. `scripts/bench-native.sh` compares both builds in
//! one run and scans the native binary for the pattern; see
//! `docs/performance.md`.
//!
//! That module is the crate's only `unsafe` code (the crate root denies it
//! everywhere else): two calls into `#[target_feature]` functions, each right
//! after the runtime check, and no raw pointers. It computes exactly what the
//! portable loop computes; the workspace tests compare the two, and both
//! against the `pbkdf2` crate, over many random passwords, salts and iteration
//! counts. On other CPUs and architectures, and where `CPUID` is unavailable
//! (`target_os = "none"`, SGX), the portable loop runs;
//! `HmacKey::pbkdf2_portable` (hidden, a test hook) always runs it.

use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

#[cfg(target_arch = "x86_64")]
mod x86;

mod sealed {
    use super::{HmacKey, ScramHash};

    pub trait Sealed: Sized {
        /// Iterations `2..=rounds + 1` of one PBKDF2 block on a hardware fast
        /// path, if this hash has one and the CPU supports it: `u1` is the
        /// first HMAC output, the result `U1 ^ U2 ^ ...` is written to `acc`.
        /// Returns false, having written nothing, when the portable loop must
        /// run instead.
        #[inline(always)]
        fn pbkdf2_fast(_key: &HmacKey<Self>, _u1: &[u8], _rounds: u32, _acc: &mut [u8]) -> bool
        where
            Self: ScramHash,
        {
            false
        }
    }
}

/// A hash function SCRAM can run over: SHA-1 or SHA-256 (sealed).
///
/// Everything SCRAM does is generic over this trait, so both mechanisms share
/// one implementation and differ only in these constants.
pub trait ScramHash: sealed::Sealed + Copy + Default + fmt::Debug + 'static {
    /// The SASL mechanism name, as sent in `saslStart`.
    const MECHANISM: &'static str;
    /// Digest length in bytes (20 or 32): also the PBKDF2 output length, so
    /// exactly one PBKDF2 block is ever computed.
    const OUTPUT_LEN: usize;
    /// The salt length mongod's createUser uses for this hash (digest length
    /// minus 4 bytes).
    const SALT_LEN: usize;
    /// mongod's default iteration count for new users of this mechanism
    /// (`scramIterationCount` 10000, `scramSHA256IterationCount` 15000).
    const DEFAULT_ITERATIONS: u32;
    /// Whether MongoDB replaces the password by `hex(MD5(user:mongo:password))`
    /// (SCRAM-SHA-1) instead of SASLprep'ing it (SCRAM-SHA-256).
    const MD5_PASSWORD_DIGEST: bool;
    /// The compression state (five or eight 32-bit words).
    type State: Copy + Zeroize;
    /// A digest-sized byte array.
    type Output: Copy + Default + AsRef<[u8]> + AsMut<[u8]> + Zeroize + Eq + fmt::Debug;
    /// The initial state of the hash.
    const IV: Self::State;
    /// One compression-function call over one 64-byte block.
    fn compress(state: &mut Self::State, block: &[u8; 64]);
    /// Write the state as big-endian words into `out` (at most `OUTPUT_LEN` bytes).
    fn write_state(state: &Self::State, out: &mut [u8]);
}

/// SCRAM-SHA-256 (RFC 7677): MongoDB's default mechanism since 4.0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sha256;

impl sealed::Sealed for Sha256 {
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn pbkdf2_fast(key: &HmacKey<Self>, u1: &[u8], rounds: u32, acc: &mut [u8]) -> bool {
        let mut u = read_words::<8>(u1);
        let done = x86::pbkdf2_sha256(&key.inner, &key.outer, &u, rounds);
        u.zeroize();
        match done {
            Some(mut words) => {
                write_words(&words, acc);
                words.zeroize();
                true
            }
            None => false,
        }
    }
}
impl ScramHash for Sha256 {
    const MECHANISM: &'static str = "SCRAM-SHA-256";
    const OUTPUT_LEN: usize = 32;
    const SALT_LEN: usize = 28;
    const DEFAULT_ITERATIONS: u32 = 15000;
    const MD5_PASSWORD_DIGEST: bool = false;
    type State = [u32; 8];
    type Output = [u8; 32];
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    // Out of line when AVX is on: see "The native-CPU build" in the module docs.
    #[cfg_attr(target_feature = "avx", inline(never))]
    #[cfg_attr(not(target_feature = "avx"), inline(always))]
    fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
        sha2::block_api::compress256(state, core::slice::from_ref(block));
    }
    #[inline(always)]
    fn write_state(state: &[u32; 8], out: &mut [u8]) {
        write_words(state, out);
    }
}

/// SCRAM-SHA-1 (RFC 5802), with MongoDB's MD5 password digest.
#[cfg(feature = "sha1")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sha1;

#[cfg(feature = "sha1")]
impl sealed::Sealed for Sha1 {
    #[cfg(target_arch = "x86_64")]
    #[inline]
    fn pbkdf2_fast(key: &HmacKey<Self>, u1: &[u8], rounds: u32, acc: &mut [u8]) -> bool {
        let mut u = read_words::<5>(u1);
        let done = x86::pbkdf2_sha1(&key.inner, &key.outer, &u, rounds);
        u.zeroize();
        match done {
            Some(mut words) => {
                write_words(&words, acc);
                words.zeroize();
                true
            }
            None => false,
        }
    }
}
#[cfg(feature = "sha1")]
impl ScramHash for Sha1 {
    const MECHANISM: &'static str = "SCRAM-SHA-1";
    const OUTPUT_LEN: usize = 20;
    const SALT_LEN: usize = 16;
    const DEFAULT_ITERATIONS: u32 = 10000;
    const MD5_PASSWORD_DIGEST: bool = true;
    type State = [u32; 5];
    type Output = [u8; 20];
    const IV: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    // Out of line when AVX is on: see "The native-CPU build" in the module docs.
    #[cfg_attr(target_feature = "avx", inline(never))]
    #[cfg_attr(not(target_feature = "avx"), inline(always))]
    fn compress(state: &mut [u32; 5], block: &[u8; 64]) {
        sha1::block_api::compress(state, core::slice::from_ref(block));
    }
    #[inline(always)]
    fn write_state(state: &[u32; 5], out: &mut [u8]) {
        write_words(state, out);
    }
}

#[inline(always)]
fn write_words(words: &[u32], out: &mut [u8]) {
    for (chunk, word) in out.chunks_exact_mut(4).zip(words) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
}

/// Big-endian words from the first `4 * N` bytes of `bytes` (missing bytes
/// read as zero; callers always pass a whole digest).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn read_words<const N: usize>(bytes: &[u8]) -> [u32; N] {
    let mut words = [0u32; N];
    for (word, chunk) in words.iter_mut().zip(bytes.chunks_exact(4)) {
        let mut b = [0u8; 4];
        b.copy_from_slice(chunk);
        *word = u32::from_be_bytes(b);
    }
    words
}

const BLOCK: usize = 64;

/// A streaming hash over [`ScramHash::compress`] (Merkle–Damgård padding is
/// the same for SHA-1 and SHA-256). Internal scratch is wiped on drop because
/// it may hold key material.
struct Hasher<H: ScramHash> {
    state: H::State,
    buf: [u8; BLOCK],
    buf_len: usize,
    total: u64,
}

impl<H: ScramHash> Hasher<H> {
    fn with_state(state: H::State, already: u64) -> Self {
        Hasher { state, buf: [0; BLOCK], buf_len: 0, total: already }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.total = self.total.wrapping_add(data.len() as u64);
        if self.buf_len > 0 {
            let room = BLOCK - self.buf_len;
            let take = room.min(data.len());
            let (head, rest) = data.split_at(take);
            if let Some(dst) = self.buf.get_mut(self.buf_len..self.buf_len + take) {
                dst.copy_from_slice(head);
            }
            self.buf_len += take;
            data = rest;
            if self.buf_len < BLOCK {
                return;
            }
            H::compress(&mut self.state, &self.buf);
            self.buf_len = 0;
        }
        let mut blocks = data.chunks_exact(BLOCK);
        for block in &mut blocks {
            if let Ok(block) = <&[u8; BLOCK]>::try_from(block) {
                H::compress(&mut self.state, block);
            }
        }
        let rest = blocks.remainder();
        if let Some(dst) = self.buf.get_mut(..rest.len()) {
            dst.copy_from_slice(rest);
        }
        self.buf_len = rest.len();
    }

    fn finish(mut self) -> H::Output {
        let bits = self.total.wrapping_mul(8);
        let n = self.buf_len;
        if let Some(rest) = self.buf.get_mut(n..) {
            rest.fill(0);
        }
        if let Some(b) = self.buf.get_mut(n) {
            *b = 0x80;
        }
        if n >= BLOCK - 8 {
            H::compress(&mut self.state, &self.buf);
            self.buf.fill(0);
        }
        if let Some(len) = self.buf.get_mut(BLOCK - 8..) {
            len.copy_from_slice(&bits.to_be_bytes());
        }
        H::compress(&mut self.state, &self.buf);
        let mut out = H::Output::default();
        H::write_state(&self.state, out.as_mut());
        // `self` is dropped here: its `Drop` wipes the state and the block.
        out
    }
}

impl<H: ScramHash> Drop for Hasher<H> {
    fn drop(&mut self) {
        self.state.zeroize();
        self.buf.zeroize();
    }
}

/// `H(parts[0] || parts[1] || ...)`.
pub fn hash<H: ScramHash>(parts: &[&[u8]]) -> H::Output {
    let mut h = Hasher::<H>::with_state(H::IV, 0);
    for p in parts {
        h.update(p);
    }
    h.finish()
}

/// An HMAC key reduced to its two pad states: what every later MAC and each
/// PBKDF2 iteration starts from. Holding these instead of the key means a
/// password can be dropped as soon as it is prepared. Zeroized on drop,
/// redacted in `Debug`.
#[derive(Clone)]
pub struct HmacKey<H: ScramHash> {
    inner: H::State,
    outer: H::State,
}

impl<H: ScramHash> HmacKey<H> {
    /// Key an HMAC (RFC 2104): keys longer than the block are hashed first.
    pub fn new(key: &[u8]) -> Self {
        let mut k = [0u8; BLOCK];
        if key.len() > BLOCK {
            let mut d = hash::<H>(&[key]);
            if let Some(dst) = k.get_mut(..H::OUTPUT_LEN) {
                dst.copy_from_slice(d.as_ref());
            }
            d.zeroize();
        } else if let Some(dst) = k.get_mut(..key.len()) {
            dst.copy_from_slice(key);
        }
        let mut pad = [0u8; BLOCK];
        for (p, k) in pad.iter_mut().zip(&k) {
            *p = k ^ 0x36;
        }
        // The states are compressed in place in the value returned, so no
        // copy of a keyed pad state is left behind in a local of this frame.
        let mut key = HmacKey { inner: H::IV, outer: H::IV };
        H::compress(&mut key.inner, &pad);
        for (p, k) in pad.iter_mut().zip(&k) {
            *p = k ^ 0x5c;
        }
        H::compress(&mut key.outer, &pad);
        k.zeroize();
        pad.zeroize();
        key
    }

    /// `HMAC(key, parts[0] || parts[1] || ...)`.
    pub fn mac(&self, parts: &[&[u8]]) -> H::Output {
        // Both hashers wipe their state and block buffer on drop: they hold
        // the keyed pad states and, for the outer one, the inner digest.
        let mut h = Hasher::<H>::with_state(self.inner, BLOCK as u64);
        for p in parts {
            h.update(p);
        }
        let mut inner = h.finish();
        let mut o = Hasher::<H>::with_state(self.outer, BLOCK as u64);
        o.update(inner.as_ref());
        inner.zeroize();
        o.finish()
    }

    /// PBKDF2 (RFC 8018) with this key as the password, for exactly one output
    /// block: `Hi(P, salt, i)` of RFC 5802. Each iteration after the first is
    /// two compression calls over one reused block.
    ///
    /// On x86-64 CPUs with the SHA extensions this runs the register-resident
    /// loop of the module documentation; elsewhere, the portable loop
    /// ([`HmacKey::pbkdf2_portable`]). Both give the same result bit for bit.
    /// An iteration count of 0 is treated as 1.
    pub fn pbkdf2(&self, salt: &[u8], iterations: u32) -> H::Output {
        let mut u = self.mac(&[salt, &1u32.to_be_bytes()]);
        let mut acc = H::Output::default();
        let rounds = iterations.saturating_sub(1);
        if !H::pbkdf2_fast(self, u.as_ref(), rounds, acc.as_mut()) {
            acc = u;
            self.pbkdf2_rounds(&mut u, rounds, &mut acc);
        }
        u.zeroize();
        acc
    }

    /// PBKDF2 like [`HmacKey::pbkdf2`], always on the portable loop over the
    /// `sha1`/`sha2` compressors, never on a CPU-specific fast path.
    ///
    /// A test hook: it exists so tests and benchmarks can compare the fast
    /// path against the portable one on the same machine. Not part of the
    /// stable API.
    #[doc(hidden)]
    pub fn pbkdf2_portable(&self, salt: &[u8], iterations: u32) -> H::Output {
        let mut u = self.mac(&[salt, &1u32.to_be_bytes()]);
        let mut acc = u;
        self.pbkdf2_rounds(&mut u, iterations.saturating_sub(1), &mut acc);
        u.zeroize();
        acc
    }

    /// The portable loop: `rounds` more iterations from `U = u`, each XORed
    /// into `acc`. Leaves the last `U` in `u`.
    fn pbkdf2_rounds(&self, u: &mut H::Output, rounds: u32, acc: &mut H::Output) {
        let len = H::OUTPUT_LEN;
        // Both the inner and the outer hash of each iteration see exactly one
        // block: the previous digest, then padding for a 64 + len byte message.
        let mut block = [0u8; BLOCK];
        if let Some(b) = block.get_mut(len) {
            *b = 0x80;
        }
        if let Some(l) = block.get_mut(BLOCK - 8..) {
            l.copy_from_slice(&(((BLOCK + len) * 8) as u64).to_be_bytes());
        }
        for _ in 0..rounds {
            if let Some(dst) = block.get_mut(..len) {
                dst.copy_from_slice(u.as_ref());
            }
            let mut s = self.inner;
            H::compress(&mut s, &block);
            if let Some(dst) = block.get_mut(..len) {
                H::write_state(&s, dst);
            }
            s = self.outer;
            H::compress(&mut s, &block);
            H::write_state(&s, u.as_mut());
            for (a, b) in acc.as_mut().iter_mut().zip(u.as_ref()) {
                *a ^= b;
            }
            s.zeroize();
        }
        block.zeroize();
    }
}

impl<H: ScramHash> Drop for HmacKey<H> {
    fn drop(&mut self) {
        self.inner.zeroize();
        self.outer.zeroize();
    }
}
impl<H: ScramHash> ZeroizeOnDrop for HmacKey<H> {}

impl<H: ScramHash> fmt::Debug for HmacKey<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HmacKey(<redacted>)")
    }
}

/// A digest-sized secret (SaltedPassword, ClientKey, ServerKey, StoredKey, a
/// proof): zeroized on drop, compared in constant time, never printed.
#[derive(Clone)]
pub struct SecretKey<H: ScramHash>(H::Output);

impl<H: ScramHash> SecretKey<H> {
    /// Wrap key bytes (for importing provisioned keys).
    pub fn from_output(bytes: H::Output) -> Self {
        SecretKey(bytes)
    }
    /// Import from a slice, which must be exactly the digest length.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        let mut out = H::Output::default();
        if bytes.len() != H::OUTPUT_LEN {
            return None;
        }
        out.as_mut().copy_from_slice(bytes);
        Some(SecretKey(out))
    }
    /// The raw bytes, for exporting keys to secure storage.
    pub fn expose(&self) -> &[u8] {
        self.0.as_ref()
    }
    /// Constant-time equality.
    pub fn ct_eq(&self, other: &[u8]) -> bool {
        ct_eq(self.0.as_ref(), other)
    }
    /// Replace the bytes by `other`'s where `choice` is set, in constant
    /// time (no branch or memory access depends on `choice`): a server picks
    /// a real user's key or a decoy's without a timing difference.
    pub fn conditional_assign(&mut self, other: &Self, choice: subtle::Choice) {
        use subtle::ConditionallySelectable;
        for (a, b) in self.0.as_mut().iter_mut().zip(other.0.as_ref()) {
            a.conditional_assign(b, choice);
        }
    }
}

impl<H: ScramHash> Drop for SecretKey<H> {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}
impl<H: ScramHash> ZeroizeOnDrop for SecretKey<H> {}

impl<H: ScramHash> fmt::Debug for SecretKey<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

/// Constant-time comparison of two byte strings (`subtle`). Lengths are not
/// secret: a length mismatch returns false at once.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The lowercase hex digit of a nibble, without a branch or a table lookup
/// (the digest is password-equivalent, so no secret-dependent timing).
#[cfg(feature = "sha1")]
pub(crate) fn hex_digit(nibble: u8) -> u8 {
    let n = i16::from(nibble & 0x0f);
    // 0-9 -> '0'..'9'; 10-15 -> 'a'..'f' ('a' - '0' - 10 = 39).
    let letter_adjust = ((9 - n) >> 8) & 39;
    (i16::from(b'0') + n + letter_adjust) as u8
}

/// Lowercase hex of MongoDB's SCRAM-SHA-1 password digest:
/// `hex(MD5(username ":mongo:" password))`, written into `out`.
#[cfg(feature = "sha1")]
pub fn mongodb_sha1_password_digest(username: &str, password: &[u8], out: &mut [u8; 32]) {
    use md5::Digest;
    let mut h = md5::Md5::new();
    h.update(username.as_bytes());
    h.update(b":mongo:");
    h.update(password);
    let mut d: [u8; 16] = h.finalize().into();
    for (pair, byte) in out.chunks_exact_mut(2).zip(d.iter()) {
        if let [hi, lo] = pair {
            *hi = hex_digit(byte >> 4);
            *lo = hex_digit(byte & 0x0f);
        }
    }
    d.zeroize();
}
