//! The SCRAM message grammar (RFC 5802 section 7), parse and write, kept
//! apart from the state machines: the states receive typed messages and
//! never look at commas themselves.
//!
//! Parsing is strict: attributes in the RFC's order, no empty values, no
//! duplicates, printable nonces, canonical base64. Every error names the
//! message, the rule and the byte offset.

use base64ct::{Base64, Encoding};

use crate::error::{Error, MAX_SERVER_ERROR_LEN, ScramMessage, ServerErrorText};

/// Longest SCRAM message, in either direction, that this crate reads or
/// writes. Real messages are under 300 bytes.
pub const MAX_MESSAGE_LEN: usize = 1024;
/// Longest combined (client + server) nonce accepted from a peer: room for
/// our longest client nonce ([`MAX_NONCE_TEXT_LEN`](super::MAX_NONCE_TEXT_LEN),
/// 64 characters) plus a server part as long again. mongod and the drivers
/// use 24 random bytes (32 characters) for each part. It was 256 before
/// 0.2; halved because every client-final-message buffer is sized by it.
pub const MAX_NONCE_LEN: usize = 2 * super::MAX_NONCE_TEXT_LEN;
/// Longest decoded salt accepted from a server or held in keys and stored
/// credentials. mongod's `createUser` uses 16 bytes (SCRAM-SHA-1) or 28 bytes
/// (SCRAM-SHA-256); 64 leaves room for any salt of a 512-bit digest. It was
/// 128 before 0.2; halved because every key set carries a salt buffer.
pub const MAX_SALT_LEN: usize = 64;

/// The rule for a nonce (`r=`) in any message: RFC 5802 `printable`.
const NONCE_NOT_PRINTABLE: &str = "`r=` not printable ASCII without `,`";

/// A grammar rule broken at a byte offset: what the parser helpers return
/// instead of the (much larger) [`Error`], so that no helper frame holds one.
/// The public parse functions turn it into [`Error::Malformed`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fault {
    rule: &'static str,
    offset: usize,
}

impl Fault {
    #[cold]
    pub(crate) fn into_error(self, message: ScramMessage) -> Error {
        Error::Malformed { message, rule: self.rule, offset: self.offset }
    }
}

/// A cursor over one message's attributes (`a=value` separated by `,`),
/// tracking the byte offset for errors.
pub(crate) struct Attrs<'a> {
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Attrs<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Attrs { rest: bytes, offset: 0 }
    }

    pub(crate) fn err(&self, rule: &'static str) -> Fault {
        Fault { rule, offset: self.offset }
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Take the next comma-separated field (possibly empty), consuming the comma.
    pub(crate) fn field(&mut self) -> Result<(&'a [u8], usize), Fault> {
        let start = self.offset;
        if self.rest.is_empty() {
            return Err(self.err("unexpected end"));
        }
        let (field, rest, consumed) = match self.rest.iter().position(|&b| b == b',') {
            Some(i) => {
                let (f, r) = self.rest.split_at(i);
                (f, r.get(1..).unwrap_or(&[]), i + 1)
            }
            None => (self.rest, &[][..], self.rest.len()),
        };
        // A trailing comma leaves an empty final field, which is malformed.
        if consumed > field.len() && rest.is_empty() {
            self.offset = start + consumed;
            return Err(self.err("trailing `,`"));
        }
        self.rest = rest;
        self.offset = start + consumed;
        Ok((field, start))
    }

    /// Take the next field, which must be `name=value` with a non-empty value.
    pub(crate) fn expect(&mut self, name: u8, rule: &'static str) -> Result<&'a [u8], Fault> {
        let (field, at) = self.field()?;
        match field {
            [n, b'=', value @ ..] if *n == name && !value.is_empty() => Ok(value),
            _ => Err(Fault { rule, offset: at }),
        }
    }

    /// Check the remaining optional extensions (RFC 5802 `extensions`):
    /// each must be `attr-val`, an ASCII letter that no SCRAM attribute uses
    /// (see [`is_reserved_attribute`]), `=`, and a `value` (1 or more bytes of
    /// UTF-8 without NUL or `,`). A mandatory extension (`m=`) is
    /// [`Ext::Mandatory`]: the caller cannot ignore it by accident.
    pub(crate) fn extensions(&mut self) -> Result<(), Ext> {
        while !self.is_empty() {
            let (field, at) = self.field()?;
            match field {
                [b'm' | b'M', b'=', ..] => return Err(Ext::Mandatory),
                [n, b'=', value @ ..]
                    if n.is_ascii_alphabetic()
                        && !is_reserved_attribute(*n)
                        && is_attr_value(value) => {}
                _ => {
                    return Err(Ext::Fault(Fault {
                        rule: "extension not `x=value` with an unused letter",
                        offset: at,
                    }));
                }
            }
        }
        Ok(())
    }
}

/// Why [`Attrs::extensions`] refused the rest of a message.
pub(crate) enum Ext {
    /// A broken `attr-val`, or a letter that SCRAM already uses.
    Fault(Fault),
    /// `m=`: a mandatory extension, which no SCRAM peer of ours supports.
    Mandatory,
}

impl From<Fault> for Ext {
    fn from(fault: Fault) -> Self {
        Ext::Fault(fault)
    }
}

impl Ext {
    #[cold]
    fn into_error(self, message: ScramMessage) -> Error {
        match self {
            Ext::Fault(fault) => fault.into_error(message),
            Ext::Mandatory => Error::MandatoryExtension,
        }
    }
}

/// The attribute letters RFC 5802 gives a meaning (`a c e i m n p r s v`),
/// in either case: none of them may appear as an extension, so a second
/// `v=` or an `e=` after a verifier is malformed, never ignored.
pub(crate) fn is_reserved_attribute(letter: u8) -> bool {
    matches!(
        letter.to_ascii_lowercase(),
        b'a' | b'c' | b'e' | b'i' | b'm' | b'n' | b'p' | b'r' | b's' | b'v'
    )
}

/// RFC 5802 `value`: 1 or more UTF-8 characters, none of them NUL or `,`.
pub(crate) fn is_attr_value(bytes: &[u8]) -> bool {
    !bytes.is_empty() && value_chars(bytes)
}

/// Walk `bytes` as strict UTF-8 (RFC 3629: no overlong forms, no
/// surrogates, nothing past U+10FFFF) without NUL or `,` (RFC 5802
/// `value`); `false` as soon as the bytes are not such text. A small decoder in
/// place of `core::str::from_utf8`, whose fast path and tables cost several
/// hundred bytes of flash for these cold uses; one non-generic copy shared
/// by the extension check and `e=` (firmware size).
#[inline(never)]
fn value_chars(bytes: &[u8]) -> bool {
    let mut rest = bytes;
    while let [lead, tail @ ..] = rest {
        let (len, min, mut cp) = match *lead {
            0x00 | b',' => return false,
            0x01..=0x7f => (0, 0, u32::from(*lead)),
            0xc0..=0xdf => (1, 0x80, u32::from(lead & 0x1f)),
            0xe0..=0xef => (2, 0x800, u32::from(lead & 0x0f)),
            0xf0..=0xf7 => (3, 0x1_0000, u32::from(lead & 0x07)),
            _ => return false,
        };
        let Some((cont, after)) = tail.split_at_checked(len) else {
            return false;
        };
        for &b in cont {
            if b & 0xc0 != 0x80 {
                return false;
            }
            cp = (cp << 6) | u32::from(b & 0x3f);
        }
        if char::from_u32(cp).is_none() || cp < min {
            return false;
        }
        rest = after;
    }
    true
}

/// RFC 5802 `printable`: 0x21..=0x7E except `,`.
pub(crate) fn is_printable_nonce(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| (0x21..=0x7e).contains(&b) && b != b',')
}

/// A parsed server-first-message.
#[derive(Debug)]
pub struct ServerFirst<'a> {
    /// The combined nonce `r=`.
    pub nonce: &'a [u8],
    /// The salt `s=`, still base64.
    pub salt_b64: &'a [u8],
    /// The iteration count `i=`.
    pub iterations: u32,
}

/// Parse a server-first-message: `r=...,s=...,i=...[,ext]`.
pub fn parse_server_first(msg: &[u8]) -> Result<ServerFirst<'_>, Error> {
    let mut salt = [0u8; MAX_SALT_LEN];
    Ok(parse_server_first_salt(msg, &mut salt)?.0)
}

/// [`parse_server_first`], also returning the salt decoded into `salt`, so
/// that the client decodes it once.
pub(crate) fn parse_server_first_salt<'m, 's>(
    msg: &'m [u8],
    salt: &'s mut [u8; MAX_SALT_LEN],
) -> Result<(ServerFirst<'m>, &'s [u8]), Stop<'m>> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Stop::TooLong);
    }
    if msg.starts_with(b"m=") {
        return Err(Stop::MandatoryExtension);
    }
    if let Some(value) = msg.strip_prefix(b"e=") {
        return Err(Stop::ServerError(value));
    }
    server_first_fields(&mut Attrs::new(msg), salt)
}

/// Why a server-first-message was refused: a few words, unlike [`Error`],
/// so the client's frames hold no `Error` until one is returned.
pub(crate) enum Stop<'m> {
    TooLong,
    Malformed(Fault),
    MandatoryExtension,
    NonceTooLong,
    ServerError(&'m [u8]),
}

impl From<Fault> for Stop<'_> {
    fn from(fault: Fault) -> Self {
        Stop::Malformed(fault)
    }
}

impl From<Ext> for Stop<'_> {
    fn from(ext: Ext) -> Self {
        match ext {
            Ext::Fault(fault) => Stop::Malformed(fault),
            Ext::Mandatory => Stop::MandatoryExtension,
        }
    }
}

impl From<Stop<'_>> for Error {
    #[cold]
    #[inline(never)]
    fn from(stop: Stop<'_>) -> Self {
        match stop {
            Stop::TooLong => {
                Error::Capacity { what: "server-first-message", limit: MAX_MESSAGE_LEN }
            }
            Stop::Malformed(fault) => fault.into_error(ScramMessage::ServerFirst),
            Stop::MandatoryExtension => Error::MandatoryExtension,
            Stop::NonceTooLong => Error::Capacity { what: "server nonce", limit: MAX_NONCE_LEN },
            Stop::ServerError(value) => server_error(ScramMessage::ServerFirst, value),
        }
    }
}

/// The grammar of [`parse_server_first`] past its first bytes.
fn server_first_fields<'m, 's>(
    a: &mut Attrs<'m>,
    salt: &'s mut [u8; MAX_SALT_LEN],
) -> Result<(ServerFirst<'m>, &'s [u8]), Stop<'m>> {
    let nonce_at = a.offset();
    let nonce = a.expect(b'r', "expected `r=` first")?;
    if !is_printable_nonce(nonce) {
        return Err(Stop::Malformed(Fault { rule: NONCE_NOT_PRINTABLE, offset: nonce_at + 2 }));
    }
    if nonce.len() > MAX_NONCE_LEN {
        return Err(Stop::NonceTooLong);
    }
    let salt_at = a.offset();
    let salt_b64 = a.expect(b's', "expected `s=` second")?;
    let salt = decode_b64(salt_b64, salt)
        .ok_or(Fault { rule: "`s=` not base64 of 1-64 B", offset: salt_at + 2 })?;
    let iter_at = a.offset();
    let digits = a.expect(b'i', "expected `i=` third")?;
    let iterations =
        parse_u32(digits).ok_or(Fault { rule: "`i=` not a decimal u32", offset: iter_at + 2 })?;
    a.extensions()?;
    Ok((ServerFirst { nonce, salt_b64, iterations }, salt))
}

/// The verdict of a server-final-message.
#[derive(Debug)]
pub enum ServerFinal<'a> {
    /// `v=`: the server signature, still base64 (checked canonical, 1 to
    /// 64 bytes decoded).
    Verifier(&'a [u8]),
}

/// Parse a server-final-message (RFC 5802: `server-final-message =
/// (server-error / verifier) ["," extensions]`): exactly one `v=<base64>`
/// or one `e=<server-error-value>`, then only extensions whose letters SCRAM
/// does not use. `e=` is returned as [`Error::ServerError`] (see
/// [`ServerErrorText::kind`](crate::mech::scram::ServerErrorText::kind)); a
/// mandatory extension (`m=`) anywhere is [`Error::MandatoryExtension`];
/// anything else (a second `v=`, an `e=` after `v=`, a broken extension) is
/// [`Error::Malformed`]. Only `Ok` lets a client go on to check the
/// signature.
pub fn parse_server_final(msg: &[u8]) -> Result<ServerFinal<'_>, Error> {
    parse_server_final_sig(msg, &mut [0u8; MAX_SALT_LEN]).map(|(v, _)| ServerFinal::Verifier(v))
}

/// [`parse_server_final`], also returning the signature decoded into `sig`,
/// so that the client decodes it once.
pub(crate) fn parse_server_final_sig<'m, 's>(
    msg: &'m [u8],
    sig: &'s mut [u8; MAX_SALT_LEN],
) -> Result<(&'m [u8], &'s [u8]), Error> {
    const MSG: ScramMessage = ScramMessage::ServerFinal;
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Error::Capacity { what: "server-final-message", limit: MAX_MESSAGE_LEN });
    }
    let mut a = Attrs::new(msg);
    let (field, at) = a.field().map_err(|f| f.into_error(MSG))?;
    let verdict = match field {
        [b'v', b'=', v @ ..] => match decode_b64(v, sig) {
            Some(decoded) => Ok((v, decoded)),
            None => {
                return Err(Error::Malformed {
                    message: MSG,
                    rule: "`v=` not base64 of 1-64 B",
                    offset: at + 2,
                });
            }
        },
        [b'e', b'=', value @ ..] => {
            // A malformed `e=` stops here; a well-formed one is the verdict
            // once the extensions after it are checked.
            let error = server_error(MSG, value);
            if matches!(error, Error::Malformed { .. }) {
                return Err(error);
            }
            Err(error)
        }
        [b'm' | b'M', b'=', ..] => return Err(Error::MandatoryExtension),
        _ => {
            return Err(Error::Malformed {
                message: MSG,
                rule: "expected `v=` or `e=`",
                offset: at,
            });
        }
    };
    a.extensions().map_err(|e| e.into_error(MSG))?;
    verdict
}

/// The RFC 5802 `server-error-value`s, typed: what a SCRAM peer's `e=`
/// says went wrong, so that callers branch on a value instead of comparing
/// strings. Get it from [`Error::ServerError`] with
/// [`ServerErrorText::kind`](crate::mech::scram::ServerErrorText::kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ServerErrorKind<'a> {
    /// `invalid-encoding`: the server could not parse our message.
    InvalidEncoding,
    /// `extensions-not-supported`: we sent an extension it does not know.
    ExtensionsNotSupported,
    /// `invalid-proof`: wrong password (or, on some servers, unknown user).
    InvalidProof,
    /// `channel-bindings-dont-match`: the `c=` attribute did not verify.
    ChannelBindingsDontMatch,
    /// `server-does-support-channel-binding`: we sent `y`, but it binds.
    ServerDoesSupportChannelBinding,
    /// `channel-binding-not-supported`: we asked for channel binding.
    ChannelBindingNotSupported,
    /// `unsupported-channel-binding-type`: it does not know our `p=` type.
    UnsupportedChannelBindingType,
    /// `unknown-user`: no such user (servers that admit it).
    UnknownUser,
    /// `invalid-username-encoding`: the `n=` name is not valid saslname.
    InvalidUsernameEncoding,
    /// `no-resources`: the server is out of resources; try again later.
    NoResources,
    /// `other-error`: the server names no reason.
    OtherError,
    /// Any other value (RFC 5802 `server-error-value-ext`), as sent.
    Unrecognized(&'a str),
}

impl<'a> ServerErrorKind<'a> {
    /// The kind of an `e=` value: one of the RFC's names (compared exactly,
    /// as the RFC spells them), or [`ServerErrorKind::Unrecognized`].
    pub fn from_value(value: &'a str) -> Self {
        match value {
            "invalid-encoding" => Self::InvalidEncoding,
            "extensions-not-supported" => Self::ExtensionsNotSupported,
            "invalid-proof" => Self::InvalidProof,
            "channel-bindings-dont-match" => Self::ChannelBindingsDontMatch,
            "server-does-support-channel-binding" => Self::ServerDoesSupportChannelBinding,
            "channel-binding-not-supported" => Self::ChannelBindingNotSupported,
            "unsupported-channel-binding-type" => Self::UnsupportedChannelBindingType,
            "unknown-user" => Self::UnknownUser,
            "invalid-username-encoding" => Self::InvalidUsernameEncoding,
            "no-resources" => Self::NoResources,
            "other-error" => Self::OtherError,
            other => Self::Unrecognized(other),
        }
    }

    /// The value as it goes on the wire (`e=<this>`).
    pub const fn as_str(&self) -> &'a str {
        match self {
            Self::InvalidEncoding => "invalid-encoding",
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::InvalidProof => "invalid-proof",
            Self::ChannelBindingsDontMatch => "channel-bindings-dont-match",
            Self::ServerDoesSupportChannelBinding => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported => "channel-binding-not-supported",
            Self::UnsupportedChannelBindingType => "unsupported-channel-binding-type",
            Self::UnknownUser => "unknown-user",
            Self::InvalidUsernameEncoding => "invalid-username-encoding",
            Self::NoResources => "no-resources",
            Self::OtherError => "other-error",
            Self::Unrecognized(text) => text,
        }
    }
}

/// [`Error::ServerError`] for an `e=` value, or [`Error::Malformed`] if the
/// value is not 1 to [`MAX_SERVER_ERROR_LEN`] bytes of UTF-8 without NUL
/// or `,`.
#[cold]
#[inline(never)]
fn server_error(msg: ScramMessage, value: &[u8]) -> Error {
    match server_error_text(value) {
        Some(text) => Error::ServerError(text),
        None => malformed_server_error(msg),
    }
}

#[cold]
fn malformed_server_error(message: ScramMessage) -> Error {
    Error::Malformed { message, rule: "`e=` not 1-48 B UTF-8 without NUL or `,`", offset: 2 }
}

/// `bytes` as text if it is 1 to [`MAX_SERVER_ERROR_LEN`] bytes of valid
/// UTF-8 (see [`value_chars`]) without NUL or `,` (RFC 5802 `value`).
fn server_error_text(bytes: &[u8]) -> Option<ServerErrorText> {
    if bytes.is_empty() || bytes.len() > MAX_SERVER_ERROR_LEN {
        return None;
    }
    value_chars(bytes).then_some(())?;
    ServerErrorText::from_checked_utf8(bytes)
}

/// A parsed client-first-message (server side).
#[derive(Debug)]
pub struct ClientFirst<'a> {
    /// `client-first-message-bare`, kept verbatim for the AuthMessage.
    pub bare: &'a [u8],
    /// The username as sent (still `=2C`/`=3D` escaped).
    pub username_escaped: &'a [u8],
    /// The client nonce.
    pub nonce: &'a [u8],
}

/// Parse a client-first-message: `n,,n=<saslname>,r=<nonce>[,ext]`.
///
/// A gs2 header of `y,,` is accepted (the client could bind but thinks we
/// cannot, which is true); `p=` is [`Error::ChannelBindingNotSupported`]; an
/// authzid is rejected because MongoDB never sends one.
pub fn parse_client_first(msg: &[u8]) -> Result<ClientFirst<'_>, Error> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Error::Capacity { what: "client-first-message", limit: MAX_MESSAGE_LEN });
    }
    let mut a = Attrs::new(msg);
    let m = |f: Fault| f.into_error(ScramMessage::ClientFirst);
    let (flag, at) = a.field().map_err(m)?;
    match flag {
        b"n" | b"y" => {}
        [b'p', b'=', ..] => return Err(Error::ChannelBindingNotSupported),
        _ => {
            return Err(Error::Malformed {
                message: ScramMessage::ClientFirst,
                rule: "gs2 flag not `n`, `y` or `p=`",
                offset: at,
            });
        }
    }
    let (authzid, at) = a.field().map_err(m)?;
    if !authzid.is_empty() {
        return Err(Error::Malformed {
            message: ScramMessage::ClientFirst,
            rule: "authzid unsupported",
            offset: at,
        });
    }
    let bare_start = a.offset();
    let bare = msg.get(bare_start..).unwrap_or(&[]);
    if bare.starts_with(b"m=") {
        return Err(Error::MandatoryExtension);
    }
    let user_at = a.offset();
    let username_escaped = a.expect(b'n', "expected `n=`").map_err(m)?;
    if unescape_username(username_escaped, &mut [0u8; MAX_MESSAGE_LEN]).is_none() {
        return Err(Error::Malformed {
            message: ScramMessage::ClientFirst,
            rule: "`n=` not UTF-8 with `=2C`/`=3D`",
            offset: user_at + 2,
        });
    }
    let nonce_at = a.offset();
    let nonce = a.expect(b'r', "expected `r=`").map_err(m)?;
    if !is_printable_nonce(nonce) {
        return Err(Error::Malformed {
            message: ScramMessage::ClientFirst,
            rule: NONCE_NOT_PRINTABLE,
            offset: nonce_at + 2,
        });
    }
    a.extensions().map_err(|e| e.into_error(ScramMessage::ClientFirst))?;
    Ok(ClientFirst { bare, username_escaped, nonce })
}

/// A parsed client-final-message (server side).
#[derive(Debug)]
pub struct ClientFinal<'a> {
    /// The message up to (not including) `,p=`: part of the AuthMessage.
    pub without_proof: &'a [u8],
    /// The channel-binding attribute `c=`, base64.
    pub channel_binding: &'a [u8],
    /// The combined nonce `r=`.
    pub nonce: &'a [u8],
    /// The proof `p=`, base64.
    pub proof_b64: &'a [u8],
}

/// Parse a client-final-message: `c=<b64>,r=<nonce>[,ext],p=<proof>`.
pub fn parse_client_final(msg: &[u8]) -> Result<ClientFinal<'_>, Error> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Error::Capacity { what: "client-final-message", limit: MAX_MESSAGE_LEN });
    }
    let mut a = Attrs::new(msg);
    let m = |f: Fault| f.into_error(ScramMessage::ClientFinal);
    let channel_binding = a.expect(b'c', "expected `c=` first").map_err(m)?;
    let nonce = a.expect(b'r', "expected `r=` second").map_err(m)?;
    // The proof is the last attribute; anything between is an extension.
    let mut without_proof_end = a.offset();
    loop {
        let (field, at) = a.field().map_err(m)?;
        match field {
            [b'p', b'=', proof @ ..] if a.is_empty() && !proof.is_empty() => {
                let without_proof = msg.get(..without_proof_end.saturating_sub(1)).unwrap_or(&[]);
                return Ok(ClientFinal { without_proof, channel_binding, nonce, proof_b64: proof });
            }
            [b'm' | b'M', b'=', ..] => return Err(Error::MandatoryExtension),
            [n, b'=', v @ ..]
                if n.is_ascii_alphabetic() && !is_reserved_attribute(*n) && is_attr_value(v) =>
            {
                without_proof_end = a.offset();
            }
            _ => {
                return Err(Error::Malformed {
                    message: ScramMessage::ClientFinal,
                    rule: "expected `p=` last",
                    offset: at,
                });
            }
        }
    }
}

// ---- base64 (RFC 4648 section 4, padded), via `base64ct` ---------------
//
// `base64ct` is constant-time (no secret-dependent lookups) and strict
// (canonical encodings only), which is what proofs and signatures need.

/// Encode `src` as padded base64 into `dst`; `None` if `dst` is too short.
pub(crate) fn encode_b64<'o>(src: &[u8], dst: &'o mut [u8]) -> Option<&'o [u8]> {
    Base64::encode(src, dst).ok().map(str::as_bytes)
}

/// Longest base64 text [`decode_b64`] reads: 64 decoded bytes, the size of
/// every buffer it decodes into.
const MAX_B64_LEN: usize = 4 * MAX_SALT_LEN.div_ceil(3);

/// Decode canonical padded base64 into `out`; `None` when invalid, empty,
/// or longer than `out` (at most 64 bytes).
///
/// `Base64::decode` checks canonicity by re-encoding the last block, which
/// inlines a second copy of `base64ct`'s encoder (about 0.45 KB of flash on
/// a Cortex-M4). Here `base64ct` decodes in place and the result is
/// re-encoded with the one encoder [`encode_b64`] already links: the input is
/// canonical exactly when that gives it back byte for byte.
pub(crate) fn decode_b64<'o>(b64: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let mut buf = [0u8; MAX_B64_LEN];
    let text = buf.get_mut(..b64.len())?;
    text.copy_from_slice(b64);
    let decoded = Base64::decode_in_place(text).ok()?;
    let out = out.get_mut(..decoded.len()).filter(|o| !o.is_empty())?;
    out.copy_from_slice(decoded);
    let canonical = encode_b64(out, &mut buf).is_some_and(|e| e == b64);
    canonical.then_some(out)
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 10 || (digits.len() > 1 && digits.first() == Some(&b'0'))
    {
        return None;
    }
    let mut n: u32 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
    }
    Some(n)
}

/// Escape a username as a SCRAM `saslname` (`,` → `=2C`, `=` → `=3D`),
/// appending to `out`; `false` if it does not fit.
pub(crate) fn escape_username<const N: usize>(
    username: &str,
    out: &mut heapless::Vec<u8, N>,
) -> bool {
    username.as_bytes().iter().all(|&b| {
        let piece: &[u8] = match b {
            b',' => b"=2C",
            b'=' => b"=3D",
            _ => core::slice::from_ref(&b),
        };
        out.extend_from_slice(piece).is_ok()
    })
}

/// Undo `saslname` escaping into `out`; `None` on a stray `=` or bad UTF-8.
pub fn unescape_username<'o>(escaped: &[u8], out: &'o mut [u8]) -> Option<&'o str> {
    let mut n = 0;
    let mut i = 0;
    while let Some(&b) = escaped.get(i) {
        let (byte, step) = match b {
            b'=' => match escaped.get(i + 1..i + 3)? {
                b"2C" => (b',', 3),
                b"3D" => (b'=', 3),
                _ => return None,
            },
            b',' | 0 => return None,
            _ => (b, 1),
        };
        *out.get_mut(n)? = byte;
        n += 1;
        i += step;
    }
    core::str::from_utf8(out.get(..n)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_escape_round_trip() {
        let mut v = heapless::Vec::<u8, 64>::new();
        assert!(escape_username("a=b,c", &mut v));
        assert_eq!(&v[..], b"a=3Db=2Cc");
        let mut out = [0u8; 64];
        assert_eq!(unescape_username(&v, &mut out), Some("a=b,c"));
        assert_eq!(unescape_username(b"a=4", &mut out), None);
        assert_eq!(unescape_username(b"a=", &mut out), None);
    }

    #[test]
    fn server_first_rules() {
        assert!(parse_server_first(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096").is_ok());
        assert!(parse_server_first(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096,").is_err());
        assert!(parse_server_first(b"r=abc,s=QSXCR+Q6sek8bf92,i=04096").is_err());
        assert!(parse_server_first(b"r=abc,i=4096,s=QSXCR+Q6sek8bf92").is_err());
        assert_eq!(
            parse_server_first(b"m=x,r=abc,s=QSXCR+Q6sek8bf92,i=4096").err(),
            Some(Error::MandatoryExtension)
        );
        assert_eq!(
            parse_server_first(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096,m=x").err(),
            Some(Error::MandatoryExtension)
        );
        assert!(parse_server_first(b"r=abc,s=,i=4096").is_err());
        assert!(parse_server_first(b"r=abc,s=!!!!,i=4096").is_err());
    }

    #[test]
    fn decode_b64_matches_base64ct_decode() {
        // Every 4- and 8-character text over an alphabet with padding,
        // non-canonical endings and invalid bytes; the longest salt and
        // one byte more.
        let alphabet = b"AQRgw+/=!";
        let mut longest = [b'A'; 92];
        longest[86..88].copy_from_slice(b"==");
        for t in [&longest[..88], &[b'A'; 92][..]] {
            let mut a = [0u8; 64];
            let mut b = [0u8; 64];
            let want = Base64::decode(t, &mut b).ok().filter(|d| !d.is_empty());
            assert_eq!(decode_b64(t, &mut a), want);
        }
        assert_eq!(decode_b64(&longest[..88], &mut [0u8; 64]).map(<[u8]>::len), Some(64));
        // Under Miri (about a million times slower) every 61st text, a few
        // hundred, still through every branch: Miri looks for undefined
        // behaviour, the native run proves the equivalence.
        let stride = if cfg!(miri) { 61 } else { 1 };
        for n in (0..alphabet.len().pow(4)).step_by(stride) {
            for prefix in [&b""[..], b"QUJD"] {
                let mut t = heapless::Vec::<u8, 8>::new();
                let _ = t.extend_from_slice(prefix);
                let mut k = n;
                for _ in 0..4 {
                    let _ = t.push(alphabet[k % alphabet.len()]);
                    k /= alphabet.len();
                }
                let mut a = [0u8; 64];
                let mut b = [0u8; 64];
                let want = Base64::decode(&t, &mut b).ok().filter(|d| !d.is_empty());
                assert_eq!(decode_b64(&t, &mut a), want, "{t:?}");
            }
        }
    }

    #[test]
    fn server_error_text_is_strict_utf8_without_comma_or_nul() {
        let long = [b'x'; 49];
        let cases: [&[u8]; 18] = [
            b"invalid-proof",
            b"",
            b"a,b",
            "\u{e9}t\u{e9} \u{20ac} \u{1F600} \u{10FFFF}".as_bytes(),
            b"\xc0\x80",
            b"\xe0\x80\x80",
            b"\xf0\x80\x80\x80",
            b"\xed\xa0\x80",
            b"\xf4\x90\x80\x80",
            b"\xf5\x80\x80\x80",
            b"\xc3",
            b"\xe2\x82",
            b"\x80",
            b"\xff",
            b"\x00\x7f",
            &long[..48],
            &long,
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}x".as_bytes(),
        ];
        for bytes in cases {
            let want = core::str::from_utf8(bytes)
                .ok()
                .filter(|t| (1..=MAX_SERVER_ERROR_LEN).contains(&t.len()))
                .filter(|t| !t.contains(',') && !t.contains('\0'));
            let got = server_error_text(bytes);
            assert_eq!(got.as_ref().map(ServerErrorText::as_str), want, "{bytes:?}");
        }
    }

    #[test]
    fn server_final_grammar() {
        const V: &[u8] = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
        let with = |tail: &[u8]| [V, tail].concat();
        assert!(matches!(parse_server_final(V), Ok(ServerFinal::Verifier(_))));
        assert!(parse_server_final(&with(b",x=ext")).is_ok());
        assert!(parse_server_final(&with(b",x=a=b,Y=\xc3\xa9")).is_ok());
        for tail in [&b",m=ext"[..], b",M=ext", b",x=1,m=2"] {
            assert_eq!(parse_server_final(&with(tail)).err(), Some(Error::MandatoryExtension));
        }
        for tail in [
            &b",e=other-error"[..],
            b",v=AAAA",
            b",V=AAAA",
            b",E=x",
            b",r=abc",
            b",x=",
            b",x",
            b",",
            b",1=a",
            b",x=a\0b",
            b",x=\xff",
            b",xy=a",
            b"x",
        ] {
            assert!(
                matches!(parse_server_final(&with(tail)), Err(Error::Malformed { .. })),
                "{tail:?}"
            );
        }
        assert!(matches!(parse_server_final(b"v=AAA"), Err(Error::Malformed { offset: 2, .. })));
        assert!(matches!(parse_server_final(b"v="), Err(Error::Malformed { .. })));
        assert!(matches!(parse_server_final(b""), Err(Error::Malformed { .. })));
        let e = parse_server_final(b"e=invalid-proof").err();
        let Some(Error::ServerError(text)) = e else { panic!("{e:?}") };
        assert_eq!(text.kind(), ServerErrorKind::InvalidProof);
        let e = parse_server_final(b"e=invalid-proof,x=1").err();
        assert!(matches!(e, Some(Error::ServerError(_))));
        for bad in [&b"e=invalid-proof,v=AAAA"[..], b"e=a,e=b", b"e=", b"e=a\0"] {
            assert!(matches!(parse_server_final(bad), Err(Error::Malformed { .. })), "{bad:?}");
        }
    }

    #[test]
    fn server_error_kinds_round_trip() {
        for value in [
            "invalid-encoding",
            "extensions-not-supported",
            "invalid-proof",
            "channel-bindings-dont-match",
            "server-does-support-channel-binding",
            "channel-binding-not-supported",
            "unsupported-channel-binding-type",
            "unknown-user",
            "invalid-username-encoding",
            "no-resources",
            "other-error",
        ] {
            let kind = ServerErrorKind::from_value(value);
            assert!(!matches!(kind, ServerErrorKind::Unrecognized(_)), "{value}");
            assert_eq!(kind.as_str(), value);
        }
        assert_eq!(
            ServerErrorKind::from_value("Invalid-Proof"),
            ServerErrorKind::Unrecognized("Invalid-Proof")
        );
        assert_eq!(ServerErrorKind::from_value("x=y").as_str(), "x=y");
    }

    #[test]
    fn extensions_in_every_message() {
        // A reserved letter as an extension, or a broken value, is refused.
        assert!(parse_server_first(b"r=abc,s=QSXCR+Q6sek8bf92,i=4096,x=1").is_ok());
        for tail in [&b",r=abc"[..], b",i=1", b",s=QQ==", b",v=AAAA", b",x=a\0"] {
            let m = [&b"r=abc,s=QSXCR+Q6sek8bf92,i=4096"[..], tail].concat();
            assert!(matches!(parse_server_first(&m), Err(Error::Malformed { .. })), "{tail:?}");
        }
        assert!(parse_client_first(b"n,,n=user,r=abcd,x=ext").is_ok());
        for tail in [&b",r=efgh"[..], b",n=other", b",p=AAAA", b",x=\xc0\x80"] {
            let m = [&b"n,,n=user,r=abcd"[..], tail].concat();
            assert!(matches!(parse_client_first(&m), Err(Error::Malformed { .. })), "{tail:?}");
        }
        assert_eq!(
            parse_client_first(b"n,,n=user,r=abcd,m=x").err(),
            Some(Error::MandatoryExtension)
        );
        assert!(parse_client_final(b"c=biws,r=abc,x=1,p=AAAA").is_ok());
        for ext in [&b"c=biws"[..], b"r=abd", b"s=QQ==", b"x=\0"] {
            let m = [&b"c=biws,r=abc,"[..], ext, b",p=AAAA"].concat();
            assert!(matches!(parse_client_final(&m), Err(Error::Malformed { .. })), "{ext:?}");
        }
        assert_eq!(
            parse_client_final(b"c=biws,r=abc,M=1,p=AAAA").err(),
            Some(Error::MandatoryExtension)
        );
    }

    #[test]
    fn client_final_split() {
        let m = parse_client_final(b"c=biws,r=abc,p=AAAA").ok();
        let m = m.as_ref();
        assert_eq!(m.map(|m| m.without_proof), Some(&b"c=biws,r=abc"[..]));
        assert_eq!(m.map(|m| m.proof_b64), Some(&b"AAAA"[..]));
        assert!(parse_client_final(b"c=biws,r=abc").is_err());
        assert!(parse_client_final(b"c=biws,r=abc,p=AAAA,x=1").is_err());
    }
}
