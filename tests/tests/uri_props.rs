//! Property tests for the connection-string layer: no input makes it panic,
//! and what the encoder writes parses back to the same parts.
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::uri::{ConnectionString, Credential, HostKind, HostSpec, UriBuilder, Warnings};
use proptest::prelude::*;

/// Touch every lazy view of a parsed URI (iteration, decoding, Display).
fn exercise(cs: &ConnectionString<'_>) {
    assert_eq!(cs.hosts().count(), cs.host_count(), "hosts() must yield every validated host");
    let mut buf = [0u8; 1024];
    for h in cs.hosts() {
        let s = h.host.decode(&mut buf).unwrap().to_owned();
        assert_eq!(s, h.host.to_string());
    }
    if let Some(db) = cs.database() {
        assert_eq!(db.decode(&mut buf).unwrap(), db.to_string());
    }
    for o in cs.raw_options() {
        let _ = (o.key.to_string(), o.value.to_string());
    }
    for (_, v) in cs.options().iter() {
        let _ = format!("{v:?}");
    }
    let _ = format!("{cs:?}");
    if let Some(srv) = cs.srv_query_name() {
        let _ = srv.to_string();
    }
    if let Ok(Some(c)) = Credential::from_uri(cs) {
        let (mut u, mut p) = ([0u8; 1024], [0u8; 1024]);
        let _ = c.decode_username(&mut u).unwrap();
        let _ = c.decode_password(&mut p).unwrap();
    }
}

/// Characters that matter to the grammar, plus some ordinary ones.
fn uri_like() -> impl Strategy<Value = String> {
    let body = proptest::collection::vec(
        prop_oneof![
            Just("@"),
            Just(":"),
            Just("/"),
            Just("%"),
            Just("?"),
            Just("#"),
            Just("&"),
            Just("="),
            Just(","),
            Just("["),
            Just("]"),
            Just("+"),
            Just("."),
            Just("%2F"),
            Just("%25"),
            Just("%C3"),
            Just("%A9"),
            Just("a"),
            Just("1"),
            Just("sock"),
            Just("ü"),
            Just(" "),
            Just("tls=true"),
            Just("authMechanism=GSSAPI"),
            Just("authMechanism=MONGODB-OIDC"),
            Just("authMechanismProperties="),
            Just("ENVIRONMENT:azure"),
            Just("readPreferenceTags=dc:ny"),
            Just("srvMaxHosts=1"),
            Just("directConnection=true"),
            Just("27017"),
            Just("65536"),
            Just("localhost"),
        ],
        0..24,
    );
    (prop_oneof![Just("mongodb://"), Just("mongodb+srv://"), Just("MongoDB://"), Just("")], body)
        .prop_map(|(s, parts)| format!("{s}{}", parts.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let mut w = Warnings::<4>::new();
        if let Ok(cs) = ConnectionString::parse_bytes(&bytes, &mut w) {
            exercise(&cs);
        }
        let mut prefixed = b"mongodb://".to_vec();
        prefixed.extend_from_slice(&bytes);
        if let Ok(cs) = ConnectionString::parse_bytes(&prefixed, &mut ()) {
            exercise(&cs);
        }
    }

    #[test]
    fn never_panics_on_strings(s in any::<String>()) {
        if let Ok(cs) = ConnectionString::parse(&s, &mut ()) {
            exercise(&cs);
        }
        let prefixed = format!("mongodb://{s}");
        if let Ok(cs) = ConnectionString::parse(&prefixed, &mut ()) {
            exercise(&cs);
        }
    }

    #[test]
    fn never_panics_on_grammar_soup(s in uri_like()) {
        let mut seen = 0usize;
        let mut sink = |w: mongoauth::uri::Warning<'_>| { let _ = w.to_string(); seen += 1; };
        match ConnectionString::parse(&s, &mut sink) {
            Ok(cs) => exercise(&cs),
            Err(e) => {
                // Every error formats, and its offset lies inside the input.
                let _ = e.to_string();
                if let Some(off) = e.offset() {
                    prop_assert!(off <= s.len(), "offset {off} beyond input of {} bytes", s.len());
                }
            }
        }
    }
}

#[derive(Debug, Clone)]
struct HostCase {
    host: String,
    port: Option<u16>,
    kind: HostKind,
}

fn host_case() -> impl Strategy<Value = HostCase> {
    let name = prop_oneof![
        "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6}){0,2}".prop_map(|h| (h, HostKind::Hostname)),
        "[a-zäöüé]{1,8}\\.example".prop_map(|h| (h, HostKind::Hostname)),
        any::<[u8; 4]>()
            .prop_map(|o| (format!("{}.{}.{}.{}", o[0], o[1], o[2], o[3]), HostKind::Ipv4)),
        prop_oneof![Just("::1".to_owned()), "([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}"]
            .prop_map(|h| (h, HostKind::IpLiteral)),
        "/?[a-z %@:,?#]{1,8}/[a-z0-9.-]{1,8}\\.sock".prop_map(|h| (h, HostKind::UnixSocket)),
    ];
    (name, proptest::option::of(1u16..=65535)).prop_map(|((host, kind), port)| HostCase {
        host,
        port,
        kind,
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_parse_round_trips(
        user in any::<String>(),
        pass in proptest::option::of(any::<String>()),
        hosts in proptest::collection::vec(host_case(), 1..4),
        db in "[a-zA-Z0-9_.?#@%&=+é-]{0,12}",
        replica_set in "\\PC{1,16}",
    ) {
        let specs: Vec<HostSpec<'_>> = hosts.iter().map(|h| HostSpec { host: &h.host, port: h.port }).collect();
        let opts = [("replicaSet", replica_set.as_str())];
        let builder = UriBuilder::new(&specs).credentials(&user, pass.as_deref()).database(&db).options(&opts);
        let len = builder.encoded_len().unwrap();
        let mut out = vec![0u8; len];
        let uri = builder.encode_into(&mut out).unwrap();
        prop_assert_eq!(uri.len(), len);

        let mut warnings = Warnings::<4>::new();
        let cs = ConnectionString::parse(uri, &mut warnings)
            .map_err(|e| TestCaseError::fail(format!("{uri:?}: {e}")))?;
        prop_assert!(warnings.is_empty(), "warnings for {:?}: {:?}", uri, warnings.as_slice());
        prop_assert_eq!(cs.username().unwrap().to_string(), user);
        let got_pass = cs.password().map(|p| {
            let mut b = vec![0u8; p.decoded_len()];
            p.decode(&mut b).unwrap().as_str().to_owned()
        });
        prop_assert_eq!(got_pass, pass);
        let got: Vec<(String, Option<u16>, HostKind)> =
            cs.hosts().map(|h| (h.host.to_string(), h.port, h.kind)).collect();
        let want: Vec<(String, Option<u16>, HostKind)> =
            hosts.iter().map(|h| (h.host.clone(), h.port, h.kind)).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(cs.database().map(|d| d.to_string()), (!db.is_empty()).then_some(db));
        prop_assert_eq!(cs.options().replica_set().unwrap().to_string(), replica_set);
    }

    #[test]
    fn srv_round_trips(host in "[a-z]{1,8}\\.[a-z]{1,8}\\.[a-z]{2,4}", user in "\\PC{1,12}") {
        let specs = [HostSpec::new(&host)];
        let mut out = [0u8; 256];
        let uri = UriBuilder::new(&specs).srv().credentials(&user, None).encode_into(&mut out).unwrap();
        let cs = ConnectionString::parse(uri, &mut ()).unwrap();
        prop_assert_eq!(cs.srv_query_name().unwrap().to_string(), format!("_mongodb._tcp.{host}"));
        prop_assert_eq!(cs.username().unwrap().to_string(), user);
    }
}
