//! The OAuth test server (npm's `oidc-provider` behind `tests/oidc/server.mjs`) behaves like
//! Microsoft Entra ID where vaultlink's browser sign-in depends on it, shown with a client
//! written here: authorization code with PKCE S256 and `state`, a loopback redirect URI on an
//! arbitrary port, Key Vault's scope without `openid`, refresh tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;
use vaultlink_e2e::oidc::OidcProvider;

/// What Azure clients ask for: Key Vault on the user's behalf, and a refresh token.
const SCOPE: &str = "https://vault.azure.net/user_impersonation offline_access";

/// One sign-in attempt as a client prepares it: PKCE verifier, state and redirect URI.
struct Attempt {
    verifier: String,
    state: String,
    redirect_uri: String,
}

impl Attempt {
    /// A fresh attempt redirecting to `http://127.0.0.1:<random port>/` (nothing listens
    /// there: the browser driver stops before requesting it).
    fn new() -> Attempt {
        Attempt {
            verifier: random_token(),
            state: random_token(),
            redirect_uri: format!("http://127.0.0.1:{}/", rand::random_range(1024..=65535)),
        }
    }

    /// The authorization request, with the PKCE challenge unless `pkce` is false.
    fn authorize_url(&self, provider: &OidcProvider, pkce: bool) -> String {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(&self.verifier));
        let mut url = Url::parse(&provider.endpoint("authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", provider.client_id())
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("scope", SCOPE)
            .append_pair("state", &self.state);
        if pkce {
            url.query_pairs_mut()
                .append_pair("code_challenge", &challenge)
                .append_pair("code_challenge_method", "S256");
        }
        url.into()
    }

    /// Signs in (login `user`) and returns the authorization code, checking the redirect on the
    /// way.
    fn code(&self, provider: &OidcProvider) -> String {
        let redirect = Url::parse(&provider.authorize(&self.authorize_url(provider, true), "user"))
            .expect("the provider redirects to a URL");
        assert_eq!(
            &redirect[..url::Position::AfterPath],
            self.redirect_uri,
            "redirected to the client's loopback address"
        );
        assert_eq!(
            param(&redirect, "state").as_deref(),
            Some(self.state.as_str())
        );
        assert_eq!(param(&redirect, "error"), None, "{redirect}");
        param(&redirect, "code").expect("the redirect carries a code")
    }

    /// Redeems `code` with `verifier` at the token endpoint.
    async fn redeem(
        &self,
        provider: &OidcProvider,
        code: &str,
        verifier: &str,
    ) -> (StatusCode, Value) {
        token(
            provider,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", &self.redirect_uri),
                ("code_verifier", verifier),
                ("client_id", provider.client_id()),
            ],
        )
        .await
    }
}

/// 32 random bytes, base64url: a PKCE verifier (43 characters) or a state.
fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

/// Posts a form to the token endpoint; returns the status and the JSON body.
async fn token(provider: &OidcProvider, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(provider.endpoint("token"))
        .form(form)
        .send()
        .await
        .expect("the token endpoint answers");
    let status = response.status();
    let body = response
        .json()
        .await
        .expect("the token endpoint answers JSON");
    (status, body)
}

/// Asserts a successful token response for Key Vault and returns it.
fn tokens(status: StatusCode, body: Value) -> Value {
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer", "{body}");
    assert_eq!(
        body["scope"], "https://vault.azure.net/user_impersonation",
        "{body}"
    );
    assert!(body["expires_in"].as_u64().is_some_and(|s| s > 0), "{body}");
    for name in ["access_token", "refresh_token"] {
        assert!(
            body[name].as_str().is_some_and(|t| t.len() >= 32),
            "{name}: {body}"
        );
    }
    body
}

fn assert_invalid_grant((status, body): (StatusCode, Value)) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
    assert!(body.get("access_token").is_none(), "{body}");
}

#[tokio::test]
async fn the_code_flow_with_pkce_issues_access_and_refresh_tokens() {
    let provider = OidcProvider::start();
    let attempt = Attempt::new();
    let code = attempt.code(&provider);
    let (status, body) = attempt.redeem(&provider, &code, &attempt.verifier).await;
    tokens(status, body);
}

#[tokio::test]
async fn a_code_is_redeemed_only_once() {
    let provider = OidcProvider::start();
    let attempt = Attempt::new();
    let code = attempt.code(&provider);
    let (status, body) = attempt.redeem(&provider, &code, &attempt.verifier).await;
    tokens(status, body);
    assert_invalid_grant(attempt.redeem(&provider, &code, &attempt.verifier).await);
}

#[tokio::test]
async fn a_code_with_the_wrong_verifier_is_refused() {
    let provider = OidcProvider::start();
    let attempt = Attempt::new();
    let code = attempt.code(&provider);
    assert_invalid_grant(attempt.redeem(&provider, &code, &random_token()).await);
}

#[tokio::test]
async fn an_authorization_request_without_pkce_is_refused() {
    let provider = OidcProvider::start();
    let attempt = Attempt::new();
    let redirect =
        Url::parse(&provider.authorize(&attempt.authorize_url(&provider, false), "user"))
            .expect("the provider redirects the error to the client");
    assert_eq!(&redirect[..url::Position::AfterPath], attempt.redirect_uri);
    assert_eq!(
        param(&redirect, "error").as_deref(),
        Some("invalid_request"),
        "{redirect}"
    );
    assert!(
        param(&redirect, "error_description").is_some_and(|d| d.contains("PKCE")),
        "{redirect}"
    );
    assert_eq!(
        param(&redirect, "state").as_deref(),
        Some(attempt.state.as_str())
    );
    assert_eq!(param(&redirect, "code"), None, "{redirect}");
}

/// Entra wants the scope again on a refresh, and Azure clients send the same one, with
/// `offline_access`.
#[tokio::test]
async fn a_refresh_token_grants_new_tokens() {
    let provider = OidcProvider::start();
    let attempt = Attempt::new();
    let code = attempt.code(&provider);
    let (status, body) = attempt.redeem(&provider, &code, &attempt.verifier).await;
    let first = tokens(status, body);
    let (status, body) = token(
        &provider,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
            ("client_id", provider.client_id()),
            ("scope", SCOPE),
        ],
    )
    .await;
    let refreshed = tokens(status, body);
    assert_ne!(refreshed["access_token"], first["access_token"]);
    assert_ne!(
        refreshed["refresh_token"], first["refresh_token"],
        "public clients' refresh tokens rotate"
    );
}
