//! Completion of variables, vault names and link identifiers.

use crate::text::TextRange;
use crate::vault::features::{Doc, World};

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
    pub label: String,
    pub kind: CompletionKind,
    /// Shown beside the label: the link of a secret, where a variable is defined.
    pub detail: Option<String>,
    pub range: TextRange,
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
    let _ = (doc, offset, world);
    Vec::new()
}
