//! The links file `vaultlink.json`: its model (which reference name points to which Key Vault
//! secret, where each may be sent, sign-in settings), every problem in it with its range, and
//! the text edits that add or remove a link while keeping the rest of the file byte for byte.
//!
//! Pure: text in, data and edits out. Reading and writing the file is the caller's job.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

use crate::syntax::json::{self, Member, Members, Value, ValueKind};
use crate::syntax::refs;
use crate::text::{Encoding, LineIndex, TextRange};
use crate::vault::arn::ArnId;
use crate::vault::identifier::{
    CODE_INVALID_LINK, EXPECTED_FORM, IdError, LinkId, SecretId, is_guid, is_tenant, shorten,
};

/// The links file's name, looked up from a document's folder upwards.
pub const FILE_NAME: &str = "vaultlink.json";

/// The tenant used when `azure.tenant` is not set: any work or school account.
pub const DEFAULT_TENANT: &str = "organizations";

/// The client id used when `azure.clientId` is not set: the developer sign-on application
/// that the Azure SDKs' interactive credentials use by default (the Azure CLI's).
pub const DEFAULT_CLIENT_ID: &str = "04b07795-8ddb-461a-bbee-02f9e1bf7b46";

/// The problem code of JSON errors and of values of the wrong shape.
pub const CODE_SYNTAX: &str = "syntax";

/// The parsed links file.
#[derive(Clone, Debug, PartialEq)]
pub struct LinksFile {
    /// Every entry of `secrets`, in file order, duplicates included (see [`LinksFile::get`]).
    pub secrets: Vec<SecretLink>,
    /// `scripts.allowVaultAccess`; false when absent or not a boolean.
    pub allow_script_access: bool,
    pub azure: AzureSettings,
    /// Everything wrong with the file, ordered by position.
    pub problems: Vec<LinkProblem>,
    /// Index into `secrets` by name (the last definition of each), for [`LinksFile::get`].
    by_name: HashMap<String, usize>,
}

/// One entry of `secrets`.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretLink {
    /// The reference name, decoded from the key.
    pub name: String,
    /// The key string, quotes included.
    pub name_range: TextRange,
    /// The whole member, from the key to the end of its value.
    pub range: TextRange,
    /// The parsed `link`: `None` when it is missing or not a string.
    pub link: Option<Result<LinkId, IdError>>,
    /// The decoded `link` string; the source text when it is not a string; empty when missing.
    pub link_text: String,
    /// The `link` value (a string's range includes its quotes); `None` when missing.
    pub link_range: Option<TextRange>,
    /// `allowedDomains`, in file order. Empty means any host. Entries that could not be
    /// understood are kept with `valid: false` and never match, so a broken list still
    /// restricts (see [`SecretLink::allows_host`]).
    pub allowed_domains: Vec<AllowedDomain>,
}

/// One `allowedDomains` pattern: a host name, or `*.` and a domain for any of its subdomains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedDomain {
    /// Lowercased, without a trailing dot.
    pub pattern: String,
    pub range: TextRange,
    /// False for a pattern that is not a valid host name or `*.domain` (a problem was
    /// reported); it matches no host.
    pub valid: bool,
}

/// The `azure` sign-in settings, with their defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AzureSettings {
    /// `azure.tenant`, or [`DEFAULT_TENANT`].
    pub tenant: String,
    /// Where `tenant` was written; `None` when the default is used.
    pub tenant_range: Option<TextRange>,
    /// `azure.clientId`, or [`DEFAULT_CLIENT_ID`].
    pub client_id: String,
    /// Where `clientId` was written; `None` when the default is used.
    pub client_id_range: Option<TextRange>,
    /// `azure.additionallyAllowedTenants`: tenants other than `tenant` whose vaults may be
    /// asked for a token when their challenge names them; `*` allows any.
    pub additionally_allowed_tenants: Vec<String>,
}

impl Default for AzureSettings {
    fn default() -> AzureSettings {
        AzureSettings {
            tenant: DEFAULT_TENANT.to_owned(),
            tenant_range: None,
            client_id: DEFAULT_CLIENT_ID.to_owned(),
            client_id_range: None,
            additionally_allowed_tenants: Vec::new(),
        }
    }
}

pub use crate::vault::diagnostic::Severity;

/// Something wrong in the links file, with its range in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkProblem {
    /// Where in `vaultlink.json`.
    pub range: TextRange,
    /// `invalid-link`, `untrusted-host` or `syntax` (JSON errors and values of the wrong shape).
    pub code: &'static str,
    /// What is wrong and, where it helps, what to write instead.
    pub message: String,
    pub severity: Severity,
}

impl Default for LinksFile {
    /// The model of a missing links file: no links, defaults everywhere.
    fn default() -> LinksFile {
        LinksFile {
            secrets: Vec::new(),
            allow_script_access: false,
            azure: AzureSettings::default(),
            problems: Vec::new(),
            by_name: HashMap::new(),
        }
    }
}

impl LinksFile {
    /// The link for reference name `name`. Names compare exactly, case included, as the
    /// reference writes them (`{{vault:Stripe-Key}}` does not find `stripe-key`). When a name
    /// is defined twice the last definition counts, as JSON parsers read duplicate keys.
    pub fn get(&self, name: &str) -> Option<&SecretLink> {
        self.by_name.get(name).map(|&i| &self.secrets[i])
    }
}

impl SecretLink {
    /// The valid identifier of this link, whichever store it names.
    pub fn link_id(&self) -> Option<&LinkId> {
        self.link.as_ref()?.as_ref().ok()
    }

    /// The valid Key Vault identifier of this link, if it names a Key Vault secret.
    pub fn secret_id(&self) -> Option<&SecretId> {
        self.link_id()?.key_vault()
    }

    /// Whether the secret may be sent to `host` (a URL's host, optionally with a port, which
    /// is ignored). An empty `allowedDomains` allows any host; otherwise the host must equal
    /// a pattern, or be a subdomain of `x.com` for `*.x.com` (which does not match `x.com`
    /// itself). Case and a trailing dot do not matter. Invalid patterns match nothing.
    pub fn allows_host(&self, host: &str) -> bool {
        if self.allowed_domains.is_empty() {
            return true;
        }
        let host = normalize_host(host);
        self.allowed_domains
            .iter()
            .any(|d| d.matches_normalized(&host))
    }
}

impl AllowedDomain {
    /// Whether this pattern allows `host` (see [`SecretLink::allows_host`]).
    pub fn matches(&self, host: &str) -> bool {
        self.matches_normalized(&normalize_host(host))
    }

    fn matches_normalized(&self, host: &str) -> bool {
        // Only plain host names match: a caller that hands over `evil.com#.x.com` by mistake
        // must not get `*.x.com`'s permission.
        let plain = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !self.valid || !plain {
            return false;
        }
        match self.pattern.strip_prefix("*.") {
            Some(domain) => {
                host.len() > domain.len() + 1
                    && host.ends_with(domain)
                    && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
            }
            None => host == self.pattern,
        }
    }
}

/// A host without its port and trailing dot, lowercased.
fn normalize_host(host: &str) -> String {
    let host = if host.starts_with('[') {
        host.find(']').map_or(host, |i| &host[..=i])
    } else if host.matches(':').count() == 1 {
        host.split_once(':').map_or(host, |(h, _)| h)
    } else {
        host
    };
    host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase()
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Parses a links file. Never fails: whatever is wrong becomes a [`LinkProblem`], and what
/// can be understood is still read.
pub fn parse(src: &str) -> LinksFile {
    let doc = json::parse(src);
    let mut cx = Reader {
        src,
        problems: Vec::new(),
    };
    for e in &doc.errors {
        cx.error(e.range, CODE_SYNTAX, e.message.clone());
    }
    let mut file = LinksFile::default();
    if let Some(root) = &doc.root() {
        let what = "the links file must be a JSON object with a `secrets` object";
        if let Some(members) = cx.object(root, what) {
            cx.keys(
                members,
                &["secrets", "scripts", "azure", "$schema"],
                "expected secrets, scripts or azure",
            );
            if let Some(secrets) = root.member(src, "secrets") {
                file.secrets = cx.secrets(&secrets.value);
            }
            if let Some(scripts) = root.get(src, "scripts") {
                file.allow_script_access = cx.scripts(&scripts);
            }
            if let Some(azure) = root.get(src, "azure") {
                file.azure = cx.azure(&azure);
            }
        }
    }
    file.problems = cx.problems;
    file.problems.sort_by_key(|p| (p.range.start, p.range.end));
    file.by_name = file
        .secrets
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.clone(), i))
        .collect();
    file
}

struct Reader<'a> {
    src: &'a str,
    problems: Vec<LinkProblem>,
}

impl Reader<'_> {
    fn error(&mut self, range: TextRange, code: &'static str, message: String) {
        self.problems.push(LinkProblem {
            range,
            code,
            message,
            severity: Severity::Error,
        });
    }

    fn warning(&mut self, range: TextRange, message: String) {
        self.problems.push(LinkProblem {
            range,
            code: CODE_SYNTAX,
            message,
            severity: Severity::Warning,
        });
    }

    /// Reports a value of the wrong kind, unless the JSON parser already did.
    fn wrong_kind(&mut self, value: &Value<'_>, code: &'static str, what: &str) {
        if value.kind != ValueKind::Invalid {
            self.error(
                value.range,
                code,
                format!("{what}, not {}", value.kind_name()),
            );
        }
    }

    /// The members of `value`, or a problem saying `what` it should be.
    fn object<'v>(&mut self, value: &Value<'v>, what: &str) -> Option<Members<'v>> {
        let members = value.as_object();
        if members.is_none() {
            self.wrong_kind(value, CODE_SYNTAX, what);
        }
        members
    }

    /// Warns about keys not in `known` and about duplicate keys (the last one counts).
    fn keys(&mut self, members: Members<'_>, known: &[&str], expected: &str) {
        let mut last: HashMap<Cow<str>, usize> = HashMap::new();
        for (i, m) in members.iter().enumerate() {
            last.insert(m.key.value(self.src), i);
        }
        for (i, m) in members.iter().enumerate() {
            let key = m.key.value(self.src);
            if !known.contains(&key.as_ref()) {
                self.warning(
                    m.key.range,
                    format!("unknown key `{}`; {expected}", shorten(&key)),
                );
            } else if last[&key] != i {
                self.warning(
                    m.key.range,
                    format!("duplicate key `{key}`: only the last one counts"),
                );
            }
        }
    }

    fn secrets(&mut self, value: &Value<'_>) -> Vec<SecretLink> {
        let what = "`secrets` must be an object of links, like {\"stripe-key\": {\"link\": \"https://…\"}}";
        let Some(members) = self.object(value, what) else {
            return Vec::new();
        };
        let mut last: HashMap<Cow<str>, usize> = HashMap::new();
        for (i, m) in members.iter().enumerate() {
            last.insert(m.key.value(self.src), i);
        }
        let mut links = Vec::with_capacity(members.len());
        for (i, m) in members.iter().enumerate() {
            let link = self.entry(&m);
            if last[link.name.as_str()] != i {
                let message = format!(
                    "`{}` is defined more than once: only the last definition counts",
                    shorten(&link.name)
                );
                self.warning(m.key.range, message);
            }
            links.push(link);
        }
        links
    }

    fn entry(&mut self, member: &Member<'_>) -> SecretLink {
        let src = self.src;
        let name = member.key.value(src).into_owned();
        let shown = shorten(&name);
        let mut link = SecretLink {
            name_range: member.key.range,
            range: member.key.range.cover(member.value.range),
            link: None,
            link_text: String::new(),
            link_range: None,
            allowed_domains: Vec::new(),
            name,
        };
        if !refs::is_valid_name(&link.name) {
            self.warning(
                member.key.range,
                format!(
                    "`{shown}` cannot be referenced as {{{{vault:{shown}}}}}: a name takes 1–256 letters, digits, `_`, `-` and `.`"
                ),
            );
        }
        let what =
            format!("`{shown}` must be an object with a `link`, like {{\"link\": \"https://…\"}}");
        let Some(members) = self.object(&member.value, &what) else {
            return link;
        };
        self.keys(
            members,
            &["link", "allowedDomains"],
            "expected link or allowedDomains",
        );

        match member.value.get(src, "link") {
            None => self.error(
                member.key.range,
                CODE_INVALID_LINK,
                format!("`{shown}` has no `link`; add \"link\": \"{EXPECTED_FORM}\""),
            ),
            Some(value) => {
                link.link_range = Some(value.range);
                match value.as_str() {
                    None => {
                        link.link_text = value.range.slice(src).to_owned();
                        let what =
                            format!("the link of `{shown}` must be a string, {EXPECTED_FORM}");
                        self.wrong_kind(&value, CODE_INVALID_LINK, &what);
                    }
                    Some(s) => {
                        link.link_text = s.value(src).into_owned();
                        let id = LinkId::parse(&link.link_text);
                        if let Err(e) = &id
                            && ArnId::claims(&link.link_text)
                        {
                            let message = format!(
                                "the link of `{shown}` is not a Secrets Manager secret: {e}"
                            );
                            self.error(value.range, e.code(), message);
                        } else if let Err(e) = &id {
                            let mut message = format!(
                                "the link of `{shown}` is not a Key Vault secret identifier: {e}"
                            );
                            if !message.contains(EXPECTED_FORM) {
                                message.push_str(&format!("; expected {EXPECTED_FORM}"));
                            }
                            self.error(value.range, e.code(), message);
                        }
                        link.link = Some(id);
                    }
                }
            }
        }
        if let Some(value) = member.value.get(src, "allowedDomains") {
            link.allowed_domains = self.domains(&value, &shown);
        }
        link
    }

    /// `allowedDomains`. Whatever cannot be understood is kept as an invalid pattern, so that
    /// a mistake restricts the secret to no host rather than opening it to every host.
    fn domains(&mut self, value: &Value<'_>, shown: &str) -> Vec<AllowedDomain> {
        let src = self.src;
        let unusable = |v: &Value<'_>| AllowedDomain {
            pattern: v.range.slice(src).to_ascii_lowercase(),
            range: v.range,
            valid: false,
        };
        let items: Vec<Value<'_>> = match value.kind {
            ValueKind::Array(items) => items.iter().collect(),
            ValueKind::String(s) => {
                let message = format!(
                    "`allowedDomains` of `{shown}` must be an array: write [\"{}\"]",
                    shorten(&s.value(src))
                );
                self.error(value.range, CODE_SYNTAX, message);
                vec![*value]
            }
            _ => {
                let what = format!(
                    "`allowedDomains` of `{shown}` must be an array of host names, like [\"api.example.com\", \"*.example.com\"]"
                );
                self.wrong_kind(value, CODE_SYNTAX, &what);
                return vec![unusable(value)];
            }
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let Some(s) = item.as_str() else {
                let what = format!("`allowedDomains` of `{shown}` takes host names as strings");
                self.wrong_kind(&item, CODE_SYNTAX, &what);
                out.push(unusable(&item));
                continue;
            };
            let text = s.value(src);
            match check_domain(&text) {
                Ok(pattern) => out.push(AllowedDomain {
                    pattern,
                    range: item.range,
                    valid: true,
                }),
                Err(reason) => {
                    self.error(
                        item.range,
                        CODE_SYNTAX,
                        format!("in `allowedDomains` of `{shown}`: {reason}"),
                    );
                    out.push(AllowedDomain {
                        pattern: text.to_ascii_lowercase(),
                        range: item.range,
                        valid: false,
                    });
                }
            }
        }
        out
    }

    fn scripts(&mut self, value: &Value<'_>) -> bool {
        let what = "`scripts` must be an object, like {\"allowVaultAccess\": false}";
        let Some(members) = self.object(value, what) else {
            return false;
        };
        self.keys(members, &["allowVaultAccess"], "expected allowVaultAccess");
        let Some(allow) = value.get(self.src, "allowVaultAccess") else {
            return false;
        };
        let b = allow.as_bool();
        if b.is_none() {
            self.wrong_kind(
                &allow,
                CODE_SYNTAX,
                "`scripts.allowVaultAccess` must be true or false",
            );
        }
        b.unwrap_or(false)
    }

    fn azure(&mut self, value: &Value<'_>) -> AzureSettings {
        let mut settings = AzureSettings::default();
        let what = "`azure` must be an object, like {\"tenant\": \"contoso.onmicrosoft.com\"}";
        let Some(members) = self.object(value, what) else {
            return settings;
        };
        self.keys(
            members,
            &["tenant", "clientId", "additionallyAllowedTenants"],
            "expected tenant, clientId or additionallyAllowedTenants",
        );
        if let Some(v) = value.get(self.src, "tenant") {
            let what =
                "`azure.tenant` must be a tenant id or domain, like \"contoso.onmicrosoft.com\"";
            if let Some(t) = self.setting(&v, what, is_tenant) {
                settings.tenant = t;
                settings.tenant_range = Some(v.range);
            }
        }
        if let Some(v) = value.get(self.src, "clientId") {
            let what = "`azure.clientId` must be an application (client) id, like \"00000000-0000-0000-0000-000000000000\"";
            if let Some(c) = self.setting(&v, what, is_guid) {
                settings.client_id = c;
                settings.client_id_range = Some(v.range);
            }
        }
        if let Some(v) = value.get(self.src, "additionallyAllowedTenants") {
            let what = "`azure.additionallyAllowedTenants` must be an array of tenant ids or domains, or [\"*\"] for any tenant";
            match v.as_array() {
                None => self.wrong_kind(&v, CODE_SYNTAX, what),
                Some(items) => {
                    for item in items {
                        let what = "each of `azure.additionallyAllowedTenants` must be a tenant id or domain, or \"*\" for any tenant";
                        if let Some(t) = self.setting(&item, what, |t| t == "*" || is_tenant(t)) {
                            settings.additionally_allowed_tenants.push(t);
                        }
                    }
                }
            }
        }
        settings
    }

    /// A string setting that passes `valid`, or a problem and `None`.
    fn setting(
        &mut self,
        value: &Value<'_>,
        what: &str,
        valid: fn(&str) -> bool,
    ) -> Option<String> {
        let Some(s) = value.as_str() else {
            self.wrong_kind(value, CODE_SYNTAX, what);
            return None;
        };
        let text = s.value(self.src);
        if !valid(&text) {
            self.error(
                value.range,
                CODE_SYNTAX,
                format!("{what}, not \"{}\"", shorten(&text)),
            );
            return None;
        }
        Some(text.into_owned())
    }
}

/// Why `pattern` is not a valid `allowedDomains` pattern (a host name, or `*.` and a
/// domain), for messages; `None` when it is one.
pub fn domain_problem(pattern: &str) -> Option<String> {
    check_domain(pattern).err()
}

/// Validates an `allowedDomains` pattern: the normalised pattern, or why it is not one.
fn check_domain(p: &str) -> Result<String, String> {
    let shown = shorten(p);
    if p.is_empty() {
        return Err("an allowed domain is empty".to_owned());
    }
    if p.chars().any(char::is_whitespace) {
        return Err(format!("`{shown}` contains spaces"));
    }
    if p.contains(['/', ':']) {
        return Err(format!(
            "`{shown}` is not a host name: write the host alone, like `api.example.com`, without scheme, port or path"
        ));
    }
    if p == "*" || p == "*." {
        return Err(
            "`*` alone is not a domain: leave `allowedDomains` out to allow any host".to_owned(),
        );
    }
    let lower = p.to_ascii_lowercase();
    let lower = lower.strip_suffix('.').unwrap_or(&lower);
    let host = lower.strip_prefix("*.").unwrap_or(lower);
    if host.contains('*') {
        return Err(format!(
            "`{shown}`: `*` may only start a pattern, as in `*.example.com`"
        ));
    }
    if !host.is_ascii() {
        return Err(format!(
            "`{shown}`: write an international host name in its xn-- form"
        ));
    }
    let labels_ok = host.len() <= 253
        && host.split('.').all(|l| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    if !labels_ok {
        return Err(format!(
            "`{shown}` is not a host name, like `api.example.com` or `*.example.com`"
        ));
    }
    Ok(lower.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Writing

/// A replacement of `range` in the original text by `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// The range of the original text to replace; empty for an insertion.
    pub range: TextRange,
    /// The replacement; empty for a deletion.
    pub new_text: String,
}

/// Why the links file could not be edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditError {
    /// There is no link with this name.
    NotFound(String),
    /// The file is not valid enough to edit safely; the message says where and what.
    Malformed(String),
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NotFound(name) => {
                write!(f, "{FILE_NAME} has no link named `{}`", shorten(name))
            }
            EditError::Malformed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for EditError {}

/// Applies non-overlapping `edits`, given in any order, to `src`. Insertions at the same
/// offset keep their order. An edit that overlaps an earlier one or does not fit `src` is
/// skipped (and fails debug builds: it is a bug in whoever made the edits).
pub fn apply_edits(src: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out =
        String::with_capacity(src.len() + edits.iter().map(|e| e.new_text.len()).sum::<usize>());
    let mut pos = 0;
    for edit in sorted {
        let (start, end) = (edit.range.start as usize, edit.range.end as usize);
        let fits = pos <= start
            && start <= end
            && end <= src.len()
            && src.is_char_boundary(start)
            && src.is_char_boundary(end);
        debug_assert!(
            fits,
            "edit {:?} overlaps another or does not fit the text",
            edit.range
        );
        if !fits {
            continue;
        }
        out.push_str(&src[pos..start]);
        out.push_str(&edit.new_text);
        pos = end;
    }
    out.push_str(&src[pos..]);
    out
}

/// A whole new links file holding one link, with 2-space indentation and a final newline.
pub fn new_file(name: &str, identifier: &str, domains: &[String]) -> String {
    let style = Style {
        eol: "\n",
        unit: "  ".to_owned(),
        colon: ": ".to_owned(),
    };
    let secrets = secrets_value(name, identifier, domains);
    format!(
        "{{\n  \"secrets\": {}\n}}\n",
        secrets.render(&style, "  ", false)
    )
}

/// Edits that add the link `name` → `identifier`, or replace the link of an existing entry
/// (keeping its place and its other keys, and replacing `allowedDomains` only when `domains`
/// is not empty). `secrets` is created when missing. New text follows the file's indentation
/// and line endings; an empty file gets [`new_file`]. Nothing else in the file changes.
///
/// Neither `name` nor `identifier` is validated here: the caller checks them first (with
/// [`SecretId::parse`]), so that an untrusted identifier never reaches the file. Both are
/// escaped as JSON strings. Refuses a file with JSON errors. Returns no edits when the file
/// already says exactly this.
pub fn set_link_edits(
    src: &str,
    name: &str,
    identifier: &str,
    domains: &[String],
) -> Result<Vec<TextEdit>, EditError> {
    let doc = json::parse(src);
    let Some(root) = editable_root(src, &doc)? else {
        // Nothing but whitespace and comments: keep them and add the file after them.
        let mut text = new_file(name, identifier, domains);
        if src.trim_start_matches('\u{FEFF}').trim().is_empty() {
            return Ok(vec![TextEdit {
                range: TextRange::from_usize(0, src.len()),
                new_text: text,
            }]);
        }
        if !src.ends_with(['\n', '\r']) {
            text.insert_str(0, detect_eol(src));
        }
        return Ok(vec![TextEdit {
            range: TextRange::from_usize(src.len(), src.len()),
            new_text: text,
        }]);
    };
    let style = Style::detect(src, &root);
    let link = json_string(identifier);
    let mut edits = match root.member(src, "secrets") {
        None => add_members(
            src,
            &style,
            &root,
            vec![(
                json_string("secrets"),
                secrets_value(name, identifier, domains),
            )],
        ),
        Some(secrets) => {
            let Some(entries) = secrets.value.as_object() else {
                return Err(malformed(
                    src,
                    secrets.value.range,
                    "`secrets` is not an object",
                ));
            };
            match entries.iter().rev().find(|e| e.key.eq_str(src, name)) {
                None => {
                    let mut entry = entry_value(identifier, domains);
                    // A list of one-line entries gets another one-line entry.
                    if let (Some(last), NewValue::Object(_, one_line)) =
                        (entries.last(), &mut entry)
                    {
                        let text = last.value.range.slice(src);
                        if last.value.as_object().is_some_and(|m| !m.is_empty())
                            && !text.contains(['\n', '\r'])
                        {
                            *one_line = Some(text.starts_with("{ "));
                        }
                    }
                    add_members(
                        src,
                        &style,
                        &secrets.value,
                        vec![(json_string(name), entry)],
                    )
                }
                Some(entry) => {
                    if entry.value.as_object().is_none() {
                        // Not an object (a bare string, say): make it a proper entry.
                        let start = entry.key.range.start as usize;
                        let indent = line_indent(src, start);
                        let text = entry_value(identifier, domains).render(
                            &style,
                            indent,
                            !first_on_line(src, start),
                        );
                        vec![TextEdit {
                            range: entry.value.range,
                            new_text: text,
                        }]
                    } else {
                        let mut edits = Vec::new();
                        let mut missing = Vec::new();
                        match entry.value.get(src, "link") {
                            Some(v) => edits.push(TextEdit {
                                range: v.range,
                                new_text: link,
                            }),
                            None => missing.push((json_string("link"), NewValue::Raw(link))),
                        }
                        if !domains.is_empty() {
                            let list = json_array(domains);
                            match entry.value.get(src, "allowedDomains") {
                                Some(v) => edits.push(TextEdit {
                                    range: v.range,
                                    new_text: list,
                                }),
                                None => missing
                                    .push((json_string("allowedDomains"), NewValue::Raw(list))),
                            }
                        }
                        if !missing.is_empty() {
                            edits.extend(add_members(src, &style, &entry.value, missing));
                        }
                        edits
                    }
                }
            }
        }
    };
    edits.retain(|e| e.range.slice(src) != e.new_text);
    Ok(edits)
}

/// Edits that remove the entry `name` from `secrets` (every entry of that name, when it is
/// defined more than once), with its line and the comma that separated it, leaving valid
/// JSON and everything else as it was. `Err(NotFound)` when there is no such entry.
pub fn remove_link_edits(src: &str, name: &str) -> Result<Vec<TextEdit>, EditError> {
    let not_found = || EditError::NotFound(name.to_owned());
    let doc = json::parse(src);
    let root = editable_root(src, &doc)?.ok_or_else(not_found)?;
    let secrets = root.member(src, "secrets").ok_or_else(not_found)?;
    let Some(entries) = secrets.value.as_object() else {
        return Err(malformed(
            src,
            secrets.value.range,
            "`secrets` is not an object",
        ));
    };
    let entries: Vec<Member<'_>> = entries.iter().collect();
    let found: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].key.eq_str(src, name))
        .collect();
    match found.as_slice() {
        [] => Err(not_found()),
        &[i] => Ok(remove_member(src, &secrets.value, &entries, i)),
        _ => {
            // Several definitions: remove them one at a time, then hand out one edit.
            let mut text = src.to_owned();
            loop {
                let doc = json::parse(&text);
                let secrets = doc.root().and_then(|r| r.get(&text, "secrets"));
                let entries: Vec<Member<'_>> = secrets
                    .and_then(|s| s.as_object())
                    .unwrap_or_default()
                    .iter()
                    .collect();
                let Some(i) = entries.iter().position(|e| e.key.eq_str(&text, name)) else {
                    break;
                };
                let edits = remove_member(&text, &secrets.unwrap_or(root), &entries, i);
                text = apply_edits(&text, &edits);
            }
            Ok(vec![diff_edit(src, &text)])
        }
    }
}

/// The root object of a file fit for editing; `Ok(None)` when the file holds no value at
/// all (only whitespace and comments).
fn editable_root<'d>(src: &str, doc: &'d json::JsonDoc) -> Result<Option<Value<'d>>, EditError> {
    let Some(root) = doc.root() else {
        // The parser's last error says the file is empty; any other error comes first.
        return match doc.errors.as_slice() {
            [] | [_] => Ok(None),
            [first, ..] => Err(malformed(src, first.range, &first.message)),
        };
    };
    if let Some(e) = doc.errors.first() {
        return Err(malformed(src, e.range, &e.message));
    }
    if root.as_object().is_none() {
        return Err(malformed(src, root.range, "the file is not a JSON object"));
    }
    Ok(Some(root))
}

fn malformed(src: &str, range: TextRange, what: &str) -> EditError {
    let at = LineIndex::new(src).line_col(src, range.start, Encoding::Chars);
    EditError::Malformed(format!(
        "{FILE_NAME} cannot be edited: {what} at line {}, column {}; fix the file first",
        at.line + 1,
        at.col + 1
    ))
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
}

fn json_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|d| json_string(d)).collect();
    format!("[{}]", items.join(", "))
}

/// A value to write: raw JSON text, or an object rendered in the file's style.
enum NewValue {
    Raw(String),
    /// Members as (key JSON, value). The flag forces one line (`Some(padded)`: whether to write
    /// `{ "a": 1 }` rather than `{"a": 1}`); `None` lets the context decide.
    Object(Vec<(String, NewValue)>, Option<bool>),
}

fn entry_value(identifier: &str, domains: &[String]) -> NewValue {
    let mut members = vec![(json_string("link"), NewValue::Raw(json_string(identifier)))];
    if !domains.is_empty() {
        members.push((
            json_string("allowedDomains"),
            NewValue::Raw(json_array(domains)),
        ));
    }
    NewValue::Object(members, None)
}

fn secrets_value(name: &str, identifier: &str, domains: &[String]) -> NewValue {
    NewValue::Object(
        vec![(json_string(name), entry_value(identifier, domains))],
        None,
    )
}

impl NewValue {
    /// The value's text, for a member whose line is indented by `indent`.
    fn render(&self, style: &Style, indent: &str, one_line: bool) -> String {
        match self {
            NewValue::Raw(text) => text.clone(),
            NewValue::Object(members, _) if members.is_empty() => "{}".to_owned(),
            NewValue::Object(members, forced) if one_line || forced.is_some() => {
                let pad = if *forced == Some(true) { " " } else { "" };
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("{k}{}{}", style.colon, v.render(style, indent, true)))
                    .collect();
                format!("{{{pad}{}{pad}}}", members.join(", "))
            }
            NewValue::Object(members, _) => {
                let inner = format!("{indent}{}", style.unit);
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}{inner}{k}{}{}",
                            style.eol,
                            style.colon,
                            v.render(style, &inner, false)
                        )
                    })
                    .collect();
                format!("{{{}{}{indent}}}", members.join(","), style.eol)
            }
        }
    }
}

/// How the file is written.
struct Style {
    /// `\n` or `\r\n`.
    eol: &'static str,
    /// One level of indentation.
    unit: String,
    /// Between a key and its value: `": "` mostly.
    colon: String,
}

impl Style {
    fn detect(src: &str, root: &Value<'_>) -> Style {
        let colon = root
            .as_object()
            .and_then(|m| m.first())
            .map(|m| TextRange::new(m.key.range.end, m.value.range.start).slice(src))
            .filter(|s| s.contains(':') && s.bytes().all(|b| matches!(b, b':' | b' ' | b'\t')))
            .unwrap_or(": ");
        Style {
            eol: detect_eol(src),
            unit: detect_unit(src),
            colon: colon.to_owned(),
        }
    }
}

fn detect_eol(src: &str) -> &'static str {
    match src.find('\n') {
        Some(i) if i > 0 && src.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The indentation unit: tabs when most indented lines start with one, else the smallest
/// indentation in spaces; two spaces when nothing is indented. Only lines that start with
/// JSON (a key, a bracket) count, not comment lines.
fn detect_unit(src: &str) -> String {
    let (mut tabs, mut spaces, mut min_spaces) = (0usize, 0usize, usize::MAX);
    for line in src.lines() {
        let rest = line.trim_start_matches([' ', '\t']);
        if !rest.starts_with(['"', '{', '}', '[', ']']) {
            continue;
        }
        let indent = &line[..line.len() - rest.len()];
        if indent.starts_with('\t') {
            tabs += 1;
        } else if !indent.is_empty() {
            spaces += 1;
            min_spaces = min_spaces.min(indent.len());
        }
    }
    if tabs > spaces {
        "\t".to_owned()
    } else if spaces > 0 {
        " ".repeat(min_spaces.min(8))
    } else {
        "  ".to_owned()
    }
}

/// Edits that add `new` members at the end of the object `obj`, in its layout.
fn add_members(
    src: &str,
    style: &Style,
    obj: &Value<'_>,
    new: Vec<(String, NewValue)>,
) -> Vec<TextEdit> {
    let members = obj.as_object().unwrap_or_default();
    let insert = |at: usize, new_text: String| TextEdit {
        range: TextRange::from_usize(at, at),
        new_text,
    };
    let Some(last) = members.last() else {
        return fill_empty_object(src, style, obj, &new);
    };
    let value_end = last.value.range.end as usize;
    let key_start = last.key.range.start as usize;
    if !first_on_line(src, key_start) {
        // A one-line object: stay on the line.
        let text: String = new
            .iter()
            .map(|(k, v)| format!(", {k}{}{}", style.colon, v.render(style, "", true)))
            .collect();
        return vec![insert(value_end, text)];
    }
    let indent = line_indent(src, key_start);
    let text: Vec<String> = new
        .iter()
        .map(|(k, v)| {
            format!(
                "{}{indent}{k}{}{}",
                style.eol,
                style.colon,
                v.render(style, indent, false)
            )
        })
        .collect();
    let text = text.join(",");
    // After a comment that ends the last member's line, so that it stays with that member.
    match blank_rest_of_line(src, value_end, false) {
        Some((eol, _)) if eol > value_end => {
            vec![insert(value_end, ",".to_owned()), insert(eol, text)]
        }
        _ => vec![insert(value_end, format!(",{text}"))],
    }
}

/// Edits that put `new` members into the empty object `obj`, one per line.
fn fill_empty_object(
    src: &str,
    style: &Style,
    obj: &Value<'_>,
    new: &[(String, NewValue)],
) -> Vec<TextEdit> {
    let open = obj.range.start as usize + 1;
    let close = (obj.range.end as usize).saturating_sub(1).max(open);
    let outer = line_indent(src, obj.range.start as usize);
    let inner = format!("{outer}{}", style.unit);
    let members: Vec<String> = new
        .iter()
        .map(|(k, v)| {
            format!(
                "{}{inner}{k}{}{}",
                style.eol,
                style.colon,
                v.render(style, &inner, false)
            )
        })
        .collect();
    let members = members.join(",");
    let inside = &src[open..close];
    if inside.trim().is_empty() {
        return vec![TextEdit {
            range: TextRange::from_usize(open, close),
            new_text: format!("{members}{}{outer}", style.eol),
        }];
    }
    // Comments inside: after the comment on the `{` line when the `}` is on another line,
    // else just before the `}`.
    match blank_rest_of_line(src, open, false) {
        Some((eol, _)) if eol < close => vec![TextEdit {
            range: TextRange::from_usize(eol, eol),
            new_text: members,
        }],
        _ => vec![TextEdit {
            range: TextRange::from_usize(close, close),
            new_text: format!("{members}{}{outer}", style.eol),
        }],
    }
}

/// Edits that remove member `i` of `obj`.
fn remove_member(src: &str, obj: &Value<'_>, members: &[Member<'_>], i: usize) -> Vec<TextEdit> {
    let delete = |start: usize, end: usize| TextEdit {
        range: TextRange::from_usize(start, end),
        new_text: String::new(),
    };
    let member = &members[i];
    let (key_start, value_end) = (
        member.key.range.start as usize,
        member.value.range.end as usize,
    );
    let last = i + 1 == members.len();
    let open = obj.range.start as usize + 1;
    let close = (obj.range.end as usize).saturating_sub(1).max(open);
    if members.len() == 1
        && src[open..key_start].trim().is_empty()
        && src[value_end..close].trim().is_empty()
    {
        // The only member, and nothing else inside: leave `{}`.
        return vec![delete(open, close)];
    }
    // The member has lines of its own (its comma, if any, and a comment may end its last line).
    let own_lines = first_on_line(src, key_start)
        .then(|| blank_rest_of_line(src, value_end, true))
        .flatten()
        .filter(|&(_, comma)| comma || last);
    if let Some((eol, _)) = own_lines {
        let mut edits = vec![delete(line_start(src, key_start), eol + eol_len(src, eol))];
        if last && i > 0 {
            if let Some(comma) = comma_after(src, members[i - 1].value.range.end as usize) {
                edits.push(delete(comma, comma + 1));
            }
        }
        return edits;
    }
    if !last {
        vec![delete(key_start, members[i + 1].key.range.start as usize)]
    } else if i > 0 {
        vec![delete(members[i - 1].value.range.end as usize, value_end)]
    } else {
        vec![delete(key_start, value_end)]
    }
}

/// One edit that turns `old` into `new`: the span between their common prefix and suffix.
fn diff_edit(old: &str, new: &str) -> TextEdit {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    TextEdit {
        range: TextRange::from_usize(prefix, old.len() - suffix),
        new_text: new[prefix..new.len() - suffix].to_owned(),
    }
}

fn line_start(src: &str, offset: usize) -> usize {
    src[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// The spaces and tabs that start the line holding `offset`.
fn line_indent(src: &str, offset: usize) -> &str {
    let start = line_start(src, offset);
    let line = &src[start..offset];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn first_on_line(src: &str, offset: usize) -> bool {
    src[line_start(src, offset)..offset]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
}

fn eol_len(src: &str, at: usize) -> usize {
    match src.as_bytes().get(at..at + 2) {
        Some(b"\r\n") => 2,
        _ if at < src.len() => 1,
        _ => 0,
    }
}

/// When the rest of the line after `from` holds only spaces, comments that end on the line
/// and (with `allow_comma`) one comma: the offset of the line break (or the end of the text),
/// and whether there was a comma.
fn blank_rest_of_line(src: &str, from: usize, allow_comma: bool) -> Option<(usize, bool)> {
    let b = src.as_bytes();
    let mut pos = from;
    let mut comma = false;
    loop {
        match b.get(pos) {
            None | Some(b'\n' | b'\r') => return Some((pos, comma)),
            Some(b' ' | b'\t') => pos += 1,
            Some(b',') if allow_comma && !comma => {
                comma = true;
                pos += 1;
            }
            Some(b'/') if b.get(pos + 1) == Some(&b'/') => {
                let eol = src[pos..].find(['\n', '\r']).map_or(src.len(), |i| pos + i);
                return Some((eol, comma));
            }
            Some(b'/') if b.get(pos + 1) == Some(&b'*') => {
                let end = pos + 2 + src[pos + 2..].find("*/")? + 2;
                if src[pos..end].contains(['\n', '\r']) {
                    return None;
                }
                pos = end;
            }
            Some(_) => return None,
        }
    }
}

/// The offset of the comma that follows `from`, across whitespace and comments.
fn comma_after(src: &str, from: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut pos = from;
    loop {
        match b.get(pos)? {
            b' ' | b'\t' | b'\n' | b'\r' => pos += 1,
            b',' => return Some(pos),
            b'/' if b.get(pos + 1) == Some(&b'/') => {
                pos = src[pos..].find(['\n', '\r']).map(|i| pos + i)?;
            }
            b'/' if b.get(pos + 1) == Some(&b'*') => pos += 2 + src[pos + 2..].find("*/")? + 2,
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    /// Renders every problem as `line:col severity[code] message` over the text it covers.
    fn check_problems(src: &str, expect: Expect) {
        let file = parse(src);
        let index = LineIndex::new(src);
        let mut out = String::new();
        for p in &file.problems {
            let at = index.line_col(src, p.range.start, Encoding::Chars);
            out.push_str(&format!(
                "{}:{} {:?}[{}] {}\n    at `{}`\n",
                at.line + 1,
                at.col + 1,
                p.severity,
                p.code,
                p.message,
                p.range.slice(src)
            ));
        }
        expect.assert_eq(&out);
    }

    const EXAMPLE: &str = r#"{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com", "*.stripe.com"]
    },
    "db-password": {
      "link": "https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79"
    }
  },
  "scripts": { "allowVaultAccess": true },
  "azure": { "tenant": "contoso.onmicrosoft.com", "clientId": "00000000-0000-0000-0000-000000000000" }
}
"#;

    #[test]
    fn reads_the_spec_example() {
        let file = parse(EXAMPLE);
        assert_eq!(file.problems, []);
        assert_eq!(file.secrets.len(), 2);
        let stripe = file.get("stripe-key").unwrap();
        assert_eq!(stripe.name_range.slice(EXAMPLE), "\"stripe-key\"");
        assert!(
            stripe.range.slice(EXAMPLE).starts_with("\"stripe-key\": {")
                && stripe.range.slice(EXAMPLE).ends_with('}')
        );
        assert_eq!(
            stripe.link_text,
            "https://corp-kv.vault.azure.net/secrets/stripe-key"
        );
        assert_eq!(
            stripe.link_range.unwrap().slice(EXAMPLE),
            "\"https://corp-kv.vault.azure.net/secrets/stripe-key\""
        );
        assert_eq!(stripe.secret_id().unwrap().name, "stripe-key");
        let patterns: Vec<_> = stripe
            .allowed_domains
            .iter()
            .map(|d| (d.pattern.as_str(), d.range.slice(EXAMPLE), d.valid))
            .collect();
        assert_eq!(
            patterns,
            [
                ("api.stripe.com", "\"api.stripe.com\"", true),
                ("*.stripe.com", "\"*.stripe.com\"", true)
            ]
        );
        let db = file.get("db-password").unwrap();
        assert_eq!(
            db.secret_id().unwrap().version.as_deref(),
            Some("4387e9f3d6e14c459867679a90fd0f79")
        );
        assert!(db.allowed_domains.is_empty());
        assert!(file.allow_script_access);
        assert_eq!(file.azure.tenant, "contoso.onmicrosoft.com");
        assert_eq!(
            file.azure.tenant_range.unwrap().slice(EXAMPLE),
            "\"contoso.onmicrosoft.com\""
        );
        assert_eq!(file.azure.client_id, "00000000-0000-0000-0000-000000000000");
        // Names compare exactly.
        assert!(file.get("Stripe-Key").is_none());
        assert!(file.get("stripe").is_none());
    }

    #[test]
    fn defaults() {
        let file = parse("{}");
        assert_eq!(file.problems, []);
        assert!(file.secrets.is_empty());
        assert!(!file.allow_script_access);
        assert_eq!(file.azure, AzureSettings::default());
        assert_eq!(file.azure.tenant, "organizations");
        assert_eq!(file.azure.client_id, "04b07795-8ddb-461a-bbee-02f9e1bf7b46");
        assert_eq!(parse("{}"), LinksFile::default());
        // Comments and a byte-order mark are fine.
        let file = parse("\u{FEFF}// links\n{ /* none yet */ \"secrets\": {} }");
        assert_eq!(file.problems, []);
    }

    #[test]
    fn additionally_allowed_tenants() {
        let file = parse(
            r#"{"azure": {"tenant": "contoso.onmicrosoft.com", "additionallyAllowedTenants": ["72f988bf-86f1-41af-91ab-2d7cd011db47", "*", "a/b"]}}"#,
        );
        assert_eq!(
            file.azure.additionally_allowed_tenants,
            ["72f988bf-86f1-41af-91ab-2d7cd011db47", "*"]
        );
        assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
        assert!(file.problems[0].message.contains("not \"a/b\""));
        let file = parse(r#"{"azure": {"additionallyAllowedTenants": "*"}}"#);
        assert!(file.azure.additionally_allowed_tenants.is_empty());
        assert!(file.problems[0].message.contains("must be an array"));
    }

    #[test]
    fn json_errors_and_wrong_shapes() {
        check_problems(
            "",
            expect![[r#"
            1:1 Error[syntax] the file is empty: expected a JSON value
                at ``
        "#]],
        );
        check_problems(
            "[1]",
            expect![[r#"
            1:1 Error[syntax] the links file must be a JSON object with a `secrets` object, not an array
                at `[1]`
        "#]],
        );
        check_problems(
            r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a",}, "b": {"link": tru}}}"#,
            expect![[r#"
                1:71 Error[syntax] trailing comma
                    at `,`
                1:89 Error[syntax] expected a value: a string, number, object, array, true, false or null
                    at `tru`
            "#]],
        );
        check_problems(
            r#"{"secrets": ["a"]}"#,
            expect![[r#"
            1:13 Error[syntax] `secrets` must be an object of links, like {"stripe-key": {"link": "https://…"}}, not an array
                at `["a"]`
        "#]],
        );
        check_problems(
            r#"{
  "secrets": {
    "a": "https://corp-kv.vault.azure.net/secrets/a",
    "b": {},
    "c": { "link": 42 },
    "d": { "link": null, "allowedDomain": ["x.com"] }
  },
  "scripts": { "allowVaultAccess": "yes", "other": 1 },
  "azure": { "tenant": "contoso/../evil?", "clientId": "not-a-guid", "secret": "x" },
  "$schema": "https://example.com/schema.json",
  "secret": {}
}"#,
            expect![[r#"
                3:10 Error[syntax] `a` must be an object with a `link`, like {"link": "https://…"}, not a string
                    at `"https://corp-kv.vault.azure.net/secrets/a"`
                4:5 Error[invalid-link] `b` has no `link`; add "link": "https://<vault>.vault.azure.net/secrets/<name>[/<version>]"
                    at `"b"`
                5:20 Error[invalid-link] the link of `c` must be a string, https://<vault>.vault.azure.net/secrets/<name>[/<version>], not a number
                    at `42`
                6:20 Error[invalid-link] the link of `d` must be a string, https://<vault>.vault.azure.net/secrets/<name>[/<version>], not null
                    at `null`
                6:26 Warning[syntax] unknown key `allowedDomain`; expected link or allowedDomains
                    at `"allowedDomain"`
                8:36 Error[syntax] `scripts.allowVaultAccess` must be true or false, not a string
                    at `"yes"`
                8:43 Warning[syntax] unknown key `other`; expected allowVaultAccess
                    at `"other"`
                9:24 Error[syntax] `azure.tenant` must be a tenant id or domain, like "contoso.onmicrosoft.com", not "contoso/../evil?"
                    at `"contoso/../evil?"`
                9:56 Error[syntax] `azure.clientId` must be an application (client) id, like "00000000-0000-0000-0000-000000000000", not "not-a-guid"
                    at `"not-a-guid"`
                9:70 Warning[syntax] unknown key `secret`; expected tenant, clientId or additionallyAllowedTenants
                    at `"secret"`
                11:3 Warning[syntax] unknown key `secret`; expected secrets, scripts or azure
                    at `"secret"`
            "#]],
        );
        let file = parse(r#"{"scripts": {"allowVaultAccess": 1}, "azure": {"tenant": 7}}"#);
        assert!(!file.allow_script_access);
        assert_eq!(file.azure, AzureSettings::default());
    }

    #[test]
    fn invalid_and_untrusted_links() {
        check_problems(
            r#"{"secrets": {
  "stripe-key": {"link": "https://evil.example.com/secrets/stripe-key"},
  "old": {"link": "http://corp-kv.vault.azure.net/secrets/old"},
  "short": {"link": "https://a.vault.azure.net/secrets/x"},
  "pinned": {"link": "https://corp-kv.vault.azure.net/secrets/p/123"},
  "escaped": {"link": "https:\/\/corp-kv.vault.azure.net\/secrets\/ok"}
}}"#,
            expect![[r#"
                2:26 Error[untrusted-host] the link of `stripe-key` is not a Key Vault secret identifier: `evil.example.com` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"https://evil.example.com/secrets/stripe-key"`
                3:19 Error[invalid-link] the link of `old` is not a Key Vault secret identifier: the link must use https, not http; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"http://corp-kv.vault.azure.net/secrets/old"`
                4:21 Error[invalid-link] the link of `short` is not a Key Vault secret identifier: the vault name `a` must be 3–24 characters; expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"https://a.vault.azure.net/secrets/x"`
                5:22 Error[invalid-link] the link of `pinned` is not a Key Vault secret identifier: the version `123` must be 32 hexadecimal digits (or leave it out for the latest version); expected https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                    at `"https://corp-kv.vault.azure.net/secrets/p/123"`
            "#]],
        );
        let src = r#"{"secrets": {"x": {"link": "https://evil.example.com/secrets/x"}}}"#;
        let file = parse(src);
        let x = file.get("x").unwrap();
        assert_eq!(
            x.link,
            Some(Err(IdError::Untrusted {
                host: "evil.example.com".into()
            }))
        );
        assert!(x.secret_id().is_none());
        let escaped = parse(
            r#"{"secrets": {"e": {"link": "https:\/\/corp-kv.vault.azure.net\/secrets\/ok"}}}"#,
        );
        assert_eq!(
            escaped.get("e").unwrap().link_text,
            "https://corp-kv.vault.azure.net/secrets/ok"
        );
    }

    #[test]
    fn names_and_duplicates() {
        let src = r#"{
  "secrets": {
    "api": {"link": "https://corp-kv.vault.azure.net/secrets/one"},
    "my key": {"link": "https://corp-kv.vault.azure.net/secrets/k"},
    "": {"link": "https://corp-kv.vault.azure.net/secrets/k"},
    "api": {"link": "https://corp-kv.vault.azure.net/secrets/two", "link": "https://corp-kv.vault.azure.net/secrets/three"}
  }
}"#;
        check_problems(
            src,
            expect![[r#"
            3:5 Warning[syntax] `api` is defined more than once: only the last definition counts
                at `"api"`
            4:5 Warning[syntax] `my key` cannot be referenced as {{vault:my key}}: a name takes 1–256 letters, digits, `_`, `-` and `.`
                at `"my key"`
            5:5 Warning[syntax] `` cannot be referenced as {{vault:}}: a name takes 1–256 letters, digits, `_`, `-` and `.`
                at `""`
            6:13 Warning[syntax] duplicate key `link`: only the last one counts
                at `"link"`
        "#]],
        );
        assert_eq!(
            parse(src).get("api").unwrap().secret_id().unwrap().name,
            "three"
        );
        // Of two `secrets`, the last counts.
        let src = r#"{"secrets": {"a": {"link": 1}}, "secrets": {}}"#;
        check_problems(
            src,
            expect![[r#"
            1:2 Warning[syntax] duplicate key `secrets`: only the last one counts
                at `"secrets"`
        "#]],
        );
        assert!(parse(src).secrets.is_empty());
        let src = r#"{"secrets": {
  "api": {"link": "https://corp-kv.vault.azure.net/secrets/one"},
  "api": {"link": "https://corp-kv.vault.azure.net/secrets/two"},
  "caf\u00e9": {"link": "https://corp-kv.vault.azure.net/secrets/cafe"}
}}"#;
        let file = parse(src);
        assert_eq!(file.secrets.len(), 3);
        assert_eq!(file.get("api").unwrap().secret_id().unwrap().name, "two");
        assert_eq!(
            file.get("café").unwrap().name_range.slice(src),
            r#""caf\u00e9""#
        );
    }

    #[test]
    fn allowed_domains_problems_fail_closed() {
        let src = r#"{"secrets": {
  "a": {"link": "https://corp-kv.vault.azure.net/secrets/a", "allowedDomains": ["https://api.x.com", "", "a b.com", "api.x.com:443", "x.*.com", "*", "API.Example.COM.", 7, "bücher.de", "*.x.com"]},
  "b": {"link": "https://corp-kv.vault.azure.net/secrets/b", "allowedDomains": "api.x.com"},
  "c": {"link": "https://corp-kv.vault.azure.net/secrets/c", "allowedDomains": null},
  "d": {"link": "https://corp-kv.vault.azure.net/secrets/d", "allowedDomains": []}
}}"#;
        check_problems(
            src,
            expect![[r#"
            2:81 Error[syntax] in `allowedDomains` of `a`: `https://api.x.com` is not a host name: write the host alone, like `api.example.com`, without scheme, port or path
                at `"https://api.x.com"`
            2:102 Error[syntax] in `allowedDomains` of `a`: an allowed domain is empty
                at `""`
            2:106 Error[syntax] in `allowedDomains` of `a`: `a b.com` contains spaces
                at `"a b.com"`
            2:117 Error[syntax] in `allowedDomains` of `a`: `api.x.com:443` is not a host name: write the host alone, like `api.example.com`, without scheme, port or path
                at `"api.x.com:443"`
            2:134 Error[syntax] in `allowedDomains` of `a`: `x.*.com`: `*` may only start a pattern, as in `*.example.com`
                at `"x.*.com"`
            2:145 Error[syntax] in `allowedDomains` of `a`: `*` alone is not a domain: leave `allowedDomains` out to allow any host
                at `"*"`
            2:170 Error[syntax] `allowedDomains` of `a` takes host names as strings, not a number
                at `7`
            2:173 Error[syntax] in `allowedDomains` of `a`: `bücher.de`: write an international host name in its xn-- form
                at `"bücher.de"`
            3:80 Error[syntax] `allowedDomains` of `b` must be an array: write ["api.x.com"]
                at `"api.x.com"`
            4:80 Error[syntax] `allowedDomains` of `c` must be an array of host names, like ["api.example.com", "*.example.com"], not null
                at `null`
        "#]],
        );
        let file = parse(src);
        let a = file.get("a").unwrap();
        let valid: Vec<&str> = a
            .allowed_domains
            .iter()
            .filter(|d| d.valid)
            .map(|d| d.pattern.as_str())
            .collect();
        assert_eq!(valid, ["api.example.com", "*.x.com"]);
        assert!(a.allows_host("api.example.com"));
        assert!(a.allows_host("v1.x.com"));
        assert!(!a.allows_host("api.x.com:443") || a.allows_host("x.x.com"));
        assert!(!a.allows_host("x.com"));
        // A string instead of an array still restricts, to that host.
        let b = file.get("b").unwrap();
        assert!(b.allows_host("api.x.com") && !b.allows_host("evil.com"));
        // Something that is not a list at all restricts to nothing.
        let c = file.get("c").unwrap();
        assert!(!c.allows_host("api.x.com") && !c.allows_host("evil.com"));
        // An empty list allows any host.
        assert!(file.get("d").unwrap().allows_host("anything.example"));
    }

    #[test]
    fn allows_host() {
        let src = r#"{"secrets": {"s": {"link": "https://corp-kv.vault.azure.net/secrets/s", "allowedDomains": ["api.stripe.com", "*.Stripe.com", "localhost", "10.0.0.1"]}}}"#;
        let file = parse(src);
        assert_eq!(file.problems, []);
        let s = file.get("s").unwrap();
        let allowed = [
            "api.stripe.com",
            "API.STRIPE.COM",
            "api.stripe.com.",
            "api.stripe.com:443",
            "api.stripe.com.:8443",
            "files.stripe.com",
            "a.b.stripe.com",
            "localhost:8080",
            "10.0.0.1",
        ];
        let refused = [
            "stripe.com",
            "stripe.com.",
            "evilstripe.com",
            "api.stripe.com.evil.com",
            "api.stripe.co",
            "",
            ":443",
            "[::1]",
            "[::1]:443",
            "10.0.0.10",
            "api.stripe.com@evil.com",
            "evil.com#.stripe.com",
            "evil.com/.stripe.com",
            "evil.com?.stripe.com",
        ];
        for h in allowed {
            assert!(s.allows_host(h), "{h}");
        }
        for h in refused {
            assert!(!s.allows_host(h), "{h}");
        }
        let open =
            parse(r#"{"secrets": {"s": {"link": "https://corp-kv.vault.azure.net/secrets/s"}}}"#);
        assert!(open.get("s").unwrap().allows_host("anything.example:1"));
    }

    #[test]
    fn never_panics() {
        let inputs = [
            "{",
            "}",
            "{\"secrets\"",
            "{\"secrets\":",
            "{\"secrets\": {\"a\"",
            "{\"secrets\": {\"a\": {\"link\"",
            "{\"secrets\": {\"a\": {\"allowedDomains\": [",
            "\"x\"",
            "null",
            "{\"azure\": [] }",
            "\u{FEFF}",
            "{\"secrets\": {\"\\ud800\": {}}}",
        ];
        for src in inputs {
            let file = parse(src);
            for p in &file.problems {
                assert!(p.range.end as usize <= src.len(), "{src:?}: {p:?}");
            }
            let _ = set_link_edits(src, "a", "https://corp-kv.vault.azure.net/secrets/a", &[]);
            let _ = remove_link_edits(src, "a");
        }
    }

    // -----------------------------------------------------------------------------------------
    // Edits

    const ID: &str = "https://corp-kv.vault.azure.net/secrets/new-key";

    fn domains(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    /// Shows line endings, so that CRLF output can be snapshotted.
    fn show(text: &str) -> String {
        text.replace("\r\n", "␍\n")
    }

    /// The edit of a valid file gives a valid file; in a file with problems, the edit adds
    /// none (it may fix some).
    fn assert_no_new_problems(before: &str, after: &str) {
        let old: Vec<String> = parse(before)
            .problems
            .into_iter()
            .map(|p| p.message)
            .collect();
        let new: Vec<String> = parse(after)
            .problems
            .into_iter()
            .map(|p| p.message)
            .collect();
        assert!(
            new.iter().all(|m| old.contains(m)),
            "new problems {new:?}\nin\n{after}"
        );
    }

    /// Applies `set_link_edits`, checks the result reads back without problems and with the
    /// link, and snapshots it.
    fn check_set(src: &str, name: &str, identifier: &str, list: &[&str], expect: Expect) {
        let edits = set_link_edits(src, name, identifier, &domains(list)).unwrap();
        let out = apply_edits(src, &edits);
        let file = parse(&out);
        assert_no_new_problems(src, &out);
        let link = file
            .get(name)
            .unwrap_or_else(|| panic!("no `{name}` in\n{out}"));
        assert_eq!(link.link_text, identifier);
        if !list.is_empty() {
            let patterns: Vec<&str> = link
                .allowed_domains
                .iter()
                .map(|d| d.pattern.as_str())
                .collect();
            assert_eq!(patterns, list);
        }
        // Setting the same link again changes nothing.
        assert_eq!(
            set_link_edits(&out, name, identifier, &domains(list)),
            Ok(vec![]),
            "{out}"
        );
        expect.assert_eq(&show(&out));
    }

    /// Applies `remove_link_edits`, checks the result reads back without problems and
    /// without the link, and snapshots it.
    fn check_remove(src: &str, name: &str, expect: Expect) {
        let before = parse(src);
        let edits = remove_link_edits(src, name).unwrap();
        let out = apply_edits(src, &edits);
        let file = parse(&out);
        assert_no_new_problems(src, &out);
        assert!(file.get(name).is_none(), "{out}");
        let left: Vec<&str> = file.secrets.iter().map(|s| s.name.as_str()).collect();
        let expected: Vec<&str> = before
            .secrets
            .iter()
            .map(|s| s.name.as_str())
            .filter(|n| *n != name)
            .collect();
        assert_eq!(left, expected);
        assert_eq!(
            remove_link_edits(&out, name),
            Err(EditError::NotFound(name.to_owned()))
        );
        expect.assert_eq(&show(&out));
    }

    const TWO_SPACES: &str = r#"{
  "secrets": {
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
      "allowedDomains": ["api.stripe.com"]
    }
  }
}
"#;

    #[test]
    fn add_to_two_space_file() {
        check_set(
            TWO_SPACES,
            "new-key",
            ID,
            &[],
            expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
                  "allowedDomains": ["api.stripe.com"]
                },
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
        );
    }

    #[test]
    fn add_to_four_space_file() {
        let src = TWO_SPACES.replace("  ", "    ");
        check_set(
            &src,
            "new-key",
            ID,
            &["api.example.com", "*.example.com"],
            expect![[r#"
            {
                "secrets": {
                    "stripe-key": {
                        "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
                        "allowedDomains": ["api.stripe.com"]
                    },
                    "new-key": {
                        "link": "https://corp-kv.vault.azure.net/secrets/new-key",
                        "allowedDomains": ["api.example.com", "*.example.com"]
                    }
                }
            }
        "#]],
        );
    }

    #[test]
    fn add_to_tab_file() {
        let src = TWO_SPACES.replace("  ", "\t");
        let out = apply_edits(&src, &set_link_edits(&src, "new-key", ID, &[]).unwrap());
        assert!(out.lines().all(|l| !l.starts_with(' ')), "{out}");
        check_set(
            &src,
            "new-key",
            ID,
            &[],
            expect![[r#"
            {
            	"secrets": {
            		"stripe-key": {
            			"link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
            			"allowedDomains": ["api.stripe.com"]
            		},
            		"new-key": {
            			"link": "https://corp-kv.vault.azure.net/secrets/new-key"
            		}
            	}
            }
        "#]],
        );
    }

    #[test]
    fn add_to_crlf_file() {
        let src = TWO_SPACES.replace('\n', "\r\n");
        let out = apply_edits(&src, &set_link_edits(&src, "new-key", ID, &[]).unwrap());
        assert!(!out.replace("\r\n", "").contains('\n'), "{out:?}");
        check_set(
            &src,
            "new-key",
            ID,
            &[],
            expect![[r#"
            {␍
              "secrets": {␍
                "stripe-key": {␍
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",␍
                  "allowedDomains": ["api.stripe.com"]␍
                },␍
                "new-key": {␍
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"␍
                }␍
              }␍
            }␍
        "#]],
        );
    }

    #[test]
    fn add_to_empty_objects() {
        check_set(
            "{}\n",
            "new-key",
            ID,
            &[],
            expect![[r#"
            {
              "secrets": {
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
        );
        check_set(
            "{\n    \"secrets\": {}\n}",
            "new-key",
            ID,
            &[],
            expect![[r#"
            {
                "secrets": {
                    "new-key": {
                        "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                    }
                }
            }"#]],
        );
        check_set(
            "{\n  \"secrets\": {\n  }\n}\n",
            "new-key",
            ID,
            &[],
            expect![[r#"
            {
              "secrets": {
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
        );
        // Comments inside the empty object stay.
        check_set(
            "{\n  \"secrets\": { // none yet\n  }\n}\n",
            "new-key",
            ID,
            &[],
            expect![[r#"
            {
              "secrets": { // none yet
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
        );
        check_set(
            "{\"secrets\": {/* none */}}",
            "new-key",
            ID,
            &[],
            expect![[r#"
            {"secrets": {/* none */
              "new-key": {
                "link": "https://corp-kv.vault.azure.net/secrets/new-key"
              }
            }}"#]],
        );
    }

    #[test]
    fn new_files() {
        for blank in ["", "  \n", "\r\n"] {
            check_set(
                blank,
                "new-key",
                ID,
                &["api.example.com"],
                expect![[r#"
                {
                  "secrets": {
                    "new-key": {
                      "link": "https://corp-kv.vault.azure.net/secrets/new-key",
                      "allowedDomains": ["api.example.com"]
                    }
                  }
                }
            "#]],
            );
        }
        assert_eq!(
            new_file("a", ID, &[]),
            apply_edits("", &set_link_edits("", "a", ID, &[]).unwrap())
        );
        // A file of comments only keeps them.
        check_set(
            "// vault links for the payments API",
            "new-key",
            ID,
            &[],
            expect![[r#"
            // vault links for the payments API
            {
              "secrets": {
                "new-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
        );
    }

    #[test]
    fn creates_secrets_among_other_keys() {
        check_set(
            "{\n    \"scripts\": { \"allowVaultAccess\": false }\n}\n",
            "new-key",
            ID,
            &[],
            expect![[r#"
                {
                    "scripts": { "allowVaultAccess": false },
                    "secrets": {
                        "new-key": {
                            "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                        }
                    }
                }
            "#]],
        );
        check_set(
            r#"{
  "$schema": "./vaultlink.schema.json",
  "secrets": {
    "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
    "b": { "link": "https://corp-kv.vault.azure.net/secrets/b" }
  },
  "azure": { "tenant": "contoso.onmicrosoft.com" }
}
"#,
            "new-key",
            ID,
            &[],
            expect![[r#"
                {
                  "$schema": "./vaultlink.schema.json",
                  "secrets": {
                    "a": { "link": "https://corp-kv.vault.azure.net/secrets/a" },
                    "b": { "link": "https://corp-kv.vault.azure.net/secrets/b" },
                    "new-key": { "link": "https://corp-kv.vault.azure.net/secrets/new-key" }
                  },
                  "azure": { "tenant": "contoso.onmicrosoft.com" }
                }
            "#]],
        );
    }

    #[test]
    fn one_line_files_stay_on_one_line() {
        check_set(
            r#"{"secrets":{"a":{"link":"https://corp-kv.vault.azure.net/secrets/a"}}}"#,
            "new-key",
            ID,
            &["api.example.com"],
            expect![[
                r#"{"secrets":{"a":{"link":"https://corp-kv.vault.azure.net/secrets/a"}, "new-key":{"link":"https://corp-kv.vault.azure.net/secrets/new-key", "allowedDomains":["api.example.com"]}}}"#
            ]],
        );
    }

    #[test]
    fn replace_keeps_position_and_other_keys() {
        let src = r#"{
  "secrets": {
    "stripe-key": {
      "allowedDomains": ["api.stripe.com"],
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key"
    },
    "other": { "link": "https://corp-kv.vault.azure.net/secrets/other" }
  }
}
"#;
        let edits = set_link_edits(src, "stripe-key", ID, &[]).unwrap();
        assert_eq!(edits.len(), 1);
        assert_eq!(
            edits[0].range.slice(src),
            "\"https://corp-kv.vault.azure.net/secrets/stripe-key\""
        );
        check_set(
            src,
            "stripe-key",
            ID,
            &[],
            expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "allowedDomains": ["api.stripe.com"],
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                },
                "other": { "link": "https://corp-kv.vault.azure.net/secrets/other" }
              }
            }
        "#]],
        );
        // With domains, they replace the list.
        check_set(
            src,
            "stripe-key",
            ID,
            &["*.stripe.com"],
            expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "allowedDomains": ["*.stripe.com"],
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                },
                "other": { "link": "https://corp-kv.vault.azure.net/secrets/other" }
              }
            }
        "#]],
        );
        // Domains are added to an entry that has none, in its one-line layout.
        check_set(
            src,
            "other",
            ID,
            &["api.example.com"],
            expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "allowedDomains": ["api.stripe.com"],
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key"
                },
                "other": { "link": "https://corp-kv.vault.azure.net/secrets/new-key", "allowedDomains": ["api.example.com"] }
              }
            }
        "#]],
        );
    }

    #[test]
    fn repair_broken_entries() {
        // An entry without a link gets one; an entry that is not an object becomes one.
        check_set(
            "{\n  \"secrets\": {\n    \"a\": {\n      \"allowedDomains\": [\"x.com\"] // prod only\n    },\n    \"b\": \"https://corp-kv.vault.azure.net/secrets/b\",\n    \"c\": {}\n  }\n}\n",
            "a",
            ID,
            &[],
            expect![[r#"
                {
                  "secrets": {
                    "a": {
                      "allowedDomains": ["x.com"], // prod only
                      "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                    },
                    "b": "https://corp-kv.vault.azure.net/secrets/b",
                    "c": {}
                  }
                }
            "#]],
        );
        let src = "{\n  \"secrets\": {\n    \"b\": \"https://corp-kv.vault.azure.net/secrets/b\",\n    \"c\": {}\n  }\n}\n";
        check_set(
            src,
            "b",
            ID,
            &[],
            expect![[r#"
            {
              "secrets": {
                "b": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                },
                "c": {}
              }
            }
        "#]],
        );
        check_set(
            src,
            "c",
            ID,
            &[],
            expect![[r#"
            {
              "secrets": {
                "b": "https://corp-kv.vault.azure.net/secrets/b",
                "c": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]],
        );
    }

    #[test]
    fn names_are_escaped() {
        let name = "we\"ird\\na\u{1}me";
        let edits = set_link_edits(TWO_SPACES, name, ID, &[]).unwrap();
        let out = apply_edits(TWO_SPACES, &edits);
        let file = parse(&out);
        // The only problem: such a name cannot be written in a reference.
        assert_eq!(file.problems.len(), 1, "{:?}", file.problems);
        assert!(file.problems[0].message.contains("cannot be referenced"));
        assert_eq!(file.get(name).unwrap().link_text, ID);
        let odd_id = "https://corp-kv.vault.azure.net/secrets/a\"b";
        let out2 = apply_edits(&out, &set_link_edits(&out, name, odd_id, &[]).unwrap());
        assert_eq!(parse(&out2).get(name).unwrap().link_text, odd_id);
        expect![[r#"
            {
              "secrets": {
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key",
                  "allowedDomains": ["api.stripe.com"]
                },
                "we\"ird\\na\u0001me": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key"
                }
              }
            }
        "#]]
        .assert_eq(&out);
        let removed = apply_edits(&out, &remove_link_edits(&out, name).unwrap());
        assert_eq!(removed, TWO_SPACES);
        // Non-ASCII names are written as they are, and found through escapes.
        let src = "{\"secrets\": {\"caf\\u00e9\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/a\"}}}";
        let out = apply_edits(src, &set_link_edits(src, "café", ID, &[]).unwrap());
        assert_eq!(
            out,
            format!("{{\"secrets\": {{\"caf\\u00e9\": {{\"link\": \"{ID}\"}}}}}}")
        );
    }

    #[test]
    fn comments_are_kept() {
        let src = r#"// Links for the payments API. Values live in Key Vault.
{
  /* secrets by reference name */
  "secrets": {
    // Stripe, live mode
    "stripe-key": {
      "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" // rotated monthly
    }, // keep first
    "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" } // staging
  }
}
"#;
        check_set(
            src,
            "new-key",
            ID,
            &[],
            expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" // rotated monthly
                }, // keep first
                "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" }, // staging
                "new-key": { "link": "https://corp-kv.vault.azure.net/secrets/new-key" }
              }
            }
        "#]],
        );
        check_set(
            src,
            "stripe-key",
            ID,
            &[],
            expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/new-key" // rotated monthly
                }, // keep first
                "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" } // staging
              }
            }
        "#]],
        );
        check_remove(
            src,
            "db-password",
            expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "stripe-key": {
                  "link": "https://corp-kv.vault.azure.net/secrets/stripe-key" // rotated monthly
                } // keep first
              }
            }
        "#]],
        );
        check_remove(
            src,
            "stripe-key",
            expect![[r#"
            // Links for the payments API. Values live in Key Vault.
            {
              /* secrets by reference name */
              "secrets": {
                // Stripe, live mode
                "db-password": { "link": "https://corp-kv.vault.azure.net/secrets/db-password" } // staging
              }
            }
        "#]],
        );
    }

    const THREE: &str = r#"{
  "secrets": {
    "first": {
      "link": "https://corp-kv.vault.azure.net/secrets/first"
    },
    "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" },
    "last": {
      "link": "https://corp-kv.vault.azure.net/secrets/last",
      "allowedDomains": ["api.example.com"]
    }
  },
  "scripts": { "allowVaultAccess": false }
}
"#;

    #[test]
    fn remove_first_middle_last() {
        check_remove(
            THREE,
            "first",
            expect![[r#"
            {
              "secrets": {
                "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" },
                "last": {
                  "link": "https://corp-kv.vault.azure.net/secrets/last",
                  "allowedDomains": ["api.example.com"]
                }
              },
              "scripts": { "allowVaultAccess": false }
            }
        "#]],
        );
        check_remove(
            THREE,
            "middle",
            expect![[r#"
            {
              "secrets": {
                "first": {
                  "link": "https://corp-kv.vault.azure.net/secrets/first"
                },
                "last": {
                  "link": "https://corp-kv.vault.azure.net/secrets/last",
                  "allowedDomains": ["api.example.com"]
                }
              },
              "scripts": { "allowVaultAccess": false }
            }
        "#]],
        );
        check_remove(
            THREE,
            "last",
            expect![[r#"
            {
              "secrets": {
                "first": {
                  "link": "https://corp-kv.vault.azure.net/secrets/first"
                },
                "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" }
              },
              "scripts": { "allowVaultAccess": false }
            }
        "#]],
        );
        let crlf = THREE.replace('\n', "\r\n");
        check_remove(
            &crlf,
            "last",
            expect![[r#"
            {␍
              "secrets": {␍
                "first": {␍
                  "link": "https://corp-kv.vault.azure.net/secrets/first"␍
                },␍
                "middle": { "link": "https://corp-kv.vault.azure.net/secrets/middle" }␍
              },␍
              "scripts": { "allowVaultAccess": false }␍
            }␍
        "#]],
        );
    }

    #[test]
    fn remove_only_entry() {
        check_remove(
            TWO_SPACES,
            "stripe-key",
            expect![[r#"
            {
              "secrets": {}
            }
        "#]],
        );
        check_remove(
            "{\n  \"secrets\": {\n    // the only one\n    \"a\": {\"link\": \"https://corp-kv.vault.azure.net/secrets/a\"}\n  }\n}\n",
            "a",
            expect![[r#"
                {
                  "secrets": {
                    // the only one
                  }
                }
            "#]],
        );
    }

    #[test]
    fn remove_on_one_line() {
        let src = r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}, "b": {"link": "https://corp-kv.vault.azure.net/secrets/b"}, "c": {"link": "https://corp-kv.vault.azure.net/secrets/c"}}}"#;
        check_remove(
            src,
            "a",
            expect![[
                r#"{"secrets": {"b": {"link": "https://corp-kv.vault.azure.net/secrets/b"}, "c": {"link": "https://corp-kv.vault.azure.net/secrets/c"}}}"#
            ]],
        );
        check_remove(
            src,
            "b",
            expect![[
                r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}, "c": {"link": "https://corp-kv.vault.azure.net/secrets/c"}}}"#
            ]],
        );
        check_remove(
            src,
            "c",
            expect![[
                r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}, "b": {"link": "https://corp-kv.vault.azure.net/secrets/b"}}}"#
            ]],
        );
        check_remove(
            r#"{"secrets": {"a": {}}}"#,
            "a",
            expect![[r#"{"secrets": {}}"#]],
        );
    }

    #[test]
    fn remove_duplicates_and_comma_first() {
        check_remove(
            "{\n  \"secrets\": {\n    \"a\": {},\n    \"b\": {},\n    \"a\": {}\n  }\n}\n",
            "a",
            expect![[r#"
                {
                  "secrets": {
                    "b": {}
                  }
                }
            "#]],
        );
        check_remove(
            "{\n  \"secrets\": {\n    \"a\": {}\n    , \"b\": {}\n    , \"c\": {}\n  }\n}\n",
            "b",
            expect![[r#"
                {
                  "secrets": {
                    "a": {}
                    , "c": {}
                  }
                }
            "#]],
        );
    }

    #[test]
    fn set_then_remove_round_trips() {
        let comments = "{\n  \"secrets\": {\n    \"a\": {} // first\n  } // end\n}\n";
        let sources = [
            TWO_SPACES.to_owned(),
            TWO_SPACES.replace("  ", "    "),
            TWO_SPACES.replace("  ", "\t"),
            TWO_SPACES.replace('\n', "\r\n"),
            THREE.to_owned(),
            THREE.replace('\n', "\r\n"),
            comments.to_owned(),
            r#"{"secrets": {"a": {"link": "https://corp-kv.vault.azure.net/secrets/a"}}}"#
                .to_owned(),
            "{\n  \"secrets\": {\"a\": {}}\n}".to_owned(),
        ];
        for src in sources {
            let domains = domains(&["api.example.com"]);
            let added = apply_edits(
                &src,
                &set_link_edits(&src, "new-key", ID, &domains).unwrap(),
            );
            assert_no_new_problems(&src, &added);
            let removed = apply_edits(&added, &remove_link_edits(&added, "new-key").unwrap());
            assert_eq!(removed, src, "after adding:\n{added}");
        }
    }

    #[test]
    fn edit_errors() {
        let broken = "{\n  \"secrets\": {\n    \"a\": {\"link\": \"x\",}\n  }\n}";
        let err = set_link_edits(broken, "a", ID, &[]).unwrap_err();
        expect![[r#"Malformed("vaultlink.json cannot be edited: trailing comma at line 3, column 22; fix the file first")"#]]
            .assert_eq(&format!("{err:?}"));
        assert!(matches!(
            remove_link_edits(broken, "a"),
            Err(EditError::Malformed(_))
        ));
        let err = set_link_edits("[]", "a", ID, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "vaultlink.json cannot be edited: the file is not a JSON object at line 1, column 1; fix the file first"
        );
        let err = set_link_edits("{\"secrets\": []}", "a", ID, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "vaultlink.json cannot be edited: `secrets` is not an object at line 1, column 13; fix the file first"
        );
        assert_eq!(
            remove_link_edits(TWO_SPACES, "nope"),
            Err(EditError::NotFound("nope".into()))
        );
        assert_eq!(
            remove_link_edits("{}", "nope"),
            Err(EditError::NotFound("nope".into()))
        );
        assert_eq!(
            remove_link_edits("", "nope"),
            Err(EditError::NotFound("nope".into()))
        );
        assert_eq!(
            EditError::NotFound("nope".into()).to_string(),
            "vaultlink.json has no link named `nope`"
        );
        let err = set_link_edits("// links\n/* unterminated", "a", ID, &[]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "vaultlink.json cannot be edited: unterminated comment at line 2, column 1; fix the file first"
        );
    }

    #[test]
    fn apply_edits_in_any_order() {
        let src = "abcdef";
        let edits = [
            TextEdit {
                range: TextRange::new(4, 6),
                new_text: "X".into(),
            },
            TextEdit {
                range: TextRange::new(0, 0),
                new_text: "1".into(),
            },
            TextEdit {
                range: TextRange::new(0, 0),
                new_text: "2".into(),
            },
            TextEdit {
                range: TextRange::new(1, 2),
                new_text: String::new(),
            },
        ];
        assert_eq!(apply_edits(src, &edits), "12acdX");
        assert_eq!(apply_edits(src, &[]), src);
    }

    #[test]
    fn diff_edit_is_minimal() {
        let e = diff_edit("héllo wörld", "héllo world");
        assert_eq!(
            apply_edits("héllo wörld", std::slice::from_ref(&e)),
            "héllo world"
        );
        assert_eq!(e.range, TextRange::new(8, 10));
        assert_eq!(diff_edit("aaa", "aa").range.len(), 1);
        assert_eq!(diff_edit("same", "same").range, TextRange::new(4, 4));
    }
}
