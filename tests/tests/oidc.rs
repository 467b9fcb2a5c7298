//! MONGODB-OIDC: the spec's byte-exact one-step and two-step vectors, IdpInfo
//! parsing, ALLOWED_HOSTS, the machine-flow retry table, the token cache's
//! compare-and-swap invalidation, callback spacing and timeouts, protocol
//! faults, secrecy of tokens, and property tests on untrusted input.
#![allow(clippy::unwrap_used, missing_docs)]

use base64ct::{Base64, Encoding};
use mongoauth::Error;
use mongoauth::codec::bson::{BsonError, DocWriter, Document};
use mongoauth::codec::wire::{self, ConversationId, SaslReply, WireError, WriteBody};
use mongoauth::mech::oidc::{
    self, CallbackSpacing, Conversation, DEFAULT_ALLOWED_HOSTS, IdpInfo, MachineFlow,
    RetryDecision, Step, TokenCache, allowed_host, check_allowed_host, jwt_payload, retry_decision,
    username_payload,
};
use mongoauth_tests::spec_json;
use proptest::prelude::*;
use serde_json::Value as Json;

// ---------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------

fn b64(s: &str) -> Vec<u8> {
    Base64::decode_vec(s).unwrap()
}

fn payload_of(cmd: &Json) -> Vec<u8> {
    b64(cmd["payload"]["$binary"]["base64"].as_str().unwrap())
}

/// Extended JSON (as in the vector file) to BSON bytes, through the
/// independent `bson` crate.
fn json_doc(v: &Json) -> Vec<u8> {
    let b = bson::Bson::try_from(v.clone()).unwrap();
    let bson::Bson::Document(d) = b else { panic!("not a document: {v}") };
    bson::to_vec(&d).unwrap()
}

/// Our command bytes, read back by the independent `bson` crate.
fn as_bson(body: &impl WriteBody) -> bson::Document {
    let mut buf = vec![0u8; 4096];
    let n = wire::encode_document(body, &mut buf).unwrap();
    bson::from_slice(&buf[..n]).unwrap()
}

fn doc(f: impl FnOnce(&mut DocWriter<'_>)) -> Vec<u8> {
    let mut buf = vec![0u8; 4096];
    let mut w = DocWriter::new(&mut buf);
    f(&mut w);
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn reply(id: i32, done: bool, payload: &[u8]) -> SaslReply<'_> {
    SaslReply { conversation_id: ConversationId::Int32(id), done, payload }
}

fn oidc_vectors() -> Json {
    spec_json("mechanism-vectors.json")["MONGODB-OIDC"].clone()
}

// ---------------------------------------------------------------------------
// spec vectors
// ---------------------------------------------------------------------------

#[test]
fn one_step_vector_is_byte_exact() {
    let v = oidc_vectors();
    let case = &v["one_step"];
    let token = case["payload_decoded"]["jwt"].as_str().unwrap();
    assert_eq!(token, "abcd1234");

    let mut conv = Conversation::one_step();
    let mut out = [0u8; 256];
    assert_eq!(conv.start(Some("ignored"), &mut out).unwrap(), Step::NeedToken { idp_info: None });
    let Step::SaslStart { len } = conv.provide_token(token, &mut out).unwrap() else {
        panic!("expected saslStart")
    };
    assert_eq!(&out[..len], &payload_of(&case["cmd"])[..]);
    assert_eq!(Base64::encode_string(&out[..len]), "FwAAAAJqd3QACQAAAGFiY2QxMjM0AAA=");

    // The command's fields are the vector's (it has `db`: the speculative form).
    let cmd = oidc::sasl_start(&out[..len]);
    let ours = as_bson(&cmd);
    assert_eq!(ours.get_i32("saslStart").unwrap(), 1);
    assert_eq!(ours.get_str("mechanism").unwrap(), case["cmd"]["mechanism"].as_str().unwrap());
    assert_eq!(ours.get_str("$db").unwrap(), case["cmd"]["db"].as_str().unwrap());
    assert!(!ours.contains_key("options"));
    let mut spec = vec![0u8; 256];
    let mut w = DocWriter::new(&mut spec);
    oidc::speculative_sasl_start(&out[..len]).write(&mut w);
    let n = w.finish().unwrap();
    let spec: bson::Document = bson::from_slice(&spec[..n]).unwrap();
    let expected: bson::Document = bson::from_slice(&json_doc(&case["cmd"])).unwrap();
    for (k, val) in &expected {
        assert_eq!(spec.get(k), Some(val), "speculative field {k}");
    }

    let body = json_doc(&case["reply"]);
    assert_eq!(conv.handle_reply_body(&body).unwrap(), Step::Done);
    assert!(conv.is_done());
}

#[test]
fn two_step_vectors_are_byte_exact() {
    let v = oidc_vectors();
    let steps = v["two_step"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    let mut conv = Conversation::two_step();
    let mut out = [0u8; 256];

    // 1. saslStart {n: "myidp"}
    let user = steps[0]["payload_decoded"]["n"].as_str().unwrap();
    let Step::SaslStart { len } = conv.start(Some(user), &mut out).unwrap() else {
        panic!("expected saslStart")
    };
    assert_eq!(&out[..len], &payload_of(&steps[0]["cmd"])[..]);
    assert_eq!(Base64::encode_string(&out[..len]), "EgAAAAJuAAYAAABteWlkcAAA");
    let ours = as_bson(&oidc::sasl_start(&out[..len]));
    assert_eq!(ours.get_str("mechanism").unwrap(), "MONGODB-OIDC");
    assert_eq!(ours.get_str("$db").unwrap(), "$external");

    // 2. IdpInfo, done:false
    let body = json_doc(&steps[1]["reply"]);
    let step = conv.handle_reply_body(&body).unwrap();
    let Step::NeedToken { idp_info: Some(info) } = step else { panic!("expected IdpInfo") };
    let dec = &steps[1]["payload_decoded"];
    assert_eq!(info.issuer(), dec["issuer"].as_str().unwrap());
    assert_eq!(info.client_id(), dec["clientId"].as_str());
    let scopes: Vec<&str> = info.request_scopes().collect();
    let want: Vec<&str> =
        dec["requestScopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(scopes, want);
    assert!(info.has_request_scopes());

    // 3. saslContinue {jwt}
    let token = steps[2]["payload_decoded"]["jwt"].as_str().unwrap();
    let Step::SaslContinue { conversation_id, len } = conv.provide_token(token, &mut out).unwrap()
    else {
        panic!("expected saslContinue")
    };
    assert_eq!(conversation_id, ConversationId::Int32(1));
    assert_eq!(&out[..len], &payload_of(&steps[2]["cmd"])[..]);
    let ours = as_bson(&oidc::sasl_continue(conversation_id, &out[..len]));
    let expected: bson::Document = bson::from_slice(&json_doc(&steps[2]["cmd"])).unwrap();
    assert_eq!(ours.get("saslContinue"), expected.get("saslContinue"));
    assert_eq!(ours.get("conversationId"), expected.get("conversationId"));
    assert_eq!(ours.get("payload"), expected.get("payload"));
    assert_eq!(ours.get_str("$db").unwrap(), "$external");

    // 4. done:true
    let body = json_doc(&steps[3]["reply"]);
    assert_eq!(conv.handle_reply_body(&body).unwrap(), Step::Done);
}

#[test]
fn principal_without_username_is_empty_document() {
    let v = oidc_vectors();
    let case = &v["principal_step_without_username"];
    let mut out = [0u8; 16];
    let n = username_payload(None, &mut out).unwrap();
    assert_eq!(Base64::encode_string(&out[..n]), case["payload_bson_b64"].as_str().unwrap());
    let mut conv = Conversation::two_step();
    assert_eq!(conv.start(None, &mut out).unwrap(), Step::SaslStart { len: 5 });
}

#[test]
fn defaults_match_vector_file() {
    let v = oidc_vectors();
    let list: Vec<&str> = v["ALLOWED_HOSTS_default"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(list, DEFAULT_ALLOWED_HOSTS);
    assert_eq!(v["callback_api_version"].as_u64(), Some(u64::from(oidc::CALLBACK_API_VERSION)));
    let t = &v["timeouts"];
    assert_eq!(
        t["machine_callback_without_CSOT_ms"].as_u64(),
        Some(oidc::MACHINE_CALLBACK_TIMEOUT_MS)
    );
    assert_eq!(t["human_callback_ms"].as_u64(), Some(oidc::HUMAN_CALLBACK_TIMEOUT_MS));
    assert_eq!(
        t["min_interval_between_callback_calls_ms"].as_u64(),
        Some(oidc::MIN_CALLBACK_INTERVAL_MS)
    );
}

// ---------------------------------------------------------------------------
// IdpInfo
// ---------------------------------------------------------------------------

#[test]
fn idp_info_without_client_id_and_scopes() {
    // Prose 1.8: clientId may be missing.
    let b = doc(|w| {
        w.string("issuer", "https://idp");
    });
    let info = IdpInfo::parse(&b).unwrap();
    assert_eq!(info.issuer(), "https://idp");
    assert_eq!(info.client_id(), None);
    assert!(!info.has_request_scopes());
    assert_eq!(info.request_scopes().count(), 0);
}

#[test]
fn idp_info_extra_fields_and_empty_scopes() {
    let b = doc(|w| {
        w.int32("future", 7).string("clientId", "c").array("requestScopes", |_| {});
        w.string("issuer", "i");
    });
    let info = IdpInfo::parse(&b).unwrap();
    assert_eq!((info.issuer(), info.client_id()), ("i", Some("c")));
    assert!(info.has_request_scopes());
    assert_eq!(info.request_scopes().count(), 0);
}

fn wrong_type(e: Error) -> (&'static str, usize) {
    match e {
        Error::Wire(WireError::Bson(BsonError::WrongType { field, offset, .. })) => (field, offset),
        other => panic!("expected WrongType, got {other:?}"),
    }
}

#[test]
fn idp_info_bad_types_name_field_and_offset() {
    // issuer missing
    let b = doc(|w| {
        w.string("clientId", "c");
    });
    assert_eq!(
        IdpInfo::parse(&b).unwrap_err(),
        Error::Wire(WireError::Bson(BsonError::Missing { field: "issuer" }))
    );
    // issuer not a string: element at byte 4
    let b = doc(|w| {
        w.int32("issuer", 1);
    });
    assert_eq!(wrong_type(IdpInfo::parse(&b).unwrap_err()), ("issuer", 4));
    // clientId not a string
    let b = doc(|w| {
        w.string("issuer", "i").bool("clientId", true);
    });
    let (f, off) = wrong_type(IdpInfo::parse(&b).unwrap_err());
    assert_eq!(f, "clientId");
    assert_eq!(b[off], 0x08);
    // requestScopes not an array
    let b = doc(|w| {
        w.string("issuer", "i").string("requestScopes", "openid");
    });
    assert_eq!(wrong_type(IdpInfo::parse(&b).unwrap_err()).0, "requestScopes");
    // requestScopes with a non-string element: offset of that element
    let b = doc(|w| {
        w.string("issuer", "i").array("requestScopes", |a| {
            a.string("ok").int32(5);
        });
    });
    let (f, off) = wrong_type(IdpInfo::parse(&b).unwrap_err());
    assert_eq!(f, "requestScopes");
    assert_eq!(b[off], 0x10, "offset points at the int32 element");
    // malformed BSON and trailing bytes
    assert!(matches!(IdpInfo::parse(b"\x05\0\0"), Err(Error::Wire(_))));
    let mut t = doc(|w| {
        w.string("issuer", "i");
    });
    t.push(0);
    assert!(matches!(
        IdpInfo::parse(&t),
        Err(Error::Wire(WireError::Bson(BsonError::TrailingData { .. })))
    ));
    assert!(IdpInfo::parse(&[]).is_err());
}

// ---------------------------------------------------------------------------
// ALLOWED_HOSTS
// ---------------------------------------------------------------------------

#[test]
fn allowed_hosts_default_list() {
    let d = DEFAULT_ALLOWED_HOSTS;
    let yes = [
        "cluster0.mongodb.net",
        "cluster0.abcde.mongodb.net",
        "a.b.c.mongodb-qa.net",
        "x.mongodb-dev.net",
        "x.mongodbgov.net",
        "x.mongo.com",
        "localhost",
        "LOCALHOST",
        "localhost:27017",
        "127.0.0.1",
        "127.0.0.1:27017",
        "::1",
        "[::1]",
        "[::1]:27017",
        "Cluster0.MongoDB.NET:27017",
        "cluster0.mongodb.net.",
    ];
    for h in yes {
        assert!(allowed_host(h, d), "{h} should be allowed");
        assert!(check_allowed_host(h, d).is_ok());
    }
    let no = [
        "mongodb.net",
        ".mongodb.net",
        "mongodb.net:27017",
        "evilmongodb.net",
        "cluster0.mongodb.net.evil.com",
        "cluster0.mongodb.org",
        "example.com",
        "localhost.evil.com",
        "127.0.0.2",
        "::2",
        "[::2]:27017",
        "0:0:0:0:0:0:0:1",
        "",
        ":27017",
        "mongo.com",
    ];
    for h in no {
        assert!(!allowed_host(h, d), "{h} should not be allowed");
        assert!(matches!(check_allowed_host(h, d), Err(Error::InvalidCredential { .. })));
    }
}

#[test]
fn allowed_hosts_custom_patterns() {
    assert!(allowed_host("db.example.com", ["example.org", "*.example.com"]));
    assert!(allowed_host("a.b.example.com:1", ["*.example.com:9999"]));
    assert!(allowed_host("example.com:1", ["example.com:2"]), "ports ignored on both sides");
    assert!(!allowed_host("example.com", ["*.example.com"]));
    assert!(!allowed_host("x.example.com", ["*", "*.", "", "x.*.com"]));
    assert!(!allowed_host("anything", [] as [&str; 0]));
    let owned: Vec<String> = vec!["*.corp.internal".into()];
    assert!(allowed_host("h.corp.internal", &owned));
}

// ---------------------------------------------------------------------------
// retry, reauthentication, speculation, timeouts
// ---------------------------------------------------------------------------

#[test]
fn retry_decision_table() {
    use RetryDecision::{InvalidateAndRetry, Surface};
    let table = [
        (true, Some(18), InvalidateAndRetry),
        (true, Some(20), Surface), // prose 3.3
        (true, Some(11), Surface),
        (true, Some(391), Surface),
        (true, Some(392), Surface),
        (true, None, Surface),
        (false, Some(18), Surface),
        (false, Some(20), Surface),
        (false, None, Surface),
    ];
    for (cached, code, want) in table {
        assert_eq!(retry_decision(cached, code), want, "cached={cached} code={code:?}");
    }
    // The retry happens once: the retried attempt used a fresh token.
    let mut m = MachineFlow::new(true);
    assert_eq!(m.on_failure(Some(18)), InvalidateAndRetry);
    assert_eq!(m.on_failure(Some(18)), Surface);
    let mut m = MachineFlow::new(true);
    assert_eq!(m.on_failure(Some(20)), Surface);
    assert_eq!(MachineFlow::new(false).on_failure(Some(18)), Surface);

    assert!(oidc::reauthentication_required(Some(391)));
    assert!(!oidc::reauthentication_required(Some(18)));
    assert!(!oidc::reauthentication_required(None));
    assert!(oidc::should_speculate(true));
    assert!(!oidc::should_speculate(false));
}

#[test]
fn callback_timeouts_and_expiry() {
    use oidc::callback_timeout_ms as t;
    assert_eq!(t(true, Some(5), Some(5)), 300_000);
    assert_eq!(t(false, None, None), 60_000);
    assert_eq!(t(false, Some(10_000), None), 60_000, "no CSOT: 60 s");
    assert_eq!(t(false, Some(10_000), Some(4_000)), 4_000);
    assert_eq!(t(false, Some(3_000), Some(4_000)), 3_000);
    assert_eq!(t(false, None, Some(4_000)), 4_000);
    assert!(oidc::check_expires_in(None).is_ok());
    assert!(oidc::check_expires_in(Some(0)).is_ok());
    assert!(oidc::check_expires_in(Some(3600)).is_ok());
    assert!(matches!(oidc::check_expires_in(Some(-1)), Err(Error::InvalidCredential { .. })));
}

#[test]
fn callback_spacing() {
    let mut s = CallbackSpacing::new();
    assert_eq!(s.delay_ms(1_000), 0);
    assert_eq!(s.try_begin(1_000), Ok(()));
    assert_eq!(s.try_begin(1_200), Err(100), "one at a time");
    s.finish();
    assert_eq!(s.delay_ms(1_040), 60);
    assert_eq!(s.try_begin(1_040), Err(60));
    assert_eq!(s.try_begin(1_099), Err(1));
    assert_eq!(s.try_begin(1_100), Ok(()));
    s.finish();
    // A clock that went backwards restarts the interval, never sticks.
    assert_eq!(s.try_begin(500), Err(100));
    assert_eq!(s.try_begin(600), Ok(()));
    s.finish();
    assert_eq!(s.try_begin(u64::MAX), Ok(()));
}

// ---------------------------------------------------------------------------
// token cache
// ---------------------------------------------------------------------------

#[test]
fn token_cache_compare_and_swap() {
    let mut cache = TokenCache::<64>::new();
    assert!(cache.get().is_none());
    assert!(!oidc::should_speculate(cache.is_present()));

    let first = cache.put("token-1").unwrap();
    // Connection A reads the token and keeps its id.
    let (tok, a_id) = cache.get().unwrap();
    assert_eq!((tok, a_id), ("token-1", first));
    // Connection B also used it, got 18, invalidated and fetched a new one.
    let b_id = cache.id().unwrap();
    assert!(cache.invalidate(b_id));
    let second = cache.put("token-2").unwrap();
    assert_ne!(first, second);
    // A's late invalidation of the stale token must not clear the fresh one.
    assert!(!cache.invalidate(a_id));
    assert_eq!(cache.get().unwrap().0, "token-2");
    // By value, likewise.
    assert!(!cache.invalidate_token("token-1"));
    assert!(cache.invalidate_token("token-2"));
    assert!(cache.get().is_none());
    assert!(!cache.invalidate(second));
    // Re-putting the same text is a new generation.
    let third = cache.put("token-2").unwrap();
    assert_ne!(third, second);
    cache.clear();
    assert!(!cache.is_present());
}

#[test]
fn token_cache_capacity() {
    let mut cache = TokenCache::<8>::new();
    assert!(cache.put("12345678").is_ok());
    assert_eq!(cache.put("123456789"), Err(Error::Capacity { what: "OIDC token", limit: 8 }));
    assert!(cache.get().is_none(), "a refused token empties the cache");
    let mut big: TokenCache = TokenCache::default();
    assert_eq!(TokenCache::<{ oidc::MAX_TOKEN_LEN }>::CAPACITY, 8192);
    assert!(big.put(&"a".repeat(oidc::MAX_TOKEN_LEN)).is_ok());
    assert!(matches!(big.put(&"a".repeat(oidc::MAX_TOKEN_LEN + 1)), Err(Error::Capacity { .. })));
}

#[test]
fn tokens_never_in_debug_or_errors() {
    let secret = "eyJhbGciOi.SECRET.sig";
    let mut cache = TokenCache::<64>::new();
    cache.put(secret).unwrap();
    assert!(!format!("{cache:?}").contains("SECRET"));

    let mut conv = Conversation::one_step();
    let mut out = [0u8; 64];
    conv.start(None, &mut out).unwrap();
    conv.provide_token(secret, &mut out).unwrap();
    assert!(!format!("{conv:?}").contains("SECRET"));

    // Too small: an error with the size needed, no token in it, buffer wiped.
    let mut small = [0xAAu8; 16];
    let e = jwt_payload(secret, &mut small).unwrap_err();
    assert_eq!(
        e,
        Error::Wire(WireError::BufferTooSmall(mongoauth::BufferTooSmall { required: 36 }))
    );
    assert!(!format!("{e} {e:?}").contains("SECRET"));
    assert_eq!(small, [0u8; 16]);
    let mut conv = Conversation::one_step();
    conv.start(None, &mut small).unwrap();
    assert!(conv.provide_token(secret, &mut small).is_err());
    assert_eq!(small, [0u8; 16]);
}

// ---------------------------------------------------------------------------
// conversation faults
// ---------------------------------------------------------------------------

#[test]
fn one_step_server_not_done_is_protocol_error() {
    let mut c = Conversation::one_step();
    let mut out = [0u8; 64];
    c.start(None, &mut out).unwrap();
    c.provide_token("t", &mut out).unwrap();
    assert!(matches!(c.handle_reply(&reply(1, false, b"")), Err(Error::Protocol { .. })));
    assert!(matches!(c.handle_reply(&reply(1, true, b"")), Err(Error::UnexpectedStep { .. })));
}

#[test]
fn two_step_faults() {
    let mut out = [0u8; 64];
    let info = doc(|w| {
        w.string("issuer", "i");
    });
    // Server claims done before any token.
    let mut c = Conversation::two_step();
    c.start(Some("u"), &mut out).unwrap();
    assert!(matches!(c.handle_reply(&reply(1, true, &info)), Err(Error::Protocol { .. })));
    // Bad IdpInfo.
    let mut c = Conversation::two_step();
    c.start(None, &mut out).unwrap();
    assert!(matches!(c.handle_reply(&reply(1, false, b"junk")), Err(Error::Wire(_))));
    // conversationId changed.
    let mut c = Conversation::two_step();
    c.start(None, &mut out).unwrap();
    c.handle_reply(&reply(1, false, &info)).unwrap();
    c.provide_token("t", &mut out).unwrap();
    assert!(matches!(c.handle_reply(&reply(2, true, b"")), Err(Error::Protocol { .. })));
    // Not done after the token.
    let mut c = Conversation::two_step();
    c.start(None, &mut out).unwrap();
    c.handle_reply(&reply(7, false, &info)).unwrap();
    c.provide_token("t", &mut out).unwrap();
    assert!(matches!(c.handle_reply(&reply(7, false, b"")), Err(Error::Protocol { .. })));
}

#[test]
fn out_of_order_calls() {
    let mut out = [0u8; 64];
    let mut c = Conversation::one_step();
    assert!(matches!(c.provide_token("t", &mut out), Err(Error::UnexpectedStep { .. })));
    let mut c = Conversation::one_step();
    assert!(matches!(c.handle_reply(&reply(1, true, b"")), Err(Error::UnexpectedStep { .. })));
    let mut c = Conversation::two_step();
    c.start(None, &mut out).unwrap();
    assert!(matches!(c.start(None, &mut out), Err(Error::UnexpectedStep { .. })));
    let mut c = Conversation::two_step();
    c.start(None, &mut out).unwrap();
    assert!(matches!(c.provide_token("t", &mut out), Err(Error::UnexpectedStep { .. })));
    // Done is final.
    let mut c = Conversation::one_step();
    c.start(None, &mut out).unwrap();
    c.provide_token("t", &mut out).unwrap();
    c.handle_reply(&reply(1, true, b"")).unwrap();
    assert!(matches!(c.handle_reply(&reply(1, true, b"")), Err(Error::UnexpectedStep { .. })));
    assert!(c.is_done());
}

#[test]
fn failed_reply_reports_code_for_retry_rule() {
    let mut out = [0u8; 64];
    let mut c = Conversation::one_step();
    c.start(None, &mut out).unwrap();
    c.provide_token("t", &mut out).unwrap();
    let mut body = [0u8; 256];
    let n = wire::encode_document(&wire::CommandError::AUTHENTICATION_FAILED, &mut body).unwrap();
    let Err(Error::CommandFailed(f)) = c.handle_reply_body(&body[..n]) else {
        panic!("expected CommandFailed")
    };
    assert_eq!(f.code, Some(18));
    assert_eq!(retry_decision(true, f.code), RetryDecision::InvalidateAndRetry);
    assert!(c.handle_reply_body(&body[..n]).is_err(), "failed conversation stays failed");
}

#[test]
fn speculative_reply_continues_one_step() {
    // A hello that carried the one-step saslStart gets a speculative reply
    // (no `ok`), which the same conversation accepts.
    let mut out = [0u8; 64];
    let mut c = Conversation::one_step();
    c.start(None, &mut out).unwrap();
    let Step::SaslStart { len } = c.provide_token("t", &mut out).unwrap() else { panic!() };
    let hello = wire::Hello {
        speculative_authenticate: Some(oidc::speculative_sasl_start(&out[..len])),
        ..Default::default()
    };
    let h = as_bson(&hello);
    let spec = h.get_document("speculativeAuthenticate").unwrap();
    assert_eq!(spec.get_str("db").unwrap(), "$external");
    let r = doc(|w| reply(1, true, b"").write_speculative(w));
    let parsed = SaslReply::parse_speculative(Document::parse(&r).unwrap()).unwrap();
    assert_eq!(c.handle_reply(&parsed).unwrap(), Step::Done);
}

// ---------------------------------------------------------------------------
// properties
// ---------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = IdpInfo::parse(&bytes);
        let mut c = Conversation::two_step();
        let mut out = [0u8; 32];
        let _ = c.start(None, &mut out);
        let _ = c.handle_reply_body(&bytes);
        let _ = c.handle_reply(&reply(1, false, &bytes));
        let mut c = Conversation::one_step();
        let _ = c.handle_reply_body(&bytes);
    }

    #[test]
    fn idp_info_from_structured_docs(
        issuer in any::<Option<String>>(),
        client in any::<Option<String>>(),
        scopes in proptest::option::of(proptest::collection::vec(any::<String>(), 0..5)),
    ) {
        let b = doc(|w| {
            if let Some(s) = &client { w.string("clientId", s); }
            if let Some(sc) = &scopes {
                w.array("requestScopes", |a| { for s in sc { a.string(s); } });
            }
            if let Some(s) = &issuer { w.string("issuer", s); }
        });
        match IdpInfo::parse(&b) {
            Ok(info) => {
                prop_assert_eq!(Some(info.issuer()), issuer.as_deref());
                prop_assert_eq!(info.client_id(), client.as_deref());
                let got: Vec<&str> = info.request_scopes().collect();
                let want: Vec<&str> = scopes.iter().flatten().map(String::as_str).collect();
                prop_assert_eq!(got, want);
            }
            Err(_) => prop_assert!(issuer.is_none()),
        }
    }

    #[test]
    fn allowed_host_never_panics(host in any::<String>(), pats in proptest::collection::vec(any::<String>(), 0..4)) {
        let _ = allowed_host(&host, &pats);
        let _ = allowed_host(&host, DEFAULT_ALLOWED_HOSTS);
    }

    #[test]
    fn ports_are_ignored(label in "[a-z0-9-]{1,20}", port in any::<u16>()) {
        let h = format!("{label}.mongodb.net");
        prop_assert!(allowed_host(&h, DEFAULT_ALLOWED_HOSTS));
        let with_port = format!("{h}:{port}");
        let evil = format!("{label}.mongodb.net.evil:{port}");
        prop_assert!(allowed_host(&with_port, DEFAULT_ALLOWED_HOSTS));
        prop_assert!(!allowed_host(&evil, DEFAULT_ALLOWED_HOSTS));
    }

    #[test]
    fn jwt_payload_round_trips(token in any::<String>(), cap in 0usize..128) {
        let mut out = vec![0u8; cap];
        match jwt_payload(&token, &mut out) {
            Ok(n) => {
                let d = Document::parse(&out[..n]).unwrap();
                prop_assert_eq!(d.get_str("jwt").unwrap(), token.as_str());
            }
            Err(e) => {
                prop_assert_eq!(e, Error::Wire(WireError::BufferTooSmall(mongoauth::BufferTooSmall { required: token.len() + 15 })));
                prop_assert!(out.iter().all(|&b| b == 0));
            }
        }
    }

    #[test]
    fn cache_cas_model(ops in proptest::collection::vec((0u8..4, "[a-z]{0,12}"), 0..40)) {
        // Against a model: invalidate(id) clears only the current generation.
        let mut cache = TokenCache::<8>::new();
        let mut model: Option<String> = None;
        let mut ids = Vec::new();
        for (op, tok) in ops {
            match op {
                0 => match cache.put(&tok) {
                    Ok(id) => { ids.push(id); model = Some(tok); }
                    Err(_) => { prop_assert!(tok.len() > 8); model = None; }
                },
                1 => if let Some(id) = ids.last().copied() {
                    let current = cache.id();
                    prop_assert_eq!(cache.invalidate(id), current == Some(id));
                    if current == Some(id) { model = None; }
                },
                2 => if let Some(id) = ids.first().copied() {
                    let current = cache.id();
                    prop_assert_eq!(cache.invalidate(id), current == Some(id));
                    if current == Some(id) { model = None; }
                },
                _ => {
                    let hit = model.as_deref() == Some(tok.as_str());
                    prop_assert_eq!(cache.invalidate_token(&tok), hit);
                    if hit { model = None; }
                }
            }
            prop_assert_eq!(cache.get().map(|(t, _)| t.to_string()), model.clone());
        }
    }
}
