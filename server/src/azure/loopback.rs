//! The browser flow's redirect target: a listener on `127.0.0.1:<random port>` that takes
//! exactly one callback carrying the expected `state`, answers the browser with a short page,
//! and gives up after a deadline. Requests without sign-in parameters (a favicon, a probe)
//! are answered and ignored; a callback with another `state` ends the sign-in, refused.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::azure::signin::SignInError;

pub struct Listener {
    listener: TcpListener,
    port: u16,
}

/// A callback with a code, its connection kept open so that the browser learns how the
/// sign-in ended.
pub struct Callback {
    stream: TcpStream,
    code: String,
}

impl Listener {
    pub async fn bind() -> std::io::Result<Listener> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(Listener { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Waits for the callback with `state`.
    pub async fn accept(self, state: &str, timeout: Duration) -> Result<Callback, SignInError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let accepted = tokio::time::timeout_at(deadline, self.listener.accept()).await;
            let Ok(accepted) = accepted else {
                return Err(SignInError::TimedOut(timeout));
            };
            let Ok((mut stream, _)) = accepted else {
                continue;
            };
            let Some(target) = read_target(&mut stream).await else {
                continue;
            };
            let params: Vec<(String, String)> = target
                .split_once('?')
                .map(|(_, q)| {
                    url::form_urlencoded::parse(q.as_bytes())
                        .into_owned()
                        .collect()
                })
                .unwrap_or_default();
            let get = |k: &str| {
                params
                    .iter()
                    .find(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
            };
            let (code, got_state, error) = (get("code"), get("state"), get("error"));
            if code.is_none() && error.is_none() {
                respond(
                    &mut stream,
                    "404 Not Found",
                    "Nothing here",
                    "This address only receives the vaultlink sign-in.",
                )
                .await;
                continue;
            }
            if got_state.as_deref() != Some(state) {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "Sign-in refused",
                    "This sign-in response does not belong to the sign-in vaultlink started, so it was refused. Start the sign-in again from your editor or terminal.",
                )
                .await;
                return Err(SignInError::StateMismatch);
            }
            if let Some(error) = error {
                let description = get("error_description");
                let text = format!(
                    "The sign-in did not complete: {error}{}. You can close this tab.",
                    description
                        .as_deref()
                        .map(|d| format!(" — {d}"))
                        .unwrap_or_default()
                );
                respond(&mut stream, "200 OK", "Sign-in failed", &text).await;
                return Err(SignInError::Refused { error, description });
            }
            return Ok(Callback {
                stream,
                code: code.unwrap_or_default(),
            });
        }
    }
}

impl Callback {
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Tells the browser how the sign-in ended.
    pub async fn finish(mut self, outcome: Result<(), &str>) {
        match outcome {
            Ok(()) => {
                respond(
                    &mut self.stream,
                    "200 OK",
                    "Signed in",
                    "You are signed in to vaultlink. You can close this tab.",
                )
                .await
            }
            Err(message) => {
                let text =
                    format!("The sign-in did not complete: {message}. You can close this tab.");
                respond(&mut self.stream, "200 OK", "Sign-in failed", &text).await
            }
        }
    }
}

/// The request target of an HTTP request head, read within a few seconds.
async fn read_target(stream: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    let read = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    tokio::time::timeout(Duration::from_secs(10), read)
        .await
        .ok()??;
    let head = String::from_utf8_lossy(&buf);
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    (method == "GET").then(|| target.to_owned())
}

async fn respond(stream: &mut TcpStream, status: &str, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>vaultlink — {title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{}</p></body></html>",
        html_escape(text)
    );
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
