//! Key Vault's secrets data plane as documented: the shapes of its answers, its error bodies
//! (`{"error":{"code","message","innererror":{"code"}}}`) as typed errors, and what a secret's
//! versions say about it.

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

use crate::azure::challenge::ChallengeError;
use crate::azure::signin::SignInError;
pub use crate::vault::secret::{
    Current, EXPIRING_WITHIN, SecretProps, SecretVersions, Validity, format_time,
};
use crate::vault::secret::{Failure, FailureKind};

/// The api-version every request names: the latest stable one.
pub const API_VERSION: &str = "7.6";

/// A secret's value with its properties. `Debug` shows no value.
#[derive(Clone, Debug)]
pub struct SecretValue {
    pub value: SecretString,
    pub props: SecretProps,
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
    #[error(
        "the secret was deleted from the vault{}: someone with the recover permission on its secrets can recover it (or purge it, so that it can be created anew){}",
        deleted.map(|d| format!(" on {}", format_time(d))).unwrap_or_default(),
        purge.map(|p| format!("; its scheduled purge date is {}", format_time(p))).unwrap_or_default()
    )]
    Deleted {
        /// When it was deleted (Unix seconds).
        deleted: Option<i64>,
        /// When Key Vault purges it for good.
        purge: Option<i64>,
    },
    #[error("the secret is disabled in Key Vault")]
    Disabled,
    #[error("Key Vault refused access ({code}): {}", Refusal::of(code, message, client_address.as_deref()).advice())]
    Forbidden {
        code: String,
        message: String,
        /// The address a firewall refused, as Key Vault names it.
        client_address: Option<String>,
    },
    #[error(
        "the vault `{vault_host}` is in tenant {tenant}, not in the tenant signed in to ({configured}); no token was asked for: to allow it, add \"{tenant}\" to azure.additionallyAllowedTenants in vaultlink.json (or \"*\" for any tenant) and sign in again"
    )]
    TenantNotAllowed {
        vault_host: String,
        tenant: String,
        configured: String,
    },
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
            KvError::NotFound { .. }
                | KvError::Deleted { .. }
                | KvError::Disabled
                | KvError::Forbidden { .. }
        )
    }

    /// Why Key Vault refused access, for a `403` refusal.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            KvError::Forbidden {
                code,
                message,
                client_address,
            } => Some(Refusal::of(code, message, client_address.as_deref())),
            _ => None,
        }
    }

    /// Reads an error answer.
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> KvError {
        let (code, inner, full) = error_body(body);
        // Key Vault's messages are long and multi-line; the first line says what happened.
        let message: String = full
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .chars()
            .take(300)
            .collect();
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
                client_address: client_address(&full),
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

impl From<&KvError> for Failure {
    fn from(e: &KvError) -> Failure {
        let kind = match e {
            KvError::NotFound { .. } => FailureKind::NotFound,
            KvError::Disabled => FailureKind::Disabled,
            KvError::Deleted { deleted, purge } => FailureKind::Deleted {
                deleted: *deleted,
                purge: *purge,
            },
            KvError::Forbidden { code, .. } => {
                let refusal = e.refusal().expect("a 403 refusal");
                FailureKind::Denied {
                    code: code.clone(),
                    network: refusal.is_network(),
                    advice: refusal.advice(),
                }
            }
            KvError::Network { .. } => FailureKind::Unreachable,
            KvError::Throttled { .. } => FailureKind::Throttled,
            _ => FailureKind::Other,
        };
        Failure::new(kind, e.to_string())
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
    (
        err.code.unwrap_or_default(),
        inner,
        err.message.unwrap_or_default(),
    )
}

/// The `Client address: 203.0.113.7` line of a firewall's refusal.
fn client_address(message: &str) -> Option<String> {
    message.lines().find_map(|line| {
        let addr = line.trim().strip_prefix("Client address:")?.trim();
        addr.parse::<std::net::IpAddr>().ok().map(|a| a.to_string())
    })
}

/// Why Key Vault answered `403`: its network rules, an access policy, or a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `ForbiddenByFirewall`: the vault's firewall does not allow this machine's address.
    Firewall { client_address: Option<String> },
    /// `ForbiddenByConnection`: public network access is disabled; only private links reach it.
    PrivateLink,
    /// `AccessDenied`: the vault uses access policies and none gives this permission on
    /// secrets (`get`, `list`).
    AccessPolicy { permission: Option<String> },
    /// `ForbiddenByRbac` and anything else: no role assignment allows it.
    Role { code: String },
}

impl Refusal {
    /// Reads the inner error code, falling back on the message Key Vault writes with it.
    pub fn of(code: &str, message: &str, client_address: Option<&str>) -> Refusal {
        let is = |c: &str| code.eq_ignore_ascii_case(c);
        let says = |m: &str| message.to_ascii_lowercase().contains(m);
        if is("ForbiddenByFirewall") || says("client address is not authorized") {
            Refusal::Firewall {
                client_address: client_address.map(str::to_owned),
            }
        } else if is("ForbiddenByConnection") || says("public network access is disabled") {
            Refusal::PrivateLink
        } else if is("AccessDenied") || says("does not have secrets") {
            // "… does not have secrets get permission on key vault '…'"
            let lower = message.to_ascii_lowercase();
            let permission = lower
                .split_once("does not have secrets ")
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .filter(|p| p.chars().all(|c| c.is_ascii_alphabetic()))
                .map(str::to_owned);
            Refusal::AccessPolicy { permission }
        } else {
            Refusal::Role {
                code: code.to_owned(),
            }
        }
    }

    /// Whether the vault's network rules refused (no permission or role changes that).
    pub fn is_network(&self) -> bool {
        matches!(self, Refusal::Firewall { .. } | Refusal::PrivateLink)
    }

    /// What refused, and what to do about it.
    pub fn advice(&self) -> String {
        match self {
            Refusal::Firewall { client_address } => format!(
                "the vault's firewall does not allow this machine's address{}: ask the vault's owners to add it to the vault's firewall rules, or connect from a network the vault allows",
                client_address
                    .as_deref()
                    .map(|a| format!(" ({a})"))
                    .unwrap_or_default()
            ),
            Refusal::PrivateLink => "the vault has public network access disabled: reach it through an approved private link (a private endpoint of the vault), from a network connected to it".to_owned(),
            Refusal::AccessPolicy { permission } => format!(
                "the vault's access policies do not give you the {} permission on secrets: ask the vault's owners for an access policy that allows get and list on secrets (the vault uses access policies, so the Key Vault Secrets User role does not apply)",
                permission.as_deref().map(|p| format!("`{p}`")).unwrap_or_else(|| "needed".to_owned())
            ),
            Refusal::Role { .. } => "ask for the Key Vault Secrets User role on the vault, or an access policy that allows get and list on secrets".to_owned(),
        }
    }
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

/// A deleted secret as `GET /deletedsecrets/{name}` describes it; only its dates are read.
#[derive(Deserialize)]
pub(crate) struct DeletedWire {
    #[serde(rename = "deletedDate")]
    deleted: Option<i64>,
    #[serde(rename = "scheduledPurgeDate")]
    purge: Option<i64>,
}

impl DeletedWire {
    pub(crate) fn into_error(self) -> KvError {
        KvError::Deleted {
            deleted: self.deleted,
            purge: self.purge,
        }
    }
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
            labels: Vec::new(),
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::vault::features::live::{LinkedUse, SecretsView, findings};
    use crate::vault::identifier::{LinkId, Store};

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
                message: "Caller is not authorized to perform action on resource.".to_owned(),
                client_address: None,
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

    /// The 403 bodies of Microsoft's troubleshooting documentation (the messages of
    /// "Common error codes for Azure Key Vault" and the AKS Key Vault provider's guide; the
    /// private-link one as the Azure CLI prints it), each with its own advice.
    #[test]
    fn refusals_say_what_refused() {
        let firewall = b"{\"error\":{\"code\":\"Forbidden\",\"message\":\"Client address is not authorized and caller is not a trusted service.\\r\\nClient address: 203.0.113.7\\r\\nCaller: appid=00000000-0000-0000-0000-000000000000;oid=11111111-1111-1111-1111-111111111111\\r\\nVault: corp-kv;location=westeurope\",\"innererror\":{\"code\":\"ForbiddenByFirewall\"}}}";
        let private = b"{\"error\":{\"code\":\"Forbidden\",\"message\":\"Public network access is disabled and request is not from a trusted service nor via an approved private link.\\r\\nCaller: appid=00000000-0000-0000-0000-000000000000\\r\\nVault: corp-kv;location=westeurope\",\"innererror\":{\"code\":\"ForbiddenByConnection\"}}}";
        let policy = b"{\"error\":{\"code\":\"Forbidden\",\"message\":\"The user, group or application 'appid=00000000-0000-0000-0000-000000000000;oid=11111111-1111-1111-1111-111111111111;iss=https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' does not have secrets list permission on key vault 'corp-kv;location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287\",\"innererror\":{\"code\":\"AccessDenied\"}}}";
        let err = KvError::from_response(403, firewall, None);
        assert_eq!(
            err.refusal(),
            Some(Refusal::Firewall {
                client_address: Some("203.0.113.7".to_owned())
            })
        );
        let text = err.to_string();
        assert!(
            text.contains("firewall does not allow this machine's address (203.0.113.7)"),
            "{text}"
        );
        assert!(!text.contains("Secrets User"), "{text}");
        let err = KvError::from_response(403, private, None);
        assert_eq!(err.refusal(), Some(Refusal::PrivateLink));
        assert!(err.refusal().unwrap().is_network());
        let text = err.to_string();
        assert!(
            text.contains("public network access disabled") && text.contains("private link"),
            "{text}"
        );
        assert!(!text.contains("Secrets User role on"), "{text}");
        let err = KvError::from_response(403, policy, None);
        assert_eq!(
            err.refusal(),
            Some(Refusal::AccessPolicy {
                permission: Some("list".to_owned())
            })
        );
        let text = err.to_string();
        assert!(
            text.contains("access policies do not give you the `list` permission on secrets"),
            "{text}"
        );
        // Without an inner code the message still tells them apart.
        assert!(matches!(
            Refusal::of(
                "Forbidden",
                "Client address is not authorized and caller is not a trusted service.",
                None
            ),
            Refusal::Firewall { .. }
        ));
    }

    /// The versions list of the C++ SDK's `SecondCreateTest` recording: two versions created
    /// in the same second, listed in id order; the second `PUT` made `9f5f…` the current one.
    #[test]
    fn versions_of_one_second_leave_the_current_one_unknown() {
        let page: Page = serde_json::from_str(
            r#"{"value":[{"id":"https://REDACTED.vault.azure.net/secrets/SecondCreateTest/9f5f5da65dc940be89d55a9712e4dc0b","attributes":{"enabled":true,"created":1629853070,"updated":1629853070,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}},{"id":"https://REDACTED.vault.azure.net/secrets/SecondCreateTest/af19856a9ff74be6bf08fa3e5935f633","attributes":{"enabled":true,"created":1629853070,"updated":1629853070,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}}],"nextLink":null}"#,
        )
        .unwrap();
        let versions = SecretVersions::new(
            page.value
                .into_iter()
                .map(|w| w.split().unwrap().0)
                .collect(),
        );
        assert_eq!(versions.current(), Some(Current::Unknown));
        assert_eq!(versions.latest(), None);
        assert_eq!(versions.candidates().count(), 2);
        assert_eq!(
            versions.is_current("9f5f5da65dc940be89d55a9712e4dc0b"),
            None
        );
        assert_eq!(
            versions.is_current("af19856a9ff74be6bf08fa3e5935f633"),
            None
        );
        assert_eq!(
            versions.is_current("00000000000000000000000000000000"),
            None
        );
    }

    #[test]
    fn a_deleted_secret_says_how_to_get_it_back() {
        let wire: DeletedWire = serde_json::from_str(
            r#"{"recoveryId":"https://REDACTED.vault.azure.net/deletedsecrets/Recover","deletedDate":1629853225,"scheduledPurgeDate":1637629225,"id":"https://REDACTED.vault.azure.net/secrets/Recover/d32d070c5e764f6383b45bcd39085e38","attributes":{"enabled":true,"created":1629853225,"updated":1629853225,"recoveryLevel":"Recoverable+Purgeable","recoverableDays":90}}"#,
        )
        .unwrap();
        let err = wire.into_error();
        assert!(err.is_answer());
        let text = err.to_string();
        assert!(
            text.contains("deleted from the vault on 2021-08-25 01:00 UTC"),
            "{text}"
        );
        assert!(text.contains("recover permission"), "{text}");
        assert!(text.contains("2021-11-23"), "{text}");
        assert!(!text.contains("create it there"), "{text}");
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
            labels: Vec::new(),
        };
        assert_eq!(p.validity(1000), Validity::Expired);
        assert_eq!(p.validity(1000 - 10), Validity::Expiring(10));
        assert_eq!(p.validity(1000 - EXPIRING_WITHIN - 1), Validity::Valid);
        p.expires = None;
        p.not_before = Some(50);
        assert_eq!(p.validity(10), Validity::NotYetValid);
        assert_eq!(format_time(0), "1970-01-01 00:00 UTC");
    }
    struct Answers(HashMap<String, Result<Arc<SecretVersions>, Failure>>);

    impl SecretsView for Answers {
        fn signed_in(&self, _: Store) -> bool {
            true
        }
        fn versions(&self, id: &LinkId) -> Option<Result<Arc<SecretVersions>, Failure>> {
            self.0.get(id.name()).cloned()
        }
        fn secret_names(&self, _: &str) -> Option<Arc<Vec<String>>> {
            None
        }
    }

    /// Key Vault's refusals and deletions, through the provider-neutral findings.
    #[test]
    fn refusals_and_deletions_say_what_to_do() {
        let forbidden = |code: &str, message: &str| {
            Err(KvError::Forbidden {
                code: code.into(),
                message: message.into(),
                client_address: None,
            })
        };
        let answers: HashMap<String, Result<Arc<SecretVersions>, Failure>> = [
            ("firewall", forbidden("ForbiddenByFirewall", "Client address is not authorized and caller is not a trusted service.")),
            ("private", forbidden("ForbiddenByConnection", "Public network access is disabled and request is not from a trusted service nor via an approved private link.")),
            ("policy", forbidden("AccessDenied", "The user, group or application 'appid=x' does not have secrets get permission on key vault 'corp-kv;location=westeurope'.")),
            ("rbac", forbidden("ForbiddenByRbac", "Caller is not authorized to perform action on resource.")),
            ("gone", Err(KvError::Deleted { deleted: Some(0), purge: Some(86_400) })),
        ]
        .into_iter()
        .map(|(k, v): (&str, Result<Arc<SecretVersions>, KvError>)| {
            (k.to_owned(), v.map_err(|e| Failure::from(&e)))
        })
        .collect();
        let view = Answers(answers);
        let finding = |name: &str| {
            let u = LinkedUse {
                name: name.to_owned(),
                range: crate::text::TextRange::new(0, 1),
                id: LinkId::parse(&format!("https://corp-kv.vault.azure.net/secrets/{name}"))
                    .unwrap(),
            };
            let (found, _) = findings(&[u], &view, 0);
            assert_eq!(found.len(), 1, "{found:?}");
            (found[0].code.as_str(), found[0].message.clone())
        };
        let (code, message) = finding("firewall");
        assert_eq!(code, "network-refused");
        assert!(
            message.contains("firewall") && !message.contains("Secrets User role on"),
            "{message}"
        );
        let (code, message) = finding("private");
        assert_eq!(code, "network-refused");
        assert!(message.contains("private link"), "{message}");
        let (code, message) = finding("policy");
        assert_eq!(code, "access-denied");
        assert!(
            message.contains("access policies do not give you the `get` permission on secrets"),
            "{message}"
        );
        let (code, message) = finding("rbac");
        assert_eq!(code, "access-denied");
        assert!(message.contains("Key Vault Secrets User role"), "{message}");
        let (code, message) = finding("gone");
        assert_eq!(code, "secret-not-found");
        assert!(
            message.contains("was deleted from the vault `corp-kv` on 1970-01-01 00:00 UTC"),
            "{message}"
        );
        assert!(
            message.contains("recover permission") && !message.contains("create it there"),
            "{message}"
        );
    }
}
