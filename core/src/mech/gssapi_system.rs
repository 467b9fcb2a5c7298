//! GSS-API over the system library (MIT krb5, or Heimdal) through the
//! [`libgssapi`] crate (feature `gssapi-system`): a [`GssInitiator`] for the
//! client and a [`GssAcceptor`] for the server, so that a hosted driver or
//! server gets Kerberos without writing GSS calls itself.
//!
//! This is the one place the crate links a GSS-API library; the conversation
//! itself stays in the no_std core and never sees this module.
//!
//! What each side does with the library:
//! - [`SystemInitiator`] names the target from [`GssTarget`] (the principal
//!   `service/host@REALM` when `SERVICE_REALM` is given, the host-based
//!   service `service@host` otherwise; the host canonicalized first when
//!   `CANONICALIZE_HOST_NAME` asks, with the system resolver), acquires the
//!   initiator credential (with the password through
//!   `gss_acquire_cred_with_password` when [`GssIdentity`] carries one,
//!   otherwise from the ticket cache, `KRB5CCNAME`, or the client keytab,
//!   `KRB5_CLIENT_KTNAME`), and runs `gss_init_sec_context` with mutual
//!   authentication.
//! - [`SystemAcceptor`] accepts with the key of a keytab (`KRB5_KTNAME`, or
//!   an explicit path) and reports the initiator's principal.
//!
//! Both wrap with integrity only (RFC 4752 uses no confidentiality for the
//! security-layer messages) and unwrap an owned copy of the token: MIT 1.20's
//! `gss_unwrap` rewrites its input buffer in place for these tokens, and
//! `libgssapi` hands it the caller's slice.
//!
//! Errors are [`GssError::Library`] with the major and minor status and the
//! text of `gss_display_status` for both.

// The error type is the contract's `GssError` (bounded status text inline, no
// allocation in the core); boxing it here would only differ from the traits.
#![allow(clippy::result_large_err)]

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use std::ffi::CString;
use std::path::Path;

use libgssapi::context::{ClientCtx, CtxFlags, SecurityContext, ServerCtx};
use libgssapi::credential::{Cred, CredUsage};
use libgssapi::error::{Error as LibError, MajorFlags};
use libgssapi::name::Name;
use libgssapi::oid::{GSS_MECH_KRB5, GSS_NT_HOSTBASED_SERVICE, GSS_NT_KRB5_PRINCIPAL, OidSet};

use crate::error::{BoundedText, BufferTooSmall};
use crate::mech::gssapi::{GssAcceptor, GssError, GssIdentity, GssInitiator, GssStep, GssTarget};
use crate::uri::CanonicalizeHostName;

/// The context flags the initiator asks for: mutual authentication (the
/// server proves it holds the service key, as every MongoDB driver asks)
/// and in-sequence detection for the two security-layer tokens.
const INIT_FLAGS: CtxFlags = CtxFlags::GSS_C_MUTUAL_FLAG.union(CtxFlags::GSS_C_SEQUENCE_FLAG);

/// Our own failures (a name with a NUL byte, a password without a
/// principal, a misused context) carry this GSS major status:
/// `GSS_S_FAILURE`, with minor 0.
const OWN_FAILURE: u32 = MajorFlags::GSS_S_FAILURE.bits();

/// A failure of ours, in the library's error shape (minor status 0).
fn own_error(major: u32, text: &str) -> GssError {
    GssError::Library { major, minor: 0, text: BoundedText::new(text) }
}

/// A library failure: major/minor and `gss_display_status`'s text for both.
fn lib_error(e: LibError) -> GssError {
    lib_error_in("", e)
}

/// The same, with what we were doing in front of the library's text:
/// `what: minor text (GSS_S_NAME)` when the mechanism said something (MIT's
/// minor texts name the principal, keytab or cache; the major texts are
/// long generic sentences that would crowd them out of the bounded text),
/// else `what: major text`.
fn lib_error_in(what: &str, e: LibError) -> GssError {
    let major = e.major.bits();
    let minor_text = if e.minor == 0 { String::new() } else { raw::display_status(e.minor, true) };
    // MIT shows an unknown or zero mechanism code as "Success".
    let text = if minor_text.is_empty() || minor_text == "Success" {
        raw::display_status(major, false)
    } else {
        match routine_name(major) {
            Some(name) => format!("{minor_text} ({name})"),
            None => format!("{minor_text} ({})", raw::display_status(major, false)),
        }
    };
    let text = if what.is_empty() { text } else { format!("{what}: {text}") };
    GssError::Library { major, minor: e.minor, text: BoundedText::new(text.trim()) }
}

/// The RFC 2744 name of a major status's routine error, if it has one.
fn routine_name(major: u32) -> Option<&'static str> {
    const NAMES: [&str; 19] = [
        "GSS_S_BAD_MECH",
        "GSS_S_BAD_NAME",
        "GSS_S_BAD_NAMETYPE",
        "GSS_S_BAD_BINDINGS",
        "GSS_S_BAD_STATUS",
        "GSS_S_BAD_SIG",
        "GSS_S_NO_CRED",
        "GSS_S_NO_CONTEXT",
        "GSS_S_DEFECTIVE_TOKEN",
        "GSS_S_DEFECTIVE_CREDENTIAL",
        "GSS_S_CREDENTIALS_EXPIRED",
        "GSS_S_CONTEXT_EXPIRED",
        "GSS_S_FAILURE",
        "GSS_S_BAD_QOP",
        "GSS_S_UNAUTHORIZED",
        "GSS_S_UNAVAILABLE",
        "GSS_S_DUPLICATE_ELEMENT",
        "GSS_S_NAME_NOT_MN",
        "GSS_S_BAD_MECH_ATTR",
    ];
    let routine = (major & ROUTINE_ERROR_MASK) >> 16;
    NAMES.get(usize::try_from(routine).ok()?.checked_sub(1)?).copied()
}

/// The routine-error field of a GSS major status (RFC 2744 3.9.1).
const ROUTINE_ERROR_MASK: u32 = 0x00ff_0000;

/// Copy `data` into `out`, or say how large `out` must be.
fn put(data: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
    match out.get_mut(..data.len()) {
        Some(dst) => {
            dst.copy_from_slice(data);
            Ok(data.len())
        }
        None => Err(GssError::BufferTooSmall(BufferTooSmall { required: data.len() })),
    }
}

/// The Kerberos mechanism only: a default mechanism could be SPNEGO, which
/// a MongoDB server does not speak.
fn krb5_mechs() -> Result<OidSet, GssError> {
    OidSet::singleton(GSS_MECH_KRB5).map_err(lib_error)
}

/// The result of an operation whose output did not fit the caller's
/// buffer, kept so that the retry with a larger buffer gets the same bytes
/// instead of running the (stateful) GSS call a second time: a second
/// `gss_init_sec_context` would advance the context, a second `gss_unwrap`
/// of the same token is a replay.
struct Pending {
    op: Op,
    input: Vec<u8>,
    output: Vec<u8>,
    complete: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Step,
    Wrap,
    Unwrap,
}

/// Hand `output` to the caller, or keep it for the retry when `out` is too small.
fn deliver(
    pending: &mut Option<Pending>,
    op: Op,
    input: &[u8],
    output: &[u8],
    complete: bool,
    out: &mut [u8],
) -> Result<usize, GssError> {
    let r = put(output, out);
    if r.is_err() {
        *pending =
            Some(Pending { op, input: input.to_owned(), output: output.to_owned(), complete });
    }
    r
}

/// A kept result for this very call (same operation, same input), if any.
fn take_pending(pending: &mut Option<Pending>, op: Op, input: &[u8]) -> Option<Pending> {
    match pending.take() {
        Some(p) if p.op == op && p.input == input => Some(p),
        // Another call: the caller gave up on the kept result.
        _ => None,
    }
}

/// The target's name as the GSS-API library gets it, after
/// `CANONICALIZE_HOST_NAME`: `service/host@REALM` (a Kerberos principal)
/// with a realm, `service@host` (a host-based service, the library maps
/// the host to a realm) without. Public so that a caller can log or check
/// which principal a login will ask the KDC for.
pub fn target_name(target: &GssTarget<'_>) -> String {
    let host = canonicalize_host(target.host, target.canonicalize);
    match target.realm {
        Some(realm) => format!("{}/{}@{}", target.service, host, realm),
        None => format!("{}@{}", target.service, host),
    }
}

/// `CANONICALIZE_HOST_NAME` with the system resolver, as the auth spec
/// defines it: `forward` follows CNAMEs (getaddrinfo's canonical name),
/// `forwardAndReverse` then looks the first address up (PTR, getnameinfo);
/// the result is lowercased; any lookup failure keeps the host as given.
pub fn canonicalize_host(host: &str, how: CanonicalizeHostName) -> String {
    let resolved = match how {
        CanonicalizeHostName::None => None,
        CanonicalizeHostName::Forward => forward_lookup(host).and_then(|(canon, _)| canon),
        CanonicalizeHostName::ForwardAndReverse => forward_lookup(host)
            .and_then(|(_, addr)| addr)
            .and_then(|addr| dns_lookup::lookup_addr(&addr).ok()),
    };
    match resolved {
        Some(name) if !name.is_empty() => name.to_ascii_lowercase(),
        _ => host.to_owned(),
    }
}

/// getaddrinfo(host, AI_CANONNAME): the canonical name and the first address.
fn forward_lookup(host: &str) -> Option<(Option<String>, Option<core::net::IpAddr>)> {
    let hints = dns_lookup::AddrInfoHints {
        flags: libc::AI_CANONNAME,
        socktype: libc::SOCK_STREAM,
        ..dns_lookup::AddrInfoHints::default()
    };
    let mut answers = dns_lookup::getaddrinfo(Some(host), None, Some(hints)).ok()?;
    // The canonical name rides on the first answer.
    let first = answers.next()?.ok()?;
    Some((first.canonname, Some(first.sockaddr.ip())))
}

/// The client's GSS-API library: the system one (see the [module](self)).
///
/// One value serves one login at a time; a first [`GssInitiator::step`]
/// (empty input) starts a new context, so the value can be reused for the
/// next connection. Credentials are acquired at that first step, so a
/// ticket obtained with `kinit` in the meantime is used.
#[derive(Default)]
pub struct SystemInitiator {
    ctx: Option<ClientCtx>,
    pending: Option<Pending>,
}

impl core::fmt::Debug for SystemInitiator {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SystemInitiator")
            .field(
                "context",
                &self
                    .ctx
                    .as_ref()
                    .map(|c| if c.is_complete() { "established" } else { "in progress" }),
            )
            .finish()
    }
}

impl SystemInitiator {
    /// An initiator without a context; the first `step` creates one.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drop the context (a failed login, or to start over).
    pub fn reset(&mut self) {
        self.ctx = None;
        self.pending = None;
    }

    /// Whether the context is established (the conversation's last token
    /// was processed).
    pub fn is_complete(&self) -> bool {
        self.ctx.as_ref().is_some_and(SecurityContext::is_complete)
    }

    /// A new context toward `target` as `identity`.
    fn start(target: &GssTarget<'_>, identity: &GssIdentity<'_>) -> Result<ClientCtx, GssError> {
        let mechs = krb5_mechs()?;
        let wanted = target_name(target);
        let (name, name_type) = match target.realm {
            Some(_) => (wanted.as_str(), GSS_NT_KRB5_PRINCIPAL),
            None => (wanted.as_str(), GSS_NT_HOSTBASED_SERVICE),
        };
        let target_name = Name::new(name.as_bytes(), Some(name_type))
            .map_err(|e| lib_error_in(&format!("target name {name:?}"), e))?;
        let principal = match identity.principal {
            Some(p) => Some(
                Name::new(p.as_bytes(), Some(GSS_NT_KRB5_PRINCIPAL))
                    .map_err(|e| lib_error_in(&format!("principal {p:?}"), e))?,
            ),
            None => None,
        };
        let cred = match (identity.password, principal.as_ref()) {
            (Some(password), Some(principal)) => {
                // The password reaches the library and nothing else; MIT
                // keeps the ticket in a private in-memory cache.
                Cred::acquire_with_password(
                    Some(principal),
                    password,
                    None,
                    CredUsage::Initiate,
                    Some(&mechs),
                )
                .map_err(|e| lib_error_in("acquiring credentials with the password", e))?
            }
            (Some(_), None) => {
                return Err(own_error(
                    MajorFlags::GSS_S_NO_CRED.bits(),
                    "a password needs a principal (the credential's username) to get a ticket for",
                ));
            }
            (None, principal) => Cred::acquire(principal, None, CredUsage::Initiate, Some(&mechs))
                .map_err(|e| {
                    lib_error_in("acquiring credentials (ticket cache or client keytab)", e)
                })?,
        };
        Ok(ClientCtx::new(Some(cred), target_name, INIT_FLAGS, Some(GSS_MECH_KRB5)))
    }
}

impl GssInitiator for SystemInitiator {
    fn step(
        &mut self,
        target: &GssTarget<'_>,
        identity: &GssIdentity<'_>,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<GssStep, GssError> {
        if let Some(p) = take_pending(&mut self.pending, Op::Step, input) {
            let written = deliver(&mut self.pending, Op::Step, input, &p.output, p.complete, out)?;
            return Ok(GssStep { written, complete: p.complete });
        }
        let first = input.is_empty();
        if first {
            // The conversation's first call: a new context, whatever the old one did.
            self.ctx = Some(Self::start(target, identity)?);
        }
        let Some(ctx) = self.ctx.as_mut() else {
            return Err(GssError::NoContext);
        };
        if !first && ctx.is_complete() {
            return Err(own_error(
                MajorFlags::GSS_S_DEFECTIVE_TOKEN.bits(),
                "the acceptor sent a token after the context was established",
            ));
        }
        // No prefix: the conversation names the operation (`Error::Gss`).
        let token = ctx.step(if first { None } else { Some(input) }, None).map_err(lib_error);
        let token = match token {
            Ok(t) => t,
            Err(e) => {
                self.ctx = None;
                return Err(e);
            }
        };
        let complete = ctx.is_complete();
        let output: &[u8] = token.as_deref().unwrap_or(&[]);
        let written = deliver(&mut self.pending, Op::Step, input, output, complete, out)?;
        Ok(GssStep { written, complete })
    }

    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        unwrap_with(&mut self.pending, self.ctx.as_mut(), token, out)
    }

    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        wrap_with(&mut self.pending, self.ctx.as_mut(), message, out)
    }
}

/// `gss_unwrap` for either role: a retried call gets the kept result (see
/// [`take_pending`]); otherwise the established context unwraps an owned copy
/// (MIT rewrites the buffer it is given).
fn unwrap_with<C: SecurityContext>(
    pending: &mut Option<Pending>,
    ctx: Option<&mut C>,
    token: &[u8],
    out: &mut [u8],
) -> Result<usize, GssError> {
    if let Some(p) = take_pending(pending, Op::Unwrap, token) {
        return deliver(pending, Op::Unwrap, token, &p.output, false, out);
    }
    let ctx = established(ctx)?;
    let copy = token.to_owned();
    let message = ctx.unwrap(&copy).map_err(lib_error)?;
    deliver(pending, Op::Unwrap, token, &message, false, out)
}

/// `gss_wrap` (integrity only) for either role, with the same retry rule.
fn wrap_with<C: SecurityContext>(
    pending: &mut Option<Pending>,
    ctx: Option<&mut C>,
    message: &[u8],
    out: &mut [u8],
) -> Result<usize, GssError> {
    if let Some(p) = take_pending(pending, Op::Wrap, message) {
        return deliver(pending, Op::Wrap, message, &p.output, false, out);
    }
    let ctx = established(ctx)?;
    let token = ctx.wrap(false, message).map_err(lib_error)?;
    deliver(pending, Op::Wrap, message, &token, false, out)
}

/// The context, if it is established (wrap and unwrap need one).
fn established<C: SecurityContext>(ctx: Option<&mut C>) -> Result<&mut C, GssError> {
    match ctx {
        Some(c) if c.is_complete() => Ok(c),
        _ => Err(GssError::NoContext),
    }
}

/// The server's GSS-API library: the system one, with the key of a keytab
/// (see the [module](self)). One value per connection: [`Self::fresh`]
/// gives another one sharing the credential.
pub struct SystemAcceptor {
    cred: Cred,
    ctx: Option<ServerCtx>,
    pending: Option<Pending>,
}

impl core::fmt::Debug for SystemAcceptor {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SystemAcceptor")
            .field(
                "context",
                &self
                    .ctx
                    .as_ref()
                    .map(|c| if c.is_complete() { "established" } else { "in progress" }),
            )
            .finish()
    }
}

impl SystemAcceptor {
    /// The acceptor credential from the default keytab: `KRB5_KTNAME`, else
    /// the library's default (`/etc/krb5.keytab` for MIT). Any service
    /// principal in it is accepted.
    ///
    /// # Errors
    /// The library's, e.g. when the keytab is missing or holds no key.
    pub fn from_env() -> Result<Self, GssError> {
        let mechs = krb5_mechs()?;
        let cred = Cred::acquire(None, None, CredUsage::Accept, Some(&mechs))
            .map_err(|e| lib_error_in("acquiring the acceptor credential (KRB5_KTNAME)", e))?;
        Ok(Self::with_cred(cred))
    }

    /// The acceptor credential from the keytab at `keytab` (a path, or a
    /// `TYPE:residual` keytab name such as `FILE:/etc/mongodb.keytab`),
    /// without touching the process environment. Any service principal in
    /// it is accepted.
    ///
    /// # Errors
    /// The library's, e.g. when the keytab is missing or holds no key; a
    /// path that is not UTF-8 or holds a NUL byte.
    pub fn with_keytab(keytab: &Path) -> Result<Self, GssError> {
        let Some(path) = keytab.to_str() else {
            return Err(own_error(OWN_FAILURE, "the keytab path is not UTF-8"));
        };
        let Ok(path) = CString::new(path) else {
            return Err(own_error(OWN_FAILURE, "the keytab path holds a NUL byte"));
        };
        let cred = raw::acquire_acceptor_from_keytab(&path)
            .map_err(|e| lib_error_in("acquiring the acceptor credential from the keytab", e))?;
        // A credential handle from a keytab the library could not read is
        // only detected when a context is accepted; ask now so that a
        // server fails at startup, not at the first login.
        cred.name().map_err(|e| lib_error_in(&format!("the keytab {keytab:?}"), e))?;
        Ok(Self::with_cred(cred))
    }

    fn with_cred(cred: Cred) -> Self {
        SystemAcceptor { cred, ctx: None, pending: None }
    }

    /// Another acceptor with the same credential and no context: one per
    /// connection of a server.
    pub fn fresh(&self) -> Self {
        Self::with_cred(self.cred.clone())
    }
}

impl GssAcceptor for SystemAcceptor {
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError> {
        if let Some(p) = take_pending(&mut self.pending, Op::Step, input) {
            let written = deliver(&mut self.pending, Op::Step, input, &p.output, p.complete, out)?;
            return Ok(GssStep { written, complete: p.complete });
        }
        let ctx = self.ctx.get_or_insert_with(|| ServerCtx::new(Some(self.cred.clone())));
        if ctx.is_complete() {
            return Err(own_error(
                MajorFlags::GSS_S_DEFECTIVE_TOKEN.bits(),
                "a context token after the context was established (reset first)",
            ));
        }
        let token = match ctx.step(input, None) {
            Ok(t) => t,
            Err(e) => {
                self.ctx = None;
                return Err(lib_error_in("gss_accept_sec_context", e));
            }
        };
        let complete = ctx.is_complete();
        let output: &[u8] = token.as_deref().unwrap_or(&[]);
        let written = deliver(&mut self.pending, Op::Step, input, output, complete, out)?;
        Ok(GssStep { written, complete })
    }

    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        wrap_with(&mut self.pending, self.ctx.as_mut(), message, out)
    }

    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        unwrap_with(&mut self.pending, self.ctx.as_mut(), token, out)
    }

    fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError> {
        let ctx = established(self.ctx.as_mut())?;
        let name = ctx.source_name().map_err(|e| lib_error_in("gss_inquire_context", e))?;
        let shown = name.display_name().map_err(|e| lib_error_in("gss_display_name", e))?;
        put(&shown, out)
    }

    fn reset(&mut self) {
        self.ctx = None;
        self.pending = None;
    }
}

/// The one call `libgssapi` 0.11 does not wrap: `gss_acquire_cred_from`
/// (an MIT/Heimdal extension, `gssapi_ext.h`) with a `keytab` credential
/// store, which reads an acceptor key from an explicit keytab without
/// setting the process-global `KRB5_KTNAME`. The handle is handed to
/// `libgssapi`'s [`Cred`], which releases it.
#[allow(unsafe_code)]
mod raw {
    use core::ptr;
    use std::ffi::CString;

    use alloc::string::String;
    use alloc::vec::Vec;
    use libgssapi::credential::Cred;
    use libgssapi::error::{Error, MajorFlags};

    use libgssapi_sys::{
        GSS_C_ACCEPT, GSS_C_GSS_CODE, GSS_C_MECH_CODE, GSS_S_COMPLETE, OM_uint32,
        gss_acquire_cred_from, gss_buffer_desc, gss_cred_id_t, gss_cred_usage_t,
        gss_display_status, gss_key_value_element_desc, gss_key_value_set_desc, gss_release_buffer,
    };

    /// The most messages one status code is shown with (the library hands
    /// them out one by one; MIT has at most a few).
    const MAX_MESSAGES: usize = 8;

    /// `gss_display_status` of a major (`mech` false) or minor (`mech`
    /// true) status, every message joined with "; ". libgssapi only offers
    /// both together through `Display`; the error text wants them apart.
    pub(super) fn display_status(code: u32, mech: bool) -> String {
        let kind = if mech { GSS_C_MECH_CODE } else { GSS_C_GSS_CODE };
        let mut parts: Vec<String> = Vec::new();
        let mut context: OM_uint32 = 0;
        for _ in 0..MAX_MESSAGES {
            let mut minor: OM_uint32 = 0;
            let mut buf = gss_buffer_desc { length: 0, value: ptr::null_mut() };
            // SAFETY: `minor`, `context` and `buf` are valid for writes
            // during the call; a null mechanism OID is the documented
            // default (GSS_C_NO_OID). On success the library allocated
            // `buf`, which is read below and released exactly once.
            let major = unsafe {
                gss_display_status(
                    &mut minor,
                    code,
                    kind as i32,
                    ptr::null_mut(),
                    &mut context,
                    &mut buf,
                )
            };
            if major != GSS_S_COMPLETE {
                break;
            }
            if !buf.value.is_null() && buf.length > 0 {
                // SAFETY: the library says `value` points at `length`
                // initialized bytes, alive until released below.
                let bytes =
                    unsafe { core::slice::from_raw_parts(buf.value.cast::<u8>(), buf.length) };
                parts.push(String::from_utf8_lossy(bytes).into_owned());
            }
            let mut release_minor: OM_uint32 = 0;
            // SAFETY: `buf` came from gss_display_status and is released once.
            unsafe { gss_release_buffer(&mut release_minor, &mut buf) };
            if context == 0 {
                break;
            }
        }
        if parts.is_empty() { alloc::format!("status {code:#x}") } else { parts.join("; ") }
    }

    /// `gss_acquire_cred_from(GSS_C_NO_NAME, GSS_C_INDEFINITE,
    /// GSS_C_NO_OID_SET, GSS_C_ACCEPT, {keytab: path})`.
    pub(super) fn acquire_acceptor_from_keytab(path: &CString) -> Result<Cred, Error> {
        let mut element =
            gss_key_value_element_desc { key: c"keytab".as_ptr(), value: path.as_ptr() };
        let store = gss_key_value_set_desc { count: 1, elements: &mut element };
        let mut minor: OM_uint32 = 0;
        let mut cred: gss_cred_id_t = ptr::null_mut();
        // SAFETY: every pointer is valid for the call: `store` and the
        // element it points to live on this frame, their strings are
        // NUL-terminated (`c"keytab"`, the caller's `CString`) and the
        // library only reads them during the call; the name and mechanism
        // set are the documented null defaults (GSS_C_NO_NAME,
        // GSS_C_NO_OID_SET); `minor` and `cred` are valid out-pointers; the
        // actual-mechanisms and time out-pointers may be null (RFC 2744).
        let major = unsafe {
            gss_acquire_cred_from(
                &mut minor,
                ptr::null_mut(),
                libgssapi_sys::_GSS_C_INDEFINITE,
                ptr::null_mut(),
                GSS_C_ACCEPT as gss_cred_usage_t,
                &store,
                &mut cred,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        if major == GSS_S_COMPLETE {
            // SAFETY: the call succeeded, so `cred` is a credential handle
            // that nobody else owns; `Cred` releases it exactly once.
            Ok(unsafe { Cred::from_c(cred) })
        } else {
            if !cred.is_null() {
                // SAFETY: as above; dropping the wrapper releases a
                // partially built handle the library may have returned.
                drop(unsafe { Cred::from_c(cred) });
            }
            Err(Error { major: MajorFlags::from_bits_retain(major), minor })
        }
    }
}
