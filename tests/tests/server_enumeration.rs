//! No user enumeration through timing (issue #12 item 5c): a dudect-style
//! test, in process. `ServerSession` answers saslStart for a known user and
//! for an unknown one (names of the same length), and then a saslContinue
//! with a wrong proof; the two classes are interleaved in random order,
//! timed one call at a time, and compared with Welch's t-test over at least
//! 10^5 samples per class, uncropped and cropped at several percentiles as
//! dudect does (large outliers come from preemption on a shared machine).
//! The test fails if any |t| reaches 4.5 (dudect's "definitely not constant
//! time" threshold).
//!
//! This is the one statistical timing test the house rules allow. It is
//! made robust by a warm-up, by interleaving the classes (slow drift hits
//! both equally), and by cropping; the crate under test is built at the
//! workspace's dev-profile optimisation (`opt-level` 1 for `mongoauth`,
//! 2 for its dependencies). `MONGOAUTH_DUDECT_SAMPLES` raises the sample
//! count per class (never below 10^5).
#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::time::Instant;

use mongoauth::server::{ServerSession, StaticUsers};

const MIN_SAMPLES: usize = 100_000;
const WARMUP: usize = 10_000;
const T_THRESHOLD: f64 = 4.5;

type Users = StaticUsers<4>;

fn users() -> Users {
    StaticUsers::new()
        .with_scram_user("admin", "carol", "x", &[3; 28])
        .unwrap()
        .with_scram_user("admin", "alice", "pencil", &[1; 28])
        .unwrap()
        .with_scram_user("test", "bob", "s3cret", &[2; 28])
        .unwrap()
}

fn bin(bytes: &[u8]) -> bson::Bson {
    bson::Bson::Binary(bson::Binary {
        subtype: bson::spec::BinarySubtype::Generic,
        bytes: bytes.to_vec(),
    })
}

fn sasl_start(user: &str) -> Vec<u8> {
    let payload = format!("n,,n={user},r=fyko+d2lbbFgONRv9qkxdawL");
    bson::to_vec(&bson::doc! {
        "saslStart": 1,
        "mechanism": "SCRAM-SHA-256",
        "payload": bin(payload.as_bytes()),
        "options": { "skipEmptyExchange": true },
        "$db": "admin",
    })
    .unwrap()
}

/// A client-final-message with the right nonce and a wrong proof.
fn sasl_continue(server_first: &[u8]) -> Vec<u8> {
    let sf = std::str::from_utf8(server_first).unwrap();
    let nonce = sf.split(',').next().unwrap().strip_prefix("r=").unwrap();
    let payload = format!("c=biws,r={nonce},p={}", "A".repeat(43) + "=");
    bson::to_vec(&bson::doc! {
        "saslContinue": 1,
        "conversationId": 1,
        "payload": bin(payload.as_bytes()),
        "$db": "admin",
    })
    .unwrap()
}

fn payload_of(reply: &[u8]) -> Vec<u8> {
    let doc = bson::Document::from_reader(&mut &reply[..]).unwrap();
    match doc.get("payload") {
        Some(bson::Bson::Binary(b)) => b.bytes.clone(),
        other => panic!("no payload in {doc:?} ({other:?})"),
    }
}

fn code_of(reply: &[u8]) -> Option<i32> {
    let doc = bson::Document::from_reader(&mut &reply[..]).unwrap();
    doc.get_i32("code").ok()
}

/// Welford's running mean and variance.
#[derive(Default, Clone, Copy)]
struct Stat {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Stat {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }
    fn var(&self) -> f64 {
        if self.n > 1.0 { self.m2 / (self.n - 1.0) } else { 0.0 }
    }
}

fn welch(a: &Stat, b: &Stat) -> f64 {
    let se = (a.var() / a.n + b.var() / b.n).sqrt();
    if se == 0.0 { 0.0 } else { (a.mean - b.mean) / se }
}

/// dudect's analysis: Welch's t over all samples, and over the samples below
/// each of several percentiles of the pooled distribution (cropping the
/// preemption outliers). Returns `(label, t, samples per class, means)`.
fn analyse(samples: &[(u8, u64)]) -> Vec<(String, f64, [usize; 2], [f64; 2])> {
    let mut sorted: Vec<u64> = samples.iter().map(|s| s.1).collect();
    sorted.sort_unstable();
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    let mut crops: Vec<(String, u64)> = vec![("all".into(), u64::MAX)];
    for p in [0.99, 0.95, 0.90, 0.75, 0.50] {
        crops.push((format!("< p{}", (p * 100.0) as u32), pct(p)));
    }
    crops
        .into_iter()
        .map(|(label, limit)| {
            let mut st = [Stat::default(); 2];
            for &(class, t) in samples {
                if t < limit {
                    st[usize::from(class)].push(t as f64);
                }
            }
            let n = [st[0].n as usize, st[1].n as usize];
            (label, welch(&st[0], &st[1]), n, [st[0].mean, st[1].mean])
        })
        .collect()
}

/// `out = inputs[class]`, reading both inputs whole without a branch.
fn select_into(out: &mut [u8], inputs: &[Vec<u8>], class: u8) {
    let mask = 0u8.wrapping_sub(class);
    for ((o, a), b) in out.iter_mut().zip(&inputs[0]).zip(&inputs[1]) {
        *o = a ^ ((a ^ b) & mask);
    }
    black_box(out);
}

/// xorshift64*: the class order, independent of anything under test.
struct Rng(u64);
impl Rng {
    fn bit(&mut self) -> u8 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 63) as u8
    }
}

#[test]
fn known_and_unknown_users_take_the_same_time() {
    let samples = std::env::var("MONGOAUTH_DUDECT_SAMPLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(MIN_SAMPLES)
        .max(MIN_SAMPLES);
    let users = users();
    let mut session = ServerSession::new(&users, [0x5a; 32]);
    // Class 0: a known user (not the first entry); class 1: an unknown name
    // of the same length.
    let starts = [sasl_start("alice"), sasl_start("zelda")];
    let entropy = [0x11; 24];
    let mut out = vec![0u8; 4096];

    // Both server-first-messages are well-formed and carry the same nonce,
    // so one client-final per class fails at the proof (code 18).
    let mut continues = Vec::new();
    for start in &starts {
        let n = session.handle(start, &entropy, &mut out).unwrap();
        assert_eq!(code_of(&out[..n]), None, "saslStart must succeed for both classes");
        let c = sasl_continue(&payload_of(&out[..n]));
        let n = session.handle(&c, &entropy, &mut out).unwrap();
        assert_eq!(code_of(&out[..n]), Some(18));
        continues.push(c);
    }

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut rng = Rng(seed);
    let total = 2 * samples + WARMUP;
    let mut start_times: Vec<(u8, u64)> = Vec::with_capacity(total);
    let mut continue_times: Vec<(u8, u64)> = Vec::with_capacity(total);
    let mut counts = [0usize; 2];
    assert_eq!(starts[0].len(), starts[1].len());
    assert_eq!(continues[0].len(), continues[1].len());
    let mut start_in = starts[0].clone();
    let mut continue_in = continues[0].clone();
    let mut i = 0;
    while counts[0] < samples || counts[1] < samples {
        let mut class = rng.bit();
        if counts[usize::from(class)] >= samples && i >= WARMUP {
            class ^= 1;
        }
        let c = usize::from(class);
        // Both classes are measured on the same buffers (same addresses, so
        // no class-dependent alignment or 4K-aliasing effect), filled
        // outside the timed region from both classes' inputs at once, so
        // the harness touches the same memory whatever the class.
        select_into(&mut start_in, &starts, class);
        select_into(&mut continue_in, &continues, class);
        let t0 = Instant::now();
        let n = session.handle(black_box(&start_in), &entropy, &mut out);
        let t1 = Instant::now();
        black_box(n.unwrap());
        let t2 = Instant::now();
        let m = session.handle(black_box(&continue_in), &entropy, &mut out);
        let t3 = Instant::now();
        black_box(m.unwrap());
        if i >= WARMUP {
            start_times.push((class, (t1 - t0).as_nanos() as u64));
            continue_times.push((class, (t3 - t2).as_nanos() as u64));
            counts[c] += 1;
        }
        i += 1;
    }

    let mut worst: f64 = 0.0;
    for (what, times) in
        [("saslStart", &start_times), ("saslContinue (wrong proof)", &continue_times)]
    {
        for (label, t, n, means) in analyse(times) {
            println!(
                "{what:28} {label:6} t = {t:+7.3}  n = {:>6}/{:<6}  mean known {:8.1} ns, unknown {:8.1} ns",
                n[0], n[1], means[0], means[1]
            );
            worst = worst.max(t.abs());
        }
    }
    println!("max |t| = {worst:.3} over {samples} samples per class (threshold {T_THRESHOLD})");
    assert!(
        worst < T_THRESHOLD,
        "known and unknown users are distinguishable by time: max |t| = {worst:.3}"
    );
}
