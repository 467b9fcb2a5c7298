//! Fuzzing entry points, one per target in `fuzz/fuzz_targets/`: each takes
//! the fuzzer's bytes, drives a parser or a state machine, and checks the
//! invariants the parser promises (round trips, exact capacity errors, no
//! login without proof).
//!
//! Nothing here panics: a violated invariant is returned as `Err` with a
//! sentence naming it, and the fuzz target (or the corpus replay in
//! `cargo test`) panics on it. The functions allocate nothing and are
//! deterministic: fixed entropy, fixed credentials. Their scratch buffers are
//! sized from the input (allocated: this is test code, not the core), so no
//! input, however long, meets a buffer of the harness's own that is too small
//! and reports a false violation.
//!
//! This crate uses only mongoauth's public API (it was the library's
//! `fuzzing` module, behind a feature, before 0.2): what it checks is what a
//! user of the crate can see. Not published; it exists for `fuzz/` and
//! `tests/tests/fuzz_corpus.rs`.

#![cfg_attr(not(test), no_std)]

extern crate alloc;

use alloc::vec;

use mongoauth::client::{
    AUTH_ENTROPY_LEN, AuthConfig, Authenticator, Credential as AuthCredential,
};
use mongoauth::codec::bson::{BsonError, DocWriter, Document, Value};
use mongoauth::codec::wire::{
    self, AuthenticateReply, Command, CommandError, Hello, HelloReply, SaslContinue, SaslReply,
    SaslStart, WriteBody,
};
use mongoauth::crypto::SecretKey;
use mongoauth::mech::gssapi::{
    self, ClientLayerReply, GssAcceptor, GssConfig, GssError, GssIdentity, GssInitiator, GssStep,
    GssTarget, SecurityLayer,
};
use mongoauth::mech::scram::{
    AnyStoredCredentials, ClientConfig, Error, MAX_MESSAGE_LEN, MIN_ITERATIONS, Nonce,
    ScramMessage, Server, Sha256, StoredCredentials, parse_client_final, parse_client_first,
    parse_server_final, parse_server_first, unescape_username,
};
use mongoauth::mech::{Mechanism, cr};
use mongoauth::reader::Reader;
use mongoauth::saslprep::{SaslprepError, saslprep as prep, saslprep_heapless};
use mongoauth::server::{SESSION_ENTROPY_LEN, ServerSession, UserStore};
use mongoauth::uri::{
    ConnectionString, Credential as UriCredential, HostSpec, MechanismProperties, UriBuilder,
    UriErrorKind, Warnings,
};

/// What every entry point returns: `Err` names the invariant that broke.
pub type Outcome = Result<(), &'static str>;

fn ensure(ok: bool, invariant: &'static str) -> Outcome {
    if ok { Ok(()) } else { Err(invariant) }
}

/// Split `data` into BSON-sized chunks: each chunk is as long as its first
/// four bytes (little-endian) say, clamped to what is left, so a seed made of
/// concatenated BSON documents splits into exactly those documents.
pub fn chunks(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = data;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let declared = rest
            .get(..4)
            .and_then(|p| <[u8; 4]>::try_from(p).ok())
            .map(u32::from_le_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .filter(|&n| n > 0 && n <= rest.len())
            .unwrap_or(rest.len());
        let (chunk, tail) = rest.split_at(declared);
        rest = tail;
        Some(chunk)
    })
}

// ---------------------------------------------------------------------------
// SCRAM messages
// ---------------------------------------------------------------------------

/// Canonical base64, decoded independently of the SCRAM module.
fn decode_b64<'o>(b64: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    use base64ct::{Base64, Encoding};
    Base64::decode(core::str::from_utf8(b64).ok()?, out).ok()
}

/// A SCRAM parse error must point inside the message it describes.
fn scram_error_in_bounds(e: &Error, len: usize) -> Outcome {
    match e {
        Error::Malformed { offset, .. } => {
            ensure(*offset <= len, "SCRAM error offset points past the end of the message")
        }
        _ => Ok(()),
    }
}

fn is_message(e: &Error, expected: ScramMessage) -> bool {
    !matches!(e, Error::Malformed { message, .. } if *message != expected)
}

/// The server's view of a client-first-message: parse it; if it parses, the
/// username unescapes and escapes back to the same bytes, the server state
/// machine accepts it exactly when the username fits, and the
/// server-first-message the server answers with parses back to the nonce
/// and salt it was built from.
pub fn scram_client_first(data: &[u8]) -> Outcome {
    let cf = match parse_client_first(data) {
        Ok(cf) => cf,
        Err(e) => {
            ensure(is_message(&e, ScramMessage::ClientFirst), "wrong message named in error")?;
            return scram_error_in_bounds(&e, data.len());
        }
    };
    ensure(data.ends_with(cf.bare), "client-first bare is not a suffix of the message")?;
    let mut name = [0u8; MAX_MESSAGE_LEN];
    let username = unescape_username(cf.username_escaped, &mut name)
        .ok_or("a parsed client-first has a username that does not unescape")?;
    let mut again = heapless::Vec::<u8, MAX_MESSAGE_LEN>::new();
    for &b in username.as_bytes() {
        let piece: &[u8] = match b {
            b',' => b"=2C",
            b'=' => b"=3D",
            _ => core::slice::from_ref(&b),
        };
        again.extend_from_slice(piece).map_err(|_| "re-escaping a parsed username overflowed")?;
    }
    ensure(
        again.as_slice() == cf.username_escaped,
        "username unescaped then escaped again differs from the message",
    )?;

    let received = match Server::<Sha256>::handle_client_first(data) {
        Ok(r) => r,
        Err(Error::Capacity { what: "username", .. }) => {
            return ensure(
                username.len() > mongoauth::mech::scram::MAX_USERNAME_LEN,
                "server refused a username that fits",
            );
        }
        Err(_) => return Err("server refused a client-first that parses"),
    };
    ensure(received.username() == username, "server read another username than the parser")?;
    let creds = StoredCredentials::<Sha256>::from_parts(
        &FUZZ_SALT,
        MIN_ITERATIONS,
        SecretKey::from_slice(&[0x11; 32]).ok_or("key size")?,
        SecretKey::from_slice(&[0x22; 32]).ok_or("key size")?,
    )
    .map_err(|_| "fixed credentials rejected")?;
    let snonce = Nonce::from_random(&SESSION_ENTROPY).map_err(|_| "fixed nonce rejected")?;
    let combined = cf.nonce.len() + snonce.as_bytes().len();
    let expect = match received.respond_with_nonce(&creds, &snonce) {
        Ok(expect) => expect,
        // Only a combined nonce our clients would refuse, or an AuthMessage
        // (bare `,` `r=<nonce>,s=<24 base64>,i=4096`) over its fixed
        // capacity, may be refused, and only with a capacity error.
        Err(Error::Capacity { .. }) => {
            let auth_message = cf.bare.len() + 1 + 36 + combined;
            return ensure(
                combined > mongoauth::mech::scram::MAX_NONCE_LEN || auth_message > MAX_MESSAGE_LEN,
                "server refused to answer a client-first that fits",
            );
        }
        Err(_) => return Err("server failed to answer a client-first that parses"),
    };
    let sf = parse_server_first(expect.message())
        .map_err(|_| "our own server-first-message does not parse")?;
    let (client_part, server_part) = sf.nonce.split_at_checked(cf.nonce.len()).unwrap_or_default();
    ensure(
        client_part == cf.nonce && server_part == snonce.as_bytes(),
        "server-first nonce is not client nonce + server nonce",
    )?;
    ensure(sf.iterations == MIN_ITERATIONS, "server-first iteration count changed")?;
    let mut salt = [0u8; 64];
    let decoded = decode_b64(sf.salt_b64, &mut salt);
    ensure(decoded == Some(&FUZZ_SALT[..]), "server-first salt changed")
}

/// parse_server_first: if it parses, `r=<nonce>,s=<salt>,i=<count>` rebuilt
/// from the parts is the message (up to its extensions).
pub fn scram_server_first(data: &[u8]) -> Outcome {
    let sf = match parse_server_first(data) {
        Ok(sf) => sf,
        Err(e) => {
            ensure(is_message(&e, ScramMessage::ServerFirst), "wrong message named in error")?;
            return scram_error_in_bounds(&e, data.len());
        }
    };
    let mut digits = heapless::String::<10>::new();
    core::fmt::write(&mut digits, format_args!("{}", sf.iterations))
        .map_err(|_| "iteration count does not format")?;
    let mut rebuilt = heapless::Vec::<u8, MAX_MESSAGE_LEN>::new();
    for part in [b"r=" as &[u8], sf.nonce, b",s=", sf.salt_b64, b",i=", digits.as_bytes()] {
        rebuilt.extend_from_slice(part).map_err(|_| "rebuilt server-first overflowed")?;
    }
    let rest = data.strip_prefix(rebuilt.as_slice());
    ensure(
        rest.is_some_and(|r| r.is_empty() || r.starts_with(b",")),
        "server-first rebuilt from its parts differs from the message",
    )?;
    ensure(
        sf.nonce.iter().all(|&b| (0x21..=0x7e).contains(&b) && b != b','),
        "parsed server nonce is not printable",
    )?;
    ensure(
        sf.nonce.len() <= mongoauth::mech::scram::MAX_NONCE_LEN,
        "parsed server nonce too long",
    )?;
    let mut salt = [0u8; mongoauth::mech::scram::MAX_SALT_LEN];
    ensure(
        decode_b64(sf.salt_b64, &mut salt).is_some_and(|s| !s.is_empty()),
        "parsed salt does not decode",
    )
}

/// `rest` is empty or `,` and extensions RFC 5802 allows: `x=value`, a
/// letter no SCRAM attribute uses (`a c e i m n p r s v`, either case),
/// a non-empty value without NUL. Checked here independently of the parser.
fn only_extensions(rest: &[u8]) -> bool {
    let Some(exts) = (if rest.is_empty() { Some(&b""[..]) } else { rest.strip_prefix(b",") })
    else {
        return false;
    };
    exts.is_empty()
        || exts.split(|&b| b == b',').all(|field| match field {
            [letter, b'=', value @ ..] => {
                letter.is_ascii_alphabetic()
                    && !b"aceimnprsvACEIMNPRSV".contains(letter)
                    && !value.is_empty()
                    && !value.contains(&0)
                    && core::str::from_utf8(value).is_ok()
            }
            _ => false,
        })
}

/// parse_server_final: `v=<verifier>` or `e=<error>` is the start of the
/// message, only extensions follow (so never a second `v=`, an `e=` after a
/// verifier, or an `m=`), the verifier is canonical base64, and an `e=`
/// value's kind names it back.
pub fn scram_server_final(data: &[u8]) -> Outcome {
    match parse_server_final(data) {
        Ok(mongoauth::mech::scram::ServerFinal::Verifier(v)) => {
            let rest = data.strip_prefix(b"v=").and_then(|r| r.strip_prefix(v));
            ensure(
                rest.is_some_and(only_extensions),
                "a server-final accepted as a verifier is not `v=` + extensions",
            )?;
            let mut sig = [0u8; 64];
            ensure(decode_b64(v, &mut sig).is_some(), "an accepted verifier is not base64")
        }
        Err(Error::ServerError(text)) => {
            let rest =
                data.strip_prefix(b"e=").and_then(|r| r.strip_prefix(text.as_str().as_bytes()));
            ensure(
                rest.is_some_and(only_extensions),
                "a server-error is not the message's `e=` value + extensions",
            )?;
            ensure(text.kind().as_str() == text.as_str(), "server-error kind names another value")
        }
        Err(e) => {
            ensure(is_message(&e, ScramMessage::ServerFinal), "wrong message named in error")?;
            scram_error_in_bounds(&e, data.len())
        }
    }
}

/// parse_client_final: the message is `without_proof` `,p=` `proof`, and
/// `without_proof` starts with the channel binding and nonce it reported.
pub fn scram_client_final(data: &[u8]) -> Outcome {
    let cf = match parse_client_final(data) {
        Ok(cf) => cf,
        Err(e) => {
            ensure(is_message(&e, ScramMessage::ClientFinal), "wrong message named in error")?;
            return scram_error_in_bounds(&e, data.len());
        }
    };
    let tail = data.strip_prefix(cf.without_proof).and_then(|r| r.strip_prefix(b",p="));
    ensure(tail == Some(cf.proof_b64), "client-final is not without_proof + `,p=` + proof")?;
    let head = cf
        .without_proof
        .strip_prefix(b"c=")
        .and_then(|r| r.strip_prefix(cf.channel_binding))
        .and_then(|r| r.strip_prefix(b",r="))
        .and_then(|r| r.strip_prefix(cf.nonce));
    ensure(
        head.is_some_and(|r| r.is_empty() || r.starts_with(b",")),
        "client-final without_proof does not start with c= and r=",
    )
}

// ---------------------------------------------------------------------------
// SASLprep
// ---------------------------------------------------------------------------

/// saslprep: idempotent on its output, the `heapless` variant agrees, a
/// too-small buffer gives exactly `BufferTooSmall(mongoauth::BufferTooSmall { required })` and leaves no
/// partial output, and other errors come before any capacity error.
pub fn saslprep(data: &[u8]) -> Outcome {
    let Ok(input) = core::str::from_utf8(data) else {
        return Ok(());
    };
    let chars = input.chars().count();
    let mut empty: [u8; 0] = [];
    let from_empty = prep(input, &mut empty).map(|p| p.len());
    // Exactly the size the empty buffer asked for (or the input's, for an
    // error other than a capacity one).
    let cap = match from_empty {
        Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall { required })) => required,
        _ => data.len(),
    };
    let mut big = vec![0u8; cap];
    let first = prep(input, &mut big).map(|p| p.len());
    match first {
        Ok(n) => {
            let mut prepared_buf = vec![0u8; n];
            let prepared = big.get(..n).ok_or("saslprep length past its buffer")?;
            let copy = prepared_buf.get_mut(..n).ok_or("saslprep length past its buffer")?;
            copy.copy_from_slice(prepared);
            let prepared =
                core::str::from_utf8(copy).map_err(|_| "saslprep output is not UTF-8")?;

            // Idempotent: prep(prep(x)) == prep(x).
            let mut again = vec![0u8; n];
            match prep(prepared, &mut again) {
                Ok(p) => ensure(p == prepared, "saslprep is not idempotent")?,
                Err(_) => return Err("saslprep rejects its own output"),
            }
            // Exact capacity error, and nothing left behind.
            if n > 0 {
                ensure(
                    from_empty
                        == Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall {
                            required: n,
                        })),
                    "an empty buffer did not give BufferTooSmall with the exact size",
                )?;
                let mut small = vec![0u8; n - 1];
                let short = small.as_mut_slice();
                ensure(
                    prep(input, short)
                        == Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall {
                            required: n,
                        })),
                    "a one-byte-short buffer did not give BufferTooSmall with the exact size",
                )?;
                ensure(short.iter().all(|&b| b == 0), "a too-small buffer kept partial output")?;
            } else {
                ensure(from_empty == Ok(0), "an empty output did not fit an empty buffer")?;
            }
            let mut h = heapless::String::<64>::new();
            match saslprep_heapless(input, &mut h) {
                Ok(()) => ensure(h.as_str() == prepared, "saslprep_heapless disagrees")?,
                Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall { required })) => {
                    ensure(required == n && n > 64, "saslprep_heapless wrong capacity error")?;
                    ensure(h.is_empty(), "saslprep_heapless kept partial output")?;
                }
                Err(_) => return Err("saslprep_heapless fails where saslprep succeeds"),
            }
            Ok(())
        }
        Err(SaslprepError::BufferTooSmall(mongoauth::BufferTooSmall { required })) => {
            ensure(required > cap, "BufferTooSmall with a buffer that was big enough")?;
            ensure(big.iter().all(|&b| b == 0), "a too-small buffer kept partial output")
        }
        Err(e) => {
            ensure(big.iter().all(|&b| b == 0), "a failed saslprep left output behind")?;
            ensure(from_empty == Err(e), "the error depends on the buffer size")?;
            let index = match e {
                SaslprepError::Prohibited { index }
                | SaslprepError::Unassigned { index }
                | SaslprepError::Bidi { index, .. }
                | SaslprepError::TooManyCombiningMarks { index }
                | SaslprepError::Unsupported { index } => index,
                _ => 0,
            };
            ensure(index < chars.max(1), "saslprep error index past the input")
        }
    }
}

// ---------------------------------------------------------------------------
// Connection strings
// ---------------------------------------------------------------------------

/// Parse a URI (never panics); if it has a credential without mechanism
/// properties, decode it, write it again with [`UriBuilder`], parse that and
/// get the same username, password, source and mechanism back. Also: the
/// builder's capacity error names exactly the size `encoded_len` gives.
pub fn uri(data: &[u8]) -> Outcome {
    let mut sink = ();
    let parsed = ConnectionString::parse_bytes(data, &mut sink);
    let Ok(s) = core::str::from_utf8(data) else {
        return ensure(parsed.is_err(), "non-UTF-8 bytes parsed as a URI");
    };
    let mut warnings = Warnings::<8>::new();
    let cs = match ConnectionString::parse(s, &mut warnings) {
        Ok(cs) => cs,
        Err(e) => {
            return ensure(e.offset().is_none_or(|o| o <= s.len()), "URI error offset past input");
        }
    };
    // Walk everything the parser offers; each host goes through the
    // builder and back unchanged (zone ids, sockets and UTF-8 names too).
    ensure(cs.hosts().count() == cs.host_count(), "host iterator and host_count disagree")?;
    for h in cs.hosts() {
        host_round_trip(&h)?;
    }
    // `key:value` lists split at literal `,` and `:` only: an encoded one
    // stays in its part.
    let lists = cs.options().auth_mechanism_properties().into_iter();
    for list in lists.chain(cs.options().read_preference_tags().iter().copied()) {
        for (k, v) in list.iter() {
            ensure(
                !k.encoded().contains([',', ':']) && !v.encoded().contains(','),
                "a key:value list split at an encoded separator",
            )?;
        }
    }
    for o in cs.raw_options() {
        let _ = o;
    }
    for o in cs.options().iter() {
        let _ = o;
    }
    if let Some(q) = cs.srv_query_name() {
        let mut name = [0u8; 600];
        let _ = q.write_into(&mut name);
    }
    let cred = match UriCredential::from_uri(&cs) {
        Ok(Some(c)) => c,
        Ok(None) => return Ok(()),
        Err(e) => {
            return ensure(
                e.offset().is_none_or(|o| o <= s.len()),
                "credential error offset past input",
            );
        }
    };
    if *cred.properties() != MechanismProperties::None {
        return Ok(());
    }
    // Decoded parts are never longer than the input.
    let (mut ubuf, mut pbuf, mut sbuf) =
        (vec![0u8; s.len()], vec![0u8; s.len()], vec![0u8; s.len()]);
    let user = cred.decode_username(&mut ubuf).map_err(|_| "username does not decode")?;
    let pass = cred.decode_password(&mut pbuf).map_err(|_| "password does not decode")?;
    let source = cred.source().decode(&mut sbuf).map_err(|_| "source does not decode")?;
    let pass_str = pass.as_ref().map(|p| p.as_str());
    if user.is_none() && pass_str.is_some() {
        return Err("a credential with a password but no username");
    }
    let hosts = [HostSpec::new("localhost")];
    let mech = cred.mechanism().map(Mechanism::as_str);
    let opts_with = [("authSource", source), ("authMechanism", mech.unwrap_or_default())];
    let opts = if mech.is_some() { &opts_with[..] } else { &opts_with[..1] };
    let mut builder = UriBuilder::new(&hosts).options(opts);
    if let Some(u) = user {
        builder = builder.credentials(u, pass_str);
    }
    let len = builder.encoded_len().map_err(|_| "UriBuilder refused parts a URI gave")?;
    let mut enc = vec![0u8; len];
    if len > 0 {
        let short = enc.get_mut(..len - 1).ok_or("length")?;
        let e = builder.encode_into(short).err().map(|e| e.kind());
        ensure(
            e == Some(UriErrorKind::BufferTooSmall(mongoauth::BufferTooSmall { required: len })),
            "a too-small URI buffer did not give BufferTooSmall with the exact size",
        )?;
        ensure(short.iter().all(|&b| b == 0), "a too-small URI buffer kept partial output")?;
    }
    let encoded = builder.encode_into(&mut enc).map_err(|_| "UriBuilder failed with room")?;
    ensure(encoded.len() == len, "encoded_len differs from the encoded length")?;
    let mut sink2 = ();
    let cs2 = ConnectionString::parse(encoded, &mut sink2)
        .map_err(|_| "a URI written by UriBuilder does not parse")?;
    let cred2 = UriCredential::from_uri(&cs2)
        .map_err(|_| "the rewritten URI's credential is invalid")?
        .ok_or("the rewritten URI has no credential")?;
    let (mut ubuf2, mut pbuf2, mut sbuf2) = (vec![0u8; len], vec![0u8; len], vec![0u8; len]);
    let user2 = cred2.decode_username(&mut ubuf2).map_err(|_| "username does not decode")?;
    let pass2 = cred2.decode_password(&mut pbuf2).map_err(|_| "password does not decode")?;
    let source2 = cred2.source().decode(&mut sbuf2).map_err(|_| "source does not decode")?;
    ensure(user2 == user, "URI round trip changed the username")?;
    ensure(pass2.as_ref().map(|p| p.as_str()) == pass_str, "URI round trip changed the password")?;
    ensure(source2 == source, "URI round trip changed the auth source")?;
    ensure(cred2.mechanism() == cred.mechanism(), "URI round trip changed the mechanism")
}

/// A parsed host, decoded, written by [`UriBuilder`] and parsed again: the
/// same host, kind and port.
fn host_round_trip(h: &mongoauth::uri::Host<'_>) -> Outcome {
    let mut decoded = vec![0u8; h.host.decoded_len()];
    let name = h.host.decode(&mut decoded).map_err(|_| "a parsed host does not decode")?;
    let spec = match h.port {
        Some(p) => HostSpec::with_port(name, p),
        None => HostSpec::new(name),
    };
    let hosts = [spec];
    let builder = UriBuilder::new(&hosts);
    let len = builder.encoded_len().map_err(|_| "UriBuilder refused a host the parser read")?;
    let mut enc = vec![0u8; len];
    let uri = builder.encode_into(&mut enc).map_err(|_| "UriBuilder failed with room")?;
    let cs = ConnectionString::parse(uri, &mut ())
        .map_err(|_| "a host written by UriBuilder does not parse")?;
    let again = cs.hosts().next().ok_or("a host written by UriBuilder is lost")?;
    ensure(again.host == h.host, "host round trip changed the host")?;
    ensure(again.kind == h.kind, "host round trip changed the host's kind")?;
    ensure(again.port == h.port, "host round trip changed the port")
}

// ---------------------------------------------------------------------------
// BSON and the wire
// ---------------------------------------------------------------------------

/// Room a parsed command needs when encoded again: its document's length
/// (`len`) and a little more for fields the encoder adds.
fn command_room(len: usize) -> usize {
    len.saturating_mul(2).saturating_add(1024)
}

/// Write `doc`'s elements again through [`DocWriter::value`].
fn rewrite(doc: Document<'_>, buf: &mut [u8]) -> Result<usize, BsonError> {
    let mut w = DocWriter::new(buf);
    for e in doc.iter() {
        w.value(e.key, &e.value);
    }
    w.finish()
}

/// Parse, write with [`WriteBody`], parse again: the same value.
fn reparse<'b, T, P>(value: &T, buf: &'b mut [u8], parse: P) -> Outcome
where
    T: WriteBody + PartialEq,
    P: FnOnce(Document<'b>) -> Option<T>,
{
    let n = wire::encode_document(value, buf).map_err(|_| "a parsed command does not encode")?;
    let doc = Document::parse(buf.get(..n).ok_or("length")?)
        .map_err(|_| "an encoded command is not a BSON document")?;
    ensure(parse(doc).as_ref() == Some(value), "command parse/encode/parse changed it")
}

/// Run every reply and command parser over `doc`; those that parse must
/// survive an encode/parse round trip.
fn exercise_document(doc: Document<'_>, len: usize) -> Outcome {
    let _ = HelloReply::parse(doc);
    let _ = CommandError::parse(&doc);
    let _ = wire::check_ok(&doc);
    if let Ok(c) = Command::parse(doc) {
        let _ = c.kind();
    }
    let mut buf = vec![0u8; command_room(len)];
    if let Ok(Ok(r)) = SaslReply::parse(doc) {
        reparse(&r, &mut buf, |d| SaslReply::parse(d).ok()?.ok())?;
    }
    if let Ok(Ok(r)) = AuthenticateReply::parse(doc) {
        reparse(&r, &mut buf, |d| AuthenticateReply::parse(d).ok()?.ok())?;
    }
    if let Ok(c) = SaslStart::parse(doc) {
        reparse(&c, &mut buf, |d| SaslStart::parse(d).ok())?;
    }
    if let Ok(c) = SaslContinue::parse(doc) {
        reparse(&c, &mut buf, |d| SaslContinue::parse(d).ok())?;
    }
    if let Ok(h) = Hello::parse(doc) {
        reparse(&h, &mut buf, |d| Hello::parse(d).ok())?;
    }
    Ok(())
}

/// Keys the command and reply parsers index, for the index-against-scan
/// checks (plus one no parser reads).
const INDEX_KEYS: [&str; 9] =
    ["ok", "$db", "payload", "conversationId", "mechanism", "options", "done", "", "a"];

/// The same value, bit for bit: a NaN double equals itself here (`==` on
/// `f64` says no, which once made this harness report a NaN array element
/// as a parser bug).
fn same_value(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// Visit every value (arrays and nested documents included) with the typed
/// getters, which must agree with iteration.
fn walk(doc: Document<'_>) -> Outcome {
    for e in doc.iter() {
        let first = doc.iter().find(|x| x.key == e.key).map(|x| x.offset);
        ensure(
            doc.get_element(e.key).map(|g| g.offset) == first,
            "get does not find an iterated key's first occurrence",
        )?;
        match e.value {
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    ensure(
                        a.get(i).is_some_and(|g| same_value(&g, &v)),
                        "array get differs from iteration",
                    )?;
                }
            }
            Value::Document(_) | Value::Other { .. } => {}
            v => {
                let _ = v.as_integer();
            }
        }
    }
    Ok(())
}

/// BSON: any document that parses is written back, element by element, to
/// the same bytes; a writer one byte short reports exactly the size the
/// roomy one used; the command and reply parsers survive a round trip.
pub fn bson(data: &[u8]) -> Outcome {
    // Read from a stream too (trailing bytes allowed there).
    let mut r = Reader::new(data);
    let streamed = Document::read(&mut r);
    let indexed = Document::parse_fields(data, INDEX_KEYS);
    let doc = match Document::parse(data) {
        Ok(doc) => doc,
        Err(e) => {
            ensure(indexed.err() == Some(e), "parse_fields and parse disagree on an error")?;
            ensure(e.offset().is_none_or(|o| o <= data.len()), "BSON error offset past input")?;
            return match (e, streamed) {
                (BsonError::TrailingData { .. }, Ok(_)) | (_, Err(_)) => Ok(()),
                (_, Ok(_)) => Err("a document reads from a stream but does not parse"),
            };
        }
    };
    ensure(streamed.is_ok_and(|d| d == doc), "stream read and parse disagree")?;
    // Parse once: the index built while validating, and the one built by a
    // walk over a parsed document, agree with a scan for every key.
    let indexed = indexed.map_err(|_| "parse_fields rejects a document parse accepts")?;
    ensure(indexed.document() == doc, "parse_fields found another document")?;
    let walked = doc.fields(INDEX_KEYS);
    for k in INDEX_KEYS {
        let scanned = doc.iter().find(|e| e.key == k).map(|e| e.offset);
        ensure(indexed.get_element(k).map(|e| e.offset) == scanned, "index (parse) != scan")?;
        ensure(walked.get_element(k).map(|e| e.offset) == scanned, "index (walk) != scan")?;
    }
    let first = doc.first().map(|e| e.offset);
    ensure(indexed.first().map(|e| e.offset) == first, "index's first element differs")?;
    walk(doc)?;
    {
        let mut buf = vec![0u8; data.len()];
        let n = rewrite(doc, &mut buf).map_err(|_| "a parsed document does not write back")?;
        ensure(buf.get(..n) == Some(data), "document rewritten from its elements differs")?;
        let mut short = vec![0u8; n.saturating_sub(1)];
        let short = short.as_mut_slice();
        ensure(
            rewrite(doc, short)
                == Err(BsonError::BufferTooSmall(mongoauth::BufferTooSmall { required: n })),
            "a too-small writer did not report the size a big one used",
        )?;
        ensure(
            rewrite(doc, &mut [])
                == Err(BsonError::BufferTooSmall(mongoauth::BufferTooSmall { required: n })),
            "an empty writer did not report the size a big one used",
        )?;
    }
    exercise_document(doc, data.len())
}

/// OP_MSG: a frame that parses is framed again, byte for byte (flags and
/// checksum included), by [`wire::encode_op_msg`]; a buffer one byte short
/// gives exactly `BufferTooSmall`. OP_QUERY and the header helpers never panic.
pub fn op_msg(data: &[u8]) -> Outcome {
    if let Some(h) =
        data.get(..wire::HEADER_LEN).and_then(|h| <&[u8; wire::HEADER_LEN]>::try_from(h).ok())
    {
        let _ = wire::frame_len(h);
        let _ = wire::frame_len_in(h, 4096);
        let _ = wire::request_frame_len(h, 4096);
    }
    if let Ok(q) = wire::parse_op_query(data) {
        let _ = q.db();
        exercise_document(q.query, data.len())?;
    }
    let msg = match wire::parse_op_msg(data) {
        Ok(m) => m,
        Err(_) => return Ok(()),
    };
    let mut buf = vec![0u8; data.len() + 8];
    let n = wire::encode_op_msg(msg.request_id, msg.response_to, msg.body, &mut buf)
        .map_err(|_| "a parsed OP_MSG body does not frame")?;
    let total = if msg.checksum.is_some() { n + 4 } else { n };
    let len32 = i32::try_from(total).map_err(|_| "length")?;
    buf.get_mut(..4).ok_or("length")?.copy_from_slice(&len32.to_le_bytes());
    buf.get_mut(16..20).ok_or("length")?.copy_from_slice(&msg.flags.to_le_bytes());
    if msg.checksum.is_some() {
        let crc = wire::crc32c(buf.get(..n).ok_or("length")?);
        buf.get_mut(n..n + 4).ok_or("length")?.copy_from_slice(&crc.to_le_bytes());
    }
    ensure(buf.get(..total) == Some(data), "OP_MSG re-framed differs from the frame")?;
    ensure(
        msg.checksum.is_some() == (msg.flags & wire::FLAG_CHECKSUM_PRESENT != 0),
        "checksum flag",
    )?;
    let mut short = vec![0u8; data.len() + 8];
    ensure(
        wire::encode_op_msg(
            msg.request_id,
            msg.response_to,
            msg.body,
            short.get_mut(..n - 1).ok_or("length")?,
        ) == Err(wire::WireError::BufferTooSmall(mongoauth::BufferTooSmall { required: n })),
        "a too-small OP_MSG buffer did not give BufferTooSmall with the exact size",
    )?;
    exercise_document(msg.body, data.len())
}

// ---------------------------------------------------------------------------
// Conversations
// ---------------------------------------------------------------------------

/// The user both conversation targets know. The fuzzer is never told the
/// password's keys in a form it could use: logging in takes HMACs of it.
pub const FUZZ_USER: &str = "fuzz-user";
/// The password of [`FUZZ_USER`]; only the positive-control tests use it.
pub const FUZZ_PASSWORD: &str = "correct horse battery staple; 9f3c1e7a";
/// The database [`FUZZ_USER`] lives in.
pub const FUZZ_SOURCE: &str = "admin";
/// The salt of [`FUZZ_USER`]'s stored credentials.
pub const FUZZ_SALT: [u8; 16] = *b"mongoauth-fuzz!!";
/// The client entropy of the authenticator target.
pub const AUTH_ENTROPY: [u8; AUTH_ENTROPY_LEN] = [0x5a; AUTH_ENTROPY_LEN];
/// The server entropy of the session target.
pub const SESSION_ENTROPY: [u8; SESSION_ENTROPY_LEN] = [0xa5; SESSION_ENTROPY_LEN];

// `StoredCredentials::generate(FUZZ_USER, FUZZ_PASSWORD, &FUZZ_SALT, 4096)`,
// precomputed so the session target runs no PBKDF2 per input (a test checks
// them against `generate`).
const SHA1_STORED: [u8; 20] = [
    0x3f, 0x76, 0xd5, 0x51, 0x48, 0x93, 0x02, 0x11, 0x71, 0x96, 0xac, 0x80, 0x44, 0xc5, 0xd5, 0x54,
    0xcd, 0xae, 0x49, 0x19,
];
const SHA1_SERVER: [u8; 20] = [
    0x38, 0x7f, 0xa7, 0xa0, 0x53, 0x31, 0x59, 0xec, 0x57, 0xdb, 0xe6, 0x60, 0x69, 0xb1, 0xdf, 0x67,
    0x87, 0x27, 0x44, 0x71,
];
const SHA256_STORED: [u8; 32] = [
    0x5c, 0x60, 0x79, 0x1e, 0x34, 0x58, 0x6f, 0x4d, 0x2f, 0x1d, 0x13, 0x1e, 0x03, 0xf5, 0x68, 0x73,
    0x8c, 0xcb, 0x88, 0x26, 0x31, 0x6a, 0xbd, 0xd3, 0xe3, 0x04, 0xd1, 0x97, 0x59, 0xdd, 0x7f, 0xd3,
];
const SHA256_SERVER: [u8; 32] = [
    0x58, 0xa1, 0x83, 0x0f, 0x7f, 0xcf, 0x1c, 0xe2, 0xcb, 0x77, 0xe1, 0x4c, 0x4a, 0xb9, 0x29, 0x9a,
    0x26, 0xd2, 0xfe, 0x56, 0xfd, 0x70, 0x23, 0xe7, 0x2b, 0x32, 0x2b, 0x5f, 0x61, 0x5c, 0x8e, 0xb3,
];

/// A user store holding only [`FUZZ_USER`], from precomputed keys.
#[derive(Clone, Copy, Debug, Default)]
pub struct FuzzUsers;

impl UserStore for FuzzUsers {
    fn scram_credentials(
        &self,
        db: &str,
        user: &str,
        mechanism: Mechanism,
    ) -> Option<AnyStoredCredentials> {
        if db != FUZZ_SOURCE || user != FUZZ_USER {
            return None;
        }
        match mechanism {
            Mechanism::ScramSha1 => StoredCredentials::from_parts(
                &FUZZ_SALT,
                MIN_ITERATIONS,
                SecretKey::from_slice(&SHA1_STORED)?,
                SecretKey::from_slice(&SHA1_SERVER)?,
            )
            .ok()
            .map(AnyStoredCredentials::Sha1),
            Mechanism::ScramSha256 => StoredCredentials::from_parts(
                &FUZZ_SALT,
                MIN_ITERATIONS,
                SecretKey::from_slice(&SHA256_STORED)?,
                SecretKey::from_slice(&SHA256_SERVER)?,
            )
            .ok()
            .map(AnyStoredCredentials::Sha256),
            _ => None,
        }
    }

    fn select_cr_digest(
        &self,
        db: &str,
        user: &str,
        slot: &mut [u8; cr::DIGEST_LEN],
    ) -> subtle::Choice {
        let found = db == FUZZ_SOURCE && user == FUZZ_USER;
        if found {
            *slot = *cr::password_digest(FUZZ_USER, FUZZ_PASSWORD);
        }
        subtle::Choice::from(u8::from(found))
    }
}

/// MONGODB-CR (`mech::cr`): the whole input is read as an OP_REPLY (whose
/// one document must be the rest of the frame); the first chunk (see [`chunks`]) is read as a
/// `getnonce` reply and an `authenticate` command (what parses survives an
/// encode/parse round trip, and keeps its limits); then a client
/// (explicit MONGODB-CR) takes the chunks as its replies and must send
/// exactly the key of the nonce it was given; and a server with MONGODB-CR
/// on takes them as commands (after a `getnonce` of its own), and logs a
/// client in only on the right key for the nonce it issued.
pub fn mongodb_cr(data: &[u8]) -> Outcome {
    if let Ok((_, doc)) = cr::parse_op_reply(data) {
        ensure(doc.len() + 36 == data.len(), "an OP_REPLY's document is not the rest of it")?;
    }
    let mut buf = vec![0u8; command_room(data.len())];
    if let Some(first) = chunks(data).next()
        && let Ok(doc) = Document::parse(first)
    {
        if let Ok(Ok(r)) = cr::GetNonceReply::parse(doc) {
            ensure(
                !r.nonce.is_empty()
                    && r.nonce.len() <= cr::MAX_NONCE_LEN
                    && r.nonce.bytes().all(|b| b.is_ascii_graphic()),
                "a getnonce reply's nonce broke its limits",
            )?;
            reparse(&r, &mut buf, |d| cr::GetNonceReply::parse(d).ok()?.ok())?;
        }
        if let Ok(c) = cr::Authenticate::parse(doc, FUZZ_SOURCE) {
            ensure(c.key.len() == cr::KEY_LEN, "an authenticate key of the wrong length")?;
            reparse(&c, &mut buf, |d| cr::Authenticate::parse(d, FUZZ_SOURCE).ok())?;
        }
    }
    cr_client(data)?;
    cr_server(data)
}

fn cr_client(data: &[u8]) -> Outcome {
    let cred = AuthCredential::new(
        Some(Mechanism::MongodbCr),
        Some(FUZZ_USER),
        Some(FUZZ_PASSWORD),
        FUZZ_SOURCE,
    )
    .map_err(|_| "the fixed credential is refused")?;
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &AUTH_ENTROPY)
        .map_err(|_| "the fixed credential is refused")?;
    let mut buf = [0u8; 4096];
    let n = wire::encode_document(&HelloReply::primary(), &mut buf).map_err(|_| "hello")?;
    auth.handle_reply(buf.get(..n).ok_or("length")?).map_err(|_| "a plain hello is refused")?;
    let mut nonce: Option<heapless::String<{ cr::MAX_NONCE_LEN }>> = None;
    for reply in chunks(data) {
        let Some(cmd) = auth.command() else { break };
        let n = wire::encode_document(&cmd, &mut buf).map_err(|_| "a command does not encode")?;
        let doc = Document::parse(buf.get(..n).ok_or("length")?)
            .map_err(|_| "the authenticator wrote invalid BSON")?;
        if let (Some(nonce), Ok(c)) = (&nonce, cr::Authenticate::parse(doc, FUZZ_SOURCE)) {
            let key = cr::client_key(nonce, FUZZ_USER, FUZZ_PASSWORD);
            ensure(c.nonce == nonce.as_str(), "authenticate carries another nonce")?;
            ensure(c.key.as_bytes() == &key[..], "authenticate carries the wrong key")?;
        }
        if let Ok(Ok(r)) = Document::parse(reply)
            .map(cr::GetNonceReply::parse)
            .unwrap_or(Ok(Err(CommandError::AUTHENTICATION_FAILED)))
        {
            nonce = heapless::String::try_from(r.nonce).ok();
        }
        if auth.handle_reply(reply).is_err() {
            ensure(auth.command().is_none(), "a failed authenticator still sends commands")?;
            break;
        }
    }
    Ok(())
}

fn cr_server(data: &[u8]) -> Outcome {
    let users = FuzzUsers;
    let mut server = ServerSession::new(&users, [0x3c; 32]).with_mongodb_cr(true);
    let mut out = [0u8; 4096];
    let mut req = [0u8; 256];
    let n = wire::encode_document(&cr::GetNonce { db: FUZZ_SOURCE }, &mut req)
        .map_err(|_| "getnonce does not encode")?;
    let m = server
        .handle(req.get(..n).ok_or("length")?, &SESSION_ENTROPY, &mut out)
        .map_err(|_| "getnonce is refused")?;
    let reply = Document::parse(out.get(..m).ok_or("length")?).map_err(|_| "getnonce reply")?;
    let issued: heapless::String<{ cr::NONCE_LEN }> = match cr::GetNonceReply::parse(reply) {
        Ok(Ok(r)) => heapless::String::try_from(r.nonce).map_err(|_| "a nonce over NONCE_LEN")?,
        _ => return Err("our own getnonce reply does not parse"),
    };
    let key = cr::client_key(&issued, FUZZ_USER, FUZZ_PASSWORD);
    for body in chunks(data) {
        let right = Document::parse(body)
            .ok()
            .and_then(|d| cr::Authenticate::parse(d, FUZZ_SOURCE).ok())
            .is_some_and(|c| {
                c.user == FUZZ_USER && c.nonce == issued.as_str() && c.key.as_bytes() == &key[..]
            });
        let before = server.authenticated_user().is_some();
        let r = server.handle_legacy(body, FUZZ_SOURCE, &SESSION_ENTROPY, &mut out);
        if let Ok(n) = r {
            Document::parse(out.get(..n).ok_or("reply length past the buffer")?)
                .map_err(|_| "the session wrote an invalid reply")?;
        }
        if !before && server.authenticated_user().is_some() {
            ensure(right, "logged in without the right MONGODB-CR key")?;
        }
    }
    Ok(())
}

/// The authenticator target's policy from its first input byte: bit 0
/// speculative, bit 1 legacy hello. The iteration cap is the minimum, so a
/// fuzzer-chosen count costs at most one 4096-round PBKDF2.
pub fn auth_config(flags: u8) -> AuthConfig {
    AuthConfig {
        speculative: flags & 1 != 0,
        legacy_hello: flags & 2 != 0,
        scram: ClientConfig { max_iterations: MIN_ITERATIONS },
        ..AuthConfig::default()
    }
}

/// A client login ([`Authenticator`], negotiated SCRAM, fixed entropy, the
/// password [`FUZZ_PASSWORD`]) fed fuzzer-chosen reply bodies: the first
/// byte picks [`auth_config`], the rest is split by [`chunks`]. Every command
/// it writes is valid BSON; after an error it is failed for good; and it
/// never reports `is_authenticated()`, since no input can carry the server
/// signature without the password.
pub fn authenticator(data: &[u8]) -> Outcome {
    run_authenticator(data, FUZZ_PASSWORD)
}

/// [`authenticator`] with another password (for the positive control).
pub fn run_authenticator(data: &[u8], password: &str) -> Outcome {
    let Some((&flags, replies)) = data.split_first() else {
        return Ok(());
    };
    let cred = AuthCredential::scram(FUZZ_USER, password, FUZZ_SOURCE)
        .map_err(|_| "the fixed credential is refused")?;
    let mut auth = Authenticator::new(cred, auth_config(flags), &AUTH_ENTROPY)
        .map_err(|_| "the fixed credential is refused")?;
    let mut buf = [0u8; 4096];
    let mut replies = chunks(replies);
    while let Some(cmd) = auth.command() {
        let n = wire::encode_document(&cmd, &mut buf).map_err(|_| "a command does not encode")?;
        let doc = Document::parse(buf.get(..n).ok_or("length")?)
            .map_err(|_| "the authenticator wrote invalid BSON")?;
        Command::parse(doc).map_err(|_| "the authenticator wrote a command without $db")?;
        let Some(reply) = replies.next() else {
            break;
        };
        if auth.handle_reply(reply).is_err() {
            ensure(auth.command().is_none(), "a failed authenticator still sends commands")?;
            ensure(auth.handle_reply(reply).is_err(), "a failed authenticator accepts a reply")?;
            break;
        }
    }
    ensure(!auth.is_authenticated(), "authenticated without the server's signature")
}

/// A server login ([`ServerSession`] over [`FuzzUsers`]) fed fuzzer-chosen
/// command bodies: the first byte's bit `i` sends command `i` as a legacy
/// OP_QUERY (`handle_legacy` on `admin`), the rest is split by [`chunks`].
/// Never panics, every reply it writes is valid BSON, and nobody logs in.
pub fn session(data: &[u8]) -> Outcome {
    let Some((&legacy, commands)) = data.split_first() else {
        return Ok(());
    };
    let users = FuzzUsers;
    let mut server = ServerSession::new(&users, [0x3c; 32]);
    let mut out = [0u8; 4096];
    for (i, body) in chunks(commands).enumerate() {
        let r = if i < 8 && legacy & (1 << i) != 0 {
            server.handle_legacy(body, "admin", &SESSION_ENTROPY, &mut out)
        } else {
            server.handle(body, &SESSION_ENTROPY, &mut out)
        };
        if let Ok(n) = r {
            let reply = out.get(..n).ok_or("reply length past the buffer")?;
            Document::parse(reply).map_err(|_| "the session wrote an invalid reply")?;
        }
        ensure(server.authenticated_user().is_none(), "a client logged in without the password")?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// GSSAPI (RFC 4752)
// ---------------------------------------------------------------------------

/// The `$external` principal the GSSAPI targets know.
pub const FUZZ_PRINCIPAL: &str = "fuzz@FUZZ.TEST";

#[allow(clippy::result_large_err)] // GssError keeps its text inline.
fn gss_put(out: &mut [u8], parts: &[&[u8]]) -> Result<usize, GssError> {
    let n: usize = parts.iter().map(|p| p.len()).sum();
    let dst = out
        .get_mut(..n)
        .ok_or(GssError::BufferTooSmall(mongoauth::BufferTooSmall { required: n }))?;
    let mut at = 0;
    for p in parts {
        if let Some(d) = dst.get_mut(at..at + p.len()) {
            d.copy_from_slice(p);
        }
        at += p.len();
    }
    Ok(n)
}

/// The GSSAPI targets' toy library, both sides: context tokens `INIT
/// <principal>` and `ACCEPT`, wrap = a `W` prefix. It records what an
/// invariant needs: whether the client's context completed and whether it
/// wrapped a well-formed security-layer answer; the principal the acceptor
/// authenticated and whether it unwrapped an answer naming it.
#[derive(Default)]
pub struct ToyGss {
    complete: bool,
    wrapped_answer: bool,
    source: Option<heapless::String<{ gssapi::MAX_PRINCIPAL_LEN }>>,
    answer_names_source: bool,
}

impl GssInitiator for ToyGss {
    fn step(
        &mut self,
        _target: &GssTarget<'_>,
        identity: &GssIdentity<'_>,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<GssStep, GssError> {
        if input.is_empty() {
            let who = identity.principal.unwrap_or("").as_bytes();
            return Ok(GssStep { written: gss_put(out, &[b"INIT ", who])?, complete: false });
        }
        self.complete = input == b"ACCEPT";
        Ok(GssStep { written: 0, complete: self.complete })
    }
    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        gss_put(out, &[token.strip_prefix(b"W").ok_or(GssError::NoContext)?])
    }
    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        self.wrapped_answer = ClientLayerReply::parse_no_layer(message)
            .is_ok_and(|r| r.authz == FUZZ_PRINCIPAL && r.max_size == 0);
        gss_put(out, &[b"W", message])
    }
}

impl GssAcceptor for ToyGss {
    fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError> {
        let who = input.strip_prefix(b"INIT ").ok_or(GssError::NoContext)?;
        let who = core::str::from_utf8(who).map_err(|_| GssError::NoContext)?;
        self.source = Some(heapless::String::try_from(who).map_err(|_| GssError::NoContext)?);
        self.answer_names_source = false;
        Ok(GssStep { written: gss_put(out, &[b"ACCEPT"])?, complete: true })
    }
    fn wrap(&mut self, message: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        self.source.as_ref().ok_or(GssError::NoContext)?;
        gss_put(out, &[b"W", message])
    }
    fn unwrap(&mut self, token: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
        let source = self.source.as_ref().ok_or(GssError::NoContext)?;
        let m = token.strip_prefix(b"W").ok_or(GssError::NoContext)?;
        self.answer_names_source =
            ClientLayerReply::parse_no_layer(m).is_ok_and(|r| r.authz == source.as_str());
        gss_put(out, &[m])
    }
    fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError> {
        let source = self.source.as_ref().ok_or(GssError::NoContext)?;
        gss_put(out, &[source.as_bytes()])
    }
    fn reset(&mut self) {
        // `answer_names_source` stays: the check runs after the session
        // resets its context on success; a new context clears it.
        self.source = None;
    }
}

/// A store with [`FUZZ_PRINCIPAL`] as its only `$external` user.
struct FuzzExternal;

impl UserStore for FuzzExternal {
    fn scram_credentials(&self, _: &str, _: &str, _: Mechanism) -> Option<AnyStoredCredentials> {
        None
    }
    fn is_external_user(&self, principal: &str) -> bool {
        principal == FUZZ_PRINCIPAL
    }
}

/// GSSAPI: the security-layer parsers on the whole input (the server's
/// message parses only at exactly 4 bytes and round-trips; the client's
/// answer round-trips through [`ClientLayerReply::write`], a buffer one byte
/// short is refused); the SASL payload reader on each chunk taken as a
/// command body (a base64 string decodes within its bound). Then a GSSAPI
/// client (toy library) takes the chunks as replies: every command is valid
/// BSON, a failed login sends nothing more, and it reports a login only once
/// its context completed and it wrapped the no-layer answer naming its
/// principal. And a server with the toy acceptor takes them as commands:
/// every reply is valid BSON, and whoever logs in is [`FUZZ_PRINCIPAL`] on
/// `$external`, after an answer whose identity is the context's source.
pub fn gssapi(data: &[u8]) -> Outcome {
    match SecurityLayer::parse(data) {
        Ok(l) => ensure(l.to_bytes()[..] == *data, "a security-layer offer does not round-trip")?,
        Err(_) => ensure(data.len() != gssapi::SECURITY_LAYER_LEN, "a 4-byte offer is refused")?,
    }
    if let Ok(r) = ClientLayerReply::parse(data) {
        ensure(r.len() == data.len(), "an answer's length is not the input's")?;
        ensure(r.authz.len() <= gssapi::MAX_PRINCIPAL_LEN, "an identity over the limit")?;
        let mut out = vec![0u8; data.len()];
        let n = r.write(&mut out).map_err(|_| "an answer does not write back")?;
        ensure(out.get(..n) == Some(data), "an answer does not round-trip")?;
        if let Some(short) = out.get_mut(..data.len().saturating_sub(1)) {
            ensure(r.write(short).is_err(), "an answer wrote into a buffer one byte short")?;
        }
        if ClientLayerReply::parse_no_layer(data).is_ok() {
            ensure(r.layer == gssapi::LAYER_NONE, "a layer other than none was accepted")?;
        }
    }
    let mut scratch = vec![0u8; data.len() + gssapi::MAX_TOKEN_LEN];
    for chunk in chunks(data) {
        if let Ok(doc) = Document::parse(chunk)
            && let Ok(p) = wire::AnyPayload::read(&doc)
            && let Ok(bytes) = p.bytes(&mut scratch)
            && let wire::AnyPayload::Base64(s) = p
        {
            ensure(bytes.len() <= s.len() / 4 * 3, "a base64 payload decoded too long")?;
        }
    }
    gssapi_client(data)?;
    gssapi_server(data).map(|_| ())
}

/// The client half of [`gssapi()`]; says whether the login succeeded (for
/// the positive control).
///
/// # Errors
/// The invariant that broke.
pub fn gssapi_client(data: &[u8]) -> Result<bool, &'static str> {
    let target = GssConfig::new("localhost").map_err(|_| "the fixed target is refused")?;
    let cred =
        AuthCredential::new(Some(Mechanism::Gssapi), Some(FUZZ_PRINCIPAL), None, "$external")
            .map_err(|_| "the fixed credential is refused")?;
    let mut auth = Authenticator::new(cred, AuthConfig::default(), &AUTH_ENTROPY)
        .map_err(|_| "the fixed credential is refused")?
        .with_gssapi(&target);
    let mut toy = ToyGss::default();
    let mut buf = vec![0u8; command_room(data.len()) + gssapi::MAX_TOKEN_LEN];
    let mut scratch = vec![0u8; gssapi::MAX_TOKEN_LEN];
    let mut hello = [0u8; 256];
    let n = wire::encode_document(&HelloReply::primary(), &mut hello).map_err(|_| "hello")?;
    auth.handle_reply(hello.get(..n).ok_or("length")?).map_err(|_| "a plain hello is refused")?;
    let mut replies = chunks(data);
    loop {
        match auth.step() {
            mongoauth::client::Step::Need(_) => {
                if auth.provide_gss_with(&mut toy, &mut scratch).is_err() {
                    ensure(auth.command().is_none(), "a failed authenticator still sends")?;
                    break;
                }
            }
            mongoauth::client::Step::Send(cmd) => {
                let n = wire::encode_document(&cmd, &mut buf)
                    .map_err(|_| "a command does not encode")?;
                let doc = Document::parse(buf.get(..n).ok_or("length")?)
                    .map_err(|_| "the authenticator wrote invalid BSON")?;
                Command::parse(doc).map_err(|_| "the authenticator wrote a command without $db")?;
                let Some(reply) = replies.next() else { break };
                if auth.handle_reply(reply).is_err() {
                    ensure(auth.command().is_none(), "a failed authenticator still sends")?;
                    break;
                }
            }
            mongoauth::client::Step::Done(_) => break,
        }
    }
    if auth.is_authenticated() {
        ensure(toy.complete, "logged in before the GSS context completed")?;
        ensure(toy.wrapped_answer, "logged in without wrapping the no-layer answer")?;
    }
    Ok(auth.is_authenticated())
}

/// The server half of [`gssapi()`]; says whether someone logged in (for the
/// positive control).
///
/// # Errors
/// The invariant that broke.
pub fn gssapi_server(data: &[u8]) -> Result<bool, &'static str> {
    let mut server = ServerSession::new(FuzzExternal, [0x3c; 32]).with_gssapi(ToyGss::default());
    let mut out = vec![0u8; 4096 + 2 * gssapi::MAX_TOKEN_LEN];
    for body in chunks(data) {
        let before = server.authenticated_user().is_some();
        if let Ok(n) = server.handle(body, &SESSION_ENTROPY, &mut out) {
            Document::parse(out.get(..n).ok_or("reply length past the buffer")?)
                .map_err(|_| "the session wrote an invalid reply")?;
        }
        if !before && let Some(who) = server.authenticated_user() {
            ensure(who == ("$external", FUZZ_PRINCIPAL), "logged in as someone the store lacks")?;
            ensure(
                server.gss_acceptor().answer_names_source,
                "logged in without an answer naming the context's source",
            )?;
        }
    }
    Ok(server.authenticated_user().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precomputed_keys_are_the_passwords() {
        let s256 =
            StoredCredentials::<Sha256>::generate(FUZZ_USER, FUZZ_PASSWORD, &FUZZ_SALT, 4096);
        let s256 = s256.ok();
        assert_eq!(s256.as_ref().map(|c| c.stored_key().expose()), Some(&SHA256_STORED[..]));
        assert_eq!(s256.as_ref().map(|c| c.server_key().expose()), Some(&SHA256_SERVER[..]));
        {
            let s1 = StoredCredentials::<mongoauth::mech::scram::Sha1>::generate(
                FUZZ_USER,
                FUZZ_PASSWORD,
                &FUZZ_SALT,
                4096,
            )
            .ok();
            assert_eq!(s1.as_ref().map(|c| c.stored_key().expose()), Some(&SHA1_STORED[..]));
            assert_eq!(s1.as_ref().map(|c| c.server_key().expose()), Some(&SHA1_SERVER[..]));
        }
    }
}
