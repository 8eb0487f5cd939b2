//! Hover read in the version a document was edited from, while the edited version is not
//! parsed yet.
//!
//! A hover sent right after a keystroke meets a version nobody has parsed, and in a large
//! collection whose brackets the keystroke unbalanced that parse is a parse of the whole
//! file, milliseconds of it. Where the edit lies in a part of the document that parses apart
//! from the part that holds the cursor, the parse of the edited version reads the cursor's
//! part as the earlier parse did, moved by the edit, and a reference whose hover is its own
//! (its name and the links) is answered from the earlier parse: the same answer, sooner.
//! Completion is not answered so: the names it offers include those the edited document
//! uses, which the edit may change, and an editor asks for it where the person types, which
//! is the part the edit reached.

use crate::syntax::postman::Collection;
use crate::text::{Splice, TextRange, to_u32};
use crate::vault::document::Parsed;
use crate::vault::features::Doc;
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
    let back = unreached(earlier, after, splice, offset)?;
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

/// Where `offset` of `after` was in `earlier`'s text, when the parse of `after` reads
/// there what `earlier`'s parse read: the edit lies in a part that parses apart from the
/// one that holds `offset`. In an `.http` file that is a `###` block other than the blocks
/// the incremental parse reads again; in a collection, text past the end of its JSON value
/// (which nothing reads), or the inside of one string of another top-level item, where the
/// edit neither wrote nor removed a quote, a backslash or a control character, nor wrote
/// inside an escape: every token stays as it was.
fn unreached(earlier: &Doc<'_>, after: &str, splice: Splice, offset: u32) -> Option<u32> {
    let back = to_u32(splice.back(offset as usize)?);
    let apart = match earlier.parsed {
        Parsed::Http(file) => {
            let region = incremental::http_region(file, earlier.text, after, splice)?;
            // Ends included: what is read at an offset includes a reference ending there.
            !(region.start..=region.old_end).contains(&(back as usize))
        }
        Parsed::Collection(coll) => collection_apart(coll, earlier.text, after, splice, back),
        _ => false,
    };
    apart.then_some(back)
}

/// [`unreached`] for a collection.
fn collection_apart(
    coll: &Collection,
    before: &str,
    after: &str,
    splice: Splice,
    back: u32,
) -> bool {
    let Some(root) = coll.tree.root() else {
        return false;
    };
    if splice.start > root.range.end as usize {
        return true;
    }
    let plain = |t: &str| t.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\');
    let edited = TextRange::from_usize(splice.start, splice.old_end);
    let top = coll
        .items
        .partition_point(|i| i.range.start <= edited.start);
    let Some(item) = top
        .checked_sub(1)
        .map(|i| &coll.items[i])
        .filter(|i| i.range.contains_range(edited) && !i.range.contains_inclusive(back))
    else {
        return false;
    };
    let Some(string) = coll
        .tree
        .find_object(item.range)
        .and_then(|(id, _)| coll.tree.string_holding(id, edited))
    else {
        return false;
    };
    string.is_closed()
        && plain(&before[splice.start..splice.old_end])
        && plain(&after[splice.start..splice.new_end])
        && !string.splits_escape(before, edited.start)
        && !string.splits_escape(before, edited.end)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::vault::document::{DocKind, Parsed};
    use crate::vault::features::hover::{hover, hover_of};
    use crate::vault::features::{LinksSource, World};
    use crate::vault::incremental::tests::{
        LINKS, edits_and_seed, random_collection, random_edit, random_json_edit, random_text,
    };
    use crate::vault::links::{self, LinksFile};

    type Edit = fn(&mut fastrand::Rng, &str) -> (usize, usize, String);

    /// The world of the random-edit properties: `LINKS` (parsed as `links`) beside the
    /// document, nothing else.
    fn world(links: &LinksFile) -> World<'_> {
        World {
            links: Some(LinksSource {
                path: Path::new("/vaultlink.json"),
                text: LINKS,
                file: links,
            }),
            new_links_path: None,
            envs: &[],
            env_name: None,
            workspace_names: &[],
            keyvault: None,
        }
    }

    /// Edits random documents of `kind` `edits` times and, after each edit, asks for the
    /// hover at every reference of the edited text, after each `vault:` and `("` and at a
    /// few random places: wherever the earlier version answers, its answer
    /// is the answer of the edited version's own parse. Returns how many answers the earlier
    /// version gave, and how many places were asked.
    fn check(
        kind: DocKind,
        new_text: fn(&mut fastrand::Rng) -> String,
        edit: Edit,
        edits: usize,
    ) -> (usize, usize) {
        let links_file = links::parse(LINKS);
        let world = world(&links_file);
        let rng = &mut fastrand::Rng::with_seed(edits_and_seed().1);
        let (mut answered, mut asked) = (0, 0);
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
            }
            (text, parsed) = (new, new_parsed);
            if round % 40 == 39 {
                text = new_text(rng);
                parsed = Parsed::parse(kind, &text);
            }
        }
        (answered, asked)
    }

    /// Typing between a backslash and the quote it escapes ends the string there, and can
    /// end the items with it: the earlier parse does not answer then. One character on,
    /// after the escape, it does.
    #[test]
    fn an_edit_inside_an_escape_is_not_read_around() {
        let links_file = links::parse(LINKS);
        let world = world(&links_file);
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

    /// [`check`] over a quarter of the properties' edits: the earlier version answers at
    /// one place in ten at least.
    fn check_answers(kind: DocKind, new_text: fn(&mut fastrand::Rng) -> String, edit: Edit) {
        let (answered, asked) = check(kind, new_text, edit, edits_and_seed().0 / 4);
        assert!(answered * 10 > asked, "{answered} answers of {asked}");
        eprintln!("{answered} answers of {asked}");
    }

    #[test]
    fn answers_read_before_an_edit_of_an_http_file_are_those_after_it() {
        check_answers(DocKind::Http, random_text, random_edit);
    }

    #[test]
    fn answers_read_before_an_edit_of_a_collection_are_those_after_it() {
        check_answers(DocKind::Collection, random_collection, random_json_edit);
    }
}
