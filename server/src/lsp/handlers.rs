//! Request handlers: protocol in, a pure query of `vault::features` or the analysis,
//! protocol out. Each runs on a snapshot of the state and holds no lock while it works.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    self as lsp, CodeActionKind, CodeActionOrCommand, CompletionItem, CompletionItemKind,
    CompletionTextEdit, CreateFile, DocumentChangeOperation, DocumentChanges, DocumentSymbol,
    GotoDefinitionResponse, Hover, HoverContents, Location, MarkupContent, MarkupKind, OneOf,
    OptionalVersionedTextDocumentIdentifier, Position, ResourceOp, TextDocumentEdit, Uri,
    WorkspaceEdit,
};

use crate::lsp::convert::{self, Lines};
use crate::lsp::live;
use crate::lsp::state::{Document, FileData, State, Unfinished};
use crate::syntax::refs;
use crate::text::{LineIndex, TextRange};
use crate::vault::features::actions::{self, ActionKind};
use crate::vault::features::completion::{self, CompletionKind};
use crate::vault::features::symbols::{self, SymbolKind};
use crate::vault::features::{FileEdit, hover, lens, navigation};
use crate::vault::identifier::{IdError, LinkId, SecretId, Store};
use crate::vault::links::{self, EditError, TextEdit};

/// The commands this server executes.
pub const COMMANDS: [&str; 8] = [
    "vaultlink.linkSecret",
    "vaultlink.unlinkSecret",
    "vaultlink.showLocation",
    "vaultlink.signIn",
    "vaultlink.signOut",
    "vaultlink.refresh",
    CREATE_SECRET,
    SEND_REQUEST,
];

/// `vaultlink.sendRequest` `{"uri", "position"}`.
pub const SEND_REQUEST: &str = "vaultlink.sendRequest";

/// The command behind "Create secret in Key Vault and link it".
pub const CREATE_SECRET: &str = "vaultlink.createSecret";

fn invalid(message: impl Into<String>) -> Error {
    Error {
        code: tower_lsp_server::jsonrpc::ErrorCode::InvalidParams,
        message: message.into().into(),
        data: None,
    }
}

/// An open document and its parse, or why there is none: unknown documents answer empty,
/// and a document whose parse runs past the budget answers an error.
fn open(state: &State, uri: &Uri) -> Result<Option<(Arc<Document>, Arc<FileData>)>> {
    let Some(doc) = state.doc(uri) else {
        return Ok(None);
    };
    match doc.data() {
        Ok(Some(data)) => Ok(Some((doc, data))),
        Ok(None) => Ok(None),
        Err(unfinished) => Err(over_budget(&unfinished)),
    }
}

/// The answer to a request whose analysis ran past the budget; its `data` names the file.
pub fn over_budget(unfinished: &Unfinished) -> Error {
    Error {
        code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(-32803),
        message: unfinished.message().into(),
        data: Some(serde_json::json!({ "overBudget": unfinished.file })),
    }
}

/// What applies to a document, held while a feature runs: its links and environment
/// files and the chosen environment.
struct Around {
    surroundings: crate::lsp::state::Surroundings,
    env_name: Option<String>,
    providers: crate::providers::Providers,
}

impl Around {
    fn new(state: &State, data: &FileData) -> Around {
        Around {
            surroundings: state.surroundings(data.path.as_deref(), data.kind, true),
            env_name: state.env_name.read().unwrap().clone(),
            providers: state.providers.clone(),
        }
    }

    fn envs(&self) -> Vec<crate::vault::features::EnvFileSource<'_>> {
        self.surroundings.env_file_sources()
    }

    fn world<'a>(
        &'a self,
        envs: &'a [crate::vault::features::EnvFileSource<'a>],
    ) -> crate::vault::features::World<'a> {
        let mut world = self.surroundings.world(envs, self.env_name.as_deref());
        world.keyvault = Some(&self.providers);
        world
    }
}

/// Diagnostics of an open document, computed once per version and context generation.
pub fn diagnostics(
    state: &State,
    doc: &Document,
) -> std::result::Result<Arc<Vec<lsp::Diagnostic>>, Unfinished> {
    let generation = state.generation();
    if let Some((g, d)) = &*doc.diagnostics.lock().unwrap()
        && *g == generation
    {
        return Ok(d.clone());
    }
    let Some(data) = doc.data()? else {
        return Ok(Arc::new(Vec::new()));
    };
    let mut around = state.surroundings(data.path.as_deref(), data.kind, false);
    around.envs.extend(state.names_beside(&data));
    let envs = around.env_sources();
    let env_name = state.env_name.read().unwrap().clone();
    let ctx = around.context(&envs, env_name.as_deref());
    let findings = doc.findings(&data, generation, &ctx);
    let lines = doc.lines(state.encoding());
    let diags: Arc<Vec<lsp::Diagnostic>> = Arc::new(
        findings
            .iter()
            .map(|f| convert::diagnostic(&lines, f))
            .collect(),
    );
    *doc.diagnostics.lock().unwrap() = Some((generation, diags.clone()));
    Ok(diags)
}

/// The names an `.http` document gets when a request runs, or from `.env`.
fn runtime_names(data: &FileData) -> Vec<String> {
    match (data.path.as_deref().and_then(Path::parent), &data.parsed) {
        (Some(dir), crate::vault::document::Parsed::Http(file)) => {
            crate::workspace::runtime_names(dir, &data.text, file)
        }
        _ => Vec::new(),
    }
}

/// What the stores' cached answers say about an open document, and the linked secrets with
/// no answer yet (to fetch in the background). Nothing from a store vaultlink cannot ask.
pub fn live_diagnostics(state: &State, doc: &Document) -> (Vec<lsp::Diagnostic>, Vec<LinkId>) {
    if !state.providers.is_signed_in(Store::KeyVault)
        && !state.providers.is_signed_in(Store::SecretsManager)
    {
        return (Vec::new(), Vec::new());
    }
    let Ok(Some(data)) = doc.data() else {
        return (Vec::new(), Vec::new());
    };
    let generation = state.generation();
    let cached = doc
        .linked_uses
        .lock()
        .unwrap()
        .as_ref()
        .filter(|(g, _)| *g == generation)
        .map(|(_, u)| u.clone());
    let uses = cached.unwrap_or_else(|| {
        let uses = Arc::new(live::linked_uses(state, &data));
        *doc.linked_uses.lock().unwrap() = Some((generation, uses.clone()));
        uses
    });
    if uses.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let now = jiff::Timestamp::now().as_second();
    let uses: Vec<_> = uses
        .iter()
        .filter(|u| state.providers.is_signed_in(u.id.store()))
        .cloned()
        .collect();
    let (findings, unknown) = crate::vault::features::live::findings(&uses, &state.providers, now);
    let lines = doc.lines(state.encoding());
    let diags = findings
        .iter()
        .map(|f| convert::diagnostic(&lines, f))
        .collect();
    (diags, unknown)
}

pub fn hover(state: &State, uri: &Uri, pos: Position) -> Result<Option<Hover>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let lines = doc.lines(state.encoding());
    let offset = lines.offset(pos);
    let around = Around::new(state, &data);
    let envs = around.envs();
    let world = around.world(&envs);
    // The one secret under the cursor: wait briefly for what its store says about it.
    if let Some(name) = navigation::name_at(&data.doc(), offset)
        && let Some(id) = world
            .links
            .and_then(|l| l.file.get(&name.name))
            .or_else(|| data.links().and_then(|l| l.get(&name.name)))
            .and_then(|l| l.link_id())
        && state.providers.is_signed_in(id.store())
    {
        live::wait_for(live::INTERACTIVE_WAIT, state.providers.versions(id));
    }
    Ok(hover::hover(&data.doc(), offset, &world).map(|h| Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: h.markdown,
        }),
        range: Some(lines.range(h.range)),
    }))
}

pub fn completion(
    state: &State,
    uri: &Uri,
    pos: Position,
) -> Result<Option<lsp::CompletionResponse>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let lines = doc.lines(state.encoding());
    let offset = lines.offset(pos);
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
    let items: Vec<CompletionItem> = completion::completion(&data.doc(), offset, &world)
        .into_iter()
        .map(|c| CompletionItem {
            // With a `textEdit`, clients filter on `filterText` (else some, such as Neovim,
            // take the list as filtered already): the name, as typed within the edit's range.
            filter_text: Some(c.label.clone()),
            label: c.label,
            kind: Some(match c.kind {
                CompletionKind::Secret => CompletionItemKind::VALUE,
                CompletionKind::Variable => CompletionItemKind::VARIABLE,
                CompletionKind::Dynamic => CompletionItemKind::FUNCTION,
                CompletionKind::Keyword => CompletionItemKind::KEYWORD,
                CompletionKind::Link => CompletionItemKind::REFERENCE,
            }),
            detail: c.detail,
            text_edit: Some(CompletionTextEdit::Edit(lsp::TextEdit {
                range: lines.range(c.range),
                new_text: c.insert,
            })),
            ..Default::default()
        })
        .collect();
    Ok(if items.is_empty() {
        None
    } else {
        Some(lsp::CompletionResponse::Array(items))
    })
}

/// The current text of a file the server may edit: the editor's, else the disk's.
fn current_text(state: &State, path: &Path) -> Option<(Option<i32>, Arc<String>)> {
    if let Some(doc) = state
        .open_docs()
        .into_iter()
        .find(|d| d.path.as_deref() == Some(path))
    {
        return Some((Some(doc.version), doc.text.clone()));
    }
    crate::fs::read_text(path).ok().map(|t| (None, Arc::new(t)))
}

/// A `WorkspaceEdit` from edits to files (creating those that do not exist).
fn workspace_edit(state: &State, edits: &[FileEdit]) -> Result<WorkspaceEdit> {
    let enc = state.encoding();
    let mut ops = Vec::new();
    for fe in edits {
        let uri = convert::uri_of(&fe.path)
            .ok_or_else(|| invalid(format!("cannot name {} as a URI", fe.path.display())))?;
        let (version, text) = if fe.create {
            ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
                CreateFile {
                    uri: uri.clone(),
                    options: Some(lsp::CreateFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(true),
                    }),
                    annotation_id: None,
                },
            )));
            (None, Arc::new(String::new()))
        } else {
            current_text(state, &fe.path).unwrap_or((None, Arc::new(String::new())))
        };
        let index = LineIndex::new(&text);
        let lines = Lines {
            text: &text,
            index: &index,
            enc,
        };
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
            edits: fe
                .edits
                .iter()
                .map(|e| {
                    OneOf::Left(lsp::TextEdit {
                        range: lines.range(e.range),
                        new_text: e.new_text.clone(),
                    })
                })
                .collect(),
        }));
    }
    Ok(WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(ops)),
        ..Default::default()
    })
}

pub fn code_actions(
    state: &State,
    uri: &Uri,
    range: lsp::Range,
) -> Result<Option<lsp::CodeActionResponse>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let enc = state.encoding();
    let lines = doc.lines(enc);
    let range = lines.text_range(range);
    let around = Around::new(state, &data);
    let envs = around.envs();
    let world = around.world(&envs);
    let diags = diagnostics(state, &doc).map_err(|u| over_budget(&u))?;
    let mut out = Vec::new();
    for action in actions::code_actions(&data.doc(), range, &world) {
        let edit = workspace_edit(state, &action.edits)?;
        let command = action.show.as_ref().and_then(|show| {
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
            Some(lsp::Command {
                title: "Show".into(),
                command: "vaultlink.showLocation".into(),
                arguments: Some(vec![serde_json::json!({
                    "uri": convert::uri_of(&show.path)?,
                    "range": lines.range(show.range),
                })]),
            })
        });
        let fixes: Vec<lsp::Diagnostic> = action
            .fixes
            .map(|code| {
                diags
                    .iter()
                    .filter(|d| {
                        matches!(&d.code, Some(lsp::NumberOrString::String(c)) if c == code)
                            && lines.text_range(d.range).start <= range.end
                            && range.start <= lines.text_range(d.range).end
                    })
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        out.push(CodeActionOrCommand::CodeAction(lsp::CodeAction {
            title: action.title,
            kind: Some(match action.kind {
                ActionKind::QuickFix => CodeActionKind::QUICKFIX,
                ActionKind::RefactorRewrite => CodeActionKind::REFACTOR_REWRITE,
            }),
            diagnostics: (!fixes.is_empty()).then_some(fixes),
            edit: (!action.edits.is_empty()).then_some(edit),
            command: match &action.create_secret {
                Some(create) => Some(lsp::Command {
                    title: "Create secret in Key Vault".into(),
                    command: CREATE_SECRET.into(),
                    arguments: Some(vec![serde_json::json!({
                        "uri": uri,
                        "version": doc.version,
                        "name": create.name,
                        "ranges": create.ranges.iter().map(|r| lines.range(*r)).collect::<Vec<_>>(),
                        "allowedDomains": create.domains,
                        "vaults": create.vaults,
                    })]),
                }),
                None => command,
            },
            is_preferred: action.preferred.then_some(true),
            ..Default::default()
        }));
    }
    Ok(Some(out))
}

pub fn code_lens(state: &State, uri: &Uri) -> Result<Option<Vec<lsp::CodeLens>>> {
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
            let range = lines.range(l.anchor);
            lsp::CodeLens {
                range,
                command: Some(lsp::Command {
                    title: "▶ Send".into(),
                    command: SEND_REQUEST.into(),
                    arguments: Some(vec![
                        serde_json::json!({ "uri": uri, "position": range.start }),
                    ]),
                }),
                data: None,
            }
        })
        .collect();
    // Editors order the lenses of a line by where they start: the secrets' lens takes the
    // range of the Send lens on its line, so that it reads `1 linked | ▶ Send` in request
    // files and collections alike.
    let on_line = |range: lsp::Range| {
        sends
            .iter()
            .find(|s| s.range.start.line == range.start.line)
            .map_or(range, |s| s.range)
    };
    let mut out: Vec<lsp::CodeLens> = lens::code_lenses(&data.doc(), &world)
        .into_iter()
        .map(|l| lsp::CodeLens {
            range: on_line(lines.range(l.range)),
            command: Some(lsp::Command {
                title: l.title,
                command: String::new(),
                arguments: None,
            }),
            data: None,
        })
        .collect();
    out.extend(sends);
    Ok(Some(out))
}

pub fn document_symbols(state: &State, uri: &Uri) -> Result<Option<lsp::DocumentSymbolResponse>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let lines = doc.lines(state.encoding());
    #[allow(deprecated)] // `deprecated` is a required field of the protocol's struct
    fn convert(lines: &Lines<'_>, s: symbols::Symbol) -> DocumentSymbol {
        DocumentSymbol {
            name: if s.name.is_empty() {
                "(unnamed)".into()
            } else {
                s.name
            },
            detail: s.detail,
            kind: match s.kind {
                SymbolKind::Request => lsp::SymbolKind::METHOD,
                SymbolKind::Folder => lsp::SymbolKind::NAMESPACE,
                SymbolKind::Environment => lsp::SymbolKind::MODULE,
                SymbolKind::Variable => lsp::SymbolKind::VARIABLE,
                SymbolKind::Secret => lsp::SymbolKind::KEY,
            },
            tags: None,
            deprecated: None,
            range: lines.range(s.range),
            selection_range: lines.range(s.selection),
            children: (!s.children.is_empty())
                .then(|| s.children.into_iter().map(|c| convert(lines, c)).collect()),
        }
    }
    let symbols = symbols::symbols(&data.doc())
        .into_iter()
        .map(|s| convert(&lines, s))
        .collect();
    Ok(Some(lsp::DocumentSymbolResponse::Nested(symbols)))
}

/// A location in a file that may not be open: its text is read to place the range.
fn location(state: &State, path: &Path, range: TextRange) -> Option<Location> {
    let uri = convert::uri_of(path)?;
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
    Some(Location {
        uri,
        range: lines.range(range),
    })
}

pub fn definition(
    state: &State,
    uri: &Uri,
    pos: Position,
) -> Result<Option<GotoDefinitionResponse>> {
    let Some((doc, data)) = open(state, uri)? else {
        return Ok(None);
    };
    let offset = doc.lines(state.encoding()).offset(pos);
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
    let offset = doc.lines(state.encoding()).offset(pos);
    let Some(name) = navigation::name_at(&data.doc(), offset).map(|n| n.name) else {
        return Ok(None);
    };
    let out = state
        .name_uses(&name)
        .into_iter()
        .filter_map(|f| {
            let file_uri = f
                .uri
                .or_else(|| f.path.as_deref().and_then(convert::uri_of))?;
            Some((file_uri, f.text, f.ranges))
        })
        .collect();
    Ok(Some((name, out)))
}

pub fn references(state: &State, uri: &Uri, pos: Position) -> Result<Option<Vec<Location>>> {
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
        out.extend(ranges.into_iter().map(|r| Location {
            uri: file_uri.clone(),
            range: lines.range(r),
        }));
    }
    Ok(Some(out))
}

pub fn rename(
    state: &State,
    uri: &Uri,
    pos: Position,
    new_name: &str,
) -> Result<Option<WorkspaceEdit>> {
    if let Some(problem) = refs::name_problem(new_name) {
        return Err(invalid(format!(
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
        changes
            .entry(file_uri)
            .or_default()
            .extend(ranges.into_iter().map(|r| lsp::TextEdit {
                range: lines.range(r),
                new_text: new_text.clone(),
            }));
    }
    Ok(Some(WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    }))
}

/// The links file a command acts on: the nearest one from the document (or the workspace
/// root), and whether it has to be created.
fn links_target(state: &State, uri: Option<&str>) -> Result<(PathBuf, bool)> {
    let doc_path = uri
        .and_then(|u| u.parse::<Uri>().ok())
        .and_then(|u| convert::path_of(&u));
    let start = doc_path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .or_else(|| state.root_for(None))
        .ok_or_else(|| {
            invalid("no workspace folder and no document: pass the `uri` of a document")
        })?;
    match state.links_path(&start) {
        Some(p) => Ok((p, false)),
        None => {
            let dir = state.root_for(doc_path.as_deref()).unwrap_or(start);
            Ok((dir.join(links::FILE_NAME), true))
        }
    }
}

fn str_arg<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str)
}

/// `vaultlink.linkSecret`: the edit to apply to vaultlink.json.
pub fn link_secret_edit(state: &State, args: &Value) -> Result<WorkspaceEdit> {
    let name = str_arg(args, "name").ok_or_else(|| invalid("`name` is required"))?;
    let identifier =
        str_arg(args, "identifier").ok_or_else(|| invalid("`identifier` is required"))?;
    if let Some(problem) = refs::name_problem(name) {
        return Err(invalid(format!(
            "`{name}` cannot be a reference name: {problem}"
        )));
    }
    match LinkId::parse(identifier) {
        Ok(_) => {}
        Err(IdError::Invalid(why)) if crate::vault::arn::ArnId::claims(identifier) => {
            return Err(invalid(format!(
                "`{identifier}` is not a Secrets Manager secret: {why}"
            )));
        }
        Err(IdError::Untrusted { host }) => {
            return Err(invalid(format!(
                "refusing to link `{name}`: `{host}` is not a Key Vault host"
            )));
        }
        Err(IdError::Invalid(why)) => {
            return Err(invalid(format!(
                "`{identifier}` is not a Key Vault secret identifier: {why}"
            )));
        }
    }
    let domains: Vec<String> = args
        .get("allowedDomains")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(|d| d.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default();
    if let Some(problem) = domains.iter().find_map(|d| links::domain_problem(d)) {
        return Err(invalid(problem));
    }
    let (path, create) = links_target(state, str_arg(args, "uri"))?;
    let edit = if create {
        FileEdit {
            path,
            create: true,
            edits: vec![TextEdit {
                range: TextRange::empty(0),
                new_text: links::new_file(name, identifier, &domains),
            }],
        }
    } else {
        let (_, text) = current_text(state, &path)
            .ok_or_else(|| invalid(format!("cannot read {}", path.display())))?;
        let edits = links::set_link_edits(&text, name, identifier, &domains)
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
            invalid(format!("`{name}` is not linked in {}", path.display()))
        }
        EditError::Malformed(why) => invalid(format!(
            "{} is not valid JSON: {why}; fix it first",
            path.display()
        )),
    }
}

/// `vaultlink.unlinkSecret`: the edit to apply to vaultlink.json.
pub fn unlink_secret_edit(state: &State, args: &Value) -> Result<WorkspaceEdit> {
    let name = str_arg(args, "name").ok_or_else(|| invalid("`name` is required"))?;
    let (path, create) = links_target(state, str_arg(args, "uri"))?;
    if create {
        return Err(invalid(format!(
            "no vaultlink.json: `{name}` is not linked"
        )));
    }
    let (_, text) = current_text(state, &path)
        .ok_or_else(|| invalid(format!("cannot read {}", path.display())))?;
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

/// The sign-in settings of `vaultlink.json`'s `azure` section (the nearest file to `uri`, else
/// to the first workspace folder), and whether the tenant was written there.
pub fn azure_app(state: &State, uri: Option<&str>) -> (crate::azure::App, bool) {
    let start = uri
        .and_then(|u| u.parse::<Uri>().ok())
        .and_then(|u| convert::path_of(&u))
        .or_else(|| {
            let roots = state.roots.read().unwrap();
            roots.first().map(|r| r.join("vaultlink.json"))
        });
    let around = state.surroundings(
        start.as_deref(),
        crate::vault::document::DocKind::Links,
        false,
    );
    let settings = around
        .links
        .as_ref()
        .and_then(|l| l.links())
        .map(|l| l.azure.clone())
        .unwrap_or_default();
    let explicit = settings.tenant_range.is_some();
    (
        crate::azure::App {
            tenant: settings.tenant,
            client_id: settings.client_id,
            additionally_allowed_tenants: settings.additionally_allowed_tenants,
        },
        explicit,
    )
}

/// Whether any linked secret applies to the workspace (then a silent sign-in is worth a try).
pub fn workspace_has_links(state: &State) -> bool {
    let roots = state.roots.read().unwrap().clone();
    roots.iter().any(|r| {
        let around = state.surroundings(
            Some(&r.join("vaultlink.json")),
            crate::vault::document::DocKind::Links,
            false,
        );
        around
            .links
            .as_ref()
            .and_then(|l| l.links())
            .is_some_and(|l| l.secrets.iter().any(|s| s.link_id().is_some()))
    })
}

/// The plan of the request at `position` of an open document, its secrets checked against
/// the links file, and that links file.
pub fn plan_at(
    state: &State,
    args: &Value,
    responses: &HashMap<String, crate::send::plan::EarlierResponse>,
) -> Result<(
    crate::send::plan::Plan,
    Option<links::LinksFile>,
    Option<PathBuf>,
)> {
    let uri: Uri = str_arg(args, "uri")
        .and_then(|u| u.parse().ok())
        .ok_or_else(|| invalid("`uri` is required"))?;
    let position: Position = args
        .get("position")
        .and_then(|p| serde_json::from_value(p.clone()).ok())
        .ok_or_else(|| invalid("`position` is required"))?;
    let (doc, data) = open(state, &uri)?.ok_or_else(|| invalid("the document is not open"))?;
    let offset = doc.lines(state.encoding()).offset(position);
    let listed = crate::send::requests(&data.text, &data.parsed);
    let index = listed
        .iter()
        .filter(|l| l.range.start <= offset)
        .min_by_key(|l| (!l.range.contains_inclusive(offset), offset - l.range.start))
        .or_else(|| listed.first())
        .map(|l| l.index)
        .ok_or_else(|| invalid("there is no request in this document"))?;
    let around = Around::new(state, &data);
    let envs = around.envs();
    let mut world = around.world(&envs);
    world.keyvault = None;
    let dir = data
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let dynamics = crate::send::dynamics::SystemDynamics { dir: dir.clone() };
    let read_file = |p: &Path| std::fs::read(p);
    let inputs = crate::send::plan::Inputs {
        doc: data.doc(),
        world,
        dynamics: &dynamics,
        responses,
        read_file: &read_file,
        runtime_names: &runtime_names(&data),
    };
    let plan = crate::send::plan_request(&inputs, index).map_err(|e| failed_request(e.0))?;
    let links = world.links.map(|l| l.file.clone());
    crate::send::check_secrets(&plan, links.as_ref()).map_err(failed_request)?;
    Ok((plan, links, data.path.clone()))
}

/// A request that could not be carried out, with the reason for the person.
pub fn failed_request(message: impl Into<String>) -> Error {
    Error {
        code: tower_lsp_server::jsonrpc::ErrorCode::ServerError(-32803),
        message: message.into().into(),
        data: None,
    }
}

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
    pub fn parse(state: &State, args: &Value) -> Result<CreateSecretArgs> {
        let uri: Uri = str_arg(args, "uri")
            .and_then(|u| u.parse().ok())
            .ok_or_else(|| invalid("`uri` is required"))?;
        let name = str_arg(args, "name").ok_or_else(|| invalid("`name` is required"))?;
        if let Some(problem) = refs::name_problem(name) {
            return Err(invalid(format!(
                "`{name}` cannot be a reference name: {problem}"
            )));
        }
        let doc = state
            .doc(&uri)
            .ok_or_else(|| invalid("the document is not open"))?;
        let version = args.get("version").and_then(Value::as_i64).unwrap_or(-1) as i32;
        if version != doc.version {
            return Err(invalid(
                "the document changed since the action was offered; try again",
            ));
        }
        let lines = doc.lines(state.encoding());
        let ranges: Vec<TextRange> = args
            .get("ranges")
            .and_then(|r| serde_json::from_value::<Vec<lsp::Range>>(r.clone()).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|r| lines.text_range(r))
            .collect();
        if ranges.is_empty() || ranges.iter().any(|r| r.is_empty()) {
            return Err(invalid("`ranges` must name the literal to move"));
        }
        let strings = |key: &str| -> Vec<String> {
            args.get(key)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let vaults: Vec<String> = strings("vaults")
            .into_iter()
            .filter(|v| SecretId::parse(&format!("{v}/secrets/x")).is_ok())
            .collect();
        if vaults.is_empty() {
            return Err(invalid("`vaults` must name at least one Key Vault"));
        }
        Ok(CreateSecretArgs {
            uri,
            name: name.to_owned(),
            secret: actions::key_vault_name(name),
            vaults,
            ranges,
            domains: strings("allowedDomains"),
            version,
        })
    }

    /// The literal to store, read from the open document as it is now.
    pub fn literal(&self, state: &State) -> Result<secrecy::SecretString> {
        let doc = state
            .doc(&self.uri)
            .filter(|d| d.version == self.version)
            .ok_or_else(|| {
                invalid("the document changed since the action was offered; try again")
            })?;
        let text = self.ranges[0].slice(&doc.text);
        if text.is_empty() {
            return Err(invalid("the literal is no longer there"));
        }
        Ok(secrecy::SecretString::from(text.to_owned()))
    }

    /// The edit that replaces the literal with the reference and links the new secret.
    pub fn edit(&self, state: &State, vault: &str) -> Result<WorkspaceEdit> {
        let identifier = format!("{vault}/secrets/{}", self.secret);
        let link = link_secret_edit(
            state,
            &serde_json::json!({
                "name": self.name,
                "identifier": identifier,
                "uri": self.uri.as_str(),
                "allowedDomains": self.domains,
            }),
        )?;
        let path =
            convert::path_of(&self.uri).ok_or_else(|| invalid("the document has no path"))?;
        let doc_edit = workspace_edit(
            state,
            &[actions::reference_edit(&path, &self.ranges, &self.name)],
        )?;
        let mut ops = Vec::new();
        for edit in [doc_edit, link] {
            match edit.document_changes {
                Some(DocumentChanges::Operations(o)) => ops.extend(o),
                Some(DocumentChanges::Edits(e)) => {
                    ops.extend(e.into_iter().map(DocumentChangeOperation::Edit))
                }
                None => {}
            }
        }
        Ok(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(ops)),
            ..Default::default()
        })
    }
}
