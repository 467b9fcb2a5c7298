//! The server side of one connection's login, built from the same pieces as
//! the client: command bodies in, reply bodies out, users identified by
//! (database, name) as MongoDB identifies them, and every failure answered
//! with code 18 AuthenticationFailed without saying which part failed.
//!
//! It answers `hello`/`isMaster` (with `saslSupportedMechs` and a
//! speculative SCRAM first step), `saslStart`/`saslContinue` for
//! SCRAM-SHA-1 and SCRAM-SHA-256, and the few commands a driver sends right
//! after logging in (`ping`, `buildInfo`, `connectionStatus`, `endSessions`).
//! With the `mongodb-cr` feature and [`ServerSession::with_mongodb_cr`], it
//! also answers the legacy MONGODB-CR (`getnonce`, `authenticate`); with
//! [`ServerSession::with_max_wire_version`] it plays an older server.
//! With the `gssapi` feature and `ServerSession::with_gssapi` it answers
//! GSSAPI (Kerberos) through a caller's [`GssAcceptor`], for principals the
//! store admits as `$external` users.
//! It is what the demo's in-process server and the interop tests with real
//! drivers (pymongo, the C and Go drivers) run. Sans-I/O and allocation-free.
//!
//! Unknown users are indistinguishable from real ones, by reply and by time
//! (see [`ServerSession`]); `tests/tests/server_enumeration.rs` (a
//! dudect-style timing test) and `tests/tests/server_replies.rs` (reply
//! equality over TCP) hold it to that. A conversation's keys are wiped as
//! soon as it ends (`tests/tests/server_secrets.rs` scans the objects).
//!
//! The session owns its state and is generic over its [`UserStore`] rather
//! than holding a handle to one: a `no_std` build needs no allocator and no
//! `dyn`, and the caller picks the sharing (`&store`, `Arc<store>`, or the
//! store by value, as the C session does). The trait's writes take `&self`
//! for the same reason: a store shared by every connection (a database
//! behind a lock, later) can be changed through any of them.

use heapless::String;
use subtle::{Choice, ConditionallySelectable};
use zeroize::Zeroizing;

use crate::codec::bson::{DocWriter, Document, Fields};
use crate::codec::wire::{
    self, Command, CommandError, CommandKind, Hello, HelloReply, MechList, SaslContinue, SaslReply,
    SaslStart, Speculative, SpeculativeReply, WriteBody,
};
use crate::crypto::{HmacKey, ScramHash, ct_eq};
use crate::error::Error;
use crate::mech::Mechanism;
use crate::mech::gssapi::{GssAcceptor, NoGss};
use crate::mech::scram::{AnyServer, AnyStoredCredentials, ServerMachine, StoredCredentials};

/// Every field of an incoming command the session's parsers read
/// ([`Hello::KEYS`], [`SaslStart::KEYS`], [`SaslContinue::KEYS`]), indexed
/// in the one walk over each command.
const COMMAND_KEYS: [&str; 8] = [
    "$db",
    "saslSupportedMechs",
    "speculativeAuthenticate",
    "client",
    "options",
    "mechanism",
    "payload",
    "conversationId",
];

/// An incoming command's fields, indexed once.
type CommandFields<'a> = Fields<'a, { COMMAND_KEYS.len() }>;

/// Longest database name a session tracks.
pub const MAX_DB_LEN: usize = 64;
/// Longest username a session tracks (as in SCRAM).
pub const MAX_USER_LEN: usize = crate::mech::scram::MAX_USERNAME_LEN;
/// Random bytes [`ServerSession::handle`] takes per call (a server nonce).
pub const SESSION_ENTROPY_LEN: usize = 24;
/// Bytes of the per-server secret decoy credentials are derived from.
pub const DECOY_SECRET_LEN: usize = 32;
/// Random bytes [`StaticUsers::with_scram_user`] takes per user: a seed from
/// which both mechanisms' salts are derived, so the two salts are unrelated
/// to anyone without the seed (mongod draws them independently).
pub const SALT_SEED_LEN: usize = 28;

/// The conversation id this server hands out (MongoDB's servers use 1).
const CONVERSATION_ID: i32 = 1;

/// The SCRAM mechanisms a user has credentials for: what a hello's
/// `saslSupportedMechs` lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScramMechanisms {
    /// SCRAM-SHA-1 credentials exist.
    pub sha1: bool,
    /// SCRAM-SHA-256 credentials exist.
    pub sha256: bool,
}

impl ScramMechanisms {
    /// Every SCRAM mechanism this build runs: what `createUser` makes by
    /// default, and what an unknown user is answered with.
    pub const ALL: Self = ScramMechanisms { sha1: cfg!(feature = "sha1"), sha256: true };

    /// Whether `mechanism` is in the set.
    pub fn contains(self, mechanism: Mechanism) -> bool {
        match mechanism {
            Mechanism::ScramSha1 => self.sha1,
            Mechanism::ScramSha256 => self.sha256,
            _ => false,
        }
    }

    /// The names, in mongod's order, for `saslSupportedMechs`.
    pub fn names(self) -> &'static [&'static str] {
        match (self.sha1, self.sha256) {
            (true, true) => &["SCRAM-SHA-1", "SCRAM-SHA-256"],
            (true, false) => &["SCRAM-SHA-1"],
            (false, true) => &["SCRAM-SHA-256"],
            (false, false) => &[],
        }
    }
}

/// Why a [`UserStore`] refused a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UserStoreError {
    /// The store cannot be changed through this handle (a [`StaticUsers`]
    /// table, for one).
    ReadOnly,
    /// The store is full.
    Full {
        /// How many users it holds at most.
        limit: usize,
    },
    /// `createUser` for a (database, user) that exists.
    AlreadyExists,
    /// A change to a (database, user) that does not exist.
    NotFound,
    /// The backend failed (I/O, a constraint); `what` says which step.
    Backend {
        /// The step that failed.
        what: &'static str,
    },
}

impl core::fmt::Display for UserStoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::ReadOnly => f.write_str("the user store is read-only"),
            Self::Full { limit } => write!(f, "the user store is full ({limit} users)"),
            Self::AlreadyExists => f.write_str("the user already exists"),
            Self::NotFound => f.write_str("no such user"),
            Self::Backend { what } => write!(f, "the user store failed: {what}"),
        }
    }
}

impl core::error::Error for UserStoreError {}

/// Where a server looks users up: stored credentials, never passwords. Users
/// are identified by (database, name), as MongoDB identifies them.
///
/// Reads are what a login needs. The write methods are the shape the
/// user-management commands (`createUser`, `updateUser`, `dropUser`) will
/// call; they take `&self` so one store can be shared by every connection's
/// session (behind `&`, an `Arc`, ...), with its own locking inside. Their
/// default answers [`UserStoreError::ReadOnly`].
///
/// **Enumeration.** A [`ServerSession`] answers unknown users with decoy
/// credentials and costs the same on both paths, but it cannot hide a store
/// whose own lookup takes longer for one kind of name: a store should do the
/// same work for a name it holds and one it does not ([`StaticUsers`]
/// compares every entry in constant time, and clones or drops the same
/// amount either way).
pub trait UserStore {
    /// The credentials of `user` in `db` for a SCRAM mechanism, if any.
    fn scram_credentials(
        &self,
        db: &str,
        user: &str,
        mechanism: Mechanism,
    ) -> Option<AnyStoredCredentials>;

    /// Overwrite `slot` (which holds decoy credentials for `mechanism`) with
    /// the credentials of `user` in `db` if the store has them, and say
    /// whether it did: what a [`ServerSession`] calls. Override it to do the
    /// same work whether or not the user exists (as [`StaticUsers`] does:
    /// every entry compared, one constant-time copy, no clone or drop). The
    /// default wraps [`scram_credentials`](Self::scram_credentials) and
    /// picks in constant time, but the store's own lookup may still differ.
    fn select_scram_credentials(
        &self,
        db: &str,
        user: &str,
        mechanism: Mechanism,
        slot: &mut AnyStoredCredentials,
    ) -> Choice {
        let found = self.scram_credentials(db, user, mechanism);
        let same = |c: &AnyStoredCredentials| {
            core::mem::discriminant(c) == core::mem::discriminant(&*slot)
        };
        let choice = Choice::from(u8::from(found.as_ref().is_some_and(same)));
        if let Some(c) = &found {
            slot.conditional_assign(c, choice);
        }
        choice
    }

    /// The mechanisms `user` in `db` has credentials for, or `None` for an
    /// unknown user. The default asks [`scram_credentials`](Self::scram_credentials)
    /// once per mechanism.
    fn scram_mechanisms(&self, db: &str, user: &str) -> Option<ScramMechanisms> {
        let sha1 = cfg!(feature = "sha1")
            && self.scram_credentials(db, user, Mechanism::ScramSha1).is_some();
        let sha256 = self.scram_credentials(db, user, Mechanism::ScramSha256).is_some();
        (sha1 || sha256).then_some(ScramMechanisms { sha1, sha256 })
    }

    /// What hello lists for a user the store does not hold: it should be what
    /// most real users have ([`ScramMechanisms::ALL`] by default, what
    /// `createUser` makes), so that the reply does not tell them apart.
    fn unknown_user_mechanisms(&self) -> ScramMechanisms {
        ScramMechanisms::ALL
    }

    /// The iteration count of decoy credentials for `mechanism`: what real
    /// users of this store have (mongod's defaults, 10000 for SCRAM-SHA-1 and
    /// 15000 for SCRAM-SHA-256, unless overridden).
    fn decoy_iterations(&self, mechanism: Mechanism) -> u32 {
        match mechanism {
            #[cfg(feature = "sha1")]
            Mechanism::ScramSha1 => <crate::crypto::Sha1 as ScramHash>::DEFAULT_ITERATIONS,
            _ => <crate::crypto::Sha256 as ScramHash>::DEFAULT_ITERATIONS,
        }
    }

    /// MONGODB-CR (feature `mongodb-cr`): overwrite `slot` (which holds a
    /// decoy) with the hex password digest `hex(MD5(user ":mongo:"
    /// password))` of `user` in `db`, if the store keeps one, and say whether
    /// it did. That digest is password-equivalent (it is all a MONGODB-CR
    /// client needs to log in), which is why the feature is off by default.
    /// The default keeps none. Do the same work whether or not the user
    /// exists.
    #[cfg(feature = "mongodb-cr")]
    fn select_cr_digest(
        &self,
        db: &str,
        user: &str,
        slot: &mut [u8; crate::mech::cr::DIGEST_LEN],
    ) -> Choice {
        let _ = (db, user, slot);
        Choice::from(0)
    }

    /// GSSAPI (feature `gssapi`): whether the Kerberos principal
    /// `principal` (`user@REALM`, as the GSS library names the initiator)
    /// is a user of `$external`, the database GSSAPI logs in to. The
    /// default knows none, so a store that says nothing admits nobody.
    fn is_external_user(&self, principal: &str) -> bool {
        let _ = principal;
        false
    }

    /// Create `user` in `db` with these credentials (one per mechanism), as
    /// `createUser` does.
    ///
    /// # Errors
    /// [`UserStoreError::AlreadyExists`], [`UserStoreError::Full`], a
    /// backend failure; [`UserStoreError::ReadOnly`] by default.
    fn create_user(
        &self,
        db: &str,
        user: &str,
        credentials: &[AnyStoredCredentials],
    ) -> Result<(), UserStoreError> {
        let _ = (db, user, credentials);
        Err(UserStoreError::ReadOnly)
    }

    /// Replace every credential of `user` in `db` (a password change).
    ///
    /// # Errors
    /// [`UserStoreError::NotFound`], a backend failure;
    /// [`UserStoreError::ReadOnly`] by default.
    fn replace_credentials(
        &self,
        db: &str,
        user: &str,
        credentials: &[AnyStoredCredentials],
    ) -> Result<(), UserStoreError> {
        let _ = (db, user, credentials);
        Err(UserStoreError::ReadOnly)
    }

    /// Remove `user` from `db` (`dropUser`).
    ///
    /// # Errors
    /// [`UserStoreError::NotFound`], a backend failure;
    /// [`UserStoreError::ReadOnly`] by default.
    fn remove_user(&self, db: &str, user: &str) -> Result<(), UserStoreError> {
        let _ = (db, user);
        Err(UserStoreError::ReadOnly)
    }
}

macro_rules! forward_user_store {
    ($($t:tt)*) => {
        $($t)* {
            fn scram_credentials(
                &self,
                db: &str,
                user: &str,
                mechanism: Mechanism,
            ) -> Option<AnyStoredCredentials> {
                (**self).scram_credentials(db, user, mechanism)
            }
            fn select_scram_credentials(
                &self,
                db: &str,
                user: &str,
                mechanism: Mechanism,
                slot: &mut AnyStoredCredentials,
            ) -> Choice {
                (**self).select_scram_credentials(db, user, mechanism, slot)
            }
            fn scram_mechanisms(&self, db: &str, user: &str) -> Option<ScramMechanisms> {
                (**self).scram_mechanisms(db, user)
            }
            fn unknown_user_mechanisms(&self) -> ScramMechanisms {
                (**self).unknown_user_mechanisms()
            }
            fn decoy_iterations(&self, mechanism: Mechanism) -> u32 {
                (**self).decoy_iterations(mechanism)
            }
            fn is_external_user(&self, principal: &str) -> bool {
                (**self).is_external_user(principal)
            }
            fn create_user(
                &self,
                db: &str,
                user: &str,
                credentials: &[AnyStoredCredentials],
            ) -> Result<(), UserStoreError> {
                (**self).create_user(db, user, credentials)
            }
            fn replace_credentials(
                &self,
                db: &str,
                user: &str,
                credentials: &[AnyStoredCredentials],
            ) -> Result<(), UserStoreError> {
                (**self).replace_credentials(db, user, credentials)
            }
            #[cfg(feature = "mongodb-cr")]
            fn select_cr_digest(
                &self,
                db: &str,
                user: &str,
                slot: &mut [u8; crate::mech::cr::DIGEST_LEN],
            ) -> Choice {
                (**self).select_cr_digest(db, user, slot)
            }
            fn remove_user(&self, db: &str, user: &str) -> Result<(), UserStoreError> {
                (**self).remove_user(db, user)
            }
        }
    };
}

// A session can borrow a store, share it, or own it.
forward_user_store!(impl<T: UserStore + ?Sized> UserStore for &T);
#[cfg(feature = "alloc")]
forward_user_store!(impl<T: UserStore + ?Sized> UserStore for alloc::sync::Arc<T>);
#[cfg(feature = "alloc")]
forward_user_store!(impl<T: UserStore + ?Sized> UserStore for alloc::boxed::Box<T>);

struct UserEntry {
    db: String<MAX_DB_LEN>,
    user: String<MAX_USER_LEN>,
    #[cfg(feature = "sha1")]
    sha1: StoredCredentials<crate::mech::scram::Sha1>,
    sha256: StoredCredentials<crate::mech::scram::Sha256>,
    /// MONGODB-CR: the hex MD5 password digest (password-equivalent).
    #[cfg(feature = "mongodb-cr")]
    cr_digest: Zeroizing<[u8; crate::mech::cr::DIGEST_LEN]>,
}

/// A fixed set of up to `N` users, each with SCRAM-SHA-1 and SCRAM-SHA-256
/// credentials, for tests, demos and small embedded servers. With the
/// `mongodb-cr` feature each user also keeps the hex MD5 password digest
/// MONGODB-CR verifies against: it is password-equivalent (whoever reads it
/// can log in with MONGODB-CR), which is why that feature is off by default. Read-only as a
/// [`UserStore`]; users are added before serving. Lookups compare every
/// entry in constant time, so a name's presence does not show in the time.
pub struct StaticUsers<const N: usize> {
    users: heapless::Vec<UserEntry, N>,
    /// `$external` users by Kerberos principal (GSSAPI).
    #[cfg(feature = "gssapi")]
    external: heapless::Vec<String<MAX_USER_LEN>, N>,
}

/// A mechanism's salt from a user's seed: `HMAC-SHA-256(seed, label ||
/// mechanism)`, cut to the mechanism's salt length. Knowing one salt says
/// nothing about the other without the seed.
fn salt_from_seed<H: ScramHash>(seed: &[u8; SALT_SEED_LEN]) -> [u8; 32] {
    HmacKey::<crate::crypto::Sha256>::new(seed)
        .mac(&[b"mongoauth-user-salt\0", H::MECHANISM.as_bytes()])
}

/// One mechanism's stored credentials for a new user: its own salt (mongod's
/// length for `H`) drawn from the seed, `H`'s default iteration count; the
/// salt is wiped once the keys are derived.
fn credentials_from_seed<H: ScramHash>(
    user: &str,
    password: &str,
    seed: &[u8; SALT_SEED_LEN],
) -> Result<StoredCredentials<H>, Error> {
    let mut salt = salt_from_seed::<H>(seed);
    let c = StoredCredentials::generate(
        user,
        password,
        salt.get(..H::SALT_LEN).unwrap_or(&salt),
        H::DEFAULT_ITERATIONS,
    );
    zeroize::Zeroize::zeroize(&mut salt);
    c
}

impl<const N: usize> StaticUsers<N> {
    /// No users.
    pub const fn new() -> Self {
        StaticUsers {
            users: heapless::Vec::new(),
            #[cfg(feature = "gssapi")]
            external: heapless::Vec::new(),
        }
    }

    /// GSSAPI (feature `gssapi`): admit the Kerberos principal `principal`
    /// (`user@REALM`, exactly as the GSS library names the initiator) as a
    /// `$external` user. Up to `N` such users, besides the SCRAM ones.
    ///
    /// # Errors
    /// An empty principal or one over [`MAX_USER_LEN`] (the longest name a
    /// session reports as logged in); one already present; more than `N`.
    #[cfg(feature = "gssapi")]
    pub fn with_external_user(mut self, principal: &str) -> Result<Self, Error> {
        self.add_external_user(principal)?;
        Ok(self)
    }

    /// As [`with_external_user`](Self::with_external_user), in place.
    ///
    /// # Errors
    /// As [`with_external_user`](Self::with_external_user).
    #[cfg(feature = "gssapi")]
    pub fn add_external_user(&mut self, principal: &str) -> Result<(), Error> {
        if principal.is_empty() {
            return Err(Error::InvalidCredential { rule: "a principal must not be empty" });
        }
        let p = String::try_from(principal)
            .map_err(|_| Error::Capacity { what: "principal", limit: MAX_USER_LEN })?;
        if self.external.iter().any(|e| e == principal) {
            return Err(Error::InvalidCredential { rule: "the user already exists" });
        }
        self.external.push(p).map_err(|_| Error::Capacity { what: "external users", limit: N })
    }

    /// Add a user the way `createUser` does, for both SCRAM mechanisms at
    /// mongod's default iteration counts, with mongod's salt lengths (16
    /// bytes for SCRAM-SHA-1, 28 for SCRAM-SHA-256). `salt_seed` is
    /// [`SALT_SEED_LEN`] random bytes; each mechanism's salt is derived from
    /// it independently (see [`SALT_SEED_LEN`]).
    ///
    /// # Errors
    /// A password SASLprep rejects; names over [`MAX_DB_LEN`] /
    /// [`MAX_USER_LEN`]; a (db, user) already present; more than `N` users.
    pub fn with_scram_user(
        mut self,
        db: &str,
        user: &str,
        password: &str,
        salt_seed: &[u8; SALT_SEED_LEN],
    ) -> Result<Self, Error> {
        self.add_scram_user(db, user, password, salt_seed)?;
        Ok(self)
    }

    /// As [`with_scram_user`](Self::with_scram_user), in place.
    ///
    /// # Errors
    /// As [`with_scram_user`](Self::with_scram_user); on error the table is
    /// unchanged.
    pub fn add_scram_user(
        &mut self,
        db: &str,
        user: &str,
        password: &str,
        salt_seed: &[u8; SALT_SEED_LEN],
    ) -> Result<(), Error> {
        let db_s = String::try_from(db)
            .map_err(|_| Error::Capacity { what: "database name", limit: MAX_DB_LEN })?;
        let user_s = String::try_from(user)
            .map_err(|_| Error::Capacity { what: "username", limit: MAX_USER_LEN })?;
        if self.users.iter().any(|e| e.db == db && e.user == user) {
            return Err(Error::InvalidCredential { rule: "the user already exists" });
        }
        if self.users.is_full() {
            return Err(Error::Capacity { what: "user table", limit: N });
        }
        #[cfg(feature = "sha1")]
        let sha1 = credentials_from_seed::<crate::mech::scram::Sha1>(user, password, salt_seed)?;
        let sha256 =
            credentials_from_seed::<crate::mech::scram::Sha256>(user, password, salt_seed)?;
        let entry = UserEntry {
            db: db_s,
            user: user_s,
            #[cfg(feature = "sha1")]
            sha1,
            sha256,
            #[cfg(feature = "mongodb-cr")]
            cr_digest: crate::mech::cr::password_digest(user, password),
        };
        self.users.push(entry).map_err(|_| Error::Capacity { what: "user table", limit: N })
    }

    /// How many users the table holds.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    /// Whether the table holds no user.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// Whether `e` is (db, user), compared in constant time.
    fn matches(e: &UserEntry, db: &str, user: &str) -> Choice {
        Choice::from(u8::from(ct_eq(e.db.as_bytes(), db.as_bytes())))
            & Choice::from(u8::from(ct_eq(e.user.as_bytes(), user.as_bytes())))
    }

    /// The entry for (db, user) in constant time: every entry is compared,
    /// and the index is picked without a branch. Returns the index (0 when
    /// absent) and whether it matched.
    fn find(&self, db: &str, user: &str) -> (usize, Choice) {
        let mut index = 0u64;
        let mut found = Choice::from(0);
        for (i, e) in self.users.iter().enumerate() {
            let hit = Self::matches(e, db, user);
            index.conditional_assign(&(i as u64), hit);
            found |= hit;
        }
        (usize::try_from(index).unwrap_or(0), found)
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
        let (index, found) = self.find(db, user);
        if !bool::from(found) {
            return None;
        }
        let e = self.users.get(index)?;
        match mechanism {
            #[cfg(feature = "sha1")]
            Mechanism::ScramSha1 => Some(AnyStoredCredentials::Sha1(e.sha1.clone())),
            Mechanism::ScramSha256 => Some(AnyStoredCredentials::Sha256(e.sha256.clone())),
            _ => None,
        }
    }

    fn select_scram_credentials(
        &self,
        db: &str,
        user: &str,
        mechanism: Mechanism,
        slot: &mut AnyStoredCredentials,
    ) -> Choice {
        // Every entry is compared and every entry's credentials are read
        // (a constant-time copy that only the matching entry's mask lets
        // through): no clone, no drop, no branch, and the same memory
        // touched whether or not the user exists.
        let mut found = Choice::from(0);
        for e in &self.users {
            let hit = Self::matches(e, db, user);
            match (mechanism, &mut *slot) {
                #[cfg(feature = "sha1")]
                (Mechanism::ScramSha1, AnyStoredCredentials::Sha1(c)) => {
                    c.conditional_assign(&e.sha1, hit);
                }
                (Mechanism::ScramSha256, AnyStoredCredentials::Sha256(c)) => {
                    c.conditional_assign(&e.sha256, hit);
                }
                _ => return Choice::from(0),
            }
            found |= hit;
        }
        found
    }

    fn scram_mechanisms(&self, db: &str, user: &str) -> Option<ScramMechanisms> {
        let (_, found) = self.find(db, user);
        bool::from(found).then_some(ScramMechanisms::ALL)
    }

    #[cfg(feature = "gssapi")]
    fn is_external_user(&self, principal: &str) -> bool {
        // Every entry compared in constant time.
        let mut found = Choice::from(0);
        for e in &self.external {
            found |= Choice::from(u8::from(ct_eq(e.as_bytes(), principal.as_bytes())));
        }
        bool::from(found)
    }

    #[cfg(feature = "mongodb-cr")]
    fn select_cr_digest(
        &self,
        db: &str,
        user: &str,
        slot: &mut [u8; crate::mech::cr::DIGEST_LEN],
    ) -> Choice {
        // Every entry compared, every digest read through a mask.
        let mut found = Choice::from(0);
        for e in &self.users {
            let hit = Self::matches(e, db, user);
            for (d, s) in slot.iter_mut().zip(e.cr_digest.iter()) {
                d.conditional_assign(s, hit);
            }
            found |= hit;
        }
        found
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
///
/// It owns everything a login needs in fixed-capacity storage (the
/// conversation, the names, the decoy secret): no lifetime ties it to the
/// caller's strings. The user store `U` is any [`UserStore`]: pass
/// `&StaticUsers` to borrow one, an `Arc` to share one between connection
/// threads, or a store by value to own it.
///
/// **No user enumeration.** An unknown user, or a known one without the
/// requested mechanism, is answered exactly like a known user: hello lists
/// [`UserStore::unknown_user_mechanisms`], and saslStart replies with decoy
/// credentials (a salt of mongod's length and the store's iteration count,
/// stable per (mechanism, database, user), derived from the decoy secret),
/// so the login fails at the proof with code 18, as a wrong password does.
/// Both paths compute the decoy and look the user up, and pick between them
/// in constant time. This departs on purpose from mongod, which omits
/// `saslSupportedMechs` for unknown users and answers 334
/// (MechanismUnavailable) to a known user lacking the mechanism.
///
/// **Secrets.** The decoy secret and the conversation's keys are wiped on
/// drop; a conversation's StoredKey and ServerKey are wiped as soon as the
/// client-final-message has been handled.
///
/// **GSSAPI** (feature `gssapi`, `ServerSession::with_gssapi`): `G` is the
/// connection's GSS acceptor ([`NoGss`] by default, which refuses every
/// GSSAPI login with code 18). saslStart/saslContinue for `GSSAPI` on
/// `$external` drive it: context tokens until it is established, then the
/// wrapped security-layer offer (`01 00 00 00`, "no security layer"), then
/// the client's wrapped answer, whose authorization identity must equal the
/// context's source name, a principal the store knows
/// ([`UserStore::is_external_user`]). Each reply's payload has the BSON type
/// the client's had (BinData, or a base64 string as pymongo sends). Every
/// failure, a bad token as much as an unknown principal, is the same code 18
/// reply. A GSSAPI round takes about 40 KiB of stack (token buffers).
pub struct ServerSession<U: UserStore, G: GssAcceptor = NoGss> {
    users: U,
    /// The GSS acceptor (GSSAPI); [`NoGss`] (no bytes) by default.
    gss: G,
    /// The GSSAPI conversation in progress.
    #[cfg(feature = "gssapi")]
    gss_phase: GssServerPhase,
    decoy_secret: Zeroizing<[u8; DECOY_SECRET_LEN]>,
    sasl: Option<Sasl>,
    authenticated: Option<(String<MAX_DB_LEN>, String<MAX_USER_LEN>)>,
    connection_id: i64,
    max_wire_version: i32,
    /// MONGODB-CR answered (see [`ServerSession::with_mongodb_cr`]).
    #[cfg(feature = "mongodb-cr")]
    cr_enabled: bool,
    /// The nonce of the last `getnonce` (used once).
    #[cfg(feature = "mongodb-cr")]
    cr_nonce: Option<[u8; crate::mech::cr::NONCE_LEN]>,
}

impl<U: UserStore> ServerSession<U> {
    /// A session over `users`. `decoy_secret` is a per-server random value
    /// (the same for every connection, so decoys are stable): unknown users
    /// get stable fake credentials derived from it, so they fail exactly
    /// like a wrong password.
    pub fn new(users: U, decoy_secret: [u8; DECOY_SECRET_LEN]) -> Self {
        ServerSession {
            users,
            gss: NoGss,
            #[cfg(feature = "gssapi")]
            gss_phase: GssServerPhase::Idle,
            decoy_secret: Zeroizing::new(decoy_secret),
            sasl: None,
            authenticated: None,
            connection_id: 1,
            max_wire_version: wire::DEFAULT_MAX_WIRE_VERSION,
            #[cfg(feature = "mongodb-cr")]
            cr_enabled: false,
            #[cfg(feature = "mongodb-cr")]
            cr_nonce: None,
        }
    }
}

impl<U: UserStore, G: GssAcceptor> ServerSession<U, G> {
    /// Answer GSSAPI (feature `gssapi`) with `acceptor`, this connection's
    /// GSS acceptor (holding the service's key: a keytab for
    /// `service/host@REALM`); the principals it authenticates must be
    /// `$external` users of the store ([`UserStore::is_external_user`]).
    #[cfg(feature = "gssapi")]
    pub fn with_gssapi<G2: GssAcceptor>(self, acceptor: G2) -> ServerSession<U, G2> {
        let ServerSession {
            users,
            gss: mut old,
            gss_phase: _,
            decoy_secret,
            sasl,
            authenticated,
            connection_id,
            max_wire_version,
            #[cfg(feature = "mongodb-cr")]
            cr_enabled,
            #[cfg(feature = "mongodb-cr")]
            cr_nonce,
        } = self;
        old.reset();
        ServerSession {
            users,
            gss: acceptor,
            gss_phase: GssServerPhase::Idle,
            decoy_secret,
            sasl,
            authenticated,
            connection_id,
            max_wire_version,
            #[cfg(feature = "mongodb-cr")]
            cr_enabled,
            #[cfg(feature = "mongodb-cr")]
            cr_nonce,
        }
    }

    /// The GSS acceptor (GSSAPI).
    pub fn gss_acceptor(&self) -> &G {
        &self.gss
    }

    /// The GSS acceptor, to change it between connections.
    pub fn gss_acceptor_mut(&mut self) -> &mut G {
        &mut self.gss
    }

    /// Report this `maxWireVersion` in hello replies (default
    /// [`wire::DEFAULT_MAX_WIRE_VERSION`]), to play an older server: below
    /// 9 no speculative step is answered and below 7 no
    /// `saslSupportedMechs` is listed, as those servers did; below 3 a
    /// 3.x driver picks MONGODB-CR by itself.
    pub fn with_max_wire_version(mut self, version: i32) -> Self {
        self.max_wire_version = version;
        self
    }

    /// Answer MONGODB-CR (`getnonce`, then `authenticate {user, nonce,
    /// key}`) from the store's password digests
    /// ([`UserStore::select_cr_digest`]). Off by default even with the
    /// feature: the mechanism is legacy (removed from MongoDB 4.0).
    #[cfg(feature = "mongodb-cr")]
    pub fn with_mongodb_cr(mut self, enabled: bool) -> Self {
        self.cr_enabled = enabled;
        self
    }

    /// Serve the next connection with the same user store: the conversation
    /// and the logged-in user are dropped (keys wiped), the decoy secret and
    /// connection id replaced.
    pub fn restart(&mut self, decoy_secret: [u8; DECOY_SECRET_LEN], connection_id: i64) {
        self.sasl = None;
        self.authenticated = None;
        self.gss.reset();
        #[cfg(feature = "gssapi")]
        {
            self.gss_phase = GssServerPhase::Idle;
        }
        #[cfg(feature = "mongodb-cr")]
        {
            self.cr_nonce = None;
        }
        *self.decoy_secret = decoy_secret;
        self.connection_id = connection_id;
    }

    /// The user store.
    pub fn users(&self) -> &U {
        &self.users
    }

    /// The user store, to change it (between connections, say).
    pub fn users_mut(&mut self) -> &mut U {
        &mut self.users
    }

    /// Give the user store back (the rest is wiped as it drops).
    pub fn into_users(self) -> U {
        self.users
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
        let fields = Document::parse_fields(body, COMMAND_KEYS)?;
        self.handle_fields(&fields, None, entropy, out)
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
        let fields = Document::parse_fields(body, COMMAND_KEYS)?;
        self.handle_fields(&fields, Some(db), entropy, out)
    }

    /// One command body, validated with its fields indexed in the same
    /// walk. `legacy_db` is an OP_QUERY's database (instead of `$db`). One
    /// copy for the three entry points.
    #[inline(never)]
    fn handle_fields(
        &mut self,
        fields: &CommandFields<'_>,
        legacy_db: Option<&str>,
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        let cmd = match legacy_db {
            None => Command::from_fields(fields)?,
            Some(db) => {
                let first = fields.first();
                let first =
                    first.ok_or(Error::Protocol { rule: "a command body must not be empty" })?;
                Command { name: first.key, db, body: fields.document() }
            }
        };
        self.dispatch(cmd, fields, entropy, out)
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
            let fields = q.query.fields(COMMAND_KEYS);
            let m = self.handle_fields(&fields, Some(q.db()), entropy, body)?;
            Ok(wire::finish_op_reply(reply_id, q.request_id, out, m)?)
        } else {
            let mut fields = Fields::new(Document::EMPTY, COMMAND_KEYS);
            let msg = wire::parse_op_msg_into(frame, &mut fields)?;
            let body = out.get_mut(wire::OP_MSG_BODY_OFFSET..).unwrap_or(&mut []);
            let m = self.handle_fields(&fields, None, entropy, body)?;
            Ok(wire::finish_op_msg(reply_id, msg.request_id, out, m)?)
        }
    }

    fn dispatch(
        &mut self,
        cmd: Command<'_>,
        fields: &CommandFields<'_>,
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        match cmd.kind() {
            CommandKind::Hello | CommandKind::LegacyHello => self.hello(cmd, fields, entropy, out),
            #[cfg(feature = "gssapi")]
            CommandKind::SaslStart
                if fields.get_str("mechanism").ok() == Some(crate::mech::gssapi::MECHANISM) =>
            {
                self.gss_handle(cmd, true, out)
            }
            #[cfg(feature = "gssapi")]
            CommandKind::SaslContinue if self.gss_phase != GssServerPhase::Idle => {
                self.gss_handle(cmd, false, out)
            }
            CommandKind::SaslStart => {
                let reply = SaslStart::from_fields(fields)
                    .ok()
                    .and_then(|s| self.sasl_start(&s, cmd.db, entropy).ok())
                    .map(|first| (false, first));
                match reply {
                    Some(r) => sasl_reply(r, out),
                    None => self.fail(out),
                }
            }
            CommandKind::SaslContinue => {
                let reply = SaslContinue::from_fields(fields)
                    .ok()
                    .and_then(|c| self.sasl_continue(&c).ok());
                match reply {
                    Some(r) => sasl_reply(r, out),
                    None => self.fail(out),
                }
            }
            CommandKind::Authenticate => {
                #[cfg(feature = "mongodb-cr")]
                if self.cr_enabled
                    && let Ok(a) = crate::mech::cr::Authenticate::parse(cmd.body, cmd.db)
                {
                    return self.cr_authenticate(&a, out);
                }
                // X.509 needs the TLS layer's client certificate, which a
                // sans-I/O session does not see: refuse like any failure.
                write(&CommandError::AUTHENTICATION_FAILED, out)
            }
            #[cfg(feature = "mongodb-cr")]
            CommandKind::Other if self.cr_enabled && cmd.name == "getnonce" => {
                let mut random = [0u8; crate::mech::cr::NONCE_LEN / 2];
                for (d, s) in random.iter_mut().zip(entropy.iter()) {
                    *d = *s;
                }
                let nonce = self.cr_nonce.insert(crate::mech::cr::nonce_from_random(&random));
                let nonce = core::str::from_utf8(nonce).unwrap_or("");
                write(&crate::mech::cr::GetNonceReply { nonce }, out)
            }
            CommandKind::Other => self.other(cmd, out),
        }
    }

    fn hello(
        &mut self,
        cmd: Command<'_>,
        fields: &CommandFields<'_>,
        entropy: &[u8; SESSION_ENTROPY_LEN],
        out: &mut [u8],
    ) -> Result<usize, Error> {
        // Accept OP_QUERY hellos without `$db` too.
        let hello = Hello::from_fields(fields).ok();
        let mut reply = HelloReply::primary();
        reply.legacy = cmd.kind() == CommandKind::LegacyHello;
        reply.hello_ok = true;
        reply.connection_id = Some(self.connection_id);
        reply.max_wire_version = Some(self.max_wire_version);
        // Listed for every name: a known user's mechanisms, and for an
        // unknown one what a typical user has (never an absent field).
        if let Some(u) = hello.as_ref().and_then(|h| h.sasl_supported_mechs)
            && self.max_wire_version >= 7
        {
            let known = self.users.scram_mechanisms(u.db, u.user);
            let unknown = self.users.unknown_user_mechanisms();
            let mechs = known.unwrap_or(unknown);
            reply.sasl_supported_mechs = Some(MechList::Names(mechs.names()));
        }
        // A speculative saslStart: failures are dropped silently, as mongod does.
        let spec = match hello.and_then(|h| h.speculative_authenticate) {
            Some(Speculative::SaslStart(s)) if self.max_wire_version >= 9 => {
                self.sasl_start(&s, s.db, entropy).ok()
            }
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
        // Dropping a previous conversation wipes its keys in place.
        self.sasl = None;
        #[cfg(feature = "gssapi")]
        if self.gss_phase != GssServerPhase::Idle {
            self.gss_phase = GssServerPhase::Idle;
            self.gss.reset();
        }
        let mechanism = Mechanism::from_name(s.mechanism).ok_or(Error::AuthenticationFailed)?;
        let server = match mechanism {
            #[cfg(feature = "sha1")]
            Mechanism::ScramSha1 => AnyServer::Sha1(ServerMachine::new()),
            Mechanism::ScramSha256 => AnyServer::Sha256(ServerMachine::new()),
            _ => return Err(Error::AuthenticationFailed),
        };
        let db = String::try_from(db)
            .map_err(|_| Error::Capacity { what: "database name", limit: MAX_DB_LEN })?;
        // The machine runs in place in the session, so its keys are never
        // moved out of (and left behind in) a stack frame of ours.
        let sasl = self.sasl.insert(Sasl {
            server,
            db,
            skip_empty_exchange: s.skip_empty_exchange,
            awaiting_empty: false,
        });
        let user: String<MAX_USER_LEN> =
            String::try_from(sasl.server.handle_client_first(s.payload)?)
                .map_err(|_| Error::Capacity { what: "username", limit: MAX_USER_LEN })?;
        // Known and unknown users take the same path: the decoy is always
        // derived and copied, the user always looked up, and the one to
        // answer with picked in constant time.
        let iterations = self.users.decoy_iterations(mechanism);
        let decoy = AnyStoredCredentials::decoy(
            mechanism,
            &self.decoy_secret[..],
            &sasl.db,
            &user,
            iterations,
        )
        .ok_or(Error::AuthenticationFailed)?;
        let mut creds = decoy;
        let _found = self.users.select_scram_credentials(&sasl.db, &user, mechanism, &mut creds);
        sasl.server.respond(&creds, entropy)?;
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

    /// MONGODB-CR's `authenticate`: the nonce must be the one handed out
    /// (used once); the key is checked against the stored digest, or a
    /// decoy for an unknown user, with the same work and the same reply.
    #[cfg(feature = "mongodb-cr")]
    fn cr_authenticate(
        &mut self,
        a: &crate::mech::cr::Authenticate<'_>,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        use crate::mech::cr;
        let issued = self.cr_nonce.take();
        let nonce_ok = issued.is_some_and(|n| n.as_slice() == a.nonce.as_bytes());
        // The decoy digest: keyed by the server's secret, stable per name.
        let mac = HmacKey::<crate::crypto::Sha256>::new(&self.decoy_secret[..]).mac(&[
            b"mongoauth-cr-decoy\0",
            a.db.as_bytes(),
            b"\0",
            a.user.as_bytes(),
        ]);
        let mut digest = Zeroizing::new([0u8; cr::DIGEST_LEN]);
        for (pair, byte) in digest.chunks_exact_mut(2).zip(mac.iter()) {
            if let [hi, lo] = pair {
                *hi = crate::crypto::hex_digit(byte >> 4);
                *lo = crate::crypto::hex_digit(byte & 0x0f);
            }
        }
        let found = self.users.select_cr_digest(a.db, a.user, &mut digest);
        let expected = cr::key_from_digest(a.nonce, a.user, &digest);
        let key_ok = Choice::from(u8::from(cr::verify_key(&expected, a.key.as_bytes())));
        if nonce_ok
            && bool::from(found & key_ok)
            && let (Ok(db), Ok(user)) = (String::try_from(a.db), String::try_from(a.user))
        {
            self.sasl = None;
            self.authenticated = Some((db, user));
            return write(&cr::AuthenticateReply { dbname: a.db, user: a.user }, out);
        }
        self.fail(out)
    }

    /// One GSSAPI saslStart (`start`) or saslContinue: the reply, or code
    /// 18 for any failure. Not inlined: its token buffers stay off the
    /// stack of the other commands.
    #[cfg(feature = "gssapi")]
    #[inline(never)]
    fn gss_handle(
        &mut self,
        cmd: Command<'_>,
        start: bool,
        out: &mut [u8],
    ) -> Result<usize, Error> {
        use crate::mech::gssapi::MAX_TOKEN_LEN;
        let mut scratch = [0u8; GSS_B64_LEN];
        let mut token = [0u8; MAX_TOKEN_LEN];
        let (ty, done, n) = match self.gss_round(cmd, start, &mut scratch, &mut token) {
            Ok(r) => r,
            Err(_) => return self.fail(out),
        };
        let token = token.get(..n).unwrap_or(&[]);
        let payload = match ty {
            wire::PayloadType::Binary => GssPayload::Binary(token),
            wire::PayloadType::Base64String => {
                use base64ct::{Base64, Encoding};
                match Base64::encode(token, &mut scratch) {
                    Ok(t) => GssPayload::Text(t),
                    Err(_) => return self.fail(out),
                }
            }
        };
        write(&GssReply { done, payload }, out)
    }

    /// The GSSAPI state machine: returns the payload type to answer in,
    /// `done`, and the reply token's length in `token`.
    #[cfg(feature = "gssapi")]
    fn gss_round(
        &mut self,
        cmd: Command<'_>,
        start: bool,
        scratch: &mut [u8],
        token: &mut [u8],
    ) -> Result<(wire::PayloadType, bool, usize), Error> {
        use crate::mech::gssapi::{
            ClientLayerReply, MAX_PRINCIPAL_LEN, MAX_SASL_REPLIES, MAX_TOKEN_LEN,
            SECURITY_LAYER_LEN, SOURCE, SecurityLayer,
        };
        let refuse = |_| Error::AuthenticationFailed;
        if start {
            self.sasl = None;
            self.gss.reset();
            self.gss_phase = GssServerPhase::Context { rounds: 0 };
        } else {
            let id = wire::ConversationId::read(&cmd.body)?;
            if id.get() != i64::from(CONVERSATION_ID) {
                return Err(Error::Protocol { rule: "unknown conversationId" });
            }
        }
        if cmd.db != SOURCE {
            return Err(Error::AuthenticationFailed);
        }
        let payload = wire::AnyPayload::read(&cmd.body)?;
        let ty = payload.payload_type();
        let input = payload.bytes(scratch)?;
        if input.len() > MAX_TOKEN_LEN {
            return Err(Error::Capacity { what: "GSSAPI token", limit: MAX_TOKEN_LEN });
        }
        let wrap_offer = |gss: &mut G, token: &mut [u8]| {
            gss.wrap(&SecurityLayer::NONE_ONLY.to_bytes(), token).map_err(refuse)
        };
        match self.gss_phase {
            GssServerPhase::Context { rounds } => {
                if rounds >= MAX_SASL_REPLIES {
                    return Err(Error::Protocol { rule: "too many GSSAPI context rounds" });
                }
                self.gss_phase = GssServerPhase::Context { rounds: rounds + 1 };
                let st = self.gss.step(input, token).map_err(refuse)?;
                if st.written > token.len() {
                    return Err(Error::AuthenticationFailed);
                }
                if !st.complete {
                    return Ok((ty, false, st.written));
                }
                if st.written > 0 {
                    // RFC 4752: the client answers the last token empty.
                    self.gss_phase = GssServerPhase::AwaitEmpty;
                    return Ok((ty, false, st.written));
                }
                let n = wrap_offer(&mut self.gss, token)?;
                self.gss_phase = GssServerPhase::AwaitLayer;
                Ok((ty, false, n))
            }
            GssServerPhase::AwaitEmpty => {
                if !input.is_empty() {
                    return Err(Error::AuthenticationFailed);
                }
                let n = wrap_offer(&mut self.gss, token)?;
                self.gss_phase = GssServerPhase::AwaitLayer;
                Ok((ty, false, n))
            }
            GssServerPhase::AwaitLayer => {
                let mut msg = [0u8; SECURITY_LAYER_LEN + MAX_PRINCIPAL_LEN];
                let m = self.gss.unwrap(input, &mut msg).map_err(refuse)?;
                let reply = ClientLayerReply::parse_no_layer(msg.get(..m).unwrap_or(&[]))?;
                let mut name = [0u8; MAX_PRINCIPAL_LEN];
                let k = self.gss.source_name(&mut name).map_err(refuse)?;
                let principal = name
                    .get(..k)
                    .and_then(|n| core::str::from_utf8(n).ok())
                    .ok_or(Error::AuthenticationFailed)?;
                if reply.authz != principal || !self.users.is_external_user(principal) {
                    return Err(Error::AuthenticationFailed);
                }
                let db = String::try_from(SOURCE).map_err(|_| Error::AuthenticationFailed)?;
                let user = String::try_from(principal).map_err(|_| Error::AuthenticationFailed)?;
                self.authenticated = Some((db, user));
                // The context has served its purpose.
                self.gss_phase = GssServerPhase::Idle;
                self.gss.reset();
                Ok((ty, true, 0))
            }
            GssServerPhase::Idle => Err(Error::AuthenticationFailed),
        }
    }

    /// Any failure, whichever part: code 18, and the conversation is over.
    fn fail(&mut self, out: &mut [u8]) -> Result<usize, Error> {
        self.sasl = None;
        #[cfg(feature = "gssapi")]
        if self.gss_phase != GssServerPhase::Idle {
            self.gss_phase = GssServerPhase::Idle;
            self.gss.reset();
        }
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

impl<U: UserStore, G: GssAcceptor> core::fmt::Debug for ServerSession<U, G> {
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

/// Where a GSSAPI conversation is, server side.
#[cfg(feature = "gssapi")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GssServerPhase {
    /// None in progress.
    Idle,
    /// Context tokens are exchanged (`rounds` so far).
    Context { rounds: u8 },
    /// Our context completed with a last token: the client's answer must be
    /// empty, then the security-layer offer goes out.
    AwaitEmpty,
    /// The offer went out: the client's wrapped answer is next.
    AwaitLayer,
}

/// Bytes of base64 for a [`MAX_TOKEN_LEN`](crate::mech::gssapi::MAX_TOKEN_LEN)
/// token (also enough for the decoded input).
#[cfg(feature = "gssapi")]
const GSS_B64_LEN: usize = crate::mech::gssapi::MAX_TOKEN_LEN.div_ceil(3) * 4;

/// A GSSAPI reply's payload, in the type the client used.
#[cfg(feature = "gssapi")]
enum GssPayload<'a> {
    Binary(&'a [u8]),
    Text(&'a str),
}

/// A saslStart/saslContinue reply whose payload echoes the client's type.
#[cfg(feature = "gssapi")]
struct GssReply<'a> {
    done: bool,
    payload: GssPayload<'a>,
}

#[cfg(feature = "gssapi")]
impl WriteBody for GssReply<'_> {
    fn write_body(&self, w: &mut DocWriter<'_>) {
        let id = wire::ConversationId::Int32(CONVERSATION_ID);
        w.value("conversationId", &id.to_value()).bool("done", self.done);
        match self.payload {
            GssPayload::Binary(b) => {
                w.binary("payload", crate::codec::bson::BINARY_SUBTYPE_GENERIC, b);
            }
            GssPayload::Text(t) => {
                w.string("payload", t);
            }
        }
        w.double("ok", 1.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_index_covers_every_parser_it_feeds() {
        let keys = Hello::KEYS.iter().chain(&SaslStart::KEYS).chain(&SaslContinue::KEYS);
        for k in keys {
            assert!(COMMAND_KEYS.contains(k), "COMMAND_KEYS misses {k}");
        }
    }
}
