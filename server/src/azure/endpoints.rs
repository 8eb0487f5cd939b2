//! Where sign-in and Key Vault requests go (SPEC §7): Microsoft Entra ID at
//! `AZURE_AUTHORITY_HOST` (default `https://login.microsoftonline.com`), Key Vault at the
//! vault's own host, or, for local testing, every Key Vault request at the loopback
//! `VAULTLINK_KEYVAULT_ENDPOINT` with the vault's host in the `Host` header.

use std::net::IpAddr;

use url::Url;

/// The default sign-in authority, the Azure public cloud's.
pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com";

/// The resource whose tokens Key Vault accepts.
pub const KEY_VAULT_RESOURCE: &str = "https://vault.azure.net";

/// The scopes an interactive sign-in asks for: Key Vault on the user's behalf, and a refresh
/// token so that the sign-in can be renewed silently.
pub const USER_SCOPES: [&str; 2] = [
    "https://vault.azure.net/user_impersonation",
    "offline_access",
];

/// The scope of an application's (client credentials) token.
pub const APP_SCOPE: &str = "https://vault.azure.net/.default";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints {
    /// The base of the sign-in endpoints, without a trailing slash.
    pub authority: Url,
    /// When set, every Key Vault request goes to this loopback base instead.
    pub keyvault: Option<Url>,
}

impl Default for Endpoints {
    fn default() -> Endpoints {
        Endpoints {
            authority: Url::parse(DEFAULT_AUTHORITY).expect("a valid URL"),
            keyvault: None,
        }
    }
}

impl Endpoints {
    /// The endpoints named by the environment. A value that would send tokens somewhere
    /// unsafe (plain `http` to a non-loopback host, a Key Vault override that is not
    /// loopback) is refused with a message naming the variable.
    pub fn from_env() -> Result<Endpoints, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        Endpoints::from_values(
            var("AZURE_AUTHORITY_HOST").as_deref(),
            var("VAULTLINK_KEYVAULT_ENDPOINT").as_deref(),
        )
    }

    pub fn from_values(
        authority: Option<&str>,
        keyvault: Option<&str>,
    ) -> Result<Endpoints, String> {
        let mut endpoints = Endpoints::default();
        if let Some(raw) = authority {
            let url = parse_base("AZURE_AUTHORITY_HOST", raw)?;
            if url.scheme() == "http" && !is_loopback(&url) {
                return Err(format!(
                    "AZURE_AUTHORITY_HOST is `{raw}`: plain http is accepted only for a loopback address; use https"
                ));
            }
            endpoints.authority = url;
        }
        if let Some(raw) = keyvault {
            let url = parse_base("VAULTLINK_KEYVAULT_ENDPOINT", raw)?;
            if !is_loopback(&url) {
                return Err(format!(
                    "VAULTLINK_KEYVAULT_ENDPOINT is `{raw}`: it must be a loopback address such as http://127.0.0.1:8443"
                ));
            }
            endpoints.keyvault = Some(url);
        }
        Ok(endpoints)
    }

    /// `<authority>/<tenant>/oauth2/v2.0/<what>`, for `authorize`, `token` and `devicecode`.
    pub fn oauth(&self, tenant: &str, what: &str) -> String {
        format!(
            "{}/{tenant}/oauth2/v2.0/{what}",
            self.authority.as_str().trim_end_matches('/')
        )
    }

    /// Where a Key Vault request for `host` with `path_and_query` goes, and the `Host`
    /// header to send when that is not the URL's own host.
    pub fn keyvault_url(
        &self,
        host: &str,
        path_and_query: &str,
    ) -> Result<(Url, Option<String>), String> {
        let real = format!("https://{host}{path_and_query}");
        match &self.keyvault {
            None => Url::parse(&real)
                .map(|u| (u, None))
                .map_err(|e| format!("`{real}` is not a valid URL: {e}")),
            Some(base) => {
                let url = format!("{}{path_and_query}", base.as_str().trim_end_matches('/'));
                Url::parse(&url)
                    .map(|u| (u, Some(host.to_owned())))
                    .map_err(|e| format!("`{url}` is not a valid URL: {e}"))
            }
        }
    }
}

fn parse_base(var: &str, raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{var} is `{raw}`, not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!(
            "{var} is `{raw}`: expected an http(s) URL such as https://login.microsoftonline.com"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{var} is `{raw}`: give a base URL without user, query or fragment"
        ));
    }
    Ok(url)
}

/// Whether the URL's host is a loopback address (`127.0.0.0/8`, `::1`) or `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether a tenant (a GUID, a domain, `organizations`, `common`) is one: the model's rule,
/// which also keeps it safe in a URL path and on a command line.
pub use crate::vault::identifier::is_tenant as is_valid_tenant;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let e = Endpoints::from_values(None, None).unwrap();
        assert_eq!(
            e.oauth("organizations", "token"),
            "https://login.microsoftonline.com/organizations/oauth2/v2.0/token"
        );
        let (url, host) = e
            .keyvault_url("corp-kv.vault.azure.net", "/secrets/a?api-version=7.6")
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://corp-kv.vault.azure.net/secrets/a?api-version=7.6"
        );
        assert_eq!(host, None);

        let e = Endpoints::from_values(
            Some("http://127.0.0.1:9000/"),
            Some("http://127.0.0.1:8443"),
        )
        .unwrap();
        assert_eq!(
            e.oauth("t", "authorize"),
            "http://127.0.0.1:9000/t/oauth2/v2.0/authorize"
        );
        let (url, host) = e
            .keyvault_url("corp-kv.vault.azure.net", "/secrets?maxresults=25")
            .unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8443/secrets?maxresults=25");
        assert_eq!(host.as_deref(), Some("corp-kv.vault.azure.net"));
    }

    #[test]
    fn unsafe_endpoints_are_refused() {
        let err = Endpoints::from_values(Some("http://login.example.com"), None).unwrap_err();
        assert!(
            err.contains("plain http is accepted only for a loopback address"),
            "{err}"
        );
        let err = Endpoints::from_values(None, Some("https://kv.example.com")).unwrap_err();
        assert!(err.contains("must be a loopback address"), "{err}");
        assert!(
            Endpoints::from_values(
                Some("https://login.example.com"),
                Some("http://localhost:1")
            )
            .is_ok()
        );
        assert!(Endpoints::from_values(Some("ftp://x"), None).is_err());
    }

    #[test]
    fn tenants() {
        assert!(is_valid_tenant("72f988bf-86f1-41af-91ab-2d7cd011db47"));
        assert!(is_valid_tenant("contoso.onmicrosoft.com"));
        assert!(!is_valid_tenant("a/b"));
        assert!(!is_valid_tenant("../x"));
        assert!(!is_valid_tenant(""));
        assert!(is_valid_tenant("organizations"));
        for option in ["-h", "--tenant", "-", "a-.b", "x_y.com", "c.-d"] {
            assert!(!is_valid_tenant(option), "{option}");
        }
    }
}
