//! OP_MSG framing and the authentication commands and replies, for both ends.
//!
//! * Framing: [`frame_len`] reads a 16-byte header so a streaming reader knows
//!   how much to read (checking the size limits *before* any body is read),
//!   [`parse_op_msg`] checks a whole frame and returns its body [`Document`],
//!   and [`encode_op_msg_with`] writes a frame straight into a caller's buffer.
//! * Client side: [`Hello`], [`SaslStart`], [`SaslContinue`] and
//!   [`Authenticate`] write the commands (and their `speculativeAuthenticate`
//!   forms); [`HelloReply`], [`SaslReply`] and [`AuthenticateReply`] read the
//!   replies.
//! * Server side (for a loopback or test server): every command type also
//!   parses, every reply type also writes, and [`Command`] names an incoming
//!   command.
//!
//! A reply with `ok: 0` is not malformed: reply parsers return
//! `Ok(Err(CommandError))` for it, a borrowed view of `code`, `codeName` and
//! `errmsg` the caller turns into its own error. `Err(WireError)` is kept for
//! bytes that break the protocol.
//!
//! Nothing here allocates: commands are written into the caller's buffer and
//! replies are views into the caller's bytes.

use core::fmt;

use crate::codec::bson::{
    Array, ArrayIter, BINARY_SUBTYPE_GENERIC, BsonError, DocWriter, Document, Integer, Value,
};
use crate::reader::Reader;

/// The OP_MSG opcode, the only one this crate speaks (MongoDB 3.6+; the auth
/// spec now requires OP_MSG for every auth command).
pub const OP_MSG: i32 = 2013;

/// Size of the standard message header (messageLength, requestID,
/// responseTo, opCode).
pub const HEADER_LEN: usize = 16;

/// The smallest OP_MSG: header, flagBits, one kind-0 section holding `{}`.
pub const MIN_MESSAGE_LEN: usize = HEADER_LEN + 4 + 1 + 5;

/// Largest message accepted or written: MongoDB's `maxMessageSizeBytes`
/// (48,000,000). [`frame_len`] rejects a larger header before the body is
/// read; callers with smaller buffers use [`frame_len_in`] to check their own
/// capacity as well.
pub const MAX_MESSAGE_SIZE: usize = 48_000_000;

/// flagBits bit 0: a CRC-32C of the message follows the sections.
pub const FLAG_CHECKSUM_PRESENT: u32 = 1 << 0;
/// flagBits bit 1: the sender will send another message without waiting.
pub const FLAG_MORE_TO_COME: u32 = 1 << 1;
/// flagBits bit 16: the client accepts exhaust replies (optional bit).
pub const FLAG_EXHAUST_ALLOWED: u32 = 1 << 16;

/// Bits 0-15 are "required": a receiver must reject ones it does not know.
const REQUIRED_FLAGS: u32 = 0xFFFF;
const KNOWN_REQUIRED_FLAGS: u32 = FLAG_CHECKSUM_PRESENT | FLAG_MORE_TO_COME;

/// Where the body document starts in frames this crate writes: header,
/// flagBits, section kind byte.
const BODY_OFFSET: usize = HEADER_LEN + 4 + 1;

/// The server error code for a failed login.
pub const AUTHENTICATION_FAILED: i32 = 18;

/// The server's `maxBsonObjectSize` (16 MiB), for hello replies.
pub const DEFAULT_MAX_BSON_OBJECT_SIZE: i32 = 16 * 1024 * 1024;
/// The server's `maxWriteBatchSize`, for hello replies.
pub const DEFAULT_MAX_WRITE_BATCH_SIZE: i32 = 100_000;
/// The `maxWireVersion` a loopback server reports by default (MongoDB 7.0).
pub const DEFAULT_MAX_WIRE_VERSION: i32 = 21;

/// The mechanism name of X.509 authentication.
pub const MONGODB_X509: &str = "MONGODB-X509";

/// Why a message could not be parsed or written. Offsets are bytes from the
/// start of the frame (or of the document, for a document parsed alone).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// The body (or a document in it) is malformed BSON, or a field has the
    /// wrong BSON type or is missing.
    Bson(BsonError),
    /// The frame ended inside a fixed-size field.
    Truncated {
        /// The field, e.g. "flagBits".
        field: &'static str,
        /// Where it starts.
        offset: usize,
    },
    /// messageLength is negative or shorter than any OP_MSG.
    BadMessageLength {
        /// The value in the header.
        length: i32,
    },
    /// messageLength is above [`MAX_MESSAGE_SIZE`] or the caller's buffer.
    MessageTooLarge {
        /// The value in the header (or the size to be written).
        length: usize,
        /// The limit it broke.
        limit: usize,
    },
    /// messageLength does not match the frame's size.
    LengthMismatch {
        /// messageLength.
        declared: usize,
        /// Bytes given.
        actual: usize,
    },
    /// The opCode is not OP_MSG (2013).
    UnsupportedOpCode {
        /// The opCode found.
        op_code: i32,
    },
    /// flagBits sets a required bit (0-15) this crate does not know.
    UnknownRequiredFlags {
        /// The flag bits.
        flags: u32,
    },
    /// A kind-1 (document sequence) section: auth messages never use one.
    DocumentSequence {
        /// Where the section starts.
        offset: usize,
    },
    /// A section kind other than 0 or 1.
    UnknownSectionKind {
        /// The kind byte.
        kind: u8,
        /// Where it is.
        offset: usize,
    },
    /// No kind-0 body section.
    MissingBody,
    /// More than one kind-0 body section.
    DuplicateBody {
        /// Where the second one starts.
        offset: usize,
    },
    /// The CRC-32C at the end of the message does not match its contents.
    ChecksumMismatch {
        /// The checksum in the message.
        expected: u32,
        /// The checksum computed.
        computed: u32,
    },
    /// The output buffer is too small: `required` bytes are needed.
    BufferTooSmall(crate::BufferTooSmall),
    /// A field has the right type but a value the protocol does not allow.
    InvalidField {
        /// The field name.
        field: &'static str,
        /// Where the element starts.
        offset: usize,
        /// The rule it broke.
        rule: &'static str,
    },
    /// The body is a different command than the one being parsed.
    UnexpectedCommand {
        /// What was expected, e.g. "saslStart".
        expected: &'static str,
        /// Where the body's first element is.
        offset: usize,
    },
}

impl From<BsonError> for WireError {
    fn from(e: BsonError) -> Self {
        match e {
            BsonError::BufferTooSmall(crate::BufferTooSmall { required }) => {
                Self::BufferTooSmall(crate::BufferTooSmall { required })
            }
            other => Self::Bson(other),
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Bson(e) => write!(f, "OP_MSG body: {e}"),
            Self::Truncated { field, offset } => {
                write!(f, "OP_MSG ends inside {field} at byte {offset}")
            }
            Self::BadMessageLength { length } => {
                write!(f, "OP_MSG messageLength {length} is too small")
            }
            Self::MessageTooLarge { length, limit } => {
                write!(f, "message of {length} bytes exceeds the limit of {limit}")
            }
            Self::LengthMismatch { declared, actual } => {
                write!(f, "OP_MSG messageLength {declared} does not match the {actual} bytes given")
            }
            Self::UnsupportedOpCode { op_code } => {
                write!(f, "unsupported opCode {op_code} (only OP_MSG 2013)")
            }
            Self::UnknownRequiredFlags { flags } => {
                write!(f, "OP_MSG flagBits 0x{flags:08x} set unknown required bits")
            }
            Self::DocumentSequence { offset } => {
                write!(f, "OP_MSG document sequence section at byte {offset} is not supported")
            }
            Self::UnknownSectionKind { kind, offset } => {
                write!(f, "unknown OP_MSG section kind {kind} at byte {offset}")
            }
            Self::MissingBody => f.write_str("OP_MSG has no body section"),
            Self::DuplicateBody { offset } => {
                write!(f, "second OP_MSG body section at byte {offset}")
            }
            Self::ChecksumMismatch { expected, computed } => write!(
                f,
                "OP_MSG checksum 0x{expected:08x} does not match computed 0x{computed:08x}"
            ),
            Self::BufferTooSmall(crate::BufferTooSmall { required }) => {
                write!(f, "output buffer too small: {required} bytes needed")
            }
            Self::InvalidField { field, offset, rule } => {
                write!(f, "field `{field}` at byte {offset}: {rule}")
            }
            Self::UnexpectedCommand { expected, offset } => {
                write!(f, "expected a {expected} document at byte {offset}")
            }
        }
    }
}

impl core::error::Error for WireError {}

// ---------------------------------------------------------------------------
// Framing
// ---------------------------------------------------------------------------

/// A parsed OP_MSG, borrowing the frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpMsg<'a> {
    /// The sender's id for this message.
    pub request_id: i32,
    /// The request this answers (0 for requests).
    pub response_to: i32,
    /// flagBits as sent.
    pub flags: u32,
    /// The kind-0 section: the command or reply.
    pub body: Document<'a>,
    /// The CRC-32C, if the message carried one (it has been verified).
    pub checksum: Option<u32>,
}

impl OpMsg<'_> {
    /// Whether the sender set `moreToCome` (no reply will follow / more
    /// replies will).
    pub fn more_to_come(&self) -> bool {
        self.flags & FLAG_MORE_TO_COME != 0
    }
}

/// The message length a 16-byte header announces, checked to be an OP_MSG of
/// at least [`MIN_MESSAGE_LEN`] and at most [`MAX_MESSAGE_SIZE`] bytes.
/// Read the header, call this, then read the rest.
///
/// # Errors
/// [`WireError::BadMessageLength`], [`WireError::MessageTooLarge`],
/// [`WireError::UnsupportedOpCode`].
pub fn frame_len(header: &[u8; HEADER_LEN]) -> Result<usize, WireError> {
    let mut r = Reader::new(header);
    let fields = (r.i32_le(), r.i32_le(), r.i32_le(), r.i32_le());
    let (Ok(length), Ok(_), Ok(_), Ok(op_code)) = fields else {
        return Err(WireError::Truncated { field: "message header", offset: 0 });
    };
    let len = usize::try_from(length)
        .ok()
        .filter(|&l| l >= MIN_MESSAGE_LEN)
        .ok_or(WireError::BadMessageLength { length })?;
    if len > MAX_MESSAGE_SIZE {
        return Err(WireError::MessageTooLarge { length: len, limit: MAX_MESSAGE_SIZE });
    }
    if op_code != OP_MSG {
        return Err(WireError::UnsupportedOpCode { op_code });
    }
    Ok(len)
}

/// [`frame_len`], also checked against the caller's buffer of `capacity`
/// bytes, so a peer cannot make the caller read more than it can hold.
///
/// # Errors
/// As [`frame_len`]; [`WireError::MessageTooLarge`] with `limit: capacity`
/// if the message would not fit.
pub fn frame_len_in(header: &[u8; HEADER_LEN], capacity: usize) -> Result<usize, WireError> {
    let len = frame_len(header)?;
    if len > capacity {
        return Err(WireError::MessageTooLarge { length: len, limit: capacity });
    }
    Ok(len)
}

/// Parse one complete OP_MSG frame (exactly `messageLength` bytes).
///
/// Checks the header as [`frame_len`] does, rejects unknown required flag
/// bits, verifies the CRC-32C when `checksumPresent` is set, and requires
/// exactly one kind-0 section. Kind-1 document sequences are rejected: no
/// auth command or reply uses them.
///
/// # Errors
/// Any [`WireError`], with the byte offset in the frame where one applies.
pub fn parse_op_msg(frame: &[u8]) -> Result<OpMsg<'_>, WireError> {
    let mut r = Reader::new(frame);
    let header: [u8; HEADER_LEN] =
        r.take_array().map_err(|_| WireError::Truncated { field: "message header", offset: 0 })?;
    let length = frame_len(&header)?;
    if length != frame.len() {
        return Err(WireError::LengthMismatch { declared: length, actual: frame.len() });
    }
    let mut h = Reader::new(&header);
    let (_, request_id, response_to) = (h.i32_le(), h.i32_le(), h.i32_le());
    let (Ok(request_id), Ok(response_to)) = (request_id, response_to) else {
        return Err(WireError::Truncated { field: "message header", offset: 0 });
    };
    let flags =
        r.u32_le().map_err(|_| WireError::Truncated { field: "flagBits", offset: HEADER_LEN })?;
    if flags & REQUIRED_FLAGS & !KNOWN_REQUIRED_FLAGS != 0 {
        return Err(WireError::UnknownRequiredFlags { flags });
    }
    let (mut sections, checksum) = if flags & FLAG_CHECKSUM_PRESENT != 0 {
        let truncated = WireError::Truncated { field: "checksum", offset: r.position() };
        let sections_len = r.remaining().checked_sub(4).ok_or(truncated)?;
        let sections = r.sub(sections_len).map_err(|_| truncated)?;
        let expected = r.u32_le().map_err(|_| truncated)?;
        let covered = frame.get(..frame.len().saturating_sub(4)).unwrap_or(&[]);
        let computed = crc32c(covered);
        if computed != expected {
            return Err(WireError::ChecksumMismatch { expected, computed });
        }
        (sections, Some(expected))
    } else {
        (r, None)
    };
    let mut body = None;
    while !sections.is_empty() {
        let offset = sections.position();
        match sections.u8() {
            Ok(0) => {
                let doc = Document::read(&mut sections)?;
                if body.replace(doc).is_some() {
                    return Err(WireError::DuplicateBody { offset });
                }
            }
            Ok(1) => return Err(WireError::DocumentSequence { offset }),
            Ok(kind) => return Err(WireError::UnknownSectionKind { kind, offset }),
            Err(_) => break,
        }
    }
    let body = body.ok_or(WireError::MissingBody)?;
    Ok(OpMsg { request_id, response_to, flags, body, checksum })
}

/// Write the 21 bytes before the body: header, flagBits 0, section kind 0.
fn write_prefix(out: &mut [u8], total: usize, request_id: i32, response_to: i32) {
    let length = i32::try_from(total).unwrap_or(i32::MAX);
    let fields = length
        .to_le_bytes()
        .into_iter()
        .chain(request_id.to_le_bytes())
        .chain(response_to.to_le_bytes())
        .chain(OP_MSG.to_le_bytes())
        .chain(0u32.to_le_bytes())
        .chain([0u8]);
    for (dst, src) in out.iter_mut().zip(fields) {
        *dst = src;
    }
}

fn check_total(body_len: usize) -> Result<usize, WireError> {
    let total = body_len.saturating_add(BODY_OFFSET);
    if total > MAX_MESSAGE_SIZE {
        return Err(WireError::MessageTooLarge { length: total, limit: MAX_MESSAGE_SIZE });
    }
    Ok(total)
}

// ---------------------------------------------------------------------------
// Legacy OP_QUERY / OP_REPLY (server side)
// ---------------------------------------------------------------------------

/// OP_QUERY: drivers still open a connection with an OP_QUERY `isMaster`
/// unless they declare a Stable API, so a server must answer it.
pub const OP_QUERY: i32 = 2004;
/// OP_REPLY: the answer to an OP_QUERY.
pub const OP_REPLY: i32 = 1;
const OP_REPLY_PREFIX: usize = HEADER_LEN + 4 + 8 + 4 + 4;

/// The length and opcode of a request a server reads: OP_MSG or OP_QUERY,
/// checked against the caller's buffer of `capacity` bytes.
///
/// # Errors
/// As [`frame_len_in`], for either opcode.
pub fn request_frame_len(
    header: &[u8; HEADER_LEN],
    capacity: usize,
) -> Result<(usize, i32), WireError> {
    let mut r = Reader::new(header);
    let fields = (r.i32_le(), r.i32_le(), r.i32_le(), r.i32_le());
    let (Ok(length), Ok(_), Ok(_), Ok(op_code)) = fields else {
        return Err(WireError::Truncated { field: "message header", offset: 0 });
    };
    if op_code != OP_QUERY {
        return frame_len_in(header, capacity).map(|l| (l, op_code));
    }
    let len = usize::try_from(length)
        .ok()
        .filter(|&l| l >= HEADER_LEN + 4 + 2 + 8 + 5)
        .ok_or(WireError::BadMessageLength { length })?;
    if len > capacity.min(MAX_MESSAGE_SIZE) {
        return Err(WireError::MessageTooLarge {
            length: len,
            limit: capacity.min(MAX_MESSAGE_SIZE),
        });
    }
    Ok((len, op_code))
}

/// A parsed OP_QUERY command.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OpQuery<'a> {
    /// The request id to answer to.
    pub request_id: i32,
    /// `fullCollectionName`, e.g. `admin.$cmd`.
    pub collection: &'a str,
    /// The command document.
    pub query: Document<'a>,
}

impl<'a> OpQuery<'a> {
    /// The database of a `<db>.$cmd` command.
    pub fn db(&self) -> &'a str {
        self.collection.strip_suffix(".$cmd").unwrap_or(self.collection)
    }
}

/// Read the 16-byte header of a whole legacy frame (OP_QUERY, OP_REPLY): its
/// length must be the frame's and its opcode `op_code`. Returns
/// `(requestID, responseTo)`; one place for both legacy parsers.
pub(crate) fn read_legacy_header(
    r: &mut Reader<'_>,
    frame_len: usize,
    op_code: i32,
) -> Result<(i32, i32), WireError> {
    let t = |offset| WireError::Truncated { field: "message header", offset };
    let length = r.i32_le().map_err(|_| t(0))?;
    if usize::try_from(length).ok() != Some(frame_len) {
        return Err(WireError::LengthMismatch {
            declared: usize::try_from(length).unwrap_or(0),
            actual: frame_len,
        });
    }
    let request_id = r.i32_le().map_err(|_| t(4))?;
    let response_to = r.i32_le().map_err(|_| t(8))?;
    let got = r.i32_le().map_err(|_| t(12))?;
    if got != op_code {
        return Err(WireError::UnsupportedOpCode { op_code: got });
    }
    Ok((request_id, response_to))
}

/// Parse one complete OP_QUERY frame.
///
/// # Errors
/// A truncated or inconsistent frame, a non-UTF-8 collection name, a bad document.
pub fn parse_op_query(frame: &[u8]) -> Result<OpQuery<'_>, WireError> {
    let mut r = Reader::new(frame);
    let t = |field, offset| WireError::Truncated { field, offset };
    let (request_id, _response_to) = read_legacy_header(&mut r, frame.len(), OP_QUERY)?;
    let _flags = r.u32_le().map_err(|_| t("flags", HEADER_LEN))?;
    let at = r.position();
    let collection = r.cstring().map_err(|_| t("fullCollectionName", at))?;
    let collection = core::str::from_utf8(collection).map_err(|_| WireError::InvalidField {
        field: "fullCollectionName",
        offset: at,
        rule: "must be UTF-8",
    })?;
    let at = r.position();
    let (_skip, _ret) = (r.i32_le(), r.i32_le());
    if r.position() != at + 8 {
        return Err(t("numberToSkip/numberToReturn", at));
    }
    // A trailing returnFieldsSelector document, if any, is ignored.
    let query = Document::read(&mut r)?;
    Ok(OpQuery { request_id, collection, query })
}

/// Where an OP_REPLY's document starts: write the body there, then call
/// [`finish_op_reply`].
pub const OP_REPLY_BODY_OFFSET: usize = OP_REPLY_PREFIX;

/// Write the OP_REPLY prefix in front of a `body_len`-byte document already
/// at `out[OP_REPLY_BODY_OFFSET..]`. Returns the frame's length.
///
/// # Errors
/// [`WireError::BufferTooSmall`] if `out` cannot hold the frame.
pub fn finish_op_reply(
    request_id: i32,
    response_to: i32,
    out: &mut [u8],
    body_len: usize,
) -> Result<usize, WireError> {
    let total = body_len.saturating_add(OP_REPLY_PREFIX);
    if out.len() < total {
        return Err(WireError::BufferTooSmall(crate::BufferTooSmall { required: total }));
    }
    let length = i32::try_from(total)
        .map_err(|_| WireError::MessageTooLarge { length: total, limit: MAX_MESSAGE_SIZE })?;
    let fields = length
        .to_le_bytes()
        .into_iter()
        .chain(request_id.to_le_bytes())
        .chain(response_to.to_le_bytes())
        .chain(OP_REPLY.to_le_bytes())
        .chain(0u32.to_le_bytes()) // responseFlags
        .chain(0i64.to_le_bytes()) // cursorID
        .chain(0i32.to_le_bytes()) // startingFrom
        .chain(1i32.to_le_bytes()); // numberReturned
    for (dst, src) in out.iter_mut().zip(fields) {
        *dst = src;
    }
    Ok(total)
}

/// Where an OP_MSG's body starts: write the body there, then call
/// [`finish_op_msg`].
pub const OP_MSG_BODY_OFFSET: usize = BODY_OFFSET;

/// Write the OP_MSG prefix (header, flagBits 0, section kind 0) in front of
/// a `body_len`-byte document already at `out[OP_MSG_BODY_OFFSET..]`.
/// Returns the frame's length.
///
/// # Errors
/// [`WireError::BufferTooSmall`]; [`WireError::MessageTooLarge`].
pub fn finish_op_msg(
    request_id: i32,
    response_to: i32,
    out: &mut [u8],
    body_len: usize,
) -> Result<usize, WireError> {
    let total = check_total(body_len)?;
    if out.len() < total {
        return Err(WireError::BufferTooSmall(crate::BufferTooSmall { required: total }));
    }
    write_prefix(out, total, request_id, response_to);
    Ok(total)
}

/// Write an OP_REPLY carrying one document, answering `response_to`.
///
/// # Errors
/// [`WireError::BufferTooSmall`] with the size needed; a body error.
pub fn encode_op_reply(
    request_id: i32,
    response_to: i32,
    body: &impl WriteBody,
    out: &mut [u8],
) -> Result<usize, WireError> {
    let mut empty: [u8; 0] = [];
    let (prefix, rest) = match out.split_at_mut_checked(OP_REPLY_PREFIX) {
        Some(split) => split,
        None => (&mut empty[..], &mut [][..]),
    };
    let mut w = DocWriter::new(rest);
    body.write_body(&mut w);
    let body_len = match w.finish() {
        Ok(n) => n,
        Err(BsonError::BufferTooSmall(crate::BufferTooSmall { required })) => {
            return Err(WireError::BufferTooSmall(crate::BufferTooSmall {
                required: required.saturating_add(OP_REPLY_PREFIX),
            }));
        }
        Err(e) => return Err(e.into()),
    };
    if prefix.len() < OP_REPLY_PREFIX {
        return Err(WireError::BufferTooSmall(crate::BufferTooSmall {
            required: body_len.saturating_add(OP_REPLY_PREFIX),
        }));
    }
    finish_op_reply(request_id, response_to, out, body_len)
}

/// Frame an already-built body document as an OP_MSG in `out` (flagBits 0,
/// no checksum). Returns the frame's length.
///
/// # Errors
/// [`WireError::BufferTooSmall`] with the size needed;
/// [`WireError::MessageTooLarge`].
pub fn encode_op_msg(
    request_id: i32,
    response_to: i32,
    body: Document<'_>,
    out: &mut [u8],
) -> Result<usize, WireError> {
    let total = check_total(body.len())?;
    let dst = out
        .get_mut(BODY_OFFSET..total)
        .ok_or(WireError::BufferTooSmall(crate::BufferTooSmall { required: total }))?;
    dst.copy_from_slice(body.as_bytes());
    write_prefix(out, total, request_id, response_to);
    Ok(total)
}

/// Write an OP_MSG whose body `f` writes, straight into `out` (flagBits 0, no
/// checksum). Returns the frame's length.
///
/// # Errors
/// [`WireError::BufferTooSmall`] with the size the whole frame needs; any
/// error the body writer hit; [`WireError::MessageTooLarge`].
pub fn encode_op_msg_with<F: FnOnce(&mut DocWriter<'_>)>(
    request_id: i32,
    response_to: i32,
    out: &mut [u8],
    f: F,
) -> Result<usize, WireError> {
    let mut empty: [u8; 0] = [];
    let (prefix, body) = match out.split_at_mut_checked(BODY_OFFSET) {
        Some(split) => split,
        None => (&mut empty[..], &mut [][..]),
    };
    let mut w = DocWriter::new(body);
    f(&mut w);
    let body_len = match w.finish() {
        Ok(n) => n,
        Err(BsonError::BufferTooSmall(crate::BufferTooSmall { required })) => {
            return Err(WireError::BufferTooSmall(crate::BufferTooSmall {
                required: required.saturating_add(BODY_OFFSET),
            }));
        }
        Err(e) => return Err(e.into()),
    };
    let total = check_total(body_len)?;
    write_prefix(prefix, total, request_id, response_to);
    Ok(total)
}

/// A command or reply that can be written as an OP_MSG body.
pub trait WriteBody {
    /// Write the body's elements (the writer holds the open document).
    fn write_body(&self, w: &mut DocWriter<'_>);
}

/// Frame `body` as an OP_MSG in `out`: [`encode_op_msg_with`] for any
/// [`WriteBody`]. Use `response_to: 0` for requests.
///
/// # Errors
/// As [`encode_op_msg_with`].
pub fn encode_message(
    request_id: i32,
    response_to: i32,
    body: &impl WriteBody,
    out: &mut [u8],
) -> Result<usize, WireError> {
    encode_op_msg_with(request_id, response_to, out, |w| body.write_body(w))
}

/// Write `body` as a standalone BSON document (no framing) into `out`.
///
/// # Errors
/// [`WireError::BufferTooSmall`] with the size needed, or a body error.
pub fn encode_document(body: &impl WriteBody, out: &mut [u8]) -> Result<usize, WireError> {
    let mut w = DocWriter::new(out);
    body.write_body(&mut w);
    Ok(w.finish()?)
}

/// CRC-32C (Castagnoli), the OP_MSG checksum.
// Evaluated at compile time: an out-of-range index would fail the build,
// never a run.
#[allow(clippy::indexing_slicing)]
const CRC32C_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        #[allow(clippy::cast_possible_truncation)]
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0x82F6_3B78 } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// The CRC-32C of `data`, as OP_MSG's `checksumPresent` flag uses it.
pub fn crc32c(data: &[u8]) -> u32 {
    !data.iter().fold(!0u32, |c, &b| {
        let idx = ((c ^ u32::from(b)) & 0xFF) as usize;
        CRC32C_TABLE.get(idx).copied().unwrap_or(0) ^ (c >> 8)
    })
}

// ---------------------------------------------------------------------------
// Field helpers
// ---------------------------------------------------------------------------

/// Require that the body's first key is one of `names`; returns the one found.
fn expect_command<'a>(
    doc: &Document<'a>,
    names: &[&'static str],
    expected: &'static str,
) -> Result<&'a str, WireError> {
    let wrong = WireError::UnexpectedCommand { expected, offset: doc.offset() };
    let first = doc.first().ok_or(wrong)?;
    if names.contains(&first.key) {
        Ok(first.key)
    } else {
        Err(WireError::UnexpectedCommand { expected, offset: first.offset })
    }
}

/// A SASL `payload`: binary subtype 0 only (a base64 string is a legacy
/// form the auth spec says to refuse).
fn read_payload<'a>(doc: &Document<'a>) -> Result<&'a [u8], WireError> {
    let e = doc.get_element("payload").ok_or(BsonError::Missing { field: "payload" })?;
    match e.value {
        Value::Binary(b) if b.subtype == BINARY_SUBTYPE_GENERIC => Ok(b.bytes),
        Value::Binary(_) => Err(WireError::InvalidField {
            field: "payload",
            offset: e.offset,
            rule: "binary subtype must be 0",
        }),
        v => Err(BsonError::WrongType {
            field: "payload",
            offset: e.offset,
            expected: "binary",
            found: v.element_type(),
        }
        .into()),
    }
}

/// The BSON type a SASL payload came in: what a server answers with
/// (mongod mirrors it; pymongo's GSSAPI sends base64 strings and breaks on
/// a BinData reply).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PayloadType {
    /// BinData subtype 0 (the auth spec's form; every mechanism).
    #[default]
    Binary,
    /// A base64 string (the legacy form pymongo's GSSAPI uses).
    Base64String,
}

/// A SASL payload as a lenient server reads it: BinData subtype 0, or a
/// base64 string (only GSSAPI accepts the latter; see [`PayloadType`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnyPayload<'a> {
    /// The bytes of a BinData subtype 0.
    Binary(&'a [u8]),
    /// The text of a string (base64, not yet decoded).
    Base64(&'a str),
}

impl<'a> AnyPayload<'a> {
    /// Read the `payload` field of a saslStart/saslContinue body.
    ///
    /// # Errors
    /// Missing, a binary subtype other than 0, or another type.
    pub fn read(doc: &Document<'a>) -> Result<Self, WireError> {
        let e = doc.get_element("payload").ok_or(BsonError::Missing { field: "payload" })?;
        match e.value {
            Value::String(s) => Ok(AnyPayload::Base64(s)),
            _ => read_payload(doc).map(AnyPayload::Binary),
        }
    }

    /// Which type it came in.
    pub fn payload_type(&self) -> PayloadType {
        match self {
            Self::Binary(_) => PayloadType::Binary,
            Self::Base64(_) => PayloadType::Base64String,
        }
    }

    /// The bytes: the binary as is, or the string base64-decoded into
    /// `buf`.
    ///
    /// # Errors
    /// A string that is not padded standard base64, or whose bytes do not
    /// fit `buf` ([`WireError::InvalidField`] either way).
    pub fn bytes<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], WireError>
    where
        'a: 'b,
    {
        use base64ct::{Base64, Encoding};
        match self {
            Self::Binary(b) => Ok(b),
            Self::Base64(s) => {
                Base64::decode(s.as_bytes(), buf).map(|d| d as &[u8]).map_err(|_| {
                    WireError::InvalidField {
                        field: "payload",
                        offset: 0,
                        rule: "a string payload must be base64 of at most the buffer's length",
                    }
                })
            }
        }
    }
}

/// An optional integer field that must fit in `i32`.
fn opt_i32(doc: &Document<'_>, field: &'static str) -> Result<Option<i32>, WireError> {
    match doc.get_opt::<Integer>(field)? {
        None => Ok(None),
        Some(Integer(v)) => i32::try_from(v).map(Some).map_err(|_| WireError::InvalidField {
            field,
            offset: doc.get_element(field).map_or(0, |e| e.offset),
            rule: "out of int32 range",
        }),
    }
}

/// A `conversationId`, kept with the BSON type the server used so that it can
/// be echoed exactly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConversationId {
    /// Sent as int32 (what servers do).
    Int32(i32),
    /// Sent as int64.
    Int64(i64),
}

impl ConversationId {
    /// The id's value.
    pub fn get(self) -> i64 {
        match self {
            Self::Int32(v) => i64::from(v),
            Self::Int64(v) => v,
        }
    }

    /// The id as the BSON value to write.
    pub fn to_value(self) -> Value<'static> {
        match self {
            Self::Int32(v) => Value::Int32(v),
            Self::Int64(v) => Value::Int64(v),
        }
    }

    /// Read the `conversationId` field of a reply or a saslContinue.
    ///
    /// # Errors
    /// Missing, or neither int32 nor int64.
    pub fn read(doc: &Document<'_>) -> Result<Self, WireError> {
        let field = "conversationId";
        let e = doc.get_element(field).ok_or(BsonError::Missing { field })?;
        match e.value {
            Value::Int32(v) => Ok(Self::Int32(v)),
            Value::Int64(v) => Ok(Self::Int64(v)),
            v => Err(BsonError::WrongType {
                field,
                offset: e.offset,
                expected: "int32 or int64",
                found: v.element_type(),
            }
            .into()),
        }
    }
}

/// Whether a reply says `ok: 1`, or the error it reports with `ok: 0`.
///
/// `ok` may be a double, int32 or int64; any value other than 0 or 1 is
/// malformed.
///
/// # Errors
/// `Err` if `ok` is missing, not a number, not 0 or 1, or if a failure's
/// `code`, `codeName` or `errmsg` has the wrong type.
pub fn check_ok<'a>(doc: &Document<'a>) -> Result<Result<(), CommandError<'a>>, WireError> {
    let field = "ok";
    let e = doc.get_element(field).ok_or(BsonError::Missing { field })?;
    let ok = match e.value {
        Value::Int32(_) | Value::Int64(_) | Value::Double(_) => e.value.as_integer(),
        v => {
            return Err(BsonError::WrongType {
                field,
                offset: e.offset,
                expected: "a number (double, int32 or int64)",
                found: v.element_type(),
            }
            .into());
        }
    };
    match ok {
        Some(1) => Ok(Ok(())),
        Some(0) => CommandError::parse(doc).map(Err),
        _ => Err(WireError::InvalidField { field, offset: e.offset, rule: "must be 0 or 1" }),
    }
}

// ---------------------------------------------------------------------------
// Commands (client writes, server parses)
// ---------------------------------------------------------------------------

/// The `<db>.<user>` a hello's `saslSupportedMechs` asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UserRef<'a> {
    /// The credential's source database.
    pub db: &'a str,
    /// The raw username (not SASLprepped, not escaped).
    pub user: &'a str,
}

/// The first auth command carried inside a hello.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Speculative<'a> {
    /// SCRAM (or OIDC) saslStart, with `db`.
    SaslStart(SaslStart<'a>),
    /// MONGODB-X509 authenticate, with `db`.
    Authenticate(Authenticate<'a>),
}

impl<'a> Speculative<'a> {
    /// Write the speculative document's elements (`db` instead of `$db`).
    pub fn write(&self, w: &mut DocWriter<'_>) {
        match self {
            Self::SaslStart(s) => s.write_speculative(w),
            Self::Authenticate(a) => a.write_speculative(w),
        }
    }

    /// Read a `speculativeAuthenticate` document sent by a client.
    ///
    /// # Errors
    /// Not a saslStart or authenticate document, or one of their errors.
    pub fn parse(doc: Document<'a>) -> Result<Self, WireError> {
        match expect_command(&doc, &["saslStart", "authenticate"], "saslStart or authenticate")? {
            "saslStart" => SaslStart::parse_speculative(doc).map(Self::SaslStart),
            _ => Authenticate::parse_speculative(doc).map(Self::Authenticate),
        }
    }
}

/// The handshake command: `hello`, or legacy `isMaster` with `helloOk: true`,
/// plus what authentication adds to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hello<'a> {
    /// Send `isMaster: 1, helloOk: true` instead of `hello: 1` (the handshake
    /// spec's choice unless a Stable API version is set or loadBalanced).
    pub legacy: bool,
    /// Ask for the user's mechanisms (when no mechanism is configured).
    pub sasl_supported_mechs: Option<UserRef<'a>>,
    /// The first auth step, to save a round trip.
    pub speculative_authenticate: Option<Speculative<'a>>,
    /// The handshake's `client` metadata document, built by the caller.
    pub client: Option<Document<'a>>,
    /// `$db`, normally "admin".
    pub db: &'a str,
}

impl Default for Hello<'_> {
    fn default() -> Self {
        Self {
            legacy: true,
            sasl_supported_mechs: None,
            speculative_authenticate: None,
            client: None,
            db: "admin",
        }
    }
}

impl WriteBody for Hello<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        if self.legacy {
            w.int32("isMaster", 1).bool("helloOk", true);
        } else {
            w.int32("hello", 1);
        }
        if let Some(client) = self.client {
            w.document_bytes("client", client);
        }
        if let Some(u) = self.sasl_supported_mechs {
            w.string_parts("saslSupportedMechs", &[u.db, ".", u.user]);
        }
        if let Some(s) = &self.speculative_authenticate {
            w.document("speculativeAuthenticate", |w| s.write(w));
        }
        w.string("$db", self.db);
    }
}

impl<'a> Hello<'a> {
    /// Read a hello or isMaster command (server side).
    ///
    /// # Errors
    /// Another command, a field of the wrong type, `saslSupportedMechs`
    /// without a `.`, or a malformed speculative document.
    pub fn parse(doc: Document<'a>) -> Result<Self, WireError> {
        let name = expect_command(&doc, &["hello", "isMaster", "ismaster"], "hello")?;
        let sasl_supported_mechs = match doc.get_opt::<&str>("saslSupportedMechs")? {
            None => None,
            Some(s) => {
                let (db, user) = s.split_once('.').ok_or(WireError::InvalidField {
                    field: "saslSupportedMechs",
                    offset: doc.get_element("saslSupportedMechs").map_or(0, |e| e.offset),
                    rule: "must be <db>.<user>",
                })?;
                Some(UserRef { db, user })
            }
        };
        let speculative_authenticate = doc
            .get_opt::<Document<'a>>("speculativeAuthenticate")?
            .map(Speculative::parse)
            .transpose()?;
        Ok(Self {
            legacy: name != "hello",
            sasl_supported_mechs,
            speculative_authenticate,
            client: doc.get_opt("client")?,
            // A legacy OP_QUERY hello names its database in the collection
            // name instead; it is always admin.
            db: doc.get_opt("$db")?.unwrap_or("admin"),
        })
    }
}

/// `saslStart`: the first SASL step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaslStart<'a> {
    /// e.g. "SCRAM-SHA-256".
    pub mechanism: &'a str,
    /// The mechanism's first message, sent as BinData subtype 0.
    pub payload: &'a [u8],
    /// Send `options: {skipEmptyExchange: true}` (SCRAM MUST; PLAIN and OIDC
    /// examples omit it).
    pub skip_empty_exchange: bool,
    /// The credential's source database.
    pub db: &'a str,
}

impl SaslStart<'_> {
    fn write_fields(&self, w: &mut DocWriter<'_>) {
        w.int32("saslStart", 1).string("mechanism", self.mechanism).binary(
            "payload",
            BINARY_SUBTYPE_GENERIC,
            self.payload,
        );
        // GSSAPI's saslStart carries `autoAuthorize: 1`, as the drivers send it.
        if self.mechanism == "GSSAPI" {
            w.int32("autoAuthorize", 1);
        }
        if self.skip_empty_exchange {
            w.document("options", |o| {
                o.bool("skipEmptyExchange", true);
            });
        }
    }

    /// Write the `speculativeAuthenticate` form: the same fields with `db`.
    pub fn write_speculative(&self, w: &mut DocWriter<'_>) {
        self.write_fields(w);
        w.string("db", self.db);
    }
}

impl WriteBody for SaslStart<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        self.write_fields(w);
        w.string("$db", self.db);
    }
}

impl<'a> SaslStart<'a> {
    fn parse_with(doc: Document<'a>, db_key: &'static str) -> Result<Self, WireError> {
        expect_command(&doc, &["saslStart"], "saslStart")?;
        let skip_empty_exchange = match doc.get_opt::<Document<'a>>("options")? {
            Some(o) => o.get_opt::<bool>("skipEmptyExchange")?.unwrap_or(false),
            None => false,
        };
        Ok(Self {
            mechanism: doc.get_str("mechanism")?,
            payload: read_payload(&doc)?,
            skip_empty_exchange,
            db: doc.get_str(db_key)?,
        })
    }

    /// Read a saslStart command (server side).
    ///
    /// # Errors
    /// Another command, a missing field, or a field of the wrong type.
    pub fn parse(doc: Document<'a>) -> Result<Self, WireError> {
        Self::parse_with(doc, "$db")
    }

    /// Read the speculative form (with `db`).
    ///
    /// # Errors
    /// As [`SaslStart::parse`]; `db` is required (the server ignores a
    /// speculative saslStart without it).
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        Self::parse_with(doc, "db")
    }
}

/// `saslContinue`: every later SASL step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaslContinue<'a> {
    /// Echoed from the previous reply with its BSON type.
    pub conversation_id: ConversationId,
    /// The mechanism's next message (may be empty).
    pub payload: &'a [u8],
    /// The credential's source database.
    pub db: &'a str,
}

impl WriteBody for SaslContinue<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.int32("saslContinue", 1)
            .value("conversationId", &self.conversation_id.to_value())
            .binary("payload", BINARY_SUBTYPE_GENERIC, self.payload)
            .string("$db", self.db);
    }
}

impl<'a> SaslContinue<'a> {
    /// Read a saslContinue command (server side).
    ///
    /// # Errors
    /// Another command, a missing field, or a field of the wrong type.
    pub fn parse(doc: Document<'a>) -> Result<Self, WireError> {
        expect_command(&doc, &["saslContinue"], "saslContinue")?;
        Ok(Self {
            conversation_id: ConversationId::read(&doc)?,
            payload: read_payload(&doc)?,
            db: doc.get_str("$db")?,
        })
    }
}

/// `authenticate`: MONGODB-X509's single step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Authenticate<'a> {
    /// Always "MONGODB-X509" for commands this crate writes.
    pub mechanism: &'a str,
    /// The subject DN, sent only if the application gave a username.
    pub user: Option<&'a str>,
    /// Always "$external" for X.509.
    pub db: &'a str,
}

impl<'a> Authenticate<'a> {
    /// The X.509 command, to `$external`.
    pub fn x509(user: Option<&'a str>) -> Self {
        Self { mechanism: MONGODB_X509, user, db: "$external" }
    }

    fn write_fields(&self, w: &mut DocWriter<'_>) {
        w.int32("authenticate", 1).string("mechanism", self.mechanism);
        if let Some(user) = self.user {
            w.string("user", user);
        }
    }

    /// Write the `speculativeAuthenticate` form (with `db`).
    pub fn write_speculative(&self, w: &mut DocWriter<'_>) {
        self.write_fields(w);
        w.string("db", self.db);
    }

    fn parse_fields(doc: &Document<'a>, db: &'a str) -> Result<Self, WireError> {
        expect_command(doc, &["authenticate"], "authenticate")?;
        Ok(Self { mechanism: doc.get_str("mechanism")?, user: doc.get_opt("user")?, db })
    }

    /// Read an authenticate command (server side).
    ///
    /// # Errors
    /// Another command, a missing field, or a field of the wrong type.
    pub fn parse(doc: Document<'a>) -> Result<Self, WireError> {
        Self::parse_fields(&doc, doc.get_str("$db")?)
    }

    /// Read the speculative form; a missing `db` means `$external`, as on the
    /// server.
    ///
    /// # Errors
    /// As [`Authenticate::parse`].
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        let db = doc.get_opt("db")?.unwrap_or("$external");
        Self::parse_fields(&doc, db)
    }
}

impl WriteBody for Authenticate<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        self.write_fields(w);
        w.string("$db", self.db);
    }
}

/// What an incoming command is, by its first key.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandKind {
    /// `hello`.
    Hello,
    /// `isMaster` / `ismaster`.
    LegacyHello,
    /// `saslStart`.
    SaslStart,
    /// `saslContinue`.
    SaslContinue,
    /// `authenticate`.
    Authenticate,
    /// Anything else.
    Other,
}

/// An incoming command (server side): its name (the first key), `$db`, and
/// the body to parse further.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Command<'a> {
    /// The first key.
    pub name: &'a str,
    /// The target database.
    pub db: &'a str,
    /// The whole body.
    pub body: Document<'a>,
}

impl<'a> Command<'a> {
    /// Name a command body.
    ///
    /// # Errors
    /// An empty body, or a missing or non-string `$db`.
    pub fn parse(body: Document<'a>) -> Result<Self, WireError> {
        let first = body.first().ok_or(WireError::InvalidField {
            field: "command name",
            offset: body.offset(),
            rule: "a command body must not be empty",
        })?;
        Ok(Self { name: first.key, db: body.get_str("$db")?, body })
    }

    /// Which command this is.
    pub fn kind(&self) -> CommandKind {
        match self.name {
            "hello" => CommandKind::Hello,
            "isMaster" | "ismaster" => CommandKind::LegacyHello,
            "saslStart" => CommandKind::SaslStart,
            "saslContinue" => CommandKind::SaslContinue,
            "authenticate" => CommandKind::Authenticate,
            _ => CommandKind::Other,
        }
    }
}

// ---------------------------------------------------------------------------
// Replies (server writes, client parses)
// ---------------------------------------------------------------------------

/// A reply with `ok: 0`: the server's code and message, borrowed. Not a parse
/// error; the caller turns it into its own error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommandError<'a> {
    /// `code`, e.g. 18.
    pub code: Option<i32>,
    /// `codeName`, e.g. "AuthenticationFailed".
    pub code_name: Option<&'a str>,
    /// `errmsg`.
    pub errmsg: Option<&'a str>,
}

impl<'a> CommandError<'a> {
    /// The reply a server sends for any failed login (code 18): it says
    /// nothing about why.
    pub const AUTHENTICATION_FAILED: CommandError<'static> = CommandError {
        code: Some(AUTHENTICATION_FAILED),
        code_name: Some("AuthenticationFailed"),
        errmsg: Some("Authentication failed."),
    };

    /// Read the error fields of a reply (without looking at `ok`).
    ///
    /// # Errors
    /// A field of the wrong type, or a `code` outside `i32`.
    pub fn parse(doc: &Document<'a>) -> Result<Self, WireError> {
        Ok(Self {
            code: opt_i32(doc, "code")?,
            code_name: doc.get_opt("codeName")?,
            errmsg: doc.get_opt("errmsg")?,
        })
    }

    /// Whether this is AuthenticationFailed (18).
    pub fn is_authentication_failed(&self) -> bool {
        self.code == Some(AUTHENTICATION_FAILED)
    }
}

impl WriteBody for CommandError<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.double("ok", 0.0);
        if let Some(m) = self.errmsg {
            w.string("errmsg", m);
        }
        if let Some(c) = self.code {
            w.int32("code", c);
        }
        if let Some(n) = self.code_name {
            w.string("codeName", n);
        }
    }
}

impl fmt::Display for CommandError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("command failed")?;
        if let Some(n) = self.code_name {
            write!(f, ": {n}")?;
        }
        if let Some(c) = self.code {
            write!(f, " ({c})")?;
        }
        if let Some(m) = self.errmsg {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

/// A bare `{ok: 1}` reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OkReply;

impl WriteBody for OkReply {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.double("ok", 1.0);
    }
}

/// A saslStart or saslContinue reply (or the speculative one inside hello).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SaslReply<'a> {
    /// The id to echo in the next saslContinue.
    pub conversation_id: ConversationId,
    /// Whether the server considers the conversation finished.
    pub done: bool,
    /// The mechanism's message (binary subtype 0).
    pub payload: &'a [u8],
}

impl<'a> SaslReply<'a> {
    /// Read a saslStart/saslContinue reply: `Ok(Err(_))` for `ok: 0`.
    ///
    /// # Errors
    /// A malformed `ok`, or, on success, a missing or mistyped
    /// `conversationId`, `done` or `payload`.
    pub fn parse(doc: Document<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        match check_ok(&doc)? {
            Ok(()) => Self::parse_speculative(doc).map(Ok),
            Err(e) => Ok(Err(e)),
        }
    }

    /// Read the `speculativeAuthenticate` document of a hello reply (it has
    /// no `ok`).
    ///
    /// # Errors
    /// A missing or mistyped `conversationId`, `done` or `payload`.
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        Ok(Self {
            conversation_id: ConversationId::read(&doc)?,
            done: doc.get_bool("done")?,
            payload: read_payload(&doc)?,
        })
    }

    /// Write the fields without `ok` (the speculative form).
    pub fn write_speculative(&self, w: &mut DocWriter<'_>) {
        w.value("conversationId", &self.conversation_id.to_value()).bool("done", self.done).binary(
            "payload",
            BINARY_SUBTYPE_GENERIC,
            self.payload,
        );
    }
}

impl WriteBody for SaslReply<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        self.write_speculative(w);
        w.double("ok", 1.0);
    }
}

/// The X.509 `authenticate` reply: `{dbname: "$external", user: <DN>, ok: 1}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthenticateReply<'a> {
    /// The database authenticated against.
    pub dbname: Option<&'a str>,
    /// The user the certificate mapped to.
    pub user: Option<&'a str>,
}

impl<'a> AuthenticateReply<'a> {
    /// Read an authenticate reply: `Ok(Err(_))` for `ok: 0`.
    ///
    /// # Errors
    /// A malformed `ok`, or mistyped `dbname`/`user`.
    pub fn parse(doc: Document<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        match check_ok(&doc)? {
            Ok(()) => Self::parse_speculative(doc).map(Ok),
            Err(e) => Ok(Err(e)),
        }
    }

    /// Read the speculative form (no `ok`).
    ///
    /// # Errors
    /// Mistyped `dbname`/`user`.
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        Ok(Self { dbname: doc.get_opt("dbname")?, user: doc.get_opt("user")? })
    }

    /// Write the fields without `ok` (the speculative form).
    pub fn write_speculative(&self, w: &mut DocWriter<'_>) {
        if let Some(d) = self.dbname {
            w.string("dbname", d);
        }
        if let Some(u) = self.user {
            w.string("user", u);
        }
    }
}

impl WriteBody for AuthenticateReply<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        self.write_speculative(w);
        w.double("ok", 1.0);
    }
}

/// A hello reply's `saslSupportedMechs`: names given by a server-side caller,
/// or a checked BSON array of strings read from a reply. Iterating never
/// allocates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MechList<'a> {
    /// Names to write.
    Names(&'a [&'a str]),
    /// An array read from a reply, every element checked to be a string.
    Bson(Array<'a>),
}

impl<'a> MechList<'a> {
    /// The mechanism names in order.
    pub fn iter(&self) -> MechIter<'a> {
        match *self {
            Self::Names(n) => MechIter::Names(n.iter()),
            Self::Bson(a) => MechIter::Bson(a.iter()),
        }
    }

    /// Whether `name` is listed (exact match).
    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|m| m == name)
    }

    fn parse(a: Array<'a>) -> Result<Self, WireError> {
        for e in a.elements() {
            if !matches!(e.value, Value::String(_)) {
                return Err(BsonError::WrongType {
                    field: "saslSupportedMechs",
                    offset: e.offset,
                    expected: "array of strings",
                    found: e.value.element_type(),
                }
                .into());
            }
        }
        Ok(Self::Bson(a))
    }
}

/// Iterator over a [`MechList`].
#[derive(Clone, Debug)]
pub enum MechIter<'a> {
    /// Over caller-given names.
    Names(core::slice::Iter<'a, &'a str>),
    /// Over a BSON array.
    Bson(ArrayIter<'a>),
}

impl<'a> Iterator for MechIter<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Self::Names(it) => it.next().copied(),
            Self::Bson(it) => it.find_map(|v| match v {
                Value::String(s) => Some(s),
                _ => None,
            }),
        }
    }
}

/// The mechanism to use when the user configured none (auth spec): SCRAM-SHA-256
/// if the server lists it, otherwise SCRAM-SHA-1, including when the list is
/// absent or holds only other or unknown names.
pub fn default_mechanism(mechs: Option<&MechList<'_>>) -> &'static str {
    if mechs.is_some_and(|m| m.contains("SCRAM-SHA-256")) { "SCRAM-SHA-256" } else { "SCRAM-SHA-1" }
}

/// A hello reply's `speculativeAuthenticate`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SpeculativeReply<'a> {
    /// A SASL reply to write (server side).
    Sasl(SaslReply<'a>),
    /// An X.509 reply to write (server side).
    Authenticate(AuthenticateReply<'a>),
    /// The document as read from a reply; interpret it with
    /// [`SpeculativeReply::sasl`] or [`SpeculativeReply::authenticate`]
    /// according to what was sent.
    Document(Document<'a>),
}

impl<'a> SpeculativeReply<'a> {
    /// The reply as a SASL reply.
    ///
    /// # Errors
    /// Missing or mistyped SASL fields.
    pub fn sasl(&self) -> Result<SaslReply<'a>, WireError> {
        match *self {
            Self::Sasl(s) => Ok(s),
            Self::Document(d) => SaslReply::parse_speculative(d),
            Self::Authenticate(_) => Err(BsonError::Missing { field: "conversationId" }.into()),
        }
    }

    /// The reply as an X.509 authenticate reply.
    ///
    /// # Errors
    /// Mistyped `dbname`/`user`, or a SASL reply.
    pub fn authenticate(&self) -> Result<AuthenticateReply<'a>, WireError> {
        match *self {
            Self::Authenticate(a) => Ok(a),
            Self::Document(d) => AuthenticateReply::parse_speculative(d),
            Self::Sasl(_) => Err(BsonError::Missing { field: "user" }.into()),
        }
    }

    fn write(&self, w: &mut DocWriter<'_>) {
        match self {
            Self::Sasl(s) => {
                w.document("speculativeAuthenticate", |w| s.write_speculative(w));
            }
            Self::Authenticate(a) => {
                w.document("speculativeAuthenticate", |w| a.write_speculative(w));
            }
            Self::Document(d) => {
                w.document_bytes("speculativeAuthenticate", *d);
            }
        }
    }
}

/// The hello reply fields authentication and a loopback server care about.
/// Fields are optional because real replies vary; absent ones are not
/// written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HelloReply<'a> {
    /// Write `ismaster` (legacy reply) instead of `isWritablePrimary`; when
    /// parsing, which of the two was found.
    pub legacy: bool,
    /// `isWritablePrimary` / `ismaster`.
    pub is_writable_primary: bool,
    /// `helloOk: true` (the server accepts `hello` from now on).
    pub hello_ok: bool,
    /// `arbiterOnly: true`: do not authenticate against an arbiter.
    pub arbiter_only: bool,
    /// `maxBsonObjectSize`.
    pub max_bson_object_size: Option<i32>,
    /// `maxMessageSizeBytes`.
    pub max_message_size_bytes: Option<i32>,
    /// `maxWriteBatchSize`.
    pub max_write_batch_size: Option<i32>,
    /// `localTime`, milliseconds since the epoch.
    pub local_time: Option<i64>,
    /// `connectionId`.
    pub connection_id: Option<i64>,
    /// `minWireVersion`.
    pub min_wire_version: Option<i32>,
    /// `maxWireVersion`.
    pub max_wire_version: Option<i32>,
    /// `saslSupportedMechs`, present when the hello asked for it and the
    /// user exists.
    pub sasl_supported_mechs: Option<MechList<'a>>,
    /// The answer to a speculative first step.
    pub speculative_authenticate: Option<SpeculativeReply<'a>>,
}

impl<'a> HelloReply<'a> {
    /// A writable primary with the server's default limits, wire versions
    /// 0 to [`DEFAULT_MAX_WIRE_VERSION`], and nothing for auth yet.
    pub fn primary() -> Self {
        Self {
            legacy: false,
            is_writable_primary: true,
            hello_ok: false,
            arbiter_only: false,
            max_bson_object_size: Some(DEFAULT_MAX_BSON_OBJECT_SIZE),
            max_message_size_bytes: i32::try_from(MAX_MESSAGE_SIZE).ok(),
            max_write_batch_size: Some(DEFAULT_MAX_WRITE_BATCH_SIZE),
            local_time: None,
            connection_id: None,
            min_wire_version: Some(0),
            max_wire_version: Some(DEFAULT_MAX_WIRE_VERSION),
            sasl_supported_mechs: None,
            speculative_authenticate: None,
        }
    }

    /// Read a hello reply: `Ok(Err(_))` for `ok: 0` (a failed hello is an
    /// authentication error in the handshake).
    ///
    /// # Errors
    /// A malformed `ok` or a field of the wrong type.
    pub fn parse(doc: Document<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        if let Err(e) = check_ok(&doc)? {
            return Ok(Err(e));
        }
        let (legacy, is_writable_primary) = match doc.get_opt::<bool>("isWritablePrimary")? {
            Some(p) => (false, p),
            None => (true, doc.get_opt::<bool>("ismaster")?.unwrap_or(false)),
        };
        let sasl_supported_mechs =
            doc.get_opt::<Array<'a>>("saslSupportedMechs")?.map(MechList::parse).transpose()?;
        Ok(Ok(Self {
            legacy,
            is_writable_primary,
            hello_ok: doc.get_opt("helloOk")?.unwrap_or(false),
            arbiter_only: doc.get_opt("arbiterOnly")?.unwrap_or(false),
            max_bson_object_size: opt_i32(&doc, "maxBsonObjectSize")?,
            max_message_size_bytes: opt_i32(&doc, "maxMessageSizeBytes")?,
            max_write_batch_size: opt_i32(&doc, "maxWriteBatchSize")?,
            local_time: match doc.get_element("localTime") {
                None => None,
                Some(e) => match e.value {
                    Value::DateTime(ms) => Some(ms),
                    v => {
                        return Err(BsonError::WrongType {
                            field: "localTime",
                            offset: e.offset,
                            expected: "datetime",
                            found: v.element_type(),
                        }
                        .into());
                    }
                },
            },
            connection_id: doc.get_opt::<Integer>("connectionId")?.map(|Integer(i)| i),
            min_wire_version: opt_i32(&doc, "minWireVersion")?,
            max_wire_version: opt_i32(&doc, "maxWireVersion")?,
            sasl_supported_mechs,
            speculative_authenticate: doc
                .get_opt::<Document<'a>>("speculativeAuthenticate")?
                .map(SpeculativeReply::Document),
        }))
    }

    /// The mechanism to use when none is configured: see
    /// [`default_mechanism`].
    pub fn default_mechanism(&self) -> &'static str {
        default_mechanism(self.sasl_supported_mechs.as_ref())
    }
}

impl WriteBody for HelloReply<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        if self.hello_ok {
            w.bool("helloOk", true);
        }
        let primary_key = if self.legacy { "ismaster" } else { "isWritablePrimary" };
        w.bool(primary_key, self.is_writable_primary);
        if self.arbiter_only {
            w.bool("arbiterOnly", true);
        }
        let ints = [
            ("maxBsonObjectSize", self.max_bson_object_size),
            ("maxMessageSizeBytes", self.max_message_size_bytes),
            ("maxWriteBatchSize", self.max_write_batch_size),
        ];
        for (k, v) in ints {
            if let Some(v) = v {
                w.int32(k, v);
            }
        }
        if let Some(t) = self.local_time {
            w.datetime("localTime", t);
        }
        if let Some(c) = self.connection_id {
            match i32::try_from(c) {
                Ok(c32) => w.int32("connectionId", c32),
                Err(_) => w.int64("connectionId", c),
            };
        }
        let ints =
            [("minWireVersion", self.min_wire_version), ("maxWireVersion", self.max_wire_version)];
        for (k, v) in ints {
            if let Some(v) = v {
                w.int32(k, v);
            }
        }
        if let Some(m) = &self.sasl_supported_mechs {
            w.array("saslSupportedMechs", |a| {
                for name in m.iter() {
                    a.string(name);
                }
            });
        }
        if let Some(s) = &self.speculative_authenticate {
            s.write(w);
        }
        w.double("ok", 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32c_check_value() {
        // The standard check value of CRC-32C over "123456789".
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn frame_round_trip() {
        let mut out = [0u8; 128];
        let n = encode_message(7, 0, &OkReply, &mut out).unwrap_or(0);
        let msg = parse_op_msg(out.get(..n).unwrap_or(&[]));
        let msg = msg.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(msg.request_id, 7);
        assert_eq!(check_ok(&msg.body), Ok(Ok(())));
    }

    #[test]
    fn frame_too_small_reports_whole_size() {
        let mut out = [0u8; 10];
        let needed = encode_message(7, 0, &OkReply, &mut [0u8; 128]).unwrap_or(0);
        assert_eq!(
            encode_message(7, 0, &OkReply, &mut out),
            Err(WireError::BufferTooSmall(crate::BufferTooSmall { required: needed }))
        );
    }
}
