//! Secrets Manager's JSON protocol as documented: signed `POST /` requests naming the
//! operation in `X-Amz-Target`, the answers vaultlink reads (`DescribeSecret`,
//! `ListSecretVersionIds`, `ListSecrets`, `GetSecretValue`) and its errors
//! (`{"__type": "…Exception", "message": …}`) as typed errors.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::aws::credentials::Credentials;
use crate::vault::arn::ArnId;
use crate::vault::secret::{Failure, FailureKind, SecretProps, SecretVersions};

/// The stage Secrets Manager gives the current version.
pub const CURRENT: &str = "AWSCURRENT";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SmError {
    #[error("{0}")]
    Credentials(String),
    #[error("Secrets Manager has no such secret ({message})")]
    NotFound { message: String },
    #[error(
        "the secret is scheduled for deletion{}: restore it with `aws secretsmanager restore-secret` before then",
        deleted.map(|d| format!(" on {}", crate::vault::secret::format_time(d))).unwrap_or_default()
    )]
    Deleted {
        /// When it is (or was) deleted for good, as `DeletedDate` says.
        deleted: Option<i64>,
    },
    #[error("Secrets Manager refused access ({code}): {message}")]
    Denied { code: String, message: String },
    #[error("Secrets Manager did not accept the credentials ({code}): {message}")]
    Unauthorized { code: String, message: String },
    #[error("Secrets Manager is throttling requests ({code}); try again later")]
    Throttled { code: String },
    #[error("Secrets Manager answered {status} {code}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Http {
        status: u16,
        code: String,
        message: String,
    },
    #[error("could not reach Secrets Manager at `{host}`: {message}")]
    Network { host: String, message: String },
    #[error("Secrets Manager's answer could not be read: {0}")]
    Protocol(String),
    #[error("{0}")]
    Endpoint(String),
    #[error("the secret's value is not a JSON object with the key `{0}`")]
    NoKey(String),
}

/// AWS's throttling error codes, as the SDKs' retry strategies list them.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

impl SmError {
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SmError::Throttled { .. }
                | SmError::Network { .. }
                | SmError::Http { status: 500.., .. }
        )
    }

    pub fn is_answer(&self) -> bool {
        matches!(
            self,
            SmError::NotFound { .. } | SmError::Deleted { .. } | SmError::Denied { .. }
        )
    }

    /// Reads an error answer.
    pub fn from_response(status: u16, body: &[u8]) -> SmError {
        #[derive(Deserialize)]
        struct Body {
            #[serde(rename = "__type")]
            kind: Option<String>,
            #[serde(alias = "Message")]
            message: Option<String>,
        }
        let (kind, message) = match serde_json::from_slice::<Body>(body) {
            Ok(b) => (b.kind.unwrap_or_default(), b.message.unwrap_or_default()),
            // The query protocol's XML errors, as IAM's authorization answers them.
            Err(_) => {
                let text = String::from_utf8_lossy(body);
                (
                    xml_field(&text, "Code").unwrap_or_default(),
                    xml_field(&text, "Message").unwrap_or_default(),
                )
            }
        };
        // `com.amazonaws.secretsmanager#ResourceNotFoundException` → the last part.
        let code = kind.rsplit(['#', ':']).next().unwrap_or("").to_owned();
        let message: String = message
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(300)
            .collect();
        if THROTTLING.contains(&code.as_str()) || status == 429 {
            return SmError::Throttled {
                code: if code.is_empty() {
                    status.to_string()
                } else {
                    code
                },
            };
        }
        match code.as_str() {
            "ResourceNotFoundException" => SmError::NotFound { message },
            "AccessDeniedException" | "AccessDenied" => SmError::Denied { code, message },
            "InvalidRequestException"
                if message.contains("deletion") || message.contains("deleted") =>
            {
                SmError::Deleted { deleted: None }
            }
            "UnrecognizedClientException"
            | "InvalidClientTokenId"
            | "SignatureDoesNotMatch"
            | "InvalidSignatureException"
            | "ExpiredTokenException"
            | "IncompleteSignature"
            | "MissingAuthenticationToken" => SmError::Unauthorized { code, message },
            _ => SmError::Http {
                status,
                code,
                message,
            },
        }
    }
}

/// The text of the first `<tag>…</tag>` of an XML answer.
fn xml_field(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find('<')?;
    Some(xml[start..end].trim().to_owned())
}

impl From<&SmError> for Failure {
    fn from(e: &SmError) -> Failure {
        let kind = match e {
            SmError::NotFound { .. } => FailureKind::NotFound,
            SmError::Deleted { deleted } => FailureKind::Deleted {
                deleted: *deleted,
                purge: None,
            },
            SmError::Denied { code, .. } => FailureKind::Denied {
                code: code.clone(),
                network: false,
                advice: "ask for an IAM policy that allows secretsmanager:DescribeSecret, secretsmanager:ListSecretVersionIds and secretsmanager:GetSecretValue on the secret (and kms:Decrypt on its key), and check that the secret's resource policy does not deny you".to_owned(),
            },
            SmError::Network { .. } => FailureKind::Unreachable,
            SmError::Throttled { .. } => FailureKind::Throttled,
            _ => FailureKind::Other,
        };
        Failure::new(kind, e.to_string())
    }
}

/// Where requests for a region go: the service's endpoint in the region's partition, or
/// `AWS_ENDPOINT_URL_SECRETS_MANAGER` (then `AWS_ENDPOINT_URL`), as the AWS SDKs read them —
/// `https`, or plain `http` only to a loopback host.
pub fn endpoint(id: &ArnId, env: &dyn Fn(&str) -> Option<String>) -> Result<url::Url, SmError> {
    crate::aws::endpoint::endpoint(
        &["AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"],
        &format!("https://{}/", id.host()),
        env,
    )
    .map_err(SmError::Endpoint)
}

/// A request signed with Signature Version 4 for `secretsmanager` in `region`.
pub fn signed_headers(
    url: &url::Url,
    region: &str,
    target: &str,
    body: &[u8],
    creds: &Credentials,
) -> Result<Vec<(String, String)>, SmError> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
    use aws_sigv4::sign::v4;
    let identity = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.expose_secret().to_owned(),
        creds
            .session_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        None,
        "vaultlink",
    )
    .into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("secretsmanager")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| SmError::Credentials(e.to_string()))?
        .into();
    let headers = [
        ("content-type", "application/x-amz-json-1.1"),
        ("x-amz-target", target),
    ];
    let signable = SignableRequest::new(
        "POST",
        url.as_str(),
        headers.iter().copied(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| SmError::Credentials(e.to_string()))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| SmError::Credentials(e.to_string()))?
        .into_parts();
    let mut out: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    out.extend(
        instructions
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    Ok(out)
}

/// `DescribeSecret`'s answer: metadata only.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Described {
    #[serde(rename = "ARN")]
    pub arn: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub rotation_enabled: Option<bool>,
    pub rotation_rules: Option<RotationRules>,
    pub last_rotated_date: Option<f64>,
    pub last_changed_date: Option<f64>,
    pub next_rotation_date: Option<f64>,
    pub deleted_date: Option<f64>,
    pub created_date: Option<f64>,
    pub tags: Option<Vec<Tag>>,
    pub version_ids_to_stages: Option<BTreeMap<String, Vec<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct RotationRules {
    pub automatically_after_days: Option<i64>,
    pub schedule_expression: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// `ListSecretVersionIds`' answer.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct VersionPage {
    #[serde(default)]
    pub versions: Vec<VersionEntry>,
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionEntry {
    pub version_id: Option<String>,
    #[serde(default)]
    pub version_stages: Vec<String>,
    pub created_date: Option<f64>,
    pub last_accessed_date: Option<f64>,
}

/// `ListSecrets`' answer.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct SecretsPage {
    #[serde(default)]
    pub secret_list: Vec<Described>,
    pub next_token: Option<String>,
}

/// `GetSecretValue`'s answer; read once, the value wrapped at once.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValueWire {
    pub secret_string: Option<String>,
    pub secret_binary: Option<String>,
}

fn secs(t: Option<f64>) -> Option<i64> {
    t.map(|t| t as i64)
}

/// The versions and facts of a described secret.
pub fn versions_of(described: &Described, versions: Vec<VersionEntry>) -> SecretVersions {
    let tags: BTreeMap<String, String> = described
        .tags
        .iter()
        .flatten()
        .filter_map(|t| Some((t.key.clone()?, t.value.clone().unwrap_or_default())))
        .collect();
    let stages = described.version_ids_to_stages.clone().unwrap_or_default();
    let mut seen: Vec<String> = Vec::new();
    let mut props: Vec<SecretProps> = versions
        .into_iter()
        .filter_map(|v| {
            let id = v.version_id?;
            seen.push(id.clone());
            let labels = if v.version_stages.is_empty() {
                stages.get(&id).cloned().unwrap_or_default()
            } else {
                v.version_stages
            };
            Some(SecretProps {
                id: described.arn.clone().unwrap_or_default(),
                name: described.name.clone().unwrap_or_default(),
                version: Some(id),
                enabled: true,
                created: secs(v.created_date),
                updated: secs(v.last_accessed_date.or(v.created_date)),
                expires: None,
                not_before: None,
                content_type: None,
                tags: tags.clone(),
                labels,
            })
        })
        .collect();
    // Versions the list left out (paging stopped early) but the description names.
    for (id, labels) in &stages {
        if !seen.contains(id) {
            props.push(SecretProps {
                id: described.arn.clone().unwrap_or_default(),
                name: described.name.clone().unwrap_or_default(),
                version: Some(id.clone()),
                enabled: true,
                created: None,
                updated: None,
                expires: None,
                not_before: None,
                content_type: None,
                tags: tags.clone(),
                labels: labels.clone(),
            });
        }
    }
    let current = props
        .iter()
        .find(|p| p.labels.iter().any(|l| l == CURRENT))
        .and_then(|p| p.version.clone());
    let mut out = SecretVersions::new(props).with_current(current);
    let time =
        |t: Option<f64>| secs(t).map_or_else(|| "—".to_owned(), crate::vault::secret::format_time);
    let rotation = match described.rotation_enabled {
        Some(true) => {
            let rule = described
                .rotation_rules
                .as_ref()
                .and_then(|r| {
                    r.schedule_expression.clone().or(r
                        .automatically_after_days
                        .map(|d| format!("every {d} days")))
                })
                .unwrap_or_else(|| "on".to_owned());
            format!("on ({rule})")
        }
        _ => "off".to_owned(),
    };
    out.facts.push(("rotation".to_owned(), rotation));
    if described.rotation_enabled == Some(true) {
        out.facts
            .push(("last rotated".to_owned(), time(described.last_rotated_date)));
        out.facts.push((
            "next rotation".to_owned(),
            time(described.next_rotation_date),
        ));
    }
    out.facts
        .push(("last changed".to_owned(), time(described.last_changed_date)));
    if let Some(k) = &described.kms_key_id {
        out.facts.push(("KMS key".to_owned(), k.clone()));
    }
    if let Some(d) = described.description.as_deref().filter(|d| !d.is_empty()) {
        out.facts.push((
            "description".to_owned(),
            d.chars().take(200).collect::<String>(),
        ));
    }
    out
}

/// How long to wait before retry `attempt` (1-based): exponential with full jitter, as the
/// SDKs' standard retry mode waits.
pub fn backoff(attempt: u32) -> Duration {
    let cap = Duration::from_millis(100 * (1 << attempt.min(6)));
    Duration::from_millis(fastrand::u64(
        cap.as_millis() as u64 / 2..=cap.as_millis() as u64,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_typed() {
        let e = |status, body: &str| SmError::from_response(status, body.as_bytes());
        assert!(matches!(
            e(
                400,
                r#"{"__type":"ResourceNotFoundException","message":"Secrets Manager can't find the specified secret."}"#
            ),
            SmError::NotFound { .. }
        ));
        assert!(matches!(
            e(
                400,
                r#"{"__type":"com.amazonaws.secretsmanager#ThrottlingException","message":"Rate exceeded"}"#
            ),
            SmError::Throttled { .. }
        ));
        assert!(e(400, r#"{"__type":"ThrottlingException"}"#).is_transient());
        assert!(matches!(
            e(
                400,
                r#"{"__type":"AccessDeniedException","Message":"User: arn:aws:iam::1:user/x is not authorized"}"#
            ),
            SmError::Denied { .. }
        ));
        assert!(matches!(
            e(
                400,
                r#"{"__type":"InvalidRequestException","message":"You can't perform this operation on the secret because it was marked for deletion."}"#
            ),
            SmError::Deleted { .. }
        ));
        assert!(e(503, "").is_transient());
        let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/stranger is not authorized to perform: secretsmanager:DescribeSecret</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#;
        assert!(
            matches!(e(403, xml), SmError::Denied { .. }),
            "{:?}",
            e(403, xml)
        );
        assert!(matches!(
            e(
                403,
                "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>"
            ),
            SmError::Unauthorized { .. }
        ));
        assert!(!e(400, r#"{"__type":"ValidationException"}"#).is_transient());
    }

    #[test]
    fn endpoints_are_https_or_loopback() {
        let id = ArnId::parse("secretsmanager://eu-west-1/x").unwrap();
        let at = |v: Option<&str>| {
            let v = v.map(str::to_owned);
            endpoint(&id, &move |k: &str| {
                (k == "AWS_ENDPOINT_URL_SECRETS_MANAGER")
                    .then(|| v.clone())
                    .flatten()
            })
            .map(|u| u.to_string())
            .map_err(|e| e.to_string())
        };
        assert_eq!(
            at(None).unwrap(),
            "https://secretsmanager.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            at(Some("http://127.0.0.1:5000")).unwrap(),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(
            at(Some("http://localhost:5000")).unwrap(),
            "http://localhost:5000/"
        );
        assert_eq!(
            at(Some("https://sm.example.com")).unwrap(),
            "https://sm.example.com/"
        );
        assert!(
            at(Some("http://sm.example.com"))
                .unwrap_err()
                .contains("plain http")
        );
        assert!(at(Some("ftp://127.0.0.1")).is_err());
        assert!(at(Some("http://u:p@127.0.0.1")).is_err());
    }

    #[test]
    fn current_is_the_awscurrent_stage() {
        let described: Described = serde_json::from_str(
            r#"{"ARN":"arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf","Name":"x","RotationEnabled":true,"RotationRules":{"AutomaticallyAfterDays":30},"NextRotationDate":1700000000,"VersionIdsToStages":{"a":["AWSPREVIOUS"],"b":["AWSCURRENT"]}}"#,
        )
        .unwrap();
        let page: VersionPage = serde_json::from_str(
            r#"{"Versions":[{"VersionId":"a","VersionStages":["AWSPREVIOUS"],"CreatedDate":100},{"VersionId":"b","VersionStages":["AWSCURRENT"],"CreatedDate":100}]}"#,
        )
        .unwrap();
        let v = versions_of(&described, page.versions);
        assert_eq!(v.is_current("b"), Some(true));
        assert_eq!(v.is_current("a"), Some(false));
        assert_eq!(
            v.labelled("AWSPREVIOUS").unwrap().version.as_deref(),
            Some("a")
        );
        assert!(
            v.facts
                .iter()
                .any(|(k, r)| k == "rotation" && r == "on (every 30 days)")
        );
    }
}
