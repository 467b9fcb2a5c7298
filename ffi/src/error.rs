//! The caller-supplied `mongoauth_error` struct and the internal failure type
//! every export returns through.

use core::ffi::c_char;
use core::fmt::{self, Write};

use crate::status::mongoauth_status;

/// Capacity of `mongoauth_error.message`, including the terminating NUL.
pub const MONGOAUTH_ERROR_MESSAGE_SIZE: usize = 256;
/// `sizeof(mongoauth_error)`.
pub const MONGOAUTH_ERROR_SIZE: usize = 288;
/// `mongoauth_error.offset` when the error points at no byte of the input.
pub const MONGOAUTH_NO_OFFSET: i64 = -1;

/// Details of a failed call, filled in by the library when the caller passes
/// a non-NULL pointer as the last argument (`err`). Written only on failure;
/// on success it is left untouched. The message is specific (it names the
/// argument, rule or byte offset) and never contains a password, key or
/// proof. Branch on `status`, never on the text.
#[allow(non_camel_case_types)]
#[repr(C)]
pub struct mongoauth_error {
    /// The status the call returned.
    pub status: u32,
    /// Length of `message` in bytes, without the NUL.
    pub message_len: u32,
    /// NUL-terminated UTF-8 text, truncated at a character boundary to fit.
    pub message: [c_char; MONGOAUTH_ERROR_MESSAGE_SIZE],
    /// The byte of the input the error points at (a connection string, a
    /// BSON document or frame, a SCRAM message), or `MONGOAUTH_NO_OFFSET`
    /// (-1).
    pub offset: i64,
    /// For `MONGOAUTH_STATUS_COMMAND_FAILED` and a client's
    /// `MONGOAUTH_STATUS_AUTHENTICATION_FAILED`: the server's numeric error
    /// code (18 is AuthenticationFailed); 0 otherwise.
    pub server_code: i32,
    /// For `MONGOAUTH_STATUS_GSS_FAILURE`: the GSS-API major status
    /// (`OM_uint32`, e.g. `0x000d0000` GSS_S_FAILURE); 0 otherwise. The
    /// library's text for it is in `message`.
    pub gss_major: u32,
    /// For `MONGOAUTH_STATUS_GSS_FAILURE`: the mechanism's minor status
    /// (a Kerberos error code); 0 otherwise.
    pub gss_minor: u32,
    /// Reserved, set to 0.
    pub reserved: u32,
}

const _: () = assert!(core::mem::size_of::<mongoauth_error>() == MONGOAUTH_ERROR_SIZE);

/// What went wrong inside an export: a status plus its detailed message.
pub(crate) struct Fail {
    pub(crate) status: mongoauth_status,
    detail: Detail,
}

#[allow(clippy::large_enum_variant)]
enum Detail {
    Core(mongoauth::Error),
    /// The login's error with its context, kept where it is (in the
    /// authenticator object, about 660 bytes) rather than copied into every
    /// `Result` of the boundary.
    Login(core::ptr::NonNull<mongoauth::client::LoginError>),
    /// A login ended by the GSS-API library, with the library's text
    /// (kept in the same authenticator, like the error).
    LoginGss(core::ptr::NonNull<mongoauth::client::LoginError>, core::ptr::NonNull<str>),
    Text(&'static str),
    Arg(&'static str, &'static str),
    Needed(usize),
    Io(&'static str, isize),
    /// A GSS-API failure outside a login (setting up the system library),
    /// boxed: its text would make every `Result` large.
    #[cfg(feature = "gssapi-system")]
    Gss(std::boxed::Box<mongoauth::mech::gssapi::GssError>),
}

impl Fail {
    /// A failure with a fixed message.
    pub(crate) fn new(status: mongoauth_status, text: &'static str) -> Self {
        Fail { status, detail: Detail::Text(text) }
    }
    /// A failure about one named argument: "`what`: `arg`".
    pub(crate) fn arg(status: mongoauth_status, what: &'static str, arg: &'static str) -> Self {
        Fail { status, detail: Detail::Arg(what, arg) }
    }
    /// A read or write callback failed with `value`.
    pub(crate) fn io(what: &'static str, value: isize) -> Self {
        Fail { status: mongoauth_status::MONGOAUTH_STATUS_IO, detail: Detail::Io(what, value) }
    }
    /// The byte offset the failure points at, if any.
    pub(crate) fn offset(&self) -> Option<usize> {
        use mongoauth::codec::wire::WireError as W;
        let wire = |w: &W| match *w {
            W::Truncated { offset, .. }
            | W::DocumentSequence { offset }
            | W::UnknownSectionKind { offset, .. }
            | W::DuplicateBody { offset }
            | W::InvalidField { offset, .. }
            | W::UnexpectedCommand { offset, .. } => Some(offset),
            _ => None,
        };
        let detail = match &self.detail {
            Detail::Login(l) | Detail::LoginGss(l, _) => {
                return Fail::core_offset(Fail::login_ref(*l).error(), wire);
            }
            d => d,
        };
        match detail {
            Detail::Core(e) => Fail::core_offset(e, wire),
            _ => None,
        }
    }
    fn core_offset(
        e: &mongoauth::Error,
        wire: impl Fn(&mongoauth::codec::wire::WireError) -> Option<usize>,
    ) -> Option<usize> {
        match e {
            mongoauth::Error::Uri(u) => u.offset(),
            mongoauth::Error::Malformed { offset, .. } => Some(*offset),
            mongoauth::Error::Wire(w) => wire(w),
            _ => None,
        }
    }
    /// The server's error code, for a failed command.
    pub(crate) fn server_code(&self) -> i32 {
        match &self.detail {
            Detail::Core(mongoauth::Error::CommandFailed(c)) => c.code.unwrap_or(0),
            Detail::Login(l) | Detail::LoginGss(l, _) => match Fail::login_ref(*l).error() {
                mongoauth::Error::CommandFailed(c) => c.code.unwrap_or(0),
                _ => 0,
            },
            _ => 0,
        }
    }
    /// The GSS major and minor status of a GSS-API library failure, if
    /// this is one.
    pub(crate) fn gss_codes(&self) -> Option<(u32, u32)> {
        use mongoauth_status::{MONGOAUTH_STATUS_GSS_FAILURE, MONGOAUTH_STATUS_GSS_NO_CONTEXT};
        // Only a GSS status has codes (and only then is the error looked
        // into: other errors are not read past their status).
        if !matches!(self.status, MONGOAUTH_STATUS_GSS_FAILURE | MONGOAUTH_STATUS_GSS_NO_CONTEXT) {
            return None;
        }
        #[cfg(feature = "gssapi-system")]
        use mongoauth::mech::gssapi::GssError;
        match &self.detail {
            #[cfg(feature = "gssapi-system")]
            Detail::Gss(g) => match **g {
                GssError::Library { major, minor, .. } => Some((major, minor)),
                _ => None,
            },
            Detail::Core(e) => crate::gss::gss_codes(e),
            Detail::Login(l) | Detail::LoginGss(l, _) => {
                crate::gss::gss_codes(Fail::login_ref(*l).error())
            }
            _ => None,
        }
    }
    /// A GSS-API failure reported outside a login (a system library that
    /// could not be set up).
    #[cfg(feature = "gssapi-system")]
    pub(crate) fn gss(e: mongoauth::mech::gssapi::GssError) -> Self {
        Fail { status: crate::status::gss_status(&e), detail: Detail::Gss(std::boxed::Box::new(e)) }
    }
    /// A too-small output buffer.
    pub(crate) fn buffer(needed: usize) -> Self {
        Fail {
            status: mongoauth_status::MONGOAUTH_STATUS_BUFFER_TOO_SMALL,
            detail: Detail::Needed(needed),
        }
    }
}

impl From<mongoauth::uri::UriError> for Fail {
    fn from(e: mongoauth::uri::UriError) -> Self {
        Fail::from(mongoauth::Error::from(e))
    }
}

impl From<mongoauth::codec::wire::WireError> for Fail {
    fn from(e: mongoauth::codec::wire::WireError) -> Self {
        Fail::from(mongoauth::Error::from(e))
    }
}

impl From<mongoauth::Error> for Fail {
    fn from(e: mongoauth::Error) -> Self {
        Fail { status: mongoauth_status::from(&e), detail: Detail::Core(e) }
    }
}

impl Fail {
    /// A failed login, described with its context from the authenticator
    /// that recorded it. The `Fail` must reach the boundary (which formats
    /// it into the caller's `mongoauth_error`) before that authenticator is
    /// touched again: every export returns it straight away.
    pub(crate) fn login(e: &mongoauth::client::LoginError) -> Self {
        Fail { status: mongoauth_status::from(e.error()), detail: Detail::Login(e.into()) }
    }

    /// As [`Fail::login`], with the GSS-API library's text when the
    /// library ended the login (`Authenticator::gss_status_text`).
    pub(crate) fn login_of<const P: usize>(
        auth: &mongoauth::client::Authenticator<'_, P>,
        e: &mongoauth::client::LoginError,
    ) -> Self {
        match auth.gss_status_text() {
            Some(t) if !t.is_empty() => Fail {
                status: mongoauth_status::from(e.error()),
                detail: Detail::LoginGss(e.into(), t.into()),
            },
            _ => Fail::login(e),
        }
    }

    fn login_ref<'a>(
        p: core::ptr::NonNull<mongoauth::client::LoginError>,
    ) -> &'a mongoauth::client::LoginError {
        // SAFETY: made from a live `&LoginError` inside an authenticator
        // object by `Fail::login`, and consumed by the boundary before
        // control returns to the caller, with nothing touching the object in
        // between (see `Fail::login`).
        unsafe { p.as_ref() }
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.detail {
            Detail::Core(e) => fmt::Display::fmt(e, f),
            Detail::Login(e) => fmt::Display::fmt(Fail::login_ref(*e), f),
            Detail::LoginGss(e, t) => {
                // SAFETY: as `login_ref`: text kept in the same authenticator.
                let t = unsafe { t.as_ref() };
                write!(f, "{}: {}", Fail::login_ref(*e), mongoauth::Escaped(t))
            }
            Detail::Text(t) => f.write_str(t),
            Detail::Arg(what, arg) => write!(f, "{what}: `{arg}`"),
            Detail::Needed(n) => write!(f, "output buffer too small: {n} bytes needed"),
            Detail::Io(what, v) => write!(f, "the {what} callback failed (returned {v})"),
            #[cfg(feature = "gssapi-system")]
            Detail::Gss(g) => fmt::Display::fmt(g, f),
        }
    }
}

/// Writes UTF-8 into the message array, truncating at a char boundary and
/// always leaving room for the NUL.
struct MessageWriter<'a> {
    buf: &'a mut [c_char; MONGOAUTH_ERROR_MESSAGE_SIZE],
    len: usize,
}

impl Write for MessageWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for ch in s.chars() {
            let mut tmp = [0u8; 4];
            let enc = ch.encode_utf8(&mut tmp).as_bytes();
            if self.len + enc.len() >= MONGOAUTH_ERROR_MESSAGE_SIZE {
                return Err(fmt::Error);
            }
            for (dst, b) in self.buf.iter_mut().skip(self.len).zip(enc) {
                *dst = *b as c_char;
            }
            self.len += enc.len();
        }
        Ok(())
    }
}

/// Fill `err` (if given) with `status`, the message, the input offset and
/// the server's code.
pub(crate) fn fill(
    err: Option<&mut mongoauth_error>,
    status: mongoauth_status,
    offset: Option<usize>,
    server_code: i32,
    gss: Option<(u32, u32)>,
    msg: fmt::Arguments<'_>,
) {
    let Some(err) = err else { return };
    err.status = status as u32;
    err.offset = offset.and_then(|o| i64::try_from(o).ok()).unwrap_or(MONGOAUTH_NO_OFFSET);
    err.server_code = server_code;
    (err.gss_major, err.gss_minor) = gss.unwrap_or((0, 0));
    err.reserved = 0;
    let mut w = MessageWriter { buf: &mut err.message, len: 0 };
    // A truncated message is still a message.
    let _ = w.write_fmt(msg);
    let len = w.len;
    if let Some(nul) = err.message.get_mut(len) {
        *nul = 0;
    }
    err.message_len = len as u32;
}
