//! The client login's promises (issues #11 and #12): a key cache shared by
//! 8 threads logging in at once, errors that say what happened (mechanism,
//! user, database, command, the server's code, codeName and errmsg, bounded
//! and escaped, never the password), no false success (an arbiter), an
//! overall deadline against a server that drips bytes, and a URI to an
//! authenticated `TcpStream` through `io::connect`.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use mongoauth::client::{AuthConfig, Authenticator, Credential, Outcome, Stage, Step};
use mongoauth::codec::wire::{self, CommandError, HelloReply};
use mongoauth::io::{self, HandshakeError};
use mongoauth::mech::Mechanism;
use mongoauth::mech::scram::SharedKeyCache;
use mongoauth::server::{ServerSession, StaticUsers};
use mongoauth::{Error, ErrorKind};
use mongoauth_demo::LoopbackServer;

const ENTROPY: [u8; 48] = [7; 48];

fn users() -> StaticUsers<1> {
    StaticUsers::new().with_scram_user("admin", "alice", "pencil", &[5; 28]).unwrap()
}

/// One sans-I/O login against an in-process session.
fn login(
    users: &StaticUsers<1>,
    cred: Credential,
    cache: Option<&SharedKeyCache<4>>,
    seed: u8,
) -> Result<Outcome, Error> {
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &[seed; 48])?;
    if let Some(c) = cache {
        auth = auth.with_key_cache(c);
    }
    let mut server = ServerSession::new(users, [9; 32]);
    let (mut req, mut rep) = ([0u8; 2048], [0u8; 2048]);
    loop {
        let n = match auth.step() {
            Step::Send(cmd) => wire::encode_document(&cmd, &mut req)?,
            Step::Done(o) => return Ok(o),
            Step::Need(n) => panic!("SCRAM needs nothing: {n:?}"),
        };
        let m = server.handle(&req[..n], &[seed; 24], &mut rep)?;
        auth.handle_reply(&rep[..m])?;
    }
}

/// Run under ThreadSanitizer with
/// `RUSTFLAGS=-Zsanitizer=thread cargo +nightly test -Zbuild-std --target x86_64-unknown-linux-gnu -p mongoauth-tests --test client_login`;
/// in CI it runs as a plain test (the cache is a `Mutex`, so the type system
/// already rules data races out).
#[test]
fn eight_threads_share_one_key_cache() {
    let users = users();
    let cache = SharedKeyCache::<4>::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8u8)
            .map(|i| {
                let (users, cache) = (&users, &cache);
                s.spawn(move || {
                    for round in 0..3u8 {
                        let mech = if (i + round) % 2 == 0 {
                            Mechanism::ScramSha256
                        } else {
                            Mechanism::ScramSha1
                        };
                        let cred =
                            Credential::new(Some(mech), Some("alice"), Some("pencil"), "admin")
                                .unwrap();
                        let o = login(users, cred, Some(cache), 1 + i * 3 + round).unwrap();
                        assert!(o.is_authenticated(), "thread {i} round {round}: {o:?}");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    });
    // One entry per mechanism: every other login was a cache hit.
    assert_eq!(cache.len(), 2);
    println!("8 threads sharing one key cache: 24 logins passed, 0 failed");
}

#[test]
fn a_wrong_password_names_mechanism_user_database_and_step() {
    let users = users();
    for mech in [None, Some(Mechanism::ScramSha1), Some(Mechanism::ScramSha256)] {
        let cred = Credential::new(mech, Some("alice"), Some("hunter2-secret"), "admin").unwrap();
        let mut auth = Authenticator::new(cred, AuthConfig::default(), &ENTROPY).unwrap();
        let mut server = ServerSession::new(&users, [9; 32]);
        let (mut req, mut rep) = ([0u8; 2048], [0u8; 2048]);
        let err = loop {
            let Step::Send(cmd) = auth.step() else { panic!("no failure") };
            let n = wire::encode_document(&cmd, &mut req).unwrap();
            let m = server.handle(&req[..n], &[1; 24], &mut rep).unwrap();
            if let Err(e) = auth.handle_reply(&rep[..m]) {
                break e;
            }
        };
        assert_eq!(err.kind(), ErrorKind::AuthenticationFailed);
        let l = auth.error().unwrap();
        assert!(l.is_authentication_failed());
        assert_eq!(l.stage(), Stage::SaslContinue);
        let text = l.to_string();
        let m = mech.unwrap_or(Mechanism::ScramSha256).as_str();
        for want in [m, "alice", "admin", "saslContinue", "18", "AuthenticationFailed"] {
            assert!(text.contains(want), "{want:?} missing from {text:?}");
        }
        assert!(!text.contains("hunter2") && !format!("{l:?}").contains("hunter2"), "{text}");
        assert!(std::error::Error::source(l).is_some());
        assert!(matches!(auth.step(), Step::Done(Outcome::Failed)));
    }
}

#[test]
fn server_text_is_escaped_and_bounded() {
    let hostile = format!("bad\u{1b}[2J\r\nFAKE LOG LINE\u{7}\u{202e}{}", "x".repeat(1000));
    let failed = CommandError {
        code: Some(18),
        code_name: Some("Authentication\u{0}Failed\u{1b}"),
        errmsg: Some(&hostile),
    };
    let mut body = [0u8; 4096];
    let n = wire::encode_document(&failed, &mut body).unwrap();
    let cred = Credential::scram("alice", "pencil", "admin").unwrap();
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &ENTROPY).unwrap();
    let e = auth.handle_reply(&body[..n]).unwrap_err();
    assert!(e.is_authentication_failed());
    let l = auth.error().unwrap();
    assert_eq!(l.stage(), Stage::Hello);
    let text = l.to_string();
    assert!(text.contains("bad\\x1b[2J\\x0d\\x0aFAKE LOG LINE\\x07\\u{202e}"), "{text}");
    assert!(!text.chars().any(|c| c.is_control() || c == '\u{202e}'), "{text:?}");
    assert!(text.ends_with("..."), "{text}");
    assert!(text.len() < mongoauth::MAX_ERRMSG_LEN + 300, "{}", text.len());
    let reply = l.server_reply().unwrap();
    assert!(reply.errmsg.as_ref().unwrap().is_truncated());
    assert_eq!(reply.code, Some(18));
    // The compact error escapes the codeName it keeps, too.
    assert!(!e.to_string().chars().any(char::is_control), "{e}");
}

#[test]
fn an_arbiter_is_never_a_login() {
    let arbiter = HelloReply { arbiter_only: true, ..HelloReply::primary() };
    let mut body = [0u8; 1024];
    let n = wire::encode_document(&arbiter, &mut body).unwrap();
    let cred = Credential::scram("alice", "pencil", "admin").unwrap();
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &ENTROPY).unwrap();
    let step = auth.handle_reply(&body[..n]).unwrap();
    assert!(matches!(step, Step::Done(Outcome::Arbiter)));
    assert!(!auth.is_authenticated());
    assert!(!Outcome::Arbiter.is_authenticated());
}

/// A server that answers the hello one byte at a time, slowly, forever:
/// the overall deadline ends the handshake (per-read timeouts would not).
#[test]
fn a_dripping_server_hits_the_deadline() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut req = [0u8; 4096];
        let _ = conn.read(&mut req);
        // A valid OP_MSG header announcing 1000 bytes, then one byte every 20 ms.
        let mut header = Vec::new();
        for v in [1000i32, 1, 1, 2013] {
            header.extend_from_slice(&v.to_le_bytes());
        }
        let _ = conn.write_all(&header);
        for _ in 0..2000 {
            if conn.write_all(&[0]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let stream = std::net::TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut io = io::FromStd::new(stream);
    let cred = Credential::scram("alice", "pencil", "admin").unwrap();
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &ENTROPY).unwrap();
    let mut buf = [0u8; 4096];
    let mut deadline = Instant::now() + Duration::from_millis(300);
    let r = io::authenticate_until(&mut io, &mut auth, &mut buf, &mut deadline);
    assert!(matches!(r, Err(HandshakeError::Timeout)), "{r:?}");
    assert!(!auth.is_authenticated());
    drop(io);
    server.join().unwrap();
}

/// The crate docs' promise: a URI to an authenticated `TcpStream`.
#[test]
fn connect_logs_in_from_a_uri() {
    let server = LoopbackServer::start(&[("admin", "alice", "pencil")], 0).unwrap();
    let port = server.addr().port();
    let (stream, outcome) =
        io::connect(&format!("mongodb://alice:pencil@127.0.0.1:{port}/?authSource=admin")).unwrap();
    assert!(matches!(outcome, Outcome::Authenticated { mechanism: Mechanism::ScramSha256 }));
    drop(stream);
    let e = io::connect(&format!("mongodb://alice:wrong@127.0.0.1:{port}/")).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("alice") && text.contains("admin") && !text.contains("wrong"), "{text}");
    assert!(matches!(&e, io::ConnectError::Login(_)) && e.is_authentication_failed(), "{e:?}");
}

/// An endless server stream delivered one byte per read: a valid header
/// announcing a large frame, then zeros.
struct Drip {
    sent: usize,
}

impl Drip {
    fn byte(&mut self) -> u8 {
        let header: Vec<u8> =
            [60_000i32, 1, 1, 2013].iter().flat_map(|v| v.to_le_bytes()).collect();
        let b = header.get(self.sent).copied().unwrap_or(0);
        self.sent += 1;
        b
    }
}

impl embedded_io::ErrorType for Drip {
    type Error = core::convert::Infallible;
}
impl embedded_io::Read for Drip {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        buf[0] = self.byte();
        Ok(1)
    }
}
impl embedded_io::Write for Drip {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
impl embedded_io_async::Read for Drip {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        buf[0] = self.byte();
        Ok(1)
    }
}
impl embedded_io_async::Write for Drip {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A deadline that passes after `n` checks: deterministic, no clock.
struct Countdown(usize);
impl io::Deadline for Countdown {
    fn expired(&mut self) -> bool {
        self.0 = self.0.saturating_sub(1);
        self.0 == 0
    }
}

#[test]
fn drip_feeding_hits_the_deadline_blocking_and_async() {
    let cred = || Credential::scram("alice", "pencil", "admin").unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut auth = Authenticator::new(cred(), AuthConfig::default(), &ENTROPY).unwrap();
    let mut d = Countdown(5000);
    let r = io::authenticate_until(&mut Drip { sent: 0 }, &mut auth, &mut buf, &mut d);
    assert!(matches!(r, Err(HandshakeError::Timeout)), "{r:?}");

    let mut auth = Authenticator::new(cred(), AuthConfig::default(), &ENTROPY).unwrap();
    let mut d = Countdown(5000);
    let mut drip = Drip { sent: 0 };
    let fut = io::authenticate_async_until(&mut drip, &mut auth, &mut buf, &mut d);
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    let r = match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(r) => r,
        std::task::Poll::Pending => panic!("an always-ready stream left the future pending"),
    };
    assert!(matches!(r, Err(HandshakeError::Timeout)), "{r:?}");
}

#[test]
fn debug_never_shows_the_password() {
    let cred = Credential::scram("alice", "hunter2-secret", "admin").unwrap();
    assert!(!format!("{cred:?}").contains("hunter2"));
    let auth = Authenticator::new(cred.clone(), AuthConfig::default(), &ENTROPY).unwrap();
    assert!(!format!("{auth:?}").contains("hunter2"));
    // Over a limit is an error, never a cut.
    let long = "x".repeat(mongoauth::client::MAX_PASSWORD_LEN + 1);
    assert!(matches!(
        Credential::scram("alice", &long, "admin"),
        Err(Error::Capacity { what: "password", .. })
    ));
    let db = "d".repeat(mongoauth::client::MAX_SOURCE_LEN + 1);
    assert!(matches!(Credential::scram("alice", "p", &db), Err(Error::Capacity { .. })));
}
