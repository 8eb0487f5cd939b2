//! Notification handlers: the documents (open, change, close), the files on disk, the
//! settings and the workspace's trust. A document's text is changed before the handler's
//! first `.await`, so edits never interleave.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use tower_lsp_server::ls_types::{
    DidChangeConfigurationParams, DidChangeTextDocumentParams, DidChangeWatchedFilesParams,
    DidChangeWatchedFilesRegistrationOptions, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, FileChangeType, FileSystemWatcher,
    GlobPattern, MessageType, NumberOrString, Registration,
};

use crate::lsp::budget;
use crate::lsp::from_proto;
use crate::lsp::global::GlobalState;
use crate::lsp::state::{Document, Unfinished};
use crate::lsp::stdio;
use crate::text::{apply_changes, spare};
use crate::vault::document::DocKind;

/// `vaultlink/didChangeWorkspaceTrust` `{"trusted": bool}`: the person trusted the workspace
/// (VS Code's `onDidGrantWorkspaceTrust`, Neovim's `:LspVaultlinkTrust`).
pub const TRUST_NOTIFICATION: &str = "vaultlink/didChangeWorkspaceTrust";

/// Whether the client trusts the workspace: `{"trusted": true}` in `initializationOptions`
/// (also under `vaultlink`), or the `vaultlink/didChangeWorkspaceTrust` notification. Never
/// read from settings: a workspace can carry its own settings, and so could trust itself.
pub fn trust_option(value: &Value) -> bool {
    [value.get("vaultlink").unwrap_or(&Value::Null), value]
        .iter()
        .any(|v| v.get("trusted").and_then(Value::as_bool) == Some(true))
}

/// The `initializationOptions` and settings the server reads: `{"env": "dev"}`.
pub fn env_setting(value: &Value) -> Option<Option<String>> {
    let v = value.get("vaultlink").unwrap_or(value);
    v.get("env")
        .map(|e| e.as_str().filter(|s| !s.is_empty()).map(str::to_string))
}

pub async fn initialized(global: &GlobalState) {
    if *global.watch_dynamically.lock().unwrap() {
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
        if let Err(e) = global.client.register_capability(vec![registration]).await {
            global
                .client
                .log_message(
                    MessageType::WARNING,
                    format!("vaultlink: file watching unavailable: {e}"),
                )
                .await;
        }
    }
    scan_workspace(global).await;
    if global.is_trusted() {
        let global = global.clone();
        tokio::spawn(async move { global.sign_in_quietly().await });
    }
}

pub async fn did_change_workspace_trust(global: &GlobalState, params: Value) {
    let trusted = trust_option(&params);
    let was = global.trusted.swap(trusted, Ordering::SeqCst);
    if trusted && !was {
        let global = global.clone();
        tokio::spawn(async move { global.sign_in_quietly().await });
    } else if !trusted && was {
        global.state.providers.azure.sign_out().await;
        global.state.providers.aws.sign_out();
        global.announce_sign_in().await;
        global.recheck_all(None);
    }
}

pub async fn did_open(global: &GlobalState, params: DidOpenTextDocumentParams) {
    spare::release();
    let td = params.text_document;
    let doc = Document::new(td.uri.clone(), td.version, stdio::take_text(td.text));
    let context = GlobalState::is_context_file(doc.kind);
    global.state.put_doc(doc);
    global.schedule(td.uri.clone());
    if context {
        global.recheck_all(Some(&td.uri));
    }
}

pub async fn did_change(global: &GlobalState, mut params: DidChangeTextDocumentParams) {
    stdio::take_texts(&mut params.content_changes);
    let uri = params.text_document.uri;
    let Some(old) = global.state.doc(&uri) else {
        global
            .client
            .log_message(
                MessageType::WARNING,
                format!("vaultlink: a change to {} which is not open", uri.as_str()),
            )
            .await;
        return;
    };
    if params.text_document.version <= old.version {
        global
            .client
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
    let changes: Vec<_> = params
        .content_changes
        .into_iter()
        .map(from_proto::change)
        .collect();
    // One copy of the old text, with room for what the changes add: a clone has none, and
    // the first insertion would copy it all again. A large text is copied into the buffer of
    // an earlier version when there is one.
    let added: usize = changes.iter().map(|c| c.text.len()).sum();
    let mut text = spare::text(old.text.len() + added);
    text.push_str(&old.text);
    let splice = apply_changes(
        &mut text,
        changes,
        global.state.encoding(),
        Some(old.index()),
    );
    let doc = Document::edited(&old, params.text_document.version, text, splice);
    let context = GlobalState::is_context_file(doc.kind) || GlobalState::is_context_file(old.kind);
    global.state.put_doc(doc);
    if context {
        global.recheck_all(None);
    } else {
        global.schedule(uri);
    }
}

pub async fn did_close(global: &GlobalState, params: DidCloseTextDocumentParams) {
    spare::release();
    let uri = params.text_document.uri;
    global.pulled.lock().unwrap().remove(&uri);
    if let Some(doc) = global.state.remove_doc(&uri) {
        if GlobalState::is_context_file(doc.kind) {
            global.recheck_all(None);
        }
        // The file on disk may say something else than the editor did.
        if let Some(path) = doc.path.clone() {
            global.state.forget(&path);
            if doc.kind.is_some() {
                // Read off the protocol loop: a file can be slow to read or to parse.
                let state = global.state.clone();
                drop(tokio::task::spawn_blocking(move || {
                    if path.is_file() {
                        state.index_file(&path);
                    }
                }));
            }
        }
    }
    global
        .client
        .publish_diagnostics(uri, Vec::new(), None)
        .await;
}

pub async fn did_save(global: &GlobalState, params: DidSaveTextDocumentParams) {
    // A saved `.env`, imported file or script: the documents that read its names.
    if let Some(path) = from_proto::path(&params.text_document.uri)
        && global.state.forget_beside_if_read(&path)
    {
        global.recheck_all(None);
    }
}

pub async fn did_change_watched_files(global: &GlobalState, params: DidChangeWatchedFilesParams) {
    let state = global.state.clone();
    let changes = params.changes;
    let task = tokio::task::spawn_blocking(move || {
        for change in changes {
            let Some(path) = from_proto::path(&change.uri) else {
                continue;
            };
            state.forget(&path);
            if change.typ != FileChangeType::DELETED {
                state.index_file(&path);
            }
        }
    });
    if tokio::time::timeout(budget::budget(), task).await.is_err() {
        global
            .client
            .log_message(
                MessageType::ERROR,
                format!(
                    "vaultlink: reading the changed files took longer than {}; going on without them",
                    budget::budget_text()
                ),
            )
            .await;
    }
    global.recheck_all(None);
}

pub async fn did_change_configuration(global: &GlobalState, params: DidChangeConfigurationParams) {
    if let Some(env) = env_setting(&params.settings) {
        *global.state.env_name.write().unwrap() = env;
        global.recheck_all(None);
    }
}

/// Scans the workspace folders for the files vaultlink reads, with `$/progress`.
async fn scan_workspace(global: &GlobalState) {
    let roots = global.state.roots.read().unwrap().clone();
    if roots.is_empty() {
        return;
    }
    let token = NumberOrString::String("vaultlink/index".into());
    let progress = if *global.progress.lock().unwrap() {
        match global.client.create_work_done_progress(token.clone()).await {
            Ok(()) => Some(
                global
                    .client
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
    let state = global.state.clone();
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
                        global.client
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
    global.recheck_all(None);
}
