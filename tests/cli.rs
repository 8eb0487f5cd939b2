//! The command line, end to end: the built binary in throwaway projects.

use vaultlink_e2e::Project;

const LINKS: &str = r#"//- /vaultlink.json
{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com"]
    },
    "bad": { "link": "https://corp-kv.vault.azure.net/secrets/bad/123" },
    "evil": { "link": "https://evil.example.com/secrets/x" }
  }
}
"#;

#[test]
fn check_prints_one_line_per_finding_with_character_columns() {
    let p = Project::new(&format!(
        "{LINKS}//- /api/a.http
### é 中文 😀 before the reference on the same line
GET https://evil.test/x?a=é中😀&k={{{{vault:stripe-key}}}}
X-Missing: {{{{vault:missing}}}}
X-Bad: {{{{vault:bad}}}} {{{{vault:evil}}}} {{{{vault:}}}}
X-Var: {{{{nowhere}}}}
"
    ));
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1, "errors found: exit 1\n{}", run.stderr);
    let expected = [
        "api/a.http:2:33: error[domain-not-allowed]: `stripe-key` may not be sent to `evil.test`: vaultlink.json allows only api.stripe.com",
        "api/a.http:3:12: warning[unlinked-secret]: `missing` is not linked: add it to vaultlink.json with `vaultlink link missing <identifier>`",
        "api/a.http:4:8: error[invalid-link]: the link for `bad` in vaultlink.json is not usable: the version `123` must be 32 hexadecimal digits (or leave it out for the latest version)",
        "api/a.http:4:22: error[untrusted-host]: the link for `evil` in vaultlink.json is not usable: `evil.example.com` is not a Key Vault host",
        "api/a.http:4:37: error[invalid-reference]: the vault reference has no name: write `{{vault:NAME}}`",
        "api/a.http:5:8: warning[undefined-variable]: `nowhere` is not defined in this file or an environment",
    ];
    let lines: Vec<&str> = run.stdout.lines().collect();
    let (refs, links): (Vec<&str>, Vec<&str>) = lines.iter().partition(|l| l.starts_with("api/"));
    assert_eq!(refs, expected, "\n{}", run.stdout);
    // The links file reports its own broken links, at the link values.
    assert_eq!(links.len(), 2, "{}", run.stdout);
    assert!(
        links[0].starts_with("vaultlink.json:7:22: error[invalid-link]:"),
        "{}",
        links[0]
    );
    assert!(
        links[1].starts_with("vaultlink.json:8:23: error[untrusted-host]:"),
        "{}",
        links[1]
    );
    assert!(
        run.stderr.contains("2 files checked: 6 errors, 2 warnings"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_json_output() {
    let p = Project::new("//- /a.http\nGET https://x.test\nA: 😀{{vault:k}}\n");
    let run = p.run(&["check", "--format", "json", "a.http"]);
    assert_eq!(run.code, 0, "warnings only: exit 0\n{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([{
            "file": "a.http", "line": 2, "column": 5, "endLine": 2, "endColumn": 16,
            "severity": "warning", "code": "unlinked-secret",
            "message": "`k` is not linked: no vaultlink.json was found; create one with `vaultlink link k <identifier>`"
        }])
    );
}

#[test]
fn check_collection_ranges_go_through_json_escapes() {
    let p = Project::new(
        r#"//- /c.postman_collection.json
{"info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [{"name": "r", "request": {"url": "https://x.test", "header": [{"key": "A", "value": "\u00e9\"\t{{vault:k}}"}]},
   "event": [{"listen": "test", "script": {"exec": ["const s = pm.vault.get(\"caf\u00e9\");"]}}]}]}
"#,
    );
    let run = p.run(&["check", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let at: Vec<(String, u64, u64, u64)> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
                f["endColumn"].as_u64().unwrap(),
            )
        })
        .collect();
    // Line 2: `{{vault:k}}` stands after `\u00e9\"\t` (6 + 2 + 2 source characters); line 3:
    // the script's name is `caf\u00e9` in the source (9 characters).
    let src = p.read("c.postman_collection.json");
    let col = src.lines().nth(1).unwrap().find("{{vault:k}}").unwrap() + 1;
    let name_col = src.lines().nth(2).unwrap().find(r"caf\u00e9").unwrap() + 1;
    assert_eq!(
        at,
        vec![
            (
                "unlinked-secret".to_string(),
                2,
                col as u64,
                col as u64 + 11
            ),
            (
                "script-access-disabled".to_string(),
                3,
                name_col as u64,
                name_col as u64 + 9
            ),
            (
                "unlinked-secret".to_string(),
                3,
                name_col as u64,
                name_col as u64 + 9
            ),
        ]
    );
}

#[test]
fn check_respects_gitignore_and_reports_bad_paths() {
    let p = Project::new(
        "//- /.gitignore\nbuild/\n//- /build/x.http\nGET https://x.test/{{vault:}}\n//- /ok.http\nGET https://x.test\n",
    );
    let run = p.run(&["check"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    let run = p.run(&["check", "missing-folder"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("`missing-folder` does not exist"),
        "{}",
        run.stderr
    );
    let run = p.run(&["check", "--env", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no environment named `nope`"),
        "{}",
        run.stderr
    );
}

#[test]
fn check_reports_malformed_json_with_positions_and_goes_on() {
    let p = Project::new(
        "//- /vaultlink.json\n{\"secrets\": {\"a\": {\"link\": }}\n//- /c.postman_collection.json\n{\"info\": {\"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/collection.json\"}, \"item\": [\n//- /a.http\nGET https://x.test\nA: {{vault:a}}\n",
    );
    let run = p.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("c.postman_collection.json:2:1: error[syntax-error]"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("vaultlink.json:1:28: error[syntax-error]: expected a value"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("a.http:2:4: error[invalid-link]"),
        "{}",
        run.stdout
    );
}

#[test]
fn check_with_an_environment() {
    let p = Project::new(
        r#"//- /vaultlink.json
{"secrets": {"k": {"link": "https://corp-kv.vault.azure.net/secrets/k", "allowedDomains": ["*.good.test"]}}}
//- /http-client.env.json
{"dev": {"host": "https://api.good.test"}, "prod": {"host": "https://api.bad.test", "extra": "1"}}
//- /a.http
GET {{host}}/x?e={{extra}}
Authorization: {{vault:k}}
"#,
    );
    let run = p.run(&["check", "--env", "dev"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        run.stdout,
        "a.http:1:18: warning[undefined-variable]: `extra` is not defined in this file or the environment `dev`\n"
    );
    let run = p.run(&["check", "--env", "prod"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout,
        "a.http:2:16: error[domain-not-allowed]: `k` may not be sent to `api.bad.test`: vaultlink.json allows only *.good.test\n"
    );
}

#[test]
fn requests_json_for_http_files() {
    let p = Project::new(
        "//- /a.http
@host = https://x.test
### first
# @name login
POST {{host}}/login
    ?next=/home
Content-Type: application/json
X-Long: a
  b

{\"user\": \"é\"}

> {% client.global.set(\"t\", 1) %}

###
https://x.test/plain
",
    );
    let run = p.run(&["requests", "a.http", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"index": 1, "name": "login", "method": "POST", "url": "{{host}}/login?next=/home", "line": 4,
             "headers": [["Content-Type", "application/json"], ["X-Long", "a b"]], "body": "{\"user\": \"é\"}"},
            {"index": 2, "name": null, "method": "GET", "url": "https://x.test/plain", "line": 15,
             "headers": [], "body": null}
        ])
    );
    let text = p.run(&["requests", "a.http"]);
    assert_eq!(
        text.stdout,
        "  1  POST {{host}}/login?next=/home  (line 4)  login\n  2  GET https://x.test/plain  (line 15)\n"
    );
}

#[test]
fn requests_json_for_collections() {
    let p = Project::new(
        r#"//- /c.postman_collection.json
{"info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
 "item": [{"name": "Folder", "item": [{"name": "Sub", "item": [
   {"name": "Item", "request": {"method": "PUT", "url": {"raw": "{{base}}/x?q=1"},
     "header": [{"key": "A", "value": "{{vault:k}}"}, {"key": "Off", "value": "1", "disabled": true}],
     "body": {"mode": "raw", "raw": "{\"a\": 1}"}}}]}]},
  {"name": "Top", "request": {"url": "https://x.test", "body": {"mode": "urlencoded", "urlencoded": [{"key": "a", "value": "1"}, {"key": "b", "value": "2", "disabled": true}]}}}]}
"#,
    );
    let run = p.run(&["requests", "c.postman_collection.json", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"index": 1, "name": "Folder/Sub/Item", "method": "PUT", "url": "{{base}}/x?q=1", "line": null,
             "headers": [["A", "{{vault:k}}"]], "body": "{\"a\": 1}"},
            {"index": 2, "name": "Top", "method": "GET", "url": "https://x.test", "line": null,
             "headers": [], "body": "a=1"}
        ])
    );
    let run = p.run(&["requests", "nope.http"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("cannot read nope.http"),
        "{}",
        run.stderr
    );
}

#[test]
fn link_creates_edits_and_refuses() {
    let p = Project::new("//- /sub/keep.txt\n");
    let sub = p.path("sub");
    let run = vaultlink_e2e::run_in(
        &sub,
        &[
            "link",
            "stripe-key",
            "https://corp-kv.vault.azure.net/secrets/stripe-key",
            "--allow-domain",
            "api.stripe.com",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        p.read("sub/vaultlink.json"),
        "{\n  \"secrets\": {\n    \"stripe-key\": {\n      \"link\": \"https://corp-kv.vault.azure.net/secrets/stripe-key\",\n      \"allowedDomains\": [\"api.stripe.com\"]\n    }\n  }\n}\n"
    );
    // A hand-edited file keeps its layout: tabs, key order, other content.
    let hand = "{\n\t\"azure\": {\"tenant\": \"contoso.onmicrosoft.com\"},\n\t\"secrets\": {\n\t\t\"a\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/a\"}\n\t}\n}\n";
    std::fs::write(p.path("sub/vaultlink.json"), hand).unwrap();
    let run = vaultlink_e2e::run_in(
        &sub,
        &["link", "b", "https://corp-kv.vault.azure.net/secrets/b"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        p.read("sub/vaultlink.json"),
        "{\n\t\"azure\": {\"tenant\": \"contoso.onmicrosoft.com\"},\n\t\"secrets\": {\n\t\t\"a\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/a\"},\n\t\t\"b\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/b\"}\n\t}\n}\n"
    );
    let before = p.read("sub/vaultlink.json");
    for (args, says) in [
        (
            vec!["link", "x", "https://evil.example.com/secrets/x"],
            "not a Key Vault host",
        ),
        (
            vec!["link", "x", "https://corp-kv.vault.azure.net/keys/x"],
            "not a Key Vault secret identifier",
        ),
        (
            vec![
                "link",
                "bad name",
                "https://corp-kv.vault.azure.net/secrets/x",
            ],
            "cannot be a reference name",
        ),
        (
            vec![
                "link",
                "x",
                "https://corp-kv.vault.azure.net/secrets/x",
                "--allow-domain",
                "a/b",
            ],
            "not a domain pattern",
        ),
    ] {
        let run = vaultlink_e2e::run_in(&sub, &args);
        assert_eq!(run.code, 2, "{args:?}");
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
        assert_eq!(
            p.read("sub/vaultlink.json"),
            before,
            "{args:?} left the file untouched"
        );
    }
    // A broken file is not edited.
    std::fs::write(p.path("sub/vaultlink.json"), "{\"secrets\": {").unwrap();
    let run = vaultlink_e2e::run_in(
        &sub,
        &["link", "c", "https://corp-kv.vault.azure.net/secrets/c"],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not valid JSON"), "{}", run.stderr);
    assert_eq!(p.read("sub/vaultlink.json"), "{\"secrets\": {");
}

#[test]
fn unlink_and_links() {
    let p = Project::new(&format!("{LINKS}//- /deep/er/x.txt\n"));
    let deep = p.path("deep/er");
    let run = vaultlink_e2e::run_in(&deep, &["links", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v[0]["name"], "stripe-key");
    assert_eq!(v[0]["provider"], "azureKeyVault");
    assert_eq!(v[0]["vault"], "corp-kv");
    assert_eq!(v[0]["secret"], "stripe-key");
    assert_eq!(
        v[0]["allowedDomains"],
        serde_json::json!(["api.stripe.com"])
    );
    assert!(
        v[1]["problem"]
            .as_str()
            .unwrap()
            .contains("32 hexadecimal digits")
    );
    let run = vaultlink_e2e::run_in(&deep, &["links"]);
    assert!(run.stdout.starts_with("stripe-key  https://corp-kv.vault.azure.net/secrets/stripe-key  [allowed: api.stripe.com]\n"), "{}", run.stdout);

    let run = vaultlink_e2e::run_in(&deep, &["unlink", "bad"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!p.read("vaultlink.json").contains("\"bad\""));
    assert!(p.read("vaultlink.json").contains("\"evil\""));
    let run = vaultlink_e2e::run_in(&deep, &["unlink", "bad"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("`bad` is not linked"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let p = Project::new("//- /x.txt\n");
    assert_eq!(p.run(&["frobnicate"]).code, 2);
    assert_eq!(p.run(&["check", "--format", "yaml"]).code, 2);
    let run = p.run(&["check", "x.txt"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("is not a file vaultlink reads"),
        "{}",
        run.stderr
    );
    assert_eq!(p.run(&["--version"]).code, 0);
}

/// Runs the binary in `dir`, killed when it runs past five seconds; the run and its time.
fn run_briefly(dir: &std::path::Path, args: &[&str]) -> (vaultlink_e2e::Run, std::time::Duration) {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let started = std::time::Instant::now();
    let mut cmd = Command::new(vaultlink_e2e::bin());
    for var in vaultlink_e2e::AZURE_VARS {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let status = vaultlink_e2e::wait_or_kill(&mut child, std::time::Duration::from_secs(5));
    let elapsed = started.elapsed();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = status.unwrap_or_else(|| {
        panic!(
            "`vaultlink {}` still ran after five seconds",
            args.join(" ")
        )
    });
    let run = vaultlink_e2e::Run {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    };
    (run, elapsed)
}

#[test]
fn stray_closing_brackets_answer_at_once_with_their_position() {
    let p = Project::new(
        "//- /x.postman_collection.json\n{\"a\":1]}\n//- /links/vaultlink.json\n{\"secrets\":{\"a\":{\"link\":\"x\"]}}\n//- /env/x.postman_environment.json\n{\"values\": [\n  {\"key\": \"a\", \"value\": \"x\"}}\n]}\n//- /env/http-client.env.json\n{\"dev\": {\"a\": \"x\"]}}\n//- /env/http-client.private.env.json\n{\"dev\": [{\"a\": \"x\"]}\n",
    );
    let (run, took) = run_briefly(
        p.dir.path(),
        &["check", "--offline", "x.postman_collection.json"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stdout,
        "x.postman_collection.json:1:7: error[syntax-error]: unexpected `]`: no array is open here\n"
    );
    assert!(took.as_millis() < 2000, "check took {took:?}");

    let (run, took) = run_briefly(&p.path("links"), &["links"]);
    assert_eq!(run.code, 2, "{run:?}");
    let first = run.stderr.lines().next().unwrap_or_default();
    assert!(
        first.ends_with(
            "/vaultlink.json:1:28: error[syntax-error]: unexpected `]`: no array is open here"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(run.stdout, "", "nothing is listed from a broken file");
    assert!(took.as_millis() < 2000, "links took {took:?}");

    let (run, took) = run_briefly(&p.path("env"), &["check", "--offline"]);
    assert_eq!(run.code, 1, "{run:?}");
    let mut lines: Vec<&str> = run.stdout.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        [
            "http-client.env.json:1:18: error[syntax-error]: unexpected `]`: no array is open here",
            "http-client.private.env.json:1:19: error[syntax-error]: expected `}` to close the object before `]`",
            "http-client.private.env.json:1:9: error[syntax-error]: environment `dev` should be an object of variables, like {\"host\": \"…\"}, not an array",
            "x.postman_environment.json:2:29: error[syntax-error]: expected `]` to close the array before `}`",
            "x.postman_environment.json:3:1: error[syntax-error]: unexpected text after the end of the JSON value",
        ],
        "{}",
        run.stdout
    );
    assert!(took.as_millis() < 2000, "check took {took:?}");
}

#[test]
fn send_resolves_a_vault_name_built_from_a_variable() {
    let p =
        Project::new("//- /a.http\n@user = api\nGET https://x.test/?k={{vault:{{user}}-key}}\n");
    let run = p.run(&["send", "--dry-run", "a.http"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(
        run.stderr,
        "vaultlink: #1 was not sent: `{{vault:api-key}}` is not linked: run `vaultlink link api-key <identifier>` or add it to vaultlink.json\n"
    );
}

/// The temporary files writes to `vaultlink.json` left in `dir`.
fn temporaries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(".vaultlink.json.") && name.ends_with(".tmp")
        })
        .collect()
}

#[test]
fn killed_link_writes_never_tear_and_their_leftovers_go_with_the_next_write() {
    use std::time::{Duration, Instant};
    // A large links file, so that a write takes long enough to be killed in the middle.
    let entries: Vec<String> = (0..5_000)
        .map(|i| {
            format!(
                "    \"s{i}\": {{ \"link\": \"https://corp-kv.vault.azure.net/secrets/s{i}\" }}"
            )
        })
        .collect();
    let p = Project::new(&format!(
        "//- /vaultlink.json\n{{\n  \"secrets\": {{\n{}\n  }}\n}}\n",
        entries.join(",\n")
    ));
    let id = |name: &str| format!("https://corp-kv.vault.azure.net/secrets/{name}");
    let started = Instant::now();
    assert_eq!(p.run(&["link", "warm", &id("warm")]).code, 0);
    let one_run = started.elapsed();

    let mut killed_with_leftover = 0;
    for i in 0..100u32 {
        let name = format!("k{i}");
        let before = p.read("vaultlink.json");
        let mut child = std::process::Command::new(vaultlink_e2e::bin())
            .args(["link", &name, &id(&name)])
            .current_dir(p.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let temps_before = temporaries(p.dir.path()).len();
        if i % 2 == 0 {
            // Kill points spread over a whole run, from start-up to the rename.
            std::thread::sleep(one_run * i / 100);
        } else {
            // The moment the temporary file appears: in the middle of the write.
            while temporaries(p.dir.path()).len() == temps_before
                && child.try_wait().unwrap().is_none()
            {
                std::hint::spin_loop();
            }
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let after = p.read("vaultlink.json");
        let parsed: serde_json::Value = serde_json::from_str(&after)
            .unwrap_or_else(|e| panic!("kill {i} left vaultlink.json torn: {e}"));
        assert!(
            after == before || parsed["secrets"][&name]["link"] == id(&name),
            "kill {i} left vaultlink.json neither as it was nor as written"
        );
        killed_with_leftover += usize::from(temporaries(p.dir.path()).len() > temps_before);
    }
    let left = temporaries(p.dir.path());
    eprintln!(
        "100 killed writes ({one_run:?} a run): {killed_with_leftover} left a temporary file"
    );
    assert!(
        !left.is_empty(),
        "no kill landed while the temporary file existed: the test proves nothing"
    );
    // A minute later, the next write removes them; one a writer is using now stays.
    let old = std::time::SystemTime::now() - Duration::from_secs(120);
    for t in &left {
        std::fs::File::options()
            .write(true)
            .open(t)
            .unwrap()
            .set_modified(old)
            .unwrap();
    }
    let busy = p.path(".vaultlink.json.Busy01.tmp");
    std::fs::write(&busy, "a write in progress").unwrap();
    let run = p.run(&["link", "after", &id("after")]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(temporaries(p.dir.path()), vec![busy]);
    let parsed: serde_json::Value = serde_json::from_str(&p.read("vaultlink.json")).unwrap();
    assert_eq!(parsed["secrets"]["s4999"]["link"], id("s4999"));
    assert_eq!(parsed["secrets"]["after"]["link"], id("after"));
}

#[test]
fn send_stops_at_a_variable_that_repeats_itself() {
    let p = Project::new(
        "//- /a.http\n@host = {{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}{{host}}\nGET https://{{host}}/x\n",
    );
    let (run, took) = run_briefly(p.dir.path(), &["send", "--dry-run", "a.http"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr
            .contains("`host` refers to itself through other variables"),
        "{}",
        run.stderr
    );
    assert!(took.as_millis() < 2000, "send took {took:?}");
}

/// A `vaultlink.json` that is not valid JSON is handled one way by every command: the place
/// it breaks, in `check`'s format, then (but for `check`, which reports it as a finding) a
/// clear refusal, exit 2 ("could not run"), and the file untouched.
#[test]
fn a_broken_links_file_is_refused_the_same_way_everywhere() {
    let broken = "{\n  \"secrets\": {\n    \"a\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/a\" },\n  }\n}\n";
    let p = Project::new(&format!(
        "//- /vaultlink.json\n{broken}//- /a.http\nGET https://api.example.com/x\nX-Key: {{{{vault:a}}}}\n"
    ));
    let at = "vaultlink.json:3:65: error[syntax-error]: trailing comma";

    let run = p.run(&["check", "--offline"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains(at), "{run:?}");

    for (args, consequence) in [
        (vec!["links"], "no link was listed"),
        (vec!["links", "--json"], "no link was listed"),
        (vec!["send", "a.http", "--dry-run"], "nothing was sent"),
        (vec!["send", "a.http"], "nothing was sent"),
        (
            vec!["link", "b", "https://corp-kv.vault.azure.net/secrets/b"],
            "nothing was written",
        ),
        (vec!["unlink", "a"], "nothing was written"),
    ] {
        let run = p.run(&args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert_eq!(run.stdout, "", "{args:?}: {run:?}");
        // The file is named as found: from the current folder upwards, or beside the request.
        let dir = format!("{}/", p.dir.path().display());
        assert_eq!(
            run.stderr.replace(&dir, ""),
            format!(
                "{at}\nvaultlink: vaultlink.json is not valid JSON: fix it first; {consequence}\n"
            ),
            "{args:?}"
        );
        assert_eq!(p.read("vaultlink.json"), broken, "{args:?}");
    }
}

/// A `vaultlink.json` that `link` creates is meant to be committed and shared: its mode is a
/// new file's (0666 less the umask), not a temporary file's 0600.
#[cfg(unix)]
#[test]
fn a_links_file_created_by_link_follows_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    for (umask, mode) in [("022", 0o644), ("002", 0o664), ("077", 0o600)] {
        let p = Project::new("//- /keep.txt\n");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask} && exec \"$0\" link a https://corp-kv.vault.azure.net/secrets/a"
            ))
            .arg(vaultlink_e2e::bin())
            .current_dir(p.dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        let got = std::fs::metadata(p.path("vaultlink.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(got, mode, "umask {umask}: mode {got:o}");
        // An existing file keeps its mode through an edit.
        std::fs::set_permissions(
            p.path("vaultlink.json"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        let run = p.run(&["link", "b", "https://corp-kv.vault.azure.net/secrets/b"]);
        assert_eq!(run.code, 0, "{run:?}");
        let kept = std::fs::metadata(p.path("vaultlink.json"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(kept, 0o640);
    }
}

/// `check` says when it found nothing to check; a file it cannot read as text means it could
/// not run (exit 2); `requests` says when a file has none.
#[test]
fn nothing_to_check_unreadable_files_and_no_requests_are_said() {
    let p = Project::new("//- /empty/keep.txt\n//- /none.http\n");
    let run = p.run(&["check", "--offline", "empty"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stderr,
        "vaultlink: nothing to check in empty: no .http or .rest file, Postman collection or environment, http-client.env.json or vaultlink.json was found\n"
    );

    std::fs::write(
        p.path("latin1.http"),
        b"GET https://api.example.com/caf\xe9\n",
    )
    .unwrap();
    let run = p.run(&["check", "--offline", "latin1.http"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("vaultlink: cannot read latin1.http: the file is not UTF-8 text"),
        "{run:?}"
    );

    let run = p.run(&["requests", "none.http"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "vaultlink: none.http has no requests\n");
    let run = p.run(&["requests", "none.http", "--json"]);
    assert_eq!(run.stdout, "[]\n");
}
