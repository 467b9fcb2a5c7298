//! The runtime SCRAM server: one value that moves through the server
//! typestates ([`Server::handle_client_first`] → [`ClientFirstReceived`] →
//! [`ExpectClientFinal`] → [`ServerSuccess`]) for callers that cannot carry a
//! different type per step: the C ABI and language bindings. Like
//! [`ClientMachine`](super::ClientMachine) it adds no protocol logic of its
//! own; it calls exactly the typestate methods and remembers the `e=` answer
//! after a failure.

use heapless::{String, Vec};

use super::client::MAX_USERNAME_LEN;
use super::server::{
    ClientFirstReceived, ExpectClientFinal, Server, ServerSuccess, StoredCredentials,
    server_error_value,
};
use super::{Nonce, ScramHash};
use crate::error::Error;

/// Room for `e=<server-error-value>` (the longest value is 29 bytes).
const MAX_ERROR_MESSAGE_LEN: usize = 40;

#[derive(Debug)]
enum State<H: ScramHash> {
    ExpectClientFirst,
    ClientFirstReceived(ClientFirstReceived<H>),
    ExpectClientFinal(ExpectClientFinal<H>),
    Done(ServerSuccess<H>),
    /// The conversation failed; the `e=` message to send, if any.
    Failed(Vec<u8, MAX_ERROR_MESSAGE_LEN>),
    /// Zeros over the whole payload of the enum, written (volatile) when a
    /// conversation ends: a move into the enum may leave bytes (a key, or
    /// uninitialised bytes carried over from a stack frame) at offsets that
    /// dropping the old state does not reach. Defence in depth: the memory
    /// scan test passes without it on today's compiler. Never observed from
    /// outside.
    Scrub([u64; SCRUB_WORDS]),
}

/// Words that cover every other state's payload wherever the compiler puts
/// it (the largest state, SHA-256's, plus room for the tag and alignment;
/// every state is 8-aligned, so the words start where they do). Written as
/// words: a fraction of the cost of byte writes.
const SCRUB_WORDS: usize = {
    use super::Sha256;
    let a = core::mem::size_of::<ClientFirstReceived<Sha256>>();
    let b = core::mem::size_of::<ExpectClientFinal<Sha256>>();
    let c = core::mem::size_of::<ServerSuccess<Sha256>>();
    let ab = if a > b { a } else { b };
    ((if ab > c { ab } else { c }) + 16).div_ceil(8)
};

/// The runtime SCRAM server over one hash.
///
/// Secrets: StoredKey and ServerKey are held only while the
/// client-final-message is awaited; once it is handled (either way), or on
/// [`wipe`](Self::wipe) or drop, they are overwritten with zeros in this
/// object's memory (tested by scanning the object's bytes).
#[derive(Debug)]
pub struct ServerMachine<H: ScramHash> {
    state: State<H>,
    /// Kept from the client-first-message (the later typestates do not
    /// expose it until success).
    username: String<MAX_USERNAME_LEN>,
}

impl<H: ScramHash> Drop for ServerMachine<H> {
    fn drop(&mut self) {
        self.scrub();
    }
}

impl<H: ScramHash> Default for ServerMachine<H> {
    fn default() -> Self {
        Self::new()
    }
}

fn error_message(err: &Error) -> Vec<u8, MAX_ERROR_MESSAGE_LEN> {
    let mut v = Vec::new();
    // Cannot fail: every server-error-value fits (checked by a test).
    let _ = v.extend_from_slice(b"e=");
    let _ = v.extend_from_slice(server_error_value(err).as_bytes());
    v
}

impl<H: ScramHash> ServerMachine<H> {
    /// A server waiting for a client-first-message.
    pub fn new() -> Self {
        ServerMachine { state: State::ExpectClientFirst, username: String::new() }
    }

    /// Parse the client-first-message ([`Server::handle_client_first`]) and
    /// return the username to look up. After an error the machine is failed
    /// and [`message`](Self::message) holds the `e=` answer.
    ///
    /// # Errors
    /// Whatever the typestate handler returns, or [`Error::UnexpectedStep`]
    /// if the client-first-message was already handled.
    pub fn handle_client_first(&mut self, msg: &[u8]) -> Result<&str, Error> {
        if !matches!(self.state, State::ExpectClientFirst) {
            return Err(self.unexpected());
        }
        match Server::<H>::handle_client_first(msg) {
            Ok(received) => {
                self.username.clear();
                // Cannot fail: both hold MAX_USERNAME_LEN bytes.
                let _ = self.username.push_str(received.username());
                self.state = State::ClientFirstReceived(received);
                Ok(&self.username)
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// The username the client sent, once the client-first-message is handled.
    pub fn username(&self) -> Option<&str> {
        match &self.state {
            State::ClientFirstReceived(_) | State::ExpectClientFinal(_) | State::Done(_) => {
                Some(&self.username)
            }
            State::ExpectClientFirst | State::Failed(_) | State::Scrub(_) => None,
        }
    }

    /// Answer with the user's credentials (or a [`StoredCredentials::decoy`]
    /// for an unknown user) and 24 to 48 random bytes for the server nonce;
    /// the server-first-message is then [`message`](Self::message).
    ///
    /// # Errors
    /// [`Error::InvalidNonce`] for bad entropy (the state is kept, so the
    /// call can be repeated); [`Error::UnexpectedStep`] out of order.
    pub fn respond(
        &mut self,
        credentials: &StoredCredentials<H>,
        entropy: &[u8],
    ) -> Result<&[u8], Error> {
        let nonce = Nonce::from_random(entropy)?;
        self.respond_with_nonce(credentials, &nonce)
    }

    /// As [`respond`](Self::respond) with a given server nonce (to reproduce
    /// published vectors).
    ///
    /// # Errors
    /// As [`respond`](Self::respond).
    pub fn respond_with_nonce(
        &mut self,
        credentials: &StoredCredentials<H>,
        nonce: &Nonce,
    ) -> Result<&[u8], Error> {
        if !matches!(self.state, State::ClientFirstReceived(_)) {
            return Err(self.unexpected());
        }
        let State::ClientFirstReceived(received) =
            core::mem::replace(&mut self.state, State::Failed(Vec::new()))
        else {
            return Err(self.unexpected());
        };
        match received.respond_with_nonce(credentials, nonce) {
            Ok(next) => {
                self.state = State::ExpectClientFinal(next);
                Ok(self.message().unwrap_or(&[]))
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// Verify the client-final-message ([`ExpectClientFinal::handle_client_final`]).
    /// On success [`message`](Self::message) is the server-final-message
    /// `v=...`; on failure it is the `e=` answer.
    ///
    /// # Errors
    /// [`Error::AuthenticationFailed`] for a wrong proof, malformed-message
    /// and nonce errors, [`Error::UnexpectedStep`] out of order.
    pub fn handle_client_final(&mut self, msg: &[u8]) -> Result<&[u8], Error> {
        // Verified in place: the state holding StoredKey and ServerKey is
        // never moved out, and the assignment below drops it where it lies,
        // which wipes both keys in this object's memory (moving it out would
        // leave a stale copy behind in the enum's bytes).
        let result = match &self.state {
            State::ExpectClientFinal(expect) => expect.verify(msg),
            _ => return Err(self.unexpected()),
        };
        match result {
            Ok(done) => {
                self.scrub();
                self.state = State::Done(done);
                Ok(self.message().unwrap_or(&[]))
            }
            Err(e) => Err(self.fail(e)),
        }
    }

    /// End the conversation now and wipe what it holds (the keys while a
    /// client-final-message is awaited): the machine is then failed, with
    /// nothing to send. Dropping the machine wipes the same way.
    pub fn wipe(&mut self) {
        self.scrub();
        self.state = State::Failed(Vec::new());
        self.username.clear();
    }

    /// The message to send now: the server-first-message, the
    /// server-final-message, or after a failure `e=<server-error-value>`.
    pub fn message(&self) -> Option<&[u8]> {
        match &self.state {
            State::ExpectClientFinal(s) => Some(s.message()),
            State::Done(s) => Some(s.message()),
            State::Failed(e) if !e.is_empty() => Some(e),
            _ => None,
        }
    }

    /// Whether the client proved it knows the password.
    pub fn is_authenticated(&self) -> bool {
        matches!(self.state, State::Done(_))
    }

    /// Whether the conversation failed.
    pub fn is_failed(&self) -> bool {
        matches!(self.state, State::Failed(_))
    }

    fn fail(&mut self, e: Error) -> Error {
        self.scrub();
        self.state = State::Failed(error_message(&e));
        e
    }

    /// Drop the state in place (which wipes its keys), then overwrite the
    /// enum's whole storage with zeros through volatile writes, so no copy
    /// of a key left by an earlier move survives anywhere in it.
    fn scrub(&mut self) {
        self.state = State::Scrub([0; SCRUB_WORDS]);
        if let State::Scrub(bytes) = &mut self.state {
            zeroize::Zeroize::zeroize(bytes);
        }
    }

    fn unexpected(&self) -> Error {
        Error::UnexpectedStep {
            expected: match self.state {
                State::ExpectClientFirst => "the client-first-message",
                State::ClientFirstReceived(_) => "the user's credentials (respond)",
                State::ExpectClientFinal(_) => "the client-final-message",
                State::Done(_) => "nothing (already authenticated)",
                State::Failed(_) | State::Scrub(_) => "nothing (conversation failed)",
            },
        }
    }
}

/// Stored credentials for either hash, chosen at run time.
#[derive(Clone, Debug)]
pub enum AnyStoredCredentials {
    /// SCRAM-SHA-1.
    #[cfg(feature = "sha1")]
    Sha1(StoredCredentials<crate::crypto::Sha1>),
    /// SCRAM-SHA-256.
    Sha256(StoredCredentials<crate::crypto::Sha256>),
}

impl AnyStoredCredentials {
    /// [`StoredCredentials::decoy_in`] for `mechanism` (a SCRAM one, else
    /// `None`), keyed by `secret` (a per-server random value).
    pub fn decoy(
        mechanism: crate::mech::Mechanism,
        secret: &[u8],
        db: &str,
        username: &str,
        iterations: u32,
    ) -> Option<Self> {
        use crate::crypto::HmacKey;
        match mechanism {
            #[cfg(feature = "sha1")]
            crate::mech::Mechanism::ScramSha1 => Some(Self::Sha1(StoredCredentials::decoy_in(
                &HmacKey::new(secret),
                db,
                username,
                iterations,
            ))),
            crate::mech::Mechanism::ScramSha256 => Some(Self::Sha256(StoredCredentials::decoy_in(
                &HmacKey::new(secret),
                db,
                username,
                iterations,
            ))),
            _ => None,
        }
    }

    /// [`StoredCredentials::conditional_assign`]: take `other` where `choice`
    /// is set, in constant time. Credentials of different mechanisms are
    /// left as they are.
    pub fn conditional_assign(&mut self, other: &Self, choice: subtle::Choice) {
        match (self, other) {
            #[cfg(feature = "sha1")]
            (Self::Sha1(a), Self::Sha1(b)) => a.conditional_assign(b, choice),
            (Self::Sha256(a), Self::Sha256(b)) => a.conditional_assign(b, choice),
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    /// The mechanism name the credentials are for.
    pub fn mechanism(&self) -> &'static str {
        match self {
            #[cfg(feature = "sha1")]
            Self::Sha1(_) => <crate::crypto::Sha1 as ScramHash>::MECHANISM,
            Self::Sha256(_) => <crate::crypto::Sha256 as ScramHash>::MECHANISM,
        }
    }
}

/// A runtime server over either hash, chosen at run time (the C ABI).
#[derive(Debug)]
pub enum AnyServer {
    /// SCRAM-SHA-1.
    #[cfg(feature = "sha1")]
    Sha1(ServerMachine<crate::crypto::Sha1>),
    /// SCRAM-SHA-256.
    Sha256(ServerMachine<crate::crypto::Sha256>),
}

macro_rules! each {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            #[cfg(feature = "sha1")]
            AnyServer::Sha1($m) => $e,
            AnyServer::Sha256($m) => $e,
        }
    };
}

impl AnyServer {
    /// The mechanism name.
    pub fn mechanism(&self) -> &'static str {
        match self {
            #[cfg(feature = "sha1")]
            Self::Sha1(_) => <crate::crypto::Sha1 as ScramHash>::MECHANISM,
            Self::Sha256(_) => <crate::crypto::Sha256 as ScramHash>::MECHANISM,
        }
    }
    /// See [`ServerMachine::handle_client_first`].
    ///
    /// # Errors
    /// As [`ServerMachine::handle_client_first`].
    pub fn handle_client_first(&mut self, msg: &[u8]) -> Result<&str, Error> {
        each!(self, m => m.handle_client_first(msg))
    }
    /// See [`ServerMachine::username`].
    pub fn username(&self) -> Option<&str> {
        each!(self, m => m.username())
    }
    /// See [`ServerMachine::respond`].
    ///
    /// # Errors
    /// As [`ServerMachine::respond`], and [`Error::InvalidCredential`] for
    /// credentials of another mechanism (the state is kept).
    pub fn respond(
        &mut self,
        credentials: &AnyStoredCredentials,
        entropy: &[u8],
    ) -> Result<&[u8], Error> {
        const OTHER: Error =
            Error::InvalidCredential { rule: "credentials are for another SCRAM mechanism" };
        match (self, credentials) {
            #[cfg(feature = "sha1")]
            (AnyServer::Sha1(m), AnyStoredCredentials::Sha1(c)) => m.respond(c, entropy),
            (AnyServer::Sha256(m), AnyStoredCredentials::Sha256(c)) => m.respond(c, entropy),
            #[allow(unreachable_patterns)]
            _ => Err(OTHER),
        }
    }
    /// See [`ServerMachine::handle_client_final`].
    ///
    /// # Errors
    /// As [`ServerMachine::handle_client_final`].
    pub fn handle_client_final(&mut self, msg: &[u8]) -> Result<&[u8], Error> {
        each!(self, m => m.handle_client_final(msg))
    }
    /// See [`ServerMachine::message`].
    pub fn message(&self) -> Option<&[u8]> {
        each!(self, m => m.message())
    }
    /// See [`ServerMachine::is_authenticated`].
    pub fn is_authenticated(&self) -> bool {
        each!(self, m => m.is_authenticated())
    }
    /// See [`ServerMachine::is_failed`].
    pub fn is_failed(&self) -> bool {
        each!(self, m => m.is_failed())
    }
    /// See [`ServerMachine::wipe`].
    pub fn wipe(&mut self) {
        each!(self, m => m.wipe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mech::scram::{Client, ClientConfig, ClientMachine, Sha256, Step};

    #[test]
    fn every_error_message_fits() {
        for e in [
            Error::AuthenticationFailed,
            Error::ChannelBindingNotSupported,
            Error::MandatoryExtension,
            Error::NonceMismatch,
            Error::KeysDoNotMatchServer,
        ] {
            assert_eq!(&error_message(&e)[2..], server_error_value(&e).as_bytes());
        }
    }

    fn run(password: &str) -> (ClientMachine<Sha256>, ServerMachine<Sha256>, Result<(), Error>) {
        let creds = StoredCredentials::<Sha256>::generate("user", "pencil", &[9u8; 28], 4096)
            .expect("credentials");
        let nonce = Nonce::from_random(&[1u8; 24]).expect("nonce");
        let first = Client::<Sha256>::start("user", password, &nonce, &ClientConfig::default())
            .expect("start");
        let mut client = ClientMachine::new(first);
        let mut server = ServerMachine::<Sha256>::new();
        let cf = client.message().expect("first").to_vec_for_test();
        assert_eq!(server.handle_client_first(&cf), Ok("user"));
        let sf = server.respond(&creds, &[2u8; 24]).expect("respond").to_vec_for_test();
        let Ok(Step::Send(fin)) = client.step(&sf, None) else { panic!("client step") };
        let fin = fin.to_vec_for_test();
        let r = server.handle_client_final(&fin).map(|m| m.to_vec_for_test());
        match r {
            Ok(sfin) => {
                assert_eq!(client.step(&sfin, None), Ok(Step::Done));
                (client, server, Ok(()))
            }
            Err(e) => (client, server, Err(e)),
        }
    }

    trait ToVec {
        fn to_vec_for_test(&self) -> heapless::Vec<u8, 1024>;
    }
    impl ToVec for [u8] {
        fn to_vec_for_test(&self) -> heapless::Vec<u8, 1024> {
            heapless::Vec::from_slice(self).expect("fits")
        }
    }

    #[test]
    #[cfg_attr(miri, ignore = "4 PBKDF2s of 4096 rounds (the client minimum): 20+ min in Miri")]
    fn round_trip_and_wrong_password() {
        let (c, s, r) = run("pencil");
        assert_eq!(r, Ok(()));
        assert!(c.is_authenticated() && s.is_authenticated());
        let (_, s, r) = run("pencil!");
        assert_eq!(r, Err(Error::AuthenticationFailed));
        assert_eq!(s.message(), Some(&b"e=invalid-proof"[..]));
        assert!(s.is_failed());
    }

    #[test]
    #[cfg_attr(miri, ignore = "a PBKDF2 of 4096 rounds (generate's minimum): 5+ min in Miri")]
    #[cfg(feature = "sha1")]
    fn decoys_are_stable_separated_and_selectable() {
        use crate::mech::Mechanism;
        let d =
            |m, db, user| AnyStoredCredentials::decoy(m, b"secret", db, user, 4096).expect("decoy");
        let salt = |c: &AnyStoredCredentials| match c {
            AnyStoredCredentials::Sha1(c) => c.salt().to_vec_for_test(),
            AnyStoredCredentials::Sha256(c) => c.salt().to_vec_for_test(),
        };
        let a = d(Mechanism::ScramSha256, "admin", "u");
        assert_eq!(salt(&a), salt(&d(Mechanism::ScramSha256, "admin", "u")));
        assert_eq!(salt(&a).len(), 28);
        assert_eq!(salt(&d(Mechanism::ScramSha1, "admin", "u")).len(), 16);
        assert_ne!(salt(&a), salt(&d(Mechanism::ScramSha256, "test", "u")));
        assert_ne!(salt(&a), salt(&d(Mechanism::ScramSha256, "admin", "v")));
        // Not a prefix relation between the mechanisms (the old oracle).
        assert_ne!(salt(&a)[..16], salt(&d(Mechanism::ScramSha1, "admin", "u"))[..]);
        // The length-prefixed db keeps ("ab", "c") apart from ("a", "bc").
        assert_ne!(
            salt(&d(Mechanism::ScramSha256, "ab", "c")),
            salt(&d(Mechanism::ScramSha256, "a", "bc"))
        );
        assert!(AnyStoredCredentials::decoy(Mechanism::Plain, b"k", "a", "b", 4096).is_none());

        let real =
            StoredCredentials::<Sha256>::generate("u", "p", &[5; 28], 4096).expect("generate");
        let AnyStoredCredentials::Sha256(decoy) = a else { panic!() };
        let mut x = decoy.clone();
        x.conditional_assign(&real, subtle::Choice::from(0));
        assert_eq!(
            (x.salt(), x.stored_key().expose()),
            (decoy.salt(), decoy.stored_key().expose())
        );
        x.conditional_assign(&real, subtle::Choice::from(1));
        assert_eq!(x.salt(), real.salt());
        assert_eq!(x.iterations(), real.iterations());
        assert_eq!(x.stored_key().expose(), real.stored_key().expose());
        assert_eq!(x.server_key().expose(), real.server_key().expose());
    }

    #[test]
    fn out_of_order() {
        let mut s = ServerMachine::<Sha256>::new();
        assert!(matches!(s.handle_client_final(b"c=biws"), Err(Error::UnexpectedStep { .. })));
        assert!(!s.is_failed());
        let creds = StoredCredentials::<Sha256>::decoy(b"k", "u");
        assert!(matches!(s.respond(&creds, &[0; 24]), Err(Error::UnexpectedStep { .. })));
        s.handle_client_first(b"n,,n=u,r=abcdefgh").expect("first");
        assert!(matches!(s.respond(&creds, &[0; 3]), Err(Error::InvalidNonce { .. })));
        assert!(s.respond(&creds, &[0; 24]).is_ok());
        assert!(matches!(s.handle_client_first(b"n,,n=u,r=x"), Err(Error::UnexpectedStep { .. })));
    }
}
