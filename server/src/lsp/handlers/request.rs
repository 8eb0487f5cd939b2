//! Request handlers. Each one's analysis runs on a blocking thread (`GlobalState::run`)
//! with the state, within the budget, and holds no lock while it works.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use serde_json::{Value, json};
use tower_lsp_server::ls_types::{
    self as lsp, CodeActionParams, CodeLensParams, CompletionItemKind, CompletionParams,
    DocumentDiagnosticParams, DocumentDiagnosticReport, DocumentDiagnosticReportResult,
    DocumentSymbolParams, ExecuteCommandParams, FullDocumentDiagnosticReport, GotoDefinitionParams,
    GotoDefinitionResponse, Hover, HoverParams, InitializeParams, InitializeResult, Location,
    Position, ReferenceParams, RelatedFullDocumentDiagnosticReport,
    RelatedUnchangedDocumentDiagnosticReport, RenameParams, ServerInfo,
    UnchangedDocumentDiagnosticReport, Uri, WorkspaceEdit,
};

use crate::lsp::capabilities::{self, ClientFeatures};
use crate::lsp::commands;
use crate::lsp::diagnostics;
use crate::lsp::error::{Error, Result};
use crate::lsp::from_proto;
use crate::lsp::global::GlobalState;
use crate::lsp::handlers::notification::{env_setting, trust_option};
use crate::lsp::lines::Lines;
use crate::lsp::live;
use crate::lsp::snapshot::{Around, current_text, open, workspace_edit};
use crate::lsp::state::{Document, FileData, State};
use crate::lsp::stdio;
use crate::lsp::to_proto;
use crate::syntax::refs;
use crate::text::{LineIndex, TextRange};
use crate::vault::features::{
    World, actions, completion, earlier, hover, lens, navigation, symbols,
};
use crate::vault::links;

pub async fn initialize(
    global: &GlobalState,
    params: InitializeParams,
) -> Result<InitializeResult> {
    let features = ClientFeatures::of(&params.capabilities);
    global
        .state
        .set_encoding(from_proto::encoding(&features.encoding));
    let mut roots: Vec<PathBuf> = params
        .workspace_folders
        .iter()
        .flatten()
        .filter_map(|f| from_proto::path(&f.uri))
        .collect();
    #[allow(deprecated)] // `root_uri` is still what some clients send
    if roots.is_empty()
        && let Some(root) = params.root_uri.as_ref().and_then(from_proto::path)
    {
        roots.push(root);
    }
    global.state.providers.set_workspace(roots.clone());
    *global.state.roots.write().unwrap() = roots;
    let trusted = params
        .initialization_options
        .as_ref()
        .is_some_and(trust_option);
    global.trusted.store(trusted, Ordering::SeqCst);
    if let Some(env) = params.initialization_options.as_ref().and_then(env_setting) {
        *global.state.env_name.write().unwrap() = env;
    }
    *global.pull.lock().unwrap() = features.pull;
    *global.progress.lock().unwrap() = features.progress;
    *global.watch_dynamically.lock().unwrap() = features.watch_dynamically;
    Ok(InitializeResult {
        offset_encoding: None,
        server_info: Some(ServerInfo {
            name: "vaultlink".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        capabilities: capabilities::server_capabilities(&features),
    })
}

/// `textDocument/diagnostic`: the same diagnostics as pushed ones; "unchanged" when the
/// client's report (its `previousResultId`) still holds.
pub async fn diagnostic(
    global: &GlobalState,
    params: DocumentDiagnosticParams,
) -> Result<DocumentDiagnosticReportResult> {
    let uri = params.text_document.uri;
    let about = uri.clone();
    let report = global
        .run("textDocument/diagnostic", Some(&about), move |state| {
            let Some(doc) = state.doc(&uri) else {
                return Ok(None);
            };
            Ok(Some(diagnostics::report(state, &doc)?))
        })
        .await?;
    let (items, unknown) = match report {
        Some(r) => (r.items, r.unknown),
        None => Default::default(),
    };
    global.fetch_live(unknown);
    // The same diagnostics as the report the client has: it keeps that one.
    let uri = about;
    let mut pulled = global.pulled.lock().unwrap();
    if let Some((id, last)) = pulled.get(&uri)
        && params.previous_result_id.as_ref() == Some(id)
        && *last == items
    {
        return Ok(DocumentDiagnosticReportResult::Report(
            DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
                related_documents: None,
                unchanged_document_diagnostic_report: UnchangedDocumentDiagnosticReport {
                    result_id: id.clone(),
                },
            }),
        ));
    }
    static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed).to_string();
    pulled.insert(uri, (id.clone(), items.clone()));
    drop(pulled);
    let full = |items| {
        DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some(id.clone()),
                    items,
                },
            },
        ))
    };
    if items.len() < MANY {
        return Ok(full(Arc::unwrap_or_clone(items)));
    }
    // Many: written from the list the server keeps, neither copied nor made a JSON tree.
    let json = result_json(&FullReport {
        kind: "full",
        result_id: &id,
        items: &items,
    })?;
    Ok(full(vec![lsp::Diagnostic {
        message: stdio::stash_result(json),
        ..lsp::Diagnostic::default()
    }]))
}

/// A full diagnostic report as the protocol writes it, borrowing its items.
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct FullReport<'a> {
    kind: &'static str,
    result_id: &'a str,
    items: &'a [lsp::Diagnostic],
}

/// Signed out, a hover on a linked secret says how to sign in (no prompt: a hover is no
/// moment to ask).
pub async fn hover(global: &GlobalState, params: HoverParams) -> Result<Option<Hover>> {
    let p = params.text_document_position_params;
    let about = p.text_document.uri.clone();
    global
        .run("textDocument/hover", Some(&about), move |s| {
            hover_at(s, &p.text_document.uri, p.position)
        })
        .await
}

fn hover_at(state: &State, uri: &Uri, pos: Position) -> Result<Option<Hover>> {
    let Some(doc) = state.doc(uri) else {
        return Ok(None);
    };
    let lines = doc.lines(state.encoding());
    let offset = from_proto::offset(&lines, pos);
    if let Some(hover) = hover_before_the_parse(state, &doc, offset) {
        return Ok(hover.map(|h| to_proto::hover(&lines, h)));
    }
    let Some(data) = doc.data()? else {
        return Ok(None);
    };
    let around = Around::new(state, &data);
    let envs = around.envs();
    let world = around.world(&envs);
    wait_for_the_secret_at(state, &data, &world, offset);
    Ok(hover::hover(&data.doc(), offset, &world).map(|h| to_proto::hover(&lines, h)))
}

/// A hover that arrives before the edited version is parsed (right after a keystroke),
/// read in the version the edit was made to where the edit cannot change what is read
/// there (see [`earlier`]): it does not wait for the parse, which after an edit that
/// unbalances a large collection's brackets is a parse of the whole file.
fn hover_before_the_parse(
    state: &State,
    doc: &Document,
    offset: u32,
) -> Option<Option<hover::HoverInfo>> {
    let kind = doc.kind?;
    let found = doc
        .with_earlier(|data, splice| earlier::reference(&data.doc(), &doc.text, splice, offset))?;
    let Some(found) = found else {
        return Some(None);
    };
    // The hover of a reference does not list the workspace's names: they are not gathered.
    let around = Around::at(state, doc.path.as_deref(), kind, false);
    let envs = around.envs();
    let world = around.world(&envs);
    wait_for_the_secret(state, &world, None, &found.name);
    Some(hover::hover_of(&found, &world))
}

/// Waits briefly for what its store says about the linked secret at `offset`, when signed
/// in to that store: a person is waiting for the hover or the version actions it decides.
fn wait_for_the_secret_at(state: &State, data: &FileData, world: &World<'_>, offset: u32) {
    if let Some(name) = navigation::name_at(&data.doc(), offset) {
        wait_for_the_secret(state, world, data.links(), &name.name);
    }
}

/// [`wait_for_the_secret_at`] for the secret `name` links to, in the links around or in
/// `own`, the document's own when it is a links file.
fn wait_for_the_secret(
    state: &State,
    world: &World<'_>,
    own: Option<&links::LinksFile>,
    name: &str,
) {
    if let Some(id) = world
        .links
        .and_then(|l| l.file.get(name))
        .or_else(|| own.and_then(|l| l.get(name)))
        .and_then(|l| l.link_id())
        && state.providers.is_signed_in(id.store())
    {
        live::wait_for(live::INTERACTIVE_WAIT, state.providers.versions(id));
    }
}

/// Completion; identifiers in vaultlink.json (the secrets in the vaults) need the stores, so
/// offering them signed out offers to sign in.
pub async fn completion(
    global: &GlobalState,
    params: CompletionParams,
) -> Result<Option<lsp::CompletionResponse>> {
    let p = params.text_document_position;
    let about = p.text_document.uri.clone();
    let items = global
        .run("textDocument/completion", Some(&about), move |s| {
            completion_at(s, &p.text_document.uri, p.position)
        })
        .await?;
    if let Some(lsp::CompletionResponse::Array(list)) = &items
        && list
            .iter()
            .any(|i| i.kind == Some(CompletionItemKind::REFERENCE))
    {
        global.offer_sign_in();
    }
    Ok(items)
}

fn completion_at(
    state: &State,
    uri: &Uri,
    pos: Position,
) -> Result<Option<lsp::CompletionResponse>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let lines = doc.lines(state.encoding());
    let offset = from_proto::offset(&lines, pos);
    let hosts: Vec<_> = live::store_hosts(state, &data)
        .into_iter()
        .filter(|h| state.providers.is_signed_in(h.store()))
        .collect();
    if !hosts.is_empty() {
        live::wait_for(
            live::INTERACTIVE_WAIT,
            live::fetch_names(&state.providers, &hosts),
        );
    }
    let around = Around::new(state, &data);
    let envs = around.envs();
    let world = around.world(&envs);
    let items = completion::completion(&data.doc(), offset, &world)
        .into_iter()
        .map(|c| to_proto::completion_item(&lines, c))
        .collect();
    Ok(to_proto::completion_response(items))
}

pub async fn code_action(
    global: &GlobalState,
    params: CodeActionParams,
) -> Result<Option<lsp::CodeActionResponse>> {
    let about = params.text_document.uri.clone();
    global
        .run("textDocument/codeAction", Some(&about), move |s| {
            code_actions(s, &params.text_document.uri, params.range)
        })
        .await
}

fn code_actions(
    state: &State,
    uri: &Uri,
    range: lsp::Range,
) -> Result<Option<lsp::CodeActionResponse>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let enc = state.encoding();
    let lines = doc.lines(enc);
    let range = from_proto::text_range(&lines, range);
    let around = Around::new(state, &data);
    let envs = around.envs();
    let world = around.world(&envs);
    wait_for_the_secret_at(state, &data, &world, range.start);
    let diags = diagnostics::offline(state, &doc)?;
    let mut out = Vec::new();
    for action in actions::code_actions(&data.doc(), range, &world) {
        let edit = workspace_edit(state, &action.edits)?;
        let command = match &action.create_secret {
            Some(create) => Some(commands::CREATE_SECRET.invocation(json!({
                "uri": uri,
                "version": doc.version,
                "name": create.name,
                "ranges": create
                    .ranges
                    .iter()
                    .map(|r| to_proto::range(&lines, *r))
                    .collect::<Vec<_>>(),
                "allowedDomains": create.domains,
                "vaults": create.vaults,
            }))),
            None => action.show.as_ref().and_then(|show| {
                // The edit changes the file: find the position in its text after the edit.
                let (_, before) =
                    current_text(state, &show.path).unwrap_or((None, Arc::new(String::new())));
                let after = action
                    .edits
                    .iter()
                    .find(|e| e.path == show.path)
                    .map(|e| links::apply_edits(&before, &e.edits))
                    .unwrap_or_else(|| (*before).clone());
                let index = LineIndex::new(&after);
                let lines = Lines {
                    text: &after,
                    index: &index,
                    enc,
                };
                Some(commands::SHOW_LOCATION.invocation(json!({
                    "uri": to_proto::uri(&show.path)?,
                    "range": to_proto::range(&lines, show.range),
                })))
            }),
        };
        let fixes: Vec<lsp::Diagnostic> = action
            .fixes
            .map(|code| {
                diags
                    .iter()
                    .filter(|d| {
                        let r = from_proto::text_range(&lines, d.range);
                        to_proto::has_code(d, code) && r.start <= range.end && range.start <= r.end
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.push(to_proto::code_action(action, edit, fixes, command));
    }
    Ok(Some(out))
}

/// Results with at least this many items are serialized by their handler (on its analysis
/// thread, for symbols and lenses) and written by the transport as they are (see
/// [`stdio::stash_result`]).
const MANY: usize = 1000;

/// The JSON of a result, for [`stdio::stash_result`].
fn result_json(result: &impl serde::Serialize) -> Result<Vec<u8>> {
    serde_json::to_vec(result).map_err(|e| Error::internal(format!("cannot write the result: {e}")))
}

/// The items of a result, or their JSON when they are many.
enum Items<T> {
    Few(Vec<T>),
    Many(Vec<u8>),
}

impl<T: serde::Serialize> Items<T> {
    fn new(items: Vec<T>) -> Result<Items<T>> {
        if items.len() < MANY {
            return Ok(Items::Few(items));
        }
        result_json(&items).map(Items::Many)
    }

    /// The items to answer with: for many, one made by `stand_in` from the marker of their
    /// JSON, which the transport writes in place of the answer's result. Stashed here, on
    /// the way out, so that a request given up while it ran leaves nothing behind.
    fn answer(self, stand_in: impl FnOnce(String) -> T) -> Vec<T> {
        match self {
            Items::Few(items) => items,
            Items::Many(json) => vec![stand_in(stdio::stash_result(json))],
        }
    }
}

pub async fn code_lens(
    global: &GlobalState,
    params: CodeLensParams,
) -> Result<Option<Vec<lsp::CodeLens>>> {
    let about = params.text_document.uri.clone();
    let lenses = global
        .run("textDocument/codeLens", Some(&about), move |s| {
            code_lenses(s, &params.text_document.uri)?
                .map(Items::new)
                .transpose()
        })
        .await?;
    Ok(lenses.map(|l| {
        l.answer(|marker| {
            to_proto::command_lens(
                lsp::Range::default(),
                lsp::Command {
                    title: marker,
                    command: String::new(),
                    arguments: None,
                },
            )
        })
    }))
}

fn code_lenses(state: &State, uri: &Uri) -> Result<Option<Vec<lsp::CodeLens>>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let lines = doc.lines(state.encoding());
    let around = Around::new(state, &data);
    let envs = around.envs();
    let world = around.world(&envs);
    let sends: Vec<lsp::CodeLens> = crate::send::requests(&data.text, &data.parsed)
        .into_iter()
        .map(|l| {
            let range = to_proto::range(&lines, l.anchor);
            to_proto::command_lens(
                range,
                commands::SEND_REQUEST.invocation(json!({ "uri": uri, "position": range.start })),
            )
        })
        .collect();
    // Editors order the lenses of a line by where they start: the secrets' lens takes the
    // range of the Send lens on its line, so that it reads `1 linked | ▶ Send` in request
    // files and collections alike. The first Send lens of each line counts.
    let mut send_on_line = HashMap::with_capacity(sends.len());
    for s in &sends {
        send_on_line.entry(s.range.start.line).or_insert(s.range);
    }
    let on_line = |range: lsp::Range| {
        send_on_line
            .get(&range.start.line)
            .copied()
            .unwrap_or(range)
    };
    let mut out: Vec<lsp::CodeLens> = lens::code_lenses(&data.doc(), &world)
        .into_iter()
        .map(|l| to_proto::code_lens(on_line(to_proto::range(&lines, l.range)), l))
        .collect();
    out.extend(sends);
    Ok(Some(out))
}

pub async fn document_symbol(
    global: &GlobalState,
    params: DocumentSymbolParams,
) -> Result<Option<lsp::DocumentSymbolResponse>> {
    let about = params.text_document.uri.clone();
    let symbols = global
        .run("textDocument/documentSymbol", Some(&about), move |s| {
            document_symbols(s, &params.text_document.uri)?
                .map(Items::new)
                .transpose()
        })
        .await?;
    Ok(symbols.map(|s| {
        lsp::DocumentSymbolResponse::Nested(s.answer(|marker| {
            #[allow(deprecated)] // `deprecated` is a field every literal must name.
            lsp::DocumentSymbol {
                name: marker,
                detail: None,
                kind: lsp::SymbolKind::NULL,
                tags: None,
                deprecated: None,
                range: lsp::Range::default(),
                selection_range: lsp::Range::default(),
                children: None,
            }
        }))
    }))
}

fn document_symbols(state: &State, uri: &Uri) -> Result<Option<Vec<lsp::DocumentSymbol>>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let lines = doc.lines(state.encoding());
    Ok(Some(
        symbols::symbols(&data.doc())
            .into_iter()
            .map(|s| to_proto::document_symbol(&lines, s))
            .collect(),
    ))
}

/// A location in a file that may not be open: its text is read to place the range.
fn location(state: &State, path: &Path, range: TextRange) -> Option<Location> {
    let uri = to_proto::uri(path)?;
    let data = state.file(path);
    let (text, index) = match &data {
        Some(d) => (d.text.clone(), LineIndex::new(&d.text)),
        None => {
            let (_, t) = current_text(state, path)?;
            let index = LineIndex::new(&t);
            (t, index)
        }
    };
    let lines = Lines {
        text: &text,
        index: &index,
        enc: state.encoding(),
    };
    Some(to_proto::location(&lines, uri, range))
}

pub async fn definition(
    global: &GlobalState,
    params: GotoDefinitionParams,
) -> Result<Option<GotoDefinitionResponse>> {
    let p = params.text_document_position_params;
    let about = p.text_document.uri.clone();
    global
        .run("textDocument/definition", Some(&about), move |s| {
            definition_at(s, &p.text_document.uri, p.position)
        })
        .await
}

fn definition_at(
    state: &State,
    uri: &Uri,
    pos: Position,
) -> Result<Option<GotoDefinitionResponse>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let offset = from_proto::offset(&doc.lines(state.encoding()), pos);
    let around = Around::new(state, &data);
    let envs = around.envs();
    let world = around.world(&envs);
    let Some(target) = navigation::definition(&data.doc(), offset, &world) else {
        return Ok(None);
    };
    Ok(location(state, &target.path, target.range).map(GotoDefinitionResponse::Scalar))
}

/// The uses of one vault name in one file: its URI, its text and the name ranges.
type FileUses = (Uri, Arc<String>, Vec<TextRange>);

/// Every use of the vault name at `pos` across the workspace.
fn uses_of_name_at(
    state: &State,
    uri: &Uri,
    pos: Position,
) -> Result<Option<(String, Vec<FileUses>)>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let offset = from_proto::offset(&doc.lines(state.encoding()), pos);
    let Some(name) = navigation::name_at(&data.doc(), offset).map(|n| n.name) else {
        return Ok(None);
    };
    let out = state
        .name_uses(&name)
        .into_iter()
        .filter_map(|f| {
            let file_uri = f
                .uri
                .or_else(|| f.path.as_deref().and_then(to_proto::uri))?;
            Some((file_uri, f.text, f.ranges))
        })
        .collect();
    Ok(Some((name, out)))
}

pub async fn references(
    global: &GlobalState,
    params: ReferenceParams,
) -> Result<Option<Vec<Location>>> {
    let p = params.text_document_position;
    let about = p.text_document.uri.clone();
    global
        .run("textDocument/references", Some(&about), move |s| {
            references_at(s, &p.text_document.uri, p.position)
        })
        .await
}

fn references_at(state: &State, uri: &Uri, pos: Position) -> Result<Option<Vec<Location>>> {
    let Some((_, files)) = uses_of_name_at(state, uri, pos)? else {
        return Ok(None);
    };
    let enc = state.encoding();
    let mut out = Vec::new();
    for (file_uri, text, ranges) in files {
        let index = LineIndex::new(&text);
        let lines = Lines {
            text: &text,
            index: &index,
            enc,
        };
        out.extend(
            ranges
                .into_iter()
                .map(|r| to_proto::location(&lines, file_uri.clone(), r)),
        );
    }
    Ok(Some(out))
}

pub async fn rename(global: &GlobalState, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let p = params.text_document_position;
    let new_name = params.new_name;
    let about = p.text_document.uri.clone();
    global
        .run("textDocument/rename", Some(&about), move |s| {
            rename_at(s, &p.text_document.uri, p.position, &new_name)
        })
        .await
}

fn rename_at(
    state: &State,
    uri: &Uri,
    pos: Position,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>> {
    if let Some(problem) = refs::name_problem(new_name) {
        return Err(Error::invalid(format!(
            "`{new_name}` cannot be a vault reference name: {problem}"
        )));
    }
    let Some((_, files)) = uses_of_name_at(state, uri, pos)? else {
        return Ok(None);
    };
    let enc = state.encoding();
    let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for (file_uri, text, ranges) in files {
        let index = LineIndex::new(&text);
        let lines = Lines {
            text: &text,
            index: &index,
            enc,
        };
        // A name in JSON (collections, vaultlink.json) is written as a JSON string.
        let is_json = file_uri
            .path()
            .as_str()
            .to_ascii_lowercase()
            .ends_with(".json");
        let new_text = if is_json {
            let quoted = serde_json::to_string(new_name).unwrap_or_default();
            quoted[1..quoted.len() - 1].to_string()
        } else {
            new_name.to_string()
        };
        changes.entry(file_uri).or_default().extend(
            ranges
                .into_iter()
                .map(|r| to_proto::replacement(&lines, r, new_text.clone())),
        );
    }
    Ok(Some(to_proto::rename_edit(changes)))
}

pub async fn execute_command(
    global: &GlobalState,
    params: ExecuteCommandParams,
) -> Result<Option<Value>> {
    commands::execute(global, params).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hover right after an edit in another item of a collection is read in the version
    /// before the edit, which leaves the edited one unparsed, and is what its parse answers.
    /// After an edit that ends a string early, which can end the items with it, it waits
    /// for the parse.
    #[test]
    fn a_hover_right_after_an_edit_elsewhere_leaves_it_unparsed() {
        let state = State::default();
        let uri: Uri = "file:///project/api.postman_collection.json"
            .parse()
            .unwrap();
        let text = r#"{"item": [
{"name": "a", "request": {"url": "https://a.test", "body": {"mode": "raw", "raw": "{\"k\": [\"v\"]}"}}},
{"name": "b", "request": {"url": "https://b.test/{{vault:api-token}}"}}
]}"#;
        let first = Document::new(uri.clone(), 1, text.to_owned());
        first.data().unwrap();
        state.put_doc(first);
        let position = |text: &str, at: usize| {
            let line = text[..at].matches('\n').count() as u32;
            let col = at - text[..at].rfind('\n').map_or(0, |n| n + 1);
            Position::new(line, col as u32)
        };
        fn json<T: serde::Serialize>(v: &T) -> String {
            serde_json::to_string(v).unwrap()
        }
        for (edit_at, read_before) in [
            (text.find("a.test").unwrap(), true),
            (text.find(r#"v\""#).unwrap() + 2, false),
        ] {
            let old = state.doc(&uri).unwrap();
            let mut new = (*old.text).clone();
            new.insert(edit_at, 'x');
            let splice = crate::text::Splice {
                start: edit_at,
                old_end: edit_at,
                new_end: edit_at + 1,
            };
            state.put_doc(Document::edited(
                &old,
                old.version + 1,
                new.clone(),
                Some(splice),
            ));
            let doc = state.doc(&uri).unwrap();
            let name = new.find("{{vault:").unwrap() + "{{vault:".len();
            let hover = hover_at(&state, &uri, position(&new, name + 1)).unwrap();
            assert_eq!(doc.is_parsed(), !read_before, "after an edit at {edit_at}");
            doc.data().unwrap();
            let parsed_hover = hover_at(&state, &uri, position(&new, name + 1)).unwrap();
            assert_eq!(json(&hover), json(&parsed_hover));
            assert_eq!(hover.is_some(), read_before, "{new}");
            // Back to the text as it was, parsed.
            state.put_doc(Document::new(uri.clone(), doc.version + 1, text.to_owned()));
            state.doc(&uri).unwrap().data().unwrap();
        }
    }

    /// Many items are written as the server framework writes a result: through a JSON tree,
    /// which keeps the order of the fields and leaves out those that are absent.
    #[test]
    fn many_items_are_the_json_the_framework_writes() {
        let lenses: Vec<lsp::CodeLens> = (0..MANY as u32)
            .map(|n| {
                to_proto::command_lens(
                    lsp::Range::new(lsp::Position::new(n, 0), lsp::Position::new(n, 4)),
                    lsp::Command {
                        title: format!("▶ Send \"{n}\""),
                        command: "vaultlink.sendRequest".into(),
                        arguments: Some(vec![json!({ "uri": "file:///a.http", "line": n })]),
                    },
                )
            })
            .collect();
        let framework = serde_json::to_string(&serde_json::to_value(&lenses).unwrap()).unwrap();
        let Items::Many(json) = Items::new(lenses).unwrap() else {
            panic!("{MANY} items are many");
        };
        assert_eq!(String::from_utf8(json).unwrap(), framework);
        assert!(matches!(
            Items::new(vec![0; MANY - 1]).unwrap(),
            Items::Few(l) if l.len() == MANY - 1
        ));
    }

    /// A full diagnostic report written from borrowed items reads as the framework writes
    /// the protocol's report.
    #[test]
    fn a_full_report_is_the_json_the_framework_writes() {
        let items: Vec<lsp::Diagnostic> = (0..3)
            .map(|n| lsp::Diagnostic {
                range: lsp::Range::new(lsp::Position::new(n, 1), lsp::Position::new(n, 9)),
                severity: Some(lsp::DiagnosticSeverity::WARNING),
                code: Some(lsp::NumberOrString::String("unlinked-secret".into())),
                source: Some("vaultlink".into()),
                message: format!("`s{n}` \"is\" not linked"),
                ..lsp::Diagnostic::default()
            })
            .collect();
        let report = DocumentDiagnosticReportResult::Report(DocumentDiagnosticReport::Full(
            RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: FullDocumentDiagnosticReport {
                    result_id: Some("42".into()),
                    items: items.clone(),
                },
            },
        ));
        let framework = serde_json::to_string(&serde_json::to_value(&report).unwrap()).unwrap();
        let ours = serde_json::to_string(&FullReport {
            kind: "full",
            result_id: "42",
            items: &items,
        })
        .unwrap();
        assert_eq!(ours, framework);
    }
}
