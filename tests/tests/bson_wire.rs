//! BSON and OP_MSG: byte-exact spec vectors, command/reply round trips,
//! malformed input, capacity errors, property tests, and a cross-check with
//! the independent `bson` crate.
#![allow(clippy::unwrap_used, missing_docs)]

use base64ct::{Base64, Encoding};
use mongoauth::codec::bson::{self, BsonError, DocWriter, Document, MAX_DEPTH, Value};
use mongoauth::codec::wire::{
    self, Authenticate, AuthenticateReply, Command, CommandError, CommandKind, ConversationId,
    Hello, HelloReply, MechList, OkReply, SaslContinue, SaslReply, SaslStart, Speculative,
    SpeculativeReply, UserRef, WireError, WriteBody,
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

/// Write a document with `f` into a fresh buffer and return exactly its bytes.
fn write_doc(f: impl FnOnce(&mut DocWriter<'_>)) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let mut w = DocWriter::new(&mut buf);
    f(&mut w);
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn body_bytes(b: &impl WriteBody) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let n = wire::encode_document(b, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn frame(b: &impl WriteBody, request_id: i32, response_to: i32) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let n = wire::encode_message(request_id, response_to, b, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

/// Commands first, as OP_MSG requires (serde_json's map is sorted).
const COMMAND_KEYS: &[&str] = &["saslStart", "saslContinue", "authenticate", "hello", "isMaster"];

/// Write spec-JSON (extended JSON `$binary` only) as BSON.
fn write_json_fields(w: &mut DocWriter<'_>, obj: &serde_json::Map<String, Json>) {
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort_by_key(|k| !COMMAND_KEYS.contains(&k.as_str()));
    for k in keys {
        write_json_value(w, k, &obj[k]);
    }
}

fn write_json_value(w: &mut DocWriter<'_>, k: &str, v: &Json) {
    match v {
        Json::Null => {
            w.null(k);
        }
        Json::Bool(b) => {
            w.bool(k, *b);
        }
        Json::Number(n) => {
            if let Some(i) = n.as_i64() {
                match i32::try_from(i) {
                    Ok(i) => w.int32(k, i),
                    Err(_) => w.int64(k, i),
                };
            } else {
                w.double(k, n.as_f64().unwrap());
            }
        }
        Json::String(s) => {
            w.string(k, s);
        }
        Json::Array(items) => {
            w.array(k, |a| {
                for item in items {
                    match item {
                        Json::String(s) => a.string(s),
                        other => panic!("unsupported array item {other}"),
                    };
                }
            });
        }
        Json::Object(o) => {
            if let Some(bin) = o.get("$binary") {
                let bytes = b64(bin["base64"].as_str().unwrap());
                let subtype = u8::from_str_radix(bin["subType"].as_str().unwrap(), 16).unwrap();
                w.binary(k, subtype, &bytes);
            } else {
                w.document(k, |w| write_json_fields(w, o));
            }
        }
    }
}

fn json_doc(v: &Json) -> Vec<u8> {
    write_doc(|w| write_json_fields(w, v.as_object().unwrap()))
}

/// Every field of the spec JSON is in `doc` with the same value (numbers
/// compared by value, so `ok: 1` matches `ok: 1.0`); `doc` has no other
/// fields except those in `extra`.
fn assert_doc_matches_json(doc: Document<'_>, json: &Json, extra: &[&str]) {
    let obj = json.as_object().unwrap();
    for (k, v) in obj {
        let got = doc.get(k).unwrap_or_else(|| panic!("field {k} missing in {doc:?}"));
        assert_value_matches_json(k, got, v);
    }
    for e in doc.iter() {
        assert!(
            obj.contains_key(e.key) || extra.contains(&e.key),
            "unexpected field {} in {doc:?}",
            e.key
        );
    }
}

fn assert_value_matches_json(k: &str, got: Value<'_>, want: &Json) {
    match want {
        Json::Number(n) => {
            let g = match got {
                Value::Int32(i) => f64::from(i),
                Value::Int64(i) => i as f64,
                Value::Double(d) => d,
                other => panic!("{k}: expected number, got {other:?}"),
            };
            assert_eq!(g, n.as_f64().unwrap(), "{k}");
        }
        Json::Bool(b) => assert_eq!(got, Value::Bool(*b), "{k}"),
        Json::String(s) => assert_eq!(got, Value::String(s), "{k}"),
        Json::Object(o) if o.contains_key("$binary") => {
            let Value::Binary(b) = got else { panic!("{k}: expected binary, got {got:?}") };
            assert_eq!(b.bytes, b64(o["$binary"]["base64"].as_str().unwrap()), "{k}");
            assert_eq!(b.subtype, 0, "{k}");
        }
        Json::Object(_) => {
            let Value::Document(d) = got else { panic!("{k}: expected document, got {got:?}") };
            assert_doc_matches_json(d, want, &[]);
        }
        other => panic!("{k}: unsupported JSON {other}"),
    }
}

fn payload_of(cmd: &Json) -> Vec<u8> {
    b64(cmd["payload"]["$binary"]["base64"].as_str().unwrap())
}

// ---------------------------------------------------------------------------
// byte-exact payload vectors
// ---------------------------------------------------------------------------

#[test]
fn oidc_payloads_are_byte_exact() {
    let v = spec_json("mechanism-vectors.json");
    let oidc = &v["MONGODB-OIDC"];
    let jwt = write_doc(|w| {
        w.string("jwt", "abcd1234");
    });
    assert_eq!(Base64::encode_string(&jwt), "FwAAAAJqd3QACQAAAGFiY2QxMjM0AAA=");
    assert_eq!(jwt, payload_of(&oidc["one_step"]["cmd"]));
    let n = write_doc(|w| {
        w.string("n", "myidp");
    });
    assert_eq!(Base64::encode_string(&n), "EgAAAAJuAAYAAABteWlkcAAA");
    assert_eq!(n, payload_of(&oidc["two_step"][0]["cmd"]));
    let empty = write_doc(|_| {});
    assert_eq!(
        Base64::encode_string(&empty),
        oidc["principal_step_without_username"]["payload_bson_b64"].as_str().unwrap()
    );

    // The IdP info reply payload parses, array and all.
    let reply = payload_of(&oidc["two_step"][1]["reply"]);
    let d = Document::parse(&reply).unwrap();
    assert_eq!(d.get_str("issuer").unwrap(), "https://issuer");
    assert_eq!(d.get_str("clientId").unwrap(), "abcd");
    let scopes: Vec<_> = d.get_array("requestScopes").unwrap().iter().collect();
    assert_eq!(scopes, [Value::String("a"), Value::String("b")]);
    // And re-encodes to the same bytes.
    let again = write_doc(|w| {
        for e in d.iter() {
            w.value(e.key, &e.value);
        }
    });
    assert_eq!(again, reply);
}

#[test]
fn aws_payloads_are_byte_exact() {
    let v = spec_json("mechanism-vectors.json");
    let aws = &v["MONGODB-AWS"];
    let ex = &aws["spec_bson_example (internally consistent set; the human-readable JSON example in the spec uses a different nonce and date)"];
    let client_first = payload_of(&ex["client_first"]["cmd"]);
    let nonce = b64("Wj0lSjp8M0BMKGU+QVAzRSpWfk0hJigqO1V+b0FaVz4=");
    let built = write_doc(|w| {
        w.binary("r", 0, &nonce).int32("p", 110);
    });
    assert_eq!(built, client_first);

    let server_first = payload_of(&ex["server_first"]["reply"]);
    let d = Document::parse(&server_first).unwrap();
    assert_eq!(d.get_binary("s").unwrap().bytes.len(), 64);
    assert_eq!(d.get_str("h").unwrap(), "sts.amazonaws.com");

    for case in aws["constructed_sigv4_vectors"].as_array().unwrap() {
        let exp = &case["expected"];
        let json = &exp["client_second_payload_json"];
        let built = write_doc(|w| {
            w.string("a", json["a"].as_str().unwrap()).string("d", json["d"].as_str().unwrap());
            if let Some(t) = json.get("t") {
                w.string("t", t.as_str().unwrap());
            }
        });
        let want = b64(exp["client_second_payload_bson_b64"].as_str().unwrap());
        assert_eq!(built, want, "{}", case["id"]);
    }
}

// ---------------------------------------------------------------------------
// commands and replies from the vector files
// ---------------------------------------------------------------------------

fn conversations(v: &Json) -> Vec<(&str, &Json)> {
    let mut out = Vec::new();
    for vector in v["vectors"].as_array().unwrap() {
        let Some(wire) = vector.get("mongodb_wire") else {
            continue;
        };
        for (name, steps) in wire.as_object().unwrap() {
            if let Some(steps) = steps.as_array() {
                for step in steps {
                    out.push((name.as_str(), step));
                }
            }
        }
    }
    out
}

#[test]
fn scram_spec_commands_round_trip() {
    let v = spec_json("scram-vectors.json");
    let steps = conversations(&v);
    let mut last_reply_id = None;
    let (mut starts, mut continues, mut replies) = (0, 0, 0);
    for (conv, step) in steps {
        if let Some(cmd) = step.get("cmd").filter(|c| c.is_object()) {
            let payload = payload_of(cmd);
            let bytes = if let Some(mech) = cmd.get("saslStart").map(|_| &cmd["mechanism"]) {
                starts += 1;
                let start = SaslStart {
                    mechanism: mech.as_str().unwrap(),
                    payload: &payload,
                    skip_empty_exchange: cmd.get("options").is_some(),
                    db: "admin",
                };
                let bytes = frame(&start, 1, 0);
                let msg = wire::parse_op_msg(&bytes).unwrap();
                assert_eq!(SaslStart::parse(msg.body).unwrap(), start);
                bytes
            } else {
                continues += 1;
                let id = ConversationId::Int32(cmd["conversationId"].as_i64().unwrap() as i32);
                assert_eq!(Some(id), last_reply_id, "{conv}: echo the reply's id");
                let cont = SaslContinue { conversation_id: id, payload: &payload, db: "admin" };
                let bytes = frame(&cont, 2, 0);
                let msg = wire::parse_op_msg(&bytes).unwrap();
                assert_eq!(SaslContinue::parse(msg.body).unwrap(), cont);
                bytes
            };
            let msg = wire::parse_op_msg(&bytes).unwrap();
            assert_doc_matches_json(msg.body, cmd, &["$db"]);
            let c = Command::parse(msg.body).unwrap();
            assert_eq!(c.db, "admin");
            assert!(matches!(c.kind(), CommandKind::SaslStart | CommandKind::SaslContinue));
        }
        if let Some(reply) = step.get("reply").filter(|c| c.is_object()) {
            replies += 1;
            // The spec's reply, as the server would send it, parses.
            let spec_bytes = json_doc(reply);
            let parsed = SaslReply::parse(Document::parse(&spec_bytes).unwrap()).unwrap().unwrap();
            assert_eq!(parsed.done, reply["done"].as_bool().unwrap());
            assert_eq!(parsed.payload, payload_of(reply));
            last_reply_id = Some(parsed.conversation_id);
            // Our server-side writer gives the same fields.
            let ours = frame(&parsed, 9, 1);
            let msg = wire::parse_op_msg(&ours).unwrap();
            assert_eq!(msg.response_to, 1);
            assert_doc_matches_json(msg.body, reply, &[]);
            assert_eq!(SaslReply::parse(msg.body).unwrap().unwrap(), parsed);
        }
    }
    assert!(starts >= 2 && continues >= 3 && replies >= 5);
}

#[test]
fn plain_and_oidc_commands_match_vectors() {
    let v = spec_json("mechanism-vectors.json");
    for case in v["PLAIN"]["cases"].as_array().unwrap() {
        let cmd = &case["cmd"];
        let payload = payload_of(cmd);
        let start = SaslStart {
            mechanism: "PLAIN",
            payload: &payload,
            skip_empty_exchange: false,
            db: "$external",
        };
        let body = body_bytes(&start);
        let doc = Document::parse(&body).unwrap();
        assert_doc_matches_json(doc, cmd, &["$db"]);
        assert_eq!(SaslStart::parse(doc).unwrap(), start);
        let reply = json_doc(&case["reply"]);
        let r = SaslReply::parse(Document::parse(&reply).unwrap()).unwrap().unwrap();
        assert!(r.done && r.payload.is_empty());
    }
    // OIDC's one-step command in the spec carries `db` (the speculative form).
    let cmd = &v["MONGODB-OIDC"]["one_step"]["cmd"];
    let payload = payload_of(cmd);
    let start = SaslStart {
        mechanism: "MONGODB-OIDC",
        payload: &payload,
        skip_empty_exchange: false,
        db: "$external",
    };
    let spec = write_doc(|w| start.write_speculative(w));
    let doc = Document::parse(&spec).unwrap();
    assert_doc_matches_json(doc, cmd, &[]);
    assert_eq!(SaslStart::parse_speculative(doc).unwrap(), start);
    assert!(SaslStart::parse(doc).is_err(), "no $db in the speculative form");
}

#[test]
fn x509_commands_match_vectors() {
    let v = spec_json("mechanism-vectors.json");
    for case in v["MONGODB-X509"]["cases"].as_array().unwrap() {
        let user = case["username"].as_str();
        let auth = Authenticate::x509(user);
        let bytes = frame(&auth, 3, 0);
        let msg = wire::parse_op_msg(&bytes).unwrap();
        assert_doc_matches_json(msg.body, &case["cmd"], &["$db"]);
        assert_eq!(msg.body.get_str("$db").unwrap(), "$external");
        assert_eq!(Authenticate::parse(msg.body).unwrap(), auth);

        let reply = json_doc(&case["reply"]);
        let r = AuthenticateReply::parse(Document::parse(&reply).unwrap()).unwrap().unwrap();
        assert_eq!(r.dbname, Some("$external"));
        assert_eq!(r.user, case["reply"]["user"].as_str());
        let ours = body_bytes(&r);
        assert_doc_matches_json(Document::parse(&ours).unwrap(), &case["reply"], &[]);
    }
    // The speculative shape: authenticate, mechanism, [user], db.
    let spec = write_doc(|w| Authenticate::x509(Some("CN=client")).write_speculative(w));
    let d = Document::parse(&spec).unwrap();
    let keys: Vec<_> = d.iter().map(|e| e.key).collect();
    assert_eq!(keys, ["authenticate", "mechanism", "user", "db"]);
    assert_eq!(d.get_str("db").unwrap(), "$external");
    let no_user = write_doc(|w| Authenticate::x509(None).write_speculative(w));
    assert!(!Document::parse(&no_user).unwrap().contains_key("user"));
    // The server defaults a missing speculative db to $external.
    let bare = write_doc(|w| {
        w.int32("authenticate", 1).string("mechanism", "MONGODB-X509");
    });
    let a = Authenticate::parse_speculative(Document::parse(&bare).unwrap()).unwrap();
    assert_eq!(a, Authenticate::x509(None));
}

#[test]
fn hello_negotiation_example_matches() {
    let v = spec_json("mechanism-vectors.json");
    let want = &v["handshake"]["negotiation_request_example"];
    let payload = payload_of(&want["speculativeAuthenticate"]);
    let hello = Hello {
        legacy: false,
        sasl_supported_mechs: Some(UserRef { db: "admin", user: "user" }),
        speculative_authenticate: Some(Speculative::SaslStart(SaslStart {
            mechanism: "SCRAM-SHA-256",
            payload: &payload,
            skip_empty_exchange: true,
            db: "admin",
        })),
        client: None,
        db: "admin",
    };
    let bytes = frame(&hello, 1, 0);
    let msg = wire::parse_op_msg(&bytes).unwrap();
    let mut expected = want.clone();
    let o = expected.as_object_mut().unwrap();
    o.remove("constructed");
    o.remove("note");
    assert_doc_matches_json(msg.body, &expected, &["$db"]);
    assert_eq!(msg.body.first().unwrap().key, "hello");
    assert_eq!(Hello::parse(msg.body).unwrap(), hello);
    assert_eq!(Command::parse(msg.body).unwrap().kind(), CommandKind::Hello);

    // Legacy form with client metadata.
    let client = write_doc(|w| {
        w.document("driver", |d| {
            d.string("name", "mongoauth").string("version", "0.1");
        });
    });
    let legacy = Hello { client: Some(Document::parse(&client).unwrap()), ..Hello::default() };
    let body = body_bytes(&legacy);
    let d = Document::parse(&body).unwrap();
    let keys: Vec<_> = d.iter().map(|e| e.key).collect();
    assert_eq!(keys, ["isMaster", "helloOk", "client", "$db"]);
    assert_eq!(Hello::parse(d).unwrap(), legacy);
}

/// The mechanism the client picks from a hello reply (the one rule, in
/// `mech::negotiate`).
fn negotiated(reply: &HelloReply<'_>) -> &'static str {
    mongoauth::mech::negotiate(reply.sasl_supported_mechs.iter().flat_map(|l| l.iter())).as_str()
}

#[test]
fn default_mechanism_cases() {
    let v = spec_json("mechanism-vectors.json");
    for case in v["handshake"]["default_mechanism_cases"].as_array().unwrap() {
        let names: Option<Vec<&str>> = case["saslSupportedMechs"]
            .as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap()).collect());
        let reply = HelloReply {
            sasl_supported_mechs: names.as_deref().map(MechList::Names),
            ..HelloReply::primary()
        };
        let bytes = frame(&reply, 5, 4);
        let msg = wire::parse_op_msg(&bytes).unwrap();
        let parsed = HelloReply::parse(msg.body).unwrap().unwrap();
        let listed: Option<Vec<&str>> = parsed.sasl_supported_mechs.map(|m| m.iter().collect());
        assert_eq!(listed, names);
        assert_eq!(negotiated(&parsed), case["choose"].as_str().unwrap());
    }
}

#[test]
fn hello_reply_round_trip() {
    let payload = b"r=abc,s=c2FsdA==,i=4096";
    let mechs = ["SCRAM-SHA-1", "SCRAM-SHA-256"];
    let reply = HelloReply {
        hello_ok: true,
        local_time: Some(1_700_000_000_000),
        connection_id: Some(42),
        sasl_supported_mechs: Some(MechList::Names(&mechs)),
        speculative_authenticate: Some(SpeculativeReply::Sasl(SaslReply {
            conversation_id: ConversationId::Int32(1),
            done: false,
            payload,
        })),
        ..HelloReply::primary()
    };
    let bytes = frame(&reply, 2, 1);
    let msg = wire::parse_op_msg(&bytes).unwrap();
    let d = msg.body;
    assert_eq!(d.get_bool("isWritablePrimary"), Ok(true));
    assert_eq!(d.get_i32("maxWireVersion"), Ok(21));
    assert_eq!(d.get_i32("maxMessageSizeBytes"), Ok(48_000_000));
    assert_eq!(d.get("localTime"), Some(Value::DateTime(1_700_000_000_000)));
    let spec = d.get_document("speculativeAuthenticate").unwrap();
    assert!(!spec.contains_key("ok"));
    let parsed = HelloReply::parse(d).unwrap().unwrap();
    assert_eq!(parsed.max_wire_version, Some(21));
    assert_eq!(parsed.connection_id, Some(42));
    assert!(parsed.is_writable_primary && parsed.hello_ok && !parsed.legacy);
    let s = parsed.speculative_authenticate.unwrap().sasl().unwrap();
    assert_eq!(s.payload, payload);
    assert!(!s.done);
    assert_eq!(negotiated(&parsed), "SCRAM-SHA-256");

    // Legacy reply uses `ismaster`; an X.509 speculative reply.
    let legacy = HelloReply {
        legacy: true,
        speculative_authenticate: Some(SpeculativeReply::Authenticate(AuthenticateReply {
            dbname: Some("$external"),
            user: Some("CN=client"),
        })),
        ..HelloReply::primary()
    };
    let body = body_bytes(&legacy);
    let d = Document::parse(&body).unwrap();
    assert_eq!(d.get_bool("ismaster"), Ok(true));
    let parsed = HelloReply::parse(d).unwrap().unwrap();
    assert!(parsed.legacy);
    let a = parsed.speculative_authenticate.unwrap().authenticate().unwrap();
    assert_eq!(a.user, Some("CN=client"));
}

#[test]
fn conversation_id_type_is_echoed() {
    for id in [ConversationId::Int32(1), ConversationId::Int64(1)] {
        let reply = body_bytes(&SaslReply { conversation_id: id, done: false, payload: b"x" });
        let r = SaslReply::parse(Document::parse(&reply).unwrap()).unwrap().unwrap();
        assert_eq!(r.conversation_id, id);
        let cont = body_bytes(&SaslContinue {
            conversation_id: r.conversation_id,
            payload: b"",
            db: "admin",
        });
        let d = Document::parse(&cont).unwrap();
        let e = d.get_element("conversationId").unwrap();
        assert_eq!(e.value, id.to_value());
        assert_eq!(
            e.value.element_type(),
            match id {
                ConversationId::Int32(_) => bson::element_type::INT32,
                ConversationId::Int64(_) => bson::element_type::INT64,
            }
        );
    }
    // A double conversationId is malformed.
    let bad = write_doc(|w| {
        w.double("conversationId", 1.0)
            .bool("done", false)
            .binary("payload", 0, b"")
            .double("ok", 1.0);
    });
    assert!(matches!(
        SaslReply::parse(Document::parse(&bad).unwrap()),
        Err(WireError::Bson(BsonError::WrongType { field: "conversationId", .. }))
    ));
}

#[test]
fn command_errors_are_values_not_parse_errors() {
    let bytes = frame(&CommandError::AUTHENTICATION_FAILED, 10, 3);
    let msg = wire::parse_op_msg(&bytes).unwrap();
    assert_eq!(msg.body.get("ok"), Some(Value::Double(0.0)));
    let e = SaslReply::parse(msg.body).unwrap().unwrap_err();
    assert!(e.is_authentication_failed());
    assert_eq!(e.code_name, Some("AuthenticationFailed"));
    assert_eq!(e.errmsg, Some("Authentication failed."));
    assert_eq!(e.to_string(), "command failed: AuthenticationFailed (18): Authentication failed.");
    assert_eq!(HelloReply::parse(msg.body).unwrap().unwrap_err(), e);
    assert_eq!(AuthenticateReply::parse(msg.body).unwrap().unwrap_err(), e);

    // ok/code in every numeric type.
    for ok in [Value::Int32(0), Value::Int64(0), Value::Double(0.0)] {
        let d = write_doc(|w| {
            w.value("ok", &ok)
                .value("code", &Value::Int64(391))
                .string("codeName", "ReauthenticationRequired");
        });
        let d = Document::parse(&d).unwrap();
        let e = wire::check_ok(&d).unwrap().unwrap_err();
        assert_eq!(e.code, Some(391));
        assert_eq!(e.errmsg, None);
    }
    // ok must be 0 or 1, numeric, present.
    for (ok, want_invalid) in [(Value::Double(0.5), true), (Value::Int32(2), true)] {
        let d = write_doc(|w| {
            w.value("ok", &ok);
        });
        let r = wire::check_ok(&Document::parse(&d).unwrap());
        assert_eq!(matches!(r, Err(WireError::InvalidField { field: "ok", .. })), want_invalid);
    }
    let d = write_doc(|w| {
        w.string("ok", "1");
    });
    assert!(matches!(
        wire::check_ok(&Document::parse(&d).unwrap()),
        Err(WireError::Bson(BsonError::WrongType { field: "ok", .. }))
    ));
    let d = write_doc(|_| {});
    assert_eq!(
        wire::check_ok(&Document::parse(&d).unwrap()),
        Err(WireError::Bson(BsonError::Missing { field: "ok" }))
    );
    let ok = body_bytes(&OkReply);
    assert_eq!(wire::check_ok(&Document::parse(&ok).unwrap()), Ok(Ok(())));
}

#[test]
fn payload_must_be_binary_subtype_zero() {
    let d = write_doc(|w| {
        w.int32("conversationId", 1).bool("done", true).binary("payload", 4, b"xx").int32("ok", 1);
    });
    assert!(matches!(
        SaslReply::parse(Document::parse(&d).unwrap()),
        Err(WireError::InvalidField { field: "payload", .. })
    ));
    let d = write_doc(|w| {
        w.int32("conversationId", 1).bool("done", true).string("payload", "eHg=").int32("ok", 1);
    });
    assert!(matches!(
        SaslReply::parse(Document::parse(&d).unwrap()),
        Err(WireError::Bson(BsonError::WrongType { field: "payload", .. }))
    ));
    let d = write_doc(|w| {
        w.int32("saslStart", 1).string("mechanism", "PLAIN").string("$db", "x");
    });
    assert_eq!(
        SaslStart::parse(Document::parse(&d).unwrap()),
        Err(WireError::Bson(BsonError::Missing { field: "payload" }))
    );
}

#[test]
fn server_side_dispatch() {
    let d = write_doc(|w| {
        w.int32("ping", 1).string("$db", "admin");
    });
    let c = Command::parse(Document::parse(&d).unwrap()).unwrap();
    assert_eq!((c.name, c.db, c.kind()), ("ping", "admin", CommandKind::Other));
    assert!(matches!(
        SaslStart::parse(c.body),
        Err(WireError::UnexpectedCommand { expected: "saslStart", .. })
    ));
    let empty = write_doc(|_| {});
    assert!(Command::parse(Document::parse(&empty).unwrap()).is_err());
    let no_db = write_doc(|w| {
        w.int32("hello", 1);
    });
    assert_eq!(
        Command::parse(Document::parse(&no_db).unwrap()),
        Err(WireError::Bson(BsonError::Missing { field: "$db" }))
    );
    let bad_mechs = write_doc(|w| {
        w.int32("hello", 1).string("saslSupportedMechs", "nodot").string("$db", "admin");
    });
    assert!(matches!(
        Hello::parse(Document::parse(&bad_mechs).unwrap()),
        Err(WireError::InvalidField { field: "saslSupportedMechs", .. })
    ));
    let bad_list = write_doc(|w| {
        w.array("saslSupportedMechs", |a| {
            a.string("SCRAM-SHA-1").int32(5);
        })
        .int32("ok", 1);
    });
    assert!(matches!(
        HelloReply::parse(Document::parse(&bad_list).unwrap()),
        Err(WireError::Bson(BsonError::WrongType { field: "saslSupportedMechs", .. }))
    ));
}

// ---------------------------------------------------------------------------
// malformed input
// ---------------------------------------------------------------------------

#[test]
fn malformed_documents() {
    use BsonError::*;
    let good = write_doc(|w| {
        w.string("a", "bc").int32("n", 5).document("d", |d| {
            d.bool("t", true);
        });
    });
    assert!(Document::parse(&good).is_ok());

    // Every truncation is an error, never a panic.
    for n in 0..good.len() {
        assert!(Document::parse(&good[..n]).is_err(), "prefix {n}");
    }
    // Length prefix lying: larger than the input, smaller than the content.
    let mut lie = good.clone();
    lie[0] += 1;
    assert!(matches!(
        Document::parse(&lie),
        Err(BadLength { field: "document length", offset: 0, .. })
    ));
    let mut short = good.clone();
    short[0] -= 1;
    assert!(Document::parse(&short).is_err());
    // Negative and tiny lengths.
    assert!(matches!(
        Document::parse(&[0xff, 0xff, 0xff, 0xff, 0]),
        Err(BadLength { length: -1, .. })
    ));
    assert!(matches!(Document::parse(&[4, 0, 0, 0]), Err(BadLength { length: 4, .. })));
    // Missing terminator.
    assert_eq!(
        Document::parse(&[5, 0, 0, 0, 1]),
        Err(MissingTerminator { field: "document", offset: 4 })
    );
    // Trailing data.
    let mut trailing = good.clone();
    trailing.push(0);
    assert_eq!(Document::parse(&trailing), Err(TrailingData { offset: good.len() }));
    // Early terminator: {} padded to 6 bytes.
    assert_eq!(Document::parse(&[6, 0, 0, 0, 0, 0]), Err(EarlyTerminator { offset: 4 }));
    // String length past the document / zero / missing NUL / bad UTF-8.
    let s = |len: i32, body: &[u8]| {
        let mut d = vec![0, 0, 0, 0, 2, b'k', 0];
        d.extend_from_slice(&len.to_le_bytes());
        d.extend_from_slice(body);
        d.push(0);
        let n = d.len() as i32;
        d[..4].copy_from_slice(&n.to_le_bytes());
        d
    };
    assert!(Document::parse(&s(3, b"ab\0")).is_ok());
    assert!(matches!(
        Document::parse(&s(9, b"ab\0")),
        Err(BadLength { field: "string length", offset: 7, length: 9 })
    ));
    assert!(matches!(Document::parse(&s(0, b"")), Err(BadLength { length: 0, .. })));
    assert!(matches!(Document::parse(&s(-5, b"ab\0")), Err(BadLength { length: -5, .. })));
    assert_eq!(
        Document::parse(&s(3, b"abc")),
        Err(MissingTerminator { field: "string", offset: 13 })
    );
    assert_eq!(
        Document::parse(&s(3, b"\xff\xfe\0")),
        Err(InvalidUtf8 { field: "string", offset: 11 })
    );
    // Non-UTF-8 key.
    assert_eq!(
        Document::parse(&[8, 0, 0, 0, 10, 0xff, 0, 0]),
        Err(InvalidUtf8 { field: "element name", offset: 5 })
    );
    // Key runs to the end of the document.
    assert!(matches!(
        Document::parse(&[8, 0, 0, 0, 10, b'a', b'b', 0]),
        Err(MissingTerminator { .. } | EarlyTerminator { .. })
    ));
    // Unknown and deprecated element types.
    for ty in [0x06u8, 0x0C, 0x0E, 0x0F, 0x14, 0x80] {
        let d = [8, 0, 0, 0, ty, b'a', 0, 0];
        assert_eq!(Document::parse(&d), Err(UnsupportedType { element_type: ty, offset: 4 }));
    }
    // Bool must be 0 or 1.
    assert_eq!(
        Document::parse(&[9, 0, 0, 0, 8, b'b', 0, 2, 0]),
        Err(InvalidBool { value: 2, offset: 7 })
    );
    // int32 cut short inside a document that claims to hold it.
    assert!(matches!(
        Document::parse(&[10, 0, 0, 0, 0x10, b'i', 0, 1, 2, 0]),
        Err(Truncated { offset: 7, .. })
    ));
    // Binary length past the end, negative.
    let bin = |len: i32| {
        let mut d = vec![0, 0, 0, 0, 5, b'p', 0];
        d.extend_from_slice(&len.to_le_bytes());
        d.extend_from_slice(&[0, 1, 2, 0]);
        let n = d.len() as i32;
        d[..4].copy_from_slice(&n.to_le_bytes());
        d
    };
    assert!(Document::parse(&bin(2)).is_ok());
    assert!(matches!(Document::parse(&bin(3)), Err(BadLength { field: "binary length", .. })));
    assert!(matches!(Document::parse(&bin(-1)), Err(BadLength { length: -1, .. })));
    // Nested document length past its parent.
    let mut nested = write_doc(|w| {
        w.document("d", |d| {
            d.int32("x", 1);
        });
    });
    nested[7] += 1; // the inner length
    assert!(matches!(Document::parse(&nested), Err(BadLength { offset: 7, .. })));
    // Array keys must be 0, 1, ...
    let arr = write_doc(|w| {
        w.document("a", |d| {
            d.int32("0", 1).int32("2", 2);
        });
    });
    let mut arr = arr;
    arr[4] = 4; // retype the document as an array
    assert!(matches!(Document::parse(&arr), Err(InvalidArrayIndex { .. })));
}

#[test]
fn nesting_limit() {
    // Build {a:{a:{...}}} by hand, `levels` documents deep.
    fn nested(levels: usize) -> Vec<u8> {
        let mut doc = vec![5, 0, 0, 0, 0];
        for _ in 1..levels {
            let mut outer = vec![0, 0, 0, 0, 3, b'a', 0];
            outer.extend_from_slice(&doc);
            outer.push(0);
            let n = outer.len() as i32;
            outer[..4].copy_from_slice(&n.to_le_bytes());
            doc = outer;
        }
        doc
    }
    assert!(Document::parse(&nested(MAX_DEPTH)).is_ok());
    assert!(matches!(
        Document::parse(&nested(MAX_DEPTH + 1)),
        Err(BsonError::TooDeep { max: MAX_DEPTH, .. })
    ));
    // Far deeper than the limit is still just an error (no recursion).
    assert!(matches!(Document::parse(&nested(10_000)), Err(BsonError::TooDeep { .. })));
    // The writer refuses to embed a document that would exceed the limit.
    let deep = nested(MAX_DEPTH);
    let deep = Document::parse(&deep).unwrap();
    let mut buf = vec![0u8; 4096];
    let mut w = DocWriter::new(&mut buf);
    w.document_bytes("x", deep);
    assert!(matches!(w.finish(), Err(BsonError::TooDeep { .. })));
}

#[test]
fn malformed_frames() {
    let good = frame(&OkReply, 1, 0);
    assert!(wire::parse_op_msg(&good).is_ok());
    for n in 0..good.len() {
        assert!(wire::parse_op_msg(&good[..n]).is_err(), "prefix {n}");
    }
    let with = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut b = good.clone();
        f(&mut b);
        wire::parse_op_msg(&b).map(|_| ())
    };
    let set_i32 = |b: &mut Vec<u8>, at: usize, v: i32| {
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    };
    assert_eq!(
        with(&|b| set_i32(b, 12, 2004)),
        Err(WireError::UnsupportedOpCode { op_code: 2004 })
    );
    assert_eq!(with(&|b| set_i32(b, 0, -1)), Err(WireError::BadMessageLength { length: -1 }));
    assert_eq!(with(&|b| set_i32(b, 0, 20)), Err(WireError::BadMessageLength { length: 20 }));
    assert_eq!(
        with(&|b| set_i32(b, 0, 48_000_001)),
        Err(WireError::MessageTooLarge { length: 48_000_001, limit: wire::MAX_MESSAGE_SIZE })
    );
    let len = good.len();
    assert_eq!(
        with(&|b| b.push(0)),
        Err(WireError::LengthMismatch { declared: len, actual: len + 1 })
    );
    assert_eq!(
        with(&|b| set_i32(b, 16, 1 << 5)),
        Err(WireError::UnknownRequiredFlags { flags: 1 << 5 })
    );
    // Optional bits (16+) are ignored; moreToCome is reported.
    assert!(with(&|b| set_i32(b, 16, 1 << 20)).is_ok());
    let mut mtc = good.clone();
    set_i32(&mut mtc, 16, wire::FLAG_MORE_TO_COME as i32);
    assert!(wire::parse_op_msg(&mtc).unwrap().more_to_come());
    assert_eq!(with(&|b| b[20] = 1), Err(WireError::DocumentSequence { offset: 20 }));
    assert_eq!(with(&|b| b[20] = 7), Err(WireError::UnknownSectionKind { kind: 7, offset: 20 }));
    // Body errors carry frame offsets.
    assert!(matches!(
        with(&|b| b[21] = 0xff),
        Err(WireError::Bson(BsonError::BadLength { offset: 21, .. }))
    ));
    // A second body section.
    let mut two = good.clone();
    two.extend_from_slice(&good[20..]);
    let n = two.len() as i32;
    set_i32(&mut two, 0, n);
    assert_eq!(wire::parse_op_msg(&two), Err(WireError::DuplicateBody { offset: good.len() }));
    // No body at all: header + flags + a kind-1... is rejected; header + flags + nothing is too short.
    let mut none = good[..20].to_vec();
    none.extend_from_slice(&[0; 6]);
    set_i32(&mut none, 0, 26);
    assert!(wire::parse_op_msg(&none).is_err());
}

#[test]
fn checksummed_frames() {
    let mut b = frame(&OkReply, 1, 0);
    b[16] |= wire::FLAG_CHECKSUM_PRESENT as u8;
    let n = (b.len() + 4) as i32;
    b[..4].copy_from_slice(&n.to_le_bytes());
    let crc = wire::crc32c(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    let msg = wire::parse_op_msg(&b).unwrap();
    assert_eq!(msg.checksum, Some(crc));
    assert_eq!(wire::check_ok(&msg.body), Ok(Ok(())));
    let last = b.len() - 1;
    b[last] ^= 1;
    assert!(matches!(wire::parse_op_msg(&b), Err(WireError::ChecksumMismatch { .. })));
}

#[test]
fn frame_len_checks_before_the_body() {
    let good = frame(&OkReply, 1, 0);
    let header: [u8; 16] = good[..16].try_into().unwrap();
    assert_eq!(wire::frame_len(&header), Ok(good.len()));
    assert_eq!(wire::frame_len_in(&header, good.len()), Ok(good.len()));
    assert_eq!(
        wire::frame_len_in(&header, 10),
        Err(WireError::MessageTooLarge { length: good.len(), limit: 10 })
    );
    let mut big = header;
    big[..4].copy_from_slice(&i32::MAX.to_le_bytes());
    assert!(matches!(wire::frame_len(&big), Err(WireError::MessageTooLarge { .. })));
}

// ---------------------------------------------------------------------------
// capacity
// ---------------------------------------------------------------------------

fn assert_capacity_exact(what: &str, b: &impl WriteBody) {
    let full = frame(b, 1, 0);
    let body = body_bytes(b);
    for cap in 0..full.len() {
        let mut out = vec![0xAAu8; cap];
        assert_eq!(
            wire::encode_message(1, 0, b, &mut out),
            Err(WireError::BufferTooSmall(mongoauth::BufferTooSmall { required: full.len() })),
            "{what}: frame capacity {cap}"
        );
    }
    for cap in 0..body.len() {
        let mut out = vec![0xAAu8; cap];
        assert_eq!(
            wire::encode_document(b, &mut out),
            Err(WireError::BufferTooSmall(mongoauth::BufferTooSmall { required: body.len() })),
            "{what}: document capacity {cap}"
        );
    }
    let mut exact = vec![0u8; full.len()];
    assert_eq!(wire::encode_message(1, 0, b, &mut exact), Ok(full.len()));
    assert_eq!(exact, full);
}

#[test]
fn too_small_buffers_report_the_exact_size() {
    let payload = b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL";
    let start =
        SaslStart { mechanism: "SCRAM-SHA-1", payload, skip_empty_exchange: true, db: "admin" };
    assert_capacity_exact("saslStart", &start);
    assert_capacity_exact(
        "saslContinue",
        &SaslContinue { conversation_id: ConversationId::Int32(1), payload, db: "admin" },
    );
    assert_capacity_exact("authenticate", &Authenticate::x509(Some("CN=x")));
    assert_capacity_exact(
        "hello",
        &Hello {
            sasl_supported_mechs: Some(UserRef { db: "admin", user: "user" }),
            speculative_authenticate: Some(Speculative::SaslStart(start)),
            ..Hello::default()
        },
    );
    assert_capacity_exact("error", &CommandError::AUTHENTICATION_FAILED);
    assert_capacity_exact(
        "hello reply",
        &HelloReply {
            sasl_supported_mechs: Some(MechList::Names(&["SCRAM-SHA-256"])),
            ..HelloReply::primary()
        },
    );
    // encode_op_msg of a prebuilt body.
    let body = body_bytes(&start);
    let doc = Document::parse(&body).unwrap();
    let mut out = vec![0u8; body.len() + 20];
    assert_eq!(
        wire::encode_op_msg(1, 0, doc, &mut out),
        Err(WireError::BufferTooSmall(mongoauth::BufferTooSmall { required: body.len() + 21 }))
    );
    let mut out = vec![0u8; body.len() + 21];
    let n = wire::encode_op_msg(1, 0, doc, &mut out).unwrap();
    assert_eq!(out[..n], frame(&start, 1, 0)[..]);
}

#[test]
fn writer_rejects_nul_in_keys() {
    let mut buf = [0u8; 64];
    let mut w = DocWriter::new(&mut buf);
    w.int32("a\0b", 1);
    assert_eq!(w.finish(), Err(BsonError::KeyContainsNul));
}

// ---------------------------------------------------------------------------
// property tests and cross-check with the `bson` crate
// ---------------------------------------------------------------------------

/// A document tree of the types the writer supports.
#[derive(Clone, Debug)]
enum T {
    Double(f64),
    Str(String),
    I32(i32),
    I64(i64),
    Bool(bool),
    Null,
    Bin(u8, Vec<u8>),
    DateTime(i64),
    Doc(Vec<(String, T)>),
    Arr(Vec<T>),
}

fn key() -> impl Strategy<Value = String> {
    "[^\u{0}]{0,8}"
}

fn tree() -> impl Strategy<Value = T> {
    let leaf = prop_oneof![
        any::<f64>().prop_map(T::Double),
        ".{0,12}".prop_map(T::Str),
        any::<i32>().prop_map(T::I32),
        any::<i64>().prop_map(T::I64),
        any::<bool>().prop_map(T::Bool),
        Just(T::Null),
        // Subtype 2 (old binary) has an inner length the bson crate checks.
        (
            any::<u8>().prop_filter("not old binary", |s| *s != 2),
            proptest::collection::vec(any::<u8>(), 0..16)
        )
            .prop_map(|(s, b)| T::Bin(s, b)),
        any::<i64>().prop_map(T::DateTime),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            proptest::collection::vec((key(), inner.clone()), 0..6)
                .prop_map(|kv| T::Doc(dedup(kv))),
            proptest::collection::vec(inner, 0..6).prop_map(T::Arr),
        ]
    })
}

fn top_doc() -> impl Strategy<Value = Vec<(String, T)>> {
    proptest::collection::vec((key(), tree()), 0..8).prop_map(dedup)
}

/// Unique keys (the bson crate's document is a map).
fn dedup(kv: Vec<(String, T)>) -> Vec<(String, T)> {
    let mut seen = std::collections::HashSet::new();
    kv.into_iter().filter(|(k, _)| seen.insert(k.clone())).collect()
}

fn write_tree_fields(w: &mut DocWriter<'_>, kv: &[(String, T)]) {
    for (k, v) in kv {
        match v {
            T::Double(d) => {
                w.double(k, *d);
            }
            T::Str(s) => {
                w.string(k, s);
            }
            T::I32(i) => {
                w.int32(k, *i);
            }
            T::I64(i) => {
                w.int64(k, *i);
            }
            T::Bool(b) => {
                w.bool(k, *b);
            }
            T::Null => {
                w.null(k);
            }
            T::Bin(s, b) => {
                w.binary(k, *s, b);
            }
            T::DateTime(t) => {
                w.datetime(k, *t);
            }
            T::Doc(kv) => {
                w.document(k, |w| write_tree_fields(w, kv));
            }
            T::Arr(items) => {
                w.array(k, |a| {
                    for item in items {
                        write_array_item(a, item);
                    }
                });
            }
        }
    }
}

fn write_array_item(a: &mut bson::ArrayWriter<'_, '_>, item: &T) {
    match item {
        T::Doc(kv) => {
            a.document(|w| write_tree_fields(w, kv));
        }
        T::Arr(items) => {
            a.array(|a| {
                for i in items {
                    write_array_item(a, i);
                }
            });
        }
        T::Double(d) => {
            a.double(*d);
        }
        T::Str(s) => {
            a.string(s);
        }
        T::I32(i) => {
            a.int32(*i);
        }
        T::I64(i) => {
            a.int64(*i);
        }
        T::Bool(b) => {
            a.bool(*b);
        }
        T::Null => {
            a.value(&Value::Null);
        }
        T::Bin(s, b) => {
            a.binary(*s, b);
        }
        T::DateTime(t) => {
            a.value(&Value::DateTime(*t));
        }
    }
}

fn ours_matches(v: Value<'_>, t: &T) -> bool {
    match (v, t) {
        (Value::Double(a), T::Double(b)) => a.to_bits() == b.to_bits(),
        (Value::String(a), T::Str(b)) => a == b,
        (Value::Int32(a), T::I32(b)) => a == *b,
        (Value::Int64(a), T::I64(b)) => a == *b,
        (Value::Bool(a), T::Bool(b)) => a == *b,
        (Value::Null, T::Null) => true,
        (Value::Binary(a), T::Bin(s, b)) => a.subtype == *s && a.bytes == &b[..],
        (Value::DateTime(a), T::DateTime(b)) => a == *b,
        (Value::Document(d), T::Doc(kv)) => doc_matches(d, kv),
        (Value::Array(a), T::Arr(items)) => {
            a.len() == items.len() && a.iter().zip(items).all(|(v, t)| ours_matches(v, t))
        }
        _ => false,
    }
}

fn doc_matches(d: Document<'_>, kv: &[(String, T)]) -> bool {
    d.iter().count() == kv.len()
        && d.iter().zip(kv).all(|(e, (k, t))| e.key == k && ours_matches(e.value, t))
}

fn to_bson(t: &T) -> ::bson::Bson {
    use ::bson::Bson;
    match t {
        T::Double(d) => Bson::Double(*d),
        T::Str(s) => Bson::String(s.clone()),
        T::I32(i) => Bson::Int32(*i),
        T::I64(i) => Bson::Int64(*i),
        T::Bool(b) => Bson::Boolean(*b),
        T::Null => Bson::Null,
        T::Bin(s, b) => Bson::Binary(::bson::Binary { subtype: (*s).into(), bytes: b.clone() }),
        T::DateTime(ms) => Bson::DateTime(::bson::DateTime::from_millis(*ms)),
        T::Doc(kv) => Bson::Document(to_bson_doc(kv)),
        T::Arr(items) => Bson::Array(items.iter().map(to_bson).collect()),
    }
}

fn to_bson_doc(kv: &[(String, T)]) -> ::bson::Document {
    kv.iter().map(|(k, v)| (k.clone(), to_bson(v))).collect()
}

/// Equality that treats NaN bit patterns as equal.
fn bson_eq(a: &::bson::Bson, b: &::bson::Bson) -> bool {
    use ::bson::Bson;
    match (a, b) {
        (Bson::Double(x), Bson::Double(y)) => x.to_bits() == y.to_bits(),
        (Bson::Document(x), Bson::Document(y)) => {
            x.len() == y.len()
                && x.iter().zip(y.iter()).all(|((ka, va), (kb, vb))| ka == kb && bson_eq(va, vb))
        }
        (Bson::Array(x), Bson::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| bson_eq(p, q))
        }
        _ => a == b,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = Document::parse(&bytes);
        let _ = wire::parse_op_msg(&bytes);
        if let Ok(h) = <[u8; 16]>::try_from(bytes.get(..16).unwrap_or(&[0; 16])) {
            let _ = wire::frame_len(&h);
        }
    }

    #[test]
    fn plausible_documents_never_panic(
        mut bytes in proptest::collection::vec(any::<u8>(), 5..200),
    ) {
        // A correct length prefix and terminator get past the first checks.
        let n = bytes.len() as i32;
        bytes[..4].copy_from_slice(&n.to_le_bytes());
        *bytes.last_mut().unwrap() = 0;
        // Indexing while validating accepts and rejects exactly as parsing.
        let indexed = Document::parse_fields(&bytes, ["a", ""]).map(|f| f.document());
        prop_assert_eq!(indexed, Document::parse(&bytes));
        if let Ok(d) = Document::parse(&bytes) {
            // A document that parses re-encodes to the same bytes.
            let again = write_doc(|w| for e in d.iter() { w.value(e.key, &e.value); });
            prop_assert_eq!(again, bytes);
        }
    }

    #[test]
    fn mutated_frames_never_panic(
        flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
        cut in any::<usize>(),
    ) {
        let payload = b"r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096";
        let mechs = ["SCRAM-SHA-256"];
        let reply = HelloReply {
            sasl_supported_mechs: Some(MechList::Names(&mechs)),
            speculative_authenticate: Some(SpeculativeReply::Sasl(SaslReply {
                conversation_id: ConversationId::Int32(1), done: false, payload,
            })),
            ..HelloReply::primary()
        };
        let mut b = frame(&reply, 1, 0);
        for (at, x) in flips {
            let len = b.len();
            b[at % len] ^= x;
        }
        let b = &b[..b.len() - cut % 4];
        let indexed = wire::parse_op_msg_fields(b, ["ok", "saslSupportedMechs"]).map(|(m, _)| m);
        prop_assert_eq!(indexed, wire::parse_op_msg(b));
        if let Ok(msg) = wire::parse_op_msg(b) {
            let _ = HelloReply::parse(msg.body);
            let _ = SaslReply::parse(msg.body);
            let _ = Hello::parse(msg.body);
            let _ = Command::parse(msg.body);
        }
    }

    #[test]
    fn field_index_agrees_with_a_scan(
        kv in proptest::collection::vec(("[abc]{0,2}", tree()), 0..10),
    ) {
        // Keys from a small alphabet: duplicates are common, and the first
        // occurrence must count, exactly as `Document::get` and a scan do.
        let bytes = write_doc(|w| write_tree_fields(w, &kv));
        let d = Document::parse(&bytes).unwrap();
        const KEYS: [&str; 6] = ["a", "b", "", "ab", "ca", "zz"];
        let f = d.fields(KEYS);
        // Indexed while validating: the same index, the same document.
        let g = Document::parse_fields(&bytes, KEYS).unwrap();
        prop_assert_eq!(g.document(), d);
        prop_assert_eq!(f.first(), d.first());
        prop_assert_eq!(g.first(), d.first());
        for k in KEYS {
            let scanned = d.iter().find(|e| e.key == k);
            prop_assert_eq!(f.get_element(k), scanned);
            prop_assert_eq!(g.get_element(k), scanned);
            prop_assert_eq!(d.get_element(k), scanned);
        }
    }

    #[test]
    fn writer_reader_round_trip(kv in top_doc()) {
        let bytes = write_doc(|w| write_tree_fields(w, &kv));
        let d = Document::parse(&bytes).unwrap();
        prop_assert!(doc_matches(d, &kv));
        // Copying every value through `DocWriter::value` is the identity.
        let again = write_doc(|w| for e in d.iter() { w.value(e.key, &e.value); });
        prop_assert_eq!(&again, &bytes);
        // Too small: the exact size, never a truncated document.
        let mut small = vec![0u8; bytes.len() - 1];
        let mut w = DocWriter::new(&mut small);
        write_tree_fields(&mut w, &kv);
        prop_assert_eq!(w.finish(), Err(BsonError::BufferTooSmall(mongoauth::BufferTooSmall { required: bytes.len() })));
    }

    #[test]
    fn cross_check_with_bson_crate(kv in top_doc()) {
        let want = to_bson_doc(&kv);
        // Ours -> theirs.
        let ours = write_doc(|w| write_tree_fields(w, &kv));
        let theirs = ::bson::Document::from_reader(&mut &ours[..]).unwrap();
        prop_assert!(bson_eq(&::bson::Bson::Document(theirs), &::bson::Bson::Document(want.clone())));
        // Theirs -> ours, byte for byte.
        let mut encoded = Vec::new();
        want.to_writer(&mut encoded).unwrap();
        prop_assert_eq!(&encoded, &ours);
        let d = Document::parse(&encoded).unwrap();
        prop_assert!(doc_matches(d, &kv));
    }
}

#[test]
fn bson_crate_reads_our_commands() {
    let start = SaslStart {
        mechanism: "SCRAM-SHA-256",
        payload: b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
        skip_empty_exchange: true,
        db: "admin",
    };
    let body = body_bytes(&start);
    let theirs = ::bson::Document::from_reader(&mut &body[..]).unwrap();
    let want = ::bson::doc! {
        "saslStart": 1i32,
        "mechanism": "SCRAM-SHA-256",
        "payload": ::bson::Binary { subtype: ::bson::spec::BinarySubtype::Generic, bytes: start.payload.to_vec() },
        "options": { "skipEmptyExchange": true },
        "$db": "admin",
    };
    assert_eq!(theirs, want);
    let mut encoded = Vec::new();
    want.to_writer(&mut encoded).unwrap();
    assert_eq!(encoded, body);

    // A server-like hello reply with types we only skip over.
    let reply = ::bson::doc! {
        "isWritablePrimary": true,
        "topologyVersion": { "processId": ::bson::oid::ObjectId::from_bytes([7; 12]), "counter": 0i64 },
        "localTime": ::bson::DateTime::from_millis(5),
        "$clusterTime": { "clusterTime": ::bson::Timestamp { time: 1, increment: 2 } },
        "re": ::bson::Regex { pattern: "a+".into(), options: "i".into() },
        "code": ::bson::Bson::JavaScriptCode("x".into()),
        "dec": ::bson::Bson::Decimal128(::bson::Decimal128::from_bytes([1; 16])),
        "min": ::bson::Bson::MinKey,
        "max": ::bson::Bson::MaxKey,
        "saslSupportedMechs": ["SCRAM-SHA-1", "SCRAM-SHA-256"],
        "maxWireVersion": 25i32,
        "ok": 1.0,
    };
    let mut bytes = Vec::new();
    reply.to_writer(&mut bytes).unwrap();
    let d = Document::parse(&bytes).unwrap();
    let parsed = HelloReply::parse(d).unwrap().unwrap();
    assert_eq!(parsed.local_time, Some(5));
    assert_eq!(parsed.max_wire_version, Some(25));
    assert_eq!(negotiated(&parsed), "SCRAM-SHA-256");
    let again = write_doc(|w| {
        for e in d.iter() {
            w.value(e.key, &e.value);
        }
    });
    assert_eq!(again, bytes);
}
