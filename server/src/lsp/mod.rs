//! The language server: the only code that knows the protocol. `server` holds the lifecycle
//! and document sync, `handlers` the requests, `convert` the conversions, `state` the open
//! documents and the workspace.

mod convert;
mod handlers;
mod server;
mod state;

use tower_lsp_server::{LspService, Server};

/// Serves the language server protocol on stdin/stdout until the client says `exit`.
pub async fn run_stdio() {
    let (service, socket) = LspService::new(server::Server::new);
    // Edits are applied before a handler's first await (see `Server::did_change`), so
    // requests may run alongside each other; four at a time is tower-lsp's default, kept.
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket)
        .serve(service)
        .await;
}
