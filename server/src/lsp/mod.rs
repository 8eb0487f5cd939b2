//! The language server: the only code that knows the protocol. `server` dispatches each
//! message to `handlers` (requests and notifications) or the `commands` table; `global`
//! holds the shared state and the background work (pushed diagnostics, re-checks);
//! `diagnostics` is the one computation of a document's diagnostics; `capabilities` what was
//! negotiated; `to_proto`/`from_proto` every conversion; `error` the handlers' one error
//! type; `state` the open documents and the workspace.

mod azure;
mod budget;
mod capabilities;
mod commands;
mod diagnostics;
mod error;
mod from_proto;
mod global;
mod handlers;
mod lines;
mod live;
pub(crate) mod server;
mod snapshot;
mod state;
mod stdio;
mod to_proto;

use tower_lsp_server::LspService;

/// Serves the language server protocol on stdin/stdout until the client says `exit`.
pub async fn run_stdio() {
    budget::init_from_env();
    let (service, socket) = LspService::build(server::Server::new)
        .custom_method(
            server::TRUST_NOTIFICATION,
            server::Server::did_change_workspace_trust,
        )
        .finish();
    // Edits are applied before a handler's first await (see `notification::did_change`), so
    // requests may run alongside each other (see `stdio::CONCURRENCY`). The transport checks
    // every message first: one that is not JSON does not end it.
    stdio::serve(service, socket).await;
}
