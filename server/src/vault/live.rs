//! What Key Vault says about linked secrets, as findings and hover rows. Pure: the answers
//! come through a [`KeyVaultView`] of whatever the session has cached, so that offline
//! diagnostics never wait for the network and the same rules serve the editor and `check`.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::azure::keyvault::{KvError, SecretProps, SecretVersions, Validity, format_time};
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
        Err(KvError::Forbidden { code, .. }) => {
            out.push(Finding::new(
                u.range,
                Code::AccessDenied,
                format!(
                    "Key Vault refused access to `{secret}` in `{vault}` ({code}): ask for the Key Vault Secrets User role on the vault"
                ),
            ));
            return;
        }
        // Not an answer about the secret (network, throttling, sign-in): nothing to say here.
        Err(_) => return,
    };
    let latest = versions.latest();
    let selected: Option<&SecretProps> = match &u.id.version {
        Some(v) => versions.version(v),
        None => latest,
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
    if let (Some(pinned), Some(latest)) = (&u.id.version, latest)
        && latest
            .version
            .as_deref()
            .is_some_and(|v| !v.eq_ignore_ascii_case(pinned))
    {
        let when = latest
            .created
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
const SIGN_IN_HINT: &str =
    "Sign in to Azure (command `vaultlink.signIn`) to see what Key Vault says about this secret";

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
    let selected = match &id.version {
        Some(v) => versions.version(v),
        None => versions.latest(),
    };
    let Some(p) = selected else {
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
    if let Some(v) = &p.version {
        table.row("current version", code(v));
    }
    table.row("versions", versions.versions.len().to_string());
    let mut out = String::from("\n");
    table.render(&mut out);
    let _ = writeln!(out);
    out
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
        assert!(md.contains("| enabled | yes |"), "{md}");
        assert!(md.contains("1970-01-01 00:00 UTC"), "{md}");
        assert!(md.contains("`team=payments`"), "{md}");
        assert!(md.contains("`text/plain`"), "{md}");
        let md = hover_markdown(
            &SecretId::parse("https://corp-kv.vault.azure.net/secrets/x").unwrap(),
            &Offline,
        );
        assert!(md.contains("vaultlink.signIn"));
    }
}
