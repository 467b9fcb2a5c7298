//! OP_MSG framing and the authentication commands and replies, for both ends.
//!
//! * Framing: [`frame_len`] reads a 16-byte header so a streaming reader knows
//!   how much to read (checking the size limits *before* any body is read),
//!   [`parse_op_msg`] checks a whole frame and returns its body
//!   [`Document`](crate::codec::bson::Document) ([`parse_op_msg_fields`]
//!   also indexes the fields a parser reads, in the same walk), and
//!   [`encode_op_msg_with`] writes a frame straight into a caller's buffer.
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
//!
//! Layout, one job per module: `error` ([`WireError`]), `frame` (OP_MSG),
//! `legacy` (OP_QUERY / OP_REPLY), `crc32c`, `payload` (the SASL payload and
//! `conversationId` fields both directions share), `commands` (the auth
//! commands a client writes and a server reads), `dispatch` (naming an
//! incoming command, server side), `replies` (what a server answers).

mod commands;
mod crc32c;
mod dispatch;
mod error;
mod frame;
mod legacy;
mod payload;
mod replies;

pub use commands::{
    Authenticate, Hello, MONGODB_X509, SaslContinue, SaslStart, Speculative, UserRef,
};
pub use crc32c::crc32c;
pub use dispatch::{Command, CommandKind};
pub use error::WireError;
pub(crate) use frame::parse_op_msg_into;
pub use frame::{
    FLAG_CHECKSUM_PRESENT, FLAG_EXHAUST_ALLOWED, FLAG_MORE_TO_COME, HEADER_LEN, MAX_MESSAGE_SIZE,
    MIN_MESSAGE_LEN, OP_MSG, OP_MSG_BODY_OFFSET, OpMsg, WriteBody, encode_document, encode_message,
    encode_op_msg, encode_op_msg_with, finish_op_msg, frame_len, frame_len_in, parse_op_msg,
    parse_op_msg_fields,
};
#[cfg(feature = "mongodb-cr")]
pub(crate) use legacy::read_legacy_header;
pub use legacy::{
    OP_QUERY, OP_REPLY, OP_REPLY_BODY_OFFSET, OpQuery, encode_op_reply, finish_op_reply,
    parse_op_query, request_frame_len,
};
pub use payload::{AnyPayload, ConversationId, PayloadType};
pub use replies::{
    AUTHENTICATION_FAILED, AuthenticateReply, CommandError, DEFAULT_MAX_BSON_OBJECT_SIZE,
    DEFAULT_MAX_WIRE_VERSION, DEFAULT_MAX_WRITE_BATCH_SIZE, HelloReply, MechIter, MechList,
    OkReply, SaslReply, SpeculativeReply, check_ok,
};
