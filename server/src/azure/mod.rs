//! Azure: signing in to Microsoft Entra ID and reading Key Vault (SPEC §7).
//!
//! - [`endpoints`]: where requests go, including the loopback test endpoints.
//! - [`signin`]: the sign-in methods, each yielding tokens; [`loopback`] is the browser
//!   flow's one-shot redirect listener; [`http`] the shared HTTP client.
//! - [`challenge`]: Key Vault's `401` challenge, from which only a tenant is taken.
//! - [`keyvault`]: answer shapes, typed errors and what a secret's versions say.
//! - [`session`]: the signed-in state, tokens in memory, retries and the caches.
//!
//! Tokens and secret values are `secrecy` strings from the moment they are read; nothing in
//! this module writes one anywhere but a request to its own endpoint.

pub mod challenge;
pub mod endpoints;
pub mod error;
pub mod http;
pub mod keyvault;
pub mod loopback;
pub mod session;
pub mod signin;

pub use keyvault::{KvError, SecretProps, SecretValue, SecretVersions};
pub use session::{Azure, Status};
pub use signin::{App, Interaction, Method, SignInError};
