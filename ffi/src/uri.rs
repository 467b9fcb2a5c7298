//! `mongoauth_uri`: a parsed connection string (a copy of the text, parsed
//! again by the core's `ConnectionString::parse` on every access, so no
//! pointer into the object is ever kept), the credential it describes, and
//! the encoder (`mongoauth_uri_encode`, the core's `UriBuilder`).

use core::ffi::c_void;

use mongoauth::uri::{
    ConnectionString, Credential, HostKind, HostSpec, MechanismProperties, OptionKey, OptionValue,
    PctStr, Scheme, UriBuilder, WarningKind, Warnings, WriteConcernW,
};
use zeroize::Zeroize;

use crate::error::{Fail, mongoauth_error};
use crate::mechanism::mongoauth_mechanism;
use crate::object::{self, Object};
use crate::panic::boundary;
use crate::ptr;
use crate::status::mongoauth_status::{self, *};

/// Longest connection string a `mongoauth_uri` holds, in bytes: 64 KiB,
/// room for what the drivers accept (a 5,000-byte password, hundreds of
/// hosts, long option lists). It was 2,048 before 0.2, which refused URIs
/// that pymongo and libmongoc read. A longer text is `CAPACITY`, refused
/// before any of it is read.
pub const MONGOAUTH_URI_MAX_BYTES: usize = 65536;
/// `sizeof(mongoauth_uri)`: bytes of caller memory a connection string needs
/// (the text buffer and 64 bytes of bookkeeping).
pub const MONGOAUTH_URI_SIZE: usize = 65600;
/// `_Alignof(mongoauth_uri)`.
pub const MONGOAUTH_URI_ALIGN: usize = 8;
const _: () = assert!(MONGOAUTH_URI_SIZE == MONGOAUTH_URI_MAX_BYTES + 64);
/// Warnings kept per connection string (`mongoauth_uri_warning`); the count
/// (`mongoauth_uri_warning_count`) includes any beyond.
pub const MONGOAUTH_URI_MAX_WARNINGS: usize = 16;
/// Most hosts, and most options, `mongoauth_uri_encode` takes.
pub const MONGOAUTH_URI_ENCODE_MAX_PARTS: usize = 32;

/// A parsed MongoDB connection string (`mongodb://` or `mongodb+srv://`).
/// Opaque: declare one or carve `MONGOAUTH_URI_SIZE` bytes aligned to
/// `MONGOAUTH_URI_ALIGN` (about 64 KiB: static storage or `_new`, not a
/// small stack), then `mongoauth_uri_init_static` (or `_new`),
/// then `mongoauth_uri_parse`. The object keeps its own copy of the text
/// (the password included, wiped by `_clear`/`_free`), so the caller's
/// string may be freed after parsing. Not thread-safe.
#[allow(non_camel_case_types)]
#[repr(C, align(8))]
pub struct mongoauth_uri {
    _opaque: [u8; MONGOAUTH_URI_SIZE],
}

pub(crate) struct UriState {
    text: [u8; MONGOAUTH_URI_MAX_BYTES],
    len: usize,
    parsed: bool,
}

impl Default for UriState {
    fn default() -> Self {
        UriState { text: [0; MONGOAUTH_URI_MAX_BYTES], len: 0, parsed: false }
    }
}

impl Drop for UriState {
    fn drop(&mut self) {
        self.text.as_mut_slice().zeroize();
    }
}

impl Object for UriState {
    type Public = mongoauth_uri;
    const MAGIC: u64 = 0x4d41_5552_4953_5400; // "MAURIST\0"
    const NAME: &'static str = "uri";
}

const _: () = assert!(object::fits::<UriState>());
const _: () = assert!(core::mem::align_of::<mongoauth_uri>() == MONGOAUTH_URI_ALIGN);

impl UriState {
    fn text(&self) -> Result<&str, Fail> {
        if !self.parsed {
            return Err(Fail::new(
                MONGOAUTH_STATUS_UNEXPECTED_STEP,
                "no connection string: call mongoauth_uri_parse first",
            ));
        }
        let b = self.text.get(..self.len).unwrap_or_default();
        core::str::from_utf8(b).map_err(|_| Fail::new(MONGOAUTH_STATUS_INTERNAL, "stored text"))
    }
    pub(crate) fn parsed(&self) -> Result<ConnectionString<'_>, Fail> {
        Ok(ConnectionString::parse(self.text()?, &mut ())?)
    }
    /// The validated credential; `None` when the URI asks for none.
    pub(crate) fn credential(&self) -> Result<Option<Credential<'_>>, Fail> {
        Ok(Credential::from_uri(&self.parsed()?)?)
    }
}

pub(crate) fn no_credential() -> Fail {
    Fail::new(
        MONGOAUTH_STATUS_INVALID_CREDENTIAL,
        "the connection string has no credential (see mongoauth_uri_has_credential)",
    )
}

/// Run `f` over the parsed connection string.
///
/// # Safety
/// `uri` is NULL or points to a `mongoauth_uri`.
unsafe fn with_uri(
    uri: *const mongoauth_uri,
    err: *mut mongoauth_error,
    f: impl FnOnce(&UriState) -> Result<(), Fail>,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get::<UriState>(uri) }?;
        f(s)
    })
}

/// `MONGOAUTH_URI_SIZE` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_uri_size() -> usize {
    core::mem::size_of::<mongoauth_uri>()
}

/// `MONGOAUTH_URI_ALIGN` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_uri_align() -> usize {
    core::mem::align_of::<mongoauth_uri>()
}

/// `MONGOAUTH_URI_MAX_BYTES` at run time.
#[unsafe(no_mangle)]
pub extern "C" fn mongoauth_uri_max_bytes() -> usize {
    MONGOAUTH_URI_MAX_BYTES
}

/// Make an empty connection string object in caller memory (`mem_len` at
/// least `MONGOAUTH_URI_SIZE`, aligned to `MONGOAUTH_URI_ALIGN`). Never
/// allocates. Wipe it with `mongoauth_uri_clear`.
///
/// # Safety
/// `mem` is valid for `mem_len` writable bytes that outlive the object.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_init_static(
    mem: *mut c_void,
    mem_len: usize,
    out: *mut *mut mongoauth_uri,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::init_static::<UriState>(mem, mem_len, out) })
}

/// Wipe a caller-memory connection string (the password in it too); later
/// use reports `INVALID_OBJECT`. Heap objects are refused (`WRONG_ALLOCATION`).
///
/// # Safety
/// `uri` is NULL or points to `MONGOAUTH_URI_SIZE` accessible bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_clear(
    uri: *mut mongoauth_uri,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::clear::<UriState>(uri) })
}

/// Allocate an empty connection string object on the heap (release with
/// `mongoauth_uri_free`). Only with the `alloc` feature.
///
/// # Safety
/// `out` is writable.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_new(
    out: *mut *mut mongoauth_uri,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(err, || unsafe { object::new::<UriState>(out) })
}

/// Wipe and release a heap connection string; NULL is a no-op.
///
/// # Safety
/// `uri` is NULL or from `mongoauth_uri_new`, not yet freed.
#[cfg(feature = "alloc")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_free(uri: *mut mongoauth_uri) -> mongoauth_status {
    // SAFETY: caller contract.
    boundary(core::ptr::null_mut(), || unsafe { object::free::<UriState>(uri) })
}

/// Parse a connection string (`text`, UTF-8, not NUL-terminated, at most
/// `MONGOAUTH_URI_MAX_BYTES`) into the object, replacing what it held. A
/// syntax error returns `URI_SYNTAX` (or `URI_OPTION`, `URI_SRV`,
/// `INVALID_UTF8`) with the byte in `err->offset`, and leaves the object
/// empty. Warnings (unknown or ignored options) do not fail the parse: read
/// them with `mongoauth_uri_warning_count` / `mongoauth_uri_warning`. The
/// credential rules are checked later, by the credential functions.
///
/// # Safety
/// `uri` points to a connection string object; `text` is readable for
/// `text_len` bytes; `err` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_parse(
    uri: *mut mongoauth_uri,
    text: *const u8,
    text_len: usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract.
        let s = unsafe { object::get_mut::<UriState>(uri) }?;
        s.parsed = false;
        s.text.as_mut_slice().zeroize();
        s.len = 0;
        // The limit first: no byte behind `text` is read when it is too long.
        let dst = s.text.get_mut(..text_len).ok_or(Fail::arg(
            MONGOAUTH_STATUS_CAPACITY,
            "connection string longer than MONGOAUTH_URI_MAX_BYTES",
            "text",
        ))?;
        // SAFETY: caller contract.
        let input = unsafe { ptr::bytes(text, text_len, "text") }?;
        ConnectionString::parse_bytes(input, &mut ())?;
        dst.copy_from_slice(input);
        s.len = input.len();
        s.parsed = true;
        Ok(())
    })
}

/// Whether the scheme is `mongodb+srv://`.
/// NULL, or memory that is not a live connection string object (never
/// initialised, another type, cleared), or one not parsed yet, answers
/// `false`.
///
/// # Safety
/// `uri` is NULL or points to `MONGOAUTH_URI_SIZE` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_is_srv(uri: *const mongoauth_uri) -> bool {
    // SAFETY: caller contract.
    unsafe {
        object::predicate::<UriState>(uri, |s| Ok(s.parsed()?.scheme() == Scheme::MongodbSrv))
    }
}

/// Host kinds reported by `mongoauth_uri_host`.
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mongoauth_host_kind {
    /// A DNS name.
    MONGOAUTH_HOST_HOSTNAME = 1,
    /// A dotted-quad IPv4 address.
    MONGOAUTH_HOST_IPV4 = 2,
    /// A bracketed IP literal (the text is without the brackets).
    MONGOAUTH_HOST_IP_LITERAL = 3,
    /// A Unix domain socket path.
    MONGOAUTH_HOST_UNIX_SOCKET = 4,
}

/// How many hosts the connection string lists (`*count`; 1 for SRV).
///
/// # Safety
/// `uri` points to a connection string object; `count` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_host_count(
    uri: *const mongoauth_uri,
    count: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            *ptr::out(count, "count")? = cs.host_count();
            Ok(())
        })
    }
}

/// Host number `index` (from 0): its name, percent-decoded, into `(out,
/// capacity)` with the length in `*written` (the usual size query);
/// `*port` (optional) its port or 0 when none was given (the default is
/// 27017); `*kind` (optional) a `mongoauth_host_kind`. An index past
/// `mongoauth_uri_host_count` is `INVALID_ARGUMENT`.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` is writable; `port` and `kind` are NULL or
/// writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_uri_host(
    uri: *const mongoauth_uri,
    index: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    port: *mut u16,
    kind: *mut u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            let h = cs.hosts().nth(index).ok_or(Fail::arg(
                MONGOAUTH_STATUS_INVALID_ARGUMENT,
                "no host with this index",
                "index",
            ))?;
            ptr::write_pct_out(h.host, out, capacity, written)?;
            if let Some(p) = ptr::opt_mut(port) {
                *p = h.port.unwrap_or(0);
            }
            if let Some(k) = ptr::opt_mut(kind) {
                *k = match h.kind {
                    HostKind::Ipv4 => mongoauth_host_kind::MONGOAUTH_HOST_IPV4,
                    HostKind::IpLiteral => mongoauth_host_kind::MONGOAUTH_HOST_IP_LITERAL,
                    HostKind::UnixSocket => mongoauth_host_kind::MONGOAUTH_HOST_UNIX_SOCKET,
                    _ => mongoauth_host_kind::MONGOAUTH_HOST_HOSTNAME,
                } as u32;
            }
            Ok(())
        })
    }
}

/// Write an optional percent-encoded string: `*found` false (and
/// `*written` 0) when absent.
///
/// # Safety
/// As `ptr::write_out`; `found` is NULL or writable.
unsafe fn optional_pct(
    p: Option<PctStr<'_>>,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    found: *mut bool,
) -> Result<(), Fail> {
    // SAFETY: forwarded contract.
    let found = unsafe { ptr::out(found, "found") }?;
    match p {
        Some(p) => {
            // SAFETY: forwarded contract.
            unsafe { ptr::write_pct_out(p, out, capacity, written) }?;
            *found = true;
        }
        None => {
            // SAFETY: forwarded contract.
            *unsafe { ptr::out(written, "written") }? = 0;
            *found = false;
        }
    }
    Ok(())
}

/// The database after the hosts (`/shop`), decoded, into `(out, capacity,
/// *written)`; `*found` is false when the URI names none.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` and `found` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_database(
    uri: *const mongoauth_uri,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    found: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| optional_pct(s.parsed()?.database(), out, capacity, written, found))
    }
}

/// How many options the connection string sets with a valid value
/// (`*count`); read their names with `mongoauth_uri_option_name`.
///
/// # Safety
/// `uri` points to a connection string object; `count` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_option_count(
    uri: *const mongoauth_uri,
    count: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            let n = cs.options().iter().count();
            *ptr::out(count, "count")? = n;
            Ok(())
        })
    }
}

/// The canonical name (`"authSource"`) of option number `index` (from 0,
/// below `mongoauth_uri_option_count`), into `(out, capacity, *written)`.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_option_name(
    uri: *const mongoauth_uri,
    index: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            let (key, _) = cs.options().iter().nth(index).ok_or(Fail::arg(
                MONGOAUTH_STATUS_INVALID_ARGUMENT,
                "no option with this index",
                "index",
            ))?;
            ptr::write_out(key.name().as_bytes(), out, capacity, written)
        })
    }
}

fn option_key(name: *const u8, name_len: usize) -> Result<OptionKey, Fail> {
    // SAFETY: the callers' contract covers `(name, name_len)`.
    let name = unsafe { ptr::text_max(name, name_len, MONGOAUTH_URI_MAX_BYTES, "name") }?;
    OptionKey::from_name(name).ok_or(Fail::arg(
        MONGOAUTH_STATUS_INVALID_ARGUMENT,
        "not a connection string option this library knows",
        "name",
    ))
}

/// An option value as text.
enum Text<'a> {
    Static(&'static str),
    Int(i64),
    Pct(PctStr<'a>),
}

fn as_text(v: OptionValue<'_>) -> Text<'_> {
    match v {
        OptionValue::Bool(b) => Text::Static(if b { "true" } else { "false" }),
        OptionValue::Int(i) => Text::Int(i),
        OptionValue::Str(p) => Text::Pct(p),
        OptionValue::Secret(p) => Text::Pct(p.expose_encoded()),
        OptionValue::Mechanism(m) => Text::Static(m.as_str()),
        OptionValue::Properties(kv) => Text::Pct(kv.as_pct()),
        OptionValue::List(l) => Text::Pct(l.as_pct()),
        OptionValue::ReadPreference(r) => Text::Static(r.as_str()),
        OptionValue::ServerMonitoringMode(m) => Text::Static(m.as_str()),
        OptionValue::W(WriteConcernW::Nodes(n)) => Text::Int(i64::from(n)),
        OptionValue::W(WriteConcernW::Majority) => Text::Static("majority"),
        OptionValue::W(WriteConcernW::Tag(p)) => Text::Pct(p),
        _ => Text::Static(""),
    }
}

/// The value of option `name` (any case: `"authsource"` finds
/// `authSource`; `ssl` reads `tls`) as text, decoded: booleans `true` /
/// `false`, numbers in decimal, enums by name, lists as written. `*found`
/// is false when the URI does not set it (or set it to an invalid value,
/// which was a warning). An unknown name is `INVALID_ARGUMENT`.
/// `readPreferenceTags` has no single value: it is never found here.
///
/// # Safety
/// `uri` points to a connection string object; `name` is readable for
/// `name_len` bytes; `out` is writable for `capacity` bytes; `written` and
/// `found` are writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_uri_option(
    uri: *const mongoauth_uri,
    name: *const u8,
    name_len: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    found: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            let key = option_key(name, name_len)?;
            let Some(v) = cs.options().get(key) else {
                return optional_pct(None, out, capacity, written, found);
            };
            match as_text(v) {
                Text::Pct(p) => optional_pct(Some(p), out, capacity, written, found),
                Text::Static(t) => {
                    let f = ptr::out(found, "found")?;
                    ptr::write_out(t.as_bytes(), out, capacity, written)?;
                    *f = true;
                    Ok(())
                }
                Text::Int(i) => {
                    let f = ptr::out(found, "found")?;
                    ptr::write_fmt_out(format_args!("{i}"), out, capacity, written)?;
                    *f = true;
                    Ok(())
                }
            }
        })
    }
}

/// A boolean option (`tls`, `tlsInsecure`, `tlsAllowInvalidCertificates`,
/// `directConnection`, `retryWrites`, ...) by name: `*value` and `*found`.
/// A name of a non-boolean option is `INVALID_ARGUMENT`.
///
/// # Safety
/// `uri` points to a connection string object; `name` is readable for
/// `name_len` bytes; `value` and `found` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_option_bool(
    uri: *const mongoauth_uri,
    name: *const u8,
    name_len: usize,
    value: *mut bool,
    found: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            let key = option_key(name, name_len)?;
            let value = ptr::out(value, "value")?;
            let found = ptr::out(found, "found")?;
            let v = cs.options().get(key);
            if v.is_some() && !matches!(v, Some(OptionValue::Bool(_))) {
                return Err(Fail::arg(
                    MONGOAUTH_STATUS_INVALID_ARGUMENT,
                    "not a boolean option",
                    "name",
                ));
            }
            *found = false;
            if let Some(OptionValue::Bool(b)) = v {
                *value = b;
                *found = true;
            }
            Ok(())
        })
    }
}

/// An integer option (`connectTimeoutMS`, `maxPoolSize`, `w` as a number,
/// ...) by name: `*value` and `*found`. A name of a non-integer option is
/// `INVALID_ARGUMENT`.
///
/// # Safety
/// `uri` points to a connection string object; `name` is readable for
/// `name_len` bytes; `value` and `found` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_option_int(
    uri: *const mongoauth_uri,
    name: *const u8,
    name_len: usize,
    value: *mut i64,
    found: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            let key = option_key(name, name_len)?;
            let value = ptr::out(value, "value")?;
            let found = ptr::out(found, "found")?;
            let n = match cs.options().get(key) {
                None => None,
                Some(OptionValue::Int(i)) => Some(i),
                Some(OptionValue::W(WriteConcernW::Nodes(n))) => Some(i64::from(n)),
                Some(_) => {
                    return Err(Fail::arg(
                        MONGOAUTH_STATUS_INVALID_ARGUMENT,
                        "not an integer option (or not an integer value)",
                        "name",
                    ));
                }
            };
            *found = n.is_some();
            if let Some(n) = n {
                *value = n;
            }
            Ok(())
        })
    }
}

/// Whether to use TLS: the `tls`/`ssl` option, else the scheme's default
/// (on for `mongodb+srv://`, off for `mongodb://`).
/// NULL, or memory that is not a live connection string object (never
/// initialised, another type, cleared), or one not parsed yet, answers
/// `false`.
///
/// # Safety
/// `uri` is NULL or points to `MONGOAUTH_URI_SIZE` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_uses_tls(uri: *const mongoauth_uri) -> bool {
    // SAFETY: caller contract.
    unsafe {
        object::predicate::<UriState>(uri, |s| {
            let cs = s.parsed()?;
            Ok(cs.options().tls().unwrap_or(cs.scheme() == Scheme::MongodbSrv))
        })
    }
}

/// The `authMechanism` option as a `mongoauth_mechanism` number
/// (`*mechanism`), or `MONGOAUTH_MECHANISM_DEFAULT` (0) when not given.
///
/// # Safety
/// `uri` points to a connection string object; `mechanism` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_auth_mechanism(
    uri: *const mongoauth_uri,
    mechanism: *mut u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            *ptr::out(mechanism, "mechanism")? =
                cs.options().auth_mechanism().map_or(0, mongoauth_mechanism::number_of);
            Ok(())
        })
    }
}

/// For `mongodb+srv://`, the DNS SRV name to query
/// (`_mongodb._tcp.<host>`, or with `srvServiceName`), into `(out,
/// capacity, *written)`. `INVALID_ARGUMENT` for a `mongodb://` URI.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_srv_query_name(
    uri: *const mongoauth_uri,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let cs = s.parsed()?;
            let q = cs.srv_query_name().ok_or(Fail::arg(
                MONGOAUTH_STATUS_INVALID_ARGUMENT,
                "not a mongodb+srv:// connection string",
                "uri",
            ))?;
            ptr::write_fmt_out(format_args!("{q}"), out, capacity, written)
        })
    }
}

/// Warning kinds (`mongoauth_uri_warning`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mongoauth_uri_warning_kind {
    /// A kind this version does not name.
    MONGOAUTH_URI_WARNING_OTHER = 0,
    /// An unknown option, ignored.
    MONGOAUTH_URI_WARNING_UNKNOWN_OPTION = 1,
    /// An invalid value: the option is ignored.
    MONGOAUTH_URI_WARNING_INVALID_VALUE = 2,
    /// An empty value: the option is ignored.
    MONGOAUTH_URI_WARNING_EMPTY_VALUE = 3,
    /// An option repeated: the last valid value is used.
    MONGOAUTH_URI_WARNING_REPEATED_OPTION = 4,
    /// A deprecated option.
    MONGOAUTH_URI_WARNING_DEPRECATED_OPTION = 5,
    /// A deprecated option ignored because its replacement is given.
    MONGOAUTH_URI_WARNING_DEPRECATED_OPTION_IGNORED = 6,
    /// A malformed `key:value` list item, skipped.
    MONGOAUTH_URI_WARNING_MALFORMED_LIST_ITEM = 7,
    /// A mechanism property repeated: the last one is used.
    MONGOAUTH_URI_WARNING_REPEATED_PROPERTY = 8,
    /// A `key:value` list value holds `%2C`: kept as `,`, but other drivers
    /// split there.
    MONGOAUTH_URI_WARNING_ENCODED_COMMA = 9,
}

fn warning_kind(k: WarningKind) -> mongoauth_uri_warning_kind {
    use mongoauth_uri_warning_kind::*;
    match k {
        WarningKind::UnknownOption => MONGOAUTH_URI_WARNING_UNKNOWN_OPTION,
        WarningKind::InvalidValue => MONGOAUTH_URI_WARNING_INVALID_VALUE,
        WarningKind::EmptyValue => MONGOAUTH_URI_WARNING_EMPTY_VALUE,
        WarningKind::RepeatedOption => MONGOAUTH_URI_WARNING_REPEATED_OPTION,
        WarningKind::DeprecatedOption => MONGOAUTH_URI_WARNING_DEPRECATED_OPTION,
        WarningKind::DeprecatedOptionIgnored => MONGOAUTH_URI_WARNING_DEPRECATED_OPTION_IGNORED,
        WarningKind::MalformedListItem => MONGOAUTH_URI_WARNING_MALFORMED_LIST_ITEM,
        WarningKind::RepeatedProperty => MONGOAUTH_URI_WARNING_REPEATED_PROPERTY,
        WarningKind::EncodedComma => MONGOAUTH_URI_WARNING_ENCODED_COMMA,
        _ => MONGOAUTH_URI_WARNING_OTHER,
    }
}

/// How many warnings parsing reported (`*count`), including any past the
/// `MONGOAUTH_URI_MAX_WARNINGS` that `mongoauth_uri_warning` can read.
///
/// # Safety
/// `uri` points to a connection string object; `count` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_warning_count(
    uri: *const mongoauth_uri,
    count: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let mut w = Warnings::<MONGOAUTH_URI_MAX_WARNINGS>::new();
            ConnectionString::parse(s.text()?, &mut w)?;
            *ptr::out(count, "count")? = w.total();
            Ok(())
        })
    }
}

/// Warning number `index` (from 0): its message (which names the option
/// and the byte, never a value) into `(out, capacity, *written)`; `*kind`
/// (optional) a `mongoauth_uri_warning_kind`; `*offset` (optional) its byte
/// in the connection string.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` is writable; `kind` and `offset` are NULL or
/// writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_uri_warning(
    uri: *const mongoauth_uri,
    index: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    kind: *mut u32,
    offset: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let mut w = Warnings::<MONGOAUTH_URI_MAX_WARNINGS>::new();
            ConnectionString::parse(s.text()?, &mut w)?;
            let warning = w.as_slice().get(index).ok_or(Fail::arg(
                MONGOAUTH_STATUS_INVALID_ARGUMENT,
                "no warning with this index",
                "index",
            ))?;
            ptr::write_fmt_out(format_args!("{warning}"), out, capacity, written)?;
            if let Some(k) = ptr::opt_mut(kind) {
                *k = warning_kind(warning.kind) as u32;
            }
            if let Some(o) = ptr::opt_mut(offset) {
                *o = warning.offset;
            }
            Ok(())
        })
    }
}

/// Whether the connection string asks for authentication (`*present`: a
/// userinfo `@` or an `authMechanism`), after checking the credential
/// against its mechanism's rules: a broken rule is `URI_CREDENTIAL` (e.g.
/// SCRAM without a password).
///
/// # Safety
/// `uri` points to a connection string object; `present` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_has_credential(
    uri: *const mongoauth_uri,
    present: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let c = s.credential()?;
            *ptr::out(present, "present")? = c.is_some();
            Ok(())
        })
    }
}

fn credential<'a>(s: &'a UriState) -> Result<Credential<'a>, Fail> {
    s.credential()?.ok_or_else(no_credential)
}

/// The credential's mechanism (`*mechanism`, a `mongoauth_mechanism`
/// number), or `MONGOAUTH_MECHANISM_DEFAULT` (0): negotiate SCRAM.
/// `INVALID_CREDENTIAL` when the URI has no credential.
///
/// # Safety
/// `uri` points to a connection string object; `mechanism` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_credential_mechanism(
    uri: *const mongoauth_uri,
    mechanism: *mut u32,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let c = credential(s)?;
            *ptr::out(mechanism, "mechanism")? =
                c.mechanism().map_or(0, mongoauth_mechanism::number_of);
            Ok(())
        })
    }
}

/// The credential's username, decoded, into `(out, capacity, *written)`;
/// `*found` false when the mechanism has none (X.509 from the certificate,
/// AWS). `MONGOAUTH_SCRAM_MAX_USERNAME_BYTES` suffices for SCRAM.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` and `found` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_credential_username(
    uri: *const mongoauth_uri,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    found: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            optional_pct(credential(s)?.username(), out, capacity, written, found)
        })
    }
}

/// The credential's password, decoded, into the caller's `(out, capacity,
/// *written)`; `*found` false when there is none (no `:`), true for an
/// empty one (`user:@host`). Secret: wipe the buffer with
/// `mongoauth_memory_zero` when done. `MONGOAUTH_SCRAM_MAX_PASSWORD_BYTES` suffices
/// for SCRAM.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` and `found` are writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_credential_password(
    uri: *const mongoauth_uri,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    found: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let p = credential(s)?.password().map(|p| p.expose_encoded());
            optional_pct(p, out, capacity, written, found)
        })
    }
}

/// The database the auth commands go to (`authSource`, the URI database,
/// `admin` or `$external` as the auth spec says), into `(out, capacity,
/// *written)`.
///
/// # Safety
/// `uri` points to a connection string object; `out` is writable for
/// `capacity` bytes; `written` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_credential_source(
    uri: *const mongoauth_uri,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| ptr::write_pct_out(credential(s)?.source(), out, capacity, written))
    }
}

/// A mechanism property by name (`SERVICE_NAME`, `CANONICALIZE_HOST_NAME`,
/// `SERVICE_REALM`, `SERVICE_HOST` for GSSAPI, with its defaults;
/// `ENVIRONMENT`, `TOKEN_RESOURCE` for OIDC; any other name is looked up in
/// `authMechanismProperties` as written, ASCII-case-insensitively), decoded,
/// into `(out, capacity, *written)`; `*found` false when not set.
///
/// # Safety
/// `uri` points to a connection string object; `name` is readable for
/// `name_len` bytes; `out` is writable for `capacity` bytes; `written` and
/// `found` are writable.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mongoauth_uri_credential_property(
    uri: *const mongoauth_uri,
    name: *const u8,
    name_len: usize,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    found: *mut bool,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    // SAFETY: caller contract.
    unsafe {
        with_uri(uri, err, |s| {
            let name = ptr::text_max(name, name_len, MONGOAUTH_URI_MAX_BYTES, "name")?;
            let c = credential(s)?;
            let fixed: Option<Option<&'static str>> = match (c.properties(), name) {
                (MechanismProperties::Gssapi(g), "CANONICALIZE_HOST_NAME") => {
                    Some(Some(g.canonicalize_host_name.as_str()))
                }
                (MechanismProperties::Oidc(o), "ENVIRONMENT") => {
                    Some(o.environment.map(|e| e.as_str()))
                }
                _ => None,
            };
            if let Some(text) = fixed {
                let f = ptr::out(found, "found")?;
                let w = ptr::out(written, "written")?;
                match text {
                    Some(t) => {
                        ptr::write_out(t.as_bytes(), out, capacity, w)?;
                        *f = true;
                    }
                    None => {
                        *w = 0;
                        *f = false;
                    }
                }
                return Ok(());
            }
            let p = match (c.properties(), name) {
                (MechanismProperties::Gssapi(g), "SERVICE_NAME") => Some(g.service_name),
                (MechanismProperties::Gssapi(g), "SERVICE_REALM") => g.service_realm,
                (MechanismProperties::Gssapi(g), "SERVICE_HOST") => g.service_host,
                (MechanismProperties::Oidc(o), "TOKEN_RESOURCE") => o.token_resource,
                _ => s.parsed()?.options().auth_mechanism_properties().and_then(|kv| kv.get(name)),
            };
            // `p` borrows the stored text, which outlives this call.
            optional_pct(p, out, capacity, written, found)
        })
    }
}

/// One host for `mongoauth_uri_encode`: the name unescaped (UTF-8; an IPv6
/// literal with or without brackets; a Unix socket path) and a port, 0 for
/// none.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_uri_host_spec {
    /// The host name, not NUL-terminated.
    pub host: *const u8,
    /// Its length in bytes.
    pub host_len: usize,
    /// The port, or 0 for none.
    pub port: u16,
}

/// One `key=value` option for `mongoauth_uri_encode` (both unescaped).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_uri_option_pair {
    /// The option name.
    pub key: *const u8,
    /// Its length in bytes.
    pub key_len: usize,
    /// The value.
    pub value: *const u8,
    /// Its length in bytes.
    pub value_len: usize,
}

/// The parts of a connection string for `mongoauth_uri_encode`. Strings are
/// UTF-8, unescaped (the encoder escapes them), not NUL-terminated; a NULL
/// `username` means no credentials, a NULL `password` no password (an empty
/// non-NULL one is `user:@`), a NULL `database` none.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Clone, Copy)]
pub struct mongoauth_uri_parts {
    /// `mongodb+srv://` instead of `mongodb://`.
    pub srv: bool,
    /// The hosts (at least one; at most `MONGOAUTH_URI_ENCODE_MAX_PARTS`).
    pub hosts: *const mongoauth_uri_host_spec,
    /// How many hosts.
    pub host_count: usize,
    /// The username, or NULL.
    pub username: *const u8,
    /// Its length.
    pub username_len: usize,
    /// The password, or NULL.
    pub password: *const u8,
    /// Its length.
    pub password_len: usize,
    /// The database, or NULL.
    pub database: *const u8,
    /// Its length.
    pub database_len: usize,
    /// The options (at most `MONGOAUTH_URI_ENCODE_MAX_PARTS`), or NULL.
    pub options: *const mongoauth_uri_option_pair,
    /// How many options.
    pub option_count: usize,
}

/// Optional text: NULL is `None`.
///
/// # Safety
/// As `ptr::text`.
unsafe fn opt_text<'a>(
    p: *const u8,
    len: usize,
    name: &'static str,
) -> Result<Option<&'a str>, Fail> {
    if p.is_null() {
        return if len == 0 {
            Ok(None)
        } else {
            Err(Fail::arg(
                MONGOAUTH_STATUS_NULL_POINTER,
                "NULL pointer with a non-zero length",
                name,
            ))
        };
    }
    // SAFETY: forwarded contract.
    unsafe { ptr::text_max(p, len, MONGOAUTH_URI_MAX_BYTES, name) }.map(Some)
}

/// An array of `count` structs; NULL only when empty.
///
/// # Safety
/// `p` is NULL or readable for `count` elements.
unsafe fn array<'a, T>(p: *const T, count: usize, name: &'static str) -> Result<&'a [T], Fail> {
    if count > MONGOAUTH_URI_ENCODE_MAX_PARTS {
        return Err(Fail::arg(
            MONGOAUTH_STATUS_CAPACITY,
            "more than MONGOAUTH_URI_ENCODE_MAX_PARTS entries",
            name,
        ));
    }
    if count == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(Fail::arg(MONGOAUTH_STATUS_NULL_POINTER, "NULL array with a count", name));
    }
    if !p.is_aligned() {
        return Err(Fail::arg(MONGOAUTH_STATUS_INVALID_ARGUMENT, "misaligned pointer", name));
    }
    // SAFETY: non-NULL, aligned, count bounded; validity is the caller's contract.
    Ok(unsafe { core::slice::from_raw_parts(p, count) })
}

/// Build a connection string from its parts, escaping the username,
/// password, database and options as RFC 3986 and the spec require, into
/// `(out, capacity, *written)` (not NUL-terminated; the size query works).
/// A part that cannot be encoded (no hosts, SRV with a port or several
/// hosts, a host with forbidden characters) is `URI_ENCODE`.
///
/// # Safety
/// `parts` is readable, with each `(pointer, length)` in it readable; `out`
/// is writable for `capacity` bytes; `written` is writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mongoauth_uri_encode(
    parts: *const mongoauth_uri_parts,
    out: *mut u8,
    capacity: usize,
    written: *mut usize,
    err: *mut mongoauth_error,
) -> mongoauth_status {
    boundary(err, || {
        // SAFETY: caller contract, for every pointer below.
        let parts = unsafe { ptr::input(parts, "parts") }?;
        // SAFETY: as above.
        let hosts_in = unsafe { array(parts.hosts, parts.host_count, "hosts") }?;
        // SAFETY: as above.
        let opts_in = unsafe { array(parts.options, parts.option_count, "options") }?;
        let mut hosts = [HostSpec::new(""); MONGOAUTH_URI_ENCODE_MAX_PARTS];
        for (dst, h) in hosts.iter_mut().zip(hosts_in) {
            // SAFETY: as above.
            let name =
                unsafe { ptr::text_max(h.host, h.host_len, MONGOAUTH_URI_MAX_BYTES, "host") }?;
            *dst = match h.port {
                0 => HostSpec::new(name),
                p => HostSpec::with_port(name, p),
            };
        }
        let mut opts: [(&str, &str); MONGOAUTH_URI_ENCODE_MAX_PARTS] =
            [("", ""); MONGOAUTH_URI_ENCODE_MAX_PARTS];
        for (dst, o) in opts.iter_mut().zip(opts_in) {
            // SAFETY: as above.
            let k =
                unsafe { ptr::text_max(o.key, o.key_len, MONGOAUTH_URI_MAX_BYTES, "option key") }?;
            // SAFETY: as above.
            let v = unsafe {
                ptr::text_max(o.value, o.value_len, MONGOAUTH_URI_MAX_BYTES, "option value")
            }?;
            *dst = (k, v);
        }
        // SAFETY: as above.
        let username = unsafe { opt_text(parts.username, parts.username_len, "username") }?;
        // SAFETY: as above.
        let password = unsafe { opt_text(parts.password, parts.password_len, "password") }?;
        // SAFETY: as above.
        let database = unsafe { opt_text(parts.database, parts.database_len, "database") }?;
        if username.is_none() && password.is_some() {
            return Err(Fail::arg(
                MONGOAUTH_STATUS_INVALID_ARGUMENT,
                "a password needs a username",
                "password",
            ));
        }
        let mut b = UriBuilder::new(hosts.get(..hosts_in.len()).unwrap_or_default())
            .options(opts.get(..opts_in.len()).unwrap_or_default());
        if parts.srv {
            b = b.srv();
        }
        if let Some(u) = username {
            b = b.credentials(u, password);
        }
        if let Some(d) = database {
            b = b.database(d);
        }
        let needed = b.encoded_len()?;
        // SAFETY: caller contract.
        let w = unsafe { ptr::out(written, "written") }?;
        if capacity < needed {
            *w = needed;
            return Err(Fail::buffer(needed));
        }
        // SAFETY: caller contract.
        let dst = unsafe { ptr::bytes_mut(out.cast(), capacity, "out") }?;
        *w = b.encode_into(dst)?.len();
        Ok(())
    })
}
