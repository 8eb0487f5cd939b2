//! Signing in from the editor: the editor as the sign-in's window (`window/showDocument` for
//! the browser page, `window/showMessage` for a device code), the sign-in status sent to the
//! editor, the one-time offer to sign in when a feature needs Azure while signed out, and the
//! quiet sign-in (environment, Azure CLI, AWS credentials) once the workspace is trusted.

use futures::future::BoxFuture;
use serde_json::{Value, json};
use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{MessageActionItem, MessageType, ShowDocumentParams, Uri};

use crate::azure::{Interaction, Method, Status};
use crate::lsp::from_proto;
use crate::lsp::global::GlobalState;
use crate::lsp::state::State;
use crate::vault::document::DocKind;

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
impl GlobalState {
    /// Tells the editor who is signed in now.
    pub async fn announce_sign_in(&self) {
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
    pub async fn sign_in(
        &self,
        method: Option<Method>,
        uri: Option<String>,
    ) -> std::result::Result<Status, String> {
        let state = self.state.clone();
        let (app, explicit) =
            tokio::task::spawn_blocking(move || azure_app(&state, uri.as_deref()))
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
    pub fn offer_sign_in(&self) {
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
    pub async fn sign_in_quietly(&self) {
        if !self.trusted.load(std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let state = self.state.clone();
        let found = tokio::task::spawn_blocking(move || {
            workspace_has_links(&state).then(|| azure_app(&state, None))
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
}

/// The sign-in settings of `vaultlink.json`'s `azure` section (the nearest file to `uri`, else
/// to the first workspace folder), and whether the tenant was written there.
pub fn azure_app(state: &State, uri: Option<&str>) -> (crate::azure::App, bool) {
    let start = uri
        .and_then(|u| u.parse::<Uri>().ok())
        .and_then(|u| from_proto::path(&u))
        .or_else(|| {
            let roots = state.roots.read().unwrap();
            roots.first().map(|r| r.join("vaultlink.json"))
        });
    let around = state.surroundings(start.as_deref(), DocKind::Links, false);
    let settings = around
        .links
        .as_ref()
        .and_then(|l| l.links())
        .map(|l| l.azure.clone())
        .unwrap_or_default();
    let explicit = settings.tenant_range.is_some();
    (
        crate::azure::App {
            tenant: settings.tenant,
            client_id: settings.client_id,
            additionally_allowed_tenants: settings.additionally_allowed_tenants,
        },
        explicit,
    )
}

/// Whether any linked secret applies to the workspace (then a silent sign-in is worth a try).
pub fn workspace_has_links(state: &State) -> bool {
    let roots = state.roots.read().unwrap().clone();
    roots.iter().any(|r| {
        let around = state.surroundings(Some(&r.join("vaultlink.json")), DocKind::Links, false);
        around
            .links
            .as_ref()
            .and_then(|l| l.links())
            .is_some_and(|l| l.secrets.iter().any(|s| s.link_id().is_some()))
    })
}
