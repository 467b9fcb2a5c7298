//! Our client logs in over TCP to MockupDB (PyPI `mockupdb`, MongoDB Inc.'s
//! wire-protocol test server) whose SCRAM side is `scramp`, an independent
//! RFC 5802 implementation: `tests/python/mockupdb_scram.py`. Each case runs
//! the real blocking driver, `io::authenticate` over `std::net::TcpStream`,
//! and checks both verdicts: ours (the server's signature verified, or the
//! error) and the server's (scramp verified our proof, or refused it).
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use mongoauth::Error;
use mongoauth::client::{AuthConfig, Authenticator, Credential};
use mongoauth::io::{FromStd, HandshakeError, authenticate};
use mongoauth::mech::Mechanism;
use mongoauth::os::fill_random;
use mongoauth_tests::{root, venv_python};

/// One MockupDB process, configured for one scenario.
struct Mock {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    port: u16,
}

impl Mock {
    fn start(user: &str, password: &str, source: &str, opts: &[&str]) -> Mock {
        let mut child = Command::new(venv_python())
            .arg(root().join("tests/python/mockupdb_scram.py"))
            .args([user, password, source])
            .args(opts)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the MockupDB peer (tests/python/mockupdb_scram.py)");
        let stdin = child.stdin.take();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the MockupDB port");
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("MockupDB peer did not start: {line:?}"));
        Mock { child, stdin, stdout, port }
    }

    /// Stop the server and collect what it reported.
    fn finish(mut self) -> Vec<String> {
        drop(self.stdin.take());
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("read MockupDB events");
        let status = self.child.wait().expect("wait for MockupDB");
        assert!(status.success(), "MockupDB peer exited with {status}");
        rest.lines().map(str::to_string).collect()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a login produced: our result, our authenticator's view, the server's events.
struct Outcome {
    result: Result<(), HandshakeError<std::io::Error>>,
    authenticated: bool,
    mechanism: Option<Mechanism>,
    speculative: bool,
    events: Vec<String>,
}

impl Outcome {
    fn saw(&self, prefix: &str) -> bool {
        self.events.iter().any(|e| e.starts_with(prefix))
    }
}

fn login(mock: Mock, cred: Credential, config: AuthConfig) -> Outcome {
    let stream = TcpStream::connect(("127.0.0.1", mock.port)).expect("connect to MockupDB");
    stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    stream.set_nodelay(true).unwrap();
    let mut io = FromStd::new(stream);
    let mut entropy = [0u8; 48];
    fill_random(&mut entropy).unwrap();
    let mut auth = Authenticator::new(cred, config, &entropy).unwrap();
    let mut buf = [0u8; 4096];
    let result = authenticate(&mut io, &mut auth, &mut buf).map(|_| ());
    drop(io);
    let events = mock.finish();
    Outcome {
        result,
        authenticated: auth.is_authenticated(),
        mechanism: auth.mechanism(),
        speculative: auth.used_speculative(),
        events,
    }
}

fn cred(mechanism: Option<Mechanism>, user: &str, pw: &str, db: &str) -> Credential {
    Credential::new(mechanism, Some(user), Some(pw), db).unwrap()
}

/// `AuthConfig { speculative: false, .. }`.
fn no_spec() -> AuthConfig {
    AuthConfig { speculative: false, ..AuthConfig::default() }
}

/// A successful SCRAM login, checked from both sides.
fn expect_login(name: &str, o: &Outcome, mech: Mechanism, speculative: bool) {
    if let Err(e) = &o.result {
        panic!("{name}: login failed: {e}; server events: {:#?}", o.events);
    }
    assert!(o.authenticated, "{name}: not authenticated");
    assert_eq!(o.mechanism, Some(mech), "{name}: mechanism; events {:#?}", o.events);
    assert_eq!(o.speculative, speculative, "{name}: speculative; events {:#?}", o.events);
    let verdict = format!("VERDICT ok {}", mech.as_str());
    assert!(o.saw(&verdict), "{name}: the server did not verify us: {:#?}", o.events);
    assert!(!o.saw("PROTOCOL"), "{name}: the server saw a protocol fault: {:#?}", o.events);
    assert!(!o.saw("VERDICT fail"), "{name}: {:#?}", o.events);
    println!("  ok: {name} ({} events)", o.events.len());
}

#[test]
fn mockupdb_scramp_server() {
    let t = Instant::now();
    let (user, pw) = ("alice", "pencil");
    let mut n = 0;

    // Explicit mechanisms, speculative (the default) and not.
    for mech in [Mechanism::ScramSha1, Mechanism::ScramSha256] {
        let o = login(
            Mock::start(user, pw, "admin", &[]),
            cred(Some(mech), user, pw, "admin"),
            AuthConfig::default(),
        );
        expect_login(&format!("{} speculative", mech.as_str()), &o, mech, true);
        assert!(
            o.saw(&format!("EVENT isMaster asked=- spec={}", mech.as_str())),
            "{:#?}",
            o.events
        );
        assert!(
            !o.saw("EVENT saslStart"),
            "speculative login must skip saslStart: {:#?}",
            o.events
        );
        n += 1;

        let o = login(
            Mock::start(user, pw, "admin", &[]),
            cred(Some(mech), user, pw, "admin"),
            no_spec(),
        );
        expect_login(&format!("{} not speculative", mech.as_str()), &o, mech, false);
        assert!(o.saw("EVENT isMaster asked=- spec=-"), "{:#?}", o.events);
        assert!(o.saw(&format!("EVENT saslStart {} skipEmptyExchange=True", mech.as_str())));
        n += 1;

        // The server declines the speculative step: a fresh saslStart.
        let o = login(
            Mock::start(user, pw, "admin", &["speculative=0"]),
            cred(Some(mech), user, pw, "admin"),
            AuthConfig::default(),
        );
        expect_login(&format!("{} speculation declined", mech.as_str()), &o, mech, false);
        assert!(o.saw(&format!("EVENT saslStart {}", mech.as_str())), "{:#?}", o.events);
        n += 1;
    }

    // Default negotiation: the hello asks for admin.alice's mechanisms.
    let cases: [(&[&str], Mechanism, &str); 4] = [
        (&["mechs=both"], Mechanism::ScramSha256, "lists both"),
        (&["mechs=sha256"], Mechanism::ScramSha256, "lists SCRAM-SHA-256 only"),
        (&["mechs=sha1"], Mechanism::ScramSha1, "lists SCRAM-SHA-1 only"),
        (&["mechs=none"], Mechanism::ScramSha1, "lists nothing"),
    ];
    for (opts, want, what) in cases {
        for (config, spec) in [(AuthConfig::default(), true), (no_spec(), false)] {
            let o =
                login(Mock::start(user, pw, "admin", opts), cred(None, user, pw, "admin"), config);
            // We speculate with SCRAM-SHA-256; it only counts when that is what was negotiated.
            let used = spec && want == Mechanism::ScramSha256;
            expect_login(&format!("default, server {what}, speculative={spec}"), &o, want, used);
            let asked = format!(
                "EVENT isMaster asked=admin.{user} spec={}",
                if spec { "SCRAM-SHA-256" } else { "-" }
            );
            assert!(o.saw(&asked), "{:#?}", o.events);
            n += 1;
        }
    }

    // Another auth source, and a username and password that need care.
    let (u2, p2) = ("bob,=x", "p@ss:w/rd %");
    let o =
        login(Mock::start(u2, p2, "test", &[]), cred(None, u2, p2, "test"), AuthConfig::default());
    expect_login(
        "default, authSource test, user with ',' and '='",
        &o,
        Mechanism::ScramSha256,
        true,
    );
    n += 1;
    let o = login(
        Mock::start(u2, p2, "test", &[]),
        cred(Some(Mechanism::ScramSha1), u2, p2, "test"),
        no_spec(),
    );
    expect_login(
        "SCRAM-SHA-1, authSource test, user with ',' and '='",
        &o,
        Mechanism::ScramSha1,
        false,
    );
    n += 1;

    // PLAIN: one saslStart, the server checks the payload itself.
    let o = login(
        Mock::start(user, pw, "$external", &[]),
        cred(Some(Mechanism::Plain), user, pw, "$external"),
        AuthConfig::default(),
    );
    assert!(o.result.is_ok() && o.authenticated, "PLAIN: {:?} {:#?}", o.result.err(), o.events);
    assert!(o.saw("EVENT isMaster asked=- spec=-"), "PLAIN must never speculate: {:#?}", o.events);
    assert!(o.saw("VERDICT ok PLAIN"), "{:#?}", o.events);
    println!("  ok: PLAIN");
    n += 1;
    let o = login(
        Mock::start(user, pw, "$external", &[]),
        cred(Some(Mechanism::Plain), user, "nope", "$external"),
        AuthConfig::default(),
    );
    expect_code_18("PLAIN, wrong password", &o);
    n += 1;

    // Wrong password: scramp refuses the proof; the server answers code 18.
    for mech in [Some(Mechanism::ScramSha1), Some(Mechanism::ScramSha256), None] {
        for config in [AuthConfig::default(), no_spec()] {
            let o = login(
                Mock::start(user, pw, "admin", &[]),
                cred(mech, user, "wrong", "admin"),
                config,
            );
            let name = format!("wrong password, {mech:?}, speculative={}", config.speculative);
            expect_code_18(&name, &o);
            n += 1;
        }
    }

    // A legacy server that ignores skipEmptyExchange: done:false with v=,
    // then an empty saslContinue.
    for mech in [Mechanism::ScramSha1, Mechanism::ScramSha256] {
        for config in [AuthConfig::default(), no_spec()] {
            let o = login(
                Mock::start(user, pw, "admin", &["legacy=1"]),
                cred(Some(mech), user, pw, "admin"),
                config,
            );
            let name =
                format!("legacy server, {}, speculative={}", mech.as_str(), config.speculative);
            expect_login(&name, &o, mech, config.speculative);
            assert!(o.saw("EVENT emptyContinue"), "{name}: no empty saslContinue: {:#?}", o.events);
            n += 1;
        }
    }

    println!("mockupdb+scramp server: {n} passed, 0 failed ({:.1?})", t.elapsed());
}

fn expect_code_18(name: &str, o: &Outcome) {
    match &o.result {
        Err(HandshakeError::Auth(Error::CommandFailed(f))) => {
            assert_eq!(f.code, Some(18), "{name}: {f:?}");
        }
        other => panic!("{name}: expected CommandFailed code 18, got {other:?}; {:#?}", o.events),
    }
    assert!(!o.authenticated, "{name}: authenticated after a failure");
    assert!(o.saw("VERDICT fail"), "{name}: the server did not refuse: {:#?}", o.events);
    println!("  ok: {name}");
}
