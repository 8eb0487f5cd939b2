//! The links file `vaultlink.json`: its model (which reference name points to which Key Vault
//! secret, where each may be sent, sign-in settings), every problem in it with its range, and
//! the text edits that add or remove a link while keeping the rest of the file byte for byte.
//!
//! Pure: text in, data and edits out. Reading and writing the file is the caller's job.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use crate::syntax::json::{self, Member, Members, Value, ValueKind};
use crate::syntax::refs;
use crate::text::{Encoding, LineIndex, TextRange};
use crate::vault::arn::ArnId;
use crate::vault::identifier::{
    CODE_INVALID_LINK, EXPECTED_FORM, IdError, LinkId, SecretId, is_guid, is_tenant, shorten,
};

/// The links file's name, looked up from a document's folder upwards.
pub const FILE_NAME: &str = "vaultlink.json";

/// The tenant used when `azure.tenant` is not set: any work or school account.
pub const DEFAULT_TENANT: &str = "organizations";

/// The client id used when `azure.clientId` is not set: the developer sign-on application
/// that the Azure SDKs' interactive credentials use by default (the Azure CLI's).
pub const DEFAULT_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// The problem code of JSON errors and of values of the wrong shape.
pub const CODE_SYNTAX: &str = "syntax";

/// The parsed links file.
#[derive(Clone, Debug, PartialEq)]
pub struct LinksFile {
    /// Every entry of `secrets`, in file order, duplicates included (see [`LinksFile::get`]).
    pub secrets: Vec<SecretLink>,
    /// `scripts.allowVaultAccess`; false when absent or not a boolean.
    pub allow_script_access: bool,
    pub azure: AzureSettings,
    /// Everything wrong with the file, ordered by position.
    pub problems: Vec<LinkProblem>,
    /// Index into `secrets` by name (the last definition of each), for [`LinksFile::get`].
    by_name: HashMap<String, usize>,
}

/// One entry of `secrets`.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretLink {
    /// The reference name, decoded from the key.
    pub name: String,
    /// The key string, quotes included.
    pub name_range: TextRange,
    /// The whole member, from the key to the end of its value.
    pub range: TextRange,
    /// The parsed `link`: `None` when it is missing or not a string.
    pub link: Option<Result<LinkId, IdError>>,
    /// The decoded `link` string; the source text when it is not a string; empty when missing.
    pub link_text: String,
    /// The `link` value (a string's range includes its quotes); `None` when missing.
    pub link_range: Option<TextRange>,
    /// `allowedDomains`, in file order. Empty means any host. Entries that could not be
    /// understood are kept with `valid: false` and never match, so a broken list still
    /// restricts (see [`SecretLink::allows_host`]).
    pub allowed_domains: Vec<AllowedDomain>,
}

/// One `allowedDomains` pattern: a host name, or `*.` and a domain for any of its subdomains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedDomain {
    /// Lowercased, without a trailing dot.
    pub pattern: String,
    pub range: TextRange,
    /// False for a pattern that is not a valid host name or `*.domain` (a problem was
    /// reported); it matches no host.
    pub valid: bool,
}

/// The `azure` sign-in settings, with their defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureSettings {
    /// `azure.tenant`, or [`DEFAULT_TENANT`].
    pub tenant: String,
    /// Where `tenant` was written; `None` when the default is used.
    pub tenant_range: Option<TextRange>,
    /// `azure.clientId`, or [`DEFAULT_CLIENT_ID`].
    pub client_id: String,
    /// Where `clientId` was written; `None` when the default is used.
    pub client_id_range: Option<TextRange>,
    /// `azure.additionallyAllowedTenants`: tenants other than `tenant` whose vaults may be
    /// asked for a token when their challenge names them; `*` allows any.
    pub additionally_allowed_tenants: Vec<String>,
}

impl Default for AzureSettings {
    fn default() -> AzureSettings {
        AzureSettings {
            tenant: DEFAULT_TENANT.to_owned(),
            tenant_range: None,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_id_range: None,
            additionally_allowed_tenants: Vec::new(),
        }
    }
}

pub use crate::vault::diagnostic::Severity;

/// Something wrong in the links file, with its range in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkProblem {
    /// Where in `vaultlink.json`.
    pub range: TextRange,
    /// `invalid-link`, `untrusted-host` or `syntax` (JSON errors and values of the wrong shape).
    pub code: &'static str,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
    pub severity: Severity,
}

impl Default for LinksFile {
    /// The model of a missing links file: no links, defaults everywhere.
    fn default() -> LinksFile {
        LinksFile {
            secrets: Vec::new(),
            allow_script_access: false,
            azure: AzureSettings::default(),
            problems: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl LinksFile {
    /// The link for reference name `name`. Names compare exactly, case included, as the
    /// reference writes them (`{{vault:Stripe-Key}}` does not find `stripe-key`). When a name
    /// is defined twice the last definition counts, as JSON parsers read duplicate keys.
    pub fn get(&self, name: &str) -> Option<&SecretLink> {
        self.by_name.get(name).map(|&i| &self.secrets[i])
    }
}

impl SecretLink {
    /// The valid identifier of this link, whichever store it names.
    pub fn link_id(&self) -> Option<&LinkId> {
        self.link.as_ref()?.as_ref().ok()
    }

    /// The valid Key Vault identifier of this link, if it names a Key Vault secret.
    pub fn secret_id(&self) -> Option<&SecretId> {
        self.link_id()?.key_vault()
    }

    /// Whether the secret may be sent to `host` (a URL's host, optionally with a port, which
    /// is ignored). An empty `allowedDomains` allows any host; otherwise the host must equal
    /// a pattern, or be a subdomain of `x.com` for `*.x.com` (which does not match `x.com`
    /// itself). Case and a trailing dot do not matter. Invalid patterns match nothing.
    pub fn allows_host(&self, host: &str) -> bool {
        if self.allowed_domains.is_empty() {
            return true;
        }
        let host = normalize_host(host);
        self.allowed_domains
            .iter()
            .any(|d| d.matches_normalized(&host))
    }
}

impl AllowedDomain {
    /// Whether this pattern allows `host` (see [`SecretLink::allows_host`]).
    pub fn matches(&self, host: &str) -> bool {
        self.matches_normalized(&normalize_host(host))
    }

    fn matches_normalized(&self, host: &str) -> bool {
        // Only plain host names match: a caller that hands over `evil.com#.x.com` by mistake
        // must not get `*.x.com`'s permission.
        let plain = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !self.valid || !plain {
            return false;
        }
        match self.pattern.strip_prefix("*.") {
            Some(domain) => {
                host.len() > domain.len() + 1
                    && host.ends_with(domain)
                    && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            }
            None => host == self.pattern,
        }
    }
}

/// A host without its port and trailing dot, lowercased.
fn normalize_host(host: &str) -> String {
    let host = if host.starts_with('[') {
        host.find(']').map_or(host, |i| &host[..=i])
    } else if host.matches(':').count() == 1 {
        host.split_once(':').map_or(host, |(h, _)| h)
    } else {
        host
    };
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

mod edit;
mod read;

pub use edit::{EditError, TextEdit, apply_edits, new_file, remove_link_edits, set_link_edits};
pub use read::{domain_problem, parse};

#[cfg(test)]
mod tests;
