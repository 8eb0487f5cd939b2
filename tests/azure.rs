//! Azure end to end: the built binary signs in to the Key Vault emulator (every method),
//! reads what Key Vault says about linked secrets, and shows it in `check` and in the editor.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use vaultlink_e2e::emulator::{Config, Emulator, Fault, SecretAttrs};
use vaultlink_e2e::lsp::{Client, Options};
use vaultlink_e2e::{Project, Run, browser, run_with};

const KV: &str = "corp-kv.vault.azure.net";
const LOCKED: &str = "locked-kv.vault.azure.net";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The emulator's endpoints and its service principal: the `environment` sign-in.
fn sp_env(emu: &Emulator) -> Vec<(String, String)> {
    let mut env = emu.env();
    env.extend(emu.sp_env());
    env
}

/// A `PATH` with nothing on it (no `az`), so a test does not depend on the machine.
fn empty_path() -> (tempfile::TempDir, (String, String)) {
    let dir = tempfile::tempdir().unwrap();
    let path = ("PATH".to_owned(), dir.path().display().to_string());
    (dir, path)
}

/// Secrets in every state Key Vault can report, and a project that links and uses them.
struct World {
    emu: Emulator,
    project: Project,
    old_version: String,
    new_version: String,
}

fn world(config: Config) -> World {
    let emu = Emulator::start_with(Config {
        deny_vaults: vec![LOCKED.to_owned()],
        ..config
    });
    let t = now();
    let mut tags = std::collections::BTreeMap::new();
    tags.insert("team".to_owned(), "payments".to_owned());
    emu.add_secret_with(
        KV,
        "fine",
        "fine-value-1",
        SecretAttrs {
            content_type: Some("text/plain".into()),
            tags,
            created: Some(1_700_000_000),
            ..Default::default()
        },
    );
    let attrs = |f: &dyn Fn(&mut SecretAttrs)| {
        let mut a = SecretAttrs::default();
        f(&mut a);
        a
    };
    emu.add_secret_with(KV, "off", "off-value", attrs(&|a| a.enabled = false));
    emu.add_secret_with(
        KV,
        "stale",
        "stale-value",
        attrs(&|a| a.exp = Some(t - 86_400)),
    );
    emu.add_secret_with(
        KV,
        "early",
        "early-value",
        attrs(&|a| a.nbf = Some(t + 86_400)),
    );
    emu.add_secret_with(
        KV,
        "soon",
        "soon-value",
        attrs(&|a| a.exp = Some(t + 3 * 86_400)),
    );
    let old_version = emu.add_secret_with(
        KV,
        "rotated",
        "rotated-1",
        attrs(&|a| a.created = Some(t - 1000)),
    );
    let new_version = emu.add_secret_with(
        KV,
        "rotated",
        "rotated-2",
        attrs(&|a| a.created = Some(t - 10)),
    );
    emu.add_secret(LOCKED, "locked", "locked-value");
    let project = Project::new(&format!(
        r#"
//- /vaultlink.json
{{
  "secrets": {{
    "fine": {{ "link": "https://{KV}/secrets/fine" }},
    "off": {{ "link": "https://{KV}/secrets/off" }},
    "stale": {{ "link": "https://{KV}/secrets/stale" }},
    "early": {{ "link": "https://{KV}/secrets/early" }},
    "soon": {{ "link": "https://{KV}/secrets/soon" }},
    "rotated": {{ "link": "https://{KV}/secrets/rotated/{old_version}" }},
    "gone": {{ "link": "https://{KV}/secrets/gone" }},
    "locked": {{ "link": "https://{LOCKED}/secrets/locked" }}
  }}
}}
//- /api.http
GET https://api.example.com/things
X-Fine: {{{{vault:fine}}}}
X-Off: {{{{vault:off}}}}
X-Stale: {{{{vault:stale}}}}
X-Early: {{{{vault:early}}}}
X-Soon: {{{{vault:soon}}}}
X-Rotated: {{{{vault:rotated}}}}
X-Gone: {{{{vault:gone}}}}
X-Locked: {{{{vault:locked}}}}
"#
    ));
    World {
        emu,
        project,
        old_version,
        new_version,
    }
}

/// `(code, line)` of every finding of `check --format json` in `file`.
fn findings(run: &Run, file: &str) -> Vec<(String, u64)> {
    let rows: Vec<Value> = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
        panic!(
            "check printed no JSON ({e}): {}\n{}",
            run.stdout, run.stderr
        )
    });
    let mut out: Vec<(String, u64)> = rows
        .iter()
        .filter(|r| r["file"].as_str().is_some_and(|f| f.ends_with(file)))
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["line"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn kv_requests(emu: &Emulator) -> Vec<vaultlink_e2e::emulator::Logged> {
    emu.requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/secrets"))
        .collect()
}

#[test]
fn check_reports_what_key_vault_says_about_each_secret() {
    let w = world(Config::default());
    let run = run_with(
        w.project.dir.path(),
        &["check", "--format", "json"],
        &sp_env(&w.emu),
    );
    let expected: Vec<(String, u64)> = [
        ("access-denied", 9),
        ("newer-version", 7),
        ("secret-disabled", 3),
        ("secret-expired", 4),
        ("secret-expiring", 6),
        ("secret-not-found", 8),
        ("secret-not-yet-valid", 5),
    ]
    .iter()
    .map(|(c, l)| (c.to_string(), *l))
    .collect();
    assert_eq!(findings(&run, "api.http"), expected, "{}", run.stderr);
    // The same answers land on the links in vaultlink.json (lines 4..11).
    let links: Vec<String> = findings(&run, "vaultlink.json")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert_eq!(links.len(), 7, "{links:?}");
    assert_eq!(run.code, 1, "errors were found: {}", run.stderr);
    let messages = &run.stdout;
    assert!(messages.contains("Key Vault Secrets User"), "{messages}");
    assert!(
        messages.contains(&w.old_version),
        "the pinned version is named: {messages}"
    );
    // Metadata only: no value was ever asked for.
    for r in kv_requests(&w.emu) {
        assert!(
            r.path.ends_with("/versions") || r.path == "/secrets",
            "a request other than a list: {} {}",
            r.method,
            r.path
        );
    }
    // The newer version is the one the hint is about.
    assert!(!messages.contains(&w.new_version));
}

#[test]
fn check_signed_out_says_how_to_sign_in_and_offline_asks_nothing() {
    let w = world(Config::default());
    let (_bin, path) = empty_path();
    let mut env = w.emu.env();
    env.push(path);
    let run = run_with(w.project.dir.path(), &["check"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr
            .contains("Key Vault checks skipped, not signed in to Azure"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("az login"), "{}", run.stderr);
    assert!(
        run.stderr.contains("the Azure CLI (`az`) was not found"),
        "{}",
        run.stderr
    );
    assert!(kv_requests(&w.emu).is_empty());

    let run = run_with(
        w.project.dir.path(),
        &["check", "--offline"],
        &sp_env(&w.emu),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("Key Vault"), "{}", run.stderr);
    assert!(w.emu.requests().is_empty(), "--offline sent requests");
}

#[test]
fn throttling_is_survived_and_a_failing_secret_hides_no_other() {
    let w = world(Config::default());
    w.emu
        .fault(Fault::throttle("/secrets/stale/", Some(1)).times(2));
    w.emu.fault(Fault::throttle("/secrets/off/", None).times(1));
    w.emu.fault(Fault::fail("/secrets/soon/", 503));
    let run = run_with(
        w.project.dir.path(),
        &["check", "--format", "json"],
        &sp_env(&w.emu),
    );
    let codes: Vec<String> = findings(&run, "api.http")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(
        codes.contains(&"secret-expired".to_owned()),
        "throttled twice, then answered: {codes:?}"
    );
    assert!(
        codes.contains(&"secret-disabled".to_owned()),
        "throttled once: {codes:?}"
    );
    assert!(!codes.contains(&"secret-expiring".to_owned()), "{codes:?}");
    assert!(
        codes.contains(&"secret-not-found".to_owned()),
        "the others still report: {codes:?}"
    );
    assert!(
        run.stderr.contains(&format!(
            "could not check https://{KV}/secrets/soon: Key Vault answered 503"
        )),
        "{}",
        run.stderr
    );
    let stale: Vec<_> = kv_requests(&w.emu)
        .into_iter()
        .filter(|r| r.path.starts_with("/secrets/stale/") && r.authorization.is_some())
        .collect();
    assert_eq!(stale.len(), 3, "two 429s, then the answer");
    assert!(
        stale[1].at - stale[0].at >= Duration::from_millis(950),
        "Retry-After: 1 was honoured ({:?})",
        stale[1].at - stale[0].at
    );
    let soon = kv_requests(&w.emu)
        .into_iter()
        .filter(|r| r.path.starts_with("/secrets/soon/") && r.authorization.is_some())
        .count();
    assert_eq!(soon, 4, "retries are bounded");
}

/// A stand-in for the Azure CLI: prints `answer` (or fails with `stderr`), and records its
/// arguments.
fn fake_az(dir: &Path, answer: Result<String, &str>) {
    let script = match answer {
        Ok(json) => format!(
            "#!/bin/sh\necho \"$@\" > '{}'\necho '{json}'\n",
            dir.join("args").display()
        ),
        Err(stderr) => format!("#!/bin/sh\necho \"{stderr}\" >&2\nexit 1\n"),
    };
    let path = dir.join("az");
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// An access token for the emulator's service principal, got the way any client would.
fn emulator_token(emu: &Emulator) -> String {
    let sp = emu.sp_env();
    let get = |k: &str| sp.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let resp: Value = reqwest::Client::new()
            .post(format!(
                "{}/{}/oauth2/v2.0/token",
                emu.url(),
                get("AZURE_TENANT_ID")
            ))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &get("AZURE_CLIENT_ID")),
                ("client_secret", &get("AZURE_CLIENT_SECRET")),
                ("scope", "https://vault.azure.net/.default"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        resp["access_token"].as_str().unwrap().to_owned()
    })
}

#[test]
fn azure_cli_sign_in_uses_its_token_and_explains_its_failures() {
    let w = world(Config::default());
    let bin = tempfile::tempdir().unwrap();
    let token = emulator_token(&w.emu);
    let answer = json!({
        "accessToken": token,
        "expires_on": now() + 3600,
        "tenant": "72f988bf-86f1-41af-91ab-2d7cd011db47",
        "tokenType": "Bearer"
    });
    fake_az(bin.path(), Ok(answer.to_string()));
    let mut env = w.emu.env();
    env.push(("PATH".into(), bin.path().display().to_string()));
    let run = run_with(w.project.dir.path(), &["check", "--format", "json"], &env);
    let codes: Vec<String> = findings(&run, "api.http")
        .into_iter()
        .map(|(c, _)| c)
        .collect();
    assert!(
        codes.contains(&"secret-disabled".to_owned()),
        "{codes:?}\n{}",
        run.stderr
    );
    let args = std::fs::read_to_string(bin.path().join("args")).unwrap();
    assert!(
        args.starts_with("account get-access-token --resource https://vault.azure.net -o json"),
        "{args}"
    );
    assert!(!run.stdout.contains(&token) && !run.stderr.contains(&token));

    fake_az(
        bin.path(),
        Err("ERROR: Please run 'az login' to setup account."),
    );
    let run = run_with(w.project.dir.path(), &["check"], &env);
    assert!(
        run.stderr
            .contains("azure-cli: the Azure CLI is not signed in: run `az login`"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// The editor

const WAIT: Duration = Duration::from_secs(20);

fn start(w: &World, env: &[(String, String)], pull: bool) -> Client {
    Client::start_with(
        w.project.dir.path(),
        Options {
            env,
            pull_diagnostics: pull,
            ..Options::default()
        },
    )
}

fn codes(diags: &Value) -> Vec<String> {
    let mut c: Vec<String> = diags["diagnostics"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    c.sort();
    c
}

fn offset_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the text"))
}

/// Signs in with the browser flow against the emulator: the server asks the editor to open
/// the authorize page, the "browser" follows it to the loopback listener.
fn browser_sign_in(client: &mut Client) -> Value {
    let id = client.send_request(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.signIn", "arguments": [{ "method": "browser" }]
        }),
    );
    let shown = client.wait_shown_document(1, WAIT);
    assert_eq!(shown["external"], true);
    let authorize = shown["uri"].as_str().unwrap().to_owned();
    assert_eq!(
        browser::query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    assert!(browser::query_param(&authorize, "state").is_some_and(|s| s.len() >= 16));
    let redirect = browser::get(&authorize);
    assert_eq!(redirect.status, 302, "{}", redirect.body);
    let callback = redirect.location.expect("a redirect to the listener");
    assert!(callback.starts_with("http://127.0.0.1:"), "{callback}");
    let page = browser::get(&callback);
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("You can close this tab"),
        "{}",
        page.body
    );
    client
        .wait_response(id, "vaultlink.signIn", WAIT)
        .expect("signed in")
}

#[test]
fn editor_signs_in_with_the_browser_and_shows_key_vault_everywhere() {
    let w = world(Config {
        page_size: 2,
        empty_page_every: Some(2),
        ..Config::default()
    });
    let (_bin, path) = empty_path();
    let mut env = w.emu.env();
    env.push(path);
    let mut client = start(&w, &env, false);
    let api = w.project.path("api.http");
    let text = w.project.read("api.http");
    let uri = client.open(&api, &text);
    let offline = client.wait_diagnostics(&uri);
    assert!(offline.is_empty(), "everything is linked: {offline:?}");

    // Signed out, a hover says how to sign in.
    let hover = client.ok(
        "textDocument/hover",
        client.at(&uri, offset_of(&text, "vault:fine") + 7),
    );
    assert!(
        hover.to_string().contains("Sign in to Azure")
            && hover.to_string().contains(":LspVaultlinkSignIn"),
        "{hover}"
    );

    let signed = browser_sign_in(&mut client);
    assert_eq!(signed["signedIn"], true);
    assert_eq!(signed["method"], "browser");

    let published = client.wait_diagnostics_where(&uri, |p| codes(p).len() >= 7);
    assert_eq!(
        codes(&published),
        [
            "access-denied",
            "newer-version",
            "secret-disabled",
            "secret-expired",
            "secret-expiring",
            "secret-not-found",
            "secret-not-yet-valid"
        ]
    );

    let hover = client.ok(
        "textDocument/hover",
        client.at(&uri, offset_of(&text, "vault:fine") + 7),
    );
    let md = hover["contents"]["value"].as_str().unwrap();
    for row in [
        "- enabled: yes",
        "- created: 2023-11-14 22:13 UTC",
        "`text/plain`",
        "`team=payments`",
    ] {
        assert!(md.contains(row), "{row} missing from:\n{md}");
    }
    assert!(!md.contains("fine-value-1"));

    // Identifier completion lists the vault's secrets, across pages (2 per page, empty
    // pages between them).
    let links_path = w.project.path("vaultlink.json");
    let links_text = w.project.read("vaultlink.json");
    let links_uri = client.open(&links_path, &links_text);
    let at = offset_of(&links_text, "secrets/fine") + "secrets/".len();
    let items = client.ok("textDocument/completion", client.at(&links_uri, at));
    let labels: Vec<&str> = items
        .as_array()
        .or_else(|| items["items"].as_array())
        .unwrap()
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    for name in ["early", "fine", "off", "rotated", "soon", "stale"] {
        let id = format!("https://{KV}/secrets/{name}");
        assert!(
            labels.contains(&id.as_str()),
            "{id} missing from {labels:?}"
        );
    }
    let pages = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.path == "/secrets" && r.authorization.is_some())
        .count();
    assert!(
        pages >= 5,
        "three pages of secrets and the empty ones between them: {pages}"
    );

    // In a reference, the vault's secrets that nothing links yet are candidates.
    w.emu.add_secret(KV, "spare", "spare-value");
    client.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.refresh", "arguments": [{}] }),
    );
    let at = offset_of(&text, "vault:fine") + "vault:".len();
    let items = client.ok("textDocument/completion", client.at(&uri, at));
    let spare = items
        .as_array()
        .or_else(|| items["items"].as_array())
        .unwrap()
        .iter()
        .find(|i| i["label"] == "spare")
        .unwrap_or_else(|| panic!("no candidate `spare`: {items:#}"))
        .clone();
    assert_eq!(spare["detail"], "in Key Vault corp-kv, not linked yet");

    // Version actions: pin the latest, move a pinned link to the latest.
    let actions =
        |client: &mut Client, name: &str| -> Vec<Value> {
            let at = offset_of(&text, &format!("vault:{name}")) + 7;
            let range = client.range(&uri, at, at);
            client
            .ok("textDocument/codeAction", json!({
                "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": [] }
            }))
            .as_array()
            .unwrap()
            .clone()
        };
    let fine = actions(&mut client, "fine");
    let pin = fine
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Pin `fine` to the current version")
        })
        .unwrap_or_else(|| panic!("no pin action: {fine:#?}"));
    let edited = client.texts_after(&pin["edit"]);
    let links_after = edited.values().next().unwrap();
    assert!(
        links_after.contains(&format!("https://{KV}/secrets/fine/")),
        "{links_after}"
    );
    let rotated = actions(&mut client, "rotated");
    let latest = rotated
        .iter()
        .find(|a| a["title"] == "Use the latest version of `rotated`")
        .unwrap_or_else(|| panic!("no latest action: {rotated:#?}"));
    let edited = client.texts_after(&latest["edit"]);
    let links_after = edited.values().next().unwrap();
    assert!(
        links_after.contains(&format!("\"https://{KV}/secrets/rotated\"")),
        "{links_after}"
    );
    assert!(!links_after.contains(&w.old_version));

    // Signing out drops what Key Vault said.
    client.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.signOut", "arguments": [{}] }),
    );
    let after = client.wait_diagnostics_where(&uri, |p| codes(p).is_empty());
    assert!(codes(&after).is_empty());
}

#[test]
fn create_secret_stores_the_literal_and_links_it() {
    let w = world(Config::default());
    let mut client = start(&w, &sp_env(&w.emu), false);
    let path = w.project.path("pay.http");
    let text = "GET https://api.example.com/pay\nAuthorization: Bearer sk_live_abcdef123456\n";
    std::fs::write(&path, text).unwrap();
    let uri = client.open(&path, text);
    let at = offset_of(text, "sk_live") + 2;
    let range = client.range(&uri, at, at);
    let list = client.ok(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": [] }
        }),
    );
    let create = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Create secret in Key Vault")
        })
        .unwrap_or_else(|| panic!("no create action: {list:#}"))
        .clone();
    assert!(create.get("edit").is_none() || create["edit"].is_null());
    let command = &create["command"];
    // Two vaults are in use: the editor is asked which one.
    client.choose_in_message_requests(Some(&format!("https://{KV}")));
    let result = client.ok(
        "workspace/executeCommand",
        json!({
            "command": command["command"], "arguments": command["arguments"]
        }),
    );
    assert_eq!(result["applied"], true, "{result}");
    let asked = client.message_requests();
    assert!(
        asked
            .iter()
            .any(|m| m["message"].as_str().unwrap().contains("in which vault")),
        "{asked:?}"
    );
    let put: Vec<_> = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert_eq!(put.len(), 1);
    assert_eq!(put[0].host, KV);
    assert_eq!(put[0].path, "/secrets/example-token");
    let edit = client.wait_applied_edit(1);
    let after = client.texts_after(&edit);
    let doc = after
        .iter()
        .find(|(k, _)| k.ends_with("pay.http"))
        .unwrap()
        .1;
    assert_eq!(
        doc,
        "GET https://api.example.com/pay\nAuthorization: Bearer {{vault:example-token}}\n"
    );
    let links = after
        .iter()
        .find(|(k, _)| k.ends_with("vaultlink.json"))
        .unwrap()
        .1;
    assert!(
        links.contains(&format!("\"link\": \"https://{KV}/secrets/example-token\"")),
        "{links}"
    );
    assert!(
        links.contains("api.example.com"),
        "the host the literal went to is allowed: {links}"
    );

    // Creating never overwrites: the name is taken now, so a second try is refused.
    let again = client
        .request(
            "workspace/executeCommand",
            json!({ "command": command["command"], "arguments": command["arguments"] }),
        )
        .unwrap_err();
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("already has a secret named `example-token`"),
        "{again}"
    );
    let puts = w
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .count();
    assert_eq!(puts, 1);
}

/// A pulling client with the emulator's endpoints, signed out, and nothing on `PATH`.
fn signed_out_client(w: &World) -> (tempfile::TempDir, Client) {
    let (bin, path) = empty_path();
    let mut env = w.emu.env();
    env.push(path);
    let client = start(w, &env, true);
    (bin, client)
}

/// The user code of the device code sign-in the server started.
fn wait_user_code(emu: &Emulator) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(c) = emu.pending_user_codes().into_iter().next() {
            return c;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no device code was asked for"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn editor_signs_in_with_a_device_code() {
    let w = world(Config::default());
    let (_bin, mut client) = signed_out_client(&w);
    let id = client.send_request(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.signIn", "arguments": [{ "method": "device-code" }]
        }),
    );
    let shown = client.wait_notification("window/showMessage", |m| {
        m["params"]["message"]
            .as_str()
            .is_some_and(|s| s.contains("enter the code"))
    });
    let message = shown["params"]["message"].as_str().unwrap().to_owned();
    let codes = w.emu.pending_user_codes();
    assert_eq!(codes.len(), 1);
    assert!(message.contains(&codes[0]), "{message}");
    // Polling goes on (authorization_pending) until the person approves.
    std::thread::sleep(Duration::from_millis(1500));
    w.emu.approve_device_code(&codes[0]);
    let result = client
        .wait_response(id, "vaultlink.signIn", WAIT)
        .expect("signed in");
    assert_eq!(result["method"], "device-code");
    let polls = w
        .emu
        .requests()
        .iter()
        .filter(|r| {
            r.form
                .iter()
                .any(|(k, v)| k == "grant_type" && v.ends_with("device_code"))
        })
        .count();
    assert!(polls >= 2, "polled while pending: {polls}");
}

#[test]
fn sign_in_without_a_method_asks_which_one() {
    let w = world(Config::default());
    let (_bin, mut client) = signed_out_client(&w);
    client.choose_in_message_requests(Some("Sign in with a device code"));
    let id = client.send_request(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.signIn", "arguments": [{}]
        }),
    );
    let code = wait_user_code(&w.emu);
    w.emu.approve_device_code(&code);
    let result = client
        .wait_response(id, "vaultlink.signIn", WAIT)
        .expect("signed in");
    assert_eq!(result["signedIn"], true);
    let asked = client.message_requests();
    assert_eq!(asked.len(), 1, "{asked:?}");

    // Declining signs nobody in, with a clear error.
    client.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.signOut", "arguments": [{}] }),
    );
    client.choose_in_message_requests(None);
    let err = client
        .request(
            "workspace/executeCommand",
            json!({ "command": "vaultlink.signIn", "arguments": [{}] }),
        )
        .unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("sign-in cancelled"),
        "{err}"
    );
}

#[test]
fn environment_credentials_sign_in_at_start_without_asking() {
    let w = world(Config::default());
    let mut client = start(&w, &sp_env(&w.emu), false);
    let api = w.project.path("api.http");
    let text = w.project.read("api.http");
    let uri = client.open(&api, &text);
    let published = client.wait_diagnostics_where(&uri, |p| codes(p).len() >= 7);
    assert!(codes(&published).contains(&"secret-disabled".to_owned()));
    // The editor is told who signed in, and for how long.
    let status = client.wait_notification("vaultlink/signInStatus", |n| {
        n["method"] == "vaultlink/signInStatus"
    });
    assert_eq!(status["params"]["signedIn"], true, "{status}");
    assert_eq!(status["params"]["method"], "environment");
    let left = status["params"]["endsInSeconds"].as_u64().unwrap();
    assert!(left > 23 * 3600 && left <= 24 * 3600, "{left}");
    assert!(client.message_requests().is_empty());
    assert!(client.shown_documents().is_empty());
}

#[test]
fn a_challenge_for_a_foreign_resource_gets_no_token() {
    let decoy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    decoy.set_nonblocking(true).unwrap();
    let w = world(Config {
        challenge_resource: format!("http://{}", decoy.local_addr().unwrap()),
        ..Config::default()
    });
    let bin = tempfile::tempdir().unwrap();
    let token = emulator_token(&w.emu);
    fake_az(
        bin.path(),
        Ok(json!({ "accessToken": token, "expires_on": now() + 3600 }).to_string()),
    );
    let mut env = w.emu.env();
    env.push(("PATH".into(), bin.path().display().to_string()));
    // An untrusted link too: it must never be asked anything.
    let links = w.project.read("vaultlink.json").replace(
        "\"fine\": {",
        "\"evil\": { \"link\": \"https://evil.example.com/secrets/x\" },\n    \"fine\": {",
    );
    std::fs::write(w.project.path("vaultlink.json"), links).unwrap();
    let run = run_with(w.project.dir.path(), &["check"], &env);
    assert!(
        run.stderr
            .contains("which is not a Key Vault resource of that host; no token was sent"),
        "{}",
        run.stderr
    );
    let kv = kv_requests(&w.emu);
    assert!(!kv.is_empty());
    for r in &kv {
        assert_eq!(
            r.authorization, None,
            "a token went with {} {}",
            r.method, r.path
        );
        assert!(r.host.ends_with(".vault.azure.net"), "{}", r.host);
    }
    assert!(
        matches!(decoy.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "the decoy was contacted"
    );
}

// ---------------------------------------------------------------------------------------------
// A real authorization server: npm's oidc-provider

/// Starts a browser sign-in and returns the request id and the authorize URL shown.
fn start_browser_sign_in(client: &mut Client, n: usize) -> (i64, String) {
    let id = client.send_request(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.signIn", "arguments": [{ "method": "browser" }]
        }),
    );
    let shown = client.wait_shown_document(n, WAIT);
    (id, shown["uri"].as_str().unwrap().to_owned())
}

fn sign_in_error(client: &mut Client, id: i64) -> String {
    let err = client
        .wait_response(id, "vaultlink.signIn", WAIT)
        .expect_err("the sign-in is refused");
    err["message"].as_str().unwrap().to_owned()
}

#[test]
fn browser_sign_in_against_oidc_provider_and_its_refusals() {
    let provider = vaultlink_e2e::oidc::OidcProvider::start();
    let project = Project::new("//- /vaultlink.json\n{ \"secrets\": {} }\n");
    let (_bin, path) = empty_path();
    let env = vec![
        (
            "AZURE_AUTHORITY_HOST".to_owned(),
            provider.base().to_owned(),
        ),
        path,
    ];
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );

    // The whole flow: login and consent pages, the code back on the loopback listener.
    let (id, authorize) = start_browser_sign_in(&mut client, 1);
    assert!(authorize.starts_with(&format!(
        "{}/organizations/oauth2/v2.0/authorize?",
        provider.base()
    )));
    assert_eq!(
        browser::query_param(&authorize, "scope").as_deref(),
        Some("https://vault.azure.net/user_impersonation offline_access")
    );
    let first_callback = provider.authorize(&authorize, "dev-user");
    let page = browser::get(&first_callback);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("You are signed in"), "{}", page.body);
    let result = client
        .wait_response(id, "vaultlink.signIn", WAIT)
        .expect("signed in");
    assert_eq!(result["signedIn"], true);

    // A callback with another state is refused and says so; the sign-in goes on waiting
    // for its own, which ends it.
    let (id, authorize) = start_browser_sign_in(&mut client, 2);
    let callback = provider.authorize(&authorize, "dev-user");
    let forged = browser::with_param(&callback, "state", "forged-state");
    let page = browser::get(&forged);
    assert_eq!(page.status, 400);
    assert!(
        page.body
            .contains("does not belong to the sign-in vaultlink started"),
        "{}",
        page.body
    );
    let page = browser::get(&callback);
    assert!(page.body.contains("You are signed in"), "{}", page.body);
    client
        .wait_response(id, "vaultlink.signIn", WAIT)
        .expect("signed in with the callback of its own state");

    // A code already redeemed, delivered to a new sign-in with its state: refused.
    let (id, authorize) = start_browser_sign_in(&mut client, 3);
    let redirect_uri = browser::query_param(&authorize, "redirect_uri").unwrap();
    let state = browser::query_param(&authorize, "state").unwrap();
    let old_code = browser::query_param(&first_callback, "code").unwrap();
    let replay = format!("{redirect_uri}?code={old_code}&state={state}");
    browser::get(&replay);
    let message = sign_in_error(&mut client, id);
    assert!(
        message.contains("the sign-in was refused: invalid_grant"),
        "{message}"
    );

    // A code issued for someone else's PKCE challenge (an injected code): vaultlink's
    // verifier does not match it, and the server refuses it.
    let (id, authorize) = start_browser_sign_in(&mut client, 4);
    let foreign = browser::with_param(&authorize, "code_challenge", &"x".repeat(43));
    let callback = provider.authorize(&foreign, "attacker");
    browser::get(&callback);
    let message = sign_in_error(&mut client, id);
    assert!(
        message.contains("the sign-in was refused: invalid_grant"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------------
// Nothing leaks

/// Every file under `dir`, as text.
fn files_under(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((
                path.display().to_string(),
                String::from_utf8_lossy(&bytes).into_owned(),
            ));
        }
    }
}

#[test]
fn no_secret_value_or_token_is_written_anywhere() {
    const PLANTED: &str = "PLANTED-s3cr3t-V4lue-7Hq9";
    // Short-lived access tokens: every Key Vault request after the first renews silently.
    let w = world(Config {
        access_token_lifetime: Duration::from_secs(30),
        ..Config::default()
    });
    w.emu.add_secret(KV, "fine", PLANTED);
    let home = tempfile::tempdir().unwrap();
    let (_bin, path) = empty_path();
    let mut env = w.emu.env();
    env.extend([
        path,
        ("HOME".to_owned(), home.path().display().to_string()),
        (
            "XDG_CONFIG_HOME".to_owned(),
            home.path().join(".config").display().to_string(),
        ),
        (
            "XDG_CACHE_HOME".to_owned(),
            home.path().join(".cache").display().to_string(),
        ),
    ]);
    let mut client = start(&w, &env, false);
    let api = w.project.path("api.http");
    let text = w.project.read("api.http");
    let uri = client.open(&api, &text);
    client.wait_diagnostics(&uri);
    browser_sign_in(&mut client);
    client.wait_diagnostics_where(&uri, |p| codes(p).len() >= 7);
    let hover = client.ok(
        "textDocument/hover",
        client.at(&uri, offset_of(&text, "vault:fine") + 7),
    );
    assert!(hover.to_string().contains("- enabled: yes"), "{hover}");
    let links_text = w.project.read("vaultlink.json");
    let links_uri = client.open(&w.project.path("vaultlink.json"), &links_text);
    let at = offset_of(&links_text, "secrets/fine") + "secrets/".len();
    client.ok("textDocument/completion", client.at(&links_uri, at));
    client.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.refresh", "arguments": [{}] }),
    );
    client.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.signOut", "arguments": [{}] }),
    );
    let id = client.send_request(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.signIn", "arguments": [{ "method": "device-code" }]
        }),
    );
    let code = wait_user_code(&w.emu);
    w.emu.approve_device_code(&code);
    client
        .wait_response(id, "vaultlink.signIn", WAIT)
        .expect("signed in");
    client.wait_diagnostics_where(&uri, |p| codes(p).len() >= 7);
    // The value itself: fetched, sent to a server that echoes it back, shown masked.
    let echo = vaultlink_e2e::echo::Echo::start();
    let send_text = format!(
        "GET {}/x?k={{{{vault:fine}}}}\nAuthorization: Bearer {{{{vault:fine}}}}\n",
        echo.url()
    );
    std::fs::write(w.project.path("send.http"), &send_text).unwrap();
    let send_uri = client.open(&w.project.path("send.http"), &send_text);
    let sent = client.ok(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.sendRequest",
            "arguments": [{ "uri": send_uri, "position": { "line": 0, "character": 0 } }]
        }),
    );
    assert_eq!(sent["status"], 200, "{sent}");
    assert!(
        sent["body"].as_str().unwrap().contains("Bearer ***"),
        "{sent}"
    );
    let transcript: String = client
        .transcript()
        .into_iter()
        .map(|(_, m)| m + "\n")
        .collect();
    let server_stderr = client.stderr();
    client.shutdown();

    let mut check_env = sp_env(&w.emu);
    check_env.push(("HOME".to_owned(), home.path().display().to_string()));
    let check = run_with(
        w.project.dir.path(),
        &["check", "--format", "json"],
        &check_env,
    );
    assert!(check.stdout.contains("secret-disabled"), "{}", check.stderr);
    let send = run_with(w.project.dir.path(), &["send", "send.http"], &check_env);
    let send_json = run_with(
        w.project.dir.path(),
        &["send", "send.http", "--json"],
        &check_env,
    );
    let dry = run_with(
        w.project.dir.path(),
        &["send", "send.http", "--dry-run"],
        &check_env,
    );
    assert_eq!(
        (send.code, send_json.code, dry.code),
        (0, 0, 0),
        "{}{}",
        send.stderr,
        send_json.stderr
    );
    let arrived = echo.requests();
    assert_eq!(arrived.len(), 3, "the editor and the command line sent it");
    for got in &arrived {
        assert!(
            got.headers
                .iter()
                .any(|(n, v)| n.eq_ignore_ascii_case("authorization")
                    && v == &format!("Bearer {PLANTED}")),
            "the real value was sent"
        );
    }

    let renewals = w
        .emu
        .requests()
        .iter()
        .filter(|r| {
            r.form
                .iter()
                .any(|(k, v)| k == "grant_type" && v == "refresh_token")
        })
        .count();
    assert!(
        renewals >= 1,
        "short-lived tokens were renewed with the refresh token"
    );

    let mut haystacks = vec![
        ("the LSP messages, both ways".to_owned(), transcript),
        ("the server's stderr".to_owned(), server_stderr),
        ("check's stdout".to_owned(), check.stdout),
        ("check's stderr".to_owned(), check.stderr),
        ("send's stdout".to_owned(), send.stdout),
        ("send's stderr".to_owned(), send.stderr),
        ("send --json's stdout".to_owned(), send_json.stdout),
        ("send --dry-run's stdout".to_owned(), dry.stdout),
    ];
    files_under(w.project.dir.path(), &mut haystacks);
    files_under(home.path(), &mut haystacks);
    let mut needles = w.emu.issued_tokens();
    assert!(
        needles.len() >= 6,
        "sign-ins issued codes and tokens: {}",
        needles.len()
    );
    needles.push(PLANTED.to_owned());
    needles.push(url::form_urlencoded::byte_serialize(PLANTED.as_bytes()).collect());
    needles.extend(
        w.emu
            .sp_env()
            .into_iter()
            .filter(|(k, _)| k == "AZURE_CLIENT_SECRET")
            .map(|(_, v)| v),
    );
    for (place, text) in &haystacks {
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "a secret ({}…) is in {place}",
                &needle[..6.min(needle.len())]
            );
        }
    }
}
