//! A loopback MongoDB authentication server over `std::net`, built from the
//! core's [`ServerSession`] and [`mongoauth::io::serve`]: the demo's default
//! peer, and the server real drivers (pymongo, the C and Go drivers) log in
//! to in the interop tests. It binds 127.0.0.1 only.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::thread::JoinHandle;

use mongoauth::codec::bson::{Document, Value};
use mongoauth::codec::wire;
use mongoauth::io::{FromStd, serve};
use mongoauth::os::fill_random;
use mongoauth::server::{ServerSession, StaticUsers};

/// Up to this many users per loopback server.
pub const MAX_USERS: usize = 8;

/// How a loopback server presents itself (the default: a current server,
/// SCRAM only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerOptions {
    /// The `maxWireVersion` hello reports (`None`: the core's default), to
    /// play an older server (2 for MongoDB 2.6, where 3.x drivers pick
    /// MONGODB-CR by themselves).
    pub max_wire_version: Option<i32>,
    /// Answer MONGODB-CR (`getnonce`, `authenticate`). Legacy: removed from
    /// MongoDB 4.0.
    pub mongodb_cr: bool,
}

/// GSSAPI for a loopback server (feature `gssapi`): the acceptor's key and
/// the Kerberos principals admitted as `$external` users.
#[cfg(feature = "gssapi")]
#[derive(Clone, Debug, Default)]
pub struct GssapiOptions {
    /// The keytab with the service's key (`mongodb/localhost@REALM`, or the
    /// `SERVICE_NAME` the clients use); `None`: `KRB5_KTNAME`, else the
    /// library's default keytab.
    pub keytab: Option<std::path::PathBuf>,
    /// The principals (`user@REALM`) that may log in, up to [`MAX_USERS`].
    pub principals: Vec<String>,
}

/// A running loopback server; stops when dropped.
pub struct LoopbackServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl LoopbackServer {
    /// Start on 127.0.0.1 with an OS-chosen port (or `port`), serving these
    /// users: `(db, user, password)`, each with SCRAM-SHA-1 and SCRAM-SHA-256
    /// credentials at mongod's default iteration counts.
    pub fn start(
        users: &[(&str, &str, &str)],
        port: u16,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_with(users, port, ServerOptions::default())
    }

    /// As [`start`](Self::start), presenting itself as `options` says.
    pub fn start_with(
        users: &[(&str, &str, &str)],
        port: u16,
        options: ServerOptions,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_inner(Self::store(users)?, port, options, Acceptor::none())
    }

    /// As [`start_with`](Self::start_with), also answering GSSAPI (feature
    /// `gssapi`) with the system GSS-API library: the acceptor key from
    /// `gssapi.keytab` (or `KRB5_KTNAME`), the principals of
    /// `gssapi.principals` as `$external` users.
    ///
    /// # Errors
    /// A keytab the library cannot read (checked now, not at the first
    /// login), a principal over the limits, the socket.
    #[cfg(feature = "gssapi")]
    pub fn start_with_gssapi(
        users: &[(&str, &str, &str)],
        port: u16,
        options: ServerOptions,
        gssapi: &GssapiOptions,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        use mongoauth::mech::gssapi_system::SystemAcceptor;
        let mut store = Self::store(users)?;
        for p in &gssapi.principals {
            store = store.with_external_user(p)?;
        }
        // GssError has Display but no `Error` impl: carry its text.
        let acceptor = match &gssapi.keytab {
            Some(k) => SystemAcceptor::with_keytab(k),
            None => SystemAcceptor::from_env(),
        }
        .map_err(|e| e.to_string())?;
        Self::start_inner(store, port, options, Acceptor(Some(acceptor)))
    }

    fn store(
        users: &[(&str, &str, &str)],
    ) -> Result<StaticUsers<MAX_USERS>, Box<dyn std::error::Error>> {
        let mut store = StaticUsers::<MAX_USERS>::new();
        for (db, user, password) in users {
            let mut seed = [0u8; mongoauth::server::SALT_SEED_LEN];
            fill_random(&mut seed)?;
            store = store.with_scram_user(db, user, password, &seed)?;
        }
        Ok(store)
    }

    fn start_inner(
        store: StaticUsers<MAX_USERS>,
        port: u16,
        options: ServerOptions,
        acceptor: Acceptor,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let store = Arc::new(store);
        // One decoy secret per server: an unknown user's fake salt is then
        // the same on every connection, as a real user's is.
        let mut secret = [0u8; 32];
        fill_random(&mut secret)?;
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let ids = Arc::new(AtomicI64::new(1));
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let store = store.clone();
                let id = ids.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.fresh();
                std::thread::spawn(move || handle(conn, store, secret, id, options, acceptor));
            }
        });
        Ok(LoopbackServer { addr, stop, thread: Some(thread) })
    }

    /// The address to connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// The server's GSS acceptor (feature `gssapi`), if it offers GSSAPI; one
/// fresh context per connection, sharing the key.
struct Acceptor(
    #[cfg(feature = "gssapi")] Option<mongoauth::mech::gssapi_system::SystemAcceptor>,
    #[cfg(not(feature = "gssapi"))] (),
);

impl Acceptor {
    fn none() -> Self {
        #[cfg(feature = "gssapi")]
        return Acceptor(None);
        #[cfg(not(feature = "gssapi"))]
        Acceptor(())
    }

    fn fresh(&self) -> Self {
        #[cfg(feature = "gssapi")]
        return Acceptor(self.0.as_ref().map(|a| a.fresh()));
        #[cfg(not(feature = "gssapi"))]
        Acceptor(())
    }
}

/// One connection: the session shares the user table through the `Arc`.
fn handle(
    conn: TcpStream,
    store: Arc<StaticUsers<MAX_USERS>>,
    secret: [u8; 32],
    id: i64,
    options: ServerOptions,
    acceptor: Acceptor,
) {
    let _ = conn.set_nodelay(true);
    let mut io = FromStd::new(conn);
    let mut session = ServerSession::new(store, secret)
        .with_connection_id(id)
        .with_mongodb_cr(options.mongodb_cr);
    if let Some(v) = options.max_wire_version {
        session = session.with_max_wire_version(v);
    }
    let (mut inbuf, mut outbuf) = (vec![0u8; 64 * 1024], vec![0u8; 64 * 1024]);
    let mut entropy = |b: &mut [u8; 24]| {
        let _ = fill_random(b);
    };
    #[cfg(feature = "gssapi")]
    let served = match acceptor.0 {
        Some(a) => {
            let mut session = session.with_gssapi(a);
            serve(&mut io, &mut session, &mut entropy, &mut inbuf, &mut outbuf)
        }
        None => serve(&mut io, &mut session, &mut entropy, &mut inbuf, &mut outbuf),
    };
    #[cfg(not(feature = "gssapi"))]
    let served = {
        let Acceptor(()) = acceptor;
        serve(&mut io, &mut session, &mut entropy, &mut inbuf, &mut outbuf)
    };
    if let Err(e) = served
        && std::env::var_os("MONGOAUTH_SERVER_LOG").is_some()
    {
        eprintln!("loopback server: connection {id}: {e}");
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Longest description of one frame the demo prints, in bytes.
pub const MAX_DESCRIPTION_LEN: usize = 400;

/// Take every complete frame from the front of `buf` (bytes seen on the
/// wire) and describe each as one line. A frame whose announced length is
/// below the 16-byte header, or above the wire limit, is an error (a hostile
/// server must not make the demo loop or buffer without bound); an
/// unparsable frame is described as such.
///
/// # Errors
/// The announced length of the next frame is impossible.
pub fn drain_frames(buf: &mut Vec<u8>) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    while let Some(head) = buf.get(..4) {
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        if !(wire::HEADER_LEN..=wire::MAX_MESSAGE_SIZE).contains(&len) {
            buf.clear();
            return Err(format!("frame announces an impossible length of {len} bytes"));
        }
        if buf.len() < len {
            break;
        }
        let frame: Vec<u8> = buf.drain(..len).collect();
        lines.push(match wire::parse_op_msg(&frame) {
            Ok(m) => describe(m.body),
            Err(e) => format!("(unparsable frame: {e})"),
        });
    }
    Ok(lines)
}

/// One line for a document: keys and values, strings escaped (no server
/// text reaches the terminal raw), a PLAIN payload (which holds the
/// password) redacted, cut at [`MAX_DESCRIPTION_LEN`] bytes on a character
/// boundary.
pub fn describe(doc: Document<'_>) -> String {
    let mut parts = Vec::new();
    for e in doc.iter() {
        let v = match e.value {
            // A PLAIN payload (`\0user\0password`) carries the password: never print it.
            Value::Binary(b) if b.bytes.contains(&0) => "<redacted>".to_string(),
            Value::Binary(b) => {
                format!("\"{}\"", mongoauth::Escaped(&String::from_utf8_lossy(b.bytes)))
            }
            Value::Document(d) => format!("{{{}}}", describe(d)),
            Value::String(s) => format!("\"{}\"", mongoauth::Escaped(s)),
            Value::Array(a) => {
                format!("[{}]", a.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "))
            }
            other => format!("{other:?}"),
        };
        parts.push(format!("{}: {v}", mongoauth::Escaped(e.key)));
    }
    let s = parts.join(", ");
    if s.len() > MAX_DESCRIPTION_LEN {
        let mut end = MAX_DESCRIPTION_LEN;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}
