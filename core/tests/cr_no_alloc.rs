//! MONGODB-CR (feature `mongodb-cr`) never allocates: the key, the
//! `getnonce` and `authenticate` parsers, OP_QUERY framing, and the whole sans-I/O
//! conversation between the `Authenticator` and a `ServerSession` (explicit
//! MONGODB-CR, chosen by negotiation at wire version 2, a wrong password and
//! an unknown user), under a counting global allocator.
#![cfg(feature = "mongodb-cr")]
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use alloc_guard::{assert_no_alloc, self_test};
use mongoauth::Error;
use mongoauth::client::{AuthConfig, Authenticator, Credential, Outcome, Step};
use mongoauth::codec::bson::Document;
use mongoauth::codec::wire;
use mongoauth::mech::{Mechanism, cr};
use mongoauth::server::{ServerSession, StaticUsers};

const BUF: usize = 2048;

fn users() -> StaticUsers<1> {
    StaticUsers::new().with_scram_user("app", "alice", "alicepw", &[5; 28]).unwrap()
}

fn login(
    users: &StaticUsers<1>,
    mechanism: Option<Mechanism>,
    user: &str,
    password: &str,
    wire_version: i32,
) -> Result<Outcome, Error> {
    let mut server = ServerSession::new(users, [9; 32])
        .with_mongodb_cr(true)
        .with_max_wire_version(wire_version);
    let cred = Credential::new(mechanism, Some(user), Some(password), "app")?;
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7; 48])?;
    let (mut req, mut rep) = ([0u8; BUF], [0u8; BUF]);
    loop {
        let n = match auth.step() {
            Step::Send(cmd) => wire::encode_document(&cmd, &mut req)?,
            Step::Done(o) => return Ok(o),
            Step::Need(_) => unreachable!(),
        };
        let m = server.handle(&req[..n], &[3; 24], &mut rep)?;
        auth.handle_reply(&rep[..m])?;
    }
}

#[test]
fn mongodb_cr_never_allocates() {
    self_test();
    let users = assert_no_alloc("user setup (with the MONGODB-CR digest)", users);
    assert_no_alloc("the key", || {
        let key = cr::client_key("2375531c32080ae8", "user", "pencil");
        assert_eq!(&key[..], b"21742f26431831d5cfca035a08c5bdf6");
    });
    assert_no_alloc("the parsers", || {
        let mut buf = [0u8; 256];
        let n = wire::encode_document(&cr::GetNonceReply { nonce: "4c980ac90fe62d6c" }, &mut buf)
            .unwrap();
        let doc = Document::parse(&buf[..n]).unwrap();
        assert_eq!(cr::GetNonceReply::parse(doc).unwrap().unwrap().nonce, "4c980ac90fe62d6c");
        let cmd = cr::Authenticate {
            user: "alice",
            nonce: "4c980ac90fe62d6c",
            key: "3087e351eaa38bb8d8d9b059a9a6bc59",
            db: "app",
        };
        let n = wire::encode_document(&cmd, &mut buf).unwrap();
        let doc = Document::parse(&buf[..n]).unwrap();
        assert_eq!(cr::Authenticate::parse(doc, "app").unwrap(), cmd);
        let (mut scratch, mut frame) = ([0u8; 256], [0u8; 256]);
        let n = cr::encode_op_query(1, &cmd, &mut scratch, &mut frame).unwrap();
        assert_eq!(wire::parse_op_query(&frame[..n]).unwrap().db(), "app");
    });
    let mech = Mechanism::MongodbCr;
    let ok = Outcome::Authenticated { mechanism: mech };
    assert_no_alloc("explicit MONGODB-CR", || {
        assert_eq!(login(&users, Some(mech), "alice", "alicepw", 21).unwrap(), ok);
    });
    assert_no_alloc("MONGODB-CR by negotiation at wire version 2", || {
        assert_eq!(login(&users, None, "alice", "alicepw", 2).unwrap(), ok);
    });
    assert_no_alloc("a wrong password (code 18)", || {
        let e = login(&users, Some(mech), "alice", "wrong", 2).unwrap_err();
        assert!(e.is_authentication_failed());
    });
    assert_no_alloc("an unknown user (code 18)", || {
        let e = login(&users, Some(mech), "nobody", "alicepw", 2).unwrap_err();
        assert!(e.is_authentication_failed());
    });
}
