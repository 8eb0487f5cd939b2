//! Key Vault as it really answered: a loopback server that replays answers recorded by the
//! Azure SDKs' own tests (`tests/recordings/keyvault/`, see its README for the sources).
//!
//! A test picks the recorded exchanges it needs; the server answers each request with the
//! recorded status, headers and body of the exchange whose method and path match (and whose
//! `$skiptoken`, for the later pages of a list). What routing needs, and nothing else, differs
//! from the live service:
//! - the request's host is not compared with the recorded URL's (the C++ recorder replaced the
//!   vault's name there, and in some bodies, with `REDACTED`; tests link to the host the
//!   bodies and `nextLink`s name), and the `Host` header is whatever vaultlink sends;
//! - `api-version` and `maxresults` are not compared (vaultlink names its own);
//! - a trailing `/` of the recorded path is not compared (`/secrets/name/` is `/secrets/name`);
//! - `Content-Length` is sent for the body as replayed: the C++ recordings keep the body as
//!   received (but for `REDACTED` written over the vault's name), the .NET ones keep it as
//!   parsed JSON, which is written back compactly, as Key Vault writes it (a test checks
//!   that every recorded `Content-Length` still holds where nothing was redacted).
//!
//! A request without a bearer token the test accepts (one the emulator issued in the
//! challenge's tenant) gets the recorded `401` challenge, as Key Vault answers the first
//! request of every client and any token of another tenant. A request no exchange matches
//! gets a `404` that says so, and is counted as a miss.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

/// The recordings folder of this repository.
pub fn recordings_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/keyvault")
}

/// One recorded request and Key Vault's answer to it.
#[derive(Clone, Debug)]
pub struct Exchange {
    pub method: String,
    /// The recorded URL as written in the recording.
    pub url: String,
    pub status: u16,
    /// Response headers in recorded order, `Content-Length` and `Transfer-Encoding` left out.
    pub headers: Vec<(String, String)>,
    /// The recorded `Content-Length`, when the recording has one.
    pub content_length: Option<usize>,
    pub body: Vec<u8>,
}

impl Exchange {
    /// The recorded path without a trailing `/`.
    pub fn path(&self) -> String {
        let url = url::Url::parse(&self.url).expect("a recorded URL parses");
        let path = url.path();
        path.strip_suffix('/').unwrap_or(path).to_owned()
    }

    /// The `$skiptoken` of the recorded URL.
    pub fn skiptoken(&self) -> Option<String> {
        let url = url::Url::parse(&self.url).expect("a recorded URL parses");
        skiptoken(url.query().unwrap_or_default())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// The exchanges of a recording (a path under [`recordings_dir`]), in recorded order. Reads
/// the C++ SDK's format (`networkCallRecords`) and the .NET SDK's (`Entries`).
pub fn load(rel: &str) -> Vec<Exchange> {
    let path = recordings_dir().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let doc: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    if let Some(records) = doc["networkCallRecords"].as_array() {
        records.iter().map(cpp_exchange).collect()
    } else if let Some(entries) = doc["Entries"].as_array() {
        entries.iter().map(net_exchange).collect()
    } else {
        panic!("{} is not a recording this replay reads", path.display())
    }
}

/// Exchange `index` of recording `rel`.
pub fn exchange(rel: &str, index: usize) -> Exchange {
    load(rel)
        .into_iter()
        .nth(index)
        .unwrap_or_else(|| panic!("{rel} has no exchange {index}"))
}

fn skip_header(name: &str) -> bool {
    name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("transfer-encoding")
}

/// `{"Method", "Url", "Response": {"STATUS_CODE", "BODY", header: value...}}`.
fn cpp_exchange(r: &Value) -> Exchange {
    let resp = r["Response"].as_object().expect("a recorded response");
    let mut headers = Vec::new();
    let mut content_length = None;
    for (name, value) in resp {
        let Some(value) = value.as_str() else {
            continue;
        };
        match name.as_str() {
            "STATUS_CODE" | "BODY" => {}
            n if n.eq_ignore_ascii_case("content-length") => content_length = value.parse().ok(),
            n if skip_header(n) => {}
            n => headers.push((n.to_owned(), value.to_owned())),
        }
    }
    Exchange {
        method: r["Method"].as_str().expect("a method").to_owned(),
        url: r["Url"].as_str().expect("a URL").to_owned(),
        status: resp["STATUS_CODE"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("a status"),
        headers,
        content_length,
        body: resp
            .get("BODY")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .as_bytes()
            .to_vec(),
    }
}

/// `{"RequestUri", "RequestMethod", "StatusCode", "ResponseHeaders", "ResponseBody"}`.
fn net_exchange(e: &Value) -> Exchange {
    let mut headers = Vec::new();
    let mut content_length = None;
    for (name, value) in e["ResponseHeaders"].as_object().into_iter().flatten() {
        let value = match value {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            _ => continue,
        };
        if name.eq_ignore_ascii_case("content-length") {
            content_length = value.parse().ok();
        } else if !skip_header(name) {
            headers.push((name.clone(), value));
        }
    }
    let body = match &e["ResponseBody"] {
        Value::Null => Vec::new(),
        Value::String(s) => s.as_bytes().to_vec(),
        v => serde_json::to_vec(v).expect("JSON serialises"),
    };
    Exchange {
        method: e["RequestMethod"].as_str().expect("a method").to_owned(),
        url: e["RequestUri"].as_str().expect("a URI").to_owned(),
        status: e["StatusCode"].as_u64().expect("a status") as u16,
        headers,
        content_length,
        body,
    }
}

fn skiptoken(query: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "$skiptoken")
        .map(|(_, v)| v.into_owned())
}

/// One request the replay received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub host: String,
    pub path: String,
    pub query: String,
    /// Whether it carried a bearer token at all.
    pub bearer: bool,
    /// Whether that token was accepted.
    pub authorized: bool,
    /// The status answered; 404 with no match is a miss.
    pub status: u16,
    pub matched: bool,
}

type TokenCheck = Box<dyn Fn(&str) -> bool + Send + Sync>;

struct Script {
    challenge: Exchange,
    accept: TokenCheck,
    exchanges: Vec<Exchange>,
    received: Vec<Received>,
}

/// A running replay server; dropping it stops it.
pub struct Replay {
    url: String,
    script: Arc<Mutex<Script>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Replay {
    /// Serves `exchanges`, with `challenge` (a recorded 401) for requests without a token
    /// that `accept` accepts.
    pub fn start(
        challenge: Exchange,
        exchanges: Vec<Exchange>,
        accept: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) -> Replay {
        assert_eq!(challenge.status, 401, "the challenge is a recorded 401");
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .expect("the replay listens on loopback");
        listener.set_nonblocking(true).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(Script {
            challenge,
            accept: Box::new(accept),
            exchanges,
            received: Vec::new(),
        }));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(script.clone());
        let thread = std::thread::Builder::new()
            .name("replay".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    tokio::select! {
                        served = axum::serve(listener, app) => served.expect("the replay serves"),
                        _ = stopped => {}
                    }
                });
            })
            .unwrap();
        Replay {
            url,
            script,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`, for `VAULTLINK_KEYVAULT_ENDPOINT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.script
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .received
            .clone()
    }

    /// The requests no recorded exchange answered.
    pub fn misses(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| !r.matched).collect()
    }
}

impl Drop for Replay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn handle(State(script): State<Arc<Mutex<Script>>>, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    let path = parts.uri.path();
    let path = path.strip_suffix('/').unwrap_or(path).to_owned();
    let query = parts.uri.query().unwrap_or_default().to_owned();
    let host = parts
        .headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let bearer = parts
        .headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let mut script = script.lock().unwrap_or_else(PoisonError::into_inner);
    let authorized = bearer.as_deref().is_some_and(|t| (script.accept)(t));
    let token = skiptoken(&query);
    let found = if authorized {
        script
            .exchanges
            .iter()
            .find(|e| {
                e.method.eq_ignore_ascii_case(parts.method.as_str())
                    && e.path().eq_ignore_ascii_case(&path)
                    && e.skiptoken() == token
            })
            .cloned()
    } else {
        Some(script.challenge.clone())
    };
    let matched = found.is_some();
    let exchange = found.unwrap_or_else(|| Exchange {
        method: parts.method.to_string(),
        url: String::new(),
        status: 404,
        headers: vec![("content-type".into(), "application/json".into())],
        content_length: None,
        body: serde_json::to_vec(&serde_json::json!({
            "error": { "code": "ReplayMiss", "message": format!("no recorded answer for {} {path}?{query}", parts.method) }
        }))
        .unwrap(),
    });
    script.received.push(Received {
        method: parts.method.to_string(),
        host,
        path,
        query,
        bearer: bearer.is_some(),
        authorized,
        status: exchange.status,
        matched,
    });
    let mut response = Response::new(Body::from(exchange.body.clone()));
    *response.status_mut() = StatusCode::from_u16(exchange.status).expect("a recorded status");
    for (name, value) in &exchange.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(n, v);
        }
    }
    response
}
