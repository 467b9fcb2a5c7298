//! The SCRAM server: verifies a client against stored credentials (salt,
//! iterations, StoredKey, ServerKey) and generates those credentials the way
//! MongoDB's `createUser` does. Verification needs no PBKDF2: a handful of
//! compression calls.
//!
//! States: [`Server::handle_client_first`] → [`ClientFirstReceived`] (the
//! caller looks the user up) → [`ExpectClientFinal`] → [`ServerSuccess`].

use heapless::{String, Vec};

use super::client::MAX_USERNAME_LEN;
use super::message::{self, MAX_MESSAGE_LEN, MAX_SALT_LEN};
use super::{Nonce, password_key};
use crate::crypto::{HmacKey, ScramHash, SecretKey, ct_eq, hash};
use crate::error::{Error, ScramMessage};

/// Capacity of the server-first-message we build:
/// `r=<combined nonce>,s=<base64 salt>,i=<iterations>`.
pub const MAX_SERVER_FIRST_LEN: usize =
    2 + message::MAX_NONCE_LEN + 3 + 4 * MAX_SALT_LEN.div_ceil(3) + 3 + 10;

/// What a server stores per user: never the password, and nothing that lets
/// a thief log in without cracking it (RFC 5802 section 3).
#[derive(Clone, Debug)]
pub struct StoredCredentials<H: ScramHash> {
    salt: Vec<u8, MAX_SALT_LEN>,
    iterations: u32,
    stored_key: SecretKey<H>,
    server_key: SecretKey<H>,
}

impl<H: ScramHash> StoredCredentials<H> {
    /// Derive stored credentials from a MongoDB password, as `createUser`
    /// does: the password prepared per mechanism (MD5 digest for SHA-1,
    /// SASLprep for SHA-256). `salt` should be [`ScramHash::SALT_LEN`] random
    /// bytes and `iterations` [`ScramHash::DEFAULT_ITERATIONS`] unless you
    /// have a reason.
    ///
    /// # Errors
    /// A password SASLprep rejects, a salt over [`MAX_SALT_LEN`] or empty, or
    /// fewer than 4096 iterations.
    pub fn generate(
        username: &str,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Error> {
        let key = password_key::<H>(username, password)?;
        Self::derive(&key, salt, iterations)
    }

    /// As [`generate`](Self::generate) from an already-prepared password
    /// (RFC 5802's generic SCRAM).
    ///
    /// # Errors
    /// As [`generate`](Self::generate).
    pub fn from_prepared_password(
        prepared: &[u8],
        salt: &[u8],
        iterations: u32,
    ) -> Result<Self, Error> {
        Self::derive(&HmacKey::new(prepared), salt, iterations)
    }

    fn derive(key: &HmacKey<H>, salt: &[u8], iterations: u32) -> Result<Self, Error> {
        if iterations < super::MIN_ITERATIONS {
            return Err(Error::IterationCountTooLow { iterations });
        }
        if salt.is_empty() {
            return Err(Error::InvalidCredential { rule: "salt must not be empty" });
        }
        let mut salted = key.pbkdf2(salt, iterations);
        let k = HmacKey::<H>::new(salted.as_ref());
        zeroize::Zeroize::zeroize(&mut salted);
        let mut client_key = k.mac(&[b"Client Key"]);
        let mut stored = hash::<H>(&[client_key.as_ref()]);
        zeroize::Zeroize::zeroize(&mut client_key);
        let mut server = k.mac(&[b"Server Key"]);
        // The digests are `Copy`: wipe the locals once the keys own copies.
        let (stored_key, server_key) =
            (SecretKey::from_output(stored), SecretKey::from_output(server));
        zeroize::Zeroize::zeroize(&mut stored);
        zeroize::Zeroize::zeroize(&mut server);
        Self::from_parts(salt, iterations, stored_key, server_key)
    }

    /// Assemble credentials read from a user store.
    ///
    /// # Errors
    /// [`Error::Capacity`] for a salt over [`MAX_SALT_LEN`].
    pub fn from_parts(
        salt: &[u8],
        iterations: u32,
        stored_key: SecretKey<H>,
        server_key: SecretKey<H>,
    ) -> Result<Self, Error> {
        let salt = Vec::from_slice(salt)
            .map_err(|_| Error::Capacity { what: "salt", limit: MAX_SALT_LEN })?;
        Ok(StoredCredentials { salt, iterations, stored_key, server_key })
    }

    /// Credentials for a user that does not exist, so that the conversation
    /// runs to the proof check and fails there, like a wrong password: the
    /// salt is derived from `secret` (a per-server random value) and the
    /// username, so repeated attempts see a stable salt. As
    /// [`decoy_in`](Self::decoy_in) with an empty database name and
    /// [`ScramHash::DEFAULT_ITERATIONS`].
    pub fn decoy(secret: &[u8], username: &str) -> Self {
        Self::decoy_in(&HmacKey::new(secret), "", username, H::DEFAULT_ITERATIONS)
    }

    /// Decoy credentials for `username` in database `db`, keyed by a server
    /// secret (`secret`, the HMAC key of a per-server random value): the salt
    /// ([`ScramHash::SALT_LEN`] bytes, as mongod's) and both keys are
    /// `HMAC(secret, label || mechanism || db || username)`, so they are
    /// stable per (mechanism, database, user), unrelated between the two
    /// mechanisms, and unpredictable without the secret. `iterations` should
    /// be what real users of the store have (mongod's defaults unless you
    /// configured otherwise), so the decoy's count gives nothing away.
    ///
    /// Costs the same on every call: three MACs over inputs of the caller's
    /// lengths, whatever the names hold.
    pub fn decoy_in(secret: &HmacKey<H>, db: &str, username: &str, iterations: u32) -> Self {
        let db_len = u32::try_from(db.len()).unwrap_or(u32::MAX).to_be_bytes();
        let mac = |label: &[u8]| {
            secret.mac(&[
                label,
                H::MECHANISM.as_bytes(),
                &db_len,
                db.as_bytes(),
                username.as_bytes(),
            ])
        };
        let mut salt_full = mac(b"mongoauth-decoy-salt\0");
        let salt = salt_full.as_ref().get(..H::SALT_LEN).unwrap_or(salt_full.as_ref());
        let salt = Vec::from_slice(salt).unwrap_or_default();
        zeroize::Zeroize::zeroize(&mut salt_full);
        let mut stored = mac(b"mongoauth-decoy-stored\0");
        let mut server = mac(b"mongoauth-decoy-server\0");
        let creds = StoredCredentials {
            salt,
            iterations,
            stored_key: SecretKey::from_output(stored),
            server_key: SecretKey::from_output(server),
        };
        zeroize::Zeroize::zeroize(&mut stored);
        zeroize::Zeroize::zeroize(&mut server);
        creds
    }

    /// Replace these credentials by `other` where `choice` is set, in
    /// constant time: the same instructions and memory accesses either way
    /// (the salt is copied over its whole capacity). A server uses it to
    /// pick a real user's credentials or a decoy's with no timing difference.
    pub fn conditional_assign(&mut self, other: &Self, choice: subtle::Choice) {
        use subtle::ConditionallySelectable;
        let mut salt = [0u8; MAX_SALT_LEN];
        for (i, s) in salt.iter_mut().enumerate() {
            let a = self.salt.get(i).copied().unwrap_or(0);
            let b = other.salt.get(i).copied().unwrap_or(0);
            *s = u8::conditional_select(&a, &b, choice);
        }
        let len =
            u64::conditional_select(&(self.salt.len() as u64), &(other.salt.len() as u64), choice);
        self.salt.clear();
        let _ = self.salt.extend_from_slice(salt.get(..len as usize).unwrap_or(&salt));
        self.iterations = u32::conditional_select(&self.iterations, &other.iterations, choice);
        self.stored_key.conditional_assign(&other.stored_key, choice);
        self.server_key.conditional_assign(&other.server_key, choice);
    }

    /// The salt.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }
    /// The iteration count.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }
    /// `H(ClientKey)`.
    pub fn stored_key(&self) -> &SecretKey<H> {
        &self.stored_key
    }
    /// `HMAC(SaltedPassword, "Server Key")`.
    pub fn server_key(&self) -> &SecretKey<H> {
        &self.server_key
    }
}

/// Entry point of the server side.
pub struct Server<H: ScramHash>(core::marker::PhantomData<H>);

impl<H: ScramHash> Server<H> {
    /// Parse a client-first-message: gs2 header `n,,` or `y,,`; a
    /// channel-binding request `p=` is [`Error::ChannelBindingNotSupported`].
    ///
    /// # Errors
    /// Malformed message, username over [`MAX_USERNAME_LEN`].
    pub fn handle_client_first(msg: &[u8]) -> Result<ClientFirstReceived<H>, Error> {
        let cf = message::parse_client_first(msg)?;
        let mut name = [0u8; MAX_MESSAGE_LEN];
        let username =
            message::unescape_username(cf.username_escaped, &mut name).ok_or(Error::Malformed {
                message: ScramMessage::ClientFirst,
                rule: "invalid username",
                offset: 5,
            })?;
        let username = String::try_from(username)
            .map_err(|_| Error::Capacity { what: "username", limit: MAX_USERNAME_LEN })?;
        let mut auth = Vec::new();
        auth.extend_from_slice(cf.bare).map_err(|_| Error::Capacity {
            what: "client-first-message",
            limit: MAX_MESSAGE_LEN,
        })?;
        let gs2_y = msg.first() == Some(&b'y');
        Ok(ClientFirstReceived {
            auth,
            username,
            nonce_len: cf.nonce.len(),
            // bare = `n=<user>,r=<nonce>[,ext]`
            nonce_end: 2 + cf.username_escaped.len() + 3 + cf.nonce.len(),
            gs2_y,
            _h: core::marker::PhantomData,
        })
    }
}

/// The client-first-message is parsed; the caller now looks up
/// [`username`](Self::username) and answers with its credentials (or a
/// [`StoredCredentials::decoy`]).
#[derive(Debug)]
pub struct ClientFirstReceived<H: ScramHash> {
    auth: Vec<u8, MAX_MESSAGE_LEN>,
    username: String<MAX_USERNAME_LEN>,
    nonce_len: usize,
    nonce_end: usize,
    gs2_y: bool,
    _h: core::marker::PhantomData<H>,
}

impl<H: ScramHash> ClientFirstReceived<H> {
    /// The username the client sent, unescaped.
    pub fn username(&self) -> &str {
        &self.username
    }

    fn client_nonce(&self) -> &[u8] {
        self.auth.get(self.nonce_end.saturating_sub(self.nonce_len)..self.nonce_end).unwrap_or(&[])
    }

    /// Build the server-first-message from the user's credentials and 24 to
    /// 48 random bytes for the server's part of the nonce.
    ///
    /// # Errors
    /// [`Error::InvalidNonce`] for too little or too much entropy;
    /// [`Error::Capacity`] if the message would exceed its limit.
    pub fn respond(
        self,
        credentials: &StoredCredentials<H>,
        entropy: &[u8],
    ) -> Result<ExpectClientFinal<H>, Error> {
        self.respond_with_nonce(credentials, &Nonce::from_random(entropy)?)
    }

    /// As [`respond`](Self::respond) with a given server nonce (to reproduce
    /// published vectors).
    ///
    /// # Errors
    /// [`Error::Capacity`] if the message would exceed its limit.
    pub fn respond_with_nonce(
        self,
        credentials: &StoredCredentials<H>,
        server_nonce: &Nonce,
    ) -> Result<ExpectClientFinal<H>, Error> {
        let cap = || Error::Capacity { what: "server-first-message", limit: MAX_MESSAGE_LEN };
        let mut auth = self.auth.clone();
        let bare_len = auth.len();
        let client_nonce = self.client_nonce();
        let mut first: Vec<u8, MAX_SERVER_FIRST_LEN> = Vec::new();
        let snonce = server_nonce.as_bytes();
        // Clients (ours included) refuse a combined nonce over MAX_NONCE_LEN:
        // never send one.
        if client_nonce.len() + snonce.len() > message::MAX_NONCE_LEN {
            return Err(Error::Capacity { what: "combined nonce", limit: message::MAX_NONCE_LEN });
        }
        let mut salt_b64 = [0u8; 4 * MAX_SALT_LEN.div_ceil(3)];
        let salt = message::encode_b64(&credentials.salt, &mut salt_b64).ok_or_else(cap)?;
        let mut digits = [0u8; 10];
        let iterations = fmt_u32(credentials.iterations, &mut digits);
        for part in [b"r=" as &[u8], client_nonce, snonce, b",s=", salt, b",i=", iterations] {
            first.extend_from_slice(part).map_err(|_| cap())?;
        }
        auth.push(b',').map_err(|_| cap())?;
        auth.extend_from_slice(&first).map_err(|_| cap())?;
        let combined_len = client_nonce.len() + snonce.len();
        Ok(ExpectClientFinal {
            auth,
            bare_len,
            combined_len,
            gs2_y: self.gs2_y,
            username: self.username,
            stored_key: credentials.stored_key.clone(),
            server_key: credentials.server_key.clone(),
        })
    }
}

fn fmt_u32(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or(&[])
}

/// The server-first-message is ready ([`message`](Self::message)); the
/// client-final-message is awaited.
#[derive(Debug)]
pub struct ExpectClientFinal<H: ScramHash> {
    /// client-first-message-bare `,` server-first-message
    auth: Vec<u8, MAX_MESSAGE_LEN>,
    bare_len: usize,
    combined_len: usize,
    gs2_y: bool,
    username: String<MAX_USERNAME_LEN>,
    stored_key: SecretKey<H>,
    server_key: SecretKey<H>,
}

impl<H: ScramHash> ExpectClientFinal<H> {
    /// The server-first-message to send.
    pub fn message(&self) -> &[u8] {
        self.auth.get(self.bare_len + 1..).unwrap_or(&[])
    }

    fn combined_nonce(&self) -> &[u8] {
        let m = self.message();
        m.get(2..2 + self.combined_len).unwrap_or(&[])
    }

    /// Verify the client's proof in constant time.
    ///
    /// # Errors
    /// [`Error::AuthenticationFailed`] for a wrong proof (answer
    /// `e=invalid-proof`, see [`server_error_value`]); malformed-message
    /// errors; a nonce or channel-binding mismatch.
    pub fn handle_client_final(self, msg: &[u8]) -> Result<ServerSuccess<H>, Error> {
        // `self` (StoredKey, ServerKey) is wiped when it drops at the end.
        self.verify(msg)
    }

    /// [`handle_client_final`](Self::handle_client_final) by reference, so
    /// the runtime machine can verify in place and then drop this state
    /// where it lies (wiping the keys there) instead of moving them out.
    pub(crate) fn verify(&self, msg: &[u8]) -> Result<ServerSuccess<H>, Error> {
        let cf = message::parse_client_final(msg)?;
        let expected_cb: &[u8] = if self.gs2_y { b"eSws" } else { b"biws" };
        if cf.channel_binding != expected_cb {
            return Err(Error::Malformed {
                message: ScramMessage::ClientFinal,
                rule: "channel binding `c=` does not repeat the gs2 header",
                offset: 2,
            });
        }
        if !ct_eq(cf.nonce, self.combined_nonce()) {
            return Err(Error::NonceMismatch);
        }
        let mut proof_buf = [0u8; 64];
        let proof = message::decode_b64(cf.proof_b64, &mut proof_buf)
            .filter(|p| p.len() == H::OUTPUT_LEN)
            .ok_or(Error::Malformed {
                message: ScramMessage::ClientFinal,
                rule: "proof must be base64 of one digest",
                offset: cf.without_proof.len() + 3,
            })?;
        let auth: [&[u8]; 3] = [&self.auth, b",", cf.without_proof];
        let mut client_key = HmacKey::<H>::new(self.stored_key.expose()).mac(&auth);
        for (k, p) in client_key.as_mut().iter_mut().zip(proof) {
            *k ^= p;
        }
        let mut candidate = hash::<H>(&[client_key.as_ref()]);
        zeroize::Zeroize::zeroize(&mut client_key);
        // For the right password the candidate is StoredKey itself.
        let ok = self.stored_key.ct_eq(candidate.as_ref());
        zeroize::Zeroize::zeroize(&mut candidate);
        if !ok {
            return Err(Error::AuthenticationFailed);
        }
        let signature = HmacKey::<H>::new(self.server_key.expose()).mac(&auth);
        let mut fin = Vec::new();
        let mut b64 = [0u8; 44];
        let cap = || Error::Capacity { what: "server-final-message", limit: 64 };
        let v = message::encode_b64(signature.as_ref(), &mut b64).ok_or_else(cap)?;
        fin.extend_from_slice(b"v=").map_err(|_| cap())?;
        fin.extend_from_slice(v).map_err(|_| cap())?;
        Ok(ServerSuccess { fin, username: self.username.clone(), _h: core::marker::PhantomData })
    }
}

/// The client proved it knows the password; send [`message`](Self::message)
/// so it can verify us in turn.
#[derive(Debug)]
pub struct ServerSuccess<H: ScramHash> {
    fin: Vec<u8, 64>,
    username: String<MAX_USERNAME_LEN>,
    _h: core::marker::PhantomData<H>,
}

impl<H: ScramHash> ServerSuccess<H> {
    /// The server-final-message `v=<ServerSignature>`.
    pub fn message(&self) -> &[u8] {
        &self.fin
    }
    /// Who authenticated.
    pub fn username(&self) -> &str {
        &self.username
    }
}

/// The RFC 5802 `server-error-value` to answer (`e=<value>`) for an error
/// raised while handling a client message.
pub fn server_error_value(err: &Error) -> &'static str {
    match err {
        Error::AuthenticationFailed => "invalid-proof",
        Error::ChannelBindingNotSupported => "channel-binding-not-supported",
        Error::MandatoryExtension => "extensions-not-supported",
        Error::Malformed { .. } | Error::NonceMismatch => "invalid-encoding",
        _ => "other-error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Sha256;

    /// Found by the `scram_client_first` fuzz target: a 230-byte client
    /// nonce made a server-first-message whose combined nonce (over
    /// `MAX_NONCE_LEN`) `parse_server_first` refuses.
    #[test]
    fn combined_nonce_over_the_limit_is_a_capacity_error() {
        let creds = StoredCredentials::<Sha256>::decoy(b"secret", "user");
        let snonce = Nonce::from_random(&[1; 24]).ok();
        let snonce = snonce.as_ref().map(Nonce::as_bytes).unwrap_or_default();
        let mut msg = heapless::Vec::<u8, 400>::new();
        let fits = message::MAX_NONCE_LEN - snonce.len();
        for n in [fits, fits + 1] {
            msg.clear();
            assert!(msg.extend_from_slice(b"n,,n=user,r=").is_ok());
            for _ in 0..n {
                assert!(msg.push(b'Y').is_ok());
            }
            let received = Server::<Sha256>::handle_client_first(&msg);
            let nonce = Nonce::from_random(&[1; 24]);
            let result = match (received, nonce) {
                (Ok(r), Ok(nonce)) => r.respond_with_nonce(&creds, &nonce),
                _ => panic!("setup"),
            };
            if n == fits {
                let sent = result.as_ref().map(|e| e.message()).unwrap_or_default();
                assert!(message::parse_server_first(sent).is_ok());
            } else {
                assert_eq!(
                    result.err(),
                    Some(Error::Capacity { what: "combined nonce", limit: message::MAX_NONCE_LEN })
                );
            }
        }
    }
}
