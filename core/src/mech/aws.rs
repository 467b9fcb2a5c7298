//! MONGODB-AWS: the client side of the conversation, with the AWS Signature
//! Version 4 (SigV4) signing of an STS `GetCallerIdentity` request that the
//! server forwards to AWS to learn who the caller is.
//!
//! Like the rest of the crate this is sans-I/O and allocation-free: the
//! caller supplies the 32 random nonce bytes, the credentials and the current
//! time ([`AmzDate`]); every buffer is fixed-capacity with a named limit.
//!
//! The conversation (auth spec, "MONGODB-AWS"; all messages are BSON carried
//! as the `payload` of `saslStart`/`saslContinue` on `$external`):
//!
//! 1. [`Client::start`] gives [`ExpectServerFirst`], whose
//!    [`payload`](ExpectServerFirst::payload) is `{r: BinData(0, nonce), p: 110}`.
//! 2. [`ExpectServerFirst::handle_server_first`] checks the server's
//!    `{s: BinData(0, 64 bytes), h: <STS host>}` (`s` starts with our nonce,
//!    `h` is a valid host), works out the region ([`region`]), signs, and
//!    gives [`ExpectDone`], whose payload is `{a: <Authorization>, d:
//!    <X-Amz-Date>}` plus `t: <session token>` only for temporary credentials.
//! 3. The server answers `done: true`; the driver layer checks that.
//!
//! # Where credentials come from
//!
//! The core never reads the environment or the network: the caller passes
//! [`Credentials`]. A `std` caller following the spec looks, in this order,
//! and stops at the first source that yields credentials:
//!
//! 1. a custom credential provider, if the driver supports one;
//! 2. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and the
//!    optional `AWS_SESSION_TOKEN`, read on every attempt, never cached;
//! 3. `AssumeRoleWithWebIdentity`, when `AWS_WEB_IDENTITY_TOKEN_FILE` and
//!    `AWS_ROLE_ARN` are set (`AWS_ROLE_SESSION_NAME` optional);
//! 4. ECS, when `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` is set: GET
//!    `http://169.254.170.2<relative-uri>`;
//! 5. EC2 IMDSv2: PUT `http://169.254.169.254/latest/api/token`, then GET
//!    `.../latest/meta-data/iam/security-credentials/` and
//!    `.../security-credentials/<role>`.
//!
//! Credentials fetched from an endpoint (3-5) may be cached only while more
//! than 5 minutes remain before their `Expiration`, and the cache must be
//! cleared after any MONGODB-AWS authentication failure. Only (key id +
//! secret) and (key id + secret + token) are valid combinations.
//!
//! # Example
//!
//! ```
//! use mongoauth::mech::aws::{AmzDate, Client, Credentials};
//! use mongoauth::codec::bson::{DocWriter, Document};
//!
//! let nonce = [7u8; 32]; // from the caller's CSPRNG
//! let client = Client::start(&nonce);
//! assert_eq!(client.payload().len(), 52);
//!
//! // What a server would answer: our nonce + 32 bytes of its own, and the STS host.
//! let mut s = [9u8; 64];
//! s[..32].copy_from_slice(&nonce);
//! let mut buf = [0u8; 128];
//! let mut w = DocWriter::new(&mut buf);
//! w.binary("s", 0, &s).string("h", "sts.amazonaws.com");
//! let n = w.finish()?;
//!
//! let creds = Credentials::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
//! let date = AmzDate::parse("20191112T210122Z")?;
//! let done = client.handle_server_first(&buf[..n], &creds, &date)?;
//! let reply = Document::parse(done.payload())?;
//! assert!(reply.get_str("a")?.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20191112/us-east-1/sts/"));
//! assert_eq!(reply.get_str("d")?, "20191112T210122Z");
//! assert!(!reply.contains_key("t"));
//! # Ok::<(), mongoauth::Error>(())
//! ```

use core::fmt;

use base64ct::{Base64, Encoding};
use zeroize::Zeroize;

use crate::codec::bson::{BINARY_SUBTYPE_GENERIC, DocWriter, Document};
use crate::crypto::{HmacKey, Sha256, ct_eq, hash};
use crate::error::Error;

/// The SASL mechanism name, as sent in `saslStart`.
pub const MECHANISM: &str = "MONGODB-AWS";

/// Length of the client nonce `r` (spec: 32 random bytes).
pub const NONCE_LEN: usize = 32;

/// Length of the server nonce `s` (spec: exactly 64 bytes, starting with ours).
pub const SERVER_NONCE_LEN: usize = 64;

/// Length of the client-first payload `{r: BinData(0, 32 bytes), p: 110}`.
pub const CLIENT_FIRST_LEN: usize = 52;

/// Longest STS host `h` the spec allows.
pub const MAX_HOST_LEN: usize = 255;

/// Longest access key id accepted (AWS documents 128 as the maximum).
pub const MAX_ACCESS_KEY_ID_LEN: usize = 128;

/// Longest secret access key accepted (AWS keys are 40 characters).
pub const MAX_SECRET_ACCESS_KEY_LEN: usize = 128;

/// Longest session token accepted. AWS does not fix a size (typical tokens
/// are 400-2000 characters); this leaves room for tokens carrying session
/// tags and policies while keeping [`ExpectDone`] a bounded size.
pub const MAX_SESSION_TOKEN_LEN: usize = 4096;

/// The STS request body the signature covers (43 bytes: `content-length:43`).
pub const STS_BODY: &str = "Action=GetCallerIdentity&Version=2011-06-15";

/// Lowercase hex SHA-256 of [`STS_BODY`]: the canonical request's payload hash.
const STS_BODY_SHA256_HEX: &str =
    "ab821ae955788b0e33ebd34c208442ccfc2d406e2edc5e7a39bd6458fbb4f843";

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const DEFAULT_REGION: &str = "us-east-1";
const GLOBAL_STS_HOST: &str = "sts.amazonaws.com";
const SIGNED_HEADERS: &str =
    "content-length;content-type;host;x-amz-date;x-mongodb-gs2-cb-flag;x-mongodb-server-nonce";
const SIGNED_HEADERS_WITH_TOKEN: &str = "content-length;content-type;host;x-amz-date;x-amz-security-token;x-mongodb-gs2-cb-flag;x-mongodb-server-nonce";
const AUTH_PREFIX: &str = "AWS4-HMAC-SHA256 Credential=";
const AUTH_SCOPE_TAIL: &str = "/sts/aws4_request, SignedHeaders=";
const AUTH_SIGNATURE: &str = ", Signature=";
/// `4 * ceil(64 / 3)`: base64 of the 64-byte server nonce.
const SERVER_NONCE_B64_LEN: usize = 88;

/// Longest `Authorization` value [`ExpectServerFirst::handle_server_first`]
/// can produce: the longest key id, the longest region (the second label of
/// a longest host `x.<region>`), the token-bearing header list and a 64-digit
/// signature.
pub const MAX_AUTHORIZATION_LEN: usize = AUTH_PREFIX.len()
    + MAX_ACCESS_KEY_ID_LEN
    + 1
    + 8
    + 1
    + (MAX_HOST_LEN - 2)
    + AUTH_SCOPE_TAIL.len()
    + SIGNED_HEADERS_WITH_TOKEN.len()
    + AUTH_SIGNATURE.len()
    + 64;

/// Size of the buffer [`ExpectDone`] keeps the client-second payload in:
/// document framing plus `a`, `d` and `t` at their limits.
pub const MAX_CLIENT_SECOND_LEN: usize = 4
    + (7 + MAX_AUTHORIZATION_LEN + 1)
    + (7 + AmzDate::LEN + 1)
    + (7 + MAX_SESSION_TOKEN_LEN + 1)
    + 1;

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// Which input a MONGODB-AWS [`AwsError`] is about (its offset counts from
/// the start of that input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AwsInput {
    /// The server-first BSON payload `{s, h}`.
    ServerFirst,
    /// The STS host: the server's `h`, or the argument of [`region`].
    Host,
    /// An X-Amz-Date string given to [`AmzDate::parse`].
    Date,
}

impl fmt::Display for AwsInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ServerFirst => "MONGODB-AWS server-first payload",
            Self::Host => "MONGODB-AWS STS host",
            Self::Date => "X-Amz-Date",
        })
    }
}

/// A MONGODB-AWS input broke a rule: which input, the rule, and the byte
/// offset in that input. Never carries credential material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AwsError {
    /// The input the offset counts in.
    pub input: AwsInput,
    /// The rule that failed, e.g. "`s` must be exactly 64 bytes".
    pub rule: &'static str,
    /// Byte offset in that input (for a BSON field: where its element starts).
    pub offset: usize,
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} at byte {}", self.input, self.rule, self.offset)
    }
}

impl core::error::Error for AwsError {}

impl From<AwsError> for Error {
    fn from(e: AwsError) -> Self {
        Error::Aws(e)
    }
}

fn err(input: AwsInput, rule: &'static str, offset: usize) -> Error {
    Error::Aws(AwsError { input, rule, offset })
}

// ---------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------

/// AWS credentials for one authentication attempt, borrowed from the caller
/// (who fetched them, see the module docs, and who owns and wipes their
/// storage). `Debug` shows the access key id only; the secret and the token
/// are redacted.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    /// `AWS_ACCESS_KEY_ID`: not secret, it appears in the `Authorization` header.
    pub access_key_id: &'a str,
    /// `AWS_SECRET_ACCESS_KEY`: the signing secret. Never sent, never shown.
    pub secret_access_key: &'a str,
    /// `AWS_SESSION_TOKEN`, present exactly for temporary credentials. An
    /// empty environment variable should be passed as `None`.
    pub session_token: Option<&'a str>,
}

impl<'a> Credentials<'a> {
    /// Long-term credentials: key id and secret, no token.
    pub fn new(access_key_id: &'a str, secret_access_key: &'a str) -> Self {
        Credentials { access_key_id, secret_access_key, session_token: None }
    }

    /// Temporary credentials: the same plus the session token.
    pub fn with_session_token(mut self, session_token: &'a str) -> Self {
        self.session_token = Some(session_token);
        self
    }

    /// Check every field against its rule and limit.
    ///
    /// # Errors
    /// [`Error::InvalidCredential`] for an empty field or a character that
    /// would corrupt the signed request; [`Error::Capacity`] past
    /// [`MAX_ACCESS_KEY_ID_LEN`], [`MAX_SECRET_ACCESS_KEY_LEN`] or
    /// [`MAX_SESSION_TOKEN_LEN`].
    pub fn validate(&self) -> Result<(), Error> {
        let id = self.access_key_id.as_bytes();
        if id.is_empty() {
            return Err(Error::InvalidCredential { rule: "AWS access key id is empty" });
        }
        if id.len() > MAX_ACCESS_KEY_ID_LEN {
            return Err(Error::Capacity {
                what: "AWS access key id",
                limit: MAX_ACCESS_KEY_ID_LEN,
            });
        }
        if !id.iter().all(|&b| is_visible_ascii(b) && !matches!(b, b'/' | b',' | b'=')) {
            return Err(Error::InvalidCredential {
                rule: "AWS access key id must be visible ASCII without `/`, `,` or `=`",
            });
        }
        let secret = self.secret_access_key.as_bytes();
        if secret.is_empty() {
            return Err(Error::InvalidCredential { rule: "AWS secret access key is empty" });
        }
        if secret.len() > MAX_SECRET_ACCESS_KEY_LEN {
            return Err(Error::Capacity {
                what: "AWS secret access key",
                limit: MAX_SECRET_ACCESS_KEY_LEN,
            });
        }
        if let Some(token) = self.session_token {
            let token = token.as_bytes();
            if token.is_empty() {
                return Err(Error::InvalidCredential {
                    rule: "AWS session token is empty (pass None for long-term credentials)",
                });
            }
            if token.len() > MAX_SESSION_TOKEN_LEN {
                return Err(Error::Capacity {
                    what: "AWS session token",
                    limit: MAX_SESSION_TOKEN_LEN,
                });
            }
            if !token.iter().all(|&b| is_visible_ascii(b)) {
                return Err(Error::InvalidCredential {
                    rule: "AWS session token must be visible ASCII",
                });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.map(|_| "<redacted>"))
            .finish()
    }
}

/// Bytes that can appear in a SigV4 canonical header value unchanged (no
/// whitespace to trim or collapse, no line break to forge a header with).
fn is_visible_ascii(b: u8) -> bool {
    (0x21..=0x7e).contains(&b)
}

// ---------------------------------------------------------------------------
// X-Amz-Date
// ---------------------------------------------------------------------------

/// A validated X-Amz-Date, `YYYYMMDDTHHMMSSZ` in UTC: the signing time, from
/// the caller's clock (the core has none). Not secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct AmzDate([u8; AmzDate::LEN]);

impl AmzDate {
    /// Length of the text form, e.g. `20191112T210122Z`.
    pub const LEN: usize = 16;

    /// Check `text` is `YYYYMMDDTHHMMSSZ` with a real calendar date and a
    /// time of day from 00:00:00 to 23:59:59.
    ///
    /// # Errors
    /// [`Error::Aws`] with [`AwsInput::Date`], the rule and the offset.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let e = |rule, offset| err(AwsInput::Date, rule, offset);
        let b: &[u8; Self::LEN] = text
            .as_bytes()
            .try_into()
            .map_err(|_| e("must be 16 bytes: YYYYMMDDTHHMMSSZ", text.len().min(Self::LEN)))?;
        for (i, &c) in b.iter().enumerate() {
            let ok = match i {
                8 => c == b'T',
                15 => c == b'Z',
                _ => c.is_ascii_digit(),
            };
            if !ok {
                return Err(e("expected YYYYMMDDTHHMMSSZ", i));
            }
        }
        let num = |from: usize, to: usize| {
            b.get(from..to)
                .unwrap_or_default()
                .iter()
                .fold(0u32, |n, &d| n * 10 + u32::from(d.wrapping_sub(b'0')))
        };
        let (year, month, day) = (num(0, 4), num(4, 6), num(6, 8));
        if !(1..=12).contains(&month) {
            return Err(e("month must be 01-12", 4));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(e("day does not exist in that month", 6));
        }
        if num(9, 11) > 23 {
            return Err(e("hour must be 00-23", 9));
        }
        if num(11, 13) > 59 {
            return Err(e("minute must be 00-59", 11));
        }
        if num(13, 15) > 59 {
            return Err(e("second must be 00-59", 13));
        }
        Ok(AmzDate(*b))
    }

    /// The X-Amz-Date for a time in whole seconds since the Unix epoch (UTC),
    /// for callers whose clock gives that.
    ///
    /// # Errors
    /// [`Error::Aws`] with [`AwsInput::Date`] after 9999-12-31T23:59:59Z.
    pub fn from_unix_seconds(secs: u64) -> Result<Self, Error> {
        const MAX: u64 = 253_402_300_799; // 9999-12-31T23:59:59Z
        if secs > MAX {
            return Err(err(AwsInput::Date, "year after 9999", 0));
        }
        // Howard Hinnant's days-to-civil algorithm, for non-negative days.
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let z = days + 719_468;
        let era = z / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + u64::from(month <= 2);
        let mut out = [b'0'; Self::LEN];
        let mut put = |at: usize, width: usize, mut v: u64| {
            for i in (at..at + width).rev() {
                if let Some(slot) = out.get_mut(i) {
                    *slot = b'0' + (v % 10) as u8;
                }
                v /= 10;
            }
        };
        put(0, 4, year);
        put(4, 2, month);
        put(6, 2, day);
        put(9, 2, rem / 3600);
        put(11, 2, rem / 60 % 60);
        put(13, 2, rem % 60);
        out[8] = b'T';
        out[15] = b'Z';
        Ok(AmzDate(out))
    }

    /// The text, e.g. `20191112T210122Z`.
    pub fn as_str(&self) -> &str {
        // Only validated ASCII is ever stored.
        core::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The date part `YYYYMMDD`, as used in the credential scope.
    pub fn date(&self) -> &str {
        self.as_str().get(..8).unwrap_or_default()
    }
}

impl fmt::Debug for AmzDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AmzDate({})", self.as_str())
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------
// Host and region
// ---------------------------------------------------------------------------

/// Check an STS host `h` against the spec: 1 to [`MAX_HOST_LEN`] bytes, no
/// empty label, no leading or trailing `.`; and, so that it cannot corrupt
/// the signed headers, visible ASCII only.
///
/// # Errors
/// [`Error::Aws`] with [`AwsInput::Host`], the rule and the offset.
pub fn validate_host(host: &str) -> Result<(), Error> {
    let e = |rule, offset| err(AwsInput::Host, rule, offset);
    let b = host.as_bytes();
    if b.is_empty() {
        return Err(e("host is empty", 0));
    }
    if b.len() > MAX_HOST_LEN {
        return Err(e("host is longer than 255 bytes", MAX_HOST_LEN));
    }
    if b.first() == Some(&b'.') {
        return Err(e("host starts with `.`", 0));
    }
    if b.last() == Some(&b'.') {
        return Err(e("host ends with `.`", b.len() - 1));
    }
    let mut prev_dot = false;
    for (i, &c) in b.iter().enumerate() {
        if !is_visible_ascii(c) {
            return Err(e("host must be visible ASCII", i));
        }
        let dot = c == b'.';
        if dot && prev_dot {
            return Err(e("host has an empty label", i));
        }
        prev_dot = dot;
    }
    Ok(())
}

/// The AWS region to sign for, from the STS host, following the spec's
/// region table: `sts.amazonaws.com` and hosts without a dot give
/// `us-east-1`, any other host its second label
/// (`sts.us-west-2.amazonaws.com` → `us-west-2`, `example.com` → `com`).
///
/// The spec's pseudocode special-cases `aws.amazonaws.com` instead; the
/// table and the Go driver use `sts.amazonaws.com`, as does this.
///
/// # Errors
/// As [`validate_host`].
pub fn region(host: &str) -> Result<&str, Error> {
    validate_host(host)?;
    if host == GLOBAL_STS_HOST {
        return Ok(DEFAULT_REGION);
    }
    let mut labels = host.split('.');
    let _first = labels.next();
    Ok(labels.next().unwrap_or(DEFAULT_REGION))
}

// ---------------------------------------------------------------------------
// The conversation
// ---------------------------------------------------------------------------

/// Entry point of a MONGODB-AWS client conversation.
#[derive(Clone, Copy, Debug)]
pub struct Client;

impl Client {
    /// Begin with 32 random bytes from the caller's CSPRNG: the returned
    /// state holds the client-first payload to send with `saslStart`.
    pub fn start(nonce: &[u8; NONCE_LEN]) -> ExpectServerFirst {
        // {r: BinData(0, 32 bytes), p: int32 110}, encoded by hand: the
        // layout is fixed, so no error path is needed.
        let mut payload = [0u8; CLIENT_FIRST_LEN];
        let head: [u8; 12] = [CLIENT_FIRST_LEN as u8, 0, 0, 0, 0x05, b'r', 0, 32, 0, 0, 0, 0];
        let tail: [u8; 8] = [0x10, b'p', 0, b'n', 0, 0, 0, 0];
        for (dst, src) in payload.iter_mut().zip(head.iter().chain(nonce).chain(&tail)) {
            *dst = *src;
        }
        ExpectServerFirst { nonce: *nonce, payload }
    }
}

/// Waiting for the server-first payload; [`payload`](Self::payload) is the
/// client-first message to send.
#[derive(Clone)]
pub struct ExpectServerFirst {
    nonce: [u8; NONCE_LEN],
    payload: [u8; CLIENT_FIRST_LEN],
}

impl fmt::Debug for ExpectServerFirst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExpectServerFirst").finish_non_exhaustive()
    }
}

impl ExpectServerFirst {
    /// The client-first BSON `{r: BinData(0, nonce), p: 110}` for `saslStart`.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// Check the server-first payload `{s, h}`, sign the STS request with
    /// `credentials` at `date`, and build the client-second payload.
    ///
    /// # Errors
    /// - [`Error::InvalidCredential`] / [`Error::Capacity`]: see
    ///   [`Credentials::validate`];
    /// - [`Error::Wire`]: the payload is not BSON, or `s`/`h` is missing or
    ///   of the wrong type;
    /// - [`Error::Aws`] with [`AwsInput::ServerFirst`]: `s` is not
    ///   BinData(0) of 64 bytes, or does not start with our nonce (offset:
    ///   where the `s` element starts);
    /// - [`Error::Aws`] with [`AwsInput::Host`]: `h` is not a valid host
    ///   (offset within `h`).
    pub fn handle_server_first(
        self,
        server_first: &[u8],
        credentials: &Credentials<'_>,
        date: &AmzDate,
    ) -> Result<ExpectDone, Error> {
        credentials.validate()?;
        let doc = Document::parse(server_first)?;
        let s = doc.get_binary("s")?;
        let s_at = doc.get_element("s").map_or(0, |e| e.offset);
        if s.subtype != BINARY_SUBTYPE_GENERIC {
            return Err(err(AwsInput::ServerFirst, "`s` must be BinData subtype 0", s_at));
        }
        if s.bytes.len() != SERVER_NONCE_LEN {
            return Err(err(AwsInput::ServerFirst, "`s` must be exactly 64 bytes", s_at));
        }
        if !ct_eq(s.bytes.get(..NONCE_LEN).unwrap_or_default(), &self.nonce) {
            return Err(err(AwsInput::ServerFirst, "`s` must start with the client nonce", s_at));
        }
        let host = doc.get_str("h")?;
        let region = region(host)?;

        let mut nonce_b64 = [0u8; SERVER_NONCE_B64_LEN];
        let nonce_b64 = Base64::encode(s.bytes, &mut nonce_b64).map_err(|_| Error::Capacity {
            what: "base64 of the server nonce",
            limit: SERVER_NONCE_B64_LEN,
        })?;
        let signed = Signed::new(credentials, host, region, date, nonce_b64);

        let mut out = ExpectDone { payload: [0u8; MAX_CLIENT_SECOND_LEN], len: 0 };
        let mut w = DocWriter::new(&mut out.payload);
        w.string_parts(
            "a",
            &[
                AUTH_PREFIX,
                credentials.access_key_id,
                "/",
                date.date(),
                "/",
                region,
                AUTH_SCOPE_TAIL,
                signed.signed_headers,
                AUTH_SIGNATURE,
                signed.signature_hex(),
            ],
        );
        w.string("d", date.as_str());
        if let Some(token) = credentials.session_token {
            w.string("t", token);
        }
        out.len = w.finish()?;
        Ok(out)
    }
}

/// The client-second payload is ready: send [`payload`](Self::payload) with
/// `saslContinue`; the server should then answer `done: true`. The buffer
/// holds the session token, so it is wiped on drop and `Debug` is redacted.
pub struct ExpectDone {
    payload: [u8; MAX_CLIENT_SECOND_LEN],
    len: usize,
}

impl ExpectDone {
    /// The client-second BSON `{a: <Authorization>, d: <X-Amz-Date>[, t: <token>]}`.
    pub fn payload(&self) -> &[u8] {
        self.payload.get(..self.len).unwrap_or_default()
    }
}

impl Drop for ExpectDone {
    fn drop(&mut self) {
        self.payload.as_mut_slice().zeroize();
    }
}

impl zeroize::ZeroizeOnDrop for ExpectDone {}

impl fmt::Debug for ExpectDone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExpectDone").field("payload_len", &self.len).finish_non_exhaustive()
    }
}

// ---------------------------------------------------------------------------
// SigV4
// ---------------------------------------------------------------------------

/// The result of signing: the header list and the hex signature.
struct Signed {
    signed_headers: &'static str,
    signature: [u8; 64],
}

impl Signed {
    /// SigV4 over the spec's STS `GetCallerIdentity` request. The canonical
    /// request and string to sign are hashed and MAC'd from their parts, so
    /// neither needs a buffer.
    fn new(
        credentials: &Credentials<'_>,
        host: &str,
        region: &str,
        date: &AmzDate,
        server_nonce_b64: &str,
    ) -> Self {
        let (token_head, token, token_tail, signed_headers) = match credentials.session_token {
            Some(t) => ("x-amz-security-token:", t, "\n", SIGNED_HEADERS_WITH_TOKEN),
            None => ("", "", "", SIGNED_HEADERS),
        };
        let canonical: [&str; 14] = [
            "POST\n/\n\ncontent-length:43\ncontent-type:application/x-www-form-urlencoded\nhost:",
            host,
            "\nx-amz-date:",
            date.as_str(),
            "\n",
            token_head,
            token,
            token_tail,
            "x-mongodb-gs2-cb-flag:n\nx-mongodb-server-nonce:",
            server_nonce_b64,
            "\n\n",
            signed_headers,
            "\n",
            STS_BODY_SHA256_HEX,
        ];
        let mut parts: [&[u8]; 14] = [&[]; 14];
        for (p, c) in parts.iter_mut().zip(canonical) {
            *p = c.as_bytes();
        }
        let canonical_hash = hex32(&hash::<Sha256>(&parts));

        // kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), "sts"), "aws4_request")
        let secret = credentials.secret_access_key.as_bytes();
        let mut k_secret = [0u8; 4 + MAX_SECRET_ACCESS_KEY_LEN];
        let n = (4 + secret.len()).min(k_secret.len());
        for (dst, src) in k_secret.iter_mut().zip(b"AWS4".iter().chain(secret)) {
            *dst = *src;
        }
        let mut k = HmacKey::<Sha256>::new(k_secret.get(..n).unwrap_or_default())
            .mac(&[date.date().as_bytes()]);
        k_secret.zeroize();
        for step in [region.as_bytes(), b"sts", b"aws4_request"] {
            let next = HmacKey::<Sha256>::new(&k).mac(&[step]);
            k.zeroize();
            k = next;
        }
        let signing_key = HmacKey::<Sha256>::new(&k);
        k.zeroize();
        let signature = signing_key.mac(&[
            ALGORITHM.as_bytes(),
            b"\n",
            date.as_str().as_bytes(),
            b"\n",
            date.date().as_bytes(),
            b"/",
            region.as_bytes(),
            b"/sts/aws4_request\n",
            &canonical_hash,
        ]);
        Signed { signed_headers, signature: hex32(&signature) }
    }

    fn signature_hex(&self) -> &str {
        core::str::from_utf8(&self.signature).unwrap_or_default()
    }
}

/// Lowercase hex of a SHA-256 output.
fn hex32(bytes: &[u8; 32]) -> [u8; 64] {
    fn digit(n: u8) -> u8 {
        let n = n & 0x0f;
        if n < 10 { b'0' + n } else { b'a' + (n - 10) }
    }
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = digit(b >> 4);
            *lo = digit(*b);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_hash_constant() {
        assert_eq!(&hex32(&hash::<Sha256>(&[STS_BODY.as_bytes()])), STS_BODY_SHA256_HEX.as_bytes());
        assert_eq!(STS_BODY.len(), 43);
    }

    #[test]
    fn client_first_layout_matches_doc_writer() {
        let nonce = [0xA5; 32];
        let mut buf = [0u8; 64];
        let mut w = DocWriter::new(&mut buf);
        w.binary("r", 0, &nonce).int32("p", 110);
        let n = w.finish().ok();
        assert_eq!(n, Some(CLIENT_FIRST_LEN));
        assert_eq!(Client::start(&nonce).payload(), &buf[..CLIENT_FIRST_LEN]);
    }
}
