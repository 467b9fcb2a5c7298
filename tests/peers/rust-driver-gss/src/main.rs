//! Test peer for issue #19: the Rust `mongodb` driver logs in with GSSAPI.
//!
//! Usage: `rust-driver-gss URI`. Connects with the URI (the driver's own
//! parsing of `authMechanism=GSSAPI`, `authMechanismProperties`, ...), runs
//! `connectionStatus` on `admin` and prints one JSON line:
//! `{"ok":true,"users":[{"user":"...","db":"$external"}]}` on success, or
//! `{"ok":false,"error":"..."}` and exit status 1 on any failure (2 on a
//! usage error). Kerberos comes from the environment (`KRB5_CONFIG`,
//! `KRB5CCNAME`, `KRB5_CLIENT_KTNAME`), as for any GSS-API client.

use mongodb::bson::{Bson, doc};
use mongodb::sync::Client;

fn run(uri: &str) -> Result<Bson, mongodb::error::Error> {
    let client = Client::with_uri_str(uri)?;
    let reply = client.database("admin").run_command(doc! { "connectionStatus": 1 }).run()?;
    let users = reply
        .get_document("authInfo")
        .and_then(|a| a.get_array("authenticatedUsers"))
        .map(|u| Bson::Array(u.clone()))
        .unwrap_or(Bson::Null);
    client.shutdown().immediate(true).run();
    Ok(users)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [uri] = args.as_slice() else {
        eprintln!("usage: rust-driver-gss URI");
        std::process::exit(2);
    };
    match run(uri) {
        Ok(users) => {
            println!(
                "{}",
                Bson::Document(doc! { "ok": true, "users": users }).into_relaxed_extjson()
            );
        }
        Err(e) => {
            let error = e.to_string();
            println!(
                "{}",
                Bson::Document(doc! { "ok": false, "error": error }).into_relaxed_extjson()
            );
            std::process::exit(1);
        }
    }
}
