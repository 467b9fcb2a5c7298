//! MongoDB connection strings: a borrowed, allocation-free view over
//! `mongodb://` and `mongodb+srv://` URIs, the credential they describe, and
//! an encoder that builds them.
//!
//! Three layers, used in order:
//!
//! 1. [`ConnectionString::parse`] checks the syntax (connection-string and
//!    URI-options specs): scheme, userinfo, hosts, database and typed
//!    options. Problems the spec calls warnings go to a [`WarningSink`] you
//!    supply; errors carry the rule and the byte offset ([`UriError`]).
//! 2. [`Credential::from_uri`] applies the auth spec: `authSource` defaults,
//!    `$external` mechanisms, and each mechanism's rules. The layers are
//!    separate because the connection-string suite accepts URIs (a username
//!    without a password, say) that the auth rules reject.
//! 3. Strings stay percent-encoded views ([`PctStr`], [`Secret`]) until you
//!    decode them, exactly once, into your own buffer. A decoded password is a
//!    [`Password`] that zeroes your buffer when dropped.
//!
//! For `mongodb+srv`, [`ConnectionString::srv_query_name`] gives the SRV
//! name to look up and [`TxtOptions`] validates the TXT record; with the
//! `srv` feature, `SrvResolver` does the DNS part too. To go the
//! other way, [`UriBuilder`] writes a correctly escaped URI.
//!
//! Rules the specs leave open, and what this module does:
//! - An unknown `authMechanism` is an error when parsing (as are the other
//!   auth options); `MONGODB-CR` gets its own error.
//! - `authMechanismProperties` (or `gssapiServiceName`) without
//!   `authMechanism` is a credential error.
//! - OIDC with `ENVIRONMENT:gcp` or `k8s` and a username is an error (the
//!   username would have no meaning); `azure` takes it as the client id.
//! - Userinfo characters outside RFC 3986 (including raw non-ASCII) are
//!   errors; the encoder escapes them.
//! - A decoded NUL is allowed by the parser but rejected in a credential.
//! - Booleans are `true`/`false` in any ASCII case; legacy forms (`1`,
//!   `yes`, ...) are warnings and are ignored.
//! - `srvServiceName` that is not an RFC 6335 name is an error (ignoring it
//!   would query the wrong name).
//! - For repeated options the last valid value is used, with a warning.
//! - Empty `&&` pairs in the query are skipped.
//!
//! ```
//! use mongoauth::uri::{ConnectionString, Credential, Mechanism, Warnings};
//!
//! let mut warnings = Warnings::<4>::new();
//! let uri = ConnectionString::parse(
//!     "mongodb://alice:p%40ss@db1.example.com:27017,db2.example.com/shop?authMechanism=SCRAM-SHA-256",
//!     &mut warnings,
//! )?;
//! assert!(warnings.is_empty());
//! assert_eq!(uri.hosts().count(), 2);
//!
//! let cred = Credential::from_uri(&uri)?.expect("the URI has a credential");
//! assert_eq!(cred.mechanism(), Some(Mechanism::ScramSha256));
//! assert_eq!(cred.source(), "shop");
//!
//! let (mut user_buf, mut pass_buf) = ([0u8; 64], [0u8; 64]);
//! assert_eq!(cred.decode_username(&mut user_buf)?, Some("alice"));
//! let password = cred.decode_password(&mut pass_buf)?.expect("a password");
//! assert_eq!(password.as_str(), "p@ss"); // zeroed in pass_buf when dropped
//! # Ok::<(), mongoauth::uri::UriError>(())
//! ```

use core::fmt;

mod credential;
mod encode;
mod error;
mod host;
mod options;
mod pct;
#[cfg(feature = "srv")]
mod resolve;
mod srv;
mod warning;

pub use credential::{
    CanonicalizeHostName, Credential, CredentialContext, CredentialRule, GssapiProperties,
    Mechanism, MechanismProperties, OidcEnvironment, OidcProperties,
};
pub use encode::{HostSpec, UriBuilder};
pub use error::{UriError, UriErrorKind};
pub use host::{Host, HostKind, Hosts};
pub use options::{
    KeyValueList, MAX_APP_NAME_LEN, MAX_MECHANISM_PROPERTIES, MAX_TAG_SETS, OPTION_COUNT,
    OptionKey, OptionValue, Options, RawOption, RawOptions, ReadPreferenceMode,
    ServerMonitoringMode, StrList, WriteConcernW,
};
pub use pct::{DecodedBytes, Password, PctStr, Secret};
#[cfg(feature = "srv")]
pub use resolve::{
    MAX_SRV_TARGETS, MAX_TXT_LEN, ResolvedSrv, SRV_TIMEOUT, SrvError, SrvHost, SrvResolver,
};
pub use srv::{MAX_DNS_NAME_LEN, SrvQueryName, TxtOptions};
pub use warning::{Warning, WarningKind, WarningSink, Warnings};

/// The two URI schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    /// `mongodb://`: a seed list.
    Mongodb,
    /// `mongodb+srv://`: one host name resolved through DNS SRV and TXT records.
    MongodbSrv,
}

/// A parsed connection string: a view over the input with typed options.
/// Hosts and raw options are re-read lazily from the input, so nothing but the
/// option table is stored. `Debug` redacts the password.
#[derive(Clone)]
pub struct ConnectionString<'a> {
    scheme: Scheme,
    username: Option<PctStr<'a>>,
    password: Option<Secret<'a>>,
    hosts: &'a str,
    hosts_offset: usize,
    host_count: usize,
    database: Option<PctStr<'a>>,
    query: &'a str,
    query_offset: usize,
    options: Options<'a>,
}

const SCHEME_PLAIN: &str = "mongodb://";
const SCHEME_SRV: &str = "mongodb+srv://";

/// RFC 3986 userinfo characters allowed unescaped (besides `%XX` and `:`).
fn userinfo_byte_ok(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
        )
}

impl<'a> ConnectionString<'a> {
    /// Parse `uri`, sending warnings to `warnings` (pass `&mut ()` to drop
    /// them, or a [`Warnings`] list, or a closure).
    ///
    /// # Errors
    /// A [`UriError`] naming the rule and the byte offset.
    pub fn parse<S: WarningSink<'a>>(uri: &'a str, warnings: &mut S) -> Result<Self, UriError> {
        let bytes = uri.as_bytes();
        // Case-sensitive, as the spec, pymongo and libmongoc read it:
        // `MONGODB://` is refused.
        let (scheme, start) = if bytes.starts_with(SCHEME_PLAIN.as_bytes()) {
            (Scheme::Mongodb, SCHEME_PLAIN.len())
        } else if bytes.starts_with(SCHEME_SRV.as_bytes()) {
            (Scheme::MongodbSrv, SCHEME_SRV.len())
        } else {
            return Err(UriError::at(UriErrorKind::InvalidScheme, 0));
        };
        let rest = uri.get(start..).unwrap_or_default();
        // The authority ends at the first `/` or `?`.
        let auth_len = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = rest.get(..auth_len).unwrap_or_default();
        let after = rest.get(auth_len..).unwrap_or_default();
        let after_offset = start + auth_len;
        let (path, query, query_offset) = match after.find('?') {
            Some(q) => (
                after.get(..q).unwrap_or_default(),
                after.get(q + 1..).unwrap_or_default(),
                after_offset + q + 1,
            ),
            None => (after, "", uri.len()),
        };
        if let Some(at) = path.find('@') {
            // `alice/@host` or `user:pa/ss@host`: the `/` was meant to be in the userinfo.
            return Err(UriError::at(UriErrorKind::UnescapedSlash, after_offset + at));
        }

        // Userinfo: split the authority on its last `@`.
        let (username, password, hosts, hosts_offset) = match authority.rfind('@') {
            Some(at) => {
                let info = authority.get(..at).unwrap_or_default();
                let (u, p) = parse_userinfo(info, start)?;
                (Some(u), p, authority.get(at + 1..).unwrap_or_default(), start + at + 1)
            }
            None => (None, None, authority, start),
        };

        // Hosts.
        if hosts.is_empty() {
            let kind = if after.starts_with('/') && username.is_none() {
                UriErrorKind::UnescapedSocketPath
            } else {
                UriErrorKind::EmptyHost
            };
            return Err(UriError::at(kind, hosts_offset));
        }
        let mut host_count = 0usize;
        let mut offset = hosts_offset;
        let mut first = None;
        for entry in hosts.split(',') {
            let h = host::parse_host(entry, offset, username.is_none())?;
            first.get_or_insert(h);
            host_count += 1;
            offset += entry.len() + 1;
        }
        if scheme == Scheme::MongodbSrv {
            let rule = if host_count != 1 {
                Some("exactly one host is required")
            } else if first.is_some_and(|h| h.port.is_some()) {
                Some("a port is not allowed")
            } else if first.is_some_and(|h| h.kind != HostKind::Hostname) {
                Some("the host must be a DNS name")
            } else {
                None
            };
            if let Some(rule) = rule {
                return Err(UriError::at(UriErrorKind::SrvHost { rule }, hosts_offset));
            }
        }

        // Database.
        let db_raw = path.strip_prefix('/').unwrap_or_default();
        let database = if db_raw.is_empty() {
            None
        } else {
            let db_offset = after_offset + 1;
            let db = PctStr::new(db_raw, db_offset)?;
            if db.bytes().any(|b| matches!(b, b'/' | b'\\' | b' ' | b'"' | b'$' | 0)) {
                return Err(UriError::at(UriErrorKind::InvalidDatabaseName, db_offset));
            }
            Some(db)
        };

        let ctx = options::Context { srv: scheme == Scheme::MongodbSrv, host_count };
        let options = options::parse_query(query, query_offset, ctx, warnings)?;
        Ok(ConnectionString {
            scheme,
            username,
            password,
            hosts,
            hosts_offset,
            host_count,
            database,
            query,
            query_offset,
            options,
        })
    }

    /// [`ConnectionString::parse`] over bytes that may not be UTF-8.
    ///
    /// # Errors
    /// [`UriErrorKind::InvalidUtf8`] at the first bad byte, or as `parse`.
    pub fn parse_bytes<S: WarningSink<'a>>(
        uri: &'a [u8],
        warnings: &mut S,
    ) -> Result<Self, UriError> {
        match core::str::from_utf8(uri) {
            Ok(s) => Self::parse(s, warnings),
            Err(e) => Err(UriError::at(UriErrorKind::InvalidUtf8, e.valid_up_to())),
        }
    }

    /// `mongodb://` or `mongodb+srv://`.
    pub const fn scheme(&self) -> Scheme {
        self.scheme
    }
    /// The hosts, in order (for SRV, the one name to resolve).
    pub fn hosts(&self) -> Hosts<'a> {
        Hosts::new(self.hosts, self.hosts_offset)
    }
    /// How many hosts the URI lists.
    pub const fn host_count(&self) -> usize {
        self.host_count
    }
    /// `true` if the URI has a userinfo part (an `@`), which asks for
    /// authentication even when empty.
    pub const fn has_userinfo(&self) -> bool {
        self.username.is_some()
    }
    /// The username, still encoded (may be empty: `mongodb://@host`).
    pub const fn username(&self) -> Option<PctStr<'a>> {
        self.username
    }
    /// The password, still encoded; `None` when there is no `:`.
    pub const fn password(&self) -> Option<Secret<'a>> {
        self.password
    }
    pub(crate) fn userinfo_parts(&self) -> Option<(PctStr<'a>, Option<Secret<'a>>)> {
        self.username.map(|u| (u, self.password))
    }
    /// The database after the hosts, still encoded.
    pub const fn database(&self) -> Option<PctStr<'a>> {
        self.database
    }
    /// The typed options.
    pub const fn options(&self) -> &Options<'a> {
        &self.options
    }
    /// The query's `key=value` pairs as written, in order (including
    /// unknown and ignored ones).
    pub fn raw_options(&self) -> RawOptions<'a> {
        RawOptions::new(self.query, self.query_offset)
    }
    /// For `mongodb+srv`, the name to query: `_<srvServiceName>._tcp.<host>`.
    pub fn srv_query_name(&self) -> Option<SrvQueryName<'a>> {
        if self.scheme != Scheme::MongodbSrv {
            return None;
        }
        let host = self.hosts().next()?.host;
        let service = self.options.srv_service_name().unwrap_or(PctStr::literal("mongodb"));
        Some(SrvQueryName::new(service, host))
    }
    /// The credential this URI describes; see [`Credential::from_uri`].
    ///
    /// # Errors
    /// As [`Credential::from_uri`].
    pub fn credential(&self) -> Result<Option<Credential<'a>>, UriError> {
        Credential::from_uri(self)
    }
}

impl fmt::Debug for ConnectionString<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct HostList<'h>(Hosts<'h>);
        impl fmt::Debug for HostList<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.0.clone()).finish()
            }
        }
        f.debug_struct("ConnectionString")
            .field("scheme", &self.scheme)
            .field("username", &self.username)
            .field("password", &self.password)
            .field("hosts", &HostList(self.hosts()))
            .field("database", &self.database)
            .field("options", &self.options)
            .finish()
    }
}

/// Check the userinfo (`info` starts at `offset`) and split it at the first `:`.
fn parse_userinfo(info: &str, offset: usize) -> Result<(PctStr<'_>, Option<Secret<'_>>), UriError> {
    let bytes = info.as_bytes();
    let mut colon = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'@' => return Err(UriError::at(UriErrorKind::UnescapedAtSign, offset + i)),
            b':' if colon.is_some() => {
                return Err(UriError::at(UriErrorKind::UnescapedColon, offset + i));
            }
            b':' => colon = Some(i),
            b'%' => {}
            b if userinfo_byte_ok(b) => {}
            _ => return Err(UriError::at(UriErrorKind::UnescapedCharacter, offset + i)),
        }
    }
    match colon {
        Some(c) => {
            let user = PctStr::new(info.get(..c).unwrap_or_default(), offset)?;
            let pass = PctStr::new(info.get(c + 1..).unwrap_or_default(), offset + c + 1)?;
            Ok((user, Some(Secret::new(pass))))
        }
        None => Ok((PctStr::new(info, offset)?, None)),
    }
}
