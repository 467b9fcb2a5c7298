//! GSSAPI (Kerberos) through the C ABI: the caller's GSS-API library as
//! C callbacks (`mongoauth_gss_callbacks`), adapted to the core's
//! [`GssInitiator`] and [`GssAcceptor`] traits, so that the conversation
//! itself stays in the core. The adapters only translate arguments and
//! results; they hold no protocol logic.

use core::ffi::{c_char, c_void};

use mongoauth::mech::gssapi::{
    self as g, GssAcceptor, GssError, GssIdentity, GssInitiator, GssStep, GssTarget,
};
use mongoauth::uri::CanonicalizeHostName;
use mongoauth::{BoundedText, BufferTooSmall};

use mongoauth::mech::Mechanism;
use mongoauth::mech::gssapi::GssConfig;
use mongoauth::uri::MechanismProperties;

use crate::error::Fail;
use crate::status::mongoauth_status::*;

/// Longest GSS token the library takes or produces, in bytes: a scratch
/// buffer this large always suffices for `_provide_gss_with`.
pub const MONGOAUTH_GSS_MAX_TOKEN_BYTES: usize = 16384;
/// Longest principal name (`user@REALM`, `service/host@REALM`), in bytes.
pub const MONGOAUTH_GSS_MAX_PRINCIPAL_BYTES: usize = 256;
/// Capacity of `mongoauth_gss_failure.text`, in bytes (no NUL needed).
pub const MONGOAUTH_GSS_STATUS_TEXT_BYTES: usize = 256;

const _: () = assert!(MONGOAUTH_GSS_MAX_TOKEN_BYTES == g::MAX_TOKEN_LEN);
const _: () = assert!(MONGOAUTH_GSS_MAX_PRINCIPAL_BYTES == g::MAX_PRINCIPAL_LEN);
const _: () = assert!(MONGOAUTH_GSS_STATUS_TEXT_BYTES == g::MAX_STATUS_TEXT_LEN);

/// `MONGOAUTH_GSS_MAX_TOKEN_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_gss_max_token_bytes() -> usize {
    MONGOAUTH_GSS_MAX_TOKEN_BYTES
}
/// `MONGOAUTH_GSS_MAX_PRINCIPAL_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_gss_max_principal_bytes() -> usize {
    MONGOAUTH_GSS_MAX_PRINCIPAL_BYTES
}
/// `MONGOAUTH_GSS_STATUS_TEXT_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_gss_status_text_bytes() -> usize {
    MONGOAUTH_GSS_STATUS_TEXT_BYTES
}

/// Whether this library was built with the system GSS-API library (cargo
/// feature `gssapi-system`, MIT krb5): without it,
/// `mongoauth_authenticator_provide_gss_system` and
/// `mongoauth_server_session_set_gss_system` return
/// `UNSUPPORTED_MECHANISM`, and GSS needs are answered with callbacks or
/// step by step.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_gss_system_available() -> bool {
    cfg!(feature = "gssapi-system")
}

/// What a GSS callback returns (as a `uint32_t`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mongoauth_gss_result {
    /// Done: `*written` bytes are in the output buffer.
    MONGOAUTH_GSS_OK = 0,
    /// The GSS-API library failed: fill `*failure` (major and minor
    /// status, and the `gss_display_status` text if you have it).
    MONGOAUTH_GSS_FAILED = 1,
    /// The output buffer is too small: set `*written` to the size needed.
    MONGOAUTH_GSS_BUFFER_TOO_SMALL = 2,
    /// Wrap, unwrap or source name without an established context.
    MONGOAUTH_GSS_NO_CONTEXT = 3,
}

/// `CANONICALIZE_HOST_NAME`, as `mongoauth_gss_target.canonicalize`: what
/// the initiator does to the host before naming the service (it needs DNS,
/// so it is the caller's job).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mongoauth_gss_canonicalize {
    /// `none` (or legacy `false`): the host as given.
    MONGOAUTH_GSS_CANONICALIZE_NONE = 0,
    /// `forward`: follow CNAMEs.
    MONGOAUTH_GSS_CANONICALIZE_FORWARD = 1,
    /// `forwardAndReverse` (or legacy `true`): also a reverse lookup.
    MONGOAUTH_GSS_CANONICALIZE_FORWARD_AND_REVERSE = 2,
}

impl mongoauth_gss_canonicalize {
    pub(crate) fn of(c: CanonicalizeHostName) -> Self {
        match c {
            CanonicalizeHostName::Forward => Self::MONGOAUTH_GSS_CANONICALIZE_FORWARD,
            CanonicalizeHostName::ForwardAndReverse => {
                Self::MONGOAUTH_GSS_CANONICALIZE_FORWARD_AND_REVERSE
            }
            _ => Self::MONGOAUTH_GSS_CANONICALIZE_NONE,
        }
    }
}

/// A GSS callback's failure, filled by the callback when it returns
/// `MONGOAUTH_GSS_FAILED`; zeroed by the library before each call. Its
/// major/minor status and text reach the caller in `mongoauth_error`
/// (`gss_major`, `gss_minor`, the message).
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct mongoauth_gss_failure {
    /// GSS major status (`OM_uint32`).
    pub major: u32,
    /// Mechanism (minor) status.
    pub minor: u32,
    /// Bytes of `text` used (at most `MONGOAUTH_GSS_STATUS_TEXT_BYTES`).
    pub text_len: usize,
    /// UTF-8 text for the status (`gss_display_status`), not
    /// NUL-terminated; invalid UTF-8 is cut at the first bad byte.
    pub text: [c_char; MONGOAUTH_GSS_STATUS_TEXT_BYTES],
}

/// What the client's GSS step needs: where the context is aimed, who the
/// client is, and the acceptor's last token. From
/// `mongoauth_authenticator_gss_request` or given to the `init_step`
/// callback. Strings are UTF-8, not NUL-terminated; an absent one is NULL
/// with length 0. The pointers are into the authenticator: valid until the
/// next call on it, and not after it is moved.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_gss_request {
    /// The `mongoauth_next` value this answers: `NEED_GSS_INIT`,
    /// `NEED_GSS_UNWRAP` or `NEED_GSS_WRAP`.
    pub kind: u32,
    /// `SERVICE_NAME` (default `mongodb`). `NEED_GSS_INIT` only.
    pub service: *const u8,
    /// Its length.
    pub service_len: usize,
    /// `SERVICE_HOST`, else the connection's host. `NEED_GSS_INIT` only.
    pub host: *const u8,
    /// Its length.
    pub host_len: usize,
    /// `SERVICE_REALM`, or NULL: with a realm, name the target as the
    /// principal `service/host@realm`; without, as the host-based service
    /// `service@host`. `NEED_GSS_INIT` only.
    pub realm: *const u8,
    /// Its length.
    pub realm_len: usize,
    /// A `mongoauth_gss_canonicalize` value. `NEED_GSS_INIT` only.
    pub canonicalize: u32,
    /// The principal (the credential's username), or NULL for the
    /// library's default credential. `NEED_GSS_INIT` only.
    pub principal: *const u8,
    /// Its length.
    pub principal_len: usize,
    /// A password to acquire credentials with, or NULL (use a ticket cache
    /// or keytab). `NEED_GSS_INIT` only. Never log it.
    pub password: *const u8,
    /// Its length.
    pub password_len: usize,
    /// `NEED_GSS_INIT`: the acceptor's last token (empty at first);
    /// `NEED_GSS_UNWRAP`: the token to unwrap; `NEED_GSS_WRAP`: the message
    /// to wrap (integrity only, no confidentiality).
    pub input: *const u8,
    /// Its length.
    pub input_len: usize,
}

fn str_parts(s: Option<&str>) -> (*const u8, usize) {
    s.map_or((core::ptr::null(), 0), |s| (s.as_ptr(), s.len()))
}

impl mongoauth_gss_request {
    /// An empty request of `kind` (all NULL).
    pub(crate) fn empty(kind: u32) -> Self {
        mongoauth_gss_request {
            kind,
            service: core::ptr::null(),
            service_len: 0,
            host: core::ptr::null(),
            host_len: 0,
            realm: core::ptr::null(),
            realm_len: 0,
            canonicalize: 0,
            principal: core::ptr::null(),
            principal_len: 0,
            password: core::ptr::null(),
            password_len: 0,
            input: core::ptr::null(),
            input_len: 0,
        }
    }

    /// A context step's request, borrowing the core's values.
    pub(crate) fn init(
        kind: u32,
        target: &GssTarget<'_>,
        identity: &GssIdentity<'_>,
        input: &[u8],
    ) -> Self {
        let mut r = Self::empty(kind);
        (r.service, r.service_len) = str_parts(Some(target.service));
        (r.host, r.host_len) = str_parts(Some(target.host));
        (r.realm, r.realm_len) = str_parts(target.realm);
        r.canonicalize = mongoauth_gss_canonicalize::of(target.canonicalize) as u32;
        (r.principal, r.principal_len) = str_parts(identity.principal);
        (r.password, r.password_len) = str_parts(identity.password);
        r.input = input.as_ptr();
        r.input_len = input.len();
        r
    }

    /// A wrap or unwrap request for `input`.
    pub(crate) fn data(kind: u32, input: &[u8]) -> Self {
        let mut r = Self::empty(kind);
        r.input = input.as_ptr();
        r.input_len = input.len();
        r
    }
}

/// The initiator's `gss_init_sec_context`: process `request->input`, write
/// the next token into `(out, capacity, *written)` (possibly 0 bytes) and
/// set `*complete` once the context is established.
#[allow(non_camel_case_types)]
pub type mongoauth_gss_init_step_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        request: *const mongoauth_gss_request,
        out: *mut u8,
        capacity: usize,
        written: *mut usize,
        complete: *mut bool,
        failure: *mut mongoauth_gss_failure,
    ) -> u32,
>;

/// The acceptor's `gss_accept_sec_context` on the initiator's token.
#[allow(non_camel_case_types)]
pub type mongoauth_gss_accept_step_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        input: *const u8,
        input_len: usize,
        out: *mut u8,
        capacity: usize,
        written: *mut usize,
        complete: *mut bool,
        failure: *mut mongoauth_gss_failure,
    ) -> u32,
>;

/// `gss_wrap` (integrity only, `conf_req_flag` 0) or `gss_unwrap` of
/// `(input, input_len)` into `(out, capacity, *written)`. Note: MIT's
/// `gss_unwrap` may rewrite its input buffer; `input` is read-only, so
/// unwrap a copy.
#[allow(non_camel_case_types)]
pub type mongoauth_gss_transform_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        input: *const u8,
        input_len: usize,
        out: *mut u8,
        capacity: usize,
        written: *mut usize,
        failure: *mut mongoauth_gss_failure,
    ) -> u32,
>;

/// The acceptor's authenticated initiator name (`gss_display_name` of the
/// source name), UTF-8, into `(out, capacity, *written)`.
#[allow(non_camel_case_types)]
pub type mongoauth_gss_source_name_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        out: *mut u8,
        capacity: usize,
        written: *mut usize,
        failure: *mut mongoauth_gss_failure,
    ) -> u32,
>;

/// The acceptor's reset: drop the context, so that the next step starts a
/// new one.
#[allow(non_camel_case_types)]
pub type mongoauth_gss_reset_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// Your GSS-API library (MIT krb5, Heimdal, SSPI...) as callbacks. A
/// client fills the `init_*` members (for
/// `mongoauth_authenticator_provide_gss_with`), a server the `accept_*`
/// ones (for `mongoauth_server_session_set_gss_callbacks`); the others may
/// be NULL. Each returns a `mongoauth_gss_result`; outputs are `(out,
/// capacity, *written)`. `user_data` is passed to every call and holds your
/// context (one per connection): the library copies this struct and never
/// frees `user_data`. Callbacks must not call into the object that invoked
/// them (that is `BUSY`), and must not unwind (longjmp, C++ exceptions).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_gss_callbacks {
    /// Passed to every callback.
    pub user_data: *mut c_void,
    /// Client: a context step (`gss_init_sec_context`).
    pub init_step: mongoauth_gss_init_step_fn,
    /// Client: `gss_wrap` of the security-layer answer.
    pub init_wrap: mongoauth_gss_transform_fn,
    /// Client: `gss_unwrap` of the server's security-layer token.
    pub init_unwrap: mongoauth_gss_transform_fn,
    /// Server: a context step (`gss_accept_sec_context`).
    pub accept_step: mongoauth_gss_accept_step_fn,
    /// Server: `gss_wrap` of the security-layer offer.
    pub accept_wrap: mongoauth_gss_transform_fn,
    /// Server: `gss_unwrap` of the client's answer.
    pub accept_unwrap: mongoauth_gss_transform_fn,
    /// Server: the authenticated principal.
    pub accept_source_name: mongoauth_gss_source_name_fn,
    /// Server: drop the context (a new login, or after a failure).
    pub accept_reset: mongoauth_gss_reset_fn,
}

/// GSS major status `GSS_S_FAILURE`, for a callback that broke its contract.
const GSS_S_FAILURE: u32 = 13 << 16;

fn broken(what: &str) -> GssError {
    GssError::Library { major: GSS_S_FAILURE, minor: 0, text: BoundedText::new(what) }
}

fn new_failure() -> mongoauth_gss_failure {
    mongoauth_gss_failure {
        major: 0,
        minor: 0,
        text_len: 0,
        text: [0; MONGOAUTH_GSS_STATUS_TEXT_BYTES],
    }
}

/// A callback's result as the core's: `Ok(written)` checked against the
/// buffer, or the `GssError` it reported (the core traits' error type,
/// large by design: it carries the library's text).
#[allow(clippy::result_large_err)]
fn result(
    code: u32,
    written: usize,
    capacity: usize,
    failure: &mongoauth_gss_failure,
    name: &str,
) -> Result<usize, GssError> {
    const OK: u32 = mongoauth_gss_result::MONGOAUTH_GSS_OK as u32;
    const SMALL: u32 = mongoauth_gss_result::MONGOAUTH_GSS_BUFFER_TOO_SMALL as u32;
    const NO_CONTEXT: u32 = mongoauth_gss_result::MONGOAUTH_GSS_NO_CONTEXT as u32;
    match code {
        OK if written <= capacity => Ok(written),
        OK => Err(broken(name)),
        SMALL if written > capacity => {
            Err(GssError::BufferTooSmall(BufferTooSmall { required: written }))
        }
        SMALL => Err(broken(name)),
        NO_CONTEXT => Err(GssError::NoContext),
        _ => Err(failure_error(failure)),
    }
}

/// A caller's `mongoauth_gss_failure` as the core's error (text cut at the
/// first invalid UTF-8 byte).
pub(crate) fn failure_error(failure: &mongoauth_gss_failure) -> GssError {
    let n = failure.text_len.min(MONGOAUTH_GSS_STATUS_TEXT_BYTES);
    // SAFETY: `text` is an array of `c_char` (one byte each) of at least
    // `n` bytes.
    let bytes = unsafe { core::slice::from_raw_parts(failure.text.as_ptr().cast::<u8>(), n) };
    let text = match core::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => bytes
            .get(..e.valid_up_to())
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or_default(),
    };
    GssError::Library { major: failure.major, minor: failure.minor, text: BoundedText::new(text) }
}

/// Call a transform callback (wrap/unwrap).
#[allow(clippy::result_large_err)]
fn transform(
    f: unsafe extern "C" fn(
        *mut c_void,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
        *mut mongoauth_gss_failure,
    ) -> u32,
    user_data: *mut c_void,
    input: &[u8],
    out: &mut [u8],
    name: &str,
) -> Result<usize, GssError> {
    let mut written = 0usize;
    let mut failure = new_failure();
    // SAFETY: every pointer is valid for its stated length for the call;
    // the callback's contract is documented at `mongoauth_gss_transform_fn`.
    let code = unsafe {
        f(
            user_data,
            input.as_ptr(),
            input.len(),
            out.as_mut_ptr(),
            out.len(),
            &mut written,
            &mut failure,
        )
    };
    result(code, written, out.len(), &failure, name)
}

/// The caller's initiator callbacks as the core's [`GssInitiator`].
#[derive(Clone, Copy)]
pub(crate) struct CallbackInitiator {
    user_data: *mut c_void,
    step: unsafe extern "C" fn(
        *mut c_void,
        *const mongoauth_gss_request,
        *mut u8,
        usize,
        *mut usize,
        *mut bool,
        *mut mongoauth_gss_failure,
    ) -> u32,
    wrap: unsafe extern "C" fn(
        *mut c_void,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
        *mut mongoauth_gss_failure,
    ) -> u32,
    unwrap: unsafe extern "C" fn(
        *mut c_void,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
        *mut mongoauth_gss_failure,
    ) -> u32,
}

fn missing(what: &'static str) -> Fail {
    Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "a required GSS callback is NULL", what)
}

impl CallbackInitiator {
    /// The initiator half of `cb`: `init_step`, `init_wrap` and
    /// `init_unwrap` are required.
    pub(crate) fn new(cb: &mongoauth_gss_callbacks) -> Result<Self, Fail> {
        Ok(CallbackInitiator {
            user_data: cb.user_data,
            step: cb.init_step.ok_or_else(|| missing("init_step"))?,
            wrap: cb.init_wrap.ok_or_else(|| missing("init_wrap"))?,
            unwrap: cb.init_unwrap.ok_or_else(|| missing("init_unwrap"))?,
        })
    }
}

/// The `mongoauth_next` value of a context step.
pub(crate) const KIND_INIT: u32 = crate::mongoauth_next::MONGOAUTH_NEXT_NEED_GSS_INIT as u32;
/// The `mongoauth_next` value of an unwrap.
pub(crate) const KIND_UNWRAP: u32 = crate::mongoauth_next::MONGOAUTH_NEXT_NEED_GSS_UNWRAP as u32;
/// The `mongoauth_next` value of a wrap.
pub(crate) const KIND_WRAP: u32 = crate::mongoauth_next::MONGOAUTH_NEXT_NEED_GSS_WRAP as u32;

impl GssInitiator for CallbackInitiator {
    fn step(
        &mut self,
        target: &GssTarget<'_>,
        identity: &GssIdentity<'_>,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<GssStep, GssError> {
        let request = mongoauth_gss_request::init(KIND_INIT, target, identity, input);
        let mut written = 0usize;
        let mut complete = false;
        let mut failure = new_failure();
        // SAFETY: `request` borrows live values for the call; `out` is
        // valid for its length; the callback's contract is documented at
        // `mongoauth_gss_init_step_fn`.
        let code = unsafe {
            (self.step)(
                self.user_data,
                &request,
                out.as_mut_ptr(),
                out.len(),
                &mut written,
                &mut complete,
                &mut failure,
            )
        };
        let written =
            result(code, written, out.len(), &failure, "init_step callback broke its contract")?;
        Ok(GssStep { written, complete })
    }

    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        transform(
            self.unwrap,
            self.user_data,
            token,
            out,
            "init_unwrap callback broke its contract",
        )
    }

    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        transform(self.wrap, self.user_data, message, out, "init_wrap callback broke its contract")
    }
}

/// The caller's acceptor callbacks as the core's [`GssAcceptor`] (held by
/// a server session: plain function pointers and the caller's
/// `user_data`, nothing pointing into the session).
#[derive(Clone, Copy)]
pub(crate) struct CallbackAcceptor {
    user_data: *mut c_void,
    step: unsafe extern "C" fn(
        *mut c_void,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
        *mut bool,
        *mut mongoauth_gss_failure,
    ) -> u32,
    wrap: unsafe extern "C" fn(
        *mut c_void,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
        *mut mongoauth_gss_failure,
    ) -> u32,
    unwrap: unsafe extern "C" fn(
        *mut c_void,
        *const u8,
        usize,
        *mut u8,
        usize,
        *mut usize,
        *mut mongoauth_gss_failure,
    ) -> u32,
    source_name: unsafe extern "C" fn(
        *mut c_void,
        *mut u8,
        usize,
        *mut usize,
        *mut mongoauth_gss_failure,
    ) -> u32,
    reset: unsafe extern "C" fn(*mut c_void),
}

impl CallbackAcceptor {
    /// The acceptor half of `cb`: every `accept_*` member is required.
    pub(crate) fn new(cb: &mongoauth_gss_callbacks) -> Result<Self, Fail> {
        Ok(CallbackAcceptor {
            user_data: cb.user_data,
            step: cb.accept_step.ok_or_else(|| missing("accept_step"))?,
            wrap: cb.accept_wrap.ok_or_else(|| missing("accept_wrap"))?,
            unwrap: cb.accept_unwrap.ok_or_else(|| missing("accept_unwrap"))?,
            source_name: cb.accept_source_name.ok_or_else(|| missing("accept_source_name"))?,
            reset: cb.accept_reset.ok_or_else(|| missing("accept_reset"))?,
        })
    }
}

impl GssAcceptor for CallbackAcceptor {
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError> {
        let mut written = 0usize;
        let mut complete = false;
        let mut failure = new_failure();
        // SAFETY: the slices are valid for their lengths for the call; the
        // callback's contract is documented at `mongoauth_gss_accept_step_fn`.
        let code = unsafe {
            (self.step)(
                self.user_data,
                input.as_ptr(),
                input.len(),
                out.as_mut_ptr(),
                out.len(),
                &mut written,
                &mut complete,
                &mut failure,
            )
        };
        let written =
            result(code, written, out.len(), &failure, "accept_step callback broke its contract")?;
        Ok(GssStep { written, complete })
    }

    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        transform(
            self.wrap,
            self.user_data,
            message,
            out,
            "accept_wrap callback broke its contract",
        )
    }

    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        transform(
            self.unwrap,
            self.user_data,
            token,
            out,
            "accept_unwrap callback broke its contract",
        )
    }

    fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError> {
        let mut written = 0usize;
        let mut failure = new_failure();
        // SAFETY: `out` is valid for its length; the callback's contract is
        // documented at `mongoauth_gss_source_name_fn`.
        let code = unsafe {
            (self.source_name)(
                self.user_data,
                out.as_mut_ptr(),
                out.len(),
                &mut written,
                &mut failure,
            )
        };
        result(code, written, out.len(), &failure, "accept_source_name callback broke its contract")
    }

    fn reset(&mut self) {
        // SAFETY: the callback's contract is documented at
        // `mongoauth_gss_reset_fn`.
        unsafe { (self.reset)(self.user_data) }
    }
}

/// The acceptor a C server session holds: none (GSSAPI refused like any
/// mechanism the server does not offer), the caller's callbacks, or the
/// system library.
#[derive(Default)]
pub(crate) enum SessionAcceptor {
    /// No GSSAPI.
    #[default]
    None,
    /// `mongoauth_server_session_set_gss_callbacks`.
    Callbacks(CallbackAcceptor),
    /// `mongoauth_server_session_set_gss_system`.
    #[cfg(feature = "gssapi-system")]
    System(mongoauth::mech::gssapi_system::SystemAcceptor),
}

impl GssAcceptor for SessionAcceptor {
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError> {
        match self {
            Self::None => g::NoGss.step(input, out),
            Self::Callbacks(c) => c.step(input, out),
            #[cfg(feature = "gssapi-system")]
            Self::System(a) => a.step(input, out),
        }
    }
    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        match self {
            Self::None => g::NoGss.wrap(message, out),
            Self::Callbacks(c) => c.wrap(message, out),
            #[cfg(feature = "gssapi-system")]
            Self::System(a) => a.wrap(message, out),
        }
    }
    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        match self {
            Self::None => g::NoGss.unwrap(token, out),
            Self::Callbacks(c) => c.unwrap(token, out),
            #[cfg(feature = "gssapi-system")]
            Self::System(a) => a.unwrap(token, out),
        }
    }
    fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError> {
        match self {
            Self::None => g::NoGss.source_name(out),
            Self::Callbacks(c) => c.source_name(out),
            #[cfg(feature = "gssapi-system")]
            Self::System(a) => a.source_name(out),
        }
    }
    fn reset(&mut self) {
        match self {
            Self::None => {}
            Self::Callbacks(c) => c.reset(),
            #[cfg(feature = "gssapi-system")]
            Self::System(a) => a.reset(),
        }
    }
}

/// The refusal of a `_gss_system` call in a build without the system library.
#[cfg(not(feature = "gssapi-system"))]
pub(crate) fn no_system() -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_UNSUPPORTED_MECHANISM,
        "this library was built without the system GSS-API library (cargo feature gssapi-system)",
    )
}

/// The system library's acceptor, its key from `keytab` (a path) or, when
/// empty, from `KRB5_KTNAME` / the default keytab.
#[cfg(feature = "gssapi-system")]
pub(crate) fn system_acceptor(keytab: &str) -> Result<SessionAcceptor, Fail> {
    use mongoauth::mech::gssapi_system::SystemAcceptor;
    let a = if keytab.is_empty() {
        SystemAcceptor::from_env()
    } else {
        SystemAcceptor::with_keytab(std::path::Path::new(keytab))
    };
    a.map(SessionAcceptor::System).map_err(Fail::gss)
}

/// Without the system library: `UNSUPPORTED_MECHANISM`.
#[cfg(not(feature = "gssapi-system"))]
pub(crate) fn system_acceptor(_keytab: &str) -> Result<SessionAcceptor, Fail> {
    Err(no_system())
}

/// The GSS major and minor status of a core error, if the GSS-API library
/// caused it (they go into `mongoauth_error`).
pub(crate) fn gss_codes(e: &mongoauth::Error) -> Option<(u32, u32)> {
    match e {
        mongoauth::Error::Gss(f) => Some((f.major, f.minor)),
        _ => None,
    }
}

/// The status of a core GSS failure: `GSS_NO_CONTEXT` for the library's
/// "no context", else `GSS_FAILURE`.
pub(crate) fn gss_failure_status(f: &g::GssFailure) -> crate::status::mongoauth_status {
    if f.major == g::GSS_S_NO_CONTEXT {
        MONGOAUTH_STATUS_GSS_NO_CONTEXT
    } else {
        MONGOAUTH_STATUS_GSS_FAILURE
    }
}

/// What `mongoauth_authenticator_set_gss_host` and `_set_gss_properties`
/// said, kept for the next `_start` / `_start_uri` (the core's
/// `GssConfig`, which checks every length).
#[derive(Default)]
pub(crate) struct GssSettings {
    /// The connection's host (its target's host), if set.
    pub(crate) host: Option<GssConfig>,
    /// `_start`'s mechanism properties, if set (with `SERVICE_HOST`, or a
    /// placeholder host replaced at start).
    pub(crate) props: Option<GssConfig>,
    /// Whether `props` has a `SERVICE_HOST` of its own.
    pub(crate) props_service_host: bool,
}

fn needs_host() -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_INVALID_CREDENTIAL,
        "GSSAPI needs the server's host: call mongoauth_authenticator_set_gss_host before _start",
    )
}

impl GssSettings {
    /// The target of a `_start` login (properties from `_set_gss_properties`).
    pub(crate) fn config(&self, mechanism: Option<Mechanism>) -> Result<Option<GssConfig>, Fail> {
        if mechanism != Some(Mechanism::Gssapi) {
            return Ok(None);
        }
        let host = self.host.as_ref().map(|h| h.target().host);
        let cfg = match (&self.props, host) {
            (Some(p), _) if self.props_service_host => p.clone(),
            (Some(p), Some(h)) => p.clone().with_service_host(h)?,
            (None, Some(_)) => self.host.clone().ok_or_else(needs_host)?,
            (_, None) => return Err(needs_host()),
        };
        Ok(Some(cfg))
    }

    /// The target of a `_start_uri` login: the URI's mechanism properties,
    /// and the host set with `_set_gss_host`, else the URI's first host.
    pub(crate) fn config_uri(
        &self,
        uri: &crate::uri::UriState,
        cred: &mongoauth::uri::Credential<'_>,
    ) -> Result<Option<GssConfig>, Fail> {
        let MechanismProperties::Gssapi(props) = cred.properties() else {
            return Ok(None);
        };
        if cred.mechanism() != Some(Mechanism::Gssapi) {
            return Ok(None);
        }
        let mut buf = [0u8; g::MAX_TARGET_LEN];
        let host = match &self.host {
            Some(h) => h.target().host,
            None => {
                let cs = uri.parsed()?;
                let h = cs.hosts().next().ok_or_else(needs_host)?;
                h.host.decode(&mut buf).map_err(|_| {
                    Fail::new(MONGOAUTH_STATUS_CAPACITY, "the connection string's host is too long")
                })?
            }
        };
        Ok(Some(GssConfig::from_properties(props, host)?))
    }
}
