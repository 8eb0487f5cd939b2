//! The command table: every `workspace/executeCommand` command, declared once with its name,
//! the title it has where the server offers it (a lens, a code action), whether it reaches
//! the network or runs a program (then the workspace must be trusted), and its handler,
//! which decodes its arguments. The server announces the table's names and dispatches
//! through it.

mod create_secret;
mod links;
mod send;
mod sign_in;

use futures::future::BoxFuture;
use serde_json::Value;
use tower_lsp_server::ls_types::{self as lsp, ExecuteCommandParams, MessageType};

use crate::lsp::error::{Error, Result};
use crate::lsp::global::GlobalState;

type Run = fn(GlobalState, Value) -> BoxFuture<'static, Result<Option<Value>>>;

/// One command the server executes.
pub struct Command {
    pub name: &'static str,
    /// The title where the server offers the command itself.
    pub title: Option<&'static str>,
    /// It reaches the network or runs a program: refused until the workspace is trusted.
    pub needs_trust: bool,
    run: Run,
}

impl Command {
    /// The command as a lens or a code action carries it, with its one argument.
    pub fn invocation(&self, args: Value) -> lsp::Command {
        lsp::Command {
            title: self.title.unwrap_or_default().into(),
            command: self.name.into(),
            arguments: Some(vec![args]),
        }
    }
}

pub const LINK_SECRET: Command = Command {
    name: "vaultlink.linkSecret",
    title: None,
    needs_trust: false,
    run: |g, args| Box::pin(links::link_secret(g, args)),
};

pub const UNLINK_SECRET: Command = Command {
    name: "vaultlink.unlinkSecret",
    title: None,
    needs_trust: false,
    run: |g, args| Box::pin(links::unlink_secret(g, args)),
};

pub const SHOW_LOCATION: Command = Command {
    name: "vaultlink.showLocation",
    title: Some("Show"),
    needs_trust: false,
    run: |g, args| Box::pin(links::show_location(g, args)),
};

pub const SIGN_IN: Command = Command {
    name: "vaultlink.signIn",
    title: None,
    needs_trust: true,
    run: |g, args| Box::pin(sign_in::sign_in(g, args)),
};

pub const SIGN_OUT: Command = Command {
    name: "vaultlink.signOut",
    title: None,
    needs_trust: false,
    run: |g, args| Box::pin(sign_in::sign_out(g, args)),
};

pub const REFRESH: Command = Command {
    name: "vaultlink.refresh",
    title: None,
    needs_trust: false,
    run: |g, args| Box::pin(sign_in::refresh(g, args)),
};

/// Behind "Create secret in Key Vault and link it".
pub const CREATE_SECRET: Command = Command {
    name: "vaultlink.createSecret",
    title: Some("Create secret in Key Vault"),
    needs_trust: true,
    run: |g, args| Box::pin(create_secret::create_secret(g, args)),
};

/// `vaultlink.sendRequest` `{"uri", "position"}`, behind the Send lens.
pub const SEND_REQUEST: Command = Command {
    name: "vaultlink.sendRequest",
    title: Some("▶ Send"),
    needs_trust: true,
    run: |g, args| Box::pin(send::send_request(g, args)),
};

/// Every command, in the order the server announces them.
pub static COMMANDS: [&Command; 8] = [
    &LINK_SECRET,
    &UNLINK_SECRET,
    &SHOW_LOCATION,
    &SIGN_IN,
    &SIGN_OUT,
    &REFRESH,
    &CREATE_SECRET,
    &SEND_REQUEST,
];

/// The names `executeCommandProvider` announces.
pub fn names() -> Vec<String> {
    COMMANDS.iter().map(|c| c.name.to_owned()).collect()
}

const UNTRUSTED: &str = "vaultlink: this workspace is not trusted, so vaultlink does not sign in, run the Azure CLI, ask Key Vault or send requests here. Trust the workspace first (VS Code: Manage Workspace Trust; Neovim: :LspVaultlinkTrust)";

/// Runs the command `params` names with its first argument.
pub async fn execute(global: &GlobalState, params: ExecuteCommandParams) -> Result<Option<Value>> {
    let args = params.arguments.into_iter().next().unwrap_or(Value::Null);
    let Some(command) = COMMANDS.iter().find(|c| c.name == params.command) else {
        return Err(Error::invalid(format!(
            "unknown command `{}`",
            params.command
        )));
    };
    if command.needs_trust && !global.is_trusted() {
        global
            .client
            .show_message(MessageType::WARNING, UNTRUSTED)
            .await;
        return Err(Error::failed(UNTRUSTED));
    }
    (command.run)(global.clone(), args).await
}

#[cfg(test)]
mod tests;
