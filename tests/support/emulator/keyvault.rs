//! The Key Vault secrets data plane (REST api-version 7.x): get a secret (latest or pinned
//! version), list secrets, list a secret's versions, set a secret. Any number of vaults are
//! served, told apart by the `Host` header, because vaultlink sends every Key Vault request
//! to one endpoint naming the real vault host there. Callers need an unexpired Entra ID
//! token for Key Vault; without one they get the 401 challenge that real vaults send.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use axum::http::header::WWW_AUTHENTICATE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::State;
use super::faults::{self, Surface};
use super::http::{Req, json, random_version, unix_now};

/// The most items a list page may hold, as in Key Vault.
const MAX_RESULTS: usize = 25;

/// The audiences of Key Vault tokens in the clouds vaultlink knows.
const AUDIENCES: [&str; 3] = [
    "https://vault.azure.net",
    "https://vault.azure.cn",
    "https://vault.usgovcloudapi.net",
];

/// A secret version's attributes and metadata, as set when it is created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretAttrs {
    pub enabled: bool,
    /// Not before, in Unix seconds.
    pub nbf: Option<i64>,
    /// Expires, in Unix seconds.
    pub exp: Option<i64>,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// When the version was created, in Unix seconds; `None` is now. Fixed dates make
    /// metadata shown to users predictable in tests.
    pub created: Option<i64>,
}

impl Default for SecretAttrs {
    fn default() -> SecretAttrs {
        SecretAttrs {
            enabled: true,
            nbf: None,
            exp: None,
            content_type: None,
            tags: BTreeMap::new(),
            created: None,
        }
    }
}

/// Every vault that has secrets, by lowercased host; any other host is an empty vault.
#[derive(Default)]
pub(super) struct Vaults(HashMap<String, Vault>);

/// One vault's secrets by lowercased name, so names compare case-insensitively and list in
/// name order.
#[derive(Default)]
struct Vault(BTreeMap<String, Secret>);

struct Secret {
    /// The name as first created.
    name: String,
    /// Oldest first; the last one is the latest.
    versions: Vec<Version>,
}

struct Version {
    id: String,
    value: String,
    attrs: SecretAttrs,
    created: i64,
}

impl Vaults {
    /// Creates a new version of `name` in the vault at `host` and returns its id.
    pub(super) fn add(
        &mut self,
        host: &str,
        name: &str,
        value: &str,
        attrs: SecretAttrs,
    ) -> String {
        let id = random_version();
        let vault = self.0.entry(host.to_ascii_lowercase()).or_default();
        let secret = vault
            .0
            .entry(name.to_ascii_lowercase())
            .or_insert_with(|| Secret {
                name: name.to_string(),
                versions: Vec::new(),
            });
        secret.versions.push(Version {
            id: id.clone(),
            value: value.to_string(),
            created: attrs.created.unwrap_or_else(unix_now),
            attrs,
        });
        id
    }

    fn secret(&self, host: &str, name: &str) -> Option<&Secret> {
        self.0.get(host)?.0.get(&name.to_ascii_lowercase())
    }
}

/// Who a request's token was issued to, for the access-denied message.
struct Caller {
    subject: String,
    client_id: String,
}

/// What a request asks for.
enum Operation<'a> {
    Get(&'a str, Option<&'a str>),
    Set(&'a str),
    List,
    Versions(&'a str),
}

impl Operation<'_> {
    /// The RBAC data action a role must grant for this operation.
    fn action(&self) -> &'static str {
        match self {
            Operation::Get(..) => "Microsoft.KeyVault/vaults/secrets/getSecret/action",
            Operation::Set(_) => "Microsoft.KeyVault/vaults/secrets/setSecret/action",
            Operation::List | Operation::Versions(_) => {
                "Microsoft.KeyVault/vaults/secrets/readMetadata/action"
            }
        }
    }

    fn name(&self) -> Option<&str> {
        match *self {
            Operation::Get(name, _) | Operation::Set(name) | Operation::Versions(name) => {
                Some(name)
            }
            Operation::List => None,
        }
    }
}

/// Answers a request under `/secrets`, and says how long to hold the answer back (the
/// configured Key Vault delay plus any fault's).
pub(super) fn handle(st: &mut State, req: &Req) -> (Duration, Response) {
    let delay = st.kv_delay;
    let caller = match authenticate(st, req) {
        Ok(caller) => caller,
        Err(why) => return (delay, unauthorized(st, &why)),
    };
    let Some(fault) = st.faults.take(&req.path) else {
        return (delay, serve(st, req, &caller));
    };
    let answer = faults::answer(&fault, Surface::KeyVault).or_else(|| faults::damaged(&fault, req));
    (
        delay + fault.head_delay(),
        answer.unwrap_or_else(|| serve(st, req, &caller)),
    )
}

/// The caller a request's token was issued to, or why Key Vault refuses the token.
fn authenticate(st: &State, req: &Req) -> Result<Caller, String> {
    let Some(bearer) = req.bearer() else {
        return Err("AKV10000: Request is missing a Bearer or PoP token.".into());
    };
    let Some(token) = st.entra.access_token(&bearer) else {
        let issuer = format!("https://sts.windows.net/{}/", st.config.tenant_id);
        return Err(format!(
            "AKV10032: Invalid issuer. Expected one of {issuer}."
        ));
    };
    if token.expires <= Instant::now() {
        return Err("[TokenExpired] Error validating token: 'S2S12086'.".into());
    }
    if !AUDIENCES.contains(&token.audience.trim_end_matches('/')) {
        return Err(format!(
            "AKV10022: Invalid audience. Expected https://vault.azure.net, found: {}.",
            token.audience
        ));
    }
    Ok(Caller {
        subject: token.subject.clone(),
        client_id: token.client_id.clone(),
    })
}

/// The 401 answer with the challenge naming the tenant's authority and Key Vault's
/// resource, which clients use to learn the tenant.
fn unauthorized(st: &State, message: &str) -> Response {
    let mut answer = error(StatusCode::UNAUTHORIZED, "Unauthorized", message, None);
    let challenge = format!(
        "Bearer authorization=\"{}/{}\", resource=\"{}\"",
        st.url, st.config.tenant_id, st.config.challenge_resource
    );
    let challenge = HeaderValue::try_from(challenge).expect("a valid header value");
    answer.headers_mut().insert(WWW_AUTHENTICATE, challenge);
    answer
}

/// A Key Vault error answer: `{"error":{"code","message","innererror"?}}`.
fn error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Response {
    let mut body = json!({ "error": { "code": code, "message": message } });
    if let Some(inner) = inner {
        body["error"]["innererror"] = json!({ "code": inner });
    }
    json(status, &body)
}

fn bad_parameter(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "BadParameter", message, None)
}

fn serve(st: &mut State, req: &Req, caller: &Caller) -> Response {
    let query = req.query_params();
    let api_version = query
        .get("api-version")
        .map(String::as_str)
        .unwrap_or_default();
    if api_version.is_empty() {
        return bad_parameter("The request URI contains an invalid or missing api-version.");
    }
    if !api_version.starts_with("7.") {
        return bad_parameter(&format!(
            "The specified version ({api_version}) is not recognized. Consider using the latest supported version (7.6)."
        ));
    }
    let rest = req.path.strip_prefix("/secrets").unwrap_or_default();
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let operation = match (&req.method, segments.as_slice()) {
        (&Method::GET, []) => Operation::List,
        (&Method::GET, [name]) => Operation::Get(name, None),
        (&Method::PUT, [name]) => Operation::Set(name),
        (&Method::GET, [name, "versions"]) => Operation::Versions(name),
        (&Method::GET, [name, version]) => Operation::Get(name, Some(*version)),
        _ => {
            return error(
                StatusCode::METHOD_NOT_ALLOWED,
                "BadParameter",
                &format!("{} {} is not supported.", req.method, req.path),
                None,
            );
        }
    };
    if let Some(name) = operation.name().filter(|n| !is_secret_name(n)) {
        return bad_parameter(&format!("The request URI contains an invalid name: {name}"));
    }
    let host = req.vault_host();
    if st
        .config
        .deny_vaults
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&host))
    {
        return forbidden_by_rbac(st, &host, &operation, caller);
    }
    if let Some((_, refusal)) = st
        .config
        .refuse_vaults
        .iter()
        .find(|(h, _)| h.eq_ignore_ascii_case(&host))
    {
        let permission = match operation {
            Operation::Get(..) => "get",
            Operation::Set(_) => "set",
            Operation::List | Operation::Versions(_) => "list",
        };
        return super::refusals::answer(*refusal, &host, permission, &caller.client_id);
    }
    match operation {
        Operation::Get(name, version) => get(st, &host, name, version),
        Operation::Set(name) => set(st, &host, name, &req.body),
        Operation::List => {
            let items = st.vaults.0.get(&host).map_or_else(Vec::new, |vault| {
                let latest = |s: &Secret| Some(item(&host, &s.name, s.versions.last()?, false));
                vault.0.values().filter_map(latest).collect()
            });
            page(st, &host, "/secrets", &query, items)
        }
        Operation::Versions(name) => {
            let items = st.vaults.secret(&host, name).map_or_else(Vec::new, |s| {
                s.versions
                    .iter()
                    .map(|v| item(&host, &s.name, v, true))
                    .collect()
            });
            page(
                st,
                &host,
                &format!("/secrets/{name}/versions"),
                &query,
                items,
            )
        }
    }
}

/// Key Vault secret names: 1–127 letters, digits and dashes.
fn is_secret_name(name: &str) -> bool {
    (1..=127).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

fn forbidden_by_rbac(st: &State, host: &str, operation: &Operation, caller: &Caller) -> Response {
    let vault = host.split('.').next().unwrap_or(host);
    let mut resource = format!(
        "'/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/microsoft.keyvault/vaults/{vault}"
    );
    if let Some(name) = operation.name() {
        resource.push_str(&format!("/secrets/{}", name.to_ascii_lowercase()));
    }
    let message = format!(
        "Caller is not authorized to perform action on resource.\r\n\
         If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n\
         Caller: appid={};upn={};iss=https://sts.windows.net/{}/\r\n\
         Action: '{}'\r\n\
         Resource: {resource}'\r\n\
         Assignment: (not found)\r\n\
         DenyAssignmentId: null\r\n\
         DecisionReason: null \r\n\
         Vault: {vault};location=westeurope\r\n",
        caller.client_id,
        caller.subject,
        st.config.tenant_id,
        operation.action(),
    );
    error(
        StatusCode::FORBIDDEN,
        "Forbidden",
        &message,
        Some("ForbiddenByRbac"),
    )
}

fn get(st: &State, host: &str, name: &str, version: Option<&str>) -> Response {
    let secret = st.vaults.secret(host, name);
    let found = secret.and_then(|s| match version {
        None => s.versions.last(),
        Some(v) => s.versions.iter().find(|x| x.id.eq_ignore_ascii_case(v)),
    });
    let (Some(secret), Some(v)) = (secret, found) else {
        let id = version.map_or(name.to_string(), |v| format!("{name}/{v}"));
        return error(
            StatusCode::NOT_FOUND,
            "SecretNotFound",
            &format!(
                "A secret with (name/id) {id} was not found in this key vault. If you recently \
                 deleted this secret you may be able to recover it using the correct recovery \
                 command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
            ),
            None,
        );
    };
    if !v.attrs.enabled {
        return error(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "Operation get is not allowed on a disabled secret.",
            Some("SecretDisabled"),
        );
    }
    json(StatusCode::OK, &bundle(host, &secret.name, v))
}

/// The body of `PUT /secrets/{name}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SetSecret {
    value: String,
    content_type: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    attributes: SetAttributes,
}

#[derive(Default, Deserialize)]
struct SetAttributes {
    enabled: Option<bool>,
    nbf: Option<i64>,
    exp: Option<i64>,
}

fn set(st: &mut State, host: &str, name: &str, body: &[u8]) -> Response {
    let request: SetSecret = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(e) => return bad_parameter(&format!("The request body is not a valid secret: {e}")),
    };
    let attrs = SecretAttrs {
        enabled: request.attributes.enabled.unwrap_or(true),
        nbf: request.attributes.nbf,
        exp: request.attributes.exp,
        content_type: request.content_type,
        tags: request.tags,
        created: None,
    };
    let id = st.vaults.add(host, name, &request.value, attrs);
    let secret = st.vaults.secret(host, name).expect("just added");
    let version = secret
        .versions
        .iter()
        .find(|v| v.id == id)
        .expect("just added");
    json(StatusCode::OK, &bundle(host, &secret.name, version))
}

/// A SecretBundle: the value, the versioned id, attributes and metadata.
fn bundle(host: &str, name: &str, v: &Version) -> Value {
    let mut bundle = item(host, name, v, true);
    bundle["value"] = v.value.clone().into();
    bundle
}

/// A SecretItem as lists carry it: no value; the id has the version only in version lists.
fn item(host: &str, name: &str, v: &Version, versioned: bool) -> Value {
    let id = if versioned {
        format!("https://{host}/secrets/{name}/{}", v.id)
    } else {
        format!("https://{host}/secrets/{name}")
    };
    let mut attributes = json!({
        "enabled": v.attrs.enabled,
        "created": v.created,
        "updated": v.created,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 90,
    });
    if let Some(nbf) = v.attrs.nbf {
        attributes["nbf"] = nbf.into();
    }
    if let Some(exp) = v.attrs.exp {
        attributes["exp"] = exp.into();
    }
    let mut item = json!({ "id": id, "attributes": attributes });
    if let Some(content_type) = &v.attrs.content_type {
        item["contentType"] = content_type.clone().into();
    }
    if !v.attrs.tags.is_empty() {
        item["tags"] = json!(v.attrs.tags);
    }
    item
}

/// Where a list continues: the next item, how many real pages were served, and whether
/// the empty page due before the next one was served already.
#[derive(Clone, Copy, Default)]
struct Cursor {
    offset: usize,
    pages: usize,
    gap_served: bool,
}

impl Cursor {
    fn encode(self) -> String {
        let raw = format!(
            "{}.{}.{}",
            self.offset,
            self.pages,
            u8::from(self.gap_served)
        );
        URL_SAFE_NO_PAD.encode(raw)
    }

    fn decode(token: &str) -> Option<Cursor> {
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(token).ok()?).ok()?;
        let mut parts = raw.split('.');
        let cursor = Cursor {
            offset: parts.next()?.parse().ok()?,
            pages: parts.next()?.parse().ok()?,
            gap_served: parts.next()? == "1",
        };
        parts.next().is_none().then_some(cursor)
    }
}

/// One page of a list. The `nextLink` names the vault host the request was for, with the
/// explicit `:443` real vaults write there, so clients that follow it only on the same
/// host must compare hosts rather than strings.
fn page(
    st: &State,
    host: &str,
    path: &str,
    query: &HashMap<String, String>,
    items: Vec<Value>,
) -> Response {
    let max_results = match query.get("maxresults").map(|m| m.parse::<usize>()) {
        None => None,
        Some(Ok(n)) if (1..=MAX_RESULTS).contains(&n) => Some(n),
        Some(_) => {
            return bad_parameter(&format!(
                "The value of maxresults is invalid: it must be between 1 and {MAX_RESULTS}."
            ));
        }
    };
    let cursor = match query.get("$skiptoken") {
        None => Cursor::default(),
        Some(token) => match Cursor::decode(token) {
            Some(cursor) => cursor,
            None => return bad_parameter("The skip token is not valid."),
        },
    };
    let size = max_results
        .unwrap_or(MAX_RESULTS)
        .min(st.config.page_size)
        .max(1);
    let gap_due = st
        .config
        .empty_page_every
        .is_some_and(|n| n > 0 && (cursor.pages + 1) % n == 0 && !cursor.gap_served);
    let (value, next) = if gap_due {
        let next = Cursor {
            gap_served: true,
            ..cursor
        };
        (Vec::new(), Some(next))
    } else {
        let end = (cursor.offset + size).min(items.len());
        let value = items.get(cursor.offset..end).unwrap_or_default().to_vec();
        let next = Cursor {
            offset: end,
            pages: cursor.pages + 1,
            gap_served: false,
        };
        (value, (end < items.len()).then_some(next))
    };
    let next_link = next.map(|c| {
        let api_version = &query["api-version"];
        let mut link = format!(
            "https://{host}:443{path}?api-version={api_version}&$skiptoken={}",
            c.encode()
        );
        if let Some(n) = max_results {
            link.push_str(&format!("&maxresults={n}"));
        }
        link
    });
    json(
        StatusCode::OK,
        &json!({ "value": value, "nextLink": next_link }),
    )
}

#[cfg(test)]
mod tests {
    use super::{Cursor, is_secret_name};

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        let c = Cursor {
            offset: 50,
            pages: 2,
            gap_served: true,
        };
        let back = Cursor::decode(&c.encode()).unwrap();
        assert_eq!((back.offset, back.pages, back.gap_served), (50, 2, true));
        assert!(Cursor::decode("not-a-token").is_none());
    }

    #[test]
    fn secret_names() {
        assert!(is_secret_name("db-Password-2"));
        assert!(!is_secret_name("db_password"));
        assert!(!is_secret_name(""));
        assert!(!is_secret_name(&"a".repeat(128)));
    }
}
