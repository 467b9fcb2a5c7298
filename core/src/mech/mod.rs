//! The authentication mechanisms MongoDB registers, and the rules that
//! depend only on the mechanism: where its credentials live, whether it may
//! be tried speculatively inside `hello`, and how a default is negotiated.

use core::fmt;

pub mod aws;
#[cfg(feature = "mongodb-cr")]
pub mod cr;
pub mod gssapi;
#[cfg(feature = "gssapi-system")]
#[cfg_attr(docsrs, doc(cfg(feature = "gssapi-system")))]
pub mod gssapi_system;
pub mod oidc;
pub mod scram;

/// An authentication mechanism (the `authMechanism` names).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// SCRAM-SHA-1 (RFC 5802, with MongoDB's MD5 password digest).
    ScramSha1,
    /// SCRAM-SHA-256 (RFC 7677).
    ScramSha256,
    /// SASL PLAIN (LDAP proxy authentication).
    Plain,
    /// Kerberos.
    Gssapi,
    /// TLS client certificate.
    MongodbX509,
    /// AWS IAM.
    MongodbAws,
    /// OpenID Connect.
    MongodbOidc,
    /// MONGODB-CR (legacy, removed from MongoDB 4.0; feature `mongodb-cr`).
    /// Not in [`Mechanism::ALL`], which lists the spec's mechanisms.
    #[cfg(feature = "mongodb-cr")]
    MongodbCr,
}

impl Mechanism {
    /// Every mechanism, in the order the auth spec lists them.
    pub const ALL: [Mechanism; 7] = [
        Self::ScramSha1,
        Self::ScramSha256,
        Self::Plain,
        Self::Gssapi,
        Self::MongodbX509,
        Self::MongodbAws,
        Self::MongodbOidc,
    ];

    /// The registered name (matched exactly, case-sensitively).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::Plain => "PLAIN",
            Self::Gssapi => "GSSAPI",
            Self::MongodbX509 => "MONGODB-X509",
            Self::MongodbAws => "MONGODB-AWS",
            Self::MongodbOidc => "MONGODB-OIDC",
            #[cfg(feature = "mongodb-cr")]
            Self::MongodbCr => cr::MECHANISM,
        }
    }

    /// Look a registered name up (exact match; `MONGODB-CR` only with the
    /// `mongodb-cr` feature).
    pub fn from_name(name: &str) -> Option<Mechanism> {
        #[cfg(feature = "mongodb-cr")]
        if name == cr::MECHANISM {
            return Some(Self::MongodbCr);
        }
        Self::ALL.iter().copied().find(|m| m.as_str() == name)
    }

    /// `true` for mechanisms whose credentials live outside MongoDB, which
    /// always authenticate against `$external`.
    pub const fn is_external(self) -> bool {
        matches!(self, Self::Gssapi | Self::MongodbX509 | Self::MongodbAws | Self::MongodbOidc)
    }

    /// Whether the first step may ride in `hello` as `speculativeAuthenticate`
    /// (SCRAM and X509; OIDC only with a cached token; never PLAIN, GSSAPI or AWS).
    pub const fn may_speculate(self) -> bool {
        matches!(self, Self::ScramSha1 | Self::ScramSha256 | Self::MongodbX509)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The mechanism to use when none was configured: SCRAM-SHA-256 if the
/// server's `saslSupportedMechs` lists it, otherwise SCRAM-SHA-1 (also when
/// the list is absent). Unknown names in the list are ignored, never errors.
pub fn negotiate<'a>(supported: impl IntoIterator<Item = &'a str>) -> Mechanism {
    if supported.into_iter().any(|m| m == "SCRAM-SHA-256") {
        Mechanism::ScramSha256
    } else {
        Mechanism::ScramSha1
    }
}
