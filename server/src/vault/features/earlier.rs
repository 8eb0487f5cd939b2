//! Hover and completion read in the version a document was edited from, while the edited
//! version is not parsed yet.
//!
//! A hover sent right after a keystroke meets a version nobody has parsed, and in a large
//! collection whose brackets the keystroke unbalanced that parse is a parse of the whole
//! file, milliseconds of it. Where the edit lies in a part of the document that parses apart
//! from the part that holds the cursor, the parse of the edited version reads the cursor's
//! part as the earlier parse did, moved by the edit, and a reference whose hover is its own
//! (its name and the links) is answered from the earlier parse: the same answer, sooner.
//! Completion of a secret's name is answered so too when the edit changed none of the names
//! the document uses, which it offers with the others.

use crate::syntax::postman::Collection;
use crate::text::{Splice, TextRange, to_u32};
use crate::vault::document::Parsed;
use crate::vault::features::Doc;
use crate::vault::features::completion::{self, NameSlot};
use crate::vault::features::hover;
use crate::vault::features::scan::{self, Found};
use crate::vault::incremental;

/// The reference whose hover is asked at `offset` of `after`, the text `splice` made of
/// `earlier`'s, read in `earlier`'s parse: `Some(None)` when there is none, `None` when the
/// earlier parse cannot tell (the edit reached what is read there, or the hover of the
/// reference reads the rest of the document, see [`hover::is_own`]). Its ranges are those
/// of `after`.
pub(crate) fn reference(
    earlier: &Doc<'_>,
    after: &str,
    splice: Splice,
    offset: u32,
) -> Option<Option<Found>> {
    let (back, _) = unreached(earlier, after, splice, offset)?;
    let Some(found) = scan::ref_at(earlier, back) else {
        return Some(None);
    };
    if !hover::is_own(found.kind) {
        return None;
    }
    Some(Some(Found {
        range: splice.forward(found.range)?,
        name_range: splice.forward(found.name_range)?,
        ..found
    }))
}

/// The slot for a secret's name at `offset` of `after`, read in `earlier`'s parse as
/// [`reference`] reads, when the edit changed none of the vault names the document uses
/// (the names completion offers include them): what it changed holds no `vault`, before or
/// after. `None` when there is no slot or the earlier parse cannot tell.
pub(crate) fn name_slot(
    earlier: &Doc<'_>,
    after: &str,
    splice: Splice,
    offset: u32,
) -> Option<NameSlot> {
    let (back, changed) = unreached(earlier, after, splice, offset)?;
    let vault = |t: &str| {
        t.as_bytes()
            .windows(5)
            .any(|w| w.eq_ignore_ascii_case(b"vault"))
    };
    if vault(changed.before.slice(earlier.text)) || vault(changed.after.slice(after)) {
        return None;
    }
    let slot = completion::name_slot(earlier, back)?;
    Some(NameSlot {
        range: splice.forward(slot.range)?,
        ..slot
    })
}

/// The text whose reading an edit may change, before and after it; what lies outside
/// reads as it did, moved by the edit.
struct Changed {
    before: TextRange,
    after: TextRange,
}

/// Where `offset` of `after` was in `earlier`'s text, when the parse of `after` reads
/// there what `earlier`'s parse read: the edit lies in a part that parses apart from the
/// one that holds `offset`. In an `.http` file that is a `###` block other than the blocks
/// the incremental parse reads again; in a collection, text past the end of its JSON value
/// (which nothing reads), or the inside of one string of another top-level item, where the
/// edit neither wrote nor removed a quote, a backslash or a control character, nor wrote
/// inside an escape: every token stays as it was. With it, the part the edit may change.
fn unreached(
    earlier: &Doc<'_>,
    after: &str,
    splice: Splice,
    offset: u32,
) -> Option<(u32, Changed)> {
    let back = to_u32(splice.back(offset as usize)?);
    let changed = match earlier.parsed {
        Parsed::Http(file) => {
            let region = incremental::http_region(file, earlier.text, after, splice)?;
            // Ends included: what is read at an offset includes a reference ending there.
            if (region.start..=region.old_end).contains(&(back as usize)) {
                return None;
            }
            Changed {
                before: TextRange::from_usize(region.start, region.old_end),
                after: TextRange::from_usize(region.start, region.new_end),
            }
        }
        Parsed::Collection(coll) => collection_apart(coll, earlier.text, after, splice, back)?,
        _ => return None,
    };
    Some((back, changed))
}

/// [`unreached`] for a collection.
fn collection_apart(
    coll: &Collection,
    before: &str,
    after: &str,
    splice: Splice,
    back: u32,
) -> Option<Changed> {
    let root = coll.tree.root()?;
    if splice.start > root.range.end as usize {
        // Nothing reads there.
        let nothing = TextRange::empty(to_u32(splice.start));
        return Some(Changed {
            before: nothing,
            after: nothing,
        });
    }
    let plain = |t: &str| t.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    let edited = TextRange::from_usize(splice.start, splice.old_end);
    let top = coll
        .items
        .partition_point(|i| i.range.start <= edited.start);
    let item = top
        .checked_sub(1)
        .map(|i| &coll.items[i])
        .filter(|i| i.range.contains_range(edited) && !i.range.contains_inclusive(back))?;
    let string = coll
        .tree
        .find_object(item.range)
        .and_then(|(id, _)| coll.tree.string_holding(id, edited))?;
    let apart = string.is_closed()
        && plain(&before[splice.start..splice.old_end])
        && plain(&after[splice.start..splice.new_end])
        && !string.splits_escape(before, edited.start)
        && !string.splits_escape(before, edited.end);
    // The string may be a key, or a value such as a body's `mode`, that decides how the
    // rest of its item reads: the item's reading may change, no other's.
    apart.then(|| Changed {
        before: item.range,
        after: TextRange::new(
            item.range.start,
            to_u32((item.range.end as i64 + splice.delta()) as usize),
        ),
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::vault::document::{DocKind, Parsed};
    use crate::vault::features::completion::{completion, name_completions};
    use crate::vault::features::hover::{hover, hover_of};
    use crate::vault::features::{LinksSource, World};
    use crate::vault::incremental::tests::{
        LINKS, edits_and_seed, random_collection, random_edit, random_json_edit, random_text,
    };
    use crate::vault::links::{self, LinksFile};

    type Edit = fn(&mut fastrand::Rng, &str) -> (usize, usize, String);

    /// The world of the random-edit properties: `LINKS` (parsed as `links`) beside the
    /// document, nothing else.
    fn world<'a>(links: &'a LinksFile, names: &'a [String]) -> World<'a> {
        World {
            links: Some(LinksSource {
                path: Path::new("/vaultlink.json"),
                text: LINKS,
                file: links,
            }),
            new_links_path: None,
            envs: &[],
            env_name: None,
            workspace_names: names,
            keyvault: None,
        }
    }

    /// The vault names `doc` uses, sorted, as the workspace lists them.
    fn names(doc: &Doc<'_>) -> Vec<String> {
        let mut names: Vec<String> = crate::vault::features::navigation::vault_names(doc)
            .into_iter()
            .map(|n| n.name)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Edits random documents of `kind` `edits` times and, after each edit, asks for the
    /// hover and the completions at every reference of the edited text, after each `vault:`
    /// and `("` and at a few random places: wherever the earlier version answers, its answer
    /// is the answer of the edited version's own parse. Returns how many hovers and how many
    /// completions the earlier version answered, and how many places were asked.
    fn check(
        kind: DocKind,
        new_text: fn(&mut fastrand::Rng) -> String,
        edit: Edit,
        edits: usize,
    ) -> (usize, usize, usize) {
        let links_file = links::parse(LINKS);
        let world = world(&links_file, &[]);
        let rng = &mut fastrand::Rng::with_seed(edits_and_seed().1);
        let (mut answered, mut completed, mut asked) = (0, 0, 0);
        let mut text = new_text(rng);
        let mut parsed = Parsed::parse(kind, &text);
        for round in 0..edits {
            let (start, end, piece) = edit(rng, &text);
            let mut new = text.clone();
            new.replace_range(start..end, &piece);
            let splice = Splice {
                start,
                old_end: end,
                new_end: start + piece.len(),
            };
            let new_parsed = Parsed::parse(kind, &new);
            let before = Doc {
                path: None,
                text: &text,
                kind,
                parsed: &parsed,
            };
            let after = Doc {
                path: None,
                text: &new,
                kind,
                parsed: &new_parsed,
            };
            let mut offsets: Vec<u32> = scan::all_refs(&after)
                .iter()
                .flat_map(|f| [f.range.start, f.name_range.start + 1, f.range.end])
                .collect();
            for (at, m) in new.match_indices("vault:").chain(new.match_indices("(\"")) {
                offsets.push(to_u32(at + m.len()));
            }
            offsets.extend((0..4).map(|_| to_u32(rng.usize(0..=new.len()))));
            // Completion offers the names the document uses too: each version its own.
            let (names_before, names_after) = (names(&before), names(&after));
            let (world_before, world_after) = (
                super::tests::world(&links_file, &names_before),
                super::tests::world(&links_file, &names_after),
            );
            for offset in offsets {
                if !new.is_char_boundary(offset as usize) {
                    continue;
                }
                asked += 1;
                if let Some(found) = reference(&before, &new, splice, offset) {
                    answered += 1;
                    assert_eq!(
                        found.and_then(|found| hover_of(&found, &world)),
                        hover(&after, offset, &world),
                        "hover at {offset} after {splice:?} of {text:?} into {new:?}"
                    );
                }
                if let Some(slot) = name_slot(&before, &new, splice, offset) {
                    completed += 1;
                    assert_eq!(
                        name_completions(slot, &world_before),
                        completion(&after, offset, &world_after),
                        "completion at {offset} after {splice:?} of {text:?} into {new:?}"
                    );
                }
            }
            (text, parsed) = (new, new_parsed);
            if round % 40 == 39 {
                text = new_text(rng);
                parsed = Parsed::parse(kind, &text);
            }
        }
        (answered, completed, asked)
    }

    /// Typing between a backslash and the quote it escapes ends the string there, and can
    /// end the items with it: the earlier parse does not answer then. One character on,
    /// after the escape, it does.
    #[test]
    fn an_edit_inside_an_escape_is_not_read_around() {
        let links_file = links::parse(LINKS);
        let world = world(&links_file, &[]);
        let text = r#"{"item": [
{"name": "a", "request": {"url": "https://a.test", "body": {"mode": "raw", "raw": "{\"k\": [\"v\"]}"}}},
{"name": "b", "request": {"url": "https://b.test/{{vault:api-token}}"}}
]}"#;
        let kind = DocKind::Collection;
        let parsed = Parsed::parse(kind, text);
        let before = Doc {
            path: None,
            text,
            kind,
            parsed: &parsed,
        };
        let escape = text.find(r#"v\""#).unwrap() + 1;
        for (at, read) in [(escape + 1, false), (escape + 2, true)] {
            let mut new = text.to_owned();
            new.insert(at, 'x');
            let splice = Splice {
                start: at,
                old_end: at,
                new_end: at + 1,
            };
            let new_parsed = Parsed::parse(kind, &new);
            let after = Doc {
                path: None,
                text: &new,
                kind,
                parsed: &new_parsed,
            };
            let offset = to_u32(new.find("{{vault:").unwrap() + 3);
            let earlier = reference(&before, &new, splice, offset);
            let fresh = hover(&after, offset, &world);
            if read {
                let found = earlier.expect("an edit inside a string of another item");
                assert_eq!(found.and_then(|f| hover_of(&f, &world)), fresh);
                assert!(fresh.is_some());
            } else {
                assert!(earlier.is_none(), "{new}");
                // The edited version reads no reference there, the earlier one did.
                assert_eq!(fresh, None);
                assert!(hover(&before, offset - 1, &world).is_some());
            }
        }
    }

    #[test]
    fn answers_read_before_an_edit_of_an_http_file_are_those_after_it() {
        let (answered, completed, asked) = check(
            DocKind::Http,
            random_text,
            random_edit,
            edits_and_seed().0 / 4,
        );
        assert!(answered * 10 > asked, "{answered} hovers of {asked}");
        assert!(
            completed * 500 > asked,
            "{completed} completions of {asked}"
        );
        eprintln!("{answered} hovers and {completed} completions of {asked}");
    }

    #[test]
    fn answers_read_before_an_edit_of_a_collection_are_those_after_it() {
        let (answered, completed, asked) = check(
            DocKind::Collection,
            random_collection,
            random_json_edit,
            edits_and_seed().0 / 4,
        );
        assert!(answered * 10 > asked, "{answered} hovers of {asked}");
        assert!(
            completed * 500 > asked,
            "{completed} completions of {asked}"
        );
        eprintln!("{answered} hovers and {completed} completions of {asked}");
    }
}
