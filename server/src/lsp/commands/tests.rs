//! The command table: what the server announces, and where each entry dispatches.

use expect_test::expect;
use serde_json::{Value, json};
use tower_lsp_server::LspService;
use tower_lsp_server::ls_types::{ClientCapabilities, ExecuteCommandParams};

use super::*;
use crate::lsp::capabilities::{ClientFeatures, server_capabilities};
use crate::lsp::server::Server;

/// A server's state with a client that is not initialized: requests to it fail at once and
/// notifications are dropped, so commands run up to the point where they would reach out.
fn global() -> GlobalState {
    let mut global = None;
    let (_service, _socket) = LspService::new(|client| {
        global = Some(GlobalState::new(client.clone()));
        Server::new(client)
    });
    global.unwrap()
}

async fn run(global: &GlobalState, command: &str, args: Value) -> String {
    let params = ExecuteCommandParams {
        command: command.to_owned(),
        arguments: vec![args],
        work_done_progress_params: Default::default(),
    };
    match execute(global, params).await {
        Ok(answer) => format!("{command}: ok {}", answer.unwrap_or_default()),
        Err(e) => format!("{command}: {:?} {}", e.kind, e.message),
    }
}

#[test]
fn the_server_announces_the_table() {
    let caps = server_capabilities(&ClientFeatures::of(&ClientCapabilities::default()));
    let announced = caps.execute_command_provider.unwrap().commands;
    let table: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
    assert_eq!(announced, table);
    let mut unique = table.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), table.len(), "{table:?}");
    expect![[r#"
        vaultlink.linkSecret
        vaultlink.unlinkSecret
        vaultlink.showLocation (Show)
        vaultlink.signIn, needs trust
        vaultlink.signOut
        vaultlink.refresh
        vaultlink.createSecret (Create secret in Key Vault), needs trust
        vaultlink.sendRequest (▶ Send), needs trust
    "#]]
    .assert_eq(
        &COMMANDS
            .iter()
            .map(|c| {
                let title = c.title.map(|t| format!(" ({t})")).unwrap_or_default();
                let trust = if c.needs_trust { ", needs trust" } else { "" };
                format!("{}{title}{trust}\n", c.name)
            })
            .collect::<String>(),
    );
}

/// Every entry reaches its own handler: with arguments that are missing, each answers what
/// its own decoding says (or its own result, for commands that need none), and the commands
/// that reach out are refused until the workspace is trusted.
#[tokio::test]
async fn every_command_dispatches() {
    let global = global();
    let mut out = String::new();
    for command in COMMANDS {
        out.push_str(&run(&global, command.name, json!({})).await);
        out.push('\n');
    }
    out.push_str(&run(&global, "vaultlink.nothing", json!({})).await);
    out.push('\n');
    global
        .trusted
        .store(true, std::sync::atomic::Ordering::SeqCst);
    for (command, args) in [
        (&SIGN_IN, json!({ "method": "carrier-pigeon" })),
        (&CREATE_SECRET, json!({})),
        (&SEND_REQUEST, json!({})),
    ] {
        out.push_str(&run(&global, command.name, args).await);
        out.push('\n');
    }
    expect![[r#"
        vaultlink.linkSecret: InvalidParams `name` is required
        vaultlink.unlinkSecret: InvalidParams `name` is required
        vaultlink.showLocation: InvalidParams `uri` is required
        vaultlink.signIn: Failed vaultlink: this workspace is not trusted, so vaultlink does not sign in, run the Azure CLI, ask Key Vault or send requests here. Trust the workspace first (VS Code: Manage Workspace Trust; Neovim: :LspVaultlinkTrust)
        vaultlink.signOut: ok {"signedIn":false}
        vaultlink.refresh: ok {"refreshed":true}
        vaultlink.createSecret: Failed vaultlink: this workspace is not trusted, so vaultlink does not sign in, run the Azure CLI, ask Key Vault or send requests here. Trust the workspace first (VS Code: Manage Workspace Trust; Neovim: :LspVaultlinkTrust)
        vaultlink.sendRequest: Failed vaultlink: this workspace is not trusted, so vaultlink does not sign in, run the Azure CLI, ask Key Vault or send requests here. Trust the workspace first (VS Code: Manage Workspace Trust; Neovim: :LspVaultlinkTrust)
        vaultlink.nothing: InvalidParams unknown command `vaultlink.nothing`
        vaultlink.signIn: InvalidParams unknown sign-in method `carrier-pigeon`: use browser, device-code, azure-cli or environment
        vaultlink.createSecret: InvalidParams `uri` is required
        vaultlink.sendRequest: Failed `uri` is required
    "#]]
    .assert_eq(&out);
}
