//! The default build never allocates: a full SCRAM client and server
//! conversation, with the key cache and the runtime machine, under a counting
//! global allocator.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use alloc_guard::{assert_no_alloc, self_test};
use mongoauth::mech::scram::{
    Client, ClientConfig, ClientMachine, KeyCache, Nonce, ScramHash, Server, Sha256,
    StoredCredentials,
};

fn full_conversation<H: ScramHash>() {
    let cache = KeyCache::<2>::new();
    let creds = StoredCredentials::<H>::generate("user", "pencil", &[7; 28], 4096).unwrap();
    let nonce = Nonce::from_random(&[1; 24]).unwrap();
    let c = Client::<H>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap();
    let st =
        Server::<H>::handle_client_first(c.message()).unwrap().respond(&creds, &[2; 24]).unwrap();
    let c = c.handle_server_first_cached(st.message(), &cache).unwrap();
    let ok = st.handle_client_final(c.message()).unwrap();
    let done = c.handle_server_final(ok.message()).unwrap();
    assert_eq!(done.keys().iterations, 4096);
    // The runtime machine, with a cache hit this time.
    let mut m = ClientMachine::new(
        Client::<H>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap(),
    );
    let st = Server::<H>::handle_client_first(m.message().unwrap())
        .unwrap()
        .respond(&creds, &[3; 24])
        .unwrap();
    m.step(st.message(), Some(&cache)).unwrap();
    let ok = st.handle_client_final(m.message().unwrap()).unwrap();
    m.step(ok.message(), Some(&cache)).unwrap();
    assert!(m.is_authenticated());
    // Errors are built without allocating too.
    let bad = Client::<H>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap();
    assert!(bad.handle_server_first(b"r=x,s=!!,i=1").is_err());
}

/// Refusing hostile server-finals, and typing an `e=` value, allocate
/// nothing either.
#[test]
fn hostile_server_finals_do_not_allocate() {
    use mongoauth::Error;
    use mongoauth::mech::scram::{ServerErrorKind, parse_server_final};
    const V: &str = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    assert_no_alloc("hostile server-finals", || {
        for tail in [",e=other-error", ",m=ext", ",v=AAAA", ",x=\u{0}", ",x=ok"] {
            let mut m = heapless::String::<128>::new();
            m.push_str(V).unwrap();
            m.push_str(tail).unwrap();
            let r = parse_server_final(m.as_bytes());
            assert_eq!(r.is_ok(), tail == ",x=ok", "{tail}");
        }
        match parse_server_final(b"e=no-resources,x=1") {
            Err(Error::ServerError(t)) => assert_eq!(t.kind(), ServerErrorKind::NoResources),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn guard_sees_allocations() {
    self_test();
}

#[test]
fn scram_sha256_conversation_does_not_allocate() {
    assert_no_alloc("SCRAM-SHA-256 conversation", full_conversation::<Sha256>);
}

#[cfg(feature = "sha1")]
#[test]
fn scram_sha1_conversation_does_not_allocate() {
    assert_no_alloc("SCRAM-SHA-1 conversation", full_conversation::<mongoauth::mech::scram::Sha1>);
}
