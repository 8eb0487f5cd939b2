//! A hostile repository, a local attacker, the network: the built binary opened on a crafted
//! workspace (a fake `az` beside its files and on `PATH`, a crafted `vaultlink.json`), the
//! browser sign-in's loopback listener under attack, a recording proxy that must see nothing
//! of loopback traffic, and what the process shows of itself. See SECURITY.md.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use vaultlink_e2e::emulator::Emulator;
use vaultlink_e2e::lsp::{Client, Options};
use vaultlink_e2e::{Project, browser, run_with};

const ATTACKER_KV: &str = "attacker-kv.vault.azure.net";

fn executable(path: &Path, script: &str) {
    std::fs::write(path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A stand-in for the Azure CLI in `dir`: records its arguments and working folder in
/// `dir/args` and `dir/cwd`, and answers with a token.
fn fake_az(dir: &Path) {
    let script = format!(
        "#!/bin/sh\necho \"$@\" >> '{args}'\npwd >> '{cwd}'\necho '{{\"accessToken\": \"fake-token\", \"expires_on\": 4102444800}}'\n",
        args = dir.join("args").display(),
        cwd = dir.join("cwd").display(),
    );
    executable(&dir.join("az"), &script);
}

/// An `az` planted in the workspace: it must never run. It leaves a mark in `mark` if it does.
fn planted_az(workspace: &Path, mark: &Path) {
    let script = format!("#!/bin/sh\necho ran >> '{}'\nexit 1\n", mark.display());
    executable(&workspace.join("az"), &script);
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A repository that links a secret in the attacker's vault and names the attacker's tenant.
fn hostile_project() -> Project {
    Project::new(&format!(
        r#"
//- /vaultlink.json
{{
  "secrets": {{ "token": {{ "link": "https://{ATTACKER_KV}/secrets/token" }} }},
  "azure": {{ "tenant": "attacker.example" }}
}}
//- /api.http
GET https://api.example.com/
X-Token: {{{{vault:token}}}}
"#
    ))
}

#[test]
fn an_untrusted_workspace_runs_nothing_and_reaches_nothing_until_trusted() {
    let emu = Emulator::start();
    emu.add_secret(ATTACKER_KV, "token", "attacker-value");
    let project = hostile_project();
    let bin = tempfile::tempdir().unwrap();
    fake_az(bin.path());
    let mark = bin.path().join("planted-az-ran");
    planted_az(project.dir.path(), &mark);
    let tools = project.path("tools");
    std::fs::create_dir_all(&tools).unwrap();
    planted_az(&tools, &mark);
    let mut env = emu.env();
    // A folder of the workspace, an empty and a relative entry first: each names a folder of
    // the workspace the server runs in.
    env.push((
        "PATH".to_owned(),
        format!("{}::.:{}", tools.display(), bin.path().display()),
    ));
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            initialization_options: Some(json!({ "trusted": false })),
            ..Options::default()
        },
    );
    let api = project.path("api.http");
    let uri = client.open(&api, &project.read("api.http"));
    client.wait_diagnostics(&uri);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(read(&bin.path().join("args")), "", "az ran before trust");
    assert_eq!(read(&mark), "", "the workspace's az ran");
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());

    // What the person asks for is refused with a reason, and still reaches nothing.
    for (command, argument) in [
        ("vaultlink.signIn", json!({ "method": "azure-cli" })),
        (
            "vaultlink.sendRequest",
            json!({ "uri": uri, "position": { "line": 0, "character": 0 } }),
        ),
    ] {
        let err = client
            .request(
                "workspace/executeCommand",
                json!({ "command": command, "arguments": [argument] }),
            )
            .expect_err("refused in an untrusted workspace");
        assert!(
            err["message"]
                .as_str()
                .is_some_and(|m| m.contains("this workspace is not trusted")),
            "{command}: {err}"
        );
    }
    assert_eq!(read(&bin.path().join("args")), "");
    assert!(emu.requests().is_empty());

    // Trusted: the sign-in that needs nobody runs, with the `az` of PATH's absolute folder,
    // outside the workspace, the tenant given as one argument.
    client.notify(
        "vaultlink/didChangeWorkspaceTrust",
        json!({ "trusted": true }),
    );
    let status = client.wait_notification("the sign-in after trust", |n| {
        n["method"] == "vaultlink/signInStatus" && n["params"]["signedIn"] == true
    });
    assert_eq!(status["params"]["method"], "azure-cli", "{status}");
    let args = read(&bin.path().join("args"));
    assert!(
        args.starts_with(
            "account get-access-token --resource https://vault.azure.net -o json --tenant=attacker.example"
        ),
        "{args}"
    );
    let cwd = PathBuf::from(read(&bin.path().join("cwd")).lines().next().unwrap());
    let workspace = std::fs::canonicalize(project.dir.path()).unwrap();
    assert!(
        !std::fs::canonicalize(&cwd).unwrap().starts_with(&workspace),
        "az ran in the workspace: {}",
        cwd.display()
    );
    assert_eq!(read(&mark), "", "the workspace's az ran");
}

#[test]
fn the_command_line_never_runs_an_az_from_the_repository() {
    let emu = Emulator::start();
    let project = hostile_project();
    let tools = project.path("tools");
    std::fs::create_dir_all(&tools).unwrap();
    let mark = tempfile::tempdir().unwrap();
    let mark = mark.path().join("planted-az-ran");
    planted_az(&tools, &mark);
    planted_az(project.dir.path(), &mark);
    let bin = tempfile::tempdir().unwrap();
    fake_az(bin.path());
    let mut env = emu.env();
    // The repository's own folders first, absolute and relative.
    env.push((
        "PATH".to_owned(),
        format!("{}::tools:{}", tools.display(), bin.path().display()),
    ));
    let run = run_with(project.dir.path(), &["check"], &env);
    assert_eq!(
        read(&mark),
        "",
        "an az of the repository ran: {}",
        run.stderr
    );
    let args = read(&bin.path().join("args"));
    assert!(
        args.starts_with("account get-access-token"),
        "{args}\n{}",
        run.stderr
    );
    let workspace = std::fs::canonicalize(project.dir.path()).unwrap();
    for cwd in read(&bin.path().join("cwd")).lines() {
        assert!(
            !std::fs::canonicalize(cwd).unwrap().starts_with(&workspace),
            "az ran in the repository: {cwd}"
        );
    }
}

#[test]
fn a_tenant_that_reads_as_an_option_is_refused() {
    let project = Project::new(
        r#"
//- /vaultlink.json
{
  "secrets": { "token": { "link": "https://corp-kv.vault.azure.net/secrets/token" } },
  "azure": { "tenant": "-h" }
}
//- /api.http
GET https://api.example.com/
X-Token: {{vault:token}}
"#,
    );
    let emu = Emulator::start();
    let bin = tempfile::tempdir().unwrap();
    fake_az(bin.path());
    let mut env = emu.env();
    env.push(("PATH".to_owned(), bin.path().display().to_string()));
    let run = run_with(project.dir.path(), &["check"], &env);
    assert!(
        run.stdout.contains(
            "vaultlink.json:3:24: error[syntax-error]: `azure.tenant` must be a tenant id or domain"
        ),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    let args = read(&bin.path().join("args"));
    assert!(!args.is_empty(), "az was not asked at all");
    assert!(
        args.split_whitespace()
            .all(|a| a != "-h" && a != "--tenant=-h"),
        "{args}"
    );

    // A service principal whose tenant reads as an option is refused before any request.
    let before = emu.requests().len();
    let mut env = emu.env();
    env.extend(emu.sp_env().into_iter().map(|(k, v)| {
        if k == "AZURE_TENANT_ID" {
            (k, "--help".to_owned())
        } else {
            (k, v)
        }
    }));
    env.push(("PATH".to_owned(), bin.path().display().to_string()));
    let run = run_with(
        project.dir.path(),
        &["send", "api.http", "--credential", "environment"],
        &env,
    );
    assert!(
        run.stderr.contains("`--help` is not a tenant"),
        "{}",
        run.stderr
    );
    assert_eq!(emu.requests().len(), before, "{:?}", emu.requests());
}

// ---------------------------------------------------------------------------------------------
// Terminal safety

const ESC_NAME: &str = "evil\u{1b}]0;pwned\u{7}";

/// True when `s` holds a raw control character other than a line break.
fn has_raw_controls(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c))
}

#[test]
fn control_characters_from_files_are_escaped_in_every_message() {
    let project = Project::new(
        r#"
//- /vaultlink.json
{
  "secrets": {
    "evil\u001b]0;pwned\u0007": { "link": "https://x\u001b[2J.vault.azure.net/secrets/a" },
    "ok": { "link": "https://corp-kv.vault.azure.net/secrets/ok", "allowedDomains": ["a\u001b[8m\u202ehidden"] }
  }
}
"#,
    );
    let bad_file = project.path("notes\u{1b}[2J\r.txt");
    std::fs::write(&bad_file, "GET https://example.com/\n").unwrap();
    let dir = project.dir.path();

    let check = run_with(dir, &["check", "--offline"], &[]);
    let links = run_with(dir, &["links"], &[]);
    let requests = run_with(dir, &["requests", "notes\u{1b}[2J\r.txt"], &[]);
    let send = run_with(dir, &["send", "notes\u{1b}[2J\r.txt"], &[]);
    for (what, run) in [
        ("check", &check),
        ("links", &links),
        ("requests", &requests),
        ("send", &send),
    ] {
        assert!(
            !has_raw_controls(&run.stdout) && !has_raw_controls(&run.stderr),
            "{what} printed raw control characters:\n{:?}\n{:?}",
            run.stdout,
            run.stderr
        );
    }
    assert!(
        check.stdout.contains(
            "the link of `evil\\u{1b}]0;pwned\\u{7}` is not a Key Vault secret identifier"
        ),
        "{}",
        check.stdout
    );
    assert!(
        links
            .stdout
            .contains("https://x\\u{1b}[2J.vault.azure.net/secrets/a"),
        "{}",
        links.stdout
    );
    assert!(
        requests
            .stderr
            .contains("notes\\u{1b}[2J\\r.txt is not a request file"),
        "{}",
        requests.stderr
    );
    // JSON is data: its own escapes carry the characters, nothing raw.
    let json = run_with(dir, &["links", "--json"], &[]);
    assert!(
        json.stdout.contains("evil\\u001b]0;pwned\\u0007"),
        "{}",
        json.stdout
    );
}

#[test]
fn control_characters_are_escaped_in_the_editors_messages() {
    let project = Project::new("//- /vaultlink.json\n{ \"secrets\": {} }\n");
    let emu = Emulator::start();
    // An environment value and a tenant, each quoted by a sign-in failure.
    for (var, quoted) in [
        (
            "AZURE_AUTHORITY_HOST",
            "AZURE_AUTHORITY_HOST is `evil\\u{1b}]0;pwned\\u{7}`",
        ),
        (
            "AZURE_TENANT_ID",
            "`evil\\u{1b}]0;pwned\\u{7}` is not a tenant",
        ),
    ] {
        let mut env = emu.env();
        env.extend(emu.sp_env());
        env.retain(|(k, _)| k != var);
        env.push((var.to_owned(), ESC_NAME.to_owned()));
        let mut client = Client::start_with(
            project.dir.path(),
            Options {
                env: &env,
                ..Options::default()
            },
        );
        let err = client
            .request(
                "workspace/executeCommand",
                json!({ "command": "vaultlink.signIn", "arguments": [{ "method": "environment" }] }),
            )
            .expect_err("the sign-in fails");
        let answered = err["message"].as_str().unwrap_or_default();
        assert!(answered.contains(quoted), "{var}: {answered:?}");
        let shown = client.wait_notification("the sign-in failure", |n| {
            n["method"] == "window/showMessage"
                && n["params"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("sign-in failed"))
        });
        let message = shown["params"]["message"].as_str().unwrap();
        assert!(message.contains(quoted), "{var}: {message:?}");
        for m in client
            .notifications("window/showMessage")
            .iter()
            .chain(client.notifications("window/logMessage").iter())
        {
            let text = m["message"].as_str().unwrap_or_default();
            assert!(!has_raw_controls(text), "{text:?}");
        }
    }
    assert!(emu.requests().is_empty(), "{:?}", emu.requests());
}

// ---------------------------------------------------------------------------------------------
// The browser sign-in's loopback listener

/// `GET target` on the listener at `port` with `host` as the `Host` header: the status and
/// the page.
fn get_with_host(port: u16, target: &str, host: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .unwrap_or_else(|e| panic!("no answer from the listener within 5 s: {e}"));
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[test]
fn the_sign_in_listener_serves_side_by_side_and_ignores_what_is_not_its_callback() {
    let emu = Emulator::start();
    let project = Project::new("//- /vaultlink.json\n{ \"secrets\": {} }\n");
    let empty = tempfile::tempdir().unwrap();
    let mut env = emu.env();
    env.push(("PATH".to_owned(), empty.path().display().to_string()));
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let id = client.send_request(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.signIn", "arguments": [{ "method": "browser" }] }),
    );
    let shown = client.wait_shown_document(1, Duration::from_secs(20));
    let authorize = shown["uri"].as_str().unwrap().to_owned();
    assert_eq!(
        browser::query_param(&authorize, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let callback = browser::get(&authorize)
        .location
        .expect("a redirect to the listener");
    let url = url::Url::parse(&callback).unwrap();
    let port = url.port().unwrap();
    let target = format!("/?{}", url.query().unwrap());

    // An idle connection first: it must not hold up anything that follows.
    let idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let started = Instant::now();
    // The real callback through another name (a web page rebinding a host to 127.0.0.1).
    let (status, page) = get_with_host(port, &target, "evil.example");
    assert_eq!(status, 400, "{page}");
    // A callback with another state, from the right address.
    let forged = url::Url::parse(&browser::with_param(&callback, "state", "forged-state")).unwrap();
    let forged = format!("/?{}", forged.query().unwrap());
    let (status, page) = get_with_host(port, &forged, &format!("127.0.0.1:{port}"));
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("does not belong to the sign-in"), "{page}");
    // Anything else is answered and ignored.
    let (status, _) = get_with_host(port, "/favicon.ico", &format!("localhost:{port}"));
    assert_eq!(status, 404);
    // The sign-in is still waiting, and its own callback ends it.
    let page = browser::get(&callback);
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("You are signed in"), "{}", page.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the idle connection held the listener for {:?}",
        started.elapsed()
    );
    let result = client
        .wait_response(id, "vaultlink.signIn", Duration::from_secs(20))
        .expect("signed in");
    assert_eq!(result["signedIn"], true);
    drop(idle);
}

// ---------------------------------------------------------------------------------------------
// Proxies

/// A proxy on loopback that records every byte it receives and answers 502.
struct RecordingProxy {
    url: String,
    got: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl RecordingProxy {
    fn start() -> RecordingProxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let record = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let record = record.clone();
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = stream.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        record.lock().unwrap().extend_from_slice(&buf[..n]);
                    }
                    let _ = stream.write_all(
                        b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                });
            }
        });
        RecordingProxy { url, got }
    }

    fn received(&self) -> String {
        String::from_utf8_lossy(&self.got.lock().unwrap()).into_owned()
    }

    fn env(&self) -> Vec<(String, String)> {
        [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
        ]
        .iter()
        .map(|v| ((*v).to_owned(), self.url.clone()))
        .collect()
    }
}

#[test]
fn loopback_endpoints_and_hosts_never_go_through_a_proxy() {
    let proxy = RecordingProxy::start();
    let emu = Emulator::start();
    emu.add_secret("corp-kv.vault.azure.net", "token", "proxy-test-value-1");
    let echo = vaultlink_e2e::echo::Echo::start();
    let project = Project::new(&format!(
        r#"
//- /vaultlink.json
{{ "secrets": {{ "token": {{ "link": "https://corp-kv.vault.azure.net/secrets/token" }} }} }}
//- /api.http
GET {echo}/with-secret
X-Token: {{{{vault:token}}}}

###
GET http://proxied.example/elsewhere
"#,
        echo = echo.url()
    ));
    let empty = tempfile::tempdir().unwrap();
    let mut env = emu.env();
    env.extend(emu.sp_env());
    env.extend(proxy.env());
    env.push(("PATH".to_owned(), empty.path().display().to_string()));
    let run = run_with(
        project.dir.path(),
        &["send", "api.http", "--request", "1"],
        &env,
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let echoed = echo.requests();
    assert_eq!(echoed.len(), 1, "{echoed:?}");
    assert!(
        format!("{echoed:?}").contains("proxy-test-value-1"),
        "{echoed:?}"
    );
    let seen = proxy.received();
    assert!(seen.is_empty(), "the proxy received: {seen}");
    assert!(!emu.requests().is_empty());

    // Other hosts still go through it.
    let run = run_with(
        project.dir.path(),
        &["send", "api.http", "--request", "2"],
        &env,
    );
    assert!(run.stdout.contains("502"), "{}\n{}", run.stdout, run.stderr);
    assert!(
        proxy
            .received()
            .starts_with("GET http://proxied.example/elsewhere HTTP/1.1"),
        "{}",
        proxy.received()
    );
}

// ---------------------------------------------------------------------------------------------
// Memory

/// Reads a `/proc/<pid>/status` field.
fn status_field(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

#[test]
fn the_process_writes_no_core_dump_and_is_not_readable_by_its_user() {
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::process::CommandExt;
    // The files of a process that is not dumpable belong to root, whoever runs it: run the
    // server as another user than root so that the two differ.
    let me = std::fs::metadata("/proc/self").unwrap().uid();
    // That user may not reach the build's folder (a checkout under a private folder): it
    // runs a copy of the binary from a folder of its own that everyone may read.
    let copy = tempfile::tempdir().unwrap();
    let bin = if me == 0 {
        use std::os::unix::fs::PermissionsExt;
        let bin = copy.path().join("vaultlink");
        std::fs::copy(vaultlink_e2e::bin(), &bin).unwrap();
        for p in [copy.path(), bin.as_path()] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        bin
    } else {
        vaultlink_e2e::bin()
    };
    let mut command = std::process::Command::new(&bin);
    command
        .arg("lsp")
        .current_dir(std::env::temp_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if me == 0 {
        command.uid(65534).gid(65534);
    }
    let mut child = command.spawn().expect("the server starts");
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(10);
    let limits = loop {
        let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
        let owner = std::fs::metadata(format!("/proc/{pid}/status"))
            .unwrap()
            .uid();
        if owner == 0 || Instant::now() > deadline {
            break (limits, owner);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let (limits, owner) = limits;
    let core = limits
        .lines()
        .find(|l| l.starts_with("Max core file size"))
        .unwrap()
        .split_whitespace()
        .skip(4)
        .take(2)
        .collect::<Vec<_>>();
    let real_uid = status_field(pid, "Uid");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(core, ["0", "0"], "{limits}");
    assert_ne!(real_uid.split_whitespace().next(), Some("0"));
    assert_eq!(
        owner, 0,
        "/proc/{pid} belongs to its user: the process is dumpable"
    );
}

#[test]
fn the_editor_keeps_a_secret_value_only_for_the_send_that_fetched_it() {
    let emu = Emulator::start();
    emu.add_secret("corp-kv.vault.azure.net", "token", "kept-for-one-send");
    let echo = vaultlink_e2e::echo::Echo::start();
    let project = Project::new(&format!(
        r#"
//- /vaultlink.json
{{ "secrets": {{ "token": {{ "link": "https://corp-kv.vault.azure.net/secrets/token" }} }} }}
//- /api.http
GET {echo}/one
X-Token: {{{{vault:token}}}}
"#,
        echo = echo.url()
    ));
    let empty = tempfile::tempdir().unwrap();
    let mut env = emu.env();
    env.extend(emu.sp_env());
    env.push(("PATH".to_owned(), empty.path().display().to_string()));
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let uri = client.open(&project.path("api.http"), &project.read("api.http"));
    for _ in 0..2 {
        let result = client.ok(
            "workspace/executeCommand",
            json!({
                "command": "vaultlink.sendRequest",
                "arguments": [{ "uri": uri, "position": { "line": 0, "character": 0 } }]
            }),
        );
        assert_eq!(result["status"], 200, "{result}");
    }
    assert_eq!(echo.requests().len(), 2);
    let value_reads = emu
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/secrets/token" && r.status == 200)
        .count();
    assert_eq!(value_reads, 2, "the value was kept between sends");
}

// ---------------------------------------------------------------------------------------------
// Held up: keep them so

#[test]
fn the_sign_in_error_page_escapes_what_the_callback_carries() {
    let emu = Emulator::start();
    let project = Project::new("//- /vaultlink.json\n{ \"secrets\": {} }\n");
    let empty = tempfile::tempdir().unwrap();
    let mut env = emu.env();
    env.push(("PATH".to_owned(), empty.path().display().to_string()));
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let id = client.send_request(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.signIn", "arguments": [{ "method": "browser" }] }),
    );
    let shown = client.wait_shown_document(1, Duration::from_secs(20));
    let authorize = shown["uri"].as_str().unwrap().to_owned();
    let redirect = browser::query_param(&authorize, "redirect_uri").unwrap();
    let state = browser::query_param(&authorize, "state").unwrap();
    let page = browser::get(&format!(
        "{redirect}?state={state}&error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
    ));
    assert!(
        page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            && !page.body.contains("<script>"),
        "{}",
        page.body
    );
    let err = client
        .wait_response(id, "vaultlink.signIn", Duration::from_secs(20))
        .expect_err("refused");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("the sign-in was refused: access_denied")),
        "{err}"
    );
}

#[test]
fn test_endpoints_that_are_not_loopback_are_refused() {
    let project = Project::new(
        "//- /vaultlink.json\n{ \"secrets\": { \"a\": { \"link\": \"https://corp-kv.vault.azure.net/secrets/a\" } } }\n//- /a.http\nGET https://api.example.com/\nX: {{vault:a}}\n",
    );
    for (var, value, says) in [
        (
            "VAULTLINK_KEYVAULT_ENDPOINT",
            "http://kv.example.com:8443",
            "it must be a loopback address",
        ),
        (
            "AZURE_AUTHORITY_HOST",
            "http://login.example.com",
            "plain http is accepted only for a loopback address",
        ),
    ] {
        let env = vec![
            (var.to_owned(), value.to_owned()),
            (
                "AZURE_TENANT_ID".to_owned(),
                "contoso.onmicrosoft.com".to_owned(),
            ),
            (
                "AZURE_CLIENT_ID".to_owned(),
                "00000000-0000-0000-0000-000000000000".to_owned(),
            ),
            (
                "AZURE_CLIENT_SECRET".to_owned(),
                "not-sent-anywhere".to_owned(),
            ),
        ];
        let run = run_with(project.dir.path(), &["send", "a.http"], &env);
        assert_ne!(run.code, 0);
        assert!(run.stderr.contains(says), "{var}: {}", run.stderr);
        assert!(!run.stderr.contains("not-sent-anywhere"), "{}", run.stderr);
    }
}

/// An HTTPS server on loopback with a self-signed certificate for `localhost`.
fn untrusted_https_server() -> u16 {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .self_signed(&key)
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
            let app = axum::Router::new().route("/", axum::routing::get(|| async { "hello" }));
            axum_server::from_tcp_rustls(listener, config)
                .unwrap()
                .serve(app.into_make_service())
                .await
                .unwrap();
        });
    });
    port
}

#[test]
fn certificates_are_always_checked_by_the_one_tls_stack() {
    let port = untrusted_https_server();
    let project = Project::new(&format!("//- /tls.http\nGET https://localhost:{port}/\n"));
    // Switches other tools honour to skip certificate checks change nothing here.
    let env: Vec<(String, String)> = [
        ("NODE_TLS_REJECT_UNAUTHORIZED", "0"),
        ("PYTHONHTTPSVERIFY", "0"),
        ("CURL_CA_BUNDLE", ""),
        ("REQUESTS_CA_BUNDLE", ""),
        ("GIT_SSL_NO_VERIFY", "1"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let run = run_with(project.dir.path(), &["send", "tls.http"], &env);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.to_lowercase().contains("certificate"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("hello"));

    // One TLS stack in the product: rustls, and one reqwest.
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let lock = std::fs::read_to_string(repo.join("Cargo.lock")).unwrap();
    let names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    for other in ["openssl", "openssl-sys", "native-tls", "tokio-native-tls"] {
        assert!(!names.contains(&other), "{other} is in Cargo.lock");
    }
    assert_eq!(names.iter().filter(|n| **n == "reqwest").count(), 1);
    assert!(names.contains(&"rustls"));
    let server = std::fs::read_to_string(repo.join("server/src/send/run.rs")).unwrap()
        + &std::fs::read_to_string(repo.join("server/src/azure/http.rs")).unwrap();
    assert!(
        !server.contains("danger_accept_invalid"),
        "a switch that skips certificate checks"
    );
}
