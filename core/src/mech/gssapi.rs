//! GSSAPI (Kerberos) over SASL, RFC 4752: the types the conversation and the
//! GSS-API library meet at.
//!
//! The core never links a GSS-API library. The client's conversation asks
//! for each GSS operation through the next-step shape
//! ([`crate::client::Need`]), and the server session calls a
//! [`GssAcceptor`] it is given, so that a C driver or firmware can plug in
//! its own library (MIT krb5, Heimdal, SSPI) and `std` builds can use the
//! system one (feature `gssapi`).

use core::fmt;

use crate::error::BoundedText;
use crate::uri::CanonicalizeHostName;

/// The service name used when `SERVICE_NAME` is not given (auth spec).
pub const DEFAULT_SERVICE_NAME: &str = "mongodb";

/// The longest GSS token either side accepts, in bytes. A Kerberos AP-REQ
/// carrying a large PAC (many group memberships) reaches about 12 KB; 16 KiB
/// leaves room without letting a peer make us buffer more.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The longest principal name (`user@REALM`, `service/host@REALM`), in bytes.
pub const MAX_PRINCIPAL_LEN: usize = 256;

/// The longest GSS status text an error keeps, in bytes (longer is cut and
/// marked, see [`BoundedText`]; `gss_display_status` gives the whole text
/// again from the major and minor codes). Small enough that a `Result`
/// carrying a [`GssError`] stays cheap to return.
pub const MAX_STATUS_TEXT_LEN: usize = 96;

/// The RFC 4752 security-layer message is 4 bytes: a bitmask of layers, then
/// a 3-byte big-endian maximum message size.
pub const SECURITY_LAYER_LEN: usize = 4;

/// RFC 4752 "no security layer" bit: the only layer MongoDB uses.
pub const LAYER_NONE: u8 = 0x01;

/// Where the client's context is aimed: the service principal, from the
/// mechanism properties (`SERVICE_NAME`, `SERVICE_HOST` or the connection's
/// host, `SERVICE_REALM`) and how to canonicalize the host.
///
/// With a realm, the name is the principal `service/host@realm`; without, the
/// host-based service name `service@host` (GSS_C_NT_HOSTBASED_SERVICE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GssTarget<'a> {
    /// `SERVICE_NAME` (default [`DEFAULT_SERVICE_NAME`]).
    pub service: &'a str,
    /// `SERVICE_HOST`, else the host the connection was opened to.
    pub host: &'a str,
    /// `SERVICE_REALM`, if given.
    pub realm: Option<&'a str>,
    /// `CANONICALIZE_HOST_NAME`: done by the initiator (it needs DNS).
    pub canonicalize: CanonicalizeHostName,
}

/// Who the client is: the principal (the credential's username, if any;
/// otherwise the library's default credential) and, when given, a password
/// to acquire credentials with. `Debug` never shows the password.
#[derive(Clone, Copy)]
pub struct GssIdentity<'a> {
    /// The principal, `user@REALM` (or `user`, in the default realm).
    pub principal: Option<&'a str>,
    /// A password to get a ticket with (instead of a ticket cache or keytab).
    pub password: Option<&'a str>,
}

impl fmt::Debug for GssIdentity<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GssIdentity")
            .field("principal", &self.principal)
            .field("password", &self.password.map(|_| "<redacted>"))
            .finish()
    }
}

/// One context-establishment step's result: `written` bytes of token were
/// put in the caller's buffer (possibly none), and whether the context is now
/// established.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GssStep {
    /// Bytes of output token written.
    pub written: usize,
    /// The security context is established.
    pub complete: bool,
}

/// Why a GSS operation failed: the library's status codes and its text, or
/// a caller buffer that was too small.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GssError {
    /// The GSS-API library refused: major and minor status, and the text
    /// `gss_display_status` gave for them (bounded; escaped when shown).
    Library {
        /// GSS major status.
        major: u32,
        /// Mechanism (minor) status.
        minor: u32,
        /// The library's text for both.
        text: BoundedText<MAX_STATUS_TEXT_LEN>,
    },
    /// The output would not fit: `required` bytes are needed.
    BufferTooSmall(crate::error::BufferTooSmall),
    /// The operation needs an established context and there is none.
    NoContext,
}

impl fmt::Display for GssError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Library { major, minor, text } => {
                write!(f, "GSS-API error (major {major:#x}, minor {minor:#x}): {text}")
            }
            Self::BufferTooSmall(b) => fmt::Display::fmt(b, f),
            Self::NoContext => f.write_str("no established GSS-API security context"),
        }
    }
}

/// The client's GSS-API library, as the conversation needs it: what a
/// driver implements once to answer the GSS [`Need`](crate::client::Need)s
/// (the `std` feature `gssapi` implements it over the system library).
pub trait GssInitiator {
    /// `gss_init_sec_context` toward `target` as `identity`: `input` is the
    /// acceptor's last token (empty for the first call). Writes the next
    /// token into `out`.
    fn step(
        &mut self,
        target: &GssTarget<'_>,
        identity: &GssIdentity<'_>,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<GssStep, GssError>;

    /// `gss_unwrap` of the acceptor's security-layer token into `out`;
    /// returns the message length.
    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError>;

    /// `gss_wrap` (integrity only, no confidentiality) of `message` into
    /// `out`; returns the token length.
    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError>;
}

/// The server's GSS-API library, with its acceptor credential (a keytab for
/// `service/host@REALM`): one value per connection, holding at most one
/// context. The `std` feature `gssapi` implements it over the system library.
pub trait GssAcceptor {
    /// `gss_accept_sec_context` on the initiator's `input`; writes the reply
    /// token (possibly empty) into `out`.
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError>;

    /// `gss_wrap` (integrity only) of `message` into `out`.
    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError>;

    /// `gss_unwrap` of the initiator's token into `out`.
    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError>;

    /// The authenticated initiator's principal (`gss_display_name` of the
    /// source name), once the context is established.
    fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError>;

    /// Drop the context, so that the next `step` starts a new one (a new
    /// login on the same connection, or after a failure).
    fn reset(&mut self);
}

/// The acceptor of a server that does not offer GSSAPI: every call fails,
/// so the session answers GSSAPI like any unsupported mechanism.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoGss;

impl GssAcceptor for NoGss {
    fn step(&mut self, _input: &[u8], _out: &mut [u8]) -> Result<GssStep, GssError> {
        Err(GssError::NoContext)
    }
    fn wrap(&mut self, _message: &[u8], _out: &mut [u8]) -> Result<usize, GssError> {
        Err(GssError::NoContext)
    }
    fn unwrap(&mut self, _token: &[u8], _out: &mut [u8]) -> Result<usize, GssError> {
        Err(GssError::NoContext)
    }
    fn source_name(&mut self, _out: &mut [u8]) -> Result<usize, GssError> {
        Err(GssError::NoContext)
    }
    fn reset(&mut self) {}
}
