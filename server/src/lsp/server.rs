//! The `LanguageServer` implementation: dispatch only. Each method is one call into
//! `handlers` (requests on a blocking thread within the budget, notifications in order),
//! whose errors become the protocol's here.

use serde_json::Value;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::lsp::global::GlobalState;
use crate::lsp::handlers::{notification, request};

pub use crate::lsp::handlers::notification::TRUST_NOTIFICATION;

pub struct Server {
    global: GlobalState,
}

impl Server {
    pub fn new(client: Client) -> Server {
        Server {
            global: GlobalState::new(client),
        }
    }

    /// `vaultlink/didChangeWorkspaceTrust`.
    pub async fn did_change_workspace_trust(&self, params: Value) {
        notification::did_change_workspace_trust(&self.global, params).await
    }
}

impl LanguageServer for Server {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        Ok(request::initialize(&self.global, params).await?)
    }

    async fn initialized(&self, _: InitializedParams) {
        notification::initialized(&self.global).await
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        notification::did_open(&self.global, params).await
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        notification::did_change(&self.global, params).await
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        notification::did_close(&self.global, params).await
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        notification::did_save(&self.global, params).await
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        notification::did_change_watched_files(&self.global, params).await
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        notification::did_change_configuration(&self.global, params).await
    }

    async fn diagnostic(
        &self,
        params: DocumentDiagnosticParams,
    ) -> Result<DocumentDiagnosticReportResult> {
        Ok(request::diagnostic(&self.global, params).await?)
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        Ok(request::hover(&self.global, params).await?)
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        Ok(request::completion(&self.global, params).await?)
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        Ok(request::code_action(&self.global, params).await?)
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        Ok(request::code_lens(&self.global, params).await?)
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        Ok(request::document_symbol(&self.global, params).await?)
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        Ok(request::definition(&self.global, params).await?)
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        Ok(request::references(&self.global, params).await?)
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        Ok(request::rename(&self.global, params).await?)
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<LSPAny>> {
        Ok(request::execute_command(&self.global, params).await?)
    }
}
