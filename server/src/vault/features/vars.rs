//! Variables in scope at a place of a document: where each is defined and what its value is,
//! for hover, completion and go to definition.
//!
//! The analysis keeps its own scope for diagnostics (names only, with values where they are
//! unambiguous); here every definition is kept with its place, so that a hover can list them
//! all and a definition can jump to one.

use std::borrow::Cow;
use std::path::Path;

use crate::syntax::env::{EnvFile, EnvFileKind, EnvValue, EnvVariable, SHARED};
use crate::syntax::json;
use crate::syntax::postman::{Collection, Item, Variable};
use crate::syntax::refs;
use crate::text::TextRange;
use crate::vault::document::Parsed;
use crate::vault::features::{Doc, EnvFileSource, World};

/// One definition of a variable.
pub(crate) struct VarDef<'a> {
    pub name: Cow<'a, str>,
    pub source: Source<'a>,
    /// The file the definition is in; `None` for the document itself when it has no path.
    pub path: Option<&'a Path>,
    /// The name where it is defined.
    pub name_range: TextRange,
    pub value: VarValue<'a>,
    /// The value must never be shown: it comes from `http-client.private.env.json` or is a
    /// Postman `secret` value.
    pub secret: bool,
}

/// Where a definition comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source<'a> {
    /// `@name = value` in the `.http` file.
    FileVariable,
    /// A request's name: `{{name.response.body…}}` reads its response.
    Request,
    /// A collection variable.
    Collection,
    /// A folder's (or item's) variable; the item's path.
    Folder(&'a str),
    /// An environment: its name and file.
    Env { env: &'a str, file: &'a Path },
}

/// A definition's value.
pub(crate) enum VarValue<'a> {
    /// A string, decoded.
    Text(Cow<'a, str>),
    /// Visual Studio's Key Vault entry.
    KeyVault {
        secret: Option<Cow<'a, str>>,
        vault: Option<&'a str>,
    },
    /// Visual Studio's other secret providers (`AspnetUserSecrets`, `Encrypted`, …).
    Provider {
        provider: &'a str,
        secret: Option<Cow<'a, str>>,
    },
    /// A number, a boolean, an object: its source text.
    Other(&'a str),
    /// No value (a request name).
    None,
}

impl VarValue<'_> {
    /// The text, when the value is a string.
    pub fn text(&self) -> Option<&str> {
        match self {
            VarValue::Text(t) => Some(t),
            _ => None,
        }
    }
}

/// The name looked up for a use `{{name}}`: the name itself when something defines it, else
/// its first segment (`login` for `login.response.body.token`).
pub(crate) fn lookup<'a>(
    doc: &Doc<'a>,
    world: &World<'a>,
    name: &str,
    offset: u32,
) -> Vec<VarDef<'a>> {
    let mut defs = Vec::new();
    collect(
        doc,
        world,
        offset,
        Requests::All,
        &mut |n| n == name,
        &mut defs,
    );
    if defs.is_empty() {
        let first = name.split(['.', '[']).next().unwrap_or(name);
        if first != name && !first.is_empty() {
            collect(
                doc,
                world,
                offset,
                Requests::All,
                &mut |n| n == first,
                &mut defs,
            );
        }
    }
    defs
}

/// Every definition in scope at `offset`, in precedence order (the document's own first),
/// for completion. Of the request names, only those of the [`NEAR_REQUESTS`] requests that
/// end before `offset` (nearest first): a large file has tens of thousands, and a request
/// reads the responses of the ones just before it, never its own.
pub(crate) fn all<'a>(doc: &Doc<'a>, world: &World<'a>, offset: u32) -> Vec<VarDef<'a>> {
    let mut defs = Vec::new();
    collect(doc, world, offset, Requests::Near, &mut |_| true, &mut defs);
    defs
}

/// How many request names completion offers.
pub(crate) const NEAR_REQUESTS: usize = 100;

/// Which request names count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Requests {
    All,
    /// The [`NEAR_REQUESTS`] that end before the offset, nearest first.
    Near,
}

fn collect<'a>(
    doc: &Doc<'a>,
    world: &World<'a>,
    offset: u32,
    requests: Requests,
    want: &mut dyn FnMut(&str) -> bool,
    out: &mut Vec<VarDef<'a>>,
) {
    let src = doc.text;
    let path = doc.path;
    match doc.parsed {
        Parsed::Http(file) => {
            for v in &file.variables {
                let name = v.name.slice(src);
                if want(name) {
                    out.push(VarDef {
                        name: Cow::Borrowed(name),
                        source: Source::FileVariable,
                        path,
                        name_range: v.name,
                        value: VarValue::Text(Cow::Borrowed(v.value.slice(src))),
                        secret: false,
                    });
                }
            }
            let before = file.requests.partition_point(|r| r.range.end < offset);
            let reqs: Box<dyn Iterator<Item = _>> = match requests {
                Requests::All => Box::new(file.requests.iter()),
                Requests::Near => {
                    Box::new(file.requests[..before].iter().rev().take(NEAR_REQUESTS))
                }
            };
            for req in reqs {
                if let Some(r) = req.name {
                    let name = r.slice(src);
                    if want(name) {
                        out.push(VarDef {
                            name: Cow::Borrowed(name),
                            source: Source::Request,
                            path,
                            name_range: r,
                            value: VarValue::None,
                            secret: false,
                        });
                    }
                }
            }
        }
        Parsed::Collection(coll) => {
            for item in enclosing_items(coll, offset).iter().rev() {
                collection_vars(
                    src,
                    path,
                    &item.variables,
                    Source::Folder(&item.path),
                    want,
                    out,
                );
            }
            collection_vars(src, path, &coll.variables, Source::Collection, want, out);
        }
        Parsed::Env(file) => {
            // The document's own environments come first, unless the world lists it too.
            let listed = path.is_some_and(|p| world.envs.iter().any(|e| e.path == p));
            if !listed && let Some(p) = path {
                let own = EnvFileSource {
                    path: p,
                    text: src,
                    file,
                };
                env_vars(&own, world.env_name, want, out);
            }
        }
        Parsed::Links(_) => {}
    }
    for env in world.envs {
        env_vars(env, world.env_name, want, out);
    }
}

fn collection_vars<'a>(
    src: &'a str,
    path: Option<&'a Path>,
    vars: &'a [Variable],
    source: Source<'a>,
    want: &mut dyn FnMut(&str) -> bool,
    out: &mut Vec<VarDef<'a>>,
) {
    for v in vars {
        let Some(key) = &v.key else { continue };
        let name = key.value(src);
        if want(&name) {
            out.push(VarDef {
                name,
                source,
                path,
                name_range: key.content,
                value: v
                    .value
                    .as_ref()
                    .map_or(VarValue::None, |s| VarValue::Text(s.value(src))),
                secret: false,
            });
        }
    }
}

/// The items that hold `offset`, outermost first.
pub(crate) fn enclosing_items(coll: &Collection, offset: u32) -> Vec<&Item> {
    let mut out = Vec::new();
    let mut items = coll.items.as_slice();
    while let Some(item) = items.iter().find(|i| i.range.contains_inclusive(offset)) {
        out.push(item);
        items = item.children();
    }
    out
}

/// Whether the variables of environment `env` apply, as the analysis decides: with a chosen
/// environment, that one and `$shared`; without one, every environment.
fn env_applies(env: &str, chosen: Option<&str>) -> bool {
    chosen.is_none_or(|c| c == env || env == SHARED)
}

fn env_vars<'a>(
    env: &EnvFileSource<'a>,
    chosen: Option<&str>,
    want: &mut dyn FnMut(&str) -> bool,
    out: &mut Vec<VarDef<'a>>,
) {
    let file: &'a EnvFile = env.file;
    let src = env.text;
    let private = matches!(file.kind, EnvFileKind::HttpClient { private: true });
    for e in &file.environments {
        if !env_applies(&e.name, chosen) {
            continue;
        }
        for v in e.variables.iter().filter(|v| v.enabled) {
            if !want(&v.name) {
                continue;
            }
            let secret =
                private || (file.kind == EnvFileKind::Postman && is_postman_secret(src, v));
            out.push(VarDef {
                name: Cow::Borrowed(&v.name),
                source: Source::Env {
                    env: &e.name,
                    file: env.path,
                },
                path: Some(env.path),
                name_range: v.name_range,
                value: env_value(src, &v.value),
                secret,
            });
        }
    }
}

fn env_value<'a>(src: &'a str, value: &'a EnvValue) -> VarValue<'a> {
    match value {
        EnvValue::Text(s) => VarValue::Text(s.value(src)),
        EnvValue::KeyVault {
            secret_name, vault, ..
        } => VarValue::KeyVault {
            secret: secret_name.map(|s| s.value(src)),
            vault: vault.as_deref(),
        },
        EnvValue::Provider {
            provider,
            secret_name,
            ..
        } => VarValue::Provider {
            provider,
            secret: secret_name.map(|s| s.value(src)),
        },
        EnvValue::Other(range) => VarValue::Other(range.slice(src)),
    }
}

/// Whether a Postman environment entry has `"type": "secret"`. The parser does not keep the
/// type; the entry is small, so it is parsed again here.
fn is_postman_secret(src: &str, v: &EnvVariable) -> bool {
    let entry = v.range.slice(src);
    if !entry.contains("secret") {
        return false;
    }
    json::parse(entry)
        .root()
        .and_then(|root| root.get_str(entry, "type").map(|t| t == "secret"))
        .unwrap_or(false)
}

/// `text` with the variables whose value is known and may be shown substituted, up to a
/// fixed depth. Secret values are never substituted.
pub(crate) fn resolve<'t>(
    doc: &Doc<'_>,
    world: &World<'_>,
    text: &'t str,
    offset: u32,
) -> Cow<'t, str> {
    refs::substitute(text, |name| {
        lookup(doc, world, name, offset)
            .iter()
            .find(|d| !d.secret && d.value.text().is_some())
            .and_then(|d| d.value.text())
            .map(str::to_string)
    })
}
