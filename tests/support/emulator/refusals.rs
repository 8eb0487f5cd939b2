//! The `403` answers with which Key Vault refuses a caller before any permission is looked
//! at (its network rules), or for want of an access policy. The bodies follow Microsoft's
//! public troubleshooting material: the messages of "Common error codes for Azure Key Vault"
//! (`ForbiddenByFirewall`, `AccessDenied`), the private-link diagnostics guide (the inner
//! codes), the AKS Key Vault provider's troubleshooting guide (the access-policy sentence)
//! and the Azure CLI's printout of a private vault's refusal (`ForbiddenByConnection`).

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::http::json;

/// Why a vault refuses every caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The vault's firewall allows no address this machine has.
    Firewall,
    /// Public network access is disabled: only private endpoints reach the vault.
    PrivateLink,
    /// The vault uses access policies, and none gives the caller this permission.
    AccessPolicy,
}

/// The address Key Vault reports for the caller (documentation range, RFC 5737).
pub const CLIENT_ADDRESS: &str = "203.0.113.7";

/// The answer to `operation` (`get`, `list`, `set`) on the vault at `host`.
pub(super) fn answer(refusal: Refusal, host: &str, operation: &str, client_id: &str) -> Response {
    let vault = host.split('.').next().unwrap_or(host);
    let (message, inner) = match refusal {
        Refusal::Firewall => (
            format!(
                "Client address is not authorized and caller is not a trusted service.\r\n\
                 Client address: {CLIENT_ADDRESS}\r\n\
                 Caller: appid={client_id}\r\n\
                 Vault: {vault};location=westeurope"
            ),
            "ForbiddenByFirewall",
        ),
        Refusal::PrivateLink => (
            format!(
                "Public network access is disabled and request is not from a trusted service nor via an approved private link.\r\n\
                 Caller: appid={client_id}\r\n\
                 Vault: {vault};location=westeurope"
            ),
            "ForbiddenByConnection",
        ),
        Refusal::AccessPolicy => (
            format!(
                "The user, group or application 'appid={client_id}' does not have secrets {operation} permission on key vault '{vault};location=westeurope'. \
                 For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287"
            ),
            "AccessDenied",
        ),
    };
    json(
        StatusCode::FORBIDDEN,
        &json!({ "error": { "code": "Forbidden", "message": message, "innererror": { "code": inner } } }),
    )
}
