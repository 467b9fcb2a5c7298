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
//!
//! # From a connection string to a login
//!
//! With `std`, a URI to an authenticated `TcpStream` ([`io::connect`]; here
//! against an in-process server on a loopback thread):
//!
//! ```
//! # #[cfg(feature = "std")] fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # use mongoauth::{io, server::{ServerSession, StaticUsers}};
//! # let users = StaticUsers::<1>::new().with_scram_user("admin", "alice", "pencil", &[1; 28])?;
//! # let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! # let port = listener.local_addr()?.port();
//! # std::thread::spawn(move || {
//! #     let (conn, _) = listener.accept().unwrap();
//! #     let mut session = ServerSession::new(&users, [9; 32]);
//! #     let (mut inbuf, mut outbuf) = ([0u8; 4096], [0u8; 4096]);
//! #     let mut entropy = |b: &mut [u8; 24]| mongoauth::os::fill_random(b).unwrap();
//! #     let _ = io::serve(&mut io::FromStd::new(conn), &mut session, &mut entropy, &mut inbuf, &mut outbuf);
//! # });
//! let uri = format!("mongodb://alice:pencil@127.0.0.1:{port}/?authSource=admin");
//! let (stream, outcome) = mongoauth::io::connect(&uri)?;
//! assert!(outcome.is_authenticated()); // an arbiter would not be
//! # drop(stream);
//! # Ok(()) }
//! # #[cfg(not(feature = "std"))] fn main() {}
//! ```
//!
//! Without an allocator: the same credential, the [`client::Authenticator`]'s
//! one [`client::Step`] loop, and your transport (here an in-process server):
//!
//! ```
//! use mongoauth::client::{AuthConfig, Authenticator, Step};
//! use mongoauth::{codec::wire, uri::ConnectionString};
//! # use mongoauth::server::{ServerSession, StaticUsers};
//! # let users = StaticUsers::<1>::new().with_scram_user("admin", "alice", "pencil", &[1; 28])?;
//! # let mut server = ServerSession::new(&users, [9; 32]);
//! # let entropy = [7u8; 48]; // from your CSPRNG
//!
//! let uri = ConnectionString::parse("mongodb://alice:pencil@db.local/?authSource=admin", &mut ())?;
//! let cred = uri.credential()?.expect("the URI has a credential").to_owned()?;
//! let mut auth = Authenticator::new(cred, AuthConfig::default(), &entropy)?;
//! let (mut req, mut rep) = ([0u8; 1024], [0u8; 1024]);
//! let outcome = loop {
//!     let n = match auth.step() {
//!         Step::Send(cmd) => wire::encode_document(&cmd, &mut req)?,
//!         Step::Done(outcome) => break outcome,
//!         Step::Need(need) => unreachable!("SCRAM needs nothing: {need:?}"),
//!     };
//!     let m = server.handle(&req[..n], &[3; 24], &mut rep)?; // send, receive
//!     auth.handle_reply(&rep[..m])?;
//! };
//! assert!(outcome.is_authenticated());
//! # Ok::<(), mongoauth::Error>(())
//! ```
#![no_std]
#![deny(unsafe_code)]
#![deny(unused_must_use)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
// House rule: no blind indexing in the library (tests may index).
#![cfg_attr(not(test), deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::expect_used))]
#![warn(missing_docs)]
// docs.rs (nightly, `--cfg docsrs`): every feature-gated item gets an
// "Available on crate feature ..." badge from its own `#[cfg]` (doc_cfg's
// automatic mode).
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

// The crate README's example (crates.io shows it) is compiled and run too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use error::{
    BoundedText, BufferTooSmall, CommandFailure, Error, ErrorKind, Escaped, MAX_CODE_NAME_LEN,
    MAX_ERRMSG_LEN, MAX_SERVER_ERROR_LEN, ServerErrorText,
};
