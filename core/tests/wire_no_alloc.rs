//! Building and parsing every auth command and reply makes no heap
//! allocation: all of it runs over stack buffers inside `assert_no_alloc`.
#![allow(clippy::unwrap_used, missing_docs)]

// The shared guard is std code by nature.
#[path = "common/alloc_guard.rs"]
mod alloc_guard;

use mongoauth::codec::bson::{DocWriter, Document, Value};
use mongoauth::codec::wire::{
    self, Authenticate, AuthenticateReply, Command, CommandError, CommandKind, ConversationId,
    Hello, HelloReply, MechList, OkReply, SaslContinue, SaslReply, SaslStart, Speculative,
    SpeculativeReply, UserRef, WriteBody,
};

const CLIENT_FIRST: &[u8] = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
const SERVER_FIRST: &[u8] =
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

/// Encode `body` as a frame in `buf` and return the parsed body document.
fn round<'b>(buf: &'b mut [u8], body: &impl WriteBody) -> Document<'b> {
    let n = wire::encode_message(1, 0, body, buf).unwrap();
    let frame = &buf[..n];
    let header: &[u8; 16] = frame[..16].try_into().unwrap();
    assert_eq!(wire::frame_len_in(header, frame.len()).unwrap(), n);
    wire::parse_op_msg(frame).unwrap().body
}

#[test]
fn guard_works() {
    alloc_guard::self_test();
}

#[test]
fn client_commands_build_and_parse_without_allocating() {
    alloc_guard::assert_no_alloc("client commands", || {
        let mut buf = [0u8; 512];
        let start = SaslStart {
            mechanism: "SCRAM-SHA-256",
            payload: CLIENT_FIRST,
            skip_empty_exchange: true,
            db: "admin",
        };
        let d = round(&mut buf, &start);
        assert_eq!(SaslStart::parse(d).unwrap(), start);
        assert_eq!(Command::parse(d).unwrap().kind(), CommandKind::SaslStart);

        let mut client = [0u8; 128];
        let mut w = DocWriter::new(&mut client);
        w.document("driver", |d| {
            d.string("name", "mongoauth");
        });
        let n = w.finish().unwrap();
        let client = Document::parse(&client[..n]).unwrap();
        let hello = Hello {
            legacy: false,
            sasl_supported_mechs: Some(UserRef { db: "admin", user: "user" }),
            speculative_authenticate: Some(Speculative::SaslStart(start)),
            client: Some(client),
            db: "admin",
        };
        let mut buf = [0u8; 512];
        let d = round(&mut buf, &hello);
        assert_eq!(Hello::parse(d).unwrap(), hello);

        let cont = SaslContinue {
            conversation_id: ConversationId::Int32(1),
            payload: b"c=biws,r=x,p=y",
            db: "admin",
        };
        let mut buf = [0u8; 512];
        let d = round(&mut buf, &cont);
        assert_eq!(SaslContinue::parse(d).unwrap(), cont);

        let x509 = Authenticate::x509(Some("CN=client"));
        let mut buf = [0u8; 512];
        let d = round(&mut buf, &x509);
        assert_eq!(Authenticate::parse(d).unwrap(), x509);

        let spec = Hello {
            speculative_authenticate: Some(Speculative::Authenticate(x509)),
            ..Hello::default()
        };
        let mut buf = [0u8; 512];
        let d = round(&mut buf, &spec);
        assert_eq!(Hello::parse(d).unwrap(), spec);

        // Capacity errors allocate nothing either.
        let mut tiny = [0u8; 8];
        assert!(matches!(
            wire::encode_message(1, 0, &hello, &mut tiny),
            Err(wire::WireError::BufferTooSmall(_))
        ));
    });
}

#[test]
fn replies_build_and_parse_without_allocating() {
    alloc_guard::assert_no_alloc("replies", || {
        let mut buf = [0u8; 512];
        let sasl = SaslReply {
            conversation_id: ConversationId::Int64(1),
            done: false,
            payload: SERVER_FIRST,
        };
        let d = round(&mut buf, &sasl);
        assert_eq!(SaslReply::parse(d).unwrap().unwrap(), sasl);

        let mechs = ["SCRAM-SHA-1", "SCRAM-SHA-256"];
        let hello = HelloReply {
            local_time: Some(1),
            connection_id: Some(7),
            sasl_supported_mechs: Some(MechList::Names(&mechs)),
            speculative_authenticate: Some(SpeculativeReply::Sasl(sasl)),
            ..HelloReply::primary()
        };
        let mut buf = [0u8; 512];
        let d = round(&mut buf, &hello);
        let parsed = HelloReply::parse(d).unwrap().unwrap();
        let mechs_listed = parsed.sasl_supported_mechs.iter().flat_map(|l| l.iter());
        assert_eq!(
            mongoauth::mech::negotiate(mechs_listed),
            mongoauth::mech::Mechanism::ScramSha256
        );
        assert!(parsed.sasl_supported_mechs.unwrap().iter().eq(mechs));
        assert_eq!(parsed.speculative_authenticate.unwrap().sasl().unwrap(), sasl);

        let x = AuthenticateReply { dbname: Some("$external"), user: Some("CN=client") };
        let mut buf = [0u8; 256];
        let d = round(&mut buf, &x);
        assert_eq!(AuthenticateReply::parse(d).unwrap().unwrap(), x);

        let mut buf = [0u8; 256];
        let d = round(&mut buf, &CommandError::AUTHENTICATION_FAILED);
        let e = SaslReply::parse(d).unwrap().unwrap_err();
        assert!(e.is_authentication_failed());

        let mut buf = [0u8; 64];
        let d = round(&mut buf, &OkReply);
        assert_eq!(wire::check_ok(&d).unwrap(), Ok(()));

        // Iterating and copying values through the writer.
        let mut copy = [0u8; 512];
        let mut w = DocWriter::new(&mut copy);
        for e in d.iter() {
            w.value(e.key, &e.value);
        }
        w.value("n", &Value::Null);
        assert!(w.finish().is_ok());
    });
}

#[test]
fn malformed_input_errors_without_allocating() {
    alloc_guard::assert_no_alloc("malformed", || {
        let mut buf = [0u8; 128];
        let n = wire::encode_message(1, 0, &OkReply, &mut buf).unwrap();
        for cut in 0..n {
            assert!(wire::parse_op_msg(&buf[..cut]).is_err());
        }
        buf[20] = 1;
        assert!(wire::parse_op_msg(&buf[..n]).is_err());
        assert!(Document::parse(&[5, 0, 0, 0, 1]).is_err());
        assert!(Document::parse(&[9, 0, 0, 0, 8, b'b', 0, 2, 0]).is_err());
    });
}

#[test]
fn server_frames_are_answered_without_allocating() {
    use mongoauth::mech::scram::{Client, ClientConfig, Nonce, Sha256};
    use mongoauth::server::{ServerSession, StaticUsers};
    let users = StaticUsers::<1>::new().with_scram_user("admin", "alice", "pencil", &[1; 28]);
    let users = users.unwrap();
    alloc_guard::assert_no_alloc("server frames", || {
        let mut session = ServerSession::new(&users, [9; 32]);
        let (mut req, mut rep) = ([0u8; 512], [0u8; 512]);
        // hello, asking for the user's mechanisms
        let hello = Hello {
            legacy: false,
            sasl_supported_mechs: Some(UserRef { db: "admin", user: "alice" }),
            ..Hello::default()
        };
        let n = wire::encode_message(1, 0, &hello, &mut req).unwrap();
        let m = session.handle_frame(&req[..n], 2, &[3; 24], &mut rep).unwrap();
        let body = wire::parse_op_msg(&rep[..m]).unwrap().body;
        let reply = HelloReply::parse(body).unwrap().unwrap();
        assert!(reply.sasl_supported_mechs.unwrap().contains("SCRAM-SHA-256"));
        // saslStart, then saslContinue with the proof
        let nonce = Nonce::from_random(&[1; 24]).unwrap();
        let c = Client::<Sha256>::start("alice", "pencil", &nonce, &ClientConfig::default());
        let c = c.unwrap();
        let start = SaslStart {
            mechanism: "SCRAM-SHA-256",
            payload: c.message(),
            skip_empty_exchange: true,
            db: "admin",
        };
        let n = wire::encode_message(3, 0, &start, &mut req).unwrap();
        let m = session.handle_frame(&req[..n], 4, &[3; 24], &mut rep).unwrap();
        let body = wire::parse_op_msg(&rep[..m]).unwrap().body;
        let first = SaslReply::parse(body).unwrap().unwrap();
        let c = c.handle_server_first(first.payload).unwrap();
        let cont = SaslContinue {
            conversation_id: first.conversation_id,
            payload: c.message(),
            db: "admin",
        };
        let n = wire::encode_message(5, 0, &cont, &mut req).unwrap();
        let m = session.handle_frame(&req[..n], 6, &[3; 24], &mut rep).unwrap();
        let body = wire::parse_op_msg(&rep[..m]).unwrap().body;
        let last = SaslReply::parse(body).unwrap().unwrap();
        assert!(last.done);
        c.handle_server_final(last.payload).unwrap();
        assert_eq!(session.authenticated_user(), Some(("admin", "alice")));
    });
}
