//! The language server, end to end: the built binary over stdio, driven by a real client
//! (`support/lsp.rs`). Every feature runs twice, with a UTF-16-only client (it offers no
//! position encodings) and with a UTF-8 client, on text with emoji, CJK and `é` before the
//! references on the same line. Expected ranges are computed from the fixture text in the
//! negotiated encoding, never written as numbers; expected edits to `vaultlink.json` are what
//! `vaultlink link`/`unlink` write on the same file.

use std::time::Duration;

use serde_json::{Value, json};
use vaultlink_e2e::Project;
use vaultlink_e2e::lsp::{
    self, Client, Options, file_uri, find, find_nth, fixture, range_contains, summary,
};

const UTF16_ONLY: &[&str] = &[];
const UTF8: &[&str] = &["utf-8", "utf-16"];

/// Each named function runs once with each client: `utf16::name` and `utf8::name`.
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
    negotiates_the_encoding_and_declares_the_capabilities,
    pushes_diagnostics_with_exact_ranges,
    diagnostics_match_the_command_line,
    pulled_diagnostics_equal_pushed_ones,
    incremental_changes_move_the_diagnostics,
    hover_on_references,
    hover_on_variables_never_shows_a_private_value,
    completion_of_vault_names,
    completion_after_braces_offers_vault_and_variables,
    completion_in_scripts_and_links_file,
    code_actions_link_and_unlink,
    code_action_add_link_creates_the_links_file,
    code_actions_move_literal_credentials_to_the_vault,
    commands_link_and_unlink_through_apply_edit,
    code_lens_counts_references_per_request,
    document_symbols,
    definition_goes_to_the_links_file,
    references_across_the_workspace,
    rename_across_the_workspace,
    links_file_changes_recheck_open_documents,
    crlf_and_lone_cr_line_ends,
);

const LINKS: &str = r##"//- /vaultlink.json
{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com"]
    },
    "db-password": {
      "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79"
    },
    "bad": { "link": "https://corp-kv.vault.azure.net/secrets/bad/123" },
    "evil": { "link": "https://evil.example.com/secrets/x" }
  }
}
"##;

const PAY: &str = r##"//- /api/pay.http
@host = api.stripe.com
### 😀 中文 é
# @name charge
POST https://{{host}}/v1/charges?note=é中😀&k={{vault:stripe-key}}
X-Missing: 😀中é {{vault:missing}}
X-Db: 😀中é {{vault:db-password}}

### evil
GET https://evil.test/x?é中😀={{vault:stripe-key}}
X-Bad: 😀 {{vault:}} {{nowhere}} {{vault:bad}} {{vault:evil}}
"##;

const OTHER: &str = r##"//- /api/other.http
GET https://api.stripe.com/v1/other
X-K: é中😀 {{vault:stripe-key}} {{vault:other-used}}
"##;

/// A collection: a script reads `stripe-key` after a `\u00e9` escape and emoji, and writes
/// the linked `db-password`.
const SHOP: &str = r##"//- /api/shop.postman_collection.json
{
  "info": { "name": "Shop", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
  "item": [
    {
      "name": "Orders",
      "item": [
        {
          "name": "List orders",
          "event": [ { "listen": "prerequest", "script": { "exec": [ "const note = '😀中é\u00e9'; pm.vault.get(\"stripe-key\");", "pm.vault.set(\"db-password\", note);" ] } } ],
          "request": { "method": "GET", "url": "https://api.stripe.com/v1/orders?q=é中😀&k={{vault:stripe-key}}", "header": [ { "key": "Authorization", "value": "Bearer 😀 {{vault:unlinked-one}}" } ] }
        }
      ]
    },
    {
      "name": "Pay",
      "request": { "method": "POST", "url": "https://api.stripe.com/v1/pay" }
    }
  ]
}
"##;

const ERROR: u64 = 1;
const WARNING: u64 = 2;

fn start(p: &Project, offer: &[&str], enc: &str) -> Client {
    let c = Client::start(p.dir.path(), offer);
    assert_eq!(c.encoding(), enc, "the negotiated position encoding");
    c
}

/// Opens a project file with its text on disk; returns its URI.
fn open(c: &mut Client, p: &Project, rel: &str) -> String {
    let text = p.read(rel);
    c.open(&p.path(rel), &text)
}

/// The byte range of `part` inside the first occurrence of `whole` in `text`.
fn inner(text: &str, whole: &str, part: &str) -> (usize, usize) {
    let (s, _) = find(text, whole);
    let (ps, pe) = find(whole, part);
    (s + ps, s + pe)
}

/// `(code, severity, range)` expectations, sorted as [`summary`] sorts.
fn expect(items: Vec<(&str, u64, Value)>) -> Vec<(String, u64, Value)> {
    let diags: Vec<Value> = items
        .into_iter()
        .map(|(c, s, r)| json!({ "code": c, "severity": s, "range": r }))
        .collect();
    summary(&diags)
}

fn message_of<'a>(diags: &'a [Value], code: &str) -> &'a str {
    diags
        .iter()
        .find(|d| d["code"] == code)
        .and_then(|d| d["message"].as_str())
        .unwrap_or_else(|| panic!("no `{code}` in {diags:#?}"))
}

/// The findings `vaultlink check --format json` reports for `rel`, as LSP diagnostics would
/// carry them in `enc`: `(code, severity, message, range)`.
fn cli_findings(p: &Project, rel: &str, enc: &str) -> Vec<(String, u64, String, Value)> {
    let run = p.run(&["check", "--offline", "--format", "json", rel]);
    let text = p.read(rel);
    let findings: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("check --format json: {e}\n{}{}", run.stdout, run.stderr));
    let at = |line: &Value, col: &Value| {
        let pos =
            json!({ "line": line.as_u64().unwrap() - 1, "character": col.as_u64().unwrap() - 1 });
        lsp::offset(&text, &pos, "utf-32")
    };
    let mut out: Vec<(String, u64, String, Value)> = findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = at(&f["line"], &f["column"]);
            let e = at(&f["endLine"], &f["endColumn"]);
            let severity = match f["severity"].as_str().unwrap() {
                "error" => 1,
                "warning" => 2,
                "information" => 3,
                _ => 4,
            };
            (
                f["code"].as_str().unwrap().to_string(),
                severity,
                f["message"].as_str().unwrap().to_string(),
                lsp::range(&text, s, e, enc),
            )
        })
        .collect();
    out.sort_by(|a, b| format!("{:?}", (&a.3, &a.0)).cmp(&format!("{:?}", (&b.3, &b.0))));
    out
}

fn full(diags: &[Value]) -> Vec<(String, u64, String, Value)> {
    let mut out: Vec<(String, u64, String, Value)> = diags
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["severity"].as_u64().unwrap_or(0),
                d["message"].as_str().unwrap_or_default().to_string(),
                d["range"].clone(),
            )
        })
        .collect();
    out.sort_by(|a, b| format!("{:?}", (&a.3, &a.0)).cmp(&format!("{:?}", (&b.3, &b.0))));
    out
}

/// `vaultlink ARGS` run in a fresh copy of the fixture: the links file it leaves. The
/// language server's edits to `vaultlink.json` must leave the same text.
fn cli_links_after(fixture_text: &str, args: &[&str]) -> String {
    let p = Project::new(fixture_text);
    let run = p.run(args);
    assert_eq!(
        run.code, 0,
        "vaultlink {args:?}: {}{}",
        run.stdout, run.stderr
    );
    p.read("vaultlink.json")
}

// ---------------------------------------------------------------------------------------
// Lifecycle

fn negotiates_the_encoding_and_declares_the_capabilities(offer: &[&str], enc: &str) {
    let p = Project::new(LINKS);
    let c = start(&p, offer, enc);
    let caps = &c.init_result()["capabilities"];
    assert_eq!(caps["positionEncoding"], enc);
    let sync = &caps["textDocumentSync"];
    let change = if sync.is_number() {
        sync.clone()
    } else {
        sync["change"].clone()
    };
    assert_eq!(change, 2, "incremental sync: {sync}");
    if sync.is_object() {
        assert_eq!(sync["openClose"], true, "{sync}");
    }
    let triggers: Vec<&str> = caps["completionProvider"]["triggerCharacters"]
        .as_array()
        .expect("completion trigger characters")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for t in ["{", ":", "\""] {
        assert!(triggers.contains(&t), "trigger `{t}` in {triggers:?}");
    }
    let kinds = caps["codeActionProvider"]["codeActionKinds"]
        .as_array()
        .expect("code action kinds");
    for k in ["quickfix", "refactor.rewrite"] {
        assert!(
            kinds.iter().any(|x| x == k),
            "code action kind {k} in {kinds:?}"
        );
    }
    for cap in [
        "hoverProvider",
        "codeLensProvider",
        "documentSymbolProvider",
        "definitionProvider",
        "referencesProvider",
        "renameProvider",
        "diagnosticProvider",
    ] {
        let v = &caps[cap];
        assert!(!v.is_null() && *v != false, "{cap} is declared: {caps:#}");
    }
    let commands = caps["executeCommandProvider"]["commands"]
        .as_array()
        .expect("commands");
    for cmd in ["vaultlink.linkSecret", "vaultlink.unlinkSecret"] {
        assert!(commands.iter().any(|x| x == cmd), "{cmd} in {commands:?}");
    }
    c.shutdown();
}

#[test]
fn a_client_offering_only_utf16_gets_utf16() {
    let p = Project::new(LINKS);
    let c = Client::start(p.dir.path(), &["utf-16"]);
    assert_eq!(c.encoding(), "utf-16");
    c.shutdown();
    // UTF-8 is preferred whichever order the client lists it in.
    let c = Client::start(p.dir.path(), &["utf-16", "utf-8"]);
    assert_eq!(c.encoding(), "utf-8");
    c.shutdown();
}

#[test]
fn the_stdio_flag_starts_the_server_too() {
    let p = Project::new(&[LINKS, PAY].concat());
    let mut c = Client::start_with(
        p.dir.path(),
        Options {
            args: &["--stdio"],
            ..Options::default()
        },
    );
    let uri = open(&mut c, &p, "api/pay.http");
    let diags = c.wait_diagnostics(&uri);
    assert!(
        diags.iter().any(|d| d["code"] == "unlinked-secret"),
        "{diags:#?}"
    );
    c.shutdown();
}

#[test]
fn reports_progress_while_indexing_and_registers_file_watchers() {
    let p = Project::new(&[LINKS, PAY, OTHER, SHOP].concat());
    let c = Client::start(p.dir.path(), UTF8);
    let requests = c.server_requests();
    let create = requests
        .iter()
        .find(|r| r["method"] == "window/workDoneProgress/create")
        .expect("a progress token is created");
    let token = create["params"]["token"].clone();
    let progress = c.notifications("$/progress");
    let ours: Vec<&Value> = progress.iter().filter(|p| p["token"] == token).collect();
    assert!(ours.len() >= 2, "begin and end for {token}: {progress:#?}");
    assert_eq!(ours[0]["value"]["kind"], "begin", "{ours:#?}");
    assert!(
        ours[0]["value"]["title"]
            .as_str()
            .is_some_and(|t| !t.is_empty()),
        "a title: {ours:#?}"
    );
    assert_eq!(ours.last().unwrap()["value"]["kind"], "end", "{ours:#?}");
    for mid in &ours[1..ours.len() - 1] {
        assert_eq!(mid["value"]["kind"], "report", "{ours:#?}");
    }
    // The create request came before the first progress notification.
    let transcript = c.transcript();
    let pos = |needle: &str| {
        transcript
            .iter()
            .position(|(_, m)| m.contains(needle))
            .unwrap_or(usize::MAX)
    };
    assert!(pos("window/workDoneProgress/create") < pos("\"$/progress\""));

    // File events are registered dynamically, for the links file at least.
    let reg = requests
        .iter()
        .find(|r| r["method"] == "client/registerCapability")
        .expect("client/registerCapability");
    let registrations = reg["params"]["registrations"].as_array().unwrap();
    let watched = registrations
        .iter()
        .find(|r| r["method"] == "workspace/didChangeWatchedFiles")
        .expect("a didChangeWatchedFiles registration");
    let globs = watched["registerOptions"]["watchers"].to_string();
    assert!(globs.contains("vaultlink.json"), "{globs}");
    assert!(
        globs.contains("env.json"),
        "environment files are watched: {globs}"
    );
    c.shutdown();
}

// ---------------------------------------------------------------------------------------
// Diagnostics

fn pushes_diagnostics_with_exact_ranges(offer: &[&str], enc: &str) {
    let p = Project::new(&[LINKS, PAY, SHOP].concat());
    let mut c = start(&p, offer, enc);

    let uri = open(&mut c, &p, "api/pay.http");
    let diags = c.wait_diagnostics(&uri);
    let t = c.text(&uri).to_string();
    let r = |needle: &str, nth: usize| {
        let (s, e) = find_nth(&t, needle, nth);
        lsp::range(&t, s, e, enc)
    };
    assert_eq!(
        summary(&diags),
        expect(vec![
            ("unlinked-secret", WARNING, r("{{vault:missing}}", 0)),
            ("domain-not-allowed", ERROR, r("{{vault:stripe-key}}", 1)),
            ("invalid-reference", ERROR, r("{{vault:}}", 0)),
            ("undefined-variable", WARNING, r("{{nowhere}}", 0)),
            ("invalid-link", ERROR, r("{{vault:bad}}", 0)),
            ("untrusted-host", ERROR, r("{{vault:evil}}", 0)),
        ]),
        "{diags:#?}"
    );
    for d in &diags {
        assert_eq!(d["source"], "vaultlink", "{d}");
    }
    assert!(message_of(&diags, "unlinked-secret").contains("missing"));
    assert!(message_of(&diags, "domain-not-allowed").contains("evil.test"));
    assert!(message_of(&diags, "undefined-variable").contains("nowhere"));
    assert!(message_of(&diags, "invalid-link").contains("bad"));
    assert!(message_of(&diags, "untrusted-host").contains("evil.example.com"));

    // A collection: script names map through JSON escapes to the source.
    let uri = open(&mut c, &p, "api/shop.postman_collection.json");
    let diags = c.wait_diagnostics(&uri);
    let t = c.text(&uri).to_string();
    let get = inner(&t, r#"pm.vault.get(\"stripe-key\")"#, "stripe-key");
    let set = inner(&t, r#"pm.vault.set(\"db-password\""#, "db-password");
    let unlinked = find(&t, "{{vault:unlinked-one}}");
    let rr = |(s, e): (usize, usize)| lsp::range(&t, s, e, enc);
    assert_eq!(
        summary(&diags),
        expect(vec![
            ("script-access-disabled", WARNING, rr(get)),
            ("script-access-disabled", WARNING, rr(set)),
            ("linked-secret-write", ERROR, rr(set)),
            ("unlinked-secret", WARNING, rr(unlinked)),
        ]),
        "{diags:#?}"
    );

    // The links file reports its own broken links, at the link values.
    let uri = open(&mut c, &p, "vaultlink.json");
    let diags = c.wait_diagnostics(&uri);
    let t = c.text(&uri).to_string();
    let r = |needle: &str| {
        let (s, e) = find(&t, needle);
        lsp::range(&t, s, e, enc)
    };
    assert_eq!(
        summary(&diags),
        expect(vec![
            (
                "invalid-link",
                ERROR,
                r(r#""https://corp-kv.vault.azure.net/secrets/bad/123""#)
            ),
            (
                "untrusted-host",
                ERROR,
                r(r#""https://evil.example.com/secrets/x""#)
            ),
        ]),
        "{diags:#?}"
    );
    c.shutdown();
}

fn diagnostics_match_the_command_line(offer: &[&str], enc: &str) {
    let env = r##"//- /api/http-client.env.json
{ "dev": { "é中😀": "x", "host": "{{vault:stripe-key}}", "broken": "{{vault:}}" } }
//- /api/dev.postman_environment.json
{ "name": "dev", "values": [ { "key": "k", "value": "😀 {{vault:env-unlinked}}", "enabled": true } ] }
"##;
    let p = Project::new(&[LINKS, PAY, SHOP, env].concat());
    let mut c = start(&p, offer, enc);
    for rel in [
        "api/pay.http",
        "api/shop.postman_collection.json",
        "api/http-client.env.json",
        "api/dev.postman_environment.json",
        "vaultlink.json",
    ] {
        let uri = open(&mut c, &p, rel);
        let diags = c.wait_diagnostics(&uri);
        assert_eq!(
            full(&diags),
            cli_findings(&p, rel, enc),
            "{rel}: the editor and `vaultlink check` agree"
        );
    }
    c.shutdown();
}

fn pulled_diagnostics_equal_pushed_ones(offer: &[&str], enc: &str) {
    let p = Project::new(&[LINKS, PAY].concat());
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/pay.http");
    let pushed = c.wait_diagnostics(&uri);
    let report = c.ok(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(report["kind"], "full", "{report}");
    let pulled = report["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(full(&pulled), full(&pushed));
    assert_eq!(pulled.len(), 6);
    c.shutdown();
}

#[test]
fn a_client_that_pulls_gets_diagnostics_on_request() {
    let p = Project::new(&[LINKS, PAY].concat());
    let mut c = Client::start_with(
        p.dir.path(),
        Options {
            encodings: UTF8,
            pull_diagnostics: true,
            ..Options::default()
        },
    );
    let uri = open(&mut c, &p, "api/pay.http");
    let t = c.text(&uri).to_string();
    let report = c.ok(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(report["kind"], "full", "{report}");
    let items = report["items"].as_array().cloned().unwrap_or_default();
    let (s, e) = find(&t, "{{vault:missing}}");
    let unlinked: Vec<&Value> = items
        .iter()
        .filter(|d| d["code"] == "unlinked-secret")
        .collect();
    assert_eq!(unlinked.len(), 1, "{items:#?}");
    assert_eq!(unlinked[0]["range"], lsp::range(&t, s, e, "utf-8"));
    assert_eq!(items.len(), 6, "{items:#?}");

    // After an edit, the next pull sees the new text.
    let v = c.edit(&uri, s, e, "");
    assert_eq!(v, 2);
    let report = c.ok(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    let items = report["items"].as_array().cloned().unwrap_or_default();
    assert!(
        items.iter().all(|d| d["code"] != "unlinked-secret"),
        "{items:#?}"
    );
    assert_eq!(items.len(), 5, "{items:#?}");
    c.shutdown();
}

#[test]
fn a_pull_that_names_the_last_result_is_answered_unchanged() {
    let p = Project::new(&[LINKS, PAY].concat());
    let mut c = Client::start_with(
        p.dir.path(),
        Options {
            encodings: UTF8,
            pull_diagnostics: true,
            ..Options::default()
        },
    );
    let uri = open(&mut c, &p, "api/pay.http");
    let pull = |c: &mut Client, previous: &Value| {
        let mut params = json!({ "textDocument": { "uri": uri } });
        if !previous.is_null() {
            params["previousResultId"] = previous.clone();
        }
        c.ok("textDocument/diagnostic", params)
    };
    let first = pull(&mut c, &Value::Null);
    assert_eq!(first["kind"], "full", "{first}");
    let id = first["resultId"].clone();
    assert!(id.is_string(), "{first}");

    // Nothing changed: the client keeps what it has.
    let again = pull(&mut c, &id);
    assert_eq!(again, json!({ "kind": "unchanged", "resultId": id }));

    // A comment at the end changes the text, not the diagnostics.
    let end = c.text(&uri).len();
    c.edit(&uri, end, end, "\n# a note\n");
    let after_note = pull(&mut c, &id);
    assert_eq!(after_note, json!({ "kind": "unchanged", "resultId": id }));

    // Without the unlinked reference they change: a full report with a new id.
    let (s, e) = find(c.text(&uri), "{{vault:missing}}");
    c.edit(&uri, s, e, "");
    let changed = pull(&mut c, &id);
    assert_eq!(changed["kind"], "full", "{changed}");
    assert_ne!(changed["resultId"], id);
    let items = changed["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 5, "{items:#?}");
    assert_eq!(first["items"].as_array().map(Vec::len), Some(6), "{first}");
    c.shutdown();
}

/// Neovim 0.11 pulls diagnostics but cannot be asked to pull again: it is told of no pull
/// capability and gets diagnostics pushed, so that a change to vaultlink.json shows in the
/// other open files at once.
#[test]
fn a_client_that_pulls_without_refresh_gets_diagnostics_pushed() {
    let p = Project::new(&[LINKS, PAY].concat());
    let mut c = Client::start_with(
        p.dir.path(),
        Options {
            encodings: UTF8,
            pull_diagnostics: true,
            diagnostic_refresh: false,
            ..Options::default()
        },
    );
    let caps = &c.init_result()["capabilities"];
    assert!(
        caps["diagnosticProvider"].is_null(),
        "no pull capability for a client that cannot refresh: {caps:#}"
    );
    let uri = open(&mut c, &p, "api/pay.http");
    c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "unlinked-secret"))
    });
    let luri = open(&mut c, &p, "vaultlink.json");
    let lt = c.text(&luri).to_string();
    let (s, _) = find(&lt, "\"stripe-key\":");
    c.edit(
        &luri,
        s,
        s,
        "\"missing\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/missing\" }, ",
    );
    c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| !d.is_empty() && d.iter().all(|d| d["code"] != "unlinked-secret"))
    });
    c.shutdown();
}

fn incremental_changes_move_the_diagnostics(offer: &[&str], enc: &str) {
    let p = Project::new(&[LINKS, PAY].concat());
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/pay.http");
    c.wait_diagnostics(&uri);

    let check = |c: &mut Client, version: i32, expected: &[(&str, &str)]| {
        let diags = c.wait_diagnostics_version(&uri, version);
        let t = c.text(&uri).to_string();
        let want: Vec<(&str, u64, Value)> = expected
            .iter()
            .map(|(code, needle)| {
                let (s, e) = find(&t, needle);
                let sev = if matches!(*code, "unlinked-secret" | "undefined-variable") {
                    WARNING
                } else {
                    ERROR
                };
                (*code, sev, lsp::range(&t, s, e, enc))
            })
            .collect();
        assert_eq!(
            summary(&diags),
            expect(want),
            "version {version}:\n{t}\n{diags:#?}"
        );
    };

    // Insert an emoji and é right before a reference.
    let (s, _) = find(c.text(&uri), "{{vault:missing}}");
    let v = c.edit(&uri, s, s, "🎉é");
    let diags = c.wait_diagnostics_version(&uri, v);
    let t = c.text(&uri).to_string();
    let (ms, me) = find(&t, "{{vault:missing}}");
    let got = summary(&diags);
    assert!(
        got.contains(&(
            "unlinked-secret".to_string(),
            WARNING,
            lsp::range(&t, ms, me, enc)
        )),
        "{t}\n{diags:#?}"
    );
    assert_eq!(got.len(), 6, "{diags:#?}");

    // Replace the emoji and CJK before `{{vault:db-password}}` (a range that spans a
    // surrogate pair in UTF-16) with nothing, and the `missing` reference with a linked one
    // in the same notification; the second range is computed on the text after the first.
    let t1 = c.text(&uri).to_string();
    let (a, b) = find(&t1, "😀中é {{vault:db-password}}");
    let b = b - "{{vault:db-password}}".len();
    let first = json!({ "range": lsp::range(&t1, a, b, enc), "text": "" });
    let mut t2 = t1.clone();
    t2.replace_range(a..b, "");
    let (ms, me) = find(&t2, "{{vault:missing}}");
    let second = json!({ "range": lsp::range(&t2, ms, me, enc), "text": "{{vault:db-password}}" });
    c.change(&uri, v + 1, json!([first, second]));
    let mut t3 = t2.clone();
    t3.replace_range(ms..me, "{{vault:db-password}}");
    assert_eq!(c.text(&uri), t3, "the client applied both changes");
    let diags = c.wait_diagnostics_version(&uri, v + 1);
    let got = summary(&diags);
    assert!(
        got.iter().all(|(code, _, _)| code != "unlinked-secret"),
        "{t3}\n{diags:#?}"
    );
    assert_eq!(got.len(), 5, "{diags:#?}");
    let t = c.text(&uri).to_string();
    let (ns, ne) = find(&t, "{{nowhere}}");
    assert!(
        got.contains(&(
            "undefined-variable".to_string(),
            WARNING,
            lsp::range(&t, ns, ne, enc)
        )),
        "{diags:#?}"
    );

    // A change without a range replaces the whole text.
    let whole = "GET https://api.stripe.com/x\nX: 中😀é {{vault:whole}}\n";
    c.change(&uri, v + 2, json!([{ "text": whole }]));
    check(&mut c, v + 2, &[("unlinked-secret", "{{vault:whole}}")]);

    // Typing a reference one character at a time, as fast as the pipe takes it: the
    // diagnostics for the last version are those of the final text.
    let typed = " {{vault:typed-name}}";
    let mut version = v + 2;
    for ch in typed.chars() {
        let t = c.text(&uri).to_string();
        let end =
            find(&t, "{{vault:whole}}").1 + t[find(&t, "{{vault:whole}}").1..].find('\n').unwrap();
        let mut buf = [0; 4];
        version = c.edit(&uri, end, end, ch.encode_utf8(&mut buf));
    }
    check(
        &mut c,
        version,
        &[
            ("unlinked-secret", "{{vault:whole}}"),
            ("unlinked-secret", "{{vault:typed-name}}"),
        ],
    );
    let during_burst = c
        .publications(&uri)
        .iter()
        .filter(|p| p["version"].as_i64().is_some_and(|pv| pv > (v + 2) as i64))
        .count();
    // A burst is coalesced (the issue: "a burst of keystrokes costs one analysis"); a few
    // publications are allowed, one per keystroke is not.
    assert!(
        during_burst <= 10,
        "{} keystrokes sent back to back gave {during_burst} publications",
        typed.chars().count()
    );
    // Every publication carries the version it was computed for, and none is for a version
    // the client never had.
    for p in c.publications(&uri) {
        let pv = p["version"].as_i64().unwrap_or(-1);
        assert!((1..=version as i64).contains(&pv), "{p}");
    }
    c.shutdown();
}

#[test]
fn a_change_with_a_stale_version_is_ignored() {
    // The contract asks for versions to be checked; an editor never sends an older version,
    // so ignoring it (and logging) is what a user would expect.
    let p = Project::new(&[LINKS, "//- /a.http\nGET https://x.test\nA: {{vault:one}}\n"].concat());
    let mut c = Client::start(p.dir.path(), UTF8);
    let uri = open(&mut c, &p, "a.http");
    c.wait_diagnostics(&uri);
    let t = c.text(&uri).to_string();
    let (s, e) = find(&t, "one");
    let v2 = c.edit(&uri, s, e, "two");
    c.wait_diagnostics_version(&uri, v2);
    // Version 2 again, with other text: ignored.
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "text": "GET https://x.test\nA: {{vault:stale}}\n" }]
        }),
    );
    let t = c.text(&uri).to_string();
    let (s, e) = find(&t, "{{vault:two}}");
    let v3 = c.edit(&uri, e, e, " {{vault:three}}");
    let diags = c.wait_diagnostics_version(&uri, v3);
    let t = c.text(&uri).to_string();
    let (s3, e3) = find(&t, "{{vault:three}}");
    assert_eq!(
        summary(&diags),
        expect(vec![
            ("unlinked-secret", WARNING, lsp::range(&t, s, e, "utf-8")),
            ("unlinked-secret", WARNING, lsp::range(&t, s3, e3, "utf-8")),
        ]),
        "{diags:#?}"
    );
    c.shutdown();
}

#[test]
fn a_document_closed_while_checked_and_opened_again_gets_its_diagnostics() {
    // Open, edit and close back to back: the check of the document is still running (or
    // waiting for the burst to settle) when it closes, and ends finding it gone. The same
    // document opened again later must get its own diagnostics, not wait behind that check.
    let p = Project::new(&[LINKS, "//- /a.http\nGET https://x.test\nA: {{vault:one}}\n"].concat());
    let mut c = Client::start(p.dir.path(), UTF8);
    let path = p.dir.path().join("a.http");
    for (round, pause) in [0, 30, 60, 120].into_iter().enumerate() {
        let uri = c.open(&path, "GET https://x.test\nA: {{vault:first}}\n");
        let t = c.text(&uri).to_string();
        let (s, e) = find(&t, "first");
        c.edit(&uri, s, e, "edited");
        c.close(&uri);
        std::thread::sleep(Duration::from_millis(pause));
        let text = format!("GET https://x.test\nA: {{{{vault:again{round}}}}}\n");
        c.open(&path, &text);
        let (s, e) = find(&text, &format!("{{{{vault:again{round}}}}}"));
        let want = lsp::range(&text, s, e, "utf-8");
        c.wait_diagnostics_where(&uri, |d| {
            d["version"] == 1
                && d["diagnostics"]
                    .as_array()
                    .is_some_and(|a| a.len() == 1 && a[0]["range"] == want)
        });
        c.close(&uri);
    }
    c.shutdown();
}

// ---------------------------------------------------------------------------------------
// Hover

fn hover_markdown(h: &Value) -> String {
    assert_eq!(h["contents"]["kind"], "markdown", "Markdown hover: {h}");
    h["contents"]["value"].as_str().unwrap().to_string()
}

fn hover_on_references(offer: &[&str], enc: &str) {
    let p = Project::new(&[LINKS, PAY, SHOP].concat());
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/pay.http");
    let t = c.text(&uri).to_string();

    // A linked reference, hovered in the middle of its name, after emoji and CJK.
    let (s, e) = find(&t, "{{vault:stripe-key}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 12));
    let md = hover_markdown(&h);
    for word in [
        "stripe-key",
        "corp-kv",
        "latest",
        "https://corp-kv.vault.azure.net/secrets/stripe-key",
        "api.stripe.com",
    ] {
        assert!(md.contains(word), "`{word}` in the hover:\n{md}");
    }
    assert_eq!(h["range"], lsp::range(&t, s, e, enc), "{h}");
    // At the first brace too.
    let h2 = c.ok("textDocument/hover", c.at(&uri, s));
    assert_eq!(h2["range"], lsp::range(&t, s, e, enc), "{h2}");

    // A pinned version.
    let (s, e) = find(&t, "{{vault:db-password}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 9));
    let md = hover_markdown(&h);
    for word in ["db-password", "corp-kv", "4387e9f3d6e14c459867679a90fd0f79"] {
        assert!(md.contains(word), "`{word}` in the hover:\n{md}");
    }
    assert_eq!(h["range"], lsp::range(&t, s, e, enc));

    // An unlinked one says so.
    let (s, e) = find(&t, "{{vault:missing}}");
    let h = c.ok("textDocument/hover", c.at(&uri, e - 3));
    let md = hover_markdown(&h);
    assert!(md.contains("missing"), "{md}");
    assert!(md.to_lowercase().contains("not linked"), "{md}");
    assert_eq!(h["range"], lsp::range(&t, s, e, enc));

    // A broken link says what is wrong.
    let (s, _) = find(&t, "{{vault:evil}}");
    let md = hover_markdown(&c.ok("textDocument/hover", c.at(&uri, s + 9)));
    assert!(md.contains("evil.example.com"), "{md}");

    // Nothing on a header name.
    let (s, _) = find(&t, "X-Missing");
    assert_eq!(c.ok("textDocument/hover", c.at(&uri, s + 2)), Value::Null);

    // A script call: the range is the name inside the quotes, through the JSON escapes.
    let uri = open(&mut c, &p, "api/shop.postman_collection.json");
    let t = c.text(&uri).to_string();
    let (s, e) = inner(&t, r#"pm.vault.get(\"stripe-key\")"#, "stripe-key");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 3));
    let md = hover_markdown(&h);
    assert!(md.contains("stripe-key") && md.contains("corp-kv"), "{md}");
    assert_eq!(h["range"], lsp::range(&t, s, e, enc));
    c.shutdown();
}

fn hover_on_variables_never_shows_a_private_value(offer: &[&str], enc: &str) {
    const PLANTED: &str = "planted-s3cret-9f8e7d";
    let (p, files) = fixture(&format!(
        r##"//- /vaultlink.json
{{ "secrets": {{ "stripe-key": {{ "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" }} }} }}
//- /api/http-client.env.json
{{ "dev": {{ "host": "api.example.com", "apiKey": "{{{{vault:stripe-key}}}}" }} }}
//- /api/http-client.private.env.json
{{ "dev": {{ "token": "{PLANTED}" }} }}
//- /api/vars.http
GET https://{{{{host}}}}/v1/x
X-Token: 😀中é {{{{token}}}}
X-Key: é中😀 {{{{apiKey}}}}
X-New: 😀 {{{{$0
"##
    ));
    let mut c = Client::start_with(
        p.dir.path(),
        Options {
            encodings: offer,
            initialization_options: Some(json!({ "env": "dev" })),
            ..Options::default()
        },
    );
    assert_eq!(c.encoding(), enc);
    let text = files["api/vars.http"].text.clone();
    let uri = c.open(&p.path("api/vars.http"), &text);
    let diags = c.wait_diagnostics(&uri);
    for name in ["host", "token", "apiKey"] {
        assert!(
            diags.iter().all(|d| d["code"] != "undefined-variable"
                || !d["message"].as_str().unwrap_or_default().contains(name)),
            "`{name}` is defined in `dev`: {diags:#?}"
        );
    }

    let hover_range_ok = |h: &Value, whole: (usize, usize), name: (usize, usize)| {
        h["range"].is_null()
            || h["range"] == lsp::range(&text, whole.0, whole.1, enc)
            || h["range"] == lsp::range(&text, name.0, name.1, enc)
    };
    let (s, e) = find(&text, "{{host}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 3));
    let md = hover_markdown(&h);
    assert!(md.contains("api.example.com"), "{md}");
    assert!(
        md.contains("http-client.env.json"),
        "where it is defined: {md}"
    );
    assert!(hover_range_ok(&h, (s, e), (s + 2, e - 2)), "{h}");

    let (s, e) = find(&text, "{{token}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 4));
    let md = hover_markdown(&h);
    assert!(md.contains("token"), "{md}");
    assert!(md.contains("http-client.private.env.json"), "{md}");
    assert!(
        !md.contains(PLANTED),
        "a private value is never shown: {md}"
    );
    assert!(hover_range_ok(&h, (s, e), (s + 2, e - 2)), "{h}");

    let (s, _) = find(&text, "{{apiKey}}");
    let md = hover_markdown(&c.ok("textDocument/hover", c.at(&uri, s + 4)));
    assert!(md.contains("stripe-key"), "shown as the reference: {md}");

    // A variable from an environment file: definition goes to its key there.
    let (s, _) = find(&text, "{{host}}");
    let got = locations(&c.ok("textDocument/definition", c.at(&uri, s + 3)));
    let env_uri = file_uri(&p.path("api/http-client.env.json"));
    let env_text = p.read("api/http-client.env.json");
    let (ks, ke) = find(&env_text, "\"host\"");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, env_uri);
    assert!(
        [
            lsp::range(&env_text, ks, ke, enc),
            lsp::range(&env_text, ks + 1, ke - 1, enc)
        ]
        .contains(&got[0].1),
        "{got:?}"
    );

    // Completion of variables must not carry the value either.
    let cursor = files["api/vars.http"].cursor();
    let items = c.ok("textDocument/completion", c.at(&uri, cursor));
    assert!(
        completion_items(&items)
            .iter()
            .any(|i| i["label"] == "token"),
        "{items}"
    );

    c.shutdown_checked_for(PLANTED);
}

trait ShutdownChecked {
    fn shutdown_checked_for(self, planted: &str);
}

impl ShutdownChecked for Client {
    /// Shuts down, then checks that nothing the server sent holds `planted`.
    fn shutdown_checked_for(self, planted: &str) {
        let received = self.received_text();
        assert!(
            !received.contains(planted),
            "the server sent the private value `{planted}`:\n{}",
            self.dump()
        );
        self.shutdown();
    }
}

// ---------------------------------------------------------------------------------------
// Completion

fn completion_items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(_) => v["items"].as_array().cloned().unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// The text after accepting `item` at `cursor`, as an editor applies it.
fn accept(text: &str, cursor: usize, item: &Value, enc: &str) -> String {
    let mut edits = Vec::new();
    if let Some(te) = item.get("textEdit") {
        let range = te.get("range").or_else(|| te.get("replace")).unwrap();
        edits.push(json!({ "range": range, "newText": te["newText"] }));
    } else {
        let ins = item
            .get("insertText")
            .and_then(Value::as_str)
            .or_else(|| item["label"].as_str())
            .unwrap();
        let p = lsp::position(text, cursor, enc);
        edits.push(json!({ "range": { "start": p, "end": p }, "newText": ins }));
    }
    if let Some(more) = item["additionalTextEdits"].as_array() {
        edits.extend(more.iter().cloned());
    }
    lsp::apply_text_edits(text, &edits, enc)
}

fn line_at(text: &str, offset: usize) -> &str {
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    &text[start..end]
}

fn item<'a>(items: &'a [Value], label: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["label"] == label)
        .unwrap_or_else(|| panic!("no `{label}` among {items:#?}"))
}

fn completion_of_vault_names(offer: &[&str], enc: &str) {
    let (p, files) = fixture(
        &[
            LINKS,
            PAY,
            OTHER,
            "//- /api/c1.http\nGET https://api.stripe.com/x\nX-A: 😀中é {{vault:$0\n",
            "//- /api/c2.http\nGET https://api.stripe.com/x\nX-B: é中😀 {{vault:str$0}}\n",
        ]
        .concat(),
    );
    let mut c = start(&p, offer, enc);

    let m = &files["api/c1.http"];
    let uri = c.open(&p.path("api/c1.http"), &m.text);
    let result = c.ok("textDocument/completion", c.at(&uri, m.cursor()));
    let items = completion_items(&result);
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    // Linked names, and names used elsewhere in the workspace (files not open).
    for name in [
        "stripe-key",
        "db-password",
        "bad",
        "evil",
        "missing",
        "other-used",
    ] {
        assert!(labels.contains(&name), "`{name}` offered: {labels:?}");
    }
    let stripe = item(&items, "stripe-key");
    assert_eq!(
        stripe["detail"], "https://corp-kv.vault.azure.net/secrets/stripe-key",
        "the identifier as detail: {stripe}"
    );
    assert_eq!(
        item(&items, "db-password")["detail"],
        "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79"
    );
    let after = accept(&m.text, m.cursor(), stripe, enc);
    assert_eq!(
        line_at(&after, m.cursor()),
        "X-A: 😀中é {{vault:stripe-key}}",
        "the closing braces are added: {stripe}"
    );

    // With a partial name and the braces already there.
    let m = &files["api/c2.http"];
    let uri = c.open(&p.path("api/c2.http"), &m.text);
    let result = c.ok("textDocument/completion", c.at(&uri, m.cursor()));
    let items = completion_items(&result);
    let stripe = item(&items, "stripe-key");
    let after = accept(&m.text, m.cursor(), stripe, enc);
    assert_eq!(
        line_at(&after, m.cursor()),
        "X-B: é中😀 {{vault:stripe-key}}",
        "{stripe}"
    );

    // Nothing to complete on a header name.
    let t = m.text.clone();
    let (s, _) = find(&t, "X-B");
    let result = c.ok("textDocument/completion", c.at(&uri, s + 1));
    assert!(completion_items(&result).is_empty(), "{result}");
    c.shutdown();
}

fn completion_after_braces_offers_vault_and_variables(offer: &[&str], enc: &str) {
    let (p, files) = fixture(
        &[
            LINKS,
            "//- /api/c3.http\n@host = api.stripe.com\nGET https://{{host}}/x\nX-C: 😀中é {{$0\n",
        ]
        .concat(),
    );
    let mut c = start(&p, offer, enc);
    let m = &files["api/c3.http"];
    let uri = c.open(&p.path("api/c3.http"), &m.text);
    let result = c.ok("textDocument/completion", c.at(&uri, m.cursor()));
    let items = completion_items(&result);
    let labels: Vec<&str> = items.iter().filter_map(|i| i["label"].as_str()).collect();
    assert!(labels.contains(&"vault:"), "{labels:?}");
    assert!(labels.contains(&"host"), "{labels:?}");
    let after = accept(&m.text, m.cursor(), item(&items, "vault:"), enc);
    assert!(
        line_at(&after, m.cursor()).starts_with("X-C: 😀中é {{vault:"),
        "{after}"
    );
    let after = accept(&m.text, m.cursor(), item(&items, "host"), enc);
    assert!(
        line_at(&after, m.cursor()).starts_with("X-C: 😀中é {{host"),
        "{after}"
    );
    c.shutdown();
}

fn completion_in_scripts_and_links_file(offer: &[&str], enc: &str) {
    let (p, files) = fixture(&[
        r##"//- /vaultlink.json
{
  "secrets": {
    "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" },
    "new-one": { "link": "$0" }
  }
}
//- /api/s.postman_collection.json
{
  "info": { "name": "S", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
  "item": [ { "name": "A", "event": [ { "listen": "test", "script": { "exec": [ "const n = '😀中é\u00e9'; pm.vault.get(\"$0\");" ] } } ],
      "request": { "method": "GET", "url": "https://api.stripe.com" } } ]
}
"##,
    ]
    .concat());
    let mut c = start(&p, offer, enc);

    let m = &files["api/s.postman_collection.json"];
    let uri = c.open(&p.path("api/s.postman_collection.json"), &m.text);
    let result = c.ok("textDocument/completion", c.at(&uri, m.cursor()));
    let items = completion_items(&result);
    let stripe = item(&items, "stripe-key");
    assert_eq!(
        stripe["detail"],
        "https://corp-kv.vault.azure.net/secrets/stripe-key"
    );
    let after = accept(&m.text, m.cursor(), stripe, enc);
    assert!(
        line_at(&after, m.cursor())
            .contains(r#""const n = '😀中é\u00e9'; pm.vault.get(\"stripe-key\");""#),
        "{}",
        line_at(&after, m.cursor())
    );

    let m = &files["vaultlink.json"];
    let uri = c.open(&p.path("vaultlink.json"), &m.text);
    let result = c.ok("textDocument/completion", c.at(&uri, m.cursor()));
    let items = completion_items(&result);
    let labels: Vec<String> = items
        .iter()
        .map(|i| i["label"].as_str().unwrap_or_default().to_string())
        .collect();
    let link = items
        .iter()
        .find(|i| {
            i["label"]
                .as_str()
                .is_some_and(|l| l.contains("https://corp-kv.vault.azure.net/secrets/"))
        })
        .unwrap_or_else(|| panic!("the vault in use is offered: {labels:?}"));
    let after = accept(&m.text, m.cursor(), link, enc);
    assert!(
        line_at(&after, m.cursor())
            .starts_with(r#"    "new-one": { "link": "https://corp-kv.vault.azure.net/secrets/"#),
        "{after}"
    );
    c.shutdown();
}

// ---------------------------------------------------------------------------------------
// Code actions and commands

const ACT: &str = r##"//- /api/act.http
POST https://api.stripe.com/v1/charges
X-Token: 😀中é {{vault:api_token}}
X-Key: é中😀 {{vault:stripe-key}}
Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U

###
GET https://api.example.com/é中😀/items?api_key=sk_test_4eC39HqLyjWDarjtT1zdp7dc&page=2
"##;

/// The code actions at byte `at` of an open document, with the server's diagnostics there.
fn code_actions(c: &mut Client, uri: &str, at: usize, diags: &[Value]) -> Vec<Value> {
    let r = c.range(uri, at, at);
    let here: Vec<Value> = diags
        .iter()
        .filter(|d| range_contains(&d["range"], &r["start"]))
        .cloned()
        .collect();
    let v = c.ok(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": r,
            "context": { "diagnostics": here, "triggerKind": 1 }
        }),
    );
    v.as_array().cloned().unwrap_or_default()
}

fn titles(actions: &[Value]) -> Vec<String> {
    actions
        .iter()
        .map(|a| a["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn action<'a>(actions: &'a [Value], words: &[&str]) -> &'a Value {
    let found: Vec<&Value> = actions
        .iter()
        .filter(|a| {
            let t = a["title"].as_str().unwrap_or_default();
            words.iter().all(|w| t.contains(w))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one action titled with {words:?} among {:?}",
        titles(actions)
    );
    found[0]
}

fn code_actions_link_and_unlink(offer: &[&str], enc: &str) {
    let fx = [LINKS, ACT].concat();
    let p = Project::new(&fx);
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/act.http");
    let links_uri = file_uri(&p.path("vaultlink.json"));
    let original = p.read("vaultlink.json");
    let diags = c.wait_diagnostics(&uri);
    let t = c.text(&uri).to_string();

    // An unlinked reference: link it to the similar name in the vault already in use.
    let (s, e) = find(&t, "{{vault:api_token}}");
    let actions = code_actions(&mut c, &uri, s + 10, &diags);
    let link = action(&actions, &["Link `api_token`", "to"]);
    assert_eq!(link["kind"], "quickfix", "{link}");
    let expected_id = "https://corp-kv.vault.azure.net/secrets/api-token";
    assert!(
        link["title"].as_str().unwrap().contains(expected_id),
        "{}",
        link["title"]
    );
    let fixed = link["diagnostics"].as_array().cloned().unwrap_or_default();
    assert_eq!(fixed.len(), 1, "it fixes the unlinked-secret: {link}");
    assert_eq!(fixed[0]["code"], "unlinked-secret");
    assert_eq!(fixed[0]["range"], lsp::range(&t, s, e, enc));
    let after = c.texts_after(&link["edit"]);
    assert_eq!(after.keys().collect::<Vec<_>>(), vec![&links_uri], "{link}");
    assert_eq!(
        after[&links_uri],
        cli_links_after(&fx, &["link", "api_token", expected_id]),
        "the same edit as `vaultlink link`"
    );
    let quickfixes = actions.iter().filter(|a| {
        a["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("Link `api_token`"))
    });
    assert_eq!(quickfixes.count(), 1, "{:?}", titles(&actions));

    // Or add a skeleton entry, and show its `link`.
    let add = action(&actions, &["Add a link for `api_token`", "vaultlink.json"]);
    assert_eq!(add["kind"], "quickfix");
    let after = c.texts_after(&add["edit"]);
    let new_links = &after[&links_uri];
    let parsed: Value = serde_json::from_str(new_links)
        .unwrap_or_else(|e| panic!("valid JSON after the edit ({e}):\n{new_links}"));
    let was: Value = serde_json::from_str(&original).unwrap();
    let mut secrets = parsed["secrets"].as_object().unwrap().clone();
    let entry = secrets
        .remove("api_token")
        .expect("a new entry for api_token");
    assert!(entry.get("link").is_some_and(Value::is_string), "{entry}");
    assert_eq!(
        Value::Object(secrets),
        was["secrets"],
        "other links are untouched"
    );
    assert!(
        new_links.starts_with("{\n  \"secrets\": {\n    \"stripe-key\": {\n"),
        "formatting kept:\n{new_links}"
    );
    if let Some(cmd) = add.get("command").filter(|c| !c.is_null()) {
        // The cursor goes to the new `link` value: the client runs the command.
        let args = cmd["arguments"].clone();
        c.ok(
            "workspace/executeCommand",
            json!({ "command": cmd["command"], "arguments": args }),
        );
        let shown = c.shown_documents();
        let last = shown.last().expect("window/showDocument");
        assert_eq!(last["uri"], links_uri.as_str());
        let (ks, _) = find(new_links, "\"api_token\"");
        let (ls, _) = find(&new_links[ks..], "\"link\"");
        let link_line = lsp::position(new_links, ks + ls, enc)["line"].clone();
        assert_eq!(last["selection"]["start"]["line"], link_line, "{last}");
    } else {
        panic!("the added link is shown (a command on the action): {add}");
    }

    // A linked reference can be unlinked.
    let (s, _) = find(&t, "{{vault:stripe-key}}");
    let actions = code_actions(&mut c, &uri, s + 10, &diags);
    let unlink = action(&actions, &["Unlink `stripe-key`"]).clone();
    let after = c.texts_after(&unlink["edit"]);
    assert_eq!(
        after[&links_uri],
        cli_links_after(&fx, &["unlink", "stripe-key"]),
        "the same edit as `vaultlink unlink`"
    );
    assert!(
        actions
            .iter()
            .all(|a| !a["title"].as_str().unwrap_or_default().starts_with("Link ")),
        "no link fix for a linked name: {:?}",
        titles(&actions)
    );

    // Nothing to do on the request line.
    let actions = code_actions(&mut c, &uri, 2, &diags);
    assert!(actions.is_empty(), "{:?}", titles(&actions));
    c.shutdown();
    // Last, so that the edits above are checked whatever the kind: the brief lists "Unlink"
    // with the quick fixes (a client asking for `only: ["quickfix"]` should see it).
    assert_eq!(unlink["kind"], "quickfix", "{unlink}");
}

fn code_action_add_link_creates_the_links_file(offer: &[&str], enc: &str) {
    let p = Project::new("//- /api/x.http\nGET https://x.test\nA: 😀中é {{vault:fresh-name}}\n");
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/x.http");
    let diags = c.wait_diagnostics(&uri);
    let t = c.text(&uri).to_string();
    let (s, _) = find(&t, "{{vault:fresh-name}}");
    let actions = code_actions(&mut c, &uri, s + 9, &diags);
    let add = action(&actions, &["Add a link for `fresh-name`", "vaultlink.json"]);
    let links_uri = file_uri(&p.path("vaultlink.json"));
    let ops = add["edit"]["documentChanges"]
        .as_array()
        .unwrap_or_else(|| panic!("a file is created through documentChanges: {add}"));
    assert!(
        ops.iter()
            .any(|o| o["kind"] == "create" && o["uri"] == links_uri.as_str()),
        "creates {links_uri} at the workspace root: {add}"
    );
    let after = c.texts_after(&add["edit"]);
    let parsed: Value = serde_json::from_str(&after[&links_uri])
        .unwrap_or_else(|e| panic!("valid JSON ({e}):\n{}", after[&links_uri]));
    assert!(
        parsed["secrets"]["fresh-name"]["link"].is_string(),
        "{parsed}"
    );
    // Applied, the reference is no longer unlinked once the file exists.
    c.apply_to_disk(&add["edit"]);
    let path = p.path("vaultlink.json");
    assert!(path.is_file());
    c.shutdown();
}

fn code_actions_move_literal_credentials_to_the_vault(offer: &[&str], enc: &str) {
    let fx = [LINKS, ACT].concat();
    let p = Project::new(&fx);
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/act.http");
    let links_uri = file_uri(&p.path("vaultlink.json"));
    let diags = c.wait_diagnostics(&uri);
    let t = c.text(&uri).to_string();

    for (literal, header) in [
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "Authorization: Bearer ",
        ),
        ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "?api_key="),
    ] {
        let (s, e) = find(&t, literal);
        assert!(t[..s].ends_with(header));
        let actions = code_actions(&mut c, &uri, s + 5, &diags);
        let moved = action(&actions, &["Move to vault as `{{vault:"]);
        // A quick fix of the plaintext-secret finding on the literal.
        assert_eq!(moved["kind"], "quickfix", "{moved}");
        assert_eq!(
            moved["diagnostics"][0]["code"], "plaintext-secret",
            "{moved}"
        );
        let title = moved["title"].as_str().unwrap();
        let name = title
            .split("`{{vault:")
            .nth(1)
            .and_then(|r| r.split("}}`").next())
            .unwrap_or_else(|| panic!("a name in {title}"));
        assert!(
            !name.is_empty()
                && name.len() <= 127
                && name
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-'),
            "`{name}` is a name Key Vault accepts too"
        );
        let edits = lsp::edits_for(&moved["edit"], &uri);
        assert_eq!(edits.len(), 1, "{moved}");
        assert_eq!(
            edits[0]["range"],
            lsp::range(&t, s, e, enc),
            "the literal only"
        );
        assert_eq!(edits[0]["newText"], format!("{{{{vault:{name}}}}}"));
        let after = c.texts_after(&moved["edit"]);
        let links: Value = serde_json::from_str(&after[&links_uri])
            .unwrap_or_else(|err| panic!("valid JSON ({err}):\n{}", after[&links_uri]));
        assert!(
            links["secrets"][name].is_object(),
            "a link skeleton for `{name}`: {links}"
        );
        assert!(
            !after[&links_uri].contains(literal),
            "the secret itself does not go into vaultlink.json"
        );
    }
    c.shutdown();
}

/// A links file whose last entry follows emoji and CJK on its line, so that the edits'
/// ranges depend on the encoding.
const EMOJI_LINKS: &str = r##"//- /vaultlink.json
{
  "comment": "😀 中文 é", "secrets": { "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" } }
}
"##;

fn commands_link_and_unlink_through_apply_edit(offer: &[&str], enc: &str) {
    let fx = [
        EMOJI_LINKS,
        "//- /api/a.http\nGET https://x.test\nA: 😀 {{vault:new-secret}}\n",
    ]
    .concat();
    let p = Project::new(&fx);
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/a.http");
    let links_uri = file_uri(&p.path("vaultlink.json"));
    c.wait_diagnostics(&uri);

    let id = "https://corp-kv.vault.azure.net/secrets/new-secret";
    c.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.linkSecret",
                "arguments": [{ "name": "new-secret", "identifier": id, "uri": uri }] }),
    );
    let edit = c.wait_applied_edit(1);
    let after = c.texts_after(&edit);
    assert_eq!(after.keys().collect::<Vec<_>>(), vec![&links_uri], "{edit}");
    assert_eq!(
        after[&links_uri],
        cli_links_after(&fx, &["link", "new-secret", id]),
        "the same edit as `vaultlink link`"
    );

    c.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.unlinkSecret",
                "arguments": [{ "name": "stripe-key", "uri": uri }] }),
    );
    let edit = c.wait_applied_edit(2);
    let after = c.texts_after(&edit);
    assert_eq!(
        after[&links_uri],
        cli_links_after(&fx, &["unlink", "stripe-key"]),
        "the same edit as `vaultlink unlink`"
    );

    // Without a uri: the links file of the workspace.
    c.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.unlinkSecret", "arguments": [{ "name": "stripe-key" }] }),
    );
    let edit = c.wait_applied_edit(3);
    assert_eq!(
        c.texts_after(&edit)[&links_uri],
        cli_links_after(&fx, &["unlink", "stripe-key"])
    );

    // Refusals answer an error and change nothing.
    for args in [
        json!({ "name": "x", "identifier": "https://evil.example.com/secrets/x", "uri": uri }),
        json!({ "name": "x", "identifier": "not a url", "uri": uri }),
        json!({ "name": "bad name", "identifier": id, "uri": uri }),
        json!({ "identifier": id }),
    ] {
        let r = c.request(
            "workspace/executeCommand",
            json!({ "command": "vaultlink.linkSecret", "arguments": [args] }),
        );
        assert!(r.is_err(), "{args} is refused: {r:?}");
    }
    let r = c.request(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.unlinkSecret", "arguments": [{ "name": "never-linked", "uri": uri }] }),
    );
    assert!(r.is_err(), "unlinking what is not linked: {r:?}");
    assert_eq!(c.applied_edits().len(), 3, "no edit for a refused command");
    c.shutdown();
}

#[test]
fn link_command_creates_the_links_file_at_the_root() {
    let p = Project::new("//- /api/deep/a.http\nGET https://x.test\nA: {{vault:k}}\n");
    let mut c = Client::start(p.dir.path(), UTF8);
    let uri = open(&mut c, &p, "api/deep/a.http");
    let id = "https://corp-kv.vault.azure.net/secrets/k";
    c.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.linkSecret",
                "arguments": [{ "name": "k", "identifier": id, "uri": uri }] }),
    );
    let edit = c.wait_applied_edit(1);
    let links_uri = file_uri(&p.path("vaultlink.json"));
    let ops = edit["documentChanges"].as_array().expect("documentChanges");
    assert!(
        ops.iter()
            .any(|o| o["kind"] == "create" && o["uri"] == links_uri.as_str()),
        "{edit}"
    );
    let after = c.texts_after(&edit);
    let parsed: Value = serde_json::from_str(&after[&links_uri]).unwrap();
    assert_eq!(parsed["secrets"]["k"]["link"], id);
    // Applied like an editor would, the reference is linked once the disk says so.
    c.apply_to_disk(&edit);
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": links_uri, "type": 1 }] }),
    );
    let params = c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().all(|d| d["code"] != "unlinked-secret"))
    });
    assert_eq!(params["diagnostics"], json!([]));
    c.shutdown();
}

// ---------------------------------------------------------------------------------------
// Code lens, symbols

fn code_lens_counts_references_per_request(offer: &[&str], enc: &str) {
    let p = Project::new(
        &[
            LINKS,
            r##"//- /api/lens.http
### 😀 one
GET https://api.stripe.com/v1/a?é中😀={{vault:stripe-key}}
X-Missing: 中 {{vault:missing}}

### two
GET https://api.stripe.com/v1/b

### three
POST https://api.stripe.com/v1/c
X-A: 😀 {{vault:stripe-key}}
X-B: 😀 {{vault:db-password}}
"##,
        ]
        .concat(),
    );
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/lens.http");
    let lenses = c.ok(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    );
    let all = lenses.as_array().cloned().unwrap_or_default();
    let sends = all
        .iter()
        .filter(|l| l["command"]["command"] == "vaultlink.sendRequest")
        .count();
    assert_eq!(sends, 3, "a Send lens above every request: {all:?}");
    // The lenses that count references:
    let lenses: Vec<Value> = all
        .into_iter()
        .filter(|l| l["command"]["command"] != "vaultlink.sendRequest")
        .collect();
    assert_eq!(
        lenses.len(),
        2,
        "requests without references get none: {lenses:#?}"
    );
    let mut lenses = lenses;
    lenses.sort_by_key(|l| l["range"]["start"]["line"].as_u64());
    let title = |l: &Value| {
        l["command"]["title"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // The lens sits on the request line.
    assert_eq!(
        lenses[0]["range"]["start"],
        json!({ "line": 1, "character": 0 })
    );
    assert_eq!(lenses[0]["range"]["end"]["line"], 1);
    assert!(
        title(&lenses[0]).contains("1 linked") && title(&lenses[0]).contains("1 unlinked"),
        "{}",
        title(&lenses[0])
    );
    assert_eq!(
        lenses[1]["range"]["start"],
        json!({ "line": 8, "character": 0 })
    );
    assert_eq!(lenses[1]["range"]["end"]["line"], 8);
    assert!(
        title(&lenses[1]).contains("2 linked") && !title(&lenses[1]).contains("unlinked"),
        "{}",
        title(&lenses[1])
    );
    c.shutdown();
}

/// A document of many requests: its symbols, lenses and pulled diagnostics are many, and
/// the server writes them without building a JSON tree of them first. They arrive whole,
/// one of each per request, in order and on its lines, in the answer to their own request.
#[test]
fn many_symbols_lenses_and_diagnostics_arrive_whole() {
    const REQUESTS: u64 = 1500;
    let mut text = String::new();
    for n in 0..REQUESTS {
        text.push_str(&format!(
            "### items {n} é😀\nGET https://api.stripe.com/v1/items/{n}\nX-Key: {{{{vault:stripe-key}}}}\nX-New: {{{{vault:new-{n}}}}}\n\n"
        ));
    }
    let p = Project::new(&[LINKS, "//- /api/many.http\n", &text].concat());
    let mut c = start(&p, &["utf-16"], "utf-16");
    let uri = open(&mut c, &p, "api/many.http");
    let symbols = c.ok(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let symbols = symbols.as_array().expect("a list of symbols");
    assert_eq!(symbols.len() as u64, REQUESTS);
    for (n, s) in (0..).zip(symbols) {
        assert_eq!(s["name"], format!("items {n} é😀"));
        let (start, end) = (&s["range"]["start"]["line"], &s["range"]["end"]["line"]);
        assert!(
            start.as_u64() <= Some(5 * n + 1) && end.as_u64() >= Some(5 * n + 1),
            "request {n} is on line {}: {s}",
            5 * n + 1
        );
    }
    let lenses = c.ok(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    );
    let lenses = lenses.as_array().expect("a list of lenses");
    let lines = |send: bool| {
        lenses
            .iter()
            .filter(|l| (l["command"]["command"] == "vaultlink.sendRequest") == send)
            .map(|l| l["range"]["start"]["line"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    let request_lines: Vec<u64> = (0..REQUESTS).map(|n| 5 * n + 1).collect();
    assert_eq!(
        lines(true),
        request_lines,
        "a Send lens above every request"
    );
    assert_eq!(
        lines(false),
        request_lines,
        "and one that counts its secrets"
    );
    let report = c.ok(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(report["kind"], "full");
    assert!(report["resultId"].is_string(), "{:?}", report["resultId"]);
    let unlinked: Vec<(u64, String)> = report["items"]
        .as_array()
        .expect("the diagnostics")
        .iter()
        .filter(|d| d["code"] == "unlinked-secret")
        .map(|d| {
            let message = d["message"].as_str().unwrap();
            let name = message.split('`').nth(1).unwrap_or(message).to_string();
            (d["range"]["start"]["line"].as_u64().unwrap(), name)
        })
        .collect();
    let expected: Vec<(u64, String)> = (0..REQUESTS)
        .map(|n| (5 * n + 3, format!("new-{n}")))
        .collect();
    assert!(
        unlinked == expected,
        "one warning for each secret nobody linked: {} of {}, the first {:?}",
        unlinked.len(),
        expected.len(),
        unlinked.first()
    );
    // Nothing of how they travelled is left in what the editor got.
    assert!(!c.received_text().contains("vaultlink-result"));
    c.shutdown();
}

fn flatten_symbols(symbols: &[Value], depth: usize, out: &mut Vec<(usize, String, Value)>) {
    for s in symbols {
        out.push((depth, s["name"].as_str().unwrap().to_string(), s.clone()));
        if let Some(children) = s["children"].as_array() {
            flatten_symbols(children, depth + 1, out);
        }
    }
}

fn document_symbols(offer: &[&str], enc: &str) {
    let p = Project::new(
        &[
            LINKS,
            SHOP,
            r##"//- /api/sym.http
### 😀 first
# @name login
POST https://api.example.com/login

### Get 中文 orders
GET https://api.example.com/orders?q=é😀

###
GET https://api.example.com/health
"##,
        ]
        .concat(),
    );
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/sym.http");
    let t = c.text(&uri).to_string();
    let result = c.ok(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let symbols = result.as_array().cloned().unwrap_or_default();
    assert_eq!(symbols.len(), 3, "{symbols:#?}");
    assert_eq!(symbols[0]["name"], "login", "a `# @name` names the request");
    assert_eq!(
        symbols[1]["name"], "Get 中文 orders",
        "the `###` line names it"
    );
    let third = symbols[2]["name"].as_str().unwrap();
    assert!(
        third.contains("GET") && third.contains("/health"),
        "an unnamed request shows its method and target: {third}"
    );
    for (s, request_line) in symbols.iter().zip([
        "POST https://api.example.com/login",
        "GET https://api.example.com/orders?q=é😀",
        "GET https://api.example.com/health",
    ]) {
        let (a, b) = find(&t, request_line);
        let line = lsp::position(&t, a, enc)["line"].clone();
        assert!(
            range_contains(&s["range"], &lsp::position(&t, a, enc))
                && range_contains(&s["range"], &lsp::position(&t, b, enc)),
            "the symbol's range holds its request line `{request_line}`: {s}"
        );
        assert!(
            range_contains(&s["range"], &s["selectionRange"]["start"])
                && range_contains(&s["range"], &s["selectionRange"]["end"]),
            "selection inside the range: {s}"
        );
        let _ = line;
        assert!(s["kind"].as_u64().is_some());
    }
    // Requests do not overlap.
    for w in symbols.windows(2) {
        let end = &w[0]["range"]["end"];
        let start = &w[1]["range"]["start"];
        assert!(
            (end["line"].as_u64(), end["character"].as_u64())
                <= (start["line"].as_u64(), start["character"].as_u64()),
            "{symbols:#?}"
        );
    }
    // The request line with CJK and emoji ends where the text says, in the encoding.
    let (_, b) = find(&t, "GET https://api.example.com/orders?q=é😀");
    assert!(range_contains(
        &symbols[1]["range"],
        &lsp::position(&t, b, enc)
    ));

    // A collection: folders hold their items.
    let uri = open(&mut c, &p, "api/shop.postman_collection.json");
    let t = c.text(&uri).to_string();
    let result = c.ok(
        "textDocument/documentSymbol",
        json!({ "textDocument": { "uri": uri } }),
    );
    let mut flat = Vec::new();
    flatten_symbols(result.as_array().unwrap(), 0, &mut flat);
    let names: Vec<(usize, &str)> = flat.iter().map(|(d, n, _)| (*d, n.as_str())).collect();
    let base = names
        .iter()
        .find(|(_, n)| *n == "Orders")
        .expect("the folder")
        .0;
    assert_eq!(
        names
            .iter()
            .filter(|(_, n)| ["Orders", "List orders", "Pay"].contains(n))
            .cloned()
            .collect::<Vec<_>>(),
        vec![(base, "Orders"), (base + 1, "List orders"), (base, "Pay")],
        "{result:#}"
    );
    let (_, _, list) = flat.iter().find(|(_, n, _)| n == "List orders").unwrap();
    let (a, _) = find(&t, "\"List orders\"");
    assert_eq!(
        list["selectionRange"]["start"]["line"],
        lsp::position(&t, a, enc)["line"],
        "{list}"
    );
    c.shutdown();
}

// ---------------------------------------------------------------------------------------
// Navigation

const NAV: &str = r##"//- /vaultlink.json
{
  "comment": "😀 中文 é", "secrets": { "stripe-key": { "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" },
    "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" } }
}
//- /api/nav.http
@host = api.stripe.com
GET https://{{host}}/v1/x?é中😀={{vault:stripe-key}}
X-Db: 😀 {{vault:db-password}} {{vault:missing}} {{vault:stripe-key}}
//- /api/other.http
GET https://api.stripe.com/v1/y
X-K: é中😀 {{vault:stripe-key}}
//- /api/s.postman_collection.json
{
  "info": { "name": "S", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
  "item": [ { "name": "A", "event": [ { "listen": "test", "script": { "exec": [ "const n = '😀中é\u00e9'; pm.vault.get(\"stripe-key\");" ] } } ],
      "request": { "method": "GET", "url": "https://api.stripe.com/?k={{vault:stripe-key}}" } } ]
}
"##;

/// A definition answer as `(uri, range)`s, whichever of its shapes the server chose.
fn locations(v: &Value) -> Vec<(String, Value)> {
    let one = |l: &Value| {
        if l.get("targetUri").is_some() {
            (
                l["targetUri"].as_str().unwrap().to_string(),
                l["targetSelectionRange"].clone(),
            )
        } else {
            (l["uri"].as_str().unwrap().to_string(), l["range"].clone())
        }
    };
    match v {
        Value::Null => Vec::new(),
        Value::Array(a) => a.iter().map(one).collect(),
        other => vec![one(other)],
    }
}

fn definition_goes_to_the_links_file(offer: &[&str], enc: &str) {
    let p = Project::new(NAV);
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/nav.http");
    let t = c.text(&uri).to_string();
    let links_uri = file_uri(&p.path("vaultlink.json"));
    let links = p.read("vaultlink.json");
    // The key, with or without its quotes (the contract does not say which).
    let key = |name: &str| {
        let (s, e) = find(&links, &format!("\"{name}\":"));
        let e = e - 1;
        [
            lsp::range(&links, s, e, enc),
            lsp::range(&links, s + 1, e - 1, enc),
        ]
    };

    let (s, _) = find(&t, "{{vault:stripe-key}}");
    let got = locations(&c.ok("textDocument/definition", c.at(&uri, s + 10)));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, links_uri);
    assert!(
        key("stripe-key").contains(&got[0].1),
        "{got:?} vs {:?}",
        key("stripe-key")
    );

    let (s, _) = find(&t, "{{vault:db-password}}");
    let got = locations(&c.ok("textDocument/definition", c.at(&uri, s + 10)));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(key("db-password").contains(&got[0].1), "{got:?}");

    // An unlinked name has nowhere to go.
    let (s, _) = find(&t, "{{vault:missing}}");
    let got = locations(&c.ok("textDocument/definition", c.at(&uri, s + 10)));
    assert!(got.is_empty(), "{got:?}");

    // A variable goes to its definition in the file.
    let (s, _) = find(&t, "{{host}}");
    let got = locations(&c.ok("textDocument/definition", c.at(&uri, s + 3)));
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].0, uri);
    let (hs, he) = find(&t, "@host = api.stripe.com");
    let accepted = [
        lsp::range(&t, hs + 1, hs + 5, enc),
        lsp::range(&t, hs, hs + 5, enc),
        lsp::range(&t, hs, he, enc),
    ];
    assert!(accepted.contains(&got[0].1), "{got:?} in {accepted:?}");

    // From a script call in a collection too.
    let curi = open(&mut c, &p, "api/s.postman_collection.json");
    let ct = c.text(&curi).to_string();
    let (s, _) = inner(&ct, r#"pm.vault.get(\"stripe-key\")"#, "stripe-key");
    let got = locations(&c.ok("textDocument/definition", c.at(&curi, s + 2)));
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(key("stripe-key").contains(&got[0].1), "{got:?}");
    c.shutdown();
}

/// Every use of `stripe-key` in the NAV workspace, as `(uri, range of the name)`, sorted.
fn stripe_key_uses(p: &Project, enc: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for (rel, needle, skip) in [
        ("api/nav.http", "{{vault:stripe-key}}", 8),
        ("api/other.http", "{{vault:stripe-key}}", 8),
        ("api/s.postman_collection.json", "{{vault:stripe-key}}", 8),
        (
            "api/s.postman_collection.json",
            r#"pm.vault.get(\"stripe-key\")"#,
            15,
        ),
        ("vaultlink.json", "\"stripe-key\":", 1),
    ] {
        let t = p.read(rel);
        for (s, _) in t.match_indices(needle) {
            let s = s + skip;
            out.push((
                file_uri(&p.path(rel)),
                lsp::range(&t, s, s + "stripe-key".len(), enc),
            ));
        }
    }
    out.sort_by_key(|(u, r)| format!("{u} {r}"));
    out
}

fn references_across_the_workspace(offer: &[&str], enc: &str) {
    let p = Project::new(NAV);
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/nav.http");
    let t = c.text(&uri).to_string();
    let expected = stripe_key_uses(&p, enc);
    assert_eq!(expected.len(), 6);

    let mut params = c.at(&uri, find(&t, "{{vault:stripe-key}}").0 + 10);
    params["context"] = json!({ "includeDeclaration": true });
    let mut got = locations(&c.ok("textDocument/references", params));
    got.sort_by_key(|(u, r)| format!("{u} {r}"));
    assert_eq!(got, expected);

    // From the key in the links file, open in the editor.
    let luri = open(&mut c, &p, "vaultlink.json");
    let lt = c.text(&luri).to_string();
    let mut params = c.at(&luri, find(&lt, "\"stripe-key\"").0 + 4);
    params["context"] = json!({ "includeDeclaration": true });
    let mut got = locations(&c.ok("textDocument/references", params));
    got.sort_by_key(|(u, r)| format!("{u} {r}"));
    assert_eq!(got, expected);

    // Nothing on text that is no reference.
    let mut params = c.at(&uri, find(&t, "X-Db").0 + 1);
    params["context"] = json!({ "includeDeclaration": true });
    let got = locations(&c.ok("textDocument/references", params));
    assert!(got.is_empty(), "{got:?}");
    c.shutdown();
}

fn rename_across_the_workspace(offer: &[&str], enc: &str) {
    let p = Project::new(NAV);
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/nav.http");
    let t = c.text(&uri).to_string();
    let at = find(&t, "{{vault:stripe-key}}").0 + 10;

    let mut params = c.at(&uri, at);
    params["newName"] = json!("payment-key");
    let edit = c.ok("textDocument/rename", params);
    let after = c.texts_after(&edit);
    let mut expected = std::collections::BTreeMap::new();
    for rel in [
        "api/nav.http",
        "api/other.http",
        "api/s.postman_collection.json",
        "vaultlink.json",
    ] {
        let before = p.read(rel);
        let renamed = before
            .replace("{{vault:stripe-key}}", "{{vault:payment-key}}")
            .replace(
                r#"pm.vault.get(\"stripe-key\")"#,
                r#"pm.vault.get(\"payment-key\")"#,
            )
            .replace("\"stripe-key\":", "\"payment-key\":");
        // The secret keeps its name in Key Vault: the link is untouched.
        assert!(renamed.contains("secrets/stripe-key") || rel != "vaultlink.json");
        expected.insert(file_uri(&p.path(rel)), renamed);
    }
    assert_eq!(after, expected, "{edit:#}");

    // A name that cannot be a reference name is refused.
    let mut params = c.at(&uri, at);
    params["newName"] = json!("not a name");
    let r = c.request("textDocument/rename", params);
    assert!(r.is_err(), "{r:?}");
    c.shutdown();
}

// ---------------------------------------------------------------------------------------
// Context changes

fn links_file_changes_recheck_open_documents(offer: &[&str], enc: &str) {
    let p = Project::new(
        &[
            EMOJI_LINKS,
            "//- /api/http-client.env.json\n{ \"dev\": { \"host\": \"api.example.com\" } }\n",
            "//- /api/a.http\nGET https://{{host}}/x\nA: 😀中é {{vault:later}}\nB: é {{token}}\n",
        ]
        .concat(),
    );
    let mut c = start(&p, offer, enc);
    let uri = open(&mut c, &p, "api/a.http");
    let t = c.text(&uri).to_string();
    let diags = c.wait_diagnostics(&uri);
    let (ls, le) = find(&t, "{{vault:later}}");
    let (ts, te) = find(&t, "{{token}}");
    assert_eq!(
        summary(&diags),
        expect(vec![
            ("unlinked-secret", WARNING, lsp::range(&t, ls, le, enc)),
            ("undefined-variable", WARNING, lsp::range(&t, ts, te, enc)),
        ])
    );

    // The links file changes in the editor (not saved): `later` is linked.
    let luri = open(&mut c, &p, "vaultlink.json");
    let lt = c.text(&luri).to_string();
    let (s, _) = find(&lt, "\"stripe-key\":");
    c.edit(
        &luri,
        s,
        s,
        "\"later\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/later\" }, ",
    );
    let params = c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().all(|d| d["code"] != "unlinked-secret"))
    });
    assert_eq!(
        summary(params["diagnostics"].as_array().unwrap()),
        expect(vec![(
            "undefined-variable",
            WARNING,
            lsp::range(&t, ts, te, enc)
        )])
    );

    // Closing it without saving: the disk's version applies again.
    c.close(&luri);
    c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "unlinked-secret"))
    });

    // An environment file changes on disk: `token` is defined now.
    std::fs::write(
        p.path("api/http-client.env.json"),
        "{ \"dev\": { \"host\": \"api.example.com\", \"token\": \"t\" } }\n",
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&p.path("api/http-client.env.json")), "type": 2 }] }),
    );
    let params = c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().all(|d| d["code"] != "undefined-variable"))
    });
    assert_eq!(
        summary(params["diagnostics"].as_array().unwrap()),
        expect(vec![(
            "unlinked-secret",
            WARNING,
            lsp::range(&t, ls, le, enc)
        )])
    );

    // The links file changes on disk.
    std::fs::write(
        p.path("vaultlink.json"),
        "{ \"secrets\": { \"later\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/later\" } } }\n",
    )
    .unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&p.path("vaultlink.json")), "type": 2 }] }),
    );
    let params = c.wait_diagnostics_where(&uri, |p| p["diagnostics"] == json!([]));
    assert_eq!(params["diagnostics"], json!([]));

    // And is deleted.
    std::fs::remove_file(p.path("vaultlink.json")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&p.path("vaultlink.json")), "type": 3 }] }),
    );
    let params = c.wait_diagnostics_where(&uri, |p| p["diagnostics"] != json!([]));
    assert_eq!(
        summary(params["diagnostics"].as_array().unwrap()),
        expect(vec![(
            "unlinked-secret",
            WARNING,
            lsp::range(&t, ls, le, enc)
        )])
    );
    c.shutdown();
}

// ---------------------------------------------------------------------------------------
// Line ends

fn crlf_and_lone_cr_line_ends(offer: &[&str], enc: &str) {
    // `\r\n` and a lone `\r` end lines as LSP counts them.
    let text = "### 😀 one\r\nGET https://api.stripe.com/x?é={{vault:stripe-key}}\r\nX-A: 中😀 {{vault:crlf-one}}\rX-B: é {{vault:cr-two}}\r\n\r\n";
    let p = Project::new(LINKS);
    std::fs::write(p.path("crlf.http"), text).unwrap();
    let mut c = start(&p, offer, enc);
    let uri = c.open(&p.path("crlf.http"), text);
    let diags = c.wait_diagnostics(&uri);
    let r = |needle: &str| {
        let (s, e) = find(text, needle);
        lsp::range(text, s, e, enc)
    };
    assert_eq!(r("{{vault:cr-two}}")["start"]["line"], 3);
    assert_eq!(
        summary(&diags),
        expect(vec![
            ("unlinked-secret", WARNING, r("{{vault:crlf-one}}")),
            ("unlinked-secret", WARNING, r("{{vault:cr-two}}")),
        ]),
        "{diags:#?}"
    );
    let (s, _) = find(text, "{{vault:cr-two}}");
    let h = c.ok("textDocument/hover", c.at(&uri, s + 9));
    assert_eq!(h["range"], r("{{vault:cr-two}}"));
    // Replace the lone `\r` by `\r\n`: the line count stays, the ranges too.
    let cr = find(text, "\rX-B").0;
    let v = c.edit(&uri, cr, cr + 1, "\r\n");
    let diags = c.wait_diagnostics_version(&uri, v);
    let t = c.text(&uri).to_string();
    let (s, e) = find(&t, "{{vault:cr-two}}");
    assert_eq!(lsp::range(&t, s, e, enc), r("{{vault:cr-two}}"));
    assert!(
        summary(&diags).contains(&(
            "unlinked-secret".to_string(),
            WARNING,
            lsp::range(&t, s, e, enc)
        )),
        "{diags:#?}"
    );
    // Symbols and lenses sit on the right lines.
    let lenses = c.ok(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert_eq!(lenses[0]["range"]["start"]["line"], 1, "{lenses}");
    c.shutdown();
}

/// The names a document reads beside it (`.env`, imported files, scripts) are read from disk
/// once, not on every edit, and again when a file event or a save says one changed.
#[test]
fn names_beside_a_document_are_read_again_after_a_file_event_or_a_save() {
    let p = Project::new(
        "//- /api/.env\ntoken=abc\n//- /api/a.http\nGET https://a.example.test/x\nB: {{token}}\n",
    );
    let mut c = start(&p, &["utf-8"], "utf-8");
    let uri = open(&mut c, &p, "api/a.http");
    let undefined = |d: &[Value]| d.iter().any(|d| d["code"] == "undefined-variable");
    assert!(!undefined(&c.wait_diagnostics(&uri)));

    // `.env` changes on disk, with no event yet: edits go on with the names read before.
    std::fs::write(p.path("api/.env"), "other=1\n").unwrap();
    let at = c.text(&uri).find("/x").unwrap() + 2;
    let version = c.edit(&uri, at, at, "y");
    assert!(!undefined(&c.wait_diagnostics_version(&uri, version)));

    // The event: `token` is gone.
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&p.path("api/.env")), "type": 2 }] }),
    );
    c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"].as_array().is_some_and(|d| undefined(d))
    });

    // `.env` saved from the editor: `token` is back.
    std::fs::write(p.path("api/.env"), "token=abc\n").unwrap();
    c.notify(
        "textDocument/didSave",
        json!({ "textDocument": { "uri": file_uri(&p.path("api/.env")) } }),
    );
    c.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"].as_array().is_some_and(|d| !undefined(d))
    });
    c.shutdown();
}
