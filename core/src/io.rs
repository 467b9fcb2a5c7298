//! Handshake drivers over `embedded-io`: the [`Authenticator`] and the
//! [`ServerSession`] are sans-I/O; these loops move their commands and
//! replies over any byte stream (a firmware TCP stack, a TLS session, a
//! `std::net::TcpStream` through `FromStd`, re-exported with `std`). They use only the public
//! API of `auth`, `session` and `wire`, and the caller's one buffer.
//!
//! Blocking: [`authenticate`], [`serve`]. Async (feature `async`):
//! `authenticate_async`.
//!
//! GSSAPI (feature `gssapi`): the loops answer the conversation's GSS needs
//! with the caller's [`GssInitiator`](crate::mech::gssapi::GssInitiator)
//! (`authenticate_with_gss`, `authenticate_async_with_gss`); with feature
//! `gssapi-system` the plain loops and `connect` answer them with the system
//! library (`mech::gssapi_system::SystemInitiator`) by themselves.

use embedded_io::{Read, ReadExactError, Write};

#[cfg(feature = "std")]
use crate::client::LoginError;
use crate::client::{Authenticator, Need, Outcome, Step};
use crate::codec::wire::{self, HEADER_LEN};
use crate::error::Error;
use crate::mech::gssapi::GssAcceptor;
use crate::server::{SESSION_ENTROPY_LEN, ServerSession, UserStore};

#[cfg(feature = "std")]
pub use embedded_io_adapters::std::FromStd;

/// A handshake failed: the stream, the clock, or the protocol.
#[derive(Debug)]
pub enum HandshakeError<E> {
    /// The stream failed.
    Io(E),
    /// The peer closed the stream mid-conversation.
    UnexpectedEof,
    /// The overall deadline passed (e.g. a server dripping one byte at a time).
    Timeout,
    /// Authentication or the wire protocol failed. The error is kept
    /// small (it is returned through every frame on a microcontroller's
    /// stack); the client's [`Authenticator::error`] has the same failure
    /// with its context (mechanism, user, database, command, the server's
    /// code, codeName and errmsg).
    Auth(Error),
}

impl<E> HandshakeError<E> {
    /// Whether the server refused the credentials (code 18).
    pub fn is_authentication_failed(&self) -> bool {
        matches!(self, Self::Auth(e) if e.is_authentication_failed())
    }
}

impl<E> From<Error> for HandshakeError<E> {
    fn from(e: Error) -> Self {
        HandshakeError::Auth(e)
    }
}

impl<E> From<wire::WireError> for HandshakeError<E> {
    fn from(e: wire::WireError) -> Self {
        HandshakeError::Auth(e.into())
    }
}

impl<E> From<ReadExactError<E>> for HandshakeError<E> {
    fn from(e: ReadExactError<E>) -> Self {
        match e {
            ReadExactError::UnexpectedEof => HandshakeError::UnexpectedEof,
            ReadExactError::Other(e) => HandshakeError::Io(e),
        }
    }
}

impl<E: core::fmt::Debug> core::fmt::Display for HandshakeError<E> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Io(e) => write!(f, "I/O error: {e:?}"),
            Self::UnexpectedEof => f.write_str("the peer closed the connection mid-handshake"),
            Self::Timeout => f.write_str("the handshake did not finish before its deadline"),
            Self::Auth(e) => write!(f, "{e}"),
        }
    }
}

impl<E: core::fmt::Debug> core::error::Error for HandshakeError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Auth(e) => Some(e),
            _ => None,
        }
    }
}

/// An overall deadline for a handshake, checked before every read and
/// write, so that a server dripping one byte at a time cannot hold a
/// connection open past it (a per-read timeout, which the transport may
/// also have, does not stop that). With `std`, a `std::time::Instant` is
/// one; on firmware, implement it over your clock.
pub trait Deadline {
    /// Whether the deadline has passed.
    fn expired(&mut self) -> bool;
}

/// No deadline (the transport's own timeouts only).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDeadline;

impl Deadline for NoDeadline {
    fn expired(&mut self) -> bool {
        false
    }
}

#[cfg(feature = "std")]
impl Deadline for std::time::Instant {
    fn expired(&mut self) -> bool {
        std::time::Instant::now() >= *self
    }
}

/// The header slot at the front of the caller's buffer.
fn header_slot(buf: &mut [u8]) -> Result<&mut [u8; HEADER_LEN], Error> {
    buf.get_mut(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(Error::BufferTooSmall(crate::BufferTooSmall { required: wire::MIN_MESSAGE_LEN }))
}

/// The body slot of a `len`-byte frame in the caller's buffer.
fn body_slot(buf: &mut [u8], len: usize) -> Result<&mut [u8], Error> {
    buf.get_mut(HEADER_LEN..len)
        .ok_or(Error::BufferTooSmall(crate::BufferTooSmall { required: len }))
}

/// Fill `buf` from `io`, checking the deadline before every read.
fn read_full<T: Read, D: Deadline>(
    io: &mut T,
    mut buf: &mut [u8],
    deadline: &mut D,
) -> Result<(), HandshakeError<T::Error>> {
    while !buf.is_empty() {
        if deadline.expired() {
            return Err(HandshakeError::Timeout);
        }
        match io.read(buf) {
            Ok(0) => return Err(HandshakeError::UnexpectedEof),
            Ok(n) => buf = buf.get_mut(n..).unwrap_or_default(),
            Err(e) => return Err(HandshakeError::Io(e)),
        }
    }
    Ok(())
}

/// Write all of `buf`, checking the deadline before every write.
fn write_full<T: Write, D: Deadline>(
    io: &mut T,
    mut buf: &[u8],
    deadline: &mut D,
) -> Result<(), HandshakeError<T::Error>> {
    while !buf.is_empty() {
        if deadline.expired() {
            return Err(HandshakeError::Timeout);
        }
        match io.write(buf) {
            Ok(0) => return Err(HandshakeError::UnexpectedEof),
            Ok(n) => buf = buf.get(n..).unwrap_or_default(),
            Err(e) => return Err(HandshakeError::Io(e)),
        }
    }
    io.flush().map_err(HandshakeError::Io)
}

fn read_frame<T: Read>(
    io: &mut T,
    buf: &mut [u8],
    server: bool,
) -> Result<(usize, i32), HandshakeError<T::Error>> {
    let capacity = buf.len();
    let header = header_slot(buf)?;
    io.read_exact(header)?;
    let (len, op) = if server {
        wire::request_frame_len(header, capacity)?
    } else {
        (wire::frame_len_in(header, capacity)?, wire::OP_MSG)
    };
    io.read_exact(body_slot(buf, len)?)?;
    Ok((len, op))
}

/// What the loops do next: frame a command into `buf` (its length), or stop.
enum Next {
    Send(usize),
    Done(Outcome),
}

/// Who answers the conversation's GSS needs (GSSAPI logins) in the loops.
enum Gss<'g> {
    /// Nobody: a GSS need is the caller's ([`NEEDS_INPUT`]).
    #[cfg_attr(feature = "gssapi-system", allow(dead_code))]
    None(core::marker::PhantomData<&'g mut ()>),
    /// The caller's library and scratch buffer for its output tokens.
    #[cfg(feature = "gssapi")]
    Given { initiator: &'g mut dyn crate::mech::gssapi::GssInitiator, scratch: &'g mut [u8] },
    /// The system library, created at the first GSS need, with a scratch
    /// buffer of [`MAX_TOKEN_LEN`](crate::mech::gssapi::MAX_TOKEN_LEN).
    #[cfg(feature = "gssapi-system")]
    System(Option<(crate::mech::gssapi_system::SystemInitiator, std::vec::Vec<u8>)>),
}

impl Gss<'_> {
    /// What the plain loops use: the system library when it is built in.
    fn default_source() -> Self {
        #[cfg(feature = "gssapi-system")]
        return Gss::System(None);
        #[cfg(not(feature = "gssapi-system"))]
        Gss::None(core::marker::PhantomData)
    }

    /// Answer the pending GSS need of `auth`.
    #[cfg_attr(not(feature = "gssapi"), allow(unused_variables))]
    fn answer<const P: usize>(&mut self, auth: &mut Authenticator<'_, P>) -> Result<(), Error> {
        match self {
            Gss::None(_) => Err(NEEDS_INPUT),
            #[cfg(feature = "gssapi")]
            Gss::Given { initiator, scratch } => {
                auth.provide_gss_with(&mut **initiator, scratch).map(|_| ())
            }
            #[cfg(feature = "gssapi-system")]
            Gss::System(slot) => {
                let (initiator, scratch) = slot.get_or_insert_with(|| {
                    (
                        crate::mech::gssapi_system::SystemInitiator::new(),
                        std::vec![0u8; crate::mech::gssapi::MAX_TOKEN_LEN],
                    )
                });
                auth.provide_gss_with(initiator, scratch).map(|_| ())
            }
        }
    }
}

/// Frame the authenticator's next command into `buf`, answering GSS needs
/// on the way with `gss`.
fn next_request<const P: usize>(
    auth: &mut Authenticator<'_, P>,
    request_id: i32,
    buf: &mut [u8],
    gss: &mut Gss<'_>,
) -> Result<Next, Error> {
    loop {
        match auth.step() {
            Step::Send(cmd) => {
                return Ok(Next::Send(wire::encode_message(request_id, 0, &cmd, buf)?));
            }
            Step::Done(Outcome::Failed) => return Err(LOGIN_OVER),
            Step::Done(o) => return Ok(Next::Done(o)),
            Step::Need(Need::GssInit { .. } | Need::GssUnwrap { .. } | Need::GssWrap { .. }) => {}
            Step::Need(_) => return Err(NEEDS_INPUT),
        }
        gss.answer(auth)?;
    }
}

const LOGIN_OVER: Error =
    Error::UnexpectedStep { expected: "a new login (this one failed; start another)" };

const NEEDS_INPUT: Error = Error::UnexpectedStep {
    expected: "an input from the caller (this mechanism needs the step-by-step loop)",
};

/// End the login on an authentication or wire error of the loop, so that
/// [`Authenticator::error`] describes it with its context (a reply's error
/// is recorded already). A stream error, an early close or the deadline
/// leave the login as it was: the caller decides whether to retry.
fn login_error<E, const P: usize>(
    auth: &mut Authenticator<'_, P>,
    e: HandshakeError<E>,
) -> HandshakeError<E> {
    if let HandshakeError::Auth(err) = &e
        && !auth.error().is_some_and(|l| l.error() == err)
    {
        auth.fail_with(err.clone());
    }
    e
}

/// Log in over a blocking stream: send each command the authenticator
/// wants as an OP_MSG, feed it each reply, until it is done. `buf` holds one
/// message at a time (a few hundred bytes suffice; hello replies from real
/// servers are under 1 KiB). Mechanisms that need caller input (AWS, OIDC)
/// are driven with [`Authenticator::step`] instead.
///
/// Returns how the handshake ended: only [`Outcome::Authenticated`] is a
/// login (an arbiter gives [`Outcome::Arbiter`]).
///
/// # Errors
/// The stream's errors, an early close, or the login's error
/// ([`HandshakeError::Auth`]; a wrong password is its
/// [`crate::ErrorKind::AuthenticationFailed`] kind; [`Authenticator::error`]
/// gives it with its context).
pub fn authenticate<T: Read + Write, const P: usize>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
) -> Result<Outcome, HandshakeError<T::Error>> {
    authenticate_until(io, auth, buf, &mut NoDeadline)
}

/// As [`authenticate`], failing with [`HandshakeError::Timeout`] once
/// `deadline` has passed (checked before every read and write).
///
/// # Errors
/// As [`authenticate`], and [`HandshakeError::Timeout`].
pub fn authenticate_until<T: Read + Write, D: Deadline, const P: usize>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
    deadline: &mut D,
) -> Result<Outcome, HandshakeError<T::Error>> {
    run_blocking(io, auth, buf, deadline, &mut Gss::default_source())
}

/// As [`authenticate_until`], answering a GSSAPI login's GSS needs with
/// `initiator` (your GSS-API library: MIT, Heimdal, SSPI, or one on
/// firmware; feature `gssapi`). `scratch` receives each output token before
/// the authenticator copies it: [`MAX_TOKEN_LEN`](crate::mech::gssapi::MAX_TOKEN_LEN)
/// bytes hold any. The authenticator must know the target
/// ([`Authenticator::with_gssapi`]).
///
/// # Errors
/// As [`authenticate_until`]; a GSS-API failure is
/// [`HandshakeError::Auth`] with [`Error::Gss`] ([`Authenticator::error`]
/// and [`Authenticator::gss_status_text`] have the library's text).
#[cfg(feature = "gssapi")]
pub fn authenticate_with_gss<T: Read + Write, D: Deadline, const P: usize>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
    deadline: &mut D,
    initiator: &mut dyn crate::mech::gssapi::GssInitiator,
    scratch: &mut [u8],
) -> Result<Outcome, HandshakeError<T::Error>> {
    run_blocking(io, auth, buf, deadline, &mut Gss::Given { initiator, scratch })
}

fn run_blocking<T: Read + Write, D: Deadline, const P: usize>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
    deadline: &mut D,
    gss: &mut Gss<'_>,
) -> Result<Outcome, HandshakeError<T::Error>> {
    let mut request_id: i32 = 1;
    let r = (|| loop {
        let n = match next_request(auth, request_id, buf, gss)? {
            Next::Send(n) => n,
            Next::Done(o) => return Ok(o),
        };
        write_full(io, buf.get(..n).unwrap_or(&[]), deadline)?;
        let capacity = buf.len();
        let header = header_slot(buf)?;
        read_full(io, header, deadline)?;
        let len = wire::frame_len_in(header, capacity)?;
        read_full(io, body_slot(buf, len)?, deadline)?;
        auth.handle_reply_frame(buf.get(..len).unwrap_or(&[]), request_id)?;
        request_id = request_id.wrapping_add(1);
    })();
    r.map_err(|e| login_error(auth, e))
}

/// As [`authenticate`], over `embedded-io-async`.
///
/// # Errors
/// As [`authenticate`].
#[cfg(feature = "async")]
pub async fn authenticate_async<
    T: embedded_io_async::Read + embedded_io_async::Write,
    const P: usize,
>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
) -> Result<Outcome, HandshakeError<T::Error>> {
    authenticate_async_until(io, auth, buf, &mut NoDeadline).await
}

/// As [`authenticate_until`], over `embedded-io-async`: the deadline is
/// checked before every read and write (a read that never returns is the
/// executor's to time out, e.g. with `select` on a timer).
///
/// # Errors
/// As [`authenticate_until`].
#[cfg(feature = "async")]
pub async fn authenticate_async_until<
    T: embedded_io_async::Read + embedded_io_async::Write,
    D: Deadline,
    const P: usize,
>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
    deadline: &mut D,
) -> Result<Outcome, HandshakeError<T::Error>> {
    run_async(io, auth, buf, deadline, &mut Gss::default_source()).await
}

/// As [`authenticate_async_until`], answering a GSSAPI login's GSS needs
/// with `initiator` (see [`authenticate_with_gss`]; features `async` and
/// `gssapi`). The GSS calls themselves are blocking (GSS-API has no async
/// interface; with Kerberos the first may ask the KDC).
///
/// # Errors
/// As [`authenticate_with_gss`].
#[cfg(all(feature = "async", feature = "gssapi"))]
pub async fn authenticate_async_with_gss<
    T: embedded_io_async::Read + embedded_io_async::Write,
    D: Deadline,
    const P: usize,
>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
    deadline: &mut D,
    initiator: &mut dyn crate::mech::gssapi::GssInitiator,
    scratch: &mut [u8],
) -> Result<Outcome, HandshakeError<T::Error>> {
    run_async(io, auth, buf, deadline, &mut Gss::Given { initiator, scratch }).await
}

#[cfg(feature = "async")]
async fn run_async<
    T: embedded_io_async::Read + embedded_io_async::Write,
    D: Deadline,
    const P: usize,
>(
    io: &mut T,
    auth: &mut Authenticator<'_, P>,
    buf: &mut [u8],
    deadline: &mut D,
    gss: &mut Gss<'_>,
) -> Result<Outcome, HandshakeError<T::Error>> {
    async fn read_full_async<T: embedded_io_async::Read, D: Deadline>(
        io: &mut T,
        mut buf: &mut [u8],
        deadline: &mut D,
    ) -> Result<(), HandshakeError<T::Error>> {
        while !buf.is_empty() {
            if deadline.expired() {
                return Err(HandshakeError::Timeout);
            }
            match io.read(buf).await {
                Ok(0) => return Err(HandshakeError::UnexpectedEof),
                Ok(n) => buf = buf.get_mut(n..).unwrap_or_default(),
                Err(e) => return Err(HandshakeError::Io(e)),
            }
        }
        Ok(())
    }
    let mut request_id: i32 = 1;
    let r: Result<Outcome, HandshakeError<T::Error>> = async {
        loop {
            let n = match next_request(auth, request_id, buf, gss)? {
                Next::Send(n) => n,
                Next::Done(o) => return Ok(o),
            };
            if deadline.expired() {
                return Err(HandshakeError::Timeout);
            }
            io.write_all(buf.get(..n).unwrap_or(&[])).await.map_err(HandshakeError::Io)?;
            io.flush().await.map_err(HandshakeError::Io)?;
            let capacity = buf.len();
            let header = header_slot(buf)?;
            read_full_async(io, header, deadline).await?;
            let len = wire::frame_len_in(header, capacity)?;
            read_full_async(io, body_slot(buf, len)?, deadline).await?;
            auth.handle_reply_frame(buf.get(..len).unwrap_or(&[]), request_id)?;
            request_id = request_id.wrapping_add(1);
        }
    }
    .await;
    r.map_err(|e| login_error(auth, e))
}

/// Serve one connection until the peer closes it: read each request (OP_MSG,
/// or a driver's opening OP_QUERY), let the session answer, write the reply.
/// A session with a GSS acceptor ([`ServerSession::with_gssapi`]) answers
/// GSSAPI too.
/// `entropy` fills a server nonce per request. `inbuf` and `outbuf` hold one
/// message each.
///
/// # Errors
/// The stream's errors, or a request the session cannot parse.
pub fn serve<T: Read + Write, U: UserStore, G: GssAcceptor>(
    io: &mut T,
    session: &mut ServerSession<U, G>,
    entropy: &mut dyn FnMut(&mut [u8; SESSION_ENTROPY_LEN]),
    inbuf: &mut [u8],
    outbuf: &mut [u8],
) -> Result<(), HandshakeError<T::Error>> {
    let mut reply_id: i32 = 1;
    loop {
        let (len, _) = match read_frame(io, inbuf, true) {
            Ok(x) => x,
            Err(HandshakeError::UnexpectedEof) => return Ok(()),
            Err(e) => return Err(e),
        };
        let frame = inbuf.get(..len).unwrap_or(&[]);
        let mut nonce = [0u8; SESSION_ENTROPY_LEN];
        entropy(&mut nonce);
        let n = session.handle_frame(frame, reply_id, &nonce, outbuf)?;
        io.write_all(outbuf.get(..n).unwrap_or(&[])).map_err(HandshakeError::Io)?;
        io.flush().map_err(HandshakeError::Io)?;
        reply_id = reply_id.wrapping_add(1);
    }
}

/// What [`connect`] can fail with (`std`).
#[cfg(feature = "std")]
#[derive(Debug)]
pub enum ConnectError {
    /// The connection string, or its credential, broke a rule; or the
    /// login could not be set up (e.g. a credential over a limit).
    Setup(Error),
    /// No host could be reached.
    Connect(std::io::Error),
    /// The handshake failed: I/O, the deadline, or the wire.
    Handshake(HandshakeError<std::io::Error>),
    /// The login failed, with its context (mechanism, user, database,
    /// command, the server's code and message); a wrong password is its
    /// [`crate::ErrorKind::AuthenticationFailed`] kind.
    Login(std::boxed::Box<LoginError>),
    /// GSSAPI (feature `gssapi`): the GSS-API library failed on our side
    /// (no ticket, an expired one, an unknown service principal, a bad
    /// token from the server): the login's context, and the library's text
    /// (`gss_display_status` of the major and minor codes).
    #[cfg(feature = "gssapi")]
    Gss {
        /// The login's error ([`Error::Gss`] with the operation and codes).
        login: std::boxed::Box<LoginError>,
        /// The library's text.
        status: std::string::String,
    },
}

#[cfg(feature = "std")]
impl ConnectError {
    /// Whether the server refused the credentials (code 18).
    pub fn is_authentication_failed(&self) -> bool {
        match self {
            Self::Login(l) => l.is_authentication_failed(),
            Self::Handshake(h) => h.is_authentication_failed(),
            _ => false,
        }
    }
}

#[cfg(feature = "std")]
impl core::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Setup(e) => write!(f, "{e}"),
            Self::Connect(e) => write!(f, "could not connect: {e}"),
            Self::Handshake(e) => write!(f, "{e}"),
            Self::Login(e) => write!(f, "{e}"),
            #[cfg(feature = "gssapi")]
            Self::Gss { login, status } => write!(f, "{login}: {}", crate::Escaped(status)),
        }
    }
}

#[cfg(feature = "std")]
impl core::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Setup(e) => Some(e),
            Self::Connect(e) => Some(e),
            Self::Handshake(e) => Some(e),
            Self::Login(e) => Some(&**e),
            #[cfg(feature = "gssapi")]
            Self::Gss { login, .. } => Some(&**login),
        }
    }
}

#[cfg(feature = "std")]
impl From<crate::uri::UriError> for ConnectError {
    fn from(e: crate::uri::UriError) -> Self {
        ConnectError::Setup(e.into())
    }
}

#[cfg(feature = "std")]
impl From<Error> for ConnectError {
    fn from(e: Error) -> Self {
        ConnectError::Setup(e)
    }
}

/// The overall deadline [`connect`] gives a handshake.
#[cfg(feature = "std")]
pub const CONNECT_TIMEOUT: core::time::Duration = core::time::Duration::from_secs(30);

/// From a connection string to an authenticated `TcpStream` (`std`): parse
/// the URI, take its credential, connect to the first host that answers
/// (default port 27017), and log in with OS randomness within
/// [`CONNECT_TIMEOUT`]. The [`Outcome`] says whether the login is verified
/// (an arbiter is not). No TLS: wrap your own stream and use
/// [`authenticate_until`] for that. `mongodb+srv` needs DNS: with the `srv`
/// feature it is resolved with the system's resolver (see `connect_srv`;
/// a resolution error is a [`ConnectError::Connect`] wrapping the
/// `SrvError`); without the feature it is refused with
/// [`ConnectError::Connect`] (`io::ErrorKind::Unsupported`), never dialed
/// as a host name.
///
/// # Errors
/// [`ConnectError::Setup`] for the URI or credential (a URI without one
/// asks for no login: [`Error::InvalidCredential`]),
/// [`ConnectError::Connect`], [`ConnectError::Handshake`].
#[cfg(feature = "std")]
pub fn connect(uri: &str) -> Result<(std::net::TcpStream, Outcome), ConnectError> {
    connect_timeout(uri, CONNECT_TIMEOUT)
}

/// As [`connect`], with the handshake's deadline `timeout` from now (also
/// each TCP connect's timeout and the socket read/write timeouts).
///
/// # Errors
/// As [`connect`].
#[cfg(feature = "std")]
pub fn connect_timeout(
    uri: &str,
    timeout: core::time::Duration,
) -> Result<(std::net::TcpStream, Outcome), ConnectError> {
    let deadline = std::time::Instant::now() + timeout;
    let parsed = crate::uri::ConnectionString::parse(uri, &mut ())?;
    // Without a resolver, dialing the SRV name itself would reach the wrong
    // host (or none): refuse, and say which feature resolves it.
    #[cfg(not(feature = "srv"))]
    if parsed.scheme() == crate::uri::Scheme::MongodbSrv {
        return Err(ConnectError::Connect(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "mongodb+srv:// needs DNS SRV/TXT resolution: build mongoauth with the `srv` feature",
        )));
    }
    #[cfg(feature = "srv")]
    if parsed.scheme() == crate::uri::Scheme::MongodbSrv {
        return match connect_srv(uri, &crate::uri::SrvResolver::system().timeout(timeout), timeout)
        {
            Ok((s, o, _)) => Ok((s, o)),
            Err(ConnectSrvError::Connect(e)) => Err(e),
            Err(ConnectSrvError::Resolve(e)) => {
                Err(ConnectError::Connect(std::io::Error::other(e)))
            }
        };
    }
    let view = parsed
        .credential()?
        .ok_or(Error::InvalidCredential { rule: "the connection string asks for no login" })?;
    let cred = view.to_owned()?;
    let mut targets = std::vec::Vec::new();
    for h in parsed.hosts() {
        let mut name = [0u8; 256];
        let name = h.host.decode(&mut name)?;
        targets.push((
            std::string::String::from(name),
            h.port.unwrap_or(27017),
            std::vec::Vec::new(),
        ));
    }
    login_first(&targets, cred, gss_properties(&view), timeout, deadline)
}

/// The GSSAPI properties of a credential (`SERVICE_NAME`, `SERVICE_REALM`,
/// `SERVICE_HOST`, `CANONICALIZE_HOST_NAME`), for [`login_first`] to aim
/// the context at the host it connected to.
#[cfg(feature = "std")]
fn gss_properties<'a>(
    cred: &crate::uri::Credential<'a>,
) -> Option<crate::uri::GssapiProperties<'a>> {
    match cred.properties() {
        crate::uri::MechanismProperties::Gssapi(p) => Some(*p),
        _ => None,
    }
}

/// Try `targets` (name, port, addresses already resolved: when empty, the
/// system resolves the name) in order, and log in on the first that answers.
/// A GSSAPI login (feature `gssapi-system`) aims its context at the host it
/// connected to (or `SERVICE_HOST`) and runs the system GSS-API library.
#[cfg(feature = "std")]
fn login_first(
    targets: &[(std::string::String, u16, std::vec::Vec<core::net::SocketAddr>)],
    cred: crate::client::Credential,
    gss: Option<crate::uri::GssapiProperties<'_>>,
    timeout: core::time::Duration,
    mut deadline: std::time::Instant,
) -> Result<(std::net::TcpStream, Outcome), ConnectError> {
    use std::net::ToSocketAddrs;

    use crate::client::{AUTH_ENTROPY_LEN, AuthConfig};

    // One target per host, made before the login borrows one of them.
    #[cfg(feature = "gssapi-system")]
    let gss_targets = match (gss, cred.mechanism()) {
        (Some(p), Some(crate::mech::Mechanism::Gssapi)) => targets
            .iter()
            .map(|(name, _, _)| crate::mech::gssapi::GssConfig::from_properties(&p, name).map(Some))
            .collect::<Result<std::vec::Vec<_>, Error>>()?,
        _ => std::vec::Vec::new(),
    };
    #[cfg(not(feature = "gssapi-system"))]
    let _ = gss;
    let mut entropy = [0u8; AUTH_ENTROPY_LEN];
    crate::os::fill_random(&mut entropy)?;
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &entropy)?;
    let mut last = std::io::Error::new(std::io::ErrorKind::NotFound, "no host in the URI");
    let mut stream = None;
    #[cfg_attr(not(feature = "gssapi-system"), allow(unused_variables))]
    'hosts: for (index, (name, port, known)) in targets.iter().enumerate() {
        let addrs: std::vec::Vec<core::net::SocketAddr> = if known.is_empty() {
            match (name.as_str(), *port).to_socket_addrs() {
                Ok(a) => a.collect(),
                Err(e) => {
                    last = e;
                    continue;
                }
            }
        } else {
            known.clone()
        };
        for addr in addrs {
            match std::net::TcpStream::connect_timeout(&addr, timeout) {
                Ok(s) => {
                    #[cfg(feature = "gssapi-system")]
                    if let Some(Some(target)) = gss_targets.get(index) {
                        auth = auth.with_gssapi(target);
                    }
                    stream = Some(s);
                    break 'hosts;
                }
                Err(e) => last = e,
            }
        }
    }
    let stream = stream.ok_or(ConnectError::Connect(last))?;
    stream.set_read_timeout(Some(timeout)).map_err(ConnectError::Connect)?;
    stream.set_write_timeout(Some(timeout)).map_err(ConnectError::Connect)?;
    stream.set_nodelay(true).map_err(ConnectError::Connect)?;
    let mut io = FromStd::new(stream);
    let mut buf = [0u8; 16 * 1024];
    let outcome = match authenticate_until(&mut io, &mut auth, &mut buf, &mut deadline) {
        Ok(o) => o,
        Err(HandshakeError::Auth(e)) => {
            #[cfg(feature = "gssapi")]
            if let (Some(l), Some(status)) = (auth.error(), auth.gss_status_text()) {
                return Err(ConnectError::Gss {
                    login: std::boxed::Box::new(l.clone()),
                    status: status.into(),
                });
            }
            return Err(match auth.error() {
                Some(l) => ConnectError::Login(std::boxed::Box::new(l.clone())),
                None => ConnectError::Setup(e),
            });
        }
        Err(e) => return Err(ConnectError::Handshake(e)),
    };
    Ok((io.into_inner(), outcome))
}

/// What [`connect_srv`] can fail with: the DNS resolution or the login.
#[cfg(feature = "srv")]
#[derive(Debug)]
pub enum ConnectSrvError {
    /// The `mongodb+srv` URI could not be resolved (DNS, the spec's rules).
    Resolve(crate::uri::SrvError),
    /// Resolved, but the connection or the login failed.
    Connect(ConnectError),
}

#[cfg(feature = "srv")]
impl core::fmt::Display for ConnectSrvError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Resolve(e) => write!(f, "{e}"),
            Self::Connect(e) => write!(f, "{e}"),
        }
    }
}

#[cfg(feature = "srv")]
impl core::error::Error for ConnectSrvError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Resolve(e) => Some(e),
            Self::Connect(e) => Some(e),
        }
    }
}

#[cfg(feature = "srv")]
impl<T: Into<ConnectError>> From<T> for ConnectSrvError {
    fn from(e: T) -> Self {
        ConnectSrvError::Connect(e.into())
    }
}

/// Log in to a `mongodb+srv://` URI (feature `srv`): resolve it with
/// `resolver` (SRV, TXT, `srvMaxHosts`, the targets' addresses), take the
/// credential with the TXT record's `authSource` as an explicit one, and log
/// in on the first resolved host that answers, all within `timeout` (the
/// resolver has its own). Returns the stream, the outcome, and the
/// resolution (whose [`tls`](crate::uri::ResolvedSrv::tls) is `true` unless
/// the URI says `tls=false`).
///
/// No TLS yet: a resolution that asks for TLS is refused with
/// [`Error::InvalidCredential`] in [`ConnectError::Setup`] rather than sent
/// in the clear; pass `tls=false` in the URI to log in over plain TCP.
///
/// # Errors
/// [`ConnectSrvError::Resolve`] for the DNS and its rules,
/// [`ConnectSrvError::Connect`] as [`connect`].
#[cfg(feature = "srv")]
pub fn connect_srv(
    uri: &str,
    resolver: &crate::uri::SrvResolver,
    timeout: core::time::Duration,
) -> Result<(std::net::TcpStream, Outcome, crate::uri::ResolvedSrv), ConnectSrvError> {
    use crate::uri::{ConnectionString, Credential, CredentialContext};

    let deadline = std::time::Instant::now() + timeout;
    let parsed = ConnectionString::parse(uri, &mut ())?;
    let resolved = resolver.resolve(&parsed).map_err(ConnectSrvError::Resolve)?;
    if resolved.tls() {
        return Err(ConnectError::Setup(Error::InvalidCredential {
            rule: "mongodb+srv implies TLS, which io::connect_srv does not do yet (say tls=false)",
        })
        .into());
    }
    let ctx = CredentialContext::new().with_txt(resolved.txt_options());
    let view = Credential::from_uri_with(&parsed, &ctx)
        .map_err(ConnectError::from)?
        .ok_or(Error::InvalidCredential { rule: "the connection string asks for no login" })?;
    let cred = view.to_owned()?;
    let targets: std::vec::Vec<_> =
        resolved.hosts().iter().map(|h| (h.host.clone(), h.port, h.addrs.clone())).collect();
    let (stream, outcome) = login_first(&targets, cred, gss_properties(&view), timeout, deadline)?;
    Ok((stream, outcome, resolved))
}

#[cfg(all(test, feature = "std", not(feature = "srv")))]
mod srv_without_resolver {
    use super::{ConnectError, connect_timeout};

    /// Without the `srv` feature a `mongodb+srv` URI is refused before any
    /// connection is tried, not dialed as if the SRV name were a host.
    #[test]
    fn refused_not_dialed() {
        let uri = "mongodb+srv://alice:pw@cluster0.example.invalid/?authSource=admin";
        match connect_timeout(uri, core::time::Duration::from_secs(1)) {
            Err(ConnectError::Connect(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::Unsupported);
                assert!(std::format!("{e}").contains("`srv` feature"), "{e}");
            }
            Err(other) => panic!("another error: {other}"),
            Ok(_) => panic!("a mongodb+srv URI logged in without a resolver"),
        }
    }
}
