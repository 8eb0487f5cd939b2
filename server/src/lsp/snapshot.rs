//! What every handler starts from: an open document with its parse (or why there is none),
//! the world it is read in (links file, environments, the stores' answers), and the current
//! text of files the server may edit, with the edits to them as a protocol edit.

use std::path::Path;
use std::sync::Arc;

use tower_lsp_server::ls_types::{Uri, WorkspaceEdit};

use crate::lsp::error::{Error, Result};
use crate::lsp::lines::Lines;
use crate::lsp::state::{Document, FileData, State, Surroundings};
use crate::lsp::to_proto;
use crate::text::LineIndex;
use crate::vault::document::DocKind;
use crate::vault::features::{EnvFileSource, FileEdit, World};

/// An open document and its parse, or why there is none: unknown documents answer empty,
/// and a document whose parse runs past the budget answers an error.
pub fn open(state: &State, uri: &Uri) -> Result<Option<(Arc<Document>, Arc<FileData>)>> {
    let Some(doc) = state.doc(uri) else {
        return Ok(None);
    };
    Ok(doc.data()?.map(|data| (doc, data)))
}

/// What applies to a document, held while a feature runs: its links and environment
/// files, the chosen environment and the stores.
pub struct Around {
    surroundings: Surroundings,
    env_name: Option<String>,
    providers: crate::providers::Providers,
}

impl Around {
    pub fn new(state: &State, data: &FileData) -> Around {
        Around::at(state, data.path.as_deref(), data.kind, true)
    }

    /// What applies to a document of kind `kind` at `path`; the names the workspace uses
    /// only `with_names`.
    pub fn at(state: &State, path: Option<&Path>, kind: DocKind, with_names: bool) -> Around {
        Around {
            surroundings: state.surroundings(path, kind, with_names),
            env_name: state.env_name.read().unwrap().clone(),
            providers: state.providers.clone(),
        }
    }

    pub fn envs(&self) -> Vec<EnvFileSource<'_>> {
        self.surroundings.env_file_sources()
    }

    /// The world of the features, with the stores' cached answers.
    pub fn world<'a>(&'a self, envs: &'a [EnvFileSource<'a>]) -> World<'a> {
        let mut world = self.surroundings.world(envs, self.env_name.as_deref());
        world.keyvault = Some(&self.providers);
        world
    }
}

/// The current text of a file the server may edit: the editor's, else the disk's.
pub fn current_text(state: &State, path: &Path) -> Option<(Option<i32>, Arc<String>)> {
    if let Some(doc) = state
        .open_docs()
        .into_iter()
        .find(|d| d.path.as_deref() == Some(path))
    {
        return Some((Some(doc.version), doc.text.clone()));
    }
    crate::fs::read_text(path).ok().map(|t| (None, Arc::new(t)))
}

/// A `WorkspaceEdit` from edits to files (creating those that do not exist), placed in each
/// file's current text.
pub fn workspace_edit(state: &State, edits: &[FileEdit]) -> Result<WorkspaceEdit> {
    let enc = state.encoding();
    let mut texts = Vec::new();
    for fe in edits {
        let uri = to_proto::uri(&fe.path)
            .ok_or_else(|| Error::invalid(format!("cannot name {} as a URI", fe.path.display())))?;
        let (version, text) = if fe.create {
            (None, Arc::new(String::new()))
        } else {
            current_text(state, &fe.path).unwrap_or((None, Arc::new(String::new())))
        };
        let index = LineIndex::new(&text);
        texts.push((uri, version, text, index));
    }
    let files = edits
        .iter()
        .zip(&texts)
        .map(|(fe, (uri, version, text, index))| to_proto::FileChange {
            uri: uri.clone(),
            version: *version,
            create: fe.create,
            lines: Lines { text, index, enc },
            edits: &fe.edits,
        })
        .collect();
    Ok(to_proto::workspace_edit(files))
}
