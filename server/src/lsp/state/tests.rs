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
