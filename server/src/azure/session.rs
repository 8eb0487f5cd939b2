//! The Azure session: who is signed in, their tokens (in memory only, for at most 24 hours),
//! the tenant of each vault, and Key Vault requests with challenge handling, bounded retries
//! and single-flight caches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use reqwest::header::{AUTHORIZATION, HOST, RETRY_AFTER, WWW_AUTHENTICATE};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;
use zeroize::Zeroize;

use crate::azure::challenge;
use crate::azure::endpoints::{Endpoints, is_valid_tenant};
use crate::azure::keyvault::{
    API_VERSION, DeletedWire, KvError, Page, SecretProps, SecretValue, SecretVersions, Wire,
};
use crate::azure::signin::{
    self, AccessToken, App, Grant, Interaction, Method, ServicePrincipal, SignInError,
};
use crate::cache::Cache;
use crate::vault::identifier::{SecretId, is_key_vault_host};

/// A sign-in ends after this long, refreshed silently until then.
pub const MAX_SIGN_IN: Duration = Duration::from_secs(24 * 3600);
/// How long secret metadata and vault listings are kept.
pub const METADATA_TTL: Duration = Duration::from_secs(5 * 60);
/// How long a secret's value is kept at most (and never past its expiry).
pub const VALUE_TTL: Duration = Duration::from_secs(3600);
/// How long an answer that is an error about the secret (not found, disabled, denied) is kept.
const ANSWER_TTL: Duration = Duration::from_secs(60);
/// How long metadata lookups that failed on the way (throttling, 5xx, network) are not
/// tried again, so that an editor re-checking its documents does not hammer Key Vault.
const TRANSIENT_TTL: Duration = Duration::from_secs(30);
/// Attempts of one request, the first included, when Key Vault throttles or fails.
const ATTEMPTS: u32 = 4;
/// The longest `Retry-After` that is waited for; a longer one ends the retries.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// Key Vault requests in flight at once.
const CONCURRENCY: usize = 32;
/// The most list pages followed for one listing.
const MAX_PAGES: usize = 1000;

/// What the editor shows about the sign-in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Status {
    pub method: Option<Method>,
    pub account: Option<String>,
    /// When the sign-in ends.
    pub ends_at: Option<Instant>,
}

impl Status {
    pub fn signed_in(&self) -> bool {
        self.method.is_some()
    }
}

struct Session {
    method: Method,
    app: App,
    /// Whether `app.tenant` was configured (then vaults are assumed to be in it).
    explicit_tenant: bool,
    sp: Option<ServicePrincipal>,
    /// When the sign-in ends: [`MAX_SIGN_IN`] after it began.
    ends_at: Instant,
    /// Access tokens by tenant; `*` is the token a sign-in got without naming a tenant.
    tokens: HashMap<String, AccessToken>,
    refresh: Option<SecretString>,
}

type Versions = Result<Arc<SecretVersions>, KvError>;
type Value = Result<Arc<SecretValue>, KvError>;
type Names = Result<Arc<Vec<String>>, KvError>;

pub struct Azure {
    http: reqwest::Client,
    endpoints: Result<Endpoints, String>,
    session: tokio::sync::Mutex<Option<Session>>,
    status: Mutex<Status>,
    /// Vault host → tenant, learned from challenges.
    tenants: DashMap<String, String>,
    versions: Cache<(String, String), Versions>,
    values: Cache<(String, String, Option<String>), Value>,
    names: Cache<String, Names>,
    limit: Semaphore,
    /// The folders of the workspace: no program is run from them.
    workspace: Mutex<Vec<std::path::PathBuf>>,
}

impl Default for Azure {
    fn default() -> Azure {
        Azure::new(Endpoints::from_env())
    }
}

impl Azure {
    pub fn new(endpoints: Result<Endpoints, String>) -> Azure {
        Azure {
            http: crate::azure::http::client(),
            endpoints,
            session: tokio::sync::Mutex::new(None),
            status: Mutex::new(Status::default()),
            tenants: DashMap::new(),
            versions: Cache::default(),
            values: Cache::default(),
            names: Cache::default(),
            limit: Semaphore::new(CONCURRENCY),
            workspace: Mutex::default(),
        }
    }

    /// The workspace's folders: the Azure CLI is never run from one of them.
    pub fn set_workspace(&self, roots: Vec<std::path::PathBuf>) {
        *self.workspace.lock().unwrap() = roots;
    }

    fn workspace(&self) -> Vec<std::path::PathBuf> {
        self.workspace.lock().unwrap().clone()
    }

    fn endpoints(&self) -> Result<&Endpoints, SignInError> {
        self.endpoints
            .as_ref()
            .map_err(|e| SignInError::NotConfigured(e.clone()))
    }

    pub fn status(&self) -> Status {
        let status = self.status.lock().unwrap().clone();
        match status.ends_at {
            Some(end) if end <= Instant::now() => Status::default(),
            _ => status,
        }
    }

    pub fn is_signed_in(&self) -> bool {
        self.status().signed_in()
    }

    /// Signs in with `method`; interactive methods talk to the user through `ui`.
    pub async fn sign_in(
        &self,
        method: Method,
        app: &App,
        explicit_tenant: bool,
        ui: &dyn Interaction,
    ) -> Result<Status, SignInError> {
        let endpoints = self.endpoints()?;
        let mut sp = None;
        let grant: Grant = match method {
            Method::Environment => {
                let p = ServicePrincipal::from_env()?;
                let g = signin::client_credentials(&self.http, endpoints, &p).await?;
                sp = Some(p);
                g
            }
            Method::AzureCli => {
                signin::azure_cli(
                    explicit_tenant.then_some(app.tenant.as_str()),
                    &self.workspace(),
                )
                .await?
            }
            Method::Browser => {
                signin::browser(&self.http, endpoints, app, ui, signin::BROWSER_TIMEOUT).await?
            }
            Method::DeviceCode => signin::device_code(&self.http, endpoints, app, ui).await?,
        };
        let ends_at = Instant::now() + MAX_SIGN_IN;
        let explicit_tenant = explicit_tenant || sp.is_some();
        let app = match &sp {
            Some(p) => App {
                tenant: p.tenant.clone(),
                client_id: p.client_id.clone(),
                additionally_allowed_tenants: allowed_tenants(app),
            },
            None => App {
                additionally_allowed_tenants: allowed_tenants(app),
                ..app.clone()
            },
        };
        let mut tokens = HashMap::new();
        tokens.insert("*".to_owned(), cap(grant.access, ends_at));
        let status = Status {
            method: Some(method),
            account: grant.account.clone(),
            ends_at: Some(ends_at),
        };
        *self.session.lock().await = Some(Session {
            method,
            app,
            explicit_tenant,
            sp,
            ends_at,
            tokens,
            refresh: grant.refresh,
        });
        self.clear_cache();
        *self.status.lock().unwrap() = status.clone();
        Ok(status)
    }

    /// `auto` without a person: the environment's service principal, then the Azure CLI.
    /// The reasons each one failed come back when neither worked.
    pub async fn sign_in_silently(
        &self,
        app: &App,
        explicit_tenant: bool,
    ) -> Result<Status, Vec<(Method, SignInError)>> {
        struct NoUi;
        impl Interaction for NoUi {
            fn open_page<'a>(
                &'a self,
                _: &'a str,
            ) -> futures::future::BoxFuture<'a, Result<(), String>> {
                Box::pin(async { Err("no one to show it to".to_owned()) })
            }
            fn show_device_code<'a>(&'a self, _: &'a str) -> futures::future::BoxFuture<'a, ()> {
                Box::pin(async {})
            }
        }
        let mut reasons = Vec::new();
        for method in [Method::Environment, Method::AzureCli] {
            match self.sign_in(method, app, explicit_tenant, &NoUi).await {
                Ok(status) => return Ok(status),
                Err(e) => reasons.push((method, e)),
            }
        }
        Err(reasons)
    }

    /// Drops tokens, learned tenants and every cached answer.
    pub async fn sign_out(&self) {
        *self.session.lock().await = None;
        *self.status.lock().unwrap() = Status::default();
        self.tenants.clear();
        self.clear_cache();
    }

    /// Drops every secret value kept (each is zeroized when its last copy goes): an editor
    /// keeps a value only for the send that fetched it.
    pub fn forget_values(&self) {
        self.values.clear();
    }

    pub fn clear_cache(&self) {
        self.versions.clear();
        self.values.clear();
        self.names.clear();
    }

    /// Every version of the secret `id` names (metadata only), cached.
    pub async fn versions(&self, id: &SecretId) -> Versions {
        let (host, name) = (id.host(), id.name.to_ascii_lowercase());
        self.versions
            .get((host.clone(), name.clone()), || {
                Box::pin(async move {
                    let path =
                        format!("/secrets/{name}/versions?api-version={API_VERSION}&maxresults=25");
                    let result = self.list(&host, &path).await.and_then(|items| {
                        if items.is_empty() {
                            Err(KvError::NotFound {
                                message: format!(
                                    "a secret named {name} was not found in this key vault"
                                ),
                            })
                        } else {
                            Ok(Arc::new(SecretVersions::new(items)))
                        }
                    });
                    let result = match result {
                        Err(e @ KvError::NotFound { .. }) => {
                            Err(self.deleted_or(&host, &name, e).await)
                        }
                        other => other,
                    };
                    let ttl = ttl(&result, METADATA_TTL, TRANSIENT_TTL);
                    (result, ttl)
                })
            })
            .await
    }

    /// The cached versions of `id`, without asking Key Vault.
    pub fn peek_versions(&self, id: &SecretId) -> Option<Versions> {
        self.versions
            .peek(&(id.host(), id.name.to_ascii_lowercase()))
    }

    /// The value of the secret `id` names (the pinned version, or the latest), cached in
    /// memory for at most an hour and never past the secret's expiry.
    pub async fn value(&self, id: &SecretId) -> Value {
        let key = (id.host(), id.name.to_ascii_lowercase(), id.version.clone());
        self.values
            .get(key, || {
                Box::pin(async move {
                    let version = id
                        .version
                        .as_deref()
                        .map(|v| format!("/{v}"))
                        .unwrap_or_default();
                    let path = format!("/secrets/{}{version}?api-version={API_VERSION}", id.name);
                    let result = match self
                        .request(reqwest::Method::GET, &id.host(), &path, None)
                        .await
                    {
                        Err(e @ KvError::NotFound { .. }) => {
                            Err(self.deleted_or(&id.host(), &id.name, e).await)
                        }
                        other => other,
                    }
                    .and_then(|mut body| {
                        let wire = serde_json::from_slice::<Wire>(&body);
                        // The answer held the value in clear.
                        body.zeroize();
                        let wire = wire.map_err(|e| KvError::Protocol(e.to_string()))?;
                        let (props, value) = wire.split()?;
                        let value = value.ok_or_else(|| {
                            KvError::Protocol("the answer has no value".to_owned())
                        })?;
                        Ok(Arc::new(SecretValue { value, props }))
                    });
                    let keep = match &result {
                        Ok(v) => match v.props.expires {
                            Some(exp) => {
                                let left = exp - jiff::Timestamp::now().as_second();
                                VALUE_TTL.min(Duration::from_secs(left.max(0) as u64))
                            }
                            None => VALUE_TTL,
                        },
                        Err(e) => ttl::<()>(&Err(e.clone()), VALUE_TTL, Duration::ZERO),
                    };
                    (result, keep)
                })
            })
            .await
    }

    /// `not_found`, or that the secret was deleted when Key Vault keeps it for recovery:
    /// `GET /deletedsecrets/{name}` answers with its deletion and purge dates (metadata, no
    /// value). Without the `list` permission that needs, `not_found` stands.
    async fn deleted_or(&self, host: &str, name: &str, not_found: KvError) -> KvError {
        let path = format!("/deletedsecrets/{name}?api-version={API_VERSION}");
        match self.request(reqwest::Method::GET, host, &path, None).await {
            Ok(body) => match serde_json::from_slice::<DeletedWire>(&body) {
                Ok(wire) => wire.into_error(),
                Err(_) => not_found,
            },
            Err(_) => not_found,
        }
    }

    /// The names of the secrets in the vault at `host`, sorted, cached.
    pub async fn secret_names(&self, host: &str) -> Names {
        let host = host.to_ascii_lowercase();
        self.names
            .get(host.clone(), || {
                Box::pin(async move {
                    let path = format!("/secrets?api-version={API_VERSION}&maxresults=25");
                    let result = self.list(&host, &path).await.map(|items| {
                        let mut names: Vec<String> = items.into_iter().map(|p| p.name).collect();
                        names.sort_by_key(|n| n.to_ascii_lowercase());
                        names.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
                        Arc::new(names)
                    });
                    let ttl = ttl(&result, METADATA_TTL, TRANSIENT_TTL);
                    (result, ttl)
                })
            })
            .await
    }

    pub fn peek_secret_names(&self, host: &str) -> Option<Names> {
        self.names.peek(&host.to_ascii_lowercase())
    }

    /// Stores `value` as a new version of `name` in the vault at `host`; returns the new
    /// version's properties (the answer's copy of the value is dropped).
    pub async fn set_secret(
        &self,
        host: &str,
        name: &str,
        value: &SecretString,
        content_type: Option<&str>,
    ) -> Result<SecretProps, KvError> {
        let mut body = serde_json::json!({ "value": value.expose_secret() });
        if let Some(ct) = content_type {
            body["contentType"] = ct.into();
        }
        let path = format!("/secrets/{name}?api-version={API_VERSION}");
        let bytes = serde_json::to_vec(&body).expect("JSON serialises");
        drop(body);
        let answer = self
            .request(reqwest::Method::PUT, host, &path, Some(bytes))
            .await?;
        let wire: Wire =
            serde_json::from_slice(&answer).map_err(|e| KvError::Protocol(e.to_string()))?;
        let (props, _value) = wire.split()?;
        self.versions.clear();
        self.names.clear();
        Ok(props)
    }

    /// Every item of a paged list, following `nextLink` on the same host only.
    async fn list(&self, host: &str, first: &str) -> Result<Vec<SecretProps>, KvError> {
        let mut items = Vec::new();
        let mut path = first.to_owned();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..MAX_PAGES {
            // A link back to a page already read would go round forever.
            if !seen.insert(path.clone()) {
                return Err(KvError::Protocol(
                    "its list pages link back to a page already read".to_owned(),
                ));
            }
            let body = self
                .request(reqwest::Method::GET, host, &path, None)
                .await?;
            let page: Page =
                serde_json::from_slice(&body).map_err(|e| KvError::Protocol(e.to_string()))?;
            for wire in page.value {
                items.push(wire.split()?.0);
            }
            match page.next_link.filter(|l| !l.is_empty()) {
                None => return Ok(items),
                Some(link) => path = same_host_path(&link, host)?,
            }
        }
        Err(KvError::Protocol(format!("more than {MAX_PAGES} pages")))
    }

    /// One Key Vault request: the tenant learned from a challenge when none is known, a
    /// token for it, one more try with a new token after a 401.
    async fn request(
        &self,
        method: reqwest::Method,
        host: &str,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, KvError> {
        if !is_key_vault_host(host) {
            return Err(KvError::Protocol(format!(
                "`{host}` is not a Key Vault host"
            )));
        }
        if !self.is_signed_in() {
            return Err(KvError::NotSignedIn);
        }
        let _permit = self.limit.acquire().await.expect("never closed");
        let mut tenant = self.known_tenant(host).await;
        let mut renewed = false;
        for _ in 0..4 {
            let token = match &tenant {
                Some(t) => Some(self.token(t).await?),
                None => None,
            };
            let answer = self
                .send(method.clone(), host, path, body.as_deref(), token.as_ref())
                .await?;
            if answer.status != 401 {
                return if (200..300).contains(&answer.status) {
                    Ok(answer.body)
                } else {
                    Err(KvError::from_response(
                        answer.status,
                        &answer.body,
                        answer.retry_after,
                    ))
                };
            }
            if let Some(header) = &answer.challenge {
                let learned = challenge::parse(header, host)?.tenant;
                if tenant.as_deref() != Some(learned.as_str()) {
                    self.check_tenant_allowed(host, &learned).await?;
                    self.tenants
                        .insert(host.to_ascii_lowercase(), learned.clone());
                    tenant = Some(learned);
                    continue;
                }
            }
            if let (Some(t), false) = (&tenant, renewed) {
                renewed = true;
                self.forget_token(t).await;
                continue;
            }
            return Err(KvError::from_response(401, &answer.body, None));
        }
        Err(KvError::Unauthorized {
            message: "Key Vault kept asking for a new sign-in".to_owned(),
        })
    }

    /// A vault's challenge named `tenant`: when the sign-in has a configured tenant, another
    /// tenant is asked for a token only when `azure.additionallyAllowedTenants` (or
    /// `AZURE_ADDITIONALLY_ALLOWED_TENANTS`) allows it, as the Azure SDKs' credentials do.
    async fn check_tenant_allowed(&self, host: &str, tenant: &str) -> Result<(), KvError> {
        let session = self.session.lock().await;
        let Some(s) = session.as_ref() else {
            return Err(KvError::NotSignedIn);
        };
        let allowed = !s.explicit_tenant
            || tenant.eq_ignore_ascii_case(&s.app.tenant)
            || s.app
                .additionally_allowed_tenants
                .iter()
                .any(|t| t == "*" || t.eq_ignore_ascii_case(tenant));
        if allowed {
            Ok(())
        } else {
            Err(KvError::TenantNotAllowed {
                vault_host: host.to_owned(),
                tenant: tenant.to_owned(),
                configured: s.app.tenant.clone(),
            })
        }
    }

    async fn known_tenant(&self, host: &str) -> Option<String> {
        if let Some(t) = self.tenants.get(&host.to_ascii_lowercase()) {
            return Some(t.clone());
        }
        let session = self.session.lock().await;
        session
            .as_ref()
            .filter(|s| s.explicit_tenant)
            .map(|s| s.app.tenant.clone())
    }

    /// An access token for `tenant`: a fresh one kept, else a new one the way the sign-in
    /// got its first (refresh token, the CLI again, the service principal again).
    async fn token(&self, tenant: &str) -> Result<SecretString, KvError> {
        if !is_valid_tenant(tenant) {
            return Err(KvError::Protocol(format!("`{tenant}` is not a tenant")));
        }
        let endpoints = self.endpoints()?;
        let mut guard = self.session.lock().await;
        let Some(s) = guard.as_mut() else {
            return Err(KvError::NotSignedIn);
        };
        if Instant::now() >= s.ends_at {
            *guard = None;
            *self.status.lock().unwrap() = Status::default();
            return Err(SignInError::Ended.into());
        }
        // The token a sign-in got without naming a tenant is for its own tenant: another
        // tenant's vault needs a token of that tenant.
        let reuse_any = tenant.eq_ignore_ascii_case(&s.app.tenant)
            || (!s.explicit_tenant && !s.method.is_interactive());
        for key in [tenant, "*"] {
            if let Some(t) = s.tokens.get(key).filter(|t| t.is_fresh())
                && (key == tenant || reuse_any)
            {
                return Ok(t.secret.clone());
            }
        }
        let grant = match s.method {
            Method::Environment => {
                let sp = s.sp.as_ref().ok_or(KvError::NotSignedIn)?;
                // A vault of another (allowed) tenant: the same application, that tenant.
                let sp = ServicePrincipal {
                    tenant: tenant.to_owned(),
                    ..sp.clone()
                };
                signin::client_credentials(&self.http, endpoints, &sp).await
            }
            Method::AzureCli => signin::azure_cli(Some(tenant), &self.workspace()).await,
            Method::Browser | Method::DeviceCode => {
                let Some(refresh) = s.refresh.clone() else {
                    return Err(SignInError::Ended.into());
                };
                let app = App {
                    tenant: tenant.to_owned(),
                    client_id: s.app.client_id.clone(),
                    additionally_allowed_tenants: Vec::new(),
                };
                signin::refresh(&self.http, endpoints, &app, &refresh).await
            }
        };
        match grant {
            Ok(g) => {
                if let Some(r) = g.refresh {
                    s.refresh = Some(r);
                }
                let secret = g.access.secret.clone();
                let access = cap(g.access, s.ends_at);
                s.tokens.insert(tenant.to_owned(), access);
                Ok(secret)
            }
            Err(e) => {
                if matches!(e, SignInError::Refused { .. }) && s.method.is_interactive() {
                    // The refresh token is no longer accepted: the sign-in is over.
                    *guard = None;
                    *self.status.lock().unwrap() = Status::default();
                }
                Err(e.into())
            }
        }
    }

    async fn forget_token(&self, tenant: &str) {
        if let Some(s) = self.session.lock().await.as_mut() {
            s.tokens.remove(tenant);
            s.tokens.remove("*");
        }
    }

    /// Sends one request, retrying throttling, server errors and connection failures a
    /// bounded number of times with backoff, honouring `Retry-After`.
    async fn send(
        &self,
        method: reqwest::Method,
        host: &str,
        path: &str,
        body: Option<&[u8]>,
        token: Option<&SecretString>,
    ) -> Result<Answer, KvError> {
        let endpoints = self.endpoints()?;
        let (url, host_header) = endpoints
            .keyvault_url(host, path)
            .map_err(KvError::Protocol)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut req = self.http.request(method.clone(), url.clone());
            if let Some(h) = &host_header {
                req = req.header(HOST, h);
            }
            if let Some(t) = token {
                let mut value =
                    reqwest::header::HeaderValue::try_from(format!("Bearer {}", t.expose_secret()))
                        .map_err(|_| {
                            KvError::Protocol(
                                "the access token is not a valid header value".to_owned(),
                            )
                        })?;
                value.set_sensitive(true);
                req = req.header(AUTHORIZATION, value);
            }
            if let Some(b) = body {
                req = req
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(b.to_vec());
            }
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after = resp
                        .headers()
                        .get(RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(parse_retry_after);
                    let challenge = resp
                        .headers()
                        .get(WWW_AUTHENTICATE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned);
                    match resp.bytes().await {
                        Ok(bytes) => Ok(Answer {
                            status,
                            // Without a copy when the buffer is not shared.
                            body: Vec::from(bytes),
                            retry_after,
                            challenge,
                        }),
                        Err(e) => Err(network(host, &e)),
                    }
                }
                Err(e) => Err(network(host, &e)),
            };
            let retry_after = match &outcome {
                Ok(a) if a.status == 429 || a.status == 408 || a.status >= 500 => a.retry_after,
                Err(_) => None,
                Ok(_) => return outcome,
            };
            if attempt >= ATTEMPTS || retry_after.is_some_and(|d| d > MAX_RETRY_AFTER) {
                return match outcome {
                    Ok(a) => Err(KvError::from_response(a.status, &a.body, a.retry_after)),
                    Err(e) => Err(e),
                };
            }
            tokio::time::sleep(retry_after.unwrap_or_else(|| backoff(attempt))).await;
        }
    }
}

struct Answer {
    status: u16,
    body: Vec<u8>,
    retry_after: Option<Duration>,
    challenge: Option<String>,
}

fn network(host: &str, e: &reqwest::Error) -> KvError {
    // The URL in reqwest's message is the vault's (or the emulator's) address: no secrets.
    KvError::Network {
        host: host.to_owned(),
        message: crate::net::error_chain(e),
    }
}

/// 0.4 s, 0.8 s, 1.6 s, … with up to 20% jitter.
fn backoff(attempt: u32) -> Duration {
    let base = 400u64 << (attempt - 1).min(6);
    let jitter = u64::from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos()),
    ) % (base / 5 + 1);
    Duration::from_millis(base + jitter)
}

/// `Retry-After` in seconds or as an HTTP date.
fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::parse(v).ok()?.timestamp();
    let left = when.as_second() - jiff::Timestamp::now().as_second();
    Some(Duration::from_secs(left.max(0) as u64))
}

/// The path and query of a `nextLink`, which must be on `host` over https.
fn same_host_path(link: &str, host: &str) -> Result<String, KvError> {
    let url = url::Url::parse(link)
        .map_err(|_| KvError::ForeignNextLink(link.chars().take(200).collect()))?;
    let same = url.scheme() == "https"
        && url.host_str().is_some_and(|h| h.eq_ignore_ascii_case(host))
        && url.port().is_none_or(|p| p == 443)
        && url.username().is_empty();
    if !same {
        return Err(KvError::ForeignNextLink(link.chars().take(200).collect()));
    }
    Ok(match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    })
}

/// How long to keep an answer: successes for `ok`, errors about the secret for a minute,
/// failures of the connection for `transient` (zero: retried by the next lookup), anything
/// about the sign-in not at all.
fn ttl<T>(result: &Result<T, KvError>, ok: Duration, transient: Duration) -> Duration {
    match result {
        Ok(_) => ok,
        Err(e) if e.is_answer() => ANSWER_TTL.min(ok),
        Err(e) if e.is_transient() => transient,
        Err(_) => Duration::ZERO,
    }
}

/// The tenants a vault's challenge may name besides the configured one: the links file's
/// `azure.additionallyAllowedTenants` and `AZURE_ADDITIONALLY_ALLOWED_TENANTS` (separated by
/// `;`, as the Azure SDKs read it).
fn allowed_tenants(app: &App) -> Vec<String> {
    let mut tenants = app.additionally_allowed_tenants.clone();
    if let Ok(v) = std::env::var("AZURE_ADDITIONALLY_ALLOWED_TENANTS") {
        tenants.extend(
            v.split(';')
                .map(str::trim)
                .filter(|t| *t == "*" || is_valid_tenant(t))
                .map(str::to_owned),
        );
    }
    tenants
}

/// An access token never outlives its sign-in.
fn cap(mut t: AccessToken, ends_at: Instant) -> AccessToken {
    t.expires_at = t.expires_at.min(ends_at);
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_links_stay_on_the_vault() {
        let host = "corp-kv.vault.azure.net";
        assert_eq!(
            same_host_path(
                "https://corp-kv.vault.azure.net/secrets?api-version=7.6&$skiptoken=abc",
                host
            )
            .unwrap(),
            "/secrets?api-version=7.6&$skiptoken=abc"
        );
        for link in [
            "https://evil.example.com/secrets?x=1",
            "http://corp-kv.vault.azure.net/secrets",
            "https://corp-kv.vault.azure.net:8443/secrets",
            "https://user@corp-kv.vault.azure.net/secrets",
            "https://corp-kv.vault.azure.net.evil.example/secrets",
        ] {
            assert!(
                matches!(same_host_path(link, host), Err(KvError::ForeignNextLink(_))),
                "{link}"
            );
        }
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert!(
            backoff(1) >= Duration::from_millis(400) && backoff(1) <= Duration::from_millis(480)
        );
        assert!(backoff(3) >= Duration::from_millis(1600));
    }

    #[tokio::test]
    async fn a_sign_in_ends_after_its_time_even_with_a_refresh_token() {
        let azure = Azure::new(Endpoints::from_values(
            Some("http://127.0.0.1:9"),
            Some("http://127.0.0.1:9"),
        ));
        let now = Instant::now();
        *azure.session.lock().await = Some(Session {
            method: Method::Browser,
            app: App {
                tenant: "organizations".to_owned(),
                client_id: "c".to_owned(),
                additionally_allowed_tenants: Vec::new(),
            },
            explicit_tenant: false,
            sp: None,
            ends_at: now,
            tokens: HashMap::new(),
            refresh: Some(SecretString::from("a-refresh-token".to_owned())),
        });
        *azure.status.lock().unwrap() = Status {
            method: Some(Method::Browser),
            account: None,
            ends_at: Some(now),
        };
        // The end has come: signed out, and no token is renewed (nothing listens on :9).
        assert!(!azure.is_signed_in());
        assert_eq!(
            azure.token("organizations").await.unwrap_err(),
            KvError::SignIn(SignInError::Ended)
        );
        assert!(
            azure.session.lock().await.is_none(),
            "the refresh token is dropped"
        );
        let later = cap(
            AccessToken {
                secret: SecretString::from("t".to_owned()),
                expires_at: now + Duration::from_secs(3600),
            },
            now,
        );
        assert_eq!(
            later.expires_at, now,
            "an access token never outlives its sign-in"
        );
    }

    #[tokio::test]
    async fn signed_out_lookups_say_so_without_a_request() {
        let azure = Azure::new(Endpoints::from_values(None, Some("http://127.0.0.1:9")));
        let id = SecretId::parse("https://corp-kv.vault.azure.net/secrets/a").unwrap();
        assert_eq!(azure.versions(&id).await, Err(KvError::NotSignedIn));
        // Not being signed in is no answer about the secret: nothing is kept.
        assert!(azure.peek_versions(&id).is_none());
        assert!(!azure.is_signed_in());
    }
}
