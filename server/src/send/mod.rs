//! Sending requests with their secrets (SPEC §5 `send`, §6 `vaultlink.sendRequest`, §8).
//!
//! [`plan`] resolves everything but the secrets; [`prepare`] checks that every secret is
//! linked and may go to the request's host — before anything is fetched — then fetches the
//! values side by side and builds the concrete request; [`run`] sends it; [`redact`] masks
//! the values in everything shown afterwards. Values live in memory only, for the length of
//! the request (and the session's cache).

mod connect;
pub mod dynamics;
pub mod plan;
pub mod redact;
pub mod run;
pub mod user_secrets;

use std::collections::HashMap;

use secrecy::{ExposeSecret, SecretString};

use crate::providers::Providers;
use crate::syntax::refs::{self, RefKind};
use crate::vault::identifier::{LinkId, Store};
use crate::vault::links::LinksFile;
use crate::vault::target;
use plan::{BASIC_PREFIX, EarlierResponse, EnvSecretSource, Plan, PlanBody, basic_value};
use redact::{MASK, Redactor};
use run::Concrete;

/// The request as shown to the user: secrets masked.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Shown {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// Checks where the request goes before anything is fetched: its URL must read as it is
/// sent (see [`target`]); every secret must be linked to a valid identifier and allowed on
/// the URL's host by its `allowedDomains`, and so must every secret that reaches the
/// request through an earlier response; a request carrying any of them keeps the URL's
/// host in its `Host` header. Nothing has been fetched when this fails.
pub fn check_secrets(plan: &Plan, links: Option<&LinksFile>) -> Result<(), String> {
    let masked_url = mask_refs(&plan.url);
    let target = target::read(&masked_url);
    let refused = |why: String| Err(format!("{} was not sent: {why}", plan.label));
    if let Some(why) = target.misread {
        return refused(why);
    }
    if plan.secrets.is_empty() && plan.tainted.is_empty() {
        return Ok(());
    }
    let host = target.host.as_deref();
    if host.is_some_and(|h| h.contains(MASK)) {
        return refused(
            "a `{{vault:…}}` reference is part of the URL's host; a secret is never sent as a host name"
                .to_owned(),
        );
    }
    let mut problems = Vec::new();
    let not_allowed = |name: &str, h: &str, via: Option<&str>| {
        let through = via
            .map(|v| {
                format!(
                    " (it reaches this request through the response to `{v}`, which carried it)"
                )
            })
            .unwrap_or_default();
        format!(
            "the secret `{name}`{through} may not be sent to `{h}`: its allowedDomains in vaultlink.json do not include it (domain-not-allowed)"
        )
    };
    let carried = plan.secrets.iter().map(|s| (s.as_str(), None)).chain(
        plan.tainted
            .iter()
            .map(|t| (t.secret.as_str(), Some(t.via.as_str()))),
    );
    for (name, via) in carried {
        if via.is_none()
            && let Some(entry) = plan.entries.iter().find(|e| e.name == *name)
        {
            // An environment entry has no allowedDomains: it may go to any host, unless
            // vaultlink.json links the same secret, whose allowedDomains then hold.
            let link = match &entry.source {
                EnvSecretSource::KeyVault(id) => links.and_then(|l| {
                    l.secrets
                        .iter()
                        .find(|s| s.secret_id().is_some_and(|i| i.same_secret(id)))
                }),
                EnvSecretSource::UserSecret { .. } => None,
            };
            if let Some(link) = link.filter(|l| !l.allowed_domains.is_empty())
                && !host.is_some_and(|h| link.allows_host(h))
            {
                problems.push(format!(
                    "the secret of `{{{{{}}}}}` is linked in vaultlink.json as `{}`, whose allowedDomains do not include the host of `{masked_url}` (domain-not-allowed)",
                    entry.variable, link.name
                ));
            }
            continue;
        }
        let Some(link) = links.and_then(|l| l.get(name)) else {
            // A tainting secret that vaultlink.json does not link came from an environment
            // entry, which has no allowedDomains.
            if via.is_none() {
                problems.push(format!(
                    "`{{{{vault:{name}}}}}` is not linked: run `vaultlink link {name} <identifier>` or add it to vaultlink.json"
                ));
            }
            continue;
        };
        if via.is_none() && link.link_id().is_none() {
            problems.push(format!(
                "the link of `{name}` in vaultlink.json is not a valid Key Vault or Secrets Manager secret identifier"
            ));
            continue;
        }
        match host {
            Some(h) if !link.allows_host(h) => problems.push(not_allowed(name, h, via)),
            None if !link.allowed_domains.is_empty() => problems.push(format!(
                "the secret `{name}` is limited to its allowedDomains, and the host of `{masked_url}` cannot be read"
            )),
            _ => {}
        }
    }
    if let Some(h) = host {
        for (n, v) in &plan.headers {
            if n.eq_ignore_ascii_case("host") && host_header_name(&mask_refs(v)) != h {
                problems.push(format!(
                    "its `Host` header names `{}`, another host than the URL's `{h}`; a request carrying a secret goes only with its URL's own host: remove the header",
                    mask_refs(v).trim()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        refused(problems.join("; "))
    }
}

/// The host a `Host` header names, in the form [`target::read`] gives.
fn host_header_name(value: &str) -> String {
    target::read(&format!("http://{}/", value.trim()))
        .host
        .unwrap_or_else(|| value.trim().to_ascii_lowercase())
}

/// `{{vault:NAME}}` references shown as `***`.
pub fn mask_refs(text: &str) -> String {
    replace_refs(text, |_| Some(MASK.to_owned()))
}

fn replace_refs(text: &str, mut value: impl FnMut(&str) -> Option<String>) -> String {
    refs::rewrite(text, |r| match r.kind {
        RefKind::Vault { name } => value(name.slice(text)),
        _ => None,
    })
    .into_owned()
}

/// The plan as it would be sent, secrets masked (`--dry-run`, and the echo of a request).
pub fn shown(plan: &Plan) -> Shown {
    Shown {
        method: plan.method.clone(),
        url: mask_refs(&plan.url),
        headers: plan
            .headers
            .iter()
            .map(|(n, v)| {
                let v = match v.strip_prefix(BASIC_PREFIX) {
                    Some(c) if c.contains("{{vault:") => format!("Basic {MASK}"),
                    Some(c) => basic_value(c),
                    None => mask_refs(v),
                };
                (n.clone(), v)
            })
            .collect(),
        body: plan.body.as_ref().map(|b| match b {
            PlanBody::Text(t) => mask_refs(t),
            PlanBody::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        }),
    }
}

/// The stores the plan's secrets are in: each needs credentials before a send.
pub fn stores_needed(plan: &Plan, links: Option<&LinksFile>) -> Vec<Store> {
    let mut out = Vec::new();
    for n in &plan.secrets {
        let store = match plan.entries.iter().find(|e| e.name == *n) {
            Some(e) => match e.source {
                EnvSecretSource::KeyVault(_) => Some(Store::KeyVault),
                EnvSecretSource::UserSecret { .. } => None,
            },
            None => links
                .and_then(|l| l.get(n))
                .and_then(|l| l.link_id())
                .map(LinkId::store),
        };
        if let Some(s) = store
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    out
}

/// Fetches the plan's secrets side by side (the caller has signed in and run
/// [`check_secrets`]); every value is added to `redactor`.
pub async fn fetch_secrets(
    plan: &Plan,
    links: Option<&LinksFile>,
    providers: &Providers,
    redactor: &mut Redactor,
) -> Result<HashMap<String, SecretString>, String> {
    let mut ids: Vec<_> = plan
        .secrets
        .iter()
        .filter(|n| !plan.entries.iter().any(|e| e.name == **n))
        .filter_map(|n| Some((n.clone(), links?.get(n)?.link_id()?.clone())))
        .collect();
    let mut values = HashMap::new();
    let mut problems = Vec::new();
    for entry in &plan.entries {
        match &entry.source {
            EnvSecretSource::KeyVault(id) => {
                ids.push((entry.name.clone(), LinkId::KeyVault(id.clone())))
            }
            EnvSecretSource::UserSecret { key, dir } => {
                let home = std::env::var_os(if cfg!(windows) { "APPDATA" } else { "HOME" });
                let read = match home {
                    Some(home) => user_secrets::read(dir, key, std::path::Path::new(&home)),
                    None => Err("the home folder is not known".to_owned()),
                };
                match read {
                    Ok(v) => {
                        redactor.add(v.expose_secret());
                        values.insert(entry.name.clone(), v);
                    }
                    Err(e) => problems.push(format!("`{{{{{}}}}}`: {e}", entry.variable)),
                }
            }
        }
    }
    let answers = futures::future::join_all(ids.iter().map(|(_, id)| providers.value(id))).await;
    for ((name, id), answer) in ids.into_iter().zip(answers) {
        match answer {
            Ok(v) => {
                redactor.add(v.expose_secret());
                values.insert(name, v);
            }
            Err(e) => problems.push(format!("`{name}` ({id}): {e}")),
        }
    }
    if problems.is_empty() {
        Ok(values)
    } else {
        Err(format!(
            "{} was not sent: could not get {}",
            plan.label,
            problems.join("; ")
        ))
    }
}

/// The concrete request: references replaced by their values, Basic credentials encoded,
/// the URL parsed (non-ASCII encoded once).
pub fn concrete(
    plan: &Plan,
    values: &HashMap<String, SecretString>,
    redactor: &mut Redactor,
) -> Result<Concrete, String> {
    let fill = |text: &str| {
        replace_refs(text, |n| {
            values.get(n).map(|v| v.expose_secret().to_owned())
        })
    };
    let carries_secret = !values.is_empty();
    let url_text = fill(&plan.url);
    let url = url::Url::parse(&url_text).map_err(|e| {
        format!(
            "{}: `{}` is not a URL ({e})",
            plan.label,
            mask_refs(&plan.url)
        )
    })?;
    // The host checked before the values were known is the host the request goes to.
    if carries_secret && target::host_of_url(&url) != target::read(&mask_refs(&plan.url)).host {
        return Err(format!(
            "{}: the value of a secret changes the host of `{}`; it was not sent",
            plan.label,
            mask_refs(&plan.url)
        ));
    }
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{}: only http and https URLs can be sent",
            plan.label
        ));
    }
    let method = reqwest::Method::from_bytes(plan.method.as_bytes())
        .map_err(|_| format!("{}: `{}` is not an HTTP method", plan.label, plan.method))?;
    let mut headers = Vec::new();
    for (n, v) in &plan.headers {
        let value = match v.strip_prefix(BASIC_PREFIX) {
            Some(credentials) => {
                let credentials = fill(credentials);
                if carries_secret {
                    redactor.add_basic(&credentials);
                }
                basic_value(&credentials)
            }
            None => normalize_basic(n, &fill(v), redactor, carries_secret),
        };
        headers.push((n.clone(), value));
    }
    let body = plan.body.as_ref().map(|b| match b {
        PlanBody::Text(t) => fill(t).into_bytes(),
        PlanBody::Bytes(b) => b.clone(),
    });
    let masked_url = mask_refs(&plan.url);
    let shown_url = url::Url::parse(&masked_url).map_or(masked_url, |u| u.to_string());
    Ok(Concrete {
        method,
        url,
        shown_url,
        headers,
        body,
        carries_secret,
    })
}

/// `Authorization: Basic user password` and `Basic user:password` (as JetBrains and REST
/// Client write them) are encoded; an encoded credential is left alone.
fn normalize_basic(name: &str, value: &str, redactor: &mut Redactor, secret: bool) -> String {
    if !name.eq_ignore_ascii_case("authorization") {
        return value.to_owned();
    }
    let Some(rest) = value.strip_prefix("Basic ").map(str::trim) else {
        return value.to_owned();
    };
    let credentials = match rest.split_once(' ') {
        Some((user, password)) => format!("{user}:{}", password.trim()),
        None if rest.contains(':') => rest.to_owned(),
        None => return value.to_owned(),
    };
    if secret {
        redactor.add_basic(&credentials);
    }
    basic_value(&credentials)
}

/// A request of a document, for choosing which to send.
#[derive(Clone, Debug)]
pub struct Listed {
    /// 0-based.
    pub index: usize,
    pub name: Option<String>,
    /// The whole request, for `line:N` and an editor's position.
    pub range: crate::text::TextRange,
    /// Where a "Send" lens goes: the request line, or the item's name.
    pub anchor: crate::text::TextRange,
}

/// The requests of a parsed `.http` file or collection, in file order.
pub fn requests(text: &str, parsed: &crate::vault::document::Parsed) -> Vec<Listed> {
    use crate::vault::document::Parsed;
    match parsed {
        Parsed::Http(file) => file
            .requests
            .iter()
            .enumerate()
            .map(|(index, r)| Listed {
                index,
                name: r.name.map(|n| n.slice(text).to_owned()),
                range: r.range,
                anchor: r.request_line,
            })
            .collect(),
        Parsed::Collection(coll) => coll
            .requests()
            .into_iter()
            .enumerate()
            .map(|(index, (item, _))| Listed {
                index,
                name: Some(item.path.clone()),
                range: item.range,
                anchor: item.name.as_ref().map_or(item.range, |n| n.range),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The plan of request `index` of a document.
pub fn plan_request(inputs: &plan::Inputs<'_>, index: usize) -> Result<Plan, plan::PlanError> {
    use crate::vault::document::Parsed;
    match inputs.doc.parsed {
        Parsed::Http(file) => plan::http_plan(inputs, file, index),
        Parsed::Collection(coll) => {
            let all = coll.requests();
            let (item, req) = all[index];
            plan::collection_plan(inputs, coll, item, req)
        }
        _ => Err(plan::PlanError("this file has no requests".to_owned())),
    }
}

/// A response kept for later requests (`{{name.response.body…}}`): masked, as everything
/// shown is, and tainted with the secrets its request carried.
pub fn remember(plan: &Plan, response: &run::Response, redactor: &Redactor) -> EarlierResponse {
    EarlierResponse {
        headers: response
            .headers
            .iter()
            .map(|(n, v)| (n.clone(), redactor.redact(v).into_owned()))
            .collect(),
        body: redactor
            .redact(&String::from_utf8_lossy(&response.body))
            .into_owned(),
        secrets: plan.carried(),
    }
}

/// The body as shown: pretty JSON when the content type says JSON, text when it is text,
/// else base64 (flagged). Secrets masked in every case.
pub fn body_for_display(response: &run::Response, redactor: &Redactor) -> (String, bool) {
    let body = redactor.redact_bytes(&response.body);
    let content_type = response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    match std::str::from_utf8(&body) {
        Ok(text) => {
            if content_type.contains("json")
                && let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
                && let Ok(pretty) = serde_json::to_string_pretty(&v)
            {
                // Pretty-printing can re-escape a value; mask again.
                return (redactor.redact(&pretty).into_owned(), false);
            }
            (text.to_owned(), false)
        }
        Err(_) => {
            use base64::Engine as _;
            (
                base64::engine::general_purpose::STANDARD.encode(&body),
                true,
            )
        }
    }
}

/// A response as `--json` and `vaultlink.sendRequest` give it: `{status, statusText, headers,
/// body, bodyEncoding, elapsedMs}`, secrets masked.
pub fn response_json(response: &run::Response, redactor: &Redactor) -> serde_json::Value {
    let (body, binary) = body_for_display(response, redactor);
    let headers: Vec<serde_json::Value> = response
        .headers
        .iter()
        .map(|(n, v)| serde_json::json!([n, redactor.redact(v)]))
        .collect();
    serde_json::json!({
        "status": response.status,
        "statusText": response.status_text,
        "headers": headers,
        "body": body,
        "bodyEncoding": if binary { "base64" } else { "utf-8" },
        "elapsedMs": response.elapsed.as_millis() as u64,
    })
}
