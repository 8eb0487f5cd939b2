//! Key Vault as it really answered: the built binary against answers the Azure SDKs recorded
//! from the live service (listed in `tests/recordings/keyvault/manifest.json`, read from the
//! shared data beside the repository and replayed by `support/replay.rs`; without them these
//! tests say so and replay nothing), and
//! against the `403` refusals of Microsoft's troubleshooting documentation (the emulator's
//! `refuse_vaults`). `check`, hover, code actions, completion and `send` are driven through
//! them; each test names the recording and the exchanges it serves.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::{CLIENT_ADDRESS, Config, Emulator, Refusal};
use vaultlink_e2e::lsp::{Client, Options};
use vaultlink_e2e::replay::{self, Exchange, Replay, recordings_dir};
use vaultlink_e2e::{Project, Run, run_with};

/// The tenant every recorded challenge names (`login.windows.net/72f988bf-…`), which is the
/// emulator's tenant: tokens it issues there are the ones the replay accepts.
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

const CPP_SECOND: &str = "cpp/KeyVaultSecretClientTest.SecondCreateTest.json";
const CPP_FIRST: &str = "cpp/KeyVaultSecretClientTest.FirstCreateTest.json";
const CPP_RECOVER: &str = "cpp/KeyVaultSecretClientTest.Recover.json";
const CPP_LIST: &str = "cpp/KeyVaultSecretClientTest.TestGetPropertiesOfSecret.json";
const NET_VERSIONS: &str = "net/GetPropertiesOfSecretVersions.json";
const NET_MISSING: &str = "net/GetSecretVersionsNonExisting.json";
const NET_DISABLED: &str = "net/UpdateEnabled.json";
const NET_VERSION: &str = "net/GetSecretWithVersion.json";

/// `GetPropertiesOfSecretVersions`: 50 versions of `182836926` over two pages; the last
/// `PUT` created `f9415e18…`, alone in its second; `3b955e8b…` was the first.
const CURRENT: &str = "f9415e18e9a745ab9bd9f0e680341023";
const FIRST: &str = "3b955e8b76a24c3c970cc4558e10b485";
/// Created in 1648054289, with twelve others, one second before `CURRENT`.
const OLDER_SAME_SECOND: &str = "58cf049a0afe4d4a977d29c950e25037";

/// `SecondCreateTest`: two versions in one second; the second `PUT` made `9f5f…` current,
/// and the list gives `9f5f…` first, `af19…` second.
const SECOND_PUT: &str = "9f5f5da65dc940be89d55a9712e4dc0b";
const FIRST_PUT: &str = "af19856a9ff74be6bf08fa3e5935f633";

/// The recorded 401 challenge every replay answers a request without an accepted token with.
fn challenge() -> Exchange {
    replay::exchange(NET_VERSIONS, 0)
}

struct World {
    emu: Emulator,
    replay: Replay,
    project: Project,
}

fn world(exchanges: Vec<Exchange>, fixture: &str) -> World {
    let emu = Emulator::start();
    let replay = Replay::start(challenge(), exchanges, emu.token_check(TENANT));
    World {
        emu,
        replay,
        project: Project::new(fixture),
    }
}

impl World {
    /// The emulator signs in (its service principal), the replay answers for Key Vault.
    fn env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            ("AZURE_AUTHORITY_HOST".to_owned(), self.emu.url()),
            ("VAULTLINK_KEYVAULT_ENDPOINT".to_owned(), self.replay.url()),
        ];
        env.extend(self.emu.sp_env());
        env
    }

    fn run(&self, args: &[&str], env: &[(String, String)]) -> Run {
        run_with(self.project.dir.path(), args, env)
    }

    fn check_json(&self) -> Vec<Value> {
        let run = self.run(&["check", "--format", "json"], &self.env());
        serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", run.stdout, run.stderr))
    }

    fn client(&self) -> Client {
        Client::start_with(
            self.project.dir.path(),
            Options {
                env: &self.env(),
                ..Options::default()
            },
        )
    }

    fn assert_no_misses(&self) {
        let misses = self.replay.misses();
        assert!(
            misses.is_empty(),
            "requests without a recorded answer: {misses:#?}"
        );
    }
}

/// `(line, code)` of each finding of `check --format json`, with its message.
fn findings(found: &[Value]) -> Vec<(u64, String, String)> {
    let mut out: Vec<(u64, String, String)> = found
        .iter()
        .map(|f| {
            (
                f["line"].as_u64().unwrap(),
                f["code"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort();
    out
}

fn offset_of(text: &str, needle: &str) -> usize {
    text.find(needle)
        .unwrap_or_else(|| panic!("`{needle}` is not in the text"))
}

fn hover_text(client: &mut Client, uri: &str, text: &str, needle: &str) -> String {
    let at = offset_of(text, needle) + needle.len() / 2;
    let pos = client.at(uri, at);
    // The server signs in on its own at start (the service principal) and a hover waits
    // only briefly for Key Vault: ask until the answer is in.
    for _ in 0..100 {
        let hover = client.ok("textDocument/hover", pos.clone());
        let md = hover["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !md.contains("has not answered yet") && !md.contains("Sign in to Azure") {
            return md;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("Key Vault never answered the hover on {needle}");
}

fn action_titles(client: &mut Client, uri: &str, text: &str, needle: &str) -> Vec<String> {
    let at = offset_of(text, needle) + needle.len() / 2;
    let range = client.range(uri, at, at);
    let actions = client.ok(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": range, "context": { "diagnostics": [] } }),
    );
    actions
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["title"].as_str().unwrap().to_owned())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The recordings themselves

/// Every recording is listed with its source repository, path, commit and licence, and its
/// bodies are as Key Vault sent them: each recorded `Content-Length` matches the body the
/// replay serves.
#[test]
fn recordings_keep_their_source_licence_and_bytes() {
    if !replay::recordings_present("recordings_keep_their_source_licence_and_bytes") {
        return;
    }
    let dir = recordings_dir().expect("the recordings");
    let manifest = replay::manifest();
    let listed: BTreeSet<String> = manifest
        .iter()
        .map(|m| m["file"].as_str().unwrap().to_owned())
        .collect();
    let mut present = BTreeSet::new();
    for sub in ["cpp", "net"] {
        for entry in std::fs::read_dir(dir.join(sub)).unwrap() {
            present.insert(format!(
                "{sub}/{}",
                entry.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    assert_eq!(
        listed, present,
        "manifest.json lists exactly the recordings"
    );
    for m in &manifest {
        let repo = m["repository"].as_str().unwrap();
        assert!(repo.starts_with("Azure/azure-sdk-for-"), "{m}");
        assert!(m["path"].as_str().unwrap().ends_with(".json"), "{m}");
        let commit = m["commit"].as_str().unwrap();
        assert!(
            commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
            "{m}"
        );
        assert_eq!(m["licence"], "MIT", "{m}");
        let licence =
            std::fs::read_to_string(dir.join(m["licenceFile"].as_str().unwrap())).unwrap();
        assert!(
            licence.contains("MIT License") && licence.contains("Copyright (c) "),
            "{m}"
        );
        let file = m["file"].as_str().unwrap();
        let exchanges = replay::load(file);
        assert!(!exchanges.is_empty(), "{file}");
        for (i, e) in exchanges.iter().enumerate() {
            // The C++ recorder wrote `REDACTED` over the vault's name in some bodies; those
            // are the only ones whose length changed.
            if let Some(len) = e.content_length
                && !e.body_text().contains("REDACTED")
            {
                assert_eq!(
                    e.body.len(),
                    len,
                    "{file} exchange {i}: the body is not as sent"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Versions

/// `GetPropertiesOfSecretVersions` (.NET, api-version 7.3): the recorded 401 challenge, then
/// the versions list over two pages, the second reached through the recorded `nextLink`
/// (`https://heathskeyvault.vault.azure.net:443/…&$skiptoken=…`). A link pinned to the first
/// version, and one pinned to a version of the second before the last, get `newer-version`;
/// the link pinned to the current version gets nothing.
#[test]
fn check_pages_through_recorded_next_links() {
    if !replay::recordings_present("check_pages_through_recorded_next_links") {
        return;
    }
    let host = "heathskeyvault.vault.azure.net";
    let w = world(
        replay::load(NET_VERSIONS)[1..].to_vec(),
        &format!(
            r#"
//- /vaultlink.json
{{
  "secrets": {{
    "current": {{ "link": "https://{host}/secrets/182836926/{CURRENT}" }},
    "first": {{ "link": "https://{host}/secrets/182836926/{FIRST}" }},
    "older": {{ "link": "https://{host}/secrets/182836926/{OLDER_SAME_SECOND}" }},
    "latest": {{ "link": "https://{host}/secrets/182836926" }}
  }}
}}
//- /api.http
GET https://api.example.com/
A: {{{{vault:current}}}}
B: {{{{vault:first}}}}
C: {{{{vault:older}}}}
D: {{{{vault:latest}}}}
"#
        ),
    );
    let found = findings(&w.check_json());
    // `first` and `older`, in vaultlink.json and at their references; nothing else.
    let codes: Vec<&str> = found.iter().map(|(_, c, _)| c.as_str()).collect();
    assert_eq!(codes, ["newer-version"; 4], "{found:#?}");
    assert!(
        found
            .iter()
            .all(|(_, _, m)| m.contains("pins version") && !m.contains(CURRENT)),
        "{found:#?}"
    );
    let pages: Vec<_> = w
        .replay
        .received()
        .into_iter()
        .filter(|r| r.authorized && r.path == "/secrets/182836926/versions")
        .collect();
    assert_eq!(pages.len(), 2, "{pages:#?}");
    assert!(
        pages[1].query.contains("$skiptoken=eyJOZXh0TWFya2Vy"),
        "{pages:#?}"
    );
    assert!(pages.iter().all(|p| p.host == host), "{pages:#?}");
    w.assert_no_misses();
}

/// `SecondCreateTest` (C++): two versions created in the same second. Nothing in the list says
/// that the second `PUT`'s `9f5f…` is current, so: no `newer-version` on either pinned link
/// (today's code flags the real current one), hover names no current version, and no action
/// pins the link to the latest version to one of them.
#[test]
fn versions_of_one_second_are_never_guessed() {
    if !replay::recordings_present("versions_of_one_second_are_never_guessed") {
        return;
    }
    let host = "redacted.vault.azure.net";
    let versions = replay::exchange(CPP_SECOND, 2);
    assert_eq!(versions.path(), "/secrets/SecondCreateTest/versions");
    let w = world(
        vec![versions],
        &format!(
            r#"
//- /vaultlink.json
{{
  "secrets": {{
    "second-put": {{ "link": "https://{host}/secrets/SecondCreateTest/{SECOND_PUT}" }},
    "first-put": {{ "link": "https://{host}/secrets/SecondCreateTest/{FIRST_PUT}" }},
    "floating": {{ "link": "https://{host}/secrets/SecondCreateTest" }}
  }}
}}
//- /api.http
GET https://api.example.com/
A: {{{{vault:second-put}}}}
B: {{{{vault:first-put}}}}
C: {{{{vault:floating}}}}
"#
        ),
    );
    let found = findings(&w.check_json());
    assert!(
        found.is_empty(),
        "no version may be called outdated: {found:#?}"
    );

    let mut client = w.client();
    let path = w.project.path("api.http");
    let text = w.project.read("api.http");
    let uri = client.open(&path, &text);
    let md = hover_text(&mut client, &uri, &text, "vault:floating");
    assert!(md.contains("the current version is not known"), "{md}");
    assert!(!md.contains("- current version:"), "{md}");
    let md = hover_text(&mut client, &uri, &text, "vault:second-put");
    assert!(
        md.contains(&format!("- pinned version: `{SECOND_PUT}`")),
        "{md}"
    );
    assert!(md.contains("- current version: not known"), "{md}");
    let titles = action_titles(&mut client, &uri, &text, "vault:floating");
    assert!(
        !titles.iter().any(|t| t.starts_with("Pin `floating`")),
        "no pin to a guessed version: {titles:?}"
    );
    for name in ["second-put", "first-put"] {
        let titles = action_titles(&mut client, &uri, &text, &format!("vault:{name}"));
        assert!(
            !titles
                .iter()
                .any(|t| t.starts_with("Use the latest version")),
            "{name}: {titles:?}"
        );
    }
    client.shutdown();
    w.assert_no_misses();
}

/// Hover on a link pinned to an old version says which version is pinned and which is
/// current (two pages of `GetPropertiesOfSecretVersions`); the pin action on the unpinned
/// link pins the one current version.
#[test]
fn hover_on_a_pinned_link_names_the_current_version() {
    if !replay::recordings_present("hover_on_a_pinned_link_names_the_current_version") {
        return;
    }
    let host = "heathskeyvault.vault.azure.net";
    let w = world(
        replay::load(NET_VERSIONS)[1..].to_vec(),
        &format!(
            r#"
//- /vaultlink.json
{{
  "secrets": {{
    "first": {{ "link": "https://{host}/secrets/182836926/{FIRST}" }},
    "latest": {{ "link": "https://{host}/secrets/182836926" }}
  }}
}}
//- /api.http
GET https://api.example.com/
A: {{{{vault:first}}}}
B: {{{{vault:latest}}}}
"#
        ),
    );
    let mut client = w.client();
    let path = w.project.path("api.http");
    let text = w.project.read("api.http");
    let uri = client.open(&path, &text);
    let md = hover_text(&mut client, &uri, &text, "vault:first");
    assert!(md.contains(&format!("- pinned version: `{FIRST}`")), "{md}");
    assert!(
        md.contains(&format!("- current version: `{CURRENT}`")),
        "{md}"
    );
    assert!(
        !md.contains(&format!("- current version: `{FIRST}`")),
        "{md}"
    );
    assert!(md.contains("- versions: 50"), "{md}");
    let md = hover_text(&mut client, &uri, &text, "vault:latest");
    assert!(
        md.contains(&format!("- current version: `{CURRENT}`")),
        "{md}"
    );
    let titles = action_titles(&mut client, &uri, &text, "vault:latest");
    assert!(
        titles
            .iter()
            .any(|t| t == "Pin `latest` to the current version (f9415e18)"),
        "{titles:?}"
    );
    let titles = action_titles(&mut client, &uri, &text, "vault:first");
    assert!(
        titles
            .iter()
            .any(|t| t == "Use the latest version of `first`"),
        "{titles:?}"
    );
    client.shutdown();
    w.assert_no_misses();
}

// ---------------------------------------------------------------------------------------------
// Listing secrets

/// `TestGetPropertiesOfSecret` (C++): the vault's secrets over seven pages, each `nextLink`
/// on `cpp-recordings.vault.azure.net:443` with a `$skiptoken`; completion of a `link` in
/// vaultlink.json offers every one of them.
#[test]
fn completion_lists_every_recorded_page_of_secrets() {
    if !replay::recordings_present("completion_lists_every_recorded_page_of_secrets") {
        return;
    }
    let host = "cpp-recordings.vault.azure.net";
    let pages: Vec<Exchange> = replay::load(CPP_LIST)
        .into_iter()
        .filter(|e| e.method == "GET" && e.path() == "/secrets")
        .collect();
    assert_eq!(pages.len(), 7);
    let mut expected = BTreeSet::new();
    for page in &pages {
        let body: Value = serde_json::from_slice(&page.body).unwrap();
        for item in body["value"].as_array().unwrap() {
            let id = item["id"].as_str().unwrap();
            expected.insert(id.rsplit('/').next().unwrap().to_ascii_lowercase());
        }
    }
    let w = world(
        pages,
        &format!(
            r#"
//- /vaultlink.json
{{
  "secrets": {{
    "one": {{ "link": "https://{host}/secrets/FirstCreateTest" }}
  }}
}}
"#
        ),
    );
    let mut client = w.client();
    let path = w.project.path("vaultlink.json");
    let text = w.project.read("vaultlink.json");
    let uri = client.open(&path, &text);
    let at = offset_of(&text, "secrets/FirstCreateTest") + "secrets/".len();
    let mut labels = BTreeSet::new();
    for _ in 0..100 {
        let items = client.ok("textDocument/completion", client.at(&uri, at));
        labels = items
            .as_array()
            .or_else(|| items["items"].as_array())
            .unwrap()
            .iter()
            .filter_map(|i| i["label"].as_str())
            .filter_map(|l| l.strip_prefix(&format!("https://{host}/secrets/")))
            .filter(|name| !name.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        if !labels.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(labels, expected);
    client.shutdown();
    let followed = w
        .replay
        .received()
        .iter()
        .filter(|r| r.authorized && r.path == "/secrets" && r.query.contains("$skiptoken="))
        .count();
    assert_eq!(followed, 6, "six recorded next links followed");
    // The link's own metadata (its versions, then whether it was deleted) is not part of
    // this recording; every listing request was answered.
    let misses = w.replay.misses();
    assert!(
        misses
            .iter()
            .all(|m| m.path == "/secrets/firstcreatetest/versions"
                || m.path == "/deletedsecrets/firstcreatetest"),
        "{misses:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Not found, deleted, disabled, and a value

/// A project that sends `{{vault:NAME}}` to the echo server, NAME linked to `link`.
fn send_project(echo: &Echo, name: &str, link: &str) -> String {
    format!(
        r#"
//- /vaultlink.json
{{
  "secrets": {{
    "{name}": {{ "link": "{link}", "allowedDomains": ["127.0.0.1"] }}
  }}
}}
//- /api.http
GET {}/orders
Authorization: Bearer {{{{vault:{name}}}}}
"#,
        echo.url()
    )
}

/// `FirstCreateTest` (C++): `GET /secrets/FirstCreateTest` answers the latest version with
/// its value; `send` sends it and masks it in everything it prints.
#[test]
fn send_fetches_the_recorded_value_and_masks_it() {
    if !replay::recordings_present("send_fetches_the_recorded_value_and_masks_it") {
        return;
    }
    let echo = Echo::start();
    let get = replay::exchange(CPP_FIRST, 1);
    assert_eq!((get.method.as_str(), get.status), ("GET", 200));
    let w = world(
        vec![get],
        &send_project(
            &echo,
            "first",
            "https://redacted.vault.azure.net/secrets/FirstCreateTest",
        ),
    );
    let run = w.run(&["send", "api.http"], &w.env());
    assert_eq!(run.code, 0, "{run:?}");
    let got = echo.requests();
    assert_eq!(got.len(), 1);
    let auth = got[0]
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str());
    assert_eq!(
        auth,
        Some("Bearer secretValue"),
        "the recorded value was sent"
    );
    assert!(run.stdout.contains("Bearer ***"), "{}", run.stdout);
    assert!(!run.stdout.contains("secretValue") && !run.stderr.contains("secretValue"));
    w.assert_no_misses();
}

/// `GetSecretWithVersion` (.NET, api-version 7.0): `GET /secrets/1092159404/c35f…` answers
/// that version (the second of three created in one second) with its value; `send` of a
/// link pinned to it sends that value.
#[test]
fn send_fetches_a_pinned_version() {
    if !replay::recordings_present("send_fetches_a_pinned_version") {
        return;
    }
    let echo = Echo::start();
    let get = replay::exchange(NET_VERSION, 0);
    let w = world(
        vec![get],
        &send_project(
            &echo,
            "pinned",
            "https://pakrym-keyvault.vault.azure.net/secrets/1092159404/c35fc1a31f9144c2877aa67b6ad4c31a",
        ),
    );
    let run = w.run(&["send", "api.http"], &w.env());
    assert_eq!(run.code, 0, "{run:?}");
    let got = echo.requests();
    let auth = got[0]
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str());
    assert_eq!(auth, Some("Bearer value2"));
    assert!(!run.stdout.contains("value2") && !run.stderr.contains("value2"));
    w.assert_no_misses();
}

/// `Recover` (C++): the secret was deleted; `GET /secrets/Recover` answers the recorded 404
/// ("…If you recently deleted this secret you may be able to recover it…") and
/// `GET /deletedsecrets/Recover` the deleted secret's dates. `send` says it was deleted and
/// who can recover it, not to create it.
#[test]
fn a_deleted_secret_is_reported_as_deleted() {
    if !replay::recordings_present("a_deleted_secret_is_reported_as_deleted") {
        return;
    }
    let echo = Echo::start();
    let missing = replay::exchange(CPP_RECOVER, 6);
    let deleted = replay::exchange(CPP_RECOVER, 3);
    assert_eq!(
        (missing.path().as_str(), missing.status),
        ("/secrets/Recover", 404)
    );
    assert_eq!(
        (deleted.path().as_str(), deleted.status),
        ("/deletedsecrets/Recover", 200)
    );
    let w = world(
        vec![missing, deleted],
        &send_project(
            &echo,
            "gone",
            "https://redacted.vault.azure.net/secrets/Recover",
        ),
    );
    let run = w.run(&["send", "api.http"], &w.env());
    assert_eq!(run.code, 1, "{run:?}");
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(
        out.contains("was deleted from the vault on 2021-08-25 01:00 UTC"),
        "{out}"
    );
    assert!(out.contains("recover permission"), "{out}");
    assert!(!out.contains("create it"), "{out}");
    assert!(echo.requests().is_empty(), "nothing was sent");
    w.assert_no_misses();
}

/// Not found, recorded twice: `Recover`'s `GET /secrets/Recover` 404 with
/// `GET /deletedsecrets/Recover` answering "Deleted Secret not found" (`send`), and
/// `GetSecretVersionsNonExisting`'s empty versions list at api-version 7.3-preview (`check`;
/// that recording has no deleted-secrets answer, so that lookup is the one request the
/// replay cannot answer, and is answered 404).
#[test]
fn a_missing_secret_is_reported_as_not_found() {
    if !replay::recordings_present("a_missing_secret_is_reported_as_not_found") {
        return;
    }
    let echo = Echo::start();
    let missing = replay::exchange(CPP_RECOVER, 6);
    let not_deleted = replay::exchange(CPP_RECOVER, 2);
    assert_eq!(not_deleted.status, 404);
    let w = world(
        vec![missing, not_deleted],
        &send_project(
            &echo,
            "gone",
            "https://redacted.vault.azure.net/secrets/Recover",
        ),
    );
    let run = w.run(&["send", "api.http"], &w.env());
    assert_eq!(run.code, 1, "{run:?}");
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("no such secret"), "{out}");
    assert!(!out.contains("was deleted"), "{out}");
    assert!(echo.requests().is_empty());
    w.assert_no_misses();

    let w = world(
        vec![replay::exchange(NET_MISSING, 1)],
        r#"
//- /vaultlink.json
{
  "secrets": {
    "nothing": { "link": "https://heathskvtest.vault.azure.net/secrets/91945129" }
  }
}
//- /api.http
GET https://api.example.com/
X: {{vault:nothing}}
"#,
    );
    let found = findings(&w.check_json());
    assert_eq!(
        found.len(),
        2,
        "in vaultlink.json and at the reference: {found:#?}"
    );
    for (_, code, message) in &found {
        assert_eq!(code, "secret-not-found");
        assert!(message.contains("has no secret `91945129`"), "{message}");
    }
    let misses = w.replay.misses();
    assert!(
        misses.iter().all(|m| m.path == "/deletedsecrets/91945129"),
        "{misses:#?}"
    );
}

/// `UpdateEnabled` (.NET, api-version 7.2): `GET /secrets/955300954/` of a disabled secret
/// answers 403 `SecretDisabled`; `send` says it is disabled.
#[test]
fn a_disabled_secret_is_reported_as_disabled() {
    if !replay::recordings_present("a_disabled_secret_is_reported_as_disabled") {
        return;
    }
    let echo = Echo::start();
    let get = replay::exchange(NET_DISABLED, 1);
    assert_eq!(get.status, 403);
    let w = world(
        vec![get],
        &send_project(
            &echo,
            "off",
            "https://heathskeyvault.vault.azure.net/secrets/955300954",
        ),
    );
    let run = w.run(&["send", "api.http"], &w.env());
    assert_eq!(run.code, 1, "{run:?}");
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("disabled"), "{out}");
    assert!(echo.requests().is_empty());
    w.assert_no_misses();
}

// ---------------------------------------------------------------------------------------------
// Another tenant

/// The service principal signs in to `contoso.onmicrosoft.com`, the vault's recorded
/// challenge names tenant 72f988bf-…: without `azure.additionallyAllowedTenants` no token is
/// asked for there and `check` says why and what to add; with the tenant (or `*`) listed, in
/// vaultlink.json or in `AZURE_ADDITIONALLY_ALLOWED_TENANTS`, a token of that tenant is used
/// and the recorded answer comes through.
#[test]
fn a_vault_in_another_tenant_needs_it_allowed() {
    if !replay::recordings_present("a_vault_in_another_tenant_needs_it_allowed") {
        return;
    }
    let links = |allowed: &str| {
        format!(
            r#"
//- /vaultlink.json
{{
  "secrets": {{
    "nothing": {{ "link": "https://heathskvtest.vault.azure.net/secrets/91945129" }}
  }},
  "azure": {{ "tenant": "contoso.onmicrosoft.com"{allowed} }}
}}
//- /api.http
GET https://api.example.com/
X: {{{{vault:nothing}}}}
"#
        )
    };
    for (allowed, from_env, works) in [
        ("", None, false),
        (
            r#", "additionallyAllowedTenants": ["72F988BF-86F1-41AF-91AB-2D7CD011DB47"]"#,
            None,
            true,
        ),
        (r#", "additionallyAllowedTenants": ["*"]"#, None, true),
        ("", Some(format!("other.example;{TENANT}")), true),
    ] {
        let w = world(vec![replay::exchange(NET_MISSING, 1)], &links(allowed));
        let mut env = w.env();
        for (k, v) in env.iter_mut() {
            if k == "AZURE_TENANT_ID" {
                *v = "contoso.onmicrosoft.com".to_owned();
            }
        }
        if let Some(tenants) = from_env {
            env.push(("AZURE_ADDITIONALLY_ALLOWED_TENANTS".to_owned(), tenants));
        }
        let run = w.run(&["check", "--format", "json"], &env);
        let found: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
        let codes: Vec<&str> = found.iter().map(|f| f["code"].as_str().unwrap()).collect();
        let received = w.replay.received();
        assert!(
            received.iter().any(|r| r.bearer && !r.authorized),
            "the home tenant's token is refused with the recorded challenge: {received:#?}"
        );
        if works {
            assert!(codes.contains(&"secret-not-found"), "{allowed}: {run:?}");
            assert!(received.iter().any(|r| r.authorized), "{received:#?}");
        } else {
            assert!(codes.is_empty(), "{run:?}");
            assert!(
                run.stderr.contains(&format!(
                    "is in tenant {TENANT}, not in the tenant signed in to (contoso.onmicrosoft.com)"
                )) && run
                    .stderr
                    .contains(&format!("add \"{TENANT}\" to azure.additionallyAllowedTenants")),
                "{}",
                run.stderr
            );
            let asked: Vec<_> = w
                .emu
                .requests()
                .into_iter()
                .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
                .map(|r| r.path)
                .collect();
            assert!(
                asked.iter().all(|p| !p.contains(TENANT)),
                "no token asked of the vault's tenant: {asked:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals of Microsoft's troubleshooting documentation (served by the emulator)

/// Firewall, private link, access policy and RBAC refusals each say what refused and what
/// to do, in `check` and in `send`'s error; the network ones have their own code.
#[test]
fn refusals_say_which_rule_refused() {
    let emu = Emulator::start_with(Config {
        refuse_vaults: vec![
            ("fw-kv.vault.azure.net".to_owned(), Refusal::Firewall),
            ("pl-kv.vault.azure.net".to_owned(), Refusal::PrivateLink),
            ("ap-kv.vault.azure.net".to_owned(), Refusal::AccessPolicy),
        ],
        deny_vaults: vec!["rbac-kv.vault.azure.net".to_owned()],
        ..Config::default()
    });
    for vault in ["fw-kv", "pl-kv", "ap-kv", "rbac-kv"] {
        emu.add_secret(&format!("{vault}.vault.azure.net"), "key", "refused-value");
    }
    let echo = Echo::start();
    let project = Project::new(&format!(
        r#"
//- /vaultlink.json
{{
  "secrets": {{
    "fw": {{ "link": "https://fw-kv.vault.azure.net/secrets/key", "allowedDomains": ["127.0.0.1"] }},
    "pl": {{ "link": "https://pl-kv.vault.azure.net/secrets/key", "allowedDomains": ["127.0.0.1"] }},
    "ap": {{ "link": "https://ap-kv.vault.azure.net/secrets/key", "allowedDomains": ["127.0.0.1"] }},
    "rbac": {{ "link": "https://rbac-kv.vault.azure.net/secrets/key", "allowedDomains": ["127.0.0.1"] }}
  }}
}}
//- /api.http
GET {}/fw
X: {{{{vault:fw}}}}

###
GET {}/pl
X: {{{{vault:pl}}}}

###
GET {}/ap
X: {{{{vault:ap}}}}
"#,
        echo.url(),
        echo.url(),
        echo.url()
    ));
    let mut env = emu.env();
    env.extend(emu.sp_env());
    let run = run_with(project.dir.path(), &["check", "--format", "json"], &env);
    let found: Vec<Value> = serde_json::from_str(&run.stdout).unwrap();
    let by_vault = |vault: &str| -> Vec<(String, String)> {
        found
            .iter()
            .filter(|f| {
                f["message"]
                    .as_str()
                    .unwrap()
                    .contains(&format!("in `{vault}`"))
            })
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    for (vault, code, says, never) in [
        (
            "fw-kv",
            "network-refused",
            format!("firewall does not allow this machine's address ({CLIENT_ADDRESS})"),
            "Secrets User role on",
        ),
        (
            "pl-kv",
            "network-refused",
            "public network access disabled: reach it through an approved private link".to_owned(),
            "Secrets User role on",
        ),
        (
            "ap-kv",
            "access-denied",
            "access policies do not give you the `list` permission on secrets".to_owned(),
            "Secrets User role on",
        ),
        (
            "rbac-kv",
            "access-denied",
            "ask for the Key Vault Secrets User role on the vault".to_owned(),
            "firewall",
        ),
    ] {
        let got = by_vault(vault);
        assert!(!got.is_empty(), "{vault}: {found:#?}");
        for (c, m) in &got {
            assert_eq!(c, code, "{vault}: {m}");
            assert!(m.contains(&says), "{vault}: {m}");
            assert!(!m.contains(never), "{vault}: {m}");
        }
    }
    // The editor gets the same diagnostics.
    let mut client = Client::start_with(
        project.dir.path(),
        Options {
            env: &env,
            ..Options::default()
        },
    );
    let path = project.path("api.http");
    let text = project.read("api.http");
    let uri = client.open(&path, &text);
    let published = client.wait_diagnostics_where(&uri, |p| {
        p["diagnostics"].as_array().is_some_and(|d| d.len() >= 3)
    });
    let mut codes: Vec<&str> = published["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        ["access-denied", "network-refused", "network-refused"],
        "{published:#}"
    );
    client.shutdown();

    let run = run_with(project.dir.path(), &["send", "api.http", "--all"], &env);
    assert_eq!(run.code, 1, "{run:?}");
    let out = format!("{}{}", run.stdout, run.stderr);
    for says in [
        "firewall does not allow this machine's address",
        "public network access disabled",
        "access policies do not give you the `get` permission on secrets",
    ] {
        assert!(out.contains(says), "{says}: {out}");
    }
    assert!(echo.requests().is_empty());
}
