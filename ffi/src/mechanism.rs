//! Mechanism numbers, and the transparent key and credential structs.

use core::ffi::c_char;

use mongoauth::mech::scram::{
    AnyStoredCredentials, ScramHash, ScramKeys, SecretKey, Sha1, Sha256, StoredCredentials,
};

use crate::error::{Fail, mongoauth_error};
use crate::panic::{boundary, boundary_value};
use crate::ptr;
use crate::status::mongoauth_status::{self, *};

/// Authentication mechanisms, by pinned number. Functions take the number
/// as a `uint32_t` and reject unknown values with `INVALID_ARGUMENT`. The
/// SCRAM objects (`mongoauth_scram_*`) run 1 and 2 only (others are
/// `UNSUPPORTED_MECHANISM`); the authenticator runs SCRAM, PLAIN and
/// MONGODB-X509; connection strings name any of them. Where a mechanism is
/// optional, `MONGOAUTH_MECHANISM_DEFAULT` (0) means "negotiate
/// SCRAM-SHA-256 or SCRAM-SHA-1 with the server". Numbers 8 and up are
/// reserved.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mongoauth_mechanism {
    /// SCRAM-SHA-1 (RFC 5802) with MongoDB's MD5 password digest.
    MONGOAUTH_MECHANISM_SCRAM_SHA_1 = 1,
    /// SCRAM-SHA-256 (RFC 7677), the default since MongoDB 4.0.
    MONGOAUTH_MECHANISM_SCRAM_SHA_256 = 2,
    /// SASL PLAIN (LDAP proxy authentication; the password travels in the clear:
    /// use TLS).
    MONGOAUTH_MECHANISM_PLAIN = 3,
    /// Kerberos (parsed from connection strings; not run by this library).
    MONGOAUTH_MECHANISM_GSSAPI = 4,
    /// TLS client certificate.
    MONGOAUTH_MECHANISM_MONGODB_X509 = 5,
    /// AWS IAM: run by the authenticator's `_next` loop (the caller provides
    /// the time and the credentials).
    MONGOAUTH_MECHANISM_MONGODB_AWS = 6,
    /// OpenID Connect: run by the authenticator's `_next` loop (the caller
    /// provides the token).
    MONGOAUTH_MECHANISM_MONGODB_OIDC = 7,
}

/// No mechanism given: negotiate SCRAM-SHA-256 or SCRAM-SHA-1 (see
/// `mongoauth_mechanism`).
pub const MONGOAUTH_MECHANISM_DEFAULT: u32 = 0;

use mongoauth_mechanism::*;

/// Longer than the longest mechanism name (`MONGODB-OIDC`, 12 bytes), with room
/// to spare: a longer name is refused before any byte is read.
const MAX_MECHANISM_NAME_BYTES: usize = 32;

const ALL_MECHANISMS: [mongoauth_mechanism; 7] = [
    MONGOAUTH_MECHANISM_SCRAM_SHA_1,
    MONGOAUTH_MECHANISM_SCRAM_SHA_256,
    MONGOAUTH_MECHANISM_PLAIN,
    MONGOAUTH_MECHANISM_GSSAPI,
    MONGOAUTH_MECHANISM_MONGODB_X509,
    MONGOAUTH_MECHANISM_MONGODB_AWS,
    MONGOAUTH_MECHANISM_MONGODB_OIDC,
];

impl mongoauth_mechanism {
    /// Check a number from C (an out-of-range value in a Rust enum is UB):
    /// any known mechanism.
    pub(crate) fn any_from_u32(v: u32) -> Result<Self, Fail> {
        ALL_MECHANISMS.iter().copied().find(|m| *m as u32 == v).ok_or(Fail::arg(
            MONGOAUTH_STATUS_INVALID_ARGUMENT,
            "unknown mechanism number",
            "mechanism",
        ))
    }
    /// A SCRAM mechanism number (for the `mongoauth_scram_*` objects).
    pub(crate) fn from_u32(v: u32) -> Result<Self, Fail> {
        match Self::any_from_u32(v)? {
            m @ (MONGOAUTH_MECHANISM_SCRAM_SHA_1 | MONGOAUTH_MECHANISM_SCRAM_SHA_256) => Ok(m),
            _ => Err(not_scram()),
        }
    }
    /// The core's mechanism.
    pub(crate) fn to_core(self) -> mongoauth::mech::Mechanism {
        use mongoauth::mech::Mechanism as M;
        match self {
            MONGOAUTH_MECHANISM_SCRAM_SHA_1 => M::ScramSha1,
            MONGOAUTH_MECHANISM_SCRAM_SHA_256 => M::ScramSha256,
            MONGOAUTH_MECHANISM_PLAIN => M::Plain,
            MONGOAUTH_MECHANISM_GSSAPI => M::Gssapi,
            MONGOAUTH_MECHANISM_MONGODB_X509 => M::MongodbX509,
            MONGOAUTH_MECHANISM_MONGODB_AWS => M::MongodbAws,
            MONGOAUTH_MECHANISM_MONGODB_OIDC => M::MongodbOidc,
        }
    }
    /// The number of a core mechanism (0 for a mechanism this ABI does not
    /// know yet; the core's enum is non-exhaustive).
    pub(crate) fn number_of(m: mongoauth::mech::Mechanism) -> u32 {
        ALL_MECHANISMS.iter().find(|x| x.to_core() == m).map_or(0, |x| *x as u32)
    }
}

/// A mechanism the `mongoauth_scram_*` objects do not run.
pub(crate) fn not_scram() -> Fail {
    Fail::arg(
        MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM,
        "not a SCRAM mechanism (use the authenticator)",
        "mechanism",
    )
}

impl mongoauth_mechanism {
    pub(crate) fn name(self) -> &'static core::ffi::CStr {
        match self {
            MONGOAUTH_MECHANISM_SCRAM_SHA_1 => c"SCRAM-SHA-1",
            MONGOAUTH_MECHANISM_SCRAM_SHA_256 => c"SCRAM-SHA-256",
            MONGOAUTH_MECHANISM_PLAIN => c"PLAIN",
            MONGOAUTH_MECHANISM_GSSAPI => c"GSSAPI",
            MONGOAUTH_MECHANISM_MONGODB_X509 => c"MONGODB-X509",
            MONGOAUTH_MECHANISM_MONGODB_AWS => c"MONGODB-AWS",
            MONGOAUTH_MECHANISM_MONGODB_OIDC => c"MONGODB-OIDC",
        }
    }
}

/// The registered name of a mechanism (`"SCRAM-SHA-256"`, `"PLAIN"`) as a
/// static NUL-terminated string, or NULL for an unknown number (or 0).
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_mechanism_name(mechanism: u32) -> *const c_char {
    boundary_value(core::ptr::null(), || {
        mongoauth_mechanism::any_from_u32(mechanism)
            .map_or(core::ptr::null(), |m| m.name().as_ptr())
    })
}

/// Look a SASL mechanism name up (exact, case-sensitive, not NUL-terminated),
/// e.g. one of a hello reply's `saslSupportedMechs`; `*mechanism` receives
/// its number. An unknown name is `UNSUPPORTED_MECHANISM`.
///
/// # Safety
/// `name` is valid for `name_len` bytes; `mechanism` for one `uint32_t`;
/// `err` is NULL or a writable `mongoauth_error`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_mechanism_from_name(
    name: *const u8,
    name_len: usize,
    mechanism: *mut u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract. Longer than any mechanism name: refused
        // before a byte is read.
        let name = unsafe { ptr::bytes_max(name, name_len, MAX_MECHANISM_NAME_BYTES, "name") }?;
        // SAFETY: caller contract.
        let out = unsafe { ptr::out(mechanism, "mechanism") }?;
        let m = [MONGOAUTH_MECHANISM_SCRAM_SHA_1, MONGOAUTH_MECHANISM_SCRAM_SHA_256]
            .into_iter()
            .find(|m| m.name().to_bytes() == name)
            .ok_or(Fail::new(
                MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM,
                "unknown or unsupported mechanism name",
            ))?;
        *out = m as u32;
        Ok(())
    })
}

/// Longest salt, in bytes.
pub const MONGOAUTH_SCRAM_MAX_SALT_BYTES: usize = 64;
/// Longest server secret `mongoauth_scram_credentials_decoy` takes, in
/// bytes (an HMAC key: 32 random bytes are plenty).
pub const MONGOAUTH_SCRAM_MAX_SECRET_BYTES: usize = 64;
/// Longest key (a SHA-256 digest), in bytes.
pub const MONGOAUTH_SCRAM_MAX_KEY_BYTES: usize = 32;
/// `sizeof(mongoauth_scram_keys)` and `sizeof(mongoauth_scram_credentials)`.
pub const MONGOAUTH_SCRAM_KEYS_SIZE: usize = 144;
/// `sizeof(mongoauth_scram_credentials)`.
pub const MONGOAUTH_SCRAM_CREDENTIALS_SIZE: usize = 144;

/// A client's derived SCRAM keys with the salt and iteration count they
/// belong to: what a login computes from the password, and all a later login
/// needs. Export them after a login (`mongoauth_scram_client_keys`) to
/// provision a device without its password
/// (`mongoauth_scram_client_start_with_keys`). Secret: store them like a
/// password and wipe them with `mongoauth_memory_zero`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_scram_keys {
    /// A `mongoauth_mechanism` number.
    pub mechanism: u32,
    /// The iteration count the keys were derived with.
    pub iterations: u32,
    /// Bytes used in `salt`.
    pub salt_len: u32,
    /// Bytes used in each key: 20 (SHA-1) or 32 (SHA-256).
    pub key_len: u32,
    /// The salt.
    pub salt: [u8; MONGOAUTH_SCRAM_MAX_SALT_BYTES],
    /// `HMAC(SaltedPassword, "Client Key")`.
    pub client_key: [u8; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
}

/// What a server stores per user (RFC 5802 section 3): salt, iteration
/// count, StoredKey and ServerKey; never the password. Made with
/// `mongoauth_scram_credentials_generate` (as `createUser` does) or filled
/// from the caller's user store, then passed to
/// `mongoauth_scram_server_respond`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_scram_credentials {
    /// A `mongoauth_mechanism` number.
    pub mechanism: u32,
    /// The iteration count.
    pub iterations: u32,
    /// Bytes used in `salt`.
    pub salt_len: u32,
    /// Bytes used in each key: 20 (SHA-1) or 32 (SHA-256).
    pub key_len: u32,
    /// The salt.
    pub salt: [u8; MONGOAUTH_SCRAM_MAX_SALT_BYTES],
    /// `H(ClientKey)`.
    pub stored_key: [u8; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub server_key: [u8; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
}

const _: () = assert!(core::mem::size_of::<mongoauth_scram_keys>() == MONGOAUTH_SCRAM_KEYS_SIZE);
const _: () = assert!(
    core::mem::size_of::<mongoauth_scram_credentials>() == MONGOAUTH_SCRAM_CREDENTIALS_SIZE
);
const _: () = assert!(MONGOAUTH_SCRAM_MAX_SALT_BYTES == mongoauth::mech::scram::MAX_SALT_LEN);
const _: () = assert!(MONGOAUTH_SCRAM_MAX_KEY_BYTES == <Sha256 as ScramHash>::OUTPUT_LEN);

fn salt_of(salt: &[u8; MONGOAUTH_SCRAM_MAX_SALT_BYTES], len: u32) -> Result<&[u8], Fail> {
    salt.get(..len as usize).ok_or(Fail::arg(
        MONGOAUTH_STATUS_INVALID_ARGUMENT,
        "salt_len exceeds MONGOAUTH_SCRAM_MAX_SALT_BYTES",
        "salt_len",
    ))
}

fn key_of<H: ScramHash>(
    key: &[u8; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
    len: u32,
) -> Result<SecretKey<H>, Fail> {
    key.get(..len as usize).and_then(SecretKey::<H>::from_slice).ok_or(Fail::arg(
        MONGOAUTH_STATUS_INVALID_CREDENTIAL,
        "key_len does not match the mechanism's digest length",
        "key_len",
    ))
}

fn put(dst: &mut [u8], src: &[u8]) -> u32 {
    let n = src.len().min(dst.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
    n as u32
}

impl mongoauth_scram_keys {
    pub(crate) fn zeroed() -> Self {
        mongoauth_scram_keys {
            mechanism: 0,
            iterations: 0,
            salt_len: 0,
            key_len: 0,
            salt: [0; MONGOAUTH_SCRAM_MAX_SALT_BYTES],
            client_key: [0; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
            server_key: [0; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
        }
    }
    pub(crate) fn from_keys<H: ScramHash>(
        mechanism: mongoauth_mechanism,
        k: &ScramKeys<H>,
    ) -> Self {
        let mut out = Self::zeroed();
        out.mechanism = mechanism as u32;
        out.iterations = k.iterations;
        out.salt_len = put(&mut out.salt, k.salt());
        out.key_len = put(&mut out.client_key, k.client_key.expose());
        put(&mut out.server_key, k.server_key.expose());
        out
    }
    pub(crate) fn as_keys<H: ScramHash>(&self) -> Result<ScramKeys<H>, Fail> {
        let salt = salt_of(&self.salt, self.salt_len)?;
        let ck = key_of::<H>(&self.client_key, self.key_len)?;
        let sk = key_of::<H>(&self.server_key, self.key_len)?;
        Ok(ScramKeys::from_parts(salt, self.iterations, ck, sk)?)
    }
}

impl mongoauth_scram_credentials {
    fn zeroed() -> Self {
        mongoauth_scram_credentials {
            mechanism: 0,
            iterations: 0,
            salt_len: 0,
            key_len: 0,
            salt: [0; MONGOAUTH_SCRAM_MAX_SALT_BYTES],
            stored_key: [0; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
            server_key: [0; MONGOAUTH_SCRAM_MAX_KEY_BYTES],
        }
    }
    fn from_stored<H: ScramHash>(mechanism: mongoauth_mechanism, c: &StoredCredentials<H>) -> Self {
        let mut out = Self::zeroed();
        out.mechanism = mechanism as u32;
        out.iterations = c.iterations();
        out.salt_len = put(&mut out.salt, c.salt());
        out.key_len = put(&mut out.stored_key, c.stored_key().expose());
        put(&mut out.server_key, c.server_key().expose());
        out
    }
    fn as_stored<H: ScramHash>(&self) -> Result<StoredCredentials<H>, Fail> {
        let salt = salt_of(&self.salt, self.salt_len)?;
        let st = key_of::<H>(&self.stored_key, self.key_len)?;
        let sk = key_of::<H>(&self.server_key, self.key_len)?;
        Ok(StoredCredentials::from_parts(salt, self.iterations, st, sk)?)
    }
    pub(crate) fn as_any(&self) -> Result<AnyStoredCredentials, Fail> {
        Ok(match mongoauth_mechanism::from_u32(self.mechanism)? {
            MONGOAUTH_MECHANISM_SCRAM_SHA_1 => AnyStoredCredentials::Sha1(self.as_stored()?),
            MONGOAUTH_MECHANISM_SCRAM_SHA_256 => AnyStoredCredentials::Sha256(self.as_stored()?),
            _ => return Err(not_scram()),
        })
    }
}

/// Derive a user's stored credentials from a password, as MongoDB's
/// `createUser` does (SCRAM-SHA-1: MD5 digest of `user:mongo:password`;
/// SCRAM-SHA-256: SASLprep). `salt` should be random (16 bytes for SHA-1,
/// 28 for SHA-256) and `iterations` at least 4096 (mongod: 10000 / 15000).
/// Runs PBKDF2: slow on purpose.
///
/// # Safety
/// Each `(pointer, length)` pair is readable; `out` is writable; `err` is
/// NULL or a writable `mongoauth_error`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_scram_credentials_generate(
    mechanism: u32,
    username: *const u8,
    username_len: usize,
    password: *const u8,
    password_len: usize,
    salt: *const u8,
    salt_len: usize,
    iterations: u32,
    out: *mut mongoauth_scram_credentials,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        let mech = mongoauth_mechanism::from_u32(mechanism)?;
        // SAFETY: caller contract, for each argument below.
        let username = unsafe {
            ptr::text_max(
                username,
                username_len,
                crate::MONGOAUTH_SCRAM_MAX_USERNAME_BYTES,
                "username",
            )
        }?;
        // SAFETY: as above.
        let password = unsafe {
            ptr::text_max(
                password,
                password_len,
                crate::MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES,
                "password",
            )
        }?;
        // SAFETY: as above.
        let salt =
            unsafe { ptr::bytes_max(salt, salt_len, MONGOAUTH_SCRAM_MAX_SALT_BYTES, "salt") }?;
        // SAFETY: as above.
        let out = unsafe { ptr::out(out, "out") }?;
        *out = match mech {
            MONGOAUTH_MECHANISM_SCRAM_SHA_1 => mongoauth_scram_credentials::from_stored(
                mech,
                &StoredCredentials::<Sha1>::generate(username, password, salt, iterations)?,
            ),
            MONGOAUTH_MECHANISM_SCRAM_SHA_256 => mongoauth_scram_credentials::from_stored(
                mech,
                &StoredCredentials::<Sha256>::generate(username, password, salt, iterations)?,
            ),
            _ => return Err(not_scram()),
        };
        Ok(())
    })
}

/// Credentials for a user that does not exist, so the conversation runs to
/// the proof check and fails there exactly like a wrong password (no user
/// enumeration). `secret` is a per-server random value; the same username
/// always gets the same salt.
///
/// # Safety
/// As `mongoauth_scram_credentials_generate`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_credentials_decoy(
    mechanism: u32,
    secret: *const u8,
    secret_len: usize,
    username: *const u8,
    username_len: usize,
    out: *mut mongoauth_scram_credentials,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        let mech = mongoauth_mechanism::from_u32(mechanism)?;
        // SAFETY: caller contract, for each argument below.
        let secret = unsafe {
            ptr::bytes_max(secret, secret_len, MONGOAUTH_SCRAM_MAX_SECRET_BYTES, "secret")
        }?;
        // SAFETY: as above.
        let username = unsafe {
            ptr::text_max(
                username,
                username_len,
                crate::MONGOAUTH_SCRAM_MAX_USERNAME_BYTES,
                "username",
            )
        }?;
        // SAFETY: as above.
        let out = unsafe { ptr::out(out, "out") }?;
        *out = match mech {
            MONGOAUTH_MECHANISM_SCRAM_SHA_1 => mongoauth_scram_credentials::from_stored(
                mech,
                &StoredCredentials::<Sha1>::decoy(secret, username),
            ),
            MONGOAUTH_MECHANISM_SCRAM_SHA_256 => mongoauth_scram_credentials::from_stored(
                mech,
                &StoredCredentials::<Sha256>::decoy(secret, username),
            ),
            _ => return Err(not_scram()),
        };
        Ok(())
    })
}

/// `sizeof(mongoauth_scram_keys)`, for bindings that lay the struct out themselves.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_keys_size() -> usize {
    core::mem::size_of::<mongoauth_scram_keys>()
}

/// `sizeof(mongoauth_scram_credentials)`, for bindings that lay the struct out themselves.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_credentials_size() -> usize {
    core::mem::size_of::<mongoauth_scram_credentials>()
}

/// `MONGOAUTH_SCRAM_MAX_SALT_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_max_salt_bytes() -> usize {
    MONGOAUTH_SCRAM_MAX_SALT_BYTES
}

/// `MONGOAUTH_SCRAM_MAX_SECRET_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_max_secret_bytes() -> usize {
    MONGOAUTH_SCRAM_MAX_SECRET_BYTES
}

/// `MONGOAUTH_SCRAM_MAX_KEY_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_max_key_bytes() -> usize {
    MONGOAUTH_SCRAM_MAX_KEY_BYTES
}
