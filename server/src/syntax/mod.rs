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

/// Runs `f` on its own thread and fails the test when it has not finished within five
/// seconds: a parser that loops forever fails instead of hanging the test run.
#[cfg(test)]
pub(crate) fn finishes<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    use std::sync::mpsc::RecvTimeoutError;
    let (tx, rx) = std::sync::mpsc::channel();
    let thread = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(std::time::Duration::from_secs(5)) {
        Ok(value) => value,
        // It panicked: fail with its panic.
        Err(RecvTimeoutError::Disconnected) => match thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread sends before it ends"),
        },
        Err(RecvTimeoutError::Timeout) => panic!("still running after five seconds"),
    }
}
