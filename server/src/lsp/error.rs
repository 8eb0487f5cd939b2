//! The one error type of the handlers: what went wrong (its kind, which says the JSON-RPC
//! code) and a message for the person. Messages name files, names and hosts, never a
//! secret's value: a handler that could echo one (send) masks it before it builds the error.

use std::fmt;

use tower_lsp_server::jsonrpc::{self, ErrorCode};

use crate::lsp::state::Unfinished;

/// The code of a request that was understood but could not be carried out (LSP's
/// `RequestFailed`).
const REQUEST_FAILED: i64 = -32803;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The arguments are missing or wrong (`InvalidParams`).
    InvalidParams,
    /// The request was understood but could not be carried out: untrusted workspace, a
    /// failed sign-in, a send that failed (`RequestFailed`).
    Failed,
    /// The analysis of `file` ran past the budget (`RequestFailed`, with `{"overBudget":
    /// file}` as data).
    OverBudget { file: String },
    /// vaultlink itself failed (a panic) (`InternalError`).
    Internal,
    /// The request was cancelled before it started (`RequestCancelled`).
    Cancelled,
}

/// A handler's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub kind: Kind,
    pub message: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn invalid(message: impl Into<String>) -> Error {
        Error {
            kind: Kind::InvalidParams,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Error {
        Error {
            kind: Kind::Failed,
            message: message.into(),
        }
    }

    pub fn internal(message: impl Into<String>) -> Error {
        Error {
            kind: Kind::Internal,
            message: message.into(),
        }
    }

    pub fn cancelled() -> Error {
        Error {
            kind: Kind::Cancelled,
            message: String::new(),
        }
    }

    pub fn is_over_budget(&self) -> bool {
        matches!(self.kind, Kind::OverBudget { .. })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<Unfinished> for Error {
    fn from(unfinished: Unfinished) -> Error {
        Error {
            message: unfinished.message(),
            kind: Kind::OverBudget {
                file: unfinished.file,
            },
        }
    }
}

impl From<Error> for jsonrpc::Error {
    fn from(e: Error) -> jsonrpc::Error {
        match e.kind {
            Kind::InvalidParams => jsonrpc::Error::invalid_params(e.message),
            Kind::Failed => jsonrpc::Error {
                code: ErrorCode::ServerError(REQUEST_FAILED),
                message: e.message.into(),
                data: None,
            },
            Kind::OverBudget { file } => jsonrpc::Error {
                code: ErrorCode::ServerError(REQUEST_FAILED),
                message: e.message.into(),
                data: Some(serde_json::json!({ "overBudget": file })),
            },
            Kind::Internal => jsonrpc::Error {
                code: ErrorCode::InternalError,
                message: e.message.into(),
                data: None,
            },
            Kind::Cancelled => jsonrpc::Error::request_cancelled(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind answers with the code the protocol gives it; only an analysis past its
    /// budget carries data, the file's name.
    #[test]
    fn kinds_become_json_rpc_codes() {
        let cases = [
            Error::invalid("`name` is required"),
            Error::failed("sign-in failed"),
            Error::from(Unfinished {
                file: "slow.http".into(),
            }),
            Error::internal("vaultlink failed"),
            Error::cancelled(),
        ];
        let out: Vec<String> = cases
            .into_iter()
            .map(|e| {
                let e = jsonrpc::Error::from(e);
                format!("{} {:?}", e.code.code(), e.data)
            })
            .collect();
        assert_eq!(
            out,
            [
                "-32602 None",
                "-32803 None",
                "-32803 Some(Object {\"overBudget\": String(\"slow.http\")})",
                "-32603 None",
                "-32800 None",
            ]
        );
    }
}
