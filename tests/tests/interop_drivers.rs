//! Real MongoDB drivers log in to **our** server: the demo's
//! [`LoopbackServer`] (core `ServerSession` + `io::serve` over std TCP).
//!
//! - pymongo (PyPI, from `target/venv`): `tests/python/pymongo_login.py`;
//! - the MongoDB C driver (Debian `libmongoc-dev`, installed by
//!   `scripts/install-peers.sh`): `tests/c/drivers/mongoc_login.c`;
//! - the Go driver (`go.mongodb.org/mongo-driver/v2` from the Go module
//!   proxy, pinned in `tests/go/go.mod`/`go.sum`): `tests/go`.
//!
//! Each driver connects, runs `ping` and `connectionStatus` (our server
//! answers with the authenticated user). Every connection goes through a
//! recording proxy that decodes the frames with the independent `bson`
//! crate, so the tests also check what happened on the wire: which
//! mechanism the driver used, whether it asked for `saslSupportedMechs`, and
//! that a failure was our server's code 18.
//!
//! A missing peer (no venv, no libmongoc, no Go, no module) fails the test.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mongoauth_demo::LoopbackServer;
use mongoauth_tests::{root, target_dir, venv_python};

// ---------------------------------------------------------------------------
// The server and its users
// ---------------------------------------------------------------------------

const ALICE: (&str, &str, &str) = ("admin", "alice", "pencil");
/// A password that needs percent-encoding in a URI, in another auth source.
const BOB: (&str, &str, &str) = ("test", "bob", "s3cret p@ss:/%+");
/// The auth spec's SASLprep case: user U+2168 with password U+2163, which
/// SASLprep (NFKC) maps to "IV": a client sending "IV" must get in with
/// SCRAM-SHA-256.
const ROMAN: (&str, &str, &str) = ("admin", "\u{2168}", "\u{2163}");

fn server() -> LoopbackServer {
    LoopbackServer::start(&[ALICE, BOB, ROMAN], 0).expect("start the loopback server")
}

// ---------------------------------------------------------------------------
// A recording proxy: what the driver and our server said to each other
// ---------------------------------------------------------------------------

/// Forwards every connection to `upstream` and records each frame.
struct Tap {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
}

impl Tap {
    fn start(upstream: SocketAddr) -> Tap {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let log2 = log.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(client) = conn else { return };
                let Ok(server) = TcpStream::connect(upstream) else { return };
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let (la, lb) = (log2.clone(), log2.clone());
                std::thread::spawn(move || pump(client, server, "C", &la));
                std::thread::spawn(move || pump(s2, c2, "S", &lb));
            }
        });
        Tap { addr, log }
    }

    fn events(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn saw(&self, needle: &str) -> bool {
        self.events().iter().any(|e| e.contains(needle))
    }
}

/// Copy `from` to `to`, recording each complete frame (a frame shorter than
/// a header stops the recording, never the forwarding).
fn pump(mut from: TcpStream, mut to: TcpStream, dir: &str, log: &Mutex<Vec<String>>) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        // Record before forwarding: once the peer has the bytes, the log has them.
        pending.extend_from_slice(&buf[..n]);
        while pending.len() >= 4 {
            let len = u32::from_le_bytes(pending[..4].try_into().unwrap()) as usize;
            if len < 16 || pending.len() < len {
                break;
            }
            let frame: Vec<u8> = pending.drain(..len).collect();
            log.lock().unwrap().push(format!("{dir} {}", describe(&frame)));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

/// One line for a frame: the command (with the auth fields that matter) or
/// the reply's `ok`/`code`.
fn describe(frame: &[u8]) -> String {
    let op = i32::from_le_bytes(frame[12..16].try_into().unwrap());
    let body = match op {
        2013 => frame.get(21..), // OP_MSG: flags, kind-0 section
        2004 => {
            // OP_QUERY: flags, cstring collection, skip, limit, query.
            let rest = &frame[20..];
            rest.iter().position(|&b| b == 0).and_then(|z| rest.get(z + 9..))
        }
        1 => frame.get(36..), // OP_REPLY
        _ => None,
    };
    let Some(doc) = body.and_then(|b| bson::Document::from_reader(&mut &b[..]).ok()) else {
        return format!("op={op} (undecoded)");
    };
    let mut s = format!("op={op}");
    if let Some((name, _)) = doc.iter().next() {
        s += &format!(" cmd={name}");
    }
    if let Ok(m) = doc.get_str("mechanism") {
        s += &format!(" mechanism={m}");
    }
    if let Ok(u) = doc.get_str("saslSupportedMechs") {
        s += &format!(" saslSupportedMechs={u}");
    }
    if let Ok(spec) = doc.get_document("speculativeAuthenticate") {
        match spec.get_str("mechanism") {
            Ok(m) => s += &format!(" speculative={m}"),
            Err(_) => s += " speculativeReply",
        }
    }
    if let Ok(list) = doc.get_array("saslSupportedMechs") {
        s += &format!(" mechs={list:?}");
    }
    if let Some(ok) = doc.get("ok") {
        s += &format!(" ok={ok}");
    }
    if let Some(code) = doc.get("code") {
        s += &format!(" code={code}");
    }
    s
}

// ---------------------------------------------------------------------------
// The cases every driver runs
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Logged in as this user, with this mechanism on the wire.
    Login { mechanism: &'static str },
    /// Refused: our server answered code 18.
    Refused,
}

#[derive(Clone, Copy, Debug)]
struct Case {
    name: &'static str,
    user: (&'static str, &'static str, &'static str),
    /// The password the driver sends (may differ from the stored one).
    password: &'static str,
    mechanism: Option<&'static str>,
    expect: Expect,
}

const SHA1: &str = "SCRAM-SHA-1";
const SHA256: &str = "SCRAM-SHA-256";

fn cases() -> Vec<Case> {
    let ok = |mechanism| Expect::Login { mechanism };
    vec![
        Case {
            name: "SCRAM-SHA-1",
            user: ALICE,
            password: ALICE.2,
            mechanism: Some(SHA1),
            expect: ok(SHA1),
        },
        Case {
            name: "SCRAM-SHA-256",
            user: ALICE,
            password: ALICE.2,
            mechanism: Some(SHA256),
            expect: ok(SHA256),
        },
        Case {
            name: "default (negotiates SCRAM-SHA-256)",
            user: ALICE,
            password: ALICE.2,
            mechanism: None,
            expect: ok(SHA256),
        },
        Case {
            name: "default, authSource=test, escaped password",
            user: BOB,
            password: BOB.2,
            mechanism: None,
            expect: ok(SHA256),
        },
        Case {
            name: "SCRAM-SHA-1, authSource=test, escaped password",
            user: BOB,
            password: BOB.2,
            mechanism: Some(SHA1),
            expect: ok(SHA1),
        },
        Case {
            name: "SCRAM-SHA-256, SASLprep (U+2168 / \"IV\" for U+2163)",
            user: ROMAN,
            password: "IV",
            mechanism: Some(SHA256),
            expect: ok(SHA256),
        },
        Case {
            name: "wrong password, default",
            user: ALICE,
            password: "wrong",
            mechanism: None,
            expect: Expect::Refused,
        },
        Case {
            name: "wrong password, SCRAM-SHA-1",
            user: ALICE,
            password: "wrong",
            mechanism: Some(SHA1),
            expect: Expect::Refused,
        },
        Case {
            name: "unknown user",
            user: ("admin", "mallory", "x"),
            password: "x",
            mechanism: None,
            expect: Expect::Refused,
        },
    ]
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
fn pct(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out += &format!("%{b:02X}");
        }
    }
    out
}

fn uri(case: &Case, addr: SocketAddr) -> String {
    let (db, user, _) = case.user;
    let mut u =
        format!("mongodb://{}:{}@{addr}/?authSource={}", pct(user), pct(case.password), pct(db));
    if let Some(m) = case.mechanism {
        u += &format!("&authMechanism={m}");
    }
    u
}

/// Check one driver's line and the wire record for one case (`SHOW_WIRE=1`
/// prints the record).
fn judge(driver: &str, case: &Case, line: &str, tap: &Tap) {
    let events = tap.events();
    let ctx = || {
        format!("{driver}: {}: driver said {line:?}; wire:\n  {}", case.name, events.join("\n  "))
    };
    match case.expect {
        Expect::Login { mechanism } => {
            let want = format!("OK user={} db={}", case.user.1, case.user.0);
            assert!(line.starts_with("OK") && line.ends_with(&want["OK ".len()..]), "{}", ctx());
            let used = format!("mechanism={mechanism}");
            let spec = format!("speculative={mechanism}");
            assert!(
                tap.saw(&used) || tap.saw(&spec),
                "mechanism {mechanism} not on the wire: {}",
                ctx()
            );
            let other = if mechanism == SHA1 { SHA256 } else { SHA1 };
            if case.mechanism.is_some() {
                assert!(!tap.saw(&format!("mechanism={other}")), "{}", ctx());
                assert!(!tap.saw(&format!("speculative={other}")), "{}", ctx());
            } else {
                let asked = format!("saslSupportedMechs={}.{}", case.user.0, case.user.1);
                assert!(tap.saw(&asked), "the driver did not negotiate: {}", ctx());
            }
            // Every driver here speculates; our server answers the first step.
            assert!(tap.saw("speculativeReply"), "no speculative login: {}", ctx());
            assert!(!tap.saw("code=18"), "{}", ctx());
        }
        Expect::Refused => {
            assert!(line.starts_with("FAIL"), "{}", ctx());
            if driver != "libmongoc" {
                assert!(line.starts_with("FAIL code=18 "), "not the server's code 18: {}", ctx());
            }
            assert!(tap.saw("code=18"), "our server never answered code 18: {}", ctx());
            assert!(!tap.saw("cmd=ping"), "ping ran without a login: {}", ctx());
        }
    }
    println!("  ok: {driver}: {}: {line}", case.name);
    if std::env::var_os("SHOW_WIRE").is_some() {
        println!("{}", ctx());
    }
}

// ---------------------------------------------------------------------------
// Running peers
// ---------------------------------------------------------------------------

/// Run a command with a deadline; returns (success, stdout, stderr).
fn run(cmd: &mut Command, what: &str, limit: Duration) -> (bool, String, String) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: cannot start {cmd:?}: {e} (the peer is required)"));
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: {cmd:?} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.success(), t_out.join().unwrap(), t_err.join().unwrap())
}

fn run_ok(cmd: &mut Command, what: &str, limit: Duration) -> String {
    let (ok, out, err) = run(cmd, what, limit);
    assert!(ok, "{what} failed: {cmd:?}\nstdout:\n{out}\nstderr:\n{err}");
    out
}

/// A driver run over all cases: one tap per case, so the wire record is the case's own.
fn drive(driver: &str, mut login: impl FnMut(&[String]) -> Vec<String>) {
    let t = Instant::now();
    let server = server();
    let cases = cases();
    let taps: Vec<Tap> = cases.iter().map(|_| Tap::start(server.addr())).collect();
    let uris: Vec<String> = cases.iter().zip(&taps).map(|(c, tap)| uri(c, tap.addr)).collect();
    let lines = login(&uris);
    assert_eq!(lines.len(), cases.len(), "{driver}: one line per case, got {lines:#?}");
    for ((case, line), tap) in cases.iter().zip(&lines).zip(&taps) {
        judge(driver, case, line, tap);
    }
    println!("{driver} against our server: {} passed, 0 failed ({:.1?})", cases.len(), t.elapsed());
}

#[test]
fn pymongo_against_our_server() {
    let python = venv_python();
    let script = root().join("tests/python/pymongo_login.py");
    drive("pymongo", |uris| {
        let out = run_ok(
            Command::new(&python).arg(&script).args(uris),
            "pymongo",
            Duration::from_secs(120),
        );
        out.lines().map(str::to_string).collect()
    });
}

/// Build `tests/c/drivers/mongoc_login.c` against libmongoc (installing it
/// first if it is missing and we are root).
fn build_mongoc_login() -> PathBuf {
    run_ok(
        Command::new("bash").arg(root().join("scripts/install-peers.sh")),
        "scripts/install-peers.sh (libmongoc)",
        Duration::from_secs(600),
    );
    let flags = run_ok(
        Command::new("pkg-config").args(["--cflags", "--libs", "libmongoc-1.0"]),
        "pkg-config libmongoc-1.0",
        Duration::from_secs(30),
    );
    let dir = target_dir().join("interop");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("mongoc_login");
    run_ok(
        Command::new("cc")
            .args(["-Wall", "-Wextra", "-Werror", "-O1"])
            .arg(root().join("tests/c/drivers/mongoc_login.c"))
            .args(flags.split_whitespace())
            .arg("-o")
            .arg(&exe),
        "cc mongoc_login.c",
        Duration::from_secs(120),
    );
    exe
}

#[test]
fn mongoc_against_our_server() {
    let exe = build_mongoc_login();
    let version = run_ok(
        Command::new("pkg-config").args(["--modversion", "libmongoc-1.0"]),
        "pkg-config",
        Duration::from_secs(30),
    );
    println!("libmongoc {}", version.trim());
    drive("libmongoc", |uris| {
        uris.iter()
            .map(|u| {
                let (ok, out, err) =
                    run(Command::new(&exe).arg(u), "mongoc_login", Duration::from_secs(60));
                let line = out.lines().next().unwrap_or("").to_string();
                assert_eq!(
                    ok,
                    line.starts_with("OK"),
                    "exit status disagrees with {line:?}; stderr {err}"
                );
                if !ok {
                    // libmongoc folds any failed SASL step into its own error
                    // (domain MONGOC_ERROR_CLIENT=1, code
                    // MONGOC_ERROR_CLIENT_AUTHENTICATE=11) carrying the
                    // server's errmsg; the tap checks the server's code 18.
                    assert!(
                        line.starts_with("FAIL code=11 domain=1 Authentication failed"),
                        "libmongoc: not an authentication error: {line:?}"
                    );
                }
                line
            })
            .collect()
    });
}

/// Build the Go program under `tests/go` with the module cache under
/// `target/go` (downloaded from the Go module proxy on a fresh machine).
fn build_gologin() -> PathBuf {
    let go_dir = target_dir().join("go");
    let exe = go_dir.join("bin/gologin");
    let mut cmd = Command::new("go");
    cmd.args(["build", "-o"])
        .arg(&exe)
        .arg(".")
        .current_dir(root().join("tests/go"))
        .env("GOPATH", &go_dir)
        .env("GOMODCACHE", go_dir.join("pkg/mod"))
        .env("GOCACHE", go_dir.join("cache"))
        .env("GOFLAGS", "-mod=mod -buildvcs=false");
    run_ok(
        &mut cmd,
        "go build (tests/go, go.mongodb.org/mongo-driver/v2)",
        Duration::from_secs(900),
    );
    exe
}

fn go_version(dir: &Path) -> String {
    let gomod = std::fs::read_to_string(dir.join("go.mod")).unwrap();
    gomod
        .lines()
        .find(|l| l.contains("go.mongodb.org/mongo-driver"))
        .map(|l| l.trim().trim_start_matches("require ").to_string())
        .unwrap_or_default()
}

#[test]
fn go_driver_against_our_server() {
    let exe = build_gologin();
    println!("Go driver: {}", go_version(&root().join("tests/go")));
    drive("go-driver", |uris| {
        uris.iter()
            .map(|u| {
                let (ok, out, err) = run(
                    Command::new(&exe).env("MONGOAUTH_URI", u),
                    "gologin",
                    Duration::from_secs(60),
                );
                let line = out.lines().next().unwrap_or("").to_string();
                assert_eq!(
                    ok,
                    line.starts_with("OK"),
                    "exit status disagrees with {line:?}; stderr {err}"
                );
                if !ok {
                    assert!(
                        line.starts_with("FAIL code=18 "),
                        "go driver: not the server's code 18: {line:?}"
                    );
                }
                line
            })
            .collect()
    });
}
