//! The Azure commands of the language server: `vaultlink.signIn`, `vaultlink.signOut`,
//! `vaultlink.refresh` and `vaultlink.createSecret`, the editor as the sign-in's window
//! (`window/showDocument` for the browser page, `window/showMessage` for a device code), and
//! the one-time offer to sign in when a feature needs Azure while signed out.

use futures::future::BoxFuture;
use serde_json::{Value, json};
use tower_lsp_server::Client;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::{MessageActionItem, MessageType, ShowDocumentParams, Uri};

use crate::azure::{Interaction, Method, Status};
use crate::lsp::handlers::{self, CreateSecretArgs};
use crate::lsp::server::Publisher;

/// The editor as the sign-in's window.
struct EditorUi {
    client: Client,
}

impl Interaction for EditorUi {
    fn open_page<'a>(&'a self, url: &'a str) -> BoxFuture<'a, std::result::Result<(), String>> {
        Box::pin(async move {
            let uri: Uri = url
                .parse()
                .map_err(|_| "the sign-in address is not a URI".to_owned())?;
            let shown = self
                .client
                .show_document(ShowDocumentParams {
                    uri,
                    external: Some(true),
                    take_focus: Some(true),
                    selection: None,
                })
                .await
                .unwrap_or(false);
            if !shown {
                // The editor could not open it: the person can.
                self.client
                    .show_message(
                        MessageType::INFO,
                        format!(
                            "vaultlink: open this page in a browser to sign in to Azure: {url}"
                        ),
                    )
                    .await;
            }
            Ok(())
        })
    }

    fn show_device_code<'a>(&'a self, message: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            self.client
                .show_message(MessageType::INFO, format!("vaultlink: {message}"))
                .await
        })
    }
}

/// `vaultlink/signInStatus`: sent whenever the sign-in changes (a command, a sign-in that
/// needed nobody at start, a sign-out), so that an editor can show who is signed in and for
/// how long: `{"signedIn", "account"?, "method"?, "endsInSeconds"?}`.
enum SignInStatus {}

impl tower_lsp_server::ls_types::notification::Notification for SignInStatus {
    type Params = Value;
    const METHOD: &'static str = "vaultlink/signInStatus";
}

const BROWSER: &str = "Sign in with a browser";
const DEVICE_CODE: &str = "Sign in with a device code";
const NOT_NOW: &str = "Not now";
const UNTRUSTED: &str = "vaultlink: this workspace is not trusted, so vaultlink does not sign in, run the Azure CLI, ask Key Vault or send requests here. Trust the workspace first (VS Code: Manage Workspace Trust; Neovim: :LspVaultlinkTrust)";

fn failed(message: impl Into<String>) -> Error {
    Error {
        code: ErrorCode::ServerError(-32803),
        message: message.into().into(),
        data: None,
    }
}

impl Publisher {
    /// Tells the editor who is signed in now.
    pub(super) async fn announce_sign_in(&self) {
        let status = self.state.providers.azure.status();
        let params = match status.method {
            Some(method) => json!({
                "signedIn": true,
                "account": status.account,
                "method": method.as_str(),
                "endsInSeconds": status
                    .ends_at
                    .map(|t| t.saturating_duration_since(std::time::Instant::now()).as_secs()),
            }),
            None => json!({ "signedIn": false }),
        };
        let mut params = params;
        // AWS beside Azure: whether credentials were found, and where.
        params["aws"] = json!({
            "credentials": self.state.providers.aws.is_signed_in(),
            "source": self.state.providers.aws.source(),
        });
        self.client.send_notification::<SignInStatus>(params).await;
    }

    /// Signs in with `method`, or with `auto` (the environment, the Azure CLI, then the person
    /// chooses an interactive method), then re-checks the open documents.
    pub(super) async fn sign_in(
        &self,
        method: Option<Method>,
        uri: Option<String>,
    ) -> std::result::Result<Status, String> {
        let state = self.state.clone();
        let (app, explicit) =
            tokio::task::spawn_blocking(move || handlers::azure_app(&state, uri.as_deref()))
                .await
                .map_err(|_| "could not read the sign-in settings".to_owned())?;
        let azure = self.state.providers.azure.clone();
        let ui = EditorUi {
            client: self.client.clone(),
        };
        let result = match method {
            Some(m) => azure
                .sign_in(m, &app, explicit, &ui)
                .await
                .map_err(|e| e.to_string()),
            None => match azure.sign_in_silently(&app, explicit).await {
                Ok(status) => Ok(status),
                Err(_) => match self
                    .ask_method("vaultlink: how do you want to sign in to Azure?")
                    .await
                {
                    Some(m) => azure
                        .sign_in(m, &app, explicit, &ui)
                        .await
                        .map_err(|e| e.to_string()),
                    None => Err("sign-in cancelled".to_owned()),
                },
            },
        };
        match &result {
            Ok(status) => {
                *self.offered_sign_in.lock().unwrap() = false;
                let who = status
                    .account
                    .as_deref()
                    .map(|a| format!(" as {a}"))
                    .unwrap_or_default();
                self.client
                    .show_message(
                        MessageType::INFO,
                        format!("vaultlink: signed in to Azure{who}"),
                    )
                    .await;
                self.announce_sign_in().await;
                self.recheck_open(None);
            }
            Err(e) => {
                self.client
                    .show_message(
                        MessageType::ERROR,
                        format!("vaultlink: sign-in failed: {e}"),
                    )
                    .await;
            }
        }
        result
    }

    /// Asks which interactive method to use; `None` when the person declines.
    async fn ask_method(&self, message: &str) -> Option<Method> {
        let actions = [BROWSER, DEVICE_CODE, NOT_NOW]
            .iter()
            .map(|t| MessageActionItem {
                title: (*t).to_owned(),
                properties: Default::default(),
            })
            .collect();
        let choice = self
            .client
            .show_message_request(MessageType::INFO, message, Some(actions))
            .await
            .ok()
            .flatten()?;
        match choice.title.as_str() {
            BROWSER => Some(Method::Browser),
            DEVICE_CODE => Some(Method::DeviceCode),
            _ => None,
        }
    }

    /// Offers sign-in once (until the next sign-in or sign-out): a feature needs Azure and
    /// the session is signed out.
    pub(super) fn offer_sign_in(&self) {
        if self.state.providers.azure.is_signed_in()
            || !self.trusted.load(std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        {
            let mut offered = self.offered_sign_in.lock().unwrap();
            if *offered {
                return;
            }
            *offered = true;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Some(method) = this
                .ask_method("vaultlink: sign in to Azure to see what Key Vault says about the linked secrets?")
                .await
            {
                let _ = this.sign_in(Some(method), None).await;
            }
        });
    }

    /// Tries the sign-in methods that need nobody (environment, Azure CLI) when the workspace
    /// is trusted and links secrets; stays signed out quietly otherwise.
    pub(super) async fn sign_in_quietly(&self) {
        if !self.trusted.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let state = self.state.clone();
        let found = tokio::task::spawn_blocking(move || {
            handlers::workspace_has_links(&state).then(|| handlers::azure_app(&state, None))
        })
        .await
        .ok()
        .flatten();
        let Some((app, explicit)) = found else { return };
        if !self.state.providers.aws.is_signed_in()
            && self
                .state
                .providers
                .aws
                .sign_in_silently(true)
                .await
                .is_ok()
        {
            self.announce_sign_in().await;
            self.recheck_open(None);
        }
        if self.state.providers.azure.is_signed_in() {
            return;
        }
        if self
            .state
            .providers
            .azure
            .sign_in_silently(&app, explicit)
            .await
            .is_ok()
        {
            self.announce_sign_in().await;
            self.recheck_open(None);
        }
    }

    pub(super) async fn execute_azure(&self, command: &str, args: Value) -> Result<Option<Value>> {
        let reaches_out = matches!(
            command,
            "vaultlink.signIn" | handlers::CREATE_SECRET | handlers::SEND_REQUEST
        );
        if reaches_out && !self.trusted.load(std::sync::atomic::Ordering::SeqCst) {
            self.client
                .show_message(MessageType::WARNING, UNTRUSTED)
                .await;
            return Err(failed(UNTRUSTED));
        }
        match command {
            "vaultlink.signIn" => {
                let method = match args.get("method").and_then(Value::as_str) {
                    None | Some("auto") => None,
                    Some(m) => Some(Method::parse(m).ok_or_else(|| {
                        Error::invalid_params(format!(
                            "unknown sign-in method `{m}`: use browser, device-code, azure-cli or environment"
                        ))
                    })?),
                };
                let uri = args.get("uri").and_then(Value::as_str).map(str::to_owned);
                let status = self.sign_in(method, uri).await.map_err(failed)?;
                Ok(Some(json!({
                    "signedIn": true,
                    "account": status.account,
                    "method": status.method.map(Method::as_str),
                })))
            }
            "vaultlink.signOut" => {
                self.state.providers.azure.sign_out().await;
                self.state.providers.aws.sign_out();
                *self.offered_sign_in.lock().unwrap() = false;
                self.announce_sign_in().await;
                self.recheck_open(None);
                Ok(Some(json!({ "signedIn": false })))
            }
            "vaultlink.refresh" => {
                self.state.providers.azure.clear_cache();
                self.state.providers.aws.clear_cache();
                self.recheck_open(None);
                Ok(Some(json!({ "refreshed": true })))
            }
            handlers::CREATE_SECRET => self.create_secret(args).await,
            handlers::SEND_REQUEST => self.send_request(args).await,
            other => Err(Error::invalid_params(format!("unknown command `{other}`"))),
        }
    }

    /// Stores a literal credential as a new Key Vault secret, then replaces it with the
    /// reference and links it, in one edit.
    async fn create_secret(&self, args: Value) -> Result<Option<Value>> {
        let state = self.state.clone();
        let (parsed, literal) = tokio::task::spawn_blocking(move || {
            let parsed = CreateSecretArgs::parse(&state, &args)?;
            let literal = parsed.literal(&state)?;
            Ok::<_, Error>((parsed, literal))
        })
        .await
        .map_err(|_| failed("could not read the arguments"))??;
        if !self.state.providers.azure.is_signed_in() {
            self.sign_in(None, Some(parsed.uri.as_str().to_owned()))
                .await
                .map_err(|e| failed(format!("creating a secret needs Azure: {e}")))?;
        }
        let vault = if parsed.vaults.len() == 1 {
            parsed.vaults[0].clone()
        } else {
            let actions = parsed
                .vaults
                .iter()
                .map(|v| MessageActionItem {
                    title: v.clone(),
                    properties: Default::default(),
                })
                .collect();
            let choice = self
                .client
                .show_message_request(
                    MessageType::INFO,
                    format!(
                        "vaultlink: create the secret `{}` in which vault?",
                        parsed.secret
                    ),
                    Some(actions),
                )
                .await
                .ok()
                .flatten()
                .ok_or_else(|| failed("no vault was chosen; nothing was created"))?;
            if !parsed.vaults.contains(&choice.title) {
                return Err(failed("no vault was chosen; nothing was created"));
            }
            choice.title
        };
        let host = vault.trim_start_matches("https://").to_owned();
        // Creating must never overwrite: a PUT on an existing name would make the literal its
        // current version.
        let id = crate::vault::identifier::SecretId::parse(&format!(
            "{vault}/secrets/{}",
            parsed.secret
        ))
        .map_err(|_| {
            failed(format!(
                "`{}` is not a Key Vault secret name",
                parsed.secret
            ))
        })?;
        match self.state.providers.azure.versions(&id).await {
            Err(crate::azure::KvError::NotFound { .. }) => {}
            Ok(_) => {
                let message = format!(
                    "vaultlink: {vault} already has a secret named `{}`; nothing was created. Link it, or rename the reference first",
                    parsed.secret
                );
                self.client.show_message(MessageType::ERROR, &message).await;
                return Err(failed(message));
            }
            Err(e) => {
                let message = format!(
                    "vaultlink: could not check {vault} for `{}`: {e}",
                    parsed.secret
                );
                self.client.show_message(MessageType::ERROR, &message).await;
                return Err(failed(message));
            }
        }
        let created = self
            .state
            .providers
            .azure
            .set_secret(&host, &parsed.secret, &literal, None)
            .await;
        drop(literal);
        let props = match created {
            Ok(p) => p,
            Err(e) => {
                let message = format!(
                    "vaultlink: could not create `{}` in {vault}: {e}",
                    parsed.secret
                );
                self.client.show_message(MessageType::ERROR, &message).await;
                return Err(failed(message));
            }
        };
        let state = self.state.clone();
        let v = vault.clone();
        let edit = tokio::task::spawn_blocking(move || parsed.edit(&state, &v))
            .await
            .map_err(|_| failed("could not prepare the edit"))??;
        let applied = crate::lsp::server::apply_edit(
            &self.client,
            edit,
            MessageType::WARNING,
            format!(
                "vaultlink: the secret was created in Key Vault ({}), but the editor did not apply the edit; link it with `vaultlink link`",
                props.id
            ),
        )
        .await;
        Ok(Some(json!({ "applied": applied, "identifier": props.id })))
    }
}
