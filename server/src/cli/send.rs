//! `vaultlink send`: plans the chosen requests, checks where their secrets may go, signs in
//! when a secret is needed, fetches the values, sends the requests over one connection pool
//! in file order, and prints the responses with every secret value masked.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::future::BoxFuture;

use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, display_path, fail};
use crate::azure::{App, Azure, Interaction, Method};
use crate::providers::Providers;
use crate::send::dynamics::SystemDynamics;
use crate::send::plan::{EarlierResponse, Inputs};
use crate::send::redact::Redactor;
use crate::send::{self, Listed, run};
use crate::text::LineIndex;
use crate::vault::document::Parsed;
use crate::vault::features::{Doc, EnvFileSource, LinksSource, World};
use crate::vault::identifier::Store;
use crate::workspace::DiskWorkspace;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Credential {
    #[default]
    Auto,
    Method(Method),
}

#[derive(Clone, Debug, Default)]
pub struct SendOptions {
    pub file: PathBuf,
    /// `--request`: 1-based indexes, request names, or `line:N`, in the order to send.
    pub request: Vec<String>,
    pub all: bool,
    pub env: Option<String>,
    pub json: bool,
    pub dry_run: bool,
    pub credential: Credential,
    pub timeout: Option<u64>,
}

/// The terminal as the sign-in's window: the page or the code on stderr.
struct Terminal;

impl Interaction for Terminal {
    fn open_page<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            eprintln!("vaultlink: open this page to sign in to Azure:\n  {url}");
            let opener = if cfg!(target_os = "macos") {
                "open"
            } else {
                "xdg-open"
            };
            let _ = std::process::Command::new(opener)
                .arg(url)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn();
            Ok(())
        })
    }

    fn show_device_code<'a>(&'a self, message: &'a str) -> BoxFuture<'a, ()> {
        Box::pin(async move { eprintln!("vaultlink: {message}") })
    }
}

/// Which requests `--request`/`--all` choose.
fn select(listed: &[Listed], text: &str, opts: &SendOptions) -> Result<Vec<usize>, String> {
    if opts.all {
        return Ok(listed.iter().map(|l| l.index).collect());
    }
    if opts.request.is_empty() {
        return match listed.len() {
            1 => Ok(vec![0]),
            0 => Err("the file has no requests".to_owned()),
            n => Err(format!(
                "the file has {n} requests: choose one with --request (an index, a name or line:N), or send them all with --all"
            )),
        };
    }
    let mut chosen = Vec::new();
    for sel in &opts.request {
        for index in select_one(listed, text, sel)? {
            if !chosen.contains(&index) {
                chosen.push(index);
            }
        }
    }
    Ok(chosen)
}

fn select_one(listed: &[Listed], text: &str, sel: &str) -> Result<Vec<usize>, String> {
    if let Some(line) = sel.strip_prefix("line:") {
        let line: u32 = line
            .trim()
            .parse()
            .map_err(|_| format!("`{sel}`: line:N takes a line number"))?;
        let index = LineIndex::new(text);
        let hit = listed.iter().find(|l| {
            let first = index
                .line_col(text, l.range.start, crate::text::Encoding::Utf8)
                .line
                + 1;
            let last = index
                .line_col(text, l.range.end, crate::text::Encoding::Utf8)
                .line
                + 1;
            first <= line && line <= last
        });
        return hit
            .map(|l| vec![l.index])
            .ok_or_else(|| format!("no request contains line {line}"));
    }
    if let Ok(n) = sel.parse::<usize>() {
        return if n >= 1 && n <= listed.len() {
            Ok(vec![n - 1])
        } else {
            Err(format!(
                "there is no request {n}: the file has {} requests",
                listed.len()
            ))
        };
    }
    listed
        .iter()
        .find(|l| l.name.as_deref() == Some(sel))
        .map(|l| vec![l.index])
        .ok_or_else(|| {
            let names: Vec<&str> = listed.iter().filter_map(|l| l.name.as_deref()).collect();
            if names.is_empty() {
                format!("no request is named `{sel}`")
            } else {
                format!(
                    "no request is named `{sel}`; the names are: {}",
                    names.join(", ")
                )
            }
        })
}

pub fn send(opts: &SendOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let shown = display_path(&opts.file);
    let (text, kind) = match super::read_request_file(&opts.file, err) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let parsed = Parsed::parse(kind, &text);
    let listed = send::requests(&text, &parsed);
    let chosen = match select(&listed, &text, opts) {
        Ok(c) => c,
        Err(e) => return fail(err, EXIT_USAGE, format!("{shown}: {e}")),
    };
    let dir = opts
        .file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let mut ws = DiskWorkspace::default();
    let links = ws.links_for(&dir);
    if let Some(l) = &links
        && let Some(code) = super::broken_links(&l.path, &l.text, "nothing was sent", err)
    {
        return code;
    }
    let envs = ws.envs_for(&dir, kind);
    if let Some(env) = &opts.env
        && let Some(message) = super::unknown_env(
            env,
            envs.iter()
                .flat_map(|e| e.parsed.environments.iter().map(|e| e.name.as_str())),
        )
    {
        return fail(err, EXIT_USAGE, message);
    }
    let env_sources: Vec<EnvFileSource<'_>> = envs
        .iter()
        .map(|e| EnvFileSource {
            path: &e.path,
            text: &e.text,
            file: &e.parsed,
        })
        .collect();
    let world = World {
        links: links.as_ref().map(|l| LinksSource {
            path: &l.path,
            text: &l.text,
            file: &l.parsed,
        }),
        envs: &env_sources,
        env_name: opts.env.as_deref(),
        ..World::default()
    };
    let links_file = links.as_ref().map(|l| &l.parsed);
    let doc = Doc {
        path: Some(&opts.file),
        text: &text,
        kind,
        parsed: &parsed,
    };
    let dynamics = SystemDynamics {
        dir: Some(dir.clone()),
    };
    let read_file = |p: &Path| std::fs::read(p);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(err, EXIT_FAILED, format!("cannot start: {e}")),
    };
    let timeout = Duration::from_secs(opts.timeout.unwrap_or(30).max(1));
    let client = run::client(timeout);
    let providers = Providers::default();
    let azure = &*providers.azure;
    // The Azure and AWS CLIs are never run from the request's folder or its links file's.
    providers.set_workspace(
        std::iter::once(dir.clone())
            .chain(
                links
                    .as_ref()
                    .and_then(|l| l.path.parent().map(Path::to_path_buf)),
            )
            .filter_map(|p| std::path::absolute(p).ok())
            .collect(),
    );
    let settings = links_file.map(|l| l.azure.clone()).unwrap_or_default();
    let app = App {
        tenant: settings.tenant.clone(),
        client_id: settings.client_id.clone(),
        additionally_allowed_tenants: settings.additionally_allowed_tenants.clone(),
    };
    let explicit = settings.tenant_range.is_some();
    let mut redactor = Redactor::default();
    redactor.add_credentials(|v| std::env::var(v).ok());
    let mut responses: HashMap<String, EarlierResponse> = HashMap::new();
    let mut failed = false;
    let several = chosen.len() > 1;
    let runtime_names: Vec<String> = match &parsed {
        Parsed::Http(file) => crate::workspace::runtime_names(&dir, &text, file),
        _ => Vec::new(),
    };
    for index in chosen {
        let inputs = Inputs {
            doc,
            world,
            dynamics: &dynamics,
            responses: &responses,
            read_file: &read_file,
            runtime_names: &runtime_names,
        };
        let plan = match send::plan_request(&inputs, index) {
            Ok(p) => p,
            Err(e) => {
                failed = true;
                report(
                    out,
                    err,
                    opts.json,
                    &listed_label(&listed, index),
                    &redactor.redact(&e.0),
                );
                continue;
            }
        };
        if let Err(e) = send::check_secrets(&plan, links_file) {
            failed = true;
            report(out, err, opts.json, &plan.label, &redactor.redact(&e));
            continue;
        }
        if opts.dry_run {
            print_dry_run(out, &send::shown(&plan), &plan.label, several, opts.json);
            continue;
        }
        let result = runtime.block_on(async {
            let values = if plan.secrets.is_empty() {
                HashMap::new()
            } else {
                let stores = send::stores_needed(&plan, links_file);
                if stores.contains(&Store::KeyVault) && !azure.is_signed_in() {
                    sign_in(azure, opts.credential, &app, explicit).await?;
                }
                if stores.contains(&Store::SecretsManager) && !providers.aws.is_signed_in() {
                    providers
                        .aws
                        .sign_in_silently(true)
                        .await
                        .map_err(|e| format!("{}: {e}", plan.label))?;
                    for s in providers.credential_secrets() {
                        redactor.add(&s);
                    }
                }
                send::fetch_secrets(&plan, links_file, &providers, &mut redactor).await?
            };
            let concrete = send::concrete(&plan, &values, &mut redactor)?;
            let echo = (concrete.method.to_string(), concrete.shown_url.clone());
            run::execute(&client, concrete)
                .await
                .map(|r| (echo, r))
                .map_err(|e| format!("{}: {e}", plan.label))
        });
        match result {
            Ok(((method, url), response)) => {
                if let Some(name) = &plan.name {
                    responses.insert(name.clone(), send::remember(&plan, &response, &redactor));
                }
                if let Some(note) = &response.redirect_refused {
                    let _ = writeln!(err, "vaultlink: {}: {note}", plan.label);
                }
                let heading = several
                    .then(|| format!("### {} — {} {}", plan.label, method, redactor.redact(&url)));
                print_response(
                    out,
                    &response,
                    &redactor,
                    heading.as_deref(),
                    &plan.label,
                    opts.json,
                );
                // The timing goes to stderr, so that stdout is the response alone.
                if !opts.json {
                    let _ = writeln!(
                        err,
                        "vaultlink: {}: {} {} in {} ms",
                        plan.label,
                        response.status,
                        response.status_text,
                        response.elapsed.as_millis()
                    );
                }
            }
            Err(e) => {
                failed = true;
                report(out, err, opts.json, &plan.label, &redactor.redact(&e));
            }
        }
    }
    if failed { EXIT_FAILED } else { EXIT_OK }
}

fn listed_label(listed: &[Listed], index: usize) -> String {
    match &listed[index].name {
        Some(n) => format!("#{} {n:?}", index + 1),
        None => format!("#{}", index + 1),
    }
}

async fn sign_in(
    azure: &Azure,
    credential: Credential,
    app: &App,
    explicit: bool,
) -> Result<(), String> {
    let ui = Terminal;
    let result = match credential {
        Credential::Method(m) => azure
            .sign_in(m, app, explicit, &ui)
            .await
            .map_err(|e| e.to_string()),
        Credential::Auto => match azure.sign_in_silently(app, explicit).await {
            Ok(s) => Ok(s),
            Err(reasons) => {
                if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
                    azure
                        .sign_in(Method::DeviceCode, app, explicit, &ui)
                        .await
                        .map_err(|e| e.to_string())
                } else {
                    let why: Vec<String> = reasons
                        .iter()
                        .map(|(m, e)| format!("{}: {e}", m.as_str()))
                        .collect();
                    Err(format!(
                        "not signed in to Azure ({}): run `az login`, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or pass --credential browser|device-code",
                        why.join("; ")
                    ))
                }
            }
        },
    };
    result.map(|_| ())
}

fn report(out: &mut dyn Write, err: &mut dyn Write, json: bool, label: &str, message: &str) {
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::json!({ "request": label, "error": message })
        );
    }
    let message = if message.starts_with(label) {
        message.to_owned()
    } else {
        format!("{label}: {message}")
    };
    let _ = writeln!(err, "vaultlink: {message}");
}

fn print_dry_run(out: &mut dyn Write, shown: &send::Shown, label: &str, several: bool, json: bool) {
    if json {
        let _ = writeln!(
            out,
            "{}",
            serde_json::json!({ "request": label, "method": shown.method, "url": shown.url, "headers": shown.headers, "body": shown.body })
        );
        return;
    }
    if several {
        let _ = writeln!(out, "### {label}");
    }
    let _ = writeln!(out, "{} {}", shown.method, shown.url);
    for (n, v) in &shown.headers {
        let _ = writeln!(out, "{n}: {v}");
    }
    if let Some(b) = &shown.body {
        let _ = writeln!(out, "\n{}", b.trim_end());
    }
    if several {
        let _ = writeln!(out);
    }
}

fn print_response(
    out: &mut dyn Write,
    response: &run::Response,
    redactor: &Redactor,
    heading: Option<&str>,
    label: &str,
    json: bool,
) {
    if json {
        let mut v = send::response_json(response, redactor);
        v["request"] = serde_json::json!(label);
        let _ = writeln!(out, "{v}");
        return;
    }
    let (body, binary) = send::body_for_display(response, redactor);
    if let Some(h) = heading {
        let _ = writeln!(out, "{h}");
    }
    let _ = writeln!(
        out,
        "{} {} {}",
        response.version, response.status, response.status_text
    );
    for (n, v) in &response.headers {
        let _ = writeln!(out, "{n}: {}", redactor.redact(v));
    }
    let _ = writeln!(out);
    if binary {
        let _ = writeln!(out, "<{} bytes of binary data>", response.body.len());
    } else if !body.is_empty() {
        let _ = writeln!(out, "{}", body.trim_end());
    }
    if heading.is_some() {
        let _ = writeln!(out);
    }
}
