//! A hostile SCRAM server's last word (RFC 5802 `server-final-message =
//! (server-error / verifier) ["," extensions]`), played by this test against
//! the real client state after RFC 7677's published exchange: only the exact
//! verifier, optionally followed by extensions the RFC allows, is success.
//! Every `e=` is a typed [`ServerErrorKind`].
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::Error;
use mongoauth::mech::scram::{
    Client, ClientConfig, ExpectServerFinal, Nonce, ServerErrorKind, Sha256, parse_server_final,
};
use proptest::prelude::*;

const SERVER_FIRST: &[u8] =
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
/// RFC 7677's server-final-message: the one valid verifier.
const VALID: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

/// The client after the server-first-message, awaiting the server-final.
fn awaiting_final() -> ExpectServerFinal<Sha256> {
    static STATE: std::sync::OnceLock<ExpectServerFinal<Sha256>> = std::sync::OnceLock::new();
    STATE
        .get_or_init(|| {
            let nonce = Nonce::from_text("rOprNGfwEbeRWgbNEkqO").unwrap();
            Client::<Sha256>::start("user", "pencil", &nonce, &ClientConfig::default())
                .unwrap()
                .handle_server_first(SERVER_FIRST)
                .unwrap()
        })
        .clone()
}

fn verdict(msg: &[u8]) -> Result<(), Error> {
    awaiting_final().handle_server_final(msg).map(drop)
}

fn with(tail: &str) -> Vec<u8> {
    [VALID, tail.as_bytes()].concat()
}

/// Independent of the parser: `msg` is the valid verifier followed by
/// nothing, or by `,` and extensions the RFC allows (a letter SCRAM does not
/// use, `=`, a value of UTF-8 without NUL or `,`).
fn is_allowed_success(msg: &[u8]) -> bool {
    let Some(rest) = msg.strip_prefix(VALID) else {
        return false;
    };
    if rest.is_empty() {
        return true;
    }
    let Some(exts) = rest.strip_prefix(b",") else {
        return false;
    };
    exts.split(|&b| b == b',').all(|field| match field {
        [letter, b'=', value @ ..] => {
            letter.is_ascii_alphabetic()
                && !b"aceimnprsv".contains(&letter.to_ascii_lowercase())
                && !value.is_empty()
                && !value.contains(&0)
                && std::str::from_utf8(value).is_ok()
        }
        _ => false,
    })
}

#[test]
fn the_valid_verifier_succeeds_with_or_without_extensions() {
    assert_eq!(verdict(VALID), Ok(()));
    assert_eq!(verdict(&with(",x=ext")), Ok(()));
    assert_eq!(verdict(&with(",x=a=b,Z=\u{e9}t\u{e9}")), Ok(()));
}

#[test]
fn hostile_server_finals_are_refused() {
    let sig = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    let other_sig = "AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    let malformed = |e: &Error| matches!(e, Error::Malformed { .. });
    let mandatory = |e: &Error| *e == Error::MandatoryExtension;
    let mismatch = |e: &Error| *e == Error::ServerSignatureMismatch;
    #[allow(clippy::type_complexity)]
    let cases: Vec<(Vec<u8>, &str, &dyn Fn(&Error) -> bool)> = vec![
        // The two: an error or a mandatory extension after success.
        (with(",e=other-error"), "e= after v=", &malformed),
        (with(",m=ext"), "mandatory extension after v=", &mandatory),
        (with(",M=ext"), "mandatory extension, upper case", &mandatory),
        (with(",x=1,m=ext"), "mandatory extension after another", &mandatory),
        (format!("m=ext,v={sig}").into_bytes(), "mandatory extension first", &mandatory),
        // Two verdicts.
        (with(&format!(",v={sig}")), "the verifier twice", &malformed),
        (with(&format!(",v={other_sig}")), "a second, different verifier", &malformed),
        (with(",V=AAAA"), "a second verifier, upper case", &malformed),
        (with(",e=invalid-proof"), "e= after v=", &malformed),
        (with(",E=x"), "E= after v=", &malformed),
        (format!("e=invalid-proof,v={sig}").into_bytes(), "v= after e=", &malformed),
        (b"e=a,e=b".to_vec(), "two errors", &malformed),
        // Attributes of other messages as extensions.
        (with(",r=abc"), "r= as an extension", &malformed),
        (with(",s=QSXCR+Q6sek8bf92"), "s= as an extension", &malformed),
        (with(",i=4096"), "i= as an extension", &malformed),
        (with(",p=AAAA"), "p= as an extension", &malformed),
        (with(",c=biws"), "c= as an extension", &malformed),
        (with(",n=user"), "n= as an extension", &malformed),
        (with(",a=admin"), "a= as an extension", &malformed),
        // Broken extensions.
        (with(","), "a trailing comma", &malformed),
        (with(",x="), "an empty extension value", &malformed),
        (with(",x"), "an extension without =", &malformed),
        (with(",xy=1"), "a two-letter attribute", &malformed),
        (with(",1=a"), "a digit attribute", &malformed),
        (with(",x=a\0b"), "NUL in an extension", &malformed),
        (with(",x=\u{0}"), "only NUL", &malformed),
        ([VALID, b",x=\xff"].concat(), "an extension that is not UTF-8", &malformed),
        ([VALID, b",x=\xc0\x80"].concat(), "an overlong NUL", &malformed),
        // Broken verifiers.
        (with("x"), "bytes glued to the verifier", &malformed),
        (format!("v={sig} ").into_bytes(), "a trailing space", &malformed),
        (format!(" v={sig}").into_bytes(), "a leading space", &malformed),
        (format!("V={sig}").into_bytes(), "V= for v=", &malformed),
        (b"v=".to_vec(), "an empty verifier", &malformed),
        (b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4".to_vec(), "unpadded", &malformed),
        (b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G5=".to_vec(), "non-canonical", &malformed),
        (format!("v={other_sig}").into_bytes(), "a wrong signature", &mismatch),
        (b"v=AAAA".to_vec(), "a short signature", &mismatch),
        (b"".to_vec(), "empty", &malformed),
        (b",".to_vec(), "a comma", &malformed),
        (b"x=1".to_vec(), "only an extension", &malformed),
        // Broken errors.
        (b"e=".to_vec(), "an empty error", &malformed),
        (b"e=a\0b".to_vec(), "NUL in an error", &malformed),
        (b"e=\xff".to_vec(), "an error that is not UTF-8", &malformed),
        (vec![b'v'; 2000], "too long", &|e: &Error| matches!(e, Error::Capacity { .. })),
    ];
    for (msg, what, expected) in &cases {
        let got = verdict(msg);
        assert!(!is_allowed_success(msg), "{what}: the oracle calls it allowed");
        match got {
            Ok(()) => panic!("{what}: {:?} accepted as success", String::from_utf8_lossy(msg)),
            Err(e) => {
                assert!(expected(&e), "{what}: {:?} gave {e:?}", String::from_utf8_lossy(msg))
            }
        }
    }
}

#[test]
fn every_server_error_value_is_typed() {
    let values = [
        ("invalid-encoding", ServerErrorKind::InvalidEncoding),
        ("extensions-not-supported", ServerErrorKind::ExtensionsNotSupported),
        ("invalid-proof", ServerErrorKind::InvalidProof),
        ("channel-bindings-dont-match", ServerErrorKind::ChannelBindingsDontMatch),
        ("server-does-support-channel-binding", ServerErrorKind::ServerDoesSupportChannelBinding),
        ("channel-binding-not-supported", ServerErrorKind::ChannelBindingNotSupported),
        ("unsupported-channel-binding-type", ServerErrorKind::UnsupportedChannelBindingType),
        ("unknown-user", ServerErrorKind::UnknownUser),
        ("invalid-username-encoding", ServerErrorKind::InvalidUsernameEncoding),
        ("no-resources", ServerErrorKind::NoResources),
        ("other-error", ServerErrorKind::OtherError),
        ("Invalid-Proof", ServerErrorKind::Unrecognized("Invalid-Proof")),
        ("quota=exceeded", ServerErrorKind::Unrecognized("quota=exceeded")),
    ];
    for (value, kind) in values {
        for msg in [format!("e={value}"), format!("e={value},x=ext")] {
            match verdict(msg.as_bytes()) {
                Err(Error::ServerError(text)) => {
                    assert_eq!(text.as_str(), value);
                    assert_eq!(text.kind(), kind, "{msg}");
                    assert_eq!(text.kind().as_str(), value);
                }
                other => panic!("{msg}: {other:?}"),
            }
        }
        // The parser alone says the same.
        let msg = format!("e={value}");
        let parsed = parse_server_final(msg.as_bytes());
        assert!(matches!(parsed, Err(Error::ServerError(t)) if t.kind() == kind));
    }
}

/// Messages a hostile server might try: the valid verifier with a suffix,
/// with an extension of any letter, with one byte changed, or any bytes.
fn hostile() -> impl Strategy<Value = Vec<u8>> {
    let letter = prop::sample::select(b"aceimnprsvxyzAEMVXZ1,=".to_vec());
    let value = prop_oneof![
        Just(b"6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".to_vec()),
        Just(b"other-error".to_vec()),
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..8),
        "[a-z=]{1,6}".prop_map(String::into_bytes),
    ];
    let ext = (letter, value).prop_map(|(l, v)| [&[b',', l, b'='][..], &v].concat());
    prop_oneof![
        prop::collection::vec(ext, 1..4).prop_map(|exts| [VALID.to_vec(), exts.concat()].concat()),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(|t| [VALID, &t].concat()),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(|p| [&p, VALID].concat()),
        (0..VALID.len(), any::<u8>()).prop_map(|(i, b)| {
            let mut m = VALID.to_vec();
            m[i] = b;
            m
        }),
        (0..=VALID.len(), any::<u8>()).prop_map(|(i, b)| {
            let mut m = VALID.to_vec();
            m.insert(i, b);
            m
        }),
        (0..VALID.len()).prop_map(|i| {
            let mut m = VALID.to_vec();
            m.remove(i);
            m
        }),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// Success only for the exact valid verifier, alone or followed by
    /// extensions the RFC allows, as an independent oracle reads them.
    #[test]
    fn only_the_valid_verifier_is_success(msg in hostile()) {
        let ok = verdict(&msg).is_ok();
        prop_assert_eq!(ok, is_allowed_success(&msg), "{:?}", String::from_utf8_lossy(&msg));
    }
}
