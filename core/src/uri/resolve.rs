//! `mongodb+srv://` resolution over DNS (feature `srv`, `std`): the SRV and
//! TXT lookups, the initial-DNS-seedlist-discovery spec's checks on their
//! answers, `srvMaxHosts`, and the options the TXT record may supply, merged
//! under the URI's. The rules themselves are the sans-I/O helpers of
//! [`SrvQueryName`](super::SrvQueryName) and [`TxtOptions`]; this module adds
//! only the DNS.
//!
//! hickory-resolver has no blocking resolver since 0.25, so each
//! [`SrvResolver::resolve`] runs its futures on a current-thread tokio
//! runtime created for the call (no threads, dropped on return): the caller
//! stays blocking and no runtime is imposed on the rest of the program.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

use hickory_resolver::config::{ConnectionConfig, NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::proto::rr::RData;
use hickory_resolver::{Resolver, TokioResolver};

use super::error::UriError;
use super::{ConnectionString, PctStr, TxtOptions};

/// How long one resolution may take by default (all its DNS queries).
pub const SRV_TIMEOUT: Duration = Duration::from_secs(10);

/// Most SRV targets taken from one answer; a longer answer is an error (not
/// a truncation: the hosts left out would be chosen arbitrarily).
pub const MAX_SRV_TARGETS: usize = 128;

/// Longest TXT record accepted, in bytes (its strings joined).
pub const MAX_TXT_LEN: usize = 4096;

/// Why a `mongodb+srv` URI could not be resolved.
#[derive(Debug)]
pub enum SrvError {
    /// The URI is not `mongodb+srv://`.
    NotSrv,
    /// A DNS query failed (the name queried and the resolver's message).
    Dns {
        /// The name queried.
        name: String,
        /// What the resolver said.
        message: String,
    },
    /// The SRV query returned no records.
    NoRecords {
        /// The name queried.
        name: String,
    },
    /// An SRV target is not in the URI host's domain (the spec refuses the
    /// whole answer).
    TargetOutsideDomain {
        /// The offending target.
        target: String,
    },
    /// More SRV targets than [`MAX_SRV_TARGETS`], or a TXT record longer
    /// than [`MAX_TXT_LEN`].
    TooLarge {
        /// What was too large.
        what: &'static str,
    },
    /// The TXT record broke a rule (more than one record, an option other
    /// than `authSource`, `replicaSet`, `loadBalanced`, a bad value, or a
    /// conflict with the URI's options), or an option could not be decoded.
    Txt(UriError),
    /// The resolution did not finish within its timeout.
    Timeout,
    /// The resolver could not be set up (runtime, system configuration).
    Setup(String),
}

impl fmt::Display for SrvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotSrv => f.write_str("not a mongodb+srv:// connection string"),
            Self::Dns { name, message } => write!(f, "DNS lookup of {name} failed: {message}"),
            Self::NoRecords { name } => write!(f, "no SRV records for {name}"),
            Self::TargetOutsideDomain { target } => {
                write!(f, "SRV target {target} is not in the host's domain")
            }
            Self::TooLarge { what } => write!(f, "{what} exceeds its limit"),
            Self::Txt(e) => write!(f, "TXT record: {e}"),
            Self::Timeout => f.write_str("DNS resolution did not finish before its deadline"),
            Self::Setup(m) => write!(f, "DNS resolver setup failed: {m}"),
        }
    }
}

impl core::error::Error for SrvError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Txt(e) => Some(e),
            _ => None,
        }
    }
}

impl From<UriError> for SrvError {
    fn from(e: UriError) -> Self {
        SrvError::Txt(e)
    }
}

/// One host from the SRV answer, with the addresses the same resolver gave
/// for it (empty if that lookup failed: connect by name then).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvHost {
    /// The target name, without the trailing dot.
    pub host: String,
    /// The port from the SRV record.
    pub port: u16,
    /// The target's A/AAAA addresses with `port`.
    pub addrs: Vec<SocketAddr>,
}

/// A resolved `mongodb+srv` URI: the seed list and the options that DNS and
/// the URI together give (the URI wins over TXT).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResolvedSrv {
    hosts: Vec<SrvHost>,
    txt: Option<String>,
    auth_source: Option<String>,
    replica_set: Option<String>,
    load_balanced: Option<bool>,
    tls: bool,
}

impl ResolvedSrv {
    /// The seed list, after `srvMaxHosts` (a random subset when it is
    /// smaller than the answer).
    pub fn hosts(&self) -> &[SrvHost] {
        &self.hosts
    }
    /// The TXT record as received (its strings joined), if there was one.
    pub fn txt_record(&self) -> Option<&str> {
        self.txt.as_deref()
    }
    /// The TXT record's options, for
    /// [`CredentialContext::with_txt`](super::CredentialContext::with_txt).
    pub fn txt_options(&self) -> TxtOptions<'_> {
        self.txt.as_deref().and_then(|t| TxtOptions::parse(t).ok()).unwrap_or_default()
    }
    /// `authSource`: the URI's, else the TXT record's (decoded).
    pub fn auth_source(&self) -> Option<&str> {
        self.auth_source.as_deref()
    }
    /// `replicaSet`: the URI's, else the TXT record's (decoded).
    pub fn replica_set(&self) -> Option<&str> {
        self.replica_set.as_deref()
    }
    /// `loadBalanced`: the URI's, else the TXT record's.
    pub fn load_balanced(&self) -> Option<bool> {
        self.load_balanced
    }
    /// Whether the connection must use TLS: `mongodb+srv` implies it unless
    /// the URI says `tls=false` (or `ssl=false`). This crate does not do TLS
    /// itself; the caller must honour this.
    pub fn tls(&self) -> bool {
        self.tls
    }
}

/// Where the DNS queries go: the system's configuration, or one nameserver
/// (tests, split-horizon setups). Each resolution is bounded by a timeout.
#[derive(Clone, Debug)]
pub struct SrvResolver {
    nameserver: Option<SocketAddr>,
    timeout: Duration,
}

impl Default for SrvResolver {
    fn default() -> Self {
        Self::system()
    }
}

impl SrvResolver {
    /// The system's resolver configuration (`/etc/resolv.conf` on Unix),
    /// with [`SRV_TIMEOUT`].
    pub const fn system() -> Self {
        SrvResolver { nameserver: None, timeout: SRV_TIMEOUT }
    }
    /// Send every query to `addr` (UDP, then TCP for truncated answers).
    pub const fn with_nameserver(addr: SocketAddr) -> Self {
        SrvResolver { nameserver: Some(addr), timeout: SRV_TIMEOUT }
    }
    /// Bound the whole resolution (SRV, TXT and the targets' addresses).
    #[must_use]
    pub const fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    fn build(&self) -> Result<TokioResolver, SrvError> {
        let per_query = self.timeout / 2;
        let builder = match self.nameserver {
            Some(addr) => {
                let mut udp = ConnectionConfig::udp();
                udp.port = addr.port();
                let mut tcp = ConnectionConfig::tcp();
                tcp.port = addr.port();
                let ns = NameServerConfig::new(addr.ip(), true, alloc::vec![udp, tcp]);
                let cfg = ResolverConfig::from_parts(None, Vec::new(), alloc::vec![ns]);
                Resolver::builder_with_config(cfg, TokioRuntimeProvider::default())
            }
            None => Resolver::builder_tokio().map_err(|e| SrvError::Setup(e.to_string()))?,
        };
        let mut opts = ResolverOpts::default();
        opts.timeout = per_query;
        opts.attempts = 2;
        builder.with_options(opts).build().map_err(|e| SrvError::Setup(e.to_string()))
    }

    /// Resolve `uri` (a `mongodb+srv://` connection string): look up the
    /// SRV records of `_<srvServiceName>._tcp.<host>`, refuse the answer if
    /// any target is outside the host's domain, apply `srvMaxHosts`, look up
    /// the TXT record (at most one, only `authSource`, `replicaSet`,
    /// `loadBalanced`), merge its options under the URI's, and look up each
    /// chosen target's addresses.
    ///
    /// # Errors
    /// [`SrvError`]: the DNS, the spec's rules, or the timeout.
    pub fn resolve(&self, uri: &ConnectionString<'_>) -> Result<ResolvedSrv, SrvError> {
        let query = uri.srv_query_name().ok_or(SrvError::NotSrv)?;
        let srv_name = query.to_string();
        let mut host_buf = [0u8; super::MAX_DNS_NAME_LEN + 1];
        let txt_name = query.host().decode(&mut host_buf)?.to_owned();
        let resolver = self.build()?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(|e| SrvError::Setup(e.to_string()))?;
        let timeout = self.timeout;
        let started = std::time::Instant::now();
        let (targets, txt, resolver_hosts) = rt.block_on(async {
            tokio::time::timeout(timeout, async {
                let srv = resolver.srv_lookup(srv_name.as_str()).await;
                let srv = match srv {
                    Ok(l) => l,
                    Err(e) if e.is_no_records_found() => {
                        return Err(SrvError::NoRecords { name: srv_name.clone() });
                    }
                    Err(e) => {
                        return Err(SrvError::Dns {
                            name: srv_name.clone(),
                            message: e.to_string(),
                        });
                    }
                };
                let mut targets = Vec::new();
                for rec in srv.answers() {
                    if let RData::SRV(s) = &rec.data {
                        if targets.len() == MAX_SRV_TARGETS {
                            return Err(SrvError::TooLarge { what: "the SRV answer" });
                        }
                        let name = s.target.to_ascii();
                        let name = name.strip_suffix('.').unwrap_or(&name).to_owned();
                        if !query.is_valid_target(&name) {
                            return Err(SrvError::TargetOutsideDomain { target: name });
                        }
                        targets.push((name, s.port));
                    }
                }
                if targets.is_empty() {
                    return Err(SrvError::NoRecords { name: srv_name.clone() });
                }
                let txt = match resolver.txt_lookup(txt_name.as_str()).await {
                    Ok(l) => {
                        let mut records = Vec::new();
                        for rec in l.answers() {
                            if let RData::TXT(t) = &rec.data {
                                let mut joined = Vec::new();
                                for part in t.txt_data.iter() {
                                    joined.extend_from_slice(part);
                                }
                                if joined.len() > MAX_TXT_LEN {
                                    return Err(SrvError::TooLarge { what: "the TXT record" });
                                }
                                records.push(String::from_utf8_lossy(&joined).into_owned());
                            }
                        }
                        records
                    }
                    Err(e) if e.is_no_records_found() => Vec::new(),
                    Err(e) => {
                        return Err(SrvError::Dns {
                            name: txt_name.clone(),
                            message: e.to_string(),
                        });
                    }
                };
                Ok((targets, txt, resolver))
            })
            .await
            .map_err(|_| SrvError::Timeout)?
        })?;

        // The TXT rules, then the URI's options over the record's.
        let refs: Vec<&str> = txt.iter().map(String::as_str).collect();
        let opts = TxtOptions::parse_records(&refs)?;
        opts.check_against(uri)?;
        let o = uri.options();
        let auth_source = o.auth_source().or(opts.auth_source()).map(decode).transpose()?;
        let replica_set = o.replica_set().or(opts.replica_set()).map(decode).transpose()?;
        let load_balanced = o.load_balanced().or(opts.load_balanced());
        let tls = o.tls().unwrap_or(true);

        let mut targets = targets;
        if let Some(max) = o.srv_max_hosts().and_then(|n| usize::try_from(n).ok())
            && max > 0
            && max < targets.len()
        {
            shuffle(&mut targets).map_err(|e| SrvError::Setup(e.to_string()))?;
            targets.truncate(max);
        }

        // What is left of the one bound for the whole resolution.
        let left = timeout.saturating_sub(started.elapsed());
        let hosts = rt.block_on(async {
            tokio::time::timeout(left, async {
                let mut hosts = Vec::with_capacity(targets.len());
                for (host, port) in targets {
                    let addrs = match resolver_hosts.lookup_ip(host.as_str()).await {
                        Ok(ips) => ips.iter().map(|ip: IpAddr| SocketAddr::new(ip, port)).collect(),
                        Err(_) => Vec::new(),
                    };
                    hosts.push(SrvHost { host, port, addrs });
                }
                hosts
            })
            .await
            .map_err(|_| SrvError::Timeout)
        })?;
        resolver_hosts.clear_cache();
        Ok(ResolvedSrv {
            hosts,
            txt: txt.into_iter().next(),
            auth_source,
            replica_set,
            load_balanced,
            tls,
        })
    }
}

fn decode(p: PctStr<'_>) -> Result<String, SrvError> {
    let mut buf = alloc::vec![0u8; p.decoded_len()];
    Ok(p.decode(&mut buf)?.to_owned())
}

/// Fisher-Yates with OS randomness (rejection sampling: no modulo bias).
fn shuffle<T>(items: &mut [T]) -> Result<(), crate::Error> {
    for i in (1..items.len()).rev() {
        let bound = (i + 1) as u64;
        let zone = u64::MAX - (u64::MAX % bound);
        let j = loop {
            let mut b = [0u8; 8];
            crate::os::fill_random(&mut b)?;
            let r = u64::from_le_bytes(b);
            if r < zone {
                break r % bound;
            }
        };
        items.swap(i, usize::try_from(j).unwrap_or(0));
    }
    Ok(())
}
