//! OP_MSG framing: [`frame_len`] checks a header before the body is read,
//! [`parse_op_msg`] checks a whole frame, the encoders write one straight
//! into a caller's buffer.

use super::{WireError, crc32c};
use crate::codec::bson::{BsonError, DocWriter, Document, Fields};
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
    parse_op_msg_with(frame, &mut Document::read)
}

/// [`parse_op_msg`], also indexing the body's top-level fields named `keys`
/// in the one walk that validates it ([`Document::read_fields`]): a server
/// reads each command exactly once.
///
/// # Errors
/// As [`parse_op_msg`].
pub fn parse_op_msg_fields<'a, const N: usize>(
    frame: &'a [u8],
    keys: [&'static str; N],
) -> Result<(OpMsg<'a>, Fields<'a, N>), WireError> {
    let mut fields = Fields::new(Document::EMPTY, keys);
    let msg = parse_op_msg_into(frame, &mut fields)?;
    Ok((msg, fields))
}

/// [`parse_op_msg_fields`] into an index the caller holds.
pub(crate) fn parse_op_msg_into<'a, const N: usize>(
    frame: &'a [u8],
    fields: &mut Fields<'a, N>,
) -> Result<OpMsg<'a>, WireError> {
    parse_op_msg_with(frame, &mut |r| Document::read_fields_into(r, fields))
}

/// The frame checks of [`parse_op_msg`], with the body read (and validated)
/// by `read_body`: one copy of the frame logic for both.
fn parse_op_msg_with<'a>(
    frame: &'a [u8],
    read_body: &mut dyn FnMut(&mut Reader<'a>) -> Result<Document<'a>, BsonError>,
) -> Result<OpMsg<'a>, WireError> {
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
                let read = read_body(&mut sections)?;
                if body.replace(read).is_some() {
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
    // flagBits and the section kind stay 0.
    let mut prefix = [0u8; BODY_OFFSET];
    for (dst, field) in prefix.chunks_exact_mut(4).zip([length, request_id, response_to, OP_MSG]) {
        dst.copy_from_slice(&field.to_le_bytes());
    }
    let n = out.len().min(BODY_OFFSET);
    if let (Some(dst), Some(src)) = (out.get_mut(..n), prefix.get(..n)) {
        dst.copy_from_slice(src);
    }
}

fn check_total(body_len: usize) -> Result<usize, WireError> {
    let total = body_len.saturating_add(BODY_OFFSET);
    if total > MAX_MESSAGE_SIZE {
        return Err(WireError::MessageTooLarge { length: total, limit: MAX_MESSAGE_SIZE });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::wire::{OkReply, check_ok};

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
