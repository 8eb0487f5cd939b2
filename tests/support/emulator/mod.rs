//! An emulator of Azure Key Vault's secrets data plane and Microsoft Entra ID's sign-in
//! endpoints, so the end-to-end tests (and a local quickstart) run vaultlink against
//! something that answers like Azure without an Azure subscription.
//!
//! One HTTP server on `127.0.0.1` serves three surfaces, by path:
//! - `/{tenant}/oauth2/v2.0/{authorize,token,devicecode}`: Entra ID ([`entra`]), reached
//!   through `AZURE_AUTHORITY_HOST`;
//! - `/secrets...`: Key Vault ([`keyvault`]), reached through `VAULTLINK_KEYVAULT_ENDPOINT`,
//!   with the real vault host in the `Host` header choosing the vault;
//! - `/_emulator/*`: control endpoints ([`control`]) for the standalone binary.
//!
//! The server runs on its own thread with its own runtime, so synchronous tests can use it;
//! state sits behind one mutex that handlers hold only while computing an answer, never
//! while waiting out a delay.

mod control;
mod entra;
mod faults;
mod http;
mod keyvault;
mod refusals;

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axum::extract::{Request, State as Shared};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

pub use faults::{Damage, Fault};
pub use keyvault::SecretAttrs;
pub use refusals::{CLIENT_ADDRESS, Refusal};

use faults::{Faults, Surface};
use http::Req;

/// How the emulated tenant, applications and vaults behave.
#[derive(Clone, Debug)]
pub struct Config {
    /// The port to listen on; 0 picks a free one.
    pub port: u16,
    pub tenant_id: String,
    /// The public client that signs users in (browser and device code).
    pub client_id: String,
    /// The service principal of the client credentials grant.
    pub sp_client_id: String,
    pub sp_client_secret: String,
    /// The user every interactive sign-in signs in.
    pub user: String,
    /// The `resource` of Key Vault's 401 challenge; tests set a foreign one to check the
    /// client only takes the tenant from a challenge for its own vault.
    pub challenge_resource: String,
    pub access_token_lifetime: Duration,
    pub device_interval_secs: u64,
    pub device_expires_secs: u64,
    /// The most items a list page holds (Key Vault's own limit, 25, still applies).
    pub page_size: usize,
    /// Serve an empty page that still has a `nextLink` before every Nth page of a list.
    pub empty_page_every: Option<usize>,
    /// Vault hosts whose RBAC denies every caller: a valid token gets 403 ForbiddenByRbac.
    pub deny_vaults: Vec<String>,
    /// The user declines every browser sign-in: the redirect carries `error=access_denied`.
    pub deny_authorization: bool,
    /// Vault hosts that refuse every caller with a valid token for a network rule or an
    /// access policy ([`Refusal`]).
    pub refuse_vaults: Vec<(String, Refusal)>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            port: 0,
            tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            client_id: "04b07795-8ddb-461a-bbee-02f9e1bf7b46".into(),
            sp_client_id: "3b1c7d5e-2f4a-4c8e-9d6b-0a1e2f3c4d5e".into(),
            sp_client_secret: "emu~client~secret~4f2a9c".into(),
            user: "dev-user@contoso.example".into(),
            challenge_resource: "https://vault.azure.net".into(),
            access_token_lifetime: Duration::from_secs(3600),
            device_interval_secs: 1,
            device_expires_secs: 900,
            page_size: 25,
            empty_page_every: None,
            deny_vaults: Vec::new(),
            deny_authorization: false,
            refuse_vaults: Vec::new(),
        }
    }
}

/// One request the emulator received (control requests excepted).
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    /// The `Host` header as sent.
    pub host: String,
    pub path: String,
    /// The raw query string, still percent-encoded.
    pub query: String,
    pub authorization: Option<String>,
    pub at: Instant,
    /// The fields of a form body (token and device code requests), secrets included.
    pub form: Vec<(String, String)>,
    /// The status answered; 0 while the answer is still being held back by a delay.
    pub status: u16,
}

/// Everything the emulator knows; handlers lock it briefly.
struct State {
    config: Config,
    /// `http://127.0.0.1:PORT`, the authority and the device login page are under it.
    url: String,
    started: Instant,
    log: Vec<Logged>,
    entra: entra::Entra,
    vaults: keyvault::Vaults,
    faults: Faults,
    /// Added to every Key Vault answer.
    kv_delay: Duration,
}

type SharedState = Arc<Mutex<State>>;

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A test that panicked while holding the lock must not hide the next failure.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running emulator; dropping it stops the server.
pub struct Emulator {
    url: String,
    state: SharedState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Starts an emulator with the default configuration on a free port.
    pub fn start() -> Emulator {
        Emulator::start_with(Config::default())
    }

    /// Starts an emulator; panics when it cannot listen.
    pub fn start_with(config: Config) -> Emulator {
        let port = config.port;
        Emulator::bind(config)
            .unwrap_or_else(|e| panic!("the emulator cannot listen on 127.0.0.1:{port}: {e}"))
    }

    /// Starts an emulator, or says why it cannot listen on the configured port.
    pub fn bind(config: Config) -> std::io::Result<Emulator> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, config.port)))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(State {
            config,
            url: url.clone(),
            started: Instant::now(),
            log: Vec::new(),
            entra: entra::Entra::default(),
            vaults: keyvault::Vaults::default(),
            faults: Faults::default(),
            kv_delay: Duration::ZERO,
        }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let thread = std::thread::Builder::new()
            .name("emulator".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener)
                        .expect("a listener registers with the runtime");
                    tokio::select! {
                        served = axum::serve(listener, app) => served.expect("the emulator serves"),
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime here cancels connections still open or held back by
                // a delay, so stopping never waits for them.
            })?;
        Ok(Emulator {
            url,
            state,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The environment that points vaultlink's sign-in and Key Vault requests here.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AZURE_AUTHORITY_HOST".into(), self.url()),
            ("VAULTLINK_KEYVAULT_ENDPOINT".into(), self.url()),
        ]
    }

    /// The environment of the `environment` sign-in method: the service principal's
    /// client credentials.
    pub fn sp_env(&self) -> Vec<(String, String)> {
        let st = lock(&self.state);
        vec![
            ("AZURE_TENANT_ID".into(), st.config.tenant_id.clone()),
            ("AZURE_CLIENT_ID".into(), st.config.sp_client_id.clone()),
            (
                "AZURE_CLIENT_SECRET".into(),
                st.config.sp_client_secret.clone(),
            ),
        ]
    }

    /// Adds an enabled version of a secret, now the latest, and returns its version id.
    pub fn add_secret(&self, vault_host: &str, name: &str, value: &str) -> String {
        self.add_secret_with(vault_host, name, value, SecretAttrs::default())
    }

    pub fn add_secret_with(
        &self,
        vault_host: &str,
        name: &str,
        value: &str,
        attrs: SecretAttrs,
    ) -> String {
        lock(&self.state).vaults.add(vault_host, name, value, attrs)
    }

    /// Adds the secrets of a seed file, a JSON array of
    /// `{"vault","name","value","enabled"?,"exp"?,"nbf"?,"contentType"?,"tags"?,"created"?}`,
    /// and returns their version ids.
    pub fn seed(&self, seed_json: &str) -> Result<Vec<String>, serde_json::Error> {
        let secrets: Vec<control::SeedSecret> = serde_json::from_str(seed_json)?;
        let mut st = lock(&self.state);
        Ok(secrets.into_iter().map(|s| s.add(&mut st)).collect())
    }

    pub fn fault(&self, fault: Fault) {
        lock(&self.state).faults.add(fault);
    }

    pub fn clear_faults(&self) {
        lock(&self.state).faults.clear();
    }

    /// Every request received so far (control requests excepted), in arrival order.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.state).log.clone()
    }

    /// Every access token, refresh token, authorization code and device code issued, for
    /// tests that search output for leaks.
    pub fn issued_tokens(&self) -> Vec<String> {
        lock(&self.state).entra.issued.clone()
    }

    /// A check of bearer tokens for another server standing in for Key Vault: true for an
    /// unexpired token this emulator issued in `tenant`.
    pub fn token_check(&self, tenant: &str) -> impl Fn(&str) -> bool + Send + Sync + 'static {
        let state = self.state.clone();
        let tenant = tenant.to_owned();
        move |token| {
            lock(&state).entra.access_token(token).is_some_and(|t| {
                t.tenant.eq_ignore_ascii_case(&tenant) && t.expires > Instant::now()
            })
        }
    }

    /// Approves the pending device code sign-in showing `user_code`; panics when there is
    /// none, as the test is then waiting for something that will not happen.
    pub fn approve_device_code(&self, user_code: &str) {
        let decided = lock(&self.state).entra.decide(user_code, true);
        assert!(decided, "no pending device code {user_code}");
    }

    pub fn decline_device_code(&self, user_code: &str) {
        let decided = lock(&self.state).entra.decide(user_code, false);
        assert!(decided, "no pending device code {user_code}");
    }

    /// The user codes of device code sign-ins waiting for a decision, oldest first.
    pub fn pending_user_codes(&self) -> Vec<String> {
        let st = lock(&self.state);
        let expires = Duration::from_secs(st.config.device_expires_secs);
        st.entra.pending_user_codes(expires)
    }

    /// Holds every Key Vault answer back by `delay` (zero for none).
    pub fn set_delay(&self, delay: Duration) {
        lock(&self.state).kv_delay = delay;
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Every request: read it, log it, answer it under the lock, then wait out any delay.
async fn handle(Shared(state): Shared<SharedState>, request: Request) -> Response {
    let Some(req) = Req::read(request).await else {
        let body = json!({ "error": { "code": "BadParameter", "message": "The request body could not be read." } });
        return http::json(StatusCode::BAD_REQUEST, &body);
    };
    if let Some(endpoint) = req.path.strip_prefix("/_emulator/") {
        return control::handle(&mut lock(&state), &req, endpoint);
    }
    let (index, delay, answer) = {
        let mut st = lock(&state);
        st.log.push(Logged {
            method: req.method.to_string(),
            host: req.host.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            authorization: req.authorization(),
            at: Instant::now(),
            form: req.form(),
            status: 0,
        });
        let index = st.log.len() - 1;
        let (delay, answer) = respond(&mut st, &req);
        (index, delay, answer)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    lock(&state).log[index].status = answer.status().as_u16();
    answer
}

/// The answer to a logged request, and how long to hold it back.
fn respond(st: &mut State, req: &Req) -> (Duration, Response) {
    if req.path == "/secrets" || req.path.starts_with("/secrets/") {
        return keyvault::handle(st, req);
    }
    if req.path == "/devicelogin" {
        return (Duration::ZERO, entra::device_login(st, req));
    }
    let segments: Vec<&str> = req.path.split('/').collect();
    if let ["", tenant, "oauth2", "v2.0", endpoint] = segments[..] {
        let Some(fault) = st.faults.take(&req.path) else {
            return (Duration::ZERO, entra::handle(st, req, tenant, endpoint));
        };
        let answer = faults::answer(&fault, Surface::Entra)
            .unwrap_or_else(|| entra::handle(st, req, tenant, endpoint));
        return (fault.delay, answer);
    }
    let body = json!({ "error": { "code": "NotFound", "message": format!("Nothing is served at {}.", req.path) } });
    (Duration::ZERO, http::json(StatusCode::NOT_FOUND, &body))
}
