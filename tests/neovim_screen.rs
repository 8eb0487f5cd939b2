//! vaultlink in Neovim as a person sees it: a real Neovim 0.11 (`nvim --embed`) with a screen
//! grid attached through its UI protocol, configured with the README's two lines, and the
//! steps a person takes: open a request file, undo an edit, link a secret with the quick fix,
//! edit and save `vaultlink.json` and come back, complete a name, hover a reference, send.
//! Every check reads the screen — the text and colours of its cells — not Neovim's state.
//!
//! Neovim is found as in `tests/neovim.rs`: `VAULTLINK_NVIM`, else `target/nvim-venv/bin/nvim`.

use std::path::Path;
use std::time::Duration;

use vaultlink_e2e::nvim::{ex_escape, find_nvim};
use vaultlink_e2e::screen::{Screen, sandboxed};
use vaultlink_e2e::{Project, bin};

const WAIT: Duration = Duration::from_secs(20);
/// How long a wrong screen has to appear after a step that looked right at first.
const SETTLE: Duration = Duration::from_millis(2500);

const API_HTTP: &str = "### Charge
POST https://api.example.com/charges
Authorization: Bearer {{vault:stripe-key}}

### Orders
GET https://api.example.com/orders
X-Api-Key: {{vault:db-password}}
";

const COLLECTION: &str = r#"{
  "info": { "name": "api", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
  "item": [
    {
      "name": "Charge",
      "request": {
        "method": "POST",
        "url": "https://api.example.com/charges",
        "header": [{ "key": "Authorization", "value": "Bearer {{vault:stripe-key}}" }]
      }
    }
  ]
}
"#;

/// The screen row showing `needle`, or "".
fn row<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen.lines().find(|l| l.contains(needle)).unwrap_or("")
}

/// The rows below the one showing `needle` (where a completion menu opens).
fn rows_below<'a>(screen: &'a str, needle: &str) -> Vec<&'a str> {
    screen
        .lines()
        .skip_while(|l| !l.contains(needle))
        .skip(1)
        .collect()
}

const POST: &str = "POST https://api.example.com/charges";
const GET: &str = "GET https://api.example.com/orders";
const AUTH: &str = "Authorization: Bearer";
const API_KEY: &str = "X-Api-Key:";

fn start(project: &Project, sandbox: &Path) -> Screen {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let init = sandbox.join("init.lua");
    std::fs::write(
        &init,
        format!(
            "-- Test harness only: no swap or shada files; diagnostics as virtual text, as many \
             people set it, so that their messages are on the screen.\n\
             vim.o.swapfile = false\nvim.o.shadafile = 'NONE'\n\
             vim.diagnostic.config({{ virtual_text = true }})\n\
             -- The completion menu stays on the screen even with one entry.\n\
             vim.o.completeopt = 'menu,menuone,noinsert'\n\
             -- The README's Neovim section:\n\
             vim.opt.runtimepath:append('{}')\nvim.lsp.enable('vaultlink')\n",
            repo.join("editors/neovim")
                .display()
                .to_string()
                .replace('\\', "\\\\")
                .replace('\'', "\\'")
        ),
    )
    .unwrap();
    let bin_dir = bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(
            std::env::var_os("PATH")
                .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
    )
    .unwrap();
    let mut command = sandboxed(&find_nvim(), sandbox);
    command
        .args(["-n", "-i", "NONE", "-u"])
        .arg(&init)
        .current_dir(project.dir.path())
        .env("PATH", path);
    let mut screen = Screen::start(command, 140, 30);
    screen.command(&format!("edit {}", ex_escape(Path::new("api.http"))));
    screen
}

/// Every step runs; the test fails at the end with each check that did not hold and the
/// screen it saw.
#[derive(Default)]
struct Checks {
    failed: Vec<String>,
}

impl Checks {
    fn check(&mut self, what: &str, ok: bool, screen: &str) {
        if !ok {
            self.failed.push(format!("{what}; the screen:\n{screen}"));
        }
    }

    /// Waits for the screen to satisfy `ready`; the screen as it was then, or at the timeout.
    fn wait(&mut self, screen: &Screen, what: &str, ready: impl Fn(&str) -> bool) -> String {
        match screen.try_wait_for(what, WAIT, ready) {
            Ok(s) => s,
            Err(e) => {
                self.failed.push(e);
                screen.text()
            }
        }
    }

    fn finish(self) {
        assert!(
            self.failed.is_empty(),
            "{} check(s) failed:\n\n{}",
            self.failed.len(),
            self.failed.join("\n\n")
        );
    }
}

#[test]
fn neovim_screen_shows_fresh_diagnostics_lenses_completion_and_hover() {
    let project = Project::new(&format!(
        "//- /vaultlink.json
{{
  \"secrets\": {{
    \"stripe-key\": {{ \"link\": \"https://corp-kv.vault.azure.net/secrets/stripe-key\" }}
  }}
}}
//- /api.http
{API_HTTP}//- /api.postman_collection.json
{COLLECTION}"
    ));
    let sandbox = tempfile::tempdir().unwrap();
    let mut screen = start(&project, sandbox.path());
    let mut checks = Checks::default();

    // Opened: a lens on each request line, the secrets first and then Send; the unlinked
    // reference's warning on its own line.
    let s = screen.wait_for("the lenses and the warning", WAIT, |s| {
        row(s, POST).contains("▶ Send")
            && row(s, GET).contains("▶ Send")
            && row(s, API_KEY).contains("not linked")
    });
    checks.check(
        "the lens of a request reads `1 linked | ▶ Send`",
        row(&s, POST).contains("1 linked | ▶ Send"),
        &s,
    );
    checks.check(
        "the lens of the unlinked request reads `1 unlinked | ▶ Send`",
        row(&s, GET).contains("1 unlinked | ▶ Send"),
        &s,
    );
    checks.check(
        "lenses only on request lines",
        !row(&s, AUTH).contains("Send") && !row(&s, API_KEY).contains("Send"),
        &s,
    );

    // The secret's name is drawn in a colour of its own, not as plain text.
    let (attr, default_fg) = screen
        .attr_of(AUTH, "stripe-key")
        .expect("the reference is on the screen");
    checks.check(
        &format!(
            "the name inside {{{{vault:…}}}} has a colour of its own (it has {attr:?}, plain text {default_fg:?})"
        ),
        attr.foreground.is_some() && attr.foreground != default_fg,
        &s,
    );

    // `o<Esc>u` on the first line: every lens stays on its request line.
    screen.input("ggo<Esc>u");
    checks.wait(&screen, "the lenses back on their request lines", |s| {
        row(s, POST).contains("▶ Send") && !row(s, AUTH).contains("Send")
    });
    // Lenses asked for before the undo may arrive after it: give them time, then the screen
    // must settle on the right lines (a busy machine may take longer to get there).
    std::thread::sleep(SETTLE);
    checks.wait(
        &screen,
        "each lens on its request line after o<Esc>u",
        |s| {
            row(s, POST).contains("1 linked | ▶ Send")
                && row(s, GET).contains("1 unlinked | ▶ Send")
                && !row(s, AUTH).contains("Send")
                && !row(s, API_KEY).contains("Send")
        },
    );

    // An edit in normal mode (no insert mode to leave): deleting the line with the unlinked
    // reference leaves its request without secrets; undoing it brings the lens back.
    screen.input("7Gdd");
    checks.wait(&screen, "the lens without secrets after `dd`", |s| {
        row(s, GET).contains("▶ Send") && !row(s, GET).contains("unlinked")
    });
    screen.input("u");
    checks.wait(&screen, "the lens with its secret after `u`", |s| {
        row(s, GET).contains("1 unlinked | ▶ Send") && !row(s, API_KEY).contains("Send")
    });

    // The quick fix links db-password: the warning goes, the lens says so, and the screen
    // says that vaultlink.json was changed but not saved.
    screen.input("7G0fd");
    screen.lua(
        "vim.lsp.buf.code_action({ apply = true, filter = function(a) \
         return a.title:find('Link `db-password`', 1, true) ~= nil end })",
    );
    checks.wait(&screen, "the warning gone after the link quick fix", |s| {
        !row(s, API_KEY).contains("not linked")
    });
    let s = checks.wait(&screen, "the lens after the link quick fix", |s| {
        row(s, GET).contains("1 linked | ▶ Send")
    });
    checks.check(
        "the screen says that vaultlink.json is changed and not saved",
        s.contains("vaultlink.json") && s.contains("not saved"),
        &s,
    );
    std::thread::sleep(SETTLE);
    checks.wait(&screen, "the link still shown", |s| {
        row(s, GET).contains("1 linked | ▶ Send") && !row(s, API_KEY).contains("not linked")
    });

    // Save everything, edit vaultlink.json by hand (unlink stripe-key), save, come back: the
    // warning is there without touching the request file.
    screen.command("wall");
    screen.command("edit vaultlink.json");
    screen.command("%s/\"stripe-key\"/\"stripe-old\"/");
    screen.command("write");
    screen.command("buffer api.http");
    checks.wait(&screen, "the warning after unlinking on disk", |s| {
        row(s, AUTH).contains("not linked")
    });
    let s = checks.wait(&screen, "the lens after unlinking on disk", |s| {
        row(s, POST).contains("1 unlinked")
    });
    checks.check(
        "the other request is still linked",
        row(&s, GET).contains("1 linked"),
        &s,
    );
    // And back: link it again in vaultlink.json, save, return.
    screen.command("edit vaultlink.json");
    screen.command("%s/\"stripe-old\"/\"stripe-key\"/");
    screen.command("write");
    screen.command("buffer api.http");
    checks.wait(&screen, "the warning gone after linking on disk", |s| {
        !row(s, AUTH).contains("not linked") && row(s, POST).contains("1 linked")
    });

    // Completion after `{{vault:st` lists what matches and inserts it.
    screen.input("G");
    screen.input("oX-Other: {{vault:st<C-x><C-o>");
    let s = checks.wait(&screen, "the completion menu", |s| {
        rows_below(s, "X-Other:")
            .iter()
            .any(|l| l.contains("stripe-key"))
    });
    checks.check(
        "the menu lists only names starting with `st`",
        !rows_below(&s, "X-Other:")
            .iter()
            .any(|l| l.contains("db-password")),
        &s,
    );
    screen.input("<C-y><Esc>");
    let s = checks.wait(&screen, "the accepted completion", |s| {
        row(s, "X-Other:").contains("}}")
    });
    checks.check(
        "the completion inserts the name it showed",
        row(&s, "X-Other:").contains("X-Other: {{vault:stripe-key}}"),
        &s,
    );
    screen.input("u");

    // Hover: readable text, no table pipes, and a command Neovim has.
    screen.input("3G$F{");
    screen.input("K");
    let s = checks.wait(&screen, "the hover", |s| s.contains("vault secret"));
    let float: Vec<&str> = s
        .lines()
        .skip_while(|l| !l.contains("vault secret"))
        .take(12)
        .collect();
    let float = float.join("\n");
    checks.check(
        "the hover shows the link",
        float.contains("corp-kv") && float.contains("latest"),
        &s,
    );
    checks.check(
        "the hover has no table markup",
        !float.contains("|---") && !float.contains("| |") && !float.contains("| vault"),
        &s,
    );
    checks.check(
        "the hover names no internal command",
        !s.contains("vaultlink.signIn"),
        &s,
    );
    screen.input("<Esc>");

    // A collection's lens reads as a request file's: the secrets first, then Send.
    screen.command("edit api.postman_collection.json");
    let s = checks.wait(&screen, "the lens of the collection's request", |s| {
        row(s, "\"name\": \"Charge\"").contains("▶ Send")
    });
    checks.check(
        "the collection's lens reads `1 linked | ▶ Send`",
        row(&s, "\"name\": \"Charge\"").contains("1 linked | ▶ Send"),
        &s,
    );

    // Running a lens (Neovim clears it) leaves the lenses in place. The workspace is not
    // trusted, so the request is refused, not sent.
    screen.command("buffer api.http");
    screen.input("2G");
    screen.lua("vim.lsp.codelens.run()");
    // The refusal is a long message: a person presses Enter after reading it (twice: the
    // server's message and the plugin's).
    screen
        .try_wait_for("the refusal", WAIT, |s| s.contains("not trusted"))
        .ok();
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(500));
        if !screen.text().contains("Press ENTER") {
            break;
        }
        screen.input("<CR>");
    }
    checks.wait(&screen, "the lenses back after one ran", |s| {
        row(s, POST).contains("1 linked | ▶ Send")
    });
    checks.finish();
}
