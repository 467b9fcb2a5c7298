//! Legacy OP_QUERY / OP_REPLY, server side: the opening `isMaster` of
//! drivers that do not declare a Stable API.

use super::WireError;
use super::frame::{HEADER_LEN, MAX_MESSAGE_SIZE, WriteBody, frame_len_in};
use crate::codec::bson::{BsonError, DocWriter, Document};
use crate::reader::Reader;

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
