//! A real OAuth 2.0 authorization server for the sign-in tests: npm's `oidc-provider`, run by
//! `tests/oidc/server.mjs` on loopback with Microsoft Entra ID's endpoint paths, and a driver
//! that plays the user's browser through its login and consent pages over plain HTTP.
//!
//! Needs Node.js 18 or later and npm; the node packages are installed from the lock file on
//! first use (`scripts/test.sh` installs them before the tests, so this is for a bare
//! `cargo test`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Stdio};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime};
use std::{fs, panic};

use reqwest::header::LOCATION;
use reqwest::redirect;
use url::Url;

/// The public client the provider knows: Azure CLI's client id, registered as a native client
/// whose redirect URI is `http://127.0.0.1/` on any port.
pub const CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// The tenant in the provider's endpoint paths (the server's default, Entra's name for "any
/// work or school account").
pub const TENANT: &str = "organizations";

/// How long node may take to start and listen.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Page loads and form posts one authorization may take: a login with consent takes seven, so
/// more means the driver is going round in circles.
const MAX_STEPS: usize = 20;

/// A running `tests/oidc/server.mjs`. Its stdin is a pipe that only this process holds, so
/// the server exits when the test process ends however it ends; dropping this kills it too.
pub struct OidcProvider {
    child: Child,
    base: String,
    /// Collects the server's stderr (oidc-provider's notices and errors), shown when a test
    /// fails while the server runs.
    stderr: Option<JoinHandle<String>>,
}

impl OidcProvider {
    /// Installs the node packages if needed, starts the server on a random loopback port and
    /// waits until it listens.
    pub fn start() -> OidcProvider {
        let dir = server_dir();
        install(&dir);
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("PORT", "0")
            .env("TENANT", TENANT)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run node (Node.js 18 or later is needed): {e}"));
        let stderr = collect(child.stderr.take().expect("stderr is piped"));
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut provider = OidcProvider {
            child,
            base: String::new(),
            stderr: Some(stderr),
        };
        let line = rx.recv_timeout(STARTUP_TIMEOUT).unwrap_or_default();
        match serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|ready| Some(ready["base"].as_str()?.to_string()))
        {
            Some(base) => provider.base = base,
            None => panic!(
                "the OAuth server did not report where it listens within {STARTUP_TIMEOUT:?} \
                 (stdout: {line:?}); its stderr:\n{}",
                provider.stop()
            ),
        }
        provider
    }

    /// `http://127.0.0.1:PORT`: what vaultlink gets as `AZURE_AUTHORITY_HOST`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// [`CLIENT_ID`], the one client the provider knows.
    pub fn client_id(&self) -> &str {
        CLIENT_ID
    }

    /// The URL of a sign-in endpoint, `<base>/<tenant>/oauth2/v2.0/<name>`, as vaultlink
    /// builds it: `authorize` or `token`.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/{TENANT}/oauth2/v2.0/{name}", self.base)
    }

    /// Plays the browser: GETs `authorize_url` (the full URL a client built), follows
    /// redirects within the provider, completes the dev login form (login = `user`) and the
    /// consent form with a cookie jar, and stops at the redirect to the loopback redirect_uri,
    /// returning that full URL (with code and state, or with the error) WITHOUT requesting it.
    ///
    /// Panics when the provider answers with an error page instead, as it does for a client
    /// or redirect URI it does not know. Runs on a thread of its own, so it can be called from
    /// synchronous tests and from inside a tokio runtime alike.
    pub fn authorize(&self, authorize_url: &str, user: &str) -> String {
        let provider = Url::parse(&self.base).expect("the base is a URL");
        let start = Url::parse(authorize_url).expect("the authorize URL is a URL");
        thread::scope(|s| {
            s.spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime")
                    .block_on(browse(&provider, start, user))
            })
            .join()
            .unwrap_or_else(|payload| panic::resume_unwind(payload))
        })
    }

    /// Kills the server and returns everything it wrote to stderr.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .and_then(|stderr| stderr.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let stderr = self.stop();
        if thread::panicking() && !stderr.is_empty() {
            eprintln!("--- stderr of the OAuth server ---\n{stderr}");
        }
    }
}

/// `tests/oidc`, where the server script and its node packages are.
fn server_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc")
}

/// Runs `npm ci` when the node packages are missing or older than the lock file.
///
/// Tests run in parallel (nextest runs each in a process of its own), so npm installs into a
/// fresh folder beside `node_modules`, which is then renamed into place in one step: a
/// concurrent test either finds the finished install or loses the rename and uses the winner's.
fn install(dir: &Path) {
    if installed(dir) {
        return;
    }
    let staging = tempfile::Builder::new()
        .prefix(".npm-ci-")
        .tempdir_in(dir)
        .expect("a staging folder beside node_modules");
    for file in ["package.json", "package-lock.json"] {
        fs::copy(dir.join(file), staging.path().join(file))
            .unwrap_or_else(|e| panic!("cannot copy {file} of {}: {e}", dir.display()));
    }
    let npm = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(staging.path())
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run npm (it installs the OAuth test server): {e}"));
    assert!(
        npm.status.success(),
        "`npm ci` for {} failed:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&npm.stdout),
        String::from_utf8_lossy(&npm.stderr)
    );
    if installed(dir) {
        return;
    }
    let target = dir.join("node_modules");
    let _ = fs::remove_dir_all(&target);
    if let Err(e) = fs::rename(staging.path().join("node_modules"), &target) {
        assert!(
            installed(dir),
            "cannot move the node packages to {}: {e}",
            target.display()
        );
    }
}

/// Whether `npm ci` has run since the lock file last changed: npm writes
/// `node_modules/.package-lock.json` at the end of every install.
fn installed(dir: &Path) -> bool {
    let modified =
        |path: PathBuf| -> Option<SystemTime> { fs::metadata(path).ok()?.modified().ok() };
    match (
        modified(dir.join("node_modules/.package-lock.json")),
        modified(dir.join("package-lock.json")),
    ) {
        (Some(install), Some(lock)) => install >= lock,
        _ => false,
    }
}

/// Reads a pipe to its end on a thread, so the child never blocks on a full pipe.
fn collect(mut stderr: ChildStderr) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    })
}

/// The browser's walk from `url` to the redirect that leaves `provider`'s origin.
async fn browse(provider: &Url, mut url: Url, user: &str) -> String {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let mut form = None;
    for _ in 0..MAX_STEPS {
        let request = match form.take() {
            Some(fields) => client.post(url.clone()).form(&fields),
            None => client.get(url.clone()),
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_else(|| panic!("{url} answered {status} without a Location"));
            let next = url
                .join(location)
                .unwrap_or_else(|e| panic!("{url} redirected to {location:?}: {e}"));
            if next.origin() != provider.origin() {
                return next.into();
            }
            url = next;
            continue;
        }
        let page = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{url} answered {status}:\n{page}");
        let (action, fields) = post_form(&page, user)
            .unwrap_or_else(|| panic!("{url} shows no form to post:\n{page}"));
        url = url
            .join(&action)
            .unwrap_or_else(|e| panic!("form action {action:?} at {url}: {e}"));
        form = Some(fields);
    }
    panic!("the authorization did not redirect to the client within {MAX_STEPS} steps");
}

/// The first `method="post"` form of `page`: its action and the fields a user would submit,
/// with `user` as the login and any password (the dev login accepts anything).
fn post_form(page: &str, user: &str) -> Option<(String, Vec<(String, String)>)> {
    let lower = page.to_ascii_lowercase();
    let (start, form) = tags(page, &lower, "form", 0)
        .find(|(_, attrs)| attr(attrs, "method").is_some_and(|m| m.eq_ignore_ascii_case("post")))?;
    let end = lower[start..]
        .find("</form")
        .map_or(page.len(), |i| start + i);
    let fields = tags(page, &lower, "input", start)
        .take_while(|&(at, _)| at < end)
        .filter_map(|(_, input)| {
            let name = attr(&input, "name")?;
            let value = match (name, attr(&input, "type").unwrap_or("text")) {
                ("login", _) => user,
                (_, "password") => "password",
                _ => attr(&input, "value").unwrap_or(""),
            };
            Some((name.to_string(), value.to_string()))
        })
        .collect();
    let action = attr(&form, "action").unwrap_or("").to_string();
    Some((action, fields))
}

type Attributes = Vec<(String, String)>;

fn attr<'a>(attrs: &'a Attributes, name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The start tags `<name …>` of `page` from byte `from` on, with where each starts and its
/// attributes (names lowercased, values unescaped). `lower` is `page` in ASCII lowercase.
fn tags<'a>(
    page: &'a str,
    lower: &'a str,
    name: &'a str,
    from: usize,
) -> impl Iterator<Item = (usize, Attributes)> + 'a {
    let open = format!("<{name}");
    let mut at = from;
    std::iter::from_fn(move || {
        loop {
            let start = at + lower.get(at..)?.find(&open)?;
            let after = start + open.len();
            at = after;
            if page[after..].starts_with(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            {
                let (attrs, len) = attributes(&page[after..]);
                at = after + len;
                return Some((start, attrs));
            }
        }
    })
}

/// Parses attributes up to the closing `>` of a tag; returns them and the bytes consumed.
fn attributes(tag: &str) -> (Attributes, usize) {
    let bytes = tag.as_bytes();
    let mut attrs = Vec::new();
    let mut i = 0;
    let skip_space = |i: &mut usize| {
        while *i < bytes.len() && (bytes[*i].is_ascii_whitespace() || bytes[*i] == b'/') {
            *i += 1;
        }
    };
    loop {
        skip_space(&mut i);
        if i >= bytes.len() {
            return (attrs, i);
        }
        if bytes[i] == b'>' {
            return (attrs, i + 1);
        }
        let name_start = i;
        while i < bytes.len()
            && !matches!(bytes[i], b'=' | b'>' | b'/')
            && !bytes[i].is_ascii_whitespace()
        {
            i += 1;
        }
        let name = tag[name_start..i].to_ascii_lowercase();
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = "";
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < bytes.len() && bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            let (value_start, value_end);
            if let Some(&quote @ (b'"' | b'\'')) = bytes.get(i) {
                value_start = i + 1;
                value_end = tag[value_start..]
                    .find(quote as char)
                    .map_or(tag.len(), |n| value_start + n);
                i = (value_end + 1).min(tag.len());
            } else {
                value_start = i;
                while i < bytes.len() && bytes[i] != b'>' && !bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                value_end = i;
            }
            value = &tag[value_start..value_end];
        }
        attrs.push((name, unescape(value)));
    }
}

/// Decodes HTML character references: the named ones HTML escapers emit and numeric ones.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| {
            let c = match &rest[1..semi] {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                entity => {
                    let number = entity.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16),
                        None => number.parse(),
                    };
                    char::from_u32(code.ok()?)?
                }
            };
            Some((c, semi + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_dev_login_form() {
        let page = r#"<div><FORM autocomplete="off" action="http://127.0.0.1:1/interaction/a?x=1&amp;y=2" method=POST>
          <input type="hidden" name="prompt" value="login"/>
          <input required type="text" name="login" placeholder="Enter any login" autofocus="on">
          <input required type="password" name="password" placeholder="and password" >
          <button type="submit">Sign-in</button></form>
          <form method="post" action="/other"><input name="ignored" value="1"></form>"#;
        let (action, fields) = post_form(page, "alice").unwrap();
        assert_eq!(action, "http://127.0.0.1:1/interaction/a?x=1&y=2");
        assert_eq!(
            fields,
            [
                ("prompt", "login"),
                ("login", "alice"),
                ("password", "password")
            ]
            .map(|(n, v)| (n.to_string(), v.to_string()))
        );
    }

    #[test]
    fn unescapes_character_references() {
        assert_eq!(
            unescape("a&amp;b&#39;c&#x27;&lt;&bogus;&"),
            "a&b'c'<&bogus;&"
        );
    }
}
