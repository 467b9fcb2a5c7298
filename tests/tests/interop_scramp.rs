//! Interop with an independent SCRAM implementation, `scramp` (PyPI), in
//! both directions and for both hashes: our client against its server and
//! its client against our server, with right and wrong passwords and a
//! tampered server signature.
//!
//! scramp implements generic RFC 5802 SCRAM, so for MongoDB's SCRAM-SHA-1 it
//! is given the MD5-prepared password `hex(MD5(user:mongo:password))`.
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::Error;
use mongoauth::crypto::mongodb_sha1_password_digest;
use mongoauth::mech::scram::{
    Client, ClientConfig, Nonce, ScramHash, Server, Sha1, Sha256, StoredCredentials,
};
use mongoauth_tests::{LinePeer, PeerLine};

/// What scramp must be told the password is, for MongoDB semantics.
fn scramp_password<H: ScramHash>(user: &str, password: &str) -> String {
    if H::MD5_PASSWORD_DIGEST {
        let mut hex = [0u8; 32];
        mongodb_sha1_password_digest(user, password.as_bytes(), &mut hex);
        String::from_utf8(hex.to_vec()).unwrap()
    } else {
        password.to_string()
    }
}

/// Our client against the scramp server; returns our client's verdict and the server's last line.
fn our_client<H: ScramHash>(
    user: &str,
    server_pw: &str,
    client_pw: &str,
    tamper: bool,
) -> (Result<(), Error>, PeerLine) {
    let pw = scramp_password::<H>(user, server_pw);
    let mut args = vec!["server", H::MECHANISM, user, &pw, "4096"];
    if tamper {
        args.push("tamper");
    }
    let mut peer = LinePeer::python("scramp_peer.py", &args);
    let nonce = Nonce::generate().unwrap();
    let c = Client::<H>::start(user, client_pw, &nonce, &ClientConfig::default()).unwrap();
    peer.send(c.message());
    let c = c.handle_server_first(&peer.recv_msg()).unwrap();
    peer.send(c.message());
    let fin = peer.recv_msg();
    let verdict = c.handle_server_final(&fin).map(drop);
    (verdict, peer.recv())
}

/// The scramp client against our server; returns our server's verdict and the client's last line.
fn their_client<H: ScramHash>(
    user: &str,
    server_pw: &str,
    client_pw: &str,
) -> (Result<(), Error>, PeerLine) {
    let creds =
        StoredCredentials::<H>::generate(user, server_pw, &[0x5a; 16], H::DEFAULT_ITERATIONS)
            .unwrap();
    let pw = scramp_password::<H>(user, client_pw);
    let mut peer = LinePeer::python("scramp_peer.py", &["client", H::MECHANISM, user, &pw]);
    let received = Server::<H>::handle_client_first(&peer.recv_msg()).unwrap();
    assert_eq!(received.username(), user);
    let st = received.respond(&creds, &[0x33; 24]).unwrap();
    peer.send(st.message());
    match st.handle_client_final(&peer.recv_msg()) {
        Ok(ok) => {
            peer.send(ok.message());
            (Ok(()), peer.recv())
        }
        Err(e) => {
            let reply = format!("e={}", mongoauth::mech::scram::server_error_value(&e));
            peer.send(reply.as_bytes());
            (Err(e), peer.recv())
        }
    }
}

fn both_directions<H: ScramHash>() -> usize {
    let mut n = 0;
    // Right password.
    let (v, line) = our_client::<H>("alice", "pencil", "pencil", false);
    assert_eq!((v, line), (Ok(()), PeerLine::Ok), "{}: our client, right password", H::MECHANISM);
    n += 1;
    // Wrong password: the scramp server refuses with e=invalid-proof, which we surface.
    let (v, line) = our_client::<H>("alice", "pencil", "wrong", false);
    match v {
        Err(Error::ServerError(t)) => assert_eq!(t.as_str(), "invalid-proof"),
        other => panic!("{}: expected e=invalid-proof, got {other:?}", H::MECHANISM),
    }
    assert!(matches!(line, PeerLine::Err(_)));
    n += 1;
    // Tampered server signature: the server accepted us, but we must refuse it.
    let (v, _) = our_client::<H>("alice", "pencil", "pencil", true);
    assert_eq!(v, Err(Error::ServerSignatureMismatch), "{}: tampered signature", H::MECHANISM);
    n += 1;
    // The other way round.
    let (v, line) = their_client::<H>("bob", "s3cret pass", "s3cret pass");
    assert_eq!(
        (v, line),
        (Ok(()), PeerLine::Ok),
        "{}: scramp client, right password",
        H::MECHANISM
    );
    n += 1;
    let (v, line) = their_client::<H>("bob", "s3cret pass", "not it");
    assert_eq!(v, Err(Error::AuthenticationFailed));
    assert!(matches!(line, PeerLine::Err(_)), "scramp must see the server's error, got {line:?}");
    n += 1;
    n
}

#[test]
fn scramp_interop_sha256() {
    let n = both_directions::<Sha256>();
    println!("scramp interop SCRAM-SHA-256: {n} passed, 0 failed");
}

#[test]
fn scramp_interop_sha1() {
    let n = both_directions::<Sha1>();
    println!("scramp interop SCRAM-SHA-1: {n} passed, 0 failed");
}
