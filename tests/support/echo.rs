//! A loopback HTTP/1.1 server that answers every request with the request itself as JSON
//! (`{"method", "target", "headers": [[n, v]], "body"}`), and keeps a log of what it got.
//! `/redirect?to=URL` answers 302 to URL; `/binary` answers bytes that are not text; `/slow`
//! answers after five seconds; `/enc…` answers `text/plain` with what it got (target
//! percent-decoded, header values, body) re-encoded as base64, base64url, hex, `\uXXXX` and
//! JSON, each at three byte alignments, as a server that echoes values in other encodings.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::json;

#[derive(Clone, Debug)]
pub struct Got {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub struct Echo {
    ip: String,
    port: u16,
    log: Arc<Mutex<Vec<Got>>>,
}

impl Echo {
    pub fn start() -> Echo {
        Echo::start_at("127.0.0.1")
    }

    /// An echo server on another loopback address (`127.0.0.2`: a host no link allows).
    pub fn start_at(ip: &str) -> Echo {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let log: Arc<Mutex<Vec<Got>>> = Arc::default();
        let l = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let l = l.clone();
                thread::spawn(move || serve(stream, &l));
            }
        });
        Echo {
            ip: ip.to_owned(),
            port,
            log,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}:{}", self.ip, self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn requests(&self) -> Vec<Got> {
        self.log.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Got>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        let (method, target) = (
            parts.next().unwrap_or("").to_owned(),
            parts.next().unwrap_or("").to_owned(),
        );
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_owned(), v.trim().to_owned()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let got = Got {
            method: method.clone(),
            target: target.clone(),
            headers: headers.clone(),
            body: body.clone(),
        };
        log.lock().unwrap().push(got);
        if target == "/slow" {
            thread::sleep(std::time::Duration::from_secs(5));
        }
        let (status, extra, content_type, payload): (&str, String, &str, Vec<u8>) =
            if let Some(to) = target.strip_prefix("/redirect?to=") {
                let to: String = url::form_urlencoded::parse(format!("to={to}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                (
                    "302 Found",
                    format!("Location: {to}\r\n"),
                    "text/plain",
                    b"moved".to_vec(),
                )
            } else if target.starts_with("/enc") {
                let mut got = String::from_utf8_lossy(
                    &percent_encoding::percent_decode_str(&target).collect::<Vec<u8>>(),
                )
                .into_owned();
                for (_, v) in &headers {
                    got.push('\n');
                    got.push_str(v);
                }
                got.push('\n');
                got.push_str(&String::from_utf8_lossy(&body));
                (
                    "200 OK",
                    String::new(),
                    "text/plain; charset=utf-8",
                    encodings(&got).into_bytes(),
                )
            } else if target == "/binary" {
                (
                    "200 OK",
                    String::new(),
                    "application/octet-stream",
                    vec![0, 159, 146, 150, 255],
                )
            } else {
                let echo = json!({
                    "method": method,
                    "target": target,
                    "headers": headers.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
                    "body": String::from_utf8_lossy(&body),
                });
                (
                    "200 OK",
                    String::new(),
                    "application/json",
                    echo.to_string().into_bytes(),
                )
            };
        let head = format!(
            "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}X-Echo-Auth: {}\r\n\r\n",
            payload.len(),
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        );
        if stream
            .write_all(head.as_bytes())
            .and_then(|_| stream.write_all(&payload))
            .is_err()
        {
            return;
        }
    }
}

/// `text` as base64, base64url, hex, `\uXXXX` escapes and a JSON string, each after zero,
/// one and two bytes of padding, one per line.
fn encodings(text: &str) -> String {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let mut out = String::new();
    for pad in ["", "x", "xy"] {
        let t = format!("{pad}{text}");
        let hex: String = t.bytes().map(|b| format!("{b:02x}")).collect();
        let unicode: String = t.encode_utf16().map(|u| format!("\\u{u:04x}")).collect();
        for line in [
            STANDARD.encode(&t),
            URL_SAFE_NO_PAD.encode(&t),
            hex.to_ascii_uppercase(),
            hex,
            unicode,
            serde_json::to_string(&t).unwrap(),
        ] {
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}
