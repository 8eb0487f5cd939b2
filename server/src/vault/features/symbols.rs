//! Document symbols: requests of `.http` files; folders and items of collections;
//! environments and their variables; links of `vaultlink.json`.
//!
//! Built from the parse alone: every name is a slice (or a decoded JSON string) of a range
//! the parser already found, so a 5 MB file with tens of thousands of requests costs one
//! short allocation per symbol and no scanning.

use std::borrow::Cow;

use crate::syntax::env::EnvFile;
use crate::syntax::http::{HttpFile, Request};
use crate::syntax::postman::{Collection, Item, ItemKind};
use crate::text::TextRange;
use crate::vault::document::Parsed;
use crate::vault::features::Doc;
use crate::vault::links::LinksFile;

/// What a symbol stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A request of an `.http` file or a collection.
    Request,
    /// A collection folder.
    Folder,
    /// An environment of an environment file.
    Environment,
    /// A variable of an environment.
    Variable,
    /// A link of `vaultlink.json`.
    Secret,
}

/// A document symbol, with its children (a folder's items, an environment's variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// `POST /login` style for unnamed requests (method and target, shortened), the name
    /// for named ones; folder and item names; environment and variable names; link names.
    pub name: String,
    /// The method and URL of a named request; the link of a secret.
    pub detail: Option<String>,
    /// What it stands for.
    pub kind: SymbolKind,
    /// The whole request, item, environment, variable or entry.
    pub range: TextRange,
    /// Its name (inside the range): the request name or request line, a JSON name without
    /// its quotes.
    pub selection: TextRange,
    /// Nested symbols, in file order.
    pub children: Vec<Symbol>,
}

/// How many characters of a URL a symbol shows.
const MAX_URL: usize = 60;

/// What an item without a name is called, as the collection model calls it.
const UNNAMED: &str = "(unnamed)";

/// The symbols of a document. Must stay fast on 5 MB files (tens of thousands of symbols):
/// no per-symbol re-scanning of the text.
pub fn symbols(doc: &Doc<'_>) -> Vec<Symbol> {
    match doc.parsed {
        Parsed::Http(file) => http_symbols(doc.text, file),
        Parsed::Collection(coll) => collection_symbols(doc.text, coll),
        Parsed::Env(env) => env_symbols(env),
        Parsed::Links(links) => links_symbols(doc.text, links),
    }
}

fn http_symbols(text: &str, file: &HttpFile) -> Vec<Symbol> {
    file.requests
        .iter()
        .map(|req| {
            let line = request_line(text, req);
            let (name, detail, selection) = match req.name {
                Some(name) => (name.slice(text).to_owned(), Some(line), name),
                None => (line, None, req.request_line),
            };
            Symbol {
                name,
                detail,
                kind: SymbolKind::Request,
                range: req.range,
                selection,
                children: Vec::new(),
            }
        })
        .collect()
}

/// `METHOD target`, the target (its continuation lines joined) shortened.
fn request_line(text: &str, req: &Request) -> String {
    let method = req.method.map(|m| m.slice(text));
    let mut out = String::with_capacity(MAX_URL + 16);
    if let Some(m) = method {
        out.push_str(m);
    }
    let mut chars = 0;
    for (i, part) in req.target.iter().enumerate() {
        if i == 0 && method.is_some() {
            out.push(' ');
        }
        for c in part.slice(text).chars() {
            if chars == MAX_URL {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

fn shorten_url(url: &str) -> Cow<'_, str> {
    match url.char_indices().nth(MAX_URL) {
        None => Cow::Borrowed(url),
        Some((i, _)) => Cow::Owned(format!("{}…", &url[..i])),
    }
}

fn collection_symbols(src: &str, coll: &Collection) -> Vec<Symbol> {
    fn items(src: &str, items: &[Item]) -> Vec<Symbol> {
        items.iter().map(|item| item_symbol(src, item)).collect()
    }
    fn item_symbol(src: &str, item: &Item) -> Symbol {
        let name = match &item.name {
            Some(n) => n.value(src),
            None => Cow::Borrowed(UNNAMED),
        };
        let name = if name.is_empty() {
            UNNAMED.to_owned()
        } else {
            name.into_owned()
        };
        let selection = item.name.map_or(item.range, |n| n.content);
        match &item.kind {
            ItemKind::Folder(children) => Symbol {
                name,
                detail: None,
                kind: SymbolKind::Folder,
                range: item.range,
                selection,
                children: items(src, children),
            },
            ItemKind::Request(req) => {
                let url = req
                    .url
                    .as_ref()
                    .and_then(|u| u.raw.as_ref())
                    .map(|r| r.value(src));
                let method = req.method_name(src);
                let detail = match url {
                    Some(url) => format!("{method} {}", shorten_url(&url)),
                    None => method.into_owned(),
                };
                Symbol {
                    name,
                    detail: Some(detail),
                    kind: SymbolKind::Request,
                    range: item.range,
                    selection,
                    children: Vec::new(),
                }
            }
        }
    }
    items(src, &coll.items)
}

fn env_symbols(env: &EnvFile) -> Vec<Symbol> {
    env.environments
        .iter()
        .map(|e| Symbol {
            name: e.name.clone(),
            detail: None,
            kind: SymbolKind::Environment,
            range: e.range,
            selection: e.name_range,
            children: e
                .variables
                .iter()
                .map(|v| Symbol {
                    // Values are never shown: they may be secrets.
                    name: v.name.clone(),
                    detail: None,
                    kind: SymbolKind::Variable,
                    range: v.range,
                    selection: v.name_range,
                    children: Vec::new(),
                })
                .collect(),
        })
        .collect()
}

fn links_symbols(src: &str, links: &LinksFile) -> Vec<Symbol> {
    links
        .secrets
        .iter()
        .map(|s| {
            // The key without its quotes.
            let key = s.name_range;
            let quoted =
                key.len() >= 2 && key.slice(src).starts_with('"') && key.slice(src).ends_with('"');
            let selection = if quoted {
                TextRange::new(key.start + 1, key.end - 1)
            } else {
                key
            };
            Symbol {
                name: s.name.clone(),
                detail: (!s.link_text.is_empty()).then(|| s.link_text.clone()),
                kind: SymbolKind::Secret,
                range: s.range,
                selection,
                children: Vec::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
