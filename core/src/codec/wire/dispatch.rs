//! Server side: naming an incoming command by its first key.

use super::WireError;
use crate::codec::bson::{Document, Lookup};

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
        Self::from_fields(&body.fields(["$db"]))
    }

    /// [`Command::parse`] from a body already indexed (one walk) for at
    /// least `$db`: a server indexes every field its handlers read at once.
    ///
    /// # Errors
    /// As [`Command::parse`].
    pub fn from_fields(fields: &dyn Lookup<'a>) -> Result<Self, WireError> {
        let body = fields.document();
        let first = fields.first().ok_or(WireError::InvalidField {
            field: "command name",
            offset: body.offset(),
            rule: "a command body must not be empty",
        })?;
        Ok(Self { name: first.key, db: fields.req("$db")?, body })
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
