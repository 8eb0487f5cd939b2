//! What the secret stores say about linked secrets, as findings and hover rows. Pure: the
//! answers come through a [`SecretsView`] of whatever the providers have cached, so that
//! offline diagnostics never wait for the network and the same rules serve the editor and
//! `check`, whichever store a link names.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::text::TextRange;
use crate::vault::diagnostic::{Code, Finding};
use crate::vault::features::markdown::{Table, code};
use crate::vault::identifier::{LinkId, SecretId, Store};
use crate::vault::links::LinksFile;
use crate::vault::secret::{
    Current, Failure, FailureKind, SecretProps, SecretVersions, Validity, format_time,
};

/// The stores' answers at hand, without waiting for any.
pub trait SecretsView: Sync {
    /// Whether the provider of `store` can ask it (signed in, credentials found).
    fn signed_in(&self, store: Store) -> bool;
    /// The versions of a secret when an answer (or an error about it) is cached.
    fn versions(&self, id: &LinkId) -> Option<Result<Arc<SecretVersions>, Failure>>;
    /// The secret names at a host (a vault, a region's endpoint) when a listing is cached.
    fn secret_names(&self, host: &str) -> Option<Arc<Vec<String>>>;
}

/// A view that knows nothing: offline.
pub struct Offline;

impl SecretsView for Offline {
    fn signed_in(&self, _: Store) -> bool {
        false
    }
    fn versions(&self, _: &LinkId) -> Option<Result<Arc<SecretVersions>, Failure>> {
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
    pub id: LinkId,
}

/// The findings Key Vault's answers give for `uses`, and the identifiers with no answer yet
/// (to fetch, then check again).
pub fn findings(
    uses: &[LinkedUse],
    view: &dyn SecretsView,
    now: i64,
) -> (Vec<Finding>, Vec<LinkId>) {
    let mut out = Vec::new();
    let mut unknown: Vec<LinkId> = Vec::new();
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
                let id = links.get(&u.name)?.link_id()?.clone();
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
            let id = SecretId::parse(&format!("https://{vault}.vault.azure.net/secrets/{name}"))
                .ok()
                .map(LinkId::KeyVault)?;
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
                id: s.link_id()?.clone(),
            })
        })
        .collect()
}

fn check(
    u: &LinkedUse,
    answer: &Result<Arc<SecretVersions>, Failure>,
    now: i64,
    out: &mut Vec<Finding>,
) {
    let place = u.id.place();
    let secret = u.id.name();
    let store = u.id.store().label();
    let versions = match answer {
        Ok(v) => v,
        Err(e) => {
            if let Some(f) = failure_finding(u, e) {
                out.push(f);
            }
            return;
        }
    };
    let selected: Option<&SecretProps> = match (u.id.version(), stage(&u.id)) {
        (Some(v), _) => versions.version(v),
        (None, Some(stage)) => versions.labelled(stage),
        (None, None) => match versions.current() {
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
                            "`{secret}` expired on {}: set a new value in {store} or extend its expiry",
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
                "{place} has no version {} of `{secret}`: pin an existing version or use the latest",
                u.id.version().or(stage(&u.id)).unwrap_or_default()
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
                "`{secret}` expired on {}: set a new value in {store} or extend its expiry",
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
    if let Some(pinned) = u.id.version()
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
            "`{}` is disabled in {}: enable it in {}, or link another version",
            u.id.name(),
            u.id.place(),
            u.id.store().label()
        ),
    )
}

/// The stage a Secrets Manager link reads, when it names one.
fn stage(id: &LinkId) -> Option<&str> {
    match id {
        LinkId::SecretsManager(a) => match &a.pin {
            Some(crate::vault::arn::Pin::Stage(s)) => Some(s),
            _ => None,
        },
        LinkId::KeyVault(_) => None,
    }
}

/// The finding a store's refusal gives; `None` for failures that say nothing about the
/// secret (network, throttling, sign-in).
fn failure_finding(u: &LinkedUse, e: &Failure) -> Option<Finding> {
    let place = u.id.place();
    let secret = u.id.name();
    let finding = match &e.kind {
        FailureKind::NotFound => Finding::new(
            u.range,
            Code::SecretNotFound,
            format!(
                "{place} has no secret `{secret}`: create it there, or fix the link of `{}` in vaultlink.json",
                u.name
            ),
        ),
        FailureKind::Disabled => disabled(u),
        FailureKind::Deleted { deleted, purge } => {
            let on = |t: &Option<i64>| {
                t.map(|t| format!(" on {}", format_time(t)))
                    .unwrap_or_default()
            };
            let message = match &u.id {
                LinkId::KeyVault(_) => {
                    let purge = purge
                        .map(|p| format!(" (its scheduled purge date is {})", format_time(p)))
                        .unwrap_or_default();
                    format!(
                        "`{secret}` was deleted from {place}{}: someone with the recover permission on its secrets can recover it{purge}, or purge it so that it can be created anew; or fix the link of `{}` in vaultlink.json",
                        on(deleted),
                        u.name
                    )
                }
                LinkId::SecretsManager(_) => format!(
                    "`{secret}` is scheduled for deletion in {place}{}: restore it (`aws secretsmanager restore-secret`) before then, or fix the link of `{}` in vaultlink.json",
                    on(deleted),
                    u.name
                ),
            };
            Finding::new(u.range, Code::SecretNotFound, message)
        }
        FailureKind::Denied {
            code,
            network,
            advice,
        } => {
            let code_of = if *network {
                Code::NetworkRefused
            } else {
                Code::AccessDenied
            };
            let container = match &u.id {
                LinkId::KeyVault(id) => format!("`{}`", id.vault),
                LinkId::SecretsManager(id) => format!("`{}`", id.region),
            };
            Finding::new(
                u.range,
                code_of,
                format!(
                    "{} refused access to `{secret}` in {container} ({code}): {advice}",
                    u.id.store().label()
                ),
            )
        }
        // Not an answer about the secret (network, throttling, sign-in): nothing to say here.
        FailureKind::Unreachable | FailureKind::Throttled | FailureKind::Other => return None,
    };
    Some(finding)
}

fn duration_words(secs: i64) -> String {
    let days = secs / 86_400;
    match days {
        0 => format!("{} hours", (secs / 3600).max(1)),
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    }
}

/// What a hover says about a store that cannot be asked yet.
fn sign_in_hint(store: Store) -> &'static str {
    match store {
        Store::KeyVault => {
            "Sign in to Azure to see what Key Vault says about this secret (VS Code: vaultlink: Sign in to Azure, in the command palette; Neovim: `:LspVaultlinkSignIn`)"
        }
        Store::SecretsManager => {
            "Give vaultlink AWS credentials (the environment, a profile of `aws configure`, or `aws sso login`) to see what Secrets Manager says about this secret"
        }
    }
}

/// Markdown for what the store says about a linked secret, after its link table.
pub fn hover_markdown(id: &LinkId, view: &dyn SecretsView) -> String {
    let store = id.store().label();
    if !view.signed_in(id.store()) {
        return format!("\n*{}.*\n", sign_in_hint(id.store()));
    }
    let answer = match view.versions(id) {
        None => return format!("\n*{store} has not answered yet.*\n"),
        Some(a) => a,
    };
    let versions = match answer {
        Ok(v) => v,
        Err(e) => {
            return format!(
                "\n**{store}:** {}\n",
                crate::vault::features::markdown::prose(&e.to_string())
            );
        }
    };
    let current = versions.current();
    let selected = match (id.version(), stage(id)) {
        (Some(v), _) => versions.version(v),
        (None, Some(s)) => versions.labelled(s),
        (None, None) => versions.latest(),
    };
    let Some(p) = selected else {
        if id.version().is_none() && current == Some(Current::Unknown) {
            return format!(
                "\n**{store}:** the current version is not known: {} versions were created in the same second ({}); {store}'s version list does not say which is current.\n",
                versions.candidates().count(),
                candidate_list(&versions)
            );
        }
        return format!("\n**{store}:** this version does not exist.\n");
    };
    let mut table = Table::new(store, "");
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
    if !p.labels.is_empty() {
        table.row(
            "stages",
            p.labels
                .iter()
                .map(|l| code(l))
                .collect::<Vec<_>>()
                .join(", "),
        );
    }
    match (id.version(), current) {
        (None, _) => {
            if let Some(v) = &p.version {
                match stage(id) {
                    Some(stage) => table.row(format!("version at {stage}"), code(v)),
                    None => table.row("current version", code(v)),
                }
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
    for (k, v) in &versions.facts {
        table.row(k, crate::vault::features::markdown::prose(v));
    }
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

    struct Fake(HashMap<String, Result<Arc<SecretVersions>, Failure>>);

    impl SecretsView for Fake {
        fn signed_in(&self, _: Store) -> bool {
            true
        }
        fn versions(&self, id: &LinkId) -> Option<Result<Arc<SecretVersions>, Failure>> {
            self.0.get(id.name()).cloned()
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
            labels: Vec::new(),
        }
    }

    fn use_of(name: &str, link: &str) -> LinkedUse {
        LinkedUse {
            name: name.to_owned(),
            range: TextRange::new(0, 1),
            id: LinkId::parse(link).unwrap(),
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
        let answers: HashMap<String, Result<Arc<SecretVersions>, Failure>> = [
            ("missing", Err(Failure::new(FailureKind::NotFound, ""))),
            ("disabled", Err(Failure::new(FailureKind::Disabled, ""))),
            (
                "denied",
                Err(Failure::new(
                    FailureKind::Denied {
                        code: "ForbiddenByRbac".into(),
                        network: false,
                        advice: String::new(),
                    },
                    "",
                )),
            ),
            (
                "flaky",
                Err(Failure::new(FailureKind::Other, "Key Vault answered 503")),
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
        let md = hover_markdown(&LinkId::parse(base).unwrap(), &view);
        assert!(md.contains("the current version is not known"), "{md}");
        assert!(
            md.contains(&format!("`{V2}`")) && md.contains(&format!("`{V3}`")),
            "{md}"
        );
        let md = hover_markdown(&LinkId::parse(&format!("{base}/{V2}")).unwrap(), &view);
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
        let md = hover_markdown(&LinkId::parse(&format!("{base}/{V1}")).unwrap(), &view);
        assert!(md.contains(&format!("- pinned version: `{V1}`")), "{md}");
        assert!(md.contains(&format!("- current version: `{V2}`")), "{md}");
        assert!(!md.contains(&format!("- current version: `{V1}`")), "{md}");
        let md = hover_markdown(&LinkId::parse(&format!("{base}/{V2}")).unwrap(), &view);
        assert!(md.contains("- current version: this one"), "{md}");
    }

    /// Secrets Manager names its current version by the `AWSCURRENT` stage, even when two
    /// versions share a creation second; a stage pin reads the version carrying it.
    #[test]
    fn secrets_manager_stages_name_the_versions() {
        const A: &str = "aaaaaaaa-0000-0000-0000-000000000000";
        const B: &str = "bbbbbbbb-0000-0000-0000-000000000000";
        let mut a = props(A, 10);
        a.labels = vec!["AWSPREVIOUS".into()];
        let mut b = props(B, 10);
        b.labels = vec!["AWSCURRENT".into()];
        let versions = SecretVersions::new(vec![a, b]).with_current(Some(B.to_owned()));
        let view = Fake(
            [("prod/db".to_owned(), Ok(Arc::new(versions)))]
                .into_iter()
                .collect(),
        );
        let base = "secretsmanager://eu-west-1/prod/db";
        let codes = |link: &str| {
            let (found, _) = findings(&[use_of("db", link)], &view, 1_000);
            found.iter().map(|f| f.code.as_str()).collect::<Vec<_>>()
        };
        assert_eq!(
            codes(&format!("{base}?versionId={A}#password")),
            ["newer-version"]
        );
        assert!(codes(&format!("{base}?versionId={B}")).is_empty());
        assert!(codes(base).is_empty());
        assert!(codes(&format!("{base}?versionStage=AWSPREVIOUS")).is_empty());
        assert_eq!(
            codes(&format!("{base}?versionStage=NOPE")),
            ["secret-not-found"]
        );
        let md = hover_markdown(&LinkId::parse(base).unwrap(), &view);
        assert!(md.contains(&format!("- current version: `{B}`")), "{md}");
        assert!(md.contains("- stages: `AWSCURRENT`"), "{md}");
        assert!(md.contains("**Secrets Manager**"), "{md}");
        let md = hover_markdown(
            &LinkId::parse(&format!("{base}?versionStage=AWSPREVIOUS")).unwrap(),
            &view,
        );
        assert!(
            md.contains(&format!("- version at AWSPREVIOUS: `{A}`")),
            "{md}"
        );
        assert!(!md.contains("- current version:"), "{md}");
        let md = hover_markdown(&LinkId::parse(base).unwrap(), &Offline);
        assert!(md.contains("AWS credentials"), "{md}");
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
            &LinkId::parse("https://corp-kv.vault.azure.net/secrets/x").unwrap(),
            &view,
        );
        assert!(md.contains("- enabled: yes"), "{md}");
        assert!(md.contains("1970-01-01 00:00 UTC"), "{md}");
        assert!(md.contains("`team=payments`"), "{md}");
        assert!(md.contains("`text/plain`"), "{md}");
        let md = hover_markdown(
            &LinkId::parse("https://corp-kv.vault.azure.net/secrets/x").unwrap(),
            &Offline,
        );
        assert!(md.contains("vaultlink: Sign in to Azure") && md.contains(":LspVaultlinkSignIn"));
    }
}
