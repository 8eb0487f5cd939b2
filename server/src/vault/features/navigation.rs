//! Navigation: go to definition, find references, rename of vault names.

use crate::text::TextRange;
use crate::vault::features::{Doc, FileRange, World};

/// A vault name used in a document: the whole reference and the name inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameUse {
    pub name: String,
    /// The range of the name itself (what a rename replaces).
    pub name_range: TextRange,
    /// The whole `{{vault:x}}`, or the name inside script quotes.
    pub range: TextRange,
}

/// Every vault name used in a document: `{{vault:x}}` in requests, collections and
/// environment values (ranges through JSON escapes), `pm.vault.*("x")` in scripts, and in
/// `vaultlink.json` the keys of `secrets` (name_range: inside the quotes).
pub fn vault_names(doc: &Doc<'_>) -> Vec<NameUse> {
    let _ = doc;
    Vec::new()
}

/// The vault name at `offset`, from a reference, a script call or a `vaultlink.json` key.
pub fn name_at(doc: &Doc<'_>, offset: u32) -> Option<NameUse> {
    vault_names(doc).into_iter().find(|u| u.range.contains_inclusive(offset))
}

/// Go to definition: from a vault reference to its entry in vaultlink.json (the key); from
/// `{{var}}` to its definition (`@var =` in the file, an environment file's key, a collection
/// variable's key).
pub fn definition(doc: &Doc<'_>, offset: u32, world: &World<'_>) -> Option<FileRange> {
    let _ = (doc, offset, world);
    None
}
