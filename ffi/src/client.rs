//! `mongoauth_scram_client`: the SCRAM client conversation, a thin shell over
//! the core's runtime machine (`mongoauth::mech::scram::AnyClient`).

use core::ffi::c_void;

use mongoauth::mech::scram::{
    AnyClient, Client, ClientConfig, ClientMachine, KeyStore, Nonce, Sha1, Sha256, Step,
};

use crate::cache::{CacheState, mongoauth_key_cache};
use crate::error::{Fail, mongoauth_error};
use crate::mechanism::{mongoauth_mechanism, mongoauth_scram_keys, not_scram};
use crate::object::{self, Object};
use crate::panic::boundary;
use crate::ptr;
use crate::status::mongoauth_status::{self, *};

/// `sizeof(mongoauth_scram_client)`: bytes of caller memory a client needs.
pub const MONGOAUTH_SCRAM_CLIENT_SIZE: usize = 1024;
/// `_Alignof(mongoauth_scram_client)`.
pub const MONGOAUTH_SCRAM_CLIENT_ALIGN: usize = 8;

/// A SCRAM-SHA-1 or SCRAM-SHA-256 client conversation. Opaque: declare one
/// (`static mongoauth_scram_client c;`) or carve `MONGOAUTH_SCRAM_CLIENT_SIZE`
/// bytes aligned to `MONGOAUTH_SCRAM_CLIENT_ALIGN` from an arena, then call
/// `mongoauth_scram_client_init_static`; or use `mongoauth_scram_client_new`.
/// Then: `_start`, and loop { `_message` -> send; receive -> `_step` } until
/// `_step` reports done. Not thread-safe: one user at a time.
#[allow(non_camel_case_types)]
#[repr(C, align(8))]
pub struct mongoauth_scram_client {
    _opaque: [u8; MONGOAUTH_SCRAM_CLIENT_SIZE],
}

#[derive(Default)]
pub(crate) struct ClientState {
    config: ClientConfig,
    machine: Option<(mongoauth_mechanism, AnyClient)>,
}

impl Object for ClientState {
    type Public = mongoauth_scram_client;
    const MAGIC: u64 = 0x4d41_5343_4c4e_5400; // "MASCLNT\0"
    const NAME: &'static str = "client";
}

const _: () = assert!(object::fits::<ClientState>());
const _: () =
    assert!(core::mem::align_of::<mongoauth_scram_client>() == MONGOAUTH_SCRAM_CLIENT_ALIGN);

fn not_started() -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_UNEXPECTED_STEP,
        "the client has not been started: call mongoauth_scram_client_start",
    )
}

impl ClientState {
    fn machine(&mut self) -> Result<&mut AnyClient, Fail> {
        self.machine.as_mut().map(|(_, m)| m).ok_or_else(not_started)
    }
}

/// `MONGOAUTH_SCRAM_CLIENT_SIZE` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_client_size() -> usize {
    core::mem::size_of::<mongoauth_scram_client>()
}

/// `MONGOAUTH_SCRAM_CLIENT_ALIGN` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_scram_client_align() -> usize {
    core::mem::align_of::<mongoauth_scram_client>()
}

/// Make an idle client in caller memory (`mem_len` at least
/// `MONGOAUTH_SCRAM_CLIENT_SIZE`, aligned to `MONGOAUTH_SCRAM_CLIENT_ALIGN`);
/// `*out` receives the object pointer (equal to `mem`). Never allocates.
/// Wipe it with `mongoauth_scram_client_clear` when done.
///
/// # Safety
/// `mem` is valid for `mem_len` writable bytes that outlive the object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_init_static(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut mongoauth_scram_client,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::init_static::<ClientState>(mem, mem_len, out) })
}

/// Wipe a caller-memory client (keys zeroized) and end its life: later use
/// reports `INVALID_OBJECT` until it is initialised again. Heap clients are
/// refused (`WRONG_ALLOCATION`): use `mongoauth_scram_client_free`.
///
/// # Safety
/// `client` is NULL or points to `MONGOAUTH_SCRAM_CLIENT_SIZE` accessible bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_clear(
    client: *mut mongoauth_scram_client,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::clear::<ClientState>(client) })
}

/// Allocate an idle client on the heap (release with
/// `mongoauth_scram_client_free`). Only with the `alloc` feature.
///
/// # Safety
/// `out` is writable.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_new(
    out: *mut *mut mongoauth_scram_client,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::new::<ClientState>(out) })
}

/// Wipe and release a heap client; NULL is a no-op. Caller memory is
/// refused with `WRONG_ALLOCATION` (use `mongoauth_scram_client_clear`).
///
/// # Safety
/// `client` is NULL or from `mongoauth_scram_client_new`, not yet freed.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_free(
    client: *mut mongoauth_scram_client,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(core::ptr::null_mut(), || unsafe { object::free::<ClientState>(client) })
}

/// Cap the iteration count the client will compute (default
/// `MONGOAUTH_SCRAM_DEFAULT_MAX_ITERATIONS`), so a hostile server cannot pin the
/// CPU. Applies from the next `_start`.
///
/// # Safety
/// `client` points to a client object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_set_max_iterations(
    client: *mut mongoauth_scram_client,
    max_iterations: u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let c = unsafe { object::get_mut::<ClientState>(client) }?;
        c.config.max_iterations = max_iterations;
        Ok(())
    })
}

/// Start (or restart) a login: prepares the password the way the mechanism
/// requires and builds the client-first-message (`_message`). `username`
/// and `password` are UTF-8, not NUL-terminated; `entropy` is 24 to 48 bytes
/// from a cryptographic random source (`mongoauth_random_bytes` with std).
/// The password is reduced to HMAC states at once and not kept. A previous
/// conversation in the object is wiped.
///
/// # Safety
/// Each `(pointer, length)` pair is readable; `client` points to a client
/// object; `err` is NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_scram_client_start(
    client: *mut mongoauth_scram_client,
    mechanism: u32,
    username: *const u8,
    username_len: usize,
    password: *const u8,
    password_len: usize,
    entropy: *const u8,
    entropy_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let c = unsafe { object::get_mut::<ClientState>(client) }?;
        c.machine = None;
        let mech = mongoauth_mechanism::from_u32(mechanism)?;
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
        let password = unsafe {
            ptr::text_max(
                password,
                password_len,
                crate::MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES,
                "password",
            )
        }?;
        // SAFETY: as above.
        let entropy = unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?;
        let nonce = Nonce::from_random(entropy)?;
        let m = match mech {
            mongoauth_mechanism::MONGOAUTH_MECHANISM_SCRAM_SHA_1 => AnyClient::Sha1(
                ClientMachine::new(Client::<Sha1>::start(username, password, &nonce, &c.config)?),
            ),
            mongoauth_mechanism::MONGOAUTH_MECHANISM_SCRAM_SHA_256 => AnyClient::Sha256(
                ClientMachine::new(Client::<Sha256>::start(username, password, &nonce, &c.config)?),
            ),
            _ => return Err(not_scram()),
        };
        c.machine = Some((mech, m));
        Ok(())
    })
}

/// Start a login with keys exported from an earlier one
/// (`mongoauth_scram_client_keys`) instead of a password: a device can be
/// provisioned without ever holding the password. The mechanism is the
/// keys'. If the server's salt or iteration count has changed, `_step` fails
/// with `KEYS_DO_NOT_MATCH_SERVER`.
///
/// # Safety
/// As `mongoauth_scram_client_start`; `keys` is readable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_start_with_keys(
    client: *mut mongoauth_scram_client,
    username: *const u8,
    username_len: usize,
    keys: *const mongoauth_scram_keys,
    entropy: *const u8,
    entropy_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let c = unsafe { object::get_mut::<ClientState>(client) }?;
        c.machine = None;
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
        let keys = unsafe { ptr::input(keys, "keys") }?;
        // SAFETY: as above.
        let entropy = unsafe {
            ptr::bytes_max(
                entropy,
                entropy_len,
                crate::MONGOAUTH_SCRAM_MAX_ENTROPY_BYTES,
                "entropy",
            )
        }?;
        let mech = mongoauth_mechanism::from_u32(keys.mechanism)?;
        let nonce = Nonce::from_random(entropy)?;
        let m = match mech {
            mongoauth_mechanism::MONGOAUTH_MECHANISM_SCRAM_SHA_1 => {
                AnyClient::Sha1(ClientMachine::new(Client::<Sha1>::start_with_keys(
                    username,
                    &keys.as_keys()?,
                    &nonce,
                    &c.config,
                )?))
            }
            mongoauth_mechanism::MONGOAUTH_MECHANISM_SCRAM_SHA_256 => {
                AnyClient::Sha256(ClientMachine::new(Client::<Sha256>::start_with_keys(
                    username,
                    &keys.as_keys()?,
                    &nonce,
                    &c.config,
                )?))
            }
            _ => return Err(not_scram()),
        };
        c.machine = Some((mech, m));
        Ok(())
    })
}

/// Copy the message to send now (client-first, then client-final) into
/// `(out, capacity)`; `*written` receives its length. A buffer shorter than
/// the message returns `BUFFER_TOO_SMALL` with the length needed in
/// `*written` (`out = NULL, capacity = 0` queries it);
/// `MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES` always suffices. Repeatable: it does
/// not advance the conversation. `UNEXPECTED_STEP` when there is nothing to
/// send (not started, done or failed).
///
/// # Safety
/// `client` points to a client object; `out` is writable for `capacity`
/// bytes; `written` is writable; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_message(
    client: *const mongoauth_scram_client,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let c = unsafe { object::get::<ClientState>(client) }?;
        let (_, m) = c.machine.as_ref().ok_or_else(not_started)?;
        let msg = m.message().ok_or(Fail::new(
            MONGOAUTH_STATUS_UNEXPECTED_STEP,
            "nothing to send: the conversation is over (authenticated or failed)",
        ))?;
        // SAFETY: caller contract.
        unsafe { ptr::write_out(msg, out, capacity, written) }
    })
}

/// Feed the server's next payload (server-first, then server-final). On
/// success `*done` (optional, may be NULL) is false if there is a new
/// message to send (`_message`) and true once the server's signature is
/// verified: only then is the server authenticated. Any failure ends the
/// conversation. `cache` (optional) is a key cache consulted and filled
/// when the server-first-message is handled, skipping PBKDF2 on a hit.
///
/// # Safety
/// `client` points to a client object; `input` is readable for `input_len`
/// bytes; `cache` is NULL or a cache object; `done` is NULL or writable;
/// `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_step(
    client: *mut mongoauth_scram_client,
    input: *const u8,
    input_len: usize,
    cache: *mut mongoauth_key_cache,
    done: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let c = unsafe { object::get_mut::<ClientState>(client) }?;
        // SAFETY: as above.
        let input = unsafe {
            ptr::bytes_max(input, input_len, crate::MONGOAUTH_SCRAM_MAX_MESSAGE_BYTES, "input")
        }?;
        let cache: Option<&dyn KeyStore> = if cache.is_null() {
            None
        } else {
            // SAFETY: as above.
            Some(&unsafe { object::get::<CacheState>(cache) }?.0)
        };
        let finished = matches!(c.machine()?.step(input, cache)?, Step::Done);
        // SAFETY: as above.
        if let Some(d) = unsafe { ptr::opt_mut(done) } {
            *d = finished;
        }
        Ok(())
    })
}

/// Whether the server has been verified (its signature checked).
/// NULL, or memory that is not a live client (never initialised, another
/// type, cleared), or one busy in a callback, answers `false`.
///
/// # Safety
/// `client` is NULL or points to `MONGOAUTH_SCRAM_CLIENT_SIZE` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_is_authenticated(
    client: *const mongoauth_scram_client,
) -> bool {
    // SAFETY: caller contract.
    unsafe {
        object::predicate::<ClientState>(client, |c| {
            Ok(c.machine.as_ref().is_some_and(|(_, m)| m.is_authenticated()))
        })
    }
}

/// The mechanism of the current conversation (`*mechanism`, a
/// `mongoauth_mechanism` number); `UNEXPECTED_STEP` before `_start`.
///
/// # Safety
/// `client` points to a client object; `mechanism` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_mechanism(
    client: *const mongoauth_scram_client,
    mechanism: *mut u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let c = unsafe { object::get::<ClientState>(client) }?;
        let (mech, _) = c.machine.as_ref().ok_or_else(not_started)?;
        // SAFETY: caller contract.
        *unsafe { ptr::out(mechanism, "mechanism") }? = *mech as u32;
        Ok(())
    })
}

/// Export the keys derived by a successful login (salt, iterations,
/// ClientKey, ServerKey) into `*keys`, to provision later logins without
/// the password (`mongoauth_scram_client_start_with_keys`).
/// `UNEXPECTED_STEP` until authenticated. The keys are secret.
///
/// # Safety
/// `client` points to a client object; `keys` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_scram_client_keys(
    client: *const mongoauth_scram_client,
    keys: *mut mongoauth_scram_keys,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let c = unsafe { object::get::<ClientState>(client) }?;
        let (mech, m) = c.machine.as_ref().ok_or_else(not_started)?;
        let unauth = || {
            Fail::new(
                MONGOAUTH_STATUS_UNEXPECTED_STEP,
                "keys are available once the server is verified",
            )
        };
        let mut exported = match m {
            AnyClient::Sha1(m) => {
                mongoauth_scram_keys::from_keys(*mech, m.keys().ok_or_else(unauth)?)
            }
            AnyClient::Sha256(m) => {
                mongoauth_scram_keys::from_keys(*mech, m.keys().ok_or_else(unauth)?)
            }
        };
        // SAFETY: caller contract.
        let result = unsafe { ptr::out(keys, "keys") }.map(|out| *out = exported);
        // Do not leave a copy of the keys on the stack.
        zeroize::Zeroize::zeroize(&mut exported.client_key);
        zeroize::Zeroize::zeroize(&mut exported.server_key);
        result
    })
}
