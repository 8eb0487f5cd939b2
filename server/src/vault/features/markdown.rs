//! Small Markdown builders for hovers: escaped text, code spans and key–value lists.

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

/// Key–value rows, shown as a list (`- key: value`) under an optional bold heading: a list
/// reads the same rendered (VS Code) and as text (Neovim's hover shows Markdown source with
/// its markers concealed), where a table shows as pipes and an empty header row.
pub(crate) struct Table {
    head: [String; 2],
    rows: Vec<[String; 2]>,
}

impl Table {
    /// `left` heads the list when it is not empty; `right` names what the values are, after
    /// the heading (`**defined in** — value`).
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

    /// Appends the rows to `out`, one list item each, after a blank line when `out` does not
    /// end with one.
    pub fn render(&self, out: &mut String) {
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
        }
        match &self.head {
            [l, r] if !l.is_empty() && !r.is_empty() => {
                out.push_str(&format!("**{l}** — {r}\n\n"));
            }
            [l, _] if !l.is_empty() => out.push_str(&format!("**{l}**\n\n")),
            _ => {}
        }
        for [l, r] in &self.rows {
            if r.is_empty() {
                out.push_str(&format!("- {l}\n"));
            } else {
                out.push_str(&format!("- {l}: {r}\n"));
            }
        }
    }
}
