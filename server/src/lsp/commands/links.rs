//! `vaultlink.linkSecret` `{"name", "identifier", "uri"?, "allowedDomains"?}` and
//! `vaultlink.unlinkSecret` `{"name", "uri"?}`: the edit to the nearest `vaultlink.json`,
//! applied by the editor; `vaultlink.showLocation` `{"uri", "range"?}`: shows a place.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tower_lsp_server::ls_types::{MessageType, Range, ShowDocumentParams, Uri, WorkspaceEdit};

use crate::lsp::error::{Error, Result};
use crate::lsp::from_proto::{self, str_arg};
use crate::lsp::global::GlobalState;
use crate::lsp::snapshot::{current_text, workspace_edit};
use crate::lsp::state::State;
use crate::syntax::refs;
use crate::text::TextRange;
use crate::vault::features::FileEdit;
use crate::vault::identifier::{IdError, LinkId};
use crate::vault::links::{self, EditError, TextEdit};

/// The arguments of `vaultlink.linkSecret`.
pub struct LinkArgs {
    pub name: String,
    pub identifier: String,
    pub uri: Option<String>,
    pub domains: Vec<String>,
}

impl LinkArgs {
    pub fn decode(args: &Value) -> Result<LinkArgs> {
        let name = str_arg(args, "name").ok_or_else(|| Error::invalid("`name` is required"))?;
        let identifier = str_arg(args, "identifier")
            .ok_or_else(|| Error::invalid("`identifier` is required"))?;
        if let Some(problem) = refs::name_problem(name) {
            return Err(Error::invalid(format!(
                "`{name}` cannot be a reference name: {problem}"
            )));
        }
        match LinkId::parse(identifier) {
            Ok(_) => {}
            Err(IdError::Invalid(why)) if crate::vault::arn::ArnId::claims(identifier) => {
                return Err(Error::invalid(format!(
                    "`{identifier}` is not a Secrets Manager secret: {why}"
                )));
            }
            Err(IdError::Untrusted { host }) => {
                return Err(Error::invalid(format!(
                    "refusing to link `{name}`: `{host}` is not a Key Vault host"
                )));
            }
            Err(IdError::Invalid(why)) => {
                return Err(Error::invalid(format!(
                    "`{identifier}` is not a Key Vault secret identifier: {why}"
                )));
            }
        }
        let domains: Vec<String> = from_proto::strings_arg(args, "allowedDomains")
            .iter()
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        if let Some(problem) = domains.iter().find_map(|d| links::domain_problem(d)) {
            return Err(Error::invalid(problem));
        }
        Ok(LinkArgs {
            name: name.to_owned(),
            identifier: identifier.to_owned(),
            uri: str_arg(args, "uri").map(str::to_owned),
            domains,
        })
    }
}

pub async fn link_secret(global: GlobalState, args: Value) -> Result<Option<Value>> {
    let edit = global
        .run("workspace/executeCommand", None, move |s| {
            link_secret_edit(s, &LinkArgs::decode(&args)?)
        })
        .await?;
    apply(&global, edit).await
}

pub async fn unlink_secret(global: GlobalState, args: Value) -> Result<Option<Value>> {
    let edit = global
        .run("workspace/executeCommand", None, move |s| {
            unlink_secret_edit(s, &args)
        })
        .await?;
    apply(&global, edit).await
}

async fn apply(global: &GlobalState, edit: WorkspaceEdit) -> Result<Option<Value>> {
    let applied = global
        .apply_edit(
            edit,
            MessageType::ERROR,
            "vaultlink: the editor did not apply the change to vaultlink.json",
        )
        .await;
    Ok(Some(json!({ "applied": applied })))
}

pub async fn show_location(global: GlobalState, args: Value) -> Result<Option<Value>> {
    let uri: Option<Uri> = from_proto::typed_arg(&args, "uri");
    let range: Option<Range> = from_proto::typed_arg(&args, "range");
    let Some(uri) = uri else {
        return Err(Error::invalid("`uri` is required"));
    };
    let shown = global
        .client
        .show_document(ShowDocumentParams {
            uri,
            external: Some(false),
            take_focus: Some(true),
            selection: range,
        })
        .await
        .unwrap_or(false);
    Ok(Some(json!({ "shown": shown })))
}

/// The links file a command acts on: the nearest one from the document (or the workspace
/// root), and whether it has to be created.
fn links_target(state: &State, uri: Option<&str>) -> Result<(PathBuf, bool)> {
    let doc_path = uri
        .and_then(|u| u.parse::<Uri>().ok())
        .and_then(|u| from_proto::path(&u));
    let start = doc_path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .or_else(|| state.root_for(None))
        .ok_or_else(|| {
            Error::invalid("no workspace folder and no document: pass the `uri` of a document")
        })?;
    match state.links_path(&start) {
        Some(p) => Ok((p, false)),
        None => {
            let dir = state.root_for(doc_path.as_deref()).unwrap_or(start);
            Ok((dir.join(links::FILE_NAME), true))
        }
    }
}

/// `vaultlink.linkSecret`: the edit to apply to vaultlink.json.
pub fn link_secret_edit(state: &State, args: &LinkArgs) -> Result<WorkspaceEdit> {
    let (path, create) = links_target(state, args.uri.as_deref())?;
    let edit = if create {
        FileEdit {
            path,
            create: true,
            edits: vec![TextEdit {
                range: TextRange::empty(0),
                new_text: links::new_file(&args.name, &args.identifier, &args.domains),
            }],
        }
    } else {
        let (_, text) = current_text(state, &path)
            .ok_or_else(|| Error::invalid(format!("cannot read {}", path.display())))?;
        let edits = links::set_link_edits(&text, &args.name, &args.identifier, &args.domains)
            .map_err(|e| edit_error(&path, e))?;
        FileEdit {
            path,
            create: false,
            edits,
        }
    };
    workspace_edit(state, &[edit])
}

fn edit_error(path: &Path, e: EditError) -> Error {
    match e {
        EditError::NotFound(name) => {
            Error::invalid(format!("`{name}` is not linked in {}", path.display()))
        }
        EditError::Malformed(why) => Error::invalid(format!(
            "{} is not valid JSON: {why}; fix it first",
            path.display()
        )),
    }
}

/// `vaultlink.unlinkSecret`: the edit to apply to vaultlink.json.
fn unlink_secret_edit(state: &State, args: &Value) -> Result<WorkspaceEdit> {
    let name = str_arg(args, "name").ok_or_else(|| Error::invalid("`name` is required"))?;
    let (path, create) = links_target(state, str_arg(args, "uri"))?;
    if create {
        return Err(Error::invalid(format!(
            "no vaultlink.json: `{name}` is not linked"
        )));
    }
    let (_, text) = current_text(state, &path)
        .ok_or_else(|| Error::invalid(format!("cannot read {}", path.display())))?;
    let edits = links::remove_link_edits(&text, name).map_err(|e| edit_error(&path, e))?;
    workspace_edit(
        state,
        &[FileEdit {
            path,
            create: false,
            edits,
        }],
    )
}
