//! Injected misbehaviour: server errors, throttling and slowness for the requests whose path
//! contains a given string, so tests can check retries, backoff and that one reference's
//! failure leaves the others alone; and for Key Vault, broken answers ([`Damage`]): a
//! connection reset in the middle of a body, a body that stalls, JSON that is malformed or
//! cut off, a `nextLink` back to the same page, an access-policy refusal.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER};
use axum::response::Response;
use futures::StreamExt;
use serde_json::json;

use super::http::{Req, json};

/// A broken Key Vault answer, in place of the real one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Damage {
    /// 200 with a `Content-Length` of the whole page, the first bytes of it, then the
    /// connection reset.
    ResetMidBody,
    /// 200 with the first bytes of a page at once and the rest after the fault's `delay`.
    SlowBody,
    /// 200 with a body that is not JSON.
    Malformed,
    /// 200 with a list page cut off in the middle (whole as HTTP goes: the length matches).
    Truncated,
    /// 200 with an empty list page whose `nextLink` is the request itself.
    NextLinkLoop,
    /// 403 `Forbidden` with inner error `AccessDenied`: the vault's access policy does not
    /// give this caller the permission.
    AccessDenied,
}

/// A misbehaviour for the requests whose path contains `path_contains`. Key Vault requests
/// meet faults only once their token is accepted, so the unauthenticated first request of
/// a challenge handshake never uses one up; Entra ID requests meet them before anything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub path_contains: String,
    /// The status to answer instead of the real answer (429 or 5xx); `None` only delays.
    pub status: Option<u16>,
    /// The `Retry-After` seconds sent with a 429; `None` sends no header.
    pub retry_after: Option<u64>,
    /// How many matching requests meet this fault; `None` is every one.
    pub times: Option<u32>,
    /// How long to wait before answering a matching request (for [`Damage::SlowBody`]: before
    /// the rest of the body).
    pub delay: Duration,
    /// A broken answer instead of the real one (Key Vault requests only).
    pub damage: Option<Damage>,
}

impl Fault {
    /// Answers `status` (500, 502, 503, ...) to every matching request.
    pub fn fail(path_contains: &str, status: u16) -> Fault {
        Fault {
            status: Some(status),
            ..Fault::slow(path_contains, Duration::ZERO)
        }
    }

    /// Answers 429, with `Retry-After: <secs>` when given, to every matching request.
    pub fn throttle(path_contains: &str, retry_after: Option<u64>) -> Fault {
        Fault {
            retry_after,
            ..Fault::fail(path_contains, 429)
        }
    }

    /// Answers every matching request normally, after `delay`.
    pub fn slow(path_contains: &str, delay: Duration) -> Fault {
        Fault {
            path_contains: path_contains.to_string(),
            status: None,
            retry_after: None,
            times: None,
            delay,
            damage: None,
        }
    }

    /// Answers every matching Key Vault request with `damage`.
    pub fn damage(path_contains: &str, damage: Damage) -> Fault {
        Fault {
            damage: Some(damage),
            ..Fault::slow(path_contains, Duration::ZERO)
        }
    }

    /// How long the answer's head is held back.
    pub(super) fn head_delay(&self) -> Duration {
        match self.damage {
            Some(Damage::SlowBody) => Duration::ZERO,
            _ => self.delay,
        }
    }

    /// Limits the fault to the next `n` matching requests.
    pub fn times(self, n: u32) -> Fault {
        Fault {
            times: Some(n),
            ..self
        }
    }
}

/// The faults in force, in the order they were added; the first one that matches a request
/// is the one it meets.
#[derive(Default)]
pub(super) struct Faults(Vec<Fault>);

impl Faults {
    pub(super) fn add(&mut self, fault: Fault) {
        self.0.push(fault);
    }

    pub(super) fn clear(&mut self) {
        self.0.clear();
    }

    /// The fault this request meets, counting it against the fault's `times`.
    pub(super) fn take(&mut self, path: &str) -> Option<Fault> {
        let i = self
            .0
            .iter()
            .position(|f| path.contains(&f.path_contains))?;
        let fault = self.0[i].clone();
        match &mut self.0[i].times {
            Some(1) | Some(0) => {
                self.0.remove(i);
            }
            Some(n) => *n -= 1,
            None => {}
        }
        Some(fault)
    }
}

/// Which error format a fault answer uses.
#[derive(Clone, Copy)]
pub(super) enum Surface {
    KeyVault,
    Entra,
}

/// The answer a fault replaces the real one with, or `None` when it only delays.
pub(super) fn answer(fault: &Fault, surface: Surface) -> Option<Response> {
    let status = StatusCode::from_u16(fault.status?).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = match surface {
        Surface::KeyVault => json(status, &key_vault_error(status)),
        Surface::Entra => super::entra::error(
            status,
            "temporarily_unavailable",
            90033,
            "A transient error has occurred. Please try again.",
        ),
    };
    if let (StatusCode::TOO_MANY_REQUESTS, Some(secs)) = (status, fault.retry_after) {
        response
            .headers_mut()
            .insert(RETRY_AFTER, secs.to_string().parse().expect("a number"));
    }
    Some(response)
}

impl super::Emulator {
    /// Sets the emulator's clock `secs` away from the machine's: the times it writes (secret
    /// attributes, Entra ID's error timestamps) are off by that much. The clock is the
    /// process's, shared by every emulator in it.
    pub fn skew_clock(&self, secs: i64) {
        super::http::CLOCK_SKEW.store(secs, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A list page as Key Vault writes it, for the vault `req` is for.
fn page(req: &Req) -> String {
    let host = req.vault_host();
    let items: Vec<_> = (0..5)
        .map(|i| {
            json!({
                "id": format!("https://{host}/secrets/damaged-{i}"),
                "attributes": { "enabled": true, "created": 1_700_000_000 + i, "updated": 1_700_000_000 + i, "recoveryLevel": "Recoverable+Purgeable" },
                "tags": {}
            })
        })
        .collect();
    json!({ "value": items, "nextLink": null }).to_string()
}

/// The broken answer a Key Vault request meets, if the fault breaks it.
pub(super) fn damaged(fault: &Fault, req: &Req) -> Option<Response> {
    let ok = |body: Body, length: Option<usize>| {
        let mut builder = Response::builder()
            .status(StatusCode::OK)
            .header(CONTENT_TYPE, "application/json; charset=utf-8");
        if let Some(n) = length {
            builder = builder.header(CONTENT_LENGTH, n);
        }
        builder.body(body).expect("a valid response")
    };
    Some(match fault.damage? {
        Damage::ResetMidBody => {
            let page = page(req);
            let first = Bytes::from(page.as_bytes()[..page.len() / 3].to_vec());
            let parts: Vec<std::io::Result<Bytes>> = vec![
                Ok(first),
                Err(std::io::Error::new(
                    std::io::ErrorKind::ConnectionReset,
                    "connection reset by the emulator",
                )),
            ];
            ok(
                Body::from_stream(futures::stream::iter(parts)),
                Some(page.len()),
            )
        }
        Damage::SlowBody => {
            let page = page(req);
            let (first, rest) = page.split_at(page.len() / 2);
            let delay = fault.delay;
            let parts = vec![
                (Duration::ZERO, Bytes::from(first.to_owned())),
                (delay, Bytes::from(rest.to_owned())),
            ];
            let stream = futures::stream::iter(parts).then(|(wait, bytes)| async move {
                tokio::time::sleep(wait).await;
                Ok::<_, std::io::Error>(bytes)
            });
            ok(Body::from_stream(stream), Some(page.len()))
        }
        Damage::Malformed => ok(
            Body::from("<html><body>502 Bad Gateway</body></html>"),
            None,
        ),
        Damage::Truncated => {
            let page = page(req);
            ok(Body::from(page[..page.len() * 2 / 3].to_owned()), None)
        }
        Damage::NextLinkLoop => {
            let mut link = format!("https://{}{}", req.vault_host(), req.path);
            if !req.query.is_empty() {
                link.push('?');
                link.push_str(&req.query);
            }
            json(StatusCode::OK, &json!({ "value": [], "nextLink": link }))
        }
        Damage::AccessDenied => {
            let vault = req.vault_host();
            let vault = vault.split('.').next().unwrap_or_default();
            json(
                StatusCode::FORBIDDEN,
                &json!({ "error": {
                    "code": "Forbidden",
                    "message": format!("The user, group or application 'appid=04b07795-8ddb-461a-bbee-02f9e1bf7b46;oid=9c4e1c0b-7a8f-4f5e-9d1c-2b3a4c5d6e7f;iss=https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/' does not have secrets list permission on key vault '{vault};location=westeurope'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"),
                    "innererror": { "code": "AccessDenied" }
                }}),
            )
        }
    })
}

fn key_vault_error(status: StatusCode) -> serde_json::Value {
    let (code, message) = match status {
        StatusCode::TOO_MANY_REQUESTS => (
            "Throttled",
            "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
        ),
        StatusCode::BAD_GATEWAY => (
            "BadGateway",
            "The gateway received an invalid response from the vault service.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            "ServiceUnavailable",
            "The service is temporarily unavailable. Please retry later.",
        ),
        StatusCode::GATEWAY_TIMEOUT => (
            "GatewayTimeout",
            "The vault service did not answer in time.",
        ),
        _ => ("InternalServerError", "An unexpected error occurred."),
    };
    json!({ "error": { "code": code, "message": message } })
}

#[cfg(test)]
mod tests {
    use super::{Fault, Faults};

    #[test]
    fn counted_faults_run_out_and_the_first_match_wins() {
        let mut faults = Faults::default();
        faults.add(Fault::fail("/secrets/a", 503).times(2));
        faults.add(Fault::fail("/secrets/", 500));
        let statuses: Vec<_> = (0..3)
            .map(|_| faults.take("/secrets/a").and_then(|f| f.status))
            .collect();
        assert_eq!(statuses, [Some(503), Some(503), Some(500)]);
        assert_eq!(faults.take("/other"), None);
    }
}
