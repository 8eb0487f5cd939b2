//! `plaintext-secret`: literal credentials in request files, collections and environment
//! files that are committed (never in `http-client.private.env.json`, whose values are meant
//! to stay on the developer's machine). The token shapes are [`secrets`]'s; this module says
//! where to look in each kind of document and what the finding says. Pure.
//!
//! An `.http` file is read as free text (URL, headers, bodies, scripts, comments and file
//! variables alike), with each header also read as a named field. A JSON file is read string
//! by string: a member's name says what its value is (`"apiKey": "…"`), and so does the
//! `key` of a `{"key": …, "value": …}` entry (Postman's headers, query, `auth` and
//! variables); strings in arrays (script lines) are free text.

use crate::syntax::env::{EnvFile, EnvFileKind};
use crate::syntax::http::HttpFile;
use crate::syntax::json::{self, JsonString, Value, ValueKind};
use crate::syntax::postman::Collection;
use crate::text::TextRange;
use crate::vault::diagnostic::{Code, Finding};
use crate::vault::secrets::{self, Hit, IGNORE_MARKER, Shape};

/// The message of a finding: what it looks like, never the value.
pub fn message(shape: Shape) -> String {
    format!(
        "{} is written here in plain text: move it to the vault (`{{{{vault:NAME}}}}`), or mark the line with `{IGNORE_MARKER}` if it is not a credential",
        shape.describe_capitalised()
    )
}

/// What the scan reads of a document's parse.
#[derive(Clone, Copy)]
pub enum Scanned<'a> {
    Http(&'a HttpFile),
    Collection(&'a Collection),
    Env(&'a EnvFile),
    /// A document that holds no credentials of its own (`vaultlink.json`).
    Nothing,
}

/// The credentials of a document, with their ranges in `text`, ignored lines left out.
pub fn hits(text: &str, parsed: Scanned<'_>) -> Vec<Hit> {
    let mut out = match parsed {
        Scanned::Http(file) => http_hits(text, file),
        Scanned::Collection(c) => json_hits(text, c.root()),
        Scanned::Env(e) if e.kind == (EnvFileKind::HttpClient { private: true }) => Vec::new(),
        Scanned::Env(_) => json_hits(text, json::parse(text).root()),
        Scanned::Nothing => Vec::new(),
    };
    out.retain(|h| !secrets::is_ignored(text, h.range.start as usize));
    out.sort_by_key(|h| (h.range.start, h.range.end));
    out
}

/// The `plaintext-secret` findings of a document.
pub fn findings(text: &str, parsed: Scanned<'_>) -> Vec<Finding> {
    hits(text, parsed)
        .into_iter()
        .map(|h| Finding::new(h.range, Code::PlaintextSecret, message(h.shape)))
        .collect()
}

/// The `plaintext-secret` findings of the strings under `value`, a value of a JSON document
/// that no member names (an array's element), with ranges in `text`.
pub fn json_value_findings(text: &str, value: &Value<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    walk(text, value, None, &mut out);
    out.retain(|h| !secrets::is_ignored(text, h.range.start as usize));
    out.sort_by_key(|h| (h.range.start, h.range.end));
    out.into_iter()
        .map(|h| Finding::new(h.range, Code::PlaintextSecret, message(h.shape)))
        .collect()
}

fn http_hits(text: &str, file: &HttpFile) -> Vec<Hit> {
    let mut out = secrets::scan(None, text);
    let mut taken: std::collections::BTreeMap<usize, usize> = out
        .iter()
        .map(|h| (h.range.start as usize, h.range.end as usize))
        .collect();
    for h in file.requests.iter().flat_map(|r| &r.headers) {
        let name = h.name.slice(text);
        for v in &h.value {
            for hit in secrets::scan(Some(name), v.slice(text)) {
                let range = hit.range.shift(v.start);
                let (start, end) = (range.start as usize, range.end as usize);
                if !secrets::overlaps_any(&taken, start, end) {
                    taken.insert(start, end);
                    out.push(Hit { range, ..hit });
                }
            }
        }
    }
    out
}

fn json_hits(src: &str, root: Option<Value<'_>>) -> Vec<Hit> {
    let mut out = Vec::new();
    if let Some(root) = root {
        walk(src, &root, None, &mut out);
    }
    out
}

/// Scans every string under `value`; `name` is what the value is called.
fn walk(src: &str, value: &Value<'_>, name: Option<&str>, out: &mut Vec<Hit>) {
    match value.kind {
        ValueKind::String(s) => scan_string(src, &s, name, out),
        ValueKind::Array(items) => items.iter().for_each(|v| walk(src, &v, None, out)),
        ValueKind::Object(members) => {
            // `{"key": "X-Api-Key", "value": "…"}`: the entry's key names its value.
            let entry_key = members
                .iter()
                .find(|m| m.key.eq_str(src, "key"))
                .and_then(|m| m.value.as_str())
                .map(|k| k.value(src).into_owned());
            for m in members {
                let key = m.key.value(src);
                let name = match (&entry_key, key.as_ref()) {
                    (Some(k), "value") => Some(k.as_str()),
                    // The entry's key is a name, not a value.
                    (Some(_), "key") => None,
                    _ => Some(key.as_ref()),
                };
                walk(src, &m.value, name, out);
            }
        }
        _ => {}
    }
}

/// Scans one JSON string, mapping ranges of its decoded text back to the source.
fn scan_string(src: &str, s: &JsonString, name: Option<&str>, out: &mut Vec<Hit>) {
    let decoded = s.value(src);
    for hit in secrets::scan(name, &decoded) {
        let range = if s.has_escapes {
            s.source_range(src, hit.range)
        } else {
            hit.range.shift(s.content.start)
        };
        out.push(Hit { range, ..hit });
    }
}

/// The edit that marks the line of the finding at `at` as not a credential: a comment line
/// above it in an `.http` file (`//` inside a script), or a `"//"` member before the
/// member the finding is in when a JSON line starts with one. `None` when the line cannot
/// take one.
pub fn ignore_edit(parsed: Scanned<'_>, text: &str, at: TextRange) -> Option<(TextRange, String)> {
    let start = (at.start as usize).min(text.len());
    let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line = &text[line_start..];
    let indent_len = line.len() - line.trim_start_matches([' ', '\t']).len();
    let indent = &line[..indent_len];
    let newline = match text.find(['\n', '\r']).map(|i| &text[i..]) {
        Some(rest) if rest.starts_with("\r\n") => "\r\n",
        Some(rest) if rest.starts_with('\r') => "\r",
        _ => "\n",
    };
    let insert_at = TextRange::empty((line_start + indent_len) as u32);
    match parsed {
        Scanned::Http(_) => {
            let in_script = in_http_script(text, line_start);
            let comment = if in_script { "//" } else { "#" };
            Some((
                insert_at,
                format!("{comment} {IGNORE_MARKER}{newline}{indent}"),
            ))
        }
        Scanned::Collection(_) | Scanned::Env(_) => {
            let rest = &line[indent_len..];
            // A member that starts its line: `"value": "…"`.
            let member = rest.starts_with('"')
                && rest[1..]
                    .find('"')
                    .is_some_and(|q| rest[1 + q + 1..].trim_start().starts_with(':'));
            member.then(|| {
                (
                    insert_at,
                    format!("\"//\": \"{IGNORE_MARKER}\",{newline}{indent}"),
                )
            })
        }
        _ => None,
    }
}

/// Whether the line at `line_start` of an `.http` file is inside a `{% … %}` script.
fn in_http_script(text: &str, line_start: usize) -> bool {
    let before = &text[..line_start];
    match (before.rfind("{%"), before.rfind("%}")) {
        (Some(open), Some(close)) => open > close,
        (Some(_), None) => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests;
