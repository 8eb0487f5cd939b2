//! AWS credentials, found in the order the AWS CLI (botocore) looks for them:
//!
//! 1. the environment: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`;
//! 2. a profile (`AWS_PROFILE`, else `default`) that assumes a role from another profile
//!    (`role_arn` with `source_profile` or `credential_source`): the AWS CLI's
//!    `aws configure export-credentials` resolves it;
//! 3. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` (or the profile's
//!    `web_identity_token_file` and `role_arn`), traded with STS `AssumeRoleWithWebIdentity`;
//! 4. IAM Identity Center: the profile's `sso_session` (and its `[sso-session …]` section) or
//!    its `sso_start_url`, `sso_region`, `sso_account_id`, `sso_role_name`; the token
//!    `aws sso login` cached in `~/.aws/sso/cache/<sha1 of the session name or start URL>.json`
//!    is traded at the portal's `GET /federation/credentials` for the role's credentials;
//! 5. the profile's keys in the shared `credentials` file;
//! 6. the profile's `credential_process`;
//! 7. the profile's keys in the shared `config` file;
//! 8. the container endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `…_FULL_URI`, with
//!    `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`), as ECS tasks and EKS pods get them;
//! 9. any other profile: `aws configure export-credentials`.
//!
//! Programs (`credential_process`, `aws`) are run only in a trusted workspace, from the
//! temporary folder; `aws` only from the absolute folders of `PATH` outside the workspace.
//! Credentials and tokens stay in memory.
//!
//! The shared files are read with a small reader of their INI dialect: the AWS crate that
//! reads them (`aws-config`) brings its own HTTP stack, which vaultlink does not otherwise
//! need (one `reqwest` serves every request).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use zeroize::Zeroize;

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
    #[error("the AWS profile `{profile}` signs in with IAM Identity Center, and {why}")]
    Sso { profile: String, why: String },
    #[error("the `credential_process` of the AWS profile `{profile}` {why}")]
    Process { profile: String, why: String },
    #[error("the AWS role `{role}` could not be assumed with the web identity token: {why}")]
    WebIdentity { role: String, why: String },
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

/// What the chain found without asking anyone.
pub enum Found {
    Ready(Credentials),
    /// The profile exists and gets its credentials elsewhere (a role assumed from another
    /// profile, a way this reader does not know): the AWS CLI exports them.
    NeedsCli {
        profile: String,
    },
    /// IAM Identity Center: the portal trades the cached token for the role's credentials.
    Sso(Sso),
    /// The profile's `credential_process` prints them.
    Process {
        profile: String,
        command: String,
    },
    /// STS trades the token in `token_file` for the role's credentials.
    WebIdentity(WebIdentity),
    /// The container endpoint hands them out.
    Container {
        url: url::Url,
        authorization: Option<SecretString>,
    },
}

/// An IAM Identity Center profile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sso {
    pub profile: String,
    /// The `[sso-session …]` the profile names; `None` for the legacy keys in the profile.
    pub session: Option<String>,
    pub start_url: String,
    pub region: String,
    pub account_id: String,
    pub role_name: String,
}

impl Sso {
    /// The name of the token's file in `~/.aws/sso/cache`: the SHA-1 of the session name, or
    /// of the start URL for a legacy profile, as the AWS CLI and SDKs name it.
    pub fn cache_file(&self) -> String {
        use sha1::Digest;
        let key = self.session.as_deref().unwrap_or(&self.start_url);
        let digest = sha1::Sha1::digest(key.as_bytes());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}.json")
    }

    fn login(&self) -> String {
        format!("run `aws sso login --profile {}`", self.profile)
    }
}

/// A role assumed with a web identity token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebIdentity {
    pub token_file: PathBuf,
    pub role_arn: String,
    pub session_name: String,
    /// The STS region, when one is configured (else the global endpoint).
    pub region: Option<String>,
}

/// The environment's or the shared files' credentials, or where to get them.
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
    let empty = HashMap::new();
    let from_credentials = credentials.get(&profile);
    let config_section = if profile == "default" {
        config
            .get("default")
            .or_else(|| config.get("profile default"))
    } else {
        config.get(&format!("profile {profile}"))
    };
    if from_credentials.is_none()
        && config_section.is_none()
        && sources.var("AWS_PROFILE").is_some()
    {
        return Err(CredentialsError::NoProfile(profile));
    }
    let section = config_section.unwrap_or(&empty);
    let get = |k: &str| section.get(k).filter(|v| !v.is_empty()).cloned();
    // A role assumed from another profile's credentials.
    if get("role_arn").is_some() && get("web_identity_token_file").is_none() {
        return Ok(Found::NeedsCli { profile });
    }
    let region = sources
        .var("AWS_REGION")
        .or_else(|| sources.var("AWS_DEFAULT_REGION"))
        .or_else(|| get("region"));
    let web = match (
        sources.var("AWS_WEB_IDENTITY_TOKEN_FILE"),
        sources.var("AWS_ROLE_ARN"),
    ) {
        (Some(file), Some(role)) => Some((file, role, sources.var("AWS_ROLE_SESSION_NAME"))),
        _ => match (get("web_identity_token_file"), get("role_arn")) {
            (Some(file), Some(role)) => Some((file, role, get("role_session_name"))),
            _ => None,
        },
    };
    if let Some(r) = region
        .as_deref()
        .filter(|r| !crate::vault::arn::is_region(r))
    {
        return Err(CredentialsError::Invalid(format!(
            "the AWS region `{r}` is not an AWS region (like eu-west-1)"
        )));
    }
    if let Some((file, role_arn, name)) = web {
        return Ok(Found::WebIdentity(WebIdentity {
            token_file: PathBuf::from(file),
            role_arn,
            session_name: name
                .unwrap_or_else(|| format!("vaultlink-{}", jiff::Timestamp::now().as_second())),
            region,
        }));
    }
    if let Some(sso) = sso_of(&profile, section, &config)? {
        return Ok(Found::Sso(sso));
    }
    let keys = |section: &HashMap<String, String>| {
        let (id, secret) = (
            section.get("aws_access_key_id")?,
            section.get("aws_secret_access_key")?,
        );
        Some(Credentials {
            access_key_id: id.clone(),
            secret_access_key: SecretString::from(secret.clone()),
            session_token: section
                .get("aws_session_token")
                .cloned()
                .map(SecretString::from),
            expires: None,
            source: format!("profile {profile}"),
        })
    };
    if let Some(c) = from_credentials.and_then(keys) {
        return Ok(Found::Ready(c));
    }
    if let Some(command) = get("credential_process") {
        return Ok(Found::Process {
            profile: profile.clone(),
            command,
        });
    }
    if let Some(c) = config_section.and_then(keys) {
        return Ok(Found::Ready(c));
    }
    if let Some(found) = container(sources)? {
        return Ok(found);
    }
    if from_credentials.is_some() || config_section.is_some() {
        return Ok(Found::NeedsCli { profile });
    }
    Err(CredentialsError::Missing)
}

/// The profile's IAM Identity Center settings, when it has some.
fn sso_of(
    profile: &str,
    section: &HashMap<String, String>,
    config: &Ini,
) -> Result<Option<Sso>, CredentialsError> {
    let get = |k: &str| section.get(k).filter(|v| !v.is_empty()).cloned();
    let invalid = |why: String| {
        CredentialsError::Invalid(format!(
            "the AWS profile `{profile}` is not a complete IAM Identity Center profile: {why}"
        ))
    };
    let (session, start_url, region) = match get("sso_session") {
        Some(name) => {
            let s = config
                .get(&format!("sso-session {name}"))
                .ok_or_else(|| invalid(format!("there is no [sso-session {name}] section")))?;
            let field = |k: &str| {
                s.get(k)
                    .filter(|v| !v.is_empty())
                    .cloned()
                    .ok_or_else(|| invalid(format!("[sso-session {name}] has no `{k}`")))
            };
            (
                Some(name.clone()),
                field("sso_start_url")?,
                field("sso_region")?,
            )
        }
        None => match get("sso_start_url") {
            None => return Ok(None),
            Some(url) => (
                None,
                url,
                get("sso_region").ok_or_else(|| invalid("it has no `sso_region`".to_owned()))?,
            ),
        },
    };
    if !crate::vault::arn::is_region(&region) {
        return Err(invalid(format!(
            "its `sso_region` `{region}` is not an AWS region"
        )));
    }
    let field = |k: &str| get(k).ok_or_else(|| invalid(format!("it has no `{k}`")));
    Ok(Some(Sso {
        profile: profile.to_owned(),
        session,
        start_url,
        region,
        account_id: field("sso_account_id")?,
        role_name: field("sso_role_name")?,
    }))
}

/// The hosts the container endpoint may be on over plain http, besides loopback: ECS's and
/// EKS Pod Identity's link-local addresses.
const CONTAINER_HOSTS: &[&str] = &["169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"];

fn container(sources: &Sources<'_>) -> Result<Option<Found>, CredentialsError> {
    let url = if let Some(relative) = sources.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") {
        format!("http://169.254.170.2{relative}")
    } else if let Some(full) = sources.var("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        full
    } else {
        return Ok(None);
    };
    let bad = |why: &str| CredentialsError::Invalid(format!("the container endpoint {why}"));
    let url = url::Url::parse(url.trim()).map_err(|_| bad("is not a URL"))?;
    let allowed = match url.scheme() {
        "https" => true,
        "http" => {
            crate::aws::endpoint::is_loopback(&url)
                || url.host_str().is_some_and(|h| CONTAINER_HOSTS.contains(&h))
        }
        _ => false,
    };
    if !allowed || !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "must be https, or http to a loopback address or the ECS or EKS link-local address",
        ));
    }
    let authorization = match sources.var("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE") {
        Some(file) => Some(
            std::fs::read_to_string(&file)
                .map_err(|e| bad(&format!("token file `{file}` cannot be read ({e})")))?
                .trim()
                .to_owned(),
        ),
        None => sources.var("AWS_CONTAINER_AUTHORIZATION_TOKEN"),
    };
    Ok(Some(Found::Container {
        url,
        authorization: authorization.map(SecretString::from),
    }))
}

/// The token `aws sso login` cached for `sso`, while it is valid.
pub fn sso_token(
    home: Option<&Path>,
    sso: &Sso,
    now: i64,
) -> Result<SecretString, CredentialsError> {
    let login = |why: String| CredentialsError::Sso {
        profile: sso.profile.clone(),
        why: format!("{why}: {}", sso.login()),
    };
    let Some(home) = home else {
        return Err(login(
            "there is no home folder to find its sign-in in".to_owned(),
        ));
    };
    let path = home
        .join(".aws")
        .join("sso")
        .join("cache")
        .join(sso.cache_file());
    let mut bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(login("there is no cached sign-in".to_owned()));
        }
        Err(e) => return Err(login(format!("its cached sign-in cannot be read ({e})"))),
    };
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Cached {
        access_token: Option<String>,
        expires_at: Option<String>,
    }
    let parsed = serde_json::from_slice::<Cached>(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    let cached = parsed.map_err(|_| login("its cached sign-in cannot be read".to_owned()))?;
    let (Some(token), Some(expires)) = (cached.access_token, cached.expires_at) else {
        return Err(login("its cached sign-in has no token".to_owned()));
    };
    let token = SecretString::from(token);
    let expires = expires.trim();
    let expires = match expires.strip_suffix("UTC") {
        Some(t) => format!("{t}Z"),
        None => expires.to_owned(),
    };
    match expires.parse::<jiff::Timestamp>() {
        Ok(t) if t.as_second() > now => Ok(token),
        Ok(t) => Err(login(format!(
            "its sign-in expired on {}",
            crate::vault::secret::format_time(t.as_second())
        ))),
        Err(_) => Err(login(
            "its cached sign-in has no readable expiry".to_owned(),
        )),
    }
}

/// The role's credentials from the IAM Identity Center portal, for the cached `token`.
pub async fn sso_credentials(
    http: &reqwest::Client,
    sso: &Sso,
    token: &SecretString,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Credentials, CredentialsError> {
    let fail = |why: String| CredentialsError::Sso {
        profile: sso.profile.clone(),
        why,
    };
    let suffix = if sso.region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    let mut url = crate::aws::endpoint::endpoint(
        &["AWS_ENDPOINT_URL_SSO", "AWS_ENDPOINT_URL"],
        &format!("https://portal.sso.{}.{suffix}/", sso.region),
        env,
    )
    .map_err(fail)?;
    url.path_segments_mut()
        .map_err(|()| fail("the portal URL cannot take a path".to_owned()))?
        .pop_if_empty()
        .extend(["federation", "credentials"]);
    url.query_pairs_mut()
        .append_pair("role_name", &sso.role_name)
        .append_pair("account_id", &sso.account_id);
    let mut bearer =
        reqwest::header::HeaderValue::from_str(token.expose_secret()).map_err(|_| {
            fail(format!(
                "its cached sign-in is not a token: {}",
                sso.login()
            ))
        })?;
    bearer.set_sensitive(true);
    let host = url.host_str().unwrap_or_default().to_owned();
    let resp = http
        .get(url)
        .header("x-amz-sso_bearer_token", bearer)
        .send()
        .await
        .map_err(|e| {
            fail(format!(
                "the IAM Identity Center portal `{host}` could not be reached: {}",
                crate::net::error_chain(&e)
            ))
        })?;
    let status = resp.status();
    let mut body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    if status == 401 || status == 403 {
        body.zeroize();
        return Err(fail(format!(
            "the IAM Identity Center portal refused its sign-in ({status}): {}",
            sso.login()
        )));
    }
    if !status.is_success() {
        body.zeroize();
        return Err(fail(format!(
            "the IAM Identity Center portal answered {status} for the role `{}` in the account `{}`",
            sso.role_name, sso.account_id
        )));
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Answer {
        role_credentials: Role,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Role {
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        /// Unix milliseconds.
        expiration: Option<i64>,
    }
    let parsed = serde_json::from_slice::<Answer>(&body);
    body.zeroize();
    let role = parsed
        .map_err(|_| fail("the IAM Identity Center portal's answer could not be read".to_owned()))?
        .role_credentials;
    Ok(Credentials {
        access_key_id: role.access_key_id,
        secret_access_key: SecretString::from(role.secret_access_key),
        session_token: role.session_token.map(SecretString::from),
        expires: role.expiration.map(|ms| ms / 1000),
        source: format!("IAM Identity Center, profile {}", sso.profile),
    })
}

/// The answer of a credential program or endpoint: `credential_process`'s output, the AWS
/// CLI's `export-credentials`, the container endpoint's JSON.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Printed {
    access_key_id: String,
    secret_access_key: String,
    #[serde(alias = "Token")]
    session_token: Option<String>,
    expiration: Option<String>,
}

impl Printed {
    fn read(mut bytes: Vec<u8>, source: String) -> Result<Credentials, String> {
        let parsed = serde_json::from_slice::<Printed>(&bytes);
        bytes.zeroize();
        let p = parsed.map_err(|e| format!("gave an answer that could not be read ({e})"))?;
        Ok(Credentials {
            access_key_id: p.access_key_id,
            secret_access_key: SecretString::from(p.secret_access_key),
            session_token: p.session_token.map(SecretString::from),
            expires: p
                .expiration
                .and_then(|e| e.parse::<jiff::Timestamp>().ok())
                .map(|t| t.as_second()),
            source,
        })
    }
}

/// Runs a program (a shell command line) and reads the credentials it prints.
async fn run_printing(
    mut cmd: tokio::process::Command,
    source: String,
) -> Result<Credentials, String> {
    cmd.current_dir(std::env::temp_dir());
    cmd.stdin(std::process::Stdio::null()).kill_on_drop(true);
    let output = match tokio::time::timeout(Duration::from_secs(60), cmd.output()).await {
        Err(_) => return Err("did not answer within a minute".to_owned()),
        Ok(Err(e)) => return Err(format!("could not be run ({e})")),
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
        return Err(format!("failed: {first}"));
    }
    Printed::read(output.stdout, source)
}

/// The profile's `credential_process`, run through the shell as the AWS SDKs run it.
pub async fn from_process(profile: &str, command: &str) -> Result<Credentials, CredentialsError> {
    let cmd = if cfg!(windows) {
        let mut c = tokio::process::Command::new("cmd.exe");
        c.args(["/C", command]);
        c
    } else {
        let mut c = tokio::process::Command::new("/bin/sh");
        c.args(["-c", command]);
        c
    };
    run_printing(cmd, format!("credential_process, profile {profile}"))
        .await
        .map_err(|why| CredentialsError::Process {
            profile: profile.to_owned(),
            why,
        })
}

/// The container endpoint's credentials.
pub async fn from_container(
    http: &reqwest::Client,
    url: &url::Url,
    authorization: Option<&SecretString>,
) -> Result<Credentials, CredentialsError> {
    let fail = |why: String| CredentialsError::Invalid(format!("the container endpoint {why}"));
    let mut req = http.get(url.clone());
    if let Some(token) = authorization {
        let mut value = reqwest::header::HeaderValue::from_str(token.expose_secret())
            .map_err(|_| fail("authorization token is not a header value".to_owned()))?;
        value.set_sensitive(true);
        req = req.header("authorization", value);
    }
    let resp = req.send().await.map_err(|e| {
        fail(format!(
            "could not be reached: {}",
            crate::net::error_chain(&e)
        ))
    })?;
    let status = resp.status();
    let body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    if !status.is_success() {
        let mut body = body;
        body.zeroize();
        return Err(fail(format!("answered {status}")));
    }
    Printed::read(body, "container endpoint".to_owned()).map_err(fail)
}

/// The role's credentials from STS `AssumeRoleWithWebIdentity` (an unsigned call).
pub async fn from_web_identity(
    http: &reqwest::Client,
    web: &WebIdentity,
    env: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Credentials, CredentialsError> {
    let fail = |why: String| CredentialsError::WebIdentity {
        role: web.role_arn.clone(),
        why,
    };
    let token = std::fs::read_to_string(&web.token_file)
        .map(|t| SecretString::from(t.trim().to_owned()))
        .map_err(|e| {
            fail(format!(
                "the token file `{}` cannot be read ({e})",
                web.token_file.display()
            ))
        })?;
    let default = match web.region.as_deref() {
        Some(r) if r.starts_with("cn-") => format!("https://sts.{r}.amazonaws.com.cn/"),
        Some(r) => format!("https://sts.{r}.amazonaws.com/"),
        None => "https://sts.amazonaws.com/".to_owned(),
    };
    let url = crate::aws::endpoint::endpoint(
        &["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"],
        &default,
        env,
    )
    .map_err(fail)?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let form = [
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", web.role_arn.as_str()),
        ("RoleSessionName", web.session_name.as_str()),
        ("WebIdentityToken", token.expose_secret()),
    ];
    let resp = http.post(url).form(&form).send().await.map_err(|e| {
        fail(format!(
            "STS at `{host}` could not be reached: {}",
            crate::net::error_chain(&e)
        ))
    })?;
    let status = resp.status();
    let mut body = resp.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
    let text = String::from_utf8_lossy(&body).into_owned();
    body.zeroize();
    let field = |tag: &str| {
        let open = format!("<{tag}>");
        let start = text.find(&open)? + open.len();
        let end = start + text[start..].find('<')?;
        Some(text[start..end].trim().to_owned())
    };
    if !status.is_success() {
        let code = field("Code").unwrap_or_else(|| status.to_string());
        return Err(fail(format!("STS refused it ({code})")));
    }
    let (Some(id), Some(secret)) = (field("AccessKeyId"), field("SecretAccessKey")) else {
        return Err(fail("STS's answer could not be read".to_owned()));
    };
    let credentials = Credentials {
        access_key_id: id,
        secret_access_key: SecretString::from(secret),
        session_token: field("SessionToken").map(SecretString::from),
        expires: field("Expiration")
            .and_then(|e| e.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second()),
        source: format!("web identity, role {}", web.role_arn),
    };
    let mut text = text;
    text.zeroize();
    Ok(credentials)
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
    run_printing(cmd, format!("aws CLI, profile {profile}"))
        .await
        .map_err(|why| {
            cli(&format!(
                "{why} (for an SSO profile, run `aws sso login --profile {profile}`)"
            ))
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
            Ok(Found::Sso(sso)) => format!(
                "sso {} {} {} {} {}",
                sso.session.as_deref().unwrap_or("-"),
                sso.start_url,
                sso.region,
                sso.account_id,
                sso.role_name
            ),
            Ok(Found::Process { profile, command }) => format!("process {profile}: {command}"),
            Ok(Found::WebIdentity(w)) => format!(
                "web {} {} {}",
                w.role_arn,
                w.token_file.display(),
                w.region.as_deref().unwrap_or("-")
            ),
            Ok(Found::Container { url, authorization }) => {
                format!("container {url} {}", authorization.is_some())
            }
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
            concat!(
                "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Reader\nregion = eu-west-1\n",
                "[profile legacy]\nsso_start_url = https://old.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 210987654321\nsso_role_name = Admin\n",
                "[profile half]\nsso_session = nowhere\nsso_account_id = 123456789012\nsso_role_name = Reader\n",
                "[profile keys]\naws_access_key_id = AKICONFIG\naws_secret_access_key = s3\n# comment\n",
                "[profile proc]\ncredential_process = /opt/bin/creds --role reader\n",
                "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/R\nsource_profile = default\n",
                "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/W\nweb_identity_token_file = /var/run/token\nregion = eu-west-2\n",
                "[profile bare]\nregion = eu-west-1\n",
                "[profile evil]\nsso_start_url = https://x\nsso_region = x.evil.example/#\nsso_account_id = 1\nsso_role_name = R\n",
                "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-central-1\n",
            ),
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
        assert_eq!(
            key(found(&[("AWS_PROFILE", "sso")], h)),
            "sso corp https://corp.awsapps.com/start eu-central-1 123456789012 Reader"
        );
        assert_eq!(
            key(found(&[("AWS_PROFILE", "legacy")], h)),
            "sso - https://old.awsapps.com/start us-east-1 210987654321 Admin"
        );
        assert_eq!(
            key(found(&[("AWS_PROFILE", "half")], h)),
            "the AWS profile `half` is not a complete IAM Identity Center profile: there is no [sso-session nowhere] section"
        );
        assert_eq!(
            key(found(&[("AWS_PROFILE", "proc")], h)),
            "process proc: /opt/bin/creds --role reader"
        );
        assert_eq!(key(found(&[("AWS_PROFILE", "role")], h)), "cli role");
        assert_eq!(
            key(found(&[("AWS_PROFILE", "web")], h)),
            "web arn:aws:iam::123456789012:role/W /var/run/token eu-west-2"
        );
        // Web identity from the environment comes before the profile's keys, as in the
        // AWS CLI; the environment's keys before everything.
        let web = [
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/t"),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/E"),
        ];
        assert_eq!(
            key(found(&web, h)),
            "web arn:aws:iam::123456789012:role/E /t -"
        );
        assert_eq!(
            key(found(
                &[
                    web[0],
                    web[1],
                    ("AWS_ACCESS_KEY_ID", "AKIENV"),
                    ("AWS_SECRET_ACCESS_KEY", "x")
                ],
                h
            )),
            "AKIENV from environment"
        );
        // The container endpoint comes after every profile's keys.
        let ecs = [(
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "/v2/credentials/x",
        )];
        assert_eq!(key(found(&ecs, h)), "AKIDEFAULT from profile default");
        assert_eq!(
            key(found(&[ecs[0], ("AWS_PROFILE", "bare")], h)),
            "container http://169.254.170.2/v2/credentials/x false"
        );
        assert_eq!(key(found(&[("AWS_PROFILE", "bare")], h)), "cli bare");
        // A region that would change the host a token goes to is refused.
        assert_eq!(
            key(found(
                &[web[0], web[1], ("AWS_REGION", "evil.example/#")],
                h
            )),
            "the AWS region `evil.example/#` is not an AWS region (like eu-west-1)"
        );
        assert_eq!(
            key(found(&[("AWS_PROFILE", "evil")], h)),
            "the AWS profile `evil` is not a complete IAM Identity Center profile: its `sso_region` `x.evil.example/#` is not an AWS region"
        );
        assert_eq!(
            key(found(&[("AWS_PROFILE", "nope")], h)),
            "the AWS profile `nope` is not in the shared config or credentials file"
        );
        let empty = tempfile::tempdir().unwrap();
        assert!(key(found(&[], empty.path())).starts_with("no AWS credentials"));
        let e = empty.path();
        assert_eq!(
            key(found(
                &[
                    (
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                        "http://127.0.0.1:9/creds"
                    ),
                    ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t")
                ],
                e
            )),
            "container http://127.0.0.1:9/creds true"
        );
        assert_eq!(
            key(found(
                &[(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://169.254.170.23/v1/credentials"
                )],
                e
            )),
            "container http://169.254.170.23/v1/credentials false"
        );
        assert!(
            key(found(
                &[(
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://creds.example.com/"
                )],
                e
            ))
            .starts_with("the container endpoint must be https")
        );
        let Ok(Found::Ready(c)) = found(&[("AWS_PROFILE", "dev")], h) else {
            panic!()
        };
        assert_eq!(c.secrets(), ["s2", "t2"]);
        assert!(!format!("{c:?}").contains("s2"));
    }

    fn sso(session: Option<&str>) -> Sso {
        Sso {
            profile: "corp".to_owned(),
            session: session.map(str::to_owned),
            start_url: "https://corp.awsapps.com/start".to_owned(),
            region: "eu-central-1".to_owned(),
            account_id: "123456789012".to_owned(),
            role_name: "Reader".to_owned(),
        }
    }

    #[test]
    fn the_sso_token_is_found_where_aws_sso_login_caches_it() {
        // SHA-1 of `my-sso` and of the start URL, as Python's hashlib gives them.
        assert_eq!(
            sso(Some("my-sso")).cache_file(),
            "0ad374308c5a4e22f723adf10145eafad7c4031c.json"
        );
        assert_eq!(
            sso(None).cache_file(),
            "a51746d4aa793ae07b25e90c3a5db96fc7832bd7.json"
        );
        let home = tempfile::tempdir().unwrap();
        let cache = home.path().join(".aws/sso/cache");
        std::fs::create_dir_all(&cache).unwrap();
        let s = sso(Some("my-sso"));
        let now = 1_790_000_000;
        let token = |s: &Sso| {
            sso_token(Some(home.path()), s, now)
                .map(|t| t.expose_secret().to_owned())
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            token(&s).unwrap_err(),
            "the AWS profile `corp` signs in with IAM Identity Center, and there is no cached sign-in: run `aws sso login --profile corp`"
        );
        std::fs::write(
            cache.join(s.cache_file()),
            r#"{"startUrl":"https://corp.awsapps.com/start","region":"eu-central-1","accessToken":"tok-1","expiresAt":"2027-01-15T08:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(token(&s).unwrap(), "tok-1");
        std::fs::write(
            cache.join(s.cache_file()),
            r#"{"accessToken":"tok-1","expiresAt":"2026-01-15T08:00:00UTC"}"#,
        )
        .unwrap();
        let expired = token(&s).unwrap_err();
        assert_eq!(
            expired,
            "the AWS profile `corp` signs in with IAM Identity Center, and its sign-in expired on 2026-01-15 08:00 UTC: run `aws sso login --profile corp`"
        );
        std::fs::write(cache.join(s.cache_file()), "{not json tok-1").unwrap();
        assert!(!token(&s).unwrap_err().contains("tok-1"));
    }
}
