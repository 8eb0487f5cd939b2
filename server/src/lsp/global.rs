//! The server's shared state and what it does in the background: the documents (`State`),
//! the client, what was negotiated at `initialize`, pushed diagnostics (coalescing bursts of
//! edits), re-checks when a links or environment file changes, and the blocking thread each
//! request's analysis runs on, within its budget. Cheap to clone into background tasks.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tower_lsp_server::Client;
use tower_lsp_server::ls_types::{Diagnostic, MessageType, Uri, WorkspaceEdit};

use crate::lsp::budget;
use crate::lsp::diagnostics;
use crate::lsp::error::{Error, Result};
use crate::lsp::live;
use crate::lsp::state::{State, Unfinished};
use crate::vault::document::DocKind;
use crate::vault::identifier::LinkId;

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

/// How the client gets diagnostics.
#[derive(Clone, Copy, Default)]
pub struct PullMode {
    /// The client pulls them (`textDocument/diagnostic`): pushing them too would show each
    /// one twice.
    pub enabled: bool,
    /// The client can be asked to pull again (`workspace/diagnostic/refresh`).
    pub refresh: bool,
}

/// A pulled report's `resultId` and its diagnostics.
pub type PulledReport = (String, Arc<Vec<Diagnostic>>);

#[derive(Clone)]
pub struct GlobalState {
    pub client: Client,
    pub state: Arc<State>,
    runs: Arc<Mutex<HashMap<Uri, DiagnosticRuns>>>,
    /// Whether and how the client pulls diagnostics; when it pulls, a refresh is asked for
    /// when a links or environment file changes.
    pub pull: Arc<Mutex<PullMode>>,
    /// Whether sign-in was already offered (once, until the next sign-in or sign-out).
    pub offered_sign_in: Arc<Mutex<bool>>,
    /// Responses of requests sent since the server started, for requests that read them.
    pub responses: crate::lsp::state::Responses,
    /// Whether the client said the workspace is trusted. Until it does, nothing reaches the
    /// network or runs a program: no sign-in at start, no Azure command, no send.
    pub trusted: Arc<AtomicBool>,
    /// The last diagnostics pulled for each document, with their `resultId`: a pull that
    /// names it and finds them unchanged is answered "unchanged".
    pub pulled: Arc<Mutex<HashMap<Uri, PulledReport>>>,
    /// Whether the client can be asked for `workDoneProgress` tokens.
    pub progress: Arc<Mutex<bool>>,
    /// Whether the client registers file watchers when asked.
    pub watch_dynamically: Arc<Mutex<bool>>,
}

impl GlobalState {
    pub fn new(client: Client) -> GlobalState {
        GlobalState {
            client,
            state: Arc::new(State::default()),
            runs: Arc::default(),
            pull: Arc::default(),
            offered_sign_in: Arc::default(),
            responses: Arc::default(),
            trusted: Arc::default(),
            pulled: Arc::default(),
            progress: Arc::default(),
            watch_dynamically: Arc::default(),
        }
    }

    pub fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::SeqCst)
    }

    /// Runs `f` on a blocking thread with the state, for the request `what` about `about`.
    /// A panic in it answers this request with an error; the server lives on. So does an
    /// analysis that runs past the budget: the request is answered with an error, the log
    /// names the file, and the thread's result is dropped when it comes. A request cancelled
    /// before its thread started never starts it.
    pub async fn run<T: Send + 'static>(
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
                return Err(Error::cancelled());
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
                return Err(Error::internal(message));
            }
            Err(_) => {
                let file = about
                    .and_then(|u| self.state.doc(u))
                    .map(|d| d.describe())
                    .or_else(|| about.map(|u| u.as_str().to_owned()))
                    .unwrap_or_else(|| "the workspace".to_owned());
                Err(Error::from(Unfinished { file }))
            }
        };
        if let Err(e) = &result
            && e.is_over_budget()
        {
            self.client
                .log_message(MessageType::ERROR, format!("{} ({what})", e.message))
                .await;
        }
        drop(cancelled);
        result
    }

    /// Whether a file of this kind is read by the analysis of others.
    pub fn is_context_file(kind: Option<DocKind>) -> bool {
        matches!(
            kind,
            Some(DocKind::Links | DocKind::HttpClientEnv { .. } | DocKind::PostmanEnv)
        )
    }

    /// Re-checks every open document (but `except`): a links or environment file changed.
    pub fn recheck_all(&self, except: Option<&Uri>) {
        self.state.bump_generation();
        self.recheck_open(except);
    }

    /// Computes and publishes the diagnostics of `uri`, coalescing bursts of edits. A client
    /// that pulls diagnostics asks for them itself.
    pub fn schedule(&self, uri: Uri) {
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
                this.settle(&uri).await;
                // What arrived until now is in the text read next: only what arrives later
                // asks for one more run.
                let doc = {
                    let mut runs = this.runs.lock().unwrap();
                    let entry = runs.entry(uri.clone()).or_default();
                    entry.again = false;
                    let doc = this.state.doc(&uri);
                    if doc.is_none() {
                        entry.running = false;
                    }
                    doc
                };
                let Some(doc) = doc else {
                    break;
                };
                let s = this.state.clone();
                let d = doc.clone();
                let started = Instant::now();
                // Listening from now on: a newer version may arrive at any moment.
                let notified = newer.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let mut task = tokio::task::spawn_blocking(move || diagnostics::report(&s, &d));
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
                    Some(Ok(Ok(report))) => {
                        this.fetch_live(report.unknown);
                        Some(Arc::unwrap_or_clone(report.items))
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
                // Publish only what belongs to the text that is still open: a document
                // closed and opened again starts at the same version with another text.
                if let Some(diags) = diags
                    && this
                        .state
                        .doc(&uri)
                        .is_some_and(|now| Arc::ptr_eq(&now, &doc))
                {
                    this.client
                        .publish_diagnostics(uri.clone(), diags, Some(doc.version))
                        .await;
                }
                let mut guard = this.runs.lock().unwrap();
                let entry = guard.entry(uri.clone()).or_default();
                if !entry.again {
                    entry.running = false;
                    break;
                }
            }
        });
    }

    /// Lets a burst of edits settle before its diagnostics are computed: waits until no newer
    /// version has arrived for [`budget::SETTLE`], and at most [`budget::MOST_SETTLE`], so
    /// that keystrokes sent back to back (a macro, a paste in pieces, auto-repeat) cost one
    /// analysis and one publication, while typing goes on seeing its warnings.
    async fn settle(&self, uri: &Uri) {
        let started = Instant::now();
        let mut seen = self.state.doc(uri).map(|d| d.version);
        loop {
            tokio::time::sleep(budget::SETTLE).await;
            let now = self.state.doc(uri).map(|d| d.version);
            if now == seen || started.elapsed() >= budget::MOST_SETTLE {
                return;
            }
            seen = now;
        }
    }

    /// Re-checks every open document (but `except`).
    pub fn recheck_open(&self, except: Option<&Uri>) {
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
    pub fn fetch_live(&self, ids: Vec<LinkId>) {
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

    /// Asks the editor to apply `edit`; tells the person `otherwise` when it does not.
    pub async fn apply_edit(
        &self,
        edit: WorkspaceEdit,
        level: MessageType,
        otherwise: impl Into<String>,
    ) -> bool {
        let applied = self
            .client
            .apply_edit(edit)
            .await
            .map(|r| r.applied)
            .unwrap_or(false);
        if !applied {
            self.client.show_message(level, otherwise.into()).await;
        }
        applied
    }
}
