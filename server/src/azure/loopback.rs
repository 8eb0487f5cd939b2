//! The browser flow's redirect target: a listener on `127.0.0.1:<random port>` that takes
//! exactly one callback carrying the expected `state`, answers the browser with a short page,
//! and gives up after a deadline. Connections are served side by side, so an idle one cannot
//! hold up the browser's. A request whose `Host` is not this listener (a web page reaching it
//! through another name), a request without sign-in parameters (a favicon, a probe) and a
//! callback with another `state` are answered and ignored: the sign-in goes on waiting for
//! its own callback.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::azure::error::SignInError;

/// Connections served at once; more wait until one ends.
const MAX_CONNECTIONS: usize = 32;
/// How long a connection may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);

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

type Outcome = Result<Callback, SignInError>;

impl Listener {
    pub async fn bind() -> std::io::Result<Listener> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        Ok(Listener { listener, port })
    }

    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// Waits for the callback with `state`, serving every connection on its own task.
    pub async fn accept(self, state: &str, timeout: Duration) -> Result<Callback, SignInError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let (tx, mut outcomes) = mpsc::channel::<Outcome>(1);
        // Dropped on return: connections still open are closed.
        let mut connections = JoinSet::new();
        loop {
            while connections.try_join_next().is_some() {}
            let room = connections.len() < MAX_CONNECTIONS;
            tokio::select! {
                accepted = self.listener.accept(), if room => {
                    let Ok((stream, _)) = accepted else { continue };
                    let (tx, state, port) = (tx.clone(), state.to_owned(), self.port);
                    connections.spawn(async move {
                        if let Some(outcome) = serve(stream, &state, port).await {
                            let _ = tx.send(outcome).await;
                        }
                    });
                }
                _ = connections.join_next(), if !room => {}
                Some(outcome) = outcomes.recv() => return outcome,
                () = tokio::time::sleep_until(deadline) => {
                    return Err(SignInError::TimedOut(timeout));
                }
            }
        }
    }
}

/// Answers one connection; the sign-in's outcome when it is the callback.
async fn serve(mut stream: TcpStream, state: &str, port: u16) -> Option<Outcome> {
    let head = read_head(&mut stream).await?;
    let ours = [format!("127.0.0.1:{port}"), format!("localhost:{port}")];
    if !head
        .host
        .as_deref()
        .is_some_and(|h| ours.iter().any(|o| o.eq_ignore_ascii_case(h)))
    {
        respond(
            &mut stream,
            "400 Bad Request",
            "Wrong address",
            "This address only receives the vaultlink sign-in, at 127.0.0.1.",
        )
        .await;
        return None;
    }
    let params: Vec<(String, String)> = head
        .target
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
        return None;
    }
    if got_state.as_deref() != Some(state) {
        respond(
            &mut stream,
            "400 Bad Request",
            "Sign-in refused",
            "This sign-in response does not belong to the sign-in vaultlink started, so it was refused. Finish the sign-in in the page vaultlink opened, or start it again from your editor or terminal.",
        )
        .await;
        return None;
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
        return Some(Err(SignInError::Refused { error, description }));
    }
    Some(Ok(Callback {
        stream,
        code: code.unwrap_or_default(),
    }))
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

/// What the listener reads of a request: its target and `Host`.
struct Head {
    target: String,
    host: Option<String>,
}

/// The request head of a `GET`, read within [`HEAD_TIMEOUT`].
async fn read_head(stream: &mut TcpStream) -> Option<Head> {
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
    tokio::time::timeout(HEAD_TIMEOUT, read).await.ok()??;
    let head = String::from_utf8_lossy(&buf);
    let mut lines = head.lines();
    let mut parts = lines.next()?.split(' ');
    let (method, target) = (parts.next()?, parts.next()?);
    let host = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim().to_owned());
    (method == "GET").then(|| Head {
        target: target.to_owned(),
        host,
    })
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
