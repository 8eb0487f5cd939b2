//! The offline analysis: for one parsed document, its links file and the environments that
//! apply to it, every finding that needs no network. Pure: parsed data in, findings out.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use crate::halves::side_by_side;
use crate::syntax::env::{EnvFile, EnvValue, USER_SECRETS};
use crate::syntax::http::HttpFile;
use crate::syntax::json::JsonString;
use crate::syntax::postman::{self, Collection, Item};
use crate::syntax::refs::{self, Ref, RefKind, ScriptCall, VaultMethod};
use crate::syntax::{SyntaxError, http};
use crate::text::TextRange;
use crate::vault::diagnostic::{Code, Finding};
use crate::vault::identifier::{IdError, is_valid_secret_name, is_valid_vault_name};
use crate::vault::links::{LinksFile, SecretLink};
use crate::vault::target::{self, Target};

/// An environment file that applies to the document, with its text.
#[derive(Clone, Copy)]
pub struct EnvSource<'a> {
    pub text: &'a str,
    pub file: &'a EnvFile,
}

/// What the analysis of a document needs besides the document.
#[derive(Clone, Copy, Default)]
pub struct Context<'a> {
    /// The nearest links file; `None` when there is none (every reference is unlinked).
    pub links: Option<&'a LinksFile>,
    /// The environment files that apply, nearest first.
    pub envs: &'a [EnvSource<'a>],
    /// The chosen environment; `None` takes every environment's names as defined.
    pub env_name: Option<&'a str>,
}

fn syntax_findings<'e>(
    errors: impl IntoIterator<Item = &'e SyntaxError>,
) -> impl Iterator<Item = Finding> {
    errors
        .into_iter()
        .map(|e| Finding::new(e.range, Code::SyntaxError, e.message.clone()))
}

/// Names and known values of variables in scope.
/// Names and values borrow the texts they were read from where they are not decoded: a
/// scope of every request name of a large file is built again for each edited part.
#[derive(Default)]
struct Scope<'a> {
    /// What the file defines for itself, read before the names defined here (those of the
    /// environments): its values win.
    file: Option<&'a FileScope>,
    defined: HashSet<Cow<'a, str>>,
    /// Names of requests sent in a loop.
    looped: HashSet<Cow<'a, str>>,
    values: HashMap<Cow<'a, str>, Cow<'a, str>>,
    /// Where names come from, for messages: "this file or an environment".
    sources: String,
    /// Where each URL prefix resolved so far goes: requests share a few base URLs.
    targets: RefCell<HashMap<String, Target>>,
    /// The vault names each variable leads to, computed once per variable.
    secrets: RefCell<HashMap<String, Rc<[String]>>>,
}

impl<'a> Scope<'a> {
    fn new(sources: String, file: &'a FileScope) -> Scope<'a> {
        Scope {
            file: Some(file),
            sources,
            ..Scope::default()
        }
    }

    fn has(&self, name: &str) -> bool {
        self.defined.contains(name) || self.file.is_some_and(|f| f.defined.contains(name))
    }

    fn value(&self, name: &str) -> Option<(&str, &str)> {
        self.file
            .and_then(|f| f.values.get_key_value(name))
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .or_else(|| {
                self.values
                    .get_key_value(name)
                    .map(|(n, v)| (n.as_ref(), v.as_ref()))
            })
    }

    fn define(&mut self, name: impl Into<Cow<'a, str>>, value: Option<Cow<'a, str>>) {
        let name = name.into();
        if let Some(v) = value {
            self.values.insert(name.clone(), v);
        }
        self.defined.insert(name);
    }

    /// Whether a `{{name}}` use is defined: the name itself, or for `a.b.c` (request
    /// chaining, object paths) its first segment — or no name at all but JavaScript that
    /// httpyac evaluates (`{{false}}`, `{{42}}`, `{{process.env.HOME}}`).
    fn is_defined(&self, name: &str) -> bool {
        let first = name.split(['.', '[']).next().unwrap_or(name);
        // A request `# @name foo` sent in a `# @loop` leaves `foo0`, `foo1`, … (httpyac).
        let looped = first.trim_end_matches(|c: char| c.is_ascii_digit());
        let is_looped =
            |n: &str| self.looped.contains(n) || self.file.is_some_and(|f| f.looped.contains(n));
        self.has(name)
            || self.has(first)
            || looped.len() < first.len() && is_looped(looped)
            // httpyac's `{{nameResponse}}`: the whole response of the request `name`.
            || first.strip_suffix("Response").is_some_and(|r| self.has(r))
            || SCRIPT_WORDS.contains(&first)
            || first.starts_with(|c: char| c.is_ascii_digit())
    }

    /// `text` with every variable whose value is known substituted.
    fn resolve<'t>(&self, text: &'t str) -> Cow<'t, str> {
        refs::substitute(text, |name| self.value(name).map(|(_, v)| v.to_string()))
    }

    /// Where a request's URL goes, read as it will be sent (see [`target`]). Only the part
    /// before the path is resolved, and once per distinct part.
    fn target(&self, url: &str) -> Target {
        let prefix = authority_prefix(url);
        if let Some(hit) = self.targets.borrow().get(prefix) {
            return hit.clone();
        }
        let target = target::read(&self.resolve(prefix));
        self.targets
            .borrow_mut()
            .insert(prefix.to_string(), target.clone());
        target
    }

    /// The vault names a variable's value leads to, through other variables.
    fn secrets_of(&self, name: &str) -> Rc<[String]> {
        if let Some(hit) = self.secrets.borrow().get(name) {
            return hit.clone();
        }
        let mut names = Vec::new();
        self.vault_names_of(name, 0, &mut Vec::new(), &mut names);
        let names: Rc<[String]> = names.into();
        self.secrets
            .borrow_mut()
            .insert(name.to_string(), names.clone());
        names
    }

    /// Each variable is looked into once (`seen`), so that values that use each other many
    /// times take linear time, not exponential.
    fn vault_names_of<'s>(
        &'s self,
        name: &str,
        depth: u32,
        seen: &mut Vec<&'s str>,
        out: &mut Vec<String>,
    ) {
        let Some((name, value)) = self.value(name) else {
            return;
        };
        if depth > 8 || !value.contains("{{") || seen.contains(&name) {
            return;
        }
        seen.push(name);
        let mut found = Vec::new();
        refs::scan(value, 0, &mut found);
        for r in found {
            match r.kind {
                RefKind::Vault { name } => out.push(name.slice(value).to_string()),
                RefKind::Variable { name } => {
                    self.vault_names_of(name.slice(value), depth + 1, seen, out)
                }
                _ => {}
            }
        }
    }
}

/// What a `{{…}}` may start with that is JavaScript rather than a variable name: literals,
/// and the objects and functions httpyac's expressions see (`oauth2Session` is the session
/// of a request's OAuth2 sign-in).
const SCRIPT_WORDS: [&str; 25] = [
    "true",
    "false",
    "null",
    "undefined",
    "NaN",
    "Infinity",
    "process",
    "response",
    "request",
    "$global",
    "httpRegion",
    "httpFile",
    "oauth2Session",
    "Math",
    "JSON",
    "Date",
    "Number",
    "String",
    "Object",
    "Array",
    "Buffer",
    "require",
    "encodeURIComponent",
    "btoa",
    "atob",
];

/// The names and values a file defines for itself: an `.http` file's variables, request
/// names and the names its scripts set; a collection's variables and the names its items
/// and scripts set. The analysis of any part of the file reads them all: built once per
/// analysis, and kept by the server across edits that define the same (see
/// [`crate::vault::incremental::Patch::keeps_scope`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileScope {
    defined: HashSet<String>,
    looped: HashSet<String>,
    values: HashMap<String, String>,
    /// The files whose names an `.http` file uses beside its environments, in order: those
    /// it imports ([`http_imports`]) and the script files it runs ([`http_script_files`]).
    imports: Vec<String>,
    script_files: Vec<String>,
}

impl FileScope {
    pub fn http(text: &str, file: &HttpFile) -> FileScope {
        let mut scope = Scope::default();
        define_http_names(text, file, &mut scope);
        let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
        FileScope {
            imports: owned(http_imports(text, file)),
            script_files: owned(http_script_files(text, file)),
            ..FileScope::from(scope)
        }
    }

    /// The files an `.http` file imports, as written.
    pub fn imports(&self) -> &[String] {
        &self.imports
    }

    /// The script files an `.http` file runs, as written.
    pub fn script_files(&self) -> &[String] {
        &self.script_files
    }

    pub fn collection(src: &str, coll: &Collection) -> FileScope {
        let mut scope = Scope::default();
        for v in &coll.variables {
            if let Some(k) = &v.key {
                scope.define(k.value(src), v.value.as_ref().map(|s| s.value(src)));
            }
        }
        coll.for_each_item(&mut |item| define_item_variables(src, item, &mut scope));
        for (_, line) in &coll.script_lines() {
            for_each_postman_line_set(src, line, |name| scope.define(name.to_owned(), None));
        }
        FileScope::from(scope)
    }

    /// This scope changed by `edit`.
    pub fn edit(&mut self, edit: &ScopeEdit) {
        for name in &edit.removed {
            self.defined.remove(name);
        }
        self.defined.extend(edit.added.iter().cloned());
    }
}

/// How an edit changed what a file defines: names it defines now that it did not, and names
/// it no longer defines anywhere.
#[derive(Clone, Debug, PartialEq)]
pub struct ScopeEdit {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl From<Scope<'_>> for FileScope {
    fn from(scope: Scope<'_>) -> FileScope {
        FileScope {
            defined: scope.defined.into_iter().map(Cow::into_owned).collect(),
            looped: scope.looped.into_iter().map(Cow::into_owned).collect(),
            values: scope
                .values
                .into_iter()
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect(),
            imports: Vec::new(),
            script_files: Vec::new(),
        }
    }
}

/// Adds the environments' variables to `scope`: names from every environment (or from the
/// chosen one and `$shared`), and values only where they are unambiguous.
fn add_env_scope<'a>(scope: &mut Scope<'a>, ctx: &Context<'a>) {
    let plain_envs = ctx
        .envs
        .iter()
        .flat_map(|s| &s.file.environments)
        .filter(|e| e.name != "$shared")
        .count();
    for src in ctx.envs.iter().rev() {
        for env in &src.file.environments {
            let shared = env.name == "$shared";
            let chosen = ctx.env_name.is_some_and(|n| n == env.name);
            let values_apply = shared || chosen || (ctx.env_name.is_none() && plain_envs == 1);
            if ctx.env_name.is_some() && !shared && !chosen {
                continue;
            }
            for var in env.variables.iter().filter(|v| v.enabled) {
                let value = match &var.value {
                    EnvValue::Text(s) if values_apply => Some(s.value(src.text)),
                    _ => None,
                };
                scope.define(var.name.as_str(), value);
            }
        }
    }
}

/// The start of a URL up to its path, query or fragment, not counting those characters
/// inside `{{…}}`: `{{base}}/items/{{id}}` gives `{{base}}`, `https://{{host}}:8080/x` gives
/// `https://{{host}}:8080`.
fn authority_prefix(url: &str) -> &str {
    let url = url.trim_start();
    let b = url.as_bytes();
    let mut i = url.find("://").map_or(0, |i| i + 3);
    while i < b.len() {
        match b[i] {
            b'{' if b.get(i + 1) == Some(&b'{') => match url[i..].find("}}") {
                Some(end) => i += end + 2,
                None => return url,
            },
            b'/' | b'?' | b'#' => return &url[..i],
            _ => i += 1,
        }
    }
    url
}

/// The host a URL sends to, lowercased, or `None` when it is not known without sending
/// (a variable in the host, no host at all). Read as the sender reads it (see [`target`]).
pub fn host_of(url: &str) -> Option<String> {
    target::read(url).host
}

/// Link checks shared by every kind of document: unlinked, invalid link, untrusted host.
fn check_link(
    ctx: &Context<'_>,
    range: TextRange,
    name: &str,
    out: &mut Vec<Finding>,
) -> Option<&'static str> {
    let link = ctx.links.and_then(|l| l.get(name));
    let Some(link) = link else {
        let msg = match ctx.links {
            Some(_) => format!(
                "`{name}` is not linked: add it to vaultlink.json with `vaultlink link {name} <identifier>`"
            ),
            None => format!(
                "`{name}` is not linked: no vaultlink.json was found; create one with `vaultlink link {name} <identifier>`"
            ),
        };
        out.push(Finding::new(range, Code::UnlinkedSecret, msg));
        return None;
    };
    match &link.link {
        Some(Err(err)) => {
            let (code, why) = match err {
                IdError::Untrusted { host } => (
                    Code::UntrustedHost,
                    format!("`{host}` is not a Key Vault host"),
                ),
                IdError::Invalid(reason) => (Code::InvalidLink, reason.clone()),
            };
            out.push(Finding::new(
                range,
                code,
                format!("the link for `{name}` in vaultlink.json is not usable: {why}"),
            ));
            None
        }
        None => {
            out.push(Finding::new(
                range,
                Code::InvalidLink,
                format!("`{name}` has no `link` in vaultlink.json"),
            ));
            None
        }
        Some(Ok(_)) => Some("linked"),
    }
}

fn check_domain(
    link: &SecretLink,
    host: &str,
    range: TextRange,
    via: Option<&str>,
    out: &mut Vec<Finding>,
) {
    if link.allows_host(host) {
        return;
    }
    let allowed: Vec<&str> = link
        .allowed_domains
        .iter()
        .map(|d| d.pattern.as_str())
        .collect();
    let through = via
        .map(|v| format!(" (through `{{{{{v}}}}}`)"))
        .unwrap_or_default();
    out.push(Finding::new(
        range,
        Code::DomainNotAllowed,
        format!(
            "`{}`{through} may not be sent to `{host}`: vaultlink.json allows only {}",
            link.name,
            allowed.join(", ")
        ),
    ));
}

/// Checks every reference in one request's text: link state, variables, and — when the host
/// is known — allowed domains. `refs` are the references inside the request.
fn check_refs(
    text: &str,
    found: &[Ref],
    host: Option<&str>,
    scope: &Scope,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    for r in found {
        match r.kind {
            RefKind::Vault { name } => {
                let name = name.slice(text);
                if check_link(ctx, r.range, name, out).is_some()
                    && let (Some(host), Some(link)) = (host, ctx.links.and_then(|l| l.get(name)))
                {
                    check_domain(link, host, r.range, None, out);
                }
            }
            RefKind::InvalidVault { message } | RefKind::Malformed { message } => {
                out.push(Finding::new(r.range, Code::InvalidReference, message))
            }
            RefKind::Variable { name } => {
                let name = name.slice(text);
                if !scope.is_defined(name) {
                    out.push(Finding::new(
                        r.range,
                        Code::UndefinedVariable,
                        format!("`{name}` is not defined in {}", scope.sources),
                    ));
                } else if let (Some(host), Some(links)) = (host, ctx.links) {
                    for secret in scope.secrets_of(name).iter() {
                        if let Some(link) =
                            links.get(secret).filter(|l| matches!(l.link, Some(Ok(_))))
                        {
                            check_domain(link, host, r.range, Some(name), out);
                        }
                    }
                }
            }
            RefKind::DynamicVault { .. } | RefKind::Dynamic { .. } | RefKind::Other => {}
        }
    }
}

/// The requests, variables, errors and notes of a stretch of an `.http` file.
#[derive(Clone, Copy)]
pub struct HttpPart<'f> {
    pub requests: &'f [http::Request],
    pub variables: &'f [http::FileVariable],
    pub errors: &'f [SyntaxError],
    pub notes: &'f [http::Note],
}

impl<'f> HttpPart<'f> {
    pub fn whole(file: &'f HttpFile) -> HttpPart<'f> {
        HttpPart {
            requests: &file.requests,
            variables: &file.variables,
            errors: &file.errors,
            notes: &file.notes,
        }
    }

    /// The items of `file` that start in `start..end`, both block boundaries (items stand
    /// in file order, block by block).
    pub fn between(file: &'f HttpFile, start: usize, end: usize) -> HttpPart<'f> {
        fn within<T>(items: &[T], start: usize, end: usize, at: impl Fn(&T) -> u32) -> &[T] {
            let lo = items.partition_point(|i| (at(i) as usize) < start);
            let hi = items.partition_point(|i| (at(i) as usize) < end);
            &items[lo..hi]
        }
        HttpPart {
            requests: within(&file.requests, start, end, |r| r.range.start),
            variables: within(&file.variables, start, end, |v| v.range.start),
            errors: within(&file.errors, start, end, |e| e.range.start),
            notes: within(&file.notes, start, end, |n| n.range.start),
        }
    }
}

/// The length from which the requests of an `.http` file are analysed in two halves side
/// by side.
const PARALLEL_ANALYSIS_MIN: usize = 256 * 1024;

/// Findings for an `.http`/`.rest` file that defines `names` ([`FileScope::http`]).
pub fn analyze_http(
    text: &str,
    file: &HttpFile,
    ctx: &Context<'_>,
    names: &FileScope,
) -> Vec<Finding> {
    if text.len() >= PARALLEL_ANALYSIS_MIN
        && let Some(cut) = http::independent_cut(text, text.len() / 2)
    {
        return analyze_http_in_halves(text, file, ctx, names, cut);
    }
    analyze_http_part(text, HttpPart::whole(file), ctx, names)
}

/// [`analyze_http`] of `text[..cut]` and `text[cut..]` side by side, `cut` being the start
/// of a `###` line.
fn analyze_http_in_halves(
    text: &str,
    file: &HttpFile,
    ctx: &Context<'_>,
    names: &FileScope,
    cut: usize,
) -> Vec<Finding> {
    let (mut first, mut second) = side_by_side(
        || analyze_http_part(text, HttpPart::between(file, 0, cut), ctx, names),
        || analyze_http_part(text, HttpPart::between(file, cut, text.len()), ctx, names),
    );
    first.append(&mut second);
    first
}

/// Findings for the requests, variables and errors of `file`, a part of an `.http` file
/// parsed from `text`, in the scope of the whole file: what it defines, `names`
/// ([`FileScope::http`]).
pub fn analyze_http_part(
    text: &str,
    file: HttpPart<'_>,
    ctx: &Context<'_>,
    names: &FileScope,
) -> Vec<Finding> {
    let mut out: Vec<Finding> = syntax_findings(file.errors).collect();
    out.extend(file.notes.iter().map(note_finding));
    let mut scope = Scope::new(
        match ctx.env_name {
            Some(env) => format!("this file or the environment `{env}`"),
            None => "this file or an environment".to_string(),
        },
        names,
    );
    add_env_scope(&mut scope, ctx);

    // File variables' values are checked once, where they are written.
    for v in file.variables {
        let mut found = Vec::new();
        refs::scan(v.value.slice(text), v.value.start, &mut found);
        check_refs(text, &found, None, &scope, ctx, &mut out);
    }
    let mut found = Vec::new();
    for req in file.requests {
        let target = req
            .target
            .first()
            .map(|first| (first, scope.target(first.slice(text))));
        let host = match target {
            Some((first, target)) => {
                if let Some(why) = target.misread {
                    out.push(Finding::new(*first, Code::SyntaxError, why));
                }
                target.host
            }
            None => None,
        };
        found.clear();
        for r in &req.target {
            refs::scan(r.slice(text), r.start, &mut found);
        }
        for h in &req.headers {
            refs::scan(h.name.slice(text), h.name.start, &mut found);
            for v in &h.value {
                refs::scan(v.slice(text), v.start, &mut found);
            }
        }
        if let Some(body) = &req.body {
            refs::scan(body.range.slice(text), body.range.start, &mut found);
        }
        check_refs(text, &found, host.as_deref(), &scope, ctx, &mut out);
    }
    out
}

/// Defines the names an `.http` file gives itself: file variables, request names, names its
/// scripts set and metadata that defines variables.
fn define_http_names<'a>(text: &'a str, file: &HttpFile, scope: &mut Scope<'a>) {
    // Most requests of a large file are named: room for them at once, not by doubling.
    scope
        .defined
        .reserve(file.variables.len() + file.requests.len());
    for v in &file.variables {
        scope.define(v.name.slice(text), Some(v.value.slice(text).into()));
    }
    for script in &file.scripts {
        define_script_names(script.slice(text), scope);
    }
    for req in &file.requests {
        if let Some(name) = req.name {
            scope.define(name.slice(text), None);
            if req.metadata.iter().any(|m| m.key.slice(text) == "loop") {
                scope.looped.insert(name.slice(text).into());
            }
        }
        for m in &req.metadata {
            if let Some(name) = metadata_variable(m.key.slice(text), m.value.slice(text)) {
                scope.define(name, None);
            }
        }
        for h in &req.handlers {
            if h.kind == http::HandlerKind::Script {
                define_script_names(h.content.slice(text), scope);
            }
        }
    }
}

/// What a part of an `.http` file adds to the scope of the whole file. The rest of a file
/// is analysed alike whichever of two parts with equal contributions stands in that place:
/// the names are a set, and a variable's value is the last one written, which within a
/// part is the last the part writes.
#[derive(Debug, PartialEq, Eq)]
pub struct ScopeContribution {
    defined: Vec<String>,
    looped: Vec<String>,
    values: Vec<(String, String)>,
    /// The files it names beside it, in order: imports by directive and by metadata (see
    /// [`http_imports`]), and script files ([`http_script_files`]).
    imports: (Vec<String>, Vec<String>),
    script_files: Vec<String>,
}

impl ScopeContribution {
    /// Whether the request named `name` is sent in a loop.
    pub fn is_looped(&self, name: &str) -> bool {
        self.looped
            .binary_search_by(|n| n.as_str().cmp(name))
            .is_ok()
    }

    /// The names whose standing differs between two contributions: defined by one only,
    /// looped in one only, or given another value.
    pub fn changed_names<'a>(&'a self, other: &'a ScopeContribution) -> Vec<&'a str> {
        fn differ<'a, T: Ord>(
            a: &'a [T],
            b: &'a [T],
            name: impl Fn(&'a T) -> &'a str,
            out: &mut Vec<&'a str>,
        ) {
            out.extend(a.iter().filter(|x| b.binary_search(x).is_err()).map(&name));
            out.extend(b.iter().filter(|x| a.binary_search(x).is_err()).map(&name));
        }
        let mut out = Vec::new();
        differ(&self.defined, &other.defined, String::as_str, &mut out);
        differ(&self.looped, &other.looped, String::as_str, &mut out);
        differ(&self.values, &other.values, |(n, _)| n.as_str(), &mut out);
        out
    }

    /// Whether both name the same files beside them, in the same order.
    pub fn refers_alike(&self, other: &ScopeContribution) -> bool {
        self.imports == other.imports && self.script_files == other.script_files
    }

    /// The names `other` defines that `self` does not, and those `self` defines that `other`
    /// does not, when that is all that differs (the same loops, the same values).
    pub fn defined_change(&self, other: &ScopeContribution) -> Option<(Vec<String>, Vec<String>)> {
        if self.looped != other.looped || self.values != other.values || !self.refers_alike(other) {
            return None;
        }
        let missing = |a: &[String], b: &[String]| -> Vec<String> {
            a.iter()
                .filter(|x| b.binary_search(x).is_err())
                .cloned()
                .collect()
        };
        Some((
            missing(&other.defined, &self.defined),
            missing(&self.defined, &other.defined),
        ))
    }
}

pub fn http_scope_contribution(text: &str, part: &HttpFile) -> ScopeContribution {
    let mut scope = Scope::default();
    define_http_names(text, part, &mut scope);
    let FileScope {
        defined,
        looped,
        values,
        ..
    } = FileScope::from(scope);
    let mut defined: Vec<String> = defined.into_iter().collect();
    let mut looped: Vec<String> = looped.into_iter().collect();
    let mut values: Vec<(String, String)> = values.into_iter().collect();
    defined.sort_unstable();
    looped.sort_unstable();
    values.sort_unstable();
    let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
    ScopeContribution {
        defined,
        looped,
        values,
        imports: {
            let (directives, metadata) = http_import_parts(text, part);
            (owned(directives), owned(metadata))
        },
        script_files: owned(http_script_files(text, part)),
    }
}

/// The names an `.http` file defines for the files that import or run it.
pub fn http_defined_names(text: &str, file: &HttpFile) -> Vec<String> {
    let mut scope = Scope::default();
    define_http_names(text, file, &mut scope);
    let mut names: Vec<String> = scope.defined.into_iter().map(Cow::into_owned).collect();
    names.sort();
    names
}

/// The names a script sets (`client.global.set`, `request.variables.set`, `exports.x`),
/// for the script files an `.http` file runs.
pub fn script_defined_names(script: &str) -> Vec<String> {
    let mut scope = Scope::default();
    define_script_names(script, &mut scope);
    let mut names: Vec<String> = scope.defined.into_iter().map(Cow::into_owned).collect();
    names.sort();
    names
}

/// The script files an `.http` file runs: pre-request `< ./script.js` and handler
/// `> ./handler.js` files. Paths as written.
pub fn http_script_files<'t>(text: &'t str, file: &HttpFile) -> Vec<&'t str> {
    let handlers = file
        .requests
        .iter()
        .flat_map(|r| &r.handlers)
        .filter(|h| h.kind == http::HandlerKind::File)
        .map(|h| h.content.slice(text));
    file.script_files
        .iter()
        .map(|r| r.slice(text))
        .chain(handlers)
        .filter(|p| !p.is_empty() && !p.contains("{{"))
        .collect()
}

/// The other `.http` files whose names this one uses: kulala's `import path` and
/// `run path`, httpyac's `# @import path`. Paths as written.
pub fn http_imports<'t>(text: &'t str, file: &HttpFile) -> Vec<&'t str> {
    let (mut directives, metadata) = http_import_parts(text, file);
    directives.extend(metadata);
    directives
}

/// [`http_imports`] in its two parts: the directives (which come first), and the metadata.
fn http_import_parts<'t>(text: &'t str, file: &HttpFile) -> (Vec<&'t str>, Vec<&'t str>) {
    let directives = file
        .directives
        .iter()
        .map(|d| d.target.slice(text))
        .filter(|t| !t.starts_with('#') && !t.is_empty());
    let metadata = file
        .requests
        .iter()
        .flat_map(|r| &r.metadata)
        .filter(|m| m.key.slice(text) == "import")
        .map(|m| m.value.slice(text))
        .filter(|p| !p.is_empty());
    (directives.collect(), metadata.collect())
}

/// The portable rewrite for a construct that only some dialects read.
fn note_finding(note: &http::Note) -> Finding {
    let message = match note.kind {
        http::NoteKind::MissingSeparator { .. } => {
            "a new request starts here without a `###` line: httpyac and kulala read two requests, JetBrains' format one; insert `###` for every editor"
        }
        http::NoteKind::MissingBlankLine { .. } => {
            "the body starts without a blank line: httpyac reads a body, JetBrains' format a header; insert a blank line for every editor"
        }
        http::NoteKind::BlankInTarget => {
            "the URL holds blanks: httpyac, REST Client, kulala and Visual Studio encode them, JetBrains' format ends the URL there; write them as `%20` for every editor"
        }
        http::NoteKind::LowerCaseMethod => {
            "the method is in small letters: REST Client and kulala read it, JetBrains' format and httpyac do not; write it in capitals for every editor"
        }
    };
    Finding::new(note.range, Code::MissingSeparator, message)
}

/// The variable a `# @key value` line defines: `# @prompt name` (asked for when the
/// request is sent), httpyac's `# @loop for item of items` and `# @ref name`, kulala's `# @env-json-key name
/// path`, `# @env-header-key`, `# @env-stdin-cmd name command` and `# @file-to-variable name
/// path`.
fn metadata_variable<'t>(key: &str, value: &'t str) -> Option<&'t str> {
    let mut words = value.split_whitespace();
    match key {
        // `# @ref name`, `# @forceRef name` (httpyac): the request `name`, in this file or
        // one it imports, is sent first and its response is `name`.
        "prompt" | "env-json-key" | "env-header-key" | "env-stdin-cmd" | "file-to-variable"
        | "ref" | "forceRef" => words.next(),
        "loop" => {
            // `for item of items`, `for (const item of items)`, `for 3`, `while …`.
            let rest = value
                .strip_prefix("for")?
                .trim_start()
                .trim_start_matches('(');
            let mut words = rest.split_whitespace();
            let first = words.next()?;
            let var = if matches!(first, "const" | "let" | "var") {
                words.next()?
            } else {
                first
            };
            (matches!(words.next(), Some("of" | "in"))).then_some(var)
        }
        _ => None,
    }
}

/// Names that scripts set: `client.global.set("name", …)` (handlers and pre-request
/// scripts), `request.variables.set("name", …)` (pre-request scripts), httpyac's
/// `exports.name = …` and `$global.name = …`.
fn define_script_names<'a>(script: &'a str, scope: &mut Scope<'a>) {
    for_each_set_call(script, &["client.global", "request.variables"], |name| {
        scope.define(name, None)
    });
    for prefix in ["exports.", "$global."] {
        for (i, _) in script.match_indices(prefix) {
            // Not `module.exports.x` nor `myexports.x`.
            let before = script[..i].chars().next_back();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.') {
                continue;
            }
            let rest = &script[i + prefix.len()..];
            let len = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .unwrap_or(rest.len());
            let after = rest[len..].trim_start();
            if len > 0 && after.starts_with('=') && !after.starts_with("==") {
                scope.define(&rest[..len], None);
            }
        }
    }
}

/// Calls `f` with the literal first argument of every `OBJECT.set(` call, for each OBJECT
/// of `objects` (`pm.environment`, `client.global`, …).
fn for_each_set_call<'s>(script: &'s str, objects: &[&str], mut f: impl FnMut(&'s str)) {
    static SET: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b".set("));
    for i in SET.find_iter(script.as_bytes()) {
        let before = &script[..i];
        if objects.iter().any(|o| before.ends_with(o))
            && let Some(name) = literal_argument(&script[i + 5..])
        {
            f(name);
        }
    }
}

/// The quoted literal that `args` (the text after a call's `(`) starts with.
fn literal_argument(args: &str) -> Option<&str> {
    let rest = args.trim_start();
    let q = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))?;
    rest[1..].find(q).map(|end| &rest[1..1 + end])
}

/// Calls `f` with the names that legacy Postman scripts set:
/// `postman.setEnvironmentVariable("name", …)` and `postman.setGlobalVariable("name", …)`.
fn for_each_legacy_postman_set(script: &str, mut f: impl FnMut(&str)) {
    static CALL: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"postman.set"));
    for i in CALL.find_iter(script.as_bytes()) {
        let rest = &script[i + "postman.set".len()..];
        let args = ["EnvironmentVariable(", "GlobalVariable("]
            .iter()
            .find_map(|call| rest.strip_prefix(call));
        if let Some(name) = args.and_then(literal_argument) {
            f(name);
        }
    }
}

/// Defines the names an item's own `variable[]` gives (not its children's).
fn define_item_variables<'a>(src: &'a str, item: &Item, scope: &mut Scope<'a>) {
    for v in &item.variables {
        if let Some(k) = &v.key {
            scope.define(k.value(src), None);
        }
    }
}

/// Calls `f` with the names one line of a Postman script sets (`pm.environment.set("name",
/// …)` and the rest of [`POSTMAN_SETTERS`], and the legacy calls). Every such call holds
/// `set`, which an escaped line can spell only with a `\u` escape: other lines are not
/// decoded, nor read further.
fn for_each_postman_line_set(src: &str, line: &JsonString, mut f: impl FnMut(&str)) {
    static SET: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"set"));
    let raw = line.content.slice(src).as_bytes();
    if SET.find(raw).is_none() && !(line.has_escapes && memchr::memmem::find(raw, b"\\u").is_some())
    {
        return;
    }
    let line = line.value(src);
    for_each_set_call(&line, &POSTMAN_SETTERS, &mut f);
    for_each_legacy_postman_set(&line, f);
}

const POSTMAN_SETTERS: [&str; 5] = [
    "pm.environment",
    "pm.globals",
    "pm.collectionVariables",
    "pm.variables",
    "pm.iterationData",
];

/// Runs `f` over the text of one JSON string and collects its findings with ranges in the
/// source. `f` gets the text to slice names from, the part to scan and its offset in that
/// text: the source itself when the string has no escapes, else the decoded string, whose
/// ranges are then mapped back through the escapes.
fn in_json_string(
    src: &str,
    s: &JsonString,
    may_match: fn(&str) -> bool,
    out: &mut Vec<Finding>,
    f: impl FnOnce(&str, &str, u32, &mut Vec<Finding>),
) {
    if !s.has_escapes {
        f(src, s.content.slice(src), s.content.start, out);
        return;
    }
    // Decoding costs an allocation: only strings that can hold what `f` looks for.
    if !may_match(s.content.slice(src)) {
        return;
    }
    let decoded = s.value(src);
    let mut found = Vec::new();
    f(&decoded, &decoded, 0, &mut found);
    out.extend(found.into_iter().map(|mut finding| {
        finding.range = s.source_range(src, finding.range);
        finding
    }));
}

/// What of a collection one analysis reads.
#[derive(Clone, Copy)]
pub enum CollectionPart<'c> {
    /// All of it.
    Whole,
    /// These sibling items and what they hold.
    Items(&'c [Item]),
    /// Its own variables, auth and scripts, and its first `n` items.
    Head(usize),
}

/// Findings for a Postman collection that defines `names` ([`FileScope::collection`]).
pub fn analyze_collection(
    src: &str,
    coll: &Collection,
    ctx: &Context<'_>,
    names: &FileScope,
) -> Vec<Finding> {
    if src.len() >= PARALLEL_ANALYSIS_MIN && coll.items.len() >= 2 {
        return analyze_collection_in_halves(src, coll, ctx, names, coll.items.len() / 2);
    }
    analyze_collection_part(src, coll, CollectionPart::Whole, ctx, names)
}

/// [`analyze_collection`] of its first `n` items (with what the collection holds itself) and
/// of the others, side by side.
fn analyze_collection_in_halves(
    src: &str,
    coll: &Collection,
    ctx: &Context<'_>,
    names: &FileScope,
    n: usize,
) -> Vec<Finding> {
    let (mut first, mut second) = side_by_side(
        || analyze_collection_part(src, coll, CollectionPart::Head(n), ctx, names),
        || {
            let rest = CollectionPart::Items(&coll.items[n..]);
            analyze_collection_part(src, coll, rest, ctx, names)
        },
    );
    first.append(&mut second);
    first
}

/// Where the sibling items `items` stand: from the first one's start to the last one's end.
fn span_of(items: &[Item]) -> Option<std::ops::Range<u32>> {
    Some(items.first()?.range.start..items.last()?.range.end)
}

/// The script lines of `item` and the items inside it, in source order.
fn item_script_lines(item: &Item) -> Vec<&JsonString> {
    let mut lines = Vec::new();
    item.for_each_item(&mut |i| lines.extend(i.events.iter().flat_map(|e| &e.lines)));
    lines.sort_by_key(|line: &&JsonString| line.range.start);
    lines
}

/// The names `item` and the items inside it define for the whole collection: their
/// variables and the names their scripts set. Two items that define the same names can stand
/// in each other's place without changing the findings of the rest of the collection.
pub fn collection_item_names(src: &str, item: &Item) -> Vec<String> {
    let mut scope = Scope::default();
    item.for_each_item(&mut |i| define_item_variables(src, i, &mut scope));
    for line in item_script_lines(item) {
        for_each_postman_line_set(src, line, |name| scope.define(name.to_owned(), None));
    }
    let mut names: Vec<String> = scope.defined.into_iter().map(Cow::into_owned).collect();
    names.sort_unstable();
    names
}

/// Findings for `part`, an item of the collection `coll` (the whole collection when `None`),
/// in the scope of the whole collection.
pub fn analyze_collection_part(
    src: &str,
    coll: &Collection,
    part: CollectionPart<'_>,
    ctx: &Context<'_>,
    names: &FileScope,
) -> Vec<Finding> {
    // What of the collection this part holds, by where it starts: inside its items, or
    // outside the items of the other part.
    let holds = |start: u32| match part {
        CollectionPart::Whole => true,
        CollectionPart::Items(items) => span_of(items).is_some_and(|s| s.contains(&start)),
        CollectionPart::Head(n) => !span_of(&coll.items[n..]).is_some_and(|s| s.contains(&start)),
    };
    let mut out: Vec<Finding> =
        syntax_findings(coll.errors.iter().filter(|e| holds(e.range.start))).collect();
    let mut scope = Scope::new(
        match ctx.env_name {
            Some(env) => format!("the collection, its scripts or the environment `{env}`"),
            None => "the collection, its scripts or an environment beside it".to_string(),
        },
        names,
    );
    add_env_scope(&mut scope, ctx);
    let all_lines = || coll.script_lines().into_iter().map(|(_, line)| line);
    let lines: Vec<&JsonString> = match part {
        CollectionPart::Whole => all_lines().collect(),
        CollectionPart::Items(items) => items.iter().flat_map(item_script_lines).collect(),
        CollectionPart::Head(_) => all_lines().filter(|line| holds(line.range.start)).collect(),
    };

    // References, with the host of the request each string belongs to. Strings come item
    // by item, so the host is worked out once per item.
    let mut current: Option<(&Item, Option<String>)> = None;
    let mut found = Vec::new();
    // One lifetime for every string: the closure keeps the item it saw last.
    fn visitor<'a, F: FnMut(postman::Text<'a>)>(f: F) -> F {
        f
    }
    let mut visit = visitor(|t| {
        let host = match (t.item, &current) {
            (None, _) => None,
            (Some(item), Some((last, host))) if std::ptr::eq(item, *last) => host.clone(),
            (Some(item), _) => {
                let url = item.request().and_then(|r| r.url.as_ref());
                let target = url.map(|u| (u, scope.target(&target::collection_url(src, u))));
                let host = match target {
                    Some((u, target)) => {
                        if let Some(why) = target.misread {
                            let at = u.raw.as_ref().map_or(u.range, |r| r.range);
                            out.push(Finding::new(at, Code::SyntaxError, why));
                        }
                        target.host
                    }
                    None => None,
                };
                current = Some((item, host.clone()));
                host
            }
        };
        in_json_string(
            src,
            t.string,
            refs::json_may_have_refs,
            &mut out,
            |text, part, base, out| {
                found.clear();
                refs::scan(part, base, &mut found);
                check_refs(text, &found, host.as_deref(), &scope, ctx, out);
            },
        );
    });
    match part {
        CollectionPart::Whole => coll.for_each_text(&mut visit),
        CollectionPart::Items(items) => items.iter().for_each(|i| i.for_each_text(&mut visit)),
        CollectionPart::Head(n) => {
            coll.for_each_own_text(&mut visit);
            coll.items[..n]
                .iter()
                .for_each(|i| i.for_each_text(&mut visit));
        }
    }

    // Scripts.
    let allow = ctx.links.is_some_and(|l| l.allow_script_access);
    for line in &lines {
        in_json_string(
            src,
            line,
            refs::json_may_have_script_calls,
            &mut out,
            |text, part, base, out| {
                let mut calls = Vec::new();
                refs::scan_script(part, base, &mut calls);
                check_script_calls(text, &calls, allow, ctx, out);
            },
        );
    }
    out
}

fn check_script_calls(
    text: &str,
    calls: &[ScriptCall],
    allow: bool,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    for c in calls {
        let name = c.name.slice(text);
        if let Some(problem) = refs::name_problem(name) {
            out.push(Finding::new(c.name, Code::InvalidReference, problem));
            continue;
        }
        if !allow {
            out.push(Finding::new(
                c.name,
                Code::ScriptAccessDisabled,
                format!(
                    "scripts may not use vault secrets: `pm.vault.{}(\"{name}\")` fails unless vaultlink.json sets `\"scripts\": {{\"allowVaultAccess\": true}}`",
                    c.method.as_str()
                ),
            ));
        }
        let linked = ctx.links.and_then(|l| l.get(name));
        match c.method {
            VaultMethod::Get => {
                check_link(ctx, c.name, name, out);
            }
            VaultMethod::Set | VaultMethod::Unset if linked.is_some() => {
                out.push(Finding::new(
                    c.name,
                    Code::LinkedSecretWrite,
                    format!(
                        "`{name}` is linked to Key Vault, and a linked secret cannot be changed from a script: `pm.vault.{}` on it fails",
                        c.method.as_str()
                    ),
                ));
            }
            _ => {}
        }
    }
}

/// Findings for an environment file: vault references in values, and Visual Studio's Key
/// Vault entries.
pub fn analyze_env(src: &str, file: &EnvFile, ctx: &Context<'_>) -> Vec<Finding> {
    let mut out: Vec<Finding> = syntax_findings(&file.errors).collect();
    let scope = Scope::default();
    for env in &file.environments {
        for var in &env.variables {
            match &var.value {
                EnvValue::Text(s) => {
                    in_json_string(
                        src,
                        s,
                        refs::json_may_have_refs,
                        &mut out,
                        |text, part, base, out| {
                            let mut found = Vec::new();
                            refs::scan(part, base, &mut found);
                            // Values may use names defined elsewhere: only vault references
                            // are checked here.
                            found.retain(|r| {
                                matches!(
                                    r.kind,
                                    RefKind::Vault { .. } | RefKind::InvalidVault { .. }
                                )
                            });
                            check_refs(text, &found, None, &scope, ctx, out);
                        },
                    );
                }
                EnvValue::KeyVault {
                    secret_name,
                    resource_id,
                    vault,
                } => {
                    match secret_name {
                        Some(s) if is_valid_secret_name(&s.value(src)) => {}
                        Some(s) => out.push(Finding::new(
                            s.range,
                            Code::InvalidLink,
                            "a Key Vault secret name takes 1–127 letters, digits and `-`",
                        )),
                        None => out.push(Finding::new(
                            var.range,
                            Code::InvalidLink,
                            "this Key Vault entry has no `secretName`",
                        )),
                    }
                    match (resource_id, vault) {
                        (Some(_), Some(v)) if is_valid_vault_name(v) => {}
                        (Some(r), _) => out.push(Finding::new(
                            r.range,
                            Code::InvalidLink,
                            "`resourceId` must end in `/providers/Microsoft.KeyVault/vaults/<vault>` with a valid vault name (3–24 letters, digits and `-`)",
                        )),
                        (None, _) => out.push(Finding::new(var.range, Code::InvalidLink, "this Key Vault entry has no `resourceId`")),
                    }
                }
                EnvValue::Provider {
                    provider,
                    secret_name,
                    range,
                } if provider.eq_ignore_ascii_case(USER_SECRETS) => {
                    if secret_name.is_none() {
                        out.push(Finding::new(
                            *range,
                            Code::InvalidLink,
                            "this user secrets entry has no `secretName`",
                        ));
                    }
                }
                EnvValue::Provider { .. } | EnvValue::Other(_) => {}
            }
        }
    }
    out
}

/// Findings for `vaultlink.json` itself.
pub fn analyze_links(links: &LinksFile) -> Vec<Finding> {
    links
        .problems
        .iter()
        .map(|p| {
            // `syntax` (JSON errors, wrong shapes) and anything else unknown is a syntax error.
            let code = Code::from_name(p.code).unwrap_or(Code::SyntaxError);
            Finding {
                range: p.range,
                severity: p.severity,
                code,
                message: p.message.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
