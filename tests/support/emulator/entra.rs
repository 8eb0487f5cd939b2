//! Microsoft Entra ID's v2 endpoints (`/{tenant}/oauth2/v2.0/{authorize,token,devicecode}`)
//! for the grants vaultlink uses: authorization code with PKCE, refresh (rotating), client
//! credentials and device code. Tokens are random opaque strings remembered with their
//! subject, audience and expiry; Key Vault looks them up here. Error answers follow the
//! platform's shape (`error`, `error_description: "AADSTSnnnnn: ..."`, `error_codes`, ...)
//! so the client's error handling meets what Azure sends.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::header::{CACHE_CONTROL, LOCATION, PRAGMA};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use super::State;
use super::http::{Req, guid, json, random_token, response, utc_timestamp};

/// How long an authorization code may wait for its redemption, as in Entra ID.
const CODE_LIFETIME: Duration = Duration::from_secs(600);

/// Arrivals this much early still count as waiting the polling interval, so a client that
/// sleeps exactly the interval is not told to slow down because of scheduling jitter.
const POLL_JITTER: Duration = Duration::from_millis(100);

/// Scopes that ask for sign-in features rather than an API; they never pick an audience.
const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// The audience of a token asked for without any API scope: Microsoft Graph, as in Azure.
const DEFAULT_AUDIENCE: &str = "https://graph.microsoft.com";

/// Everything Entra ID has issued and not forgotten.
#[derive(Default)]
pub(super) struct Entra {
    codes: HashMap<String, AuthCode>,
    refresh_tokens: HashMap<String, RefreshToken>,
    access_tokens: HashMap<String, AccessToken>,
    /// In issue order, so pending user codes list oldest first.
    devices: Vec<DeviceCode>,
    /// Every token, code and device code handed out, for leak searches.
    pub(super) issued: Vec<String>,
}

/// Who a grant is for and what was asked.
#[derive(Clone)]
struct Grant {
    /// The user's name, or the service principal's client id for an app-only grant.
    subject: String,
    client_id: String,
    scope: String,
    /// Client credentials: no user, so no consented scopes and no refresh token.
    app_only: bool,
}

impl Grant {
    fn wants_refresh_token(&self) -> bool {
        self.scope.split_whitespace().any(|s| s == "offline_access")
    }
}

struct AuthCode {
    grant: Grant,
    redirect_uri: String,
    challenge: String,
    issued: Instant,
    redeemed: bool,
}

struct RefreshToken {
    grant: Grant,
    /// Set once the token was exchanged: rotation makes it useless.
    used: bool,
}

/// An access token as Key Vault sees it.
pub(super) struct AccessToken {
    pub(super) subject: String,
    pub(super) client_id: String,
    /// The API the token is for (`https://vault.azure.net`), from the scope asked for.
    pub(super) audience: String,
    pub(super) expires: Instant,
    /// The tenant (as named in the token request's path) the token was issued in.
    pub(super) tenant: String,
}

struct DeviceCode {
    device_code: String,
    user_code: String,
    grant: Grant,
    issued: Instant,
    last_poll: Option<Instant>,
    status: DeviceStatus,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DeviceStatus {
    Pending,
    Approved,
    Declined,
    Redeemed,
}

impl Entra {
    pub(super) fn access_token(&self, token: &str) -> Option<&AccessToken> {
        self.access_tokens.get(token)
    }

    /// The user codes still waiting for a decision, oldest first.
    pub(super) fn pending_user_codes(&self, expires_after: Duration) -> Vec<String> {
        self.devices
            .iter()
            .filter(|d| d.status == DeviceStatus::Pending && d.issued.elapsed() < expires_after)
            .map(|d| d.user_code.clone())
            .collect()
    }

    /// Approves or declines the pending device code shown as `user_code` (any case);
    /// false when there is no such pending code.
    pub(super) fn decide(&mut self, user_code: &str, approve: bool) -> bool {
        let device = self.devices.iter_mut().find(|d| {
            d.status == DeviceStatus::Pending && d.user_code.eq_ignore_ascii_case(user_code)
        });
        let Some(device) = device else { return false };
        device.status = if approve {
            DeviceStatus::Approved
        } else {
            DeviceStatus::Declined
        };
        true
    }

    /// Issues an access token (and a refresh token when the grant allows one) and answers
    /// with the token response.
    fn issue(
        &mut self,
        grant: &Grant,
        tenant: &str,
        lifetime: Duration,
        refresh: bool,
    ) -> Response {
        let access = random_token(48);
        let audience = audience(&grant.scope);
        self.access_tokens.insert(
            access.clone(),
            AccessToken {
                subject: grant.subject.clone(),
                client_id: grant.client_id.clone(),
                audience: audience.clone(),
                expires: Instant::now() + lifetime,
                tenant: tenant.to_owned(),
            },
        );
        self.issued.push(access.clone());
        let secs = lifetime.as_secs();
        let mut body = json!({
            "token_type": "Bearer",
            "expires_in": secs,
            "ext_expires_in": secs,
            "access_token": access,
        });
        if !grant.app_only {
            body["scope"] = granted_scopes(&grant.scope, &audience).into();
        }
        if refresh {
            let token = random_token(64);
            let record = RefreshToken {
                grant: grant.clone(),
                used: false,
            };
            self.refresh_tokens.insert(token.clone(), record);
            self.issued.push(token.clone());
            body["refresh_token"] = token.into();
        }
        let mut answer = json(StatusCode::OK, &body);
        let headers = answer.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
        answer
    }
}

/// Answers a request to `/{tenant}/oauth2/v2.0/{endpoint}`.
pub(super) fn handle(st: &mut State, req: &Req, tenant: &str, endpoint: &str) -> Response {
    match endpoint {
        "authorize" => authorize(st, req, tenant),
        "token" | "devicecode" if req.method != Method::POST => error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            900561,
            &format!(
                "The endpoint only accepts POST, OPTIONS requests. Received a {} request.",
                req.method
            ),
        ),
        _ if !tenant_exists(st, tenant) => tenant_not_found(tenant),
        "token" => token(st, req, tenant),
        "devicecode" => device_code(st, req, tenant),
        _ => error(
            StatusCode::NOT_FOUND,
            "invalid_request",
            900561,
            &format!("The endpoint '{endpoint}' does not exist."),
        ),
    }
}

/// An Entra ID error answer.
pub(super) fn error(status: StatusCode, error: &str, code: u32, text: &str) -> Response {
    let (trace, correlation, timestamp) = (guid(), guid(), utc_timestamp());
    json(
        status,
        &json!({
            "error": error,
            "error_description": format!(
                "AADSTS{code}: {text} Trace ID: {trace} Correlation ID: {correlation} Timestamp: {timestamp}"
            ),
            "error_codes": [code],
            "timestamp": timestamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

fn bad_request(error_name: &str, code: u32, text: &str) -> Response {
    error(StatusCode::BAD_REQUEST, error_name, code, text)
}

fn missing(parameter: &str) -> Response {
    bad_request(
        "invalid_request",
        900144,
        &format!("The request body must contain the following parameter: '{parameter}'."),
    )
}

fn unknown_client(client_id: &str, tenant: &str) -> Response {
    bad_request(
        "unauthorized_client",
        700016,
        &format!(
            "Application with identifier '{client_id}' was not found in the directory '{tenant}'. \
             This can happen if the application has not been installed by the administrator of \
             the tenant or consented to by any user in the tenant."
        ),
    )
}

fn tenant_not_found(tenant: &str) -> Response {
    bad_request(
        "invalid_request",
        90002,
        &format!(
            "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and \
             are signing into the correct cloud."
        ),
    )
}

/// The configured tenant by id, any domain name, or the multi-tenant aliases; other GUIDs and
/// `consumers` (personal accounts cannot use Key Vault) are unknown.
fn tenant_exists(st: &State, tenant: &str) -> bool {
    tenant.eq_ignore_ascii_case(&st.config.tenant_id)
        || matches!(tenant, "organizations" | "common")
        || (tenant.contains('.') && !tenant.starts_with('.') && !tenant.ends_with('.'))
}

/// `GET /authorize`: signs the configured user in without a page and sends the browser back
/// to the loopback redirect URI with a code, or with an error when the request is wrong.
fn authorize(st: &mut State, req: &Req, tenant: &str) -> Response {
    let q = req.query_params();
    let param = |name: &str| q.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(redirect) = param("redirect_uri").and_then(loopback_redirect) else {
        return error_page(&format!(
            "AADSTS50011: The redirect URI '{}' specified in the request does not match the \
             redirect URIs configured for the application. Public clients may use \
             http://127.0.0.1:<port> or http://localhost:<port>.",
            param("redirect_uri").unwrap_or_default()
        ));
    };
    if !tenant_exists(st, tenant) {
        return error_page(&format!("AADSTS90002: Tenant '{tenant}' not found."));
    }
    let state = param("state");
    let refuse = |error: &str, description: String| {
        let mut pairs = vec![
            ("error", error.to_string()),
            ("error_description", description),
        ];
        pairs.extend(state.map(|s| ("state", s.to_string())));
        redirect_to(&redirect, &pairs)
    };
    let client_id = param("client_id").unwrap_or_default();
    if client_id != st.config.client_id {
        return refuse(
            "unauthorized_client",
            format!(
                "AADSTS700016: Application with identifier '{client_id}' was not found in the directory '{tenant}'."
            ),
        );
    }
    if param("response_type") != Some("code") {
        return refuse(
            "unsupported_response_type",
            "AADSTS700054: response_type must be 'code' for this application.".into(),
        );
    }
    let Some(scope) = param("scope") else {
        return refuse(
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'scope'.".into(),
        );
    };
    let Some(challenge) = param("code_challenge") else {
        return refuse(
            "invalid_request",
            "AADSTS9002325: Proof Key for Code Exchange is required: send a code_challenge.".into(),
        );
    };
    if param("code_challenge_method") != Some("S256") {
        return refuse(
            "invalid_request",
            "AADSTS5000811: code_challenge_method must be 'S256'.".into(),
        );
    }
    if challenge.len() != 43 || !challenge.bytes().all(is_base64url) {
        return refuse(
            "invalid_request",
            "AADSTS501491: Invalid size of Code_Challenge parameter.".into(),
        );
    }
    if st.config.deny_authorization {
        return refuse(
            "access_denied",
            "AADSTS65004: User declined to consent to access the app.".into(),
        );
    }
    let code = random_token(96);
    st.entra.issued.push(code.clone());
    st.entra.codes.insert(
        code.clone(),
        AuthCode {
            grant: Grant {
                subject: st.config.user.clone(),
                client_id: client_id.to_string(),
                scope: scope.to_string(),
                app_only: false,
            },
            redirect_uri: param("redirect_uri").unwrap_or_default().to_string(),
            challenge: challenge.to_string(),
            issued: Instant::now(),
            redeemed: false,
        },
    );
    let mut pairs = vec![("code", code)];
    pairs.extend(state.map(|s| ("state", s.to_string())));
    pairs.push(("session_state", guid()));
    redirect_to(&redirect, &pairs)
}

/// An `http` redirect URI on a loopback host with an explicit port, as Entra ID allows for
/// public clients on any port.
fn loopback_redirect(uri: &str) -> Option<Url> {
    let url = Url::parse(uri).ok()?;
    let loopback = matches!(url.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    (url.scheme() == "http" && loopback && url.port().is_some() && url.fragment().is_none())
        .then_some(url)
}

fn redirect_to(redirect: &Url, pairs: &[(&str, String)]) -> Response {
    let mut url = redirect.clone();
    url.query_pairs_mut().extend_pairs(pairs);
    let mut answer = response(StatusCode::FOUND, "text/html; charset=utf-8", String::new());
    let location = HeaderValue::try_from(url.as_str()).expect("a URL is a valid header value");
    answer.headers_mut().insert(LOCATION, location);
    answer
}

/// The page Entra ID shows when it cannot send the browser back to the application.
fn error_page(message: &str) -> Response {
    response(
        StatusCode::BAD_REQUEST,
        "text/html; charset=utf-8",
        format!(
            "<!doctype html><title>Sign in</title><p>Sorry, but we're having trouble signing you in.</p><p>{message}</p>"
        ),
    )
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// `POST /token`, by grant type.
fn token(st: &mut State, req: &Req, tenant: &str) -> Response {
    let form = req.form_params();
    match form.get("grant_type").map(String::as_str) {
        None => missing("grant_type"),
        Some("authorization_code") => redeem_code(st, &form, tenant),
        Some("refresh_token") => refresh(st, &form, tenant),
        Some("client_credentials") => client_credentials(st, &form, tenant),
        Some("urn:ietf:params:oauth:grant-type:device_code") => poll_device(st, &form, tenant),
        Some(other) => bad_request(
            "unsupported_grant_type",
            70003,
            &format!("The app requested an unsupported grant type '{other}'."),
        ),
    }
}

fn redeem_code(st: &mut State, form: &HashMap<String, String>, tenant: &str) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = field("client_id") else {
        return missing("client_id");
    };
    if client_id != st.config.client_id {
        return unknown_client(client_id, tenant);
    }
    let Some(code) = field("code") else {
        return missing("code");
    };
    let Some(record) = st.entra.codes.get_mut(code) else {
        return bad_request(
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        );
    };
    if record.redeemed {
        return bad_request(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        );
    }
    if record.issued.elapsed() > CODE_LIFETIME {
        return bad_request(
            "invalid_grant",
            70008,
            "The provided authorization code or refresh token has expired due to inactivity. \
             Send a new interactive authorization request for this user and resource.",
        );
    }
    if field("redirect_uri") != Some(record.redirect_uri.as_str()) {
        return bad_request(
            "invalid_grant",
            500112,
            &format!(
                "The reply address '{}' does not match the reply address '{}' provided when \
                 requesting Authorization code.",
                field("redirect_uri").unwrap_or_default(),
                record.redirect_uri
            ),
        );
    }
    let verifier = field("code_verifier").unwrap_or_default();
    if !verifier.is_empty()
        && (!(43..=128).contains(&verifier.len()) || !verifier.bytes().all(is_pkce_char))
    {
        return bad_request(
            "invalid_request",
            501491,
            "Invalid size of Code_Verifier parameter.",
        );
    }
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier)) != record.challenge {
        return bad_request(
            "invalid_grant",
            501481,
            "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
        );
    }
    record.redeemed = true;
    let grant = record.grant.clone();
    let lifetime = st.config.access_token_lifetime;
    st.entra
        .issue(&grant, tenant, lifetime, grant.wants_refresh_token())
}

/// RFC 7636's unreserved characters, the only ones a code verifier may hold.
fn is_pkce_char(b: u8) -> bool {
    is_base64url(b) || b == b'.' || b == b'~'
}

/// The refresh grant rotates: the answer carries a new refresh token and the one exchanged
/// stops working, which catches clients that keep using a stale one.
fn refresh(st: &mut State, form: &HashMap<String, String>, tenant: &str) -> Response {
    let Some(token) = form.get("refresh_token").filter(|t| !t.is_empty()) else {
        return missing("refresh_token");
    };
    let Some(record) = st.entra.refresh_tokens.get_mut(token) else {
        return bad_request(
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        );
    };
    if record.used {
        return bad_request(
            "invalid_grant",
            50173,
            "The provided grant has expired due to it being revoked, a fresh auth token is needed.",
        );
    }
    if form.get("client_id") != Some(&record.grant.client_id) {
        return bad_request(
            "invalid_grant",
            70000,
            "Provided grant is invalid or malformed: the refresh token was issued to another client.",
        );
    }
    record.used = true;
    let mut grant = record.grant.clone();
    if let Some(scope) = form.get("scope").filter(|s| !s.is_empty()) {
        grant.scope = scope.clone();
    }
    let lifetime = st.config.access_token_lifetime;
    st.entra.issue(&grant, tenant, lifetime, true)
}

fn client_credentials(st: &mut State, form: &HashMap<String, String>, tenant: &str) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = field("client_id") else {
        return missing("client_id");
    };
    if matches!(tenant, "organizations" | "common") {
        return bad_request(
            "invalid_request",
            900023,
            &format!(
                "Specified tenant identifier '{tenant}' cannot be used with the client credentials grant: use the tenant ID."
            ),
        );
    }
    if client_id != st.config.sp_client_id {
        return unknown_client(client_id, tenant);
    }
    let Some(secret) = field("client_secret") else {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        );
    };
    if secret != st.config.sp_client_secret {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            &format!(
                "Invalid client secret provided. Ensure the secret being sent in the request is \
                 the client secret value, not the client secret ID, for a secret added to app '{client_id}'."
            ),
        );
    }
    let Some(scope) = field("scope") else {
        return missing("scope");
    };
    if !scope.ends_with("/.default") || scope.contains(' ') {
        return bad_request(
            "invalid_scope",
            1002012,
            &format!(
                "The provided value for scope {scope} is not valid. Client credential flows must \
                 have a scope value with /.default suffixed to the resource identifier (application ID URI)."
            ),
        );
    }
    let grant = Grant {
        subject: client_id.to_string(),
        client_id: client_id.to_string(),
        scope: scope.to_string(),
        app_only: true,
    };
    let lifetime = st.config.access_token_lifetime;
    st.entra.issue(&grant, tenant, lifetime, false)
}

/// `POST /devicecode`: starts a device code sign-in for the configured user.
fn device_code(st: &mut State, req: &Req, tenant: &str) -> Response {
    let form = req.form_params();
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = field("client_id") else {
        return missing("client_id");
    };
    if client_id != st.config.client_id {
        return unknown_client(client_id, tenant);
    }
    let Some(scope) = field("scope") else {
        return missing("scope");
    };
    let mut rng = rand::rng();
    let user_code: String = (0..8)
        .map(|_| char::from(rng.random_range(b'A'..=b'Z')))
        .collect();
    let device_code = random_token(96);
    st.entra.issued.push(device_code.clone());
    st.entra.devices.push(DeviceCode {
        device_code: device_code.clone(),
        user_code: user_code.clone(),
        grant: Grant {
            subject: st.config.user.clone(),
            client_id: client_id.to_string(),
            scope: scope.to_string(),
            app_only: false,
        },
        issued: Instant::now(),
        last_poll: None,
        status: DeviceStatus::Pending,
    });
    let uri = format!("{}/devicelogin", st.url);
    json(
        StatusCode::OK,
        &json!({
            "user_code": user_code,
            "device_code": device_code,
            "verification_uri": uri,
            "expires_in": st.config.device_expires_secs,
            "interval": st.config.device_interval_secs,
            "message": format!(
                "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
            ),
        }),
    )
}

/// One poll of the device code grant (RFC 8628 section 3.5).
fn poll_device(st: &mut State, form: &HashMap<String, String>, tenant: &str) -> Response {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(client_id) = field("client_id") else {
        return missing("client_id");
    };
    if client_id != st.config.client_id {
        return unknown_client(client_id, tenant);
    }
    let Some(code) = field("device_code") else {
        return missing("device_code");
    };
    let expires = Duration::from_secs(st.config.device_expires_secs);
    let interval = Duration::from_secs(st.config.device_interval_secs);
    let Some(device) = st.entra.devices.iter_mut().find(|d| d.device_code == code) else {
        return bad_request(
            "invalid_grant",
            9002313,
            "Invalid request. Request is malformed or invalid.",
        );
    };
    let now = Instant::now();
    let previous = device.last_poll.replace(now);
    match device.status {
        DeviceStatus::Redeemed => bad_request(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
        ),
        _ if now.duration_since(device.issued) >= expires => {
            bad_request("expired_token", 70019, "Verification code expired.")
        }
        DeviceStatus::Declined => bad_request(
            "authorization_declined",
            70018,
            "The user declined the sign-in request.",
        ),
        DeviceStatus::Pending
            if previous.is_some_and(|p| now.duration_since(p) + POLL_JITTER < interval) =>
        {
            bad_request(
                "slow_down",
                70016,
                "The client is polling too quickly and should back off.",
            )
        }
        DeviceStatus::Pending => bad_request(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        ),
        DeviceStatus::Approved => {
            device.status = DeviceStatus::Redeemed;
            let grant = device.grant.clone();
            let lifetime = st.config.access_token_lifetime;
            st.entra
                .issue(&grant, tenant, lifetime, grant.wants_refresh_token())
        }
    }
}

/// The API a token is for: the resource part of the first API scope
/// (`https://vault.azure.net/user_impersonation` → `https://vault.azure.net`).
fn audience(scope: &str) -> String {
    scope
        .split_whitespace()
        .find(|s| !OIDC_SCOPES.contains(s))
        .and_then(|s| s.rsplit_once('/'))
        .map_or(DEFAULT_AUDIENCE.to_string(), |(resource, _)| {
            resource.to_string()
        })
}

/// The `scope` of a user token's answer: what was consented to for the audience, with
/// `.default` standing for Key Vault's one delegated permission.
fn granted_scopes(scope: &str, audience: &str) -> String {
    let granted: Vec<String> = scope
        .split_whitespace()
        .filter(|s| s.starts_with(audience))
        .map(|s| s.replace("/.default", "/user_impersonation"))
        .collect();
    granted.join(" ")
}

/// The page a device code user is sent to: a form taking the code, which approves it.
pub(super) fn device_login(st: &mut State, req: &Req) -> Response {
    let page = |body: &str| {
        response(
            StatusCode::OK,
            "text/html; charset=utf-8",
            format!("<!doctype html><title>Enter code</title>{body}"),
        )
    };
    if req.method != Method::POST {
        return page(
            "<form method=post><label>Code <input name=otc autofocus></label> <button>Next</button></form>",
        );
    }
    let code = req.form_params().remove("otc").unwrap_or_default();
    if st.entra.decide(code.trim(), true) {
        page(&format!(
            "<p>You have signed in as {} on your device. You may now close this window.</p>",
            st.config.user
        ))
    } else {
        page(
            "<p>That code is not valid or has expired.</p><p><a href=devicelogin>Try again</a></p>",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::{audience, granted_scopes};

    #[test]
    fn audience_comes_from_the_first_api_scope() {
        let user = "https://vault.azure.net/user_impersonation offline_access";
        assert_eq!(audience(user), "https://vault.azure.net");
        assert_eq!(
            audience("https://vault.azure.net/.default"),
            "https://vault.azure.net"
        );
        assert_eq!(
            audience("openid offline_access"),
            "https://graph.microsoft.com"
        );
        assert_eq!(
            granted_scopes(user, "https://vault.azure.net"),
            "https://vault.azure.net/user_impersonation"
        );
    }
}
