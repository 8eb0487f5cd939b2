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

/// The `plaintext-secret` findings of the lines `start..end` of an `.http` file, the same as
/// the whole file's [`findings`] there, or `None` when the scan of those lines alone could
/// differ from it. `start` and `end` are `###` line starts (or the text's ends) that an
/// edit left as they were, with the line before `end` unchanged too.
///
/// No pattern crosses a line break into a `###` line, but for two: a private key runs to
/// its `END` line or the end of the text, and a `{{` that the lines do not close reaches
/// past them; either one means the whole text is scanned.
pub fn http_findings_in(
    text: &str,
    file: &HttpFile,
    start: usize,
    end: usize,
) -> Option<Vec<Finding>> {
    if secrets::holds_private_key(text)
        || secrets::inside_braces(&text[..start])
        || !secrets::braces_closed(&text[start..end])
    {
        return None;
    }
    let window = &text[start..end];
    let mut out: Vec<Hit> = secrets::scan(None, window)
        .into_iter()
        .map(|h| Hit {
            range: h.range.shift(start as u32),
            ..h
        })
        .collect();
    // Requests stand in file order.
    let lo = file
        .requests
        .partition_point(|r| (r.range.start as usize) < start);
    let hi = file
        .requests
        .partition_point(|r| (r.range.start as usize) < end);
    header_hits(text, file.requests[lo..hi].iter(), &mut out);
    out.retain(|h| !secrets::is_ignored(text, h.range.start as usize));
    out.sort_by_key(|h| (h.range.start, h.range.end));
    Some(
        out.into_iter()
            .map(|h| Finding::new(h.range, Code::PlaintextSecret, message(h.shape)))
            .collect(),
    )
}

/// Whether the lines `start..end` of an `.http` text can be scanned alone (see
/// [`http_findings_in`]), as far as they go: no private key starts in them and every `{{` in
/// them is closed in them.
pub fn http_lines_scan_alone(text: &str, start: usize, end: usize) -> bool {
    let lines = &text[start..end];
    !secrets::holds_private_key(lines) && secrets::braces_closed(lines)
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
    let mut out = http_text_hits(text);
    header_hits(text, file.requests.iter(), &mut out);
    out
}

/// The free-text hits of a whole `.http` text: the same as one scan of it, read in two
/// halves side by side when the text is long. The halves meet at a `###` line, and such
/// lines can be read apart for the reason [`http_findings_in`] gives, unless a `{{…}}` runs
/// across one (those are not cut at) or a private key stands anywhere (then the text is read
/// at once).
fn http_text_hits(text: &str) -> Vec<Hit> {
    http_text_hits_from(text, PARALLEL_SCAN_MIN)
}

/// [`http_text_hits`], in halves from `min` bytes on.
fn http_text_hits_from(text: &str, min: usize) -> Vec<Hit> {
    let cut = if text.len() < min || secrets::holds_private_key(text) {
        None
    } else {
        http_cut_near(text, text.len() / 2)
    };
    let Some(cut) = cut else {
        return secrets::scan(None, text);
    };
    let (mut out, second) = crate::halves::side_by_side(
        || secrets::scan(None, &text[..cut]),
        || secrets::scan(None, &text[cut..]),
    );
    out.extend(second.into_iter().map(|h| Hit {
        range: h.range.shift(cut as u32),
        ..h
    }));
    out
}

/// The length from which an `.http` text is scanned in two halves side by side.
const PARALLEL_SCAN_MIN: usize = 256 * 1024;

/// The first `###` line start at or after `near` that no `{{…}}` of `text` runs across.
fn http_cut_near(text: &str, near: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut from = near;
    loop {
        let at = from + memchr::memmem::find(&b[from..], b"\n###")? + 1;
        if !secrets::inside_braces(&text[..at]) {
            return Some(at);
        }
        from = at;
    }
}

/// Adds to `out`, the free-text hits of the text of `requests`, the hits of their headers
/// read as named fields where no hit is already.
fn header_hits<'f>(
    text: &str,
    requests: impl Iterator<Item = &'f crate::syntax::http::Request>,
    out: &mut Vec<Hit>,
) {
    let mut taken: std::collections::BTreeMap<usize, usize> = out
        .iter()
        .map(|h| (h.range.start as usize, h.range.end as usize))
        .collect();
    let mut scans = secrets::Scans::default();
    for h in requests.flat_map(|r| &r.headers) {
        let name = h.name.slice(text);
        for v in &h.value {
            for hit in scans.scan(Some(name), v.slice(text)) {
                let range = hit.range.shift(v.start);
                let (start, end) = (range.start as usize, range.end as usize);
                if !secrets::overlaps_any(&taken, start, end) {
                    taken.insert(start, end);
                    out.push(Hit { range, ..hit });
                }
            }
        }
    }
}

/// The hits of the strings of a JSON document, in no particular order. A long document is
/// read in two halves side by side (see [`json_hits_from`]).
fn json_hits(src: &str, root: Option<Value<'_>>) -> Vec<Hit> {
    json_hits_from(src, root, PARALLEL_SCAN_MIN)
}

/// [`json_hits`], in halves from `min` bytes on: the second half of the largest array the
/// top object holds (a collection's `item`) is read on a thread of its own. Only when no
/// member of that object is called `key` or `query`: then [`walk`] names each member by its
/// key alone, and an array's elements by nothing, wherever they are read.
fn json_hits_from(src: &str, root: Option<Value<'_>>, min: usize) -> Vec<Hit> {
    let mut out = Vec::new();
    let Some(root) = root else {
        return out;
    };
    let split = match root.kind {
        ValueKind::Object(members)
            if src.len() >= min
                && !members
                    .iter()
                    .any(|m| m.key.eq_str(src, "key") || m.key.eq_str(src, "query")) =>
        {
            members
                .iter()
                .enumerate()
                .filter_map(|(i, m)| match m.value.kind {
                    ValueKind::Array(items) => Some((i, items, m.value.range.len())),
                    _ => None,
                })
                .max_by_key(|&(_, _, len)| len)
                .map(|(i, items, _)| (members, i, items, items.len() / 2))
                .filter(|&(_, _, _, half)| half > 0)
        }
        _ => None,
    };
    let Some((members, at, items, half)) = split else {
        walk(src, &root, None, &mut out);
        return out;
    };
    let (mut out, second) = crate::halves::side_by_side(
        || {
            let mut strings = Strings::new(src);
            for (i, m) in members.iter().enumerate() {
                if i == at {
                    items
                        .iter()
                        .take(half)
                        .for_each(|v| strings.walk(&v, None, &mut out));
                } else {
                    strings.walk(&m.value, Some(&m.key.value(src)), &mut out);
                }
            }
            out
        },
        || {
            let mut strings = Strings::new(src);
            let mut out = Vec::new();
            items
                .iter()
                .skip(half)
                .for_each(|v| strings.walk(&v, None, &mut out));
            out
        },
    );
    out.extend(second);
    out
}

/// Scans every string under `value`; `name` is what the value is called.
fn walk(src: &str, value: &Value<'_>, name: Option<&str>, out: &mut Vec<Hit>) {
    Strings::new(src).walk(value, name, out);
}

/// The strings of one JSON document as they are scanned: a collection repeats the same
/// names and values thousands of times, and each distinct one is read once.
struct Strings<'t> {
    src: &'t str,
    scans: secrets::Scans<'t>,
}

impl<'t> Strings<'t> {
    fn new(src: &'t str) -> Strings<'t> {
        Strings {
            src,
            scans: secrets::Scans::default(),
        }
    }

    /// Scans every string under `value`; `name` is what the value is called.
    fn walk(&mut self, value: &Value<'_>, name: Option<&str>, out: &mut Vec<Hit>) {
        let src = self.src;
        match value.kind {
            ValueKind::String(s) => self.string(&s, name, out),
            ValueKind::Array(items) => items.iter().for_each(|v| self.walk(&v, None, out)),
            ValueKind::Object(members) => {
                // `{"key": "X-Api-Key", "value": "…"}`: the entry's key names its value.
                // Postman's `url` object: a credential of `query` is also in `raw`, and is
                // reported once, at its query entry, which names it. The first of each.
                let (mut entry, mut query) = (None, None);
                for m in members {
                    if entry.is_none() && m.key.eq_str(src, "key") {
                        entry = Some(m);
                    } else if query.is_none() && m.key.eq_str(src, "query") {
                        query = Some(m);
                    }
                }
                let entry_key = entry.and_then(|m| m.value.as_str()).map(|k| k.value(src));
                let mut in_query = Vec::new();
                if let Some(q) = query {
                    self.walk(&q.value, None, &mut in_query);
                }
                for m in members {
                    let key = m.key.value(src);
                    if !in_query.is_empty() && key == "raw" {
                        let mut raw = Vec::new();
                        self.walk(&m.value, Some("raw"), &mut raw);
                        raw.retain(|h| {
                            let text = h.range.slice(src);
                            !in_query.iter().any(|q| q.range.slice(src) == text)
                        });
                        out.extend(raw);
                        continue;
                    }
                    let name = match (&entry_key, key.as_ref()) {
                        (Some(k), "value") => Some(k.as_ref()),
                        // The entry's key is a name, not a value.
                        (Some(_), "key") => None,
                        _ => Some(key.as_ref()),
                    };
                    self.walk(&m.value, name, out);
                }
            }
            _ => {}
        }
    }

    /// Scans one JSON string, mapping ranges of its decoded text back to the source.
    fn string(&mut self, s: &JsonString, name: Option<&str>, out: &mut Vec<Hit>) {
        let hits = match s.value(self.src) {
            std::borrow::Cow::Borrowed(v) => self.scans.scan(name, v),
            std::borrow::Cow::Owned(v) => secrets::scan(name, &v),
        };
        for hit in hits {
            let range = if s.has_escapes {
                s.source_range(self.src, hit.range)
            } else {
                hit.range.shift(s.content.start)
            };
            out.push(Hit { range, ..hit });
        }
    }
}

/// The edit that marks the line of the finding at `at` as not a credential: a comment line
/// above it in an `.http` file (`//` inside a script), or a `"//"` member before the member
/// the finding is in, in a JSON file (a collection, an environment file), on a line of its own
/// when that member starts its line, else before it on its line. `None` when the line cannot
/// take one (a string of an array, such as a script line, whose member starts on a line
/// above).
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
            // The member the finding is in, when its name is on the finding's line: a `"//"`
            // member before it, on a line of its own when the member starts its line, else
            // on the same line.
            let reparsed;
            let root = match parsed {
                Scanned::Collection(c) => c.root(),
                _ => {
                    reparsed = json::parse(text);
                    reparsed.root()
                }
            };
            let key = innermost_member(&root?, at)?.key.range;
            let key_start = key.start as usize;
            let key_line_start = text[..key_start].rfind(['\n', '\r']).map_or(0, |i| i + 1);
            if key_line_start != line_start {
                return None;
            }
            if key_start == line_start + indent_len {
                Some((
                    insert_at,
                    format!("\"//\": \"{IGNORE_MARKER}\",{newline}{indent}"),
                ))
            } else {
                Some((
                    TextRange::empty(key.start),
                    format!("\"//\": \"{IGNORE_MARKER}\", "),
                ))
            }
        }
        _ => None,
    }
}

/// The innermost object member whose value holds `at`.
fn innermost_member<'t>(value: &Value<'t>, at: TextRange) -> Option<json::Member<'t>> {
    let inside = |r: TextRange| r.start <= at.start && at.end <= r.end;
    match value.kind {
        ValueKind::Object(members) => {
            let m = members.iter().find(|m| inside(m.value.range))?;
            innermost_member(&m.value, at).or(Some(m))
        }
        ValueKind::Array(items) => items
            .iter()
            .find(|v| inside(v.range))
            .and_then(|v| innermost_member(&v, at)),
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
