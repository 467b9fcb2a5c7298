//! The credential layer: from a syntactically valid [`ConnectionString`],
//! build the credential the auth spec describes and check it against the
//! rules of its mechanism.
//!
//! This is deliberately a separate step from parsing: the connection-string
//! suite accepts URIs (for example a username with no password under the
//! default mechanism) that the auth spec rejects.

use core::fmt;

use super::ConnectionString;
use super::error::{UriError, UriErrorKind};
use super::options::KeyValueList;
use super::pct::{Password, PctStr, Secret};
use super::srv::TxtOptions;

pub use crate::mech::Mechanism;

/// Look a registered mechanism name up in its (possibly percent-encoded)
/// URI form: exact match, so `MONGODB-CR` and `scram-sha-1` are not names.
pub fn mechanism_from_name(name: PctStr<'_>) -> Option<Mechanism> {
    #[cfg(feature = "mongodb-cr")]
    if name.eq_decoded(crate::mech::cr::MECHANISM) {
        return Some(Mechanism::MongodbCr);
    }
    Mechanism::ALL.iter().copied().find(|m| name.eq_decoded(m.as_str()))
}

/// Which per-mechanism rule a credential broke.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CredentialRule {
    /// The mechanism needs a username.
    UsernameRequired,
    /// The username is empty.
    UsernameEmpty,
    /// The mechanism (or OIDC environment) takes no username.
    UsernameNotAllowed,
    /// The mechanism needs a password.
    PasswordRequired,
    /// The mechanism takes no password.
    PasswordNotAllowed,
    /// The username or password contains NUL, which no mechanism can carry.
    NulCharacter,
    /// `authSource` must be `$external` for this mechanism.
    SourceMustBeExternal,
    /// The mechanism takes no `authMechanismProperties`.
    PropertiesNotAllowed,
    /// `authMechanismProperties` (or `gssapiServiceName`) without `authMechanism`.
    PropertiesWithoutMechanism,
    /// A property name this mechanism does not define.
    UnknownProperty,
    /// `CANONICALIZE_HOST_NAME` is not `none`, `forward`,
    /// `forwardAndReverse`, `true` or `false`.
    InvalidCanonicalizeHostName,
    /// `ENVIRONMENT` is not `test`, `azure`, `gcp` or `k8s`.
    InvalidEnvironment,
    /// OIDC needs `ENVIRONMENT` or a callback.
    EnvironmentOrCallbackRequired,
    /// OIDC `ENVIRONMENT` and a callback together.
    EnvironmentWithCallback,
    /// `TOKEN_RESOURCE` is required for `azure` and `gcp`.
    TokenResourceRequired,
    /// `TOKEN_RESOURCE` is only for `azure` and `gcp`.
    TokenResourceNotAllowed,
    /// `ALLOWED_HOSTS` may only be given in client options, not in the URI.
    AllowedHostsInUri,
    /// `AWS_SESSION_TOKEN` in the URI: AWS credentials come only from the
    /// environment or a provider.
    AwsSessionTokenNotAllowed,
}

impl fmt::Display for CredentialRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::UsernameRequired => "a username is required",
            Self::UsernameEmpty => "the username must not be empty",
            Self::UsernameNotAllowed => "a username is not allowed",
            Self::PasswordRequired => "a password is required",
            Self::PasswordNotAllowed => "a password is not allowed",
            Self::NulCharacter => "the username and password must not contain NUL",
            Self::SourceMustBeExternal => "authSource must be $external",
            Self::PropertiesNotAllowed => "authMechanismProperties are not allowed",
            Self::PropertiesWithoutMechanism => "authMechanismProperties given without authMechanism",
            Self::UnknownProperty => "unknown authMechanismProperties name",
            Self::InvalidCanonicalizeHostName => {
                "CANONICALIZE_HOST_NAME must be none, forward, forwardAndReverse, true or false"
            }
            Self::InvalidEnvironment => "ENVIRONMENT must be test, azure, gcp or k8s",
            Self::EnvironmentOrCallbackRequired => "an ENVIRONMENT or a callback is required",
            Self::EnvironmentWithCallback => "ENVIRONMENT and a callback must not both be given",
            Self::TokenResourceRequired => "TOKEN_RESOURCE is required for ENVIRONMENT azure and gcp",
            Self::TokenResourceNotAllowed => "TOKEN_RESOURCE is only allowed for ENVIRONMENT azure and gcp",
            Self::AllowedHostsInUri => "ALLOWED_HOSTS must be set in client options, not in the URI",
            Self::AwsSessionTokenNotAllowed => {
                "AWS_SESSION_TOKEN is not allowed; credentials come from the environment or a provider"
            }
        })
    }
}

/// GSSAPI `CANONICALIZE_HOST_NAME`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CanonicalizeHostName {
    /// `none` (or legacy `false`): use the host as given.
    None,
    /// `forward`: follow CNAMEs.
    Forward,
    /// `forwardAndReverse` (or legacy `true`): also a reverse lookup.
    ForwardAndReverse,
}

impl CanonicalizeHostName {
    /// The spec spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Forward => "forward",
            Self::ForwardAndReverse => "forwardAndReverse",
        }
    }
}

/// OIDC built-in `ENVIRONMENT`.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OidcEnvironment {
    /// Token read from `OIDC_TOKEN_FILE` (testing).
    Test,
    /// Azure managed identity.
    Azure,
    /// GCP metadata service.
    Gcp,
    /// Kubernetes service account token.
    K8s,
}

impl OidcEnvironment {
    /// The spec spelling.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Test => "test",
            Self::Azure => "azure",
            Self::Gcp => "gcp",
            Self::K8s => "k8s",
        }
    }
}

/// GSSAPI properties, with the spec's defaults filled in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GssapiProperties<'a> {
    /// `SERVICE_NAME`, `mongodb` unless given.
    pub service_name: PctStr<'a>,
    /// `CANONICALIZE_HOST_NAME`, `none` unless given.
    pub canonicalize_host_name: CanonicalizeHostName,
    /// `SERVICE_REALM`.
    pub service_realm: Option<PctStr<'a>>,
    /// `SERVICE_HOST`.
    pub service_host: Option<PctStr<'a>>,
}

/// OIDC properties from the URI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OidcProperties<'a> {
    /// `ENVIRONMENT` (absent when a callback is configured).
    pub environment: Option<OidcEnvironment>,
    /// `TOKEN_RESOURCE` (the audience, for `azure` and `gcp`).
    pub token_resource: Option<PctStr<'a>>,
}

/// The validated mechanism properties.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MechanismProperties<'a> {
    /// The mechanism has no properties.
    None,
    /// GSSAPI.
    Gssapi(GssapiProperties<'a>),
    /// MONGODB-OIDC.
    Oidc(OidcProperties<'a>),
}

/// What the caller knows beyond the URI: the SRV TXT record and whether an
/// OIDC callback is configured programmatically.
#[derive(Clone, Copy, Debug, Default)]
pub struct CredentialContext<'a> {
    txt: Option<TxtOptions<'a>>,
    oidc_callback: bool,
}

impl<'a> CredentialContext<'a> {
    /// Nothing beyond the URI.
    pub const fn new() -> Self {
        CredentialContext { txt: None, oidc_callback: false }
    }
    /// Options from the SRV TXT record; its `authSource` counts as explicit
    /// (but never creates a credential on its own).
    pub const fn with_txt(mut self, txt: TxtOptions<'a>) -> Self {
        self.txt = Some(txt);
        self
    }
    /// An OIDC callback (machine or human) is configured in client options.
    pub const fn with_oidc_callback(mut self) -> Self {
        self.oidc_callback = true;
        self
    }
}

/// A validated credential. Strings stay encoded views over the URI; decode
/// the username and password into your own buffers with
/// [`Credential::decode_username`] and [`Credential::decode_password`].
/// `Debug` never shows the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Credential<'a> {
    username: Option<PctStr<'a>>,
    password: Option<Secret<'a>>,
    source: PctStr<'a>,
    mechanism: Option<Mechanism>,
    properties: MechanismProperties<'a>,
}

const ADMIN: PctStr<'static> = PctStr::literal("admin");
const EXTERNAL: PctStr<'static> = PctStr::literal("$external");
const MONGODB: PctStr<'static> = PctStr::literal("mongodb");

impl<'a> Credential<'a> {
    /// Build and validate the credential of `uri`, or `None` if the URI asks
    /// for no authentication (no `@` and no `authMechanism`).
    ///
    /// # Errors
    /// [`UriErrorKind::Credential`] naming the mechanism and the rule.
    pub fn from_uri(uri: &ConnectionString<'a>) -> Result<Option<Self>, UriError> {
        Self::from_uri_with(uri, &CredentialContext::new())
    }

    /// [`Credential::from_uri`] with a TXT record and programmatic settings.
    ///
    /// # Errors
    /// As [`Credential::from_uri`].
    pub fn from_uri_with(
        uri: &ConnectionString<'a>,
        ctx: &CredentialContext<'a>,
    ) -> Result<Option<Self>, UriError> {
        let opts = uri.options();
        let mechanism = opts.auth_mechanism();
        let props = opts.auth_mechanism_properties();
        let gssapi_name = opts.gssapi_service_name();
        let Some(mechanism) = mechanism else {
            if props.is_some() || gssapi_name.is_some() {
                let offset = props.map(|p| p.as_pct().offset()).or(gssapi_name.map(|g| g.offset()));
                return Err(cred_err(None, CredentialRule::PropertiesWithoutMechanism, offset));
            }
            return match uri.userinfo_parts() {
                None => Ok(None),
                Some((user, pass)) => {
                    let source = explicit_source(uri, ctx).or(uri.database()).unwrap_or(ADMIN);
                    check_user_pass(None, user, pass, true, true)?;
                    Ok(Some(Credential {
                        username: Some(user),
                        password: pass,
                        source,
                        mechanism: None,
                        properties: MechanismProperties::None,
                    }))
                }
            };
        };
        let (username, password) = match uri.userinfo_parts() {
            Some((u, p)) => (Some(u), p),
            None => (None, None),
        };
        let m = Some(mechanism);
        let err = |rule, offset| Err(cred_err(m, rule, offset));
        // authSource: explicit, else the URI database, else the default.
        let explicit = explicit_source(uri, ctx);
        let source = if mechanism.is_external() {
            if let Some(s) = explicit.filter(|s| !s.eq_decoded("$external")) {
                return err(CredentialRule::SourceMustBeExternal, Some(s.offset()));
            }
            EXTERNAL
        } else if mechanism == Mechanism::Plain {
            explicit.or(uri.database()).unwrap_or(EXTERNAL)
        } else {
            explicit.or(uri.database()).unwrap_or(ADMIN)
        };
        let props_offset = props.map(|p| p.as_pct().offset());
        let mut properties = MechanismProperties::None;
        match mechanism {
            Mechanism::ScramSha1 | Mechanism::ScramSha256 | Mechanism::Plain => {
                if props.is_some() || gssapi_name.is_some() {
                    return err(CredentialRule::PropertiesNotAllowed, props_offset);
                }
                let Some(user) = username else {
                    return err(CredentialRule::UsernameRequired, None);
                };
                check_user_pass(m, user, password, true, true)?;
            }
            #[cfg(feature = "mongodb-cr")]
            Mechanism::MongodbCr => {
                if props.is_some() || gssapi_name.is_some() {
                    return err(CredentialRule::PropertiesNotAllowed, props_offset);
                }
                let Some(user) = username else {
                    return err(CredentialRule::UsernameRequired, None);
                };
                check_user_pass(m, user, password, true, true)?;
            }
            Mechanism::Gssapi => {
                let Some(user) = username else {
                    return err(CredentialRule::UsernameRequired, None);
                };
                check_user_pass(m, user, password, true, false)?;
                let mut g = GssapiProperties {
                    service_name: gssapi_name.unwrap_or(MONGODB),
                    canonicalize_host_name: CanonicalizeHostName::None,
                    service_realm: None,
                    service_host: None,
                };
                for (name, value) in props.iter().flat_map(KeyValueList::iter) {
                    if name.eq_ignore_ascii_case("SERVICE_NAME") {
                        g.service_name = value;
                    } else if name.eq_ignore_ascii_case("CANONICALIZE_HOST_NAME") {
                        g.canonicalize_host_name =
                            if value.eq_decoded("none") || value.eq_ignore_ascii_case("false") {
                                CanonicalizeHostName::None
                            } else if value.eq_decoded("forward") {
                                CanonicalizeHostName::Forward
                            } else if value.eq_decoded("forwardAndReverse")
                                || value.eq_ignore_ascii_case("true")
                            {
                                CanonicalizeHostName::ForwardAndReverse
                            } else {
                                return err(
                                    CredentialRule::InvalidCanonicalizeHostName,
                                    Some(value.offset()),
                                );
                            };
                    } else if name.eq_ignore_ascii_case("SERVICE_REALM") {
                        g.service_realm = Some(value);
                    } else if name.eq_ignore_ascii_case("SERVICE_HOST") {
                        g.service_host = Some(value);
                    } else {
                        return err(CredentialRule::UnknownProperty, Some(name.offset()));
                    }
                }
                properties = MechanismProperties::Gssapi(g);
            }
            Mechanism::MongodbX509 => {
                if props.is_some() || gssapi_name.is_some() {
                    return err(CredentialRule::PropertiesNotAllowed, props_offset);
                }
                if let Some(user) = username {
                    check_user_pass(m, user, password, false, false)?;
                } else if let Some(p) = password {
                    return err(CredentialRule::PasswordNotAllowed, Some(p.offset()));
                }
            }
            Mechanism::MongodbAws => {
                if let Some(user) = username {
                    return err(CredentialRule::UsernameNotAllowed, Some(user.offset()));
                }
                if gssapi_name.is_some() {
                    return err(CredentialRule::PropertiesNotAllowed, props_offset);
                }
                if let Some((name, _)) = props.iter().flat_map(KeyValueList::iter).next() {
                    let rule = if name.eq_ignore_ascii_case("AWS_SESSION_TOKEN") {
                        CredentialRule::AwsSessionTokenNotAllowed
                    } else {
                        // AWS_CREDENTIAL_PROVIDER is a programmatic object.
                        CredentialRule::PropertiesNotAllowed
                    };
                    return err(rule, Some(name.offset()));
                }
            }
            Mechanism::MongodbOidc => {
                if let Some(p) = password {
                    return err(CredentialRule::PasswordNotAllowed, Some(p.offset()));
                }
                if gssapi_name.is_some() {
                    return err(CredentialRule::PropertiesNotAllowed, props_offset);
                }
                let mut o = OidcProperties { environment: None, token_resource: None };
                for (name, value) in props.iter().flat_map(KeyValueList::iter) {
                    if name.eq_ignore_ascii_case("ENVIRONMENT") {
                        let env = [
                            OidcEnvironment::Test,
                            OidcEnvironment::Azure,
                            OidcEnvironment::Gcp,
                            OidcEnvironment::K8s,
                        ]
                        .into_iter()
                        .find(|e| value.eq_decoded(e.as_str()));
                        match env {
                            Some(e) => o.environment = Some(e),
                            None => {
                                return err(
                                    CredentialRule::InvalidEnvironment,
                                    Some(value.offset()),
                                );
                            }
                        }
                    } else if name.eq_ignore_ascii_case("TOKEN_RESOURCE") {
                        o.token_resource = Some(value);
                    } else if name.eq_ignore_ascii_case("ALLOWED_HOSTS") {
                        return err(CredentialRule::AllowedHostsInUri, Some(name.offset()));
                    } else {
                        return err(CredentialRule::UnknownProperty, Some(name.offset()));
                    }
                }
                match (o.environment, ctx.oidc_callback) {
                    (Some(_), true) => {
                        return err(CredentialRule::EnvironmentWithCallback, props_offset);
                    }
                    (None, false) => {
                        return err(CredentialRule::EnvironmentOrCallbackRequired, props_offset);
                    }
                    _ => {}
                }
                let needs_resource =
                    matches!(o.environment, Some(OidcEnvironment::Azure | OidcEnvironment::Gcp));
                match (needs_resource, o.token_resource) {
                    (true, None) => {
                        return err(CredentialRule::TokenResourceRequired, props_offset);
                    }
                    (false, Some(t)) => {
                        return err(CredentialRule::TokenResourceNotAllowed, Some(t.offset()));
                    }
                    _ => {}
                }
                // A username is the Azure client_id, or goes to a callback.
                // `test` forbids it (spec); gcp and k8s give it no meaning, so
                // we reject it rather than silently drop it.
                if let (
                    Some(user),
                    Some(OidcEnvironment::Test | OidcEnvironment::Gcp | OidcEnvironment::K8s),
                ) = (username, o.environment)
                {
                    return err(CredentialRule::UsernameNotAllowed, Some(user.offset()));
                }
                if let Some(user) = username {
                    check_user_pass(m, user, None, true, false)?;
                }
                properties = MechanismProperties::Oidc(o);
            }
        }
        Ok(Some(Credential { username, password, source, mechanism: m, properties }))
    }

    /// The username, still encoded (`None` for X509 from the certificate,
    /// AWS, and OIDC without a username).
    pub const fn username(&self) -> Option<PctStr<'a>> {
        self.username
    }
    /// Decode the username into `out`.
    ///
    /// # Errors
    /// [`UriErrorKind::BufferTooSmall`] with the size needed.
    pub fn decode_username<'b>(&self, out: &'b mut [u8]) -> Result<Option<&'b str>, UriError> {
        match self.username {
            Some(u) => u.decode(out).map(Some),
            None => Ok(None),
        }
    }
    /// The password, still encoded and redacted in `Debug`. `None` (no `:`)
    /// differs from `Some` empty (`user:@host`).
    pub const fn password(&self) -> Option<Secret<'a>> {
        self.password
    }
    /// Decode the password into `out`; the returned [`Password`] zeroes it on drop.
    ///
    /// # Errors
    /// [`UriErrorKind::BufferTooSmall`] with the size needed.
    pub fn decode_password<'b>(&self, out: &'b mut [u8]) -> Result<Option<Password<'b>>, UriError> {
        match self.password {
            Some(p) => p.decode(out).map(Some),
            None => Ok(None),
        }
    }
    /// The database the auth commands go to (`admin`, `$external`, the URI
    /// database or `authSource`).
    pub const fn source(&self) -> PctStr<'a> {
        self.source
    }
    /// The mechanism, `None` meaning "negotiate SCRAM-SHA-256 or SCRAM-SHA-1
    /// from the server's `saslSupportedMechs`".
    pub const fn mechanism(&self) -> Option<Mechanism> {
        self.mechanism
    }
    /// The validated mechanism properties (GSSAPI defaults filled in).
    pub const fn properties(&self) -> &MechanismProperties<'a> {
        &self.properties
    }

    /// The owned credential the [`crate::client::Authenticator`] takes:
    /// username, password and source decoded (the password through a
    /// buffer wiped afterwards), mechanism kept. Lossless for everything a
    /// login uses; mechanism properties stay with this view.
    ///
    /// # Errors
    /// [`crate::Error::Capacity`] when a decoded string exceeds its limit
    /// ([`crate::client::MAX_USERNAME_LEN`], [`crate::client::MAX_PASSWORD_LEN`],
    /// [`crate::client::MAX_SOURCE_LEN`]).
    pub fn to_owned(&self) -> Result<crate::client::Credential, crate::Error> {
        use crate::client::{MAX_PASSWORD_LEN, MAX_SOURCE_LEN, MAX_USERNAME_LEN};
        let cap = |what, limit| {
            move |e: UriError| match e.kind {
                UriErrorKind::BufferTooSmall(_) => crate::Error::Capacity { what, limit },
                _ => crate::Error::Uri(e),
            }
        };
        let mut user = [0u8; MAX_USERNAME_LEN];
        let mut pass = [0u8; MAX_PASSWORD_LEN];
        let mut source = [0u8; MAX_SOURCE_LEN];
        let username =
            self.decode_username(&mut user).map_err(cap("username", MAX_USERNAME_LEN))?;
        let source = self
            .source
            .decode(&mut source)
            .map_err(cap("authentication database", MAX_SOURCE_LEN))?;
        let password =
            self.decode_password(&mut pass).map_err(cap("password", MAX_PASSWORD_LEN))?;
        crate::client::Credential::new(
            self.mechanism,
            username,
            password.as_ref().map(|p| p.as_str()),
            source,
        )
    }
}

impl TryFrom<&Credential<'_>> for crate::client::Credential {
    type Error = crate::Error;
    fn try_from(c: &Credential<'_>) -> Result<Self, crate::Error> {
        c.to_owned()
    }
}

/// `offset` is `None` for rules about something absent.
fn cred_err(mechanism: Option<Mechanism>, rule: CredentialRule, offset: Option<usize>) -> UriError {
    UriError { kind: UriErrorKind::Credential { mechanism, rule }, offset }
}

fn explicit_source<'a>(
    uri: &ConnectionString<'a>,
    ctx: &CredentialContext<'a>,
) -> Option<PctStr<'a>> {
    uri.options().auth_source().or_else(|| ctx.txt.and_then(|t| t.auth_source()))
}

fn check_user_pass(
    m: Option<Mechanism>,
    user: PctStr<'_>,
    pass: Option<Secret<'_>>,
    user_nonempty: bool,
    pass_required: bool,
) -> Result<(), UriError> {
    if user_nonempty && user.is_empty() {
        return Err(cred_err(m, CredentialRule::UsernameEmpty, Some(user.offset())));
    }
    if user.bytes().any(|b| b == 0) {
        return Err(cred_err(m, CredentialRule::NulCharacter, Some(user.offset())));
    }
    match (pass, pass_required) {
        (Some(p), _) if p.expose_encoded().bytes().any(|b| b == 0) => {
            Err(cred_err(m, CredentialRule::NulCharacter, Some(p.offset())))
        }
        (Some(p), _) if m.is_some_and(|m| m == Mechanism::MongodbX509) => {
            Err(cred_err(m, CredentialRule::PasswordNotAllowed, Some(p.offset())))
        }
        (None, true) => Err(cred_err(m, CredentialRule::PasswordRequired, Some(user.offset()))),
        _ => Ok(()),
    }
}
