//! MONGODB-OIDC never touches the heap in the default build: payloads, both
//! conversations (success and failure paths), IdpInfo parsing and scope
//! iteration, ALLOWED_HOSTS, the retry rule, callback spacing and the token
//! cache, all under a counting global allocator.
#![allow(clippy::unwrap_used, missing_docs)]

#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use alloc_guard::{assert_no_alloc, self_test};
use mongoauth::codec::bson::DocWriter;
use mongoauth::codec::wire::{self, ConversationId, SaslReply};
use mongoauth::mech::oidc::{
    self, CallbackSpacing, Conversation, DEFAULT_ALLOWED_HOSTS, IdpInfo, MachineFlow, Step,
    TokenCache,
};

/// The two-step IdpInfo payload from the spec vectors.
const IDP_INFO: &[u8] = b"\x59\0\0\0\x02issuer\0\x0f\0\0\0https://issuer\0\x02clientId\0\x05\0\0\0abcd\0\x04requestScopes\0\x17\0\0\0\x020\0\x02\0\0\0a\0\x021\0\x02\0\0\0b\0\0\0";

#[test]
fn guard_works() {
    self_test();
}

#[test]
fn one_step_conversation_does_not_allocate() {
    let mut frame = [0u8; 512];
    let mut out = [0u8; 128];
    assert_no_alloc("one-step", || {
        let mut c = Conversation::one_step();
        assert_eq!(c.start(None, &mut out).unwrap(), Step::NeedToken { idp_info: None });
        let Step::SaslStart { len } = c.provide_token("abcd1234", &mut out).unwrap() else {
            panic!("expected saslStart")
        };
        wire::encode_document(&oidc::sasl_start(&out[..len]), &mut frame).unwrap();
        let reply =
            SaslReply { conversation_id: ConversationId::Int32(1), done: true, payload: b"" };
        let n = wire::encode_document(&reply, &mut frame).unwrap();
        assert_eq!(c.handle_reply_body(&frame[..n]).unwrap(), Step::Done);
    });
}

#[test]
fn two_step_conversation_does_not_allocate() {
    let mut frame = [0u8; 512];
    let mut out = [0u8; 128];
    assert_no_alloc("two-step", || {
        let mut c = Conversation::two_step();
        let Step::SaslStart { len } = c.start(Some("myidp"), &mut out).unwrap() else {
            panic!("expected saslStart")
        };
        wire::encode_document(&oidc::sasl_start(&out[..len]), &mut frame).unwrap();
        let first =
            SaslReply { conversation_id: ConversationId::Int32(1), done: false, payload: IDP_INFO };
        let Step::NeedToken { idp_info: Some(info) } = c.handle_reply(&first).unwrap() else {
            panic!("expected IdpInfo")
        };
        assert_eq!(info.issuer(), "https://issuer");
        assert_eq!(info.request_scopes().count(), 2);
        let Step::SaslContinue { conversation_id, len } =
            c.provide_token("abcd1234", &mut out).unwrap()
        else {
            panic!("expected saslContinue")
        };
        wire::encode_document(&oidc::sasl_continue(conversation_id, &out[..len]), &mut frame)
            .unwrap();
        let last = SaslReply { conversation_id, done: true, payload: b"" };
        assert_eq!(c.handle_reply(&last).unwrap(), Step::Done);
    });
}

#[test]
fn failure_paths_do_not_allocate() {
    let mut frame = [0u8; 512];
    let mut small = [0u8; 8];
    assert_no_alloc("failures", || {
        assert!(oidc::jwt_payload("a-long-token", &mut small).is_err());
        assert!(IdpInfo::parse(b"\x05\0\0\0\x01").is_err());
        let mut w = DocWriter::new(&mut frame);
        w.string("issuer", "i").array("requestScopes", |a| {
            a.int32(1);
        });
        let n = w.finish().unwrap();
        assert!(IdpInfo::parse(&frame[..n]).is_err());
        let n =
            wire::encode_document(&wire::CommandError::AUTHENTICATION_FAILED, &mut frame).unwrap();
        let mut c = Conversation::one_step();
        let mut out = [0u8; 64];
        c.start(None, &mut out).unwrap();
        c.provide_token("t", &mut out).unwrap();
        let e = c.handle_reply_body(&frame[..n]).unwrap_err();
        let mongoauth::Error::CommandFailed(f) = e else { panic!("expected CommandFailed") };
        let mut m = MachineFlow::new(true);
        assert_eq!(m.on_failure(f.code), oidc::RetryDecision::InvalidateAndRetry);
        assert!(oidc::check_allowed_host("evil.example", DEFAULT_ALLOWED_HOSTS).is_err());
    });
}

#[test]
fn rules_and_cache_do_not_allocate() {
    let mut cache: TokenCache = TokenCache::new();
    assert_no_alloc("rules and cache", || {
        assert!(oidc::allowed_host("[::1]:27017", DEFAULT_ALLOWED_HOSTS));
        assert!(oidc::allowed_host("a.b.mongodb.net:27017", DEFAULT_ALLOWED_HOSTS));
        assert!(!oidc::allowed_host("mongodb.net", DEFAULT_ALLOWED_HOSTS));
        let mut s = CallbackSpacing::new();
        assert!(s.try_begin(0).is_ok());
        s.finish();
        assert_eq!(s.try_begin(50), Err(50));
        let id = cache.put("token-1").unwrap();
        cache.invalidate(id);
        let fresh = cache.put("token-2").unwrap();
        assert!(!cache.invalidate(id));
        assert!(cache.invalidate_token("token-2"));
        assert!(!cache.invalidate(fresh));
        assert!(cache.put("x").is_ok());
        assert_eq!(oidc::callback_timeout_ms(false, Some(5), Some(7)), 5);
    });
}
