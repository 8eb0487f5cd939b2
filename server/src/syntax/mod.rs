//! Parsers for every file vaultlink reads, and the scanner that finds references in them.
//!
//! Parsing never fails: each parser returns a tree together with the errors it met, and the
//! errors become diagnostics. Everything here is pure: text in, data with byte ranges out.

pub mod env;
pub mod http;
pub mod json;
pub mod postman;
pub mod refs;

use crate::text::TextRange;

/// A problem a parser found, with the range it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
}

impl SyntaxError {
    pub fn new(range: TextRange, message: impl Into<String>) -> SyntaxError {
        SyntaxError {
            range,
            message: message.into(),
        }
    }
}
