//! Sending 200 GET requests to a loopback server: `vaultlink send --all` (with one sign-in and
//! one secret fetch on the Key Vault emulator), `httpyac send --all`, `newman run` on the
//! equivalent Postman collection, 200 `curl` processes one after the other, and one `curl -K`
//! process (the floor), in one run, with times and ratios.
//!
//! `cargo bench -p vaultlink-e2e --bench send` runs the release binary: build it first with
//! `cargo build --release -p vaultlink`, or point `VAULTLINK_BIN` at another. httpyac and
//! newman come from npm, installed into `target/bench-node` on first use.
//! `VAULTLINK_BENCH_RUNS` sets the timed runs per tool (default 5, after one untimed warm-up
//! run).
//!
//! Every run is checked, not only timed: the tool must exit 0, print 200 responses with status
//! 200, and the server must have received each of `/items/1` … `/items/200` exactly once with
//! the right bearer token. A tool that fails (`vaultlink send` before it exists, say) gets its
//! stderr printed and its row marked failed; the others still run.

use std::cell::{Cell, RefCell};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use vaultlink_e2e::AZURE_VARS;
use vaultlink_e2e::emulator::Emulator;

const KV: &str = "corp-kv.vault.azure.net";
const TOKEN: &str = "bench-api-token-7Hq2xVb9Lm4Rz8Tc";
const N: u32 = 200;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

// ---------------------------------------------------------------------------------------------
// The loopback server

/// What the server received since the last reset: item numbers with the right token, and
/// the count of requests without it.
#[derive(Default)]
struct Hits {
    items: Vec<u32>,
    bad: usize,
}

struct Server {
    port: u16,
    hits: Arc<Mutex<Hits>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

async fn item(
    State(hits): State<Arc<Mutex<Hits>>>,
    UrlPath(n): UrlPath<u32>,
    headers: HeaderMap,
) -> Response {
    let expected = format!("Bearer {TOKEN}");
    let authorized = headers
        .get("authorization")
        .is_some_and(|v| v.as_bytes() == expected.as_bytes());
    let mut h = hits.lock().unwrap();
    if !authorized {
        h.bad += 1;
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "error": "bad or missing token" })),
        )
            .into_response();
    }
    h.items.push(n);
    axum::Json(
        json!({ "id": n, "name": format!("item {n}"), "price": n * 3, "inStock": n % 2 == 0 }),
    )
    .into_response()
}

impl Server {
    /// `GET /items/{n}` on a free loopback port, HTTP/1.1 with keep-alive.
    fn start() -> Server {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(Hits::default()));
        let app = axum::Router::new()
            .route("/items/{n}", axum::routing::get(item))
            .with_state(hits.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                tokio::select! {
                    served = axum::serve(listener, app) => served.expect("the server serves"),
                    _ = stopped => {}
                }
            });
        });
        Server {
            port,
            hits,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self, n: u32) -> String {
        format!("http://127.0.0.1:{}/items/{n}", self.port)
    }

    fn reset(&self) {
        *self.hits.lock().unwrap() = Hits::default();
    }

    /// `None` when every item was asked for exactly once with the token, else what was wrong.
    fn verify(&self) -> Option<String> {
        let h = self.hits.lock().unwrap();
        let mut items = h.items.clone();
        items.sort_unstable();
        let ok = h.bad == 0 && items == (1..=N).collect::<Vec<_>>();
        (!ok).then(|| {
            format!(
                "the server got {} request(s) with the token (want each of 1..={N} once) and {} without",
                h.items.len(),
                h.bad
            )
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

fn write_inputs(dir: &Path, server: &Server) {
    let mut vaultlink = String::new();
    let mut httpyac = format!("@token = {TOKEN}\n\n");
    let mut curl = String::new();
    let mut items = Vec::new();
    for n in 1..=N {
        let url = server.url(n);
        if n > 1 {
            vaultlink.push_str("###\n\n");
            httpyac.push_str("###\n\n");
            curl.push_str("next\n");
        }
        vaultlink.push_str(&format!(
            "GET {url}\nAuthorization: Bearer {{{{vault:api-token}}}}\n\n"
        ));
        httpyac.push_str(&format!(
            "GET {url}\nAuthorization: Bearer {{{{token}}}}\n\n"
        ));
        // Per operation: curl's `-i`, `-s`, `-w` and `-H` do not carry over `next`; `-w`
        // ends each body with a newline, as a shell loop's output would.
        curl.push_str(&format!(
            "url = \"{url}\"\nheader = \"Authorization: Bearer {TOKEN}\"\ninclude\nsilent\nshow-error\nwrite-out = \"\\n\"\n"
        ));
        items.push(json!({
            "name": format!("item {n}"),
            "request": {
                "method": "GET",
                "header": [{ "key": "Authorization", "value": "Bearer {{token}}" }],
                "url": {
                    "raw": url,
                    "protocol": "http",
                    "host": ["127", "0", "0", "1"],
                    "port": server.port.to_string(),
                    "path": ["items", n.to_string()],
                },
            },
        }));
    }
    let collection = json!({
        "info": {
            "name": "bench",
            "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
        },
        "variable": [{ "key": "token", "value": TOKEN }],
        "item": items,
    });
    let links = format!(
        "{{\n  \"secrets\": {{\n    \"api-token\": {{ \"link\": \"https://{KV}/secrets/api-token\" }}\n  }}\n}}\n"
    );
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("vaultlink.json", &links);
    write("requests.http", &vaultlink);
    write("httpyac.http", &httpyac);
    write(
        "collection.json",
        &serde_json::to_string_pretty(&collection).unwrap(),
    );
    write("curl.cfg", &curl);
}

// ---------------------------------------------------------------------------------------------
// Tools

/// A tool from npm, installed into `target/bench-node` on first use; `Err` says why not.
/// The pinned npm peers; Node 20 runs both.
const HTTPYAC: (&str, &str) = ("httpyac", "6.16.7");
const NEWMAN: (&str, &str) = ("newman", "6.2.2");

/// The version of an npm package installed in `dir`, if any.
fn installed_version(dir: &Path, name: &str) -> Option<String> {
    let manifest = dir.join("node_modules").join(name).join("package.json");
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(manifest).ok()?).ok()?;
    v["version"].as_str().map(str::to_owned)
}

/// A tool from npm, installed into `target/bench-node` (its command named like the package)
/// when missing or at another version; `Err` says why it cannot be had.
fn node_tool((name, version): (&str, &str)) -> Result<PathBuf, String> {
    let dir = repo().join("target/bench-node");
    let path = dir.join("node_modules/.bin").join(name);
    let package = format!("{name}@{version}");
    if !path.is_file() || installed_version(&dir, name).as_deref() != Some(version) {
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        if !dir.join("package.json").is_file() {
            std::fs::write(dir.join("package.json"), "{\"private\": true}\n")
                .map_err(|e| e.to_string())?;
        }
        println!("installing {package} into {} …", dir.display());
        let out = Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--save-exact",
                &package,
            ])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("npm: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "npm install {package} failed:\n{}",
                tail(&String::from_utf8_lossy(&out.stderr), 10)
            ));
        }
    }
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} is missing after npm install", path.display()))
    }
}

/// The first line a command prints, or what went wrong.
fn first_line(program: &str, arg: &str) -> String {
    match Command::new(program).arg(arg).stdin(Stdio::null()).output() {
        Ok(o) => String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .and_then(|l| l.split(" (").next())
            .unwrap_or("")
            .trim()
            .to_owned(),
        Err(e) => format!("no {program} ({e})"),
    }
}

fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// What one run of a tool left.
struct Output {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// How to run a tool once: one process, or several one after the other.
struct Invocation {
    program: PathBuf,
    args: Vec<OsString>,
    env: Vec<(String, String)>,
    /// Variables taken out of the environment first.
    remove: Vec<&'static str>,
}

impl Invocation {
    fn new(program: impl Into<PathBuf>, args: &[&str]) -> Invocation {
        Invocation {
            program: program.into(),
            args: args.iter().map(OsString::from).collect(),
            env: Vec::new(),
            remove: Vec::new(),
        }
    }

    fn run(&self, dir: &Path) -> Output {
        let mut cmd = Command::new(&self.program);
        for var in &self.remove {
            cmd.env_remove(var);
        }
        let out = cmd
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir)
            .stdin(Stdio::null())
            .output();
        match out {
            Ok(o) => Output {
                code: o.status.code(),
                stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
            },
            Err(e) => Output {
                code: None,
                stdout: String::new(),
                stderr: format!("{} could not start: {e}", self.program.display()),
            },
        }
    }
}

struct Tool {
    name: String,
    /// Run one after the other; the run stops at the first that fails.
    invocations: Result<Vec<Invocation>, String>,
    /// How many responses with status 200 the combined stdout shows.
    responses: fn(&str) -> usize,
}

impl Tool {
    fn run(&self, dir: &Path, invocations: &[Invocation]) -> Output {
        let mut all = Output {
            code: Some(0),
            stdout: String::new(),
            stderr: String::new(),
        };
        for inv in invocations {
            let out = inv.run(dir);
            all.stdout.push_str(&out.stdout);
            all.stderr.push_str(&out.stderr);
            if out.code != Some(0) {
                all.code = out.code;
                break;
            }
        }
        all
    }
}

/// Lines `HTTP/1.1 200 …` (curl, httpyac and, presumably, vaultlink); also `200 OK` lines and
/// `"status": 200` fields, so a vaultlink that words its status line differently still counts.
fn status_lines(out: &str) -> usize {
    out.lines()
        .filter(|l| {
            let l = l.trim();
            let mut w = l.split_whitespace();
            let first = w.next().unwrap_or("");
            (first.starts_with("HTTP/") && w.next() == Some("200"))
                || l.starts_with("200 OK")
                || l.replace(' ', "").contains("\"status\":200")
        })
        .count()
}

/// newman: `GET … [200 OK, …]` per request, and its summary must say 200 requests, 0 failed.
fn newman_responses(out: &str) -> usize {
    let summary_ok = out.lines().any(|l| {
        let cells: Vec<&str> = l
            .split(['|', '│'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        cells == ["requests", &N.to_string(), "0"]
    });
    if !summary_ok {
        return 0;
    }
    out.lines().filter(|l| l.contains("[200 OK,")).count()
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    let from = all.len().saturating_sub(lines);
    all[from..]
        .iter()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

enum Outcome {
    Timed(Vec<Duration>),
    Failed(String),
}

/// Runs a tool once untimed, then `runs` times timed, checking every run.
fn measure(
    tool: &Tool,
    dir: &Path,
    server: &Server,
    runs: usize,
    after_run: &dyn Fn(&str) -> Option<String>,
) -> Outcome {
    let invocations = match &tool.invocations {
        Ok(i) => i,
        Err(why) => return Outcome::Failed(why.clone()),
    };
    let mut times = Vec::new();
    for run in 0..=runs {
        server.reset();
        let started = Instant::now();
        let out = tool.run(dir, invocations);
        let took = started.elapsed();
        let responses = (tool.responses)(&out.stdout);
        let mut problem = None;
        if out.code != Some(0) {
            problem = Some(format!(
                "exit {}",
                out.code.map_or(
                    "code missing (it did not start, or a signal ended it)".into(),
                    |c| c.to_string()
                )
            ));
        } else if responses != N as usize {
            problem = Some(format!(
                "its output shows {responses} response(s) with status 200, not {N}"
            ));
        } else if let Some(p) = server.verify() {
            problem = Some(p);
        } else if let Some(p) = after_run(&out.stdout) {
            problem = Some(p);
        }
        if let Some(p) = problem {
            let which = if run == 0 {
                "warm-up run".to_owned()
            } else {
                format!("run {run}")
            };
            let mut msg = format!("{which}: {p}");
            if !out.stderr.trim().is_empty() {
                msg.push_str(&format!("\n  stderr (tail):\n{}", tail(&out.stderr, 15)));
            } else if !out.stdout.trim().is_empty() {
                msg.push_str(&format!("\n  stdout (tail):\n{}", tail(&out.stdout, 15)));
            }
            return Outcome::Failed(msg);
        }
        if run > 0 {
            times.push(took);
        }
    }
    Outcome::Timed(times)
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2
    }
}

fn main() {
    let runs: usize = std::env::var("VAULTLINK_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(5);
    let server = Server::start();
    let emu = Emulator::start();
    emu.add_secret(KV, "api-token", TOKEN);
    let ws = tempfile::tempdir().unwrap();
    let dir = ws.path();
    write_inputs(dir, &server);

    let mut tools = Vec::new();

    // vaultlink: a fresh process per run, so each run signs in and fetches the secret.
    let release = std::env::var_os("VAULTLINK_BIN")
        .map(|p| std::path::absolute(p).unwrap())
        .unwrap_or_else(|| repo().join("target/release/vaultlink"));
    let vaultlink = if release.is_file() {
        let mut inv = Invocation::new(&release, &["send", "requests.http", "--all"]);
        inv.remove = AZURE_VARS.to_vec();
        inv.env = emu.env();
        inv.env.extend(emu.sp_env());
        Ok(vec![inv])
    } else {
        Err(format!(
            "{} is missing: build it first with `cargo build --release -p vaultlink`",
            release.display()
        ))
    };
    tools.push(Tool {
        name: "vaultlink send --all".into(),
        invocations: vaultlink,
        responses: status_lines,
    });
    tools.push(Tool {
        name: "httpyac send --all".into(),
        invocations: node_tool(HTTPYAC)
            .map(|bin| vec![Invocation::new(bin, &["send", "httpyac.http", "--all"])]),
        responses: status_lines,
    });
    tools.push(Tool {
        name: "newman run".into(),
        invocations: node_tool(NEWMAN).map(|bin| {
            vec![Invocation::new(
                bin,
                &["run", "collection.json", "--color", "off"],
            )]
        }),
        responses: newman_responses,
    });
    let curl = if curl_available() {
        Ok(())
    } else {
        Err("curl is not on this machine (`curl --version` failed): no curl rows".to_owned())
    };
    let header = format!("Authorization: Bearer {TOKEN}");
    tools.push(Tool {
        name: format!("{N} × curl"),
        invocations: curl.clone().map(|()| {
            (1..=N)
                .map(|n| {
                    Invocation::new(
                        "curl",
                        &["-sS", "-i", "-w", "\\n", "-H", &header, &server.url(n)],
                    )
                })
                .collect()
        }),
        responses: status_lines,
    });
    tools.push(Tool {
        name: "1 × curl -K (floor)".into(),
        invocations: curl.map(|()| vec![Invocation::new("curl", &["-K", "curl.cfg"])]),
        responses: status_lines,
    });

    println!(
        "{N} GET requests to a loopback server (HTTP/1.1, keep-alive), {runs} timed runs per tool after one warm-up; times in ms"
    );
    println!(
        "vaultlink: {}; peers: {}@{}, {}@{} on node {}; {}",
        release.display(),
        HTTPYAC.0,
        HTTPYAC.1,
        NEWMAN.0,
        NEWMAN.1,
        first_line("node", "--version"),
        first_line("curl", "--version"),
    );
    let mut results = Vec::new();
    let kv_note = RefCell::new(None);
    for tool in &tools {
        let is_vaultlink = tool.name.starts_with("vaultlink");
        let before = Cell::new(emu.requests().len());
        // Each vaultlink run must sign in and fetch the secret: count what reached the
        // emulator during the run. The secret's value in the output fails the run too.
        let kv_check = |stdout: &str| -> Option<String> {
            if !is_vaultlink {
                return None;
            }
            let log = emu.requests();
            let new = &log[before.get()..];
            before.set(log.len());
            let tokens = new.iter().filter(|r| r.path.ends_with("/token")).count();
            let secrets = new
                .iter()
                .filter(|r| r.path.starts_with("/secrets/") && r.status == 200)
                .count();
            if stdout.contains(TOKEN) {
                return Some("the secret's value appears in the output".into());
            }
            if tokens == 0 || secrets == 0 {
                return Some(format!(
                    "the emulator saw {tokens} token request(s) and {secrets} secret fetch(es): the run did not sign in and fetch the secret"
                ));
            }
            kv_note.borrow_mut().get_or_insert(format!(
                "each vaultlink run: {tokens} token request(s) and {secrets} secret fetch(es) on the emulator ({} request(s) in all)",
                new.len()
            ));
            None
        };
        let outcome = measure(tool, dir, &server, runs, &kv_check);
        results.push((tool.name.clone(), outcome));
    }
    let kv_note = kv_note.into_inner();

    let floor = results.iter().find_map(|(name, o)| match o {
        Outcome::Timed(t) if name.contains("-K") => Some(median(t)),
        _ => None,
    });
    let httpyac = results.iter().find_map(|(name, o)| match o {
        Outcome::Timed(t) if name.starts_with("httpyac") => Some(median(t)),
        _ => None,
    });
    println!();
    println!(
        "{:<22} {:>10} {:>10} {:>10} {:>13}",
        "tool", "median", "min", "× floor", "httpyac/this"
    );
    let mut failures = Vec::new();
    let mut vaultlink_median = None;
    for (name, outcome) in &results {
        match outcome {
            Outcome::Timed(t) => {
                let med = median(t);
                let min = *t.iter().min().unwrap();
                let vs_floor = floor.map_or("—".into(), |f| {
                    format!("{:.1}×", med.as_secs_f64() / f.as_secs_f64())
                });
                let vs_httpyac = if name.starts_with("vaultlink") {
                    vaultlink_median = Some(med);
                    httpyac.map_or("—".into(), |h| {
                        format!("{:.1}×", h.as_secs_f64() / med.as_secs_f64())
                    })
                } else {
                    String::new()
                };
                println!(
                    "{name:<22} {:>10.1} {:>10.1} {vs_floor:>10} {vs_httpyac:>13}",
                    ms(med),
                    ms(min)
                );
            }
            Outcome::Failed(why) => {
                println!("{name:<22} {:>10}", "FAILED");
                failures.push((name, why));
            }
        }
    }
    if let Some(note) = &kv_note {
        println!("{note}");
    }
    for (name, why) in &failures {
        println!("\n{name} failed — {why}");
    }
    println!();
    match (vaultlink_median, floor) {
        (Some(v), Some(f)) => {
            let ratio = v.as_secs_f64() / f.as_secs_f64();
            println!(
                "goal: vaultlink send --all within 2× of one curl -K, including one Key Vault sign-in and secret fetch: {ratio:.1}× ({:.1} ms vs {:.1} ms) — {}",
                ms(v),
                ms(f),
                if ratio <= 2.0 { "met" } else { "NOT met" }
            );
        }
        _ => println!(
            "goal: vaultlink send --all within 2× of one curl -K, including one Key Vault sign-in and secret fetch: not measured ({})",
            if vaultlink_median.is_none() {
                "vaultlink failed"
            } else {
                "no curl floor"
            }
        ),
    }
}
