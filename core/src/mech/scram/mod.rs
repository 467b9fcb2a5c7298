//! SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) as MongoDB uses them:
//! client and server, one implementation generic over [`ScramHash`].
//!
//! Client, typestate API (each state accepts exactly one message):
//!
//! ```
//! use mongoauth::mech::scram::{Client, ClientConfig, Nonce, Sha256};
//!
//! // RFC 7677's published exchange, with its fixed nonce.
//! let nonce = Nonce::from_text("rOprNGfwEbeRWgbNEkqO")?;
//! let c = Client::<Sha256>::start("user", "pencil", &nonce, &ClientConfig::default())?;
//! assert_eq!(c.message(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
//! let c = c.handle_server_first(
//!     b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
//! )?;
//! assert!(c.message().ends_with(b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
//! let done = c.handle_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")?;
//! # let _ = done;
//! # Ok::<(), mongoauth::Error>(())
//! ```
//!
//! Limits are constants ([`MAX_USERNAME_LEN`], [`MAX_MESSAGE_LEN`], ...); a
//! message or credential beyond them is an [`Error::Capacity`], never cut.

mod cache;
mod client;
mod message;
mod runtime_server;
mod server;
pub use runtime_server::{AnyServer, AnyStoredCredentials, ServerMachine};

use core::fmt;

use crate::crypto::HmacKey;
#[cfg(feature = "sha1")]
pub use crate::crypto::Sha1;
pub use crate::crypto::{ScramHash, SecretKey, Sha256};
pub use crate::error::{Error, MAX_SERVER_ERROR_LEN, ScramMessage, ServerErrorText};
#[cfg(feature = "std")]
pub use cache::SharedKeyCache;
pub use cache::{CacheTag, CachedKeys, KeyCache, KeyStore};
pub use client::{
    AnyClient, Authenticated, Client, ClientMachine, ExpectServerFinal, ExpectServerFirst,
    MAX_CLIENT_FINAL_LEN, MAX_CLIENT_FIRST_LEN, MAX_USERNAME_LEN, Step,
};
pub use message::{
    ClientFinal, ClientFirst, MAX_MESSAGE_LEN, MAX_NONCE_LEN, MAX_SALT_LEN, ServerErrorKind,
    ServerFinal, ServerFirst, parse_client_final, parse_client_first, parse_server_final,
    parse_server_first, unescape_username,
};
pub use server::{
    ClientFirstReceived, ExpectClientFinal, MAX_SERVER_FIRST_LEN, Server, ServerSuccess,
    StoredCredentials, server_error_value,
};

/// RFC 7677 / MongoDB auth spec: a client MUST refuse fewer iterations.
pub const MIN_ITERATIONS: u32 = 4096;

/// Default cap on the server's iteration count. A hostile or misconfigured
/// server could otherwise ask for 2^32-1 iterations and pin a device's CPU for
/// hours. 100000 is 6.7x mongod's SCRAM-SHA-256 default (15000), leaving room
/// for administrators who raise `scramSHA256IterationCount`, while bounding a
/// login at about 9 ms on a desktop core and a few seconds on a Cortex-M4.
pub const DEFAULT_MAX_ITERATIONS: u32 = 100_000;

/// Longest accepted password, in bytes, before preparation.
pub const MAX_PASSWORD_LEN: usize = 256;
/// Room for a SASLprep'd password (NFKC can expand a string).
pub const MAX_PREPARED_PASSWORD_LEN: usize = 1024;

/// Fewest random bytes a client nonce is made from (192 bits).
pub const MIN_NONCE_ENTROPY: usize = 24;
/// Most random bytes a client nonce is made from.
pub const MAX_NONCE_ENTROPY: usize = 48;
/// Longest nonce we make (base64 of [`MAX_NONCE_ENTROPY`] bytes).
pub const MAX_NONCE_TEXT_LEN: usize = 64;

/// Client policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    /// The most iterations the client will compute; see [`DEFAULT_MAX_ITERATIONS`].
    pub max_iterations: u32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig { max_iterations: DEFAULT_MAX_ITERATIONS }
    }
}

/// A SCRAM nonce (the client's, or the server's part): printable ASCII
/// without `,`, made from caller entropy (the core never reads a random
/// source itself).
#[derive(Clone)]
pub struct Nonce {
    buf: [u8; MAX_NONCE_TEXT_LEN],
    len: usize,
}

impl Nonce {
    /// Make a nonce from 24 to 48 cryptographically random bytes (base64).
    ///
    /// # Errors
    /// [`Error::InvalidNonce`] for fewer than 24 or more than 48 bytes.
    pub fn from_random(entropy: &[u8]) -> Result<Self, Error> {
        if entropy.len() < MIN_NONCE_ENTROPY {
            return Err(Error::InvalidNonce { rule: "needs at least 24 random bytes" });
        }
        if entropy.len() > MAX_NONCE_ENTROPY {
            return Err(Error::InvalidNonce { rule: "takes at most 48 random bytes" });
        }
        let mut buf = [0u8; MAX_NONCE_TEXT_LEN];
        let len = message::encode_b64(entropy, &mut buf)
            .ok_or(Error::InvalidNonce { rule: "encoding failed" })?
            .len();
        Ok(Nonce { buf, len })
    }

    /// Use a given nonce text, to reproduce published vectors. Production
    /// code should use [`from_random`](Self::from_random) or, with `std`,
    /// `generate` (with the `std` feature).
    ///
    /// # Errors
    /// [`Error::InvalidNonce`] unless 4 to 64 printable ASCII bytes without `,`.
    pub fn from_text(text: &str) -> Result<Self, Error> {
        let b = text.as_bytes();
        if b.len() < 4 || b.len() > MAX_NONCE_TEXT_LEN || !message::is_printable_nonce(b) {
            return Err(Error::InvalidNonce {
                rule: "must be 4 to 64 printable ASCII characters without `,`",
            });
        }
        let mut buf = [0u8; MAX_NONCE_TEXT_LEN];
        buf.get_mut(..b.len()).ok_or(Error::InvalidNonce { rule: "too long" })?.copy_from_slice(b);
        Ok(Nonce { buf, len: b.len() })
    }

    /// 24 bytes from the operating system's random source.
    ///
    /// # Errors
    /// [`Error::InvalidNonce`] if the OS has no randomness to give.
    #[cfg(feature = "std")]
    pub fn generate() -> Result<Self, Error> {
        let mut e = [0u8; MIN_NONCE_ENTROPY];
        crate::os::fill_random(&mut e)?;
        Self::from_random(&e)
    }

    /// The nonce text.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Nonce(..)")
    }
}

/// ClientKey and ServerKey with the salt and iteration count they were
/// derived for: what a login computes from the password, and all it needs.
/// Export them to provision a device without its password; zeroized on drop.
#[derive(Clone, Debug)]
pub struct ScramKeys<H: ScramHash> {
    salt: heapless::Vec<u8, MAX_SALT_LEN>,
    /// The iteration count the keys were derived with.
    pub iterations: u32,
    /// `HMAC(SaltedPassword, "Client Key")`.
    pub client_key: SecretKey<H>,
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: SecretKey<H>,
}

impl<H: ScramHash> ScramKeys<H> {
    /// Assemble keys (for importing provisioned keys).
    ///
    /// # Errors
    /// [`Error::Capacity`] if the salt exceeds [`MAX_SALT_LEN`].
    pub fn from_parts(
        salt: &[u8],
        iterations: u32,
        client_key: SecretKey<H>,
        server_key: SecretKey<H>,
    ) -> Result<Self, Error> {
        let salt = heapless::Vec::from_slice(salt)
            .map_err(|_| Error::Capacity { what: "salt", limit: MAX_SALT_LEN })?;
        Ok(ScramKeys { salt, iterations, client_key, server_key })
    }

    /// The salt the keys belong to.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }
}

/// Why [`password_key`] failed: a few bytes, where [`Error`] is hundreds,
/// so that the callers' frames do not hold another `Error`.
pub(crate) enum PasswordFault {
    TooLong,
    Saslprep(crate::saslprep::SaslprepError),
}

impl From<PasswordFault> for Error {
    #[cold]
    fn from(f: PasswordFault) -> Self {
        match f {
            PasswordFault::TooLong => Error::Capacity { what: "password", limit: MAX_PASSWORD_LEN },
            PasswordFault::Saslprep(e) => Error::Saslprep(e),
        }
    }
}

/// How a mechanism turns a MongoDB password into the `Hi()` input, reduced
/// to HMAC pad states at once so the password need not be kept.
pub(crate) fn password_key<H: ScramHash>(
    username: &str,
    password: &str,
) -> Result<HmacKey<H>, PasswordFault> {
    if password.len() > MAX_PASSWORD_LEN {
        return Err(PasswordFault::TooLong);
    }
    if H::MD5_PASSWORD_DIGEST {
        // MongoDB SCRAM-SHA-1: hex(MD5(user ":mongo:" password)); never SASLprep'd.
        #[cfg(feature = "sha1")]
        {
            let mut hex = [0u8; 32];
            crate::crypto::mongodb_sha1_password_digest(username, password.as_bytes(), &mut hex);
            let key = HmacKey::new(&hex);
            zeroize::Zeroize::zeroize(&mut hex);
            return Ok(key);
        }
    }
    // SCRAM-SHA-256: the SASLprep'd password; the username is not involved.
    let _ = username;
    // Printable ASCII (U+0020..U+007E) is its own SASLprep output (RFC 4013:
    // nothing in that range is mapped, changed by NFKC or prohibited, and it
    // has no bidi characters), so the key comes from the input directly and
    // no buffer is needed. Anything else takes the out-of-line path below.
    if password.bytes().all(|b| matches!(b, 0x20..=0x7E)) {
        return Ok(HmacKey::new(password.as_bytes()));
    }
    #[cfg(feature = "saslprep")]
    {
        saslprep_password_key(password)
    }
    #[cfg(not(feature = "saslprep"))]
    {
        Err(PasswordFault::Saslprep(saslprep_error_without_tables(password)))
    }
}

/// SASLprep's verdict, without the `saslprep` feature's tables, on a
/// password that is not printable ASCII: the first ASCII control is
/// prohibited, the first other non-ASCII character unsupported (see
/// [`crate::saslprep`]). Every byte before it is ASCII, so its byte offset
/// is its character index. Taken here so that such a build links neither
/// SASLprep's character loop nor a buffer for its (never written) output;
/// a test checks it against `saslprep_heapless`.
#[cfg(not(feature = "saslprep"))]
fn saslprep_error_without_tables(password: &str) -> crate::saslprep::SaslprepError {
    use crate::saslprep::SaslprepError::{Prohibited, Unsupported};
    match password.bytes().enumerate().find(|&(_, b)| !matches!(b, 0x20..=0x7E)) {
        Some((index, b)) if b.is_ascii() => Prohibited { index },
        Some((index, _)) => Unsupported { index },
        None => Unsupported { index: 0 },
    }
}

/// The SASLprep path of [`password_key`], kept out of line so that its
/// [`MAX_PREPARED_PASSWORD_LEN`]-byte buffer is on the stack only while a
/// non-ASCII password is being prepared.
#[cfg(feature = "saslprep")]
#[inline(never)]
fn saslprep_password_key<H: ScramHash>(password: &str) -> Result<HmacKey<H>, PasswordFault> {
    let mut prepared = heapless::String::<MAX_PREPARED_PASSWORD_LEN>::new();
    // On error the string is already wiped.
    crate::saslprep::saslprep_heapless(password, &mut prepared).map_err(PasswordFault::Saslprep)?;
    let key = HmacKey::new(prepared.as_bytes());
    zeroize::Zeroize::zeroize(&mut prepared);
    Ok(key)
}

#[cfg(all(test, not(feature = "saslprep")))]
mod tests {
    #[test]
    fn saslprep_error_without_tables_matches_saslprep() {
        for password in ["a\u{7f}b", "\tx", "ab\u{e9}", "\u{e9}\n", "x\u{1F600}", "ok\u{0}"] {
            let mut out = heapless::String::<64>::new();
            let want = crate::saslprep::saslprep_heapless(password, &mut out).err();
            assert_eq!(Some(super::saslprep_error_without_tables(password)), want, "{password:?}");
        }
    }
}
