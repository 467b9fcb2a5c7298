//! `mongodb+srv://`: the name to query for SRV records, the check that SRV
//! targets belong to the same domain, and validation of the TXT record's
//! options. The caller does only the DNS part.

use core::fmt;

use super::ConnectionString;
use super::error::{UriError, UriErrorKind};
use super::options::OptionKey;
use super::pct::{PctStr, SliceWriter};

/// Longest DNS name handled (RFC 1035: 253 characters without the final dot).
pub const MAX_DNS_NAME_LEN: usize = 253;

/// The SRV query name `_<srvServiceName>._tcp.<host>`. `Display` writes it;
/// [`SrvQueryName::write_into`] fills a buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SrvQueryName<'a> {
    service: PctStr<'a>,
    host: PctStr<'a>,
}

impl<'a> SrvQueryName<'a> {
    pub(crate) const fn new(service: PctStr<'a>, host: PctStr<'a>) -> Self {
        SrvQueryName { service, host }
    }
    /// The service name (`mongodb` unless `srvServiceName` says otherwise).
    pub const fn service(&self) -> PctStr<'a> {
        self.service
    }
    /// The host from the URI.
    pub const fn host(&self) -> PctStr<'a> {
        self.host
    }
    /// Write the query name into `out`.
    ///
    /// # Errors
    /// [`UriErrorKind::BufferTooSmall`] with the size needed.
    pub fn write_into<'b>(&self, out: &'b mut [u8]) -> Result<&'b str, UriError> {
        let mut w = SliceWriter::new(out);
        fmt::write(&mut w, format_args!("{self}"))
            .map_err(|_| UriError::new(UriErrorKind::WriteFailed))?;
        w.finish()
    }

    /// Whether `target` (a host from an SRV answer) may be used: it must lie
    /// in the parent domain of the URI host (for a host with fewer than three
    /// labels, in the host's own domain, below it). Compared ignoring ASCII
    /// case and a trailing dot.
    pub fn is_valid_target(&self, target: &str) -> bool {
        let mut buf = [0u8; MAX_DNS_NAME_LEN + 1];
        let Ok(host) = self.host.decode(&mut buf) else {
            return false;
        };
        let host = host.strip_suffix('.').unwrap_or(host);
        let target = target.strip_suffix('.').unwrap_or(target);
        let labels = host.split('.').count();
        let domain = if labels >= 3 {
            match host.find('.') {
                Some(i) => host.get(i..).unwrap_or_default(), // ".example.com"
                None => return false,
            }
        } else {
            // "example.com": targets must be strictly below it.
            return target.len() > host.len() + 1
                && target
                    .get(target.len() - host.len()..)
                    .is_some_and(|t| t.eq_ignore_ascii_case(host))
                && target.as_bytes().get(target.len() - host.len() - 1) == Some(&b'.');
        };
        target.len() > domain.len()
            && target
                .get(target.len() - domain.len()..)
                .is_some_and(|t| t.eq_ignore_ascii_case(domain))
    }
}

impl fmt::Display for SrvQueryName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "_{}._tcp.{}", self.service, self.host)
    }
}

/// The options of an SRV TXT record (`authSource=...&replicaSet=...`). Only
/// `authSource`, `replicaSet` and `loadBalanced` are allowed; anything else is
/// an error. Options in the URI override these.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxtOptions<'a> {
    auth_source: Option<PctStr<'a>>,
    replica_set: Option<PctStr<'a>>,
    load_balanced: Option<bool>,
}

impl<'a> TxtOptions<'a> {
    /// Parse the TXT records of the SRV host. More than one record is an
    /// error; a record split into several strings must be joined first.
    ///
    /// # Errors
    /// [`UriErrorKind::TxtRecord`] or a percent-encoding error, with the
    /// offset in the record.
    pub fn parse_records(records: &[&'a str]) -> Result<Self, UriError> {
        match records {
            [] => Ok(TxtOptions::default()),
            [one] => Self::parse(one),
            _ => Err(UriError::new(UriErrorKind::TxtRecord { rule: "more than one TXT record" })),
        }
    }

    /// Parse one TXT record.
    ///
    /// # Errors
    /// As [`TxtOptions::parse_records`].
    pub fn parse(record: &'a str) -> Result<Self, UriError> {
        let mut out = TxtOptions::default();
        let mut offset = 0;
        for pair in record.split('&') {
            let pair_offset = offset;
            offset += pair.len() + 1;
            if pair.is_empty() {
                continue;
            }
            let Some(eq) = pair.find('=') else {
                return Err(UriError::at(UriErrorKind::OptionWithoutValue, pair_offset));
            };
            let name = PctStr::new(pair.get(..eq).unwrap_or_default(), pair_offset)?;
            let value = PctStr::new(pair.get(eq + 1..).unwrap_or_default(), pair_offset + eq + 1)?;
            if name.eq_ignore_ascii_case(OptionKey::AuthSource.name()) {
                if value.is_empty() {
                    return Err(UriError::at(
                        UriErrorKind::InvalidOptionValue { key: OptionKey::AuthSource },
                        value.offset(),
                    ));
                }
                out.auth_source = Some(value);
            } else if name.eq_ignore_ascii_case(OptionKey::ReplicaSet.name()) {
                out.replica_set = Some(value);
            } else if name.eq_ignore_ascii_case(OptionKey::LoadBalanced.name()) {
                out.load_balanced = Some(if value.eq_ignore_ascii_case("true") {
                    true
                } else if value.eq_ignore_ascii_case("false") {
                    false
                } else {
                    return Err(UriError::at(
                        UriErrorKind::InvalidOptionValue { key: OptionKey::LoadBalanced },
                        value.offset(),
                    ));
                });
            } else {
                return Err(UriError::at(
                    UriErrorKind::TxtRecord {
                        rule: "only authSource, replicaSet and loadBalanced are allowed",
                    },
                    pair_offset,
                ));
            }
        }
        Ok(out)
    }

    /// `authSource` from the record.
    pub const fn auth_source(&self) -> Option<PctStr<'a>> {
        self.auth_source
    }
    /// `replicaSet` from the record.
    pub const fn replica_set(&self) -> Option<PctStr<'a>> {
        self.replica_set
    }
    /// `loadBalanced` from the record.
    pub const fn load_balanced(&self) -> Option<bool> {
        self.load_balanced
    }

    /// Check the record against the URI it belongs to (URI values win): a
    /// positive `srvMaxHosts` excludes `replicaSet` and `loadBalanced=true`,
    /// and `loadBalanced=true` excludes `replicaSet`.
    ///
    /// # Errors
    /// [`UriErrorKind::OptionConflict`].
    pub fn check_against(&self, uri: &ConnectionString<'_>) -> Result<(), UriError> {
        let o = uri.options();
        let replica_set = o.replica_set().is_some() || self.replica_set.is_some();
        let load_balanced = o.load_balanced().or(self.load_balanced) == Some(true);
        let conflict =
            |first, second| Err(UriError::new(UriErrorKind::OptionConflict { first, second }));
        if o.srv_max_hosts().is_some_and(|n| n > 0) {
            if replica_set {
                return conflict(OptionKey::SrvMaxHosts, OptionKey::ReplicaSet);
            }
            if load_balanced {
                return conflict(OptionKey::SrvMaxHosts, OptionKey::LoadBalanced);
            }
        }
        if load_balanced && replica_set {
            return conflict(OptionKey::LoadBalanced, OptionKey::ReplicaSet);
        }
        if load_balanced && o.direct_connection() == Some(true) {
            return conflict(OptionKey::LoadBalanced, OptionKey::DirectConnection);
        }
        Ok(())
    }
}
