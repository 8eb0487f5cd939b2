//! vaultlink's Neovim plugin (`editors/neovim`) end to end, configured with nothing but the
//! lines the README's Neovim section documents: a headless Neovim 0.11 opens an `.http` file,
//! attaches `vaultlink lsp` (found on `PATH`, as a person would have it), gets diagnostics and a
//! hover, runs `:LspVaultlinkSend` against a loopback echo server with the secret taken from the
//! Key Vault emulator (the server signs in silently with the emulator's service principal), and
//! reads the response buffer: the secret went out, but Neovim only ever saw `***`.
//! `tests/neovim/plugin_check.lua` drives Neovim and reports what it saw as JSON.
//!
//! Neovim is found as in `tests/neovim.rs`: `VAULTLINK_NVIM`, else `target/nvim-venv/bin/nvim`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::Emulator;
use vaultlink_e2e::nvim::{ex_escape, find_nvim};
use vaultlink_e2e::{AZURE_VARS, Project, bin};

/// The README's Neovim section, verbatim: the only configuration this test gives Neovim
/// (besides turning off swap and shada files). `/path/to/vaultlink` is this repository.
const README_NEOVIM: &str = "\
vim.opt.runtimepath:append('/path/to/vaultlink/editors/neovim')
vim.lsp.enable('vaultlink')
";

const NVIM_TIMEOUT: Duration = Duration::from_secs(90);
const KV: &str = "corp-kv.vault.azure.net";
const IDENTIFIER: &str = "https://corp-kv.vault.azure.net/secrets/stripe-key";
/// The secret's value: it must reach the echo server and appear nowhere in Neovim.
const SECRET: &str = "sk_live_nvim_plugin_5f1d7c2a9e";

#[test]
fn readme_neovim_lines_give_diagnostics_hover_and_send() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let readme = std::fs::read_to_string(repo.join("README.md")).unwrap();
    let nvim = find_nvim();

    let emu = Emulator::start();
    emu.add_secret(KV, "stripe-key", SECRET);
    let echo = Echo::start();
    let api_http = format!(
        "@base = {echo}

### Charge
POST {{{{base}}}}/v1/charges
Authorization: Bearer {{{{vault:stripe-key}}}}
Content-Type: application/json

{{\"amount\": 100, \"key\": \"{{{{vault:stripe-key}}}}\"}}

### Unlinked
GET {{{{base}}}}/v1/other
X-Api-Key: {{{{vault:missing}}}}
",
        echo = echo.url()
    );
    let project = Project::new(&format!(
        "//- /vaultlink.json
{{
  \"secrets\": {{
    \"stripe-key\": {{ \"link\": \"{IDENTIFIER}\" }}
  }}
}}
//- /api.http
{api_http}"
    ));
    let sandbox = tempfile::tempdir().unwrap();
    let init = sandbox.path().join("init.lua");
    std::fs::write(
        &init,
        format!(
            "-- Test harness only: no swap or shada files.\nvim.o.swapfile = false\nvim.o.shadafile = 'NONE'\n-- The README's Neovim section:\n{}",
            README_NEOVIM.replace("/path/to/vaultlink", &lua_path(repo))
        ),
    )
    .unwrap();

    let mut env = emu.env();
    env.extend(emu.sp_env());
    let run = run_nvim(&nvim, &project, sandbox.path(), &init, &env);
    let report = &run.report;
    let mut checks = Checks::default();
    checks.check(
        "README.md documents exactly the Neovim lines this test uses",
        readme.contains(README_NEOVIM),
        || format!("README.md's Neovim section should hold:\n{README_NEOVIM}"),
    );

    checks.check(
        "a sign-in is refused before the workspace is trusted",
        report["untrusted_sign_in"]
            .as_str()
            .is_some_and(|m| m.contains("this workspace is not trusted")),
        || format!("answer: {}", report["untrusted_sign_in"]),
    );
    checks.eq(
        "trustedFolders: the folder itself and a parent trust it, others and none do not",
        &report["trusted_folders"],
        &serde_json::json!({ "same": true, "parent": true, "other": false, "none": false }),
    );
    checks.eq(
        "client root_dir (the folder of vaultlink.json)",
        &report["client"]["root_dir"].as_str().map(canonical),
        &Some(canonical(project.dir.path().to_str().unwrap())),
    );
    let commands: Vec<&str> = report["buffer_commands"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for c in [
        "LspVaultlinkSend",
        "LspVaultlinkLink",
        "LspVaultlinkSignIn",
        "LspVaultlinkTrust",
    ] {
        checks.check(
            &format!("buffer-local :{c} created on attach"),
            commands.contains(&c),
            || format!("buffer commands: {commands:?}"),
        );
    }

    let missing_line = api_http
        .lines()
        .position(|l| l.contains("{{vault:missing}}"))
        .unwrap() as u64;
    let diagnostics = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    checks.check(
        "an unlinked-secret diagnostic on {{vault:missing}}",
        diagnostics
            .iter()
            .any(|d| d["code"] == "unlinked-secret" && d["lnum"] == missing_line),
        || format!("diagnostics: {diagnostics:?}"),
    );
    checks.check(
        "no diagnostic on the linked {{vault:stripe-key}}",
        !diagnostics
            .iter()
            .any(|d| d["message"].as_str().unwrap_or("").contains("stripe-key")),
        || format!("diagnostics: {diagnostics:?}"),
    );
    let request_line = api_http
        .lines()
        .position(|l| l.starts_with("POST "))
        .unwrap() as u64;
    let lenses = report["lenses"].as_array().cloned().unwrap_or_default();
    checks.check(
        "a `▶ Send` code lens on the request line, refreshed by the plugin",
        lenses
            .iter()
            .any(|l| l["line"] == request_line && l["command"] == "vaultlink.sendRequest"),
        || format!("lenses: {lenses:?}"),
    );
    let hover = report["hover"]["contents"].to_string();
    checks.check(
        "hover on {{vault:stripe-key}} shows its identifier",
        hover.contains(IDENTIFIER),
        || format!("hover: {}", report["hover"]),
    );

    // The response buffer.
    let response = &report["response"];
    checks.eq(
        "response filetype",
        &response["filetype"],
        &Value::from("json"),
    );
    checks.eq(
        "response buftype",
        &response["buftype"],
        &Value::from("nofile"),
    );
    checks.eq(
        "response is read-only",
        &response["modifiable"],
        &Value::from(false),
    );
    checks.eq(
        "response shown in a window",
        &response["shown"],
        &Value::from(true),
    );
    checks.eq(
        "the cursor stays in the request",
        &response["focus_stays"],
        &Value::from(true),
    );
    let name = response["name"].as_str().unwrap_or_default();
    checks.check(
        "response buffer name has the status and the time",
        name.contains("200 OK") && name.contains(" ms"),
        || format!("name: {name:?}"),
    );
    let lines: Vec<&str> = response["lines"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let text = lines.join("\n");
    checks.check(
        "response body is pretty (one line per value)",
        lines.len() > 5,
        || format!("lines: {lines:?}"),
    );
    match serde_json::from_str::<Value>(&text) {
        Ok(echoed) => {
            checks.eq("echoed method", &echoed["method"], &Value::from("POST"));
            let authorization = echoed["headers"].as_array().and_then(|h| {
                h.iter()
                    .find(|p| {
                        p[0].as_str()
                            .is_some_and(|n| n.eq_ignore_ascii_case("authorization"))
                    })
                    .map(|p| p[1].clone())
            });
            checks.eq(
                "echoed Authorization header, redacted",
                &authorization,
                &Some(Value::from("Bearer ***")),
            );
            checks.check(
                "echoed body has the secret redacted",
                echoed["body"].as_str().is_some_and(|b| {
                    b.contains("\"key\": \"***\"") || b.contains("\"key\":\"***\"")
                }),
                || format!("body: {}", echoed["body"]),
            );
        }
        Err(e) => checks.check("response buffer is JSON", false, || format!("{e}: {text}")),
    }

    // The secret went out to the echo server...
    let got = echo.requests();
    checks.check(
        "the echo server got the secret in Authorization",
        got.iter().any(|r| {
            r.headers.iter().any(|(n, v)| {
                n.eq_ignore_ascii_case("authorization") && v == &format!("Bearer {SECRET}")
            })
        }),
        || format!("echo got: {got:?}"),
    );
    // ...but never reached Neovim: not in the report, the logs or any file it wrote.
    checks.check(
        "the secret is nowhere in what Neovim saw",
        !run.raw.contains(SECRET),
        || "the report contains the secret".into(),
    );
    for dir in [sandbox.path(), project.dir.path()] {
        for file in files(dir) {
            let bytes = std::fs::read(&file).unwrap_or_default();
            checks.check(
                &format!("the secret is not in {}", file.display()),
                !String::from_utf8_lossy(&bytes).contains(SECRET),
                || "found it".into(),
            );
        }
    }

    // :checkhealth vaultlink finds the binary and its version.
    let version = Command::new(bin()).arg("--version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).trim().to_string();
    let health: Vec<&str> = report["health"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    checks.check(
        &format!(":checkhealth vaultlink reports `{version}`"),
        health
            .iter()
            .any(|l| l.contains("OK") && l.contains(&version)),
        || format!("health:\n{}", health.join("\n")),
    );
    checks.check(
        ":checkhealth vaultlink has no error",
        !health.iter().any(|l| l.contains("ERROR")),
        || format!("health:\n{}", health.join("\n")),
    );

    let queries = report["queries"].as_array().cloned().unwrap_or_default();
    checks.check(
        "the tree-sitter queries of grammars/queries (3 files) parse",
        queries.len() == 3 && queries.iter().all(|q| q["error"] == false),
        || format!("queries: {queries:?}"),
    );

    checks.finish(report);
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// A path inside a single-quoted Lua string.
fn lua_path(p: &Path) -> String {
    p.display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('\'', "\\'")
}

fn canonical(p: &str) -> String {
    std::fs::canonicalize(p)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| p.to_string())
}

struct NvimRun {
    report: Value,
    raw: String,
}

/// Runs Neovim in `project` with `init` as its only configuration and everything it writes
/// (HOME, XDG folders) inside `sandbox`; `vaultlink` is on `PATH`.
fn run_nvim(
    nvim: &Path,
    project: &Project,
    sandbox: &Path,
    init: &Path,
    env: &[(String, String)],
) -> NvimRun {
    let check = Path::new(env!("CARGO_MANIFEST_DIR")).join("neovim/plugin_check.lua");
    let dir = |name: &str| {
        let d = sandbox.join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let runtime = dir("run");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let out = sandbox.join("report.json");
    let stdout = sandbox.join("stdout.txt");
    let stderr = sandbox.join("stderr.txt");
    let state = dir("state");
    let bin_dir = bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )
    .unwrap();

    let mut command = Command::new(nvim);
    for var in AZURE_VARS.iter().chain(&[
        "VIM",
        "VIMRUNTIME",
        "VIMINIT",
        "MYVIMRC",
        "NVIM",
        "NVIM_APPNAME",
        "NVIM_LOG_FILE",
    ]) {
        command.env_remove(var);
    }
    command
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(init)
        .arg("-c")
        .arg(format!("luafile {}", ex_escape(&check)))
        .arg("api.http")
        .current_dir(project.dir.path())
        .env("PATH", path)
        .env("HOME", dir("home"))
        .env("XDG_CONFIG_HOME", dir("config"))
        .env("XDG_CONFIG_DIRS", dir("config-dirs"))
        .env("XDG_DATA_HOME", dir("data"))
        .env("XDG_DATA_DIRS", dir("data-dirs"))
        .env("XDG_STATE_HOME", &state)
        .env("XDG_CACHE_HOME", dir("cache"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("VAULTLINK_NVIM_OUT", &out)
        .env(
            "VAULTLINK_QUERIES",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../grammars/queries"),
        )
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", nvim.display()));
    let status = vaultlink_e2e::wait_or_kill(&mut child, NVIM_TIMEOUT);
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let explain = || {
        let log = read(&state.join("nvim").join("lsp.log"));
        format!(
            "stderr:\n{}\nstdout:\n{}\nreport: {}\nlsp.log (end):\n{}",
            read(&stderr),
            read(&stdout),
            read(&out),
            &log[log.len().saturating_sub(6000)..]
        )
    };
    match status {
        None => panic!(
            "Neovim did not finish within {} s\n{}",
            NVIM_TIMEOUT.as_secs(),
            explain()
        ),
        Some(s) if !s.success() => panic!("Neovim exited with {s}\n{}", explain()),
        Some(_) => {}
    }
    let raw = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("plugin_check.lua wrote no report ({e})\n{}", explain()));
    let report = serde_json::from_str(&raw)
        .unwrap_or_else(|e| panic!("plugin_check.lua's report is not JSON ({e}): {raw}"));
    NvimRun { report, raw }
}

/// Every check runs; the test fails at the end with the list of those that did not hold.
#[derive(Default)]
struct Checks {
    failed: Vec<String>,
    passed: usize,
}

impl Checks {
    fn check(&mut self, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        if ok {
            self.passed += 1;
        } else {
            self.failed.push(format!("{what}\n      {}", detail()));
        }
    }

    fn eq<T: std::fmt::Debug + PartialEq>(&mut self, what: &str, got: &T, want: &T) {
        self.check(what, got == want, || {
            format!("got:  {got:?}\n      want: {want:?}")
        });
    }

    fn finish(self, report: &Value) {
        if !self.failed.is_empty() {
            panic!(
                "{} of {} checks failed:\n  - {}\nreport: {report}",
                self.failed.len(),
                self.failed.len() + self.passed,
                self.failed.join("\n  - ")
            );
        }
    }
}
