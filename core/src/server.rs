//! The server side of one connection's login, built from the same pieces as
//! the client: command bodies in, reply bodies out, users identified by
//! (database, name) as MongoDB identifies them, and every failure answered
//! with code 18 AuthenticationFailed without saying which part failed.
//!
//! It answers `hello`/`isMaster` (with `saslSupportedMechs` and a
//! speculative SCRAM first step), `saslStart`/`saslContinue` for
//! SCRAM-SHA-1 and SCRAM-SHA-256, and the few commands a driver sends right
//! after logging in (`ping`, `buildInfo`, `connectionStatus`, `endSessions`).
//! It is what the demo's in-process server and the interop tests with real
//! drivers (pymongo, the C and Go drivers) run. Sans-I/O and allocation-free.

use heapless::String;

use crate::codec::bson::{DocWriter, Document};
use crate::codec::wire::{
    self, Command, CommandError, CommandKind, Hello, HelloReply, MechList, SaslContinue, SaslReply,
    SaslStart, Speculative, SpeculativeReply, WriteBody,
};
use crate::error::Error;
use crate::mech::Mechanism;
use crate::mech::scram::{AnyServer, AnyStoredCredentials, ServerMachine, StoredCredentials};

/// Longest database name a session tracks.
pub const MAX_DB_LEN: usize = 64;
/// Longest username a session tracks (as in SCRAM).
pub const MAX_USER_LEN: usize = crate::mech::scram::MAX_USERNAME_LEN;
/// Random bytes [`ServerSession::handle`] takes per call (a server nonce).
pub const SESSION_ENTROPY_LEN: usize = 24;

/// The conversation id this server hands out (MongoDB's servers use 1).
const CONVERSATION_ID: i32 = 1;

/// Where a server looks users up: stored credentials, never passwords.
pub trait UserStore {
    /// The credentials of `user` in `db` for a SCRAM mechanism, if any.
    fn scram_credentials(
        &self,
        db: &str,
        user: &str,
        mechanism: Mechanism,
    ) -> Option<AnyStoredCredentials>;
}

struct UserEntry {
    db: String<MAX_DB_LEN>,
    user: String<MAX_USER_LEN>,
    #[cfg(feature = "sha1")]
    sha1: StoredCredentials<crate::mech::scram::Sha1>,
    sha256: StoredCredentials<crate::mech::scram::Sha256>,
}

/// A fixed set of up to `N` users, each with SCRAM-SHA-1 and SCRAM-SHA-256
/// credentials, for tests, demos and small embedded servers.
pub struct StaticUsers<const N: usize> {
    users: heapless::Vec<UserEntry, N>,
}

impl<const N: usize> StaticUsers<N> {
    /// No users.
    pub const fn new() -> Self {
        StaticUsers { users: heapless::Vec::new() }
    }

    /// Add a user the way `createUser` does, for both SCRAM mechanisms at
    /// mongod's default iteration counts. `salt` gives 28 random bytes
    /// (SCRAM-SHA-1 uses the first 16).
    ///
    /// # Errors
    /// A password SASLprep rejects; names over [`MAX_DB_LEN`] /
    /// [`MAX_USER_LEN`]; more than `N` users.
    pub fn with_scram_user(
        mut self,
        db: &str,
        user: &str,
        password: &str,
        salt: &[u8; 28],
    ) -> Result<Self, Error> {
        use crate::crypto::ScramHash;
        let entry = UserEntry {
            db: String::try_from(db)
                .map_err(|_| Error::Capacity { what: "database name", limit: MAX_DB_LEN })?,
            user: String::try_from(user)
                .map_err(|_| Error::Capacity { what: "username", limit: MAX_USER_LEN })?,
            #[cfg(feature = "sha1")]
            sha1: StoredCredentials::generate(
                user,
                password,
                salt.get(..crate::mech::scram::Sha1::SALT_LEN).unwrap_or(salt),
                crate::mech::scram::Sha1::DEFAULT_ITERATIONS,
            )?,
            sha256: StoredCredentials::generate(
                user,
                password,
                salt,
                crate::mech::scram::Sha256::DEFAULT_ITERATIONS,
            )?,
        };
        self.users.push(entry).map_err(|_| Error::Capacity { what: "user table", limit: N })?;
        Ok(self)
    }
}

impl<const N: usize> Default for StaticUsers<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> UserStore for StaticUsers<N> {
    fn scram_credentials(
        &self,
        db: &str,
        user: &str,
        mechanism: Mechanism,
    ) -> Option<AnyStoredCredentials> {
        let e = self.users.iter().find(|e| e.db == db && e.user == user)?;
        match mechanism {
            #[cfg(feature = "sha1")]
            Mechanism::ScramSha1 => Some(AnyStoredCredentials::Sha1(e.sha1.clone())),
            Mechanism::ScramSha256 => Some(AnyStoredCredentials::Sha256(e.sha256.clone())),
            _ => None,
        }
    }
}

/// The SCRAM conversation in progress on a connection.
struct Sasl {
    server: AnyServer,
    db: String<MAX_DB_LEN>,
    skip_empty_exchange: bool,
    /// The signature went out with `done: false`; an empty saslContinue is due.
    awaiting_empty: bool,
}

/// One connection's login, server side.
pub struct ServerSession<'u, U: UserStore> {
    users: &'u U,
    decoy_secret: [u8; 32],
    sasl: Option<Sasl>,
    authenticated: Option<(String<MAX_DB_LEN>, String<MAX_USER_LEN>)>,
    connection_id: i64,
}

impl<'u, U: UserStore> ServerSession<'u, U> {
    /// A session over `users`. `decoy_secret` is a per-server random value:
    /// unknown users get stable fake credentials derived from it, so they
    /// fail exactly like a wrong password.
    pub fn new(users: &'u U, decoy_secret: [u8; 32]) -> Self {
        ServerSession { users, decoy_secret, sasl: None, authenticated: None, connection_id: 1 }
    }

    /// Set the `connectionId` reported in hello replies.
    pub fn with_connection_id(mut self, id: i64) -> Self {
        self.connection_id = id;
        self
    }

    /// Who is logged in on this connection: `(db, user)`.
    pub fn authenticated_user(&self) -> Option<(&str, &str)> {
        self.authenticated.as_ref().map(|(d, u)| (d.as_str(), u.as_str()))
    }

    /// Handle one command body (from an OP_MSG, whose `$db` names the
    /// database) and write the reply body into `out`. `entropy` is fresh
    /// randomness for a server nonce.
    ///
    /// # Errors
    /// A body that is not a command document, or an `out` too small for the
    /// reply. A failed login is not an error: it is a reply with code 18.
    pub fn handle(
        &mut self,
        body: &[u8],
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let doc = Document::parse(body)?;
        let cmd = Command::parse(doc)?;
        self.dispatch(cmd, entropy, out)
    }

    /// As [`handle`](Self::handle) for a legacy OP_QUERY command (the opening
    /// `isMaster` of drivers that do not declare a Stable API), whose database
    /// comes from the `<db>.$cmd` collection name instead of `$db`.
    ///
    /// # Errors
    /// As [`handle`](Self::handle).
    pub fn handle_legacy(
        &mut self,
        body: &[u8],
        db: &str,
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let doc = Document::parse(body)?;
        let name =
            doc.first().ok_or(Error::Protocol { rule: "a command body must not be empty" })?.key;
        self.dispatch(Command { name, db, body: doc }, entropy, out)
    }

    /// Handle one whole request frame (an OP_MSG, or a driver's opening
    /// OP_QUERY) and write the whole reply frame (OP_MSG or OP_REPLY, with
    /// `reply_id` as its request id) into `out`. Returns the reply's length.
    ///
    /// # Errors
    /// A frame that is not exactly one well-formed request, or an `out` too
    /// small for the reply. A failed login is a reply, not an error.
    pub fn handle_frame(
        &mut self,
        frame: &[u8],
        reply_id: i32,
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let header: &[u8; wire::HEADER_LEN] = frame
            .get(..wire::HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(wire::WireError::Truncated { field: "message header", offset: 0 })?;
        let (len, op) = wire::request_frame_len(header, frame.len())?;
        if len != frame.len() {
            return Err(
                wire::WireError::LengthMismatch { declared: len, actual: frame.len() }.into()
            );
        }
        if op == wire::OP_QUERY {
            let q = wire::parse_op_query(frame)?;
            let body = out.get_mut(wire::OP_REPLY_BODY_OFFSET..).unwrap_or(&mut []);
            let m = self.handle_legacy(q.query.as_bytes(), q.db(), entropy, body)?;
            Ok(wire::finish_op_reply(reply_id, q.request_id, out, m)?)
        } else {
            let msg = wire::parse_op_msg(frame)?;
            let body = out.get_mut(wire::OP_MSG_BODY_OFFSET..).unwrap_or(&mut []);
            let m = self.handle(msg.body.as_bytes(), entropy, body)?;
            Ok(wire::finish_op_msg(reply_id, msg.request_id, out, m)?)
        }
    }

    fn dispatch(
        &mut self,
        cmd: Command<'_>,
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        match cmd.kind() {
            CommandKind::Hello | CommandKind::LegacyHello => self.hello(cmd, entropy, out),
            CommandKind::SaslStart => {
                let reply = SaslStart::parse(cmd.body)
                    .ok()
                    .and_then(|s| self.sasl_start(&s, cmd.db, entropy).ok())
                    .map(|first| (false, first));
                match reply {
                    Some(r) => sasl_reply(r, out),
                    None => self.fail(out),
                }
            }
            CommandKind::SaslContinue => {
                let reply =
                    SaslContinue::parse(cmd.body).ok().and_then(|c| self.sasl_continue(&c).ok());
                match reply {
                    Some(r) => sasl_reply(r, out),
                    None => self.fail(out),
                }
            }
            CommandKind::Authenticate => {
                // X.509 needs the TLS layer's client certificate, which a
                // sans-I/O session does not see: refuse like any failure.
                write(&CommandError::AUTHENTICATION_FAILED, out)
            }
            CommandKind::Other => self.other(cmd, out),
        }
    }

    fn hello(
        &mut self,
        cmd: Command<'_>,
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        // Accept OP_QUERY hellos without `$db` too.
        let hello = Hello::parse(cmd.body).ok();
        let mut reply = HelloReply::primary();
        reply.legacy = cmd.kind() == CommandKind::LegacyHello;
        reply.hello_ok = true;
        reply.connection_id = Some(self.connection_id);
        const BOTH: &[&str] = &["SCRAM-SHA-1", "SCRAM-SHA-256"];
        if let Some(u) = hello.as_ref().and_then(|h| h.sasl_supported_mechs)
            && self.users.scram_credentials(u.db, u.user, Mechanism::ScramSha256).is_some()
        {
            reply.sasl_supported_mechs = Some(MechList::Names(BOTH));
        }
        // A speculative saslStart: failures are dropped silently, as mongod does.
        let spec = match hello.and_then(|h| h.speculative_authenticate) {
            Some(Speculative::SaslStart(s)) => self.sasl_start(&s, s.db, entropy).ok(),
            _ => None,
        };
        let payload: heapless::Vec<u8, { crate::mech::scram::MAX_MESSAGE_LEN }> =
            spec.map(|p| heapless::Vec::from_slice(p).unwrap_or_default()).unwrap_or_default();
        if spec.is_some() {
            reply.speculative_authenticate = Some(SpeculativeReply::Sasl(SaslReply {
                conversation_id: wire::ConversationId::Int32(CONVERSATION_ID),
                done: false,
                payload: &payload,
            }));
        }
        write(&reply, out)
    }

    /// Start SCRAM; returns the server-first-message.
    fn sasl_start(
        &mut self,
        s: &SaslStart<'_>,
        db: &str,
        entropy: &[u8; SESSION_ENTROPY_LEN],
    ) -> Result<&[u8], Error> {
        self.sasl = None;
        let mechanism = Mechanism::from_name(s.mechanism).ok_or(Error::AuthenticationFailed)?;
        let mut server = match mechanism {
            #[cfg(feature = "sha1")]
            Mechanism::ScramSha1 => AnyServer::Sha1(ServerMachine::new()),
            Mechanism::ScramSha256 => AnyServer::Sha256(ServerMachine::new()),
            _ => return Err(Error::AuthenticationFailed),
        };
        let user = server.handle_client_first(s.payload)?;
        let creds = match self.users.scram_credentials(db, user, mechanism) {
            Some(c) => c,
            // Unknown user: run on with decoy credentials; it fails at the proof.
            None => match mechanism {
                #[cfg(feature = "sha1")]
                Mechanism::ScramSha1 => {
                    AnyStoredCredentials::Sha1(StoredCredentials::decoy(&self.decoy_secret, user))
                }
                _ => {
                    AnyStoredCredentials::Sha256(StoredCredentials::decoy(&self.decoy_secret, user))
                }
            },
        };
        server.respond(&creds, entropy)?;
        let db = String::try_from(db)
            .map_err(|_| Error::Capacity { what: "database name", limit: MAX_DB_LEN })?;
        let sasl = self.sasl.insert(Sasl {
            server,
            db,
            skip_empty_exchange: s.skip_empty_exchange,
            awaiting_empty: false,
        });
        sasl.server.message().ok_or(Error::AuthenticationFailed)
    }

    /// Continue SCRAM; returns (done, payload).
    fn sasl_continue(&mut self, c: &SaslContinue<'_>) -> Result<(bool, &[u8]), Error> {
        if c.conversation_id.get() != i64::from(CONVERSATION_ID) {
            return Err(Error::Protocol { rule: "unknown conversationId" });
        }
        let sasl = self.sasl.as_mut().ok_or(Error::AuthenticationFailed)?;
        if sasl.db.as_str() != c.db {
            return Err(Error::AuthenticationFailed);
        }
        if sasl.awaiting_empty {
            if !c.payload.is_empty() {
                return Err(Error::AuthenticationFailed);
            }
            return Ok((true, &[]));
        }
        sasl.server.handle_client_final(c.payload)?;
        if let Some(user) = sasl.server.username() {
            let user = String::try_from(user).unwrap_or_default();
            self.authenticated = Some((sasl.db.clone(), user));
        }
        sasl.awaiting_empty = !sasl.skip_empty_exchange;
        let done = sasl.skip_empty_exchange;
        Ok((done, sasl.server.message().unwrap_or(&[])))
    }

    /// Any failure, whichever part: code 18, and the conversation is over.
    fn fail(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        self.sasl = None;
        write(&CommandError::AUTHENTICATION_FAILED, out)
    }

    fn other(&mut self, cmd: Command<'_>, out: &mut [u8]) -> Result<usize, Error> {
        match cmd.name {
            "ping" | "endSessions" => write(&wire::OkReply, out),
            "buildInfo" | "buildinfo" => write(&BuildInfo, out),
            "connectionStatus" => write(&ConnectionStatus(self.authenticated_user()), out),
            _ => write(
                &CommandError {
                    code: Some(59),
                    code_name: Some("CommandNotFound"),
                    errmsg: Some("no such command (mongoauth's server only speaks authentication)"),
                },
                out,
            ),
        }
    }
}

impl<'u, U: UserStore> core::fmt::Debug for ServerSession<'u, U> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSession")
            .field("authenticated", &self.authenticated_user())
            .finish_non_exhaustive()
    }
}

fn sasl_reply((done, payload): (bool, &[u8]), out: &mut [u8]) -> Result<usize, Error> {
    let conversation_id = wire::ConversationId::Int32(CONVERSATION_ID);
    write(&SaslReply { conversation_id, done, payload }, out)
}

fn write(body: &impl WriteBody, out: &mut [u8]) -> Result<usize, Error> {
    Ok(wire::encode_document(body, out)?)
}

struct BuildInfo;

impl WriteBody for BuildInfo {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.string("version", "7.0.0")
            .array("versionArray", |a| {
                a.int32(7).int32(0).int32(0).int32(0);
            })
            .int32("maxBsonObjectSize", wire::DEFAULT_MAX_BSON_OBJECT_SIZE)
            .double("ok", 1.0);
    }
}

struct ConnectionStatus<'a>(Option<(&'a str, &'a str)>);

impl WriteBody for ConnectionStatus<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        w.document("authInfo", |w| {
            w.array("authenticatedUsers", |a| {
                if let Some((db, user)) = self.0 {
                    a.document(|d| {
                        d.string("user", user).string("db", db);
                    });
                }
            })
            .array("authenticatedUserRoles", |_| {});
        })
        .double("ok", 1.0);
    }
}
