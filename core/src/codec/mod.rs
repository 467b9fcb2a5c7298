//! The bytes on the wire: BSON documents and the MongoDB message framing,
//! with the authentication commands and replies built on them. Only what
//! authentication and user management need; nothing here allocates.

pub mod bson;
pub mod wire;
