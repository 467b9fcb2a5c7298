//! `mongoauth-loopback-server DB:USER:PASSWORD...`: serve these users on
//! 127.0.0.1 (an OS-chosen port, or $MONGOAUTH_LOOPBACK_PORT), print
//! `PORT <n>` on stdout, and stop when stdin closes.

use std::io::{Read, Write};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let specs: Vec<String> = std::env::args().skip(1).collect();
    let mut users = Vec::new();
    for s in &specs {
        let mut parts = s.splitn(3, ':');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(db), Some(user), Some(password)) => users.push((db, user, password)),
            _ => return Err(format!("expected DB:USER:PASSWORD, got `{s}`").into()),
        }
    }
    let port = std::env::var("MONGOAUTH_LOOPBACK_PORT").ok().and_then(|p| p.parse().ok());
    let server = mongoauth_demo::LoopbackServer::start(&users, port.unwrap_or(0))?;
    let mut out = std::io::stdout();
    writeln!(out, "PORT {}", server.addr().port())?;
    out.flush()?;
    // Serve until stdin closes.
    let mut sink = Vec::new();
    std::io::stdin().read_to_end(&mut sink)?;
    drop(server);
    Ok(())
}
