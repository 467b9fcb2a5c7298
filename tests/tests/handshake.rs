//! In-memory handshakes, no network: our `Authenticator` against our
//! `ServerSession`, directly (sans-I/O), through the blocking driver
//! `io::authenticate` and through the async `io::authenticate_async`, over
//! in-memory streams. Then a hostile server: malformed, truncated and forged
//! replies and frames, and proptests feeding arbitrary or mutated bytes. The
//! rules: never a panic, and never `is_authenticated()` unless the real
//! server's signature verified.
#![allow(clippy::unwrap_used, missing_docs)]
// `mongoauth::Error` is large by design (it carries the server's errmsg inline, no allocation).
#![allow(clippy::result_large_err)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::sync::LazyLock;

use mongoauth::Error;
use mongoauth::client::{AuthConfig, Authenticator, Command as Outgoing, Credential, Step};
use mongoauth::codec::wire::{self, WireError};
use mongoauth::io::{HandshakeError, authenticate, authenticate_async};
use mongoauth::mech::Mechanism;
use mongoauth::mech::scram::{CacheTag, CachedKeys, KeyCache, KeyStore};
use mongoauth::server::{ServerSession, StaticUsers};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

type Users = StaticUsers<2>;

static USERS: LazyLock<Users> = LazyLock::new(|| {
    StaticUsers::new()
        .with_scram_user("admin", "alice", "pencil", &[1; 28])
        .unwrap()
        .with_scram_user("test", "bob", "s3cret", &[2; 28])
        .unwrap()
});

const ENTROPY: [u8; 48] = [7; 48];
const DECOY: [u8; 32] = [9; 32];

fn cred(mech: Option<Mechanism>, user: &'static str, pw: &'static str) -> Credential {
    Credential::new(mech, Some(user), Some(pw), "admin").unwrap()
}

/// Whether a handled reply ended the handshake.
fn is_done(s: Step<'_>) -> bool {
    matches!(s, Step::Done(_))
}

fn spec(on: bool) -> AuthConfig {
    AuthConfig { speculative: on, ..AuthConfig::default() }
}

const MECHS: [Option<Mechanism>; 3] =
    [Some(Mechanism::ScramSha1), Some(Mechanism::ScramSha256), None];

fn negotiated(m: Option<Mechanism>) -> Mechanism {
    m.unwrap_or(Mechanism::ScramSha256)
}

/// What a sans-I/O conversation produced.
struct Outcome {
    result: Result<(), Error>,
    authenticated: bool,
    mechanism: Option<Mechanism>,
    speculative: bool,
    server_user: Option<(String, String)>,
    /// The server's replies as sent (before any tampering).
    replies: Vec<Vec<u8>>,
}

/// Run a login against a live `ServerSession`; `tamper(step, reply)` may
/// rewrite each reply body before the client sees it (step 0 is the hello).
fn converse_with(
    cred: Credential,
    config: AuthConfig,
    cache: Option<&dyn KeyStore>,
    mut tamper: impl FnMut(usize, Vec<u8>) -> Vec<u8>,
) -> Outcome {
    let mut auth = Authenticator::new(cred, config, &ENTROPY).unwrap();
    if let Some(c) = cache {
        auth = auth.with_key_cache(c);
    }
    let mut server = ServerSession::new(&*USERS, DECOY);
    let (mut req, mut rep) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut replies = Vec::new();
    let result = (|| {
        for step in 0..8 {
            let cmd = auth.command().ok_or(Error::UnexpectedStep { expected: "a command" })?;
            let n = wire::encode_document(&cmd, &mut req)?;
            let m = server.handle(&req[..n], &[step as u8; 24], &mut rep).unwrap();
            replies.push(rep[..m].to_vec());
            let body = tamper(step, rep[..m].to_vec());
            if is_done(auth.handle_reply(&body)?) {
                return Ok(());
            }
        }
        panic!("the conversation did not end within 8 steps");
    })();
    Outcome {
        authenticated: auth.is_authenticated(),
        mechanism: auth.mechanism(),
        speculative: auth.used_speculative(),
        server_user: server.authenticated_user().map(|(d, u)| (d.to_string(), u.to_string())),
        result,
        replies,
    }
}

fn converse(cred: Credential, config: AuthConfig) -> Outcome {
    converse_with(cred, config, None, |_, b| b)
}

/// Rewrite a reply body as a document (with the independent `bson` crate).
fn edit(body: &[u8], f: impl FnOnce(&mut bson::Document)) -> Vec<u8> {
    let mut doc = bson::Document::from_reader(&mut &body[..]).unwrap();
    f(&mut doc);
    bson::to_vec(&doc).unwrap()
}

fn bin(bytes: &[u8]) -> bson::Bson {
    bson::Bson::Binary(bson::Binary {
        subtype: bson::spec::BinarySubtype::Generic,
        bytes: bytes.to_vec(),
    })
}

fn code(e: &Error) -> Option<i32> {
    match e {
        Error::CommandFailed(f) => f.code,
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Logins and refusals
// ---------------------------------------------------------------------------

#[test]
fn logins() {
    let mut n = 0;
    for mech in MECHS {
        for on in [true, false] {
            let o = converse(cred(mech, "alice", "pencil"), spec(on));
            assert!(o.result.is_ok(), "{mech:?} spec={on}: {:?}", o.result);
            assert!(o.authenticated);
            assert_eq!(o.mechanism, Some(negotiated(mech)));
            assert_eq!(o.speculative, on, "{mech:?}: used_speculative");
            assert_eq!(o.server_user, Some(("admin".into(), "alice".into())));
            // Speculative: hello + saslContinue; otherwise hello + start + continue.
            assert_eq!(o.replies.len(), if on { 2 } else { 3 }, "{mech:?} spec={on}");
            n += 1;
        }
    }
    // Another source.
    let c = Credential::new(None, Some("bob"), Some("s3cret"), "test").unwrap();
    let o = converse(c, AuthConfig::default());
    assert!(o.authenticated && o.server_user == Some(("test".into(), "bob".into())));
    n += 1;
    println!("in-memory logins: {n} passed, 0 failed");
}

#[test]
fn refusals_are_code_18() {
    let mut n = 0;
    let mut messages = Vec::new();
    for mech in MECHS {
        for on in [true, false] {
            for (user, pw, what) in
                [("alice", "wrong", "wrong password"), ("mallory", "x", "unknown user")]
            {
                let o = converse(cred(mech, user, pw), spec(on));
                let e = o.result.as_ref().expect_err(what);
                assert_eq!(code(e), Some(18), "{what} {mech:?} spec={on}: {e:?}");
                assert!(!o.authenticated && o.server_user.is_none());
                // Indistinguishable: same message, same number of round trips.
                messages.push((format!("{e}"), o.replies.len(), mech, on, what));
                n += 1;
            }
        }
    }
    for pair in messages.chunks(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert_eq!(a.0, b.0, "wrong password vs unknown user: different errors: {a:?} {b:?}");
        // Round trips match too, under negotiation as well: unlike mongod,
        // hello lists saslSupportedMechs for an unknown user as for a real
        // one (no user enumeration), so both negotiate SCRAM-SHA-256.
        assert_eq!(a.1, b.1, "wrong password vs unknown user: round trips {a:?} {b:?}");
    }
    println!("in-memory refusals (wrong password, unknown user): {n} passed, 0 failed");
}

/// Counts cache traffic around a real `KeyCache`.
struct CountingCache {
    inner: KeyCache<4>,
    hits: Cell<usize>,
    misses: Cell<usize>,
    stores: Cell<usize>,
}

impl KeyStore for CountingCache {
    fn lookup(&self, tag: &CacheTag) -> Option<CachedKeys> {
        let r = self.inner.lookup(tag);
        if r.is_some() {
            self.hits.set(self.hits.get() + 1);
        } else {
            self.misses.set(self.misses.get() + 1);
        }
        r
    }
    fn store(&self, tag: &CacheTag, keys: &CachedKeys) {
        self.stores.set(self.stores.get() + 1);
        self.inner.store(tag, keys);
    }
}

#[test]
fn key_cache_is_reused() {
    let mut n = 0;
    for mech in [Mechanism::ScramSha1, Mechanism::ScramSha256] {
        let cache = CountingCache {
            inner: KeyCache::new(),
            hits: Cell::new(0),
            misses: Cell::new(0),
            stores: Cell::new(0),
        };
        for round in 0..3 {
            let o = converse_with(
                cred(Some(mech), "alice", "pencil"),
                spec(round % 2 == 0),
                Some(&cache),
                |_, b| b,
            );
            assert!(o.authenticated, "{mech:?} round {round}: {:?}", o.result);
        }
        assert_eq!(
            (cache.misses.get(), cache.stores.get(), cache.hits.get()),
            (1, 1, 2),
            "{mech:?}"
        );
        assert_eq!(cache.inner.len(), 1);
        // A wrong password is another cache key: a miss, and no login.
        let o =
            converse_with(cred(Some(mech), "alice", "nope"), spec(true), Some(&cache), |_, b| b);
        assert!(!o.authenticated && code(o.result.as_ref().unwrap_err()) == Some(18));
        assert_eq!(cache.misses.get(), 2, "{mech:?}");
        n += 1;
    }
    println!("in-memory key cache reuse: {n} passed, 0 failed");
}

#[test]
fn declined_speculation_starts_afresh() {
    let mut n = 0;
    for mech in MECHS {
        let o = converse_with(cred(mech, "alice", "pencil"), spec(true), None, |step, b| {
            if step == 0 {
                edit(&b, |d| {
                    d.remove("speculativeAuthenticate");
                })
            } else {
                b
            }
        });
        assert!(o.authenticated, "{mech:?}: {:?}", o.result);
        assert!(!o.speculative, "{mech:?}: the server declined, yet used_speculative()");
        assert_eq!(o.replies.len(), 3);
        n += 1;
    }
    println!("in-memory declined speculation: {n} passed, 0 failed");
}

// ---------------------------------------------------------------------------
// A hostile or broken server
// ---------------------------------------------------------------------------

type Check = fn(&Error) -> bool;

fn is_wire(e: &Error) -> bool {
    matches!(e, Error::Wire(_))
}
fn is_protocol(e: &Error) -> bool {
    matches!(e, Error::Protocol { .. })
}

/// A forged reply at `step`, for a login of `mech` with speculation `on`,
/// must fail with an error `check` accepts.
struct Forgery {
    name: &'static str,
    on: bool,
    step: usize,
    forge: fn(&mut bson::Document),
    check: Check,
}

fn forgeries() -> Vec<Forgery> {
    use bson::Bson;
    let f = |name, on, step, forge: fn(&mut bson::Document), check: Check| Forgery {
        name,
        on,
        step,
        forge,
        check,
    };
    vec![
        f(
            "hello ok:0 code 18",
            true,
            0,
            |d| {
                d.insert("ok", 0.0);
                d.insert("code", 18);
                d.insert("errmsg", "no");
            },
            |e| code(e) == Some(18),
        ),
        f(
            "hello ok:0 other code",
            false,
            0,
            |d| {
                d.insert("ok", 0);
                d.insert("code", 8000);
            },
            |e| code(e) == Some(8000),
        ),
        f(
            "hello ok missing",
            true,
            0,
            |d| {
                d.remove("ok");
            },
            is_wire,
        ),
        f(
            "hello ok as a string",
            true,
            0,
            |d| {
                d.insert("ok", "1");
            },
            is_wire,
        ),
        f(
            "hello ok: 2",
            true,
            0,
            |d| {
                d.insert("ok", 2);
            },
            is_wire,
        ),
        f(
            "hello saslSupportedMechs a string",
            true,
            0,
            |d| {
                d.insert("saslSupportedMechs", "SCRAM-SHA-256");
            },
            is_wire,
        ),
        f(
            "speculative reply done:true before the server signature",
            true,
            0,
            |d| {
                d.get_document_mut("speculativeAuthenticate").unwrap().insert("done", true);
            },
            is_protocol,
        ),
        f(
            "speculative payload as a string",
            true,
            0,
            |d| {
                let s = d.get_document_mut("speculativeAuthenticate").unwrap();
                let p = s.get_binary_generic("payload").unwrap().clone();
                s.insert("payload", String::from_utf8(p).unwrap());
            },
            is_wire,
        ),
        f(
            "speculative conversationId as a string",
            true,
            0,
            |d| {
                d.get_document_mut("speculativeAuthenticate")
                    .unwrap()
                    .insert("conversationId", "1");
            },
            is_wire,
        ),
        f(
            "speculative conversationId as a double",
            true,
            0,
            |d| {
                d.get_document_mut("speculativeAuthenticate")
                    .unwrap()
                    .insert("conversationId", 1.0);
            },
            is_wire,
        ),
        f(
            "speculative done missing",
            true,
            0,
            |d| {
                d.get_document_mut("speculativeAuthenticate").unwrap().remove("done");
            },
            is_wire,
        ),
        f(
            "speculative reply not a document",
            true,
            0,
            |d| {
                d.insert("speculativeAuthenticate", "yes");
            },
            is_wire,
        ),
        f(
            "saslStart reply done:true before the server signature",
            false,
            1,
            |d| {
                d.insert("done", true);
            },
            is_protocol,
        ),
        f(
            "saslStart reply payload missing",
            false,
            1,
            |d| {
                d.remove("payload");
            },
            is_wire,
        ),
        f(
            "saslStart reply payload as a string",
            false,
            1,
            |d| {
                let p = d.get_binary_generic("payload").unwrap().clone();
                d.insert("payload", String::from_utf8(p).unwrap());
            },
            is_wire,
        ),
        f(
            "saslStart reply payload as binary subtype 4",
            false,
            1,
            |d| {
                let p = d.get_binary_generic("payload").unwrap().clone();
                d.insert(
                    "payload",
                    bson::Binary { subtype: bson::spec::BinarySubtype::Uuid, bytes: p },
                );
            },
            |e| matches!(e, Error::Wire(_) | Error::Malformed { .. }),
        ),
        f(
            "saslStart reply done as int32",
            false,
            1,
            |d| {
                d.insert("done", 0);
            },
            is_wire,
        ),
        f(
            "saslStart reply conversationId missing",
            false,
            1,
            |d| {
                d.remove("conversationId");
            },
            is_wire,
        ),
        f(
            "saslStart reply ok as a string",
            false,
            1,
            |d| {
                d.insert("ok", "1");
            },
            is_wire,
        ),
        f(
            "saslStart reply ok as null",
            false,
            1,
            |d| {
                d.insert("ok", Bson::Null);
            },
            is_wire,
        ),
        f(
            "saslStart reply: iteration count below 4096",
            false,
            1,
            |d| {
                let p = d.get_binary_generic("payload").unwrap().clone();
                let s = String::from_utf8(p).unwrap();
                let (head, _) = s.rsplit_once(",i=").unwrap();
                d.insert("payload", bin(format!("{head},i=1000").as_bytes()));
            },
            |e| matches!(e, Error::IterationCountTooLow { .. }),
        ),
        f(
            "saslStart reply: a nonce that is not ours",
            false,
            1,
            |d| {
                let p = d.get_binary_generic("payload").unwrap().clone();
                let s = String::from_utf8(p).unwrap().replacen("r=", "r=X", 1);
                d.insert("payload", bin(s.as_bytes()));
            },
            |e| matches!(e, Error::NonceMismatch),
        ),
        f(
            "final reply: conversationId changed",
            true,
            1,
            |d| {
                d.insert("conversationId", 2);
            },
            is_protocol,
        ),
        f(
            "final reply: conversationId changed (non-speculative)",
            false,
            2,
            |d| {
                d.insert("conversationId", 7i64);
            },
            is_protocol,
        ),
        f(
            "final reply: server signature tampered",
            true,
            1,
            |d| {
                let mut p = d.get_binary_generic("payload").unwrap().clone();
                let last = p.len() - 2;
                p[last] = if p[last] == b'A' { b'B' } else { b'A' };
                d.insert("payload", bin(&p));
            },
            |e| matches!(e, Error::ServerSignatureMismatch | Error::Malformed { .. }),
        ),
        f(
            "final reply: e=other-error",
            false,
            2,
            |d| {
                d.insert("payload", bin(b"e=other-error"));
            },
            |e| matches!(e, Error::ServerError(_)),
        ),
        f(
            "final reply: empty payload with done:true",
            true,
            1,
            |d| {
                d.insert("payload", bin(b""));
            },
            |e| !matches!(e, Error::CommandFailed(_)),
        ),
        f(
            "final reply: ok:0 code 18",
            false,
            2,
            |d| {
                d.insert("ok", 0);
                d.insert("code", 18);
            },
            |e| code(e) == Some(18),
        ),
    ]
}

#[test]
fn forged_replies_fail() {
    let mut n = 0;
    for mech in MECHS {
        for fg in forgeries() {
            let o = converse_with(cred(mech, "alice", "pencil"), spec(fg.on), None, |step, b| {
                if step == fg.step { edit(&b, fg.forge) } else { b }
            });
            let what = format!("{} ({mech:?})", fg.name);
            let e = match &o.result {
                Ok(()) => panic!("{what}: the forged reply was accepted"),
                Err(e) => e,
            };
            assert!((fg.check)(e), "{what}: unexpected error {e:?}");
            assert!(!o.authenticated, "{what}: authenticated after a forged reply");
            n += 1;
        }
    }
    println!("in-memory forged replies: {n} passed, 0 failed");
}

#[test]
fn truncated_and_garbage_bodies_fail() {
    let mut n = 0;
    for mech in MECHS {
        for on in [true, false] {
            let good = converse(cred(mech, "alice", "pencil"), spec(on));
            assert!(good.authenticated);
            for step in 0..good.replies.len() {
                let len = good.replies[step].len();
                for cut in 0..len {
                    let o = CACHE.with(|c| {
                        let c = c.borrow();
                        converse_with(cred(mech, "alice", "pencil"), spec(on), Some(&*c), |s, b| {
                            if s == step { b[..cut].to_vec() } else { b }
                        })
                    });
                    assert!(
                        o.result.is_err() && !o.authenticated,
                        "{mech:?} step {step} cut at {cut}"
                    );
                    n += 1;
                }
                // The body's declared length past its end.
                let o = converse_with(cred(mech, "alice", "pencil"), spec(on), None, |s, mut b| {
                    if s == step {
                        b[..4].copy_from_slice(&(len as i32 + 100).to_le_bytes());
                    }
                    b
                });
                assert!(matches!(o.result, Err(Error::Wire(_))) && !o.authenticated);
                n += 1;
            }
        }
    }
    println!("in-memory truncated bodies: {n} passed, 0 failed");
}

/// Servers that ignore skipEmptyExchange: `done:false` with `v=`, then an
/// empty saslContinue; and what happens when that server misbehaves.
#[test]
fn empty_exchange_and_step_limit() {
    let mut n = 0;
    for mech in MECHS {
        for on in [true, false] {
            let last = if on { 1 } else { 2 };
            // done:false on the final reply, then our forged done:true empty reply.
            let mut saw_empty = false;
            let mut auth =
                Authenticator::new(cred(mech, "alice", "pencil"), spec(on), &ENTROPY).unwrap();
            let mut server = ServerSession::new(&*USERS, DECOY);
            let (mut req, mut rep) = (vec![0u8; 4096], vec![0u8; 4096]);
            for step in 0..=last + 1 {
                let cmd = auth.command().unwrap();
                let reply = if step <= last {
                    let n = wire::encode_document(&cmd, &mut req).unwrap();
                    let m = server.handle(&req[..n], &[1; 24], &mut rep).unwrap();
                    if step == last {
                        edit(&rep[..m], |d| {
                            d.insert("done", false);
                        })
                    } else {
                        rep[..m].to_vec()
                    }
                } else {
                    match cmd {
                        Outgoing::SaslContinue(c) => saw_empty = c.payload.is_empty(),
                        other => panic!("expected the empty saslContinue, got {other:?}"),
                    }
                    bson::to_vec(&bson::doc! { "conversationId": 1, "done": true, "payload": bin(b""), "ok": 1.0 }).unwrap()
                };
                let p = auth.handle_reply(&reply).unwrap();
                assert_eq!(is_done(p), step == last + 1);
            }
            assert!(saw_empty && auth.is_authenticated(), "{mech:?} spec={on}");
            n += 1;

            // The legacy server never says done: the conversation must end in an error.
            for bad_final in [
                bson::doc! { "conversationId": 1, "done": false, "payload": bin(b""), "ok": 1 },
                bson::doc! { "conversationId": 1, "done": true, "payload": bin(b"v=extra"), "ok": 1 },
                bson::doc! { "conversationId": 2, "done": true, "payload": bin(b""), "ok": 1 },
            ] {
                let bad = bson::to_vec(&bad_final).unwrap();
                let o = converse_with(cred(mech, "alice", "pencil"), spec(on), None, |step, b| {
                    match step.cmp(&last) {
                        std::cmp::Ordering::Less => b,
                        std::cmp::Ordering::Equal => edit(&b, |d| {
                            d.insert("done", false);
                        }),
                        std::cmp::Ordering::Greater => bad.clone(),
                    }
                });
                assert!(
                    matches!(o.result, Err(Error::Protocol { .. })),
                    "{mech:?} {bad_final}: {:?}",
                    o.result
                );
                assert!(!o.authenticated);
                n += 1;
            }
        }
    }
    // A reply with no command outstanding.
    let mut auth = Authenticator::new(cred(None, "alice", "pencil"), spec(true), &ENTROPY).unwrap();
    let mut server = ServerSession::new(&*USERS, DECOY);
    let (mut req, mut rep) = (vec![0u8; 4096], vec![0u8; 4096]);
    let mut last = Vec::new();
    while let Some(cmd) = auth.command() {
        let n = wire::encode_document(&cmd, &mut req).unwrap();
        let m = server.handle(&req[..n], &[1; 24], &mut rep).unwrap();
        last = rep[..m].to_vec();
        if is_done(auth.handle_reply(&last).unwrap()) {
            break;
        }
    }
    assert!(auth.is_authenticated() && auth.command().is_none());
    assert!(matches!(auth.handle_reply(&last), Err(Error::UnexpectedStep { .. })));
    n += 1;
    println!("in-memory empty exchange and step limits: {n} passed, 0 failed");
}

/// PLAIN and X.509 against a scripted server (our session speaks SCRAM only).
#[test]
fn plain_and_x509_scripted() {
    let hello =
        bson::to_vec(&bson::doc! { "ismaster": true, "maxWireVersion": 21, "ok": 1 }).unwrap();
    let done = bson::to_vec(
        &bson::doc! { "conversationId": 1, "done": true, "payload": bin(b""), "ok": 1 },
    )
    .unwrap();
    let not_done = bson::to_vec(
        &bson::doc! { "conversationId": 1, "done": false, "payload": bin(b""), "ok": 1 },
    )
    .unwrap();
    let c = Credential::new(Some(Mechanism::Plain), Some("u"), Some("p"), "$external").unwrap();

    let mut auth = Authenticator::new(c.clone(), AuthConfig::default(), &ENTROPY).unwrap();
    assert!(
        matches!(auth.command(), Some(Outgoing::Hello(h)) if h.speculative_authenticate.is_none())
    );
    assert!(matches!(auth.handle_reply(&hello).unwrap(), Step::Send(_)));
    match auth.command() {
        Some(Outgoing::SaslStart(s)) => assert_eq!(s.payload, b"\0u\0p"),
        other => panic!("{other:?}"),
    }
    assert!(is_done(auth.handle_reply(&done).unwrap()));
    assert!(auth.is_authenticated());

    let mut auth = Authenticator::new(c, AuthConfig::default(), &ENTROPY).unwrap();
    auth.handle_reply(&hello).unwrap();
    assert!(matches!(auth.handle_reply(&not_done), Err(Error::Protocol { .. })));
    assert!(!auth.is_authenticated());

    // X.509, speculative: the hello's speculativeAuthenticate reply is the login.
    let x = Credential::new(Some(Mechanism::MongodbX509), None, None, "$external").unwrap();
    let mut auth = Authenticator::new(x.clone(), AuthConfig::default(), &ENTROPY).unwrap();
    let spec_hello = bson::to_vec(&bson::doc! {
        "ismaster": true, "speculativeAuthenticate": { "dbname": "$external", "user": "CN=client" }, "ok": 1
    })
    .unwrap();
    assert!(is_done(auth.handle_reply(&spec_hello).unwrap()));
    assert!(auth.is_authenticated() && auth.used_speculative());
    // ... and without it, an authenticate command whose ok:0 is a failure.
    let mut auth = Authenticator::new(x.clone(), AuthConfig::default(), &ENTROPY).unwrap();
    auth.handle_reply(&hello).unwrap();
    assert!(matches!(auth.command(), Some(Outgoing::Authenticate(_))));
    let accepted =
        bson::to_vec(&bson::doc! { "dbname": "$external", "user": "CN=client", "ok": 1 }).unwrap();
    let mut ok_auth = Authenticator::new(x.clone(), AuthConfig::default(), &ENTROPY).unwrap();
    ok_auth.handle_reply(&hello).unwrap();
    assert!(is_done(ok_auth.handle_reply(&accepted).unwrap()));
    assert!(
        ok_auth.is_authenticated() && !ok_auth.used_speculative(),
        "no speculative reply was taken"
    );
    let refused = bson::to_vec(&bson::doc! { "ok": 0, "code": 18, "errmsg": "no" }).unwrap();
    assert_eq!(code(&auth.handle_reply(&refused).unwrap_err()), Some(18));
    assert!(!auth.is_authenticated());
    println!("in-memory PLAIN and X.509 (scripted): 5 passed, 0 failed");
}

// ---------------------------------------------------------------------------
// In-memory streams for the blocking and async drivers
// ---------------------------------------------------------------------------

/// Our server behind an in-memory duplex: whatever the client writes is
/// answered as soon as a whole frame arrived.
struct Pipe {
    session: ServerSession<&'static Users>,
    inbox: Vec<u8>,
    outbox: VecDeque<u8>,
    /// Everything the server sent, for replay.
    transcript: Vec<u8>,
    calls: u8,
}

impl Pipe {
    fn new() -> Pipe {
        Pipe {
            session: ServerSession::new(&*USERS, DECOY),
            inbox: Vec::new(),
            outbox: VecDeque::new(),
            transcript: Vec::new(),
            calls: 0,
        }
    }

    fn push(&mut self, data: &[u8]) {
        self.inbox.extend_from_slice(data);
        while self.inbox.len() >= 4 {
            let len = u32::from_le_bytes(self.inbox[..4].try_into().unwrap()) as usize;
            if self.inbox.len() < len {
                return;
            }
            let frame: Vec<u8> = self.inbox.drain(..len).collect();
            let msg = wire::parse_op_msg(&frame).unwrap();
            let mut out = vec![0u8; 4096];
            self.calls += 1;
            let m = self
                .session
                .handle(
                    msg.body.as_bytes(),
                    &[self.calls; 24],
                    &mut out[wire::OP_MSG_BODY_OFFSET..],
                )
                .unwrap();
            let total =
                wire::finish_op_msg(i32::from(self.calls), msg.request_id, &mut out, m).unwrap();
            self.outbox.extend(&out[..total]);
            self.transcript.extend_from_slice(&out[..total]);
        }
    }

    fn pull(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.outbox.len());
        for (d, s) in buf.iter_mut().zip(self.outbox.drain(..n)) {
            *d = s;
        }
        n
    }
}

impl embedded_io::ErrorType for Pipe {
    type Error = core::convert::Infallible;
}
impl embedded_io::Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(self.pull(buf))
    }
}
impl embedded_io::Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.push(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
impl embedded_io_async::Read for Pipe {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        Ok(self.pull(buf))
    }
}
impl embedded_io_async::Write for Pipe {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        self.push(buf);
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A scripted server: reads come from fixed bytes, writes go nowhere.
struct Script<'a> {
    input: &'a [u8],
    consumed: usize,
}

impl embedded_io::ErrorType for Script<'_> {
    type Error = core::convert::Infallible;
}
impl embedded_io::Read for Script<'_> {
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        let n = buf.len().min(self.input.len() - self.consumed);
        buf[..n].copy_from_slice(&self.input[self.consumed..self.consumed + n]);
        self.consumed += n;
        Ok(n)
    }
}
impl embedded_io::Write for Script<'_> {
    fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
impl embedded_io_async::Read for Script<'_> {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
        embedded_io::Read::read(self, buf)
    }
}
impl embedded_io_async::Write for Script<'_> {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
        Ok(buf.len())
    }
    async fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// A 15-line executor: our in-memory streams are always ready.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..1_000_000 {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("the future never completed over an always-ready stream");
}

type HsResult = Result<mongoauth::client::Outcome, HandshakeError<core::convert::Infallible>>;

fn via_blocking(c: Credential, config: AuthConfig) -> (HsResult, bool, Vec<u8>) {
    let mut auth = Authenticator::new(c, config, &ENTROPY).unwrap();
    let mut pipe = Pipe::new();
    let mut buf = [0u8; 2048];
    let r = authenticate(&mut pipe, &mut auth, &mut buf);
    (r, auth.is_authenticated(), pipe.transcript)
}

fn via_async(c: Credential, config: AuthConfig) -> (HsResult, bool) {
    let mut auth = Authenticator::new(c, config, &ENTROPY).unwrap();
    let mut pipe = Pipe::new();
    let mut buf = [0u8; 2048];
    let r = block_on(authenticate_async(&mut pipe, &mut auth, &mut buf));
    (r, auth.is_authenticated())
}

fn replay(
    stream: &[u8],
    c: Credential,
    config: AuthConfig,
    buf_len: usize,
) -> (HsResult, bool, usize) {
    let mut auth = Authenticator::new(c, config, &ENTROPY).unwrap();
    let mut script = Script { input: stream, consumed: 0 };
    let mut buf = vec![0u8; buf_len];
    let r = authenticate(&mut script, &mut auth, &mut buf);
    (r, auth.is_authenticated(), script.consumed)
}

fn replay_async(stream: &[u8], c: Credential, config: AuthConfig) -> (HsResult, bool) {
    let mut auth = Authenticator::new(c, config, &ENTROPY).unwrap();
    let mut script = Script { input: stream, consumed: 0 };
    let mut buf = [0u8; 2048];
    let r = block_on(authenticate_async(&mut script, &mut auth, &mut buf));
    (r, auth.is_authenticated())
}

#[test]
fn blocking_and_async_drivers() {
    let mut n = 0;
    for mech in MECHS {
        for on in [true, false] {
            let (r, ok, transcript) = via_blocking(cred(mech, "alice", "pencil"), spec(on));
            assert!(r.is_ok() && ok, "blocking {mech:?} spec={on}: {r:?}");
            // Deterministic entropy on both sides: the transcript replays.
            let (r, ok, _) = replay(&transcript, cred(mech, "alice", "pencil"), spec(on), 2048);
            assert!(r.is_ok() && ok, "replay {mech:?} spec={on}: {r:?}");
            let (r, ok) = via_async(cred(mech, "alice", "pencil"), spec(on));
            assert!(r.is_ok() && ok, "async {mech:?} spec={on}: {r:?}");
            let (r, ok) = replay_async(&transcript, cred(mech, "alice", "pencil"), spec(on));
            assert!(r.is_ok() && ok, "async replay {mech:?} spec={on}: {r:?}");
            for r in [
                via_blocking(cred(mech, "alice", "wrong"), spec(on)).0,
                via_async(cred(mech, "alice", "wrong"), spec(on)).0,
            ] {
                assert!(matches!(&r, Err(HandshakeError::Auth(e)) if code(e) == Some(18)), "{r:?}");
            }
            // The server hangs up half-way: an early EOF, never a login.
            for cut in [0, 10, 16, transcript.len() / 2, transcript.len() - 1] {
                let (r, ok, _) =
                    replay(&transcript[..cut], cred(mech, "alice", "pencil"), spec(on), 2048);
                assert!(matches!(r, Err(HandshakeError::UnexpectedEof)) && !ok, "cut {cut}: {r:?}");
                let (r, ok) =
                    replay_async(&transcript[..cut], cred(mech, "alice", "pencil"), spec(on));
                assert!(
                    matches!(r, Err(HandshakeError::UnexpectedEof)) && !ok,
                    "async cut {cut}: {r:?}"
                );
            }
            n += 1;
        }
    }
    println!("in-memory blocking and async drivers: {n} passed, 0 failed");
}

/// A frame header with these fields.
fn header(len: i32, request_id: i32, response_to: i32, op: i32) -> Vec<u8> {
    [len, request_id, response_to, op].iter().flat_map(|v| v.to_le_bytes()).collect()
}

#[test]
fn malformed_frames() {
    let c = cred(None, "alice", "pencil");
    let (_, _, transcript) = via_blocking(c.clone(), spec(true));
    let first_len = u32::from_le_bytes(transcript[..4].try_into().unwrap()) as usize;
    let mut n = 0;

    // Our own first request's size: a buffer between it and the reply's size.
    let auth = Authenticator::new(c.clone(), spec(true), &ENTROPY).unwrap();
    let mut tmp = [0u8; 2048];
    let req_len = wire::encode_message(1, 0, &auth.command().unwrap(), &mut tmp).unwrap();
    assert!(req_len < first_len, "request {req_len} bytes, reply {first_len}");

    // A length past the caller's buffer: refused after the header, before reading on.
    let mut big = header(1_000_000, 1, 1, wire::OP_MSG);
    big.extend(vec![0u8; 5000]);
    for (buf_len, len) in [(2048, 1_000_000), (2048, 2049), (first_len - 1, first_len)] {
        big[..4].copy_from_slice(&(len as i32).to_le_bytes());
        let stream = if len == first_len { &transcript[..] } else { &big[..] };
        let (r, ok, consumed) = replay(stream, c.clone(), spec(true), buf_len);
        assert!(
            matches!(r, Err(HandshakeError::Auth(Error::Wire(WireError::MessageTooLarge { .. })))),
            "length {len} into {buf_len}: {r:?}"
        );
        assert_eq!(consumed, 16, "read past the header of an oversized frame");
        assert!(!ok);
        n += 1;
    }
    // Past the protocol's own maximum, whatever the buffer.
    let huge = header(i32::MAX, 1, 1, wire::OP_MSG);
    let (r, _, consumed) = replay(&huge, c.clone(), spec(true), 2048);
    assert!(matches!(r, Err(HandshakeError::Auth(Error::Wire(_)))) && consumed == 16, "{r:?}");
    n += 1;

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("negative length", header(-5, 1, 1, wire::OP_MSG)),
        ("length below the minimum", header(17, 1, 1, wire::OP_MSG)),
        ("zero length", header(0, 1, 1, wire::OP_MSG)),
        ("an OP_REPLY to our OP_MSG", {
            let mut f = transcript[..first_len].to_vec();
            f[12..16].copy_from_slice(&1i32.to_le_bytes());
            f
        }),
        ("responseTo another request", {
            let mut f = transcript[..first_len].to_vec();
            f[8..12].copy_from_slice(&77i32.to_le_bytes());
            f
        }),
        ("unknown required flag bit", {
            let mut f = transcript[..first_len].to_vec();
            f[16] |= 0x04;
            f
        }),
        ("a kind-1 section", {
            let mut f = transcript[..first_len].to_vec();
            f[20] = 1;
            f
        }),
        ("checksum flag without a checksum", {
            let mut f = transcript[..first_len].to_vec();
            f[16] |= 0x01;
            f
        }),
        ("trailing bytes after the body", {
            let mut f = transcript[..first_len].to_vec();
            f.extend([0, 0, 0]);
            let l = f.len() as i32;
            f[..4].copy_from_slice(&l.to_le_bytes());
            f
        }),
        ("body length past the frame", {
            let mut f = transcript[..first_len].to_vec();
            let l = i32::from_le_bytes(f[21..25].try_into().unwrap()) + 9;
            f[21..25].copy_from_slice(&l.to_le_bytes());
            f
        }),
    ];
    // Every prefix of the first frame, as the whole stream.
    for cut in (1..first_len).step_by(7) {
        cases.push(("truncated frame", transcript[..cut].to_vec()));
    }
    for (what, stream) in &cases {
        let (r, ok, _) = replay(stream, c.clone(), spec(true), 2048);
        assert!(r.is_err() && !ok, "{what}: {r:?}");
        let (r, ok) = replay_async(stream, c.clone(), spec(true));
        assert!(r.is_err() && !ok, "async {what}: {r:?}");
        n += 1;
    }
    // A buffer too small for our own request is an error, not a panic.
    for len in [0, 8, 16, 40] {
        let (r, ok, _) = replay(&transcript, c.clone(), spec(true), len);
        assert!(matches!(r, Err(HandshakeError::Auth(_))) && !ok, "buffer {len}: {r:?}");
        n += 1;
    }
    println!("in-memory malformed frames: {n} passed, 0 failed");
}

// ---------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------

/// The SCRAM payloads a server stream carries, frame by frame (hello's
/// speculative payload included), or None if the stream does not decode.
fn payloads(stream: &[u8]) -> Option<Vec<(Vec<u8>, bool)>> {
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= 4 {
        let len = u32::from_le_bytes(rest[..4].try_into().ok()?) as usize;
        let frame = rest.get(..len)?;
        rest = &rest[len..];
        let doc = bson::Document::from_reader(&mut frame.get(21..)?).ok()?;
        let d = doc.get_document("speculativeAuthenticate").unwrap_or(&doc);
        if let Ok(p) = d.get_binary_generic("payload") {
            out.push((p.clone(), d.get_bool("done").unwrap_or(false)));
        }
    }
    Some(out)
}

fn proptest_config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

thread_local! {
    /// Keys shared across cases: most mutations keep the salt, so PBKDF2 runs rarely.
    static CACHE: RefCell<KeyCache<8>> = const { RefCell::new(KeyCache::new()) };
}

fn mech_strategy() -> impl Strategy<Value = Option<Mechanism>> {
    prop::sample::select(MECHS.to_vec())
}

/// Run a property over `cases` generated inputs and print the tally.
/// `f` returns whether the case ended in a login (to show both outcomes ran).
fn check<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: S,
    f: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) {
    use std::sync::atomic::{AtomicU32, Ordering};
    let logins = AtomicU32::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(proptest_config(cases));
    let result = runner.run(&strategy, |v| {
        if f(v)? {
            logins.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{name}: {e}");
    }
    let l = logins.load(Ordering::Relaxed);
    println!(
        "proptest {name}: {cases} passed, 0 failed ({l} legitimate logins, {} refused)",
        cases - l
    );
}

/// Arbitrary bytes as any reply: no panic, no login.
#[test]
fn prop_arbitrary_reply_bodies() {
    let s = (mech_strategy(), any::<bool>(), 0usize..3, prop::collection::vec(any::<u8>(), 0..400));
    check("arbitrary reply bodies", 256, s, |(mech, on, step, bytes)| {
        let o = converse_with(cred(mech, "alice", "pencil"), spec(on), None, |s, b| {
            if s == step { bytes.clone() } else { b }
        });
        prop_assert!(
            !o.authenticated || o.replies.len() <= step,
            "authenticated after arbitrary bytes at step {}",
            step
        );
        Ok(o.authenticated)
    });
}

/// Random replies in a valid BSON frame: no panic, and a forged SASL reply
/// never yields a login.
#[test]
fn prop_random_documents() {
    let s = (
        (mech_strategy(), any::<bool>(), 0usize..3, any::<bool>()),
        prop::sample::select(vec![0i64, 1, 2, -1, i64::MAX]),
        prop::collection::vec(any::<u8>(), 0..120),
        prop::sample::select(vec![0.0f64, 1.0, 2.0]),
    );
    check("random reply documents", 256, s, |((mech, on, step, done), id, payload, ok)| {
        let forged = bson::to_vec(&bson::doc! {
            "conversationId": id, "done": done, "payload": bin(&payload), "ok": ok,
            "speculativeAuthenticate": { "conversationId": id, "done": done, "payload": bin(&payload) },
        })
        .unwrap();
        let o = converse_with(cred(mech, "alice", "pencil"), spec(on), None, |s, b| {
            if s == step { forged.clone() } else { b }
        });
        // A forged hello may lead to a fresh conversation with the real
        // server (its speculative part unused); a forged SASL reply never logs in.
        if o.authenticated && o.replies.len() > step {
            prop_assert!(step == 0, "a forged SASL reply led to a login");
            prop_assert!(o.result.is_ok());
        }
        Ok(o.authenticated)
    });
}

/// One mutated byte in one reply of a live conversation: no panic; a login
/// only if the SCRAM payload the client saw was the server's own.
#[test]
fn prop_mutated_replies() {
    let s = (mech_strategy(), any::<bool>(), 0usize..3, any::<prop::sample::Index>(), 1u8..=255);
    check("mutated replies (live server)", 512, s, |(mech, on, step, pos, xor)| {
        let mut mutated: Option<(Vec<u8>, Vec<u8>)> = None;
        let o = CACHE.with(|c| {
            let c = c.borrow();
            converse_with(cred(mech, "alice", "pencil"), spec(on), Some(&*c), |s, mut b| {
                if s == step {
                    let orig = b.clone();
                    let i = pos.index(b.len());
                    b[i] ^= xor;
                    mutated = Some((orig, b.clone()));
                }
                b
            })
        });
        if let (true, Some((orig, new))) = (o.authenticated, mutated) {
            let get = |b: &[u8]| {
                bson::Document::from_reader(&mut &b[..]).ok().map(|d| {
                    let d2 = d.get_document("speculativeAuthenticate").cloned().unwrap_or(d);
                    d2.get_binary_generic("payload").ok().cloned()
                })
            };
            // A mutation that hides the speculative reply (a renamed field, a
            // retyped payload) makes the client start afresh with the real
            // server, a legitimate login; a SCRAM payload still there must be
            // the server's own.
            if let Some(Some(p)) = get(&new) {
                prop_assert_eq!(Some(Some(p)), get(&orig), "logged in on a changed SCRAM payload");
            }
        }
        Ok(o.authenticated)
    });
}

/// Arbitrary bytes as the server's whole stream, through both drivers.
#[test]
fn prop_arbitrary_streams() {
    let s = (
        mech_strategy(),
        prop::collection::vec(any::<u8>(), 0..600),
        prop::sample::select(vec![0usize, 16, 64, 512, 2048]),
    );
    check("arbitrary server streams (blocking + async)", 256, s, |(mech, bytes, buf_len)| {
        let (r, ok, _) = replay(&bytes, cred(mech, "alice", "pencil"), spec(true), buf_len);
        prop_assert!(r.is_err() && !ok);
        let (r, ok) = replay_async(&bytes, cred(mech, "alice", "pencil"), spec(true));
        prop_assert!(r.is_err() && !ok);
        Ok(false)
    });
}

/// A recorded server stream with one mutated byte, replayed through both
/// drivers: no panic; a login only on the server's own SCRAM payloads.
#[test]
fn prop_mutated_streams() {
    let s = (mech_strategy(), any::<bool>(), any::<prop::sample::Index>(), 1u8..=255);
    check("mutated server streams (blocking + async)", 512, s, |(mech, on, pos, xor)| {
        let c = cred(mech, "alice", "pencil");
        let transcript = TRANSCRIPTS.with(|t| {
            t.borrow_mut()
                .entry((format!("{mech:?}"), on))
                .or_insert_with(|| via_blocking(c.clone(), spec(on)).2)
                .clone()
        });
        let mut stream = transcript.clone();
        let i = pos.index(stream.len());
        stream[i] ^= xor;
        let (r, ok, _) = replay(&stream, c.clone(), spec(on), 2048);
        prop_assert_eq!(r.is_ok(), ok);
        if ok {
            prop_assert_eq!(
                payloads(&stream),
                payloads(&transcript),
                "logged in on a changed SCRAM payload"
            );
        }
        let (r2, ok2) = replay_async(&stream, c, spec(on));
        prop_assert_eq!((r2.is_ok(), ok2), (r.is_ok(), ok), "the async driver disagrees");
        Ok(ok)
    });
}

thread_local! {
    static TRANSCRIPTS: RefCell<std::collections::HashMap<(String, bool), Vec<u8>>> = RefCell::new(Default::default());
}
