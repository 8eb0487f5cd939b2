//! The server's state: open documents, the files of the workspace, and how to put together
//! the context a document is analysed in. Values are immutable snapshots behind `Arc`s:
//! writers build a new value and swap it in; no lock is held across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;

use tower_lsp_server::ls_types::{Diagnostic, Uri};

use crate::fs;
use crate::halves::side_by_side;
use crate::lsp::budget::{self, Slot};
use crate::lsp::from_proto;
use crate::lsp::lines::Lines;
use crate::syntax::env::EnvFile;
use crate::text::{Encoding, LineIndex, Splice, spare};
use crate::vault::analysis::{Context, EnvSource, FileScope};
use crate::vault::diagnostic::Finding;
use crate::vault::document::{DocKind, Parsed};
use crate::vault::features::navigation::{self, NameUse};
use crate::vault::features::{Doc, EnvFileSource, LinksSource, World};
use crate::vault::incremental::{self, Patch};
use crate::vault::links::{self, LinksFile};

/// The length from which a document's line index is built beside its first analysis.
const INDEX_BESIDE_MIN: usize = 256 * 1024;

/// A file's text with its kind and parse, from the editor or from the disk.
#[derive(Debug)]
pub struct FileData {
    pub path: Option<PathBuf>,
    /// Shared with the open document it came from, if any.
    pub text: Arc<String>,
    pub kind: DocKind,
    pub parsed: Parsed,
    /// What was parsed again, when this parse was made from the previous version's.
    pub patch: Option<Patch>,
    /// What the file defines for itself, read when first needed, or taken over from the
    /// previous version's parse when the edit left it as it was.
    scope: OnceLock<Arc<FileScope>>,
}

impl FileData {
    pub fn new(path: Option<PathBuf>, text: Arc<String>, kind: DocKind) -> FileData {
        let parsed = Parsed::parse(kind, &text);
        FileData {
            path,
            text,
            kind,
            parsed,
            patch: None,
            scope: OnceLock::new(),
        }
    }

    /// What the file defines for itself (see [`FileScope`]).
    pub fn file_scope(&self) -> &FileScope {
        self.scope
            .get_or_init(|| Arc::new(self.parsed.file_scope(&self.text)))
    }

    pub fn doc(&self) -> Doc<'_> {
        Doc {
            path: self.path.as_deref(),
            text: &self.text,
            kind: self.kind,
            parsed: &self.parsed,
        }
    }

    pub fn links(&self) -> Option<&LinksFile> {
        match &self.parsed {
            Parsed::Links(l) => Some(l),
            _ => None,
        }
    }

    pub fn env(&self) -> Option<&EnvFile> {
        match &self.parsed {
            Parsed::Env(e) => Some(e),
            _ => None,
        }
    }
}

/// The version a document was edited from, kept until the edited version is parsed: its
/// parse, and where the text changed since.
struct Origin {
    data: Arc<FileData>,
    splice: Splice,
}

/// Findings with the context generation they saw.
type Findings = Option<(u64, Arc<Vec<Finding>>)>;

/// An open document: one version of it.
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    /// The text, parsed when first needed (a burst of edits parses only the last version).
    pub text: Arc<String>,
    pub path: Option<PathBuf>,
    /// `None` for files vaultlink does not read; they are kept for their text only.
    pub kind: Option<DocKind>,
    index: OnceLock<LineIndex>,
    /// The parse, computed by the first thread that needs it; no lock is held meanwhile.
    data: Slot<Arc<FileData>>,
    /// The version this one was edited from, until this one is parsed.
    origin: Mutex<Option<Origin>>,
    /// The offline findings of this version.
    findings: Mutex<Findings>,
    /// The offline findings of the version in `origin`, until this one's are computed.
    earlier_findings: Mutex<Findings>,
    /// Diagnostics computed for this version, with the context generation they saw.
    pub diagnostics: Mutex<Option<(u64, Arc<Vec<Diagnostic>>)>>,
    /// The linked secrets this version uses, with the context generation they saw: Key
    /// Vault's answers change more often than the text, and need not rescan it.
    pub linked_uses: Mutex<Option<(u64, Arc<Vec<crate::vault::features::live::LinkedUse>>)>>,
}

impl Document {
    pub fn new(uri: Uri, version: i32, text: String) -> Document {
        let path = from_proto::path(&uri);
        let name = path
            .as_deref()
            .or_else(|| Path::new(uri.path().as_str()).file_name().map(Path::new))
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let kind = DocKind::detect(&name, &text);
        Document {
            uri,
            version,
            text: Arc::new(text),
            path,
            kind,
            index: OnceLock::new(),
            data: Slot::default(),
            origin: Mutex::new(None),
            findings: Mutex::new(None),
            earlier_findings: Mutex::new(None),
            diagnostics: Mutex::new(None),
            linked_uses: Mutex::new(None),
        }
    }

    /// The next version of `old`: `text` is its text changed by `splice` (`None`: replaced
    /// whole). Its parse and findings will be made from `old`'s where the edit did not
    /// reach, and its line index from `old`'s.
    pub fn edited(old: &Document, version: i32, text: String, splice: Option<Splice>) -> Document {
        let doc = Document::new(old.uri.clone(), version, text);
        let Some(splice) = splice else {
            return doc;
        };
        if let Some(index) = old.index.get() {
            let _ = doc.index.set(index.edited(&doc.text, splice));
        }
        if doc.kind != old.kind || !doc.kind.is_some_and(incremental::applies) {
            return doc;
        }
        // From `old`'s parse when it has one, else from the version `old` came from: a
        // burst of edits before any parse keeps one origin, never a chain.
        let origin = match old.data.get() {
            Some(data) => Some((
                Origin { data, splice },
                old.findings.lock().unwrap().clone(),
            )),
            None => old.origin.lock().unwrap().as_ref().map(|o| {
                (
                    Origin {
                        data: o.data.clone(),
                        splice: o.splice.then(splice),
                    },
                    old.earlier_findings.lock().unwrap().clone(),
                )
            }),
        };
        if let Some((origin, findings)) = origin {
            *doc.origin.lock().unwrap() = Some(origin);
            *doc.earlier_findings.lock().unwrap() = findings;
        }
        doc
    }

    /// The offline findings of this version in `ctx`, whose links and environment files are
    /// those of context generation `generation`: computed once per generation, and after an
    /// edit from the earlier version's findings where the edit did not reach.
    pub fn findings(
        &self,
        data: &FileData,
        generation: u64,
        ctx: &Context<'_>,
    ) -> Arc<Vec<Finding>> {
        if let Some((g, found)) = &*self.findings.lock().unwrap()
            && *g == generation
        {
            return found.clone();
        }
        let earlier = self.earlier_findings.lock().unwrap().take();
        let found = match (earlier, &data.patch) {
            (Some((g, earlier)), Some(patch)) if g == generation => {
                let names = data.file_scope();
                incremental::reanalyse(&earlier, patch, &data.text, &data.parsed, ctx, names)
            }
            _ => None,
        };
        let found = Arc::new(
            found.unwrap_or_else(|| data.parsed.analyze_in(&data.text, ctx, data.file_scope())),
        );
        *self.findings.lock().unwrap() = Some((generation, found.clone()));
        found
    }

    /// Runs `f` on the parse of the version this one was edited from and the splice from its
    /// text to this one's, while this version is not parsed: `None` once it is parsed or its
    /// parse has begun, and when it has no earlier version. `f` runs under the lock a parse
    /// takes the earlier version with, so that a parse begun meanwhile waits for it and still
    /// takes the earlier parse over without a copy: keep it short.
    pub fn with_earlier<T>(&self, f: impl FnOnce(&FileData, Splice) -> Option<T>) -> Option<T> {
        if self.data.get().is_some() {
            return None;
        }
        let origin = self.origin.lock().unwrap();
        origin.as_ref().and_then(|o| f(&o.data, o.splice))
    }

    /// Whether this version is parsed.
    #[cfg(test)]
    pub fn is_parsed(&self) -> bool {
        self.data.get().is_some()
    }

    pub fn index(&self) -> &LineIndex {
        self.index.get_or_init(|| LineIndex::new(&self.text))
    }

    /// The offline findings (see [`Document::findings`]) with the line index built: beside
    /// them, on a thread of its own, for a large document whose index is not there yet (one
    /// just opened). Its analysis leaves a core idle part of the time, and the index is
    /// milliseconds of a 5 MB text.
    pub fn findings_indexed(
        &self,
        data: &FileData,
        generation: u64,
        ctx: &Context<'_>,
    ) -> Arc<Vec<Finding>> {
        if self.index.get().is_some() || self.text.len() < INDEX_BESIDE_MIN {
            let found = self.findings(data, generation, ctx);
            self.index();
            return found;
        }
        side_by_side(
            || self.findings(data, generation, ctx),
            || {
                self.index();
            },
        )
        .0
    }

    pub fn lines(&self, enc: Encoding) -> Lines<'_> {
        Lines {
            text: &self.text,
            index: self.index(),
            enc,
        }
    }

    fn file_name(&self) -> &str {
        self.path
            .as_deref()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or_else(|| self.uri.path().as_str().rsplit('/').next().unwrap_or(""))
    }

    fn parse(&self, kind: DocKind) -> Arc<FileData> {
        budget::stall_if_asked(self.file_name());
        let origin = self.origin.lock().unwrap().take();
        if let Some(origin) = origin
            && incremental::applies(kind)
        {
            let old_text = origin.data.text.clone();
            // The earlier version's parse (and what it defines) is taken over when nothing
            // else holds it.
            let (old, old_scope) = match Arc::try_unwrap(origin.data) {
                Ok(d) => (d.parsed, d.scope.into_inner()),
                Err(d) => (d.parsed.clone(), d.scope.get().cloned()),
            };
            let (parsed, patch) =
                incremental::reparse(kind, old, &old_text, &self.text, origin.splice);
            // The earlier version's text is read no more, unless something still holds it.
            if let Ok(old_text) = Arc::try_unwrap(old_text) {
                spare::give_back_text(old_text);
            }
            let scope = OnceLock::new();
            if let (Some(old_scope), Some(patch)) = (old_scope, &patch) {
                if patch.keeps_scope() {
                    let _ = scope.set(old_scope);
                } else if let Some(edit) = patch.scope_edit() {
                    let mut edited = Arc::unwrap_or_clone(old_scope);
                    edited.edit(edit);
                    let _ = scope.set(Arc::new(edited));
                }
            }
            return Arc::new(FileData {
                path: self.path.clone(),
                text: self.text.clone(),
                kind,
                parsed,
                patch,
                scope,
            });
        }
        Arc::new(FileData::new(self.path.clone(), self.text.clone(), kind))
    }

    /// The parsed document, when it is a kind vaultlink reads, for a feature of this document:
    /// parsed here if nobody has begun, else waited for within the analysis budget.
    pub fn data(&self) -> Result<Option<Arc<FileData>>, Unfinished> {
        let Some(kind) = self.kind else {
            return Ok(None);
        };
        match self
            .data
            .get_or_compute(budget::budget(), || self.parse(kind))
        {
            Some(data) => Ok(Some(data)),
            None => Err(Unfinished {
                file: self.describe(),
            }),
        }
    }

    /// The parsed document if it is there now. If nobody has begun parsing it, a parse is
    /// started in the background (here, when there is no runtime: the unit tests).
    pub fn data_if_ready(self: &Arc<Self>) -> Option<Arc<FileData>> {
        let kind = self.kind?;
        if let Some(data) = self.data.get() {
            return Some(data);
        }
        if self.data.is_empty() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    let doc = self.clone();
                    drop(runtime.spawn_blocking(move || {
                        doc.data.get_or_compute(Duration::ZERO, || doc.parse(kind))
                    }));
                }
                Err(_) => return self.data().ok().flatten(),
            }
        }
        None
    }

    /// The parsed document for a feature of another document (its links, the uses of a
    /// name): never parsed on the caller's thread and waited for only briefly, so that a
    /// document whose analysis is slow does not hold up the others.
    pub fn data_for_others(self: &Arc<Self>) -> Option<Arc<FileData>> {
        self.data_if_ready()
            .or_else(|| self.data.wait(budget::PATIENCE))
    }

    /// The file as the log names it: its path, else its URI.
    pub fn describe(&self) -> String {
        match &self.path {
            Some(p) => p.display().to_string(),
            None => self.uri.as_str().to_owned(),
        }
    }
}

/// A document whose analysis did not finish within the budget.
#[derive(Debug)]
pub struct Unfinished {
    /// The file, as the log names it.
    pub file: String,
}

impl Unfinished {
    pub fn message(&self) -> String {
        format!(
            "vaultlink: analysing {} took longer than {}; answered without it",
            self.file,
            budget::budget_text()
        )
    }
}

/// What applies to a document: its links file and environment files, and the names the
/// workspace uses, held for as long as a feature runs.
pub struct Surroundings {
    pub links: Option<Arc<FileData>>,
    pub envs: Vec<Arc<FileData>>,
    pub names: Arc<Vec<String>>,
    pub new_links_path: Option<PathBuf>,
}

impl Surroundings {
    pub fn env_sources(&self) -> Vec<EnvSource<'_>> {
        self.envs
            .iter()
            .filter_map(|e| {
                Some(EnvSource {
                    text: &e.text,
                    file: e.env()?,
                })
            })
            .collect()
    }

    pub fn env_file_sources(&self) -> Vec<EnvFileSource<'_>> {
        self.envs
            .iter()
            .filter_map(|e| {
                Some(EnvFileSource {
                    path: e.path.as_deref()?,
                    text: &e.text,
                    file: e.env()?,
                })
            })
            .collect()
    }

    pub fn context<'a>(
        &'a self,
        envs: &'a [EnvSource<'a>],
        env_name: Option<&'a str>,
    ) -> Context<'a> {
        Context {
            links: self.links.as_ref().and_then(|l| l.links()),
            envs,
            env_name,
        }
    }

    pub fn world<'a>(
        &'a self,
        envs: &'a [EnvFileSource<'a>],
        env_name: Option<&'a str>,
    ) -> World<'a> {
        World {
            links: self.links.as_ref().and_then(|l| {
                Some(LinksSource {
                    path: l.path.as_deref()?,
                    text: &l.text,
                    file: l.links()?,
                })
            }),
            new_links_path: self.new_links_path.as_deref(),
            envs,
            env_name,
            workspace_names: &self.names,
            keyvault: None,
        }
    }
}

/// A file of the workspace on disk, with the vault names it uses. Only links and
/// environment files keep their parse (other documents are analysed in their context); the
/// others keep their text, for the ranges of references and renames.
pub struct IndexedFile {
    pub text: Arc<String>,
    pub kind: DocKind,
    /// The parse of a links or environment file.
    pub context: Option<Arc<FileData>>,
    pub names: Vec<NameUse>,
}

/// The uses of one vault name in one file: where the file is, its text, the name ranges.
pub struct FileUses {
    pub uri: Option<Uri>,
    pub path: Option<PathBuf>,
    pub text: Arc<String>,
    pub ranges: Vec<crate::text::TextRange>,
}

/// What [`State::names_beside`] read in one folder, for the files a document names.
struct Beside {
    imports: Vec<String>,
    scripts: Vec<String>,
    names: Option<Arc<FileData>>,
}

#[derive(Default)]
pub struct State {
    enc: OnceLock<Encoding>,
    pub roots: RwLock<Vec<PathBuf>>,
    docs: RwLock<HashMap<Uri, Arc<Document>>>,
    /// Files read from disk for context (links and environment files), `None` when absent.
    disk: RwLock<HashMap<PathBuf, Option<Arc<FileData>>>>,
    /// The workspace's own files, from the scan at start and file events.
    index: RwLock<BTreeMap<PathBuf, Arc<IndexedFile>>>,
    /// Bumped whenever a links or environment file changes: cached diagnostics are stale.
    generation: AtomicU64,
    names: Mutex<Option<(u64, Arc<Vec<String>>)>>,
    /// The names beside the `.http` documents of each folder, read from disk once (see
    /// [`State::names_beside`]), for the files those documents import and run.
    beside: Mutex<HashMap<PathBuf, Beside>>,
    /// The environment chosen in the editor's settings.
    pub env_name: RwLock<Option<String>>,
    /// The secret stores: Azure's sign-in and Key Vault, AWS's credentials and Secrets
    /// Manager, with their caches.
    pub providers: crate::providers::Providers,
}

impl State {
    pub fn encoding(&self) -> Encoding {
        self.enc.get().copied().unwrap_or(Encoding::Utf16)
    }

    pub fn set_encoding(&self, enc: Encoding) {
        let _ = self.enc.set(enc);
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn bump_generation(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn doc(&self, uri: &Uri) -> Option<Arc<Document>> {
        self.docs.read().unwrap().get(uri).cloned()
    }

    pub fn open_docs(&self) -> Vec<Arc<Document>> {
        self.docs.read().unwrap().values().cloned().collect()
    }

    pub fn put_doc(&self, doc: Document) -> Option<Arc<Document>> {
        self.docs
            .write()
            .unwrap()
            .insert(doc.uri.clone(), Arc::new(doc))
    }

    pub fn remove_doc(&self, uri: &Uri) -> Option<Arc<Document>> {
        self.docs.write().unwrap().remove(uri)
    }

    fn open_doc_at(&self, path: &Path) -> Option<Arc<Document>> {
        self.docs
            .read()
            .unwrap()
            .values()
            .find(|d| d.path.as_deref() == Some(path))
            .cloned()
    }

    /// The file at `path` as the editor has it, else as the disk has it.
    pub fn file(&self, path: &Path) -> Option<Arc<FileData>> {
        // The editor's text, unless its parse is slow: then the disk's, as if it were closed.
        if let Some(doc) = self.open_doc_at(path)
            && let Some(data) = doc.data_for_others()
        {
            return Some(data);
        }
        if let Some(indexed) = self.index.read().unwrap().get(path) {
            return Some(indexed.context.clone().unwrap_or_else(|| {
                Arc::new(FileData::new(
                    Some(path.to_path_buf()),
                    indexed.text.clone(),
                    indexed.kind,
                ))
            }));
        }
        if let Some(hit) = self.disk.read().unwrap().get(path) {
            return hit.clone();
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let data = fs::read_text(path).ok().and_then(|text| {
            let kind = DocKind::detect(name, &text)?;
            Some(Arc::new(FileData::new(
                Some(path.to_path_buf()),
                Arc::new(text),
                kind,
            )))
        });
        self.disk
            .write()
            .unwrap()
            .insert(path.to_path_buf(), data.clone());
        data
    }

    /// Whether a file exists for us at `path`: open in the editor or on disk.
    fn exists(&self, path: &Path) -> bool {
        self.open_doc_at(path).is_some() || path.is_file()
    }

    /// Forgets what was read of `path` from disk.
    pub fn forget(&self, path: &Path) {
        self.disk.write().unwrap().remove(path);
        self.index.write().unwrap().remove(path);
        self.forget_beside();
    }

    /// Forgets the names read beside documents: a file they came from may have changed.
    pub fn forget_beside(&self) {
        self.beside.lock().unwrap().clear();
    }

    /// [`State::forget_beside`] if `path` is a file whose names were read beside a document
    /// (a `.env` file, an imported file, a script); returns whether it is.
    pub fn forget_beside_if_read(&self, path: &Path) -> bool {
        let mut beside = self.beside.lock().unwrap();
        let read = path.file_name().is_some_and(|n| n == ".env")
            || beside.iter().any(|(dir, b)| {
                b.imports
                    .iter()
                    .chain(&b.scripts)
                    .any(|f| dir.join(f) == path)
            });
        if read {
            beside.clear();
        }
        read
    }

    /// The names an `.http` document can use beyond its environment files (`.env`, imported
    /// files, script files), as `check` reads them, as one more environment for its
    /// diagnostics. Read from disk once per folder and set of files named, and again after
    /// [`State::forget`] or [`State::forget_beside`] (a file event, a save): not on every edit.
    pub fn names_beside(&self, data: &FileData) -> Option<Arc<FileData>> {
        let (Some(dir), Parsed::Http(file)) =
            (data.path.as_deref().and_then(Path::parent), &data.parsed)
        else {
            return None;
        };
        // The files it names are read with what the file defines, once per parse.
        let (imports, scripts) = (
            data.file_scope().imports(),
            data.file_scope().script_files(),
        );
        if let Some(b) = self.beside.lock().unwrap().get(dir)
            && b.imports == imports
            && b.scripts == scripts
        {
            return b.names.clone();
        }
        let (imports, scripts) = (imports.to_vec(), scripts.to_vec());
        let names = crate::workspace::names_beside(dir, &data.text, file).map(|loaded| {
            Arc::new(FileData::new(
                Some(loaded.path.clone()),
                Arc::new(loaded.text.clone()),
                DocKind::HttpClientEnv { private: true },
            ))
        });
        self.beside.lock().unwrap().insert(
            dir.to_path_buf(),
            Beside {
                imports,
                scripts,
                names: names.clone(),
            },
        );
        names
    }

    /// The workspace root that holds `path`, or the first root.
    pub fn root_for(&self, path: Option<&Path>) -> Option<PathBuf> {
        let roots = self.roots.read().unwrap();
        path.and_then(|p| roots.iter().find(|r| p.starts_with(r)).cloned())
            .or_else(|| roots.first().cloned())
    }

    /// The nearest `vaultlink.json` from `dir` upwards.
    pub fn links_path(&self, dir: &Path) -> Option<PathBuf> {
        dir.ancestors()
            .map(|d| d.join(links::FILE_NAME))
            .find(|p| self.exists(p))
    }

    /// What applies to a document at `path`. `with_names`: also every vault name the
    /// workspace uses (completion needs them; diagnostics do not, and they cost a scan of
    /// the open documents when the cache is stale).
    pub fn surroundings(
        &self,
        path: Option<&Path>,
        kind: DocKind,
        with_names: bool,
    ) -> Surroundings {
        let dir = path.and_then(Path::parent);
        let links_path = dir.and_then(|d| self.links_path(d));
        let links = links_path.as_deref().and_then(|p| self.file(p));
        let envs = match (dir, kind) {
            (Some(dir), DocKind::Http) => ["http-client.private.env.json", "http-client.env.json"]
                .iter()
                .filter_map(|n| dir.ancestors().map(|d| d.join(n)).find(|p| self.exists(p)))
                .filter_map(|p| self.file(&p))
                .collect(),
            (Some(dir), DocKind::Collection) => {
                let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .chain(
                        self.open_docs()
                            .iter()
                            .filter_map(|d| d.path.clone())
                            .filter(|p| p.parent() == Some(dir)),
                    )
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .and_then(DocKind::from_name)
                            == Some(DocKind::PostmanEnv)
                    })
                    .collect();
                paths.sort();
                paths.dedup();
                paths.iter().filter_map(|p| self.file(p)).collect()
            }
            _ => Vec::new(),
        };
        let new_links_path = match &links_path {
            Some(p) => Some(p.clone()),
            None => self
                .root_for(path)
                .or_else(|| dir.map(Path::to_path_buf))
                .map(|d| d.join(links::FILE_NAME)),
        };
        Surroundings {
            links,
            envs,
            names: if with_names {
                self.workspace_names()
            } else {
                Arc::default()
            },
            new_links_path,
        }
    }

    /// Every vault name used in the workspace and open documents, sorted, no duplicates.
    pub fn workspace_names(&self) -> Arc<Vec<String>> {
        let generation = self.generation();
        if let Some((g, names)) = &*self.names.lock().unwrap()
            && *g == generation
        {
            return names.clone();
        }
        let mut names: Vec<String> = self
            .index
            .read()
            .unwrap()
            .values()
            .flat_map(|f| f.names.iter().map(|n| n.name.clone()))
            .collect();
        // A document whose parse is not there yet counts with its text on disk, and the
        // list is then not kept: nothing waits for another document's parse.
        let mut whole = true;
        let open = self.open_docs();
        let index = self.index.read().unwrap();
        for doc in open.iter().filter(|d| d.kind.is_some()) {
            match doc.data_if_ready() {
                Some(data) => names.extend(
                    navigation::vault_names(&data.doc())
                        .into_iter()
                        .map(|n| n.name),
                ),
                None => {
                    whole = false;
                    if let Some(f) = doc.path.as_ref().and_then(|p| index.get(p)) {
                        names.extend(f.names.iter().map(|n| n.name.clone()));
                    }
                }
            }
        }
        drop(index);
        names.sort();
        names.dedup();
        let names = Arc::new(names);
        if whole {
            *self.names.lock().unwrap() = Some((generation, names.clone()));
        }
        names
    }

    /// Reads, parses and indexes one workspace file; returns whether it is one of ours.
    pub fn index_file(&self, path: &Path) -> bool {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(data) = fs::read_text(path).ok().and_then(|text| {
            let kind = DocKind::detect(name, &text)?;
            Some(Arc::new(FileData::new(
                Some(path.to_path_buf()),
                Arc::new(text),
                kind,
            )))
        }) else {
            self.forget(path);
            return false;
        };
        let names = navigation::vault_names(&data.doc());
        let context = matches!(
            data.kind,
            DocKind::Links | DocKind::HttpClientEnv { .. } | DocKind::PostmanEnv
        )
        .then(|| data.clone());
        let indexed = IndexedFile {
            text: data.text.clone(),
            kind: data.kind,
            context,
            names,
        };
        self.disk.write().unwrap().remove(path);
        self.index
            .write()
            .unwrap()
            .insert(path.to_path_buf(), Arc::new(indexed));
        true
    }

    /// Every use of the vault name `name`: in open documents as the editor has them, and in
    /// the indexed files that are not open.
    pub fn name_uses(&self, name: &str) -> Vec<FileUses> {
        let open = self.open_docs();
        let mut out = Vec::new();
        for doc in &open {
            let Some(data) = doc.data_for_others() else {
                continue;
            };
            let ranges: Vec<_> = navigation::vault_names(&data.doc())
                .into_iter()
                .filter(|u| u.name == name)
                .map(|u| u.name_range)
                .collect();
            if !ranges.is_empty() {
                out.push(FileUses {
                    uri: Some(doc.uri.clone()),
                    path: doc.path.clone(),
                    text: doc.text.clone(),
                    ranges,
                });
            }
        }
        let open_paths: Vec<PathBuf> = open.iter().filter_map(|d| d.path.clone()).collect();
        for (path, f) in self.index.read().unwrap().iter() {
            if open_paths.contains(path) {
                continue;
            }
            let ranges: Vec<_> = f
                .names
                .iter()
                .filter(|u| u.name == name)
                .map(|u| u.name_range)
                .collect();
            if !ranges.is_empty() {
                out.push(FileUses {
                    uri: None,
                    path: Some(path.clone()),
                    text: f.text.clone(),
                    ranges,
                });
            }
        }
        out
    }
}

/// What the session's sends share: the responses kept for later requests, by request
/// name, and the redactor that knows every value fetched so far.
#[derive(Default)]
pub(super) struct SendSession {
    pub(super) responses: std::collections::HashMap<String, crate::send::plan::EarlierResponse>,
    pub(super) redactor: crate::send::redact::Redactor,
}

pub(super) type Responses = std::sync::Arc<std::sync::Mutex<SendSession>>;

#[cfg(test)]
mod tests;
