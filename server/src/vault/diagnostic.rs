//! Findings: what the analysis reports about a document, with the codes of the contract.

use crate::text::TextRange;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }
}

/// The diagnostic codes of the contract, plus `syntax-error` for files that do not parse and
/// `missing-separator` for constructs only some dialects read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    UnlinkedSecret,
    InvalidReference,
    InvalidLink,
    UntrustedHost,
    SecretNotFound,
    SecretDisabled,
    AccessDenied,
    /// Key Vault's network rules (its firewall, or public access disabled) refused.
    NetworkRefused,
    SecretExpired,
    SecretNotYetValid,
    SecretExpiring,
    NewerVersion,
    DomainNotAllowed,
    ScriptAccessDisabled,
    LinkedSecretWrite,
    UndefinedVariable,
    /// A literal credential (a token, key or password) written in a committed file.
    PlaintextSecret,
    /// A construct some dialects read and others do not, with its portable rewrite (a `###`
    /// line between requests, a blank line before a body).
    MissingSeparator,
    /// The file is not well-formed (JSON errors, a broken `.http` request, a wrong shape).
    SyntaxError,
}

impl Code {
    pub const ALL: [Code; 19] = [
        Code::UnlinkedSecret,
        Code::InvalidReference,
        Code::InvalidLink,
        Code::UntrustedHost,
        Code::SecretNotFound,
        Code::SecretDisabled,
        Code::AccessDenied,
        Code::NetworkRefused,
        Code::SecretExpired,
        Code::SecretNotYetValid,
        Code::SecretExpiring,
        Code::NewerVersion,
        Code::DomainNotAllowed,
        Code::ScriptAccessDisabled,
        Code::LinkedSecretWrite,
        Code::UndefinedVariable,
        Code::PlaintextSecret,
        Code::MissingSeparator,
        Code::SyntaxError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::UnlinkedSecret => "unlinked-secret",
            Code::InvalidReference => "invalid-reference",
            Code::InvalidLink => "invalid-link",
            Code::UntrustedHost => "untrusted-host",
            Code::SecretNotFound => "secret-not-found",
            Code::SecretDisabled => "secret-disabled",
            Code::AccessDenied => "access-denied",
            Code::NetworkRefused => "network-refused",
            Code::SecretExpired => "secret-expired",
            Code::SecretNotYetValid => "secret-not-yet-valid",
            Code::SecretExpiring => "secret-expiring",
            Code::NewerVersion => "newer-version",
            Code::DomainNotAllowed => "domain-not-allowed",
            Code::ScriptAccessDisabled => "script-access-disabled",
            Code::LinkedSecretWrite => "linked-secret-write",
            Code::UndefinedVariable => "undefined-variable",
            Code::PlaintextSecret => "plaintext-secret",
            Code::MissingSeparator => "missing-separator",
            Code::SyntaxError => "syntax-error",
        }
    }

    pub fn from_name(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The severity the contract gives this code.
    pub fn severity(self) -> Severity {
        match self {
            Code::UnlinkedSecret
            | Code::SecretExpired
            | Code::SecretNotYetValid
            | Code::ScriptAccessDisabled
            | Code::UndefinedVariable
            | Code::PlaintextSecret => Severity::Warning,
            Code::SecretExpiring => Severity::Information,
            Code::NewerVersion | Code::MissingSeparator => Severity::Hint,
            Code::InvalidReference
            | Code::InvalidLink
            | Code::UntrustedHost
            | Code::SecretNotFound
            | Code::SecretDisabled
            | Code::AccessDenied
            | Code::NetworkRefused
            | Code::DomainNotAllowed
            | Code::LinkedSecretWrite
            | Code::SyntaxError => Severity::Error,
        }
    }
}

/// One thing the analysis found in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub range: TextRange,
    pub severity: Severity,
    pub code: Code,
    pub message: String,
}

impl Finding {
    /// A finding with the contract's severity for `code`.
    pub fn new(range: TextRange, code: Code, message: impl Into<String>) -> Finding {
        Finding {
            range,
            severity: code.severity(),
            code,
            message: message.into(),
        }
    }
}
