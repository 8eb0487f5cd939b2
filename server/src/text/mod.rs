//! Text positions: byte ranges inside documents, and conversion of byte offsets to lines and
//! columns in the encodings editors speak (UTF-8, UTF-16, characters).
//!
//! Everything inside vaultlink speaks UTF-8 byte offsets; this module is the only place that
//! converts them, and it never panics on a position past the end of a line or the text.

mod edit;
mod line_index;
mod printable;
pub mod spare;

pub use edit::{Change, Splice, apply_changes};
pub use line_index::{Encoding, LineCol, LineIndex, encoded_len};
pub use printable::{PrintableWriter, printable};

/// A half-open range of UTF-8 byte offsets, `start..end`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub const fn new(start: u32, end: u32) -> TextRange {
        TextRange { start, end }
    }

    /// A range from `usize` offsets, as slices and iterators hand them out.
    pub fn from_usize(start: usize, end: usize) -> TextRange {
        TextRange::new(to_u32(start), to_u32(end))
    }

    pub const fn empty(offset: u32) -> TextRange {
        TextRange::new(offset, offset)
    }

    pub const fn len(self) -> u32 {
        self.end - self.start
    }

    pub const fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// Whether `offset` lies inside the range or touches its end (where a cursor can sit).
    pub const fn contains_inclusive(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub const fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn cover(self, other: TextRange) -> TextRange {
        TextRange::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// The same range moved right by `delta` bytes.
    pub const fn shift(self, delta: u32) -> TextRange {
        TextRange::new(self.start + delta, self.end + delta)
    }

    pub fn as_usize(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// The text this range covers, or `""` when it does not fit `text` (never panics).
    pub fn slice(self, text: &str) -> &str {
        text.get(self.as_usize()).unwrap_or("")
    }
}

impl std::fmt::Debug for TextRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

impl From<std::ops::Range<usize>> for TextRange {
    fn from(r: std::ops::Range<usize>) -> TextRange {
        TextRange::from_usize(r.start, r.end)
    }
}

/// Where the first `{{` in `b` starts. The searcher is built once: building one per call
/// cost more than the search on the short texts (header names, values) most calls read.
pub fn find_open_braces(b: &[u8]) -> Option<usize> {
    static OPEN: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"{{"));
    OPEN.find(b)
}

/// Where the first `}}` in `b` starts (see [`find_open_braces`]).
pub fn find_close_braces(b: &[u8]) -> Option<usize> {
    static CLOSE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"}}"));
    CLOSE.find(b)
}

/// Offsets are `u32`: documents over 4 GiB are not supported, and saturate rather than wrap.
pub fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
