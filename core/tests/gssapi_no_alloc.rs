//! GSSAPI (feature `gssapi`) never allocates: the security-layer parsers
//! and builders, the target, and the whole sans-I/O conversation between the
//! `Authenticator` and a `ServerSession` through OP_MSG frames (BinData and
//! base64-string payloads, success, a wrong authorization identity, an
//! unknown principal, a GSS failure with its text), under a counting global
//! allocator. The GSS library is a toy on both sides (`INIT <principal>` /
//! `ACCEPT`, wrap = a `W` prefix), itself allocation-free.
#![cfg(feature = "gssapi")]
#![allow(clippy::unwrap_used, clippy::result_large_err, missing_docs)]

#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use alloc_guard::{assert_no_alloc, self_test};
use mongoauth::BoundedText;
use mongoauth::Error;
use mongoauth::client::{AuthConfig, Authenticator, Credential, Outcome, Stage, Step};
use mongoauth::codec::bson::{BINARY_SUBTYPE_GENERIC, DocWriter, Document};
use mongoauth::codec::wire::{self, WriteBody};
use mongoauth::mech::Mechanism;
use mongoauth::mech::gssapi::{
    ClientLayerReply, GssAcceptor, GssConfig, GssError, GssIdentity, GssInitiator, GssStep,
    GssTarget, MAX_PRINCIPAL_LEN, MAX_TOKEN_LEN, SecurityLayer,
};
use mongoauth::server::{ServerSession, StaticUsers};

const USER: &str = "user@MONGOAUTH.TEST";
const BUF: usize = 4096;

fn put(out: &mut [u8], parts: &[&[u8]]) -> Result<usize, GssError> {
    let mut n = 0;
    for p in parts {
        let dst = out.get_mut(n..n + p.len()).ok_or(GssError::NoContext)?;
        dst.copy_from_slice(p);
        n += p.len();
    }
    Ok(n)
}

#[derive(Default)]
struct Toy {
    /// The "ticket" names this principal instead of the username.
    ticket_for: Option<&'static str>,
    /// The library has no credentials.
    no_ticket: bool,
}

impl GssInitiator for Toy {
    fn step(
        &mut self,
        _target: &GssTarget<'_>,
        id: &GssIdentity<'_>,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<GssStep, GssError> {
        if self.no_ticket {
            return Err(GssError::Library {
                major: 0xd_0000,
                minor: 0x96c7_3a25,
                text: BoundedText::new("No Kerberos credentials available"),
            });
        }
        if input.is_empty() {
            let who = self.ticket_for.or(id.principal).unwrap_or("").as_bytes();
            return Ok(GssStep { written: put(out, &[b"INIT ", who])?, complete: false });
        }
        Ok(GssStep { written: 0, complete: input == b"ACCEPT" })
    }
    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        put(out, &[token.strip_prefix(b"W").ok_or(GssError::NoContext)?])
    }
    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        put(out, &[b"W", message])
    }
}

#[derive(Default)]
struct ToyAcceptor {
    source: heapless::String<MAX_PRINCIPAL_LEN>,
}

impl GssAcceptor for ToyAcceptor {
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError> {
        let who = input.strip_prefix(b"INIT ").ok_or(GssError::NoContext)?;
        let who = core::str::from_utf8(who).map_err(|_| GssError::NoContext)?;
        self.source = heapless::String::try_from(who).map_err(|_| GssError::NoContext)?;
        Ok(GssStep { written: put(out, &[b"ACCEPT"])?, complete: true })
    }
    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        put(out, &[b"W", message])
    }
    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        put(out, &[token.strip_prefix(b"W").ok_or(GssError::NoContext)?])
    }
    fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError> {
        if self.source.is_empty() {
            return Err(GssError::NoContext);
        }
        put(out, &[self.source.as_bytes()])
    }
    fn reset(&mut self) {
        self.source.clear();
    }
}

fn users() -> StaticUsers<2> {
    StaticUsers::new().with_external_user(USER).unwrap()
}

/// One login through frames; `Err` carries the error, the stage and
/// whether the GSS text was kept.
fn login(
    users: &StaticUsers<2>,
    user: &str,
    toy: &mut Toy,
) -> Result<(Outcome, bool), (Error, Stage, bool)> {
    let target = GssConfig::new("localhost").unwrap();
    let mut server = ServerSession::new(users, [9; 32]).with_gssapi(ToyAcceptor::default());
    let cred = Credential::new(Some(Mechanism::Gssapi), Some(user), None, "$external").unwrap();
    let mut auth =
        Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap().with_gssapi(&target);
    let (mut req, mut rep, mut scratch) = ([0u8; BUF], [0u8; BUF], [0u8; MAX_TOKEN_LEN]);
    let mut id = 0;
    let fail = |auth: &Authenticator<'_>, e: Error| {
        let stage = auth.error().map(|l| l.stage()).unwrap_or(Stage::Setup);
        (e, stage, auth.gss_status_text().is_some())
    };
    loop {
        let n = match auth.step() {
            Step::Send(cmd) => wire::encode_message(id, 0, &cmd, &mut req).unwrap(),
            Step::Need(_) => {
                if let Err(e) = auth.provide_gss_with(toy, &mut scratch) {
                    return Err(fail(&auth, e));
                }
                continue;
            }
            Step::Done(o) => {
                return Ok((o, server.authenticated_user() == Some(("$external", user))));
            }
        };
        let m = server.handle_frame(&req[..n], 100 + id, &[3; 24], &mut rep).unwrap();
        if let Err(e) = auth.handle_reply_frame(&rep[..m], id) {
            return Err(fail(&auth, e));
        }
        id += 1;
    }
}

/// A pymongo-shaped saslStart/saslContinue with a base64 string payload.
struct StrCmd<'a> {
    start: bool,
    payload: &'a str,
}

impl WriteBody for StrCmd<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        if self.start {
            w.int32("saslStart", 1).string("mechanism", "GSSAPI");
        } else {
            w.int32("saslContinue", 1).int32("conversationId", 1);
        }
        w.string("payload", self.payload).int32("autoAuthorize", 1).string("$db", "$external");
    }
}

/// A BinData command, to compare.
struct BinCmd<'a>(&'a [u8]);

impl WriteBody for BinCmd<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.int32("saslStart", 1)
            .string("mechanism", "GSSAPI")
            .binary("payload", BINARY_SUBTYPE_GENERIC, self.0)
            .string("$db", "$external");
    }
}

#[test]
fn gssapi_never_allocates() {
    self_test();
    let users = assert_no_alloc("external user setup", users);
    assert_no_alloc("the security-layer messages", || {
        let offer = SecurityLayer::parse_offer(&SecurityLayer::NONE_ONLY.to_bytes()).unwrap();
        assert_eq!(offer.max_size, 0);
        let mut out = [0u8; 64];
        let n = ClientLayerReply::no_layer(USER).write(&mut out).unwrap();
        let r = ClientLayerReply::parse_no_layer(&out[..n]).unwrap();
        assert_eq!(r.authz, USER);
        assert!(SecurityLayer::parse_offer(b"\x02\0\0\0").is_err());
        assert!(ClientLayerReply::parse(b"\x01\0").is_err());
    });
    assert_no_alloc("the target", || {
        let t = GssConfig::new("localhost")
            .unwrap()
            .with_service_name("mongo")
            .unwrap()
            .with_service_realm("MONGOAUTH.TEST")
            .unwrap();
        assert_eq!(t.target().realm, Some("MONGOAUTH.TEST"));
    });
    assert_no_alloc("a GSSAPI login through frames", || {
        let (o, logged_in) = login(&users, USER, &mut Toy::default()).unwrap();
        assert!(o.is_authenticated());
        assert!(logged_in);
    });
    assert_no_alloc("a wrong authorization identity", || {
        let mut toy = Toy { ticket_for: Some("mallory@MONGOAUTH.TEST"), ..Toy::default() };
        let (e, stage, _) = login(&users, USER, &mut toy).unwrap_err();
        assert!(e.is_authentication_failed());
        assert_eq!(stage, Stage::SaslContinue);
    });
    assert_no_alloc("an unknown principal", || {
        let (e, _, _) = login(&users, "mallory@MONGOAUTH.TEST", &mut Toy::default()).unwrap_err();
        assert!(e.is_authentication_failed());
    });
    assert_no_alloc("a GSS failure keeps its text", || {
        let (e, stage, text) =
            login(&users, USER, &mut Toy { no_ticket: true, ..Toy::default() }).unwrap_err();
        assert!(matches!(e, Error::Gss(_)));
        assert_eq!(stage, Stage::GssInit);
        assert!(text);
    });
    assert_no_alloc("string and binary payloads are echoed in kind", || {
        let mut server = ServerSession::new(&users, [9; 32]).with_gssapi(ToyAcceptor::default());
        let (mut req, mut rep) = ([0u8; BUF], [0u8; BUF]);
        // base64("INIT user@MONGOAUTH.TEST")
        let start = StrCmd { start: true, payload: "SU5JVCB1c2VyQE1PTkdPQVVUSC5URVNU" };
        let n = wire::encode_document(&start, &mut req).unwrap();
        let m = server.handle(&req[..n], &[3; 24], &mut rep).unwrap();
        let d = Document::parse(&rep[..m]).unwrap();
        assert_eq!(d.get_str("payload").unwrap(), "QUNDRVBU"); // base64("ACCEPT")
        let n = wire::encode_document(&StrCmd { start: false, payload: "" }, &mut req).unwrap();
        let m = server.handle(&req[..n], &[3; 24], &mut rep).unwrap();
        let d = Document::parse(&rep[..m]).unwrap();
        assert_eq!(d.get_str("payload").unwrap(), "VwEAAAA="); // base64("W\x01\0\0\0")
        // BinData in, BinData out.
        let n = wire::encode_document(&BinCmd(b"INIT user@MONGOAUTH.TEST"), &mut req).unwrap();
        let m = server.handle(&req[..n], &[3; 24], &mut rep).unwrap();
        let d = Document::parse(&rep[..m]).unwrap();
        assert_eq!(d.get_binary("payload").unwrap().bytes, b"ACCEPT");
    });
}
