//! Key Vault's `401` challenge: `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
//! resource="https://vault.azure.net"`. Only the tenant is taken from it, and only when the
//! resource it names belongs to the vault's own host (SPEC §7): a vault that names a foreign
//! resource would otherwise get a token minted for someone else.

use url::Url;

use crate::azure::endpoints::is_valid_tenant;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Challenge {
    pub tenant: String,
    /// The resource (or the scope's resource) the challenge names.
    pub resource: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("Key Vault's sign-in challenge could not be read (`{0}`)")]
    Malformed(String),
    #[error(
        "the vault at `{vault_host}` asked for a token for `{resource}`, which is not a Key Vault resource of that host; no token was sent"
    )]
    ForeignResource {
        vault_host: String,
        resource: String,
    },
}

/// Reads a `WWW-Authenticate` header value and checks it against the vault's host.
pub fn parse(header: &str, vault_host: &str) -> Result<Challenge, ChallengeError> {
    let malformed = || ChallengeError::Malformed(header.chars().take(200).collect());
    let rest = header.trim();
    let rest = rest
        .get(..6)
        .filter(|s| s.eq_ignore_ascii_case("bearer"))
        .map(|_| &rest[6..])
        .ok_or_else(malformed)?;
    let params = params(rest);
    let get = |key: &str| {
        params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    };
    let authority = get("authorization")
        .or_else(|| get("authorization_uri"))
        .ok_or_else(malformed)?;
    let resource = match (get("resource"), get("scope")) {
        (Some(r), _) => r.to_owned(),
        (None, Some(scope)) => scope.trim_end_matches("/.default").to_owned(),
        (None, None) => return Err(malformed()),
    };
    let resource_host = Url::parse(&resource)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
        .ok_or_else(malformed)?;
    let vault = vault_host.to_ascii_lowercase();
    if !vault
        .strip_suffix(&resource_host)
        .is_some_and(|head| head.ends_with('.'))
    {
        return Err(ChallengeError::ForeignResource {
            vault_host: vault_host.to_owned(),
            resource,
        });
    }
    let tenant = Url::parse(authority)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.find(|seg| !seg.is_empty()).map(str::to_owned))
        })
        .filter(|t| is_valid_tenant(t))
        .ok_or_else(malformed)?;
    Ok(Challenge { tenant, resource })
}

/// `key="value", key=value` pairs.
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq].trim().trim_start_matches(',').trim().to_owned();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            value = quoted[..end].to_owned();
            rest = quoted.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        out.push((key, value));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: &str = "corp-kv.vault.azure.net";

    #[test]
    fn takes_the_tenant_of_a_key_vault_challenge() {
        let c = parse(
            r#"Bearer authorization="https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47", resource="https://vault.azure.net""#,
            HOST,
        )
        .unwrap();
        assert_eq!(c.tenant, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        let c = parse(
            r#"Bearer authorization_uri="https://login.microsoftonline.com/contoso.onmicrosoft.com/", scope="https://vault.azure.net/.default""#,
            HOST,
        )
        .unwrap();
        assert_eq!(c.tenant, "contoso.onmicrosoft.com");
    }

    #[test]
    fn refuses_a_foreign_resource() {
        for resource in [
            "https://evil.example.com",
            "https://azure.net.evil.example",
            "https://xvault.azure.net",
        ] {
            let header = format!(
                r#"Bearer authorization="https://login.microsoftonline.com/t", resource="{resource}""#
            );
            let err = parse(&header, HOST).unwrap_err();
            assert!(
                matches!(err, ChallengeError::ForeignResource { .. }),
                "{resource}: {err}"
            );
            assert!(err.to_string().contains("no token was sent"));
        }
    }

    #[test]
    fn refuses_malformed_challenges() {
        for header in [
            "Basic realm=x",
            r#"Bearer resource="https://vault.azure.net""#,
            r#"Bearer authorization="https://login.microsoftonline.com/a%2Fb", resource="https://vault.azure.net""#,
            r#"Bearer authorization="https://login.microsoftonline.com/", resource="https://vault.azure.net""#,
        ] {
            assert!(
                matches!(parse(header, HOST), Err(ChallengeError::Malformed(_))),
                "{header}"
            );
        }
    }
}
