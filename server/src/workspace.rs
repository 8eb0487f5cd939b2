//! Documents on disk with what applies to them: the nearest `vaultlink.json` and the
//! environment files beside them, each read and parsed once per run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fs;
use crate::syntax::env::{self, EnvFile};
use crate::syntax::http::{self, HttpFile};
use crate::vault::analysis::{self, EnvSource};
use crate::vault::document::DocKind;
use crate::vault::links::{self, LinksFile};

/// A file read and parsed.
#[derive(Debug)]
pub struct Loaded<T> {
    pub path: PathBuf,
    pub text: String,
    pub parsed: T,
}

/// Files found next to documents, cached by path for the length of a run.
#[derive(Default)]
pub struct DiskWorkspace {
    links: HashMap<PathBuf, Option<Arc<Loaded<LinksFile>>>>,
    envs: HashMap<PathBuf, Option<Arc<Loaded<EnvFile>>>>,
    /// Files that could not be read, with the reason, reported once each.
    pub unreadable: Vec<(PathBuf, String)>,
}

impl DiskWorkspace {
    /// The nearest `vaultlink.json` from `dir` upwards, parsed.
    pub fn links_for(&mut self, dir: &Path) -> Option<Arc<Loaded<LinksFile>>> {
        let path = fs::find_up(dir, links::FILE_NAME)?;
        if let Some(hit) = self.links.get(&path) {
            return hit.clone();
        }
        let loaded = match fs::read_text(&path) {
            Ok(text) => {
                let parsed = links::parse(&text);
                Some(Arc::new(Loaded {
                    path: path.clone(),
                    text,
                    parsed,
                }))
            }
            Err(e) => {
                self.unreadable.push((path.clone(), e.to_string()));
                None
            }
        };
        self.links.insert(path, loaded.clone());
        loaded
    }

    fn env_file(&mut self, path: PathBuf) -> Option<Arc<Loaded<EnvFile>>> {
        if let Some(hit) = self.envs.get(&path) {
            return hit.clone();
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let loaded = match (fs::read_text(&path), DocKind::from_name(name)) {
            (Ok(text), Some(DocKind::HttpClientEnv { private })) => {
                let parsed = env::parse_http_client(&text, private);
                Some(Arc::new(Loaded {
                    path: path.clone(),
                    text,
                    parsed,
                }))
            }
            (Ok(text), Some(DocKind::PostmanEnv)) => {
                let parsed = env::parse_postman(&text);
                Some(Arc::new(Loaded {
                    path: path.clone(),
                    text,
                    parsed,
                }))
            }
            (Ok(_), _) => None,
            (Err(e), _) => {
                self.unreadable.push((path.clone(), e.to_string()));
                None
            }
        };
        self.envs.insert(path, loaded.clone());
        loaded
    }

    /// The environment files for a document of `kind` in `dir`: for `.http` files the nearest
    /// `http-client.env.json` and `http-client.private.env.json`; for collections the Postman
    /// environments in the same folder.
    pub fn envs_for(&mut self, dir: &Path, kind: DocKind) -> Vec<Arc<Loaded<EnvFile>>> {
        let paths: Vec<PathBuf> = match kind {
            DocKind::Http => ["http-client.private.env.json", "http-client.env.json"]
                .iter()
                .filter_map(|n| fs::find_up(dir, n))
                .collect(),
            DocKind::Collection => {
                let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| DocKind::from_name(n) == Some(DocKind::PostmanEnv))
                    })
                    .collect();
                found.sort();
                found
            }
            _ => Vec::new(),
        };
        paths.into_iter().filter_map(|p| self.env_file(p)).collect()
    }
}

/// The names an `.http` file in `dir` can use that no environment file holds: those of the
/// nearest `.env` file (httpyac, REST Client's `$dotenv`), those the files it imports or
/// runs define (kulala's `import`/`run`, httpyac's `# @import`) and those its script files
/// set (`< ./script.js`, `> ./handler.js`: `client.global.set`, `request.variables.set`). They come as one more
/// environment that always applies, without values. `None` when there are none.
/// The names of [`names_beside`]: set when a request runs (by a script or an imported file),
/// or read from `.env`.
pub fn runtime_names(dir: &Path, text: &str, file: &HttpFile) -> Vec<String> {
    names_beside(dir, text, file)
        .iter()
        .flat_map(|e| &e.parsed.environments)
        .flat_map(|e| &e.variables)
        .map(|v| v.name.clone())
        .collect()
}

pub fn names_beside(dir: &Path, text: &str, file: &HttpFile) -> Option<Arc<Loaded<EnvFile>>> {
    let mut names: Vec<String> = Vec::new();
    let dotenv = fs::find_up(dir, ".env");
    if let Some(text) = dotenv.as_ref().and_then(|p| fs::read_text(p).ok()) {
        names.extend(env::dotenv_names(&text).into_iter().map(str::to_owned));
    }
    for import in analysis::http_imports(text, file) {
        let path = dir.join(import);
        if let Ok(other) = fs::read_text(&path) {
            let parsed = http::parse(&other);
            names.extend(analysis::http_defined_names(&other, &parsed));
        }
    }
    for script in analysis::http_script_files(text, file) {
        if let Ok(code) = fs::read_text(&dir.join(script)) {
            names.extend(analysis::script_defined_names(&code));
        }
    }
    if names.is_empty() {
        return None;
    }
    let vars: serde_json::Map<String, serde_json::Value> = names
        .into_iter()
        .map(|n| (n, serde_json::Value::Null))
        .collect();
    let text = serde_json::json!({ env::SHARED: vars }).to_string();
    let parsed = env::parse_http_client(&text, true);
    Some(Arc::new(Loaded {
        path: dotenv.unwrap_or_else(|| dir.join(".env")),
        text,
        parsed,
    }))
}

/// Borrowed views of loaded environment files, as the analysis takes them.
pub fn env_sources(envs: &[Arc<Loaded<EnvFile>>]) -> Vec<EnvSource<'_>> {
    envs.iter()
        .map(|e| EnvSource {
            text: &e.text,
            file: &e.parsed,
        })
        .collect()
}
