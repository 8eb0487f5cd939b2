//! `vaultlink check`: walks folders for the files vaultlink reads and prints every finding.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use super::report::{self, Fix, Format, Row};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, display_path, fail};
use std::sync::Arc;

use crate::azure::App;
use crate::fs;
use crate::providers::Providers;
use crate::text::LineIndex;
use crate::vault::analysis::Context;
use crate::vault::diagnostic::{Code, Finding, Severity};
use crate::vault::document::{DocKind, Parsed};
use crate::vault::features::live::{self, LinkedUse, SecretsView};
use crate::vault::features::{Doc, LinksSource, World};
use crate::vault::identifier::{LinkId, Store};
use crate::vault::links::AzureSettings;
use crate::vault::secret::{Failure, SecretVersions};
use crate::workspace::{DiskWorkspace, env_sources, names_beside};

#[derive(Clone, Debug, Default)]
pub struct CheckOptions {
    /// Files and folders; none means the current folder.
    pub paths: Vec<PathBuf>,
    pub format: Format,
    /// Skip every network check (Key Vault's answers about linked secrets).
    pub offline: bool,
    /// The environment that variables resolve in.
    pub env: Option<String>,
    /// `plaintext-secret` is an error rather than a warning.
    pub strict: bool,
    /// The least severe finding that fails the check (exit 1); `None` is errors only.
    pub severity_threshold: Option<Severity>,
}

/// The files to check: named files as they are, folders walked.
fn collect(paths: &[PathBuf], err: &mut dyn Write) -> Result<Vec<PathBuf>, i32> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_file() {
            files.push(path.clone());
        } else if path.is_dir() {
            let keep = |p: &Path| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(DocKind::is_candidate)
            };
            files.extend(fs::walk(path, keep, |e| {
                let _ = writeln!(err, "vaultlink: skipped: {e}");
            }));
        } else {
            return Err(fail(
                err,
                EXIT_USAGE,
                format!("`{}` does not exist", display_path(path)),
            ));
        }
    }
    Ok(files)
}

pub fn check(opts: &CheckOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let default = [PathBuf::from(".")];
    let paths = if opts.paths.is_empty() {
        &default[..]
    } else {
        &opts.paths[..]
    };
    let files = match collect(paths, err) {
        Ok(f) => f,
        Err(code) => return code,
    };
    let mut ws = DiskWorkspace::default();
    let mut checked_files: Vec<Checked> = Vec::new();
    let mut env_names = BTreeSet::new();
    let (mut checked, mut unreadable) = (0usize, 0usize);
    let mut settings: Option<AzureSettings> = None;
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let explicit = paths.iter().any(|p| p == path);
        let text = match fs::read_text(path) {
            Ok(t) => t,
            Err(e) => {
                // A `.json` file found by walking that cannot be read is probably not ours.
                if DocKind::from_name(name).is_some() || explicit {
                    unreadable += 1;
                    let _ = writeln!(err, "vaultlink: cannot read {}: {e}", display_path(path));
                }
                continue;
            }
        };
        let Some(kind) = DocKind::detect(name, &text) else {
            if explicit {
                return fail(
                    err,
                    EXIT_USAGE,
                    format!(
                        "`{}` is not a file vaultlink reads (.http, .rest, a Postman collection or environment, http-client.env.json, vaultlink.json)",
                        display_path(path)
                    ),
                );
            }
            continue;
        };
        checked += 1;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let links = ws.links_for(dir);
        let mut envs = ws.envs_for(dir, kind);
        for e in &envs {
            env_names.extend(e.parsed.environments.iter().map(|e| e.name.clone()));
        }
        let parsed = Parsed::parse(kind, &text);
        if let Parsed::Http(file) = &parsed {
            envs.extend(names_beside(dir, &text, file));
        }
        let sources = env_sources(&envs);
        let ctx = Context {
            links: links.as_ref().map(|l| &l.parsed),
            envs: &sources,
            env_name: opts.env.as_deref(),
        };
        let mut findings = parsed.analyze(&text, &ctx);
        if opts.strict {
            for f in findings
                .iter_mut()
                .filter(|f| f.code == Code::PlaintextSecret)
            {
                f.severity = Severity::Error;
            }
        }
        let fixes = if opts.format == Format::Sarif {
            let new_links = dir.join(crate::vault::links::FILE_NAME);
            let world = World {
                links: links.as_ref().map(|l| LinksSource {
                    path: &l.path,
                    text: &l.text,
                    file: &l.parsed,
                }),
                new_links_path: Some(&new_links),
                ..World::default()
            };
            let doc = Doc {
                path: Some(path),
                text: &text,
                kind,
                parsed: &parsed,
            };
            findings
                .iter()
                .map(|f| report::quick_fixes(&doc, &world, f))
                .collect()
        } else {
            Vec::new()
        };
        let uses = if opts.offline {
            Vec::new()
        } else {
            if settings.is_none() {
                settings = links.as_ref().map(|l| l.parsed.azure.clone());
            }
            let doc = Doc {
                path: Some(path),
                text: &text,
                kind,
                parsed: &parsed,
            };
            live::linked_uses(&doc, links.as_ref().map(|l| &l.parsed))
        };
        if findings.is_empty() && uses.is_empty() {
            continue;
        }
        checked_files.push(Checked {
            file: display_path(path),
            text,
            findings,
            fixes,
            uses,
        });
    }
    if checked_files.iter().any(|c| !c.uses.is_empty()) {
        online_checks(&mut checked_files, settings.unwrap_or_default(), err);
    }
    let mut rows = Vec::new();
    for c in &mut checked_files {
        let mut fixes = std::mem::take(&mut c.fixes);
        fixes.resize_with(c.findings.len(), Vec::new);
        let mut findings: Vec<(Finding, Vec<Fix>)> = std::mem::take(&mut c.findings)
            .into_iter()
            .zip(fixes)
            .collect();
        findings.sort_by_key(|(f, _)| (f.range.start, f.range.end));
        let index = LineIndex::new(&c.text);
        rows.extend(findings.into_iter().map(|(f, fixes)| Row {
            fixes,
            ..Row::new(&c.file, &c.text, &index, &f)
        }));
    }
    for (path, e) in &ws.unreadable {
        unreadable += 1;
        let _ = writeln!(err, "vaultlink: cannot read {}: {e}", display_path(path));
    }
    if let Some(env) = &opts.env
        && let Some(message) = super::unknown_env(env, env_names.iter().map(String::as_str))
    {
        return fail(err, EXIT_USAGE, message);
    }

    let count = |s: Severity| rows.iter().filter(|r| r.severity == s.as_str()).count();
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let threshold = opts.severity_threshold.unwrap_or(Severity::Error);
    let failing = [
        Severity::Error,
        Severity::Warning,
        Severity::Information,
        Severity::Hint,
    ]
    .into_iter()
    .filter(|s| *s <= threshold)
    .any(|s| count(s) > 0);
    if report::write(opts.format, &rows, out).is_err() {
        return EXIT_USAGE;
    }
    if checked == 0 && unreadable == 0 {
        let shown: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
        let _ = writeln!(
            err,
            "vaultlink: nothing to check in {}: no .http or .rest file, Postman collection or environment, http-client.env.json or vaultlink.json was found",
            shown.join(", ")
        );
        return EXIT_OK;
    }
    let _ = writeln!(
        err,
        "{checked} file{} checked: {errors} error{}, {warnings} warning{}, {} other finding{}",
        plural(checked),
        plural(errors),
        plural(warnings),
        rows.len() - errors - warnings,
        plural(rows.len() - errors - warnings),
    );
    if unreadable > 0 {
        // A file that could not be read was not checked: the check could not run.
        EXIT_USAGE
    } else if failing {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// A file with findings, or with linked secrets to ask Key Vault about.
struct Checked {
    file: String,
    text: String,
    findings: Vec<Finding>,
    /// The quick fixes of each finding (SARIF only), in the order of `findings`.
    fixes: Vec<Vec<Fix>>,
    uses: Vec<LinkedUse>,
}

/// Asks each store about every linked secret it holds, side by side: Key Vault after a
/// sign-in that needs nobody (the environment's service principal, then the Azure CLI),
/// Secrets Manager with the standard AWS credentials chain. A store that cannot be asked is
/// skipped with a note saying how to give credentials; a secret that could not be checked is
/// named on stderr and hides no other.
fn online_checks(files: &mut [Checked], settings: AzureSettings, err: &mut dyn Write) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = writeln!(err, "vaultlink: Key Vault checks skipped: {e}");
            return;
        }
    };
    let providers = Providers::default();
    // The Azure and AWS CLIs are never run from a folder of the files checked.
    providers.set_workspace(
        files
            .iter()
            .filter_map(|f| Path::new(&f.file).parent())
            .filter_map(|p| {
                std::path::absolute(if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                })
                .ok()
            })
            .collect(),
    );
    let app = App {
        tenant: settings.tenant.clone(),
        client_id: settings.client_id.clone(),
        additionally_allowed_tenants: settings.additionally_allowed_tenants.clone(),
    };
    let explicit = settings.tenant_range.is_some();
    let mut ids: Vec<LinkId> = Vec::new();
    for u in files.iter().flat_map(|f| &f.uses) {
        if !ids.iter().any(|i| i == &u.id) {
            ids.push(u.id.clone());
        }
    }
    let uses = |store: Store| ids.iter().any(|i| i.store() == store);
    let answers = runtime.block_on(async {
        if uses(Store::KeyVault)
            && let Err(reasons) = providers.azure.sign_in_silently(&app, explicit).await
        {
            let why: Vec<String> = reasons
                .iter()
                .map(|(m, e)| format!("{}: {e}", m.as_str()))
                .collect();
            let _ = writeln!(
                err,
                "vaultlink: Key Vault checks skipped, not signed in to Azure ({}). Run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET; `--offline` skips these checks.",
                why.join("; ")
            );
        }
        if uses(Store::SecretsManager)
            && let Err(e) = providers.aws.sign_in_silently(true).await
        {
            let _ = writeln!(
                err,
                "vaultlink: Secrets Manager checks skipped ({e}); `--offline` skips these checks."
            );
        }
        futures::future::join_all(ids.iter().map(|id| async {
            if providers.is_signed_in(id.store()) {
                Some(providers.versions(id).await)
            } else {
                None
            }
        }))
        .await
    });
    for (id, answer) in ids.iter().zip(&answers) {
        if let Some(Err(e)) = answer
            && !e.is_answer()
        {
            let _ = writeln!(err, "vaultlink: could not check {id}: {e}");
        }
    }
    let answers = Answers { ids: &ids, answers };
    let now = jiff::Timestamp::now().as_second();
    for f in files.iter_mut() {
        let (found, _) = live::findings(&f.uses, &answers, now);
        f.findings.extend(found);
    }
}

/// Each store's answer for each secret, as this run got them.
struct Answers<'a> {
    ids: &'a [LinkId],
    answers: Vec<Option<Result<Arc<SecretVersions>, Failure>>>,
}

impl SecretsView for Answers<'_> {
    fn signed_in(&self, _: Store) -> bool {
        true
    }
    fn versions(&self, id: &LinkId) -> Option<Result<Arc<SecretVersions>, Failure>> {
        let i = self.ids.iter().position(|i| i == id)?;
        self.answers[i].clone()
    }
    fn secret_names(&self, _: &str) -> Option<Arc<Vec<String>>> {
        None
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}
