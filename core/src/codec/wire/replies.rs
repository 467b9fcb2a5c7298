//! What a server answers: errors, SASL and X.509 replies, the hello reply.
//! A server writes them, a client reads them.

use core::fmt;

use super::frame::MAX_MESSAGE_SIZE;
use super::payload::read_payload;
use super::{ConversationId, WireError, WriteBody};
use crate::codec::bson::{
    Array, ArrayIter, BINARY_SUBTYPE_GENERIC, BsonError, DocWriter, Document, Integer, Lookup,
    Value,
};

/// The server error code for a failed login.
pub const AUTHENTICATION_FAILED: i32 = 18;

/// The server's `maxBsonObjectSize` (16 MiB), for hello replies.
pub const DEFAULT_MAX_BSON_OBJECT_SIZE: i32 = 16 * 1024 * 1024;
/// The server's `maxWriteBatchSize`, for hello replies.
pub const DEFAULT_MAX_WRITE_BATCH_SIZE: i32 = 100_000;
/// The `maxWireVersion` a loopback server reports by default (MongoDB 7.0).
pub const DEFAULT_MAX_WIRE_VERSION: i32 = 21;

/// An optional integer field that must fit in `i32`.
fn opt_i32<'a>(doc: &dyn Lookup<'a>, field: &'static str) -> Result<Option<i32>, WireError> {
    match doc.opt::<Integer>(field)? {
        None => Ok(None),
        Some(Integer(v)) => i32::try_from(v).map(Some).map_err(|_| WireError::InvalidField {
            field,
            offset: doc.element(field).map_or(0, |e| e.offset),
            rule: "out of int32 range",
        }),
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
pub fn check_ok<'a>(doc: &dyn Lookup<'a>) -> Result<Result<(), CommandError<'a>>, WireError> {
    let field = "ok";
    let e = doc.element(field).ok_or(BsonError::Missing { field })?;
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
    pub fn parse(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        Ok(Self {
            code: opt_i32(doc, "code")?,
            code_name: doc.opt("codeName")?,
            errmsg: doc.opt("errmsg")?,
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
        Self::from_fields(&doc.fields(Self::KEYS))
    }

    /// The fields [`SaslReply::from_fields`] reads.
    pub const KEYS: [&'static str; 7] =
        ["ok", "conversationId", "done", "payload", "code", "codeName", "errmsg"];

    /// [`SaslReply::parse`] from a reply already indexed (one walk) for at
    /// least [`SaslReply::KEYS`].
    ///
    /// # Errors
    /// As [`SaslReply::parse`].
    pub fn from_fields(doc: &dyn Lookup<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        match check_ok(doc)? {
            Ok(()) => Self::read_fields(doc).map(Ok),
            Err(e) => Ok(Err(e)),
        }
    }

    /// Read the `speculativeAuthenticate` document of a hello reply (it has
    /// no `ok`).
    ///
    /// # Errors
    /// A missing or mistyped `conversationId`, `done` or `payload`.
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        Self::read_fields(&doc.fields(["conversationId", "done", "payload"]))
    }

    fn read_fields(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        Ok(Self {
            conversation_id: ConversationId::read(doc)?,
            done: doc.req("done")?,
            payload: read_payload(doc)?,
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
        Self::from_fields(&doc.fields(Self::KEYS))
    }

    /// The fields [`AuthenticateReply::from_fields`] reads.
    pub const KEYS: [&'static str; 6] = ["ok", "dbname", "user", "code", "codeName", "errmsg"];

    /// [`AuthenticateReply::parse`] from a reply already indexed (one walk)
    /// for at least [`AuthenticateReply::KEYS`].
    ///
    /// # Errors
    /// As [`AuthenticateReply::parse`].
    pub fn from_fields(doc: &dyn Lookup<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        match check_ok(doc)? {
            Ok(()) => Self::read_fields(doc).map(Ok),
            Err(e) => Ok(Err(e)),
        }
    }

    /// Read the speculative form (no `ok`).
    ///
    /// # Errors
    /// Mistyped `dbname`/`user`.
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        Self::read_fields(&doc.fields(["dbname", "user"]))
    }

    fn read_fields(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        Ok(Self { dbname: doc.opt("dbname")?, user: doc.opt("user")? })
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

    /// The fields [`HelloReply::parse`] reads, indexed in one walk.
    pub const KEYS: [&'static str; 17] = [
        "ok",
        "code",
        "codeName",
        "errmsg",
        "isWritablePrimary",
        "ismaster",
        "saslSupportedMechs",
        "helloOk",
        "arbiterOnly",
        "maxBsonObjectSize",
        "maxMessageSizeBytes",
        "maxWriteBatchSize",
        "localTime",
        "connectionId",
        "minWireVersion",
        "maxWireVersion",
        "speculativeAuthenticate",
    ];

    /// Read a hello reply: `Ok(Err(_))` for `ok: 0` (a failed hello is an
    /// authentication error in the handshake).
    ///
    /// # Errors
    /// A malformed `ok` or a field of the wrong type.
    pub fn parse(doc: Document<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        Self::from_fields(&doc.fields(Self::KEYS))
    }

    /// [`HelloReply::parse`] from a reply already indexed (one walk) for at
    /// least [`HelloReply::KEYS`].
    ///
    /// # Errors
    /// As [`HelloReply::parse`].
    pub fn from_fields(doc: &dyn Lookup<'a>) -> Result<Result<Self, CommandError<'a>>, WireError> {
        if let Err(e) = check_ok(doc)? {
            return Ok(Err(e));
        }
        let (legacy, is_writable_primary) = match doc.opt::<bool>("isWritablePrimary")? {
            Some(p) => (false, p),
            None => (true, doc.opt::<bool>("ismaster")?.unwrap_or(false)),
        };
        let sasl_supported_mechs =
            doc.opt::<Array<'a>>("saslSupportedMechs")?.map(MechList::parse).transpose()?;
        Ok(Ok(Self {
            legacy,
            is_writable_primary,
            hello_ok: doc.opt("helloOk")?.unwrap_or(false),
            arbiter_only: doc.opt("arbiterOnly")?.unwrap_or(false),
            max_bson_object_size: opt_i32(doc, "maxBsonObjectSize")?,
            max_message_size_bytes: opt_i32(doc, "maxMessageSizeBytes")?,
            max_write_batch_size: opt_i32(doc, "maxWriteBatchSize")?,
            local_time: match doc.element("localTime") {
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
            connection_id: doc.opt::<Integer>("connectionId")?.map(|Integer(i)| i),
            min_wire_version: opt_i32(doc, "minWireVersion")?,
            max_wire_version: opt_i32(doc, "maxWireVersion")?,
            sasl_supported_mechs,
            speculative_authenticate: doc
                .opt::<Document<'a>>("speculativeAuthenticate")?
                .map(SpeculativeReply::Document),
        }))
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
