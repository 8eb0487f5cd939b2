//! The `LanguageServer` implementation: lifecycle, document sync, diagnostics scheduling,
//! the workspace scan and file events. Requests are forwarded to `handlers`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::lsp::budget;
use crate::lsp::convert;
use crate::lsp::handlers;
use crate::lsp::live;
use crate::lsp::state::{Document, State, Unfinished};
use crate::lsp::stdio;
use crate::text::{Change, apply_changes};
use crate::vault::document::DocKind;

/// Where the editor's diagnostics stand for one document: one analysis runs at a time, and
/// edits that arrive meanwhile cost one more run, with the latest text.
#[derive(Default)]
struct DiagnosticRuns {
    running: bool,
    again: bool,
    /// Wakes a run that is taking long when a newer version is waiting.
    newer: Arc<tokio::sync::Notify>,
}

/// Set when a request's future is dropped (`$/cancelRequest`, or the budget spent): its
/// blocking work, if it has not started yet, does not start.
#[derive(Default)]
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

pub struct Server {
    client: Client,
    state: Arc<State>,
    publisher: Publisher,
    /// Whether the client can be asked for `workDoneProgress` tokens.
    progress: Mutex<bool>,
    watch_dynamically: Mutex<bool>,
}

#[derive(Clone, Copy, Default)]
struct PullMode {
    enabled: bool,
    refresh: bool,
}

/// Gets diagnostics to the editor: pushes them (coalescing bursts of edits), or, for a
/// client that pulls, asks it to pull again. Cheap to clone into background tasks, such as
/// the one that fetches Key Vault's answers and then re-checks the documents.
#[derive(Clone)]
pub(super) struct Publisher {
    pub(super) client: Client,
    pub(super) state: Arc<State>,
    runs: Arc<Mutex<HashMap<Uri, DiagnosticRuns>>>,
    /// The client pulls diagnostics (`textDocument/diagnostic`): pushing them too would show
    /// each one twice, so they are only pulled, and a refresh is asked for when a links or
    /// environment file changes.
    pull: Arc<Mutex<PullMode>>,
    /// Whether sign-in was already offered (once, until the next sign-in or sign-out).
    pub(super) offered_sign_in: Arc<Mutex<bool>>,
    /// Responses of requests sent in this session, for requests that read them.
    pub(super) responses: crate::lsp::state::Responses,
    /// Whether the client said the workspace is trusted. Until it does, nothing reaches the
    /// network or runs a program: no sign-in at start, no Azure command, no send.
    pub(super) trusted: Arc<AtomicBool>,
    /// The last diagnostics pulled for each document, with their `resultId`: a pull that
    /// names it and finds them unchanged is answered "unchanged".
    pulled: Arc<Mutex<HashMap<Uri, PulledReport>>>,
}

/// A pulled report's `resultId` and its diagnostics.
type PulledReport = (String, Arc<Vec<Diagnostic>>);

impl Publisher {
    /// Computes and publishes the diagnostics of `uri`, coalescing bursts of edits. A client
    /// that pulls diagnostics asks for them itself.
    fn schedule(&self, uri: Uri) {
        if self.pull.lock().unwrap().enabled {
            return;
        }
        let newer = {
            let mut runs = self.runs.lock().unwrap();
            let entry = runs.entry(uri.clone()).or_default();
            if entry.running {
                entry.again = true;
                // A run that is taking long is for a version nobody needs any more.
                entry.newer.notify_waiters();
                return;
            }
            entry.running = true;
            entry.newer.clone()
        };
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let Some(doc) = this.state.doc(&uri) else {
                    break;
                };
                let s = this.state.clone();
                let d = doc.clone();
                let started = Instant::now();
                // Listening from now on: a newer version may arrive at any moment.
                let notified = newer.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let mut task = tokio::task::spawn_blocking(move || {
                    let mut diags = (*handlers::diagnostics(&s, &d)?).clone();
                    let (live, unknown) = handlers::live_diagnostics(&s, &d);
                    diags.extend(live);
                    Ok::<_, Unfinished>((diags, unknown))
                });
                // Most runs end within the patience; one that does not is given up when a
                // newer version arrives, and at the latest when its budget is spent. Its
                // thread may go on, but its result is dropped.
                let outcome = match tokio::time::timeout(budget::PATIENCE, &mut task).await {
                    Ok(done) => Some(done),
                    Err(_) => tokio::select! {
                        done = &mut task => Some(done),
                        () = &mut notified => None,
                        () = tokio::time::sleep_until((started + budget::budget()).into()) => {
                            Some(Ok(Err(Unfinished { file: doc.describe() })))
                        }
                    },
                };
                let diags = match outcome {
                    None => None,
                    Some(Ok(Ok((diags, unknown)))) => {
                        this.fetch_live(unknown);
                        Some(diags)
                    }
                    Some(Ok(Err(unfinished))) => {
                        this.client
                            .log_message(MessageType::ERROR, unfinished.message())
                            .await;
                        None
                    }
                    Some(Err(_)) => {
                        this.client
                            .log_message(
                                MessageType::ERROR,
                                "vaultlink failed while checking a document; please report this",
                            )
                            .await;
                        Some(Vec::new())
                    }
                };
                // Publish only what belongs to the version that is still open.
                if let Some(diags) = diags
                    && this
                        .state
                        .doc(&uri)
                        .is_some_and(|now| now.version == doc.version)
                {
                    this.client
                        .publish_diagnostics(uri.clone(), diags, Some(doc.version))
                        .await;
                }
                let mut guard = this.runs.lock().unwrap();
                let entry = guard.entry(uri.clone()).or_default();
                if entry.again {
                    entry.again = false;
                } else {
                    entry.running = false;
                    break;
                }
            }
        });
    }

    /// Re-checks every open document (but `except`).
    pub(super) fn recheck_open(&self, except: Option<&Uri>) {
        let pull = *self.pull.lock().unwrap();
        if pull.enabled {
            if pull.refresh {
                let client = self.client.clone();
                tokio::spawn(async move {
                    let _ = client.workspace_diagnostic_refresh().await;
                });
            }
            return;
        }
        for doc in self.state.open_docs() {
            if Some(&doc.uri) != except {
                self.schedule(doc.uri.clone());
            }
        }
    }

    /// Fetches the stores' answers about `ids` in the background, then re-checks the open
    /// documents. Offline diagnostics are out already; these only add to them.
    fn fetch_live(&self, ids: Vec<crate::vault::identifier::LinkId>) {
        if ids.is_empty() {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            live::fetch_versions(&this.state.providers, &ids).await;
            let known = ids
                .iter()
                .filter(|id| {
                    crate::vault::features::live::SecretsView::versions(&this.state.providers, id)
                        .is_some()
                })
                .count();
            // Answers that could not be kept (signed out meanwhile) would only start again.
            if known > 0 {
                this.recheck_open(None);
            }
        });
    }
}

impl Server {
    pub fn new(client: Client) -> Server {
        let state = Arc::new(State::default());
        Server {
            publisher: Publisher {
                client: client.clone(),
                state: state.clone(),
                runs: Arc::default(),
                pull: Arc::default(),
                offered_sign_in: Arc::default(),
                responses: Arc::default(),
                trusted: Arc::default(),
                pulled: Arc::default(),
            },
            client,
            state,
            progress: Mutex::new(false),
            watch_dynamically: Mutex::new(false),
        }
    }

    /// Runs `f` on a blocking thread with a snapshot of the state, for a request about `about`.
    /// A panic in it answers this request with an error; the server lives on. So does an
    /// analysis that runs past the budget: the request is answered with an error, the log
    /// names the file, and the thread's result is dropped when it comes. A request cancelled
    /// before its thread started never starts it.
    async fn run<T: Send + 'static>(
        &self,
        what: &'static str,
        about: Option<&Uri>,
        f: impl FnOnce(&State) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let state = self.state.clone();
        let cancelled = CancelOnDrop::default();
        let flag = cancelled.0.clone();
        let task = tokio::task::spawn_blocking(move || {
            if flag.load(Ordering::Acquire) {
                return Err(Error::request_cancelled());
            }
            f(&state)
        });
        let result = match tokio::time::timeout(budget::budget(), task).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => {
                let message = if e.is_panic() {
                    format!("vaultlink failed while answering {what}; please report this")
                } else {
                    format!("{what} was cancelled")
                };
                self.client.log_message(MessageType::ERROR, &message).await;
                return Err(Error {
                    code: ErrorCode::InternalError,
                    message: message.into(),
                    data: None,
                });
            }
            Err(_) => {
                let file = about
                    .and_then(|u| self.state.doc(u))
                    .map(|d| d.describe())
                    .or_else(|| about.map(|u| u.as_str().to_owned()))
                    .unwrap_or_else(|| "the workspace".to_owned());
                Err(handlers::over_budget(&Unfinished { file }))
            }
        };
        if let Err(e) = &result
            && e.data
                .as_ref()
                .is_some_and(|d| d.get("overBudget").is_some())
        {
            self.client
                .log_message(MessageType::ERROR, format!("{} ({what})", e.message))
                .await;
        }
        drop(cancelled);
        result
    }

    fn schedule_diagnostics(&self, uri: Uri) {
        self.publisher.schedule(uri);
    }

    /// Re-checks every open document: a links or environment file changed.
    fn recheck_all(&self, except: Option<&Uri>) {
        self.state.bump_generation();
        self.publisher.recheck_open(except);
    }

    fn is_context_file(kind: Option<DocKind>) -> bool {
        matches!(
            kind,
            Some(DocKind::Links | DocKind::HttpClientEnv { .. } | DocKind::PostmanEnv)
        )
    }

    /// Scans the workspace folders for the files vaultlink reads, with `$/progress`.
    async fn scan_workspace(&self) {
        let roots = self.state.roots.read().unwrap().clone();
        if roots.is_empty() {
            return;
        }
        let token = NumberOrString::String("vaultlink/index".into());
        let progress = if *self.progress.lock().unwrap() {
            match self.client.create_work_done_progress(token.clone()).await {
                Ok(()) => Some(
                    self.client
                        .progress(token, "vaultlink: indexing")
                        .with_message("finding request files")
                        .with_percentage(0)
                        .begin()
                        .await,
                ),
                Err(_) => None,
            }
        } else {
            None
        };
        let state = self.state.clone();
        let files = tokio::task::spawn_blocking(move || {
            let keep = |p: &std::path::Path| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(DocKind::is_candidate)
            };
            roots
                .iter()
                .flat_map(|r| crate::fs::walk(r, keep, |_| {}))
                .collect::<Vec<PathBuf>>()
        })
        .await
        .unwrap_or_default();
        let total = files.len().max(1);
        let mut indexed = 0usize;
        for (i, chunk) in files.chunks(64).enumerate() {
            let s = state.clone();
            let chunk = chunk.to_vec();
            // The file being read, and since when: one that takes past the budget is named
            // in the log and the scan goes on without the rest of its batch.
            let reading = Arc::new(Mutex::new((PathBuf::new(), Instant::now())));
            let r = reading.clone();
            let mut task = tokio::task::spawn_blocking(move || {
                chunk
                    .iter()
                    .filter(|p| {
                        *r.lock().unwrap() = (p.to_path_buf(), Instant::now());
                        s.index_file(p)
                    })
                    .count()
            });
            indexed += loop {
                tokio::select! {
                    done = &mut task => break done.unwrap_or(0),
                    () = tokio::time::sleep(budget::PATIENCE) => {
                        let (path, since) = reading.lock().unwrap().clone();
                        if since.elapsed() > budget::budget() {
                            let unfinished = Unfinished { file: path.display().to_string() };
                            self.client
                                .log_message(MessageType::ERROR, unfinished.message())
                                .await;
                            break 0;
                        }
                    }
                }
            };
            if let Some(p) = &progress {
                let done = ((i + 1) * 64).min(total);
                p.report_with_message(format!("{done}/{total} files"), (done * 100 / total) as u32)
                    .await;
            }
        }
        if let Some(p) = progress {
            p.finish_with_message(format!("{indexed} files indexed"))
                .await;
        }
        self.recheck_all(None);
    }
}

/// Whether the client trusts the workspace: `{"trusted": true}` in `initializationOptions`
/// (also under `vaultlink`), or the `vaultlink/didChangeWorkspaceTrust` notification. Never
/// read from settings: a workspace can carry its own settings, and so could trust itself.
fn trust_option(value: &Value) -> bool {
    [value.get("vaultlink").unwrap_or(&Value::Null), value]
        .iter()
        .any(|v| v.get("trusted").and_then(Value::as_bool) == Some(true))
}

/// `vaultlink/didChangeWorkspaceTrust` `{"trusted": bool}`: the person trusted the workspace
/// (VS Code's `onDidGrantWorkspaceTrust`, Neovim's `:LspVaultlinkTrust`).
pub const TRUST_NOTIFICATION: &str = "vaultlink/didChangeWorkspaceTrust";

impl Server {
    pub async fn did_change_workspace_trust(&self, params: Value) {
        let trusted = trust_option(&params);
        let was = self.publisher.trusted.swap(trusted, Ordering::SeqCst);
        if trusted && !was {
            let publisher = self.publisher.clone();
            tokio::spawn(async move { publisher.sign_in_quietly().await });
        } else if !trusted && was {
            self.state.providers.azure.sign_out().await;
            self.state.providers.aws.sign_out();
            self.publisher.announce_sign_in().await;
            self.recheck_all(None);
        }
    }
}

/// The `initializationOptions` and settings the server reads: `{"env": "dev"}`.
fn env_setting(value: &Value) -> Option<Option<String>> {
    let v = value.get("vaultlink").unwrap_or(value);
    v.get("env")
        .map(|e| e.as_str().filter(|s| !s.is_empty()).map(str::to_string))
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.clone())
            .unwrap_or_default();
        let encoding = if offered.contains(&PositionEncodingKind::UTF8) {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        };
        self.state.set_encoding(convert::encoding_of(&encoding));
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|f| convert::path_of(&f.uri))
            .collect();
        #[allow(deprecated)] // `root_uri` is still what some clients send
        if roots.is_empty()
            && let Some(root) = params.root_uri.as_ref().and_then(convert::path_of)
        {
            roots.push(root);
        }
        self.state.providers.set_workspace(roots.clone());
        *self.state.roots.write().unwrap() = roots;
        let trusted = params
            .initialization_options
            .as_ref()
            .is_some_and(trust_option);
        self.publisher.trusted.store(trusted, Ordering::SeqCst);
        if let Some(env) = params.initialization_options.as_ref().and_then(env_setting) {
            *self.state.env_name.write().unwrap() = env;
        }
        let refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        // Diagnostics of one file change with others (vaultlink.json, environments). A client
        // that pulls but cannot be asked to pull again (Neovim 0.11 has no handler for
        // `workspace/diagnostic/refresh`) would keep stale ones until the file is edited:
        // such a client gets them pushed, and no pull capability is announced to it.
        let pulls = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.diagnostic.as_ref())
            .is_some();
        let pull = PullMode {
            enabled: pulls && refresh,
            refresh,
        };
        *self.publisher.pull.lock().unwrap() = pull;
        *self.progress.lock().unwrap() = params
            .capabilities
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false);
        *self.watch_dynamically.lock().unwrap() = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);

        Ok(InitializeResult {
            offset_encoding: None,
            server_info: Some(ServerInfo {
                name: "vaultlink".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            capabilities: ServerCapabilities {
                position_encoding: Some(encoding),
                text_document_sync: Some(TextDocumentSyncCapability::Options(
                    TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(TextDocumentSyncKind::INCREMENTAL),
                        save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                        ..Default::default()
                    },
                )),
                diagnostic_provider: (pull.enabled || !pulls).then(|| {
                    DiagnosticServerCapabilities::Options(DiagnosticOptions {
                        identifier: Some("vaultlink".into()),
                        inter_file_dependencies: true,
                        workspace_diagnostics: false,
                        work_done_progress_options: Default::default(),
                    })
                }),
                hover_provider: Some(HoverProviderCapability::Simple(true)),
                completion_provider: Some(CompletionOptions {
                    trigger_characters: Some(vec!["{".into(), ":".into(), "\"".into()]),
                    ..Default::default()
                }),
                code_action_provider: Some(CodeActionProviderCapability::Options(
                    CodeActionOptions {
                        code_action_kinds: Some(vec![
                            CodeActionKind::QUICKFIX,
                            CodeActionKind::REFACTOR_REWRITE,
                        ]),
                        ..Default::default()
                    },
                )),
                code_lens_provider: Some(CodeLensOptions {
                    resolve_provider: Some(false),
                }),
                document_symbol_provider: Some(OneOf::Left(true)),
                definition_provider: Some(OneOf::Left(true)),
                references_provider: Some(OneOf::Left(true)),
                rename_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: handlers::COMMANDS.iter().map(|c| c.to_string()).collect(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        if *self.watch_dynamically.lock().unwrap() {
            let watchers = [
                "**/vaultlink.json",
                "**/http-client*.env.json",
                "**/*.postman_environment.json",
                "**/*.{http,rest}",
                "**/.env",
                "**/*.postman_collection.json",
            ]
            .iter()
            .map(|g| FileSystemWatcher {
                glob_pattern: GlobPattern::String(g.to_string()),
                kind: None,
            })
            .collect();
            let registration = Registration {
                id: "vaultlink/watched-files".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                    watchers,
                })
                .ok(),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                self.client
                    .log_message(
                        MessageType::WARNING,
                        format!("vaultlink: file watching unavailable: {e}"),
                    )
                    .await;
            }
        }
        self.scan_workspace().await;
        if self.publisher.trusted.load(Ordering::SeqCst) {
            let publisher = self.publisher.clone();
            tokio::spawn(async move { publisher.sign_in_quietly().await });
        }
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let td = params.text_document;
        let doc = Document::new(td.uri.clone(), td.version, stdio::take_text(td.text));
        let context = Self::is_context_file(doc.kind);
        self.state.put_doc(doc);
        self.schedule_diagnostics(td.uri.clone());
        if context {
            self.recheck_all(Some(&td.uri));
        }
    }

    async fn did_change(&self, mut params: DidChangeTextDocumentParams) {
        stdio::take_texts(&mut params.content_changes);
        let uri = params.text_document.uri;
        let Some(old) = self.state.doc(&uri) else {
            self.client
                .log_message(
                    MessageType::WARNING,
                    format!("vaultlink: a change to {} which is not open", uri.as_str()),
                )
                .await;
            return;
        };
        if params.text_document.version <= old.version {
            self.client
                .log_message(
                    MessageType::WARNING,
                    format!(
                        "vaultlink: ignored a change to {} with an old version",
                        uri.as_str()
                    ),
                )
                .await;
            return;
        }
        let changes = params
            .content_changes
            .into_iter()
            .map(|c| Change {
                range: c
                    .range
                    .map(|r| (convert::line_col(r.start), convert::line_col(r.end))),
                text: c.text,
            })
            .collect();
        let mut text = (*old.text).clone();
        let splice = apply_changes(&mut text, changes, self.state.encoding(), Some(old.index()));
        let doc = Document::edited(&old, params.text_document.version, text, splice);
        let context = Self::is_context_file(doc.kind) || Self::is_context_file(old.kind);
        self.state.put_doc(doc);
        if context {
            self.recheck_all(None);
        } else {
            self.schedule_diagnostics(uri);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.publisher.pulled.lock().unwrap().remove(&uri);
        if let Some(doc) = self.state.remove_doc(&uri) {
            if Self::is_context_file(doc.kind) {
                self.recheck_all(None);
            }
            // The file on disk may say something else than the editor did.
            if let Some(path) = doc.path.clone() {
                self.state.forget(&path);
                if doc.kind.is_some() {
                    // Read off the protocol loop: a file can be slow to read or to parse.
                    let state = self.state.clone();
                    drop(tokio::task::spawn_blocking(move || {
                        if path.is_file() {
                            state.index_file(&path);
                        }
                    }));
                }
            }
        }
        self.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        // A saved `.env`, imported file or script: the documents that read its names.
        if let Some(path) = convert::path_of(&params.text_document.uri)
            && self.state.forget_beside_if_read(&path)
        {
            self.recheck_all(None);
        }
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let state = self.state.clone();
        let changes = params.changes;
        let task = tokio::task::spawn_blocking(move || {
            for change in changes {
                let Some(path) = convert::path_of(&change.uri) else {
                    continue;
                };
                state.forget(&path);
                if change.typ != FileChangeType::DELETED {
                    state.index_file(&path);
                }
            }
        });
        if tokio::time::timeout(budget::budget(), task).await.is_err() {
            self.client
                .log_message(
                    MessageType::ERROR,
                    format!(
                        "vaultlink: reading the changed files took longer than {}; going on without them",
                        budget::budget_text()
                    ),
                )
                .await;
        }
        self.recheck_all(None);
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if let Some(env) = env_setting(&params.settings) {
            *self.state.env_name.write().unwrap() = env;
            self.recheck_all(None);
        }
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri;
        let about = uri.clone();
        let (items, unknown) = self
            .run("textDocument/diagnostic", Some(&about), move |state| {
                let Some(doc) = state.doc(&uri) else {
                    return Ok(Default::default());
                };
                let mut items =
                    handlers::diagnostics(state, &doc).map_err(|u| handlers::over_budget(&u))?;
                let (live, unknown) = handlers::live_diagnostics(state, &doc);
                if !live.is_empty() {
                    Arc::make_mut(&mut items).extend(live);
                }
                Ok((items, unknown))
            })
            .await?;
        self.publisher.fetch_live(unknown);
        // The same diagnostics as the report the client has: it keeps that one.
        let uri = about;
        let mut pulled = self.publisher.pulled.lock().unwrap();
        if let Some((id, last)) = pulled.get(&uri)
            && params.previous_result_id.as_ref() == Some(id)
            && *last == items
        {
            return Ok(DocumentDiagnosticReportResult::Report(
                DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
                    related_documents: None,
                    unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                        result_id: id.clone(),
                    },
                }),
            ));
        }
        static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed).to_string();
        pulled.insert(uri, (id.clone(), items.clone()));
        drop(pulled);
        Ok(DocumentDiagnosticReportResult::Report(
            DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(id),
                    items: Arc::unwrap_or_clone(items),
                },
            }),
        ))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        // Signed out, a hover on a linked secret says how to sign in (no prompt: a hover is
        // no moment to ask).
        let about = p.text_document.uri.clone();
        self.run("textDocument/hover", Some(&about), move |s| {
            handlers::hover(s, &p.text_document.uri, p.position)
        })
        .await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let p = params.text_document_position;
        let about = p.text_document.uri.clone();
        let items = self
            .run("textDocument/completion", Some(&about), move |s| {
                handlers::completion(s, &p.text_document.uri, p.position)
            })
            .await?;
        // Identifiers in vaultlink.json: the secrets in the vaults need Key Vault.
        if let Some(CompletionResponse::Array(list)) = &items
            && list
                .iter()
                .any(|i| i.kind == Some(CompletionItemKind::REFERENCE))
        {
            self.publisher.offer_sign_in();
        }
        Ok(items)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let about = params.text_document.uri.clone();
        self.run("textDocument/codeAction", Some(&about), move |s| {
            handlers::code_actions(s, &params.text_document.uri, params.range)
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let about = params.text_document.uri.clone();
        self.run("textDocument/codeLens", Some(&about), move |s| {
            handlers::code_lens(s, &params.text_document.uri)
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let about = params.text_document.uri.clone();
        self.run("textDocument/documentSymbol", Some(&about), move |s| {
            handlers::document_symbols(s, &params.text_document.uri)
        })
        .await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let about = p.text_document.uri.clone();
        self.run("textDocument/definition", Some(&about), move |s| {
            handlers::definition(s, &p.text_document.uri, p.position)
        })
        .await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let about = p.text_document.uri.clone();
        self.run("textDocument/references", Some(&about), move |s| {
            handlers::references(s, &p.text_document.uri, p.position)
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let new_name = params.new_name;
        let about = p.text_document.uri.clone();
        self.run("textDocument/rename", Some(&about), move |s| {
            handlers::rename(s, &p.text_document.uri, p.position, &new_name)
        })
        .await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        let args = params.arguments.into_iter().next().unwrap_or(Value::Null);
        match params.command.as_str() {
            "vaultlink.linkSecret" | "vaultlink.unlinkSecret" => {
                let link = params.command == "vaultlink.linkSecret";
                let edit = self
                    .run("workspace/executeCommand", None, move |s| {
                        if link {
                            handlers::link_secret_edit(s, &args)
                        } else {
                            handlers::unlink_secret_edit(s, &args)
                        }
                    })
                    .await?;
                let applied = apply_edit(
                    &self.client,
                    edit,
                    MessageType::ERROR,
                    "vaultlink: the editor did not apply the change to vaultlink.json",
                )
                .await;
                Ok(Some(serde_json::json!({ "applied": applied })))
            }
            "vaultlink.showLocation" => {
                let uri = args
                    .get("uri")
                    .and_then(|u| serde_json::from_value::<Uri>(u.clone()).ok());
                let range = args
                    .get("range")
                    .and_then(|r| serde_json::from_value::<Range>(r.clone()).ok());
                let Some(uri) = uri else {
                    return Err(Error::invalid_params("`uri` is required"));
                };
                let shown = self
                    .client
                    .show_document(ShowDocumentParams {
                        uri,
                        external: Some(false),
                        take_focus: Some(true),
                        selection: range,
                    })
                    .await
                    .unwrap_or(false);
                Ok(Some(serde_json::json!({ "shown": shown })))
            }
            other => self.publisher.execute_azure(other, args).await,
        }
    }
}

/// Asks the editor to apply `edit`; tells the person `otherwise` when it does not.
pub(super) async fn apply_edit(
    client: &Client,
    edit: WorkspaceEdit,
    level: MessageType,
    otherwise: impl Into<String>,
) -> bool {
    let applied = client
        .apply_edit(edit)
        .await
        .map(|r| r.applied)
        .unwrap_or(false);
    if !applied {
        client.show_message(level, otherwise.into()).await;
    }
    applied
}
