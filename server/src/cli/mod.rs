//! The commands of the command line, as functions that write to the streams they are given
//! and return the exit code. `main.rs` parses flags and calls these.

mod check;
mod links;
mod requests;
mod send;

pub use check::{CheckOptions, Format, check};
pub use links::{link, links, unlink};
pub use requests::requests;
pub use send::{Credential, SendOptions, body_for_display, send};

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

/// A path as people read it: without a leading `./`.
fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).to_string()
}
