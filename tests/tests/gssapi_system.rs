//! The system GSS-API library (feature `gssapi-system`, MIT krb5) against a
//! real realm on loopback: `SystemInitiator` meets `SystemAcceptor`
//! directly (no MongoDB conversation), both ways of wrapping, every way of
//! getting a credential, the target names, and the failures a login must
//! report with the library's status text.
//!
//! Each test runs in a child process inside its own realm
//! (`mongoauth_tests::krb::in_realm`): the Kerberos environment variables
//! are process-global, the realm is stopped when the child ends, also on
//! failure.

use mongoauth::mech::gssapi::{
    GssAcceptor, GssError, GssIdentity, GssInitiator, GssTarget, MAX_TOKEN_LEN,
};
use mongoauth::mech::gssapi_system::{
    SystemAcceptor, SystemInitiator, canonicalize_host, target_name,
};
use mongoauth::uri::CanonicalizeHostName;
use mongoauth_tests::krb::{REALM, USER, USER_PASSWORD, in_realm};

fn target(host: &str) -> GssTarget<'_> {
    GssTarget { service: "mongodb", host, realm: None, canonicalize: CanonicalizeHostName::None }
}

fn user() -> GssIdentity<'static> {
    GssIdentity { principal: Some(USER), password: None }
}

/// The major status and text of a library error (fails the test otherwise).
fn library(e: &GssError) -> (u32, String) {
    match e {
        GssError::Library { major, text, .. } => (*major, text.as_str().to_string()),
        other => panic!("expected a GSS library error, got {other:?}"),
    }
}

/// Run the context establishment to the end; returns the acceptor's view
/// of the initiator's principal.
#[allow(clippy::result_large_err)] // the contract's GssError, as the traits return it
fn establish(
    init: &mut SystemInitiator,
    acc: &mut SystemAcceptor,
    target: &GssTarget<'_>,
    identity: &GssIdentity<'_>,
) -> Result<String, GssError> {
    let mut to_acceptor = vec![0u8; MAX_TOKEN_LEN];
    let mut to_initiator = vec![0u8; MAX_TOKEN_LEN];
    let mut input: Vec<u8> = Vec::new();
    for _round in 0..10 {
        let s = init.step(target, identity, &input, &mut to_acceptor)?;
        let token = to_acceptor[..s.written].to_vec();
        if s.complete && token.is_empty() {
            break;
        }
        assert!(!token.is_empty(), "an incomplete initiator step produced no token");
        let a = acc.step(&token, &mut to_initiator)?;
        input = to_initiator[..a.written].to_vec();
        if s.complete {
            assert!(a.complete, "initiator complete but acceptor not");
            break;
        }
        if a.complete && input.is_empty() {
            break;
        }
    }
    assert!(init.is_complete(), "initiator context not established");
    let mut name = [0u8; 256];
    let n = acc.source_name(&mut name)?;
    Ok(String::from_utf8(name[..n].to_vec()).expect("UTF-8 principal"))
}

/// Both security-layer messages of RFC 4752, each through wrap and unwrap.
fn wrap_both_ways(init: &mut SystemInitiator, acc: &mut SystemAcceptor) {
    let mut token = vec![0u8; MAX_TOKEN_LEN];
    let mut message = vec![0u8; MAX_TOKEN_LEN];
    // Acceptor -> initiator: "no security layer", no maximum size.
    let offer = [0x01, 0, 0, 0];
    let n = acc.wrap(&offer, &mut token).expect("acceptor wrap");
    let wrapped = token[..n].to_vec();
    assert_ne!(wrapped, offer, "a wrap token is more than the message");
    let m = init.unwrap(&wrapped, &mut message).expect("initiator unwrap");
    assert_eq!(&message[..m], &offer);
    assert_eq!(&token[..n], &wrapped[..], "unwrap must not touch the caller's token");
    // Initiator -> acceptor: the answer with the authorization identity.
    let mut answer = vec![0x01, 0, 0, 0];
    answer.extend_from_slice(USER.as_bytes());
    let n = init.wrap(&answer, &mut token).expect("initiator wrap");
    let wrapped = token[..n].to_vec();
    let m = acc.unwrap(&wrapped, &mut message).expect("acceptor unwrap");
    assert_eq!(&message[..m], &answer[..]);
}

#[test]
fn ticket_from_kinit_context_and_wrap_both_ways() {
    in_realm("ticket_from_kinit_context_and_wrap_both_ways", &[], |realm| {
        realm.kinit_user();
        let mut init = SystemInitiator::new();
        let mut acc = SystemAcceptor::from_env().expect("acceptor from KRB5_KTNAME");
        let who = establish(&mut init, &mut acc, &target("localhost"), &user()).expect("context");
        assert_eq!(who, USER);
        wrap_both_ways(&mut init, &mut acc);
        // The same values serve a second login (a new context each).
        acc.reset();
        let who =
            establish(&mut init, &mut acc, &target("localhost"), &user()).expect("second context");
        assert_eq!(who, USER);
        wrap_both_ways(&mut init, &mut acc);
    });
}

#[test]
fn default_principal_from_the_ticket_cache() {
    in_realm("default_principal_from_the_ticket_cache", &[], |realm| {
        realm.kinit_user();
        let mut init = SystemInitiator::new();
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        let anyone = GssIdentity { principal: None, password: None };
        let who = establish(&mut init, &mut acc, &target("localhost"), &anyone).expect("context");
        assert_eq!(who, USER);
    });
}

#[test]
fn client_keytab_without_kinit() {
    in_realm(
        "client_keytab_without_kinit",
        &[("KRB5_CLIENT_KTNAME", "FILE:{dir}/user.keytab")],
        |_realm| {
            let mut init = SystemInitiator::new();
            let mut acc = SystemAcceptor::from_env().expect("acceptor");
            let who =
                establish(&mut init, &mut acc, &target("localhost"), &user()).expect("context");
            assert_eq!(who, USER);
            wrap_both_ways(&mut init, &mut acc);
        },
    );
}

#[test]
fn password_without_kinit_leaves_the_ticket_cache_alone() {
    in_realm("password_without_kinit_leaves_the_ticket_cache_alone", &[], |realm| {
        let mut init = SystemInitiator::new();
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        let with_pw = GssIdentity { principal: Some(USER), password: Some(USER_PASSWORD) };
        let who = establish(&mut init, &mut acc, &target("localhost"), &with_pw).expect("context");
        assert_eq!(who, USER);
        wrap_both_ways(&mut init, &mut acc);
        assert!(!realm.dir.join("ccache").exists(), "the password's ticket must stay in memory");
        // A wrong password is the KDC's refusal, with its text.
        let wrong = GssIdentity { principal: Some(USER), password: Some("wrongpw") };
        let e =
            establish(&mut SystemInitiator::new(), &mut acc.fresh(), &target("localhost"), &wrong)
                .expect_err("wrong password");
        let (major, text) = library(&e);
        assert_ne!(major, 0);
        assert!(text.contains("password"), "{text}");
        // A password needs a principal.
        let nobody = GssIdentity { principal: None, password: Some(USER_PASSWORD) };
        let e = SystemInitiator::new()
            .step(&target("localhost"), &nobody, &[], &mut [0u8; 64])
            .expect_err("password without principal");
        assert!(library(&e).1.contains("principal"), "{e}");
    });
}

#[test]
fn acceptor_from_an_explicit_keytab() {
    // KRB5_KTNAME points nowhere: only the explicit path can work.
    in_realm(
        "acceptor_from_an_explicit_keytab",
        &[("KRB5_KTNAME", "FILE:{dir}/absent.keytab")],
        |realm| {
            realm.kinit_user();
            let e = SystemAcceptor::from_env().map(|_| ()).expect_err("no key in KRB5_KTNAME");
            println!("from_env without a keytab: {e}");
            let e = SystemAcceptor::with_keytab(&realm.dir.join("absent.keytab"))
                .map(|_| ())
                .expect_err("missing keytab");
            println!("with_keytab(missing): {e}");
            let mut acc =
                SystemAcceptor::with_keytab(&realm.service_keytab()).expect("explicit keytab");
            let mut init = SystemInitiator::new();
            let who =
                establish(&mut init, &mut acc, &target("localhost"), &user()).expect("context");
            assert_eq!(who, USER);
            wrap_both_ways(&mut init, &mut acc);
        },
    );
}

#[test]
fn service_realm_names_the_principal() {
    in_realm("service_realm_names_the_principal", &[], |realm| {
        realm.kinit_user();
        let t = GssTarget { realm: Some(REALM), ..target("localhost") };
        assert_eq!(target_name(&t), "mongodb/localhost@MONGOAUTH.TEST");
        assert_eq!(target_name(&target("localhost")), "mongodb@localhost");
        let mut init = SystemInitiator::new();
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        assert_eq!(establish(&mut init, &mut acc, &t, &user()).expect("context"), USER);
        // A realm the KDC does not serve fails with the library's text.
        let other = GssTarget { realm: Some("ELSEWHERE.TEST"), ..target("localhost") };
        let e = establish(&mut SystemInitiator::new(), &mut acc.fresh(), &other, &user())
            .expect_err("foreign realm");
        println!("foreign realm: {e}");
        assert_ne!(library(&e).0, 0);
    });
}

#[test]
fn another_service_name_with_its_own_keytab() {
    in_realm("another_service_name_with_its_own_keytab", &[], |realm| {
        realm.kinit_user();
        let keytab = realm.add_service("other/localhost", "other.keytab");
        let t = GssTarget { service: "other", ..target("localhost") };
        let mut acc = SystemAcceptor::with_keytab(&keytab).expect("other keytab");
        let mut init = SystemInitiator::new();
        assert_eq!(establish(&mut init, &mut acc, &t, &user()).expect("context"), USER);
        wrap_both_ways(&mut init, &mut acc);
        // The default service toward an acceptor holding only `other`: the
        // acceptor has no key for the ticket.
        let mut acc = SystemAcceptor::with_keytab(&keytab).expect("other keytab");
        let e = establish(&mut SystemInitiator::new(), &mut acc, &target("localhost"), &user())
            .expect_err("no key for mongodb/localhost");
        println!("acceptor without the key: {e}");
        assert_ne!(library(&e).0, 0);
    });
}

#[test]
fn canonicalize_host_name() {
    in_realm("canonicalize_host_name", &[], |realm| {
        realm.kinit_user();
        // /etc/hosts maps 127.0.0.1 to localhost: the reverse lookup finds it.
        assert_eq!(
            canonicalize_host("127.0.0.1", CanonicalizeHostName::ForwardAndReverse),
            "localhost"
        );
        assert_eq!(canonicalize_host("127.0.0.1", CanonicalizeHostName::None), "127.0.0.1");
        assert_eq!(canonicalize_host("localhost", CanonicalizeHostName::Forward), "localhost");
        assert_eq!(canonicalize_host("LocalHost", CanonicalizeHostName::Forward), "localhost");
        // A name that does not resolve stays as given.
        assert_eq!(
            canonicalize_host("no-such-host.invalid", CanonicalizeHostName::Forward),
            "no-such-host.invalid"
        );
        assert_eq!(
            canonicalize_host("no-such-host.invalid", CanonicalizeHostName::ForwardAndReverse),
            "no-such-host.invalid"
        );
        // Without canonicalization, 127.0.0.1 names a service nobody has.
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        let e = establish(&mut SystemInitiator::new(), &mut acc, &target("127.0.0.1"), &user())
            .expect_err("mongodb/127.0.0.1 does not exist");
        println!("127.0.0.1 uncanonicalized: {e}");
        let t = GssTarget {
            canonicalize: CanonicalizeHostName::ForwardAndReverse,
            ..target("127.0.0.1")
        };
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        assert_eq!(
            establish(&mut SystemInitiator::new(), &mut acc, &t, &user()).expect("context"),
            USER
        );
        let t = GssTarget { canonicalize: CanonicalizeHostName::Forward, ..target("LocalHost") };
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        assert_eq!(
            establish(&mut SystemInitiator::new(), &mut acc, &t, &user()).expect("context"),
            USER
        );
    });
}

#[test]
fn no_ticket_and_no_keytab_is_a_clear_error() {
    in_realm("no_ticket_and_no_keytab_is_a_clear_error", &[], |_realm| {
        let e = SystemInitiator::new()
            .step(&target("localhost"), &user(), &[], &mut vec![0u8; MAX_TOKEN_LEN])
            .expect_err("no credentials");
        let (major, text) = library(&e);
        println!("no ticket: {e}");
        assert_ne!(major, 0);
        assert!(text.contains("credentials") || text.contains("cache"), "{text}");
        // Anonymous (no principal) fails the same way.
        let anyone = GssIdentity { principal: None, password: None };
        assert!(
            SystemInitiator::new()
                .step(&target("localhost"), &anyone, &[], &mut [0u8; 64])
                .is_err()
        );
    });
}

#[test]
fn wrong_service_name_is_a_clear_error() {
    in_realm("wrong_service_name_is_a_clear_error", &[], |realm| {
        realm.kinit_user();
        let t = GssTarget { service: "nosuchservice", ..target("localhost") };
        let e = SystemInitiator::new()
            .step(&t, &user(), &[], &mut vec![0u8; MAX_TOKEN_LEN])
            .expect_err("unknown service");
        let (major, text) = library(&e);
        println!("wrong service: {e}");
        assert_ne!(major, 0);
        assert!(text.contains("not found in Kerberos database"), "{text}");
    });
}

#[test]
fn tampered_tokens_are_refused() {
    in_realm("tampered_tokens_are_refused", &[], |realm| {
        realm.kinit_user();
        let mut out = vec![0u8; MAX_TOKEN_LEN];
        // A flipped byte inside the AP-REQ (past the GSS header).
        let mut init = SystemInitiator::new();
        let n =
            init.step(&target("localhost"), &user(), &[], &mut out).expect("first token").written;
        for at in [n / 2, n - 5] {
            let mut bad = out[..n].to_vec();
            bad[at] ^= 0x55;
            let mut acc = SystemAcceptor::from_env().expect("acceptor");
            let e = acc.step(&bad, &mut vec![0u8; MAX_TOKEN_LEN]).expect_err("tampered AP-REQ");
            println!("tampered AP-REQ at {at}: {e}");
            assert_ne!(library(&e).0, 0);
            let mut name = [0u8; 64];
            assert!(matches!(acc.source_name(&mut name), Err(GssError::NoContext)));
        }
        // Garbage is refused as well.
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        assert!(acc.step(b"not a token", &mut out).is_err());
        assert!(acc.step(&[], &mut out).is_err());

        // A tampered wrap token after a good context.
        let mut init = SystemInitiator::new();
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        establish(&mut init, &mut acc, &target("localhost"), &user()).expect("context");
        let mut token = vec![0u8; MAX_TOKEN_LEN];
        let n = acc.wrap(&[1, 0, 0, 0], &mut token).expect("wrap");
        let mut bad = token[..n].to_vec();
        let last = bad.len() - 1;
        bad[last] ^= 0x01;
        let e = init.unwrap(&bad, &mut out).expect_err("tampered wrap token");
        println!("tampered wrap token: {e}");
        assert_ne!(library(&e).0, 0);
        // A message wrapped by the other side's key: the acceptor's own
        // token sent back to it is refused too (direction check).
        let n = acc.wrap(&[1, 0, 0, 0], &mut token).expect("wrap");
        assert!(acc.unwrap(&token[..n], &mut out).is_err(), "reflected token accepted");
    });
}

#[test]
fn no_context_and_small_buffers() {
    in_realm("no_context_and_small_buffers", &[], |realm| {
        realm.kinit_user();
        let mut init = SystemInitiator::new();
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        let mut out = [0u8; 64];
        assert!(matches!(init.wrap(&[1, 0, 0, 0], &mut out), Err(GssError::NoContext)));
        assert!(matches!(init.unwrap(&[1, 0, 0, 0], &mut out), Err(GssError::NoContext)));
        assert!(matches!(acc.wrap(&[1, 0, 0, 0], &mut out), Err(GssError::NoContext)));
        assert!(matches!(acc.source_name(&mut out), Err(GssError::NoContext)));
        // A buffer too small says how much is needed, and the retry gets the
        // very same token (the context did not advance twice).
        let e = init
            .step(&target("localhost"), &user(), &[], &mut out)
            .expect_err("64 bytes is too small");
        let GssError::BufferTooSmall(b) = e else { panic!("expected BufferTooSmall, got {e:?}") };
        let mut big = vec![0u8; b.required];
        let s = init.step(&target("localhost"), &user(), &[], &mut big).expect("retry");
        assert_eq!(s.written, b.required);
        let mut reply = vec![0u8; MAX_TOKEN_LEN];
        let a = acc.step(&big, &mut reply).expect("the retried token is a valid AP-REQ");
        assert!(a.complete);
        let s = init
            .step(&target("localhost"), &user(), &reply[..a.written], &mut out)
            .expect("AP-REP");
        assert!(s.complete);
        // Unwrap into a too-small buffer, then retry: no replay error.
        let mut token = vec![0u8; MAX_TOKEN_LEN];
        let n = acc.wrap(&[1, 0, 0, 0], &mut token).expect("wrap");
        let e = init.unwrap(&token[..n], &mut [0u8; 2]).expect_err("2 bytes");
        assert!(matches!(e, GssError::BufferTooSmall(b) if b.required == 4));
        let m = init.unwrap(&token[..n], &mut out).expect("retry unwrap");
        assert_eq!(&out[..m], &[1, 0, 0, 0]);
    });
}

#[test]
fn expired_ticket_is_a_clear_error() {
    in_realm("expired_ticket_is_a_clear_error", &[], |realm| {
        // A 3-second ticket works at first...
        realm.kinit(USER, USER_PASSWORD, &["-l", "3s"]);
        let mut acc = SystemAcceptor::from_env().expect("acceptor");
        assert_eq!(
            establish(&mut SystemInitiator::new(), &mut acc, &target("localhost"), &user())
                .expect("fresh ticket"),
            USER
        );
        // ...and not once it has expired (waiting is the only way to get an
        // expired ticket from a real KDC; nothing here measures time).
        std::thread::sleep(std::time::Duration::from_secs(4));
        let e = SystemInitiator::new()
            .step(&target("localhost"), &user(), &[], &mut vec![0u8; MAX_TOKEN_LEN])
            .expect_err("expired ticket");
        let (major, text) = library(&e);
        println!("expired ticket: {e}");
        assert_ne!(major, 0);
        assert!(text.contains("expired"), "{text}");
    });
}
