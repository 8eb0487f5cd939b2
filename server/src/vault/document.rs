//! Documents: which kind of file a path is, its parse, and its analysis, in one place for the
//! command line and the language server.

use crate::syntax::env::{self, EnvFile};
use crate::syntax::http::{self, HttpFile};
use crate::syntax::postman::{self, Collection};
use crate::vault::analysis::{self, Context, FileScope};
use crate::vault::diagnostic::Finding;
use crate::vault::links::{self, LinksFile};
use crate::vault::plaintext;

/// The kinds of file vaultlink reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// `*.http`, `*.rest`.
    Http,
    /// A Postman collection v2.0/v2.1.
    Collection,
    /// `http-client.env.json` or `http-client.private.env.json`.
    HttpClientEnv { private: bool },
    /// `*.postman_environment.json`.
    PostmanEnv,
    /// `vaultlink.json`.
    Links,
}

impl DocKind {
    /// The kind a file name says, when the name alone decides it. `.json` files whose name
    /// says nothing need a look at their text: see [`DocKind::detect`].
    pub fn from_name(file_name: &str) -> Option<DocKind> {
        let lower = file_name.to_ascii_lowercase();
        Some(match lower.as_str() {
            links::FILE_NAME => DocKind::Links,
            "http-client.env.json" => DocKind::HttpClientEnv { private: false },
            "http-client.private.env.json" => DocKind::HttpClientEnv { private: true },
            _ if lower.ends_with(".http") || lower.ends_with(".rest") => DocKind::Http,
            _ if lower.ends_with(".postman_collection.json") => DocKind::Collection,
            _ if lower.ends_with(".postman_environment.json") => DocKind::PostmanEnv,
            _ => return None,
        })
    }

    /// Whether a file of this name may be one of ours, to be confirmed by [`DocKind::detect`].
    pub fn is_candidate(file_name: &str) -> bool {
        DocKind::from_name(file_name).is_some() || file_name.to_ascii_lowercase().ends_with(".json")
    }

    /// The kind of a file from its name and, for other `.json` files, its text (a collection
    /// names the collection schema in `info.schema`).
    pub fn detect(file_name: &str, text: &str) -> Option<DocKind> {
        DocKind::from_name(file_name).or_else(|| {
            (file_name.to_ascii_lowercase().ends_with(".json")
                && postman::looks_like_collection(text))
            .then_some(DocKind::Collection)
        })
    }
}

/// A parsed document.
#[derive(Clone, Debug)]
pub enum Parsed {
    Http(HttpFile),
    Collection(Collection),
    Env(EnvFile),
    Links(LinksFile),
}

impl Parsed {
    pub fn parse(kind: DocKind, text: &str) -> Parsed {
        match kind {
            DocKind::Http => Parsed::Http(http::parse(text)),
            DocKind::Collection => Parsed::Collection(postman::parse(text)),
            DocKind::HttpClientEnv { private } => {
                Parsed::Env(env::parse_http_client(text, private))
            }
            DocKind::PostmanEnv => Parsed::Env(env::parse_postman(text)),
            DocKind::Links => Parsed::Links(links::parse(text)),
        }
    }

    /// What the plaintext-credential scan reads of this parse.
    pub fn scanned(&self) -> plaintext::Scanned<'_> {
        match self {
            Parsed::Http(f) => plaintext::Scanned::Http(f),
            Parsed::Collection(c) => plaintext::Scanned::Collection(c),
            Parsed::Env(e) => plaintext::Scanned::Env(e),
            Parsed::Links(_) => plaintext::Scanned::Nothing,
        }
    }

    /// Every offline finding, sorted by position.
    pub fn analyze(&self, text: &str, ctx: &Context<'_>) -> Vec<Finding> {
        self.analyze_in(text, ctx, &self.file_scope(text))
    }

    /// What the file defines for itself; nothing for other kinds of files.
    pub fn file_scope(&self, text: &str) -> FileScope {
        match self {
            Parsed::Http(file) => FileScope::http(text, file),
            Parsed::Collection(coll) => FileScope::collection(text, coll),
            Parsed::Env(_) | Parsed::Links(_) => FileScope::default(),
        }
    }

    /// [`Parsed::analyze`] with what the file defines for itself already read: `names`,
    /// [`Parsed::file_scope`].
    pub fn analyze_in(&self, text: &str, ctx: &Context<'_>, names: &FileScope) -> Vec<Finding> {
        let mut findings = match self {
            Parsed::Http(f) => analysis::analyze_http(text, f, ctx, names),
            Parsed::Collection(c) => analysis::analyze_collection(text, c, ctx, names),
            Parsed::Env(e) => analysis::analyze_env(text, e, ctx),
            Parsed::Links(l) => analysis::analyze_links(l),
        };
        findings.extend(plaintext::findings(text, self.scanned()));
        findings.sort_by_key(|f| (f.range.start, f.range.end));
        findings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_from_names() {
        assert_eq!(DocKind::from_name("a.http"), Some(DocKind::Http));
        assert_eq!(DocKind::from_name("A.REST"), Some(DocKind::Http));
        assert_eq!(DocKind::from_name("vaultlink.json"), Some(DocKind::Links));
        assert_eq!(
            DocKind::from_name("http-client.private.env.json"),
            Some(DocKind::HttpClientEnv { private: true })
        );
        assert_eq!(
            DocKind::from_name("x.postman_collection.json"),
            Some(DocKind::Collection)
        );
        assert_eq!(
            DocKind::from_name("x.postman_environment.json"),
            Some(DocKind::PostmanEnv)
        );
        assert_eq!(DocKind::from_name("package.json"), None);
        assert!(DocKind::is_candidate("package.json"));
        let coll = r#"{"info": {"name": "x", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": []}"#;
        assert_eq!(DocKind::detect("api.json", coll), Some(DocKind::Collection));
        assert_eq!(DocKind::detect("package.json", r#"{"name": "x"}"#), None);
    }
}
