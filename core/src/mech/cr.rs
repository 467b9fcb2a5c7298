//! MONGODB-CR, the challenge-response login of MongoDB 2.x (feature
//! `mongodb-cr`, off by default). Removed from MongoDB 4.0 and from the
//! auth spec; kept for old deployments, and the firmware that still talks
//! to them.
//!
//! Two ordinary commands on the authentication database:
//! `{getnonce: 1}` → `{nonce: "<hex>", ok: 1}`, then
//! `{authenticate: 1, user, nonce, key}` with
//! `key = hex(MD5(nonce + user + hex(MD5(user ":mongo:" password))))`.
//! The inner digest is the one SCRAM-SHA-1 derives its keys from
//! ([`crate::crypto::mongodb_sha1_password_digest`]), and it is
//! password-equivalent: a server that verifies MONGODB-CR must keep it,
//! which is why the feature is off by default.
//!
//! Parse-only helpers here (no allocation); the conversation itself runs in
//! [`crate::client::Authenticator`] and [`crate::server::ServerSession`].

use md5::Digest;
use zeroize::{Zeroize, Zeroizing};

use crate::codec::bson::{DocWriter, Document};
use crate::codec::wire::{self, CommandError, WireError, WriteBody, check_ok};
use crate::crypto::{ct_eq, hex_digit, mongodb_sha1_password_digest};
use crate::reader::Reader;

/// The mechanism name (`authMechanism=MONGODB-CR`).
pub const MECHANISM: &str = "MONGODB-CR";
/// Length of the nonce this crate's server hands out: 16 lowercase hex
/// characters (8 random bytes), as mongod's.
pub const NONCE_LEN: usize = 16;
/// Longest nonce the client accepts from a server, in bytes (mongod's are
/// 16); a longer one is an error, never cut.
pub const MAX_NONCE_LEN: usize = 64;
/// The first `maxWireVersion` (3, MongoDB 3.0) whose servers have SCRAM-SHA-1:
/// a client with no mechanism configured picks MONGODB-CR below it, as the
/// 3.x drivers did.
pub const SCRAM_MIN_WIRE_VERSION: i32 = 3;
/// Length of a key: 32 lowercase hex characters (an MD5).
pub const KEY_LEN: usize = 32;
/// Length of the hex password digest (an MD5).
pub const DIGEST_LEN: usize = 32;

/// A key (lowercase hex ASCII), wiped on drop.
pub type Key = Zeroizing<[u8; KEY_LEN]>;

/// `hex(MD5(user ":mongo:" password))`: the password-equivalent digest a
/// server keeps (shared with SCRAM-SHA-1). Wiped on drop.
pub fn password_digest(user: &str, password: &str) -> Zeroizing<[u8; DIGEST_LEN]> {
    let mut out = Zeroizing::new([0u8; DIGEST_LEN]);
    mongodb_sha1_password_digest(user, password.as_bytes(), &mut out);
    out
}

/// `hex(MD5(nonce + user + digest))`, from the stored digest (what a server
/// computes).
pub fn key_from_digest(nonce: &str, user: &str, digest: &[u8; DIGEST_LEN]) -> Key {
    let mut h = md5::Md5::new();
    h.update(nonce.as_bytes());
    h.update(user.as_bytes());
    h.update(digest);
    let mut d: [u8; 16] = h.finalize().into();
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    for (pair, byte) in out.chunks_exact_mut(2).zip(d.iter()) {
        if let [hi, lo] = pair {
            *hi = hex_digit(byte >> 4);
            *lo = hex_digit(byte & 0x0f);
        }
    }
    d.zeroize();
    out
}

/// The key a client sends, from the password.
pub fn client_key(nonce: &str, user: &str, password: &str) -> Key {
    key_from_digest(nonce, user, &password_digest(user, password))
}

/// Compare a received key to the expected one in constant time (the
/// comparison is case-sensitive: keys are lowercase hex).
pub fn verify_key(expected: &[u8; KEY_LEN], received: &[u8]) -> bool {
    ct_eq(expected, received)
}

/// A server nonce from 8 random bytes: 16 lowercase hex characters.
pub fn nonce_from_random(random: &[u8; NONCE_LEN / 2]) -> [u8; NONCE_LEN] {
    let mut out = [0u8; NONCE_LEN];
    for (pair, byte) in out.chunks_exact_mut(2).zip(random.iter()) {
        if let [hi, lo] = pair {
            *hi = hex_digit(byte >> 4);
            *lo = hex_digit(byte & 0x0f);
        }
    }
    out
}

fn invalid(field: &'static str, offset: usize, rule: &'static str) -> WireError {
    WireError::InvalidField { field, offset, rule }
}

/// Check that `doc`'s first key is `name`.
fn expect_first(doc: &Document<'_>, name: &str, expected: &'static str) -> Result<(), WireError> {
    match doc.first() {
        Some(e) if e.key == name => Ok(()),
        Some(e) => Err(WireError::UnexpectedCommand { expected, offset: e.offset }),
        None => Err(WireError::UnexpectedCommand { expected, offset: doc.offset() }),
    }
}

/// `{getnonce: 1, $db}`: the first command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GetNonce<'a> {
    /// The authentication database.
    pub db: &'a str,
}

impl WriteBody for GetNonce<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.int32("getnonce", 1).string("$db", self.db);
    }
}

/// The `getnonce` reply: `{nonce: "<hex>", ok: 1}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GetNonceReply<'a> {
    /// The server's nonce (non-empty, printable ASCII, at most
    /// [`MAX_NONCE_LEN`] bytes).
    pub nonce: &'a str,
}

impl<'a> GetNonceReply<'a> {
    /// Read a `getnonce` reply: `Ok(Err(_))` for `ok: 0`.
    ///
    /// # Errors
    /// A malformed `ok`; a missing or non-string `nonce`; an empty one, one
    /// over [`MAX_NONCE_LEN`] bytes, or one with a byte outside printable
    /// ASCII.
    pub fn parse(doc: Document<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        if let Err(e) = check_ok(&doc)? {
            return Ok(Err(e));
        }
        let nonce = doc.get_str("nonce")?;
        let offset = doc.get_element("nonce").map_or(0, |e| e.offset);
        if nonce.is_empty() {
            return Err(invalid("nonce", offset, "must not be empty"));
        }
        if nonce.len() > MAX_NONCE_LEN {
            return Err(invalid("nonce", offset, "longer than MAX_NONCE_LEN"));
        }
        if !nonce.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid("nonce", offset, "must be printable ASCII"));
        }
        Ok(Ok(Self { nonce }))
    }
}

impl WriteBody for GetNonceReply<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.string("nonce", self.nonce).double("ok", 1.0);
    }
}

/// `{authenticate: 1, user, nonce, key, $db}`: the second command. Old
/// drivers send no `mechanism` field; a `mechanism` other than
/// [`MECHANISM`] is not this command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authenticate<'a> {
    /// The username.
    pub user: &'a str,
    /// The nonce from `getnonce`.
    pub nonce: &'a str,
    /// The key (32 lowercase hex characters).
    pub key: &'a str,
    /// The authentication database.
    pub db: &'a str,
}

impl<'a> Authenticate<'a> {
    /// Read an `authenticate` command (server side); `db` is its `$db` (or
    /// the OP_QUERY collection's database).
    ///
    /// # Errors
    /// Another command; a `mechanism` other than MONGODB-CR; a missing or
    /// non-string `user`, `nonce` or `key`; a `key` that is not
    /// [`KEY_LEN`] bytes.
    pub fn parse(doc: Document<'a>, db: &'a str) -> Result<Self, WireError> {
        expect_first(&doc, "authenticate", "authenticate")?;
        if let Some(m) = doc.get_opt::<&str>("mechanism")?
            && m != MECHANISM
        {
            let offset = doc.get_element("mechanism").map_or(0, |e| e.offset);
            return Err(invalid("mechanism", offset, "not MONGODB-CR"));
        }
        let cmd = Self {
            user: doc.get_str("user")?,
            nonce: doc.get_str("nonce")?,
            key: doc.get_str("key")?,
            db,
        };
        if cmd.key.len() != KEY_LEN {
            let offset = doc.get_element("key").map_or(0, |e| e.offset);
            return Err(invalid("key", offset, "must be 32 hex characters"));
        }
        Ok(cmd)
    }
}

impl WriteBody for Authenticate<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.int32("authenticate", 1)
            .string("user", self.user)
            .string("nonce", self.nonce)
            .string("key", self.key)
            .string("$db", self.db);
    }
}

/// The successful `authenticate` reply: `{dbname, user, ok: 1}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthenticateReply<'a> {
    /// The database authenticated against.
    pub dbname: &'a str,
    /// The user.
    pub user: &'a str,
}

impl WriteBody for AuthenticateReply<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.string("dbname", self.dbname).string("user", self.user).double("ok", 1.0);
    }
}

/// Bytes before an OP_QUERY's `fullCollectionName` (header and flags).
const OP_QUERY_PREFIX: usize = wire::HEADER_LEN + 4;
/// Bytes before an OP_REPLY's first document.
const OP_REPLY_PREFIX: usize = wire::HEADER_LEN + 4 + 8 + 4 + 4;

/// Frame a command for a server older than 3.6 (`maxWireVersion` below 6,
/// which has no OP_MSG): an OP_QUERY on `<db>.$cmd` with `numberToReturn`
/// -1 and flags 0, as the 3.x drivers sent it. The database is the body's
/// `$db`, which the command document itself then leaves out. `scratch`
/// holds the body while it is rewritten (as large as the body). Returns the
/// frame's length.
///
/// # Errors
/// A body without a string `$db`; [`WireError::BufferTooSmall`] for `out`
/// or `scratch` with the size needed; a frame over the wire limit.
pub fn encode_op_query(
    request_id: i32,
    body: &impl WriteBody,
    scratch: &mut [u8],
    out: &mut [u8],
) -> Result<usize, WireError> {
    let n = wire::encode_document(body, scratch)?;
    let doc = Document::parse(scratch.get(..n).unwrap_or(&[]))?;
    let db = doc.get_str("$db")?;
    let coll_len = db.len() + ".$cmd".len() + 1;
    let doc_at = OP_QUERY_PREFIX + coll_len + 8;
    let m = {
        let mut w = DocWriter::new(out.get_mut(doc_at..).unwrap_or(&mut []));
        for e in doc.iter().filter(|e| e.key != "$db") {
            w.value(e.key, &e.value);
        }
        match w.finish() {
            Ok(m) => m,
            Err(crate::codec::bson::BsonError::BufferTooSmall(b)) => {
                let required = b.required.saturating_add(doc_at);
                return Err(WireError::BufferTooSmall(crate::BufferTooSmall { required }));
            }
            Err(e) => return Err(e.into()),
        }
    };
    let total = doc_at + m;
    let length = i32::try_from(total)
        .ok()
        .filter(|_| total <= wire::MAX_MESSAGE_SIZE)
        .ok_or(WireError::MessageTooLarge { length: total, limit: wire::MAX_MESSAGE_SIZE })?;
    let prefix = length
        .to_le_bytes()
        .into_iter()
        .chain(request_id.to_le_bytes())
        .chain(0i32.to_le_bytes()) // responseTo
        .chain(wire::OP_QUERY.to_le_bytes())
        .chain(0u32.to_le_bytes()) // flags
        .chain(db.bytes())
        .chain(*b".$cmd\0")
        .chain(0i32.to_le_bytes()) // numberToSkip
        .chain((-1i32).to_le_bytes()); // numberToReturn
    for (dst, src) in out.iter_mut().zip(prefix) {
        *dst = src;
    }
    Ok(total)
}

/// Read an OP_REPLY (the answer to [`encode_op_query`]): the request it
/// answers (`responseTo`) and its single document.
///
/// # Errors
/// A truncated or inconsistent frame, another opcode, a reply with no
/// document or with `QueryFailure`/`CursorNotFound` set, a bad document.
pub fn parse_op_reply(frame: &[u8]) -> Result<(i32, Document<'_>), WireError> {
    let mut r = Reader::new(frame);
    let t = |field, offset| WireError::Truncated { field, offset };
    let (_request_id, response_to) = wire::read_legacy_header(&mut r, frame.len(), wire::OP_REPLY)?;
    let flags = r.u32_le().map_err(|_| t("responseFlags", wire::HEADER_LEN))?;
    if flags & 0b11 != 0 {
        return Err(invalid("responseFlags", wire::HEADER_LEN, "CursorNotFound or QueryFailure"));
    }
    let _cursor = r.i64_le().map_err(|_| t("cursorID", wire::HEADER_LEN + 4))?;
    let _from = r.i32_le().map_err(|_| t("startingFrom", wire::HEADER_LEN + 12))?;
    let returned = r.i32_le().map_err(|_| t("numberReturned", wire::HEADER_LEN + 16))?;
    if returned != 1 {
        return Err(invalid("numberReturned", wire::HEADER_LEN + 16, "must be 1"));
    }
    let doc = Document::parse(frame.get(OP_REPLY_PREFIX..).unwrap_or(&[]))?;
    Ok((response_to, doc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors() {
        assert_eq!(&password_digest("alice", "alicepw")[..], b"200df8306fd34f1b5f8bace054b238e3");
        assert_eq!(
            &client_key("4c980ac90fe62d6c", "alice", "alicepw")[..],
            b"3087e351eaa38bb8d8d9b059a9a6bc59"
        );
        assert_eq!(
            &client_key("2375531c32080ae8", "user", "pencil")[..],
            b"21742f26431831d5cfca035a08c5bdf6"
        );
    }

    #[test]
    fn nonce_is_hex() {
        assert_eq!(
            &nonce_from_random(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]),
            b"0123456789abcdef"
        );
    }
}
