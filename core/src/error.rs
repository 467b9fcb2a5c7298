//! The crate's error type: one enum grouped by whose fault it is (the peer's
//! malformed bytes, the peer breaking the protocol, a failed login, an
//! unsupported feature, or the caller), with each layer's own error converted
//! upward. Messages name the rule and the place; they never carry a secret.

use core::fmt;

use crate::codec::wire::WireError;
use crate::mech::Mechanism;
use crate::saslprep::SaslprepError;

/// Which SCRAM message an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScramMessage {
    /// `n,,n=<user>,r=<nonce>`
    ClientFirst,
    /// `r=<nonce>,s=<salt>,i=<count>`
    ServerFirst,
    /// `c=biws,r=<nonce>,p=<proof>`
    ClientFinal,
    /// `v=<signature>` or `e=<error>`
    ServerFinal,
}

impl fmt::Display for ScramMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ClientFirst => "client-first-message",
            Self::ServerFirst => "server-first-message",
            Self::ClientFinal => "client-final-message",
            Self::ServerFinal => "server-final-message",
        })
    }
}

/// Longest `e=` server-error value kept in [`Error::ServerError`]; a longer one
/// is reported as malformed rather than cut.
pub const MAX_SERVER_ERROR_LEN: usize = 48;

/// An `e=` value from a SCRAM peer (RFC 5802 server-error-value): not secret,
/// so it is kept for the caller to show.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerErrorText(
    // Always UTF-8 (checked by whoever built it). Kept as bytes so that the
    // SCRAM parser copies the value it has already validated instead of
    // re-encoding it character by character (firmware size); the `str` is
    // made only when asked for.
    heapless::Vec<u8, MAX_SERVER_ERROR_LEN>,
);

impl ServerErrorText {
    /// Wrap a value; `None` if longer than [`MAX_SERVER_ERROR_LEN`].
    pub fn new(text: &str) -> Option<Self> {
        Self::from_checked_utf8(text.as_bytes())
    }
    /// Wrap bytes the caller has checked are UTF-8 (the SCRAM parser's
    /// `e=`); `None` if longer than [`MAX_SERVER_ERROR_LEN`].
    pub(crate) fn from_checked_utf8(utf8: &[u8]) -> Option<Self> {
        heapless::Vec::from_slice(utf8).ok().map(ServerErrorText)
    }
    /// The value as sent, e.g. `invalid-proof`.
    pub fn as_str(&self) -> &str {
        // The bytes are UTF-8 by construction, so this never falls back.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }
    /// The value as an RFC 5802 server-error-value, for branching on it
    /// (an unknown value is `Unrecognized`, with its text).
    pub fn kind(&self) -> crate::mech::scram::ServerErrorKind<'_> {
        crate::mech::scram::ServerErrorKind::from_value(self.as_str())
    }
}

impl fmt::Debug for ServerErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Shown escaped (see [`Escaped`]): a peer's text is data, not output.
impl fmt::Display for ServerErrorText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Escaped(self.as_str()), f)
    }
}

/// Longest server `errmsg` a [`crate::client::LoginError`] keeps, in bytes. A
/// longer one is kept up to this bound (at a character boundary) and shown
/// with a trailing `...` marker: it is text for a human, never parsed.
pub const MAX_ERRMSG_LEN: usize = 256;
/// Longest server `codeName` a [`crate::client::LoginError`] keeps, in bytes
/// (mongod's longest is under 50); longer is cut and marked like `errmsg`.
pub const MAX_CODE_NAME_LEN: usize = 64;

/// A peer's (or caller's) text shown in an error: every ASCII control
/// character and `\\` is escaped as `\xNN` / `\\`, and every non-ASCII
/// control or invisible formatting character (C1 controls, bidi overrides
/// and isolates, zero-width characters, line and paragraph separators,
/// tags, the BOM) as `\u{..}`, so that no server can write terminal escapes,
/// fake lines or reordered text into a log. Checked by ranges, without
/// Unicode tables (a firmware build stays small).
#[derive(Clone, Copy)]
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                ' '..='~' => f.write_char(c)?,
                c if c.is_ascii() => write!(f, "\\x{:02x}", c as u32)?,
                c if invisible(c) => write!(f, "\\u{{{:x}}}", c as u32)?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Non-ASCII characters that control a terminal or change how text is
/// laid out without being seen (Unicode Cc and the invisible Cf/Zl/Zp).
fn invisible(c: char) -> bool {
    matches!(
        c as u32,
        0x80..=0x9F
            | 0xAD
            | 0x061C
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE0000..=0xE007F
    )
}

/// Text from a peer kept for an error, bounded to `N` bytes: a longer text
/// is cut at a character boundary and remembered as cut ([`Self::is_truncated`]).
/// `Display` escapes it ([`Escaped`]) and marks a cut with `...`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct BoundedText<const N: usize> {
    text: heapless::String<N>,
    truncated: bool,
}

impl<const N: usize> BoundedText<N> {
    /// Keep up to `N` bytes of `text`.
    pub fn new(text: &str) -> Self {
        let mut end = text.len().min(N);
        while !text.is_char_boundary(end) {
            end = end.saturating_sub(1);
        }
        let kept = text.get(..end).unwrap_or_default();
        let mut s = heapless::String::new();
        // `kept` is at most N bytes.
        let _ = s.push_str(kept);
        BoundedText { text: s, truncated: end < text.len() }
    }
    /// The kept text, unescaped.
    pub fn as_str(&self) -> &str {
        &self.text
    }
    /// Whether the original was longer than `N` bytes.
    pub fn is_truncated(&self) -> bool {
        self.truncated
    }
}

impl<const N: usize> fmt::Display for BoundedText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Escaped(&self.text), f)?;
        if self.truncated {
            f.write_str("...")?;
        }
        Ok(())
    }
}

impl<const N: usize> fmt::Debug for BoundedText<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// An output buffer was too small: the one type every layer reports this
/// with ([`Error::BufferTooSmall`], `WireError::BufferTooSmall`,
/// `BsonError::BufferTooSmall`, `UriErrorKind::BufferTooSmall`,
/// `SaslprepError::BufferTooSmall` all carry it), with the size that is
/// needed: retry with a buffer that large.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BufferTooSmall {
    /// The size needed, in bytes.
    pub required: usize,
}

impl fmt::Display for BufferTooSmall {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "output buffer too small: {} bytes needed", self.required)
    }
}

impl core::error::Error for BufferTooSmall {}

/// What kind of failure an [`Error`] is, for callers that branch on it
/// (the C status, a Python exception class, a Go sentinel map onto these).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The server refused the login (code 18, AuthenticationFailed), or our
    /// server refused a client's proof: wrong user or password.
    AuthenticationFailed,
    /// The server answered a command with another error code.
    CommandFailed,
    /// The peer's bytes were malformed or it broke the protocol.
    Peer,
    /// The caller's input or use of the API (credential, buffer, limit, order).
    Caller,
    /// A connection string broke a rule.
    Uri,
    /// Not supported by this build.
    Unsupported,
}

/// Everything that can go wrong, grouped by fault. `#[non_exhaustive]`: match
/// the groups you care about and treat the rest as failures.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    // ---- malformed bytes from the peer -------------------------------------
    /// A SCRAM message broke the RFC 5802 grammar.
    Malformed {
        /// Which message.
        message: ScramMessage,
        /// The rule that failed, e.g. "expected attribute `s=`".
        rule: &'static str,
        /// Byte offset in that message.
        offset: usize,
    },

    // ---- a well-formed peer breaking the protocol ---------------------------
    /// The server's nonce does not strictly extend ours (RFC 5802 5.1).
    NonceMismatch,
    /// The server asked for fewer than 4096 iterations (MongoDB auth spec MUST).
    IterationCountTooLow {
        /// What the server sent.
        iterations: u32,
    },
    /// The server asked for more iterations than the configured cap allows.
    IterationCountTooHigh {
        /// What the server sent.
        iterations: u32,
        /// The cap ([`crate::mech::scram::ClientConfig::max_iterations`]).
        max: u32,
    },
    /// The server signature did not verify: the server does not know the
    /// password, so it is not the server we meant to talk to.
    ServerSignatureMismatch,
    /// The server answered `e=<value>`.
    ServerError(ServerErrorText),
    /// The server set a mandatory extension (`m=`), which SCRAM clients must reject.
    MandatoryExtension,

    // ---- a failed login (server side) ---------------------------------------
    /// The client's proof did not verify, or the user is unknown. Which one is
    /// deliberately not said.
    AuthenticationFailed,
    /// The client asked for channel binding (`p=`), which MongoDB does not offer.
    ChannelBindingNotSupported,

    // ---- the caller's input or use of the API ---------------------------------
    /// A fixed-capacity limit was exceeded; the value names the limit.
    Capacity {
        /// What overflowed, e.g. "username".
        what: &'static str,
        /// The documented limit in bytes.
        limit: usize,
    },
    /// An output buffer is too small (the size needed inside).
    BufferTooSmall(BufferTooSmall),
    /// Nonce input broke a rule (too little entropy, bad characters).
    InvalidNonce {
        /// The rule that failed.
        rule: &'static str,
    },
    /// A credential field broke a rule (empty username, bad UTF-8, ...).
    InvalidCredential {
        /// The rule that failed.
        rule: &'static str,
    },
    /// The password could not be SASLprep'd.
    Saslprep(SaslprepError),
    /// Provisioned keys were made for another salt or iteration count than the
    /// server now uses: a password is needed again.
    KeysDoNotMatchServer,
    /// A wire message or BSON document was malformed.
    Wire(WireError),
    /// A connection string broke a rule (offset and rule inside).
    Uri(crate::uri::UriError),
    /// The server answered a command with `ok: 0`: for authentication
    /// commands usually code 18 (AuthenticationFailed).
    CommandFailed(CommandFailure),
    /// The server broke the handshake protocol (e.g. claimed `done` before
    /// proving itself, changed the conversationId, or never finished).
    Protocol {
        /// The rule that was broken.
        rule: &'static str,
    },
    /// The mechanism exists but this build cannot run its conversation.
    MechanismNotSupported(Mechanism),
    /// A MONGODB-AWS input (server-first payload, STS host, X-Amz-Date) broke
    /// a rule (input, rule and offset inside).
    Aws(crate::mech::aws::AwsError),
    /// The GSS-API library failed (GSSAPI): the operation and status codes;
    /// the library's text is in the client's `LoginError`.
    Gss(crate::mech::gssapi::GssFailure),
    /// A step was called in a state that does not accept it.
    UnexpectedStep {
        /// What the state machine was waiting for.
        expected: &'static str,
    },
}

impl From<WireError> for Error {
    fn from(e: WireError) -> Self {
        Error::Wire(e)
    }
}

impl From<crate::uri::UriError> for Error {
    fn from(e: crate::uri::UriError) -> Self {
        Error::Uri(e)
    }
}

impl From<crate::codec::bson::BsonError> for Error {
    fn from(e: crate::codec::bson::BsonError) -> Self {
        Error::Wire(e.into())
    }
}

/// What a server said when a command failed (`ok: 0`). Not secret. The
/// free-text `errmsg` is not kept: it would double the size of every
/// `Result` in the crate (and of the stack on firmware), and the code and
/// `codeName` identify the failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandFailure {
    /// The numeric code (18 = AuthenticationFailed), when present.
    pub code: Option<i32>,
    /// `codeName`, when present and at most [`MAX_SERVER_ERROR_LEN`] bytes.
    pub code_name: Option<ServerErrorText>,
}

impl CommandFailure {
    /// Copy a server's error reply.
    pub fn from_reply(e: &crate::codec::wire::CommandError<'_>) -> Self {
        CommandFailure { code: e.code, code_name: e.code_name.and_then(ServerErrorText::new) }
    }
    /// Whether this is AuthenticationFailed (18).
    pub fn is_authentication_failed(&self) -> bool {
        self.code == Some(18)
    }
}

impl From<SaslprepError> for Error {
    fn from(e: SaslprepError) -> Self {
        Error::Saslprep(e)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { message, rule, offset } => {
                write!(f, "malformed {message}: {rule} at byte {offset}")
            }
            Self::NonceMismatch => {
                f.write_str("server nonce does not strictly extend the client nonce")
            }
            Self::IterationCountTooLow { iterations } => {
                write!(f, "server iteration count {iterations} is below the minimum of 4096")
            }
            Self::IterationCountTooHigh { iterations, max } => write!(
                f,
                "server iteration count {iterations} exceeds the configured maximum of {max}"
            ),
            Self::ServerSignatureMismatch => {
                f.write_str("server signature did not verify (server does not know the password)")
            }
            Self::ServerError(text) => write!(f, "server reported SCRAM error: {text}"),
            Self::MandatoryExtension => {
                f.write_str("server-first-message requires an unsupported mandatory extension (m=)")
            }
            Self::AuthenticationFailed => f.write_str("authentication failed"),
            Self::ChannelBindingNotSupported => {
                f.write_str("client requested channel binding, which is not supported")
            }
            Self::Capacity { what, limit } => {
                write!(f, "{what} exceeds the fixed limit of {limit} bytes")
            }
            Self::BufferTooSmall(b) => write!(f, "{b}"),
            Self::InvalidNonce { rule } => write!(f, "invalid nonce: {rule}"),
            Self::InvalidCredential { rule } => write!(f, "invalid credential: {rule}"),
            Self::Saslprep(e) => write!(f, "password: {e}"),
            Self::KeysDoNotMatchServer => f.write_str(
                "provisioned SCRAM keys were derived for a different salt or iteration count",
            ),
            Self::Wire(e) => write!(f, "{e}"),
            Self::Uri(e) => write!(f, "{e}"),
            Self::CommandFailed(c) => {
                match c.code {
                    Some(code) => write!(f, "server error {code}")?,
                    None => f.write_str("server error")?,
                }
                if let Some(n) = &c.code_name {
                    write!(f, " ({n})")?;
                }
                Ok(())
            }
            Self::Protocol { rule } => write!(f, "server broke the auth protocol: {rule}"),
            Self::MechanismNotSupported(m) => {
                write!(f, "{m} conversations are not supported by this build")
            }
            Self::Aws(e) => write!(f, "{e}"),
            Self::Gss(e) => write!(f, "{e}"),
            Self::UnexpectedStep { expected } => {
                write!(f, "unexpected call: the conversation is waiting for {expected}")
            }
        }
    }
}

impl Error {
    /// The kind of failure: [`ErrorKind::AuthenticationFailed`] for a
    /// server's code 18 as much as for our own server's refusal.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::AuthenticationFailed => ErrorKind::AuthenticationFailed,
            Self::CommandFailed(c) if c.is_authentication_failed() => {
                ErrorKind::AuthenticationFailed
            }
            Self::CommandFailed(_) => ErrorKind::CommandFailed,
            Self::Capacity { .. }
            | Self::BufferTooSmall(_)
            | Self::InvalidNonce { .. }
            | Self::InvalidCredential { .. }
            | Self::Saslprep(_)
            | Self::KeysDoNotMatchServer
            | Self::UnexpectedStep { .. }
            | Self::ChannelBindingNotSupported => ErrorKind::Caller,
            Self::Uri(_) => ErrorKind::Uri,
            Self::MechanismNotSupported(_) => ErrorKind::Unsupported,
            Self::Wire(crate::codec::wire::WireError::BufferTooSmall(_)) => ErrorKind::Caller,
            _ => ErrorKind::Peer,
        }
    }

    /// Whether this is the authentication-failed kind (wrong credentials).
    pub fn is_authentication_failed(&self) -> bool {
        self.kind() == ErrorKind::AuthenticationFailed
    }

    /// The size a too-small output buffer needed, from whichever layer said so.
    pub fn buffer_too_small(&self) -> Option<BufferTooSmall> {
        match self {
            Self::BufferTooSmall(b)
            | Self::Wire(crate::codec::wire::WireError::BufferTooSmall(b)) => Some(*b),
            Self::Uri(u) => match u.kind {
                crate::uri::UriErrorKind::BufferTooSmall(b) => Some(b),
                _ => None,
            },
            Self::Saslprep(crate::saslprep::SaslprepError::BufferTooSmall(b)) => Some(*b),
            _ => None,
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Saslprep(e) => Some(e),
            Self::Wire(e) => Some(e),
            Self::Uri(e) => Some(e),
            Self::Aws(e) => Some(e),
            _ => None,
        }
    }
}
