//! SCRAM client cost against its anchors, measured in the same run:
//! - the physical bound: PBKDF2 is two SHA compressions per iteration, so
//!   `2 * iterations * (bulk compression time)` (bulk = many blocks in one
//!   call, the fastest the hardware hashes);
//! - OpenSSL's `PKCS5_PBKDF2_HMAC` (what pymongo reaches through hashlib);
//! - the RustCrypto `pbkdf2` crate.
//!
//! Criterion measures each; a summary at the end prints ratios to the bound
//! (absolute times drift 10-15% between runs, ratios do not). Nothing here
//! asserts a time.
// A std benchmark: `std` paths are the natural ones here.
#![allow(missing_docs, clippy::unwrap_used, clippy::std_instead_of_core)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use mongoauth::codec::wire;
use mongoauth::crypto::HmacKey;
use mongoauth::mech::scram::{
    Client, ClientConfig, Nonce, ScramHash, Server, Sha1, Sha256, StoredCredentials,
};
use mongoauth::server::{ServerSession, StaticUsers};

#[path = "common/server_login.rs"]
mod server_login;
use server_login::{SERVER_ENTROPY, ServerLogin};

#[link(name = "crypto")]
unsafe extern "C" {
    fn EVP_sha256() -> *const core::ffi::c_void;
    fn EVP_sha1() -> *const core::ffi::c_void;
    fn PKCS5_PBKDF2_HMAC(
        pass: *const u8,
        passlen: i32,
        salt: *const u8,
        saltlen: i32,
        iter: i32,
        digest: *const core::ffi::c_void,
        keylen: i32,
        out: *mut u8,
    ) -> i32;
}

fn openssl_pbkdf2(sha256: bool, pw: &[u8], salt: &[u8], iter: u32, out: &mut [u8]) {
    // SAFETY: all pointers come from live slices with their true lengths.
    let rc = unsafe {
        PKCS5_PBKDF2_HMAC(
            pw.as_ptr(),
            pw.len() as i32,
            salt.as_ptr(),
            salt.len() as i32,
            iter as i32,
            if sha256 { EVP_sha256() } else { EVP_sha1() },
            out.len() as i32,
            out.as_mut_ptr(),
        )
    };
    assert_eq!(rc, 1);
}

const BULK_BLOCKS: usize = 4096;

/// Time of `BULK_BLOCKS` compressions in one call (hashing in bulk).
fn bulk_compression<H: ScramHash>() -> Duration {
    let blocks = vec![[0x5au8; 64]; BULK_BLOCKS];
    let run = || {
        let t = Instant::now();
        if H::OUTPUT_LEN == 32 {
            let mut s = [0u32; 8];
            sha2::block_api::compress256(&mut s, black_box(&blocks));
            black_box(s);
        } else {
            let mut s = [0u32; 5];
            sha1::block_api::compress(&mut s, black_box(&blocks));
            black_box(s);
        }
        t.elapsed()
    };
    median(31, run)
}

/// One bulk compression in nanoseconds, from a [`bulk_compression`] time.
fn ns_per_block(bulk: Duration) -> f64 {
    bulk.as_secs_f64() * 1e9 / BULK_BLOCKS as f64
}

/// The bound for `compressions` calls, from a [`bulk_compression`] time. Scaled
/// in floating point: a per-block `Duration` has whole nanoseconds only, which
/// at ~31 ns per block would misstate the bound by up to 3%.
fn bound(bulk: Duration, compressions: u32) -> Duration {
    Duration::from_secs_f64(bulk.as_secs_f64() * f64::from(compressions) / BULK_BLOCKS as f64)
}

fn median(n: usize, mut f: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..n).map(|_| f()).collect();
    v.sort();
    v[n / 2]
}

/// A whole client conversation (client-first to verified server-final)
/// against messages our server produced once, up front.
struct Conversation<H: ScramHash> {
    server_first: Vec<u8>,
    server_final: Vec<u8>,
    _h: std::marker::PhantomData<H>,
}

impl<H: ScramHash> Conversation<H> {
    fn new(iterations: u32) -> Self {
        let creds =
            StoredCredentials::<H>::generate("user", "pencil", &[7; 28][..H::SALT_LEN], iterations)
                .unwrap();
        let nonce = Nonce::from_random(&[1; 24]).unwrap();
        let c = Client::<H>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap();
        let st = Server::<H>::handle_client_first(c.message())
            .unwrap()
            .respond(&creds, &[2; 24])
            .unwrap();
        let server_first = st.message().to_vec();
        let c = c.handle_server_first(&server_first).unwrap();
        let server_final = st.handle_client_final(c.message()).unwrap().message().to_vec();
        Conversation { server_first, server_final, _h: std::marker::PhantomData }
    }

    fn run(&self) {
        let nonce = Nonce::from_random(&[1; 24]).unwrap();
        let c = Client::<H>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap();
        let c = c.handle_server_first(black_box(&self.server_first)).unwrap();
        black_box(c.handle_server_final(&self.server_final).unwrap());
    }
}

/// The server's proof check alone, through the typestate `Server` with stored
/// keys: client-first parsed, server-first built, client-final verified.
/// About 11 SHA-256 compressions (ClientSignature and ServerSignature over a
/// 4-block AuthMessage with cached pads, plus H(ClientKey)): its bound.
struct ServerVerify {
    creds: StoredCredentials<Sha256>,
    first: Vec<u8>,
    fin: Vec<u8>,
}

/// SHA-256 compressions in a server verification with stored keys (see
/// [`ServerVerify`]).
const VERIFY_COMPRESSIONS: u32 = 11;

impl ServerVerify {
    fn new() -> Self {
        let creds =
            StoredCredentials::<Sha256>::generate("alice", "pencil", &[1; 28], 4096).unwrap();
        let nonce = Nonce::from_random(&[1; 24]).unwrap();
        let c =
            Client::<Sha256>::start("alice", "pencil", &nonce, &ClientConfig::default()).unwrap();
        let first = c.message().to_vec();
        let st = Server::<Sha256>::handle_client_first(&first)
            .unwrap()
            .respond(&creds, &SERVER_ENTROPY)
            .unwrap();
        let c = c.handle_server_first(st.message()).unwrap();
        let fin = c.message().to_vec();
        ServerVerify { creds, first, fin }
    }

    fn run(&self) {
        let st = Server::<Sha256>::handle_client_first(black_box(&self.first))
            .unwrap()
            .respond(&self.creds, &SERVER_ENTROPY)
            .unwrap();
        black_box(st.handle_client_final(black_box(&self.fin)).unwrap());
    }
}

/// A whole login as a driver makes it, through `ServerSession::handle_frame`:
/// three OP_MSG frames (hello with `saslSupportedMechs`, saslStart,
/// saslContinue with the proof), known user, stored keys.
struct WireLogin {
    users: StaticUsers<4>,
    frames: [Vec<u8>; 3],
}

impl WireLogin {
    fn new() -> Self {
        let login = ServerLogin::new("alice");
        let frame = |body: &[u8]| {
            let doc = mongoauth::codec::bson::Document::parse(body).unwrap();
            let mut out = vec![0u8; 2048];
            let n = wire::encode_op_msg(1, 0, doc, &mut out).unwrap();
            out.truncate(n);
            out
        };
        let hello = wire::Hello {
            legacy: false,
            sasl_supported_mechs: Some(wire::UserRef { db: "admin", user: "alice" }),
            ..wire::Hello::default()
        };
        let mut buf = vec![0u8; 1024];
        let n = wire::encode_document(&hello, &mut buf).unwrap();
        let frames = [frame(&buf[..n]), frame(&login.start), frame(&login.fin)];
        let w = WireLogin { users: login.users, frames };
        // The proof verifies: the last reply is {done: true, ok: 1}.
        let mut session = ServerSession::new(&w.users, [9; 32]);
        let mut out = [0u8; 2048];
        for f in &w.frames {
            session.handle_frame(f, 2, &SERVER_ENTROPY, &mut out).unwrap();
        }
        assert!(session.authenticated_user().is_some());
        w
    }

    fn run(&self) {
        let mut session = ServerSession::new(&self.users, [9; 32]);
        let mut out = [0u8; 2048];
        for f in &self.frames {
            black_box(session.handle_frame(black_box(f), 2, &SERVER_ENTROPY, &mut out).unwrap());
        }
        black_box(session.authenticated_user().is_some());
    }
}

fn benches(c: &mut Criterion) {
    {
        let mut g = c.benchmark_group("server (stored keys)");
        let known = ServerLogin::new("alice");
        let unknown = ServerLogin::new("zelda");
        g.bench_function("ServerSession login, known user", |b| b.iter(|| known.run()));
        g.bench_function("ServerSession login, unknown user", |b| b.iter(|| unknown.run()));
        let verify = ServerVerify::new();
        g.bench_function("server verify (typestate, stored keys)", |b| b.iter(|| verify.run()));
        let wire_login = WireLogin::new();
        g.bench_function("ServerSession wire login (3 OP_MSG frames)", |b| {
            b.iter(|| wire_login.run())
        });
        g.finish();
    }
    let salt = [7u8; 28];
    for (name, iters, sha256) in [("SCRAM-SHA-256", 15000u32, true), ("SCRAM-SHA-1", 10000, false)]
    {
        let mut g = c.benchmark_group(format!("{name} @ {iters}"));
        g.sample_size(30);
        if sha256 {
            let conv = Conversation::<Sha256>::new(iters);
            g.bench_function("mongoauth client conversation", |b| b.iter(|| conv.run()));
            let k = HmacKey::<Sha256>::new(b"pencil");
            g.bench_function("mongoauth pbkdf2", |b| b.iter(|| black_box(k.pbkdf2(&salt, iters))));
            g.bench_function("mongoauth pbkdf2 portable loop", |b| {
                b.iter(|| black_box(k.pbkdf2_portable(&salt, iters)))
            });
            g.bench_function("pbkdf2 crate", |b| {
                b.iter(|| {
                    let mut out = [0u8; 32];
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pencil", &salt, iters, &mut out);
                    black_box(out)
                })
            });
        } else {
            let conv = Conversation::<Sha1>::new(iters);
            g.bench_function("mongoauth client conversation", |b| b.iter(|| conv.run()));
            let k = HmacKey::<Sha1>::new(b"1c33006ec1ffd90f9cadcbcc0e118200");
            g.bench_function("mongoauth pbkdf2", |b| b.iter(|| black_box(k.pbkdf2(&salt, iters))));
            g.bench_function("mongoauth pbkdf2 portable loop", |b| {
                b.iter(|| black_box(k.pbkdf2_portable(&salt, iters)))
            });
        }
        g.bench_function("openssl PKCS5_PBKDF2_HMAC", |b| {
            b.iter(|| {
                let mut out = [0u8; 32];
                let n = if sha256 { 32 } else { 20 };
                openssl_pbkdf2(sha256, b"pencil", &salt, iters, &mut out[..n]);
                black_box(out)
            })
        });
        g.finish();
    }
}

/// The bound a row of the ratio table is held to.
#[derive(Clone, Copy)]
enum Bound {
    /// 2 x 15,000 SHA-256 compressions (PBKDF2 at 15,000 iterations).
    Sha256Pbkdf2,
    /// [`VERIFY_COMPRESSIONS`] SHA-256 compressions (a server-side proof check).
    Sha256Verify,
    /// 2 x 10,000 SHA-1 compressions (PBKDF2 at 10,000 iterations).
    Sha1Pbkdf2,
}

/// One row of the ratio table: what it measures, its bound, and one sample.
type Row<'a> = (&'static str, Bound, Box<dyn FnMut() -> Duration + 'a>);

/// Rounds of the ratio table: every row (and the bulk compressions the
/// bounds come from) is sampled once per round, round after round, so that
/// a slow spell of the machine lands on every row alike instead of on
/// whichever row was running then.
const ROUNDS: usize = 21;

/// Ratios to the physical bound, measured now, in this process, with the
/// rows interleaved round by round; each row prints its median, its spread
/// (fastest and slowest round) and the median's ratio to its bound.
fn summary() {
    let salt = [7u8; 28];
    let conv256 = Conversation::<Sha256>::new(15000);
    let k256 = HmacKey::<Sha256>::new(b"pencil");
    let verify = ServerVerify::new();
    let wire_login = WireLogin::new();
    let conv1 = Conversation::<Sha1>::new(10000);
    let k1 = HmacKey::<Sha1>::new(b"1c33006ec1ffd90f9cadcbcc0e118200");
    let batch = |f: &dyn Fn()| {
        const BATCH: u32 = 200;
        time(|| {
            for _ in 0..BATCH {
                f();
            }
        }) / BATCH
    };
    let mut rows: Vec<Row<'_>> = vec![
        (
            "SCRAM-SHA-256 @15000 client conversation",
            Bound::Sha256Pbkdf2,
            Box::new(|| time(|| conv256.run())),
        ),
        (
            "SCRAM-SHA-256 @15000 mongoauth PBKDF2 only",
            Bound::Sha256Pbkdf2,
            Box::new(|| {
                time(|| {
                    black_box(k256.pbkdf2(&salt, 15000));
                })
            }),
        ),
        (
            "SCRAM-SHA-256 @15000 portable loop (SHA-NI not used)",
            Bound::Sha256Pbkdf2,
            Box::new(|| {
                time(|| {
                    black_box(k256.pbkdf2_portable(&salt, 15000));
                })
            }),
        ),
        (
            "SCRAM-SHA-256 @15000 pbkdf2 crate",
            Bound::Sha256Pbkdf2,
            Box::new(|| {
                time(|| {
                    let mut out = [0u8; 32];
                    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pencil", &salt, 15000, &mut out);
                    black_box(out);
                })
            }),
        ),
        (
            "SCRAM-SHA-256 @15000 OpenSSL PBKDF2 only",
            Bound::Sha256Pbkdf2,
            Box::new(|| time(|| openssl_pbkdf2(true, b"pencil", &salt, 15000, &mut [0; 32]))),
        ),
        (
            "server verify (typestate, stored keys)",
            Bound::Sha256Verify,
            Box::new(|| batch(&|| verify.run())),
        ),
        (
            "ServerSession wire login (3 OP_MSG frames)",
            Bound::Sha256Verify,
            Box::new(|| batch(&|| wire_login.run())),
        ),
        (
            "SCRAM-SHA-1 @10000 client conversation",
            Bound::Sha1Pbkdf2,
            Box::new(|| time(|| conv1.run())),
        ),
        (
            "SCRAM-SHA-1 @10000 mongoauth PBKDF2 only",
            Bound::Sha1Pbkdf2,
            Box::new(|| {
                time(|| {
                    black_box(k1.pbkdf2(&salt[..16], 10000));
                })
            }),
        ),
        (
            "SCRAM-SHA-1 @10000 portable loop (SHA-NI not used)",
            Bound::Sha1Pbkdf2,
            Box::new(|| {
                time(|| {
                    black_box(k1.pbkdf2_portable(&salt[..16], 10000));
                })
            }),
        ),
        (
            "SCRAM-SHA-1 @10000 OpenSSL PBKDF2 only",
            Bound::Sha1Pbkdf2,
            Box::new(|| time(|| openssl_pbkdf2(false, b"pencil", &salt, 10000, &mut [0; 20]))),
        ),
    ];
    let mut bulk256 = Vec::with_capacity(ROUNDS);
    let mut bulk1 = Vec::with_capacity(ROUNDS);
    let mut samples: Vec<Vec<Duration>> = vec![Vec::with_capacity(ROUNDS); rows.len()];
    for _ in 0..ROUNDS {
        bulk256.push(bulk_compression::<Sha256>());
        bulk1.push(bulk_compression::<Sha1>());
        for (row, out) in rows.iter_mut().zip(samples.iter_mut()) {
            out.push((row.2)());
        }
    }
    let mid = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let (b256, b1) = (mid(&mut bulk256), mid(&mut bulk1));
    println!("\nratio to the physical bound, same run, {ROUNDS} rounds with the rows interleaved:");
    println!(
        "bulk SHA-256 compression {:.2} ns per block, SHA-1 {:.2} ns (medians)",
        ns_per_block(b256),
        ns_per_block(b1)
    );
    println!(
        "bounds: PBKDF2 = 2 x iterations x bulk compression; server side = {VERIFY_COMPRESSIONS} compressions"
    );
    println!(
        "{:<54} {:>10} {:>23} {:>10} {:>8}",
        "", "median", "spread (min-max)", "bound", "x bound"
    );
    for (row, v) in rows.iter().zip(samples.iter_mut()) {
        let m = mid(v);
        let (lo, hi) = (v[0], v[v.len() - 1]);
        let b = match row.1 {
            Bound::Sha256Pbkdf2 => bound(b256, 2 * 15000),
            Bound::Sha256Verify => bound(b256, VERIFY_COMPRESSIONS),
            Bound::Sha1Pbkdf2 => bound(b1, 2 * 10000),
        };
        let spread = format!("{lo:.3?}-{hi:.3?}");
        println!(
            "{:<54} {m:>10.3?} {spread:>23} {b:>10.3?} {:>8.2}",
            row.0,
            m.as_secs_f64() / b.as_secs_f64()
        );
    }
}

fn time(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
