//! `mongoauth_server_session`: the server side of one connection's login
//! (the core's `mongoauth::server::ServerSession` over a
//! `StaticUsers<MONGOAUTH_SERVER_SESSION_MAX_USERS>` table held in the same
//! object): command bodies or whole request frames in, replies out.

use core::ffi::c_void;

use mongoauth::codec::wire::WireError;
use mongoauth::server::{SESSION_ENTROPY_LEN, ServerSession, StaticUsers};

use crate::error::{Fail, mongoauth_error};
use crate::gss::SessionAcceptor;
use crate::object::{self, Object};
use crate::panic::boundary;
use crate::ptr;
use crate::status::mongoauth_status::{self, *};

/// Users a `mongoauth_server_session` holds.
pub const MONGOAUTH_SERVER_SESSION_MAX_USERS: usize = 4;
/// `sizeof(mongoauth_server_session)`.
pub const MONGOAUTH_SERVER_SESSION_SIZE: usize = 5120;
/// `_Alignof(mongoauth_server_session)`.
pub const MONGOAUTH_SERVER_SESSION_ALIGN: usize = 8;
/// Random bytes each `_handle` call takes (a server nonce).
pub const MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES: usize = 24;
/// Random bytes `mongoauth_server_session_add_user` takes per user: a seed
/// from which each mechanism's salt (16 bytes for SCRAM-SHA-1, 28 for
/// SCRAM-SHA-256, as mongod's) is derived independently, so neither salt
/// says anything about the other.
pub const MONGOAUTH_SERVER_SESSION_SALT_BYTES: usize = 28;
/// Bytes of the decoy secret `mongoauth_server_session_start` takes.
pub const MONGOAUTH_SERVER_SESSION_SECRET_BYTES: usize = 32;
/// An output buffer this large always holds a reply (body or frame),
/// including a GSSAPI reply carrying the largest acceptor token
/// (`MONGOAUTH_GSS_MAX_TOKEN_BYTES`, base64 in a string payload).
pub const MONGOAUTH_SERVER_SESSION_REPLY_BYTES: usize = 24576;

const _: () = assert!(
    MONGOAUTH_SERVER_SESSION_REPLY_BYTES
        >= 4 * mongoauth::mech::gssapi::MAX_TOKEN_LEN.div_ceil(3) + 512
);

const _: () = assert!(MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES == SESSION_ENTROPY_LEN);
const _: () = assert!(MONGOAUTH_SERVER_SESSION_SALT_BYTES == mongoauth::server::SALT_SEED_LEN);

/// The server side of one connection: answers `hello`/`isMaster` (with
/// `saslSupportedMechs` and a speculative SCRAM step), `saslStart` /
/// `saslContinue` for SCRAM-SHA-1 and SCRAM-SHA-256, and `ping`,
/// `buildInfo`, `connectionStatus`, `endSessions`; every failed login is a
/// reply with code 18. Opaque: `_init_static` (or `_new`), `_add_user` for
/// each user, `_start` per connection, then `_handle` (or `_handle_frame`)
/// for each request. It holds no pointer, into itself or elsewhere: a
/// caller-memory session may be moved (memcpy, realloc, struct assignment)
/// between calls; use it only at its new address afterwards. Not
/// thread-safe: one per connection.
#[allow(non_camel_case_types)]
#[repr(C, align(8))]
pub struct mongoauth_server_session {
    _opaque: [u8; MONGOAUTH_SERVER_SESSION_SIZE],
}

type Users = StaticUsers<MONGOAUTH_SERVER_SESSION_MAX_USERS>;

/// The session owns its user table by value: the object holds no pointer,
/// least of all into itself, so a C caller may move it (memcpy, realloc)
/// between calls.
pub(crate) struct SessionState {
    session: ServerSession<Users, SessionAcceptor>,
    started: bool,
}

impl Default for SessionState {
    fn default() -> Self {
        // The all-zero secret is never used: `_handle*` refuse to run until
        // `_start` has set the caller's.
        SessionState {
            session: ServerSession::new(Users::new(), [0; MONGOAUTH_SERVER_SESSION_SECRET_BYTES])
                .with_gssapi(SessionAcceptor::None),
            started: false,
        }
    }
}

impl Object for SessionState {
    type Public = mongoauth_server_session;
    const MAGIC: u64 = 0x4d41_5353_4553_5300; // "MASSESS\0"
    const NAME: &'static str = "session";
}

const _: () = assert!(object::fits::<SessionState>());
const _: () =
    assert!(core::mem::align_of::<mongoauth_server_session>() == MONGOAUTH_SERVER_SESSION_ALIGN);

fn not_started() -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_UNEXPECTED_STEP,
        "the session has not been started: call mongoauth_server_session_start",
    )
}

impl SessionState {
    fn session(&mut self) -> Result<&mut ServerSession<Users, SessionAcceptor>, Fail> {
        if self.started { Ok(&mut self.session) } else { Err(not_started()) }
    }
    fn started(&self) -> Option<&ServerSession<Users, SessionAcceptor>> {
        self.started.then_some(&self.session)
    }

    /// Offer GSSAPI with `acceptor` (replacing any previous one).
    pub(crate) fn set_acceptor(&mut self, acceptor: SessionAcceptor) {
        *self.session.gss_acceptor_mut() = acceptor;
    }

    /// Know a `$external` user (before `_start`).
    pub(crate) fn add_external_user(&mut self, user: &str) -> Result<(), Fail> {
        if self.started {
            return Err(Fail::new(
                MONGOAUTH_STATUS_UNEXPECTED_STEP,
                "users are added before mongoauth_server_session_start",
            ));
        }
        if self.session.users().len() >= MONGOAUTH_SERVER_SESSION_MAX_USERS {
            return Err(Fail::arg(
                MONGOAUTH_STATUS_CAPACITY,
                "more than MONGOAUTH_SERVER_SESSION_MAX_USERS users",
                "user",
            ));
        }
        if user.is_empty() {
            return Err(Fail::arg(MONGOAUTH_STATUS_INVALID_ARGUMENT, "an empty principal", "user"));
        }
        self.session.users_mut().add_external_user(user)?;
        Ok(())
    }
}

/// `MONGOAUTH_SERVER_SESSION_SIZE` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_server_session_size() -> usize {
    core::mem::size_of::<mongoauth_server_session>()
}

/// `MONGOAUTH_SERVER_SESSION_ALIGN` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_server_session_align() -> usize {
    core::mem::align_of::<mongoauth_server_session>()
}

/// `MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_server_session_entropy_bytes() -> usize {
    MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES
}

/// `MONGOAUTH_SERVER_SESSION_SALT_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_server_session_salt_bytes() -> usize {
    MONGOAUTH_SERVER_SESSION_SALT_BYTES
}

/// `MONGOAUTH_SERVER_SESSION_SECRET_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_server_session_secret_bytes() -> usize {
    MONGOAUTH_SERVER_SESSION_SECRET_BYTES
}

/// `MONGOAUTH_SERVER_SESSION_REPLY_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_server_session_reply_bytes() -> usize {
    MONGOAUTH_SERVER_SESSION_REPLY_BYTES
}

/// Make an empty session (no users) in caller memory (`mem_len` at least
/// `MONGOAUTH_SERVER_SESSION_SIZE`, aligned to
/// `MONGOAUTH_SERVER_SESSION_ALIGN`). Never allocates.
///
/// # Safety
/// `mem` is valid for `mem_len` writable bytes that outlive the object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_init_static(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut mongoauth_server_session,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::init_static::<SessionState>(mem, mem_len, out) })
}

/// Wipe a caller-memory session (stored keys included); later use reports
/// `INVALID_OBJECT`. Heap objects are refused (`WRONG_ALLOCATION`).
///
/// # Safety
/// `session` is NULL or points to `MONGOAUTH_SERVER_SESSION_SIZE` accessible bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_clear(
    session: *mut mongoauth_server_session,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::clear::<SessionState>(session) })
}

/// Allocate an empty session on the heap (release with
/// `mongoauth_server_session_free`). Only with the `alloc` feature.
///
/// # Safety
/// `out` is writable.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_new(
    out: *mut *mut mongoauth_server_session,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::new::<SessionState>(out) })
}

/// Wipe and release a heap session; NULL is a no-op.
///
/// # Safety
/// `session` is NULL or from `mongoauth_server_session_new`, not yet freed.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_free(
    session: *mut mongoauth_server_session,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(core::ptr::null_mut(), || unsafe { object::free::<SessionState>(session) })
}

/// Add a user `user` in database `db` with `password`, as `createUser`
/// does: SCRAM-SHA-1 and SCRAM-SHA-256 credentials at mongod's default
/// iteration counts (PBKDF2: slow on purpose), with salts derived from
/// `MONGOAUTH_SERVER_SESSION_SALT_BYTES` (28) random bytes of `salt` (see that
/// constant). Only the derived keys are kept. Before `_start` only (`UNEXPECTED_STEP` after);
/// more than `MONGOAUTH_SERVER_SESSION_MAX_USERS` users is `CAPACITY`.
///
/// # Safety
/// `session` points to a session object; each `(pointer, length)` pair is
/// readable; `err` is NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_server_session_add_user(
    session: *mut mongoauth_server_session,
    db: *const u8,
    db_len: usize,
    user: *const u8,
    user_len: usize,
    password: *const u8,
    password_len: usize,
    salt: *const u8,
    salt_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let s = unsafe { object::get_mut::<SessionState>(session) }?;
        if s.started {
            return Err(Fail::new(
                MONGOAUTH_STATUS_UNEXPECTED_STEP,
                "users are added before mongoauth_server_session_start",
            ));
        }
        // SAFETY: as above.
        let db = unsafe { ptr::text_max(db, db_len, mongoauth::server::MAX_DB_LEN, "db") }?;
        // SAFETY: as above.
        let user =
            unsafe { ptr::text_max(user, user_len, mongoauth::server::MAX_USER_LEN, "user") }?;
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
            unsafe { ptr::bytes_max(salt, salt_len, MONGOAUTH_SERVER_SESSION_SALT_BYTES, "salt") }?;
        let salt: &[u8; MONGOAUTH_SERVER_SESSION_SALT_BYTES] = salt.try_into().map_err(|_| {
            Fail::arg(
                MONGOAUTH_STATUS_INVALID_ARGUMENT,
                "exactly MONGOAUTH_SERVER_SESSION_SALT_BYTES (28) bytes are required",
                "salt",
            )
        })?;
        if s.session.users().len() >= MONGOAUTH_SERVER_SESSION_MAX_USERS {
            return Err(Fail::arg(
                MONGOAUTH_STATUS_CAPACITY,
                "more than MONGOAUTH_SERVER_SESSION_MAX_USERS users",
                "user",
            ));
        }
        if db.is_empty() || db.len() > mongoauth::server::MAX_DB_LEN {
            return Err(Fail::arg(MONGOAUTH_STATUS_INVALID_ARGUMENT, "1 to 64 bytes", "db"));
        }
        // In place; on error the table is unchanged.
        s.session.users_mut().add_scram_user(db, user, password, salt)?;
        Ok(())
    })
}

/// Start serving a connection (or the next one: a previous conversation is
/// dropped; the users stay). `secret` is `MONGOAUTH_SERVER_SESSION_SECRET_BYTES`
/// (32) random bytes, fixed per server: unknown users (and users lacking
/// the requested mechanism) get stable decoy credentials from it, failing
/// exactly like a wrong password, with the same replies and the same
/// timing as a known user (no user enumeration).
/// `connection_id` is reported in hello replies.
///
/// # Safety
/// `session` points to a session object; `secret` is readable for
/// `secret_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_start(
    session: *mut mongoauth_server_session,
    secret: *const u8,
    secret_len: usize,
    connection_id: i64,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let s = unsafe { object::get_mut::<SessionState>(session) }?;
        // The previous connection's conversation is wiped whatever follows.
        s.started = false;
        s.session.restart([0; MONGOAUTH_SERVER_SESSION_SECRET_BYTES], connection_id);
        // SAFETY: as above.
        let secret = unsafe {
            ptr::bytes_max(secret, secret_len, MONGOAUTH_SERVER_SESSION_SECRET_BYTES, "secret")
        }?;
        let secret: [u8; MONGOAUTH_SERVER_SESSION_SECRET_BYTES] =
            secret.try_into().map_err(|_| {
                Fail::arg(
                    MONGOAUTH_STATUS_INVALID_ARGUMENT,
                    "exactly MONGOAUTH_SERVER_SESSION_SECRET_BYTES (32) bytes are required",
                    "secret",
                )
            })?;
        s.session.restart(secret, connection_id);
        s.started = true;
        Ok(())
    })
}

fn entropy_of(entropy: &[u8]) -> Result<&[u8; SESSION_ENTROPY_LEN], Fail> {
    entropy.try_into().map_err(|_| {
        Fail::arg(
            MONGOAUTH_STATUS_INVALID_NONCE,
            "exactly MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES (24) random bytes are required",
            "entropy",
        )
    })
}

/// Report the length of a reply written by the core, or its size needed.
fn finish(r: Result<usize, mongoauth::Error>, written: &mut usize) -> Result<(), Fail> {
    match r {
        Ok(n) => {
            *written = n;
            Ok(())
        }
        Err(e) => {
            // Not `e @ (..{ required })`: by-copy bindings after a by-move `@`
            // need Rust 1.89, above the declared MSRV.
            if let mongoauth::Error::BufferTooSmall(b)
            | mongoauth::Error::Wire(WireError::BufferTooSmall(b)) = &e
            {
                *written = b.required;
            }
            Err(e.into())
        }
    }
}

/// Handle one command body (the BSON document of an OP_MSG, whose `$db`
/// names the database) and write the reply body into `(out, capacity,
/// *written)`. `entropy` is `MONGOAUTH_SERVER_SESSION_ENTROPY_BYTES` (24) fresh
/// random bytes. A failed login is not an error: it is a reply with code
/// 18. Errors: a body that is not a command (`BSON_MALFORMED`), or a short
/// `out` (`BUFFER_TOO_SMALL`; not repeatable: the request was handled, so
/// size `out` with `MONGOAUTH_SERVER_SESSION_REPLY_BYTES`).
///
/// # Safety
/// `session` points to a session object; `body` and `entropy` are readable
/// for their lengths; `out` is writable for `capacity` bytes; `written` is
/// writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_server_session_handle(
    session: *mut mongoauth_server_session,
    body: *const u8,
    body_len: usize,
    entropy: *const u8,
    entropy_len: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below. Lent: a GSS
        // acceptor callback cannot reach the session (BUSY).
        let mut s = unsafe { object::lend_mut::<SessionState>(session) }?;
        // SAFETY: as above.
        let body = unsafe {
            ptr::bytes_max(body, body_len, mongoauth::codec::wire::MAX_MESSAGE_SIZE, "body")
        }?;
        // SAFETY: as above.
        let entropy = entropy_of(unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?)?;
        // SAFETY: as above.
        let w = unsafe { ptr::out(written, "written") }?;
        // SAFETY: as above.
        let dst = unsafe { ptr::bytes_mut(out.cast(), capacity, "out") }?;
        let r = s.session()?.handle(body, entropy, dst);
        finish(r, w)
    })
}

/// As `mongoauth_server_session_handle`, for the body of a legacy OP_QUERY
/// command (a driver's opening `isMaster`), whose database comes from the
/// `<db>.$cmd` collection name: pass `db`.
///
/// # Safety
/// As `mongoauth_server_session_handle`; `db` is readable for `db_len` bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_server_session_handle_legacy(
    session: *mut mongoauth_server_session,
    body: *const u8,
    body_len: usize,
    db: *const u8,
    db_len: usize,
    entropy: *const u8,
    entropy_len: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below. Lent: a GSS
        // acceptor callback cannot reach the session (BUSY).
        let mut s = unsafe { object::lend_mut::<SessionState>(session) }?;
        // SAFETY: as above.
        let body = unsafe {
            ptr::bytes_max(body, body_len, mongoauth::codec::wire::MAX_MESSAGE_SIZE, "body")
        }?;
        // SAFETY: as above.
        let db = unsafe { ptr::text_max(db, db_len, mongoauth::server::MAX_DB_LEN, "db") }?;
        // SAFETY: as above.
        let entropy = entropy_of(unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?)?;
        // SAFETY: as above.
        let w = unsafe { ptr::out(written, "written") }?;
        // SAFETY: as above.
        let dst = unsafe { ptr::bytes_mut(out.cast(), capacity, "out") }?;
        let r = s.session()?.handle_legacy(body, db, entropy, dst);
        finish(r, w)
    })
}

/// Handle one whole request frame (an OP_MSG, or a driver's opening
/// OP_QUERY) and write the whole reply frame (OP_MSG, or OP_REPLY to an
/// OP_QUERY) with `reply_id` as its requestID into `(out, capacity,
/// *written)` — what a server loop does with each message it reads.
/// Errors as `mongoauth_server_session_handle`, plus `FRAME_MALFORMED`,
/// `UNSUPPORTED_OPCODE`, `CHECKSUM_MISMATCH` for a bad frame.
///
/// # Safety
/// As `mongoauth_server_session_handle`, with `frame` readable for
/// `frame_len` bytes.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_server_session_handle_frame(
    session: *mut mongoauth_server_session,
    frame: *const u8,
    frame_len: usize,
    entropy: *const u8,
    entropy_len: usize,
    reply_id: i32,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below. Lent: a GSS
        // acceptor callback cannot reach the session (BUSY).
        let mut s = unsafe { object::lend_mut::<SessionState>(session) }?;
        // SAFETY: as above.
        let frame = unsafe {
            ptr::bytes_max(frame, frame_len, mongoauth::codec::wire::MAX_MESSAGE_SIZE, "frame")
        }?;
        // SAFETY: as above.
        let entropy = entropy_of(unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?)?;
        // SAFETY: as above.
        let w = unsafe { ptr::out(written, "written") }?;
        // SAFETY: as above.
        let outbuf = unsafe { ptr::bytes_mut(out.cast(), capacity, "out") }?;
        let session = s.session()?;
        let r = session.handle_frame(frame, reply_id, entropy, outbuf);
        finish(r, w)
    })
}

/// Whether a user has logged in on this connection.
/// NULL, or memory that is not a live session (never initialised, another
/// type, cleared), or one busy in a callback, answers `false`.
///
/// # Safety
/// `session` is NULL or points to `MONGOAUTH_SERVER_SESSION_SIZE` readable
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_is_authenticated(
    session: *const mongoauth_server_session,
) -> bool {
    // SAFETY: caller contract.
    unsafe {
        object::predicate::<SessionState>(session, |s| {
            Ok(s.started().is_some_and(|x| x.authenticated_user().is_some()))
        })
    }
}

/// Who logged in on this connection: the username into `(user, user_cap,
/// *user_written)` and its database into `(db, db_cap, *db_written)`.
/// `UNEXPECTED_STEP` when nobody has. `BUFFER_TOO_SMALL` sets both
/// `*written` to the sizes needed.
///
/// # Safety
/// `session` points to a session object; each buffer is writable for its
/// capacity; both `written` pointers are writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_server_session_user(
    session: *const mongoauth_server_session,
    user: *mut u8,
    user_cap: usize,
    user_written: *mut usize,
    db: *mut u8,
    db_cap: usize,
    db_written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get::<SessionState>(session) }?;
        let (d, u) = s.started().and_then(|x| x.authenticated_user()).ok_or(Fail::new(
            MONGOAUTH_STATUS_UNEXPECTED_STEP,
            "no user has logged in on this connection",
        ))?;
        // SAFETY: caller contract.
        let uw = unsafe { ptr::out(user_written, "user_written") }?;
        // SAFETY: caller contract.
        let dw = unsafe { ptr::out(db_written, "db_written") }?;
        if user_cap < u.len() || db_cap < d.len() {
            *uw = u.len();
            *dw = d.len();
            return Err(Fail::buffer(u.len().max(d.len())));
        }
        // SAFETY: caller contract.
        unsafe { ptr::write_out(u.as_bytes(), user, user_cap, uw) }?;
        // SAFETY: caller contract.
        unsafe { ptr::write_out(d.as_bytes(), db, db_cap, dw) }
    })
}
