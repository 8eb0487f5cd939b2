//! The Key Vault and Entra ID emulator itself, driven with plain HTTP the way Azure's own
//! clients would, so the end-to-end tests can trust what it answers.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{HOST, HeaderMap};
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vaultlink_e2e::emulator::{Config, Emulator, Fault, SecretAttrs};

const VAULT: &str = "corp-kv.vault.azure.net";
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const PUBLIC_CLIENT: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";
const USER_SCOPE: &str = "https://vault.azure.net/user_impersonation offline_access";
const REDIRECT: &str = "http://127.0.0.1:53127/callback";
const VERIFIER: &str = "kJ9.x~Qv3_Lr-8sWm2ZpT4nYc6bHdFgA1eUoIiPjKlMqRsTuVwXyZ0123456789";

/// An answer, read whole.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// The Entra ID error code of a failed token request.
    fn aadsts(&self) -> (&str, u64) {
        let error = self.body["error"].as_str().unwrap_or_default();
        (
            error,
            self.body["error_codes"][0].as_u64().unwrap_or_default(),
        )
    }
}

/// A client for one emulator; it never follows redirects, so sign-in redirects can be read.
struct Client {
    url: String,
    http: reqwest::Client,
}

impl Client {
    fn new(emulator: &Emulator) -> Client {
        let http = reqwest::Client::builder()
            .redirect(Policy::none())
            .build()
            .unwrap();
        Client {
            url: emulator.url(),
            http,
        }
    }

    async fn read(response: reqwest::Response) -> Answer {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// A Key Vault request for `host`, sent to the emulator as vaultlink sends it.
    async fn vault(
        &self,
        method: Method,
        host: &str,
        path_and_query: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .http
            .request(method, format!("{}{path_and_query}", self.url))
            .header(HOST, host);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Client::read(request.send().await.unwrap()).await
    }

    async fn get(&self, path_and_query: &str, token: &str) -> Answer {
        self.vault(Method::GET, VAULT, path_and_query, Some(token), None)
            .await
    }

    async fn token(&self, tenant: &str, form: &[(&str, &str)]) -> Answer {
        let url = format!("{}/{tenant}/oauth2/v2.0/token", self.url);
        Client::read(self.http.post(url).form(form).send().await.unwrap()).await
    }

    async fn sp_token(&self, emulator: &Emulator) -> String {
        let env: HashMap<String, String> = emulator.sp_env().into_iter().collect();
        let answer = self
            .token(
                &env["AZURE_TENANT_ID"],
                &[
                    ("grant_type", "client_credentials"),
                    ("client_id", &env["AZURE_CLIENT_ID"]),
                    ("client_secret", &env["AZURE_CLIENT_SECRET"]),
                    ("scope", "https://vault.azure.net/.default"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.body["access_token"].as_str().unwrap().to_string()
    }

    /// Starts a browser sign-in and returns the redirect's query parameters.
    async fn authorize(&self, params: &[(&str, &str)]) -> (StatusCode, HashMap<String, String>) {
        let url = format!("{}/organizations/oauth2/v2.0/authorize", self.url);
        let response = self.http.get(url).query(params).send().await.unwrap();
        let status = response.status();
        let query = response
            .headers()
            .get("location")
            .map(|l| {
                let location = url::Url::parse(l.to_str().unwrap()).unwrap();
                assert!(location.as_str().starts_with(REDIRECT), "{location}");
                location.query_pairs().into_owned().collect()
            })
            .unwrap_or_default();
        (status, query)
    }

    /// A code for the default PKCE verifier.
    async fn code(&self) -> String {
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER));
        let (status, query) = self
            .authorize(&[
                ("client_id", PUBLIC_CLIENT),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", USER_SCOPE),
                ("state", "s"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ])
            .await;
        assert_eq!(status, StatusCode::FOUND);
        query["code"].clone()
    }

    async fn redeem(&self, code: &str, verifier: &str) -> Answer {
        self.token(
            "organizations",
            &[
                ("grant_type", "authorization_code"),
                ("client_id", PUBLIC_CLIENT),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", verifier),
                ("scope", USER_SCOPE),
            ],
        )
        .await
    }

    async fn poll_device(&self, device_code: &str) -> Answer {
        self.token(
            "organizations",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("client_id", PUBLIC_CLIENT),
                ("device_code", device_code),
            ],
        )
        .await
    }

    async fn start_device(&self) -> Answer {
        let url = format!("{}/organizations/oauth2/v2.0/devicecode", self.url);
        let form = [("client_id", PUBLIC_CLIENT), ("scope", USER_SCOPE)];
        Client::read(self.http.post(url).form(&form).send().await.unwrap()).await
    }

    async fn control(&self, method: Method, endpoint: &str, body: Value) -> Answer {
        let url = format!("{}/_emulator/{endpoint}", self.url);
        let request = self.http.request(method, url).json(&body);
        Client::read(request.send().await.unwrap()).await
    }
}

#[tokio::test]
async fn key_vault_challenges_requests_without_a_valid_token() {
    let emulator = Emulator::start_with(Config {
        challenge_resource: "https://vault.evil.example".into(),
        ..Config::default()
    });
    let client = Client::new(&emulator);
    let answer = client
        .vault(Method::GET, VAULT, "/secrets/x?api-version=7.6", None, None)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.header("www-authenticate").unwrap(),
        format!(
            "Bearer authorization=\"{}/{TENANT}\", resource=\"https://vault.evil.example\"",
            emulator.url()
        )
    );
    assert_eq!(
        answer.body,
        json!({"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a Bearer or PoP token."}})
    );

    let forged = client
        .vault(
            Method::GET,
            VAULT,
            "/secrets/x?api-version=7.6",
            Some("forged"),
            None,
        )
        .await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    assert!(forged.header("www-authenticate").is_some());
    let message = forged.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("AKV10032: Invalid issuer."),
        "{message}"
    );
}

#[tokio::test]
async fn key_vault_refuses_expired_tokens_and_tokens_for_other_apis() {
    let emulator = Emulator::start_with(Config {
        access_token_lifetime: Duration::from_millis(300),
        ..Config::default()
    });
    let client = Client::new(&emulator);
    emulator.add_secret(VAULT, "db", "hunter2");
    let token = client.sp_token(&emulator).await;
    assert_eq!(
        client
            .get("/secrets/db?api-version=7.6", &token)
            .await
            .status,
        StatusCode::OK
    );

    let env: HashMap<String, String> = emulator.sp_env().into_iter().collect();
    let graph = client
        .token(
            TENANT,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &env["AZURE_CLIENT_ID"]),
                ("client_secret", &env["AZURE_CLIENT_SECRET"]),
                ("scope", "https://graph.microsoft.com/.default"),
            ],
        )
        .await;
    let graph = graph.body["access_token"].as_str().unwrap();
    let answer = client.get("/secrets/db?api-version=7.6", graph).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("AKV10022: Invalid audience."),
        "{message}"
    );

    tokio::time::sleep(Duration::from_millis(350)).await;
    let answer = client.get("/secrets/db?api-version=7.6", &token).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        answer.body["error"]["message"],
        "[TokenExpired] Error validating token: 'S2S12086'."
    );
}

#[tokio::test]
async fn pkce_code_flow_redeems_once_and_only_with_the_right_verifier() {
    let emulator = Emulator::start();
    emulator.add_secret(VAULT, "db", "hunter2");
    let client = Client::new(&emulator);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER));
    let state = "a b+c/=é&x";
    let (status, query) = client
        .authorize(&[
            ("client_id", PUBLIC_CLIENT),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", USER_SCOPE),
            ("state", state),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(query["state"], state);
    let code = &query["code"];

    let tokens = client.redeem(code, VERIFIER).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert_eq!(tokens.body["token_type"], "Bearer");
    assert_eq!(tokens.body["expires_in"], 3600);
    assert_eq!(
        tokens.body["scope"],
        "https://vault.azure.net/user_impersonation"
    );
    assert_eq!(tokens.header("cache-control"), Some("no-store"));
    let access = tokens.body["access_token"].as_str().unwrap();
    let refresh = tokens.body["refresh_token"].as_str().unwrap();
    let issued = emulator.issued_tokens();
    for secret in [code.as_str(), access, refresh] {
        assert!(issued.iter().any(|t| t == secret));
    }
    let secret = client.get("/secrets/db?api-version=7.6", access).await;
    assert_eq!(secret.body["value"], "hunter2");

    let replay = client.redeem(code, VERIFIER).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.aadsts(), ("invalid_grant", 54005));
    let description = replay.body["error_description"].as_str().unwrap();
    assert!(description.starts_with("AADSTS54005: OAuth2 Authorization code was already redeemed"));
    for field in ["timestamp", "trace_id", "correlation_id"] {
        assert!(replay.body[field].is_string(), "{field} in {}", replay.body);
    }

    let other = client.code().await;
    let wrong = client.redeem(&other, &"w".repeat(43)).await;
    assert_eq!(wrong.aadsts(), ("invalid_grant", 501481));
    let right = client.redeem(&other, VERIFIER).await;
    assert_eq!(
        right.status,
        StatusCode::OK,
        "a failed try leaves the code usable"
    );
}

#[tokio::test]
async fn authorize_reports_request_errors_on_the_redirect_or_a_page() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let (status, query) = client
        .authorize(&[
            ("client_id", PUBLIC_CLIENT),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", USER_SCOPE),
            ("state", "xyz"),
        ])
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(query["error"], "invalid_request");
    assert_eq!(query["state"], "xyz");
    assert!(!query.contains_key("code"));

    let (status, query) = client
        .authorize(&[
            ("client_id", PUBLIC_CLIENT),
            ("response_type", "code"),
            ("redirect_uri", "https://evil.example/callback"),
            ("scope", USER_SCOPE),
        ])
        .await;
    assert_eq!((status, query.len()), (StatusCode::BAD_REQUEST, 0));

    let denying = Emulator::start_with(Config {
        deny_authorization: true,
        ..Config::default()
    });
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER));
    let (_, query) = Client::new(&denying)
        .authorize(&[
            ("client_id", PUBLIC_CLIENT),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", USER_SCOPE),
            ("state", "s"),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ])
        .await;
    assert_eq!(query["error"], "access_denied");
}

#[tokio::test]
async fn refresh_tokens_rotate() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let code = client.code().await;
    let first = client.redeem(&code, VERIFIER).await;
    let old = first.body["refresh_token"].as_str().unwrap();
    let refresh = |token: String| {
        let client = &client;
        async move {
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", PUBLIC_CLIENT),
                ("refresh_token", token.as_str()),
                ("scope", USER_SCOPE),
            ];
            client.token("organizations", &form).await
        }
    };
    let second = refresh(old.to_string()).await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.body);
    let new = second.body["refresh_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_ne!(second.body["access_token"], first.body["access_token"]);

    let reused = refresh(old.to_string()).await;
    assert_eq!(reused.aadsts(), ("invalid_grant", 50173));
    assert_eq!(refresh(new.to_string()).await.status, StatusCode::OK);
}

#[tokio::test]
async fn client_credentials_check_the_secret() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let env: HashMap<String, String> = emulator.sp_env().into_iter().collect();
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_id", env["AZURE_CLIENT_ID"].as_str()),
        ("client_secret", env["AZURE_CLIENT_SECRET"].as_str()),
        ("scope", "https://vault.azure.net/.default"),
    ];
    let good = client.token(TENANT, &form).await;
    assert_eq!(good.status, StatusCode::OK);
    assert_eq!(good.body["expires_in"], 3600);
    assert!(good.body["access_token"].is_string());
    assert!(good.body.get("refresh_token").is_none());

    form[2].1 = "wrong";
    let wrong = client.token(TENANT, &form).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.aadsts(), ("invalid_client", 7000215));

    let logged = emulator.requests();
    assert_eq!(logged.len(), 2);
    assert_eq!(logged[1].path, format!("/{TENANT}/oauth2/v2.0/token"));
    assert!(
        logged[1]
            .form
            .contains(&("client_secret".into(), "wrong".into()))
    );
    assert_eq!((logged[0].status, logged[1].status), (200, 401));
}

#[tokio::test]
async fn device_code_waits_for_approval_and_polls_at_the_interval() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let start = client.start_device().await;
    assert_eq!(start.status, StatusCode::OK);
    let user_code = start.body["user_code"].as_str().unwrap();
    let device_code = start.body["device_code"].as_str().unwrap();
    assert!(user_code.len() == 8 && user_code.bytes().all(|b| b.is_ascii_uppercase()));
    let page = format!("{}/devicelogin", emulator.url());
    assert_eq!(start.body["verification_uri"], page);
    assert_eq!(
        (
            start.body["interval"].as_u64(),
            start.body["expires_in"].as_u64()
        ),
        (Some(1), Some(900))
    );
    assert_eq!(
        start.body["message"],
        format!(
            "To sign in, use a web browser to open the page {page} and enter the code {user_code} to authenticate."
        )
    );
    assert_eq!(emulator.pending_user_codes(), [user_code]);

    let pending = client.poll_device(device_code).await;
    assert_eq!(pending.aadsts().0, "authorization_pending");
    let hasty = client.poll_device(device_code).await;
    assert_eq!(hasty.aadsts().0, "slow_down");

    emulator.approve_device_code(&user_code.to_lowercase());
    assert!(emulator.pending_user_codes().is_empty());
    let tokens = client.poll_device(device_code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    assert!(tokens.body["refresh_token"].is_string());
    assert_eq!(
        client.poll_device(device_code).await.aadsts().0,
        "invalid_grant"
    );

    let declined = client.start_device().await;
    emulator.decline_device_code(declined.body["user_code"].as_str().unwrap());
    let answer = client
        .poll_device(declined.body["device_code"].as_str().unwrap())
        .await;
    assert_eq!(answer.aadsts().0, "authorization_declined");
}

#[tokio::test]
async fn the_device_login_page_approves_the_code_entered() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let start = client.start_device().await;
    let page = start.body["verification_uri"].as_str().unwrap();
    let form = [("otc", start.body["user_code"].as_str().unwrap())];
    let answer = client.http.post(page).form(&form).send().await.unwrap();
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("signed in as dev-user@contoso.example"),
        "{text}"
    );
    let tokens = client
        .poll_device(start.body["device_code"].as_str().unwrap())
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
}

#[tokio::test]
async fn device_codes_expire() {
    let emulator = Emulator::start_with(Config {
        device_expires_secs: 1,
        ..Config::default()
    });
    let client = Client::new(&emulator);
    let start = client.start_device().await;
    assert_eq!(start.body["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(1050)).await;
    assert!(emulator.pending_user_codes().is_empty());
    let answer = client
        .poll_device(start.body["device_code"].as_str().unwrap())
        .await;
    assert_eq!(answer.aadsts(), ("expired_token", 70019));
}

#[tokio::test]
async fn get_returns_latest_pinned_and_refuses_disabled_and_missing() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let token = client.sp_token(&emulator).await;
    let v1 = emulator.add_secret(VAULT, "Db-Password", "one");
    let v2 = emulator.add_secret(VAULT, "db-password", "two");
    assert!(
        v1.len() == 32
            && v1
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
    let expired = SecretAttrs {
        exp: Some(1_000_000_000),
        content_type: Some("text/plain".into()),
        tags: [("team".to_string(), "core".to_string())].into(),
        created: Some(900_000_000),
        ..SecretAttrs::default()
    };
    let old = emulator.add_secret_with(VAULT, "old", "stale", expired);
    let disabled = SecretAttrs {
        enabled: false,
        ..SecretAttrs::default()
    };
    emulator.add_secret_with(VAULT, "off", "hidden", disabled);

    let latest = client
        .get("/secrets/DB-PASSWORD?api-version=7.6", &token)
        .await;
    assert_eq!(latest.status, StatusCode::OK);
    assert_eq!(latest.body["value"], "two");
    assert_eq!(
        latest.body["id"],
        format!("https://{VAULT}/secrets/Db-Password/{v2}")
    );
    let attributes = &latest.body["attributes"];
    assert_eq!(attributes["enabled"], true);
    assert_eq!(attributes["recoveryLevel"], "Recoverable+Purgeable");
    assert_eq!(attributes["recoverableDays"], 90);
    assert!(attributes["created"].as_i64().unwrap() > 1_700_000_000);
    assert!(attributes.get("exp").is_none() && latest.body.get("tags").is_none());

    let pinned = client
        .get(
            &format!("/secrets/db-password/{v1}?api-version=7.6"),
            &token,
        )
        .await;
    assert_eq!(pinned.body["value"], "one");

    let stale = client.get("/secrets/old?api-version=7.6", &token).await;
    assert_eq!(stale.status, StatusCode::OK);
    assert_eq!(
        stale.body,
        json!({
            "value": "stale",
            "id": format!("https://{VAULT}/secrets/old/{old}"),
            "attributes": {"enabled": true, "exp": 1_000_000_000, "created": 900_000_000, "updated": 900_000_000,
                           "recoveryLevel": "Recoverable+Purgeable", "recoverableDays": 90},
            "contentType": "text/plain",
            "tags": {"team": "core"},
        })
    );

    let off = client.get("/secrets/off?api-version=7.6", &token).await;
    assert_eq!(off.status, StatusCode::FORBIDDEN);
    assert_eq!(
        off.body,
        json!({"error": {"code": "Forbidden", "message": "Operation get is not allowed on a disabled secret.",
                         "innererror": {"code": "SecretDisabled"}}})
    );

    let missing = client.get("/secrets/nope?api-version=7.6", &token).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["error"]["code"], "SecretNotFound");
    let message = missing.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("A secret with (name/id) nope was not found in this key vault."));

    let no_version = client.get("/secrets/db-password", &token).await;
    assert_eq!(no_version.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_version.body["error"]["code"], "BadParameter");

    let other_vault = client
        .vault(
            Method::GET,
            "other-kv.vault.azure.net:443",
            "/secrets/db-password?api-version=7.5",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        other_vault.status,
        StatusCode::NOT_FOUND,
        "vaults are told apart by host"
    );
}

/// Follows a list through its `nextLink`s, sending each page to the emulator with the
/// link's host, and returns the pages.
async fn follow(client: &Client, token: &str, first: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut next = Some(format!("https://{VAULT}{first}"));
    while let Some(link) = next {
        let url = url::Url::parse(&link).unwrap();
        assert_eq!(
            url.host_str(),
            Some(VAULT),
            "nextLink names the vault: {link}"
        );
        let path_and_query = format!("{}?{}", url.path(), url.query().unwrap());
        let answer = client
            .vault(Method::GET, VAULT, &path_and_query, Some(token), None)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        next = answer.body["nextLink"].as_str().map(str::to_string);
        pages.push(answer.body);
        assert!(pages.len() < 20, "the list never ends");
    }
    pages
}

#[tokio::test]
async fn lists_page_through_next_links_with_empty_pages() {
    let emulator = Emulator::start_with(Config {
        page_size: 3,
        empty_page_every: Some(2),
        ..Config::default()
    });
    let client = Client::new(&emulator);
    let token = client.sp_token(&emulator).await;
    let mut names: Vec<String> = (0..7).map(|i| format!("secret-{i}")).collect();
    names.reverse();
    for name in &names {
        emulator.add_secret(VAULT, name, "value");
    }
    emulator.add_secret(VAULT, "secret-3", "newer");

    let pages = follow(&client, &token, "/secrets?api-version=7.6").await;
    let sizes: Vec<usize> = pages
        .iter()
        .map(|p| p["value"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [3, 0, 3, 1]);
    let link = pages[1]["nextLink"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "https://{VAULT}:443/secrets?api-version=7.6&$skiptoken="
        )),
        "{link}"
    );
    let ids: Vec<&str> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = (0..7)
        .map(|i| format!("https://{VAULT}/secrets/secret-{i}"))
        .collect();
    assert_eq!(ids, expected);
    let item = &pages[0]["value"][0];
    assert!(item.get("value").is_none() && item["attributes"]["enabled"] == true);

    let v: Vec<String> = (0..4)
        .map(|i| emulator.add_secret(VAULT, "rotated", &format!("v{i}")))
        .collect();
    let pages = follow(
        &client,
        &token,
        "/secrets/rotated/versions?api-version=7.6&maxresults=2",
    )
    .await;
    let ids: Vec<&str> = pages
        .iter()
        .flat_map(|p| p["value"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = v
        .iter()
        .map(|v| format!("https://{VAULT}/secrets/rotated/{v}"))
        .collect();
    assert_eq!(ids, expected);
    assert!(
        pages[0]["nextLink"]
            .as_str()
            .unwrap()
            .ends_with("&maxresults=2")
    );

    let none = client
        .get("/secrets/never/versions?api-version=7.6", &token)
        .await;
    assert_eq!(none.body, json!({"value": [], "nextLink": null}));
    let too_many = client
        .get("/secrets?api-version=7.6&maxresults=26", &token)
        .await;
    assert_eq!(too_many.status, StatusCode::BAD_REQUEST);
    let empty = client
        .vault(
            Method::GET,
            "empty-kv.vault.azure.net",
            "/secrets?api-version=7.6",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(empty.status, StatusCode::OK);
}

#[tokio::test]
async fn throttling_answers_429_with_and_without_retry_after() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let token = client.sp_token(&emulator).await;
    emulator.add_secret(VAULT, "hot", "x");
    emulator.fault(Fault::throttle("/secrets/hot", Some(3)).times(1));
    emulator.fault(Fault::throttle("/secrets/hot", None).times(1));

    let first = client.get("/secrets/hot?api-version=7.6", &token).await;
    assert_eq!(first.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(first.header("retry-after"), Some("3"));
    assert_eq!(first.body["error"]["code"], "Throttled");
    let second = client.get("/secrets/hot?api-version=7.6", &token).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.header("retry-after"), None);
    let third = client.get("/secrets/hot?api-version=7.6", &token).await;
    assert_eq!(third.body["value"], "x");
}

#[tokio::test]
async fn server_errors_hit_only_the_matching_path() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let token = client.sp_token(&emulator).await;
    emulator.add_secret(VAULT, "flaky", "f");
    emulator.add_secret(VAULT, "steady", "s");
    emulator.fault(Fault::fail("/secrets/flaky", 503).times(2));

    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            client
                .get("/secrets/flaky?api-version=7.6", &token)
                .await
                .status
                .as_u16(),
        );
        statuses.push(
            client
                .get("/secrets/steady?api-version=7.6", &token)
                .await
                .status
                .as_u16(),
        );
    }
    assert_eq!(statuses, [503, 200, 503, 200, 200, 200]);
    let unauthenticated = client
        .vault(
            Method::GET,
            VAULT,
            "/secrets/flaky?api-version=7.6",
            None,
            None,
        )
        .await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);

    emulator.fault(Fault::fail("/secrets/flaky", 500));
    for _ in 0..2 {
        let answer = client.get("/secrets/flaky?api-version=7.6", &token).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(answer.body["error"]["code"], "InternalServerError");
    }
    emulator.clear_faults();
    assert_eq!(
        client
            .get("/secrets/flaky?api-version=7.6", &token)
            .await
            .status,
        StatusCode::OK
    );

    emulator.fault(Fault::slow("/secrets/steady", Duration::from_millis(200)).times(1));
    let logged = emulator.requests().len();
    assert_eq!(
        client
            .get("/secrets/steady?api-version=7.6", &token)
            .await
            .status,
        StatusCode::OK
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), logged + 1);
    assert!(requests[logged].at.elapsed() >= Duration::from_millis(200));
    assert_eq!(
        requests[logged].authorization,
        Some(format!("Bearer {token}"))
    );
    assert_eq!(
        (requests[logged].host.as_str(), requests[logged].status),
        (VAULT, 200)
    );
}

#[tokio::test]
async fn token_endpoint_faults_and_key_vault_delays() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    emulator.fault(Fault::fail("/oauth2/v2.0/token", 503).times(1));
    let env: HashMap<String, String> = emulator.sp_env().into_iter().collect();
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", env["AZURE_CLIENT_ID"].as_str()),
        ("client_secret", env["AZURE_CLIENT_SECRET"].as_str()),
        ("scope", "https://vault.azure.net/.default"),
    ];
    let failed = client.token(TENANT, &form).await;
    assert_eq!(failed.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(failed.aadsts(), ("temporarily_unavailable", 90033));
    let token = client.sp_token(&emulator).await;

    emulator.add_secret(VAULT, "db", "x");
    emulator.set_delay(Duration::from_millis(150));
    let started = std::time::Instant::now();
    assert_eq!(
        client.get("/secrets/db?api-version=7.6", &token).await.body["value"],
        "x"
    );
    assert!(started.elapsed() >= Duration::from_millis(150));
    emulator.set_delay(Duration::ZERO);
}

#[tokio::test]
async fn put_creates_a_new_latest_version() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let token = client.sp_token(&emulator).await;
    let old = emulator.add_secret(VAULT, "api-key", "old");
    let body = json!({"value": "new", "contentType": "text/plain", "tags": {"env": "dev"}, "attributes": {"exp": 4_000_000_000i64}});
    let put = client
        .vault(
            Method::PUT,
            VAULT,
            "/secrets/api-key?api-version=7.6",
            Some(&token),
            Some(body),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.body);
    assert_eq!(put.body["value"], "new");
    assert_eq!(put.body["tags"], json!({"env": "dev"}));
    assert_eq!(put.body["attributes"]["exp"], 4_000_000_000i64);
    let id = put.body["id"].as_str().unwrap();
    let prefix = format!("https://{VAULT}/secrets/api-key/");
    assert!(id.starts_with(&prefix) && !id.ends_with(&old), "{id}");

    assert_eq!(
        client
            .get("/secrets/api-key?api-version=7.6", &token)
            .await
            .body["id"],
        id
    );
    let pinned = client
        .get(&format!("/secrets/api-key/{old}?api-version=7.6"), &token)
        .await;
    assert_eq!(pinned.body["value"], "old");
}

#[tokio::test]
async fn denied_vaults_answer_forbidden_by_rbac() {
    let denied = "denied-kv.vault.azure.net";
    let emulator = Emulator::start_with(Config {
        deny_vaults: vec![denied.into()],
        ..Config::default()
    });
    let client = Client::new(&emulator);
    let token = client.sp_token(&emulator).await;
    emulator.add_secret(denied, "db", "x");
    emulator.add_secret(VAULT, "db", "y");

    let answer = client
        .vault(
            Method::GET,
            denied,
            "/secrets/db?api-version=7.6",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["error"]["code"], "Forbidden");
    assert_eq!(
        answer.body["error"]["innererror"]["code"],
        "ForbiddenByRbac"
    );
    let message = answer.body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("Caller is not authorized to perform action on resource.\r\n"));
    assert!(message.contains("Action: 'Microsoft.KeyVault/vaults/secrets/getSecret/action'"));
    assert_eq!(
        client.get("/secrets/db?api-version=7.6", &token).await.body["value"],
        "y"
    );
}

#[tokio::test]
async fn control_endpoints_seed_secrets_and_faults_and_show_the_log() {
    let emulator = Emulator::start();
    let client = Client::new(&emulator);
    let added = client
        .control(
            Method::POST,
            "secrets",
            json!({"vault": VAULT, "name": "seeded", "value": "v", "contentType": "text/plain"}),
        )
        .await;
    let version = added.body["version"].as_str().unwrap();
    let token = client.sp_token(&emulator).await;
    let got = client.get("/secrets/seeded?api-version=7.6", &token).await;
    assert_eq!(
        got.body["id"],
        format!("https://{VAULT}/secrets/seeded/{version}")
    );

    let fault = json!({"path": "/secrets/seeded", "status": 502, "times": 1});
    assert_eq!(
        client.control(Method::POST, "faults", fault).await.status,
        StatusCode::OK
    );
    assert_eq!(
        client
            .get("/secrets/seeded?api-version=7.6", &token)
            .await
            .status,
        StatusCode::BAD_GATEWAY
    );

    let device = client.start_device().await;
    let approve = json!({"user_code": device.body["user_code"]});
    assert_eq!(
        client
            .control(Method::POST, "device/approve", approve.clone())
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        client
            .control(Method::POST, "device/approve", approve)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let log = client.control(Method::GET, "requests", Value::Null).await;
    let paths: Vec<&str> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        paths,
        [
            format!("/{TENANT}/oauth2/v2.0/token").as_str(),
            "/secrets/seeded",
            "/secrets/seeded",
            "/organizations/oauth2/v2.0/devicecode"
        ]
    );
}

#[test]
fn the_binary_seeds_secrets_and_prints_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed.json");
    let planted = "planted-value-7f3e";
    std::fs::write(
        &seed,
        json!([{"vault": VAULT, "name": "db", "value": planted}]).to_string(),
    )
    .unwrap();
    // A client secret a shell must quote: the printed lines keep it whole.
    let client_secret = "s3'cr 3t$x";
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultlink-emulator"))
        .args([
            "--seed",
            seed.to_str().unwrap(),
            "--tenant",
            TENANT,
            "--client-secret",
            client_secret,
            "--exit-on-stdin-close",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let env: Vec<String> = lines.by_ref().take(5).map(Result::unwrap).collect();
    // What a shell makes of them (`eval "$(…)"` or `. file`).
    let script = format!(
        "{}\nprintf '%s\\n' \"$AZURE_AUTHORITY_HOST\" \"$VAULTLINK_KEYVAULT_ENDPOINT\" \"$AZURE_TENANT_ID\" \"$AZURE_CLIENT_ID\" \"$AZURE_CLIENT_SECRET\"",
        env.join("\n")
    );
    let sourced = Command::new("sh").arg("-c").arg(&script).output().unwrap();
    assert!(sourced.status.success(), "{env:?}: {sourced:?}");
    let values: Vec<String> = String::from_utf8(sourced.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    let url = values[0].clone();
    assert!(url.starts_with("http://127.0.0.1:"), "{env:?}");
    assert_eq!(
        values,
        [
            url.clone(),
            url.clone(),
            TENANT.to_string(),
            "3b1c7d5e-2f4a-4c8e-9d6b-0a1e2f3c4d5e".to_string(),
            client_secret.to_string(),
        ],
        "{env:?}"
    );
    assert!(
        env.iter().all(|l| l.starts_with("export ")),
        "every line is an export: {env:?}"
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let value = runtime.block_on(async {
        let http = reqwest::Client::new();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", "3b1c7d5e-2f4a-4c8e-9d6b-0a1e2f3c4d5e"),
            ("client_secret", client_secret),
            ("scope", "https://vault.azure.net/.default"),
        ];
        let tokens: Value = http
            .post(format!("{url}/{TENANT}/oauth2/v2.0/token"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let secret: Value = http
            .get(format!("{url}/secrets/db?api-version=7.6"))
            .header(HOST, VAULT)
            .bearer_auth(tokens["access_token"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        secret["value"].clone()
    });
    assert_eq!(value, planted);

    drop(child.stdin.take());
    let status = child.wait().unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(rest.is_empty(), "{rest:?}");
    assert!(
        !stderr.contains(planted)
            && stderr.contains("seeded 1 secrets")
            && stderr.contains(&format!("listening on {url}")),
        "{stderr}"
    );
}

/// Told nothing, the emulator holds the example project's secrets: no hand-written seed
/// file is needed to try `vaultlink send examples/…`. Values never reach its output.
#[test]
fn the_binary_holds_the_example_secrets_by_default() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaultlink-emulator"))
        .arg("--exit-on-stdin-close")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let env: Vec<String> = lines.by_ref().take(5).map(Result::unwrap).collect();
    let value = |name: &str| -> String {
        let line = env
            .iter()
            .find(|l| l.starts_with(&format!("export {name}=")))
            .unwrap_or_else(|| panic!("{name} in {env:?}"));
        line.split_once('=')
            .unwrap()
            .1
            .trim_matches('\'')
            .to_owned()
    };
    let url = value("AZURE_AUTHORITY_HOST");
    let (tenant, id, secret) = (
        value("AZURE_TENANT_ID"),
        value("AZURE_CLIENT_ID"),
        value("AZURE_CLIENT_SECRET"),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses = runtime.block_on(async {
        let http = reqwest::Client::new();
        let form = [
            ("grant_type", "client_credentials"),
            ("client_id", id.as_str()),
            ("client_secret", secret.as_str()),
            ("scope", "https://vault.azure.net/.default"),
        ];
        let tokens: Value = http
            .post(format!("{url}/{tenant}/oauth2/v2.0/token"))
            .form(&form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = tokens["access_token"].as_str().unwrap().to_owned();
        let mut statuses = Vec::new();
        for (vault, name) in [
            (VAULT, "stripe-key"),
            (VAULT, "github-token"),
            (VAULT, "echo-token"),
            ("corp-staging-kv.vault.azure.net", "api-key"),
        ] {
            let status = http
                .get(format!("{url}/secrets/{name}?api-version=7.6"))
                .header(HOST, vault)
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .status();
            statuses.push(status.as_u16());
        }
        statuses
    });
    assert_eq!(statuses, [200, 200, 200, 200]);
    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("corp-kv.vault.azure.net/stripe-key") && !stderr.contains("emulated"),
        "{stderr}"
    );
}
