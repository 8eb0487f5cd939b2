//! An open `.http` document edited as an editor edits it — changes in UTF-16 positions, in
//! bursts before a parse — has after every edit the line index, parse and findings of a
//! document opened with its final text.
//!
//! `VAULTLINK_INCREMENTAL_EDITS` sets how many random edits run (default 20,000).

use super::*;
use crate::text::{Change, Encoding, apply_changes};
use crate::vault::incremental::tests::{edits_and_seed, in_test_context, random_edit, random_text};

fn uri() -> Uri {
    "file:///project/api.http".parse().unwrap()
}

#[test]
fn edited_documents_equal_documents_opened_with_their_text() {
    in_test_context(|ctx| {
        let (edits, seed) = edits_and_seed();
        let rng = &mut fastrand::Rng::with_seed(seed ^ 0x11);
        let mut doc = Document::new(uri(), 1, random_text(rng));
        let mut done = 0;
        while done < edits {
            // A burst of changes in one notification, then another before any parse, now and
            // then; the line index is always asked for, as `didChange` does.
            let mut text = (*doc.text).clone();
            let mut changes = Vec::new();
            let mut reference = text.clone();
            for _ in 0..rng.usize(1..4) {
                let (start, end, new) = random_edit(rng, &reference);
                // Between the `\r` and the `\n` of a line break is no position an editor sends.
                let b = reference.as_bytes();
                let outside = |o: usize| {
                    o - usize::from(o > 0 && b[o - 1] == b'\r' && b.get(o) == Some(&b'\n'))
                };
                let (start, end) = (outside(start), outside(end));
                let index = LineIndex::new(&reference);
                let at =
                    |o: usize| index.line_col(&reference, crate::text::to_u32(o), Encoding::Utf16);
                changes.push(Change {
                    range: Some((at(start), at(end))),
                    text: new.clone(),
                });
                reference.replace_range(start..end, &new);
                done += 1;
            }
            let splice = apply_changes(&mut text, changes, Encoding::Utf16, Some(doc.index()));
            assert_eq!(text, reference);
            let next = Document::edited(&doc, doc.version + 1, text, splice);
            let fresh = Document::new(uri(), next.version, reference);
            assert_eq!(next.index(), &LineIndex::new(&fresh.text));
            if rng.u8(0..3) > 0 {
                let data = next.data().unwrap().unwrap();
                let fresh_data = fresh.data().unwrap().unwrap();
                assert_eq!(
                    format!("{:?}", data.parsed),
                    format!("{:?}", fresh_data.parsed),
                    "the parse of {:?}",
                    fresh.text
                );
                assert_eq!(
                    next.findings(&data, 0, ctx),
                    fresh.findings(&fresh_data, 0, ctx),
                    "the findings of {:?}",
                    fresh.text
                );
            }
            doc = next;
            if rng.u8(0..50) == 0 {
                doc = Document::new(uri(), doc.version + 1, random_text(rng));
            }
        }
    })
}

/// The text of a large document before an edit, once the edited version is parsed and
/// nothing reads the earlier one, is the buffer the next edit copies into: a keystroke
/// copies into memory in use, not into fresh memory the kernel must clear first.
#[test]
fn the_text_before_an_edit_is_the_buffer_of_the_next_one() {
    let mut text = String::new();
    while text.len() < spare::LARGE {
        text.push_str(
            "### Orders\nGET https://api.example.com/orders\nX-Key: {{vault:orders-key}}\n\n",
        );
    }
    let first = Document::new(uri(), 1, text);
    first.data().unwrap();
    let at = first.text.as_ptr();
    let mut text = spare::text(first.text.len() + 1);
    text.push_str(&first.text);
    let start = first.index().line_col(&first.text, 0, Encoding::Utf8);
    let change = Change {
        range: Some((start, start)),
        text: "# ".into(),
    };
    let splice = apply_changes(&mut text, vec![change], Encoding::Utf8, Some(first.index()));
    let second = Document::edited(&first, 2, text, splice);
    drop(first);
    second.data().unwrap();
    let next = spare::text(second.text.len() + 1);
    assert_eq!(next.as_ptr(), at);
}
