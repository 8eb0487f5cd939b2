//! `/_emulator/*`: what tests do with [`Emulator`](super::Emulator)'s methods, over HTTP,
//! for scripts and people driving the standalone `vaultlink-emulator` binary. These requests
//! are not logged, so they never show up among the client's requests.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::http::{Req, json};
use super::{Fault, SecretAttrs, State};

/// One secret to add: the body of `POST /_emulator/secrets` and an entry of a seed file.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct SeedSecret {
    /// The vault host, `corp-kv.vault.azure.net`.
    vault: String,
    name: String,
    value: String,
    #[serde(default = "enabled_by_default")]
    enabled: bool,
    exp: Option<i64>,
    nbf: Option<i64>,
    content_type: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    created: Option<i64>,
}

fn enabled_by_default() -> bool {
    true
}

impl SeedSecret {
    /// Adds the secret as a new version and returns the version id.
    pub(super) fn add(self, st: &mut State) -> String {
        let attrs = SecretAttrs {
            enabled: self.enabled,
            nbf: self.nbf,
            exp: self.exp,
            content_type: self.content_type,
            tags: self.tags,
            created: self.created,
        };
        st.vaults.add(&self.vault, &self.name, &self.value, attrs)
    }
}

/// The body of `POST /_emulator/faults`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultSpec {
    path: String,
    status: Option<u16>,
    retry_after: Option<u64>,
    times: Option<u32>,
    #[serde(default)]
    delay_ms: u64,
}

#[derive(Deserialize)]
struct UserCode {
    user_code: String,
}

#[derive(Deserialize)]
struct Delay {
    ms: u64,
}

/// Answers `/_emulator/{endpoint}`.
pub(super) fn handle(st: &mut State, req: &Req, endpoint: &str) -> Response {
    let answer = match (&req.method, endpoint) {
        (&Method::POST, "secrets") => {
            parse::<SeedSecret>(req).map(|s| json!({ "version": s.add(st) }))
        }
        (&Method::POST, "faults") => parse::<FaultSpec>(req).map(|f| {
            st.faults.add(Fault {
                path_contains: f.path,
                status: f.status,
                retry_after: f.retry_after,
                times: f.times,
                delay: Duration::from_millis(f.delay_ms),
                damage: None,
            });
            json!({})
        }),
        (&Method::DELETE, "faults") => {
            st.faults.clear();
            Ok(json!({}))
        }
        (&Method::GET, "requests") => Ok(requests(st)),
        (&Method::POST, "device/approve" | "device/decline") => {
            parse::<UserCode>(req).and_then(|u| {
                let approve = endpoint == "device/approve";
                if st.entra.decide(&u.user_code, approve) {
                    Ok(json!({}))
                } else {
                    Err(format!("no pending device code {}", u.user_code))
                }
            })
        }
        (&Method::POST, "delay") => parse::<Delay>(req).map(|d| {
            st.kv_delay = Duration::from_millis(d.ms);
            json!({})
        }),
        _ => {
            let message = format!("no control endpoint {} /_emulator/{endpoint}", req.method);
            return json(StatusCode::NOT_FOUND, &json!({ "error": message }));
        }
    };
    match answer {
        Ok(body) => json(StatusCode::OK, &body),
        Err(message) => json(StatusCode::BAD_REQUEST, &json!({ "error": message })),
    }
}

fn parse<T: DeserializeOwned>(req: &Req) -> Result<T, String> {
    serde_json::from_slice(&req.body).map_err(|e| format!("invalid request body: {e}"))
}

/// The request log, with each arrival in milliseconds since the emulator started.
fn requests(st: &State) -> Value {
    let entries = st.log.iter().map(|r| {
        json!({
            "method": r.method,
            "host": r.host,
            "path": r.path,
            "query": r.query,
            "authorization": r.authorization,
            "form": r.form,
            "status": r.status,
            "elapsedMs": r.at.duration_since(st.started).as_millis() as u64,
        })
    });
    Value::Array(entries.collect())
}
