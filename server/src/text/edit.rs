//! Applying an editor's incremental changes to a document's text.
//!
//! Documents are kept as one `String`: every parser wants contiguous text, and an edit is
//! then one `replace_range` (a memmove of at most the document, well under a millisecond for
//! the 5 MB files vaultlink is measured on) plus a new line index.

use super::{Encoding, LineCol, LineIndex, TextRange, to_u32};

/// One change, positions as the editor sent them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The replaced range; `None` replaces the whole text.
    pub range: Option<(LineCol, LineCol)>,
    pub text: String,
}

/// Where a text changed, in UTF-8 bytes: `start..old_end` of the text before became
/// `start..new_end` of the text after; everything before `start` and from `old_end` on (moved
/// to `new_end`) is as it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Splice {
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

impl Splice {
    /// The one splice that covers `self` followed by `next` (whose offsets are in the text
    /// `self` left).
    pub fn then(self, next: Splice) -> Splice {
        let start = self.start.min(next.start);
        // The covered end in the text between the two, then in the first and the last.
        let mid_end = self.new_end.max(next.old_end);
        Splice {
            start,
            old_end: mid_end - self.new_end + self.old_end,
            new_end: mid_end - next.old_end + next.new_end,
        }
    }

    /// How far text after the splice moved.
    pub fn delta(self) -> i64 {
        self.new_end as i64 - self.old_end as i64
    }

    /// Where `offset` of the text after the splice was before it; `None` inside the text the
    /// splice wrote.
    pub fn back(self, offset: usize) -> Option<usize> {
        if offset < self.start {
            Some(offset)
        } else if offset >= self.new_end {
            Some(offset - self.new_end + self.old_end)
        } else {
            None
        }
    }

    /// Where `range` of the text before the splice is after it; `None` when the splice
    /// replaced any of it.
    pub fn forward(self, range: TextRange) -> Option<TextRange> {
        if range.end as usize <= self.start {
            Some(range)
        } else if range.start as usize >= self.old_end {
            let moved = |o: u32| to_u32(o as usize - self.old_end + self.new_end);
            Some(TextRange::new(moved(range.start), moved(range.end)))
        } else {
            None
        }
    }
}

/// Applies `changes` in order, each against the text left by the previous one. Positions
/// past the end are clamped, a start after the end is taken as an empty range at the start.
/// `index`, when given, is the line index of `text` as it is before the first change: it
/// saves building one for a single keystroke in a large document.
///
/// Returns the one splice that covers every change, or `None` when a change replaced the
/// whole text.
pub fn apply_changes(
    text: &mut String,
    changes: Vec<Change>,
    enc: Encoding,
    index: Option<&LineIndex>,
) -> Option<Splice> {
    let mut given = index;
    let mut index: Option<LineIndex> = None;
    let mut covered: Option<Option<Splice>> = None;
    for change in changes {
        let Some((start, end)) = change.range else {
            *text = change.text;
            // The index handed in was of the text just replaced.
            given = None;
            index = None;
            covered = Some(None);
            continue;
        };
        let idx = match given.take() {
            Some(idx) => idx,
            None => index.get_or_insert_with(|| LineIndex::new(text)),
        };
        let start = idx.offset(text, start, enc) as usize;
        let end = (idx.offset(text, end, enc) as usize).max(start);
        text.replace_range(start..end, &change.text);
        index = None;
        let splice = Splice {
            start,
            old_end: end,
            new_end: start + change.text.len(),
        };
        covered = Some(match covered {
            None => Some(splice),
            Some(before) => before.map(|b| b.then(splice)),
        });
    }
    // No change at all: an empty splice at the start.
    covered.unwrap_or(Some(Splice {
        start: 0,
        old_end: 0,
        new_end: 0,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Offsets and ranges outside a splice map to the same characters on either side of it;
    /// those the splice wrote or replaced map nowhere.
    #[test]
    fn offsets_and_ranges_cross_a_splice_where_it_did_not_write() {
        let rng = &mut fastrand::Rng::with_seed(7);
        for _ in 0..2_000 {
            let before: String = (0..rng.usize(0..20)).map(|_| rng.alphanumeric()).collect();
            let start = rng.usize(0..=before.len());
            let old_end = rng.usize(start..=before.len());
            let new: String = (0..rng.usize(0..5)).map(|_| '#').collect();
            let mut after = before.clone();
            after.replace_range(start..old_end, &new);
            let splice = Splice {
                start,
                old_end,
                new_end: start + new.len(),
            };
            for offset in 0..=after.len() {
                match splice.back(offset) {
                    Some(o) if offset < start => {
                        assert_eq!((o, &before[..o]), (offset, &after[..offset]));
                    }
                    Some(o) => assert_eq!(&before[o..], &after[offset..], "{splice:?} {offset}"),
                    None => assert!((start..splice.new_end).contains(&offset)),
                }
            }
            for s in 0..=before.len() {
                for e in s..=before.len() {
                    let range = TextRange::from_usize(s, e);
                    match splice.forward(range) {
                        Some(r) => assert_eq!(r.slice(&after), range.slice(&before)),
                        None => assert!(s < old_end && e > start, "{splice:?} {s}..{e}"),
                    }
                }
            }
        }
    }

    fn lc(line: u32, col: u32) -> LineCol {
        LineCol { line, col }
    }

    #[test]
    fn incremental_changes_in_utf16_and_utf8() {
        let mut text = "a😀b\nc".to_string();
        // After the emoji: UTF-16 column 3, UTF-8 column 5.
        apply_changes(
            &mut text,
            vec![Change {
                range: Some((lc(0, 3), lc(0, 4))),
                text: "X".into(),
            }],
            Encoding::Utf16,
            None,
        );
        assert_eq!(text, "a😀X\nc");
        apply_changes(
            &mut text,
            vec![Change {
                range: Some((lc(0, 5), lc(1, 0))),
                text: "".into(),
            }],
            Encoding::Utf8,
            None,
        );
        assert_eq!(text, "a😀c");
        apply_changes(
            &mut text,
            vec![
                Change {
                    range: Some((lc(0, 0), lc(0, 0))),
                    text: "1\n".into(),
                },
                Change {
                    range: Some((lc(1, 0), lc(1, 1))),
                    text: "".into(),
                },
            ],
            Encoding::Utf16,
            None,
        );
        assert_eq!(text, "1\n😀c");
        apply_changes(
            &mut text,
            vec![Change {
                range: None,
                text: "new".into(),
            }],
            Encoding::Utf16,
            None,
        );
        assert_eq!(text, "new");
    }

    #[test]
    fn a_given_index_is_dropped_with_the_text_a_whole_replacement_drops() {
        let old = "a long first line\nand a second one".to_string();
        let index = LineIndex::new(&old);
        let mut text = old.clone();
        apply_changes(
            &mut text,
            vec![
                Change {
                    range: None,
                    text: "ab".into(),
                },
                Change {
                    range: Some((lc(1, 3), lc(1, 9))),
                    text: "X".into(),
                },
                Change {
                    range: Some((lc(0, 1), lc(0, 1))),
                    text: "Y".into(),
                },
            ],
            Encoding::Utf16,
            Some(&index),
        );
        assert_eq!(text, "aYbX");
    }

    #[test]
    fn a_given_index_of_the_text_is_used_for_the_first_change() {
        let old = "é😀\nab\ncd".to_string();
        let index = LineIndex::new(&old);
        let changes = || {
            vec![
                Change {
                    range: Some((lc(1, 1), lc(2, 1))),
                    text: "X\nY".into(),
                },
                Change {
                    range: Some((lc(0, 0), lc(0, 1))),
                    text: "e".into(),
                },
            ]
        };
        let (mut a, mut b) = (old.clone(), old.clone());
        apply_changes(&mut a, changes(), Encoding::Utf16, Some(&index));
        apply_changes(&mut b, changes(), Encoding::Utf16, None);
        assert_eq!(a, b);
        assert_eq!(a, "e😀\naX\nYd");
    }

    #[test]
    fn bad_positions_are_clamped() {
        let mut text = "ab😀".to_string();
        // Inside the surrogate pair, and past the end: no panic.
        apply_changes(
            &mut text,
            vec![Change {
                range: Some((lc(0, 3), lc(9, 9))),
                text: "!".into(),
            }],
            Encoding::Utf16,
            None,
        );
        assert_eq!(text, "ab!");
        apply_changes(
            &mut text,
            vec![Change {
                range: Some((lc(0, 2), lc(0, 1))),
                text: "?".into(),
            }],
            Encoding::Utf16,
            None,
        );
        assert_eq!(text, "ab?!");
    }
}
