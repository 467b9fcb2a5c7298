//! The [`Authenticator`]: what a driver calls to log a new connection in.
//! Sans-I/O: it hands out the next command ([`Authenticator::command`], a
//! [`WriteBody`] the caller frames and sends) and takes each reply's body
//! ([`Authenticator::handle_reply`]); sockets, time and randomness stay
//! with the caller. No allocation.
//!
//! What it does, per the MongoDB auth and handshake specs:
//! - the `hello` carries `saslSupportedMechs: "<source>.<user>"` when no
//!   mechanism is configured, and `speculativeAuthenticate` for SCRAM
//!   (SCRAM-SHA-256 when negotiating) and X509;
//! - negotiation: SCRAM-SHA-256 when the server lists it, else SCRAM-SHA-1;
//! - a speculative SCRAM reply continues that conversation (same nonce, same
//!   client-first); no reply, or another negotiated mechanism, starts afresh
//!   with a fresh nonce;
//! - `saslStart` with `skipEmptyExchange`, `saslContinue` echoing the
//!   `conversationId`; servers that ignore `skipEmptyExchange` get one empty
//!   `saslContinue` after the signature verified; a bounded number of steps;
//! - success only after the server signature verified: `done: true` before
//!   that is a protocol error, never a login;
//! - PLAIN (`\0user\0password`, one step), MONGODB-X509 (`authenticate`, with
//!   `user` only when given).
//!
//! ```
//! use mongoauth::client::{Authenticator, AuthConfig, Credential, Progress};
//! use mongoauth::server::{ServerSession, UserStore, StaticUsers};
//! use mongoauth::codec::wire;
//!
//! // An in-process server with one user, and a client that logs in to it.
//! let users = StaticUsers::<1>::new().with_scram_user("admin", "alice", "pencil", &[1; 28])?;
//! let mut server = ServerSession::new(&users, [9u8; 32]);
//! let cred = Credential::scram("alice", "pencil", "admin");
//! let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7u8; 48])?;
//! let (mut req, mut rep) = ([0u8; 1024], [0u8; 1024]);
//! while let Some(cmd) = auth.command() {
//!     let n = wire::encode_document(&cmd, &mut req)?;
//!     let m = server.handle(&req[..n], &[3u8; 24], &mut rep)?;
//!     if auth.handle_reply(&rep[..m])? == Progress::Done {
//!         break;
//!     }
//! }
//! assert!(auth.is_authenticated());
//! # Ok::<(), mongoauth::Error>(())
//! ```

use heapless::Vec;
use zeroize::Zeroize;

use crate::codec::bson::{DocWriter, Document};
use crate::codec::wire::{
    self, Authenticate, AuthenticateReply, ConversationId, Hello, HelloReply, SaslContinue,
    SaslReply, SaslStart, Speculative, UserRef, WriteBody,
};
use crate::error::{CommandFailure, Error};
use crate::mech::scram::{self, AnyClient, ClientConfig, ClientMachine, KeyStore, Nonce, Step};
use crate::mech::{self, Mechanism};

/// Random bytes [`Authenticator::new`] needs: two 24-byte nonces, one for a
/// speculative attempt and a fresh one should it be declined.
pub const AUTH_ENTROPY_LEN: usize = 48;
/// Longest PLAIN payload (`\0` user `\0` password).
pub const MAX_PLAIN_PAYLOAD: usize = 2 + scram::MAX_USERNAME_LEN + scram::MAX_PASSWORD_LEN;
/// Most SASL replies one conversation may take (SCRAM needs two, three with
/// a server that ignores `skipEmptyExchange`).
pub const MAX_SASL_REPLIES: u8 = 3;

/// A validated credential, as plain strings (decoded from a URI by
/// [`crate::uri`], or given programmatically).
#[derive(Clone, Copy)]
pub struct Credential<'a> {
    /// `None`: negotiate SCRAM-SHA-256 or SCRAM-SHA-1.
    pub mechanism: Option<Mechanism>,
    /// The username (raw: not escaped, not SASLprep'd).
    pub username: Option<&'a str>,
    /// The password, for SCRAM and PLAIN.
    pub password: Option<&'a str>,
    /// The database the auth commands go to (`admin`, `$external`, ...).
    pub source: &'a str,
}

impl<'a> Credential<'a> {
    /// A SCRAM credential with a negotiated mechanism.
    pub fn scram(username: &'a str, password: &'a str, source: &'a str) -> Self {
        Credential { mechanism: None, username: Some(username), password: Some(password), source }
    }
}

impl core::fmt::Debug for Credential<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Credential")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password.map(|_| "<redacted>"))
            .field("source", &self.source)
            .finish()
    }
}

/// Authenticator policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuthConfig {
    /// Try the first step inside `hello` (saves a round trip). Default true.
    pub speculative: bool,
    /// Open with legacy `isMaster` + `helloOk` (the handshake spec's choice
    /// unless a Stable API version or loadBalanced is set). Default true.
    pub legacy_hello: bool,
    /// SCRAM policy (the iteration cap).
    pub scram: ClientConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig { speculative: true, legacy_hello: true, scram: ClientConfig::default() }
    }
}

/// What to do after a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// Send [`Authenticator::command`] next.
    SendCommand,
    /// The connection is authenticated (or needs none: an arbiter).
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The `hello` is the next command.
    Hello,
    /// A SASL or authenticate command is the next command.
    Auth,
    Done,
    Failed,
}

/// The running conversation.
// Not boxed: there is no allocator; the SCRAM state is the common case.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
enum Conversation {
    None,
    Scram(AnyClient),
    Plain,
    X509,
}

/// A connection's login, from `hello` to the last auth reply.
pub struct Authenticator<'c> {
    cred: Credential<'c>,
    config: AuthConfig,
    nonces: [Nonce; 2],
    phase: Phase,
    conversation: Conversation,
    /// The mechanism tried inside hello, if any.
    speculated: Option<Mechanism>,
    /// The mechanism of the running conversation.
    mechanism: Option<Mechanism>,
    /// The server answered the speculative first step, and we went on with it.
    speculation_answered: bool,
    conversation_id: Option<ConversationId>,
    replies: u8,
    /// SCRAM verified the server while it still said `done: false`: one empty
    /// saslContinue is owed.
    empty_continue: bool,
    plain: Vec<u8, MAX_PLAIN_PAYLOAD>,
    cache: Option<&'c mut dyn KeyStore>,
    authenticated: bool,
}

impl<'c> Authenticator<'c> {
    /// Prepare a login. `entropy` is [`AUTH_ENTROPY_LEN`] random bytes.
    ///
    /// # Errors
    /// A credential the mechanism cannot use (missing username or password,
    /// an unsupported mechanism), a password SASLprep rejects.
    pub fn new(
        cred: Credential<'c>,
        config: AuthConfig,
        entropy: &[u8; AUTH_ENTROPY_LEN],
    ) -> Result<Self, Error> {
        let (a, b) = entropy.split_at(AUTH_ENTROPY_LEN / 2);
        let nonces = [Nonce::from_random(a)?, Nonce::from_random(b)?];
        let mut auth = Authenticator {
            cred,
            config,
            nonces,
            phase: Phase::Hello,
            conversation: Conversation::None,
            speculated: None,
            mechanism: None,
            speculation_answered: false,
            conversation_id: None,
            replies: 0,
            empty_continue: false,
            plain: Vec::new(),
            cache: None,
            authenticated: false,
        };
        match cred.mechanism {
            None | Some(Mechanism::ScramSha1 | Mechanism::ScramSha256) => {
                // Validate early: errors SHOULD surface before any I/O.
                auth.scram_client(cred.mechanism.unwrap_or(Mechanism::ScramSha256), 0)?;
            }
            Some(Mechanism::Plain) => auth.plain_payload()?,
            Some(Mechanism::MongodbX509) => {
                if cred.password.is_some() {
                    return Err(Error::InvalidCredential {
                        rule: "MONGODB-X509 takes no password",
                    });
                }
            }
            Some(m) => return Err(Error::MechanismNotSupported(m)),
        }
        if config.speculative {
            auth.speculated = match cred.mechanism {
                None => Some(Mechanism::ScramSha256),
                Some(m) if m.may_speculate() => Some(m),
                Some(_) => None,
            };
            match auth.speculated {
                Some(m @ (Mechanism::ScramSha1 | Mechanism::ScramSha256)) => {
                    auth.conversation = Conversation::Scram(auth.scram_client(m, 0)?);
                }
                Some(Mechanism::MongodbX509) => auth.conversation = Conversation::X509,
                _ => {}
            }
        }
        Ok(auth)
    }

    /// Use a key cache for SCRAM (skips PBKDF2 on repeated logins).
    pub fn with_key_cache(mut self, cache: &'c mut dyn KeyStore) -> Self {
        self.cache = Some(cache);
        self
    }

    fn username(&self) -> Result<&'c str, Error> {
        self.cred
            .username
            .filter(|u| !u.is_empty())
            .ok_or(Error::InvalidCredential { rule: "a username is required for this mechanism" })
    }

    fn password(&self) -> Result<&'c str, Error> {
        self.cred
            .password
            .ok_or(Error::InvalidCredential { rule: "a password is required for this mechanism" })
    }

    fn scram_client(&self, m: Mechanism, nonce: usize) -> Result<AnyClient, Error> {
        let (user, pw) = (self.username()?, self.password()?);
        let nonce = self.nonces.get(nonce).ok_or(Error::InvalidNonce { rule: "missing" })?;
        let cfg = &self.config.scram;
        match m {
            #[cfg(feature = "sha1")]
            Mechanism::ScramSha1 => {
                Ok(AnyClient::Sha1(ClientMachine::new(scram::Client::<scram::Sha1>::start(
                    user, pw, nonce, cfg,
                )?)))
            }
            Mechanism::ScramSha256 => {
                Ok(AnyClient::Sha256(ClientMachine::new(scram::Client::<scram::Sha256>::start(
                    user, pw, nonce, cfg,
                )?)))
            }
            other => Err(Error::MechanismNotSupported(other)),
        }
    }

    fn plain_payload(&mut self) -> Result<(), Error> {
        let (user, pw) = (self.username()?, self.password()?);
        let cap = Error::Capacity { what: "PLAIN payload", limit: MAX_PLAIN_PAYLOAD };
        self.plain.clear();
        for part in [b"\0" as &[u8], user.as_bytes(), b"\0", pw.as_bytes()] {
            self.plain.extend_from_slice(part).map_err(|_| cap.clone())?;
        }
        Ok(())
    }

    /// The next command to send, or `None` when nothing is to be sent (done,
    /// failed, or a reply is awaited). Calling it again before the reply
    /// gives the same command, so a too-small buffer can be retried.
    pub fn command(&self) -> Option<Outgoing<'_>> {
        match self.phase {
            Phase::Hello => Some(Outgoing::Hello(self.hello())),
            Phase::Auth => self.auth_command(),
            Phase::Done | Phase::Failed => None,
        }
    }

    fn hello(&self) -> Hello<'_> {
        let sasl_supported_mechs = match (self.cred.mechanism, self.cred.username) {
            (None, Some(user)) => Some(UserRef { db: self.cred.source, user }),
            _ => None,
        };
        let speculative_authenticate = match (&self.conversation, self.speculated) {
            (Conversation::Scram(c), Some(m)) => c.message().map(|payload| {
                Speculative::SaslStart(SaslStart {
                    mechanism: m.as_str(),
                    payload,
                    skip_empty_exchange: true,
                    db: self.cred.source,
                })
            }),
            (Conversation::X509, Some(_)) => {
                Some(Speculative::Authenticate(Authenticate::x509(self.cred.username)))
            }
            _ => None,
        };
        Hello {
            legacy: self.config.legacy_hello,
            sasl_supported_mechs,
            speculative_authenticate,
            client: None,
            db: "admin",
        }
    }

    fn auth_command(&self) -> Option<Outgoing<'_>> {
        let db = self.cred.source;
        match (&self.conversation, self.conversation_id) {
            (Conversation::Scram(c), None) => Some(Outgoing::SaslStart(SaslStart {
                mechanism: c.mechanism(),
                payload: c.message()?,
                skip_empty_exchange: true,
                db,
            })),
            (Conversation::Scram(c), Some(id)) => {
                let payload = if self.empty_continue { &[][..] } else { c.message()? };
                Some(Outgoing::SaslContinue(SaslContinue { conversation_id: id, payload, db }))
            }
            (Conversation::Plain, _) => Some(Outgoing::SaslStart(SaslStart {
                mechanism: Mechanism::Plain.as_str(),
                payload: &self.plain,
                skip_empty_exchange: false,
                db,
            })),
            (Conversation::X509, _) => {
                Some(Outgoing::Authenticate(Authenticate::x509(self.cred.username)))
            }
            (Conversation::None, _) => None,
        }
    }

    /// Handle the reply (its BSON body) to the command last returned by
    /// [`command`](Self::command).
    ///
    /// # Errors
    /// A failed command ([`Error::CommandFailed`], e.g. code 18), a
    /// malformed reply, a server that breaks SCRAM or the handshake. After an
    /// error the authenticator is failed.
    pub fn handle_reply(&mut self, body: &[u8]) -> Result<Progress, Error> {
        let result = Document::parse(body).map_err(Error::from).and_then(|doc| match self.phase {
            Phase::Hello => self.on_hello(doc),
            Phase::Auth => self.on_auth(doc),
            Phase::Done | Phase::Failed => {
                Err(Error::UnexpectedStep { expected: "no reply (no command outstanding)" })
            }
        });
        match &result {
            Ok(Progress::Done) => self.phase = Phase::Done,
            Ok(Progress::SendCommand) => self.phase = Phase::Auth,
            Err(_) => self.phase = Phase::Failed,
        }
        result
    }

    /// As [`handle_reply`](Self::handle_reply) for a whole OP_MSG frame,
    /// checked to answer `request_id` (the id the command was framed with).
    /// A frame that does not parse, or answers another request, never reaches
    /// the conversation: the authenticator keeps waiting for its reply.
    ///
    /// # Errors
    /// A malformed frame, a reply to another request, or
    /// [`handle_reply`](Self::handle_reply)'s errors.
    pub fn handle_reply_frame(&mut self, frame: &[u8], request_id: i32) -> Result<Progress, Error> {
        let msg = wire::parse_op_msg(frame)?;
        if msg.response_to != request_id {
            return Err(Error::Protocol { rule: "reply does not answer our request" });
        }
        self.handle_reply(msg.body.as_bytes())
    }

    fn on_hello(&mut self, doc: Document<'_>) -> Result<Progress, Error> {
        let reply = HelloReply::parse(doc)?
            .map_err(|e| Error::CommandFailed(CommandFailure::from_reply(&e)))?;
        if reply.arbiter_only {
            // The handshake spec: never authenticate against an arbiter.
            return Ok(Progress::Done);
        }
        let mechanism = match self.cred.mechanism {
            Some(m) => m,
            None => mech::negotiate(reply.sasl_supported_mechs.iter().flat_map(|l| l.iter())),
        };
        self.mechanism = Some(mechanism);
        if let (Some(spec), Some(m)) = (reply.speculative_authenticate, self.speculated)
            && m == mechanism
        {
            match &mut self.conversation {
                Conversation::X509 => {
                    spec.authenticate()?;
                    self.speculation_answered = true;
                    self.authenticated = true;
                    return Ok(Progress::Done);
                }
                Conversation::Scram(_) => {
                    self.speculation_answered = true;
                    return self.on_sasl_reply(spec.sasl()?);
                }
                _ => {}
            }
        }
        // No speculative answer (the server drops failures silently), or a
        // different mechanism: start afresh, with the second nonce.
        self.conversation = match mechanism {
            Mechanism::ScramSha1 | Mechanism::ScramSha256 => {
                Conversation::Scram(self.scram_client(mechanism, 1)?)
            }
            Mechanism::Plain => {
                self.plain_payload()?;
                Conversation::Plain
            }
            Mechanism::MongodbX509 => Conversation::X509,
            other => return Err(Error::MechanismNotSupported(other)),
        };
        self.conversation_id = None;
        Ok(Progress::SendCommand)
    }

    fn on_auth(&mut self, doc: Document<'_>) -> Result<Progress, Error> {
        match self.conversation {
            Conversation::X509 => {
                AuthenticateReply::parse(doc)?
                    .map_err(|e| Error::CommandFailed(CommandFailure::from_reply(&e)))?;
                self.authenticated = true;
                Ok(Progress::Done)
            }
            _ => {
                let reply = SaslReply::parse(doc)?
                    .map_err(|e| Error::CommandFailed(CommandFailure::from_reply(&e)))?;
                self.on_sasl_reply(reply)
            }
        }
    }

    fn on_sasl_reply(&mut self, reply: SaslReply<'_>) -> Result<Progress, Error> {
        self.replies = self.replies.saturating_add(1);
        if self.replies > MAX_SASL_REPLIES {
            return Err(Error::Protocol { rule: "too many SASL steps" });
        }
        match self.conversation_id {
            Some(id) if id.get() != reply.conversation_id.get() => {
                return Err(Error::Protocol { rule: "conversationId changed mid-conversation" });
            }
            _ => self.conversation_id = Some(reply.conversation_id),
        }
        let cache: Option<&mut dyn KeyStore> = match &mut self.cache {
            Some(c) => Some(&mut **c),
            None => None,
        };
        match &mut self.conversation {
            Conversation::Plain => {
                if reply.done {
                    self.authenticated = true;
                    Ok(Progress::Done)
                } else {
                    Err(Error::Protocol { rule: "PLAIN is one step, but the server is not done" })
                }
            }
            Conversation::Scram(c) if self.empty_continue => {
                if reply.done && reply.payload.is_empty() {
                    self.authenticated = c.is_authenticated();
                    Ok(Progress::Done)
                } else {
                    Err(Error::Protocol {
                        rule: "server not done after the final empty saslContinue",
                    })
                }
            }
            Conversation::Scram(c) => match c.step(reply.payload, cache)? {
                Step::Send(_) if reply.done => Err(Error::Protocol {
                    rule: "server claimed done before proving it knows the password",
                }),
                Step::Send(_) => Ok(Progress::SendCommand),
                Step::Done if reply.done => {
                    self.authenticated = true;
                    Ok(Progress::Done)
                }
                Step::Done => {
                    // A server that ignores skipEmptyExchange: verified, but
                    // it wants one more (empty) round.
                    self.empty_continue = true;
                    Ok(Progress::SendCommand)
                }
            },
            Conversation::X509 | Conversation::None => {
                Err(Error::UnexpectedStep { expected: "an authenticate reply" })
            }
        }
    }

    /// Whether the login succeeded (for SCRAM: the server's signature verified).
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// The mechanism in use once the hello reply is handled.
    pub fn mechanism(&self) -> Option<Mechanism> {
        self.mechanism
    }

    /// Whether the server answered the speculative first step (a saved round trip).
    pub fn used_speculative(&self) -> bool {
        self.speculation_answered
    }
}

impl Drop for Authenticator<'_> {
    fn drop(&mut self) {
        self.plain.zeroize();
    }
}

impl core::fmt::Debug for Authenticator<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Authenticator")
            .field("credential", &self.cred)
            .field("phase", &self.phase)
            .field("mechanism", &self.mechanism)
            .field("authenticated", &self.authenticated)
            .finish_non_exhaustive()
    }
}

/// A command the authenticator wants sent: write it with
/// [`wire::encode_message`] (framed) or [`wire::encode_document`] (body only).
#[derive(Clone, Copy, Debug)]
pub enum Outgoing<'a> {
    /// The opening `hello` / `isMaster`.
    Hello(Hello<'a>),
    /// `saslStart`.
    SaslStart(SaslStart<'a>),
    /// `saslContinue`.
    SaslContinue(SaslContinue<'a>),
    /// `authenticate` (MONGODB-X509).
    Authenticate(Authenticate<'a>),
}

impl WriteBody for Outgoing<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        match self {
            Self::Hello(c) => c.write_body(w),
            Self::SaslStart(c) => c.write_body(w),
            Self::SaslContinue(c) => c.write_body(w),
            Self::Authenticate(c) => c.write_body(w),
        }
    }
}

/// Keep `wire` reachable from the docs above.
#[doc(hidden)]
pub use wire::encode_document as _encode_document;
