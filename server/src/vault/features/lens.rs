//! Code lenses: above each request, the vault references it uses and their state.
//!
//! A request uses a secret when it names it (`{{vault:x}}`, or `pm.vault.get("x")` in its
//! scripts) or through a variable whose value does (`@token = {{vault:x}}` and
//! `Bearer {{token}}`), in any environment. A collection request also uses the secrets of
//! the auth it inherits from its folders or the collection. Each secret counts once per
//! request.

use std::collections::{BTreeSet, HashMap};

use crate::syntax::json::JsonString;
use crate::syntax::postman::{Collection, Item, ItemKind, TextRole};
use crate::syntax::refs::{self, RefKind, VaultMethod};
use crate::text::TextRange;
use crate::vault::document::Parsed;
use crate::vault::features::scan::{self, FoundKind, Piece, PieceKind};
use crate::vault::features::vars;
use crate::vault::features::{Doc, World};
use crate::vault::links::LinksFile;

/// A code lens: a line of text above a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lens {
    /// The request line (or the collection item's `name`), where the lens is shown.
    pub range: TextRange,
    /// "2 linked, 1 unlinked", "1 linked, 1 broken link"; requests without vault references
    /// get no lens.
    pub title: String,
}

/// The lenses of a document: one per request that uses vault secrets, in file order.
pub fn code_lenses(doc: &Doc<'_>, world: &World<'_>) -> Vec<Lens> {
    let links = world.links.map(|l| l.file);
    let mut through = Through::new(doc, world);
    let mut out = Vec::new();
    match doc.parsed {
        Parsed::Http(file) => {
            for req in &file.requests {
                let mut names = BTreeSet::new();
                scan::for_each_request_range(req, &mut |r| {
                    let piece = Piece::slice(doc.text, r, PieceKind::Request);
                    through.names_in(&piece, 0, 0, &mut names);
                });
                if let Some(title) = title(&names, links) {
                    out.push(Lens {
                        range: req.request_line,
                        title,
                    });
                }
            }
        }
        Parsed::Collection(coll) => {
            for (range, names) in collection_uses(doc, coll, &mut through) {
                if let Some(title) = title(&names, links) {
                    out.push(Lens { range, title });
                }
            }
        }
        Parsed::Env(_) | Parsed::Links(_) => {}
    }
    out
}

/// "2 linked, 1 unlinked, 1 broken link"; `None` when there are no names.
fn title(names: &BTreeSet<String>, links: Option<&LinksFile>) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    let (mut linked, mut unlinked, mut broken) = (0, 0, 0);
    for name in names {
        match links.and_then(|l| l.get(name)) {
            None => unlinked += 1,
            Some(link) if link.link_id().is_some() => linked += 1,
            Some(_) => broken += 1,
        }
    }
    let mut parts = Vec::new();
    if linked > 0 {
        parts.push(format!("{linked} linked"));
    }
    if unlinked > 0 {
        parts.push(format!("{unlinked} unlinked"));
    }
    if broken > 0 {
        let s = if broken == 1 { "" } else { "s" };
        parts.push(format!("{broken} broken link{s}"));
    }
    Some(parts.join(", "))
}

/// The vault names that uses reach, directly or through variables, memoized per variable
/// and scope.
struct Through<'d, 'a> {
    doc: &'d Doc<'a>,
    world: &'d World<'a>,
    /// (variable, scope) → the vault names its definitions lead to.
    memo: HashMap<(String, u32), Vec<String>>,
}

impl<'d, 'a> Through<'d, 'a> {
    fn new(doc: &'d Doc<'a>, world: &'d World<'a>) -> Through<'d, 'a> {
        Through {
            doc,
            world,
            memo: HashMap::new(),
        }
    }

    /// Adds the vault names `piece` uses to `names`. `scope` tells apart the places where a
    /// variable may mean different things (a collection item, with its folders' variables);
    /// variables are looked up from where they are used.
    fn names_in(
        &mut self,
        piece: &Piece<'_>,
        scope: u32,
        depth: u32,
        names: &mut BTreeSet<String>,
    ) {
        let mut found = Vec::new();
        scan::refs_in(self.doc.text, piece, None, &mut found);
        for f in found {
            match f.kind {
                FoundKind::Vault => {
                    names.insert(f.name);
                }
                FoundKind::Script(VaultMethod::Get) if refs::is_valid_name(&f.name) => {
                    names.insert(f.name);
                }
                FoundKind::Variable if depth < 8 => {
                    names.extend(self.variable(&f.name, f.range.start, scope, depth));
                }
                _ => {}
            }
        }
    }

    fn variable(&mut self, name: &str, offset: u32, scope: u32, depth: u32) -> Vec<String> {
        let key = (name.to_owned(), scope);
        if let Some(hit) = self.memo.get(&key) {
            return hit.clone();
        }
        // A cycle ends here: the entry is filled in once the definitions are read.
        self.memo.insert(key.clone(), Vec::new());
        let mut names = BTreeSet::new();
        for def in vars::lookup(self.doc, self.world, name, offset) {
            let Some(value) = def.value.text() else {
                continue;
            };
            if !value.contains("{{") {
                continue;
            }
            let mut found = Vec::new();
            refs::scan(value, 0, &mut found);
            for r in found {
                match r.kind {
                    RefKind::Vault { name } => {
                        names.insert(name.slice(value).to_owned());
                    }
                    RefKind::Variable { name } if depth < 8 => {
                        names.extend(self.variable(name.slice(value), offset, scope, depth + 1));
                    }
                    _ => {}
                }
            }
        }
        let names: Vec<String> = names.into_iter().collect();
        self.memo.insert(key, names.clone());
        names
    }
}

/// For each request item of a collection, where its lens goes and the vault names it uses.
fn collection_uses(
    doc: &Doc<'_>,
    coll: &Collection,
    through: &mut Through<'_, '_>,
) -> Vec<(TextRange, BTreeSet<String>)> {
    let src = doc.text;
    // The names in each item's own strings (a folder's: its auth only), and the
    // collection's auth.
    let mut own: HashMap<*const Item, BTreeSet<String>> = HashMap::new();
    let mut collection_auth = BTreeSet::new();
    coll.for_each_text(&mut |t| {
        let is_request = t
            .item
            .is_some_and(|i| matches!(i.kind, ItemKind::Request(_)));
        if !is_request && t.role != TextRole::AuthParam {
            return;
        }
        if !refs::json_may_have_refs(t.string.content.slice(src)) {
            return;
        }
        let scope = t.item.map_or(0, |i| i.range.start);
        let names = match t.item {
            Some(item) => own.entry(item as *const Item).or_default(),
            None => &mut collection_auth,
        };
        through.names_in(
            &Piece::json(src, t.string, PieceKind::Request),
            scope,
            0,
            names,
        );
    });
    let mut out = Vec::new();
    walk(
        doc,
        &coll.items,
        &collection_auth,
        &mut own,
        through,
        &mut out,
    );
    out
}

fn walk(
    doc: &Doc<'_>,
    items: &[Item],
    inherited: &BTreeSet<String>,
    own: &mut HashMap<*const Item, BTreeSet<String>>,
    through: &mut Through<'_, '_>,
    out: &mut Vec<(TextRange, BTreeSet<String>)>,
) {
    let src = doc.text;
    for item in items {
        let mut names = own.remove(&(item as *const Item)).unwrap_or_default();
        match &item.kind {
            ItemKind::Folder(children) => {
                let auth = if item.auth.is_some() {
                    &names
                } else {
                    inherited
                };
                walk(doc, children, auth, own, through, out);
            }
            ItemKind::Request(req) => {
                if req.auth.is_none() && item.auth.is_none() {
                    names.extend(inherited.iter().cloned());
                }
                for line in item
                    .events
                    .iter()
                    .filter(|e| !e.disabled)
                    .flat_map(|e| &e.lines)
                {
                    if refs::json_may_have_script_calls(line.content.slice(src)) {
                        let piece = Piece::json(src, line, PieceKind::Script);
                        through.names_in(&piece, item.range.start, 0, &mut names);
                    }
                }
                let range = item
                    .name
                    .as_ref()
                    .map_or(item.range, |n: &JsonString| n.content);
                out.push((range, names));
            }
        }
    }
}

#[cfg(test)]
mod tests;
