//! The AWS session: credentials in memory, Secrets Manager requests with bounded retries on
//! AWS's throttling codes, and single-flight caches of metadata, names and values.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use zeroize::Zeroize;

use crate::aws::credentials::{self, Credentials, CredentialsError, Found, Sources};
use crate::aws::secretsmanager::{
    Described, SecretsPage, SmError, ValueWire, VersionPage, backoff, endpoint, signed_headers,
    versions_of,
};
use crate::cache::Cache;
use crate::vault::arn::{ArnId, Pin};
use crate::vault::secret::SecretVersions;

pub type Versions = Result<Arc<SecretVersions>, SmError>;
pub type Value = Result<Arc<SecretString>, SmError>;
pub type Names = Result<Arc<Vec<String>>, SmError>;

const METADATA_TTL: Duration = Duration::from_secs(5 * 60);
const ANSWER_TTL: Duration = Duration::from_secs(60);
const TRANSIENT_TTL: Duration = Duration::from_secs(30);
const VALUE_TTL: Duration = Duration::from_secs(3600);
/// How long before credentials expire they are looked for again.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
/// Attempts of one request, the first included.
const ATTEMPTS: u32 = 4;
/// The most pages followed for one listing.
const MAX_PAGES: usize = 100;

pub struct Aws {
    credentials: Mutex<Option<Arc<Credentials>>>,
    /// Folders an `aws` program is never taken from.
    workspace: Mutex<Vec<PathBuf>>,
    /// Whether the last sign-in could run programs: a renewal may do as much, no more.
    programs: std::sync::atomic::AtomicBool,
    /// One renewal at a time.
    renewing: tokio::sync::Mutex<()>,
    /// Built on first use: a session that never asks AWS sets up no TLS.
    http: std::sync::OnceLock<reqwest::Client>,
    versions: Cache<(String, String), Versions>,
    values: Cache<(String, String, Option<Pin>, Option<String>), Value>,
    names: Cache<String, Names>,
}

impl Default for Aws {
    fn default() -> Aws {
        Aws {
            credentials: Mutex::new(None),
            workspace: Mutex::new(Vec::new()),
            programs: std::sync::atomic::AtomicBool::new(false),
            renewing: tokio::sync::Mutex::new(()),
            http: std::sync::OnceLock::new(),
            versions: Cache::default(),
            values: Cache::default(),
            names: Cache::default(),
        }
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Aws {
    pub fn set_workspace(&self, roots: Vec<PathBuf>) {
        *self.workspace.lock().unwrap() = roots;
    }

    pub fn is_signed_in(&self) -> bool {
        self.credentials.lock().unwrap().is_some()
    }

    /// Where the credentials came from, when there are some.
    pub fn source(&self) -> Option<String> {
        self.credentials
            .lock()
            .unwrap()
            .as_ref()
            .map(|c| c.source.clone())
    }

    /// The secret parts of the credentials in use, for a redactor.
    pub fn credential_secrets(&self) -> Vec<String> {
        self.credentials
            .lock()
            .unwrap()
            .as_ref()
            .map(|c| c.secrets())
            .unwrap_or_default()
    }

    /// Finds credentials along the standard chain; `run_programs` allows running
    /// `credential_process` and `aws` (only in a trusted workspace).
    pub async fn sign_in_silently(&self, run_programs: bool) -> Result<(), CredentialsError> {
        let home = credentials::home();
        let found = credentials::find(&Sources {
            env: &env,
            home: home.clone(),
        })?;
        let untrusted = |what: &str, profile: String| CredentialsError::Cli {
            profile,
            why: format!("{what} is not run in an untrusted workspace"),
        };
        let creds = match found {
            Found::Ready(c) => c,
            Found::Sso(sso) => {
                let token = credentials::sso_token(
                    home.as_deref(),
                    &sso,
                    jiff::Timestamp::now().as_second(),
                )?;
                credentials::sso_credentials(self.http(), &sso, &token, &env).await?
            }
            Found::WebIdentity(web) => {
                credentials::from_web_identity(self.http(), &web, &env).await?
            }
            Found::Container { url, authorization } => {
                credentials::from_container(self.http(), &url, authorization.as_ref()).await?
            }
            Found::Process { profile, command } if run_programs => {
                credentials::from_process(&profile, &command).await?
            }
            Found::Process { profile, .. } => {
                return Err(untrusted("its credential_process", profile));
            }
            Found::NeedsCli { profile } if run_programs => {
                let avoid = self.workspace.lock().unwrap().clone();
                credentials::export_from_cli(&profile, &avoid).await?
            }
            Found::NeedsCli { profile } => {
                return Err(untrusted("the AWS CLI", profile));
            }
        };
        *self.credentials.lock().unwrap() = Some(Arc::new(creds));
        self.programs
            .store(run_programs, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    /// Credentials that expire within [`RENEW_BEFORE`] (an SSO role's, a web identity's, a
    /// process's) are looked for again along the chain, once, by the first request that
    /// needs them; while the old ones still work, a failed renewal keeps them.
    async fn renew_if_expiring(&self) {
        let expiring = |c: &Option<Arc<Credentials>>| {
            c.as_ref().and_then(|c| c.expires).is_some_and(|e| {
                e - RENEW_BEFORE.as_secs() as i64 <= jiff::Timestamp::now().as_second()
            })
        };
        if !expiring(&self.credentials.lock().unwrap()) {
            return;
        }
        let _one = self.renewing.lock().await;
        if !expiring(&self.credentials.lock().unwrap()) {
            return;
        }
        let programs = self.programs.load(std::sync::atomic::Ordering::SeqCst);
        let _ = self.sign_in_silently(programs).await;
    }

    /// The one HTTP client, built on first use.
    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            crate::net::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default()
        })
    }

    pub fn sign_out(&self) {
        *self.credentials.lock().unwrap() = None;
        self.clear_cache();
    }

    pub fn clear_cache(&self) {
        self.versions.clear();
        self.values.clear();
        self.names.clear();
    }

    pub fn forget_values(&self) {
        self.values.clear();
    }

    fn creds(&self) -> Result<Arc<Credentials>, SmError> {
        let creds = self
            .credentials
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| SmError::Credentials(CredentialsError::Missing.to_string()))?;
        if creds
            .expires
            .is_some_and(|e| e <= jiff::Timestamp::now().as_second())
        {
            return Err(SmError::Credentials(
                "the AWS credentials have expired and none were found to replace them: sign in again (for an SSO profile, `aws sso login`)"
                    .to_owned(),
            ));
        }
        Ok(creds)
    }

    /// One operation, signed, retried with backoff while AWS throttles or fails.
    async fn call(
        &self,
        id: &ArnId,
        op: &str,
        body: serde_json::Value,
    ) -> Result<Vec<u8>, SmError> {
        let url = endpoint(id, &env)?;
        let host = url.host_str().unwrap_or_default().to_owned();
        let body = serde_json::to_vec(&body).map_err(|e| SmError::Protocol(e.to_string()))?;
        let target = format!("secretsmanager.{op}");
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.renew_if_expiring().await;
            let creds = self.creds()?;
            let headers = signed_headers(&url, &id.region, &target, &body, &creds)?;
            let mut req = self.http().post(url.clone()).body(body.clone());
            for (k, v) in &headers {
                let mut value = reqwest::header::HeaderValue::from_str(v)
                    .map_err(|e| SmError::Credentials(e.to_string()))?;
                if k.eq_ignore_ascii_case("authorization")
                    || k.eq_ignore_ascii_case("x-amz-security-token")
                {
                    value.set_sensitive(true);
                }
                req = req.header(k.as_str(), value);
            }
            let result = match req.send().await {
                Err(e) => Err(SmError::Network {
                    host: host.clone(),
                    message: crate::net::error_chain(&e),
                }),
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    match resp.bytes().await {
                        Err(e) => Err(SmError::Network {
                            host: host.clone(),
                            message: e.to_string(),
                        }),
                        Ok(bytes) if (200..300).contains(&status) => Ok(bytes.to_vec()),
                        Ok(bytes) => Err(SmError::from_response(status, &bytes)),
                    }
                }
            };
            match result {
                Err(e) if e.is_transient() && attempt < ATTEMPTS => {
                    tokio::time::sleep(backoff(attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// What `DescribeSecret` and `ListSecretVersionIds` say about the secret `id` names
    /// (never a value), cached.
    pub async fn versions(&self, id: &ArnId) -> Versions {
        let key = (id.host(), id.secret_id());
        self.versions
            .get(key, || {
                Box::pin(async move {
                    let result = self.describe(id).await;
                    let ttl = ttl(&result, METADATA_TTL);
                    (result, ttl)
                })
            })
            .await
    }

    async fn describe(&self, id: &ArnId) -> Versions {
        let body = self
            .call(id, "DescribeSecret", json!({ "SecretId": id.secret_id() }))
            .await?;
        let described: Described =
            serde_json::from_slice(&body).map_err(|e| SmError::Protocol(e.to_string()))?;
        if let Some(d) = described.deleted_date {
            return Err(SmError::Deleted {
                deleted: Some(d as i64),
            });
        }
        let mut versions = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut req = json!({
                "SecretId": id.secret_id(),
                "IncludeDeprecated": true,
                "MaxResults": 100,
            });
            if let Some(t) = &token {
                req["NextToken"] = json!(t);
            }
            let body = self.call(id, "ListSecretVersionIds", req).await?;
            let page: VersionPage =
                serde_json::from_slice(&body).map_err(|e| SmError::Protocol(e.to_string()))?;
            versions.extend(page.versions);
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        Ok(Arc::new(versions_of(&described, versions)))
    }

    pub fn peek_versions(&self, id: &ArnId) -> Option<Versions> {
        self.versions.peek(&(id.host(), id.secret_id()))
    }

    /// The value `id` reads (its pinned version or stage, its JSON key), from
    /// `GetSecretValue`; kept in memory for at most an hour.
    pub async fn value(&self, id: &ArnId) -> Value {
        let key = (id.host(), id.secret_id(), id.pin.clone(), id.key.clone());
        self.values
            .get(key, || {
                Box::pin(async move {
                    let result = self.get_value(id).await;
                    let keep = match &result {
                        Ok(_) => VALUE_TTL,
                        Err(_) => Duration::ZERO,
                    };
                    (result, keep)
                })
            })
            .await
    }

    async fn get_value(&self, id: &ArnId) -> Value {
        let mut req = json!({ "SecretId": id.secret_id() });
        match &id.pin {
            Some(Pin::Id(v)) => req["VersionId"] = json!(v),
            Some(Pin::Stage(s)) => req["VersionStage"] = json!(s),
            None => {}
        }
        let mut body = self.call(id, "GetSecretValue", req).await?;
        let wire = serde_json::from_slice::<ValueWire>(&body);
        body.zeroize();
        let wire = wire.map_err(|e| SmError::Protocol(e.to_string()))?;
        let mut text = match (wire.secret_string, wire.secret_binary) {
            (Some(s), _) => s,
            (None, Some(b)) => b,
            (None, None) => return Err(SmError::Protocol("the answer has no value".to_owned())),
        };
        let Some(key) = &id.key else {
            return Ok(Arc::new(SecretString::from(text)));
        };
        let parsed = serde_json::from_str::<serde_json::Value>(&text);
        text.zeroize();
        let field = match parsed {
            Ok(serde_json::Value::Object(mut map)) => map.remove(key.as_str()),
            _ => None,
        };
        match field {
            Some(serde_json::Value::String(s)) => Ok(Arc::new(SecretString::from(s))),
            Some(serde_json::Value::Null) | None => Err(SmError::NoKey(key.clone())),
            Some(other) => Ok(Arc::new(SecretString::from(other.to_string()))),
        }
    }

    /// The ARNs of the secrets `ListSecrets` shows in the region `id` names, across pages,
    /// cached per endpoint host.
    pub async fn secret_arns(&self, id: &ArnId) -> Names {
        self.names
            .get(id.host(), || {
                Box::pin(async move {
                    let result = self.list(id).await;
                    let ttl = ttl(&result, METADATA_TTL);
                    (result, ttl)
                })
            })
            .await
    }

    async fn list(&self, id: &ArnId) -> Names {
        let mut arns = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut req = json!({ "MaxResults": 100 });
            if let Some(t) = &token {
                req["NextToken"] = json!(t);
            }
            let body = self.call(id, "ListSecrets", req).await?;
            let page: SecretsPage =
                serde_json::from_slice(&body).map_err(|e| SmError::Protocol(e.to_string()))?;
            arns.extend(
                page.secret_list
                    .into_iter()
                    .filter(|s| s.deleted_date.is_none())
                    .filter_map(|s| s.arn),
            );
            match page.next_token {
                Some(t) if !t.is_empty() => token = Some(t),
                _ => break,
            }
        }
        arns.sort();
        arns.dedup();
        Ok(Arc::new(arns))
    }

    pub fn peek_secret_arns(&self, host: &str) -> Option<Names> {
        self.names.peek(&host.to_owned())
    }
}

fn ttl<T>(result: &Result<T, SmError>, ok: Duration) -> Duration {
    match result {
        Ok(_) => ok,
        Err(e) if e.is_answer() => ANSWER_TTL,
        Err(e) if e.is_transient() => TRANSIENT_TTL,
        Err(_) => Duration::ZERO,
    }
}
