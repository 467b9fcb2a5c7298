//! The optional layers, each behind a firmware feature so the footprint
//! table can show what it costs: parsing a connection string
//! (`mongoauth::uri`, feature `uri`) and a whole login over BSON commands
//! (`mongoauth::client`, `bson`, `wire`, `session`, feature `wire`).

/// Run the checks of the enabled pending features; `true` if all passed.
/// Never inlined: its buffers (about 14 KB with `wire`) must not land in
/// `firmware_main`'s frame, where every conversation's stack figure would
/// count them.
#[allow(unused_mut)] // mutated only when a pending feature is on
#[inline(never)]
pub fn run() -> bool {
    let mut ok = true;
    #[cfg(feature = "uri")]
    {
        ok &= uri();
    }
    #[cfg(not(feature = "uri"))]
    crate::rt::write_line(b"* connection string (mongoauth::uri): pending, feature `uri` off");
    #[cfg(feature = "wire")]
    {
        ok &= wire();
    }
    #[cfg(not(feature = "wire"))]
    crate::rt::write_line(
        b"* OP_MSG documents (mongoauth::codec::wire): pending, feature `wire` off",
    );
    ok
}

/// Parse a connection string and check the credential it yields.
#[cfg(feature = "uri")]
fn uri() -> bool {
    use mongoauth::mech::Mechanism;
    use mongoauth::uri::{ConnectionString, Credential};
    const URI: &str =
        "mongodb://user:pen%40cil@db.example:27017/admin?authMechanism=SCRAM-SHA-256&tls=true";
    let Ok(cs) = ConnectionString::parse(URI, &mut ()) else {
        crate::rt::write_line(b"  uri: parse failed");
        return false;
    };
    let Ok(Some(cred)) = Credential::from_uri(&cs) else {
        crate::rt::write_line(b"  uri: no credential");
        return false;
    };
    let (mut u, mut p) = ([0u8; 32], [0u8; 32]);
    let user_ok = matches!(cred.decode_username(&mut u), Ok(Some("user")));
    let pw_ok = matches!(cred.decode_password(&mut p), Ok(Some(pw)) if pw.as_str() == "pen@cil");
    let ok = user_ok
        && pw_ok
        && cred.mechanism() == Some(Mechanism::ScramSha256)
        && cs.options().tls() == Some(true)
        && cs.hosts().count() == 1;
    crate::rt::write_line(if ok {
        b"* connection string: ok"
    } else {
        b"* connection string: FAILED"
    });
    ok
}

/// A whole login on the target: the `Authenticator` builds `isMaster` (with
/// a speculative SCRAM-SHA-256 saslStart) and `saslContinue` as BSON, and an
/// in-memory `ServerSession` answers them, so BSON, the commands, reply
/// parsing, negotiation and the server side all run here.
#[cfg(feature = "wire")]
fn wire() -> bool {
    use mongoauth::client::{AuthConfig, Authenticator, Credential, Step};
    use mongoauth::server::{ServerSession, StaticUsers};
    let Ok(users) = StaticUsers::<1>::new().with_scram_user("admin", "user", "pencil", &[7; 28])
    else {
        crate::rt::write_line(b"  wire: user setup failed");
        return false;
    };
    let mut server = ServerSession::new(&users, [9; 32]);
    let Ok(cred) = Credential::scram("user", "pencil", "admin") else { return false };
    let Ok(mut auth) = Authenticator::new(cred, AuthConfig::default(), &[5; 48]) else {
        return false;
    };
    let (mut req, mut rep) = ([0u8; 512], [0u8; 512]);
    let mut steps = 0;
    while let Step::Send(cmd) = auth.step() {
        steps += 1;
        if steps > 4 {
            return false;
        }
        let Ok(n) = mongoauth::codec::wire::encode_document(&cmd, &mut req) else { return false };
        let Ok(m) = server.handle(req.get(..n).unwrap_or(&[]), &[3; 24], &mut rep) else {
            return false;
        };
        if auth.handle_reply(rep.get(..m).unwrap_or(&[])).is_err() {
            return false;
        }
    }
    let ok = auth.is_authenticated() && auth.used_speculative();
    crate::rt::write_line(if ok {
        b"* login over BSON commands: ok"
    } else {
        b"* login over BSON commands: FAILED"
    });
    ok
}
