//! The GSSAPI exports over the core's conversation: the client's three
//! GSS needs step by step, answered by the caller's callbacks or the
//! system library, and the server session's acceptor. Every protocol
//! decision is the core's (`Authenticator::provide_gss_*`,
//! `ServerSession::with_gssapi`); these functions only check arguments.

use mongoauth::client::{Need, Step};
use mongoauth::mech::gssapi::{GssConfig, MAX_TARGET_LEN};
use mongoauth::uri::CanonicalizeHostName;

use crate::auth::{AuthState, mongoauth_authenticator, provided};
use crate::error::{Fail, mongoauth_error};
use crate::gss::{
    CallbackAcceptor, CallbackInitiator, KIND_INIT, KIND_UNWRAP, KIND_WRAP,
    MONGOAUTH_GSS_MAX_PRINCIPAL_BYTES, MONGOAUTH_GSS_MAX_TOKEN_BYTES, SessionAcceptor,
    mongoauth_gss_callbacks, mongoauth_gss_failure, mongoauth_gss_request,
};
use crate::object;
use crate::panic::boundary;
use crate::ptr;
use crate::session::{SessionState, mongoauth_server_session};
use crate::status::mongoauth_status::{self, *};

/// Read the pending GSS need (`MONGOAUTH_NEXT_NEED_GSS_INIT`, `_UNWRAP` or
/// `_WRAP`) into `*request`: its `kind`, and for a context step the target
/// (service, host, realm, canonicalize), the principal and password (NULL
/// when absent) and the acceptor's token; for unwrap/wrap the bytes in
/// `input`. The pointers are into the authenticator: copy what you need
/// before the next call on it (and do not move it meanwhile).
/// `UNEXPECTED_STEP` when no GSS operation is pending.
///
/// # Safety
/// `auth` points to an authenticator object; `request` is writable; `err`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_gss_request(
    auth: *mut mongoauth_authenticator,
    request: *mut mongoauth_gss_request,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        let auth = a.auth_mut()?;
        let r = match auth.step() {
            Step::Need(Need::GssInit { target, identity, input }) => {
                mongoauth_gss_request::init(KIND_INIT, &target, &identity, input)
            }
            Step::Need(Need::GssUnwrap { token }) => {
                mongoauth_gss_request::data(KIND_UNWRAP, token)
            }
            Step::Need(Need::GssWrap { message }) => {
                mongoauth_gss_request::data(KIND_WRAP, message)
            }
            _ => {
                return Err(Fail::new(
                    MONGOAUTH_STATUS_UNEXPECTED_STEP,
                    "no GSS operation is pending (see mongoauth_authenticator_next)",
                ));
            }
        };
        // SAFETY: caller contract.
        *unsafe { ptr::out(request, "request") }? = r;
        Ok(())
    })
}

/// Answer `MONGOAUTH_NEXT_NEED_GSS_INIT` with the token
/// `gss_init_sec_context` produced (possibly empty) and whether the
/// context is now established. At most `MONGOAUTH_GSS_MAX_TOKEN_BYTES`.
///
/// # Safety
/// `auth` points to an authenticator object; `token` is readable for
/// `token_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_gss_step(
    auth: *mut mongoauth_authenticator,
    token: *const u8,
    token_len: usize,
    complete: bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let token =
            unsafe { ptr::bytes_max(token, token_len, MONGOAUTH_GSS_MAX_TOKEN_BYTES, "token") }?;
        let mut auth = a.auth_mut()?;
        let r = auth.provide_gss_step(token, complete).map(|_| ());
        provided(&auth, r)
    })
}

/// Answer `MONGOAUTH_NEXT_NEED_GSS_UNWRAP` with the unwrapped message (the
/// server's 4-byte security-layer offer, checked by the core).
///
/// # Safety
/// `auth` points to an authenticator object; `message` is readable for
/// `message_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_gss_unwrapped(
    auth: *mut mongoauth_authenticator,
    message: *const u8,
    message_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let message = unsafe {
            ptr::bytes_max(message, message_len, MONGOAUTH_GSS_MAX_TOKEN_BYTES, "message")
        }?;
        let mut auth = a.auth_mut()?;
        let r = auth.provide_gss_unwrapped(message).map(|_| ());
        provided(&auth, r)
    })
}

/// Answer `MONGOAUTH_NEXT_NEED_GSS_WRAP` with the wrapped token.
///
/// # Safety
/// `auth` points to an authenticator object; `token` is readable for
/// `token_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_gss_wrapped(
    auth: *mut mongoauth_authenticator,
    token: *const u8,
    token_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let token =
            unsafe { ptr::bytes_max(token, token_len, MONGOAUTH_GSS_MAX_TOKEN_BYTES, "token") }?;
        let mut auth = a.auth_mut()?;
        let r = auth.provide_gss_wrapped(token).map(|_| ());
        provided(&auth, r)
    })
}

/// Report that your GSS-API library failed on the pending GSS need (when
/// answering step by step): the login is over, like a callback's
/// `MONGOAUTH_GSS_FAILED` under `_provide_gss_with`. Returns
/// `GSS_FAILURE` with `err` filled (`gss_major`, `gss_minor`, the text in
/// the message; a major of `GSS_S_NO_CONTEXT` is `GSS_NO_CONTEXT`), or
/// `UNEXPECTED_STEP` when no GSS operation is pending.
///
/// # Safety
/// `auth` points to an authenticator object; `failure` is readable; `err`
/// is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_fail_gss(
    auth: *mut mongoauth_authenticator,
    failure: *const mongoauth_gss_failure,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let failure = unsafe { ptr::input(failure, "failure") }?;
        let mut auth = a.auth_mut()?;
        if !matches!(
            auth.step(),
            Step::Need(Need::GssInit { .. } | Need::GssUnwrap { .. } | Need::GssWrap { .. })
        ) {
            return Err(Fail::new(
                MONGOAUTH_STATUS_UNEXPECTED_STEP,
                "no GSS operation is pending (see mongoauth_authenticator_next)",
            ));
        }
        let e = auth.fail_gss_error(&crate::gss::failure_error(failure));
        provided(&auth, Err(e))
    })
}

/// Answer whichever GSS need is pending by calling the `init_*` members of
/// `callbacks` (all three required; the struct is read for this call
/// only), with `(scratch, scratch_len)` for the output token
/// (`MONGOAUTH_GSS_MAX_TOKEN_BYTES` always suffices). A callback's
/// `MONGOAUTH_GSS_FAILED` ends the login with `GSS_FAILURE` (its major and
/// minor status in `err->gss_major`/`gss_minor`, its text in the message).
/// A call on `auth` from inside a callback is `BUSY`.
///
/// # Safety
/// `auth` points to an authenticator object; `callbacks` is readable and
/// its functions honour their contracts for its `user_data`; `scratch` is
/// writable for `scratch_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_gss_with(
    auth: *mut mongoauth_authenticator,
    callbacks: *const mongoauth_gss_callbacks,
    scratch: *mut u8,
    scratch_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below. Lent: the
        // callbacks cannot reach the object.
        let mut a = unsafe { object::lend_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let cb = unsafe { ptr::input(callbacks, "callbacks") }?;
        let mut initiator = CallbackInitiator::new(cb)?;
        // SAFETY: as above.
        let scratch = unsafe { ptr::bytes_mut(scratch.cast(), scratch_len, "scratch") }?;
        let mut auth = a.auth_mut()?;
        let r = auth.provide_gss_with(&mut initiator, scratch).map(|_| ());
        provided(&auth, r)
    })
}

/// Answer whichever GSS need is pending with the system GSS-API library
/// (MIT krb5): credentials from the ticket cache (`KRB5CCNAME`), a client
/// keytab (`KRB5_CLIENT_KTNAME`) or the credential's password. The
/// library's context lives in the authenticator until the next `_start`
/// or `_clear`. `UNSUPPORTED_MECHANISM` when built without the cargo
/// feature `gssapi-system` (see `mongoauth_gss_system_available`).
///
/// # Safety
/// `auth` points to an authenticator object; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_provide_gss_system(
    auth: *mut mongoauth_authenticator,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        a.provide_gss_system()
    })
}

/// Know `user` as a `$external` user (a Kerberos principal, e.g.
/// `user@REALM`), so that a GSSAPI login whose context authenticates that
/// principal succeeds. Before `_start` only (`UNEXPECTED_STEP` after);
/// counts against `MONGOAUTH_SERVER_SESSION_MAX_USERS`.
///
/// # Safety
/// `session` points to a session object; `user` is readable for `user_len`
/// bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_add_external_user(
    session: *mut mongoauth_server_session,
    user: *const u8,
    user_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let s = unsafe { object::get_mut::<SessionState>(session) }?;
        // SAFETY: as above.
        let user =
            unsafe { ptr::text_max(user, user_len, MONGOAUTH_GSS_MAX_PRINCIPAL_BYTES, "user") }?;
        s.add_external_user(user)
    })
}

/// Offer GSSAPI with the `accept_*` members of `callbacks` (all five
/// required; the struct is copied, `user_data` kept: it must stay valid
/// until the session is cleared, freed or given another acceptor; one
/// context per session, i.e. per connection). The callbacks run inside
/// `_handle*`; a call on the session from inside one is `BUSY`. A
/// failure in them is a reply with code 18, never an error of `_handle`.
///
/// # Safety
/// `session` points to a session object; `callbacks` is readable and its
/// functions honour their contracts for its `user_data`; `err` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_set_gss_callbacks(
    session: *mut mongoauth_server_session,
    callbacks: *const mongoauth_gss_callbacks,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let s = unsafe { object::get_mut::<SessionState>(session) }?;
        // SAFETY: as above.
        let cb = unsafe { ptr::input(callbacks, "callbacks") }?;
        let acceptor = CallbackAcceptor::new(cb)?;
        s.set_acceptor(SessionAcceptor::Callbacks(acceptor));
        Ok(())
    })
}

/// Offer GSSAPI with the system GSS-API library (MIT krb5): the acceptor
/// key from the keytab file `keytab` (a path, UTF-8), or with NULL from
/// `KRB5_KTNAME` / the default keytab. `UNSUPPORTED_MECHANISM` when built
/// without the cargo feature `gssapi-system`; `GSS_FAILURE` when the
/// keytab cannot be used.
///
/// # Safety
/// `session` points to a session object; `keytab` is NULL or readable for
/// `keytab_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_server_session_set_gss_system(
    session: *mut mongoauth_server_session,
    keytab: *const u8,
    keytab_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let s = unsafe { object::get_mut::<SessionState>(session) }?;
        // SAFETY: as above.
        let keytab = unsafe { ptr::text_max(keytab, keytab_len, 4096, "keytab") }?;
        let acceptor = crate::gss::system_acceptor(keytab)?;
        s.set_acceptor(acceptor);
        Ok(())
    })
}

impl AuthState {
    /// `_provide_gss_system`: the pending GSS need through the system
    /// library, whose context is kept in this object for the login.
    #[cfg(feature = "gssapi-system")]
    fn provide_gss_system(&mut self) -> Result<(), Fail> {
        extern crate alloc;
        let mut initiator = self.gss_system.take().unwrap_or_default();
        let mut scratch = alloc::vec![0u8; MONGOAUTH_GSS_MAX_TOKEN_BYTES];
        let r = {
            let mut auth = self.auth_mut()?;
            let r = auth.provide_gss_with(&mut initiator, &mut scratch).map(|_| ());
            provided(&auth, r)
        };
        self.gss_system = Some(initiator);
        r
    }

    /// Without the system library: `UNSUPPORTED_MECHANISM`.
    #[cfg(not(feature = "gssapi-system"))]
    fn provide_gss_system(&mut self) -> Result<(), Fail> {
        self.auth()?;
        Err(crate::gss::no_system())
    }
}

/// The host this connection goes to (UTF-8, as connected to: a name, not
/// canonicalized), for a GSSAPI login's target (`service/host`, unless
/// `SERVICE_HOST` says otherwise). Applies from the next `_start` /
/// `_start_uri` (which otherwise uses the connection string's first host);
/// `_start` with GSSAPI requires it. NULL with length 0 forgets it.
///
/// # Safety
/// `auth` points to an authenticator object; `host` is readable for
/// `host_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_authenticator_set_gss_host(
    auth: *mut mongoauth_authenticator,
    host: *const u8,
    host_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let host = unsafe { ptr::text_max(host, host_len, MAX_TARGET_LEN, "host") }?;
        a.gss_settings.host = match host {
            "" => None,
            h => Some(GssConfig::new(h)?),
        };
        Ok(())
    })
}

/// The GSSAPI mechanism properties of a `_start` login (`_start_uri`
/// takes them from the connection string): `service` (`SERVICE_NAME`, NULL
/// for `mongodb`), `realm` (`SERVICE_REALM`, NULL for none),
/// `service_host` (`SERVICE_HOST`, NULL for the connection's host) and
/// `canonicalize` (a `mongoauth_gss_canonicalize` value). Applies from the
/// next `_start`.
///
/// # Safety
/// `auth` points to an authenticator object; each string is NULL (with
/// length 0) or readable for its length; `err` is NULL or writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_authenticator_set_gss_properties(
    auth: *mut mongoauth_authenticator,
    service: *const u8,
    service_len: usize,
    realm: *const u8,
    realm_len: usize,
    service_host: *const u8,
    service_host_len: usize,
    canonicalize: u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for each argument below.
        let a = unsafe { object::get_mut::<AuthState>(auth) }?;
        // SAFETY: as above.
        let service = unsafe { ptr::text_max(service, service_len, MAX_TARGET_LEN, "service") }?;
        // SAFETY: as above.
        let realm = unsafe { ptr::text_max(realm, realm_len, MAX_TARGET_LEN, "realm") }?;
        // SAFETY: as above.
        let service_host = unsafe {
            ptr::text_max(service_host, service_host_len, MAX_TARGET_LEN, "service_host")
        }?;
        let how = match canonicalize {
            0 => CanonicalizeHostName::None,
            1 => CanonicalizeHostName::Forward,
            2 => CanonicalizeHostName::ForwardAndReverse,
            _ => {
                return Err(Fail::arg(
                    MONGOAUTH_STATUS_INVALID_ARGUMENT,
                    "not a mongoauth_gss_canonicalize value",
                    "canonicalize",
                ));
            }
        };
        // A placeholder host until the connection's is known (at start).
        let mut c = GssConfig::new(if service_host.is_empty() { "-" } else { service_host })?
            .with_canonicalize(how);
        if !service.is_empty() {
            c = c.with_service_name(service)?;
        }
        if !realm.is_empty() {
            c = c.with_service_realm(realm)?;
        }
        a.gss_settings.props = Some(c);
        a.gss_settings.props_service_host = !service_host.is_empty();
        Ok(())
    })
}
