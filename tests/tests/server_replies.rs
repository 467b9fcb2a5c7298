//! No user enumeration through the replies (issue #12 item 5a, 5b): over
//! TCP, against the demo's loopback server (core `ServerSession` +
//! `io::serve`), a known and an unknown user of the same name length get
//! hello / saslStart / saslContinue replies with the same fields, the same
//! types and the same lengths, and equal values wherever the value is not
//! random (the nonce, the salt, `connectionId`). The salts have mongod's
//! lengths (16 bytes for SCRAM-SHA-1, 28 for SCRAM-SHA-256) and are
//! unrelated between the two mechanisms; an unknown name's decoy salt is
//! the same on every connection. In process, a known user that lacks the
//! requested mechanism is answered like an unknown one.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64ct::{Base64, Encoding};
use bson::{Bson, Document, doc};
use mongoauth::codec::wire;
use mongoauth::mech::Mechanism;
use mongoauth::mech::scram::AnyStoredCredentials;
use mongoauth::server::{ServerSession, StaticUsers, UserStore};
use mongoauth_demo::LoopbackServer;

const KNOWN: &str = "alice";
const UNKNOWN: &str = "zelda";
const MECHS: [&str; 2] = ["SCRAM-SHA-1", "SCRAM-SHA-256"];

fn bin(bytes: &[u8]) -> Bson {
    Bson::Binary(bson::Binary {
        subtype: bson::spec::BinarySubtype::Generic,
        bytes: bytes.to_vec(),
    })
}

struct Conn {
    stream: TcpStream,
    next_id: i32,
}

impl Conn {
    fn open(server: &LoopbackServer) -> Self {
        let stream = TcpStream::connect(server.addr()).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        Conn { stream, next_id: 1 }
    }

    fn command(&mut self, cmd: &Document) -> Document {
        let body = bson::to_vec(cmd).unwrap();
        let doc = mongoauth::codec::bson::Document::parse(&body).unwrap();
        let mut frame = vec![0u8; body.len() + 64];
        let n = wire::encode_op_msg(self.next_id, 0, doc, &mut frame).unwrap();
        self.next_id += 1;
        self.stream.write_all(&frame[..n]).unwrap();
        let mut header = [0u8; wire::HEADER_LEN];
        self.stream.read_exact(&mut header).unwrap();
        let len = wire::frame_len(&header).unwrap();
        let mut reply = header.to_vec();
        reply.resize(len, 0);
        self.stream.read_exact(&mut reply[wire::HEADER_LEN..]).unwrap();
        let msg = wire::parse_op_msg(&reply).unwrap();
        Document::from_reader(&mut msg.body.as_bytes()).unwrap()
    }
}

fn client_first(user: &str) -> Vec<u8> {
    format!("n,,n={user},r=rOprNGfwEbeRWgbNEkqO").into_bytes()
}

fn hello(user: &str) -> Document {
    doc! {
        "hello": 1,
        "saslSupportedMechs": format!("admin.{user}"),
        "speculativeAuthenticate": {
            "saslStart": 1, "mechanism": "SCRAM-SHA-256", "payload": bin(&client_first(user)),
            "db": "admin",
        },
        "$db": "admin",
    }
}

fn sasl_start(mech: &str, user: &str) -> Document {
    doc! {
        "saslStart": 1, "mechanism": mech, "payload": bin(&client_first(user)),
        "options": { "skipEmptyExchange": true }, "$db": "admin",
    }
}

/// A client-final-message with the server's nonce and a wrong proof of the
/// mechanism's digest length.
fn sasl_continue(server_first: &Attrs, digest_len: usize) -> Document {
    let proof = Base64::encode_string(&vec![0x42; digest_len]);
    let payload = format!("c=biws,r={},p={proof}", server_first.get('r'));
    doc! { "saslContinue": 1, "conversationId": 1, "payload": bin(payload.as_bytes()), "$db": "admin" }
}

/// A SCRAM message's attributes, in order.
#[derive(Debug, PartialEq)]
struct Attrs(Vec<(char, String)>);

impl Attrs {
    fn parse(payload: &[u8]) -> Self {
        let text = std::str::from_utf8(payload).unwrap();
        Attrs(
            text.split(',')
                .map(|a| (a.chars().next().unwrap(), a.get(2..).unwrap_or_default().to_string()))
                .collect(),
        )
    }
    fn get(&self, k: char) -> &str {
        &self.0.iter().find(|(key, _)| *key == k).unwrap().1
    }
    fn salt(&self) -> Vec<u8> {
        Base64::decode_vec(self.get('s')).unwrap()
    }
}

fn payload(doc: &Document) -> Vec<u8> {
    match doc.get("payload") {
        Some(Bson::Binary(b)) => b.bytes.clone(),
        other => panic!("no payload in {doc:?} ({other:?})"),
    }
}

/// Fields whose values are random per connection or per conversation: only
/// their shape must match.
const RANDOM: [&str; 2] = ["connectionId", "payload"];

/// Compare two replies: the same keys in the same order, the same BSON
/// types, the same lengths for strings and binaries, and the same values
/// except in [`RANDOM`] fields (payloads are compared attribute by
/// attribute: same attributes, same lengths, same values but for the
/// nonce `r` and the salt `s`).
fn same_shape(what: &str, a: &Document, b: &Document) {
    let keys = |d: &Document| d.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(a), keys(b), "{what}: different fields");
    for (k, va) in a {
        let vb = b.get(k).unwrap();
        assert_eq!(va.element_type(), vb.element_type(), "{what}: {k} has different types");
        match (va, vb) {
            (Bson::Document(da), Bson::Document(db)) => same_shape(&format!("{what}.{k}"), da, db),
            (Bson::Binary(ba), Bson::Binary(bb)) if k == "payload" => {
                assert_eq!(ba.subtype, bb.subtype);
                let (pa, pb) = (Attrs::parse(&ba.bytes), Attrs::parse(&bb.bytes));
                assert_eq!(pa.0.len(), pb.0.len(), "{what}: payload attributes");
                for ((ka, xa), (kb, xb)) in pa.0.iter().zip(&pb.0) {
                    assert_eq!(ka, kb, "{what}: payload attribute order");
                    assert_eq!(xa.len(), xb.len(), "{what}: payload {ka}= lengths");
                    if !matches!(ka, 'r' | 's') {
                        assert_eq!(xa, xb, "{what}: payload {ka}= values");
                    }
                }
            }
            (Bson::String(sa), Bson::String(sb)) => {
                assert_eq!(sa.len(), sb.len(), "{what}: {k} lengths");
                if !RANDOM.contains(&k.as_str()) {
                    assert_eq!(sa, sb, "{what}: {k} values");
                }
            }
            (Bson::Array(xa), Bson::Array(xb)) => assert_eq!(xa, xb, "{what}: {k} values"),
            _ if RANDOM.contains(&k.as_str()) => {}
            _ => assert_eq!(va, vb, "{what}: {k} values"),
        }
    }
}

/// Everything one user sees on one connection.
struct Seen {
    hello: Document,
    starts: Vec<Document>,
    continues: Vec<Document>,
}

fn converse(server: &LoopbackServer, user: &str) -> Seen {
    let mut c = Conn::open(server);
    let hello = c.command(&hello(user));
    let mut starts = Vec::new();
    let mut continues = Vec::new();
    for (mech, digest_len) in MECHS.iter().zip([20, 32]) {
        let start = c.command(&sasl_start(mech, user));
        let fin = c.command(&sasl_continue(&Attrs::parse(&payload(&start)), digest_len));
        starts.push(start);
        continues.push(fin);
    }
    Seen { hello, starts, continues }
}

#[test]
fn known_and_unknown_users_get_the_same_replies_over_tcp() {
    let server =
        LoopbackServer::start(&[("admin", KNOWN, "pencil"), ("test", "bob", "x")], 0).unwrap();
    let known = converse(&server, KNOWN);
    let unknown = converse(&server, UNKNOWN);
    let unknown_again = converse(&server, UNKNOWN);
    let mut n = 0;

    // hello: saslSupportedMechs present for both, the same list; a
    // speculative server-first-message for both.
    assert_eq!(
        known.hello.get_array("saslSupportedMechs").unwrap(),
        &vec![Bson::from("SCRAM-SHA-1"), Bson::from("SCRAM-SHA-256")]
    );
    same_shape("hello", &known.hello, &unknown.hello);
    n += 1;
    let spec =
        |s: &Seen| Attrs::parse(&payload(s.hello.get_document("speculativeAuthenticate").unwrap()));
    assert_eq!(spec(&known).salt().len(), 28);
    assert_eq!(spec(&unknown).salt().len(), 28);

    for (i, (mech, salt_len, iterations)) in
        [("SCRAM-SHA-1", 16, "10000"), ("SCRAM-SHA-256", 28, "15000")].into_iter().enumerate()
    {
        same_shape(&format!("saslStart {mech}"), &known.starts[i], &unknown.starts[i]);
        same_shape(&format!("saslContinue {mech}"), &known.continues[i], &unknown.continues[i]);
        assert_eq!(known.continues[i].get_i32("code").unwrap(), 18);
        n += 2;
        for (who, seen) in [("known", &known), ("unknown", &unknown)] {
            let first = Attrs::parse(&payload(&seen.starts[i]));
            assert_eq!(first.salt().len(), salt_len, "{who} {mech} salt length");
            assert_eq!(first.get('i'), iterations, "{who} {mech} iterations");
        }
        // The decoy is stable across connections (a real salt is too).
        let salt = |s: &Seen| Attrs::parse(&payload(&s.starts[i])).salt();
        assert_eq!(salt(&unknown), salt(&unknown_again), "{mech}: decoy salt changed");
        n += 1;
    }
    // The speculative step and saslStart agree on the SCRAM-SHA-256 salt.
    let salt256 = |s: &Seen| Attrs::parse(&payload(&s.starts[1])).salt();
    assert_eq!(spec(&known).salt(), salt256(&known));
    assert_eq!(spec(&unknown).salt(), salt256(&unknown));
    // Salts unrelated between mechanisms, for both: the SHA-1 salt is not a
    // prefix (or any part) of the SHA-256 one.
    for (who, seen) in [("known", &known), ("unknown", &unknown)] {
        let (s1, s256) = (Attrs::parse(&payload(&seen.starts[0])).salt(), salt256(seen));
        assert!(!s256.windows(4).any(|w| s1.windows(4).any(|v| v == w)), "{who}: related salts");
        n += 1;
    }
    println!("reply equality over TCP, known vs unknown user: {n} checks passed, 0 failed");
}

/// A store whose user `alice` has SCRAM-SHA-256 credentials only.
struct Sha256Only(StaticUsers<2>);

impl UserStore for Sha256Only {
    fn scram_credentials(
        &self,
        db: &str,
        user: &str,
        mechanism: Mechanism,
    ) -> Option<AnyStoredCredentials> {
        match mechanism {
            Mechanism::ScramSha256 => self.0.scram_credentials(db, user, mechanism),
            _ => None,
        }
    }
}

#[test]
fn a_known_user_without_the_mechanism_is_answered_like_an_unknown_one() {
    let users =
        Sha256Only(StaticUsers::new().with_scram_user("admin", KNOWN, "pencil", &[4; 28]).unwrap());
    let mut session = ServerSession::new(&users, [0x33; 32]);
    let mut out = vec![0u8; 4096];
    let mut run = |cmd: &Document| {
        let body = bson::to_vec(cmd).unwrap();
        let n = session.handle(&body, &[0x44; 24], &mut out).unwrap();
        Document::from_reader(&mut &out[..n]).unwrap()
    };
    let mut seen = Vec::new();
    for user in [KNOWN, UNKNOWN] {
        let start = run(&sasl_start("SCRAM-SHA-1", user));
        let first = Attrs::parse(&payload(&start));
        assert_eq!(first.salt().len(), 16, "{user}");
        assert_eq!(first.get('i'), "10000", "{user}");
        let fin = run(&sasl_continue(&first, 20));
        // mongod answers 334 (MechanismUnavailable) here; we answer 18.
        assert_eq!(fin.get_i32("code").unwrap(), 18, "{user}: {fin:?}");
        seen.push((start, fin));
    }
    same_shape("saslStart (missing mechanism)", &seen[0].0, &seen[1].0);
    same_shape("saslContinue (missing mechanism)", &seen[0].1, &seen[1].1);
    // Its hello lists what it has (so drivers pick SCRAM-SHA-256).
    let h = run(&doc! { "hello": 1, "saslSupportedMechs": "admin.alice", "$db": "admin" });
    assert_eq!(h.get_array("saslSupportedMechs").unwrap(), &vec![Bson::from("SCRAM-SHA-256")]);
}
