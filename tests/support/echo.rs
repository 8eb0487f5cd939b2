//! A loopback HTTP/1.1 server that answers every request with the request itself as JSON
//! (`{"method", "target", "headers": [[n, v]], "body"}`), and keeps a log of what it got.
//! `/redirect?to=URL` answers 302 to URL; `/binary` answers bytes that are not text; `/slow`
//! answers after five seconds.

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
    port: u16,
    log: Arc<Mutex<Vec<Got>>>,
}

impl Echo {
    pub fn start() -> Echo {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let log: Arc<Mutex<Vec<Got>>> = Arc::default();
        let l = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let l = l.clone();
                thread::spawn(move || serve(stream, &l));
            }
        });
        Echo { port, log }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
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
