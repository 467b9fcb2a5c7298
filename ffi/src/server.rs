//! `mongoauth_scram_server`: the SCRAM server conversation, a thin shell over
//! the core's runtime machine (`mongoauth::mech::scram::AnyServer`).

use core::ffi::c_void;

use mongoauth::mech::scram::{AnyServer, ServerMachine};

use crate::error::{Fail, mongoauth_error};
use crate::mechanism::{mongoauth_mechanism, mongoauth_scram_credentials, not_scram};
use crate::object::{self, Object};
use crate::panic::boundary;
use crate::ptr;
use crate::status::mongoauth_status::{self, *};

/// `sizeof(mongoauth_scram_server)`: bytes of caller memory a server needs.
pub const MONGOAUTH_SCRAM_SERVER_SIZE: usize = 2048;
/// `_Alignof(mongoauth_scram_server)`.
pub const MONGOAUTH_SCRAM_SERVER_ALIGN: usize = 8;

/// A SCRAM-SHA-1 or SCRAM-SHA-256 server conversation (one login). Opaque:
/// declare one or carve `MONGOAUTH_SCRAM_SERVER_SIZE` bytes from an arena,
/// then `mongoauth_scram_server_init_static` (or `_new`). Then: `_start`,
/// `_handle_client_first`, look `_username` up, `_respond` with its
/// credentials, send `_message`, `_handle_client_final`, send `_message`.
/// Not thread-safe: one user at a time.
#[allow(non_camel_case_types)]
#[repr(C, align(8))]
pub struct mongoauth_scram_server {
    _opaque: [u8; MONGOAUTH_SCRAM_SERVER_SIZE],
}

#[derive(Default)]
pub(crate) struct ServerState {
    machine: Option<AnyServer>,
}

impl Object for ServerState {
    type Public = mongoauth_scram_server;
    const MAGIC: u64 = 0x4d41_5353_5256_5200; // "MASSRVR\0"
    const NAME: &'static str = "server";
}

const _: () = assert!(object::fits::<ServerState>());
const _: () =
    assert!(core::mem::align_of::<mongoauth_scram_server>() == MONGOAUTH_SCRAM_SERVER_ALIGN);

impl ServerState {
    fn machine(&mut self) -> Result<&mut AnyServer, Fail> {
        self.machine.as_mut().ok_or_else(not_started)
    }
}

fn not_started() -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_UNEXPECTED_STEP,
        "the server has not been started: call mongoauth_scram_server_start",
    )
}

/// `MONGOAUTH_SCRAM_SERVER_SIZE` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_server_size() -> usize {
    core::mem::size_of::<mongoauth_scram_server>()
}

/// `MONGOAUTH_SCRAM_SERVER_ALIGN` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_server_align() -> usize {
    core::mem::align_of::<mongoauth_scram_server>()
}

/// Make an idle server in caller memory (`mem_len` at least
/// `MONGOAUTH_SCRAM_SERVER_SIZE`, aligned to `MONGOAUTH_SCRAM_SERVER_ALIGN`);
/// `*out` receives the object pointer (equal to `mem`). Never allocates.
///
/// # Safety
/// `mem` is valid for `mem_len` writable bytes that outlive the object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_init_static(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut mongoauth_scram_server,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::init_static::<ServerState>(mem, mem_len, out) })
}

/// Wipe a caller-memory server and end its life: later use reports
/// `INVALID_OBJECT` until it is initialised again. Heap servers are refused
/// (`WRONG_ALLOCATION`).
///
/// # Safety
/// `server` is NULL or points to `MONGOAUTH_SCRAM_SERVER_SIZE` accessible bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_clear(
    server: *mut mongoauth_scram_server,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::clear::<ServerState>(server) })
}

/// Allocate an idle server on the heap (release with
/// `mongoauth_scram_server_free`). Only with the `alloc` feature.
///
/// # Safety
/// `out` is writable.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_new(
    out: *mut *mut mongoauth_scram_server,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::new::<ServerState>(out) })
}

/// Wipe and release a heap server; NULL is a no-op. Caller memory is
/// refused with `WRONG_ALLOCATION`.
///
/// # Safety
/// `server` is NULL or from `mongoauth_scram_server_new`, not yet freed.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_free(
    server: *mut mongoauth_scram_server,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(core::ptr::null_mut(), || unsafe { object::free::<ServerState>(server) })
}

/// Start (or restart) a conversation for `mechanism` (a
/// `mongoauth_mechanism` number); the server then waits for the
/// client-first-message. A previous conversation in the object is wiped.
///
/// # Safety
/// `server` points to a server object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_start(
    server: *mut mongoauth_scram_server,
    mechanism: u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get_mut::<ServerState>(server) }?;
        s.machine = None;
        s.machine = Some(match mongoauth_mechanism::from_u32(mechanism)? {
            mongoauth_mechanism::MONGOAUTH_MECHANISM_SCRAM_SHA_1 => {
                AnyServer::Sha1(ServerMachine::new())
            }
            mongoauth_mechanism::MONGOAUTH_MECHANISM_SCRAM_SHA_256 => {
                AnyServer::Sha256(ServerMachine::new())
            }
            _ => return Err(not_scram()),
        });
        Ok(())
    })
}

/// Parse the client-first-message; then read `_username` and look the user
/// up. On failure the conversation is over and `_message` holds the
/// `e=<error>` answer for the client.
///
/// # Safety
/// `server` points to a server object; `input` is readable for `input_len`
/// bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_handle_client_first(
    server: *mut mongoauth_scram_server,
    input: *const u8,
    input_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get_mut::<ServerState>(server) }?;
        // SAFETY: caller contract.
        let input = unsafe {
            ptr::bytes_max(input, input_len, crate::MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES, "input")
        }?;
        s.machine()?.handle_client_first(input)?;
        Ok(())
    })
}

/// Copy the username the client sent (UTF-8, unescaped, not NUL-terminated)
/// into `(out, capacity)`, length in `*written`; `MONGOAUTH_SCRAM_MAX_USERNAME_BYTES`
/// always suffices. `UNEXPECTED_STEP` before the client-first-message.
///
/// # Safety
/// `server` points to a server object; `out` is writable for `capacity`
/// bytes; `written` is writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_username(
    server: *const mongoauth_scram_server,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get::<ServerState>(server) }?;
        let name = s.machine.as_ref().ok_or_else(not_started)?.username().ok_or(Fail::new(
            MONGOAUTH_STATUS_UNEXPECTED_STEP,
            "no username: the client-first-message has not been handled",
        ))?;
        // SAFETY: caller contract.
        unsafe { ptr::write_out(name.as_bytes(), out, capacity, written) }
    })
}

/// Answer the client-first-message with the user's credentials (or
/// `mongoauth_scram_credentials_decoy` ones for an unknown user) and 24 to
/// 48 random bytes for the server nonce; the server-first-message is then
/// `_message`. Bad entropy or credentials of another mechanism keep the
/// state, so the call can be repeated.
///
/// # Safety
/// `server` points to a server object; `credentials` is readable; `entropy`
/// is readable for `entropy_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_respond(
    server: *mut mongoauth_scram_server,
    credentials: *const mongoauth_scram_credentials,
    entropy: *const u8,
    entropy_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let s = unsafe { object::get_mut::<ServerState>(server) }?;
        // SAFETY: as above.
        let creds = unsafe { ptr::input(credentials, "credentials") }?.as_any()?;
        // SAFETY: as above.
        let entropy = unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?;
        s.machine()?.respond(&creds, entropy)?;
        Ok(())
    })
}

/// Verify the client-final-message (the proof, in constant time). `OK`:
/// the client knows the password, and `_message` is the
/// server-final-message `v=...` to send. `AUTHENTICATION_FAILED` (or
/// another error): the login failed, and `_message` is the `e=...` answer.
///
/// # Safety
/// `server` points to a server object; `input` is readable for `input_len`
/// bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_handle_client_final(
    server: *mut mongoauth_scram_server,
    input: *const u8,
    input_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get_mut::<ServerState>(server) }?;
        // SAFETY: caller contract.
        let input = unsafe {
            ptr::bytes_max(input, input_len, crate::MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES, "input")
        }?;
        s.machine()?.handle_client_final(input)?;
        Ok(())
    })
}

/// Copy the message to send now (server-first, server-final, or after a
/// failure `e=<error>`) into `(out, capacity)`, length in `*written`;
/// `BUFFER_TOO_SMALL` with the length needed in `*written` if short.
/// `UNEXPECTED_STEP` when there is nothing to send.
///
/// # Safety
/// `server` points to a server object; `out` is writable for `capacity`
/// bytes; `written` is writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_message(
    server: *const mongoauth_scram_server,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get::<ServerState>(server) }?;
        let msg =
            s.machine.as_ref().ok_or_else(not_started)?.message().ok_or(Fail::new(
                MONGOAUTH_STATUS_UNEXPECTED_STEP,
                "nothing to send in this state",
            ))?;
        // SAFETY: caller contract.
        unsafe { ptr::write_out(msg, out, capacity, written) }
    })
}

/// Whether the client proved it knows the password.
/// NULL, or memory that is not a live server (never initialised, another
/// type, cleared), or one busy in a callback, answers `false`.
///
/// # Safety
/// `server` is NULL or points to `MONGOAUTH_SCRAM_SERVER_SIZE` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_server_is_authenticated(
    server: *const mongoauth_scram_server,
) -> bool {
    // SAFETY: caller contract.
    unsafe {
        object::predicate::<ServerState>(server, |s| {
            Ok(s.machine.as_ref().is_some_and(AnyServer::is_authenticated))
        })
    }
}
