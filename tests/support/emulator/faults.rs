//! Injected misbehaviour: server errors, throttling and slowness for the requests whose path
//! contains a given string, so tests can check retries, backoff and that one reference's
//! failure leaves the others alone.

use std::time::Duration;

use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::Response;
use serde_json::json;

use super::http::json;

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
    /// How long to wait before answering a matching request.
    pub delay: Duration,
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
