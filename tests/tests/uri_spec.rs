//! The MongoDB spec suites for connection strings: `connection-string/*.json`
//! and `uri-options/*.json` against the syntax layer
//! (`ConnectionString::parse`), and `auth/legacy/connection-string.json`
//! against parse + the credential layer (`Credential::from_uri`).
//!
//! Prints, per file, how many cases ran, passed and were skipped (written
//! straight to stderr, so it shows without `--nocapture`), then the total.
#![allow(clippy::unwrap_used, missing_docs)]

use std::io::Write as _;

use mongoauth::uri::{
    ConnectionString, Credential, HostKind, MechanismProperties, OptionKey, OptionValue, Options,
    Warnings, WriteConcernW,
};
use serde_json::{Map, Value, json};

/// Cases skipped on purpose: (file, index, description, reason).
const SKIPS: &[(&str, usize, &str, &str)] = &[
    (
        "auth/legacy/connection-string.json",
        42,
        "should use username and password if specified (MONGODB-AWS)",
        "stale: MONGODB-AWS no longer accepts explicit credentials (spec change 2a836942, DRIVERS-3131); contradicts #44-#46",
    ),
    (
        "auth/legacy/connection-string.json",
        43,
        "should use username, password and session token if specified (MONGODB-AWS)",
        "stale: AWS_SESSION_TOKEN in the URI is now an error (same spec change); contradicts #46",
    ),
];

#[derive(Default)]
struct Tally {
    ran: usize,
    passed: usize,
    skipped: usize,
}

fn show(p: impl core::fmt::Display) -> String {
    p.to_string()
}

fn host_type(k: HostKind) -> &'static str {
    match k {
        HostKind::Hostname => "hostname",
        HostKind::Ipv4 => "ipv4",
        HostKind::IpLiteral => "ip_literal",
        HostKind::UnixSocket => "unix",
        _ => "unknown",
    }
}

fn kv_object<'a>(
    pairs: impl Iterator<Item = (mongoauth::uri::PctStr<'a>, mongoauth::uri::PctStr<'a>)>,
) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        m.insert(show(k), Value::String(show(v)));
    }
    Value::Object(m)
}

/// The typed value of `key`, as JSON, for comparison with the suite.
fn option_json(opts: &Options<'_>, key: OptionKey) -> Option<Value> {
    if key == OptionKey::ReadPreferenceTags {
        let sets = opts.read_preference_tags();
        if sets.is_empty() {
            return None;
        }
        return Some(Value::Array(sets.iter().map(|s| kv_object(s.iter())).collect()));
    }
    Some(match opts.get(key)? {
        OptionValue::Bool(b) => json!(b),
        OptionValue::Int(i) => json!(i),
        OptionValue::Str(s) => {
            // Decoding into a buffer and Display must agree.
            let mut buf = vec![0u8; s.decoded_len()];
            assert_eq!(s.decode(&mut buf).unwrap(), show(s));
            json!(show(s))
        }
        OptionValue::Secret(s) => {
            let mut buf = vec![0u8; s.decoded_len()];
            json!(s.decode(&mut buf).unwrap().as_str())
        }
        OptionValue::Mechanism(m) => json!(m.as_str()),
        OptionValue::Properties(p) => kv_object(p.iter()),
        OptionValue::List(l) => Value::Array(l.iter().map(|s| json!(show(s))).collect()),
        OptionValue::ReadPreference(m) => json!(m.as_str()),
        OptionValue::ServerMonitoringMode(m) => json!(m.as_str()),
        OptionValue::W(WriteConcernW::Nodes(n)) => json!(n),
        OptionValue::W(WriteConcernW::Majority) => json!("majority"),
        OptionValue::W(WriteConcernW::Tag(t)) => json!(show(t)),
        other => panic!("unexpected option value {other:?}"),
    })
}

/// Compare two objects with case-insensitive keys; `subset` allows extra
/// actual keys.
fn obj_matches(expected: &Map<String, Value>, actual: &Value, subset: bool) -> Result<(), String> {
    let Value::Object(actual) = actual else {
        return Err(format!("expected an object, got {actual}"));
    };
    for (k, v) in expected {
        let found = actual.iter().find(|(ak, _)| ak.eq_ignore_ascii_case(k)).map(|(_, av)| av);
        if found != Some(v) {
            return Err(format!("property {k}: expected {v}, got {found:?}"));
        }
    }
    if !subset && actual.len() != expected.len() {
        return Err(format!("expected {} properties, got {}", expected.len(), actual.len()));
    }
    Ok(())
}

fn check_options(expected: &Map<String, Value>, opts: &Options<'_>) -> Result<(), String> {
    for (name, want) in expected {
        let key = OptionKey::from_name(name)
            .ok_or_else(|| format!("test names unknown option {name}"))?;
        let got = option_json(opts, key).ok_or_else(|| format!("option {name} missing"))?;
        match want {
            Value::Object(w) => {
                obj_matches(w, &got, false).map_err(|e| format!("option {name}: {e}"))?
            }
            _ if *want != got => return Err(format!("option {name}: expected {want}, got {got}")),
            _ => {}
        }
    }
    Ok(())
}

/// With `URI_SPEC_VERBOSE=1`, show why each invalid case was rejected.
fn verbose(uri: &str, e: &mongoauth::uri::UriError) {
    if std::env::var_os("URI_SPEC_VERBOSE").is_some() {
        // Straight to stderr (not `eprintln!`), so it shows without `--nocapture`.
        let mut err = std::io::stderr();
        writeln!(err, "    rejected {uri:?}: {e}").unwrap();
    }
}

fn check_syntax_case(t: &Value) -> Result<(), String> {
    let uri = t["uri"].as_str().unwrap();
    let mut warnings = Warnings::<32>::new();
    let parsed = ConnectionString::parse(uri, &mut warnings);
    let valid = t["valid"].as_bool().unwrap();
    let cs = match (valid, parsed) {
        (false, Err(e)) => {
            verbose(uri, &e);
            return Ok(());
        }
        (false, Ok(_)) => return Err("parsed, but the case is invalid".into()),
        (true, Err(e)) => return Err(format!("rejected: {e}")),
        (true, Ok(cs)) => cs,
    };
    match t["warning"].as_bool() {
        Some(true) if warnings.is_empty() => return Err("expected a warning, got none".into()),
        Some(false) if !warnings.is_empty() => {
            return Err(format!("expected no warning, got {:?}", warnings.as_slice()));
        }
        _ => {}
    }
    if let Value::Array(hosts) = &t["hosts"] {
        let got: Vec<Value> = cs
            .hosts()
            .map(|h| json!({"type": host_type(h.kind), "host": show(h.host), "port": h.port}))
            .collect();
        if got.len() != cs.host_count() {
            return Err("host_count disagrees with hosts()".into());
        }
        if *hosts != got {
            return Err(format!("hosts: expected {hosts:?}, got {got:?}"));
        }
    }
    if let Value::Object(auth) = &t["auth"] {
        let user = cs.username().map(show);
        let pass = cs.password().map(|p| {
            let mut buf = vec![0u8; p.decoded_len()];
            p.decode(&mut buf).unwrap().as_str().to_owned()
        });
        let db = cs.database().map(show);
        for (field, got) in [("username", user), ("password", pass), ("db", db)] {
            let want = auth[field].as_str().map(str::to_owned);
            if want != got {
                return Err(format!("auth.{field}: expected {want:?}, got {got:?}"));
            }
        }
    }
    if let Value::Object(opts) = &t["options"] {
        check_options(opts, cs.options())?;
    }
    Ok(())
}

fn properties_json(p: &MechanismProperties<'_>) -> Value {
    let mut m = Map::new();
    match p {
        MechanismProperties::Gssapi(g) => {
            m.insert("SERVICE_NAME".into(), json!(show(g.service_name)));
            m.insert("CANONICALIZE_HOST_NAME".into(), json!(g.canonicalize_host_name.as_str()));
            if let Some(r) = g.service_realm {
                m.insert("SERVICE_REALM".into(), json!(show(r)));
            }
            if let Some(h) = g.service_host {
                m.insert("SERVICE_HOST".into(), json!(show(h)));
            }
        }
        MechanismProperties::Oidc(o) => {
            if let Some(e) = o.environment {
                m.insert("ENVIRONMENT".into(), json!(e.as_str()));
            }
            if let Some(t) = o.token_resource {
                m.insert("TOKEN_RESOURCE".into(), json!(show(t)));
            }
        }
        _ => {}
    }
    Value::Object(m)
}

fn check_auth_case(t: &Value) -> Result<(), String> {
    let uri = t["uri"].as_str().unwrap();
    let valid = t["valid"].as_bool().unwrap();
    let result = ConnectionString::parse(uri, &mut ()).and_then(|cs| Credential::from_uri(&cs));
    let cred = match (valid, result) {
        (false, Err(e)) => {
            verbose(uri, &e);
            return Ok(());
        }
        (false, Ok(c)) => return Err(format!("accepted, but the case is invalid: {c:?}")),
        (true, Err(e)) => return Err(format!("rejected: {e}")),
        (true, Ok(c)) => c,
    };
    let want = &t["credential"];
    let Some(cred) = cred else {
        return if want.is_null() { Ok(()) } else { Err("no credential built".into()) };
    };
    if want.is_null() {
        return Err(format!("expected no credential, got {cred:?}"));
    }
    let mut ubuf = [0u8; 256];
    let mut pbuf = [0u8; 256];
    let user = cred.decode_username(&mut ubuf).unwrap().map(str::to_owned);
    let pass = cred.decode_password(&mut pbuf).unwrap().map(|p| p.as_str().to_owned());
    let checks = [
        ("username", user.map(Value::String).unwrap_or(Value::Null)),
        ("password", pass.map(Value::String).unwrap_or(Value::Null)),
        ("source", json!(show(cred.source()))),
        ("mechanism", cred.mechanism().map_or(Value::Null, |m| json!(m.as_str()))),
    ];
    for (field, got) in checks {
        if want[field] != got {
            return Err(format!("credential.{field}: expected {}, got {got}", want[field]));
        }
    }
    if let Value::Object(props) = &want["mechanism_properties"] {
        obj_matches(props, &properties_json(cred.properties()), true)
            .map_err(|e| format!("mechanism_properties: {e}"))?;
    }
    Ok(())
}

fn run_file(
    rel: &str,
    auth: bool,
    out: &mut impl std::io::Write,
    failures: &mut Vec<String>,
) -> Tally {
    let doc = mongoauth_tests::spec_json(rel);
    let mut tally = Tally::default();
    for (i, t) in doc["tests"].as_array().unwrap().iter().enumerate() {
        let desc = t["description"].as_str().unwrap_or("");
        if let Some((_, _, skip_desc, reason)) =
            SKIPS.iter().find(|(f, n, _, _)| *f == rel && *n == i)
        {
            assert_eq!(desc, *skip_desc, "{rel} #{i}: the skip list names another case");
            writeln!(out, "    skip #{i} \"{desc}\": {reason}").unwrap();
            tally.skipped += 1;
            continue;
        }
        tally.ran += 1;
        let res = if auth { check_auth_case(t) } else { check_syntax_case(t) };
        match res {
            Ok(()) => tally.passed += 1,
            Err(e) => failures.push(format!("{rel} #{i} \"{desc}\" ({}): {e}", t["uri"])),
        }
    }
    tally
}

#[test]
fn uri_spec_suites() {
    let root = mongoauth_tests::spec_tests();
    let mut files: Vec<(String, bool)> = Vec::new();
    for dir in ["connection-string", "uri-options"] {
        let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|n| (format!("{dir}/{n}"), false)));
    }
    files.push(("auth/legacy/connection-string.json".into(), true));

    let mut out = std::io::stderr().lock();
    let mut failures = Vec::new();
    let mut total = Tally::default();
    writeln!(out, "URI spec suites (ran / passed / skipped):").unwrap();
    for (rel, auth) in &files {
        let t = run_file(rel, *auth, &mut out, &mut failures);
        writeln!(out, "  {rel:<52} {:>3} / {:>3} / {}", t.ran, t.passed, t.skipped).unwrap();
        total.ran += t.ran;
        total.passed += t.passed;
        total.skipped += t.skipped;
    }
    writeln!(
        out,
        "  {:<52} {:>3} / {:>3} / {}  ({} files)",
        "TOTAL",
        total.ran,
        total.passed,
        total.skipped,
        files.len()
    )
    .unwrap();
    for f in &failures {
        writeln!(out, "FAIL {f}").unwrap();
    }
    assert!(failures.is_empty(), "{} spec case(s) failed", failures.len());
    assert_eq!(files.len(), 21, "expected 21 URI-parsing JSON files");
}
