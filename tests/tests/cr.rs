//! MONGODB-CR (feature `mongodb-cr`, legacy: removed from MongoDB 4.0):
//! the spec's historical vector and peers.md's digest, our client against
//! our server in-process (explicit, and chosen by negotiation at wire
//! version 2 only), the server's refusals (wrong key, unknown user, stale
//! nonce, all code 18 and byte-identical), hostile replies, and the real
//! peer: pymongo 3.13.0 (the last driver line with MONGODB-CR, its own venv
//! `target/venv-pymongo3`, created here; a missing peer fails the test)
//! logging in to our loopback server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mongoauth::ErrorKind;
use mongoauth::client::{AuthConfig, Authenticator, Credential, Outcome, Stage, Step};
use mongoauth::codec::bson::Document;
use mongoauth::codec::wire;
use mongoauth::mech::{Mechanism, cr};
use mongoauth::server::{ServerSession, StaticUsers};
use mongoauth_demo::{LoopbackServer, ServerOptions};
use mongoauth_tests::{root, spec_json, target_dir};

const CR: Mechanism = Mechanism::MongodbCr;

fn users() -> StaticUsers<2> {
    StaticUsers::new()
        .with_scram_user("app", "alice", "alicepw", &[5; 28])
        .unwrap()
        .with_scram_user("admin", "user", "pencil", &[6; 28])
        .unwrap()
}

fn session(users: &StaticUsers<2>, wire_version: i32) -> ServerSession<&StaticUsers<2>> {
    ServerSession::new(users, [9; 32]).with_mongodb_cr(true).with_max_wire_version(wire_version)
}

/// A login's outcome, or its error's kind, stage and text.
type LoginResult = Result<Outcome, (ErrorKind, Stage, String)>;

/// Run our client against `server`; returns the outcome, or the login error
/// (its Display) with its kind and stage; also the command names sent.
fn login(
    server: &mut ServerSession<&StaticUsers<2>>,
    mechanism: Option<Mechanism>,
    user: &str,
    password: &str,
    source: &str,
) -> (LoginResult, Vec<String>) {
    let cred = Credential::new(mechanism, Some(user), Some(password), source).unwrap();
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap();
    let (mut req, mut rep) = ([0u8; 4096], [0u8; 4096]);
    let mut sent = Vec::new();
    loop {
        let n = match auth.step() {
            Step::Send(cmd) => wire::encode_document(&cmd, &mut req).unwrap(),
            Step::Done(o) => return (Ok(o), sent),
            Step::Need(n) => panic!("MONGODB-CR needs nothing: {n:?}"),
        };
        sent.push(Document::parse(&req[..n]).unwrap().first().unwrap().key.to_string());
        let m = server.handle(&req[..n], &[3; 24], &mut rep).unwrap();
        if auth.handle_reply(&rep[..m]).is_err() {
            let e = auth.error().unwrap();
            return (Err((e.kind(), e.stage(), e.to_string())), sent);
        }
    }
}

#[test]
fn vectors() {
    // peers.md §4 and the spec's historical example (mechanism-vectors.json).
    assert_eq!(&cr::password_digest("alice", "alicepw")[..], b"200df8306fd34f1b5f8bace054b238e3");
    let v = &spec_json("mechanism-vectors.json")["MONGODB-CR (historical, removed from the spec in 2026; server removed it in 4.0)"];
    let (user, password) = (v["username"].as_str().unwrap(), v["password"].as_str().unwrap());
    let digest =
        v["derivation"]["passwordDigest = hex(md5('user:mongo:pencil'))"].as_str().unwrap();
    assert_eq!(&cr::password_digest(user, password)[..], digest.as_bytes());
    let nonce = v["steps"][0]["reply"]["nonce"].as_str().unwrap();
    let key = v["steps"][1]["cmd"]["key"].as_str().unwrap();
    assert_eq!((nonce, key), ("2375531c32080ae8", "21742f26431831d5cfca035a08c5bdf6"));
    assert_eq!(&cr::client_key(nonce, user, password)[..], key.as_bytes());
    let d: [u8; 32] = digest.as_bytes().try_into().unwrap();
    assert_eq!(&cr::key_from_digest(nonce, user, &d)[..], key.as_bytes());
    assert!(cr::verify_key(&cr::client_key(nonce, user, password), key.as_bytes()));
    assert!(!cr::verify_key(&cr::client_key(nonce, user, "pencil2"), key.as_bytes()));

    // Our client replays the vector: the commands it sends are the spec's.
    let cred = Credential::new(Some(CR), Some(user), Some(password), "admin").unwrap();
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap();
    let mut buf = [0u8; 1024];
    let hello = wire::HelloReply::primary();
    let n = wire::encode_document(&hello, &mut buf).unwrap();
    auth.handle_reply(&buf[..n]).unwrap();
    for step in v["steps"].as_array().unwrap() {
        let Step::Send(cmd) = auth.step() else { panic!("expected a command") };
        let n = wire::encode_document(&cmd, &mut buf).unwrap();
        let sent = bson::Document::from_reader(&buf[..n]).unwrap();
        for (k, want) in step["cmd"].as_object().unwrap() {
            let got = sent.get(k).unwrap_or_else(|| panic!("{k} missing from {sent}"));
            let same = match want {
                serde_json::Value::String(s) => got.as_str() == Some(s),
                serde_json::Value::Number(x) => got.as_i32().map(i64::from) == x.as_i64(),
                _ => false,
            };
            assert!(same, "{k}: sent {got}, spec {want}");
        }
        assert_eq!(sent.get_str("$db").unwrap(), "admin");
        let reply: bson::Document = bson::to_document(&step["reply"]).unwrap();
        let mut rep = Vec::new();
        reply.to_writer(&mut rep).unwrap();
        auth.handle_reply(&rep).unwrap();
    }
    assert_eq!(auth.outcome(), Some(Outcome::Authenticated { mechanism: CR }));
}

#[test]
fn our_client_logs_in_to_our_server() {
    let users = users();
    let ok = Ok(Outcome::Authenticated { mechanism: CR });
    // Explicit, against a current server (wire 21) and an old one (wire 2).
    for wire_version in [21, 6, 2] {
        let mut s = session(&users, wire_version);
        let (r, sent) = login(&mut s, Some(CR), "alice", "alicepw", "app");
        assert_eq!(r, ok, "wire {wire_version}");
        assert_eq!(sent, ["isMaster", "getnonce", "authenticate"]);
        assert_eq!(s.authenticated_user(), Some(("app", "alice")));
    }
    // By negotiation: MONGODB-CR only below wire version 3, as 3.x drivers.
    let mut s = session(&users, 2);
    let (r, sent) = login(&mut s, None, "alice", "alicepw", "app");
    assert_eq!(r, ok);
    assert_eq!(sent, ["isMaster", "getnonce", "authenticate"]);
    for (wire_version, want) in [(3, Mechanism::ScramSha1), (21, Mechanism::ScramSha256)] {
        let mut s = session(&users, wire_version);
        let (r, sent) = login(&mut s, None, "alice", "alicepw", "app");
        assert_eq!(r, Ok(Outcome::Authenticated { mechanism: want }), "wire {wire_version}");
        assert!(!sent.iter().any(|c| c == "getnonce"), "wire {wire_version}: {sent:?}");
    }
}

#[test]
fn failures_are_code_18_and_name_the_mechanism_and_step() {
    let users = users();
    for (user, password) in [("alice", "wrong"), ("nobody", "alicepw")] {
        let mut s = session(&users, 2);
        let (r, _) = login(&mut s, Some(CR), user, password, "app");
        let (kind, stage, text) = r.unwrap_err();
        assert_eq!((kind, stage), (ErrorKind::AuthenticationFailed, Stage::Authenticate));
        assert!(text.contains("MONGODB-CR") && text.contains("authenticate"), "{text}");
        assert!(!text.contains(password), "{text}");
        assert_eq!(s.authenticated_user(), None);
    }
    // The right user in the wrong database fails too.
    let mut s = session(&users, 2);
    assert!(login(&mut s, Some(CR), "alice", "alicepw", "admin").0.is_err());
    // A server without MONGODB-CR: getnonce is an unknown command.
    let mut s = ServerSession::new(&users, [9; 32]);
    let (r, _) = login(&mut s, Some(CR), "alice", "alicepw", "app");
    let (_, stage, text) = r.unwrap_err();
    assert_eq!(stage, Stage::GetNonce);
    assert!(text.contains("MONGODB-CR") && text.contains("getnonce"), "{text}");
}

/// Send one command body to the session, return the reply body.
fn call(s: &mut ServerSession<&StaticUsers<2>>, cmd: &impl wire::WriteBody) -> Vec<u8> {
    let mut req = [0u8; 1024];
    let n = wire::encode_document(cmd, &mut req).unwrap();
    let mut rep = [0u8; 1024];
    let m = s.handle(&req[..n], &[3; 24], &mut rep).unwrap();
    rep[..m].to_vec()
}

fn nonce_of(reply: &[u8]) -> String {
    let doc = Document::parse(reply).unwrap();
    cr::GetNonceReply::parse(doc).unwrap().unwrap().nonce.to_string()
}

#[test]
fn server_refusals_are_identical_and_nonces_single_use() {
    let users = users();
    let mut s = session(&users, 2);
    let get = cr::GetNonce { db: "app" };
    let n1 = nonce_of(&call(&mut s, &get));
    assert_eq!(n1.len(), cr::NONCE_LEN);
    assert!(n1.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    let key = cr::client_key(&n1, "alice", "wrong");
    let key = std::str::from_utf8(&key[..]).unwrap();
    let wrong = call(&mut s, &cr::Authenticate { user: "alice", nonce: &n1, key, db: "app" });
    let n2 = nonce_of(&call(&mut s, &get));
    let key = cr::client_key(&n2, "nobody", "x");
    let key = std::str::from_utf8(&key[..]).unwrap();
    let unknown = call(&mut s, &cr::Authenticate { user: "nobody", nonce: &n2, key, db: "app" });
    assert_eq!(wrong, unknown, "unknown user and wrong key must look the same");
    let doc = Document::parse(&wrong).unwrap();
    let e = wire::check_ok(&doc).unwrap().unwrap_err();
    assert!(e.is_authentication_failed());
    // The right key with a nonce already used, or never issued: refused.
    let key = cr::client_key(&n1, "alice", "alicepw");
    let key = std::str::from_utf8(&key[..]).unwrap();
    let stale = call(&mut s, &cr::Authenticate { user: "alice", nonce: &n1, key, db: "app" });
    assert_eq!(stale, wrong);
    let n3 = nonce_of(&call(&mut s, &get));
    let key = cr::client_key(&n3, "alice", "alicepw");
    let key = std::str::from_utf8(&key[..]).unwrap();
    let ok = call(&mut s, &cr::Authenticate { user: "alice", nonce: &n3, key, db: "app" });
    let replay = call(&mut s, &cr::Authenticate { user: "alice", nonce: &n3, key, db: "app" });
    assert!(wire::check_ok(&Document::parse(&ok).unwrap()).unwrap().is_ok());
    assert_eq!(replay, wrong, "a nonce is good for one authenticate");
    // The key compared exactly: upper-case hex is another key.
    let n4 = nonce_of(&call(&mut s, &get));
    let key = cr::client_key(&n4, "alice", "alicepw");
    let upper = std::str::from_utf8(&key[..]).unwrap().to_ascii_uppercase();
    let r = call(&mut s, &cr::Authenticate { user: "alice", nonce: &n4, key: &upper, db: "app" });
    assert_eq!(r, wrong);
    // Fresh nonces.
    let mut seen = std::collections::HashSet::new();
    for i in 0..8u8 {
        let mut req = [0u8; 256];
        let n = wire::encode_document(&get, &mut req).unwrap();
        let mut rep = [0u8; 256];
        let m = s.handle(&req[..n], &[i; 24], &mut rep).unwrap();
        assert!(seen.insert(nonce_of(&rep[..m])));
    }
}

#[test]
fn hostile_getnonce_replies_are_errors() {
    for reply in [
        bson::doc! {"ok": 1.0},
        bson::doc! {"nonce": "", "ok": 1.0},
        bson::doc! {"nonce": 5, "ok": 1.0},
        bson::doc! {"nonce": "a".repeat(cr::MAX_NONCE_LEN + 1), "ok": 1.0},
        bson::doc! {"nonce": "ab\u{1}cd", "ok": 1.0},
        bson::doc! {"nonce": "ab cd", "ok": 1.0},
    ] {
        let mut body = Vec::new();
        reply.to_writer(&mut body).unwrap();
        let doc = Document::parse(&body).unwrap();
        assert!(cr::GetNonceReply::parse(doc).is_err(), "{reply}");
    }
    let longest = bson::doc! {"nonce": "a".repeat(cr::MAX_NONCE_LEN), "ok": 1.0};
    let mut body = Vec::new();
    longest.to_writer(&mut body).unwrap();
    assert!(cr::GetNonceReply::parse(Document::parse(&body).unwrap()).unwrap().is_ok());
    // Commands the server must not read as MONGODB-CR.
    for cmd in [
        bson::doc! {"authenticate": 1, "mechanism": "MONGODB-X509", "user": "a", "nonce": "n", "key": "0".repeat(32)},
        bson::doc! {"authenticate": 1, "user": "a", "nonce": "n", "key": "0".repeat(31)},
        bson::doc! {"authenticate": 1, "user": "a", "key": "0".repeat(32)},
        bson::doc! {"getnonce": 1, "user": "a", "nonce": "n", "key": "0".repeat(32)},
    ] {
        let mut body = Vec::new();
        cmd.to_writer(&mut body).unwrap();
        assert!(cr::Authenticate::parse(Document::parse(&body).unwrap(), "app").is_err(), "{cmd}");
    }
}

// ---------------------------------------------------------------------------
// pymongo 3.13.0
// ---------------------------------------------------------------------------

const PYMONGO3: &str = "pymongo==3.13.0";

/// `target/venv-pymongo3/bin/python` with pymongo 3.13.0 (made on first use;
/// a failure fails the test: a missing peer is never a silent pass).
fn pymongo3_python() -> PathBuf {
    let venv = target_dir().join("venv-pymongo3");
    let python = venv.join("bin/python");
    let stamp = venv.join(".mongoauth-requirements");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(PYMONGO3) && python.exists() {
        return python;
    }
    let ok = |c: &mut Command| {
        let st = c.status().unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"));
        assert!(st.success(), "{c:?} failed ({st}): pymongo 3.13.0 is a required peer");
    };
    ok(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    ok(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        PYMONGO3,
    ]));
    ok(Command::new(&python).args([
        "-c",
        "import pymongo, sys; sys.exit(pymongo.version != '3.13.0' or not pymongo.has_c())",
    ]));
    std::fs::write(&stamp, PYMONGO3).unwrap();
    python
}

/// Run the peer script over `uris`, with a deadline; one line per URI.
fn pymongo3(uris: &[String]) -> Vec<String> {
    let script = root().join("tests/python/pymongo3_cr.py");
    let mut child = Command::new(pymongo3_python())
        .arg(&script)
        .args(uris)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pymongo 3.13 (the peer is required)");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(180) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pymongo 3.13 did not finish in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (mut out, mut err) = (String::new(), String::new());
    child.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "pymongo 3.13 failed\nstdout:\n{out}\nstderr:\n{err}");
    let lines: Vec<String> = out.lines().map(str::to_string).collect();
    assert_eq!(lines.len(), uris.len(), "one line per URI: {lines:#?}\n{err}");
    lines
}

fn server(max_wire_version: Option<i32>, mongodb_cr: bool) -> LoopbackServer {
    let options = ServerOptions { max_wire_version, mongodb_cr };
    LoopbackServer::start_with(&[("app", "alice", "alicepw")], 0, options).unwrap()
}

fn uri(s: &LoopbackServer, user: &str, password: &str, mechanism: Option<&str>) -> String {
    let port = s.addr().port();
    let mech = mechanism.map(|m| format!("&authMechanism={m}")).unwrap_or_default();
    format!("mongodb://{user}:{password}@127.0.0.1:{port}/?authSource=app{mech}")
}

#[test]
fn pymongo_3_13_logs_in_with_mongodb_cr() {
    let (current, old, old_no_cr, wire3) =
        (server(None, true), server(Some(2), true), server(Some(2), false), server(Some(3), true));
    let ok = "OK 3.13.0 mech=MONGODB-CR user=alice db=app";
    let refused = "FAIL code=18 mech=MONGODB-CR OperationFailure";
    let cases: Vec<(String, &str)> = vec![
        // authMechanism=MONGODB-CR against a current server (OP_MSG).
        (uri(&current, "alice", "alicepw", Some("MONGODB-CR")), ok),
        // ... and against wire version 2 (all OP_QUERY).
        (uri(&old, "alice", "alicepw", Some("MONGODB-CR")), ok),
        // No mechanism: pymongo picks MONGODB-CR itself at wire version 2 ...
        (uri(&old, "alice", "alicepw", None), ok),
        // ... so a server without it refuses getnonce (59) ...
        (
            uri(&old_no_cr, "alice", "alicepw", None),
            "FAIL code=59 mech=MONGODB-CR OperationFailure",
        ),
        // ... and from wire version 3 it is SCRAM-SHA-1 (which our server
        // does not serve over OP_QUERY, hence the refusal; the point is
        // pymongo's choice).
        (uri(&wire3, "alice", "alicepw", None), "FAIL code=18 mech=SCRAM-SHA-1 OperationFailure"),
        // Wrong password and unknown user: code 18, the same.
        (uri(&old, "alice", "wrong", Some("MONGODB-CR")), refused),
        (uri(&old, "alice", "wrong", None), refused),
        (uri(&current, "alice", "wrong", Some("MONGODB-CR")), refused),
        (uri(&old, "nobody", "alicepw", Some("MONGODB-CR")), refused),
    ];
    let uris: Vec<String> = cases.iter().map(|(u, _)| u.clone()).collect();
    let lines = pymongo3(&uris);
    for ((u, want), got) in cases.iter().zip(&lines) {
        assert!(got.starts_with(want), "{u}:\n want {want}\n got  {got}");
    }
    // The two code-18 lines for a wrong password and an unknown user match.
    assert_eq!(lines[5], lines[8]);
}

/// For servers before 3.6 (no OP_MSG): our client's commands framed as
/// OP_QUERY on `<db>.$cmd` (without `$db` in the document), our server
/// answering with OP_REPLY, the whole login at wire version 2.
#[test]
fn our_client_logs_in_over_op_query() {
    let users = users();
    let mut server = session(&users, 2);
    let cred = Credential::new(None, Some("alice"), Some("alicepw"), "app").unwrap();
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7; 48]).unwrap();
    let (mut scratch, mut req, mut rep) = ([0u8; 4096], [0u8; 4096], [0u8; 4096]);
    let mut collections = Vec::new();
    let mut id = 0;
    let outcome = loop {
        let n = match auth.step() {
            Step::Send(cmd) => {
                id += 1;
                cr::encode_op_query(id, &cmd, &mut scratch, &mut req).unwrap()
            }
            Step::Done(o) => break o,
            Step::Need(n) => panic!("{n:?}"),
        };
        let q = wire::parse_op_query(&req[..n]).unwrap();
        assert!(!q.query.contains_key("$db"), "an OP_QUERY command carries no $db");
        collections.push(q.collection.to_string());
        let m = server.handle_frame(&req[..n], 100 + id, &[id as u8; 24], &mut rep).unwrap();
        let (to, doc) = cr::parse_op_reply(&rep[..m]).unwrap();
        assert_eq!(to, id);
        auth.handle_reply(doc.as_bytes()).unwrap();
    };
    assert_eq!(outcome, Outcome::Authenticated { mechanism: CR });
    assert_eq!(collections, ["admin.$cmd", "app.$cmd", "app.$cmd"]);
    // Too small: the size needed, then it fits.
    let get = cr::GetNonce { db: "app" };
    let need = match cr::encode_op_query(1, &get, &mut scratch, &mut req[..10]) {
        Err(wire::WireError::BufferTooSmall(b)) => b.required,
        other => panic!("{other:?}"),
    };
    assert_eq!(cr::encode_op_query(1, &get, &mut scratch, &mut req[..need]).unwrap(), need);
    // A reply that is not one OP_REPLY document is an error.
    assert!(cr::parse_op_reply(&req[..need]).is_err());
}

/// A stable-toolchain smoke run of the `mongodb_cr` fuzz target: its seeds,
/// mutated deterministically (byte flips, truncations, splices), must all
/// hold the target's invariants. (The real run is libFuzzer, in `fuzz/`.)
#[test]
fn fuzz_target_holds_on_mutated_seeds() {
    let dir = root().join("fuzz/corpus/mongodb_cr");
    let seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    assert!(!seeds.is_empty());
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..20_000usize {
        let mut data = seeds[i % seeds.len()].clone();
        for _ in 0..1 + next() % 4 {
            let at = next() as usize % data.len().max(1);
            match next() % 4 {
                0 if !data.is_empty() => data[at] ^= 1 << (next() % 8),
                1 if !data.is_empty() => data[at] = next() as u8,
                2 => data.truncate(at),
                _ => {
                    let other = &seeds[next() as usize % seeds.len()];
                    let from = next() as usize % other.len().max(1);
                    data.extend_from_slice(&other[from..]);
                }
            }
        }
        if let Err(e) = mongoauth_fuzz_harness::mongodb_cr(&data) {
            panic!("mongodb_cr: {e} on {data:?}");
        }
    }
}
