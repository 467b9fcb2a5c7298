//! Behaviour the spec suites do not pin down: error kinds and offsets, the
//! unescaped-password hint, secrets never printed, zeroization, buffer
//! sizing, warnings, SRV/TXT, the encoder, and the choices made where the
//! specs are silent.
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::uri::{
    CanonicalizeHostName, ConnectionString, Credential, CredentialContext, CredentialRule,
    HostKind, HostSpec, MAX_TAG_SETS, Mechanism, MechanismProperties, OidcEnvironment, OptionKey,
    ReadPreferenceMode, TxtOptions, UriBuilder, UriErrorKind, Warning, WarningKind, Warnings,
    WriteConcernW,
};

fn parse(uri: &str) -> ConnectionString<'_> {
    ConnectionString::parse(uri, &mut ()).unwrap_or_else(|e| panic!("{uri}: {e}"))
}

fn err(uri: &str) -> mongoauth::uri::UriError {
    match ConnectionString::parse(uri, &mut ()) {
        Ok(cs) => Credential::from_uri(&cs).expect_err(uri),
        Err(e) => e,
    }
}

fn cred(uri: &str) -> Credential<'_> {
    let cs = ConnectionString::parse(uri, &mut ()).unwrap();
    Credential::from_uri(&cs).unwrap().unwrap()
}

#[test]
fn errors_name_rule_and_offset() {
    let e = err("mongodb://alice:foo:bar@host");
    assert_eq!((e.kind, e.offset), (UriErrorKind::UnescapedColon, Some(19)));
    let e = err("mongodb://alice@@host");
    assert_eq!((e.kind, e.offset), (UriErrorKind::UnescapedAtSign, Some(15)));
    let e = err("mongodb://us%zzer:pw@host");
    assert_eq!((e.kind, e.offset), (UriErrorKind::InvalidPercentEscape, Some(12)));
    let e = err("mongodb://us%C3er@host");
    assert_eq!(e.kind, UriErrorKind::InvalidUtf8);
    let e = err("mongodb://us er@host");
    assert_eq!((e.kind, e.offset), (UriErrorKind::UnescapedCharacter, Some(12)));
    let e = err("mongodb://üser@host");
    assert_eq!((e.kind, e.offset), (UriErrorKind::UnescapedCharacter, Some(10)));
    let e = err("mongodb://host/d$b");
    assert_eq!((e.kind, e.offset), (UriErrorKind::InvalidDatabaseName, Some(15)));
    let e = err("mongodb://%2Ftmp%2Fmongo/");
    assert_eq!(e.kind, UriErrorKind::InvalidSocketPath);
    let e = ConnectionString::parse_bytes(b"mongodb://h\xff", &mut ()).unwrap_err();
    assert_eq!((e.kind, e.offset), (UriErrorKind::InvalidUtf8, Some(11)));
    assert_eq!(err("mongodb://[::1").kind, UriErrorKind::InvalidIpLiteral);
    assert_eq!(err("mongodb://a,,b").kind, UriErrorKind::EmptyHost);
    assert!(err("http://x").to_string().contains("at byte 0"));
}

#[test]
fn port_with_letters_suggests_an_unescaped_password() {
    // `?` ends the authority, so "user:pa" is read as host:port.
    let e = err("mongodb://user:pa?ss@host/db");
    assert_eq!(e.kind, UriErrorKind::PortNotNumeric { maybe_password: true });
    let msg = e.to_string();
    assert!(msg.contains("password"), "{msg}");
    assert!(!msg.contains("pa?ss") && !msg.contains("user:pa"), "{msg}");
    // With an `@`, a bad port is just a bad port.
    let e = err("mongodb://user:pass@host:abc");
    assert_eq!(e.kind, UriErrorKind::PortNotNumeric { maybe_password: false });
    // A `/` inside the password shows up as `@` after the first `/`.
    assert_eq!(err("mongodb://user:pa/ss@host").kind, UriErrorKind::UnescapedSlash);
}

#[test]
fn secrets_are_never_printed() {
    let uri = "mongodb://alice:hunter2@host/?tlsCertificateKeyFilePassword=s3cret\
               &proxyHost=p&proxyUsername=u&proxyPassword=pr0xy&authMechanism=PLAIN";
    let cs = parse(uri);
    let c = Credential::from_uri(&cs).unwrap().unwrap();
    let mut buf = [0u8; 32];
    let p = c.decode_password(&mut buf).unwrap().unwrap();
    let printed = format!("{cs:?} {:?} {c:?} {p:?} {:?}", cs.options(), cs.password());
    for secret in ["hunter2", "s3cret", "pr0xy"] {
        assert!(!printed.contains(secret), "{secret} leaked: {printed}");
    }
    assert!(printed.contains("alice"));
    // Errors about a password do not quote it.
    for bad in [
        "mongodb://alice:hun%zzter2@host",
        "mongodb://alice:hun:ter2@host",
        "mongodb://alice:hun ter2@host",
    ] {
        let e = err(bad);
        assert!(!format!("{e} {e:?}").contains("hun"), "{e}");
    }
}

#[test]
fn decoded_password_is_wiped_on_drop() {
    let c = cred("mongodb://alice:s%C3%A9cret@host");
    let mut buf = [0xAAu8; 16];
    {
        let p = c.decode_password(&mut buf).unwrap().unwrap();
        assert_eq!(p.as_str(), "sécret");
        assert_eq!(p.len(), 7);
    }
    assert_eq!(&buf[..7], &[0u8; 7]);
    assert_eq!(buf[7], 0xAA, "bytes past the password are not the password's");
}

#[test]
fn small_buffers_report_the_size_needed() {
    let c = cred("mongodb://al%69ce:secret@host");
    let mut tiny = [7u8; 3];
    let e = c.decode_username(&mut tiny).unwrap_err();
    assert_eq!(e.kind, UriErrorKind::BufferTooSmall(mongoauth::BufferTooSmall { required: 5 }));
    assert_eq!(tiny, [7; 3], "nothing written on failure");
    let e = c.decode_password(&mut tiny).unwrap_err();
    assert_eq!(e.kind, UriErrorKind::BufferTooSmall(mongoauth::BufferTooSmall { required: 6 }));
}

#[test]
fn plus_is_literal_and_absent_differs_from_empty() {
    let cs = parse("mongodb://a+b:c%2Bd+@host");
    assert_eq!(cs.username().unwrap(), "a+b");
    let mut buf = [0u8; 8];
    assert_eq!(cs.password().unwrap().decode(&mut buf).unwrap().as_str(), "c+d+");
    assert!(parse("mongodb://alice@host").password().is_none());
    assert!(parse("mongodb://alice:@host").password().unwrap().is_empty());
    // Decoded exactly once: %2525 is "%25", not "%".
    assert_eq!(parse("mongodb://a%2525@h").username().unwrap(), "a%25");
}

#[test]
fn warnings_reach_the_sink() {
    let mut w = Warnings::<8>::new();
    let uri = "mongodb://h/?foo=1&journal=&w=1&w=2&gssapiServiceName=x&retryWrites=yes";
    let cs = ConnectionString::parse(uri, &mut w).unwrap();
    let kinds: Vec<_> = w.as_slice().iter().map(|w| (w.kind, w.name)).collect();
    assert_eq!(
        kinds,
        [
            (WarningKind::UnknownOption, "foo"),
            (WarningKind::EmptyValue, "journal"),
            (WarningKind::RepeatedOption, "w"),
            (WarningKind::DeprecatedOption, "gssapiServiceName"),
            (WarningKind::InvalidValue, "retryWrites"),
        ]
    );
    assert_eq!(cs.options().w(), Some(WriteConcernW::Nodes(2)), "last valid value wins");
    assert_eq!(cs.options().retry_writes(), None, "legacy booleans are ignored");
    assert!(w.as_slice()[0].to_string().contains("byte 13"));

    // A closure sink, and a full list that counts what it could not keep.
    let mut n = 0;
    ConnectionString::parse("mongodb://h/?a=1&b=2&c=3", &mut |_: Warning<'_>| n += 1).unwrap();
    assert_eq!(n, 3);
    let mut one = Warnings::<1>::new();
    ConnectionString::parse("mongodb://h/?a=1&b=2&c=3", &mut one).unwrap();
    assert_eq!((one.as_slice().len(), one.total(), one.dropped()), (1, 3, 2));
}

#[test]
fn typed_options() {
    let cs = parse(
        "mongodb://h/?W=majority&readPreference=nearest&readPreferenceTags=dc:ny,rack:1&readPreferenceTags=\
         &maxStalenessSeconds=120&compressors=zstd,,zlib&zlibCompressionLevel=-1&wTimeoutMS=5000000000\
         &appName=my%20app&TLS=TRUE&ssl=true&serverMonitoringMode=poll",
    );
    let o = cs.options();
    assert_eq!(o.w(), Some(WriteConcernW::Majority));
    assert_eq!(o.read_preference(), Some(ReadPreferenceMode::Nearest));
    let tags = o.read_preference_tags();
    assert_eq!(tags.len(), 2);
    assert_eq!(tags[0].get("rack").unwrap(), "1");
    assert!(tags[1].is_empty());
    assert_eq!(o.max_staleness_seconds(), Some(120));
    let comp: Vec<String> = o.compressors().unwrap().iter().map(|c| c.to_string()).collect();
    assert_eq!(comp, ["zstd", "zlib"]);
    assert_eq!(o.zlib_compression_level(), Some(-1));
    assert_eq!(o.w_timeout_ms(), Some(5_000_000_000));
    assert_eq!(o.app_name().unwrap(), "my app");
    assert_eq!(o.tls(), Some(true));
    assert!(o.is_present(OptionKey::Ssl));
    assert_eq!(o.server_monitoring_mode().unwrap().as_str(), "poll");
    assert_eq!(cs.raw_options().count(), 12);
}

#[test]
fn option_rules() {
    let rule = |uri| err(uri).kind;
    assert!(matches!(
        rule("mongodb://h/?readPreferenceTags=dc:ny"),
        UriErrorKind::OptionRule { key: OptionKey::ReadPreferenceTags, .. }
    ));
    assert!(matches!(
        rule("mongodb://h/?readPreference=primary&maxStalenessSeconds=100"),
        UriErrorKind::OptionRule { key: OptionKey::MaxStalenessSeconds, .. }
    ));
    assert!(matches!(
        rule("mongodb://h/?minPoolSize=5&maxPoolSize=2"),
        UriErrorKind::OptionConflict { .. }
    ));
    assert!(matches!(
        rule("mongodb+srv://a.b.c/?directConnection=true"),
        UriErrorKind::OptionRule { .. }
    ));
    // This crate builds mongoauth with `mongodb-cr`, where MONGODB-CR is a
    // mechanism (without it: UnsupportedMechanism, naming SCRAM-SHA-256).
    let cs = parse("mongodb://u:p@h/?authMechanism=MONGODB-CR");
    let cred = Credential::from_uri(&cs).unwrap().unwrap().to_owned().unwrap();
    assert_eq!(cred.mechanism(), Some(Mechanism::MongodbCr));
    assert_eq!(rule("mongodb://h/?authMechanism=scram-sha-1"), UriErrorKind::UnknownMechanism);
    assert!(matches!(
        rule("mongodb+srv://a.b.c/?srvServiceName=bad_name"),
        UriErrorKind::InvalidOptionValue { .. }
    ));
    let many: String = (0..=MAX_TAG_SETS).map(|i| format!("&readPreferenceTags=dc:{i}")).collect();
    let uri = format!("mongodb://h/?readPreference=nearest{many}");
    assert!(matches!(rule(&uri), UriErrorKind::LimitExceeded { limit: MAX_TAG_SETS, .. }));
}

#[test]
fn mechanism_properties() {
    let c = cred(
        "mongodb://u@h/?authMechanism=MONGODB-OIDC&authMechanismProperties=environment:azure,\
         TOKEN_RESOURCE:abcd%25ef%3Ag%26hi",
    );
    let MechanismProperties::Oidc(o) = c.properties() else { panic!() };
    assert_eq!(o.environment, Some(OidcEnvironment::Azure));
    assert_eq!(o.token_resource.unwrap(), "abcd%ef:g&hi");

    // The deprecated alias still works and warns; the new form wins.
    let mut w = Warnings::<4>::new();
    let cs = ConnectionString::parse(
        "mongodb://u@h/?authMechanism=GSSAPI&gssapiServiceName=old",
        &mut w,
    )
    .unwrap();
    let c = Credential::from_uri(&cs).unwrap().unwrap();
    let MechanismProperties::Gssapi(g) = c.properties() else { panic!() };
    assert_eq!(g.service_name, "old");
    assert_eq!(w.total(), 1);
    let mut w = Warnings::<4>::new();
    let uri = "mongodb://u@h/?authMechanism=GSSAPI&gssapiServiceName=old\
               &authMechanismProperties=SERVICE_NAME:new,CANONICALIZE_HOST_NAME:true";
    let cs = ConnectionString::parse(uri, &mut w).unwrap();
    let c = Credential::from_uri(&cs).unwrap().unwrap();
    let MechanismProperties::Gssapi(g) = c.properties() else { panic!() };
    assert_eq!(g.service_name, "new");
    assert_eq!(g.canonicalize_host_name, CanonicalizeHostName::ForwardAndReverse);
    assert_eq!(w.as_slice()[1].kind, WarningKind::DeprecatedOptionIgnored);

    let mut w = Warnings::<4>::new();
    ConnectionString::parse("mongodb://h/?authMechanismProperties=A:1,a:2,junk", &mut w).unwrap();
    let kinds: Vec<_> = w.as_slice().iter().map(|w| w.kind).collect();
    assert_eq!(kinds, [WarningKind::RepeatedProperty, WarningKind::MalformedListItem]);
}

fn rule_of(uri: &str) -> CredentialRule {
    match err(uri).kind {
        UriErrorKind::Credential { rule, .. } => rule,
        other => panic!("{uri}: {other:?}"),
    }
}

#[test]
fn credential_decisions_where_the_spec_is_silent() {
    use CredentialRule as R;
    assert_eq!(
        rule_of("mongodb://h/?authMechanismProperties=SERVICE_NAME:x"),
        R::PropertiesWithoutMechanism
    );
    assert_eq!(rule_of("mongodb://alice@h"), R::PasswordRequired);
    assert_eq!(rule_of("mongodb://alice@h/?authMechanism=PLAIN"), R::PasswordRequired);
    assert_eq!(rule_of("mongodb://al%00ice:pw@h"), R::NulCharacter);
    assert_eq!(
        rule_of(
            "mongodb://u@h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:gcp,TOKEN_RESOURCE:a"
        ),
        R::UsernameNotAllowed
    );
    assert_eq!(
        rule_of(
            "mongodb://u@h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:k8s"
        ),
        R::UsernameNotAllowed
    );
    assert_eq!(
        rule_of(
            "mongodb://h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:k8s,TOKEN_RESOURCE:a"
        ),
        R::TokenResourceNotAllowed
    );
    assert_eq!(
        rule_of(
            "mongodb://h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:test,ALLOWED_HOSTS:x"
        ),
        R::AllowedHostsInUri
    );
    assert_eq!(
        rule_of("mongodb://u:p@h/?authMechanism=SCRAM-SHA-1&authMechanismProperties=A:b"),
        R::PropertiesNotAllowed
    );
    assert_eq!(
        rule_of(
            "mongodb://h/?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_CREDENTIAL_PROVIDER:x"
        ),
        R::PropertiesNotAllowed
    );

    // An OIDC callback configured in code replaces ENVIRONMENT.
    let cs = parse("mongodb://idp-user@h/?authMechanism=MONGODB-OIDC");
    let ctx = CredentialContext::new().with_oidc_callback();
    let c = Credential::from_uri_with(&cs, &ctx).unwrap().unwrap();
    assert_eq!(c.username().unwrap(), "idp-user");
    let cs =
        parse("mongodb://h/?authMechanism=MONGODB-OIDC&authMechanismProperties=ENVIRONMENT:test");
    assert!(Credential::from_uri_with(&cs, &ctx).is_err());

    // No @ and no authMechanism: no credential, even with a database or authSource.
    assert!(Credential::from_uri(&parse("mongodb://h/db?authSource=x")).unwrap().is_none());
    assert_eq!(cred("mongodb://u:p@h/db").source(), "db");
    assert_eq!(cred("mongodb://u:p@h/db?authMechanism=PLAIN").mechanism(), Some(Mechanism::Plain));
}

#[test]
fn srv_and_txt() {
    let cs = parse("mongodb+srv://u:p@cluster0.example.com/?srvServiceName=mongo-x");
    let srv = cs.srv_query_name().unwrap();
    assert_eq!(srv.to_string(), "_mongo-x._tcp.cluster0.example.com");
    let mut small = [0u8; 4];
    assert!(matches!(
        srv.write_into(&mut small).unwrap_err().kind,
        UriErrorKind::BufferTooSmall(mongoauth::BufferTooSmall { required: 34 })
    ));
    assert!(srv.is_valid_target("node1.example.com."));
    assert!(srv.is_valid_target("NODE1.EXAMPLE.COM"));
    assert!(!srv.is_valid_target("node1.evil.com"));
    assert!(!srv.is_valid_target("example.com"));
    let two = parse("mongodb+srv://example.com").srv_query_name().unwrap();
    assert!(two.is_valid_target("a.example.com") && !two.is_valid_target("example.com"));
    assert!(parse("mongodb://h").srv_query_name().is_none());
    assert_eq!(
        err("mongodb+srv://[::1]").kind,
        UriErrorKind::SrvHost { rule: "the host must be a DNS name" }
    );

    let txt = TxtOptions::parse("authSource=thesource&replicaSet=rs0").unwrap();
    assert_eq!(txt.replica_set().unwrap(), "rs0");
    let ctx = CredentialContext::new().with_txt(txt);
    assert_eq!(Credential::from_uri_with(&cs, &ctx).unwrap().unwrap().source(), "thesource");
    // The URI's own authSource wins over the TXT record's.
    let cs2 = parse("mongodb+srv://u:p@cluster0.example.com/?authSource=mine");
    assert_eq!(Credential::from_uri_with(&cs2, &ctx).unwrap().unwrap().source(), "mine");
    // A TXT authSource alone does not turn authentication on.
    assert!(
        Credential::from_uri_with(&parse("mongodb+srv://c.example.com"), &ctx).unwrap().is_none()
    );

    assert!(matches!(
        TxtOptions::parse("ssl=true").unwrap_err().kind,
        UriErrorKind::TxtRecord { .. }
    ));
    assert!(TxtOptions::parse_records(&["a=b", "c=d"]).is_err());
    let lb = TxtOptions::parse("loadBalanced=true").unwrap();
    assert!(lb.check_against(&parse("mongodb+srv://c.example.com/?srvMaxHosts=2")).is_err());
    assert!(lb.check_against(&parse("mongodb+srv://c.example.com/?srvMaxHosts=0")).is_ok());
}

#[test]
fn encoder() {
    let hosts = [
        HostSpec::with_port("db1.example.com", 27018),
        HostSpec::new("::1"),
        HostSpec::new("/tmp/mongo db.sock"),
    ];
    let opts = [("authSource", "admin"), ("appname", "a&b=c d")];
    let b = UriBuilder::new(&hosts)
        .credentials("us@r", Some("p:ss/w%rd+"))
        .database("my db?")
        .options(&opts);
    let mut out = [0u8; 256];
    let e = b.encode_into(&mut out).unwrap_err();
    assert!(matches!(e.kind, UriErrorKind::InvalidPart { .. }), "space in a database name");
    let b = b.database("my?db");
    let uri = b.encode_into(&mut out).unwrap();
    assert_eq!(
        uri,
        "mongodb://us%40r:p%3Ass%2Fw%25rd%2B@db1.example.com:27018,[::1],%2Ftmp%2Fmongo%20db.sock/my%3Fdb\
         ?authSource=admin&appname=a%26b%3Dc%20d"
    );
    let cs = parse(uri);
    assert_eq!(
        cs.hosts().map(|h| h.kind).collect::<Vec<_>>(),
        [HostKind::Hostname, HostKind::IpLiteral, HostKind::UnixSocket]
    );
    assert_eq!(cs.options().app_name().unwrap(), "a&b=c d");

    let len = b.encoded_len().unwrap();
    let mut short = vec![0xAAu8; len - 1];
    assert_eq!(
        b.encode_into(&mut short).unwrap_err().kind,
        UriErrorKind::BufferTooSmall(mongoauth::BufferTooSmall { required: len })
    );
    assert!(short.iter().all(|&x| x == 0), "a partial URI (with the password) is wiped");

    let srv_port = [HostSpec::with_port("a.example.com", 1)];
    let mut out2 = [0u8; 64];
    assert!(UriBuilder::new(&srv_port).srv().encode_into(&mut out2).is_err());
    assert!(UriBuilder::new(&[]).encode_into(&mut out2).is_err());
    assert!(!format!("{b:?}").contains("p:ss"));
    let mut s = String::new();
    b.write_to(&mut s).unwrap();
    assert_eq!(s.len(), len);
}

#[test]
fn footprint_is_bounded() {
    // Everything a parse stores lives in this one value; report its size.
    let size = core::mem::size_of::<ConnectionString<'static>>();
    let mut err = std::io::stderr();
    std::io::Write::write_fmt(
        &mut err,
        format_args!("size_of::<ConnectionString>() = {size} bytes\n"),
    )
    .unwrap();
    assert!(size < 4096, "{size}");
}
