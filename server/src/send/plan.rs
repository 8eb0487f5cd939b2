//! The request to send, from a request in an `.http` file or a collection item: variables
//! resolved (file, environment, collection and folder variables, dynamic variables, earlier
//! responses), multi-line targets joined, bodies built (text, `< file`, collection body
//! modes) and collection `auth` applied. Vault references stay as `{{vault:NAME}}` in the
//! plan and are listed, so that secrets are fetched only once the plan holds and the host is
//! known to be allowed.
//!
//! Pure: dynamic values, files and earlier responses come through [`Inputs`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;

use crate::syntax::env::{ENCRYPTED, USER_SECRETS};
use crate::syntax::http;
use crate::syntax::json::JsonString;
use crate::syntax::postman::{Auth, Body, Collection, Item, KeyValue, Request as PmRequest};
use crate::syntax::refs::{self, RefKind};
use crate::vault::features::vars::{self, Source, VarValue};
use crate::vault::features::{Doc, World};
use crate::vault::identifier::SecretId;

/// A request ready to send once its secrets are known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// How the request is named in output: `#2 login`, `Folder/Item`.
    pub label: String,
    pub method: String,
    /// The URL, `{{vault:NAME}}` references left in place.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<PlanBody>,
    /// The vault reference names used, in order of first use.
    pub secrets: Vec<String>,
    /// The request's name, for later requests that read its response.
    pub name: Option<String>,
    /// Secrets that reach this request through earlier responses: a value read from the
    /// response to a request that carried a secret may go only where that secret may go.
    pub tainted: Vec<Taint>,
    /// The secrets of Visual Studio's environment entries that the request uses: each one's
    /// `{{vault:…}}` reference in the plan (listed in `secrets` too) and where it comes from.
    pub entries: Vec<EnvSecret>,
}

/// A secret that went out with an earlier request whose response this request reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taint {
    pub secret: String,
    /// The earlier request's name.
    pub via: String,
}

impl Plan {
    /// Every secret this request carries, directly or through earlier responses: what its
    /// own response is tainted with.
    pub fn carried(&self) -> Vec<String> {
        let mut all = self.secrets.clone();
        for t in &self.tainted {
            if !all.contains(&t.secret) {
                all.push(t.secret.clone());
            }
        }
        all
    }

    /// Whether a secret of the plan is in Key Vault (a sign-in is needed to send it).
    pub fn needs_key_vault(&self) -> bool {
        self.secrets.iter().any(|n| {
            self.entries
                .iter()
                .find(|e| e.name == *n)
                .is_none_or(|e| matches!(e.source, EnvSecretSource::KeyVault(_)))
        })
    }
}

/// A secret an environment entry names (Visual Studio's `provider` entries).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvSecret {
    /// The reference name it takes in the plan: `vs-env.<variable>`.
    pub name: String,
    /// The environment variable, for messages.
    pub variable: String,
    pub source: EnvSecretSource,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvSecretSource {
    /// `{"provider": "AzureKeyVault", "secretName", "resourceId"}`: the secret it names, in
    /// the public cloud's `<vault>.vault.azure.net`.
    KeyVault(SecretId),
    /// `{"provider": "AspnetUserSecrets", "secretName": key}`: `key` in the user secrets of
    /// the project found from `dir` (the environment file's folder) upwards.
    UserSecret { key: String, dir: PathBuf },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlanBody {
    /// Text, `{{vault:NAME}}` references left in place.
    Text(String),
    /// Bytes sent as they are (a file body).
    Bytes(Vec<u8>),
}

/// Why a request cannot be sent; the message names what to fix.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PlanError(pub String);

/// The response of an earlier request, for `{{name.response.body.…}}`.
#[derive(Clone, Debug, Default)]
pub struct EarlierResponse {
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The secrets the request carried (see [`Plan::carried`]).
    pub secrets: Vec<String>,
}

/// Dynamic variables (`{{$uuid}}`, `{{$randomInt 1 10}}`): `name` without the `$`, and the
/// text after it.
pub trait Dynamics {
    fn value(&self, name: &str, args: &str) -> Result<String, String>;
}

/// Environment variables that hold the credentials vaultlink and the cloud SDKs sign in
/// with. `{{$processEnv NAME}}` and `{{$dotenv NAME}}` refuse them, and their values are
/// masked in everything shown, like secrets fetched from Key Vault.
pub const CREDENTIAL_VARS: [&str; 10] = [
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN",
    "IDENTITY_HEADER",
    "MSI_SECRET",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

/// The credential variable `args` (of `$processEnv`/`$dotenv`) names, if it names one.
/// Case does not matter: on Windows `azure_client_secret` is the same variable.
fn credential_var(args: &str) -> Option<&'static str> {
    let var = args.trim().trim_start_matches('%');
    CREDENTIAL_VARS
        .into_iter()
        .find(|c| c.eq_ignore_ascii_case(var))
}

/// What a plan may read besides the document.
pub struct Inputs<'a> {
    pub doc: Doc<'a>,
    pub world: World<'a>,
    pub dynamics: &'a dyn Dynamics,
    /// Responses of requests sent earlier in this run, by request name.
    pub responses: &'a HashMap<String, EarlierResponse>,
    /// Reads a file a body names (relative paths are resolved against the document's folder
    /// before this is called).
    pub read_file: &'a dyn Fn(&Path) -> std::io::Result<Vec<u8>>,
}

/// How deep variables may refer to other variables.
const MAX_DEPTH: usize = 10;

/// Collects what a plan is missing, to name all of it at once.
#[derive(Default)]
struct Problems {
    undefined: Vec<String>,
    env_only: Vec<(String, Vec<String>)>,
    other: Vec<String>,
}

impl Problems {
    fn into_result(self, label: &str) -> Result<(), PlanError> {
        let mut parts = Vec::new();
        if !self.undefined.is_empty() {
            let names: Vec<String> = self.undefined.iter().map(|n| format!("`{n}`")).collect();
            parts.push(format!(
                "undefined variable{} {}: define {} in the file (`@name = value`), an environment or the collection",
                if names.len() == 1 { "" } else { "s" },
                names.join(", "),
                if names.len() == 1 { "it" } else { "them" },
            ));
        }
        for (name, envs) in &self.env_only {
            parts.push(format!(
                "`{name}` is defined only in the environment{} {}: choose one with --env",
                if envs.len() == 1 { "" } else { "s" },
                envs.join(", ")
            ));
        }
        parts.extend(self.other);
        if parts.is_empty() {
            Ok(())
        } else {
            Err(PlanError(format!(
                "{label} cannot be sent: {}",
                parts.join("; ")
            )))
        }
    }
}

struct Resolver<'i, 'a> {
    inputs: &'i Inputs<'a>,
    /// Where the request is, for the variables in scope.
    offset: u32,
    secrets: Vec<String>,
    tainted: Vec<Taint>,
    entries: Vec<EnvSecret>,
    problems: Problems,
    /// Variables already resolved, each once however often it is used.
    values: HashMap<String, Option<String>>,
    /// The variables being resolved, outermost first: one met again is a cycle.
    resolving: Vec<String>,
}

/// The most text the variables of one value may expand to.
const MAX_RESOLVED_LEN: usize = 1 << 20;

impl Resolver<'_, '_> {
    /// `text` with every variable and dynamic variable replaced; vault references kept.
    fn resolve(&mut self, text: &str, depth: usize) -> String {
        let (mut grown, mut too_long) = (0usize, false);
        let out = refs::rewrite(text, |r| {
            let whole = r.range.slice(text);
            match r.kind {
                RefKind::Vault { name } => {
                    self.use_secret(name.slice(text));
                    None
                }
                RefKind::DynamicVault { name } => {
                    let resolved = self.resolve(name.slice(text), depth + 1);
                    match refs::name_problem(&resolved) {
                        None => {
                            self.use_secret(&resolved);
                            Some(format!("{{{{vault:{resolved}}}}}"))
                        }
                        Some(p) => {
                            self.problems
                                .other
                                .push(format!("`{whole}` resolves to `{resolved}`: {p}"));
                            Some(String::new())
                        }
                    }
                }
                RefKind::InvalidVault { message } => {
                    self.problems.other.push(format!("`{whole}`: {message}"));
                    Some(String::new())
                }
                RefKind::Variable { name } => {
                    let value = self.variable(name.slice(text), depth).unwrap_or_default();
                    grown += value.len();
                    too_long |= grown > MAX_RESOLVED_LEN;
                    Some(if too_long { String::new() } else { value })
                }
                RefKind::Dynamic { name } => {
                    let word = name.slice(text).trim_start_matches('$');
                    let args = text[name.end as usize..r.range.end as usize]
                        .trim_end_matches('}')
                        .trim();
                    if matches!(word, "processEnv" | "dotenv")
                        && let Some(var) = credential_var(args)
                    {
                        self.problems.other.push(format!(
                            "`{whole}`: {var} is a credential vaultlink signs in with, and it is never sent or shown: put the value in Key Vault, link it, and use `{{{{vault:NAME}}}}`"
                        ));
                        return Some(String::new());
                    }
                    Some(match self.inputs.dynamics.value(word, args) {
                        Ok(v) => v,
                        Err(e) => {
                            self.problems.other.push(format!("`{whole}`: {e}"));
                            String::new()
                        }
                    })
                }
                RefKind::Malformed { .. } | RefKind::Other => None,
            }
        })
        .into_owned();
        if too_long {
            let problem =
                "variables expand to more than 1 MiB: a variable repeats others too often";
            if !self.problems.other.iter().any(|p| p == problem) {
                self.problems.other.push(problem.to_owned());
            }
        }
        out
    }

    /// The `{{vault:…}}` reference that stands for an environment entry's secret in the
    /// plan; the entry is listed once however often it is used.
    fn entry(&mut self, variable: &str, source: EnvSecretSource) -> String {
        let name = match self.entries.iter().find(|e| e.source == source) {
            Some(e) => e.name.clone(),
            None => {
                let mut name = format!("vs-env.{variable}");
                if refs::name_problem(&name).is_some() {
                    name = format!("vs-env.{}", self.entries.len() + 1);
                }
                self.entries.push(EnvSecret {
                    name: name.clone(),
                    variable: variable.to_owned(),
                    source,
                });
                name
            }
        };
        self.use_secret(&name);
        format!("{{{{vault:{name}}}}}")
    }

    fn use_secret(&mut self, name: &str) {
        if !self.secrets.iter().any(|s| s == name) {
            self.secrets.push(name.to_owned());
        }
    }

    fn variable(&mut self, name: &str, depth: usize) -> Option<String> {
        if let Some(value) = self.values.get(name) {
            return value.clone();
        }
        if depth >= MAX_DEPTH || self.resolving.iter().any(|n| n == name) {
            let problem = format!("`{name}` refers to itself through other variables");
            if !self.problems.other.contains(&problem) {
                self.problems.other.push(problem);
            }
            return None;
        }
        self.resolving.push(name.to_owned());
        let value = self.variable_uncached(name, depth);
        self.resolving.pop();
        self.values.insert(name.to_owned(), value.clone());
        value
    }

    fn variable_uncached(&mut self, name: &str, depth: usize) -> Option<String> {
        let defs = vars::lookup(&self.inputs.doc, &self.inputs.world, name, self.offset);
        let chosen = self.inputs.world.env_name;
        let mut env_only = Vec::new();
        for def in defs {
            if let Source::Env { env, .. } = def.source
                && chosen.is_none()
                && env != crate::syntax::env::SHARED
            {
                env_only.push(env.to_owned());
                continue;
            }
            match &def.value {
                VarValue::Text(t) => {
                    let t = t.to_string();
                    return Some(self.resolve(&t, depth + 1));
                }
                VarValue::Other(raw) => return Some((*raw).to_owned()),
                VarValue::None if def.source == Source::Request => {
                    return self.earlier_response(name, &def.name);
                }
                VarValue::KeyVault { secret, vault } => {
                    let id = match (secret, vault) {
                        (Some(secret), Some(vault)) => SecretId::parse(&format!(
                            "https://{vault}.vault.azure.net/secrets/{secret}"
                        ))
                        .ok(),
                        _ => None,
                    };
                    let Some(id) = id else {
                        self.problems.other.push(format!(
                            "`{name}` is a Key Vault entry without a valid `secretName` and `resourceId` (`…/vaults/<vault>`)"
                        ));
                        return None;
                    };
                    return Some(self.entry(name, EnvSecretSource::KeyVault(id)));
                }
                VarValue::Provider { provider, secret } => {
                    if provider.eq_ignore_ascii_case(USER_SECRETS)
                        && let (Some(key), Some(dir)) = (secret, def.path.and_then(Path::parent))
                    {
                        let source = EnvSecretSource::UserSecret {
                            key: key.to_string(),
                            dir: dir.to_path_buf(),
                        };
                        return Some(self.entry(name, source));
                    }
                    self.problems.other.push(if provider.eq_ignore_ascii_case(ENCRYPTED) {
                        format!(
                            "`{name}` is encrypted with Windows DPAPI (Visual Studio's `Encrypted` provider), which cannot be read on this platform: keep the value in Key Vault and use `{{{{vault:NAME}}}}`"
                        )
                    } else if provider.eq_ignore_ascii_case(USER_SECRETS) {
                        format!("`{name}` is a user secrets entry without `secretName`")
                    } else {
                        format!(
                            "`{name}` comes from the provider `{provider}`, which vaultlink cannot read (it reads `AzureKeyVault` and `AspnetUserSecrets`)"
                        )
                    });
                    return None;
                }
                VarValue::None => {}
            }
        }
        if env_only.is_empty() {
            if !self.problems.undefined.iter().any(|n| n == name) {
                self.problems.undefined.push(name.to_owned());
            }
        } else if !self.problems.env_only.iter().any(|(n, _)| n == name) {
            env_only.sort();
            env_only.dedup();
            self.problems.env_only.push((name.to_owned(), env_only));
        }
        None
    }

    /// `{{login.response.body.token}}`, `{{login.response.body.$.a.b}}`,
    /// `{{login.response.headers.Location}}`.
    fn earlier_response(&mut self, full: &str, request: &str) -> Option<String> {
        let Some(resp) = self.inputs.responses.get(request) else {
            self.problems.other.push(format!(
                "`{full}` reads the response of the request `{request}`: send that request first (or send them all with --all)"
            ));
            return None;
        };
        for secret in &resp.secrets {
            let taint = Taint {
                secret: secret.clone(),
                via: request.to_owned(),
            };
            if !self.tainted.contains(&taint) {
                self.tainted.push(taint);
            }
        }
        let rest = full
            .strip_prefix(request)
            .unwrap_or("")
            .trim_start_matches('.');
        let rest = rest.strip_prefix("response.").unwrap_or(rest);
        if let Some(h) = rest.strip_prefix("headers.") {
            return match resp.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(h)) {
                Some((_, v)) => Some(v.clone()),
                None => {
                    self.problems
                        .other
                        .push(format!("the response of `{request}` has no header `{h}`"));
                    None
                }
            };
        }
        let path = rest
            .strip_prefix("body")
            .unwrap_or(rest)
            .trim_start_matches('.');
        let path = path
            .strip_prefix("$")
            .unwrap_or(path)
            .trim_start_matches('.');
        if path.is_empty() {
            return Some(resp.body.clone());
        }
        let mut value: serde_json::Value = match serde_json::from_str(&resp.body) {
            Ok(v) => v,
            Err(_) => {
                self.problems
                    .other
                    .push(format!("`{full}`: the response of `{request}` is not JSON"));
                return None;
            }
        };
        for seg in path.split('.') {
            let next = match seg.parse::<usize>() {
                Ok(i) if value.is_array() => value.get(i).cloned(),
                _ => value.get(seg).cloned(),
            };
            match next {
                Some(v) => value = v,
                None => {
                    self.problems.other.push(format!(
                        "`{full}`: the response of `{request}` has nothing at `{path}`"
                    ));
                    return None;
                }
            }
        }
        Some(match value {
            serde_json::Value::String(s) => s,
            other => other.to_string(),
        })
    }
}

fn dir_of(doc: &Doc<'_>) -> Option<PathBuf> {
    doc.path.and_then(Path::parent).map(Path::to_path_buf)
}

fn read_body_file(inputs: &Inputs<'_>, path: &str) -> Result<Vec<u8>, String> {
    let p = Path::new(path.trim());
    let full = match (p.is_absolute(), dir_of(&inputs.doc)) {
        (false, Some(dir)) => dir.join(p),
        _ => p.to_path_buf(),
    };
    (inputs.read_file)(&full)
        .map_err(|e| format!("cannot read the body file {}: {e}", full.display()))
}

/// The plan of request `index` (0-based) of an `.http` file.
pub fn http_plan(
    inputs: &Inputs<'_>,
    file: &http::HttpFile,
    index: usize,
) -> Result<Plan, PlanError> {
    let text = inputs.doc.text;
    let req = &file.requests[index];
    let name = req.name.map(|n| n.slice(text).to_owned());
    // The name quoted, so that a message reads as one: `#4 "A secret nobody linked yet" was
    // not sent: …` (and control characters show escaped).
    let label = match &name {
        Some(n) => format!("#{} {n:?}", index + 1),
        None => format!("#{}", index + 1),
    };
    let mut r = Resolver {
        inputs,
        offset: req.request_line.start,
        secrets: Vec::new(),
        tainted: Vec::new(),
        entries: Vec::new(),
        problems: Problems::default(),
        values: HashMap::new(),
        resolving: Vec::new(),
    };
    let url = r.resolve(req.url(text).trim(), 0);
    let headers: Vec<(String, String)> = req
        .headers
        .iter()
        .map(|h| {
            let name = r.resolve(h.name.slice(text).trim(), 0);
            let value = r.resolve(&h.value_text(text), 0);
            (name, value)
        })
        .collect();
    let body = req
        .body
        .as_ref()
        .map(|b| http_body(&mut r, b.range.slice(text)));
    let body = match body {
        Some(Err(e)) => {
            r.problems.other.push(e);
            None
        }
        Some(Ok(b)) => b,
        None => None,
    };
    let secrets = std::mem::take(&mut r.secrets);
    let tainted = std::mem::take(&mut r.tainted);
    let entries = std::mem::take(&mut r.entries);
    r.problems.into_result(&label)?;
    if url.is_empty() {
        return Err(PlanError(format!("{label} has no URL")));
    }
    Ok(Plan {
        label,
        method: req.method_or_default(text).to_ascii_uppercase(),
        url,
        headers,
        body,
        secrets,
        name,
        tainted,
        entries,
    })
}

/// A body: text with variables resolved, and `< path` lines replaced by the file (`<@ path`
/// has its variables resolved too). A body that is a single `< path` is sent as the file's
/// bytes.
fn http_body(r: &mut Resolver<'_, '_>, raw: &str) -> Result<Option<PlanBody>, String> {
    let trimmed = raw.trim_end_matches(['\r', '\n']);
    if trimmed.is_empty() {
        return Ok(None);
    }
    let lines: Vec<&str> = trimmed.split_inclusive('\n').collect();
    if lines.len() == 1
        && let Some(path) = trimmed.strip_prefix("< ")
    {
        return read_body_file(r.inputs, path).map(|b| Some(PlanBody::Bytes(b)));
    }
    let mut out = String::new();
    for line in lines {
        let content = line.trim_end_matches(['\r', '\n']);
        let eol = &line[content.len()..];
        if let Some(path) = content
            .strip_prefix("<@ ")
            .or_else(|| content.strip_prefix("<@"))
        {
            let bytes = read_body_file(r.inputs, path)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            out.push_str(&r.resolve(&text, 0));
        } else if let Some(path) = content.strip_prefix("< ") {
            let bytes = read_body_file(r.inputs, path)?;
            out.push_str(&String::from_utf8_lossy(&bytes));
        } else {
            out.push_str(&r.resolve(content, 0));
        }
        out.push_str(eol);
    }
    Ok(Some(PlanBody::Text(out)))
}

fn s<'a>(src: &'a str, v: &Option<JsonString>) -> Cow<'a, str> {
    v.as_ref()
        .map(|s| s.value(src))
        .unwrap_or(Cow::Borrowed(""))
}

/// The plan of a collection item (a request).
pub fn collection_plan(
    inputs: &Inputs<'_>,
    coll: &Collection,
    item: &Item,
    req: &PmRequest,
) -> Result<Plan, PlanError> {
    let src = inputs.doc.text;
    let label = format!("{:?}", item.path);
    let mut r = Resolver {
        inputs,
        offset: req.range.start,
        secrets: Vec::new(),
        tainted: Vec::new(),
        entries: Vec::new(),
        problems: Problems::default(),
        values: HashMap::new(),
        resolving: Vec::new(),
    };
    let url = req
        .url
        .as_ref()
        .map(|u| crate::vault::target::collection_url(src, u))
        .unwrap_or_default();
    let url = r.resolve(url.trim(), 0);
    let mut headers: Vec<(String, String)> = req
        .headers
        .iter()
        .filter(|h| !h.disabled)
        .map(|h| {
            (
                r.resolve(&s(src, &h.key), 0),
                r.resolve(&s(src, &h.value), 0),
            )
        })
        .collect();
    let body = match &req.body {
        Some(b) if !b.disabled => collection_body(&mut r, src, b, &mut headers),
        _ => None,
    };
    let mut url = url;
    let ancestors = vars::enclosing_items(coll, req.range.start);
    let auth = req
        .auth
        .as_ref()
        .or_else(|| ancestors.iter().rev().find_map(|i| i.auth.as_ref()))
        .or(coll.auth.as_ref());
    if let Some(auth) = auth {
        apply_auth(&mut r, src, auth, &mut headers, &mut url);
    }
    let secrets = std::mem::take(&mut r.secrets);
    let tainted = std::mem::take(&mut r.tainted);
    let entries = std::mem::take(&mut r.entries);
    r.problems.into_result(&label)?;
    if url.is_empty() {
        return Err(PlanError(format!("{label} has no URL")));
    }
    Ok(Plan {
        label,
        method: req
            .method
            .as_ref()
            .map_or_else(|| "GET".to_owned(), |m| m.value(src).to_ascii_uppercase()),
        url,
        headers,
        body,
        secrets,
        name: item.name.as_ref().map(|n| n.value(src).into_owned()),
        tainted,
        entries,
    })
}

fn has_header(headers: &[(String, String)], name: &str) -> bool {
    headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
}

fn set_default_header(headers: &mut Vec<(String, String)>, name: &str, value: &str) {
    if !has_header(headers, name) {
        headers.push((name.to_owned(), value.to_owned()));
    }
}

fn collection_body(
    r: &mut Resolver<'_, '_>,
    src: &str,
    body: &Body,
    headers: &mut Vec<(String, String)>,
) -> Option<PlanBody> {
    let mode = body.mode.as_ref().map(|m| m.value(src).into_owned());
    let enabled = |kvs: &[KeyValue]| -> Vec<KeyValue> {
        kvs.iter().filter(|kv| !kv.disabled).cloned().collect()
    };
    match mode.as_deref() {
        Some("urlencoded") => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for kv in enabled(&body.urlencoded) {
                form.append_pair(
                    &r.resolve(&s(src, &kv.key), 0),
                    &r.resolve(&s(src, &kv.value), 0),
                );
            }
            set_default_header(headers, "Content-Type", "application/x-www-form-urlencoded");
            Some(PlanBody::Text(form.finish()))
        }
        Some("formdata") => {
            let boundary = "vaultlink-form-boundary-7d9a3c1e";
            let mut out = Vec::new();
            for kv in enabled(&body.formdata) {
                let key = r.resolve(&s(src, &kv.key), 0);
                let is_file = kv.kind.as_ref().is_some_and(|k| k.eq_str(src, "file"));
                out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
                if is_file {
                    let path = kv
                        .src
                        .first()
                        .map(|p| p.value(src).into_owned())
                        .unwrap_or_default();
                    let file_name = Path::new(&path)
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("file")
                        .to_owned();
                    out.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{key}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
                    );
                    match read_body_file(r.inputs, &path) {
                        Ok(bytes) => out.extend_from_slice(&bytes),
                        Err(e) => r.problems.other.push(e),
                    }
                } else {
                    let value = r.resolve(&s(src, &kv.value), 0);
                    out.extend_from_slice(
                        format!("Content-Disposition: form-data; name=\"{key}\"\r\n\r\n{value}")
                            .as_bytes(),
                    );
                }
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            set_default_header(
                headers,
                "Content-Type",
                &format!("multipart/form-data; boundary={boundary}"),
            );
            // Text fields may hold vault references: keep the body as text when it is text.
            Some(match String::from_utf8(out) {
                Ok(t) => PlanBody::Text(t),
                Err(e) => PlanBody::Bytes(e.into_bytes()),
            })
        }
        Some("graphql") => {
            let query = r.resolve(&s(src, &body.graphql_query), 0);
            let variables = r.resolve(&s(src, &body.graphql_variables), 0);
            let variables: serde_json::Value = if variables.trim().is_empty() {
                serde_json::json!({})
            } else {
                match serde_json::from_str(&variables) {
                    Ok(v) => v,
                    Err(e) => {
                        r.problems
                            .other
                            .push(format!("the GraphQL variables are not JSON: {e}"));
                        serde_json::Value::Null
                    }
                }
            };
            set_default_header(headers, "Content-Type", "application/json");
            Some(PlanBody::Text(
                serde_json::json!({ "query": query, "variables": variables }).to_string(),
            ))
        }
        Some("file") => {
            let path = s(src, &body.file_src).into_owned();
            match read_body_file(r.inputs, &path) {
                Ok(b) => Some(PlanBody::Bytes(b)),
                Err(e) => {
                    r.problems.other.push(e);
                    None
                }
            }
        }
        _ => {
            let raw = r.resolve(&s(src, &body.raw), 0);
            if raw.is_empty() {
                return None;
            }
            if raw.trim_start().starts_with(['{', '[']) {
                set_default_header(headers, "Content-Type", "application/json");
            }
            Some(PlanBody::Text(raw))
        }
    }
}

/// Collection auth: `bearer`, `basic`, `apikey` (header or query); `noauth` and unknown
/// types add nothing (an unknown type is named).
fn apply_auth(
    r: &mut Resolver<'_, '_>,
    src: &str,
    auth: &Auth,
    headers: &mut Vec<(String, String)>,
    url: &mut String,
) {
    let kind = s(src, &auth.kind).into_owned();
    let param = |r: &mut Resolver<'_, '_>, key: &str| -> String {
        auth.params
            .iter()
            .find(|p| p.key.as_ref().is_some_and(|k| k.eq_str(src, key)))
            .map(|p| r.resolve(&s(src, &p.value), 0))
            .unwrap_or_default()
    };
    match kind.as_str() {
        "bearer" => {
            let token = param(r, "token");
            if !has_header(headers, "Authorization") {
                headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
            }
        }
        "basic" => {
            let user = param(r, "username");
            let password = param(r, "password");
            if !has_header(headers, "Authorization") {
                // The secrets are encoded here only as references; `run` encodes the real
                // values (see `BASIC_PREFIX`).
                headers.push(("Authorization".to_owned(), format!("{BASIC_PREFIX}{user}:{password}")));
            }
        }
        "apikey" => {
            let key = param(r, "key");
            let value = param(r, "value");
            let place = param(r, "in");
            if place == "query" {
                let sep = if url.contains('?') { '&' } else { '?' };
                url.push(sep);
                url.push_str(&format!("{key}={value}"));
            } else if !key.is_empty() && !has_header(headers, &key) {
                headers.push((key, value));
            }
        }
        "noauth" | "" => {}
        other => r
            .problems
            .other
            .push(format!("the collection's `{other}` auth is not supported: use bearer, basic or apikey, or set the header yourself")),
    }
}

/// A header value of `BASIC_PREFIX` + `user:password` is sent as `Basic base64(user:password)`
/// once the secrets in it are known.
pub const BASIC_PREFIX: &str = "\u{0}basic:";

/// `Basic <base64>` for a value built with [`BASIC_PREFIX`].
pub fn basic_value(credentials: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}
