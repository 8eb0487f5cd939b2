//! The secret stores vaultlink reads, as one registry: the language server and `send` hold
//! a `Providers`, never a single store's session. A link's identifier says which store
//! answers (`vault::identifier::LinkId`); everything that is the same for every store —
//! findings, hover, `allowedDomains`, redaction — is above this, in `vault/` and `send/`.

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::aws::Aws;
use crate::azure::Azure;
use crate::vault::features::live::SecretsView;
use crate::vault::identifier::{LinkId, Store};
use crate::vault::secret::{Failure, SecretVersions};

#[derive(Clone, Default)]
pub struct Providers {
    pub azure: Arc<Azure>,
    pub aws: Arc<Aws>,
}

impl Providers {
    pub fn new(azure: Arc<Azure>) -> Providers {
        Providers {
            azure,
            aws: Arc::new(Aws::default()),
        }
    }

    /// Folders no program (`az`, `aws`) is ever taken from.
    pub fn set_workspace(&self, roots: Vec<PathBuf>) {
        self.azure.set_workspace(roots.clone());
        self.aws.set_workspace(roots);
    }

    pub fn is_signed_in(&self, store: Store) -> bool {
        match store {
            Store::KeyVault => self.azure.is_signed_in(),
            Store::SecretsManager => self.aws.is_signed_in(),
        }
    }

    /// What the store says about the secret `id` names (metadata only), cached.
    pub async fn versions(&self, id: &LinkId) -> Result<Arc<SecretVersions>, Failure> {
        match id {
            LinkId::KeyVault(k) => self.azure.versions(k).await.map_err(|e| Failure::from(&e)),
            LinkId::SecretsManager(a) => self.aws.versions(a).await.map_err(|e| Failure::from(&e)),
        }
    }

    /// The value `id` reads, for a send.
    pub async fn value(&self, id: &LinkId) -> Result<SecretString, String> {
        match id {
            LinkId::KeyVault(k) => self
                .azure
                .value(k)
                .await
                .map(|v| v.value.clone())
                .map_err(|e| e.to_string()),
            LinkId::SecretsManager(a) => self
                .aws
                .value(a)
                .await
                .map(|v| SecretString::from(v.expose_secret().to_owned()))
                .map_err(|e| e.to_string()),
        }
    }

    /// Lists the secrets at the host `id`'s store answers on, for completion.
    pub async fn secret_names(&self, id: &LinkId) {
        match id {
            LinkId::KeyVault(k) => {
                let _ = self.azure.secret_names(&k.host()).await;
            }
            LinkId::SecretsManager(a) => {
                let _ = self.aws.secret_arns(a).await;
            }
        }
    }

    /// The credentials' secret parts, for a redactor (environment variables are added
    /// separately).
    pub fn credential_secrets(&self) -> Vec<String> {
        self.aws.credential_secrets()
    }

    /// Drops every secret value kept.
    pub fn forget_values(&self) {
        self.azure.forget_values();
        self.aws.forget_values();
    }
}

impl SecretsView for Providers {
    fn signed_in(&self, store: Store) -> bool {
        self.is_signed_in(store)
    }

    fn versions(&self, id: &LinkId) -> Option<Result<Arc<SecretVersions>, Failure>> {
        match id {
            LinkId::KeyVault(k) => self
                .azure
                .peek_versions(k)
                .map(|r| r.map_err(|e| Failure::from(&e))),
            LinkId::SecretsManager(a) => self
                .aws
                .peek_versions(a)
                .map(|r| r.map_err(|e| Failure::from(&e))),
        }
    }

    fn secret_names(&self, host: &str) -> Option<Arc<Vec<String>>> {
        if host.starts_with("secretsmanager.") {
            return self.aws.peek_secret_arns(host)?.ok();
        }
        self.azure.peek_secret_names(host)?.ok()
    }
}
