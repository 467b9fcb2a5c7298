//! URI options: case-insensitive keys, typed values, and the spec's split
//! between errors and warnings.
//!
//! Values stay percent-encoded views ([`PctStr`]) over the input; numbers,
//! booleans and enumerations are parsed once here. Each known option has one
//! slot, so storage is fixed; the only list stored is the read-preference tag
//! sets, bounded by [`MAX_TAG_SETS`].

use core::fmt;

use super::credential::Mechanism;
use super::error::{UriError, UriErrorKind};
use super::pct::{PctStr, Secret};
use super::warning::{Warning, WarningKind, WarningSink};

/// Most `readPreferenceTags` options (tag sets) one URI may hold. More is an
/// error, never a truncation.
pub const MAX_TAG_SETS: usize = 16;

/// Most `key:value` items one `authMechanismProperties` value may hold. More
/// is an error (it bounds the repeated-name check).
pub const MAX_MECHANISM_PROPERTIES: usize = 16;

/// Longest `appname` in bytes (handshake spec); a longer one is a warning.
pub const MAX_APP_NAME_LEN: usize = 128;

macro_rules! option_keys {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// Every URI option this crate knows, named as the URI options spec
        /// spells it. Matching is ASCII-case-insensitive.
        #[non_exhaustive]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OptionKey {
            $( $(#[$doc])* $variant, )*
        }
        impl OptionKey {
            /// All keys, in declaration order.
            pub const ALL: &'static [OptionKey] = &[$(OptionKey::$variant,)*];
            /// The spec's spelling, e.g. `connectTimeoutMS`.
            pub const fn name(self) -> &'static str {
                match self { $(OptionKey::$variant => $name,)* }
            }
        }
    };
}

option_keys! {
    /// Client name sent in the handshake.
    AppName = "appname",
    /// Authentication mechanism.
    AuthMechanism = "authMechanism",
    /// `KEY:VALUE,...` mechanism properties.
    AuthMechanismProperties = "authMechanismProperties",
    /// Database the credential is checked against.
    AuthSource = "authSource",
    /// Allowed wire compressors, comma separated.
    Compressors = "compressors",
    /// TCP connect timeout (ms).
    ConnectTimeoutMs = "connectTimeoutMS",
    /// Connect to the one host only (Single topology).
    DirectConnection = "directConnection",
    /// Retry on another server when overloaded.
    EnableOverloadRetargeting = "enableOverloadRetargeting",
    /// Deprecated alias of `authMechanismProperties=SERVICE_NAME:...`.
    GssapiServiceName = "gssapiServiceName",
    /// Server monitoring interval (ms, at least 500).
    HeartbeatFrequencyMs = "heartbeatFrequencyMS",
    /// Write concern `j`.
    Journal = "journal",
    /// Connecting through a load balancer.
    LoadBalanced = "loadBalanced",
    /// Server selection latency window (ms).
    LocalThresholdMs = "localThresholdMS",
    /// Retries after overload errors.
    MaxAdaptiveRetries = "maxAdaptiveRetries",
    /// Connections a pool may establish at once (positive).
    MaxConnecting = "maxConnecting",
    /// Idle time before a pooled connection is closed (ms).
    MaxIdleTimeMs = "maxIdleTimeMS",
    /// Pool size limit (0: none).
    MaxPoolSize = "maxPoolSize",
    /// Replication lag limit (-1: none, or at least 90 at selection time).
    MaxStalenessSeconds = "maxStalenessSeconds",
    /// Connections kept open.
    MinPoolSize = "minPoolSize",
    /// SOCKS5 proxy host.
    ProxyHost = "proxyHost",
    /// SOCKS5 proxy password (secret).
    ProxyPassword = "proxyPassword",
    /// SOCKS5 proxy port.
    ProxyPort = "proxyPort",
    /// SOCKS5 proxy user.
    ProxyUsername = "proxyUsername",
    /// Read concern level (any string).
    ReadConcernLevel = "readConcernLevel",
    /// Read preference mode.
    ReadPreference = "readPreference",
    /// One read preference tag set (repeatable).
    ReadPreferenceTags = "readPreferenceTags",
    /// Replica set name.
    ReplicaSet = "replicaSet",
    /// Retryable reads.
    RetryReads = "retryReads",
    /// Retryable writes.
    RetryWrites = "retryWrites",
    /// `stream`, `poll` or `auto`.
    ServerMonitoringMode = "serverMonitoringMode",
    /// Server selection timeout (ms, positive).
    ServerSelectionTimeoutMs = "serverSelectionTimeoutMS",
    /// Single-threaded drivers: scan once.
    ServerSelectionTryOnce = "serverSelectionTryOnce",
    /// Socket timeout (ms, deprecated in favour of `timeoutMS`).
    SocketTimeoutMs = "socketTimeoutMS",
    /// Most SRV results used (mongodb+srv only).
    SrvMaxHosts = "srvMaxHosts",
    /// SRV service name (mongodb+srv only).
    SrvServiceName = "srvServiceName",
    /// Alias of `tls`.
    Ssl = "ssl",
    /// Client-side operation timeout (ms).
    TimeoutMs = "timeoutMS",
    /// Use TLS.
    Tls = "tls",
    /// Accept invalid server certificates (insecure).
    TlsAllowInvalidCertificates = "tlsAllowInvalidCertificates",
    /// Accept certificate host name mismatches (insecure).
    TlsAllowInvalidHostnames = "tlsAllowInvalidHostnames",
    /// CA bundle path.
    TlsCaFile = "tlsCAFile",
    /// Client certificate and key path.
    TlsCertificateKeyFile = "tlsCertificateKeyFile",
    /// Password of the client key (secret).
    TlsCertificateKeyFilePassword = "tlsCertificateKeyFilePassword",
    /// Skip revocation checks.
    TlsDisableCertificateRevocationCheck = "tlsDisableCertificateRevocationCheck",
    /// Skip OCSP endpoint checks.
    TlsDisableOcspEndpointCheck = "tlsDisableOCSPEndpointCheck",
    /// Relax all TLS checks (insecure).
    TlsInsecure = "tlsInsecure",
    /// Write concern `w`.
    W = "w",
    /// Pool checkout timeout (ms, deprecated).
    WaitQueueTimeoutMs = "waitQueueTimeoutMS",
    /// Write concern timeout (ms, 64-bit).
    WTimeoutMs = "wTimeoutMS",
    /// zlib level, -1 to 9.
    ZlibCompressionLevel = "zlibCompressionLevel",
}

/// Number of [`OptionKey`]s (the size of the per-key tables).
pub const OPTION_COUNT: usize = OptionKey::ALL.len();

impl OptionKey {
    /// Look up an option name, ignoring ASCII case.
    pub fn from_name(name: &str) -> Option<OptionKey> {
        Self::ALL.iter().copied().find(|k| k.name().eq_ignore_ascii_case(name))
    }
    fn from_pct(name: PctStr<'_>) -> Option<OptionKey> {
        if let Some(plain) = name.as_plain() {
            return Self::from_name(plain);
        }
        Self::ALL.iter().copied().find(|k| name.eq_ignore_ascii_case(k.name()))
    }
    const fn index(self) -> usize {
        self as usize
    }
    const fn bit(self) -> u64 {
        1u64 << (self as u32)
    }
    /// The option whose slot this one fills (`ssl` fills `tls`).
    const fn canonical(self) -> OptionKey {
        match self {
            OptionKey::Ssl => OptionKey::Tls,
            k => k,
        }
    }
    const fn kind(self) -> Kind {
        use OptionKey as K;
        const I32: i64 = i32::MAX as i64;
        match self {
            K::AppName => Kind::AppName,
            K::AuthMechanism => Kind::Mechanism,
            K::AuthMechanismProperties => Kind::Properties,
            K::AuthSource => Kind::AuthSource,
            K::Compressors => Kind::List,
            K::DirectConnection
            | K::EnableOverloadRetargeting
            | K::Journal
            | K::LoadBalanced
            | K::RetryReads
            | K::RetryWrites
            | K::ServerSelectionTryOnce
            | K::Ssl
            | K::Tls
            | K::TlsAllowInvalidCertificates
            | K::TlsAllowInvalidHostnames
            | K::TlsDisableCertificateRevocationCheck
            | K::TlsDisableOcspEndpointCheck
            | K::TlsInsecure => Kind::Bool,
            K::ConnectTimeoutMs
            | K::LocalThresholdMs
            | K::MaxAdaptiveRetries
            | K::MaxIdleTimeMs
            | K::MaxPoolSize
            | K::MinPoolSize
            | K::SocketTimeoutMs
            | K::SrvMaxHosts
            | K::TimeoutMs => Kind::Int(0, I32),
            K::HeartbeatFrequencyMs => Kind::Int(500, I32),
            K::MaxConnecting | K::ServerSelectionTimeoutMs | K::WaitQueueTimeoutMs => {
                Kind::Int(1, I32)
            }
            K::ProxyPort => Kind::Int(0, 65535),
            K::WTimeoutMs => Kind::Int(0, i64::MAX),
            K::ZlibCompressionLevel => Kind::Int(-1, 9),
            K::MaxStalenessSeconds => Kind::MaxStaleness,
            K::GssapiServiceName
            | K::ProxyHost
            | K::ProxyUsername
            | K::ReadConcernLevel
            | K::ReplicaSet
            | K::TlsCaFile
            | K::TlsCertificateKeyFile => Kind::Str,
            K::ProxyPassword | K::TlsCertificateKeyFilePassword => Kind::Secret,
            K::ReadPreference => Kind::ReadPreference,
            K::ReadPreferenceTags => Kind::Tags,
            K::ServerMonitoringMode => Kind::ServerMonitoringMode,
            K::SrvServiceName => Kind::SrvServiceName,
            K::W => Kind::W,
        }
    }
}

impl fmt::Display for OptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Bool,
    Int(i64, i64),
    Str,
    Secret,
    AppName,
    AuthSource,
    Mechanism,
    Properties,
    List,
    ReadPreference,
    Tags,
    ServerMonitoringMode,
    SrvServiceName,
    MaxStaleness,
    W,
}

/// Read preference mode (server selection spec), spelled in lower camel case.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadPreferenceMode {
    /// `primary`
    Primary,
    /// `primaryPreferred`
    PrimaryPreferred,
    /// `secondary`
    Secondary,
    /// `secondaryPreferred`
    SecondaryPreferred,
    /// `nearest`
    Nearest,
}

impl ReadPreferenceMode {
    /// The URI spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::PrimaryPreferred => "primaryPreferred",
            Self::Secondary => "secondary",
            Self::SecondaryPreferred => "secondaryPreferred",
            Self::Nearest => "nearest",
        }
    }
    const ALL: [ReadPreferenceMode; 5] = [
        Self::Primary,
        Self::PrimaryPreferred,
        Self::Secondary,
        Self::SecondaryPreferred,
        Self::Nearest,
    ];
}

/// How servers are monitored (SDAM spec).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerMonitoringMode {
    /// `stream`
    Stream,
    /// `poll`
    Poll,
    /// `auto`
    Auto,
}

impl ServerMonitoringMode {
    /// The URI spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stream => "stream",
            Self::Poll => "poll",
            Self::Auto => "auto",
        }
    }
}

/// The write concern `w` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteConcernW<'a> {
    /// A number of nodes.
    Nodes(u32),
    /// `majority`.
    Majority,
    /// Any other string: a custom write concern tag.
    Tag(PctStr<'a>),
}

/// A comma-separated list value (`compressors`). Empty items are skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrList<'a>(PctStr<'a>);

impl<'a> StrList<'a> {
    /// The items, decoded lazily.
    pub fn iter(&self) -> impl Iterator<Item = PctStr<'a>> + 'a {
        self.0.split(b',').filter(|s| !s.is_empty())
    }
    /// The whole value as written.
    pub const fn as_pct(&self) -> PctStr<'a> {
        self.0
    }
}

/// A `key:value,...` list: one read preference tag set, or the
/// `authMechanismProperties` value. The list splits at each literal `,` and
/// each item at its first literal `:`, then each part is decoded: values may
/// contain `:`, and an encoded `,` (`%2C`) stays in its value (for
/// `authMechanismProperties`, with a [`WarningKind::EncodedComma`] when
/// parsing, since other drivers split there). Items without `:` were
/// reported as warnings when parsing and are skipped here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyValueList<'a>(PctStr<'a>);

impl<'a> KeyValueList<'a> {
    /// `(name, value)` pairs in input order.
    pub fn iter(&self) -> impl Iterator<Item = (PctStr<'a>, PctStr<'a>)> + 'a {
        self.0
            .split_raw(b',')
            .filter_map(|item| item.split_once_raw(b':'))
            .filter(|(k, _)| !k.is_empty())
    }
    /// The value for `name` (ASCII-case-insensitive); the last one if repeated.
    pub fn get(&self, name: &str) -> Option<PctStr<'a>> {
        self.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).last()
    }
    /// `true` if there are no well-formed pairs (the empty tag set).
    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
    /// The whole value as written.
    pub const fn as_pct(&self) -> PctStr<'a> {
        self.0
    }
}

/// A typed option value.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionValue<'a> {
    /// `true` / `false`.
    Bool(bool),
    /// Any integer option (range-checked for its key).
    Int(i64),
    /// A string option.
    Str(PctStr<'a>),
    /// A secret string option (`Debug` redacts it).
    Secret(Secret<'a>),
    /// `authMechanism`.
    Mechanism(Mechanism),
    /// `authMechanismProperties`.
    Properties(KeyValueList<'a>),
    /// `compressors`.
    List(StrList<'a>),
    /// `readPreference`.
    ReadPreference(ReadPreferenceMode),
    /// `serverMonitoringMode`.
    ServerMonitoringMode(ServerMonitoringMode),
    /// `w`.
    W(WriteConcernW<'a>),
}

/// The typed options of one connection string: one slot per [`OptionKey`]
/// (last valid value wins), plus the read preference tag sets in order.
#[derive(Clone, Debug)]
pub struct Options<'a> {
    values: [Option<OptionValue<'a>>; OPTION_COUNT],
    tag_sets: heapless::Vec<KeyValueList<'a>, MAX_TAG_SETS>,
    present: u64,
}

macro_rules! getters {
    (bool: $($b:ident => $bk:ident),* ; u32: $($u:ident => $uk:ident),* ; str: $($s:ident => $sk:ident),* ;) => {
        $(
            #[doc = concat!("`", stringify!($bk), "`, if given with a valid value.")]
            pub fn $b(&self) -> Option<bool> {
                match self.get(OptionKey::$bk) { Some(OptionValue::Bool(b)) => Some(b), _ => None }
            }
        )*
        $(
            #[doc = concat!("`", stringify!($uk), "`, if given with a valid value.")]
            pub fn $u(&self) -> Option<u32> {
                match self.get(OptionKey::$uk) {
                    Some(OptionValue::Int(i)) => u32::try_from(i).ok(),
                    _ => None,
                }
            }
        )*
        $(
            #[doc = concat!("`", stringify!($sk), "`, if given (still percent-encoded).")]
            pub fn $s(&self) -> Option<PctStr<'a>> {
                match self.get(OptionKey::$sk) { Some(OptionValue::Str(s)) => Some(s), _ => None }
            }
        )*
    };
}

impl<'a> Options<'a> {
    const fn empty() -> Self {
        Options { values: [None; OPTION_COUNT], tag_sets: heapless::Vec::new(), present: 0 }
    }

    /// The value of `key`, if given with a valid value (`ssl` reads `tls`).
    /// `readPreferenceTags` is read with [`Options::read_preference_tags`].
    pub fn get(&self, key: OptionKey) -> Option<OptionValue<'a>> {
        self.values.get(key.canonical().index()).copied().flatten()
    }

    /// `true` if `key` appeared in the URI, even with a value that was ignored.
    pub const fn is_present(&self, key: OptionKey) -> bool {
        self.present & key.bit() != 0
    }

    /// Every option with a valid value, in [`OptionKey`] order.
    pub fn iter(&self) -> impl Iterator<Item = (OptionKey, OptionValue<'a>)> + '_ {
        OptionKey::ALL.iter().filter_map(|k| Some((*k, (*self.values.get(k.index())?)?)))
    }

    /// The read preference tag sets, in URI order (an empty set matches any server).
    pub fn read_preference_tags(&self) -> &[KeyValueList<'a>] {
        &self.tag_sets
    }

    /// `authMechanism`.
    pub fn auth_mechanism(&self) -> Option<Mechanism> {
        match self.get(OptionKey::AuthMechanism) {
            Some(OptionValue::Mechanism(m)) => Some(m),
            _ => None,
        }
    }
    /// `authMechanismProperties`.
    pub fn auth_mechanism_properties(&self) -> Option<KeyValueList<'a>> {
        match self.get(OptionKey::AuthMechanismProperties) {
            Some(OptionValue::Properties(p)) => Some(p),
            _ => None,
        }
    }
    /// `compressors`.
    pub fn compressors(&self) -> Option<StrList<'a>> {
        match self.get(OptionKey::Compressors) {
            Some(OptionValue::List(l)) => Some(l),
            _ => None,
        }
    }
    /// `readPreference`.
    pub fn read_preference(&self) -> Option<ReadPreferenceMode> {
        match self.get(OptionKey::ReadPreference) {
            Some(OptionValue::ReadPreference(m)) => Some(m),
            _ => None,
        }
    }
    /// `serverMonitoringMode`.
    pub fn server_monitoring_mode(&self) -> Option<ServerMonitoringMode> {
        match self.get(OptionKey::ServerMonitoringMode) {
            Some(OptionValue::ServerMonitoringMode(m)) => Some(m),
            _ => None,
        }
    }
    /// `w`.
    pub fn w(&self) -> Option<WriteConcernW<'a>> {
        match self.get(OptionKey::W) {
            Some(OptionValue::W(w)) => Some(w),
            _ => None,
        }
    }
    /// `wTimeoutMS` (a 64-bit option).
    pub fn w_timeout_ms(&self) -> Option<u64> {
        match self.get(OptionKey::WTimeoutMs) {
            Some(OptionValue::Int(i)) => u64::try_from(i).ok(),
            _ => None,
        }
    }
    /// `zlibCompressionLevel` (-1 to 9).
    pub fn zlib_compression_level(&self) -> Option<i8> {
        match self.get(OptionKey::ZlibCompressionLevel) {
            Some(OptionValue::Int(i)) => i8::try_from(i).ok(),
            _ => None,
        }
    }
    /// `maxStalenessSeconds` (-1 means no limit).
    pub fn max_staleness_seconds(&self) -> Option<i32> {
        match self.get(OptionKey::MaxStalenessSeconds) {
            Some(OptionValue::Int(i)) => i32::try_from(i).ok(),
            _ => None,
        }
    }
    /// `proxyPort`.
    pub fn proxy_port(&self) -> Option<u16> {
        match self.get(OptionKey::ProxyPort) {
            Some(OptionValue::Int(i)) => u16::try_from(i).ok(),
            _ => None,
        }
    }
    /// `proxyPassword` (redacted in `Debug`).
    pub fn proxy_password(&self) -> Option<Secret<'a>> {
        match self.get(OptionKey::ProxyPassword) {
            Some(OptionValue::Secret(s)) => Some(s),
            _ => None,
        }
    }
    /// `tlsCertificateKeyFilePassword` (redacted in `Debug`).
    pub fn tls_certificate_key_file_password(&self) -> Option<Secret<'a>> {
        match self.get(OptionKey::TlsCertificateKeyFilePassword) {
            Some(OptionValue::Secret(s)) => Some(s),
            _ => None,
        }
    }

    getters! {
        bool: direct_connection => DirectConnection,
            enable_overload_retargeting => EnableOverloadRetargeting,
            journal => Journal,
            load_balanced => LoadBalanced,
            retry_reads => RetryReads,
            retry_writes => RetryWrites,
            server_selection_try_once => ServerSelectionTryOnce,
            tls => Tls,
            tls_allow_invalid_certificates => TlsAllowInvalidCertificates,
            tls_allow_invalid_hostnames => TlsAllowInvalidHostnames,
            tls_disable_certificate_revocation_check => TlsDisableCertificateRevocationCheck,
            tls_disable_ocsp_endpoint_check => TlsDisableOcspEndpointCheck,
            tls_insecure => TlsInsecure;
        u32: connect_timeout_ms => ConnectTimeoutMs,
            heartbeat_frequency_ms => HeartbeatFrequencyMs,
            local_threshold_ms => LocalThresholdMs,
            max_adaptive_retries => MaxAdaptiveRetries,
            max_connecting => MaxConnecting,
            max_idle_time_ms => MaxIdleTimeMs,
            max_pool_size => MaxPoolSize,
            min_pool_size => MinPoolSize,
            server_selection_timeout_ms => ServerSelectionTimeoutMs,
            socket_timeout_ms => SocketTimeoutMs,
            srv_max_hosts => SrvMaxHosts,
            timeout_ms => TimeoutMs,
            wait_queue_timeout_ms => WaitQueueTimeoutMs;
        str: app_name => AppName,
            auth_source => AuthSource,
            gssapi_service_name => GssapiServiceName,
            proxy_host => ProxyHost,
            proxy_username => ProxyUsername,
            read_concern_level => ReadConcernLevel,
            replica_set => ReplicaSet,
            srv_service_name => SrvServiceName,
            tls_ca_file => TlsCaFile,
            tls_certificate_key_file => TlsCertificateKeyFile;
    }
}

/// One `key=value` pair of the query, as written.
#[derive(Clone, Copy, Debug)]
pub struct RawOption<'a> {
    /// The key, still encoded.
    pub key: PctStr<'a>,
    /// The value, still encoded. For secrets prefer [`Options`], which wraps
    /// them in [`Secret`].
    pub value: PctStr<'a>,
    /// Byte offset of the pair in the input.
    pub offset: usize,
}

/// Iterator over the query's pairs, in input order (what the parser
/// accepted, so it cannot fail).
#[derive(Clone, Debug)]
pub struct RawOptions<'a> {
    rest: &'a str,
    offset: usize,
}

impl<'a> RawOptions<'a> {
    pub(crate) const fn new(query: &'a str, offset: usize) -> Self {
        RawOptions { rest: query, offset }
    }
}

impl<'a> Iterator for RawOptions<'a> {
    type Item = RawOption<'a>;
    fn next(&mut self) -> Option<RawOption<'a>> {
        loop {
            if self.rest.is_empty() {
                return None;
            }
            let (pair, tail, adv) = match self.rest.find('&') {
                Some(i) => (self.rest.get(..i)?, self.rest.get(i + 1..)?, i + 1),
                None => (self.rest, "", self.rest.len()),
            };
            let offset = self.offset;
            self.rest = tail;
            self.offset += adv;
            if pair.is_empty() {
                continue;
            }
            let eq = pair.find('=')?;
            let key = PctStr::new(pair.get(..eq)?, offset).ok()?;
            let value = PctStr::new(pair.get(eq + 1..)?, offset + eq + 1).ok()?;
            return Some(RawOption { key, value, offset });
        }
    }
}

/// Facts about the rest of the URI the option rules depend on.
#[derive(Clone, Copy)]
pub(crate) struct Context {
    pub(crate) srv: bool,
    pub(crate) host_count: usize,
}

enum Bad {
    Empty,
    Invalid,
}

fn parse_int(v: PctStr<'_>) -> Option<i64> {
    let mut bytes = v.bytes().peekable();
    let neg = if bytes.peek() == Some(&b'-') {
        bytes.next();
        true
    } else {
        false
    };
    let mut acc: i64 = 0;
    let mut any = false;
    for b in bytes {
        let d = match b {
            b'0'..=b'9' => i64::from(b - b'0'),
            _ => return None,
        };
        acc = acc.checked_mul(10)?.checked_add(d)?;
        any = true;
    }
    if !any {
        return None;
    }
    if neg { acc.checked_neg() } else { Some(acc) }
}

fn parse_bool(v: PctStr<'_>) -> Option<bool> {
    if v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// RFC 6335 section 5.1 service name: 1-15 of letters, digits and `-`, at
/// least one letter, no leading, trailing or doubled `-`.
pub(crate) fn valid_srv_service_name(v: PctStr<'_>) -> bool {
    let mut len = 0usize;
    let mut letter = false;
    let mut prev_dash = true; // rejects a leading '-'
    for b in v.bytes() {
        len += 1;
        match b {
            b'a'..=b'z' | b'A'..=b'Z' => {
                letter = true;
                prev_dash = false;
            }
            b'0'..=b'9' => prev_dash = false,
            b'-' if !prev_dash => prev_dash = true,
            _ => return false,
        }
    }
    (1..=15).contains(&len) && letter && !prev_dash
}

fn parse_value<'a, S: WarningSink<'a>>(
    key: OptionKey,
    name: PctStr<'a>,
    v: PctStr<'a>,
    sink: &mut S,
) -> Result<Result<OptionValue<'a>, Bad>, UriError> {
    let invalid = |kind| Err(UriError::at(kind, v.offset()));
    if v.is_empty() {
        return match key.kind() {
            Kind::AuthSource | Kind::Mechanism | Kind::SrvServiceName => {
                invalid(UriErrorKind::InvalidOptionValue { key })
            }
            Kind::Tags => Ok(Ok(OptionValue::Properties(KeyValueList(v)))),
            _ => Ok(Err(Bad::Empty)),
        };
    }
    let value = match key.kind() {
        Kind::Bool => parse_bool(v).map(OptionValue::Bool),
        Kind::Int(lo, hi) => parse_int(v).filter(|i| (lo..=hi).contains(i)).map(OptionValue::Int),
        Kind::MaxStaleness => parse_int(v)
            .filter(|i| *i == -1 || (1..=i64::from(i32::MAX)).contains(i))
            .map(OptionValue::Int),
        Kind::Str | Kind::AuthSource => Some(OptionValue::Str(v)),
        Kind::Secret => Some(OptionValue::Secret(Secret::new(v))),
        Kind::AppName => (v.decoded_len() <= MAX_APP_NAME_LEN).then_some(OptionValue::Str(v)),
        Kind::SrvServiceName => {
            if !valid_srv_service_name(v) {
                return invalid(UriErrorKind::InvalidOptionValue { key });
            }
            Some(OptionValue::Str(v))
        }
        Kind::Mechanism => match super::credential::mechanism_from_name(v) {
            Some(m) => Some(OptionValue::Mechanism(m)),
            None if v.eq_decoded("MONGODB-CR") => {
                return invalid(UriErrorKind::UnsupportedMechanism);
            }
            None => return invalid(UriErrorKind::UnknownMechanism),
        },
        Kind::Properties => {
            check_properties(name, v, sink)?;
            Some(OptionValue::Properties(KeyValueList(v)))
        }
        Kind::Tags => well_formed_pairs(v).then_some(OptionValue::Properties(KeyValueList(v))),
        Kind::List => Some(OptionValue::List(StrList(v))),
        Kind::ReadPreference => ReadPreferenceMode::ALL
            .iter()
            .copied()
            .find(|m| v.eq_decoded(m.as_str()))
            .map(OptionValue::ReadPreference),
        Kind::ServerMonitoringMode => {
            [ServerMonitoringMode::Stream, ServerMonitoringMode::Poll, ServerMonitoringMode::Auto]
                .into_iter()
                .find(|m| v.eq_decoded(m.as_str()))
                .map(OptionValue::ServerMonitoringMode)
        }
        Kind::W => {
            let first = v.bytes().next();
            if first.is_some_and(|b| b.is_ascii_digit()) || first == Some(b'-') {
                parse_int(v)
                    .and_then(|i| u32::try_from(i).ok())
                    .filter(|i| *i <= i32::MAX as u32)
                    .map(|n| OptionValue::W(WriteConcernW::Nodes(n)))
            } else if v.eq_decoded("majority") {
                Some(OptionValue::W(WriteConcernW::Majority))
            } else {
                Some(OptionValue::W(WriteConcernW::Tag(v)))
            }
        }
    };
    Ok(value.ok_or(Bad::Invalid))
}

/// Every item has a `:` with a non-empty name.
fn well_formed_pairs(v: PctStr<'_>) -> bool {
    v.split_raw(b',').all(|item| item.split_once_raw(b':').is_some_and(|(k, _)| !k.is_empty()))
}

/// Warn about malformed items and repeated names; bound the item count.
fn check_properties<'a, S: WarningSink<'a>>(
    name: PctStr<'a>,
    v: PctStr<'a>,
    sink: &mut S,
) -> Result<(), UriError> {
    let key = Some(OptionKey::AuthMechanismProperties);
    let mut names: heapless::Vec<PctStr<'a>, MAX_MECHANISM_PROPERTIES> = heapless::Vec::new();
    for item in v.split_raw(b',') {
        match item.split_once_raw(b':') {
            Some((k, value)) if !k.is_empty() => {
                if value.bytes().any(|b| b == b',') {
                    sink.warn(Warning::new(WarningKind::EncodedComma, key, name, item.offset()));
                }
                if names.iter().any(|seen| {
                    seen.bytes()
                        .map(|b| b.to_ascii_lowercase())
                        .eq(k.bytes().map(|b| b.to_ascii_lowercase()))
                }) {
                    sink.warn(Warning::new(
                        WarningKind::RepeatedProperty,
                        key,
                        name,
                        item.offset(),
                    ));
                }
                names.push(k).map_err(|_| {
                    UriError::at(
                        UriErrorKind::LimitExceeded {
                            what: "authMechanismProperties items",
                            limit: MAX_MECHANISM_PROPERTIES,
                        },
                        item.offset(),
                    )
                })?;
            }
            _ => sink.warn(Warning::new(WarningKind::MalformedListItem, key, name, item.offset())),
        }
    }
    Ok(())
}

/// Parse the query (the text after `?`) into typed options, reporting
/// warnings to `sink`, then apply the rules that tie options together.
pub(crate) fn parse_query<'a, S: WarningSink<'a>>(
    query: &'a str,
    query_offset: usize,
    ctx: Context,
    sink: &mut S,
) -> Result<Options<'a>, UriError> {
    let mut opts = Options::empty();
    let mut offsets = [0u32; OPTION_COUNT];
    let mut tls_seen: Option<(OptionKey, bool)> = None;
    let mut rest = query;
    let mut offset = query_offset;
    while !rest.is_empty() {
        let (pair, tail, adv) = match rest.find('&') {
            Some(i) => {
                (rest.get(..i).unwrap_or_default(), rest.get(i + 1..).unwrap_or_default(), i + 1)
            }
            None => (rest, "", rest.len()),
        };
        let pair_offset = offset;
        rest = tail;
        offset += adv;
        if pair.is_empty() {
            continue; // `a=1&&b=2`, or a trailing `&`
        }
        let Some(eq) = pair.find('=') else {
            return Err(UriError::at(UriErrorKind::OptionWithoutValue, pair_offset));
        };
        let name = PctStr::new(pair.get(..eq).unwrap_or_default(), pair_offset)?;
        let value = PctStr::new(pair.get(eq + 1..).unwrap_or_default(), pair_offset + eq + 1)?;
        let Some(key) = OptionKey::from_pct(name) else {
            sink.warn(Warning::new(WarningKind::UnknownOption, None, name, pair_offset));
            continue;
        };
        if let Some(slot) = offsets.get_mut(key.index()) {
            *slot = u32::try_from(pair_offset).unwrap_or(u32::MAX);
        }
        if opts.is_present(key) {
            match key {
                OptionKey::ProxyHost
                | OptionKey::ProxyPort
                | OptionKey::ProxyUsername
                | OptionKey::ProxyPassword => {
                    return Err(UriError::at(UriErrorKind::RepeatedOption { key }, pair_offset));
                }
                OptionKey::ReadPreferenceTags => {}
                _ => sink.warn(Warning::new(
                    WarningKind::RepeatedOption,
                    Some(key),
                    name,
                    pair_offset,
                )),
            }
        }
        opts.present |= key.bit();
        if key == OptionKey::GssapiServiceName {
            sink.warn(Warning::new(WarningKind::DeprecatedOption, Some(key), name, pair_offset));
        }
        match parse_value(key, name, value, sink)? {
            Ok(v) => {
                if let (OptionKey::Tls | OptionKey::Ssl, OptionValue::Bool(b)) = (key, v) {
                    match tls_seen {
                        Some((first, prev)) if prev != b => {
                            return Err(UriError::at(
                                UriErrorKind::OptionConflict { first, second: key },
                                pair_offset,
                            ));
                        }
                        _ => tls_seen = Some((key, b)),
                    }
                }
                if key == OptionKey::ReadPreferenceTags {
                    if let OptionValue::Properties(list) = v {
                        opts.tag_sets.push(list).map_err(|_| {
                            UriError::at(
                                UriErrorKind::LimitExceeded {
                                    what: "readPreferenceTags",
                                    limit: MAX_TAG_SETS,
                                },
                                pair_offset,
                            )
                        })?;
                    }
                } else if let Some(slot) = opts.values.get_mut(key.canonical().index()) {
                    *slot = Some(v);
                }
            }
            Err(Bad::Empty) => {
                sink.warn(Warning::new(WarningKind::EmptyValue, Some(key), name, pair_offset))
            }
            Err(Bad::Invalid) => {
                sink.warn(Warning::new(WarningKind::InvalidValue, Some(key), name, pair_offset))
            }
        }
    }
    let at = |k: OptionKey| offsets.get(k.index()).map_or(0, |o| *o as usize);
    check_rules(&opts, ctx, &at)?;
    if opts.is_present(OptionKey::GssapiServiceName)
        && opts.auth_mechanism_properties().is_some_and(|p| p.get("SERVICE_NAME").is_some())
    {
        let k = OptionKey::GssapiServiceName;
        sink.warn(Warning {
            kind: WarningKind::DeprecatedOptionIgnored,
            key: Some(k),
            name: k.name(),
            offset: at(k),
        });
    }
    Ok(opts)
}

fn check_rules(
    opts: &Options<'_>,
    ctx: Context,
    at: &dyn Fn(OptionKey) -> usize,
) -> Result<(), UriError> {
    use OptionKey as K;
    use UriErrorKind as E;
    let conflict = |first: K, second: K| {
        let (first, second) =
            if at(first) <= at(second) { (first, second) } else { (second, first) };
        Err(UriError::at(E::OptionConflict { first, second }, at(second)))
    };
    // Insecure TLS options (URI options spec, "Conflicting TLS options").
    const TLS_PAIRS: [(OptionKey, OptionKey); 7] = [
        (K::TlsInsecure, K::TlsAllowInvalidCertificates),
        (K::TlsInsecure, K::TlsAllowInvalidHostnames),
        (K::TlsInsecure, K::TlsDisableOcspEndpointCheck),
        (K::TlsInsecure, K::TlsDisableCertificateRevocationCheck),
        (K::TlsAllowInvalidCertificates, K::TlsDisableOcspEndpointCheck),
        (K::TlsAllowInvalidCertificates, K::TlsDisableCertificateRevocationCheck),
        (K::TlsDisableOcspEndpointCheck, K::TlsDisableCertificateRevocationCheck),
    ];
    for (a, b) in TLS_PAIRS {
        if opts.is_present(a) && opts.is_present(b) {
            return conflict(a, b);
        }
    }
    if opts.direct_connection() == Some(true) {
        if ctx.srv {
            return Err(UriError::at(
                E::OptionRule {
                    key: K::DirectConnection,
                    rule: "true is not allowed with mongodb+srv",
                },
                at(K::DirectConnection),
            ));
        }
        if ctx.host_count > 1 {
            return Err(UriError::at(
                E::OptionRule {
                    key: K::DirectConnection,
                    rule: "true is not allowed with several hosts",
                },
                at(K::DirectConnection),
            ));
        }
    }
    if opts.load_balanced() == Some(true) {
        if ctx.host_count > 1 {
            return Err(UriError::at(
                E::OptionRule {
                    key: K::LoadBalanced,
                    rule: "true is not allowed with several hosts",
                },
                at(K::LoadBalanced),
            ));
        }
        if opts.direct_connection() == Some(true) {
            return conflict(K::LoadBalanced, K::DirectConnection);
        }
        if opts.replica_set().is_some() {
            return conflict(K::LoadBalanced, K::ReplicaSet);
        }
    }
    for key in [K::SrvServiceName, K::SrvMaxHosts] {
        if !ctx.srv && opts.is_present(key) {
            return Err(UriError::at(E::OptionRequiresSrv { key }, at(key)));
        }
    }
    if opts.srv_max_hosts().is_some_and(|n| n > 0) {
        if opts.replica_set().is_some() {
            return conflict(K::SrvMaxHosts, K::ReplicaSet);
        }
        if opts.load_balanced() == Some(true) {
            return conflict(K::SrvMaxHosts, K::LoadBalanced);
        }
    }
    // SOCKS5 spec: every proxy option needs proxyHost; user and password go together.
    for key in [K::ProxyPort, K::ProxyUsername, K::ProxyPassword] {
        if opts.is_present(key) && !opts.is_present(K::ProxyHost) {
            return Err(UriError::at(E::OptionRequires { key, requires: K::ProxyHost }, at(key)));
        }
    }
    for (key, requires) in
        [(K::ProxyUsername, K::ProxyPassword), (K::ProxyPassword, K::ProxyUsername)]
    {
        if opts.is_present(key) && !opts.is_present(requires) {
            return Err(UriError::at(E::OptionRequires { key, requires }, at(key)));
        }
    }
    // Server selection / max staleness specs: mode primary (given or default)
    // cannot take tag sets or a max staleness.
    let primary = matches!(opts.read_preference(), None | Some(ReadPreferenceMode::Primary));
    if primary {
        if opts.read_preference_tags().iter().any(|t| !t.is_empty()) {
            return Err(UriError::at(
                E::OptionRule {
                    key: K::ReadPreferenceTags,
                    rule: "tag sets are not allowed with read preference primary",
                },
                at(K::ReadPreferenceTags),
            ));
        }
        if opts.max_staleness_seconds().is_some_and(|s| s > 0) {
            return Err(UriError::at(
                E::OptionRule {
                    key: K::MaxStalenessSeconds,
                    rule: "not allowed with read preference primary",
                },
                at(K::MaxStalenessSeconds),
            ));
        }
    }
    if let (Some(min), Some(max)) = (opts.min_pool_size(), opts.max_pool_size())
        && max != 0
        && min > max
    {
        return conflict(K::MinPoolSize, K::MaxPoolSize);
    }
    Ok(())
}
