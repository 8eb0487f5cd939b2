//! Load and memory over time, with the release binary.
//!
//! 1. The language server with 100 open documents (`.http` files, Postman collections and
//!    environments beside one `vaultlink.json`) edited at 50 changes a second for a minute,
//!    with 5 hovers and 5 completions a second at the edits: each second, the p50 and p99 of
//!    that second's answers and the server's resident memory (RSS), as a curve.
//! 2. `vaultlink send --all` of 1,000 requests using 50 secrets, against the Key Vault
//!    emulator and a loopback echo server: RSS sampled every 100 ms, beside a run of 250
//!    requests, so that memory that grows with the number of requests shows.
//!
//! `cargo build --release -p vaultlink && cargo bench -p vaultlink-e2e --bench memory`
//! (`VAULTLINK_BIN` points at another binary; `VAULTLINK_BENCH_SECS` shortens the minute;
//! `VAULTLINK_BENCH_ONLY=lsp` or `send` runs one part).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use vaultlink_e2e::AZURE_VARS;
use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::Emulator;
use vaultlink_e2e::lsp::{self, Client, Options, file_uri};

const KV: &str = "bench-kv.vault.azure.net";
const SECRETS: usize = 50;
const DOCS: usize = 100;
const EDITS_PER_SECOND: u32 = 50;
const REQUESTS_PER_SECOND: u32 = 10;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn binary() -> PathBuf {
    let bin = std::env::var_os("VAULTLINK_BIN")
        .map(|p| std::path::absolute(p).unwrap())
        .unwrap_or_else(|| repo().join("target/release/vaultlink"));
    assert!(
        bin.is_file(),
        "{} is missing: build it first with `cargo build --release -p vaultlink`",
        bin.display()
    );
    bin
}

/// Resident memory of a process in MB, from `/proc`.
fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let i = ((v.len() as f64 * p).ceil() as usize).clamp(1, v.len()) - 1;
    v[i]
}

fn links_json() -> String {
    let entries: Vec<String> = (0..SECRETS)
        .map(|i| {
            format!("    \"api-token-{i}\": {{ \"link\": \"https://{KV}/secrets/api-token-{i}\" }}")
        })
        .collect();
    format!("{{\n  \"secrets\": {{\n{}\n  }}\n}}\n", entries.join(",\n"))
}

/// The documents: 70 `.http` files, 20 collections, 10 Postman environments.
fn documents(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for d in 0..DOCS {
        let (path, text) = match d % 10 {
            0..=6 => {
                let mut t = String::new();
                for r in 0..20 {
                    t.push_str(&format!(
                        "### request {r}\nGET https://api{d}.example.test/v1/items/{r}?page=2\nAuthorization: Bearer {{{{vault:api-token-{}}}}}\nAccept: application/json\n\n",
                        (d + r) % SECRETS
                    ));
                }
                (dir.join(format!("api/doc{d}.http")), t)
            }
            7 | 8 => {
                let items: Vec<_> = (0..20)
                    .map(|r| json!({
                        "name": format!("item {r}"),
                        "request": {
                            "method": "POST",
                            "header": [{ "key": "Authorization", "value": format!("Bearer {{{{vault:api-token-{}}}}}", (d + r) % SECRETS) }],
                            "url": format!("https://api{d}.example.test/v1/items/{r}"),
                            "body": { "mode": "raw", "raw": format!("{{\"n\": {r}}}") }
                        }
                    }))
                    .collect();
                let c = json!({
                    "info": { "name": format!("c{d}"), "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
                    "item": items
                });
                (
                    dir.join(format!("pm/c{d}.postman_collection.json")),
                    serde_json::to_string_pretty(&c).unwrap(),
                )
            }
            _ => {
                let values: Vec<_> = (0..20)
                    .map(|v| json!({ "key": format!("k{v}"), "value": format!("{{{{vault:api-token-{}}}}}", (d + v) % SECRETS), "enabled": true }))
                    .collect();
                let e = json!({ "name": format!("env{d}"), "values": values });
                (
                    dir.join(format!("pm/env{d}.postman_environment.json")),
                    serde_json::to_string_pretty(&e).unwrap(),
                )
            }
        };
        out.push((path, text));
    }
    out
}

fn language_server(secs: u64) {
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path();
    std::fs::create_dir_all(dir.join("api")).unwrap();
    std::fs::create_dir_all(dir.join("pm")).unwrap();
    std::fs::write(dir.join("vaultlink.json"), links_json()).unwrap();
    let docs = documents(dir);
    for (p, t) in &docs {
        std::fs::write(p, t).unwrap();
    }
    let bin = binary();
    let command = [bin.to_str().unwrap(), "lsp"];
    let mut c = Client::start_with(
        dir,
        Options {
            encodings: &["utf-8", "utf-16"],
            command: Some(&command),
            ..Options::default()
        },
    );
    let pid = c.pid();
    let mut open: Vec<(String, String, i32)> = docs
        .iter()
        .map(|(p, t)| {
            c.open(p, t);
            (file_uri(p), t.clone(), 1)
        })
        .collect();
    println!(
        "language server: {DOCS} open documents, {EDITS_PER_SECOND} edits/s, {} hovers/s and {} completions/s, {secs} s; RSS after opening: {:.1} MB",
        REQUESTS_PER_SECOND / 2,
        REQUESTS_PER_SECOND / 2,
        rss_mb(pid).unwrap_or(0.0)
    );
    println!("  second  edits  answers    p50 ms    p99 ms   max ms   RSS MB");
    let tick = Duration::from_secs(1) / EDITS_PER_SECOND;
    let per_request = EDITS_PER_SECOND / REQUESTS_PER_SECOND;
    let start = Instant::now();
    let mut all: Vec<Duration> = Vec::new();
    let mut curve: Vec<f64> = Vec::new();
    let mut n: u64 = 0;
    let mut rng_state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        rng_state
    };
    for second in 1..=secs {
        let mut times = Vec::new();
        let mut edits = 0;
        let end_of_second = start + Duration::from_secs(second);
        while Instant::now() < end_of_second {
            let due = start + tick * n as u32;
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            n += 1;
            let d = (next() % DOCS as u64) as usize;
            let (uri, text, version) = &mut open[d];
            // Type one character after a reference, or take the last one typed away again:
            // the documents keep their size, as a person editing does.
            let (s, _) = lsp::find_nth(text, "{{vault:", (next() % 15) as usize);
            let at = s + 8;
            let insert = text.as_bytes()[at..].starts_with(b"x");
            let new_text = if insert { "" } else { "x" };
            let end = if insert { at + 1 } else { at };
            let range = lsp::range(text, at, end, c.encoding());
            text.replace_range(at..end, new_text);
            *version += 1;
            c.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": *version },
                        "contentChanges": [{ "range": range, "text": new_text }] }),
            );
            edits += 1;
            if n.is_multiple_of(per_request as u64) {
                let method = if (n / per_request as u64).is_multiple_of(2) {
                    "textDocument/hover"
                } else {
                    "textDocument/completion"
                };
                let offset = if method == "textDocument/hover" {
                    at + 2
                } else {
                    at
                };
                let params = json!({ "textDocument": { "uri": uri },
                                     "position": lsp::position(text, offset, c.encoding()) });
                let (took, r) = c.request_timed(method, params, Duration::from_secs(10));
                assert!(r.is_ok(), "{method}: {r:?}");
                times.push(took);
            }
        }
        let rss = rss_mb(pid).unwrap_or(0.0);
        curve.push(rss);
        let answers = times.len();
        all.extend(times.iter().copied());
        let max = times.iter().max().copied().unwrap_or_default();
        println!(
            "  {second:>6}  {edits:>5}  {answers:>7}  {:>8.2}  {:>8.2}  {:>7.2}  {rss:>7.1}",
            ms(percentile(&mut times.clone(), 0.5)),
            ms(percentile(&mut times, 0.99)),
            ms(max),
        );
    }
    let settled = curve.get(4).copied().unwrap_or(curve[0]);
    let last = *curve.last().unwrap();
    let peak = curve.iter().copied().fold(0.0, f64::max);
    println!(
        "  overall: {} answers, p50 {:.2} ms, p99 {:.2} ms; RSS at 5 s {settled:.1} MB, at the end {last:.1} MB ({:+.1} MB), peak {peak:.1} MB",
        all.len(),
        ms(percentile(&mut all.clone(), 0.5)),
        ms(percentile(&mut all, 0.99)),
        last - settled,
    );
    c.shutdown();
}

/// One `vaultlink send --all` of `n` requests: its RSS every 100 ms, and the peak.
fn send_run(dir: &Path, emu: &Emulator, echo: &Echo, n: usize) -> (Vec<f64>, f64, Duration) {
    let mut http = String::new();
    for r in 0..n {
        http.push_str(&format!(
            "### r{r}\nPOST {}/items/{r}\nAuthorization: Bearer {{{{vault:api-token-{}}}}}\nContent-Type: application/json\n\n{{\"n\": {r}, \"key\": \"{{{{vault:api-token-{}}}}}\"}}\n\n",
            echo.url(),
            r % SECRETS,
            (r + 7) % SECRETS
        ));
    }
    let file = format!("send{n}.http");
    std::fs::write(dir.join(&file), http).unwrap();
    let mut cmd = Command::new(binary());
    for var in AZURE_VARS {
        cmd.env_remove(var);
    }
    let started = Instant::now();
    let mut child = cmd
        .args(["send", &file, "--all"])
        .envs(emu.env())
        .envs(emu.sp_env())
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut { stderr }, &mut s).ok();
        s
    });
    let mut samples = Vec::new();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(rss) = rss_mb(pid) {
            samples.push(rss);
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let took = started.elapsed();
    let err = reader.join().unwrap();
    assert!(
        status.success(),
        "send --all of {n} failed: {status}\n{}",
        err.lines().rev().take(20).collect::<Vec<_>>().join("\n")
    );
    let statuses = err.lines().filter(|l| l.contains(" 200 ")).count();
    assert!(
        statuses >= n,
        "send --all of {n}: {statuses} responses with status 200 on stderr"
    );
    let peak = samples.iter().copied().fold(0.0, f64::max);
    (samples, peak, took)
}

fn send_all() {
    let emu = Emulator::start();
    for i in 0..SECRETS {
        emu.add_secret(
            KV,
            &format!("api-token-{i}"),
            &format!("bench-secret-{i}-Zx81Qa"),
        );
    }
    let echo = Echo::start();
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path();
    std::fs::write(dir.join("vaultlink.json"), links_json()).unwrap();
    println!(
        "send --all: POST requests to a loopback echo server, each with 2 of {SECRETS} secrets"
    );
    let (_, small_peak, small_took) = send_run(dir, &emu, &echo, 250);
    let (samples, peak, took) = send_run(dir, &emu, &echo, 1000);
    let curve: Vec<String> = samples
        .chunks(5)
        .map(|c| format!("{:.1}", c.iter().copied().fold(0.0, f64::max)))
        .collect();
    println!(
        "  1,000 requests in {:.2} s; RSS every 0.5 s (MB): {}",
        took.as_secs_f64(),
        curve.join(" ")
    );
    println!(
        "  peak RSS: 250 requests {small_peak:.1} MB ({:.2} s), 1,000 requests {peak:.1} MB ({:+.1} MB for 4× the requests)",
        small_took.as_secs_f64(),
        peak - small_peak
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the command line.
    let secs = std::env::var("VAULTLINK_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&s: &u64| s > 0)
        .unwrap_or(60);
    // `VAULTLINK_BENCH_ONLY=lsp` or `send` runs one part.
    let only = std::env::var("VAULTLINK_BENCH_ONLY").unwrap_or_default();
    if only != "send" {
        language_server(secs);
    }
    if only != "lsp" {
        send_all();
    }
}
