//! GSSAPI (Kerberos) over SASL, RFC 4752: the types the conversation and the
//! GSS-API library meet at.
//!
//! The core never links a GSS-API library. The client's conversation asks
//! for each GSS operation through the next-step shape
//! ([`crate::client::Need`]), and the server session calls a
//! [`GssAcceptor`] it is given, so that a C driver or firmware can plug in
//! its own library (MIT krb5, Heimdal, SSPI) and `std` builds can use the
//! system one (feature `gssapi-system`).
//!
//! With the feature `gssapi`, the client's
//! [`Authenticator`](crate::client::Authenticator) and the server's
//! [`ServerSession`](crate::server::ServerSession) run the SASL GSSAPI
//! conversation (RFC 4752) on `$external`:
//!
//! 1. `saslStart {mechanism: "GSSAPI", payload: <first context token>,
//!    autoAuthorize: 1}`, then a `saslContinue` with each further token
//!    until the client's context is established (an empty token when the
//!    library produced none);
//! 2. the server's next payload is the wrapped 4-byte security-layer message
//!    ([`SecurityLayer`]): the client unwraps it, checks that "no security
//!    layer" ([`LAYER_NONE`]) is offered, and answers with the wrapped
//!    [`ClientLayerReply`] (`0x01`, a zero maximum size, the authorization
//!    identity: the principal);
//! 3. the server unwraps it, requires the authorization identity to equal
//!    the context's source name, maps that principal to a `$external` user
//!    and answers `done: true`.
//!
//! The two 4-byte messages are parsed and built here ([`SecurityLayer`],
//! [`ClientLayerReply`]): plain byte code, no GSS call, fuzzed by the
//! `gssapi` fuzz target.

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
/// marked, see [`BoundedText`]).
pub const MAX_STATUS_TEXT_LEN: usize = 256;

/// The RFC 4752 security-layer message is 4 bytes: a bitmask of layers, then
/// a 3-byte big-endian maximum message size.
pub const SECURITY_LAYER_LEN: usize = 4;

/// RFC 4752 "no security layer" bit: the only layer MongoDB uses.
pub const LAYER_NONE: u8 = 0x01;

/// RFC 4752 "integrity protection" bit (offered by some servers, never
/// chosen by us).
pub const LAYER_INTEGRITY: u8 = 0x02;

/// RFC 4752 "confidentiality protection" bit (never chosen by us).
pub const LAYER_CONFIDENTIALITY: u8 = 0x04;

/// The mechanism name on the wire.
pub const MECHANISM: &str = "GSSAPI";

/// The database GSSAPI authenticates against.
pub const SOURCE: &str = "$external";

/// Most SASL replies one GSSAPI conversation may take: context rounds (one
/// for Kerberos, a few for SPNEGO), the security-layer round and the final
/// one. A server that keeps the conversation going longer is refused.
pub const MAX_SASL_REPLIES: u8 = 10;

/// The longest `SERVICE_NAME`, `SERVICE_HOST` (or connection host) and
/// `SERVICE_REALM` together, in bytes: they form one service principal
/// (`service/host@REALM`), bounded like any principal.
pub const MAX_TARGET_LEN: usize = MAX_PRINCIPAL_LEN;

/// GSS major status `GSS_S_NO_CONTEXT` (RFC 2744), what
/// [`GssError::NoContext`] is reported as.
pub const GSS_S_NO_CONTEXT: u32 = 8 << 16;

/// Which GSS operation failed, for errors.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GssOp {
    /// `gss_init_sec_context` (the client's context step).
    Init,
    /// `gss_unwrap` of the server's security-layer message.
    Unwrap,
    /// `gss_wrap` of the client's security-layer answer.
    Wrap,
}

impl GssOp {
    /// The GSS-API function name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Init => "gss_init_sec_context",
            Self::Unwrap => "gss_unwrap",
            Self::Wrap => "gss_wrap",
        }
    }
}

/// A GSS-API library failure as a compact [`crate::Error::Gss`] carries it:
/// the operation and the status codes. The library's text is kept by the
/// client's `Authenticator` (`gss_status_text`, feature `gssapi`), so that
/// every `Result` stays small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GssFailure {
    /// The operation.
    pub op: GssOp,
    /// GSS major status ([`GSS_S_NO_CONTEXT`] for [`GssError::NoContext`]).
    pub major: u32,
    /// Mechanism (minor) status.
    pub minor: u32,
}

impl fmt::Display for GssFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "GSS-API {} failed (major {:#x}, minor {:#x})",
            self.op.as_str(),
            self.major,
            self.minor
        )
    }
}

impl GssError {
    /// The compact form for [`crate::Error::Gss`] (`None` for
    /// [`GssError::BufferTooSmall`], which is [`crate::Error::BufferTooSmall`]).
    pub fn failure(&self, op: GssOp) -> Option<GssFailure> {
        match self {
            Self::Library { major, minor, .. } => {
                Some(GssFailure { op, major: *major, minor: *minor })
            }
            Self::NoContext => Some(GssFailure { op, major: GSS_S_NO_CONTEXT, minor: 0 }),
            Self::BufferTooSmall(_) => None,
        }
    }

    /// As a crate [`Error`](crate::Error): [`crate::Error::Gss`], or
    /// [`crate::Error::BufferTooSmall`].
    pub fn to_error(&self, op: GssOp) -> crate::Error {
        match (self, self.failure(op)) {
            (Self::BufferTooSmall(b), _) => crate::Error::BufferTooSmall(*b),
            (_, Some(f)) => crate::Error::Gss(f),
            (_, None) => crate::Error::Gss(GssFailure { op, major: 0, minor: 0 }),
        }
    }
}

/// Why a security-layer message was refused: the rule and the byte offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecurityLayerError {
    /// The rule broken.
    pub rule: &'static str,
    /// Byte offset in the (unwrapped) message.
    pub offset: usize,
}

impl fmt::Display for SecurityLayerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GSSAPI security-layer message: {} at byte {}", self.rule, self.offset)
    }
}

impl core::error::Error for SecurityLayerError {}

impl From<SecurityLayerError> for crate::Error {
    fn from(e: SecurityLayerError) -> Self {
        crate::Error::Protocol { rule: e.rule }
    }
}

/// The server's unwrapped security-layer message (RFC 4752 3.1): the layers
/// it offers and its maximum message size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SecurityLayer {
    /// Bitmask of offered layers ([`LAYER_NONE`], [`LAYER_INTEGRITY`],
    /// [`LAYER_CONFIDENTIALITY`]).
    pub layers: u8,
    /// The maximum message size (24 bits, big-endian on the wire).
    pub max_size: u32,
}

impl SecurityLayer {
    /// What our server offers: "no security layer" only, size 0
    /// (`01 00 00 00`, as mongod sends).
    pub const NONE_ONLY: Self = SecurityLayer { layers: LAYER_NONE, max_size: 0 };

    /// Read the server's message: exactly [`SECURITY_LAYER_LEN`] bytes.
    ///
    /// # Errors
    /// Another length.
    pub fn parse(message: &[u8]) -> Result<Self, SecurityLayerError> {
        match message {
            [layers, a, b, c] => {
                Ok(SecurityLayer { layers: *layers, max_size: u32::from_be_bytes([0, *a, *b, *c]) })
            }
            _ => Err(SecurityLayerError {
                rule: "the server's message must be exactly 4 bytes",
                offset: message.len().min(SECURITY_LAYER_LEN),
            }),
        }
    }

    /// Read the server's message and require "no security layer" among
    /// the offered ones (the only layer MongoDB uses).
    ///
    /// # Errors
    /// Another length, or no [`LAYER_NONE`] bit.
    pub fn parse_offer(message: &[u8]) -> Result<Self, SecurityLayerError> {
        let l = Self::parse(message)?;
        if l.layers & LAYER_NONE == 0 {
            return Err(SecurityLayerError {
                rule: "the server does not offer \"no security layer\"",
                offset: 0,
            });
        }
        Ok(l)
    }

    /// The 4 bytes.
    pub fn to_bytes(self) -> [u8; SECURITY_LAYER_LEN] {
        let [_, a, b, c] = self.max_size.to_be_bytes();
        [self.layers, a, b, c]
    }
}

/// The client's unwrapped answer (RFC 4752 3.1): the chosen layer, its
/// maximum size, and the authorization identity (UTF-8, the rest of the
/// message).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientLayerReply<'a> {
    /// The chosen layer: exactly one bit.
    pub layer: u8,
    /// The client's maximum message size (any value is accepted with no
    /// layer; pykerberos echoes the server's).
    pub max_size: u32,
    /// The authorization identity.
    pub authz: &'a str,
}

impl<'a> ClientLayerReply<'a> {
    /// Our answer: no layer, size 0, `authz` (the principal).
    pub fn no_layer(authz: &'a str) -> Self {
        ClientLayerReply { layer: LAYER_NONE, max_size: 0, authz }
    }

    /// The encoded length.
    pub fn len(&self) -> usize {
        SECURITY_LAYER_LEN + self.authz.len()
    }

    /// Whether the authorization identity is empty (the message never is).
    pub fn is_empty(&self) -> bool {
        self.authz.is_empty()
    }

    /// Read a client's answer (server side): 4 bytes, then the identity.
    ///
    /// # Errors
    /// Shorter than 4 bytes, an identity over [`MAX_PRINCIPAL_LEN`] or not
    /// UTF-8.
    pub fn parse(message: &'a [u8]) -> Result<Self, SecurityLayerError> {
        let (head, rest) =
            message.split_first_chunk::<SECURITY_LAYER_LEN>().ok_or(SecurityLayerError {
                rule: "the client's message is shorter than 4 bytes",
                offset: message.len(),
            })?;
        let [layer, a, b, c] = *head;
        if rest.len() > MAX_PRINCIPAL_LEN {
            return Err(SecurityLayerError {
                rule: "the authorization identity is longer than MAX_PRINCIPAL_LEN",
                offset: SECURITY_LAYER_LEN + MAX_PRINCIPAL_LEN,
            });
        }
        let authz = core::str::from_utf8(rest).map_err(|e| SecurityLayerError {
            rule: "the authorization identity is not UTF-8",
            offset: SECURITY_LAYER_LEN + e.valid_up_to(),
        })?;
        Ok(ClientLayerReply { layer, max_size: u32::from_be_bytes([0, a, b, c]), authz })
    }

    /// Read a client's answer and require that it chose "no security
    /// layer" (the only one our server offers).
    ///
    /// # Errors
    /// As [`parse`](Self::parse), or another layer chosen.
    pub fn parse_no_layer(message: &'a [u8]) -> Result<Self, SecurityLayerError> {
        let r = Self::parse(message)?;
        if r.layer != LAYER_NONE {
            return Err(SecurityLayerError {
                rule: "the client did not choose \"no security layer\"",
                offset: 0,
            });
        }
        Ok(r)
    }

    /// Write the message into `out`; returns its length.
    ///
    /// # Errors
    /// `out` shorter than [`len`](Self::len).
    pub fn write(&self, out: &mut [u8]) -> Result<usize, crate::error::BufferTooSmall> {
        let n = self.len();
        let [_, a, b, c] = self.max_size.to_be_bytes();
        match out.get_mut(..n).and_then(|o| o.split_first_chunk_mut::<SECURITY_LAYER_LEN>()) {
            Some((head, rest)) => {
                *head = [self.layer, a, b, c];
                rest.copy_from_slice(self.authz.as_bytes());
                Ok(n)
            }
            None => Err(crate::error::BufferTooSmall { required: n }),
        }
    }
}

/// Where the client's context is aimed, owned: `SERVICE_NAME`, the host
/// (`SERVICE_HOST`, else the connection's host), `SERVICE_REALM` and
/// `CANONICALIZE_HOST_NAME`, in one buffer of [`MAX_TARGET_LEN`] bytes (they
/// form one principal). Lend it to the client with
/// `Authenticator::with_gssapi` (feature `gssapi`).
#[derive(Clone, PartialEq, Eq)]
pub struct GssConfig {
    buf: [u8; MAX_TARGET_LEN],
    service_len: u16,
    host_len: u16,
    realm_len: u16,
    has_realm: bool,
    canonicalize: CanonicalizeHostName,
}

impl fmt::Debug for GssConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.target(), f)
    }
}

impl GssConfig {
    /// The connection's host, with the default service name
    /// ([`DEFAULT_SERVICE_NAME`]), no realm, no canonicalization.
    ///
    /// # Errors
    /// An empty host, or longer than [`MAX_TARGET_LEN`] with the service.
    pub fn new(host: &str) -> Result<Self, crate::Error> {
        let mut c = GssConfig {
            buf: [0; MAX_TARGET_LEN],
            service_len: 0,
            host_len: 0,
            realm_len: 0,
            has_realm: false,
            canonicalize: CanonicalizeHostName::None,
        };
        c.set(Some(DEFAULT_SERVICE_NAME), Some(host), None)?;
        Ok(c)
    }

    /// From a connection string's GSSAPI properties and the host the
    /// connection goes to (`SERVICE_HOST`, when given, wins).
    ///
    /// # Errors
    /// A property that does not decode, or too long; an empty host.
    pub fn from_properties(
        props: &crate::uri::GssapiProperties<'_>,
        host: &str,
    ) -> Result<Self, crate::Error> {
        let mut b = [[0u8; MAX_TARGET_LEN]; 3];
        let [sb, hb, rb] = &mut b;
        let too_long = |e: crate::uri::UriError| match e.kind {
            crate::uri::UriErrorKind::BufferTooSmall(_) => {
                crate::Error::Capacity { what: "GSSAPI target", limit: MAX_TARGET_LEN }
            }
            _ => crate::Error::Uri(e),
        };
        let service = props.service_name.decode(sb).map_err(too_long)?;
        let host = match props.service_host {
            Some(h) => h.decode(hb).map_err(too_long)?,
            None => host,
        };
        let realm = match props.service_realm {
            Some(r) => Some(r.decode(rb).map_err(too_long)?),
            None => None,
        };
        let mut c = Self::new(host)?;
        c.set(Some(service), None, Some(realm))?;
        c.canonicalize = props.canonicalize_host_name;
        Ok(c)
    }

    /// Set `SERVICE_NAME`.
    ///
    /// # Errors
    /// Empty, or the target over [`MAX_TARGET_LEN`].
    pub fn with_service_name(mut self, service: &str) -> Result<Self, crate::Error> {
        self.set(Some(service), None, None)?;
        Ok(self)
    }

    /// Set `SERVICE_HOST` (replaces the connection's host).
    ///
    /// # Errors
    /// Empty, or the target over [`MAX_TARGET_LEN`].
    pub fn with_service_host(mut self, host: &str) -> Result<Self, crate::Error> {
        self.set(None, Some(host), None)?;
        Ok(self)
    }

    /// Set `SERVICE_REALM`.
    ///
    /// # Errors
    /// Empty, or the target over [`MAX_TARGET_LEN`].
    pub fn with_service_realm(mut self, realm: &str) -> Result<Self, crate::Error> {
        self.set(None, None, Some(Some(realm)))?;
        Ok(self)
    }

    /// Set `CANONICALIZE_HOST_NAME` (done by the initiator).
    pub fn with_canonicalize(mut self, c: CanonicalizeHostName) -> Self {
        self.canonicalize = c;
        self
    }

    fn part(&self, from: usize, len: u16) -> &str {
        let b = self.buf.get(from..from + usize::from(len)).unwrap_or(&[]);
        core::str::from_utf8(b).unwrap_or("")
    }

    /// The target, borrowed.
    pub fn target(&self) -> GssTarget<'_> {
        let (s, h) = (usize::from(self.service_len), usize::from(self.host_len));
        GssTarget {
            service: self.part(0, self.service_len),
            host: self.part(s, self.host_len),
            realm: self.has_realm.then(|| self.part(s + h, self.realm_len)),
            canonicalize: self.canonicalize,
        }
    }

    fn set(
        &mut self,
        service: Option<&str>,
        host: Option<&str>,
        realm: Option<Option<&str>>,
    ) -> Result<(), crate::Error> {
        let t = self.target();
        let service = service.unwrap_or(t.service);
        let host = host.unwrap_or(t.host);
        let realm = realm.unwrap_or(t.realm);
        if service.is_empty() || host.is_empty() || realm.is_some_and(str::is_empty) {
            return Err(crate::Error::InvalidCredential {
                rule: "GSSAPI service name, host and realm must not be empty",
            });
        }
        let parts = [service, host, realm.unwrap_or("")];
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total > MAX_TARGET_LEN {
            return Err(crate::Error::Capacity { what: "GSSAPI target", limit: MAX_TARGET_LEN });
        }
        let mut buf = [0u8; MAX_TARGET_LEN];
        let mut at = 0;
        for p in parts {
            if let Some(d) = buf.get_mut(at..at + p.len()) {
                d.copy_from_slice(p.as_bytes());
            }
            at += p.len();
        }
        // Each part is at most MAX_TARGET_LEN (256) bytes: fits u16.
        let len = |p: &str| u16::try_from(p.len()).unwrap_or(u16::MAX);
        let lens = (len(service), len(host), len(realm.unwrap_or("")), realm.is_some());
        (self.service_len, self.host_len, self.realm_len, self.has_realm) = lens;
        self.buf = buf;
        Ok(())
    }
}

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
///
/// The text is carried inline (no allocator), which makes the type large;
/// it only travels on failure paths, once per login.
#[allow(clippy::large_enum_variant)]
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
#[allow(clippy::result_large_err)] // GssError keeps its text inline (no allocator).
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
#[allow(clippy::result_large_err)] // GssError keeps its text inline (no allocator).
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

/// The protocol, end to end through OP_MSG frames: our `Authenticator`
/// against our `ServerSession`, with a toy GSS mechanism on both sides
/// (tokens `INIT <principal> <service>/<host>` and `ACCEPT`; wrap = the
/// prefix byte `W`), and our code playing hostile servers and clients.
#[cfg(all(test, feature = "gssapi"))]
#[allow(clippy::unwrap_used, clippy::panic, clippy::result_large_err)]
mod tests {
    extern crate std;

    use super::*;
    use crate::Error;
    use crate::client::{AuthConfig, Authenticator, Credential, Need, Outcome, Stage, Step};
    use crate::codec::bson::{BINARY_SUBTYPE_GENERIC, DocWriter, Document, Value};
    use crate::codec::wire::{self, ConversationId, SaslReply, WriteBody};
    use crate::mech::Mechanism;
    use crate::server::{ServerSession, StaticUsers};

    const USER: &str = "user@MONGOAUTH.TEST";
    const DEFECTIVE_TOKEN: u32 = 9 << 16;

    fn lib_err(text: &str) -> GssError {
        GssError::Library { major: DEFECTIVE_TOKEN, minor: 7, text: BoundedText::new(text) }
    }

    fn put(out: &mut [u8], parts: &[&[u8]]) -> Result<usize, GssError> {
        let n: usize = parts.iter().map(|p| p.len()).sum();
        let dst = out
            .get_mut(..n)
            .ok_or(GssError::BufferTooSmall(crate::error::BufferTooSmall { required: n }))?;
        let mut at = 0;
        for p in parts {
            dst[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        Ok(n)
    }

    /// The client's toy library.
    #[derive(Default)]
    struct ToyInit {
        /// The ticket is for this principal instead of the username.
        ticket_for: Option<&'static str>,
        /// No credentials at all.
        no_ticket: bool,
        /// Unwrap hands back these bytes instead of the real message.
        unwrap_as: Option<&'static [u8]>,
        /// Steps taken.
        steps: usize,
    }

    impl GssInitiator for ToyInit {
        fn step(
            &mut self,
            target: &GssTarget<'_>,
            identity: &GssIdentity<'_>,
            input: &[u8],
            out: &mut [u8],
        ) -> Result<GssStep, GssError> {
            self.steps += 1;
            if self.no_ticket {
                return Err(lib_err("No Kerberos credentials available"));
            }
            if input.is_empty() {
                let who = self.ticket_for.or(identity.principal).unwrap_or("");
                let written = put(
                    out,
                    &[
                        b"INIT ",
                        who.as_bytes(),
                        b" ",
                        target.service.as_bytes(),
                        b"/",
                        target.host.as_bytes(),
                    ],
                )?;
                Ok(GssStep { written, complete: false })
            } else if input == b"ACCEPT" {
                Ok(GssStep { written: 0, complete: true })
            } else {
                Err(lib_err("defective token"))
            }
        }
        fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
            match (token.split_first(), self.unwrap_as) {
                (Some((b'W', _)), Some(fake)) => put(out, &[fake]),
                (Some((b'W', rest)), None) => put(out, &[rest]),
                _ => Err(lib_err("bad wrap token")),
            }
        }
        fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
            put(out, &[b"W", message])
        }
    }

    /// The server's toy library: its "keytab" is `mongodb/localhost`.
    #[derive(Default)]
    struct ToyAcc {
        source: Option<heapless::String<MAX_PRINCIPAL_LEN>>,
        /// Replace the offer's layer byte (a hostile server).
        offer_layers: Option<u8>,
        /// Finish the context without a reply token (no mutual auth).
        no_mutual: bool,
        resets: usize,
    }

    impl GssAcceptor for ToyAcc {
        fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError> {
            let text = core::str::from_utf8(input).map_err(|_| lib_err("not a token"))?;
            let rest = text.strip_prefix("INIT ").ok_or(lib_err("defective token"))?;
            let (who, target) = rest.split_once(' ').ok_or(lib_err("defective token"))?;
            if target != "mongodb/localhost" {
                return Err(lib_err("no key for the service"));
            }
            self.source = Some(heapless::String::try_from(who).map_err(|_| lib_err("long"))?);
            let written = if self.no_mutual { 0 } else { put(out, &[b"ACCEPT"])? };
            Ok(GssStep { written, complete: true })
        }
        fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
            self.source.as_ref().ok_or(GssError::NoContext)?;
            let n = put(out, &[b"W", message])?;
            if let (Some(l), Some(b)) = (self.offer_layers, out.get_mut(1)) {
                *b = l;
            }
            Ok(n)
        }
        fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
            self.source.as_ref().ok_or(GssError::NoContext)?;
            match token.split_first() {
                Some((b'W', rest)) => put(out, &[rest]),
                _ => Err(lib_err("bad wrap token")),
            }
        }
        fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError> {
            let s = self.source.as_ref().ok_or(GssError::NoContext)?;
            put(out, &[s.as_bytes()])
        }
        fn reset(&mut self) {
            self.source = None;
            self.resets += 1;
        }
    }

    fn users() -> StaticUsers<2> {
        let users = StaticUsers::new();
        // The SCRAM user (two PBKDF2s of 10,000+ rounds) is minutes of
        // Miri per test; only `scram_still_works_next_to_gssapi` needs it.
        #[cfg(not(miri))]
        let users = users.with_scram_user("admin", "alice", "pencil", &[1; 28]).unwrap();
        users.with_external_user(USER).unwrap()
    }

    fn client(user: &str, config: GssConfig) -> Authenticator<'static> {
        // Leaked for brevity: a test's few hundred bytes.
        let config: &'static GssConfig = std::boxed::Box::leak(std::boxed::Box::new(config));
        let cred = Credential::new(Some(Mechanism::Gssapi), Some(user), None, "$external").unwrap();
        Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap().with_gssapi(config)
    }

    fn localhost() -> GssConfig {
        GssConfig::new("localhost").unwrap()
    }

    /// Drive a login through frames; returns the outcome and the number of
    /// commands sent.
    fn run<U: crate::server::UserStore>(
        auth: &mut Authenticator<'_>,
        server: &mut ServerSession<U, ToyAcc>,
        init: &mut ToyInit,
    ) -> Result<(Outcome, usize), Error> {
        let (mut req, mut rep, mut scratch) = ([0u8; 4096], [0u8; 4096], [0u8; 1024]);
        let mut sent = 0;
        loop {
            let n = match auth.step() {
                Step::Send(cmd) => wire::encode_message(sent + 1, 0, &cmd, &mut req)?,
                Step::Need(_) => {
                    auth.provide_gss_with(init, &mut scratch)?;
                    continue;
                }
                Step::Done(o) => return Ok((o, sent as usize)),
            };
            sent += 1;
            let m = server.handle_frame(&req[..n], 100 + sent, &[3; 24], &mut rep)?;
            auth.handle_reply_frame(&rep[..m], sent)?;
        }
    }

    fn server(users: &StaticUsers<2>) -> ServerSession<&StaticUsers<2>, ToyAcc> {
        ServerSession::new(users, [9; 32]).with_gssapi(ToyAcc::default())
    }

    #[test]
    fn logs_in_through_frames() {
        let users = users();
        let mut server = server(&users);
        let mut auth = client(USER, localhost());
        let mut init = ToyInit::default();
        let (outcome, sent) = run(&mut auth, &mut server, &mut init).unwrap();
        assert_eq!(outcome, Outcome::Authenticated { mechanism: Mechanism::Gssapi });
        assert!(auth.is_authenticated());
        // hello, saslStart (INIT), saslContinue (empty), saslContinue (wrap).
        assert_eq!(sent, 4);
        assert_eq!(init.steps, 2);
        assert_eq!(server.authenticated_user(), Some(("$external", USER)));
    }

    #[test]
    fn logs_in_without_mutual_auth() {
        let users = users();
        let mut server = ServerSession::new(&users, [9; 32])
            .with_gssapi(ToyAcc { no_mutual: true, ..ToyAcc::default() });
        let mut auth = client(USER, localhost());
        // Our toy initiator wants ACCEPT: here the client's context is never
        // complete, so the server's offer is taken as a context token and
        // the toy library refuses it: a GSS failure at the context step.
        let e = run(&mut auth, &mut server, &mut ToyInit::default()).unwrap_err();
        assert!(matches!(e, Error::Gss(GssFailure { op: GssOp::Init, .. })), "{e:?}");
        assert_eq!(auth.error().unwrap().stage(), Stage::GssInit);
        assert!(server.authenticated_user().is_none());
    }

    #[test]
    fn wrong_service_name_is_refused_with_18() {
        let users = users();
        let mut server = server(&users);
        let mut auth = client(USER, localhost().with_service_name("other").unwrap());
        let e = run(&mut auth, &mut server, &mut ToyInit::default()).unwrap_err();
        assert!(e.is_authentication_failed(), "{e:?}");
        let le = auth.error().unwrap();
        assert_eq!(le.mechanism(), Some(Mechanism::Gssapi));
        assert_eq!(le.stage(), Stage::SaslStart);
        assert_eq!(server.gss_acceptor().source, None);
    }

    #[test]
    fn service_host_and_realm_reach_the_initiator() {
        let c = localhost()
            .with_service_name("svc")
            .unwrap()
            .with_service_host("kdc.example")
            .unwrap()
            .with_service_realm("EXAMPLE.COM")
            .unwrap()
            .with_canonicalize(crate::uri::CanonicalizeHostName::Forward);
        let t = c.target();
        assert_eq!((t.service, t.host, t.realm), ("svc", "kdc.example", Some("EXAMPLE.COM")));
        assert_eq!(t.canonicalize, crate::uri::CanonicalizeHostName::Forward);
        let mut auth = client(USER, c.clone());
        hello(&mut auth);
        match auth.step() {
            Step::Need(Need::GssInit { target, identity, input }) => {
                assert_eq!(target, t);
                assert_eq!(identity.principal, Some(USER));
                assert!(identity.password.is_none());
                assert!(input.is_empty());
            }
            s => panic!("{s:?}"),
        }
        // From a connection string.
        let uri = crate::uri::ConnectionString::parse(
            "mongodb://user%40R@db.example/?authMechanism=GSSAPI&authMechanismProperties=SERVICE_NAME:mongo,SERVICE_REALM:R",
            &mut (),
        )
        .unwrap();
        let cred = uri.credential().unwrap().unwrap();
        let crate::uri::MechanismProperties::Gssapi(p) = cred.properties() else {
            panic!("not GSSAPI properties")
        };
        let c = GssConfig::from_properties(p, "db.example").unwrap();
        assert_eq!(c.target().service, "mongo");
        assert_eq!(c.target().host, "db.example");
        assert_eq!(c.target().realm, Some("R"));
        assert!(GssConfig::new("").is_err());
        assert!(GssConfig::new(&"h".repeat(MAX_TARGET_LEN)).is_err());
    }

    #[test]
    fn wrong_authz_and_unknown_principal_get_the_same_reply() {
        let users = users();
        // The ticket is mallory's but the username (the authz) is ours.
        let mut server1 = server(&users);
        let mut auth = client(USER, localhost());
        let mut init = ToyInit { ticket_for: Some("mallory@MONGOAUTH.TEST"), ..Default::default() };
        let e = run(&mut auth, &mut server1, &mut init).unwrap_err();
        assert!(e.is_authentication_failed());
        assert_eq!(auth.error().unwrap().stage(), Stage::SaslContinue);
        assert!(server1.authenticated_user().is_none());
        // An unknown principal with a consistent authz.
        let mut server2 = server(&users);
        let mut auth = client("mallory@MONGOAUTH.TEST", localhost());
        let e = run(&mut auth, &mut server2, &mut ToyInit::default()).unwrap_err();
        assert!(e.is_authentication_failed());
        assert!(server2.authenticated_user().is_none());
        // And a bad token: the same bytes.
        let mut s3 = server(&users);
        let bad = sasl_start_body(BodyPayload::Bin(b"garbage"));
        let mut r3 = [0u8; 512];
        let n3 = s3.handle(&bad, &[3; 24], &mut r3).unwrap();
        let mut r1 = [0u8; 512];
        let n1 = final_reply_for(&users, "mallory@MONGOAUTH.TEST", USER, &mut r1);
        assert_eq!(&r1[..n1], &r3[..n3]);
        let n2 =
            final_reply_for(&users, "mallory@MONGOAUTH.TEST", "mallory@MONGOAUTH.TEST", &mut r1);
        assert_eq!(&r1[..n2], &r3[..n3]);
        let doc = Document::parse(&r3[..n3]).unwrap();
        assert_eq!(doc.get_i32("code").unwrap(), 18);
    }

    /// The server's reply to the final message of a login with a ticket for
    /// `who` claiming `authz`.
    fn final_reply_for(users: &StaticUsers<2>, who: &str, authz: &str, out: &mut [u8]) -> usize {
        let mut s = server(users);
        let mut rep = [0u8; 512];
        let init = format_init(who);
        s.handle(&sasl_start_body(BodyPayload::Bin(init.as_bytes())), &[3; 24], &mut rep).unwrap();
        s.handle(&continue_body(BodyPayload::Bin(b"")), &[3; 24], &mut rep).unwrap();
        let mut msg = heapless::Vec::<u8, 300>::new();
        msg.extend_from_slice(b"W\x01\0\0\0").unwrap();
        msg.extend_from_slice(authz.as_bytes()).unwrap();
        s.handle(&continue_body(BodyPayload::Bin(&msg)), &[3; 24], out).unwrap()
    }

    fn format_init(who: &str) -> heapless::String<300> {
        let mut s = heapless::String::new();
        s.push_str("INIT ").unwrap();
        s.push_str(who).unwrap();
        s.push_str(" mongodb/localhost").unwrap();
        s
    }

    #[derive(Clone, Copy)]
    enum BodyPayload<'a> {
        Bin(&'a [u8]),
        Str(&'a str),
    }

    struct Cmd<'a> {
        start: bool,
        payload: BodyPayload<'a>,
        db: &'a str,
    }

    impl WriteBody for Cmd<'_> {
        fn write_body(&self, w: &mut DocWriter<'_>) {
            if self.start {
                w.int32("saslStart", 1).string("mechanism", "GSSAPI");
            } else {
                w.int32("saslContinue", 1).int32("conversationId", 1);
            }
            match self.payload {
                BodyPayload::Bin(b) => w.binary("payload", BINARY_SUBTYPE_GENERIC, b),
                BodyPayload::Str(s) => w.string("payload", s),
            };
            if self.start {
                w.int32("autoAuthorize", 1);
            }
            w.string("$db", self.db);
        }
    }

    fn body(c: &Cmd<'_>) -> heapless::Vec<u8, 24576> {
        let mut v = heapless::Vec::new();
        v.resize(24576, 0).unwrap();
        let n = wire::encode_document(c, &mut v).unwrap();
        v.truncate(n);
        v
    }

    fn sasl_start_body(payload: BodyPayload<'_>) -> heapless::Vec<u8, 24576> {
        body(&Cmd { start: true, payload, db: "$external" })
    }

    fn continue_body(payload: BodyPayload<'_>) -> heapless::Vec<u8, 24576> {
        body(&Cmd { start: false, payload, db: "$external" })
    }

    fn b64<'b>(bytes: &[u8], buf: &'b mut [u8]) -> &'b str {
        use base64ct::{Base64, Encoding};
        Base64::encode(bytes, buf).unwrap()
    }

    #[test]
    fn string_payloads_are_answered_as_strings() {
        // What pymongo + pykerberos send: base64 strings, an empty string
        // after the context, any max size in the answer.
        let users = users();
        let mut s = server(&users);
        let mut rep = [0u8; 512];
        let mut buf = [0u8; 512];
        let init = format_init(USER);
        let n = s
            .handle(
                &sasl_start_body(BodyPayload::Str(b64(init.as_bytes(), &mut buf))),
                &[3; 24],
                &mut rep,
            )
            .unwrap();
        let d = Document::parse(&rep[..n]).unwrap();
        assert_eq!(d.get_str("payload").unwrap(), b64(b"ACCEPT", &mut buf));
        assert!(!d.get_bool("done").unwrap());
        let n = s.handle(&continue_body(BodyPayload::Str("")), &[3; 24], &mut rep).unwrap();
        let d = Document::parse(&rep[..n]).unwrap();
        assert_eq!(d.get_str("payload").unwrap(), b64(b"W\x01\0\0\0", &mut buf));
        let mut answer = heapless::Vec::<u8, 64>::new();
        answer.extend_from_slice(b"W\x01\x00\x10\x00").unwrap();
        answer.extend_from_slice(USER.as_bytes()).unwrap();
        let n = s
            .handle(&continue_body(BodyPayload::Str(b64(&answer, &mut buf))), &[3; 24], &mut rep)
            .unwrap();
        let d = Document::parse(&rep[..n]).unwrap();
        assert!(d.get_bool("done").unwrap());
        assert_eq!(d.get_str("payload").unwrap(), "");
        assert_eq!(d.get_f64("ok").unwrap(), 1.0);
        assert_eq!(s.authenticated_user(), Some(("$external", USER)));
    }

    #[test]
    fn binary_payloads_are_answered_as_binary() {
        let users = users();
        let mut s = server(&users);
        let mut rep = [0u8; 512];
        let init = format_init(USER);
        let n = s
            .handle(&sasl_start_body(BodyPayload::Bin(init.as_bytes())), &[3; 24], &mut rep)
            .unwrap();
        let d = Document::parse(&rep[..n]).unwrap();
        match d.get("payload") {
            Some(Value::Binary(b)) => assert_eq!(b.bytes, b"ACCEPT"),
            v => panic!("{v:?}"),
        }
        assert_eq!(d.get_i32("conversationId").unwrap(), 1);
    }

    #[test]
    fn server_refuses_bad_input_with_18() {
        let users = users();
        let refuse = |b: &[u8], setup: &dyn Fn(&mut ServerSession<&StaticUsers<2>, ToyAcc>)| {
            let mut s = server(&users);
            setup(&mut s);
            let mut rep = [0u8; 512];
            let n = s.handle(b, &[3; 24], &mut rep).unwrap();
            let d = Document::parse(&rep[..n]).unwrap();
            assert_eq!(d.get_i32("code").unwrap(), 18);
            assert!(s.authenticated_user().is_none());
        };
        let none = |_: &mut ServerSession<&StaticUsers<2>, ToyAcc>| {};
        let init = format_init(USER);
        let started = |s: &mut ServerSession<&StaticUsers<2>, ToyAcc>| {
            let mut rep = [0u8; 512];
            s.handle(&sasl_start_body(BodyPayload::Bin(init.as_bytes())), &[3; 24], &mut rep)
                .unwrap();
        };
        let offered = |s: &mut ServerSession<&StaticUsers<2>, ToyAcc>| {
            started(s);
            let mut rep = [0u8; 512];
            s.handle(&continue_body(BodyPayload::Bin(b"")), &[3; 24], &mut rep).unwrap();
        };
        // Bad base64; a token over MAX_TOKEN_LEN (binary and string); the
        // wrong database; a continue with nothing started.
        refuse(&sasl_start_body(BodyPayload::Str("!!!")), &none);
        let big = [b'A'; MAX_TOKEN_LEN + 1];
        refuse(&sasl_start_body(BodyPayload::Bin(&big)), &none);
        let mut buf = [0u8; 24000];
        refuse(&sasl_start_body(BodyPayload::Str(b64(&big, &mut buf))), &none);
        refuse(
            &body(&Cmd { start: true, payload: BodyPayload::Bin(init.as_bytes()), db: "admin" }),
            &none,
        );
        refuse(&continue_body(BodyPayload::Bin(b"")), &none);
        // A non-empty answer after the context; a truncated answer; another
        // layer chosen; a tampered wrap; an empty authz.
        refuse(&continue_body(BodyPayload::Bin(b"x")), &started);
        refuse(&continue_body(BodyPayload::Bin(b"W\x01\0")), &offered);
        let mut m = heapless::Vec::<u8, 64>::new();
        m.extend_from_slice(b"W\x02\0\0\0").unwrap();
        m.extend_from_slice(USER.as_bytes()).unwrap();
        refuse(&continue_body(BodyPayload::Bin(&m)), &offered);
        m[0] = b'X';
        m[1] = 1;
        refuse(&continue_body(BodyPayload::Bin(&m)), &offered);
        refuse(&continue_body(BodyPayload::Bin(b"W\x01\0\0\0")), &offered);
        // Invalid UTF-8 in the authz.
        refuse(&continue_body(BodyPayload::Bin(b"W\x01\0\0\0\xff")), &offered);
    }

    #[test]
    fn a_server_without_gssapi_refuses_it() {
        let users = users();
        let mut s = ServerSession::new(&users, [9; 32]);
        let mut rep = [0u8; 512];
        let init = format_init(USER);
        let n = s
            .handle(&sasl_start_body(BodyPayload::Bin(init.as_bytes())), &[3; 24], &mut rep)
            .unwrap();
        assert_eq!(Document::parse(&rep[..n]).unwrap().get_i32("code").unwrap(), 18);
    }

    #[test]
    #[cfg_attr(miri, ignore = "a SCRAM login: PBKDF2s of 10,000+ rounds, minutes in Miri")]
    fn scram_still_works_next_to_gssapi() {
        let users = users();
        let mut s = server(&users);
        let init = format_init(USER);
        let mut rep = [0u8; 512];
        s.handle(&sasl_start_body(BodyPayload::Bin(init.as_bytes())), &[3; 24], &mut rep).unwrap();
        let cred = Credential::scram("alice", "pencil", "admin").unwrap();
        let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap();
        let (mut req, mut rep) = ([0u8; 1024], [0u8; 1024]);
        let outcome = loop {
            let n = match auth.step() {
                Step::Send(cmd) => wire::encode_document(&cmd, &mut req).unwrap(),
                Step::Done(o) => break o,
                Step::Need(_) => unreachable!(),
            };
            let m = s.handle(&req[..n], &[3; 24], &mut rep).unwrap();
            auth.handle_reply(&rep[..m]).unwrap();
        };
        assert!(outcome.is_authenticated());
        assert!(s.gss_acceptor().resets >= 2);
    }

    fn hello(auth: &mut Authenticator<'_>) {
        let mut rep = [0u8; 512];
        let mut hello = wire::HelloReply::primary();
        hello.max_wire_version = Some(21);
        let n = wire::encode_document(&hello, &mut rep).unwrap();
        auth.handle_reply(&rep[..n]).unwrap();
    }

    struct Reply<'a> {
        done: bool,
        id: i32,
        payload: BodyPayload<'a>,
    }

    impl WriteBody for Reply<'_> {
        fn write_body(&self, w: &mut DocWriter<'_>) {
            w.int32("conversationId", self.id).bool("done", self.done);
            match self.payload {
                BodyPayload::Bin(b) => w.binary("payload", BINARY_SUBTYPE_GENERIC, b),
                BodyPayload::Str(s) => w.string("payload", s),
            };
            w.double("ok", 1.0);
        }
    }

    /// A hostile server: `replies` answer each SASL command in turn.
    fn against(
        replies: &[Reply<'_>],
        init: &mut ToyInit,
    ) -> (Result<Outcome, Error>, Authenticator<'static>) {
        let mut auth = client(USER, localhost());
        hello(&mut auth);
        let mut scratch = [0u8; 1024];
        let mut rep = [0u8; 8192];
        let mut replies = replies.iter();
        let r = loop {
            match auth.step() {
                Step::Done(o) => break Ok(o),
                Step::Need(_) => {
                    if let Err(e) = auth.provide_gss_with(init, &mut scratch) {
                        break Err(e);
                    }
                }
                Step::Send(_) => {
                    let Some(reply) = replies.next() else { panic!("ran out of replies") };
                    let n = wire::encode_document(reply, &mut rep).unwrap();
                    if let Err(e) = auth.handle_reply(&rep[..n]) {
                        break Err(e);
                    }
                }
            }
        };
        (r, auth)
    }

    fn bin(b: &[u8]) -> Reply<'_> {
        Reply { done: false, id: 1, payload: BodyPayload::Bin(b) }
    }

    #[test]
    fn a_server_that_says_done_too_early_is_refused() {
        for early in 0..2 {
            let mut replies = [bin(b"ACCEPT"), bin(b"W\x01\0\0\0"), bin(b"")];
            replies[early].done = true;
            let (r, auth) = against(&replies[..=early], &mut ToyInit::default());
            assert!(matches!(r, Err(Error::Protocol { .. })), "{early}: {r:?}");
            assert!(!auth.is_authenticated());
            assert_eq!(auth.outcome(), Some(Outcome::Failed));
        }
        // And one that is never done.
        let replies = [bin(b"ACCEPT"), bin(b"W\x01\0\0\0"), bin(b"")];
        let (r, auth) = against(&replies, &mut ToyInit::default());
        assert!(matches!(r, Err(Error::Protocol { .. })), "{r:?}");
        assert!(!auth.is_authenticated());
        // The right sequence succeeds.
        let mut replies = [bin(b"ACCEPT"), bin(b"W\x01\0\0\0"), bin(b"")];
        replies[2].done = true;
        let (r, auth) = against(&replies, &mut ToyInit::default());
        assert_eq!(r.unwrap(), Outcome::Authenticated { mechanism: Mechanism::Gssapi });
        assert!(auth.is_authenticated());
    }

    #[test]
    fn hostile_security_layer_offers_are_refused() {
        for offer in
            [&b"W\x02\0\0\0"[..], b"W\x04\xff\xff\xff", b"W\x01\0\0", b"W\x01\0\0\0\0", b"W"]
        {
            let (r, auth) = against(&[bin(b"ACCEPT"), bin(offer)], &mut ToyInit::default());
            assert!(matches!(r, Err(Error::Protocol { .. })), "{offer:?}: {r:?}");
            let le = auth.error().unwrap();
            assert_eq!(le.stage(), Stage::GssUnwrap);
            assert_eq!(le.mechanism(), Some(Mechanism::Gssapi));
            assert!(!auth.is_authenticated());
        }
        // A token the library cannot unwrap (tampered).
        let (r, auth) = against(&[bin(b"ACCEPT"), bin(b"X\x01\0\0\0")], &mut ToyInit::default());
        assert!(matches!(r, Err(Error::Gss(GssFailure { op: GssOp::Unwrap, .. }))), "{r:?}");
        assert_eq!(auth.gss_status_text(), Some("bad wrap token"));
        // Through our server: an acceptor that offers integrity only.
        let users = users();
        let mut s = ServerSession::new(&users, [9; 32])
            .with_gssapi(ToyAcc { offer_layers: Some(LAYER_INTEGRITY), ..ToyAcc::default() });
        let mut auth = client(USER, localhost());
        let e = run(&mut auth, &mut s, &mut ToyInit::default()).unwrap_err();
        assert!(matches!(e, Error::Protocol { .. }));
        assert_eq!(auth.error().unwrap().stage(), Stage::GssUnwrap);
        // Any size and extra layers next to "none" are fine.
        let mut replies = [bin(b"ACCEPT"), bin(b"W\x07\xff\xff\xff"), bin(b"")];
        replies[2].done = true;
        assert!(against(&replies, &mut ToyInit::default()).0.unwrap().is_authenticated());
    }

    #[test]
    fn hostile_replies_are_refused() {
        // A string payload (the auth spec's legacy form) from the server.
        let (r, _) = against(
            &[Reply { done: false, id: 1, payload: BodyPayload::Str("QUNDRVBU") }],
            &mut ToyInit::default(),
        );
        assert!(matches!(r, Err(Error::Wire(_))), "{r:?}");
        // The conversationId changes.
        let (r, _) = against(
            &[
                bin(b"ACCEPT"),
                Reply { done: false, id: 2, payload: BodyPayload::Bin(b"W\x01\0\0\0") },
            ],
            &mut ToyInit::default(),
        );
        assert!(matches!(r, Err(Error::Protocol { .. })), "{r:?}");
        // A server token over the payload buffer (P) and over MAX_TOKEN_LEN.
        let big = [b'A'; MAX_TOKEN_LEN + 1];
        let mut rep = [0u8; 20000];
        let target = localhost();
        let mut small = small_p(&target);
        small.provide_gss_with(&mut ToyInit::default(), &mut [0u8; 256]).unwrap();
        let n = wire::encode_document(&bin(&big[..4000]), &mut rep).unwrap();
        assert!(matches!(small.handle_reply(&rep[..n]), Err(Error::Capacity { .. })));
        assert_eq!(small.error().unwrap().stage(), Stage::SaslStart);
        let mut auth = client(USER, localhost());
        hello(&mut auth);
        auth.provide_gss_with(&mut ToyInit::default(), &mut [0u8; 256]).unwrap();
        let n = wire::encode_document(&bin(&big), &mut rep).unwrap();
        assert!(matches!(auth.handle_reply(&rep[..n]), Err(Error::Capacity { .. })));
        // A server that keeps sending context tokens.
        let replies: [Reply<'_>; 12] = core::array::from_fn(|_| bin(b"ACCEPT"));
        let mut auth = client(USER, localhost());
        hello(&mut auth);
        let mut rounds = 0;
        let e = loop {
            match auth.step() {
                Step::Need(Need::GssInit { .. }) => {
                    // A library that never completes.
                    auth.provide_gss_step(b"MORE", false).unwrap();
                }
                Step::Send(_) => {
                    let n = wire::encode_document(&replies[rounds], &mut rep).unwrap();
                    rounds += 1;
                    if let Err(e) = auth.handle_reply(&rep[..n]) {
                        break e;
                    }
                }
                s => panic!("{s:?}"),
            }
        };
        assert!(matches!(e, Error::Protocol { rule: "too many SASL steps" }), "{e:?}");
        assert_eq!(rounds, usize::from(MAX_SASL_REPLIES) + 1);
    }

    #[test]
    fn gss_failures_name_the_mechanism_the_step_and_the_library_text() {
        let (r, auth) = against(&[], &mut ToyInit { no_ticket: true, ..Default::default() });
        let e = r.unwrap_err();
        assert_eq!(e, Error::Gss(GssFailure { op: GssOp::Init, major: DEFECTIVE_TOKEN, minor: 7 }));
        let le = auth.error().unwrap();
        assert_eq!(le.mechanism(), Some(Mechanism::Gssapi));
        assert_eq!(le.stage(), Stage::GssInit);
        assert_eq!(auth.gss_status_text(), Some("No Kerberos credentials available"));
        let mut text = heapless::String::<512>::new();
        core::fmt::write(&mut text, format_args!("{le}")).unwrap();
        assert!(text.contains("GSSAPI login"), "{text}");
        assert!(text.contains("GSSAPI context step"), "{text}");
        assert!(text.contains("gss_init_sec_context"), "{text}");
        // fail_gss_error for a driver calling its library itself.
        let mut auth = client(USER, localhost());
        hello(&mut auth);
        let e = auth.fail_gss_error(&GssError::NoContext);
        assert_eq!(
            e,
            Error::Gss(GssFailure { op: GssOp::Init, major: GSS_S_NO_CONTEXT, minor: 0 })
        );
        assert_eq!(auth.outcome(), Some(Outcome::Failed));
    }

    #[test]
    fn manual_needs_and_misuse() {
        let mut auth = client(USER, localhost());
        // Nothing GSS is pending before the hello.
        assert!(matches!(auth.provide_gss_step(b"x", false), Err(Error::UnexpectedStep { .. })));
        hello(&mut auth);
        assert!(matches!(
            auth.provide_gss_unwrapped(b"\x01\0\0\0"),
            Err(Error::UnexpectedStep { .. })
        ));
        assert!(matches!(auth.provide_gss_wrapped(b"x"), Err(Error::UnexpectedStep { .. })));
        // A scratch too small: retry, the login goes on.
        let mut init = ToyInit::default();
        let e = auth.provide_gss_with(&mut init, &mut [0u8; 4]).unwrap_err();
        assert!(e.buffer_too_small().is_some());
        assert!(matches!(auth.step(), Step::Need(Need::GssInit { .. })));
        // By hand: the token, then the reply, then unwrap and wrap.
        match auth.provide_gss_step(b"INIT x", false).unwrap() {
            Step::Send(crate::client::Command::SaslStart(s)) => {
                assert_eq!(s.mechanism, "GSSAPI");
                assert_eq!(s.payload, b"INIT x");
                assert_eq!(s.db, "$external");
                let mut buf = [0u8; 256];
                let n =
                    wire::encode_document(&crate::client::Command::SaslStart(s), &mut buf).unwrap();
                let d = Document::parse(&buf[..n]).unwrap();
                assert_eq!(d.get_i32("autoAuthorize").unwrap(), 1);
                assert!(!d.contains_key("options"));
            }
            s => panic!("{s:?}"),
        }
        let mut rep = [0u8; 256];
        let n = wire::encode_document(&bin(b"ACCEPT"), &mut rep).unwrap();
        assert!(matches!(
            auth.handle_reply(&rep[..n]).unwrap(),
            Step::Need(Need::GssInit { input: b"ACCEPT", .. })
        ));
        // The library produced no token: an empty saslContinue.
        match auth.provide_gss_step(b"", true).unwrap() {
            Step::Send(crate::client::Command::SaslContinue(c)) => {
                assert!(c.payload.is_empty());
                assert_eq!(c.conversation_id, ConversationId::Int32(1));
            }
            s => panic!("{s:?}"),
        }
        let n = wire::encode_document(&bin(b"W\x01\0\0\0"), &mut rep).unwrap();
        assert!(matches!(
            auth.handle_reply(&rep[..n]).unwrap(),
            Step::Need(Need::GssUnwrap { token: b"W\x01\0\0\0" })
        ));
        match auth.provide_gss_unwrapped(b"\x01\x00\x10\x00").unwrap() {
            Step::Need(Need::GssWrap { message }) => {
                assert_eq!(&message[..4], b"\x01\0\0\0");
                assert_eq!(&message[4..], USER.as_bytes());
            }
            s => panic!("{s:?}"),
        }
        assert!(matches!(
            auth.provide_gss_wrapped(b"token").unwrap(),
            Step::Send(crate::client::Command::SaslContinue(c)) if c.payload == b"token"
        ));
        let n = wire::encode_document(
            &SaslReply { conversation_id: ConversationId::Int32(1), done: true, payload: b"" },
            &mut rep,
        )
        .unwrap();
        assert!(
            matches!(auth.handle_reply(&rep[..n]).unwrap(), Step::Done(o) if o.is_authenticated())
        );
    }

    /// An authenticator with a 1 KiB payload buffer, past its hello.
    fn small_p(target: &GssConfig) -> Authenticator<'_, 1024> {
        let cred = Credential::new(Some(Mechanism::Gssapi), Some(USER), None, "$external").unwrap();
        let mut auth =
            Authenticator::<'_, 1024>::with_payload_capacity(cred, AuthConfig::default(), &[7; 48])
                .unwrap()
                .with_gssapi(target);
        let mut rep = [0u8; 512];
        let n = wire::encode_document(&wire::HelloReply::primary(), &mut rep).unwrap();
        auth.handle_reply(&rep[..n]).unwrap();
        auth
    }

    #[test]
    fn our_own_oversized_tokens_end_the_login_at_their_step() {
        let big = [b'A'; MAX_TOKEN_LEN + 1];
        // Over the payload buffer (P).
        let target = localhost();
        let mut auth = small_p(&target);
        let e = auth.provide_gss_step(&big[..1025], false).unwrap_err();
        assert!(matches!(e, Error::Capacity { .. }), "{e:?}");
        assert_eq!(auth.error().unwrap().stage(), Stage::GssInit);
        assert_eq!(auth.outcome(), Some(Outcome::Failed));
        // The default P takes any token up to MAX_TOKEN_LEN, and no more.
        let mut auth = client(USER, localhost());
        hello(&mut auth);
        assert!(matches!(auth.provide_gss_step(&big, false), Err(Error::Capacity { .. })));
        let mut auth = client(USER, localhost());
        hello(&mut auth);
        assert!(auth.provide_gss_step(&big[..MAX_TOKEN_LEN], false).is_ok());
    }

    #[test]
    fn setup_errors() {
        // No target configured: a clear error at the hello.
        let cred = Credential::new(Some(Mechanism::Gssapi), Some(USER), None, "$external").unwrap();
        let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap();
        let mut rep = [0u8; 512];
        let n = wire::encode_document(&wire::HelloReply::primary(), &mut rep).unwrap();
        assert!(matches!(auth.handle_reply(&rep[..n]), Err(Error::InvalidCredential { .. })));
        // A username is required; the source is $external; the principal is bounded.
        let cred = Credential::new(Some(Mechanism::Gssapi), None, None, "$external").unwrap();
        assert!(Authenticator::new(cred, AuthConfig::default(), &[7; 48]).is_err());
        let cred = Credential::new(Some(Mechanism::Gssapi), Some(USER), None, "admin").unwrap();
        assert!(Authenticator::new(cred, AuthConfig::default(), &[7; 48]).is_err());
        let long = "u".repeat(MAX_PRINCIPAL_LEN + 1);
        let cred =
            Credential::new(Some(Mechanism::Gssapi), Some(&long), None, "$external").unwrap();
        assert!(matches!(
            Authenticator::new(cred, AuthConfig::default(), &[7; 48]),
            Err(Error::Capacity { .. })
        ));
        // A password reaches the initiator.
        let cred =
            Credential::new(Some(Mechanism::Gssapi), Some(USER), Some("userpw"), "$external")
                .unwrap();
        let target = localhost();
        let mut auth =
            Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap().with_gssapi(&target);
        hello(&mut auth);
        match auth.step() {
            Step::Need(Need::GssInit { identity, .. }) => {
                assert_eq!(identity.password, Some("userpw"));
                let mut s = heapless::String::<128>::new();
                core::fmt::write(&mut s, format_args!("{identity:?}")).unwrap();
                assert!(!s.contains("userpw"));
            }
            s => panic!("{s:?}"),
        }
    }

    #[test]
    fn security_layer_messages() {
        assert_eq!(SecurityLayer::parse(b"\x01\x00\x10\x00").unwrap().max_size, 4096);
        assert_eq!(SecurityLayer::NONE_ONLY.to_bytes(), [1, 0, 0, 0]);
        assert!(SecurityLayer::parse(b"\x01\0\0").is_err());
        assert!(SecurityLayer::parse_offer(b"\x06\0\0\0").is_err());
        let r = ClientLayerReply::parse_no_layer(b"\x01\xff\xff\xffu@R").unwrap();
        assert_eq!((r.max_size, r.authz), (0xff_ffff, "u@R"));
        assert!(ClientLayerReply::parse_no_layer(b"\x03\0\0\0u").is_err());
        let e = ClientLayerReply::parse(b"\x01\0\0\0ab\xff").unwrap_err();
        assert_eq!(e.offset, 6);
        let mut out = [0u8; 7];
        assert_eq!(ClientLayerReply::no_layer("u@R").write(&mut out), Ok(7));
        assert_eq!(&out, b"\x01\0\0\0u@R");
        assert!(ClientLayerReply::no_layer("u@RR").write(&mut out).is_err());
    }
}
