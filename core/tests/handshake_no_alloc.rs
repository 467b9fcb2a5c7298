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
use mongoauth::client::{AuthConfig, Authenticator, Credential, Outcome, Step};
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

fn cred(mechanism: Option<Mechanism>, password: &str) -> Credential {
    Credential::new(mechanism, Some("alice"), Some(password), "admin").unwrap()
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
    let outcome = loop {
        let n = match auth.step() {
            Step::Send(cmd) => wire::encode_document(&cmd, &mut req)?,
            Step::Done(o) => break o,
            Step::Need(_) => unreachable!(),
        };
        let m = server.handle(&req[..n], &[3; 24], &mut rep)?;
        auth.handle_reply(&rep[..m])?;
    };
    assert!(matches!(outcome, Outcome::Authenticated { .. }));
    assert!(auth.is_authenticated());
    assert_eq!(server.authenticated_user(), Some(("admin", "alice")));
    Ok(())
}

#[test]
fn handshake_never_allocates() {
    self_test();
    let mut n = 0;
    let users = assert_no_alloc("user setup (both SCRAM credentials)", users);
    let cache = KeyCache::<2>::new();
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
                    .with_key_cache(&cache);
                let mut buf = [0u8; BUF];
                let o = authenticate(&mut duplex, &mut auth, &mut buf).unwrap();
                assert!(o.is_authenticated() && auth.is_authenticated());
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
                let o = authenticate(&mut io, &mut auth, &mut buf).unwrap();
                assert!(o.is_authenticated() && auth.is_authenticated());
            });
            n += 1;

            // The failure path builds its errors without allocating too.
            let mut duplex = Duplex::new(&users);
            assert_no_alloc("a refused login (code 18)", || {
                let mut auth = Authenticator::new(cred(mech, "wrong"), config, &ENTROPY).unwrap();
                let mut buf = [0u8; BUF];
                match authenticate(&mut duplex, &mut auth, &mut buf) {
                    Err(HandshakeError::Auth(e)) => {
                        assert!(e.is_authentication_failed());
                        let l = auth.error().unwrap();
                        let Error::CommandFailed(f) = l.error() else { panic!("{l:?}") };
                        assert_eq!(f.code, Some(18));
                        // The message with its context is written without allocating.
                        use core::fmt::Write as _;
                        let mut text = heapless::String::<512>::new();
                        write!(text, "{l}").unwrap();
                        assert!(text.contains("alice") && text.contains("admin"), "{text}");
                        assert!(!text.contains("wrong"), "{text}");
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
                let c = Credential::new(mech, Some("mallory"), Some("x"), "admin").unwrap();
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

/// Encode a reply body into `buf`.
fn body<'b>(w: &impl wire::WriteBody, buf: &'b mut [u8]) -> &'b [u8] {
    let n = wire::encode_document(w, buf).unwrap();
    &buf[..n]
}

/// MONGODB-AWS and MONGODB-OIDC driven through the `Authenticator`'s one
/// `Step` shape against scripted server replies (the spec's payloads), and
/// an arbiter that must never count as a login, all without allocating.
#[test]
fn external_mechanisms_and_arbiter_never_allocate() {
    use mongoauth::client::Need;
    use mongoauth::codec::bson::{DocWriter, Document};
    use mongoauth::codec::wire::{ConversationId, HelloReply, SaslReply};
    use mongoauth::mech::aws::{AmzDate, Credentials};

    self_test();
    assert_no_alloc("MONGODB-AWS through the Authenticator", || {
        let mut auth =
            Authenticator::new(Credential::aws(), AuthConfig::default(), &ENTROPY).unwrap();
        let (mut cmd, mut rep) = ([0u8; BUF], [0u8; BUF]);
        let Step::Send(hello) = auth.step() else { panic!() };
        let n = wire::encode_document(&hello, &mut cmd).unwrap();
        let hello_doc = Document::parse(&cmd[..n]).unwrap();
        assert!(!hello_doc.contains_key("speculativeAuthenticate"));
        auth.handle_reply(body(&HelloReply::primary(), &mut rep)).unwrap();
        // saslStart {r, p: 110} on $external.
        let Step::Send(start) = auth.step() else { panic!() };
        let n = wire::encode_document(&start, &mut cmd).unwrap();
        let doc = Document::parse(&cmd[..n]).unwrap();
        assert_eq!(doc.get_str("saslStart").ok(), None);
        assert_eq!(doc.get_str("mechanism").unwrap(), "MONGODB-AWS");
        assert_eq!(doc.get_str("$db").unwrap(), "$external");
        // The server's {s: our nonce + 32 bytes, h: host}.
        let mut s = [9u8; 64];
        s[..32].copy_from_slice(&ENTROPY[..32]);
        let mut first = [0u8; 256];
        let mut w = DocWriter::new(&mut first);
        w.binary("s", 0, &s).string("h", "sts.amazonaws.com");
        let len = w.finish().unwrap();
        let reply = SaslReply {
            conversation_id: ConversationId::Int32(1),
            done: false,
            payload: &first[..len],
        };
        let step = auth.handle_reply(body(&reply, &mut rep)).unwrap();
        assert!(matches!(step, Step::Need(Need::Time)));
        let step = auth.provide_time(&AmzDate::parse("20191112T210122Z").unwrap()).unwrap();
        assert!(matches!(step, Step::Need(Need::AwsCredentials)));
        let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        let Step::Send(cont) = auth.provide_aws_credentials(&creds).unwrap() else { panic!() };
        let n = wire::encode_document(&cont, &mut cmd).unwrap();
        let doc = Document::parse(&cmd[..n]).unwrap();
        let payload = Document::parse(doc.get_binary("payload").unwrap().bytes).unwrap();
        assert!(
            payload.get_str("a").unwrap().starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
        );
        assert_eq!(payload.get_str("d").unwrap(), "20191112T210122Z");
        let done =
            SaslReply { conversation_id: ConversationId::Int32(1), done: true, payload: b"" };
        let step = auth.handle_reply(body(&done, &mut rep)).unwrap();
        assert!(matches!(
            step,
            Step::Done(Outcome::Authenticated { mechanism: Mechanism::MongodbAws })
        ));
    });

    for two_step in [false, true] {
        assert_no_alloc("MONGODB-OIDC through the Authenticator", || {
            let config = AuthConfig { oidc_two_step: two_step, ..AuthConfig::default() };
            let cred = Credential::oidc(Some("alice@example.com")).unwrap();
            let mut auth =
                Authenticator::<'_, 4096>::with_payload_capacity(cred, config, &ENTROPY).unwrap();
            let (mut cmd, mut rep) = ([0u8; BUF], [0u8; BUF]);
            auth.handle_reply(body(&HelloReply::primary(), &mut rep)).unwrap();
            if two_step {
                let Step::Send(start) = auth.step() else { panic!() };
                let n = wire::encode_document(&start, &mut cmd).unwrap();
                let doc = Document::parse(&cmd[..n]).unwrap();
                let p = Document::parse(doc.get_binary("payload").unwrap().bytes).unwrap();
                assert_eq!(p.get_str("n").unwrap(), "alice@example.com");
                let mut idp = [0u8; 256];
                let mut w = DocWriter::new(&mut idp);
                w.string("issuer", "https://issuer.example").string("clientId", "abc");
                let len = w.finish().unwrap();
                let reply = SaslReply {
                    conversation_id: ConversationId::Int32(7),
                    done: false,
                    payload: &idp[..len],
                };
                auth.handle_reply(body(&reply, &mut rep)).unwrap();
            }
            match auth.step() {
                Step::Need(Need::OidcToken { idp_info, username }) => {
                    assert_eq!(username, Some("alice@example.com"));
                    assert_eq!(
                        idp_info.map(|i| i.issuer()),
                        two_step.then_some("https://issuer.example")
                    );
                }
                other => panic!("{other:?}"),
            }
            let Step::Send(c) = auth.provide_token("header.payload.sig").unwrap() else { panic!() };
            let n = wire::encode_document(&c, &mut cmd).unwrap();
            let doc = Document::parse(&cmd[..n]).unwrap();
            let p = Document::parse(doc.get_binary("payload").unwrap().bytes).unwrap();
            assert_eq!(p.get_str("jwt").unwrap(), "header.payload.sig");
            assert_eq!(doc.contains_key("saslContinue"), two_step);
            let id = if two_step { 7 } else { 1 };
            let done =
                SaslReply { conversation_id: ConversationId::Int32(id), done: true, payload: b"" };
            auth.handle_reply(body(&done, &mut rep)).unwrap();
            assert!(auth.is_authenticated());
        });
    }

    assert_no_alloc("an arbiter is not a login", || {
        let mut auth =
            Authenticator::new(cred(None, "pencil"), AuthConfig::default(), &ENTROPY).unwrap();
        let mut rep = [0u8; BUF];
        let arbiter = HelloReply { arbiter_only: true, ..HelloReply::primary() };
        let step = auth.handle_reply(body(&arbiter, &mut rep)).unwrap();
        assert!(matches!(step, Step::Done(Outcome::Arbiter)));
        assert!(!auth.is_authenticated());
        assert!(auth.handle_reply(body(&arbiter, &mut rep)).is_err());
    });
    println!("external mechanisms and arbiter without allocation: 4 passed, 0 failed");
}
