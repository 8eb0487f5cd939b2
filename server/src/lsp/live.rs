//! The secret stores in the editor: a view of the providers' caches for the features, the linked
//! secrets a document uses, and short waits for answers where a person is waiting (hover,
//! completion). Diagnostics never wait: unknown secrets are fetched in the background and
//! the diagnostics refreshed when the answers arrive.

use std::time::Duration;

use crate::lsp::state::{FileData, State};
use crate::providers::Providers;
use crate::vault::document::Parsed;
use crate::vault::features::live::{self, LinkedUse};
use crate::vault::identifier::LinkId;

/// How long hover and completion wait for Key Vault before answering without it.
pub const INTERACTIVE_WAIT: Duration = Duration::from_millis(2500);

/// The linked secrets an open document uses (see [`live::linked_uses`]).
pub fn linked_uses(state: &State, data: &FileData) -> Vec<LinkedUse> {
    let around = state.surroundings(data.path.as_deref(), data.kind, false);
    live::linked_uses(&data.doc(), around.links.as_ref().and_then(|l| l.links()))
}

/// One link per store host (a vault, a region's endpoint) of the links that apply to a
/// document, to list each host's secrets with.
pub fn store_hosts(state: &State, data: &FileData) -> Vec<LinkId> {
    let links = match &data.parsed {
        Parsed::Links(l) => Some(l),
        _ => None,
    };
    let around;
    let links = match links {
        Some(l) => Some(l),
        None => {
            around = state.surroundings(data.path.as_deref(), data.kind, false);
            around.links.as_ref().and_then(|l| l.links())
        }
    };
    let mut hosts: Vec<LinkId> = Vec::new();
    for id in links
        .iter()
        .flat_map(|l| &l.secrets)
        .filter_map(|s| s.link_id())
    {
        if !hosts.iter().any(|h| h.host() == id.host()) {
            hosts.push(id.clone());
        }
    }
    hosts
}

/// Runs `f` to completion on the runtime from a blocking thread, giving up after `wait`.
pub fn wait_for<F: std::future::Future>(wait: Duration, f: F) -> Option<F::Output> {
    let handle = tokio::runtime::Handle::try_current().ok()?;
    handle.block_on(async { tokio::time::timeout(wait, f).await.ok() })
}

/// Fetches the versions of each secret side by side (each answer lands in the cache).
pub async fn fetch_versions(providers: &Providers, ids: &[LinkId]) {
    futures::future::join_all(ids.iter().map(|id| providers.versions(id))).await;
}

/// Fetches the secret names at each host side by side.
pub async fn fetch_names(providers: &Providers, hosts: &[LinkId]) {
    futures::future::join_all(hosts.iter().map(|h| providers.secret_names(h))).await;
}
