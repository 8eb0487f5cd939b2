//! AWS Secrets Manager end to end: the built binary against moto's server on a loopback
//! port, IAM enforced (every request signed with Signature Version 4 and allowed by the
//! user's policy, as moto checks): `check`, `send` with JSON keys and pinned versions,
//! hover, completion and send in the editor, a deleted secret, a refused user, throttling,
//! and a request that uses a Key Vault secret (the emulator) and a Secrets Manager secret at
//! once. Every output is searched for the planted values.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::Emulator;
use vaultlink_e2e::lsp::{Client, Options};
use vaultlink_e2e::moto::{self, Keys, Moto, REGION, Seed};
use vaultlink_e2e::{Project, Run, run_with};

const DB_PW: &str = "pw-CURRENT-7f3a/+=";
const OLD_PW: &str = "pw-PREVIOUS-19c2";
const TOKEN: &str = "tok-AWS-5d1e-value";
const KV_SECRET: &str = "kv-S3CRET-4b8c";
const KV: &str = "corp-kv.vault.azure.net";
/// Secrets beyond ListSecrets' page of 100, so that completion needs the second page.
const BULK: usize = 101;

struct Aws {
    moto: Moto,
    reader: Keys,
    stranger: Keys,
    home: tempfile::TempDir,
    db_arn: String,
    old_version: String,
}

/// moto enforcing IAM, with a user `reader` allowed every Secrets Manager action, a user
/// `stranger` allowed nothing, and the secrets `prod/db` (a JSON object, two versions),
/// `api-token`, `old-key` (scheduled for deletion) and, with `bulk`, 101 more.
fn aws(bulk: bool) -> Aws {
    aws_with(bulk, Vec::new())
}

/// [`aws`], with `extra` seeds after the others.
fn aws_with(bulk: bool, extra: Vec<Seed>) -> Aws {
    let mut seeds = moto::iam_user("reader", Some(&moto::read_policy()));
    seeds.extend(moto::iam_user("stranger", None));
    seeds.push(Seed::Sm(
        "CreateSecret",
        json!({
            "Name": "prod/db",
            "SecretString": json!({ "username": "admin", "password": OLD_PW }).to_string(),
            "Tags": [{ "Key": "team", "Value": "payments" }],
        }),
    ));
    seeds.push(Seed::Sm(
        "PutSecretValue",
        json!({
            "SecretId": "prod/db",
            "SecretString": json!({ "username": "admin", "password": DB_PW }).to_string(),
        }),
    ));
    seeds.push(Seed::Sm(
        "CreateSecret",
        json!({ "Name": "api-token", "SecretString": TOKEN }),
    ));
    seeds.push(Seed::Sm(
        "CreateSecret",
        json!({ "Name": "old-key", "SecretString": "old-value" }),
    ));
    seeds.push(Seed::Sm(
        "DeleteSecret",
        json!({ "SecretId": "old-key", "RecoveryWindowInDays": 7 }),
    ));
    if bulk {
        for i in 0..BULK {
            seeds.push(Seed::Sm(
                "CreateSecret",
                json!({ "Name": format!("bulk-{i:03}"), "SecretString": "x" }),
            ));
        }
    }
    seeds.extend(extra);
    let moto = Moto::start_enforcing(seeds);
    let reader = moto::keys_of(&moto.seeded[1]);
    let stranger = moto::keys_of(&moto.seeded[4]);
    let db_arn = moto.seeded[5]["ARN"].as_str().unwrap().to_owned();
    let old_version = moto.seeded[5]["VersionId"].as_str().unwrap().to_owned();
    assert_ne!(old_version, moto.seeded[6]["VersionId"].as_str().unwrap());
    Aws {
        moto,
        reader,
        stranger,
        home: tempfile::tempdir().unwrap(),
        db_arn,
        old_version,
    }
}

impl Aws {
    fn env(&self, keys: &Keys) -> Vec<(String, String)> {
        moto::env(&self.moto, keys, self.home.path())
    }

    /// The links file: every form of link, and one that is not valid.
    fn links(&self, allowed: &str) -> String {
        let db = &self.db_arn;
        let old = &self.old_version;
        format!(
            r#"//- /vaultlink.json
{{
  "secrets": {{
    "db-password": {{ "link": "{db}#password", "allowedDomains": [{allowed}] }},
    "db-old": {{ "link": "{db}?versionId={old}#password", "allowedDomains": [{allowed}] }},
    "api-token": {{ "link": "secretsmanager://{REGION}/api-token", "allowedDomains": [{allowed}] }},
    "gone": {{ "link": "secretsmanager://{REGION}/old-key" }},
    "missing": {{ "link": "secretsmanager://{REGION}/nope" }},
    "bad": {{ "link": "arn:aws:secretsmanager:{REGION}:12345:secret:x" }},
    "limited": {{ "link": "secretsmanager://{REGION}/api-token", "allowedDomains": ["api.example.com"] }}
  }}
}}
"#
        )
    }
}

const USES: &str = r#"//- /api.http
GET ECHO/a?t={{vault:api-token}}
X-Pw: {{vault:db-password}}
X-Old: {{vault:db-old}}
X-Trace: 1

###
GET ECHO/b
X-Gone: {{vault:gone}}
X-Missing: {{vault:missing}}
X-Bad: {{vault:bad}}

###
GET ECHO/c
X-Limited: {{vault:limited}}
"#;

/// The project `check` reads: the requests go to a loopback address.
fn checked(a: &Aws) -> String {
    format!("{}{USES}", a.links(r#""127.0.0.1""#)).replace("ECHO", "http://127.0.0.1:9")
}

/// What `check` finds without any answer from Secrets Manager.
const OFFLINE: [&str; 2] = ["10 invalid-link", "14 domain-not-allowed"];

fn assert_no_value(what: &str, text: &str, also: &[&str]) {
    for v in [DB_PW, OLD_PW, TOKEN, KV_SECRET, "old-value"]
        .iter()
        .chain(also)
    {
        let encoded: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        assert!(
            !text.contains(v) && !text.contains(&encoded),
            "`{v}` is in {what}:\n{text}"
        );
    }
}

/// The `code` of every finding of `check --format json`, as `line code`.
fn codes(run: &Run) -> Vec<String> {
    let rows: Vec<Value> = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    rows.iter()
        .filter(|r| r["file"].as_str().is_some_and(|f| f.ends_with("api.http")))
        .map(|r| format!("{} {}", r["line"], r["code"].as_str().unwrap()))
        .collect()
}

#[test]
fn check_reports_what_secrets_manager_says() {
    let a = aws(false);
    let project = Project::new(&checked(&a));
    let dir = project.dir.path();
    let run = run_with(dir, &["check", "--format", "json"], &a.env(&a.reader));
    assert_eq!(
        codes(&run),
        [
            "3 newer-version",
            "8 secret-not-found",
            "9 secret-not-found",
            "10 invalid-link",
            "14 domain-not-allowed"
        ],
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(
        run.stdout.contains("scheduled for deletion"),
        "{}",
        run.stdout
    );
    let links: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    assert!(
        links.iter().any(|r| r["code"] == "invalid-link"
            && r["file"].as_str().unwrap().ends_with("vaultlink.json")
            && r["message"].as_str().unwrap().contains("12 digits")),
        "{}",
        run.stdout
    );
    assert_no_value(
        "check's output",
        &format!("{}{}", run.stdout, run.stderr),
        &[],
    );

    // A user no policy allows: every secret is refused, by IAM.
    let run = run_with(dir, &["check", "--format", "json"], &a.env(&a.stranger));
    let refused: Vec<String> = codes(&run)
        .into_iter()
        .filter(|c| c.ends_with("access-denied"))
        .collect();
    assert_eq!(refused.len(), 6, "{}\n{}", run.stdout, run.stderr);

    // Keys that are not moto's: the signature is refused, and no finding claims anything.
    let wrong = Keys {
        id: a.reader.id.clone(),
        secret: "not-the-secret-key".to_owned(),
    };
    let run = run_with(dir, &["check", "--format", "json"], &a.env(&wrong));
    assert_eq!(codes(&run), OFFLINE, "{}", run.stderr);
    assert!(run.stderr.contains("could not check"), "{}", run.stderr);
    assert!(!run.stderr.contains("not-the-secret-key"), "{}", run.stderr);
}

#[test]
fn credentials_come_from_a_profile_of_the_shared_files() {
    let a = aws(false);
    let project = Project::new(&checked(&a));
    std::fs::create_dir_all(a.home.path().join(".aws")).unwrap();
    std::fs::write(
        a.home.path().join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n[reader]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            a.stranger.id, a.stranger.secret, a.reader.id, a.reader.secret
        ),
    )
    .unwrap();
    let env = |profile: Option<&str>| {
        let mut env = vec![
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER".to_owned(), a.moto.url()),
            ("HOME".to_owned(), a.home.path().display().to_string()),
        ];
        if let Some(p) = profile {
            env.push(("AWS_PROFILE".to_owned(), p.to_owned()));
        }
        env
    };
    let dir = project.dir.path();
    let run = run_with(dir, &["check", "--format", "json"], &env(Some("reader")));
    assert!(
        !codes(&run).iter().any(|c| c.ends_with("access-denied")),
        "{}",
        run.stdout
    );
    assert!(codes(&run).contains(&"3 newer-version".to_owned()));
    let run = run_with(dir, &["check", "--format", "json"], &env(None));
    assert!(
        codes(&run).iter().any(|c| c.ends_with("access-denied")),
        "the default profile is the stranger's: {}",
        run.stdout
    );
}

#[test]
fn send_fills_json_keys_and_pinned_versions_and_masks_them() {
    let a = aws(false);
    let echo = Echo::start();
    let project =
        Project::new(&format!("{}{USES}", a.links(r#""127.0.0.1""#)).replace("ECHO", &echo.url()));
    let dir = project.dir.path();
    let run = run_with(
        dir,
        &["send", "api.http", "--request", "1", "--json"],
        &a.env(&a.reader),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = echo.requests();
    assert_eq!(got.len(), 1);
    let header = |n: &str| {
        got[0]
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-pw").as_deref(), Some(DB_PW));
    assert_eq!(header("x-old").as_deref(), Some(OLD_PW));
    assert!(
        got[0].target.contains(&format!("t={TOKEN}")),
        "{}",
        got[0].target
    );
    let output = format!("{}{}", run.stdout, run.stderr);
    assert_no_value("send's output", &output, &[&a.reader.secret]);
    assert!(output.contains("***"), "{output}");

    // A scheduled deletion, a missing secret and a broken link: nothing is sent.
    let run = run_with(
        dir,
        &["send", "api.http", "--request", "2"],
        &a.env(&a.reader),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(echo.requests().len(), 1);
    // Not allowed on this host: refused before anything is fetched.
    let run = run_with(
        dir,
        &["send", "api.http", "--request", "3"],
        &a.env(&a.reader),
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("may not be sent to `127.0.0.1`"),
        "{}",
        run.stderr
    );
    assert_eq!(echo.requests().len(), 1);
    // Refused by IAM: said, and nothing sent.
    let run = run_with(
        dir,
        &["send", "api.http", "--request", "1"],
        &a.env(&a.stranger),
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("AccessDenied"), "{}", run.stderr);
    assert_eq!(echo.requests().len(), 1);
}

/// A loopback proxy in front of moto that answers AWS's `ThrottlingException` to the first
/// `throttled` requests and passes the others on, `Host` kept so that signatures still hold.
struct Throttler {
    url: String,
    seen: Arc<AtomicUsize>,
    _rt: tokio::runtime::Runtime,
}

fn throttler(upstream: String, throttled: usize) -> Throttler {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let seen = Arc::new(AtomicUsize::new(0));
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let counter = seen.clone();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let counter = counter.clone();
        let http = http.clone();
        let upstream = upstream.clone();
        async move {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            if n < throttled {
                return (
                    StatusCode::BAD_REQUEST,
                    r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_owned(),
                );
            }
            let mut req = http.post(format!("{upstream}/")).body(body);
            for (k, v) in &headers {
                req = req.header(k, v);
            }
            let resp = req.send().await.unwrap();
            let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
            (status, resp.text().await.unwrap())
        }
    });
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Throttler { url, seen, _rt: rt }
}

#[test]
fn throttling_is_retried_then_reported() {
    let a = aws(false);
    let project = Project::new(&checked(&a));
    let dir = project.dir.path();
    let proxy = throttler(a.moto.url(), 2);
    let mut env = a.env(&a.reader);
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL_SECRETS_MANAGER");
    env.push(("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), proxy.url.clone()));
    let run = run_with(dir, &["check", "--format", "json"], &env);
    assert!(
        codes(&run).contains(&"3 newer-version".to_owned()),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(!run.stderr.contains("throttling"), "{}", run.stderr);
    assert!(proxy.seen.load(Ordering::SeqCst) > 2);

    // Throttled for good: the retries end, the secrets are named as not checked, and no
    // finding is made up.
    let always = throttler(a.moto.url(), usize::MAX);
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL_SECRETS_MANAGER");
    env.push((
        "AWS_ENDPOINT_URL_SECRETS_MANAGER".into(),
        always.url.clone(),
    ));
    let started = std::time::Instant::now();
    let run = run_with(dir, &["check", "--format", "json"], &env);
    assert_eq!(codes(&run), OFFLINE, "{}", run.stderr);
    assert!(
        run.stderr.contains("could not check") && run.stderr.contains("ThrottlingException"),
        "{}",
        run.stderr
    );
    // Four attempts of `DescribeSecret` for each of the four secrets, once each however many
    // links read it.
    assert_eq!(always.seen.load(Ordering::SeqCst), 4 * 4);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn the_editor_hovers_completes_and_sends_without_showing_a_value() {
    let a = aws(true);
    let echo = Echo::start();
    let project =
        Project::new(&format!("{}{USES}", a.links(r#""127.0.0.1""#)).replace("ECHO", &echo.url()));
    let env = a.env(&a.reader);
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let status = client.wait_notification("vaultlink/signInStatus", |n| {
        n["params"]["aws"]["credentials"] == true
    });
    assert_eq!(status["params"]["aws"]["source"], "environment", "{status}");
    let text = project.read("api.http");
    let uri = client.open(&project.path("api.http"), &text);
    // Hover on `db-password` (line 2): the link and what Secrets Manager says, once the
    // server has found the credentials.
    let md = hover_with(&mut client, &uri, (1, 16), "**Secrets Manager**");
    for want in [
        "AWS Secrets Manager",
        "`password`",
        "**Secrets Manager**",
        "`AWSCURRENT`",
        "`team=payments`",
        "- rotation: off",
    ] {
        assert!(md.contains(want), "{want} is not in the hover:\n{md}");
    }
    // The pinned old version: named, and the current one beside it.
    let old = hover_with(&mut client, &uri, (2, 16), "**Secrets Manager**");
    assert!(
        old.contains(&format!("- pinned version: `{}`", a.old_version)),
        "{old}"
    );
    assert!(old.contains("`AWSPREVIOUS`"), "{old}");
    // The network findings arrive once the answers are in.
    let has = |p: &Value, code: &str| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == code))
    };
    client.wait_diagnostics_where(&uri, |p| {
        has(p, "newer-version") && has(p, "secret-not-found")
    });

    // Completion in a link of vaultlink.json: every ARN in the region, past the first page.
    let links_text = project.read("vaultlink.json");
    let links_uri = client.open(&project.path("vaultlink.json"), &links_text);
    let (line, col) = links_text
        .lines()
        .enumerate()
        .find_map(|(i, l)| l.find("secretsmanager://").map(|c| (i, c + 1)))
        .unwrap();
    let items = client.ok(
        "textDocument/completion",
        json!({ "textDocument": { "uri": links_uri }, "position": { "line": line, "character": col } }),
    );
    let items = items
        .get("items")
        .cloned()
        .unwrap_or(items)
        .as_array()
        .cloned()
        .unwrap_or_default();
    let arns: Vec<&str> = items
        .iter()
        .filter_map(|i| i["label"].as_str())
        .filter(|l| l.starts_with("arn:aws:secretsmanager:"))
        .collect();
    assert!(arns.contains(&a.db_arn.as_str()), "{arns:?}");
    assert_eq!(
        arns.iter().filter(|a| a.contains(":secret:bulk-")).count(),
        BULK,
        "{arns:?}"
    );
    assert!(!arns.iter().any(|a| a.contains("old-key")), "{arns:?}");

    // Send from the editor: values filled in, masked in the answer.
    let result = client.ok(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.sendRequest",
            "arguments": [{ "uri": uri, "position": { "line": 0, "character": 0 } }]
        }),
    );
    assert_eq!(result["status"], 200, "{result}");
    let got = echo.requests();
    assert_eq!(got.len(), 1);
    assert!(got[0].target.contains(TOKEN));
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    assert_no_value("the LSP messages", &transcript, &[&a.reader.secret]);
    assert_no_value("the server's stderr", &client.stderr(), &[&a.reader.secret]);
    client.shutdown();
}

/// The hover at a position (on a reference) once it shows `want`.
fn hover_with(client: &mut Client, uri: &str, (line, column): (u32, u32), want: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let hover = client.ok(
            "textDocument/hover",
            json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": column } }),
        );
        let md = hover["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if md.contains(want) {
            return md;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{want} is not in the hover:\n{md}"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

const MIXED: &str = r#"//- /mixed.http
POST ECHO/mixed
Authorization: Bearer {{vault:kv-token}}
X-Db: {{vault:db-password}}

{"both": "{{vault:kv-token}}:{{vault:db-password}}"}

###
GET ECHO/elsewhere
X-Db: {{vault:aws-elsewhere}}
"#;

#[test]
fn one_request_uses_key_vault_and_secrets_manager() {
    let a = aws(false);
    let emu = Emulator::start();
    emu.add_secret(KV, "kv-token", KV_SECRET);
    let echo = Echo::start();
    let links = format!(
        r#"//- /vaultlink.json
{{
  "secrets": {{
    "kv-token": {{ "link": "https://{KV}/secrets/kv-token", "allowedDomains": ["127.0.0.1"] }},
    "db-password": {{ "link": "{}#password", "allowedDomains": ["127.0.0.1"] }},
    "aws-elsewhere": {{ "link": "{}#password", "allowedDomains": ["api.example.com"] }}
  }}
}}
"#,
        a.db_arn, a.db_arn
    );
    let project = Project::new(&format!("{links}{MIXED}").replace("ECHO", &echo.url()));
    let mut env = a.env(&a.reader);
    env.extend(emu.env());
    env.extend(emu.sp_env());
    let dir = project.dir.path();

    // The command line: both stores asked, nothing to say but the refused host.
    let run = run_with(dir, &["check", "--format", "json"], &env);
    let rows: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<String> = rows
        .iter()
        .map(|r| format!("{} {}", r["line"], r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(found, ["9 domain-not-allowed"], "{}", run.stderr);
    assert!(!run.stderr.contains("skipped"), "{}", run.stderr);
    let run = run_with(dir, &["send", "mixed.http", "--request", "1"], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = echo.requests();
    assert_eq!(got.len(), 1);
    assert_eq!(
        String::from_utf8_lossy(&got[0].body),
        format!(r#"{{"both": "{KV_SECRET}:{DB_PW}"}}"#)
    );
    let mut outputs = format!("{}{}", run.stdout, run.stderr);
    let run = run_with(dir, &["send", "mixed.http", "--request", "2"], &env);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`aws-elsewhere`") && run.stderr.contains("may not be sent"),
        "{}",
        run.stderr
    );
    assert_eq!(echo.requests().len(), 1);
    outputs.push_str(&run.stderr);

    // The editor.
    let mut client = Client::start_with(
        dir,
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let text = project.read("mixed.http");
    let uri = client.open(&project.path("mixed.http"), &text);
    for (line, store) in [(1, "**Key Vault**"), (2, "**Secrets Manager**")] {
        let column = text.lines().nth(line as usize).unwrap().find("{{").unwrap() as u32 + 4;
        hover_with(&mut client, &uri, (line, column), store);
    }
    let result = client.ok(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.sendRequest",
            "arguments": [{ "uri": uri, "position": { "line": 0, "character": 0 } }]
        }),
    );
    assert_eq!(result["status"], 200, "{result}");
    assert!(
        result["body"].as_str().unwrap().contains("***:***"),
        "{result}"
    );
    assert_eq!(echo.requests().len(), 2);
    let refused = client
        .request(
            "workspace/executeCommand",
            json!({
                "command": "vaultlink.sendRequest",
                "arguments": [{ "uri": uri, "position": { "line": 7, "character": 0 } }]
            }),
        )
        .unwrap_err();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("may not be sent"),
        "{refused}"
    );
    assert_eq!(echo.requests().len(), 2);
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    outputs.push_str(&transcript);
    outputs.push_str(&client.stderr());
    client.shutdown();
    assert_no_value("the outputs", &outputs, &[&a.reader.secret]);
    // Nothing was written to the project but what the fixture holds.
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files, ["mixed.http", "vaultlink.json"]);
}

/// A loopback IAM Identity Center portal: `GET /federation/credentials` answers `role`'s
/// temporary credentials when the request carries
/// `x-amz-sso_bearer_token: <token>`, and 401 otherwise. Every request's path and query is
/// kept.
struct Portal {
    url: String,
    asked: Arc<std::sync::Mutex<Vec<String>>>,
    /// How long the credentials it hands out last, in seconds.
    lifetime: Arc<std::sync::atomic::AtomicU64>,
    _rt: tokio::runtime::Runtime,
}

fn portal(token: &'static str, role: &moto::Session) -> Portal {
    use axum::http::{HeaderMap, StatusCode, Uri};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let role = role.clone();
    let lifetime = Arc::new(std::sync::atomic::AtomicU64::new(3600));
    let lasts = lifetime.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let seen = seen.clone();
        let role = role.clone();
        let lasts = lasts.load(Ordering::SeqCst);
        async move {
            seen.lock().unwrap().push(uri.to_string());
            let bearer = headers
                .get("x-amz-sso_bearer_token")
                .and_then(|v| v.to_str().ok());
            if uri.path() != "/federation/credentials" || bearer != Some(token) {
                return (
                    StatusCode::UNAUTHORIZED,
                    json!({ "message": "Session token not found or invalid" }).to_string(),
                );
            }
            let expiration = (std::time::SystemTime::now() + std::time::Duration::from_secs(lasts))
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_millis() as u64;
            let answer = json!({ "roleCredentials": {
                "accessKeyId": role.keys.id,
                "secretAccessKey": role.keys.secret,
                "sessionToken": role.token,
                "expiration": expiration,
            }});
            (StatusCode::OK, answer.to_string())
        }
    });
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Portal {
        url,
        asked,
        lifetime,
        _rt: rt,
    }
}

const SSO_TOKEN: &str = "sso-bearer-TOKEN-8e21";
/// `~/.aws/sso/cache` file names, as the AWS CLI gives them: the SHA-1 of the session name
/// `corp-sso`, and of the legacy profile's start URL.
const CORP_CACHE: &str = "6f41fd3fbc69a076873a4656707fd9925e5c1f07.json";
const LEGACY_CACHE: &str = "79e435d7a515078e81c9dffc35f38d5687ebd3a7.json";

const SSO_CONFIG: &str = "[profile corp]
sso_session = corp-sso
sso_account_id = 123456789012
sso_role_name = SecretsReader
region = eu-west-1

[sso-session corp-sso]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-central-1
sso_registration_scopes = sso:account:access

[profile legacy]
sso_start_url = https://legacy.awsapps.com/start
sso_region = eu-central-1
sso_account_id = 210987654321
sso_role_name = LegacyReader
";

/// The token file `aws sso login` leaves, expiring `expires`.
fn sso_cache(token: &str, expires: &str) -> String {
    json!({
        "startUrl": "https://corp.awsapps.com/start",
        "region": "eu-central-1",
        "accessToken": token,
        "expiresAt": expires,
        "clientId": "client-id",
        "clientSecret": "client-secret",
        "registrationExpiresAt": "2099-01-01T00:00:00Z",
        "refreshToken": "refresh-token",
    })
    .to_string()
}

#[test]
fn an_aws_sso_login_is_used_without_the_aws_cli() {
    // The role the portal hands out: assumed in moto, so that moto knows its session token
    // and holds it to the role's policy.
    let a = aws_with(
        false,
        moto::assumed_role("SecretsReader", &moto::read_policy()),
    );
    let role = moto::session_of(a.moto.seeded.last().unwrap());
    let echo = Echo::start();
    let project =
        Project::new(&format!("{}{USES}", a.links(r#""127.0.0.1""#)).replace("ECHO", &echo.url()));
    let dir = project.dir.path();
    let portal = portal(SSO_TOKEN, &role);
    let aws_dir = a.home.path().join(".aws");
    let cache = aws_dir.join("sso/cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::write(aws_dir.join("config"), SSO_CONFIG).unwrap();
    std::fs::write(
        cache.join(CORP_CACHE),
        sso_cache(SSO_TOKEN, "2099-01-01T00:00:00Z"),
    )
    .unwrap();
    std::fs::write(
        cache.join(LEGACY_CACHE),
        sso_cache(SSO_TOKEN, "2099-01-01T00:00:00UTC"),
    )
    .unwrap();
    let env = |profile: &str| {
        vec![
            ("AWS_ENDPOINT_URL_SECRETS_MANAGER".to_owned(), a.moto.url()),
            ("AWS_ENDPOINT_URL_SSO".to_owned(), portal.url.clone()),
            ("AWS_PROFILE".to_owned(), profile.to_owned()),
            ("HOME".to_owned(), a.home.path().display().to_string()),
            // No `aws` program to fall back on.
            ("PATH".to_owned(), "/nonexistent".to_owned()),
        ]
    };
    let mut outputs = String::new();

    // `check` with the session profile: the portal is asked for the role, with the token.
    let run = run_with(dir, &["check", "--format", "json"], &env("corp"));
    assert_eq!(
        codes(&run),
        [
            "3 newer-version",
            "8 secret-not-found",
            "9 secret-not-found",
            "10 invalid-link",
            "14 domain-not-allowed"
        ],
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        portal.asked.lock().unwrap().as_slice(),
        ["/federation/credentials?role_name=SecretsReader&account_id=123456789012"]
    );
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);

    // `send`: the values filled in, masked in the output.
    let run = run_with(
        dir,
        &["send", "api.http", "--request", "1", "--json"],
        &env("corp"),
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = echo.requests();
    assert_eq!(got.len(), 1);
    assert!(
        got[0]
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("x-pw") && v == DB_PW),
        "{:?}",
        got[0].headers
    );
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);

    // A legacy profile, its start URL in the profile: the same, for its own role.
    let run = run_with(dir, &["check", "--format", "json"], &env("legacy"));
    assert!(
        codes(&run).contains(&"3 newer-version".to_owned()),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        portal.asked.lock().unwrap().last().unwrap(),
        "/federation/credentials?role_name=LegacyReader&account_id=210987654321"
    );
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);

    // The editor: the same sign-in, found once the workspace is trusted; hover shows what
    // Secrets Manager says, and nothing the portal gave is in any message.
    // The role's credentials last a minute and two seconds here: within the last minute
    // they are renewed from the cached sign-in by the next request, without a reload.
    portal.lifetime.store(62, Ordering::SeqCst);
    let lsp_env = env("corp");
    let mut client = Client::start_with(
        dir,
        Options {
            env: &lsp_env,
            ..Options::default()
        },
    );
    let status = client.wait_notification("vaultlink/signInStatus", |n| {
        n["params"]["aws"]["credentials"] == true
    });
    assert_eq!(
        status["params"]["aws"]["source"], "IAM Identity Center, profile corp",
        "{status}"
    );
    let text = project.read("api.http");
    let uri = client.open(&project.path("api.http"), &text);
    hover_with(&mut client, &uri, (1, 16), "`AWSCURRENT`");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let before = portal.asked.lock().unwrap().len();
    client.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.refresh", "arguments": [{}] }),
    );
    hover_with(&mut client, &uri, (1, 16), "`AWSCURRENT`");
    assert!(portal.asked.lock().unwrap().len() > before);
    portal.lifetime.store(3600, Ordering::SeqCst);
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    outputs.push_str(&transcript);
    outputs.push_str(&client.stderr());
    client.shutdown();

    // An expired sign-in: said, with what to run, and the portal is not asked.
    std::fs::write(
        cache.join(CORP_CACHE),
        sso_cache(SSO_TOKEN, "2020-01-01T00:00:00Z"),
    )
    .unwrap();
    let asked = portal.asked.lock().unwrap().len();
    let run = run_with(dir, &["check", "--format", "json"], &env("corp"));
    assert_eq!(codes(&run), OFFLINE, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("its sign-in expired on 2020-01-01 00:00 UTC")
            && run.stderr.contains("run `aws sso login --profile corp`"),
        "{}",
        run.stderr
    );
    assert_eq!(portal.asked.lock().unwrap().len(), asked);
    let run2 = run_with(dir, &["send", "api.http", "--request", "1"], &env("corp"));
    assert_eq!(run2.code, 1);
    assert!(
        run2.stderr.contains("run `aws sso login --profile corp`"),
        "{}",
        run2.stderr
    );
    assert_eq!(echo.requests().len(), 1);
    outputs.push_str(&run.stderr);
    outputs.push_str(&run2.stderr);

    // No sign-in at all, and a token the portal no longer takes.
    std::fs::remove_file(cache.join(CORP_CACHE)).unwrap();
    let run = run_with(dir, &["check", "--format", "json"], &env("corp"));
    assert!(
        run.stderr
            .contains("there is no cached sign-in: run `aws sso login --profile corp`"),
        "{}",
        run.stderr
    );
    outputs.push_str(&run.stderr);
    std::fs::write(
        cache.join(CORP_CACHE),
        sso_cache("revoked-TOKEN-0b7d", "2099-01-01T00:00:00Z"),
    )
    .unwrap();
    let run = run_with(dir, &["check", "--format", "json"], &env("corp"));
    assert_eq!(codes(&run), OFFLINE, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("the IAM Identity Center portal refused its sign-in (401 Unauthorized): run `aws sso login --profile corp`"),
        "{}",
        run.stderr
    );
    outputs.push_str(&run.stderr);

    // A sign-in made while the editor runs (`aws sso login` in a terminal) is picked up by
    // `vaultlink.refresh`, without a reload.
    std::fs::remove_file(cache.join(CORP_CACHE)).unwrap();
    let mut client = Client::start_with(
        dir,
        Options {
            env: &lsp_env,
            ..Options::default()
        },
    );
    let signed_in = |n: &Value| n["params"]["aws"]["credentials"] == true;
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        !client
            .transcript()
            .iter()
            .any(|(_, m)| serde_json::from_str::<Value>(m).is_ok_and(|n| signed_in(&n))),
        "signed in with no cached sign-in"
    );
    std::fs::write(
        cache.join(CORP_CACHE),
        sso_cache(SSO_TOKEN, "2099-01-01T00:00:00Z"),
    )
    .unwrap();
    client.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.refresh", "arguments": [{}] }),
    );
    client.wait_notification("vaultlink/signInStatus", signed_in);
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    outputs.push_str(&transcript);
    outputs.push_str(&client.stderr());
    client.shutdown();

    // Neither token, nor the role's keys, nor a value, anywhere in what was printed.
    assert_no_value(
        "the outputs",
        &outputs,
        &[
            SSO_TOKEN,
            "revoked-TOKEN-0b7d",
            &role.token,
            &role.keys.secret,
            "refresh-token",
            "client-secret",
        ],
    );
    // Nothing was written beside the sign-in cache.
    let mut cached: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    cached.sort();
    assert_eq!(cached, [CORP_CACHE, LEGACY_CACHE]);
}

#[test]
fn the_editor_pins_a_secrets_manager_link_and_moves_it_to_the_latest_version() {
    let a = aws(false);
    let current = a.moto.seeded[6]["VersionId"].as_str().unwrap().to_owned();
    let token_version = a.moto.seeded[7]["VersionId"].as_str().unwrap().to_owned();
    let project = Project::new(
        &format!("{}{USES}", a.links(r#""127.0.0.1""#)).replace("ECHO", "http://127.0.0.1:9"),
    );
    let env = a.env(&a.reader);
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let text = project.read("api.http");
    let uri = client.open(&project.path("api.http"), &text);
    let has = |p: &Value, code: &str| {
        p["diagnostics"]
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == code))
    };
    client.wait_diagnostics_where(&uri, |p| has(p, "newer-version"));
    let actions = |client: &mut Client, name: &str| -> Vec<Value> {
        let at = text.find(&format!("vault:{name}")).unwrap() + 7;
        let range = client.range(&uri, at, at);
        client
            .ok(
                "textDocument/codeAction",
                json!({ "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": [] } }),
            )
            .as_array()
            .unwrap()
            .clone()
    };
    let titled = |list: &[Value], title: &str| -> Value {
        list.iter()
            .find(|a| a["title"] == title)
            .unwrap_or_else(|| panic!("no action `{title}`: {list:#?}"))
            .clone()
    };
    let link_after = |client: &Client, action: &Value, name: &str| -> String {
        let edited = client.texts_after(&action["edit"]);
        let links: Value = serde_json::from_str(edited.values().next().unwrap()).unwrap();
        links["secrets"][name]["link"].as_str().unwrap().to_owned()
    };

    // A link to the current version: pinned to the AWSCURRENT version, its JSON key kept.
    let list = actions(&mut client, "db-password");
    let pin_db = titled(
        &list,
        &format!(
            "Pin `db-password` to the current version ({})",
            &current[..8]
        ),
    );
    let pin = &pin_db;
    assert_eq!(pin["kind"], "refactor.rewrite");
    assert_eq!(
        link_after(&client, pin, "db-password"),
        format!("{}?versionId={current}#password", a.db_arn)
    );
    // The name-and-region form keeps its form.
    let list = actions(&mut client, "api-token");
    let pin = titled(
        &list,
        &format!(
            "Pin `api-token` to the current version ({})",
            &token_version[..8]
        ),
    );
    assert_eq!(
        link_after(&client, &pin, "api-token"),
        format!("secretsmanager://{REGION}/api-token?versionId={token_version}")
    );
    // A version that is no longer AWSCURRENT: the quick fix of `newer-version` reads the
    // latest again.
    let list = actions(&mut client, "db-old");
    let latest = titled(&list, "Use the latest version of `db-old`");
    assert_eq!(latest["kind"], "quickfix");
    assert_eq!(
        link_after(&client, &latest, "db-old"),
        format!("{}#password", a.db_arn)
    );
    assert!(
        !list
            .iter()
            .any(|a| a["title"].as_str().unwrap().starts_with("Pin `db-old`")),
        "{list:#?}"
    );

    // Once pinned to the current version, as an editor applies it, there is nothing to move.
    client.apply_to_disk(&pin_db["edit"]);
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": vaultlink_e2e::lsp::file_uri(&project.path("vaultlink.json")), "type": 2 }] }),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let list = actions(&mut client, "db-password");
        let titles: Vec<&str> = list.iter().filter_map(|a| a["title"].as_str()).collect();
        if !titles.iter().any(|t| t.starts_with("Pin `db-password`")) {
            assert!(
                !titles.iter().any(|t| t.contains("latest version")),
                "{titles:?}"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{titles:?}");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    assert_no_value("the LSP messages", &transcript, &[&a.reader.secret]);
    client.shutdown();
}

#[test]
fn links_json_gives_each_store_its_own_fields() {
    let project = Project::new(
        r#"//- /vaultlink.json
{
  "secrets": {
    "kv": { "link": "https://corp-kv.vault.azure.net/secrets/kv-token", "allowedDomains": ["api.example.com"] },
    "db": { "link": "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:prod/db-AbCdEf?versionId=3f1e2d4c-0000-4a5b-9c8d-7e6f5a4b3c2d#password" },
    "prev": { "link": "secretsmanager://eu-west-1/api-token?versionStage=AWSPREVIOUS" },
    "bad": { "link": "arn:aws:secretsmanager:eu-west-1:12345:secret:x" }
  }
}
"#,
    );
    let run = run_with(project.dir.path(), &["links", "--json"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        rows,
        json!([
            {
                "name": "kv",
                "link": "https://corp-kv.vault.azure.net/secrets/kv-token",
                "provider": "azureKeyVault",
                "secret": "kv-token",
                "version": null,
                "vault": "corp-kv",
                "allowedDomains": ["api.example.com"],
                "problem": null
            },
            {
                "name": "db",
                "link": "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:prod/db-AbCdEf?versionId=3f1e2d4c-0000-4a5b-9c8d-7e6f5a4b3c2d#password",
                "provider": "awsSecretsManager",
                "secret": "prod/db",
                "version": "3f1e2d4c-0000-4a5b-9c8d-7e6f5a4b3c2d",
                "partition": "aws-cn",
                "region": "cn-north-1",
                "account": "123456789012",
                "stage": null,
                "key": "password",
                "allowedDomains": [],
                "problem": null
            },
            {
                "name": "prev",
                "link": "secretsmanager://eu-west-1/api-token?versionStage=AWSPREVIOUS",
                "provider": "awsSecretsManager",
                "secret": "api-token",
                "version": null,
                "partition": "aws",
                "region": "eu-west-1",
                "account": null,
                "stage": "AWSPREVIOUS",
                "key": null,
                "allowedDomains": [],
                "problem": null
            },
            {
                "name": "bad",
                "link": "arn:aws:secretsmanager:eu-west-1:12345:secret:x",
                "provider": null,
                "secret": null,
                "version": null,
                "allowedDomains": [],
                "problem": "the account must be 12 digits"
            }
        ]),
        "{}",
        run.stdout
    );
}

/// A loopback service that answers every request with `answer(method, path?query, headers,
/// body)`, keeping each request's path and query.
struct Service {
    url: String,
    asked: Arc<std::sync::Mutex<Vec<String>>>,
    _rt: tokio::runtime::Runtime,
}

type Answer = fn(&axum::http::HeaderMap, &str, &moto::Session) -> (u16, String);

fn service(role: &moto::Session, answer: Answer) -> Service {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, StatusCode, Uri};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let asked = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = asked.clone();
    let role = role.clone();
    let app = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap, body: Bytes| {
        let seen = seen.clone();
        let role = role.clone();
        async move {
            seen.lock().unwrap().push(uri.to_string());
            let (status, body) = answer(&headers, &String::from_utf8_lossy(&body), &role);
            (StatusCode::from_u16(status).unwrap(), body)
        }
    });
    rt.spawn(async move { axum::serve(listener, app).await.unwrap() });
    Service {
        url,
        asked,
        _rt: rt,
    }
}

const WEB_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.web-IDENTITY-3c9a.sig";
const CONTAINER_TOKEN: &str = "container-AUTH-77d0";
const WEB_ROLE: &str = "arn:aws:iam::123456789012:role/SecretsReader";

/// STS's `AssumeRoleWithWebIdentity`, as documented: a form with the role and the token,
/// answered with the role's credentials in XML.
fn sts(_: &axum::http::HeaderMap, body: &str, role: &moto::Session) -> (u16, String) {
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect();
    let field = |k: &str| form.get(k).map(String::as_str);
    if field("Action") != Some("AssumeRoleWithWebIdentity")
        || field("Version") != Some("2011-06-15")
        || field("RoleArn") != Some(WEB_ROLE)
        || field("RoleSessionName") != Some("ci-job")
    {
        return (
            400,
            format!(
                "<ErrorResponse><Error><Code>ValidationError</Code><Message>{body}</Message></Error></ErrorResponse>"
            ),
        );
    }
    if field("WebIdentityToken") != Some(WEB_TOKEN) {
        return (
            400,
            "<ErrorResponse><Error><Code>InvalidIdentityToken</Code><Message>Couldn't retrieve verification key from your identity provider</Message></Error></ErrorResponse>".to_owned(),
        );
    }
    (
        200,
        format!(
            "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey><SessionToken>{}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>",
            role.keys.id, role.keys.secret, role.token
        ),
    )
}

/// The ECS/EKS container endpoint: the role's credentials for the right `Authorization`.
fn container(headers: &axum::http::HeaderMap, _: &str, role: &moto::Session) -> (u16, String) {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(CONTAINER_TOKEN) {
        return (401, "{}".to_owned());
    }
    (
        200,
        json!({
            "AccessKeyId": role.keys.id,
            "SecretAccessKey": role.keys.secret,
            "Token": role.token,
            "Expiration": "2099-01-01T00:00:00Z",
        })
        .to_string(),
    )
}

#[test]
fn web_identity_container_and_credential_process_need_no_keys() {
    let a = aws_with(
        false,
        moto::assumed_role("SecretsReader", &moto::read_policy()),
    );
    let role = moto::session_of(a.moto.seeded.last().unwrap());
    let project = Project::new(&checked(&a));
    let dir = project.dir.path();
    let token_file = a.home.path().join("web-identity-token");
    std::fs::write(&token_file, format!("{WEB_TOKEN}\n")).unwrap();
    let sts = service(&role, sts);
    let base = vec![
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER".to_owned(), a.moto.url()),
        ("HOME".to_owned(), a.home.path().display().to_string()),
        ("PATH".to_owned(), "/nonexistent".to_owned()),
    ];
    let with = |extra: &[(&str, String)]| {
        let mut env = base.clone();
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        env
    };
    let web = with(&[
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("AWS_ROLE_ARN", WEB_ROLE.to_owned()),
        ("AWS_ROLE_SESSION_NAME", "ci-job".to_owned()),
        ("AWS_ENDPOINT_URL_STS", sts.url.clone()),
    ]);
    let mut outputs = String::new();
    let run = run_with(dir, &["check", "--format", "json"], &web);
    assert!(
        codes(&run).contains(&"3 newer-version".to_owned()),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(sts.asked.lock().unwrap().len(), 1);
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);
    // A token STS does not take: said, with STS's code, and nothing checked.
    std::fs::write(&token_file, "not-the-token").unwrap();
    let run = run_with(dir, &["check", "--format", "json"], &web);
    assert_eq!(codes(&run), OFFLINE, "{}", run.stderr);
    assert!(
        run.stderr.contains(&format!(
            "the AWS role `{WEB_ROLE}` could not be assumed with the web identity token: STS refused it (InvalidIdentityToken)"
        )),
        "{}",
        run.stderr
    );
    outputs.push_str(&run.stderr);

    // The container endpoint, with its authorization token from a file.
    let endpoint = service(&role, container);
    let auth_file = a.home.path().join("container-token");
    std::fs::write(&auth_file, CONTAINER_TOKEN).unwrap();
    let run = run_with(
        dir,
        &["check", "--format", "json"],
        &with(&[
            (
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                format!("{}/v1/credentials", endpoint.url),
            ),
            (
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
                auth_file.display().to_string(),
            ),
        ]),
    );
    assert!(
        codes(&run).contains(&"3 newer-version".to_owned()),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(
        endpoint.asked.lock().unwrap().as_slice(),
        ["/v1/credentials"]
    );
    outputs.push_str(&run.stdout);
    outputs.push_str(&run.stderr);
    assert_no_value(
        "the outputs",
        &outputs,
        &[WEB_TOKEN, CONTAINER_TOKEN, &role.token, &role.keys.secret],
    );
}
