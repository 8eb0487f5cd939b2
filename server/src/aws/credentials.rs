//! AWS credentials, found the way the AWS SDKs and CLI find them: the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), then the profile
//! (`AWS_PROFILE`, else `default`) of the shared `credentials` and `config` files, then —
//! for profiles that sign in elsewhere (IAM Identity Center's `aws sso login`, a role, a
//! process) — `aws configure export-credentials`, run only from an `aws` found in the
//! absolute folders of `PATH` outside the workspace, in the temporary folder, and only in a
//! trusted workspace. Credentials stay in memory.
//!
//! The shared files are read with a small reader of their INI dialect: the AWS crate that
//! reads them (`aws-config`) brings its own HTTP stack, which vaultlink does not otherwise
//! need (one `reqwest` serves every request).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Credentials to sign requests with. `Debug` shows no secret.
#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    pub session_token: Option<SecretString>,
    /// When they stop working (Unix seconds), when known.
    pub expires: Option<i64>,
    /// Where they came from, for the status: `environment`, `profile default`, `aws CLI`.
    pub source: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The secret parts, for a redactor.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = vec![self.secret_access_key.expose_secret().to_owned()];
        if let Some(t) = &self.session_token {
            out.push(t.expose_secret().to_owned());
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error(
        "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, configure a profile (`aws configure`, `aws sso login`) and choose it with AWS_PROFILE"
    )]
    Missing,
    #[error("the AWS profile `{0}` is not in the shared config or credentials file")]
    NoProfile(String),
    #[error("the AWS profile `{profile}` signs in through the AWS CLI, which {why}")]
    Cli { profile: String, why: String },
    #[error("{0}")]
    Invalid(String),
}

/// Where the chain looks: the environment and the home folder, handed in.
pub struct Sources<'a> {
    pub env: &'a dyn Fn(&str) -> Option<String>,
    pub home: Option<PathBuf>,
}

impl Sources<'_> {
    fn var(&self, name: &str) -> Option<String> {
        (self.env)(name).filter(|v| !v.trim().is_empty())
    }

    pub fn profile(&self) -> String {
        self.var("AWS_PROFILE")
            .or_else(|| self.var("AWS_DEFAULT_PROFILE"))
            .unwrap_or_else(|| "default".to_owned())
    }

    fn file(&self, var: &str, name: &str) -> Option<PathBuf> {
        self.var(var)
            .map(PathBuf::from)
            .or_else(|| self.home.as_ref().map(|h| h.join(".aws").join(name)))
    }
}

/// What the chain found without running anything.
pub enum Found {
    Ready(Credentials),
    /// The profile exists and gets its credentials elsewhere (SSO, a role, a process): the
    /// AWS CLI exports them.
    NeedsCli {
        profile: String,
    },
}

/// The environment's or the shared files' credentials.
pub fn find(sources: &Sources<'_>) -> Result<Found, CredentialsError> {
    if let (Some(id), Some(secret)) = (
        sources.var("AWS_ACCESS_KEY_ID"),
        sources.var("AWS_SECRET_ACCESS_KEY"),
    ) {
        return Ok(Found::Ready(Credentials {
            access_key_id: id,
            secret_access_key: SecretString::from(secret),
            session_token: sources.var("AWS_SESSION_TOKEN").map(SecretString::from),
            expires: None,
            source: "environment".to_owned(),
        }));
    }
    let profile = sources.profile();
    let read = |var: &str, name: &str| {
        sources
            .file(var, name)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .map(|text| parse_ini(&text))
            .unwrap_or_default()
    };
    let credentials = read("AWS_SHARED_CREDENTIALS_FILE", "credentials");
    let config = read("AWS_CONFIG_FILE", "config");
    let from_credentials = credentials.get(&profile);
    let config_section = if profile == "default" {
        config
            .get("default")
            .or_else(|| config.get("profile default"))
    } else {
        config.get(&format!("profile {profile}"))
    };
    for section in [from_credentials, config_section].into_iter().flatten() {
        if let (Some(id), Some(secret)) = (
            section.get("aws_access_key_id"),
            section.get("aws_secret_access_key"),
        ) {
            return Ok(Found::Ready(Credentials {
                access_key_id: id.clone(),
                secret_access_key: SecretString::from(secret.clone()),
                session_token: section
                    .get("aws_session_token")
                    .cloned()
                    .map(SecretString::from),
                expires: None,
                source: format!("profile {profile}"),
            }));
        }
    }
    if from_credentials.is_some() || config_section.is_some() {
        return Ok(Found::NeedsCli { profile });
    }
    if sources.var("AWS_PROFILE").is_some() {
        return Err(CredentialsError::NoProfile(profile));
    }
    Err(CredentialsError::Missing)
}

/// `aws configure export-credentials --profile <p> --format process`: the credentials the
/// CLI resolves for a profile (SSO sessions from `aws sso login` included).
pub async fn export_from_cli(
    profile: &str,
    avoid: &[PathBuf],
) -> Result<Credentials, CredentialsError> {
    let cli = |why: &str| CredentialsError::Cli {
        profile: profile.to_owned(),
        why: why.to_owned(),
    };
    let names: &[&str] = if cfg!(windows) {
        &["aws.cmd", "aws.exe"]
    } else {
        &["aws"]
    };
    let program = crate::fs::find_program(names, std::env::var_os("PATH").as_deref(), avoid)
        .ok_or_else(|| {
            cli("was not found in the absolute folders of PATH outside the workspace")
        })?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args([
        "configure",
        "export-credentials",
        "--profile",
        profile,
        "--format",
        "process",
    ]);
    cmd.current_dir(std::env::temp_dir());
    cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
    let output = match tokio::time::timeout(Duration::from_secs(60), cmd.output()).await {
        Err(_) => return Err(cli("did not answer within a minute")),
        Ok(Err(e)) => return Err(cli(&format!("could not be run ({e})"))),
        Ok(Ok(o)) => o,
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let first = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("it exited with an error");
        let first: String = first.chars().take(300).collect();
        return Err(cli(&format!(
            "failed: {first} (for an SSO profile, run `aws sso login --profile {profile}`)"
        )));
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Process {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        expiration: Option<String>,
    }
    let mut stdout = output.stdout;
    let parsed = serde_json::from_slice::<Process>(&stdout);
    zeroize::Zeroize::zeroize(&mut stdout);
    let p = parsed.map_err(|e| cli(&format!("gave an answer that could not be read ({e})")))?;
    Ok(Credentials {
        access_key_id: p.access_key_id,
        secret_access_key: SecretString::from(p.secret_access_key),
        session_token: p.session_token.map(SecretString::from),
        expires: p
            .expiration
            .and_then(|e| e.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second()),
        source: format!("aws CLI, profile {profile}"),
    })
}

type Ini = HashMap<String, HashMap<String, String>>;

/// The sections of a shared config or credentials file: `[name]` headers, `key = value`
/// lines, `#` and `;` comments. Nested values (indented lines under `s3 =`) are skipped.
fn parse_ini(text: &str) -> Ini {
    let mut out: Ini = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let indented = line.starts_with([' ', '\t']);
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
            out.entry(name.clone()).or_default();
            current = Some(name);
            continue;
        }
        if indented {
            continue;
        }
        if let (Some(section), Some((k, v))) = (&current, line.split_once('=')) {
            let v = v.trim();
            let v = v.split(" #").next().unwrap_or(v).trim();
            out.entry(section.clone())
                .or_default()
                .insert(k.trim().to_ascii_lowercase(), v.to_owned());
        }
    }
    out
}

/// The home folder the shared files are under.
pub fn home() -> Option<PathBuf> {
    std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn found(env: &[(&str, &str)], home: &Path) -> Result<Found, CredentialsError> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let lookup = move |k: &str| env.get(k).cloned();
        find(&Sources {
            env: &lookup,
            home: Some(home.to_path_buf()),
        })
    }

    fn key(f: Result<Found, CredentialsError>) -> String {
        match f {
            Ok(Found::Ready(c)) => format!("{} from {}", c.access_key_id, c.source),
            Ok(Found::NeedsCli { profile }) => format!("cli {profile}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn the_chain_in_order() {
        let home = tempfile::tempdir().unwrap();
        let aws = home.path().join(".aws");
        std::fs::create_dir(&aws).unwrap();
        std::fs::write(
            aws.join("credentials"),
            "[default]\naws_access_key_id = AKIDEFAULT\naws_secret_access_key = s1\n\n[dev]\naws_access_key_id=AKIDEV\naws_secret_access_key=s2\naws_session_token=t2\n",
        )
        .unwrap();
        std::fs::write(
            aws.join("config"),
            "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\nregion = eu-west-1\n[profile keys]\naws_access_key_id = AKICONFIG\naws_secret_access_key = s3\n# comment\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n",
        )
        .unwrap();
        let h = home.path();
        assert_eq!(
            key(found(
                &[
                    ("AWS_ACCESS_KEY_ID", "AKIENV"),
                    ("AWS_SECRET_ACCESS_KEY", "x")
                ],
                h
            )),
            "AKIENV from environment"
        );
        assert_eq!(key(found(&[], h)), "AKIDEFAULT from profile default");
        assert_eq!(
            key(found(&[("AWS_PROFILE", "dev")], h)),
            "AKIDEV from profile dev"
        );
        assert_eq!(
            key(found(&[("AWS_PROFILE", "keys")], h)),
            "AKICONFIG from profile keys"
        );
        assert_eq!(key(found(&[("AWS_PROFILE", "sso")], h)), "cli sso");
        assert_eq!(
            key(found(&[("AWS_PROFILE", "nope")], h)),
            "the AWS profile `nope` is not in the shared config or credentials file"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(key(found(&[], empty.path())).starts_with("no AWS credentials"));
        let Ok(Found::Ready(c)) = found(&[("AWS_PROFILE", "dev")], h) else {
            panic!()
        };
        assert_eq!(c.secrets(), ["s2", "t2"]);
        assert!(!format!("{c:?}").contains("s2"));
    }
}
