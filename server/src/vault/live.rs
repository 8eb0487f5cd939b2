//! What Key Vault says about linked secrets, as findings and hover rows. Pure: the answers
//! come through a [`KeyVaultView`] of whatever the session has cached, so that offline
//! diagnostics never wait for the network and the same rules serve the editor and `check`.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::azure::keyvault::{
    Current, KvError, SecretProps, SecretVersions, Validity, format_time,
};
use crate::text::TextRange;
use crate::vault::diagnostic::{Code, Finding};
use crate::vault::features::markdown::{Table, code};
use crate::vault::identifier::SecretId;
use crate::vault::links::LinksFile;

/// The Key Vault answers at hand, without waiting for any.
pub trait KeyVaultView: Sync {
    fn signed_in(&self) -> bool;
    /// The versions of a secret when an answer (or an error about it) is cached.
    fn versions(&self, id: &SecretId) -> Option<Result<Arc<SecretVersions>, KvError>>;
    /// The secret names of a vault when a listing is cached.
    fn secret_names(&self, host: &str) -> Option<Arc<Vec<String>>>;
}

impl KeyVaultView for crate::azure::Azure {
    fn signed_in(&self) -> bool {
        self.is_signed_in()
    }
    fn versions(&self, id: &SecretId) -> Option<Result<Arc<SecretVersions>, KvError>> {
        self.peek_versions(id)
    }
    fn secret_names(&self, host: &str) -> Option<Arc<Vec<String>>> {
        self.peek_secret_names(host)?.ok()
    }
}

/// A view that knows nothing: offline.
pub struct Offline;

impl KeyVaultView for Offline {
    fn signed_in(&self) -> bool {
        false
    }
    fn versions(&self, _: &SecretId) -> Option<Result<Arc<SecretVersions>, KvError>> {
        None
    }
    fn secret_names(&self, _: &str) -> Option<Arc<Vec<String>>> {
        None
    }
}

/// A linked secret used somewhere in a document: where, and what it links to.
#[derive(Clone, Debug)]
pub struct LinkedUse {
    pub name: String,
    pub range: TextRange,
    pub id: SecretId,
}

/// The findings Key Vault's answers give for `uses`, and the identifiers with no answer yet
/// (to fetch, then check again).
pub fn findings(
    uses: &[LinkedUse],
    view: &dyn KeyVaultView,
    now: i64,
) -> (Vec<Finding>, Vec<SecretId>) {
    let mut out = Vec::new();
    let mut unknown: Vec<SecretId> = Vec::new();
    for u in uses {
        match view.versions(&u.id) {
            Some(answer) => check(u, &answer, now, &mut out),
            None => {
                if !unknown.iter().any(|i| i.same_secret(&u.id)) {
                    unknown.push(u.id.clone());
                }
            }
        }
    }
    (out, unknown)
}

/// The linked secrets a document uses, with the ranges to report on: the references in a
/// request file, collection or environment (through `links`), or the `link` values when the
/// document is `vaultlink.json` itself.
pub fn linked_uses(
    doc: &crate::vault::features::Doc<'_>,
    links: Option<&LinksFile>,
) -> Vec<LinkedUse> {
    if let crate::vault::document::Parsed::Links(own) = doc.parsed {
        return links_file_uses(own);
    }
    let mut uses = env_entry_uses(doc);
    let Some(links) = links else {
        return uses;
    };
    uses.extend(
        crate::vault::features::navigation::vault_names(doc)
            .into_iter()
            .filter_map(|u| {
                let id = links.get(&u.name)?.secret_id()?.clone();
                Some(LinkedUse {
                    name: u.name,
                    range: u.range,
                    id,
                })
            }),
    );
    uses
}

/// The secrets Visual Studio's Key Vault entries of an environment file name, reported at
/// their `secretName`.
fn env_entry_uses(doc: &crate::vault::features::Doc<'_>) -> Vec<LinkedUse> {
    let crate::vault::document::Parsed::Env(file) = doc.parsed else {
        return Vec::new();
    };
    file.environments
        .iter()
        .flat_map(|e| &e.variables)
        .filter_map(|v| {
            let crate::syntax::env::EnvValue::KeyVault {
                secret_name: Some(secret),
                vault: Some(vault),
                ..
            } = &v.value
            else {
                return None;
            };
            let name = secret.value(doc.text);
            let id =
                SecretId::parse(&format!("https://{vault}.vault.azure.net/secrets/{name}")).ok()?;
            Some(LinkedUse {
                name: name.into_owned(),
                range: secret.range,
                id,
            })
        })
        .collect()
}

/// The linked uses in a links file: each entry's `link` value.
pub fn links_file_uses(links: &LinksFile) -> Vec<LinkedUse> {
    links
        .secrets
        .iter()
        .filter_map(|s| {
            Some(LinkedUse {
                name: s.name.clone(),
                range: s.link_range?,
                id: s.secret_id()?.clone(),
            })
        })
        .collect()
}

fn check(
    u: &LinkedUse,
    answer: &Result<Arc<SecretVersions>, KvError>,
    now: i64,
    out: &mut Vec<Finding>,
) {
    let vault = &u.id.vault;
    let secret = &u.id.name;
    let versions = match answer {
        Ok(v) => v,
        Err(KvError::NotFound { .. }) => {
            out.push(Finding::new(
                u.range,
                Code::SecretNotFound,
                format!("the vault `{vault}` has no secret `{secret}`: create it there, or fix the link of `{}` in vaultlink.json", u.name),
            ));
            return;
        }
        Err(KvError::Disabled) => {
            out.push(disabled(u));
            return;
        }
        Err(KvError::Deleted { deleted, purge }) => {
            let on = |t: &Option<i64>| {
                t.map(|t| format!(" on {}", format_time(t)))
                    .unwrap_or_default()
            };
            let purge = purge
                .map(|p| format!(" (its scheduled purge date is {})", format_time(p)))
                .unwrap_or_default();
            out.push(Finding::new(
                u.range,
                Code::SecretNotFound,
                format!(
                    "`{secret}` was deleted from the vault `{vault}`{}: someone with the recover permission on its secrets can recover it{purge}, or purge it so that it can be created anew; or fix the link of `{}` in vaultlink.json",
                    on(deleted),
                    u.name
                ),
            ));
            return;
        }
        Err(e @ KvError::Forbidden { code, .. }) => {
            let refusal = e.refusal().expect("a 403 refusal");
            let code_of = if refusal.is_network() {
                Code::NetworkRefused
            } else {
                Code::AccessDenied
            };
            out.push(Finding::new(
                u.range,
                code_of,
                format!(
                    "Key Vault refused access to `{secret}` in `{vault}` ({code}): {}",
                    refusal.advice()
                ),
            ));
            return;
        }
        // Not an answer about the secret (network, throttling, sign-in): nothing to say here.
        Err(_) => return,
    };
    let selected: Option<&SecretProps> = match &u.id.version {
        Some(v) => versions.version(v),
        None => match versions.current() {
            Some(Current::Known(p)) => Some(p),
            // Which of the versions created in the newest second is current is unknown:
            // only what holds for every one of them can be said.
            Some(Current::Unknown) => {
                let candidates: Vec<&SecretProps> = versions.candidates().collect();
                if candidates.iter().all(|c| !c.enabled) {
                    out.push(disabled(u));
                }
                let expired = candidates
                    .iter()
                    .map(|c| (c.validity(now), c.expires))
                    .try_fold(None, |latest: Option<i64>, (v, exp)| match v {
                        Validity::Expired => Some(latest.max(exp)),
                        _ => None,
                    });
                if let Some(exp) = expired.flatten() {
                    out.push(Finding::new(
                        u.range,
                        Code::SecretExpired,
                        format!(
                            "`{secret}` expired on {}: set a new value in Key Vault or extend its expiry",
                            format_time(exp)
                        ),
                    ));
                }
                return;
            }
            None => None,
        },
    };
    let Some(selected) = selected else {
        out.push(Finding::new(
            u.range,
            Code::SecretNotFound,
            format!(
                "the vault `{vault}` has no version {} of `{secret}`: pin an existing version or use the latest",
                u.id.version.as_deref().unwrap_or_default()
            ),
        ));
        return;
    };
    if !selected.enabled {
        out.push(disabled(u));
    }
    match selected.validity(now) {
        Validity::Valid => {}
        Validity::Expired => out.push(Finding::new(
            u.range,
            Code::SecretExpired,
            format!(
                "`{secret}` expired on {}: set a new value in Key Vault or extend its expiry",
                format_time(selected.expires.unwrap_or_default())
            ),
        )),
        Validity::NotYetValid => out.push(Finding::new(
            u.range,
            Code::SecretNotYetValid,
            format!(
                "`{secret}` is not valid before {}",
                format_time(selected.not_before.unwrap_or_default())
            ),
        )),
        Validity::Expiring(left) => out.push(Finding::new(
            u.range,
            Code::SecretExpiring,
            format!(
                "`{secret}` expires on {} (in {})",
                format_time(selected.expires.unwrap_or_default()),
                duration_words(left)
            ),
        )),
    }
    // Only a pinned version known not to be current earns the hint: one of several versions
    // created in the newest second may be the current one.
    if let Some(pinned) = &u.id.version
        && versions.is_current(pinned) == Some(false)
    {
        let newest = versions.versions.first().and_then(|p| p.created);
        let when = newest
            .map(|c| format!(" (created {})", format_time(c)))
            .unwrap_or_default();
        out.push(Finding::new(
            u.range,
            Code::NewerVersion,
            format!(
                "`{}` pins version {pinned}; a newer version of `{secret}` exists{when}",
                u.name
            ),
        ));
    }
}

fn disabled(u: &LinkedUse) -> Finding {
    Finding::new(
        u.range,
        Code::SecretDisabled,
        format!(
            "`{}` is disabled in the vault `{}`: enable it in Key Vault, or link another version",
            u.id.name, u.id.vault
        ),
    )
}

fn duration_words(secs: i64) -> String {
    let days = secs / 86_400;
    match days {
        0 => format!("{} hours", (secs / 3600).max(1)),
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    }
}

/// What a hover says about Key Vault while signed out.
const SIGN_IN_HINT: &str = "Sign in to Azure to see what Key Vault says about this secret (VS Code: vaultlink: Sign in to Azure, in the command palette; Neovim: `:LspVaultlinkSignIn`)";

/// Markdown for what Key Vault says about a linked secret, after its link table.
pub fn hover_markdown(id: &SecretId, view: &dyn KeyVaultView) -> String {
    if !view.signed_in() {
        return format!("\n*{SIGN_IN_HINT}.*\n");
    }
    let answer = match view.versions(id) {
        None => return "\n*Key Vault has not answered yet.*\n".to_owned(),
        Some(a) => a,
    };
    let versions = match answer {
        Ok(v) => v,
        Err(e) => {
            return format!(
                "\n**Key Vault:** {}\n",
                crate::vault::features::markdown::prose(&e.to_string())
            );
        }
    };
    let current = versions.current();
    let selected = match &id.version {
        Some(v) => versions.version(v),
        None => versions.latest(),
    };
    let Some(p) = selected else {
        if id.version.is_none() && current == Some(Current::Unknown) {
            return format!(
                "\n**Key Vault:** the current version is not known: {} versions were created in the same second ({}); Key Vault's version list does not say which is current.\n",
                versions.candidates().count(),
                candidate_list(&versions)
            );
        }
        return "\n**Key Vault:** this version does not exist.\n".to_owned();
    };
    let mut table = Table::new("Key Vault", "");
    table.row("enabled", if p.enabled { "yes" } else { "**no**" });
    let time = |t: Option<i64>| t.map_or_else(|| "—".to_owned(), format_time);
    table.row("created", time(p.created));
    table.row("updated", time(p.updated));
    table.row("expires", time(p.expires));
    table.row("not before", time(p.not_before));
    table.row(
        "content type",
        p.content_type
            .as_deref()
            .filter(|c| !c.is_empty())
            .map_or_else(|| "—".to_owned(), code),
    );
    let tags = if p.tags.is_empty() {
        "—".to_owned()
    } else {
        p.tags
            .iter()
            .map(|(k, v)| code(&format!("{k}={v}")))
            .collect::<Vec<_>>()
            .join(", ")
    };
    table.row("tags", tags);
    match (&id.version, current) {
        (None, _) => {
            if let Some(v) = &p.version {
                table.row("current version", code(v));
            }
        }
        (Some(pinned), current) => {
            table.row("pinned version", code(pinned));
            let row = match (versions.is_current(pinned), current) {
                (Some(true), _) => "this one".to_owned(),
                (_, Some(Current::Known(c))) => {
                    c.version.as_deref().map_or_else(|| "—".to_owned(), code)
                }
                _ => format!(
                    "not known: created in the same second as {}",
                    candidate_list(&versions)
                ),
            };
            table.row("current version", row);
        }
    }
    table.row("versions", versions.versions.len().to_string());
    let mut out = String::from("\n");
    table.render(&mut out);
    let _ = writeln!(out);
    out
}

/// The versions that may be current, as code spans.
fn candidate_list(versions: &SecretVersions) -> String {
    versions
        .candidates()
        .filter_map(|c| c.version.as_deref())
        .map(code)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};

    use super::*;

    struct Fake(HashMap<String, Result<Arc<SecretVersions>, KvError>>);

    impl KeyVaultView for Fake {
        fn signed_in(&self) -> bool {
            true
        }
        fn versions(&self, id: &SecretId) -> Option<Result<Arc<SecretVersions>, KvError>> {
            self.0.get(&id.name).cloned()
        }
        fn secret_names(&self, _: &str) -> Option<Arc<Vec<String>>> {
            None
        }
    }

    fn props(version: &str, created: i64) -> SecretProps {
        SecretProps {
            id: format!("https://corp-kv.vault.azure.net/secrets/x/{version}"),
            name: "x".to_owned(),
            version: Some(version.to_owned()),
            enabled: true,
            created: Some(created),
            updated: Some(created),
            expires: None,
            not_before: None,
            content_type: None,
            tags: BTreeMap::new(),
        }
    }

    fn use_of(name: &str, link: &str) -> LinkedUse {
        LinkedUse {
            name: name.to_owned(),
            range: TextRange::new(0, 1),
            id: SecretId::parse(link).unwrap(),
        }
    }

    #[test]
    fn each_answer_gives_its_code() {
        const V1: &str = "11111111111111111111111111111111";
        const V2: &str = "22222222222222222222222222222222";
        let now = 1_000_000_000;
        let mut expired = props(V1, 10);
        expired.expires = Some(now - 1);
        let mut expiring = props(V1, 10);
        expiring.expires = Some(now + 3 * 86_400);
        let mut early = props(V1, 10);
        early.not_before = Some(now + 10);
        let mut off = props(V1, 10);
        off.enabled = false;
        let answers: HashMap<String, Result<Arc<SecretVersions>, KvError>> = [
            (
                "missing",
                Err(KvError::NotFound {
                    message: String::new(),
                }),
            ),
            ("disabled", Err(KvError::Disabled)),
            (
                "denied",
                Err(KvError::Forbidden {
                    code: "ForbiddenByRbac".into(),
                    message: String::new(),
                    client_address: None,
                }),
            ),
            (
                "flaky",
                Err(KvError::Http {
                    status: 503,
                    code: String::new(),
                    message: String::new(),
                }),
            ),
            ("expired", Ok(SecretVersions::new(vec![expired]))),
            ("expiring", Ok(SecretVersions::new(vec![expiring]))),
            ("early", Ok(SecretVersions::new(vec![early]))),
            ("off", Ok(SecretVersions::new(vec![off]))),
            (
                "pinned",
                Ok(SecretVersions::new(vec![props(V1, 10), props(V2, 20)])),
            ),
            ("fine", Ok(SecretVersions::new(vec![props(V1, 10)]))),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.map(Arc::new)))
        .collect();
        let view = Fake(answers);
        let base = "https://corp-kv.vault.azure.net/secrets/";
        let code_of = |name: &str, version: &str| {
            let u = use_of(name, &format!("{base}{name}{version}"));
            let (found, unknown) = findings(&[u], &view, now);
            assert!(unknown.is_empty());
            found
                .iter()
                .map(|f| f.code.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        assert_eq!(code_of("missing", ""), "secret-not-found");
        assert_eq!(code_of("disabled", ""), "secret-disabled");
        assert_eq!(code_of("denied", ""), "access-denied");
        assert_eq!(code_of("flaky", ""), "");
        assert_eq!(code_of("expired", ""), "secret-expired");
        assert_eq!(code_of("expiring", ""), "secret-expiring");
        assert_eq!(code_of("early", ""), "secret-not-yet-valid");
        assert_eq!(code_of("off", ""), "secret-disabled");
        assert_eq!(code_of("pinned", &format!("/{V1}")), "newer-version");
        assert_eq!(code_of("pinned", &format!("/{V2}")), "");
        assert_eq!(
            code_of("pinned", "/33333333333333333333333333333333"),
            "secret-not-found"
        );
        assert_eq!(code_of("fine", ""), "");
        let (_, unknown) = findings(&[use_of("other", &format!("{base}other"))], &view, now);
        assert_eq!(unknown.len(), 1);
    }

    /// Versions created in the same second: which one is current is unknown, so no
    /// version is called current and no pinned one is called outdated (the recorded
    /// `SecondCreateTest` of the Azure SDK for C++ has two, `GetPropertiesOfSecretVersions`
    /// of the .NET one up to thirteen).
    #[test]
    fn versions_of_one_second_are_never_guessed() {
        const V1: &str = "11111111111111111111111111111111";
        const V2: &str = "22222222222222222222222222222222";
        const V3: &str = "33333333333333333333333333333333";
        let view = Fake(
            [(
                "x".to_owned(),
                Ok(Arc::new(SecretVersions::new(vec![
                    props(V1, 10),
                    props(V3, 20),
                    props(V2, 20),
                ]))),
            )]
            .into_iter()
            .collect(),
        );
        let base = "https://corp-kv.vault.azure.net/secrets/x";
        let codes = |link: &str| {
            let (found, _) = findings(&[use_of("x", link)], &view, 1_000);
            found.iter().map(|f| f.code.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(codes(&format!("{base}/{V1}")), ["newer-version"]);
        assert!(codes(&format!("{base}/{V2}")).is_empty());
        assert!(codes(&format!("{base}/{V3}")).is_empty());
        assert!(codes(base).is_empty());
        // What holds for every candidate is still said about the latest version.
        let mut off = vec![props(V1, 10), props(V2, 20), props(V3, 20)];
        for p in &mut off[1..] {
            p.enabled = false;
            p.expires = Some(500);
        }
        let both = Fake(
            [(
                "x".to_owned(),
                Ok(Arc::new(SecretVersions::new(off.clone()))),
            )]
            .into_iter()
            .collect(),
        );
        let (found, _) = findings(&[use_of("x", base)], &both, 1_000);
        let found: Vec<&str> = found.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(found, ["secret-disabled", "secret-expired"]);
        off[2].enabled = true;
        off[2].expires = None;
        let one = Fake(
            [("x".to_owned(), Ok(Arc::new(SecretVersions::new(off))))]
                .into_iter()
                .collect(),
        );
        let (found, _) = findings(&[use_of("x", base)], &one, 1_000);
        assert!(found.is_empty(), "{found:?}");
        let md = hover_markdown(&SecretId::parse(base).unwrap(), &view);
        assert!(md.contains("the current version is not known"), "{md}");
        assert!(
            md.contains(&format!("`{V2}`")) && md.contains(&format!("`{V3}`")),
            "{md}"
        );
        let md = hover_markdown(&SecretId::parse(&format!("{base}/{V2}")).unwrap(), &view);
        assert!(md.contains(&format!("- pinned version: `{V2}`")), "{md}");
        assert!(md.contains("- current version: not known"), "{md}");
    }

    #[test]
    fn hover_on_a_pinned_version_names_the_current_one() {
        const V1: &str = "11111111111111111111111111111111";
        const V2: &str = "22222222222222222222222222222222";
        let view = Fake(
            [(
                "x".to_owned(),
                Ok(Arc::new(SecretVersions::new(vec![
                    props(V1, 10),
                    props(V2, 20),
                ]))),
            )]
            .into_iter()
            .collect(),
        );
        let base = "https://corp-kv.vault.azure.net/secrets/x";
        let md = hover_markdown(&SecretId::parse(&format!("{base}/{V1}")).unwrap(), &view);
        assert!(md.contains(&format!("- pinned version: `{V1}`")), "{md}");
        assert!(md.contains(&format!("- current version: `{V2}`")), "{md}");
        assert!(!md.contains(&format!("- current version: `{V1}`")), "{md}");
        let md = hover_markdown(&SecretId::parse(&format!("{base}/{V2}")).unwrap(), &view);
        assert!(md.contains("- current version: this one"), "{md}");
    }

    #[test]
    fn refusals_and_deletions_say_what_to_do() {
        let forbidden = |code: &str, message: &str| {
            Err(KvError::Forbidden {
                code: code.into(),
                message: message.into(),
                client_address: None,
            })
        };
        let answers: HashMap<String, Result<Arc<SecretVersions>, KvError>> = [
            ("firewall", forbidden("ForbiddenByFirewall", "Client address is not authorized and caller is not a trusted service.")),
            ("private", forbidden("ForbiddenByConnection", "Public network access is disabled and request is not from a trusted service nor via an approved private link.")),
            ("policy", forbidden("AccessDenied", "The user, group or application 'appid=x' does not have secrets get permission on key vault 'corp-kv;location=westeurope'.")),
            ("rbac", forbidden("ForbiddenByRbac", "Caller is not authorized to perform action on resource.")),
            ("gone", Err(KvError::Deleted { deleted: Some(0), purge: Some(86_400) })),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let view = Fake(answers);
        let finding = |name: &str| {
            let u = use_of(
                name,
                &format!("https://corp-kv.vault.azure.net/secrets/{name}"),
            );
            let (found, _) = findings(&[u], &view, 0);
            assert_eq!(found.len(), 1, "{found:?}");
            (found[0].code.as_str(), found[0].message.clone())
        };
        let (code, message) = finding("firewall");
        assert_eq!(code, "network-refused");
        assert!(
            message.contains("firewall") && !message.contains("Secrets User role on"),
            "{message}"
        );
        let (code, message) = finding("private");
        assert_eq!(code, "network-refused");
        assert!(message.contains("private link"), "{message}");
        let (code, message) = finding("policy");
        assert_eq!(code, "access-denied");
        assert!(
            message.contains("access policies do not give you the `get` permission on secrets"),
            "{message}"
        );
        let (code, message) = finding("rbac");
        assert_eq!(code, "access-denied");
        assert!(message.contains("Key Vault Secrets User role"), "{message}");
        let (code, message) = finding("gone");
        assert_eq!(code, "secret-not-found");
        assert!(
            message.contains("was deleted from the vault `corp-kv` on 1970-01-01 00:00 UTC"),
            "{message}"
        );
        assert!(
            message.contains("recover permission") && !message.contains("create it there"),
            "{message}"
        );
    }

    #[test]
    fn hover_shows_metadata_never_values() {
        let mut p = props("11111111111111111111111111111111", 0);
        p.content_type = Some("text/plain".into());
        p.tags.insert("team".into(), "payments".into());
        let view = Fake(
            [("x".to_owned(), Ok(Arc::new(SecretVersions::new(vec![p]))))]
                .into_iter()
                .collect(),
        );
        let md = hover_markdown(
            &SecretId::parse("https://corp-kv.vault.azure.net/secrets/x").unwrap(),
            &view,
        );
        assert!(md.contains("- enabled: yes"), "{md}");
        assert!(md.contains("1970-01-01 00:00 UTC"), "{md}");
        assert!(md.contains("`team=payments`"), "{md}");
        assert!(md.contains("`text/plain`"), "{md}");
        let md = hover_markdown(
            &SecretId::parse("https://corp-kv.vault.azure.net/secrets/x").unwrap(),
            &Offline,
        );
        assert!(md.contains("vaultlink: Sign in to Azure") && md.contains(":LspVaultlinkSignIn"));
    }
}
