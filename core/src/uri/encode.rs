//! Building a connection string from parts, percent-escaping what needs it,
//! so nobody escapes a password by hand again.

use core::fmt::{self, Write};

use super::error::{UriError, UriErrorKind};
use super::host::bad_hostname_byte;
use super::pct::SliceWriter;

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Write `s`, escaping every byte except RFC 3986 unreserved ones and `keep`.
fn escape(w: &mut dyn Write, s: &str, keep: &[u8]) -> fmt::Result {
    let mut run = 0;
    for (i, b) in s.bytes().enumerate() {
        let plain = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~')
            || keep.contains(&b);
        if !plain {
            w.write_str(s.get(run..i).unwrap_or_default())?;
            let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
            let lo = HEX.get(usize::from(b & 0xF)).copied().unwrap_or(b'0');
            w.write_char('%')?;
            w.write_char(char::from(hi))?;
            w.write_char(char::from(lo))?;
            run = i + 1;
        }
    }
    w.write_str(s.get(run..).unwrap_or_default())
}

fn invalid(rule: &'static str) -> UriError {
    UriError::new(UriErrorKind::InvalidPart { rule })
}

/// The address inside an IPv6 literal (`::1` or `[::1]`), if `h` is one.
fn ip_literal(h: &str) -> Option<&str> {
    let inner = h.strip_prefix('[').and_then(|x| x.strip_suffix(']')).unwrap_or(h);
    inner.contains(':').then_some(inner)
}

/// One host for [`UriBuilder`]: a hostname, IPv4 address, IPv6 address (with
/// or without brackets, with or without a zone id: `fe80::1%eth0`) or Unix
/// socket path (containing `/`, ending `.sock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostSpec<'p> {
    /// The host, unescaped.
    pub host: &'p str,
    /// The port, if not the default.
    pub port: Option<u16>,
}

impl<'p> HostSpec<'p> {
    /// A host without a port.
    pub const fn new(host: &'p str) -> Self {
        HostSpec { host, port: None }
    }
    /// A host with a port.
    pub const fn with_port(host: &'p str, port: u16) -> Self {
        HostSpec { host, port: Some(port) }
    }

    fn check(&self) -> Result<(), UriError> {
        let h = self.host;
        if h.is_empty() {
            return Err(invalid("empty host"));
        }
        if self.port == Some(0) {
            return Err(invalid("port 0"));
        }
        if h.contains('/') {
            if !h.ends_with(".sock") || h.bytes().any(|b| b < 0x20 || b == 0x7F) {
                return Err(invalid("a Unix socket path must end in .sock"));
            }
        } else if let Some(inner) = ip_literal(h) {
            let (address, zone) = match inner.split_once('%') {
                Some((address, zone)) => (address, Some(zone)),
                None => (inner, None),
            };
            if !address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.') {
                return Err(invalid("IP literal may contain only hex digits, `:` and `.`"));
            }
            if zone.is_some_and(|z| z.is_empty() || z.bytes().any(bad_hostname_byte)) {
                return Err(invalid("IPv6 zone id empty or holding a delimiter"));
            }
        } else if h.bytes().any(bad_hostname_byte) {
            return Err(invalid("hostname contains a character hosts cannot contain"));
        }
        Ok(())
    }

    fn write(&self, w: &mut dyn Write) -> fmt::Result {
        let h = self.host;
        match ip_literal(h) {
            Some(inner) if !h.contains('/') => match inner.split_once('%') {
                // RFC 6874: the zone id's `%` is written `%25`.
                Some((address, zone)) => {
                    write!(w, "[{address}%25")?;
                    escape(w, zone, b"")?;
                    w.write_str("]")?;
                }
                None => write!(w, "[{inner}]")?,
            },
            _ => escape(w, h, b"")?,
        }
        if let Some(p) = self.port {
            write!(w, ":{p}")?;
        }
        Ok(())
    }
}

/// Builds a `mongodb://` or `mongodb+srv://` URI from unescaped parts. The
/// username, password, hosts, database and option values are percent-encoded
/// as needed; everything is checked before the first byte is written.
///
/// ```
/// use mongoauth::uri::{HostSpec, UriBuilder};
///
/// let hosts = [HostSpec::new("db.example.com")];
/// let mut buf = [0u8; 128];
/// let uri = UriBuilder::new(&hosts)
///     .credentials("alice", Some("p@ss:w/rd%"))
///     .database("admin")
///     .encode_into(&mut buf)?;
/// assert_eq!(uri, "mongodb://alice:p%40ss%3Aw%2Frd%25@db.example.com/admin");
/// # Ok::<(), mongoauth::uri::UriError>(())
/// ```
#[derive(Clone, Copy)]
pub struct UriBuilder<'p> {
    srv: bool,
    username: Option<&'p str>,
    password: Option<&'p str>,
    hosts: &'p [HostSpec<'p>],
    database: Option<&'p str>,
    options: &'p [(&'p str, &'p str)],
}

impl fmt::Debug for UriBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UriBuilder")
            .field("srv", &self.srv)
            .field("username", &self.username)
            .field("password", &self.password.map(|_| "<redacted>"))
            .field("hosts", &self.hosts)
            .field("database", &self.database)
            .field("options", &self.options.len())
            .finish()
    }
}

impl<'p> UriBuilder<'p> {
    /// A `mongodb://` URI over `hosts`.
    pub const fn new(hosts: &'p [HostSpec<'p>]) -> Self {
        UriBuilder {
            srv: false,
            username: None,
            password: None,
            hosts,
            database: None,
            options: &[],
        }
    }
    /// Use `mongodb+srv://` (one hostname, no port).
    pub const fn srv(mut self) -> Self {
        self.srv = true;
        self
    }
    /// Username and optional password (`None`: no `:` at all).
    pub const fn credentials(mut self, username: &'p str, password: Option<&'p str>) -> Self {
        self.username = Some(username);
        self.password = password;
        self
    }
    /// The default database.
    pub const fn database(mut self, db: &'p str) -> Self {
        self.database = Some(db);
        self
    }
    /// Options as `(name, unescaped value)` pairs, written in order.
    pub const fn options(mut self, options: &'p [(&'p str, &'p str)]) -> Self {
        self.options = options;
        self
    }

    fn check(&self) -> Result<(), UriError> {
        if self.hosts.is_empty() {
            return Err(invalid("no hosts"));
        }
        for h in self.hosts {
            h.check()?;
        }
        if self.srv {
            match self.hosts {
                [one] if one.port.is_none() && !one.host.contains([':', '/', '[']) => {}
                _ => {
                    return Err(invalid("mongodb+srv needs exactly one hostname without a port"));
                }
            }
        }
        let bad_db = |b: u8| matches!(b, b'/' | b'\\' | b' ' | b'"' | b'$' | 0);
        if self.database.is_some_and(|db| db.bytes().any(bad_db)) {
            return Err(invalid(
                "database name must not contain `/`, `\\`, space, `\"`, `$` or NUL",
            ));
        }
        for (name, _) in self.options {
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(invalid("option names are ASCII letters, digits and `_`"));
            }
        }
        Ok(())
    }

    fn write(&self, w: &mut dyn Write) -> fmt::Result {
        w.write_str(if self.srv { "mongodb+srv://" } else { "mongodb://" })?;
        if let Some(user) = self.username {
            escape(w, user, b"")?;
            if let Some(pass) = self.password {
                w.write_char(':')?;
                escape(w, pass, b"")?;
            }
            w.write_char('@')?;
        }
        for (i, h) in self.hosts.iter().enumerate() {
            if i > 0 {
                w.write_char(',')?;
            }
            h.write(w)?;
        }
        let db = self.database.filter(|d| !d.is_empty());
        if db.is_some() || !self.options.is_empty() {
            w.write_char('/')?;
        }
        if let Some(db) = db {
            escape(w, db, b"")?;
        }
        for (i, (name, value)) in self.options.iter().enumerate() {
            w.write_char(if i == 0 { '?' } else { '&' })?;
            w.write_str(name)?;
            w.write_char('=')?;
            escape(w, value, b",:")?;
        }
        Ok(())
    }

    /// Write the URI to `w`. Nothing is written if the parts are invalid.
    ///
    /// # Errors
    /// [`UriErrorKind::InvalidPart`] (checked first), or
    /// [`UriErrorKind::WriteFailed`] if `w` fails.
    pub fn write_to(&self, w: &mut impl Write) -> Result<(), UriError> {
        self.check()?;
        self.write(w).map_err(|_| UriError::new(UriErrorKind::WriteFailed))
    }

    /// Write the URI into `out` and return it. On any error `out` is wiped
    /// (it may have held part of the password).
    ///
    /// # Errors
    /// [`UriErrorKind::InvalidPart`], or [`UriErrorKind::BufferTooSmall`]
    /// with the size needed.
    pub fn encode_into<'b>(&self, out: &'b mut [u8]) -> Result<&'b str, UriError> {
        self.check()?;
        let mut w = SliceWriter::new(out);
        self.write(&mut w).map_err(|_| UriError::new(UriErrorKind::WriteFailed))?;
        w.finish()
    }

    /// The length of the encoded URI, to size a buffer.
    ///
    /// # Errors
    /// [`UriErrorKind::InvalidPart`].
    pub fn encoded_len(&self) -> Result<usize, UriError> {
        self.check()?;
        let mut w = SliceWriter::new(&mut []);
        self.write(&mut w).map_err(|_| UriError::new(UriErrorKind::WriteFailed))?;
        Ok(w.len)
    }
}
