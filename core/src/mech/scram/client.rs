//! The SCRAM client: one type per expected message for Rust callers
//! ([`ExpectServerFirst`] → [`ExpectServerFinal`] → [`Authenticated`]), and a
//! runtime machine ([`ClientMachine`], [`AnyClient`]) that holds whichever
//! state is current and calls the very same methods, for the C ABI and the
//! `Authenticator`.

use heapless::Vec;

use super::cache::{CachedKeys, KeyStore, cache_tag};
use super::message::{self, MAX_SALT_LEN};
use super::{ClientConfig, Nonce, ScramKeys, password_key};
use crate::crypto::{HmacKey, ScramHash, SecretKey, ct_eq, hash};
use crate::error::Error;

/// Longest raw username (UTF-8 bytes) the client accepts. Escaped (`,` and
/// `=` take three bytes each) it must also fit in [`MAX_CLIENT_FIRST_LEN`].
pub const MAX_USERNAME_LEN: usize = 128;
/// Capacity of the stored client-first-message (`n,,n=<escaped user>,r=<nonce>`).
///
/// 256 bytes (before 0.2: 456, room for a [`MAX_USERNAME_LEN`] username made
/// only of `,` and `=`, each escaped to three bytes). Every client state
/// carries this buffer, and on a microcontroller the old size cost about
/// 0.6 KB of stack over a conversation. Any username of up to 128 bytes still
/// fits with up to 28 `,` or `=` in it (with the longest, 64-character nonce;
/// 44 with the usual 32-character one); a longer message is
/// [`Error::Capacity`], never cut.
pub const MAX_CLIENT_FIRST_LEN: usize = 256;
/// Capacity of the stored client-final-message (`c=biws,r=<nonce>,p=<proof>`):
/// a [`MAX_NONCE_LEN`](message::MAX_NONCE_LEN) nonce and a SHA-256 proof.
pub const MAX_CLIENT_FINAL_LEN: usize = 9 + message::MAX_NONCE_LEN + 3 + 44;

/// `Error::Capacity` for the client-final-message (cannot happen: the nonce
/// is checked against `MAX_NONCE_LEN` first).
#[cold]
fn final_too_long() -> Error {
    Error::Capacity { what: "client-final-message", limit: MAX_CLIENT_FINAL_LEN }
}

/// Where the client's key material comes from.
#[derive(Clone, Debug)]
enum KeySource<H: ScramHash> {
    /// A prepared password, reduced to its HMAC pad states.
    Password(HmacKey<H>),
    /// Keys provisioned earlier (no password on the device).
    Keys(ScramKeys<H>),
}

/// The first client state: the client-first-message is ready to send
/// ([`message`](Self::message)) and the server-first-message is awaited.
#[derive(Clone, Debug)]
pub struct ExpectServerFirst<H: ScramHash> {
    first: Vec<u8, MAX_CLIENT_FIRST_LEN>,
    nonce_len: usize,
    keys: KeySource<H>,
    config: ClientConfig,
}

/// The SCRAM client, generic over [`ScramHash`]; its constructors are the
/// entry points of the typestate API.
pub struct Client<H: ScramHash>(core::marker::PhantomData<H>);

impl<H: ScramHash> Client<H> {
    /// Start a MongoDB login: prepares the password the way the mechanism
    /// requires (SCRAM-SHA-1: `hex(MD5(user:mongo:password))`; SCRAM-SHA-256:
    /// SASLprep) and builds the client-first-message. The username is sent
    /// raw (escaped, never SASLprep'd).
    ///
    /// # Errors
    /// An empty or over-long username, a password SASLprep rejects, or a
    /// nonce that breaks the rules.
    pub fn start(
        username: &str,
        password: &str,
        nonce: &Nonce,
        config: &ClientConfig,
    ) -> Result<ExpectServerFirst<H>, Error> {
        let key = password_key::<H>(username, password)?;
        Self::build(username, KeySource::Password(key), nonce, config)
    }

    /// Start with a password that is already the `Hi()` input (RFC 5802's
    /// generic SCRAM, e.g. for the RFC test vectors). MongoDB logins use
    /// [`start`](Self::start).
    ///
    /// # Errors
    /// As [`start`](Self::start), minus password preparation.
    pub fn start_with_prepared_password(
        username: &str,
        prepared: &[u8],
        nonce: &Nonce,
        config: &ClientConfig,
    ) -> Result<ExpectServerFirst<H>, Error> {
        Self::build(username, KeySource::Password(HmacKey::new(prepared)), nonce, config)
    }

    /// Start with keys exported after an earlier login ([`Authenticated::keys`]),
    /// so a device can be provisioned without its password. The server must
    /// still use the same salt and iteration count.
    ///
    /// # Errors
    /// As [`start`](Self::start); later [`Error::KeysDoNotMatchServer`].
    pub fn start_with_keys(
        username: &str,
        keys: &ScramKeys<H>,
        nonce: &Nonce,
        config: &ClientConfig,
    ) -> Result<ExpectServerFirst<H>, Error> {
        Self::build(username, KeySource::Keys(keys.clone()), nonce, config)
    }

    fn build(
        username: &str,
        keys: KeySource<H>,
        nonce: &Nonce,
        config: &ClientConfig,
    ) -> Result<ExpectServerFirst<H>, Error> {
        if username.is_empty() {
            return Err(Error::InvalidCredential { rule: "SCRAM username must not be empty" });
        }
        if username.len() > MAX_USERNAME_LEN {
            return Err(Error::Capacity { what: "username", limit: MAX_USERNAME_LEN });
        }
        let mut s = ExpectServerFirst {
            first: Vec::new(),
            nonce_len: nonce.as_bytes().len(),
            keys,
            config: *config,
        };
        let first = &mut s.first;
        let fits = first.extend_from_slice(b"n,,n=").is_ok()
            && message::escape_username(username, first)
            && first.extend_from_slice(b",r=").is_ok()
            && first.extend_from_slice(nonce.as_bytes()).is_ok();
        if !fits {
            return Err(Error::Capacity {
                what: "client-first-message",
                limit: MAX_CLIENT_FIRST_LEN,
            });
        }
        Ok(s)
    }
}

impl<H: ScramHash> ExpectServerFirst<H> {
    /// The client-first-message to send (the `saslStart` payload).
    pub fn message(&self) -> &[u8] {
        &self.first
    }

    fn nonce(&self) -> &[u8] {
        let len = self.first.len();
        self.first.get(len.saturating_sub(self.nonce_len)..).unwrap_or(&[])
    }

    /// Handle the server-first-message: check it, derive the keys (one
    /// PBKDF2 block) and build the client-final-message.
    ///
    /// # Errors
    /// Malformed message, nonce that does not extend ours, iteration count
    /// outside `4096..=max_iterations`, an `e=` from the server.
    pub fn handle_server_first(self, msg: &[u8]) -> Result<ExpectServerFinal<H>, Error> {
        self.handle(msg, None)
    }

    /// As [`handle_server_first`](Self::handle_server_first), looking the
    /// derived keys up in (and adding them to) a key cache first.
    ///
    /// # Errors
    /// As [`handle_server_first`](Self::handle_server_first).
    pub fn handle_server_first_cached(
        self,
        msg: &[u8],
        cache: &dyn KeyStore,
    ) -> Result<ExpectServerFinal<H>, Error> {
        self.handle(msg, Some(cache))
    }

    pub(crate) fn handle(
        self,
        msg: &[u8],
        cache: Option<&dyn KeyStore>,
    ) -> Result<ExpectServerFinal<H>, Error> {
        let mut salt_buf = [0u8; MAX_SALT_LEN];
        let (sf, salt) = message::parse_server_first_salt(msg, &mut salt_buf)?;
        let ours = self.nonce();
        let theirs = sf.nonce.get(..ours.len());
        if sf.nonce.len() <= ours.len() || !theirs.is_some_and(|t| ct_eq(t, ours)) {
            return Err(Error::NonceMismatch);
        }
        if sf.iterations < super::MIN_ITERATIONS {
            return Err(Error::IterationCountTooLow { iterations: sf.iterations });
        }
        if sf.iterations > self.config.max_iterations {
            return Err(Error::IterationCountTooHigh {
                iterations: sf.iterations,
                max: self.config.max_iterations,
            });
        }
        let ExpectServerFirst { first, keys, .. } = self;
        let keys = match keys {
            KeySource::Keys(k) => {
                if k.salt() != salt || k.iterations != sf.iterations {
                    return Err(Error::KeysDoNotMatchServer);
                }
                k
            }
            KeySource::Password(pw) => {
                let keys = match cache {
                    None => salted_keys(&pw, salt, sf.iterations),
                    Some(cache) => cached_keys(&pw, salt, sf.iterations, cache),
                };
                // `salt` came out of a MAX_SALT_LEN buffer, so keys are made.
                keys.ok_or(Error::Capacity { what: "salt", limit: MAX_SALT_LEN })?
            }
        };
        let bare = first.get(3..).unwrap_or(&[]);
        let mut next = ExpectServerFinal {
            fin: Vec::new(),
            server_signature: SecretKey::from_output(H::Output::default()),
            keys,
        };
        if !finish_client_final(&mut next, bare, msg, sf.nonce) {
            return Err(final_too_long());
        }
        Ok(next)
    }
}

/// Write the client-final-message and the expected server signature into
/// `next` (whose keys are set): RFC 5802's AuthMessage, ClientProof and
/// ServerSignature; `false` if the message does not fit. Out of line so its
/// digests are not in the caller's frame.
#[inline(never)]
fn finish_client_final<H: ScramHash>(
    next: &mut ExpectServerFinal<H>,
    bare: &[u8],
    server_first: &[u8],
    nonce: &[u8],
) -> bool {
    // client-final-message-without-proof, then the AuthMessage.
    let fin = &mut next.fin;
    if fin.extend_from_slice(b"c=biws,r=").is_err() || fin.extend_from_slice(nonce).is_err() {
        return false;
    }
    let auth: [&[u8]; 5] = [bare, b",", server_first, b",", fin];

    let keys = &next.keys;
    let stored_key = hash::<H>(&[keys.client_key.expose()]);
    let mut proof = HmacKey::<H>::new(stored_key.as_ref()).mac(&auth);
    for (p, k) in proof.as_mut().iter_mut().zip(keys.client_key.expose()) {
        *p ^= k;
    }
    next.server_signature =
        SecretKey::from_output(HmacKey::<H>::new(keys.server_key.expose()).mac(&auth));

    let mut b64 = [0u8; 44];
    let encoded = message::encode_b64(proof.as_ref(), &mut b64);
    zeroize::Zeroize::zeroize(&mut proof);
    let fin = &mut next.fin;
    encoded
        .is_some_and(|p| fin.extend_from_slice(b",p=").is_ok() && fin.extend_from_slice(p).is_ok())
}

/// SaltedPassword → (ClientKey, ServerKey) through a key cache: the cache
/// tag (one more HMAC) is computed only here, when a cache is given. Out of
/// line, like [`salted_keys`], so that a build that never passes a cache
/// drops it.
#[inline(never)]
fn cached_keys<H: ScramHash>(
    pw: &HmacKey<H>,
    salt: &[u8],
    iterations: u32,
    cache: &dyn KeyStore,
) -> Option<ScramKeys<H>> {
    let tag = cache_tag(pw, salt, iterations);
    if let Some(hit) = cache.lookup(&tag)
        && let (Some(ck), Some(sk)) =
            (SecretKey::from_slice(hit.client_key()), SecretKey::from_slice(hit.server_key()))
    {
        return ScramKeys::from_parts(salt, iterations, ck, sk).ok();
    }
    let keys = salted_keys(pw, salt, iterations)?;
    cache.store(&tag, &CachedKeys::new(keys.client_key.expose(), keys.server_key.expose()));
    Some(keys)
}

/// SaltedPassword → (ClientKey, ServerKey): PBKDF2 and two HMACs; `None`
/// only for a salt over [`MAX_SALT_LEN`]. Out of line so that the PBKDF2
/// frames are not part of the caller's.
#[inline(never)]
fn salted_keys<H: ScramHash>(
    pw: &HmacKey<H>,
    salt: &[u8],
    iterations: u32,
) -> Option<ScramKeys<H>> {
    let mut salted = pw.pbkdf2(salt, iterations);
    let k = HmacKey::<H>::new(salted.as_ref());
    zeroize::Zeroize::zeroize(&mut salted);
    let ck = SecretKey::from_output(k.mac(&[b"Client Key"]));
    let sk = SecretKey::from_output(k.mac(&[b"Server Key"]));
    ScramKeys::from_parts(salt, iterations, ck, sk).ok()
}

/// The second client state: the client-final-message is ready to send and
/// the server-final-message is awaited.
#[derive(Clone, Debug)]
pub struct ExpectServerFinal<H: ScramHash> {
    fin: Vec<u8, MAX_CLIENT_FINAL_LEN>,
    server_signature: SecretKey<H>,
    keys: ScramKeys<H>,
}

impl<H: ScramHash> ExpectServerFinal<H> {
    /// The client-final-message to send (the `saslContinue` payload).
    pub fn message(&self) -> &[u8] {
        &self.fin
    }

    /// Verify the server-final-message in constant time. Only an `Ok` here
    /// means the server proved it knows the password.
    ///
    /// # Errors
    /// [`Error::ServerError`] for `e=`, [`Error::ServerSignatureMismatch`],
    /// or a malformed message.
    pub fn handle_server_final(self, msg: &[u8]) -> Result<Authenticated<H>, Error> {
        let mut buf = [0u8; MAX_SALT_LEN];
        let (_, sig) = message::parse_server_final_sig(msg, &mut buf)?;
        if !self.server_signature.ct_eq(sig) {
            return Err(Error::ServerSignatureMismatch);
        }
        Ok(Authenticated { keys: self.keys })
    }
}

/// The final client state: the server's signature verified.
#[derive(Clone, Debug)]
pub struct Authenticated<H: ScramHash> {
    keys: ScramKeys<H>,
}

impl<H: ScramHash> Authenticated<H> {
    /// The derived keys with their salt and iteration count, for
    /// provisioning ([`Client::start_with_keys`]) or an application cache.
    pub fn keys(&self) -> &ScramKeys<H> {
        &self.keys
    }
}

/// What the runtime client wants next.
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// Send these bytes as the next payload.
    Send(&'a [u8]),
    /// The server is verified; the conversation is over.
    Done,
}

#[derive(Clone, Debug)]
enum State<H: ScramHash> {
    First(ExpectServerFirst<H>),
    Final(ExpectServerFinal<H>),
    Done(Authenticated<H>),
    Failed,
}

/// The runtime SCRAM client: one value that moves through the states above,
/// for callers that cannot carry a different type per step (the C ABI, the
/// `Authenticator`). It calls exactly the typestate methods.
#[derive(Clone, Debug)]
pub struct ClientMachine<H: ScramHash> {
    state: State<H>,
}

impl<H: ScramHash> ClientMachine<H> {
    /// Wrap a started client.
    pub fn new(first: ExpectServerFirst<H>) -> Self {
        ClientMachine { state: State::First(first) }
    }

    /// The message the client wants sent now, if any.
    pub fn message(&self) -> Option<&[u8]> {
        match &self.state {
            State::First(s) => Some(s.message()),
            State::Final(s) => Some(s.message()),
            State::Done(_) | State::Failed => None,
        }
    }

    /// Feed the server's next payload. After an error the machine is failed
    /// and refuses further input.
    ///
    /// # Errors
    /// Whatever the current state's handler returns, or
    /// [`Error::UnexpectedStep`] once done or failed.
    pub fn step(&mut self, input: &[u8], cache: Option<&dyn KeyStore>) -> Result<Step<'_>, Error> {
        let next = match core::mem::replace(&mut self.state, State::Failed) {
            State::First(s) => State::Final(s.handle(input, cache)?),
            State::Final(s) => State::Done(s.handle_server_final(input)?),
            State::Done(d) => {
                self.state = State::Done(d);
                return Err(Error::UnexpectedStep { expected: "nothing (already authenticated)" });
            }
            State::Failed => {
                return Err(Error::UnexpectedStep { expected: "nothing (conversation failed)" });
            }
        };
        self.state = next;
        Ok(match &self.state {
            State::Final(s) => Step::Send(s.message()),
            _ => Step::Done,
        })
    }

    /// Whether the server has been verified.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// The keys, once authenticated.
    pub fn keys(&self) -> Option<&ScramKeys<H>> {
        match &self.state {
            State::Done(d) => Some(d.keys()),
            _ => None,
        }
    }
}

/// A runtime client over either hash, chosen at run time (negotiation, C).
#[derive(Clone, Debug)]
pub enum AnyClient {
    /// SCRAM-SHA-1.
    #[cfg(feature = "sha1")]
    Sha1(ClientMachine<crate::crypto::Sha1>),
    /// SCRAM-SHA-256.
    Sha256(ClientMachine<crate::crypto::Sha256>),
}

impl AnyClient {
    /// The mechanism name for `saslStart`.
    pub fn mechanism(&self) -> &'static str {
        match self {
            #[cfg(feature = "sha1")]
            Self::Sha1(_) => crate::crypto::Sha1::MECHANISM,
            Self::Sha256(_) => crate::crypto::Sha256::MECHANISM,
        }
    }
    /// See [`ClientMachine::message`].
    pub fn message(&self) -> Option<&[u8]> {
        match self {
            #[cfg(feature = "sha1")]
            Self::Sha1(m) => m.message(),
            Self::Sha256(m) => m.message(),
        }
    }
    /// See [`ClientMachine::step`].
    ///
    /// # Errors
    /// As [`ClientMachine::step`].
    pub fn step(&mut self, input: &[u8], cache: Option<&dyn KeyStore>) -> Result<Step<'_>, Error> {
        match self {
            #[cfg(feature = "sha1")]
            Self::Sha1(m) => m.step(input, cache),
            Self::Sha256(m) => m.step(input, cache),
        }
    }
    /// See [`ClientMachine::is_authenticated`].
    pub fn is_authenticated(&self) -> bool {
        match self {
            #[cfg(feature = "sha1")]
            Self::Sha1(m) => m.is_authenticated(),
            Self::Sha256(m) => m.is_authenticated(),
        }
    }
}
