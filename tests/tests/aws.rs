//! MONGODB-AWS: the spec's BSON example payloads, its region table, the two
//! constructed SigV4 vectors (cross-checked with botocore), server-first
//! rejections, credential and date rules, redaction, an independent SigV4
//! oracle (the `hmac`/`sha2` crates and `format!`) over random inputs, and
//! "never panics" properties.
#![allow(clippy::unwrap_used, missing_docs)]

use base64ct::{Base64, Encoding};
use mongoauth::Error;
use mongoauth::codec::bson::{DocWriter, Document};
use mongoauth::mech::aws::{
    self, AmzDate, AwsError, AwsInput, Client, Credentials, MAX_ACCESS_KEY_ID_LEN,
    MAX_AUTHORIZATION_LEN, MAX_CLIENT_SECOND_LEN, MAX_HOST_LEN, MAX_SECRET_ACCESS_KEY_LEN,
    MAX_SESSION_TOKEN_LEN,
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

fn vectors() -> Json {
    spec_json("mechanism-vectors.json")["MONGODB-AWS"].clone()
}

fn example() -> Json {
    let v = vectors();
    let key =
        v.as_object().unwrap().keys().find(|k| k.starts_with("spec_bson_example")).unwrap().clone();
    v[&key].clone()
}

fn nonce32(bytes: &[u8]) -> [u8; 32] {
    bytes[..32].try_into().unwrap()
}

/// `{s: BinData(subtype, s), h: host}` as a server would send it.
fn server_first(s: &[u8], subtype: u8, host: &str) -> Vec<u8> {
    let mut buf = vec![0u8; 1024];
    let mut w = DocWriter::new(&mut buf);
    w.binary("s", subtype, s).string("h", host);
    let n = w.finish().unwrap();
    buf.truncate(n);
    buf
}

fn date() -> AmzDate {
    AmzDate::parse("20191112T210122Z").unwrap()
}

fn creds() -> Credentials<'static> {
    Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
}

fn aws_err(e: Error) -> AwsError {
    match e {
        Error::Aws(a) => a,
        other => panic!("expected Error::Aws, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// the spec's BSON example
// ---------------------------------------------------------------------------

#[test]
fn client_first_matches_spec_bytes() {
    let ex = example();
    let want = b64(ex["client_first"]["cmd"]["payload"]["$binary"]["base64"].as_str().unwrap());
    let r = b64(ex["client_first"]["payload_decoded"]["r(BinData0,32 bytes)"].as_str().unwrap());
    let client = Client::start(&nonce32(&r));
    assert_eq!(client.payload(), &want[..]);
    let doc = Document::parse(client.payload()).unwrap();
    let keys: Vec<_> = doc.iter().map(|e| e.key).collect();
    assert_eq!(keys, ["r", "p"]);
    assert_eq!(doc.get_i32("p").unwrap(), 110);
    assert_eq!(ex["client_first"]["cmd"]["mechanism"], aws::MECHANISM);
}

/// The spec's server-first is accepted, and our client-second has exactly the
/// spec's bytes except the 64 signature digits (its secret is unpublished).
#[test]
fn spec_server_first_and_client_second_shape() {
    let ex = example();
    let r = b64(ex["client_first"]["payload_decoded"]["r(BinData0,32 bytes)"].as_str().unwrap());
    let sf = b64(ex["server_first"]["reply"]["payload"]["$binary"]["base64"].as_str().unwrap());
    let want = b64(ex["client_second"]["cmd"]["payload"]["$binary"]["base64"].as_str().unwrap());
    let a = ex["client_second"]["payload_decoded"]["a"].as_str().unwrap();
    let d = ex["client_second"]["payload_decoded"]["d"].as_str().unwrap();

    let doc = Document::parse(&sf).unwrap();
    assert_eq!(doc.get_str("h").unwrap(), "sts.amazonaws.com");
    let date = AmzDate::parse(d).unwrap();
    let creds = Credentials::new("AKIAICGVLKOKZVY3X3DA", "not-the-unpublished-secret");
    let done = Client::start(&nonce32(&r)).handle_server_first(&sf, &creds, &date).unwrap();
    let got = done.payload();
    assert_eq!(got.len(), want.len());
    let sig_at = want.windows(10).position(|w| w == b"Signature=").unwrap() + 10;
    assert_eq!(&got[..sig_at], &want[..sig_at]);
    assert_eq!(&got[sig_at + 64..], &want[sig_at + 64..]);
    let reply = Document::parse(got).unwrap();
    let got_a = reply.get_str("a").unwrap();
    assert_eq!(got_a[..got_a.len() - 64], a[..a.len() - 64]);
    assert_eq!(reply.get_str("d").unwrap(), d);
    assert!(!reply.contains_key("t"));
}

// ---------------------------------------------------------------------------
// region table
// ---------------------------------------------------------------------------

#[test]
fn region_cases() {
    let v = vectors();
    let cases = v["region_cases (spec table 'Region Calculation')"].as_array().unwrap();
    let mut ran = 0;
    for case in cases {
        let host = case["host"].as_str().unwrap();
        let host = if host == "<any string longer than 255 bytes>" {
            format!("sts.{}.amazonaws.com", "a".repeat(240))
        } else {
            host.to_owned()
        };
        let got = aws::region(&host);
        if case["error"] == Json::Bool(true) {
            let e = aws_err(got.unwrap_err());
            assert_eq!(e.input, AwsInput::Host, "{host:?}");
        } else {
            assert_eq!(got.unwrap(), case["region"].as_str().unwrap(), "{host:?}");
        }
        ran += 1;
    }
    assert_eq!(ran, 10);
}

#[test]
fn region_error_offsets_and_limits() {
    let cases: &[(&str, &str, usize)] = &[
        ("", "host is empty", 0),
        (".amazonaws.com", "host starts with `.`", 0),
        ("sts.amazonaws.", "host ends with `.`", 13),
        ("sts..com", "host has an empty label", 4),
        ("sts.us east.com", "host must be visible ASCII", 6),
        ("sts.x\ny.com", "host must be visible ASCII", 5),
    ];
    for &(host, rule, offset) in cases {
        let e = aws_err(aws::region(host).unwrap_err());
        assert_eq!(e, AwsError { input: AwsInput::Host, rule, offset }, "{host:?}");
    }
    let max = format!("a.{}", "b".repeat(MAX_HOST_LEN - 2));
    assert_eq!(aws::region(&max).unwrap().len(), MAX_HOST_LEN - 2);
    let over = format!("{max}c");
    assert_eq!(aws_err(aws::region(&over).unwrap_err()).offset, MAX_HOST_LEN);
    // The table, not the pseudocode: aws.amazonaws.com is an ordinary host.
    assert_eq!(aws::region("aws.amazonaws.com").unwrap(), "amazonaws");
}

// ---------------------------------------------------------------------------
// constructed SigV4 vectors
// ---------------------------------------------------------------------------

#[test]
fn sigv4_vectors_byte_for_byte() {
    let v = vectors();
    let mut ran = 0;
    for case in v["constructed_sigv4_vectors"].as_array().unwrap() {
        let id = case["id"].as_str().unwrap();
        let i = &case["inputs"];
        let x = &case["expected"];
        let s = b64(i["server_nonce_b64"].as_str().unwrap());
        let host = i["sts_host"].as_str().unwrap();
        let mut creds = Credentials::new(
            i["access_key_id"].as_str().unwrap(),
            i["secret_access_key"].as_str().unwrap(),
        );
        if let Some(t) = i["session_token"].as_str() {
            creds = creds.with_session_token(t);
        }
        let date = AmzDate::parse(i["x_amz_date"].as_str().unwrap()).unwrap();
        assert_eq!(aws::region(host).unwrap(), x["region"].as_str().unwrap(), "{id}");

        let done = Client::start(&nonce32(&s))
            .handle_server_first(&server_first(&s, 0, host), &creds, &date)
            .unwrap();
        let want = b64(x["client_second_payload_bson_b64"].as_str().unwrap());
        assert_eq!(done.payload(), &want[..], "{id}: client-second bytes");

        let reply = Document::parse(done.payload()).unwrap();
        assert_eq!(reply.get_str("a").unwrap(), x["authorization"].as_str().unwrap(), "{id}");
        let json = &x["client_second_payload_json"];
        assert_eq!(reply.get_str("d").unwrap(), json["d"].as_str().unwrap(), "{id}");
        assert_eq!(reply.get_opt::<&str>("t").unwrap(), json["t"].as_str(), "{id}");
        let keys: Vec<_> = reply.iter().map(|e| e.key).collect();
        assert_eq!(keys.len(), json.as_object().unwrap().len(), "{id}");

        // The independent oracle agrees on every intermediate of the vector.
        let o = oracle(&creds, host, x["region"].as_str().unwrap(), &date, &s);
        assert_eq!(o.canonical_request, x["canonical_request"].as_str().unwrap(), "{id}");
        assert_eq!(o.string_to_sign, x["string_to_sign"].as_str().unwrap(), "{id}");
        assert_eq!(o.authorization, x["authorization"].as_str().unwrap(), "{id}");
        assert!(x["authorization"].as_str().unwrap().contains(x["signature"].as_str().unwrap()));
        assert!(
            x["authorization"]
                .as_str()
                .unwrap()
                .contains(&format!("SignedHeaders={},", x["signed_headers"].as_str().unwrap()))
        );
        ran += 1;
    }
    assert_eq!(ran, 2);
}

// ---------------------------------------------------------------------------
// an independent SigV4: format! + the hmac and sha2 crates
// ---------------------------------------------------------------------------

struct Oracle {
    canonical_request: String,
    string_to_sign: String,
    authorization: String,
}

fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use hmac::{KeyInit, Mac};
    let mut m = <hmac::Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(msg);
    m.finalize().into_bytes().to_vec()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(data))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn oracle(c: &Credentials<'_>, host: &str, region: &str, date: &AmzDate, s: &[u8]) -> Oracle {
    let d = date.as_str();
    let day = &d[..8];
    let mut headers = vec![
        ("content-length".to_owned(), "43".to_owned()),
        ("content-type".to_owned(), "application/x-www-form-urlencoded".to_owned()),
        ("host".to_owned(), host.to_owned()),
        ("x-amz-date".to_owned(), d.to_owned()),
        ("x-mongodb-gs2-cb-flag".to_owned(), "n".to_owned()),
        ("x-mongodb-server-nonce".to_owned(), Base64::encode_string(s)),
    ];
    if let Some(t) = c.session_token {
        headers.push(("x-amz-security-token".to_owned(), t.to_owned()));
    }
    headers.sort();
    let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let signed: Vec<_> = headers.iter().map(|(k, _)| k.as_str()).collect();
    let signed = signed.join(";");
    let canonical_request = format!(
        "POST\n/\n\n{canonical_headers}\n{signed}\n{}",
        sha256_hex(aws::STS_BODY.as_bytes())
    );
    let scope = format!("{day}/{region}/sts/aws4_request");
    let string_to_sign =
        format!("AWS4-HMAC-SHA256\n{d}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()));
    let mut k = hmac(format!("AWS4{}", c.secret_access_key).as_bytes(), day.as_bytes());
    for step in [region, "sts", "aws4_request"] {
        k = hmac(&k, step.as_bytes());
    }
    let sig = hex(&hmac(&k, string_to_sign.as_bytes()));
    let authorization = format!(
        "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}",
        c.access_key_id
    );
    Oracle { canonical_request, string_to_sign, authorization }
}

fn visible(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[!-~]{{1,{max}}}")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn sigv4_agrees_with_oracle(
        id in "[A-Z0-9]{1,128}",
        secret in proptest::collection::vec(any::<u8>(), 1..=MAX_SECRET_ACCESS_KEY_LEN)
            .prop_map(|v| v.into_iter().map(|b| char::from(b' ' + b % 95)).collect::<String>()),
        token in proptest::option::of(visible(600)),
        host in "[a-z0-9-]{1,20}(\\.[a-z0-9-]{1,20}){0,4}",
        secs in 0u64..253_402_300_800,
        s_tail in any::<[u8; 32]>(),
        nonce in any::<[u8; 32]>(),
    ) {
        let mut c = Credentials::new(&id, &secret);
        if let Some(t) = &token { c = c.with_session_token(t); }
        let date = AmzDate::from_unix_seconds(secs).unwrap();
        let mut s = nonce.to_vec();
        s.extend_from_slice(&s_tail);
        let done = Client::start(&nonce).handle_server_first(&server_first(&s, 0, &host), &c, &date).unwrap();
        let reply = Document::parse(done.payload()).unwrap();
        let region = aws::region(&host).unwrap();
        let a = reply.get_str("a").unwrap();
        prop_assert_eq!(a, oracle(&c, &host, region, &date, &s).authorization);
        prop_assert!(a.len() <= MAX_AUTHORIZATION_LEN);
        prop_assert_eq!(reply.get_str("d").unwrap(), date.as_str());
        prop_assert_eq!(reply.get_opt::<&str>("t").unwrap(), token.as_deref());
    }

    /// Arbitrary bytes as server-first: an error or a result, never a panic.
    #[test]
    fn arbitrary_server_first_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Client::start(&[1; 32]).handle_server_first(&bytes, &creds(), &date());
    }

    /// Well-formed BSON with arbitrary `s` and `h`: accepted exactly when the
    /// rules hold.
    #[test]
    fn arbitrary_s_and_h(
        s in proptest::collection::vec(any::<u8>(), 0..80),
        subtype in prop_oneof![Just(0u8), any::<u8>()],
        h in prop_oneof![".{0,300}", "[a-z.]{0,12}"],
        keep_prefix in any::<bool>(),
    ) {
        let nonce = [3u8; 32];
        let mut s = s;
        if keep_prefix && s.len() >= 32 { s[..32].copy_from_slice(&nonce); }
        let got = Client::start(&nonce).handle_server_first(&server_first(&s, subtype, &h), &creds(), &date());
        let ok = subtype == 0 && s.len() == 64 && s[..32] == nonce && aws::region(&h).is_ok();
        prop_assert_eq!(got.is_ok(), ok);
    }

    #[test]
    fn region_never_panics(h in ".{0,300}") {
        if let Ok(r) = aws::region(&h) {
            prop_assert!(r == "us-east-1" || h.split('.').nth(1) == Some(r));
        }
    }

    #[test]
    fn date_parse_never_panics(t in ".{0,20}") {
        if let Ok(d) = AmzDate::parse(&t) { prop_assert_eq!(d.as_str(), t); }
    }

    /// Every formatted second parses back, and consecutive days stay ordered.
    #[test]
    fn unix_seconds_format_parses(secs in 0u64..253_402_300_800) {
        let d = AmzDate::from_unix_seconds(secs).unwrap();
        prop_assert_eq!(AmzDate::parse(d.as_str()).unwrap(), d);
        if let Ok(next) = AmzDate::from_unix_seconds(secs + 86_400) {
            prop_assert!(next.as_str() > d.as_str());
        }
    }
}

// ---------------------------------------------------------------------------
// server-first rejections
// ---------------------------------------------------------------------------

#[test]
fn server_first_rejections() {
    let nonce = [5u8; 32];
    let mut good = [8u8; 64];
    good[..32].copy_from_slice(&nonce);
    let run = |payload: &[u8]| {
        Client::start(&nonce).handle_server_first(payload, &creds(), &date()).unwrap_err()
    };
    // The good one passes.
    Client::start(&nonce)
        .handle_server_first(&server_first(&good, 0, "sts.amazonaws.com"), &creds(), &date())
        .unwrap();

    let e = aws_err(run(&server_first(&good[..63], 0, "sts.amazonaws.com")));
    assert_eq!(
        e,
        AwsError { input: AwsInput::ServerFirst, rule: "`s` must be exactly 64 bytes", offset: 4 }
    );
    let long = [&good[..], &[0]].concat();
    assert_eq!(
        aws_err(run(&server_first(&long, 0, "sts.amazonaws.com"))).rule,
        "`s` must be exactly 64 bytes"
    );
    assert_eq!(
        aws_err(run(&server_first(&good[..32], 0, "sts.amazonaws.com"))).rule,
        "`s` must be exactly 64 bytes"
    );

    let mut other = good;
    other[31] ^= 1;
    let e = aws_err(run(&server_first(&other, 0, "sts.amazonaws.com")));
    assert_eq!(e.rule, "`s` must start with the client nonce");
    assert_eq!(e.offset, 4);

    assert_eq!(
        aws_err(run(&server_first(&good, 4, "sts.amazonaws.com"))).rule,
        "`s` must be BinData subtype 0"
    );

    for bad in ["", "sts..com", ".amazonaws.com", "sts.amazonaws.", "a b"] {
        let e = aws_err(run(&server_first(&good, 0, bad)));
        assert_eq!(e.input, AwsInput::Host, "{bad:?}");
    }
    let e = aws_err(run(&server_first(&good, 0, &"a".repeat(256))));
    assert_eq!((e.input, e.offset), (AwsInput::Host, 255));

    // Missing or mistyped fields and non-BSON are BSON errors.
    let mut buf = [0u8; 128];
    let mut w = DocWriter::new(&mut buf);
    w.binary("s", 0, &good);
    let n = w.finish().unwrap();
    assert!(matches!(run(&buf[..n]), Error::Wire(_)));
    let mut w = DocWriter::new(&mut buf);
    w.binary("s", 0, &good).int32("h", 1);
    let n = w.finish().unwrap();
    assert!(matches!(run(&buf[..n]), Error::Wire(_)));
    let mut w = DocWriter::new(&mut buf);
    w.string("s", "x").string("h", "sts.amazonaws.com");
    let n = w.finish().unwrap();
    assert!(matches!(run(&buf[..n]), Error::Wire(_)));
    assert!(matches!(run(b"\x05\x00\x00\x00"), Error::Wire(_)));
    assert!(matches!(run(b""), Error::Wire(_)));
}

// ---------------------------------------------------------------------------
// credentials, limits, redaction
// ---------------------------------------------------------------------------

#[test]
fn credential_rules() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let long_id = "A".repeat(MAX_ACCESS_KEY_ID_LEN + 1);
    let long_secret = "s".repeat(MAX_SECRET_ACCESS_KEY_LEN + 1);
    let long_token = "t".repeat(MAX_SESSION_TOKEN_LEN + 1);
    let cases: Vec<(Credentials<'_>, Error)> = vec![
        (
            Credentials::new("", secret),
            Error::InvalidCredential { rule: "AWS access key id is empty" },
        ),
        (
            Credentials::new("AKID", ""),
            Error::InvalidCredential { rule: "AWS secret access key is empty" },
        ),
        (
            Credentials::new(&long_id, secret),
            Error::Capacity { what: "AWS access key id", limit: MAX_ACCESS_KEY_ID_LEN },
        ),
        (
            Credentials::new("AKID", &long_secret),
            Error::Capacity { what: "AWS secret access key", limit: MAX_SECRET_ACCESS_KEY_LEN },
        ),
        (
            Credentials::new("AKID", secret).with_session_token(&long_token),
            Error::Capacity { what: "AWS session token", limit: MAX_SESSION_TOKEN_LEN },
        ),
    ];
    for (c, want) in cases {
        assert_eq!(c.validate().unwrap_err(), want);
    }
    for id in ["AK/ID", "AK,ID", "AK ID", "AKID\n", "AK=ID"] {
        assert!(matches!(
            Credentials::new(id, secret).validate(),
            Err(Error::InvalidCredential { .. })
        ));
    }
    for token in ["", "tok en", "tok\nx-amz-date:1", "tök"] {
        assert!(matches!(
            Credentials::new("AKID", secret).with_session_token(token).validate(),
            Err(Error::InvalidCredential { .. })
        ));
    }
    // Caller errors come first, whatever the server sent.
    let e = Client::start(&[0; 32]).handle_server_first(
        b"junk",
        &Credentials::new("", secret),
        &date(),
    );
    assert!(matches!(e, Err(Error::InvalidCredential { .. })));
}

#[test]
fn largest_inputs_fit_the_documented_limits() {
    let id = "A".repeat(MAX_ACCESS_KEY_ID_LEN);
    let secret = "s".repeat(MAX_SECRET_ACCESS_KEY_LEN);
    let token = "t".repeat(MAX_SESSION_TOKEN_LEN);
    let host = format!("a.{}", "r".repeat(MAX_HOST_LEN - 2));
    let nonce = [1u8; 32];
    let mut s = [2u8; 64];
    s[..32].copy_from_slice(&nonce);
    let c = Credentials::new(&id, &secret).with_session_token(&token);
    let done = Client::start(&nonce)
        .handle_server_first(&server_first(&s, 0, &host), &c, &date())
        .unwrap();
    assert_eq!(done.payload().len(), MAX_CLIENT_SECOND_LEN);
    let reply = Document::parse(done.payload()).unwrap();
    assert_eq!(reply.get_str("a").unwrap().len(), MAX_AUTHORIZATION_LEN);
    assert_eq!(
        reply.get_str("a").unwrap(),
        oracle(&c, &host, &host[2..], &date(), &s).authorization
    );
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let token = "AQoDYXdzEJr1K...EXAMPLE-SESSION-TOKEN";
    let c = Credentials::new("AKIDEXAMPLE", secret).with_session_token(token);
    let dbg = format!("{c:?}");
    assert!(dbg.contains("AKIDEXAMPLE") && !dbg.contains(secret) && !dbg.contains(token), "{dbg}");
    let nonce = [4u8; 32];
    let mut s = [6u8; 64];
    s[..32].copy_from_slice(&nonce);
    let client = Client::start(&nonce);
    assert!(!format!("{client:?}").is_empty());
    let done =
        client.handle_server_first(&server_first(&s, 0, "sts.amazonaws.com"), &c, &date()).unwrap();
    let dbg = format!("{done:?}");
    assert!(!dbg.contains(token) && !dbg.contains("AWS4"), "{dbg}");
    // Every error path's Display and Debug.
    let errors = [
        Client::start(&[9; 32])
            .handle_server_first(&server_first(&s, 0, "sts.amazonaws.com"), &c, &date())
            .unwrap_err(),
        Client::start(&nonce)
            .handle_server_first(&server_first(&s, 0, "a..b"), &c, &date())
            .unwrap_err(),
        Credentials::new("AKID", secret).with_session_token("bad token").validate().unwrap_err(),
    ];
    for e in errors {
        for text in [format!("{e}"), format!("{e:?}")] {
            assert!(
                !text.contains(secret) && !text.contains(token) && !text.contains("bad token"),
                "{text}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// X-Amz-Date
// ---------------------------------------------------------------------------

#[test]
fn amz_date_rules() {
    let d = date();
    assert_eq!((d.as_str(), d.date()), ("20191112T210122Z", "20191112"));
    assert_eq!(AmzDate::from_unix_seconds(1_573_592_482).unwrap(), d);
    assert_eq!(AmzDate::from_unix_seconds(0).unwrap().as_str(), "19700101T000000Z");
    assert_eq!(AmzDate::from_unix_seconds(951_868_799).unwrap().as_str(), "20000229T235959Z");
    assert_eq!(AmzDate::from_unix_seconds(253_402_300_799).unwrap().as_str(), "99991231T235959Z");
    assert_eq!(
        aws_err(AmzDate::from_unix_seconds(253_402_300_800).unwrap_err()).input,
        AwsInput::Date
    );
    for ok in ["20200229T000000Z", "20000229T235959Z", "19991231T235959Z"] {
        AmzDate::parse(ok).unwrap();
    }
    let bad: &[(&str, usize)] = &[
        ("", 0),
        ("20191112T210122", 15),
        ("20191112T210122ZZ", 16),
        ("20191112 210122Z", 8),
        ("2019111xT210122Z", 7),
        ("20191112T210122z", 15),
        ("20191312T210122Z", 4),
        ("20190012T210122Z", 4),
        ("20190229T000000Z", 6),
        ("19000229T000000Z", 6),
        ("20190431T000000Z", 6),
        ("20190400T000000Z", 6),
        ("20191112T240000Z", 9),
        ("20191112T236000Z", 11),
        ("20191112T235960Z", 13),
        ("２0191112T2101Z", 0),
    ];
    for &(text, offset) in bad {
        let e = aws_err(AmzDate::parse(text).unwrap_err());
        assert_eq!((e.input, e.offset), (AwsInput::Date, offset), "{text:?}: {}", e.rule);
    }
}
