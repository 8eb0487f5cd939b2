//! Plaintext credentials: the token shapes that secret scanners know (JSON Web Tokens,
//! `Authorization` values, GitHub, AWS, Stripe, Slack, Google and Azure Storage keys, SAS
//! signatures, private key blocks, passwords in URLs, and the API tokens that services mark
//! with a prefix of their own) and `api_key=`-style values that look random, found in one
//! piece of text. Pure: text in, byte ranges out.
//!
//! A piece of text is either a named field (a header, a query parameter, a variable, an
//! `auth` parameter: the name says what the value is) or free text (a URL, a body, a script
//! line), where names are read from `name=value` and `"name": "value"` pairs. What is never
//! a finding: anything inside or touching `{{…}}`, and obvious placeholders (`<token>`,
//! `xxx`, `changeme`, `your-api-key`, `${TOKEN}`, …).

use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;

use crate::text::TextRange;

/// What a credential looks like, for messages and names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shape {
    Jwt,
    /// A `Bearer`/`token` value of an `Authorization` header (or a bearer token elsewhere).
    BearerToken,
    /// A `Basic` value: base64 of `user:password`.
    BasicAuth,
    GitHubToken,
    AwsAccessKey,
    StripeKey,
    SlackToken,
    AzureStorageKey,
    AzureSasSignature,
    GoogleApiKey,
    PrivateKey,
    UrlPassword,
    /// An API token a service marks with its own prefix (`npm_`, `glpat-`, `hvs.`, `sk-ant-`).
    ServiceToken,
    /// A value whose name says it is a key, token, secret or password.
    NamedValue,
}

impl Shape {
    /// What the finding calls it: "a GitHub token".
    pub fn describe(self) -> &'static str {
        match self {
            Shape::Jwt => "a JSON Web Token",
            Shape::BearerToken => "a bearer token",
            Shape::BasicAuth => "a Basic authorization (user name and password)",
            Shape::GitHubToken => "a GitHub token",
            Shape::AwsAccessKey => "an AWS access key id",
            Shape::StripeKey => "a Stripe live key",
            Shape::SlackToken => "a Slack token",
            Shape::AzureStorageKey => "an Azure storage account key",
            Shape::AzureSasSignature => "an Azure shared access signature",
            Shape::GoogleApiKey => "a Google API key",
            Shape::PrivateKey => "a private key",
            Shape::UrlPassword => "a password in a URL",
            Shape::ServiceToken => "an API token",
            Shape::NamedValue => "a credential",
        }
    }

    /// [`Shape::describe`] with a capital letter, to start a sentence.
    pub fn describe_capitalised(self) -> String {
        let d = self.describe();
        let mut c = d.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    }

    /// A short name for a vault reference: `github-token`.
    pub fn slug(self) -> &'static str {
        match self {
            Shape::Jwt | Shape::BearerToken => "token",
            Shape::BasicAuth => "basic-auth",
            Shape::GitHubToken => "github-token",
            Shape::AwsAccessKey => "aws-access-key-id",
            Shape::StripeKey => "stripe-key",
            Shape::SlackToken => "slack-token",
            Shape::AzureStorageKey => "storage-key",
            Shape::AzureSasSignature => "sas-signature",
            Shape::GoogleApiKey => "google-api-key",
            Shape::PrivateKey => "private-key",
            Shape::UrlPassword => "password",
            Shape::ServiceToken => "api-token",
            Shape::NamedValue => "secret",
        }
    }
}

/// One credential: its range in the text scanned, and what it looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub range: TextRange,
    pub shape: Shape,
}

/// The comment text that keeps a line (the line it is on, or the line below it) from being
/// reported: `# vaultlink-ignore plaintext-secret` in an `.http` file.
pub const IGNORE_MARKER: &str = "vaultlink-ignore plaintext-secret";

/// Token shapes that are credentials wherever they stand. Each alternative's group `v` is
/// the credential itself.
static SHAPES: LazyLock<Vec<(Shape, Regex)>> = LazyLock::new(|| {
    let shapes: [(Shape, &str); 12] = [
        (
            Shape::Jwt,
            r"\b(?P<v>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        ),
        (
            Shape::GitHubToken,
            r"\b(?P<v>(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{50,255}))\b",
        ),
        (
            Shape::AwsAccessKey,
            r"\b(?P<v>(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA)[A-Z2-7]{16})\b",
        ),
        (
            Shape::StripeKey,
            r"\b(?P<v>[sr]k_live_[A-Za-z0-9]{20,247})\b",
        ),
        (
            Shape::SlackToken,
            r"\b(?P<v>xox[abposre]-[A-Za-z0-9-]{10,250}|https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]{16,})",
        ),
        (
            Shape::AzureStorageKey,
            r"(?i:AccountKey|SharedAccessKey)=(?P<v>[A-Za-z0-9+/]{40,}={0,2})",
        ),
        (
            Shape::AzureSasSignature,
            r"[?&](?i:sig)=(?P<v>[A-Za-z0-9%+/]{30,}(?:=|%3[dD]){0,2})",
        ),
        (Shape::GoogleApiKey, r"\b(?P<v>AIza[0-9A-Za-z_-]{35})\b"),
        // The prefixes the services document for their tokens: OpenAI (the `T3BlbkFJ` mark),
        // Anthropic, npm, GitLab, Hugging Face, SendGrid, Shopify, Slack app tokens,
        // Tailscale, Vercel, Grafana, Docker Hub, Linear, 1Password service accounts,
        // HashiCorp Vault, Groq, Databricks and Cloudflare.
        (
            Shape::ServiceToken,
            concat!(
                r"\b(?P<v>",
                r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}",
                r"|sk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}",
                r"|npm_[A-Za-z0-9]{36}",
                r"|glpat-[A-Za-z0-9_-]{20,}",
                r"|hf_[A-Za-z0-9]{34}",
                r"|SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}",
                r"|shp(?:at|ca|pa|ss)_[A-Za-z0-9]{32}",
                r"|xapp-[0-9]-[A-Z0-9]{9,}-[0-9]{10,}-[a-f0-9]{32,}",
                r"|tskey-[a-z]+-[A-Za-z0-9]{8,}-[A-Za-z0-9]{16,}",
                r"|vc[pirak]_[A-Za-z0-9]{24,}",
                r"|glc_[A-Za-z0-9+/]{32,}={0,2}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}",
                r"|dckr_pat_[A-Za-z0-9_-]{27,}",
                r"|lin_api_[A-Za-z0-9]{40}",
                r"|ops_eyJ[A-Za-z0-9+/_-]{60,}={0,2}",
                r"|hv[sbr]\.[A-Za-z0-9_-]{90,}",
                r"|gsk_[A-Za-z0-9]{52}",
                r"|dapi[a-f0-9]{32}(?:-[0-9]+)?",
                r"|cf(?:at|ut|k)_[A-Za-z0-9]{40,}",
                r")\b",
            ),
        ),
        (
            Shape::PrivateKey,
            r"(?P<v>-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$))",
        ),
        (
            Shape::UrlPassword,
            r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s/:@{}\\]+:(?P<v>[^\s/@{}\\]+)@",
        ),
        (
            Shape::BearerToken,
            r"\b(?i:bearer|token)\s+(?P<v>[A-Za-z0-9._~+/-]{16,}=*)",
        ),
    ];
    shapes
        .into_iter()
        .map(|(s, re)| (s, Regex::new(re).expect("valid pattern")))
        .collect()
});

/// `name=value`, `name: value`, `"name": "value"` pairs in free text. An unquoted value
/// stops at `=` (but for base64 padding) and `?`, so that `https://x?api_key=…` is read as
/// the pair `api_key` and each search goes on after the value it found.
static PAIRS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?P<k>[A-Za-z0-9_.$-]{2,64})["']?[ \t]*(?::|=)[ \t]*(?:"(?P<dq>[^"\s\\]{6,})"|'(?P<sq>[^'\s\\]{6,})'|(?P<v>[^\s"'&,;<>{}()\[\]\\`=?]{6,}={0,2}))"#,
    )
    .expect("valid pattern")
});

/// `Basic <base64>` in free text.
static BASIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?i:basic)\s+(?P<v>[A-Za-z0-9+/]{8,}={0,2})").expect("valid pattern")
});

/// Every pattern above in one set, so that a piece of text is read once to learn which of
/// them can match at all: most pieces (a `Content-Type`, a URL, a body line) match none, and
/// then none of the patterns' own searches runs. Index `i < SHAPES.len()` is `SHAPES[i]`;
/// then [`BASIC`], then [`PAIRS`]. The set's patterns have no word boundaries (`\b`), which
/// only makes each match more often than its pattern (a screen may let through what the
/// pattern then rejects, never the reverse), and lets the set's fast engine read any text:
/// it cannot follow Unicode word boundaries past a non-ASCII byte.
static SCREEN: LazyLock<regex::RegexSet> = LazyLock::new(|| {
    let patterns = SHAPES
        .iter()
        .map(|(_, re)| re.as_str())
        .chain([BASIC.as_str(), PAIRS.as_str()])
        .map(|p| p.replace(r"\b", ""));
    regex::RegexSet::new(patterns).expect("valid patterns")
});

/// The longest text [`SCREEN`] reads first.
const SCREEN_LIMIT: usize = 4096;

/// What a field's name says its value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum NameKind {
    /// `Authorization`: a scheme, then the credential.
    Authorization,
    /// A password: any value that is not a placeholder and not a plain word.
    Password,
    /// A key, token or secret: a value that looks random.
    Key,
}

fn name_kind(name: &str) -> Option<NameKind> {
    // Squashed on the stack: names are short, and this runs for every field scanned.
    let mut buf = [0u8; 128];
    let mut len = 0;
    for b in name.bytes().filter(u8::is_ascii_alphanumeric) {
        if len == buf.len() {
            let squashed: String = name
                .chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .map(|c| c.to_ascii_lowercase())
                .collect();
            return squashed_name_kind(&squashed);
        }
        buf[len] = b.to_ascii_lowercase();
        len += 1;
    }
    squashed_name_kind(std::str::from_utf8(&buf[..len]).expect("ASCII"))
}

/// [`name_kind`] of a name without its punctuation, in lower case.
fn squashed_name_kind(squashed: &str) -> Option<NameKind> {
    if squashed.is_empty()
        || squashed.contains("csrf")
        // Postman's request id header.
        || squashed == "postmantoken"
        || squashed.contains("xsrf")
        || squashed.ends_with("url")
        || squashed.ends_with("uri")
        || squashed.ends_with("type")
        || squashed.ends_with("name")
        || squashed.ends_with("id") && !squashed.ends_with("keyid")
    {
        return None;
    }
    if squashed == "authorization" || squashed == "proxyauthorization" {
        return Some(NameKind::Authorization);
    }
    if PASSWORD_ENDINGS.iter().any(|k| squashed.ends_with(k)) {
        return Some(NameKind::Password);
    }
    KEY_ENDINGS
        .iter()
        .any(|k| squashed.ends_with(k))
        .then_some(NameKind::Key)
}

/// How a squashed name that says it holds a password ends.
const PASSWORD_ENDINGS: [&str; 4] = ["password", "passwd", "pwd", "passphrase"];

/// How a squashed name that says it holds a key, token or secret ends.
const KEY_ENDINGS: [&str; 16] = [
    "apikey",
    "token",
    "secret",
    "accesskey",
    "secretkey",
    "privatekey",
    "signingkey",
    "authkey",
    "subscriptionkey",
    "functionskey",
    "credential",
    "credentials",
    "clientsecret",
    "sig",
    "signature",
    "key",
];

/// Whether `value` is obviously not a real credential: a placeholder, a reference to
/// something else, a word.
pub fn is_placeholder(value: &str) -> bool {
    let v = value.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    if v.is_empty() {
        return true;
    }
    let lower = v.to_ascii_lowercase();
    const WORDS: [&str; 22] = [
        "xxx",
        "changeme",
        "change-me",
        "change_me",
        "your",
        "example",
        "placeholder",
        "dummy",
        "redacted",
        "replace",
        "insert",
        "todo",
        "sample",
        "process.env",
        "env.",
        "***",
        "...",
        "…",
        "<",
        ">",
        "{{",
        "}}",
    ];
    if WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    if v.starts_with('$') || v.starts_with('%') || v.starts_with(':') {
        return true;
    }
    let first = v.chars().next().unwrap_or(' ');
    if v.chars().all(|c| c == first) {
        return true;
    }
    matches!(
        lower.as_str(),
        "secret"
            | "password"
            | "token"
            | "test"
            | "none"
            | "null"
            | "undefined"
            | "true"
            | "false"
            | "string"
            | "value"
            | "empty"
    )
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a value named as a key, token or secret looks random enough to be one: long,
/// more than one kind of character, high entropy, and not a placeholder.
fn looks_random(v: &str) -> bool {
    if v.len() < 16 || is_placeholder(v) {
        return false;
    }
    let classes = [
        v.bytes().any(|b| b.is_ascii_lowercase()),
        v.bytes().any(|b| b.is_ascii_uppercase()),
        v.bytes().any(|b| b.is_ascii_digit()),
    ]
    .iter()
    .filter(|&&b| b)
    .count();
    classes >= 2 && !is_word_like(v) && entropy(v) >= 3.0
}

/// Words and numbers joined by `-`, `_` or `.` (`my_application_token`, `secret-token-12345`),
/// which a person wrote rather than a generator.
fn is_word_like(v: &str) -> bool {
    v.split(['-', '_', '.']).filter(|p| !p.is_empty()).all(|p| {
        p.bytes().all(|b| b.is_ascii_alphabetic()) || p.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Whether a password value is a real one: eight characters or more, not a placeholder,
/// with a digit or a capital but not only digits.
fn looks_like_password(v: &str) -> bool {
    v.len() >= 8
        && !is_placeholder(v)
        && v.bytes()
            .any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && !v.bytes().all(|b| b.is_ascii_digit())
        && !v.contains(char::is_whitespace)
}

/// Whether a `Basic` value decodes to `user:password`.
fn is_basic_credential(v: &str) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(v.trim_end())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|s| {
            s.split_once(':')
                .is_some_and(|(u, p)| !u.is_empty() && !p.is_empty() && !is_placeholder(p))
                && !s.contains(['\n', '\0'])
        })
}

/// Whether `start..end` touches one of `braces` (sorted, not overlapping).
fn overlaps_braces(braces: &[(usize, usize)], start: usize, end: usize) -> bool {
    let i = braces.partition_point(|&(_, e)| e < start);
    braces.get(i).is_some_and(|&(s, _)| s <= end)
}

/// What a private key's first line starts with: its pattern reads across lines.
const PRIVATE_KEY_START: &str = "-----BEGIN";

/// Whether a private key block may start in `text`: such a block runs to its `END` line or
/// the end of the text, so a text that holds one is scanned whole.
pub fn holds_private_key(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), PRIVATE_KEY_START.as_bytes()).is_some()
}

/// Whether the end of `text` is inside a `{{ }}` that [`braces`] reads in it, that is, a
/// `{{` comes after the last `}}`. Reads `text` from its end, as far as the last `}}`.
pub fn inside_braces(text: &str) -> bool {
    let b = text.as_bytes();
    let open = memchr::memmem::rfind(b, b"{{");
    let close = memchr::memmem::rfind(b, b"}}");
    match (open, close) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(open), Some(close)) => open > close,
    }
}

/// Whether every `{{` that [`braces`] reads in `text` is closed in it.
pub fn braces_closed(text: &str) -> bool {
    let b = text.as_bytes();
    let mut at = 0;
    while let Some(open) = crate::text::find_open_braces(&b[at..]) {
        let start = at + open;
        match crate::text::find_close_braces(&b[start..]) {
            Some(e) => at = start + e + 2,
            None => return false,
        }
    }
    true
}

/// The `{{…}}` spans of `text`, in order: each `{{` to the first `}}` after it, or to the end.
pub(crate) fn braces(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(open) = crate::text::find_open_braces(&b[at..]) {
        let start = at + open;
        let end = crate::text::find_close_braces(&b[start..]).map_or(b.len(), |e| start + e + 2);
        out.push((start, end));
        at = end;
    }
    out
}

struct Collector<'t> {
    text: &'t str,
    /// The `{{…}}` spans of `text`, read when a first hit is pushed: most texts have none.
    braces: std::cell::OnceCell<Vec<(usize, usize)>>,
    out: Vec<Hit>,
    /// The ranges of `out`, which never overlap, by start: an overlap is found in log time.
    taken: std::collections::BTreeMap<usize, usize>,
}

/// Whether `start..end` overlaps a range of `taken` (whose ranges do not overlap).
pub(crate) fn overlaps_any(
    taken: &std::collections::BTreeMap<usize, usize>,
    start: usize,
    end: usize,
) -> bool {
    taken
        .range(..end)
        .next_back()
        .is_some_and(|(_, &e)| e > start)
}

impl Collector<'_> {
    fn push(&mut self, start: usize, end: usize, shape: Shape) {
        if start >= end
            || overlaps_braces(self.braces.get_or_init(|| braces(self.text)), start, end)
            || is_placeholder(&self.text[start..end])
            || overlaps_any(&self.taken, start, end)
        {
            return;
        }
        self.taken.insert(start, end);
        self.out.push(Hit {
            range: TextRange::from_usize(start, end),
            shape,
        });
    }
}

/// The credentials in `value`, a field named `name` (a header, query parameter, variable or
/// `auth` parameter), or free text when `name` is `None`. Ranges are into `value`, in order.
pub fn scan(name: Option<&str>, value: &str) -> Vec<Hit> {
    scan_as(name.and_then(name_kind), value)
}

/// [`scan`] of the many short pieces of one document (its headers, a collection's strings),
/// each distinct piece read once: a document repeats the same values (`application/json`,
/// `{{$uuid}}`) thousands of times, and what is found in a piece depends only on the piece
/// and on what its name says it holds.
#[derive(Default)]
pub struct Scans<'t> {
    kinds: rustc_hash::FxHashMap<String, Option<NameKind>>,
    seen: rustc_hash::FxHashMap<(Option<NameKind>, &'t str), Vec<Hit>>,
}

/// A piece shorter than this holds no credential, whatever its name.
const SHORTEST: usize = 6;

/// Pieces up to this long are remembered by [`Scans`]: longer ones seldom repeat.
const REMEMBERED: usize = 256;

impl<'t> Scans<'t> {
    /// [`scan`] of `value`, named `name`.
    pub fn scan(&mut self, name: Option<&str>, value: &'t str) -> Vec<Hit> {
        if value.len() < SHORTEST {
            return Vec::new();
        }
        let kind = name.and_then(|name| match self.kinds.get(name) {
            Some(&kind) => kind,
            None => *self
                .kinds
                .entry(name.to_owned())
                .or_insert_with(|| name_kind(name)),
        });
        if value.len() > REMEMBERED {
            return scan_as(kind, value);
        }
        self.seen
            .entry((kind, value))
            .or_insert_with(|| scan_as(kind, value))
            .clone()
    }
}

/// [`scan`] of a piece whose name says it holds `kind`.
fn scan_as(kind: Option<NameKind>, value: &str) -> Vec<Hit> {
    let mut c = Collector {
        text: value,
        braces: std::cell::OnceCell::new(),
        out: Vec::new(),
        taken: Default::default(),
    };
    if value.len() < SHORTEST {
        return c.out;
    }
    // The set's one pass pays on short pieces; over a long text, where some pattern matches
    // almost surely, each pattern's own search is faster.
    // Most pieces match none, and the set tells that without listing what matched.
    let screen = (value.len() <= SCREEN_LIMIT)
        .then(|| SCREEN.is_match(value).then(|| SCREEN.matches(value)));
    let matched = |i: usize| match &screen {
        None => true,
        Some(found) => found.as_ref().is_some_and(|s| s.matched(i)),
    };
    for (i, (shape, re)) in SHAPES.iter().enumerate() {
        if !matched(i) {
            continue;
        }
        for caps in re.captures_iter(value) {
            if let Some(m) = caps.name("v") {
                let ok = match shape {
                    Shape::BearerToken => looks_random(m.as_str()) || m.as_str().len() >= 32,
                    // `host:8080@…` is a port, not a password.
                    Shape::UrlPassword => !m.as_str().bytes().all(|b| b.is_ascii_digit()),
                    _ => true,
                };
                if ok {
                    c.push(m.start(), m.end(), *shape);
                }
            }
        }
    }
    if let Some(kind) = kind {
        named(&mut c, kind);
    }
    let basic = SHAPES.len();
    if matched(basic) {
        for caps in BASIC.captures_iter(value) {
            if let Some(m) = caps.name("v")
                && is_basic_credential(m.as_str())
            {
                c.push(m.start(), m.end(), Shape::BasicAuth);
            }
        }
    }
    if matched(basic + 1) {
        for line in pair_lines(value) {
            for (start, end) in pairs(&value[line.clone()]) {
                c.push(line.start + start, line.start + end, Shape::NamedValue);
            }
        }
    }
    let mut out = c.out;
    out.sort_by_key(|h| h.range.start);
    out
}

/// The values of the [`PAIRS`] of `line` whose names say they are keys or passwords, and
/// that look like them, in order. Each search goes on after the value it found.
fn pairs(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(caps) = PAIRS.captures_at(line, at) {
        let value_match = caps
            .name("dq")
            .or_else(|| caps.name("sq"))
            .or_else(|| caps.name("v"));
        let (Some(k), Some(v)) = (caps.name("k"), value_match) else {
            break;
        };
        let good = match name_kind(k.as_str()) {
            Some(NameKind::Key) => looks_random(v.as_str()),
            Some(NameKind::Password) => looks_like_password(v.as_str()),
            // `Authorization: Bearer x` pairs are read by the shapes above.
            Some(NameKind::Authorization) | None => false,
        };
        if good {
            out.push((v.start(), v.end()));
        }
        at = v.end();
    }
    out
}

/// The lines of `text` (without their `\n`) that can hold a finding of [`pairs`], in order:
/// those with a `:` or `=` after a name that reads as a key or a password. Read line by
/// line, the pairs are those of the whole text: no part of a pair matches `\n`, and a search
/// that goes on after a value finds the first pair of a later line wherever it started.
/// Most separators (`https:`, `Accept:`, `"id":`) end the search at once, and a text with
/// thousands of pairs runs the pattern on the few lines that name a credential.
fn pair_lines(text: &str) -> Vec<std::ops::Range<usize>> {
    let b = text.as_bytes();
    let mut out: Vec<std::ops::Range<usize>> = Vec::new();
    for sep in memchr::memchr2_iter(b':', b'=', b) {
        if out.last().is_some_and(|line| sep < line.end) || !names_a_credential(text, sep) {
            continue;
        }
        let start = memchr::memrchr(b'\n', &b[..sep]).map_or(0, |i| i + 1);
        let end = memchr::memchr(b'\n', &b[sep..]).map_or(b.len(), |i| sep + i);
        out.push(start..end);
    }
    out
}

/// Whether the name a pair of [`PAIRS`] has when its separator is the byte at `sep` reads as
/// a key or a password: the last 64 name characters before `sep`, past `[ \t]*` and one
/// quote, as the pattern reads them (it starts each search at a byte no name holds).
fn names_a_credential(text: &str, sep: usize) -> bool {
    let b = text.as_bytes();
    let mut end = sep;
    while end > 0 && matches!(b[end - 1], b' ' | b'\t') {
        end -= 1;
    }
    if end > 0 && matches!(b[end - 1], b'"' | b'\'') {
        end -= 1;
    }
    let mut start = end;
    // The last two letters or digits, lower case, for a first look at the ending.
    let mut last = [0u8; 2];
    let mut seen = 0;
    while start > 0 && end - start < 64 && is_pair_name_byte(b[start - 1]) {
        start -= 1;
        if seen < 2 && b[start].is_ascii_alphanumeric() {
            last[1 - seen] = b[start].to_ascii_lowercase();
            seen += 1;
        }
    }
    end - start >= 2
        && seen == 2
        && PASSWORD_ENDINGS
            .iter()
            .chain(&KEY_ENDINGS)
            .any(|e| e.as_bytes().ends_with(&last))
        && matches!(
            name_kind(&text[start..end]),
            Some(NameKind::Key | NameKind::Password)
        )
}

/// A byte of a name in [`PAIRS`] (its `k`).
fn is_pair_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'$' | b'-')
}

/// A field whose name says what it holds: the whole value (after the scheme for
/// `Authorization`).
fn named(c: &mut Collector<'_>, kind: NameKind) {
    let value = c.text;
    let lead = value.len() - value.trim_start().len();
    let trimmed = value.trim();
    if trimmed.contains("{{") {
        return;
    }
    match kind {
        NameKind::Authorization => {
            let (scheme, cred) = match trimmed.split_once([' ', '\t']) {
                Some((s, rest)) => (s.to_ascii_lowercase(), rest.trim_start()),
                None => (String::new(), trimmed),
            };
            if cred.contains(char::is_whitespace) || cred.len() < 8 {
                return;
            }
            let start = lead + trimmed.len() - cred.len();
            let shape = match scheme.as_str() {
                "basic" if is_basic_credential(cred) => Shape::BasicAuth,
                _ if cred.starts_with("eyJ") && cred.matches('.').count() == 2 => Shape::Jwt,
                // Other schemes (Digest, OAuth 1, AWS signatures, httpyac's `oauth2 …`) carry
                // parameters, read as pairs; a token is not a word someone typed.
                "bearer" | "token" | "bot" | "" if !is_word_like(cred) => Shape::BearerToken,
                _ => return,
            };
            c.push(start, start + cred.len(), shape);
        }
        NameKind::Password if looks_like_password(trimmed) => {
            c.push(lead, lead + trimmed.len(), Shape::NamedValue)
        }
        NameKind::Key if looks_random(trimmed) && !trimmed.contains(char::is_whitespace) => {
            c.push(lead, lead + trimmed.len(), Shape::NamedValue)
        }
        _ => {}
    }
}

/// Whether the finding at `offset` of `text` is marked to be ignored: [`IGNORE_MARKER`] on
/// its line or on the line above.
pub fn is_ignored(text: &str, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let line_start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let line_end = text[offset..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| offset + i);
    if text[line_start..line_end].contains(IGNORE_MARKER) {
        return true;
    }
    if line_start == 0 {
        return false;
    }
    let before = text[..line_start].trim_end_matches(['\n', '\r']);
    let prev_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
    before[prev_start..].contains(IGNORE_MARKER)
}

#[cfg(test)]
mod tests;
