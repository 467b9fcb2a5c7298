//! `mongoauth-loopback-server [--mongodb-cr] [--max-wire-version N] DB:USER:PASSWORD...`:
//! serve these users on 127.0.0.1 (an OS-chosen port, or
//! $MONGOAUTH_LOOPBACK_PORT), print `PORT <n>` on stdout, and stop when stdin
//! closes. `--mongodb-cr` also answers the legacy MONGODB-CR (removed from
//! MongoDB 4.0); `--max-wire-version N` reports N in hello (2 plays MongoDB
//! 2.6, where 3.x drivers pick MONGODB-CR by themselves).
//!
//! GSSAPI (built with feature `gssapi`): `--gssapi-keytab PATH` answers
//! GSSAPI with the service key of that keytab (`--gssapi`: of `KRB5_KTNAME`),
//! and each `--external-user PRINCIPAL` (`user@REALM`) may log in with it.

use std::io::{Read, Write};

use mongoauth_demo::ServerOptions;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut options = ServerOptions::default();
    let mut specs = Vec::new();
    let mut gssapi = false;
    let mut keytab: Option<String> = None;
    let mut principals: Vec<String> = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gssapi" => gssapi = true,
            "--gssapi-keytab" => {
                gssapi = true;
                keytab = Some(args.next().ok_or("--gssapi-keytab needs a path")?);
            }
            "--external-user" => {
                principals.push(args.next().ok_or("--external-user needs a principal")?);
            }
            "--mongodb-cr" => options.mongodb_cr = true,
            "--max-wire-version" => {
                let v = args.next().ok_or("--max-wire-version needs a number")?;
                options.max_wire_version =
                    Some(v.parse().map_err(|_| format!("bad --max-wire-version `{v}`"))?);
            }
            _ => specs.push(a),
        }
    }
    let mut users = Vec::new();
    for s in &specs {
        let mut parts = s.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(db), Some(user), Some(password)) => users.push((db, user, password)),
            _ => return Err(format!("expected DB:USER:PASSWORD, got `{s}`").into()),
        }
    }
    let port = std::env::var("MONGOAUTH_LOOPBACK_PORT").ok().and_then(|p| p.parse().ok());
    let port = port.unwrap_or(0);
    let server = if gssapi {
        start_gssapi(&users, port, options, keytab, principals)?
    } else if !principals.is_empty() {
        return Err("--external-user needs --gssapi or --gssapi-keytab".into());
    } else {
        mongoauth_demo::LoopbackServer::start_with(&users, port, options)?
    };
    let mut out = std::io::stdout();
    writeln!(out, "PORT {}", server.addr().port())?;
    out.flush()?;
    // Serve until stdin closes.
    let mut sink = Vec::new();
    std::io::stdin().read_to_end(&mut sink)?;
    drop(server);
    Ok(())
}

#[cfg(feature = "gssapi")]
fn start_gssapi(
    users: &[(&str, &str, &str)],
    port: u16,
    options: ServerOptions,
    keytab: Option<String>,
    principals: Vec<String>,
) -> Result<mongoauth_demo::LoopbackServer, Box<dyn std::error::Error>> {
    let gss = mongoauth_demo::GssapiOptions { keytab: keytab.map(Into::into), principals };
    mongoauth_demo::LoopbackServer::start_with_gssapi(users, port, options, &gss)
}

#[cfg(not(feature = "gssapi"))]
fn start_gssapi(
    _users: &[(&str, &str, &str)],
    _port: u16,
    _options: ServerOptions,
    _keytab: Option<String>,
    _principals: Vec<String>,
) -> Result<mongoauth_demo::LoopbackServer, Box<dyn std::error::Error>> {
    Err("GSSAPI needs mongoauth-loopback-server built with --features gssapi".into())
}
