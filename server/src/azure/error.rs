//! Why a sign-in failed: one error type for every method, the browser's redirect listener
//! included.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    #[error("{0}")]
    NotConfigured(String),
    #[error(
        "the Azure CLI (`az`) was not found in the absolute folders of PATH outside the workspace: install it and run `az login`, or choose another sign-in method"
    )]
    CliMissing,
    #[error("the Azure CLI is not signed in: run `az login`, then try again")]
    CliSignedOut,
    #[error("the Azure CLI could not get a Key Vault token: {0}")]
    Cli(String),
    #[error("the sign-in was refused: {error}{}", description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default())]
    Refused {
        error: String,
        description: Option<String>,
    },
    #[error("no sign-in arrived within {} minutes; sign in again", .0.as_secs() / 60)]
    TimedOut(Duration),
    #[error("the device code expired before the sign-in was completed; sign in again")]
    DeviceCodeExpired,
    #[error("could not reach the sign-in service: {0}")]
    Network(String),
    #[error("the sign-in service answered something unexpected: {0}")]
    Protocol(String),
    #[error("could not show the sign-in page: {0}")]
    Interaction(String),
    #[error("the sign-in has lasted 24 hours and has ended; sign in again")]
    Ended,
}
