//! The connection-string error type: a rule (the kind) plus the byte offset in
//! the input where it broke. Kinds carry only static text, option names and
//! numbers, never a piece of the input, so an error can be logged without
//! leaking a password.

use core::fmt;

use super::credential::{CredentialRule, Mechanism};
use super::options::OptionKey;

/// Why a connection string (or a TXT record, or the parts handed to the
/// encoder) was rejected. `#[non_exhaustive]`: new rules may be added.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UriErrorKind {
    // ---- structure -----------------------------------------------------------
    /// The input is not UTF-8, or percent-decoding produced bytes that are not
    /// UTF-8.
    InvalidUtf8,
    /// The scheme is neither `mongodb://` nor `mongodb+srv://`.
    InvalidScheme,
    /// A `%` is not followed by two hexadecimal digits.
    InvalidPercentEscape,
    /// The userinfo holds a second `@`: an `@` in a username or password must
    /// be written `%40`.
    UnescapedAtSign,
    /// The userinfo holds a second `:`: a `:` in a password must be written `%3A`.
    UnescapedColon,
    /// An `@` follows the first `/`: a `/` in a username or password must be
    /// written `%2F`.
    UnescapedSlash,
    /// The userinfo holds a character outside the RFC 3986 userinfo set
    /// (unreserved, sub-delims, `:` and `%XX`).
    UnescapedCharacter,
    /// No host, or an empty entry in the host list.
    EmptyHost,
    /// A `/` right after the scheme: a Unix socket path must be percent-encoded.
    UnescapedSocketPath,
    /// A hostname holds a character hosts cannot contain (space, control, `@`,
    /// brackets, backslash).
    InvalidHost,
    /// A bracketed IP literal is malformed (`[` without `]`, bad characters,
    /// or junk after `]`).
    InvalidIpLiteral,
    /// A decoded host contains `/` (so it is a Unix socket path) but does not
    /// end in `.sock`.
    InvalidSocketPath,
    /// A port holds something other than decimal digits.
    PortNotNumeric {
        /// No `@` was seen, so a password with an unescaped `/`, `?` or `#`
        /// may have been cut short and read as a port.
        maybe_password: bool,
    },
    /// A port is empty, zero, or above 65535.
    PortOutOfRange,
    /// The database name contains `/`, `\`, space, `"`, `$` or NUL after decoding.
    InvalidDatabaseName,
    /// An option has no `=`.
    OptionWithoutValue,

    // ---- options -------------------------------------------------------------
    /// An option value that is an error rather than a warning (for example an
    /// empty `authSource` or an invalid `srvServiceName`).
    InvalidOptionValue {
        /// The option.
        key: OptionKey,
    },
    /// `authMechanism` names no known mechanism.
    UnknownMechanism,
    /// `authMechanism=MONGODB-CR`: removed from MongoDB 4.0 and the spec.
    UnsupportedMechanism,
    /// Two options that must not appear together (insecure TLS options, `tls`
    /// and `ssl` with different values, ...).
    OptionConflict {
        /// The option met first.
        first: OptionKey,
        /// The option met second.
        second: OptionKey,
    },
    /// An option that must not be repeated was repeated.
    RepeatedOption {
        /// The option.
        key: OptionKey,
    },
    /// An option needs another one that is absent.
    OptionRequires {
        /// The option given.
        key: OptionKey,
        /// The option it needs.
        requires: OptionKey,
    },
    /// An option is only allowed with `mongodb+srv://`.
    OptionRequiresSrv {
        /// The option.
        key: OptionKey,
    },
    /// An option combined with the host list breaks a rule (for example
    /// `directConnection=true` with several hosts).
    OptionRule {
        /// The option.
        key: OptionKey,
        /// The rule it broke.
        rule: &'static str,
    },
    /// `mongodb+srv://` needs exactly one host name, without a port.
    SrvHost {
        /// The rule it broke.
        rule: &'static str,
    },
    /// A TXT record holds an option other than `authSource`, `replicaSet`
    /// and `loadBalanced`, or is otherwise malformed.
    TxtRecord {
        /// The rule it broke.
        rule: &'static str,
    },

    // ---- credentials ---------------------------------------------------------
    /// The credential breaks a rule of its mechanism (auth spec).
    Credential {
        /// The mechanism, `None` for the negotiated default.
        mechanism: Option<Mechanism>,
        /// The rule that failed.
        rule: CredentialRule,
    },

    // ---- caller ----------------------------------------------------------------
    /// A fixed-capacity limit was exceeded; nothing was truncated.
    LimitExceeded {
        /// What overflowed.
        what: &'static str,
        /// The limit (a `pub const` of this module).
        limit: usize,
    },
    /// The output buffer is too small; `required` bytes are needed.
    BufferTooSmall(crate::BufferTooSmall),
    /// The encoder was given parts that cannot form a valid URI.
    InvalidPart {
        /// The rule it broke.
        rule: &'static str,
    },
    /// The `core::fmt::Write` sink failed.
    WriteFailed,
}

/// A rejected connection string: the rule that failed and, when it came from
/// the input, the byte offset where it failed. Never holds any input text.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UriError {
    /// The rule that failed.
    pub kind: UriErrorKind,
    /// Byte offset in the input (the URI or TXT record), when there is one.
    pub offset: Option<usize>,
}

impl UriError {
    pub(crate) const fn at(kind: UriErrorKind, offset: usize) -> Self {
        UriError { kind, offset: Some(offset) }
    }
    pub(crate) const fn new(kind: UriErrorKind) -> Self {
        UriError { kind, offset: None }
    }
    /// The rule that failed.
    pub const fn kind(&self) -> UriErrorKind {
        self.kind
    }
    /// Byte offset in the input, when the error came from the input.
    pub const fn offset(&self) -> Option<usize> {
        self.offset
    }
}

const ENCODE_HINT: &str = "; percent-encode the username and password (RFC 3986), \
or build it with the library's connection-string builder";

impl fmt::Display for UriErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use UriErrorKind as K;
        match self {
            K::InvalidUtf8 => f.write_str("text is not valid UTF-8 (after percent-decoding)"),
            K::InvalidScheme => f.write_str("scheme must be `mongodb://` or `mongodb+srv://`"),
            K::InvalidPercentEscape => {
                f.write_str("`%` not followed by two hex digits (write a literal `%` as `%25`)")
            }
            K::UnescapedAtSign => write!(f, "unescaped `@` in userinfo (write `%40`){ENCODE_HINT}"),
            K::UnescapedColon => {
                write!(f, "second unescaped `:` in userinfo (write `%3A`){ENCODE_HINT}")
            }
            K::UnescapedSlash => write!(
                f,
                "`@` after the first `/`: a `/` in the username or password must be written `%2F`{ENCODE_HINT}"
            ),
            K::UnescapedCharacter => {
                write!(f, "character not allowed unescaped in userinfo{ENCODE_HINT}")
            }
            K::EmptyHost => f.write_str("empty host"),
            K::UnescapedSocketPath => {
                f.write_str("`/` where a host should be: percent-encode Unix socket paths (`%2Ftmp%2Fmongodb-27017.sock`)")
            }
            K::InvalidHost => f.write_str("host contains a character hosts cannot contain"),
            K::InvalidIpLiteral => f.write_str("malformed bracketed IP literal"),
            K::InvalidSocketPath => f.write_str("a host containing `/` is a Unix socket path and must end in `.sock`"),
            K::PortNotNumeric { maybe_password: true } => write!(
                f,
                "port is not a number; if a password comes before it, the password holds an unescaped `/`, `?` or `#`{ENCODE_HINT}"
            ),
            K::PortNotNumeric { maybe_password: false } => f.write_str("port is not a number"),
            K::PortOutOfRange => f.write_str("port must be an integer from 1 to 65535"),
            K::InvalidDatabaseName => f.write_str(
                "database name must not contain `/`, `\\`, space, `\"`, `$` or NUL",
            ),
            K::OptionWithoutValue => f.write_str("option has no `=`"),
            K::InvalidOptionValue { key } => write!(f, "invalid value for `{key}`"),
            K::UnknownMechanism => f.write_str(
                "unknown authMechanism (valid: SCRAM-SHA-1, SCRAM-SHA-256, PLAIN, GSSAPI, MONGODB-X509, MONGODB-AWS, MONGODB-OIDC)",
            ),
            K::UnsupportedMechanism => f.write_str(
                "authMechanism MONGODB-CR was removed in MongoDB 4.0; use SCRAM-SHA-256 or SCRAM-SHA-1",
            ),
            K::OptionConflict { first, second } => {
                write!(f, "`{first}` and `{second}` must not both be given (or must agree)")
            }
            K::RepeatedOption { key } => write!(f, "`{key}` must not be repeated"),
            K::OptionRequires { key, requires } => write!(f, "`{key}` requires `{requires}`"),
            K::OptionRequiresSrv { key } => write!(f, "`{key}` is only allowed with mongodb+srv://"),
            K::OptionRule { key, rule } => write!(f, "`{key}`: {rule}"),
            K::SrvHost { rule } => write!(f, "mongodb+srv: {rule}"),
            K::TxtRecord { rule } => write!(f, "SRV TXT record: {rule}"),
            K::Credential { mechanism: Some(m), rule } => write!(f, "{m} credential: {rule}"),
            K::Credential { mechanism: None, rule } => {
                write!(f, "credential (default mechanism): {rule}")
            }
            K::LimitExceeded { what, limit } => {
                write!(f, "more than {limit} {what} (fixed limit)")
            }
            K::BufferTooSmall(crate::BufferTooSmall { required }) => {
                write!(f, "output buffer too small: {required} bytes needed")
            }
            K::InvalidPart { rule } => write!(f, "cannot encode URI: {rule}"),
            K::WriteFailed => f.write_str("the output writer failed"),
        }
    }
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid connection string: {}", self.kind)?;
        if let Some(offset) = self.offset {
            write!(f, " (at byte {offset})")?;
        }
        Ok(())
    }
}

impl core::error::Error for UriError {}
