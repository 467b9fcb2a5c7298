//! Handshake drivers over `embedded-io`: the [`Authenticator`] and the
//! [`ServerSession`] are sans-I/O; these loops move their commands and
//! replies over any byte stream (a firmware TCP stack, a TLS session, a
//! `std::net::TcpStream` through `FromStd`, re-exported with `std`). They use only the public
//! API of `auth`, `session` and `wire`, and the caller's one buffer.
//!
//! Blocking: [`authenticate`], [`serve`]. Async (feature `async`):
//! `authenticate_async`.

use embedded_io::{Read, ReadExactError, Write};

use crate::client::{Authenticator, Progress};
use crate::codec::wire::{self, HEADER_LEN};
use crate::error::Error;
use crate::server::{SESSION_ENTROPY_LEN, ServerSession, UserStore};

#[cfg(feature = "std")]
pub use embedded_io_adapters::std::FromStd;

/// A handshake failed: the stream, or the protocol.
#[derive(Debug)]
pub enum HandshakeError<E> {
    /// The stream failed.
    Io(E),
    /// The peer closed the stream mid-conversation.
    UnexpectedEof,
    /// Authentication or the wire protocol failed.
    Auth(Error),
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
            Self::Auth(e) => write!(f, "{e}"),
        }
    }
}

impl<E: core::fmt::Debug> core::error::Error for HandshakeError<E> {}

/// Read one frame into `buf`, checking its announced length against the
/// buffer before reading the body. Returns its length and opcode.
/// The header slot at the front of the caller's buffer.
fn header_slot(buf: &mut [u8]) -> Result<&mut [u8; HEADER_LEN], Error> {
    buf.get_mut(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or(Error::BufferTooSmall { required: wire::MIN_MESSAGE_LEN })
}

/// The body slot of a `len`-byte frame in the caller's buffer.
fn body_slot(buf: &mut [u8], len: usize) -> Result<&mut [u8], Error> {
    buf.get_mut(HEADER_LEN..len).ok_or(Error::BufferTooSmall { required: len })
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

/// Frame the authenticator's next command into `buf`; `None` when it has
/// nothing to send (the loops below treat that as a logic error).
fn next_request(
    auth: &Authenticator<'_>,
    request_id: i32,
    buf: &mut [u8],
) -> Result<Option<usize>, Error> {
    match auth.command() {
        Some(cmd) => Ok(Some(wire::encode_message(request_id, 0, &cmd, buf)?)),
        None => Ok(None),
    }
}

const NOTHING_TO_SEND: Error = Error::UnexpectedStep { expected: "a command to send" };

/// Log in over a blocking stream: send each command the authenticator
/// wants as an OP_MSG, feed it each reply, until it is done. `buf` holds one
/// message at a time (a few hundred bytes suffice; hello replies from real
/// servers are under 1 KiB).
///
/// # Errors
/// The stream's errors, an early close, or the authenticator's error (e.g.
/// [`Error::CommandFailed`] with code 18 for a wrong password).
pub fn authenticate<T: Read + Write>(
    io: &mut T,
    auth: &mut Authenticator<'_>,
    buf: &mut [u8],
) -> Result<(), HandshakeError<T::Error>> {
    let mut request_id: i32 = 1;
    loop {
        let n = next_request(auth, request_id, buf)?.ok_or(NOTHING_TO_SEND)?;
        io.write_all(buf.get(..n).unwrap_or(&[])).map_err(HandshakeError::Io)?;
        io.flush().map_err(HandshakeError::Io)?;
        let (len, _) = read_frame(io, buf, false)?;
        if auth.handle_reply_frame(buf.get(..len).unwrap_or(&[]), request_id)? == Progress::Done {
            return Ok(());
        }
        request_id = request_id.wrapping_add(1);
    }
}

/// As [`authenticate`], over `embedded-io-async`.
///
/// # Errors
/// As [`authenticate`].
#[cfg(feature = "async")]
pub async fn authenticate_async<T: embedded_io_async::Read + embedded_io_async::Write>(
    io: &mut T,
    auth: &mut Authenticator<'_>,
    buf: &mut [u8],
) -> Result<(), HandshakeError<T::Error>> {
    let mut request_id: i32 = 1;
    loop {
        let n = next_request(auth, request_id, buf)?.ok_or(NOTHING_TO_SEND)?;
        io.write_all(buf.get(..n).unwrap_or(&[])).await.map_err(HandshakeError::Io)?;
        io.flush().await.map_err(HandshakeError::Io)?;
        let capacity = buf.len();
        let header = header_slot(buf)?;
        io.read_exact(header).await?;
        let len = wire::frame_len_in(header, capacity)?;
        io.read_exact(body_slot(buf, len)?).await?;
        if auth.handle_reply_frame(buf.get(..len).unwrap_or(&[]), request_id)? == Progress::Done {
            return Ok(());
        }
        request_id = request_id.wrapping_add(1);
    }
}

/// Serve one connection until the peer closes it: read each request (OP_MSG,
/// or a driver's opening OP_QUERY), let the session answer, write the reply.
/// `entropy` fills a server nonce per request. `inbuf` and `outbuf` hold one
/// message each.
///
/// # Errors
/// The stream's errors, or a request the session cannot parse.
pub fn serve<T: Read + Write, U: UserStore>(
    io: &mut T,
    session: &mut ServerSession<U>,
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
