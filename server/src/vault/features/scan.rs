//! Where references live in each kind of document, and the references found there.
//!
//! A [`Piece`] is a stretch of text in which `{{…}}` (or, in scripts, `pm.vault.*` calls)
//! count: a request's target, header or body in an `.http` file, a file variable's value, a
//! collection string, a script line, an environment value. JSON strings are scanned decoded
//! and every range found is mapped back through their escapes, so what the features hand out
//! lands on exact source bytes. Comments, handler scripts of `.http` files, names and
//! descriptions are not pieces, as the diagnostics do not look there either.

use std::borrow::Cow;

use crate::syntax::env::EnvValue;
use crate::syntax::http::{HttpFile, Request};
use crate::syntax::json::JsonString;
use crate::syntax::postman::{Collection, Item, Text};
use crate::syntax::refs::{self, RefKind, VaultMethod};
use crate::text::{TextRange, to_u32};
use crate::vault::document::Parsed;
use crate::vault::features::Doc;

/// What a piece of text is, which decides what is looked for in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PieceKind {
    /// Request text: an `.http` target, header or body, or a collection string.
    Request,
    /// The value of an `.http` file variable, `@name = value`.
    FileVariable,
    /// A value of an environment file.
    EnvValue,
    /// One line of a collection script: `pm.vault.*` calls, no `{{…}}`.
    Script,
}

/// A stretch of a document's text, or a decoded JSON string of it.
pub(crate) struct Piece<'a> {
    /// The text to scan.
    pub text: Cow<'a, str>,
    /// The JSON string `text` was decoded from, when it has escapes: ranges map through it.
    json: Option<&'a JsonString>,
    /// Where `text` starts in the document, when it is a plain slice of it.
    base: u32,
    pub kind: PieceKind,
}

impl<'a> Piece<'a> {
    /// A slice `range` of the document `src`.
    pub fn slice(src: &'a str, range: TextRange, kind: PieceKind) -> Piece<'a> {
        let range = clamp_range(src, range);
        Piece {
            text: Cow::Borrowed(range.slice(src)),
            json: None,
            base: range.start,
            kind,
        }
    }

    /// The decoded text of the JSON string `s`.
    pub fn json(src: &'a str, s: &'a JsonString, kind: PieceKind) -> Piece<'a> {
        if s.has_escapes {
            Piece {
                text: s.value(src),
                json: Some(s),
                base: 0,
                kind,
            }
        } else {
            Piece::slice(src, s.content, kind)
        }
    }

    /// The source range of `local`, a range of [`Piece::text`].
    pub fn to_source(&self, src: &str, local: TextRange) -> TextRange {
        match self.json {
            Some(s) => s.source_range(src, local),
            None => local.shift(self.base),
        }
    }

    /// The offset in [`Piece::text`] of the document offset `offset`, clamped to the piece
    /// and to a character boundary. An offset inside an escape maps to the escape's start.
    pub fn to_local(&self, src: &str, offset: u32) -> usize {
        let text: &str = &self.text;
        let local = match self.json {
            None => offset.saturating_sub(self.base) as usize,
            Some(s) => {
                let end = clamp_offset(src, offset.clamp(s.content.start, s.content.end));
                let prefix = JsonString {
                    range: s.range,
                    content: TextRange::new(s.content.start, to_u32(end)),
                    has_escapes: true,
                };
                let prefix = prefix.value(src);
                // A cut escape decodes differently from the whole one: keep what agrees.
                prefix
                    .bytes()
                    .zip(text.bytes())
                    .take_while(|(a, b)| a == b)
                    .count()
            }
        };
        floor_boundary(text, local.min(text.len()))
    }
}

/// `offset` clamped to `text` and moved back to a character boundary.
pub(crate) fn clamp_offset(text: &str, offset: u32) -> usize {
    floor_boundary(text, (offset as usize).min(text.len()))
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn clamp_range(text: &str, range: TextRange) -> TextRange {
    let start = clamp_offset(text, range.start);
    let end = clamp_offset(text, range.end).max(start);
    TextRange::from_usize(start, end)
}

/// The line of `text` that holds `at`: its start and end, line break excluded.
pub(crate) fn line_around(text: &str, at: usize) -> (usize, usize) {
    let b = text.as_bytes();
    let at = at.min(b.len());
    let start = memchr::memrchr2(b'\n', b'\r', &b[..at]).map_or(0, |i| i + 1);
    let end = memchr::memchr2(b'\n', b'\r', &b[at..]).map_or(b.len(), |i| at + i);
    (start, end)
}

/// Calls `f` on every piece of `doc`. With `may_match`, JSON strings that cannot hold a
/// reference or a script call are skipped without being decoded (for whole-document scans).
pub(crate) fn for_each_piece<'a>(doc: &Doc<'a>, may_match: bool, f: &mut impl FnMut(Piece<'a>)) {
    let src = doc.text;
    let json = |s: &'a JsonString, kind: PieceKind| -> Option<Piece<'a>> {
        let raw = s.content.slice(src);
        let possible = match kind {
            PieceKind::Script => refs::json_may_have_script_calls(raw),
            _ => refs::json_may_have_refs(raw),
        };
        (!may_match || possible).then(|| Piece::json(src, s, kind))
    };
    match doc.parsed {
        Parsed::Http(file) => {
            for v in &file.variables {
                f(Piece::slice(src, v.value, PieceKind::FileVariable));
            }
            for req in &file.requests {
                for_each_request_range(req, &mut |r| f(Piece::slice(src, r, PieceKind::Request)));
            }
        }
        Parsed::Collection(coll) => {
            coll.for_each_text(&mut |t| {
                if let Some(p) = json(t.string, PieceKind::Request) {
                    f(p);
                }
            });
            for_each_script_line(coll, &mut |line| {
                if let Some(p) = json(line, PieceKind::Script) {
                    f(p);
                }
            });
        }
        Parsed::Env(env) => {
            for e in &env.environments {
                for v in &e.variables {
                    if let EnvValue::Text(s) = &v.value
                        && let Some(p) = json(s, PieceKind::EnvValue)
                    {
                        f(p);
                    }
                }
            }
        }
        Parsed::Links(_) => {}
    }
}

/// The ranges of an `.http` request in which references count: target lines, header names
/// and values, and the body.
pub(crate) fn for_each_request_range(req: &Request, f: &mut impl FnMut(TextRange)) {
    for &t in &req.target {
        f(t);
    }
    for h in &req.headers {
        f(h.name);
        for &v in &h.value {
            f(v);
        }
    }
    if let Some(body) = &req.body {
        f(body.range);
    }
}

/// Every script line of a collection, its own and its items', in no particular order.
pub(crate) fn for_each_script_line<'a>(coll: &'a Collection, f: &mut impl FnMut(&'a JsonString)) {
    for event in &coll.events {
        event.lines.iter().for_each(&mut *f);
    }
    for item in &coll.items {
        for_each_item_script_line(item, f);
    }
}

/// Every script line of an item and of the items inside it.
fn for_each_item_script_line<'a>(item: &'a Item, f: &mut impl FnMut(&'a JsonString)) {
    item.for_each_item(&mut |item| {
        for event in &item.events {
            event.lines.iter().for_each(&mut *f);
        }
    });
}

/// The piece of `doc` that holds `offset` (its ends included), if any.
pub(crate) fn piece_at<'a>(doc: &Doc<'a>, offset: u32) -> Option<Piece<'a>> {
    let src = doc.text;
    match doc.parsed {
        Parsed::Http(file) => {
            http_range_at(file, offset).map(|(r, kind)| Piece::slice(src, r, kind))
        }
        Parsed::Collection(coll) => {
            // Strings do not overlap, so the one that holds `offset` is the collection's own
            // or one of the top-level item whose object holds it: only those are read.
            let within = |s: &JsonString| s.content.contains_inclusive(offset);
            let top = coll.items.partition_point(|i| i.range.start <= offset);
            let item = top
                .checked_sub(1)
                .map(|i| &coll.items[i])
                .filter(|i| i.range.contains_inclusive(offset));
            let mut found: Option<(&'a JsonString, PieceKind)> = None;
            let mut text = |t: Text<'a>| {
                if found.is_none() && within(t.string) {
                    found = Some((t.string, PieceKind::Request));
                }
            };
            coll.for_each_own_text(&mut text);
            if let Some(item) = item {
                item.for_each_text(&mut text);
            }
            let mut line = |line: &'a JsonString| {
                if found.is_none() && within(line) {
                    found = Some((line, PieceKind::Script));
                }
            };
            for event in &coll.events {
                event.lines.iter().for_each(&mut line);
            }
            if let Some(item) = item {
                for_each_item_script_line(item, &mut line);
            }
            found.map(|(s, kind)| Piece::json(src, s, kind))
        }
        Parsed::Env(env) => env
            .environments
            .iter()
            .flat_map(|e| &e.variables)
            .find_map(|v| {
                v.value
                    .text()
                    .filter(|s| s.content.contains_inclusive(offset))
            })
            .map(|s| Piece::json(src, s, PieceKind::EnvValue)),
        Parsed::Links(_) => None,
    }
}

/// The range of an `.http` file, among those references count in, that holds `offset`.
fn http_range_at(file: &HttpFile, offset: u32) -> Option<(TextRange, PieceKind)> {
    let vars = &file.variables;
    let i = vars.partition_point(|v| v.range.start <= offset);
    if let Some(v) = i.checked_sub(1).map(|i| &vars[i])
        && v.value.contains_inclusive(offset)
    {
        return Some((v.value, PieceKind::FileVariable));
    }
    let reqs = &file.requests;
    let i = reqs.partition_point(|r| r.range.start <= offset);
    let req = &reqs[i.checked_sub(1)?];
    let mut found = None;
    for_each_request_range(req, &mut |r| {
        if found.is_none() && r.contains_inclusive(offset) {
            found = Some(r);
        }
    });
    found.map(|r| (r, PieceKind::Request))
}

/// A reference found in a piece, with source ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Found {
    /// The whole `{{…}}`; for a script call, the name inside the quotes.
    pub range: TextRange,
    /// The name (a vault name, a variable name, `$word`); the whole range when there is none.
    pub name_range: TextRange,
    /// The name as decoded.
    pub name: String,
    pub kind: FoundKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FoundKind {
    /// `{{vault:NAME}}`.
    Vault,
    /// `{{vault:…{{var}}…}}`.
    DynamicVault,
    /// A malformed vault reference, and what is wrong with it.
    InvalidVault(&'static str),
    /// `{{name}}`.
    Variable,
    /// `{{$name …}}`.
    Dynamic,
    /// `pm.vault.get/set/unset("NAME")`; the name may be invalid.
    Script(VaultMethod),
}

/// The references in `piece`, or only in `local` (a range of the piece's text, which should
/// be whole lines) when given, pushed to `out`.
pub(crate) fn refs_in(
    src: &str,
    piece: &Piece<'_>,
    local: Option<(usize, usize)>,
    out: &mut Vec<Found>,
) {
    let text: &str = &piece.text;
    let (start, end) = local.unwrap_or((0, text.len()));
    let Some(part) = text.get(start..end) else {
        return;
    };
    let base = to_u32(start);
    let slice = |r: TextRange| r.slice(text).to_owned();
    if piece.kind == PieceKind::Script {
        let mut calls = Vec::new();
        refs::scan_script(part, base, &mut calls);
        out.extend(calls.into_iter().map(|c| {
            let range = piece.to_source(src, c.name);
            Found {
                range,
                name_range: range,
                name: slice(c.name),
                kind: FoundKind::Script(c.method),
            }
        }));
        return;
    }
    let mut found = Vec::new();
    refs::scan(part, base, &mut found);
    for r in found {
        let (name, kind) = match r.kind {
            RefKind::Vault { name } => (name, FoundKind::Vault),
            RefKind::DynamicVault { name } => (name, FoundKind::DynamicVault),
            RefKind::InvalidVault { message } => (r.range, FoundKind::InvalidVault(message)),
            RefKind::Variable { name } => (name, FoundKind::Variable),
            RefKind::Dynamic { name } => (name, FoundKind::Dynamic),
            RefKind::Malformed { .. } | RefKind::Other => continue,
        };
        out.push(Found {
            range: piece.to_source(src, r.range),
            name_range: piece.to_source(src, name),
            name: slice(name),
            kind,
        });
    }
}

/// The references on the line of `doc` that holds `offset`, in the piece there.
pub(crate) fn refs_near(doc: &Doc<'_>, offset: u32) -> Vec<Found> {
    let mut out = Vec::new();
    if let Some(piece) = piece_at(doc, offset) {
        let local = piece.to_local(doc.text, offset);
        refs_in(
            doc.text,
            &piece,
            Some(line_around(&piece.text, local)),
            &mut out,
        );
    }
    out
}

/// The innermost reference that holds `offset` (its ends included).
pub(crate) fn ref_at(doc: &Doc<'_>, offset: u32) -> Option<Found> {
    refs_near(doc, offset)
        .into_iter()
        .filter(|f| f.range.contains_inclusive(offset))
        .min_by_key(|f| f.range.len())
}

/// Every reference of `doc`, in source order.
pub(crate) fn all_refs(doc: &Doc<'_>) -> Vec<Found> {
    let mut out = Vec::new();
    for_each_piece(doc, true, &mut |piece| {
        refs_in(doc.text, &piece, None, &mut out)
    });
    out.sort_by_key(|f| (f.range.start, f.range.end));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::document::DocKind;
    use crate::vault::incremental::tests::{random_collection, random_json_edit};

    /// [`piece_at`] of a collection as it was first written: every string of it read.
    fn piece_at_reading_every_string(
        coll: &Collection,
        offset: u32,
    ) -> Option<(&JsonString, PieceKind)> {
        let within = |s: &JsonString| s.content.contains_inclusive(offset);
        let mut found = None;
        coll.for_each_text(&mut |t| {
            if found.is_none() && within(t.string) {
                found = Some((t.string, PieceKind::Request));
            }
        });
        if found.is_none() {
            for_each_script_line(coll, &mut |line| {
                if found.is_none() && within(line) {
                    found = Some((line, PieceKind::Script));
                }
            });
        }
        found
    }

    #[test]
    fn the_piece_of_a_collection_is_found_in_its_top_level_item() {
        let rng = &mut fastrand::Rng::with_seed(7);
        for round in 0..300 {
            let mut text = random_collection(rng);
            // Broken ones too: items the parse recovered from.
            for _ in 0..round % 4 {
                let (start, end, new) = random_json_edit(rng, &text);
                text.replace_range(start..end, &new);
            }
            let parsed = Parsed::parse(DocKind::Collection, &text);
            let Parsed::Collection(coll) = &parsed else {
                panic!("a collection");
            };
            let doc = Doc {
                path: None,
                text: &text,
                kind: DocKind::Collection,
                parsed: &parsed,
            };
            for offset in 0..=text.len() as u32 {
                let expected = piece_at_reading_every_string(coll, offset)
                    .map(|(s, kind)| (Piece::json(&text, s, kind).text, kind));
                let got = piece_at(&doc, offset).map(|p| (p.text, p.kind));
                assert_eq!(got, expected, "at {offset} of {text}");
            }
        }
    }
}
