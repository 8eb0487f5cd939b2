//! Visual Studio's secret entries in `http-client.env.json`, sent by the built binary:
//! `AzureKeyVault` entries are fetched from the Key Vault emulator, `AspnetUserSecrets`
//! entries are read from the project's user secrets, both masked in everything printed;
//! `Encrypted` entries are refused with a plain reason; a `vaultlink.json` link to the same
//! secret lends its allowedDomains.

use vaultlink_e2e::echo::Echo;
use vaultlink_e2e::emulator::Emulator;
use vaultlink_e2e::{Project, Run, run_with};

const KV: &str = "corp-kv.vault.azure.net";
const SECRET: &str = "kv-S3CRET-from-entry-77";
const USER_SECRET: &str = "user-S3CRET-from-store-42";

const FIXTURE: &str = r#"
//- /http-client.env.json
{
  "dev": {
    "host": "ECHO",
    "token": {"provider": "AzureKeyVault", "secretName": "api-token", "resourceId": "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/corp-kv"},
    "local": {"provider": "AspnetUserSecrets", "secretName": "Api:Key"},
    "sealedValue": {"provider": "Encrypted", "value": "AQAAANCMnd8BFdERjHoAwE"}
  }
}
//- /app.csproj
<Project Sdk="Microsoft.NET.Sdk.Web">
  <PropertyGroup>
    <UserSecretsId>vaultlink-e2e-7d1c</UserSecretsId>
  </PropertyGroup>
</Project>
//- /home/.microsoft/usersecrets/vaultlink-e2e-7d1c/secrets.json
{ "Api:Key": "user-S3CRET-from-store-42" }
//- /api.http
### kv
GET {{host}}/kv
Authorization: Bearer {{token}}

### user
GET {{host}}/user
X-Key: {{local}}

### sealed
GET {{host}}/sealed
X-Sealed: {{sealedValue}}
"#;

struct Setup {
    emu: Emulator,
    echo: Echo,
    project: Project,
}

fn setup(links: &str) -> Setup {
    let emu = Emulator::start();
    emu.add_secret(KV, "api-token", SECRET);
    let echo = Echo::start();
    let project = Project::new(&format!("{links}{}", FIXTURE.replace("ECHO", &echo.url())));
    Setup { emu, echo, project }
}

impl Setup {
    fn send(&self, request: &str) -> Run {
        let mut env = self.emu.env();
        env.extend(self.emu.sp_env());
        let home = self.project.path("home");
        env.push(("HOME".to_owned(), home.to_string_lossy().into_owned()));
        run_with(
            self.project.dir.path(),
            &["send", "api.http", "--env", "dev", "--request", request],
            &env,
        )
    }
}

fn assert_masked(run: &Run) {
    for secret in [SECRET, USER_SECRET] {
        assert!(
            !run.stdout.contains(secret) && !run.stderr.contains(secret),
            "a secret is shown:\n{}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn key_vault_entries_are_fetched_and_masked() {
    let s = setup("");
    let run = s.send("kv");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = s.echo.requests();
    assert_eq!(got.len(), 1);
    let auth = got[0]
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str());
    assert_eq!(auth, Some(format!("Bearer {SECRET}").as_str()));
    assert!(
        run.stdout.contains("Bearer ***"),
        "the echoed header is masked:\n{}",
        run.stdout
    );
    assert_masked(&run);
}

#[test]
fn user_secrets_entries_are_read_from_the_store_and_masked() {
    let s = setup("");
    let run = s.send("user");
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let got = s.echo.requests();
    assert_eq!(got.len(), 1);
    let key = got[0]
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-key"))
        .map(|(_, v)| v.as_str());
    assert_eq!(key, Some(USER_SECRET));
    assert!(run.stdout.contains("***"), "{}", run.stdout);
    assert_masked(&run);
}

#[test]
fn encrypted_entries_cannot_be_read_here() {
    let s = setup("");
    let run = s.send("sealed");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("Windows DPAPI")
            && run.stderr.contains("cannot be read on this platform"),
        "{}",
        run.stderr
    );
    assert!(s.echo.requests().is_empty(), "nothing was sent");
    assert!(
        !run.stderr.contains("AQAAANCMnd8BFdERjHoAwE"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_link_to_the_same_secret_lends_its_allowed_domains() {
    let s = setup(&format!(
        r#"//- /vaultlink.json
{{ "secrets": {{ "api": {{ "link": "https://{KV}/secrets/api-token", "allowedDomains": ["api.example.com"] }} }} }}
"#
    ));
    let run = s.send("kv");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("domain-not-allowed"), "{}", run.stderr);
    assert!(s.echo.requests().is_empty(), "nothing was sent");
    assert_masked(&run);
}

#[test]
fn check_asks_key_vault_about_entries() {
    let s = setup("");
    let env_file = s.project.path("http-client.env.json");
    let text = std::fs::read_to_string(&env_file).unwrap();
    let text = text.replace(
        "\"host\":",
        "\"gone\": {\"provider\": \"AzureKeyVault\", \"secretName\": \"missing-one\", \"resourceId\": \"/subscriptions/0/providers/Microsoft.KeyVault/vaults/corp-kv\"},\n    \"host\":",
    );
    std::fs::write(&env_file, text).unwrap();
    let mut env = s.emu.env();
    env.extend(s.emu.sp_env());
    let run = run_with(
        s.project.dir.path(),
        &["check", "http-client.env.json"],
        &env,
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    assert!(
        lines[0].starts_with("http-client.env.json:3:")
            && lines[0].contains("error[secret-not-found]")
            && lines[0].contains("missing-one"),
        "{}",
        run.stdout
    );
}
