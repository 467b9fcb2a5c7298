//! Connection strings as the real drivers read them (issue #12 items 9-12):
//! IPv6 zone ids, the scheme's case, sizes the drivers accept, and an
//! encoded `,` in `authMechanismProperties`. pymongo 4.20.1 (from the test
//! venv) is asked the same questions where it answers them.
#![allow(clippy::unwrap_used, missing_docs)]

use mongoauth::uri::{
    ConnectionString, Credential, HostKind, HostSpec, MechanismProperties, Scheme, UriBuilder,
    UriErrorKind, WarningKind, Warnings,
};
use mongoauth_tests::venv_python;

fn parse(uri: &str) -> Result<ConnectionString<'_>, UriErrorKind> {
    ConnectionString::parse(uri, &mut ()).map_err(|e| e.kind())
}

// ---- item 9: IPv6 zone ids ---------------------------------------------------

#[test]
fn ipv6_zone_ids_are_accepted_and_kept() {
    for (uri, port) in [
        ("mongodb://[fe80::1%25eth0]", None),
        ("mongodb://[fe80::1%25eth0]:27018/admin", Some(27018)),
        ("mongodb://u:p@[fe80::1%25eth0],[::1]:2/?authSource=x", None),
    ] {
        let cs = parse(uri).unwrap_or_else(|e| panic!("{uri}: {e:?}"));
        let h = cs.hosts().next().unwrap();
        assert_eq!(h.kind, HostKind::IpLiteral, "{uri}");
        assert_eq!(h.host.encoded(), "fe80::1%25eth0", "{uri}");
        // Decoded as pymongo and libmongoc hold it.
        assert_eq!(h.host.to_string(), "fe80::1%eth0", "{uri}");
        assert_eq!(h.port, port, "{uri}");
    }
    let cs = parse("mongodb://[fe80::1%25en%2Dp0s1]").unwrap();
    assert_eq!(cs.hosts().next().unwrap().host.to_string(), "fe80::1%en-p0s1");
}

#[test]
fn malformed_zone_ids_are_refused() {
    for uri in [
        "mongodb://[fe80::1%eth0]",      // RFC 6874: the % is written %25
        "mongodb://[fe80::1%25]",        // empty zone
        "mongodb://[fe80::1%25eth 0]",   // space
        "mongodb://[fe80::1%25eth0%]",   // broken escape
        "mongodb://[fe80::1%25eth%2C0]", // a delimiter, encoded
        "mongodb://[fe80::1%25eth%5D0]",
        "mongodb://[fe80::1%25eth/0]",
        "mongodb://[%25eth0]",     // no address
        "mongodb://[fe80%25eth0]", // not IPv6
        "mongodb://[fe80::1%25eth0",
    ] {
        assert!(parse(uri).is_err(), "{uri} parsed");
    }
}

#[test]
fn zone_ids_round_trip_through_the_builder() {
    let hosts = [HostSpec::with_port("fe80::1%eth0", 27018), HostSpec::new("[::1%lo]")];
    let b = UriBuilder::new(&hosts);
    let mut buf = [0u8; 128];
    let uri = b.encode_into(&mut buf).unwrap();
    assert_eq!(uri, "mongodb://[fe80::1%25eth0]:27018,[::1%25lo]");
    let cs = parse(uri).unwrap();
    let got: Vec<String> = cs.hosts().map(|h| h.host.to_string()).collect();
    assert_eq!(got, ["fe80::1%eth0", "::1%lo"]);
    for bad in ["fe80::1%", "fe80::1%a,b", "fe80::1%a]b"] {
        let hosts = [HostSpec::new(bad)];
        assert!(UriBuilder::new(&hosts).encoded_len().is_err(), "{bad}");
    }
}

// ---- item 10: the scheme is case-sensitive -------------------------------------

#[test]
fn the_scheme_is_case_sensitive() {
    for uri in [
        "MONGODB://localhost",
        "MongoDB://localhost",
        "mongoDB://localhost",
        "MONGODB+SRV://cluster0.example.com",
        "mongodb+SRV://cluster0.example.com",
    ] {
        assert_eq!(parse(uri).err(), Some(UriErrorKind::InvalidScheme), "{uri}");
    }
    assert_eq!(parse("mongodb://localhost").unwrap().scheme(), Scheme::Mongodb);
    assert_eq!(parse("mongodb+srv://a.example.com").unwrap().scheme(), Scheme::MongodbSrv);
}

// ---- item 11: sizes the drivers accept ----------------------------------------

#[test]
fn a_5000_byte_password_parses_and_decodes() {
    let password: String = (0..5000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
    let uri = format!("mongodb://user:{password}@localhost/admin");
    let cs = parse(&uri).unwrap();
    let cred = Credential::from_uri(&cs).unwrap().unwrap();
    let mut buf = vec![0u8; 5000];
    assert_eq!(cred.decode_password(&mut buf).unwrap().unwrap().as_str(), password);
    // Encoded, it is three times longer and still fine.
    let encoded: String = password.bytes().map(|b| format!("%{b:02X}")).collect();
    let uri = format!("mongodb://user:{encoded}@localhost/admin");
    let cs = parse(&uri).unwrap();
    let cred = Credential::from_uri(&cs).unwrap().unwrap();
    assert_eq!(cred.decode_password(&mut buf).unwrap().unwrap().as_str(), password);
}

#[test]
fn two_hundred_hosts_parse() {
    let hosts: Vec<String> =
        (0..200).map(|i| format!("host{i}.example.com:{}", 27017 + i)).collect();
    let uri = format!("mongodb://u:p@{}/?replicaSet=rs0", hosts.join(","));
    let cs = parse(&uri).unwrap();
    assert_eq!(cs.host_count(), 200);
    let got: Vec<String> = cs.hosts().map(|h| format!("{}:{}", h.host, h.port.unwrap())).collect();
    assert_eq!(got, hosts);
}

/// A 64 KiB URI: 200 hosts, a long password, long option values.
pub fn uri_of_64k() -> String {
    let hosts: Vec<String> = (0..200).map(|i| format!("h{i}.example.com")).collect();
    let password = "p".repeat(5000);
    let mut uri = format!("mongodb://user:{password}@{}/admin?appName=x", hosts.join(","));
    let mut i = 0;
    while uri.len() < 65536 - 40 {
        uri.push_str(&format!("&unknownOption{i}=value"));
        i += 1;
    }
    uri.push_str(&"x".repeat(65536 - uri.len()));
    uri
}

#[test]
fn a_64_kib_uri_parses() {
    let uri = uri_of_64k();
    assert_eq!(uri.len(), 65536);
    let mut warnings = Warnings::<4>::new();
    let cs = ConnectionString::parse(&uri, &mut warnings).unwrap();
    assert_eq!(cs.host_count(), 200);
    assert!(warnings.total() > 1000, "every unknown option is reported");
    let cred = Credential::from_uri(&cs).unwrap().unwrap();
    assert_eq!(cred.password().unwrap().decoded_len(), 5000);
}

// ---- item 12: an encoded `,` in authMechanismProperties -------------------------

#[test]
fn an_encoded_comma_stays_in_its_property_value() {
    let uri = "mongodb://u@localhost/?authMechanism=MONGODB-OIDC\
               &authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:api%2Cv2";
    let mut warnings = Warnings::<8>::new();
    let cs = ConnectionString::parse(uri, &mut warnings).unwrap();
    let kinds: Vec<WarningKind> = warnings.as_slice().iter().map(|w| w.kind).collect();
    assert_eq!(kinds, [WarningKind::EncodedComma]);
    let props = cs.options().auth_mechanism_properties().unwrap();
    let pairs: Vec<(String, String)> =
        props.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    assert_eq!(
        pairs,
        [("ENVIRONMENT".into(), "azure".into()), ("TOKEN_RESOURCE".into(), "api,v2".into())]
    );
    let cred = Credential::from_uri(&cs).unwrap().unwrap();
    let MechanismProperties::Oidc(oidc) = cred.properties() else { panic!() };
    assert_eq!(oidc.token_resource.unwrap().to_string(), "api,v2");
    // Escaped `:` stays data too; a literal `:` in the value still works.
    let uri = "mongodb://u@localhost/?authMechanism=MONGODB-OIDC\
               &authMechanismProperties=ENVIRONMENT:azure,TOKEN_RESOURCE:mongodb://h1%2Ch2:1";
    let cs = parse(uri).unwrap();
    let cred = Credential::from_uri(&cs).unwrap().unwrap();
    let MechanismProperties::Oidc(oidc) = cred.properties() else { panic!() };
    assert_eq!(oidc.token_resource.unwrap().to_string(), "mongodb://h1,h2:1");
}

// ---- the peer: what pymongo says about the same strings -------------------------

#[test]
fn pymongo_agrees_on_zone_ids_and_scheme_case() {
    let script = r#"
import sys
from pymongo.uri_parser import parse_uri
for uri in sys.argv[1:]:
    try:
        nodes = parse_uri(uri)["nodelist"]
        print("OK " + " ".join(f"{h}|{p}" for h, p in nodes))
    except Exception as e:
        print("ERR " + type(e).__name__)
"#;
    let uris = [
        "mongodb://[fe80::1%25eth0]",
        "mongodb://[fe80::1%25eth0]:27018",
        "mongodb://MONGODB@[::1%25lo]:2",
        "MONGODB://localhost",
        "Mongodb+srv://cluster0.example.com",
    ];
    let out = std::process::Command::new(venv_python())
        .arg("-c")
        .arg(script)
        .args(uris)
        .output()
        .expect("run pymongo");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let lines: Vec<String> =
        String::from_utf8(out.stdout).unwrap().lines().map(String::from).collect();
    assert_eq!(lines.len(), uris.len());
    for (uri, theirs) in uris.iter().zip(&lines) {
        let ours = match parse(uri) {
            Ok(cs) => {
                let hosts: Vec<String> =
                    cs.hosts().map(|h| format!("{}|{}", h.host, h.port.unwrap_or(27017))).collect();
                format!("OK {}", hosts.join(" "))
            }
            Err(_) => "ERR InvalidURI".to_string(),
        };
        assert_eq!(&ours, theirs, "{uri}");
    }
}
