//! The SCRAM key cache the MongoDB auth spec requires: a login that reuses a
//! (password, salt, iterations, mechanism) skips PBKDF2, which is 99% of the
//! cost of a login and what makes connection storms expensive.
//!
//! Entries are keyed by a [`CacheTag`]: an HMAC, keyed by the prepared
//! password, over the mechanism, salt and iteration count. The plaintext
//! password is never the key and never stored. The store is the caller's
//! (the [`KeyStore`] trait); [`KeyCache`] is a fixed-capacity one that
//! zeroizes what it evicts.

use core::fmt;

use zeroize::Zeroize;

use crate::crypto::{HmacKey, ScramHash, ct_eq};

/// Room for the largest digest (SHA-256).
const MAX_DIGEST: usize = 32;

/// A cache key: `HMAC(P, "mongoauth-key-cache\0" || mechanism || "\0" || salt || iterations)`.
/// Not secret by itself, but treated with care: compared in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct CacheTag {
    bytes: [u8; MAX_DIGEST],
    len: usize,
}

impl CacheTag {
    /// The tag bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl fmt::Debug for CacheTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacheTag(..)")
    }
}

pub(crate) fn cache_tag<H: ScramHash>(pw: &HmacKey<H>, salt: &[u8], iterations: u32) -> CacheTag {
    let mac = pw.mac(&[
        b"mongoauth-key-cache\0",
        H::MECHANISM.as_bytes(),
        b"\0",
        salt,
        &iterations.to_be_bytes(),
    ]);
    let mut bytes = [0u8; MAX_DIGEST];
    let len = mac.as_ref().len().min(MAX_DIGEST);
    if let (Some(dst), Some(src)) = (bytes.get_mut(..len), mac.as_ref().get(..len)) {
        dst.copy_from_slice(src);
    }
    CacheTag { bytes, len }
}

/// ClientKey and ServerKey as cached: zeroized on drop, never printed.
#[derive(Clone)]
pub struct CachedKeys {
    client: [u8; MAX_DIGEST],
    server: [u8; MAX_DIGEST],
    len: usize,
}

impl CachedKeys {
    /// Pack two keys of the same digest length (at most 32 bytes).
    pub fn new(client_key: &[u8], server_key: &[u8]) -> Self {
        let len = client_key.len().min(server_key.len()).min(MAX_DIGEST);
        let mut k = CachedKeys { client: [0; MAX_DIGEST], server: [0; MAX_DIGEST], len };
        if let (Some(c), Some(s), Some(ci), Some(si)) = (
            k.client.get_mut(..len),
            k.server.get_mut(..len),
            client_key.get(..len),
            server_key.get(..len),
        ) {
            c.copy_from_slice(ci);
            s.copy_from_slice(si);
        }
        k
    }
    /// ClientKey.
    pub fn client_key(&self) -> &[u8] {
        self.client.get(..self.len).unwrap_or(&[])
    }
    /// ServerKey.
    pub fn server_key(&self) -> &[u8] {
        self.server.get(..self.len).unwrap_or(&[])
    }
}

impl Drop for CachedKeys {
    fn drop(&mut self) {
        self.client.zeroize();
        self.server.zeroize();
    }
}

impl fmt::Debug for CachedKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CachedKeys(<redacted>)")
    }
}

/// Where derived keys are kept between logins. Methods take `&self`: a
/// store is shared by every login that uses it (never held as `&mut` by
/// several), so an implementation keeps its entries behind interior
/// mutability: [`KeyCache`] (a `core::cell` one for one thread or an
/// interrupt-free firmware loop), [`SharedKeyCache`] (a `std::sync::Mutex`
/// one, `Send + Sync`, with `std`), or your own (a database, a lock of your
/// RTOS). A store that cannot answer right now (e.g. already in use by the
/// same thread) answers "not cached": a login then derives the keys itself.
pub trait KeyStore {
    /// The keys stored under `tag`, if any.
    fn lookup(&self, tag: &CacheTag) -> Option<CachedKeys>;
    /// Remember keys under `tag`, evicting as the store sees fit.
    fn store(&self, tag: &CacheTag, keys: &CachedKeys);
}

/// The entries of a fixed-capacity cache: `N` slots, round-robin eviction.
struct Slots<const N: usize> {
    slots: [Option<(CacheTag, CachedKeys)>; N],
    next: usize,
}

impl<const N: usize> Slots<N> {
    const fn new() -> Self {
        Slots { slots: [const { None }; N], next: 0 }
    }

    fn len(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }

    fn clear(&mut self) {
        for s in &mut self.slots {
            // The old entry drops here and zeroizes itself.
            *s = None;
        }
    }

    fn lookup(&self, tag: &CacheTag) -> Option<CachedKeys> {
        self.slots
            .iter()
            .flatten()
            .find(|(t, _)| ct_eq(t.as_bytes(), tag.as_bytes()))
            .map(|(_, k)| k.clone())
    }

    fn store(&mut self, tag: &CacheTag, keys: &CachedKeys) {
        if N == 0 {
            return;
        }
        if let Some(slot) = self
            .slots
            .iter_mut()
            .find(|s| s.as_ref().is_some_and(|(t, _)| ct_eq(t.as_bytes(), tag.as_bytes())))
        {
            *slot = Some((tag.clone(), keys.clone()));
            return;
        }
        let i = self.next % N;
        if let Some(slot) = self.slots.get_mut(i) {
            // The old entry drops here and zeroizes itself.
            *slot = Some((tag.clone(), keys.clone()));
        }
        self.next = (i + 1) % N;
    }
}

/// A fixed-capacity key cache with `N` slots and round-robin eviction; evicted
/// and dropped entries are zeroized. No allocation, no lock: the entries sit
/// in a `core::cell::RefCell`, so the cache is `!Sync`. Many authenticators
/// on one thread (or one firmware loop) share it by `&`; a reentrant use
/// (from inside another use, which the crate never does) is a miss, never a
/// panic. For threads, use [`SharedKeyCache`] (`std`) or wrap the store in
/// your platform's lock behind the [`KeyStore`] trait.
pub struct KeyCache<const N: usize> {
    inner: core::cell::RefCell<Slots<N>>,
}

impl<const N: usize> KeyCache<N> {
    /// An empty cache.
    pub const fn new() -> Self {
        KeyCache { inner: core::cell::RefCell::new(Slots::new()) }
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.inner.try_borrow().map_or(0, |s| s.len())
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop (and zeroize) every entry: e.g. after a password change.
    pub fn clear(&self) {
        if let Ok(mut s) = self.inner.try_borrow_mut() {
            s.clear();
        }
    }
}

impl<const N: usize> Default for KeyCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Debug for KeyCache<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyCache").field("capacity", &N).field("len", &self.len()).finish()
    }
}

impl<const N: usize> KeyStore for KeyCache<N> {
    fn lookup(&self, tag: &CacheTag) -> Option<CachedKeys> {
        self.inner.try_borrow().ok()?.lookup(tag)
    }

    fn store(&self, tag: &CacheTag, keys: &CachedKeys) {
        if let Ok(mut s) = self.inner.try_borrow_mut() {
            s.store(tag, keys);
        }
    }
}

/// A [`KeyCache`] for threads (`std`): `Send + Sync`, its entries behind a
/// `std::sync::Mutex` held only while an entry is copied in or out (never
/// during PBKDF2). Share one by `&` (scoped threads) or in an `Arc`. A
/// poisoned lock is recovered: the entries are plain data.
#[cfg(feature = "std")]
pub struct SharedKeyCache<const N: usize> {
    inner: std::sync::Mutex<Slots<N>>,
}

#[cfg(feature = "std")]
impl<const N: usize> SharedKeyCache<N> {
    /// An empty cache.
    pub const fn new() -> Self {
        SharedKeyCache { inner: std::sync::Mutex::new(Slots::new()) }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Slots<N>> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.slots().len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drop (and zeroize) every entry.
    pub fn clear(&self) {
        self.slots().clear();
    }
}

#[cfg(feature = "std")]
impl<const N: usize> Default for SharedKeyCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "std")]
impl<const N: usize> fmt::Debug for SharedKeyCache<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKeyCache").field("capacity", &N).field("len", &self.len()).finish()
    }
}

#[cfg(feature = "std")]
impl<const N: usize> KeyStore for SharedKeyCache<N> {
    fn lookup(&self, tag: &CacheTag) -> Option<CachedKeys> {
        self.slots().lookup(tag)
    }

    fn store(&self, tag: &CacheTag, keys: &CachedKeys) {
        self.slots().store(tag, keys);
    }
}
