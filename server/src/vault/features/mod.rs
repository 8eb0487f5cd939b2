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
pub mod hover;
pub mod lens;
pub mod navigation;
pub mod symbols;

/// One document: its path (when it has one), text, kind and parse.
#[derive(Clone, Copy)]
pub struct Doc<'a> {
    pub path: Option<&'a Path>,
    pub text: &'a str,
    pub kind: DocKind,
    pub parsed: &'a Parsed,
}

/// The links file that applies, with where it is and its text.
#[derive(Clone, Copy)]
pub struct LinksSource<'a> {
    pub path: &'a Path,
    pub text: &'a str,
    pub file: &'a LinksFile,
}

/// An environment file that applies, with where it is and its text.
#[derive(Clone, Copy)]
pub struct EnvFileSource<'a> {
    pub path: &'a Path,
    pub text: &'a str,
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
}

/// Edits to one file; `create` when the file does not exist yet (the edits then hold its
/// whole text as one insertion at offset 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    pub path: PathBuf,
    pub create: bool,
    pub edits: Vec<TextEdit>,
}

/// A location in some file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRange {
    pub path: PathBuf,
    pub range: TextRange,
}
