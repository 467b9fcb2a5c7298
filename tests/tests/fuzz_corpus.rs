//! The fuzz corpus under stable `cargo test`: every committed input of
//! `fuzz/corpus/<target>/` goes through the same `mongoauth_fuzz_harness`
//! function (`tests/fuzz-harness`) the libFuzzer target calls, and must pass.
//!
//! Also here: positive controls showing the two "nobody logs in" checks do
//! fire on a real login, and the generator of the seed corpora
//! (`cargo test -p mongoauth-tests --test fuzz_corpus -- --ignored generate_seed_corpus`).

use std::fs;
use std::path::{Path, PathBuf};

use mongoauth::client::{Authenticator, Credential, Step};
use mongoauth::codec::bson::{DocWriter, Value};
use mongoauth::codec::wire::{self, CommandError, HelloReply, SaslContinue, SaslReply, SaslStart};
use mongoauth::mech::scram::{Client, ClientConfig, Nonce, Sha256};
use mongoauth::server::ServerSession;
use mongoauth_fuzz_harness::{self as fz, Outcome};
use mongoauth_tests::{root, spec_json};

type Target = fn(&[u8]) -> Outcome;

/// Every fuzz target, by its `fuzz/fuzz_targets/<name>.rs` name.
const TARGETS: &[(&str, Target)] = &[
    ("scram_client_first", fz::scram_client_first),
    ("scram_server_first", fz::scram_server_first),
    ("scram_server_final", fz::scram_server_final),
    ("scram_client_final", fz::scram_client_final),
    ("saslprep", fz::saslprep),
    ("uri", fz::uri),
    ("bson", fz::bson),
    ("op_msg", fz::op_msg),
    ("authenticator", fz::authenticator),
    ("session", fz::session),
    ("mongodb_cr", fz::mongodb_cr),
    ("gssapi", fz::gssapi),
];

fn corpus_dir() -> PathBuf {
    root().join("fuzz").join("corpus")
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

#[test]
fn replay_committed_corpus() {
    let mut failures = Vec::new();
    for (name, target) in TARGETS {
        let dir = corpus_dir().join(name);
        let inputs = files(&dir);
        assert!(!inputs.is_empty(), "no corpus for fuzz target {name} in {}", dir.display());
        let mut passed = 0;
        for path in &inputs {
            let data = fs::read(path).expect("corpus file");
            match target(&data) {
                Ok(()) => passed += 1,
                Err(invariant) => failures.push(format!("{}: {invariant}", path.display())),
            }
        }
        println!("{name}: {} inputs ran, {passed} passed", inputs.len());
    }
    // Every corpus folder belongs to a target (a renamed target leaves none behind).
    for dir in fs::read_dir(corpus_dir()).expect("fuzz/corpus").flatten() {
        let name = dir.file_name().into_string().expect("UTF-8 folder name");
        assert!(TARGETS.iter().any(|(t, _)| *t == name), "corpus folder {name} has no target");
    }
    assert!(failures.is_empty(), "corpus inputs broke invariants:\n{}", failures.join("\n"));
}

/// The URI target's invariants over every URI of the spec suites, and over
/// the shapes issue #12 names (zone ids, long passwords, many hosts, `%2C`
/// in a property, a URI longer than the target's old 4 KiB buffers).
#[test]
fn uri_target_holds_on_spec_and_large_uris() {
    let mut uris: Vec<String> = Vec::new();
    for dir in ["connection-string", "uri-options", "auth/legacy"] {
        for path in files(&mongoauth_tests::spec_tests().join(dir)) {
            if path.extension().is_some_and(|e| e == "json") {
                let rel =
                    path.strip_prefix(mongoauth_tests::spec_tests()).expect("under spec-tests");
                let json = spec_json(rel.to_str().expect("UTF-8 path"));
                for t in json["tests"].as_array().into_iter().flatten() {
                    uris.extend(t["uri"].as_str().map(String::from));
                }
            }
        }
    }
    assert!(uris.len() > 300, "{} spec URIs", uris.len());
    let hosts: Vec<String> = (0..200).map(|i| format!("h{i}.example.com:{}", 1 + i)).collect();
    uris.extend([
        "mongodb://u:p@[fe80::1%25eth0]:27018,[::1%25lo],/tmp%2Fm.sock/db".to_string(),
        format!("mongodb://user:{}@localhost/admin?authSource=x", "p%40".repeat(1400)),
        format!("mongodb://user:{}@localhost/admin", "p".repeat(5000)),
        format!("mongodb://u:p@{}/?authMechanism=SCRAM-SHA-256", hosts.join(",")),
        "mongodb://u@h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,\
         TOKEN_RESOURCE:api%2Cv2&readPreferenceTags=dc:n%2Cy,rack:1"
            .to_string(),
    ]);
    let mut failures = Vec::new();
    for uri in &uris {
        if let Err(invariant) = fz::uri(uri.as_bytes()) {
            failures.push(format!("{uri}: {invariant}"));
        }
    }
    assert!(failures.is_empty(), "uri target invariants broke:\n{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------
// Real conversations: the positive controls and the conversation seeds.
// ---------------------------------------------------------------------------

/// A BSON body sent or received.
type Body = Vec<u8>;

/// A login of `FUZZ_USER` with `password` against a session over
/// `FuzzUsers`, both with the targets' fixed entropy. Returns the replies
/// the client read, the commands the server read, and whether each side
/// saw a login.
fn converse(flags: u8, password: &str) -> (Vec<Body>, Vec<Body>, bool, bool) {
    let users = fz::FuzzUsers;
    let mut server = ServerSession::new(&users, [0x3c; 32]);
    let cred =
        Credential::scram(fz::FUZZ_USER, password, fz::FUZZ_SOURCE).expect("fixed credential");
    let mut auth = Authenticator::new(cred, fz::auth_config(flags), &fz::AUTH_ENTROPY)
        .expect("fixed credential");
    let (mut commands, mut replies) = (Vec::new(), Vec::new());
    let (mut req, mut rep) = ([0u8; 4096], [0u8; 4096]);
    while let Some(cmd) = auth.command() {
        let n = wire::encode_document(&cmd, &mut req).expect("command encodes");
        let m = server.handle(&req[..n], &fz::SESSION_ENTROPY, &mut rep).expect("reply");
        commands.push(req[..n].to_vec());
        replies.push(rep[..m].to_vec());
        match auth.handle_reply(&rep[..m]) {
            Ok(Step::Send(_)) => {}
            Ok(_) | Err(_) => break,
        }
    }
    (replies, commands, auth.is_authenticated(), server.authenticated_user().is_some())
}

fn seed(first: u8, bodies: &[Body]) -> Vec<u8> {
    let mut v = vec![first];
    for b in bodies {
        v.extend_from_slice(b);
    }
    v
}

/// Change the first character of the server signature (`v=`) in a reply.
fn tamper_signature(replies: &mut [Body]) -> bool {
    for r in replies.iter_mut() {
        if let Some(i) = r.windows(2).position(|w| w == b"v=") {
            let c = &mut r[i + 2];
            *c = if *c == b'A' { b'B' } else { b'A' };
            return true;
        }
    }
    false
}

#[test]
fn conversation_targets_catch_a_real_login() {
    for flags in 0..4u8 {
        let (mut replies, commands, client_ok, server_ok) = converse(flags, fz::FUZZ_PASSWORD);
        assert!(client_ok && server_ok, "the fixed login must work (flags {flags})");
        // Replaying a real transcript logs in, and the targets say so.
        assert_eq!(
            fz::authenticator(&seed(flags, &replies)),
            Err("authenticated without the server's signature")
        );
        assert_eq!(
            fz::session(&seed(0, &commands)),
            Err("a client logged in without the password")
        );
        // One changed signature byte, or a wrong password: no login.
        assert!(tamper_signature(&mut replies));
        assert_eq!(fz::authenticator(&seed(flags, &replies)), Ok(()));
        let (_, wrong, _, server_ok) = converse(flags, "not the password");
        assert!(!server_ok);
        assert_eq!(fz::session(&seed(0, &wrong)), Ok(()));
    }
}

// ---------------------------------------------------------------------------
// The seed corpus generator.
// ---------------------------------------------------------------------------

fn write_seed(target: &str, name: &str, data: &[u8]) {
    let dir = corpus_dir().join(target);
    fs::create_dir_all(&dir).expect("create corpus folder");
    fs::write(dir.join(name), data).expect("write seed");
}

fn doc(f: impl FnOnce(&mut DocWriter<'_>)) -> Body {
    let mut buf = [0u8; 4096];
    let mut w = DocWriter::new(&mut buf);
    f(&mut w);
    let n = w.finish().expect("seed document");
    buf[..n].to_vec()
}

fn body(b: &impl wire::WriteBody) -> Body {
    let mut buf = [0u8; 4096];
    let n = wire::encode_document(b, &mut buf).expect("seed body");
    buf[..n].to_vec()
}

/// An OP_QUERY `admin.$cmd` frame around `query`.
fn op_query(query: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&7i32.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&wire::OP_QUERY.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(b"admin.$cmd\0");
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&(-1i32).to_le_bytes());
    f.extend_from_slice(query);
    let len = i32::try_from(f.len()).expect("small").to_le_bytes();
    f[..4].copy_from_slice(&len);
    f
}

/// An OP_MSG frame of `body` with `flags`, and a CRC-32C if that flag is set.
fn op_msg(body: &[u8], flags: u32) -> Vec<u8> {
    let mut f = vec![0u8; 21 + body.len() + 4];
    let doc = mongoauth::codec::bson::Document::parse(body).expect("seed body");
    let n = wire::encode_op_msg(3, 0, doc, &mut f).expect("frame");
    f.truncate(n);
    f[16..20].copy_from_slice(&flags.to_le_bytes());
    if flags & wire::FLAG_CHECKSUM_PRESENT != 0 {
        let total = i32::try_from(n + 4).expect("small").to_le_bytes();
        f[..4].copy_from_slice(&total);
        let crc = wire::crc32c(&f);
        f.extend_from_slice(&crc.to_le_bytes());
    }
    f
}

/// The `mongodb_cr` target's seeds: a getnonce reply and the authenticate
/// command for its nonce (right and wrong key), an `ok: 0`, and a hostile nonce.
fn mongodb_cr_seeds() {
    use mongoauth::mech::cr;
    let nonce_reply = body(&cr::GetNonceReply { nonce: "2375531c32080ae8" });
    let ok = body(&cr::AuthenticateReply { dbname: fz::FUZZ_SOURCE, user: fz::FUZZ_USER });
    // The server target's session issues this nonce (from SESSION_ENTROPY).
    let issued = "a5a5a5a5a5a5a5a5";
    let key = cr::client_key(issued, fz::FUZZ_USER, fz::FUZZ_PASSWORD);
    let auth = |nonce: &str, key: &str| {
        body(&cr::Authenticate { user: fz::FUZZ_USER, nonce, key, db: fz::FUZZ_SOURCE })
    };
    let right = auth(issued, std::str::from_utf8(&key[..]).expect("hex"));
    let wrong = auth(issued, "21742f26431831d5cfca035a08c5bdf6");
    let failed = body(&CommandError::AUTHENTICATION_FAILED);
    let hostile = body(&cr::GetNonceReply { nonce: "a b" });
    for (name, parts) in [
        ("login", vec![nonce_reply.clone(), ok]),
        ("refused", vec![nonce_reply.clone(), failed.clone()]),
        ("getnonce-refused", vec![failed]),
        ("hostile-nonce", vec![hostile]),
        ("authenticate-right-key", vec![right]),
        ("authenticate-wrong-key", vec![wrong, nonce_reply]),
    ] {
        write_seed("mongodb_cr", name, &parts.concat());
    }
}

/// The `gssapi` target's seeds: the two security-layer messages, a
/// server's replies for a whole client login, and a client's commands for a
/// whole server login (BinData and pymongo's base64 strings), with a wrong
/// identity and a hostile offer.
fn gssapi_seeds() {
    use base64ct::{Base64, Encoding};
    let principal = fz::FUZZ_PRINCIPAL;
    let reply = |done: bool, payload: &[u8]| {
        body(&SaslReply { conversation_id: wire::ConversationId::Int32(1), done, payload })
    };
    let answer = |authz: &str| [&b"W\x01\0\0\0"[..], authz.as_bytes()].concat();
    let init = [&b"INIT "[..], principal.as_bytes()].concat();
    let cmd = |start: bool, payload: &[u8], as_string: bool| {
        doc(|w| {
            if start {
                w.int32("saslStart", 1).string("mechanism", "GSSAPI");
            } else {
                w.int32("saslContinue", 1).int32("conversationId", 1);
            }
            if as_string {
                w.string("payload", &Base64::encode_string(payload));
            } else {
                w.binary("payload", 0, payload);
            }
            w.string("$db", "$external");
        })
    };
    let server_login = |authz: &str, s: bool| {
        [cmd(true, &init, s), cmd(false, b"", s), cmd(false, &answer(authz), s)].concat()
    };
    for (name, data) in [
        ("offer", b"\x01\0\0\0".to_vec()),
        ("answer", [&b"\x01\0\0\0"[..], principal.as_bytes()].concat()),
        (
            "client-login",
            [reply(false, b"ACCEPT"), reply(false, b"W\x01\0\0\0"), reply(true, b"")].concat(),
        ),
        (
            "client-integrity-only",
            [reply(false, b"ACCEPT"), reply(false, b"W\x02\xff\xff\xff"), reply(true, b"")]
                .concat(),
        ),
        ("client-done-early", reply(true, b"ACCEPT")),
        ("server-login", server_login(principal, false)),
        ("server-login-strings", server_login(principal, true)),
        ("server-wrong-authz", server_login("other@FUZZ.TEST", false)),
    ] {
        write_seed("gssapi", name, &data);
    }
}

#[test]
#[ignore = "writes fuzz/corpus/gssapi; run by hand after changing that target"]
fn generate_gssapi_seed_corpus() {
    gssapi_seeds();
}

/// Positive control for the `gssapi` target: its login seeds do log the
/// client and the server in (so the login invariants are reached), the
/// hostile ones do not.
#[test]
fn gssapi_target_sees_a_real_login() {
    for (seed, client, server) in [
        ("client-login", true, false),
        ("client-integrity-only", false, false),
        ("client-done-early", false, false),
        ("server-login", false, true),
        ("server-login-strings", false, true),
        ("server-wrong-authz", false, false),
    ] {
        let data = fs::read(corpus_dir().join("gssapi").join(seed)).expect("seed");
        assert_eq!(fz::gssapi_client(&data), Ok(client), "{seed}: client");
        assert_eq!(fz::gssapi_server(&data), Ok(server), "{seed}: server");
        fz::gssapi(&data).expect("the target holds on its seed");
    }
}

#[test]
#[ignore = "writes fuzz/corpus/mongodb_cr; run by hand after changing that target"]
fn generate_mongodb_cr_seed_corpus() {
    mongodb_cr_seeds();
}

#[test]
#[ignore = "writes fuzz/corpus; run by hand after changing a target"]
fn generate_seed_corpus() {
    mongodb_cr_seeds();
    gssapi_seeds();
    // SCRAM messages: RFC 5802 (SHA-1) and RFC 7677 (SHA-256), and variants.
    let nonce = Nonce::from_random(&fz::AUTH_ENTROPY[..24]).expect("nonce");
    let ours = Client::<Sha256>::start(fz::FUZZ_USER, "x", &nonce, &ClientConfig::default())
        .expect("client");
    for (name, m) in [
        ("rfc5802", &b"n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL"[..]),
        ("rfc7677", b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"),
        ("escaped-user", b"y,,n=a=2Cb=3Dc,r=abcd"),
        ("extension", b"n,,n=user,r=abcd,x=ext"),
        ("channel-binding", b"p=tls-unique,,n=user,r=abcd"),
        ("ours", ours.message()),
    ] {
        write_seed("scram_client_first", name, m);
    }
    for (name, m) in [
        ("rfc5802", &b"r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"[..]),
        (
            "rfc7677",
            b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
        ),
        ("extension", b"r=abcdef,s=QSXCR+Q6sek8bf92,i=15000,x=ext"),
        ("mandatory", b"m=ext,r=abcdef,s=QSXCR+Q6sek8bf92,i=4096"),
        ("error", b"e=unknown-user"),
    ] {
        write_seed("scram_server_first", name, m);
    }
    for (name, m) in [
        ("rfc5802", &b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ="[..]),
        ("rfc7677", b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
        ("error", b"e=invalid-proof"),
        ("extension", b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,x=ext"),
        ("error-then-extension", b"e=other-error,x=ext"),
        ("hostile-error-after-verifier", b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,e=other"),
        ("hostile-mandatory", b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=,m=ext"),
        ("hostile-two-verifiers", b"v=rmF9pqV8S7suAoZWja4dJRkFsKQ=,v=rmF9pqV8S7suAoZWja4dJRkFsKQ="),
    ] {
        write_seed("scram_server_final", name, m);
    }
    for (name, m) in [
        (
            "rfc5802",
            &b"c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts="[..],
        ),
        (
            "rfc7677",
            b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
        ),
        ("extension", b"c=eSws,r=abcdef,x=ext,p=AAAA"),
        ("no-proof", b"c=biws,r=abcdef"),
    ] {
        write_seed("scram_client_final", name, m);
    }

    // SASLprep: the RFC 4013 examples and a few others from the spec vectors.
    let vectors = spec_json("saslprep-vectors.json");
    let cases = vectors["cases"].as_array().expect("cases");
    let mut picked = 0;
    for (i, c) in cases.iter().enumerate() {
        let id = c["id"].as_str().expect("id");
        if id.starts_with("rfc4013") || i % 6 == 0 {
            write_seed("saslprep", id, c["input"].as_str().expect("input").as_bytes());
            picked += 1;
        }
    }
    assert!(picked < cases.len() / 2, "a handful, not the whole suite");

    // URIs: the first of each mechanism from the auth spec, a few others.
    let auth = spec_json("auth/legacy/connection-string.json");
    let uris: Vec<&str> =
        auth["tests"].as_array().expect("tests").iter().filter_map(|t| t["uri"].as_str()).collect();
    for (n, key) in [
        "user:password@localhost/foo?authSource=bar",
        "SCRAM-SHA-1",
        "SCRAM-SHA-256",
        "PLAIN",
        "CANONICALIZE_HOST_NAME:forward",
        "MONGODB-X509&authSource=$external",
        "MONGODB-AWS",
        "ENVIRONMENT:azure",
        "authSource=&",
        "//@localhost.com",
    ]
    .iter()
    .enumerate()
    {
        let uri = uris.iter().find(|u| u.contains(key)).unwrap_or(&uris[n]);
        write_seed("uri", &format!("auth-{n:02}"), uri.as_bytes());
    }
    let cs = spec_json("connection-string/valid-auth.json");
    for (n, t) in
        cs["tests"].as_array().expect("tests").iter().enumerate().filter(|(n, _)| n % 5 == 0)
    {
        write_seed(
            "uri",
            &format!("valid-auth-{n:02}"),
            t["uri"].as_str().expect("uri").as_bytes(),
        );
    }
    for (name, uri) in [
        ("srv", "mongodb+srv://alice:p%40ss@cluster0.example.com/shop?retryWrites=true&w=majority"),
        ("unix", "mongodb://%2Ftmp%2Fmongodb-27017.sock/?authMechanism=SCRAM-SHA-256&authSource=x"),
        (
            "options",
            "mongodb://u:p@h1:1,h2/db?readPreferenceTags=dc:ny,rack:1&readPreferenceTags=&appName=x",
        ),
        ("zone-id", "mongodb://u:p@[fe80::1%25eth0]:27018,[::1%25lo]/db"),
        (
            "encoded-comma",
            "mongodb://u@h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:api%2Cv2",
        ),
    ] {
        write_seed("uri", name, uri.as_bytes());
    }
    let long = format!("mongodb://user:{}@localhost/admin?authSource=x", "p".repeat(4120));
    write_seed("uri", "long-password", long.as_bytes());

    // BSON: the auth commands and replies as the crate writes them, and every type.
    let hello = HelloReply::primary();
    let start = SaslStart {
        mechanism: "SCRAM-SHA-256",
        payload: ours.message(),
        skip_empty_exchange: true,
        db: "admin",
    };
    let cont = SaslContinue {
        conversation_id: wire::ConversationId::Int32(1),
        payload: b"c=biws,r=abc,p=AAAA",
        db: "admin",
    };
    let reply = SaslReply {
        conversation_id: wire::ConversationId::Int64(1),
        done: false,
        payload: b"r=abc,s=QSXCR+Q6sek8bf92,i=4096",
    };
    let every_type = doc(|w| {
        w.double("d", -0.5)
            .string("s", "ünïcode")
            .document("doc", |d| {
                d.int32("a", 1).document("deeper", |d| {
                    d.null("n");
                });
            })
            .array("arr", |a| {
                a.string("x").int64(2).bool(true);
            })
            .binary("bin", 0x04, &[1, 2, 3])
            .value("oid", &Value::ObjectId([7; 12]))
            .bool("b", false)
            .datetime("t", 1_700_000_000_000)
            .int32("i", -7)
            .value("ts", &Value::Timestamp(42))
            .int64("l", i64::MIN)
            .value("re", &Value::Other { element_type: 0x0B, raw: b"^a\0i\0" })
            .value("js", &Value::Other { element_type: 0x0D, raw: b"\x02\0\0\0x\0" })
            .value("dec", &Value::Other { element_type: 0x13, raw: &[0; 16] })
            .value("min", &Value::Other { element_type: 0xFF, raw: b"" })
            .value("max", &Value::Other { element_type: 0x7F, raw: b"" });
    });
    let (real_replies, real_commands, _, _) = converse(1, "not the password");
    let bsons: Vec<(&str, Body)> = vec![
        ("hello-reply", body(&hello)),
        ("sasl-start", body(&start)),
        ("sasl-continue", body(&cont)),
        ("sasl-reply", body(&reply)),
        ("auth-failed", body(&CommandError::AUTHENTICATION_FAILED)),
        ("every-type", every_type),
        ("speculative-hello", real_commands[0].clone()),
        ("speculative-hello-reply", real_replies[0].clone()),
    ];
    for (name, b) in &bsons {
        write_seed("bson", name, b);
    }
    for (name, b) in &bsons[..4] {
        write_seed("op_msg", name, &op_msg(b, 0));
    }
    write_seed("op_msg", "checksum", &op_msg(&bsons[1].1, wire::FLAG_CHECKSUM_PRESENT));
    write_seed("op_msg", "more-to-come", &op_msg(&bsons[0].1, wire::FLAG_MORE_TO_COME));
    write_seed("op_msg", "op-query-ismaster", &op_query(&bsons[6].1));

    // Conversations: real transcripts, minus the one secret part.
    for flags in 0..4u8 {
        let (mut replies, _, _, _) = converse(flags, fz::FUZZ_PASSWORD);
        assert!(tamper_signature(&mut replies));
        write_seed("authenticator", &format!("bad-signature-{flags}"), &seed(flags, &replies));
        let (_, commands, _, _) = converse(flags, "not the password");
        write_seed("session", &format!("wrong-password-{flags}"), &seed(0, &commands));
    }
    let (replies, _, _, _) = converse(1, fz::FUZZ_PASSWORD);
    write_seed("authenticator", "hello-only", &seed(1, &replies[..1]));
    let arbiter = doc(|w| {
        w.bool("ismaster", false).bool("arbiterOnly", true).double("ok", 1.0);
    });
    write_seed("authenticator", "arbiter", &seed(3, &[arbiter]));
    write_seed(
        "authenticator",
        "auth-failed",
        &seed(0, &[replies[0].clone(), body(&CommandError::AUTHENTICATION_FAILED)]),
    );
    let (_, commands, _, _) = converse(2, "not the password");
    write_seed("session", "legacy-hello", &seed(1, &commands));
    let after = ["ping", "buildInfo", "connectionStatus", "endSessions", "dropDatabase"].map(|c| {
        doc(|w| {
            w.int32(c, 1).string("$db", "admin");
        })
    });
    write_seed("session", "other-commands", &seed(0, &after));
}

/// Positive control for the `mongodb_cr` target: its seed with the right key
/// for the nonce the session issues does log in (so the "right key only"
/// check is reached), and the wrong-key seed does not.
#[test]
fn mongodb_cr_target_sees_a_real_login() {
    use mongoauth::codec::bson::Document;
    use mongoauth::mech::cr;
    for (seed, logs_in) in [("authenticate-right-key", true), ("authenticate-wrong-key", false)] {
        let data = fs::read(corpus_dir().join("mongodb_cr").join(seed)).expect("seed");
        let users = fz::FuzzUsers;
        let mut s = ServerSession::new(&users, [0x3c; 32]).with_mongodb_cr(true);
        let mut out = [0u8; 1024];
        let get = body(&cr::GetNonce { db: fz::FUZZ_SOURCE });
        let n = s.handle(&get, &fz::SESSION_ENTROPY, &mut out).expect("getnonce");
        let r = cr::GetNonceReply::parse(Document::parse(&out[..n]).expect("reply"));
        assert_eq!(r.expect("parse").expect("ok").nonce, "a5a5a5a5a5a5a5a5");
        let first = fz::chunks(&data).next().expect("a chunk");
        s.handle_legacy(first, fz::FUZZ_SOURCE, &fz::SESSION_ENTROPY, &mut out).expect("reply");
        assert_eq!(s.authenticated_user().is_some(), logs_in, "{seed}");
        fz::mongodb_cr(&data).expect("the target holds on its seed");
    }
}
