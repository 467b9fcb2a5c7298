//! SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) as MongoDB uses them.
pub use crate::crypto::Sha256;
#[cfg(feature = "sha1")]
pub use crate::crypto::Sha1;
