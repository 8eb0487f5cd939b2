//! A text with its line index and the negotiated position encoding: what `to_proto` and
//! `from_proto` need to turn byte offsets into protocol positions and back.

use crate::text::{Encoding, LineIndex};

/// A text with its line index, for conversions.
#[derive(Clone, Copy)]
pub struct Lines<'a> {
    pub text: &'a str,
    pub index: &'a LineIndex,
    pub enc: Encoding,
}
