//! Hover: what a reference points to, never a secret's value.

use crate::text::TextRange;
use crate::vault::features::{Doc, World};

/// A hover: the range it is about and Markdown to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverInfo {
    pub range: TextRange,
    pub markdown: String,
}

/// The hover at `offset`: on `{{vault:x}}` or a `pm.vault.*("x")` name, the reference name;
/// for a linked one the vault, the Key Vault secret name, the version (or `latest`), the
/// identifier and the allowed domains (or "any host"); for an unlinked one, how to link it;
/// for a broken link, what is wrong. On `{{var}}`: where it is defined and its value, except
/// that values from `http-client.private.env.json` and values holding a vault reference are
/// shown masked (`••••••`) or as the reference, never in plain text. On `{{$dynamic}}`: what
/// it produces.
pub fn hover(doc: &Doc<'_>, offset: u32, world: &World<'_>) -> Option<HoverInfo> {
    let _ = (doc, offset, world);
    None
}
