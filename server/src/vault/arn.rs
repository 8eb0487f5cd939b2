//! AWS Secrets Manager links: the `link` of a links-file entry that names a Secrets Manager
//! secret, parsed and validated without any IO.
//!
//! ```text
//! arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[-<6 chars>]  (full or partial ARN)
//! secretsmanager://<region>/<name>                                             (name and region)
//! … followed by an optional ?versionId=<id> or ?versionStage=<stage>
//! … and an optional #<key> for a secret that holds a JSON object
//! ```
//!
//! Partitions `aws`, `aws-cn` and `aws-us-gov`; the region must belong to the partition.
//! Like Key Vault identifiers, anything a person might read differently — spaces, control
//! characters, percent-encoding, characters AWS does not allow in a name — is refused.

use std::fmt;

/// The forms a Secrets Manager link may take, for messages.
pub const EXPECTED_FORM: &str = "arn:aws:secretsmanager:<region>:<account>:secret:<name>, or secretsmanager://<region>/<name>, optionally followed by ?versionId=<id> or ?versionStage=<stage> and #<json key>";

/// The prefix of the name-and-region form.
pub const SHORT_PREFIX: &str = "secretsmanager://";

const MAX_LEN: usize = 2048;

/// An AWS partition: where a region's endpoints are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Partition {
    Aws,
    China,
    UsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::China => "aws-cn",
            Partition::UsGov => "aws-us-gov",
        }
    }

    fn of_region(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::China
        } else if region.starts_with("us-gov-") {
            Partition::UsGov
        } else {
            Partition::Aws
        }
    }

    /// The DNS suffix of the partition's endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::China => "amazonaws.com.cn",
            Partition::Aws | Partition::UsGov => "amazonaws.com",
        }
    }
}

/// Which version of the secret a link reads.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pin {
    /// `?versionId=…`: one version, for good.
    Id(String),
    /// `?versionStage=…`: whichever version carries the stage (`AWSPREVIOUS`, a custom one).
    Stage(String),
}

/// A validated Secrets Manager link.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ArnId {
    pub partition: Partition,
    pub region: String,
    /// The account, when the link is an ARN.
    pub account: Option<String>,
    /// The name as written in the link: with the ARN's 6-character suffix when the ARN is
    /// complete.
    pub name: String,
    pub pin: Option<Pin>,
    /// The key to read from a secret holding a JSON object.
    pub key: Option<String>,
}

impl ArnId {
    /// Whether a link is meant for Secrets Manager (and so is parsed here, well-formed or not).
    pub fn claims(s: &str) -> bool {
        let lower = s
            .get(..SHORT_PREFIX.len())
            .unwrap_or(s)
            .to_ascii_lowercase();
        lower.starts_with("arn:") || lower.starts_with(SHORT_PREFIX)
    }

    /// Parses a link [`ArnId::claims`]; the error is the reason it is not valid.
    pub fn parse(s: &str) -> Result<ArnId, String> {
        let invalid = |reason: String| Err(reason);
        if s.len() > MAX_LEN {
            return invalid(format!("the link is too long ({} bytes)", s.len()));
        }
        if let Some(c) = s.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return invalid(format!(
                "the link contains {}; a Secrets Manager link has none",
                if c.is_whitespace() {
                    "a space"
                } else {
                    "a control character"
                }
            ));
        }
        let (rest, key) = match s.split_once('#') {
            Some((rest, key)) => (rest, Some(key)),
            None => (s, None),
        };
        let (base, query) = match rest.split_once('?') {
            Some((base, q)) => (base, Some(q)),
            None => (rest, None),
        };
        let (partition, region, account, name) = if let Some(arn) = base.strip_prefix("arn:") {
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            let [partition, service, region, account, kind, name] = parts[..] else {
                return invalid(format!("the ARN is incomplete; expected {EXPECTED_FORM}"));
            };
            let partition = match partition {
                "aws" => Partition::Aws,
                "aws-cn" => Partition::China,
                "aws-us-gov" => Partition::UsGov,
                other => {
                    return invalid(format!(
                        "`{}` is not a partition vaultlink reads: aws, aws-cn or aws-us-gov",
                        shorten(other)
                    ));
                }
            };
            if service != "secretsmanager" || kind != "secret" {
                return invalid(format!(
                    "only Secrets Manager secrets can be linked; expected {EXPECTED_FORM}"
                ));
            }
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return invalid("the account must be 12 digits".to_owned());
            }
            (partition, region, Some(account.to_owned()), name)
        } else if let Some(short) = base.strip_prefix(SHORT_PREFIX) {
            let Some((region, name)) = short.split_once('/') else {
                return invalid(format!("expected {SHORT_PREFIX}<region>/<name>"));
            };
            (Partition::of_region(region), region, None, name)
        } else {
            return invalid(format!("expected {EXPECTED_FORM}"));
        };
        if !is_region(region) {
            return invalid(format!(
                "`{}` is not an AWS region (like eu-west-1)",
                shorten(region)
            ));
        }
        if Partition::of_region(region) != partition {
            return invalid(format!(
                "the region `{region}` is not in the partition `{}`",
                partition.as_str()
            ));
        }
        if let Some(reason) = name_problem(name) {
            return invalid(reason);
        }
        let pin = match query {
            None => None,
            Some(q) => Some(pin(q)?),
        };
        let key = match key {
            None => None,
            Some("") => {
                return invalid("the JSON key after `#` is empty".to_owned());
            }
            Some(k) if k.len() > 256 => {
                return invalid("the JSON key after `#` is longer than 256 bytes".to_owned());
            }
            Some(k) if k.contains(['#', '?', '%']) => {
                return invalid("the JSON key after `#` contains `#`, `?` or `%`".to_owned());
            }
            Some(k) => Some(k.to_owned()),
        };
        Ok(ArnId {
            partition,
            region: region.to_owned(),
            account,
            name: name.to_owned(),
            pin,
            key,
        })
    }

    /// What Secrets Manager's `SecretId` parameter is given: the ARN, or the name.
    pub fn secret_id(&self) -> String {
        match &self.account {
            Some(account) => format!(
                "arn:{}:secretsmanager:{}:{account}:secret:{}",
                self.partition.as_str(),
                self.region,
                self.name
            ),
            None => self.name.clone(),
        }
    }

    /// The name without a complete ARN's random suffix.
    pub fn short_name(&self) -> &str {
        if self.account.is_some()
            && let Some((base, suffix)) = self.name.rsplit_once('-')
            && suffix.len() == 6
            && suffix.bytes().all(|b| b.is_ascii_alphanumeric())
            && !base.is_empty()
        {
            return base;
        }
        &self.name
    }

    /// The pinned version id, if any.
    pub fn version_id(&self) -> Option<&str> {
        match &self.pin {
            Some(Pin::Id(v)) => Some(v),
            _ => None,
        }
    }

    /// The endpoint host of the link's region.
    pub fn host(&self) -> String {
        format!(
            "secretsmanager.{}.{}",
            self.region,
            self.partition.dns_suffix()
        )
    }

    /// Whether two links name the same secret (whatever version or key they read).
    pub fn same_secret(&self, other: &ArnId) -> bool {
        self.partition == other.partition
            && self.region == other.region
            && (self.account == other.account || self.account.is_none() || other.account.is_none())
            && self.short_name() == other.short_name()
    }
}

impl fmt::Display for ArnId {
    /// The link as it would be written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.account {
            Some(_) => f.write_str(&self.secret_id())?,
            None => write!(f, "{SHORT_PREFIX}{}/{}", self.region, self.name)?,
        }
        match &self.pin {
            Some(Pin::Id(v)) => write!(f, "?versionId={v}")?,
            Some(Pin::Stage(s)) => write!(f, "?versionStage={s}")?,
            None => {}
        }
        if let Some(k) = &self.key {
            write!(f, "#{k}")?;
        }
        Ok(())
    }
}

fn pin(query: &str) -> Result<Pin, String> {
    let invalid = |reason: &str| Err(reason.to_owned());
    let (k, v) = query.split_once('=').unwrap_or((query, ""));
    let valid = |v: &str, max: usize| {
        !v.is_empty()
            && v.len() <= max
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_+=.@".contains(&b))
    };
    match k {
        "versionId" if valid(v, 64) && v.len() >= 32 => Ok(Pin::Id(v.to_owned())),
        "versionId" => invalid("a version id is 32 to 64 letters, digits and hyphens"),
        "versionStage" if valid(v, 256) => Ok(Pin::Stage(v.to_owned())),
        "versionStage" => invalid("a version stage is 1 to 256 letters, digits and -_+=.@"),
        _ => invalid("after `?` only versionId=<id> or versionStage=<stage> may follow"),
    }
}

/// At most 60 characters of `s`, for messages.
fn shorten(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`.
/// Whether `r` reads as an AWS region name: `eu-west-1`, `us-gov-west-1`, `cn-north-1`.
pub fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.len() <= 4
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|n| (1..=2).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Secrets Manager's names: 1 to 512 of letters, digits and `/_+=.@-`.
fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the secret's name is empty".to_owned());
    }
    if name.len() > 512 {
        return Some("the secret's name is longer than 512 characters".to_owned());
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "/_+=.@-".contains(*c)))
    {
        return Some(format!(
            "`{}` cannot be part of a Secrets Manager name (letters, digits and /_+=.@- only)",
            c.escape_default()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    fn check(links: &[&str], expect: Expect) {
        let out: String = links
            .iter()
            .map(|l| match ArnId::parse(l) {
                Ok(id) => format!(
                    "{l}\n  => {} {} {:?} {} id={} pin={:?} key={:?} host={}\n",
                    id.partition.as_str(),
                    id.region,
                    id.account,
                    id.short_name(),
                    id.secret_id(),
                    id.pin,
                    id.key,
                    id.host()
                ),
                Err(e) => format!("{l}\n  => invalid-link: {e}\n"),
            })
            .collect();
        expect.assert_eq(&out);
    }

    #[test]
    fn valid_links() {
        check(
            &[
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db",
                "arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:api-key-x1y2z3?versionStage=AWSPREVIOUS",
                "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:k#password",
                "secretsmanager://eu-central-1/payments/stripe?versionId=EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE#api_key",
            ],
            expect![[r#"
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123
                  => aws eu-west-1 Some("123456789012") prod/db id=arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123 pin=None key=None host=secretsmanager.eu-west-1.amazonaws.com
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db
                  => aws eu-west-1 Some("123456789012") prod/db id=arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db pin=None key=None host=secretsmanager.eu-west-1.amazonaws.com
                arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:api-key-x1y2z3?versionStage=AWSPREVIOUS
                  => aws-cn cn-north-1 Some("123456789012") api-key id=arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:api-key-x1y2z3 pin=Some(Stage("AWSPREVIOUS")) key=None host=secretsmanager.cn-north-1.amazonaws.com.cn
                arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:k#password
                  => aws-us-gov us-gov-west-1 Some("123456789012") k id=arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:k pin=None key=Some("password") host=secretsmanager.us-gov-west-1.amazonaws.com
                secretsmanager://eu-central-1/payments/stripe?versionId=EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE#api_key
                  => aws eu-central-1 None payments/stripe id=payments/stripe pin=Some(Id("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE")) key=Some("api_key") host=secretsmanager.eu-central-1.amazonaws.com
            "#]],
        );
    }

    #[test]
    fn invalid_links() {
        check(
            &[
                "arn:aws:ssm:eu-west-1:123456789012:parameter/x",
                "arn:aws:secretsmanager:eu-west-1:12345:secret:x",
                "arn:aws-cn:secretsmanager:eu-west-1:123456789012:secret:x",
                "arn:aws:secretsmanager:cn-north-1:123456789012:secret:x",
                "arn:azure:secretsmanager:eu-west-1:123456789012:secret:x",
                "arn:aws:secretsmanager:Europe:123456789012:secret:x",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a b",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:a%2Fb",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x?versionId=1",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x?stage=AWSCURRENT",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x#",
                "secretsmanager://eu-west-1",
                "arn:aws:secretsmanager:eu-west-1",
            ],
            expect![[r#"
                arn:aws:ssm:eu-west-1:123456789012:parameter/x
                  => invalid-link: the ARN is incomplete; expected arn:aws:secretsmanager:<region>:<account>:secret:<name>, or secretsmanager://<region>/<name>, optionally followed by ?versionId=<id> or ?versionStage=<stage> and #<json key>
                arn:aws:secretsmanager:eu-west-1:12345:secret:x
                  => invalid-link: the account must be 12 digits
                arn:aws-cn:secretsmanager:eu-west-1:123456789012:secret:x
                  => invalid-link: the region `eu-west-1` is not in the partition `aws-cn`
                arn:aws:secretsmanager:cn-north-1:123456789012:secret:x
                  => invalid-link: the region `cn-north-1` is not in the partition `aws`
                arn:azure:secretsmanager:eu-west-1:123456789012:secret:x
                  => invalid-link: `azure` is not a partition vaultlink reads: aws, aws-cn or aws-us-gov
                arn:aws:secretsmanager:Europe:123456789012:secret:x
                  => invalid-link: `Europe` is not an AWS region (like eu-west-1)
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:
                  => invalid-link: the secret's name is empty
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:a b
                  => invalid-link: the link contains a space; a Secrets Manager link has none
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:a%2Fb
                  => invalid-link: `%` cannot be part of a Secrets Manager name (letters, digits and /_+=.@- only)
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:x?versionId=1
                  => invalid-link: a version id is 32 to 64 letters, digits and hyphens
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:x?stage=AWSCURRENT
                  => invalid-link: after `?` only versionId=<id> or versionStage=<stage> may follow
                arn:aws:secretsmanager:eu-west-1:123456789012:secret:x#
                  => invalid-link: the JSON key after `#` is empty
                secretsmanager://eu-west-1
                  => invalid-link: expected secretsmanager://<region>/<name>
                arn:aws:secretsmanager:eu-west-1
                  => invalid-link: the ARN is incomplete; expected arn:aws:secretsmanager:<region>:<account>:secret:<name>, or secretsmanager://<region>/<name>, optionally followed by ?versionId=<id> or ?versionStage=<stage> and #<json key>
            "#]],
        );
    }

    #[test]
    fn round_trips() {
        for l in [
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123?versionStage=AWSPREVIOUS#user",
            "secretsmanager://eu-west-1/x?versionId=01234567-89ab-cdef-0123-456789abcdef",
        ] {
            assert_eq!(ArnId::parse(l).unwrap().to_string(), l);
        }
        let a =
            ArnId::parse("arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123").unwrap();
        let b = ArnId::parse("secretsmanager://eu-west-1/db#user").unwrap();
        assert!(a.same_secret(&b));
    }
}
