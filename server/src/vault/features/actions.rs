//! Code actions: link an unlinked secret, unlink, move a literal credential to the vault.
//!
//! Every edit to `vaultlink.json` goes through [`links::set_link_edits`] and
//! [`links::remove_link_edits`] (or [`links::new_file`] when there is no file yet), so the
//! rest of the file keeps its bytes. Where an action leaves something for the user to fill
//! in, `show` points at it in the file as it will be after the edits.

use std::path::Path;

use crate::syntax::env::EnvValue;
use crate::syntax::http::{self, HttpFile};
use crate::syntax::json::JsonString;
use crate::syntax::postman::{Collection, KeyValue};
use crate::syntax::refs;
use crate::text::TextRange;
use crate::vault::analysis::host_of;
use crate::vault::diagnostic::Code;
use crate::vault::document::Parsed;
use crate::vault::features::scan::{self, Found, FoundKind};
use crate::vault::features::vars;
use crate::vault::features::{Doc, FileEdit, FileRange, World};
use crate::vault::identifier::{
    Cloud, IdError, SecretId, is_valid_secret_name, is_valid_vault_name,
};
use crate::vault::links::{self, LinksFile, TextEdit};
use crate::vault::plaintext;
use crate::vault::secrets::{self, Hit};

/// What kind of code action, as editors group them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    /// `quickfix`: fixes a diagnostic (link a secret).
    QuickFix,
    /// `refactor.rewrite`: changes working code (unlink, move a literal to the vault).
    RefactorRewrite,
}

/// One code action: edits to apply, and where to put the cursor afterwards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    /// What the editor shows.
    pub title: String,
    /// How editors file it.
    pub kind: ActionKind,
    /// The diagnostic code it fixes, when it is a quick fix for one.
    pub fixes: Option<&'static str>,
    /// The one action to apply when the user asks for "the" fix.
    pub preferred: bool,
    /// The edits, one entry per file; applied together, so one undo takes them back.
    pub edits: Vec<FileEdit>,
    /// Where to show the user afterwards (e.g. the new `link` in `vaultlink.json`).
    pub show: Option<FileRange>,
    /// Work that needs Key Vault, done by the server when the action is chosen.
    pub create_secret: Option<CreateSecret>,
}

/// "Create secret in Key Vault and link it": store the literal at `ranges[0]` as a new
/// secret `name` in one of `vaults`, replace the literal with `{{vault:name}}` at every range,
/// and link `name` to the new secret with `domains` allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreateSecret {
    pub name: String,
    pub ranges: Vec<TextRange>,
    pub domains: Vec<String>,
    /// Vault base URLs in use (`https://corp-kv.vault.azure.net`); the user picks one when
    /// there are several.
    pub vaults: Vec<String>,
}

/// The vault used in skeleton identifiers when no vault is linked yet.
pub const PLACEHOLDER_VAULT: &str = "my-vault";

/// The actions for the selection `range`:
/// - on an unlinked reference `{{vault:x}}` (or script name): one quick fix per plausible
///   identifier — the same or a similar secret name (`x`, with `_`/`.` turned into `-`) in each
///   vault already linked in `vaultlink.json` — titled "Link `x` to <identifier>", and
///   "Add a link for `x` to vaultlink.json" that adds a skeleton entry (creating the file at
///   `world.new_links_path` when there is none) and shows its `link` value;
/// - on a linked reference: "Unlink `x`" (removes the entry from vaultlink.json);
/// - on a literal credential (`Authorization: Bearer eyJ…`/`Basic …`/`token …`, headers such
///   as `X-Api-Key`, `Api-Key`, `X-Auth-Token`, or a query parameter `api_key`, `apikey`,
///   `access_token`, `token`, `key` with a literal value — not a `{{…}}`): a
///   `refactor.rewrite` "Move to vault as `{{vault:name}}`" that replaces the literal with the
///   reference (name derived from the host and header, e.g. `stripe-api-key`) and adds a link
///   skeleton for it to vaultlink.json.
///
/// Edits to vaultlink.json keep its formatting (use `links::set_link_edits`/`new_file`).
/// A link whose entry exists but is broken gets the same identifier quick fixes (fixing
/// `invalid-link` or `untrusted-host`) and "Unlink".
pub fn code_actions(doc: &Doc<'_>, range: TextRange, world: &World<'_>) -> Vec<Action> {
    let mut out = Vec::new();
    separator_actions(doc, range, &mut out);
    let Some(target) = LinksTarget::of(doc, world) else {
        return out;
    };
    let mut names: Vec<String> = Vec::new();
    for name in names_in(doc, range) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    for name in &names {
        name_actions(&target, name, &mut out);
        version_actions(&target, name, world, &mut out);
    }
    env_entry_actions(doc, range, &target, &mut out);
    if let Some(path) = doc.path {
        let hits = plaintext_hits(doc, range);
        let mut literals = credentials(doc, range, world);
        for literal in &mut literals {
            literal.fixes = hits
                .iter()
                .any(|h| literal.ranges.iter().any(|r| overlaps(*r, h.range)));
        }
        for hit in &hits {
            if !literals
                .iter()
                .any(|l| l.ranges.iter().any(|r| overlaps(*r, hit.range)))
            {
                literals.push(Literal {
                    ranges: vec![hit.range],
                    what: hit.shape.slug().to_owned(),
                    host: host_at(doc, world, hit.range.start),
                    fixes: true,
                });
            }
        }
        for literal in literals {
            move_to_vault(path, &target, world, literal, &mut out);
        }
        ignore_actions(doc, path, &hits, &mut out);
    }
    out
}

fn overlaps(a: TextRange, b: TextRange) -> bool {
    a.start < b.end && b.start < a.end
}

/// The `plaintext-secret` findings the selection touches.
fn plaintext_hits(doc: &Doc<'_>, range: TextRange) -> Vec<Hit> {
    let touches = |r: TextRange| r.start <= range.end && range.start <= r.end;
    plaintext::hits(doc.text, doc.parsed.scanned())
        .into_iter()
        .filter(|h| touches(h.range))
        .collect()
}

/// The host of the request that the text at `offset` belongs to, when it is known.
fn host_at(doc: &Doc<'_>, world: &World<'_>, offset: u32) -> Option<String> {
    match doc.parsed {
        Parsed::Http(file) => {
            let req = file
                .requests
                .iter()
                .find(|r| r.range.contains_inclusive(offset))?;
            let url = req.url(doc.text);
            host_of(&vars::resolve(doc, world, &url, req.range.start))
        }
        Parsed::Collection(coll) => {
            let item = vars::enclosing_items(coll, offset).pop()?;
            let raw = item.request()?.url.as_ref()?.raw.as_ref()?;
            host_of(&vars::resolve(doc, world, &raw.value(doc.text), offset))
        }
        _ => None,
    }
}

/// "Ignore this line": the marker comment that keeps a `plaintext-secret` finding quiet,
/// for values that only look like credentials.
fn ignore_actions(doc: &Doc<'_>, path: &Path, hits: &[Hit], out: &mut Vec<Action>) {
    let mut lines_done: Vec<TextRange> = Vec::new();
    for hit in hits {
        let Some((range, new_text)) =
            plaintext::ignore_edit(doc.parsed.scanned(), doc.text, hit.range)
        else {
            continue;
        };
        if lines_done.contains(&range) {
            continue;
        }
        lines_done.push(range);
        out.push(Action {
            title: format!(
                "Not a credential: ignore this line (`{}`)",
                secrets::IGNORE_MARKER
            ),
            kind: ActionKind::QuickFix,
            fixes: Some(Code::PlaintextSecret.as_str()),
            preferred: false,
            edits: vec![FileEdit {
                path: path.to_path_buf(),
                create: false,
                edits: vec![TextEdit { range, new_text }],
            }],
            show: None,
            create_secret: None,
        });
    }
}

/// On a construct only some dialects read (`missing-separator`): insert the `###` line or
/// the blank line that makes it read alike everywhere.
fn separator_actions(doc: &Doc<'_>, range: TextRange, out: &mut Vec<Action>) {
    let (Parsed::Http(file), Some(path)) = (doc.parsed, doc.path) else {
        return;
    };
    // The file's own line break, so that the inserted line matches its neighbours.
    let newline = match doc.text.find(['\n', '\r']).map(|i| &doc.text[i..]) {
        Some(rest) if rest.starts_with("\r\n") => "\r\n",
        Some(rest) if rest.starts_with('\r') => "\r",
        _ => "\n",
    };
    let touches = |r: TextRange| r.start <= range.end && range.start <= r.end;
    for note in file.notes.iter().filter(|n| touches(n.range)) {
        let (title, edit_range, new_text) = match note.kind {
            http::NoteKind::MissingSeparator { at } => (
                "Insert `###` before this request",
                TextRange::empty(at),
                format!("###{newline}"),
            ),
            http::NoteKind::MissingBlankLine { at } => (
                "Insert a blank line before the body",
                TextRange::empty(at),
                newline.to_string(),
            ),
            http::NoteKind::BlankInTarget => (
                "Write the URL's blanks as `%20`",
                note.range,
                encode_blanks(note.range.slice(doc.text)),
            ),
            http::NoteKind::LowerCaseMethod => (
                "Write the method in capitals",
                note.range,
                note.range.slice(doc.text).to_ascii_uppercase(),
            ),
        };
        out.push(Action {
            title: title.to_string(),
            kind: ActionKind::QuickFix,
            fixes: Some(Code::MissingSeparator.as_str()),
            preferred: true,
            edits: vec![FileEdit {
                path: path.to_path_buf(),
                create: false,
                edits: vec![TextEdit {
                    range: edit_range,
                    new_text,
                }],
            }],
            show: None,
            create_secret: None,
        });
    }
}

/// A URL with each blank outside `{{…}}` percent-encoded (a space as `%20`).
fn encode_blanks(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 8);
    let mut rest = url;
    while !rest.is_empty() {
        if rest.starts_with("{{")
            && let Some(close) = rest[2..].find("}}")
        {
            out.push_str(&rest[..close + 4]);
            rest = &rest[close + 4..];
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        match c {
            ' ' => out.push_str("%20"),
            '\t' => out.push_str("%09"),
            '\x0c' => out.push_str("%0C"),
            _ => out.push(c),
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// On a Visual Studio Key Vault entry of an environment file: "Move `x` to vaultlink.json",
/// which links the secret it names in vaultlink.json (where allowedDomains can limit where
/// it goes) and makes the entry's value `{{vault:x}}`.
fn env_entry_actions(
    doc: &Doc<'_>,
    range: TextRange,
    target: &LinksTarget<'_>,
    out: &mut Vec<Action>,
) {
    let (Parsed::Env(file), Some(path)) = (doc.parsed, doc.path) else {
        return;
    };
    let touches = |r: TextRange| r.start <= range.end && range.start <= r.end;
    for var in file
        .environments
        .iter()
        .flat_map(|e| &e.variables)
        .filter(|v| touches(v.range))
    {
        let EnvValue::KeyVault {
            secret_name: Some(secret),
            vault: Some(vault),
            ..
        } = &var.value
        else {
            continue;
        };
        let secret = secret.value(doc.text);
        if !is_valid_secret_name(&secret) || !is_valid_vault_name(vault) {
            continue;
        }
        let id = identifier(vault, Cloud::Public, &secret);
        let Ok(secret_id) = SecretId::parse(&id) else {
            continue;
        };
        // The link's name: the secret's, unless vaultlink.json gives it to another secret.
        let linked = |name: &str| target.file.and_then(|f| f.get(name));
        let mut name = secret.to_string();
        let mut n = 1;
        while let Some(other) = linked(&name)
            && !other.secret_id().is_some_and(|i| i.same_secret(&secret_id))
        {
            n += 1;
            name = format!("{secret}-{n}");
        }
        // The value: from the `{` after the name to the end of the entry.
        let after_name = var.name_range.end as usize;
        let Some(open) = doc.text[after_name..var.range.end as usize].find('{') else {
            continue;
        };
        let value = TextRange::new((after_name + open) as u32, var.range.end);
        let mut edits = vec![FileEdit {
            path: path.to_path_buf(),
            create: false,
            edits: vec![TextEdit {
                range: value,
                new_text: format!("\"{{{{vault:{name}}}}}\""),
            }],
        }];
        let mut show = None;
        if linked(&name).is_none() {
            let Some((links_edit, at)) = target.set_link(&name, &id, &[]) else {
                continue;
            };
            edits.push(links_edit);
            show = Some(at);
        }
        out.push(Action {
            title: format!(
                "Move `{}` to vaultlink.json as `{{{{vault:{name}}}}}`",
                var.name
            ),
            kind: ActionKind::RefactorRewrite,
            fixes: None,
            preferred: false,
            edits,
            show,
            create_secret: None,
        });
    }
}

/// The vault names the selection touches: references and script names in documents, keys
/// in `vaultlink.json`.
fn names_in(doc: &Doc<'_>, range: TextRange) -> Vec<String> {
    let touches = |r: TextRange| r.start <= range.end && range.start <= r.end;
    if let Parsed::Links(links) = doc.parsed {
        return links
            .secrets
            .iter()
            .filter(|s| touches(s.name_range))
            .map(|s| s.name.clone())
            .collect();
    }
    let mut found: Vec<Found> = scan::refs_near(doc, range.start);
    if range.end != range.start {
        found.extend(scan::refs_near(doc, range.end));
    }
    found
        .into_iter()
        .filter(|f| touches(f.range))
        .filter(|f| matches!(f.kind, FoundKind::Vault | FoundKind::Script(_)))
        .filter(|f| refs::is_valid_name(&f.name))
        .map(|f| f.name)
        .collect()
}

/// The links file that actions edit: the nearest one, or the one to create.
struct LinksTarget<'a> {
    path: &'a Path,
    /// Its text; empty when it does not exist yet.
    text: &'a str,
    /// Its model; `None` when it does not exist yet.
    file: Option<&'a LinksFile>,
}

impl<'a> LinksTarget<'a> {
    fn of(doc: &Doc<'a>, world: &World<'a>) -> Option<LinksTarget<'a>> {
        if let (Parsed::Links(file), Some(path)) = (doc.parsed, doc.path) {
            return Some(LinksTarget {
                path,
                text: doc.text,
                file: Some(file),
            });
        }
        match (world.links, world.new_links_path) {
            (Some(l), _) => Some(LinksTarget {
                path: l.path,
                text: l.text,
                file: Some(l.file),
            }),
            (None, Some(path)) => Some(LinksTarget {
                path,
                text: "",
                file: None,
            }),
            (None, None) => None,
        }
    }

    /// The distinct vaults of the valid links, in file order.
    fn vaults(&self) -> Vec<(String, Cloud)> {
        let mut out: Vec<(String, Cloud)> = Vec::new();
        for id in self
            .file
            .iter()
            .flat_map(|f| &f.secrets)
            .filter_map(|s| s.secret_id())
        {
            if !out.iter().any(|(v, c)| *v == id.vault && *c == id.cloud) {
                out.push((id.vault.clone(), id.cloud));
            }
        }
        out
    }

    /// A skeleton identifier for Key Vault secret `secret`: in the first vault in use, else
    /// in [`PLACEHOLDER_VAULT`].
    fn skeleton(&self, secret: &str) -> String {
        let (vault, cloud) = self
            .vaults()
            .into_iter()
            .next()
            .unwrap_or_else(|| (PLACEHOLDER_VAULT.to_owned(), Cloud::Public));
        identifier(&vault, cloud, secret)
    }

    /// The edit that links `name` to `identifier`, and where its `link` value will be.
    /// `None` when the file cannot be edited or already says exactly this.
    fn set_link(
        &self,
        name: &str,
        identifier: &str,
        domains: &[String],
    ) -> Option<(FileEdit, FileRange)> {
        let (edits, create) = match self.file {
            Some(_) => (
                links::set_link_edits(self.text, name, identifier, domains).ok()?,
                false,
            ),
            None => {
                let text = links::new_file(name, identifier, domains);
                let insert = TextEdit {
                    range: TextRange::empty(0),
                    new_text: text,
                };
                (vec![insert], true)
            }
        };
        if edits.is_empty() {
            return None;
        }
        let after = links::apply_edits(self.text, &edits);
        let link = links::parse(&after).get(name)?.link_range?;
        // The identifier inside the quotes, ready to be typed over.
        let show = TextRange::new(
            link.start + 1,
            link.end.saturating_sub(1).max(link.start + 1),
        );
        Some((
            FileEdit {
                path: self.path.to_path_buf(),
                create,
                edits,
            },
            FileRange {
                path: self.path.to_path_buf(),
                range: show,
            },
        ))
    }
}

fn identifier(vault: &str, cloud: Cloud, secret: &str) -> String {
    format!("https://{vault}.{}/secrets/{secret}", cloud.suffix())
}

/// A Key Vault secret name for reference name `name`: `_`, `.` and spaces become `-`, other
/// characters that Key Vault does not take are left out, at most 127 characters.
pub(crate) fn key_vault_name(name: &str) -> String {
    let out: String = name
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' => Some(c),
            '_' | '.' | ' ' => Some('-'),
            _ => None,
        })
        .take(127)
        .collect();
    if out.is_empty() {
        "secret".to_owned()
    } else {
        out
    }
}

/// Link, add-a-link and unlink actions for vault name `name`.
/// On a linked secret, when its store's answer is at hand: "Pin to the current version" for
/// a link that reads the current version, "Use the latest version" for a link pinned to a
/// version known not to be current (Key Vault: not the newest; Secrets Manager: no longer
/// `AWSCURRENT`). A link to a Secrets Manager stage is left as it is. When several Key Vault
/// versions share the newest creation time, the current one is unknown and nothing is
/// pinned: only `GET /secrets/{name}` names it, and that answer carries the secret's value,
/// which metadata never asks for.
fn version_actions(target: &LinksTarget<'_>, name: &str, world: &World<'_>, out: &mut Vec<Action>) {
    let (Some(view), Some(link)) = (world.keyvault, target.file.and_then(|f| f.get(name))) else {
        return;
    };
    let Some(link_id) = link.link_id() else {
        return;
    };
    let Some(Ok(versions)) = view.versions(link_id) else {
        return;
    };
    let pinned = link_id.version();
    let (title, new_id) = match pinned {
        None if link_id.reads_current() => {
            let Some(current) = versions.latest().and_then(|l| l.version.clone()) else {
                return;
            };
            (
                format!(
                    "Pin `{name}` to the current version ({})",
                    current.get(..8).unwrap_or(&current)
                ),
                link_id.with_version(Some(&current)),
            )
        }
        Some(pinned)
            if versions.version(pinned).is_none() || versions.is_current(pinned) == Some(false) =>
        {
            (
                format!("Use the latest version of `{name}`"),
                link_id.with_version(None),
            )
        }
        _ => return,
    };
    if let Some((edit, _)) = target.set_link(name, &new_id.to_string(), &[]) {
        out.push(Action {
            title,
            kind: if pinned.is_some() {
                ActionKind::QuickFix
            } else {
                ActionKind::RefactorRewrite
            },
            fixes: pinned.is_some().then_some(Code::NewerVersion.as_str()),
            preferred: false,
            edits: vec![edit],
            show: None,
            create_secret: None,
        });
    }
}

fn name_actions(target: &LinksTarget<'_>, name: &str, out: &mut Vec<Action>) {
    let link = target.file.and_then(|f| f.get(name));
    let fixes = match link {
        None => Some(Code::UnlinkedSecret.as_str()),
        Some(l) => match &l.link {
            Some(Ok(_)) => None,
            Some(Err(IdError::Untrusted { .. })) => Some(Code::UntrustedHost.as_str()),
            Some(Err(IdError::Invalid(_))) | None => Some(Code::InvalidLink.as_str()),
        },
    };
    if let Some(code) = fixes {
        let secret = key_vault_name(name);
        let mut first = true;
        for (vault, cloud) in target.vaults() {
            let id = identifier(&vault, cloud, &secret);
            if let Some((edit, _)) = target.set_link(name, &id, &[]) {
                out.push(Action {
                    title: format!("Link `{name}` to {id}"),
                    kind: ActionKind::QuickFix,
                    fixes: Some(code),
                    preferred: first,
                    edits: vec![edit],
                    show: None,
                    create_secret: None,
                });
                first = false;
            }
        }
    }
    if link.is_none() {
        if let Some((edit, show)) =
            target.set_link(name, &target.skeleton(&key_vault_name(name)), &[])
        {
            out.push(Action {
                title: format!("Add a link for `{name}` to vaultlink.json"),
                kind: ActionKind::QuickFix,
                fixes,
                preferred: false,
                edits: vec![edit],
                show: Some(show),
                create_secret: None,
            });
        }
    } else if let Ok(edits) = links::remove_link_edits(target.text, name) {
        out.push(Action {
            title: format!("Unlink `{name}`"),
            // Listed with the quick fixes, where editors show the actions on a reference.
            kind: ActionKind::QuickFix,
            fixes: None,
            preferred: false,
            edits: vec![FileEdit {
                path: target.path.to_path_buf(),
                create: false,
                edits,
            }],
            show: None,
            create_secret: None,
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Literal credentials

/// A literal credential in a document: where it is written (more than one place for a
/// collection query parameter, which is also in `url.raw`), what it is, and the host it goes
/// to.
struct Literal {
    ranges: Vec<TextRange>,
    /// What the credential is, for the name: `token`, `api-key`, …
    what: String,
    host: Option<String>,
    /// Whether it is reported as `plaintext-secret`, which moving it fixes.
    fixes: bool,
}

fn move_to_vault(
    path: &Path,
    target: &LinksTarget<'_>,
    world: &World<'_>,
    literal: Literal,
    out: &mut Vec<Action>,
) {
    let base = match literal.host.as_deref().and_then(host_label) {
        Some(host) => format!("{host}-{}", literal.what),
        None => literal.what.clone(),
    };
    let taken = |n: &str| {
        target.file.is_some_and(|f| f.get(n).is_some())
            || world.workspace_names.iter().any(|w| w == n)
    };
    let name = (1..)
        .map(|i| {
            if i == 1 {
                base.clone()
            } else {
                format!("{base}-{i}")
            }
        })
        .find(|n| !taken(n))
        .unwrap_or(base);
    // The secret may go where the literal went, and nowhere else.
    let domains: Vec<String> = literal
        .host
        .into_iter()
        .filter(|h| links::domain_problem(h).is_none())
        .collect();
    let Some((links_edit, show)) = target.set_link(&name, &target.skeleton(&name), &domains) else {
        return;
    };
    let reference = format!("{{{{vault:{name}}}}}");
    let doc_edit = reference_edit(path, &literal.ranges, &name);
    let vaults: Vec<String> = target
        .vaults()
        .iter()
        .map(|(v, c)| format!("https://{v}.{}", c.suffix()))
        .collect();
    let (kind, fixes) = if literal.fixes {
        (ActionKind::QuickFix, Some(Code::PlaintextSecret.as_str()))
    } else {
        (ActionKind::RefactorRewrite, None)
    };
    if !vaults.is_empty() && world.keyvault.is_some() {
        out.push(Action {
            title: format!("Create secret in Key Vault and link it as `{reference}`"),
            kind,
            fixes,
            preferred: false,
            edits: Vec::new(),
            show: None,
            create_secret: Some(CreateSecret {
                name: name.clone(),
                ranges: literal.ranges.clone(),
                domains: domains.clone(),
                vaults,
            }),
        });
    }
    out.push(Action {
        title: format!("Move to vault as `{reference}`"),
        kind,
        fixes,
        preferred: literal.fixes,
        edits: vec![doc_edit, links_edit],
        show: Some(show),
        create_secret: None,
    });
}

/// The edit that writes `{{vault:name}}` over each of `ranges` in the file at `path`.
pub(crate) fn reference_edit(path: &Path, ranges: &[TextRange], name: &str) -> FileEdit {
    let reference = format!("{{{{vault:{name}}}}}");
    FileEdit {
        path: path.to_path_buf(),
        create: false,
        edits: ranges
            .iter()
            .map(|&range| TextEdit {
                range,
                new_text: reference.clone(),
            })
            .collect(),
    }
}

/// The registrable label of a host, for names: `stripe` for `api.stripe.com`; `None` for
/// an IP address.
fn host_label(host: &str) -> Option<String> {
    if host.parse::<std::net::IpAddr>().is_ok() || host.contains(':') {
        return None;
    }
    let labels: Vec<&str> = host.split('.').filter(|l| !l.is_empty()).collect();
    let mut end = labels.len();
    if end >= 2 {
        end -= 1;
        if end >= 2
            && matches!(
                labels[end - 1],
                "co" | "com" | "org" | "net" | "gov" | "ac" | "edu"
            )
        {
            end -= 1;
        }
    }
    let label = slug(labels.get(end.checked_sub(1)?)?);
    (!label.is_empty()).then_some(label)
}

/// Lowercase letters, digits and single dashes.
fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// What a header carries, when it is a credential header with a literal value: the range
/// of the credential in `value` and what it is.
fn header_credential(name: &str, value: &str) -> Option<(usize, usize, String)> {
    let lower = name.trim().to_ascii_lowercase();
    let value_start = value.len() - value.trim_start().len();
    let value = value.trim();
    let (start, len, what) = if lower == "authorization" || lower == "proxy-authorization" {
        match value.split_once([' ', '\t']) {
            None => (value_start, value.len(), "token".to_owned()),
            Some((scheme, rest)) => {
                let cred = rest.trim_start();
                if cred.contains([' ', '\t']) {
                    return None;
                }
                let what = match scheme.to_ascii_lowercase().as_str() {
                    "basic" => "basic-auth".to_owned(),
                    _ => "token".to_owned(),
                };
                (value_start + value.len() - cred.len(), cred.len(), what)
            }
        }
    } else if is_key_header(&lower) {
        let what = slug(lower.strip_prefix("x-").unwrap_or(&lower));
        let what = if what == "apikey" {
            "api-key".to_owned()
        } else {
            what
        };
        (value_start, value.len(), what)
    } else {
        return None;
    };
    let cred = &value[start - value_start..start - value_start + len];
    is_literal(cred).then_some((start, start + len, what))
}

/// Header names that carry a credential as their whole value.
fn is_key_header(lower: &str) -> bool {
    let squashed: String = lower
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    squashed.ends_with("apikey")
        || squashed.ends_with("token") && !squashed.contains("csrf") && !squashed.contains("xsrf")
        || squashed.ends_with("secret")
        || squashed.ends_with("subscriptionkey")
        || squashed.ends_with("functionskey")
        || squashed.ends_with("password")
}

/// What a query parameter carries, when its name says it is a credential.
fn query_credential(key: &str) -> Option<String> {
    let lower = key.to_ascii_lowercase();
    Some(
        match lower.as_str() {
            "api_key" | "api-key" | "apikey" | "key" => "api-key",
            "access_token" => "access-token",
            "token" | "auth_token" => "token",
            "client_secret" => "client-secret",
            _ => return None,
        }
        .to_owned(),
    )
}

/// A literal credential value: not empty, no variables.
fn is_literal(value: &str) -> bool {
    !value.is_empty() && !value.contains("{{")
}

/// The literal credentials the selection touches.
fn credentials(doc: &Doc<'_>, range: TextRange, world: &World<'_>) -> Vec<Literal> {
    let touches = |r: TextRange| r.start <= range.end && range.start <= r.end;
    let mut out = Vec::new();
    match doc.parsed {
        Parsed::Http(file) => http_credentials(doc, file, range, world, &mut out),
        Parsed::Collection(coll) => {
            collection_credentials(doc, coll, &touches, range.start, world, &mut out)
        }
        _ => {}
    }
    out
}

fn http_credentials(
    doc: &Doc<'_>,
    file: &HttpFile,
    range: TextRange,
    world: &World<'_>,
    out: &mut Vec<Literal>,
) {
    let touches = |r: TextRange| r.start <= range.end && range.start <= r.end;
    let text = doc.text;
    let reqs = &file.requests;
    // Requests are in file order and do not overlap.
    let first = reqs.partition_point(|r| r.range.end < range.start);
    let requests = reqs[first..]
        .iter()
        .take_while(|r| r.range.start <= range.end);
    for req in requests {
        let host = || {
            let url = req.url(text);
            host_of(&vars::resolve(doc, world, &url, req.range.start))
        };
        for h in req.headers.iter().filter(|h| touches(h.range)) {
            let [value] = h.value.as_slice() else {
                continue;
            };
            let Some((s, e, what)) = header_credential(h.name.slice(text), value.slice(text))
            else {
                continue;
            };
            out.push(Literal {
                ranges: vec![TextRange::from_usize(s, e).shift(value.start)],
                what,
                host: host(),
                fixes: false,
            });
        }
        let mut in_query = false;
        for &t in &req.target {
            let part = t.slice(text);
            let mut pos = 0;
            if !in_query {
                let Some(q) = part.find('?') else { continue };
                pos = q;
                in_query = true;
            }
            let query = &part[pos..part[pos..].find('#').map_or(part.len(), |i| pos + i)];
            let mut at = pos;
            for pair in query.split(['&', '?']) {
                let pair_start = at;
                at += pair.len() + 1;
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                let value_start = pair_start + key.len() + 1;
                let pair_range =
                    TextRange::from_usize(pair_start, pair_start + pair.len()).shift(t.start);
                let Some(what) = query_credential(key) else {
                    continue;
                };
                if !is_literal(value) || !touches(pair_range) {
                    continue;
                }
                out.push(Literal {
                    ranges: vec![
                        TextRange::from_usize(value_start, value_start + value.len())
                            .shift(t.start),
                    ],
                    what,
                    host: host(),
                    fixes: false,
                });
            }
        }
    }
}

fn collection_credentials(
    doc: &Doc<'_>,
    coll: &Collection,
    touches: &impl Fn(TextRange) -> bool,
    offset: u32,
    world: &World<'_>,
    out: &mut Vec<Literal>,
) {
    let src = doc.text;
    let Some(item) = vars::enclosing_items(coll, offset).pop() else {
        return;
    };
    let Some(req) = item.request() else {
        return;
    };
    let raw = req.url.as_ref().and_then(|u| u.raw.as_ref());
    let host = || raw.and_then(|r| host_of(&vars::resolve(doc, world, &r.value(src), offset)));
    // A range of a string's decoded text, in the source.
    let whole = |s: &JsonString| s.source_range(src, TextRange::from_usize(0, s.value(src).len()));
    for kv in req.headers.iter().filter(|kv| touches(kv.range)) {
        let (Some(key), Some(value)) = (&kv.key, &kv.value) else {
            continue;
        };
        let decoded = value.value(src);
        if let Some((s, e, what)) = header_credential(&key.value(src), &decoded) {
            out.push(Literal {
                ranges: vec![value.source_range(src, TextRange::from_usize(s, e))],
                what,
                host: host(),
                fixes: false,
            });
        }
    }
    for kv in req
        .url
        .iter()
        .flat_map(|u| &u.query)
        .filter(|kv| touches(kv.range))
    {
        let (Some(key), Some(value)) = (&kv.key, &kv.value) else {
            continue;
        };
        let (key, decoded) = (key.value(src), value.value(src));
        let Some(what) = query_credential(&key) else {
            continue;
        };
        if !is_literal(&decoded) {
            continue;
        }
        let mut ranges = vec![whole(value)];
        if let Some(raw) = raw
            && let Some(r) = raw_query_value(&raw.value(src), &key, &decoded)
        {
            ranges.push(raw.source_range(src, r));
        }
        ranges.sort();
        out.push(Literal {
            ranges,
            what,
            host: host(),
            fixes: false,
        });
    }
    if let Some(auth) = &req.auth
        && let Some(kind) = &auth.kind
    {
        let kind = kind.value(src);
        let (param, what) = match kind.as_ref() {
            "bearer" => ("token", "token"),
            "apikey" => ("value", "api-key"),
            "basic" => ("password", "password"),
            _ => return,
        };
        let found = auth.params.iter().find(|p: &&KeyValue| {
            touches(p.range) && p.key.as_ref().is_some_and(|k| k.eq_str(src, param))
        });
        if let Some(value) = found.and_then(|p| p.value.as_ref())
            && is_literal(&value.value(src))
        {
            out.push(Literal {
                ranges: vec![whole(value)],
                what: what.to_owned(),
                host: host(),
                fixes: false,
            });
        }
    }
}

/// The range of the value of query parameter `key` = `value` in the URL `raw`.
fn raw_query_value(raw: &str, key: &str, value: &str) -> Option<TextRange> {
    let q = raw.find('?')?;
    let end = raw[q..].find('#').map_or(raw.len(), |i| q + i);
    let mut at = q + 1;
    for pair in raw[q + 1..end].split('&') {
        if let Some((k, v)) = pair.split_once('=')
            && k == key
            && v == value
        {
            let start = at + k.len() + 1;
            return Some(TextRange::from_usize(start, start + v.len()));
        }
        at += pair.len() + 1;
    }
    None
}

#[cfg(test)]
mod tests;
