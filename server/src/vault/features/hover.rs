//! Hover: what a reference points to, never a secret's value.
//!
//! A vault reference shows its link as key–value rows (a Markdown list, which reads the same
//! rendered in VS Code and as text in Neovim's hover), built by [`secret_table`], so that the
//! live metadata from Key Vault (enabled, dates, content type, tags) can follow as more rows
//! when it is known. Variable values that come from a private environment file or
//! a Postman `secret` are masked; a value holding vault references shows those references
//! only.

use std::fmt::Write as _;

use crate::syntax::env::{ENCRYPTED, USER_SECRETS};
use crate::syntax::refs::{self, RefKind, VaultMethod};
use crate::text::TextRange;
use crate::vault::document::Parsed;
use crate::vault::features::markdown::{Table, code, escape, prose};
use crate::vault::features::scan::{self, Found, FoundKind};
use crate::vault::features::vars::{self, Source, VarDef, VarValue};
use crate::vault::features::{Doc, World};
use crate::vault::identifier::{IdError, LinkId};
use crate::vault::links::{LinksFile, SecretLink};

/// A hover: the range it is about and Markdown to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverInfo {
    /// The reference hovered: the whole `{{…}}`, a script call's name, a links-file key.
    pub range: TextRange,
    /// What to show; never a secret's value.
    pub markdown: String,
}

/// What a masked value shows.
pub const MASK: &str = "••••••";

/// The hover at `offset`: on `{{vault:x}}` or a `pm.vault.*("x")` name, the reference name;
/// for a linked one the vault, the Key Vault secret name, the version (or `latest`), the
/// identifier and the allowed domains (or "any host"); for an unlinked one, how to link it;
/// for a broken link, what is wrong. On `{{var}}`: where it is defined and its value, except
/// that values from `http-client.private.env.json` and values holding a vault reference are
/// shown masked (`••••••`) or as the reference, never in plain text. On `{{$dynamic}}`: what
/// it produces.
pub fn hover(doc: &Doc<'_>, offset: u32, world: &World<'_>) -> Option<HoverInfo> {
    if let Parsed::Links(links) = doc.parsed {
        // In vaultlink.json itself: the entry under the cursor.
        let link = links
            .secrets
            .iter()
            .find(|s| s.name_range.contains_inclusive(offset))?;
        let mut markdown = secret_markdown(&link.name, Some(links));
        live_rows(&mut markdown, &link.name, Some(links), world);
        return Some(HoverInfo {
            range: link.name_range,
            markdown: markdown.trim_end().to_owned(),
        });
    }
    let found = scan::ref_at(doc, offset)?;
    let markdown = match found.kind {
        FoundKind::DynamicVault => dynamic_vault_markdown(doc, world, &found.name, offset),
        FoundKind::Variable => variable_markdown(doc, world, &found.name, offset),
        _ => return hover_of(&found, world),
    };
    Some(HoverInfo {
        range: found.range,
        markdown: markdown.trim_end().to_owned(),
    })
}

/// Whether the hover of a reference of kind `kind` is its own: made of its name and the
/// links, whatever the rest of the document says (a variable's hover reads where the
/// document defines it).
pub(crate) fn is_own(kind: FoundKind) -> bool {
    !matches!(kind, FoundKind::Variable | FoundKind::DynamicVault)
}

/// The hover of `found`, a reference whose hover is its own (see [`is_own`]); `None` for
/// the others.
pub(crate) fn hover_of(found: &Found, world: &World<'_>) -> Option<HoverInfo> {
    let links = world.links.map(|l| l.file);
    let markdown = match found.kind {
        FoundKind::Vault => {
            let mut md = secret_markdown(&found.name, links);
            live_rows(&mut md, &found.name, links, world);
            md
        }
        FoundKind::Script(method) => script_markdown(&found.name, method, links),
        FoundKind::InvalidVault(message) => {
            format!("**invalid vault reference**\n\n{}", prose(message))
        }
        FoundKind::Dynamic => dynamic_markdown(&found.name),
        FoundKind::Variable | FoundKind::DynamicVault => return None,
    };
    Some(HoverInfo {
        range: found.range,
        markdown: markdown.trim_end().to_owned(),
    })
}

/// What the store says about the secret `name` links to, when the session is online.
fn live_rows(out: &mut String, name: &str, links: Option<&LinksFile>, world: &World<'_>) {
    if let (Some(view), Some(id)) = (
        world.keyvault,
        links.and_then(|l| l.get(name)).and_then(|l| l.link_id()),
    ) {
        out.push_str(&crate::vault::features::live::hover_markdown(id, view));
    }
}

/// The hover of vault name `name`: its link, or why there is none.
fn secret_markdown(name: &str, links: Option<&LinksFile>) -> String {
    let title = escape(name);
    let Some(link) = links.and_then(|l| l.get(name)) else {
        let how = match links {
            Some(_) => format!(
                "No link for {} in vaultlink.json: use the quick fix \"Add a link\", or run `vaultlink link {name} <identifier>`.",
                code(name)
            ),
            None => format!(
                "No vaultlink.json was found: create one with the quick fix \"Add a link\", or run `vaultlink link {name} <identifier>`."
            ),
        };
        return format!("**{title}** — vault secret, not linked\n\n{how}\n");
    };
    match secret_table(link) {
        Ok(table) => {
            let mut out = format!("**{title}** — vault secret\n\n");
            table.render(&mut out);
            out
        }
        Err(why) => {
            let mut out = format!(
                "**{title}** — vault secret, broken link\n\nThe link in vaultlink.json is not usable: {}\n\n",
                prose(&why)
            );
            if link.link_range.is_some() {
                let mut table = Table::new("", "");
                table.row("link", code(&link.link_text));
                table.render(&mut out);
            }
            out
        }
    }
}

/// The rows that describe a valid link, or why it is not valid. Metadata from Key Vault goes
/// after these rows.
pub(crate) fn secret_table(link: &SecretLink) -> Result<Table, String> {
    let id = match &link.link {
        Some(Ok(LinkId::KeyVault(id))) => id,
        Some(Ok(LinkId::SecretsManager(arn))) => {
            let mut table = Table::new("", "");
            table.row("store", "AWS Secrets Manager");
            table.row("region", code(&arn.region));
            if let Some(a) = &arn.account {
                table.row("account", code(a));
            }
            table.row("secret", code(arn.short_name()));
            table.row(
                "version",
                match &arn.pin {
                    Some(crate::vault::arn::Pin::Id(v)) => code(v),
                    Some(crate::vault::arn::Pin::Stage(s)) => format!("stage {}", code(s)),
                    None => "current (`AWSCURRENT`)".to_owned(),
                },
            );
            if let Some(k) = &arn.key {
                table.row("JSON key", code(k));
            }
            table.row("identifier", code(&arn.to_string()));
            table.row("allowed hosts", allowed_hosts(link));
            return Ok(table);
        }
        Some(Err(IdError::Untrusted { host })) => {
            return Err(format!("`{host}` is not a Key Vault host"));
        }
        Some(Err(err)) => return Err(err.to_string()),
        None => return Err("the entry has no `link`".to_owned()),
    };
    let mut table = Table::new("", "");
    table.row("vault", code(&id.vault));
    table.row("secret", code(&id.name));
    table.row(
        "version",
        id.version
            .as_deref()
            .map_or_else(|| "latest".to_owned(), code),
    );
    table.row("identifier", id.url());
    table.row("allowed hosts", allowed_hosts(link));
    Ok(table)
}

/// The `allowedDomains` of a link, for its table.
fn allowed_hosts(link: &SecretLink) -> String {
    if link.allowed_domains.is_empty() {
        "any host".to_owned()
    } else {
        let hosts: Vec<String> = link
            .allowed_domains
            .iter()
            .map(|d| {
                if d.valid {
                    // Valid patterns are host names or `*.domain`: nothing to escape.
                    d.pattern.clone()
                } else {
                    format!("{} (invalid, matches nothing)", code(&d.pattern))
                }
            })
            .collect();
        hosts.join(", ")
    }
}

fn script_markdown(name: &str, method: VaultMethod, links: Option<&LinksFile>) -> String {
    if let Some(problem) = refs::name_problem(name) {
        return format!("**invalid vault reference**\n\n{}", prose(problem));
    }
    let mut out = secret_markdown(name, links);
    let call = format!("`pm.vault.{}`", method.as_str());
    let linked = links.and_then(|l| l.get(name)).is_some();
    let _ = write!(out, "\nUsed by {call} in a script.");
    if !links.is_some_and(|l| l.allow_script_access) {
        out.push_str(
            " Scripts may not use vault secrets unless vaultlink.json sets `\"scripts\": {\"allowVaultAccess\": true}`.",
        );
    }
    if linked && method != VaultMethod::Get {
        out.push_str(" A linked secret cannot be changed from a script.");
    }
    out.push('\n');
    out
}

fn dynamic_vault_markdown(doc: &Doc<'_>, world: &World<'_>, name: &str, offset: u32) -> String {
    let mut out = format!(
        "{} — dynamic vault reference\n\nThe name is built from variables when the request is sent.\n",
        code(&format!("{{{{vault:{name}}}}}"))
    );
    let resolved = vars::resolve(doc, world, name, offset);
    if !resolved.contains("{{") && refs::is_valid_name(&resolved) {
        let _ = write!(
            out,
            "\nWith the values known here it is {}:\n\n{}",
            code(&format!("{{{{vault:{resolved}}}}}")),
            secret_markdown(&resolved, world.links.map(|l| l.file))
        );
    }
    out
}

fn variable_markdown(doc: &Doc<'_>, world: &World<'_>, name: &str, offset: u32) -> String {
    let mut out = format!("**{}** — variable\n\n", escape(name));
    let defs = vars::lookup(doc, world, name, offset);
    if defs.is_empty() {
        let place = match doc.parsed {
            Parsed::Collection(_) => "the collection or an environment",
            Parsed::Env(_) => "an environment",
            _ => "this file or an environment",
        };
        let _ = writeln!(out, "Not defined in {place}.");
        return out;
    }
    let mut table = Table::new("", "");
    for def in &defs {
        table.row(source_label(def), value_label(def));
    }
    table.render(&mut out);
    out
}

fn source_label(def: &VarDef<'_>) -> String {
    match def.source {
        Source::FileVariable => format!("{} in this file", code(&format!("@{}", def.name))),
        Source::Request => format!("request {} in this file", code(&def.name)),
        Source::Collection => "collection variables".to_owned(),
        Source::Folder(path) => format!("folder {}", code(path)),
        Source::Env { env, file } => {
            let file = file
                .file_name()
                .map_or_else(|| file.to_string_lossy(), |n| n.to_string_lossy());
            format!("environment {} in {}", code(env), escape(&file))
        }
    }
}

/// A definition's value as it may be shown: masked when secret, and as its vault
/// references when it holds some and is secret.
fn value_label(def: &VarDef<'_>) -> String {
    match &def.value {
        VarValue::Text(text) if def.secret => {
            let mut found = Vec::new();
            refs::scan(text, 0, &mut found);
            let vault: Vec<String> = found
                .iter()
                .filter(|r| matches!(r.kind, RefKind::Vault { .. }))
                .map(|r| code(r.range.slice(text)))
                .collect();
            if vault.is_empty() {
                return MASK.to_owned();
            }
            let covered: u32 = found
                .iter()
                .filter(|r| matches!(r.kind, RefKind::Vault { .. }))
                .map(|r| r.range.len())
                .sum();
            let rest = text.trim().len() as u32 > covered;
            let mut out = vault.join(", ");
            if rest {
                let _ = write!(out, " (the rest is masked: {MASK})");
            }
            out
        }
        VarValue::Text(text) if text.is_empty() => "empty".to_owned(),
        VarValue::Text(text) => code(text),
        VarValue::KeyVault { secret, vault } => format!(
            "Key Vault secret {} in vault {}",
            secret.as_deref().map_or_else(|| "?".to_owned(), code),
            vault.map_or_else(|| "?".to_owned(), code)
        ),
        VarValue::Provider { provider, secret } if provider.eq_ignore_ascii_case(USER_SECRETS) => {
            format!(
                "the project's user secret {} (masked when sent)",
                secret.as_deref().map_or_else(|| "?".to_owned(), code)
            )
        }
        VarValue::Provider { provider, .. } if provider.eq_ignore_ascii_case(ENCRYPTED) => {
            "encrypted with Windows DPAPI, which cannot be read on this platform".to_owned()
        }
        VarValue::Provider { provider, .. } => {
            format!(
                "a value of the provider {}, which vaultlink cannot read",
                code(provider)
            )
        }
        VarValue::Other(_) if def.secret => MASK.to_owned(),
        VarValue::Other(text) => code(text),
        VarValue::None => "its response, once it has been sent".to_owned(),
    }
}

/// Dynamic variables: name, what it produces, and where it is known (`.http` clients,
/// Postman).
pub(crate) const DYNAMIC: &[(&str, &str, bool, bool)] = &[
    (
        "$uuid",
        "a random UUID (v4), new for each request",
        true,
        false,
    ),
    (
        "$random.uuid",
        "a random UUID (v4), new for each request",
        true,
        false,
    ),
    (
        "$guid",
        "a random UUID (v4), new for each request",
        true,
        true,
    ),
    (
        "$randomUUID",
        "a random UUID (v4), new for each request",
        false,
        true,
    ),
    (
        "$timestamp",
        "the current Unix time, in seconds",
        true,
        true,
    ),
    (
        "$isoTimestamp",
        "the current time in ISO 8601 (UTC)",
        true,
        true,
    ),
    (
        "$randomInt",
        "a random integer (REST Client takes `min max`)",
        true,
        true,
    ),
    (
        "$random.integer",
        "a random integer: `$random.integer(from, to)`",
        true,
        false,
    ),
    ("$random.email", "a random e-mail address", true, false),
    (
        "$datetime",
        "the current time in a format: `{{$datetime iso8601}}`",
        true,
        false,
    ),
    (
        "$localDatetime",
        "the local time in a format: `{{$localDatetime rfc1123}}`",
        true,
        false,
    ),
    (
        "$processEnv",
        "an environment variable of the process: `{{$processEnv NAME}}`",
        true,
        false,
    ),
    (
        "$dotenv",
        "a value from the `.env` file beside the request file: `{{$dotenv NAME}}`",
        true,
        false,
    ),
];

fn dynamic_markdown(name: &str) -> String {
    let what = DYNAMIC.iter().find(|(n, ..)| *n == name).map_or(
        "a value computed when the request is sent",
        |(_, what, ..)| what,
    );
    format!(
        "**{}** — dynamic variable\n\nProduces {what}.\n",
        escape(name)
    )
}

#[cfg(test)]
mod tests;
