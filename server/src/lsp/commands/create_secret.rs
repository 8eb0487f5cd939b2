//! `vaultlink.createSecret` `{"uri", "version", "name", "ranges", "vaults",
//! "allowedDomains"?}`: stores a literal credential as a new Key Vault secret, then replaces
//! it with the reference and links it, in one edit.

use serde_json::{Value, json};
use tower_lsp_server::ls_types::{self as lsp, MessageActionItem, MessageType, Uri, WorkspaceEdit};

use crate::lsp::commands::links::{LinkArgs, link_secret_edit};
use crate::lsp::error::{Error, Result};
use crate::lsp::from_proto::{self, str_arg};
use crate::lsp::global::GlobalState;
use crate::lsp::snapshot::workspace_edit;
use crate::lsp::state::State;
use crate::lsp::to_proto;
use crate::syntax::refs;
use crate::text::TextRange;
use crate::vault::features::actions;
use crate::vault::identifier::SecretId;

/// The arguments of `vaultlink.createSecret`, checked against the open document.
pub struct CreateSecretArgs {
    pub uri: Uri,
    pub name: String,
    /// The Key Vault secret name (the reference name with `_` and `.` as `-`).
    pub secret: String,
    pub vaults: Vec<String>,
    ranges: Vec<TextRange>,
    domains: Vec<String>,
    version: i32,
}

impl CreateSecretArgs {
    pub fn decode(state: &State, args: &Value) -> Result<CreateSecretArgs> {
        let uri: Uri =
            from_proto::uri_arg(args, "uri").ok_or_else(|| Error::invalid("`uri` is required"))?;
        let name = str_arg(args, "name").ok_or_else(|| Error::invalid("`name` is required"))?;
        if let Some(problem) = refs::name_problem(name) {
            return Err(Error::invalid(format!(
                "`{name}` cannot be a reference name: {problem}"
            )));
        }
        let doc = state
            .doc(&uri)
            .ok_or_else(|| Error::invalid("the document is not open"))?;
        let version = args.get("version").and_then(Value::as_i64).unwrap_or(-1) as i32;
        if version != doc.version {
            return Err(Error::invalid(
                "the document changed since the action was offered; try again",
            ));
        }
        let lines = doc.lines(state.encoding());
        let ranges: Vec<TextRange> = from_proto::typed_arg::<Vec<lsp::Range>>(args, "ranges")
            .unwrap_or_default()
            .into_iter()
            .map(|r| from_proto::text_range(&lines, r))
            .collect();
        if ranges.is_empty() || ranges.iter().any(|r| r.is_empty()) {
            return Err(Error::invalid("`ranges` must name the literal to move"));
        }
        let vaults: Vec<String> = from_proto::strings_arg(args, "vaults")
            .into_iter()
            .filter(|v| SecretId::parse(&format!("{v}/secrets/x")).is_ok())
            .collect();
        if vaults.is_empty() {
            return Err(Error::invalid("`vaults` must name at least one Key Vault"));
        }
        Ok(CreateSecretArgs {
            uri,
            name: name.to_owned(),
            secret: actions::key_vault_name(name),
            vaults,
            ranges,
            domains: from_proto::strings_arg(args, "allowedDomains"),
            version,
        })
    }

    /// The literal to store, read from the open document as it is now.
    pub fn literal(&self, state: &State) -> Result<secrecy::SecretString> {
        let doc = state
            .doc(&self.uri)
            .filter(|d| d.version == self.version)
            .ok_or_else(|| {
                Error::invalid("the document changed since the action was offered; try again")
            })?;
        let text = self.ranges[0].slice(&doc.text);
        if text.is_empty() {
            return Err(Error::invalid("the literal is no longer there"));
        }
        Ok(secrecy::SecretString::from(text.to_owned()))
    }

    /// The edit that replaces the literal with the reference and links the new secret.
    pub fn edit(&self, state: &State, vault: &str) -> Result<WorkspaceEdit> {
        let identifier = format!("{vault}/secrets/{}", self.secret);
        let link = LinkArgs::decode(&json!({
            "name": self.name,
            "identifier": identifier,
            "uri": self.uri.as_str(),
            "allowedDomains": self.domains,
        }))?;
        let link = link_secret_edit(state, &link)?;
        let path = from_proto::path(&self.uri)
            .ok_or_else(|| Error::invalid("the document has no path"))?;
        let doc_edit = workspace_edit(
            state,
            &[actions::reference_edit(&path, &self.ranges, &self.name)],
        )?;
        Ok(to_proto::merged_edit(vec![doc_edit, link]))
    }
}

pub async fn create_secret(global: GlobalState, args: Value) -> Result<Option<Value>> {
    let state = global.state.clone();
    let (parsed, literal) = tokio::task::spawn_blocking(move || {
        let parsed = CreateSecretArgs::decode(&state, &args)?;
        let literal = parsed.literal(&state)?;
        Ok::<_, Error>((parsed, literal))
    })
    .await
    .map_err(|_| Error::failed("could not read the arguments"))??;
    if !global.state.providers.azure.is_signed_in() {
        global
            .sign_in(None, Some(parsed.uri.as_str().to_owned()))
            .await
            .map_err(|e| Error::failed(format!("creating a secret needs Azure: {e}")))?;
    }
    let vault = if parsed.vaults.len() == 1 {
        parsed.vaults[0].clone()
    } else {
        let actions = parsed
            .vaults
            .iter()
            .map(|v| MessageActionItem {
                title: v.clone(),
                properties: Default::default(),
            })
            .collect();
        let choice = global
            .client
            .show_message_request(
                MessageType::INFO,
                format!(
                    "vaultlink: create the secret `{}` in which vault?",
                    parsed.secret
                ),
                Some(actions),
            )
            .await
            .ok()
            .flatten()
            .ok_or_else(|| Error::failed("no vault was chosen; nothing was created"))?;
        if !parsed.vaults.contains(&choice.title) {
            return Err(Error::failed("no vault was chosen; nothing was created"));
        }
        choice.title
    };
    let host = vault.trim_start_matches("https://").to_owned();
    // Creating must never overwrite: a PUT on an existing name would make the literal its
    // current version.
    let id = SecretId::parse(&format!("{vault}/secrets/{}", parsed.secret)).map_err(|_| {
        Error::failed(format!(
            "`{}` is not a Key Vault secret name",
            parsed.secret
        ))
    })?;
    match global.state.providers.azure.versions(&id).await {
        Err(crate::azure::KvError::NotFound { .. }) => {}
        Ok(_) => {
            let message = format!(
                "vaultlink: {vault} already has a secret named `{}`; nothing was created. Link it, or rename the reference first",
                parsed.secret
            );
            return Err(shown(&global, message).await);
        }
        Err(e) => {
            let message = format!(
                "vaultlink: could not check {vault} for `{}`: {e}",
                parsed.secret
            );
            return Err(shown(&global, message).await);
        }
    }
    let created = global
        .state
        .providers
        .azure
        .set_secret(&host, &parsed.secret, &literal, None)
        .await;
    drop(literal);
    let props = match created {
        Ok(p) => p,
        Err(e) => {
            let message = format!(
                "vaultlink: could not create `{}` in {vault}: {e}",
                parsed.secret
            );
            return Err(shown(&global, message).await);
        }
    };
    let state = global.state.clone();
    let v = vault.clone();
    let edit = tokio::task::spawn_blocking(move || parsed.edit(&state, &v))
        .await
        .map_err(|_| Error::failed("could not prepare the edit"))??;
    let applied = global
        .apply_edit(
            edit,
            MessageType::WARNING,
            format!(
                "vaultlink: the secret was created in Key Vault ({}), but the editor did not apply the edit; link it with `vaultlink link`",
                props.id
            ),
        )
        .await;
    Ok(Some(json!({ "applied": applied, "identifier": props.id })))
}

/// Shows `message` as an error in the editor, and makes it the command's failure.
async fn shown(global: &GlobalState, message: String) -> Error {
    global
        .client
        .show_message(MessageType::ERROR, &message)
        .await;
    Error::failed(message)
}
