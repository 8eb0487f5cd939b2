//! Conversions from the protocol's types to vaultlink's: positions in the negotiated
//! encoding to byte offsets, URIs to paths, content changes to text changes, and the
//! arguments commands are given.

use std::path::PathBuf;

use serde_json::Value;
use tower_lsp_server::ls_types::{
    Position, PositionEncodingKind, Range, TextDocumentContentChangeEvent, Uri,
};

use crate::lsp::lines::Lines;
use crate::text::{Change, Encoding, LineCol, TextRange};

/// The encoding a client's position encoding names.
pub fn encoding(kind: &PositionEncodingKind) -> Encoding {
    if *kind == PositionEncodingKind::UTF8 {
        Encoding::Utf8
    } else {
        Encoding::Utf16
    }
}

pub fn line_col(pos: Position) -> LineCol {
    LineCol {
        line: pos.line,
        col: pos.character,
    }
}

/// The byte offset of a position, clamped into the text.
pub fn offset(lines: &Lines<'_>, pos: Position) -> u32 {
    lines.index.offset(lines.text, line_col(pos), lines.enc)
}

pub fn text_range(lines: &Lines<'_>, range: Range) -> TextRange {
    let start = offset(lines, range.start);
    TextRange::new(start, offset(lines, range.end).max(start))
}

/// A `didChange` content change as a change of the text.
pub fn change(c: TextDocumentContentChangeEvent) -> Change {
    Change {
        range: c.range.map(|r| (line_col(r.start), line_col(r.end))),
        text: c.text,
    }
}

/// The file a `file:` URI names; `None` for other schemes.
pub fn path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|p| p.into_owned())
}

/// A string argument of a command.
pub fn str_arg<'a>(args: &'a Value, key: &str) -> Option<&'a str> {
    args.get(key).and_then(Value::as_str)
}

/// A URI argument of a command, written as a string.
pub fn uri_arg(args: &Value, key: &str) -> Option<Uri> {
    str_arg(args, key).and_then(|u| u.parse().ok())
}

/// A list of strings argument of a command (other items are left out).
pub fn strings_arg(args: &Value, key: &str) -> Vec<String> {
    args.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// An argument of a command that is a protocol value (a position, a range, a URI object).
pub fn typed_arg<T: serde::de::DeserializeOwned>(args: &Value, key: &str) -> Option<T> {
    args.get(key)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}
