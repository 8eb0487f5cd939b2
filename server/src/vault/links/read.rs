//! Reading `vaultlink.json`: every link, setting and problem, with its range.

use super::*;

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
