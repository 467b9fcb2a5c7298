//! The README's demo: a real login over TCP, printed step by step.
//!
//! `cargo run --release -p mongoauth-demo` starts mongoauth's loopback
//! server in-process and authenticates to it; `cargo run --release -p
//! mongoauth-demo -- 'mongodb://user:pass@host:27017/?authSource=admin'`
//! authenticates to that server instead (a mongod without TLS).

use std::io::{Read, Write};
use std::net::TcpStream;

use mongoauth::client::{AuthConfig, Authenticator, Outcome};
use mongoauth::io::{FromStd, authenticate_until};
use mongoauth::os::fill_random;
use mongoauth::uri::{ConnectionString, HostKind};
use mongoauth_demo::LoopbackServer;

/// Prints every frame that passes, as the command or reply it carries.
struct Tap<T> {
    inner: T,
    out: Vec<u8>,
    inp: Vec<u8>,
}

impl<T> Tap<T> {
    fn show(arrow: &str, buf: &mut Vec<u8>) -> std::io::Result<()> {
        for line in mongoauth_demo::drain_frames(buf).map_err(std::io::Error::other)? {
            println!("{arrow} {line}");
        }
        Ok(())
    }
}

impl<T: Write> Write for Tap<T> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.out.extend_from_slice(&b[..n]);
        Self::show("client ->", &mut self.out)?;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<T: Read> Read for Tap<T> {
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(b)?;
        self.inp.extend_from_slice(&b[..n]);
        Self::show("server <-", &mut self.inp)?;
        Ok(n)
    }
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let arg = std::env::args().nth(1);
    let _server;
    let uri = match arg {
        Some(uri) => uri,
        None => {
            let server =
                LoopbackServer::start(&[("admin", "alice", "correct horse battery staple")], 0)?;
            println!(
                "mongoauth {}: started the loopback server on {}",
                env!("CARGO_PKG_VERSION"),
                server.addr()
            );
            let hosts = [mongoauth::uri::HostSpec::with_port("127.0.0.1", server.addr().port())];
            let mut uri = String::new();
            mongoauth::uri::UriBuilder::new(&hosts)
                .credentials("alice", Some("correct horse battery staple"))
                .write_to(&mut uri)?;
            _server = server;
            uri
        }
    };

    let cs = ConnectionString::parse(&uri, &mut |w| eprintln!("warning: {w}"))?;
    let cred = mongoauth::uri::Credential::from_uri(&cs)?.ok_or("the URI has no credentials")?;
    let credential = cred.to_owned()?;
    let host = cs.hosts().next().ok_or("no host")?;
    if host.kind == HostKind::UnixSocket {
        return Err("the demo connects over TCP only".into());
    }
    let mut hbuf = [0u8; 256];
    let hostname = host.host.decode(&mut hbuf)?;
    let port = host.port.unwrap_or(27017);
    println!(
        "connecting to {hostname}:{port} as {:?} (source {:?})\n",
        credential.username().unwrap_or(""),
        credential.source()
    );

    let stream = TcpStream::connect((hostname, port))?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let mut io = FromStd::new(Tap { inner: stream, out: Vec::new(), inp: Vec::new() });

    let mut entropy = [0u8; 48];
    fill_random(&mut entropy)?;
    let mut auth = Authenticator::new(credential, AuthConfig::default(), &entropy)?;
    let mut buf = [0u8; 16 * 1024];
    let t = std::time::Instant::now();
    let mut deadline = t + std::time::Duration::from_secs(30);
    let outcome = authenticate_until(&mut io, &mut auth, &mut buf, &mut deadline)?;
    match outcome {
        Outcome::Authenticated { mechanism } => println!(
            "\nauthenticated with {mechanism} in {:?}{}{}",
            t.elapsed(),
            if auth.used_speculative() { " (speculative: one round trip saved)" } else { "" },
            if matches!(
                mechanism,
                mongoauth::mech::Mechanism::ScramSha1 | mongoauth::mech::Mechanism::ScramSha256
            ) {
                "; the server's signature verified"
            } else {
                ""
            }
        ),
        Outcome::Arbiter => {
            return Err("the server is an arbiter: the connection is NOT authenticated".into());
        }
        other => return Err(format!("not authenticated ({other:?})").into()),
    }
    Ok(())
}
