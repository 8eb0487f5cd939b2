//! The language server under random use: incremental edits to an open `.http` file, a
//! Postman collection, a Postman environment, an http-client environment and `vaultlink.json`
//! — edits that split UTF-16 surrogate pairs and CRLF pairs, ranges past the end of lines
//! and of the text, several changes in one message, whole-text replacements — interleaved
//! with every request the server answers offline, at random positions, several in flight at
//! once, and `$/cancelRequest` at random. Every request is answered within 5 s and never with
//! an internal error or an analysis over its budget, the server stays up, and `shutdown` then
//! `exit` ends it with status 0.
//!
//! It runs for `VAULTLINK_LSP_FUZZ_SECS` seconds (20 by default) from the seed
//! `VAULTLINK_LSP_FUZZ_SEED` (random by default, printed, so a failure replays); longer runs:
//! `scripts/lsp-fuzz.sh`.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use vaultlink_e2e::Project;
use vaultlink_e2e::lsp::{self, Client, Options, file_uri};

/// How long an answer may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

/// A document grows no larger than this before it is put back to its first text.
const MAX_TEXT: usize = 24 * 1024;

const FILES: &[(&str, &str)] = &[
    (
        "vaultlink.json",
        "{\r\n  \"secrets\": {\r\n    \"stripe-key\": {\r\n      \"link\": \"https://corp-kv.vault.azure.net/secrets/stripe-key\",\r\n      \"allowedDomains\": [\"api.stripe.com\"]\r\n    },\r\n    \"db-😀\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/db/0123456789abcdef0123456789abcdef\" }\r\n  }\r\n}\r\n",
    ),
    (
        "api/charges.http",
        "@host = api.stripe.com\r\n\r\n### charges 😀\r\nGET https://{{host}}/v1/charges?q=é\r\nAuthorization: Bearer {{vault:stripe-key}}\r\n\r\n### create\nPOST https://api.stripe.com/v1/charges\nContent-Type: application/json\n\n{\"key\": \"{{vault:db-😀}}\", \"t\": \"{{token}}\", \"id\": \"{{$uuid}}\"}\n",
    ),
    (
        "api/http-client.env.json",
        "{\r\n  \"dev\": { \"host\": \"api.stripe.com\", \"token\": \"{{vault:stripe-key}}\" },\r\n  \"prod\": { \"host\": \"𝄞.example.com\" }\r\n}\r\n",
    ),
    (
        "pm/shop.postman_collection.json",
        "{\n  \"info\": { \"name\": \"shop 😀\", \"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\" },\n  \"item\": [\n    { \"name\": \"charge\", \"request\": { \"method\": \"GET\", \"url\": \"https://api.stripe.com/v1/charges\",\r\n      \"header\": [ { \"key\": \"Authorization\", \"value\": \"Bearer {{vault:stripe-key}}\" } ] } },\n    { \"name\": \"folder\", \"item\": [ { \"name\": \"x\", \"request\": { \"method\": \"POST\", \"url\": { \"raw\": \"https://{{host}}/x\" },\n      \"body\": { \"mode\": \"raw\", \"raw\": \"{\\\"k\\\": \\\"{{vault:db-😀}}\\\"}\" } } } ] }\n  ]\n}\n",
    ),
    (
        "pm/dev.postman_environment.json",
        "{\r\n  \"name\": \"dev é\",\r\n  \"values\": [\r\n    { \"key\": \"host\", \"value\": \"api.stripe.com\", \"enabled\": true },\r\n    { \"key\": \"token\", \"value\": \"{{vault:stripe-key}}\", \"type\": \"secret\", \"enabled\": true }\r\n  ]\r\n}\r\n",
    ),
];

/// What edits insert: bits of every syntax the server reads, line ends of every kind, and
/// characters outside the Basic Multilingual Plane.
const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    ",",
    ":",
    "\\",
    "\\u00e9",
    "\\ud83d",
    "{{",
    "}}",
    "{{vault:",
    "{{vault:stripe-key}}",
    "{{vault:db-😀}}",
    "{{$uuid}}",
    "{{host}}",
    "{{token}}",
    "\r",
    "\n",
    "\r\n",
    "\n\r",
    "😀",
    "𝄞",
    "é",
    "\u{200b}",
    "\t",
    " ",
    "###",
    "### x\n",
    "GET https://api.stripe.com/v1/x\n",
    "POST {{host}}/y HTTP/1.1\r\n",
    "Authorization: Bearer {{vault:stripe-key}}\n",
    "@host = api.stripe.com\n",
    "> {% client.global.set(\"t\", response.body.t); %}\n",
    "< ./body.json\n",
    "\"link\": \"https://corp-kv.vault.azure.net/secrets/x\"",
    "\"new-😀\": { \"link\": \"https://other.vault.azure.net/secrets/new\" },",
    "\"allowedDomains\": [\"*.stripe.com\"]",
    "{\"key\": \"k\", \"value\": \"v\"}",
    "\"item\": [",
    "\"request\": {\"url\": \"https://x\"}",
    "null",
    "true",
    "-1e999",
    "pm.vault.get(\"stripe-key\")",
    "// comment\n",
    "# comment\r\n",
];

struct Doc {
    uri: String,
    first: String,
    text: String,
    version: i32,
}

/// The byte offset the server takes a position for, as `text::LineIndex` documents it: a
/// position inside a character is that character's start, one past a line's end is the end
/// of the line, a line past the text is the end of the text.
fn lenient_offset(text: &str, line: usize, col: usize, enc: &str) -> usize {
    let mut starts = vec![0];
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\r' if b.get(i + 1) == Some(&b'\n') => {
                starts.push(i + 2);
                i += 2;
                continue;
            }
            b'\r' | b'\n' => starts.push(i + 1),
            _ => {}
        }
        i += 1;
    }
    let Some(&start) = starts.get(line) else {
        return text.len();
    };
    let end = starts.get(line + 1).copied().unwrap_or(text.len());
    let line_text = text[start..end].trim_end_matches(['\r', '\n']);
    let mut n = 0;
    for (i, ch) in line_text.char_indices() {
        let w = match enc {
            "utf-8" => ch.len_utf8(),
            _ => ch.len_utf16(),
        };
        if col < n + w {
            return start + i;
        }
        n += w;
    }
    start + line_text.len()
}

fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A position for an edit or a request: mostly exact, sometimes inside a character (half of
/// a surrogate pair, the middle of a UTF-8 sequence), past a line's end or past the text.
fn random_position(rng: &mut StdRng, text: &str, enc: &str) -> Value {
    let at = boundary(text, rng.random_range(0..=text.len()));
    let exact = lsp::position(text, at, enc);
    match rng.random_range(0..10) {
        0 => {
            // Inside the next character wider than one unit, if there is one.
            let wide = text[at..].char_indices().find(|(_, c)| {
                if enc == "utf-8" {
                    c.len_utf8() > 1
                } else {
                    c.len_utf16() > 1
                }
            });
            match wide {
                Some((i, _)) => {
                    let p = lsp::position(text, at + i, enc);
                    json!({ "line": p["line"], "character": p["character"].as_u64().unwrap() + 1 })
                }
                None => exact,
            }
        }
        1 => {
            json!({ "line": exact["line"], "character": exact["character"].as_u64().unwrap() + rng.random_range(1..4) })
        }
        2 => {
            json!({ "line": exact["line"].as_u64().unwrap() + rng.random_range(1..3) * 1000, "character": 0 })
        }
        _ => exact,
    }
}

fn offset_of(text: &str, pos: &Value, enc: &str) -> usize {
    lenient_offset(
        text,
        pos["line"].as_u64().unwrap() as usize,
        pos["character"].as_u64().unwrap() as usize,
        enc,
    )
}

fn random_text(rng: &mut StdRng) -> String {
    let mut out = String::new();
    for _ in 0..rng.random_range(0..4) {
        if rng.random_bool(0.15) {
            out.extend((0..rng.random_range(1..12)).map(|_| rng.random_range(' '..='~')));
        } else {
            out.push_str(SNIPPETS[rng.random_range(0..SNIPPETS.len())]);
        }
    }
    out
}

/// One `didChange`: a few changes applied in order, or the whole text replaced.
fn random_edit(rng: &mut StdRng, doc: &mut Doc, enc: &str) -> Value {
    if doc.text.len() > MAX_TEXT || rng.random_bool(0.03) {
        doc.text = if rng.random_bool(0.5) {
            doc.first.clone()
        } else {
            random_text(rng)
        };
        return json!([{ "text": doc.text }]);
    }
    let mut changes = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        let a = random_position(rng, &doc.text, enc);
        let (start, end) = if rng.random_bool(0.4) {
            (a.clone(), a)
        } else {
            let b = random_position(rng, &doc.text, enc);
            if offset_of(&doc.text, &a, enc) <= offset_of(&doc.text, &b, enc) {
                (a, b)
            } else {
                (b, a)
            }
        };
        let new_text = random_text(rng);
        let (s, e) = (
            offset_of(&doc.text, &start, enc),
            offset_of(&doc.text, &end, enc),
        );
        doc.text.replace_range(s..e.max(s), &new_text);
        changes.push(json!({ "range": { "start": start, "end": end }, "text": new_text }));
    }
    Value::Array(changes)
}

/// A request the server answers without the network, about `doc` at a random position.
fn random_request(rng: &mut StdRng, doc: &Doc, docs: &[Doc], enc: &str) -> (&'static str, Value) {
    let td = json!({ "uri": doc.uri });
    let pos = random_position(rng, &doc.text, enc);
    let at = json!({ "textDocument": td, "position": pos });
    let range = json!({ "start": pos, "end": random_position(rng, &doc.text, enc) });
    let links = &docs[0].uri;
    match rng.random_range(0..14) {
        0 | 1 => ("textDocument/hover", at),
        2 | 3 => ("textDocument/completion", at),
        4 => (
            "textDocument/codeAction",
            json!({ "textDocument": td, "range": range, "context": { "diagnostics": [] } }),
        ),
        5 => ("textDocument/codeLens", json!({ "textDocument": td })),
        6 => ("textDocument/documentSymbol", json!({ "textDocument": td })),
        7 => ("textDocument/definition", at),
        8 => {
            let mut p = at;
            p["context"] = json!({ "includeDeclaration": true });
            ("textDocument/references", p)
        }
        9 => {
            let mut p = at;
            p["newName"] = json!(pick(rng, &["renamed", "x😀", "", "bad name", "a.b"]));
            ("textDocument/rename", p)
        }
        10 => ("textDocument/diagnostic", json!({ "textDocument": td })),
        11 => (
            "workspace/executeCommand",
            json!({ "command": "vaultlink.linkSecret", "arguments": [{
                "uri": doc.uri,
                "name": pick(rng, &["fuzz-key", "stripe-key", "bad name"]),
                "identifier": pick(rng, &["https://corp-kv.vault.azure.net/secrets/fuzz", "https://evil.example.com/secrets/x", "nope"]),
                "allowedDomains": ["api.stripe.com"]
            }]}),
        ),
        12 => (
            "workspace/executeCommand",
            json!({ "command": "vaultlink.unlinkSecret", "arguments": [{
                "uri": links, "name": pick(rng, &["stripe-key", "db-😀", "missing"])
            }]}),
        ),
        _ => (
            "workspace/executeCommand",
            json!({ "command": "vaultlink.showLocation", "arguments": [{ "uri": doc.uri, "range": range }] }),
        ),
    }
}

/// The documents' texts as this client has them, for a failure's message.
fn texts(docs: &[Doc]) -> String {
    docs.iter()
        .map(|d| format!("--- {} (version {}) ---\n{:?}\n", d.uri, d.version, d.text))
        .collect()
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

#[test]
fn random_edits_and_requests_are_all_answered() {
    let seed = env_u64("VAULTLINK_LSP_FUZZ_SEED").unwrap_or_else(rand::random);
    let secs = env_u64("VAULTLINK_LSP_FUZZ_SECS").unwrap_or(20);
    eprintln!(
        "lsp fuzz: seed {seed}, {secs} s (replay: VAULTLINK_LSP_FUZZ_SEED={seed} VAULTLINK_LSP_FUZZ_SECS={secs})"
    );
    let mut rng = StdRng::seed_from_u64(seed);
    let fixture: String = FILES
        .iter()
        .map(|(path, text)| format!("//- /{path}\n{text}"))
        .collect();
    let p = Project::new(&fixture);
    let encodings: &[&str] = if rng.random_bool(0.5) {
        &["utf-8", "utf-16"]
    } else {
        &[]
    };
    // A budget shorter than the answer time: an analysis over it is a finding, not a wait.
    let env = [("VAULTLINK_ANALYSIS_BUDGET_MS".to_owned(), "3000".to_owned())];
    let mut c = Client::start_with(
        p.dir.path(),
        Options {
            encodings,
            pull_diagnostics: rng.random_bool(0.5),
            env: &env,
            ..Options::default()
        },
    );
    let enc = c.encoding().to_owned();
    let mut docs: Vec<Doc> = FILES
        .iter()
        .map(|(path, text)| {
            let path = p.path(path);
            c.open(&path, text);
            Doc {
                uri: file_uri(&path),
                first: text.to_string(),
                text: text.to_string(),
                version: 1,
            }
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut edits, mut requests, mut cancels) = (0u64, 0u64, 0u64);
    let mut in_flight: Vec<(i64, &'static str, Instant, bool)> = Vec::new();
    while Instant::now() < deadline {
        let d = rng.random_range(0..docs.len());
        if rng.random_bool(0.55) {
            let changes = random_edit(&mut rng, &mut docs[d], &enc);
            docs[d].version += 1;
            c.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": docs[d].uri, "version": docs[d].version }, "contentChanges": changes }),
            );
            edits += 1;
        } else {
            let (method, params) = random_request(&mut rng, &docs[d], &docs, &enc);
            let id = c.send_request(method, params);
            requests += 1;
            let cancel = rng.random_bool(0.1);
            if cancel {
                c.notify("$/cancelRequest", json!({ "id": id }));
                cancels += 1;
            }
            in_flight.push((id, method, Instant::now(), cancel));
        }
        // Up to a few requests in flight; then every one is waited for.
        if in_flight.len() >= rng.random_range(1..=6) || Instant::now() >= deadline {
            for (id, method, sent, cancelled) in in_flight.drain(..) {
                let left = ANSWER_WITHIN.saturating_sub(sent.elapsed());
                let r = c.wait_response(id, method, left);
                if let Err(e) = &r {
                    let code = e["code"].as_i64();
                    assert!(
                        code.is_some() && e["message"].is_string(),
                        "seed {seed}: {method}: a malformed error {e}"
                    );
                    assert_ne!(
                        code,
                        Some(-32603),
                        "seed {seed}: {method}: an internal error {e}\n{}\n{}",
                        c.dump(),
                        texts(&docs)
                    );
                    assert!(
                        e.get("data").and_then(|d| d.get("overBudget")).is_none(),
                        "seed {seed}: {method}: an analysis ran over its budget {e}\n{}\n{}",
                        c.dump(),
                        texts(&docs)
                    );
                    if code == Some(-32800) {
                        assert!(cancelled, "seed {seed}: {method} cancelled unasked");
                    }
                }
            }
            assert!(
                c.is_running(),
                "seed {seed}: the server stopped\n{}",
                c.dump()
            );
        }
    }
    let over_budget: Vec<Value> = c
        .notifications("window/logMessage")
        .into_iter()
        .filter(|n| {
            n["message"]
                .as_str()
                .is_some_and(|m| m.contains("took longer than"))
        })
        .collect();
    assert!(over_budget.is_empty(), "seed {seed}: {over_budget:?}");
    assert!(c.garbage().is_empty(), "seed {seed}: {:?}", c.garbage());
    eprintln!("lsp fuzz: seed {seed}: {edits} edits, {requests} requests ({cancels} cancelled)");
    c.shutdown();
}
