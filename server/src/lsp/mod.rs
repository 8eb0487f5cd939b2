//! The language server: the only code that knows the protocol. `server` holds the lifecycle
//! and document sync, `handlers` the requests, `convert` the conversions, `state` the open
//! documents and the workspace.

mod azure;
mod budget;
mod convert;
mod handlers;
mod live;
mod send;
pub(crate) mod server;
mod state;
mod stdio;

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
    // Edits are applied before a handler's first await (see `Server::did_change`), so
    // requests may run alongside each other (see `stdio::CONCURRENCY`). The transport checks
    // every message first: one that is not JSON does not end it.
    stdio::serve(service, socket).await;
}
