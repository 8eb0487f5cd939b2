//! Conversions from vaultlink's types to the protocol's: byte offsets to positions in the
//! negotiated encoding, findings to diagnostics, and the features' plain data (hovers,
//! completion items, actions, lenses, symbols, locations, edits) to their protocol forms.

use std::path::Path;

use tower_lsp_server::ls_types::{
    self as lsp, CodeActionKind, CompletionItemKind, CompletionTextEdit, CreateFile,
    CreateFileOptions, DiagnosticSeverity, DocumentChangeOperation, DocumentChanges,
    DocumentSymbol, Hover, HoverContents, Location, MarkupContent, MarkupKind, NumberOrString,
    OneOf, OptionalVersionedTextDocumentIdentifier, Position, Range, ResourceOp, TextDocumentEdit,
    Uri, WorkspaceEdit,
};

use crate::lsp::lines::Lines;
use crate::text::TextRange;
use crate::vault::diagnostic::{Finding, Severity};
use crate::vault::features::actions::{Action, ActionKind};
use crate::vault::features::completion::{Completion, CompletionKind};
use crate::vault::features::hover::HoverInfo;
use crate::vault::features::lens::Lens;
use crate::vault::features::symbols::{Symbol, SymbolKind};
use crate::vault::links::TextEdit;

pub fn position(lines: &Lines<'_>, offset: u32) -> Position {
    let lc = lines.index.line_col(lines.text, offset, lines.enc);
    Position {
        line: lc.line,
        character: lc.col,
    }
}

pub fn range(lines: &Lines<'_>, range: TextRange) -> Range {
    Range {
        start: position(lines, range.start),
        end: position(lines, range.end),
    }
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Information => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(lines: &Lines<'_>, f: &Finding) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: range(lines, f.range),
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.code.as_str().to_string())),
        source: Some("vaultlink".to_string()),
        message: f.message.clone(),
        ..Default::default()
    }
}

/// Whether a diagnostic has the code `code`.
pub fn has_code(d: &lsp::Diagnostic, code: &str) -> bool {
    matches!(&d.code, Some(NumberOrString::String(c)) if c == code)
}

pub fn hover(lines: &Lines<'_>, h: HoverInfo) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: h.markdown,
        }),
        range: Some(range(lines, h.range)),
    }
}

pub fn completion_kind(kind: CompletionKind) -> CompletionItemKind {
    match kind {
        CompletionKind::Secret => CompletionItemKind::VALUE,
        CompletionKind::Variable => CompletionItemKind::VARIABLE,
        CompletionKind::Dynamic => CompletionItemKind::FUNCTION,
        CompletionKind::Keyword => CompletionItemKind::KEYWORD,
        CompletionKind::Link => CompletionItemKind::REFERENCE,
    }
}

pub fn completion_item(lines: &Lines<'_>, c: Completion) -> lsp::CompletionItem {
    lsp::CompletionItem {
        // With a `textEdit`, clients filter on `filterText` (else some, such as Neovim,
        // take the list as filtered already): the name, as typed within the edit's range.
        filter_text: Some(c.label.clone()),
        label: c.label,
        kind: Some(completion_kind(c.kind)),
        detail: c.detail,
        text_edit: Some(CompletionTextEdit::Edit(lsp::TextEdit {
            range: range(lines, c.range),
            new_text: c.insert,
        })),
        ..Default::default()
    }
}

/// The answer to a completion request: nothing when there are no items.
pub fn completion_response(items: Vec<lsp::CompletionItem>) -> Option<lsp::CompletionResponse> {
    (!items.is_empty()).then_some(lsp::CompletionResponse::Array(items))
}

pub fn code_action_kind(kind: ActionKind) -> CodeActionKind {
    match kind {
        ActionKind::QuickFix => CodeActionKind::QUICKFIX,
        ActionKind::RefactorRewrite => CodeActionKind::REFACTOR_REWRITE,
    }
}

/// A code action with its edit (already converted), the diagnostics it fixes and the command
/// to run after the edit.
pub fn code_action(
    action: Action,
    edit: WorkspaceEdit,
    fixes: Vec<lsp::Diagnostic>,
    command: Option<lsp::Command>,
) -> lsp::CodeActionOrCommand {
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: action.title,
        kind: Some(code_action_kind(action.kind)),
        diagnostics: (!fixes.is_empty()).then_some(fixes),
        edit: (!action.edits.is_empty()).then_some(edit),
        command,
        is_preferred: action.preferred.then_some(true),
        ..Default::default()
    })
}

/// A lens that only shows its title.
pub fn code_lens(range: Range, lens: Lens) -> lsp::CodeLens {
    lsp::CodeLens {
        range,
        command: Some(lsp::Command {
            title: lens.title,
            command: String::new(),
            arguments: None,
        }),
        data: None,
    }
}

/// A lens that runs `command`.
pub fn command_lens(range: Range, command: lsp::Command) -> lsp::CodeLens {
    lsp::CodeLens {
        range,
        command: Some(command),
        data: None,
    }
}

pub fn symbol_kind(kind: SymbolKind) -> lsp::SymbolKind {
    match kind {
        SymbolKind::Request => lsp::SymbolKind::METHOD,
        SymbolKind::Folder => lsp::SymbolKind::NAMESPACE,
        SymbolKind::Environment => lsp::SymbolKind::MODULE,
        SymbolKind::Variable => lsp::SymbolKind::VARIABLE,
        SymbolKind::Secret => lsp::SymbolKind::KEY,
    }
}

#[allow(deprecated)] // `deprecated` is a required field of the protocol's struct
pub fn document_symbol(lines: &Lines<'_>, s: Symbol) -> DocumentSymbol {
    DocumentSymbol {
        name: if s.name.is_empty() {
            "(unnamed)".into()
        } else {
            s.name
        },
        detail: s.detail,
        kind: symbol_kind(s.kind),
        tags: None,
        deprecated: None,
        range: range(lines, s.range),
        selection_range: range(lines, s.selection),
        children: (!s.children.is_empty()).then(|| {
            s.children
                .into_iter()
                .map(|c| document_symbol(lines, c))
                .collect()
        }),
    }
}

pub fn location(lines: &Lines<'_>, uri: Uri, r: TextRange) -> Location {
    Location {
        uri,
        range: range(lines, r),
    }
}

pub fn uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

pub fn text_edit(lines: &Lines<'_>, e: &TextEdit) -> lsp::TextEdit {
    replacement(lines, e.range, e.new_text.clone())
}

/// An edit that replaces `r` with `new_text`.
pub fn replacement(lines: &Lines<'_>, r: TextRange, new_text: String) -> lsp::TextEdit {
    lsp::TextEdit {
        range: range(lines, r),
        new_text,
    }
}

/// The edits of one file in a workspace edit: the file's URI, the version of the text the
/// edits were made against (`None` when read from disk), and whether to create it first.
pub struct FileChange<'a> {
    pub uri: Uri,
    pub version: Option<i32>,
    pub create: bool,
    pub lines: Lines<'a>,
    pub edits: &'a [TextEdit],
}

/// A `WorkspaceEdit` of document changes, creating the files that do not exist.
pub fn workspace_edit(files: Vec<FileChange<'_>>) -> WorkspaceEdit {
    let mut ops = Vec::new();
    for f in files {
        if f.create {
            ops.push(DocumentChangeOperation::Op(ResourceOp::Create(
                CreateFile {
                    uri: f.uri.clone(),
                    options: Some(CreateFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(true),
                    }),
                    annotation_id: None,
                },
            )));
        }
        ops.push(DocumentChangeOperation::Edit(TextDocumentEdit {
            text_document: OptionalVersionedTextDocumentIdentifier {
                uri: f.uri,
                version: f.version,
            },
            edits: f
                .edits
                .iter()
                .map(|e| OneOf::Left(text_edit(&f.lines, e)))
                .collect(),
        }));
    }
    WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(ops)),
        ..Default::default()
    }
}

/// One workspace edit holding the document changes of `edits`, in order.
pub fn merged_edit(edits: Vec<WorkspaceEdit>) -> WorkspaceEdit {
    let mut ops = Vec::new();
    for edit in edits {
        match edit.document_changes {
            Some(DocumentChanges::Operations(o)) => ops.extend(o),
            Some(DocumentChanges::Edits(e)) => {
                ops.extend(e.into_iter().map(DocumentChangeOperation::Edit))
            }
            None => {}
        }
    }
    WorkspaceEdit {
        document_changes: Some(DocumentChanges::Operations(ops)),
        ..Default::default()
    }
}

/// A rename's edits, by file: `changes` rather than document changes.
pub fn rename_edit(changes: std::collections::HashMap<Uri, Vec<lsp::TextEdit>>) -> WorkspaceEdit {
    WorkspaceEdit {
        changes: Some(changes),
        ..Default::default()
    }
}
