//! Completion of variables, vault names and link identifiers.
//!
//! Every completion carries the exact range it replaces: the partial name before the cursor
//! and the rest of the name after it, so the editor filters on what was typed and accepting
//! an item in the middle of a name replaces the whole name. In JSON strings the range is
//! mapped back through escapes.

use std::collections::BTreeMap;

use crate::syntax::env::EnvFileKind;
use crate::syntax::refs;
use crate::text::TextRange;
use crate::vault::document::Parsed;
use crate::vault::features::hover::DYNAMIC;
use crate::vault::features::scan::{self, Piece, PieceKind, clamp_offset, line_around};
use crate::vault::features::vars::{self, Source};
use crate::vault::features::{Doc, World};
use crate::vault::links::LinksFile;

/// What a completion inserts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    /// A vault reference name.
    Secret,
    /// A variable (file, environment, collection).
    Variable,
    /// A dynamic variable such as `$uuid`.
    Dynamic,
    /// The `vault:` prefix.
    Keyword,
    /// A link identifier in `vaultlink.json`.
    Link,
}

/// One completion: `insert` replaces `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion {
    /// What the list shows, and what the editor filters on.
    pub label: String,
    /// What it inserts, for the icon.
    pub kind: CompletionKind,
    /// Shown beside the label: the link of a secret, where a variable is defined.
    pub detail: Option<String>,
    /// What the item replaces: the partial name before the cursor and the rest of the name
    /// after it (empty at the cursor when nothing was typed).
    pub range: TextRange,
    /// The replacement text.
    pub insert: String,
}

/// The completions at `offset`. After `{{` (and a partial name): `vault:` and every variable
/// in scope and the common dynamic variables; after `{{vault:` (and a partial name): every
/// linked name and every name referenced in the workspace, with the link as detail (closing
/// `}}` added when missing); inside `pm.vault.get("`/`set(`/`unset(` quotes in collection
/// scripts: the same names; in `vaultlink.json` inside a `link` string value:
/// `https://<vault>.vault.azure.net/secrets/` for each vault already used in the file. Empty
/// anywhere else.
pub fn completion(doc: &Doc<'_>, offset: u32, world: &World<'_>) -> Vec<Completion> {
    if let Parsed::Links(links) = doc.parsed {
        return link_completion(doc.text, links, offset, world);
    }
    let Some(piece) = scan::piece_at(doc, offset) else {
        return Vec::new();
    };
    let at = Cursor::new(doc.text, &piece, offset);
    if piece.kind == PieceKind::Script {
        return script_completion(&at, world);
    }
    brace_completion(doc, &at, world, offset)
}

/// The cursor inside a piece: its line's text before and after it.
struct Cursor<'p> {
    src: &'p str,
    piece: &'p Piece<'p>,
    /// The cursor, in the piece's text.
    local: usize,
    line_start: usize,
    line_end: usize,
}

impl<'p> Cursor<'p> {
    fn new(src: &'p str, piece: &'p Piece<'p>, offset: u32) -> Cursor<'p> {
        let local = piece.to_local(src, offset);
        let (line_start, line_end) = line_around(&piece.text, local);
        Cursor {
            src,
            piece,
            local,
            line_start,
            line_end,
        }
    }

    fn before(&self) -> &str {
        &self.piece.text[self.line_start..self.local]
    }

    /// The replacement range, in the document, of a name that starts at `start` (in the
    /// piece) and runs on past the cursor while `name_char` holds; and whether a `}}`
    /// follows it (spaces allowed in between).
    fn name_range(&self, start: usize, name_char: impl Fn(char) -> bool) -> (TextRange, bool) {
        let text: &str = &self.piece.text;
        let after = &text[self.local..self.line_end];
        let rest = after.find(|c| !name_char(c)).unwrap_or(after.len());
        let end = self.local + rest;
        let closed = text[end..self.line_end]
            .trim_start_matches([' ', '\t'])
            .starts_with("}}");
        let range = self
            .piece
            .to_source(self.src, TextRange::from_usize(start, end));
        (range, closed)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

fn is_variable_char(c: char) -> bool {
    is_name_char(c) || c == '$'
}

/// After `{{` or `{{vault:`.
fn brace_completion(
    doc: &Doc<'_>,
    at: &Cursor<'_>,
    world: &World<'_>,
    offset: u32,
) -> Vec<Completion> {
    let before = at.before();
    let Some(open) = before.rfind("{{") else {
        return Vec::new();
    };
    if before[open..].contains("}}") {
        return Vec::new();
    }
    let inner = &before[open + 2..];
    let lead = inner.len() - inner.trim_start_matches([' ', '\t']).len();
    let inner_start = at.line_start + open + 2 + lead;
    let inner = &inner[lead..];
    if let Some(rest) = inner.strip_prefix("vault:") {
        let spaces = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let partial = &rest[spaces..];
        if !partial.chars().all(is_name_char) {
            return Vec::new();
        }
        let (range, closed) = at.name_range(inner_start + 6 + spaces, is_name_char);
        let close = if closed { "" } else { "}}" };
        return secret_names(world)
            .into_iter()
            .map(|(name, detail)| Completion {
                insert: format!("{name}{close}"),
                label: name,
                kind: CompletionKind::Secret,
                detail: Some(detail),
                range,
            })
            .collect();
    }
    if !inner.chars().all(is_variable_char) {
        return Vec::new();
    }
    let (range, closed) = at.name_range(inner_start, is_variable_char);
    let close = if closed { "" } else { "}}" };
    let mut out = vec![Completion {
        label: "vault:".to_owned(),
        kind: CompletionKind::Keyword,
        detail: Some("a secret linked to Azure Key Vault".to_owned()),
        range,
        insert: "vault:".to_owned(),
    }];
    let mut seen = std::collections::HashSet::new();
    for def in vars::all(doc, world, offset) {
        if def.name.is_empty() || !seen.insert(def.name.clone()) {
            continue;
        }
        out.push(Completion {
            insert: format!("{}{close}", def.name),
            label: def.name.into_owned(),
            kind: CompletionKind::Variable,
            detail: Some(source_detail(def.source)),
            range,
        });
    }
    let postman = match doc.parsed {
        Parsed::Collection(_) => true,
        Parsed::Env(env) => env.kind == EnvFileKind::Postman,
        _ => false,
    };
    for &(name, what, http, pm) in DYNAMIC {
        if (postman && pm) || (!postman && http) {
            out.push(Completion {
                label: name.to_owned(),
                kind: CompletionKind::Dynamic,
                detail: Some(what.to_owned()),
                range,
                insert: format!("{name}{close}"),
            });
        }
    }
    out
}

fn source_detail(source: Source<'_>) -> String {
    match source {
        Source::FileVariable => "file variable".to_owned(),
        Source::Request => "request (its response)".to_owned(),
        Source::Collection => "collection variable".to_owned(),
        Source::Folder(path) => format!("variable of {path}"),
        Source::Env { env, file } => {
            let file = file
                .file_name()
                .unwrap_or(file.as_os_str())
                .to_string_lossy();
            format!("environment {env} ({file})")
        }
    }
}

/// Every name a vault reference can use: linked names with their link, then names used in
/// the workspace, sorted.
fn secret_names(world: &World<'_>) -> Vec<(String, String)> {
    let mut names: BTreeMap<&str, String> = BTreeMap::new();
    if let Some(links) = world.links {
        for link in &links.file.secrets {
            if refs::is_valid_name(&link.name) {
                let detail = if link.link_text.is_empty() {
                    "no link yet".to_owned()
                } else {
                    link.link_text.clone()
                };
                names.insert(&link.name, detail);
            }
        }
    }
    for name in world.workspace_names {
        if refs::is_valid_name(name) {
            names
                .entry(name.as_str())
                .or_insert_with(|| "not linked".to_owned());
        }
    }
    let mut out: Vec<(String, String)> = names
        .into_iter()
        .map(|(name, detail)| (name.to_owned(), detail))
        .collect();
    // Link candidates: the secrets Key Vault lists in the vaults already in use.
    if let (Some(view), Some(links)) = (world.keyvault, world.links) {
        let mut hosts: Vec<String> = links
            .file
            .secrets
            .iter()
            .filter_map(|s| s.secret_id())
            .map(|id| id.host())
            .collect();
        hosts.sort();
        hosts.dedup();
        for host in hosts {
            let vault = host.split('.').next().unwrap_or_default().to_owned();
            for name in view.secret_names(&host).iter().flat_map(|n| n.iter()) {
                if !out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    out.push((
                        name.clone(),
                        format!("in Key Vault {vault}, not linked yet"),
                    ));
                }
            }
        }
        out.sort();
    }
    out
}

/// Inside the quotes of `pm.vault.get(`, `set(` or `unset(`.
fn script_completion(at: &Cursor<'_>, world: &World<'_>) -> Vec<Completion> {
    let before = at.before();
    let Some(quote) = before.rfind(['"', '\'', '`']) else {
        return Vec::new();
    };
    if !before[quote + 1..].chars().all(is_name_char) {
        return Vec::new();
    }
    let call = before[..quote].trim_end_matches([' ', '\t']);
    let Some(call) = call.strip_suffix('(') else {
        return Vec::new();
    };
    let call = call.trim_end_matches([' ', '\t']);
    if !["pm.vault.get", "pm.vault.set", "pm.vault.unset"]
        .iter()
        .any(|m| call.ends_with(m))
    {
        return Vec::new();
    }
    let (range, _) = at.name_range(at.line_start + quote + 1, is_name_char);
    secret_names(world)
        .into_iter()
        .map(|(name, detail)| Completion {
            insert: name.clone(),
            label: name,
            kind: CompletionKind::Secret,
            detail: Some(detail),
            range,
        })
        .collect()
}

/// Inside a `link` string of `vaultlink.json`: the secrets URL of each vault in use.
fn link_completion(
    src: &str,
    links: &LinksFile,
    offset: u32,
    world: &World<'_>,
) -> Vec<Completion> {
    let offset = clamp_offset(src, offset) as u32;
    let Some(content) = links.secrets.iter().find_map(|s| {
        let range = s.link_range?;
        let text = range.slice(src);
        if !text.starts_with('"') {
            return None;
        }
        let end = if text.len() >= 2 && text.ends_with('"') {
            range.end - 1
        } else {
            range.end
        };
        let content = TextRange::new(range.start + 1, end);
        content.contains_inclusive(offset).then_some(content)
    }) else {
        return Vec::new();
    };
    let mut seen = Vec::new();
    for id in links.secrets.iter().filter_map(|s| s.secret_id()) {
        let url = format!("{}/secrets/", id.vault_url());
        if !seen.iter().any(|(u, _)| *u == url) {
            seen.push((url, id.vault.clone()));
        }
    }
    let mut out: Vec<Completion> = Vec::new();
    for (url, vault) in seen {
        // The secrets Key Vault lists in this vault, names only.
        let host = url
            .trim_start_matches("https://")
            .split('/')
            .next()
            .unwrap_or_default();
        let names = world.keyvault.and_then(|v| v.secret_names(host));
        for name in names.iter().flat_map(|n| n.iter()) {
            out.push(Completion {
                label: format!("{url}{name}"),
                kind: CompletionKind::Link,
                detail: Some(format!("secret {name} in Key Vault {vault}")),
                range: content,
                insert: format!("{url}{name}"),
            });
        }
        out.push(Completion {
            label: url.clone(),
            kind: CompletionKind::Link,
            detail: Some(format!("a secret in the vault {vault}")),
            range: content,
            insert: url,
        });
    }
    // The secrets Secrets Manager lists in the regions already in use, as ARNs.
    let mut regions: Vec<String> = Vec::new();
    for id in links.secrets.iter().filter_map(|s| s.link_id()) {
        if let crate::vault::identifier::LinkId::SecretsManager(arn) = id
            && !regions.contains(&arn.host())
        {
            regions.push(arn.host());
        }
    }
    for host in regions {
        let arns = world.keyvault.and_then(|v| v.secret_names(&host));
        for arn in arns.iter().flat_map(|n| n.iter()) {
            out.push(Completion {
                label: arn.clone(),
                kind: CompletionKind::Link,
                detail: Some("a secret in AWS Secrets Manager".to_owned()),
                range: content,
                insert: arn.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
