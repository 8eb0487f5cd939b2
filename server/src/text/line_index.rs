//! Byte offset ↔ (line, column) conversion. Lines end at `\n`, `\r\n` or a lone `\r`, as the
//! Language Server Protocol counts them.

use super::{TextRange, to_u32};

/// How columns are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 code units (bytes).
    Utf8,
    /// UTF-16 code units, the LSP default.
    Utf16,
    /// Unicode scalar values, as people (and `vaultlink check`) count characters.
    Chars,
}

/// A 0-based line and a 0-based column in some [`Encoding`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// The start offset of every line of one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineIndex {
    line_starts: Vec<u32>,
    len: u32,
}

/// The line starts of a large index go back to the spare for the next edit's index.
impl Drop for LineIndex {
    fn drop(&mut self) {
        super::spare::give_back_line_starts(std::mem::take(&mut self.line_starts));
    }
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = Vec::with_capacity(text.len() / 32 + 1);
        line_starts.push(0);
        for i in memchr::memchr2_iter(b'\n', b'\r', bytes) {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                continue; // the `\n` that follows ends this line
            }
            line_starts.push(to_u32(i + 1));
        }
        LineIndex {
            line_starts,
            len: to_u32(text.len()),
        }
    }

    /// The index of `text`, which is the text of `self` changed by `splice`: the line starts
    /// before and after the splice are kept (moved), only those inside it are looked for.
    pub fn edited(&self, text: &str, splice: super::Splice) -> LineIndex {
        let bytes = text.as_bytes();
        // A line start depends on the byte before it and its own: those at or inside the
        // splice's ends are found again.
        let keep_before = self
            .line_starts
            .partition_point(|&s| (s as usize) < splice.start.max(1));
        let keep_after = self
            .line_starts
            .partition_point(|&s| (s as usize) <= splice.old_end);
        let delta = splice.delta();
        let mut line_starts = super::spare::line_starts(self.line_starts.len() + 16);
        line_starts.extend_from_slice(&self.line_starts[..keep_before]);
        let from = splice.start.saturating_sub(1);
        for i in memchr::memchr2_iter(b'\n', b'\r', &bytes[from..splice.new_end.min(bytes.len())])
            .map(|i| i + from)
        {
            if bytes[i] == b'\r' && bytes.get(i + 1) == Some(&b'\n') {
                continue;
            }
            line_starts.push(to_u32(i + 1));
        }
        line_starts.extend(
            self.line_starts[keep_after..]
                .iter()
                .map(|&s| (i64::from(s) + delta) as u32),
        );
        LineIndex {
            line_starts,
            len: to_u32(text.len()),
        }
    }

    pub fn line_count(&self) -> u32 {
        to_u32(self.line_starts.len())
    }

    /// The 0-based line that holds `offset` (offsets past the end fall on the last line).
    pub fn line_of(&self, offset: u32) -> u32 {
        let offset = offset.min(self.len);
        to_u32(self.line_starts.partition_point(|&s| s <= offset) - 1)
    }

    /// The byte range of line `line` without its line break; past the last line, the empty
    /// range at the end of the text.
    pub fn line_range(&self, text: &str, line: u32) -> TextRange {
        let Some(&start) = self.line_starts.get(line as usize) else {
            return TextRange::empty(self.len);
        };
        let mut end = self
            .line_starts
            .get(line as usize + 1)
            .copied()
            .unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end as usize - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end as usize - 1) == Some(&b'\r') {
            end -= 1;
        }
        TextRange::new(start, end)
    }

    /// Line and column of `offset`, the column counted in `enc`. An offset inside a character
    /// counts as the start of that character.
    pub fn line_col(&self, text: &str, offset: u32, enc: Encoding) -> LineCol {
        let offset = offset.min(self.len);
        let line = self.line_of(offset);
        let start = self.line_starts[line as usize] as usize;
        let mut end = offset as usize;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = text.get(start..end).unwrap_or("");
        LineCol {
            line,
            col: encoded_len(prefix, enc),
        }
    }

    /// The byte offset of `pos`, clamped: a column past the end of the line gives the line's
    /// end, a line past the end gives the end of the text, and a column inside a character
    /// (half of a UTF-16 surrogate pair, the middle of a UTF-8 sequence) gives its start.
    pub fn offset(&self, text: &str, pos: LineCol, enc: Encoding) -> u32 {
        if pos.line as usize >= self.line_starts.len() {
            return self.len;
        }
        let range = self.line_range(text, pos.line);
        let line = range.slice(text);
        let mut units = 0u32;
        for (i, ch) in line.char_indices() {
            let w = char_len(ch, enc);
            if units + w > pos.col {
                return range.start + to_u32(i);
            }
            units += w;
        }
        range.end
    }
}

fn char_len(ch: char, enc: Encoding) -> u32 {
    match enc {
        Encoding::Utf8 => to_u32(ch.len_utf8()),
        Encoding::Utf16 => to_u32(ch.len_utf16()),
        Encoding::Chars => 1,
    }
}

/// The length of `s` counted in `enc`.
pub fn encoded_len(s: &str, enc: Encoding) -> u32 {
    match enc {
        Encoding::Utf8 => to_u32(s.len()),
        Encoding::Utf16 => to_u32(s.encode_utf16().count()),
        Encoding::Chars => to_u32(s.chars().count()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_at_lf_crlf_and_cr() {
        let text = "a\nb\r\nc\rd";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 4);
        assert_eq!(idx.line_range(text, 1).slice(text), "b");
        assert_eq!(idx.line_range(text, 2).slice(text), "c");
        assert_eq!(idx.line_range(text, 3).slice(text), "d");
        assert_eq!(idx.line_of(4), 1); // the `\n` of `\r\n` belongs to line 1
    }

    #[test]
    fn columns_in_each_encoding() {
        // é is 2 bytes / 1 UTF-16 unit; 😀 is 4 bytes / 2 units; 中 is 3 bytes / 1 unit.
        let text = "x\né😀中{{vault:k}}";
        let idx = LineIndex::new(text);
        let off = to_u32(text.find("{{").unwrap());
        assert_eq!(
            idx.line_col(text, off, Encoding::Utf8),
            LineCol { line: 1, col: 9 }
        );
        assert_eq!(
            idx.line_col(text, off, Encoding::Utf16),
            LineCol { line: 1, col: 4 }
        );
        assert_eq!(
            idx.line_col(text, off, Encoding::Chars),
            LineCol { line: 1, col: 3 }
        );
        for enc in [Encoding::Utf8, Encoding::Utf16, Encoding::Chars] {
            let lc = idx.line_col(text, off, enc);
            assert_eq!(idx.offset(text, lc, enc), off, "{enc:?}");
        }
    }

    #[test]
    fn bad_positions_are_clamped() {
        let text = "ab😀\ncd";
        let idx = LineIndex::new(text);
        assert_eq!(
            idx.offset(text, LineCol { line: 0, col: 99 }, Encoding::Utf16),
            6
        );
        assert_eq!(
            idx.offset(text, LineCol { line: 9, col: 0 }, Encoding::Utf16),
            9
        );
        // Column 3 is the middle of the surrogate pair: the start of the emoji.
        assert_eq!(
            idx.offset(text, LineCol { line: 0, col: 3 }, Encoding::Utf16),
            2
        );
        assert_eq!(
            idx.line_col(text, 999, Encoding::Utf8),
            LineCol { line: 1, col: 2 }
        );
        // An offset in the middle of the emoji counts as its start.
        assert_eq!(
            idx.line_col(text, 4, Encoding::Utf16),
            LineCol { line: 0, col: 2 }
        );
    }
}
