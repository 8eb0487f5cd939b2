//! Key Vault's secrets data plane as documented: the shapes of its answers, its error bodies
//! (`{"error":{"code","message","innererror":{"code"}}}`) as typed errors, and what a secret's
//! versions say about it.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::azure::challenge::ChallengeError;
use crate::azure::signin::SignInError;

/// The api-version every request names: the latest stable one.
pub const API_VERSION: &str = "7.6";

/// A secret's properties (never its value): from a list answer, or a get answer with the
/// value taken out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretProps {
    /// The identifier as Key Vault gives it.
    pub id: String,
    pub name: String,
    /// The version, when the identifier carries one (version lists and gets do).
    pub version: Option<String>,
    pub enabled: bool,
    /// Unix seconds.
    pub created: Option<i64>,
    pub updated: Option<i64>,
    pub expires: Option<i64>,
    pub not_before: Option<i64>,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
}

/// A secret's value with its properties. `Debug` shows no value.
#[derive(Clone, Debug)]
pub struct SecretValue {
    pub value: SecretString,
    pub props: SecretProps,
}

/// Every version of one secret, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretVersions {
    pub versions: Vec<SecretProps>,
}

impl SecretVersions {
    pub fn new(mut versions: Vec<SecretProps>) -> SecretVersions {
        versions.sort_by(|a, b| {
            (b.created, b.updated, &b.version).cmp(&(a.created, a.updated, &a.version))
        });
        SecretVersions { versions }
    }

    /// The current version: the one created last.
    pub fn latest(&self) -> Option<&SecretProps> {
        self.versions.first()
    }

    pub fn version(&self, version: &str) -> Option<&SecretProps> {
        self.versions.iter().find(|v| {
            v.version
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(version))
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error(
        "not signed in to Azure: run the `vaultlink.signIn` command, `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET"
    )]
    NotSignedIn,
    #[error("{0}")]
    SignIn(#[from] SignInError),
    #[error("{0}")]
    Challenge(#[from] ChallengeError),
    #[error("Key Vault has no such secret ({message})")]
    NotFound { message: String },
    #[error("the secret is disabled in Key Vault")]
    Disabled,
    #[error(
        "Key Vault refused access ({code}): ask for the Key Vault Secrets User role on the vault, or an access policy that allows get and list on secrets"
    )]
    Forbidden { code: String, message: String },
    #[error("Key Vault did not accept the sign-in ({message}); sign in again")]
    Unauthorized { message: String },
    #[error("Key Vault is throttling requests{}; try again later", retry_after.map(|d| format!(" (it asked to wait {} s)", d.as_secs())).unwrap_or_default())]
    Throttled { retry_after: Option<Duration> },
    #[error("Key Vault answered {status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Http {
        status: u16,
        code: String,
        message: String,
    },
    #[error("could not reach Key Vault at `{host}`: {message}")]
    Network { host: String, message: String },
    #[error("Key Vault's answer could not be read: {0}")]
    Protocol(String),
    #[error(
        "refused to follow a next-page link to `{0}`: pages are followed only on the vault's own host"
    )]
    ForeignNextLink(String),
}

impl KvError {
    /// Whether the same request may succeed if tried again soon.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            KvError::Throttled { .. }
                | KvError::Network { .. }
                | KvError::Http { status: 500.., .. }
                // An answer that could not be read (cut off, garbled on the way).
                | KvError::Protocol(_)
        )
    }

    /// Whether this is an answer about the secret (kept in the cache like a success) rather
    /// than about the connection or the sign-in.
    pub fn is_answer(&self) -> bool {
        matches!(
            self,
            KvError::NotFound { .. } | KvError::Disabled | KvError::Forbidden { .. }
        )
    }

    /// Reads an error answer.
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> KvError {
        let (code, inner, message) = error_body(body);
        match status {
            401 => KvError::Unauthorized {
                message: if message.is_empty() {
                    "401 Unauthorized".to_owned()
                } else {
                    message
                },
            },
            403 if inner.eq_ignore_ascii_case("SecretDisabled")
                || code.eq_ignore_ascii_case("SecretDisabled") =>
            {
                KvError::Disabled
            }
            403 => KvError::Forbidden {
                code: if inner.is_empty() { code } else { inner },
                message,
            },
            404 => KvError::NotFound {
                message: if message.is_empty() { code } else { message },
            },
            429 => KvError::Throttled { retry_after },
            _ => KvError::Http {
                status,
                code,
                message,
            },
        }
    }
}

/// The code, the innermost code and the message of a Key Vault error body.
fn error_body(body: &[u8]) -> (String, String, String) {
    #[derive(Deserialize)]
    struct Body {
        error: Option<Inner>,
    }
    #[derive(Deserialize)]
    struct Inner {
        code: Option<String>,
        message: Option<String>,
        innererror: Option<Box<Inner>>,
    }
    let Ok(Body { error: Some(err) }) = serde_json::from_slice::<Body>(body) else {
        return Default::default();
    };
    let mut inner = String::new();
    let mut next = err.innererror.as_deref();
    while let Some(e) = next {
        if let Some(c) = &e.code {
            inner = c.clone();
        }
        next = e.innererror.as_deref();
    }
    let message = err.message.unwrap_or_default();
    // Key Vault's messages are long and multi-line; the first line says what happened.
    let message = message
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .chars()
        .take(300)
        .collect();
    (err.code.unwrap_or_default(), inner, message)
}

#[derive(Deserialize)]
pub(crate) struct Attributes {
    enabled: Option<bool>,
    created: Option<i64>,
    updated: Option<i64>,
    exp: Option<i64>,
    nbf: Option<i64>,
}

/// A secret item or bundle as Key Vault sends it.
#[derive(Deserialize)]
pub(crate) struct Wire {
    id: Option<String>,
    value: Option<String>,
    attributes: Option<Attributes>,
    #[serde(rename = "contentType")]
    content_type: Option<String>,
    tags: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
pub(crate) struct Page {
    #[serde(default)]
    pub value: Vec<Wire>,
    #[serde(rename = "nextLink")]
    pub next_link: Option<String>,
}

impl Wire {
    /// The properties, and the value if the answer carried one.
    pub(crate) fn split(self) -> Result<(SecretProps, Option<SecretString>), KvError> {
        let id = self
            .id
            .ok_or_else(|| KvError::Protocol("a secret without an `id`".to_owned()))?;
        let (name, version) = name_and_version(&id)
            .ok_or_else(|| KvError::Protocol(format!("`{id}` is not a secret identifier")))?;
        let a = self.attributes;
        let props = SecretProps {
            name,
            version,
            enabled: a.as_ref().and_then(|a| a.enabled).unwrap_or(true),
            created: a.as_ref().and_then(|a| a.created),
            updated: a.as_ref().and_then(|a| a.updated),
            expires: a.as_ref().and_then(|a| a.exp),
            not_before: a.as_ref().and_then(|a| a.nbf),
            content_type: self.content_type,
            tags: self.tags.unwrap_or_default(),
            id,
        };
        Ok((props, self.value.map(SecretString::from)))
    }
}

/// `https://host/secrets/<name>[/<version>]` → name and version.
fn name_and_version(id: &str) -> Option<(String, Option<String>)> {
    let url = url::Url::parse(id).ok()?;
    let mut segments = url.path_segments()?.filter(|s| !s.is_empty());
    if segments.next()? != "secrets" {
        return None;
    }
    let name = segments.next()?.to_owned();
    let version = segments.next().map(str::to_owned);
    Some((name, version))
}

/// What a secret's time attributes say at `now` (Unix seconds), for diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    Expired,
    NotYetValid,
    /// Expires within [`EXPIRING_WITHIN`]; the seconds left.
    Expiring(i64),
}

/// How soon an expiry date earns a warning.
pub const EXPIRING_WITHIN: i64 = 14 * 24 * 3600;

impl SecretProps {
    pub fn validity(&self, now: i64) -> Validity {
        match (self.expires, self.not_before) {
            (Some(exp), _) if exp <= now => Validity::Expired,
            (_, Some(nbf)) if nbf > now => Validity::NotYetValid,
            (Some(exp), _) if exp - now <= EXPIRING_WITHIN => Validity::Expiring(exp - now),
            _ => Validity::Valid,
        }
    }
}

/// A Unix time as `2026-11-28 04:06 UTC`.
pub fn format_time(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => unix.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_become_typed_errors() {
        let disabled = br#"{"error":{"code":"Forbidden","message":"Operation get is not allowed on a disabled secret.","innererror":{"code":"SecretDisabled"}}}"#;
        assert_eq!(
            KvError::from_response(403, disabled, None),
            KvError::Disabled
        );
        let rbac = b"{\"error\":{\"code\":\"Forbidden\",\"message\":\"Caller is not authorized to perform action on resource.\\r\\nCaller: x\",\"innererror\":{\"code\":\"ForbiddenByRbac\"}}}";
        let err = KvError::from_response(403, rbac, None);
        assert_eq!(
            err,
            KvError::Forbidden {
                code: "ForbiddenByRbac".to_owned(),
                message: "Caller is not authorized to perform action on resource.".to_owned()
            }
        );
        assert!(err.to_string().contains("Key Vault Secrets User"));
        let missing = br#"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) x was not found in this key vault."}}"#;
        assert!(matches!(
            KvError::from_response(404, missing, None),
            KvError::NotFound { .. }
        ));
        let throttled = KvError::from_response(429, b"not json", Some(Duration::from_secs(3)));
        assert!(throttled.is_transient());
        assert!(throttled.to_string().contains("wait 3 s"));
        assert!(KvError::from_response(503, b"", None).is_transient());
        assert!(!KvError::from_response(400, b"", None).is_transient());
    }

    #[test]
    fn versions_sort_newest_first() {
        let page: Page = serde_json::from_str(
            r#"{"value":[
              {"id":"https://v.vault.azure.net/secrets/a/11111111111111111111111111111111","attributes":{"enabled":true,"created":100,"updated":100}},
              {"id":"https://v.vault.azure.net/secrets/a/22222222222222222222222222222222","attributes":{"enabled":false,"created":200,"updated":200},"contentType":"text/plain","tags":{"team":"pay"}}
            ],"nextLink":null}"#,
        )
        .unwrap();
        let versions = SecretVersions::new(
            page.value
                .into_iter()
                .map(|w| w.split().unwrap().0)
                .collect(),
        );
        let latest = versions.latest().unwrap();
        assert_eq!(
            latest.version.as_deref(),
            Some("22222222222222222222222222222222")
        );
        assert!(!latest.enabled);
        assert_eq!(latest.tags.get("team").map(String::as_str), Some("pay"));
        assert!(
            versions
                .version("11111111111111111111111111111111")
                .is_some()
        );
    }

    #[test]
    fn validity() {
        let mut p = SecretProps {
            id: String::new(),
            name: "a".to_owned(),
            version: None,
            enabled: true,
            created: None,
            updated: None,
            expires: Some(1000),
            not_before: None,
            content_type: None,
            tags: BTreeMap::new(),
        };
        assert_eq!(p.validity(1000), Validity::Expired);
        assert_eq!(p.validity(1000 - 10), Validity::Expiring(10));
        assert_eq!(p.validity(1000 - EXPIRING_WITHIN - 1), Validity::Valid);
        p.expires = None;
        p.not_before = Some(50);
        assert_eq!(p.validity(10), Validity::NotYetValid);
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
    }
}
