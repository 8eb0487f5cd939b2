//! AWS: credentials and Secrets Manager (SPEC §9).
//!
//! - [`credentials`]: the standard chain — environment, shared files and profiles, the AWS
//!   CLI's `export-credentials` for SSO and other profiles — in memory only.
//! - [`secretsmanager`]: the JSON protocol, Signature Version 4 (`aws-sigv4`), the answers
//!   read and the typed errors.
//! - [`session`]: the credentials in use, retries on throttling, and the caches.
//!
//! Metadata comes only from `DescribeSecret`, `ListSecretVersionIds` and `ListSecrets`; a
//! value only from `GetSecretValue`, when a request is sent.

pub mod credentials;
pub mod endpoint;
pub mod secretsmanager;
pub mod session;

pub use session::Aws;
