//! `mongoauth-loopback-server [--mongodb-cr] [--max-wire-version N] DB:USER:PASSWORD...`:
//! serve these users on 127.0.0.1 (an OS-chosen port, or
//! $MONGOAUTH_LOOPBACK_PORT), print `PORT <n>` on stdout, and stop when stdin
//! closes. `--mongodb-cr` also answers the legacy MONGODB-CR (removed from
//! MongoDB 4.0); `--max-wire-version N` reports N in hello (2 plays MongoDB
//! 2.6, where 3.x drivers pick MONGODB-CR by themselves).

use std::io::{Read, Write};

use mongoauth_demo::ServerOptions;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut options = ServerOptions::default();
    let mut specs = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
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
    let server = mongoauth_demo::LoopbackServer::start_with(&users, port.unwrap_or(0), options)?;
    let mut out = std::io::stdout();
    writeln!(out, "PORT {}", server.addr().port())?;
    out.flush()?;
    // Serve until stdin closes.
    let mut sink = Vec::new();
    std::io::stdin().read_to_end(&mut sink)?;
    drop(server);
    Ok(())
}
