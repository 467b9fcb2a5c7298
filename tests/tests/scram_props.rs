//! Properties of the SCRAM layer: our HMAC/PBKDF2 loop agrees with the
//! RustCrypto crates; arbitrary bytes as any message give an error or a
//! result, never a panic; our client and server agree on random credentials;
//! the key cache and the iteration cap work; secrets never reach `Debug`.
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::Error;
use mongoauth::crypto::{HmacKey, ScramHash, hash};
use mongoauth::mech::scram::{
    Client, ClientConfig, ClientMachine, KeyCache, Nonce, Server, Sha1, Sha256, Step,
    StoredCredentials,
};
use proptest::prelude::*;

fn pbkdf2_oracle_256(pw: &[u8], salt: &[u8], i: u32) -> [u8; 32] {
    let mut out = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(pw, salt, i, &mut out);
    out
}

fn pbkdf2_oracle_1(pw: &[u8], salt: &[u8], i: u32) -> [u8; 20] {
    let mut out = [0u8; 20];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(pw, salt, i, &mut out);
    out
}

fn hmac_oracle_256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    use hmac::{KeyInit, Mac};
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().into()
}

fn hmac_oracle_1(key: &[u8], msg: &[u8]) -> [u8; 20] {
    use hmac::{KeyInit, Mac};
    let mut m = <hmac::Hmac<sha1::Sha1> as KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().into()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Keys of every length class (short, block-sized, longer than a block)
    /// and messages crossing block boundaries and the padding edge.
    #[test]
    fn hmac_and_hash_match_rustcrypto(key in proptest::collection::vec(any::<u8>(), 0..200),
                                     msg in proptest::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(HmacKey::<Sha256>::new(&key).mac(&[&msg]), hmac_oracle_256(&key, &msg));
        prop_assert_eq!(HmacKey::<Sha1>::new(&key).mac(&[&msg]), hmac_oracle_1(&key, &msg));
        use sha2::Digest;
        let d: [u8; 32] = sha2::Sha256::digest(&msg).into();
        prop_assert_eq!(hash::<Sha256>(&[&msg]), d);
        // Split input must hash the same as whole input.
        let cut = msg.len() / 3;
        prop_assert_eq!(hash::<Sha256>(&[&msg[..cut], &msg[cut..]]), d);
    }

    #[test]
    fn pbkdf2_matches_rustcrypto(pw in proptest::collection::vec(any::<u8>(), 0..100),
                                 salt in proptest::collection::vec(any::<u8>(), 1..64),
                                 i in 1u32..50) {
        prop_assert_eq!(HmacKey::<Sha256>::new(&pw).pbkdf2(&salt, i), pbkdf2_oracle_256(&pw, &salt, i));
        prop_assert_eq!(HmacKey::<Sha1>::new(&pw).pbkdf2(&salt, i), pbkdf2_oracle_1(&pw, &salt, i));
    }

    /// Any bytes as server-first or server-final: an error or a result, never a panic.
    #[test]
    fn client_survives_arbitrary_server_messages(sf in proptest::collection::vec(any::<u8>(), 0..400),
                                                 fin in proptest::collection::vec(any::<u8>(), 0..200)) {
        let nonce = Nonce::from_text("abcdefgh").unwrap();
        let cfg = ClientConfig { max_iterations: 5000 };
        let c = Client::<Sha256>::start("u", "p", &nonce, &cfg).unwrap();
        let _ = c.clone().handle_server_first(&sf);
        // A structurally valid prefix followed by arbitrary tails.
        let mut valid = b"r=abcdefghXYZ,s=QSXCR+Q6sek8bf92,i=4096".to_vec();
        valid.extend_from_slice(&sf);
        if let Ok(c) = c.handle_server_first(&valid) {
            let _ = c.handle_server_final(&fin);
        }
        let mut m = ClientMachine::new(Client::<Sha1>::start("u", "p", &nonce, &cfg).unwrap());
        let _ = m.step(&sf, None);
        let _ = m.step(&fin, None);
        let _ = m.step(&fin, None);
    }

    /// Any bytes as client-first or client-final: never a panic, never success.
    #[test]
    fn server_survives_arbitrary_client_messages(cf in proptest::collection::vec(any::<u8>(), 0..400),
                                                 fin in proptest::collection::vec(any::<u8>(), 0..300)) {
        let creds = StoredCredentials::<Sha256>::generate("u", "p", &[1; 28], 4096).unwrap();
        if let Ok(r) = Server::<Sha256>::handle_client_first(&cf) {
            let st = r.respond(&creds, &[2; 24]).unwrap();
            prop_assert!(st.handle_client_final(&fin).is_err());
        }
        let r = Server::<Sha256>::handle_client_first(b"n,,n=u,r=abcdefgh").unwrap();
        let st = r.respond(&creds, &[2; 24]).unwrap();
        prop_assert!(st.handle_client_final(&fin).is_err());
    }

    /// Our client and server agree for random usernames and passwords
    /// (printable ASCII: SASLprep's identity range), and a different password fails.
    #[test]
    fn client_and_server_agree(user in "[ -~]{1,40}", pw in "[ -~]{0,40}", other in "[ -~]{0,40}",
                               salt in proptest::collection::vec(any::<u8>(), 1..40)) {
        for (attempt, expect_ok) in [(&pw, true), (&other, other == pw)] {
            prop_assert_eq!(converse::<Sha256>(&user, &pw, attempt, &salt).is_ok(), expect_ok);
            prop_assert_eq!(converse::<Sha1>(&user, &pw, attempt, &salt).is_ok(), expect_ok);
        }
    }
}

/// A full conversation between our client (with `attempt`) and our server
/// (storing `pw`). Iterations at the minimum to keep the property test fast.
fn converse<H: ScramHash>(user: &str, pw: &str, attempt: &str, salt: &[u8]) -> Result<(), Error> {
    let creds = StoredCredentials::<H>::generate(user, pw, salt, 4096)?;
    let nonce = Nonce::from_random(&[9; 24])?;
    let c = Client::<H>::start(user, attempt, &nonce, &ClientConfig::default())?;
    let r = Server::<H>::handle_client_first(c.message())?;
    assert_eq!(r.username(), user);
    let st = r.respond(&creds, &[3; 24])?;
    let c = c.handle_server_first(st.message())?;
    let ok = st.handle_client_final(c.message())?;
    c.handle_server_final(ok.message())?;
    Ok(())
}

#[test]
fn wrong_password_is_authentication_failed() {
    assert_eq!(
        converse::<Sha256>("u", "right", "wrong", b"salt"),
        Err(Error::AuthenticationFailed)
    );
    assert_eq!(
        mongoauth::mech::scram::server_error_value(&Error::AuthenticationFailed),
        "invalid-proof"
    );
}

#[test]
fn iteration_cap_is_enforced() {
    let nonce = Nonce::from_text("abcdefgh").unwrap();
    let cfg = ClientConfig { max_iterations: 10_000 };
    let c = Client::<Sha256>::start("u", "p", &nonce, &cfg).unwrap();
    let e = c.handle_server_first(b"r=abcdefghX,s=QSXCR+Q6sek8bf92,i=10001").unwrap_err();
    assert_eq!(e, Error::IterationCountTooHigh { iterations: 10_001, max: 10_000 });
    let c = Client::<Sha256>::start("u", "p", &nonce, &ClientConfig::default()).unwrap();
    let e = c.handle_server_first(b"r=abcdefghX,s=QSXCR+Q6sek8bf92,i=4294967295").unwrap_err();
    assert!(matches!(e, Error::IterationCountTooHigh { max: 100_000, .. }));
}

#[test]
fn non_ascii_password_without_saslprep_is_an_error_or_prepared() {
    // With the SASLprep feature the password is prepared; an ASCII control
    // character is always prohibited, never sent unprepared.
    let nonce = Nonce::from_text("abcdefgh").unwrap();
    let e = Client::<Sha256>::start("u", "bad\u{7}", &nonce, &ClientConfig::default()).unwrap_err();
    assert!(matches!(e, Error::Saslprep(_)), "{e:?}");
    // SCRAM-SHA-1 never SASLpreps: the MD5 digest takes the raw bytes.
    assert!(Client::<Sha1>::start("u", "bad\u{7}", &nonce, &ClientConfig::default()).is_ok());
}

#[test]
fn key_cache_skips_pbkdf2_and_is_keyed_by_salt_and_mechanism() {
    let cache = KeyCache::<4>::new();
    let nonce = Nonce::from_text("abcdefgh").unwrap();
    let cfg = ClientConfig::default();
    let sf = b"r=abcdefghX,s=QSXCR+Q6sek8bf92,i=4096";
    let a = Client::<Sha256>::start("u", "p", &nonce, &cfg).unwrap();
    let a = a.handle_server_first_cached(sf, &cache).unwrap();
    assert_eq!(cache.len(), 1);
    let b = Client::<Sha256>::start("u", "p", &nonce, &cfg).unwrap();
    let b = b.handle_server_first_cached(sf, &cache).unwrap();
    assert_eq!(a.message(), b.message(), "a cache hit gives the same proof");
    assert_eq!(cache.len(), 1);
    // Another salt, another mechanism, another password: new entries.
    let c = Client::<Sha256>::start("u", "p", &nonce, &cfg).unwrap();
    c.handle_server_first_cached(b"r=abcdefghX,s=QSXCR+Q6sek8bf93,i=4096", &cache).unwrap();
    let d = Client::<Sha1>::start("u", "p", &nonce, &cfg).unwrap();
    d.handle_server_first_cached(sf, &cache).unwrap();
    let e = Client::<Sha256>::start("u", "q", &nonce, &cfg).unwrap();
    let e = e.handle_server_first_cached(sf, &cache).unwrap();
    assert_ne!(e.message(), a.message());
    assert_eq!(cache.len(), 4);
    // Full: the oldest is evicted, the cache stays at capacity.
    let f = Client::<Sha256>::start("u", "r", &nonce, &cfg).unwrap();
    f.handle_server_first_cached(sf, &cache).unwrap();
    assert_eq!(cache.len(), 4);
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn provisioned_keys_log_in_without_the_password() {
    let creds =
        StoredCredentials::<Sha256>::generate("u", "secret", b"0123456789abcdef", 4096).unwrap();
    let nonce = Nonce::from_random(&[5; 24]).unwrap();
    let cfg = ClientConfig::default();
    // First login with the password; export the keys.
    let c = Client::<Sha256>::start("u", "secret", &nonce, &cfg).unwrap();
    let st = Server::<Sha256>::handle_client_first(c.message())
        .unwrap()
        .respond(&creds, &[1; 24])
        .unwrap();
    let c = c.handle_server_first(st.message()).unwrap();
    let ok = st.handle_client_final(c.message()).unwrap();
    let keys = c.handle_server_final(ok.message()).unwrap().keys().clone();
    // Second login from the keys alone.
    let c = Client::<Sha256>::start_with_keys("u", &keys, &nonce, &cfg).unwrap();
    let st = Server::<Sha256>::handle_client_first(c.message())
        .unwrap()
        .respond(&creds, &[2; 24])
        .unwrap();
    let c = c.handle_server_first(st.message()).unwrap();
    let ok = st.handle_client_final(c.message()).unwrap();
    c.handle_server_final(ok.message()).unwrap();
    // Keys for another salt are refused before anything is sent.
    let other =
        StoredCredentials::<Sha256>::generate("u", "secret", b"another salt", 4096).unwrap();
    let c = Client::<Sha256>::start_with_keys("u", &keys, &nonce, &cfg).unwrap();
    let st = Server::<Sha256>::handle_client_first(c.message())
        .unwrap()
        .respond(&other, &[2; 24])
        .unwrap();
    assert_eq!(c.handle_server_first(st.message()).unwrap_err(), Error::KeysDoNotMatchServer);
}

#[test]
fn unknown_user_fails_like_a_wrong_password() {
    let decoy = StoredCredentials::<Sha256>::decoy(b"server secret", "nobody");
    assert_eq!(decoy.salt(), StoredCredentials::<Sha256>::decoy(b"server secret", "nobody").salt());
    let nonce = Nonce::from_random(&[5; 24]).unwrap();
    let c = Client::<Sha256>::start("nobody", "x", &nonce, &ClientConfig::default()).unwrap();
    let st = Server::<Sha256>::handle_client_first(c.message())
        .unwrap()
        .respond(&decoy, &[1; 24])
        .unwrap();
    let c = c.handle_server_first(st.message()).unwrap();
    assert_eq!(st.handle_client_final(c.message()).unwrap_err(), Error::AuthenticationFailed);
}

#[test]
fn channel_binding_requests_are_refused() {
    let e = Server::<Sha256>::handle_client_first(b"p=tls-unique,,n=u,r=abcd").unwrap_err();
    assert_eq!(e, Error::ChannelBindingNotSupported);
    assert!(Server::<Sha256>::handle_client_first(b"y,,n=u,r=abcd").is_ok());
    assert!(Server::<Sha256>::handle_client_first(b"n,a=admin,n=u,r=abcd").is_err());
}

#[test]
fn runtime_machine_walks_the_same_states() {
    let creds = StoredCredentials::<Sha256>::generate("u", "p", b"salt", 4096).unwrap();
    let nonce = Nonce::from_random(&[5; 24]).unwrap();
    let mut m = ClientMachine::new(
        Client::<Sha256>::start("u", "p", &nonce, &ClientConfig::default()).unwrap(),
    );
    let st = Server::<Sha256>::handle_client_first(m.message().unwrap())
        .unwrap()
        .respond(&creds, &[1; 24])
        .unwrap();
    let fin = match m.step(st.message(), None).unwrap() {
        Step::Send(b) => b.to_vec(),
        Step::Done => panic!("not done yet"),
    };
    let ok = st.handle_client_final(&fin).unwrap();
    assert_eq!(m.step(ok.message(), None).unwrap(), Step::Done);
    assert!(m.is_authenticated());
    assert!(matches!(m.step(b"v=x", None), Err(Error::UnexpectedStep { .. })));
}

#[test]
fn secrets_are_redacted_in_debug() {
    let nonce = Nonce::from_text("abcdefgh").unwrap();
    let password = "hunter2-very-secret";
    let c = Client::<Sha256>::start("u", password, &nonce, &ClientConfig::default()).unwrap();
    let c = c.handle_server_first(b"r=abcdefghX,s=QSXCR+Q6sek8bf92,i=4096").unwrap();
    let dbg = format!("{c:?}");
    assert!(!dbg.contains(password));
    assert!(dbg.contains("redacted"));
    let creds = StoredCredentials::<Sha256>::generate("u", password, b"salt", 4096).unwrap();
    let key_hex: String = creds.stored_key().expose().iter().map(|b| format!("{b:02x}")).collect();
    let dbg = format!("{creds:?}");
    assert!(!dbg.contains(&key_hex) && dbg.contains("redacted"), "{dbg}");
    // Errors never carry the password either.
    let e =
        Client::<Sha256>::start("u", "bad\u{7}pass", &nonce, &ClientConfig::default()).unwrap_err();
    assert!(!e.to_string().contains("bad"));
}
