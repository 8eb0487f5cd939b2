//! Small Markdown builders for hovers: escaped text, code spans and two-column tables.

use crate::vault::identifier::shorten;

/// `s` with the characters Markdown gives a meaning escaped.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~'
        ) {
            out.push('\\');
        }
        if c == '\n' || c == '\r' {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// A message of ours, whose `` `code` `` spans are meant as Markdown: the text between them
/// is escaped, the spans are kept.
pub(crate) fn prose(s: &str) -> String {
    if s.matches('`').count() % 2 != 0 {
        return escape(s);
    }
    s.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("`{part}`")
            } else {
                escape(part)
            }
        })
        .collect()
}

/// `s` as an inline code span, shortened to 60 characters and on one line.
pub(crate) fn code(s: &str) -> String {
    let s = shorten(s).replace(['\n', '\r'], "⏎");
    let longest_run = s.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A two-column table; `head` is the header row (empty cells for a plain key–value table).
pub(crate) struct Table {
    head: [String; 2],
    rows: Vec<[String; 2]>,
}

impl Table {
    pub fn new(left: &str, right: &str) -> Table {
        Table {
            head: [left.to_owned(), right.to_owned()],
            rows: Vec::new(),
        }
    }

    /// Adds a row of Markdown cells.
    pub fn row(&mut self, left: impl Into<String>, right: impl Into<String>) {
        self.rows.push([left.into(), right.into()]);
    }

    /// Appends the table to `out`, on its own lines. Pipes in cells are escaped, as tables
    /// need even inside code spans.
    pub fn render(&self, out: &mut String) {
        let cell = |s: &str| s.replace('|', "\\|");
        let line = |out: &mut String, [l, r]: &[String; 2]| {
            let (l, r) = (cell(l), cell(r));
            let l = if l.is_empty() {
                " ".to_owned()
            } else {
                format!(" {l} ")
            };
            let r = if r.is_empty() {
                " ".to_owned()
            } else {
                format!(" {r} ")
            };
            out.push_str(&format!("|{l}|{r}|\n"));
        };
        line(out, &self.head);
        out.push_str("|---|---|\n");
        for row in &self.rows {
            line(out, row);
        }
    }
}
