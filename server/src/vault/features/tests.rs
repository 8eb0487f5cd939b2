//! Fixture plumbing shared by the tests of every feature.
//!
//! A fixture is a string of `//- /path` blocks, one per file: `vaultlink.json`, environment
//! files, and the document under test — the file that holds `$0` (the cursor; two `$0` mark
//! a selection), else the first file that is neither. `$0` is removed before parsing.
//! Lines `//- @env NAME` (the chosen environment), `//- @names a b` (names used in the
//! workspace), `//- @nopath` (the document has no path) and `//- @nocreate` (no place for a
//! new `vaultlink.json`) set the world around it.

use std::path::{Path, PathBuf};

use crate::syntax::env::{self, EnvFile};
use crate::text::TextRange;
use crate::vault::document::{DocKind, Parsed};
use crate::vault::features::{Doc, EnvFileSource, FileEdit, FileRange, LinksSource, World};
use crate::vault::links::{self, LinksFile};

/// The cursor marker.
const CURSOR: &str = "$0";

pub(crate) struct Fixture {
    pub files: Vec<(PathBuf, String)>,
    /// Which file is the document under test.
    pub doc: usize,
    /// The first `$0` in the document.
    pub cursor: Option<u32>,
    /// Between two `$0`, or empty at the only one.
    pub selection: Option<TextRange>,
    pub env_name: Option<String>,
    pub names: Vec<String>,
    pub no_path: bool,
    pub no_create: bool,
}

impl Fixture {
    pub fn parse(fixture: &str) -> Fixture {
        let mut f = Fixture {
            files: Vec::new(),
            doc: usize::MAX,
            cursor: None,
            selection: None,
            env_name: None,
            names: Vec::new(),
            no_path: false,
            no_create: false,
        };
        for line in fixture.split_inclusive('\n') {
            if let Some(directive) = line.strip_prefix("//- @") {
                let mut words = directive.split_whitespace();
                match words.next() {
                    Some("env") => f.env_name = words.next().map(str::to_owned),
                    Some("names") => f.names = words.map(str::to_owned).collect(),
                    Some("nopath") => f.no_path = true,
                    Some("nocreate") => f.no_create = true,
                    other => panic!("unknown fixture directive {other:?}"),
                }
            } else if let Some(path) = line.strip_prefix("//- ") {
                f.files.push((PathBuf::from(path.trim()), String::new()));
            } else if let Some((_, text)) = f.files.last_mut() {
                text.push_str(line);
            }
        }
        for (i, (_, text)) in f.files.iter_mut().enumerate() {
            let marks: Vec<usize> = text.match_indices(CURSOR).map(|(at, _)| at).collect();
            if marks.is_empty() {
                continue;
            }
            *text = text.replace(CURSOR, "");
            let first = marks[0] as u32;
            f.doc = i;
            f.cursor = Some(first);
            f.selection = Some(match marks.get(1) {
                Some(&second) => TextRange::new(first, (second - CURSOR.len()) as u32),
                None => TextRange::empty(first),
            });
        }
        if f.doc == usize::MAX {
            f.doc = f
                .files
                .iter()
                .position(|(p, t)| !is_links(p) && env::parse_path(&name(p), t).is_none())
                .unwrap_or(0);
        }
        f
    }

    /// The document under test's text.
    pub fn text(&self) -> &str {
        &self.files[self.doc].1
    }

    /// The cursor; the fixture must have one.
    pub fn cursor(&self) -> u32 {
        self.cursor.expect("the fixture needs a `$0`")
    }

    /// Parses every file, builds the document and its world, and hands them to `f`.
    pub fn with<R>(&self, f: impl FnOnce(&Doc<'_>, &World<'_>) -> R) -> R {
        let links: Option<(&Path, &str, LinksFile)> = self
            .files
            .iter()
            .find(|(p, _)| is_links(p))
            .map(|(p, t)| (p.as_path(), t.as_str(), links::parse(t)));
        let envs: Vec<(&Path, &str, EnvFile)> = self
            .files
            .iter()
            .filter_map(|(p, t)| env::parse_path(&name(p), t).map(|e| (p.as_path(), t.as_str(), e)))
            .collect();
        let env_sources: Vec<EnvFileSource<'_>> = envs
            .iter()
            .map(|(path, text, file)| EnvFileSource { path, text, file })
            .collect();
        let (path, text) = &self.files[self.doc];
        let kind = DocKind::detect(&name(path), text).expect("a known kind of file");
        let parsed = Parsed::parse(kind, text);
        let doc = Doc {
            path: (!self.no_path).then_some(path.as_path()),
            text,
            kind,
            parsed: &parsed,
        };
        let new_links = PathBuf::from("/vaultlink.json");
        let world = World {
            links: links
                .as_ref()
                .map(|(path, text, file)| LinksSource { path, text, file }),
            new_links_path: (!self.no_create).then_some(new_links.as_path()),
            envs: &env_sources,
            env_name: self.env_name.as_deref(),
            workspace_names: &self.names,
            keyvault: None,
        };
        f(&doc, &world)
    }

    /// The text of the file at `path`; empty when the fixture has none.
    pub fn file(&self, path: &Path) -> &str {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map_or("", |(_, t)| t.as_str())
    }
}

fn name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

fn is_links(path: &Path) -> bool {
    name(path) == links::FILE_NAME
}

/// `start..end "covered text"`.
pub(crate) fn show(text: &str, range: TextRange) -> String {
    let covered = text.get(range.as_usize());
    assert!(
        covered.is_some(),
        "{range:?} is off the text or off a char boundary"
    );
    format!("{range:?} {:?}", covered.unwrap_or_default())
}

/// A location in one of the fixture's files (or in the text `edited` has for it).
pub(crate) fn show_file_range(
    fixture: &Fixture,
    edited: &[(PathBuf, String)],
    at: &FileRange,
) -> String {
    let text = edited
        .iter()
        .find(|(p, _)| *p == at.path)
        .map_or_else(|| fixture.file(&at.path), |(_, t)| t.as_str());
    format!("{} {}", at.path.display(), show(text, at.range))
}

/// Applies `edits` to the fixture's files: each file's new text.
pub(crate) fn apply(fixture: &Fixture, edits: &[FileEdit]) -> Vec<(PathBuf, String)> {
    edits
        .iter()
        .map(|e| {
            let old = if e.create { "" } else { fixture.file(&e.path) };
            assert!(
                !e.create || fixture.file(&e.path).is_empty(),
                "creates {} which exists",
                e.path.display()
            );
            (e.path.clone(), links::apply_edits(old, &e.edits))
        })
        .collect()
}

/// Offsets that must never break anything: past the end, far past it, inside every
/// multi-byte character.
pub(crate) fn awkward_offsets(text: &str) -> Vec<u32> {
    let mut out = vec![text.len() as u32 + 1, text.len() as u32 + 1000, u32::MAX];
    out.extend(
        (0..text.len())
            .filter(|&i| !text.is_char_boundary(i))
            .map(|i| i as u32),
    );
    out
}

/// A links file with a valid link restricted to some hosts, a pinned one, a broken one and
/// an untrusted one, all in the vault `corp-kv`.
pub(crate) const LINKS: &str = r#"//- /vaultlink.json
{
  "secrets": {
    "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key", "allowedDomains": ["api.stripe.com", "*.stripe.com"] },
    "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79" },
    "broken": { "link": "https://corp-kv.vault.azure.net/keys/broken" },
    "evil": { "link": "https://evil.example.com/secrets/x" }
  }
}
"#;

/// Environment files: a public one with two environments and `$shared`, and a private one.
pub(crate) const ENVS: &str = r#"//- /http-client.env.json
{
  "$shared": { "version": "v1" },
  "dev": { "host": "https://dev.example.test", "token": "Bearer {{vault:stripe-key}}", "port": 8080 },
  "prod": { "host": "https://api.stripe.com" }
}
//- /http-client.private.env.json
{
  "dev": { "password": "hunter2-plain", "apiToken": "{{vault:db-password}}", "mixed": "x-{{vault:stripe-key}}-y" }
}
"#;
