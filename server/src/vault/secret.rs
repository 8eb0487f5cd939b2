//! What a store can say about a linked secret, whichever store it is: its versions and their
//! dates, whether it is enabled, its tags, which version is current, and the typed failures
//! (not found, disabled or deleted, access denied, unreachable, throttled). Providers turn
//! their answers into these; the analysis reads only these.

use std::collections::BTreeMap;
use std::fmt;

/// A secret's properties (never its value): from a list answer, or a get answer with the
/// value taken out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretProps {
    /// The identifier as Key Vault gives it.
    pub id: String,
    pub name: String,
    /// The version, when the identifier carries one (version lists and gets do).
    pub version: Option<String>,
    pub enabled: bool,
    /// Unix seconds.
    pub created: Option<i64>,
    pub updated: Option<i64>,
    pub expires: Option<i64>,
    pub not_before: Option<i64>,
    pub content_type: Option<String>,
    pub tags: BTreeMap<String, String>,
    /// Labels the store puts on the version (Secrets Manager's stages: `AWSCURRENT`,
    /// `AWSPREVIOUS`, custom ones).
    pub labels: Vec<String>,
}

/// Every version of one secret, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretVersions {
    pub versions: Vec<SecretProps>,
    /// The current version when the store names it (Secrets Manager's `AWSCURRENT` stage);
    /// `None` when only creation times tell (Key Vault).
    pub named_current: Option<String>,
    /// Facts about the secret as a whole that the store adds to a hover, as rows (rotation,
    /// a description); never a value.
    pub facts: Vec<(String, String)>,
}

/// Which version is the current one, as far as a versions list can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Current<'a> {
    /// One version was created after every other.
    Known(&'a SecretProps),
    /// Several versions share the newest creation time (Key Vault's times are whole
    /// seconds, and versions created in the same second are common): any of them may be the
    /// current one. Only `GET /secrets/{name}`, which carries the value, says which.
    Unknown,
}

impl SecretVersions {
    /// Sorts newest first: by creation time, then (for a stable order only, never to pick
    /// the current version) by version.
    pub fn new(mut versions: Vec<SecretProps>) -> SecretVersions {
        versions.sort_by(|a, b| {
            (b.created_or_updated(), &b.version).cmp(&(a.created_or_updated(), &a.version))
        });
        SecretVersions {
            versions,
            named_current: None,
            facts: Vec::new(),
        }
    }

    /// The versions, with the one the store names current.
    pub fn with_current(mut self, version: Option<String>) -> SecretVersions {
        self.named_current = version;
        self
    }

    /// The current version, when the list shows which it is; `None` for no versions.
    pub fn current(&self) -> Option<Current<'_>> {
        if let Some(named) = &self.named_current {
            return self.version(named).map(Current::Known);
        }
        let newest = self.versions.first()?;
        if self.candidates().nth(1).is_some() {
            return Some(Current::Unknown);
        }
        Some(Current::Known(newest))
    }

    /// The current version when it is known: the one created after every other.
    pub fn latest(&self) -> Option<&SecretProps> {
        match self.current()? {
            Current::Known(p) => Some(p),
            Current::Unknown => None,
        }
    }

    /// The versions that share the newest creation time: the ones that may be current.
    pub fn candidates(&self) -> Box<dyn Iterator<Item = &SecretProps> + '_> {
        if self.named_current.is_some() {
            return Box::new(match self.current() {
                Some(Current::Known(p)) => Some(p).into_iter(),
                _ => None.into_iter(),
            });
        }
        let newest = self.versions.first().map(SecretProps::created_or_updated);
        Box::new(
            self.versions
                .iter()
                .take_while(move |v| Some(v.created_or_updated()) == newest),
        )
    }

    /// Whether `version` is the current one: `None` when the list cannot tell (it is one
    /// of several created in the newest second), or when there is no such version.
    pub fn is_current(&self, version: &str) -> Option<bool> {
        let props = self.version(version)?;
        match self.current()? {
            Current::Known(p) => Some(std::ptr::eq(p, props)),
            Current::Unknown => {
                let tied = self.candidates().any(|c| std::ptr::eq(c, props));
                if tied { None } else { Some(false) }
            }
        }
    }

    /// The version that carries `label` (a Secrets Manager stage).
    pub fn labelled(&self, label: &str) -> Option<&SecretProps> {
        self.versions
            .iter()
            .find(|v| v.labels.iter().any(|l| l == label))
    }

    pub fn version(&self, version: &str) -> Option<&SecretProps> {
        self.versions.iter().find(|v| {
            v.version
                .as_deref()
                .is_some_and(|x| x.eq_ignore_ascii_case(version))
        })
    }
}

/// What a secret's time attributes say at `now` (Unix seconds), for diagnostics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Validity {
    Valid,
    Expired,
    NotYetValid,
    /// Expires within [`EXPIRING_WITHIN`]; the seconds left.
    Expiring(i64),
}

/// How soon an expiry date earns a warning.
pub const EXPIRING_WITHIN: i64 = 14 * 24 * 3600;

impl SecretProps {
    /// When the version was created (its update time when the creation time is missing).
    fn created_or_updated(&self) -> Option<i64> {
        self.created.or(self.updated)
    }

    pub fn validity(&self, now: i64) -> Validity {
        match (self.expires, self.not_before) {
            (Some(exp), _) if exp <= now => Validity::Expired,
            (_, Some(nbf)) if nbf > now => Validity::NotYetValid,
            (Some(exp), _) if exp - now <= EXPIRING_WITHIN => Validity::Expiring(exp - now),
            _ => Validity::Valid,
        }
    }
}

/// A Unix time as `2026-11-28 04:06 UTC`.
pub fn format_time(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(t) => t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => unix.to_string(),
    }
}

/// Why a store gave no metadata for a secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    /// The store's own words, for a hover or a log: never a value.
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// No such secret (or version).
    NotFound,
    /// The secret exists and is disabled.
    Disabled,
    /// Deleted, or scheduled for deletion: it can still be recovered until `purge`.
    Deleted {
        /// When it was deleted (Unix seconds).
        deleted: Option<i64>,
        /// When the store removes it for good.
        purge: Option<i64>,
    },
    /// The store refused: who may read it does not include the caller, or its network rules
    /// do not allow this machine (`network`). `advice` says what to ask for.
    Denied {
        code: String,
        network: bool,
        advice: String,
    },
    /// The store could not be reached.
    Unreachable,
    /// The store is throttling requests.
    Throttled,
    /// Anything else: signed out, an unreadable answer, a server error.
    Other,
}

impl Failure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// Whether this is an answer about the secret rather than about the connection or the
    /// sign-in.
    pub fn is_answer(&self) -> bool {
        matches!(
            self.kind,
            FailureKind::NotFound
                | FailureKind::Disabled
                | FailureKind::Deleted { .. }
                | FailureKind::Denied { .. }
        )
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}
