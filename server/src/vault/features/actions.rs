//! Code actions: link an unlinked secret, unlink, move a literal credential to the vault.

use crate::text::TextRange;
use crate::vault::features::{Doc, FileEdit, FileRange, World};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    QuickFix,
    RefactorRewrite,
}

/// One code action: edits to apply, and where to put the cursor afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    /// The diagnostic code it fixes, when it is a quick fix for one.
    pub fixes: Option<&'static str>,
    pub preferred: bool,
    pub edits: Vec<FileEdit>,
    /// Where to show the user afterwards (e.g. the new `link` in `vaultlink.json`).
    pub show: Option<FileRange>,
}

/// The actions for the selection `range`:
/// - on an unlinked reference `{{vault:x}}` (or script name): one quick fix per plausible
///   identifier — the same or a similar secret name (`x`, with `_`/`.` turned into `-`) in each
///   vault already linked in `vaultlink.json` — titled "Link `x` to <identifier>", and
///   "Add a link for `x` to vaultlink.json" that adds a skeleton entry (creating the file at
///   `world.new_links_path` when there is none) and shows its `link` value;
/// - on a linked reference: "Unlink `x`" (removes the entry from vaultlink.json);
/// - on a literal credential (`Authorization: Bearer eyJ…`/`Basic …`/`token …`, headers such
///   as `X-Api-Key`, `Api-Key`, `X-Auth-Token`, or a query parameter `api_key`, `apikey`,
///   `access_token`, `token`, `key` with a literal value — not a `{{…}}`): a
///   `refactor.rewrite` "Move to vault as `{{vault:name}}`" that replaces the literal with the
///   reference (name derived from the host and header, e.g. `stripe-api-key`) and adds a link
///   skeleton for it to vaultlink.json.
/// Edits to vaultlink.json keep its formatting (use `links::set_link_edits`/`new_file`).
pub fn code_actions(doc: &Doc<'_>, range: TextRange, world: &World<'_>) -> Vec<Action> {
    let _ = (doc, range, world);
    Vec::new()
}
