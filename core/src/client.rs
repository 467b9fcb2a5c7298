//! The [`Authenticator`]: what a driver calls to log a new connection in.
//! Sans-I/O, and one shape for every mechanism: [`Authenticator::step`] says
//! what is next ([`Step`]): send a command ([`Step::Send`], a [`WriteBody`]
//! the caller frames and sends), give an input the core cannot get itself
//! ([`Step::Need`]: the time or AWS credentials for MONGODB-AWS, a token for
//! MONGODB-OIDC), or stop ([`Step::Done`] with an [`Outcome`]). Each reply's
//! body goes to [`Authenticator::handle_reply`]. Sockets, time and randomness
//! stay with the caller. No allocation.
//!
//! The authenticator owns its [`Credential`] (fixed-capacity strings, the
//! password wiped on drop), so it may be moved freely and borrows nothing
//! but an optional key cache ([`Authenticator::with_key_cache`]).
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
//!   that is a protocol error, never a login; an arbiter's hello ends the
//!   handshake with [`Outcome::Arbiter`], never with a login;
//! - PLAIN (`\0user\0password`, one step), MONGODB-X509 (`authenticate`, with
//!   `user` only when given), MONGODB-AWS (SigV4, [`Need::Time`] and
//!   [`Need::AwsCredentials`]) and MONGODB-OIDC (one step, or two with the
//!   server's IdpInfo; [`Need::OidcToken`]).
//! - with the `gssapi` feature, GSSAPI (Kerberos, RFC 4752) on `$external`:
//!   the GSS calls are asked for as [`Need::GssInit`], [`Need::GssUnwrap`]
//!   and [`Need::GssWrap`] (or answered at once by
//!   `Authenticator::provide_gss_with` and a
//!   [`crate::mech::gssapi::GssInitiator`]); the target comes
//!   from `Authenticator::with_gssapi`; see [`crate::mech::gssapi`];
//! - with the `mongodb-cr` feature, MONGODB-CR (`getnonce`, then
//!   `authenticate {user, nonce, key}`), explicit or, when no mechanism is
//!   configured, for servers reporting `maxWireVersion < 3` only (the 3.x
//!   drivers' rule); `mech::cr::encode_op_query` frames for servers
//!   without OP_MSG.
//!
//! A failed login is described by [`Authenticator::error`]: the mechanism,
//! user, database, the command ([`Stage`]) and the server's code, codeName
//! and errmsg (bounded, escaped), never a secret.
//!
//! ```
//! use mongoauth::client::{Authenticator, AuthConfig, Credential, Outcome, Step};
//! use mongoauth::server::{ServerSession, UserStore, StaticUsers};
//! use mongoauth::codec::wire;
//!
//! // An in-process server with one user, and a client that logs in to it.
//! let users = StaticUsers::<1>::new().with_scram_user("admin", "alice", "pencil", &[1; 28])?;
//! let mut server = ServerSession::new(&users, [9u8; 32]);
//! let cred = Credential::scram("alice", "pencil", "admin")?;
//! let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7u8; 48])?;
//! let (mut req, mut rep) = ([0u8; 1024], [0u8; 1024]);
//! let outcome = loop {
//!     let n = match auth.step() {
//!         Step::Send(cmd) => wire::encode_document(&cmd, &mut req)?,
//!         Step::Done(outcome) => break outcome,
//!         Step::Need(_) => unreachable!("SCRAM needs nothing from the caller"),
//!     };
//!     let m = server.handle(&req[..n], &[3u8; 24], &mut rep)?;
//!     auth.handle_reply(&rep[..m])?;
//! };
//! assert!(matches!(outcome, Outcome::Authenticated { .. }));
//! # Ok::<(), mongoauth::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::codec::bson::{DocWriter, Document, Fields};
use crate::codec::wire::{
    self, Authenticate, AuthenticateReply, CommandError, ConversationId, Hello, HelloReply,
    SaslContinue, SaslReply, SaslStart, Speculative, UserRef, WriteBody,
};
use crate::error::{
    BoundedText, CommandFailure, Error, ErrorKind, MAX_CODE_NAME_LEN, MAX_ERRMSG_LEN,
};
#[cfg(feature = "mongodb-cr")]
use crate::mech::cr;
#[cfg(feature = "gssapi")]
use crate::mech::gssapi::{
    self, ClientLayerReply, GssConfig, GssError, GssInitiator, GssOp, MAX_TOKEN_LEN, SecurityLayer,
};
use crate::mech::gssapi::{GssIdentity, GssTarget};
use crate::mech::scram::{self, AnyClient, ClientConfig, ClientMachine, KeyStore, Nonce};
use crate::mech::{self, Mechanism, aws, oidc};

/// Random bytes [`Authenticator::new`] needs: two 24-byte nonces for SCRAM
/// (one for a speculative attempt and a fresh one should it be declined);
/// MONGODB-AWS takes its 32-byte nonce from the front.
pub const AUTH_ENTROPY_LEN: usize = 48;
/// Longest username a [`Credential`] holds, in bytes: room for an X.509
/// subject DN (SCRAM itself allows [`scram::MAX_USERNAME_LEN`]).
pub const MAX_USERNAME_LEN: usize = 512;
/// Longest password a [`Credential`] holds, in bytes (SCRAM's limit).
pub const MAX_PASSWORD_LEN: usize = scram::MAX_PASSWORD_LEN;
/// Longest authentication database name, in bytes (MongoDB's limit is 64).
pub const MAX_SOURCE_LEN: usize = 64;
/// Longest PLAIN payload (`\0` user `\0` password).
pub const MAX_PLAIN_PAYLOAD: usize = 2 + MAX_USERNAME_LEN + MAX_PASSWORD_LEN;
/// Default capacity of the authenticator's payload buffer (the `P` of
/// [`Authenticator`]): a PLAIN payload, an AWS exchange without a session
/// token. Temporary AWS credentials (a session token) and OIDC tokens need
/// a larger `P` (a JWT is usually 1-2 KiB; [`oidc::MAX_TOKEN_LEN`] is the
/// most); a payload beyond `P` is [`Error::Capacity`], never cut. With the
/// `gssapi` feature it is [`MAX_TOKEN_LEN`](crate::mech::gssapi::MAX_TOKEN_LEN)
/// (16 KiB), since GSSAPI keeps each token there until it is sent: a
/// Kerberos ticket with a large PAC fits. Builds without the feature keep
/// the small buffer.
#[cfg(not(feature = "gssapi"))]
pub const DEFAULT_PAYLOAD_LEN: usize = MAX_PLAIN_PAYLOAD;
/// Default capacity of the authenticator's payload buffer (the `P` of
/// [`Authenticator`]): with the `gssapi` feature, a GSS token of
/// [`MAX_TOKEN_LEN`] bytes (GSSAPI keeps
/// each token there until it is sent; a Kerberos ticket with a large PAC
/// fits), which also holds a PLAIN payload, an OIDC token and an AWS
/// exchange. Without the feature it is [`MAX_PLAIN_PAYLOAD`] (a smaller
/// `P` for GSSAPI is possible with [`Authenticator::with_payload_capacity`];
/// a token beyond it is [`Error::Capacity`], never cut).
#[cfg(feature = "gssapi")]
pub const DEFAULT_PAYLOAD_LEN: usize = crate::mech::gssapi::MAX_TOKEN_LEN;
const _: () = assert!(DEFAULT_PAYLOAD_LEN >= MAX_PLAIN_PAYLOAD);
/// Most SASL replies one conversation may take (SCRAM needs two, three with
/// a server that ignores `skipEmptyExchange`).
pub const MAX_SASL_REPLIES: u8 = 3;

/// Every field of a reply the [`Authenticator`]'s parsers read
/// ([`HelloReply::KEYS`], [`SaslReply::KEYS`], [`AuthenticateReply::KEYS`]),
/// indexed in the walk that validates the reply.
const REPLY_KEYS: [&str; 22] = [
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
    "conversationId",
    "done",
    "payload",
    "dbname",
    "user",
];

/// A reply's fields, indexed once.
type ReplyFields<'a> = Fields<'a, { REPLY_KEYS.len() }>;
/// Most bytes of the username an error message repeats (a longer one is
/// shown cut, marked `...`).
pub const MAX_ERROR_USER_LEN: usize = 128;

/// A login's credential, owned: the strings are copied into fixed-capacity
/// storage ([`MAX_USERNAME_LEN`], [`MAX_PASSWORD_LEN`], [`MAX_SOURCE_LEN`];
/// a longer one is [`Error::Capacity`]). The password is wiped on drop and
/// never shown by `Debug`. Build one directly, or from a connection string
/// with [`crate::uri::Credential::to_owned`].
#[derive(Clone)]
pub struct Credential {
    mechanism: Option<Mechanism>,
    username: Option<heapless::String<MAX_USERNAME_LEN>>,
    password: Option<heapless::String<MAX_PASSWORD_LEN>>,
    source: heapless::String<MAX_SOURCE_LEN>,
}

fn owned<const N: usize>(s: &str, what: &'static str) -> Result<heapless::String<N>, Error> {
    heapless::String::try_from(s).map_err(|_| Error::Capacity { what, limit: N })
}

impl Credential {
    /// A credential: `mechanism` `None` negotiates SCRAM-SHA-256 or
    /// SCRAM-SHA-1; `username` and `password` raw (not escaped, not
    /// SASLprep'd); `source` the database the auth commands go to.
    ///
    /// # Errors
    /// [`Error::Capacity`] for a string over its limit.
    pub fn new(
        mechanism: Option<Mechanism>,
        username: Option<&str>,
        password: Option<&str>,
        source: &str,
    ) -> Result<Self, Error> {
        Ok(Credential {
            mechanism,
            username: username.map(|u| owned(u, "username")).transpose()?,
            password: password.map(|p| owned(p, "password")).transpose()?,
            source: owned(source, "authentication database")?,
        })
    }

    /// A SCRAM credential with a negotiated mechanism.
    ///
    /// # Errors
    /// As [`Credential::new`].
    pub fn scram(username: &str, password: &str, source: &str) -> Result<Self, Error> {
        Self::new(None, Some(username), Some(password), source)
    }

    /// A MONGODB-AWS credential (`$external`; the keys come later, through
    /// [`Need::AwsCredentials`]).
    pub fn aws() -> Self {
        Credential {
            mechanism: Some(Mechanism::MongodbAws),
            username: None,
            password: None,
            source: heapless::String::try_from("$external").unwrap_or_default(),
        }
    }

    /// A MONGODB-OIDC credential (`$external`; the token comes later,
    /// through [`Need::OidcToken`]). `username` is the principal name sent in
    /// the two-step flow.
    ///
    /// # Errors
    /// As [`Credential::new`].
    pub fn oidc(username: Option<&str>) -> Result<Self, Error> {
        Self::new(Some(Mechanism::MongodbOidc), username, None, oidc::SOURCE)
    }

    /// The mechanism, `None` meaning "negotiate".
    pub fn mechanism(&self) -> Option<Mechanism> {
        self.mechanism
    }
    /// The username, if any.
    pub fn username(&self) -> Option<&str> {
        self.username.as_deref()
    }
    /// Whether a password is set (it is never handed back).
    pub fn has_password(&self) -> bool {
        self.password.is_some()
    }
    /// The authentication database.
    pub fn source(&self) -> &str {
        &self.source
    }
    fn password(&self) -> Option<&str> {
        self.password.as_deref()
    }
}

impl Drop for Credential {
    fn drop(&mut self) {
        if let Some(p) = &mut self.password {
            p.zeroize();
        }
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
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
    /// MONGODB-OIDC: run the two-step (human) flow, where the server first
    /// names its identity provider. Default false: one step with a token
    /// the caller has (cached, machine callback or environment).
    pub oidc_two_step: bool,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            speculative: true,
            legacy_hello: true,
            scram: ClientConfig::default(),
            oidc_two_step: false,
        }
    }
}

/// What a login needs next: the one shape for every mechanism.
#[derive(Clone, Copy, Debug)]
pub enum Step<'a> {
    /// Send this command, then pass its reply to
    /// [`Authenticator::handle_reply`].
    Send(Command<'a>),
    /// Supply an input, then ask again.
    Need(Need<'a>),
    /// The handshake is over.
    Done(Outcome),
}

/// An input the core cannot get itself.
#[non_exhaustive]
#[derive(Clone, Copy, Debug)]
pub enum Need<'a> {
    /// The current time, for AWS SigV4: [`Authenticator::provide_time`].
    Time,
    /// AWS credentials (from the environment or a provider, per the auth
    /// spec's order): [`Authenticator::provide_aws_credentials`].
    AwsCredentials,
    /// An OIDC access token: [`Authenticator::provide_token`]. Without
    /// `idp_info`: from the cache, the machine callback or the environment;
    /// with it (two-step flow): from the human callback, which gets the
    /// server's IdpInfo and the username, with the spec's timeout
    /// ([`oidc::callback_timeout_ms`]) and version
    /// ([`oidc::CALLBACK_API_VERSION`]).
    OidcToken {
        /// The server's IdpInfo (two-step flow).
        idp_info: Option<oidc::IdpInfo<'a>>,
        /// The credential's username, for the callback.
        username: Option<&'a str>,
    },
    /// GSSAPI (feature `gssapi`): one `gss_init_sec_context` step toward
    /// `target` as `identity` on the server's last token `input` (empty the
    /// first time): `Authenticator::provide_gss_step` with the output
    /// token (empty if none) and whether the context is now established.
    GssInit {
        /// The service principal's parts.
        target: GssTarget<'a>,
        /// The principal (the username) and a password, if any.
        identity: GssIdentity<'a>,
        /// The server's token (empty for the first step).
        input: &'a [u8],
    },
    /// GSSAPI: `gss_unwrap` the server's security-layer token:
    /// `Authenticator::provide_gss_unwrapped` with the message.
    GssUnwrap {
        /// The server's wrapped token.
        token: &'a [u8],
    },
    /// GSSAPI: `gss_wrap` (integrity only) our security-layer answer:
    /// `Authenticator::provide_gss_wrapped` with the token.
    GssWrap {
        /// The message to wrap (`01 00 00 00` and the principal).
        message: &'a [u8],
    },
}

/// How a handshake ended.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The login completed: for SCRAM the server proved it knows the
    /// password; for PLAIN, X509, AWS and OIDC the server accepted ours.
    Authenticated {
        /// The mechanism that was used.
        mechanism: Mechanism,
    },
    /// The server is an arbiter (`arbiterOnly: true`): the handshake spec
    /// forbids authenticating to it. The connection is NOT authenticated.
    Arbiter,
    /// The login failed; [`Authenticator::error`] says why. Not authenticated.
    Failed,
}

impl Outcome {
    /// Only [`Outcome::Authenticated`] is a verified login.
    pub fn is_authenticated(&self) -> bool {
        matches!(self, Outcome::Authenticated { .. })
    }
}

/// Which command of the handshake a failure belongs to.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Before any command (credential checks).
    Setup,
    /// The `hello` / `isMaster`.
    Hello,
    /// `saslStart` (or `speculativeAuthenticate`'s reply).
    SaslStart,
    /// `saslContinue`.
    SaslContinue,
    /// `authenticate` (MONGODB-X509, MONGODB-CR).
    Authenticate,
    /// `getnonce` (MONGODB-CR).
    #[cfg(feature = "mongodb-cr")]
    GetNonce,
    /// An input the caller supplied ([`Need`]).
    Input,
    /// GSSAPI: a context step ([`Need::GssInit`]).
    GssInit,
    /// GSSAPI: unwrapping and checking the server's security-layer message
    /// ([`Need::GssUnwrap`]).
    GssUnwrap,
    /// GSSAPI: wrapping our security-layer answer ([`Need::GssWrap`]).
    GssWrap,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Setup => "setup",
            Self::Hello => "hello",
            Self::SaslStart => "saslStart",
            Self::SaslContinue => "saslContinue",
            Self::Authenticate => "authenticate",
            #[cfg(feature = "mongodb-cr")]
            Self::GetNonce => "getnonce",
            Self::Input => "caller input",
            Self::GssInit => "GSSAPI context step",
            Self::GssUnwrap => "GSSAPI security-layer unwrap",
            Self::GssWrap => "GSSAPI security-layer wrap",
        })
    }
}

/// What the server said when a command failed (`ok: 0`), bounded and shown
/// escaped. Not secret.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerReply {
    /// `code` (18 = AuthenticationFailed).
    pub code: Option<i32>,
    /// `codeName`, up to [`MAX_CODE_NAME_LEN`] bytes.
    pub code_name: Option<BoundedText<MAX_CODE_NAME_LEN>>,
    /// `errmsg`, up to [`MAX_ERRMSG_LEN`] bytes.
    pub errmsg: Option<BoundedText<MAX_ERRMSG_LEN>>,
}

impl ServerReply {
    /// Copy a failed reply's fields (bounded).
    pub fn from_reply(e: &CommandError<'_>) -> Self {
        ServerReply {
            code: e.code,
            code_name: e.code_name.map(BoundedText::new),
            errmsg: e.errmsg.map(BoundedText::new),
        }
    }
}

/// A failed login with its context: the mechanism, user, database, the
/// command that failed and the server's reply. Kept by the
/// [`Authenticator`] and handed out by [`Authenticator::error`] (and by
/// `io::connect` with `std`), so that the [`Error`] returned through every
/// frame stays small (72 bytes, where this is about 660: a
/// microcontroller's stack carries the small one, the context sits once in
/// the authenticator). Never holds a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginError {
    error: Error,
    mechanism: Option<Mechanism>,
    user: Option<BoundedText<MAX_ERROR_USER_LEN>>,
    source: BoundedText<MAX_SOURCE_LEN>,
    stage: Stage,
    server: Option<ServerReply>,
}

impl LoginError {
    /// The underlying error.
    pub fn error(&self) -> &Error {
        &self.error
    }
    /// Its kind ([`ErrorKind::AuthenticationFailed`] for a wrong password).
    pub fn kind(&self) -> ErrorKind {
        self.error.kind()
    }
    /// Whether the server refused the credentials (code 18).
    pub fn is_authentication_failed(&self) -> bool {
        self.error.is_authentication_failed()
    }
    /// The mechanism, once known.
    pub fn mechanism(&self) -> Option<Mechanism> {
        self.mechanism
    }
    /// The username (bounded to [`MAX_ERROR_USER_LEN`] bytes).
    pub fn user(&self) -> Option<&str> {
        self.user.as_ref().map(BoundedText::as_str)
    }
    /// The authentication database.
    pub fn source(&self) -> &str {
        self.source.as_str()
    }
    /// The command that failed.
    pub fn stage(&self) -> Stage {
        self.stage
    }
    /// The server's reply, when it answered `ok: 0`.
    pub fn server_reply(&self) -> Option<&ServerReply> {
        self.server.as_ref()
    }
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mechanism {
            Some(m) => write!(f, "{m} login")?,
            None => f.write_str("login")?,
        }
        if let Some(u) = &self.user {
            write!(f, " of user \"{u}\"")?;
        }
        write!(f, " on database \"{}\" failed at {}: {}", self.source, self.stage, self.error)?;
        if let Some(m) = self.server.as_ref().and_then(|s| s.errmsg.as_ref()) {
            write!(f, ": {m}")?;
        }
        Ok(())
    }
}

impl core::error::Error for LoginError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.error)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The `hello` is the next command.
    Hello,
    /// A SASL or authenticate command (or a caller input) is next.
    Auth,
    Done(Outcome),
}

/// MONGODB-AWS, as the authenticator runs it.
#[derive(Clone, Debug)]
enum AwsState {
    /// `saslStart {r, p}` is to be sent.
    First(aws::ExpectServerFirst),
    /// The server-first payload is in the payload buffer; the time is next.
    NeedTime(aws::ExpectServerFirst),
    /// The time is known; the credentials are next.
    NeedCredentials(aws::ExpectServerFirst, aws::AmzDate),
    /// `saslContinue {a, d[, t]}` (in the payload buffer) is to be sent;
    /// its reply must be `done: true`.
    Second,
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
    Aws(AwsState),
    /// MONGODB-CR: `getnonce` next, or `authenticate` with this nonce (the
    /// key is in the payload buffer, wiped after use).
    #[cfg(feature = "mongodb-cr")]
    Cr(Option<heapless::String<{ cr::MAX_NONCE_LEN }>>),
    /// The payload buffer holds what `step` needs: a `saslStart`/`saslContinue`
    /// payload of `len` bytes, or the IdpInfo for the human callback.
    Oidc {
        conv: oidc::Conversation,
        next: OidcNext,
    },
    /// GSSAPI (feature `gssapi`).
    #[cfg(feature = "gssapi")]
    Gss(GssPhase),
}

/// GSSAPI, as the authenticator runs it. The token or message of the
/// current phase is in the payload buffer (so a token must fit `P`).
#[cfg(feature = "gssapi")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GssPhase {
    /// [`Need::GssInit`]: the payload holds the server's last token (empty
    /// the first time).
    Init,
    /// Our context token (the payload) is to be sent; `complete`: our
    /// context is established, so the server's answer is the wrapped
    /// security-layer message.
    Token { complete: bool },
    /// [`Need::GssUnwrap`]: the payload holds the server's wrapped message.
    Unwrap,
    /// [`Need::GssWrap`]: the payload holds our security-layer answer.
    Wrap,
    /// Our wrapped answer (the payload) is to be sent; the reply must be
    /// `done`.
    Final,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OidcNext {
    Token { idp_info: bool },
    Start,
    Continue(ConversationId),
    Wait,
}

/// A connection's login, from `hello` to the last auth reply. Owns its
/// credential; borrows only the optional key cache (`'c`). `P` is the
/// capacity of the payload buffer (see [`DEFAULT_PAYLOAD_LEN`]).
pub struct Authenticator<'c, const P: usize = DEFAULT_PAYLOAD_LEN> {
    cred: Credential,
    config: AuthConfig,
    nonces: [Nonce; 2],
    aws_nonce: [u8; aws::NONCE_LEN],
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
    payload: [u8; P],
    payload_len: usize,
    cache: Option<&'c dyn KeyStore>,
    failure: Option<LoginError>,
    /// GSSAPI's target (service, host, realm), from [`Authenticator::with_gssapi`]:
    /// borrowed, so that the authenticator (and the C object around it)
    /// does not grow by a principal's worth of bytes.
    #[cfg(feature = "gssapi")]
    gss: Option<&'c GssConfig>,
}

impl<'c> Authenticator<'c> {
    /// Prepare a login. `entropy` is [`AUTH_ENTROPY_LEN`] random bytes. The
    /// payload buffer has [`DEFAULT_PAYLOAD_LEN`] bytes; for AWS session
    /// tokens or OIDC tokens use [`Authenticator::with_payload_capacity`].
    ///
    /// # Errors
    /// A credential the mechanism cannot use (missing username or password,
    /// an unsupported mechanism), a password SASLprep rejects.
    pub fn new(
        cred: Credential,
        config: AuthConfig,
        entropy: &[u8; AUTH_ENTROPY_LEN],
    ) -> Result<Self, Error> {
        Self::with_payload_capacity(cred, config, entropy)
    }
}

impl<'c, const P: usize> Authenticator<'c, P> {
    /// As [`Authenticator::new`], with a payload buffer of `P` bytes
    /// (`Authenticator::<'_, 8192>::with_payload_capacity(..)`).
    ///
    /// # Errors
    /// As [`Authenticator::new`].
    pub fn with_payload_capacity(
        cred: Credential,
        config: AuthConfig,
        entropy: &[u8; AUTH_ENTROPY_LEN],
    ) -> Result<Self, Error> {
        let (a, b) = entropy.split_at(AUTH_ENTROPY_LEN / 2);
        let nonces = [Nonce::from_random(a)?, Nonce::from_random(b)?];
        let mut aws_nonce = [0u8; aws::NONCE_LEN];
        for (d, s) in aws_nonce.iter_mut().zip(entropy.iter()) {
            *d = *s;
        }
        let mechanism = cred.mechanism;
        let mut auth = Authenticator {
            cred,
            config,
            nonces,
            aws_nonce,
            phase: Phase::Hello,
            conversation: Conversation::None,
            speculated: None,
            mechanism: None,
            speculation_answered: false,
            conversation_id: None,
            replies: 0,
            empty_continue: false,
            payload: [0; P],
            payload_len: 0,
            cache: None,
            failure: None,
            #[cfg(feature = "gssapi")]
            gss: None,
        };
        match mechanism {
            None | Some(Mechanism::ScramSha1 | Mechanism::ScramSha256) => {
                // Validate early: errors SHOULD surface before any I/O.
                auth.scram_client(mechanism.unwrap_or(Mechanism::ScramSha256), 0)?;
            }
            Some(Mechanism::Plain) => auth.plain_payload()?,
            Some(Mechanism::MongodbX509) => {
                if auth.cred.password.is_some() {
                    return Err(Error::InvalidCredential {
                        rule: "MONGODB-X509 takes no password",
                    });
                }
            }
            Some(Mechanism::MongodbAws) => {
                if auth.cred.username.is_some() || auth.cred.password.is_some() {
                    return Err(Error::InvalidCredential {
                        rule: "MONGODB-AWS takes no username or password (its keys are asked for during the login)",
                    });
                }
            }
            #[cfg(feature = "mongodb-cr")]
            Some(Mechanism::MongodbCr) => {
                auth.username()?;
                auth.password_str()?;
            }
            Some(Mechanism::MongodbOidc) => {
                if auth.cred.password.is_some() {
                    return Err(Error::InvalidCredential {
                        rule: "MONGODB-OIDC takes no password",
                    });
                }
            }
            #[cfg(feature = "gssapi")]
            Some(Mechanism::Gssapi) => {
                // The username is the principal, also the authorization
                // identity of the security-layer answer.
                if auth.username()?.len() > gssapi::MAX_PRINCIPAL_LEN {
                    return Err(Error::Capacity {
                        what: "GSSAPI principal",
                        limit: gssapi::MAX_PRINCIPAL_LEN,
                    });
                }
            }
            // Unreachable when every mechanism's feature is on.
            #[allow(unreachable_patterns)]
            Some(m) => return Err(Error::MechanismNotSupported(m)),
        }
        if mechanism.is_some_and(Mechanism::is_external) && auth.cred.source() != "$external" {
            return Err(Error::InvalidCredential {
                rule: "this mechanism authenticates against $external",
            });
        }
        if config.speculative {
            auth.speculated = match mechanism {
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

    /// Use a key cache for SCRAM (a repeated login skips PBKDF2). The cache
    /// is shared, never borrowed mutably: many authenticators may use one
    /// ([`scram::KeyCache`] on one thread, [`scram::SharedKeyCache`] across
    /// threads with `std`).
    pub fn with_key_cache(mut self, cache: &'c dyn KeyStore) -> Self {
        self.cache = Some(cache);
        self
    }

    /// GSSAPI (feature `gssapi`): where the context is aimed: the service
    /// name, the host (the connection's, or `SERVICE_HOST`), the realm
    /// (build one with [`GssConfig::new`] or
    /// [`GssConfig::from_properties`]), borrowed for the login like the
    /// key cache. Required for a GSSAPI login.
    #[cfg(feature = "gssapi")]
    pub fn with_gssapi(mut self, config: &'c GssConfig) -> Self {
        self.gss = Some(config);
        self
    }

    /// [`with_gssapi`](Self::with_gssapi) in place, or `None` to detach
    /// the target: for a holder that keeps the config next to the
    /// authenticator and may move both between calls (the C ABI attaches
    /// it for each call only).
    #[cfg(feature = "gssapi")]
    pub fn set_gssapi(&mut self, config: Option<&'c GssConfig>) {
        self.gss = config;
    }

    fn username(&self) -> Result<&str, Error> {
        self.cred
            .username()
            .filter(|u| !u.is_empty())
            .ok_or(Error::InvalidCredential { rule: "a username is required for this mechanism" })
    }

    fn password_str(&self) -> Result<&str, Error> {
        self.cred
            .password()
            .ok_or(Error::InvalidCredential { rule: "a password is required for this mechanism" })
    }

    fn scram_client(&self, m: Mechanism, nonce: usize) -> Result<AnyClient, Error> {
        let (user, pw) = (self.username()?, self.password_str()?);
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

    fn set_payload(&mut self, parts: &[&[u8]], what: &'static str) -> Result<(), Error> {
        // Wiped as a slice: zeroize fills a slice and then puts an
        // optimisation barrier on it, but wipes an array one volatile byte
        // at a time (16 KiB of payload cost 5 us per login that way).
        self.payload.as_mut_slice().zeroize();
        self.payload_len = 0;
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let dst = self.payload.get_mut(..total).ok_or(Error::Capacity { what, limit: P })?;
        let mut at = 0;
        for p in parts {
            if let Some(d) = dst.get_mut(at..at + p.len()) {
                d.copy_from_slice(p);
            }
            at += p.len();
        }
        self.payload_len = total;
        Ok(())
    }

    fn payload(&self) -> &[u8] {
        self.payload.get(..self.payload_len).unwrap_or(&[])
    }

    fn plain_payload(&mut self) -> Result<(), Error> {
        let mut user = heapless::String::<MAX_USERNAME_LEN>::new();
        let mut pw = heapless::String::<MAX_PASSWORD_LEN>::new();
        // Both fit: they are copies of the credential's own strings.
        let _ = user.push_str(self.username()?);
        let _ = pw.push_str(self.password_str()?);
        let r = self.set_payload(&[b"\0", user.as_bytes(), b"\0", pw.as_bytes()], "PLAIN payload");
        pw.zeroize();
        r
    }

    /// What is next: a command to send, an input to supply, or the end.
    /// Asking again before the reply gives the same answer, so a too-small
    /// buffer can be retried.
    pub fn step(&self) -> Step<'_> {
        match self.phase {
            Phase::Hello => Step::Send(Command::Hello(self.hello())),
            Phase::Auth => self.auth_step(),
            Phase::Done(o) => Step::Done(o),
        }
    }

    /// The next command to send, or `None` when an input is needed or the
    /// handshake is over (see [`step`](Self::step)).
    pub fn command(&self) -> Option<Command<'_>> {
        match self.step() {
            Step::Send(c) => Some(c),
            _ => None,
        }
    }

    /// How the handshake ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        match self.phase {
            Phase::Done(o) => Some(o),
            _ => None,
        }
    }

    fn hello(&self) -> Hello<'_> {
        let sasl_supported_mechs = match (self.cred.mechanism, self.cred.username()) {
            (None, Some(user)) => Some(UserRef { db: self.cred.source(), user }),
            _ => None,
        };
        let speculative_authenticate = match (&self.conversation, self.speculated) {
            (Conversation::Scram(c), Some(m)) => c.message().map(|payload| {
                Speculative::SaslStart(SaslStart {
                    mechanism: m.as_str(),
                    payload,
                    skip_empty_exchange: true,
                    db: self.cred.source(),
                })
            }),
            (Conversation::X509, Some(_)) => {
                Some(Speculative::Authenticate(Authenticate::x509(self.cred.username())))
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

    fn auth_step(&self) -> Step<'_> {
        let db = self.cred.source();
        let failed = Step::Done(Outcome::Failed);
        match (&self.conversation, self.conversation_id) {
            (Conversation::Scram(c), None) => match c.message() {
                Some(payload) => Step::Send(Command::SaslStart(SaslStart {
                    mechanism: c.mechanism(),
                    payload,
                    skip_empty_exchange: true,
                    db,
                })),
                None => failed,
            },
            (Conversation::Scram(c), Some(id)) => {
                let payload = if self.empty_continue { Some(&[][..]) } else { c.message() };
                match payload {
                    Some(payload) => Step::Send(Command::SaslContinue(SaslContinue {
                        conversation_id: id,
                        payload,
                        db,
                    })),
                    None => failed,
                }
            }
            (Conversation::Plain, _) => Step::Send(Command::SaslStart(SaslStart {
                mechanism: Mechanism::Plain.as_str(),
                payload: self.payload(),
                skip_empty_exchange: false,
                db,
            })),
            (Conversation::X509, _) => {
                Step::Send(Command::Authenticate(Authenticate::x509(self.cred.username())))
            }
            (Conversation::Aws(s), id) => match (s, id) {
                (AwsState::First(f), _) => Step::Send(Command::SaslStart(SaslStart {
                    mechanism: aws::MECHANISM,
                    payload: f.payload(),
                    skip_empty_exchange: false,
                    db,
                })),
                (AwsState::NeedTime(_), _) => Step::Need(Need::Time),
                (AwsState::NeedCredentials(..), _) => Step::Need(Need::AwsCredentials),
                (AwsState::Second, Some(id)) => Step::Send(Command::SaslContinue(SaslContinue {
                    conversation_id: id,
                    payload: self.payload(),
                    db,
                })),
                _ => failed,
            },
            (Conversation::Oidc { next, .. }, _) => match *next {
                OidcNext::Token { idp_info } => Step::Need(Need::OidcToken {
                    idp_info: if idp_info {
                        oidc::IdpInfo::parse(self.payload()).ok()
                    } else {
                        None
                    },
                    username: self.cred.username(),
                }),
                OidcNext::Start => Step::Send(Command::SaslStart(oidc::sasl_start(self.payload()))),
                OidcNext::Continue(id) => {
                    Step::Send(Command::SaslContinue(oidc::sasl_continue(id, self.payload())))
                }
                OidcNext::Wait => failed,
            },
            #[cfg(feature = "mongodb-cr")]
            (Conversation::Cr(None), _) => Step::Send(Command::GetNonce(cr::GetNonce { db })),
            #[cfg(feature = "mongodb-cr")]
            (Conversation::Cr(Some(nonce)), _) => match core::str::from_utf8(self.payload()) {
                Ok(key) => Step::Send(Command::CrAuthenticate(cr::Authenticate {
                    user: self.cred.username().unwrap_or(""),
                    nonce,
                    key,
                    db,
                })),
                Err(_) => failed,
            },
            #[cfg(feature = "gssapi")]
            (Conversation::Gss(phase), id) => match (*phase, id, &self.gss) {
                (GssPhase::Init, _, Some(g)) => Step::Need(Need::GssInit {
                    target: g.target(),
                    identity: self.gss_identity(),
                    input: self.payload(),
                }),
                (GssPhase::Token { .. }, None, _) => Step::Send(Command::SaslStart(SaslStart {
                    mechanism: gssapi::MECHANISM,
                    payload: self.payload(),
                    skip_empty_exchange: false,
                    db,
                })),
                (GssPhase::Token { .. } | GssPhase::Final, Some(id), _) => {
                    Step::Send(Command::SaslContinue(SaslContinue {
                        conversation_id: id,
                        payload: self.payload(),
                        db,
                    }))
                }
                (GssPhase::Unwrap, _, _) => Step::Need(Need::GssUnwrap { token: self.payload() }),
                (GssPhase::Wrap, _, _) => Step::Need(Need::GssWrap { message: self.payload() }),
                _ => failed,
            },
            (Conversation::None, _) => failed,
        }
    }

    #[cfg(feature = "gssapi")]
    fn gss_identity(&self) -> GssIdentity<'_> {
        GssIdentity { principal: self.cred.username(), password: self.cred.password() }
    }

    /// The stage the next reply answers (for error context).
    fn stage(&self) -> Stage {
        match (self.phase, self.command()) {
            (Phase::Hello, _) => Stage::Hello,
            (_, Some(Command::SaslStart(_))) => Stage::SaslStart,
            (_, Some(Command::SaslContinue(_))) => Stage::SaslContinue,
            (_, Some(Command::Authenticate(_))) => Stage::Authenticate,
            (_, Some(Command::Hello(_))) => Stage::Hello,
            #[cfg(feature = "mongodb-cr")]
            (_, Some(Command::GetNonce(_))) => Stage::GetNonce,
            #[cfg(feature = "mongodb-cr")]
            (_, Some(Command::CrAuthenticate(_))) => Stage::Authenticate,
            (Phase::Done(_), None) => Stage::Setup,
            #[cfg(feature = "gssapi")]
            (_, None) => match self.conversation {
                Conversation::Gss(GssPhase::Init) => Stage::GssInit,
                Conversation::Gss(GssPhase::Unwrap) => Stage::GssUnwrap,
                Conversation::Gss(GssPhase::Wrap) => Stage::GssWrap,
                _ => Stage::Input,
            },
            #[cfg(not(feature = "gssapi"))]
            (_, None) => Stage::Input,
        }
    }

    /// Record a failure with its context; the login is over.
    #[cold]
    fn fail(&mut self, stage: Stage, error: Error, server: Option<ServerReply>) -> Error {
        self.failure = Some(LoginError {
            mechanism: self.mechanism.or(self.cred.mechanism),
            user: self.cred.username().map(BoundedText::new),
            source: BoundedText::new(self.cred.source()),
            stage,
            server,
            error: error.clone(),
        });
        self.phase = Phase::Done(Outcome::Failed);
        self.payload.as_mut_slice().zeroize();
        self.payload_len = 0;
        error
    }

    /// The failed login, with its context, once a call returned an error.
    pub fn error(&self) -> Option<&LoginError> {
        self.failure.as_ref()
    }

    /// Record `error` (from the transport or framing around this login)
    /// with this login's context, and end the login; [`error`](Self::error)
    /// then describes it.
    pub fn fail_with(&mut self, error: Error) {
        let stage = self.stage();
        self.fail(stage, error, None);
    }

    /// Handle the reply (its BSON body) to the command last returned by
    /// [`step`](Self::step), and say what is next.
    ///
    /// # Errors
    /// A failed command ([`Error::CommandFailed`]; code 18 is
    /// [`ErrorKind::AuthenticationFailed`]), a malformed reply, a server that
    /// breaks the mechanism or the handshake. After an error the login is
    /// over and [`error`](Self::error) describes it.
    pub fn handle_reply(&mut self, body: &[u8]) -> Result<Step<'_>, Error> {
        self.handle_reply_fields(Document::parse_fields(body, REPLY_KEYS).map_err(Error::from))
    }

    /// [`handle_reply`](Self::handle_reply) for a reply validated with its
    /// fields indexed in the same walk. Not inlined: one copy serves both
    /// entry points (firmware pays for it once).
    #[inline(never)]
    fn handle_reply_fields(
        &mut self,
        doc: Result<ReplyFields<'_>, Error>,
    ) -> Result<Step<'_>, Error> {
        let stage = self.stage();
        if !matches!(self.step(), Step::Send(_)) {
            // Nothing outstanding: report, but do not end (or undo) the login.
            return Err(doc.err().unwrap_or(Error::UnexpectedStep {
                expected: "no reply (no command outstanding)",
            }));
        }
        let mut server = None;
        let result = doc.and_then(|doc| match self.phase {
            Phase::Hello => self.on_hello(&doc, &mut server),
            _ => self.on_auth(&doc, &mut server),
        });
        match result {
            Ok(()) => Ok(self.step()),
            Err(e) => Err(self.fail(stage, e, server)),
        }
    }

    /// As [`handle_reply`](Self::handle_reply) for a whole OP_MSG frame,
    /// checked to answer `request_id` (the id the command was framed with).
    /// A frame that does not parse, or answers another request, never reaches
    /// the conversation: the authenticator keeps waiting for its reply.
    ///
    /// # Errors
    /// A malformed frame, a reply to another request, or
    /// [`handle_reply`](Self::handle_reply)'s errors.
    pub fn handle_reply_frame(&mut self, frame: &[u8], request_id: i32) -> Result<Step<'_>, Error> {
        let (msg, fields) = wire::parse_op_msg_fields(frame, REPLY_KEYS)?;
        if msg.response_to != request_id {
            return Err(Error::Protocol { rule: "reply does not answer our request" });
        }
        self.handle_reply_fields(Ok(fields))
    }

    fn on_hello(
        &mut self,
        doc: &ReplyFields<'_>,
        server: &mut Option<ServerReply>,
    ) -> Result<(), Error> {
        let reply = HelloReply::from_fields(doc)?.map_err(|e| command_failed(&e, server))?;
        if reply.arbiter_only {
            // The handshake spec: never authenticate against an arbiter.
            self.phase = Phase::Done(Outcome::Arbiter);
            return Ok(());
        }
        let mechanism = match self.cred.mechanism {
            Some(m) => m,
            // The 3.x drivers' rule: MONGODB-CR for servers before 3.0.
            #[cfg(feature = "mongodb-cr")]
            None if reply.max_wire_version.is_some_and(|v| v < cr::SCRAM_MIN_WIRE_VERSION) => {
                Mechanism::MongodbCr
            }
            None => mech::negotiate(reply.sasl_supported_mechs.iter().flat_map(|l| l.iter())),
        };
        self.mechanism = Some(mechanism);
        self.phase = Phase::Auth;
        if let (Some(spec), Some(m)) = (reply.speculative_authenticate, self.speculated)
            && m == mechanism
        {
            match &mut self.conversation {
                Conversation::X509 => {
                    spec.authenticate()?;
                    self.speculation_answered = true;
                    self.phase = Phase::Done(Outcome::Authenticated { mechanism });
                    return Ok(());
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
            #[cfg(feature = "mongodb-cr")]
            Mechanism::MongodbCr => Conversation::Cr(None),
            Mechanism::MongodbAws => {
                Conversation::Aws(AwsState::First(aws::Client::start(&self.aws_nonce)))
            }
            Mechanism::MongodbOidc => {
                let mut conv = if self.config.oidc_two_step {
                    oidc::Conversation::two_step()
                } else {
                    oidc::Conversation::one_step()
                };
                let mut buf = [0u8; MAX_USERNAME_LEN + 16];
                let next = match conv.start(self.cred.username(), &mut buf)? {
                    oidc::Step::SaslStart { len } => {
                        let p = buf.get(..len).unwrap_or(&[]);
                        self.set_payload(&[p], "MONGODB-OIDC payload")?;
                        OidcNext::Start
                    }
                    _ => OidcNext::Token { idp_info: false },
                };
                Conversation::Oidc { conv, next }
            }
            #[cfg(feature = "gssapi")]
            Mechanism::Gssapi => {
                if self.gss.is_none() {
                    return Err(Error::InvalidCredential {
                        rule: "GSSAPI needs the server's host (Authenticator::with_gssapi)",
                    });
                }
                self.set_payload(&[], "GSSAPI token")?;
                Conversation::Gss(GssPhase::Init)
            }
            // Unreachable when every mechanism's feature is on.
            #[allow(unreachable_patterns)]
            other => return Err(Error::MechanismNotSupported(other)),
        };
        self.conversation_id = None;
        Ok(())
    }

    fn on_auth(
        &mut self,
        doc: &ReplyFields<'_>,
        server: &mut Option<ServerReply>,
    ) -> Result<(), Error> {
        match self.conversation {
            Conversation::X509 => {
                AuthenticateReply::from_fields(doc)?.map_err(|e| command_failed(&e, server))?;
                self.phase =
                    Phase::Done(Outcome::Authenticated { mechanism: Mechanism::MongodbX509 });
                Ok(())
            }
            #[cfg(feature = "mongodb-cr")]
            Conversation::Cr(None) => {
                let reply = cr::GetNonceReply::parse(doc.document())?
                    .map_err(|e| command_failed(&e, server))?;
                let nonce = heapless::String::try_from(reply.nonce)
                    .map_err(|_| Error::Capacity { what: "nonce", limit: cr::MAX_NONCE_LEN })?;
                let key = cr::client_key(reply.nonce, self.username()?, self.password_str()?);
                self.set_payload(&[&key[..]], "MONGODB-CR key")?;
                self.conversation = Conversation::Cr(Some(nonce));
                Ok(())
            }
            #[cfg(feature = "mongodb-cr")]
            Conversation::Cr(Some(_)) => {
                AuthenticateReply::from_fields(doc)?.map_err(|e| command_failed(&e, server))?;
                self.done();
                Ok(())
            }
            _ => {
                let reply = SaslReply::from_fields(doc)?.map_err(|e| command_failed(&e, server))?;
                self.on_sasl_reply(reply)
            }
        }
    }

    fn done(&mut self) {
        let mechanism = self.mechanism.unwrap_or(Mechanism::ScramSha256);
        self.phase = Phase::Done(Outcome::Authenticated { mechanism });
        self.payload.as_mut_slice().zeroize();
        self.payload_len = 0;
    }

    fn on_sasl_reply(&mut self, reply: SaslReply<'_>) -> Result<(), Error> {
        self.replies = self.replies.saturating_add(1);
        #[cfg(feature = "gssapi")]
        let limit = match self.conversation {
            Conversation::Gss(_) => gssapi::MAX_SASL_REPLIES,
            _ => MAX_SASL_REPLIES,
        };
        #[cfg(not(feature = "gssapi"))]
        let limit = MAX_SASL_REPLIES;
        if self.replies > limit {
            return Err(Error::Protocol { rule: "too many SASL steps" });
        }
        match self.conversation_id {
            Some(id) if id.get() != reply.conversation_id.get() => {
                return Err(Error::Protocol { rule: "conversationId changed mid-conversation" });
            }
            _ => self.conversation_id = Some(reply.conversation_id),
        }
        let cache = self.cache;
        match &mut self.conversation {
            Conversation::Plain => {
                if reply.done {
                    self.done();
                    Ok(())
                } else {
                    Err(Error::Protocol { rule: "PLAIN is one step, but the server is not done" })
                }
            }
            Conversation::Scram(c) if self.empty_continue => {
                if reply.done && reply.payload.is_empty() && c.is_authenticated() {
                    self.done();
                    Ok(())
                } else {
                    Err(Error::Protocol {
                        rule: "server not done after the final empty saslContinue",
                    })
                }
            }
            Conversation::Scram(c) => match c.step(reply.payload, cache)? {
                scram::Step::Send(_) if reply.done => Err(Error::Protocol {
                    rule: "server claimed done before proving it knows the password",
                }),
                scram::Step::Send(_) => Ok(()),
                scram::Step::Done if reply.done => {
                    self.done();
                    Ok(())
                }
                scram::Step::Done => {
                    // A server that ignores skipEmptyExchange: verified, but
                    // it wants one more (empty) round.
                    self.empty_continue = true;
                    Ok(())
                }
            },
            Conversation::Aws(state) => match state {
                AwsState::First(f) => {
                    if reply.done {
                        return Err(Error::Protocol {
                            rule: "MONGODB-AWS: server finished before receiving the signature",
                        });
                    }
                    let f = f.clone();
                    self.set_payload(&[reply.payload], "MONGODB-AWS server-first payload")?;
                    self.conversation = Conversation::Aws(AwsState::NeedTime(f));
                    Ok(())
                }
                AwsState::Second => {
                    if reply.done {
                        self.done();
                        Ok(())
                    } else {
                        Err(Error::Protocol {
                            rule: "MONGODB-AWS: server did not finish after the signature",
                        })
                    }
                }
                _ => Err(Error::UnexpectedStep { expected: "an input (Need)" }),
            },
            Conversation::Oidc { conv, next } => {
                let was_start = *next == OidcNext::Start && self.config.oidc_two_step;
                match conv.handle_reply(&reply)? {
                    oidc::Step::Done => {
                        self.done();
                        Ok(())
                    }
                    oidc::Step::NeedToken { .. } => {
                        *next = OidcNext::Token { idp_info: was_start };
                        self.set_payload(&[reply.payload], "MONGODB-OIDC IdpInfo")
                    }
                    _ => Err(Error::Protocol { rule: "MONGODB-OIDC: unexpected reply" }),
                }
            }
            #[cfg(feature = "gssapi")]
            Conversation::Gss(phase) => match *phase {
                GssPhase::Token { .. } if reply.done => Err(Error::Protocol {
                    rule: "GSSAPI: server said done before the security layer was negotiated",
                }),
                GssPhase::Token { complete } => {
                    if reply.payload.len() > MAX_TOKEN_LEN {
                        return Err(Error::Capacity {
                            what: "GSSAPI server token",
                            limit: MAX_TOKEN_LEN,
                        });
                    }
                    // Our context is established: the server's payload is
                    // the wrapped security-layer message; else its next
                    // context token.
                    let next = if complete { GssPhase::Unwrap } else { GssPhase::Init };
                    self.set_payload(&[reply.payload], "GSSAPI server token")?;
                    self.conversation = Conversation::Gss(next);
                    Ok(())
                }
                GssPhase::Final if reply.done => {
                    self.done();
                    Ok(())
                }
                GssPhase::Final => Err(Error::Protocol {
                    rule: "GSSAPI: server not done after the security-layer answer",
                }),
                _ => Err(Error::UnexpectedStep { expected: "a GSSAPI input (Need)" }),
            },
            #[cfg(feature = "mongodb-cr")]
            Conversation::Cr(_) => Err(Error::UnexpectedStep { expected: "a MONGODB-CR reply" }),
            Conversation::X509 | Conversation::None => {
                Err(Error::UnexpectedStep { expected: "an authenticate reply" })
            }
        }
    }

    /// Answer [`Need::Time`]: the current UTC time, as `X-Amz-Date`.
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when the time was not asked for.
    pub fn provide_time(&mut self, date: &aws::AmzDate) -> Result<Step<'_>, Error> {
        match &self.conversation {
            Conversation::Aws(AwsState::NeedTime(f)) => {
                self.conversation = Conversation::Aws(AwsState::NeedCredentials(f.clone(), *date));
                Ok(self.step())
            }
            _ => Err(Error::UnexpectedStep {
                expected: "the next step (the time was not asked for)",
            }),
        }
    }

    /// Answer [`Need::AwsCredentials`]: signs the STS request (SigV4) and
    /// prepares the `saslContinue`. The keys are not kept; the signed
    /// payload (which holds the session token) is wiped after use.
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when credentials were not asked for; the
    /// server-first payload's or the credentials' errors
    /// ([`aws::ExpectServerFirst::handle_server_first`]); a payload over `P`.
    pub fn provide_aws_credentials(
        &mut self,
        credentials: &aws::Credentials<'_>,
    ) -> Result<Step<'_>, Error> {
        let Conversation::Aws(AwsState::NeedCredentials(f, date)) = &self.conversation else {
            return Err(Error::UnexpectedStep {
                expected: "the next step (AWS credentials were not asked for)",
            });
        };
        let (f, date) = (f.clone(), *date);
        let server_first = self.payload.get(..self.payload_len).unwrap_or(&[]);
        let signed = match f.handle_server_first(server_first, credentials, &date) {
            Ok(s) => s,
            Err(e) => return Err(self.fail(Stage::SaslStart, e, None)),
        };
        if let Err(e) = self.set_payload(&[signed.payload()], "MONGODB-AWS client payload") {
            return Err(self.fail(Stage::Input, e, None));
        }
        self.conversation = Conversation::Aws(AwsState::Second);
        Ok(self.step())
    }

    /// Answer [`Need::OidcToken`] with an access token. The token is put in
    /// the next command's payload (wiped after use), never kept otherwise.
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when no token was asked for; a payload over
    /// `P` ([`Error::Capacity`]).
    pub fn provide_token(&mut self, token: &str) -> Result<Step<'_>, Error> {
        let Conversation::Oidc { conv, next: OidcNext::Token { .. } } = &mut self.conversation
        else {
            return Err(Error::UnexpectedStep {
                expected: "the next step (a token was not asked for)",
            });
        };
        self.payload.as_mut_slice().zeroize();
        self.payload_len = 0;
        let r = conv.provide_token(token, &mut self.payload);
        let next = match r {
            Ok(oidc::Step::SaslStart { len }) => {
                self.payload_len = len;
                OidcNext::Start
            }
            Ok(oidc::Step::SaslContinue { conversation_id, len }) => {
                self.payload_len = len;
                OidcNext::Continue(conversation_id)
            }
            Ok(_) => OidcNext::Wait,
            Err(e) => {
                let e = match e.buffer_too_small() {
                    Some(_) => Error::Capacity { what: "MONGODB-OIDC token payload", limit: P },
                    None => e,
                };
                return Err(self.fail(Stage::Input, e, None));
            }
        };
        if let Conversation::Oidc { next: n, .. } = &mut self.conversation {
            *n = next;
        }
        Ok(self.step())
    }

    #[cfg(feature = "gssapi")]
    fn gss_phase(&self) -> Option<GssPhase> {
        match self.conversation {
            Conversation::Gss(p) if matches!(self.phase, Phase::Auth) => Some(p),
            _ => None,
        }
    }

    /// Store a GSSAPI token or message for the next step, or end the login.
    #[cfg(feature = "gssapi")]
    fn gss_store(
        &mut self,
        parts: &[&[u8]],
        what: &'static str,
        stage: Stage,
        next: GssPhase,
    ) -> Result<Step<'_>, Error> {
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let r = if total > MAX_TOKEN_LEN {
            Err(Error::Capacity { what, limit: MAX_TOKEN_LEN })
        } else {
            self.set_payload(parts, what)
        };
        if let Err(e) = r {
            return Err(self.fail(stage, e, None));
        }
        self.conversation = Conversation::Gss(next);
        Ok(self.step())
    }

    /// Answer [`Need::GssInit`] (feature `gssapi`) with the output token of
    /// `gss_init_sec_context` (empty if the library produced none; it is
    /// sent as is) and whether the context is now established. The token
    /// is kept in the payload buffer until sent, so it must fit `P`
    /// ([`DEFAULT_PAYLOAD_LEN`] is [`MAX_TOKEN_LEN`] with this feature; at
    /// most [`MAX_TOKEN_LEN`] whatever `P`).
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when no context step was asked for (the
    /// login goes on); [`Error::Capacity`] for a token over `P` or
    /// [`MAX_TOKEN_LEN`] (the login is over).
    #[cfg(feature = "gssapi")]
    pub fn provide_gss_step(&mut self, token: &[u8], complete: bool) -> Result<Step<'_>, Error> {
        if self.gss_phase() != Some(GssPhase::Init) {
            return Err(Error::UnexpectedStep {
                expected: "the next step (a GSSAPI context step was not asked for)",
            });
        }
        self.gss_store(&[token], "GSSAPI token", Stage::GssInit, GssPhase::Token { complete })
    }

    /// Answer [`Need::GssUnwrap`] (feature `gssapi`) with the unwrapped
    /// security-layer message: it must be 4 bytes offering "no security
    /// layer"; the answer to wrap (`01 00 00 00` and the principal) is then
    /// asked for with [`Need::GssWrap`].
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when nothing was to be unwrapped (the
    /// login goes on); [`Error::Protocol`] for a message that is not 4
    /// bytes or offers no "no security layer" (the login is over).
    #[cfg(feature = "gssapi")]
    pub fn provide_gss_unwrapped(&mut self, message: &[u8]) -> Result<Step<'_>, Error> {
        if self.gss_phase() != Some(GssPhase::Unwrap) {
            return Err(Error::UnexpectedStep {
                expected: "the next step (no GSSAPI unwrap was asked for)",
            });
        }
        if let Err(e) = SecurityLayer::parse_offer(message) {
            return Err(self.fail(Stage::GssUnwrap, e.into(), None));
        }
        let mut principal = heapless::String::<{ gssapi::MAX_PRINCIPAL_LEN }>::new();
        // Checked at setup: the username is a principal of at most that length.
        let _ = principal.push_str(self.cred.username().unwrap_or(""));
        let reply = ClientLayerReply::no_layer(&principal);
        let mut msg = [0u8; gssapi::SECURITY_LAYER_LEN + gssapi::MAX_PRINCIPAL_LEN];
        let n = reply.write(&mut msg).unwrap_or(0);
        let msg = msg.get(..n).unwrap_or(&[]);
        self.gss_store(&[msg], "GSSAPI security-layer answer", Stage::GssUnwrap, GssPhase::Wrap)
    }

    /// Answer [`Need::GssWrap`] (feature `gssapi`) with the wrapped token
    /// (`gss_wrap`, integrity only): it is sent, and the server's reply
    /// must end the login (`done: true`).
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when nothing was to be wrapped (the login
    /// goes on); [`Error::Capacity`] for a token over `P` or
    /// [`MAX_TOKEN_LEN`] (the login is over).
    #[cfg(feature = "gssapi")]
    pub fn provide_gss_wrapped(&mut self, token: &[u8]) -> Result<Step<'_>, Error> {
        if self.gss_phase() != Some(GssPhase::Wrap) {
            return Err(Error::UnexpectedStep {
                expected: "the next step (no GSSAPI wrap was asked for)",
            });
        }
        self.gss_store(&[token], "GSSAPI wrapped token", Stage::GssWrap, GssPhase::Final)
    }

    /// Answer whichever GSSAPI need is pending (feature `gssapi`) by calling
    /// `initiator` (`step`, `unwrap` or `wrap`) with `scratch` as its output
    /// buffer ([`MAX_TOKEN_LEN`] bytes always suffice): what a driver with a
    /// GSS-API library (the `std` one, C callbacks) calls on any GSS
    /// [`Need`].
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when no GSS input is pending;
    /// [`Error::BufferTooSmall`] when `scratch` is too small (the login
    /// goes on: retry with a larger one); the library's failure
    /// ([`Error::Gss`], its text in [`Authenticator::gss_status_text`]) and
    /// the `provide_gss_*` errors end the login.
    ///
    /// [`Error::Gss`]: the library's text is in [`Authenticator::gss_status_text`].
    ///
    /// A whole login against our own server, with a toy GSS mechanism on
    /// both sides (a real driver plugs in MIT krb5 or SSPI the same way):
    ///
    /// ```
    /// use mongoauth::client::{AuthConfig, Authenticator, Credential, Step};
    /// use mongoauth::codec::wire;
    /// use mongoauth::mech::Mechanism;
    /// use mongoauth::mech::gssapi::*;
    /// use mongoauth::server::{ServerSession, StaticUsers};
    ///
    /// fn put(out: &mut [u8], parts: &[&[u8]]) -> Result<usize, GssError> {
    ///     let mut n = 0;
    ///     for p in parts {
    ///         let dst = out.get_mut(n..n + p.len()).ok_or(GssError::NoContext)?;
    ///         dst.copy_from_slice(p);
    ///         n += p.len();
    ///     }
    ///     Ok(n)
    /// }
    ///
    /// /// Toy initiator: "INIT <principal>", then done on "ACCEPT";
    /// /// wrap = a `W` prefix.
    /// struct Toy;
    /// impl GssInitiator for Toy {
    ///     fn step(&mut self, _t: &GssTarget<'_>, id: &GssIdentity<'_>, input: &[u8], out: &mut [u8])
    ///         -> Result<GssStep, GssError> {
    ///         if input.is_empty() {
    ///             let who = id.principal.unwrap_or("").as_bytes();
    ///             Ok(GssStep { written: put(out, &[b"INIT ", who])?, complete: false })
    ///         } else {
    ///             Ok(GssStep { written: 0, complete: input == b"ACCEPT" })
    ///         }
    ///     }
    ///     fn unwrap(&mut self, t: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
    ///         put(out, &[t.strip_prefix(b"W").ok_or(GssError::NoContext)?])
    ///     }
    ///     fn wrap(&mut self, m: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
    ///         put(out, &[b"W", m])
    ///     }
    /// }
    ///
    /// /// Toy acceptor: takes "INIT <principal>", answers "ACCEPT".
    /// #[derive(Default)]
    /// struct ToyAcceptor(Option<String>);
    /// impl GssAcceptor for ToyAcceptor {
    ///     fn step(&mut self, input: &[u8], out: &mut [u8]) -> Result<GssStep, GssError> {
    ///         let who = input.strip_prefix(b"INIT ").ok_or(GssError::NoContext)?;
    ///         self.0 = Some(String::from_utf8_lossy(who).into_owned());
    ///         Ok(GssStep { written: put(out, &[b"ACCEPT"])?, complete: true })
    ///     }
    ///     fn wrap(&mut self, m: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
    ///         put(out, &[b"W", m])
    ///     }
    ///     fn unwrap(&mut self, t: &[u8], out: &mut [u8]) -> Result<usize, GssError> {
    ///         put(out, &[t.strip_prefix(b"W").ok_or(GssError::NoContext)?])
    ///     }
    ///     fn source_name(&mut self, out: &mut [u8]) -> Result<usize, GssError> {
    ///         put(out, &[self.0.as_deref().ok_or(GssError::NoContext)?.as_bytes()])
    ///     }
    ///     fn reset(&mut self) { self.0 = None; }
    /// }
    ///
    /// let users = StaticUsers::<1>::new().with_external_user("user@EXAMPLE.COM")?;
    /// let mut server = ServerSession::new(&users, [9; 32]).with_gssapi(ToyAcceptor::default());
    /// let cred = Credential::new(Some(Mechanism::Gssapi), Some("user@EXAMPLE.COM"), None, "$external")?;
    /// let target = GssConfig::new("db.example.com")?; // the host connected to
    /// let mut auth = Authenticator::new(cred, AuthConfig::default(), &[7; 48])?.with_gssapi(&target);
    /// let (mut req, mut rep) = ([0u8; 1024], [0u8; 1024]);
    /// let mut scratch = [0u8; MAX_TOKEN_LEN];
    /// let outcome = loop {
    ///     let n = match auth.step() {
    ///         Step::Send(cmd) => wire::encode_document(&cmd, &mut req)?,
    ///         Step::Need(_) => {
    ///             auth.provide_gss_with(&mut Toy, &mut scratch)?;
    ///             continue;
    ///         }
    ///         Step::Done(outcome) => break outcome,
    ///     };
    ///     let m = server.handle(&req[..n], &[3; 24], &mut rep)?;
    ///     auth.handle_reply(&rep[..m])?;
    /// };
    /// assert!(outcome.is_authenticated());
    /// assert_eq!(server.authenticated_user(), Some(("$external", "user@EXAMPLE.COM")));
    /// # Ok::<(), mongoauth::Error>(())
    /// ```
    #[cfg(feature = "gssapi")]
    pub fn provide_gss_with<I: GssInitiator + ?Sized>(
        &mut self,
        initiator: &mut I,
        scratch: &mut [u8],
    ) -> Result<Step<'_>, Error> {
        let (op, stage) = match self.gss_phase() {
            Some(GssPhase::Init) => (GssOp::Init, Stage::GssInit),
            Some(GssPhase::Unwrap) => (GssOp::Unwrap, Stage::GssUnwrap),
            Some(GssPhase::Wrap) => (GssOp::Wrap, Stage::GssWrap),
            _ => {
                return Err(Error::UnexpectedStep {
                    expected: "the next step (no GSSAPI input was asked for)",
                });
            }
        };
        let r = match (op, &self.gss) {
            (GssOp::Init, Some(g)) => initiator
                .step(&g.target(), &self.gss_identity(), self.payload(), scratch)
                .map(|s| (s.written, s.complete)),
            (GssOp::Unwrap, _) => initiator.unwrap(self.payload(), scratch).map(|n| (n, false)),
            (GssOp::Wrap, _) => initiator.wrap(self.payload(), scratch).map(|n| (n, false)),
            _ => Err(GssError::NoContext),
        };
        let (n, complete) = match r {
            Ok(v) => v,
            Err(GssError::BufferTooSmall(b)) => return Err(Error::BufferTooSmall(b)),
            Err(e) => return Err(self.fail_gss(stage, op, &e)),
        };
        let Some(out) = scratch.get(..n) else {
            let e = Error::Capacity { what: "GSS-API output (longer than scratch)", limit: n };
            return Err(self.fail(stage, e, None));
        };
        match op {
            GssOp::Init => self.provide_gss_step(out, complete),
            GssOp::Unwrap => self.provide_gss_unwrapped(out),
            _ => self.provide_gss_wrapped(out),
        }
    }

    /// Record a GSS-API library failure of the pending GSS step (feature
    /// `gssapi`), for a driver that calls its library itself: the login is
    /// over, [`error`](Self::error) names the step and keeps the library's
    /// text. Returns the compact error.
    #[cfg(feature = "gssapi")]
    pub fn fail_gss_error(&mut self, error: &GssError) -> Error {
        let (op, stage) = match self.gss_phase() {
            Some(GssPhase::Unwrap) => (GssOp::Unwrap, Stage::GssUnwrap),
            Some(GssPhase::Wrap) => (GssOp::Wrap, Stage::GssWrap),
            _ => (GssOp::Init, Stage::GssInit),
        };
        self.fail_gss(stage, op, error)
    }

    #[cfg(feature = "gssapi")]
    #[cold]
    fn fail_gss(&mut self, stage: Stage, op: GssOp, error: &GssError) -> Error {
        let e = self.fail(stage, error.to_error(op), None);
        // The login is over and the payload buffer wiped: it keeps the
        // library's text (not secret), so that nothing grows for it.
        if let GssError::Library { text, .. } = error {
            let t = text.as_str();
            let mut n = t.len().min(P);
            while !t.is_char_boundary(n) {
                n -= 1;
            }
            if let (Some(d), Some(s)) = (self.payload.get_mut(..n), t.as_bytes().get(..n)) {
                d.copy_from_slice(s);
                self.payload_len = n;
            }
        }
        e
    }

    /// The GSS-API library's text for the failure that ended the login
    /// (`gss_display_status` of the major and minor codes, at most
    /// [`gssapi::MAX_STATUS_TEXT_LEN`] bytes), when it was a GSS call
    /// ([`Error::Gss`]) that failed (feature `gssapi`).
    #[cfg(feature = "gssapi")]
    pub fn gss_status_text(&self) -> Option<&str> {
        match (&self.failure, self.phase) {
            (Some(f), Phase::Done(Outcome::Failed))
                if matches!(f.error, Error::Gss(_)) && self.payload_len > 0 =>
            {
                core::str::from_utf8(self.payload()).ok()
            }
            _ => None,
        }
    }

    /// Whether the login succeeded (for SCRAM: the server's signature
    /// verified). False for an arbiter.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.phase, Phase::Done(Outcome::Authenticated { .. }))
    }

    /// The mechanism in use once the hello reply is handled.
    pub fn mechanism(&self) -> Option<Mechanism> {
        self.mechanism
    }

    /// Whether the server answered the speculative first step (a saved round trip).
    pub fn used_speculative(&self) -> bool {
        self.speculation_answered
    }

    /// The credential this login uses.
    pub fn credential(&self) -> &Credential {
        &self.cred
    }
}

/// `ok: 0` → the compact error, keeping the server's text in `server`.
#[cold]
fn command_failed(e: &CommandError<'_>, server: &mut Option<ServerReply>) -> Error {
    *server = Some(ServerReply::from_reply(e));
    Error::CommandFailed(CommandFailure::from_reply(e))
}

impl<const P: usize> Drop for Authenticator<'_, P> {
    fn drop(&mut self) {
        self.payload.as_mut_slice().zeroize();
    }
}

impl<const P: usize> fmt::Debug for Authenticator<'_, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("credential", &self.cred)
            .field("phase", &self.phase)
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

/// A command the authenticator wants sent: write it with
/// [`wire::encode_message`] (framed) or [`wire::encode_document`] (body only).
#[derive(Clone, Copy, Debug)]
pub enum Command<'a> {
    /// The opening `hello` / `isMaster`.
    Hello(Hello<'a>),
    /// `saslStart`.
    SaslStart(SaslStart<'a>),
    /// `saslContinue`.
    SaslContinue(SaslContinue<'a>),
    /// `authenticate` (MONGODB-X509).
    Authenticate(Authenticate<'a>),
    /// `getnonce` (MONGODB-CR).
    #[cfg(feature = "mongodb-cr")]
    GetNonce(cr::GetNonce<'a>),
    /// `authenticate {user, nonce, key}` (MONGODB-CR).
    #[cfg(feature = "mongodb-cr")]
    CrAuthenticate(cr::Authenticate<'a>),
}

impl WriteBody for Command<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        match self {
            Self::Hello(c) => c.write_body(w),
            Self::SaslStart(c) => c.write_body(w),
            Self::SaslContinue(c) => c.write_body(w),
            Self::Authenticate(c) => c.write_body(w),
            #[cfg(feature = "mongodb-cr")]
            Self::GetNonce(c) => c.write_body(w),
            #[cfg(feature = "mongodb-cr")]
            Self::CrAuthenticate(c) => c.write_body(w),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_index_covers_every_parser_it_feeds() {
        let keys = HelloReply::KEYS.iter().chain(&SaslReply::KEYS).chain(&AuthenticateReply::KEYS);
        for k in keys {
            assert!(REPLY_KEYS.contains(k), "REPLY_KEYS misses {k}");
        }
    }
}
