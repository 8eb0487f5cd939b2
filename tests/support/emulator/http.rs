//! What every surface of the emulator shares: the request read once into plain values, JSON
//! answers, and the random identifiers and clock readings Azure's answers are made of.

use std::collections::HashMap;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde_json::Value;

/// Bodies larger than this are refused; nothing the client sends comes close.
const BODY_LIMIT: usize = 4 << 20;

/// One request, read completely so the handlers can be plain synchronous functions.
pub(super) struct Req {
    pub(super) method: Method,
    /// The `Host` header as sent (with any port).
    pub(super) host: String,
    pub(super) path: String,
    /// The raw query string, still percent-encoded.
    pub(super) query: String,
    pub(super) headers: HeaderMap,
    pub(super) body: Bytes,
}

impl Req {
    /// Reads the request; `None` when its body is too large or cut off.
    pub(super) async fn read(request: Request) -> Option<Req> {
        let (parts, body) = request.into_parts();
        let host = parts
            .headers
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_string)
            .or_else(|| parts.uri.authority().map(|a| a.to_string()))
            .unwrap_or_default();
        let body = axum::body::to_bytes(body, BODY_LIMIT).await.ok()?;
        Some(Req {
            method: parts.method,
            host,
            path: parts.uri.path().to_string(),
            query: parts.uri.query().unwrap_or_default().to_string(),
            headers: parts.headers,
            body,
        })
    }

    /// The decoded query parameters; the first one wins when a name repeats.
    pub(super) fn query_params(&self) -> HashMap<String, String> {
        first_wins(url::form_urlencoded::parse(self.query.as_bytes()).into_owned())
    }

    /// The form fields of a `application/x-www-form-urlencoded` body, in order; empty for
    /// any other body, as Entra ID reads nothing else.
    pub(super) fn form(&self) -> Vec<(String, String)> {
        let is_form = self
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Vec::new();
        }
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    /// The form fields by name (the first one wins).
    pub(super) fn form_params(&self) -> HashMap<String, String> {
        first_wins(self.form().into_iter())
    }

    /// The vault this request is for: the `Host` header, lowercased, without its port.
    pub(super) fn vault_host(&self) -> String {
        let host = self
            .host
            .rsplit_once(':')
            .map_or(self.host.as_str(), |(h, _)| h);
        host.to_ascii_lowercase()
    }

    pub(super) fn authorization(&self) -> Option<String> {
        let value = self.headers.get(AUTHORIZATION)?;
        Some(String::from_utf8_lossy(value.as_bytes()).into_owned())
    }

    /// The token of an `Authorization: Bearer <token>` header (the scheme is case-insensitive).
    pub(super) fn bearer(&self) -> Option<String> {
        let value = self.authorization()?;
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_string())
    }
}

fn first_wins(pairs: impl Iterator<Item = (String, String)>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in pairs {
        map.entry(k).or_insert(v);
    }
    map
}

pub(super) fn json(status: StatusCode, body: &Value) -> Response {
    response(status, "application/json; charset=utf-8", body.to_string())
}

pub(super) fn response(status: StatusCode, content_type: &str, body: String) -> Response {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .expect("a valid response")
}

/// An unguessable opaque string (tokens, codes): `bytes` random bytes, base64url.
pub(super) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    URL_SAFE_NO_PAD.encode(buf)
}

/// A Key Vault version id: 32 lowercase hex digits.
pub(super) fn random_version() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A random GUID in its usual lowercase, hyphenated form.
pub(super) fn guid() -> String {
    let hex = random_version();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// How far the emulator's clock is from the machine's, in seconds (see
/// [`Emulator::skew_clock`](super::Emulator::skew_clock)).
pub(super) static CLOCK_SKEW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

pub(super) fn unix_now() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH);
    since.map_or(0, |d| d.as_secs() as i64) + CLOCK_SKEW.load(std::sync::atomic::Ordering::Relaxed)
}

/// The current UTC time as Entra ID writes it in errors: `2024-05-01 12:34:56Z`.
pub(super) fn utc_timestamp() -> String {
    let secs = unix_now();
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, rem % 3600 / 60, rem % 60);
    format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02}:{ss:02}Z")
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm),
/// so the emulator needs no date crate for one timestamp.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}
