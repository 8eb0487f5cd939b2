//! Navigation: go to definition, find references, rename of vault names.
//!
//! References and rename across the workspace are [`vault_names`] of every file, which the
//! server gathers; definitions point into `vaultlink.json`, an environment file or the
//! document itself.

use crate::text::TextRange;
use crate::vault::document::Parsed;
use crate::vault::features::scan::{self, Found, FoundKind};
use crate::vault::features::vars;
use crate::vault::features::{Doc, FileRange, World};
use crate::vault::links::LinksFile;

/// A vault name used in a document: the whole reference and the name inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NameUse {
    /// The name, decoded.
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
    if let Parsed::Links(links) = doc.parsed {
        return link_keys(doc.text, links).collect();
    }
    scan::all_refs(doc)
        .into_iter()
        .filter_map(name_use)
        .collect()
}

/// The keys of `secrets` as name uses.
fn link_keys<'l>(src: &'l str, links: &'l LinksFile) -> impl Iterator<Item = NameUse> + 'l {
    links.secrets.iter().map(move |s| {
        let key = s.name_range;
        let text = key.slice(src);
        let quoted = key.len() >= 2 && text.starts_with('"') && text.ends_with('"');
        NameUse {
            name: s.name.clone(),
            name_range: if quoted {
                TextRange::new(key.start + 1, key.end - 1)
            } else {
                key
            },
            range: key,
        }
    })
}

fn name_use(found: Found) -> Option<NameUse> {
    match found.kind {
        FoundKind::Vault | FoundKind::Script(_) => Some(NameUse {
            name: found.name,
            name_range: found.name_range,
            range: found.range,
        }),
        _ => None,
    }
}

/// The vault name at `offset`, from a reference, a script call or a `vaultlink.json` key.
/// Only the line around `offset` is scanned.
pub fn name_at(doc: &Doc<'_>, offset: u32) -> Option<NameUse> {
    if let Parsed::Links(links) = doc.parsed {
        return link_keys(doc.text, links).find(|u| u.range.contains_inclusive(offset));
    }
    scan::refs_near(doc, offset)
        .into_iter()
        .filter(|f| f.range.contains_inclusive(offset))
        .filter_map(name_use)
        .min_by_key(|u| u.range.len())
}

/// Go to definition: from a vault reference to its entry in vaultlink.json (the key); from
/// `{{var}}` to its definition (`@var =` in the file, an environment file's key, a collection
/// variable's key).
///
/// A variable defined in several places goes to the first in precedence order: the
/// document's own definitions (file variables, request names, folder then collection
/// variables), then the environment files, nearest first.
pub fn definition(doc: &Doc<'_>, offset: u32, world: &World<'_>) -> Option<FileRange> {
    if let Parsed::Links(_) = doc.parsed {
        return None;
    }
    let found = scan::ref_at(doc, offset)?;
    match found.kind {
        FoundKind::Vault | FoundKind::Script(_) => {
            let links = world.links?;
            let link = links.file.get(&found.name)?;
            Some(FileRange {
                path: links.path.to_path_buf(),
                range: link.name_range,
            })
        }
        FoundKind::Variable => {
            let defs = vars::lookup(doc, world, &found.name, offset);
            let def = defs.iter().find(|d| d.path.is_some())?;
            Some(FileRange {
                path: def.path?.to_path_buf(),
                range: def.name_range,
            })
        }
        FoundKind::DynamicVault | FoundKind::InvalidVault(_) | FoundKind::Dynamic => None,
    }
}

#[cfg(test)]
mod tests;
