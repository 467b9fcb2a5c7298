//! The server-side login both benches measure (`scram.rs`, `native.rs`):
//! one copy, included by each with `#[path]`.

use std::hint::black_box;

use mongoauth::codec::wire;
use mongoauth::mech::scram::{Client, ClientConfig, Nonce, Sha256};
use mongoauth::server::{ServerSession, StaticUsers};

/// One server-side login through `ServerSession` (saslStart, then
/// saslContinue with the client's proof), for a known user (the proof
/// verifies) or an unknown one (decoy credentials; code 18). Stored keys,
/// so no PBKDF2 on the server: what the server pays per login.
pub struct ServerLogin {
    pub users: StaticUsers<4>,
    pub start: Vec<u8>,
    pub fin: Vec<u8>,
}

/// The server's entropy for every login of the bench (fixed: the same work each time).
pub const SERVER_ENTROPY: [u8; 24] = [0x42; 24];

impl ServerLogin {
    pub fn new(user: &str) -> Self {
        let users = StaticUsers::<4>::new()
            .with_scram_user("admin", "carol", "x", &[3; 28])
            .unwrap()
            .with_scram_user("admin", "alice", "pencil", &[1; 28])
            .unwrap();
        let nonce = Nonce::from_random(&[1u8; 24]).unwrap();
        let c = Client::<Sha256>::start(user, "pencil", &nonce, &ClientConfig::default()).unwrap();
        let mut start = vec![0u8; 1024];
        let cmd = wire::SaslStart {
            mechanism: "SCRAM-SHA-256",
            payload: c.message(),
            skip_empty_exchange: true,
            db: "admin",
        };
        let n = wire::encode_document(&cmd, &mut start).unwrap();
        start.truncate(n);
        let mut session = ServerSession::new(&users, [9; 32]);
        let mut out = vec![0u8; 2048];
        let m = session.handle(&start, &SERVER_ENTROPY, &mut out).unwrap();
        let doc = mongoauth::codec::bson::Document::parse(&out[..m]).unwrap();
        let reply = wire::SaslReply::parse(doc).unwrap().unwrap();
        let c = c.handle_server_first(reply.payload).unwrap();
        let mut fin = vec![0u8; 1024];
        let cmd = wire::SaslContinue {
            conversation_id: wire::ConversationId::Int32(1),
            payload: c.message(),
            db: "admin",
        };
        let n = wire::encode_document(&cmd, &mut fin).unwrap();
        fin.truncate(n);
        ServerLogin { users, start, fin }
    }

    pub fn run(&self) {
        let mut session = ServerSession::new(&self.users, [9; 32]);
        let mut out = [0u8; 2048];
        black_box(session.handle(black_box(&self.start), &SERVER_ENTROPY, &mut out).unwrap());
        black_box(session.handle(black_box(&self.fin), &SERVER_ENTROPY, &mut out).unwrap());
    }
}
