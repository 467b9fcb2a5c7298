//! Hosts: hostnames, IPv4 addresses, bracketed IP literals and
//! percent-encoded Unix socket paths, each with an optional port.

use super::error::{UriError, UriErrorKind};
use super::pct::PctStr;

/// What a host entry is.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostKind {
    /// A DNS name (UTF-8 allowed), including things like `256.0.0.1`.
    Hostname,
    /// A dotted-quad IPv4 address.
    Ipv4,
    /// A bracketed IP literal; [`Host::host`] is the text inside the
    /// brackets, with its zone id if any (RFC 6874: `[fe80::1%25eth0]`,
    /// which decodes to `fe80::1%eth0`, as pymongo and libmongoc keep it).
    IpLiteral,
    /// A Unix domain socket path (contains `/` and ends in `.sock` once decoded).
    UnixSocket,
}

/// One entry of the host list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Host<'a> {
    /// What the entry is.
    pub kind: HostKind,
    /// The host, still percent-encoded (brackets removed for IP literals).
    pub host: PctStr<'a>,
    /// The port, if one was given (1 to 65535).
    pub port: Option<u16>,
}

fn is_ipv4(host: PctStr<'_>) -> bool {
    let mut parts = 0;
    let mut digits = 0;
    let mut value: u32 = 0;
    for b in host.bytes() {
        match b {
            b'0'..=b'9' => {
                digits += 1;
                value = value * 10 + u32::from(b - b'0');
                if digits > 3 || value > 255 {
                    return false;
                }
            }
            b'.' => {
                if digits == 0 {
                    return false;
                }
                parts += 1;
                digits = 0;
                value = 0;
            }
            _ => return false,
        }
    }
    digits > 0 && parts == 3
}

/// RFC 6874 `"%25" ZoneID`: `%25` and then 1 or more unreserved characters
/// or escapes (the escapes' decoded bytes must not be controls, space or a
/// delimiter that would make the host ambiguous).
fn is_zone_id(zone: &str) -> bool {
    let Some(id) = zone.strip_prefix("%25") else {
        return false;
    };
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
    !id.is_empty()
        && id.bytes().all(|b| unreserved(b) || b == b'%')
        && PctStr::new(id, 0).is_ok_and(|z| z.bytes().all(|b| !bad_hostname_byte(b)))
}

/// Characters a decoded hostname cannot contain.
pub(crate) fn bad_hostname_byte(b: u8) -> bool {
    b <= 0x20
        || b == 0x7F
        || matches!(b, b'@' | b'[' | b']' | b'\\' | b':' | b'/' | b'?' | b'#' | b',' | b'%')
}

fn parse_port(raw: &str, offset: usize, maybe_password: bool) -> Result<u16, UriError> {
    if raw.is_empty() {
        return Err(UriError::at(UriErrorKind::PortOutOfRange, offset));
    }
    if let Some(i) = raw.bytes().position(|b| !b.is_ascii_digit()) {
        return Err(UriError::at(UriErrorKind::PortNotNumeric { maybe_password }, offset + i));
    }
    let mut v: u32 = 0;
    for b in raw.bytes() {
        v = v.saturating_mul(10).saturating_add(u32::from(b - b'0'));
    }
    match u16::try_from(v) {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(UriError::at(UriErrorKind::PortOutOfRange, offset)),
    }
}

/// Parse one host entry (`raw` starts at `offset` in the input).
/// `maybe_password`: no `@` was seen, so a bad port may be a cut-off password.
pub(crate) fn parse_host(
    raw: &str,
    offset: usize,
    maybe_password: bool,
) -> Result<Host<'_>, UriError> {
    if raw.is_empty() {
        return Err(UriError::at(UriErrorKind::EmptyHost, offset));
    }
    if let Some(inner_and_rest) = raw.strip_prefix('[') {
        let Some(close) = inner_and_rest.find(']') else {
            return Err(UriError::at(UriErrorKind::InvalidIpLiteral, offset));
        };
        let inner = inner_and_rest.get(..close).unwrap_or_default();
        // RFC 6874: `IPv6address "%25" ZoneID`, ZoneID = 1*(unreserved / pct-encoded).
        let (address, zone) = match inner.find('%') {
            Some(i) => (inner.get(..i).unwrap_or_default(), inner.get(i..)),
            None => (inner, None),
        };
        let ok = !address.is_empty()
            && address.contains(':')
            && address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            && zone.is_none_or(is_zone_id);
        if !ok {
            return Err(UriError::at(UriErrorKind::InvalidIpLiteral, offset + 1));
        }
        let after = inner_and_rest.get(close + 1..).unwrap_or_default();
        let after_offset = offset + 1 + close + 1;
        let port = if after.is_empty() {
            None
        } else if let Some(p) = after.strip_prefix(':') {
            Some(parse_port(p, after_offset + 1, maybe_password)?)
        } else {
            return Err(UriError::at(UriErrorKind::InvalidIpLiteral, after_offset));
        };
        let host = PctStr::new(inner, offset + 1)?;
        return Ok(Host { kind: HostKind::IpLiteral, host, port });
    }
    let (name, port) = match raw.find(':') {
        Some(i) => (
            raw.get(..i).unwrap_or_default(),
            Some(parse_port(raw.get(i + 1..).unwrap_or_default(), offset + i + 1, maybe_password)?),
        ),
        None => (raw, None),
    };
    if name.is_empty() {
        return Err(UriError::at(UriErrorKind::EmptyHost, offset));
    }
    let host = PctStr::new(name, offset)?;
    let kind = if host.bytes().any(|b| b == b'/') {
        // A socket path: only `.sock` paths, and no NUL or controls.
        let len = host.decoded_len();
        let ends_sock = host.bytes().skip(len.saturating_sub(5)).eq(b".sock".iter().copied());
        if !ends_sock || host.bytes().any(|b| b < 0x20 || b == 0x7F) {
            return Err(UriError::at(UriErrorKind::InvalidSocketPath, offset));
        }
        HostKind::UnixSocket
    } else if let Some(i) = host.bytes().position(bad_hostname_byte) {
        let _ = i;
        return Err(UriError::at(UriErrorKind::InvalidHost, offset));
    } else if is_ipv4(host) {
        HostKind::Ipv4
    } else {
        HostKind::Hostname
    };
    Ok(Host { kind, host, port })
}

/// Iterator over the host list (validated when the URI was parsed, so it
/// cannot fail).
#[derive(Clone, Debug)]
pub struct Hosts<'a> {
    rest: Option<&'a str>,
    offset: usize,
}

impl<'a> Hosts<'a> {
    pub(crate) const fn new(section: &'a str, offset: usize) -> Self {
        Hosts { rest: Some(section), offset }
    }
}

impl<'a> Iterator for Hosts<'a> {
    type Item = Host<'a>;
    fn next(&mut self) -> Option<Host<'a>> {
        let rest = self.rest?;
        let (entry, tail) = match rest.find(',') {
            Some(i) => (rest.get(..i)?, Some(rest.get(i + 1..)?)),
            None => (rest, None),
        };
        let offset = self.offset;
        self.rest = tail;
        self.offset += entry.len() + 1;
        parse_host(entry, offset, false).ok()
    }
}
