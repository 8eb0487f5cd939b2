//! The language server under load, over stdio, on the shared benchmark inputs (a 5 MB
//! `.http` file and a 5 MB Postman collection), with vscode-json-language-server on the same
//! collection in the same run for comparison.
//!
//! `cargo bench -p vaultlink-e2e --bench lsp` (builds the release server first:
//! `cargo build --release -p vaultlink`). The peer comes from npm
//! (`vscode-langservers-extracted`), installed into `target/bench-node` on first use.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rand::SeedableRng;
use serde_json::{Value, json};
use vaultlink_e2e::lsp::{Client, Options};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn shared() -> PathBuf {
    std::env::var_os("VAULTLINK_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"))
}

fn generate(generator: &str, out: &Path) {
    if out.is_file() {
        return;
    }
    let script = shared().join("bench").join(generator);
    let ok = Command::new("python3")
        .arg(&script)
        .arg("5")
        .arg(out)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "python3 {} failed", script.display());
}

/// The peer server, installed from npm on first use; `None` when npm cannot install it.
fn json_language_server() -> Option<PathBuf> {
    let dir = repo().join("target/bench-node");
    let bin = dir.join("node_modules/.bin/vscode-json-language-server");
    if !bin.is_file() {
        std::fs::create_dir_all(&dir).ok()?;
        if !dir.join("package.json").is_file() {
            std::fs::write(dir.join("package.json"), "{\"private\": true}\n").ok()?;
        }
        let ok = Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "vscode-langservers-extracted@4.10.0",
            ])
            .current_dir(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return None;
        }
    }
    bin.is_file().then_some(bin)
}

fn links_json() -> String {
    let mut entries: Vec<String> = (0..50)
        .map(|i| format!("    \"api-token-{i}\": {{ \"link\": \"https://bench-kv.vault.azure.net/secrets/api-token-{i}\", \"allowedDomains\": [\"*.example.test\"] }}"))
        .collect();
    entries.push("    \"db-password\": { \"link\": \"https://bench-kv.vault.azure.net/secrets/db-password\" }".into());
    format!("{{\n  \"secrets\": {{\n{}\n  }}\n}}\n", entries.join(",\n"))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// Byte offsets of up to `n` occurrences of `needle`, spread over the text.
fn spread(text: &str, needle: &str, n: usize) -> Vec<usize> {
    let all: Vec<usize> = text.match_indices(needle).map(|(i, _)| i).collect();
    let step = (all.len() / n).max(1);
    all.into_iter().step_by(step).take(n).collect()
}

/// Line starts of a text, for UTF-8 positions without rescanning it.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Lines {
        Lines(
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                .collect(),
        )
    }

    fn position(&self, _text: &str, offset: usize) -> Value {
        let line = self.0.partition_point(|&s| s <= offset) - 1;
        json!({ "line": line, "character": offset - self.0[line] })
    }
}

/// Resident memory of a process now (`VmRSS`) or at its peak (`VmHWM`), in MB.
fn memory_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Figures {
    /// The median of `opens`.
    open: Duration,
    opens: Vec<Duration>,
    edit_p50: Duration,
    edit_p99: Duration,
    /// Pulls answered "unchanged" among the edits'.
    unchanged: usize,
    symbols: Duration,
    symbol_count: usize,
    hover_p50: Duration,
    hover_p99: Duration,
    completion_p50: Duration,
    completion_p99: Duration,
    /// Hover and completion while edits arrive: each right after an edit, before its
    /// diagnostics.
    busy_hover_p99: Duration,
    busy_completion_p99: Duration,
}

/// How many times each document is opened for the open figure (their median).
const OPENS: usize = 5;

/// How many edits each measure makes, at random places.
const EDITS: usize = 200;

/// A random char boundary of `text`.
fn random_offset(rng: &mut impl rand::Rng, text: &str) -> usize {
    let mut at = rng.random_range(0..=text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Inserts one character at a random place of `now`: the `didChange` to send.
fn random_edit(rng: &mut impl rand::Rng, uri: &str, now: &mut String, version: i32) -> Value {
    let at = random_offset(rng, now);
    let pos = Lines::new(now).position(now, at);
    now.insert(at, 'x');
    json!({
        "textDocument": { "uri": uri, "version": version },
        "contentChanges": [{ "range": { "start": pos, "end": pos }, "text": "x" }]
    })
}

/// Pulls the diagnostics of `uri` naming the last result; returns when the answer arrived,
/// and counts answers "unchanged".
fn pull(c: &mut Client, uri: &str, last: &mut Option<String>, unchanged: &mut usize) -> Duration {
    let mut params = json!({ "textDocument": { "uri": uri } });
    if let Some(id) = last {
        params["previousResultId"] = json!(id);
    }
    let (d, r) = c.request_timed("textDocument/diagnostic", params, Duration::from_secs(60));
    let r = r.expect("a diagnostic report");
    if r["kind"] == "unchanged" {
        *unchanged += 1;
    }
    *last = r["resultId"].as_str().map(str::to_owned);
    d
}

/// Open → first diagnostics, edits → diagnostics at random places, symbols, hover and
/// completion idle and while edits arrive, for one document of a running vaultlink server
/// (a client that pulls diagnostics, as VS Code and Neovim do). RSS is sampled as it goes.
fn measure_vaultlink(
    c: &mut Client,
    path: &Path,
    text: &str,
    reference: &str,
    rss: &mut Vec<(String, f64)>,
) -> Figures {
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let pid = c.pid();
    // Times run to when the answer arrived, read off the pipe: the client's own parsing of
    // it is not the server's time.
    // One open is one sample of a figure that varies by tens of milliseconds from run to run
    // on a loaded machine: the document is opened several times, closed between, and the
    // median is the figure.
    let mut opens = Vec::new();
    let mut last;
    let mut unchanged = 0;
    let uri = loop {
        last = None;
        // The clock starts when the message is handed to the pipe: serializing 5 MB is
        // the client's work, as reading the answer is.
        let open = c.prepare_open(path, text);
        let start = Instant::now();
        let uri = c.send_open(open);
        let asked = Instant::now();
        opens.push((asked - start) + pull(c, &uri, &mut last, &mut unchanged));
        if opens.len() == OPENS {
            break uri;
        }
        c.close(&uri);
        std::thread::sleep(Duration::from_millis(300));
    };
    let open = percentile(&mut opens.clone(), 0.5);
    rss.push(("opened".into(), memory_mb(pid, "VmRSS:")));
    // One-character edits at random places, each followed by a pull of its diagnostics. The
    // bench keeps its own copy of the text and works out positions before the clock starts,
    // so the client's bookkeeping does not compete with the server for the two cores.
    let mut now = text.to_string();
    let mut edits = Vec::new();
    let mut version = 1;
    unchanged = 0;
    for i in 0..EDITS {
        version += 1;
        let change = random_edit(&mut rng, &uri, &mut now, version);
        let started = Instant::now();
        c.notify("textDocument/didChange", change);
        let asked = Instant::now();
        edits.push((asked - started) + pull(c, &uri, &mut last, &mut unchanged));
        if i % 50 == 49 {
            rss.push((format!("{} edits", i + 1), memory_mb(pid, "VmRSS:")));
        }
    }
    let (symbols, result) = c.request_timed(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
        Duration::from_secs(60),
    );
    let result = result.expect("document symbols");
    let lines = Lines::new(&now);
    let mut hovers = Vec::new();
    let mut completions = Vec::new();
    for &off in &spread(&now, reference, EDITS) {
        let name = off + reference.len();
        let params = |at: usize| json!({ "textDocument": { "uri": uri }, "position": lines.position(&now, at) });
        let (hover_at, completion_at) = (params(name + 1), params(name));
        let (d, r) = c.request_timed("textDocument/hover", hover_at, Duration::from_secs(10));
        assert!(r.is_ok_and(|v| !v.is_null()), "a hover on a reference");
        hovers.push(d);
        let (d, r) = c.request_timed(
            "textDocument/completion",
            completion_at,
            Duration::from_secs(10),
        );
        assert!(
            r.is_ok_and(|v| !v.is_null()),
            "completions after {reference}"
        );
        completions.push(d);
    }
    // Hover and completion on a reference right after each edit, as a person types and
    // points: the first of them meets the new version unparsed.
    let mut busy_hovers = Vec::new();
    let mut busy_completions = Vec::new();
    for i in 0..EDITS {
        version += 1;
        let change = random_edit(&mut rng, &uri, &mut now, version);
        c.notify("textDocument/didChange", change);
        let Some((off, _)) = now
            .match_indices(reference)
            .nth(i % now.matches(reference).count().max(1))
        else {
            continue;
        };
        let name = off + reference.len();
        let lines = Lines::new(&now);
        let at = |at: usize| json!({ "textDocument": { "uri": uri }, "position": lines.position(&now, at) });
        let (d, _) = c.request_timed("textDocument/hover", at(name + 1), Duration::from_secs(10));
        busy_hovers.push(d);
        let (d, _) = c.request_timed("textDocument/completion", at(name), Duration::from_secs(10));
        busy_completions.push(d);
        pull(c, &uri, &mut last, &mut 0);
        if i % 50 == 49 {
            rss.push((
                format!("{} edits with requests", i + 1),
                memory_mb(pid, "VmRSS:"),
            ));
        }
    }
    Figures {
        open,
        opens,
        edit_p50: percentile(&mut edits, 0.5),
        edit_p99: percentile(&mut edits, 0.99),
        unchanged,
        symbols,
        symbol_count: count_symbols(&result),
        hover_p50: percentile(&mut hovers, 0.5),
        hover_p99: percentile(&mut hovers, 0.99),
        completion_p50: percentile(&mut completions, 0.5),
        completion_p99: percentile(&mut completions, 0.99),
        busy_hover_p99: percentile(&mut busy_hovers, 0.99),
        busy_completion_p99: percentile(&mut busy_completions, 0.99),
    }
}

fn count_symbols(v: &Value) -> usize {
    v.as_array().map_or(0, |a| {
        a.iter().map(|s| 1 + count_symbols(&s["children"])).sum()
    })
}

fn print_row(name: &str, f: &Figures) {
    println!(
        "{name:<34} {:>9.1} {:>8.1}/{:<7.1} {:>9.1} {:>8} {:>7.2}/{:<6.2} {:>7.2}/{:<6.2} {:>7.2}/{:<6.2}",
        ms(f.open),
        ms(f.edit_p50),
        ms(f.edit_p99),
        ms(f.symbols),
        f.symbol_count,
        ms(f.hover_p50),
        ms(f.hover_p99),
        ms(f.completion_p50),
        ms(f.completion_p99),
        ms(f.busy_hover_p99),
        ms(f.busy_completion_p99),
    );
}

fn main() {
    let inputs = repo().join("target/bench-inputs");
    std::fs::create_dir_all(&inputs).unwrap();
    generate("gen_http.py", &inputs.join("big.http"));
    generate("gen_collection.py", &inputs.join("big_collection.json"));
    let ws = tempfile::tempdir().unwrap();
    let http_path = ws.path().join("big.http");
    let coll_path = ws.path().join("big.postman_collection.json");
    let http = std::fs::read_to_string(inputs.join("big.http")).unwrap();
    let coll = std::fs::read_to_string(inputs.join("big_collection.json")).unwrap();
    std::fs::write(&http_path, &http).unwrap();
    std::fs::write(&coll_path, &coll).unwrap();
    std::fs::write(ws.path().join("vaultlink.json"), links_json()).unwrap();

    // `VAULTLINK_BENCH_SERVER` measures another build of the server (an earlier one, say).
    let server = std::env::var_os("VAULTLINK_BENCH_SERVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/release/vaultlink"));
    assert!(
        server.is_file(),
        "build the server first: cargo build --release -p vaultlink"
    );
    let server = server.to_string_lossy().to_string();
    println!(
        "{server} lsp over stdio, UTF-8 client that pulls diagnostics; times in ms; open→diag is the median of {OPENS} opens, timed from when the serialized didOpen is handed to the pipe; {EDITS} one-character edits at random places; goals: open ≤ 50, edit p99 ≤ 10, hover/completion p99 ≤ 2 (also while edits arrive), peak ≤ 150 MB"
    );
    println!(
        "{:<34} {:>9} {:>16} {:>9} {:>8} {:>14} {:>14} {:>14}",
        "document",
        "open→diag",
        "edit p50/p99",
        "symbols",
        "count",
        "hover p50/p99",
        "compl. p50/p99",
        "busy hov/compl"
    );
    let command = [server.as_str(), "lsp"];
    let mut c = Client::start_with(
        ws.path(),
        Options {
            encodings: &["utf-8"],
            command: Some(&command),
            pull_diagnostics: true,
            ..Options::default()
        },
    );
    let pid = c.pid();
    let mut rss = vec![("started".to_string(), memory_mb(pid, "VmRSS:"))];
    let fh = measure_vaultlink(&mut c, &http_path, &http, "{{vault:", &mut rss);
    print_row(&format!(".http, {:.1} MB", http.len() as f64 / 1e6), &fh);
    let fc = measure_vaultlink(&mut c, &coll_path, &coll, "{{vault:", &mut rss);
    print_row(
        &format!("collection, {:.1} MB", coll.len() as f64 / 1e6),
        &fc,
    );
    println!(
        "pulls answered \"unchanged\" after an edit: .http {}/{EDITS}, collection {}/{EDITS}",
        fh.unchanged, fc.unchanged
    );
    let listed = |f: &Figures| {
        f.opens
            .iter()
            .map(|&d| format!("{:.1}", ms(d)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "open→diagnostics, each open (ms; the table shows their median): .http {}; collection {}",
        listed(&fh),
        listed(&fc)
    );
    println!(
        "RSS over time (MB): {}",
        rss.iter()
            .map(|(when, mb)| format!("{when} {mb:.0}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let peak = memory_mb(pid, "VmHWM:");
    println!("peak memory, both open: {peak:.1} MB");
    c.shutdown();

    // The peer on the same collection: it pushes its diagnostics.
    let Some(peer) = json_language_server() else {
        println!(
            "vscode-json-language-server: npm could not install vscode-langservers-extracted; no comparison"
        );
        return;
    };
    let peer = peer.to_string_lossy().to_string();
    let command = [peer.as_str(), "--stdio"];
    let mut p = Client::start_with(
        ws.path(),
        Options {
            encodings: &[],
            command: Some(&command),
            wait_for_index: false,
            work_done_progress: false,
            initialization_options: Some(json!({"provideFormatter": false})),
            ..Options::default()
        },
    );
    let open = p.prepare_open(&coll_path, &coll);
    let start = Instant::now();
    let uri = p.send_open(open);
    p.wait_diagnostics(&uri);
    let open = p.last_diagnostics_arrival().unwrap() - start;
    // The peer takes long per edit: fewer edits, at random places as ours.
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let mut now = coll.clone();
    let mut edits = Vec::new();
    let mut busy_hovers = Vec::new();
    let peer_edits = 20;
    for version in 2..2 + peer_edits {
        let change = random_edit(&mut rng, &uri, &mut now, version);
        let started = Instant::now();
        p.notify("textDocument/didChange", change);
        let off = now.find("\"Authorization\"").unwrap_or(0);
        let lines = Lines::new(&now);
        let at =
            json!({ "textDocument": { "uri": uri }, "position": lines.position(&now, off + 3) });
        let (d, _) = p.request_timed("textDocument/hover", at, Duration::from_secs(30));
        busy_hovers.push(d);
        // The peer's publications carry no version: the next one is this edit's.
        p.wait_diagnostics(&uri);
        edits.push(p.last_diagnostics_arrival().unwrap() - started);
    }
    let (symbols, result) = p.request_timed(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
        Duration::from_secs(120),
    );
    let result = result.expect("document symbols");
    let mut hovers = Vec::new();
    for &off in spread(&now, "\"Authorization\"", 20).iter() {
        let lines = Lines::new(&now);
        let at =
            json!({ "textDocument": { "uri": uri }, "position": lines.position(&now, off + 3) });
        let (d, _) = p.request_timed("textDocument/hover", at, Duration::from_secs(30));
        hovers.push(d);
    }
    let peer_fig = Figures {
        open,
        opens: vec![open],
        edit_p50: percentile(&mut edits, 0.5),
        edit_p99: percentile(&mut edits, 0.99),
        unchanged: 0,
        symbols,
        symbol_count: count_symbols(&result),
        hover_p50: percentile(&mut hovers, 0.5),
        hover_p99: percentile(&mut hovers, 0.99),
        completion_p50: Duration::ZERO,
        completion_p99: Duration::ZERO,
        busy_hover_p99: percentile(&mut busy_hovers, 0.99),
        busy_completion_p99: Duration::ZERO,
    };
    print_row(
        &format!("vscode-json-language-server, coll. ({peer_edits} edits)"),
        &peer_fig,
    );
    println!(
        "ratios on the collection (peer / vaultlink): open→diagnostics {:.0}×, edit p50 {:.0}×, edit p99 {:.0}×, document symbols {:.0}×, hover p99 {:.0}×, hover p99 while editing {:.0}×",
        ms(peer_fig.open) / ms(fc.open),
        ms(peer_fig.edit_p50) / ms(fc.edit_p50),
        ms(peer_fig.edit_p99) / ms(fc.edit_p99),
        ms(peer_fig.symbols) / ms(fc.symbols),
        ms(peer_fig.hover_p99) / ms(fc.hover_p99),
        ms(peer_fig.busy_hover_p99) / ms(fc.busy_hover_p99),
    );
    println!(
        "peer peak memory: {:.1} MB (vaultlink, both documents: {peak:.1} MB)",
        memory_mb(p.pid(), "VmHWM:"),
    );
    p.shutdown();
}
