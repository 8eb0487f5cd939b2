//! Text that is safe to print on a terminal or in a log: control characters that a file can
//! carry into a message (a `vaultlink.json` key, a request name, a path, an environment value)
//! are shown as escapes instead of being obeyed. ESC would otherwise set the window title,
//! clear the screen or hide lines of a CI log; CR and bidirectional overrides would make a
//! line read differently from what it says.
//!
//! [`printable`] is the one function; [`PrintableWriter`] applies it to a stream line by line,
//! for the command line's messages.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether `c` must not reach a terminal as is: C0 controls but tab, DEL, C1 controls, and the
/// bidirectional embeddings, overrides, isolates and marks (U+200E, U+200F, U+202A–U+202E,
/// U+2066–U+2069), plus the line and paragraph separators.
fn must_escape(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{a}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{200e}' | '\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every control character written as an escape: `\n`, `\r`, `\t` stay readable as
/// such, anything else becomes `\u{1b}`. Text without one is returned as is.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(must_escape) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if must_escape(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A writer that passes lines through [`printable`], keeping the line breaks the program
/// itself writes. A line is written when it is complete, or on `flush`.
pub struct PrintableWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> PrintableWriter<W> {
    pub fn new(inner: W) -> PrintableWriter<W> {
        PrintableWriter {
            inner,
            pending: Vec::new(),
        }
    }

    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let text = String::from_utf8_lossy(line);
        self.inner.write_all(printable(&text).as_bytes())
    }
}

impl<W: Write> Write for PrintableWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = memchr::memchr(b'\n', &self.pending) {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.write_line(&line[..end])?;
            self.inner.write_all(b"\n")?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.write_line(&rest)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for PrintableWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        assert!(matches!(printable("plain text, é ✓"), Cow::Borrowed(_)));
        assert_eq!(
            printable("a\u{1b}]0;title\u{7}b\u{1b}[2Jc"),
            "a\\u{1b}]0;title\\u{7}b\\u{1b}[2Jc"
        );
        assert_eq!(printable("x\r\ny\tz"), "x\\r\\ny\tz");
        assert_eq!(
            printable("\u{9b}31m \u{202e}txt.exe"),
            "\\u{9b}31m \\u{202e}txt.exe"
        );
        assert_eq!(printable("\u{7f}\u{0}"), "\\u{7f}\\u{0}");
    }

    #[test]
    fn the_writer_escapes_each_line_and_keeps_line_breaks() {
        let mut out = Vec::new();
        {
            let mut w = PrintableWriter::new(&mut out);
            // A character split across two writes stays whole.
            let text = "one \u{1b}[2J\ntwo \u{9b}".as_bytes();
            let (a, b) = text.split_at(text.len() - 1);
            w.write_all(a).unwrap();
            w.write_all(b).unwrap();
            w.write_all(b"\n\xff end").unwrap();
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "one \\u{1b}[2J\ntwo \\u{9b}\n\u{fffd} end"
        );
    }
}
