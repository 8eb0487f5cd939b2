//! Signing in to Microsoft Entra ID for Key Vault (SPEC §7): client credentials from the
//! environment, the Azure CLI's token, the browser (authorization code with PKCE S256 and
//! `state`, redirected to a one-shot loopback listener), and the device code flow. Each
//! yields a [`Grant`]; keeping, refreshing and expiring grants is the session's job.
//!
//! Tokens are [`SecretString`]s from the moment they are read: their `Debug` is redacted,
//! and nothing here formats one into a message.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    DeviceAuthorizationResponse, DeviceAuthorizationUrl, DeviceCodeErrorResponseType,
    ExtraDeviceAuthorizationFields, PkceCodeChallenge, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardErrorResponse, TokenResponse, TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::azure::endpoints::{APP_SCOPE, Endpoints, KEY_VAULT_RESOURCE, USER_SCOPES};
use crate::azure::http::OAuthHttp;
use crate::azure::loopback;
use crate::vault::identifier::is_tenant;

/// How to sign in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    Environment,
    AzureCli,
    Browser,
    DeviceCode,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Environment => "environment",
            Method::AzureCli => "azure-cli",
            Method::Browser => "browser",
            Method::DeviceCode => "device-code",
        }
    }

    pub fn parse(s: &str) -> Option<Method> {
        Some(match s {
            "environment" => Method::Environment,
            "azure-cli" => Method::AzureCli,
            "browser" => Method::Browser,
            "device-code" => Method::DeviceCode,
            _ => return None,
        })
    }

    /// Whether the method needs the user at a browser.
    pub fn is_interactive(self) -> bool {
        matches!(self, Method::Browser | Method::DeviceCode)
    }
}

/// An access token and when it stops working.
#[derive(Clone, Debug)]
pub struct AccessToken {
    pub secret: SecretString,
    pub expires_at: Instant,
}

impl AccessToken {
    /// Usable for at least another minute (a request may take a while to arrive).
    pub fn is_fresh(&self) -> bool {
        self.expires_at > Instant::now() + Duration::from_secs(60)
    }
}

/// What a sign-in yields.
#[derive(Debug)]
pub struct Grant {
    pub access: AccessToken,
    pub refresh: Option<SecretString>,
    /// Who signed in, when the token says (`upn`, `preferred_username`, an application id).
    pub account: Option<String>,
}

/// The public client an interactive sign-in uses, from `vaultlink.json`'s `azure` section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct App {
    pub tenant: String,
    pub client_id: String,
    /// Tenants besides `tenant` that a vault's challenge may name (`*`: any); see
    /// `azure.additionallyAllowedTenants`.
    pub additionally_allowed_tenants: Vec<String>,
}

/// A service principal from `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`.
#[derive(Clone, Debug)]
pub struct ServicePrincipal {
    pub tenant: String,
    pub client_id: String,
    pub secret: SecretString,
}

impl ServicePrincipal {
    /// The service principal the environment names, or why it names none.
    pub fn from_env() -> Result<ServicePrincipal, SignInError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        match (
            var("AZURE_TENANT_ID"),
            var("AZURE_CLIENT_ID"),
            var("AZURE_CLIENT_SECRET"),
        ) {
            (Some(tenant), Some(client_id), Some(secret)) => Ok(ServicePrincipal {
                tenant,
                client_id,
                secret: SecretString::from(secret),
            }),
            _ => Err(SignInError::NotConfigured(
                "AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set"
                    .to_owned(),
            )),
        }
    }
}

/// How the user is shown what an interactive sign-in needs: the editor's windows or the
/// terminal.
pub trait Interaction: Send + Sync {
    /// Opens the sign-in page (or asks the user to).
    fn open_page<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<(), String>>;
    /// Shows the device code and the page where it is entered.
    fn show_device_code<'a>(&'a self, message: &'a str) -> BoxFuture<'a, ()>;
}

pub use crate::azure::error::SignInError;

/// How long the browser flow waits for the user.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(5 * 60);

type Client = oauth2::Client<
    oauth2::basic::BasicErrorResponse,
    BasicTokenResponse,
    oauth2::basic::BasicTokenIntrospectionResponse,
    oauth2::StandardRevocableToken,
    oauth2::basic::BasicRevocationErrorResponse,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

fn client(endpoints: &Endpoints, tenant: &str, client_id: &str) -> Result<Client, SignInError> {
    if !is_tenant(tenant) {
        return Err(SignInError::NotConfigured(format!(
            "`{tenant}` is not a tenant: give a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com"
        )));
    }
    let url = |what: &str| endpoints.oauth(tenant, what);
    let auth = AuthUrl::new(url("authorize")).map_err(|e| SignInError::Protocol(e.to_string()))?;
    let token = TokenUrl::new(url("token")).map_err(|e| SignInError::Protocol(e.to_string()))?;
    Ok(BasicClient::new(ClientId::new(client_id.to_owned()))
        .set_auth_uri(auth)
        .set_token_uri(token)
        .set_auth_type(AuthType::RequestBody))
}

fn user_scopes() -> impl Iterator<Item = Scope> {
    USER_SCOPES.iter().map(|s| Scope::new((*s).to_owned()))
}

/// Client credentials of a service principal.
pub async fn client_credentials(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    sp: &ServicePrincipal,
) -> Result<Grant, SignInError> {
    let client = client(endpoints, &sp.tenant, &sp.client_id)?
        .set_client_secret(ClientSecret::new(sp.secret.expose_secret().to_owned()));
    let response = client
        .exchange_client_credentials()
        .add_scope(Scope::new(APP_SCOPE.to_owned()))
        .request_async(&OAuthHttp(http))
        .await
        .map_err(token_error)?;
    Ok(grant(&response, Some(sp.client_id.clone())))
}

/// Redeems a refresh token; Entra ID answers with a new one, which replaces it.
pub async fn refresh(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    app: &App,
    refresh: &SecretString,
) -> Result<Grant, SignInError> {
    let client = client(endpoints, &app.tenant, &app.client_id)?;
    let token = RefreshToken::new(refresh.expose_secret().to_owned());
    let response = client
        .exchange_refresh_token(&token)
        .add_scopes(user_scopes())
        .request_async(&OAuthHttp(http))
        .await
        .map_err(token_error)?;
    Ok(grant(&response, None))
}

/// The browser flow: a loopback listener, the authorize page opened through `ui`, one
/// callback with the right `state`, and the code redeemed with the PKCE verifier.
pub async fn browser(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    app: &App,
    ui: &dyn Interaction,
    timeout: Duration,
) -> Result<Grant, SignInError> {
    let listener = loopback::Listener::bind().await.map_err(|e| {
        SignInError::Interaction(format!("no loopback port for the sign-in answer: {e}"))
    })?;
    let redirect = RedirectUrl::new(listener.redirect_uri())
        .map_err(|e| SignInError::Protocol(e.to_string()))?;
    let client = client(endpoints, &app.tenant, &app.client_id)?.set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(user_scopes())
        .set_pkce_challenge(challenge)
        .url();
    ui.open_page(url.as_str())
        .await
        .map_err(SignInError::Interaction)?;
    let callback = listener.accept(state.secret(), timeout).await?;
    let result = client
        .exchange_code(AuthorizationCode::new(callback.code().to_owned()))
        .set_pkce_verifier(verifier)
        .request_async(&OAuthHttp(http))
        .await
        .map_err(token_error);
    match result {
        Ok(response) => {
            callback.finish(Ok(())).await;
            Ok(grant(&response, None))
        }
        Err(err) => {
            callback.finish(Err(&err.to_string())).await;
            Err(err)
        }
    }
}

/// Azure's device authorization answer carries a ready-made `message`.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct DeviceFields {
    message: Option<String>,
}

impl ExtraDeviceAuthorizationFields for DeviceFields {}

/// The device code flow: the code and page shown through `ui`, then polling at the
/// interval Entra ID asks for, slowing down when told to, until approval or expiry.
pub async fn device_code(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    app: &App,
    ui: &dyn Interaction,
) -> Result<Grant, SignInError> {
    let device_url = DeviceAuthorizationUrl::new(endpoints.oauth(&app.tenant, "devicecode"))
        .map_err(|e| SignInError::Protocol(e.to_string()))?;
    let client =
        client(endpoints, &app.tenant, &app.client_id)?.set_device_authorization_url(device_url);
    let details: DeviceAuthorizationResponse<DeviceFields> = client
        .exchange_device_code()
        .add_scopes(user_scopes())
        .request_async(&OAuthHttp(http))
        .await
        .map_err(token_error)?;
    let message = details.extra_fields().message.clone().unwrap_or_else(|| {
        format!(
            "To sign in, open {} and enter the code {}",
            details.verification_uri().as_str(),
            details.user_code().secret()
        )
    });
    ui.show_device_code(&message).await;
    let response = client
        .exchange_device_access_token(&details)
        .request_async(&OAuthHttp(http), tokio::time::sleep, None)
        .await
        .map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => match r.error() {
                DeviceCodeErrorResponseType::ExpiredToken => SignInError::DeviceCodeExpired,
                other => SignInError::Refused {
                    error: other.to_string(),
                    description: r.error_description().cloned(),
                },
            },
            other => transport_error(other),
        })?;
    Ok(grant(&response, None))
}

/// The Azure CLI's token: `az account get-access-token --resource https://vault.azure.net`.
/// `az` is looked up in the absolute folders of `PATH` outside `avoid` (the workspace), and
/// runs in the temporary folder, so that nothing a repository holds is run or read by it.
pub async fn azure_cli(tenant: Option<&str>, avoid: &[PathBuf]) -> Result<Grant, SignInError> {
    let tenant = tenant.filter(|t| !matches!(*t, "organizations" | "common"));
    if let Some(t) = tenant
        && !is_tenant(t)
    {
        return Err(SignInError::NotConfigured(format!(
            "`{t}` is not a tenant: give a tenant id (a GUID) or a domain such as contoso.onmicrosoft.com"
        )));
    }
    let program =
        find_az(std::env::var_os("PATH").as_deref(), avoid).ok_or(SignInError::CliMissing)?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args([
        "account",
        "get-access-token",
        "--resource",
        KEY_VAULT_RESOURCE,
        "-o",
        "json",
    ]);
    if let Some(t) = tenant {
        cmd.arg(format!("--tenant={t}"));
    }
    cmd.current_dir(std::env::temp_dir());
    cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
    let output = match tokio::time::timeout(Duration::from_secs(60), cmd.output()).await {
        Err(_) => {
            return Err(SignInError::Cli(
                "`az` did not answer within a minute".to_owned(),
            ));
        }
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(SignInError::CliMissing);
        }
        Ok(Err(e)) => return Err(SignInError::Cli(e.to_string())),
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("az login") {
            return Err(SignInError::CliSignedOut);
        }
        let first = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("it exited with an error");
        return Err(SignInError::Cli(first.chars().take(300).collect()));
    }
    #[derive(Deserialize)]
    struct CliToken {
        #[serde(rename = "accessToken")]
        access_token: String,
        expires_on: Option<i64>,
        #[serde(rename = "expiresOn")]
        expires_on_local: Option<String>,
    }
    let token: CliToken = serde_json::from_slice(&output.stdout)
        .map_err(|e| SignInError::Cli(format!("its answer could not be read ({e})")))?;
    let now_unix = jiff::Timestamp::now().as_second();
    let expires_unix = token
        .expires_on
        .or_else(|| token.expires_on_local.as_deref().and_then(parse_local_time))
        .unwrap_or(now_unix + 300);
    let lifetime = Duration::from_secs(expires_unix.saturating_sub(now_unix).max(0) as u64);
    let account = account_of(&token.access_token);
    Ok(Grant {
        access: AccessToken {
            secret: SecretString::from(token.access_token),
            expires_at: Instant::now() + lifetime,
        },
        refresh: None,
        account,
    })
}

/// The Azure CLI's program in the absolute folders of `path` that are not under `avoid`. An
/// empty or relative entry (`.`, `bin`) names a folder of wherever vaultlink runs, which may
/// be a repository's; it is skipped.
fn find_az(path: Option<&std::ffi::OsStr>, avoid: &[PathBuf]) -> Option<PathBuf> {
    let names: &[&str] = if cfg!(windows) {
        &["az.cmd", "az.exe"]
    } else {
        &["az"]
    };
    crate::fs::find_program(names, path, avoid)
}

/// Older Azure CLIs give `expiresOn` as local time, `2026-11-28 05:00:00.000000`.
fn parse_local_time(s: &str) -> Option<i64> {
    let dt: jiff::civil::DateTime = s.trim().replace(' ', "T").parse().ok()?;
    let t = jiff::tz::TimeZone::system().to_timestamp(dt).ok()?;
    Some(t.as_second())
}

fn grant(response: &BasicTokenResponse, account: Option<String>) -> Grant {
    let secret = response.access_token().secret().to_owned();
    let lifetime = response.expires_in().unwrap_or(Duration::from_secs(3600));
    Grant {
        account: account_of(&secret).or(account),
        access: AccessToken {
            secret: SecretString::from(secret),
            expires_at: Instant::now() + lifetime,
        },
        refresh: response
            .refresh_token()
            .map(|r| SecretString::from(r.secret().to_owned())),
    }
}

/// The account a JSON Web Token names, for display only (the token is not verified here:
/// Key Vault does that).
fn account_of(token: &str) -> Option<String> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    [
        "upn",
        "preferred_username",
        "unique_name",
        "email",
        "appid",
        "azp",
    ]
    .iter()
    .find_map(|k| claims.get(*k)?.as_str().map(str::to_owned))
}

type TokenError<E> = RequestTokenError<E, StandardErrorResponse<BasicErrorResponseType>>;

fn token_error<E: std::error::Error>(e: TokenError<E>) -> SignInError {
    match e {
        RequestTokenError::ServerResponse(r) => SignInError::Refused {
            error: r.error().to_string(),
            description: r.error_description().cloned(),
        },
        other => transport_error(other),
    }
}

fn transport_error<E: std::error::Error, T: oauth2::ErrorResponse + 'static>(
    e: RequestTokenError<E, T>,
) -> SignInError {
    match e {
        RequestTokenError::Request(e) => SignInError::Network(crate::net::error_chain(&e)),
        RequestTokenError::Parse(e, _) => SignInError::Protocol(e.to_string()),
        RequestTokenError::Other(s) => SignInError::Protocol(s),
        RequestTokenError::ServerResponse(r) => SignInError::Protocol(r.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_comes_from_the_token_claims() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"upn":"dev-user@contoso.example","tid":"t"}"#);
        assert_eq!(
            account_of(&format!("h.{payload}.s")).as_deref(),
            Some("dev-user@contoso.example")
        );
        assert_eq!(account_of("opaque-token"), None);
    }

    #[test]
    fn methods_round_trip() {
        for m in [
            Method::Environment,
            Method::AzureCli,
            Method::Browser,
            Method::DeviceCode,
        ] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("password"), None);
    }

    #[test]
    fn az_is_found_only_in_absolute_folders_outside_the_workspace() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let (work, bin) = (root.path().join("work"), root.path().join("bin"));
        for dir in [&work, &bin, &work.join("tools")] {
            std::fs::create_dir_all(dir).unwrap();
            let az = dir.join("az");
            std::fs::write(&az, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&az, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let path = |entries: &[&str]| std::ffi::OsString::from(entries.join(":"));
        let avoid = [work.clone()];
        let tools = work.join("tools");
        let found = find_az(
            Some(&path(&[
                "",
                ".",
                "tools",
                tools.to_str().unwrap(),
                bin.to_str().unwrap(),
            ])),
            &avoid,
        );
        assert_eq!(found, Some(bin.join("az")));
        assert_eq!(find_az(Some(&path(&["", "."])), &avoid), None);
        assert_eq!(find_az(None, &avoid), None);
    }

    #[test]
    fn cli_local_times_parse() {
        assert!(parse_local_time("2026-11-28 05:00:00.000000").is_some());
        assert!(parse_local_time("soon").is_none());
    }
}
