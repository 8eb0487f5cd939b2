//! Where a request goes: the host of its URL exactly as it will be sent. Every host decision
//! — the offline `domain-not-allowed`, the check before a secret is fetched, the check of
//! the concrete request, redirects — reads the host with the same parser the sender uses
//! (the `url` crate, WHATWG rules: `\` is `/` in http(s) URLs, tabs and line breaks are
//! dropped, the host follows the last `@` before the path). A URL that a person would read
//! otherwise — another host than the parser's, a backslash before the path, a tab or a line
//! break — is reported as [`Target::misread`]: it is an error in `check` and is never sent.

use std::borrow::Cow;

use crate::syntax::json::JsonString;
use crate::syntax::postman;

/// The host of a URL as sent, and whether a person would read the URL otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// Lowercased, without port, brackets or trailing dot; `None` when it is not known
    /// without sending (a variable in the host, not a URL at all).
    pub host: Option<String>,
    /// Why the URL does not go where it seems to, for a person.
    pub misread: Option<String>,
}

/// Reads `url` (a full URL, or the part of one up to its path) as the sender will: without
/// a scheme, `http://` is assumed.
pub fn read(url: &str) -> Target {
    let url = url.trim_matches(|c: char| c <= ' ');
    let mut target = Target::default();
    if url.is_empty() {
        return target;
    }
    let scheme = url.split_once(':').filter(|(s, _)| {
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'))
    });
    let full: Cow<str> = match scheme {
        Some((s, rest))
            if s.eq_ignore_ascii_case("http")
                || s.eq_ignore_ascii_case("https")
                || rest.starts_with("//") =>
        {
            Cow::Borrowed(url)
        }
        _ => Cow::Owned(format!("http://{url}")),
    };
    // Only the part up to the end of the authority decides the host, however long the rest.
    let full = head(&full);
    let parsed = url::Url::parse(full).ok();
    target.host = parsed.as_ref().and_then(host_of_url);
    if target.host.as_ref().is_some_and(|h| h.contains(['{', '}'])) {
        target.host = None;
    }
    let Some(sent) = &target.host else {
        return target;
    };
    let seen = as_read(full);
    // A host with control characters is not quoted: messages reach terminals.
    let quoted = |h: &str| (!h.contains(char::is_control)).then(|| format!("`{h}`"));
    target.misread = if full.contains(['\t', '\n', '\r']) {
        Some(format!(
            "the URL holds a tab or a line break, which is dropped when it is sent (it goes to `{sent}`): remove it"
        ))
    } else if seen.authority.contains('\\') {
        Some(format!(
            "a `\\` before the URL's path counts as `/` when it is sent, so the request goes to `{sent}`{}: write `/` or percent-encode it",
            seen.host
                .as_deref()
                .filter(|h| h != sent)
                .and_then(quoted)
                .map(|h| format!(", not {h}"))
                .unwrap_or_default()
        ))
    } else if !full[full.find(':').unwrap_or(0) + 1..].starts_with("//") {
        Some(format!(
            "the URL has no `//` after its scheme, and is sent to `{sent}`: write `scheme://host/…`"
        ))
    } else {
        match seen.host.as_deref() {
            Some(h) if normalize(h) != *sent => Some(format!(
                "the URL reads as going to {}, but it is sent to `{sent}`: write it in the usual form `scheme://host[:port]/path`",
                quoted(h).unwrap_or_else(|| "another host".to_owned())
            )),
            _ => None,
        }
    };
    target
}

/// The start of `full` (a URL with its scheme) up to the end of its authority as a person
/// reads it: past the scheme and the slashes after it, to the first `/`, `?` or `#`. The
/// parser's authority ends there or before (at a `\`), so both read the host from this.
fn head(full: &str) -> &str {
    let b = full.as_bytes();
    let mut i = full.find(':').map_or(0, |c| c + 1);
    while i < b.len() && matches!(b[i], b'/' | b'\\' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    while i < b.len() && !matches!(b[i], b'/' | b'?' | b'#') {
        i += 1;
    }
    &full[..i]
}

/// The host of a parsed URL, in the form `allowedDomains` compare.
pub fn host_of_url(url: &url::Url) -> Option<String> {
    let host = match url.host()? {
        url::Host::Domain(d) => d.to_ascii_lowercase(),
        url::Host::Ipv4(a) => a.to_string(),
        url::Host::Ipv6(a) => a.to_string(),
    };
    let host = host.trim_end_matches('.');
    (!host.is_empty()).then(|| host.to_owned())
}

/// The URL as a person reads it: the authority runs from after `scheme://` to the first
/// `/`, `?` or `#`, and the host follows its last `@`.
struct AsRead<'a> {
    authority: &'a str,
    host: Option<String>,
}

fn as_read(url: &str) -> AsRead<'_> {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.');
    AsRead {
        authority,
        host: (!host.is_empty()).then(|| host.to_ascii_lowercase()),
    }
}

/// A host as a person wrote it, in the parser's form (IDNA, IPv4 spellings), so that only
/// a different host, not a different spelling, counts as a misreading.
fn normalize(host: &str) -> String {
    let parsed = if host.contains(':') {
        url::Host::parse(&format!("[{host}]"))
    } else {
        url::Host::parse(host)
    };
    match parsed {
        Ok(url::Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
        Ok(url::Host::Ipv4(a)) => a.to_string(),
        Ok(url::Host::Ipv6(a)) => a.to_string(),
        Err(_) => host.to_ascii_lowercase(),
    }
}

/// The URL of a collection request as it is sent: its `raw` form, or, for a URL object
/// without one, `protocol://host[:port]/path?query` from its parts; path variables (`:id`)
/// filled from the object's `variable[]`. Variables are left as written.
pub fn collection_url(src: &str, u: &postman::Url) -> String {
    fn s<'a>(src: &'a str, v: &Option<JsonString>) -> Cow<'a, str> {
        v.as_ref()
            .map(|s| s.value(src))
            .unwrap_or(Cow::Borrowed(""))
    }
    let mut url = match &u.raw {
        Some(raw) => raw.value(src).into_owned() + &query_beyond_raw(src, u),
        None => {
            let host: Vec<Cow<str>> = u.host.iter().map(|h| h.value(src)).collect();
            let path: Vec<Cow<str>> = u.path.iter().map(|p| p.value(src)).collect();
            let mut url = String::new();
            if let Some(p) = &u.protocol {
                url.push_str(&p.value(src));
                url.push_str("://");
            }
            url.push_str(&host.join("."));
            if let Some(port) = &u.port {
                url.push(':');
                url.push_str(&port.value(src));
            }
            if !path.is_empty() {
                url.push('/');
                url.push_str(&path.join("/"));
            }
            let query: Vec<String> = u
                .query
                .iter()
                .filter(|q| !q.disabled)
                .map(|q| format!("{}={}", s(src, &q.key), s(src, &q.value)))
                .collect();
            if !query.is_empty() {
                url.push('?');
                url.push_str(&query.join("&"));
            }
            url
        }
    };
    // Path variables: `/users/:id` with `url.variable` `id`.
    for v in &u.variables {
        let key = s(src, &v.key);
        if !key.is_empty() {
            url = url.replace(&format!(":{key}"), &s(src, &v.value));
        }
    }
    url
}

/// The query of a URL object whose `raw` has none, built from its enabled `query[]` entries
/// (`?a=1&b`), as the Postman SDK builds the URL it sends from the object's parts; empty when
/// `raw` has a query of its own or there is none to add.
pub fn query_beyond_raw(src: &str, u: &postman::Url) -> String {
    let Some(raw) = &u.raw else {
        return String::new();
    };
    if raw.value(src).contains('?') {
        return String::new();
    }
    let params: Vec<String> = u
        .query
        .iter()
        .filter(|q| !q.disabled)
        .filter_map(|q| {
            let key = q.key.as_ref().map(|k| k.value(src)).unwrap_or_default();
            match &q.value {
                Some(v) => Some(format!("{key}={}", v.value(src))),
                None => (!key.is_empty()).then(|| key.into_owned()),
            }
        })
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("?{}", params.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(urls: &[&str], expect: Expect) {
        let out: Vec<String> = urls
            .iter()
            .map(|u| {
                let t = read(u);
                format!(
                    "{u:?} -> {}{}",
                    t.host.as_deref().unwrap_or("?"),
                    t.misread
                        .map(|m| format!(" MISREAD {m}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        expect.assert_eq(&(out.join("\n") + "\n"));
    }

    #[test]
    fn plain_urls_read_as_they_are_sent() {
        check(
            &[
                "https://api.example.com/v1?x=1",
                "http://user:pw@127.0.0.1:8080/a\\b",
                "api.example.com/items",
                "localhost:8080/x",
                "HTTPS://API.Example.COM.",
                "http://[::1]:80/",
                "http://bücher.de/",
                "http://2130706433/",
                "http://a@b@c.example/",
                "http://{{host}}/x",
                "{{base}}/x",
                "not a url at all",
                "http://evil.example?@good.example/",
            ],
            expect![[r#"
                "https://api.example.com/v1?x=1" -> api.example.com
                "http://user:pw@127.0.0.1:8080/a\\b" -> 127.0.0.1
                "api.example.com/items" -> api.example.com
                "localhost:8080/x" -> localhost
                "HTTPS://API.Example.COM." -> api.example.com
                "http://[::1]:80/" -> ::1
                "http://bücher.de/" -> xn--bcher-kva.de
                "http://2130706433/" -> 127.0.0.1
                "http://a@b@c.example/" -> c.example
                "http://{{host}}/x" -> ?
                "{{base}}/x" -> ?
                "not a url at all" -> ?
                "http://evil.example?@good.example/" -> evil.example
            "#]],
        );
    }

    #[test]
    fn urls_a_person_reads_otherwise_are_misread() {
        check(
            &[
                "http://127.0.0.2:18082\\@127.0.0.1/bs",
                "http:\\\\127.0.0.2:18082\\@127.0.0.1/",
                "http:/127.0.0.2/",
                "https:evil.example/",
                "http://127.0.0.1\t.evil.example/",
                "http://good.example\\.evil.example/",
                "http://good.example\\@\u{1b}]0;title\u{7}evil.example/",
            ],
            expect![[r#"
                "http://127.0.0.2:18082\\@127.0.0.1/bs" -> 127.0.0.2 MISREAD a `\` before the URL's path counts as `/` when it is sent, so the request goes to `127.0.0.2`, not `127.0.0.1`: write `/` or percent-encode it
                "http:\\\\127.0.0.2:18082\\@127.0.0.1/" -> 127.0.0.2 MISREAD a `\` before the URL's path counts as `/` when it is sent, so the request goes to `127.0.0.2`, not `127.0.0.1`: write `/` or percent-encode it
                "http:/127.0.0.2/" -> 127.0.0.2 MISREAD the URL has no `//` after its scheme, and is sent to `127.0.0.2`: write `scheme://host/…`
                "https:evil.example/" -> evil.example MISREAD the URL has no `//` after its scheme, and is sent to `evil.example`: write `scheme://host/…`
                "http://127.0.0.1\t.evil.example/" -> 127.0.0.1.evil.example MISREAD the URL holds a tab or a line break, which is dropped when it is sent (it goes to `127.0.0.1.evil.example`): remove it
                "http://good.example\\.evil.example/" -> good.example MISREAD a `\` before the URL's path counts as `/` when it is sent, so the request goes to `good.example`, not `good.example\.evil.example`: write `/` or percent-encode it
                "http://good.example\\@\u{1b}]0;title\u{7}evil.example/" -> good.example MISREAD a `\` before the URL's path counts as `/` when it is sent, so the request goes to `good.example`: write `/` or percent-encode it
            "#]],
        );
    }
}
