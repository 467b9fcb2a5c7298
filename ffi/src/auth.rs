//! `mongoauth_authenticator`: a connection's login (the core's sans-I/O
//! `mongoauth::client::Authenticator`), with commands out and replies in as
//! BSON documents or whole OP_MSG frames, and `mongoauth_authenticator_handshake`, the
//! core's blocking `mongoauth::io::authenticate` over C read/write
//! callbacks.

use core::ffi::c_void;

use mongoauth::client::{
    AUTH_ENTROPY_LEN, AuthConfig, Authenticator, Credential, Need, Outcome, Step,
};
use mongoauth::codec::wire;
use mongoauth::io::HandshakeError;
use mongoauth::mech::gssapi::GssConfig;
use mongoauth::mech::scram::KeyStore;
use mongoauth::mech::{aws, oidc};
use zeroize::Zeroize;

use crate::cache::{CacheState, mongoauth_key_cache};
use crate::error::{Fail, mongoauth_error};
use crate::mechanism::mongoauth_mechanism;
use crate::object::{self, Object};
use crate::panic::boundary;
use crate::ptr;
use crate::status::mongoauth_status::{self, *};
use crate::uri::{UriState, mongoauth_uri, no_credential};

/// `sizeof(mongoauth_authenticator)`: bytes of caller memory one needs.
pub const MONGOAUTH_AUTHENTICATOR_SIZE: usize = 20480;
/// `_Alignof(mongoauth_authenticator)`.
pub const MONGOAUTH_AUTHENTICATOR_ALIGN: usize = 8;
/// Random bytes `mongoauth_authenticator_start` takes (two nonces).
pub const MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES: usize = 48;
/// Longest username the authenticator holds (an X.509 subject may be long;
/// SCRAM and PLAIN allow `MONGOAUTH_SCRAM_MAX_USERNAME_BYTES`).
pub const MONGOAUTH_AUTHENTICATOR_MAX_USERNAME_BYTES: usize = 512;
/// Longest authentication database name (MongoDB's limit is 64).
pub const MONGOAUTH_AUTHENTICATOR_MAX_SOURCE_BYTES: usize = 64;
/// A `mongoauth_authenticator_handshake` buffer this large holds any reply a MongoDB
/// server sends during the handshake.
pub const MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES: usize = 4096;
/// Capacity of the authenticator's payload buffer: a GSS token of
/// `MONGOAUTH_GSS_MAX_TOKEN_BYTES` (a Kerberos ticket with a large PAC),
/// an OIDC token of `MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES` with its BSON
/// framing, and the largest MONGODB-AWS client payload (a session token at
/// its limit). A payload beyond it is `CAPACITY`, never cut.
pub const MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES: usize = 16448;
/// Longest OIDC access token `mongoauth_authenticator_provide_token` takes.
pub const MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES: usize = 8192;
/// Longest AWS access key id / secret access key
/// `mongoauth_authenticator_provide_aws_credentials` takes.
pub const MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES: usize = 128;
/// Longest AWS session token it takes.
pub const MONGOAUTH_AUTHENTICATOR_MAX_AWS_SESSION_TOKEN_BYTES: usize = 4096;

const _: () = assert!(MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES == oidc::MAX_TOKEN_LEN);
const _: () = assert!(MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES >= oidc::MAX_TOKEN_LEN + 64);
const _: () = assert!(MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES >= aws::MAX_CLIENT_SECOND_LEN);
const _: () =
    assert!(MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES >= mongoauth::mech::gssapi::MAX_TOKEN_LEN + 64);
const _: () = assert!(MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES == aws::MAX_ACCESS_KEY_ID_LEN);
const _: () = assert!(MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES == aws::MAX_SECRET_ACCESS_KEY_LEN);
const _: () =
    assert!(MONGOAUTH_AUTHENTICATOR_MAX_AWS_SESSION_TOKEN_BYTES == aws::MAX_SESSION_TOKEN_LEN);

/// The core authenticator the C object holds, with a payload buffer big
/// enough for AWS session tokens and OIDC tokens.
type CAuth = Authenticator<'static, MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES>;

const _: () = assert!(MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES == AUTH_ENTROPY_LEN);

/// A connection's login: opening `hello` (with `saslSupportedMechs` and a
/// speculative first step), mechanism negotiation, then SCRAM-SHA-256,
/// SCRAM-SHA-1, PLAIN, MONGODB-X509, MONGODB-AWS or MONGODB-OIDC until the
/// server is verified. Opaque: declare one or carve
/// `MONGOAUTH_AUTHENTICATOR_SIZE` bytes aligned to
/// `MONGOAUTH_AUTHENTICATOR_ALIGN`, `_init_static` (or `_new`), `_start`
/// (or `_start_uri`), then loop on `_next`: SEND -> `_command`, send,
/// receive, `_handle_reply`; NEED_* -> the matching `_provide_*`; DONE ->
/// `_is_authenticated`. (SCRAM, PLAIN and X.509 only ever SEND, so the
/// older loop { `_command`; `_handle_reply` } until done still works.) Or
/// hand a SCRAM/PLAIN/X.509 login to `mongoauth_authenticator_handshake`.
/// The object owns a copy of the credential (wiped by `_clear`/`_free`
/// and by the next `_start`) and holds no pointer into itself (only to a
/// key cache, if one is set, which must stay in place). Not thread-safe.
#[allow(non_camel_case_types)]
#[repr(C, align(8))]
pub struct mongoauth_authenticator {
    _opaque: [u8; MONGOAUTH_AUTHENTICATOR_SIZE],
}

/// A credential for `mongoauth_authenticator_start`. Strings are UTF-8, not
/// NUL-terminated, and copied by the call.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_credential {
    /// A `mongoauth_mechanism` number, or `MONGOAUTH_MECHANISM_DEFAULT` (0)
    /// to negotiate SCRAM-SHA-256 or SCRAM-SHA-1 with the server.
    pub mechanism: u32,
    /// The username, or NULL for none (X.509 from the certificate).
    pub username: *const u8,
    /// Its length in bytes.
    pub username_len: usize,
    /// The password, or NULL for none (X.509).
    pub password: *const u8,
    /// Its length in bytes.
    pub password_len: usize,
    /// The database the auth commands go to (`admin` for SCRAM users,
    /// `$external` for PLAIN and X.509); required.
    pub source: *const u8,
    /// Its length in bytes.
    pub source_len: usize,
}

pub(crate) struct AuthState {
    /// The login; it owns its credential. Its GSSAPI target is the `gss`
    /// below, attached for the length of each call only ([`Attached`]), so
    /// that between calls it holds no pointer into this object and the
    /// object may be moved.
    auth: Option<CAuth>,
    config: AuthConfig,
    cache: *const mongoauth_key_cache,
    /// The GSSAPI target of the current login (built at `_start`).
    gss: Option<GssConfig>,
    /// What `_set_gss_host` / `_set_gss_properties` said, for the next start.
    pub(crate) gss_settings: crate::gss::GssSettings,
    /// The system library's context, from the first `_provide_gss_system`
    /// of a login to the next start.
    #[cfg(feature = "gssapi-system")]
    pub(crate) gss_system: Option<mongoauth::mech::gssapi_system::SystemInitiator>,
}

impl Default for AuthState {
    fn default() -> Self {
        AuthState {
            auth: None,
            config: AuthConfig::default(),
            cache: core::ptr::null(),
            gss: None,
            gss_settings: crate::gss::GssSettings::default(),
            #[cfg(feature = "gssapi-system")]
            gss_system: None,
        }
    }
}

/// The started authenticator with its GSSAPI target attached (a reference
/// into the same object); detached again when dropped, before the export
/// returns, so that no pointer into the object outlives the call.
pub(crate) struct Attached<'a> {
    auth: &'a mut CAuth,
}

impl core::ops::Deref for Attached<'_> {
    type Target = CAuth;
    fn deref(&self) -> &CAuth {
        self.auth
    }
}

impl core::ops::DerefMut for Attached<'_> {
    fn deref_mut(&mut self) -> &mut CAuth {
        self.auth
    }
}

impl Drop for Attached<'_> {
    fn drop(&mut self) {
        self.auth.set_gssapi(None);
    }
}

impl Object for AuthState {
    type Public = mongoauth_authenticator;
    const MAGIC: u64 = 0x4d41_4155_5448_4e00; // "MAAUTHN\0"
    const NAME: &'static str = "authenticator";
}

const _: () = assert!(object::fits::<AuthState>());
const _: () =
    assert!(core::mem::align_of::<mongoauth_authenticator>() == MONGOAUTH_AUTHENTICATOR_ALIGN);
const _: () =
    assert!(MONGOAUTH_AUTHENTICATOR_MAX_USERNAME_BYTES == mongoauth::client::MAX_USERNAME_LEN);
const _: () =
    assert!(MONGOAUTH_AUTHENTICATOR_MAX_SOURCE_BYTES == mongoauth::client::MAX_SOURCE_LEN);

fn not_started() -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_UNEXPECTED_STEP,
        "the authenticator has not been started: call mongoauth_authenticator_start",
    )
}

impl AuthState {
    /// Build the authenticator over an owned credential; `gss` is its
    /// GSSAPI target (required for a GSSAPI login, else ignored).
    fn begin(
        &mut self,
        cred: Credential,
        gss: Option<GssConfig>,
        entropy: &[u8],
    ) -> Result<(), Fail> {
        self.gss = None;
        #[cfg(feature = "gssapi-system")]
        {
            self.gss_system = None;
        }
        let entropy: &[u8; AUTH_ENTROPY_LEN] = entropy.try_into().map_err(|_| {
            Fail::arg(
                MONGOAUTH_STATUS_INVALID_NONCE,
                "exactly MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES (48) random bytes are required",
                "entropy",
            )
        })?;
        if cred.source().is_empty() {
            return Err(Fail::arg(
                MONGOAUTH_STATUS_INVALID_CREDENTIAL,
                "the authentication database is required (admin, $external, ...)",
                "source",
            ));
        }
        let mut auth = CAuth::with_payload_capacity(cred, self.config, entropy)?;
        if !self.cache.is_null() {
            // SAFETY: the caller promised the cache outlives the login and
            // stays in place (documented at
            // `mongoauth_authenticator_set_key_cache`); it is another object,
            // shared (`&`), never borrowed mutably.
            let c = unsafe { object::get::<CacheState>(self.cache) }?;
            let store: &'static dyn KeyStore = &c.0;
            auth = auth.with_key_cache(store);
        }
        self.auth = Some(auth);
        self.gss = gss;
        Ok(())
    }

    /// The started login, for calls that never reach its GSSAPI target.
    pub(crate) fn auth(&self) -> Result<&CAuth, Fail> {
        self.auth.as_ref().ok_or_else(not_started)
    }

    /// The started login with its GSSAPI target attached for this call.
    pub(crate) fn auth_mut(&mut self) -> Result<Attached<'_>, Fail> {
        // SAFETY: `gss` lives in this object next to `auth` and is not
        // touched while the returned guard (which borrows `self` mutably)
        // lives; the guard detaches the reference when dropped, so it
        // never outlives this borrow (the `'static` is never observed).
        let gss: Option<&'static GssConfig> =
            self.gss.as_ref().map(|g| unsafe { &*(g as *const GssConfig) });
        let auth = self.auth.as_mut().ok_or_else(not_started)?;
        auth.set_gssapi(gss);
        Ok(Attached { auth })
    }
}

/// `MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_payload_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES
}

/// `MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_max_token_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES
}

/// `MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_max_aws_key_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES
}

/// `MONGOAUTH_AUTHENTICATOR_MAX_AWS_SESSION_TOKEN_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_max_aws_session_token_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_MAX_AWS_SESSION_TOKEN_BYTES
}

/// `MONGOAUTH_AUTHENTICATOR_SIZE` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_size() -> usize {
    core::mem::size_of::<mongoauth_authenticator>()
}

/// `MONGOAUTH_AUTHENTICATOR_ALIGN` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_align() -> usize {
    core::mem::align_of::<mongoauth_authenticator>()
}

/// `MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_entropy_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES
}

/// `MONGOAUTH_AUTHENTICATOR_MAX_USERNAME_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_max_username_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_MAX_USERNAME_BYTES
}

/// `MONGOAUTH_AUTHENTICATOR_MAX_SOURCE_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_max_source_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_MAX_SOURCE_BYTES
}

/// `MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_authenticator_handshake_buffer_bytes() -> usize {
    MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES
}

/// Make an idle authenticator in caller memory (`mem_len` at least
/// `MONGOAUTH_AUTHENTICATOR_SIZE`, aligned to
/// `MONGOAUTH_AUTHENTICATOR_ALIGN`). Never allocates.
///
/// # Safety
/// `mem` is valid for `mem_len` writable bytes that outlive the object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_init_static(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut mongoauth_authenticator,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::init_static::<AuthState>(mem, mem_len, out) })
}

/// Wipe a caller-memory authenticator (credential copy included); later
/// use reports `INVALID_OBJECT`. Heap objects are refused (`WRONG_ALLOCATION`).
///
/// # Safety
/// `auth` is NULL or points to `MONGOAUTH_AUTHENTICATOR_SIZE` accessible bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_clear(
    auth: *mut mongoauth_authenticator,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::clear::<AuthState>(auth) })
}

/// Allocate an idle authenticator on the heap (release with
/// `mongoauth_authenticator_free`). Only with the `alloc` feature.
///
/// # Safety
/// `out` is writable.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_new(
    out: *mut *mut mongoauth_authenticator,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::new::<AuthState>(out) })
}

/// Wipe and release a heap authenticator; NULL is a no-op.
///
/// # Safety
/// `auth` is NULL or from `mongoauth_authenticator_new`, not yet freed.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_free(
    auth: *mut mongoauth_authenticator,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(core::ptr::null_mut(), || unsafe { object::free::<AuthState>(auth) })
}

/// Set a policy knob; applies from the next `_start`.
///
/// # Safety
/// `auth` points to an authenticator object.
unsafe fn configure(
    auth: *mut mongoauth_authenticator,
    err: *mut mongoauth_error,
    f: impl FnOnce(&mut AuthState),
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        f(a);
        Ok(())
    })
}

/// Cap the SCRAM iteration count the client computes (default
/// `MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS`). Applies from the next `_start`.
///
/// # Safety
/// `auth` points to an authenticator object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_set_max_iterations(
    auth: *mut mongoauth_authenticator,
    max_iterations: u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe { configure(auth, err, |a| a.config.scram.max_iterations = max_iterations) }
}

/// Whether to try the first auth step inside the `hello` (speculative
/// authentication, one round trip less; default true). Applies from the
/// next `_start`.
///
/// # Safety
/// `auth` points to an authenticator object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_set_speculative(
    auth: *mut mongoauth_authenticator,
    speculative: bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe { configure(auth, err, |a| a.config.speculative = speculative) }
}

/// Whether the opening command is the legacy `isMaster` with `helloOk`
/// (default true, as the handshake spec says without a Stable API version
/// or load balancing) or `hello`. Applies from the next `_start`.
///
/// # Safety
/// `auth` points to an authenticator object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_set_legacy_hello(
    auth: *mut mongoauth_authenticator,
    legacy_hello: bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe { configure(auth, err, |a| a.config.legacy_hello = legacy_hello) }
}

/// Use a key cache for SCRAM (a repeated login skips PBKDF2), or NULL for
/// none. Applies from the next `_start`. One cache may serve many
/// authenticators: they share it (the core never holds it mutably), but a
/// cache is not thread-safe, so every authenticator using one cache must
/// be driven from one thread at a time (or behind one lock of yours). The
/// cache must stay alive and in place (not cleared, freed or moved) until
/// every authenticator using it is cleared, freed or started again.
///
/// # Safety
/// `auth` points to an authenticator object; `cache` is NULL or a cache
/// object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_set_key_cache(
    auth: *mut mongoauth_authenticator,
    cache: *mut mongoauth_key_cache,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        if !cache.is_null() {
            // SAFETY: caller contract; checks it is a live cache.
            unsafe { object::get::<CacheState>(cache) }?;
        }
        // SAFETY: caller contract.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        a.cache = cache.cast_const();
        Ok(())
    })
}

/// Start (or restart) a login with `cred` (copied) and
/// `MONGOAUTH_AUTHENTICATOR_ENTROPY_BYTES` (48) bytes from a cryptographic random
/// source. Checks the credential against the mechanism (a SCRAM or PLAIN
/// login needs a username and password; X.509 takes no password;
/// MONGODB-AWS takes neither, its keys are asked for with
/// `mongoauth_authenticator_next`; MONGODB-OIDC takes an optional username
/// and no password, its token is asked for likewise; both need source
/// `$external`; GSSAPI is `UNSUPPORTED_MECHANISM`) and SASLprep's the
/// password.
/// A previous login in the object is wiped first.
///
/// # Safety
/// `auth` points to an authenticator object; `cred` is readable, with its
/// strings readable; `entropy` is readable for `entropy_len` bytes; `err`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_start(
    auth: *mut mongoauth_authenticator,
    cred: *const mongoauth_credential,
    entropy: *const u8,
    entropy_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for every pointer below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        a.auth = None;
        // SAFETY: as above.
        let cred = unsafe { ptr::input(cred, "cred") }?;
        let mechanism = match cred.mechanism {
            0 => None,
            n => Some(mongoauth_mechanism::any_from_u32(n)?.to_core()),
        };
        // SAFETY: as above.
        let entropy = unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?;
        let opt = |p: *const u8, n: usize, max: usize, what| -> Result<Option<&str>, Fail> {
            if p.is_null() && n == 0 {
                Ok(None)
            } else if n > max {
                // Refused before any byte behind the pointer is read.
                Err(Fail::arg(
                    MONGOAUTH_STATUS_CAPACITY,
                    "longer than the authenticator holds",
                    what,
                ))
            } else {
                // SAFETY: as above.
                unsafe { ptr::text(p, n, what) }.map(Some)
            }
        };
        let username = opt(
            cred.username,
            cred.username_len,
            MONGOAUTH_AUTHENTICATOR_MAX_USERNAME_BYTES,
            "username",
        )?;
        let password = opt(
            cred.password,
            cred.password_len,
            crate::MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES,
            "password",
        )?;
        let source =
            opt(cred.source, cred.source_len, MONGOAUTH_AUTHENTICATOR_MAX_SOURCE_BYTES, "source")?
                .unwrap_or_default();
        let c = Credential::new(mechanism, username, password, source)?;
        let gss = a.gss_settings.config(c.mechanism())?;
        a.begin(c, gss, entropy)
    })
}

/// Start a login with the credential of a parsed connection string
/// (username, password, `authSource`, `authMechanism`, decoded and checked
/// by the auth spec's rules): `URI_CREDENTIAL` for a broken rule,
/// `INVALID_CREDENTIAL` when the URI asks for no authentication. The
/// credential is copied: the `mongoauth_uri` may be cleared afterwards.
///
/// # Safety
/// `auth` points to an authenticator object; `uri` to a parsed connection
/// string object; `entropy` is readable for `entropy_len` bytes; `err` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_start_uri(
    auth: *mut mongoauth_authenticator,
    uri: *const mongoauth_uri,
    entropy: *const u8,
    entropy_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for every pointer below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        a.auth = None;
        // SAFETY: as above.
        let u = unsafe { object::get::<UriState>(uri) }?;
        // SAFETY: as above.
        let entropy = unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?;
        let c = u.credential()?.ok_or_else(no_credential)?;
        let gss = a.gss_settings.config_uri(u, &c)?;
        let cred = c.to_owned()?;
        a.begin(cred, gss, entropy)
    })
}

/// The next command to send as a BSON document (with `$db`), into `(out,
/// capacity, *written)`; a short buffer gives `BUFFER_TOO_SMALL` with the
/// size needed in `*written` (`out = NULL, capacity = 0` queries it).
/// Repeatable until the reply is handled. `UNEXPECTED_STEP` when nothing is
/// to be sent (not started, done or failed). For a PLAIN login the command
/// holds the password: wipe the buffer after sending.
///
/// # Safety
/// `auth` points to an authenticator object; `out` is writable for
/// `capacity` bytes; `written` is writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_command(
    auth: *const mongoauth_authenticator,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe { command(auth, None, out, capacity, written, err) }
}

/// As `mongoauth_authenticator_command`, framed as a whole OP_MSG message
/// with `request_id` (the caller's counter; match the reply with
/// `mongoauth_authenticator_handle_reply_frame`).
///
/// # Safety
/// As `mongoauth_authenticator_command`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_command_frame(
    auth: *const mongoauth_authenticator,
    request_id: i32,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe { command(auth, Some(request_id), out, capacity, written, err) }
}

/// # Safety
/// As `mongoauth_authenticator_command`.
unsafe fn command(
    auth: *const mongoauth_authenticator,
    request_id: Option<i32>,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let a = unsafe { object::get::<AuthState>(auth) }?;
        let cmd = a.auth()?.command().ok_or(Fail::new(
            MONGOAUTH_STATUS_UNEXPECTED_STEP,
            "nothing to send: the login is over (done or failed)",
        ))?;
        // SAFETY: caller contract.
        let w = unsafe { ptr::out(written, "written") }?;
        // SAFETY: caller contract.
        let dst = unsafe { ptr::bytes_mut(out.cast(), capacity, "out") }?;
        let r = match request_id {
            None => wire::encode_document(&cmd, dst),
            Some(id) => wire::encode_message(id, 0, &cmd, dst),
        };
        match r {
            Ok(n) => {
                *w = n;
                Ok(())
            }
            Err(wire::WireError::BufferTooSmall(mongoauth::BufferTooSmall { required })) => {
                *w = required;
                Err(Fail::buffer(required))
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// Turn a handled reply into the C result: the login's error with its
/// context, `*done`, and `NOT_AUTHENTICATED` for a handshake that ended
/// without a verified login (an arbiter).
///
/// # Safety
/// `done` is NULL or writable.
unsafe fn reply_result(
    auth: &CAuth,
    r: Result<(), mongoauth::Error>,
    done: *mut bool,
) -> Result<(), Fail> {
    if let Err(e) = r {
        return Err(match auth.error() {
            Some(l) if l.error() == &e => Fail::login(l),
            _ => Fail::from(e),
        });
    }
    let outcome = auth.outcome();
    // SAFETY: caller contract.
    if let Some(d) = unsafe { ptr::opt_mut(done) } {
        *d = outcome.is_some();
    }
    match outcome {
        Some(o) if !o.is_authenticated() => Err(not_authenticated(o)),
        _ => Ok(()),
    }
}

fn not_authenticated(o: Outcome) -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_NOT_AUTHENTICATED,
        match o {
            Outcome::Arbiter => {
                "the server is an arbiter: the handshake ended without a login (not authenticated)"
            }
            _ => "the handshake ended without a verified login (not authenticated)",
        },
    )
}

/// Handle the reply (its BSON body document) to the last command. On
/// success `*done` (optional) is false if another command is to be sent,
/// true once the login is complete and verified. A handshake that ends
/// without a verified login (an arbiter's hello reply) sets `*done` and
/// returns `NOT_AUTHENTICATED`: never treat it as a login. A wrong username
/// or password is `AUTHENTICATION_FAILED` (the server's code 18 in
/// `err->server_code`; the message names the mechanism, user, database and
/// command, and the server's errmsg, escaped); another server error (`ok:
/// 0`) is `COMMAND_FAILED` with its code; a malformed reply
/// `BSON_MALFORMED`; a server breaking the protocol `PROTOCOL` or a SCRAM
/// status. Any failure ends the login.
///
/// # Safety
/// `auth` points to an authenticator object; `body` is readable for
/// `body_len` bytes; `done` is NULL or writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_handle_reply(
    auth: *mut mongoauth_authenticator,
    body: *const u8,
    body_len: usize,
    done: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let body = unsafe {
            ptr::bytes_max(body, body_len, mongoauth::codec::wire::MAX_MESSAGE_SIZE, "body")
        }?;
        let mut auth = a.auth_mut()?;
        let r = auth.handle_reply(body).map(|_| ());
        // SAFETY: as above.
        unsafe { reply_result(&auth, r, done) }
    })
}

/// As `mongoauth_authenticator_handle_reply`, for a whole OP_MSG reply
/// frame, which must answer `request_id` (its `responseTo`; else
/// `PROTOCOL`). A malformed frame (`FRAME_MALFORMED`,
/// `UNSUPPORTED_OPCODE`, `CHECKSUM_MISMATCH`, ...) or a wrong `responseTo`
/// leaves the login waiting for the right reply.
///
/// # Safety
/// As `mongoauth_authenticator_handle_reply`, with `frame` readable for
/// `frame_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_handle_reply_frame(
    auth: *mut mongoauth_authenticator,
    frame: *const u8,
    frame_len: usize,
    request_id: i32,
    done: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let frame = unsafe {
            ptr::bytes_max(frame, frame_len, mongoauth::codec::wire::MAX_MESSAGE_SIZE, "frame")
        }?;
        let mut auth = a.auth_mut()?;
        let r = auth.handle_reply_frame(frame, request_id).map(|_| ());
        // SAFETY: as above.
        unsafe { reply_result(&auth, r, done) }
    })
}

/// Whether the login succeeded (for SCRAM, the server's signature
/// verified). NULL, or memory that is not a live authenticator (never
/// initialised, another type, cleared), or one busy in a callback, answers
/// `false`.
///
/// # Safety
/// `auth` is NULL or points to `MONGOAUTH_AUTHENTICATOR_SIZE` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_is_authenticated(
    auth: *const mongoauth_authenticator,
) -> bool {
    // SAFETY: caller contract.
    unsafe {
        object::predicate::<AuthState>(auth, |a| {
            Ok(a.auth.as_ref().is_some_and(CAuth::is_authenticated))
        })
    }
}

/// The mechanism in use (`*mechanism`, a `mongoauth_mechanism` number)
/// once the hello reply is handled (negotiated, or as configured);
/// `MONGOAUTH_MECHANISM_DEFAULT` (0) before.
///
/// # Safety
/// `auth` points to an authenticator object; `mechanism` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_mechanism(
    auth: *const mongoauth_authenticator,
    mechanism: *mut u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let a = unsafe { object::get::<AuthState>(auth) }?;
        let m = a.auth()?.mechanism().map_or(0, mongoauth_mechanism::number_of);
        // SAFETY: caller contract.
        *unsafe { ptr::out(mechanism, "mechanism") }? = m;
        Ok(())
    })
}

/// Whether the server took the speculative first step in the hello (a
/// round trip saved); `false` before `_start`.
/// NULL, or memory that is not a live authenticator (never initialised, another
/// type, cleared), or one busy in a callback, answers `false`.
///
/// # Safety
/// `auth` is NULL or points to `MONGOAUTH_AUTHENTICATOR_SIZE` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_used_speculative(
    auth: *const mongoauth_authenticator,
) -> bool {
    // SAFETY: caller contract.
    unsafe { object::predicate::<AuthState>(auth, |a| Ok(a.auth()?.used_speculative())) }
}

/// What a login wants next, from `mongoauth_authenticator_next`: the one
/// loop for every mechanism.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mongoauth_next {
    /// Send `mongoauth_authenticator_command` (or `_command_frame`), then
    /// pass the reply to `_handle_reply` (or `_handle_reply_frame`).
    MONGOAUTH_NEXT_SEND = 1,
    /// MONGODB-AWS: the current time, with
    /// `mongoauth_authenticator_provide_time`.
    MONGOAUTH_NEXT_NEED_TIME = 2,
    /// MONGODB-AWS: the keys, with
    /// `mongoauth_authenticator_provide_aws_credentials`.
    MONGOAUTH_NEXT_NEED_AWS_CREDENTIALS = 3,
    /// MONGODB-OIDC: an access token, with
    /// `mongoauth_authenticator_provide_token`.
    MONGOAUTH_NEXT_NEED_OIDC_TOKEN = 4,
    // 5 was NEED_GSS_TOKEN (reserved, never produced): retired.
    /// The handshake is over: `mongoauth_authenticator_is_authenticated`
    /// says whether it is a login.
    MONGOAUTH_NEXT_DONE = 6,
    /// GSSAPI: a security-context step (`gss_init_sec_context` on the
    /// input token, toward the target, as the principal): read it with
    /// `mongoauth_authenticator_gss_request`, answer with
    /// `mongoauth_authenticator_provide_gss_step` (or let
    /// `_provide_gss_with` / `_provide_gss_system` answer every GSS need).
    MONGOAUTH_NEXT_NEED_GSS_INIT = 7,
    /// GSSAPI: unwrap the server's security-layer token
    /// (`mongoauth_authenticator_gss_request`'s input), answer with
    /// `mongoauth_authenticator_provide_gss_unwrapped`.
    MONGOAUTH_NEXT_NEED_GSS_UNWRAP = 8,
    /// GSSAPI: wrap (integrity only) the security-layer answer, answer
    /// with `mongoauth_authenticator_provide_gss_wrapped`.
    MONGOAUTH_NEXT_NEED_GSS_WRAP = 9,
}

/// What the login wants next (`*next`): send a command, supply an input
/// (`_provide_time`, `_provide_aws_credentials`, `_provide_token`), or
/// nothing (done). Asking again gives the same answer until the step is
/// taken. `UNEXPECTED_STEP` when the login was not started.
///
/// # Safety
/// `auth` points to an authenticator object; `next` is writable; `err` is
/// NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_next(
    auth: *const mongoauth_authenticator,
    next: *mut mongoauth_next,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    use mongoauth_next::*;
    boundary(err, || {
        // SAFETY: caller contract. The GSSAPI target is attached for the
        // call and detached again (`Attached`): the state is unchanged, so
        // the pointer stays `const` for C.
        let a = unsafe { object::get_mut::<AuthState>(auth.cast_mut()) }?;
        let auth = a.auth_mut()?;
        let n = match auth.step() {
            Step::Send(_) => MONGOAUTH_NEXT_SEND,
            Step::Need(Need::Time) => MONGOAUTH_NEXT_NEED_TIME,
            Step::Need(Need::AwsCredentials) => MONGOAUTH_NEXT_NEED_AWS_CREDENTIALS,
            Step::Need(Need::OidcToken { .. }) => MONGOAUTH_NEXT_NEED_OIDC_TOKEN,
            Step::Need(Need::GssInit { .. }) => MONGOAUTH_NEXT_NEED_GSS_INIT,
            Step::Need(Need::GssUnwrap { .. }) => MONGOAUTH_NEXT_NEED_GSS_UNWRAP,
            Step::Need(Need::GssWrap { .. }) => MONGOAUTH_NEXT_NEED_GSS_WRAP,
            Step::Need(_) => {
                return Err(Fail::new(
                    MONGOAUTH_STATUS_UNEXPECTED_STEP,
                    "the login needs an input this C API does not know",
                ));
            }
            Step::Done(_) => MONGOAUTH_NEXT_DONE,
        };
        // SAFETY: caller contract.
        *unsafe { ptr::out(next, "next") }? = n;
        Ok(())
    })
}

/// Turn the result of a `provide_*` call into the C result (the login's
/// error with its context).
pub(crate) fn provided(auth: &CAuth, r: Result<(), mongoauth::Error>) -> Result<(), Fail> {
    r.map_err(|e| match auth.error() {
        Some(l) if l.error() == &e => Fail::login_of(auth, l),
        _ => Fail::from(e),
    })
}

/// Answer `MONGOAUTH_NEXT_NEED_TIME` with the current UTC time in seconds
/// since the Unix epoch (it becomes SigV4's `X-Amz-Date`).
/// `UNEXPECTED_STEP` when the time was not asked for.
///
/// # Safety
/// `auth` points to an authenticator object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_time(
    auth: *mut mongoauth_authenticator,
    unix_seconds: u64,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        let mut auth = a.auth_mut()?;
        let date = aws::AmzDate::from_unix_seconds(unix_seconds)?;
        let r = auth.provide_time(&date).map(|_| ());
        provided(&auth, r)
    })
}

/// Answer `MONGOAUTH_NEXT_NEED_AWS_CREDENTIALS`: signs the STS request
/// and prepares the next command. `session_token` is NULL (with length 0)
/// for long-term keys. Lengths are checked against
/// `MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES` and
/// `MONGOAUTH_AUTHENTICATOR_MAX_AWS_SESSION_TOKEN_BYTES` before any byte is read.
/// The keys are not kept (the signed payload is wiped after use); wipe
/// your copies. `UNEXPECTED_STEP` when the keys were not asked for; a
/// server-first payload or keys the core rejects end the login.
///
/// # Safety
/// `auth` points to an authenticator object; each string is readable for
/// its length; `err` is NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_aws_credentials(
    auth: *mut mongoauth_authenticator,
    access_key_id: *const u8,
    access_key_id_len: usize,
    secret_access_key: *const u8,
    secret_access_key_len: usize,
    session_token: *const u8,
    session_token_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let id = unsafe {
            ptr::text_max(
                access_key_id,
                access_key_id_len,
                MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES,
                "access_key_id",
            )
        }?;
        // SAFETY: as above.
        let secret = unsafe {
            ptr::text_max(
                secret_access_key,
                secret_access_key_len,
                MONGOAUTH_AUTHENTICATOR_MAX_AWS_KEY_BYTES,
                "secret_access_key",
            )
        }?;
        // SAFETY: as above.
        let token = unsafe {
            ptr::text_max(
                session_token,
                session_token_len,
                MONGOAUTH_AUTHENTICATOR_MAX_AWS_SESSION_TOKEN_BYTES,
                "session_token",
            )
        }?;
        // The strings borrow the caller's memory: no FFI copy to wipe.
        let mut creds = aws::Credentials::new(id, secret);
        if !token.is_empty() {
            creds = creds.with_session_token(token);
        }
        let mut auth = a.auth_mut()?;
        let r = auth.provide_aws_credentials(&creds).map(|_| ());
        provided(&auth, r)
    })
}

/// Answer `MONGOAUTH_NEXT_NEED_OIDC_TOKEN` with an access token (at most
/// `MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES`, checked before any byte is read). The
/// token goes into the next command's payload (wiped after use), never
/// kept otherwise. `UNEXPECTED_STEP` when no token was asked for.
///
/// # Safety
/// `auth` points to an authenticator object; `token` is readable for
/// `token_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_token(
    auth: *mut mongoauth_authenticator,
    token: *const u8,
    token_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let token = unsafe {
            ptr::text_max(token, token_len, MONGOAUTH_AUTHENTICATOR_MAX_TOKEN_BYTES, "token")
        }?;
        let mut auth = a.auth_mut()?;
        let r = auth.provide_token(token).map(|_| ());
        provided(&auth, r)
    })
}

/// Read up to `len` bytes into `buf`: return how many (1 to `len`), 0 at
/// end of stream, or a negative value for an error (reported as
/// `MONGOAUTH_STATUS_IO` with the value in the message; keep an errno in
/// `ctx` if needed). Block until at least one byte is available.
#[allow(non_camel_case_types)]
pub type mongoauth_read_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, buf: *mut u8, len: usize) -> isize>;

/// Write up to `len` bytes from `buf`: return how many (1 to `len`), or a
/// negative value (or 0) for an error.
#[allow(non_camel_case_types)]
pub type mongoauth_write_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, buf: *const u8, len: usize) -> isize>;

/// A callback's failure.
#[derive(Debug)]
struct CallbackError {
    what: &'static str,
    value: isize,
}

impl core::fmt::Display for CallbackError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{} callback returned {}", self.what, self.value)
    }
}

impl core::error::Error for CallbackError {}

impl embedded_io::Error for CallbackError {
    fn kind(&self) -> embedded_io::ErrorKind {
        embedded_io::ErrorKind::Other
    }
}

/// `embedded_io` over the caller's callbacks.
struct Callbacks {
    read: unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> isize,
    write: unsafe extern "C" fn(*mut c_void, *const u8, usize) -> isize,
    ctx: *mut c_void,
}

impl embedded_io::ErrorType for Callbacks {
    type Error = CallbackError;
}

impl embedded_io::Read for Callbacks {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, CallbackError> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: `buf` is valid for `buf.len()` writable bytes; the
        // callback's contract is documented at `mongoauth_read_fn`.
        let n = unsafe { (self.read)(self.ctx, buf.as_mut_ptr(), buf.len()) };
        match usize::try_from(n) {
            Ok(k) if k <= buf.len() => Ok(k),
            _ => Err(CallbackError { what: "read", value: n }),
        }
    }
}

impl embedded_io::Write for Callbacks {
    fn write(&mut self, buf: &[u8]) -> Result<usize, CallbackError> {
        if buf.is_empty() {
            return Ok(0);
        }
        // SAFETY: `buf` is valid for `buf.len()` readable bytes; the
        // callback's contract is documented at `mongoauth_write_fn`.
        let n = unsafe { (self.write)(self.ctx, buf.as_ptr(), buf.len()) };
        match usize::try_from(n) {
            // 0 would make `write_all` loop forever (or panic): an error.
            Ok(k) if k >= 1 && k <= buf.len() => Ok(k),
            _ => Err(CallbackError { what: "write", value: n }),
        }
    }
    fn flush(&mut self) -> Result<(), CallbackError> {
        Ok(())
    }
}

/// The current time in milliseconds from any fixed origin (a monotonic
/// clock: `clock_gettime(CLOCK_MONOTONIC)`, a firmware tick counter), for
/// `mongoauth_authenticator_handshake_until`.
#[allow(non_camel_case_types)]
pub type mongoauth_clock_fn = Option<unsafe extern "C" fn(ctx: *mut c_void) -> u64>;

/// A deadline over the caller's clock.
struct ClockDeadline {
    clock: unsafe extern "C" fn(*mut c_void) -> u64,
    ctx: *mut c_void,
    deadline_ms: u64,
}

impl mongoauth::io::Deadline for ClockDeadline {
    fn expired(&mut self) -> bool {
        // SAFETY: the callback's contract is documented at `mongoauth_clock_fn`.
        unsafe { (self.clock)(self.ctx) >= self.deadline_ms }
    }
}

/// Run a started authenticator's whole login over a blocking byte stream
/// (a socket, a TLS session, a firmware TCP stack): each command is sent as
/// an OP_MSG with `write_cb`, each reply read with `read_cb` and handled,
/// until the login is done (the core's `mongoauth::io::authenticate`).
/// `ctx` is passed to the callbacks. `buf` holds one message at a time
/// (`MONGOAUTH_AUTHENTICATOR_HANDSHAKE_BUFFER_BYTES` is ample; a reply announcing more
/// than `capacity` is `MESSAGE_TOO_LARGE`). `OK` only for a verified login.
/// Errors: `IO` (a callback failed), `UNEXPECTED_EOF`,
/// `AUTHENTICATION_FAILED` (`err->server_code` 18: wrong username or
/// password), `NOT_AUTHENTICATED` (the handshake ended without a login: an
/// arbiter), or the statuses of `_handle_reply`. No deadline: use
/// `mongoauth_authenticator_handshake_until` against a server that may stall. GSSAPI:
/// built with the cargo feature `gssapi-system`, the GSS needs are
/// answered with the system library; otherwise drive the login with
/// `_next` (and `_provide_gss_with` for your own library).
///
/// # Safety
/// `auth` points to a started authenticator object; `read_cb` and
/// `write_cb` are valid functions honouring their contracts for `ctx`;
/// `buf` is writable for `capacity` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_handshake(
    auth: *mut mongoauth_authenticator,
    read_cb: mongoauth_read_fn,
    write_cb: mongoauth_write_fn,
    ctx: *mut c_void,
    buf: *mut u8,
    capacity: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe { handshake(auth, read_cb, write_cb, ctx, None, buf, capacity, err) }
}

/// As `mongoauth_authenticator_handshake`, with an overall deadline: `TIMEOUT` once
/// `clock_cb(ctx)` reaches `deadline_ms` (checked before every read and
/// write, so a server dripping one byte at a time cannot hold the login
/// open; per-read timeouts alone do not stop that).
///
/// # Safety
/// As `mongoauth_authenticator_handshake`; `clock_cb` is a valid function for `ctx`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_authenticator_handshake_until(
    auth: *mut mongoauth_authenticator,
    read_cb: mongoauth_read_fn,
    write_cb: mongoauth_write_fn,
    clock_cb: mongoauth_clock_fn,
    ctx: *mut c_void,
    deadline_ms: u64,
    buf: *mut u8,
    capacity: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    let Some(clock) = clock_cb else {
        return boundary(err, || {
            Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", "clock_cb"))
        });
    };
    let deadline = ClockDeadline { clock, ctx, deadline_ms };
    // SAFETY: caller contract.
    unsafe { handshake(auth, read_cb, write_cb, ctx, Some(deadline), buf, capacity, err) }
}

/// # Safety
/// As `mongoauth_authenticator_handshake_until`.
#[allow(clippy::too_many_arguments)]
unsafe fn handshake(
    auth: *mut mongoauth_authenticator,
    read_cb: mongoauth_read_fn,
    write_cb: mongoauth_write_fn,
    ctx: *mut c_void,
    deadline: Option<ClockDeadline>,
    buf: *mut u8,
    capacity: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below. Lent: a call on
        // `auth` (or on its key cache) from inside a callback gets BUSY.
        let mut a = unsafe { object::lend_mut::<AuthState>(auth) }?;
        let _cache = if a.cache.is_null() {
            None
        } else {
            // SAFETY: as in `begin` (the cache outlives the login).
            Some(unsafe { object::lend_mut::<CacheState>(a.cache.cast_mut()) }?)
        };
        let read =
            read_cb.ok_or(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", "read_cb"))?;
        let write =
            write_cb.ok_or(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL pointer", "write_cb"))?;
        // SAFETY: as above.
        let buf = unsafe { ptr::bytes_mut(buf.cast(), capacity, "buf") }?;
        if buf.is_empty() {
            return Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "a buffer is required", "buf"));
        }
        let mut auth = a.auth_mut()?;
        let mut io = Callbacks { read, write, ctx };
        let r = match deadline {
            Some(mut d) => mongoauth::io::authenticate_until(&mut io, &mut auth, buf, &mut d),
            None => mongoauth::io::authenticate(&mut io, &mut auth, buf),
        };
        // The buffer held the commands (a PLAIN one holds the password).
        buf.zeroize();
        match r {
            Ok(o) if o.is_authenticated() => Ok(()),
            Ok(o) => Err(not_authenticated(o)),
            Err(HandshakeError::Io(e)) => Err(Fail::io(e.what, e.value)),
            Err(HandshakeError::UnexpectedEof) => Err(Fail::new(
                MONGOAUTH_STATUS_UNEXPECTED_EOF,
                "the peer closed the connection mid-handshake",
            )),
            Err(HandshakeError::Timeout) => Err(Fail::new(
                MONGOAUTH_STATUS_TIMEOUT,
                "the handshake did not finish before its deadline",
            )),
            Err(HandshakeError::Auth(e)) => Err(match auth.error() {
                Some(l) if l.error() == &e => Fail::login(l),
                _ => Fail::from(e),
            }),
        }
    })
}
