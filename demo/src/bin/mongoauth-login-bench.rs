//! `mongoauth-login-bench`: the Rust side of the Python binding's overhead
//! benchmark (`bindings/python/bench/login_overhead.py`), a persistent
//! process driven over stdin so that Rust and Python rounds can be
//! interleaved in one run. Not a test: it only times.
//!
//! Each stdin line is a command; each answer one stdout line:
//! - `mem N`: N whole logins in memory (a client `Authenticator` with a
//!   warm key cache and a `ServerSession` in this process, the bytes
//!   handed over directly), answering `ns TOTAL`; the authenticator has the
//!   payload capacity of the C library's object
//!   (`MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES`, 16448: room for GSSAPI and OIDC
//!   tokens), so that Rust and the binding do the same work;
//! - `mem-default N`: the same with `Authenticator::new`'s default payload
//!   capacity (smaller without the `gssapi` feature, as in this binary);
//! - `tcp HOST:PORT N`: N logins, each over a new TCP connection to a
//!   server there (the loopback server), answering `ns TOTAL` (the C
//!   library's payload capacity).
//!
//! The user is `admin` / `alice` / `pencil`, SCRAM negotiated (SCRAM-SHA-256),
//! speculative authentication on: what the Python side does with the
//! binding's defaults. Random bytes come from the OS for every login and
//! server step, as in the binding.

use std::io::{BufRead, Write};
use std::net::TcpStream;
use std::time::Instant;

use mongoauth::client::{
    AUTH_ENTROPY_LEN, AuthConfig, Authenticator, Credential, DEFAULT_PAYLOAD_LEN, Step,
};
use mongoauth::codec::wire;
use mongoauth::io::{FromStd, authenticate};
use mongoauth::mech::scram::KeyCache;
use mongoauth::os::fill_random;
use mongoauth::server::{SESSION_ENTROPY_LEN, ServerSession, StaticUsers};

type Users = StaticUsers<4>;
type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

/// The key cache size of the C library (`MONGOAUTH_KEY_CACHE_SLOTS`).
type Cache = KeyCache<8>;

/// The payload capacity of the C library's authenticator
/// (`MONGOAUTH_AUTHENTICATOR_PAYLOAD_BYTES`).
const C_PAYLOAD: usize = 16448;

fn err(e: impl std::fmt::Debug) -> Box<dyn std::error::Error> {
    format!("{e:?}").into()
}

fn authenticator<'c, const P: usize>(cache: &'c Cache) -> Fallible<Authenticator<'c, P>> {
    let mut entropy = [0u8; AUTH_ENTROPY_LEN];
    fill_random(&mut entropy).map_err(err)?;
    let cred = Credential::new(None, Some("alice"), Some("pencil"), "admin").map_err(err)?;
    Ok(Authenticator::<P>::with_payload_capacity(cred, AuthConfig::default(), &entropy)
        .map_err(err)?
        .with_key_cache(cache))
}

/// One whole login, client and server in this process.
fn login_in_memory<const P: usize>(
    cache: &Cache,
    server: &mut ServerSession<&Users>,
    id: i64,
    req: &mut [u8],
    rep: &mut [u8],
) -> Fallible<()> {
    let mut auth = authenticator::<P>(cache)?;
    server.restart([9; 32], id);
    loop {
        let cmd = auth.command().ok_or("the authenticator has no command")?;
        let n = wire::encode_document(&cmd, req).map_err(err)?;
        let mut entropy = [0u8; SESSION_ENTROPY_LEN];
        fill_random(&mut entropy).map_err(err)?;
        let body = req.get(..n).ok_or("encoded length out of range")?;
        let m = server.handle(body, &entropy, rep).map_err(err)?;
        let reply = rep.get(..m).ok_or("reply length out of range")?;
        if matches!(auth.handle_reply(reply).map_err(err)?, Step::Done(_)) {
            break;
        }
    }
    if !(auth.is_authenticated() && server.authenticated_user().is_some()) {
        return Err("the login ended unauthenticated".into());
    }
    Ok(())
}

/// One whole login over a new TCP connection.
fn login_tcp(cache: &Cache, addr: &str, buf: &mut [u8]) -> Fallible<()> {
    let sock = TcpStream::connect(addr)?;
    sock.set_nodelay(true)?;
    let mut io = FromStd::new(sock);
    let mut auth = authenticator::<C_PAYLOAD>(cache)?;
    authenticate(&mut io, &mut auth, buf).map_err(err)?;
    if !auth.is_authenticated() {
        return Err("the login ended unauthenticated".into());
    }
    Ok(())
}

fn count(word: Option<&str>) -> Fallible<u32> {
    Ok(word.ok_or("missing count")?.parse()?)
}

fn main() -> Fallible<()> {
    let users = Users::new().with_scram_user("admin", "alice", "pencil", &[1; 28]).map_err(err)?;
    let cache = Cache::new();
    let mut server = ServerSession::new(&users, [9; 32]);
    let (mut req, mut rep) = (vec![0u8; 4096], vec![0u8; 24576]);
    let mut buf = vec![0u8; 4096];
    let mut id: i64 = 0;
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let line = line?;
        let mut words = line.split_whitespace();
        let start = Instant::now();
        match words.next() {
            Some("mem") => {
                for _ in 0..count(words.next())? {
                    id += 1;
                    login_in_memory::<C_PAYLOAD>(&cache, &mut server, id, &mut req, &mut rep)?;
                }
            }
            Some("mem-default") => {
                for _ in 0..count(words.next())? {
                    id += 1;
                    login_in_memory::<DEFAULT_PAYLOAD_LEN>(
                        &cache,
                        &mut server,
                        id,
                        &mut req,
                        &mut rep,
                    )?;
                }
            }
            Some("tcp") => {
                let addr = words.next().ok_or("tcp needs HOST:PORT")?.to_string();
                for _ in 0..count(words.next())? {
                    login_tcp(&cache, &addr, &mut buf)?;
                }
            }
            Some("quit") | None => break,
            Some(other) => return Err(format!("unknown command `{other}`").into()),
        }
        writeln!(out, "ns {}", start.elapsed().as_nanos())?;
        out.flush()?;
    }
    Ok(())
}
