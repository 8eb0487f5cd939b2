//! What the server and the client can do: what the client's capabilities say (position
//! encodings, pulled diagnostics, progress, file watching) and the server's capabilities,
//! built from them and from the command table.

use tower_lsp_server::ls_types::{
    ClientCapabilities, CodeActionKind, CodeActionOptions, CodeActionProviderCapability,
    CodeLensOptions, CompletionOptions, DiagnosticOptions, DiagnosticServerCapabilities,
    ExecuteCommandOptions, HoverProviderCapability, OneOf, PositionEncodingKind,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

use crate::lsp::commands;
use crate::lsp::global::PullMode;

/// What the client said it can do, as far as the server cares.
pub struct ClientFeatures {
    /// UTF-8 when offered, else UTF-16.
    pub encoding: PositionEncodingKind,
    /// The client pulls diagnostics (`textDocument/diagnostic`).
    pub pulls: bool,
    pub pull: PullMode,
    /// The client can be asked for `workDoneProgress` tokens.
    pub progress: bool,
    /// The client registers file watchers when asked.
    pub watch_dynamically: bool,
}

impl ClientFeatures {
    pub fn of(caps: &ClientCapabilities) -> ClientFeatures {
        let offered = caps
            .general
            .as_ref()
            .and_then(|g| g.position_encodings.clone())
            .unwrap_or_default();
        let encoding = if offered.contains(&PositionEncodingKind::UTF8) {
            PositionEncodingKind::UTF8
        } else {
            PositionEncodingKind::UTF16
        };
        let refresh = caps
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        // Diagnostics of one file change with others (vaultlink.json, environments). A client
        // that pulls but cannot be asked to pull again (Neovim 0.11 has no handler for
        // `workspace/diagnostic/refresh`) would keep stale ones until the file is edited:
        // such a client gets them pushed, and no pull capability is announced to it.
        let pulls = caps
            .text_document
            .as_ref()
            .and_then(|t| t.diagnostic.as_ref())
            .is_some();
        ClientFeatures {
            encoding,
            pulls,
            pull: PullMode {
                enabled: pulls && refresh,
                refresh,
            },
            progress: caps
                .window
                .as_ref()
                .and_then(|w| w.work_done_progress)
                .unwrap_or(false),
            watch_dynamically: caps
                .workspace
                .as_ref()
                .and_then(|w| w.did_change_watched_files.as_ref())
                .and_then(|d| d.dynamic_registration)
                .unwrap_or(false),
        }
    }
}

/// The server's capabilities for a client with `features`.
pub fn server_capabilities(features: &ClientFeatures) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(features.encoding.clone()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        diagnostic_provider: (features.pull.enabled || !features.pulls).then(|| {
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
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::REFACTOR_REWRITE,
            ]),
            ..Default::default()
        })),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: commands::names(),
            ..Default::default()
        }),
        ..Default::default()
    }
}
