//! SASLprep (RFC 4013) against the spec vectors, an independent Python
//! reference (stdlib `stringprep` + `unicodedata.ucd_3_2_0`) over every Unicode
//! scalar value and random strings, property tests, and a staleness check of
//! the generated tables.
//!
//! `python3` is required: without it these tests fail, they never skip.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use mongoauth::saslprep::{
    BidiRule, MAX_COMBINING_MARKS, SaslprepError, saslprep, saslprep_heapless,
};
use proptest::prelude::*;

/// Large enough for any output of the inputs used here: one input character
/// decomposes to at most 18 characters of at most 4 bytes.
fn out_buf(input: &str) -> Vec<u8> {
    vec![0u8; input.chars().count() * 18 * 4 + 16]
}

fn prep(input: &str) -> Result<String, SaslprepError> {
    let mut buf = out_buf(input);
    saslprep(input, &mut buf).map(str::to_owned)
}

fn python3() -> Command {
    let mut cmd = Command::new("python3");
    cmd.current_dir(mongoauth_tests::root());
    cmd
}

fn spawn_failed(e: std::io::Error) -> ! {
    panic!(
        "cannot run python3 ({e}): the SASLprep tests need CPython 3 (standard library only) \
         as their reference; install it, these tests never skip"
    )
}

// ---------------------------------------------------------------------------
// Spec vectors

#[test]
fn spec_vectors() {
    let doc = mongoauth_tests::spec_json("saslprep-vectors.json");
    let cases = doc["cases"].as_array().expect("cases array");
    let (mut ran, mut passed) = (0, 0);
    for case in cases {
        let id = case["id"].as_str().expect("id");
        let input = case["input"].as_str().expect("input");
        let profile = case["profile"].as_str().expect("profile");
        let got = prep(input);
        ran += 1;
        match profile {
            // Passwords are stored strings: unassigned code points are rejected,
            // so a "query"-profile success must be an `Unassigned` error here.
            "query" => assert!(
                matches!(got, Err(SaslprepError::Unassigned { .. })),
                "{id}: query-only case must be rejected as unassigned, got {got:?}"
            ),
            "both" | "stored" => match case["expected"].as_str() {
                Some(expected) => {
                    // derived-zwsp is flagged ambiguous: U+200B is in both B.1
                    // and C.1.2. We apply C.1.2 (-> U+0020), as the vector
                    // expects; see the `saslprep` module docs.
                    assert_eq!(got.as_deref(), Ok(expected), "{id}");
                    if let Some(hex) = case["expected_utf8_hex"].as_str() {
                        let bytes: String = expected.bytes().map(|b| format!("{b:02x}")).collect();
                        assert_eq!(bytes, hex.to_lowercase(), "{id}: vector self-check");
                    }
                }
                None => assert!(got.is_err(), "{id}: expected an error, got {got:?}"),
            },
            other => panic!("{id}: unknown profile {other}"),
        }
        passed += 1;
    }
    println!("saslprep spec vectors: {ran} ran, {passed} passed");
    assert!(ran >= 38, "expected the full vector file, got {ran} cases");
}

#[test]
fn error_kinds_and_indexes() {
    use SaslprepError::*;
    assert_eq!(prep("a\u{7}"), Err(Prohibited { index: 1 }));
    assert_eq!(prep("\u{AD}\u{AD}\u{E000}"), Err(Prohibited { index: 2 }));
    assert_eq!(prep("ab\u{221}"), Err(Unassigned { index: 2 }));
    // Prohibited (step 3) is reported before bidi (step 4), even later in the string.
    assert_eq!(prep("\u{5D0}a\u{7F}"), Err(Prohibited { index: 2 }));
    // U+0340 is in C.8 but NFKC turns it into U+0300, which is allowed.
    assert_eq!(prep("a\u{340}").as_deref(), Ok("\u{E0}"));
    let bidi = |rule, index| Err(Bidi { rule, index });
    assert_eq!(prep("\u{627}1"), bidi(BidiRule::RandAlCatNotAtEnds, 1));
    assert_eq!(prep("1\u{627}"), bidi(BidiRule::RandAlCatNotAtEnds, 1));
    assert_eq!(prep("\u{5D0}a\u{5D0}"), bidi(BidiRule::RandAlCatWithLCat, 1));
    assert_eq!(prep("a\u{5D0}"), bidi(BidiRule::RandAlCatWithLCat, 1));
    // An Arabic letter composed with a following mark still ends the string.
    assert_eq!(prep("\u{627}\u{653}").as_deref(), Ok("\u{622}"));
    assert_eq!(prep("\u{AD}").as_deref(), Ok(""));
    assert_eq!(prep("").as_deref(), Ok(""));
    // Hangul: jamo compose, syllables stay, LV + T composes.
    assert_eq!(prep("\u{1100}\u{1161}\u{11A8}").as_deref(), Ok("\u{AC01}"));
    assert_eq!(prep("\u{AC00}\u{11A8}").as_deref(), Ok("\u{AC01}"));
    // Canonical reordering: dot below (220) before acute (230), then composed.
    assert_eq!(prep("a\u{301}\u{323}").as_deref(), Ok("\u{1EA1}\u{301}"));
    let marks = "\u{301}".repeat(MAX_COMBINING_MARKS);
    assert!(prep(&format!("a{marks}")).is_ok());
    assert_eq!(
        prep(&format!("a{marks}\u{301}")),
        Err(TooManyCombiningMarks { index: MAX_COMBINING_MARKS + 1 })
    );
    // Errors never show the character.
    let shown = format!("{:?} {}", Prohibited { index: 3 }, Prohibited { index: 3 });
    assert!(!shown.contains('\u{7}'));
}

#[test]
fn buffer_too_small_reports_exact_size_and_wipes() {
    let input = "\u{FDFA}";
    let full = prep(input).expect("U+FDFA prepares");
    for n in 0..full.len() {
        let mut buf = vec![0xAAu8; n];
        assert_eq!(
            saslprep(input, &mut buf),
            Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall { required: full.len() }))
        );
        assert!(buf.iter().all(|&b| b == 0 || b == 0xAA), "partial output wiped");
    }
    let mut buf = vec![0u8; full.len()];
    assert_eq!(saslprep(input, &mut buf), Ok(full.as_str()));
    // Printable ASCII fast path.
    let mut small = [0u8; 3];
    assert_eq!(
        saslprep("pencil", &mut small),
        Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall { required: 6 }))
    );
    assert_eq!(small, [0; 3]);

    let mut s = heapless::String::<8>::new();
    assert_eq!(saslprep_heapless("I\u{AD}X", &mut s), Ok(()));
    assert_eq!(s.as_str(), "IX");
    assert_eq!(
        saslprep_heapless("\u{FDFA}", &mut s),
        Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall { required: full.len() }))
    );
    assert!(s.is_empty());
}

// ---------------------------------------------------------------------------
// Staleness of the generated tables

#[test]
fn generated_tables_are_fresh() {
    let output = python3()
        .args(["tools/gen_saslprep_tables.py", "--stdout"])
        .output()
        .unwrap_or_else(|e| spawn_failed(e));
    assert!(
        output.status.success(),
        "gen_saslprep_tables.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let committed = std::fs::read(mongoauth_tests::root().join("core/src/saslprep/tables.rs"))
        .expect("read core/src/saslprep/tables.rs");
    assert!(
        output.stdout == committed,
        "core/src/saslprep/tables.rs is stale: run `python3 tools/gen_saslprep_tables.py`"
    );
}

// ---------------------------------------------------------------------------
// Differential test against the Python reference

/// Ask the oracle about every input, in one process, streaming JSON lines.
fn oracle(inputs: &[String]) -> Vec<serde_json::Value> {
    let mut child = python3()
        .args(["tests/python/saslprep_oracle.py", "--max-marks"])
        .arg(MAX_COMBINING_MARKS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| spawn_failed(e));
    let mut stdin = child.stdin.take().expect("oracle stdin");
    let payload: Vec<u8> = inputs
        .iter()
        .flat_map(|s| {
            let mut line = serde_json::to_vec(s).expect("json");
            line.push(b'\n');
            line
        })
        .collect();
    let writer = std::thread::spawn(move || {
        stdin.write_all(&payload).expect("write to oracle");
    });
    let stdout = BufReader::new(child.stdout.take().expect("oracle stdout"));
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(&l.expect("oracle output")).expect("oracle JSON"))
        .collect();
    writer.join().expect("oracle writer");
    let status = child.wait().expect("oracle exit");
    assert!(status.success(), "saslprep_oracle.py failed: {status}");
    assert_eq!(answers.len(), inputs.len(), "oracle answered every input");
    answers
}

/// Compare one answer; `Err` describes a mismatch (never printing secrets is
/// not a concern for test data).
fn compare(input: &str, expected: &serde_json::Value) -> Result<(), String> {
    let got = prep(input);
    let kind = expected[0].as_str().unwrap_or("?");
    let ok = match (kind, &got) {
        ("ok", Ok(out)) => expected[1].as_str() == Some(out.as_str()),
        ("prohibited", Err(SaslprepError::Prohibited { index }))
        | ("unassigned", Err(SaslprepError::Unassigned { index }))
        | ("too_many_marks", Err(SaslprepError::TooManyCombiningMarks { index })) => {
            expected[1].as_u64() == Some(*index as u64)
        }
        ("bidi", Err(SaslprepError::Bidi { rule, .. })) => {
            let want = match rule {
                BidiRule::RandAlCatWithLCat => "randal_with_l",
                BidiRule::RandAlCatNotAtEnds => "randal_not_at_ends",
                _ => "?",
            };
            expected[1].as_str() == Some(want)
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        let cps: Vec<String> = input.chars().map(|c| format!("U+{:04X}", c as u32)).collect();
        Err(format!("[{}]: oracle {expected}, rust {got:?}", cps.join(" ")))
    }
}

fn run_differential(name: &str, inputs: &[String]) {
    let answers = oracle(inputs);
    let mut failures = Vec::new();
    let mut kinds = std::collections::BTreeMap::<&str, usize>::new();
    for (input, expected) in inputs.iter().zip(&answers) {
        *kinds.entry(expected[0].as_str().unwrap_or("?")).or_default() += 1;
        if let Err(msg) = compare(input, expected) {
            failures.push(msg);
        }
    }
    let passed = inputs.len() - failures.len();
    println!(
        "saslprep differential ({name}): {} ran, {passed} passed; oracle kinds {kinds:?}",
        inputs.len()
    );
    for f in failures.iter().take(40) {
        println!("  MISMATCH {f}");
    }
    assert!(failures.is_empty(), "{name}: {} mismatches (first shown above)", failures.len());
}

#[test]
fn differential_every_scalar_value() {
    let inputs: Vec<String> =
        (0..=0x10FFFFu32).filter_map(char::from_u32).map(String::from).collect();
    assert_eq!(inputs.len(), 0x110000 - 0x800);
    run_differential("every scalar value alone", &inputs);
}

/// xorshift64*: deterministic, dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % u64::from(n)) as u32
    }
    fn pick(&mut self, ranges: &[(u32, u32)]) -> char {
        let (lo, hi) = ranges[self.below(ranges.len() as u32) as usize];
        loop {
            if let Some(c) = char::from_u32(lo + self.below(hi - lo + 1)) {
                return c;
            }
        }
    }
}

/// Pools of characters that exercise each stage.
const POOLS: &[&[(u32, u32)]] = &[
    &[(0x61, 0x7A), (0x41, 0x5A), (0x30, 0x39), (0x20, 0x2F)], // ASCII
    &[(0x300, 0x36F), (0x591, 0x5C4), (0x64B, 0x655), (0x93C, 0x94D), (0xE31, 0xE4E)],
    &[(0x1D165, 0x1D1AD), (0x20D0, 0x20EA), (0x302A, 0x302F), (0x3099, 0x309A), (0x340, 0x345)],
    &[(0x1100, 0x1112), (0x1161, 0x1175), (0x11A8, 0x11C2), (0xAC00, 0xD7A3)], // Hangul
    &[(0x5D0, 0x5EA), (0x627, 0x64A), (0xFB1D, 0xFB4F), (0xFE70, 0xFEFC), (0x660, 0x669)],
    &[(0xC0, 0x17F), (0x1E00, 0x1FFF), (0x390, 0x3CE), (0x400, 0x4FF), (0xB47, 0xB57)],
    &[(0xA0, 0xBF), (0x2000, 0x200F), (0x3000, 0x3000), (0xFE00, 0xFE0F), (0x1806, 0x180E)],
    &[(0xFB00, 0xFB06), (0xFDFA, 0xFDFB), (0x2160, 0x217F), (0xFF01, 0xFF9F), (0x3300, 0x33FF)],
    &[(0x1D400, 0x1D7FF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1D), (0x2460, 0x24FF), (0x1F00, 0x1FFF)],
    &[(0x0, 0x1F), (0x7F, 0x9F), (0xE000, 0xE00F), (0xFFF0, 0xFFFF), (0xE0000, 0xE007F)],
    &[(0x221, 0x221), (0x234, 0x24F), (0x10000, 0x10FFFF), (0x0, 0xFFFF)], // anything
];

fn random_string(rng: &mut Rng) -> String {
    let len = 1 + rng.below(12);
    // Most strings draw from one or two pools, so that they mean something.
    let a = rng.below(POOLS.len() as u32) as usize;
    let b = rng.below(POOLS.len() as u32) as usize;
    (0..len)
        .map(|_| {
            let pool = match rng.below(10) {
                0..=5 => a,
                6..=8 => b,
                _ => rng.below(POOLS.len() as u32) as usize,
            };
            rng.pick(POOLS[pool])
        })
        .collect()
}

#[test]
fn differential_random_strings() {
    let seed: u64 = std::env::var("SASLPREP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5A51_9E9F_0000_4013);
    let count: usize =
        std::env::var("SASLPREP_RANDOM_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(200_000);
    println!("saslprep random strings: seed {seed} (SASLPREP_SEED), {count} cases");
    let mut rng = Rng(seed | 1);
    let mut inputs: Vec<String> = (0..count).map(|_| random_string(&mut rng)).collect();
    // Long runs of combining marks around the buffer limit.
    for n in [MAX_COMBINING_MARKS - 1, MAX_COMBINING_MARKS, MAX_COMBINING_MARKS + 1, 60] {
        for pool in [&[(0x300, 0x314), (0x323, 0x328)][..], POOLS[1], POOLS[2]] {
            let marks: String = (0..n).map(|_| rng.pick(pool)).collect();
            inputs.push(format!("a{marks}"));
            inputs.push(marks.clone());
            inputs.push(format!("\u{AC00}{marks}\u{7}"));
            inputs.push(format!("\u{7}{marks}"));
        }
    }
    run_differential("random strings", &inputs);
}

// ---------------------------------------------------------------------------
// Properties

fn interesting_char() -> impl Strategy<Value = char> {
    (0..POOLS.len(), any::<u64>()).prop_map(|(pool, seed)| Rng(seed | 1).pick(POOLS[pool]))
}

fn check_buffer_sizes(input: &str, cut: usize) -> Result<(), TestCaseError> {
    let mut big = out_buf(input);
    let full = saslprep(input, &mut big).map(str::to_owned);
    match &full {
        Ok(out) => {
            let n = cut % (out.len() + 1);
            let mut buf = vec![0u8; n];
            let got = saslprep(input, &mut buf);
            if n < out.len() {
                prop_assert_eq!(
                    got,
                    Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall {
                        required: out.len()
                    }))
                );
                prop_assert!(buf.iter().all(|&b| b == 0));
            } else {
                prop_assert_eq!(got, Ok(out.as_str()));
            }
            let mut hs = heapless::String::<64>::new();
            let h = saslprep_heapless(input, &mut hs);
            if out.len() <= 64 {
                prop_assert_eq!((h, hs.as_str()), (Ok(()), out.as_str()));
            } else {
                prop_assert_eq!(
                    h,
                    Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall {
                        required: out.len()
                    }))
                );
            }
        }
        Err(e) => {
            // Content errors do not depend on the buffer.
            let buffer_error = matches!(e, SaslprepError::BufferTooSmall(_));
            prop_assert!(!buffer_error, "a big buffer gave BufferTooSmall");
            let mut buf = vec![0u8; cut % 8];
            prop_assert_eq!(saslprep(input, &mut buf), Err(*e));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn arbitrary_strings_never_panic_nor_truncate(input in any::<String>(), cut in any::<usize>()) {
        check_buffer_sizes(&input, cut)?;
    }

    #[test]
    fn interesting_strings_never_panic_nor_truncate(
        chars in proptest::collection::vec(interesting_char(), 0..40),
        cut in any::<usize>(),
    ) {
        let input: String = chars.into_iter().collect();
        check_buffer_sizes(&input, cut)?;
    }
}
