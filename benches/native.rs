//! The native-CPU comparison (issue #18, "no cliff"): times the rows that
//! collapsed under `-C target-cpu=native` with fat LTO, so that two builds of
//! this one file (default flags, and native + fat LTO) can be compared in one
//! run, round by round. `scripts/bench-native.sh` builds both and drives it.
//!
//! Modes:
//! - no arguments (or `--bench`, as `cargo bench` passes): measure every row
//!   once and print `row<TAB>nanoseconds per operation` lines;
//! - `--compare OTHER_BINARY [--rounds N] [--limit X]`: run this binary and
//!   `OTHER_BINARY` alternately (ABBA order, `N` rounds each), then print per
//!   row the median and spread of each and the ratios other/this of the
//!   medians and of the minimums; exit 1 when both are over `X` (default
//!   1.2) for a row that is not an `anchor:` (third-party code).
//!
//! Nothing here is a timed test: the ratio is taken from interleaved rounds
//! on the same machine, so load from other processes hits both builds alike.
#![allow(missing_docs, clippy::unwrap_used, clippy::std_instead_of_core)]

use std::hint::black_box;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use mongoauth::crypto::HmacKey;
use mongoauth::mech::scram::{
    Client, ClientConfig, Nonce, ScramKeys, Server, Sha1, Sha256, StoredCredentials,
};

#[path = "common/server_login.rs"]
mod server_login;

/// Iterations for the PBKDF2 rows: MongoDB's minimum, so a round stays short;
/// the per-iteration loop is what is compared.
const ITERATIONS: u32 = 4096;
/// How long one timed batch runs at least.
const BATCH: Duration = Duration::from_millis(2);
/// Batches per row in one measuring process (the median is reported).
const BATCHES: usize = 5;

/// Nanoseconds per call of `f`: the median of [`BATCHES`] batches, each as
/// many calls as fill [`BATCH`] (calibrated once, after a warm-up).
fn ns_per_op(mut f: impl FnMut()) -> f64 {
    let mut n = 1u64;
    loop {
        let t = Instant::now();
        for _ in 0..n {
            f();
        }
        if t.elapsed() >= BATCH / 2 {
            break;
        }
        n *= 2;
    }
    let mut v: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_secs_f64() * 1e9 / n as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[BATCHES / 2]
}

/// A SCRAM-SHA-256 exchange recorded once: the client's messages and the
/// server's, deterministic (fixed nonces), replayed by each row.
struct Exchange {
    creds: StoredCredentials<Sha256>,
    keys: ScramKeys<Sha256>,
    client_first: Vec<u8>,
    server_first: Vec<u8>,
    client_final: Vec<u8>,
    server_final: Vec<u8>,
}

const CLIENT_ENTROPY: [u8; 24] = [1; 24];
const SERVER_ENTROPY: [u8; 24] = [2; 24];

impl Exchange {
    fn new() -> Self {
        let creds =
            StoredCredentials::<Sha256>::generate("user", "pencil", &[7; 28], ITERATIONS).unwrap();
        let nonce = Nonce::from_random(&CLIENT_ENTROPY).unwrap();
        let c =
            Client::<Sha256>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap();
        let client_first = c.message().to_vec();
        let st = Server::<Sha256>::handle_client_first(&client_first)
            .unwrap()
            .respond(&creds, &SERVER_ENTROPY)
            .unwrap();
        let server_first = st.message().to_vec();
        let c = c.handle_server_first(&server_first).unwrap();
        let client_final = c.message().to_vec();
        let server_final = st.handle_client_final(&client_final).unwrap().message().to_vec();
        let keys = c.handle_server_final(&server_final).unwrap().keys().clone();
        Exchange { creds, keys, client_first, server_first, client_final, server_final }
    }

    /// The server's whole side with stored keys: parse client-first,
    /// respond, verify the proof and sign (no PBKDF2).
    fn server_verify(&self) {
        let st = Server::<Sha256>::handle_client_first(black_box(&self.client_first))
            .unwrap()
            .respond(&self.creds, &SERVER_ENTROPY)
            .unwrap();
        black_box(st.handle_client_final(black_box(&self.client_final)).unwrap());
    }

    /// A client login from exported keys (no PBKDF2).
    fn cached_client(&self) {
        let nonce = Nonce::from_random(&CLIENT_ENTROPY).unwrap();
        let c =
            Client::<Sha256>::start_with_keys("user", &self.keys, &nonce, &ClientConfig::default())
                .unwrap();
        let c = c.handle_server_first(black_box(&self.server_first)).unwrap();
        black_box(c.handle_server_final(black_box(&self.server_final)).unwrap());
    }

    /// A whole client conversation from the password (one PBKDF2).
    fn client_conversation(&self) {
        let nonce = Nonce::from_random(&CLIENT_ENTROPY).unwrap();
        let c =
            Client::<Sha256>::start("user", "pencil", &nonce, &ClientConfig::default()).unwrap();
        let c = c.handle_server_first(black_box(&self.server_first)).unwrap();
        black_box(c.handle_server_final(black_box(&self.server_final)).unwrap());
    }
}

/// Every row, measured once, in a fixed order.
fn measure() -> Vec<(&'static str, f64)> {
    let ex = Exchange::new();
    let wire = server_login::ServerLogin::new("alice");
    let k256 = HmacKey::<Sha256>::new(b"pencil");
    let k1 = HmacKey::<Sha1>::new(b"1c33006ec1ffd90f9cadcbcc0e118200");
    let salt = [7u8; 28];
    let blocks = vec![[0x5au8; 64]; 64];
    // The build under test must compute what the oracles compute: the
    // SHA-NI path, the portable loop and the RustCrypto `pbkdf2` crate agree
    // (the exchanges above already verified both proofs).
    let mut oracle = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"pencil", &salt, ITERATIONS, &mut oracle);
    assert_eq!(k256.pbkdf2(&salt, ITERATIONS), oracle, "SHA-256 fast path");
    assert_eq!(k256.pbkdf2_portable(&salt, ITERATIONS), oracle, "SHA-256 portable loop");
    let mut oracle1 = [0u8; 20];
    pbkdf2::pbkdf2_hmac::<sha1::Sha1>(
        b"1c33006ec1ffd90f9cadcbcc0e118200",
        &salt[..16],
        ITERATIONS,
        &mut oracle1,
    );
    assert_eq!(k1.pbkdf2(&salt[..16], ITERATIONS), oracle1, "SHA-1 fast path");
    assert_eq!(k1.pbkdf2_portable(&salt[..16], ITERATIONS), oracle1, "SHA-1 portable loop");
    vec![
        (
            "HmacKey<Sha256>::new",
            ns_per_op(|| {
                black_box(HmacKey::<Sha256>::new(black_box(b"pencil")));
            }),
        ),
        (
            "HmacKey<Sha256>::mac (60 bytes)",
            ns_per_op(|| {
                black_box(k256.mac(&[black_box(&[3u8; 60][..])]));
            }),
        ),
        ("server verify, stored keys", ns_per_op(|| ex.server_verify())),
        ("cached client login", ns_per_op(|| ex.cached_client())),
        ("ServerSession wire login", ns_per_op(|| wire.run())),
        ("SCRAM-SHA-256 conversation @4096", ns_per_op(|| ex.client_conversation())),
        (
            "PBKDF2-SHA-1 @4096",
            ns_per_op(|| {
                black_box(k1.pbkdf2(black_box(&salt[..16]), ITERATIONS));
            }),
        ),
        (
            "PBKDF2-SHA-256 portable loop @4096",
            ns_per_op(|| {
                black_box(k256.pbkdf2_portable(black_box(&salt), ITERATIONS));
            }),
        ),
        (
            "anchor: RustCrypto pbkdf2 SHA-256 @4096",
            ns_per_op(|| {
                let mut out = [0u8; 32];
                pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
                    b"pencil",
                    black_box(&salt),
                    ITERATIONS,
                    &mut out,
                );
                black_box(out);
            }),
        ),
        (
            "anchor: sha2 compress256, 64 blocks",
            ns_per_op(|| {
                let mut s = [0u32; 8];
                sha2::block_api::compress256(&mut s, black_box(&blocks));
                black_box(s);
            }),
        ),
    ]
}

/// One measuring run of `exe`, parsed.
fn run(exe: &std::path::Path) -> Vec<(String, f64)> {
    let out = Command::new(exe).output().unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    assert!(out.status.success(), "{} failed: {:?}", exe.display(), out.status);
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (name, ns) = l.split_once('\t')?;
            Some((name.to_owned(), ns.trim().parse().ok()?))
        })
        .collect()
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 }
}

/// `median (min-max)` in one unit chosen by the median.
fn cell(v: &mut [f64]) -> String {
    let m = median(v);
    let (scale, unit) = if m >= 1e6 {
        (1e6, "ms")
    } else if m >= 1e3 {
        (1e3, "us")
    } else {
        (1.0, "ns")
    };
    let (lo, hi) = (v[0] / scale, v[v.len() - 1] / scale);
    format!("{:.3} {unit} ({lo:.3}-{hi:.3})", m / scale)
}

fn compare(other: &str, rounds: usize, limit: f64) -> ExitCode {
    let me = std::env::current_exe().unwrap();
    let other = std::path::PathBuf::from(other);
    // base[row] and cand[row]: one value per round.
    let mut names: Vec<String> = Vec::new();
    let mut base: Vec<Vec<f64>> = Vec::new();
    let mut cand: Vec<Vec<f64>> = Vec::new();
    let mut add = |rows: Vec<(String, f64)>, is_cand: bool| {
        for (name, ns) in rows {
            let i = match names.iter().position(|n| *n == name) {
                Some(i) => i,
                None => {
                    names.push(name);
                    base.push(Vec::new());
                    cand.push(Vec::new());
                    names.len() - 1
                }
            };
            if is_cand { &mut cand[i] } else { &mut base[i] }.push(ns);
        }
    };
    for r in 0..rounds {
        // ABBA: alternate which build goes first, so a drift in machine
        // load does not favour either.
        if r % 2 == 0 {
            add(run(&me), false);
            add(run(&other), true);
        } else {
            add(run(&other), true);
            add(run(&me), false);
        }
        eprint!(".");
    }
    eprintln!();
    println!(
        "{rounds} interleaved rounds; median (min-max) per build; ratios other/this of the \
         medians and of the minimums"
    );
    println!(
        "{:<42} {:>30} {:>30} {:>7} {:>7}",
        "row", "this (default)", "other (native)", "median", "min"
    );
    // A row fails when both ratios are over the limit: a build that is
    // really slower is slower in its best round too, while a burst of load
    // from other processes moves a median of few rounds but rarely the
    // minimum. Anchor rows (third-party code) are shown, never gated.
    let mut worst = (0.0f64, "");
    for (i, name) in names.iter().enumerate() {
        let (b, c) = (median(&mut base[i]), median(&mut cand[i]));
        // `median` sorted both: the minimum is first.
        let (ratio, ratio_min) = (c / b, cand[i][0] / base[i][0]);
        let gated = !name.starts_with("anchor:");
        let over = gated && ratio > limit && ratio_min > limit;
        if gated && ratio.min(ratio_min) > worst.0 {
            worst = (ratio.min(ratio_min), name);
        }
        let flag = if over { "  <-- over the limit" } else { "" };
        println!(
            "{name:<42} {:>30} {:>30} {ratio:>6.2}x {ratio_min:>6.2}x{flag}",
            cell(&mut base[i]),
            cell(&mut cand[i])
        );
    }
    let (worst, row) = worst;
    if worst > limit {
        println!("FAIL: {row}: {worst:.2}x the default build (limit {limit}x)");
        ExitCode::FAILURE
    } else {
        println!("ok: every gated row within {limit}x (worst {worst:.2}x, {row})");
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--compare") {
        let other = args.get(i + 1).expect("--compare needs the other binary");
        let opt = |flag: &str| {
            args.iter().position(|a| a == flag).and_then(|j| args.get(j + 1)).map(|s| s.as_str())
        };
        let rounds = opt("--rounds").map_or(10, |s| s.parse().expect("--rounds N"));
        let limit = opt("--limit").map_or(1.2, |s| s.parse().expect("--limit X"));
        return compare(other, rounds, limit);
    }
    for (name, ns) in measure() {
        println!("{name}\t{ns:.2}");
    }
    ExitCode::SUCCESS
}
