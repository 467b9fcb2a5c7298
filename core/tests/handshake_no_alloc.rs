//! The default build never allocates during a handshake: user setup, the
//! `Authenticator` against a `ServerSession` (sans-I/O), `io::authenticate`
//! over an in-memory blocking duplex, and `io::serve` plus
//! `io::authenticate` over plain `embedded_io` slices, for both SCRAM
//! mechanisms, with the key cache and on the failure path, all under a
//! counting global allocator.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use alloc_guard::{assert_no_alloc, self_test};
use embedded_io::{ErrorType, Read, Write};
use mongoauth::Error;
use mongoauth::client::{AuthConfig, Authenticator, Credential, Progress};
use mongoauth::codec::wire;
use mongoauth::io::{HandshakeError, authenticate, serve};
use mongoauth::mech::Mechanism;
use mongoauth::mech::scram::KeyCache;
use mongoauth::server::{ServerSession, StaticUsers};

const BUF: usize = 2048;
const ENTROPY: [u8; 48] = [7; 48];

fn users() -> StaticUsers<1> {
    StaticUsers::new().with_scram_user("admin", "alice", "pencil", &[5; 28]).unwrap()
}

fn cred(mechanism: Option<Mechanism>, password: &str) -> Credential<'_> {
    Credential { mechanism, username: Some("alice"), password: Some(password), source: "admin" }
}

/// Our server behind an in-memory duplex, in fixed buffers: each complete
/// frame written is answered at once. It records what the client sent.
struct Duplex<'u> {
    session: ServerSession<&'u StaticUsers<1>>,
    inbox: [u8; BUF],
    in_len: usize,
    outbox: [u8; BUF],
    out_pos: usize,
    out_len: usize,
    sent: [u8; 4 * BUF],
    sent_len: usize,
    calls: u8,
}

impl<'u> Duplex<'u> {
    fn new(users: &'u StaticUsers<1>) -> Self {
        Duplex {
            session: ServerSession::new(users, [9; 32]),
            inbox: [0; BUF],
            in_len: 0,
            outbox: [0; BUF],
            out_pos: 0,
            out_len: 0,
            sent: [0; 4 * BUF],
            sent_len: 0,
            calls: 0,
        }
    }

    fn answer(&mut self) {
        let len = u32::from_le_bytes(self.inbox[..4].try_into().unwrap()) as usize;
        if self.in_len < len {
            return;
        }
        let msg = wire::parse_op_msg(&self.inbox[..len]).unwrap();
        self.calls += 1;
        let body = &mut self.outbox[wire::OP_MSG_BODY_OFFSET..];
        let m = self.session.handle(msg.body.as_bytes(), &[self.calls; 24], body).unwrap();
        let request_id = msg.request_id;
        self.out_len =
            wire::finish_op_msg(i32::from(self.calls), request_id, &mut self.outbox, m).unwrap();
        self.out_pos = 0;
        self.inbox.copy_within(len..self.in_len, 0);
        self.in_len -= len;
    }
}

impl ErrorType for Duplex<'_> {
    type Error = core::convert::Infallible;
}

impl Read for Duplex<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.out_len - self.out_pos);
        buf[..n].copy_from_slice(&self.outbox[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

impl Write for Duplex<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.inbox[self.in_len..self.in_len + buf.len()].copy_from_slice(buf);
        self.in_len += buf.len();
        self.sent[self.sent_len..self.sent_len + buf.len()].copy_from_slice(buf);
        self.sent_len += buf.len();
        if self.in_len >= 4 {
            self.answer();
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// One stream out of two `embedded_io` slices: reads from `&[u8]`, writes
/// into `&mut [u8]`.
struct Slices<'a, 'b> {
    input: &'a [u8],
    output: &'b mut [u8],
}

impl ErrorType for Slices<'_, '_> {
    type Error = embedded_io::ErrorKind;
}

impl Read for Slices<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(self.input.read(buf).unwrap_or(0))
    }
}

impl Write for Slices<'_, '_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.output.write(buf).map_err(|_| embedded_io::ErrorKind::OutOfMemory)
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// The sans-I/O loop of the `auth` module's example.
fn sans_io(users: &StaticUsers<1>, mech: Option<Mechanism>, password: &str) -> Result<(), Error> {
    let mut server = ServerSession::new(users, [9; 32]);
    let mut auth = Authenticator::new(cred(mech, password), AuthConfig::default(), &ENTROPY)?;
    let (mut req, mut rep) = ([0u8; BUF], [0u8; BUF]);
    while let Some(cmd) = auth.command() {
        let n = wire::encode_document(&cmd, &mut req)?;
        let m = server.handle(&req[..n], &[3; 24], &mut rep)?;
        if auth.handle_reply(&rep[..m])? == Progress::Done {
            break;
        }
    }
    assert!(auth.is_authenticated());
    assert_eq!(server.authenticated_user(), Some(("admin", "alice")));
    Ok(())
}

#[test]
fn handshake_never_allocates() {
    self_test();
    let mut n = 0;
    let users = assert_no_alloc("user setup (both SCRAM credentials)", users);
    let mut cache = KeyCache::<2>::new();
    for mech in [Some(Mechanism::ScramSha1), Some(Mechanism::ScramSha256), None] {
        for speculative in [true, false] {
            let config = AuthConfig { speculative, ..AuthConfig::default() };
            assert_no_alloc("sans-I/O handshake", || sans_io(&users, mech, "pencil").unwrap());
            n += 1;

            // io::authenticate over the live in-memory duplex, with the key cache.
            let mut duplex = Duplex::new(&users);
            assert_no_alloc("io::authenticate over an in-memory duplex", || {
                let mut auth = Authenticator::new(cred(mech, "pencil"), config, &ENTROPY)
                    .unwrap()
                    .with_key_cache(&mut cache);
                let mut buf = [0u8; BUF];
                authenticate(&mut duplex, &mut auth, &mut buf).unwrap();
                assert!(auth.is_authenticated());
            });
            n += 1;

            // io::serve over slices: the client's recorded requests in, the
            // server's stream out; then io::authenticate over slices replays it.
            let requests = &duplex.sent[..duplex.sent_len];
            let mut server_stream = [0u8; 4 * BUF];
            let written = assert_no_alloc("io::serve over embedded_io slices", || {
                let mut session = ServerSession::new(&users, [9; 32]);
                let mut calls = 0u8;
                let mut entropy = |b: &mut [u8; 24]| {
                    calls += 1;
                    *b = [calls; 24];
                };
                let (mut inbuf, mut outbuf) = ([0u8; BUF], [0u8; BUF]);
                let mut io = Slices { input: requests, output: &mut server_stream[..] };
                serve(&mut io, &mut session, &mut entropy, &mut inbuf, &mut outbuf).unwrap();
                assert_eq!(session.authenticated_user(), Some(("admin", "alice")));
                4 * BUF - io.output.len()
            });
            assert!(written > 0);
            n += 1;
            assert_no_alloc("io::authenticate over embedded_io slices", || {
                let mut auth = Authenticator::new(cred(mech, "pencil"), config, &ENTROPY).unwrap();
                let (mut sink, mut buf) = ([0u8; 4 * BUF], [0u8; BUF]);
                let mut io = Slices { input: &server_stream[..written], output: &mut sink[..] };
                authenticate(&mut io, &mut auth, &mut buf).unwrap();
                assert!(auth.is_authenticated());
            });
            n += 1;

            // The failure path builds its errors without allocating too.
            let mut duplex = Duplex::new(&users);
            assert_no_alloc("a refused login (code 18)", || {
                let mut auth = Authenticator::new(cred(mech, "wrong"), config, &ENTROPY).unwrap();
                let mut buf = [0u8; BUF];
                match authenticate(&mut duplex, &mut auth, &mut buf) {
                    Err(HandshakeError::Auth(Error::CommandFailed(f))) => {
                        assert_eq!(f.code, Some(18))
                    }
                    other => panic!("expected code 18, got {other:?}"),
                }
                assert!(!auth.is_authenticated());
            });
            n += 1;

            // An unknown user: hello's list, the decoy salt and the
            // constant-time lookup allocate nothing either.
            let mut duplex = Duplex::new(&users);
            assert_no_alloc("an unknown user (decoy credentials, code 18)", || {
                let c = Credential { username: Some("mallory"), ..cred(mech, "x") };
                let mut auth = Authenticator::new(c, config, &ENTROPY).unwrap();
                let mut buf = [0u8; BUF];
                match authenticate(&mut duplex, &mut auth, &mut buf) {
                    Err(HandshakeError::Auth(Error::CommandFailed(f))) => {
                        assert_eq!(f.code, Some(18))
                    }
                    other => panic!("expected code 18, got {other:?}"),
                }
            });
            n += 1;
        }
    }
    println!("handshake without allocation: {n} passed, 0 failed");
}
