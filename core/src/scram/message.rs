//! The SCRAM message grammar (RFC 5802 section 7), parse and write, kept
//! apart from the state machines: the states receive typed messages and
//! never look at commas themselves.
//!
//! Parsing is strict: attributes in the RFC's order, no empty values, no
//! duplicates, printable nonces, canonical base64. Every error names the
//! message, the rule and the byte offset.

use base64ct::{Base64, Encoding};

use crate::error::{Error, ScramMessage, ServerErrorText};

/// Longest SCRAM message, in either direction, that this crate reads or
/// writes. Real messages are under 300 bytes.
pub const MAX_MESSAGE_LEN: usize = 1024;
/// Longest combined (client + server) nonce accepted from a peer.
pub const MAX_NONCE_LEN: usize = 256;
/// Longest decoded salt accepted from a server (mongod uses 16 or 28 bytes).
pub const MAX_SALT_LEN: usize = 128;

/// A cursor over one message's attributes (`a=value` separated by `,`),
/// tracking the byte offset for errors.
pub(crate) struct Attrs<'a> {
    msg: ScramMessage,
    rest: &'a [u8],
    offset: usize,
}

impl<'a> Attrs<'a> {
    pub(crate) fn new(msg: ScramMessage, bytes: &'a [u8]) -> Self {
        Attrs { msg, rest: bytes, offset: 0 }
    }

    pub(crate) fn err(&self, rule: &'static str) -> Error {
        Error::Malformed { message: self.msg, rule, offset: self.offset }
    }

    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Take the next comma-separated field (possibly empty), consuming the comma.
    pub(crate) fn field(&mut self) -> Result<(&'a [u8], usize), Error> {
        let start = self.offset;
        if self.rest.is_empty() {
            return Err(self.err("unexpected end of message"));
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
            return Err(self.err("message ends with a comma"));
        }
        self.rest = rest;
        self.offset = start + consumed;
        Ok((field, start))
    }

    /// Take the next field, which must be `name=value` with a non-empty value.
    pub(crate) fn expect(&mut self, name: u8, rule: &'static str) -> Result<&'a [u8], Error> {
        let (field, at) = self.field()?;
        match field {
            [n, b'=', value @ ..] if *n == name && !value.is_empty() => Ok(value),
            _ => Err(Error::Malformed { message: self.msg, rule, offset: at }),
        }
    }

    /// Check the remaining optional extensions: each must be `a=value`.
    /// Returns whether a mandatory extension (`m=`) was present.
    pub(crate) fn extensions(&mut self) -> Result<bool, Error> {
        let mut mandatory = false;
        while !self.is_empty() {
            let (field, at) = self.field()?;
            match field {
                [n, b'=', value @ ..] if n.is_ascii_alphabetic() && !value.is_empty() => {
                    if *n == b'm' {
                        mandatory = true;
                    }
                }
                _ => {
                    return Err(Error::Malformed {
                        message: self.msg,
                        rule: "extension must be `<letter>=<value>`",
                        offset: at,
                    });
                }
            }
        }
        Ok(mandatory)
    }
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
    let mut a = Attrs::new(ScramMessage::ServerFirst, msg);
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Error::Capacity { what: "server-first-message", limit: MAX_MESSAGE_LEN });
    }
    if msg.starts_with(b"m=") {
        return Err(Error::MandatoryExtension);
    }
    if msg.starts_with(b"e=") {
        return Err(server_error(ScramMessage::ServerFirst, msg.get(2..).unwrap_or(&[]))?);
    }
    let nonce_at = a.offset();
    let nonce = a.expect(b'r', "expected attribute `r=` (nonce) first")?;
    if !is_printable_nonce(nonce) {
        return Err(Error::Malformed {
            message: ScramMessage::ServerFirst,
            rule: "nonce must be printable ASCII without `,`",
            offset: nonce_at + 2,
        });
    }
    if nonce.len() > MAX_NONCE_LEN {
        return Err(Error::Capacity { what: "server nonce", limit: MAX_NONCE_LEN });
    }
    let salt_at = a.offset();
    let salt_b64 = a.expect(b's', "expected attribute `s=` (salt) second")?;
    let mut salt = [0u8; MAX_SALT_LEN];
    if decode_b64(salt_b64, &mut salt).is_none() {
        return Err(Error::Malformed {
            message: ScramMessage::ServerFirst,
            rule: "salt is not valid base64 or exceeds 128 bytes",
            offset: salt_at + 2,
        });
    }
    let iter_at = a.offset();
    let digits = a.expect(b'i', "expected attribute `i=` (iteration count) third")?;
    let iterations = parse_u32(digits).ok_or(Error::Malformed {
        message: ScramMessage::ServerFirst,
        rule: "iteration count must be a decimal integer below 2^32",
        offset: iter_at + 2,
    })?;
    if a.extensions()? {
        return Err(Error::MandatoryExtension);
    }
    Ok(ServerFirst { nonce, salt_b64, iterations })
}

/// The verdict of a server-final-message.
#[derive(Debug)]
pub enum ServerFinal<'a> {
    /// `v=`: the server signature, still base64.
    Verifier(&'a [u8]),
}

/// Parse a server-final-message: `v=<b64>[,ext]` or `e=<error>` (returned as
/// [`Error::ServerError`]).
pub fn parse_server_final(msg: &[u8]) -> Result<ServerFinal<'_>, Error> {
    if msg.len() > MAX_MESSAGE_LEN {
        return Err(Error::Capacity { what: "server-final-message", limit: MAX_MESSAGE_LEN });
    }
    let mut a = Attrs::new(ScramMessage::ServerFinal, msg);
    if msg.starts_with(b"e=") {
        let (field, _) = a.field()?;
        return Err(server_error(ScramMessage::ServerFinal, field.get(2..).unwrap_or(&[]))?);
    }
    let v = a.expect(b'v', "expected `v=` (verifier) or `e=` (error)")?;
    a.extensions()?;
    Ok(ServerFinal::Verifier(v))
}

fn server_error(msg: ScramMessage, value: &[u8]) -> Result<Error, Error> {
    let text = core::str::from_utf8(value)
        .ok()
        .filter(|t| !t.is_empty() && !t.contains(','))
        .and_then(ServerErrorText::new)
        .ok_or(Error::Malformed {
            message: msg,
            rule: "server-error-value must be 1 to 64 bytes of UTF-8 without `,`",
            offset: 2,
        })?;
    Ok(Error::ServerError(text))
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
    let mut a = Attrs::new(ScramMessage::ClientFirst, msg);
    let (flag, at) = a.field()?;
    match flag {
        b"n" | b"y" => {}
        [b'p', b'=', ..] => return Err(Error::ChannelBindingNotSupported),
        _ => {
            return Err(Error::Malformed {
                message: ScramMessage::ClientFirst,
                rule: "gs2 header must start with `n`, `y` or `p=`",
                offset: at,
            });
        }
    }
    let (authzid, at) = a.field()?;
    if !authzid.is_empty() {
        return Err(Error::Malformed {
            message: ScramMessage::ClientFirst,
            rule: "authzid is not supported",
            offset: at,
        });
    }
    let bare_start = a.offset();
    let bare = msg.get(bare_start..).unwrap_or(&[]);
    if bare.starts_with(b"m=") {
        return Err(Error::MandatoryExtension);
    }
    let user_at = a.offset();
    let username_escaped = a.expect(b'n', "expected attribute `n=` (username)")?;
    if unescape_username(username_escaped, &mut [0u8; MAX_MESSAGE_LEN]).is_none() {
        return Err(Error::Malformed {
            message: ScramMessage::ClientFirst,
            rule: "username must be UTF-8 with `=` only in `=2C` or `=3D`",
            offset: user_at + 2,
        });
    }
    let nonce_at = a.offset();
    let nonce = a.expect(b'r', "expected attribute `r=` (nonce)")?;
    if !is_printable_nonce(nonce) {
        return Err(Error::Malformed {
            message: ScramMessage::ClientFirst,
            rule: "nonce must be printable ASCII without `,`",
            offset: nonce_at + 2,
        });
    }
    if a.extensions()? {
        return Err(Error::MandatoryExtension);
    }
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
    let mut a = Attrs::new(ScramMessage::ClientFinal, msg);
    let channel_binding = a.expect(b'c', "expected attribute `c=` (channel binding) first")?;
    let nonce = a.expect(b'r', "expected attribute `r=` (nonce) second")?;
    // The proof is the last attribute; anything between is an extension.
    let mut without_proof_end = a.offset();
    loop {
        let (field, at) = a.field()?;
        match field {
            [b'p', b'=', proof @ ..] if a.is_empty() && !proof.is_empty() => {
                let without_proof = msg.get(..without_proof_end.saturating_sub(1)).unwrap_or(&[]);
                return Ok(ClientFinal { without_proof, channel_binding, nonce, proof_b64: proof });
            }
            [b'm', b'=', ..] => return Err(Error::MandatoryExtension),
            [n, b'=', v @ ..] if n.is_ascii_alphabetic() && *n != b'p' && !v.is_empty() => {
                without_proof_end = a.offset();
            }
            _ => {
                return Err(Error::Malformed {
                    message: ScramMessage::ClientFinal,
                    rule: "expected extensions, then `p=` (proof) last",
                    offset: at,
                });
            }
        }
    }
}

/// Decode canonical base64 into `out`; `None` when invalid or too long.
pub(crate) fn decode_b64<'o>(b64: &[u8], out: &'o mut [u8]) -> Option<&'o [u8]> {
    let s = core::str::from_utf8(b64).ok()?;
    let decoded = Base64::decode(s, out).ok()?;
    if decoded.is_empty() { None } else { Some(decoded) }
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
/// appending to `out`.
pub(crate) fn escape_username<const N: usize>(
    username: &str,
    out: &mut heapless::Vec<u8, N>,
    limit_what: &'static str,
) -> Result<(), Error> {
    let cap = Error::Capacity { what: limit_what, limit: N };
    for &b in username.as_bytes() {
        let piece: &[u8] = match b {
            b',' => b"=2C",
            b'=' => b"=3D",
            _ => core::slice::from_ref(&b),
        };
        out.extend_from_slice(piece).map_err(|_| cap.clone())?;
    }
    Ok(())
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
        escape_username("a=b,c", &mut v, "username").ok();
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
    fn client_final_split() {
        let m = parse_client_final(b"c=biws,r=abc,p=AAAA").ok();
        let m = m.as_ref();
        assert_eq!(m.map(|m| m.without_proof), Some(&b"c=biws,r=abc"[..]));
        assert_eq!(m.map(|m| m.proof_b64), Some(&b"AAAA"[..]));
        assert!(parse_client_final(b"c=biws,r=abc").is_err());
        assert!(parse_client_final(b"c=biws,r=abc,p=AAAA,x=1").is_err());
    }
}
