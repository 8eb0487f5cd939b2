//! The commands of the command line, as functions that write to the streams they are given
//! and return the exit code. `main.rs` parses flags and calls these.

mod check;
mod links;
mod report;
mod requests;
mod send;

pub use check::{CheckOptions, check};
pub use links::{link, links, unlink};
pub use report::Format;
pub use requests::requests;
pub use send::{Credential, SendOptions, send};

use std::io::Write;
use std::path::Path;

/// Exit codes of the contract.
pub const EXIT_OK: i32 = 0;
/// `check`: errors were found; other commands: the work failed.
pub const EXIT_FAILED: i32 = 1;
/// The command could not run: bad usage, missing files, unreadable input.
pub const EXIT_USAGE: i32 = 2;

/// Prints `vaultlink: message` to `err` and returns `code`.
fn fail(err: &mut dyn Write, code: i32, message: impl std::fmt::Display) -> i32 {
    let _ = writeln!(err, "vaultlink: {message}");
    code
}

/// When the links file at `path` is not valid JSON: says where, in `check`'s format
/// (`vaultlink.json:3:81: error[syntax-error]: trailing comma`), then that the command did
/// nothing (`consequence`), and returns [`EXIT_USAGE`]: the command could not run. Every
/// command that reads the links file but `check` (which reports it as a finding) ends so.
/// A file that is JSON but holds something vaultlink cannot use (a bad link, a bad tenant)
/// is not broken: each command says what is wrong where it matters.
fn broken_links(path: &Path, text: &str, consequence: &str, err: &mut dyn Write) -> Option<i32> {
    use crate::text::{Encoding, LineIndex};
    let errors = crate::syntax::json::parse(text).errors;
    if errors.is_empty() {
        return None;
    }
    let index = LineIndex::new(text);
    let shown = display_path(path);
    for e in &errors {
        let lc = index.line_col(text, e.range.start, Encoding::Chars);
        let _ = writeln!(
            err,
            "{shown}:{}:{}: error[syntax-error]: {}",
            lc.line + 1,
            lc.col + 1,
            e.message
        );
    }
    Some(fail(
        err,
        EXIT_USAGE,
        format!("{shown} is not valid JSON: fix it first; {consequence}"),
    ))
}

/// Reads a file that holds requests: its text and kind (`.http`/`.rest` or a collection).
fn read_request_file(
    file: &Path,
    err: &mut dyn Write,
) -> Result<(String, crate::vault::document::DocKind), i32> {
    use crate::vault::document::DocKind;
    let shown = display_path(file);
    let text = crate::fs::read_text(file)
        .map_err(|e| fail(err, EXIT_USAGE, format!("cannot read {shown}: {e}")))?;
    let name = file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    match DocKind::detect(name, &text) {
        Some(k @ (DocKind::Http | DocKind::Collection)) => Ok((text, k)),
        _ => Err(fail(
            err,
            EXIT_USAGE,
            format!("{shown} is not a request file: expected .http, .rest or a Postman collection"),
        )),
    }
}

/// `--env NAME` names none of `known` (the environments that apply, `$shared` included):
/// the message, with the names there are.
fn unknown_env<'a>(env: &str, known: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let names: Vec<&str> = known
        .into_iter()
        .filter(|n| *n != crate::syntax::env::SHARED)
        .collect();
    if names.contains(&env) {
        return None;
    }
    let hint = if names.is_empty() {
        "no environment file applies here".to_owned()
    } else {
        format!("the environments here are: {}", names.join(", "))
    };
    Some(format!("no environment named `{env}`: {hint}"))
}

/// A path as people read it: without a leading `./`.
fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}
