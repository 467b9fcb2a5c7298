//! Our client, through every front door, against a real MongoDB-protocol
//! server: FerretDB v1.24.2 (its own Go wire, SCRAM and user code; SQLite
//! backend), with pymongo's outcome against the same server as the reference.
//!
//! `scripts/ferretdb.sh` builds FerretDB (cached under `target/peers`) and
//! starts it on 127.0.0.1 and a free port with server-side SCRAM
//! (`--test-enable-new-auth`, setup user root/rootpw on admin); a guard stops
//! it when the test ends, also on failure. pymongo creates the users as root
//! (`tests/python/ferretdb_peer.py setup`), then every case (a URI) is tried
//! by pymongo and by each front door:
//!
//! - **rust**: the `mongoauth` crate in-process over a `TcpStream`
//!   ([`rust_login`], the one function to adapt when the client API changes);
//! - **demo**: the `mongoauth-demo` binary (`target/release`), by exit status;
//! - **c**: `examples-c/connect.c` against `target/release/libmongoauth.a`
//!   (exit 0 logged in, 2 code 18);
//! - **python**: `bindings/python` (`Authenticator.from_uri` + `handshake` over
//!   a socket) over `target/release/libmongoauth.so`;
//! - **go**: `bindings/go` (cgo) driven by `tests/go-ferretdb` (OP_MSG framing
//!   around the binding's `Command`/`HandleReply`).
//!
//! Outcomes are compared as "logged in / refused with code 18 / other
//! error"; every front door must agree with pymongo on every case, and
//! pymongo must give the outcome each case documents (so the reference is
//! not vacuous). A missing peer (FerretDB's Go toolchain, a C compiler,
//! pymongo) fails the test; nothing is skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use mongoauth_tests::{root, target_dir, venv_python};

// ---------------------------------------------------------------------------
// FerretDB, started and stopped by scripts/ferretdb.sh
// ---------------------------------------------------------------------------

/// A running FerretDB; dropping it stops it (by PID, through the script).
struct Ferret {
    pid: String,
    port: u16,
    dir: PathBuf,
}

impl Ferret {
    fn start() -> Ferret {
        let t = Instant::now();
        run_ok(
            Command::new("bash").arg(root().join("scripts/ferretdb.sh")).arg("build"),
            "scripts/ferretdb.sh build (FerretDB v1.24.2 from its Go module; needs Go)",
            Duration::from_secs(1200),
        );
        println!("FerretDB build (cached): {:.1?}", t.elapsed());
        // Per process: the script wipes the directory it starts in.
        let dir = target_dir().join(format!("interop-ferretdb/fdb-{}", std::process::id()));
        // A free loopback port: bind, read, release (the script refuses a taken one).
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = run_ok(
            Command::new("bash")
                .arg(root().join("scripts/ferretdb.sh"))
                .arg("start")
                .arg(&dir)
                .arg(port.to_string()),
            "scripts/ferretdb.sh start",
            Duration::from_secs(60),
        );
        let pid = out.trim().to_string();
        assert!(pid.parse::<u32>().is_ok(), "ferretdb.sh start printed {out:?}, not a PID");
        println!("FerretDB pid {pid} on 127.0.0.1:{port} (log {})", dir.join("log").display());
        Ferret { pid, port, dir }
    }
}

impl Drop for Ferret {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(root().join("scripts/ferretdb.sh"))
            .arg("stop")
            .arg(&self.pid)
            .status();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        } else {
            let log = std::fs::read_to_string(self.dir.join("log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            eprintln!("FerretDB log tail:");
            for l in tail.iter().rev() {
                eprintln!("  {l}");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Users and cases
// ---------------------------------------------------------------------------

struct User {
    db: &'static str,
    user: &'static str,
    pwd: &'static str,
    /// `None`: FerretDB's default (both SCRAM mechanisms).
    mechanisms: Option<&'static [&'static str]>,
}

const ALICE: User = User { db: "admin", user: "alice", pwd: "pencil", mechanisms: None };
/// authSource: a user on database `app` only.
const BOB: User = User { db: "app", user: "bob", pwd: "bobpw", mechanisms: None };
/// A user with SCRAM-SHA-1 credentials only.
const OLD: User =
    User { db: "admin", user: "old", pwd: "sha1pw", mechanisms: Some(&["SCRAM-SHA-1"]) };
/// The auth spec's SASLprep pair: U+2168 (ROMAN NUMERAL NINE) with password
/// U+2163 (ROMAN NUMERAL FOUR), which SASLprep (NFKC) maps to "IV".
const ROMAN: User = User { db: "admin", user: "\u{2168}", pwd: "\u{2163}", mechanisms: None };
/// A soft hyphen (U+00AD), which SASLprep maps to nothing: "IX".
const SOFT: User = User { db: "admin", user: "soft", pwd: "I\u{AD}X", mechanisms: None };
/// Non-ASCII letters SASLprep leaves alone.
const JOSE: User =
    User { db: "admin", user: "jos\u{E9}", pwd: "M\u{FC}ller-Jos\u{E9}", mechanisms: None };
/// URI delimiters and a space in user and password, percent-encoded in the URI.
const ODD: User =
    User { db: "app", user: "a@b:c/d%e+f g", pwd: "p@ss:w/rd%+, x", mechanisms: None };
/// A username with `,` and `=`, which SCRAM's `n=` escapes as `=2C` / `=3D`
/// (RFC 5802). FerretDB v1.24.2 looks the escaped name up without decoding
/// it (its SCRAM server, xdg-go/scram v1.1.2, returns the raw `n=` value), so
/// no client can log in as this user: pymongo is refused with code 18, and so
/// must we be. A FerretDB bug, pinned here so a fixed FerretDB is noticed.
const COMMA: User = User { db: "admin", user: "x,y=z", pwd: "pw,=", mechanisms: None };

const USERS: [&User; 8] = [&ALICE, &BOB, &OLD, &ROMAN, &SOFT, &JOSE, &ODD, &COMMA];

/// What pymongo (the reference) does with a case.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Outcome {
    LoggedIn,
    /// The server refused the credential with code 18 (AuthenticationFailed).
    Refused,
    /// Anything else (another server code, a client-side error); the text
    /// is for the report, never compared.
    Other(String),
}

impl Outcome {
    fn class(&self) -> &'static str {
        match self {
            Outcome::LoggedIn => "ok",
            Outcome::Refused => "18",
            Outcome::Other(_) => "error",
        }
    }
    /// Agreement: the same class, and for "other" the same server code
    /// (or none on both sides).
    fn agrees(&self, other: &Outcome) -> bool {
        self.cell() == other.cell()
    }
    /// A table cell: the class, with the server's code for "other" when the
    /// front door reported one.
    fn cell(&self) -> String {
        match self {
            Outcome::Other(s) => match server_code(s) {
                Some(code) => format!("err {code}"),
                None => "err".to_string(),
            },
            o => o.class().to_string(),
        }
    }
    /// Parse a helper's line: `OK`, `FAIL code=18 ...`, `ERR ...`.
    fn from_line(line: &str) -> Outcome {
        if line == "OK" {
            Outcome::LoggedIn
        } else if line.starts_with("FAIL code=18") {
            Outcome::Refused
        } else {
            Outcome::Other(line.strip_prefix("ERR ").unwrap_or(line).to_string())
        }
    }
}

/// The server's error code in a front door's error text: `code=N` (our
/// helpers), `server error N` (the Rust error's Display), `server code N`
/// (connect.c).
fn server_code(s: &str) -> Option<u32> {
    ["code=", "server error ", "server code "].iter().find_map(|p| {
        let rest = &s[s.find(p)? + p.len()..];
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

struct Case {
    name: &'static str,
    user: &'static User,
    /// The password the client sends (the user's, a variant, or a wrong one).
    password: &'static str,
    /// `None`: no authMechanism (negotiation).
    mechanism: Option<&'static str>,
    /// Override the authSource (default: the user's database).
    source: Option<&'static str>,
    /// What pymongo must do (checked, so the reference is not vacuous).
    expect: &'static str,
}

const SHA1: Option<&str> = Some("SCRAM-SHA-1");
const SHA256: Option<&str> = Some("SCRAM-SHA-256");

fn case(
    name: &'static str,
    user: &'static User,
    password: &'static str,
    mechanism: Option<&'static str>,
    expect: &'static str,
) -> Case {
    Case { name, user, password, mechanism, source: None, expect }
}

fn cases() -> Vec<Case> {
    vec![
        case("SCRAM-SHA-256", &ALICE, ALICE.pwd, SHA256, "ok"),
        case("SCRAM-SHA-1", &ALICE, ALICE.pwd, SHA1, "ok"),
        case("negotiated", &ALICE, ALICE.pwd, None, "ok"),
        case("wrong password SHA-256", &ALICE, "pencil!", SHA256, "18"),
        case("wrong password SHA-1", &ALICE, "Pencil", SHA1, "18"),
        case("wrong password negotiated", &ALICE, "pencil ", None, "18"),
        case("unknown user", &User { user: "mallory", ..ALICE }, "x", None, "18"),
        case("authSource=app", &BOB, BOB.pwd, None, "ok"),
        case("authSource=app SHA-1", &BOB, BOB.pwd, SHA1, "ok"),
        Case {
            source: Some("admin"),
            ..case("app user, authSource=admin", &BOB, BOB.pwd, None, "18")
        },
        case("SHA-1-only negotiated", &OLD, OLD.pwd, None, "ok"),
        case("SHA-1-only SCRAM-SHA-1", &OLD, OLD.pwd, SHA1, "ok"),
        case("SHA-1-only SCRAM-SHA-256", &OLD, OLD.pwd, SHA256, "error"),
        case("SHA-1-only wrong password", &OLD, "sha1pw2", None, "18"),
        case("SASLprep U+2163 SHA-256", &ROMAN, ROMAN.pwd, SHA256, "ok"),
        case("SASLprep \"IV\" SHA-256", &ROMAN, "IV", SHA256, "ok"),
        case("SASLprep \"IV\" negotiated", &ROMAN, "IV", None, "ok"),
        case("SASLprep U+2163 SHA-1", &ROMAN, ROMAN.pwd, SHA1, "ok"),
        case("SASLprep \"IV\" SHA-1", &ROMAN, "IV", SHA1, "18"),
        case("soft hyphen SHA-256", &SOFT, SOFT.pwd, SHA256, "ok"),
        case("soft hyphen \"IX\" SHA-256", &SOFT, "IX", SHA256, "ok"),
        case("soft hyphen SHA-1", &SOFT, SOFT.pwd, SHA1, "ok"),
        case("soft hyphen \"IX\" SHA-1", &SOFT, "IX", SHA1, "18"),
        case("non-ASCII SHA-256", &JOSE, JOSE.pwd, SHA256, "ok"),
        case("non-ASCII SHA-1", &JOSE, JOSE.pwd, SHA1, "ok"),
        case("non-ASCII negotiated", &JOSE, JOSE.pwd, None, "ok"),
        case("special chars SHA-256", &ODD, ODD.pwd, SHA256, "ok"),
        case("special chars SHA-1", &ODD, ODD.pwd, SHA1, "ok"),
        case("special chars negotiated", &ODD, ODD.pwd, None, "ok"),
        case("special chars wrong password", &ODD, "p@ss:w/rd%+,x", None, "18"),
        case("',' '=' in user SHA-256 (FerretDB bug)", &COMMA, COMMA.pwd, SHA256, "18"),
        case("',' '=' in user SHA-1 (FerretDB bug)", &COMMA, COMMA.pwd, SHA1, "18"),
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

fn uri(port: u16, user: &str, password: &str, source: &str, mechanism: Option<&str>) -> String {
    let mut u = format!(
        "mongodb://{}:{}@127.0.0.1:{port}/?authSource={}",
        pct(user),
        pct(password),
        pct(source)
    );
    if let Some(m) = mechanism {
        u += &format!("&authMechanism={m}");
    }
    u
}

fn case_uri(c: &Case, port: u16) -> String {
    uri(port, c.user.user, c.password, c.source.unwrap_or(c.user.db), c.mechanism)
}

// ---------------------------------------------------------------------------
// Front doors
// ---------------------------------------------------------------------------

/// What the Rust front door saw on the wire.
#[derive(Clone, Copy, Debug, Default)]
struct Trace {
    /// Commands sent (each is flushed once by the handshake driver).
    round_trips: usize,
    /// The server answered the speculative first step inside hello.
    speculative: bool,
}

/// A `TcpStream` that counts flushes: one per command sent.
struct Counting {
    inner: TcpStream,
    flushes: usize,
}

impl std::io::Read for Counting {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(b)
    }
}

impl std::io::Write for Counting {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.inner.write(b)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.flushes += 1;
        self.inner.flush()
    }
}

/// The Rust front door: parse the URI, connect, log in with the crate's
/// client API in-process. The only function that knows that API (it is
/// being reworked: adapt here).
fn rust_login(uri: &str) -> (Outcome, Trace) {
    use mongoauth::client::{AUTH_ENTROPY_LEN, AuthConfig, Authenticator};
    use mongoauth::io::{FromStd, HandshakeError, authenticate};
    use mongoauth::os::fill_random;
    use mongoauth::uri::ConnectionString;

    let mut trace = Trace::default();
    let mut run = || -> Result<bool, String> {
        let cs = ConnectionString::parse(uri, &mut ()).map_err(|e| e.to_string())?;
        let credential = cs
            .credential()
            .map_err(|e| e.to_string())?
            .ok_or("no credential")?
            .to_owned()
            .map_err(|e| e.to_string())?;
        let host = cs.hosts().next().ok_or("no host")?;
        let mut hbuf = [0u8; 256];
        let hostname = host.host.decode(&mut hbuf).map_err(|e| e.to_string())?;
        let stream = TcpStream::connect((hostname, host.port.unwrap_or(27017)))
            .map_err(|e| e.to_string())?;
        stream.set_read_timeout(Some(Duration::from_secs(20))).map_err(|e| e.to_string())?;
        let mut io = FromStd::new(Counting { inner: stream, flushes: 0 });
        let mut entropy = [0u8; AUTH_ENTROPY_LEN];
        fill_random(&mut entropy).map_err(|e| e.to_string())?;
        let mut auth = Authenticator::new(credential, AuthConfig::default(), &entropy)
            .map_err(|e| e.to_string())?;
        let mut buf = [0u8; 16 * 1024];
        let result = authenticate(&mut io, &mut auth, &mut buf);
        trace = Trace { round_trips: io.inner().flushes, speculative: auth.used_speculative() };
        match result {
            Ok(outcome) => Ok(outcome.is_authenticated()),
            Err(HandshakeError::Auth(_)) => match auth.error() {
                Some(l) if l.is_authentication_failed() => Err("FAIL code=18".to_string()),
                Some(l) => Err(match l.error() {
                    mongoauth::Error::CommandFailed(f) => {
                        format!("code={} {l}", f.code.unwrap_or(0))
                    }
                    _ => format!("{l}"),
                }),
                None => Err("login failed without an error".to_string()),
            },
            Err(e) => Err(e.to_string()),
        }
    };
    let outcome = match run() {
        Ok(true) => Outcome::LoggedIn,
        Ok(false) => Outcome::Other("not authenticated after the handshake".into()),
        Err(e) if e == "FAIL code=18" => Outcome::Refused,
        Err(e) => Outcome::Other(e),
    };
    (outcome, trace)
}

/// The demo binary: exit 0 logged in; its stderr names the server's code.
fn demo_login(exe: &Path, uri: &str) -> Outcome {
    let (ok, out, err) = run(Command::new(exe).arg(uri), "mongoauth-demo", Duration::from_secs(60));
    if ok {
        assert!(out.contains("authenticated with"), "demo exited 0 without a login: {out}");
        Outcome::LoggedIn
    } else if err.contains("server error 18") {
        Outcome::Refused
    } else {
        Outcome::Other(err.trim().replace('\n', " "))
    }
}

/// `examples-c/connect.c`: exit 0 logged in, 2 code 18, 1 anything else.
fn c_login(exe: &Path, uri: &str) -> Outcome {
    let mut cmd = Command::new(exe);
    cmd.arg(uri).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {exe:?}: {e}"));
    match out.status.code() {
        Some(0) => Outcome::LoggedIn,
        Some(2) => Outcome::Refused,
        _ => Outcome::Other(String::from_utf8_lossy(&out.stderr).trim().replace('\n', " ")),
    }
}

fn lines(out: &str, n: usize, what: &str) -> Vec<Outcome> {
    let v: Vec<Outcome> = out.lines().map(Outcome::from_line).collect();
    assert_eq!(v.len(), n, "{what}: one line per case, got:\n{out}");
    v
}

fn python(args: &[&str], uris: &[String], what: &str) -> Vec<Outcome> {
    let out = run_ok(
        Command::new(venv_python())
            .arg(root().join("tests/python/ferretdb_peer.py"))
            .args(args)
            .args(uris)
            .env("PYTHONPATH", root().join("bindings/python/src"))
            .env("MONGOAUTH_LIB", target_dir().join("release/libmongoauth.so")),
        what,
        Duration::from_secs(300),
    );
    lines(&out, uris.len(), what)
}

// ---------------------------------------------------------------------------
// Building the front doors
// ---------------------------------------------------------------------------

/// The C library (static and shared) and the demo binary, release builds.
fn build_release() {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run_ok(
        Command::new(cargo)
            .args(["build", "--release", "-p", "mongoauth-ffi", "-p", "mongoauth-demo"])
            .current_dir(root()),
        "cargo build --release -p mongoauth-ffi -p mongoauth-demo",
        Duration::from_secs(1200),
    );
}

fn build_c_connect(out_dir: &Path) -> PathBuf {
    let exe = out_dir.join("connect");
    run_ok(
        Command::new("cc")
            .args(["-std=c11", "-O1", "-Wall", "-Wextra", "-pedantic", "-Werror"])
            .arg("-I")
            .arg(root().join("include"))
            .arg(root().join("examples-c/connect.c"))
            .arg(target_dir().join("release/libmongoauth.a"))
            .args(["-lpthread", "-ldl", "-lm", "-lrt", "-lutil", "-lgcc_s", "-o"])
            .arg(&exe),
        "cc examples-c/connect.c (a C compiler is required)",
        Duration::from_secs(120),
    );
    exe
}

/// `tests/go-ferretdb` over `bindings/go` (cgo): the library installed into
/// `target/go-ferretdb-install` by `ffi/packaging/install.sh`, found through
/// pkg-config (`#cgo pkg-config: mongoauth`), the shared library by rpath.
/// Go does not hash the library, so its modification time goes into
/// `CGO_CFLAGS` (part of Go's cache key): a rebuilt library relinks.
fn build_go_login(out_dir: &Path) -> PathBuf {
    let go_dir = target_dir().join("go");
    let exe = out_dir.join("ferretdblogin");
    let lib = target_dir().join("release/libmongoauth.a");
    let prefix = target_dir().join("go-ferretdb-install");
    run_ok(
        Command::new(root().join("ffi/packaging/install.sh"))
            .arg(&prefix)
            .env("MONGOAUTH_LIB_DIR", target_dir().join("release")),
        "ffi/packaging/install.sh (the Go binding's pkg-config prefix)",
        Duration::from_secs(60),
    );
    let stamp = std::fs::metadata(&lib)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    run_ok(
        Command::new("go")
            .args(["build", "-o"])
            .arg(&exe)
            .arg(".")
            .current_dir(root().join("tests/go-ferretdb"))
            .env("CGO_ENABLED", "1")
            .env("CGO_CFLAGS", format!("-g -O2 -DMONGOAUTH_LIB_STAMP={stamp}"))
            .env("CGO_LDFLAGS", format!("-Wl,-rpath,{}", prefix.join("lib").display()))
            .env("PKG_CONFIG_PATH", prefix.join("lib/pkgconfig"))
            .env("GOPATH", &go_dir)
            .env("GOMODCACHE", go_dir.join("pkg/mod"))
            .env("GOCACHE", go_dir.join("cache"))
            .env("GOFLAGS", "-mod=mod -buildvcs=false"),
        "go build tests/go-ferretdb (Go and a C compiler are required)",
        Duration::from_secs(600),
    );
    exe
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
        std::thread::sleep(Duration::from_millis(10));
    };
    (status.success(), t_out.join().unwrap(), t_err.join().unwrap())
}

fn run_ok(cmd: &mut Command, what: &str, limit: Duration) -> String {
    let (ok, out, err) = run(cmd, what, limit);
    assert!(ok, "{what} failed: {cmd:?}\nstdout:\n{out}\nstderr:\n{err}");
    out
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let v = f();
    println!("{what}: {:.1?}", t.elapsed());
    v
}

// ---------------------------------------------------------------------------
// The test
// ---------------------------------------------------------------------------

#[test]
fn every_front_door_agrees_with_pymongo_against_ferretdb() {
    let t = Instant::now();
    let out_dir = target_dir().join("interop-ferretdb");
    std::fs::create_dir_all(&out_dir).unwrap();
    timed("venv (pymongo, cffi)", venv_python);
    timed("release build (libmongoauth, mongoauth-demo)", build_release);
    let c_exe = timed("C front door build", || build_c_connect(&out_dir));
    let go_exe = timed("Go front door build", || build_go_login(&out_dir));
    let demo_exe = target_dir().join("release/mongoauth-demo");

    let fdb = Ferret::start();
    let port = fdb.port;

    // Users, created by pymongo as root; what FerretDB stored for each.
    let users: Vec<serde_json::Value> = USERS
        .iter()
        .map(|u| {
            let mut v = serde_json::json!({"db": u.db, "user": u.user, "pwd": u.pwd});
            if let Some(m) = u.mechanisms {
                v["mechanisms"] = serde_json::json!(m);
            }
            v
        })
        .collect();
    let stored = timed("createUser (pymongo as root)", || {
        let mut child = Command::new(venv_python())
            .arg(root().join("tests/python/ferretdb_peer.py"))
            .arg("setup")
            .arg(uri(port, "root", "rootpw", "admin", None))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ferretdb_peer.py setup");
        serde_json::to_writer(child.stdin.take().unwrap(), &users).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "creating users on FerretDB failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    });
    println!("\nwhat FerretDB stored (keys derived from the password as given, or SASLprep'd):");
    for line in stored.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        println!(
            "  {:>14}@{:<5} {:<13} {}",
            v["user"].as_str().unwrap(),
            v["db"].as_str().unwrap(),
            v["mechanism"].as_str().unwrap(),
            v["stored"].as_str().unwrap()
        );
        let (user, mech, form) = (
            v["user"].as_str().unwrap(),
            v["mechanism"].as_str().unwrap(),
            v["stored"].as_str().unwrap(),
        );
        // As mongod: SCRAM-SHA-256 keys from the SASLprep'd password, SCRAM-SHA-1
        // keys from the password as given (inside its MD5 digest).
        let want = match (user, mech) {
            (u, "SCRAM-SHA-1") if u == ROMAN.user || u == SOFT.user => "raw",
            (u, "SCRAM-SHA-256") if u == ROMAN.user || u == SOFT.user => "saslprep",
            (u, "SCRAM-SHA-256") if u == OLD.user => "absent",
            _ => "raw=saslprep",
        };
        assert_eq!(form, want, "FerretDB stored {user}'s {mech} keys unlike mongod: {line}");
    }

    let cases = cases();
    let uris: Vec<String> = cases.iter().map(|c| case_uri(c, port)).collect();
    let doors = ["rust", "demo", "c", "python", "go"];
    let reference = timed("pymongo", || python(&["pymongo"], &uris, "pymongo"));
    let mut results: Vec<Vec<Outcome>> = Vec::new();
    let (rust, traces): (Vec<Outcome>, Vec<Trace>) =
        timed("rust", || uris.iter().map(|u| rust_login(u)).unzip());
    results.push(rust);
    results.push(timed("demo", || uris.iter().map(|u| demo_login(&demo_exe, u)).collect()));
    results.push(timed("c", || uris.iter().map(|u| c_login(&c_exe, u)).collect()));
    results.push(timed("python", || python(&["binding"], &uris, "python binding")));
    results.push(timed("go", || {
        let out = run_ok(
            Command::new(&go_exe).args(&uris),
            "tests/go-ferretdb",
            Duration::from_secs(300),
        );
        lines(&out, uris.len(), "go binding")
    }));

    // The table: cases x front doors, "!" marks a disagreement with pymongo.
    println!("\n{:<40} {:>8} {}", "case", "pymongo", doors.map(|d| format!("{d:>8}")).join(" "));
    let mut problems = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let r = &reference[i];
        let mut row = format!("{:<40} {:>8}", c.name, r.cell());
        if r.class() != c.expect {
            problems.push(format!("pymongo: {}: expected {}, got {r:?}", c.name, c.expect));
        }
        for (d, door) in doors.iter().enumerate() {
            let o = &results[d][i];
            let mark = if o.agrees(r) { "" } else { "!" };
            row += &format!(" {:>8}", format!("{mark}{}", o.cell()));
            if !o.agrees(r) {
                problems.push(format!("{door}: {}: pymongo {r:?}, {door} {o:?}", c.name));
            }
        }
        println!("{row}");
    }
    let others: Vec<String> = reference
        .iter()
        .chain(results.iter().flatten())
        .filter_map(|o| match o {
            Outcome::Other(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    if !others.is_empty() {
        println!("\nother errors (first of each):");
        let mut seen = std::collections::BTreeSet::new();
        for s in others {
            if seen.insert(s.clone()) {
                println!("  {s}");
            }
        }
    }
    // FerretDB's wire quirks, as the Rust front door met them: it ignores
    // speculativeAuthenticate outside OP_QUERY isMaster (we send OP_MSG), and
    // it ignores skipEmptyExchange (the proof's reply is done:false + v=...,
    // so an empty third saslContinue is owed): hello, saslStart, two
    // saslContinues.
    let mut logins = 0;
    for (i, c) in cases.iter().enumerate() {
        if results[0][i] == Outcome::LoggedIn {
            logins += 1;
            let t = traces[i];
            if t.round_trips != 4 || t.speculative {
                problems.push(format!(
                    "rust: {}: {t:?}, expected 4 round trips without speculation",
                    c.name
                ));
            }
        }
    }
    println!(
        "\nrust: {logins} logins, each expected to take 4 round trips (hello; saslStart; saslContinue; the empty \
         saslContinue FerretDB wants despite skipEmptyExchange); speculative: never \
         (FerretDB answers it only in OP_QUERY isMaster)"
    );
    println!(
        "\n{} cases x {} front doors against FerretDB: {} disagreements ({:.1?})",
        cases.len(),
        doors.len(),
        problems.len(),
        t.elapsed()
    );
    assert!(problems.is_empty(), "disagreements:\n  {}", problems.join("\n  "));
    drop(fdb);
}
