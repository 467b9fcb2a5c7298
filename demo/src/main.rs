//! The README's demo: a real login over TCP, printed step by step.
//!
//! `cargo run --release -p mongoauth-demo` starts mongoauth's loopback
//! server in-process and authenticates to it; `cargo run --release -p
//! mongoauth-demo -- 'mongodb://user:pass@host:27017/?authSource=admin'`
//! authenticates to that server instead (a mongod without TLS).

use std::io::{Read, Write};
use std::net::TcpStream;

use mongoauth::client::{AuthConfig, Authenticator, Credential};
use mongoauth::codec::bson::Document;
use mongoauth::codec::wire;
use mongoauth::io::{FromStd, authenticate};
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
    fn show(arrow: &str, buf: &mut Vec<u8>) {
        while buf.len() >= 16 {
            let len = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if buf.len() < len {
                return;
            }
            let frame: Vec<u8> = buf.drain(..len).collect();
            match wire::parse_op_msg(&frame) {
                Ok(m) => println!("{arrow} {}", describe(m.body)),
                Err(e) => println!("{arrow} (unparsable frame: {e})"),
            }
        }
    }
}

fn describe(doc: Document<'_>) -> String {
    let mut parts = Vec::new();
    for e in doc.iter() {
        let v = match e.value {
            // A PLAIN payload (`\0user\0password`) carries the password: never print it.
            mongoauth::codec::bson::Value::Binary(b) if b.bytes.contains(&0) => {
                "<redacted>".to_string()
            }
            mongoauth::codec::bson::Value::Binary(b) => {
                format!("{:?}", String::from_utf8_lossy(b.bytes))
            }
            mongoauth::codec::bson::Value::Document(d) => format!("{{{}}}", describe(d)),
            mongoauth::codec::bson::Value::String(s) => format!("{s:?}"),
            mongoauth::codec::bson::Value::Array(a) => {
                format!("[{}]", a.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "))
            }
            other => format!("{other:?}"),
        };
        parts.push(format!("{}: {v}", e.key));
    }
    let s = parts.join(", ");
    if s.len() > 400 { format!("{}...", &s[..400]) } else { s }
}

impl<T: Write> Write for Tap<T> {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(b)?;
        self.out.extend_from_slice(&b[..n]);
        Self::show("client ->", &mut self.out);
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
        Self::show("server <-", &mut self.inp);
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
    let (mut ubuf, mut pbuf, mut sbuf) = ([0u8; 256], [0u8; 256], [0u8; 128]);
    let username = cred.decode_username(&mut ubuf)?;
    let password = cred.decode_password(&mut pbuf)?;
    let source = cred.source().decode(&mut sbuf)?;
    let host = cs.hosts().next().ok_or("no host")?;
    if host.kind == HostKind::UnixSocket {
        return Err("the demo connects over TCP only".into());
    }
    let mut hbuf = [0u8; 256];
    let hostname = host.host.decode(&mut hbuf)?;
    let port = host.port.unwrap_or(27017);
    println!(
        "connecting to {hostname}:{port} as {:?} (source {source:?})\n",
        username.unwrap_or("")
    );

    let stream = TcpStream::connect((hostname, port))?;
    stream.set_nodelay(true)?;
    let mut io = FromStd::new(Tap { inner: stream, out: Vec::new(), inp: Vec::new() });

    let mut entropy = [0u8; 48];
    fill_random(&mut entropy)?;
    let credential = Credential {
        mechanism: cred.mechanism(),
        username,
        password: password.as_ref().map(|p| p.as_str()),
        source,
    };
    let mut auth = Authenticator::new(credential, AuthConfig::default(), &entropy)?;
    let mut buf = [0u8; 16 * 1024];
    let t = std::time::Instant::now();
    authenticate(&mut io, &mut auth, &mut buf)?;
    println!(
        "\nauthenticated with {} in {:?}{}; the server's signature verified",
        auth.mechanism().map_or("?", |m| m.as_str()),
        t.elapsed(),
        if auth.used_speculative() { " (speculative: one round trip saved)" } else { "" }
    );
    Ok(())
}
