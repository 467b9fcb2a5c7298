//! Every case of `scram-vectors.json`: the RFC 5802 and RFC 7677 exchanges,
//! the MongoDB auth spec's conversations, the constructed negative cases and
//! the username / MD5 digest cases, for our client and our server.
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::Error;
use mongoauth::crypto::mongodb_sha1_password_digest;
use mongoauth::mech::scram::{
    Client, ClientConfig, ExpectServerFirst, Nonce, ScramHash, Server, Sha1, Sha256,
    StoredCredentials,
};
use mongoauth_tests::spec_json;
use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("missing string {k}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

const INTERMEDIATES: &str =
    "derived_intermediates (computed by this project, not printed in the source)";

/// Start the client as the vector says: RFC vectors feed `Hi()` directly,
/// MongoDB vectors go through MongoDB's password preparation.
fn start<H: ScramHash>(v: &Value) -> ExpectServerFirst<H> {
    let nonce = Nonce::from_text(s(v, "client_nonce")).unwrap();
    let cfg = ClientConfig::default();
    if s(v, "id").starts_with("mongodb") {
        Client::<H>::start(s(v, "username"), s(v, "password"), &nonce, &cfg).unwrap()
    } else {
        let p = s(v, "password_input_to_Hi").as_bytes();
        Client::<H>::start_with_prepared_password(s(v, "username"), p, &nonce, &cfg).unwrap()
    }
}

fn run_vector<H: ScramHash>(v: &Value) {
    let id = s(v, "id");
    let m = &v["messages"];
    let inter = &v[INTERMEDIATES];

    // Client side.
    let c = start::<H>(v);
    assert_eq!(c.message(), s(m, "client_first").as_bytes(), "{id}: client-first");
    let c = c.handle_server_first(s(m, "server_first").as_bytes()).unwrap();
    assert_eq!(c.message(), s(m, "client_final").as_bytes(), "{id}: client-final");
    let done = c.handle_server_final(s(m, "server_final").as_bytes()).unwrap();
    assert_eq!(hex(done.keys().client_key.expose()), s(inter, "client_key_hex"), "{id}: ClientKey");
    assert_eq!(hex(done.keys().server_key.expose()), s(inter, "server_key_hex"), "{id}: ServerKey");

    // Server side, from stored credentials derived like createUser.
    let salt = unhex(s(inter, "salt_hex"));
    let iterations = inter["iterations"].as_u64().unwrap() as u32;
    let creds = StoredCredentials::<H>::from_prepared_password(
        s(v, "password_input_to_Hi").as_bytes(),
        &salt,
        iterations,
    )
    .unwrap();
    assert_eq!(hex(creds.stored_key().expose()), s(inter, "stored_key_hex"), "{id}: StoredKey");
    let cfirst = s(m, "client_first");
    let r = Server::<H>::handle_client_first(cfirst.as_bytes()).unwrap();
    assert_eq!(r.username(), s(v, "username"));
    let client_nonce = s(v, "client_nonce");
    let combined = s(inter, "combined_nonce");
    let snonce = Nonce::from_text(&combined[client_nonce.len()..]).unwrap();
    let st = r.respond_with_nonce(&creds, &snonce).unwrap();
    assert_eq!(st.message(), s(m, "server_first").as_bytes(), "{id}: server-first");
    let ok = st.handle_client_final(s(m, "client_final").as_bytes()).unwrap();
    assert_eq!(ok.message(), s(m, "server_final").as_bytes(), "{id}: server-final");
}

#[test]
fn published_exchanges() {
    let data = spec_json("scram-vectors.json");
    let vectors = data["vectors"].as_array().unwrap();
    let mut ran = 0;
    for v in vectors {
        match s(v, "hash") {
            "SCRAM-SHA-1" => run_vector::<Sha1>(v),
            "SCRAM-SHA-256" => run_vector::<Sha256>(v),
            other => panic!("unknown hash {other}"),
        }
        ran += 1;
    }
    assert_eq!(ran, 4);
    println!("scram-vectors.json vectors: {ran} ran, {ran} passed");
}

#[test]
fn mongodb_sha1_password_input() {
    let data = spec_json("scram-vectors.json");
    for v in data["vectors"].as_array().unwrap() {
        if s(v, "id") == "mongodb-spec-scram-sha-1" {
            let mut out = [0u8; 32];
            mongodb_sha1_password_digest(s(v, "username"), s(v, "password").as_bytes(), &mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), s(v, "password_input_to_Hi"));
        }
    }
}

/// The RFC 7677 client, ready for a server-first-message.
fn rfc7677_client() -> ExpectServerFirst<Sha256> {
    let nonce = Nonce::from_text("rOprNGfwEbeRWgbNEkqO").unwrap();
    Client::<Sha256>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap()
}

const RFC7677_SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

#[test]
fn negative_cases() {
    let data = spec_json("scram-vectors.json");
    let cases = data["negative_cases"].as_array().unwrap();
    let mut ran = 0;
    for case in cases {
        let id = s(case, "id");
        let result: Result<(), Error> = match id {
            "neg-wrong-server-signature" | "neg-server-error-attribute" => rfc7677_client()
                .handle_server_first(RFC7677_SERVER_FIRST.as_bytes())
                .unwrap()
                .handle_server_final(s(case, "server_final").as_bytes())
                .map(drop),
            "neg-done-before-proof" => {
                // The SCRAM layer reports success only after `v=` verifies:
                // a server that says "done" without it leaves the runtime
                // machine unauthenticated, and an empty final message fails.
                let mut m = mongoauth::mech::scram::ClientMachine::new(rfc7677_client());
                assert!(!m.is_authenticated());
                m.step(RFC7677_SERVER_FIRST.as_bytes(), None).unwrap();
                assert!(!m.is_authenticated());
                m.step(b"", None).map(drop)
            }
            _ => rfc7677_client().handle_server_first(s(case, "server_first").as_bytes()).map(drop),
        };
        let expect_ok = id == "neg-iteration-count-at-minimum";
        match (&result, id) {
            (Ok(()), _) if expect_ok => {}
            (
                Err(Error::IterationCountTooLow { iterations: 4095 }),
                "neg-iteration-count-below-minimum",
            ) => {}
            (Err(Error::NonceMismatch), "neg-server-nonce-does-not-extend-client-nonce") => {}
            (Err(Error::NonceMismatch), "neg-server-nonce-equals-client-nonce") => {}
            (Err(Error::ServerSignatureMismatch), "neg-wrong-server-signature") => {}
            (Err(Error::ServerError(t)), "neg-server-error-attribute") => {
                assert_eq!(t.as_str(), "invalid-proof")
            }
            (Err(Error::MandatoryExtension), "neg-mandatory-extension") => {}
            (Err(Error::Malformed { .. }), "neg-done-before-proof") => {}
            _ => panic!("{id}: unexpected result {result:?}"),
        }
        ran += 1;
    }
    println!("scram-vectors.json negative cases: {ran} ran, {ran} passed");
    assert_eq!(ran, cases.len());
}

#[test]
fn username_and_digest_cases() {
    let data = spec_json("scram-vectors.json");
    let cases = data["username_and_digest_cases"].as_array().unwrap();
    for case in cases {
        let user = s(case, "username");
        if let Some(prefix) = case["client_first_bare_prefix"].as_str() {
            let nonce = Nonce::from_random(&[1; 24]).unwrap();
            let c =
                Client::<Sha256>::start(user, "pencil", &nonce, &ClientConfig::default()).unwrap();
            assert!(c.message()[3..].starts_with(prefix.as_bytes()), "{}", s(case, "id"));
            // The server decodes the escape back to the raw name.
            let r = Server::<Sha256>::handle_client_first(c.message()).unwrap();
            assert_eq!(r.username(), user);
        }
        if let Some(expected) = case["mongodb_sha1_password_input"].as_str() {
            let mut out = [0u8; 32];
            mongodb_sha1_password_digest(user, s(case, "password").as_bytes(), &mut out);
            assert_eq!(std::str::from_utf8(&out).unwrap(), expected, "{}", s(case, "id"));
        }
    }
    println!("scram-vectors.json username/digest cases: {0} ran, {0} passed", cases.len());
}
