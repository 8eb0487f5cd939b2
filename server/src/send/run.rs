//! Sending a request: HTTP/1.1 or HTTP/2 (ALPN) over rustls, a timeout, and redirects
//! followed by hand — a request that carries a secret follows them only within its origin,
//! so a redirect can never carry a secret to another host.

use std::time::{Duration, Instant};

use url::Url;

/// A request with everything resolved: it holds secret values, so it is never printed as
/// is (see `Redactor`).
pub struct Concrete {
    pub method: reqwest::Method,
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
pub fn client(timeout: Duration) -> reqwest::Client {
    crate::net::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout.min(Duration::from_secs(30)))
        .timeout(timeout)
        .user_agent(concat!("vaultlink/", env!("CARGO_PKG_VERSION")))
        // Header names go out over HTTP/1.1 in the case they are usually written in
        // (`X-Trial`, `Content-Type`), as curl and the editors' clients send what was written;
        // hyper would lower-case them otherwise, and cannot keep a name's own case.
        .http1_title_case_headers()
        .build()
        .expect("the TLS backend initialises")
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
pub async fn execute(client: &reqwest::Client, mut req: Concrete) -> Result<Response, String> {
    let started = Instant::now();
    for _ in 0..=MAX_REDIRECTS {
        let mut builder = client.request(req.method.clone(), req.url.clone());
        for (n, v) in &req.headers {
            let name = reqwest::header::HeaderName::from_bytes(n.as_bytes())
                .map_err(|_| format!("`{n}` is not a valid header name"))?;
            let mut value = reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| format!("the value of header `{n}` is not a valid header value"))?;
            if req.carries_secret {
                value.set_sensitive(true);
            }
            builder = builder.header(name, value);
        }
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let resp = builder
            .send()
            .await
            .map_err(|e| describe(&e).replace(req.url.as_str(), &req.shown_url))?;
        let status = resp.status();
        if status.is_redirection()
            && let Some(location) = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
        {
            let next = req.url.join(location).map_err(|_| {
                format!("the server redirected to `{location}`, which is not a URL")
            })?;
            if origin(&next) != origin(&req.url) {
                if req.carries_secret {
                    let mut r = collect(resp, started).await?;
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
            if code == 303 || ((code == 301 || code == 302) && req.method == reqwest::Method::POST)
            {
                req.method = reqwest::Method::GET;
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
        return collect(resp, started).await;
    }
    Err(format!("more than {MAX_REDIRECTS} redirects"))
}

async fn collect(resp: reqwest::Response, started: Instant) -> Result<Response, String> {
    let status = resp.status();
    let version = match resp.version() {
        reqwest::Version::HTTP_2 => "HTTP/2",
        reqwest::Version::HTTP_10 => "HTTP/1.0",
        reqwest::Version::HTTP_3 => "HTTP/3",
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
    let body = resp.bytes().await.map_err(|e| describe(&e))?.to_vec();
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

fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "the request timed out (see --timeout)".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    format!("{what}: {}", crate::net::error_chain(e))
}
