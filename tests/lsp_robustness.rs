//! The language server against bad input: positions out of range, documents it never saw,
//! malformed JSON in every kind of file, a 10 MB line, a 100,000-line file and malformed
//! messages. Each gets a sensible answer — a result (often empty) or an error response, never
//! a crash and never an internal error (that is a panic caught by the server) — and the server
//! stays up: a later request still works and `shutdown` exits 0.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vaultlink_e2e::Project;
use vaultlink_e2e::lsp::{self, Client, file_uri, find, summary};

const UTF16_ONLY: &[&str] = &[];
const UTF8: &[&str] = &["utf-8", "utf-16"];

macro_rules! in_both_encodings {
    ($($name:ident),* $(,)?) => {
        mod utf16 {
            $( #[test] fn $name() { super::$name(super::UTF16_ONLY, "utf-16"); } )*
        }
        mod utf8 {
            $( #[test] fn $name() { super::$name(super::UTF8, "utf-8"); } )*
        }
    };
}

in_both_encodings!(
    out_of_range_positions_get_an_answer,
    a_ten_megabyte_line_is_checked_and_edited,
    a_ten_megabyte_line_answers_every_request,
    a_hundred_thousand_line_file_is_checked_and_edited,
    a_hundred_thousand_line_file_answers_every_request,
);

const LINKS: &str = r##"//- /vaultlink.json
{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com"]
    }
  }
}
"##;

/// An answer is sensible when it is a result or an error response that is not an internal
/// error: the server turns a panic into `-32603`, which is a bug even though it survives it.
fn assert_sensible(c: &Client, what: &str, r: &Result<Value, Value>) {
    if let Err(e) = r {
        assert!(
            e["code"].is_i64() && e["message"].is_string(),
            "{what}: a well-formed error: {e}"
        );
        assert_ne!(
            e["code"],
            -32603,
            "{what}: an internal error (a panic in the server): {e}\n{}",
            c.dump()
        );
    }
}

/// Whether `pos` is a position inside `text` in `enc`, on a character boundary.
fn valid_position(text: &str, pos: &Value, enc: &str) -> bool {
    std::panic::catch_unwind(|| lsp::offset(text, pos, enc)).is_ok()
}

/// Every range in `v` (any object with `start` and `end` positions) that belongs to `uri`
/// must be a valid range of `text`. Ranges of other documents are not checked.
fn assert_ranges_valid(v: &Value, uri: &str, text: &str, enc: &str, in_doc: bool) {
    match v {
        Value::Object(o) => {
            let here = match o.get("uri").or_else(|| o.get("targetUri")) {
                Some(u) => u == uri,
                None => in_doc,
            };
            if let (Some(s), Some(e)) = (o.get("start"), o.get("end"))
                && s.get("line").is_some()
                && here
            {
                assert!(
                    valid_position(text, s, enc) && valid_position(text, e, enc),
                    "a range outside the document or inside a character: {v}"
                );
            }
            for (k, child) in o {
                // `changes` of a WorkspaceEdit are keyed by URI.
                let child_here = if k.starts_with("file:") || k.starts_with("untitled:") {
                    k == uri
                } else {
                    here
                };
                assert_ranges_valid(child, uri, text, enc, child_here);
            }
        }
        Value::Array(a) => {
            for x in a {
                assert_ranges_valid(x, uri, text, enc, in_doc);
            }
        }
        _ => {}
    }
}

/// Every position request at `pos`; each answer must be sensible, and its ranges valid.
fn ask_everything_at(c: &mut Client, uri: &str, pos: Value, label: &str) {
    let text = c.open_text(uri).map(str::to_string);
    let enc = c.encoding().to_string();
    let doc = json!({ "uri": uri });
    let requests = [
        (
            "textDocument/hover",
            json!({ "textDocument": doc, "position": pos }),
        ),
        (
            "textDocument/completion",
            json!({ "textDocument": doc, "position": pos }),
        ),
        (
            "textDocument/definition",
            json!({ "textDocument": doc, "position": pos }),
        ),
        (
            "textDocument/references",
            json!({ "textDocument": doc, "position": pos, "context": { "includeDeclaration": true } }),
        ),
        (
            "textDocument/rename",
            json!({ "textDocument": doc, "position": pos, "newName": "renamed-name" }),
        ),
        (
            "textDocument/codeAction",
            json!({ "textDocument": doc, "range": { "start": pos, "end": pos },
                    "context": { "diagnostics": [] } }),
        ),
        (
            "textDocument/codeAction",
            json!({ "textDocument": doc,
                    "range": { "start": pos, "end": { "line": 0, "character": 0 } },
                    "context": { "diagnostics": [] } }),
        ),
    ];
    for (method, params) in requests {
        let r = c.request(method, params);
        let what = format!("{method} at {label} {pos}");
        assert_sensible(c, &what, &r);
        if let (Ok(v), Some(text)) = (&r, &text) {
            assert_ranges_valid(v, uri, text, &enc, method != "textDocument/references");
        }
    }
}

fn out_of_range_positions_get_an_answer(offer: &[&str], enc: &str) {
    let p = Project::new(
        &[
            LINKS,
            "//- /a.http\nGET https://api.stripe.com/x\nA: 😀{{vault:stripe-key}} é中\n",
        ]
        .concat(),
    );
    let mut c = Client::start(p.dir.path(), offer);
    assert_eq!(c.encoding(), enc);
    let text = p.read("a.http");
    let uri = c.open(&p.path("a.http"), &text);
    c.wait_diagnostics(&uri);

    let emoji = find(&text, "😀").0;
    let col = |off: usize| {
        lsp::position(&text, off, enc)["character"]
            .as_u64()
            .unwrap()
    };
    let mut positions = vec![
        (
            "a line past the end",
            json!({ "line": 1000, "character": 0 }),
        ),
        (
            "a character past the line's end",
            json!({ "line": 0, "character": 1000 }),
        ),
        (
            "the empty last line, past its end",
            json!({ "line": 2, "character": 5 }),
        ),
        (
            "the largest position",
            json!({ "line": 2147483647u32, "character": 2147483647u32 }),
        ),
        (
            "past the end of a line with emoji",
            json!({ "line": 1, "character": col(text.len() - 1) + 3 }),
        ),
    ];
    // Inside a character: half of the surrogate pair, or the middle of a UTF-8 sequence.
    let inside: Vec<u64> = if enc == "utf-16" {
        vec![col(emoji) + 1]
    } else {
        let cjk = find(&text, "中").0;
        vec![col(emoji) + 1, col(emoji) + 2, col(emoji) + 3, col(cjk) + 1]
    };
    for ch in inside {
        positions.push(("inside a character", json!({ "line": 1, "character": ch })));
    }
    for (label, pos) in positions {
        ask_everything_at(&mut c, &uri, pos, label);
    }

    // Changes with ranges out of range or inside a character are clamped or ignored, never
    // a crash; a full change afterwards brings client and server back in step.
    let bad_changes = [
        json!({ "range": { "start": { "line": 99, "character": 0 }, "end": { "line": 99, "character": 5 } }, "text": "X" }),
        json!({ "range": { "start": { "line": 1, "character": col(emoji) + 1 }, "end": { "line": 1, "character": col(emoji) + 1 } }, "text": "é" }),
        json!({ "range": { "start": { "line": 1, "character": 500 }, "end": { "line": 0, "character": 0 } }, "text": "" }),
    ];
    let mut version = 1;
    for change in bad_changes {
        version += 1;
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [change] }),
        );
        let diags = c.wait_diagnostics_version(&uri, version);
        for d in &diags {
            assert!(d["range"]["start"]["line"].is_u64(), "{d}");
        }
    }
    version += 1;
    c.change(&uri, version, json!([{ "text": text }]));
    let diags = c.wait_diagnostics_version(&uri, version);
    assert_eq!(diags, Vec::<Value>::new(), "back to the linked text");

    // Still up, and still exact.
    let (s, e) = find(&text, "{{vault:stripe-key}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 3));
    assert_eq!(h["range"], lsp::range(&text, s, e, enc));
    c.shutdown();
}

#[test]
fn unknown_documents_get_empty_answers() {
    let p = Project::new(
        &[
            LINKS,
            "//- /on-disk.http\nGET https://x.test\nA: {{vault:k}}\n",
        ]
        .concat(),
    );
    let mut c = Client::start(p.dir.path(), UTF8);
    let pos = json!({ "line": 0, "character": 0 });
    for uri in [
        file_uri(&p.path("never-opened.http")),
        file_uri(&p.path("on-disk.http")),
        "untitled:Untitled-1".to_string(),
        "https://example.com/x.http".to_string(),
    ] {
        ask_everything_at(&mut c, &uri, pos.clone(), "an unknown document");
        for method in [
            "textDocument/codeLens",
            "textDocument/documentSymbol",
            "textDocument/diagnostic",
        ] {
            let r = c.request(method, json!({ "textDocument": { "uri": uri } }));
            assert_sensible(&c, method, &r);
            if let Ok(v) = &r {
                let empty = v.is_null()
                    || v.as_array().is_some_and(Vec::is_empty)
                    || v["items"].as_array().is_some_and(Vec::is_empty);
                assert!(empty, "{method} on {uri}: nothing to say: {v}");
            }
        }
        // Notifications about it are ignored.
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 7 },
                    "contentChanges": [{ "range": { "start": pos, "end": pos }, "text": "x" }] }),
        );
        c.notify(
            "textDocument/didSave",
            json!({ "textDocument": { "uri": uri } }),
        );
        c.notify(
            "textDocument/didClose",
            json!({ "textDocument": { "uri": uri } }),
        );
    }
    // Commands pointing at unknown documents.
    let r = c.request(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.unlinkSecret",
                "arguments": [{ "name": "stripe-key", "uri": "untitled:Untitled-1" }] }),
    );
    assert_sensible(&c, "unlinkSecret for an untitled document", &r);
    let r = c.request(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.noSuchCommand", "arguments": [] }),
    );
    assert!(r.is_err(), "an unknown command is an error: {r:?}");

    // A document opened, closed and asked about again.
    // (Closing the unknown document above may have published an empty list: skip it.)
    let uri = c.open(&p.path("on-disk.http"), &p.read("on-disk.http"));
    let diags = c.wait_diagnostics_version(&uri, 1);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    c.close(&uri);
    let cleared = c.wait_diagnostics(&uri);
    assert!(
        cleared.is_empty(),
        "closing clears its diagnostics: {cleared:#?}"
    );
    ask_everything_at(&mut c, &uri, pos, "a closed document");

    let uri = c.open(&p.path("on-disk.http"), &p.read("on-disk.http"));
    let diags = c.wait_diagnostics_version(&uri, 1);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    c.shutdown();
}

const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// Malformed files of every kind the server reads. The deeply nested ones are on disk from
/// the start, so the workspace scan reads them too.
fn malformed_files() -> Vec<(&'static str, String)> {
    let deep = |open: &str| open.repeat(100_000);
    vec![
        (
            "c/truncated.postman_collection.json",
            format!("{{\"info\": {{\"name\": \"c\", \"schema\": \"{SCHEMA}\"}}, \"item\": [ {{\"name\": \"😀 x\", \"request\": {{\"url\": \"https://x.test/{{{{vault:k}}}}\""),
        ),
        (
            "c/escapes.postman_collection.json",
            format!(
                "{{\"info\": {{\"name\": \"c\", \"schema\": \"{SCHEMA}\"}}, \"item\": [ {{\"name\": \"\\ud800 \\x \\u12\", \"request\": {{\"url\": \"https://x.test/\\udc00{{{{vault:k}}}}\", \"header\": [{{\"key\": \"A\", \"value\": \"\\ud83d{{{{vault:\"}}]}}, \"event\": [{{\"script\": {{\"exec\": [\"pm.vault.get(\\\"\\ud800\\\")\", \"pm.vault.get(\"]}}}}]}} ] }} trailing"
            ),
        ),
        (
            "c/deep.postman_collection.json",
            format!("{{\"info\": {{\"schema\": \"{SCHEMA}\"}}, \"item\": {}", deep("[")),
        ),
        ("c/empty.postman_collection.json", String::new()),
        (
            "e/http-client.env.json",
            "{ \"dev\": { \"a\": \"😀 {{vault:k}}\",, \"b\": [ } ".to_string(),
        ),
        (
            "e/http-client.private.env.json",
            format!("{{ \"dev\": {} ", deep("{\"a\":")),
        ),
        (
            "e/dev.postman_environment.json",
            "{ \"name\": \"dev\", \"values\": [ { \"key\": \"k\", \"value\": \"\\ud800\" }, { \"key\": 5, \"value\": {} }, ] ".to_string(),
        ),
        (
            "l/vaultlink.json",
            "{ \"secrets\": { \"k\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/k\" }, \"j\": { \"link\": 5 }, \"😀\": [ ".to_string(),
        ),
        ("d/vaultlink.json", format!("{{ \"secrets\": {}", deep("["))),
        // A stray closing bracket, as typed in the middle of an edit.
        ("s/stray.postman_collection.json", "{\"a\":1]}".to_string()),
        (
            "s/vaultlink.json",
            "{\"secrets\":{\"a\":{\"link\":\"x\"]}}".to_string(),
        ),
        (
            "s/http-client.env.json",
            "{\"dev\": {\"a\": [\"x\"}}".to_string(),
        ),
        ("n/vaultlink.json", "null".to_string()),
    ]
}

#[test]
fn malformed_json_in_every_kind_of_file() {
    let mut fixture = String::new();
    for (path, text) in malformed_files() {
        fixture.push_str(&format!("//- /{path}\n{text}\n"));
    }
    fixture.push_str("//- /l/a.http\nGET https://x.test\nA: 😀 {{vault:k}} {{vault:j}}\n");
    fixture.push_str("//- /e/a.http\nGET https://x.test\nA: {{a}} {{vault:k}}\n");
    fixture.push_str("//- /d/a.http\nGET https://x.test\nA: {{vault:k}}\n");
    let p = Project::new(&fixture);
    let mut c = Client::start(p.dir.path(), UTF16_ONLY);
    let enc = c.encoding().to_string();

    for (path, _) in malformed_files() {
        let text = p.read(path);
        let started = Instant::now();
        let uri = c.open(&p.path(path), &text);
        let diags = c.wait_diagnostics(&uri);
        if path != "n/vaultlink.json" {
            assert!(
                diags
                    .iter()
                    .any(|d| d["code"] == "syntax-error" && d["severity"] == 1),
                "{path}: a syntax error is reported: {diags:#?}"
            );
        } else {
            assert!(
                !diags.is_empty(),
                "{path}: `null` is no links file: {diags:#?}"
            );
        }
        for d in &diags {
            assert_eq!(d["source"], "vaultlink");
            assert_ranges_valid(&d["range"], &uri, &text, &enc, true);
        }
        for method in ["textDocument/documentSymbol", "textDocument/codeLens"] {
            let r = c.request(method, json!({ "textDocument": { "uri": uri } }));
            assert_sensible(&c, &format!("{method} on {path}"), &r);
            if let Ok(v) = &r {
                assert_ranges_valid(v, &uri, &text, &enc, true);
            }
        }
        // Every position request, at a few places in the file.
        for off in [0, text.len() / 2, text.len()] {
            let mut off = off;
            while !text.is_char_boundary(off) {
                off -= 1;
            }
            let pos = lsp::position(&text, off, &enc);
            ask_everything_at(&mut c, &uri, pos, path);
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} took {:?}",
            started.elapsed()
        );
    }

    // Documents whose links or environment files are malformed are still checked.
    for rel in ["l/a.http", "e/a.http", "d/a.http"] {
        let text = p.read(rel);
        let uri = c.open(&p.path(rel), &text);
        let diags = c.wait_diagnostics(&uri);
        for d in &diags {
            assert_ranges_valid(&d["range"], &uri, &text, &enc, true);
        }
        let (s, _) = find(&text, "{{vault:k}}");
        let r = c.request("textDocument/hover", c.at(&uri, s + 3));
        assert_sensible(&c, "hover beside a malformed links file", &r);
        let r = c.request(
            "textDocument/codeAction",
            json!({
                "textDocument": { "uri": uri }, "range": c.range(&uri, s + 3, s + 3),
                "context": { "diagnostics": diags }
            }),
        );
        assert_sensible(&c, "code actions beside a malformed links file", &r);
        if let Ok(actions) = &r {
            // An edit to a links file that does not parse would make things worse.
            for a in actions.as_array().into_iter().flatten() {
                let edit = &a["edit"];
                let links = file_uri(&p.path(&rel.replace("a.http", "vaultlink.json")));
                assert!(
                    lsp::edits_for(edit, &links).is_empty() || rel == "e/a.http",
                    "an edit to the malformed {links}: {a}"
                );
            }
        }
    }
    // The commands refuse to edit a links file that does not parse.
    let before = c.applied_edits().len();
    let uri = file_uri(&p.path("l/a.http"));
    let r = c.request(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.linkSecret", "arguments": [{
            "name": "new", "identifier": "https://corp-kv.vault.azure.net/secrets/new", "uri": uri }] }),
    );
    assert!(r.is_err(), "{r:?}");
    assert_sensible(&c, "linkSecret on a malformed links file", &r);
    let r = c.request(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.unlinkSecret", "arguments": [{ "name": "k", "uri": uri }] }),
    );
    assert!(r.is_err(), "{r:?}");
    assert_eq!(c.applied_edits().len(), before, "no edit was sent");

    // Still up.
    let uri = c.open(
        &p.path("fine.http"),
        "GET https://x.test\nA: {{vault:fine}}\n",
    );
    let diags = c.wait_diagnostics(&uri);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    c.shutdown();
}

/// A request file whose body is one line of 10 MB, with emoji, CJK and `é` along it and a
/// reference at its end, open in a server; returns the client, the URI and the text.
fn open_ten_megabyte_line(offer: &[&str], enc: &str) -> (Project, Client, String, String) {
    let mut body = String::with_capacity(10_500_000);
    body.push_str("{\"data\": \"");
    let chunk = "abcdefghij😀中é0123456789 lorem ipsum dolor sit amet, consectetur adipiscing ";
    while body.len() < 10 * 1024 * 1024 {
        body.push_str(chunk);
    }
    body.push_str("\", \"key\": \"😀中é {{vault:big-secret}}\"}");
    let text = format!(
        "POST https://api.stripe.com/v1/upload\nContent-Type: application/json\n\n{body}\n"
    );
    let p = Project::new(LINKS);
    std::fs::write(p.path("big.http"), &text).unwrap();
    let mut c = Client::start(p.dir.path(), offer);
    assert_eq!(c.encoding(), enc);
    let started = Instant::now();
    let uri = c.open(&p.path("big.http"), &text);
    let diags = c.wait_diagnostics(&uri);
    let opened = started.elapsed();
    let (s, e) = find(&text, "{{vault:big-secret}}");
    assert_eq!(
        summary(&diags),
        vec![(
            "unlinked-secret".to_string(),
            2,
            lsp::range(&text, s, e, enc)
        )],
        "opened in {opened:?}"
    );
    eprintln!("10 MB line ({enc}): open → diagnostics {opened:?}");
    (p, c, uri, text)
}

fn a_ten_megabyte_line_is_checked_and_edited(offer: &[&str], enc: &str) {
    let (_p, mut c, uri, text) = open_ten_megabyte_line(offer, enc);
    let (s, e) = find(&text, "{{vault:big-secret}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 10));
    assert_eq!(h["range"], lsp::range(&text, s, e, enc));

    // An edit at the start of the line moves the reference by one character.
    let line3 = find(&text, "{\"data\"").0;
    let started = Instant::now();
    let v = c.edit(&uri, line3, line3, "é");
    let diags = c.wait_diagnostics_version(&uri, v);
    let edited = started.elapsed();
    let t = c.text(&uri).to_string();
    let (s, e) = find(&t, "{{vault:big-secret}}");
    assert_eq!(
        summary(&diags),
        vec![("unlinked-secret".to_string(), 2, lsp::range(&t, s, e, enc))],
        "edited in {edited:?}"
    );
    eprintln!("10 MB line ({enc}): edit → diagnostics {edited:?}");
    c.shutdown();
}

fn a_ten_megabyte_line_answers_every_request(offer: &[&str], enc: &str) {
    let (_p, mut c, uri, text) = open_ten_megabyte_line(offer, enc);
    let (s, _) = find(&text, "{{vault:big-secret}}");
    let timed = |c: &mut Client, method: &str, params: Value| {
        let started = Instant::now();
        let r = c.request(method, params);
        assert_sensible(c, &format!("{method} on the long line"), &r);
        eprintln!("10 MB line ({enc}): {method} {:?}", started.elapsed());
        r
    };
    let at = c.at(&uri, s + 8);
    let r = timed(&mut c, "textDocument/completion", at);
    assert!(r.is_ok(), "{r:?}");
    let symbols = timed(
        &mut c,
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    )
    .unwrap();
    assert_eq!(symbols.as_array().map(Vec::len), Some(1), "{symbols}");
    let lenses = timed(
        &mut c,
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    )
    .unwrap();
    // The reference count and the Send lens of the one request.
    assert_eq!(lenses.as_array().map(Vec::len), Some(2));
    let range = c.range(&uri, s + 9, s + 9);
    let r = timed(
        &mut c,
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range,
                "context": { "diagnostics": [] } }),
    );
    let titles = r.unwrap().to_string();
    assert!(titles.contains("Add a link for `big-secret`"), "{titles}");
    timed(
        &mut c,
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 3, "character": 4_000_000 } }),
    )
    .unwrap();
    c.shutdown();
}

/// 100,000 lines: 5,000 requests of 20 lines (a linked reference after emoji, a body of 16
/// lines); the last reference is unlinked. Open in a server; returns the client, the URI and
/// the text.
fn open_hundred_thousand_lines(offer: &[&str], enc: &str) -> (Project, Client, String, String) {
    let mut text = String::with_capacity(6_000_000);
    for i in 0..5_000 {
        let name = if i == 4_999 { "last-one" } else { "stripe-key" };
        text.push_str(&format!(
            "### r{i} 中文\nPOST https://api.stripe.com/v1/items/{i}\nX-K: é😀 {{{{vault:{name}}}}}\n\n"
        ));
        for j in 0..16 {
            text.push_str(&format!("line {j} of body {i}: é中😀 {{{{$uuid}}}}\n"));
        }
    }
    assert_eq!(text.lines().count(), 100_000);
    let p = Project::new(LINKS);
    std::fs::write(p.path("long.http"), &text).unwrap();
    let mut c = Client::start(p.dir.path(), offer);
    assert_eq!(c.encoding(), enc);

    let started = Instant::now();
    let uri = c.open(&p.path("long.http"), &text);
    let diags = c.wait_diagnostics(&uri);
    let opened = started.elapsed();
    let (s, e) = find(&text, "{{vault:last-one}}");
    assert_eq!(
        summary(&diags),
        vec![(
            "unlinked-secret".to_string(),
            2,
            lsp::range(&text, s, e, enc)
        )],
        "opened in {opened:?}"
    );
    assert_eq!(lsp::range(&text, s, e, enc)["start"]["line"], 99_982);
    eprintln!("100,000 lines ({enc}): open → diagnostics {opened:?}");
    (p, c, uri, text)
}

fn a_hundred_thousand_line_file_is_checked_and_edited(offer: &[&str], enc: &str) {
    let (_p, mut c, uri, text) = open_hundred_thousand_lines(offer, enc);
    let (s, e) = find(&text, "{{vault:last-one}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 10));
    assert_eq!(h["range"], lsp::range(&text, s, e, enc));

    // An edit in the middle: a new unlinked reference on line 50,002.
    let mid = find(&text, "POST https://api.stripe.com/v1/items/2500\n").1;
    let started = Instant::now();
    let v = c.edit(&uri, mid, mid, "X-New: 😀 {{vault:mid-one}}\n");
    let diags = c.wait_diagnostics_version(&uri, v);
    let edited = started.elapsed();
    let t = c.text(&uri).to_string();
    let (ms, me) = find(&t, "{{vault:mid-one}}");
    let (ls, le) = find(&t, "{{vault:last-one}}");
    assert_eq!(
        summary(&diags),
        vec![
            (
                "unlinked-secret".to_string(),
                2,
                lsp::range(&t, ms, me, enc)
            ),
            (
                "unlinked-secret".to_string(),
                2,
                lsp::range(&t, ls, le, enc)
            ),
        ],
        "edited in {edited:?}"
    );
    eprintln!("100,000 lines ({enc}): edit → diagnostics {edited:?}");
    c.shutdown();
}

fn a_hundred_thousand_line_file_answers_every_request(offer: &[&str], enc: &str) {
    let (_p, mut c, uri, text) = open_hundred_thousand_lines(offer, enc);
    let started = Instant::now();
    let symbols = c.ok(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    eprintln!(
        "100,000 lines ({enc}): documentSymbol {:?}",
        started.elapsed()
    );
    let symbols = symbols.as_array().cloned().unwrap_or_default();
    assert_eq!(symbols.len(), 5_000);
    assert_eq!(symbols[4_999]["name"], "r4999 中文");
    let started = Instant::now();
    let lenses = c.ok(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    );
    eprintln!("100,000 lines ({enc}): codeLens {:?}", started.elapsed());
    // 5,000 requests: a reference count and a Send lens for each.
    assert_eq!(lenses.as_array().map(Vec::len), Some(10_000));
    let mut params = c.at(&uri, find(&text, "{{vault:stripe-key}}").0 + 9);
    params["context"] = json!({ "includeDeclaration": true });
    let started = Instant::now();
    let refs = c.ok("textDocument/references", params);
    eprintln!("100,000 lines ({enc}): references {:?}", started.elapsed());
    assert_eq!(
        refs.as_array().map(Vec::len),
        Some(4_999 + 1),
        "every use plus the key in vaultlink.json"
    );
    c.shutdown();
}

#[test]
fn unknown_methods_and_malformed_params_get_errors() {
    let p = Project::new(&[LINKS, "//- /a.http\nGET https://x.test\nA: {{vault:k}}\n"].concat());
    let mut c = Client::start(p.dir.path(), UTF8);
    let uri = c.open(&p.path("a.http"), &p.read("a.http"));
    c.wait_diagnostics(&uri);

    // An unknown request, an unknown notification, a cancellation of nothing.
    let r = c.request("vaultlink/noSuchRequest", json!({}));
    assert_eq!(
        r.as_ref().err().map(|e| e["code"].clone()),
        Some(json!(-32601)),
        "{r:?}"
    );
    c.notify("vaultlink/noSuchNotification", json!({ "x": 1 }));
    c.notify("$/cancelRequest", json!({ "id": 123456 }));
    // Params of the wrong shape.
    for params in [
        json!({ "textDocument": { "uri": uri } }),
        json!({ "textDocument": { "uri": uri }, "position": { "line": -1, "character": 0 } }),
        json!({ "textDocument": { "uri": 5 }, "position": { "line": 0, "character": 0 } }),
        json!([1, 2, 3]),
        Value::Null,
    ] {
        let r = c.request("textDocument/hover", params.clone());
        assert!(r.is_err(), "hover with {params}: {r:?}");
        assert_sensible(&c, "hover with malformed params", &r);
    }
    for args in [
        json!(null),
        json!([]),
        json!(["a string"]),
        json!([{ "name": 5 }]),
    ] {
        let r = c.request(
            "workspace/executeCommand",
            json!({ "command": "vaultlink.linkSecret", "arguments": args }),
        );
        assert!(r.is_err(), "linkSecret with {args}: {r:?}");
        assert_sensible(&c, "linkSecret with malformed arguments", &r);
    }
    // A didOpen without text and a didChange without changes.
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": "file:///x.http" } }),
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 } }),
    );

    // Still up.
    let text = "GET https://x.test\nA: {{vault:k}} {{vault:k2}}\n";
    c.change(&uri, 3, json!([{ "text": text }]));
    let diags = c.wait_diagnostics_version(&uri, 3);
    assert_eq!(diags.len(), 2, "{diags:#?}");
    assert!(
        c.garbage().is_empty(),
        "the server wrote only JSON-RPC: {:?}",
        c.garbage()
    );
    c.shutdown();
}

#[test]
fn an_unreadable_message_does_not_stop_the_server() {
    let p = Project::new(&[LINKS, "//- /a.http\nGET https://x.test\nA: {{vault:k}}\n"].concat());
    let mut c = Client::start(p.dir.path(), UTF8);
    let uri = c.open(&p.path("a.http"), &p.read("a.http"));
    c.wait_diagnostics(&uri);

    // Not JSON, in a correct frame: JSON-RPC answers a parse error (`"id": null`) and the
    // connection goes on.
    let garbage = b"{\"jsonrpc\": \"2.0\", \"id\": 999, \"method\": ";
    let mut framed = format!("Content-Length: {}\r\n\r\n", garbage.len()).into_bytes();
    framed.extend_from_slice(garbage);
    c.send_raw(&framed);
    let h = c.request("textDocument/hover", c.at(&uri, 22));
    assert!(h.is_ok(), "{h:?}");
    assert_eq!(
        c.orphan_errors().len(),
        1,
        "a parse error: {:?}",
        c.orphan_errors()
    );
    assert_eq!(c.orphan_errors()[0]["error"]["code"], -32700);
    c.shutdown();
}

/// One change event that replaces the whole text and then edits the new text: the edit
/// applies to the new text, and the server goes on.
#[test]
fn a_whole_text_change_then_an_edit_in_one_event() {
    let p = Project::new(
        "//- /a.http\nGET https://x.test/a-first-line-longer-than-the-next\nA: {{vault:k}}\n",
    );
    let mut c = Client::start(p.dir.path(), UTF16_ONLY);
    let uri = c.open(&p.path("a.http"), &p.read("a.http"));
    c.wait_diagnostics(&uri);
    c.change(
        &uri,
        2,
        json!([
            { "text": "GET https://x.test\nB: {{vault:j}}\n" },
            { "range": { "start": { "line": 1, "character": 0 }, "end": { "line": 1, "character": 1 } }, "text": "C" },
        ]),
    );
    let diags = c.wait_diagnostics_version(&uri, 2);
    assert_eq!(diags.len(), 1, "{diags:#?}\n{}", c.dump());
    assert_eq!(diags[0]["code"], "unlinked-secret");
    assert_eq!(
        diags[0]["range"],
        json!({ "start": { "line": 1, "character": 3 }, "end": { "line": 1, "character": 14 } })
    );
    let r = c.request("textDocument/hover", c.at(&uri, 26));
    assert_sensible(&c, "hover after the change", &r);
    c.shutdown();
}

/// The client's pipe to the server holds a megabyte, so that a 5 MB document crosses in a
/// few reads: the server asks the kernel for it when it starts. The pipe is reached through
/// `/proc` (a second reader that reads nothing), as the client's end is the writer's.
#[cfg(target_os = "linux")]
#[test]
fn the_server_widens_the_pipe_it_reads() {
    let p = Project::new(LINKS);
    let mut c = Client::start(p.dir.path(), UTF8);
    let uri = c.open(
        &p.path("a.http"),
        &format!("GET https://x.test\n{}\n", "#".repeat(2 << 20)),
    );
    let r = c.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert!(r.is_ok(), "the diagnostics of a 2 MB document: {r:?}");
    let stdin = std::fs::File::open(format!("/proc/{}/fd/0", c.pid())).expect("the server's stdin");
    let size = rustix::pipe::fcntl_getpipe_size(&stdin).expect("a pipe");
    assert!(size >= 1 << 20, "the server's stdin holds {size} bytes");
    c.shutdown();
}
