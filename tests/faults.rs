//! Key Vault misbehaving, through the emulator: a storm of 429s, 500 and 503, a connection
//! reset in the middle of a body, a body that stalls past the timeout, malformed and
//! truncated JSON, a `nextLink` back to the same page, tokens that expire mid-session, a
//! clock hours off, an access-policy refusal (403 `AccessDenied`) and the vault's firewall
//! (403 `ForbiddenByFirewall`). For each, the same
//! project goes through `vaultlink check`, `vaultlink send` (to a loopback echo server) and
//! the language server (hover on the reference, with a second, healthy secret beside it),
//! and the test asserts what each did:
//!
//! - it finished, within a bound, and said plainly what happened;
//! - it tried a bounded number of times (the emulator's log is counted);
//! - nothing was sent with a secret that could not be fetched;
//! - the healthy secret is still reported;
//! - once Key Vault is well again, `vaultlink.refresh` shows the secret as it is: nothing
//!   partial or broken was kept as if it were the answer.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::{CLIENT_ADDRESS, Config, Damage, Emulator, Fault, Refusal};
use vaultlink_e2e::lsp::{Client, Options, find};
use vaultlink_e2e::{Project, Run, run_with};

const KV: &str = "corp-kv.vault.azure.net";
const FAULTY: &str = "/secrets/api-token";
const VALUE: &str = "tok-Vq83Lm20Xz";

/// What a row expects.
struct Expect {
    /// Does `check` exit 0 (no errors)? It exits 0 too when a lookup fails on the way.
    check_phrase: Option<&'static str>,
    /// Part of what `send` says on stderr; `None`: the request goes out.
    send_phrase: Option<&'static str>,
    /// Part of the hover over the faulty reference.
    hover_phrase: &'static str,
    /// The most requests to the faulty paths one lookup may make.
    max_attempts: usize,
    /// The longest `check` and `send` may take.
    within: Duration,
}

struct World {
    emu: Emulator,
    echo: Echo,
    project: Project,
    env: Vec<(String, String)>,
}

fn world(config: Config, before_secrets: impl FnOnce(&Emulator)) -> World {
    let emu = Emulator::start_with(config);
    before_secrets(&emu);
    emu.add_secret(KV, "api-token", VALUE);
    emu.add_secret(KV, "other", "other-Pq2Zr8");
    let echo = Echo::start();
    let project = Project::new(&format!(
        r#"
//- /vaultlink.json
{{
  "secrets": {{
    "api-token": {{ "link": "https://{KV}/secrets/api-token" }},
    "other": {{ "link": "https://{KV}/secrets/other" }}
  }}
}}
//- /api.http
GET {}/things
Authorization: Bearer {{{{vault:api-token}}}}
X-Other: {{{{vault:other}}}}
"#,
        echo.url()
    ));
    let (_, path) = empty_path();
    let mut env = emu.env();
    env.extend(emu.sp_env());
    env.push(path);
    World {
        emu,
        echo,
        project,
        env,
    }
}

/// A `PATH` with nothing on it (no `az`).
fn empty_path() -> (tempfile::TempDir, (String, String)) {
    let dir = tempfile::tempdir().unwrap();
    let path = ("PATH".to_owned(), dir.path().display().to_string());
    (dir, path)
}

fn faulty_requests(emu: &Emulator) -> usize {
    emu.requests()
        .iter()
        .filter(|r| r.path.starts_with(FAULTY) && r.authorization.is_some())
        .count()
}

fn timed_run(w: &World, args: &[&str]) -> (Run, Duration) {
    let started = Instant::now();
    let run = run_with(w.project.dir.path(), args, &w.env);
    (run, started.elapsed())
}

fn hover_text(c: &mut Client, uri: &str, text: &str, name: &str) -> String {
    let (s, _) = find(text, &format!("vault:{name}"));
    let at = c.at(uri, s + 7);
    let r = c.request("textDocument/hover", at);
    match r {
        Ok(v) => v["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Err(e) => panic!("hover on {name}: {e}\n{}", c.dump()),
    }
}

/// Hovers until the hover satisfies `done` (Key Vault's answer arrives in the background
/// after a hover stops waiting for it), for at most `within`.
fn hover_until(
    c: &mut Client,
    uri: &str,
    text: &str,
    name: &str,
    within: Duration,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + within;
    loop {
        let h = hover_text(c, uri, text, name);
        if done(&h) || Instant::now() >= deadline {
            return h;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// Runs `check`, `send` and the language server with the fault in force, then heals Key
/// Vault and checks that the editor shows the secret as it is.
fn row(name: &str, w: World, expect: Expect) {
    eprintln!("--- {name}");
    // check
    let (run, took) = timed_run(&w, &["check", "--format", "json"]);
    let attempts = faulty_requests(&w.emu);
    eprintln!(
        "check: exit {} in {took:?}, {attempts} request(s) to {FAULTY}\n  stderr: {}",
        run.code,
        run.stderr.trim()
    );
    assert!(took <= expect.within, "{name}: check took {took:?}");
    assert!(
        (1..=expect.max_attempts).contains(&attempts),
        "{name}: check made {attempts} request(s) to {FAULTY}"
    );
    let findings: Vec<Value> = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("{name}: check printed no JSON ({e}): {}", run.stdout));
    let on_line = |line: u64| {
        findings
            .iter()
            .filter(|f| {
                f["file"].as_str().is_some_and(|p| p.ends_with("api.http")) && f["line"] == line
            })
            .map(|f| f["code"].as_str().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
    };
    match expect.check_phrase {
        Some(phrase) => assert!(
            run.stderr.contains(phrase) || run.stdout.contains(phrase),
            "{name}: check says `{phrase}`:\n{}\n{}",
            run.stdout,
            run.stderr
        ),
        None => assert!(
            on_line(2).is_empty() && run.code == 0,
            "{name}: check finds nothing wrong: {findings:?}\n{}",
            run.stderr
        ),
    }
    assert!(
        on_line(3).is_empty(),
        "{name}: the healthy secret has no finding: {:?}",
        on_line(3)
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);

    // send
    let before = faulty_requests(&w.emu);
    let (run, took) = timed_run(&w, &["send", "api.http"]);
    let attempts = faulty_requests(&w.emu) - before;
    eprintln!(
        "send: exit {} in {took:?}, {attempts} request(s) to {FAULTY}\n  stderr: {}",
        run.code,
        run.stderr.trim()
    );
    assert!(took <= expect.within, "{name}: send took {took:?}");
    assert!(
        attempts <= expect.max_attempts,
        "{name}: send made {attempts} request(s) to {FAULTY}"
    );
    let sent = w.echo.requests();
    match expect.send_phrase {
        Some(phrase) => {
            assert_ne!(run.code, 0, "{name}: send failed");
            assert!(
                run.stderr.contains(phrase),
                "{name}: send says `{phrase}`: {}",
                run.stderr
            );
            assert!(
                sent.is_empty(),
                "{name}: nothing is sent without its secret"
            );
        }
        None => {
            assert_eq!(run.code, 0, "{name}: {}", run.stderr);
            assert_eq!(sent.len(), 1);
            assert!(
                sent[0]
                    .headers
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case("authorization") && v.contains(VALUE)),
                "{name}: the request carried the secret"
            );
        }
    }
    assert!(!run.stdout.contains(VALUE) && !run.stderr.contains(VALUE));

    // the language server
    let mut c = Client::start_with(
        w.project.dir.path(),
        Options {
            env: &w.env,
            ..Options::default()
        },
    );
    c.wait_notification("the sign-in", |n| {
        n["method"] == "vaultlink/signInStatus" && n["params"]["signedIn"] == true
    });
    let text = w.project.read("api.http");
    let uri = c.open(&w.project.path("api.http"), &text);
    let hover = hover_until(&mut c, &uri, &text, "api-token", expect.within, |h| {
        h.contains(expect.hover_phrase)
    });
    eprintln!("hover: {}", hover.replace('\n', " "));
    assert!(
        hover.contains(expect.hover_phrase),
        "{name}: the hover says `{}`: {hover}",
        expect.hover_phrase
    );
    let other = hover_until(&mut c, &uri, &text, "other", expect.within, |h| {
        h.contains("- enabled: yes")
    });
    assert!(
        other.contains("- enabled: yes"),
        "{name}: the healthy secret is shown: {other}"
    );
    // Key Vault is well again: a refresh shows the secret as it is.
    w.emu.clear_faults();
    c.ok(
        "workspace/executeCommand",
        json!({ "command": "vaultlink.refresh", "arguments": [{}] }),
    );
    let healed = hover_until(
        &mut c,
        &uri,
        &text,
        "api-token",
        Duration::from_secs(10),
        |h| h.contains("- enabled: yes"),
    );
    assert!(
        healed.contains("- enabled: yes") && !healed.contains("damaged-"),
        "{name}: after the fault, the secret as Key Vault has it: {healed}"
    );
    assert!(!c.received_text().contains(VALUE));
    c.shutdown();
}

fn fault_row(name: &str, fault: Fault, config: Config, expect: Expect) {
    let w = world(config, |_| {});
    w.emu.fault(fault);
    row(name, w, expect);
}

#[test]
fn a_storm_of_429s() {
    fault_row(
        "429 on every request, Retry-After: 1",
        Fault::throttle(FAULTY, Some(1)),
        Config::default(),
        Expect {
            check_phrase: Some("Key Vault is throttling requests (it asked to wait 1 s)"),
            send_phrase: Some("Key Vault is throttling requests"),
            hover_phrase: "throttling",
            max_attempts: 4,
            within: Duration::from_secs(15),
        },
    );
}

#[test]
fn internal_server_errors() {
    fault_row(
        "500 on every request",
        Fault::fail(FAULTY, 500),
        Config::default(),
        Expect {
            check_phrase: Some("Key Vault answered 500"),
            send_phrase: Some("Key Vault answered 500"),
            hover_phrase: "Key Vault answered 500",
            max_attempts: 4,
            within: Duration::from_secs(15),
        },
    );
}

#[test]
fn service_unavailable() {
    fault_row(
        "503 on every request",
        Fault::fail(FAULTY, 503),
        Config::default(),
        Expect {
            check_phrase: Some("Key Vault answered 503"),
            send_phrase: Some("Key Vault answered 503"),
            hover_phrase: "Key Vault answered 503",
            max_attempts: 4,
            within: Duration::from_secs(15),
        },
    );
}

#[test]
fn a_connection_reset_mid_body() {
    fault_row(
        "connection reset in the middle of the body",
        Fault::damage(FAULTY, Damage::ResetMidBody),
        Config::default(),
        Expect {
            check_phrase: Some("could not reach Key Vault at `corp-kv.vault.azure.net`"),
            send_phrase: Some("could not reach Key Vault at `corp-kv.vault.azure.net`"),
            hover_phrase: "could not reach Key Vault",
            max_attempts: 4,
            within: Duration::from_secs(15),
        },
    );
}

#[test]
fn a_body_that_stalls_past_the_timeout() {
    let w = world(Config::default(), |_| {});
    let mut fault = Fault::damage(FAULTY, Damage::SlowBody);
    fault.delay = Duration::from_secs(60);
    w.emu.fault(fault);
    let mut w = w;
    w.env
        .push(("VAULTLINK_AZURE_TIMEOUT_SECS".to_owned(), "2".to_owned()));
    row(
        "the body stalls past the 2 s timeout",
        w,
        Expect {
            check_phrase: Some("could not reach Key Vault at `corp-kv.vault.azure.net`"),
            send_phrase: Some("could not reach Key Vault at `corp-kv.vault.azure.net`"),
            hover_phrase: "could not reach Key Vault",
            max_attempts: 4,
            within: Duration::from_secs(25),
        },
    );
}

#[test]
fn malformed_json() {
    fault_row(
        "a body that is not JSON",
        Fault::damage(FAULTY, Damage::Malformed),
        Config::default(),
        Expect {
            check_phrase: Some("Key Vault's answer could not be read"),
            send_phrase: Some("Key Vault's answer could not be read"),
            hover_phrase: "answer could not be read",
            max_attempts: 1,
            within: Duration::from_secs(10),
        },
    );
}

#[test]
fn truncated_json() {
    fault_row(
        "a list page cut off in the middle",
        Fault::damage(FAULTY, Damage::Truncated),
        Config::default(),
        Expect {
            check_phrase: Some("Key Vault's answer could not be read"),
            send_phrase: Some("Key Vault's answer could not be read"),
            hover_phrase: "answer could not be read",
            max_attempts: 1,
            within: Duration::from_secs(10),
        },
    );
}

#[test]
fn a_next_link_back_to_the_same_page() {
    fault_row(
        "nextLink loops to the same page",
        Fault::damage(FAULTY, Damage::NextLinkLoop),
        Config::default(),
        Expect {
            check_phrase: Some("link back to a page already read"),
            send_phrase: Some("Key Vault's answer could not be read"),
            hover_phrase: "link back to a page already read",
            max_attempts: 2,
            within: Duration::from_secs(10),
        },
    );
}

#[test]
fn an_access_policy_refusal() {
    fault_row(
        "403 Forbidden, inner error AccessDenied",
        Fault::damage(FAULTY, Damage::AccessDenied),
        Config::default(),
        Expect {
            check_phrase: Some("(AccessDenied)"),
            send_phrase: Some("Key Vault refused access (AccessDenied)"),
            hover_phrase: "refused access (AccessDenied)",
            max_attempts: 1,
            within: Duration::from_secs(10),
        },
    );
}

#[test]
fn a_clock_hours_ahead_and_behind() {
    for hours in [5i64, -5] {
        let w = world(Config::default(), |emu| emu.skew_clock(hours * 3600));
        row(
            &format!("the emulator's clock {hours:+} h off"),
            w,
            Expect {
                check_phrase: None,
                send_phrase: None,
                hover_phrase: "- enabled: yes",
                max_attempts: 2,
                within: Duration::from_secs(10),
            },
        );
    }
}

#[test]
fn tokens_that_expire_mid_session() {
    let w = world(
        Config {
            access_token_lifetime: Duration::from_secs(2),
            ..Config::default()
        },
        |_| {},
    );
    // The session outlives its first token: the editor keeps working after it expired.
    let mut c = Client::start_with(
        w.project.dir.path(),
        Options {
            env: &w.env,
            ..Options::default()
        },
    );
    c.wait_notification("the sign-in", |n| {
        n["method"] == "vaultlink/signInStatus" && n["params"]["signedIn"] == true
    });
    let text = w.project.read("api.http");
    let uri = c.open(&w.project.path("api.http"), &text);
    for round in 0..3 {
        if round > 0 {
            std::thread::sleep(Duration::from_millis(2500));
            c.ok(
                "workspace/executeCommand",
                json!({ "command": "vaultlink.refresh", "arguments": [{}] }),
            );
        }
        let h = hover_until(
            &mut c,
            &uri,
            &text,
            "api-token",
            Duration::from_secs(10),
            |h| h.contains("- enabled: yes"),
        );
        assert!(h.contains("- enabled: yes"), "round {round}: {h}");
    }
    // The background lookups of the last round (the other secret) may still be on their way
    // with the token they got: count once the emulator has heard nothing for a while.
    let mut seen = w.emu.requests().len();
    loop {
        std::thread::sleep(Duration::from_millis(700));
        let now = w.emu.requests().len();
        if now == seen {
            break;
        }
        seen = now;
    }
    let tokens = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
        .count();
    let lookups = w
        .emu
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/secrets") && r.authorization.is_some())
        .count();
    assert!(
        tokens >= 3 && tokens <= lookups + 1,
        "a new token for expired ones, at most one per Key Vault request: {tokens} tokens, {lookups} requests"
    );
    let refused = w.emu.requests().iter().filter(|r| r.status == 401).count();
    assert!(
        refused <= 1,
        "expired tokens are renewed before use, not after a refusal: {refused} 401s"
    );
    c.shutdown();
    // `check` and `send` with the short-lived tokens, as the other rows.
    let w = world(
        Config {
            access_token_lifetime: Duration::from_secs(2),
            ..Config::default()
        },
        |_| {},
    );
    row(
        "tokens that live 2 s",
        w,
        Expect {
            check_phrase: None,
            send_phrase: None,
            hover_phrase: "- enabled: yes",
            max_attempts: 2,
            within: Duration::from_secs(10),
        },
    );
}

#[test]
fn a_firewall_refusal() {
    // The whole vault refuses this machine: both secrets are refused, each once.
    let w = world(
        Config {
            refuse_vaults: vec![(KV.to_owned(), Refusal::Firewall)],
            ..Config::default()
        },
        |_| {},
    );
    let advice = format!("firewall does not allow this machine's address ({CLIENT_ADDRESS})");
    let (run, took) = timed_run(&w, &["check", "--format", "json"]);
    eprintln!(
        "check: exit {} in {took:?}\n{}{}",
        run.code, run.stdout, run.stderr
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains(&advice), "{}", run.stdout);
    assert!(!run.stdout.contains("Secrets User role"), "{}", run.stdout);
    assert_eq!(faulty_requests(&w.emu), 1, "no retry of a refusal");
    let (run, took) = timed_run(&w, &["send", "api.http"]);
    eprintln!("send: exit {} in {took:?}\n{}", run.code, run.stderr);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains(&advice), "{}", run.stderr);
    assert!(
        w.echo.requests().is_empty(),
        "nothing is sent without its secret"
    );
    let mut c = Client::start_with(
        w.project.dir.path(),
        Options {
            env: &w.env,
            ..Options::default()
        },
    );
    c.wait_notification("the sign-in", |n| {
        n["method"] == "vaultlink/signInStatus" && n["params"]["signedIn"] == true
    });
    let text = w.project.read("api.http");
    let uri = c.open(&w.project.path("api.http"), &text);
    let hover = hover_until(
        &mut c,
        &uri,
        &text,
        "api-token",
        Duration::from_secs(10),
        |h| h.contains("firewall"),
    );
    eprintln!("hover: {}", hover.replace('\n', " "));
    assert!(hover.contains(&advice), "{hover}");
    c.shutdown();
}
