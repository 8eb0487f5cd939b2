//! The editor features as plain data: hover, completion, code actions, code lenses, symbols
//! and navigation. Each is a pure function of a document and the [`World`] around it that
//! returns byte ranges and strings; the language server converts them to the protocol.

use std::path::{Path, PathBuf};

use crate::syntax::env::EnvFile;
use crate::text::TextRange;
use crate::vault::document::{DocKind, Parsed};
use crate::vault::links::{LinksFile, TextEdit};

pub mod actions;
pub mod completion;
pub(crate) mod earlier;
pub mod hover;
pub mod lens;
pub mod live;
pub(crate) mod markdown;
pub mod navigation;
mod scan;
pub mod symbols;
#[cfg(test)]
mod tests;
pub(crate) mod vars;

/// One document: its path (when it has one), text, kind and parse.
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    /// Where it is on disk; `None` for an unsaved document.
    pub path: Option<&'a Path>,
    /// The whole text; every range of every feature is a byte range into it.
    pub text: &'a str,
    /// Which kind of file it is.
    pub kind: DocKind,
    /// The parse of `text`.
    pub parsed: &'a Parsed,
}

/// The links file that applies, with where it is and its text.
#[derive(Clone, Copy)]
pub struct LinksSource<'a> {
    /// Where the file is.
    pub path: &'a Path,
    /// Its text, as the edits of code actions apply to it.
    pub text: &'a str,
    /// Its parse.
    pub file: &'a LinksFile,
}

/// An environment file that applies, with where it is and its text.
#[derive(Clone, Copy)]
pub struct EnvFileSource<'a> {
    /// Where the file is.
    pub path: &'a Path,
    /// Its text, which the ranges of `file` point into.
    pub text: &'a str,
    /// Its parse; `file.kind` says whether it is private.
    pub file: &'a EnvFile,
}

/// What the features know besides the document.
#[derive(Clone, Copy, Default)]
pub struct World<'a> {
    /// The nearest `vaultlink.json`; `None` when there is none.
    pub links: Option<LinksSource<'a>>,
    /// Where a new `vaultlink.json` would be created when there is none (the workspace root,
    /// or the document's folder).
    pub new_links_path: Option<&'a Path>,
    /// The environment files that apply, nearest first.
    pub envs: &'a [EnvFileSource<'a>],
    /// The chosen environment, if any.
    pub env_name: Option<&'a str>,
    /// Every vault reference name used anywhere in the workspace, sorted, without duplicates.
    pub workspace_names: &'a [String],
    /// What the secret stores have said, when the session is online; `None` offline.
    pub keyvault: Option<&'a dyn crate::vault::features::live::SecretsView>,
}

/// Edits to one file; `create` when the file does not exist yet (the edits then hold its
/// whole text as one insertion at offset 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    /// The file to edit (or create).
    pub path: PathBuf,
    /// Whether the file is to be created.
    pub create: bool,
    /// Non-overlapping edits of the file's current text (of the empty text when `create`).
    pub edits: Vec<TextEdit>,
}

/// A location in some file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRange {
    /// The file.
    pub path: PathBuf,
    /// A byte range of its text.
    pub range: TextRange,
}
