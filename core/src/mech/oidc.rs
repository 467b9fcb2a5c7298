//! MONGODB-OIDC, sans-I/O: the SASL payloads, the one-step and two-step
//! conversations, and the pure rules of the auth spec's OIDC section, so a
//! driver only has to supply tokens, a lock and a clock.
//!
//! The core never calls a callback, reads a file or opens a socket. A
//! [`Conversation`] says what it needs next ([`Step`]): a token
//! ([`Step::NeedToken`], with the server's [`IdpInfo`] in the human flow), or
//! a `saslStart`/`saslContinue` to send with the payload it wrote into the
//! caller's buffer. The caller runs the callback (machine or human, or a
//! built-in environment), with the spec's [timeouts](callback_timeout_ms) and
//! [spacing](CallbackSpacing), keeps the token in a [`TokenCache`], and
//! applies [`retry_decision`] when the server refuses it.
//!
//! What is encoded here, per the MongoDB auth spec (MONGODB-OIDC):
//! - one step: `saslStart` to `$external` with `{jwt}`, answered `done: true`;
//! - two steps (human flow without a cached token): `saslStart` with `{n}`
//!   (or `{}` without a username), the server's IdpInfo with `done: false`,
//!   then `saslContinue` with `{jwt}` echoing the `conversationId`;
//! - `ALLOWED_HOSTS` ([`allowed_host`], [`DEFAULT_ALLOWED_HOSTS`]): checked
//!   after SRV resolution and before any human callback;
//! - the machine-flow retry: only error 18 with a cached token invalidates it
//!   (compare-and-swap, [`TokenCache::invalidate`]) and retries once;
//! - speculation only with a cached token ([`should_speculate`]); a 391
//!   reauthenticates ([`reauthentication_required`]).
//!
//! Tokens are secrets: the conversation keeps no copy (it writes the payload
//! into the caller's buffer, and wipes that buffer if the payload does not
//! fit), [`TokenCache`] zeroizes what it drops, and no `Debug` output or
//! error carries a token.
//!
//! ```
//! use mongoauth::mech::oidc::{Conversation, Step};
//! use mongoauth::codec::wire::{self, SaslReply};
//! use mongoauth::codec::bson::Document;
//!
//! // Machine flow: the caller has a token (cached, or from its callback).
//! let mut conv = Conversation::one_step();
//! let mut payload = [0u8; 64];
//! assert!(matches!(conv.start(None, &mut payload)?, Step::NeedToken { idp_info: None }));
//! let Step::SaslStart { len } = conv.provide_token("abcd1234", &mut payload)? else {
//!     unreachable!()
//! };
//! let cmd = mongoauth::mech::oidc::sasl_start(&payload[..len]);
//! let mut frame = [0u8; 128];
//! let _n = wire::encode_document(&cmd, &mut frame)?;
//!
//! // ... send it; the server answers `done: true`:
//! let reply = SaslReply { conversation_id: wire::ConversationId::Int32(1), done: true, payload: b"" };
//! assert!(matches!(conv.handle_reply(&reply)?, Step::Done));
//! # Ok::<(), mongoauth::Error>(())
//! ```

use core::fmt;

use zeroize::Zeroize;

use crate::codec::bson::{Array, BsonError, DocWriter, Document, Value};
use crate::codec::wire::{self, ConversationId, SaslContinue, SaslReply, SaslStart, Speculative};
use crate::crypto::ct_eq;
use crate::error::{CommandFailure, Error};

/// The mechanism name sent in `saslStart`.
pub const MECHANISM: &str = "MONGODB-OIDC";

/// The database OIDC always authenticates against.
pub const SOURCE: &str = "$external";

/// The `version` a driver passes to its callbacks (callback API version 1).
pub const CALLBACK_API_VERSION: u32 = 1;

/// A machine callback's timeout when CSOT is not in use (60 s).
pub const MACHINE_CALLBACK_TIMEOUT_MS: u64 = 60_000;

/// A human callback's timeout, always (5 min): a person has to log in.
pub const HUMAN_CALLBACK_TIMEOUT_MS: u64 = 300_000;

/// Minimum time between the starts of two callback invocations (100 ms), so
/// a storm of failing connections cannot hammer the identity provider.
pub const MIN_CALLBACK_INTERVAL_MS: u64 = 100;

/// The only server error code that invalidates a cached token and triggers
/// the single retry (AuthenticationFailed).
pub const AUTHENTICATION_FAILED: i32 = wire::AUTHENTICATION_FAILED;

/// ReauthenticationRequired: the connection's token expired; reauthenticate
/// and retry the operation once.
pub const REAUTHENTICATION_REQUIRED: i32 = 391;

/// Largest access token [`TokenCache`] holds by default (8 KiB). Real JWTs
/// are 1–4 KiB; a longer one is refused rather than cut.
pub const MAX_TOKEN_LEN: usize = 8 * 1024;

/// The spec's default `ALLOWED_HOSTS` for the human flow, in its order.
pub const DEFAULT_ALLOWED_HOSTS: [&str; 8] = [
    "*.mongodb.net",
    "*.mongodb-qa.net",
    "*.mongodb-dev.net",
    "*.mongodbgov.net",
    "localhost",
    "127.0.0.1",
    "::1",
    "*.mongo.com",
];

// ---------------------------------------------------------------------------
// Payloads
// ---------------------------------------------------------------------------

/// Write the one-step (and two-step final) payload `{jwt: <token>}` into
/// `out`, returning its length. The token is not validated (the spec forbids
/// it); it is a secret, so on error `out` is wiped.
///
/// # Errors
/// [`Error::Wire`] with [`wire::WireError::BufferTooSmall`] and the size needed.
pub fn jwt_payload(token: &str, out: &mut [u8]) -> Result<usize, Error> {
    let mut w = DocWriter::new(out);
    w.string("jwt", token);
    // `w` borrows `out`; finish it first, then wipe through `out` on error.
    match w.finish() {
        Ok(n) => Ok(n),
        Err(e) => {
            out.zeroize();
            Err(e.into())
        }
    }
}

/// Write the two-step principal payload: `{n: <username>}`, or `{}` when
/// there is no username (the spec omits `n`).
///
/// # Errors
/// [`Error::Wire`] with [`wire::WireError::BufferTooSmall`] and the size needed.
pub fn username_payload(username: Option<&str>, out: &mut [u8]) -> Result<usize, Error> {
    let mut w = DocWriter::new(out);
    if let Some(u) = username {
        w.string("n", u);
    }
    Ok(w.finish()?)
}

/// The `saslStart` command for an OIDC payload (`$external`, no
/// `skipEmptyExchange`: the spec's examples send none).
pub fn sasl_start(payload: &[u8]) -> SaslStart<'_> {
    SaslStart { mechanism: MECHANISM, payload, skip_empty_exchange: false, db: SOURCE }
}

/// The `speculativeAuthenticate` form of the one-step `saslStart`; send it
/// only when [`should_speculate`] says so.
pub fn speculative_sasl_start(payload: &[u8]) -> Speculative<'_> {
    Speculative::SaslStart(sasl_start(payload))
}

/// The `saslContinue` carrying the two-step `{jwt}` payload.
pub fn sasl_continue(conversation_id: ConversationId, payload: &[u8]) -> SaslContinue<'_> {
    SaslContinue { conversation_id, payload, db: SOURCE }
}

/// The identity provider's details the server sends in the two-step flow,
/// for the human callback. Borrowed from the reply; not secret.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct IdpInfo<'a> {
    issuer: &'a str,
    client_id: Option<&'a str>,
    request_scopes: Option<Array<'a>>,
}

impl<'a> IdpInfo<'a> {
    /// Read an IdpInfo payload: `issuer` (string) is required, `clientId`
    /// (string) is optional (prose test 1.8), `requestScopes` is an optional
    /// array whose every element must be a string. Other fields are ignored.
    ///
    /// # Errors
    /// [`Error::Wire`] with the BSON fault and its byte offset, a missing
    /// `issuer`, or a field of the wrong type (named, with its offset).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, Error> {
        let doc = Document::parse(bytes)?;
        let issuer = doc.get_str("issuer")?;
        let client_id = doc.get_opt::<&str>("clientId")?;
        let request_scopes = doc.get_opt::<Array<'a>>("requestScopes")?;
        if let Some(a) = request_scopes
            && let Some(e) = a.elements().find(|e| !matches!(e.value, Value::String(_)))
        {
            return Err(BsonError::WrongType {
                field: "requestScopes",
                offset: e.offset,
                expected: "array of strings",
                found: e.value.element_type(),
            }
            .into());
        }
        Ok(Self { issuer, client_id, request_scopes })
    }

    /// The issuer URI.
    pub fn issuer(&self) -> &'a str {
        self.issuer
    }

    /// The client id to use with the issuer, if the server gave one.
    pub fn client_id(&self) -> Option<&'a str> {
        self.client_id
    }

    /// Whether the server sent `requestScopes` at all (an empty array is
    /// "sent, none").
    pub fn has_request_scopes(&self) -> bool {
        self.request_scopes.is_some()
    }

    /// The requested scopes in order, without allocating (empty if absent).
    pub fn request_scopes(&self) -> Scopes<'a> {
        Scopes { inner: self.request_scopes.map(|a| a.iter()) }
    }
}

/// Iterator over [`IdpInfo::request_scopes`].
#[derive(Clone, Debug)]
pub struct Scopes<'a> {
    inner: Option<crate::codec::bson::ArrayIter<'a>>,
}

impl<'a> Iterator for Scopes<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        // Every element was checked to be a string in `IdpInfo::parse`.
        self.inner.as_mut()?.find_map(|v| match v {
            Value::String(s) => Some(s),
            _ => None,
        })
    }
}

// ---------------------------------------------------------------------------
// Conversation
// ---------------------------------------------------------------------------

/// What a [`Conversation`] needs from the caller next.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Step<'r> {
    /// Get a token (cache, machine callback or environment when `idp_info`
    /// is `None`; the human callback with this IdpInfo otherwise), then call
    /// [`Conversation::provide_token`].
    NeedToken {
        /// The server's IdpInfo, in the two-step flow.
        idp_info: Option<IdpInfo<'r>>,
    },
    /// Send [`sasl_start`] with the first `len` bytes of the payload buffer,
    /// then pass the reply to [`Conversation::handle_reply`].
    SaslStart {
        /// Payload length.
        len: usize,
    },
    /// Send [`sasl_continue`] with this id and the first `len` bytes of the
    /// payload buffer, then pass the reply to [`Conversation::handle_reply`].
    SaslContinue {
        /// The id from the server's first reply.
        conversation_id: ConversationId,
        /// Payload length.
        len: usize,
    },
    /// The server accepted the token.
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// One step, not started.
    OneStepStart,
    /// Two steps, not started.
    TwoStepStart,
    /// One step: waiting for the caller's token.
    OneStepToken,
    /// One step: `{jwt}` sent, waiting for `done: true`.
    OneStepReply,
    /// Two steps: `{n}` sent, waiting for IdpInfo.
    PrincipalReply,
    /// Two steps: IdpInfo handed out, waiting for the caller's token.
    TwoStepToken(ConversationId),
    /// Two steps: `{jwt}` sent, waiting for `done: true`.
    FinalReply(ConversationId),
    /// Authenticated.
    Done,
    /// A step failed; the conversation is over.
    Failed,
}

/// One MONGODB-OIDC SASL conversation on one connection. Holds no token and
/// nothing secret: only where it is and the `conversationId`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Conversation {
    state: State,
}

impl Conversation {
    /// The one-step flow: a cached token, a built-in environment, a machine
    /// callback, or a human token obtained with a refresh token.
    pub fn one_step() -> Self {
        Self { state: State::OneStepStart }
    }

    /// The two-step flow: the human callback with no cached token; the
    /// server first says which identity provider to use.
    pub fn two_step() -> Self {
        Self { state: State::TwoStepStart }
    }

    /// Whether the server accepted the token.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Begin. One step: asks for a token (`username` is not sent; the token
    /// names the user). Two steps: writes `{n: username}` (or `{}`) into
    /// `out` and asks for it to be sent as `saslStart`.
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] if already started; a too-small `out`.
    pub fn start(
        &mut self,
        username: Option<&str>,
        out: &mut [u8],
    ) -> Result<Step<'static>, Error> {
        match self.state {
            State::OneStepStart => {
                self.state = State::OneStepToken;
                Ok(Step::NeedToken { idp_info: None })
            }
            State::TwoStepStart => match username_payload(username, out) {
                Ok(len) => {
                    self.state = State::PrincipalReply;
                    Ok(Step::SaslStart { len })
                }
                Err(e) => self.fail(e),
            },
            _ => self.fail(Error::UnexpectedStep { expected: "no second start" }),
        }
    }

    /// Hand over the token the last [`Step::NeedToken`] asked for: writes
    /// `{jwt}` into `out` (wiped on error) and says which command carries it.
    /// The conversation keeps no copy.
    ///
    /// # Errors
    /// [`Error::UnexpectedStep`] when no token was asked for; a too-small
    /// `out`.
    pub fn provide_token(&mut self, token: &str, out: &mut [u8]) -> Result<Step<'static>, Error> {
        let next = match self.state {
            State::OneStepToken => None,
            State::TwoStepToken(id) => Some(id),
            _ => return self.fail(Error::UnexpectedStep { expected: "a server reply" }),
        };
        let len = match jwt_payload(token, out) {
            Ok(len) => len,
            Err(e) => return self.fail(e),
        };
        Ok(match next {
            None => {
                self.state = State::OneStepReply;
                Step::SaslStart { len }
            }
            Some(conversation_id) => {
                self.state = State::FinalReply(conversation_id);
                Step::SaslContinue { conversation_id, len }
            }
        })
    }

    /// Take a successful (`ok: 1`) `saslStart`/`saslContinue` reply, or the
    /// `speculativeAuthenticate` reply of a hello that carried the one-step
    /// `saslStart`. A failed reply (`ok: 0`) is the caller's to judge with
    /// [`retry_decision`]; [`Conversation::handle_reply_body`] turns it into
    /// [`Error::CommandFailed`].
    ///
    /// # Errors
    /// [`Error::Protocol`] if the server finishes before it has a token,
    /// does not finish after it, or changes the `conversationId`; IdpInfo
    /// parse errors; [`Error::UnexpectedStep`] out of turn.
    pub fn handle_reply<'r>(&mut self, reply: &SaslReply<'r>) -> Result<Step<'r>, Error> {
        match self.state {
            State::PrincipalReply => {
                if reply.done {
                    return self.fail(Error::Protocol {
                        rule: "MONGODB-OIDC: server finished the conversation before receiving a token",
                    });
                }
                match IdpInfo::parse(reply.payload) {
                    Ok(info) => {
                        self.state = State::TwoStepToken(reply.conversation_id);
                        Ok(Step::NeedToken { idp_info: Some(info) })
                    }
                    Err(e) => self.fail(e),
                }
            }
            State::OneStepReply | State::FinalReply(_) => {
                if let State::FinalReply(id) = self.state
                    && id != reply.conversation_id
                {
                    return self.fail(Error::Protocol {
                        rule: "MONGODB-OIDC: server changed the conversationId",
                    });
                }
                if !reply.done {
                    return self.fail(Error::Protocol {
                        rule: "MONGODB-OIDC: server did not finish after receiving the token",
                    });
                }
                self.state = State::Done;
                Ok(Step::Done)
            }
            State::OneStepToken | State::TwoStepToken(_) => {
                self.fail(Error::UnexpectedStep { expected: "a token" })
            }
            State::OneStepStart | State::TwoStepStart => {
                self.fail(Error::UnexpectedStep { expected: "start" })
            }
            State::Done | State::Failed => {
                self.fail(Error::UnexpectedStep { expected: "nothing (conversation over)" })
            }
        }
    }

    /// [`Conversation::handle_reply`] over a reply body's bytes; `ok: 0`
    /// becomes [`Error::CommandFailed`] (read its code with
    /// [`retry_decision`]).
    ///
    /// # Errors
    /// Malformed BSON or reply fields (with offsets), a failed command, or
    /// any error of [`Conversation::handle_reply`].
    pub fn handle_reply_body<'r>(&mut self, body: &'r [u8]) -> Result<Step<'r>, Error> {
        let parsed =
            Document::parse(body).map_err(wire::WireError::from).and_then(SaslReply::parse);
        match parsed {
            Ok(Ok(reply)) => self.handle_reply(&reply),
            Ok(Err(failure)) => {
                self.fail(Error::CommandFailed(CommandFailure::from_reply(&failure)))
            }
            Err(e) => self.fail(e.into()),
        }
    }

    /// Record a failure: the conversation is over. A finished login stays
    /// finished; a stray call afterwards is only reported.
    fn fail<T>(&mut self, e: Error) -> Result<T, Error> {
        if self.state != State::Done {
            self.state = State::Failed;
        }
        Err(e)
    }
}

// ---------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------

/// What to do after a one-step attempt failed with a server error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Error 18 with a cached token: invalidate that token (compare-and-swap,
    /// [`TokenCache::invalidate`]), get a fresh one and try once more.
    InvalidateAndRetry,
    /// Raise the error; do **not** touch the cache.
    Surface,
}

/// The machine flow's rule: a cached token refused with code 18 is
/// invalidated and retried once with a fresh token; every other error (and
/// any error for a freshly fetched token) is raised without invalidation
/// (prose 3.3 uses code 20).
pub fn retry_decision(had_cached_token: bool, code: Option<i32>) -> RetryDecision {
    if had_cached_token && code == Some(AUTHENTICATION_FAILED) {
        RetryDecision::InvalidateAndRetry
    } else {
        RetryDecision::Surface
    }
}

/// [`retry_decision`] with its "once" remembered: one per authentication
/// attempt. After a retry the token is fresh, so every later failure
/// surfaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MachineFlow {
    cached: bool,
}

impl MachineFlow {
    /// Start an attempt; `used_cached_token` says where its first token came
    /// from.
    pub fn new(used_cached_token: bool) -> Self {
        Self { cached: used_cached_token }
    }

    /// Decide after a failed attempt with this server error code.
    pub fn on_failure(&mut self, code: Option<i32>) -> RetryDecision {
        let d = retry_decision(self.cached, code);
        self.cached = false;
        d
    }
}

/// Whether a server error asks for reauthentication (391): invalidate the
/// connection's token, fetch a new one, run the one-step SASL again (no
/// hello, no speculation), then retry the operation once.
pub fn reauthentication_required(code: Option<i32>) -> bool {
    code == Some(REAUTHENTICATION_REQUIRED)
}

/// Speculative authentication MUST be attempted when the Client Cache has a
/// token and MUST NOT be otherwise. If it fails, do not invalidate the
/// Client Cache: clear the connection's token and authenticate normally.
pub fn should_speculate(client_cache_has_token: bool) -> bool {
    client_cache_has_token
}

/// A callback's timeout: always [`HUMAN_CALLBACK_TIMEOUT_MS`] for the human
/// callback; otherwise the smaller of what remains of connectTimeoutMS and of
/// timeoutMS under CSOT (`csot_remaining_ms` is `Some`), or
/// [`MACHINE_CALLBACK_TIMEOUT_MS`] without CSOT.
pub fn callback_timeout_ms(
    human: bool,
    connect_remaining_ms: Option<u64>,
    csot_remaining_ms: Option<u64>,
) -> u64 {
    if human {
        return HUMAN_CALLBACK_TIMEOUT_MS;
    }
    match csot_remaining_ms {
        None => MACHINE_CALLBACK_TIMEOUT_MS,
        Some(t) => connect_remaining_ms.map_or(t, |c| c.min(t)),
    }
}

/// Check a callback's `expiresIn` (seconds): negative is an error; the token
/// itself is never validated.
///
/// # Errors
/// [`Error::InvalidCredential`] for a negative value.
pub fn check_expires_in(expires_in_secs: Option<i64>) -> Result<(), Error> {
    match expires_in_secs {
        Some(s) if s < 0 => {
            Err(Error::InvalidCredential { rule: "OIDC callback returned a negative expiresIn" })
        }
        _ => Ok(()),
    }
}

/// Enforces "one callback at a time, starts at least
/// [`MIN_CALLBACK_INTERVAL_MS`] apart" with the caller's monotonic clock in
/// milliseconds. The caller still needs its own lock to share it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CallbackSpacing {
    last_start_ms: Option<u64>,
    in_flight: bool,
}

impl CallbackSpacing {
    /// No callback has run yet.
    pub const fn new() -> Self {
        Self { last_start_ms: None, in_flight: false }
    }

    /// How long to wait at `now_ms` before a callback may start (0: now).
    /// A clock that went backwards waits one full interval.
    pub fn delay_ms(&self, now_ms: u64) -> u64 {
        match self.last_start_ms {
            None => 0,
            Some(last) => match now_ms.checked_sub(last) {
                Some(elapsed) => MIN_CALLBACK_INTERVAL_MS.saturating_sub(elapsed),
                None => MIN_CALLBACK_INTERVAL_MS,
            },
        }
    }

    /// Start a callback at `now_ms` if allowed: `Err(wait_ms)` if one is
    /// running (wait for [`CallbackSpacing::finish`], reported as the full
    /// interval) or the last one started too recently. If the clock went
    /// backwards, the interval restarts from `now_ms`, so a caller is never
    /// stuck.
    ///
    /// # Errors
    /// The milliseconds to wait before trying again.
    pub fn try_begin(&mut self, now_ms: u64) -> Result<(), u64> {
        if self.in_flight {
            return Err(MIN_CALLBACK_INTERVAL_MS);
        }
        if self.last_start_ms.is_some_and(|last| now_ms < last) {
            self.last_start_ms = Some(now_ms);
            return Err(MIN_CALLBACK_INTERVAL_MS);
        }
        match self.delay_ms(now_ms) {
            0 => {
                self.last_start_ms = Some(now_ms);
                self.in_flight = true;
                Ok(())
            }
            wait => Err(wait),
        }
    }

    /// The callback returned (or failed, or timed out).
    pub fn finish(&mut self) {
        self.in_flight = false;
    }
}

// ---------------------------------------------------------------------------
// ALLOWED_HOSTS
// ---------------------------------------------------------------------------

/// `host` without a port: `[v6]:p` and `[v6]` give `v6`, `name:p` gives
/// `name`, and a bare IPv6 address (two or more colons) is kept whole. One
/// trailing dot (a fully qualified name) is dropped.
fn strip_port(host: &str) -> &str {
    let h = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((inner, _)) => inner,
            None => rest,
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) if !port.contains(':') => name,
            _ => host,
        }
    };
    h.strip_suffix('.').unwrap_or(h)
}

/// Whether `host` (as resolved, after SRV lookup; a port is ignored) matches
/// one of `patterns`, the human flow's `ALLOWED_HOSTS`
/// ([`DEFAULT_ALLOWED_HOSTS`] unless configured). A pattern matches exactly
/// (ASCII case-insensitively), or, as `*.suffix`, any host with at least one
/// label before `.suffix` (nested subdomains included; `suffix` itself is
/// not matched). Ports on patterns are ignored too. An empty host matches
/// nothing.
pub fn allowed_host<I>(host: &str, patterns: I) -> bool
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    let host = strip_port(host);
    if host.is_empty() {
        return false;
    }
    patterns.into_iter().any(|p| {
        let p = p.as_ref();
        if let Some(suffix) = p.strip_prefix("*.") {
            let suffix = strip_port(suffix);
            if suffix.is_empty() {
                return false;
            }
            // host = <one or more chars> "." suffix
            let Some(cut) = host.len().checked_sub(suffix.len()) else {
                return false;
            };
            match (host.get(..cut), host.get(cut..)) {
                (Some(head), Some(tail)) => {
                    tail.eq_ignore_ascii_case(suffix)
                        && head.strip_suffix('.').is_some_and(|label| !label.is_empty())
                }
                _ => false,
            }
        } else {
            let p = strip_port(p);
            !p.is_empty() && host.eq_ignore_ascii_case(p)
        }
    })
}

/// [`allowed_host`] as the error the spec asks for: on a mismatch, fail
/// before calling any human callback.
///
/// # Errors
/// [`Error::InvalidCredential`] naming the rule when `host` is not allowed.
pub fn check_allowed_host<I>(host: &str, patterns: I) -> Result<(), Error>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    if allowed_host(host, patterns) {
        Ok(())
    } else {
        Err(Error::InvalidCredential {
            rule: "MONGODB-OIDC: host is not in ALLOWED_HOSTS (checked before the human callback)",
        })
    }
}

// ---------------------------------------------------------------------------
// Token cache
// ---------------------------------------------------------------------------

/// Which token a connection used: the cache's generation number when it was
/// read. Not secret; what compare-and-swap invalidation compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TokenId(u64);

/// One cached token (the spec's Client Cache, or a refresh token), in a
/// fixed buffer of `N` bytes ([`MAX_TOKEN_LEN`] by default). Zeroized when
/// replaced, invalidated or dropped; `Debug` never shows it.
///
/// Invalidation is compare-and-swap: [`TokenCache::invalidate`] clears the
/// entry only if it is still the token that failed, so a connection holding
/// a stale token cannot throw away a fresh one another connection just
/// fetched. Reads hand out a [`TokenId`] to keep with the connection (its
/// Connection Cache); [`TokenCache::invalidate_token`] compares the token
/// itself in constant time for callers that keep the string instead.
pub struct TokenCache<const N: usize = MAX_TOKEN_LEN> {
    buf: [u8; N],
    len: usize,
    present: bool,
    generation: u64,
}

impl<const N: usize> TokenCache<N> {
    /// The byte limit of this cache.
    pub const CAPACITY: usize = N;

    /// An empty cache.
    pub const fn new() -> Self {
        Self { buf: [0; N], len: 0, present: false, generation: 0 }
    }

    /// Whether a token is cached.
    pub fn is_present(&self) -> bool {
        self.present
    }

    /// The cached token and its id, if any.
    pub fn get(&self) -> Option<(&str, TokenId)> {
        if !self.present {
            return None;
        }
        let bytes = self.buf.get(..self.len)?;
        // Stored only from `&str` in `put`, so always UTF-8.
        let s = core::str::from_utf8(bytes).ok()?;
        Some((s, TokenId(self.generation)))
    }

    /// The id of the cached token, without touching the token.
    pub fn id(&self) -> Option<TokenId> {
        self.present.then_some(TokenId(self.generation))
    }

    /// Cache a fresh token (wiping the old one) and return its id.
    ///
    /// # Errors
    /// [`Error::Capacity`] if the token is longer than `N` bytes; the cache
    /// is then empty.
    pub fn put(&mut self, token: &str) -> Result<TokenId, Error> {
        self.wipe();
        let src = token.as_bytes();
        let Some(dst) = self.buf.get_mut(..src.len()) else {
            return Err(Error::Capacity { what: "OIDC token", limit: N });
        };
        dst.copy_from_slice(src);
        self.len = src.len();
        self.present = true;
        Ok(TokenId(self.generation))
    }

    /// Compare-and-swap invalidation: clear the entry only if it is still the
    /// token `used`. Returns whether it was cleared.
    pub fn invalidate(&mut self, used: TokenId) -> bool {
        if self.present && self.generation == used.0 {
            self.wipe();
            true
        } else {
            false
        }
    }

    /// Compare-and-swap invalidation by value (constant-time compare).
    /// Returns whether it was cleared.
    pub fn invalidate_token(&mut self, used: &str) -> bool {
        let same = self.get().is_some_and(|(t, _)| ct_eq(t.as_bytes(), used.as_bytes()));
        if same {
            self.wipe();
        }
        same
    }

    /// Clear unconditionally.
    pub fn clear(&mut self) {
        self.wipe();
    }

    /// Zero the buffer and move to a new generation, so no old id matches.
    fn wipe(&mut self) {
        self.buf.as_mut_slice().zeroize();
        self.len = 0;
        self.present = false;
        self.generation = self.generation.wrapping_add(1);
    }
}

impl<const N: usize> Default for TokenCache<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Drop for TokenCache<N> {
    fn drop(&mut self) {
        self.buf.as_mut_slice().zeroize();
    }
}

impl<const N: usize> zeroize::ZeroizeOnDrop for TokenCache<N> {}

impl<const N: usize> fmt::Debug for TokenCache<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("token", &if self.present { "<redacted>" } else { "<none>" })
            .field("generation", &self.generation)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_forms() {
        assert_eq!(strip_port("a.b:27017"), "a.b");
        assert_eq!(strip_port("[::1]:27017"), "::1");
        assert_eq!(strip_port("[::1]"), "::1");
        assert_eq!(strip_port("::1"), "::1");
        assert_eq!(strip_port("localhost."), "localhost");
    }

    #[test]
    fn put_after_wipe_has_fresh_id() {
        let mut c = TokenCache::<8>::new();
        let a = c.put("a");
        let b = c.put("b");
        assert_ne!(a, b);
        assert!(matches!(c.put("123456789"), Err(Error::Capacity { limit: 8, .. })));
        assert!(!c.is_present());
    }
}
