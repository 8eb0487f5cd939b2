//! `vaultlink link`, `unlink` and `links`: edit and list the nearest `vaultlink.json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, broken_links, display_path, fail};
use crate::fs;
use crate::syntax::refs;
use crate::vault::arn::{ArnId, Pin};
use crate::vault::identifier::{IdError, LinkId};
use crate::vault::links::{self, EditError, TextEdit};

/// Why an edit was refused, for people.
fn edit_refused(path: &Path, text: &str, e: &EditError, err: &mut dyn Write) -> i32 {
    match e {
        EditError::NotFound(name) => fail(
            err,
            EXIT_FAILED,
            format!("`{name}` is not linked in {}", display_path(path)),
        ),
        EditError::Malformed(why) => broken_links(path, text, "nothing was written", err)
            .unwrap_or_else(|| {
                fail(
                    err,
                    EXIT_USAGE,
                    format!("{}: {why}; nothing was written", display_path(path)),
                )
            }),
    }
}

/// The text of `vaultlink.json`, or the exit code after saying why it cannot be read.
fn read(path: &Path, err: &mut dyn Write) -> Result<String, i32> {
    fs::read_text(path).map_err(|e| {
        fail(
            err,
            EXIT_USAGE,
            format!("cannot read {}: {e}", display_path(path)),
        )
    })
}

fn write(path: &Path, text: &str, err: &mut dyn Write) -> Result<(), i32> {
    fs::write_atomic(path, text).map_err(|e| {
        fail(
            err,
            EXIT_FAILED,
            format!("cannot write {}: {e}", display_path(path)),
        )
    })
}

/// `vaultlink link NAME IDENTIFIER [--allow-domain D]...`, relative to `cwd`.
pub fn link(
    cwd: &Path,
    name: &str,
    identifier: &str,
    domains: &[String],
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    if let Some(problem) = refs::name_problem(name) {
        return fail(
            err,
            EXIT_USAGE,
            format!("`{name}` cannot be a reference name: {problem}"),
        );
    }
    let id = match LinkId::parse(identifier) {
        Ok(id) => id,
        Err(IdError::Invalid(why)) if ArnId::claims(identifier) => {
            return fail(
                err,
                EXIT_USAGE,
                format!(
                    "`{identifier}` is not a Secrets Manager secret: {why}; nothing was written"
                ),
            );
        }
        Err(IdError::Untrusted { host }) => {
            return fail(
                err,
                EXIT_USAGE,
                format!(
                    "refusing to link `{name}` to `{identifier}`: `{host}` is not a Key Vault host (expected https://<vault>.vault.azure.net/secrets/<name>); nothing was written"
                ),
            );
        }
        Err(IdError::Invalid(why)) => {
            return fail(
                err,
                EXIT_USAGE,
                format!(
                    "`{identifier}` is not a Key Vault secret identifier: {why}; nothing was written"
                ),
            );
        }
    };
    let domains: Vec<String> = domains
        .iter()
        .map(|d| d.trim().to_ascii_lowercase())
        .collect();
    if let Some(bad) = domains.iter().find(|d| links::domain_problem(d).is_some()) {
        let why = links::domain_problem(bad).unwrap_or_default();
        return fail(
            err,
            EXIT_USAGE,
            format!("`{bad}` is not a domain pattern: {why}; nothing was written"),
        );
    }
    let (path, text) = match fs::find_up(cwd, links::FILE_NAME) {
        Some(path) => {
            let old = match read(&path, err) {
                Ok(t) => t,
                Err(code) => return code,
            };
            match links::set_link_edits(&old, name, identifier, &domains) {
                Ok(edits) => {
                    let new = links::apply_edits(&old, &edits);
                    (path, new)
                }
                Err(e) => return edit_refused(&path, &old, &e, err),
            }
        }
        None => (
            cwd.join(links::FILE_NAME),
            links::new_file(name, identifier, &domains),
        ),
    };
    if let Err(code) = write(&path, &text, err) {
        return code;
    }
    let _ = writeln!(out, "linked `{name}` to {} in {}", id, display_path(&path));
    EXIT_OK
}

/// `vaultlink unlink NAME`, relative to `cwd`.
pub fn unlink(cwd: &Path, name: &str, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(path) = fs::find_up(cwd, links::FILE_NAME) else {
        return fail(
            err,
            EXIT_FAILED,
            "no vaultlink.json in this folder or above: nothing to unlink",
        );
    };
    let old = match read(&path, err) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let edits: Vec<TextEdit> = match links::remove_link_edits(&old, name) {
        Ok(e) => e,
        Err(e) => return edit_refused(&path, &old, &e, err),
    };
    if let Err(code) = write(&path, &links::apply_edits(&old, &edits), err) {
        return code;
    }
    let _ = writeln!(out, "unlinked `{name}` in {}", display_path(&path));
    EXIT_OK
}

/// One row of `links --json`: the fields every link has, then the store's own, present only
/// for links to that store (`vault` for Key Vault; `partition`, `region`, `account`, `stage`
/// and `key` for Secrets Manager).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LinkRow {
    name: String,
    link: Option<String>,
    /// `azureKeyVault` or `awsSecretsManager`; `null` for a link that is not valid.
    provider: Option<&'static str>,
    secret: Option<String>,
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    vault: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partition: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<Option<String>>,
    allowed_domains: Vec<String>,
    problem: Option<String>,
}

impl LinkRow {
    fn new(name: &str, link: Option<String>, id: Option<&LinkId>) -> LinkRow {
        let mut row = LinkRow {
            name: name.to_owned(),
            link,
            provider: None,
            secret: id.map(|i| i.name().to_owned()),
            version: id.and_then(|i| i.version().map(str::to_owned)),
            vault: None,
            partition: None,
            region: None,
            account: None,
            stage: None,
            key: None,
            allowed_domains: Vec::new(),
            problem: None,
        };
        match id {
            Some(LinkId::KeyVault(k)) => {
                row.provider = Some("azureKeyVault");
                row.vault = Some(k.vault.clone());
            }
            Some(LinkId::SecretsManager(a)) => {
                row.provider = Some("awsSecretsManager");
                row.partition = Some(a.partition.as_str());
                row.region = Some(a.region.clone());
                row.account = Some(a.account.clone());
                row.stage = Some(match &a.pin {
                    Some(Pin::Stage(s)) => Some(s.clone()),
                    _ => None,
                });
                row.key = Some(a.key.clone());
            }
            None => {}
        }
        row
    }
}

/// `vaultlink links [--json]`, relative to `cwd`.
pub fn links(cwd: &Path, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let Some(path): Option<PathBuf> = fs::find_up(cwd, links::FILE_NAME) else {
        if json {
            let _ = writeln!(out, "[]");
        }
        let _ = writeln!(
            err,
            "vaultlink: no vaultlink.json in this folder or above; add a link with `vaultlink link NAME IDENTIFIER`"
        );
        return EXIT_OK;
    };
    let text = match read(&path, err) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let parsed = links::parse(&text);
    if let Some(code) = broken_links(&path, &text, "no link was listed", err) {
        return code;
    }
    let rows: Vec<LinkRow> = parsed
        .secrets
        .iter()
        .map(|s| {
            let (id, problem) = match &s.link {
                Some(Ok(id)) => (Some(id), None),
                Some(Err(IdError::Untrusted { host })) => {
                    (None, Some(format!("`{host}` is not a Key Vault host")))
                }
                Some(Err(IdError::Invalid(why))) => (None, Some(why.clone())),
                None => (None, Some("no `link`".to_string())),
            };
            LinkRow {
                allowed_domains: s
                    .allowed_domains
                    .iter()
                    .map(|d| d.pattern.clone())
                    .collect(),
                problem,
                ..LinkRow::new(&s.name, s.link.is_some().then(|| s.link_text.clone()), id)
            }
        })
        .collect();
    let written = if json {
        serde_json::to_writer_pretty(&mut *out, &rows)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        let width = rows
            .iter()
            .map(|r| r.name.chars().count())
            .max()
            .unwrap_or(0);
        rows.iter().try_for_each(|r| {
            let target = match (&r.link, &r.problem) {
                (Some(l), None) => l.clone(),
                (l, Some(p)) => format!("{} (invalid: {p})", l.as_deref().unwrap_or("")),
                (None, None) => String::new(),
            };
            let domains = if r.allowed_domains.is_empty() {
                String::new()
            } else {
                format!("  [allowed: {}]", r.allowed_domains.join(", "))
            };
            writeln!(out, "{:width$}  {target}{domains}", r.name)
        })
    };
    let _ = writeln!(
        err,
        "{} link{} in {}",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        display_path(&path)
    );
    if written.is_err() {
        EXIT_USAGE
    } else {
        EXIT_OK
    }
}
