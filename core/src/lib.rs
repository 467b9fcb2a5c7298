//! # mongoauth
//!
//! The MongoDB authentication core: SCRAM-SHA-1 and SCRAM-SHA-256 (client and
//! server), SASLprep, connection-string credentials, and the wire documents a
//! driver needs to log in, for C drivers, firmware and language bindings that
//! should not write SCRAM again.
//!
//! The crate is `#![no_std]` and, in its default build, never allocates: every
//! protocol step is a pure state machine that reads the caller's bytes and
//! keeps its own state in fixed-capacity buffers whose limits are named
//! constants. Randomness comes from the caller ([`crate::mech::scram::Nonce`]), as do
//! sockets and time. The `alloc` and `std` features add conveniences only.
//!
//! ```
//! use mongoauth::mech::scram::{self, Nonce, Sha256};
//!
//! // The caller supplies entropy (here fixed, for a reproducible example).
//! let nonce = Nonce::from_random(&[7u8; 24])?;
//! let client = scram::Client::<Sha256>::start("user", "pencil", &nonce, &scram::ClientConfig::default())?;
//! assert!(client.message().starts_with(b"n,,n=user,r="));
//! # Ok::<(), mongoauth::Error>(())
//! ```
#![no_std]
#![deny(unsafe_code)]
#![deny(unused_must_use)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
// House rule: no blind indexing in the library (tests may index).
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used))]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "alloc")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod client;
pub mod codec;
pub mod crypto;
mod error;
pub mod io;
pub mod mech;
#[cfg(feature = "std")]
pub mod os;
pub mod reader;
pub mod saslprep;
pub mod server;
pub mod uri;

pub use error::Error;
