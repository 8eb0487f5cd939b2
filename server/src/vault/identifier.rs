//! Azure Key Vault secret identifiers: parsing and validating the `link` of a links-file
//! entry, `https://<vault>.<suffix>/secrets/<name>[/<version>]`, and telling Key Vault hosts
//! from every other host.
//!
//! The rules are deliberately strict (SPEC §4: "anything else is not a valid link"): a link
//! decides where a bearer token and a secret's value go, so anything a URL parser might read
//! differently from a person — percent-encoding, user info, backslashes, non-ASCII, a trailing
//! dot — is refused rather than normalised.

use std::fmt;

/// The Azure clouds whose Key Vault hosts are trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cloud {
    /// Azure public cloud, `*.vault.azure.net`.
    Public,
    /// Azure operated by 21Vianet (China), `*.vault.azure.cn`.
    China,
    /// Azure US Government, `*.vault.usgovcloudapi.net`.
    UsGovernment,
}

impl Cloud {
    /// Every known cloud, public first.
    pub const ALL: [Cloud; 3] = [Cloud::Public, Cloud::China, Cloud::UsGovernment];

    /// The DNS suffix of the cloud's vault hosts, without a leading dot: `vault.azure.net`.
    pub const fn suffix(self) -> &'static str {
        match self {
            Cloud::Public => "vault.azure.net",
            Cloud::China => "vault.azure.cn",
            Cloud::UsGovernment => "vault.usgovcloudapi.net",
        }
    }
}

/// The shape a secret identifier must have, for messages.
pub const EXPECTED_FORM: &str = "https://<vault>.vault.azure.net/secrets/<name>[/<version>]";

/// The diagnostic code of an identifier whose host is not a Key Vault host.
pub const CODE_UNTRUSTED_HOST: &str = "untrusted-host";
/// The diagnostic code of every other invalid identifier.
pub const CODE_INVALID_LINK: &str = "invalid-link";

/// Identifiers longer than this are refused outright; a valid one is under 250 bytes.
const MAX_LEN: usize = 2048;

/// A validated Key Vault secret identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SecretId {
    /// The vault name, lowercased: `corp-kv`.
    pub vault: String,
    /// The cloud, from the host's suffix.
    pub cloud: Cloud,
    /// The secret's name in Key Vault, as written (Key Vault compares it case-insensitively).
    pub name: String,
    /// The pinned version, 32 lowercase hexadecimal digits; `None` means the latest version.
    pub version: Option<String>,
}

/// Why a string is not a usable secret identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdError {
    /// A well-formed `https` URL whose host is not `<vault>.<known suffix>`: sending a token
    /// there would leak it. Diagnostic code `untrusted-host`. `host` is as written.
    Untrusted { host: String },
    /// Anything else; the string is a user-facing reason, such as "the version must be 32
    /// hexadecimal digits". Diagnostic code `invalid-link`.
    Invalid(String),
}

impl IdError {
    /// The diagnostic code: `untrusted-host` or `invalid-link`.
    pub fn code(&self) -> &'static str {
        match self {
            IdError::Untrusted { .. } => CODE_UNTRUSTED_HOST,
            IdError::Invalid(_) => CODE_INVALID_LINK,
        }
    }
}

impl fmt::Display for IdError {
    /// The user-facing reason, without the identifier itself.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Untrusted { host } => write!(
                f,
                "`{}` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, \
                 <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net",
                shorten(host)
            ),
            IdError::Invalid(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for IdError {}

impl SecretId {
    /// Parses and validates a secret identifier. Accepts `https` in any case, an explicit
    /// `:443` port and a trailing `/`; refuses everything else that is not
    /// `https://<vault>.<suffix>/secrets/<name>[/<version>]`.
    pub fn parse(s: &str) -> Result<SecretId, IdError> {
        let invalid = |reason: String| Err(IdError::Invalid(reason));
        if s.is_empty() {
            return invalid(format!("the link is empty; expected {EXPECTED_FORM}"));
        }
        if s.len() > MAX_LEN {
            return invalid(format!(
                "the link is too long ({} bytes); expected {EXPECTED_FORM}",
                s.len()
            ));
        }
        if s.trim() != s {
            return invalid("the link starts or ends with spaces; remove them".to_owned());
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
            let what = if c.is_whitespace() {
                "a space"
            } else {
                "a control character"
            };
            return invalid(format!("the link contains {what} ({c:?}); remove it"));
        }
        let Some((scheme, rest)) = s.split_once("://") else {
            return invalid(format!("the link is not a URL; expected {EXPECTED_FORM}"));
        };
        if !scheme.eq_ignore_ascii_case("https") {
            return if scheme.eq_ignore_ascii_case("http") {
                invalid(format!(
                    "the link must use https, not http; expected {EXPECTED_FORM}"
                ))
            } else {
                invalid(format!(
                    "the link must start with https://; expected {EXPECTED_FORM}"
                ))
            };
        }
        // These would make URL parsers and people disagree about the host or the path.
        if s.contains('\\') {
            return invalid("the link must not contain backslashes (`\\`)".to_owned());
        }
        if s.contains('%') {
            return invalid(
                "the link must not contain percent-encoded characters (`%`)".to_owned(),
            );
        }
        if !s.is_ascii() {
            return invalid(
                "the link must contain only ASCII characters (write an international host \
                 name in its xn-- form)"
                    .to_owned(),
            );
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if authority.contains('@') {
            return invalid("the link must not contain a user name or password (`…@`)".to_owned());
        }
        let (host, port) = split_port(authority);
        if host.is_empty() {
            return invalid(format!("the link has no host; expected {EXPECTED_FORM}"));
        }
        let (vault, cloud) = match vault_host(host) {
            VaultHost::Vault(vault, cloud) => (vault, cloud),
            VaultHost::BadVault(reason) => return invalid(reason),
            VaultHost::Other if is_host_name(host) || is_ip_literal(host) => {
                return Err(IdError::Untrusted {
                    host: host.to_owned(),
                });
            }
            VaultHost::Other if host.ends_with('.') => {
                return invalid(format!(
                    "the host `{}` must not end with a dot",
                    shorten(host)
                ));
            }
            VaultHost::Other => {
                return invalid(format!(
                    "`{}` is not a valid host name; expected {EXPECTED_FORM}",
                    shorten(host)
                ));
            }
        };
        match port {
            None | Some("443") => {}
            Some(port) => {
                return invalid(format!(
                    "the port `{}` is not allowed: use 443 or none",
                    shorten(port)
                ));
            }
        }
        let (path, query) = match tail.find(['?', '#']) {
            Some(i) => tail.split_at(i),
            None => (tail, ""),
        };
        if query.starts_with('?') {
            return invalid("the link must not have a query (`?…`)".to_owned());
        }
        if query.starts_with('#') {
            return invalid("the link must not have a fragment (`#…`)".to_owned());
        }
        let mut segments = path.split('/');
        segments.next(); // the empty text before the path's leading `/`
        let collection = segments.next().unwrap_or("");
        if collection.is_empty() {
            return invalid(format!(
                "the link names no secret; expected {EXPECTED_FORM}"
            ));
        }
        if !collection.eq_ignore_ascii_case("secrets") {
            return invalid(format!(
                "the link must point to a secret (`/secrets/<name>`), not `/{}`; expected {EXPECTED_FORM}",
                shorten(collection)
            ));
        }
        let name = segments.next().unwrap_or("");
        if name.is_empty() {
            return invalid(format!(
                "the link has no secret name after `/secrets/`; expected {EXPECTED_FORM}"
            ));
        }
        if let Err(reason) = check_secret_name(name) {
            return invalid(reason);
        }
        let version = match segments.next() {
            None | Some("") => None,
            Some(v) => Some(v),
        };
        if let Some(v) = version {
            if !is_version(v) {
                return invalid(format!(
                    "the version `{}` must be 32 hexadecimal digits (or leave it out for the latest version)",
                    shorten(v)
                ));
            }
        }
        // Only a single trailing `/` may follow the name or the version.
        let extra: Vec<&str> = segments.collect();
        let trailing_ok = matches!(
            (version, extra.as_slice()),
            (None, []) | (Some(_), [] | [""])
        );
        if !trailing_ok {
            let after = if version.is_some() {
                "the version"
            } else {
                "the secret name"
            };
            return invalid(format!(
                "unexpected path after {after}; expected {EXPECTED_FORM}"
            ));
        }
        Ok(SecretId {
            vault,
            cloud,
            name: name.to_owned(),
            version: version.map(|v| v.to_ascii_lowercase()),
        })
    }

    /// The vault's host name: `corp-kv.vault.azure.net`.
    pub fn host(&self) -> String {
        format!("{}.{}", self.vault, self.cloud.suffix())
    }

    /// The vault's base URL: `https://corp-kv.vault.azure.net`.
    pub fn vault_url(&self) -> String {
        format!("https://{}", self.host())
    }

    /// The canonical identifier: lowercase host, no port, no trailing `/`, with the version
    /// when one is pinned.
    pub fn url(&self) -> String {
        match &self.version {
            Some(v) => format!("{}/secrets/{}/{v}", self.vault_url(), self.name),
            None => format!("{}/secrets/{}", self.vault_url(), self.name),
        }
    }

    /// Whether both name the same secret: same vault and cloud, same name ignoring case, any
    /// versions.
    pub fn same_secret(&self, other: &SecretId) -> bool {
        self.cloud == other.cloud
            && self.vault == other.vault
            && self.name.eq_ignore_ascii_case(&other.name)
    }
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url())
    }
}

/// Which store a link names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Store {
    KeyVault,
    SecretsManager,
}

impl Store {
    /// The store's name, for messages: `Key Vault`, `Secrets Manager`.
    pub fn label(self) -> &'static str {
        match self {
            Store::KeyVault => "Key Vault",
            Store::SecretsManager => "Secrets Manager",
        }
    }
}

/// A linked secret's identifier, in the form of whichever store its link names. The store is
/// chosen by the link's form (SPEC §9): an ARN or `secretsmanager://` is Secrets Manager,
/// everything else must be a Key Vault identifier.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LinkId {
    KeyVault(SecretId),
    SecretsManager(crate::vault::arn::ArnId),
}

impl LinkId {
    pub fn parse(s: &str) -> Result<LinkId, IdError> {
        if crate::vault::arn::ArnId::claims(s) {
            crate::vault::arn::ArnId::parse(s)
                .map(LinkId::SecretsManager)
                .map_err(IdError::Invalid)
        } else {
            SecretId::parse(s).map(LinkId::KeyVault)
        }
    }

    pub fn store(&self) -> Store {
        match self {
            LinkId::KeyVault(_) => Store::KeyVault,
            LinkId::SecretsManager(_) => Store::SecretsManager,
        }
    }

    /// The Key Vault identifier, for what only Key Vault offers (creating a secret, vault
    /// URLs).
    pub fn key_vault(&self) -> Option<&SecretId> {
        match self {
            LinkId::KeyVault(id) => Some(id),
            LinkId::SecretsManager(_) => None,
        }
    }

    /// The secret's name in its store.
    pub fn name(&self) -> &str {
        match self {
            LinkId::KeyVault(id) => &id.name,
            LinkId::SecretsManager(id) => id.short_name(),
        }
    }

    /// The pinned version, when the link pins one.
    pub fn version(&self) -> Option<&str> {
        match self {
            LinkId::KeyVault(id) => id.version.as_deref(),
            LinkId::SecretsManager(id) => id.version_id(),
        }
    }

    /// Whether the link reads whichever version is current: it pins no version (nor, for
    /// Secrets Manager, a stage).
    pub fn reads_current(&self) -> bool {
        match self {
            LinkId::KeyVault(id) => id.version.is_none(),
            LinkId::SecretsManager(id) => id.pin.is_none(),
        }
    }

    /// The same link pinned to `version`, or, with `None`, reading the current version; a
    /// JSON key the link reads is kept.
    pub fn with_version(&self, version: Option<&str>) -> LinkId {
        match self {
            LinkId::KeyVault(id) => LinkId::KeyVault(SecretId {
                version: version.map(str::to_owned),
                ..id.clone()
            }),
            LinkId::SecretsManager(id) => LinkId::SecretsManager(crate::vault::arn::ArnId {
                pin: version.map(|v| crate::vault::arn::Pin::Id(v.to_owned())),
                ..id.clone()
            }),
        }
    }

    /// Where the secret is, for messages: ``the vault `corp-kv` ``, ``Secrets Manager in `eu-west-1` ``.
    pub fn place(&self) -> String {
        match self {
            LinkId::KeyVault(id) => format!("the vault `{}`", id.vault),
            LinkId::SecretsManager(id) => match &id.account {
                Some(a) => format!("Secrets Manager of account `{a}` in `{}`", id.region),
                None => format!("Secrets Manager in `{}`", id.region),
            },
        }
    }

    /// The host whose secrets completion lists: the vault's, or the region's endpoint.
    pub fn host(&self) -> String {
        match self {
            LinkId::KeyVault(id) => id.host(),
            LinkId::SecretsManager(id) => id.host(),
        }
    }

    /// Whether both name the same secret, whatever version they read.
    pub fn same_secret(&self, other: &LinkId) -> bool {
        match (self, other) {
            (LinkId::KeyVault(a), LinkId::KeyVault(b)) => a.same_secret(b),
            (LinkId::SecretsManager(a), LinkId::SecretsManager(b)) => a.same_secret(b),
            _ => false,
        }
    }
}

impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkId::KeyVault(id) => id.fmt(f),
            LinkId::SecretsManager(id) => id.fmt(f),
        }
    }
}

/// Whether `host` is `<valid vault name>.<known suffix>`, in any case. `host` is a bare host
/// name: a port or a trailing dot makes it not one.
pub fn is_key_vault_host(host: &str) -> bool {
    matches!(vault_host(host), VaultHost::Vault(..))
}

/// Whether `s` is a valid vault name: 3–24 ASCII letters, digits and `-`, starting with a
/// letter, ending with a letter or a digit, without `--`.
pub fn is_valid_vault_name(s: &str) -> bool {
    check_vault_name(s).is_ok()
}

/// Whether `s` is a valid Key Vault secret name: 1–127 ASCII letters, digits and `-`.
pub fn is_valid_secret_name(s: &str) -> bool {
    check_secret_name(s).is_ok()
}

/// Whether `s` looks like a Microsoft Entra tenant: a tenant id (a GUID) or a domain name
/// (`contoso.onmicrosoft.com`, and the one-label `organizations`, `common`, `consumers`). A
/// domain's labels are ASCII letters, digits and `-`, never starting or ending with `-`, so a
/// tenant can never read as a command-line option (`-h`) or a path (`../x`).
pub fn is_tenant(s: &str) -> bool {
    is_guid(s)
        || (s.len() <= 253
            && s.split('.').all(|label| {
                (1..=63).contains(&label.len())
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }))
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal.
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What a host is, as far as Key Vault goes.
enum VaultHost {
    Vault(String, Cloud),
    /// Under a known suffix, but the part before it is not a vault name: the reason.
    BadVault(String),
    Other,
}

fn vault_host(host: &str) -> VaultHost {
    for cloud in Cloud::ALL {
        let suffix = cloud.suffix();
        if host.eq_ignore_ascii_case(suffix) {
            return VaultHost::BadVault(format!(
                "the host names no vault: expected <vault>.{suffix}, as in {EXPECTED_FORM}"
            ));
        }
        let Some(vault) = strip_suffix_ignore_case(host, suffix) else {
            continue;
        };
        let Some(vault) = vault.strip_suffix('.') else {
            continue;
        };
        let vault = vault.to_ascii_lowercase();
        return match check_vault_name(&vault) {
            Ok(()) => VaultHost::Vault(vault, cloud),
            Err(reason) => VaultHost::BadVault(reason),
        };
    }
    VaultHost::Other
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let cut = s.len().checked_sub(suffix.len())?;
    let tail = s.get(cut..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..cut])
}

fn check_vault_name(s: &str) -> Result<(), String> {
    let shown = shorten(s);
    if s.contains('.') {
        return Err(format!("the vault name `{shown}` must not contain dots"));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "the vault name `{shown}` may contain only letters, digits and `-`, not {c:?}"
        ));
    }
    if !(3..=24).contains(&s.len()) {
        return Err(format!("the vault name `{shown}` must be 3–24 characters"));
    }
    if !s.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Err(format!("the vault name `{shown}` must start with a letter"));
    }
    if s.ends_with('-') {
        return Err(format!(
            "the vault name `{shown}` must end with a letter or a digit"
        ));
    }
    if s.contains("--") {
        return Err(format!("the vault name `{shown}` must not contain `--`"));
    }
    Ok(())
}

fn check_secret_name(s: &str) -> Result<(), String> {
    let shown = shorten(s);
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "the secret name `{shown}` may contain only letters, digits and `-`, not {c:?}"
        ));
    }
    if !(1..=127).contains(&s.len()) {
        return Err(format!(
            "the secret name `{shown}` must be 1–127 characters (it has {})",
            s.len()
        ));
    }
    Ok(())
}

fn is_version(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Splits `host[:port]`, with `[v6]` literals kept whole.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    if authority.starts_with('[') {
        if let Some(close) = authority.find(']') {
            let (host, rest) = authority.split_at(close + 1);
            return (
                host,
                rest.strip_prefix(':')
                    .or(if rest.is_empty() { None } else { Some(rest) }),
            );
        }
        return (authority, None);
    }
    match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    }
}

/// A DNS host name as found in URLs: dot-separated labels of ASCII letters, digits, `-` and
/// `_`, no empty label (so no trailing dot), at most 253 characters.
fn is_host_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn is_ip_literal(host: &str) -> bool {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .is_some_and(|h| h.parse::<std::net::Ipv6Addr>().is_ok())
}

/// User text quoted in a message, cut short when it is long.
pub(crate) fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    if s.chars().count() <= MAX {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(MAX).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    const V: &str = "4387e9f3d6e14c459867679a90fd0f79";

    /// Renders the outcome of parsing each line of `input` as `input => outcome`.
    fn check(input: &[&str], expect: Expect) {
        let mut out = String::new();
        for s in input {
            let outcome = match SecretId::parse(s) {
                Ok(id) => format!(
                    "ok {} (vault {}, {:?}, name {})",
                    id.url(),
                    id.vault,
                    id.cloud,
                    id.name
                ),
                Err(e) => format!("{}: {e}", e.code()),
            };
            out.push_str(&format!("{}\n  => {outcome}\n", s.escape_debug()));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn valid_identifiers() {
        check(
            &[
                "https://corp-kv.vault.azure.net/secrets/stripe-key",
                "https://corp-kv.vault.azure.net/secrets/stripe-key/",
                "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79",
                "https://corp-kv.vault.azure.net/secrets/db-password/4387E9F3D6E14C459867679A90FD0F79/",
                "HTTPS://CORP-KV.Vault.Azure.NET/secrets/Stripe-Key",
                "https://corp-kv.vault.azure.net:443/secrets/x",
                "https://corp-kv.vault.azure.net/Secrets/x",
                "https://cn-vault.vault.azure.cn/secrets/a",
                "https://gov1.vault.usgovcloudapi.net/secrets/a-1",
                "https://abc.vault.azure.net/secrets/0",
                "https://a23456789012345678901234.vault.azure.net/secrets/a",
            ],
            expect![[r#"
                https://corp-kv.vault.azure.net/secrets/stripe-key
                  => ok https://corp-kv.vault.azure.net/secrets/stripe-key (vault corp-kv, Public, name stripe-key)
                https://corp-kv.vault.azure.net/secrets/stripe-key/
                  => ok https://corp-kv.vault.azure.net/secrets/stripe-key (vault corp-kv, Public, name stripe-key)
                https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79
                  => ok https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79 (vault corp-kv, Public, name db-password)
                https://corp-kv.vault.azure.net/secrets/db-password/4387E9F3D6E14C459867679A90FD0F79/
                  => ok https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79 (vault corp-kv, Public, name db-password)
                HTTPS://CORP-KV.Vault.Azure.NET/secrets/Stripe-Key
                  => ok https://corp-kv.vault.azure.net/secrets/Stripe-Key (vault corp-kv, Public, name Stripe-Key)
                https://corp-kv.vault.azure.net:443/secrets/x
                  => ok https://corp-kv.vault.azure.net/secrets/x (vault corp-kv, Public, name x)
                https://corp-kv.vault.azure.net/Secrets/x
                  => ok https://corp-kv.vault.azure.net/secrets/x (vault corp-kv, Public, name x)
                https://cn-vault.vault.azure.cn/secrets/a
                  => ok https://cn-vault.vault.azure.cn/secrets/a (vault cn-vault, China, name a)
                https://gov1.vault.usgovcloudapi.net/secrets/a-1
                  => ok https://gov1.vault.usgovcloudapi.net/secrets/a-1 (vault gov1, UsGovernment, name a-1)
                https://abc.vault.azure.net/secrets/0
                  => ok https://abc.vault.azure.net/secrets/0 (vault abc, Public, name 0)
                https://a23456789012345678901234.vault.azure.net/secrets/a
                  => ok https://a23456789012345678901234.vault.azure.net/secrets/a (vault a23456789012345678901234, Public, name a)
            "#]],
        );
    }

    #[test]
    fn untrusted_hosts() {
        check(
            &[
                "https://evil.example.com/secrets/x",
                "https://corp-kv.vault.azure.net.evil.com/secrets/x",
                "https://corp-kv.vault.azure.com/secrets/x",
                "https://corp-kv-vault.azure.net/secrets/x",
                "https://corp-kv.xvault.azure.net/secrets/x",
                "https://localhost/secrets/x",
                "https://127.0.0.1/secrets/x",
                "https://[::1]/secrets/x",
                "https://evil.example.com:8443/anything?q=1",
                "https://management.azure.com/subscriptions/x",
            ],
            expect![[r#"
                https://evil.example.com/secrets/x
                  => untrusted-host: `evil.example.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://corp-kv.vault.azure.net.evil.com/secrets/x
                  => untrusted-host: `corp-kv.vault.azure.net.evil.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://corp-kv.vault.azure.com/secrets/x
                  => untrusted-host: `corp-kv.vault.azure.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://corp-kv-vault.azure.net/secrets/x
                  => untrusted-host: `corp-kv-vault.azure.net` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://corp-kv.xvault.azure.net/secrets/x
                  => untrusted-host: `corp-kv.xvault.azure.net` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://localhost/secrets/x
                  => untrusted-host: `localhost` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://127.0.0.1/secrets/x
                  => untrusted-host: `127.0.0.1` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://[::1]/secrets/x
                  => untrusted-host: `[::1]` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://evil.example.com:8443/anything?q=1
                  => untrusted-host: `evil.example.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://management.azure.com/subscriptions/x
                  => untrusted-host: `management.azure.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
            "#]],
        );
    }

    #[test]
    fn invalid_scheme_and_shape() {
        check(
            &[
                "",
                " https://corp-kv.vault.azure.net/secrets/x",
                "https://corp-kv.vault.azure.net/secrets/x\n",
                "https://corp-kv.vault.azure.net/secrets/x y",
                "https://corp-kv.vault.azure.net/secrets/x\u{0}",
                "http://corp-kv.vault.azure.net/secrets/x",
                "ftp://corp-kv.vault.azure.net/secrets/x",
                "corp-kv.vault.azure.net/secrets/x",
                "//corp-kv.vault.azure.net/secrets/x",
                "https:/corp-kv.vault.azure.net/secrets/x",
                "https://",
                "https:///secrets/x",
                "stripe-key",
            ],
            expect![[r#"

                  => invalid-link: the link is empty; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                 https://corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link starts or ends with spaces; remove them
                https://corp-kv.vault.azure.net/secrets/x\n
                  => invalid-link: the link starts or ends with spaces; remove them
                https://corp-kv.vault.azure.net/secrets/x y
                  => invalid-link: the link contains a space (' '); remove it
                https://corp-kv.vault.azure.net/secrets/x\0
                  => invalid-link: the link contains a control character ('\0'); remove it
                http://corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link must use https, not http; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                ftp://corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link must start with https://; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link is not a URL; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                //corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link is not a URL; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https:/corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link is not a URL; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://
                  => invalid-link: the link has no host; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https:///secrets/x
                  => invalid-link: the link has no host; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                stripe-key
                  => invalid-link: the link is not a URL; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
            "#]],
        );
    }

    #[test]
    fn invalid_vault_names() {
        check(
            &[
                "https://ab.vault.azure.net/secrets/x",
                "https://a.vault.azure.net/secrets/x",
                "https://a234567890123456789012345.vault.azure.net/secrets/x",
                "https://1corp.vault.azure.net/secrets/x",
                "https://-corp.vault.azure.net/secrets/x",
                "https://corp-.vault.azure.net/secrets/x",
                "https://corp--kv.vault.azure.net/secrets/x",
                "https://corp_kv.vault.azure.net/secrets/x",
                "https://a.corp-kv.vault.azure.net/secrets/x",
                "https://vault.azure.net/secrets/x",
                "https://.vault.azure.net/secrets/x",
            ],
            expect![[r#"
                https://ab.vault.azure.net/secrets/x
                  => invalid-link: the vault name `ab` must be 3–24 characters
                https://a.vault.azure.net/secrets/x
                  => invalid-link: the vault name `a` must be 3–24 characters
                https://a234567890123456789012345.vault.azure.net/secrets/x
                  => invalid-link: the vault name `a234567890123456789012345` must be 3–24 characters
                https://1corp.vault.azure.net/secrets/x
                  => invalid-link: the vault name `1corp` must start with a letter
                https://-corp.vault.azure.net/secrets/x
                  => invalid-link: the vault name `-corp` must start with a letter
                https://corp-.vault.azure.net/secrets/x
                  => invalid-link: the vault name `corp-` must end with a letter or a digit
                https://corp--kv.vault.azure.net/secrets/x
                  => invalid-link: the vault name `corp--kv` must not contain `--`
                https://corp_kv.vault.azure.net/secrets/x
                  => invalid-link: the vault name `corp_kv` may contain only letters, digits and `-`, not '_'
                https://a.corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the vault name `a.corp-kv` must not contain dots
                https://vault.azure.net/secrets/x
                  => invalid-link: the host names no vault: expected <vault>.vault.azure.net, as in https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://.vault.azure.net/secrets/x
                  => invalid-link: the vault name `` must be 3–24 characters
            "#]],
        );
    }

    #[test]
    fn invalid_paths_names_and_versions() {
        let long_name = "n".repeat(128);
        let max_name = format!(
            "https://corp-kv.vault.azure.net/secrets/{}",
            "n".repeat(127)
        );
        let long = format!("https://corp-kv.vault.azure.net/secrets/{long_name}");
        check(
            &[
                "https://corp-kv.vault.azure.net",
                "https://corp-kv.vault.azure.net/",
                "https://corp-kv.vault.azure.net/secrets",
                "https://corp-kv.vault.azure.net/secrets/",
                "https://corp-kv.vault.azure.net/secrets//",
                "https://corp-kv.vault.azure.net/keys/x",
                "https://corp-kv.vault.azure.net/x/secrets/y",
                "https://corp-kv.vault.azure.net/secrets/stripe_key",
                "https://corp-kv.vault.azure.net/secrets/stripe.key",
                &long,
                &max_name[..50],
                "https://corp-kv.vault.azure.net/secrets/x/123",
                "https://corp-kv.vault.azure.net/secrets/x/4387e9f3d6e14c459867679a90fd0f7g",
                "https://corp-kv.vault.azure.net/secrets/x//",
                "https://corp-kv.vault.azure.net/secrets/x/4387e9f3d6e14c459867679a90fd0f79/extra",
                "https://corp-kv.vault.azure.net/secrets/x/4387e9f3d6e14c459867679a90fd0f79//",
                "https://corp-kv.vault.azure.net/secrets/x?api-version=7.4",
                "https://corp-kv.vault.azure.net/secrets/x#frag",
                "https://corp-kv.vault.azure.net?x",
                "https://corp-kv.vault.azure.net:8443/secrets/x",
                "https://corp-kv.vault.azure.net:/secrets/x",
                "https://corp-kv.vault.azure.net:443:443/secrets/x",
            ],
            expect![[r#"
                https://corp-kv.vault.azure.net
                  => invalid-link: the link names no secret; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/
                  => invalid-link: the link names no secret; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/secrets
                  => invalid-link: the link has no secret name after `/secrets/`; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/secrets/
                  => invalid-link: the link has no secret name after `/secrets/`; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/secrets//
                  => invalid-link: the link has no secret name after `/secrets/`; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/keys/x
                  => invalid-link: the link must point to a secret (`/secrets/<name>`), not `/keys`; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/x/secrets/y
                  => invalid-link: the link must point to a secret (`/secrets/<name>`), not `/x`; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/secrets/stripe_key
                  => invalid-link: the secret name `stripe_key` may contain only letters, digits and `-`, not '_'
                https://corp-kv.vault.azure.net/secrets/stripe.key
                  => invalid-link: the secret name `stripe.key` may contain only letters, digits and `-`, not '.'
                https://corp-kv.vault.azure.net/secrets/nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn
                  => invalid-link: the secret name `nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…` must be 1–127 characters (it has 128)
                https://corp-kv.vault.azure.net/secrets/nnnnnnnnnn
                  => ok https://corp-kv.vault.azure.net/secrets/nnnnnnnnnn (vault corp-kv, Public, name nnnnnnnnnn)
                https://corp-kv.vault.azure.net/secrets/x/123
                  => invalid-link: the version `123` must be 32 hexadecimal digits (or leave it out for the latest version)
                https://corp-kv.vault.azure.net/secrets/x/4387e9f3d6e14c459867679a90fd0f7g
                  => invalid-link: the version `4387e9f3d6e14c459867679a90fd0f7g` must be 32 hexadecimal digits (or leave it out for the latest version)
                https://corp-kv.vault.azure.net/secrets/x//
                  => invalid-link: unexpected path after the secret name; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/secrets/x/4387e9f3d6e14c459867679a90fd0f79/extra
                  => invalid-link: unexpected path after the version; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/secrets/x/4387e9f3d6e14c459867679a90fd0f79//
                  => invalid-link: unexpected path after the version; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://corp-kv.vault.azure.net/secrets/x?api-version=7.4
                  => invalid-link: the link must not have a query (`?…`)
                https://corp-kv.vault.azure.net/secrets/x#frag
                  => invalid-link: the link must not have a fragment (`#…`)
                https://corp-kv.vault.azure.net?x
                  => invalid-link: the link must not have a query (`?…`)
                https://corp-kv.vault.azure.net:8443/secrets/x
                  => invalid-link: the port `8443` is not allowed: use 443 or none
                https://corp-kv.vault.azure.net:/secrets/x
                  => invalid-link: the port `` is not allowed: use 443 or none
                https://corp-kv.vault.azure.net:443:443/secrets/x
                  => invalid-link: the port `443:443` is not allowed: use 443 or none
            "#]],
        );
        assert!(SecretId::parse(&max_name).is_ok());
    }

    #[test]
    fn url_tricks() {
        check(
            &[
                "https://user@corp-kv.vault.azure.net/secrets/x",
                "https://corp-kv.vault.azure.net@evil.com/secrets/x",
                "https://user:pass@corp-kv.vault.azure.net/secrets/x",
                "https://evil.com\\@corp-kv.vault.azure.net/secrets/x",
                "https://corp-kv.vault.azure.net\\secrets\\x",
                "https://corp-kv.vault.azure.net/secrets/%2e%2e/keys",
                "https://corp-kv%2evault.azure.net/secrets/x",
                "https://corp-kv.vault.azure.net/secrets/../keys/x",
                "https://corp-kv.vault.azure.net/secrets/./x",
                "https://corp-kv.vault.azure.net./secrets/x",
                "https://cörp-kv.vault.azure.net/secrets/x",
                "https://xn--crp-kv-xxa.vault.azure.net/secrets/x",
                "https://corp-kv.vault.azure.net/secrets/ｘ",
                "https://corp-kv.vault.аzure.net/secrets/x",
                "https://corp-kv.vault.azure.net\u{200b}/secrets/x",
                "https://evil.com?.vault.azure.net/secrets/x",
                "https://evil.com#.vault.azure.net/secrets/x",
                "https://evil_host!.com/secrets/x",
                "https://[::1/secrets/x",
            ],
            expect![[r#"
                https://user@corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link must not contain a user name or password (`…@`)
                https://corp-kv.vault.azure.net@evil.com/secrets/x
                  => invalid-link: the link must not contain a user name or password (`…@`)
                https://user:pass@corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link must not contain a user name or password (`…@`)
                https://evil.com\\@corp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link must not contain backslashes (`\`)
                https://corp-kv.vault.azure.net\\secrets\\x
                  => invalid-link: the link must not contain backslashes (`\`)
                https://corp-kv.vault.azure.net/secrets/%2e%2e/keys
                  => invalid-link: the link must not contain percent-encoded characters (`%`)
                https://corp-kv%2evault.azure.net/secrets/x
                  => invalid-link: the link must not contain percent-encoded characters (`%`)
                https://corp-kv.vault.azure.net/secrets/../keys/x
                  => invalid-link: the secret name `..` may contain only letters, digits and `-`, not '.'
                https://corp-kv.vault.azure.net/secrets/./x
                  => invalid-link: the secret name `.` may contain only letters, digits and `-`, not '.'
                https://corp-kv.vault.azure.net./secrets/x
                  => invalid-link: the host `corp-kv.vault.azure.net.` must not end with a dot
                https://cörp-kv.vault.azure.net/secrets/x
                  => invalid-link: the link must contain only ASCII characters (write an international host name in its xn-- form)
                https://xn--crp-kv-xxa.vault.azure.net/secrets/x
                  => invalid-link: the vault name `xn--crp-kv-xxa` must not contain `--`
                https://corp-kv.vault.azure.net/secrets/ｘ
                  => invalid-link: the link must contain only ASCII characters (write an international host name in its xn-- form)
                https://corp-kv.vault.аzure.net/secrets/x
                  => invalid-link: the link must contain only ASCII characters (write an international host name in its xn-- form)
                https://corp-kv.vault.azure.net\u{200b}/secrets/x
                  => invalid-link: the link must contain only ASCII characters (write an international host name in its xn-- form)
                https://evil.com?.vault.azure.net/secrets/x
                  => untrusted-host: `evil.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://evil.com#.vault.azure.net/secrets/x
                  => untrusted-host: `evil.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net
                https://evil_host!.com/secrets/x
                  => invalid-link: `evil_host!.com` is not a valid host name; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                https://[::1/secrets/x
                  => invalid-link: `[::1` is not a valid host name; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
            "#]],
        );
    }

    #[test]
    fn very_long_input_is_refused_quickly() {
        let huge = format!(
            "https://corp-kv.vault.azure.net/secrets/{}",
            "a".repeat(1 << 20)
        );
        let err = SecretId::parse(&huge).unwrap_err();
        assert_eq!(err.code(), "invalid-link");
        assert!(err.to_string().len() < 200, "{err}");
        let host = format!("https://{}.example.com/secrets/x", "a".repeat(1500));
        let err = SecretId::parse(&host).unwrap_err();
        // Too long to be a host name, and the message stays short.
        assert!(err.to_string().len() < 200, "{err}");
    }

    #[test]
    fn accessors_and_comparison() {
        let id = SecretId::parse(&format!(
            "https://Corp-KV.vault.azure.net:443/secrets/Stripe-Key/{}/",
            V.to_uppercase()
        ))
        .unwrap();
        assert_eq!(id.host(), "corp-kv.vault.azure.net");
        assert_eq!(id.vault_url(), "https://corp-kv.vault.azure.net");
        assert_eq!(
            id.url(),
            format!("https://corp-kv.vault.azure.net/secrets/Stripe-Key/{V}")
        );
        assert_eq!(id.to_string(), id.url());
        assert_eq!(id.version.as_deref(), Some(V));
        let latest = SecretId::parse("https://corp-kv.vault.azure.net/secrets/stripe-key").unwrap();
        assert!(id.same_secret(&latest) && latest.same_secret(&id));
        let other_cloud =
            SecretId::parse("https://corp-kv.vault.azure.cn/secrets/stripe-key").unwrap();
        assert!(!latest.same_secret(&other_cloud));
        let other_name =
            SecretId::parse("https://corp-kv.vault.azure.net/secrets/stripe-key2").unwrap();
        assert!(!latest.same_secret(&other_name));
        // The canonical URL parses back to the same identifier.
        assert_eq!(SecretId::parse(&id.url()).unwrap(), id);
        let untrusted = SecretId::parse("https://evil.example.com/secrets/x").unwrap_err();
        assert_eq!(untrusted.code(), "untrusted-host");
        assert_eq!(
            untrusted,
            IdError::Untrusted {
                host: "evil.example.com".into()
            }
        );
    }

    #[test]
    fn key_vault_hosts() {
        let yes = [
            "corp-kv.vault.azure.net",
            "CORP-KV.VAULT.AZURE.NET",
            "abc.vault.azure.cn",
            "abc.vault.usgovcloudapi.net",
        ];
        let no = [
            "",
            "vault.azure.net",
            ".vault.azure.net",
            "ab.vault.azure.net",
            "corp-kv.vault.azure.net.",
            "corp-kv.vault.azure.net:443",
            "a.corp-kv.vault.azure.net",
            "corp-kv.vault.azure.net.evil.com",
            "corp-kvvault.azure.net",
            "evil.com",
        ];
        for h in yes {
            assert!(is_key_vault_host(h), "{h}");
        }
        for h in no {
            assert!(!is_key_vault_host(h), "{h}");
        }
    }

    #[test]
    fn names() {
        for v in ["abc", "corp-kv", "a1-2-3", "A23456789012345678901234"] {
            assert!(is_valid_vault_name(v), "{v}");
        }
        for v in [
            "",
            "ab",
            "1ab",
            "-ab",
            "ab-",
            "a--b",
            "a_b",
            "a.b",
            "a23456789012345678901234x",
            "äbc",
        ] {
            assert!(!is_valid_vault_name(v), "{v}");
        }
        for n in ["a", "0", "Stripe-Key", "-", &"x".repeat(127)] {
            assert!(is_valid_secret_name(n), "{n}");
        }
        for n in ["", "a_b", "a.b", "a b", "ä", &"x".repeat(128)] {
            assert!(!is_valid_secret_name(n), "{n}");
        }
    }

    /// What pinning each link to `version`, and unpinning it, write.
    #[test]
    fn pinning_and_unpinning_keep_the_link_s_form() {
        let mut out = String::new();
        for link in [
            "https://corp-kv.vault.azure.net/secrets/stripe-key",
            &format!("https://corp-kv.vault.azure.net/secrets/stripe-key/{V}"),
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf#password",
            "secretsmanager://eu-west-1/api-token?versionId=EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
            "secretsmanager://eu-west-1/api-token?versionStage=AWSPREVIOUS#k",
        ] {
            let id = LinkId::parse(link).unwrap();
            let version = match id.store() {
                Store::KeyVault => "0123456789abcdef0123456789abcdef",
                Store::SecretsManager => "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
            };
            out.push_str(&format!(
                "{link} (reads current: {})\n  pin   => {}\n  unpin => {}\n",
                id.reads_current(),
                id.with_version(Some(version)),
                id.with_version(None)
            ));
        }
        expect![[r#"
            https://corp-kv.vault.azure.net/secrets/stripe-key (reads current: true)
              pin   => https://corp-kv.vault.azure.net/secrets/stripe-key/0123456789abcdef0123456789abcdef
              unpin => https://corp-kv.vault.azure.net/secrets/stripe-key
            https://corp-kv.vault.azure.net/secrets/stripe-key/4387e9f3d6e14c459867679a90fd0f79 (reads current: false)
              pin   => https://corp-kv.vault.azure.net/secrets/stripe-key/0123456789abcdef0123456789abcdef
              unpin => https://corp-kv.vault.azure.net/secrets/stripe-key
            arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf#password (reads current: true)
              pin   => arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf?versionId=a1b2c3d4-5678-90ab-cdef-EXAMPLE11111#password
              unpin => arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf#password
            secretsmanager://eu-west-1/api-token?versionId=EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE (reads current: false)
              pin   => secretsmanager://eu-west-1/api-token?versionId=a1b2c3d4-5678-90ab-cdef-EXAMPLE11111
              unpin => secretsmanager://eu-west-1/api-token
            secretsmanager://eu-west-1/api-token?versionStage=AWSPREVIOUS#k (reads current: false)
              pin   => secretsmanager://eu-west-1/api-token?versionId=a1b2c3d4-5678-90ab-cdef-EXAMPLE11111#k
              unpin => secretsmanager://eu-west-1/api-token#k
        "#]].assert_eq(&out);
    }
}
