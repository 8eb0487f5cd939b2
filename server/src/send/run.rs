//! Sending a request: HTTP/1.1 or HTTP/2 (ALPN) over rustls, through the environment's proxy
//! (see `connect`), a timeout, header names sent as written, and redirects followed by hand —
//! a request that carries a secret follows them only within its origin, so a redirect can
//! never carry a secret to another host.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as Pool;
use hyper_util::client::proxy::matcher::Matcher;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use url::Url;

use super::connect;

/// A request with everything resolved: it holds secret values, so it is never printed as
/// is (see `Redactor`).
pub struct Concrete {
    pub method: http::Method,
    pub url: Url,
    /// The URL as shown: built from the request with its secrets masked, so that a value
    /// that splits the URL in unexpected places is never shown in part.
    pub shown_url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// Whether a secret value is in it: then redirects stay within its origin.
    pub carries_secret: bool,
}

pub struct Response {
    pub status: u16,
    pub status_text: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub elapsed: Duration,
    /// A redirect that was not followed, and why.
    pub redirect_refused: Option<String>,
}

const MAX_REDIRECTS: usize = 10;

/// The client requests are sent with: one connection pool for a whole run.
pub struct Client {
    pool: Pool<connect::Connector, Full<Bytes>>,
    proxies: Arc<Matcher>,
    timeout: Duration,
}

pub fn client(timeout: Duration) -> Client {
    let proxies = Arc::new(crate::net::proxies());
    let connector = connect::connector(proxies.clone(), timeout.min(Duration::from_secs(30)));
    let pool = Pool::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .timer(TokioTimer::new())
        // The names hyper adds (`Host`, `Content-Length`) in the case they are usually
        // written in; the request's own names go out as written (see `written_case`).
        .http1_title_case_headers(true)
        .build(connector);
    Client {
        pool,
        proxies,
        timeout,
    }
}

fn origin(u: &Url) -> (String, Option<String>, Option<u16>) {
    (
        u.scheme().to_owned(),
        u.host_str().map(str::to_ascii_lowercase),
        u.port_or_known_default(),
    )
}

/// Sends `req`, following redirects as described above. Errors are messages that may quote
/// the URL: redact them before showing.
pub async fn execute(client: &Client, mut req: Concrete) -> Result<Response, String> {
    let started = Instant::now();
    for _ in 0..=MAX_REDIRECTS {
        let deadline = tokio::time::Instant::now() + client.timeout;
        let request = build(client, &req).await?;
        let resp = match tokio::time::timeout_at(deadline, client.pool.request(request)).await {
            Err(_) => return Err(TIMED_OUT.to_owned()),
            Ok(r) => r.map_err(|e| describe(&e, &req.shown_url))?,
        };
        let status = resp.status();
        if status.is_redirection()
            && let Some(location) = resp
                .headers()
                .get(http::header::LOCATION)
                .and_then(|l| l.to_str().ok())
        {
            let next = req.url.join(location).map_err(|_| {
                format!("the server redirected to `{location}`, which is not a URL")
            })?;
            if origin(&next) != origin(&req.url) {
                if req.carries_secret {
                    let mut r = collect(resp, started, deadline).await?;
                    r.redirect_refused = Some(format!(
                        "the server redirected to {}, another origin; the redirect was not followed because the request carries a secret",
                        next.origin().ascii_serialization()
                    ));
                    return Ok(r);
                }
                // Credentials never follow to another origin.
                req.headers.retain(|(n, _)| {
                    !n.eq_ignore_ascii_case("authorization") && !n.eq_ignore_ascii_case("cookie")
                });
            }
            let code = status.as_u16();
            if code == 303 || ((code == 301 || code == 302) && req.method == http::Method::POST) {
                req.method = http::Method::GET;
                req.body = None;
                req.headers.retain(|(n, _)| {
                    !n.eq_ignore_ascii_case("content-type")
                        && !n.eq_ignore_ascii_case("content-length")
                });
            }
            req.shown_url = next.to_string();
            req.url = next;
            continue;
        }
        return collect(resp, started, deadline).await;
    }
    Err(format!("more than {MAX_REDIRECTS} redirects"))
}

const TIMED_OUT: &str = "the request timed out (see --timeout)";

/// The request as hyper sends it: credentials in the URL as a `Basic` authorization, the
/// headers as written (names keep their case over HTTP/1.1), then a `User-Agent` and
/// `Accept: */*` unless written, and the proxy's credentials when the request itself goes to
/// a proxy.
async fn build(client: &Client, req: &Concrete) -> Result<http::Request<Full<Bytes>>, String> {
    let mut url = req.url.clone();
    let mut headers = http::HeaderMap::with_capacity(req.headers.len() + 3);
    let mut names: Vec<&str> = Vec::with_capacity(req.headers.len() + 1);
    if let Some(mut basic) = userinfo(&mut url) {
        basic.set_sensitive(true);
        headers.append(http::header::AUTHORIZATION, basic);
        names.push("Authorization");
    }
    let uri: http::Uri = url
        .as_str()
        .parse()
        .map_err(|_| format!("`{}` is not a URL that can be sent", req.shown_url))?;
    for (n, v) in &req.headers {
        let name = http::HeaderName::from_bytes(n.as_bytes())
            .map_err(|_| format!("`{n}` is not a valid header name"))?;
        let mut value = http::HeaderValue::from_str(v)
            .map_err(|_| format!("the value of header `{n}` is not a valid header value"))?;
        if req.carries_secret {
            value.set_sensitive(true);
        }
        headers.append(name, value);
        names.push(n);
    }
    headers
        .entry(http::header::USER_AGENT)
        .or_insert(http::HeaderValue::from_static(concat!(
            "vaultlink/",
            env!("CARGO_PKG_VERSION")
        )));
    headers
        .entry(http::header::ACCEPT)
        .or_insert(http::HeaderValue::from_static("*/*"));
    if uri.scheme_str() == Some("http")
        && let Some(auth) = client
            .proxies
            .intercept(&uri)
            .and_then(|p| p.basic_auth().cloned())
    {
        headers
            .entry(http::header::PROXY_AUTHORIZATION)
            .or_insert(auth);
    }
    let body = Full::new(Bytes::from(req.body.clone().unwrap_or_default()));
    let mut request = http::Request::new(body);
    *request.method_mut() = req.method.clone();
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    *request.extensions_mut() = written_case(&names).await;
    Ok(request)
}

/// The names of `headers` as written, in the form hyper's HTTP/1 writer reads them from a
/// request's extensions. hyper keeps that form private and fills it only while parsing a
/// message on a connection that preserves header case (which is how a proxy built on hyper
/// forwards names as it received them), so the names are handed to hyper's own parser: a
/// request head with each name, in order, and no value, read over an in-memory pipe. Nothing
/// but names goes through it. Without it hyper would send every name in lower case.
async fn written_case(names: &[&str]) -> http::Extensions {
    use tokio::io::AsyncWriteExt;
    if names.is_empty() {
        return http::Extensions::new();
    }
    let mut head = b"GET / HTTP/1.1\r\n".to_vec();
    for n in names {
        head.extend_from_slice(n.as_bytes());
        head.extend_from_slice(b":\r\n");
    }
    head.extend_from_slice(b"\r\n");
    let (mut ours, theirs) = tokio::io::duplex(head.len() + 4096);
    if ours.write_all(&head).await.is_err() {
        return http::Extensions::new();
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let service = hyper::service::service_fn(move |r: http::Request<hyper::body::Incoming>| {
        if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
            let _ = tx.send(r.into_parts().0.extensions);
        }
        async {
            Ok::<_, std::convert::Infallible>(http::Response::new(
                http_body_util::Empty::<Bytes>::new(),
            ))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .preserve_header_case(true)
        .max_headers(names.len() + 1)
        .serve_connection(hyper_util::rt::TokioIo::new(theirs), service);
    tokio::select! {
        got = rx => got.unwrap_or_default(),
        _ = conn => http::Extensions::new(),
    }
}

/// Takes the user name and password out of `url` (as browsers and curl do, they are sent as
/// `Authorization: Basic …`, not in the URL), percent-decoded.
fn userinfo(url: &mut Url) -> Option<http::HeaderValue> {
    use base64::Engine as _;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(|s| s.into_owned())
    };
    let user = decode(url.username())?;
    let password = url.password().and_then(decode);
    if user.is_empty() && password.is_none() {
        return None;
    }
    url.set_username("").ok()?;
    url.set_password(None).ok()?;
    let pair = format!("{user}:{}", password.unwrap_or_default());
    let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
    http::HeaderValue::from_str(&format!("Basic {encoded}")).ok()
}

async fn collect(
    resp: http::Response<hyper::body::Incoming>,
    started: Instant,
    deadline: tokio::time::Instant,
) -> Result<Response, String> {
    let status = resp.status();
    let version = match resp.version() {
        http::Version::HTTP_2 => "HTTP/2",
        http::Version::HTTP_10 => "HTTP/1.0",
        http::Version::HTTP_3 => "HTTP/3",
        _ => "HTTP/1.1",
    }
    .to_owned();
    let headers = resp
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = match tokio::time::timeout_at(deadline, resp.into_body().collect()).await {
        Err(_) => return Err(TIMED_OUT.to_owned()),
        Ok(b) => b
            .map_err(|e| {
                format!(
                    "the response could not be read: {}",
                    crate::net::error_chain(&e)
                )
            })?
            .to_bytes()
            .to_vec(),
    };
    Ok(Response {
        status: status.as_u16(),
        status_text: status.canonical_reason().unwrap_or("").to_owned(),
        version,
        headers,
        body,
        elapsed: started.elapsed(),
        redirect_refused: None,
    })
}

/// What went wrong sending to `shown_url` (the URL with its secrets masked).
fn describe(e: &hyper_util::client::legacy::Error, shown_url: &str) -> String {
    let what = if e.is_connect() {
        "could not connect"
    } else {
        "the request failed"
    };
    format!(
        "{what}: error sending request for url ({shown_url}): {}",
        crate::net::error_chain(e)
    )
}
