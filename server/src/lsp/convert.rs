//! Conversions between the protocol's types and vaultlink's: positions in the negotiated
//! encoding, ranges, URIs, diagnostics. The only place that knows both sides.

use std::path::{Path, PathBuf};

use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticSeverity, NumberOrString, Position, PositionEncodingKind, Range, Uri,
};

use crate::text::{Encoding, LineCol, LineIndex, TextRange};
use crate::vault::diagnostic::{Finding, Severity};

/// The encoding a client's position encoding names.
pub fn encoding_of(kind: &PositionEncodingKind) -> Encoding {
    if *kind == PositionEncodingKind::UTF8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

/// A text with its line index, for conversions.
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub enc: Encoding,
}

impl Lines<'_> {
    pub fn position(&self, offset: u32) -> Position {
        let lc = self.index.line_col(self.text, offset, self.enc);
        Position {
            line: lc.line,
            character: lc.col,
        }
    }

    pub fn range(&self, range: TextRange) -> Range {
        Range {
            start: self.position(range.start),
            end: self.position(range.end),
        }
    }

    /// The byte offset of a position, clamped into the text.
    pub fn offset(&self, pos: Position) -> u32 {
        self.index.offset(
            self.text,
            LineCol {
                line: pos.line,
                col: pos.character,
            },
            self.enc,
        )
    }

    pub fn text_range(&self, range: Range) -> TextRange {
        let start = self.offset(range.start);
        TextRange::new(start, self.offset(range.end).max(start))
    }
}

pub fn line_col(pos: Position) -> LineCol {
    LineCol {
        line: pos.line,
        col: pos.character,
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
        range: lines.range(f.range),
        severity: Some(severity(f.severity)),
        code: Some(NumberOrString::String(f.code.as_str().to_string())),
        source: Some("vaultlink".to_string()),
        message: f.message.clone(),
        ..Default::default()
    }
}

pub fn path_of(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

pub fn uri_of(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}
