//! The authentication commands: a client writes them, a server reads them.

use super::payload::read_payload;
use super::{ConversationId, WireError, WriteBody};
use crate::codec::bson::{BINARY_SUBTYPE_GENERIC, DocWriter, Document, Lookup};

/// The mechanism name of X.509 authentication.
pub const MONGODB_X509: &str = "MONGODB-X509";

/// Require that the body's first key is one of `names`; returns the one found.
fn expect_command<'a>(
    doc: &dyn Lookup<'a>,
    names: &[&'static str],
    expected: &'static str,
) -> Result<&'a str, WireError> {
    let wrong = WireError::UnexpectedCommand { expected, offset: doc.document().offset() };
    let first = doc.first().ok_or(wrong)?;
    if names.contains(&first.key) {
        Ok(first.key)
    } else {
        Err(WireError::UnexpectedCommand { expected, offset: first.offset })
    }
}

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
        Self::from_fields(&doc.fields(Self::KEYS))
    }

    /// The fields [`Hello::from_fields`] reads.
    pub const KEYS: [&'static str; 4] =
        ["saslSupportedMechs", "speculativeAuthenticate", "client", "$db"];

    /// [`Hello::parse`] from a document already indexed (one walk) for at
    /// least [`Hello::KEYS`].
    ///
    /// # Errors
    /// As [`Hello::parse`].
    pub fn from_fields(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        let name = expect_command(doc, &["hello", "isMaster", "ismaster"], "hello")?;
        let sasl_supported_mechs = match doc.opt::<&str>("saslSupportedMechs")? {
            None => None,
            Some(s) => {
                let (db, user) = s.split_once('.').ok_or(WireError::InvalidField {
                    field: "saslSupportedMechs",
                    offset: doc.element("saslSupportedMechs").map_or(0, |e| e.offset),
                    rule: "must be <db>.<user>",
                })?;
                Some(UserRef { db, user })
            }
        };
        let speculative_authenticate = doc
            .opt::<Document<'a>>("speculativeAuthenticate")?
            .map(Speculative::parse)
            .transpose()?;
        Ok(Self {
            legacy: name != "hello",
            sasl_supported_mechs,
            speculative_authenticate,
            client: doc.opt("client")?,
            // A legacy OP_QUERY hello names its database in the collection
            // name instead; it is always admin.
            db: doc.opt("$db")?.unwrap_or("admin"),
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
    fn parse_with(doc: &dyn Lookup<'a>, db_key: &'static str) -> Result<Self, WireError> {
        expect_command(doc, &["saslStart"], "saslStart")?;
        let skip_empty_exchange = match doc.opt::<Document<'a>>("options")? {
            Some(o) => o.get_opt::<bool>("skipEmptyExchange")?.unwrap_or(false),
            None => false,
        };
        Ok(Self {
            mechanism: doc.req("mechanism")?,
            payload: read_payload(doc)?,
            skip_empty_exchange,
            db: doc.req(db_key)?,
        })
    }

    /// The fields [`SaslStart::from_fields`] reads.
    pub const KEYS: [&'static str; 4] = ["options", "mechanism", "payload", "$db"];

    /// Read a saslStart command (server side).
    ///
    /// # Errors
    /// Another command, a missing field, or a field of the wrong type.
    pub fn parse(doc: Document<'a>) -> Result<Self, WireError> {
        Self::from_fields(&doc.fields(Self::KEYS))
    }

    /// [`SaslStart::parse`] from a document already indexed (one walk) for
    /// at least [`SaslStart::KEYS`].
    ///
    /// # Errors
    /// As [`SaslStart::parse`].
    pub fn from_fields(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        Self::parse_with(doc, "$db")
    }

    /// Read the speculative form (with `db`).
    ///
    /// # Errors
    /// As [`SaslStart::parse`]; `db` is required (the server ignores a
    /// speculative saslStart without it).
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        Self::parse_with(&doc.fields(["options", "mechanism", "payload", "db"]), "db")
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
        Self::from_fields(&doc.fields(Self::KEYS))
    }

    /// The fields [`SaslContinue::from_fields`] reads.
    pub const KEYS: [&'static str; 3] = ["conversationId", "payload", "$db"];

    /// [`SaslContinue::parse`] from a document already indexed (one walk)
    /// for at least [`SaslContinue::KEYS`].
    ///
    /// # Errors
    /// As [`SaslContinue::parse`].
    pub fn from_fields(doc: &dyn Lookup<'a>) -> Result<Self, WireError> {
        expect_command(doc, &["saslContinue"], "saslContinue")?;
        Ok(Self {
            conversation_id: ConversationId::read(doc)?,
            payload: read_payload(doc)?,
            db: doc.req("$db")?,
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

    fn parse_fields(doc: &dyn Lookup<'a>, db: &'a str) -> Result<Self, WireError> {
        expect_command(doc, &["authenticate"], "authenticate")?;
        Ok(Self { mechanism: doc.req("mechanism")?, user: doc.opt("user")?, db })
    }

    /// Read an authenticate command (server side).
    ///
    /// # Errors
    /// Another command, a missing field, or a field of the wrong type.
    pub fn parse(doc: Document<'a>) -> Result<Self, WireError> {
        let f = doc.fields(["$db", "mechanism", "user"]);
        Self::parse_fields(&f, f.get_str("$db")?)
    }

    /// Read the speculative form; a missing `db` means `$external`, as on the
    /// server.
    ///
    /// # Errors
    /// As [`Authenticate::parse`].
    pub fn parse_speculative(doc: Document<'a>) -> Result<Self, WireError> {
        let f = doc.fields(["db", "mechanism", "user"]);
        let db = f.get_opt("db")?.unwrap_or("$external");
        Self::parse_fields(&f, db)
    }
}

impl WriteBody for Authenticate<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        self.write_fields(w);
        w.string("$db", self.db);
    }
}
